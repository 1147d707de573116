/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <kaos/spsc.h>

_Static_assert(sizeof(struct kaos_spsc_cursors) % KAOS_CACHELINE == 0,
	       "slots must start on a cache line");
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t) &&
		       offsetof(struct kaos_spsc_cursors, head) == 2 * KAOS_CACHELINE &&
		       sizeof(struct kaos_spsc_cursors) == 4 * KAOS_CACHELINE,
	       "tail and head need a guard line between them");
_Static_assert(offsetof(struct kaos_spsc, cons) - offsetof(struct kaos_spsc, prod) >=
		       KAOS_CACHELINE &&
		       offsetof(struct kaos_spsc, ro) - offsetof(struct kaos_spsc, cons) >=
			       KAOS_CACHELINE,
	       "producer, consumer and read-only fields need lines of their own");

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

int
kaos_spsc_init(struct kaos_spsc *ring, void *mem, size_t len, uint64_t capacity,
	       size_t slot_size)
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
	struct kaos_spsc_cursors *cur = mem;
	/* Relaxed: the ring is not shared yet; whoever hands it to the other
	 * thread (thread creation, a release store) publishes these. */
	atomic_store_explicit(&cur->tail, 0, memory_order_relaxed);
	atomic_store_explicit(&cur->head, 0, memory_order_relaxed);
	ring->ro.cur = cur;
	ring->ro.slots = (unsigned char *)mem + sizeof(*cur);
	ring->ro.mask = capacity - 1;
	ring->ro.capacity = capacity;
	ring->ro.slot_size = slot_size;
	ring->prod.limit = capacity; /* head is 0 */
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

int
kaos__spsc_bad_count(const struct kaos_spsc *ring, uint64_t n)
{
	return n == 0 ? -EINVAL : n > ring->ro.capacity ? -KAOS_ETOOBIG : 0;
}
