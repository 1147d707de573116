/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/spsc.h
 * Single-producer single-consumer ring of fixed-size slots.
 *
 * One thread produces, one thread consumes; both sides are wait-free. The
 * ring's memory holds two shared 64-bit positions (tail: published by the
 * producer; head: released by the consumer) followed by the slots. Positions
 * run free and never wrap in practice, so every slot is usable: the capacity
 * asked for is the capacity you get. Each side keeps a private copy of the
 * other side's position and reads the shared one only when its copy says
 * the ring is full (producer) or empty (consumer).
 *
 * Two APIs over the same ring:
 *  - batch, zero-copy: kaos_spsc_claim() / kaos_spsc_publish() on the
 *    producer side, kaos_spsc_peek() / kaos_spsc_release() or
 *    kaos_spsc_poll() on the consumer side;
 *  - per event, copying: kaos_spsc_push() (or kaos_spsc_push_deferred()
 *    plus kaos_spsc_flush()) and kaos_spsc_pop();
 *  - in bulk, copying: kaos_spsc_write(), which streams large copies past
 *    the producer's cache.
 *
 * Ordering contract: everything the producer wrote into a slot before
 * publishing it is visible to the consumer that peeks or pops it, and the
 * producer does not reuse a slot until the consumer has released it (every
 * release/acquire below names its partner).
 *
 * For a compile-time slot size and type checking, use KAOS_SPSC_DEFINE()
 * or the ready-made kaos_spsc8/16/32/64 rings at the end of this file.
 */
#ifndef KAOS_SPSC_H
#define KAOS_SPSC_H

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

#define KAOS_SPSC_MIN_CAPACITY ((uint64_t)2)
#define KAOS_SPSC_MAX_CAPACITY ((uint64_t)1 << 32)

/** kaos_spsc_push_deferred() publishes at least once every this many slots. */
#define KAOS_SPSC_PUBLISH_EVERY 64


/**
 * A ring handle. Transparent so the hot path inlines (its fields are in
 * kaos/detail/spsc.h, included at the end); treat every field as private.
 */
struct kaos_spsc;

/**
 * Handler for kaos_spsc_poll(): @p slot is the event in place, @p seq its
 * sequence, @p end_of_batch true for the last event of this poll. Return 0 to
 * continue, non-zero to stop after this event.
 */
typedef int (*kaos_spsc_handler_fn)(void *slot, uint64_t seq, bool end_of_batch,
				    void *ctx);

/* ---- control plane (src/ring/spsc.c) ---------------------------------- */

/**
 * Bytes of memory a ring needs (shared positions + slots).
 * @param capacity slots: a power of two in [2, 2^32]
 * @param slot_size bytes per slot: a non-zero multiple of 8
 * @param[out] size the byte count, a multiple of KAOS_CACHELINE
 * @return 0; -EINVAL for a bad capacity or slot size; -EOVERFLOW if the
 *         size does not fit in size_t.
 */
KAOS_API int kaos_spsc_memsize(uint64_t capacity, size_t slot_size, size_t *size);

/**
 * Lay a ring out in caller-supplied memory (heap, stack, shared memory).
 * The memory must stay valid until the ring is no longer used; the ring does
 * not free it. Positions start at 0.
 * @param mem aligned to KAOS_CACHELINE
 * @param len at least kaos_spsc_memsize()
 * @return 0; -EINVAL (bad argument or misaligned mem); -EOVERFLOW;
 *         -ENOBUFS if len is too small.
 * Not thread-safe: call before sharing the ring.
 */
KAOS_API int kaos_spsc_init(struct kaos_spsc *ring, void *mem, size_t len,
			    uint64_t capacity, size_t slot_size);

/**
 * Make a handle for a ring already laid out in @p mem by kaos_spsc_init()
 * (possibly by another process), without touching it: the producer side
 * continues at the shared tail, the consumer side at the shared head. Used
 * for rings in shared memory.
 * @return as kaos_spsc_init(). Any thread.
 */
KAOS_API int kaos_spsc_attach(struct kaos_spsc *ring, void *mem, size_t len,
			      uint64_t capacity, size_t slot_size);

/**
 * Allocate memory for a ring (see kaos_region_alloc()) and init it.
 * kaos_spsc_pages() then tells which pages were obtained.
 * @return 0; the errors of kaos_spsc_memsize(); -ENOMEM.
 */
KAOS_API int kaos_spsc_create(struct kaos_spsc *ring, uint64_t capacity,
			      size_t slot_size, enum kaos_mem mem);

/** Free the memory of a ring made by kaos_spsc_create(); for a ring on
 * caller memory only clears the handle. Call when neither side uses it. */
KAOS_API void kaos_spsc_destroy(struct kaos_spsc *ring);

/**
 * Make publish and release wake threads blocked with KAOS_WAIT_BLOCK (the
 * *_wait functions below). Costs a full fence per publish and per release;
 * a system call only when a thread is blocked. Call before sharing the ring
 * (and, for a ring in shared memory, on every process's handle).
 */
KAOS_INLINE void kaos_spsc_set_blocking(struct kaos_spsc *ring, bool on);

/**
 * As kaos_spsc_claim(), but wait per @p how until at least one slot is free.
 * @return slots claimed; -ETIMEDOUT; -KAOS_ETOOBIG; -EINVAL (n == 0, a bad
 *         strategy, or KAOS_WAIT_BLOCK on a ring without blocking enabled).
 * Producer thread only.
 */
KAOS_API int64_t kaos_spsc_claim_wait(struct kaos_spsc *ring, uint64_t n,
				      void **slots, const struct kaos_wait *how);

/** As kaos_spsc_peek(), waiting per @p how for at least one slot.
 * Returns as kaos_spsc_claim_wait(). Consumer thread only. */
KAOS_API int64_t kaos_spsc_peek_wait(struct kaos_spsc *ring, uint64_t n,
				     const void **slots, const struct kaos_wait *how);

/** As kaos_spsc_push(), waiting per @p how for space. 0, -ETIMEDOUT or
 * -EINVAL. Producer thread only. */
KAOS_API int kaos_spsc_push_wait(struct kaos_spsc *ring, const void *src,
				 const struct kaos_wait *how);

/** As kaos_spsc_pop(), waiting per @p how for an event. 0, -ETIMEDOUT or
 * -EINVAL. Consumer thread only. */
KAOS_API int kaos_spsc_pop_wait(struct kaos_spsc *ring, void *dst,
				const struct kaos_wait *how);

/* ---- queries ------------------------------------------------------------ */

/** Slots in the ring (usable, all of them). Any thread. */
KAOS_INLINE uint64_t kaos_spsc_capacity(const struct kaos_spsc *ring);

/** Bytes per slot. Any thread. */
KAOS_INLINE size_t kaos_spsc_slot_size(const struct kaos_spsc *ring);

/** Which pages back the ring (after kaos_spsc_create()). Any thread. */
KAOS_INLINE enum kaos_pages kaos_spsc_pages(const struct kaos_spsc *ring);

/**
 * Published but not yet released slots: a snapshot that may be stale by
 * the time it returns. Any thread; for monitoring.
 */
KAOS_INLINE uint64_t kaos_spsc_size(const struct kaos_spsc *ring);

/** The ring's counters (see struct kaos_ring_stats). Any thread. */
KAOS_API void kaos_spsc_stats(const struct kaos_spsc *ring, struct kaos_ring_stats *out);

/* ---- producer ----------------------------------------------------------- */

/**
 * Claim up to @p n contiguous free slots for writing in place.
 * The claim stops at the end of the slot array; claim again after publishing
 * to continue from the start. A new claim replaces an unpublished one.
 * @param[out] slots the first claimed slot
 * @return slots claimed (1..n); 0 if the ring is full; -KAOS_ETOOBIG if
 *         n > capacity (can never succeed); -EINVAL if n == 0.
 * Producer thread only. Wait-free.
 */
KAOS_INLINE int64_t kaos_spsc_claim(struct kaos_spsc *ring, uint64_t n, void **slots);

/**
 * Publish the first @p n slots of the current claim (n may be less than
 * claimed; the rest stay claimed). Also publishes slots written by
 * kaos_spsc_push_deferred().
 * @return 0; -EINVAL if n exceeds the unpublished claim.
 * Producer thread only. Wait-free. Release: the slots' contents are visible
 * to the consumer once it sees them.
 */
KAOS_INLINE int kaos_spsc_publish(struct kaos_spsc *ring, uint64_t n);

/**
 * Copy one slot's worth of bytes from @p src into the ring and publish it.
 * @return 0; -KAOS_EFULL if the ring is full.
 * Producer thread only. Wait-free. Release, as kaos_spsc_publish().
 */
KAOS_INLINE int kaos_spsc_push(struct kaos_spsc *ring, const void *src);

/**
 * Like kaos_spsc_push(), but publish only every KAOS_SPSC_PUBLISH_EVERY
 * slots, which keeps the producer off the shared cache line on most pushes.
 * Slots pushed since the last publication stay invisible to the consumer
 * until kaos_spsc_flush(), kaos_spsc_publish(), a non-deferred push, or a
 * push that finds the ring full. Call kaos_spsc_flush() whenever the
 * producer may go idle.
 * @return 0; -KAOS_EFULL if the ring is full (pending slots are published).
 * Producer thread only. Wait-free.
 */
KAOS_INLINE int kaos_spsc_push_deferred(struct kaos_spsc *ring, const void *src);

/**
 * Publish every slot written so far (after kaos_spsc_push_deferred()).
 * Producer thread only. Wait-free. Release, as kaos_spsc_publish().
 */
KAOS_INLINE void kaos_spsc_flush(struct kaos_spsc *ring);

/** kaos_spsc_write() copies with non-temporal stores from this many bytes. */
#define KAOS_SPSC_STREAM_MIN 4096

/**
 * Copy up to @p n slots from @p src into the ring (across its wrap) and
 * publish them: as many as there is room for.
 *
 * A copy of KAOS_SPSC_STREAM_MIN bytes or more is written with
 * non-temporal stores on x86-64 (plain stores elsewhere): whole lines go
 * to memory without first being fetched from the consumer's cache, which
 * still holds them from its last lap when the ring is no larger than its
 * cache. The consumer then reads them from memory. That is a gain for
 * streams of bulk data and a loss for latency; docs/spsc.md has the
 * measurements. Smaller copies use plain stores.
 * @return slots written (1..n); 0 if the ring is full; -EINVAL if n == 0.
 * Producer thread only. Wait-free. Release, as kaos_spsc_publish(); an
 * unpublished claim is void afterwards.
 */
KAOS_API int64_t kaos_spsc_write(struct kaos_spsc *ring, const void *src, uint64_t n);

/* ---- consumer ----------------------------------------------------------- */

/**
 * Look at up to @p n contiguous published slots in place. The view stops at
 * the end of the slot array; peek again after releasing to continue.
 * @param[out] slots the first slot
 * @return slots available (1..n); 0 if empty; -KAOS_ETOOBIG if
 *         n > capacity; -EINVAL if n == 0.
 * Consumer thread only. Wait-free. Acquire: the slots are fully written.
 */
KAOS_INLINE int64_t kaos_spsc_peek(struct kaos_spsc *ring, uint64_t n, const void **slots);

/**
 * Hand the first @p n peeked slots back to the producer. Do not touch them
 * afterwards.
 * @return 0; -EINVAL if n exceeds what the last peek returned and is not yet
 *         released.
 * Consumer thread only. Wait-free. Release: reads of the slots happen before
 * the producer reuses them.
 */
KAOS_INLINE int kaos_spsc_release(struct kaos_spsc *ring, uint64_t n);

/**
 * Copy the oldest published slot into @p dst and release it.
 * @return 0; -KAOS_EEMPTY if nothing is published.
 * Consumer thread only. Wait-free. Acquire/release as peek + release.
 */
KAOS_INLINE int kaos_spsc_pop(struct kaos_spsc *ring, void *dst);

/**
 * Disruptor-style batch handler: call @p fn for each published event, up to
 * @p limit, in order, with its sequence and an end-of-batch flag, then
 * release them all. Stops early (after that event) if @p fn returns
 * non-zero. The events are released only after the handler has returned.
 * @return events handled (0 if none were published).
 * Consumer thread only. Do not call between peek and release.
 */
KAOS_INLINE uint64_t kaos_spsc_poll(struct kaos_spsc *ring, kaos_spsc_handler_fn fn, void *ctx,
	       uint64_t limit);

/* ---- typed rings -------------------------------------------------------- */

/**
 * Define `struct name`, a ring of `type` slots, with the functions
 * name_create/_init/_destroy/_claim/_publish/_push/_push_deferred/_flush/
 * _peek/_release/_pop/_capacity/_ring. They behave as their kaos_spsc_
 * counterparts, with `type *` instead of `void *` and sizeof(type) as a
 * compile-time slot size (so copies inline). sizeof(type) must be a
 * multiple of 8.
 */
#define KAOS_SPSC_DEFINE(name, type) KAOS__SPSC_TYPED(name, type)

/** Fixed slot types of 16, 32 and 64 bytes (8 bytes is a uint64_t). */
struct kaos_slot16 {
	alignas(16) uint64_t w[2];
};
struct kaos_slot32 {
	alignas(32) uint64_t w[4];
};
struct kaos_slot64 {
	alignas(64) uint64_t w[8];
};


#ifdef __cplusplus
}
#endif

/* The handles, and the inline functions declared above. */
#include <kaos/detail/spsc.h>

#ifdef __cplusplus
extern "C" {
#endif

KAOS_SPSC_DEFINE(kaos_spsc8, uint64_t);
KAOS_SPSC_DEFINE(kaos_spsc16, struct kaos_slot16);
KAOS_SPSC_DEFINE(kaos_spsc32, struct kaos_slot32);
KAOS_SPSC_DEFINE(kaos_spsc64, struct kaos_slot64);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_SPSC_H */
