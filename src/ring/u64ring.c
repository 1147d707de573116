/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <kaos/trace.h>
#include <kaos/u64ring.h>

#define PER_LINE KAOS_U64RING_PER_LINE

_Static_assert(sizeof(struct kaos_u64ring_line) == 64, "a line is 64 bytes");
_Static_assert(sizeof(struct kaos_u64ring_ctl) % KAOS_CACHELINE == 0 &&
		       offsetof(struct kaos_u64ring_ctl, head) == 2 * KAOS_CACHELINE,
	       "tail and head need a guard line between them; lines start on a line");
_Static_assert(offsetof(struct kaos_u64ring, cons) - offsetof(struct kaos_u64ring, prod) >=
			       2 * KAOS_CACHELINE &&
		       offsetof(struct kaos_u64ring, ro) - offsetof(struct kaos_u64ring, cons) >=
			       2 * KAOS_CACHELINE,
	       "producer, consumer and read-only fields need lines of their own");

int
kaos_u64ring_memsize(uint64_t capacity, size_t *size)
{
	if (!size || capacity < PER_LINE || capacity > KAOS_U64RING_MAX_CAPACITY ||
	    capacity % PER_LINE)
		return -EINVAL;
	uint64_t nlines = KAOS_U64RING_LINES(capacity);
	size_t ctl = sizeof(struct kaos_u64ring_ctl);
	if (nlines > (SIZE_MAX - ctl) / sizeof(struct kaos_u64ring_line))
		return -EOVERFLOW;
	*size = ctl + (size_t)nlines * sizeof(struct kaos_u64ring_line);
	return 0;
}

static int
setup(struct kaos_u64ring *ring, void *mem, size_t len, uint64_t capacity)
{
	size_t need;
	int rc;

	if (!ring || !mem || (uintptr_t)mem % KAOS_CACHELINE)
		return -EINVAL;
	if ((rc = kaos_u64ring_memsize(capacity, &need)) < 0)
		return rc;
	if (len < need)
		return -ENOBUFS;
	memset(ring, 0, sizeof(*ring));
	ring->ro.ctl = mem;
	ring->ro.lines = (struct kaos_u64ring_line *)(ring->ro.ctl + 1);
	ring->ro.nlines = KAOS_U64RING_LINES(capacity);
	ring->ro.end = ring->ro.lines + ring->ro.nlines;
	ring->ro.capacity = capacity;
	return 0;
}

/* The line holding position @p pos. */
static struct kaos_u64ring_line *
line_of(const struct kaos_u64ring *ring, uint64_t pos)
{
	return ring->ro.lines + (pos / PER_LINE) % ring->ro.nlines;
}

/* Point both sides at their positions: the producer's next is @p tail,
 * the consumer's @p head. */
static void
place(struct kaos_u64ring *ring, uint64_t tail, uint64_t head)
{
	ring->prod.start = tail - tail % PER_LINE;
	ring->prod.line = line_of(ring, tail);
	ring->prod.lines = tail / PER_LINE;
	ring->prod.limit = head + ring->ro.capacity;
	ring->cons.start = head - head % PER_LINE;
	ring->cons.line = line_of(ring, head);
	ring->cons.avail = head;
}

int
kaos_u64ring_init(struct kaos_u64ring *ring, void *mem, size_t len, uint64_t capacity)
{
	int rc = setup(ring, mem, len, capacity);
	if (rc < 0)
		return rc;
	/* Plain: the ring is not shared yet; whoever hands it over publishes
	 * this. Every sequence word 0: nothing published. */
	memset(mem, 0, sizeof(struct kaos_u64ring_ctl) +
			       (size_t)ring->ro.nlines * sizeof(struct kaos_u64ring_line));
	place(ring, 0, 0);
	return 0;
}

/*
 * The position after the last value published, from the shared state: the
 * later of head and the tail hint, then forward line by line while lines
 * are complete. Sets *head_out always, *tail_out on success.
 * -KAOS_ECORRUPT if a sequence word is out of its line's range, or head is
 * past what was published, or the result is more than a ring ahead of it.
 */
static int
scan(const struct kaos_u64ring *ring, uint64_t *head_out, uint64_t *tail_out)
{
	const struct kaos_u64ring_ctl *ctl = ring->ro.ctl;
	/* Acquire: pairs with C2, so the values below head were read. */
	uint64_t head = atomic_load_explicit(&ctl->head, memory_order_acquire);
	*head_out = head;
	/* Every value below head was published, so the line holding head - 1
	 * says at least head. (It cannot be in a later lap: that starts at
	 * head + capacity at the earliest. Sequence words only grow.) */
	if (head % PER_LINE == 0 && head > 0 &&
	    atomic_load_explicit(&line_of(ring, head - 1)->seq, memory_order_acquire) < head)
		return -KAOS_ECORRUPT;
	/* Relaxed: a hint, confirmed by the sequence words below. */
	uint64_t pos = atomic_load_explicit(&ctl->tail, memory_order_relaxed);
	if (pos < head)
		pos = head;
	pos -= pos % PER_LINE;
	for (uint64_t n = 0; n <= ring->ro.nlines; n++) {
		/* Acquire: pairs with P1, as the consumer's C1. */
		uint64_t seq = atomic_load_explicit(&line_of(ring, pos)->seq,
						    memory_order_acquire);
		if (seq > pos + PER_LINE)
			return -KAOS_ECORRUPT;
		if (seq < pos + PER_LINE) { /* this line is not full: the end */
			if (seq > pos)
				pos = seq;
			break;
		}
		pos += PER_LINE;
	}
	if (pos - head > ring->ro.capacity)
		return -KAOS_ECORRUPT;
	*tail_out = pos;
	return 0;
}

/* scan(), again while head moves: a reader racing both sides can find a
 * line the producer has started again since it read head. */
static int
published(const struct kaos_u64ring *ring, uint64_t *head_out, uint64_t *tail_out)
{
	for (int tries = 0;; tries++) {
		int rc = scan(ring, head_out, tail_out);
		/* Relaxed: only compared; scan() acquires it again. */
		if (rc == 0 || tries == 16 ||
		    atomic_load_explicit(&ring->ro.ctl->head, memory_order_relaxed) == *head_out)
			return rc;
	}
}

int
kaos_u64ring_attach(struct kaos_u64ring *ring, void *mem, size_t len, uint64_t capacity)
{
	int rc = setup(ring, mem, len, capacity);
	if (rc < 0)
		return rc;
	uint64_t head, tail;
	if ((rc = published(ring, &head, &tail)) < 0)
		return rc;
	place(ring, tail, head);
	return 0;
}

int
kaos_u64ring_create(struct kaos_u64ring *ring, uint64_t capacity, enum kaos_mem mem)
{
	struct kaos_region region;
	size_t need;
	int rc;

	if (!ring)
		return -EINVAL;
	if ((rc = kaos_u64ring_memsize(capacity, &need)) < 0)
		return rc;
	if ((rc = kaos_region_alloc(&region, need, mem)) < 0)
		return rc;
	if ((rc = kaos_u64ring_init(ring, region.base, region.len, capacity)) < 0) {
		kaos_region_free(&region);
		return rc;
	}
	ring->ro.region = region;
	return 0;
}

void
kaos_u64ring_destroy(struct kaos_u64ring *ring)
{
	if (!ring)
		return;
	kaos_region_free(&ring->ro.region);
	memset(ring, 0, sizeof(*ring));
}

uint64_t
kaos_u64ring_size(const struct kaos_u64ring *ring)
{
	uint64_t head, tail;
	return published(ring, &head, &tail) < 0 ? 0 : tail - head;
}

void
kaos_u64ring_stats(const struct kaos_u64ring *ring, struct kaos_ring_stats *out)
{
	const struct kaos_u64ring_ctl *c = ring->ro.ctl;
	uint64_t head, tail;
	if (published(ring, &head, &tail) < 0)
		tail = head; /* head as read; nothing known past it */
	out->consumed = head;
	out->published = tail;
	/* Relaxed: statistics, ordered with nothing. */
	out->full = atomic_load_explicit(&c->full, memory_order_relaxed);
	out->waits = atomic_load_explicit(&c->data.waits, memory_order_relaxed) +
		     atomic_load_explicit(&c->space.waits, memory_order_relaxed);
	out->wakes = atomic_load_explicit(&c->data.wakes, memory_order_relaxed) +
		     atomic_load_explicit(&c->space.wakes, memory_order_relaxed);
}

/* ---- waiting ---------------------------------------------------------------- */

/* A push or pop retried by kaos_wait_until() until it succeeds. */
struct attempt {
	struct kaos_u64ring *ring;
	uint64_t value;
	uint64_t *out;
	int rc;
};

static bool
try_push(void *ctx)
{
	struct attempt *a = ctx;
	a->rc = kaos_u64ring_push(a->ring, a->value);
	return a->rc != -KAOS_EFULL;
}

static bool
try_pop(void *ctx)
{
	struct attempt *a = ctx;
	a->rc = kaos_u64ring_pop(a->ring, a->out);
	return a->rc != -KAOS_EEMPTY;
}

static int
wait_for(struct kaos_u64ring *ring, bool producer, struct attempt *a,
	 const struct kaos_wait *how)
{
	if (how && how->kind == KAOS_WAIT_BLOCK && !ring->ro.blocking)
		return -EINVAL; /* nobody would wake us */
	struct kaos_waitpoint *wp = producer ? &ring->ro.ctl->space : &ring->ro.ctl->data;
	kaos_ready_fn fn = producer ? try_push : try_pop;
	int rc = KAOS_TRACE_WAIT_UNTIL(producer, U64RING, ring, how, wp, fn, a);
	return rc < 0 ? rc : a->rc;
}

int
kaos_u64ring_push_wait(struct kaos_u64ring *ring, uint64_t value, const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .value = value };
	return wait_for(ring, true, &a, how);
}

int
kaos_u64ring_pop_wait(struct kaos_u64ring *ring, uint64_t *value, const struct kaos_wait *how)
{
	struct attempt a = { .ring = ring, .out = value };
	return wait_for(ring, false, &a, how);
}
