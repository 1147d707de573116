/* SPDX-License-Identifier: MIT */
/*
 * The kaos side of bench_ipc, every case: a u64 channel for one value per
 * call (ipc/single_8B), SPSC channels for the batches of ipc/sustained_8B
 * and the round trips (which measured 1.06x the round trips/s of u64
 * channels, tools/bench-ab.sh, docs/benchmarks.md), message channels for
 * ipc/msg_*. Included by
 * bench_ipc.c as "kaos", and by peers/ipc_kaos_nocounters.c, which defines
 * KAOS_COUNTERS 0 first, as the "kaos_nocounters" peer: the same code
 * without the ring counters, so their cost is a ratio in the run.
 *
 * What KAOS_COUNTERS=0 changes is the kaos header code compiled into that
 * translation unit, and that is the whole of every timed loop here: the
 * inline kaos_u64ring_push/pop (ipc/single_8B, through
 * kaos_u64_push_spin/pop_spin of bench_kaos.h), kaos_spsc_push/pop
 * (ipc/rtt_8B, through kaos_push_spin/pop_spin), kaos_spsc_peek/release
 * (ipc/sustained_8B) and kaos_msgring_claim/commit_deferred/flush/read
 * (ipc/msg_*). Their counters are the producers' "ring full" counts, paid
 * each time a push or claim finds the ring full.
 * What it does not change is the library (libkaos, built once, counters
 * on), that is every out-of-line call: the sustained producer's
 * kaos_spsc_write (which counts a refusal when the ring is full),
 * kaos_ipc_publish/subscribe/close (outside the timed region) and the
 * accessors kaos_ipc_spsc(), kaos_ipc_u64ring(), kaos_ipc_msg_producer()
 * and kaos_ipc_msgring(), called once per timed side at its start and
 * counting nothing. The library's own counting code
 * (the multi-producer message claim, kaos_ipc_send/receive, the *_wait
 * calls) is on no path here. The channels' layout is the same either way:
 * the counter words are there, only not written.
 */
#ifndef KB_KAOS_IPC_ADAPTER_H
#define KB_KAOS_IPC_ADAPTER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/ipc.h>
#include <kaos/kaos.h>

#include "bench_kaos.h"
#include "harness.h"
#include "ipc_workload.h"

#ifndef KAOS_ADAPTER_NAME
#define KAOS_ADAPTER_NAME "kaos"
#define KAOS_ADAPTER_VAR kaos_adapter
#define KAOS_ADAPTER_LINKAGE static
#endif

/* ---- kaos adapter ------------------------------------------------------------ */

/* Channel 0 carries the messages from this process to the child; in the
 * round-trip case channel 1 carries the echo back. */
struct kaos_q {
	struct kaos_ipc_config cfg[2];
	const char *name[2];
	int nch;
	struct kaos_ipc *pub;  /* this process: publisher of channel 0 */
	struct kaos_ipc *back; /* this process: subscriber of channel 1 */
	struct kaos_ipc *sub;  /* child: subscriber of channel 0 */
	struct kaos_ipc *echo; /* child: publisher of channel 1 */
};

/* ipc/sustained_8B: values per kaos_spsc_write at most. */
#define KSUS_BATCH_MAX 1024

/* Messages carry this type; the consumer checks it. */
#define KMSG_TYPE 1u
/* kaos_msgring_read hands over up to this many records per call, then
 * releases them: a bound on what the consumer holds back from the producer
 * (256 x 72 bytes = 18 KiB for msg_64B, 256 x 1032 = 258 KiB for msg_1KB,
 * of the 1 MiB ring). */
#define KMSG_READ_LIMIT 256
/* The payload size the consumer expects when it is neither 64 nor 1024
 * (kmsg_take_any): set by kaos_open_q(), before the fork. */
static size_t kmsg_want;

/* Messages up to 1 KiB (every case's): staged in 8 KiB batches
 * (kaos_msgring_write_batch), as pipe_batch coalesces its frames into 8 KiB
 * writes; each record is still its own message to the reader. Larger ones
 * would be claimed, written in place and committed one by one. */
#define KMSG_BATCH_BELOW (KI_MAX_MSG + 1)
#define KMSG_BATCH_BYTES 8192

static int
kaos_supports(const struct ki_spec *s)
{
	(void)s;
	return 1;
}

static const char *
kaos_note(const struct ki_spec *s)
{
#if !KAOS_COUNTERS
	(void)s;
	return "kaos's code, built with KAOS_COUNTERS=0: kaos/this is the "
	       "counters' cost";
#endif
	switch (s->kind) {
	case KI_SINGLE:
		return "u64 channel (a sequence word per 64-byte line), "
		       "kaos_u64ring_push/pop";
	case KI_SUSTAINED:
		return "SPSC channel (8-byte slots), kaos_spsc_write of up to 1024 "
		       "values (streaming stores) and peek/release in place";
	case KI_MSG:
		return s->msg_bytes < KMSG_BATCH_BELOW
			       ? "message channel (MSG_SP), records staged in 8 KiB batches "
				 "(kaos_msgring_batch_claim, kaos_msgring_write_batch: "
				 "streaming stores), kaos_msgring_read of up to 256 records "
				 "per call"
			       : "message channel (MSG_SP), kaos_msgring_claim/commit_deferred "
				 "(published per 4 KiB), kaos_msgring_read of up to 256 records "
				 "per call";
	case KI_RTT:
		return "an SPSC channel each way, kaos_spsc_push/pop";
	}
	return NULL;
}

static void
kaos_close_q(void *qv)
{
	struct kaos_q *q = qv;
	kaos_ipc_close(q->pub);
	kaos_ipc_close(q->back);
	for (int i = 0; i < 2; i++)
		if (q->name[i])
			kb_name_drop(q->name[i]);
	free(q);
}

static void *
kaos_open_q(const struct ki_spec *s)
{
	struct kaos_q *q = calloc(1, sizeof(*q));
	int rc;
	if (!q)
		return NULL;
	kmsg_want = s->msg_bytes;
	q->nch = s->kind == KI_RTT ? 2 : 1;
	for (int i = 0; i < q->nch; i++) {
		struct kaos_ipc_config *c = &q->cfg[i];
		q->name[i] = kb_name_take("ipc");
		if (!q->name[i]) {
			fprintf(stderr, "bench: too many channel names\n");
			kaos_close_q(q);
			return NULL;
		}
		memset(c, 0, sizeof(*c));
		c->name = q->name[i];
		if (s->kind == KI_MSG) {
			c->kind = KAOS_IPC_MSG_SP;
			c->capacity = s->ring_bytes;
		} else if (s->kind != KI_SINGLE) {
			c->kind = KAOS_IPC_SPSC;
			c->capacity = s->slots;
			c->slot_size = 8;
		} else {
			/* the peers' slot count, rounded up to whole lines */
			c->kind = KAOS_IPC_U64;
			c->capacity = (s->slots + KAOS_U64RING_PER_LINE - 1) /
				      KAOS_U64RING_PER_LINE * KAOS_U64RING_PER_LINE;
		}
	}
	rc = kaos_ipc_publish(&q->cfg[0], &q->pub);
	if (rc != 0) {
		kaos_fail("kaos_ipc_publish", rc);
		q->pub = NULL;
		kaos_close_q(q);
		return NULL;
	}
	if (q->nch == 2) {
		rc = kaos_ipc_subscribe(&q->cfg[1], &q->back);
		if (rc != 0) {
			kaos_fail("kaos_ipc_subscribe", rc);
			q->back = NULL;
			kaos_close_q(q);
			return NULL;
		}
	}
	return q;
}

static int
kaos_child_open(void *qv)
{
	struct kaos_q *q = qv;
	int rc = kaos_ipc_subscribe(&q->cfg[0], &q->sub);
	if (rc != 0)
		return kaos_fail("kaos_ipc_subscribe (consumer process)", rc);
	if (q->nch == 2) {
		rc = kaos_ipc_publish(&q->cfg[1], &q->echo);
		if (rc != 0)
			return kaos_fail("kaos_ipc_publish (consumer process)", rc);
	}
	return 0;
}

static void
kaos_child_close(void *qv)
{
	struct kaos_q *q = qv;
	kaos_ipc_close(q->sub);
	kaos_ipc_close(q->echo);
	q->sub = q->echo = NULL;
}


static int
kaos_msg_write_batch(struct kaos_msgring_producer *p, struct kaos_msgring_batch *b)
{
	int rc;
	while ((rc = kaos_msgring_write_batch(p, b)) == -KAOS_EFULL)
		kb_relax();
	return rc < 0 ? kaos_fail("kaos_msgring_write_batch", rc) : 0;
}

static int
kaos_msg_produce_batched(struct kaos_msgring_producer *p, uint64_t events, size_t len)
{
	static _Alignas(64) unsigned char stage[KMSG_BATCH_BYTES];
	struct kaos_msgring_batch b;
	int rc = kaos_msgring_batch_init(&b, stage, sizeof(stage));
	if (rc < 0)
		return kaos_fail("kaos_msgring_batch_init", rc);
	for (uint64_t seq = 1; seq <= events; seq++) {
		void *data;
		while ((rc = kaos_msgring_batch_claim(&b, KMSG_TYPE, len, &data)) != 0) {
			if (rc != -KAOS_EFULL)
				return kaos_fail("kaos_msgring_batch_claim", rc);
			if (kaos_msg_write_batch(p, &b) < 0)
				return -1;
		}
		ki_msg_fill(data, seq, len);
	}
	return kaos_msg_write_batch(p, &b);
}

/* Message producer: small messages batched (above); larger ones claimed,
 * written in place and committed one by one. */
KB_INLINE int
kaos_msg_produce(struct kaos_msgring_producer *p, uint64_t events, size_t len)
{
	if (len < KMSG_BATCH_BELOW)
		return kaos_msg_produce_batched(p, events, len);
	for (uint64_t seq = 1; seq <= events; seq++) {
		void *data;
		int rc;
		while ((rc = kaos_msgring_claim(p, KMSG_TYPE, len, &data)) != 0) {
			if (rc != -KAOS_EFULL)
				return kaos_fail("kaos_msgring_claim", rc);
			kb_relax();
		}
		ki_msg_fill(data, seq, len);
		kaos_msgring_commit_deferred(p); /* visible per 4 KiB, or when full */
	}
	kaos_msgring_flush(p);
	return 0;
}

struct kmsg_ctx {
	struct ki_msg_check c;
	uint64_t bad_type;
};

#define KMSG_HANDLER(name, want)                                              \
	static void name(uint32_t type, const void *data, size_t len, void *v) \
	{                                                                     \
		struct kmsg_ctx *x = v;                                       \
		if (KB_UNLIKELY(type != KMSG_TYPE))                           \
			x->bad_type++;                                        \
		ki_msg_take(&x->c, data, len, want);                          \
	}
KMSG_HANDLER(kmsg_take_64, 64)
KMSG_HANDLER(kmsg_take_1k, 1024)

KMSG_HANDLER(kmsg_take_any, kmsg_want)

KB_INLINE int
kaos_msg_consume(struct kaos_msgring *ring, uint64_t events,
		 kaos_msg_handler_fn fn, struct ki_out *out)
{
	struct kmsg_ctx x = { ki_msg_check_start(), 0 };
	while (x.c.count < events) {
		uint64_t want = events - x.c.count;
		int64_t n = kaos_msgring_read(ring, fn, &x,
					      want < KMSG_READ_LIMIT ? want
								     : KMSG_READ_LIMIT);
		if (n <= 0) {
			if (n < 0)
				return kaos_fail("kaos_msgring_read", n);
			kb_relax();
		}
	}
	out->msg = x.c;
	out->check.bad = x.bad_type; /* unused otherwise in KI_MSG */
	return 0;
}

static int
kaos_produce(void *qv, const struct ki_spec *s, uint64_t events,
	     struct ki_out *out, struct ki_rtt *rtt)
{
	struct kaos_q *q = qv;
	struct kb_gen g = kb_gen_start();
	switch (s->kind) {
	case KI_SINGLE: {
		struct kaos_u64ring *r = kaos_ipc_u64ring(q->pub);
		KB_PUT_EACH(g, events, KB_PER_EVENT, 1, uint64_t, v,
			    kaos_u64_push_spin(r, v) == 0, return -1);
		return 0;
	}
	case KI_SUSTAINED: {
		/* Values made in a private batch, then copied in by
		 * kaos_spsc_write (streaming stores for a batch this size). */
		static _Alignas(64) uint64_t batch[KSUS_BATCH_MAX];
		struct kaos_spsc *r = kaos_ipc_spsc(q->pub);
		uint64_t per = s->batch < KSUS_BATCH_MAX ? s->batch : KSUS_BATCH_MAX;
		KB_PUT_COPIES(g, events, per, KB_PER_EVENT, 1, batch, uint64_t,
			      done, n, k, kaos_spsc_write(r, batch + done, n - done),
			      if (k < 0) return kaos_fail("kaos_spsc_write", k));
		return 0;
	}
	case KI_MSG: {
		struct kaos_msgring_producer *p = kaos_ipc_msg_producer(q->pub);
#define KMSG_PRODUCE(len) kaos_msg_produce(p, events, len)
		KI_BY_MSG_BYTES(s, KMSG_PRODUCE);
#undef KMSG_PRODUCE
	}
	case KI_RTT: {
		struct kaos_spsc *tx = kaos_ipc_spsc(q->pub);
		struct kaos_spsc *rx = kaos_ipc_spsc(q->back);
		struct kb_check c = kb_check_start();
		KI_PING(c, events, rtt, back, KB_NO_DECL,
			kaos_push_spin(tx, kb_next_value(&g)) != 0 ||
				kaos_pop_spin(rx, &back) != 0);
		out->check = c;
		return 0;
	}
	}
	return -1;
}

static int
kaos_consume(void *qv, const struct ki_spec *s, uint64_t events,
	     struct ki_out *out)
{
	struct kaos_q *q = qv;
	struct kb_check c = kb_check_start();
	switch (s->kind) {
	case KI_SINGLE: {
		struct kaos_u64ring *r = kaos_ipc_u64ring(q->sub);
		KB_TAKE_EACH(c, events, KB_PER_EVENT, uint64_t, v,
			     kaos_u64_pop_spin(r, &v) == 0, return -1);
		break;
	}
	case KI_SUSTAINED: {
		struct kaos_spsc *r = kaos_ipc_spsc(q->sub);
		KB_TAKE_BATCHES(c, events, s->batch, want, n,
				const void *slots = NULL,
				kaos_spsc_peek(r, want, &slots),
				if (n < 0) return kaos_fail("kaos_spsc_peek", n),
				KB_TAKE_IN_ORDER(&c, (const uint64_t *)slots, n);
				kaos_spsc_release(r, (uint64_t)n));
		break;
	}
	case KI_MSG: {
		struct kaos_msgring *ring = kaos_ipc_msgring(q->sub);
		if (s->msg_bytes == 64)
			return kaos_msg_consume(ring, events, kmsg_take_64, out);
		if (s->msg_bytes == 1024)
			return kaos_msg_consume(ring, events, kmsg_take_1k, out);
		return kaos_msg_consume(ring, events, kmsg_take_any, out);
	}
	case KI_RTT: {
		struct kaos_spsc *rx = kaos_ipc_spsc(q->sub);
		struct kaos_spsc *tx = kaos_ipc_spsc(q->echo);
		KI_ECHO(c, events, v,
			kaos_pop_spin(rx, &v) != 0 ||
				kaos_push_spin(tx, v) != 0);
		break;
	}
	}
	out->check = c;
	return 0;
}

KAOS_ADAPTER_LINKAGE const struct ki_adapter KAOS_ADAPTER_VAR = {
	KAOS_ADAPTER_NAME, NULL, kaos_supports, kaos_note, kaos_open_q,
	kaos_close_q, kaos_child_open, kaos_child_close, kaos_produce,
	kaos_consume,
};

#endif /* KB_KAOS_IPC_ADAPTER_H */
