/* SPDX-License-Identifier: MIT */
/*
 * DPDK's rte_ring (libdpdk-dev) for bench_patterns, used without the EAL as
 * in peers/rte_ring.c: the ring lives in heap memory allocated here and is
 * set up with rte_ring_init(). Three adapters by synchronisation mode:
 *
 *   rte_ring      the default: multi-producer / multi-consumer sides move
 *                 their head with a CAS and then wait, spinning inside the
 *                 library, for earlier threads of the same side to move the
 *                 tail (in order). Single sides where the shape has one
 *                 thread (RING_F_SP_ENQ, RING_F_SC_DEQ).
 *   rte_ring_rts  "relaxed tail sync" (RING_F_MP_RTS_ENQ, RING_F_MC_RTS_DEQ):
 *                 the last thread of a side to finish moves the tail.
 *   rte_ring_hts  "head/tail sync" (RING_F_MP_HTS_ENQ, RING_F_MC_HTS_DEQ):
 *                 one operation of a side at a time.
 *
 * Batch cases use the burst API (copies through a buffer on the stack of
 * each thread), per-event cases rte_ring_enqueue_elem/dequeue_elem; both
 * dispatch on the mode set at init. rte_ring keeps one slot free.
 */
#define _GNU_SOURCE /* DPDK's headers need POSIX types; sched_yield */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_config.h> /* first, as pkg-config's -include would */
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <kaos/mem.h>

#include "../mq_workload.h"
#include "peers.h"

enum rte_mq_mode { RTE_MQ_DEFAULT, RTE_MQ_RTS, RTE_MQ_HTS };

struct rte_mq {
	struct rte_ring *r;
	struct kaos_region mem;
};

static unsigned
rte_mq_flags(const struct kb_mq_spec *s, enum rte_mq_mode mode)
{
	unsigned f = 0;
	if (s->shape == KB_MQ_SPMC)
		f |= RING_F_SP_ENQ;
	else if (mode == RTE_MQ_RTS)
		f |= RING_F_MP_RTS_ENQ;
	else if (mode == RTE_MQ_HTS)
		f |= RING_F_MP_HTS_ENQ;
	if (s->shape == KB_MQ_MPSC)
		f |= RING_F_SC_DEQ;
	else if (mode == RTE_MQ_RTS)
		f |= RING_F_MC_RTS_DEQ;
	else if (mode == RTE_MQ_HTS)
		f |= RING_F_MC_HTS_DEQ;
	return f;
}

static void
rte_mq_close(void *qv)
{
	struct rte_mq *q = qv;
	kaos_region_free(&q->mem);
	free(q);
}

static void *
rte_mq_open_mode(const struct kb_mq_spec *s, enum rte_mq_mode mode)
{
	struct rte_mq *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	ssize_t size = rte_ring_get_memsize_elem(8, (unsigned)s->capacity);
	if (size < 0 || kaos_region_alloc(&q->mem, (size_t)size, KAOS_MEM_HEAP) != 0) {
		free(q);
		return NULL;
	}
	q->r = q->mem.base;
	int rc = rte_ring_init(q->r, "kaos-bench-mq", (unsigned)s->capacity,
			       rte_mq_flags(s, mode));
	if (rc != 0) {
		fprintf(stderr, "bench: rte_ring_init: %s\n", strerror(-rc));
		rte_mq_close(q);
		return NULL;
	}
	return q;
}

static const char *
rte_mq_note_text(const struct kb_mq_spec *s, enum rte_mq_mode mode)
{
	static const char *const shape[] = {
		[KB_MQ_MPSC] = "MP/SC",
		[KB_MQ_SPMC] = "SP/MC",
		[KB_MQ_MPMC] = "MP/MC",
	};
	static const char *const mode_name[] = {
		[RTE_MQ_DEFAULT] = "default",
		[RTE_MQ_RTS] = "RTS",
		[RTE_MQ_HTS] = "HTS",
	};
	static char note[3][3][2][96];
	char *buf = note[s->shape][mode][s->batch > 1];
	snprintf(buf, sizeof(note[0][0][0]), "%s, %s mode; %s", shape[s->shape],
		 mode_name[mode], s->batch > 1 ? "burst API, copies through a buffer"
					       : "enqueue_elem/dequeue_elem");
	return buf;
}

/* Batch producer: fill a batch on the stack, enqueue it (maybe in several
 * bursts when the ring is nearly full). */
static int
rte_mq_produce(void *qv, const struct kb_mq_spec *s, unsigned id, uint64_t events,
	       struct kb_mq_ctl *ctl)
{
	struct rte_mq *q = qv;
	struct kb_mq_gen g = kb_mq_gen_start(id, ctl);
	unsigned fails = 0;
	uint64_t unsent = 0;
	if (s->batch <= 1) {
		KB_MQ_PUT_EACH(g, fails, unsent, events, v,
			       rte_ring_enqueue_elem(q->r, &v, 8) == 0,
			       KB_NO_FAILURE);
		kb_mq_gen_end(&g, unsent);
		return 0;
	}
	uint64_t buf[KB_MQ_BATCH];
	uint64_t batch = s->batch < KB_MQ_BATCH ? s->batch : KB_MQ_BATCH;
	for (uint64_t left = events; left && kb_mq_go(&g);) {
		unsigned n = (unsigned)(left < batch ? left : batch);
		kb_mq_fill(&g, buf, n);
		for (unsigned done = 0; done < n;) {
			unsigned k = rte_ring_enqueue_burst_elem(q->r, buf + done, 8,
								 n - done, NULL);
			if (k == 0) {
				if (!kb_mq_retry(&g, &fails)) {
					unsent = n - done;
					break;
				}
				continue;
			}
			fails = 0;
			done += k;
		}
		if (unsent)
			break;
		left -= n;
	}
	kb_mq_gen_end(&g, unsent);
	return 0;
}

static int
rte_mq_consume(void *qv, const struct kb_mq_spec *s, unsigned id,
	       struct kb_mq_wait w, struct kb_mq_check *out)
{
	struct rte_mq *q = qv;
	struct kb_mq_check c = kb_mq_check_start();
	(void)id;
	if (s->batch <= 1) {
		KB_MQ_TAKE_EACH(w, c, v, rte_ring_dequeue_elem(q->r, &v, 8) == 0,
				KB_NO_FAILURE);
		*out = c;
		return 0;
	}
	uint64_t buf[KB_MQ_BATCH];
	unsigned batch = s->batch < KB_MQ_BATCH ? s->batch : KB_MQ_BATCH;
	KB_MQ_TAKE_BATCHES(w, c, n, KB_NO_DECL,
			   rte_ring_dequeue_burst_elem(q->r, buf, 8, batch, NULL),
			   KB_NO_FAILURE, kb_mq_take_n(&c, buf, n));
	*out = c;
	return 0;
}

/* One adapter per mode. RTS and HTS change only multi-threaded sides;
 * SPMC is left to the default mode (the brief's SP/MC peer). */
#define RTE_MQ_ADAPTER(var, name, mode, shapes)                                 \
	static int var##_supports(const struct kb_mq_spec *s)                   \
	{                                                                       \
		return s->capacity <= RTE_RING_SZ_MASK && (shapes);             \
	}                                                                       \
	static const char *var##_note(const struct kb_mq_spec *s)               \
	{                                                                       \
		return rte_mq_note_text(s, mode);                               \
	}                                                                       \
	static void *var##_open(const struct kb_mq_spec *s)                     \
	{                                                                       \
		return rte_mq_open_mode(s, mode);                               \
	}                                                                       \
	const struct kb_mq_adapter var = {                                      \
		name, var##_supports, var##_note, var##_open, rte_mq_close,     \
		rte_mq_produce, rte_mq_consume,                                 \
	}

RTE_MQ_ADAPTER(kb_mq_rte_ring, "rte_ring", RTE_MQ_DEFAULT, 1);
RTE_MQ_ADAPTER(kb_mq_rte_ring_rts, "rte_ring_rts", RTE_MQ_RTS,
	       s->shape != KB_MQ_SPMC);
RTE_MQ_ADAPTER(kb_mq_rte_ring_hts, "rte_ring_hts", RTE_MQ_HTS,
	       s->shape == KB_MQ_MPMC);
