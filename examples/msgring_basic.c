/* SPDX-License-Identifier: MIT */
/*
 * msgring_basic: a producer thread sends messages of different types and
 * sizes through a single-producer message ring: a text greeting and batches
 * of order ids (copied in with kaos_msgring_write), price ticks built in
 * place (claim, write, commit: zero-copy), and an empty "done" message.
 * The consumer's handler switches on the message type; main checks that
 * everything arrived, in order.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/kaos.h>

enum msg_type { MSG_HELLO = 1, MSG_TICK, MSG_ORDERS, MSG_DONE };

struct tick {
	uint64_t seq;
	double price;
};

#define TICKS 100000
#define TICKS_PER_BATCH 100 /* an order batch after every 100 ticks */
#define MAX_ORDERS 50

static const char greeting[] = "hello from the producer";
static struct kaos_msgring ring;

static void
check_rc(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", what, kaos_strerror(rc));
		exit(1);
	}
}

/* Copy a message in, waiting politely while the ring is full. */
static void
send_copy(struct kaos_msgring_producer *p, uint32_t type, const void *src, size_t len)
{
	int rc;
	while ((rc = kaos_msgring_write(p, type, src, len)) == -KAOS_EFULL)
		sched_yield();
	check_rc(rc, "write");
}

static void *
produce(void *arg)
{
	struct kaos_msgring_producer p;
	const struct kaos_wait yield = { .kind = KAOS_WAIT_YIELD };
	uint32_t orders[MAX_ORDERS];
	uint32_t next_order = 0;
	(void)arg;

	check_rc(kaos_msgring_producer_init(&p, &ring, 0), "producer_init");
	send_copy(&p, MSG_HELLO, greeting, sizeof(greeting)); /* with its NUL */
	for (uint64_t i = 0; i < TICKS; i++) {
		/* Zero-copy: claim room for the tick, build it in place (the
		 * room is 8-byte aligned), commit. */
		void *room;
		check_rc(kaos_msgring_claim_wait(&p, MSG_TICK, sizeof(struct tick), &room, &yield),
			 "claim");
		struct tick *t = room;
		t->seq = i;
		t->price = 100.0 + (double)(i % 400) / 4;
		check_rc(kaos_msgring_commit(&p), "commit");

		if ((i + 1) % TICKS_PER_BATCH == 0) {
			/* a batch of 1..MAX_ORDERS consecutive order ids */
			size_t n = 1 + (size_t)(i / TICKS_PER_BATCH) % MAX_ORDERS;
			for (size_t k = 0; k < n; k++)
				orders[k] = next_order++;
			send_copy(&p, MSG_ORDERS, orders, n * sizeof(orders[0]));
		}
	}
	send_copy(&p, MSG_DONE, NULL, 0);
	return NULL;
}

/* What the consumer saw, and anything wrong with it. */
struct tally {
	bool hello, done;
	uint64_t ticks, batches, orders;
	int errors;
};

/* Called for each message, in order, in place: data is valid only during
 * the call. */
static void
on_message(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct tally *t = ctx;
	switch (type) {
	case MSG_HELLO:
		t->hello = len == sizeof(greeting) && memcmp(data, greeting, len) == 0;
		if (t->hello)
			printf("greeting: \"%s\"\n", (const char *)data);
		break;
	case MSG_TICK: {
		const struct tick *tk = data;
		if (len != sizeof(*tk) || tk->seq != t->ticks)
			t->errors++;
		t->ticks++;
		break;
	}
	case MSG_ORDERS: {
		const uint32_t *ids = data;
		for (size_t k = 0; k < len / sizeof(ids[0]); k++)
			if (ids[k] != t->orders++)
				t->errors++;
		t->batches++;
		break;
	}
	case MSG_DONE:
		t->done = true;
		break;
	default:
		t->errors++;
	}
}

int
main(void)
{
	/* 64 KiB of buffer; one producer (flags 0). */
	int rc = kaos_msgring_create(&ring, 64 * 1024, 0, KAOS_MEM_HEAP);
	check_rc(rc, "create");
	printf("ring: %" PRIu64 " bytes, messages up to %zu bytes\n", kaos_msgring_capacity(&ring),
	       kaos_msgring_max_payload(&ring));

	pthread_t producer;
	if (pthread_create(&producer, NULL, produce, NULL) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		return 1;
	}
	struct tally t = { 0 };
	const struct kaos_wait yield = { .kind = KAOS_WAIT_YIELD };
	while (!t.done) {
		int64_t n = kaos_msgring_read_wait(&ring, on_message, &t, 64, &yield);
		check_rc((int)n, "read");
	}
	pthread_join(producer, NULL);
	kaos_msgring_destroy(&ring);

	uint64_t batches = TICKS / TICKS_PER_BATCH, orders = 0;
	for (uint64_t b = 0; b < batches; b++)
		orders += 1 + b % MAX_ORDERS;
	printf("received %" PRIu64 " ticks, %" PRIu64 " order batches (%" PRIu64 " orders)\n",
	       t.ticks, t.batches, t.orders);
	if (!t.hello || t.errors || t.ticks != TICKS || t.batches != batches || t.orders != orders) {
		fprintf(stderr, "unexpected messages (%d errors)\n", t.errors);
		return 1;
	}
	return 0;
}
