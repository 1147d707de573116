/* SPDX-License-Identifier: MIT */
/*
 * The trace hooks (not installed): the library's own code fires the
 * events of kaos/trace.h through these macros, and the back end chosen at
 * build time (kaos/config.h) reports them. In an off build every hook
 * vanishes, its arguments unevaluated, and the code is the same as
 * without it (tools/check-trace-off.sh proves it).
 *
 * KAOS_TRACE_BEGIN(ev, obj, value) / KAOS_TRACE_END(ev, obj, value)
 *     a span on the calling thread; spans nest properly.
 * KAOS_TRACE_END_FILL(ev, obj, value, fill)
 *     KAOS_TRACE_END, after which a back end that plots fill levels
 *     (chrome, tracy) plots fill(obj), if value > 0.
 * KAOS_TRACE_INSTANT(ev, obj, value)
 * KAOS_TRACE_WAIT_UNTIL(producer, fill, obj, how, wp, name, ready, ctx)
 *     an expression: kaos__wait_until(how, wp, name, ready, ctx), which,
 *     when @p producer is true, fires backpressure with the value
 *     fill(obj) the first time ready() fails: once per wait, never per
 *     spin, nothing if the first try succeeds.
 * KAOS_TRACE_BACKPRESSURE_IF(cond, fill, obj)
 *     backpressure with the value fill(obj), if @p cond.
 * KAOS_TRACE_COUNT_BYTES(var, fn, ctx) / KAOS_TRACE_COUNTED(var)
 *     declare a counter @p var and route the handler lvalues @p fn and
 *     @p ctx through it; KAOS_TRACE_COUNTED() is the payload bytes seen.
 *
 * A fill function (kaos__trace_fill_fn) is the caller's: the slots or
 * bytes in use in its ring or channel. Passing it keeps the trace layer
 * free of any ring's internals.
 */
#ifndef KAOS_SRC_TRACE_HOOKS_H
#define KAOS_SRC_TRACE_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include <kaos/config.h>
#include <kaos/trace.h>
#include <kaos/wait.h>

/* Each event's kind, for the compile-time check in the hooks. */
enum {
#define KAOS__TRACE_KIND(name, kind, level, arg, end_arg, status, what) \
	KAOS__TRACE_KIND_##name = KAOS_TRACE_KIND_##kind,
	KAOS_TRACE_EVENTS(KAOS__TRACE_KIND)
#undef KAOS__TRACE_KIND
};

/* Fails to compile when a hook names an event of another kind
 * (KAOS_TRACE_BEGIN on an instant, say). No code. */
#define KAOS__TRACE_CHECK(ev, kind) \
	((void)sizeof(char[KAOS__TRACE_KIND_##ev == KAOS_TRACE_KIND_##kind ? 1 : -1]))

typedef uint64_t (*kaos__trace_fill_fn)(const void *obj);

/* Span phases and instants, for the out-of-line back ends. */
enum kaos__trace_phase {
	KAOS__TRACE_PH_BEGIN,
	KAOS__TRACE_PH_END,
	KAOS__TRACE_PH_INSTANT,
};

/* Counts the payload bytes handed to a receive handler. */
struct kaos__trace_bytes {
	void (*fn)(uint32_t type, const void *data, size_t len, void *ctx);
	void *ctx;
	int64_t bytes;
};

/* Out of line, in src/trace/ (not in an off build). @p fill: NULL, or
 * the fill level to plot after an END (see KAOS_TRACE_END_FILL). */
void kaos__trace_event(enum kaos_trace_event ev, enum kaos__trace_phase ph,
		       const void *obj, int64_t value, kaos__trace_fill_fn fill);
int kaos__trace_wait_until(kaos__trace_fill_fn fill, const void *obj,
			   const struct kaos_wait *how, struct kaos_waitpoint *wp,
			   uint64_t name, kaos_ready_fn ready, void *ctx);
void kaos__trace_count_bytes(uint32_t type, const void *data, size_t len, void *ctx);

#if KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_OFF

#define KAOS_TRACE_BEGIN(ev, obj, value) KAOS__TRACE_CHECK(ev, SPAN)
#define KAOS_TRACE_END(ev, obj, value) KAOS__TRACE_CHECK(ev, SPAN)
#define KAOS_TRACE_END_FILL(ev, obj, value, fill) KAOS__TRACE_CHECK(ev, SPAN)
#define KAOS_TRACE_INSTANT(ev, obj, value) KAOS__TRACE_CHECK(ev, INSTANT)
#define KAOS_TRACE_WAIT_UNTIL(producer, fill, obj, how, wp, name, ready, ctx) \
	kaos__wait_until(how, wp, name, ready, ctx)
#define KAOS_TRACE_BACKPRESSURE_IF(cond, fill, obj) ((void)0)
#define KAOS_TRACE_COUNT_BYTES(var, fn, ctx) ((void)0)
#define KAOS_TRACE_COUNTED(var) 0

#else /* every back end but off */

#if KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_USDT
#include <sys/sdt.h>
/* One probe per hook: provider kaos, arguments (object, value). */
#define KAOS__TRACE_PROBE(ev, kind, probe, obj, value)                          \
	do {                                                                   \
		KAOS__TRACE_CHECK(ev, kind);                                   \
		DTRACE_PROBE2(kaos, probe, (const void *)(obj), (int64_t)(value)); \
	} while (0)
#define KAOS_TRACE_BEGIN(ev, obj, value) KAOS__TRACE_PROBE(ev, SPAN, ev##_begin, obj, value)
#define KAOS_TRACE_END(ev, obj, value) KAOS__TRACE_PROBE(ev, SPAN, ev##_end, obj, value)
/* A probe's consumer asks for fill levels itself: not computed here. */
#define KAOS_TRACE_END_FILL(ev, obj, value, fill) KAOS_TRACE_END(ev, obj, value)
#define KAOS_TRACE_INSTANT(ev, obj, value) KAOS__TRACE_PROBE(ev, INSTANT, ev, obj, value)
#else /* log, chrome, tracy: small out-of-line functions */
#define KAOS__TRACE_CALL(ev, kind, phase, obj, value, fill)                     \
	(KAOS__TRACE_CHECK(ev, kind),                                          \
	 kaos__trace_event(KAOS_TRACE_EV_##ev, KAOS__TRACE_PH_##phase,         \
			   (const void *)(obj), (int64_t)(value), (fill)))
#define KAOS_TRACE_BEGIN(ev, obj, value) KAOS__TRACE_CALL(ev, SPAN, BEGIN, obj, value, NULL)
#define KAOS_TRACE_END_FILL(ev, obj, value, fill)                              \
	KAOS__TRACE_CALL(ev, SPAN, END, obj, value, fill)
#define KAOS_TRACE_END(ev, obj, value) KAOS__TRACE_CALL(ev, SPAN, END, obj, value, NULL)
#define KAOS_TRACE_INSTANT(ev, obj, value)                                     \
	KAOS__TRACE_CALL(ev, INSTANT, INSTANT, obj, value, NULL)
#endif

#define KAOS_TRACE_WAIT_UNTIL(producer, fill, obj, how, wp, name, ready, ctx) \
	((producer) ? kaos__trace_wait_until(fill, obj, how, wp, name, ready, ctx) \
		    : kaos__wait_until(how, wp, name, ready, ctx))
#define KAOS_TRACE_BACKPRESSURE_IF(cond, fill, obj)                            \
	do {                                                                   \
		if (cond)                                                      \
			KAOS_TRACE_INSTANT(backpressure, obj, (int64_t)(fill)(obj)); \
	} while (0)
#define KAOS_TRACE_COUNT_BYTES(var, fn, ctx)                                   \
	struct kaos__trace_bytes var = { (fn), (ctx), 0 };                     \
	(fn) = kaos__trace_count_bytes;                                        \
	(ctx) = &var
#define KAOS_TRACE_COUNTED(var) ((var).bytes)

#endif /* KAOS_TRACE_BACKEND */

#endif /* KAOS_SRC_TRACE_HOOKS_H */
