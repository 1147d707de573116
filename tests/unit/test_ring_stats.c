/* SPDX-License-Identifier: MIT */
/* Ring counters count exactly what a scripted run did: N publishes, K
 * refused pushes, W waits, and wakes only when somebody slept. */
#include <pthread.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#define CAP 8
#define REFUSED 5

static const struct kaos_wait short_spin = { .kind = KAOS_WAIT_SPIN, .timeout_ns = 1000000 };

static void
expect(const struct kaos_ring_stats *s, uint64_t published, uint64_t consumed,
       uint64_t full, uint64_t waits)
{
	KAOS_ASSERT_UEQ(s->published, published);
	KAOS_ASSERT_UEQ(s->consumed, consumed);
	KAOS_ASSERT_UEQ(s->full, full);
	KAOS_ASSERT_UEQ(s->waits, waits);
	KAOS_ASSERT_UEQ(s->wakes, 0);
}

/* Fill the ring, be refused REFUSED times, time out once waiting for space,
 * drain three, time out once waiting on an empty ring after draining all. */
static void
spsc_counts(void)
{
	struct kaos_spsc r;
	struct kaos_ring_stats s;
	uint64_t v = 0;
	KAOS_ASSERT_OK(kaos_spsc_create(&r, CAP, 8, KAOS_MEM_HEAP));
	kaos_spsc_stats(&r, &s);
	expect(&s, 0, 0, 0, 0);
	for (v = 0; v < CAP; v++)
		KAOS_ASSERT_OK(kaos_spsc_push(&r, &v));
	for (int i = 0; i < REFUSED; i++)
		KAOS_ASSERT_EQ(kaos_spsc_push(&r, &v), -KAOS_EFULL);
	void *slot;
	KAOS_ASSERT_EQ(kaos_spsc_claim(&r, 1, &slot), 0); /* a refused claim counts too */
	KAOS_ASSERT_EQ(kaos_spsc_push_wait(&r, &v, &short_spin), -ETIMEDOUT);
	kaos_spsc_stats(&r, &s);
	/* the wait's attempts are refusals as well: at least one each */
	KAOS_ASSERT_UEQ(s.published, CAP);
	KAOS_ASSERT_GE(s.full, REFUSED + 2);
	KAOS_ASSERT_UEQ(s.waits, 1);
	uint64_t full = s.full;
	for (int i = 0; i < 3; i++)
		KAOS_ASSERT_OK(kaos_spsc_pop(&r, &v));
	kaos_spsc_stats(&r, &s);
	expect(&s, CAP, 3, full, 1);
	while (kaos_spsc_pop(&r, &v) == 0)
		;
	KAOS_ASSERT_EQ(kaos_spsc_pop_wait(&r, &v, &short_spin), -ETIMEDOUT);
	kaos_spsc_stats(&r, &s);
	expect(&s, CAP, CAP, full, 2);
	kaos_spsc_destroy(&r);
}

static void
mpmc_counts(void)
{
	struct kaos_mpmc r;
	struct kaos_ring_stats s;
	uint64_t v = 0;
	KAOS_ASSERT_OK(kaos_mpmc_create(&r, CAP, 8, KAOS_MEM_HEAP));
	for (v = 0; v < CAP; v++)
		KAOS_ASSERT_OK(kaos_mpmc_push(&r, &v));
	for (int i = 0; i < REFUSED; i++)
		KAOS_ASSERT_EQ(kaos_mpmc_push(&r, &v), -KAOS_EFULL);
	kaos_mpmc_stats(&r, &s);
	expect(&s, CAP, 0, REFUSED, 0);
	while (kaos_mpmc_pop(&r, &v) == 0)
		;
	struct kaos_batch b;
	KAOS_ASSERT_EQ(kaos_mpmc_peek_wait(&r, 1, &b, &short_spin), -ETIMEDOUT);
	kaos_mpmc_stats(&r, &s);
	expect(&s, CAP, CAP, REFUSED, 1);
	kaos_mpmc_destroy(&r);
}

static void
bcast_counts(void)
{
	struct kaos_bcast r;
	struct kaos_bcast_consumer c;
	struct kaos_ring_stats s;
	uint64_t v = 0;
	KAOS_ASSERT_OK(kaos_bcast_create(&r, CAP, 8, 2, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&r, &c));
	for (v = 0; v < CAP; v++)
		KAOS_ASSERT_OK(kaos_bcast_push(&r, &v));
	for (int i = 0; i < REFUSED; i++)
		KAOS_ASSERT_EQ(kaos_bcast_push(&r, &v), -KAOS_EFULL);
	for (int i = 0; i < 2; i++)
		KAOS_ASSERT_OK(kaos_bcast_pop(&c, &v));
	kaos_bcast_stats(&r, &s);
	expect(&s, CAP, 2, REFUSED, 0);
	kaos_bcast_leave(&c);
	kaos_bcast_stats(&r, &s);
	expect(&s, CAP, CAP, REFUSED, 0); /* nobody joined: nothing held */
	kaos_bcast_destroy(&r);
}

static void
count_msg(uint32_t type, const void *data, size_t len, void *ctx)
{
	(void)type;
	(void)data;
	(void)len;
	++*(int *)ctx;
}

static void
msgring_counts(void)
{
	for (int mp = 0; mp < 2; mp++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct kaos_ring_stats s;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, mp ? KAOS_MSGRING_MP : 0,
						   KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		int sent = 0;
		while (kaos_msgring_write(&p, 1, "abcdefgh", 8) == 0)
			sent++; /* 16-byte records */
		KAOS_ASSERT_EQ(sent, 256 / 16);
		for (int i = 1; i < REFUSED; i++)
			KAOS_ASSERT_EQ(kaos_msgring_write(&p, 1, "abcdefgh", 8), -KAOS_EFULL);
		kaos_msgring_stats(&r, &s);
		expect(&s, 256, 0, REFUSED, 0);
		int got = 0;
		KAOS_ASSERT_EQ(kaos_msgring_read(&r, count_msg, &got, UINT64_MAX), sent);
		KAOS_ASSERT_EQ(kaos_msgring_read_wait(&r, count_msg, &got, 1, &short_spin),
			       -ETIMEDOUT);
		kaos_msgring_stats(&r, &s);
		expect(&s, 256, 256, REFUSED, 1);
		kaos_msgring_destroy(&r);
	}
}

/* Wakes: only when a blocked thread needs one. */
static struct kaos_spsc wake_ring;

static void *
blocked_pop(void *arg)
{
	uint64_t v;
	const struct kaos_wait block = { .kind = KAOS_WAIT_BLOCK, .spins = 1,
					 .timeout_ns = 10000000000ull };
	*(int *)arg = kaos_spsc_pop_wait(&wake_ring, &v, &block);
	return NULL;
}

static void
wakes_counted_when_a_thread_sleeps(void)
{
	struct kaos_ring_stats s;
	KAOS_ASSERT_OK(kaos_spsc_create(&wake_ring, CAP, 8, KAOS_MEM_HEAP));
	kaos_spsc_set_blocking(&wake_ring, true);
	uint64_t v = 1;
	KAOS_ASSERT_OK(kaos_spsc_push(&wake_ring, &v)); /* nobody waits: no wake */
	KAOS_ASSERT_OK(kaos_spsc_pop(&wake_ring, &v));
	kaos_spsc_stats(&wake_ring, &s);
	KAOS_ASSERT_UEQ(s.wakes, 0);
	int rc = -1;
	pthread_t t;
	KAOS_ASSERT_OK(pthread_create(&t, NULL, blocked_pop, &rc));
	/* Publish only once the consumer is registered as a sleeper. */
	while (atomic_load(&wake_ring.ro.ctl->data.waiters) == 0)
		kaos_cpu_relax();
	KAOS_ASSERT_OK(kaos_spsc_push(&wake_ring, &v));
	pthread_join(t, NULL);
	KAOS_ASSERT_EQ(rc, 0);
	kaos_spsc_stats(&wake_ring, &s);
	KAOS_ASSERT_UEQ(s.wakes, 1);
	KAOS_ASSERT_UEQ(s.waits, 1);
	kaos_spsc_destroy(&wake_ring);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(spsc_counts),
		KAOS_TEST(mpmc_counts),
		KAOS_TEST(bcast_counts),
		KAOS_TEST(msgring_counts),
		KAOS_TEST(wakes_counted_when_a_thread_sleeps),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
