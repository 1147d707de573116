/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/msgring.h
 * Variable-length message ring: framed records in a byte ring.
 *
 * Each record is an 8-byte header followed by its payload, padded to 8
 * bytes. The header is one little-endian 64-bit word: the low 32 bits hold
 * the record length (header + checksum word + payload, before padding) as a
 * signed integer, the high 32 bits the message type. A length of 0 means
 * "nothing written here yet", a negative length "claimed, being written"
 * (multi-producer only; the high bits then name the claimer). A record is
 * always contiguous: one that would cross the end of the buffer is preceded
 * by a padding record (type KAOS_MSG_PADDING) that fills the space to the
 * end.
 *
 * The producer claims space, writes the payload in place and commits, which
 * stores the header with release. With a single producer, commit then
 * stores the tail with release and the consumer reads every record below
 * the tail it loaded (acquire), so it never touches the line the producer
 * is writing. With several producers the tail only says what was claimed:
 * the consumer reads header words with acquire and stops at one not yet
 * committed, and it zeroes the bytes it consumed before releasing them, so
 * a header word it meets later is either 0 or written in the current lap
 * (the scheme of Aeron's ring buffers). Either way readers never see a
 * half-written record, and each producer commits independently.
 *
 * Variants (flags at init): single producer (one producer handle; claim is
 * a plain store) or multi-producer (KAOS_MSGRING_MP: any number of producer
 * handles, in threads or processes; claim is one compare-and-swap on the
 * shared tail). KAOS_MSGRING_CRC adds a CRC-32C word to each record,
 * checked by the reader.
 *
 * Limits: capacity is a power of two in [KAOS_MSGRING_MIN_CAPACITY,
 * KAOS_MSGRING_MAX_CAPACITY] bytes; a record is at most capacity / 8 bytes,
 * so the largest payload is capacity / 8 - 8 (- 8 more with CRC); larger is
 * -KAOS_ETOOBIG. Empty payloads are allowed. Types are 0..KAOS_MSG_TYPE_MAX.
 *
 * Ordering:
 *   P1 commit: store-release of the header (SP: then of tail) -> C1
 *   C1 read:   load-acquire of the tail (SP) / each header (MP)
 *   C2 read:   (MP: zero consumed bytes), store-release head -> P2
 *   P2 claim:  load-acquire of head (space, and the zeroing, are ours)
 *
 * A multi-producer claimer that dies between claim and commit leaves a
 * record nobody will commit. kaos_msgring_unblock() (the consumer, after a
 * timeout) turns it into padding, as Aeron does, and counts it.
 */
#ifndef KAOS_MSGRING_H
#define KAOS_MSGRING_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/common.h>
#include <kaos/counters.h>
#include <kaos/error.h>
#include <kaos/mem.h>
#include <kaos/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "kaos msgring records are little-endian; big-endian hosts are not supported"
#endif

#define KAOS_MSGRING_MIN_CAPACITY ((uint64_t)256)
#define KAOS_MSGRING_MAX_CAPACITY ((uint64_t)1 << 31)
/** Type of padding records; never delivered. */
#define KAOS_MSG_PADDING UINT32_MAX
/** Largest type a user may send. */
#define KAOS_MSG_TYPE_MAX (UINT32_MAX - 1)
#define KAOS_MSG_HEADER 8u
/** kaos_msgring_commit_deferred() publishes at least every this many bytes. */
#define KAOS_MSGRING_PUBLISH_BYTES 4096u
#define KAOS_MSG_ALIGN 8u

/** Flags for kaos_msgring_init() / kaos_msgring_create(). */
enum kaos_msgring_flags {
	KAOS_MSGRING_MP = 1u << 0,  /**< several producers (CAS claim) */
	KAOS_MSGRING_CRC = 1u << 1, /**< a CRC-32C word per record, checked on read */
};
#define KAOS_MSGRING_FLAGS_ALL (KAOS_MSGRING_MP | KAOS_MSGRING_CRC)

/** The shared part, at the start of the ring's memory. */
struct kaos_msgring_ctl {
	KAOS_CACHE_ALIGNED _Atomic uint64_t tail; /**< claimed (MP) / committed (SP) bytes */
	char guard0[2 * KAOS_CACHELINE - sizeof(uint64_t)];
	_Atomic uint64_t head; /**< bytes consumed and zeroed: consumer writes */
	_Atomic uint64_t read; /**< bytes consumed, zeroing maybe unfinished */
	_Atomic uint64_t unblocked; /**< dead claims turned into padding */
	_Atomic uint64_t corrupt;   /**< records that failed their checksum */
	char guard1[2 * KAOS_CACHELINE - 4 * sizeof(uint64_t)];
	struct kaos_waitpoint data;  /**< a blocked consumer sleeps here */
	struct kaos_waitpoint space; /**< blocked producers sleep here */
	char guard2[KAOS_CACHELINE - 2 * sizeof(struct kaos_waitpoint)];
	KAOS_CACHE_ALIGNED _Atomic uint64_t full; /**< refused claims */
	char guard3[KAOS_CACHELINE - sizeof(uint64_t)];
};

/** Owner id meaning "any producer" in a question to the alive function. */
#define KAOS_MSGRING_ANY_OWNER UINT32_MAX

/** Says whether the producer with this owner id (see
 * kaos_msgring_producer_init()) is still alive, or with
 * KAOS_MSGRING_ANY_OWNER whether any producer is; used by unblock. */
typedef bool (*kaos_msgring_alive_fn)(uint32_t owner, void *ctx);

/**
 * A ring as one process sees it, with the consumer's state. Transparent so
 * the hot path inlines; treat every field as private.
 */
struct kaos_msgring {
	KAOS_CACHE_ALIGNED struct {
		uint64_t pos;         /* next byte to read */
		uint64_t stuck_pos;   /* unblock: where we saw no progress */
		uint64_t stuck_since; /* ... and since when (ns) */
		uint64_t avail;       /* single producer: cached tail */
	} cons;
	KAOS_CACHE_ALIGNED struct {
		struct kaos_msgring_ctl *ctl;
		unsigned char *buf;
		uint64_t mask;
		uint64_t capacity;
		uint32_t max_record; /* bytes, header included */
		uint32_t flags;
		bool blocking;
		kaos_msgring_alive_fn alive; /* NULL: claimers are never asked */
		void *alive_ctx;
		struct kaos_region region;
	} ro;
};

/** One producer's private state; one thread uses it at a time. */
struct kaos_msgring_producer {
	struct kaos_msgring *ring;
	uint64_t pos;     /* SP: next byte to write (MP: unused) */
	uint64_t published; /* SP: tail as last stored (deferred commits) */
	uint64_t limit;   /* cached head + capacity: writable below */
	uint32_t owner;   /* MP: written into our claimed headers */
	bool claimed;     /* a claim is open */
	uint64_t claim_at;  /* where the claimed record's header is */
	uint64_t claim_pad; /* padding bytes before it (at the wrap) */
	uint32_t claim_len; /* record length: header (+ crc) + payload */
	uint32_t claim_type;
};

/**
 * Called by kaos_msgring_read() for each record, in order, in place.
 * @p data is 8-byte aligned and valid only during the call.
 */
typedef void (*kaos_msg_handler_fn)(uint32_t type, const void *data, size_t len,
				    void *ctx);

/* ---- control plane (src/ring/msgring.c) ------------------------------- */

/**
 * Bytes of memory a ring of @p capacity buffer bytes needs.
 * @return 0; -EINVAL (capacity not a power of two in range, size NULL).
 */
KAOS_API int kaos_msgring_memsize(uint64_t capacity, size_t *size);

/**
 * Lay a ring out in caller memory (aligned to KAOS_CACHELINE, at least
 * kaos_msgring_memsize() bytes), empty. @p flags: enum kaos_msgring_flags.
 * @return 0; -EINVAL; -ENOBUFS if len is too small. Not thread-safe.
 */
KAOS_API int kaos_msgring_init(struct kaos_msgring *ring, void *mem, size_t len,
			       uint64_t capacity, uint32_t flags);

/**
 * Make a handle for a ring already laid out in @p mem (by init, possibly in
 * another process), without touching its contents: the consumer state
 * starts at the shared head. Used for shared memory.
 * @return as kaos_msgring_init(); -KAOS_ECORRUPT if the shared head is not
 *   8-byte aligned (a damaged ring). Any thread.
 */
KAOS_API int kaos_msgring_attach(struct kaos_msgring *ring, void *mem, size_t len,
				 uint64_t capacity, uint32_t flags);

/**
 * Take the consumer role over from a consumer that may have died in the
 * middle of releasing a batch (after handing the records over, before
 * storing head): finish zeroing what it consumed and continue after it, so
 * nothing is delivered twice and nothing stays blocked. Call once after
 * kaos_msgring_attach() and before reading. @return 0; -KAOS_ECORRUPT if
 * the shared positions are inconsistent; -EINVAL. Consumer only.
 */
KAOS_API int kaos_msgring_recover(struct kaos_msgring *ring);

/** Allocate (kaos_region_alloc) and init. @return as init, or -ENOMEM. */
KAOS_API int kaos_msgring_create(struct kaos_msgring *ring, uint64_t capacity,
				 uint32_t flags, enum kaos_mem mem);

/** Free a ring from kaos_msgring_create(); clear the handle otherwise. */
KAOS_API void kaos_msgring_destroy(struct kaos_msgring *ring);

/**
 * Prepare a producer handle. Single-producer rings allow one producer; it
 * continues at the shared tail (so a producer restarted on a ring in
 * shared memory carries on the sequence). @p owner identifies this producer
 * to kaos_msgring_unblock() (multi-producer; e.g. a process's slot number).
 * @return 0; -EINVAL; -KAOS_ECORRUPT if the shared positions are
 *   inconsistent (memory shared with a damaged or foreign writer).
 * Any thread, before the handle is used.
 */
KAOS_API int kaos_msgring_producer_init(struct kaos_msgring_producer *p,
					struct kaos_msgring *ring, uint32_t owner);

/** Make commit and read wake threads blocked with KAOS_WAIT_BLOCK (a fence
 * per call). Set on every handle of the ring, in every process. */
KAOS_INLINE void
kaos_msgring_set_blocking(struct kaos_msgring *ring, bool on)
{
	ring->ro.blocking = on;
}

/**
 * Let kaos_msgring_unblock() ask whether a claimer is alive before turning
 * its record into padding (a claim whose owner is alive is left alone).
 * Consumer side; before reading.
 */
KAOS_API void kaos_msgring_set_alive_fn(struct kaos_msgring *ring,
					kaos_msgring_alive_fn fn, void *ctx);

/**
 * Unblock a dead claim (multi-producer). If the record at the consumer's
 * position has been claimed but not committed, and nothing moved for
 * @p timeout_ns as measured across calls (the first call starts the clock),
 * turn it into padding so the records behind it flow again, and count it
 * (kaos_msgring_unblocked()). A claim whose owner the alive function says
 * is alive is never unblocked. A claimer so slow that it commits after its
 * record was unblocked would corrupt the ring: pick a timeout far above
 * any stall of a live producer (Aeron uses 15 s) when the alive function
 * cannot tell.
 * @return 1 if a record was unblocked; 0 otherwise; -EINVAL.
 * Consumer thread only.
 */
KAOS_API int kaos_msgring_unblock(struct kaos_msgring *ring, uint64_t timeout_ns);

/** As kaos_msgring_claim(), waiting per @p how for space.
 * @return as claim, or -ETIMEDOUT; -EINVAL for KAOS_WAIT_BLOCK without
 * blocking enabled. Producer only. */
KAOS_API int kaos_msgring_claim_wait(struct kaos_msgring_producer *p, uint32_t type,
				     size_t len, void **data, const struct kaos_wait *how);

/** As kaos_msgring_read(), waiting per @p how for at least one record.
 * @return as read, or -ETIMEDOUT. Consumer only. */
KAOS_API int64_t kaos_msgring_read_wait(struct kaos_msgring *ring,
					kaos_msg_handler_fn fn, void *ctx,
					uint64_t limit, const struct kaos_wait *how);

/** @internal slow paths of the inline functions below. */
KAOS_API int kaos__msgring_claim_mp(struct kaos_msgring_producer *p, uint32_t type,
				    size_t len, void **data);
KAOS_API int kaos__msgring_bad_claim(const struct kaos_msgring_producer *p,
				     uint32_t type, size_t len);
KAOS_API bool kaos__msgring_crc_ok(const struct kaos_msgring *ring, uint64_t idx,
				   uint32_t len);
KAOS_API int64_t kaos__msgring_stop(struct kaos_msgring *ring, uint64_t start,
				    uint64_t pos, uint64_t skip, int64_t delivered);
KAOS_API void kaos__msgring_release(struct kaos_msgring *ring, uint64_t start,
				    uint64_t end);

/* ---- queries -------------------------------------------------------------- */

/** The ring's counters (published and consumed in bytes). Any thread. */
KAOS_API void kaos_msgring_stats(const struct kaos_msgring *ring,
				 struct kaos_ring_stats *out);

/** Buffer bytes. Any thread. */
KAOS_INLINE uint64_t
kaos_msgring_capacity(const struct kaos_msgring *ring)
{
	return ring->ro.capacity;
}

/** Largest payload a record can carry. Any thread. */
KAOS_INLINE size_t
kaos_msgring_max_payload(const struct kaos_msgring *ring)
{
	return ring->ro.max_record - KAOS_MSG_HEADER -
	       ((ring->ro.flags & KAOS_MSGRING_CRC) ? KAOS_MSG_ALIGN : 0);
}

/** Bytes claimed or committed and not yet consumed: a snapshot for
 * monitoring (the lag). Any thread. */
KAOS_INLINE uint64_t
kaos_msgring_used(const struct kaos_msgring *ring)
{
	/* Acquire both (pairs with C2 and with the tail's stores): a
	 * monitoring snapshot; head first so tail >= head. */
	uint64_t head = atomic_load_explicit(&ring->ro.ctl->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&ring->ro.ctl->tail, memory_order_acquire);
	return tail - head;
}

/** Dead claims turned into padding so far. Any thread. */
KAOS_INLINE uint64_t
kaos_msgring_unblocked(const struct kaos_msgring *ring)
{
	/* Relaxed: a statistic. */
	return atomic_load_explicit(&ring->ro.ctl->unblocked, memory_order_relaxed);
}

/** Records dropped because their checksum failed. Any thread. */
KAOS_INLINE uint64_t
kaos_msgring_corrupt(const struct kaos_msgring *ring)
{
	/* Relaxed: a statistic. */
	return atomic_load_explicit(&ring->ro.ctl->corrupt, memory_order_relaxed);
}

/* ---- record helpers ------------------------------------------------------- */

/* @internal Header word at byte offset @p idx of the buffer. */
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

/* @internal Bytes before the payload: header, plus the CRC word. */
KAOS_ALWAYS_INLINE uint32_t
kaos__msg_prefix(const struct kaos_msgring *ring)
{
	return (ring->ro.flags & KAOS_MSGRING_CRC) ? 2 * KAOS_MSG_HEADER : KAOS_MSG_HEADER;
}

/* ---- producer ------------------------------------------------------------- */

/* @internal Single producer: make every committed record visible. P1
 * for the single-producer reader: the release pairs with its acquire of
 * tail (C1); a producer restarting on the ring also continues here. */
KAOS_ALWAYS_INLINE void
kaos__msgring_store_tail(struct kaos_msgring_producer *p)
{
	struct kaos_msgring *ring = p->ring;
	p->published = p->pos;
	atomic_store_explicit(&ring->ro.ctl->tail, p->pos, memory_order_release);
	if (KAOS_UNLIKELY(ring->ro.blocking))
		kaos_waitpoint_notify(&ring->ro.ctl->data);
}

/** Make every deferred commit visible. Producer thread only. */
KAOS_INLINE void
kaos_msgring_flush(struct kaos_msgring_producer *p)
{
	if (!(p->ring->ro.flags & KAOS_MSGRING_MP) && p->published != p->pos)
		kaos__msgring_store_tail(p);
}


/* @internal Single producer: room at p->pos for @p rec contiguous bytes,
 * after *@p pad bytes of padding to the end of the buffer if they would
 * not fit before it? Refreshes the cached limit only when it says no. */
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

/**
 * Claim room for a record of @p len payload bytes and message type
 * @p type; write the payload at *@p data, then kaos_msgring_commit() (or
 * kaos_msgring_abort()). One claim at a time per producer handle.
 * @return 0; -KAOS_EFULL (no room now); -KAOS_ETOOBIG (len above
 *         kaos_msgring_max_payload()); -EINVAL (type above
 *         KAOS_MSG_TYPE_MAX, a claim already open).
 * Producer thread only. Single producer: wait-free. Multi-producer:
 * lock-free (one CAS, retried only when another producer claimed first).
 */
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

/** @internal Store the CRC word of the claimed record (CRC rings). */
KAOS_API void kaos__msgring_seal(struct kaos_msgring_producer *p);

/* @internal commit, publishing now or (single producer) deferring. */
KAOS_ALWAYS_INLINE int
kaos__msgring_commit(struct kaos_msgring_producer *p, bool defer)
{
	struct kaos_msgring *ring = p->ring;
	if (KAOS_UNLIKELY(!p->claimed))
		return -EINVAL;
	p->claimed = false;
	if (ring->ro.flags & KAOS_MSGRING_CRC)
		kaos__msgring_seal(p);
	uint64_t at = p->claim_at;
	/* P1: pairs with C1. */
	atomic_store_explicit(kaos__msg_word(ring, at & ring->ro.mask),
			      kaos__msg_make(p->claim_type, (int32_t)p->claim_len),
			      memory_order_release);
	if (ring->ro.flags & KAOS_MSGRING_MP) {
		if (KAOS_UNLIKELY(ring->ro.blocking))
			kaos_waitpoint_notify(&ring->ro.ctl->data);
		return 0;
	}
	if (p->claim_pad) {
		/* After the record (P1 again): a reader that sees the padding
		 * and skips to the start sees the record. */
		atomic_store_explicit(kaos__msg_word(ring, (at - p->claim_pad) & ring->ro.mask),
				      kaos__msg_make(KAOS_MSG_PADDING, (int32_t)p->claim_pad),
				      memory_order_release);
	}
	p->pos = at + kaos__msg_align(p->claim_len);
	if (!defer || p->pos - p->published >= KAOS_MSGRING_PUBLISH_BYTES)
		kaos__msgring_store_tail(p);
	return 0;
}

/**
 * Publish the claimed record (and any deferred before it).
 * @return 0; -EINVAL if no claim is open.
 * Producer thread only. Wait-free. Release (P1): a reader that sees the
 * record sees its payload.
 */
KAOS_INLINE int
kaos_msgring_commit(struct kaos_msgring_producer *p)
{
	return kaos__msgring_commit(p, false);
}

/**
 * Commit the claimed record, but (single producer) make it visible only
 * with a later commit, kaos_msgring_flush(), a claim that finds the ring
 * full, or once KAOS_MSGRING_PUBLISH_BYTES have piled up: one release
 * store per batch instead of per record, for throughput. Multi-producer
 * rings publish at once (as kaos_msgring_commit()).
 * @return as kaos_msgring_commit(). Producer thread only.
 */
KAOS_INLINE int
kaos_msgring_commit_deferred(struct kaos_msgring_producer *p)
{
	return kaos__msgring_commit(p, true);
}


/**
 * Give the claimed space up: nothing is delivered. In a multi-producer ring
 * the space becomes padding.
 * @return 0; -EINVAL if no claim is open. Producer thread only.
 */
KAOS_API int kaos_msgring_abort(struct kaos_msgring_producer *p);

/**
 * Copy @p len bytes in as one record of type @p type and commit it.
 * @return as kaos_msgring_claim(). Producer thread only.
 */
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
	return kaos_msgring_commit(p);
}

/* ---- batches (single producer) ------------------------------------------- */

/**
 * Records staged in the caller's memory and copied into a single-producer
 * ring together by kaos_msgring_write_batch(): one copy of whole cache
 * lines and one tail store for many small records, where a claim per
 * record stores into each line of the ring piecemeal (every such line is
 * fetched back from the reader's cache first). The reader sees the
 * records one by one, as if each had been written alone.
 */
struct kaos_msgring_batch {
	unsigned char *buf; /**< the caller's, 8-byte aligned */
	size_t cap;         /**< its size in bytes */
	size_t used;        /**< bytes staged (records, ring format) */
	uint32_t count;     /**< records staged */
};

/**
 * Stage in @p buf (8-byte aligned) of @p cap bytes; empty.
 * @return 0; -EINVAL (NULL, misaligned, cap < 8). Any thread.
 */
KAOS_API int kaos_msgring_batch_init(struct kaos_msgring_batch *b, void *buf, size_t cap);

/**
 * Stage a record of @p len payload bytes and type @p type: its payload
 * goes at *@p data, to be written before the batch is.
 * @return 0; -KAOS_EFULL (no room: write the batch, then stage again;
 *         nothing was staged); -EINVAL (type above KAOS_MSG_TYPE_MAX).
 */
KAOS_INLINE int
kaos_msgring_batch_claim(struct kaos_msgring_batch *b, uint32_t type, size_t len,
			 void **data)
{
	if (KAOS_UNLIKELY(type > KAOS_MSG_TYPE_MAX))
		return -EINVAL;
	uint64_t reclen = KAOS_MSG_ALIGN + (uint64_t)len; /* header + payload */
	uint64_t rec = kaos__msg_align(reclen);
	if (KAOS_UNLIKELY(rec > b->cap - b->used || reclen > INT32_MAX))
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

/** As kaos_msgring_batch_claim(), copying @p len bytes from @p src. */
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

/**
 * Copy the staged records into the ring, contiguous (after padding at the
 * wrap, like a record), publish them, and empty the batch. Single-producer
 * rings without checksums only. A batch of 4 KiB or more is copied with
 * non-temporal stores on x86-64, as kaos_spsc_write() copies (see there).
 * @return 0; -KAOS_EFULL (no room now: the batch is kept, retry);
 *         -KAOS_ETOOBIG (more than kaos_msgring_max_payload() + 8 bytes
 *         staged: stage less per batch); -EINVAL (a multi-producer or CRC
 *         ring, a claim open).
 * Producer thread only. Wait-free. Release: a reader that sees the tail
 * sees every record of the batch.
 */
KAOS_API int kaos_msgring_write_batch(struct kaos_msgring_producer *p,
				      struct kaos_msgring_batch *b);

/* ---- consumer ------------------------------------------------------------- */

/**
 * Hand up to @p limit committed records to @p fn, in order and in place,
 * then release them (their bytes are zeroed, then the head is stored).
 * Padding is skipped. A record whose checksum fails is not delivered: the
 * call stops before it and returns what it delivered; the next call skips
 * it, counts it (kaos_msgring_corrupt()) and returns -KAOS_ECORRUPT.
 * @return records delivered (0: none ready); -KAOS_ECORRUPT (a bad
 *         checksum, as above, or a header no producer can have written,
 *         after which the ring stays stopped).
 * Consumer thread only. Wait-free. Acquire (C1) per record; release (C2).
 */
KAOS_INLINE int64_t
kaos_msgring_read(struct kaos_msgring *ring, kaos_msg_handler_fn fn, void *ctx,
		  uint64_t limit)
{
	uint64_t start = ring->cons.pos, pos = start, end;
	int64_t n = 0;
	uint32_t prefix = kaos__msg_prefix(ring);
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
			if (type != KAOS_MSG_PADDING) {
				if ((ring->ro.flags & KAOS_MSGRING_CRC) &&
				    KAOS_UNLIKELY(!kaos__msgring_crc_ok(ring, idx, (uint32_t)len)))
					return kaos__msgring_stop(ring, start, pos, rec, n);
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

#ifdef __cplusplus
}
#endif

#endif /* KAOS_MSGRING_H */
