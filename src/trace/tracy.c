/* SPDX-License-Identifier: MIT */
/* Tracy back end (KAOS_TRACE=tracy, built with -DKAOS_TRACY_DIR=<checkout>,
 * whose public/TracyClient.cpp is compiled into the library with
 * TRACY_ENABLE and TRACY_MANUAL_LIFETIME). Spans are zones (their values
 * as zone values), instants are messages, fill levels are plots (one per
 * ring or channel, "kaos fill 0x..."). Nothing is sent before
 * kaos_init_tracy() starts the profiler; it stops at exit, and a forked
 * child does not trace (Tracy's threads do not survive fork). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/trace.h>
#include <kaos/version.h>

#include <tracy/TracyC.h>

#include "internal.h"

#define MAX_DEPTH 32  /* zones open at once on a thread */
#define MAX_PLOTS 64  /* rings/channels with a plot of their own */

static atomic_bool started;
static pthread_once_t start_once = PTHREAD_ONCE_INIT;

/* One source location per event: the zone's name. */
static const struct ___tracy_source_location_data srcloc[KAOS_TRACE_EV_COUNT] = {
#define KAOS__TRACE_SRCLOC(name, kind, level, arg, end_arg, status, what) \
	[KAOS_TRACE_EV_##name] = { #name, "kaos", "kaos", 0, 0 },
	KAOS_TRACE_EVENTS(KAOS__TRACE_SRCLOC)
#undef KAOS__TRACE_SRCLOC
};

static void
stop_at_exit(void)
{
	/* Release: pairs with the acquire in the hooks; later events are
	 * not sent (a thread already inside one may still be). */
	atomic_store_explicit(&started, false, memory_order_release);
	___tracy_shutdown_profiler();
}

static void
no_tracing_in_child(void)
{
	/* Relaxed: the child has this one thread. */
	atomic_store_explicit(&started, false, memory_order_relaxed);
}

static void
start(void)
{
	___tracy_startup_profiler();
	char info[64];
	int n = snprintf(info, sizeof(info), "kaos %s", KAOS_VERSION_STRING);
	___tracy_emit_message_appinfo(info, (size_t)n);
	pthread_atfork(NULL, NULL, no_tracing_in_child);
	atexit(stop_at_exit);
	/* Release: the profiler is up before any hook acquires "started". */
	atomic_store_explicit(&started, true, memory_order_release);
}

void
kaos__trace_backend_init_tracy(void)
{
	pthread_once(&start_once, start);
}

/* Plot names must stay valid and be the same pointer for the same plot:
 * "kaos fill <object>", made once per object, kept for the process. */
static struct {
	const void *obj;
	char name[40];
} plots[MAX_PLOTS];
static int nplots;
static pthread_mutex_t plots_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local const void *last_obj;
static _Thread_local const char *last_name;

static const char *
plot_name(const void *obj)
{
	if (obj == last_obj && last_name)
		return last_name;
	const char *name = "kaos fill (other)";
	pthread_mutex_lock(&plots_lock);
	int i;
	for (i = 0; i < nplots && plots[i].obj != obj; i++)
		;
	if (i == nplots && nplots < MAX_PLOTS) {
		plots[i].obj = obj;
		snprintf(plots[i].name, sizeof(plots[i].name), "kaos fill %p", obj);
		nplots++;
	}
	if (i < nplots)
		name = plots[i].name;
	pthread_mutex_unlock(&plots_lock);
	last_obj = obj;
	last_name = name;
	return name;
}

static _Thread_local TracyCZoneCtx zones[MAX_DEPTH];
static _Thread_local int zone_ev[MAX_DEPTH];
static _Thread_local int depth;

void
kaos__trace_backend_event(enum kaos_trace_event ev, enum kaos__trace_phase ph,
			  const void *obj, int64_t value, kaos__trace_fill_fn fill)
{
	/* Acquire: pairs with the release in start(). */
	if (!atomic_load_explicit(&started, memory_order_acquire))
		return;
	const struct kaos__trace_info *e = &kaos__trace_info[ev];
	switch (ph) {
	case KAOS__TRACE_PH_BEGIN: {
		TracyCZoneCtx z = ___tracy_emit_zone_begin(&srcloc[ev], 1);
		___tracy_emit_zone_value(z, (uint64_t)value);
		if (depth < MAX_DEPTH) {
			zones[depth] = z;
			zone_ev[depth] = (int)ev;
			depth++;
		} else {
			___tracy_emit_zone_end(z); /* too deep: a zero-length zone */
		}
		break;
	}
	case KAOS__TRACE_PH_END: {
		if (depth == 0 || zone_ev[depth - 1] != (int)ev)
			return; /* began before the profiler was started */
		TracyCZoneCtx z = zones[--depth];
		___tracy_emit_zone_value(z, (uint64_t)value);
		___tracy_emit_zone_end(z);
		if (fill && value > 0)
			___tracy_emit_plot(plot_name(obj), (double)fill(obj));
		break;
	}
	case KAOS__TRACE_PH_INSTANT: {
		char msg[96];
		int n = snprintf(msg, sizeof(msg), "%s obj=%p %s=%" PRId64, e->name, obj,
				 e->arg, value);
		if (n > 0)
			___tracy_emit_message(msg, (size_t)n < sizeof(msg) ? (size_t)n
									   : sizeof(msg) - 1,
					      0);
		if (ev == KAOS_TRACE_EV_backpressure)
			___tracy_emit_plot(plot_name(obj), (double)value);
		break;
	}
	}
}

int
kaos__trace_backend_flush(void)
{
	return 0;
}
