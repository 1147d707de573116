/* SPDX-License-Identifier: MIT */
/*
 * @internal The SPSC ring's handle and the bodies of its inline functions.
 * Not for users: include <kaos/spsc.h>, which documents the API.
 *
 * Ordering (each release names its acquire):
 *   P1 publish: store-release of tail      -> pairs with C1
 *   C1 refresh: load-acquire of tail       <- pairs with P1
 *   C2 release: store-release of head      -> pairs with P2
 *   P2 refresh: load-acquire of head       <- pairs with C2
 */
#ifndef KAOS_DETAIL_SPSC_H
#define KAOS_DETAIL_SPSC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/detail/ring.h>
#include <kaos/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A ring handle. Producer, consumer and read-only fields are on separate
 * lines. The shared part is the control block (tail: published by the
 * producer; head: released by the consumer), followed by the slots. */
struct kaos_spsc {
	/* producer side, only the producer thread touches it: the next
	 * sequence to write; writable below bound (head + capacity, cached) */
	KAOS_CACHE_ALIGNED struct kaos__ring_cursor prod;
	char guard0[KAOS_CACHELINE]; /* keeps the adjacent-line prefetcher */
	                             /* from pairing prod with cons */
	/* consumer side, only the consumer thread touches it: the next
	 * sequence to read; readable below bound (the tail, cached) */
	KAOS_CACHE_ALIGNED struct kaos__ring_cursor cons;
	char guard1[KAOS_CACHELINE];
	/* read-only after init */
	KAOS_CACHE_ALIGNED struct {
		struct kaos__ring_ctl *ctl;
		struct kaos__ring_array array;
		struct kaos__ring_notify notify; /* publish/release wake sleepers */
		struct kaos_region region; /* owned memory; zero for caller memory */
	} ro;
};

/* Refresh the producer's view of head. P2: the acquire pairs with C2
 * (the consumer's release of head), so its reads of the slots below head
 * happen before we overwrite them. (void *: a kaos__ring_refresh_fn.) */
KAOS_ALWAYS_INLINE uint64_t
kaos__spsc_refresh_limit(void *side)
{
	struct kaos_spsc *ring = (struct kaos_spsc *)side;
	ring->prod.bound = atomic_load_explicit(&ring->ro.ctl->head, memory_order_acquire) +
			   ring->ro.array.capacity;
	return ring->prod.bound;
}

/* The slot array, for slots of @p slot_size bytes (a constant for typed
 * rings). */
KAOS_ALWAYS_INLINE struct kaos__ring_array
kaos__spsc_array(const struct kaos_spsc *ring, size_t slot_size)
{
	struct kaos__ring_array a = ring->ro.array;
	a.slot_size = slot_size;
	return a;
}

/* Make every written slot visible. P1: the release pairs with C1 (the
 * consumer's acquire of tail): slot writes before it are visible to a
 * consumer that sees the new tail. */
KAOS_ALWAYS_INLINE void
kaos__spsc_store_tail(struct kaos_spsc *ring)
{
	kaos__ring_advance(&ring->ro.ctl->tail, ring->prod.pos, &ring->ro.notify,
			   &ring->ro.ctl->data);
}

/* claim with the slot size as a parameter, so typed rings pass a
 * constant. */
KAOS_ALWAYS_INLINE int64_t
kaos__spsc_claim(struct kaos_spsc *ring, uint64_t n, void **slots, size_t slot_size)
{
	return kaos__cursor_take(&ring->prod, kaos__spsc_array(ring, slot_size), n, slots,
				 kaos__spsc_refresh_limit, ring, &ring->ro.ctl->full);
}

KAOS_INLINE int
kaos_spsc_publish(struct kaos_spsc *ring, uint64_t n)
{
	/* P1 (see kaos__spsc_store_tail) */
	return kaos__cursor_give(&ring->prod, n, &ring->ro.ctl->tail, &ring->ro.notify,
				 &ring->ro.ctl->data);
}

/* push with a slot size parameter; publish now or defer. */
KAOS_ALWAYS_INLINE int
kaos__spsc_push(struct kaos_spsc *ring, const void *src, size_t slot_size,
		bool defer)
{
	uint64_t pos = ring->prod.pos;
	if (KAOS_UNLIKELY(pos == ring->prod.bound) &&
	    kaos__spsc_refresh_limit(ring) == pos) {
		/* Full: whatever was deferred must become visible, or a
		 * consumer waiting for it would never free space for us. */
		kaos__spsc_store_tail(ring);
		kaos__count_single(&ring->ro.ctl->full);
		return -KAOS_EFULL;
	}
	kaos__copy_slot(ring->ro.array.slots + (pos & ring->ro.array.mask) * slot_size, src,
			slot_size);
	ring->prod.pos = ++pos; /* from the local: the copy may alias */
	ring->prod.pending = 0; /* a pending claim overlapped this slot: void */
	if (!defer || (pos & (KAOS_SPSC_PUBLISH_EVERY - 1)) == 0)
		kaos__spsc_store_tail(ring);
	return 0;
}

/* Refresh the consumer's view of tail. C1: the acquire pairs with P1 (the
 * producer's release of tail): the slots below it are fully written.
 * (void *: a kaos__ring_refresh_fn.) */
KAOS_ALWAYS_INLINE uint64_t
kaos__spsc_refresh_avail(void *side)
{
	struct kaos_spsc *ring = (struct kaos_spsc *)side;
	ring->cons.bound = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
	return ring->cons.bound;
}

/* Return slots below cons.pos to the producer. C2: the release pairs with
 * P2 (the producer's acquire of head): our reads of those slots happen
 * before the producer overwrites them. */
KAOS_ALWAYS_INLINE void
kaos__spsc_store_head(struct kaos_spsc *ring)
{
	kaos__ring_advance(&ring->ro.ctl->head, ring->cons.pos, &ring->ro.notify,
			   &ring->ro.ctl->space);
}

/* peek with the slot size as a parameter. */
KAOS_ALWAYS_INLINE int64_t
kaos__spsc_peek(struct kaos_spsc *ring, uint64_t n, const void **slots, size_t slot_size)
{
	void *first = NULL;
	int64_t m = kaos__cursor_take(&ring->cons, kaos__spsc_array(ring, slot_size), n, &first,
				      kaos__spsc_refresh_avail, ring, NULL);
	*slots = first;
	return m;
}

KAOS_INLINE int
kaos_spsc_release(struct kaos_spsc *ring, uint64_t n)
{
	/* C2 (see kaos__spsc_store_head) */
	return kaos__cursor_give(&ring->cons, n, &ring->ro.ctl->head, &ring->ro.notify,
				 &ring->ro.ctl->space);
}

/* pop with a slot size parameter. */
KAOS_ALWAYS_INLINE int
kaos__spsc_pop(struct kaos_spsc *ring, void *dst, size_t slot_size)
{
	uint64_t pos = ring->cons.pos;
	if (KAOS_UNLIKELY(pos == ring->cons.bound) &&
	    kaos__spsc_refresh_avail(ring) == pos)
		return -KAOS_EEMPTY;
	kaos__copy_slot(dst, ring->ro.array.slots + (pos & ring->ro.array.mask) * slot_size,
			slot_size);
	ring->cons.pos = pos + 1;
	ring->cons.pending = 0; /* a pending peek started at this slot: void */
	kaos__spsc_store_head(ring);
	return 0;
}

KAOS_INLINE uint64_t
kaos_spsc_poll(struct kaos_spsc *ring,
	       int (*fn)(void *slot, uint64_t seq, bool end_of_batch, void *ctx), void *ctx,
	       uint64_t limit)
{
	uint64_t n = kaos__cursor_poll(&ring->cons, ring->ro.array, fn, ctx, limit,
				       kaos__spsc_refresh_avail, ring);
	if (n)
		kaos_spsc_release(ring, n);
	return n;
}

/* Typed-ring functions: a .c file may use only some of them. */
#define KAOS__SPSC_TYPED_FN static inline KAOS_UNUSED

/* The body of KAOS_SPSC_DEFINE (kaos/spsc.h). */
#define KAOS__SPSC_TYPED(name, type)                                          \
	_Static_assert(sizeof(type) % 8 == 0,                                 \
		       #type " size must be a multiple of 8");                \
	struct name {                                                         \
		struct kaos_spsc ring;                                        \
	};                                                                    \
	KAOS__SPSC_TYPED_FN int name##_create(struct name *q, uint64_t capacity,      \
				      enum kaos_mem mem)                      \
	{                                                                     \
		return kaos_spsc_create(&q->ring, capacity, sizeof(type), mem); \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int name##_init(struct name *q, void *mem, size_t len,    \
				    uint64_t capacity)                        \
	{                                                                     \
		return kaos_spsc_init(&q->ring, mem, len, capacity,           \
				      sizeof(type));                          \
	}                                                                     \
	KAOS__SPSC_TYPED_FN void name##_destroy(struct name *q)                       \
	{                                                                     \
		kaos_spsc_destroy(&q->ring);                                  \
	}                                                                     \
	KAOS__SPSC_TYPED_FN struct kaos_spsc *name##_ring(struct name *q)             \
	{                                                                     \
		return &q->ring;                                              \
	}                                                                     \
	KAOS__SPSC_TYPED_FN uint64_t name##_capacity(const struct name *q)            \
	{                                                                     \
		return q->ring.ro.array.capacity;                                   \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int64_t name##_claim(struct name *q, uint64_t n, type **s) \
	{                                                                     \
		void *p = NULL;                                               \
		int64_t got = kaos__spsc_claim(&q->ring, n, &p, sizeof(type)); \
		*s = (type *)p;                                               \
		return got;                                                   \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int name##_publish(struct name *q, uint64_t n)            \
	{                                                                     \
		return kaos_spsc_publish(&q->ring, n);                       \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int name##_push(struct name *q, const type *v)            \
	{                                                                     \
		return kaos__spsc_push(&q->ring, v, sizeof(type), false);     \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int name##_push_deferred(struct name *q, const type *v)   \
	{                                                                     \
		return kaos__spsc_push(&q->ring, v, sizeof(type), true);      \
	}                                                                     \
	KAOS__SPSC_TYPED_FN void name##_flush(struct name *q)                         \
	{                                                                     \
		kaos__spsc_store_tail(&q->ring);                              \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int64_t name##_peek(struct name *q, uint64_t n,           \
					const type **s)                       \
	{                                                                     \
		const void *p = NULL;                                         \
		int64_t got = kaos__spsc_peek(&q->ring, n, &p, sizeof(type)); \
		*s = (const type *)p;                                         \
		return got;                                                   \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int name##_release(struct name *q, uint64_t n)            \
	{                                                                     \
		return kaos_spsc_release(&q->ring, n);                       \
	}                                                                     \
	KAOS__SPSC_TYPED_FN int name##_pop(struct name *q, type *v)                   \
	{                                                                     \
		return kaos__spsc_pop(&q->ring, v, sizeof(type));             \
	}                                                                     \
	struct name /* swallow the caller's semicolon */

/* ---- the public inline functions (declared and documented in kaos/spsc.h) ---- */

KAOS__RING_ACCESSORS(kaos_spsc, struct kaos_spsc, ro.notify, ro.array.capacity);

KAOS_INLINE size_t
kaos_spsc_slot_size(const struct kaos_spsc *ring)
{
	return ring->ro.array.slot_size;
}

KAOS_INLINE enum kaos_pages
kaos_spsc_pages(const struct kaos_spsc *ring)
{
	return ring->ro.region.pages;
}

KAOS_INLINE uint64_t
kaos_spsc_size(const struct kaos_spsc *ring)
{
	return kaos__ring_used(ring->ro.ctl);
}

KAOS_INLINE int64_t
kaos_spsc_claim(struct kaos_spsc *ring, uint64_t n, void **slots)
{
	return kaos__spsc_claim(ring, n, slots, ring->ro.array.slot_size);
}

KAOS_INLINE int
kaos_spsc_push(struct kaos_spsc *ring, const void *src)
{
	return kaos__spsc_push(ring, src, ring->ro.array.slot_size, false);
}

KAOS_INLINE int
kaos_spsc_push_deferred(struct kaos_spsc *ring, const void *src)
{
	return kaos__spsc_push(ring, src, ring->ro.array.slot_size, true);
}

KAOS_INLINE void
kaos_spsc_flush(struct kaos_spsc *ring)
{
	kaos__spsc_store_tail(ring);
}

KAOS_INLINE int64_t
kaos_spsc_peek(struct kaos_spsc *ring, uint64_t n, const void **slots)
{
	return kaos__spsc_peek(ring, n, slots, ring->ro.array.slot_size);
}

KAOS_INLINE int
kaos_spsc_pop(struct kaos_spsc *ring, void *dst)
{
	return kaos__spsc_pop(ring, dst, ring->ro.array.slot_size);
}

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_SPSC_H */
