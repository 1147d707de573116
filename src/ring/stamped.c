/* SPDX-License-Identifier: MIT */
/* Control plane and waiting for the stamped rings (MPSC, SPMC, MPMC),
 * and their descriptor. */
#include <errno.h>
#include <string.h>

#include <kaos/detail/stamped.h>

#include "ring.h"

static size_t
stamps_bytes(uint64_t capacity)
{
	size_t b = (size_t)capacity * sizeof(uint64_t);
	return (b + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
}

static int
memsize(const struct kaos__ring_geom *g, size_t *size)
{
	int rc = kaos__ring_check_slots(g);
	if (rc < 0)
		return rc;
	/* The control block, a stamp per slot (rounded up to a line), the
	 * slots. */
	return kaos__ring_size(sizeof(struct kaos__ring_ctl) + stamps_bytes(g->capacity),
			       g->capacity, g->slot_size, size);
}

static void
layout(void *handle, void *mem, const struct kaos__ring_geom *g)
{
	struct kaos__stamped *r = handle;
	r->ro.ctl = mem;
	r->ro.stamps = (_Atomic uint64_t *)(r->ro.ctl + 1);
	r->ro.slots = (unsigned char *)(r->ro.ctl + 1) + stamps_bytes(g->capacity);
	r->ro.mask = g->capacity - 1;
	r->ro.capacity = g->capacity;
	r->ro.slot_size = g->slot_size;
}

static void
reset(void *handle)
{
	struct kaos__stamped *r = handle;
	memset(r->ro.ctl, 0, sizeof(*r->ro.ctl));
	/* Relaxed: not shared yet; handing the ring to other threads
	 * publishes these. Every slot starts free for its first sequence. */
	atomic_store_explicit(&r->ro.ctl->tail_limit, r->ro.capacity, memory_order_relaxed);
	for (uint64_t i = 0; i < r->ro.capacity; i++)
		atomic_store_explicit(&r->ro.stamps[i], i, memory_order_relaxed);
}

int
kaos__stamped_memsize(uint64_t capacity, size_t slot_size, size_t *size)
{
	return kaos__ring_memsize(&kaos__stamped_kind, KAOS__SLOTS(capacity, slot_size), size);
}

int
kaos__stamped_init(struct kaos__stamped *r, void *mem, size_t len, uint64_t capacity,
		   size_t slot_size)
{
	return kaos__ring_init(&kaos__stamped_kind, r, mem, len, KAOS__SLOTS(capacity, slot_size));
}

int
kaos__stamped_create(struct kaos__stamped *r, uint64_t capacity, size_t slot_size,
		     enum kaos_mem mem)
{
	return kaos__ring_create(&kaos__stamped_kind, r, KAOS__SLOTS(capacity, slot_size), mem);
}

void
kaos__stamped_destroy(struct kaos__stamped *r)
{
	kaos__ring_destroy(&kaos__stamped_kind, r);
}

/* A role's claim or take, and the batch it fills. */
struct get {
	kaos__stamped_get_fn fn;
	struct kaos_batch *b;
};

KAOS__RING_TRY(try_get, ((struct get *)a->arg)->fn(a->ring, a->n, ((struct get *)a->arg)->b),
	       0)

int64_t
kaos__stamped_wait(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, bool producer,
		   kaos__stamped_get_fn get, const struct kaos_wait *how)
{
	struct get g = { get, b };
	return kaos__ring_wait(&kaos__stamped_kind, r, producer, try_get, r, n, &g, how);
}

void
kaos__stamped_stats(const struct kaos__stamped *r, struct kaos_ring_stats *out)
{
	/* The claim and take cursors: a snapshot. */
	kaos__ring_stats(&kaos__stamped_kind, r, NULL, out);
}

static uint64_t
fill(const void *ring)
{
	/* Only asked when a producer found it full. */
	return ((const struct kaos__stamped *)ring)->ro.capacity;
}

const struct kaos__ring_kind kaos__stamped_kind = {
	.name = "stamped", .unit = "slots", KAOS__RING_HANDLE(struct kaos__stamped),
	.memsize = memsize, .layout = layout, .reset = reset,
	.stats = kaos__ring_ctl_stats, .fill = fill, /* never shared: no endpoint */
};
