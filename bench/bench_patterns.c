/* SPDX-License-Identifier: MIT */
/*
 * bench_patterns: the multi-producer / multi-consumer rings (kaos/mpsc.h,
 * spmc.h, mpmc.h, broadcast.h), kaos and its peers on the same workloads in
 * the same run.
 *
 *   patterns/<shape>_<P>p<C>c/{batch,event}  P producers, C consumers:
 *       mpsc, spmc, mpmc (each event to one consumer), broadcast (each
 *       consumer sees every event). 8-byte values tagged with the producer
 *       id and a per-producer sequence; every consumer checks per-producer
 *       order, and the run checks count, sum and sum of squares per
 *       producer (bench/mq_workload.h).
 *   patterns/pipeline_3stage/{batch,event}  a broadcast ring, stages
 *       A -> B -> C gated with kaos_bcast_join_after(); each stage checks
 *       and marks every event in place.
 *   <shape>_1p1c/{batch,event}  the cost of generality: each multi ring with one producer
 *       and one consumer next to the SPSC ring (kaos_spsc) on the same work.
 *   mpsc_4p1c, mpmc_4p4c, mpmc_8p8c   more threads than this machine has
 *       cores, with every peer: does throughput collapse?
 *   patterns/claim/...   the claim primitive: a CAS loop against fetch-add
 *       on one shared counter, 2 and 4 threads.
 *
 * Broadcast and pipeline have no peer: the second line is kaos_spsc, one
 * SPSC ring per consumer (fan-out: the producer writes every event into
 * each) or a chain of SPSC rings between the stages (each stage copies).
 *
 * Threads are pinned round-robin over the allowed CPUs in the order P0 P1
 * ... C0 C1 ... (on two CPUs the two threads of one side run on different
 * cores and contend); with more threads than CPUs they share them, and
 * every wait (full or empty) yields after KB_MQ_YIELD_AFTER failed
 * attempts, the same for kaos and every peer. A run that exceeds a time
 * cap (an implementation whose throughput collapses) is stopped, verified
 * and timed on the events it did; the table marks it CAPPED.
 * Run with --help for the options.
 */
#define _GNU_SOURCE /* sched_yield */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/kaos.h>

#include "bench_kaos.h"
#include "harness.h"
#include "mq_workload.h"
#include "peers/peers.h"

#define MAX_THREADS (KB_MQ_MAX_PRODUCERS + KB_MQ_MAX_CONSUMERS)
/* Shared state on lines of its own, in pairs (adjacent-line prefetch). */
#define alloc_lines(size) kb_alloc_lines(128, (size))

/* ---- kaos MPSC / SPMC / MPMC adapter ---------------------------------------- */

/* Typed rings: the slot size is a compile-time constant, so the copies of
 * push and pop inline. */
KAOS_MPSC_DEFINE(kb_kmpsc, uint64_t);
KAOS_SPMC_DEFINE(kb_kspmc, uint64_t);
KAOS_MPMC_DEFINE(kb_kmpmc, uint64_t);

struct kaos_mq {
	struct kb_kmpsc mpsc; /* the one of the spec's shape is created */
	struct kb_kspmc spmc;
	struct kb_kmpmc mpmc;
	enum kb_mq_shape shape;
};

/* One shape's ring: create and destroy. */
#define KQ_SHAPE(sh)                                                            \
	static int kq_create_##sh(struct kaos_mq *q, uint64_t slots)            \
	{                                                                       \
		return kb_k##sh##_create(&q->sh, slots, KAOS_MEM_HEAP);         \
	}                                                                       \
	static void kq_destroy_##sh(struct kaos_mq *q)                          \
	{                                                                       \
		kb_k##sh##_destroy(&q->sh);                                     \
	}
KQ_SHAPE(mpsc)
KQ_SHAPE(spmc)
KQ_SHAPE(mpmc)

/* The ring calls of a shape (a constant at every call site). */
KB_INLINE int
kq_push(struct kaos_mq *q, enum kb_mq_shape sh, const uint64_t *v)
{
	switch (sh) {
	case KB_MQ_MPSC:
		return kb_kmpsc_push(&q->mpsc, v);
	case KB_MQ_SPMC:
		return kb_kspmc_push(&q->spmc, v);
	default:
		return kb_kmpmc_push(&q->mpmc, v);
	}
}

KB_INLINE int
kq_pop(struct kaos_mq *q, enum kb_mq_shape sh, uint64_t *v)
{
	switch (sh) {
	case KB_MQ_MPSC:
		return kb_kmpsc_pop(&q->mpsc, v);
	case KB_MQ_SPMC:
		return kb_kspmc_pop(&q->spmc, v);
	default:
		return kb_kmpmc_pop(&q->mpmc, v);
	}
}

KB_INLINE int64_t
kq_claim(struct kaos_mq *q, enum kb_mq_shape sh, uint64_t n, struct kaos_batch *b)
{
	switch (sh) {
	case KB_MQ_MPSC:
		return kb_kmpsc_claim(&q->mpsc, n, b);
	case KB_MQ_SPMC:
		return kb_kspmc_claim(&q->spmc, n, b);
	default:
		return kb_kmpmc_claim(&q->mpmc, n, b);
	}
}

KB_INLINE void
kq_publish(struct kaos_mq *q, enum kb_mq_shape sh, const struct kaos_batch *b)
{
	switch (sh) {
	case KB_MQ_MPSC:
		kaos_mpsc_publish(kb_kmpsc_ring(&q->mpsc), b);
		break;
	case KB_MQ_SPMC:
		kaos_spmc_publish(kb_kspmc_ring(&q->spmc), b);
		break;
	default:
		kaos_mpmc_publish(kb_kmpmc_ring(&q->mpmc), b);
		break;
	}
}

KB_INLINE int64_t
kq_peek(struct kaos_mq *q, enum kb_mq_shape sh, uint64_t n, struct kaos_batch *b)
{
	switch (sh) {
	case KB_MQ_MPSC:
		return kb_kmpsc_peek(&q->mpsc, n, b);
	case KB_MQ_SPMC:
		return kb_kspmc_peek(&q->spmc, n, b);
	default:
		return kb_kmpmc_peek(&q->mpmc, n, b);
	}
}

KB_INLINE void
kq_release(struct kaos_mq *q, enum kb_mq_shape sh, const struct kaos_batch *b)
{
	switch (sh) {
	case KB_MQ_MPSC:
		kaos_mpsc_release(kb_kmpsc_ring(&q->mpsc), b);
		break;
	case KB_MQ_SPMC:
		kaos_spmc_release(kb_kspmc_ring(&q->spmc), b);
		break;
	default:
		kaos_mpmc_release(kb_kmpmc_ring(&q->mpmc), b);
		break;
	}
}

/* One shape's sides (a constant), in the shared loops
 * (bench/mq_workload.h): push/pop one event, or claim/publish and
 * peek/release up to a batch in place. */
KB_INLINE int
kq_produce_sh(struct kaos_mq *q, enum kb_mq_shape sh, unsigned id,
	      uint64_t events, uint64_t batch, struct kb_mq_ctl *ctl)
{
	struct kb_mq_gen g = kb_mq_gen_start(id, ctl);
	unsigned fails = 0;
	uint64_t unsent = 0;
	if (batch <= 1) {
		int rc;
		KB_MQ_PUT_EACH(g, fails, unsent, events, v,
			       (rc = kq_push(q, sh, &v)) == 0,
			       if (rc != -KAOS_EFULL)
					return kaos_fail("kaos push", rc));
		kb_mq_gen_end(&g, unsent);
		return 0;
	}
	/* Claim up to a batch, write the values in place, publish. */
	KB_MQ_PUT_CLAIMS(g, fails, events, batch, want, n, struct kaos_batch b,
			 kq_claim(q, sh, want, &b),
			 if (n < 0) return kaos_fail("kaos claim", n),
			 (kb_mq_fill(&g, b.slots, (uint64_t)n),
			  kq_publish(q, sh, &b)));
	kb_mq_gen_end(&g, 0);
	return 0;
}

KB_INLINE int
kq_consume_sh(struct kaos_mq *q, enum kb_mq_shape sh, uint64_t batch,
	      struct kb_mq_wait w, struct kb_mq_check *out)
{
	struct kb_mq_check c = kb_mq_check_start();
	if (batch <= 1) {
		int rc;
		KB_MQ_TAKE_EACH(w, c, v, (rc = kq_pop(q, sh, &v)) == 0,
				if (rc != -KAOS_EEMPTY)
					return kaos_fail("kaos pop", rc));
		*out = c;
		return 0;
	}
	/* Take up to a batch in place, check every value, release. */
	KB_MQ_TAKE_BATCHES(w, c, n, struct kaos_batch b, kq_peek(q, sh, batch, &b),
			   if (n < 0) return kaos_fail("kaos peek", n),
			   (kb_mq_take_n(&c, b.slots, (uint64_t)n),
			    kq_release(q, sh, &b)));
	*out = c;
	return 0;
}

static int
kq_produce(void *q, const struct kb_mq_spec *s, unsigned id, uint64_t events,
	   struct kb_mq_ctl *ctl)
{
	switch (s->shape) {
	case KB_MQ_MPSC:
		return kq_produce_sh(q, KB_MQ_MPSC, id, events, s->batch, ctl);
	case KB_MQ_SPMC:
		return kq_produce_sh(q, KB_MQ_SPMC, id, events, s->batch, ctl);
	default:
		return kq_produce_sh(q, KB_MQ_MPMC, id, events, s->batch, ctl);
	}
}

static int
kq_consume(void *q, const struct kb_mq_spec *s, unsigned id, struct kb_mq_wait w,
	   struct kb_mq_check *out)
{
	(void)id;
	switch (s->shape) {
	case KB_MQ_MPSC:
		return kq_consume_sh(q, KB_MQ_MPSC, s->batch, w, out);
	case KB_MQ_SPMC:
		return kq_consume_sh(q, KB_MQ_SPMC, s->batch, w, out);
	default:
		return kq_consume_sh(q, KB_MQ_MPMC, s->batch, w, out);
	}
}

static const struct {
	const char *name;
	int (*create)(struct kaos_mq *q, uint64_t slots);
	void (*destroy)(struct kaos_mq *q);
} kq_rings[] = {
	[KB_MQ_MPSC] = { "kaos_mpsc", kq_create_mpsc, kq_destroy_mpsc },
	[KB_MQ_SPMC] = { "kaos_spmc", kq_create_spmc, kq_destroy_spmc },
	[KB_MQ_MPMC] = { "kaos_mpmc", kq_create_mpmc, kq_destroy_mpmc },
};

static int
kq_supports(const struct kb_mq_spec *s)
{
	(void)s;
	return 1;
}

static const char *
kq_note(const struct kb_mq_spec *s)
{
	static char note[3][2][96];
	char *buf = note[s->shape][s->batch > 1];
	snprintf(buf, sizeof(note[0][0]), "%s; %s", kq_rings[s->shape].name,
		 s->batch > 1 ? "claim/publish, peek/release in place"
			      : "push/pop");
	return buf;
}

static void *
kq_open(const struct kb_mq_spec *s)
{
	struct kaos_mq *q = alloc_lines(sizeof(*q));
	if (!q)
		return NULL;
	q->shape = s->shape;
	int rc = kq_rings[s->shape].create(q, s->capacity);
	if (rc != 0) {
		kaos_fail("kaos ring create", rc);
		free(q);
		return NULL;
	}
	return q;
}

static void
kq_close(void *qv)
{
	struct kaos_mq *q = qv;
	kq_rings[q->shape].destroy(q);
	free(q);
}

static const struct kb_mq_adapter kaos_mq_adapter = {
	"kaos", kq_supports, kq_note, kq_open, kq_close, kq_produce, kq_consume,
};

/* ---- peers ------------------------------------------------------------------ */

static const struct kb_mq_adapter *const peers[] = {
#ifdef KB_HAVE_CONCURRENTQUEUE
	&kb_mq_moodycamel,
#endif
#ifdef KB_HAVE_BOOST
	&kb_mq_boost_queue,
#endif
#ifdef KB_HAVE_CK
	&kb_mq_ck_ring,
#endif
#ifdef KB_HAVE_DPDK
	&kb_mq_rte_ring,
	&kb_mq_rte_ring_rts,
	&kb_mq_rte_ring_hts,
#endif
	NULL,
};
#define N_PEERS (sizeof(peers) / sizeof(peers[0]) - 1)

static void
print_peers(const struct kb_bench *b)
{
	static const char missing[] = ""
#ifndef KB_HAVE_CONCURRENTQUEUE
		" moodycamel"
#endif
#ifndef KB_HAVE_BOOST
		" boost_queue"
#endif
#ifndef KB_HAVE_CK
		" ck_ring"
#endif
#ifndef KB_HAVE_DPDK
		" rte_ring rte_ring_rts rte_ring_hts"
#endif
		;
	KB_PRINT_PEERS(peers, missing);
	if (b->ncpus > 0) {
		printf("  teams     threads pinned round-robin over CPUs");
		for (int i = 0; i < b->ncpus && i < 16; i++)
			printf("%s%d", i ? "," : " ", b->cpus[i]);
		printf("%s in the order P0 P1 ... C0 C1 ...\n",
		       b->ncpus > 16 ? ",..." : "");
		printf("            %d CPUs: a case with more than %d threads is "
		       "oversubscribed; waits yield after %d tries;\n"
		       "            a run is stopped after %.2f s and timed on the "
		       "events it did (CAPPED)\n",
		       b->ncpus, b->ncpus, KB_MQ_YIELD_AFTER, b->team_cap);
	} else {
		printf("  teams     unpinned\n");
	}
	printf("  rings     %d slots of 8 bytes, batches of up to %d\n",
	       KB_MQ_SLOTS, KB_MQ_BATCH);
}

/* ---- an MPSC / SPMC / MPMC team ---------------------------------------------- */

struct mq_team {
	const struct kb_mq_adapter *ad;
	void *q;
	struct kb_mq_spec spec;
	struct kb_mq_ctl *ctl;
	/* thread index -> role: producer id, or KB_MQ_MAX_PRODUCERS + consumer */
	unsigned role[MAX_THREADS];
	unsigned nthreads;
	/* the consumers', then what was drained after a stop */
	struct kb_mq_check check[KB_MQ_MAX_CONSUMERS + 1];
};

/* P0 P1 ... C0 C1 ...: spread over the CPUs round-robin by the harness,
 * so that on two CPUs the two producers (or consumers) of 2p1c, 1p2c and
 * 2p2c run on different cores and really contend; only the shapes with more
 * threads per side than cores put threads of one side on one core. */
static unsigned
layout(unsigned np, unsigned nc, unsigned *role)
{
	unsigned n = 0;
	for (unsigned i = 0; i < np; i++)
		role[n++] = i;
	for (unsigned i = 0; i < nc; i++)
		role[n++] = KB_MQ_MAX_PRODUCERS + i;
	return n;
}

static int
mq_prepare(void *arg, uint64_t events)
{
	struct mq_team *t = arg;
	(void)events;
	kb_mq_ctl_reset(t->ctl);
	memset(t->check, 0, sizeof(t->check));
	return 0;
}

static int
mq_thread(void *arg, unsigned index, uint64_t events)
{
	struct mq_team *t = arg;
	unsigned role = t->role[index];
	if (role < KB_MQ_MAX_PRODUCERS)
		return t->ad->produce(t->q, &t->spec, role,
				      events / t->spec.producers, t->ctl);
	unsigned k = role - KB_MQ_MAX_PRODUCERS;
	/* One consumer knows its count; several share the counter. */
	struct kb_mq_wait w = kb_mq_wait_start(t->ctl, events, t->spec.consumers > 1);
	return t->ad->consume(t->q, &t->spec, k, w, &t->check[k]);
}

static uint64_t
mq_consumed(const struct mq_team *t)
{
	uint64_t n = 0;
	for (unsigned k = 0; k < t->spec.consumers; k++)
		n += t->check[k].count;
	return n;
}

static int
mq_verify(void *arg, uint64_t events, char *msg, size_t len)
{
	struct mq_team *t = arg;
	unsigned nc = t->spec.consumers;
	if (t->ctl->stop) {
		/* Stopped: drain what the consumers left, on this thread, with
		 * the adapter's own consumer code (consumer 0's token), so that
		 * every event produced is checked. An idle limit, in case
		 * events were lost. */
		uint64_t produced = 0;
		for (unsigned p = 0; p < t->spec.producers; p++)
			produced += t->ctl->produced[p];
		struct kb_mq_ctl *d = alloc_lines(sizeof(*d));
		if (!d)
			abort();
		struct kb_mq_wait w = kb_mq_wait_start(d, produced - mq_consumed(t), 0);
		w.idle_limit = 1000000;
		int rc = produced > mq_consumed(t)
				 ? t->ad->consume(t->q, &t->spec, 0, w, &t->check[nc])
				 : 0;
		free(d);
		if (rc != 0) {
			snprintf(msg, len, "draining after the stop failed");
			return -1;
		}
		nc++;
	}
	return kb_mq_verify(t->check, nc, t->spec.producers, t->ctl,
			    events / t->spec.producers, 0, msg, len);
}

static void
mq_stop(void *arg)
{
	struct mq_team *t = arg;
	kb_mq_ctl_stop(t->ctl);
}

/* Events consumed in the run (a stopped run: fewer than planned). */
static uint64_t
mq_done(void *arg, uint64_t events)
{
	struct mq_team *t = arg;
	(void)events;
	return mq_consumed(t);
}

/* ---- kaos broadcast: fan-out and pipeline ------------------------------------ */

struct bc_consumer {
	alignas(128) struct kaos_bcast_consumer c;
};

struct bc_team {
	alignas(128) struct kaos_bcast ring;
	struct bc_consumer *cons;
	struct kb_mq_ctl *ctl;
	unsigned ncons;
	int pipeline; /* consumer k is gated on k - 1 and is stage k */
	int joined;
	unsigned batch;
	struct kb_mq_check check[KB_MQ_MAX_CONSUMERS];
};

static void
bc_leave(struct bc_team *t)
{
	if (!t->joined)
		return;
	for (unsigned k = t->ncons; k-- > 0;)
		kaos_bcast_leave(&t->cons[k].c);
	t->joined = 0;
}

/* Join every consumer (the whole pipeline) before anything is published;
 * each run starts at the current head. */
static int
bc_prepare(void *arg, uint64_t events)
{
	struct bc_team *t = arg;
	(void)events;
	bc_leave(t);
	for (unsigned k = 0; k < t->ncons; k++) {
		struct kaos_bcast_consumer *dep = k ? &t->cons[k - 1].c : NULL;
		int rc = t->pipeline && k ? kaos_bcast_join_after(&t->ring,
								  &t->cons[k].c, &dep, 1)
					  : kaos_bcast_join(&t->ring, &t->cons[k].c);
		if (rc != 0) {
			kaos_fail("kaos_bcast_join", rc);
			return -1;
		}
	}
	t->joined = 1;
	kb_mq_ctl_reset(t->ctl);
	memset(t->check, 0, sizeof(t->check));
	return 0;
}

static int
bc_produce(struct bc_team *t, uint64_t events)
{
	struct kb_mq_gen g = kb_mq_gen_start(0, t->ctl);
	unsigned fails = 0;
	uint64_t unsent = 0;
	if (t->batch <= 1) {
		int rc;
		KB_MQ_PUT_EACH(g, fails, unsent, events, v,
			       (rc = kaos_bcast_push(&t->ring, &v)) == 0,
			       if (rc != -KAOS_EFULL)
					return kaos_fail("kaos_bcast_push", rc));
		kb_mq_gen_end(&g, unsent);
		return 0;
	}
	KB_MQ_PUT_CLAIMS(g, fails, events, t->batch, want, n, void *slots = NULL,
			 kaos_bcast_claim(&t->ring, want, &slots),
			 if (n < 0) return kaos_fail("kaos_bcast_claim", n),
			 (kb_mq_fill(&g, slots, (uint64_t)n),
			  kaos_bcast_publish(&t->ring, (uint64_t)n)));
	kb_mq_gen_end(&g, 0);
	return 0;
}

/* A consumer that sees every event; in a pipeline, stage k checks that
 * stage k - 1 passed the value and marks it in place for stage k + 1
 * (peek/release, also per event: one at a time). */
KB_INLINE int
bc_consume_k(struct bc_team *t, unsigned k, uint64_t events, bool pipeline)
{
	struct kaos_bcast_consumer *con = &t->cons[k].c;
	struct kb_mq_check c = kb_mq_check_start();
	struct kb_mq_wait w = kb_mq_wait_start(t->ctl, events, 0);
	if (!pipeline && t->batch <= 1) {
		int rc;
		KB_MQ_TAKE_EACH(w, c, v, (rc = kaos_bcast_pop(con, &v)) == 0,
				if (rc != -KAOS_EEMPTY)
					return kaos_fail("kaos_bcast_pop", rc));
		t->check[k] = c;
		return 0;
	}
	KB_MQ_TAKE_BATCHES(w, c, n, void *slots = NULL,
			   kaos_bcast_peek(con, t->batch, &slots),
			   if (n < 0) return kaos_fail("kaos_bcast_peek", n),
			   uint64_t *v = slots;
			   if (pipeline) {
				   for (int64_t i = 0; i < n; i++)
					   v[i] = kb_mq_stage(&c, v[i], k);
			   } else {
				   kb_mq_take_n(&c, v, (uint64_t)n);
			   }
			   kaos_bcast_release(con, (uint64_t)n));
	t->check[k] = c;
	return 0;
}

static int
bc_thread(void *arg, unsigned index, uint64_t events)
{
	struct bc_team *t = arg;
	if (index == 0)
		return bc_produce(t, events);
	if (t->pipeline)
		return bc_consume_k(t, index - 1, events, true);
	return bc_consume_k(t, index - 1, events, false);
}

static int
bc_verify(void *arg, uint64_t events, char *msg, size_t len)
{
	struct bc_team *t = arg;
	return kb_mq_verify(t->check, t->ncons, 1, t->ctl, events, 1, msg, len);
}

static void
bc_stop(void *arg)
{
	struct bc_team *t = arg;
	kb_mq_ctl_stop(t->ctl);
}

/* Events every consumer saw (through the whole pipeline). */
static uint64_t
each_done(const struct kb_mq_check *c, unsigned n)
{
	uint64_t m = c[0].count;
	for (unsigned k = 1; k < n; k++)
		m = c[k].count < m ? c[k].count : m;
	return m;
}

static uint64_t
bc_done(void *arg, uint64_t events)
{
	struct bc_team *t = arg;
	(void)events;
	return each_done(t->check, t->ncons);
}

static struct bc_team *
bc_open(unsigned ncons, int pipeline, unsigned batch)
{
	struct bc_team *t = alloc_lines(sizeof(*t));
	if (!t)
		return NULL;
	t->cons = alloc_lines(ncons * sizeof(*t->cons));
	t->ctl = alloc_lines(sizeof(*t->ctl));
	int rc = t->cons && t->ctl ? kaos_bcast_create(&t->ring, KB_MQ_SLOTS, 8,
						       ncons, KAOS_MEM_HEAP)
				   : -ENOMEM;
	if (rc != 0) {
		kaos_fail("kaos_bcast_create", rc);
		free(t->cons);
		free(t->ctl);
		free(t);
		return NULL;
	}
	t->ncons = ncons;
	t->pipeline = pipeline;
	t->batch = batch;
	return t;
}

static void
bc_close(void *arg)
{
	struct bc_team *t = arg;
	bc_leave(t);
	kaos_bcast_destroy(&t->ring);
	free(t->cons);
	free(t->ctl);
	free(t);
}

/* ---- kaos SPSC: 1p1c, fan-out and chain comparators ------------------------------ */

struct sp_ring {
	alignas(128) struct kaos_spsc8 q;
};

struct sp_team {
	struct sp_ring *rings;
	struct kb_mq_ctl *ctl;
	unsigned nrings; /* fan-out: one per consumer; chain: one per stage */
	int chain;
	unsigned batch;
	struct kb_mq_check check[KB_MQ_MAX_CONSUMERS];
};

static int
sp_prepare(void *arg, uint64_t events)
{
	struct sp_team *t = arg;
	(void)events;
	/* A stopped run may have left events in the rings. */
	for (unsigned r = 0; r < t->nrings; r++) {
		uint64_t v;
		while (kaos_spsc8_pop(&t->rings[r].q, &v) == 0)
			;
	}
	kb_mq_ctl_reset(t->ctl);
	memset(t->check, 0, sizeof(t->check));
	return 0;
}

/* Producer: into every ring (fan-out) or the first one (chain). Batches
 * are written in place in the first ring and copied into the others. */
static int
sp_produce(struct sp_team *t, uint64_t events)
{
	struct kb_mq_gen g = kb_mq_gen_start(0, t->ctl);
	unsigned nout = t->chain ? 1 : t->nrings;
	unsigned fails = 0;
	int stopped = 0;
	uint64_t unsent = 0;
	if (t->batch <= 1) {
		for (uint64_t i = 0; i < events && kb_mq_go(&g) && !stopped; i++) {
			uint64_t v = kb_mq_next(&g);
			for (unsigned r = 0; r < nout && !stopped; r++) {
				while (kaos_spsc8_push(&t->rings[r].q, &v) != 0)
					if (!kb_mq_retry(&g, &fails)) {
						/* in no ring yet: not sent */
						unsent = r == 0;
						stopped = 1;
						break;
					}
				fails = 0;
			}
		}
		kb_mq_gen_end(&g, unsent);
		return 0;
	}
	for (uint64_t left = events; left && kb_mq_go(&g);) {
		uint64_t *first = NULL;
		int64_t n = kaos_spsc8_claim(&t->rings[0].q,
					     left < t->batch ? left : t->batch, &first);
		if (n <= 0) {
			if (n < 0)
				return kaos_fail("kaos_spsc8_claim", n);
			if (!kb_mq_retry(&g, &fails))
				break;
			continue;
		}
		fails = 0;
		kb_mq_fill(&g, first, (uint64_t)n);
		for (unsigned r = 1; r < nout && !stopped; r++) {
			for (int64_t done = 0; done < n;) {
				uint64_t *slots = NULL;
				int64_t m = kaos_spsc8_claim(&t->rings[r].q,
							     (uint64_t)(n - done), &slots);
				if (m <= 0) {
					if (!kb_mq_retry(&g, &fails)) {
						stopped = 1;
						break;
					}
					continue;
				}
				fails = 0;
				memcpy(slots, first + done, (size_t)m * 8);
				kaos_spsc8_publish(&t->rings[r].q, (uint64_t)m);
				done += m;
			}
		}
		/* Published in ring 0 even when stopped: the batch counts as
		 * sent (the consumers' prefixes stay within it). */
		kaos_spsc8_publish(&t->rings[0].q, (uint64_t)n);
		left -= (uint64_t)n;
		if (stopped)
			break;
	}
	kb_mq_gen_end(&g, 0);
	return 0;
}

/* Consumer k of a fan-out: its own ring, every event. */
static int
sp_consume(struct sp_team *t, unsigned k, uint64_t events)
{
	struct kaos_spsc8 *in = &t->rings[k].q;
	struct kb_mq_check c = kb_mq_check_start();
	struct kb_mq_wait w = kb_mq_wait_start(t->ctl, events, 0);
	if (t->batch <= 1)
		KB_MQ_TAKE_EACH(w, c, v, kaos_spsc8_pop(in, &v) == 0, KB_NO_FAILURE);
	else
		KB_MQ_TAKE_BATCHES(w, c, n, const uint64_t *v = NULL,
				   kaos_spsc8_peek(in, t->batch, &v),
				   if (n < 0) return kaos_fail("kaos_spsc8_peek", n),
				   (kb_mq_take_n(&c, v, (uint64_t)n),
				    kaos_spsc8_release(in, (uint64_t)n)));
	t->check[k] = c;
	return 0;
}

/* Stage k of a chain: from ring k into ring k + 1 (none after the last),
 * checking and marking every value as the broadcast pipeline does. */
static int
sp_stage(struct sp_team *t, unsigned k, uint64_t events)
{
	struct kaos_spsc8 *in = &t->rings[k].q;
	struct kaos_spsc8 *out = k + 1 < t->nrings ? &t->rings[k + 1].q : NULL;
	struct kb_mq_check c = kb_mq_check_start();
	struct kb_mq_wait w = kb_mq_wait_start(t->ctl, events, 0);
	unsigned fails = 0;
	if (t->batch <= 1) {
		for (;;) {
			uint64_t v;
			if (kaos_spsc8_pop(in, &v) != 0) {
				if (kb_mq_empty(&w, c.count))
					break;
				continue;
			}
			w.fails = 0;
			v = kb_mq_stage(&c, v, k);
			c.count++;
			if (out) {
				while (kaos_spsc8_push(out, &v) != 0) {
					if (kb_mq_stopped(t->ctl))
						break;
					kb_mq_backoff(&fails);
				}
				fails = 0;
			}
			if (kb_mq_enough(&w, c.count))
				break;
		}
		t->check[k] = c;
		return 0;
	}
	for (;;) {
		const uint64_t *src = NULL;
		int64_t n = kaos_spsc8_peek(in, t->batch, &src);
		if (n <= 0) {
			if (n < 0)
				return kaos_fail("kaos_spsc8_peek", n);
			if (kb_mq_empty(&w, c.count))
				break;
			continue;
		}
		w.fails = 0;
		if (out) {
			uint64_t *dst = NULL;
			int64_t m;
			while ((m = kaos_spsc8_claim(out, (uint64_t)n, &dst)) <= 0) {
				if (kb_mq_stopped(t->ctl))
					break;
				kb_mq_backoff(&fails);
			}
			if (m <= 0)
				break;
			fails = 0;
			for (int64_t i = 0; i < m; i++)
				dst[i] = kb_mq_stage(&c, src[i], k);
			kaos_spsc8_publish(out, (uint64_t)m);
			n = m;
		} else {
			for (int64_t i = 0; i < n; i++)
				(void)kb_mq_stage(&c, src[i], k);
		}
		kaos_spsc8_release(in, (uint64_t)n);
		c.count += (uint64_t)n;
		if (kb_mq_enough(&w, c.count))
			break;
	}
	t->check[k] = c;
	return 0;
}

static int
sp_thread(void *arg, unsigned index, uint64_t events)
{
	struct sp_team *t = arg;
	if (index == 0)
		return sp_produce(t, events);
	if (t->chain)
		return sp_stage(t, index - 1, events);
	return sp_consume(t, index - 1, events);
}

static int
sp_verify(void *arg, uint64_t events, char *msg, size_t len)
{
	struct sp_team *t = arg;
	return kb_mq_verify(t->check, t->nrings, 1, t->ctl, events, 1, msg, len);
}

static void
sp_stop(void *arg)
{
	struct sp_team *t = arg;
	kb_mq_ctl_stop(t->ctl);
}

static uint64_t
sp_done(void *arg, uint64_t events)
{
	struct sp_team *t = arg;
	(void)events;
	return each_done(t->check, t->nrings);
}

static struct sp_team *
sp_open(unsigned nrings, int chain, unsigned batch)
{
	struct sp_team *t = alloc_lines(sizeof(*t));
	if (!t)
		return NULL;
	t->rings = alloc_lines(nrings * sizeof(*t->rings));
	t->ctl = alloc_lines(sizeof(*t->ctl));
	if (!t->rings || !t->ctl) {
		free(t->rings);
		free(t->ctl);
		free(t);
		return NULL;
	}
	for (unsigned r = 0; r < nrings; r++) {
		int rc = kaos_spsc8_create(&t->rings[r].q, KB_MQ_SLOTS, KAOS_MEM_HEAP);
		if (rc != 0) {
			kaos_fail("kaos_spsc8_create", rc);
			while (r-- > 0)
				kaos_spsc8_destroy(&t->rings[r].q);
			free(t->rings);
			free(t->ctl);
			free(t);
			return NULL;
		}
	}
	t->nrings = nrings;
	t->chain = chain;
	t->batch = batch;
	return t;
}

static void
sp_close(void *arg)
{
	struct sp_team *t = arg;
	for (unsigned r = 0; r < t->nrings; r++)
		kaos_spsc8_destroy(&t->rings[r].q);
	free(t->rings);
	free(t->ctl);
	free(t);
}

/* ---- the claim primitive ------------------------------------------------------- */

struct claim_part {
	alignas(128) uint64_t sum; /* of the sequences this thread claimed */
};

struct claim_team {
	alignas(128) _Atomic uint64_t next; /* the shared claim cursor */
	struct claim_part part[MAX_THREADS];
	unsigned nthreads;
};

static int
claim_prepare(void *arg, uint64_t events)
{
	struct claim_team *t = arg;
	(void)events;
	atomic_store_explicit(&t->next, 0, memory_order_relaxed);
	for (unsigned i = 0; i < t->nthreads; i++)
		t->part[i].sum = 0;
	return 0;
}

/* As kaos's multi-producer claim of one slot, without the stamps: read the
 * cursor, CAS it one further, retry with the value the failed CAS saw. */
static int
claim_cas(void *arg, unsigned index, uint64_t events)
{
	struct claim_team *t = arg;
	uint64_t sum = 0;
	for (uint64_t i = events / t->nthreads; i; i--) {
		uint64_t pos = atomic_load_explicit(&t->next, memory_order_relaxed);
		while (!atomic_compare_exchange_weak_explicit(&t->next, &pos, pos + 1,
							      memory_order_relaxed,
							      memory_order_relaxed))
			;
		sum += pos;
	}
	t->part[index].sum = sum;
	return 0;
}

/* Fetch-add: cannot fail, so cannot refuse a slot that is not free. */
static int
claim_faa(void *arg, unsigned index, uint64_t events)
{
	struct claim_team *t = arg;
	uint64_t sum = 0;
	for (uint64_t i = events / t->nthreads; i; i--)
		sum += atomic_fetch_add_explicit(&t->next, 1, memory_order_relaxed);
	t->part[index].sum = sum;
	return 0;
}

static int
claim_verify(void *arg, uint64_t events, char *msg, size_t len)
{
	struct claim_team *t = arg;
	uint64_t sum = 0, n = atomic_load_explicit(&t->next, memory_order_relaxed);
	for (unsigned i = 0; i < t->nthreads; i++)
		sum += t->part[i].sum;
	if (n != events || sum != kb_mq_sum_to(events - 1)) {
		snprintf(msg, len, "cursor at %llu after %llu claims, or the "
			 "claimed sequences are not 0..%llu once each",
			 (unsigned long long)n, (unsigned long long)events,
			 (unsigned long long)events - 1);
		return -1;
	}
	return 0;
}

/* ---- cases -------------------------------------------------------------------- */

enum pat_kind {
	PAT_MQ,    /* an MPSC / SPMC / MPMC shape: kaos and the peers */
	PAT_1P1C,  /* an MPSC / SPMC / MPMC ring, 1p1c, next to kaos_spsc */
	PAT_BCAST, /* broadcast ring next to SPSC fan-out */
	PAT_PIPE,  /* broadcast pipeline next to an SPSC chain */
	PAT_CLAIM, /* CAS against fetch-add */
};

struct pat_case {
	struct kb_case c; /* name, events per run, unit, rounds quick/full */
	enum pat_kind kind;
	enum kb_mq_shape shape;
	unsigned producers, consumers; /* PAT_CLAIM: producers = threads */
	unsigned batch;                /* 1: per-event API */
};

#define M ((uint64_t)1000000)
#define B KB_MQ_BATCH

/*
 * Event counts per run are set so that a kaos run takes about 0.1 s on this
 * 2-core VM when its vCPUs are close (twice that when they are far: the
 * rtt column); an implementation still running at the time cap (0.3 s in
 * quick mode) is stopped and timed on what it did, and after a capped
 * warm-up it gets a single measured run. Quick mode is about 90 s with
 * every peer; full mode has more rounds and a 2 s cap. Units keep counts
 * multiples of the producers.
 */
static const struct pat_case cases[] = {
	/* the shapes, each side's threads on different cores */
	{ { "patterns/mpsc_2p1c/batch", 20 * M, 2, 3, 10, NULL }, PAT_MQ, KB_MQ_MPSC, 2, 1, B },
	{ { "patterns/mpsc_2p1c/event", 4 * M, 2, 3, 10, NULL }, PAT_MQ, KB_MQ_MPSC, 2, 1, 1 },
	{ { "patterns/spmc_1p2c/batch", 20 * M, 1, 3, 10, NULL }, PAT_MQ, KB_MQ_SPMC, 1, 2, B },
	{ { "patterns/spmc_1p2c/event", 4 * M, 1, 3, 10, NULL }, PAT_MQ, KB_MQ_SPMC, 1, 2, 1 },
	{ { "patterns/mpmc_2p2c/batch", 20 * M, 2, 3, 10, NULL }, PAT_MQ, KB_MQ_MPMC, 2, 2, B },
	{ { "patterns/mpmc_2p2c/event", 3 * M, 2, 3, 10, NULL }, PAT_MQ, KB_MQ_MPMC, 2, 2, 1 },
	{ { "patterns/broadcast_1p2c/batch", 20 * M, 1, 3, 10, NULL }, PAT_BCAST, 0, 1, 2, B },
	{ { "patterns/broadcast_1p2c/event", 3 * M, 1, 3, 10, NULL }, PAT_BCAST, 0, 1, 2, 1 },
	{ { "patterns/pipeline_3stage/batch", 10 * M, 1, 3, 10, NULL }, PAT_PIPE, 0, 1, 3, B },
	{ { "patterns/pipeline_3stage/event", 3 * M, 1, 3, 10, NULL }, PAT_PIPE, 0, 1, 3, 1 },
	/* the cost of generality: 1p1c, next to the SPSC ring */
	{ { "patterns/mpsc_1p1c/batch", 20 * M, 1, 3, 10, NULL }, PAT_1P1C, KB_MQ_MPSC, 1, 1, B },
	{ { "patterns/mpsc_1p1c/event", 5 * M, 1, 3, 10, NULL }, PAT_1P1C, KB_MQ_MPSC, 1, 1, 1 },
	{ { "patterns/spmc_1p1c/batch", 20 * M, 1, 3, 10, NULL }, PAT_1P1C, KB_MQ_SPMC, 1, 1, B },
	{ { "patterns/spmc_1p1c/event", 5 * M, 1, 3, 10, NULL }, PAT_1P1C, KB_MQ_SPMC, 1, 1, 1 },
	{ { "patterns/mpmc_1p1c/batch", 20 * M, 1, 3, 10, NULL }, PAT_1P1C, KB_MQ_MPMC, 1, 1, B },
	{ { "patterns/mpmc_1p1c/event", 5 * M, 1, 3, 10, NULL }, PAT_1P1C, KB_MQ_MPMC, 1, 1, 1 },
	{ { "patterns/broadcast_1p1c/batch", 20 * M, 1, 3, 10, NULL }, PAT_BCAST, 0, 1, 1, B },
	{ { "patterns/broadcast_1p1c/event", 5 * M, 1, 3, 10, NULL }, PAT_BCAST, 0, 1, 1, 1 },
	/* oversubscribed: more threads per side than cores */
	{ { "patterns/mpsc_4p1c/batch", 16 * M, 4, 2, 10, NULL }, PAT_MQ, KB_MQ_MPSC, 4, 1, B },
	{ { "patterns/mpsc_4p1c/event", 4 * M, 4, 2, 10, NULL }, PAT_MQ, KB_MQ_MPSC, 4, 1, 1 },
	{ { "patterns/mpmc_4p4c/batch", 16 * M, 4, 2, 10, NULL }, PAT_MQ, KB_MQ_MPMC, 4, 4, B },
	{ { "patterns/mpmc_4p4c/event", 3 * M, 4, 2, 10, NULL }, PAT_MQ, KB_MQ_MPMC, 4, 4, 1 },
	{ { "patterns/mpmc_8p8c/batch", 16 * M, 8, 2, 10, NULL }, PAT_MQ, KB_MQ_MPMC, 8, 8, B },
	{ { "patterns/mpmc_8p8c/event", 3 * M, 8, 2, 10, NULL }, PAT_MQ, KB_MQ_MPMC, 8, 8, 1 },
	/* the claim primitive */
	{ { "patterns/claim/cas,faa", 30 * M, 2, 3, 20, NULL }, PAT_CLAIM, 0, 2, 0, 1 },
	{ { "patterns/claim/4t/cas,faa", 30 * M, 4, 3, 20, NULL }, PAT_CLAIM, 0, 4, 0, 1 },
};

static const char *const shape_name[] = {
	[KB_MQ_MPSC] = "mpsc",
	[KB_MQ_SPMC] = "spmc",
	[KB_MQ_MPMC] = "mpmc",
};

/* The kaos_spsc line next to a multi ring: @p nrings SPSC rings, a
 * fan-out (the producer writes into each) or a chain (pipeline stages);
 * 0, or -1 (counted as a failure). */
static int
sp_team(struct kb_bench *b, unsigned nrings, int chain, unsigned batch,
	struct kb_team *team)
{
	struct sp_team *s = sp_open(nrings, chain, batch);
	if (!s) {
		b->failures++;
		return -1;
	}
	*team = (struct kb_team){
		.name = "kaos_spsc",
		.note = chain ? "a chain of SPSC rings; each stage copies into "
				"the next"
			: nrings > 1 ? "one SPSC ring per consumer; the producer "
				       "writes each event into every one"
				     : "the SPSC ring on the same work",
		.arg = s, .nthreads = 1 + nrings, .thread = sp_thread,
		.prepare = sp_prepare, .verify = sp_verify, .stop = sp_stop,
		.done = sp_done };
	return 0;
}

static void
mq_close(void *arg)
{
	struct mq_team *t = arg;
	t->ad->close(t->q);
	free(t->ctl);
	free(t);
}

/* An MQ team for @p ad, or NULL (not supported, or failed: counted). */
static struct mq_team *
mq_open(struct kb_bench *b, const struct pat_case *pc,
	const struct kb_mq_adapter *ad, struct kb_team *team)
{
	struct kb_mq_spec spec = { pc->shape, pc->producers, pc->consumers,
				   KB_MQ_SLOTS, pc->batch };
	if (!ad->supports(&spec))
		return NULL;
	struct mq_team *t = alloc_lines(sizeof(*t));
	struct kb_mq_ctl *ctl = alloc_lines(sizeof(*ctl));
	void *q = t && ctl ? ad->open(&spec) : NULL;
	if (!q) {
		printf("!! FAILED: %s: cannot set up %s\n", pc->c.name, ad->name);
		b->failures++;
		free(t);
		free(ctl);
		return NULL;
	}
	t->ad = ad;
	t->q = q;
	t->spec = spec;
	t->ctl = ctl;
	t->nthreads = layout(pc->producers, pc->consumers, t->role);
	*team = (struct kb_team){ .name = ad->name,
				  .note = ad->note ? ad->note(&spec) : NULL,
				  .arg = t, .nthreads = t->nthreads,
				  .thread = mq_thread, .prepare = mq_prepare,
				  .verify = mq_verify, .stop = mq_stop,
				  .done = mq_done };
	return t;
}

static void
run_case(struct kb_bench *b, const struct pat_case *pc)
{
	void (*close[2 + N_PEERS])(void *arg); /* of teams[i].arg */
	struct kb_team teams[2 + N_PEERS];
	char extra[256];
	int n = 0;

	snprintf(extra, sizeof(extra),
		 "\"workload\":\"%s\",\"shape\":\"%s\",\"producers\":%u,"
		 "\"consumers\":%u,\"slot_bytes\":8,\"capacity\":%d,\"batch\":%u",
		 pc->batch > 1 ? "batch" : "event",
		 pc->kind == PAT_BCAST	? "broadcast"
		 : pc->kind == PAT_PIPE ? "pipeline"
		 : pc->kind == PAT_CLAIM ? "claim"
					 : shape_name[pc->shape],
		 pc->producers, pc->consumers, KB_MQ_SLOTS, pc->batch);
	struct kb_case c = pc->c;
	c.json_extra = extra;

	switch (pc->kind) {
	case PAT_MQ:
	case PAT_1P1C: {
		struct mq_team *t = mq_open(b, pc, &kaos_mq_adapter, &teams[0]);
		if (!t)
			return;
		close[n++] = mq_close;
		if (pc->kind == PAT_1P1C) {
			if (sp_team(b, 1, 0, pc->batch, &teams[n]) == 0)
				close[n++] = sp_close;
			break;
		}
		for (const struct kb_mq_adapter *const *ad = peers; *ad; ad++) {
			struct mq_team *p = mq_open(b, pc, *ad, &teams[n]);
			if (p)
				close[n++] = mq_close;
		}
		break;
	}
	case PAT_BCAST:
	case PAT_PIPE: {
		int pipe = pc->kind == PAT_PIPE;
		struct bc_team *t = bc_open(pc->consumers, pipe, pc->batch);
		if (!t) {
			b->failures++;
			return;
		}
		teams[n] = (struct kb_team){
			.name = "kaos",
			.note = pipe ? "broadcast ring; stages in place, gated with "
				       "kaos_bcast_join_after"
				: pc->batch > 1 ? "broadcast ring; claim/publish, "
						  "peek/release in place"
						: "broadcast ring; push/pop",
			.arg = t, .nthreads = 1 + pc->consumers, .thread = bc_thread,
			.prepare = bc_prepare, .verify = bc_verify, .stop = bc_stop,
			.done = bc_done };
		close[n++] = bc_close;
		if (sp_team(b, pc->consumers, pipe, pc->batch, &teams[n]) == 0)
			close[n++] = sp_close;
		break;
	}
	case PAT_CLAIM: {
		static char rows[2][2][64];
		int four = pc->producers > 2;
		for (int k = 0; k < 2; k++) {
			struct claim_team *t = alloc_lines(sizeof(*t));
			if (!t) {
				b->failures++;
				break;
			}
			t->nthreads = pc->producers;
			snprintf(rows[four][k], sizeof(rows[0][0]), "patterns/claim/%s%s",
				 four ? "4t/" : "", k ? "faa" : "cas");
			teams[n] = (struct kb_team){
				.name = k ? "faa" : "cas",
				.note = k ? "atomic fetch-add of 1; the kaos/peer "
					    "column is cas/faa"
					  : "load + CAS loop, as kaos's "
					    "multi-producer claim",
				.row = rows[four][k], .arg = t,
				.nthreads = pc->producers,
				.thread = k ? claim_faa : claim_cas,
				.prepare = claim_prepare, .verify = claim_verify };
			close[n++] = free;
		}
		break;
	}
	}
	if (n > 0)
		kb_run_team_case(b, &c, teams, n);
	for (int i = 0; i < n; i++)
		close[i](teams[i].arg);
}

int
main(int argc, char **argv)
{
	struct kb_bench b;

	kb_init(&b, "patterns", argc, argv);
	/* Smoke: a bit more than three laps of the ring per run. */
	b.smoke_events = 200000;
	b.case_width = 30;
	b.impl_width = 12;
	/* A run still going after this long is stopped and timed on the
	 * events it did (an implementation that collapses when threads
	 * outnumber cores must not hold the program up). */
	b.team_cap = b.mode == KB_SMOKE ? 0.1 : b.mode == KB_QUICK ? 0.3 : 2.0;
	print_peers(&b);
	KB_RUN_SELECTED(&b, cases, run_case);
	return kb_finish(&b);
}
