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
 * untouched (zc_supports), the only ones zc_produce/zc_consume build. */
#define ZC_WORKLOADS(wl, nw)                                                    \
	((nw) == 1 && ((wl) == KB_BATCH_SUM || (wl) == KB_BATCH_UNTOUCHED))

KB_INLINE int
zc_produce_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
	      enum kb_workload wl)
{
	struct rte_ring_zc_data z;
	KB_PRODUCE_BATCH(events, batch, g, want, n,
			 rte_ring_enqueue_zc_burst_elem_start(q->r, 8, (unsigned)want,
							      &z, NULL),
			 (kb_fill_n(&g, wl, 1, z.ptr1, z.n1),
			  kb_fill_n(&g, wl, 1, z.ptr2, (uint64_t)n - z.n1),
			  rte_ring_enqueue_zc_elem_finish(q->r, (unsigned)n)));
}

KB_INLINE int
zc_consume_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
	      enum kb_workload wl, struct kb_check *out)
{
	struct rte_ring_zc_data z;
	KB_CONSUME_BATCH(events, batch, out, c, want, n,
			 rte_ring_dequeue_zc_burst_elem_start(q->r, 8, (unsigned)want,
							      &z, NULL),
			 (kb_take_n(&c, wl, 1, z.ptr1, z.n1),
			  kb_take_n(&c, wl, 1, z.ptr2, (uint64_t)n - z.n1),
			  rte_ring_dequeue_zc_elem_finish(q->r, (unsigned)n)));
}

static int
zc_produce(void *q, const struct kb_spec *s, uint64_t events)
{
#define ZC_PRODUCE(wl, nw) zc_produce_wl(q, events, s->batch, wl)
	KB_BY_WORKLOAD(s, ZC_WORKLOADS, ZC_PRODUCE);
#undef ZC_PRODUCE
}

static int
zc_consume(void *q, const struct kb_spec *s, uint64_t events,
	   struct kb_check *out)
{
#define ZC_CONSUME(wl, nw) zc_consume_wl(q, events, s->batch, wl, out)
	KB_BY_WORKLOAD(s, ZC_WORKLOADS, ZC_CONSUME);
#undef ZC_CONSUME
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

/* What copy_produce and copy_consume build (copy_supports): values one at
 * a time in order, values summed in batches, trace records of any size. */
#define COPY_WORKLOADS(wl, nw)                                                  \
	((wl) == KB_TRACE || ((nw) == 1 && ((wl) == KB_PER_EVENT ||             \
					    (wl) == KB_BATCH_SUM)))

/* Copying burst API: a batch filled in the buffer, enqueued (maybe in
 * several bursts when the ring is nearly full); dequeued into the other. */
KB_INLINE int
copy_produce_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
		enum kb_workload wl, unsigned nwords)
{
	uint64_t *buf = q->pbuf;
	KB_PRODUCE_COPY(events, batch, wl, nwords, buf, done, n,
			rte_ring_sp_enqueue_burst_elem(q->r, buf + done * nwords,
						       nwords * 8,
						       (unsigned)(n - done), NULL));
}

KB_INLINE int
copy_consume_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
		enum kb_workload wl, unsigned nwords, struct kb_check *out)
{
	uint64_t *buf = q->cbuf;
	KB_CONSUME_BATCH(events, batch, out, c, want, n,
			 rte_ring_sc_dequeue_burst_elem(q->r, buf, nwords * 8,
							(unsigned)want, NULL),
			 kb_take_n(&c, wl, nwords, buf, (uint64_t)n));
}

static int
single_produce(struct rte_queue *q, uint64_t events)
{
	KB_PRODUCE_EACH(events, KB_PER_EVENT, 1, uint64_t, v,
			rte_ring_sp_enqueue_elem(q->r, &v, 8) == 0);
}

static int
single_consume(struct rte_queue *q, uint64_t events, struct kb_check *out)
{
	KB_CONSUME_EACH(events, KB_PER_EVENT, uint64_t, v,
			rte_ring_sc_dequeue_elem(q->r, &v, 8) == 0, out);
}

static int
copy_produce(void *q, const struct kb_spec *s, uint64_t events)
{
#define COPY_PRODUCE(wl, nw)                                                    \
	(kb_per_event(wl) ? single_produce(q, events)                           \
			  : copy_produce_wl(q, events, s->batch, wl, nw))
	KB_BY_WORKLOAD(s, COPY_WORKLOADS, COPY_PRODUCE);
#undef COPY_PRODUCE
}

static int
copy_consume(void *q, const struct kb_spec *s, uint64_t events,
	     struct kb_check *out)
{
#define COPY_CONSUME(wl, nw)                                                    \
	(kb_per_event(wl) ? single_consume(q, events, out)                      \
			  : copy_consume_wl(q, events, s->batch, wl, nw, out))
	KB_BY_WORKLOAD(s, COPY_WORKLOADS, COPY_CONSUME);
#undef COPY_CONSUME
}

const struct kb_adapter kb_peer_rte_ring = {
	"rte_ring", copy_supports, copy_note, rte_open, rte_close,
	copy_produce, copy_consume,
};
