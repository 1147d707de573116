/* SPDX-License-Identifier: MIT */
/*
 * Concurrency Kit's ck_ring (libck-dev) between two processes (bench_ipc):
 * the ring (struct ck_ring, positions only) and its slot array laid out in
 * one anonymous MAP_SHARED mapping made before the fork, so both processes
 * see it at the same address; the SPSC functions. Slots hold one
 * pointer-sized word (values travel as pointers); ck_ring keeps one slot
 * free and has no bulk API, so the sustained case goes one item per call.
 * Round trips: a second ring in the same mapping carries the echo.
 */
#define _GNU_SOURCE /* clock_gettime under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_ring.h>

#include "../harness.h"
#include "../ipc_workload.h"
#include "peers.h"

struct ck_ipc {
	void *shm; /* [ring 0][ring 1]: each a struct ck_ring, then its slots */
	size_t len;
	struct ck_ring *ring[2];
	struct ck_ring_buffer *buf[2];
};

#define CK_HDR 256 /* struct ck_ring, padded (it pads its own lines) */

static int
ck_ipc_supports(const struct ki_spec *s)
{
	return s->kind != KI_MSG;
}

static const char *
ck_ipc_note(const struct ki_spec *s)
{
	if (s->kind == KI_SUSTAINED)
		return "one item per call: ck_ring has no bulk API; ring in a "
		       "MAP_SHARED mapping";
	if (s->kind == KI_RTT)
		return "a ring each way in one MAP_SHARED mapping";
	return "ring in a MAP_SHARED mapping";
}

static void
ck_ipc_close(void *qv)
{
	struct ck_ipc *q = qv;
	kb_shared_free(q->shm, q->len);
	free(q);
}

static void *
ck_ipc_open(const struct ki_spec *s)
{
	_Static_assert(sizeof(struct ck_ring) <= CK_HDR, "CK_HDR too small");
	struct ck_ipc *q = calloc(1, sizeof(*q));
	int nrings = s->kind == KI_RTT ? 2 : 1;
	size_t one = CK_HDR + s->slots * sizeof(struct ck_ring_buffer);
	if (!q)
		return NULL;
	q->len = (size_t)nrings * one;
	q->shm = kb_shared_alloc(q->len);
	if (!q->shm) {
		free(q);
		return NULL;
	}
	for (int i = 0; i < nrings; i++) {
		unsigned char *base = (unsigned char *)q->shm + (size_t)i * one;
		q->ring[i] = (struct ck_ring *)(void *)base;
		q->buf[i] = (struct ck_ring_buffer *)(void *)(base + CK_HDR);
		ck_ring_init(q->ring[i], (unsigned)s->slots);
	}
	return q;
}

/* One value in or out, spinning while the ring is full or empty; values
 * travel as pointers. */
KB_INLINE void
ck_put(struct ck_ring *r, struct ck_ring_buffer *b, uint64_t v)
{
	while (!ck_ring_enqueue_spsc(r, b, (void *)(uintptr_t)v))
		kb_relax();
}

KB_INLINE uint64_t
ck_get(struct ck_ring *r, struct ck_ring_buffer *b)
{
	void *p;
	while (!ck_ring_dequeue_spsc(r, b, &p))
		kb_relax();
	return (uint64_t)(uintptr_t)p;
}

/* Ring 0, and ring 1 for the echo. */
static int
ck_ipc_produce(void *qv, const struct ki_spec *s, uint64_t events,
	       struct ki_out *out, struct ki_rtt *rtt)
{
	struct ck_ipc *q = qv;
	struct kb_gen g = kb_gen_start();
	if (s->kind != KI_RTT) {
		KB_PUT_EACH(g, events, KB_PER_EVENT, 1, uint64_t, v,
			    (ck_put(q->ring[0], q->buf[0], v), 1), KB_NO_FAILURE);
		return 0;
	}
	struct kb_check c = kb_check_start();
	KI_PING(c, events, rtt, back, KB_NO_DECL,
		(ck_put(q->ring[0], q->buf[0], kb_next_value(&g)),
		 back = ck_get(q->ring[1], q->buf[1]), 0));
	out->check = c;
	return 0;
}

static int
ck_ipc_consume(void *qv, const struct ki_spec *s, uint64_t events,
	       struct ki_out *out)
{
	struct ck_ipc *q = qv;
	struct kb_check c = kb_check_start();
	if (s->kind != KI_RTT) /* a loop of its own, as rte_ring's */
		for (; c.count < events; c.count++)
			kb_take_in_order(&c, ck_get(q->ring[0], q->buf[0]));
	else
		KI_ECHO(c, events, v,
			(v = ck_get(q->ring[0], q->buf[0]),
			 ck_put(q->ring[1], q->buf[1], v), 0));
	out->check = c;
	return 0;
}

const struct ki_adapter ki_peer_ck_ring = {
	"ck_ring", NULL, ck_ipc_supports, ck_ipc_note, ck_ipc_open, ck_ipc_close,
	NULL, NULL, ck_ipc_produce, ck_ipc_consume,
};
