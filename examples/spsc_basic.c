/* SPDX-License-Identifier: MIT */
/*
 * spsc_basic: one producer thread and one consumer thread move 10 million
 * 8-byte values through an SPSC ring with the zero-copy batch API, and the
 * consumer checks that every value arrives, in order.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include <kaos/kaos.h>

#define EVENTS 10000000ull
#define BATCH 1024

static struct kaos_spsc8 ring;

static void *
produce(void *arg)
{
	(void)arg;
	for (uint64_t next = 0; next < EVENTS;) {
		uint64_t *slots;
		uint64_t want = EVENTS - next < BATCH ? EVENTS - next : BATCH;
		int64_t n = kaos_spsc8_claim(&ring, want, &slots); /* 0 = full */
		for (int64_t i = 0; i < n; i++)
			slots[i] = next++;
		if (n > 0)
			kaos_spsc8_publish(&ring, (uint64_t)n);
		else
			kaos_cpu_relax();
	}
	return NULL;
}

int
main(void)
{
	int rc = kaos_spsc8_create(&ring, 64 * 1024, KAOS_MEM_MAPPED);
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", kaos_strerror(rc));
		return 1;
	}
	printf("ring: %" PRIu64 " slots on %s\n", kaos_spsc8_capacity(&ring),
	       kaos_pages_name(kaos_spsc_pages(kaos_spsc8_ring(&ring))));

	pthread_t producer;
	pthread_create(&producer, NULL, produce, NULL);

	uint64_t expect = 0;
	while (expect < EVENTS) {
		const uint64_t *slots;
		int64_t n = kaos_spsc8_peek(&ring, BATCH, &slots); /* 0 = empty */
		for (int64_t i = 0; i < n; i++) {
			if (slots[i] != expect++) {
				fprintf(stderr, "out of order at %" PRIu64 "\n", expect - 1);
				return 1;
			}
		}
		if (n > 0)
			kaos_spsc8_release(&ring, (uint64_t)n);
		else
			kaos_cpu_relax();
	}
	pthread_join(producer, NULL);
	kaos_spsc8_destroy(&ring);
	printf("received %" PRIu64 " values in order\n", expect);
	return 0;
}
