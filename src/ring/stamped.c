/* SPDX-License-Identifier: MIT */
/* Control plane and waiting for the stamped rings (MPSC, SPMC, MPMC). */
#include <errno.h>
#include <string.h>

#define KAOS_MPMC_H /* the engine is shared; any kind header may include it */
#include <kaos/detail/stamped.h>
#include <kaos/trace.h>

_Static_assert(sizeof(struct kaos__stamped_hdr) == 6 * KAOS_CACHELINE,
	       "cursors two lines apart, waitpoints on a line of their own");
_Static_assert(offsetof(struct kaos__stamped_hdr, rpos) == 2 * KAOS_CACHELINE,
	       "wpos and rpos need a guard line between them");

static size_t
stamps_bytes(uint64_t capacity)
{
	size_t b = (size_t)capacity * sizeof(uint64_t);
	return (b + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
}

int
kaos__stamped_memsize(uint64_t capacity, size_t slot_size, size_t *size)
{
	if (!size || capacity < 2 || capacity > ((uint64_t)1 << 32) ||
	    (capacity & (capacity - 1)) || slot_size == 0 || slot_size % 8)
		return -EINVAL;
	/* header, the stamps' round-up, and the final round-up */
	size_t fixed = sizeof(struct kaos__stamped_hdr) + 2 * KAOS_CACHELINE;
	if (slot_size > SIZE_MAX - sizeof(uint64_t) ||
	    capacity > (SIZE_MAX - fixed) / (slot_size + sizeof(uint64_t)))
		return -EOVERFLOW;
	size_t bytes = sizeof(struct kaos__stamped_hdr) + stamps_bytes(capacity) +
		       (size_t)capacity * slot_size;
	*size = (bytes + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
	return 0;
}

int
kaos__stamped_init(struct kaos__stamped *r, void *mem, size_t len,
		   uint64_t capacity, size_t slot_size)
{
	size_t need;
	int rc;

	if (!r || !mem || (uintptr_t)mem % KAOS_CACHELINE)
		return -EINVAL;
	if ((rc = kaos__stamped_memsize(capacity, slot_size, &need)) < 0)
		return rc;
	if (len < need)
		return -ENOBUFS;
	memset(r, 0, sizeof(*r));
	struct kaos__stamped_hdr *hdr = mem;
	memset(hdr, 0, sizeof(*hdr));
	r->ro.hdr = hdr;
	r->ro.stamps = (_Atomic uint64_t *)(hdr + 1);
	r->ro.slots = (unsigned char *)(hdr + 1) + stamps_bytes(capacity);
	r->ro.mask = capacity - 1;
	r->ro.capacity = capacity;
	r->ro.slot_size = slot_size;
	/* Relaxed: not shared yet; handing the ring to other threads
	 * publishes these. Every slot starts free for its first sequence. */
	atomic_store_explicit(&hdr->wpos, 0, memory_order_relaxed);
	atomic_store_explicit(&hdr->wlimit, capacity, memory_order_relaxed);
	atomic_store_explicit(&hdr->rpos, 0, memory_order_relaxed);
	for (uint64_t i = 0; i < capacity; i++)
		atomic_store_explicit(&r->ro.stamps[i], i, memory_order_relaxed);
	return 0;
}

int
kaos__stamped_create(struct kaos__stamped *r, uint64_t capacity, size_t slot_size,
		     enum kaos_mem mem)
{
	struct kaos_region region;
	size_t need;
	int rc;

	if (!r)
		return -EINVAL;
	if ((rc = kaos__stamped_memsize(capacity, slot_size, &need)) < 0)
		return rc;
	if ((rc = kaos_region_alloc(&region, need, mem)) < 0)
		return rc;
	if ((rc = kaos__stamped_init(r, region.base, region.len, capacity, slot_size)) < 0) {
		kaos_region_free(&region);
		return rc;
	}
	r->ro.region = region;
	return 0;
}

void
kaos__stamped_destroy(struct kaos__stamped *r)
{
	if (!r)
		return;
	kaos_region_free(&r->ro.region);
	memset(r, 0, sizeof(*r));
}

int
kaos__stamped_bad_count(const struct kaos__stamped *r, uint64_t n)
{
	return n == 0 ? -EINVAL : n > r->ro.capacity ? -KAOS_ETOOBIG : 0;
}

/* A claim or take retried by kaos_wait_until() until it gets slots. */
struct attempt {
	struct kaos__stamped *r;
	uint64_t n;
	struct kaos_batch *b;
	bool mp, mc;
	int64_t got;
};

static bool
try_claim(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos__stamped_claim(a->r, a->n, a->b, a->r->ro.slot_size, a->mp, a->mc);
	return a->got != 0;
}

static bool
try_take(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos__stamped_take(a->r, a->n, a->b, a->r->ro.slot_size, a->mp, a->mc);
	return a->got != 0;
}

int64_t
kaos__stamped_claim_wait(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
			 bool mp, bool mc, const struct kaos_wait *how)
{
	struct attempt a = { r, n, b, mp, mc, 0 };
	if (how && how->kind == KAOS_WAIT_BLOCK && !r->ro.blocking)
		return -EINVAL; /* nobody would wake us */
	/* A producer waiting: backpressure (reported once per wait). */
	int rc = KAOS_TRACE_WAIT_UNTIL(true, STAMPED, r, how, &r->ro.hdr->space,
				       try_claim, &a);
	return rc < 0 ? rc : a.got;
}

int64_t
kaos__stamped_take_wait(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
			bool mp, bool mc, const struct kaos_wait *how)
{
	struct attempt a = { r, n, b, mp, mc, 0 };
	if (how && how->kind == KAOS_WAIT_BLOCK && !r->ro.blocking)
		return -EINVAL; /* nobody would wake us */
	int rc = kaos_wait_until(how, &r->ro.hdr->data, try_take, &a);
	return rc < 0 ? rc : a.got;
}

void
kaos__stamped_stats(const struct kaos__stamped *r, struct kaos_ring_stats *out)
{
	const struct kaos__stamped_hdr *h = r->ro.hdr;
	/* Acquire: a snapshot of the claim and take cursors (consumers first,
	 * so consumed <= published). Relaxed for the statistics. */
	out->consumed = atomic_load_explicit(&h->rpos, memory_order_acquire);
	out->published = atomic_load_explicit(&h->wpos, memory_order_acquire);
	out->full = atomic_load_explicit(&h->full, memory_order_relaxed);
	out->waits = atomic_load_explicit(&h->data.waits, memory_order_relaxed) +
		     atomic_load_explicit(&h->space.waits, memory_order_relaxed);
	out->wakes = atomic_load_explicit(&h->data.wakes, memory_order_relaxed) +
		     atomic_load_explicit(&h->space.wakes, memory_order_relaxed);
}
