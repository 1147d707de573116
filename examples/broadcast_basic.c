/* SPDX-License-Identifier: MIT */
/*
 * broadcast_basic: one producer, three subscribers; every subscriber sees
 * every event. The third subscriber joins late, while events are flowing,
 * and sees everything from the moment it joined, in order and without gaps.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <kaos/kaos.h>

#define EVENTS 1000000ull
#define STOP UINT64_MAX

static struct kaos_bcast ring;
static atomic_int joined;

struct subscriber {
	struct kaos_bcast_consumer c;
	uint64_t first, count;
	int ok;
};

static void *
subscribe(void *arg)
{
	struct subscriber *s = arg;
	/* spin a little, then yield: four threads share few cores here */
	struct kaos_wait how = { .kind = KAOS_WAIT_YIELD, .timeout_ns = 5000000000ull };
	uint64_t v, expect;
	if (kaos_bcast_join(&ring, &s->c) < 0)
		return NULL;
	atomic_fetch_add(&joined, 1);
	if (kaos_bcast_pop_wait(&s->c, &v, &how) < 0)
		goto out;
	s->first = expect = v;
	s->ok = 1;
	for (; v != STOP; s->count++, expect++) {
		s->ok &= v == expect;
		if (kaos_bcast_pop_wait(&s->c, &v, &how) < 0) {
			s->ok = 0; /* timed out: the producer is gone */
			break;
		}
	}
out:
	kaos_bcast_leave(&s->c);
	return NULL;
}

static void
publish(uint64_t v)
{
	struct kaos_wait how = { .kind = KAOS_WAIT_YIELD };
	kaos_bcast_push_wait(&ring, &v, &how); /* waits for the slowest */
}

int
main(void)
{
	int rc = kaos_bcast_create(&ring, 4096, sizeof(uint64_t), 8, KAOS_MEM_HEAP);
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", kaos_strerror(rc));
		return 1;
	}
	struct subscriber subs[3] = { 0 };
	pthread_t t[3];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, subscribe, &subs[i]);
	while (atomic_load(&joined) < 2)
		kaos_cpu_relax();
	for (uint64_t v = 0; v < EVENTS; v++) {
		if (v == EVENTS / 2)
			pthread_create(&t[2], NULL, subscribe, &subs[2]);
		publish(v);
	}
	while (atomic_load(&joined) < 3)
		kaos_cpu_relax(); /* let the late one join before the end */
	publish(STOP);
	int ok = 1;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		printf("subscriber %d: %" PRIu64 " events from %" PRIu64 "%s\n", i,
		       subs[i].count, subs[i].first, subs[i].ok ? ", in order" : " OUT OF ORDER");
		ok &= subs[i].ok && subs[i].first + subs[i].count == EVENTS;
	}
	kaos_bcast_destroy(&ring);
	return ok ? 0 : 1;
}
