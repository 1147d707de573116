/* SPDX-License-Identifier: MIT */
/*
 * Real threads through the message ring (kaos/msgring.h): one producer
 * (SP) or four (MP), with and without CRC, on a 64 KiB ring and on a 1 KiB
 * one that wraps all the time, payload lengths random from 0 to the
 * largest (the edges often).
 *
 * Message s of producer p follows from (p, s) alone: its length and bytes
 * come from a PRNG seeded by both, its type carries p and the low 24 bits
 * of s, and a payload of 16 bytes or more starts with p and s. The one
 * consumer recomputes each message and checks its type, length and every
 * byte, and that each producer's messages arrive in order with none
 * missing or repeated; at the end the counts must be exact and the ring
 * empty. Producers mix zero-copy claim/commit with kaos_msgring_write and
 * now and then abort a claim (MP producers scribble into it first: the
 * padding it becomes must hide that). The *_blocking cases wait with
 * KAOS_WAIT_BLOCK on both sides; the sp_batches_* cases stage records in
 * batches (kaos_msgring_write_batch).
 *
 * Threads poll (kaos_cpu_relax, then sched_yield after a few failed tries)
 * and every loop has a deadline (KAOS_STRESS_DEADLINE seconds, default
 * 240): a bug fails the test with the state printed instead of hanging.
 * `--soak SECONDS` repeats every case with new seeds for an equal share of
 * SECONDS. Single-threaded checks: tests/unit/test_msgring.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#define MAXP 4
#define MAX_PAYLOAD (64 * 1024 / 8) /* the largest payload of a 64 KiB ring is below */

struct shape {
	const char *name;
	int np;
	uint64_t cap;
	uint32_t flags;
	bool blocking;
	uint64_t msgs; /* in all, before scaling */
	bool batches;  /* SP: stage records, kaos_msgring_write_batch */
};

struct run {
	const struct shape *sh;
	struct kaos_msgring ring;
	size_t max;    /* largest payload */
	uint64_t salt; /* new seeds every soak round */
	uint64_t events, per_prod[MAXP];
	struct kaos_wait how; /* blocking cases */
	pthread_barrier_t start;
	uint64_t deadline;
	uint32_t yield_after;
	_Atomic uint64_t sent[MAXP], aborted[MAXP]; /* per producer */
	_Atomic uint64_t got[MAXP];                 /* per producer, by the consumer */
};

struct thread_arg {
	struct run *run;
	int id;
};

static int ncpus;

/* ---- the messages ------------------------------------------------------------ */

static uint64_t
mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* PRNG seed of message s of producer p (odd: xorshift needs non-zero). */
static uint64_t
msg_seed(const struct run *run, uint64_t p, uint64_t s)
{
	return mix64(p << 56 ^ s ^ run->salt) | 1;
}

static uint32_t
msg_type(uint64_t p, uint64_t s)
{
	return (uint32_t)(p << 24 | (s & 0xffffff));
}

static size_t
msg_len(uint64_t seed, size_t max)
{
	uint64_t h = mix64(seed);
	size_t small = (size_t)((h >> 8) % 24);
	switch (h % 8) {
	case 0: return 0;
	case 1: return max;
	case 2: return small < max ? small : max;
	default: return (size_t)((h >> 8) % (max + 1));
	}
}

static void
fill(unsigned char *d, size_t len, uint64_t p, uint64_t s, uint64_t seed)
{
	uint64_t x = seed, v;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		v = kaos_test_rand(&x);
		memcpy(d + i, &v, 8);
	}
	if (i < len) {
		v = kaos_test_rand(&x);
		memcpy(d + i, &v, len - i);
	}
	if (len >= 16) {
		memcpy(d, &p, 8);
		memcpy(d + 8, &s, 8);
	}
}

/* ---- deadline and idling ------------------------------------------------------- */

static uint64_t
deadline_after_s(void)
{
	const char *e = getenv("KAOS_STRESS_DEADLINE");
	double s = e ? strtod(e, NULL) : 0;
	if (s <= 0)
		s = 240;
	return kaos_now_ns() + (uint64_t)(s * 1e9);
}

static void
dump_and_fail(struct run *run, const char *who, int id)
{
	const struct shape *sh = run->sh;
	const struct kaos__ring_ctl *ctl = run->ring.ro.ctl;
	fprintf(stderr, "STUCK in %s %d: %s, %" PRIu64 " messages; tail %" PRIu64 " head %" PRIu64
		" used %" PRIu64 "\n", who, id, sh->name, run->events, atomic_load(&ctl->tail),
		atomic_load(&ctl->head), kaos_msgring_used(&run->ring));
	for (int p = 0; p < sh->np; p++)
		fprintf(stderr, "  producer %d: sent %" PRIu64 "/%" PRIu64 " (aborted %" PRIu64
			"), consumer has %" PRIu64 "\n", p, atomic_load(&run->sent[p]),
			run->per_prod[p], atomic_load(&run->aborted[p]), atomic_load(&run->got[p]));
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

/* ---- producer ------------------------------------------------------------------ */

static void *
producer(void *arg)
{
	struct thread_arg *ta = arg;
	struct run *run = ta->run;
	const struct shape *sh = run->sh;
	const bool mp = sh->flags & KAOS_MSGRING_MP;
	uint64_t p = (uint64_t)ta->id, n = run->per_prod[p];
	uint64_t choice = mix64(0xC0FFEE + p) ^ run->salt;
	uint32_t fails = 0;
	struct kaos_msgring_producer prod;
	unsigned char *buf = malloc(MAX_PAYLOAD);
	KAOS_ASSERT(buf);
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&prod, &run->ring, (uint32_t)p));

	pthread_barrier_wait(&run->start);
	for (uint64_t s = 0; s < n;) {
		uint64_t seed = msg_seed(run, p, s), x = kaos_test_rand(&choice);
		size_t len = msg_len(seed, run->max);
		uint32_t type = msg_type(p, s);
		void *data = NULL;
		bool by_copy = !sh->blocking && x % 4 == 0;
		int rc;
		if (by_copy) {
			fill(buf, len, p, s, seed);
			rc = kaos_msgring_write(&prod, type, buf, len);
		} else if (sh->blocking) {
			rc = kaos_msgring_claim_wait(&prod, type, len, &data, &run->how);
			if (rc == -ETIMEDOUT)
				dump_and_fail(run, "producer (claim_wait)", (int)p);
		} else {
			rc = kaos_msgring_claim(&prod, type, len, &data);
		}
		if (rc == 0 && !by_copy) {
			KAOS_ASSERT((uintptr_t)data % 8 == 0);
			if ((x >> 8) % 16 == 0) {
				/* changed our mind. MP: scribble first, the
				 * padding hides it. SP: give up before writing
				 * (written-then-aborted SP claims are a bug, see
				 * test_msgring's bug_sp_abort_*). */
				if (mp)
					memset(data, 0x01, len);
				KAOS_ASSERT_OK(kaos_msgring_abort(&prod));
				atomic_fetch_add_explicit(&run->aborted[p], 1, memory_order_relaxed);
				continue;
			}
			fill(data, len, p, s, seed);
			KAOS_ASSERT_OK(kaos_msgring_commit(&prod));
		}
		if (rc == 0) {
			s++;
			fails = 0;
			atomic_store_explicit(&run->sent[p], s, memory_order_relaxed);
		} else if (rc == -KAOS_EFULL) {
			idle(run, &fails, "producer", (int)p);
		} else {
			KAOS_FAIL("producer %" PRIu64 ": message %" PRIu64 " (len %zu): %s", p, s, len,
				  kaos_strerror(rc));
		}
	}
	free(buf);
	return NULL;
}

/* SP, in batches: records staged in 8 KiB (a batch of 4 KiB or more is
 * copied in with streaming stores, src/ring/stream.h); one too large for
 * the stage goes in alone with kaos_msgring_write, after the batch before
 * it, so the order holds. */
static void *
batch_producer(void *arg)
{
	struct thread_arg *ta = arg;
	struct run *run = ta->run;
	uint64_t p = (uint64_t)ta->id, n = run->per_prod[p];
	uint32_t fails = 0;
	struct kaos_msgring_producer prod;
	static uint64_t stage[8192 / 8];
	struct kaos_msgring_batch b;
	unsigned char *buf = malloc(MAX_PAYLOAD);
	KAOS_ASSERT(buf);
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&prod, &run->ring, (uint32_t)p));
	/* a batch may hold no more than the largest record */
	size_t cap = run->max + 8 < sizeof(stage) ? (run->max + 8) / 8 * 8 : sizeof(stage);
	KAOS_ASSERT_OK(kaos_msgring_batch_init(&b, stage, cap));

	pthread_barrier_wait(&run->start);
	for (uint64_t s = 0, staged = 0; s < n || b.count;) {
		if (s < n) {
			uint64_t seed = msg_seed(run, p, s);
			size_t len = msg_len(seed, run->max);
			void *data = NULL;
			if (kaos_msgring_batch_claim(&b, msg_type(p, s), len, &data) == 0) {
				fill(data, len, p, s, seed);
				s++;
				continue;
			}
			if (b.count == 0) { /* larger than the whole stage */
				fill(buf, len, p, s, seed);
				int rc = kaos_msgring_write(&prod, msg_type(p, s), buf, len);
				if (rc == 0) {
					s++;
					staged = s;
					atomic_store_explicit(&run->sent[p], s, memory_order_relaxed);
					fails = 0;
				} else if (rc == -KAOS_EFULL) {
					idle(run, &fails, "batch producer", (int)p);
				} else {
					KAOS_FAIL("batch producer: write: %s", kaos_strerror(rc));
				}
				continue;
			}
		}
		int rc = kaos_msgring_write_batch(&prod, &b);
		if (rc == 0) {
			staged = s;
			atomic_store_explicit(&run->sent[p], staged, memory_order_relaxed);
			fails = 0;
		} else if (rc == -KAOS_EFULL) {
			idle(run, &fails, "batch producer", (int)p);
		} else {
			KAOS_FAIL("batch producer: write_batch: %s", kaos_strerror(rc));
		}
	}
	free(buf);
	return NULL;
}

/* ---- consumer ------------------------------------------------------------------ */

struct consumer {
	struct run *run;
	unsigned char *expect; /* the message as it should be */
	uint64_t next[MAXP];   /* next sequence per producer */
	uint64_t total;
};

static void
check(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct consumer *c = ctx;
	struct run *run = c->run;
	const unsigned char *d = data;
	uint64_t p = type >> 24;
	if (p >= (uint64_t)run->sh->np)
		KAOS_FAIL("message of type %#" PRIx32 " (len %zu): there is no producer %" PRIu64,
			  type, len, p);
	uint64_t s = c->next[p];
	if (s >= run->per_prod[p])
		KAOS_FAIL("producer %" PRIu64 ": a message after its last (%" PRIu64 ")", p,
			  run->per_prod[p]);
	if ((type & 0xffffff) != (s & 0xffffff))
		KAOS_FAIL("producer %" PRIu64 ": sequence ...%06" PRIx32 " where %" PRIu64
			  " (...%06" PRIx64 ") is due: lost, repeated or out of order", p,
			  type & 0xffffff, s, s & 0xffffff);
	if ((uintptr_t)data % 8)
		KAOS_FAIL("producer %" PRIu64 " message %" PRIu64 ": data not 8-byte aligned", p, s);
	uint64_t seed = msg_seed(run, p, s);
	size_t want = msg_len(seed, run->max);
	if (len != want)
		KAOS_FAIL("producer %" PRIu64 " message %" PRIu64 ": len %zu, want %zu", p, s, len,
			  want);
	if (len >= 16) {
		uint64_t gp, gs;
		memcpy(&gp, d, 8);
		memcpy(&gs, d + 8, 8);
		if (gp != p || gs != s)
			KAOS_FAIL("producer %" PRIu64 " message %" PRIu64 " carries producer %" PRIu64
				  " message %" PRIu64, p, s, gp, gs);
	}
	fill(c->expect, len, p, s, seed);
	if (memcmp(c->expect, d, len) != 0) {
		size_t i = 0;
		while (c->expect[i] == d[i])
			i++;
		KAOS_FAIL("producer %" PRIu64 " message %" PRIu64 " (len %zu): byte %zu is %#x,"
			  " want %#x", p, s, len, i, d[i], c->expect[i]);
	}
	c->next[p] = s + 1;
	c->total++;
	atomic_store_explicit(&run->got[p], s + 1, memory_order_relaxed);
}

static void *
consumer(void *arg)
{
	struct run *run = arg;
	const struct shape *sh = run->sh;
	struct consumer c = { .run = run, .expect = malloc(MAX_PAYLOAD) };
	uint64_t seed = mix64(0xBEEF) ^ run->salt;
	uint32_t fails = 0;
	KAOS_ASSERT(c.expect);

	pthread_barrier_wait(&run->start);
	while (c.total < run->events) {
		uint64_t x = kaos_test_rand(&seed);
		uint64_t limit = x % 4 == 0 ? 1 : x % 4 == 1 ? 1 + (x >> 8) % 16 : UINT64_MAX;
		int64_t n;
		if (sh->blocking) {
			n = kaos_msgring_read_wait(&run->ring, check, &c, limit, &run->how);
			if (n == -ETIMEDOUT)
				dump_and_fail(run, "consumer (read_wait)", 0);
		} else {
			n = kaos_msgring_read(&run->ring, check, &c, limit);
		}
		if (n < 0)
			KAOS_FAIL("read after %" PRIu64 " messages: %s", c.total,
				  kaos_strerror((int)n));
		KAOS_ASSERT((uint64_t)n <= limit);
		if (n > 0)
			fails = 0;
		else
			idle(run, &fails, "consumer", 0);
	}
	/* every producer has committed its last message: nothing more */
	for (int p = 0; p < sh->np; p++)
		KAOS_ASSERT_UEQ(c.next[p], run->per_prod[p]);
	free(c.expect);
	return NULL;
}

/* ---- one run ------------------------------------------------------------------- */

static void
unexpected(uint32_t type, const void *data, size_t len, void *ctx)
{
	(void)data;
	(void)ctx;
	KAOS_FAIL("a message after the last: type %#" PRIx32 ", len %zu", type, len);
}

static void
run_shape(const struct shape *sh)
{
	struct run *run = calloc(1, sizeof(*run));
	KAOS_ASSERT(run);
	KAOS_ASSERT(sh->np >= 1 && sh->np <= MAXP);
	KAOS_ASSERT((sh->flags & KAOS_MSGRING_MP) || sh->np == 1);
	run->sh = sh;
	run->salt = mix64(kaos_test_soak_round + 1) ^ sh->cap;
	run->events = kaos_test_scaled(sh->msgs, 2000);
	for (int p = 0; p < sh->np; p++)
		run->per_prod[p] = run->events / (uint64_t)sh->np +
				   ((uint64_t)p < run->events % (uint64_t)sh->np);
	run->yield_after = sh->np + 1 > ncpus ? 8 : 1024;
	run->deadline = deadline_after_s();
	/* a blocked wait that outlives the deadline is a lost wake-up */
	run->how = (struct kaos_wait){ .kind = KAOS_WAIT_BLOCK,
				       .timeout_ns = run->deadline - kaos_now_ns() };
	KAOS_ASSERT_OK(kaos_msgring_create(&run->ring, sh->cap, sh->flags,
					   sh->cap >= 65536 ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP));
	run->max = kaos_msgring_max_payload(&run->ring);
	KAOS_ASSERT_LE(run->max, MAX_PAYLOAD);
	if (sh->blocking)
		kaos_msgring_set_blocking(&run->ring, true);
	KAOS_ASSERT_EQ(pthread_barrier_init(&run->start, NULL, (unsigned)sh->np + 1), 0);

	uint64_t t0 = kaos_now_ns();
	pthread_t th[MAXP + 1];
	struct thread_arg args[MAXP];
	KAOS_ASSERT_EQ(pthread_create(&th[0], NULL, consumer, run), 0);
	for (int p = 0; p < sh->np; p++) {
		args[p] = (struct thread_arg){ run, p };
		KAOS_ASSERT_EQ(pthread_create(&th[p + 1], NULL,
					      sh->batches ? batch_producer : producer, &args[p]), 0);
	}
	for (int i = 0; i <= sh->np; i++)
		KAOS_ASSERT_EQ(pthread_join(th[i], NULL), 0);
	double secs = (double)(kaos_now_ns() - t0) / 1e9;

	/* exact counts, nothing left, nothing dropped or unblocked */
	uint64_t aborted = 0;
	for (int p = 0; p < sh->np; p++) {
		KAOS_ASSERT_UEQ(atomic_load(&run->sent[p]), run->per_prod[p]);
		KAOS_ASSERT_UEQ(atomic_load(&run->got[p]), run->per_prod[p]);
		aborted += atomic_load(&run->aborted[p]);
	}
	KAOS_ASSERT_EQ(kaos_msgring_read(&run->ring, unexpected, NULL, UINT64_MAX), 0);
	KAOS_ASSERT_UEQ(kaos_msgring_used(&run->ring), 0);
	KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&run->ring), 0);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&run->ring), 0);
	printf("  %-22s %9" PRIu64 " messages ok (%" PRIu64 " claims aborted), %.2f s\n",
	       sh->name, run->events, aborted, secs);
	fflush(stdout);

	pthread_barrier_destroy(&run->start);
	kaos_msgring_destroy(&run->ring);
	free(run);
}

/* ---- cases ----------------------------------------------------------------------- */

#define K64 (64 * 1024)
#define K1 1024
#define MP KAOS_MSGRING_MP
#define CRC KAOS_MSGRING_CRC

/* Counts give each case about the same bytes: the 64 KiB ring's messages
 * average some 3 KiB, the 1 KiB ring's some 50 bytes. */
#define CASE(fn, np, cap, flags, blocking, msgs)                                  \
	static void fn(void)                                                      \
	{                                                                         \
		static const struct shape sh = { #fn, np, cap, flags, blocking, msgs, false }; \
		run_shape(&sh);                                                   \
	}

/* The single producer in batches of up to 8 KiB: a 64 KiB ring (large
 * batches, streamed) and a 16 KiB one (records and batches up to 2 KiB). */
#define BATCH_CASE(fn, cap, msgs)                                                 \
	static void fn(void)                                                      \
	{                                                                         \
		static const struct shape sh = { #fn, 1, cap, 0, false, msgs, true }; \
		run_shape(&sh);                                                   \
	}

CASE(sp_1p1c_64k, 1, K64, 0, false, 200000)
CASE(sp_1p1c_1k, 1, K1, 0, false, 2000000)
CASE(sp_crc_1p1c_64k, 1, K64, CRC, false, 200000)
CASE(sp_crc_1p1c_1k, 1, K1, CRC, false, 2000000)
CASE(mp_4p1c_64k, 4, K64, MP, false, 200000)
CASE(mp_4p1c_1k, 4, K1, MP, false, 2000000)
CASE(mp_crc_4p1c_64k, 4, K64, MP | CRC, false, 200000)
CASE(mp_crc_4p1c_1k, 4, K1, MP | CRC, false, 2000000)
CASE(sp_blocking_1k, 1, K1, 0, true, 500000)
CASE(mp_crc_blocking_4p1c_1k, 4, K1, MP | CRC, true, 500000)
BATCH_CASE(sp_batches_1p1c_64k, K64, 200000)
BATCH_CASE(sp_batches_1p1c_16k, 16 * K1, 1000000)

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(sp_1p1c_64k),     KAOS_TEST(sp_1p1c_1k),
		KAOS_TEST(sp_crc_1p1c_64k), KAOS_TEST(sp_crc_1p1c_1k),
		KAOS_TEST(mp_4p1c_64k),     KAOS_TEST(mp_4p1c_1k),
		KAOS_TEST(mp_crc_4p1c_64k), KAOS_TEST(mp_crc_4p1c_1k),
		KAOS_TEST(sp_blocking_1k),  KAOS_TEST(mp_crc_blocking_4p1c_1k),
		KAOS_TEST(sp_batches_1p1c_64k), KAOS_TEST(sp_batches_1p1c_16k),
		KAOS_TEST_END,
	};
	int cpus[256];
	ncpus = kaos_cpus_allowed(cpus, 256);
	if (ncpus < 1)
		ncpus = 1;
	return kaos_test_main(cases, argc, argv);
}
