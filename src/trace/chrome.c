/* SPDX-License-Identifier: MIT */
/* Chrome back end (KAOS_TRACE=chrome): events go to per-thread buffers
 * and are written as Chrome trace-event JSON (the object form, so that
 * metadata has a place) by kaos_trace_flush() and at exit, to
 * KAOS_TRACE_FILE (default kaos-trace-<pid>.json; "%p" becomes the pid).
 * Perfetto UI and chrome://tracing open it.
 *
 * Spans are B/E pairs, instants "i" (thread scope), fill levels "C"
 * counters. Memory is bounded: at most KAOS_TRACE_MAX_EVENTS events
 * (default 1048576) are kept, reserved a chunk at a time; later events are
 * dropped and counted, and the count is written to otherData.
 *
 * Recording takes no lock: a thread appends to its own chunk and
 * publishes the count with a release store, which the writer acquires.
 * The writer takes a lock only against other writers. After fork() the
 * child starts empty (the parent's events are the parent's to write). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kaos/trace.h>
#include <kaos/version.h>

#include "internal.h"

#define CHUNK_EVENTS 4096
#define DEFAULT_MAX_EVENTS (1u << 20)
#define FILL_EVENT KAOS_TRACE_EV_COUNT /* pseudo event: a fill counter */

struct rec {
	uint64_t ts;
	const void *obj;
	int64_t value;
	uint16_t ev;
	uint8_t ph;
};

struct chunk {
	_Atomic(struct chunk *) next;
	_Atomic size_t n; /* records published */
	size_t cap;
	struct rec r[];
};

/* One per thread that recorded something; never freed (their events are
 * written at exit, after the thread may be gone). */
struct tbuf {
	struct tbuf *next; /* immutable once the buffer is published */
	int tid;
	bool full;         /* the budget ran out: drop from here on */
	bool pending;      /* a send/recv begin held back (see put_event) */
	struct rec pend;
	struct chunk *first, *cur;
};

static _Atomic(struct tbuf *) buffers;
static _Atomic uint64_t reserved; /* events reserved, a chunk at a time */
static _Atomic uint64_t dropped;
static uint64_t max_events = DEFAULT_MAX_EVENTS;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct tbuf *mine;

static void
write_at_exit(void)
{
	/* A process that recorded nothing leaves no file. Relaxed: only
	 * whether there is a buffer; the flush acquires the list. */
	if (atomic_load_explicit(&buffers, memory_order_relaxed))
		kaos__trace_backend_flush();
}

static void
fork_prepare(void)
{
	pthread_mutex_lock(&write_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&write_lock);
}

static void
fork_child(void)
{
	/* Only this thread exists here; the parent's buffers stay the
	 * parent's (leaked in the child: still reachable, never written).
	 * Relaxed: no other thread to order anything with. */
	pthread_mutex_unlock(&write_lock);
	atomic_store_explicit(&buffers, NULL, memory_order_relaxed);
	atomic_store_explicit(&reserved, 0, memory_order_relaxed);
	atomic_store_explicit(&dropped, 0, memory_order_relaxed);
	mine = NULL;
}

static void
setup(void)
{
	const char *s = getenv("KAOS_TRACE_MAX_EVENTS");
	if (s && *s) {
		char *end;
		unsigned long long v = strtoull(s, &end, 10);
		if (*end == '\0')
			max_events = v;
	}
	atexit(write_at_exit);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static struct chunk *
new_chunk(void)
{
	/* Reserve up to a chunk's worth of events from the budget, never
	 * past it. Relaxed: a counter that orders nothing. */
	uint64_t used = atomic_load_explicit(&reserved, memory_order_relaxed), want;
	do {
		if (used >= max_events)
			return NULL;
		want = max_events - used < CHUNK_EVENTS ? max_events - used : CHUNK_EVENTS;
	} while (!atomic_compare_exchange_weak_explicit(&reserved, &used, used + want,
							memory_order_relaxed,
							memory_order_relaxed));
	struct chunk *c = malloc(sizeof(*c) + (size_t)want * sizeof(struct rec));
	if (!c)
		return NULL;
	atomic_init(&c->next, NULL);
	atomic_init(&c->n, 0);
	c->cap = (size_t)want;
	return c;
}

static struct tbuf *
my_buffer(void)
{
	if (mine)
		return mine;
	pthread_once(&setup_once, setup);
	struct tbuf *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->tid = kaos__trace_tid();
	b->first = b->cur = new_chunk();
	b->full = b->first == NULL;
	/* Relaxed: a guess the CAS checks. */
	struct tbuf *head = atomic_load_explicit(&buffers, memory_order_relaxed);
	do
		b->next = head;
	/* Release: the buffer's fields are set before the writer, which
	 * acquires the list head, can see it. */
	while (!atomic_compare_exchange_weak_explicit(&buffers, &head, b,
						      memory_order_release,
						      memory_order_relaxed));
	mine = b;
	return b;
}

static void
put(struct tbuf *b, const struct rec *r)
{
	if (b->full) {
		/* Relaxed: a statistic. */
		atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
		return;
	}
	struct chunk *c = b->cur;
	/* Relaxed: only this thread stores n. */
	size_t n = atomic_load_explicit(&c->n, memory_order_relaxed);
	if (n == c->cap) {
		struct chunk *next = new_chunk();
		if (!next) {
			/* From here on this thread drops everything, so that
			 * no end is written without its beginning. */
			b->full = true;
			atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
			return;
		}
		/* Release: pairs with the writer's acquire of next. */
		atomic_store_explicit(&c->next, next, memory_order_release);
		b->cur = c = next;
		n = 0;
	}
	c->r[n] = *r;
	/* Release: pairs with the writer's acquire of n; the record is
	 * complete before it counts. */
	atomic_store_explicit(&c->n, n + 1, memory_order_release);
}

/* A send or recv begin is held back until something else happens on the
 * thread: if the span ends having moved nothing, neither half is kept
 * (an empty poll). */
static void
put_event(struct tbuf *b, const struct rec *r)
{
	if (b->pending) {
		b->pending = false;
		if (r->ph == KAOS__TRACE_PH_END && r->ev == b->pend.ev && r->value == 0 &&
		    kaos__trace_elidable((enum kaos_trace_event)r->ev))
			return;
		put(b, &b->pend);
	}
	if (r->ph == KAOS__TRACE_PH_BEGIN && r->ev < KAOS_TRACE_EV_COUNT &&
	    kaos__trace_elidable((enum kaos_trace_event)r->ev)) {
		b->pending = true;
		b->pend = *r;
		return;
	}
	put(b, r);
}

void
kaos__trace_backend_event(enum kaos_trace_event ev, enum kaos__trace_phase ph,
			  const void *obj, int64_t value, kaos__trace_fill_fn fill)
{
	struct tbuf *b = my_buffer();
	if (!b) { /* Relaxed: a statistic. */
		atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
		return;
	}
	uint64_t now = kaos_now_ns();
	struct rec r = { now, obj, value, (uint16_t)ev, (uint8_t)ph };
	put_event(b, &r);
	/* Fill levels: at backpressure, and after each send/recv. */
	if (fill && r.value > 0) {
		struct rec f = { now, obj, (int64_t)fill(obj), FILL_EVENT,
				 KAOS__TRACE_PH_INSTANT };
		put_event(b, &f);
	} else if (ev == KAOS_TRACE_EV_backpressure) {
		struct rec f = { now, obj, value, FILL_EVENT, KAOS__TRACE_PH_INSTANT };
		put_event(b, &f);
	}
}

/* ---- writing ------------------------------------------------------------ */

static void
write_rec(FILE *f, int pid, int tid, const struct rec *r)
{
	/* ts in microseconds, CLOCK_MONOTONIC: files of several processes
	 * share one time line. */
	char ts[48];
	snprintf(ts, sizeof(ts), "%" PRIu64 ".%03" PRIu64, r->ts / 1000, r->ts % 1000);
	if (r->ev == FILL_EVENT) {
		fprintf(f,
			",\n{\"name\":\"fill\",\"cat\":\"kaos\",\"ph\":\"C\",\"ts\":%s,"
			"\"pid\":%d,\"tid\":%d,\"args\":{\"%p\":%" PRId64 "}}",
			ts, pid, tid, r->obj, r->value);
		return;
	}
	const struct kaos__trace_info *e = &kaos__trace_info[r->ev];
	const char *ph = r->ph == KAOS__TRACE_PH_BEGIN ? "B"
			 : r->ph == KAOS__TRACE_PH_END ? "E"
						       : "i";
	const char *arg = r->ph == KAOS__TRACE_PH_END ? e->end_arg : e->arg;
	fprintf(f,
		",\n{\"name\":\"%s\",\"cat\":\"kaos\",\"ph\":\"%s\",\"ts\":%s,\"pid\":%d,"
		"\"tid\":%d%s,\"args\":{\"obj\":\"%p\",\"%s\":%" PRId64 "}}",
		e->name, ph, ts, pid, tid, r->ph == KAOS__TRACE_PH_INSTANT ? ",\"s\":\"t\"" : "",
		r->obj, arg, r->value);
}

/* The file name: KAOS_TRACE_FILE with %p as the pid, or the default. */
static void
file_name(char *out, size_t size, int pid)
{
	const char *s = getenv("KAOS_TRACE_FILE");
	if (!s || !*s) {
		snprintf(out, size, "kaos-trace-%d.json", pid);
		return;
	}
	size_t o = 0;
	for (; *s && o + 1 < size; s++) {
		if (s[0] == '%' && s[1] == 'p') {
			int n = snprintf(out + o, size - o, "%d", pid);
			if (n < 0 || (size_t)n >= size - o)
				break;
			o += (size_t)n;
			s++;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

int
kaos__trace_backend_flush(void)
{
	pthread_once(&setup_once, setup);
	int pid = (int)getpid();
	char path[4096], tmp[4200];
	file_name(path, sizeof(path), pid);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	pthread_mutex_lock(&write_lock);
	int rc = 0;
	FILE *f = fopen(tmp, "w");
	if (!f) {
		rc = -errno;
		goto out;
	}
	fprintf(f, "{\"traceEvents\":[\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,"
		   "\"tid\":0,\"args\":{\"name\":\"kaos %d\"}}",
		pid, pid);
	/* Acquire: pairs with the release in my_buffer(). */
	for (struct tbuf *b = atomic_load_explicit(&buffers, memory_order_acquire); b;
	     b = b->next) {
		fprintf(f,
			",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
			"\"args\":{\"name\":\"thread %d\"}}",
			pid, b->tid, b->tid);
		/* Acquire (next, n): pair with the releases in put(). */
		for (struct chunk *c = b->first; c;
		     c = atomic_load_explicit(&c->next, memory_order_acquire)) {
			size_t n = atomic_load_explicit(&c->n, memory_order_acquire);
			for (size_t i = 0; i < n; i++)
				write_rec(f, pid, b->tid, &c->r[i]);
		}
	}
	uint64_t cap = max_events;
	/* Relaxed (dropped): a statistic. */
	fprintf(f,
		"\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"producer\":\"kaos %s\","
		"\"backend\":\"chrome\",\"max_events\":%" PRIu64 ",\"dropped_events\":%" PRIu64
		"}}\n",
		KAOS_VERSION_STRING, cap, atomic_load_explicit(&dropped, memory_order_relaxed));
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
out:
	pthread_mutex_unlock(&write_lock);
	return rc;
}

void
kaos__trace_backend_init_tracy(void)
{
}
