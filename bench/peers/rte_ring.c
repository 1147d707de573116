/* SPDX-License-Identifier: MIT */
/*
 * DPDK's rte_ring (libdpdk-dev), used without the EAL: the ring lives in
 * memory allocated here like kaos's (heap or mapped) and is set up with
 * rte_ring_init(), single producer and single consumer (RING_F_SP_ENQ |
 * RING_F_SC_DEQ). rte_ring keeps one slot free. Two adapters:
 *
 *   rte_ring_zc  the zero-copy API (rte_ring_peek_zc.h): reserve up to a
 *                batch in place, which may come as two regions at the wrap;
 *                the fair peer for the in-place batch cases.
 *   rte_ring     the copying burst API (elements of 8/32/64 bytes through a
 *                buffer per side) and single-element enqueue/dequeue.
 */
#define _GNU_SOURCE /* DPDK's headers need POSIX types (ssize_t) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_config.h> /* first, as pkg-config's -include would */
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include <kaos/mem.h>

#include "../workload.h"
#include "peers.h"

struct rte_queue {
	struct rte_ring *r;
	struct kaos_region mem;
	uint64_t *pbuf; /* copying API: the producer's batch */
	uint64_t *cbuf; /* copying API: the consumer's batch */
};

static void
rte_close(void *qv)
{
	struct rte_queue *q = qv;
	kaos_region_free(&q->mem);
	free(q->pbuf);
	free(q->cbuf);
	free(q);
}

static void *
rte_open(const struct kb_spec *s)
{
	struct rte_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	ssize_t size = rte_ring_get_memsize_elem(s->slot_bytes, (unsigned)s->capacity);
	/* aligned_alloc wants a multiple of the alignment */
	size_t buf = ((size_t)s->batch * s->slot_bytes + 63) / 64 * 64;
	if (size < 0 ||
	    kaos_region_alloc(&q->mem, (size_t)size,
			      s->mapped ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP) != 0) {
		free(q);
		return NULL;
	}
	q->r = q->mem.base;
	q->pbuf = aligned_alloc(64, buf);
	q->cbuf = aligned_alloc(64, buf);
	int rc = rte_ring_init(q->r, "kaos-bench", (unsigned)s->capacity,
			       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (rc != 0 || !q->pbuf || !q->cbuf) {
		if (rc != 0)
			fprintf(stderr, "bench: rte_ring_init: %s\n", strerror(-rc));
		rte_close(q);
		return NULL;
	}
	return q;
}

/* ---- rte_ring_zc ---------------------------------------------------------- */

static int
zc_supports(const struct kb_spec *s)
{
	return (s->workload == KB_BATCH_SUM || s->workload == KB_BATCH_UNTOUCHED) &&
	       s->slot_bytes == 8;
}

/* In place, in up to two regions (at the wrap); 8-byte values, summed or
 * untouched (zc_supports). */
KB_INLINE int
zc_produce_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
	      enum kb_workload wl)
{
	KB_PRODUCE_BATCH(events, batch, g, unsigned, want, n,
			 struct rte_ring_zc_data z,
			 rte_ring_enqueue_zc_burst_elem_start(q->r, 8, want, &z, NULL),
			 KB_NO_FAILURE,
			 (KB_FILL_N(&g, wl, 1, z.ptr1, z.n1),
			  KB_FILL_N(&g, wl, 1, z.ptr2, n - z.n1),
			  rte_ring_enqueue_zc_elem_finish(q->r, n)));
}

KB_INLINE int
zc_consume_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
	      enum kb_workload wl, struct kb_check *out)
{
	KB_CONSUME_BATCH(events, batch, out, c, want, n,
			 struct rte_ring_zc_data z,
			 rte_ring_dequeue_zc_burst_elem_start(q->r, 8, (unsigned)want,
							      &z, NULL),
			 KB_NO_FAILURE,
			 (KB_TAKE_N(&c, wl, 1, z.ptr1, z.n1),
			  KB_TAKE_N(&c, wl, 1, z.ptr2, n - z.n1),
			  rte_ring_dequeue_zc_elem_finish(q->r, n)));
}

static int
zc_produce(void *q, const struct kb_spec *s, uint64_t events)
{
	if (s->workload == KB_BATCH_SUM)
		return zc_produce_wl(q, events, s->batch, KB_BATCH_SUM);
	return zc_produce_wl(q, events, s->batch, KB_BATCH_UNTOUCHED);
}

static int
zc_consume(void *q, const struct kb_spec *s, uint64_t events,
	   struct kb_check *out)
{
	if (s->workload == KB_BATCH_SUM)
		return zc_consume_wl(q, events, s->batch, KB_BATCH_SUM, out);
	return zc_consume_wl(q, events, s->batch, KB_BATCH_UNTOUCHED, out);
}

static const char *
zc_note(void *q, const struct kb_spec *s)
{
	(void)q;
	(void)s;
	return "zero-copy burst API, ring memory as kaos's";
}

const struct kb_adapter kb_peer_rte_ring_zc = {
	"rte_ring_zc", zc_supports, zc_note, rte_open, rte_close,
	zc_produce, zc_consume,
};

/* ---- rte_ring (copying) ----------------------------------------------------- */

static int
copy_supports(const struct kb_spec *s)
{
	switch (s->workload) {
	case KB_PER_EVENT:
	case KB_BATCH_SUM:
		return s->slot_bytes == 8;
	case KB_TRACE:
		return 1;
	default:
		return 0;
	}
}

static const char *
copy_note(void *q, const struct kb_spec *s)
{
	(void)q;
	if (s->workload == KB_PER_EVENT)
		return "single-element enqueue/dequeue";
	return "burst API, copies through a batch buffer on each side";
}

/* Copying burst API: a batch filled in the buffer, enqueued (maybe in
 * several bursts when the ring is nearly full); dequeued into the other. */
KB_INLINE int
copy_produce_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
		enum kb_workload wl, unsigned nwords)
{
	uint64_t *buf = q->pbuf;
	KB_PRODUCE_COPY(events, batch, wl, nwords, buf, unsigned, done, n, k,
			rte_ring_sp_enqueue_burst_elem(q->r,
						       buf + (size_t)done * nwords,
						       nwords * 8, n - done, NULL),
			KB_NO_FAILURE);
}

KB_INLINE int
copy_consume_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
		enum kb_workload wl, unsigned nwords, struct kb_check *out)
{
	uint64_t *buf = q->cbuf;
	KB_CONSUME_BATCH(events, batch, out, c, want, n, KB_NO_DECL,
			 rte_ring_sc_dequeue_burst_elem(q->r, buf, nwords * 8,
							(unsigned)want, NULL),
			 KB_NO_FAILURE, KB_TAKE_N(&c, wl, nwords, buf, n));
}

static int
single_produce(struct rte_queue *q, uint64_t events)
{
	KB_PRODUCE_EACH(events, KB_PER_EVENT, 1, uint64_t, v,
			rte_ring_sp_enqueue_elem(q->r, &v, 8) == 0,
			KB_NO_FAILURE);
}

static int
single_consume(struct rte_queue *q, uint64_t events, struct kb_check *out)
{
	KB_CONSUME_EACH(events, KB_PER_EVENT, uint64_t, v,
			rte_ring_sc_dequeue_elem(q->r, &v, 8) == 0, KB_NO_FAILURE,
			out);
}

static int
copy_produce(void *q, const struct kb_spec *s, uint64_t events)
{
	switch (s->workload) {
	case KB_PER_EVENT:
		return single_produce(q, events);
	case KB_BATCH_SUM:
		return copy_produce_wl(q, events, s->batch, KB_BATCH_SUM, 1);
	case KB_TRACE:
		if (s->slot_bytes == 8)
			return copy_produce_wl(q, events, s->batch, KB_TRACE, 1);
		if (s->slot_bytes == 32)
			return copy_produce_wl(q, events, s->batch, KB_TRACE, 4);
		return copy_produce_wl(q, events, s->batch, KB_TRACE, 8);
	default:
		return -1;
	}
}

static int
copy_consume(void *q, const struct kb_spec *s, uint64_t events,
	     struct kb_check *out)
{
	switch (s->workload) {
	case KB_PER_EVENT:
		return single_consume(q, events, out);
	case KB_BATCH_SUM:
		return copy_consume_wl(q, events, s->batch, KB_BATCH_SUM, 1, out);
	case KB_TRACE:
		if (s->slot_bytes == 8)
			return copy_consume_wl(q, events, s->batch, KB_TRACE, 1, out);
		if (s->slot_bytes == 32)
			return copy_consume_wl(q, events, s->batch, KB_TRACE, 4, out);
		return copy_consume_wl(q, events, s->batch, KB_TRACE, 8, out);
	default:
		return -1;
	}
}

const struct kb_adapter kb_peer_rte_ring = {
	"rte_ring", copy_supports, copy_note, rte_open, rte_close,
	copy_produce, copy_consume,
};
