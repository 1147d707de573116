/* SPDX-License-Identifier: MIT */
/*
 * Real threads through the broadcast ring: one producer and 1, 2, 4 or 8
 * consumers, each of which must see every event, in order, with every
 * word of the slot intact. The producer mixes claim / (partial) publish
 * with push; consumers mix peek / (partial) release, pop and poll, with
 * random sizes. Capacities 2 to 2^20 rotate across shapes.
 *
 * Also: consumers joining and leaving while the producer runs (a late
 * joiner starts at the head and is never lapped), a consumer that joined
 * but has not started reading (W4), and chain and diamond pipelines whose
 * stages write results into plain memory that downstream stages check
 * (ThreadSanitizer checks the happens-before), polling and with
 * KAOS_WAIT_BLOCK.
 *
 * Every loop has a deadline and prints the ring's state when it passes.
 * `--soak SECONDS` repeats every case, rotating capacities, for an equal
 * share of SECONDS (tests/stress/run-soak.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

/* ---- shared helpers: payload, deadline, idling ----------------------------- */

#define MAXC 8
#define MAX_SLOT 64

static const uint64_t capacities[] = { 2, 64, 4096, 1 << 20 };
static int ncpus;

/* Word k >= 1 of the slot for sequence s (word 0 is s). */
static inline uint64_t
mix(uint64_t s, uint64_t k)
{
	uint64_t x = (s + 1) * 0x9E3779B97F4A7C15ull ^ (k * 0xBF58476D1CE4E5B9ull);
	return x ^ (x >> 29);
}

static void
fill(void *slot, size_t sz, uint64_t s)
{
	uint64_t *w = slot;
	w[0] = s;
	for (size_t k = 1; k < sz / 8; k++)
		w[k] = mix(s, k);
}

static void
check(const void *slot, size_t sz, uint64_t s, const char *who, int id)
{
	const uint64_t *w = slot;
	if (w[0] != s)
		KAOS_FAIL("%s %d: expected event %" PRIu64 ", slot holds %" PRIu64
			  " (lapped or skipped)", who, id, s, w[0]);
	for (size_t k = 1; k < sz / 8; k++)
		if (w[k] != mix(s, k))
			KAOS_FAIL("%s %d: event %" PRIu64 " word %zu is %" PRIx64 ", want %" PRIx64,
				  who, id, s, k, w[k], mix(s, k));
}

static uint64_t
deadline_from_now(void)
{
	const char *e = getenv("KAOS_STRESS_DEADLINE");
	double s = e ? strtod(e, NULL) : 0;
	return kaos_now_ns() + (uint64_t)((s > 0 ? s : 240) * 1e9);
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

/* State shared by the threads of one run. */
struct run {
	const char *name;
	struct kaos_bcast ring;
	uint64_t cap, events, deadline;
	size_t slot_size;
	uint32_t yield_after;
	int nthreads;
	pthread_barrier_t start;
	/* by the producer after each publish; release/acquire so that a
	 * thread that reads it also sees a tail at least as far on */
	_Atomic uint64_t published;
	_Atomic uint64_t progress[MAXC + 1];
};

static void
dump_and_fail(struct run *run, const char *who, int id)
{
	fprintf(stderr, "TIMEOUT in %s %d: %s cap %" PRIu64 ", %" PRIu64 " events, published %"
		PRIu64 ", tail %" PRIu64 "\n", who, id, run->name, run->cap, run->events,
		atomic_load(&run->published), atomic_load(&run->ring.ro.ctl->tail));
	for (uint32_t i = 0; i < run->ring.ro.max_consumers; i++) {
		uint64_t v = atomic_load(&run->ring.ro.entries[i].pos);
		if (v != KAOS_BCAST_FREE)
			fprintf(stderr, "  consumer entry %u at %" PRIu64 "\n", i, v);
	}
	for (int i = 0; i <= MAXC; i++)
		if (atomic_load(&run->progress[i]))
			fprintf(stderr, "  thread %d progress %" PRIu64 "\n", i,
				atomic_load(&run->progress[i]));
	KAOS_FAIL("no progress before the deadline");
}

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

static void
run_init(struct run *run, const char *name, uint64_t cap, size_t slot_size,
	 uint32_t max_consumers, uint64_t events, int nthreads)
{
	memset(run, 0, sizeof(*run));
	run->name = name;
	run->cap = cap;
	run->slot_size = slot_size;
	run->events = events;
	run->nthreads = nthreads;
	run->yield_after = nthreads > ncpus ? 8 : 1024;
	run->deadline = deadline_from_now();
	KAOS_ASSERT_OK(kaos_bcast_create(&run->ring, cap, slot_size, max_consumers,
					 cap >= 4096 ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(pthread_barrier_init(&run->start, NULL, (unsigned)nthreads), 0);
}

static void
run_fini(struct run *run)
{
	pthread_barrier_destroy(&run->start);
	kaos_bcast_destroy(&run->ring);
}

static void
report(const struct run *run, int consumers, uint64_t t0)
{
	double s = (double)(kaos_now_ns() - t0) / 1e9;
	printf("  %-10s cap %-7" PRIu64 " slot %2zu, %d consumers: %9" PRIu64
	       " events each ok, %.2f s, %.1f M/s delivered\n",
	       run->name, run->cap, run->slot_size, consumers, run->events, s,
	       (double)run->events * consumers / s / 1e6);
	fflush(stdout);
}

/* ---- producer and consumers --------------------------------------------------- */

/* Publish events [0, run->events), mixing claim + partial publish and push. */
static void *
producer(void *arg)
{
	struct run *run = arg;
	uint64_t seed = 0x9E3779B97F4A7C15ull ^ run->cap ^ kaos_test_soak_round, s = 0;
	uint32_t fails = 0;
	unsigned char buf[MAX_SLOT];
	pthread_barrier_wait(&run->start);
	while (s < run->events) {
		uint64_t x = kaos_test_rand(&seed), got = 0;
		if (x % 4 == 0) {
			fill(buf, run->slot_size, s);
			int rc = kaos_bcast_push(&run->ring, buf);
			if (rc == 0)
				got = 1;
			else if (rc != -KAOS_EFULL)
				KAOS_FAIL("push: %s", kaos_strerror(rc));
		} else {
			void *slots = NULL;
			uint64_t want = rand_count(&seed, run->cap);
			if (want > run->events - s)
				want = run->events - s;
			int64_t rc = kaos_bcast_claim(&run->ring, want, &slots);
			if (rc < 0)
				KAOS_FAIL("claim: %s", kaos_strerror((int)rc));
			got = (uint64_t)rc;
			KAOS_ASSERT_LE(got, want);
			if (got > 1 && (x >> 20) % 2)
				got = 1 + (x >> 24) % got; /* publish part of the claim */
			for (uint64_t i = 0; i < got; i++)
				fill((unsigned char *)slots + i * run->slot_size, run->slot_size,
				     s + i);
			if (got)
				KAOS_ASSERT_OK(kaos_bcast_publish(&run->ring, got));
		}
		if (got) {
			s += got;
			fails = 0;
			atomic_store_explicit(&run->published, s, memory_order_release);
			atomic_store_explicit(&run->progress[MAXC], s, memory_order_relaxed);
		} else {
			idle(run, &fails, "producer", 0);
		}
	}
	return NULL;
}

struct reader {
	struct run *run;
	struct kaos_bcast_consumer c;
	int id;
	uint64_t next;  /* next sequence expected */
	uint64_t until; /* stop before this sequence */
	uint64_t seed;
	uint64_t start_delay_ms; /* W4: wait this long before reading anything */
};

static int
poll_check(void *slot, uint64_t seq, bool end, void *ctx)
{
	struct reader *rd = ctx;
	(void)end;
	KAOS_ASSERT_UEQ(seq, rd->next);
	check(slot, rd->run->slot_size, rd->next, "consumer", rd->id);
	rd->next++;
	return 0;
}

/* Read and check events rd->next .. rd->until - 1 (fewer if @p stop_when_idle
 * and the producer is done). One call of peek, pop or poll; returns the
 * count read. */
static uint64_t
read_some(struct reader *rd)
{
	struct run *run = rd->run;
	uint64_t x = kaos_test_rand(&rd->seed), before = rd->next;
	uint64_t left = rd->until - rd->next, n = rand_count(&rd->seed, run->cap);
	unsigned char buf[MAX_SLOT];
	if (n > left)
		n = left;
	switch (x % 3) {
	case 0: {
		void *slots = NULL;
		int64_t got = kaos_bcast_peek(&rd->c, n, &slots);
		if (got < 0)
			KAOS_FAIL("peek: %s", kaos_strerror((int)got));
		KAOS_ASSERT_LE(got, n);
		uint64_t rel = got > 1 && (x >> 20) % 2 ? 1 + (x >> 24) % (uint64_t)got
							 : (uint64_t)got;
		for (uint64_t i = 0; i < (uint64_t)got; i++)
			check((unsigned char *)slots + i * run->slot_size, run->slot_size,
			      rd->next + i, "consumer", rd->id);
		if (rel)
			KAOS_ASSERT_OK(kaos_bcast_release(&rd->c, rel));
		rd->next += rel;
		break;
	}
	case 1: {
		int rc = kaos_bcast_pop(&rd->c, buf);
		if (rc == 0) {
			check(buf, run->slot_size, rd->next, "consumer", rd->id);
			rd->next++;
		} else if (rc != -KAOS_EEMPTY) {
			KAOS_FAIL("pop: %s", kaos_strerror(rc));
		}
		break;
	}
	default:
		kaos_bcast_poll(&rd->c, poll_check, rd, n);
		break;
	}
	return rd->next - before;
}

/* A consumer joined before the start reads everything. */
static void *
reader_all(void *arg)
{
	struct reader *rd = arg;
	uint32_t fails = 0;
	pthread_barrier_wait(&rd->run->start);
	if (rd->start_delay_ms) {
		struct timespec ts = { 0, (long)rd->start_delay_ms * 1000000L };
		nanosleep(&ts, NULL);
	}
	while (rd->next < rd->until) {
		if (read_some(rd)) {
			fails = 0;
			atomic_store_explicit(&rd->run->progress[rd->id], rd->next,
					      memory_order_relaxed);
		} else {
			idle(rd->run, &fails, "consumer", rd->id);
		}
	}
	kaos_bcast_leave(&rd->c);
	return NULL;
}

/* ---- shapes ------------------------------------------------------------------------ */

static void
shape(int consumers, int rot)
{
	struct run run;
	uint64_t cap = capacities[((unsigned)rot + kaos_test_soak_round) % 4];
	size_t slot = (rot + (int)kaos_test_soak_round) % 2 ? 64 : 24;
	/* With two slots the producer waits for every consumer every two
	 * events (about 1M events/s here whatever the consumer count): keep
	 * such runs short when the soak rotation gives them several consumers. */
	uint64_t events = cap == 2 && consumers > 1 ? 10000000 / (uint64_t)(4 * consumers)
						    : 10000000;
	run_init(&run, "broadcast", cap, slot, MAXC, kaos_test_scaled(events, 20000),
		 consumers + 1);
	struct reader rd[MAXC];
	pthread_t th[MAXC + 1];
	for (int c = 0; c < consumers; c++) {
		rd[c] = (struct reader){ .run = &run, .id = c, .until = run.events,
					 .seed = 0xD1B54A32D192ED03ull * (uint64_t)(c + 1) ^ kaos_test_soak_round };
		KAOS_ASSERT_OK(kaos_bcast_join(&run.ring, &rd[c].c));
	}
	uint64_t t0 = kaos_now_ns();
	for (int c = 0; c < consumers; c++)
		KAOS_ASSERT_EQ(pthread_create(&th[c], NULL, reader_all, &rd[c]), 0);
	KAOS_ASSERT_EQ(pthread_create(&th[consumers], NULL, producer, &run), 0);
	for (int i = 0; i <= consumers; i++)
		KAOS_ASSERT_EQ(pthread_join(th[i], NULL), 0);
	for (int c = 0; c < consumers; c++)
		KAOS_ASSERT_UEQ(rd[c].next, run.events);
	report(&run, consumers, t0);
	run_fini(&run);
}

static void bcast_1p1c(void) { shape(1, 0); }
static void bcast_1p2c(void) { shape(2, 1); }
static void bcast_1p4c(void) { shape(4, 2); }
static void bcast_1p8c(void) { shape(8, 3); }

/* W4: a consumer joined before the start that sleeps before reading its
 * first event is not lapped while another consumer races ahead. */
static void
w4_bcast_never_started_consumer_not_lapped(void)
{
	const uint64_t caps[] = { 2, 64 };
	for (int i = 0; i < 2; i++) {
		struct run run;
		run_init(&run, "w4", caps[i], 24, 2, kaos_test_scaled(200000, 5000), 3);
		struct reader rd[2];
		pthread_t th[3];
		for (int c = 0; c < 2; c++) {
			rd[c] = (struct reader){ .run = &run, .id = c, .until = run.events,
						 .seed = (uint64_t)c + 77,
						 .start_delay_ms = c == 1 ? 50 : 0 };
			KAOS_ASSERT_OK(kaos_bcast_join(&run.ring, &rd[c].c));
		}
		uint64_t t0 = kaos_now_ns();
		for (int c = 0; c < 2; c++)
			KAOS_ASSERT_EQ(pthread_create(&th[c], NULL, reader_all, &rd[c]), 0);
		KAOS_ASSERT_EQ(pthread_create(&th[2], NULL, producer, &run), 0);
		for (int t = 0; t < 3; t++)
			KAOS_ASSERT_EQ(pthread_join(th[t], NULL), 0);
		report(&run, 2, t0);
		run_fini(&run);
	}
}

/* Consumers join and leave while the producer runs; two steady consumers
 * read everything. A joiner's first event is at or after what was
 * published before it joined, and from there it sees every event in order
 * until it leaves: joining never lets the producer lap anybody. */
struct joiner {
	struct run *run;
	int id;
	uint64_t joins, seen;
};

static void *
joiner_thread(void *arg)
{
	struct joiner *j = arg;
	struct run *run = j->run;
	uint64_t seed = 0xABCDEF ^ (uint64_t)j->id ^ kaos_test_soak_round;
	pthread_barrier_wait(&run->start);
	while (atomic_load_explicit(&run->published, memory_order_relaxed) < run->events) {
		struct reader rd = { .run = run, .id = j->id, .seed = kaos_test_rand(&seed) };
		uint64_t before = atomic_load_explicit(&run->published, memory_order_acquire);
		int rc = kaos_bcast_join(&run->ring, &rd.c);
		if (rc == -EBUSY) {
			sched_yield();
			continue;
		}
		KAOS_ASSERT_OK(rc);
		j->joins++;
		/* where the join put us (the handle's position): at the head,
		 * so not before what was published before we joined */
		uint64_t first = rd.next = rd.c.cur.pos;
		KAOS_ASSERT_GE(first, before);
		rd.until = rd.next + 1 + kaos_test_rand(&seed) % (2 * run->cap + 8);
		if (rd.until > run->events)
			rd.until = run->events;
		uint32_t fails = 0;
		while (rd.next < rd.until) {
			if (read_some(&rd)) {
				fails = 0;
			} else {
				idle(run, &fails, "joiner", j->id);
			}
		}
		j->seen += rd.until - first;
		kaos_bcast_leave(&rd.c);
		atomic_fetch_add_explicit(&run->progress[j->id], 1, memory_order_relaxed);
	}
	return NULL;
}

static void
bcast_join_and_leave_while_running(void)
{
	const uint64_t caps[] = { 2, 64, 4096 };
	for (int i = 0; i < 3; i++) {
		enum { STEADY = 2, JOINERS = 4 };
		struct run run;
		uint64_t cap = caps[(i + kaos_test_soak_round) % 3];
		run_init(&run, "join/leave", cap, 24, STEADY + 2,
			 kaos_test_scaled(cap == 2 ? 300000 : 2000000, 20000),
			 STEADY + JOINERS + 1);
		struct reader rd[STEADY];
		struct joiner jn[JOINERS];
		pthread_t th[STEADY + JOINERS + 1];
		for (int c = 0; c < STEADY; c++) {
			rd[c] = (struct reader){ .run = &run, .id = c, .until = run.events,
						 .seed = (uint64_t)c + 5 };
			KAOS_ASSERT_OK(kaos_bcast_join(&run.ring, &rd[c].c));
			KAOS_ASSERT_EQ(pthread_create(&th[c], NULL, reader_all, &rd[c]), 0);
		}
		for (int j = 0; j < JOINERS; j++) {
			jn[j] = (struct joiner){ &run, STEADY + j, 0, 0 };
			KAOS_ASSERT_EQ(pthread_create(&th[STEADY + j], NULL, joiner_thread, &jn[j]),
				       0);
		}
		uint64_t t0 = kaos_now_ns();
		KAOS_ASSERT_EQ(pthread_create(&th[STEADY + JOINERS], NULL, producer, &run), 0);
		uint64_t joins = 0, seen = 0;
		for (int t = 0; t < STEADY + JOINERS + 1; t++)
			KAOS_ASSERT_EQ(pthread_join(th[t], NULL), 0);
		for (int j = 0; j < JOINERS; j++) {
			joins += jn[j].joins;
			seen += jn[j].seen;
		}
		report(&run, STEADY, t0);
		printf("    %" PRIu64 " joins and leaves, %" PRIu64 " events read by joiners\n",
		       joins, seen);
		run_fini(&run);
	}
}

/*
 * A consumer joining while the producer runs, with its join stretched:
 * the main thread keeps interrupting the joiner with a signal whose
 * handler sleeps, as a preemption would, at whatever point the joiner
 * is, including between the join reading the head and registering it.
 * However long the joiner is held up, the producer must not lap it nor
 * lose its gating afterwards. No other consumer: the producer runs free
 * whenever the joiner is out.
 */
static void
on_preempt(int sig)
{
	(void)sig;
	struct timespec ts = { 0, 200000 };
	nanosleep(&ts, NULL);
}

struct race {
	struct run run;
	_Atomic int stop;        /* joiner: stop joining */
	_Atomic int joiner_done; /* producer: stop producing */
	uint64_t joins;
};

#define RACE_SIGNALS 4000

static void *
race_producer(void *arg)
{
	struct race *rc = arg;
	unsigned char buf[MAX_SLOT];
	uint64_t s = 0;
	uint32_t fails = 0;
	pthread_barrier_wait(&rc->run.start);
	while (!atomic_load_explicit(&rc->joiner_done, memory_order_relaxed)) {
		fill(buf, rc->run.slot_size, s);
		if (kaos_bcast_push(&rc->run.ring, buf) == 0) {
			s++;
			fails = 0;
			atomic_store_explicit(&rc->run.progress[MAXC], s, memory_order_relaxed);
		} else {
			idle(&rc->run, &fails, "producer", 0);
		}
	}
	return NULL;
}

static void *
race_joiner(void *arg)
{
	struct race *rc = arg;
	struct run *run = &rc->run;
	uint64_t seed = 0xFEED ^ kaos_test_soak_round;
	pthread_barrier_wait(&run->start);
	while (!atomic_load_explicit(&rc->stop, memory_order_relaxed)) {
		struct reader rd = { .run = run, .id = 0, .seed = kaos_test_rand(&seed) };
		KAOS_ASSERT_OK(kaos_bcast_join(&run->ring, &rd.c));
		rd.next = rd.c.cur.pos; /* where the join put us */
		rd.until = rd.next + 1 + kaos_test_rand(&seed) % 4;
		uint32_t fails = 0;
		while (rd.next < rd.until)
			if (read_some(&rd))
				fails = 0;
			else
				idle(run, &fails, "joiner", 0);
		kaos_bcast_leave(&rd.c);
		rc->joins++;
		atomic_store_explicit(&run->progress[0], rc->joins, memory_order_relaxed);
	}
	atomic_store(&rc->joiner_done, 1);
	return NULL;
}

static void
bcast_join_races_the_producer(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_preempt;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	KAOS_ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
	const uint64_t caps[] = { 2, 64 };
	for (int i = 0; i < 2; i++) {
		struct race rc = { .joins = 0 };
		uint64_t signals = kaos_test_scaled(RACE_SIGNALS, 200);
		run_init(&rc.run, "join race", caps[i], 24, 2, 0, 2);
		pthread_t p, j;
		uint64_t t0 = kaos_now_ns();
		KAOS_ASSERT_EQ(pthread_create(&p, NULL, race_producer, &rc), 0);
		KAOS_ASSERT_EQ(pthread_create(&j, NULL, race_joiner, &rc), 0);
		for (uint64_t n = 0; n < signals; n++) {
			KAOS_ASSERT_EQ(pthread_kill(j, SIGUSR1), 0);
			struct timespec ts = { 0, 250000 };
			nanosleep(&ts, NULL);
		}
		atomic_store(&rc.stop, 1);
		KAOS_ASSERT_EQ(pthread_join(j, NULL), 0);
		KAOS_ASSERT_EQ(pthread_join(p, NULL), 0);
		printf("  join race cap %-3" PRIu64 ": %" PRIu64 " joins, %" PRIu64
		       " interruptions, ok, %.2f s\n", rc.run.cap, rc.joins, signals,
		       (double)(kaos_now_ns() - t0) / 1e9);
		run_fini(&rc.run);
	}
	KAOS_ASSERT_EQ(sigaction(SIGUSR1, &old, NULL), 0);
}

/* ---- pipelines --------------------------------------------------------------------- */

/*
 * Stage s handles event seq by checking the slot and its dependencies'
 * results, then writing result(s, seq) into res[s][seq % cap] (plain
 * memory) and into word 1 + s of the slot, then recording done[s] =
 * seq + 1, and only then releasing. A downstream stage asserts, for each
 * event, that every dependency's done is past it and its results are
 * there. With cap slots a result is overwritten only a lap later, after
 * the producer has seen every stage release the event before: so the
 * check also covers the producer's gating. TSan sees every plain access.
 */
#define MAX_STAGES 4

struct pipeline {
	const char *name;
	int nstages;
	int ndeps[MAX_STAGES];
	int deps[MAX_STAGES][2];
};

static const struct pipeline chain = { "chain", 3, { 0, 1, 1 }, { { 0 }, { 0 }, { 1 } } };
static const struct pipeline diamond = { "diamond", 4, { 0, 1, 1, 2 },
					 { { 0 }, { 0 }, { 0 }, { 1, 2 } } };

struct pipe_run {
	struct run run;
	const struct pipeline *pl;
	bool block;
	uint64_t *res[MAX_STAGES];
	_Atomic uint64_t done[MAX_STAGES];
	struct kaos_bcast_consumer c[MAX_STAGES];
};

struct stage_arg {
	struct pipe_run *pr;
	int s;
	uint64_t next;
	uint64_t seed;
};

static uint64_t
result(int s, uint64_t seq)
{
	return mix(seq, 100 + (uint64_t)s);
}

static void
stage_event(struct stage_arg *sa, uint64_t *w, uint64_t seq)
{
	struct pipe_run *pr = sa->pr;
	const struct pipeline *pl = pr->pl;
	uint64_t idx = seq & (pr->run.cap - 1);
	int s = sa->s;
	if (w[0] != seq)
		KAOS_FAIL("%s stage %d: event %" PRIu64 " slot holds %" PRIu64, pl->name, s,
			  seq, w[0]);
	for (int d = 0; d < pl->ndeps[s]; d++) {
		int dep = pl->deps[s][d];
		uint64_t dd = atomic_load_explicit(&pr->done[dep], memory_order_relaxed);
		if (dd <= seq)
			KAOS_FAIL("%s stage %d sees event %" PRIu64 " before stage %d released it"
				  " (done %" PRIu64 ")", pl->name, s, seq, dep, dd);
		if (pr->res[dep][idx] != result(dep, seq) || w[1 + dep] != result(dep, seq))
			KAOS_FAIL("%s stage %d: result of stage %d for event %" PRIu64 " missing",
				  pl->name, s, dep, seq);
	}
	pr->res[s][idx] = result(s, seq);
	w[1 + s] = result(s, seq);
	atomic_store_explicit(&pr->done[s], seq + 1, memory_order_relaxed);
}

static int
stage_poll(void *slot, uint64_t seq, bool end, void *ctx)
{
	struct stage_arg *sa = ctx;
	(void)end;
	KAOS_ASSERT_UEQ(seq, sa->next);
	stage_event(sa, slot, seq);
	sa->next++;
	return 0;
}

static void *
stage_thread(void *arg)
{
	struct stage_arg *sa = arg;
	struct pipe_run *pr = sa->pr;
	struct run *run = &pr->run;
	struct kaos_bcast_consumer *c = &pr->c[sa->s];
	const struct kaos_wait how = { KAOS_WAIT_BLOCK, 1, 30ull * 1000000000ull, 0 };
	uint32_t fails = 0;
	pthread_barrier_wait(&run->start);
	while (sa->next < run->events) {
		uint64_t x = kaos_test_rand(&sa->seed), n = rand_count(&sa->seed, run->cap);
		uint64_t before = sa->next;
		if (n > run->events - sa->next)
			n = run->events - sa->next;
		if (x % 3 == 0 && !pr->block) {
			kaos_bcast_poll(c, stage_poll, sa, n);
		} else {
			void *slots = NULL;
			int64_t got = pr->block ? kaos_bcast_peek_wait(c, n, &slots, &how)
						: kaos_bcast_peek(c, n, &slots);
			if (got < 0)
				KAOS_FAIL("%s stage %d: peek: %s", pr->pl->name, sa->s,
					  kaos_strerror((int)got));
			for (int64_t i = 0; i < got; i++)
				stage_event(sa, (uint64_t *)((unsigned char *)slots +
							     (size_t)i * run->slot_size),
					    sa->next + (uint64_t)i);
			if (got)
				KAOS_ASSERT_OK(kaos_bcast_release(c, (uint64_t)got));
			sa->next += (uint64_t)got;
		}
		if (sa->next != before) {
			fails = 0;
			atomic_store_explicit(&run->progress[sa->s], sa->next, memory_order_relaxed);
		} else {
			idle(run, &fails, "stage", sa->s);
		}
	}
	return NULL;
}

static void *
pipe_producer(void *arg)
{
	struct pipe_run *pr = arg;
	struct run *run = &pr->run;
	const struct kaos_wait how = { KAOS_WAIT_BLOCK, 1, 30ull * 1000000000ull, 0 };
	uint64_t seed = 0x1234 ^ kaos_test_soak_round, s = 0;
	uint32_t fails = 0;
	pthread_barrier_wait(&run->start);
	while (s < run->events) {
		void *slots = NULL;
		uint64_t want = rand_count(&seed, run->cap);
		if (want > run->events - s)
			want = run->events - s;
		int64_t got = pr->block ? kaos_bcast_claim_wait(&run->ring, want, &slots, &how)
					: kaos_bcast_claim(&run->ring, want, &slots);
		if (got < 0)
			KAOS_FAIL("%s producer: claim: %s", pr->pl->name, kaos_strerror((int)got));
		for (int64_t i = 0; i < got; i++) {
			uint64_t *w = (uint64_t *)((unsigned char *)slots + (size_t)i * run->slot_size);
			memset(w, 0, run->slot_size);
			w[0] = s + (uint64_t)i;
		}
		if (got) {
			KAOS_ASSERT_OK(kaos_bcast_publish(&run->ring, (uint64_t)got));
			s += (uint64_t)got;
			fails = 0;
			atomic_store_explicit(&run->progress[MAXC], s, memory_order_relaxed);
		} else {
			idle(run, &fails, "producer", 0);
		}
	}
	return NULL;
}

static void
pipeline_run(const struct pipeline *pl, uint64_t cap, bool block, uint64_t events)
{
	struct pipe_run *pr = calloc(1, sizeof(*pr));
	KAOS_ASSERT(pr);
	pr->pl = pl;
	pr->block = block;
	run_init(&pr->run, pl->name, cap, 8 * (1 + MAX_STAGES), (uint32_t)pl->nstages, events,
		 pl->nstages + 1);
	kaos_bcast_set_blocking(&pr->run.ring, block);
	for (int s = 0; s < pl->nstages; s++) {
		pr->res[s] = calloc(cap, sizeof(uint64_t));
		KAOS_ASSERT(pr->res[s]);
		struct kaos_bcast_consumer *d[2] = { &pr->c[pl->deps[s][0]], &pr->c[pl->deps[s][1]] };
		if (pl->ndeps[s])
			KAOS_ASSERT_OK(kaos_bcast_join_after(&pr->run.ring, &pr->c[s], d,
							     (uint32_t)pl->ndeps[s]));
		else
			KAOS_ASSERT_OK(kaos_bcast_join(&pr->run.ring, &pr->c[s]));
	}
	struct stage_arg sa[MAX_STAGES];
	pthread_t th[MAX_STAGES + 1];
	uint64_t t0 = kaos_now_ns();
	for (int s = 0; s < pl->nstages; s++) {
		sa[s] = (struct stage_arg){ pr, s, 0, 0x5EED ^ (uint64_t)s ^ kaos_test_soak_round };
		KAOS_ASSERT_EQ(pthread_create(&th[s], NULL, stage_thread, &sa[s]), 0);
	}
	KAOS_ASSERT_EQ(pthread_create(&th[pl->nstages], NULL, pipe_producer, pr), 0);
	for (int t = 0; t <= pl->nstages; t++)
		KAOS_ASSERT_EQ(pthread_join(th[t], NULL), 0);
	for (int s = 0; s < pl->nstages; s++) {
		KAOS_ASSERT_UEQ(atomic_load(&pr->done[s]), events);
		kaos_bcast_leave(&pr->c[pl->nstages - 1 - s]); /* downstream first */
	}
	printf("  %-7s %s cap %-7" PRIu64 ": %9" PRIu64 " events through %d stages, %.2f s\n",
	       pl->name, block ? "block" : "poll ", cap, events, pl->nstages,
	       (double)(kaos_now_ns() - t0) / 1e9);
	fflush(stdout);
	for (int s = 0; s < pl->nstages; s++)
		free(pr->res[s]);
	run_fini(&pr->run);
	free(pr);
}

/* Events per pipeline run: a ring of 2 slots needs a context switch per
 * event or two on an oversubscribed machine, so it gets fewer. */
static uint64_t
pipeline_events(uint64_t cap, bool block)
{
	uint64_t n = block ? 200000 : 2000000;
	return kaos_test_scaled(cap == 2 ? n / 10 : n, 5000);
}

static void
pipeline_case(const struct pipeline *pl)
{
	for (int i = 0; i < 4; i++) {
		uint64_t cap = capacities[((unsigned)i + kaos_test_soak_round) % 4];
		pipeline_run(pl, cap, false, pipeline_events(cap, false));
	}
	for (int i = 0; i < 2; i++) { /* blocking: rings of 2 and 64 slots */
		uint64_t cap = capacities[(i + kaos_test_soak_round) % 2];
		pipeline_run(pl, cap, true, pipeline_events(cap, true));
	}
}

static void
pipeline_chain(void)
{
	pipeline_case(&chain);
}

static void
pipeline_diamond(void)
{
	pipeline_case(&diamond);
}

/* ---- main, with the soak mode -------------------------------------------------- */

static const struct kaos_test_case cases[] = {
	KAOS_TEST(bcast_1p1c),
	KAOS_TEST(bcast_1p2c),
	KAOS_TEST(bcast_1p4c),
	KAOS_TEST(bcast_1p8c),
	KAOS_TEST(w4_bcast_never_started_consumer_not_lapped),
	KAOS_TEST(bcast_join_and_leave_while_running),
	KAOS_TEST(pipeline_chain),
	KAOS_TEST(pipeline_diamond),
	KAOS_TEST(bcast_join_races_the_producer),
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
