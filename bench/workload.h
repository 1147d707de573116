/* SPDX-License-Identifier: MIT */
/*
 * The work both sides of a benchmark do per value, shared by kaos and every
 * peer adapter so that all of them run identical producer and consumer code
 * around their own enqueue/dequeue calls. Plain C that also compiles as C++
 * (the Boost and moodycamel adapters); nothing here touches a queue.
 *
 * Producer: values 1, 2, 3, ... (batch and per-event workloads) or trace
 * records (type 1..5 round-robin in word 0, the sequence in the other words).
 * Consumer: a sum of the values, a strict-order check, or per-type counts,
 * accumulated in a struct kb_check and judged by kb_check_result() after the
 * run. The checks never stop the consumer early: it keeps draining, so the
 * producer always finishes, and the first mismatch is reported afterwards.
 */
#ifndef KAOS_BENCH_WORKLOAD_H
#define KAOS_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#else
#include <stdalign.h> /* alignas, a keyword in C++ */
#endif

#if defined(__GNUC__)
#define KB_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* For the adapters' loop templates: inlined into each call site with the
 * workload and slot size as constants. */
#define KB_INLINE static inline __attribute__((always_inline))
#else
#define KB_UNLIKELY(x) (x)
#define KB_INLINE static inline
#endif

/* The ring every case uses: 2^20 slots (peers that keep one slot free
 * hold one less), batches of up to 8192. */
#define KB_RING_SLOTS 1048576
#define KB_BATCH 8192

/* What a case asks of a queue. */
enum kb_workload {
	KB_BATCH_SUM,       /* batches of up to kb_spec.batch; consumer sums */
	KB_BATCH_UNTOUCHED, /* batches; neither side touches slot data */
	KB_PER_EVENT,       /* one event per call; consumer checks the order */
	KB_PER_EVENT_DEFERRED, /* as KB_PER_EVENT, publication deferred */
	KB_TRACE,           /* batches of trace records; consumer counts types */
};

#define KB_TRACE_TYPES 5

/* One case's parameters, as every adapter sees them. */
struct kb_spec {
	enum kb_workload workload;
	unsigned slot_bytes; /* 8, 32 or 64 */
	uint64_t capacity;   /* slots asked for (a power of two) */
	uint64_t batch;      /* largest batch for the batch workloads */
	int mapped;          /* 1: memory from an mmap'ed region, 0: heap */
};

/* Slot types of 32 and 64 bytes, laid out (and aligned) like kaos's. */
struct kb_slot32 {
	alignas(32) uint64_t w[4];
};
struct kb_slot64 {
	alignas(64) uint64_t w[8];
};

/* ---- producer side ----------------------------------------------------- */

/* Producer state: the next value/sequence and the next trace type. */
struct kb_gen {
	uint64_t seq;  /* 1, 2, 3, ... */
	uint64_t type; /* 1..KB_TRACE_TYPES, round-robin */
};

static inline struct kb_gen
kb_gen_start(void)
{
	struct kb_gen g = { 1, 1 };
	return g;
}

/* The next value of the batch and per-event workloads. */
static inline uint64_t
kb_next_value(struct kb_gen *g)
{
	return g->seq++;
}

/* Write the next trace record into a slot of @p nwords 64-bit words. */
static inline void
kb_put_trace(struct kb_gen *g, uint64_t *w, unsigned nwords)
{
	w[0] = g->type;
	for (unsigned k = 1; k < nwords; k++)
		w[k] = g->seq;
	g->seq++;
	g->type = g->type == KB_TRACE_TYPES ? 1 : g->type + 1;
}

/* Fill @p n consecutive 8-byte slots with the next values. */
static inline void
kb_fill_values(struct kb_gen *g, uint64_t *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		v[i] = kb_next_value(g);
}

/* Fill @p n consecutive slots of @p nwords words with trace records. */
static inline void
kb_fill_trace(struct kb_gen *g, void *slots, uint64_t n, unsigned nwords)
{
	uint64_t *w = (uint64_t *)slots;
	for (uint64_t i = 0; i < n; i++)
		kb_put_trace(g, w + i * nwords, nwords);
}

/* ---- consumer side ----------------------------------------------------- */

/* Consumer state. Kept in a local variable during the run (no call takes
 * its address in the hot loop, so it lives in registers). */
struct kb_check {
	uint64_t count;     /* events consumed */
	uint64_t sum;       /* KB_BATCH_SUM */
	uint64_t next;      /* per event: the value expected next */
	uint64_t bad;       /* per event: values out of order */
	uint64_t bad_want;  /* the first mismatch */
	uint64_t bad_got;
	uint64_t bad_at;    /* its position in the stream (0-based) */
	uint64_t types[KB_TRACE_TYPES + 1]; /* [0]: types outside 1..5 */
};

static inline struct kb_check
kb_check_start(void)
{
	struct kb_check c = { 0, 0, 1, 0, 0, 0, 0, { 0, 0, 0, 0, 0, 0 } };
	return c;
}

/* KB_BATCH_SUM: add one value. */
static inline void
kb_take_sum(struct kb_check *c, uint64_t v)
{
	c->sum += v;
}

/* KB_BATCH_SUM: add @p n consecutive values. */
static inline void
kb_take_sum_n(struct kb_check *c, const uint64_t *v, uint64_t n)
{
	uint64_t s = 0;
	for (uint64_t i = 0; i < n; i++)
		s += v[i];
	c->sum += s;
}

/* Per event: the value must be exactly the next one. A mismatch is
 * recorded (the first one in detail) and the check resynchronises. */
static inline void
kb_take_in_order(struct kb_check *c, uint64_t v)
{
	if (KB_UNLIKELY(v != c->next)) {
		if (c->bad++ == 0) {
			c->bad_want = c->next;
			c->bad_got = v;
			c->bad_at = c->next - 1;
		}
		c->next = v;
	}
	c->next++;
}

/* Trace: count one record by the type in its first word. */
static inline void
kb_take_trace(struct kb_check *c, uint64_t type)
{
	c->types[type - 1 < KB_TRACE_TYPES ? type : 0]++;
}

/* Trace: count @p n consecutive slots of @p nwords words. */
static inline void
kb_take_trace_n(struct kb_check *c, const void *slots, uint64_t n,
		unsigned nwords)
{
	const uint64_t *w = (const uint64_t *)slots;
	for (uint64_t i = 0; i < n; i++)
		kb_take_trace(c, w[i * nwords]);
}

/* ---- one item or a run of them, by workload ------------------------------- */

/* The workload and the words per slot are constants at every call site
 * (KB_BY_WORKLOAD), so each of these folds to its one case. */

/* One event per call, checked in order. */
static inline int
kb_per_event(enum kb_workload wl)
{
	return wl == KB_PER_EVENT || wl == KB_PER_EVENT_DEFERRED;
}

/* Write the next item into a slot of @p nw words. */
KB_INLINE void
kb_item_put(struct kb_gen *g, enum kb_workload wl, unsigned nw, uint64_t *w)
{
	if (wl == KB_TRACE)
		kb_put_trace(g, w, nw);
	else
		*w = kb_next_value(g);
}

/* Check one item: per event its order, else its value or trace type. */
KB_INLINE void
kb_item_take(struct kb_check *c, enum kb_workload wl, const uint64_t *w)
{
	if (wl == KB_TRACE)
		kb_take_trace(c, w[0]);
	else if (kb_per_event(wl))
		kb_take_in_order(c, w[0]);
	else
		kb_take_sum(c, w[0]);
}

/* Fill @p n slots of @p nw words (an untouched batch: nothing). */
KB_INLINE void
kb_fill_n(struct kb_gen *g, enum kb_workload wl, unsigned nw, void *slots,
	  uint64_t n)
{
	if (wl == KB_TRACE)
		kb_fill_trace(g, slots, n, nw);
	else if (wl != KB_BATCH_UNTOUCHED)
		kb_fill_values(g, (uint64_t *)slots, n);
}

/* Check @p n slots: summed, counted by type, in order (values in batches
 * that must arrive in order: bench_ipc), or untouched. */
KB_INLINE void
kb_take_n(struct kb_check *c, enum kb_workload wl, unsigned nw,
	  const void *slots, uint64_t n)
{
	const uint64_t *v = (const uint64_t *)slots;
	if (wl == KB_TRACE) {
		kb_take_trace_n(c, slots, n, nw);
	} else if (kb_per_event(wl)) {
		for (uint64_t i = 0; i < n; i++)
			kb_take_in_order(c, v[i]);
	} else if (wl == KB_BATCH_SUM) {
		kb_take_sum_n(c, v, n);
	}
}

/* Judge a finished run of @p events: 0 if every check passed, else -1 with
 * a description in @p msg. */
static inline int
kb_check_result(const struct kb_check *c, enum kb_workload wl,
		uint64_t events, char *msg, size_t len)
{
	if (c->count != events) {
		snprintf(msg, len, "consumed %llu events, expected %llu",
			 (unsigned long long)c->count, (unsigned long long)events);
		return -1;
	}
	switch (wl) {
	case KB_BATCH_SUM: {
		/* 1 + 2 + ... + n, modulo 2^64 like the running sum */
		uint64_t want = events % 2 == 0 ? events / 2 * (events + 1)
						: (events + 1) / 2 * events;
		if (c->sum != want) {
			snprintf(msg, len, "sum of values %llu, expected %llu",
				 (unsigned long long)c->sum,
				 (unsigned long long)want);
			return -1;
		}
		return 0;
	}
	case KB_BATCH_UNTOUCHED:
		return 0;
	case KB_PER_EVENT:
	case KB_PER_EVENT_DEFERRED:
		if (c->bad) {
			snprintf(msg, len,
				 "%llu values out of order; first at event %llu: "
				 "got %llu, expected %llu",
				 (unsigned long long)c->bad,
				 (unsigned long long)c->bad_at,
				 (unsigned long long)c->bad_got,
				 (unsigned long long)c->bad_want);
			return -1;
		}
		if (c->next != events + 1) {
			snprintf(msg, len, "last value %llu, expected %llu",
				 (unsigned long long)(c->next - 1),
				 (unsigned long long)events);
			return -1;
		}
		return 0;
	case KB_TRACE:
		if (c->types[0]) {
			snprintf(msg, len, "%llu records of a type outside 1..%d",
				 (unsigned long long)c->types[0], KB_TRACE_TYPES);
			return -1;
		}
		for (int t = 1; t <= KB_TRACE_TYPES; t++) {
			if (c->types[t] != events / KB_TRACE_TYPES) {
				snprintf(msg, len,
					 "type %d seen %llu times, expected %llu",
					 t, (unsigned long long)c->types[t],
					 (unsigned long long)(events / KB_TRACE_TYPES));
				return -1;
			}
		}
		return 0;
	}
	snprintf(msg, len, "unknown workload %d", (int)wl);
	return -1;
}

/* Wait hint for a side that found the queue full or empty; the same for
 * every implementation. */
static inline void
kb_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* ---- loop templates ----------------------------------------------------- */

/*
 * The loops of one side of a run, shared by kaos and every peer (and by
 * bench_ipc's rings, bench/ipc_workload.h). Each is the rest of the
 * adapter's function: it runs the side to exactly @p events, spinning
 * (kb_relax) while the queue is full or empty, and returns 0, or -1 when
 * a queue call failed. The adapter passes its own queue calls as
 * expressions, so each expansion is its own loop with the calls inlined
 * (no indirect call per event). A call's expression is > 0 when it did
 * its work (a count for batch calls), 0 when the queue was full or empty,
 * < 0 when it failed (having printed why). The variables named in the
 * arguments (v, c, g, n, want, done) are declared by the template for the
 * expressions to use.
 */

/* Producer, one item per call: PUT enqueues v, a T holding the next
 * value or trace record of @p nw words. */
#define KB_PRODUCE_EACH(events, wl, nw, T, v, PUT)                              \
	do {                                                                    \
		struct kb_gen kb_g_ = kb_gen_start();                           \
		for (uint64_t kb_i_ = 0; kb_i_ < (events); kb_i_++) {          \
			T v;                                                    \
			kb_item_put(&kb_g_, (wl), (nw), (uint64_t *)&v);        \
			int kb_rc_;                                             \
			while ((kb_rc_ = (PUT)) <= 0) {                         \
				if (kb_rc_ < 0)                                 \
					return -1;                              \
				kb_relax();                                     \
			}                                                       \
		}                                                               \
		return 0;                                                       \
	} while (0)

/* Consumer, one item per call: GET dequeues into v (a T); the checks go
 * to *out. */
#define KB_CONSUME_EACH(events, wl, T, v, GET, out)                             \
	do {                                                                    \
		struct kb_check kb_c_ = kb_check_start();                       \
		for (; kb_c_.count < (events); kb_c_.count++) {                 \
			T v;                                                    \
			int kb_rc_;                                             \
			while ((kb_rc_ = (GET)) <= 0) {                         \
				if (kb_rc_ < 0)                                 \
					return -1;                              \
				kb_relax();                                     \
			}                                                       \
			kb_item_take(&kb_c_, (wl), (const uint64_t *)&v);       \
		}                                                               \
		*(out) = kb_c_;                                                 \
		return 0;                                                       \
	} while (0)

/* Producer of batches in place: CLAIM reserves up to want slots (n of
 * them), USE fills them from the generator g (kb_fill_n) and publishes. */
#define KB_PRODUCE_BATCH(events, batch, g, want, n, CLAIM, USE)                 \
	do {                                                                    \
		struct kb_gen g = kb_gen_start();                               \
		for (uint64_t kb_left_ = (events); kb_left_;) {                 \
			uint64_t want = kb_left_ < (batch) ? kb_left_ : (batch); \
			int64_t n = (CLAIM);                                    \
			if (n <= 0) {                                           \
				if (n < 0)                                      \
					return -1;                              \
				kb_relax();                                     \
				continue;                                       \
			}                                                       \
			USE;                                                    \
			kb_left_ -= (uint64_t)n;                                \
		}                                                               \
		return 0;                                                       \
	} while (0)

/* Producer through a buffer: up to @p batch items of the workload are
 * written into buf (n of them), then PUSH enqueues those from done on
 * (how many it took; 0 when full) until all n are in. */
#define KB_PRODUCE_COPY(events, batch, wl, nw, buf, done, n, PUSH)              \
	do {                                                                    \
		struct kb_gen kb_g_ = kb_gen_start();                           \
		for (uint64_t kb_left_ = (events); kb_left_;) {                 \
			uint64_t n = kb_left_ < (batch) ? kb_left_ : (batch);   \
			kb_fill_n(&kb_g_, (wl), (nw), (buf), n);                \
			for (uint64_t done = 0; done < n;) {                    \
				int64_t kb_k_ = (PUSH);                         \
				if (kb_k_ < 0)                                  \
					return -1;                              \
				if (kb_k_ == 0)                                 \
					kb_relax();                             \
				done += (uint64_t)kb_k_;                        \
			}                                                       \
			kb_left_ -= n;                                          \
		}                                                               \
		return 0;                                                       \
	} while (0)

/* Consumer of batches: TAKE gets up to want items (n of them), in place
 * or copied out; USE checks them into c (kb_take_n) and gives them back.
 * The checks go to *out. */
#define KB_CONSUME_BATCH(events, batch, out, c, want, n, TAKE, USE)             \
	do {                                                                    \
		struct kb_check c = kb_check_start();                           \
		while (c.count < (events)) {                                    \
			uint64_t want = (events) - c.count < (batch)            \
					       ? (events) - c.count             \
					       : (batch);                       \
			int64_t n = (TAKE);                                     \
			if (n <= 0) {                                           \
				if (n < 0)                                      \
					return -1;                              \
				kb_relax();                                     \
				continue;                                       \
			}                                                       \
			USE;                                                    \
			c.count += (uint64_t)n;                                 \
		}                                                               \
		*(out) = c;                                                     \
		return 0;                                                       \
	} while (0)

/* One (workload, words per slot) of KB_BY_WORKLOAD: SIDE's instantiation
 * where the adapter implements it (OK, a constant), else -1, with nothing
 * built for it. */
#define KB_WL_SIDE(OK, SIDE, wl, nw) ((OK(wl, nw)) ? SIDE(wl, nw) : -1)

/* Return SIDE(wl, nw) with the spec's workload and words per slot as
 * constants (SIDE: the adapter's macro naming its instantiation for
 * them) where OK(wl, nw) holds (the adapter's macro saying, as a
 * constant, which combinations it implements; KB_ANY_WORKLOAD: all);
 * -1 for any other, as for a workload it does not know: its supports()
 * keeps such cases from running, and one that gets here fails. */
#define KB_ANY_WORKLOAD(wl, nw) 1
#define KB_BY_WORKLOAD(s, OK, SIDE)                                             \
	do {                                                                    \
		switch ((s)->workload) {                                        \
		case KB_BATCH_SUM:                                              \
			return KB_WL_SIDE(OK, SIDE, KB_BATCH_SUM, 1);           \
		case KB_BATCH_UNTOUCHED:                                        \
			return KB_WL_SIDE(OK, SIDE, KB_BATCH_UNTOUCHED, 1);     \
		case KB_PER_EVENT:                                              \
			return KB_WL_SIDE(OK, SIDE, KB_PER_EVENT, 1);           \
		case KB_PER_EVENT_DEFERRED:                                     \
			return KB_WL_SIDE(OK, SIDE, KB_PER_EVENT_DEFERRED, 1);  \
		case KB_TRACE:                                                  \
			if ((s)->slot_bytes == 8)                               \
				return KB_WL_SIDE(OK, SIDE, KB_TRACE, 1);       \
			if ((s)->slot_bytes == 32)                              \
				return KB_WL_SIDE(OK, SIDE, KB_TRACE, 4);       \
			return KB_WL_SIDE(OK, SIDE, KB_TRACE, 8);               \
		}                                                               \
		return -1;                                                      \
	} while (0)

/* ---- adapters ---------------------------------------------------------- */

/*
 * One implementation under test. open() allocates a queue for the spec
 * (outside any timed region), produce()/consume() run one side of one run
 * of @p events on it (each with its own loops: no indirect call per event),
 * close() frees it. consume() stores its kb_check in @p out. produce and
 * consume return 0, or -1 after printing an error (an API call failed).
 * supports() says whether the workload fits the implementation's API.
 */
struct kb_adapter {
	const char *name; /* as used in case ids: peer/<name>/<case> */
	int (*supports)(const struct kb_spec *s);
	/* a remark on how it runs this spec, or NULL; after open() */
	const char *(*note)(void *q, const struct kb_spec *s);
	void *(*open)(const struct kb_spec *s);
	void (*close)(void *q);
	int (*produce)(void *q, const struct kb_spec *s, uint64_t events);
	int (*consume)(void *q, const struct kb_spec *s, uint64_t events,
		       struct kb_check *out);
};

#ifdef __cplusplus
}
#endif

#endif /* KAOS_BENCH_WORKLOAD_H */
