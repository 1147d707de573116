/* SPDX-License-Identifier: MIT */
/*
 * Every peer library measured next to kaos, by program, each behind its
 * program's adapter type (declared here incomplete: a user includes the
 * workload header that defines it). An adapter exists only when its
 * library was found at configure time (KB_HAVE_*, set by
 * bench/CMakeLists.txt).
 */
#ifndef KAOS_BENCH_PEERS_H
#define KAOS_BENCH_PEERS_H

#ifdef __cplusplus
extern "C" {
#endif

/* bench_core: the SPSC ring (bench/workload.h) */
struct kb_adapter;
extern const struct kb_adapter kb_peer_kaos_nocounters; /* peers/kaos_nocounters.c */
extern const struct kb_adapter kb_peer_ck_ring;     /* peers/ck_ring.c */
extern const struct kb_adapter kb_peer_rwq;         /* peers/rwq.cpp */
extern const struct kb_adapter kb_peer_boost_spsc;  /* peers/boost_spsc.cpp */
extern const struct kb_adapter kb_peer_rte_ring;    /* peers/rte_ring.c */
extern const struct kb_adapter kb_peer_rte_ring_zc; /* peers/rte_ring.c */

/* bench_patterns: MPSC, SPMC and MPMC (bench/mq_workload.h) */
struct kb_mq_adapter;
extern const struct kb_mq_adapter kb_mq_moodycamel;   /* peers/moodycamel_mq.cpp */
extern const struct kb_mq_adapter kb_mq_boost_queue;  /* peers/boost_queue.cpp */
extern const struct kb_mq_adapter kb_mq_ck_ring;      /* peers/ck_ring_mq.c */
extern const struct kb_mq_adapter kb_mq_rte_ring;     /* peers/rte_ring_mq.c */
extern const struct kb_mq_adapter kb_mq_rte_ring_rts; /* peers/rte_ring_mq.c */
extern const struct kb_mq_adapter kb_mq_rte_ring_hts; /* peers/rte_ring_mq.c */

/* bench_ipc: between processes (bench/ipc_workload.h) */
struct ki_adapter;
extern const struct ki_adapter ki_peer_kaos_nocounters; /* peers/ipc_kaos_nocounters.c */
extern const struct ki_adapter ki_peer_ck_ring;  /* peers/ipc_ck_ring.c */
extern const struct ki_adapter ki_peer_rte_ring; /* peers/ipc_rte_ring.c */
extern const struct ki_adapter ki_peer_rte_ring_zc;
extern const struct ki_adapter ki_peer_pipe;     /* peers/ipc_os.c */
extern const struct ki_adapter ki_peer_pipe_batch;
extern const struct ki_adapter ki_peer_socketpair;
extern const struct ki_adapter ki_peer_socketpair_batch;
extern const struct ki_adapter ki_peer_mq;
extern const struct ki_adapter ki_peer_iceoryx;  /* peers/ipc_iceoryx.c */

#ifdef __cplusplus
}
#endif

#endif /* KAOS_BENCH_PEERS_H */
