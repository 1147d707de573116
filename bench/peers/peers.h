/* SPDX-License-Identifier: MIT */
/*
 * Peer libraries measured next to kaos, each behind a struct kb_adapter
 * (bench/workload.h). An adapter exists only when its library was found at
 * configure time (KB_HAVE_*, set by bench/CMakeLists.txt).
 */
#ifndef KAOS_BENCH_PEERS_H
#define KAOS_BENCH_PEERS_H

#include "../workload.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const struct kb_adapter kb_peer_kaos_nocounters; /* peers/kaos_nocounters.c */
extern const struct kb_adapter kb_peer_ck_ring;     /* peers/ck_ring.c */
extern const struct kb_adapter kb_peer_rwq;         /* peers/rwq.cpp */
extern const struct kb_adapter kb_peer_boost_spsc;  /* peers/boost_spsc.cpp */
extern const struct kb_adapter kb_peer_rte_ring;    /* peers/rte_ring.c */
extern const struct kb_adapter kb_peer_rte_ring_zc; /* peers/rte_ring.c */

#ifdef __cplusplus
}
#endif

#endif /* KAOS_BENCH_PEERS_H */
