/* SPDX-License-Identifier: MIT */
/*
 * mpsc_basic: four producer threads push 250,000 tagged values each into one
 * MPSC ring; the consumer takes them in batches and checks that each
 * producer's values arrive complete and in order.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include <kaos/kaos.h>

#define PRODUCERS 4
#define PER_PRODUCER 250000ull

static struct kaos_mpsc ring;

/* value = producer id in the top byte, its sequence below */
static void *
produce(void *arg)
{
	uint64_t id = (uint64_t)(uintptr_t)arg;
	for (uint64_t i = 0; i < PER_PRODUCER;) {
		uint64_t v = id << 56 | i;
		if (kaos_mpsc_push(&ring, &v) == 0)
			i++;
		else
			kaos_cpu_relax(); /* full */
	}
	return NULL;
}

int
main(void)
{
	int rc = kaos_mpsc_create(&ring, 4096, sizeof(uint64_t), KAOS_MEM_HEAP);
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", kaos_strerror(rc));
		return 1;
	}
	pthread_t threads[PRODUCERS];
	for (uintptr_t p = 0; p < PRODUCERS; p++)
		pthread_create(&threads[p], NULL, produce, (void *)p);

	uint64_t next[PRODUCERS] = { 0 }, received = 0;
	while (received < PRODUCERS * PER_PRODUCER) {
		struct kaos_batch b;
		int64_t n = kaos_mpsc_peek(&ring, 256, &b); /* 0 = nothing yet */
		const uint64_t *v = b.slots;
		for (int64_t i = 0; i < n; i++) {
			uint64_t id = v[i] >> 56, seq = v[i] & ((1ull << 56) - 1);
			if (id >= PRODUCERS || seq != next[id]++) {
				fprintf(stderr, "producer %" PRIu64 " out of order\n", id);
				return 1;
			}
		}
		if (n > 0) {
			kaos_mpsc_release(&ring, &b);
			received += (uint64_t)n;
		} else {
			kaos_cpu_relax();
		}
	}
	for (int p = 0; p < PRODUCERS; p++)
		pthread_join(threads[p], NULL);
	kaos_mpsc_destroy(&ring);
	printf("received %" PRIu64 " values from %d producers, each in order\n",
	       received, PRODUCERS);
	return 0;
}
