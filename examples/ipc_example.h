/* SPDX-License-Identifier: MIT */
/*
 * What examples/ipc_publisher.c and examples/ipc_subscriber.c share: the
 * channel, the messages, and the two roles. Two real programs would share
 * the first two in a header like this one; the roles are here too so that
 * each example can run the other side itself when started alone (demo
 * mode, see run_demo()).
 */
#ifndef KAOS_IPC_EXAMPLE_H
#define KAOS_IPC_EXAMPLE_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kaos/kaos.h>

/* ---- the protocol ------------------------------------------------------------ */

/* The channel's name when you run the two sides yourself. */
#define EXAMPLE_CHANNEL "/kaos-example"

/* Message types: any number up to KAOS_MSG_TYPE_MAX. */
enum { MSG_QUOTE = 1, MSG_TRADE = 2 };

/* Two messages of different lengths. Payloads arrive 8-byte aligned, so
 * the subscriber reads them in place, through a pointer. */
struct quote {
	uint64_t seq; /* every message carries the publisher's count */
	uint32_t instrument;
	uint32_t bid_size, ask_size;
	uint32_t reserved;
	double bid, ask;
};

struct trade {
	uint64_t seq;
	uint32_t instrument;
	uint32_t buy; /* 1: the buyer took the offer */
	double price;
	uint64_t quantity;
};

#define EXAMPLE_MESSAGES 4000u /* every fourth one a trade */

/* Bytes of buffer: enough for every message at once (a record is an
 * 8-byte header plus the payload, rounded up to 8), so a publisher with
 * nobody reading still sends everything without waiting, and exits. */
#define EXAMPLE_CAPACITY ((uint64_t)256 * 1024)
_Static_assert((uint64_t)EXAMPLE_MESSAGES * (8 + sizeof(struct quote)) +
			       (8 + sizeof(struct quote)) <=
		       EXAMPLE_CAPACITY,
	       "the channel holds every message (plus a wrap's padding)");

static struct kaos_ipc_config
example_config(const char *name)
{
	return (struct kaos_ipc_config){
		.name = name,
		.kind = KAOS_IPC_MSG_SP, /* variable-length records, one producer */
		.capacity = EXAMPLE_CAPACITY,
	};
}

/* ---- publisher -------------------------------------------------------------------- */

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Send EXAMPLE_MESSAGES quotes and trades, then close. @p paced: about
 * 1000 a second, so that `kaos-ipc list` can watch them go by. */
static int
run_publisher(const char *name, bool paced)
{
	struct kaos_ipc_config cfg = example_config(name);
	struct kaos_ipc *ch;
	int rc = kaos_ipc_publish(&cfg, &ch); /* creates the channel, or joins it */
	if (rc < 0) {
		fprintf(stderr, "publisher: %s: %s\n", name, kaos_strerror(rc));
		return 1;
	}
	/* While the channel is full: back off (spin, then sleep up to 1 ms),
	 * checking every 100 ms that the subscriber lives; give up after 10 s
	 * without room. */
	struct kaos_wait how = { .kind = KAOS_WAIT_BACKOFF, .timeout_ns = 10000000000ull };
	uint64_t trades = 0, volume = 0;
	for (uint64_t seq = 0; seq < EXAMPLE_MESSAGES && rc == 0; seq++) {
		uint32_t instrument = (uint32_t)(seq % 7);
		double mid = 100.0 + (double)(seq % 50) / 100.0;
		if (seq % 4 == 3) {
			struct trade t = { .seq = seq, .instrument = instrument,
					   .buy = seq % 8 == 3, .price = mid,
					   .quantity = 100 + seq % 10 };
			rc = kaos_ipc_send(ch, MSG_TRADE, &t, sizeof(t), &how);
			trades++;
			volume += t.quantity;
		} else {
			struct quote q = { .seq = seq, .instrument = instrument,
					   .bid_size = 500, .ask_size = 300,
					   .bid = mid - 0.01, .ask = mid + 0.01 };
			rc = kaos_ipc_send(ch, MSG_QUOTE, &q, sizeof(q), &how);
		}
		if (paced)
			pause_ms(1);
	}
	if (rc == 0)
		printf("publisher: sent %u messages (%" PRIu64 " quotes, %" PRIu64
		       " trades, volume %" PRIu64 ") on %s\n",
		       EXAMPLE_MESSAGES, EXAMPLE_MESSAGES - trades, trades, volume, name);
	else
		fprintf(stderr, "publisher: send: %s%s\n", kaos_strerror(rc),
			rc == -KAOS_EPEERDEAD ? " (the subscriber died; what it did not read "
						"stays for the next one)"
			: rc == -ETIMEDOUT    ? " (the channel stayed full: nobody reads it?)"
					      : "");
	fflush(stdout);
	kaos_ipc_close(ch); /* subscribers that drain the channel now get -EPIPE */
	return rc == 0 ? 0 : 1;
}

/* ---- subscriber ------------------------------------------------------------------- */

struct tally {
	uint64_t next; /* the seq we expect */
	uint64_t quotes, trades, volume, wrong;
	double notional;
	struct quote last_quote;
};

/* Called for each message, in order, in place (valid during the call). */
static void
on_message(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct tally *t = ctx;
	uint64_t seq;
	if (type == MSG_QUOTE && len == sizeof(struct quote)) {
		const struct quote *q = data;
		seq = q->seq;
		t->last_quote = *q;
		t->quotes++;
	} else if (type == MSG_TRADE && len == sizeof(struct trade)) {
		const struct trade *tr = data;
		seq = tr->seq;
		t->trades++;
		t->volume += tr->quantity;
		t->notional += tr->price * (double)tr->quantity;
	} else {
		t->wrong++; /* a type or length this program does not know */
		return;
	}
	if (seq != t->next)
		t->wrong++;
	t->next = seq + 1;
}

/* Receive until the publisher has closed and everything is read.
 * @p unlink_when_done: remove the channel's name at the end (nothing is
 * removed automatically; the last user does it). */
static int
run_subscriber(const char *name, uint64_t timeout_ns, bool unlink_when_done)
{
	struct kaos_ipc_config cfg = example_config(name);
	struct kaos_ipc *ch;
	int rc = kaos_ipc_subscribe(&cfg, &ch); /* creates the channel, or joins it */
	if (rc < 0) {
		fprintf(stderr, "subscriber: %s: %s\n", name, kaos_strerror(rc));
		return 1;
	}
	/* While the channel is empty: back off, checking every 100 ms that
	 * the publisher lives; give up after timeout_ns without a message. */
	struct kaos_wait how = { .kind = KAOS_WAIT_BACKOFF, .timeout_ns = timeout_ns };
	struct tally t = { 0 };
	int64_t n;
	while ((n = kaos_ipc_receive(ch, on_message, &t, 256, &how)) > 0)
		;
	bool all = t.next == EXAMPLE_MESSAGES && t.quotes + t.trades == EXAMPLE_MESSAGES &&
		   !t.wrong;
	printf("subscriber: %" PRIu64 " messages (%" PRIu64 " quotes, %" PRIu64
	       " trades, volume %" PRIu64 ", average price %.4f; last quote %.2f/%.2f)\n",
	       t.quotes + t.trades, t.quotes, t.trades, t.volume,
	       t.volume ? t.notional / (double)t.volume : 0.0, t.last_quote.bid,
	       t.last_quote.ask);
	if (n == -EPIPE && all)
		printf("subscriber: the publisher closed; got everything, in order\n");
	else if (n == -EPIPE)
		fprintf(stderr, "subscriber: the publisher closed, but %" PRIu64
				" messages were missing, repeated or unknown (an earlier run's "
				"leftovers? `kaos-ipc rm %s`)\n",
			EXAMPLE_MESSAGES > t.next ? EXAMPLE_MESSAGES - t.next : t.wrong, name);
	else if (n == -KAOS_EPEERDEAD)
		fprintf(stderr, "subscriber: the publisher died\n");
	else if (n == -ETIMEDOUT)
		fprintf(stderr, "subscriber: no message for %" PRIu64 " s\n",
			timeout_ns / 1000000000u);
	else
		fprintf(stderr, "subscriber: receive: %s\n", kaos_strerror((int)n));
	fflush(stdout);
	kaos_ipc_close(ch);
	if (unlink_when_done && n == -EPIPE)
		kaos_ipc_unlink(name);
	return n == -EPIPE && all ? 0 : 1;
}

/* ---- demo mode ---------------------------------------------------------------------- */

/*
 * Run one role here and the other in a child process, on a channel named
 * after this process (so demos running at once do not meet). Both sides
 * attach after the fork, each as its own process, exactly as two programs
 * would; whichever comes first creates the channel. Removes the name at
 * the end. @return 0 if both sides succeeded.
 */
static int
run_demo(bool parent_publishes)
{
	char name[64];
	snprintf(name, sizeof(name), "%s-demo-%ld", EXAMPLE_CHANNEL, (long)getpid());
	const uint64_t timeout_ns = 30000000000ull; /* generous: valgrind is slow */
	fflush(stdout); /* or the child would print our buffer again */
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0)
		exit(parent_publishes ? run_subscriber(name, timeout_ns, false)
				      : run_publisher(name, false));
	int rc = parent_publishes ? run_publisher(name, false)
				  : run_subscriber(name, timeout_ns, false);
	int status;
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "demo: the %s (child) failed\n",
			parent_publishes ? "subscriber" : "publisher");
		rc = 1;
	}
	kaos_ipc_unlink(name);
	return rc;
}

#endif /* KAOS_IPC_EXAMPLE_H */
