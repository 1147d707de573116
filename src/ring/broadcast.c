/* SPDX-License-Identifier: MIT */
/* Broadcast ring: control plane, joining and leaving, waiting. */
#include <errno.h>
#include <string.h>

#include <kaos/broadcast.h>
#include <kaos/trace.h>

_Static_assert(sizeof(struct kaos_bcast_hdr) == 5 * KAOS_CACHELINE, "header lines");
_Static_assert(sizeof(struct kaos_bcast_entry) == 2 * KAOS_CACHELINE,
	       "each consumer entry has a guard line");

int
kaos_bcast_memsize(uint64_t capacity, size_t slot_size, uint32_t max_consumers,
		   size_t *size)
{
	if (!size || capacity < 2 || capacity > ((uint64_t)1 << 32) ||
	    (capacity & (capacity - 1)) || slot_size == 0 || slot_size % 8 ||
	    max_consumers == 0 || max_consumers > KAOS_BCAST_MAX_CONSUMERS)
		return -EINVAL;
	size_t fixed = sizeof(struct kaos_bcast_hdr) +
		       (size_t)max_consumers * sizeof(struct kaos_bcast_entry);
	if (capacity > (SIZE_MAX - fixed - KAOS_CACHELINE) / slot_size)
		return -EOVERFLOW; /* room left for the round-up below */
	*size = fixed + (size_t)capacity * slot_size; /* a multiple of 8 */
	*size = (*size + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
	return 0;
}

/* Fill the handle's fields for a ring in @p mem. */
static int
setup(struct kaos_bcast *ring, void *mem, size_t len, uint64_t capacity,
      size_t slot_size, uint32_t max_consumers)
{
	size_t need;
	int rc;

	if (!ring || !mem || (uintptr_t)mem % KAOS_CACHELINE)
		return -EINVAL;
	if ((rc = kaos_bcast_memsize(capacity, slot_size, max_consumers, &need)) < 0)
		return rc;
	if (len < need)
		return -ENOBUFS;
	memset(ring, 0, sizeof(*ring));
	ring->ro.hdr = mem;
	ring->ro.entries = (struct kaos_bcast_entry *)(ring->ro.hdr + 1);
	ring->ro.slots = (unsigned char *)(ring->ro.entries + max_consumers);
	ring->ro.mask = capacity - 1;
	ring->ro.capacity = capacity;
	ring->ro.slot_size = slot_size;
	ring->ro.max_consumers = max_consumers;
	return 0;
}

int
kaos_bcast_attach(struct kaos_bcast *ring, void *mem, size_t len, uint64_t capacity,
		  size_t slot_size, uint32_t max_consumers)
{
	int rc = setup(ring, mem, len, capacity, slot_size, max_consumers);
	if (rc < 0)
		return rc;
	/* Acquire: pairs with the previous producer's P1; continue there.
	 * limit == pos: the first claim scans the consumers. */
	ring->prod.pos = atomic_load_explicit(&ring->ro.hdr->tail, memory_order_acquire);
	ring->prod.limit = ring->prod.pos;
	return 0;
}

int
kaos_bcast_init(struct kaos_bcast *ring, void *mem, size_t len, uint64_t capacity,
		size_t slot_size, uint32_t max_consumers)
{
	int rc = setup(ring, mem, len, capacity, slot_size, max_consumers);
	if (rc < 0)
		return rc;
	struct kaos_bcast_hdr *hdr = ring->ro.hdr;
	memset(hdr, 0, sizeof(*hdr));
	/* Relaxed: not shared yet. */
	atomic_store_explicit(&hdr->tail, 0, memory_order_relaxed);
	for (uint32_t i = 0; i < max_consumers; i++)
		atomic_store_explicit(&ring->ro.entries[i].pos, KAOS_BCAST_FREE,
				      memory_order_relaxed);
	ring->prod.limit = capacity; /* no consumer: nothing to wait for */
	return 0;
}

int
kaos_bcast_create(struct kaos_bcast *ring, uint64_t capacity, size_t slot_size,
		  uint32_t max_consumers, enum kaos_mem mem)
{
	struct kaos_region region;
	size_t need;
	int rc;

	if (!ring)
		return -EINVAL;
	if ((rc = kaos_bcast_memsize(capacity, slot_size, max_consumers, &need)) < 0)
		return rc;
	if ((rc = kaos_region_alloc(&region, need, mem)) < 0)
		return rc;
	if ((rc = kaos_bcast_init(ring, region.base, region.len, capacity, slot_size,
				  max_consumers)) < 0) {
		kaos_region_free(&region);
		return rc;
	}
	ring->ro.region = region;
	return 0;
}

void
kaos_bcast_destroy(struct kaos_bcast *ring)
{
	if (!ring)
		return;
	kaos_region_free(&ring->ro.region);
	memset(ring, 0, sizeof(*ring));
}

int
kaos__bcast_bad_count(uint64_t capacity, uint64_t n)
{
	return n == 0 ? -EINVAL : n > capacity ? -KAOS_ETOOBIG : 0;
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
	if (ring->prod.pos - slowest > ring->ro.capacity)
		slowest = ring->prod.pos - ring->ro.capacity;
	ring->prod.limit = slowest + ring->ro.capacity;
	return ring->prod.limit;
}

/* The lowest position @p c may start at: the tail, or its slowest
 * dependency. */
static uint64_t
start_of(const struct kaos_bcast *ring, struct kaos_bcast_consumer *const *deps,
	 uint32_t ndeps)
{
	/* Acquire: pairs with P1 and with the dependencies' C2. */
	uint64_t start = atomic_load_explicit(&ring->ro.hdr->tail, memory_order_acquire);
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
	c->pos = start_of(ring, deps, ndeps); /* >= reg: positions only grow */
	c->avail = c->pos;
	/* Release: as C2; we will not read below pos. */
	atomic_store_explicit(entry, c->pos, memory_order_release);
	/* A producer blocked by our provisional entry may now go on. */
	if (ring->ro.blocking)
		kaos_waitpoint_notify(&ring->ro.hdr->progress);
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

int
kaos__bcast_join_at(struct kaos_bcast *ring, struct kaos_bcast_consumer *c, uint32_t index)
{
	if (!ring || index >= ring->ro.max_consumers)
		return -EINVAL;
	return join(ring, c, NULL, 0, index);
}

void
kaos__bcast_evict(struct kaos_bcast *ring, uint32_t index)
{
	if (!ring || index >= ring->ro.max_consumers)
		return;
	/* Release: as leave(); the consumer is gone, nothing to order but
	 * the producer may now reuse what it held. */
	atomic_store_explicit(&ring->ro.entries[index].pos, KAOS_BCAST_FREE,
			      memory_order_release);
	if (ring->ro.blocking)
		kaos_waitpoint_notify(&ring->ro.hdr->progress);
}

uint64_t
kaos__bcast_entry(const struct kaos_bcast *ring, uint32_t index)
{
	if (!ring || index >= ring->ro.max_consumers)
		return KAOS_BCAST_FREE;
	/* Acquire: as P2. */
	return atomic_load_explicit(&ring->ro.entries[index].pos, memory_order_acquire);
}

void
kaos_bcast_leave(struct kaos_bcast_consumer *c)
{
	if (!c || !c->entry)
		return;
	/* Release: our reads of the slots are done before the producer stops
	 * waiting for us. */
	atomic_store_explicit(c->entry, KAOS_BCAST_FREE, memory_order_release);
	if (c->ring->ro.blocking)
		kaos_waitpoint_notify(&c->ring->ro.hdr->progress);
	memset(c, 0, sizeof(*c));
}

/* ---- waiting -------------------------------------------------------------- */

struct attempt {
	struct kaos_bcast *ring;
	struct kaos_bcast_consumer *c;
	uint64_t n;
	void **slots;
	const void *src;
	void *dst;
	int64_t got;
};

static bool
try_claim(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_bcast_claim(a->ring, a->n, a->slots);
	return a->got != 0;
}

static bool
try_push(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_bcast_push(a->ring, a->src);
	return a->got != -KAOS_EFULL;
}

static bool
try_peek(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_bcast_peek(a->c, a->n, a->slots);
	return a->got != 0;
}

static bool
try_pop(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_bcast_pop(a->c, a->dst);
	return a->got != -KAOS_EEMPTY;
}

static int64_t
wait_for(struct kaos_bcast *ring, kaos_ready_fn fn, struct attempt *a,
	 const struct kaos_wait *how)
{
	if (!ring)
		return -EINVAL;
	if (how && how->kind == KAOS_WAIT_BLOCK && !ring->ro.blocking)
		return -EINVAL; /* nobody would wake us */
	/* The producer (no consumer handle) waiting is backpressure. */
	int rc = KAOS_TRACE_WAIT_UNTIL(!a->c, BCAST, ring, how, &ring->ro.hdr->progress,
				       fn, a);
	return rc < 0 ? rc : a->got;
}

int64_t
kaos_bcast_claim_wait(struct kaos_bcast *ring, uint64_t n, void **slots,
		      const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .n = n, .slots = slots };
	return wait_for(ring, try_claim, &a, how);
}

int
kaos_bcast_push_wait(struct kaos_bcast *ring, const void *src, const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .src = src };
	return (int)wait_for(ring, try_push, &a, how);
}

int64_t
kaos_bcast_peek_wait(struct kaos_bcast_consumer *c, uint64_t n, void **slots,
		     const struct kaos_wait *how)
{
	struct attempt a = { .c = c, .n = n, .slots = slots };
	return wait_for(c ? c->ring : NULL, try_peek, &a, how);
}

int
kaos_bcast_pop_wait(struct kaos_bcast_consumer *c, void *dst, const struct kaos_wait *how)
{
	struct attempt a = { .c = c, .dst = dst };
	return (int)wait_for(c ? c->ring : NULL, try_pop, &a, how);
}

void
kaos_bcast_stats(const struct kaos_bcast *ring, struct kaos_ring_stats *out)
{
	const struct kaos_bcast_hdr *h = ring->ro.hdr;
	/* Acquire: pairs with P1 and each consumer's C2; a snapshot. */
	out->published = atomic_load_explicit(&h->tail, memory_order_acquire);
	out->consumed = out->published;
	for (uint32_t i = 0; i < ring->ro.max_consumers; i++) {
		uint64_t p = atomic_load_explicit(&ring->ro.entries[i].pos, memory_order_acquire);
		if (p != KAOS_BCAST_FREE && p < out->consumed)
			out->consumed = p;
	}
	/* Relaxed: statistics. */
	out->full = atomic_load_explicit(&h->full, memory_order_relaxed);
	out->waits = atomic_load_explicit(&h->progress.waits, memory_order_relaxed);
	out->wakes = atomic_load_explicit(&h->progress.wakes, memory_order_relaxed);
}
