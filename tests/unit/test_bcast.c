/* SPDX-License-Identifier: MIT */
/*
 * Single-threaded behaviour of the broadcast ring: arguments, joining and
 * leaving, -EBUSY at max consumers, gating by the slowest consumer, a
 * consumer that never started (W4) and one that joins late, join_after and
 * chain and diamond pipelines, poll, the wrap. One thread plays the
 * producer and every consumer. Threads: tests/stress/stress_bcast.c.
 */
#include <errno.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

static const uint64_t capacities[] = { 2, 64, 4096, 1 << 20 };
#define N_CAPACITIES (sizeof(capacities) / sizeof(capacities[0]))

static uint64_t
val(uint64_t s)
{
	return (s * 0x9E3779B97F4A7C15ull) ^ 0x5A5A5A5Au;
}

/* Publish @p n events (8-byte slots, value val(seq)); all must fit. */
static void
produce(struct kaos_bcast *r, uint64_t *seq, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = val((*seq)++);
		KAOS_ASSERT_OK(kaos_bcast_push(r, &v));
	}
}

/* Read exactly @p n events in order from @p c, starting at *seq. */
static void
consume(struct kaos_bcast_consumer *c, uint64_t *seq, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = 0;
		KAOS_ASSERT_OK(kaos_bcast_pop(c, &v));
		if (v != val(*seq))
			KAOS_FAIL("seq %" PRIu64 ": got %" PRIx64 ", want %" PRIx64, *seq, v,
				  val(*seq));
		(*seq)++;
	}
}

/* How many events @p c could read now. Peeks (which stop at the end of
 * the slot array) without releasing, stepping the handle's private
 * position past each run and putting it back afterwards. */
static int64_t
readable(struct kaos_bcast_consumer *c)
{
	void *s = NULL;
	int64_t total = 0, got;
	uint64_t pos = c->cur.pos;
	while ((got = kaos_bcast_peek(c, c->ring->ro.array.capacity, &s)) > 0) {
		total += got;
		c->cur.pos += (uint64_t)got; /* look beyond the wrap */
		if (total >= (int64_t)c->ring->ro.array.capacity)
			break;
	}
	c->cur.pos = pos;
	c->cur.pending = 0;
	return got < 0 ? got : total;
}

static const struct kaos_wait spin_1ms = { KAOS_WAIT_SPIN, 0, 1000000, 0 };

/* ---- arguments --------------------------------------------------------------- */

static void
memsize_init_create_reject_bad_arguments(void)
{
	size_t sz;
	const uint64_t bad_caps[] = { 0, 1, 3, 100, (1ull << 32) + 1, UINT64_MAX };
	for (size_t i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++)
		KAOS_ASSERT_EQ(kaos_bcast_memsize(bad_caps[i], 8, 4, &sz), -EINVAL);
	const size_t bad_slots[] = { 0, 4, 12, 65 };
	for (size_t i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++)
		KAOS_ASSERT_EQ(kaos_bcast_memsize(64, bad_slots[i], 4, &sz), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_memsize(64, 8, 0, &sz), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_memsize(64, 8, KAOS_BCAST_MAX_CONSUMERS + 1, &sz), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_memsize(64, 8, 4, NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_memsize(1ull << 32, SIZE_MAX / 8 * 8, 4, &sz), -EOVERFLOW);
	KAOS_ASSERT_OK(kaos_bcast_memsize(2, 8, 1, &sz));
	KAOS_ASSERT_OK(kaos_bcast_memsize(1ull << 32, 8, KAOS_BCAST_MAX_CONSUMERS, &sz));
	KAOS_ASSERT_GE(sz, 8ull << 32);
	KAOS_ASSERT_EQ(sz % KAOS_CACHELINE, 0);

	struct kaos_bcast r;
	KAOS_ASSERT_EQ(kaos_bcast_create(NULL, 64, 8, 4, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_create(&r, 63, 8, 4, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_create(&r, 64, 8, 0, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_create(&r, 64, 8, 4, (enum kaos_mem)7), -EINVAL);
	size_t need;
	KAOS_ASSERT_OK(kaos_bcast_memsize(64, 8, 4, &need));
	unsigned char *mem = aligned_alloc(KAOS_CACHELINE, need + KAOS_CACHELINE);
	KAOS_ASSERT(mem);
	KAOS_ASSERT_EQ(kaos_bcast_init(&r, mem, need - 1, 64, 8, 4), -ENOBUFS);
	KAOS_ASSERT_EQ(kaos_bcast_init(&r, mem + 8, need, 64, 8, 4), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_init(&r, NULL, need, 64, 8, 4), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_init(NULL, mem, need, 64, 8, 4), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_init(&r, mem, need, 64, 8, 5), -ENOBUFS);
	/* garbage in the memory: init marks every consumer entry free */
	memset(mem, 0x5a, need);
	KAOS_ASSERT_OK(kaos_bcast_init(&r, mem, need, 64, 8, 4));
	struct kaos_bcast_consumer c[4];
	for (int i = 0; i < 4; i++)
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &c[i]));
	uint64_t seq = 0, rd[4] = { 0 };
	produce(&r, &seq, 64);
	for (int i = 0; i < 4; i++)
		consume(&c[i], &rd[i], 64);
	kaos_bcast_destroy(&r); /* leaves the caller's memory alone */
	free(mem);
}

static void
w26_too_big_is_not_full(void)
{
	for (size_t k = 0; k < N_CAPACITIES; k++) {
		uint64_t cap = capacities[k], seq = 0, rd = 0, v = 0;
		struct kaos_bcast r;
		struct kaos_bcast_consumer c;
		void *s = NULL;
		KAOS_ASSERT_OK(kaos_bcast_create(&r, cap, 8, 2, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &c));
		for (int state = 0; state < 2; state++) { /* empty, then full */
			KAOS_ASSERT_EQ(kaos_bcast_claim(&r, 0, &s), -EINVAL);
			KAOS_ASSERT_EQ(kaos_bcast_claim(&r, cap + 1, &s), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_bcast_claim(&r, UINT64_MAX, &s), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_bcast_peek(&c, 0, &s), -EINVAL);
			KAOS_ASSERT_EQ(kaos_bcast_peek(&c, cap + 1, &s), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_bcast_claim_wait(&r, cap + 1, &s, &spin_1ms),
				       -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_bcast_peek_wait(&c, cap + 1, &s, &spin_1ms),
				       -KAOS_ETOOBIG);
			if (state == 0)
				produce(&r, &seq, cap);
		}
		KAOS_ASSERT_EQ(kaos_bcast_claim(&r, 1, &s), 0); /* full is 0 */
		KAOS_ASSERT_EQ(kaos_bcast_push(&r, &v), -KAOS_EFULL);
		consume(&c, &rd, cap);
		KAOS_ASSERT_EQ(kaos_bcast_peek(&c, 1, &s), 0); /* empty is 0 */
		KAOS_ASSERT_EQ(kaos_bcast_pop(&c, &v), -KAOS_EEMPTY);
		kaos_bcast_destroy(&r);
	}
}

static void
publish_and_release_counts(void)
{
	struct kaos_bcast r;
	struct kaos_bcast_consumer c;
	void *s = NULL;
	KAOS_ASSERT_OK(kaos_bcast_create(&r, 64, 8, 1, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &c));
	KAOS_ASSERT_EQ(kaos_bcast_publish(&r, 1), -EINVAL); /* nothing claimed */
	KAOS_ASSERT_EQ(kaos_bcast_claim(&r, 10, &s), 10);
	for (uint64_t i = 0; i < 10; i++)
		((uint64_t *)s)[i] = val(i);
	KAOS_ASSERT_EQ(kaos_bcast_publish(&r, 11), -EINVAL);
	KAOS_ASSERT_OK(kaos_bcast_publish(&r, 4)); /* part of the claim */
	KAOS_ASSERT_EQ(readable(&c), 4);
	KAOS_ASSERT_OK(kaos_bcast_publish(&r, 6)); /* the rest */
	KAOS_ASSERT_EQ(kaos_bcast_publish(&r, 1), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_release(&c, 1), -EINVAL); /* nothing peeked */
	KAOS_ASSERT_EQ(kaos_bcast_peek(&c, 64, &s), 10);
	KAOS_ASSERT_EQ(kaos_bcast_release(&c, 11), -EINVAL);
	KAOS_ASSERT_OK(kaos_bcast_release(&c, 3));
	KAOS_ASSERT_OK(kaos_bcast_release(&c, 2));
	KAOS_ASSERT_EQ(kaos_bcast_peek(&c, 64, &s), 5);
	KAOS_ASSERT_UEQ(*(uint64_t *)s, val(5));
	KAOS_ASSERT_OK(kaos_bcast_release(&c, 5));
	KAOS_ASSERT_EQ(kaos_bcast_peek(&c, 64, &s), 0);
	kaos_bcast_destroy(&r);
}

/* ---- consumers: join, leave, gating --------------------------------------------- */

static void
no_consumer_never_blocks_the_producer(void)
{
	struct kaos_bcast r;
	uint64_t seq = 0;
	void *s = NULL;
	KAOS_ASSERT_OK(kaos_bcast_create(&r, 64, 8, 2, KAOS_MEM_HEAP));
	produce(&r, &seq, 64 * 5 + 3);
	KAOS_ASSERT_EQ(kaos_bcast_claim(&r, 64, &s), 61); /* to the array end */
	kaos_bcast_destroy(&r);
}

static void
join_leave_and_ebusy_at_max_consumers(void)
{
	struct kaos_bcast r, other;
	struct kaos_bcast_consumer c[5], z;
	memset(&z, 0, sizeof(z));
	KAOS_ASSERT_OK(kaos_bcast_create(&r, 64, 8, 4, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_create(&other, 64, 8, 1, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_bcast_join(NULL, &c[0]), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_join(&r, NULL), -EINVAL);
	for (int i = 0; i < 4; i++)
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &c[i]));
	KAOS_ASSERT_EQ(kaos_bcast_join(&r, &c[4]), -EBUSY);
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &c[4], (struct kaos_bcast_consumer *[]){ &c[0] }, 1),
		       -EBUSY);
	kaos_bcast_leave(&c[2]);
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &c[4]));
	KAOS_ASSERT_EQ(kaos_bcast_join(&r, &c[2]), -EBUSY);
	/* leaving twice, or a handle never joined, is harmless */
	kaos_bcast_leave(&c[2]);
	kaos_bcast_leave(&z);
	kaos_bcast_leave(NULL);
	/* every joined consumer sees every event */
	uint64_t seq = 0, rd[5] = { 0 };
	KAOS_ASSERT_OK(kaos_bcast_join(&other, &c[2]));
	for (int round = 0; round < 3; round++) {
		produce(&r, &seq, 50);
		for (int i = 0; i < 5; i++)
			if (i != 2)
				consume(&c[i], &rd[i], 50);
	}
	kaos_bcast_destroy(&r);
	kaos_bcast_destroy(&other);
}

/* The producer runs at most one ring ahead of the slowest consumer. */
static void
gating_by_the_slowest_consumer(void)
{
	for (size_t k = 0; k < N_CAPACITIES; k++) {
		uint64_t cap = capacities[k], seq = 0, ra = 0, rb = 0, rc = 0, v = 0;
		struct kaos_bcast r;
		struct kaos_bcast_consumer a, b, c;
		void *s = NULL;
		KAOS_ASSERT_OK(kaos_bcast_create(&r, cap, 8, 3, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &a));
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &b));
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &c));
		produce(&r, &seq, cap);
		KAOS_ASSERT_EQ(kaos_bcast_push(&r, &v), -KAOS_EFULL);
		consume(&a, &ra, cap);
		consume(&b, &rb, cap / 2);
		KAOS_ASSERT_EQ(kaos_bcast_claim(&r, cap, &s), 0);
		consume(&c, &rc, 1);
		KAOS_ASSERT_EQ(kaos_bcast_claim(&r, cap, &s), 1);
		consume(&c, &rc, cap - 1); /* now b is the slowest */
		KAOS_ASSERT_EQ(kaos_bcast_claim(&r, cap, &s), (int64_t)(cap / 2));
		/* the slow one leaves: the producer stops waiting for it */
		kaos_bcast_leave(&b);
		KAOS_ASSERT_EQ(kaos_bcast_claim(&r, cap, &s), (int64_t)cap);
		kaos_bcast_destroy(&r);
	}
}

/* W4: a consumer that joined and has not read anything gates the producer
 * like any other, even after the others have read (the original ignored
 * it and lapped it). */
static void
w4_bcast_never_started_consumer_not_lapped(void)
{
	for (size_t k = 0; k < N_CAPACITIES; k++) {
		uint64_t cap = capacities[k], seq = 0, ra = 0, rb = 0, v = 0;
		struct kaos_bcast r;
		struct kaos_bcast_consumer a, idle;
		void *s = NULL;
		KAOS_ASSERT_OK(kaos_bcast_create(&r, cap, 8, 4, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &idle));
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &a));
		for (uint64_t i = 0; i < cap; i++) { /* a keeps up, idle never reads */
			produce(&r, &seq, 1);
			consume(&a, &ra, 1);
		}
		for (int i = 0; i < 3; i++) {
			KAOS_ASSERT_EQ(kaos_bcast_claim(&r, 1, &s), 0);
			KAOS_ASSERT_EQ(kaos_bcast_push(&r, &v), -KAOS_EFULL);
		}
		consume(&idle, &rb, cap); /* every event still there */
		produce(&r, &seq, cap);
		consume(&a, &ra, cap);
		consume(&idle, &rb, cap);
		kaos_bcast_destroy(&r);
	}
}

/* A consumer joining late starts at the head (the next event published),
 * not at 0, and gates the producer from then on. */
static void
bcast_late_join_starts_at_head(void)
{
	for (size_t k = 0; k < N_CAPACITIES; k++) {
		uint64_t cap = capacities[k], seq = 0, ra = 0, v = 0;
		struct kaos_bcast r;
		struct kaos_bcast_consumer a, late;
		KAOS_ASSERT_OK(kaos_bcast_create(&r, cap, 8, 2, KAOS_MEM_HEAP));
		produce(&r, &seq, 3 * cap + 1); /* nobody joined: all dropped */
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &a));
		ra = seq;
		KAOS_ASSERT_EQ(readable(&a), 0);
		produce(&r, &seq, cap / 2);
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &late));
		uint64_t rl = seq;
		KAOS_ASSERT_EQ(readable(&late), 0);
		KAOS_ASSERT_EQ(readable(&a), (int64_t)(cap / 2));
		consume(&a, &ra, cap / 2);
		produce(&r, &seq, cap); /* late gates from its start */
		KAOS_ASSERT_EQ(kaos_bcast_push(&r, &v), -KAOS_EFULL);
		consume(&late, &rl, cap);
		consume(&a, &ra, cap);
		KAOS_ASSERT_UEQ(rl, seq);
		kaos_bcast_destroy(&r);
	}
}

/* ---- pipelines ------------------------------------------------------------------- */

static void
join_after_validation(void)
{
	struct kaos_bcast r, other;
	struct kaos_bcast_consumer a, b, x, gone, z, deps9[9], stage;
	struct kaos_bcast_consumer *d[KAOS_BCAST_MAX_DEPS + 1];
	memset(&z, 0, sizeof(z));
	KAOS_ASSERT_OK(kaos_bcast_create(&r, 64, 8, 16, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_create(&other, 64, 8, 2, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &a));
	KAOS_ASSERT_OK(kaos_bcast_join(&other, &x));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &gone));
	kaos_bcast_leave(&gone);
	d[0] = &a;
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &b, d, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &b, NULL, 1), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_join_after(NULL, &b, d, 1), -EINVAL);
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, NULL, d, 1), -EINVAL);
	d[1] = NULL;
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &b, d, 2), -EINVAL);
	d[1] = &x; /* joined to another ring */
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &b, d, 2), -EINVAL);
	d[1] = &gone; /* left */
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &b, d, 2), -EINVAL);
	d[1] = &z; /* never joined */
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &b, d, 2), -EINVAL);
	/* up to KAOS_BCAST_MAX_DEPS dependencies, not one more */
	for (int i = 0; i < KAOS_BCAST_MAX_DEPS + 1; i++) {
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &deps9[i]));
		d[i] = &deps9[i];
	}
	KAOS_ASSERT_EQ(kaos_bcast_join_after(&r, &stage, d, KAOS_BCAST_MAX_DEPS + 1), -EINVAL);
	KAOS_ASSERT_OK(kaos_bcast_join_after(&r, &stage, d, KAOS_BCAST_MAX_DEPS));
	/* nothing was taken by the failed joins: 16 - a - 9 deps - stage = 5 */
	struct kaos_bcast_consumer more[6];
	for (int i = 0; i < 5; i++)
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &more[i]));
	KAOS_ASSERT_EQ(kaos_bcast_join(&r, &more[5]), -EBUSY);
	kaos_bcast_destroy(&r);
	kaos_bcast_destroy(&other);
}

/* A stage joined after a dependency starts where the dependency is. */
static void
join_after_starts_at_the_slowest_dependency(void)
{
	struct kaos_bcast r;
	struct kaos_bcast_consumer a, a2, b;
	uint64_t seq = 0, ra = 0, ra2 = 0, rb;
	KAOS_ASSERT_OK(kaos_bcast_create(&r, 64, 8, 3, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &a));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &a2));
	produce(&r, &seq, 10);
	consume(&a, &ra, 5);
	consume(&a2, &ra2, 3);
	KAOS_ASSERT_OK(kaos_bcast_join_after(&r, &b, (struct kaos_bcast_consumer *[]){ &a, &a2 }, 2));
	rb = 3;
	KAOS_ASSERT_EQ(readable(&b), 0);
	consume(&a2, &ra2, 4);
	KAOS_ASSERT_EQ(readable(&b), 2); /* min(a at 5, a2 at 7) - 3 */
	consume(&b, &rb, 2);
	consume(&a, &ra, 5);
	KAOS_ASSERT_EQ(readable(&b), 2);
	consume(&a2, &ra2, 3);
	consume(&b, &rb, 5);
	KAOS_ASSERT_EQ(readable(&b), 0);
	kaos_bcast_destroy(&r);
}

/* Pipelines, one thread. Stage s of the event at seq writes mark(s, seq)
 * into word s of the slot (word 0 holds the producer's value) before
 * releasing; a stage sees an event only when all its dependencies have
 * released it, so their words are always there. Chain: A -> B -> C.
 * Diamond: A -> B, A -> C, B + C -> D. */
#define MAX_STAGES 4

static uint64_t
mark(int stage, uint64_t seq)
{
	return val(seq) ^ ((uint64_t)(stage + 1) << 60);
}

struct pipeline {
	int nstages;
	int ndeps[MAX_STAGES];
	int deps[MAX_STAGES][2];
};

static const struct pipeline chain = { 3, { 0, 1, 1 }, { { 0 }, { 0 }, { 1 } } };
static const struct pipeline diamond = { 4, { 0, 1, 1, 2 }, { { 0 }, { 0 }, { 0 }, { 1, 2 } } };

/* Let stage s take and process up to n events; returns how many. */
static uint64_t
stage_step(const struct pipeline *pl, struct kaos_bcast_consumer *c, int s, uint64_t n)
{
	void *slots = NULL;
	int64_t got = kaos_bcast_peek(c, n, &slots);
	KAOS_ASSERT_GE(got, 0);
	for (int64_t i = 0; i < got; i++) {
		uint64_t *w = (uint64_t *)slots + (size_t)i * MAX_STAGES * 2;
		uint64_t seq = c->cur.pos + (uint64_t)i;
		KAOS_ASSERT_UEQ(w[0], val(seq));
		for (int d = 0; d < pl->ndeps[s]; d++)
			KAOS_ASSERT_UEQ(w[1 + pl->deps[s][d]], mark(pl->deps[s][d], seq));
		w[1 + s] = mark(s, seq);
	}
	if (got)
		KAOS_ASSERT_OK(kaos_bcast_release(c, (uint64_t)got));
	return (uint64_t)got;
}

static void
run_pipeline(const struct pipeline *pl, uint64_t cap, uint64_t *seed)
{
	struct kaos_bcast r;
	struct kaos_bcast_consumer c[MAX_STAGES];
	uint64_t done[MAX_STAGES] = { 0 }, seq = 0, total = cap * 8 + 3;
	KAOS_ASSERT_OK(kaos_bcast_create(&r, cap, 8 * MAX_STAGES * 2, MAX_STAGES,
					 KAOS_MEM_HEAP));
	for (int s = 0; s < pl->nstages; s++) {
		struct kaos_bcast_consumer *d[2] = { &c[pl->deps[s][0]], &c[pl->deps[s][1]] };
		if (pl->ndeps[s])
			KAOS_ASSERT_OK(kaos_bcast_join_after(&r, &c[s], d, (uint32_t)pl->ndeps[s]));
		else
			KAOS_ASSERT_OK(kaos_bcast_join(&r, &c[s]));
	}
	while (done[pl->nstages - 1] < total) {
		uint64_t x = kaos_test_rand(seed);
		int s = (int)(x % (uint64_t)(pl->nstages + 1)) - 1;
		uint64_t n = 1 + (x >> 8) % cap;
		if (s < 0) { /* the producer */
			void *slots = NULL;
			if (n > total - seq)
				n = total - seq;
			if (!n)
				continue;
			int64_t got = kaos_bcast_claim(&r, n, &slots);
			KAOS_ASSERT_GE(got, 0);
			/* never more than a ring ahead of the last stage */
			KAOS_ASSERT_LE(seq + (uint64_t)got, done[pl->nstages - 1] + cap);
			for (int64_t i = 0; i < got; i++) {
				uint64_t *w = (uint64_t *)slots + (size_t)i * MAX_STAGES * 2;
				memset(w, 0, 8 * MAX_STAGES * 2);
				w[0] = val(seq + (uint64_t)i);
			}
			KAOS_ASSERT_OK(kaos_bcast_publish(&r, (uint64_t)got));
			seq += (uint64_t)got;
			continue;
		}
		uint64_t got = stage_step(pl, &c[s], s, n);
		done[s] += got;
		/* a stage never passes any of its dependencies */
		for (int d = 0; d < pl->ndeps[s]; d++)
			KAOS_ASSERT_LE(done[s], done[pl->deps[s][d]]);
		KAOS_ASSERT_LE(done[s], seq);
	}
	for (int s = 0; s < pl->nstages; s++)
		KAOS_ASSERT_UEQ(done[s], total);
	kaos_bcast_destroy(&r);
}

static void
chain_pipeline(void)
{
	uint64_t seed = 0xC4A1;
	for (size_t k = 0; k < N_CAPACITIES - 1; k++)
		run_pipeline(&chain, capacities[k], &seed);
}

static void
diamond_pipeline(void)
{
	uint64_t seed = 0xD1A3;
	for (size_t k = 0; k < N_CAPACITIES - 1; k++)
		run_pipeline(&diamond, capacities[k], &seed);
}

/* A stage's view, step by step, in a diamond. */
static void
diamond_gating_step_by_step(void)
{
	struct kaos_bcast r;
	struct kaos_bcast_consumer a, b, c, d;
	uint64_t seq = 0, ra = 0, rb = 0, rc = 0, rd = 0, v = 0;
	KAOS_ASSERT_OK(kaos_bcast_create(&r, 16, 8, 4, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &a));
	KAOS_ASSERT_OK(kaos_bcast_join_after(&r, &b, (struct kaos_bcast_consumer *[]){ &a }, 1));
	KAOS_ASSERT_OK(kaos_bcast_join_after(&r, &c, (struct kaos_bcast_consumer *[]){ &a }, 1));
	KAOS_ASSERT_OK(kaos_bcast_join_after(&r, &d, (struct kaos_bcast_consumer *[]){ &b, &c }, 2));
	produce(&r, &seq, 10);
	KAOS_ASSERT_EQ(readable(&b), 0);
	KAOS_ASSERT_EQ(readable(&d), 0);
	consume(&a, &ra, 6);
	KAOS_ASSERT_EQ(readable(&b), 6);
	KAOS_ASSERT_EQ(readable(&c), 6);
	KAOS_ASSERT_EQ(readable(&d), 0);
	consume(&b, &rb, 5);
	consume(&c, &rc, 2);
	KAOS_ASSERT_EQ(readable(&d), 2);
	consume(&c, &rc, 4);
	KAOS_ASSERT_EQ(readable(&d), 5);
	consume(&d, &rd, 5);
	/* the producer waits for the last stage too */
	produce(&r, &seq, 11);
	KAOS_ASSERT_EQ(kaos_bcast_push(&r, &v), -KAOS_EFULL);
	consume(&a, &ra, 15);
	consume(&b, &rb, 16);
	consume(&c, &rc, 15);
	KAOS_ASSERT_EQ(kaos_bcast_push(&r, &v), -KAOS_EFULL);
	consume(&d, &rd, 1);
	produce(&r, &seq, 1);
	kaos_bcast_destroy(&r);
}

/* ---- poll, wrap, memory ------------------------------------------------------------ */

struct poll_state {
	uint64_t next, ends, stop_at;
};

static int
poll_handler(void *slot, uint64_t seq, bool end_of_batch, void *ctx)
{
	struct poll_state *st = ctx;
	KAOS_ASSERT_UEQ(seq, st->next);
	KAOS_ASSERT_UEQ(*(uint64_t *)slot, val(seq));
	st->next++;
	st->ends += end_of_batch;
	return seq == st->stop_at;
}

static void
poll_calls_handler_in_order(void)
{
	struct kaos_bcast r;
	struct kaos_bcast_consumer c;
	struct poll_state st = { 0, 0, UINT64_MAX };
	uint64_t seq = 0;
	KAOS_ASSERT_OK(kaos_bcast_create(&r, 16, 8, 1, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &c));
	KAOS_ASSERT_UEQ(kaos_bcast_poll(&c, poll_handler, &st, UINT64_MAX), 0);
	produce(&r, &seq, 10);
	KAOS_ASSERT_UEQ(kaos_bcast_poll(&c, poll_handler, &st, 4), 4);
	KAOS_ASSERT_UEQ(st.ends, 1);
	st.stop_at = 6;
	KAOS_ASSERT_UEQ(kaos_bcast_poll(&c, poll_handler, &st, UINT64_MAX), 3);
	st.stop_at = UINT64_MAX;
	produce(&r, &seq, 13); /* released by poll: room for 13 more */
	KAOS_ASSERT_UEQ(kaos_bcast_poll(&c, poll_handler, &st, UINT64_MAX), 16);
	KAOS_ASSERT_UEQ(st.next, 23);
	KAOS_ASSERT_EQ(readable(&c), 0);
	kaos_bcast_destroy(&r);
}

static void
claim_and_peek_across_the_wrap(void)
{
	for (size_t k = 0; k < N_CAPACITIES; k++) {
		uint64_t cap = capacities[k], seq = 0, rd = 0;
		struct kaos_bcast r;
		struct kaos_bcast_consumer c;
		void *s = NULL;
		KAOS_ASSERT_OK(kaos_bcast_create(&r, cap, 8, 1, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_bcast_join(&r, &c));
		uint64_t *base = (uint64_t *)r.ro.array.slots;
		produce(&r, &seq, cap - 1);
		consume(&c, &rd, cap - 1);
		KAOS_ASSERT_EQ(kaos_bcast_claim(&r, 2, &s), 1);
		KAOS_ASSERT(s == base + cap - 1);
		*(uint64_t *)s = val(seq++);
		KAOS_ASSERT_OK(kaos_bcast_publish(&r, 1));
		KAOS_ASSERT_EQ(kaos_bcast_peek(&c, 2, &s), 1); /* stops at the end too */
		KAOS_ASSERT(s == base + cap - 1);
		KAOS_ASSERT_UEQ(*(uint64_t *)s, val(cap - 1));
		KAOS_ASSERT_OK(kaos_bcast_release(&c, 1));
		KAOS_ASSERT_EQ(kaos_bcast_claim(&r, 2, &s), 2);
		KAOS_ASSERT(s == base);
		((uint64_t *)s)[0] = val(seq++);
		((uint64_t *)s)[1] = val(seq++);
		KAOS_ASSERT_OK(kaos_bcast_publish(&r, 2));
		KAOS_ASSERT_EQ(kaos_bcast_peek(&c, 2, &s), 2);
		KAOS_ASSERT(s == base);
		KAOS_ASSERT_UEQ(((uint64_t *)s)[1], val(cap + 1));
		KAOS_ASSERT_OK(kaos_bcast_release(&c, 2));
		kaos_bcast_destroy(&r);
	}
}

/* Many laps, random batch sizes, several consumers at different paces. */
static void
wraparound_random_batches(void)
{
	uint64_t seed = 0xB0CA;
	for (size_t k = 0; k < N_CAPACITIES; k++) {
		uint64_t cap = capacities[k], total = cap <= 4096 ? cap * 20 + 5 : cap * 3;
		uint64_t seq = 0, rd[3] = { 0 };
		struct kaos_bcast r;
		struct kaos_bcast_consumer c[3];
		KAOS_ASSERT_OK(kaos_bcast_create(&r, cap, 8, 3, KAOS_MEM_MAPPED));
		for (int i = 0; i < 3; i++)
			KAOS_ASSERT_OK(kaos_bcast_join(&r, &c[i]));
		while (rd[0] < total || rd[1] < total || rd[2] < total) {
			uint64_t x = kaos_test_rand(&seed), n = 1 + (x >> 8) % cap;
			int who = (int)(x % 4) - 1;
			void *s = NULL;
			if (who < 0) {
				if (n > total - seq)
					n = total - seq;
				if (!n)
					continue;
				int64_t got = kaos_bcast_claim(&r, n, &s);
				KAOS_ASSERT_GE(got, 0);
				uint64_t slowest = rd[0] < rd[1] ? rd[0] : rd[1];
				slowest = slowest < rd[2] ? slowest : rd[2];
				uint64_t expect = cap - (seq & (cap - 1));
				expect = expect < n ? expect : n;
				expect = expect < slowest + cap - seq ? expect : slowest + cap - seq;
				KAOS_ASSERT_EQ(got, (int64_t)expect);
				uint64_t pub = got ? 1 + (x >> 40) % (uint64_t)got : 0;
				for (uint64_t i = 0; i < pub; i++)
					((uint64_t *)s)[i] = val(seq + i);
				if (pub)
					KAOS_ASSERT_OK(kaos_bcast_publish(&r, pub));
				seq += pub;
				continue;
			}
			int64_t got = kaos_bcast_peek(&c[who], n, &s);
			uint64_t expect = cap - (rd[who] & (cap - 1));
			expect = expect < n ? expect : n;
			expect = expect < seq - rd[who] ? expect : seq - rd[who];
			KAOS_ASSERT_EQ(got, (int64_t)expect);
			uint64_t rel = got ? 1 + (x >> 40) % (uint64_t)got : 0;
			for (uint64_t i = 0; i < rel; i++)
				KAOS_ASSERT_UEQ(((uint64_t *)s)[i], val(rd[who] + i));
			if (rel)
				KAOS_ASSERT_OK(kaos_bcast_release(&c[who], rel));
			rd[who] += rel;
		}
		kaos_bcast_destroy(&r);
	}
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(memsize_init_create_reject_bad_arguments),
		KAOS_TEST(w26_too_big_is_not_full),
		KAOS_TEST(publish_and_release_counts),
		KAOS_TEST(no_consumer_never_blocks_the_producer),
		KAOS_TEST(join_leave_and_ebusy_at_max_consumers),
		KAOS_TEST(gating_by_the_slowest_consumer),
		KAOS_TEST(w4_bcast_never_started_consumer_not_lapped),
		KAOS_TEST(bcast_late_join_starts_at_head),
		KAOS_TEST(join_after_validation),
		KAOS_TEST(join_after_starts_at_the_slowest_dependency),
		KAOS_TEST(chain_pipeline),
		KAOS_TEST(diamond_pipeline),
		KAOS_TEST(diamond_gating_step_by_step),
		KAOS_TEST(poll_calls_handler_in_order),
		KAOS_TEST(claim_and_peek_across_the_wrap),
		KAOS_TEST(wraparound_random_batches),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
