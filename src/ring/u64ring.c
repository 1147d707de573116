/* SPDX-License-Identifier: MIT */
/* The u64ring: control plane, finding the producer, polling, waiting,
 * and its descriptor. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <kaos/u64ring.h>

#include "ring.h"

#define PER_LINE KAOS_U64RING_PER_LINE
#define LINE sizeof(struct kaos_u64ring_line)

_Static_assert(sizeof(struct kaos_u64ring_line) == 64, "a line is 64 bytes");
_Static_assert(offsetof(struct kaos_u64ring, cons) - offsetof(struct kaos_u64ring, prod) >=
			       2 * KAOS_CACHELINE &&
		       offsetof(struct kaos_u64ring, ro) - offsetof(struct kaos_u64ring, cons) >=
			       2 * KAOS_CACHELINE,
	       "producer, consumer and read-only fields need lines of their own");

static int
memsize(const struct kaos__ring_geom *g, size_t *size)
{
	if (g->capacity < PER_LINE || g->capacity > KAOS_U64RING_MAX_CAPACITY ||
	    g->capacity % PER_LINE || (g->slot_size && g->slot_size != 8) ||
	    g->multi_producer || g->crc)
		return -EINVAL;
	return kaos__ring_size(sizeof(struct kaos__ring_ctl), KAOS_U64RING_LINES(g->capacity),
			       LINE, size);
}

static void
layout(void *handle, void *mem, const struct kaos__ring_geom *g)
{
	struct kaos_u64ring *ring = handle;
	ring->ro.ctl = mem;
	ring->ro.lines = (struct kaos_u64ring_line *)(ring->ro.ctl + 1);
	ring->ro.nlines = KAOS_U64RING_LINES(g->capacity);
	ring->ro.end = ring->ro.lines + ring->ro.nlines;
	ring->ro.capacity = g->capacity;
}

/* Byte offset, in the ring's memory, of the sequence word of the line
 * holding position @p pos. */
static size_t
seq_at(uint64_t nlines, uint64_t pos)
{
	return sizeof(struct kaos__ring_ctl) + (size_t)(pos / PER_LINE % nlines) * LINE;
}

/* Point both sides at their positions: the producer's next is @p tail,
 * the consumer's @p head. */
static void
place(struct kaos_u64ring *ring, uint64_t tail, uint64_t head)
{
	ring->prod.start = tail - tail % PER_LINE;
	ring->prod.line = ring->ro.lines + tail / PER_LINE % ring->ro.nlines;
	ring->prod.lines = tail / PER_LINE;
	ring->prod.limit = head + ring->ro.capacity;
	ring->cons.start = head - head % PER_LINE;
	ring->cons.line = ring->ro.lines + head / PER_LINE % ring->ro.nlines;
	ring->cons.avail = head;
}

static void
reset(void *handle)
{
	struct kaos_u64ring *ring = handle;
	/* Plain: the ring is not shared yet; whoever hands it over publishes
	 * this. Every sequence word 0: nothing published. */
	memset(ring->ro.ctl, 0, sizeof(struct kaos__ring_ctl) + (size_t)ring->ro.nlines * LINE);
	place(ring, 0, 0);
}

#define HEAD offsetof(struct kaos__ring_ctl, head)
#define TAIL offsetof(struct kaos__ring_ctl, tail)

/*
 * The position after the last value published, from the shared state: the
 * later of head and the tail hint, then forward line by line while lines
 * are complete. Sets *head_out always, *tail_out on success.
 * -KAOS_ECORRUPT if a sequence word is out of its line's range, or head is
 * past what was published, or the result is more than a ring ahead of it.
 * Loads through kaos__ring_load are acquires: a sequence word pairs with
 * P1 (as the consumer's C1), head with C2; the tail hint is confirmed by
 * the words.
 */
static int
scan(const struct kaos__ring_view *v, uint64_t capacity, uint64_t *head_out,
     uint64_t *tail_out)
{
	uint64_t nlines = KAOS_U64RING_LINES(capacity);
	uint64_t head = kaos__ring_load(v, HEAD);
	*head_out = head;
	/* Every value below head was published, so the line holding head - 1
	 * says at least head. (It cannot be in a later lap: that starts at
	 * head + capacity at the earliest. Sequence words only grow.) */
	if (head % PER_LINE == 0 && head > 0 && kaos__ring_load(v, seq_at(nlines, head - 1)) < head)
		return -KAOS_ECORRUPT;
	uint64_t pos = kaos__ring_load(v, TAIL);
	if (pos < head)
		pos = head;
	pos -= pos % PER_LINE;
	for (uint64_t n = 0; n <= nlines; n++) {
		uint64_t seq = kaos__ring_load(v, seq_at(nlines, pos));
		if (seq > pos + PER_LINE)
			return -KAOS_ECORRUPT;
		if (seq < pos + PER_LINE) { /* this line is not full: the end */
			if (seq > pos)
				pos = seq;
			break;
		}
		pos += PER_LINE;
	}
	if (pos - head > capacity)
		return -KAOS_ECORRUPT;
	*tail_out = pos;
	return 0;
}

/* scan(), again when it fails: a reader racing both sides can find a
 * line the producer has started again since it read head, or read the
 * words of a file (inspection) at different moments. */
static int
published(const struct kaos__ring_view *v, uint64_t capacity, uint64_t *head_out,
	  uint64_t *tail_out)
{
	for (int tries = 0;; tries++) {
		int rc = scan(v, capacity, head_out, tail_out);
		if (rc == 0 || tries == 16)
			return rc;
	}
}

static int
resume(void *handle)
{
	struct kaos_u64ring *ring = handle;
	const struct kaos__ring_view v = { ring->ro.ctl, NULL, NULL };
	uint64_t head, tail;
	int rc = published(&v, ring->ro.capacity, &head, &tail);
	if (rc == 0)
		place(ring, tail, head);
	return rc;
}

int
kaos_u64ring_memsize(uint64_t capacity, size_t *size)
{
	return kaos__ring_memsize(&kaos__u64ring_kind, KAOS__SLOTS(capacity, 0), size);
}

int
kaos_u64ring_init(struct kaos_u64ring *ring, void *mem, size_t len, uint64_t capacity)
{
	return kaos__ring_init(&kaos__u64ring_kind, ring, mem, len, KAOS__SLOTS(capacity, 0));
}

int
kaos_u64ring_attach(struct kaos_u64ring *ring, void *mem, size_t len, uint64_t capacity)
{
	return kaos__ring_open(&kaos__u64ring_kind, ring, mem, len, KAOS__SLOTS(capacity, 0));
}

int
kaos_u64ring_create(struct kaos_u64ring *ring, uint64_t capacity, enum kaos_mem mem)
{
	return kaos__ring_create(&kaos__u64ring_kind, ring, KAOS__SLOTS(capacity, 0), mem);
}

void
kaos_u64ring_destroy(struct kaos_u64ring *ring)
{
	kaos__ring_destroy(&kaos__u64ring_kind, ring);
}

static void
stats(const struct kaos__ring_view *v, const struct kaos__ring_geom *g,
      struct kaos_ring_stats *out)
{
	kaos__ring_ctl_stats(v, g, out); /* counters; the positions follow */
	uint64_t head, tail;
	if (published(v, g->capacity, &head, &tail) < 0)
		tail = head; /* head as read; nothing known past it */
	out->consumed = head;
	out->published = tail;
}

uint64_t
kaos_u64ring_size(const struct kaos_u64ring *ring)
{
	const struct kaos__ring_view v = { ring->ro.ctl, NULL, NULL };
	uint64_t head, tail;
	return published(&v, ring->ro.capacity, &head, &tail) < 0 ? 0 : tail - head;
}

void
kaos_u64ring_stats(const struct kaos_u64ring *ring, struct kaos_ring_stats *out)
{
	const struct kaos__ring_geom g = { .capacity = ring->ro.capacity };
	kaos__ring_stats(&kaos__u64ring_kind, ring, &g, out);
}

int64_t
kaos_u64ring_poll(struct kaos_u64ring *ring, kaos_u64ring_handler_fn fn, void *ctx,
		  uint64_t limit)
{
	if (!ring || !ring->ro.ctl || !fn)
		return -EINVAL;
	/* Relaxed: head is ours (only this thread writes it). */
	uint64_t start = atomic_load_explicit(&ring->ro.ctl->head, memory_order_relaxed);
	uint64_t pos = start, value;
	int rc = 0;
	while (pos - start < limit && (rc = kaos__u64ring_read(ring, pos, &value)) == 0)
		if (fn(value, pos++, ctx))
			break;
	if (pos == start)
		return rc == -KAOS_EEMPTY ? 0 : rc;
	kaos__u64ring_store_head(ring, pos); /* after the handler: see above */
	return (int64_t)(pos - start);
}

/* ---- waiting ---------------------------------------------------------------- */

KAOS__RING_TRY(try_push, kaos_u64ring_push(a->ring, a->n), -KAOS_EFULL)
KAOS__RING_TRY(try_pop, kaos_u64ring_pop(a->ring, a->arg), -KAOS_EEMPTY)

int
kaos_u64ring_push_wait(struct kaos_u64ring *ring, uint64_t value, const struct kaos_wait *how)
{
	return (int)kaos__ring_wait(&kaos__u64ring_kind, ring, true, try_push, ring, value, NULL,
				    how);
}

int
kaos_u64ring_pop_wait(struct kaos_u64ring *ring, uint64_t *value, const struct kaos_wait *how)
{
	return (int)kaos__ring_wait(&kaos__u64ring_kind, ring, false, try_pop, ring, 1, value,
				    how);
}

/* ---- the descriptor ------------------------------------------------------------ */

static uint64_t
fill(const void *ring)
{
	return kaos_u64ring_size(ring);
}

static int
send(void *ep, uint32_t type, const void *data, size_t len)
{
	uint64_t value;
	if (type || len != sizeof(value))
		return -EINVAL;
	memcpy(&value, data, sizeof(value));
	return kaos_u64ring_push(ep, value);
}

static int
deliver(uint64_t value, uint64_t seq, void *ctx)
{
	const struct kaos__slot_message *m = ctx;
	(void)seq;
	m->fn(0, &value, sizeof(value), m->ctx);
	return 0;
}

static int64_t
receive(void *ep, kaos_msg_handler_fn fn, void *ctx, uint64_t limit)
{
	struct kaos__slot_message m = { fn, ctx, sizeof(uint64_t) };
	return kaos_u64ring_poll(ep, deliver, &m, limit);
}

const struct kaos__ring_kind kaos__u64ring_kind = {
	.name = "u64ring", .unit = "values", KAOS__RING_HANDLE(struct kaos_u64ring),
	.memsize = memsize, .layout = layout, .reset = reset, .resume = resume,
	.stats = stats, .fill = fill,
	.endpoint_size = sizeof(struct kaos_u64ring), .send = send, .receive = receive,
};
