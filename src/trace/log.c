/* SPDX-License-Identifier: MIT */
/* Log back end (KAOS_TRACE=log): one line per event on stderr, at or
 * above the level KAOS_LOG names (trace|debug|info|warn; default warn).
 *
 *   kaos 12.345678901 tid=4242 debug backpressure obj=0x55d0... fill=64
 *   kaos 12.345679001 tid=4242 trace send obj=0x55d0... len=8 bytes=8 dur_ns=912
 *
 * The timestamp is CLOCK_MONOTONIC in seconds. A span is one line, printed
 * when it ends, with both values and its duration. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <kaos/trace.h>

#include "internal.h"

#define MAX_DEPTH 32 /* spans open at once on a thread */

static const char *const level_names[] = { "trace", "debug", "info", "warn" };

static int threshold = KAOS_TRACE_LEVEL_WARN;
static pthread_once_t threshold_once = PTHREAD_ONCE_INIT;

static void
read_level(void)
{
	const char *s = getenv("KAOS_LOG");
	if (!s || !*s)
		return;
	for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
		if (!strcasecmp(s, level_names[i]))
			threshold = i;
	if (!strcasecmp(s, "off") || !strcasecmp(s, "none"))
		threshold = KAOS_TRACE_LEVEL_WARN + 1;
}

/* Spans open on this thread: when each began, with what value, and
 * whether anything happened inside it. */
struct open_span {
	uint64_t t0;
	int64_t v0;
	int ev;
	bool busy;
};
static _Thread_local struct open_span stack[MAX_DEPTH];
static _Thread_local int depth;

/* Something visible happened inside the innermost open span. */
static void
mark_parent_busy(void)
{
	if (depth > 0 && depth <= MAX_DEPTH)
		stack[depth - 1].busy = true;
}

static void
emit_line(const char *buf, int len)
{
	if (len <= 0)
		return;
	if ((size_t)len >= 256)
		len = 255;
	/* One write per line: lines from several threads do not mix. */
	ssize_t rc = write(STDERR_FILENO, buf, (size_t)len);
	(void)rc; /* nowhere to report a failed log write */
}

/* The start every line has: time, thread, level, event, object. */
static int
line_start(char *buf, size_t size, uint64_t now, const struct kaos__trace_info *e,
	   const void *obj)
{
	return snprintf(buf, size, "kaos %" PRIu64 ".%09" PRIu64 " tid=%d %s %s obj=%p",
			now / 1000000000u, now % 1000000000u, kaos__trace_tid(),
			level_names[e->level], e->name, obj);
}

/* A line: its start, then @p fmt. */
static void
emit(uint64_t now, const struct kaos__trace_info *e, const void *obj, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
emit(uint64_t now, const struct kaos__trace_info *e, const void *obj, const char *fmt, ...)
{
	char buf[256];
	int len = line_start(buf, sizeof(buf), now, e, obj);
	if (len > 0 && (size_t)len < sizeof(buf)) {
		va_list ap;
		va_start(ap, fmt);
		int more = vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
		va_end(ap);
		len = more < 0 ? len : len + more;
	}
	emit_line(buf, len);
}

void
kaos__trace_backend_event(enum kaos_trace_event ev, enum kaos__trace_phase ph,
			  const void *obj, int64_t value, kaos__trace_fill_fn fill)
{
	(void)fill; /* fill levels are plotted (chrome, tracy), not logged */
	pthread_once(&threshold_once, read_level);
	const struct kaos__trace_info *e = &kaos__trace_info[ev];
	if (e->level < threshold)
		return;
	uint64_t now = kaos_now_ns();

	if (ph == KAOS__TRACE_PH_BEGIN) {
		if (depth < MAX_DEPTH)
			stack[depth] = (struct open_span){ now, value, (int)ev, false };
		depth++;
		return;
	}
	if (ph == KAOS__TRACE_PH_END) {
		if (depth == 0)
			return; /* began where this thread's log could not see it */
		depth--;
		if (depth < MAX_DEPTH && stack[depth].ev == (int)ev) {
			struct open_span *s = &stack[depth];
			if (value == 0 && !s->busy && kaos__trace_elidable(ev))
				return;
			mark_parent_busy();
			emit(now, e, obj, " %s=%" PRId64 " %s=%" PRId64 " dur_ns=%" PRIu64 "\n",
			     e->arg, s->v0, e->end_arg, value, now - s->t0);
			return;
		}
		/* Nested too deep to remember: the end alone. */
		mark_parent_busy();
		emit(now, e, obj, " %s=%" PRId64 "\n", e->end_arg, value);
		return;
	}
	mark_parent_busy();
	emit(now, e, obj, " %s=%" PRId64 "\n", e->arg, value);
}

int
kaos__trace_backend_flush(void)
{
	return 0;
}

void
kaos__trace_backend_init_tracy(void)
{
}
