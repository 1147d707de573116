/* SPDX-License-Identifier: MIT */
/*
 * @internal The message ring's handles, record helpers and the bodies of
 * its inline functions. Not for users: include <kaos/msgring.h>, which
 * documents the API, the record format and the ordering pairs
 * (P1 commit, C1 read, C2 release, P2 claim).
 *
 * Everything the reader takes from the buffer is bounded before use: a
 * record must lie inside the buffer and inside max_record, so a damaged
 * header word (another process may write anything) stops the reader with
 * -KAOS_ECORRUPT; it never reads outside the ring.
 */
#ifndef KAOS_DETAIL_MSGRING_H
#define KAOS_DETAIL_MSGRING_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/detail/ring.h>
#include <kaos/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A ring as one process sees it, with the consumer's state. The shared
 * part is the control block (tail: claimed (MP) or committed (SP) bytes;
 * head: bytes consumed and zeroed; read, unblocked, corrupt), then the
 * buffer. */
struct kaos_msgring {
	KAOS_CACHE_ALIGNED struct {
		uint64_t pos;         /* next byte to read */
		uint64_t stuck_pos;   /* unblock: where we saw no progress */
		uint64_t stuck_since; /* ... and since when (ns) */
		uint64_t avail;       /* single producer: cached tail */
	} cons;
	KAOS_CACHE_ALIGNED struct {
		struct kaos__ring_ctl *ctl;
		unsigned char *buf;
		uint64_t mask;
		uint64_t capacity;
		uint32_t max_record; /* bytes, header included */
		uint32_t flags;
		struct kaos__ring_notify notify; /* publish/release wake sleepers */
		kaos_msgring_alive_fn alive; /* NULL: claimers are never asked */
		void *alive_ctx;
		struct kaos_region region;
	} ro;
};

/* One producer's private state; one thread uses it at a time, so it has
 * cache lines of its own. */
struct kaos_msgring_producer {
	KAOS_CACHE_ALIGNED struct kaos_msgring *ring;
	uint64_t pos;     /* SP: next byte to write (MP: unused) */
	uint64_t published; /* SP: tail as last stored (deferred commits) */
	uint64_t limit;   /* cached head + capacity: writable below */
	uint32_t owner;   /* MP: written into our claimed headers */
	bool claimed;     /* a claim is open */
	uint64_t claim_at;  /* where the claimed record's header is */
	uint64_t claim_pad; /* padding bytes before it (at the wrap) */
	uint32_t claim_len; /* record length: header (+ check) + payload */
	uint32_t claim_type;
	/* MP: where we say at which position we are claiming, from before
	 * our compare-and-swap until our header is written (NULL: nowhere).
	 * kaos_msgring_unblock() asks, through the alive function, so that
	 * a live claimer's space is never taken. */
	_Atomic uint64_t *mark;
};

/* Out of line: slow paths of the inline functions below. */
KAOS_API int kaos__msgring_claim_mp(struct kaos_msgring_producer *p, uint32_t type,
				    size_t len, void **data);
KAOS_API int kaos__msgring_bad_claim(const struct kaos_msgring_producer *p,
				     uint32_t type, size_t len);
/* CRC rings: is the record (or padding) at position @p pos, @p len bytes
 * by its header, sound? (If not, kaos__msgring_stop() tells a damaged
 * record, skipped, from a damaged length, which stops the ring.) */
KAOS_API bool kaos__msgring_crc_ok(const struct kaos_msgring *ring, uint64_t pos,
				   uint32_t len);
/* CRC rings: store the check words of the claimed record (and of the
 * padding before it, if any), over @p payload (the caller's bytes, which
 * the ring now holds a copy of), or NULL: over what the ring holds. */
KAOS_API void kaos__msgring_seal(struct kaos_msgring_producer *p, const void *payload);
/* End a read at the record at @p pos that cannot be delivered: deliver
 * what came before; next time, skip @p skip bytes (0: never, the ring
 * stops there). */
KAOS_API int64_t kaos__msgring_stop(struct kaos_msgring *ring, uint64_t start,
				    uint64_t pos, uint64_t skip, int64_t delivered);
KAOS_API void kaos__msgring_release(struct kaos_msgring *ring, uint64_t start,
				    uint64_t end);

/* ---- record helpers ------------------------------------------------------- */

/* Header word at byte offset @p idx of the buffer. */
KAOS_ALWAYS_INLINE _Atomic uint64_t *
kaos__msg_word(const struct kaos_msgring *ring, uint64_t idx)
{
	return (_Atomic uint64_t *)(void *)(ring->ro.buf + idx);
}

KAOS_ALWAYS_INLINE uint64_t
kaos__msg_make(uint32_t type, int32_t len)
{
	return (uint64_t)type << 32 | (uint32_t)len;
}

KAOS_ALWAYS_INLINE uint64_t
kaos__msg_align(uint64_t n)
{
	return (n + KAOS_MSG_ALIGN - 1) & ~(uint64_t)(KAOS_MSG_ALIGN - 1);
}

/* Bytes before the payload: header, plus the check word. */
KAOS_ALWAYS_INLINE uint32_t
kaos__msg_prefix(const struct kaos_msgring *ring)
{
	return (ring->ro.flags & KAOS_MSGRING_CRC) ? 2 * KAOS_MSG_HEADER : KAOS_MSG_HEADER;
}

/* ---- producer ------------------------------------------------------------- */

/* Single producer: make every committed record visible. P1 for the
 * single-producer reader: the release pairs with its acquire of tail
 * (C1); a producer restarting on the ring also continues here. */
KAOS_ALWAYS_INLINE void
kaos__msgring_store_tail(struct kaos_msgring_producer *p)
{
	struct kaos_msgring *ring = p->ring;
	p->published = p->pos;
	kaos__ring_advance(&ring->ro.ctl->tail, p->pos, &ring->ro.notify, &ring->ro.ctl->data);
}

KAOS_INLINE void
kaos_msgring_flush(struct kaos_msgring_producer *p)
{
	if (!(p->ring->ro.flags & KAOS_MSGRING_MP) && p->published != p->pos)
		kaos__msgring_store_tail(p);
}

/* Single producer: room at p->pos for @p rec contiguous bytes, after
 * *@p pad bytes of padding to the end of the buffer if they would not fit
 * before it? Refreshes the cached limit only when it says no. */
KAOS_ALWAYS_INLINE bool
kaos__msgring_sp_room(struct kaos_msgring_producer *p, uint64_t rec, uint64_t *pad)
{
	struct kaos_msgring *ring = p->ring;
	uint64_t idx = p->pos & ring->ro.mask;
	*pad = ring->ro.capacity - idx < rec ? ring->ro.capacity - idx : 0;
	if (p->limit - p->pos >= *pad + rec)
		return true;
	/* P2: pairs with C2: the consumer is done with, and has zeroed,
	 * everything below head. */
	p->limit = atomic_load_explicit(&ring->ro.ctl->head, memory_order_acquire) +
		   ring->ro.capacity;
	if (p->limit - p->pos >= *pad + rec)
		return true;
	/* Full: what was deferred must become visible, or a reader waiting
	 * for it would never free space. */
	kaos_msgring_flush(p);
	kaos__count_single(&ring->ro.ctl->full); /* one producer */
	return false;
}

KAOS_INLINE int
kaos_msgring_claim(struct kaos_msgring_producer *p, uint32_t type, size_t len,
		    void **data)
{
	struct kaos_msgring *ring = p->ring;
	if (KAOS_UNLIKELY(len > ring->ro.max_record || type > KAOS_MSG_TYPE_MAX ||
			  p->claimed))
		return kaos__msgring_bad_claim(p, type, len);
	if (ring->ro.flags & KAOS_MSGRING_MP)
		return kaos__msgring_claim_mp(p, type, len, data);
	uint32_t reclen = kaos__msg_prefix(ring) + (uint32_t)len;
	if (KAOS_UNLIKELY(reclen > ring->ro.max_record))
		return -KAOS_ETOOBIG;
	uint64_t pos = p->pos;
	uint64_t pad;
	if (!kaos__msgring_sp_room(p, kaos__msg_align(reclen), &pad))
		return -KAOS_EFULL;
	p->claimed = true;
	p->claim_at = pos + pad;
	p->claim_pad = pad;
	p->claim_len = reclen;
	p->claim_type = type;
	*data = ring->ro.buf + ((pos + pad) & ring->ro.mask) + kaos__msg_prefix(ring);
	return 0;
}

/* commit, publishing now or (single producer) deferring; @p payload:
 * see kaos__msgring_seal(). */
KAOS_ALWAYS_INLINE int
kaos__msgring_commit(struct kaos_msgring_producer *p, bool defer, const void *payload)
{
	struct kaos_msgring *ring = p->ring;
	if (KAOS_UNLIKELY(!p->claimed))
		return -EINVAL;
	p->claimed = false;
	if (ring->ro.flags & KAOS_MSGRING_CRC)
		kaos__msgring_seal(p, payload);
	uint64_t at = p->claim_at;
	/* P1: pairs with C1. */
	atomic_store_explicit(kaos__msg_word(ring, at & ring->ro.mask),
			      kaos__msg_make(p->claim_type, (int32_t)p->claim_len),
			      memory_order_release);
	if (ring->ro.flags & KAOS_MSGRING_MP) {
		kaos__ring_wake(&ring->ro.notify, &ring->ro.ctl->data);
		return 0;
	}
	if (p->claim_pad) {
		/* After the record (P1 again): a reader that sees the padding
		 * and skips to the start sees the record (and the padding's
		 * check word, which the seal above wrote in CRC rings). */
		atomic_store_explicit(kaos__msg_word(ring, (at - p->claim_pad) & ring->ro.mask),
				      kaos__msg_make(KAOS_MSG_PADDING, (int32_t)p->claim_pad),
				      memory_order_release);
	}
	p->pos = at + kaos__msg_align(p->claim_len);
	if (!defer || p->pos - p->published >= KAOS_MSGRING_PUBLISH_BYTES)
		kaos__msgring_store_tail(p);
	return 0;
}

KAOS_INLINE int
kaos_msgring_write(struct kaos_msgring_producer *p, uint32_t type, const void *src,
		    size_t len)
{
	void *dst = NULL;
	int rc = kaos_msgring_claim(p, type, len, &dst);
	if (rc < 0)
		return rc;
	if (len)
		memcpy(dst, src, len);
	/* A CRC covers what was sent: computed from src, not from the ring,
	 * which another process could have changed meanwhile. */
	return kaos__msgring_commit(p, false, src);
}

/* ---- batches ---------------------------------------------------------------- */

KAOS_INLINE int
kaos_msgring_batch_claim(struct kaos_msgring_batch *b, uint32_t type, size_t len,
			  void **data)
{
	/* The length is checked before it is added to: len near SIZE_MAX
	 * must not wrap into a small record. */
	if (KAOS_UNLIKELY(type > KAOS_MSG_TYPE_MAX))
		return -EINVAL;
	if (KAOS_UNLIKELY(len > INT32_MAX - KAOS_MSG_ALIGN))
		return -KAOS_EFULL;
	uint64_t reclen = KAOS_MSG_ALIGN + (uint64_t)len; /* header + payload */
	uint64_t rec = kaos__msg_align(reclen);
	if (KAOS_UNLIKELY(rec > b->cap - b->used))
		return -KAOS_EFULL;
	unsigned char *at = b->buf + b->used;
	uint64_t w = kaos__msg_make(type, (int32_t)reclen);
	memcpy(at, &w, sizeof(w));
	if (rec != reclen) /* the alignment tail: no stale bytes go out */
		memset(at + reclen, 0, rec - reclen);
	b->used += rec;
	b->count++;
	*data = at + KAOS_MSG_ALIGN;
	return 0;
}

/* ---- consumer ------------------------------------------------------------- */

typedef void (*kaos__msg_handler)(uint32_t type, const void *data, size_t len, void *ctx);

/* Reading a CRC ring (out of line: it checks every record anyway). */
KAOS_API int64_t kaos__msgring_read_crc(struct kaos_msgring *ring, kaos__msg_handler fn,
					void *ctx, uint64_t limit);

/* The reader; @p crc (a constant at both call sites) says whether the
 * ring's records carry check words. */
KAOS_ALWAYS_INLINE int64_t
kaos__msgring_read_records(struct kaos_msgring *ring, kaos__msg_handler fn, void *ctx,
			   uint64_t limit, bool crc)
{
	uint64_t start = ring->cons.pos, pos = start, end;
	int64_t n = 0;
	uint32_t prefix = crc ? 2 * KAOS_MSG_HEADER : KAOS_MSG_HEADER;
	bool mp = ring->ro.flags & KAOS_MSGRING_MP;
	if (!mp) {
		/* Single producer: read below the committed tail only, so we
		 * never touch the line the producer is writing. C1: pairs with
		 * the commit's release of tail. */
		end = ring->cons.avail;
		if ((int64_t)(end - pos) <= 0) { /* used up (or never loaded) */
			end = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
			if (end == pos)
				return 0;
			if (KAOS_UNLIKELY(end - start > ring->ro.capacity))
				return -KAOS_ECORRUPT; /* a damaged tail: never trust it */
			ring->cons.avail = end;
		}
	} else {
		/* At most one buffer per call: a full ring's first record,
		 * not yet zeroed, follows its last. */
		end = start + ring->ro.capacity;
	}
	for (;;) {
		while ((uint64_t)n < limit && pos - start < end - start) {
			uint64_t idx = pos & ring->ro.mask;
			/* C1: pairs with P1 (the producer's commit). */
			uint64_t w = atomic_load_explicit(kaos__msg_word(ring, idx),
							  memory_order_acquire);
			int32_t len = (int32_t)(uint32_t)w;
			uint32_t type = (uint32_t)(w >> 32);
			if (len <= 0) {
				if (KAOS_UNLIKELY(!mp)) /* below the tail: must be there */
					return kaos__msgring_stop(ring, start, pos, 0, n);
				break; /* not committed yet */
			}
			uint64_t rec = kaos__msg_align((uint64_t)len);
			if (KAOS_UNLIKELY(rec > ring->ro.capacity - idx ||
					  (uint32_t)len > ring->ro.max_record ||
					  (type != KAOS_MSG_PADDING && (uint32_t)len < prefix)))
				return kaos__msgring_stop(ring, start, pos, 0, n);
			if (crc && KAOS_UNLIKELY(!kaos__msgring_crc_ok(ring, pos, (uint32_t)len)))
				return kaos__msgring_stop(ring, start, pos, rec, n);
			if (type != KAOS_MSG_PADDING) {
				fn(type, ring->ro.buf + idx + prefix, (size_t)len - prefix, ctx);
				n++;
			}
			pos += rec;
		}
		/* Single producer: the tail we cached is used up; look once
		 * more, so a read hands over everything committed by now. */
		if (mp || (uint64_t)n == limit || pos != end)
			break;
		end = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
		if (end == pos || KAOS_UNLIKELY(end - start > ring->ro.capacity))
			break; /* (a damaged tail is reported by the next call) */
		ring->cons.avail = end;
	}
	if (pos != start)
		kaos__msgring_release(ring, start, pos);
	return n;
}

KAOS_INLINE int64_t
kaos_msgring_read(struct kaos_msgring *ring, kaos__msg_handler fn, void *ctx, uint64_t limit)
{
	if (KAOS_UNLIKELY(ring->ro.flags & KAOS_MSGRING_CRC))
		return kaos__msgring_read_crc(ring, fn, ctx, limit);
	return kaos__msgring_read_records(ring, fn, ctx, limit, false);
}

/* ---- the public inline functions (declared and documented in kaos/msgring.h) ---- */

KAOS__RING_ACCESSORS(kaos_msgring, struct kaos_msgring, ro.notify, ro.capacity);

KAOS_INLINE size_t
kaos_msgring_max_payload(const struct kaos_msgring *ring)
{
	return ring->ro.max_record - KAOS_MSG_HEADER -
	       ((ring->ro.flags & KAOS_MSGRING_CRC) ? KAOS_MSG_ALIGN : 0);
}

KAOS_INLINE uint64_t
kaos_msgring_used(const struct kaos_msgring *ring)
{
	return kaos__ring_used(ring->ro.ctl);
}

KAOS_INLINE uint64_t
kaos_msgring_unblocked(const struct kaos_msgring *ring)
{
	/* Relaxed: a statistic. */
	return atomic_load_explicit(&ring->ro.ctl->unblocked, memory_order_relaxed);
}

KAOS_INLINE uint64_t
kaos_msgring_corrupt(const struct kaos_msgring *ring)
{
	/* Relaxed: a statistic. */
	return atomic_load_explicit(&ring->ro.ctl->corrupt, memory_order_relaxed);
}

KAOS_INLINE int
kaos_msgring_commit(struct kaos_msgring_producer *p)
{
	return kaos__msgring_commit(p, false, NULL);
}

KAOS_INLINE int
kaos_msgring_commit_deferred(struct kaos_msgring_producer *p)
{
	return kaos__msgring_commit(p, true, NULL);
}

KAOS_INLINE int
kaos_msgring_batch_add(struct kaos_msgring_batch *b, uint32_t type, const void *src,
		       size_t len)
{
	void *dst;
	int rc = kaos_msgring_batch_claim(b, type, len, &dst);
	if (rc == 0 && len)
		memcpy(dst, src, len);
	return rc;
}

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_MSGRING_H */
