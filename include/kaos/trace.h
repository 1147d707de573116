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
 * Users call kaos_trace_flush() and kaos_init_tracy(); the KAOS_TRACE_*
 * hook macros below are for the library's own code.
 */
#ifndef KAOS_TRACE_H
#define KAOS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaos/common.h>
#include <kaos/config.h>
#include <kaos/wait.h>

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

/* @internal Each event's kind, for the compile-time check in the hooks. */
enum {
#define KAOS__TRACE_KIND(name, kind, level, arg, end_arg, status, what) \
	KAOS__TRACE_KIND_##name = KAOS_TRACE_KIND_##kind,
	KAOS_TRACE_EVENTS(KAOS__TRACE_KIND)
#undef KAOS__TRACE_KIND
};

/* @internal Fails to compile when a hook names an event of another kind
 * (KAOS_TRACE_BEGIN on an instant, say). No code. */
#define KAOS__TRACE_CHECK(ev, kind) \
	((void)sizeof(char[KAOS__TRACE_KIND_##ev == KAOS_TRACE_KIND_##kind ? 1 : -1]))

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

/* ---- hooks (library code) ------------------------------------------------ */

/* @internal The fill level of a hook's object, one function per kind of
 * object (KAOS_TRACE_WAIT_UNTIL's and KAOS_TRACE_BACKPRESSURE_IF's kind
 * argument picks it): slots in use for fixed-slot rings, bytes in use for
 * message rings. Separate functions, so that a static program using only
 * rings does not link the IPC code. */
uint64_t kaos__trace_fill_SPSC(const void *ring);    /* struct kaos_spsc */
uint64_t kaos__trace_fill_U64RING(const void *ring); /* struct kaos_u64ring */
uint64_t kaos__trace_fill_STAMPED(const void *ring); /* struct kaos__stamped */
uint64_t kaos__trace_fill_BCAST(const void *ring);   /* struct kaos_bcast */
uint64_t kaos__trace_fill_MSGRING(const void *ring); /* struct kaos_msgring */
uint64_t kaos__trace_fill_IPC(const void *ch);       /* struct kaos_ipc */
typedef uint64_t (*kaos__trace_fill_fn)(const void *obj);

/* @internal Span phases and instants, for the out-of-line back ends. */
enum kaos__trace_phase {
	KAOS__TRACE_PH_BEGIN,
	KAOS__TRACE_PH_END,
	KAOS__TRACE_PH_INSTANT,
};

/* @internal Counts the payload bytes handed to a receive handler. */
struct kaos__trace_bytes {
	void (*fn)(uint32_t type, const void *data, size_t len, void *ctx);
	void *ctx;
	int64_t bytes;
};

/* @internal Out of line, in src/trace/ (not in an off build). */
void kaos__trace_event(enum kaos_trace_event ev, enum kaos__trace_phase ph,
		       const void *obj, int64_t value);
int kaos__trace_wait_until(kaos__trace_fill_fn fill, const void *obj,
			   const struct kaos_wait *how, struct kaos_waitpoint *wp,
			   kaos_ready_fn ready, void *ctx);
void kaos__trace_count_bytes(uint32_t type, const void *data, size_t len, void *ctx);

/*
 * The hooks: statements, but for KAOS_TRACE_WAIT_UNTIL.
 *
 * KAOS_TRACE_BEGIN(ev, obj, value) / KAOS_TRACE_END(ev, obj, value)
 *     a span on the calling thread; spans nest properly.
 * KAOS_TRACE_INSTANT(ev, obj, value)
 * KAOS_TRACE_WAIT_UNTIL(producer, kind, obj, how, wp, ready, ctx)
 *     an expression: kaos_wait_until(how, wp, ready, ctx), which, when
 *     @p producer is true, fires backpressure (with the fill level of
 *     @p obj, a ring of @p kind: SPSC, U64RING, STAMPED, BCAST, MSGRING) the first
 *     time ready() fails.
 *     Once per wait, never per spin; nothing if the first try succeeds.
 * KAOS_TRACE_BACKPRESSURE_IF(cond, kind, obj)
 *     backpressure with @p obj's fill level (@p kind as above, or IPC),
 *     if @p cond.
 * KAOS_TRACE_COUNT_BYTES(var, fn, ctx) / KAOS_TRACE_COUNTED(var)
 *     declare a counter @p var and route the handler lvalues @p fn and
 *     @p ctx through it; KAOS_TRACE_COUNTED() is the payload bytes seen.
 *
 * In an off build all of them vanish (the arguments are not evaluated)
 * and KAOS_TRACE_WAIT_UNTIL is exactly kaos_wait_until().
 */
#if KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_OFF ||                           \
	(KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_USDT && !defined(KAOS_BUILDING))
/* off; and usdt outside the library, whose code uses no hook, so that a
 * program built against a usdt kaos does not need <sys/sdt.h>. */

#define KAOS_TRACE_BEGIN(ev, obj, value) KAOS__TRACE_CHECK(ev, SPAN)
#define KAOS_TRACE_END(ev, obj, value) KAOS__TRACE_CHECK(ev, SPAN)
#define KAOS_TRACE_INSTANT(ev, obj, value) KAOS__TRACE_CHECK(ev, INSTANT)
#define KAOS_TRACE_WAIT_UNTIL(producer, kind, obj, how, wp, ready, ctx) \
	kaos_wait_until(how, wp, ready, ctx)
#define KAOS_TRACE_BACKPRESSURE_IF(cond, kind, obj) ((void)0)
#define KAOS_TRACE_COUNT_BYTES(var, fn, ctx) ((void)0)
#define KAOS_TRACE_COUNTED(var) 0

#else /* every back end but off */

#if KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_USDT
#include <sys/sdt.h>
/* One probe per hook: provider kaos, arguments (object, value). */
#define KAOS_TRACE_BEGIN(ev, obj, value)                                       \
	do {                                                                   \
		KAOS__TRACE_CHECK(ev, SPAN);                                   \
		DTRACE_PROBE2(kaos, ev##_begin, (const void *)(obj),           \
			      (int64_t)(value));                               \
	} while (0)
#define KAOS_TRACE_END(ev, obj, value)                                         \
	do {                                                                   \
		KAOS__TRACE_CHECK(ev, SPAN);                                   \
		DTRACE_PROBE2(kaos, ev##_end, (const void *)(obj),             \
			      (int64_t)(value));                               \
	} while (0)
#define KAOS_TRACE_INSTANT(ev, obj, value)                                     \
	do {                                                                   \
		KAOS__TRACE_CHECK(ev, INSTANT);                                \
		DTRACE_PROBE2(kaos, ev, (const void *)(obj), (int64_t)(value)); \
	} while (0)
#else /* log, chrome, tracy: small out-of-line functions */
#define KAOS_TRACE_BEGIN(ev, obj, value)                                       \
	(KAOS__TRACE_CHECK(ev, SPAN),                                          \
	 kaos__trace_event(KAOS_TRACE_EV_##ev, KAOS__TRACE_PH_BEGIN,           \
			   (const void *)(obj), (int64_t)(value)))
#define KAOS_TRACE_END(ev, obj, value)                                         \
	(KAOS__TRACE_CHECK(ev, SPAN),                                          \
	 kaos__trace_event(KAOS_TRACE_EV_##ev, KAOS__TRACE_PH_END,             \
			   (const void *)(obj), (int64_t)(value)))
#define KAOS_TRACE_INSTANT(ev, obj, value)                                     \
	(KAOS__TRACE_CHECK(ev, INSTANT),                                       \
	 kaos__trace_event(KAOS_TRACE_EV_##ev, KAOS__TRACE_PH_INSTANT,         \
			   (const void *)(obj), (int64_t)(value)))
#endif

#define KAOS_TRACE_WAIT_UNTIL(producer, kind, obj, how, wp, ready, ctx)        \
	((producer) ? kaos__trace_wait_until(kaos__trace_fill_##kind, (obj), how, \
					     wp, ready, ctx)                   \
		    : kaos_wait_until(how, wp, ready, ctx))
#define KAOS_TRACE_BACKPRESSURE_IF(cond, kind, obj)                            \
	do {                                                                   \
		if (cond)                                                      \
			KAOS_TRACE_INSTANT(backpressure, obj,                  \
					   (int64_t)kaos__trace_fill_##kind(obj)); \
	} while (0)
#define KAOS_TRACE_COUNT_BYTES(var, fn, ctx)                                   \
	struct kaos__trace_bytes var = { (fn), (ctx), 0 };                     \
	(fn) = kaos__trace_count_bytes;                                        \
	(ctx) = &var
#define KAOS_TRACE_COUNTED(var) ((var).bytes)

#endif /* KAOS_TRACE_BACKEND */

#ifdef __cplusplus
}
#endif

#endif /* KAOS_TRACE_H */
