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

/* The type of an expression (not evaluated): a count's, in the loop
 * templates. GCC and clang, also in C11 and C++17. */
#define KB_TYPEOF(x) __typeof__(x)

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

/* The workload and the words per slot are constants at every use (as
 * KB_BY_WORKLOAD makes them). These are macros, not inline functions, so
 * that each folds to its one case where it stands, as the hand-written
 * loops' own if/else did (an inline function in between compiled to other
 * blocks). */

/* One event per call, checked in order. */
#define KB_PER_EVENT_WL(wl)                                                     \
	((wl) == KB_PER_EVENT || (wl) == KB_PER_EVENT_DEFERRED)

/* Write the next item into the slot of @p nw words at w (uint64_t *). */
#define KB_ITEM_PUT(g, wl, nw, w)                                               \
	((wl) == KB_TRACE ? kb_put_trace((g), (w), (nw))                        \
			  : (void)(*(w) = kb_next_value(g)))

/* Check the item at w (const uint64_t *): per event its order, else its
 * value or trace type. */
#define KB_ITEM_TAKE(c, wl, w)                                                  \
	((wl) == KB_TRACE      ? kb_take_trace((c), (w)[0])                     \
	 : KB_PER_EVENT_WL(wl) ? kb_take_in_order((c), (w)[0])                  \
			       : kb_take_sum((c), (w)[0]))

/* Fill @p n slots of @p nw words (an untouched batch: nothing). */
#define KB_FILL_N(g, wl, nw, slots, n)                                          \
	((wl) == KB_TRACE             ? kb_fill_trace((g), (slots), (n), (nw))  \
	 : (wl) != KB_BATCH_UNTOUCHED ? kb_fill_values((g), (uint64_t *)(slots), \
						       (n))                     \
				      : (void)0)

/* Per event, @p n consecutive values at v, each the next in order (values
 * in batches that must arrive in order: bench_ipc). A statement, its index
 * of n's type. */
#define KB_TAKE_IN_ORDER(c, v, n)                                               \
	for (KB_TYPEOF(n) kb_j_ = 0; kb_j_ < (n); kb_j_++)                     \
		kb_take_in_order((c), (v)[kb_j_])

static inline void
kb_take_in_order_n(struct kb_check *c, const uint64_t *v, uint64_t n)
{
	KB_TAKE_IN_ORDER(c, v, n);
}

/* Check @p n slots: summed, counted by type, in order, or untouched. */
#define KB_TAKE_N(c, wl, nw, slots, n)                                          \
	((wl) == KB_TRACE ? kb_take_trace_n((c), (slots), (n), (nw))            \
	 : KB_PER_EVENT_WL(wl)                                                  \
		 ? kb_take_in_order_n((c), (const uint64_t *)(slots), (n))      \
	 : (wl) == KB_BATCH_SUM                                                 \
		 ? kb_take_sum_n((c), (const uint64_t *)(slots), (n))           \
		 : (void)0)

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
 * bench_ipc's rings, bench/ipc_workload.h). Each runs the side to exactly
 * @p events, spinning (kb_relax) while the queue is full or empty. The
 * adapter passes its own queue call as an expression, so each expansion is
 * its own loop with the call inlined (no indirect call per event):
 *
 *   DONE (or a count: CLAIM, TAKE, PUSH)  true (> 0) when the call did its
 *             work, false (0) when the queue was full or empty (for a call
 *             that waits itself: `(call, 1)`, or true unless it failed),
 *   IF_FAILED a statement that returns from the adapter's function if the
 *             call failed instead: `if (rc != -KAOS_EFULL) return
 *             kaos_fail(...)`; KB_NO_FAILURE for a call that cannot fail;
 *             `return -1` for one that waits itself (false: it failed)
 *   DECL      what one batch call needs, declared anew for each call;
 *             KB_NO_DECL: nothing.
 *
 * The status of a call that can fail is kept in a variable the adapter
 * declares (DONE assigns it, IF_FAILED reads it), or in the count n. The
 * variables named in the arguments (v, n, want, done, k) are declared by
 * the template for the expressions to use; a count has the type of its
 * call (n, k), want is WT, the copy loop's n and done are NT.
 *
 * So each loop is, token for token, the hand-written loop it replaced,
 * and compiles to the same blocks in the same order (gcc 12 -O3, compared
 * by disassembly). Close is not enough: a three-way result (> 0, 0, < 0)
 * tested in the template with a `return -1` after it, a failure test the
 * call cannot have, even a dead `if (0) return -1`, an inline function for
 * the workload's if/else, or a declaration moved out of the loop each gave
 * the same instructions in other blocks, and gcc laid the hot path out
 * differently (core/per_event's consumer: the loop rotated to end at the
 * ring's wake-up test, not at the count).
 *
 * KB_PUT_... and KB_TAKE_... are the loops alone, on the adapter's
 * generator g or checks c (for a function that does more around them);
 * KB_PRODUCE_... and KB_CONSUME_... are the rest of the adapter's
 * function: the loop with its own generator or checks, storing those in
 * *out, returning 0.
 */
#define KB_NO_FAILURE
#define KB_NO_DECL

/* One item per call: DONE enqueues v, a T holding the next value or trace
 * record of @p nw words from g. */
#define KB_PUT_EACH(g, events, wl, nw, T, v, DONE, IF_FAILED)                  \
	do {                                                                    \
		for (uint64_t kb_i_ = 0; kb_i_ < (events); kb_i_++) {          \
			T v;                                                    \
			KB_ITEM_PUT(&(g), (wl), (nw), (uint64_t *)&v);          \
			while (!(DONE)) {                                       \
				IF_FAILED;                                      \
				kb_relax();                                     \
			}                                                       \
		}                                                               \
	} while (0)

/* One item per call: DONE dequeues into v (a T), checked into c. */
#define KB_TAKE_EACH(c, events, wl, T, v, DONE, IF_FAILED)                     \
	do {                                                                    \
		for (; (c).count < (events); (c).count++) {                     \
			T v;                                                    \
			while (!(DONE)) {                                       \
				IF_FAILED;                                      \
				kb_relax();                                     \
			}                                                       \
			KB_ITEM_TAKE(&(c), (wl), (const uint64_t *)&v);         \
		}                                                               \
	} while (0)

/* Batches in place: CLAIM reserves up to want slots (n of them), USE fills
 * them from g (KB_FILL_N) and publishes. */
#define KB_PUT_BATCHES(g, events, batch, WT, want, n, DECL, CLAIM, IF_FAILED,  \
		       USE)                                                     \
	do {                                                                    \
		for (uint64_t kb_left_ = (events); kb_left_;) {                 \
			DECL;                                                   \
			WT want = (WT)(kb_left_ < (batch) ? kb_left_ : (batch)); \
			KB_TYPEOF(CLAIM) n = (CLAIM);                           \
			if (n <= 0) {                                           \
				IF_FAILED;                                      \
				kb_relax();                                     \
				continue;                                       \
			}                                                       \
			USE;                                                    \
			kb_left_ -= (uint64_t)n;                                \
		}                                                               \
	} while (0)

/* Through a buffer: up to @p batch items of the workload are written from
 * g into buf (n of them), then PUSH enqueues those from done on (k of
 * them: 0 when full) until all n are in. */
#define KB_PUT_COPIES(g, events, batch, wl, nw, buf, NT, done, n, k, PUSH,      \
		      IF_FAILED)                                                \
	do {                                                                    \
		for (uint64_t kb_left_ = (events); kb_left_;) {                 \
			NT n = (NT)(kb_left_ < (batch) ? kb_left_ : (batch));   \
			KB_FILL_N(&(g), (wl), (nw), (buf), n);                  \
			for (NT done = 0; done < n;) {                          \
				KB_TYPEOF(PUSH) k = (PUSH);                     \
				IF_FAILED;                                      \
				if (k == 0)                                     \
					kb_relax();                             \
				done += (NT)k;                                  \
			}                                                       \
			kb_left_ -= n;                                          \
		}                                                               \
	} while (0)

/* Batches: TAKE gets up to want items (n of them), in place or copied
 * out; USE checks them into c (KB_TAKE_N) and gives them back. */
#define KB_TAKE_BATCHES(c, events, batch, want, n, DECL, TAKE, IF_FAILED, USE)  \
	do {                                                                    \
		while ((c).count < (events)) {                                  \
			DECL;                                                   \
			uint64_t want = (events) - (c).count < (batch)          \
					       ? (events) - (c).count           \
					       : (batch);                       \
			KB_TYPEOF(TAKE) n = (TAKE);                             \
			if (n <= 0) {                                           \
				IF_FAILED;                                      \
				kb_relax();                                     \
				continue;                                       \
			}                                                       \
			USE;                                                    \
			(c).count += (uint64_t)n;                               \
		}                                                               \
	} while (0)

/* The same as the rest of a function: a producer with its own generator
 * (g, where USE names it), a consumer with its own checks (c) stored in
 * *out. */
#define KB_PRODUCE_EACH(events, wl, nw, T, v, DONE, IF_FAILED)                 \
	do {                                                                    \
		struct kb_gen kb_g_ = kb_gen_start();                           \
		KB_PUT_EACH(kb_g_, events, wl, nw, T, v, DONE, IF_FAILED);      \
		return 0;                                                       \
	} while (0)

#define KB_CONSUME_EACH(events, wl, T, v, DONE, IF_FAILED, out)                \
	do {                                                                    \
		struct kb_check kb_c_ = kb_check_start();                       \
		KB_TAKE_EACH(kb_c_, events, wl, T, v, DONE, IF_FAILED);         \
		*(out) = kb_c_;                                                 \
		return 0;                                                       \
	} while (0)

#define KB_PRODUCE_BATCH(events, batch, g, WT, want, n, DECL, CLAIM, IF_FAILED, \
			 USE)                                                   \
	do {                                                                    \
		struct kb_gen g = kb_gen_start();                               \
		KB_PUT_BATCHES(g, events, batch, WT, want, n, DECL, CLAIM,      \
			       IF_FAILED, USE);                                 \
		return 0;                                                       \
	} while (0)

#define KB_PRODUCE_COPY(events, batch, wl, nw, buf, NT, done, n, k, PUSH,       \
			IF_FAILED)                                              \
	do {                                                                    \
		struct kb_gen kb_g_ = kb_gen_start();                           \
		KB_PUT_COPIES(kb_g_, events, batch, wl, nw, buf, NT, done, n, k, \
			      PUSH, IF_FAILED);                                 \
		return 0;                                                       \
	} while (0)

#define KB_CONSUME_BATCH(events, batch, out, c, want, n, DECL, TAKE, IF_FAILED, \
			 USE)                                                   \
	do {                                                                    \
		struct kb_check c = kb_check_start();                           \
		KB_TAKE_BATCHES(c, events, batch, want, n, DECL, TAKE,          \
				IF_FAILED, USE);                                \
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
 * keeps such cases from running, and one that gets here fails.
 * KB_BY_WORKLOAD_CONSUME: for a consumer, to which a deferred publication
 * makes no difference: both per-event workloads are SIDE(KB_PER_EVENT, 1)
 * (one copy of it). For kaos, which implements every workload: an adapter
 * that implements some keeps a switch of its own cases (a case returning
 * -1 changes how gcc weighs the others, and lays their loops out
 * differently). */
#define KB_ANY_WORKLOAD(wl, nw) 1
#define KB_BY_WORKLOAD(s, OK, SIDE) KB_BY_WORKLOAD_(s, OK, SIDE, KB_EVENT_CASES_)
#define KB_BY_WORKLOAD_CONSUME(s, OK, SIDE)                                     \
	KB_BY_WORKLOAD_(s, OK, SIDE, KB_EVENT_CASES_CONSUME_)
#define KB_EVENT_CASES_(OK, SIDE)                                               \
	case KB_PER_EVENT:                                                      \
		return KB_WL_SIDE(OK, SIDE, KB_PER_EVENT, 1);                   \
	case KB_PER_EVENT_DEFERRED:                                             \
		return KB_WL_SIDE(OK, SIDE, KB_PER_EVENT_DEFERRED, 1);
#define KB_EVENT_CASES_CONSUME_(OK, SIDE)                                       \
	case KB_PER_EVENT:                                                      \
	case KB_PER_EVENT_DEFERRED:                                             \
		return KB_WL_SIDE(OK, SIDE, KB_PER_EVENT, 1);
#define KB_BY_WORKLOAD_(s, OK, SIDE, EVENT_CASES)                               \
	do {                                                                    \
		switch ((s)->workload) {                                        \
		case KB_BATCH_SUM:                                              \
			return KB_WL_SIDE(OK, SIDE, KB_BATCH_SUM, 1);           \
		case KB_BATCH_UNTOUCHED:                                        \
			return KB_WL_SIDE(OK, SIDE, KB_BATCH_UNTOUCHED, 1);     \
		EVENT_CASES(OK, SIDE)                                           \
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
