/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <kaos/spsc.h>
#include <kaos/trace.h>

#include "stream.h"

_Static_assert(KAOS_SPSC_STREAM_MIN == KAOS__STREAM_MIN, "one streaming threshold");

_Static_assert(sizeof(struct kaos_spsc_cursors) % KAOS_CACHELINE == 0,
	       "slots must start on a cache line");
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
		       offsetof(struct kaos_spsc_cursors, head) == 2 * KAOS_CACHELINE &&
		       sizeof(struct kaos_spsc_cursors) == 6 * KAOS_CACHELINE,
	       "tail and head need a guard line between them");
_Static_assert(offsetof(struct kaos_spsc, cons) - offsetof(struct kaos_spsc, prod) >=
		       2 * KAOS_CACHELINE &&
		       offsetof(struct kaos_spsc, ro) - offsetof(struct kaos_spsc, cons) >=
			       2 * KAOS_CACHELINE,
	       "producer, consumer and read-only fields need lines of their own, "
	       "with a guard line between the two written by different threads");

int
kaos_spsc_memsize(uint64_t capacity, size_t slot_size, size_t *size)
{
	if (!size || capacity < KAOS_SPSC_MIN_CAPACITY ||
	    capacity > KAOS_SPSC_MAX_CAPACITY || (capacity & (capacity - 1)) ||
	    slot_size == 0 || slot_size % 8)
		return -EINVAL;
	size_t head = sizeof(struct kaos_spsc_cursors);
	if (capacity > (SIZE_MAX - head - KAOS_CACHELINE) / slot_size)
		return -EOVERFLOW;
	size_t bytes = head + (size_t)capacity * slot_size;
	*size = (bytes + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
	return 0;
}

/* Check the arguments and fill the handle's read-only fields. */
static int
setup(struct kaos_spsc *ring, void *mem, size_t len, uint64_t capacity, size_t slot_size)
{
	size_t need;
	int rc;

	if (!ring || !mem || (uintptr_t)mem % KAOS_CACHELINE)
		return -EINVAL;
	if ((rc = kaos_spsc_memsize(capacity, slot_size, &need)) < 0)
		return rc;
	if (len < need)
		return -ENOBUFS;
	memset(ring, 0, sizeof(*ring));
	ring->ro.cur = mem;
	ring->ro.slots = (unsigned char *)mem + sizeof(struct kaos_spsc_cursors);
	ring->ro.mask = capacity - 1;
	ring->ro.capacity = capacity;
	ring->ro.slot_size = slot_size;
	return 0;
}

int
kaos_spsc_init(struct kaos_spsc *ring, void *mem, size_t len, uint64_t capacity,
	       size_t slot_size)
{
	int rc = setup(ring, mem, len, capacity, slot_size);
	if (rc < 0)
		return rc;
	/* Plain: the ring is not shared yet; whoever hands it to the other
	 * thread (thread creation, a release store) publishes this. All of
	 * it: caller memory may hold anything, waitpoints included. */
	memset(ring->ro.cur, 0, sizeof(*ring->ro.cur));
	ring->prod.limit = capacity; /* head is 0 */
	return 0;
}

int
kaos_spsc_attach(struct kaos_spsc *ring, void *mem, size_t len, uint64_t capacity,
		 size_t slot_size)
{
	int rc = setup(ring, mem, len, capacity, slot_size);
	if (rc < 0)
		return rc;
	struct kaos_spsc_cursors *cur = ring->ro.cur;
	/* Acquire both: pair with the previous producer's P1 and consumer's
	 * C2, whichever side this handle will play. */
	ring->prod.pos = atomic_load_explicit(&cur->tail, memory_order_acquire);
	ring->cons.pos = atomic_load_explicit(&cur->head, memory_order_acquire);
	ring->prod.limit = ring->cons.pos + capacity;
	ring->cons.avail = ring->prod.pos;
	return 0;
}

int
kaos_spsc_create(struct kaos_spsc *ring, uint64_t capacity, size_t slot_size,
		 enum kaos_mem mem)
{
	struct kaos_region region;
	size_t need;
	int rc;

	if (!ring)
		return -EINVAL;
	if ((rc = kaos_spsc_memsize(capacity, slot_size, &need)) < 0)
		return rc;
	if ((rc = kaos_region_alloc(&region, need, mem)) < 0)
		return rc;
	if ((rc = kaos_spsc_init(ring, region.base, region.len, capacity,
				 slot_size)) < 0) {
		kaos_region_free(&region);
		return rc;
	}
	ring->ro.region = region;
	return 0;
}

void
kaos_spsc_destroy(struct kaos_spsc *ring)
{
	if (!ring)
		return;
	kaos_region_free(&ring->ro.region);
	memset(ring, 0, sizeof(*ring));
}

int64_t
kaos_spsc_write(struct kaos_spsc *ring, const void *src, uint64_t n)
{
	if (!ring || !src || n == 0)
		return -EINVAL;
	uint64_t pos = ring->prod.pos;
	uint64_t room = ring->prod.limit - pos;
	if (room < n)
		room = kaos__spsc_refresh_limit(ring) - pos;
	if (room == 0) {
		kaos__count_single(&ring->ro.cur->full);
		return 0;
	}
	if (n > room)
		n = room;
	size_t size = ring->ro.slot_size;
	size_t bytes = (size_t)n * size;
	uint64_t idx = pos & ring->ro.mask;
	uint64_t first = ring->ro.capacity - idx; /* slots before the wrap */
	if (first > n)
		first = n;
	unsigned char *dst = ring->ro.slots + idx * size;
	if (bytes >= KAOS_SPSC_STREAM_MIN) {
		kaos__copy_streaming(dst, src, (size_t)first * size);
		kaos__copy_streaming(ring->ro.slots, (const unsigned char *)src + first * size,
				     (size_t)(n - first) * size);
		kaos__stream_fence(); /* before the tail's release */
	} else {
		memcpy(dst, src, (size_t)first * size);
		memcpy(ring->ro.slots, (const unsigned char *)src + first * size,
		       (size_t)(n - first) * size);
	}
	ring->prod.pos = pos + n;
	ring->prod.claimed = 0; /* a pending claim overlapped these slots */
	kaos__spsc_store_tail(ring);
	return (int64_t)n;
}

int
kaos__spsc_bad_count(const struct kaos_spsc *ring, uint64_t n)
{
	return n == 0 ? -EINVAL : n > ring->ro.capacity ? -KAOS_ETOOBIG : 0;
}

/* An operation retried by kaos_wait_until() until it succeeds. */
struct attempt {
	struct kaos_spsc *ring;
	uint64_t n;
	union {
		void **wslots;
		const void **rslots;
		const void *src;
		void *dst;
	} arg;
	int64_t got;
};

static bool
try_claim(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_spsc_claim(a->ring, a->n, a->arg.wslots);
	return a->got != 0;
}

static bool
try_peek(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_spsc_peek(a->ring, a->n, a->arg.rslots);
	return a->got != 0;
}

static bool
try_push(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_spsc_push(a->ring, a->arg.src);
	return a->got != -KAOS_EFULL;
}

static bool
try_pop(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_spsc_pop(a->ring, a->arg.dst);
	return a->got != -KAOS_EEMPTY;
}

static int64_t
wait_for(struct kaos_spsc *ring, struct kaos_waitpoint *wp, kaos_ready_fn fn,
	 struct attempt *a, const struct kaos_wait *how)
{
	if (how && how->kind == KAOS_WAIT_BLOCK && !ring->ro.blocking)
		return -EINVAL; /* nobody would wake us */
	/* A producer waiting is backpressure; a consumer waiting is idle. */
	int rc = KAOS_TRACE_WAIT_UNTIL(wp == &ring->ro.cur->space, SPSC, ring, how, wp,
				       fn, a);
	return rc < 0 ? rc : a->got;
}

int64_t
kaos_spsc_claim_wait(struct kaos_spsc *ring, uint64_t n, void **slots,
		     const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .n = n, .arg.wslots = slots };
	return wait_for(ring, &ring->ro.cur->space, try_claim, &a, how);
}

int64_t
kaos_spsc_peek_wait(struct kaos_spsc *ring, uint64_t n, const void **slots,
		    const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .n = n, .arg.rslots = slots };
	return wait_for(ring, &ring->ro.cur->data, try_peek, &a, how);
}

int
kaos_spsc_push_wait(struct kaos_spsc *ring, const void *src, const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .arg.src = src };
	return (int)wait_for(ring, &ring->ro.cur->space, try_push, &a, how);
}

int
kaos_spsc_pop_wait(struct kaos_spsc *ring, void *dst, const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .arg.dst = dst };
	return (int)wait_for(ring, &ring->ro.cur->data, try_pop, &a, how);
}

void
kaos_spsc_stats(const struct kaos_spsc *ring, struct kaos_ring_stats *out)
{
	const struct kaos_spsc_cursors *c = ring->ro.cur;
	/* Acquire: head before tail (pairs with C2 and P1), so consumed <=
	 * published in the snapshot. Relaxed for the statistics. */
	out->consumed = atomic_load_explicit(&c->head, memory_order_acquire);
	out->published = atomic_load_explicit(&c->tail, memory_order_acquire);
	out->full = atomic_load_explicit(&c->full, memory_order_relaxed);
	out->waits = atomic_load_explicit(&c->data.waits, memory_order_relaxed) +
		     atomic_load_explicit(&c->space.waits, memory_order_relaxed);
	out->wakes = atomic_load_explicit(&c->data.wakes, memory_order_relaxed) +
		     atomic_load_explicit(&c->space.wakes, memory_order_relaxed);
}
