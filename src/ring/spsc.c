/* SPDX-License-Identifier: MIT */
/* SPSC ring: control plane, bulk writes, waiting, and its descriptor. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <kaos/spsc.h>

#include "ring.h"
#include "stream.h"

_Static_assert(KAOS_SPSC_STREAM_MIN == KAOS__STREAM_MIN, "one streaming threshold");
_Static_assert(offsetof(struct kaos_spsc, cons) - offsetof(struct kaos_spsc, prod) >=
		       2 * KAOS_CACHELINE &&
		       offsetof(struct kaos_spsc, ro) - offsetof(struct kaos_spsc, cons) >=
			       2 * KAOS_CACHELINE,
	       "producer, consumer and read-only fields need lines of their own, "
	       "with a guard line between the two written by different threads");

static int
memsize(const struct kaos__ring_geom *g, size_t *size)
{
	int rc = kaos__ring_check_slots(g);
	if (rc < 0)
		return rc;
	return kaos__ring_size(sizeof(struct kaos__ring_ctl), g->capacity, g->slot_size, size);
}

static void
layout(void *handle, void *mem, const struct kaos__ring_geom *g)
{
	struct kaos_spsc *ring = handle;
	ring->ro.ctl = mem;
	ring->ro.array.slots = (unsigned char *)mem + sizeof(struct kaos__ring_ctl);
	ring->ro.array.mask = g->capacity - 1;
	ring->ro.array.capacity = g->capacity;
	ring->ro.array.slot_size = g->slot_size;
}

static void
reset(void *handle)
{
	struct kaos_spsc *ring = handle;
	/* Plain: the ring is not shared yet; whoever hands it to the other
	 * thread (thread creation, a release store) publishes this. All of
	 * it: caller memory may hold anything, waitpoints included. */
	memset(ring->ro.ctl, 0, sizeof(*ring->ro.ctl));
	ring->prod.bound = ring->ro.array.capacity; /* head is 0 */
}

static int
resume(void *handle)
{
	struct kaos_spsc *ring = handle;
	struct kaos__ring_ctl *ctl = ring->ro.ctl;
	/* Acquire both: pair with the previous producer's P1 and consumer's
	 * C2, whichever side this handle will play. Positions index the
	 * slots through the mask, so no value of theirs reaches outside. */
	ring->prod.pos = atomic_load_explicit(&ctl->tail, memory_order_acquire);
	ring->cons.pos = atomic_load_explicit(&ctl->head, memory_order_acquire);
	ring->prod.bound = ring->cons.pos + ring->ro.array.capacity;
	ring->cons.bound = ring->prod.pos;
	return 0;
}

int
kaos_spsc_memsize(uint64_t capacity, size_t slot_size, size_t *size)
{
	return kaos__ring_memsize(&kaos__spsc_kind, KAOS__SLOTS(capacity, slot_size), size);
}

int
kaos_spsc_init(struct kaos_spsc *ring, void *mem, size_t len, uint64_t capacity,
	       size_t slot_size)
{
	return kaos__ring_init(&kaos__spsc_kind, ring, mem, len, KAOS__SLOTS(capacity, slot_size));
}

int
kaos_spsc_attach(struct kaos_spsc *ring, void *mem, size_t len, uint64_t capacity,
		 size_t slot_size)
{
	return kaos__ring_open(&kaos__spsc_kind, ring, mem, len, KAOS__SLOTS(capacity, slot_size));
}

int
kaos_spsc_create(struct kaos_spsc *ring, uint64_t capacity, size_t slot_size,
		 enum kaos_mem mem)
{
	return kaos__ring_create(&kaos__spsc_kind, ring, KAOS__SLOTS(capacity, slot_size), mem);
}

void
kaos_spsc_destroy(struct kaos_spsc *ring)
{
	kaos__ring_destroy(&kaos__spsc_kind, ring);
}

int64_t
kaos_spsc_write(struct kaos_spsc *ring, const void *src, uint64_t n)
{
	if (!ring || !src || n == 0)
		return -EINVAL;
	uint64_t pos = ring->prod.pos;
	uint64_t room = ring->prod.bound - pos;
	if (room < n)
		room = kaos__spsc_refresh_limit(ring) - pos;
	if (room == 0) {
		kaos__count_single(&ring->ro.ctl->full);
		return 0;
	}
	if (n > room)
		n = room;
	size_t size = ring->ro.array.slot_size;
	size_t bytes = (size_t)n * size;
	uint64_t idx = pos & ring->ro.array.mask;
	uint64_t first = ring->ro.array.capacity - idx; /* slots before the wrap */
	if (first > n)
		first = n;
	unsigned char *dst = ring->ro.array.slots + idx * size;
	if (bytes >= KAOS_SPSC_STREAM_MIN) {
		kaos__copy_streaming(dst, src, (size_t)first * size);
		kaos__copy_streaming(ring->ro.array.slots, (const unsigned char *)src + first * size,
				     (size_t)(n - first) * size);
		kaos__stream_fence(); /* before the tail's release */
	} else {
		memcpy(dst, src, (size_t)first * size);
		memcpy(ring->ro.array.slots, (const unsigned char *)src + first * size,
		       (size_t)(n - first) * size);
	}
	ring->prod.pos = pos + n;
	ring->prod.pending = 0; /* a pending claim overlapped these slots */
	kaos__spsc_store_tail(ring);
	return (int64_t)n;
}

/* ---- waiting ------------------------------------------------------------- */

KAOS__RING_TRY(try_claim, kaos_spsc_claim(a->ring, a->n, a->arg), 0)
KAOS__RING_TRY(try_peek, kaos_spsc_peek(a->ring, a->n, a->arg), 0)
KAOS__RING_TRY(try_push, kaos_spsc_push(a->ring, a->arg), -KAOS_EFULL)
KAOS__RING_TRY(try_pop, kaos_spsc_pop(a->ring, a->arg), -KAOS_EEMPTY)

int64_t
kaos_spsc_claim_wait(struct kaos_spsc *ring, uint64_t n, void **slots,
		     const struct kaos_wait *how)
{
	return kaos__ring_wait(&kaos__spsc_kind, ring, true, try_claim, ring, n, slots, how);
}

int64_t
kaos_spsc_peek_wait(struct kaos_spsc *ring, uint64_t n, const void **slots,
		    const struct kaos_wait *how)
{
	return kaos__ring_wait(&kaos__spsc_kind, ring, false, try_peek, ring, n, slots, how);
}

int
kaos_spsc_push_wait(struct kaos_spsc *ring, const void *src, const struct kaos_wait *how)
{
	return (int)kaos__ring_wait(&kaos__spsc_kind, ring, true, try_push, ring, 1,
				    (void *)(uintptr_t)src, how);
}

int
kaos_spsc_pop_wait(struct kaos_spsc *ring, void *dst, const struct kaos_wait *how)
{
	return (int)kaos__ring_wait(&kaos__spsc_kind, ring, false, try_pop, ring, 1, dst, how);
}

/* ---- statistics and the descriptor --------------------------------------- */

void
kaos_spsc_stats(const struct kaos_spsc *ring, struct kaos_ring_stats *out)
{
	kaos__ring_stats(&kaos__spsc_kind, ring, NULL, out);
}

static uint64_t
fill(const void *ring)
{
	return kaos_spsc_size(ring);
}

static int
send(void *ep, uint32_t type, const void *data, size_t len)
{
	struct kaos_spsc *ring = ep;
	if (type || len != ring->ro.array.slot_size)
		return -EINVAL;
	return kaos_spsc_push(ring, data);
}

static int64_t
receive(void *ep, kaos_msg_handler_fn fn, void *ctx, uint64_t limit)
{
	struct kaos_spsc *ring = ep;
	struct kaos__slot_message m = { fn, ctx, ring->ro.array.slot_size };
	return (int64_t)kaos_spsc_poll(ring, kaos__deliver_slot, &m, limit);
}

const struct kaos__ring_kind kaos__spsc_kind = {
	.name = "spsc", .unit = "slots", KAOS__RING_HANDLE(struct kaos_spsc),
	.memsize = memsize, .layout = layout, .reset = reset, .resume = resume,
	.stats = kaos__ring_ctl_stats, .fill = fill,
	.endpoint_size = sizeof(struct kaos_spsc), .send = send, .receive = receive,
};
