/* SPDX-License-Identifier: MIT */
/*
 * pipeline: a diamond of stages over one broadcast ring, Disruptor style.
 *
 *            +--> B (square) --+
 *   ring --> A (parse)          +--> D (sum)
 *            +--> C (double) --+
 *
 * A writes a parsed value into the slot itself; B and C see an event only
 * after A has released it, and D only after both B and C have. D checks
 * every result.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include <kaos/kaos.h>

#define EVENTS 200000ull

struct event {
	uint64_t raw;    /* written by the producer */
	uint64_t parsed; /* written by A */
	uint64_t square; /* written by B */
	uint64_t twice;  /* written by C */
};

static struct kaos_bcast ring;
static struct kaos_bcast_consumer a, b, c, d;
static int d_ok = 1;

static int
stage_a(void *slot, uint64_t seq, bool end, void *ctx)
{
	struct event *e = slot;
	(void)seq, (void)end, (void)ctx;
	e->parsed = e->raw + 1;
	return 0;
}

static int
stage_b(void *slot, uint64_t seq, bool end, void *ctx)
{
	struct event *e = slot;
	(void)seq, (void)end, (void)ctx;
	e->square = e->parsed * e->parsed;
	return 0;
}

static int
stage_c(void *slot, uint64_t seq, bool end, void *ctx)
{
	struct event *e = slot;
	(void)seq, (void)end, (void)ctx;
	e->twice = e->parsed * 2;
	return 0;
}

static int
stage_d(void *slot, uint64_t seq, bool end, void *ctx)
{
	const struct event *e = slot;
	uint64_t *sum = ctx;
	uint64_t p = seq + 1;
	(void)end;
	if (e->parsed != p || e->square != p * p || e->twice != 2 * p)
		d_ok = 0;
	*sum += e->twice;
	return 0;
}

struct stage {
	struct kaos_bcast_consumer *consumer;
	kaos_bcast_handler_fn fn;
	uint64_t sum;
};

static void *
run_stage(void *arg)
{
	struct stage *s = arg;
	for (uint64_t seen = 0; seen < EVENTS;) {
		uint64_t n = kaos_bcast_poll(s->consumer, s->fn, &s->sum, 1024);
		if (n == 0)
			sched_yield(); /* five threads share few cores here */
		seen += n;
	}
	return NULL;
}

int
main(void)
{
	int rc = kaos_bcast_create(&ring, 1024, sizeof(struct event), 4, KAOS_MEM_HEAP);
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", kaos_strerror(rc));
		return 1;
	}
	/* Build the whole graph before publishing anything. */
	struct kaos_bcast_consumer *after_a[] = { &a }, *after_bc[] = { &b, &c };
	if (kaos_bcast_join(&ring, &a) || kaos_bcast_join_after(&ring, &b, after_a, 1) ||
	    kaos_bcast_join_after(&ring, &c, after_a, 1) ||
	    kaos_bcast_join_after(&ring, &d, after_bc, 2)) {
		fprintf(stderr, "join failed\n");
		return 1;
	}
	struct stage stages[] = { { &a, stage_a, 0 }, { &b, stage_b, 0 },
				  { &c, stage_c, 0 }, { &d, stage_d, 0 } };
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, run_stage, &stages[i]);

	for (uint64_t i = 0; i < EVENTS;) {
		struct event e = { .raw = i };
		if (kaos_bcast_push(&ring, &e) == 0)
			i++;
		else
			sched_yield();
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 3; i >= 0; i--)
		kaos_bcast_leave(stages[i].consumer); /* dependents first */
	kaos_bcast_destroy(&ring);

	uint64_t want = EVENTS * (EVENTS + 1); /* sum of 2 * (1..EVENTS) */
	printf("diamond: %" PRIu64 " events, D's sum %" PRIu64 " (expected %" PRIu64 ")%s\n",
	       (uint64_t)EVENTS, stages[3].sum, want, d_ok ? "" : ", WRONG RESULTS");
	return d_ok && stages[3].sum == want ? 0 : 1;
}
