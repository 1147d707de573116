/* SPDX-License-Identifier: MIT */
/*
 * A ck_ring (libck-dev) with its slot array in memory allocated like
 * kaos's (heap or mapped), for bench_core's and bench_patterns' adapters.
 * Slots hold one pointer-sized word (values travel as pointers).
 */
#ifndef KAOS_BENCH_CK_RING_MEM_H
#define KAOS_BENCH_CK_RING_MEM_H

#include <stdlib.h>

#include <ck_ring.h>
#include <kaos/mem.h>

#include "../harness.h"

struct kb_ck {
	struct ck_ring ring; /* CK pads its producer and consumer lines */
	struct ck_ring_buffer *buf;
	struct kaos_region mem;
};

static inline struct kb_ck *
kb_ck_open(uint64_t slots, enum kaos_mem mem)
{
	struct kb_ck *q = kb_alloc_lines(128, sizeof(*q));
	if (!q)
		return NULL;
	if (kaos_region_alloc(&q->mem, slots * sizeof(*q->buf), mem) != 0) {
		free(q);
		return NULL;
	}
	q->buf = q->mem.base;
	ck_ring_init(&q->ring, (unsigned)slots);
	return q;
}

static inline void
kb_ck_close(void *qv)
{
	struct kb_ck *q = qv;
	kaos_region_free(&q->mem);
	free(q);
}

#endif /* KAOS_BENCH_CK_RING_MEM_H */
