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
 * shared tail). KAOS_MSGRING_CRC adds a check word after each header,
 * padding included (but for padding of 8 bytes, which can only fill the
 * last 8 bytes of the buffer): its high 32 bits repeat the record's
 * length, its low 32 bits are the CRC-32C of the header word and the
 * payload. The reader checks both: a record whose CRC fails is skipped
 * and reported; one whose length disagrees with its copy can no longer
 * be skipped (where would the next record start?), so the ring stops
 * with -KAOS_ECORRUPT. Damage is never delivered.
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
 * timeout) turns it into padding, as Aeron does, and counts it; with an
 * alive function it never touches the claim of a live producer, however
 * long that producer stalls.
 */
#ifndef KAOS_MSGRING_H
#define KAOS_MSGRING_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/common.h>
#include <kaos/error.h>
#include <kaos/mem.h>
#include <kaos/ring.h>
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

/** Owner id meaning "a claim whose header was never written" in a
 * question to the alive function. */
#define KAOS_MSGRING_ANY_OWNER UINT32_MAX

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
 * Says whether the producer of a claim may still be alive; used by
 * kaos_msgring_unblock(), which leaves a claim alone while the answer is
 * yes. @p owner is the claim's owner id (see kaos_msgring_producer_init()),
 * or KAOS_MSGRING_ANY_OWNER for a claim whose header was never written:
 * then the question is whether a live producer may be claiming at
 * position @p pos (a producer says where it claims through its claim mark,
 * which IPC channels keep), and with @p pos UINT64_MAX, whether any
 * producer is alive at all.
 */
typedef bool (*kaos_msgring_alive_fn)(uint32_t owner, uint64_t pos, void *ctx);

/**
 * A ring as one process sees it, with the consumer's state; one
 * producer's private state (one thread at a time). Both transparent so the
 * hot path inlines (their fields are in kaos/detail/msgring.h, included at
 * the end); treat every field as private.
 */
struct kaos_msgring;
struct kaos_msgring_producer;

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
KAOS_INLINE void kaos_msgring_set_blocking(struct kaos_msgring *ring, bool on);

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
 * (kaos_msgring_unblocked()). With an alive function, a claim whose
 * owner it says is alive is never unblocked, nor space that a live
 * producer may have claimed without having written its header yet (see
 * kaos_msgring_alive_fn): IPC channels keep that promise for any stall.
 * Without one, a claimer so slow that it commits after its record was
 * unblocked would corrupt the ring: pick a timeout far above any stall of
 * a live producer (Aeron uses 15 s).
 * @return 1 if a record was unblocked; 0 otherwise; -KAOS_ECORRUPT if the
 *         header there claims a length no record can have (the ring is
 *         damaged: the reader cannot get past it); -EINVAL.
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

/* ---- queries -------------------------------------------------------------- */

/** The ring's counters (published and consumed in bytes). Any thread. */
KAOS_API void kaos_msgring_stats(const struct kaos_msgring *ring,
				 struct kaos_ring_stats *out);

/** Buffer bytes. Any thread. */
KAOS_INLINE uint64_t kaos_msgring_capacity(const struct kaos_msgring *ring);

/** Largest payload a record can carry. Any thread. */
KAOS_INLINE size_t kaos_msgring_max_payload(const struct kaos_msgring *ring);

/** Bytes claimed or committed and not yet consumed: a snapshot for
 * monitoring (the lag). Any thread. */
KAOS_INLINE uint64_t kaos_msgring_used(const struct kaos_msgring *ring);

/** Dead claims turned into padding so far. Any thread. */
KAOS_INLINE uint64_t kaos_msgring_unblocked(const struct kaos_msgring *ring);

/** Records skipped because their CRC failed. Any thread. */
KAOS_INLINE uint64_t kaos_msgring_corrupt(const struct kaos_msgring *ring);

/* ---- producer ------------------------------------------------------------- */

/**
 * Claim room for a record of @p len payload bytes and message type
 * @p type; write the payload at *@p data, then kaos_msgring_commit() (or
 * kaos_msgring_abort()). One claim at a time per producer handle.
 * @return 0; -KAOS_EFULL (no room now); -KAOS_ETOOBIG (len above
 *         kaos_msgring_max_payload()); -EINVAL (type above
 *         KAOS_MSG_TYPE_MAX, a claim already open); -KAOS_ECORRUPT
 *         (multi-producer: the shared tail is not where a record can
 *         start: another process wrote into the ring).
 * Producer thread only. Single producer: wait-free. Multi-producer:
 * lock-free (one CAS, retried only when another producer claimed first).
 */
KAOS_INLINE int kaos_msgring_claim(struct kaos_msgring_producer *p, uint32_t type, size_t len,
		   void **data);

/**
 * Publish the claimed record (and any deferred before it).
 * @return 0; -EINVAL if no claim is open.
 * Producer thread only. Wait-free. Release (P1): a reader that sees the
 * record sees its payload.
 */
KAOS_INLINE int kaos_msgring_commit(struct kaos_msgring_producer *p);

/**
 * Commit the claimed record, but (single producer) make it visible only
 * with a later commit, kaos_msgring_flush(), a claim that finds the ring
 * full, or once KAOS_MSGRING_PUBLISH_BYTES have piled up: one release
 * store per batch instead of per record, for throughput. Multi-producer
 * rings publish at once (as kaos_msgring_commit()).
 * @return as kaos_msgring_commit(). Producer thread only.
 */
KAOS_INLINE int kaos_msgring_commit_deferred(struct kaos_msgring_producer *p);

/** Make every deferred commit visible. Producer thread only. */
KAOS_INLINE void kaos_msgring_flush(struct kaos_msgring_producer *p);


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
KAOS_INLINE int kaos_msgring_write(struct kaos_msgring_producer *p, uint32_t type, const void *src,
		   size_t len);

/* ---- batches (single producer) ------------------------------------------- */

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
KAOS_INLINE int kaos_msgring_batch_claim(struct kaos_msgring_batch *b, uint32_t type, size_t len,
			 void **data);

/** As kaos_msgring_batch_claim(), copying @p len bytes from @p src. */
KAOS_INLINE int kaos_msgring_batch_add(struct kaos_msgring_batch *b, uint32_t type, const void *src,
		       size_t len);

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
 * Padding is skipped. Damage is never delivered: in a CRC ring, a record
 * (or padding) whose CRC fails stops the call before it (returning what
 * was delivered), and the next call skips it, counts it
 * (kaos_msgring_corrupt()) and returns -KAOS_ECORRUPT. A length that
 * disagrees with its copy, or a header no producer can have written (a
 * length outside the buffer or above the largest record; in a
 * single-producer ring, an empty header below the tail) stops the ring
 * at that record: every later call returns -KAOS_ECORRUPT.
 * @return records delivered (0: none ready); -KAOS_ECORRUPT (as above,
 *         or a tail more than a buffer ahead).
 * Consumer thread only. Wait-free. Acquire (C1) per record; release (C2).
 */
KAOS_INLINE int64_t kaos_msgring_read(struct kaos_msgring *ring, kaos_msg_handler_fn fn, void *ctx,
		  uint64_t limit);

#ifdef __cplusplus
}
#endif

/* The handles, and the inline functions declared above. */
#include <kaos/detail/msgring.h>

#endif /* KAOS_MSGRING_H */
