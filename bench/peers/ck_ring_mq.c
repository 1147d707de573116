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

/* One shape's functions in the shared loops; values travel as pointers. */
#define CK_MQ_SHAPE(sh)                                                         \
	static int ck_mq_produce_##sh(void *qv, const struct kb_mq_spec *s,     \
				      unsigned id, uint64_t events,             \
				      struct kb_mq_ctl *ctl)                    \
	{                                                                       \
		struct kb_ck *q = qv;                                           \
		(void)s;                                                        \
		KB_MQ_PRODUCE_EACH(id, events, ctl, v,                          \
				   ck_ring_enqueue_##sh(&q->ring, q->buf,       \
							(void *)(uintptr_t)v)); \
	}                                                                       \
	static int ck_mq_consume_##sh(void *qv, const struct kb_mq_spec *s,     \
				      unsigned id, struct kb_mq_wait w,         \
				      struct kb_mq_check *out)                  \
	{                                                                       \
		struct kb_ck *q = qv;                                           \
		void *p = NULL;                                                 \
		(void)s;                                                        \
		(void)id;                                                       \
		KB_MQ_CONSUME_EACH(w, out, v,                                   \
				   ck_ring_dequeue_##sh(&q->ring, q->buf, &p) && \
					   (v = (uintptr_t)p, 1));              \
	}
CK_MQ_SHAPE(mpsc)
CK_MQ_SHAPE(spmc)
CK_MQ_SHAPE(mpmc)
KB_MQ_BY_SHAPE(ck_mq)

const struct kb_mq_adapter kb_mq_ck_ring = {
	"ck_ring", ck_mq_supports, ck_mq_note, ck_mq_open, kb_ck_close,
	ck_mq_produce, ck_mq_consume,
};
