/* SPDX-License-Identifier: MIT */
/*
 * DPDK's rte_ring (libdpdk-dev) between two processes (bench_ipc), without
 * the EAL: rte_ring_init() lays the ring out in an anonymous MAP_SHARED
 * mapping made before the fork (both processes see it at the same address;
 * the ring holds no pointers), single producer and single consumer
 * (RING_F_SP_ENQ | RING_F_SC_DEQ), elements of 8 bytes. rte_ring keeps one
 * slot free. Two adapters:
 *
 *   rte_ring     single-element enqueue/dequeue (8-byte and round-trip
 *                cases, a second ring for the echo); sustained: the burst
 *                API, up to spec.batch per call, copying through a buffer
 *                on each side
 *   rte_ring_zc  sustained only: the zero-copy burst API (rte_ring_peek_zc.h),
 *                values written and read in place (up to two regions at
 *                the wrap), the like-for-like peer of kaos's claim/peek
 */
#define _GNU_SOURCE /* DPDK's headers need POSIX types (ssize_t) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_config.h> /* first, as pkg-config's -include would */
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include "../harness.h"
#include "../ipc_workload.h"
#include "peers.h"

struct rte_ipc {
	void *shm;
	size_t len;
	struct rte_ring *r[2]; /* [1]: the echo of KI_RTT */
	uint64_t *pbuf, *cbuf; /* burst API: the two sides' batches */
};

static void
rte_ipc_close(void *qv)
{
	struct rte_ipc *q = qv;
	kb_shared_free(q->shm, q->len);
	free(q->pbuf);
	free(q->cbuf);
	free(q);
}

static void *
rte_ipc_open(const struct ki_spec *s)
{
	struct rte_ipc *q = calloc(1, sizeof(*q));
	int nrings = s->kind == KI_RTT ? 2 : 1;
	if (!q)
		return NULL;
	ssize_t one = rte_ring_get_memsize_elem(8, (unsigned)s->slots);
	if (one < 0) {
		fprintf(stderr, "bench: rte_ring_get_memsize_elem: %s\n",
			strerror((int)-one));
		free(q);
		return NULL;
	}
	size_t stride = ((size_t)one + 4095) / 4096 * 4096;
	size_t buf = ((size_t)(s->batch ? s->batch : 1) * 8 + 63) / 64 * 64;
	q->len = stride * (size_t)nrings;
	q->shm = kb_shared_alloc(q->len);
	q->pbuf = aligned_alloc(64, buf);
	q->cbuf = aligned_alloc(64, buf);
	if (!q->shm || !q->pbuf || !q->cbuf) {
		rte_ipc_close(q);
		return NULL;
	}
	for (int i = 0; i < nrings; i++) {
		q->r[i] = (struct rte_ring *)(void *)((char *)q->shm + stride * (size_t)i);
		int rc = rte_ring_init(q->r[i], i ? "kaos-bench-ipc-echo" : "kaos-bench-ipc",
				       (unsigned)s->slots, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rc != 0) {
			fprintf(stderr, "bench: rte_ring_init: %s\n", strerror(-rc));
			rte_ipc_close(q);
			return NULL;
		}
	}
	return q;
}

/* ---- rte_ring (copying) ------------------------------------------------------ */

static int
copy_supports(const struct ki_spec *s)
{
	return s->kind != KI_MSG;
}

static const char *
copy_note(const struct ki_spec *s)
{
	if (s->kind == KI_SUSTAINED)
		return "burst API, copies through a batch buffer on each side; "
		       "ring in a MAP_SHARED mapping";
	if (s->kind == KI_RTT)
		return "a ring each way in a MAP_SHARED mapping, single-element "
		       "calls";
	return "single-element enqueue/dequeue; ring in a MAP_SHARED mapping";
}

/* One element in or out, spinning while the ring is full or empty. */
KB_INLINE void
rte_put(struct rte_ring *r, uint64_t v)
{
	while (rte_ring_sp_enqueue_elem(r, &v, 8) != 0)
		kb_relax();
}

KB_INLINE uint64_t
rte_get(struct rte_ring *r)
{
	uint64_t v;
	while (rte_ring_sc_dequeue_elem(r, &v, 8) != 0)
		kb_relax();
	return v;
}

/* Ring 0, and ring 1 for the echo. */
static int
copy_produce(void *qv, const struct ki_spec *s, uint64_t events,
	     struct ki_out *out, struct ki_rtt *rtt)
{
	struct rte_ipc *q = qv;
	struct kb_gen g = kb_gen_start();
	switch (s->kind) {
	case KI_SINGLE:
		KB_PUT_EACH(g, events, KB_PER_EVENT, 1, uint64_t, v,
			    (rte_put(q->r[0], v), 1), KB_NO_FAILURE);
		return 0;
	case KI_SUSTAINED:
		KB_PUT_COPIES(g, events, s->batch, KB_PER_EVENT, 1, q->pbuf,
			      unsigned, done, n, k,
			      rte_ring_sp_enqueue_burst_elem(q->r[0], q->pbuf + done,
							     8, n - done, NULL),
			      KB_NO_FAILURE);
		return 0;
	case KI_RTT: {
		struct kb_check c = kb_check_start();
		KI_PING(c, events, rtt, back, KB_NO_DECL,
			(rte_put(q->r[0], kb_next_value(&g)),
			 back = rte_get(q->r[1]), 0));
		out->check = c;
		return 0;
	}
	case KI_MSG:
		break;
	}
	return -1;
}

static int
copy_consume(void *qv, const struct ki_spec *s, uint64_t events,
	     struct ki_out *out)
{
	struct rte_ipc *q = qv;
	struct kb_check c = kb_check_start();
	switch (s->kind) {
	case KI_SINGLE:
		/* as a loop of its own (a template's, with its value in v,
		 * compiled to other blocks) */
		for (; c.count < events; c.count++)
			kb_take_in_order(&c, rte_get(q->r[0]));
		break;
	case KI_SUSTAINED:
		KB_TAKE_BATCHES(c, events, s->batch, want, n, KB_NO_DECL,
				rte_ring_sc_dequeue_burst_elem(q->r[0], q->cbuf, 8,
							       (unsigned)want, NULL),
				KB_NO_FAILURE, KB_TAKE_IN_ORDER(&c, q->cbuf, n));
		break;
	case KI_RTT:
		KI_ECHO(c, events, v,
			(v = rte_get(q->r[0]), rte_put(q->r[1], v), 0));
		break;
	case KI_MSG:
		return -1;
	}
	out->check = c;
	return 0;
}

const struct ki_adapter ki_peer_rte_ring = {
	"rte_ring", NULL, copy_supports, copy_note, rte_ipc_open, rte_ipc_close,
	NULL, NULL, copy_produce, copy_consume,
};

/* ---- rte_ring_zc -------------------------------------------------------------- */

static int
zc_supports(const struct ki_spec *s)
{
	return s->kind == KI_SUSTAINED;
}

static const char *
zc_note(const struct ki_spec *s)
{
	(void)s;
	return "zero-copy burst API, in place; ring in a MAP_SHARED mapping";
}

/* In place, in up to two regions (at the wrap). */
static int
zc_produce(void *qv, const struct ki_spec *s, uint64_t events,
	   struct ki_out *out, struct ki_rtt *rtt)
{
	struct rte_ipc *q = qv;
	(void)out;
	(void)rtt;
	KB_PRODUCE_BATCH(events, s->batch, g, unsigned, want, n,
			 struct rte_ring_zc_data z,
			 rte_ring_enqueue_zc_burst_elem_start(q->r[0], 8, want, &z,
							      NULL),
			 KB_NO_FAILURE,
			 (KB_FILL_N(&g, KB_PER_EVENT, 1, z.ptr1, z.n1),
			  KB_FILL_N(&g, KB_PER_EVENT, 1, z.ptr2, n - z.n1),
			  rte_ring_enqueue_zc_elem_finish(q->r[0], n)));
}

static int
zc_consume(void *qv, const struct ki_spec *s, uint64_t events,
	   struct ki_out *out)
{
	struct rte_ipc *q = qv;
	struct kb_check c = kb_check_start();
	KB_TAKE_BATCHES(c, events, s->batch, want, n, struct rte_ring_zc_data z,
			rte_ring_dequeue_zc_burst_elem_start(q->r[0], 8, (unsigned)want,
							     &z, NULL),
			KB_NO_FAILURE,
			KB_TAKE_IN_ORDER(&c, (const uint64_t *)z.ptr1, z.n1);
			KB_TAKE_IN_ORDER(&c, (const uint64_t *)z.ptr2, n - z.n1);
			rte_ring_dequeue_zc_elem_finish(q->r[0], n));
	out->check = c;
	return 0;
}

const struct ki_adapter ki_peer_rte_ring_zc = {
	"rte_ring_zc", NULL, zc_supports, zc_note, rte_ipc_open, rte_ipc_close,
	NULL, NULL, zc_produce, zc_consume,
};
