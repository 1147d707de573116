/* SPDX-License-Identifier: MIT */
/*
 * mpmc_basic: four producers and four consumers share one MPMC ring; each
 * value is consumed exactly once. Consumers block on a futex while the ring
 * is empty (KAOS_WAIT_BLOCK), and stop on a sentinel per consumer.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <kaos/kaos.h>

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 250000ull
#define STOP UINT64_MAX

static struct kaos_mpmc ring;
static atomic_uint_fast64_t consumed, total;

static int
push(uint64_t v)
{
	struct kaos_wait how = { .kind = KAOS_WAIT_BLOCK, .timeout_ns = 5000000000ull };
	struct kaos_batch b;
	int64_t n = kaos_mpmc_claim_wait(&ring, 1, &b, &how);
	if (n < 0)
		return (int)n;
	*(uint64_t *)b.slots = v;
	kaos_mpmc_publish(&ring, &b);
	return 0;
}

static void *
produce(void *arg)
{
	uint64_t base = (uint64_t)(uintptr_t)arg * PER_PRODUCER;
	for (uint64_t i = 1; i <= PER_PRODUCER; i++)
		if (push(base + i) < 0)
			fprintf(stderr, "producer timed out\n");
	return NULL;
}

static void *
consume(void *arg)
{
	(void)arg;
	struct kaos_wait how = { .kind = KAOS_WAIT_BLOCK, .timeout_ns = 5000000000ull };
	for (;;) {
		struct kaos_batch b;
		int64_t n = kaos_mpmc_peek_wait(&ring, 32, &b, &how);
		if (n < 0) {
			fprintf(stderr, "consumer: %s\n", kaos_strerror((int)n));
			return NULL;
		}
		const uint64_t *v = b.slots;
		int stop = 0;
		for (int64_t i = 0; i < n; i++) {
			if (v[i] == STOP) {
				stop++;
				continue;
			}
			atomic_fetch_add_explicit(&total, v[i], memory_order_relaxed);
			atomic_fetch_add_explicit(&consumed, 1, memory_order_relaxed);
		}
		kaos_mpmc_release(&ring, &b);
		for (int s = 1; s < stop; s++)
			push(STOP); /* took another consumer's sentinel: pass it on */
		if (stop)
			return NULL;
	}
}

int
main(void)
{
	int rc = kaos_mpmc_create(&ring, 1024, sizeof(uint64_t), KAOS_MEM_HEAP);
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", kaos_strerror(rc));
		return 1;
	}
	kaos_mpmc_set_blocking(&ring, true); /* before any thread uses it */
	pthread_t p[PRODUCERS], c[CONSUMERS];
	for (uintptr_t i = 0; i < CONSUMERS; i++)
		pthread_create(&c[i], NULL, consume, NULL);
	for (uintptr_t i = 0; i < PRODUCERS; i++)
		pthread_create(&p[i], NULL, produce, (void *)i);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < CONSUMERS; i++)
		push(STOP);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(c[i], NULL);
	kaos_mpmc_destroy(&ring);

	uint64_t n = PRODUCERS * PER_PRODUCER;
	uint64_t got = atomic_load(&consumed), sum = atomic_load(&total);
	printf("%" PRIu64 " values consumed once each: %s\n", got,
	       got == n && sum == n * (n + 1) / 2 ? "yes" : "NO");
	return got == n && sum == n * (n + 1) / 2 ? 0 : 1;
}
