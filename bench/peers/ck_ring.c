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

#include "../workload.h"
#include "ck_ring_mem.h"
#include "peers.h"

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
	return kb_ck_open(s->capacity, s->mapped ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP);
}

/* Values travel as pointers; one word per slot (ck_supports). */
KB_INLINE int
ck_produce_wl(struct kb_ck *q, uint64_t events, enum kb_workload wl)
{
	KB_PRODUCE_EACH(events, wl, 1, uint64_t, v,
			ck_ring_enqueue_spsc(&q->ring, q->buf, (void *)(uintptr_t)v),
			KB_NO_FAILURE);
}

/* The next value, spinning while the ring is empty. */
KB_INLINE uint64_t
ck_get(struct kb_ck *q)
{
	void *p;
	while (!ck_ring_dequeue_spsc(&q->ring, q->buf, &p))
		kb_relax();
	return (uintptr_t)p;
}

KB_INLINE int
ck_consume_wl(struct kb_ck *q, uint64_t events, enum kb_workload wl,
	      struct kb_check *out)
{
	KB_CONSUME_EACH(events, wl, uint64_t, v, (v = ck_get(q), 1), KB_NO_FAILURE,
			out);
}

/* The workloads ck_supports() accepts. */
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
	"ck_ring", ck_supports, ck_note, ck_open, kb_ck_close, ck_produce, ck_consume,
};
