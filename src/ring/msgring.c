/* SPDX-License-Identifier: MIT */
/* Variable-length message ring: control plane, multi-producer claim,
 * check words, release, unblocking, waiting, and its descriptor. */
#include <errno.h>
#include <string.h>

#include <kaos/crc32c.h>
#include <kaos/msgring.h>

#include "../core/test_hooks.h"
#include "ring.h"
#include "stream.h"

_Static_assert(KAOS_MSGRING_MAX_CAPACITY / 8 <= INT32_MAX,
	       "record lengths must fit the signed 32-bit length field");

/* A producer's claim mark when it is not claiming. */
#define NO_MARK UINT64_MAX

static int
memsize(const struct kaos__ring_geom *g, size_t *size)
{
	if (g->capacity < KAOS_MSGRING_MIN_CAPACITY || g->capacity > KAOS_MSGRING_MAX_CAPACITY ||
	    (g->capacity & (g->capacity - 1)) || g->slot_size)
		return -EINVAL;
	*size = sizeof(struct kaos__ring_ctl) + (size_t)g->capacity;
	return 0;
}

/* The geometry of the public functions' (capacity, flags); unknown
 * flags make it invalid (capacity 0: -EINVAL). */
static struct kaos__ring_geom
messages(uint64_t capacity, uint32_t flags)
{
	return (struct kaos__ring_geom){
		.capacity = flags & ~(uint32_t)KAOS_MSGRING_FLAGS_ALL ? 0 : capacity,
		.multi_producer = flags & KAOS_MSGRING_MP,
		.crc = flags & KAOS_MSGRING_CRC,
	};
}

static void
layout(void *handle, void *mem, const struct kaos__ring_geom *g)
{
	struct kaos_msgring *ring = handle;
	ring->ro.ctl = mem;
	ring->ro.buf = (unsigned char *)mem + sizeof(struct kaos__ring_ctl);
	ring->ro.mask = g->capacity - 1;
	ring->ro.capacity = g->capacity;
	ring->ro.max_record = (uint32_t)(g->capacity / 8);
	ring->ro.flags = (g->multi_producer ? KAOS_MSGRING_MP : 0) |
			 (g->crc ? KAOS_MSGRING_CRC : 0);
}

static void
reset(void *handle)
{
	struct kaos_msgring *ring = handle;
	/* Header words must read 0 ("nothing here") before anything is
	 * written; the whole area, since any 8-byte word may become a
	 * header. Not shared yet: plain stores. */
	memset(ring->ro.ctl, 0, sizeof(struct kaos__ring_ctl) + (size_t)ring->ro.capacity);
}

static int
resume(void *handle)
{
	struct kaos_msgring *ring = handle;
	/* Acquire: pairs with C2 of the consumer that came before us; its
	 * zeroing below head is visible. */
	ring->cons.pos = atomic_load_explicit(&ring->ro.ctl->head, memory_order_acquire);
	ring->cons.avail = ring->cons.pos;
	if (ring->cons.pos % KAOS_MSG_ALIGN) /* headers are read as aligned words */
		return -KAOS_ECORRUPT;
	return 0;
}

int
kaos_msgring_memsize(uint64_t capacity, size_t *size)
{
	struct kaos__ring_geom g = messages(capacity, 0);
	return kaos__ring_memsize(&kaos__msgring_kind, &g, size);
}

int
kaos_msgring_init(struct kaos_msgring *ring, void *mem, size_t len, uint64_t capacity,
		  uint32_t flags)
{
	struct kaos__ring_geom g = messages(capacity, flags);
	return kaos__ring_init(&kaos__msgring_kind, ring, mem, len, &g);
}

int
kaos_msgring_attach(struct kaos_msgring *ring, void *mem, size_t len, uint64_t capacity,
		    uint32_t flags)
{
	struct kaos__ring_geom g = messages(capacity, flags);
	return kaos__ring_open(&kaos__msgring_kind, ring, mem, len, &g);
}

int
kaos_msgring_create(struct kaos_msgring *ring, uint64_t capacity, uint32_t flags,
		    enum kaos_mem mem)
{
	struct kaos__ring_geom g = messages(capacity, flags);
	return kaos__ring_create(&kaos__msgring_kind, ring, &g, mem);
}

void
kaos_msgring_destroy(struct kaos_msgring *ring)
{
	kaos__ring_destroy(&kaos__msgring_kind, ring);
}

int
kaos_msgring_recover(struct kaos_msgring *ring)
{
	if (!ring || !ring->ro.ctl)
		return -EINVAL;
	struct kaos__ring_ctl *ctl = ring->ro.ctl;
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

/* ---- check words (CRC rings) --------------------------------------------- */

/*
 * The check word of a record or padding at position @p pos (@p len: its
 * header, check word and payload bytes): the length again above, to tell
 * a damaged length (the record can no longer be skipped) from other
 * damage; below, the CRC-32C of the position and the header word (their
 * little-endian bytes) and the payload (none for padding). The position
 * makes a record of an earlier lap, or one met where it was not written,
 * fail its check.
 */
static uint64_t
check_word(uint64_t pos, uint64_t header, const unsigned char *payload, uint32_t len)
{
	unsigned char h[16];
	for (int i = 0; i < 8; i++) {
		h[i] = (unsigned char)(pos >> (8 * i));
		h[8 + i] = (unsigned char)(header >> (8 * i));
	}
	uint32_t crc = kaos_crc32c(0, h, sizeof(h));
	if (payload && len > 2 * KAOS_MSG_HEADER)
		crc = kaos_crc32c(crc, payload, len - 2 * KAOS_MSG_HEADER);
	return (uint64_t)len << 32 | crc;
}

/* Store the check word of padding at @p pos (CRC rings), before its
 * header. */
static void
seal_padding(const struct kaos_msgring *ring, uint64_t pos, uint32_t len)
{
	if (len < 2 * KAOS_MSG_HEADER)
		return; /* the last 8 bytes of the buffer: checked by place */
	uint64_t w = check_word(pos, kaos__msg_make(KAOS_MSG_PADDING, (int32_t)len), NULL, len);
	/* Plain: published by the release of the padding's header. */
	memcpy(ring->ro.buf + (pos & ring->ro.mask) + KAOS_MSG_HEADER, &w, sizeof(w));
}

void
kaos__msgring_seal(struct kaos_msgring_producer *p, const void *payload)
{
	struct kaos_msgring *ring = p->ring;
	unsigned char *rec = ring->ro.buf + (p->claim_at & ring->ro.mask);
	uint64_t w = check_word(p->claim_at, kaos__msg_make(p->claim_type, (int32_t)p->claim_len),
				payload ? payload : rec + 2 * KAOS_MSG_HEADER, p->claim_len);
	/* Plain: published by the commit's release (P1). */
	memcpy(rec + KAOS_MSG_HEADER, &w, sizeof(w));
	/* A single producer's padding at the wrap is stored by its commit,
	 * right after this (a multi-producer claim stored its own). */
	if (p->claim_pad && !(ring->ro.flags & KAOS_MSGRING_MP))
		seal_padding(ring, p->claim_at - p->claim_pad, (uint32_t)p->claim_pad);
}

/* The record at position @p pos, header word @p w: 0 sound; 1 damaged
 * (skip it); -1 its length is (the framing is lost). */
static int
check(const struct kaos_msgring *ring, uint64_t pos, uint64_t w)
{
	uint64_t idx = pos & ring->ro.mask;
	uint32_t len = (uint32_t)w, type = (uint32_t)(w >> 32);
	/* Padding without a check word only fills the buffer's last 8
	 * bytes, and only padding fits there. */
	if (len == KAOS_MSG_HEADER || ring->ro.capacity - idx < 2 * KAOS_MSG_HEADER)
		return type == KAOS_MSG_PADDING && len == KAOS_MSG_HEADER &&
				       ring->ro.capacity - idx == KAOS_MSG_HEADER
			       ? 0
			       : -1;
	uint64_t stored;
	/* Plain: the caller's acquire of the header ordered it (P1). */
	memcpy(&stored, ring->ro.buf + idx + KAOS_MSG_HEADER, sizeof(stored));
	if ((uint32_t)(stored >> 32) != len)
		return -1;
	const unsigned char *payload =
		type == KAOS_MSG_PADDING ? NULL : ring->ro.buf + idx + 2 * KAOS_MSG_HEADER;
	return stored == check_word(pos, w, payload, len) ? 0 : 1;
}

int64_t
kaos__msgring_read_crc(struct kaos_msgring *ring, kaos__msg_handler fn, void *ctx,
		       uint64_t limit)
{
	return kaos__msgring_read_records(ring, fn, ctx, limit, true);
}

bool
kaos__msgring_crc_ok(const struct kaos_msgring *ring, uint64_t pos, uint32_t len)
{
	/* Relaxed: the reader acquired this word (C1); it cannot change
	 * until the record is released. */
	uint64_t w = atomic_load_explicit(kaos__msg_word(ring, pos & ring->ro.mask),
					  memory_order_relaxed);
	return (uint32_t)w == len && check(ring, pos, w) == 0;
}

/* ---- multi-producer claims ------------------------------------------------ */

/* Say that we may hold a claim at @p pos or after, or (NO_MARK) none. */
static void
set_mark(struct kaos_msgring_producer *p, uint64_t pos)
{
	/* Release: whoever sees the mark cleared sees the header we wrote
	 * before it (the unblocker's acquire in the alive function). A mark
	 * set is published by the claim's release instead. */
	if (p->mark)
		atomic_store_explicit(p->mark, pos,
				      pos == NO_MARK ? memory_order_release : memory_order_relaxed);
}

int
kaos__msgring_claim_mp(struct kaos_msgring_producer *p, uint32_t type, size_t len,
		       void **data)
{
	struct kaos_msgring *ring = p->ring;
	struct kaos__ring_ctl *ctl = ring->ro.ctl;
	uint32_t reclen = kaos__msg_prefix(ring) + (uint32_t)len;
	if (reclen > ring->ro.max_record)
		return -KAOS_ETOOBIG;
	uint64_t rec = kaos__msg_align(reclen), pad;
	/* Relaxed: a guess the CAS checks. The mark says "at or after it":
	 * tail only grows, so the claim we get is never below the guess. */
	uint64_t tail = atomic_load_explicit(&ctl->tail, memory_order_relaxed);
	set_mark(p, tail);
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
				set_mark(p, NO_MARK);
				kaos__count(&ctl->full);
				return -KAOS_EFULL;
			}
		}
		/* Tail is shared: one that is not a record's start, or is
		 * below the consumer's head, is damage, and a claim there
		 * would write outside the records (or the buffer). But our
		 * guess may be older than the head we read: only a tail
		 * loaded after that head counts (it is at least the head:
		 * the claims below it came before the reads that released
		 * them). */
		if (KAOS_UNLIKELY(tail % KAOS_MSG_ALIGN || p->limit - tail > ring->ro.capacity)) {
			/* Relaxed: as the first guess. */
			uint64_t now = atomic_load_explicit(&ctl->tail, memory_order_relaxed);
			if (now != tail) {
				tail = now;
				continue;
			}
			set_mark(p, NO_MARK);
			return -KAOS_ECORRUPT;
		}
		/* On success, acquire: our stores into the claimed bytes stay
		 * after the claim; release: our mark is seen by whoever sees
		 * the claim (tail's releases form a chain, so a later tail
		 * value carries it too). Relaxed on failure: we only retry. */
		if (atomic_compare_exchange_weak_explicit(&ctl->tail, &tail, tail + pad + rec,
							  memory_order_acq_rel,
							  memory_order_relaxed))
			break;
	}
	KAOS__TEST_HOOK("msgring_claimed"); /* between the claim and the header */
	if (pad) { /* P1: the padding is complete as soon as it is ours */
		if (ring->ro.flags & KAOS_MSGRING_CRC)
			seal_padding(ring, tail, (uint32_t)pad);
		atomic_store_explicit(kaos__msg_word(ring, tail & ring->ro.mask),
				      kaos__msg_make(KAOS_MSG_PADDING, (int32_t)pad),
				      memory_order_release);
	}
	uint64_t at = tail + pad;
	/* Relaxed: "claimed, being written", with our length and owner, for
	 * kaos_msgring_unblock(); readers treat it as not ready. */
	atomic_store_explicit(kaos__msg_word(ring, at & ring->ro.mask),
			      kaos__msg_make(p->owner, -(int32_t)reclen), memory_order_relaxed);
	/* Keep our payload stores after that header word, so an unblocker
	 * scanning a dead neighbour's zeroed bytes meets our header before
	 * any of our payload (a dmb on aarch64, nothing on x86-64). */
	atomic_thread_fence(memory_order_release);
	set_mark(p, NO_MARK); /* the header says who we are now */
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
		uint64_t idx = p->claim_at & ring->ro.mask;
		uint32_t len = (uint32_t)kaos__msg_align(p->claim_len);
		if (ring->ro.flags & KAOS_MSGRING_CRC)
			seal_padding(ring, p->claim_at, len);
		atomic_store_explicit(kaos__msg_word(ring, idx),
				      kaos__msg_make(KAOS_MSG_PADDING, (int32_t)len),
				      memory_order_release);
		if (ring->ro.notify.blocking)
			kaos_waitpoint_notify(&ring->ro.ctl->data);
	}
	/* Single producer: nothing was published, and its reader never looks
	 * past the tail: the space is simply ours again. */
	return 0;
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
	if (ring->ro.notify.blocking)
		kaos_waitpoint_notify(&ring->ro.ctl->space);
}

int64_t
kaos__msgring_stop(struct kaos_msgring *ring, uint64_t start, uint64_t pos, uint64_t skip,
		   int64_t delivered)
{
	if (skip && (ring->ro.flags & KAOS_MSGRING_CRC)) {
		/* A CRC failure: skip the record only if its length agrees
		 * with its copy, else there is no telling where the next
		 * record starts. Relaxed: as in kaos__msgring_crc_ok(). */
		if (check(ring, pos, atomic_load_explicit(kaos__msg_word(ring, pos & ring->ro.mask),
							  memory_order_relaxed)) < 0)
			skip = 0;
	}
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
		if (ring->ro.alive && ring->ro.alive((uint32_t)(w >> 32), pos, ring->ro.alive_ctx))
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
		     ring->ro.alive(KAOS_MSGRING_ANY_OWNER, UINT64_MAX, ring->ro.alive_ctx)))
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
		/* A live producer between its claim and its header store has
		 * its mark at or below pos (seen: we acquired tail after its
		 * claim's release); the space may be its. */
		if (ring->ro.alive && ring->ro.alive(KAOS_MSGRING_ANY_OWNER, pos, ring->ro.alive_ctx))
			return 0;
		pad = i - idx;
		/* No record is longer: several dead claims in a row are
		 * unblocked one record's worth at a time, leaving no 8 bytes
		 * alone in a CRC ring (only the buffer's end has padding
		 * that small). */
		if (pad > ring->ro.max_record) {
			bool crc = ring->ro.flags & KAOS_MSGRING_CRC;
			uint64_t rest = pad - ring->ro.max_record;
			pad = ring->ro.max_record - (crc && rest < 2 * KAOS_MSG_HEADER
							     ? KAOS_MSG_HEADER
							     : 0);
		}
	}
	if (ring->ro.flags & KAOS_MSGRING_CRC)
		seal_padding(ring, pos, (uint32_t)pad);
	/* Release: as P1. The CAS loses only to a commit that came after
	 * all: then nothing needs unblocking. */
	if (!atomic_compare_exchange_strong_explicit(hw, &w,
						     kaos__msg_make(KAOS_MSG_PADDING, (int32_t)pad),
						     memory_order_release, memory_order_relaxed))
		return 0;
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(&ring->ro.ctl->unblocked, 1, memory_order_relaxed);
	ring->cons.stuck_since = 0;
	if (ring->ro.notify.blocking)
		kaos_waitpoint_notify(&ring->ro.ctl->data);
	return 1;
}

/* ---- waiting -------------------------------------------------------------- */

/* A claim's or a read's further arguments. */
struct claim {
	uint32_t type;
	void **data;
};
struct read {
	kaos_msg_handler_fn fn;
	void *ctx;
};

KAOS__RING_TRY(try_claim,
	       kaos_msgring_claim(a->ring, ((struct claim *)a->arg)->type, a->n,
				  ((struct claim *)a->arg)->data),
	       -KAOS_EFULL)
KAOS__RING_TRY(try_read,
	       kaos_msgring_read(a->ring, ((struct read *)a->arg)->fn,
				 ((struct read *)a->arg)->ctx, a->n),
	       0)

int
kaos_msgring_claim_wait(struct kaos_msgring_producer *p, uint32_t type, size_t len,
			void **data, const struct kaos_wait *how)
{
	if (!p || !p->ring || !data)
		return -EINVAL;
	struct claim c = { type, data };
	return (int)kaos__ring_wait(&kaos__msgring_kind, p->ring, true, try_claim, p, len, &c,
				    how);
}

int64_t
kaos_msgring_read_wait(struct kaos_msgring *ring, kaos_msg_handler_fn fn, void *ctx,
		       uint64_t limit, const struct kaos_wait *how)
{
	if (!ring || !ring->ro.ctl || !fn || limit == 0)
		return -EINVAL;
	struct read r = { fn, ctx };
	return kaos__ring_wait(&kaos__msgring_kind, ring, false, try_read, ring, limit, &r, how);
}

void
kaos_msgring_stats(const struct kaos_msgring *ring, struct kaos_ring_stats *out)
{
	kaos__ring_stats(&kaos__msgring_kind, ring, NULL, out);
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

/* ---- the descriptor ------------------------------------------------------------ */

/* What one process holds of a message ring in shared memory. */
struct endpoint {
	struct kaos_msgring ring;
	struct kaos_msgring_producer prod;
};

static uint64_t
fill(const void *ring)
{
	return kaos_msgring_used(ring);
}

static int
join(void *vep, const struct kaos__ring_role *role)
{
	struct endpoint *ep = vep;
	if (role->producer) {
		int rc = kaos_msgring_producer_init(&ep->prod, &ep->ring, role->owner);
		ep->prod.mark = role->claim_mark;
		return rc;
	}
	kaos_msgring_set_alive_fn(&ep->ring, role->alive, role->alive_ctx);
	return kaos_msgring_recover(&ep->ring);
}

static void
detach(void *vep, const struct kaos__ring_role *role)
{
	struct endpoint *ep = vep;
	if (role->producer && ep->prod.claimed)
		kaos_msgring_abort(&ep->prod); /* hand an open claim back */
}

static int
send(void *vep, uint32_t type, const void *data, size_t len)
{
	struct endpoint *ep = vep;
	return kaos_msgring_write(&ep->prod, type, data, len);
}

static int64_t
receive(void *vep, kaos_msg_handler_fn fn, void *ctx, uint64_t limit)
{
	struct endpoint *ep = vep;
	return kaos_msgring_read(&ep->ring, fn, ctx, limit);
}

static bool
drained(const void *vep)
{
	const struct endpoint *ep = vep;
	return kaos_msgring_used(&ep->ring) == 0;
}

static int
tend(void *vep, uint64_t unblock_ns)
{
	struct endpoint *ep = vep;
	int rc = kaos_msgring_unblock(&ep->ring, unblock_ns);
	return rc < 0 ? rc : 0;
}

const struct kaos__ring_kind kaos__msgring_kind = {
	.name = "msgring", .unit = "bytes", .checksums = true,
	KAOS__RING_HANDLE(struct kaos_msgring),
	.memsize = memsize, .layout = layout, .reset = reset, .resume = resume,
	.stats = kaos__ring_ctl_stats, .fill = fill,
	.endpoint_size = sizeof(struct endpoint), .producer_offset = offsetof(struct endpoint, prod),
	.join = join, .detach = detach, .send = send, .receive = receive,
	.drained = drained, .tend = tend,
};
