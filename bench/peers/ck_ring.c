/* SPDX-License-Identifier: MIT */
/*
 * Concurrency Kit's ck_ring (libck-dev), SPSC functions. Its slots hold one
 * pointer-sized word (values travel as pointers), it keeps one slot free,
 * and it has no bulk API, so the batch and trace cases go one item per
 * call. The slot memory is allocated like kaos's (heap or mapped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_ring.h>
#include <kaos/mem.h>

#include "peers.h"

struct ck_queue {
	struct ck_ring ring; /* CK pads its producer and consumer lines */
	struct ck_ring_buffer *buf;
	struct kaos_region mem;
};

static int
ck_supports(const struct kb_spec *s)
{
	switch (s->workload) {
	case KB_PER_EVENT:
	case KB_BATCH_SUM:
		return 1;
	case KB_TRACE:
		return s->slot_bytes == 8;
	default:
		return 0;
	}
}

static const char *
ck_note(void *q, const struct kb_spec *s)
{
	(void)q;
	if (s->workload == KB_PER_EVENT)
		return NULL;
	return "one item per call: ck_ring has no bulk API";
}

static void *
ck_open(const struct kb_spec *s)
{
	struct ck_queue *q = aligned_alloc(128, (sizeof(*q) + 127) / 128 * 128);
	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	if (kaos_region_alloc(&q->mem, s->capacity * sizeof(*q->buf),
			      s->mapped ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP) != 0) {
		free(q);
		return NULL;
	}
	q->buf = q->mem.base;
	ck_ring_init(&q->ring, (unsigned)s->capacity);
	return q;
}

static void
ck_close(void *qv)
{
	struct ck_queue *q = qv;
	kaos_region_free(&q->mem);
	free(q);
}

KB_INLINE int
ck_produce_wl(struct ck_queue *q, uint64_t events, enum kb_workload wl)
{
	struct kb_gen g = kb_gen_start();
	for (uint64_t i = 0; i < events; i++) {
		uint64_t v;
		if (wl == KB_TRACE)
			kb_put_trace(&g, &v, 1);
		else
			v = kb_next_value(&g);
		while (!ck_ring_enqueue_spsc(&q->ring, q->buf, (void *)(uintptr_t)v))
			kb_relax();
	}
	return 0;
}

KB_INLINE int
ck_consume_wl(struct ck_queue *q, uint64_t events, enum kb_workload wl,
	      struct kb_check *out)
{
	struct kb_check c = kb_check_start();
	for (; c.count < events; c.count++) {
		void *p;
		while (!ck_ring_dequeue_spsc(&q->ring, q->buf, &p))
			kb_relax();
		uint64_t v = (uintptr_t)p;
		if (wl == KB_BATCH_SUM)
			kb_take_sum(&c, v);
		else if (wl == KB_PER_EVENT)
			kb_take_in_order(&c, v);
		else
			kb_take_trace(&c, v);
	}
	*out = c;
	return 0;
}

static int
ck_produce(void *q, const struct kb_spec *s, uint64_t events)
{
	switch (s->workload) {
	case KB_BATCH_SUM:
		return ck_produce_wl(q, events, KB_BATCH_SUM);
	case KB_PER_EVENT:
		return ck_produce_wl(q, events, KB_PER_EVENT);
	case KB_TRACE:
		return ck_produce_wl(q, events, KB_TRACE);
	default:
		return -1;
	}
}

static int
ck_consume(void *q, const struct kb_spec *s, uint64_t events,
	   struct kb_check *out)
{
	switch (s->workload) {
	case KB_BATCH_SUM:
		return ck_consume_wl(q, events, KB_BATCH_SUM, out);
	case KB_PER_EVENT:
		return ck_consume_wl(q, events, KB_PER_EVENT, out);
	case KB_TRACE:
		return ck_consume_wl(q, events, KB_TRACE, out);
	default:
		return -1;
	}
}

const struct kb_adapter kb_peer_ck_ring = {
	"ck_ring", ck_supports, ck_note, ck_open, ck_close, ck_produce, ck_consume,
};
