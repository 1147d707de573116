/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/u64ring.h
 * Single-producer single-consumer ring of 64-bit values, sent and received
 * one at a time, where each value costs one shared cache line.
 *
 * The ring's memory is a control block followed by 64-byte lines of seven
 * values and a sequence word. The producer writes a value, then stores in
 * its line's sequence word the position after it (release); the consumer
 * reads the sequence word of the line it is on (acquire) and takes the
 * values below it. There is no shared tail: a push and a pop touch the
 * one line that holds the value, where kaos_spsc touches the slot's line
 * and the tail's line. With one value per call that halves the lines that
 * move between the two cores, which is what bounds such a ring (see
 * docs/rings.md, "u64ring"). The price is space: 7 values per 64 bytes.
 * For values in batches, kaos_spsc (claim/publish, peek/release) moves
 * fewer lines per value and is the faster ring.
 *
 * Positions run free from 0. A line's sequence word holds the position
 * after the last value published in it, so a word left from an earlier
 * lap is never above the consumer's position and reads as "not yet".
 * The ring has one line more than its capacity needs: a full ring then
 * still leaves the line the consumer is reading alone, because the
 * producer's next lap of that line lies beyond head + capacity. (Without
 * it a producer could start the line's next lap, overwriting its sequence
 * word, while the consumer still had values of this lap to read there.)
 * The consumer's released position (head) sits in the control block, on a
 * line only it writes; the producer reads it when its cached limit says
 * the ring is full. The producer also stores its position there (tail)
 * every KAOS_U64RING_TAIL_LINES lines, on a line only it writes: a hint
 * for monitoring and for a producer that re-attaches, which scans forward
 * from it to the exact position.
 *
 * Ordering contract: a value is visible to the consumer that pops it, and
 * the producer does not overwrite a value until the consumer has released
 * it (every release/acquire below names its partner).
 */
#ifndef KAOS_U64RING_H
#define KAOS_U64RING_H

#include <stdbool.h>
#include <stdint.h>

#include <kaos/common.h>
#include <kaos/error.h>
#include <kaos/mem.h>
#include <kaos/ring.h>
#include <kaos/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Values per 64-byte line; a capacity is a multiple of it. */
#define KAOS_U64RING_PER_LINE 7
/** Largest capacity: 2^32 lines' worth (one line more is allocated). */
#define KAOS_U64RING_MAX_CAPACITY ((uint64_t)KAOS_U64RING_PER_LINE << 32)
/** Lines in a ring of @p capacity values: one more than they fill. */
#define KAOS_U64RING_LINES(capacity) ((capacity) / KAOS_U64RING_PER_LINE + 1)
/** The producer stores its position in the control block (the tail hint)
 * each time it completes this many lines. */
#define KAOS_U64RING_TAIL_LINES 8

/* Lines, handle, and the bodies of the inline functions below. */

/**
 * A ring handle. Transparent so the hot path inlines (its fields are in
 * kaos/detail/u64ring.h, included at the end); treat every field as
 * private.
 */
struct kaos_u64ring;

/** Handler for kaos_u64ring_poll(): one value and its position. Return 0
 * to continue, non-zero to stop after this value. */
typedef int (*kaos_u64ring_handler_fn)(uint64_t value, uint64_t seq, void *ctx);

/* ---- control plane (src/ring/u64ring.c) ------------------------------- */

/**
 * Bytes of memory a ring of @p capacity values needs.
 * @param capacity a multiple of KAOS_U64RING_PER_LINE, in
 *        [KAOS_U64RING_PER_LINE, KAOS_U64RING_MAX_CAPACITY]
 * @return 0; -EINVAL for another capacity; -EOVERFLOW if it does not fit
 *         in size_t.
 */
KAOS_API int kaos_u64ring_memsize(uint64_t capacity, size_t *size);

/**
 * Lay a ring out in caller memory (aligned to KAOS_CACHELINE, at least
 * kaos_u64ring_memsize() bytes), empty, positions at 0.
 * @return 0; -EINVAL; -EOVERFLOW; -ENOBUFS if @p len is too small.
 * Not thread-safe: call before sharing the ring.
 */
KAOS_API int kaos_u64ring_init(struct kaos_u64ring *ring, void *mem, size_t len,
			       uint64_t capacity);

/**
 * Make a handle for a ring laid out by kaos_u64ring_init() (perhaps by
 * another process), to continue it: the consumer side at the shared head,
 * the producer side after the last value published, found from the tail
 * hint and the lines' sequence words. A producer that died after writing a
 * value but before publishing it left nothing: that position is reused.
 * @return as kaos_u64ring_init(); -KAOS_ECORRUPT if the shared positions
 *         are inconsistent (head past the values published, or a sequence
 *         word out of its line's range).
 * Any thread; call while neither side of the ring is active.
 */
KAOS_API int kaos_u64ring_attach(struct kaos_u64ring *ring, void *mem, size_t len,
				 uint64_t capacity);

/** Allocate memory for a ring (kaos_region_alloc()) and init it.
 * @return 0; the errors of kaos_u64ring_memsize(); -ENOMEM. */
KAOS_API int kaos_u64ring_create(struct kaos_u64ring *ring, uint64_t capacity,
				 enum kaos_mem mem);

/** Free a ring made by kaos_u64ring_create(); for caller memory only
 * clears the handle. */
KAOS_API void kaos_u64ring_destroy(struct kaos_u64ring *ring);

/** Make push and pop wake threads blocked with KAOS_WAIT_BLOCK: a full
 * fence per call, a system call only when a thread sleeps. Set it on every
 * handle of the ring before use. */
KAOS_INLINE void kaos_u64ring_set_blocking(struct kaos_u64ring *ring, bool on);

/** As kaos_u64ring_push(), waiting per @p how for space.
 * @return 0; -ETIMEDOUT; -EINVAL (a bad strategy, or KAOS_WAIT_BLOCK
 *         without blocking enabled). Producer thread only. */
KAOS_API int kaos_u64ring_push_wait(struct kaos_u64ring *ring, uint64_t value,
				    const struct kaos_wait *how);

/** As kaos_u64ring_pop(), waiting per @p how for a value. Returns as
 * kaos_u64ring_push_wait(). Consumer thread only. */
KAOS_API int kaos_u64ring_pop_wait(struct kaos_u64ring *ring, uint64_t *value,
				   const struct kaos_wait *how);

/**
 * Values published and not yet popped: a snapshot for monitoring, exact
 * when neither side moves. Any thread.
 */
KAOS_API uint64_t kaos_u64ring_size(const struct kaos_u64ring *ring);

/** The ring's counters; published is the producer's exact position, found
 * as kaos_u64ring_attach() finds it. Any thread. */
KAOS_API void kaos_u64ring_stats(const struct kaos_u64ring *ring,
				 struct kaos_ring_stats *out);

/** Values the ring holds. Any thread. */
KAOS_INLINE uint64_t kaos_u64ring_capacity(const struct kaos_u64ring *ring);

/**
 * Hand up to @p limit published values to @p fn, in order, then release
 * them all: a consumer that dies inside @p fn leaves them to its successor
 * (kaos_u64ring_pop() releases a value before returning it). Stops after a
 * value for which @p fn returns non-zero.
 * @return values handled (0: none published); -KAOS_ECORRUPT if the
 *         shared head is not where this consumer left it.
 * Consumer thread only.
 */
KAOS_API int64_t kaos_u64ring_poll(struct kaos_u64ring *ring, kaos_u64ring_handler_fn fn,
				   void *ctx, uint64_t limit);

/* ---- producer ----------------------------------------------------------- */

/**
 * Publish one value.
 * @return 0; -KAOS_EFULL if the ring is full; -KAOS_ECORRUPT if a shared
 *         word the producer reads (its line's sequence word, or head) holds
 *         what it cannot have: another process wrote into the ring.
 * Producer thread only. Wait-free.
 */
KAOS_INLINE int kaos_u64ring_push(struct kaos_u64ring *ring, uint64_t value);

/* ---- consumer ----------------------------------------------------------- */

/**
 * Take the oldest published value and release its place.
 * @return 0; -KAOS_EEMPTY if nothing is published; -KAOS_ECORRUPT if the
 *         shared head is not where this consumer left it.
 * Consumer thread only. Wait-free.
 */
KAOS_INLINE int kaos_u64ring_pop(struct kaos_u64ring *ring, uint64_t *value);

#ifdef __cplusplus
}
#endif

/* The handles, and the inline functions declared above. */
#include <kaos/detail/u64ring.h>

#endif /* KAOS_U64RING_H */
