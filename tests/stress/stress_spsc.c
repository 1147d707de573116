/* SPDX-License-Identifier: MIT */
/*
 * Two real threads through the SPSC ring: every slot size, every memory
 * mode, capacities from 2 to 2^20, random batch sizes on both sides, every
 * API pairing. The consumer checks every word of every slot, in order.
 * Default: >= 100M events in all; KAOS_TEST_SCALE shrinks it (TSan, qemu).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

enum prod_api { P_CLAIM, P_PUSH, P_PUSH_DEFERRED, P_WRITE, P_API_COUNT };
enum cons_api { C_PEEK, C_POP, C_POLL, C_API_COUNT };

struct config {
	size_t slot_size;
	enum kaos_mem mem; /* or caller memory when caller_mem */
	int caller_mem;
	uint64_t capacity;
	enum prod_api prod;
	enum cons_api cons;
	uint64_t events;
};

struct shared {
	struct kaos_spsc ring;
	const struct config *cfg;
	int cpus[2];
	int ncpus;
};

/* Word k of the slot for sequence s: a function of both, so a torn or
 * stale slot is caught, not only a wrong order. */
static inline uint64_t
word(uint64_t s, size_t k)
{
	return k == 0 ? s : (s * 0x9E3779B97F4A7C15ull) ^ (uint64_t)k;
}

static void
fill(unsigned char *slot, size_t slot_size, uint64_t s)
{
	uint64_t *w = (uint64_t *)slot;
	for (size_t k = 0; k < slot_size / 8; k++)
		w[k] = word(s, k);
}

static void
check(const unsigned char *slot, size_t slot_size, uint64_t s)
{
	const uint64_t *w = (const uint64_t *)slot;
	for (size_t k = 0; k < slot_size / 8; k++)
		if (w[k] != word(s, k))
			KAOS_FAIL("event %" PRIu64 " word %zu: got %" PRIx64
				  " want %" PRIx64,
				  s, k, w[k], word(s, k));
}

static void
pin(struct shared *sh, int which)
{
	if (sh->ncpus >= 2)
		(void)kaos_pin_thread(sh->cpus[which]); /* best effort */
}

static void *
producer(void *arg)
{
	struct shared *sh = arg;
	const struct config *cfg = sh->cfg;
	struct kaos_spsc *r = &sh->ring;
	size_t sz = cfg->slot_size;
	uint64_t seed = 0xC0FFEE ^ cfg->capacity ^ sz, s = 0;
	unsigned char buf[256];
	/* kaos_spsc_write: batches up to WRITE_MAX slots, staged here */
	enum { WRITE_MAX = 2048 };
	unsigned char *stage = cfg->prod == P_WRITE ? malloc(WRITE_MAX * sz) : NULL;
	KAOS_ASSERT(cfg->prod != P_WRITE || stage);

	pin(sh, 0);
	while (s < cfg->events) {
		switch (cfg->prod) {
		case P_CLAIM: {
			void *w = NULL;
			uint64_t want = 1 + kaos_test_rand(&seed) % cfg->capacity;
			int64_t got = kaos_spsc_claim(r, want, &w);
			KAOS_ASSERT_GE(got, 0);
			uint64_t n = (uint64_t)got;
			if (n > cfg->events - s)
				n = cfg->events - s;
			for (uint64_t i = 0; i < n; i++)
				fill((unsigned char *)w + i * sz, sz, s + i);
			if (n)
				KAOS_ASSERT_OK(kaos_spsc_publish(r, n));
			else
				kaos_cpu_relax();
			s += n;
			break;
		}
		case P_PUSH:
		case P_PUSH_DEFERRED: {
			fill(buf, sz, s);
			int rc = cfg->prod == P_PUSH ? kaos_spsc_push(r, buf)
						     : kaos_spsc_push_deferred(r, buf);
			if (rc == 0)
				s++;
			else if (rc == -KAOS_EFULL)
				kaos_cpu_relax();
			else
				KAOS_FAIL("push: %s", kaos_strerror(rc));
			break;
		}
		case P_WRITE: {
			/* sizes on both sides of KAOS_SPSC_STREAM_MIN bytes */
			uint64_t n = 1 + kaos_test_rand(&seed) % WRITE_MAX;
			if (n > cfg->events - s)
				n = cfg->events - s;
			for (uint64_t i = 0; i < n; i++)
				fill(stage + i * sz, sz, s + i);
			for (uint64_t done = 0; done < n;) {
				int64_t got = kaos_spsc_write(r, stage + done * sz, n - done);
				KAOS_ASSERT_GE(got, 0);
				if (got == 0)
					kaos_cpu_relax();
				done += (uint64_t)got;
			}
			s += n;
			break;
		}
		default:
			KAOS_FAIL("bad producer api");
		}
	}
	kaos_spsc_flush(r);
	free(stage);
	return NULL;
}

struct poll_ctx {
	size_t sz;
	uint64_t next;
};

static int
poll_check(void *slot, uint64_t seq, bool end, void *arg)
{
	struct poll_ctx *pc = arg;
	(void)end;
	KAOS_ASSERT_UEQ(seq, pc->next);
	check(slot, pc->sz, pc->next);
	pc->next++;
	return 0;
}

static void *
consumer(void *arg)
{
	struct shared *sh = arg;
	const struct config *cfg = sh->cfg;
	struct kaos_spsc *r = &sh->ring;
	size_t sz = cfg->slot_size;
	uint64_t seed = 0xBEEF ^ cfg->capacity ^ sz;
	struct poll_ctx pc = { sz, 0 };
	unsigned char buf[256];

	pin(sh, 1);
	while (pc.next < cfg->events) {
		uint64_t before = pc.next;
		switch (cfg->cons) {
		case C_PEEK: {
			const void *rd = NULL;
			uint64_t want = 1 + kaos_test_rand(&seed) % cfg->capacity;
			int64_t got = kaos_spsc_peek(r, want, &rd);
			KAOS_ASSERT_GE(got, 0);
			for (int64_t i = 0; i < got; i++)
				check((const unsigned char *)rd + (size_t)i * sz, sz,
				      pc.next + (uint64_t)i);
			if (got)
				KAOS_ASSERT_OK(kaos_spsc_release(r, (uint64_t)got));
			pc.next += (uint64_t)got;
			break;
		}
		case C_POP: {
			int rc = kaos_spsc_pop(r, buf);
			if (rc == 0) {
				check(buf, sz, pc.next);
				pc.next++;
			} else if (rc != -KAOS_EEMPTY) {
				KAOS_FAIL("pop: %s", kaos_strerror(rc));
			}
			break;
		}
		case C_POLL: {
			uint64_t limit = 1 + kaos_test_rand(&seed) % 4096;
			uint64_t n = kaos_spsc_poll(r, poll_check, &pc, limit);
			KAOS_ASSERT_LE(n, limit);
			break;
		}
		default:
			KAOS_FAIL("bad consumer api");
		}
		if (pc.next == before)
			kaos_cpu_relax();
	}
	/* nothing extra may follow */
	const void *rd;
	KAOS_ASSERT_EQ(kaos_spsc_peek(r, 1, &rd), 0);
	return NULL;
}

static void
run(const struct config *cfg, int *cpus, int ncpus)
{
	struct shared sh = { .cfg = cfg, .ncpus = ncpus };
	void *mem = NULL;
	sh.cpus[0] = cpus[0];
	sh.cpus[1] = ncpus > 1 ? cpus[1] : cpus[0];
	if (cfg->caller_mem) {
		size_t need;
		KAOS_ASSERT_OK(kaos_spsc_memsize(cfg->capacity, cfg->slot_size, &need));
		mem = aligned_alloc(KAOS_CACHELINE, need);
		KAOS_ASSERT(mem);
		KAOS_ASSERT_OK(kaos_spsc_init(&sh.ring, mem, need, cfg->capacity,
					      cfg->slot_size));
	} else {
		KAOS_ASSERT_OK(kaos_spsc_create(&sh.ring, cfg->capacity,
						cfg->slot_size, cfg->mem));
	}
	pthread_t p, c;
	KAOS_ASSERT_EQ(pthread_create(&c, NULL, consumer, &sh), 0);
	KAOS_ASSERT_EQ(pthread_create(&p, NULL, producer, &sh), 0);
	KAOS_ASSERT_EQ(pthread_join(p, NULL), 0);
	KAOS_ASSERT_EQ(pthread_join(c, NULL), 0);
	KAOS_ASSERT_UEQ(sh.ring.cons.pos, cfg->events);
	kaos_spsc_destroy(&sh.ring);
	free(mem);
}

static const char *const prod_names[] = { "claim", "push", "push_deferred", "write" };
static const char *const cons_names[] = { "peek", "pop", "poll" };
static const char *const mem_names[] = { "heap", "mapped", "caller" };

static void
every_slot_size_and_memory_mode(void)
{
	static const size_t sizes[] = { 8, 16, 32, 64 };
	static const uint64_t caps[] = { 2, 64, 4096, 1 << 20 };
	int cpus[64];
	int ncpus = kaos_cpus_allowed(cpus, 64);
	KAOS_ASSERT_GT(ncpus, 0);

	/* 4 sizes x 3 memory modes x 12 API pairings: 144 runs. The batch
	 * pairing carries most of the volume; the total is >= 100M at scale 1. */
	uint64_t total = 0, runs = 0;
	for (size_t s = 0; s < 4; s++) {
		for (int m = 0; m < 3; m++) {
			for (int pa = 0; pa < P_API_COUNT; pa++) {
				for (int ca = 0; ca < C_API_COUNT; ca++) {
					struct config cfg = {
						.slot_size = sizes[s],
						.mem = m == 1 ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP,
						.caller_mem = m == 2,
						.capacity = caps[(s + (size_t)m + (size_t)pa + (size_t)ca) % 4],
						.prod = (enum prod_api)pa,
						.cons = (enum cons_api)ca,
					};
					uint64_t base = pa == P_CLAIM && ca == C_PEEK ? 8000000 : 800000;
					/* a 2-slot ring moves one or two events per
					 * handoff: keep its share small */
					if (cfg.capacity == 2)
						base /= 20;
					cfg.events = kaos_test_scaled(base, 2000);
					run(&cfg, cpus, ncpus);
					printf("  %3zuB %-6s cap %-7" PRIu64 " %-13s -> %-4s %9" PRIu64 " events ok\n",
					       cfg.slot_size, mem_names[m], cfg.capacity,
					       prod_names[pa], cons_names[ca], cfg.events);
					total += cfg.events;
					runs++;
				}
			}
		}
	}
	printf("  %" PRIu64 " runs, %" PRIu64 " events checked\n", runs, total);
	if (kaos_test_scale() >= 1.0)
		KAOS_ASSERT_GE(total, 100000000);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(every_slot_size_and_memory_mode),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
