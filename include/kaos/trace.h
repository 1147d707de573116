/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/trace.h
 * Trace hooks: the events kaos reports (send, recv, backpressure,
 * retransmit, connect, disconnect) and the back end that reports them,
 * chosen when the library is built (-DKAOS_TRACE=...; kaos/config.h says
 * which):
 *
 *  - off (default): every hook compiles to nothing;
 *  - usdt: a static probe per hook (<sys/sdt.h>), one nop when nothing is
 *    attached; bpftrace, perf and SystemTap attach to provider "kaos";
 *  - log: a line per event on stderr, filtered by KAOS_LOG
 *    (trace|debug|info|warn; default warn);
 *  - chrome: a Chrome trace-event JSON file (Perfetto UI,
 *    chrome://tracing), written by kaos_trace_flush() and at exit to
 *    KAOS_TRACE_FILE (default kaos-trace-<pid>.json);
 *  - tracy: zones, messages and plots through Tracy's C API, once
 *    kaos_init_tracy() has started the profiler.
 *
 * Hooks sit on slow paths only: IPC send and receive, connecting and
 * closing, and the wait of a producer that found its ring full. The
 * inline hot paths (claim/publish/peek/release/push/pop) have none, so
 * they compile to the same code in every build. docs/tracing.md has the
 * details, one-liners and viewer steps.
 *
 * Users call kaos_trace_flush() and kaos_init_tracy(); the hooks that
 * fire the events are the library's own (src/trace/hooks.h).
 */
#ifndef KAOS_TRACE_H
#define KAOS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaos/common.h>
#include <kaos/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Event kinds. A span has a beginning and an end on the same thread (a
 * duration); an instant is a point in time. */
#define KAOS_TRACE_KIND_SPAN 1
#define KAOS_TRACE_KIND_INSTANT 2

/* Log levels, lowest (most verbose) first; KAOS_LOG picks the threshold. */
#define KAOS_TRACE_LEVEL_TRACE 0
#define KAOS_TRACE_LEVEL_DEBUG 1
#define KAOS_TRACE_LEVEL_INFO 2
#define KAOS_TRACE_LEVEL_WARN 3

/* Whether a layer fires the event today. PENDING: declared so that back
 * ends and tools know it, but no hook site exists yet (its layer is not
 * built); the USDT test checks that LIVE probes are in the library and
 * PENDING ones are not, so flip the flag when adding the site. */
#define KAOS_TRACE_LIVE 1
#define KAOS_TRACE_PENDING 0

/**
 * The event table: the one place that defines every event. Add a row to
 * add an event; every back end, the USDT probe list and the tests follow.
 *
 * X(name, kind, level, arg, end_arg, status, what)
 *  - name: the event's name everywhere (USDT probe kaos:<name>, or
 *    kaos:<name>_begin / kaos:<name>_end for a span; Chrome and Tracy
 *    zone or message name; the log line's event word)
 *  - kind: SPAN or INSTANT
 *  - level: the KAOS_LOG level at which the log back end prints it
 *  - arg: what the value of the instant, or of the span's beginning, is
 *  - end_arg: what the value at the span's end is (none for instants)
 *  - status: LIVE or PENDING (see above)
 *  - what: where it fires
 *
 * Every hook carries an object pointer (the ring or channel) and one
 * 64-bit signed value. Fill levels are slots in use for fixed-slot rings,
 * bytes in use for message rings and message channels.
 */
#define KAOS_TRACE_EVENTS(X)                                                   \
	X(send, SPAN, TRACE, len, bytes, LIVE,                                 \
	  "kaos_ipc_send(): one message, waiting included; bytes: payload "   \
	  "bytes sent (0: not sent)")                                          \
	X(recv, SPAN, TRACE, limit, bytes, LIVE,                               \
	  "kaos_ipc_receive(): up to limit messages, waiting included; "      \
	  "bytes: payload bytes delivered")                                    \
	X(backpressure, INSTANT, DEBUG, fill, none, LIVE,                      \
	  "a producer's *_wait() or kaos_ipc_send() found its ring or "       \
	  "channel full and is about to wait (once per wait); fill: level")    \
	X(retransmit, INSTANT, DEBUG, seq, none, PENDING,                      \
	  "network layer: a frame sent again")                                 \
	X(connect, SPAN, INFO, publisher, rc, LIVE,                            \
	  "kaos_ipc_publish() (publisher 1) / kaos_ipc_subscribe() (0); "     \
	  "rc: 0 or -errno")                                                   \
	X(disconnect, INSTANT, INFO, publisher, none, LIVE, "kaos_ipc_close()")

/** Event identifiers: KAOS_TRACE_EV_send, ... */
enum kaos_trace_event {
#define KAOS__TRACE_ENUM(name, kind, level, arg, end_arg, status, what) \
	KAOS_TRACE_EV_##name,
	KAOS_TRACE_EVENTS(KAOS__TRACE_ENUM)
#undef KAOS__TRACE_ENUM
	KAOS_TRACE_EV_COUNT
};

/**
 * Start the Tracy profiler (KAOS_TRACE=tracy): call once from main()
 * before any kaos operation you want to see; events before it are not
 * recorded. It stops at exit. A no-op in every other build.
 * Any thread; idempotent.
 */
KAOS_API void kaos_init_tracy(void);

/**
 * Chrome back end: write every event recorded so far to the trace file
 * (KAOS_TRACE_FILE, default kaos-trace-<pid>.json; "%p" in the name
 * becomes the pid), replacing it. Also done at exit. Other back ends: 0.
 * @return 0; -errno if the file cannot be written.
 * Any thread.
 */
KAOS_API int kaos_trace_flush(void);

/** The back end the library was built with ("off", "usdt", "log",
 * "chrome" or "tracy"); compare with KAOS_TRACE_BACKEND_NAME to check
 * that headers and library agree. Any thread. */
KAOS_API const char *kaos_trace_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_TRACE_H */
