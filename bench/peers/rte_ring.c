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

KB_INLINE int
zc_produce_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
	      enum kb_workload wl)
{
	struct kb_gen g = kb_gen_start();
	for (uint64_t left = events; left;) {
		struct rte_ring_zc_data z;
		unsigned n = rte_ring_enqueue_zc_burst_elem_start(
			q->r, 8, (unsigned)(left < batch ? left : batch), &z, NULL);
		if (n == 0) {
			kb_relax();
			continue;
		}
		if (wl == KB_BATCH_SUM) {
			kb_fill_values(&g, z.ptr1, z.n1);
			kb_fill_values(&g, z.ptr2, n - z.n1);
		}
		rte_ring_enqueue_zc_elem_finish(q->r, n);
		left -= n;
	}
	return 0;
}

KB_INLINE int
zc_consume_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
	      enum kb_workload wl, struct kb_check *out)
{
	struct kb_check c = kb_check_start();
	while (c.count < events) {
		struct rte_ring_zc_data z;
		uint64_t want = events - c.count < batch ? events - c.count : batch;
		unsigned n = rte_ring_dequeue_zc_burst_elem_start(
			q->r, 8, (unsigned)want, &z, NULL);
		if (n == 0) {
			kb_relax();
			continue;
		}
		if (wl == KB_BATCH_SUM) {
			kb_take_sum_n(&c, z.ptr1, z.n1);
			kb_take_sum_n(&c, z.ptr2, n - z.n1);
		}
		rte_ring_dequeue_zc_elem_finish(q->r, n);
		c.count += n;
	}
	*out = c;
	return 0;
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

/* Copying burst producer: fill a batch in the buffer, enqueue it (maybe in
 * several bursts when the ring is nearly full). */
KB_INLINE int
copy_produce_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
		enum kb_workload wl, unsigned nwords)
{
	struct kb_gen g = kb_gen_start();
	uint64_t *buf = q->pbuf;
	for (uint64_t left = events; left;) {
		unsigned n = (unsigned)(left < batch ? left : batch);
		if (wl == KB_BATCH_SUM)
			kb_fill_values(&g, buf, n);
		else
			kb_fill_trace(&g, buf, n, nwords);
		for (unsigned done = 0; done < n;) {
			unsigned k = rte_ring_sp_enqueue_burst_elem(
				q->r, buf + (size_t)done * nwords, nwords * 8,
				n - done, NULL);
			if (k == 0)
				kb_relax();
			done += k;
		}
		left -= n;
	}
	return 0;
}

KB_INLINE int
copy_consume_wl(struct rte_queue *q, uint64_t events, uint64_t batch,
		enum kb_workload wl, unsigned nwords, struct kb_check *out)
{
	struct kb_check c = kb_check_start();
	uint64_t *buf = q->cbuf;
	while (c.count < events) {
		uint64_t want = events - c.count < batch ? events - c.count : batch;
		unsigned n = rte_ring_sc_dequeue_burst_elem(q->r, buf, nwords * 8,
							    (unsigned)want, NULL);
		if (n == 0) {
			kb_relax();
			continue;
		}
		if (wl == KB_BATCH_SUM)
			kb_take_sum_n(&c, buf, n);
		else
			kb_take_trace_n(&c, buf, n, nwords);
		c.count += n;
	}
	*out = c;
	return 0;
}

static int
single_produce(struct rte_queue *q, uint64_t events)
{
	struct kb_gen g = kb_gen_start();
	for (uint64_t i = 0; i < events; i++) {
		uint64_t v = kb_next_value(&g);
		while (rte_ring_sp_enqueue_elem(q->r, &v, 8) != 0)
			kb_relax();
	}
	return 0;
}

static int
single_consume(struct rte_queue *q, uint64_t events, struct kb_check *out)
{
	struct kb_check c = kb_check_start();
	for (; c.count < events; c.count++) {
		uint64_t v;
		while (rte_ring_sc_dequeue_elem(q->r, &v, 8) != 0)
			kb_relax();
		kb_take_in_order(&c, v);
	}
	*out = c;
	return 0;
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
