/* SPDX-License-Identifier: MIT */
/* What the ring kinds' control planes share: geometry checks, create and
 * destroy, the control block's statistics, and the one wait loop. */
#include <errno.h>
#include <string.h>

#include "../trace/hooks.h"
#include "ring.h"

_Static_assert(offsetof(struct kaos__ring_ctl, head) == 2 * KAOS_CACHELINE,
	       "tail and head need a guard line between them");
_Static_assert(offsetof(struct kaos__ring_ctl, data) == 4 * KAOS_CACHELINE &&
		       offsetof(struct kaos__ring_ctl, full) == 5 * KAOS_CACHELINE &&
		       sizeof(struct kaos__ring_ctl) == 6 * KAOS_CACHELINE,
	       "waitpoints on a line of their own, then the full counter's; "
	       "what follows the control block starts on a line");

int
kaos__ring_bad_count(uint64_t capacity, uint64_t n)
{
	return n == 0 ? -EINVAL : n > capacity ? -KAOS_ETOOBIG : 0;
}

uint64_t
kaos__ring_load(const struct kaos__ring_view *v, size_t off)
{
	if (!v->mem)
		return v->read(v->ctx, off);
	/* Acquire: a snapshot taken after the stores it pairs with (each
	 * kind's releases of its positions) sees what they published. */
	return atomic_load_explicit(
		(const _Atomic uint64_t *)(const void *)((const unsigned char *)v->mem + off),
		memory_order_acquire);
}

int
kaos__ring_check_slots(const struct kaos__ring_geom *g)
{
	if (g->capacity < 2 || g->capacity > ((uint64_t)1 << 32) ||
	    (g->capacity & (g->capacity - 1)) || g->slot_size == 0 || g->slot_size % 8 ||
	    g->multi_producer || g->crc)
		return -EINVAL;
	return 0;
}

int
kaos__ring_size(size_t fixed, uint64_t count, size_t item, size_t *size)
{
	/* Room for the round-up below too. */
	if (fixed > SIZE_MAX - KAOS_CACHELINE ||
	    (item && count > (SIZE_MAX - KAOS_CACHELINE - fixed) / item))
		return -EOVERFLOW;
	size_t bytes = fixed + (size_t)count * item;
	*size = (bytes + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
	return 0;
}

int
kaos__ring_memsize(const struct kaos__ring_kind *kind, const struct kaos__ring_geom *g,
		   size_t *size)
{
	return size ? kind->memsize(g, size) : -EINVAL;
}

/* Check the arguments, zero the handle and lay it over the ring. */
static int
place(const struct kaos__ring_kind *kind, void *handle, void *mem, size_t len,
      const struct kaos__ring_geom *g)
{
	size_t need;
	int rc;

	if (!handle || !mem || (uintptr_t)mem % KAOS_CACHELINE)
		return -EINVAL;
	if ((rc = kind->memsize(g, &need)) < 0)
		return rc;
	if (len < need)
		return -ENOBUFS;
	memset(handle, 0, kind->handle_size);
	kind->layout(handle, mem, g);
	return 0;
}

int
kaos__ring_init(const struct kaos__ring_kind *kind, void *handle, void *mem, size_t len,
		const struct kaos__ring_geom *g)
{
	int rc = place(kind, handle, mem, len, g);
	if (rc == 0)
		kind->reset(handle);
	return rc;
}

int
kaos__ring_open(const struct kaos__ring_kind *kind, void *handle, void *mem, size_t len,
		const struct kaos__ring_geom *g)
{
	int rc = place(kind, handle, mem, len, g);
	return rc < 0 || !kind->resume ? rc : kind->resume(handle);
}

int
kaos__ring_create(const struct kaos__ring_kind *kind, void *handle,
		  const struct kaos__ring_geom *g, enum kaos_mem mem)
{
	struct kaos_region region;
	size_t need;
	int rc;

	if (!handle)
		return -EINVAL;
	if ((rc = kind->memsize(g, &need)) < 0)
		return rc;
	if ((rc = kaos_region_alloc(&region, need, mem)) < 0)
		return rc;
	if ((rc = kaos__ring_init(kind, handle, region.base, region.len, g)) < 0) {
		kaos_region_free(&region);
		return rc;
	}
	memcpy((unsigned char *)handle + kind->region_offset, &region, sizeof(region));
	return 0;
}

void
kaos__ring_destroy(const struct kaos__ring_kind *kind, void *handle)
{
	if (!handle)
		return;
	kaos_region_free((struct kaos_region *)(void *)((unsigned char *)handle +
							 kind->region_offset));
	memset(handle, 0, kind->handle_size);
}

#define CTL_WORD(field) offsetof(struct kaos__ring_ctl, field)

void
kaos__ring_ctl_stats(const struct kaos__ring_view *v, const struct kaos__ring_geom *g,
		     struct kaos_ring_stats *out)
{
	(void)g;
	/* Tail, then head (acquire, see kaos__ring_load): the head read
	 * later is at least the one the tail was written against, so the
	 * snapshot never shows the producer more than a ring ahead; the
	 * consumer may have passed that tail meanwhile (clamped below). */
	out->published = kaos__ring_load(v, CTL_WORD(tail));
	out->consumed = kaos__ring_load(v, CTL_WORD(head));
	out->full = kaos__ring_load(v, CTL_WORD(full));
	out->waits = kaos__ring_load(v, CTL_WORD(data.waits)) +
		     kaos__ring_load(v, CTL_WORD(space.waits));
	out->wakes = kaos__ring_load(v, CTL_WORD(data.wakes)) +
		     kaos__ring_load(v, CTL_WORD(space.wakes));
	/* A moving or a damaged ring may show the head past the tail. */
	if (out->published < out->consumed)
		out->published = out->consumed;
}

/* The handle's control block and notify settings, where the descriptor
 * says they are. */
static struct kaos__ring_ctl *
ctl_of(const struct kaos__ring_kind *kind, const void *handle)
{
	struct kaos__ring_ctl *ctl;
	memcpy(&ctl, (const unsigned char *)handle + kind->ctl_offset, sizeof(ctl));
	return ctl;
}

static struct kaos__ring_notify *
notify_of(const struct kaos__ring_kind *kind, void *handle)
{
	return (struct kaos__ring_notify *)(void *)((unsigned char *)handle +
						    kind->notify_offset);
}

void
kaos__ring_stats(const struct kaos__ring_kind *kind, const void *handle,
		 const struct kaos__ring_geom *g, struct kaos_ring_stats *out)
{
	const struct kaos__ring_view v = { ctl_of(kind, handle), NULL, NULL };
	kind->stats(&v, g, out);
}

int
kaos__ring_attach(const struct kaos__ring_kind *kind, void *ep, void *mem, size_t len,
		  const struct kaos__ring_geom *g, const struct kaos__ring_role *role)
{
	int rc = kaos__ring_open(kind, ep, mem, len, g);
	if (rc < 0)
		return rc;
	*notify_of(kind, ep) = role->notify;
	return kind->join ? kind->join(ep, role) : 0;
}

int
kaos__deliver_slot(void *slot, uint64_t seq, bool end_of_batch, void *ctx)
{
	const struct kaos__slot_message *m = ctx;
	(void)seq;
	(void)end_of_batch;
	m->fn(0, slot, m->size, m->ctx);
	return 0;
}

int64_t
kaos__ring_wait(const struct kaos__ring_kind *kind, const void *ring, bool producer,
		kaos_ready_fn attempt, void *target, uint64_t n, void *arg,
		const struct kaos_wait *how)
{
	if (!ring)
		return -EINVAL;
	const struct kaos__ring_notify *nt = notify_of(kind, (void *)(uintptr_t)ring);
	if (how && how->kind == KAOS_WAIT_BLOCK && !nt->blocking)
		return -EINVAL; /* nobody would wake us */
	struct kaos__ring_ctl *ctl = ctl_of(kind, ring);
	struct kaos_waitpoint *wp = producer && !kind->one_waitpoint ? &ctl->space : &ctl->data;
	struct kaos__attempt a = { target, n, arg, 0 };
	/* A producer waiting is backpressure; a consumer waiting is idle. */
	int rc = KAOS_TRACE_WAIT_UNTIL(producer, kind->fill, ring, how, wp, nt->wait_bit, attempt,
				       &a);
	return rc < 0 ? rc : a.got;
}
