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

#include "../mq_workload.h"
#include "ck_ring_mem.h"
#include "peers.h"

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
	return kb_ck_open(s->capacity, KAOS_MEM_HEAP);
}

/* One shape's calls (a constant at every call site); values travel as
 * pointers (a dequeue that finds the ring empty gives 0). */
KB_INLINE bool
ck_mq_put(struct kb_ck *q, enum kb_mq_shape sh, uint64_t v)
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
ck_mq_get(struct kb_ck *q, enum kb_mq_shape sh, uint64_t *v)
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
ck_mq_produce_sh(struct kb_ck *q, enum kb_mq_shape sh, unsigned id,
		 uint64_t events, struct kb_mq_ctl *ctl)
{
	KB_MQ_PRODUCE_EACH(id, events, ctl, v, ck_mq_put(q, sh, v),
			   KB_NO_FAILURE);
}

KB_INLINE int
ck_mq_consume_sh(struct kb_ck *q, enum kb_mq_shape sh, struct kb_mq_wait w,
		 struct kb_mq_check *out)
{
	KB_MQ_CONSUME_EACH(w, out, v, ck_mq_get(q, sh, &v), KB_NO_FAILURE);
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
	"ck_ring", ck_mq_supports, ck_mq_note, ck_mq_open, kb_ck_close,
	ck_mq_produce, ck_mq_consume,
};
