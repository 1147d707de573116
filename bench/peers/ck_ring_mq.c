/* SPDX-License-Identifier: MIT */
/*
 * Concurrency Kit's ck_ring (libck-dev) for bench_patterns: the _mpsc,
 * _spmc and _mpmc functions for the three shapes. Slots hold one pointer
 * (values travel as pointers); it keeps one slot free; it has no bulk API,
 * so the batch cases go one item per call. Its multi-producer enqueue
 * waits, inside the library, for earlier producers to finish theirs (the
 * tail moves in order). The slot memory is allocated like kaos's (heap).
 */
#define _GNU_SOURCE /* sched_yield */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ck_ring.h>
#include <kaos/mem.h>

#include "mq_peers.h"

struct ck_mq {
	struct ck_ring ring; /* CK pads its producer and consumer lines */
	struct ck_ring_buffer *buf;
	struct kaos_region mem;
};

static int
ck_mq_supports(const struct kb_mq_spec *s)
{
	return s->capacity <= ((uint64_t)1 << 31);
}

static const char *
ck_mq_note(const struct kb_mq_spec *s)
{
	static const char *const fns[] = {
		[KB_MQ_MPSC] = "_mpsc",
		[KB_MQ_SPMC] = "_spmc",
		[KB_MQ_MPMC] = "_mpmc",
	};
	static char note[3][2][96];
	snprintf(note[s->shape][s->batch > 1], sizeof(note[0][0]),
		 "ck_ring_enqueue%s/dequeue%s%s", fns[s->shape], fns[s->shape],
		 s->batch > 1 ? "; one item per call: no bulk API" : "");
	return note[s->shape][s->batch > 1];
}

static void *
ck_mq_open(const struct kb_mq_spec *s)
{
	struct ck_mq *q = aligned_alloc(128, (sizeof(*q) + 127) / 128 * 128);
	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	if (kaos_region_alloc(&q->mem, s->capacity * sizeof(*q->buf),
			      KAOS_MEM_HEAP) != 0) {
		free(q);
		return NULL;
	}
	q->buf = q->mem.base;
	ck_ring_init(&q->ring, (unsigned)s->capacity);
	return q;
}

static void
ck_mq_close(void *qv)
{
	struct ck_mq *q = qv;
	kaos_region_free(&q->mem);
	free(q);
}

KB_INLINE bool
ck_mq_put(struct ck_mq *q, enum kb_mq_shape sh, uint64_t v)
{
	void *p = (void *)(uintptr_t)v;
	switch (sh) {
	case KB_MQ_MPSC:
		return ck_ring_enqueue_mpsc(&q->ring, q->buf, p);
	case KB_MQ_SPMC:
		return ck_ring_enqueue_spmc(&q->ring, q->buf, p);
	default:
		return ck_ring_enqueue_mpmc(&q->ring, q->buf, p);
	}
}

KB_INLINE bool
ck_mq_get(struct ck_mq *q, enum kb_mq_shape sh, uint64_t *v)
{
	void *p = NULL;
	bool ok;
	switch (sh) {
	case KB_MQ_MPSC:
		ok = ck_ring_dequeue_mpsc(&q->ring, q->buf, &p);
		break;
	case KB_MQ_SPMC:
		ok = ck_ring_dequeue_spmc(&q->ring, q->buf, &p);
		break;
	default:
		ok = ck_ring_dequeue_mpmc(&q->ring, q->buf, &p);
		break;
	}
	*v = (uintptr_t)p;
	return ok;
}

KB_INLINE int
ck_mq_produce_sh(struct ck_mq *q, enum kb_mq_shape sh, unsigned id,
		 uint64_t events, struct kb_mq_ctl *ctl)
{
	struct kb_mq_gen g = kb_mq_gen_start(id, ctl);
	unsigned fails = 0;
	uint64_t unsent = 0;
	for (uint64_t i = 0; i < events && kb_mq_go(&g); i++) {
		uint64_t v = kb_mq_next(&g);
		while (!ck_mq_put(q, sh, v))
			if (!kb_mq_retry(&g, &fails)) {
				unsent = 1;
				break;
			}
		if (unsent)
			break;
		fails = 0;
	}
	kb_mq_gen_end(&g, unsent);
	return 0;
}

KB_INLINE int
ck_mq_consume_sh(struct ck_mq *q, enum kb_mq_shape sh, struct kb_mq_wait w,
		 struct kb_mq_check *out)
{
	struct kb_mq_check c = kb_mq_check_start();
	for (;;) {
		uint64_t v;
		if (!ck_mq_get(q, sh, &v)) {
			if (kb_mq_empty(&w, c.count))
				break;
			continue;
		}
		w.fails = 0;
		kb_mq_take(&c, v);
		c.count++;
		if (kb_mq_enough(&w, c.count))
			break;
	}
	*out = c;
	return 0;
}

static int
ck_mq_produce(void *q, const struct kb_mq_spec *s, unsigned id, uint64_t events,
	      struct kb_mq_ctl *ctl)
{
	switch (s->shape) {
	case KB_MQ_MPSC:
		return ck_mq_produce_sh(q, KB_MQ_MPSC, id, events, ctl);
	case KB_MQ_SPMC:
		return ck_mq_produce_sh(q, KB_MQ_SPMC, id, events, ctl);
	default:
		return ck_mq_produce_sh(q, KB_MQ_MPMC, id, events, ctl);
	}
}

static int
ck_mq_consume(void *q, const struct kb_mq_spec *s, unsigned id,
	      struct kb_mq_wait w, struct kb_mq_check *out)
{
	(void)id;
	switch (s->shape) {
	case KB_MQ_MPSC:
		return ck_mq_consume_sh(q, KB_MQ_MPSC, w, out);
	case KB_MQ_SPMC:
		return ck_mq_consume_sh(q, KB_MQ_SPMC, w, out);
	default:
		return ck_mq_consume_sh(q, KB_MQ_MPMC, w, out);
	}
}

const struct kb_mq_adapter kb_mq_ck_ring = {
	"ck_ring", ck_mq_supports, ck_mq_note, ck_mq_open, ck_mq_close,
	ck_mq_produce, ck_mq_consume,
};
