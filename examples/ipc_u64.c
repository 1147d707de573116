/* SPDX-License-Identifier: MIT */
/*
 * ipc_u64: 64-bit values, one per call, from this process to a forked
 * child through a KAOS_IPC_U64 channel (kaos/u64ring.h: each value costs
 * one shared cache line). The parent pushes 1..N with kaos_u64ring_push;
 * the child pops them with kaos_u64ring_pop and checks the order and the
 * sum. Both sides spin a little when the ring is full or empty, and call
 * kaos_ipc_check() meanwhile, so a dead peer ends the run with an error
 * instead of a hang.
 *
 *   example_ipc_u64 [COUNT]     (default 1000000)
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kaos/kaos.h>

/* Failed tries between peer checks: a few system calls each. */
#define CHECK_EVERY 100000

static int
fail(const char *who, const char *call, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", who, call, kaos_strerror(rc));
	return 1;
}

static int
subscriber(const struct kaos_ipc_config *cfg, uint64_t count)
{
	struct kaos_ipc *ch;
	int rc = kaos_ipc_subscribe(cfg, &ch);
	if (rc < 0)
		return fail("subscriber", "kaos_ipc_subscribe", rc);
	struct kaos_u64ring *ring = kaos_ipc_u64ring(ch);
	uint64_t sum = 0, v;
	for (uint64_t i = 1; i <= count; i++) {
		for (uint64_t tries = 1; kaos_u64ring_pop(ring, &v) != 0; tries++) {
			kaos_cpu_relax();
			if (tries % CHECK_EVERY == 0 && (rc = kaos_ipc_check(ch)) < 0) {
				kaos_ipc_close(ch);
				return fail("subscriber", "waiting for a value", rc);
			}
		}
		if (v != i) {
			fprintf(stderr, "subscriber: value %" PRIu64 " where %" PRIu64
				" was due\n", v, i);
			kaos_ipc_close(ch);
			return 1;
		}
		sum += v;
	}
	kaos_ipc_close(ch);
	printf("subscriber: %" PRIu64 " values in order, sum %" PRIu64 "\n", count, sum);
	return sum == count * (count + 1) / 2 ? 0 : 1;
}

static int
publisher(const struct kaos_ipc_config *cfg, uint64_t count)
{
	struct kaos_ipc *ch;
	int rc = kaos_ipc_publish(cfg, &ch);
	if (rc < 0)
		return fail("publisher", "kaos_ipc_publish", rc);
	struct kaos_u64ring *ring = kaos_ipc_u64ring(ch);
	for (uint64_t i = 1; i <= count; i++) {
		for (uint64_t tries = 1; kaos_u64ring_push(ring, i) != 0; tries++) {
			kaos_cpu_relax();
			/* Full: is the subscriber still there? (One that
			 * has not attached yet is no error.) */
			if (tries % CHECK_EVERY == 0 && (rc = kaos_ipc_check(ch)) < 0) {
				kaos_ipc_close(ch);
				return fail("publisher", "waiting for room", rc);
			}
		}
	}
	kaos_ipc_close(ch);
	printf("publisher: %" PRIu64 " values sent\n", count);
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	char name[64];
	snprintf(name, sizeof(name), "/kaos-example-u64-%d", (int)getpid());
	struct kaos_ipc_config cfg = {
		.name = name,
		.kind = KAOS_IPC_U64,
		.capacity = 7 * 1024, /* a multiple of 7: 1024 lines of 7 values */
	};
	/* Each side attaches in its own process, after the fork; whichever
	 * comes first creates the channel. */
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		kaos_ipc_unlink(name);
		return 1;
	}
	if (child == 0) {
		int bad_child = subscriber(&cfg, count);
		fflush(stdout); /* _exit() does not */
		_exit(bad_child);
	}
	int bad = publisher(&cfg, count);
	int status = 0;
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		bad = 1;
	kaos_ipc_unlink(name);
	return bad;
}
