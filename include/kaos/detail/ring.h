/* SPDX-License-Identifier: MIT */
/*
 * @internal What the inline code of every ring kind shares: the control
 * block at the start of each ring's memory, and small helpers. Not for
 * users; include a ring header instead.
 */
#ifndef KAOS_DETAIL_RING_H
#define KAOS_DETAIL_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/common.h>
#include <kaos/error.h>
#include <kaos/ring.h>
#include <kaos/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The control block, at the start of every ring's memory. The producer
 * side's words and the consumer side's words each open a line, with a
 * guard line after it so neither side's stores (nor the adjacent-line
 * prefetcher) disturb the other's line. What tail and head mean is the
 * kind's: a published or claimed position on the producer side, a
 * released or taken one on the consumer side (each kind's header says).
 * Words a kind does not use stay zero.
 */
struct kaos__ring_ctl {
	KAOS_CACHE_ALIGNED _Atomic uint64_t tail; /* producer side */
	_Atomic uint64_t tail_limit; /* MPSC: producers' shared cached limit */
	char guard0[2 * KAOS_CACHELINE - 2 * sizeof(uint64_t)];
	_Atomic uint64_t head;      /* consumer side */
	_Atomic uint64_t read;      /* msgring: consumed, zeroing maybe unfinished */
	_Atomic uint64_t unblocked; /* msgring: dead claims turned into padding */
	_Atomic uint64_t corrupt;   /* msgring: records that failed their check */
	char guard1[2 * KAOS_CACHELINE - 4 * sizeof(uint64_t)];
	/* Blocked consumers sleep on data, blocked producers on space
	 * (broadcast: both sides on data, see broadcast.h). */
	KAOS_CACHE_ALIGNED struct kaos_waitpoint data;
	struct kaos_waitpoint space;
	KAOS_CACHE_ALIGNED _Atomic uint64_t full; /* refused claims and pushes */
	char guard3[KAOS_CACHELINE - sizeof(uint64_t)];
};

/* How a handle wakes and waits: whether it notifies blocked threads, and
 * the bit that names its sleeping thread in the waitpoints (0: counted
 * anonymously; IPC attachments name themselves, see kaos_waitpoint). */
struct kaos__ring_notify {
	bool blocking;
	uint64_t wait_bit;
};

/*
 * Copy one slot. Sizes known at compile time (typed rings) fold to a
 * plain copy; 8-byte slots, the common runtime size, get an inlined copy
 * too, instead of a call to memcpy per event. (Only 8: a wider case would
 * make gcc's -Warray-bounds flag callers that pass an 8-byte object.)
 */
KAOS_ALWAYS_INLINE void
kaos__copy_slot(void *dst, const void *src, size_t size)
{
	if (size == 8)
		memcpy(dst, src, 8);
	else
		memcpy(dst, src, size);
}

/* Ring counters (full events, in the control block): on unless built
 * with -DKAOS_COUNTERS=0. They are counted on slow paths only. */
#ifndef KAOS_COUNTERS
#define KAOS_COUNTERS 1
#endif

/* Count one event in a shared statistics word. Relaxed: a statistic,
 * ordered with nothing. */
KAOS_ALWAYS_INLINE void
kaos__count(_Atomic uint64_t *counter)
{
#if KAOS_COUNTERS
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
#else
	(void)counter;
#endif
}

/* As kaos__count(), for a word only one thread writes: a plain load and
 * store, no locked instruction. Relaxed, as kaos__count(). */
KAOS_ALWAYS_INLINE void
kaos__count_single(_Atomic uint64_t *counter)
{
#if KAOS_COUNTERS
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
			      memory_order_relaxed);
#else
	(void)counter;
#endif
}

/* Wake the other side's sleepers on @p wp if the handle blocks
 * (otherwise one predictable branch). */
KAOS_ALWAYS_INLINE void
kaos__ring_wake(const struct kaos__ring_notify *notify, struct kaos_waitpoint *wp)
{
	if (KAOS_UNLIKELY(notify->blocking))
		kaos_waitpoint_notify(wp);
}

/* Store-release a side's cursor, then wake the other side. The caller
 * names what the release pairs with. */
KAOS_ALWAYS_INLINE void
kaos__ring_advance(_Atomic uint64_t *cursor, uint64_t pos,
		   const struct kaos__ring_notify *notify, struct kaos_waitpoint *wp)
{
	atomic_store_explicit(cursor, pos, memory_order_release);
	kaos__ring_wake(notify, wp);
}

/* Records or slots between head and tail, for monitoring. Acquire on
 * both only to read a coherent-enough pair (they pair with the stores of
 * tail and head); head first, so tail >= head holds for the values seen. */
KAOS_ALWAYS_INLINE uint64_t
kaos__ring_used(const struct kaos__ring_ctl *ctl)
{
	uint64_t head = atomic_load_explicit(&ctl->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&ctl->tail, memory_order_acquire);
	return tail - head;
}

/* The slots a claim or peek of @p n may take from index @p idx: at most
 * n, and contiguous (a run stops at the end of the slot array). */
KAOS_ALWAYS_INLINE uint64_t
kaos__ring_run(uint64_t capacity, uint64_t idx, uint64_t n)
{
	uint64_t run = capacity - idx;
	return run > n ? n : run;
}

/* @p want, but no more than the slots from @p pos up to @p end (a fresh
 * view of the other side's position); 0 if there are none. */
KAOS_ALWAYS_INLINE uint64_t
kaos__ring_upto(uint64_t want, uint64_t pos, uint64_t end)
{
	uint64_t have = end - pos;
	return want > have ? have : want;
}

/* The accessors every ring kind's handle has, set_blocking and capacity
 * (declared and documented in the kind's public header), for a handle
 * type with its notify settings at @p notify and its capacity at
 * @p capacity. */
#define KAOS__RING_ACCESSORS(prefix, handle, notify, capacity)                \
	KAOS_INLINE void prefix##_set_blocking(handle *ring, bool on)         \
	{                                                                     \
		ring->notify.blocking = on;                                   \
	}                                                                     \
	KAOS_INLINE uint64_t prefix##_capacity(const handle *ring)            \
	{                                                                     \
		return ring->capacity;                                        \
	}                                                                     \
	struct kaos__ring_ctl /* swallow the caller's semicolon */

/* A side of a ring that one thread owns (the SPSC ring's producer and
 * consumer, the broadcast ring's producer and each consumer): its
 * position, how far it may go as last seen (a producer: the slowest
 * reader plus the capacity; a consumer: what is published), and the
 * slots its last claim or peek handed out, not yet published or released. */
struct kaos__ring_cursor {
	uint64_t pos;
	uint64_t bound;
	uint64_t pending;
};

/* The slot array a cursor moves over: a handle's read-only fields, the
 * slot size a constant for typed rings. */
struct kaos__ring_array {
	unsigned char *slots;
	uint64_t mask;
	uint64_t capacity;
	size_t slot_size;
};

/* How a cursor renews its bound on a miss: an acquire of the other
 * side's position (the caller's function names the pair). */
typedef uint64_t (*kaos__ring_refresh_fn)(void *side);

/* The error for a request of @p n slots outside [1, capacity]: -EINVAL
 * for 0, -KAOS_ETOOBIG above (0 inside). Out of line: the inline paths
 * test the range with one compare and call this only when it fails. */
KAOS_API int kaos__ring_bad_count(uint64_t capacity, uint64_t n);

/* A claim or peek at cursor @p c: up to @p n contiguous slots of @p a
 * within the bound, renewed by @p refresh(@p side) when the cached one is
 * short. The count; 0 when there are none (a miss counted in @p full if
 * given); the error of a bad @p n. *@p slots gets the run's first slot
 * (on a miss too: one store on every path, no branch for it). */
KAOS_ALWAYS_INLINE int64_t
kaos__cursor_take(struct kaos__ring_cursor *c, struct kaos__ring_array a, uint64_t n,
		  void **slots, kaos__ring_refresh_fn refresh, void *side, _Atomic uint64_t *full)
{
	if (KAOS_UNLIKELY(n - 1 >= a.capacity))
		return kaos__ring_bad_count(a.capacity, n);
	uint64_t pos = c->pos;
	uint64_t idx = pos & a.mask;
	uint64_t want = kaos__ring_run(a.capacity, idx, n);
	*slots = a.slots + idx * a.slot_size;
	if (c->bound - pos < want && (want = kaos__ring_upto(want, pos, refresh(side))) == 0) {
		if (full)
			kaos__count_single(full);
		return 0;
	}
	c->pending = want;
	return (int64_t)want;
}

/* Publish or release @p n of the slots the cursor's last take handed out:
 * the cursor moves over them and is store-released to @p shared (the
 * caller names the pair), waking the other side's sleepers on @p wp. */
KAOS_ALWAYS_INLINE int
kaos__cursor_give(struct kaos__ring_cursor *c, uint64_t n, _Atomic uint64_t *shared,
		  const struct kaos__ring_notify *notify, struct kaos_waitpoint *wp)
{
	if (KAOS_UNLIKELY(n > c->pending))
		return -EINVAL;
	c->pending -= n;
	c->pos += n;
	kaos__ring_advance(shared, c->pos, notify, wp);
	return 0;
}

/* The body of a consumer's poll (see kaos_spsc_poll): up to @p limit
 * slots of @p a from the cursor, to @p fn until it returns non-zero. The
 * slots handled become the cursor's pending ones, for the caller to
 * release. */
KAOS_ALWAYS_INLINE uint64_t
kaos__cursor_poll(struct kaos__ring_cursor *c, struct kaos__ring_array a,
		  int (*fn)(void *slot, uint64_t seq, bool end_of_batch, void *ctx), void *ctx,
		  uint64_t limit, kaos__ring_refresh_fn refresh, void *side)
{
	uint64_t pos = c->pos;
	uint64_t n = c->bound - pos;
	if (n < limit)
		n = refresh(side) - pos;
	if (n > limit)
		n = limit;
	for (uint64_t i = 0; i < n; i++) {
		void *slot = a.slots + ((pos + i) & a.mask) * a.slot_size;
		if (fn(slot, pos + i, i + 1 == n, ctx)) {
			n = i + 1;
			break;
		}
	}
	if (n)
		c->pending = n; /* a peek's pending slots were among them: void */
	return n;
}

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_RING_H */
