/* SPDX-License-Identifier: MIT */
/* Trace hooks: what every back end shares (the event table, the
 * backpressure wait, byte counting) and the public entry points. The
 * back end itself is log.c, chrome.c or tracy.c (one is built), or, for
 * usdt, the probes the hook macros put in place. Fill levels come from the
 * hooks' callers (a function of theirs): nothing here knows a ring. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <kaos/trace.h>

#include "hooks.h"
#include "internal.h"

const char *
kaos_trace_backend(void)
{
	return KAOS_TRACE_BACKEND_NAME;
}

#if KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_TRACY
void
kaos_init_tracy(void)
{
	kaos__trace_backend_init_tracy();
}
#else
void
kaos_init_tracy(void)
{
}
#endif

#if KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_CHROME
int
kaos_trace_flush(void)
{
	return kaos__trace_backend_flush();
}
#else
int
kaos_trace_flush(void)
{
	return 0;
}
#endif

#if KAOS_TRACE_BACKEND != KAOS_TRACE_BACKEND_OFF

/* kaos_wait_until() with a ready() that reports backpressure on its
 * first failure: once per wait, not per spin. */
struct bp_wait {
	kaos_ready_fn ready;
	void *ctx;
	kaos__trace_fill_fn fill;
	const void *obj;
	bool reported;
};

static bool
bp_ready(void *arg)
{
	struct bp_wait *w = arg;
	if (w->ready(w->ctx))
		return true;
	if (!w->reported) {
		w->reported = true;
		KAOS_TRACE_INSTANT(backpressure, w->obj,
				   (int64_t)w->fill(w->obj));
	}
	return false;
}

int
kaos__trace_wait_until(kaos__trace_fill_fn fill, const void *obj,
		       const struct kaos_wait *how, struct kaos_waitpoint *wp, uint64_t name,
		       kaos_ready_fn ready, void *ctx)
{
	/* Only with a valid strategy: kaos__wait_until() rejects the others
	 * before trying anything, and so no backpressure is reported. */
	struct bp_wait w = { ready, ctx, fill, obj, false };
	return kaos__wait_until(how, wp, name, ready ? bp_ready : NULL, &w);
}

void
kaos__trace_count_bytes(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct kaos__trace_bytes *b = ctx;
	b->bytes += (int64_t)len;
	b->fn(type, data, len, b->ctx);
}

#if KAOS_TRACE_BACKEND != KAOS_TRACE_BACKEND_USDT
/* The out-of-line back ends (log, chrome, tracy). */

const struct kaos__trace_info kaos__trace_info[KAOS_TRACE_EV_COUNT] = {
#define KAOS__TRACE_INFO(name, kind, level, arg, end_arg, status, what)       \
	[KAOS_TRACE_EV_##name] = { #name, KAOS_TRACE_KIND_##kind, KAOS_TRACE_LEVEL_##level, \
				   #arg, #end_arg },
	KAOS_TRACE_EVENTS(KAOS__TRACE_INFO)
#undef KAOS__TRACE_INFO
};

static _Thread_local int cached_tid;
static pthread_once_t tid_once = PTHREAD_ONCE_INIT;

static void
forget_tid(void)
{
	cached_tid = 0; /* a forked child's thread has an id of its own */
}

static void
register_forget_tid(void)
{
	pthread_atfork(NULL, NULL, forget_tid);
}

int
kaos__trace_tid(void)
{
	if (!cached_tid) {
		pthread_once(&tid_once, register_forget_tid);
		cached_tid = (int)syscall(SYS_gettid);
	}
	return cached_tid;
}

void
kaos__trace_event(enum kaos_trace_event ev, enum kaos__trace_phase ph, const void *obj,
		  int64_t value, kaos__trace_fill_fn fill)
{
	kaos__trace_backend_event(ev, ph, obj, value, fill);
}
#endif

#endif /* KAOS_TRACE_BACKEND != KAOS_TRACE_BACKEND_OFF */
