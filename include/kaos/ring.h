/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/ring.h
 * What every ring kind shares (spsc.h, u64ring.h, mpsc.h, spmc.h, mpmc.h,
 * broadcast.h, msgring.h): the statistics snapshot their *_stats()
 * functions fill. The ring headers include it; users need not.
 *
 * Every ring's memory starts with the same control block (its shared
 * positions, the futex waitpoints its blocked threads sleep on, and the
 * full counter; kaos/detail/ring.h), so a ring in shared memory can be
 * watched by a process that only knows its kind and size.
 */
#ifndef KAOS_RING_H
#define KAOS_RING_H

#include <stdint.h>

#include <kaos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What a ring or channel has done so far: a snapshot from its shared
 * memory, readable by any thread or process (the *_stats() functions).
 * Positions are exact; full, waits and wakes count slow-path events.
 */
struct kaos_ring_stats {
	uint64_t published; /**< events (msgring: bytes) published or claimed */
	uint64_t consumed;  /**< events (msgring: bytes) the slowest consumer took */
	uint64_t full;      /**< claims and pushes refused because the ring was full */
	uint64_t waits;     /**< *_wait calls, either side, that had to wait */
	uint64_t wakes;     /**< wake system calls made for blocked threads */
};

#ifdef __cplusplus
}
#endif

#endif /* KAOS_RING_H */
