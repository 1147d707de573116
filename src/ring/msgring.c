/* SPDX-License-Identifier: MIT */
/* Variable-length message ring: control plane, multi-producer claim,
 * checksums, release, unblocking and waiting. */
#include <errno.h>
#include <string.h>

#include <kaos/crc32c.h>
#include <kaos/msgring.h>
#include <kaos/trace.h>

#include "stream.h"

_Static_assert(sizeof(struct kaos_msgring_ctl) == 6 * KAOS_CACHELINE,
	       "tail and head need a guard line between them");
_Static_assert(offsetof(struct kaos_msgring_ctl, head) == 2 * KAOS_CACHELINE,
	       "head two lines after tail");
_Static_assert(KAOS_MSGRING_MAX_CAPACITY / 8 <= INT32_MAX,
	       "record lengths must fit the signed 32-bit length field");

int
kaos_msgring_memsize(uint64_t capacity, size_t *size)
{
	if (!size || capacity < KAOS_MSGRING_MIN_CAPACITY ||
	    capacity > KAOS_MSGRING_MAX_CAPACITY || (capacity & (capacity - 1)))
		return -EINVAL;
	*size = sizeof(struct kaos_msgring_ctl) + (size_t)capacity;
	return 0;
}

/* Fill the handle's fields for a ring in @p mem. */
static int
setup(struct kaos_msgring *ring, void *mem, size_t len, uint64_t capacity,
      uint32_t flags)
{
	size_t need;
	int rc;

	if (!ring || !mem || (uintptr_t)mem % KAOS_CACHELINE ||
	    (flags & ~(uint32_t)KAOS_MSGRING_FLAGS_ALL))
		return -EINVAL;
	if ((rc = kaos_msgring_memsize(capacity, &need)) < 0)
		return rc;
	if (len < need)
		return -ENOBUFS;
	memset(ring, 0, sizeof(*ring));
	ring->ro.ctl = mem;
	ring->ro.buf = (unsigned char *)mem + sizeof(struct kaos_msgring_ctl);
	ring->ro.mask = capacity - 1;
	ring->ro.capacity = capacity;
	ring->ro.max_record = (uint32_t)(capacity / 8);
	ring->ro.flags = flags;
	return 0;
}

int
kaos_msgring_init(struct kaos_msgring *ring, void *mem, size_t len, uint64_t capacity,
		  uint32_t flags)
{
	int rc = setup(ring, mem, len, capacity, flags);
	if (rc < 0)
		return rc;
	/* Header words must read 0 ("nothing here") before anything is
	 * written; the whole area, since any 8-byte word may become a
	 * header. Not shared yet: plain stores. */
	memset(mem, 0, sizeof(struct kaos_msgring_ctl) + (size_t)capacity);
	return 0;
}

int
kaos_msgring_attach(struct kaos_msgring *ring, void *mem, size_t len, uint64_t capacity,
		    uint32_t flags)
{
	int rc = setup(ring, mem, len, capacity, flags);
	if (rc < 0)
		return rc;
	/* Acquire: pairs with C2 of the consumer that came before us; its
	 * zeroing below head is visible. */
	ring->cons.pos = atomic_load_explicit(&ring->ro.ctl->head, memory_order_acquire);
	ring->cons.avail = ring->cons.pos;
	if (ring->cons.pos % KAOS_MSG_ALIGN) /* headers are read as aligned words */
		return -KAOS_ECORRUPT;
	return 0;
}

int
kaos_msgring_recover(struct kaos_msgring *ring)
{
	if (!ring || !ring->ro.ctl)
		return -EINVAL;
	struct kaos_msgring_ctl *ctl = ring->ro.ctl;
	/* Acquire both: pair with the previous consumer's stores in
	 * kaos__msgring_release(). */
	uint64_t head = atomic_load_explicit(&ctl->head, memory_order_acquire);
	uint64_t read = atomic_load_explicit(&ctl->read, memory_order_acquire);
	if (read == head) {
		ring->cons.pos = ring->cons.avail = head;
		return 0;
	}
	if (read - head > ring->ro.capacity || read % KAOS_MSG_ALIGN)
		return -KAOS_ECORRUPT;
	ring->cons.pos = head;
	kaos__msgring_release(ring, head, read);
	ring->cons.avail = read; /* nothing cached beyond what was handed over */
	return 0;
}

int
kaos_msgring_create(struct kaos_msgring *ring, uint64_t capacity, uint32_t flags,
		    enum kaos_mem mem)
{
	struct kaos_region region;
	size_t need;
	int rc;

	if (!ring)
		return -EINVAL;
	if ((rc = kaos_msgring_memsize(capacity, &need)) < 0)
		return rc;
	if ((rc = kaos_region_alloc(&region, need, mem)) < 0)
		return rc;
	if ((rc = kaos_msgring_init(ring, region.base, region.len, capacity, flags)) < 0) {
		kaos_region_free(&region);
		return rc;
	}
	ring->ro.region = region;
	return 0;
}

void
kaos_msgring_destroy(struct kaos_msgring *ring)
{
	if (!ring)
		return;
	kaos_region_free(&ring->ro.region);
	memset(ring, 0, sizeof(*ring));
}

/* Zero the buffer bytes of positions [start, end), at most one wrap. */
static void
zero_span(struct kaos_msgring *ring, uint64_t start, uint64_t end)
{
	uint64_t idx = start & ring->ro.mask, n = end - start;
	uint64_t first = ring->ro.capacity - idx < n ? ring->ro.capacity - idx : n;
	memset(ring->ro.buf + idx, 0, first);
	if (n > first)
		memset(ring->ro.buf, 0, n - first);
}

int
kaos_msgring_producer_init(struct kaos_msgring_producer *p, struct kaos_msgring *ring,
			   uint32_t owner)
{
	if (!p || !ring || !ring->ro.ctl)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->ring = ring;
	p->owner = owner;
	/* Acquire: pairs with the previous producer's release of tail (a
	 * restart continues its sequence) and with C2 for head. */
	p->pos = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
	p->published = p->pos;
	p->limit = atomic_load_explicit(&ring->ro.ctl->head, memory_order_acquire) +
		   ring->ro.capacity;
	if (p->limit - p->pos > ring->ro.capacity || p->pos % KAOS_MSG_ALIGN) {
		memset(p, 0, sizeof(*p));
		return -KAOS_ECORRUPT; /* tail behind head, or a lap ahead */
	}
	return 0;
}

void
kaos_msgring_set_alive_fn(struct kaos_msgring *ring, kaos_msgring_alive_fn fn, void *ctx)
{
	if (!ring)
		return;
	ring->ro.alive = fn;
	ring->ro.alive_ctx = ctx;
}

int
kaos__msgring_bad_claim(const struct kaos_msgring_producer *p, uint32_t type, size_t len)
{
	if (type > KAOS_MSG_TYPE_MAX || p->claimed)
		return -EINVAL;
	(void)len;
	return -KAOS_ETOOBIG;
}

int
kaos__msgring_claim_mp(struct kaos_msgring_producer *p, uint32_t type, size_t len,
		       void **data)
{
	struct kaos_msgring *ring = p->ring;
	struct kaos_msgring_ctl *ctl = ring->ro.ctl;
	uint32_t reclen = kaos__msg_prefix(ring) + (uint32_t)len;
	if (reclen > ring->ro.max_record)
		return -KAOS_ETOOBIG;
	uint64_t rec = kaos__msg_align(reclen), pad;
	/* Relaxed: a guess the CAS checks. */
	uint64_t tail = atomic_load_explicit(&ctl->tail, memory_order_relaxed);
	for (;;) {
		uint64_t idx = tail & ring->ro.mask;
		pad = ring->ro.capacity - idx < rec ? ring->ro.capacity - idx : 0;
		/* Signed: other producers may have moved tail past our
		 * cached limit. */
		if ((int64_t)(p->limit - tail) < (int64_t)(pad + rec)) {
			/* P2: pairs with C2 (space below head is free and
			 * zeroed). */
			p->limit = atomic_load_explicit(&ctl->head, memory_order_acquire) +
				   ring->ro.capacity;
			if ((int64_t)(p->limit - tail) < (int64_t)(pad + rec)) {
				kaos__count(&ctl->full);
				return -KAOS_EFULL;
			}
		}
		/* Acquire on success: our stores into the claimed bytes stay
		 * after the claim. Relaxed on failure: we only retry. */
		if (atomic_compare_exchange_weak_explicit(&ctl->tail, &tail, tail + pad + rec,
							  memory_order_acquire,
							  memory_order_relaxed))
			break;
	}
	if (pad) /* P1: the padding is complete as soon as it is ours */
		atomic_store_explicit(kaos__msg_word(ring, tail & ring->ro.mask),
				      kaos__msg_make(KAOS_MSG_PADDING, (int32_t)pad),
				      memory_order_release);
	uint64_t at = tail + pad;
	/* Relaxed: "claimed, being written", with our length and owner, for
	 * kaos_msgring_unblock(); readers treat it as not ready. */
	atomic_store_explicit(kaos__msg_word(ring, at & ring->ro.mask),
			      kaos__msg_make(p->owner, -(int32_t)reclen), memory_order_relaxed);
	/* Keep our payload stores after that header word, so an unblocker
	 * scanning a dead neighbour's zeroed bytes meets our header before
	 * any of our payload (a dmb on aarch64, nothing on x86-64). */
	atomic_thread_fence(memory_order_release);
	p->claimed = true;
	p->claim_at = at;
	p->claim_pad = pad;
	p->claim_len = reclen;
	p->claim_type = type;
	*data = ring->ro.buf + (at & ring->ro.mask) + kaos__msg_prefix(ring);
	return 0;
}

int
kaos_msgring_abort(struct kaos_msgring_producer *p)
{
	if (!p || !p->claimed)
		return -EINVAL;
	struct kaos_msgring *ring = p->ring;
	p->claimed = false;
	if (ring->ro.flags & KAOS_MSGRING_MP) {
		/* The space is taken in the shared tail: hand it back as
		 * padding (P1). */
		atomic_store_explicit(kaos__msg_word(ring, p->claim_at & ring->ro.mask),
				      kaos__msg_make(KAOS_MSG_PADDING,
						     (int32_t)kaos__msg_align(p->claim_len)),
				      memory_order_release);
		if (ring->ro.blocking)
			kaos_waitpoint_notify(&ring->ro.ctl->data);
	}
	/* Single producer: nothing was published, and its reader never looks
	 * past the tail: the space is simply ours again. */
	return 0;
}

/* CRC-32C of the record's final header word, then its payload. */
static uint32_t
record_crc(const unsigned char *rec, uint64_t header, uint32_t len)
{
	unsigned char h[8];
	for (int i = 0; i < 8; i++)
		h[i] = (unsigned char)(header >> (8 * i)); /* little-endian */
	uint32_t crc = kaos_crc32c(0, h, sizeof(h));
	return kaos_crc32c(crc, rec + 2 * KAOS_MSG_HEADER, len - 2 * KAOS_MSG_HEADER);
}

void
kaos__msgring_seal(struct kaos_msgring_producer *p)
{
	struct kaos_msgring *ring = p->ring;
	unsigned char *rec = ring->ro.buf + (p->claim_at & ring->ro.mask);
	uint64_t crc = record_crc(rec, kaos__msg_make(p->claim_type, (int32_t)p->claim_len),
				  p->claim_len);
	/* Plain: published by the commit's release (P1). */
	memcpy(rec + KAOS_MSG_HEADER, &crc, sizeof(crc));
}

bool
kaos__msgring_crc_ok(const struct kaos_msgring *ring, uint64_t idx, uint32_t len)
{
	const unsigned char *rec = ring->ro.buf + idx;
	/* Relaxed: the caller acquired this word; it cannot change until we
	 * release the record. */
	uint64_t header = atomic_load_explicit(kaos__msg_word(ring, idx), memory_order_relaxed);
	uint64_t stored;
	memcpy(&stored, rec + KAOS_MSG_HEADER, sizeof(stored));
	return stored == record_crc(rec, header, len);
}

void
kaos__msgring_release(struct kaos_msgring *ring, uint64_t start, uint64_t end)
{
	/* Relaxed: only a successor taking over after our death reads it
	 * (kaos_msgring_recover()), ordered by the head release below or by
	 * the hand-over itself. */
	atomic_store_explicit(&ring->ro.ctl->read, end, memory_order_relaxed);
	/* Multi-producer: zero what we consumed (at most one buffer: a read
	 * stops there), so the header words we meet later are fresh. */
	if (ring->ro.flags & KAOS_MSGRING_MP)
		zero_span(ring, start, end);
	ring->cons.pos = end;
	/* C2: pairs with P2: our reads and the zeroing are done. */
	atomic_store_explicit(&ring->ro.ctl->head, end, memory_order_release);
	if (ring->ro.blocking)
		kaos_waitpoint_notify(&ring->ro.ctl->space);
}

int64_t
kaos__msgring_stop(struct kaos_msgring *ring, uint64_t start, uint64_t pos, uint64_t skip,
		   int64_t delivered)
{
	if (delivered > 0 || !skip) {
		/* Deliver what came before; a bad record is met again (and
		 * skipped, if it can be) on the next call. */
		if (pos != start)
			kaos__msgring_release(ring, start, pos);
		return delivered > 0 ? delivered : -KAOS_ECORRUPT;
	}
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(&ring->ro.ctl->corrupt, 1, memory_order_relaxed);
	kaos__msgring_release(ring, start, pos + skip);
	return -KAOS_ECORRUPT;
}

int
kaos_msgring_unblock(struct kaos_msgring *ring, uint64_t timeout_ns)
{
	if (!ring || !ring->ro.ctl)
		return -EINVAL;
	if (!(ring->ro.flags & KAOS_MSGRING_MP))
		return 0; /* a single producer publishes nothing before commit */
	uint64_t pos = ring->cons.pos, idx = pos & ring->ro.mask;
	_Atomic uint64_t *hw = kaos__msg_word(ring, idx);
	/* Acquire: as C1. */
	uint64_t w = atomic_load_explicit(hw, memory_order_acquire);
	int32_t len = (int32_t)(uint32_t)w;
	/* Acquire: pairs with the claimers' CAS chain; a snapshot. */
	uint64_t tail = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
	if (len > 0 || tail == pos) {
		ring->cons.stuck_since = 0; /* not stuck */
		return 0;
	}
	uint64_t now = kaos_now_ns();
	if (ring->cons.stuck_since == 0 || ring->cons.stuck_pos != pos) {
		ring->cons.stuck_pos = pos;
		ring->cons.stuck_since = now;
		return 0;
	}
	if (now - ring->cons.stuck_since < timeout_ns)
		return 0;

	uint64_t pad;
	if (len < 0) {
		/* Claimed, not committed: the header tells how long. */
		if (ring->ro.alive && ring->ro.alive((uint32_t)(w >> 32), ring->ro.alive_ctx))
			return 0;
		pad = kaos__msg_align((uint64_t)-(int64_t)len);
		if ((uint64_t)-(int64_t)len > ring->ro.max_record || pad > ring->ro.capacity - idx)
			return -KAOS_ECORRUPT;
	} else {
		/* The claimer died before writing its header. Its bytes are
		 * still zero; the first non-zero word after them is the
		 * next claimer's header (see the fence in the claim). */
		uint64_t end = tail - pos < ring->ro.capacity - idx ? idx + (tail - pos)
								     : ring->ro.capacity;
		uint64_t i = idx + KAOS_MSG_ALIGN;
		while (i < end && atomic_load_explicit(kaos__msg_word(ring, i),
						       memory_order_acquire) == 0)
			i += KAOS_MSG_ALIGN;
		if (i == end && end != ring->ro.capacity &&
		    (!ring->ro.alive ||
		     ring->ro.alive(KAOS_MSGRING_ANY_OWNER, ring->ro.alive_ctx)))
			return 0; /* nobody behind it yet: nothing is blocked
				   * (unless every producer is dead: then
				   * clear the way to the tail) */
		/* Scanned forward one word at a time, we may have read the
		 * next claimer's header word just before it was written and
		 * then its payload: look back, and give up unless the words
		 * before i are still all zero (Aeron does the same). */
		for (uint64_t j = idx + KAOS_MSG_ALIGN; j < i; j += KAOS_MSG_ALIGN)
			if (atomic_load_explicit(kaos__msg_word(ring, j), memory_order_acquire))
				return 0;
		pad = i - idx;
		/* No record is longer: several dead claims in a row are
		 * unblocked one record's worth at a time. */
		if (pad > ring->ro.max_record)
			pad = ring->ro.max_record;
	}
	/* Release: as P1. The CAS loses only to a commit that came after
	 * all: then nothing needs unblocking. */
	if (!atomic_compare_exchange_strong_explicit(hw, &w,
						     kaos__msg_make(KAOS_MSG_PADDING, (int32_t)pad),
						     memory_order_release, memory_order_relaxed))
		return 0;
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(&ring->ro.ctl->unblocked, 1, memory_order_relaxed);
	ring->cons.stuck_since = 0;
	if (ring->ro.blocking)
		kaos_waitpoint_notify(&ring->ro.ctl->data);
	return 1;
}

/* ---- waiting -------------------------------------------------------------- */

struct attempt {
	struct kaos_msgring_producer *p;
	struct kaos_msgring *ring;
	uint32_t type;
	size_t len;
	void **data;
	kaos_msg_handler_fn fn;
	void *ctx;
	uint64_t limit;
	int64_t got;
};

static bool
try_claim(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_msgring_claim(a->p, a->type, a->len, a->data);
	return a->got != -KAOS_EFULL;
}

static bool
try_read(void *ctx)
{
	struct attempt *a = ctx;
	a->got = kaos_msgring_read(a->ring, a->fn, a->ctx, a->limit);
	return a->got != 0;
}

static int64_t
wait_for(struct kaos_msgring *ring, struct kaos_waitpoint *wp, kaos_ready_fn fn,
	 struct attempt *a, const struct kaos_wait *how)
{
	if (how && how->kind == KAOS_WAIT_BLOCK && !ring->ro.blocking)
		return -EINVAL; /* nobody would wake us */
	/* A producer waiting is backpressure; a consumer waiting is idle. */
	int rc = KAOS_TRACE_WAIT_UNTIL(wp == &ring->ro.ctl->space, MSGRING, ring, how, wp,
				       fn, a);
	return rc < 0 ? rc : a->got;
}

int
kaos_msgring_claim_wait(struct kaos_msgring_producer *p, uint32_t type, size_t len,
			void **data, const struct kaos_wait *how)
{
	if (!p || !p->ring || !data)
		return -EINVAL;
	struct attempt a = { .p = p, .type = type, .len = len, .data = data };
	return (int)wait_for(p->ring, &p->ring->ro.ctl->space, try_claim, &a, how);
}

int64_t
kaos_msgring_read_wait(struct kaos_msgring *ring, kaos_msg_handler_fn fn, void *ctx,
		       uint64_t limit, const struct kaos_wait *how)
{
	if (!ring || !ring->ro.ctl || !fn || limit == 0)
		return -EINVAL;
	struct attempt a = { .ring = ring, .fn = fn, .ctx = ctx, .limit = limit };
	return wait_for(ring, &ring->ro.ctl->data, try_read, &a, how);
}

void
kaos_msgring_stats(const struct kaos_msgring *ring, struct kaos_ring_stats *out)
{
	const struct kaos_msgring_ctl *c = ring->ro.ctl;
	/* Acquire: head before tail (pairs with C2 and the tail's stores), so
	 * consumed <= published. Relaxed for the statistics. */
	out->consumed = atomic_load_explicit(&c->head, memory_order_acquire);
	out->published = atomic_load_explicit(&c->tail, memory_order_acquire);
	out->full = atomic_load_explicit(&c->full, memory_order_relaxed);
	out->waits = atomic_load_explicit(&c->data.waits, memory_order_relaxed) +
		     atomic_load_explicit(&c->space.waits, memory_order_relaxed);
	out->wakes = atomic_load_explicit(&c->data.wakes, memory_order_relaxed) +
		     atomic_load_explicit(&c->space.wakes, memory_order_relaxed);
}

int
kaos_msgring_batch_init(struct kaos_msgring_batch *b, void *buf, size_t cap)
{
	if (!b || !buf || (uintptr_t)buf % KAOS_MSG_ALIGN || cap < KAOS_MSG_ALIGN)
		return -EINVAL;
	*b = (struct kaos_msgring_batch){ .buf = buf, .cap = cap };
	return 0;
}

int
kaos_msgring_write_batch(struct kaos_msgring_producer *p, struct kaos_msgring_batch *b)
{
	struct kaos_msgring *ring = p->ring;
	if (!b || (ring->ro.flags & (KAOS_MSGRING_MP | KAOS_MSGRING_CRC)) || p->claimed)
		return -EINVAL;
	if (b->used == 0)
		return 0;
	/* The reader takes no record above max_record; a batch is no bigger,
	 * so neither is any record in it. */
	if (b->used > ring->ro.max_record)
		return -KAOS_ETOOBIG;
	uint64_t pos = p->pos, pad;
	if (!kaos__msgring_sp_room(p, b->used, &pad))
		return -KAOS_EFULL;
	/* The single-producer reader stops at the tail, whose release below
	 * (P1) publishes the records and the padding. A large batch is
	 * written with streaming stores (stream.h), fenced before that. */
	unsigned char *dst = ring->ro.buf + ((pos + pad) & ring->ro.mask);
	if (b->used >= KAOS__STREAM_MIN) {
		kaos__copy_streaming(dst, b->buf, b->used);
		kaos__stream_fence();
	} else {
		memcpy(dst, b->buf, b->used);
	}
	if (pad)
		atomic_store_explicit(kaos__msg_word(ring, pos & ring->ro.mask),
				      kaos__msg_make(KAOS_MSG_PADDING, (int32_t)pad),
				      memory_order_relaxed);
	p->pos = pos + pad + b->used;
	kaos__msgring_store_tail(p);
	b->used = 0;
	b->count = 0;
	return 0;
}
