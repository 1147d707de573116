/* SPDX-License-Identifier: MIT */
/*
 * spsc_typed: a ring of a user struct (KAOS_SPSC_DEFINE), filled one event at
 * a time with push, drained by a Disruptor-style poll handler that sees each
 * event's sequence and an end-of-batch flag.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include <kaos/kaos.h>

struct order {
	uint64_t id;
	int64_t price; /* in ticks */
	uint32_t quantity;
	uint32_t side;  /* 0 buy, 1 sell */
};

/* struct order_ring and order_ring_create/_push/_pop/... */
KAOS_SPSC_DEFINE(order_ring, struct order);

#define ORDERS 1000000u

static struct order_ring ring;

static void *
produce(void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i < ORDERS;) {
		struct order o = { i, 1000 + (int64_t)(i % 7), 1 + i % 100, i & 1 };
		if (order_ring_push(&ring, &o) == 0)
			i++;
		else
			kaos_cpu_relax(); /* -KAOS_EFULL: the consumer is behind */
	}
	return NULL;
}

struct totals {
	uint64_t orders, batches, bought, sold, next_id;
	int bad;
};

static int
on_order(void *slot, uint64_t seq, bool end_of_batch, void *ctx)
{
	const struct order *o = slot;
	struct totals *t = ctx;
	if (o->id != seq || o->id != t->next_id)
		t->bad = 1;
	t->next_id++;
	t->orders++;
	*(o->side ? &t->sold : &t->bought) += o->quantity;
	t->batches += end_of_batch;
	return 0; /* keep going */
}

int
main(void)
{
	int rc = order_ring_create(&ring, 4096, KAOS_MEM_HEAP);
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", kaos_strerror(rc));
		return 1;
	}
	pthread_t producer;
	pthread_create(&producer, NULL, produce, NULL);

	struct totals t = { 0 };
	while (t.orders < ORDERS)
		if (kaos_spsc_poll(order_ring_ring(&ring), on_order, &t, 512) == 0)
			kaos_cpu_relax();
	pthread_join(producer, NULL);
	order_ring_destroy(&ring);

	printf("%" PRIu64 " orders in %" PRIu64 " batches: bought %" PRIu64
	       ", sold %" PRIu64 "%s\n",
	       t.orders, t.batches, t.bought, t.sold, t.bad ? " (OUT OF ORDER)" : "");
	return t.bad;
}
