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

int
kaos__stamped_memsize(uint64_t capacity, size_t slot_size, size_t *size)
{
	struct kaos__ring_geom g = { .capacity = capacity, .slot_size = slot_size };
	return size ? memsize(&g, size) : -EINVAL;
}

static int
init(void *handle, void *mem, size_t len, const struct kaos__ring_geom *g)
{
	struct kaos__stamped *r = handle;
	int rc = kaos__ring_check_mem(&kaos__stamped_kind, r, mem, len, g);
	if (rc < 0)
		return rc;
	memset(r, 0, sizeof(*r));
	struct kaos__ring_ctl *ctl = mem;
	memset(ctl, 0, sizeof(*ctl));
	r->ro.ctl = ctl;
	r->ro.stamps = (_Atomic uint64_t *)(ctl + 1);
	r->ro.slots = (unsigned char *)(ctl + 1) + stamps_bytes(g->capacity);
	r->ro.mask = g->capacity - 1;
	r->ro.capacity = g->capacity;
	r->ro.slot_size = g->slot_size;
	/* Relaxed: not shared yet; handing the ring to other threads
	 * publishes these. Every slot starts free for its first sequence. */
	atomic_store_explicit(&ctl->tail_limit, g->capacity, memory_order_relaxed);
	for (uint64_t i = 0; i < g->capacity; i++)
		atomic_store_explicit(&r->ro.stamps[i], i, memory_order_relaxed);
	return 0;
}

int
kaos__stamped_init(struct kaos__stamped *r, void *mem, size_t len, uint64_t capacity,
		   size_t slot_size)
{
	struct kaos__ring_geom g = { .capacity = capacity, .slot_size = slot_size };
	return init(r, mem, len, &g);
}

int
kaos__stamped_create(struct kaos__stamped *r, uint64_t capacity, size_t slot_size,
		     enum kaos_mem mem)
{
	struct kaos__ring_geom g = { .capacity = capacity, .slot_size = slot_size };
	return kaos__ring_create(&kaos__stamped_kind, r, &g, mem);
}

void
kaos__stamped_destroy(struct kaos__stamped *r)
{
	kaos__ring_destroy(&kaos__stamped_kind, r);
}

/* A claim or take retried by the wait loop until it gets slots. */
struct get {
	kaos__stamped_get_fn get;
	struct kaos_batch *b;
};

KAOS__RING_TRY(try_get, ((struct get *)a->arg)->get(a->ring, a->n, ((struct get *)a->arg)->b),
	       0)

int64_t
kaos__stamped_wait(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, bool producer,
		   kaos__stamped_get_fn get, const struct kaos_wait *how)
{
	const struct kaos__ring_waiter w = { &kaos__stamped_kind, r, r->ro.ctl, r->ro.blocking,
					     r->ro.wait_bit };
	struct get g = { get, b };
	struct kaos__attempt a = { r, n, &g, 0 };
	int rc = kaos__ring_wait(&w, producer, producer ? &r->ro.ctl->space : &r->ro.ctl->data,
				 try_get, &a, how);
	return rc < 0 ? rc : a.got;
}

void
kaos__stamped_stats(const struct kaos__stamped *r, struct kaos_ring_stats *out)
{
	/* The claim and take cursors: a snapshot. */
	const struct kaos__ring_view v = { r->ro.ctl, NULL, NULL };
	kaos__ring_ctl_stats(&v, out);
}

static void
stats(const struct kaos__ring_view *v, const struct kaos__ring_geom *g,
      struct kaos_ring_stats *out)
{
	(void)g;
	kaos__ring_ctl_stats(v, out);
}

static uint64_t
fill(const void *ring)
{
	/* Only asked when a producer found it full. */
	return ((const struct kaos__stamped *)ring)->ro.capacity;
}

const struct kaos__ring_kind kaos__stamped_kind = {
	.name = "stamped",
	.unit = "slots",
	.handle_size = sizeof(struct kaos__stamped),
	.region_offset = offsetof(struct kaos__stamped, ro.region),
	.memsize = memsize,
	.init = init,
	.stats = stats,
	.fill = fill,
};
