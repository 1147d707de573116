/* SPDX-License-Identifier: MIT */
/*
 * The per-value work of the multi-producer / multi-consumer benchmarks
 * (bench_patterns), shared by kaos and every peer adapter so that all of
 * them run identical producer and consumer code around their own
 * enqueue/dequeue calls; also the wait policy and the stop rule that every
 * implementation follows. Plain C that also compiles as C++ (the Boost and
 * moodycamel adapters); nothing here touches a queue.
 *
 * Values: 8 bytes, tagged. Bits 0..47 hold the producer's sequence (1, 2,
 * 3, ...), bits 48..55 the producer's id, bits 56..63 the pipeline stage
 * that last wrote the value (0: the producer).
 *
 * Consumer checks, per consumer and per producer id: sequences strictly
 * increasing (each consumer sees each producer's events in order), and the
 * count, sum and sum of squares of the sequences. kb_mq_verify() then
 * requires, per producer, exactly the events it produced: summed over the
 * consumers when each event goes to one consumer, for every consumer when
 * each sees all (broadcast, pipeline).
 *
 * Waiting when full or empty: kb_mq_backoff(), a CPU pause, and
 * sched_yield() after KB_MQ_YIELD_AFTER failed attempts in a row, so that
 * threads sharing a CPU (more threads than cores) make progress.
 *
 * Stopping when events go to one of several consumers: a consumer does not
 * know how many it gets. It adds its count to a shared counter only when it
 * finds the queue empty (kb_mq_empty()), and stops once the counter has
 * reached the total; so the counter costs nothing while events flow.
 *
 * A run that exceeds the harness's time cap (an implementation whose
 * throughput collapses when threads outnumber cores) is stopped: every
 * thread checks a read-mostly flag once per queue call (and producers on
 * each failed attempt) and leaves; the rate is of the events consumed in
 * the run; the main thread then drains what is left (untimed) so that the
 * verification stays exact.
 */
#ifndef KAOS_BENCH_MQ_WORKLOAD_H
#define KAOS_BENCH_MQ_WORKLOAD_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workload.h" /* KB_UNLIKELY, KB_INLINE, kb_relax */

#ifdef __cplusplus
extern "C" {
#endif

/* Every ring of the patterns cases has this many slots (ck_ring and
 * rte_ring keep one free; Boost's queue holds at most 65534), and batches
 * are of up to KB_MQ_BATCH events. */
#define KB_MQ_SLOTS 65536
#define KB_MQ_BATCH 64
#define KB_MQ_MAX_PRODUCERS 8
#define KB_MQ_MAX_CONSUMERS 8
/* Failed attempts (full or empty) before a thread yields its CPU. */
#define KB_MQ_YIELD_AFTER 64

#define KB_MQ_SEQ_BITS 48
#define KB_MQ_SEQ_MASK (((uint64_t)1 << KB_MQ_SEQ_BITS) - 1)
#define KB_MQ_STAGE_SHIFT 56
#define KB_MQ_STAGE_ONE ((uint64_t)1 << KB_MQ_STAGE_SHIFT)

/* How events travel. */
enum kb_mq_shape {
	KB_MQ_MPSC, /* producers -> one consumer */
	KB_MQ_SPMC, /* one producer -> consumers, each event to one */
	KB_MQ_MPMC, /* producers -> consumers, each event to one */
};

/* One case's parameters, as every adapter sees them. */
struct kb_mq_spec {
	enum kb_mq_shape shape;
	unsigned producers; /* 1..KB_MQ_MAX_PRODUCERS */
	unsigned consumers; /* 1..KB_MQ_MAX_CONSUMERS */
	uint64_t capacity;  /* slots asked for: KB_MQ_SLOTS */
	unsigned batch;     /* 1: per-event API; else up to this many a call */
};

/* ---- wait policy ----------------------------------------------------------- */

/* Called after a failed attempt; *fails counts them and is reset by the
 * caller after a success. */
static inline void
kb_mq_backoff(unsigned *fails)
{
	if (++*fails < KB_MQ_YIELD_AFTER) {
		kb_relax();
	} else {
		*fails = 0;
		sched_yield();
	}
}

/* ---- run control -------------------------------------------------------------- */

/* Shared by the threads of one run. consumed is written by consumers that
 * found the queue empty; stop is read by every thread once per queue call
 * and written once, when a run exceeds its time cap; produced is written
 * once per producer, at its end. Each on its own lines. Atomics through the
 * __atomic builtins (this header is also C++). */
struct kb_mq_ctl {
	alignas(128) uint64_t consumed;
	alignas(128) uint64_t stop;
	alignas(128) uint64_t produced[KB_MQ_MAX_PRODUCERS];
};

static inline void
kb_mq_ctl_reset(struct kb_mq_ctl *ctl)
{
	memset(ctl, 0, sizeof(*ctl));
}

/* Ask every thread to stop (the harness's time cap); relaxed: they see it
 * soon enough, and nothing else rides on it. */
static inline void
kb_mq_ctl_stop(struct kb_mq_ctl *ctl)
{
	__atomic_store_n(&ctl->stop, 1, __ATOMIC_RELAXED);
}

static inline int
kb_mq_stopped(const struct kb_mq_ctl *ctl)
{
	return KB_UNLIKELY(__atomic_load_n(&ctl->stop, __ATOMIC_RELAXED) != 0);
}

/* ---- producer side ------------------------------------------------------------ */

/* A producer's state: its tag and next sequence. */
struct kb_mq_gen {
	uint64_t tag; /* id << 48 */
	uint64_t seq; /* 1, 2, 3, ... */
	struct kb_mq_ctl *ctl;
};

static inline struct kb_mq_gen
kb_mq_gen_start(unsigned producer, struct kb_mq_ctl *ctl)
{
	struct kb_mq_gen g = { (uint64_t)producer << KB_MQ_SEQ_BITS, 1, ctl };
	return g;
}

static inline uint64_t
kb_mq_next(struct kb_mq_gen *g)
{
	return g->tag | g->seq++;
}

static inline void
kb_mq_fill(struct kb_mq_gen *g, uint64_t *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		v[i] = kb_mq_next(g);
}

/* Checked before each enqueue call (one per event or per batch): 0 when
 * the run was asked to stop. */
static inline int
kb_mq_go(const struct kb_mq_gen *g)
{
	return !kb_mq_stopped(g->ctl);
}

/* An enqueue failed (full): wait a bit and return 1, or return 0 if the run
 * was stopped, and the producer gives up what it has in hand. */
static inline int
kb_mq_retry(const struct kb_mq_gen *g, unsigned *fails)
{
	if (kb_mq_stopped(g->ctl))
		return 0;
	kb_mq_backoff(fails);
	return 1;
}

/* The producer is done; the last @p unsent values it generated were not
 * enqueued (given up at a stop). */
static inline void
kb_mq_gen_end(const struct kb_mq_gen *g, uint64_t unsent)
{
	g->ctl->produced[g->tag >> KB_MQ_SEQ_BITS] = g->seq - 1 - unsent;
}

/* ---- consumer side ------------------------------------------------------------ */

/* A consumer's checks. Kept in a local variable during the run. */
struct kb_mq_check {
	uint64_t count;     /* events consumed */
	uint64_t bad;       /* values out of order, of a foreign producer id,
			     * or of the wrong pipeline stage */
	uint64_t bad_value; /* the first of them */
	uint64_t bad_prev;  /* the sequence seen before it from that producer */
	uint64_t last[KB_MQ_MAX_PRODUCERS]; /* last sequence per producer */
	uint64_t n[KB_MQ_MAX_PRODUCERS];
	uint64_t sum[KB_MQ_MAX_PRODUCERS];
	uint64_t sumsq[KB_MQ_MAX_PRODUCERS]; /* modulo 2^64 */
};

static inline struct kb_mq_check
kb_mq_check_start(void)
{
	struct kb_mq_check c;
	memset(&c, 0, sizeof(c));
	return c;
}

static inline void
kb_mq_bad(struct kb_mq_check *c, uint64_t v, uint64_t prev)
{
	if (c->bad++ == 0) {
		c->bad_value = v;
		c->bad_prev = prev;
	}
}

/* Check one value (stage bits must be 0). */
static inline void
kb_mq_take(struct kb_mq_check *c, uint64_t v)
{
	uint64_t p = v >> KB_MQ_SEQ_BITS;
	uint64_t s = v & KB_MQ_SEQ_MASK;
	if (KB_UNLIKELY(p >= KB_MQ_MAX_PRODUCERS)) {
		kb_mq_bad(c, v, 0);
		return;
	}
	if (KB_UNLIKELY(s <= c->last[p]))
		kb_mq_bad(c, v, c->last[p]);
	c->last[p] = s;
	c->n[p]++;
	c->sum[p] += s;
	c->sumsq[p] += s * s;
}

static inline void
kb_mq_take_n(struct kb_mq_check *c, const uint64_t *v, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		kb_mq_take(c, v[i]);
}

/* Pipeline stage @p stage (0, 1, 2, ...): the value must come from the
 * stage before (its stage bits equal @p stage); check it and return it
 * marked as passed by this stage, for the next one. */
static inline uint64_t
kb_mq_stage(struct kb_mq_check *c, uint64_t v, unsigned stage)
{
	if (KB_UNLIKELY(v >> KB_MQ_STAGE_SHIFT != stage))
		kb_mq_bad(c, v, 0);
	kb_mq_take(c, v & ((uint64_t)-1 >> (64 - KB_MQ_STAGE_SHIFT)));
	return v + KB_MQ_STAGE_ONE;
}

/* ---- stopping ---------------------------------------------------------------- */

/* A consumer's stop rule. */
struct kb_mq_wait {
	struct kb_mq_ctl *ctl;
	uint64_t target;  /* the run's events */
	int shared;       /* events go to one of several consumers: count in
			   * ctl->consumed; else this consumer's own count */
	uint64_t flushed; /* count already added to ctl->consumed */
	unsigned fails;   /* kb_mq_backoff() */
	uint64_t idle;    /* empty polls so far */
	uint64_t idle_limit; /* give up after this many (drains); 0: never */
};

static inline struct kb_mq_wait
kb_mq_wait_start(struct kb_mq_ctl *ctl, uint64_t target, int shared)
{
	struct kb_mq_wait w = { ctl, target, shared, 0, 0, 0, 0 };
	return w;
}

/* After taking events: 1 when this consumer is done (own count reached)
 * or the run was stopped. */
static inline int
kb_mq_enough(const struct kb_mq_wait *w, uint64_t count)
{
	return (!w->shared && count >= w->target) || kb_mq_stopped(w->ctl);
}

/* The queue looked empty: 1 when this consumer is done, else wait a bit.
 * Relaxed counter: it only decides when to stop; the checks reach the
 * main thread through pthread_join(). */
static inline int
kb_mq_empty(struct kb_mq_wait *w, uint64_t count)
{
	struct kb_mq_ctl *ctl = w->ctl;
	if (w->shared && count != w->flushed) {
		__atomic_fetch_add(&ctl->consumed, count - w->flushed,
				   __ATOMIC_RELAXED);
		w->flushed = count;
	}
	uint64_t have = w->shared ? __atomic_load_n(&ctl->consumed, __ATOMIC_RELAXED)
				  : count;
	if (have >= w->target || kb_mq_stopped(ctl))
		return 1;
	if (w->idle_limit && ++w->idle >= w->idle_limit)
		return 1;
	kb_mq_backoff(&w->fails);
	return 0;
}

/* ---- verification ------------------------------------------------------------ */

/* sum and sum of squares of 1..n, modulo 2^64 like the running sums */
static inline uint64_t
kb_mq_sum_to(uint64_t n)
{
	return n % 2 == 0 ? n / 2 * (n + 1) : (n + 1) / 2 * n;
}

static inline uint64_t
kb_mq_sumsq_to(uint64_t n)
{
	unsigned __int128 x = (unsigned __int128)n * (n + 1) * (2 * n + 1) / 6;
	return (uint64_t)x;
}

/* Judge a run: the checks of @p nc consumers (plus, after a stop, one of
 * the leftovers drained afterwards), @p np producers that were to produce
 * @p planned events each and produced ctl->produced[]. @p each_all: every
 * consumer sees every event; after a stop each must have seen exactly the
 * first n of each producer's. Otherwise the consumers together must have
 * seen exactly what each producer produced. 0, or -1 with the first
 * problem in @p msg. */
static inline int
kb_mq_verify(const struct kb_mq_check *c, unsigned nc, unsigned np,
	     const struct kb_mq_ctl *ctl, uint64_t planned, int each_all,
	     char *msg, size_t len)
{
	for (unsigned p = 0; p < np; p++) {
		if (ctl->produced[p] > planned ||
		    (!ctl->stop && ctl->produced[p] != planned)) {
			snprintf(msg, len, "producer %u produced %llu of %llu events",
				 p, (unsigned long long)ctl->produced[p],
				 (unsigned long long)planned);
			return -1;
		}
	}
	for (unsigned k = 0; k < nc; k++) {
		if (c[k].bad) {
			snprintf(msg, len,
				 "consumer %u: %llu bad values; the first: producer "
				 "%llu, stage %llu, sequence %llu after %llu",
				 k, (unsigned long long)c[k].bad,
				 (unsigned long long)(c[k].bad_value >> KB_MQ_SEQ_BITS & 0xff),
				 (unsigned long long)(c[k].bad_value >> KB_MQ_STAGE_SHIFT),
				 (unsigned long long)(c[k].bad_value & KB_MQ_SEQ_MASK),
				 (unsigned long long)c[k].bad_prev);
			return -1;
		}
		for (unsigned p = np; p < KB_MQ_MAX_PRODUCERS; p++)
			if (c[k].n[p]) {
				snprintf(msg, len, "consumer %u saw events of "
					 "producer %u, which does not exist", k, p);
				return -1;
			}
	}
	for (unsigned p = 0; p < np; p++) {
		uint64_t produced = ctl->produced[p];
		uint64_t n = 0, sum = 0, sq = 0;
		for (unsigned k = 0; k < nc; k++) {
			uint64_t nk = c[k].n[p];
			n += nk;
			sum += c[k].sum[p];
			sq += c[k].sumsq[p];
			if (each_all && (nk > produced || (!ctl->stop && nk != produced) ||
					 c[k].sum[p] != kb_mq_sum_to(nk) ||
					 c[k].sumsq[p] != kb_mq_sumsq_to(nk))) {
				snprintf(msg, len,
					 "consumer %u saw %llu events of producer %u "
					 "(of %llu), not exactly the first ones",
					 k, (unsigned long long)nk, p,
					 (unsigned long long)produced);
				return -1;
			}
		}
		if (!each_all && (n != produced || sum != kb_mq_sum_to(produced) ||
				  sq != kb_mq_sumsq_to(produced))) {
			snprintf(msg, len,
				 "producer %u: %llu events consumed, %llu produced%s",
				 p, (unsigned long long)n, (unsigned long long)produced,
				 n == produced ? ", but not the ones produced" : "");
			return -1;
		}
	}
	return 0;
}

/* ---- loop templates ------------------------------------------------------------ */

/*
 * The loops of one side of a run, shared by kaos and every peer, as
 * bench/workload.h's templates: the adapter passes its own queue call as
 * an expression, DONE (or a count: CLAIM, TAKE) true when it did its work,
 * false when the queue was full or empty, and then IF_FAILED, a statement
 * that returns from the adapter's function if it failed instead
 * (KB_NO_FAILURE: it cannot); DECL declares what one batch call needs,
 * anew for each (KB_NO_DECL: nothing). The variables named in the
 * arguments (v, n, want) are declared by the template for the expressions
 * to use; n has the type of its call. Each loop is the hand-written one it
 * replaced, token for token, and compiles to the same blocks.
 *
 * KB_MQ_PUT_... and KB_MQ_TAKE_... are the loops alone, on the adapter's
 * generator g (with its count of failed attempts, fails, and unsent) or
 * checks c; KB_MQ_PRODUCE_EACH and KB_MQ_CONSUME_EACH the rest of the
 * adapter's function, with their own (ending the generator, storing the
 * checks in *out, returning 0).
 */

/* Producer, one event per call: DONE enqueues the uint64_t v, the next of
 * g; unsent is set to 1 if the run was stopped with v in hand. */
#define KB_MQ_PUT_EACH(g, fails, unsent, events, v, DONE, IF_FAILED)          \
	do {                                                                    \
		for (uint64_t kb_i_ = 0; kb_i_ < (events) && kb_mq_go(&(g));   \
		     kb_i_++) {                                                 \
			uint64_t v = kb_mq_next(&(g));                          \
			while (!(DONE)) {                                       \
				IF_FAILED;                                      \
				if (!kb_mq_retry(&(g), &(fails))) {             \
					(unsent) = 1;                           \
					break;                                  \
				}                                               \
			}                                                       \
			if (unsent)                                             \
				break;                                          \
			(fails) = 0;                                            \
		}                                                               \
	} while (0)

/* Producer, batches written in place: CLAIM reserves up to want slots (n
 * of them), USE fills them from g and publishes. */
#define KB_MQ_PUT_CLAIMS(g, fails, events, batch, want, n, DECL, CLAIM,        \
			 IF_FAILED, USE)                                        \
	do {                                                                    \
		for (uint64_t kb_left_ = (events); kb_left_ && kb_mq_go(&(g));) { \
			DECL;                                                   \
			uint64_t want = kb_left_ < (batch) ? kb_left_ : (batch); \
			KB_TYPEOF(CLAIM) n = (CLAIM);                           \
			if (n <= 0) {                                           \
				IF_FAILED;                                      \
				if (!kb_mq_retry(&(g), &(fails)))               \
					break;                                  \
				continue;                                       \
			}                                                       \
			(fails) = 0;                                            \
			USE;                                                    \
			kb_left_ -= (uint64_t)n;                                \
		}                                                               \
	} while (0)

/* Consumer under the stop rule @p w, one event per call: DONE dequeues
 * into the uint64_t v, checked into c. */
#define KB_MQ_TAKE_EACH(w, c, v, DONE, IF_FAILED)                              \
	do {                                                                    \
		for (;;) {                                                      \
			uint64_t v;                                             \
			if (!(DONE)) {                                          \
				IF_FAILED;                                      \
				if (kb_mq_empty(&(w), (c).count))               \
					break;                                  \
				continue;                                       \
			}                                                       \
			(w).fails = 0;                                          \
			kb_mq_take(&(c), v);                                    \
			(c).count++;                                            \
			if (kb_mq_enough(&(w), (c).count))                      \
				break;                                          \
		}                                                               \
	} while (0)

/* Consumer, up to a batch per call: TAKE gets n events, USE checks them
 * into c (kb_mq_take_n, or a pipeline stage) and gives them back. */
#define KB_MQ_TAKE_BATCHES(w, c, n, DECL, TAKE, IF_FAILED, USE)                \
	do {                                                                    \
		for (;;) {                                                      \
			DECL;                                                   \
			KB_TYPEOF(TAKE) n = (TAKE);                             \
			if (n <= 0) {                                           \
				IF_FAILED;                                      \
				if (kb_mq_empty(&(w), (c).count))               \
					break;                                  \
				continue;                                       \
			}                                                       \
			(w).fails = 0;                                          \
			USE;                                                    \
			(c).count += (uint64_t)n;                               \
			if (kb_mq_enough(&(w), (c).count))                      \
				break;                                          \
		}                                                               \
	} while (0)

/* The same as the rest of a function: producer @p id of up to @p events,
 * a consumer with its checks stored in *out. */
#define KB_MQ_PRODUCE_EACH(id, events, ctl, v, DONE, IF_FAILED)                \
	do {                                                                    \
		struct kb_mq_gen kb_g_ = kb_mq_gen_start((id), (ctl));          \
		unsigned kb_fails_ = 0;                                         \
		uint64_t kb_unsent_ = 0;                                        \
		KB_MQ_PUT_EACH(kb_g_, kb_fails_, kb_unsent_, events, v, DONE,   \
			       IF_FAILED);                                      \
		kb_mq_gen_end(&kb_g_, kb_unsent_);                              \
		return 0;                                                       \
	} while (0)

#define KB_MQ_CONSUME_EACH(w, out, v, DONE, IF_FAILED)                         \
	do {                                                                    \
		struct kb_mq_check kb_c_ = kb_mq_check_start();                 \
		KB_MQ_TAKE_EACH(w, kb_c_, v, DONE, IF_FAILED);                  \
		*(out) = kb_c_;                                                 \
		return 0;                                                       \
	} while (0)

/* ---- adapters ------------------------------------------------------------------ */

/*
 * One implementation of the MPSC / SPMC / MPMC shapes. open() makes a queue
 * for the spec (outside any timed region; per-thread tokens included),
 * produce() runs producer @p id (0-based) for up to @p events (it checks
 * kb_mq_go() before each enqueue call, kb_mq_retry() after a failed one,
 * and ends with kb_mq_gen_end()), consume() runs consumer @p id under the
 * stop rule @p w (kb_mq_enough() after each take, kb_mq_empty() when it
 * finds nothing) and stores its checks in @p out: the loop templates above
 * do all of that. Each has its own loops: no indirect call per event.
 * produce and consume return 0, or -1 after printing an error.
 */
typedef int kb_mq_produce_fn(void *q, const struct kb_mq_spec *s, unsigned id,
			     uint64_t events, struct kb_mq_ctl *ctl);
typedef int kb_mq_consume_fn(void *q, const struct kb_mq_spec *s, unsigned id,
			     struct kb_mq_wait w, struct kb_mq_check *out);

struct kb_mq_adapter {
	const char *name; /* as in case ids: peer/<name>/<case> */
	int (*supports)(const struct kb_mq_spec *s);
	const char *(*note)(const struct kb_mq_spec *s); /* or NULL */
	void *(*open)(const struct kb_mq_spec *s);
	void (*close)(void *q);
	kb_mq_produce_fn *produce;
	kb_mq_consume_fn *consume;
};

#ifdef __cplusplus
}
#endif

#endif /* KAOS_BENCH_MQ_WORKLOAD_H */
