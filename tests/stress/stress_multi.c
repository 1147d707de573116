/* SPDX-License-Identifier: MIT */
/*
 * Real threads through the MPSC, SPMC and MPMC rings, in shapes from 1P1C
 * to 8P8C (oversubscribed on small machines), capacities 2 to 2^20 rotated
 * across shapes, batch (claim/publish, peek/release, random sizes) and
 * per-event (push/pop) calls mixed in every thread.
 *
 * Every slot carries {producer, per-producer sequence, words derived from
 * both}. Each consumer checks every word, that each producer's events come
 * in increasing order (exactly consecutive with one consumer), and marks
 * the event in its own bitmap; at the end the bitmaps must not overlap and
 * must cover every event: each event delivered exactly once.
 *
 * Threads poll (kaos_cpu_relax, then sched_yield after a few failed tries)
 * and every loop has a deadline: a bug fails the test with the state
 * printed instead of hanging. `--soak SECONDS` repeats every case, rotating
 * capacities, for an equal share of SECONDS (tests/stress/run-soak.sh).
 * The threaded halves of the original's bugs (W1, W2, W3, W9, W10) are the
 * w* cases. Single-threaded checks: tests/unit/test_multi.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

/* ---- ring kinds behind one table -------------------------------------------- */

union ring {
	struct kaos_mpsc mpsc;
	struct kaos_spmc spmc;
	struct kaos_mpmc mpmc;
};

struct ops {
	const char *name;
	bool mp, mc;
	int (*create)(union ring *, uint64_t, size_t, enum kaos_mem);
	void (*destroy)(union ring *);
	int64_t (*claim)(union ring *, uint64_t, struct kaos_batch *);
	void (*publish)(union ring *, const struct kaos_batch *);
	int64_t (*peek)(union ring *, uint64_t, struct kaos_batch *);
	void (*release)(union ring *, const struct kaos_batch *);
	int (*push)(union ring *, const void *);
	int (*pop)(union ring *, void *);
};

#define OPS(k, MP, MC)                                                          \
	static int k##_create(union ring *r, uint64_t c, size_t s, enum kaos_mem m) \
	{ return kaos_##k##_create(&r->k, c, s, m); }                           \
	static void k##_destroy(union ring *r) { kaos_##k##_destroy(&r->k); }   \
	static int64_t k##_claim(union ring *r, uint64_t n, struct kaos_batch *b) \
	{ return kaos_##k##_claim(&r->k, n, b); }                               \
	static void k##_publish(union ring *r, const struct kaos_batch *b)      \
	{ kaos_##k##_publish(&r->k, b); }                                       \
	static int64_t k##_peek(union ring *r, uint64_t n, struct kaos_batch *b) \
	{ return kaos_##k##_peek(&r->k, n, b); }                                \
	static void k##_release(union ring *r, const struct kaos_batch *b)      \
	{ kaos_##k##_release(&r->k, b); }                                       \
	static int k##_push(union ring *r, const void *v) { return kaos_##k##_push(&r->k, v); } \
	static int k##_pop(union ring *r, void *v) { return kaos_##k##_pop(&r->k, v); } \
	static const struct ops k##_ops = { #k, MP, MC, k##_create, k##_destroy, \
					    k##_claim, k##_publish, k##_peek,   \
					    k##_release, k##_push, k##_pop }

OPS(mpsc, true, false);
OPS(spmc, false, true);
OPS(mpmc, true, true);

/* ---- shared helpers: payload, deadline, idling ----------------------------- */

#define MAXP 8
#define MAXC 8
#define MAX_SLOT 64
#define HOLD_MAX 64 /* slots a holding consumer takes at once */

static const uint64_t capacities[] = { 2, 64, 4096, 1 << 20 };

/* Word k >= 2 of the slot for (producer, seq). */
static inline uint64_t
mix(uint64_t p, uint64_t s, uint64_t k)
{
	uint64_t x = (s + 1) * 0x9E3779B97F4A7C15ull ^ (p << 56) ^ (k * 0xBF58476D1CE4E5B9ull);
	return x ^ (x >> 31);
}

static void
fill(void *slot, size_t sz, uint64_t p, uint64_t s)
{
	uint64_t *w = slot;
	w[0] = p;
	w[1] = s;
	for (size_t k = 2; k < sz / 8; k++)
		w[k] = mix(p, s, k);
}

static int ncpus;

static uint64_t
deadline_after_s(void)
{
	const char *e = getenv("KAOS_STRESS_DEADLINE");
	double s = e ? strtod(e, NULL) : 0;
	if (s <= 0)
		s = 240;
	return kaos_now_ns() + (uint64_t)(s * 1e9);
}

struct shape {
	const struct ops *o;
	int np, nc;
	uint64_t cap;
	size_t slot_size;
	uint64_t events;
	/* options for the regression cases */
	int hold;            /* re-check taken slots after a pause (W2, W10) */
	uint64_t hold_ahead; /* consumer 0 holds until the producers are this far on (W9) */
	int slow_publish;    /* producers pause between claim and publish (W1) */
	int big_claims;      /* producers always ask for the whole ring (W10) */
};

struct run {
	const struct shape *sh;
	union ring ring;
	uint64_t per_prod[MAXP], base[MAXP + 1]; /* events of each producer; bitmap offsets */
	uint64_t *seen[MAXC];                     /* per consumer bitmap */
	pthread_barrier_t start;
	uint64_t deadline;
	uint32_t yield_after;
	_Atomic uint64_t consumed; /* events taken by all consumers */
	_Atomic uint64_t produced; /* events published by all producers */
	_Atomic uint64_t prod_done[MAXP], cons_done[MAXC];
};

struct thread_arg {
	struct run *run;
	int id;
};

static void
dump_and_fail(struct run *run, const char *who, int id)
{
	const struct shape *sh = run->sh;
	const struct kaos__stamped *s = &run->ring.mpmc.s;
	fprintf(stderr, "TIMEOUT in %s %d: %s %dP%dC cap %" PRIu64 ", %" PRIu64
		" events; published %" PRIu64 ", taken %" PRIu64 "\n",
		who, id, sh->o->name, sh->np, sh->nc, sh->cap, sh->events,
		atomic_load(&run->produced), atomic_load(&run->consumed));
	for (int p = 0; p < sh->np; p++)
		fprintf(stderr, "  producer %d: %" PRIu64 "/%" PRIu64 "\n", p,
			atomic_load(&run->prod_done[p]), run->per_prod[p]);
	for (int c = 0; c < sh->nc; c++)
		fprintf(stderr, "  consumer %d: took %" PRIu64 "\n", c,
			atomic_load(&run->cons_done[c]));
	uint64_t w = atomic_load(&s->ro.ctl->tail), r = atomic_load(&s->ro.ctl->head);
	fprintf(stderr, "  shared wpos %" PRIu64 " rpos %" PRIu64 " (single sides keep"
		" theirs privately); stamps from rpos:", w, r);
	for (uint64_t i = 0; i < 4 && i < sh->cap; i++)
		fprintf(stderr, " %" PRIu64, atomic_load(&s->ro.stamps[(r + i) & s->ro.mask]));
	fputc('\n', stderr);
	KAOS_FAIL("no progress before the deadline");
}

/* Called after a try that got nothing: spin, then yield; fail at the
 * deadline. Reset *fails after progress. */
static void
idle(struct run *run, uint32_t *fails, const char *who, int id)
{
	if (++*fails < run->yield_after)
		kaos_cpu_relax();
	else
		sched_yield();
	if ((*fails & 127) == 0 && kaos_now_ns() > run->deadline)
		dump_and_fail(run, who, id);
}

static uint64_t
rand_count(uint64_t *seed, uint64_t cap)
{
	uint64_t x = kaos_test_rand(seed), n;
	switch (x & 3) {
	case 0:
	case 1: n = 1 + (x >> 8) % 8; break;
	case 2: n = 1 + (x >> 8) % 64; break;
	default: n = 1 + (x >> 8) % cap; break;
	}
	return n > cap ? cap : n;
}

/* ---- producer and consumer ------------------------------------------------ */

static void *
producer(void *arg)
{
	struct thread_arg *ta = arg;
	struct run *run = ta->run;
	const struct shape *sh = run->sh;
	const struct ops *o = sh->o;
	uint64_t p = (uint64_t)ta->id, n = run->per_prod[p], s = 0;
	uint64_t seed = 0x9E3779B97F4A7C15ull * (p + 1) ^ sh->cap ^ kaos_test_soak_round;
	uint32_t fails = 0;
	unsigned char buf[MAX_SLOT];

	pthread_barrier_wait(&run->start);
	while (s < n) {
		uint64_t x = kaos_test_rand(&seed), got = 0;
		if (x % 4 == 0 && !sh->big_claims) {
			fill(buf, sh->slot_size, p, s);
			int rc = o->push(&run->ring, buf);
			if (rc == 0)
				got = 1;
			else if (rc != -KAOS_EFULL)
				KAOS_FAIL("push: %s", kaos_strerror(rc));
		} else {
			struct kaos_batch b;
			uint64_t want = sh->big_claims ? sh->cap : rand_count(&seed, sh->cap);
			if (want > n - s)
				want = n - s;
			int64_t rc = o->claim(&run->ring, want, &b);
			if (rc < 0)
				KAOS_FAIL("claim(%" PRIu64 "): %s", want, kaos_strerror((int)rc));
			got = (uint64_t)rc;
			KAOS_ASSERT_LE(got, want);
			for (uint64_t i = 0; i < got; i++)
				fill((unsigned char *)b.slots + i * sh->slot_size,
				     sh->slot_size, p, s + i);
			if (got && sh->slow_publish && (x >> 40) % 4 == 0)
				sched_yield(); /* consumers now see a claimed, unpublished run */
			if (got)
				o->publish(&run->ring, &b);
		}
		if (got) {
			s += got;
			fails = 0;
			atomic_fetch_add_explicit(&run->produced, got, memory_order_relaxed);
			atomic_store_explicit(&run->prod_done[p], s, memory_order_relaxed);
		} else {
			idle(run, &fails, "producer", (int)p);
		}
	}
	return NULL;
}

struct consumer_state {
	struct run *run;
	int id;
	uint64_t last[MAXP]; /* last sequence seen per producer, +1 (0: none) */
	uint64_t *seen;
};

static void
check_event(struct consumer_state *cs, const void *slot)
{
	const struct shape *sh = cs->run->sh;
	const uint64_t *w = slot;
	uint64_t p = w[0], s = w[1];
	if (p >= (uint64_t)sh->np || s >= cs->run->per_prod[p])
		KAOS_FAIL("consumer %d: bad event {%" PRIu64 ", %" PRIu64 "}", cs->id, p, s);
	for (size_t k = 2; k < sh->slot_size / 8; k++)
		if (w[k] != mix(p, s, k))
			KAOS_FAIL("consumer %d: event {%" PRIu64 ", %" PRIu64 "} word %zu is %" PRIx64
				  ", want %" PRIx64, cs->id, p, s, k, w[k], mix(p, s, k));
	/* per producer: increasing for every consumer, consecutive for one */
	if (s < cs->last[p] || (sh->nc == 1 && s != cs->last[p]))
		KAOS_FAIL("consumer %d: producer %" PRIu64 " seq %" PRIu64 " after %" PRIu64,
			  cs->id, p, s, cs->last[p] - 1);
	cs->last[p] = s + 1;
	uint64_t bit = cs->run->base[p] + s;
	if (cs->seen[bit / 64] & (1ull << (bit % 64)))
		KAOS_FAIL("consumer %d: event {%" PRIu64 ", %" PRIu64 "} twice", cs->id, p, s);
	cs->seen[bit / 64] |= 1ull << (bit % 64);
}

/* Keep a taken run a while, then check that nobody wrote into it. */
static void
hold(struct consumer_state *cs, const struct kaos_batch *b, uint64_t *seed)
{
	struct run *run = cs->run;
	const struct shape *sh = run->sh;
	unsigned char copy[HOLD_MAX * MAX_SLOT];
	size_t bytes = (size_t)b->count * sh->slot_size;
	uint32_t fails = 0;
	memcpy(copy, b->slots, bytes);
	if (sh->hold_ahead) {
		/* W9: let the producers get hold_ahead events past this run */
		uint64_t until = b->seq + b->count + sh->hold_ahead;
		while (atomic_load_explicit(&run->produced, memory_order_relaxed) < until &&
		       atomic_load_explicit(&run->produced, memory_order_relaxed) < sh->events)
			idle(run, &fails, "holding consumer", cs->id);
	} else {
		for (uint64_t i = kaos_test_rand(seed) % 64; i; i--)
			sched_yield();
	}
	if (memcmp(copy, b->slots, bytes) != 0)
		KAOS_FAIL("consumer %d: run at %" PRIu64 " (%" PRIu64 " slots) overwritten"
			  " while taken", cs->id, b->seq, b->count);
}

static void *
consumer(void *arg)
{
	struct thread_arg *ta = arg;
	struct run *run = ta->run;
	const struct shape *sh = run->sh;
	const struct ops *o = sh->o;
	struct consumer_state cs = { .run = run, .id = ta->id, .seen = run->seen[ta->id] };
	uint64_t seed = 0xD1B54A32D192ED03ull * (uint64_t)(ta->id + 1) ^ sh->cap ^ kaos_test_soak_round;
	uint64_t mine = 0, next_hold = 0;
	uint32_t fails = 0;
	unsigned char buf[MAX_SLOT];

	pthread_barrier_wait(&run->start);
	while (atomic_load_explicit(&run->consumed, memory_order_relaxed) < sh->events) {
		uint64_t x = kaos_test_rand(&seed), got = 0;
		if (x % 4 == 0) {
			int rc = o->pop(&run->ring, buf);
			if (rc == 0) {
				check_event(&cs, buf);
				got = 1;
			} else if (rc != -KAOS_EEMPTY) {
				KAOS_FAIL("pop: %s", kaos_strerror(rc));
			}
		} else {
			struct kaos_batch b;
			uint64_t want = rand_count(&seed, sh->cap);
			if ((sh->hold || sh->hold_ahead) && want > HOLD_MAX)
				want = HOLD_MAX;
			int64_t rc = o->peek(&run->ring, want, &b);
			if (rc < 0)
				KAOS_FAIL("peek(%" PRIu64 "): %s", want, kaos_strerror((int)rc));
			got = (uint64_t)rc;
			KAOS_ASSERT_LE(got, want);
			for (uint64_t i = 0; i < got; i++)
				check_event(&cs, (unsigned char *)b.slots + i * sh->slot_size);
			if (got && sh->hold && (x >> 32) % 8 == 0)
				hold(&cs, &b, &seed);
			if (got && sh->hold_ahead && ta->id == 0 && b.seq >= next_hold) {
				hold(&cs, &b, &seed);
				next_hold = b.seq + sh->events / 4;
			}
			if (got)
				o->release(&run->ring, &b);
		}
		if (got) {
			mine += got;
			fails = 0;
			atomic_fetch_add_explicit(&run->consumed, got, memory_order_relaxed);
			atomic_store_explicit(&run->cons_done[ta->id], mine, memory_order_relaxed);
		} else {
			idle(run, &fails, "consumer", ta->id);
		}
	}
	return NULL;
}

/* ---- one run of one shape ------------------------------------------------------ */

static void
run_shape(const struct shape *sh)
{
	struct run *run = calloc(1, sizeof(*run));
	KAOS_ASSERT(run);
	KAOS_ASSERT(sh->np >= 1 && sh->np <= MAXP && sh->nc >= 1 && sh->nc <= MAXC);
	KAOS_ASSERT(sh->slot_size >= 16 && sh->slot_size <= MAX_SLOT);
	KAOS_ASSERT(sh->o->mp || sh->np == 1);
	KAOS_ASSERT(sh->o->mc || sh->nc == 1);
	run->sh = sh;
	for (int p = 0; p < sh->np; p++) {
		run->per_prod[p] = sh->events / (uint64_t)sh->np +
				   ((uint64_t)p < sh->events % (uint64_t)sh->np);
		run->base[p + 1] = run->base[p] + run->per_prod[p];
	}
	size_t words = (size_t)(sh->events + 63) / 64;
	for (int c = 0; c < sh->nc; c++) {
		run->seen[c] = calloc(words, sizeof(uint64_t));
		KAOS_ASSERT(run->seen[c]);
	}
	run->yield_after = sh->np + sh->nc > ncpus ? 8 : 1024;
	run->deadline = deadline_after_s();
	KAOS_ASSERT_OK(sh->o->create(&run->ring, sh->cap, sh->slot_size,
				     sh->cap >= 4096 ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(pthread_barrier_init(&run->start, NULL,
					    (unsigned)(sh->np + sh->nc)), 0);

	pthread_t th[MAXP + MAXC];
	struct thread_arg args[MAXP + MAXC];
	int n = 0;
	for (int c = 0; c < sh->nc; c++, n++) {
		args[n] = (struct thread_arg){ run, c };
		KAOS_ASSERT_EQ(pthread_create(&th[n], NULL, consumer, &args[n]), 0);
	}
	for (int p = 0; p < sh->np; p++, n++) {
		args[n] = (struct thread_arg){ run, p };
		KAOS_ASSERT_EQ(pthread_create(&th[n], NULL, producer, &args[n]), 0);
	}
	for (int i = 0; i < n; i++)
		KAOS_ASSERT_EQ(pthread_join(th[i], NULL), 0);

	/* exactly once: the consumers' bitmaps are disjoint and cover all */
	KAOS_ASSERT_UEQ(atomic_load(&run->consumed), sh->events);
	for (size_t i = 0; i < words; i++) {
		uint64_t all = 0;
		for (int c = 0; c < sh->nc; c++) {
			if (all & run->seen[c][i])
				KAOS_FAIL("event bit %zu delivered to two consumers",
					  i * 64 + (size_t)__builtin_ctzll(all & run->seen[c][i]));
			all |= run->seen[c][i];
		}
		uint64_t want = i + 1 < words || sh->events % 64 == 0
					? ~0ull : (1ull << (sh->events % 64)) - 1;
		if (all != want)
			KAOS_FAIL("event bit %zu never delivered",
				  i * 64 + (size_t)__builtin_ctzll(~all & want));
	}
	/* and nothing extra is left */
	struct kaos_batch b;
	KAOS_ASSERT_EQ(sh->o->peek(&run->ring, 1, &b), 0);

	pthread_barrier_destroy(&run->start);
	sh->o->destroy(&run->ring);
	for (int c = 0; c < sh->nc; c++)
		free(run->seen[c]);
	free(run);
}

static void
report(const struct shape *sh, uint64_t t0)
{
	double s = (double)(kaos_now_ns() - t0) / 1e9;
	printf("  %-4s %dP%dC cap %-7" PRIu64 " slot %2zu: %9" PRIu64 " events ok, %.2f s, %.1f M/s\n",
	       sh->o->name, sh->np, sh->nc, sh->cap, sh->slot_size, sh->events, s,
	       (double)sh->events / s / 1e6);
	fflush(stdout);
}

/* One shape: its capacity comes from the rotation (shifted every soak
 * round); slot sizes alternate between 24 and 64 bytes. */
static void
shape_case(const struct ops *o, int np, int nc, int rot)
{
	struct shape sh = { .o = o, .np = np, .nc = nc };
	sh.cap = capacities[((unsigned)rot + kaos_test_soak_round) % 4];
	sh.slot_size = (rot + (int)kaos_test_soak_round) % 2 ? 64 : 24;
	sh.events = kaos_test_scaled(10000000, 20000);
	uint64_t t0 = kaos_now_ns();
	run_shape(&sh);
	report(&sh, t0);
}

#define SHAPE(kind, P, C, rot)                                                    \
	static void kind##_##P##p##C##c(void) { shape_case(&kind##_ops, P, C, rot); }

SHAPE(mpsc, 1, 1, 0)
SHAPE(mpsc, 2, 1, 1)
SHAPE(mpsc, 4, 1, 2)
SHAPE(mpsc, 8, 1, 3)
SHAPE(spmc, 1, 1, 1)
SHAPE(spmc, 1, 2, 2)
SHAPE(spmc, 1, 4, 3)
SHAPE(spmc, 1, 8, 0)
SHAPE(mpmc, 1, 1, 2)
SHAPE(mpmc, 2, 2, 3)
SHAPE(mpmc, 4, 4, 0)
SHAPE(mpmc, 8, 8, 1)

/* ---- the original's bugs, threaded halves --------------------------------------- */

/* W1: consumers polling while the first events are claimed but not yet
 * published, over and over on fresh rings: never a phantom event. */
static void
w1_mpmc_no_phantom_event_while_first_claims_are_open(void)
{
	uint64_t rounds = kaos_test_scaled(1000, 20);
	for (uint64_t i = 0; i < rounds; i++) {
		struct shape sh = { .o = i % 2 ? &mpmc_ops : &mpsc_ops,
				    .np = 2, .nc = i % 2 ? 2 : 1,
				    .cap = i % 3 ? 64 : 2, .slot_size = 24,
				    .events = 1 + i % 7, .slow_publish = 1 };
		run_shape(&sh);
	}
	printf("  %" PRIu64 " fresh rings ok\n", rounds);
}

/* W2: producers keep pushing while consumers hold taken runs for a while;
 * a held run must be unchanged when released. */
static void
w2_mpmc_taken_slot_not_overwritten_before_release(void)
{
	for (int i = 0; i < 2; i++) {
		struct shape sh = { .o = &mpmc_ops, .np = 4, .nc = 2,
				    .cap = i ? 64 : 2, .slot_size = 64,
				    .events = kaos_test_scaled(i ? 400000 : 40000, 2000),
				    .hold = 1 };
		uint64_t t0 = kaos_now_ns();
		run_shape(&sh);
		report(&sh, t0);
	}
}

/* W3: capacity 64, many laps, with claims left open across the lap. */
static void
w3_capacity_64_wraps_correctly(void)
{
	const struct ops *const kinds[] = { &mpsc_ops, &mpmc_ops };
	for (int i = 0; i < 2; i++) {
		struct shape sh = { .o = kinds[i], .np = 3, .nc = i ? 2 : 1,
				    .cap = 64, .slot_size = 24,
				    .events = kaos_test_scaled(1000000, 2000),
				    .slow_publish = 1 };
		uint64_t t0 = kaos_now_ns();
		run_shape(&sh);
		report(&sh, t0);
	}
}

/* W9: 2^20 slots; consumer 0 holds a run until the producer is more than
 * 64K events past it, while consumer 1 goes on. */
static void
w9_spmc_beyond_64k_slots(void)
{
	struct shape sh = { .o = &spmc_ops, .np = 1, .nc = 2, .cap = 1 << 20,
			    .slot_size = 24, .hold_ahead = (1 << 16) + 1000,
			    .events = kaos_test_scaled(4000000, 300000) };
	uint64_t t0 = kaos_now_ns();
	run_shape(&sh);
	report(&sh, t0);
}

/* W10: the producer always asks for the whole ring (overshooting what is
 * free) while consumers hold taken runs. */
static void
w10_spmc_producer_never_overwrites_unreleased(void)
{
	for (int i = 0; i < 2; i++) {
		struct shape sh = { .o = &spmc_ops, .np = 1, .nc = 4,
				    .cap = i ? 64 : 2, .slot_size = 32,
				    .events = kaos_test_scaled(i ? 400000 : 40000, 2000),
				    .hold = 1, .big_claims = 1 };
		uint64_t t0 = kaos_now_ns();
		run_shape(&sh);
		report(&sh, t0);
	}
}

/* ---- main, with the soak mode -------------------------------------------------- */

static const struct kaos_test_case cases[] = {
	KAOS_TEST(mpsc_1p1c), KAOS_TEST(mpsc_2p1c), KAOS_TEST(mpsc_4p1c),
	KAOS_TEST(mpsc_8p1c), KAOS_TEST(spmc_1p1c), KAOS_TEST(spmc_1p2c),
	KAOS_TEST(spmc_1p4c), KAOS_TEST(spmc_1p8c), KAOS_TEST(mpmc_1p1c),
	KAOS_TEST(mpmc_2p2c), KAOS_TEST(mpmc_4p4c), KAOS_TEST(mpmc_8p8c),
	KAOS_TEST(w1_mpmc_no_phantom_event_while_first_claims_are_open),
	KAOS_TEST(w2_mpmc_taken_slot_not_overwritten_before_release),
	KAOS_TEST(w3_capacity_64_wraps_correctly),
	KAOS_TEST(w9_spmc_beyond_64k_slots),
	KAOS_TEST(w10_spmc_producer_never_overwrites_unreleased),
	KAOS_TEST_END,
};

int
main(int argc, char **argv)
{
	int cpus[256];
	ncpus = kaos_cpus_allowed(cpus, 256);
	if (ncpus < 1)
		ncpus = 1;
	return kaos_test_main(cases, argc, argv);
}
