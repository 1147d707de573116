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
	KAOS_CACHE_ALIGNED struct {
		uint64_t pos;     /* next sequence to publish */
		uint64_t limit;   /* writable below: slowest consumer + capacity */
		uint64_t claimed;
	} prod;
	KAOS_CACHE_ALIGNED struct {
		struct kaos__ring_ctl *ctl;
		struct kaos_bcast_entry *entries;
		unsigned char *slots;
		uint64_t mask;
		uint64_t capacity;
		size_t slot_size;
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
	uint64_t pos;            /* next sequence to read */
	uint64_t avail;          /* cached: readable below */
	uint64_t peeked;
	uint32_t ndeps;
	_Atomic uint64_t *deps[KAOS_BCAST_MAX_DEPS];
};

/* Recompute the producer's limit from every joined consumer. */
KAOS_API uint64_t kaos__bcast_refresh_limit(struct kaos_bcast *ring);

KAOS_INLINE int64_t
kaos_bcast_claim(struct kaos_bcast *ring, uint64_t n, void **slots)
{
	if (KAOS_UNLIKELY(n - 1 >= ring->ro.capacity))
		return kaos__ring_bad_count(ring->ro.capacity, n);
	uint64_t pos = ring->prod.pos;
	uint64_t idx = pos & ring->ro.mask;
	uint64_t want = kaos__ring_run(ring->ro.capacity, idx, n);
	if (ring->prod.limit - pos < want &&
	    (want = kaos__ring_upto(want, pos, kaos__bcast_refresh_limit(ring))) == 0) {
		kaos__count_single(&ring->ro.ctl->full);
		return 0;
	}
	*slots = ring->ro.slots + idx * ring->ro.slot_size;
	ring->prod.claimed = want;
	return (int64_t)want;
}

KAOS_INLINE int
kaos_bcast_publish(struct kaos_bcast *ring, uint64_t n)
{
	if (KAOS_UNLIKELY(n > ring->prod.claimed))
		return -EINVAL;
	ring->prod.claimed -= n;
	ring->prod.pos += n;
	/* P1: pairs with C1 in kaos__bcast_refresh_avail(). */
	kaos__ring_advance(&ring->ro.ctl->tail, ring->prod.pos, &ring->ro.notify,
			   &ring->ro.ctl->data);
	return 0;
}

KAOS_INLINE int
kaos_bcast_push(struct kaos_bcast *ring, const void *src)
{
	void *slot = NULL;
	if (kaos_bcast_claim(ring, 1, &slot) <= 0)
		return -KAOS_EFULL;
	kaos__copy_slot(slot, src, ring->ro.slot_size);
	return kaos_bcast_publish(ring, 1);
}

/* What @p c may read below: the tail, or the slowest dependency. C1: the
 * acquire on tail pairs with P1; D1: the acquire on each dependency's
 * entry pairs with its C2, so what a dependency wrote into a slot before
 * releasing it is visible here. */
KAOS_ALWAYS_INLINE uint64_t
kaos__bcast_refresh_avail(struct kaos_bcast_consumer *c)
{
	uint64_t avail = atomic_load_explicit(&c->ring->ro.ctl->tail, memory_order_acquire);
	for (uint32_t i = 0; i < c->ndeps; i++) {
		uint64_t d = atomic_load_explicit(c->deps[i], memory_order_acquire);
		if (d < avail)
			avail = d;
	}
	c->avail = avail;
	return avail;
}

KAOS_INLINE int64_t
kaos_bcast_peek(struct kaos_bcast_consumer *c, uint64_t n, void **slots)
{
	struct kaos_bcast *ring = c->ring;
	if (KAOS_UNLIKELY(n - 1 >= ring->ro.capacity))
		return kaos__ring_bad_count(ring->ro.capacity, n);
	uint64_t pos = c->pos;
	uint64_t idx = pos & ring->ro.mask;
	uint64_t want = kaos__ring_run(ring->ro.capacity, idx, n);
	if (c->avail - pos < want &&
	    (want = kaos__ring_upto(want, pos, kaos__bcast_refresh_avail(c))) == 0)
		return 0;
	*slots = ring->ro.slots + idx * ring->ro.slot_size;
	c->peeked = want;
	return (int64_t)want;
}

/* C2: the release pairs with the producer's P2 and with D1 of the
 * consumers gated on this one. */
KAOS_INLINE int
kaos_bcast_release(struct kaos_bcast_consumer *c, uint64_t n)
{
	if (KAOS_UNLIKELY(n > c->peeked))
		return -EINVAL;
	c->peeked -= n;
	c->pos += n;
	kaos__ring_advance(c->entry, c->pos, &c->ring->ro.notify, &c->ring->ro.ctl->data);
	return 0;
}

KAOS_INLINE int
kaos_bcast_pop(struct kaos_bcast_consumer *c, void *dst)
{
	void *slot = NULL;
	if (kaos_bcast_peek(c, 1, &slot) <= 0)
		return -KAOS_EEMPTY;
	kaos__copy_slot(dst, slot, c->ring->ro.slot_size);
	return kaos_bcast_release(c, 1);
}

KAOS_INLINE uint64_t
kaos_bcast_poll(struct kaos_bcast_consumer *c,
		 int (*fn)(void *slot, uint64_t seq, bool end_of_batch, void *ctx), void *ctx,
		 uint64_t limit)
{
	struct kaos_bcast *ring = c->ring;
	uint64_t pos = c->pos;
	uint64_t n = c->avail - pos;
	if (n < limit)
		n = kaos__bcast_refresh_avail(c) - pos;
	if (n > limit)
		n = limit;
	for (uint64_t i = 0; i < n; i++) {
		void *slot = ring->ro.slots + ((pos + i) & ring->ro.mask) * ring->ro.slot_size;
		if (fn(slot, pos + i, i + 1 == n, ctx)) {
			n = i + 1;
			break;
		}
	}
	if (n) {
		c->peeked = n;
		kaos_bcast_release(c, n);
	}
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
