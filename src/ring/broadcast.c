/* SPDX-License-Identifier: MIT */
/* Broadcast ring: control plane, joining and leaving, waiting, and its
 * descriptor. */
#include <errno.h>
#include <string.h>

#include <kaos/broadcast.h>

#include "ring.h"

_Static_assert(sizeof(struct kaos_bcast_entry) == 2 * KAOS_CACHELINE,
	       "each consumer entry has a guard line");

static int
memsize(const struct kaos__ring_geom *g, size_t *size)
{
	int rc = kaos__ring_check_slots(g);
	if (rc < 0 || g->consumers == 0 || g->consumers > KAOS_BCAST_MAX_CONSUMERS)
		return -EINVAL;
	return kaos__ring_size(sizeof(struct kaos__ring_ctl) +
				       (size_t)g->consumers * sizeof(struct kaos_bcast_entry),
			       g->capacity, g->slot_size, size);
}

/* The geometry of the public functions' arguments. */
static struct kaos__ring_geom
consumers(uint64_t capacity, size_t slot_size, uint32_t max_consumers)
{
	return (struct kaos__ring_geom){ .capacity = capacity, .slot_size = slot_size,
					 .consumers = max_consumers };
}

static void
layout(void *handle, void *mem, const struct kaos__ring_geom *g)
{
	struct kaos_bcast *ring = handle;
	ring->ro.ctl = mem;
	ring->ro.entries = (struct kaos_bcast_entry *)(ring->ro.ctl + 1);
	ring->ro.array.slots = (unsigned char *)(ring->ro.entries + g->consumers);
	ring->ro.array.mask = g->capacity - 1;
	ring->ro.array.capacity = g->capacity;
	ring->ro.array.slot_size = g->slot_size;
	ring->ro.max_consumers = g->consumers;
}

static void
reset(void *handle)
{
	struct kaos_bcast *ring = handle;
	/* Plain and relaxed: not shared yet. */
	memset(ring->ro.ctl, 0, sizeof(*ring->ro.ctl));
	for (uint32_t i = 0; i < ring->ro.max_consumers; i++)
		atomic_store_explicit(&ring->ro.entries[i].pos, KAOS_BCAST_FREE,
				      memory_order_relaxed);
	ring->prod.bound = ring->ro.array.capacity; /* no consumer: nothing to wait for */
}

static int
resume(void *handle)
{
	struct kaos_bcast *ring = handle;
	/* Acquire: pairs with the previous producer's P1; continue there.
	 * limit == pos: the first claim scans the consumers. */
	ring->prod.pos = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
	ring->prod.bound = ring->prod.pos;
	return 0;
}

int
kaos_bcast_memsize(uint64_t capacity, size_t slot_size, uint32_t max_consumers,
		   size_t *size)
{
	struct kaos__ring_geom g = consumers(capacity, slot_size, max_consumers);
	return kaos__ring_memsize(&kaos__bcast_kind, &g, size);
}

int
kaos_bcast_init(struct kaos_bcast *ring, void *mem, size_t len, uint64_t capacity,
		size_t slot_size, uint32_t max_consumers)
{
	struct kaos__ring_geom g = consumers(capacity, slot_size, max_consumers);
	return kaos__ring_init(&kaos__bcast_kind, ring, mem, len, &g);
}

int
kaos_bcast_attach(struct kaos_bcast *ring, void *mem, size_t len, uint64_t capacity,
		  size_t slot_size, uint32_t max_consumers)
{
	struct kaos__ring_geom g = consumers(capacity, slot_size, max_consumers);
	return kaos__ring_open(&kaos__bcast_kind, ring, mem, len, &g);
}

int
kaos_bcast_create(struct kaos_bcast *ring, uint64_t capacity, size_t slot_size,
		  uint32_t max_consumers, enum kaos_mem mem)
{
	struct kaos__ring_geom g = consumers(capacity, slot_size, max_consumers);
	return kaos__ring_create(&kaos__bcast_kind, ring, &g, mem);
}

void
kaos_bcast_destroy(struct kaos_bcast *ring)
{
	kaos__ring_destroy(&kaos__bcast_kind, ring);
}

/* The slowest joined consumer's position, or @p slowest if it is lower. */
static uint64_t
scan_entries(const struct kaos_bcast *ring, uint64_t slowest)
{
	for (uint32_t i = 0; i < ring->ro.max_consumers; i++) {
		/* P2: pairs with C2; that consumer is done below its entry. */
		uint64_t v = atomic_load_explicit(&ring->ro.entries[i].pos,
						  memory_order_acquire);
		if (v != KAOS_BCAST_FREE && v < slowest)
			slowest = v;
	}
	return slowest;
}

uint64_t
kaos__bcast_refresh_limit(struct kaos_bcast *ring)
{
	/* G1: pairs with J1 in join(). Either a scan sees a joining
	 * consumer's entry, or that consumer's reads after J1 (the tail, its
	 * dependencies' entries) see at least what we saw before the fence
	 * that precedes the scan. Two scans, because one scan reads the
	 * entries one by one: a consumer may join at a low index the scan has
	 * passed, gated on a dependency at a higher index that moves on
	 * before the scan reads it. Whoever is still FREE in the second scan
	 * joined after the fence between the scans, so it starts at or after
	 * what the first scan saw of its dependencies (this last step relies
	 * on multi-copy atomicity for the dependencies' entries, which x86-64
	 * and ARMv8 provide). */
	atomic_thread_fence(memory_order_seq_cst);
	uint64_t slowest = scan_entries(ring, ring->prod.pos); /* none: keep nothing */
	atomic_thread_fence(memory_order_seq_cst);
	slowest = scan_entries(ring, slowest);
	/* A consumer still joining may have registered a position more than a
	 * ring behind us (it starts later, at a fresh tail). Treat it as a
	 * ring behind: no space until it stores where it really starts. */
	if (ring->prod.pos - slowest > ring->ro.array.capacity)
		slowest = ring->prod.pos - ring->ro.array.capacity;
	ring->prod.bound = slowest + ring->ro.array.capacity;
	return ring->prod.bound;
}

/* The lowest position @p c may start at: the tail, or its slowest
 * dependency. */
static uint64_t
start_of(const struct kaos_bcast *ring, struct kaos_bcast_consumer *const *deps,
	 uint32_t ndeps)
{
	/* Acquire: pairs with P1 and with the dependencies' C2. */
	uint64_t start = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
	for (uint32_t i = 0; i < ndeps; i++) {
		uint64_t d = atomic_load_explicit(deps[i]->entry, memory_order_acquire);
		if (d < start)
			start = d;
	}
	return start;
}

/* Join at any free entry, or (@p at below max_consumers) take entry @p at
 * over whatever it holds. */
static int
join(struct kaos_bcast *ring, struct kaos_bcast_consumer *c,
     struct kaos_bcast_consumer *const *deps, uint32_t ndeps, uint32_t at)
{
	if (!ring || !c || ndeps > KAOS_BCAST_MAX_DEPS || (ndeps && !deps))
		return -EINVAL;
	for (uint32_t i = 0; i < ndeps; i++)
		if (!deps[i] || deps[i]->ring != ring || !deps[i]->entry)
			return -EINVAL;

	/* Register at a position no later than where we will start, so the
	 * producer is gated from here on. The CAS is seq_cst as the first
	 * half of the J1/G1 pairing. */
	uint64_t reg = start_of(ring, deps, ndeps);
	_Atomic uint64_t *entry = NULL;
	if (at < ring->ro.max_consumers) {
		entry = &ring->ro.entries[at].pos;
		atomic_exchange_explicit(entry, reg, memory_order_seq_cst);
	}
	for (uint32_t i = 0; i < ring->ro.max_consumers && !entry; i++) {
		uint64_t expected = KAOS_BCAST_FREE;
		if (atomic_compare_exchange_strong_explicit(&ring->ro.entries[i].pos,
							    &expected, reg,
							    memory_order_seq_cst,
							    memory_order_relaxed))
			entry = &ring->ro.entries[i].pos;
	}
	if (!entry)
		return -EBUSY;
	/* J1: pairs with G1 in kaos__bcast_refresh_limit(). */
	atomic_thread_fence(memory_order_seq_cst);

	memset(c, 0, sizeof(*c));
	c->ring = ring;
	c->entry = entry;
	c->ndeps = ndeps;
	for (uint32_t i = 0; i < ndeps; i++)
		c->deps[i] = deps[i]->entry;
	c->cur.pos = start_of(ring, deps, ndeps); /* >= reg: positions only grow */
	c->cur.bound = c->cur.pos;
	/* Release: as C2; we will not read below pos. */
	atomic_store_explicit(entry, c->cur.pos, memory_order_release);
	/* A producer blocked by our provisional entry may now go on. */
	if (ring->ro.notify.blocking)
		kaos_waitpoint_notify(&ring->ro.ctl->data);
	return 0;
}

int
kaos_bcast_join(struct kaos_bcast *ring, struct kaos_bcast_consumer *c)
{
	return join(ring, c, NULL, 0, UINT32_MAX);
}

int
kaos_bcast_join_after(struct kaos_bcast *ring, struct kaos_bcast_consumer *c,
		      struct kaos_bcast_consumer *const *deps, uint32_t ndeps)
{
	if (ndeps == 0)
		return -EINVAL;
	return join(ring, c, deps, ndeps, UINT32_MAX);
}

/* Free entry @p index of a consumer known to be gone (IPC holds that
 * slot's lock). */
static void
evict(void *ep, uint32_t index)
{
	struct kaos_bcast *ring = ep;
	if (index >= ring->ro.max_consumers)
		return;
	/* Release: as leave(); the consumer is gone, nothing to order but
	 * the producer may now reuse what it held. */
	atomic_store_explicit(&ring->ro.entries[index].pos, KAOS_BCAST_FREE,
			      memory_order_release);
	if (ring->ro.notify.blocking)
		kaos_waitpoint_notify(&ring->ro.ctl->data);
}

void
kaos_bcast_leave(struct kaos_bcast_consumer *c)
{
	if (!c || !c->entry)
		return;
	/* Release: our reads of the slots are done before the producer stops
	 * waiting for us. */
	atomic_store_explicit(c->entry, KAOS_BCAST_FREE, memory_order_release);
	if (c->ring->ro.notify.blocking)
		kaos_waitpoint_notify(&c->ring->ro.ctl->data);
	memset(c, 0, sizeof(*c));
}

/* ---- waiting -------------------------------------------------------------- */

KAOS__RING_TRY(try_claim, kaos_bcast_claim(a->ring, a->n, a->arg), 0)
KAOS__RING_TRY(try_push, kaos_bcast_push(a->ring, a->arg), -KAOS_EFULL)
KAOS__RING_TRY(try_peek, kaos_bcast_peek(a->ring, a->n, a->arg), 0)
KAOS__RING_TRY(try_pop, kaos_bcast_pop(a->ring, a->arg), -KAOS_EEMPTY)

int64_t
kaos_bcast_claim_wait(struct kaos_bcast *ring, uint64_t n, void **slots,
		      const struct kaos_wait *how)
{
	return kaos__ring_wait(&kaos__bcast_kind, ring, true, try_claim, ring, n, slots, how);
}

int
kaos_bcast_push_wait(struct kaos_bcast *ring, const void *src, const struct kaos_wait *how)
{
	return (int)kaos__ring_wait(&kaos__bcast_kind, ring, true, try_push, ring, 1,
				    (void *)(uintptr_t)src, how);
}

int64_t
kaos_bcast_peek_wait(struct kaos_bcast_consumer *c, uint64_t n, void **slots,
		     const struct kaos_wait *how)
{
	return kaos__ring_wait(&kaos__bcast_kind, c ? c->ring : NULL, false, try_peek, c, n,
			       slots, how);
}

int
kaos_bcast_pop_wait(struct kaos_bcast_consumer *c, void *dst, const struct kaos_wait *how)
{
	return (int)kaos__ring_wait(&kaos__bcast_kind, c ? c->ring : NULL, false, try_pop, c, 1,
				    dst, how);
}

/* ---- statistics and the descriptor --------------------------------------- */

static uint64_t
consumer_at(const struct kaos__ring_view *v, const struct kaos__ring_geom *g, uint32_t i)
{
	if (i >= g->consumers)
		return KAOS_BCAST_FREE;
	/* Acquire (kaos__ring_load): as P2. */
	return kaos__ring_load(v, sizeof(struct kaos__ring_ctl) +
					  (size_t)i * sizeof(struct kaos_bcast_entry));
}

/* consumed: the slowest joined consumer (published when none is). */
static void
stats(const struct kaos__ring_view *v, const struct kaos__ring_geom *g,
      struct kaos_ring_stats *out)
{
	kaos__ring_ctl_stats(v, g, out);
	out->consumed = out->published;
	for (uint32_t i = 0; i < g->consumers; i++) {
		uint64_t p = consumer_at(v, g, i);
		if (p != KAOS_BCAST_FREE && p < out->consumed)
			out->consumed = p;
	}
}

void
kaos_bcast_stats(const struct kaos_bcast *ring, struct kaos_ring_stats *out)
{
	const struct kaos__ring_geom g = consumers(ring->ro.array.capacity, ring->ro.array.slot_size,
						   ring->ro.max_consumers);
	kaos__ring_stats(&kaos__bcast_kind, ring, &g, out);
}

static uint64_t
fill(const void *ring)
{
	/* The producer's view (its thread only): its position less the
	 * slowest consumer's, as of its last scan. */
	const struct kaos_bcast *r = ring;
	return r->prod.pos - (r->prod.bound - r->ro.array.capacity);
}

/* What one process holds of a broadcast ring in shared memory. */
struct endpoint {
	struct kaos_bcast ring;
	struct kaos_bcast_consumer cons;
};

/* A consumer joins at its own entry whatever it holds: the entry's
 * previous owner is gone (IPC holds that slot's lock). */
static int
join_entry(void *vep, const struct kaos__ring_role *role)
{
	struct endpoint *ep = vep;
	if (role->producer)
		return 0;
	return role->index < ep->ring.ro.max_consumers
		       ? join(&ep->ring, &ep->cons, NULL, 0, role->index)
		       : -EINVAL;
}

static void
detach(void *vep, const struct kaos__ring_role *role)
{
	struct endpoint *ep = vep;
	if (!role->producer)
		kaos_bcast_leave(&ep->cons);
}

static int
send(void *ep, uint32_t type, const void *data, size_t len)
{
	struct kaos_bcast *ring = ep;
	if (type || len != ring->ro.array.slot_size)
		return -EINVAL;
	return kaos_bcast_push(ring, data);
}

static int64_t
receive(void *vep, kaos_msg_handler_fn fn, void *ctx, uint64_t limit)
{
	struct endpoint *ep = vep;
	struct kaos__slot_message m = { fn, ctx, ep->ring.ro.array.slot_size };
	return (int64_t)kaos_bcast_poll(&ep->cons, kaos__deliver_slot, &m, limit);
}

const struct kaos__ring_kind kaos__bcast_kind = {
	.name = "bcast", .unit = "slots", .one_waitpoint = true,
	KAOS__RING_HANDLE(struct kaos_bcast),
	.memsize = memsize, .layout = layout, .reset = reset, .resume = resume,
	.stats = stats, .fill = fill,
	.endpoint_size = sizeof(struct endpoint), .consumer_offset = offsetof(struct endpoint, cons),
	.join = join_entry, .detach = detach, .send = send, .receive = receive,
	.consumer_at = consumer_at, .evict = evict,
};
