/* SPDX-License-Identifier: MIT */
/*
 * @internal The broadcast ring's handles and the bodies of its inline
 * functions. Not for users: include <kaos/broadcast.h>, which documents
 * the API and the ordering pairs (P1, C1, C2, P2, D1, J1/G1).
 */
#ifndef KAOS_DETAIL_BROADCAST_H
#define KAOS_DETAIL_BROADCAST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/detail/ring.h>
#include <kaos/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One per possible consumer, two lines apart, after the control block. */
struct kaos_bcast_entry {
	KAOS_CACHE_ALIGNED _Atomic uint64_t pos; /* next to read, or FREE */
	char guard[2 * KAOS_CACHELINE - sizeof(uint64_t)];
};

/* The ring and its producer's handle. The shared part is the control
 * block (tail: published by the producer; head unused: each consumer's
 * position is its entry; both sides sleep on data, since a consumer may
 * wait for another's release in a pipeline), the entries, the slots. */
struct kaos_bcast {
	/* the next sequence to publish; writable below bound (the slowest
	 * consumer + capacity, cached) */
	KAOS_CACHE_ALIGNED struct kaos__ring_cursor prod;
	KAOS_CACHE_ALIGNED struct {
		struct kaos__ring_ctl *ctl;
		struct kaos_bcast_entry *entries;
		struct kaos__ring_array array;
		uint32_t max_consumers;
		struct kaos__ring_notify notify; /* publish/release wake sleepers */
		struct kaos_region region;
	} ro;
};

/* A consumer's private handle; one thread uses it at a time, so it has
 * cache lines of its own. */
struct kaos_bcast_consumer {
	KAOS_CACHE_ALIGNED struct kaos_bcast *ring;
	_Atomic uint64_t *entry; /* our position in the shared table */
	struct kaos__ring_cursor cur; /* next to read; readable below bound */
	uint32_t ndeps;
	_Atomic uint64_t *deps[KAOS_BCAST_MAX_DEPS];
};

/* Recompute the producer's limit from every joined consumer. */
KAOS_API uint64_t kaos__bcast_refresh_limit(struct kaos_bcast *ring);

/* The same as a kaos__ring_refresh_fn. */
KAOS_ALWAYS_INLINE uint64_t
kaos__bcast_limit(void *ring)
{
	return kaos__bcast_refresh_limit((struct kaos_bcast *)ring);
}

KAOS_INLINE int64_t
kaos_bcast_claim(struct kaos_bcast *ring, uint64_t n, void **slots)
{
	return kaos__cursor_take(&ring->prod, ring->ro.array, n, slots, kaos__bcast_limit,
				 ring, &ring->ro.ctl->full);
}

KAOS_INLINE int
kaos_bcast_publish(struct kaos_bcast *ring, uint64_t n)
{
	/* P1: pairs with C1 in kaos__bcast_refresh_avail(). */
	return kaos__cursor_give(&ring->prod, n, &ring->ro.ctl->tail, &ring->ro.notify,
				 &ring->ro.ctl->data);
}

KAOS_INLINE int
kaos_bcast_push(struct kaos_bcast *ring, const void *src)
{
	void *slot = NULL;
	if (kaos_bcast_claim(ring, 1, &slot) <= 0)
		return -KAOS_EFULL;
	kaos__copy_slot(slot, src, ring->ro.array.slot_size);
	return kaos_bcast_publish(ring, 1);
}

/* What @p c may read below: the tail, or the slowest dependency. C1: the
 * acquire on tail pairs with P1; D1: the acquire on each dependency's
 * entry pairs with its C2, so what a dependency wrote into a slot before
 * releasing it is visible here. */
KAOS_ALWAYS_INLINE uint64_t
kaos__bcast_refresh_avail(void *consumer)
{
	struct kaos_bcast_consumer *c = (struct kaos_bcast_consumer *)consumer;
	uint64_t avail = atomic_load_explicit(&c->ring->ro.ctl->tail, memory_order_acquire);
	for (uint32_t i = 0; i < c->ndeps; i++) {
		uint64_t d = atomic_load_explicit(c->deps[i], memory_order_acquire);
		if (d < avail)
			avail = d;
	}
	c->cur.bound = avail;
	return avail;
}

KAOS_INLINE int64_t
kaos_bcast_peek(struct kaos_bcast_consumer *c, uint64_t n, void **slots)
{
	return kaos__cursor_take(&c->cur, c->ring->ro.array, n, slots,
				 kaos__bcast_refresh_avail, c, NULL);
}

/* C2: the release pairs with the producer's P2 and with D1 of the
 * consumers gated on this one. */
KAOS_INLINE int
kaos_bcast_release(struct kaos_bcast_consumer *c, uint64_t n)
{
	return kaos__cursor_give(&c->cur, n, c->entry, &c->ring->ro.notify,
				 &c->ring->ro.ctl->data);
}

KAOS_INLINE int
kaos_bcast_pop(struct kaos_bcast_consumer *c, void *dst)
{
	void *slot = NULL;
	if (kaos_bcast_peek(c, 1, &slot) <= 0)
		return -KAOS_EEMPTY;
	kaos__copy_slot(dst, slot, c->ring->ro.array.slot_size);
	return kaos_bcast_release(c, 1);
}

KAOS_INLINE uint64_t
kaos_bcast_poll(struct kaos_bcast_consumer *c,
		int (*fn)(void *slot, uint64_t seq, bool end_of_batch, void *ctx), void *ctx,
		uint64_t limit)
{
	uint64_t n = kaos__cursor_poll(&c->cur, c->ring->ro.array, fn, ctx, limit,
				       kaos__bcast_refresh_avail, c);
	if (n)
		kaos_bcast_release(c, n);
	return n;
}

/* ---- the public inline functions (declared and documented in kaos/broadcast.h) ---- */

KAOS_INLINE void
kaos_bcast_set_blocking(struct kaos_bcast *ring, bool on)
{
	ring->ro.notify.blocking = on;
}

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_BROADCAST_H */
