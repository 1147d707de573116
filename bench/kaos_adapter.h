/* SPDX-License-Identifier: MIT */
/*
 * The kaos side of bench_core (an SPSC ring, batch and per-event paths).
 * Included by bench_core.c as "kaos", and by peers/kaos_nocounters.c,
 * built with -DKAOS_COUNTERS=0, as the "kaos_nocounters" peer: the same
 * code without the ring counters, so their cost is a ratio in the run.
 */
#ifndef KB_KAOS_ADAPTER_H
#define KB_KAOS_ADAPTER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/kaos.h>

#include "bench_kaos.h"
#include "harness.h"
#include "workload.h"

#ifndef KAOS_ADAPTER_NAME
#define KAOS_ADAPTER_NAME "kaos"
#define KAOS_ADAPTER_VAR kaos_adapter
#define KAOS_ADAPTER_LINKAGE static
#endif

/* ---- kaos adapter ------------------------------------------------------- */

struct kaos_queue {
	struct kaos_spsc8 q8; /* the one matching the slot size is created */
	struct kaos_spsc32 q32;
	struct kaos_spsc64 q64;
	struct kaos_spsc *ring;
	char note[96];
};

static int
kaos_supports(const struct kb_spec *s)
{
	return s->slot_bytes == 8 || s->slot_bytes == 32 || s->slot_bytes == 64;
}

static void *
kaos_open(const struct kb_spec *s)
{
	size_t size = (sizeof(struct kaos_queue) + KAOS_CACHELINE - 1) /
		      KAOS_CACHELINE * KAOS_CACHELINE;
	struct kaos_queue *q = aligned_alloc(KAOS_CACHELINE, size);
	enum kaos_mem mem = s->mapped ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP;
	int rc;

	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	if (s->slot_bytes == 8) {
		rc = kaos_spsc8_create(&q->q8, s->capacity, mem);
		q->ring = kaos_spsc8_ring(&q->q8);
	} else if (s->slot_bytes == 32) {
		rc = kaos_spsc32_create(&q->q32, s->capacity, mem);
		q->ring = kaos_spsc32_ring(&q->q32);
	} else {
		rc = kaos_spsc64_create(&q->q64, s->capacity, mem);
		q->ring = kaos_spsc64_ring(&q->q64);
	}
	if (rc != 0) {
		kaos_fail("kaos_spsc_create", rc);
		free(q);
		return NULL;
	}
	return q;
}

static void
kaos_close(void *qv)
{
	struct kaos_queue *q = qv;
	kaos_spsc_destroy(q->ring);
	free(q);
}

static const char *
kaos_note(void *qv, const struct kb_spec *s)
{
	struct kaos_queue *q = qv;
	if (!s->mapped)
		return NULL;
	snprintf(q->note, sizeof(q->note), "ring memory: %s",
		 kaos_pages_name(kaos_spsc_pages(q->ring)));
	return q->note;
}

/* The typed claim/peek for a slot of @p nwords words (a constant at every
 * call site, so this folds to one call). */
KB_INLINE int64_t
kaos_claim_n(struct kaos_queue *q, unsigned nwords, uint64_t n, void **slots)
{
	int64_t got;
	if (nwords == 1) {
		uint64_t *s = NULL;
		got = kaos_spsc8_claim(&q->q8, n, &s);
		*slots = s;
	} else if (nwords == 4) {
		struct kaos_slot32 *s = NULL;
		got = kaos_spsc32_claim(&q->q32, n, &s);
		*slots = s;
	} else {
		struct kaos_slot64 *s = NULL;
		got = kaos_spsc64_claim(&q->q64, n, &s);
		*slots = s;
	}
	return got;
}

KB_INLINE int64_t
kaos_peek_n(struct kaos_queue *q, unsigned nwords, uint64_t n,
	    const void **slots)
{
	int64_t got;
	if (nwords == 1) {
		const uint64_t *s = NULL;
		got = kaos_spsc8_peek(&q->q8, n, &s);
		*slots = s;
	} else if (nwords == 4) {
		const struct kaos_slot32 *s = NULL;
		got = kaos_spsc32_peek(&q->q32, n, &s);
		*slots = s;
	} else {
		const struct kaos_slot64 *s = NULL;
		got = kaos_spsc64_peek(&q->q64, n, &s);
		*slots = s;
	}
	return got;
}

/* Batch producer: claim up to a batch, write the slots in place (unless
 * the workload leaves them untouched), publish. */
KB_INLINE int
kaos_batch_produce(struct kaos_queue *q, uint64_t events, uint64_t batch,
		   enum kb_workload wl, unsigned nwords)
{
	struct kb_gen g = kb_gen_start();
	for (uint64_t left = events; left;) {
		void *slots;
		int64_t n = kaos_claim_n(q, nwords, left < batch ? left : batch,
					 &slots);
		if (n <= 0) {
			if (n < 0)
				return kaos_fail("kaos_spsc_claim", n);
			kb_relax();
			continue;
		}
		if (wl == KB_BATCH_SUM)
			kb_fill_values(&g, slots, (uint64_t)n);
		else if (wl == KB_TRACE)
			kb_fill_trace(&g, slots, (uint64_t)n, nwords);
		kaos_spsc_publish(q->ring, (uint64_t)n);
		left -= (uint64_t)n;
	}
	return 0;
}

/* Batch consumer: peek up to a batch, read every slot in place (unless
 * untouched), release. */
KB_INLINE int
kaos_batch_consume(struct kaos_queue *q, uint64_t events, uint64_t batch,
		   enum kb_workload wl, unsigned nwords, struct kb_check *out)
{
	struct kb_check c = kb_check_start();
	while (c.count < events) {
		const void *slots;
		uint64_t want = events - c.count < batch ? events - c.count : batch;
		int64_t n = kaos_peek_n(q, nwords, want, &slots);
		if (n <= 0) {
			if (n < 0)
				return kaos_fail("kaos_spsc_peek", n);
			kb_relax();
			continue;
		}
		if (wl == KB_BATCH_SUM)
			kb_take_sum_n(&c, slots, (uint64_t)n);
		else if (wl == KB_TRACE)
			kb_take_trace_n(&c, slots, (uint64_t)n, nwords);
		kaos_spsc_release(q->ring, (uint64_t)n);
		c.count += (uint64_t)n;
	}
	*out = c;
	return 0;
}

/* Per-event producer: kaos_spsc8_push (or _push_deferred, then one flush
 * at the end; a deferred push that finds the ring full publishes itself). */
KB_INLINE int
kaos_push_produce(struct kaos_queue *q, uint64_t events, bool deferred)
{
	struct kb_gen g = kb_gen_start();
	for (uint64_t i = 0; i < events; i++) {
		uint64_t v = kb_next_value(&g);
		int rc;
		while ((rc = deferred ? kaos_spsc8_push_deferred(&q->q8, &v)
				      : kaos_spsc8_push(&q->q8, &v)) != 0) {
			if (rc != -KAOS_EFULL)
				return kaos_fail("kaos_spsc8_push", rc);
			kb_relax();
		}
	}
	if (deferred)
		kaos_spsc8_flush(&q->q8);
	return 0;
}

static int
kaos_pop_consume(struct kaos_queue *q, uint64_t events, struct kb_check *out)
{
	struct kb_check c = kb_check_start();
	for (; c.count < events; c.count++) {
		uint64_t v;
		int rc;
		while ((rc = kaos_spsc8_pop(&q->q8, &v)) != 0) {
			if (rc != -KAOS_EEMPTY)
				return kaos_fail("kaos_spsc8_pop", rc);
			kb_relax();
		}
		kb_take_in_order(&c, v);
	}
	*out = c;
	return 0;
}

static int
kaos_produce(void *qv, const struct kb_spec *s, uint64_t events)
{
	struct kaos_queue *q = qv;
	switch (s->workload) {
	case KB_BATCH_SUM:
		return kaos_batch_produce(q, events, s->batch, KB_BATCH_SUM, 1);
	case KB_BATCH_UNTOUCHED:
		return kaos_batch_produce(q, events, s->batch, KB_BATCH_UNTOUCHED, 1);
	case KB_PER_EVENT:
		return kaos_push_produce(q, events, false);
	case KB_PER_EVENT_DEFERRED:
		return kaos_push_produce(q, events, true);
	case KB_TRACE:
		if (s->slot_bytes == 8)
			return kaos_batch_produce(q, events, s->batch, KB_TRACE, 1);
		if (s->slot_bytes == 32)
			return kaos_batch_produce(q, events, s->batch, KB_TRACE, 4);
		return kaos_batch_produce(q, events, s->batch, KB_TRACE, 8);
	}
	return -1;
}

static int
kaos_consume(void *qv, const struct kb_spec *s, uint64_t events,
	     struct kb_check *out)
{
	struct kaos_queue *q = qv;
	switch (s->workload) {
	case KB_BATCH_SUM:
		return kaos_batch_consume(q, events, s->batch, KB_BATCH_SUM, 1, out);
	case KB_BATCH_UNTOUCHED:
		return kaos_batch_consume(q, events, s->batch, KB_BATCH_UNTOUCHED,
					  1, out);
	case KB_PER_EVENT:
	case KB_PER_EVENT_DEFERRED:
		return kaos_pop_consume(q, events, out);
	case KB_TRACE:
		if (s->slot_bytes == 8)
			return kaos_batch_consume(q, events, s->batch, KB_TRACE, 1, out);
		if (s->slot_bytes == 32)
			return kaos_batch_consume(q, events, s->batch, KB_TRACE, 4, out);
		return kaos_batch_consume(q, events, s->batch, KB_TRACE, 8, out);
	}
	return -1;
}

KAOS_ADAPTER_LINKAGE const struct kb_adapter KAOS_ADAPTER_VAR = {
	KAOS_ADAPTER_NAME, kaos_supports, kaos_note, kaos_open, kaos_close,
	kaos_produce, kaos_consume,
};

#endif /* KB_KAOS_ADAPTER_H */
