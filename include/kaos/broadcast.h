/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/broadcast.h
 * Broadcast (fan-out) ring: one producer, every consumer sees every event.
 *
 * Consumers join and leave while the ring runs. A consumer that joins
 * starts at the current head (the next event to be published) and gates the
 * producer from that moment, before it has read anything, so it is never
 * lapped (the original's W4). The producer waits for the slowest joined
 * consumer; with no consumer joined it never waits and nothing is kept.
 *
 * Pipelines (Disruptor sequence barriers): a consumer joined with
 * kaos_bcast_join_after() sees only events that all of its dependencies
 * have released, so stage B works on what stage A finished, including
 * anything A wrote into the slot. Chains and diamonds (A -> B, A -> C,
 * B + C -> D) are built this way.
 *
 * Layout: the control block (kaos/detail/ring.h: the producer's published
 * position, tail; the waitpoint both sides sleep on), then one two-line
 * entry per possible consumer holding its position (or FREE), then the
 * slots. Each consumer keeps a private handle with its cached view.
 *
 * Ordering:
 *   P1 producer publish: store-release tail      -> C1
 *   C1 consumer refresh: load-acquire tail (and dependencies' entries, D1)
 *   C2 consumer release: store-release its entry  -> P2, D1
 *   P2 producer refresh: load-acquire every entry
 *   J1 / G1 join and producer refresh: seq_cst fences (see kaos_bcast_join)
 */
#ifndef KAOS_BROADCAST_H
#define KAOS_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/common.h>
#include <kaos/error.h>
#include <kaos/mem.h>
#include <kaos/ring.h>
#include <kaos/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KAOS_BCAST_MAX_CONSUMERS 1024
#define KAOS_BCAST_MAX_DEPS 8
/** Entry value of a consumer slot nobody has joined. */
#define KAOS_BCAST_FREE UINT64_MAX


/**
 * The ring and its producer's handle; a consumer's private handle (one
 * thread at a time). Both transparent so the hot path inlines (their
 * fields are in kaos/detail/broadcast.h, included at the end); treat
 * every field as private.
 */
struct kaos_bcast;
struct kaos_bcast_consumer;

/** Handler for kaos_bcast_poll(); as kaos_spsc_handler_fn. */
typedef int (*kaos_bcast_handler_fn)(void *slot, uint64_t seq, bool end_of_batch,
				     void *ctx);

/* ---- control plane (src/ring/broadcast.c) ----------------------------- */

/**
 * Bytes a ring needs. capacity: a power of two in [2, 2^32]; slot_size: a
 * non-zero multiple of 8; max_consumers: 1..KAOS_BCAST_MAX_CONSUMERS.
 * @return 0; -EINVAL; -EOVERFLOW.
 */
KAOS_API int kaos_bcast_memsize(uint64_t capacity, size_t slot_size,
				uint32_t max_consumers, size_t *size);

/** Lay a ring out in caller memory (KAOS_CACHELINE aligned). No consumer
 * is joined. @return 0; -EINVAL; -EOVERFLOW; -ENOBUFS. Not thread-safe. */
KAOS_API int kaos_bcast_init(struct kaos_bcast *ring, void *mem, size_t len,
			     uint64_t capacity, size_t slot_size,
			     uint32_t max_consumers);

/** Make a producer handle for a ring already laid out in @p mem by
 * kaos_bcast_init() (possibly by another process), without touching it: it
 * continues at the shared tail. Consumers join it as usual.
 * @return as kaos_bcast_init(). Any thread. */
KAOS_API int kaos_bcast_attach(struct kaos_bcast *ring, void *mem, size_t len,
			       uint64_t capacity, size_t slot_size,
			       uint32_t max_consumers);

/** Allocate (kaos_region_alloc) and init. @return as init, or -ENOMEM. */
KAOS_API int kaos_bcast_create(struct kaos_bcast *ring, uint64_t capacity,
			       size_t slot_size, uint32_t max_consumers,
			       enum kaos_mem mem);

/** Free a ring from kaos_bcast_create(). No thread may use it any more. */
KAOS_API void kaos_bcast_destroy(struct kaos_bcast *ring);

/** Make publish and release wake threads blocked with KAOS_WAIT_BLOCK (a
 * fence per call). Set before sharing the ring, on every handle that
 * publishes or releases: a handle without it never wakes anybody. */
KAOS_INLINE void kaos_bcast_set_blocking(struct kaos_bcast *ring, bool on);

/**
 * Join as a consumer starting at the current head (@p c must not be joined
 * already): every event published
 * from now on is delivered to @p c, and the producer will not overwrite one
 * before @p c has released it.
 * @return 0; -EBUSY if max_consumers are already joined; -EINVAL.
 * Any thread, concurrently with the producer and other consumers.
 * Lock-free.
 */
KAOS_API int kaos_bcast_join(struct kaos_bcast *ring, struct kaos_bcast_consumer *c);

/**
 * Join as a consumer gated on @p deps (pipeline stage): @p c sees an event
 * only after every dependency has released it, and starts where the slowest
 * dependency is. Dependencies must stay joined while @p c is.
 * @return 0; -EBUSY; -EINVAL (ndeps 0 or above KAOS_BCAST_MAX_DEPS, a
 *         dependency not joined to this ring).
 * Any thread. Joining behind dependencies that are already reading relies
 * on the producer's two-pass scan (see kaos__bcast_refresh_limit) and on
 * stores becoming visible to all other threads at once, which x86-64 and
 * ARMv8 guarantee; join whole pipelines before publishing to avoid relying
 * on it. A dependency that leaves stops gating @p c.
 */
KAOS_API int kaos_bcast_join_after(struct kaos_bcast *ring,
				   struct kaos_bcast_consumer *c,
				   struct kaos_bcast_consumer *const *deps,
				   uint32_t ndeps);

/** Leave: the producer stops waiting for @p c. The consumer's thread only;
 * consumers gated on @p c must leave first. */
KAOS_API void kaos_bcast_leave(struct kaos_bcast_consumer *c);

/** As claim / push, waiting per @p how (-ETIMEDOUT; -EINVAL for
 * KAOS_WAIT_BLOCK without blocking enabled). Producer thread only. */
KAOS_API int64_t kaos_bcast_claim_wait(struct kaos_bcast *ring, uint64_t n,
				       void **slots, const struct kaos_wait *how);
KAOS_API int kaos_bcast_push_wait(struct kaos_bcast *ring, const void *src,
				  const struct kaos_wait *how);
/** As peek / pop, waiting per @p how. Consumer thread only. */
KAOS_API int64_t kaos_bcast_peek_wait(struct kaos_bcast_consumer *c, uint64_t n,
				      void **slots, const struct kaos_wait *how);
KAOS_API int kaos_bcast_pop_wait(struct kaos_bcast_consumer *c, void *dst,
				 const struct kaos_wait *how);

/** The ring's counters; consumed is the slowest joined consumer's position
 * (published when none is joined). Any thread. */
KAOS_API void kaos_bcast_stats(const struct kaos_bcast *ring, struct kaos_ring_stats *out);

/* ---- producer ----------------------------------------------------------- */

/**
 * Claim up to @p n contiguous slots (stops at the end of the array).
 * @return count; 0 if the slowest consumer is a whole ring behind;
 *         -KAOS_ETOOBIG if n > capacity; -EINVAL if n == 0.
 * Producer thread only. Wait-free except for the refresh, which reads every
 * consumer entry.
 */
KAOS_INLINE int64_t kaos_bcast_claim(struct kaos_bcast *ring, uint64_t n, void **slots);

/**
 * Publish the first @p n claimed slots. @return 0; -EINVAL if more than
 * claimed. Producer thread only. Release (P1): consumers that see the new
 * tail see the slots' contents.
 */
KAOS_INLINE int kaos_bcast_publish(struct kaos_bcast *ring, uint64_t n);

/** Copy one slot in and publish it. 0 or -KAOS_EFULL. Producer only. */
KAOS_INLINE int kaos_bcast_push(struct kaos_bcast *ring, const void *src);

/* ---- consumer ----------------------------------------------------------- */

/**
 * Look at up to @p n contiguous events in place (stops at the end of the
 * array). A consumer may write into the slots only if no other consumer
 * reads them at the same time (e.g. the first stage of a pipeline).
 * @return count; 0 if nothing new; -KAOS_ETOOBIG; -EINVAL (n == 0).
 * The consumer's thread only. Acquire (C1, D1).
 */
KAOS_INLINE int64_t kaos_bcast_peek(struct kaos_bcast_consumer *c, uint64_t n, void **slots);

/**
 * Release the first @p n peeked events. @return 0; -EINVAL if more than
 * peeked. Release (C2): pairs with the producer's P2 and with D1 of the
 * consumers gated on this one.
 */
KAOS_INLINE int kaos_bcast_release(struct kaos_bcast_consumer *c, uint64_t n);

/** Copy the next event out and release it. 0 or -KAOS_EEMPTY. */
KAOS_INLINE int kaos_bcast_pop(struct kaos_bcast_consumer *c, void *dst);

/**
 * Call @p fn for each available event (up to @p limit), in order, with its
 * sequence and an end-of-batch flag; release them after the handler
 * returns. Stops after an event for which @p fn returns non-zero.
 * @return events handled. The consumer's thread only.
 */
KAOS_INLINE uint64_t kaos_bcast_poll(struct kaos_bcast_consumer *c, kaos_bcast_handler_fn fn, void *ctx,
		uint64_t limit);

#ifdef __cplusplus
}
#endif

/* The handles, and the inline functions declared above. */
#include <kaos/detail/broadcast.h>

#endif /* KAOS_BROADCAST_H */
