/* SPDX-License-Identifier: MIT */
/*
 * Peer libraries measured next to kaos's MPSC, SPMC and MPMC rings in
 * bench_patterns, each behind a struct kb_mq_adapter (bench/mq_workload.h).
 * An adapter exists only when its library was found at configure time
 * (KB_HAVE_*, set by bench/CMakeLists.txt).
 */
#ifndef KAOS_BENCH_MQ_PEERS_H
#define KAOS_BENCH_MQ_PEERS_H

#include "../mq_workload.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct kb_mq_adapter kb_mq_moodycamel;   /* peers/moodycamel_mq.cpp */
extern const struct kb_mq_adapter kb_mq_boost_queue;  /* peers/boost_queue.cpp */
extern const struct kb_mq_adapter kb_mq_ck_ring;      /* peers/ck_ring_mq.c */
extern const struct kb_mq_adapter kb_mq_rte_ring;     /* peers/rte_ring_mq.c */
extern const struct kb_mq_adapter kb_mq_rte_ring_rts; /* peers/rte_ring_mq.c */
extern const struct kb_mq_adapter kb_mq_rte_ring_hts; /* peers/rte_ring_mq.c */

#ifdef __cplusplus
}
#endif

#endif /* KAOS_BENCH_MQ_PEERS_H */
