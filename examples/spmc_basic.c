/* SPDX-License-Identifier: MIT */
/*
 * spmc_basic: work distribution. One producer publishes 1,000,000 jobs into
 * an SPMC ring of 2^20 slots; four workers take batches, each job going to
 * exactly one worker. The totals show that no job was lost or done twice.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <kaos/kaos.h>

#define WORKERS 4
#define JOBS 1000000ull

static struct kaos_spmc ring;
static atomic_uint_fast64_t jobs_done, sum_done;

static void *
work(void *arg)
{
	(void)arg;
	struct kaos_wait how = { .kind = KAOS_WAIT_YIELD, .timeout_ns = 200000000 };
	uint64_t done = 0, sum = 0;
	for (;;) {
		struct kaos_batch b;
		/* wait up to 200 ms for work, then assume the producer is done */
		int64_t n = kaos_spmc_peek_wait(&ring, 64, &b, &how);
		if (n == -ETIMEDOUT)
			break;
		const uint64_t *job = b.slots;
		for (int64_t i = 0; i < n; i++)
			sum += job[i];
		done += (uint64_t)n;
		kaos_spmc_release(&ring, &b);
	}
	atomic_fetch_add(&jobs_done, done);
	atomic_fetch_add(&sum_done, sum);
	return NULL;
}

int
main(void)
{
	int rc = kaos_spmc_create(&ring, 1 << 20, sizeof(uint64_t), KAOS_MEM_MAPPED);
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", kaos_strerror(rc));
		return 1;
	}
	pthread_t workers[WORKERS];
	for (int w = 0; w < WORKERS; w++)
		pthread_create(&workers[w], NULL, work, NULL);
	for (uint64_t job = 1; job <= JOBS;) {
		if (kaos_spmc_push(&ring, &job) == 0)
			job++;
		else
			kaos_cpu_relax();
	}
	for (int w = 0; w < WORKERS; w++)
		pthread_join(workers[w], NULL);
	kaos_spmc_destroy(&ring);

	uint64_t done = atomic_load(&jobs_done), sum = atomic_load(&sum_done);
	printf("%" PRIu64 " jobs done by %d workers, sum %" PRIu64 " (expected %" PRIu64 ")\n",
	       done, WORKERS, sum, (uint64_t)(JOBS * (JOBS + 1) / 2));
	return done == JOBS && sum == JOBS * (JOBS + 1) / 2 ? 0 : 1;
}
