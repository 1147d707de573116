/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/ipc.h
 * Shared-memory channels between processes on one host.
 *
 * A channel is a file (a name under /dev/shm via shm_open, or any path)
 * holding a validated header and one ring: a fixed-slot SPSC ring, a ring
 * of 64-bit values sent one at a time (u64ring), a variable-length message ring with one or several producer processes, or
 * a broadcast ring whose subscriber processes each see every message. The
 * layout is specified byte by byte in docs/ipc-format.md.
 *
 * A process attaches as the publisher or as a subscriber; whichever comes
 * first creates the channel (the other waits up to open_timeout_ns for it
 * to be initialised). Each attached process holds an open-file-description
 * lock on its own byte of the file, which the kernel drops when the process
 * dies however it dies (SIGKILL included): that is how peers learn of a
 * death, with no pid reuse race. Its pid and a heartbeat (the last time it
 * was active, CLOCK_MONOTONIC) sit in the header for tools.
 *
 * Liveness:
 *  - a subscriber that has received everything and finds its producer(s)
 *    dead gets -KAOS_EPEERDEAD (checked every liveness_ns while it waits or
 *    polls an empty channel); -EPIPE if they closed cleanly;
 *  - a producer blocked by a dead subscriber: broadcast frees that
 *    subscriber's position (it stops gating); SPSC and message channels
 *    return -KAOS_EPEERDEAD instead of waiting on a full ring, and keep
 *    what is in it for the next subscriber, which resumes where the dead
 *    one stopped;
 *  - a producer that attaches to an existing channel continues its
 *    sequence; a second producer on a single-producer channel, or a second
 *    subscriber on an SPSC or message channel, gets -EBUSY;
 *  - in a multi-producer message channel, a record claimed by a producer
 *    that died before committing it is turned into padding by the
 *    subscriber after unblock_ns, and counted; a claim whose owner is still
 *    alive (its slot lock held by the same attachment) is never touched.
 *
 * The rings are the in-process ones (spsc.h, msgring.h, broadcast.h) laid
 * out in the mapping, so their zero-copy API works across processes: get
 * the handle with kaos_ipc_spsc() and friends. kaos_ipc_send() and
 * kaos_ipc_receive() add the liveness checks and waiting on top.
 */
#ifndef KAOS_IPC_H
#define KAOS_IPC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <kaos/broadcast.h>
#include <kaos/common.h>
#include <kaos/msgring.h>
#include <kaos/spsc.h>
#include <kaos/u64ring.h>
#include <kaos/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Channel kinds (stored in the header). */
enum kaos_ipc_kind {
	KAOS_IPC_SPSC = 1,   /**< fixed-size slots, one producer, one subscriber */
	KAOS_IPC_MSG_SP = 2, /**< variable-length records, one producer */
	KAOS_IPC_MSG_MP = 3, /**< variable-length records, several producers */
	KAOS_IPC_BCAST = 4,  /**< fixed-size slots, every subscriber sees all */
	KAOS_IPC_U64 = 5,    /**< 64-bit values one at a time, one producer, one
			      * subscriber: a u64ring (kaos/u64ring.h) */
};

/** Channel flags (stored in the header). */
enum kaos_ipc_flags {
	KAOS_IPC_BLOCKING = 1u << 0, /**< rings notify futex waiters (KAOS_WAIT_BLOCK) */
	KAOS_IPC_CRC = 1u << 1,      /**< message kinds: CRC-32C per record */
};

#define KAOS_IPC_MAX_PRODUCERS 16
#define KAOS_IPC_MAX_SUBSCRIBERS 32

/**
 * What to attach to. Zero fields take defaults. For an existing channel,
 * zero capacity / slot_size accept what the file holds and a non-zero
 * value must match it; flags must match the file's (a subscriber asking
 * for KAOS_IPC_CRC never attaches to a channel without it); max_* and
 * mode are used only at creation.
 */
struct kaos_ipc_config {
	/** "/name" (one leading slash, no other): shm_open() under /dev/shm;
	 * anything else is a file path. */
	const char *name;
	enum kaos_ipc_kind kind;
	uint64_t capacity;    /**< slots (SPSC, BCAST), values (U64: a multiple
			       * of 7) or bytes (MSG_*) */
	uint32_t slot_size;   /**< bytes per slot (SPSC, BCAST); multiple of 8;
			       * U64: 8 (0 means 8) */
	uint32_t max_producers;   /**< MSG_MP: 1..16; default 4 */
	uint32_t max_subscribers; /**< BCAST: 1..32; default 8 */
	uint32_t flags;       /**< enum kaos_ipc_flags, used at creation */
	mode_t mode;          /**< file mode at creation; default 0600 */
	uint64_t liveness_ns; /**< how often a waiting side checks its peers; default 100 ms */
	uint64_t unblock_ns;  /**< MSG_MP: see kaos_msgring_unblock(); default 5 s */
	uint64_t open_timeout_ns; /**< wait for a creator to finish; default 1 s */
};

/** A process's attachment to a channel. Opaque. */
struct kaos_ipc;

/** Handler for kaos_ipc_receive(): one message, in place. Fixed-slot
 * kinds pass type 0 and the slot size. */
typedef kaos_msg_handler_fn kaos_ipc_handler_fn;

/**
 * Attach as the publisher (or one of the publishers of a MSG_MP channel),
 * creating the channel if it does not exist.
 * @return 0 and *out; -EINVAL (bad config); -EBUSY (the producer slot(s)
 *   are taken by live processes); -EAGAIN (a creator did not finish within
 *   open_timeout_ns); the validation errors of an existing file:
 *   -KAOS_EFOREIGN (not a kaos channel), -KAOS_EVERSION, -KAOS_EKIND,
 *   -KAOS_ECAPACITY, -KAOS_ESLOTSIZE, -KAOS_EFLAGS, -KAOS_ETRUNCATED (file
 *   shorter than its header says), -KAOS_ECORRUPT (inconsistent header or
 *   ring); -ENOSPC (no room for a new channel's file: nothing is left
 *   behind); or -errno of open/mmap.
 * Any thread; the handle is then used by one thread at a time.
 */
KAOS_API int kaos_ipc_publish(const struct kaos_ipc_config *cfg, struct kaos_ipc **out);

/**
 * Attach as a subscriber, creating the channel if it does not exist. SPSC
 * and message channels take one subscriber, which resumes where the
 * previous one stopped; a broadcast subscriber starts at the next message
 * published. @return as kaos_ipc_publish().
 */
KAOS_API int kaos_ipc_subscribe(const struct kaos_ipc_config *cfg, struct kaos_ipc **out);

/** Detach (a publisher marks itself closed: subscribers that drain the
 * channel get -EPIPE). The file stays; see kaos_ipc_unlink(). NULL is a
 * no-op. */
KAOS_API void kaos_ipc_close(struct kaos_ipc *ch);

/**
 * Send one message, checking liveness while the channel is full.
 * Fixed-slot kinds: @p type must be 0 and @p len the slot size.
 * @param how NULL: do not wait
 * @return 0; -KAOS_EFULL (how NULL, full); -KAOS_EPEERDEAD (full and the
 *   subscriber is dead; what is queued stays for its successor); -EPIPE
 *   (full and the subscriber detached cleanly);
 *   -ETIMEDOUT; -KAOS_ETOOBIG; -KAOS_ECORRUPT (a shared position the
 *   producer reads is damaged: see kaos_u64ring_push(),
 *   kaos_msgring_claim()); -EINVAL (wrong length/type, not a publisher).
 */
KAOS_API int kaos_ipc_send(struct kaos_ipc *ch, uint32_t type, const void *data,
			   size_t len, const struct kaos_wait *how);

/**
 * Hand up to @p limit messages to @p fn, in order, in place.
 * @param how NULL: do not wait
 * @return messages delivered (>0); 0 (how NULL and nothing ready);
 *   -KAOS_EPEERDEAD (everything sent was received and no producer is
 *   alive, one having died); -EPIPE (same, the producers closed);
 *   -ETIMEDOUT; -KAOS_ECORRUPT (see kaos_msgring_read()); -EINVAL.
 */
KAOS_API int64_t kaos_ipc_receive(struct kaos_ipc *ch, kaos_ipc_handler_fn fn, void *ctx,
				  uint64_t limit, const struct kaos_wait *how);

/**
 * Check the peers now (a few system calls): evicts dead broadcast
 * subscribers (publisher), unblocks dead claims (MSG_MP subscriber),
 * clears the waitpoint registrations of peers killed while they slept
 * (else every later notify would make a wake system call), and refreshes
 * this process's heartbeat. kaos_ipc_send()/receive() call it every
 * liveness_ns; a user of the zero-copy handles calls it when the ring is
 * full or empty, and now and then.
 * @return 0 if a peer this side depends on is alive; -KAOS_EPEERDEAD or
 *   -EPIPE if none is (publisher: no live subscriber; subscriber: no live
 *   producer); -KAOS_ECORRUPT (MSG_MP subscriber: the record it waits at
 *   is damaged, see kaos_msgring_unblock()); -EINVAL.
 */
KAOS_API int kaos_ipc_check(struct kaos_ipc *ch);

/** The ring under the channel, for the zero-copy API. NULL if the channel
 * is of another kind. The handle belongs to this attachment's side. */
KAOS_API struct kaos_spsc *kaos_ipc_spsc(struct kaos_ipc *ch);
KAOS_API struct kaos_u64ring *kaos_ipc_u64ring(struct kaos_ipc *ch);
KAOS_API struct kaos_msgring *kaos_ipc_msgring(struct kaos_ipc *ch);
/** The producer handle of a message channel's publisher; NULL otherwise. */
KAOS_API struct kaos_msgring_producer *kaos_ipc_msg_producer(struct kaos_ipc *ch);
/** The broadcast ring (publisher) and this subscriber's consumer handle. */
KAOS_API struct kaos_bcast *kaos_ipc_bcast(struct kaos_ipc *ch);
KAOS_API struct kaos_bcast_consumer *kaos_ipc_bcast_consumer(struct kaos_ipc *ch);

/** A kind's short name ("spsc", "msg-sp", "msg-mp", "bcast", "u64"), a
 * line saying what it carries, and what its capacity and positions count
 * ("slots", "values" or "bytes"); "?" for a value that is no kind. */
KAOS_API const char *kaos_ipc_kind_name(enum kaos_ipc_kind kind);
KAOS_API const char *kaos_ipc_kind_summary(enum kaos_ipc_kind kind);
KAOS_API const char *kaos_ipc_kind_unit(enum kaos_ipc_kind kind);

/** The channel's kind, capacity and slot size (0 for message kinds). */
KAOS_API enum kaos_ipc_kind kaos_ipc_kind(const struct kaos_ipc *ch);
KAOS_API uint64_t kaos_ipc_capacity(const struct kaos_ipc *ch);
KAOS_API uint32_t kaos_ipc_slot_size(const struct kaos_ipc *ch);

/** Remove the channel's name (shm_unlink or unlink). Attached processes
 * keep their mapping. @return 0 or -errno. */
KAOS_API int kaos_ipc_unlink(const char *name);

/* ---- inspection (tools) ----------------------------------------------- */

/** One producer or subscriber slot as seen from outside. */
struct kaos_ipc_peer {
	uint32_t index;
	int32_t pid;          /**< last process to hold the slot; 0: never used */
	bool alive;           /**< its lock is held now */
	bool closed;          /**< it detached cleanly */
	uint64_t heartbeat_ns; /**< its last activity, CLOCK_MONOTONIC */
	uint64_t position;    /**< subscribers: next to read (slots or bytes) */
};

/** A channel as seen from outside, without attaching. */
struct kaos_ipc_info {
	enum kaos_ipc_kind kind;
	uint32_t version, flags, slot_size;
	uint64_t capacity, file_size;
	uint64_t tail;        /**< producer position (slots or bytes) */
	uint64_t head;        /**< slowest subscriber position */
	struct kaos_ring_stats stats; /**< the ring's counters (tail = published) */
	uint64_t unblocked;   /**< MSG_MP dead claims turned into padding */
	uint64_t evicted;     /**< dead broadcast subscribers freed */
	uint32_t nproducers, nsubscribers;
	struct kaos_ipc_peer producers[KAOS_IPC_MAX_PRODUCERS];
	struct kaos_ipc_peer subscribers[KAOS_IPC_MAX_SUBSCRIBERS];
};

/**
 * Read a channel's header and the state of its processes, read-only.
 * Reads with pread, never a mapping, and opens without blocking, so a
 * file truncated or replaced meanwhile gives an error or stale values,
 * and a FIFO or device in its place -KAOS_EFOREIGN, never a crash or a
 * hang (tools scan files they do not own).
 * @return 0; the validation errors of kaos_ipc_publish(); -errno.
 */
KAOS_API int kaos_ipc_inspect(const char *name, struct kaos_ipc_info *info);

/**
 * Remove the channel if no process holds any of its slots (all dead or
 * detached) or it was never initialised by a live creator.
 * @return 1 removed; 0 in use (left alone); -errno.
 */
KAOS_API int kaos_ipc_cleanup(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_IPC_H */
