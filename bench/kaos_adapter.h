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
	struct kaos_queue *q = kb_alloc_lines(KAOS_CACHELINE, sizeof(*q));
	enum kaos_mem mem = s->mapped ? KAOS_MEM_MAPPED : KAOS_MEM_HEAP;
	int rc;

	if (!q)
		return NULL;
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

/* Batches: claim up to a batch, write the slots in place (unless the
 * workload leaves them untouched), publish; peek, read them in place,
 * release. */
KB_INLINE int
kaos_batch_produce(struct kaos_queue *q, uint64_t events, uint64_t batch,
		   enum kb_workload wl, unsigned nwords)
{
	KB_PRODUCE_BATCH(events, batch, g, uint64_t, want, n, void *slots,
			 kaos_claim_n(q, nwords, want, &slots),
			 if (n < 0) return kaos_fail("kaos_spsc_claim", n),
			 (KB_FILL_N(&g, wl, nwords, slots, (uint64_t)n),
			  kaos_spsc_publish(q->ring, (uint64_t)n)));
}

KB_INLINE int
kaos_batch_consume(struct kaos_queue *q, uint64_t events, uint64_t batch,
		   enum kb_workload wl, unsigned nwords, struct kb_check *out)
{
	KB_CONSUME_BATCH(events, batch, out, c, want, n, const void *slots,
			 kaos_peek_n(q, nwords, want, &slots),
			 if (n < 0) return kaos_fail("kaos_spsc_peek", n),
			 (KB_TAKE_N(&c, wl, nwords, slots, (uint64_t)n),
			  kaos_spsc_release(q->ring, (uint64_t)n)));
}

/* Per event: kaos_spsc8_push (or _push_deferred, then one flush at the
 * end; a deferred push that finds the ring full publishes itself). */
KB_INLINE int
kaos_push_produce(struct kaos_queue *q, uint64_t events, bool deferred)
{
	struct kb_gen g = kb_gen_start();
	int rc;
	KB_PUT_EACH(g, events, KB_PER_EVENT, 1, uint64_t, v,
		    (rc = deferred ? kaos_spsc8_push_deferred(&q->q8, &v)
				   : kaos_spsc8_push(&q->q8, &v)) == 0,
		    if (rc != -KAOS_EFULL) return kaos_fail("kaos_spsc8_push", rc));
	if (deferred)
		kaos_spsc8_flush(&q->q8);
	return 0;
}

static int
kaos_pop_consume(struct kaos_queue *q, uint64_t events, struct kb_check *out)
{
	int rc;
	KB_CONSUME_EACH(events, KB_PER_EVENT, uint64_t, v,
			(rc = kaos_spsc8_pop(&q->q8, &v)) == 0,
			if (rc != -KAOS_EEMPTY) return kaos_fail("kaos_spsc8_pop", rc),
			out);
}

static int
kaos_produce(void *qv, const struct kb_spec *s, uint64_t events)
{
	struct kaos_queue *q = qv;
#define KAOS_PRODUCE(wl, nw)                                                    \
	(KB_PER_EVENT_WL(wl)                                                    \
		 ? kaos_push_produce(q, events, wl == KB_PER_EVENT_DEFERRED)    \
		 : kaos_batch_produce(q, events, s->batch, wl, nw))
	KB_BY_WORKLOAD(s, KB_ANY_WORKLOAD, KAOS_PRODUCE);
#undef KAOS_PRODUCE
}

static int
kaos_consume(void *qv, const struct kb_spec *s, uint64_t events,
	     struct kb_check *out)
{
	struct kaos_queue *q = qv;
#define KAOS_CONSUME(wl, nw)                                                    \
	(KB_PER_EVENT_WL(wl) ? kaos_pop_consume(q, events, out)                 \
			     : kaos_batch_consume(q, events, s->batch, wl, nw, out))
	KB_BY_WORKLOAD_CONSUME(s, KB_ANY_WORKLOAD, KAOS_CONSUME);
#undef KAOS_CONSUME
}

KAOS_ADAPTER_LINKAGE const struct kb_adapter KAOS_ADAPTER_VAR = {
	KAOS_ADAPTER_NAME, kaos_supports, kaos_note, kaos_open, kaos_close,
	kaos_produce, kaos_consume,
};

#endif /* KB_KAOS_ADAPTER_H */
