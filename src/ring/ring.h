/* SPDX-License-Identifier: MIT */
/*
 * The ring layer's private interface (not installed): what the control
 * planes of the ring kinds share, and the descriptor of each kind, through
 * which the IPC layer, the trace hooks and the tools reach a ring without
 * knowing which kind it is. docs/architecture.md draws the layers.
 */
#ifndef KAOS_SRC_RING_RING_H
#define KAOS_SRC_RING_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaos/detail/ring.h>
#include <kaos/mem.h>
#include <kaos/msgring.h>
#include <kaos/wait.h>

/*
 * A ring's shape: what a process must know, besides where its memory is,
 * to use it. A process that did not lay the ring out reads it once from
 * wherever it is recorded (an IPC header), has kind->memsize() validate
 * it, and keeps it in private memory: nothing shared is re-read for it.
 */
struct kaos__ring_geom {
	uint64_t capacity;   /* slots, values or bytes (kind->unit) */
	size_t slot_size;    /* bytes per slot; 0 for byte rings */
	uint32_t consumers;  /* broadcast: consumer entries */
	bool multi_producer; /* msgring: claims by compare-and-swap */
	bool crc;            /* msgring: a check word per record */
};

/* Where a ring's shared words are read from, for statistics: its memory
 * (a mapping, read with acquire loads), or, where mem is NULL, a reader
 * (inspection reads a file with pread and never maps it, so a file
 * truncated meanwhile cannot raise SIGBUS). */
struct kaos__ring_view {
	const void *mem;
	uint64_t (*read)(void *ctx, uint64_t off); /* the word at off; 0 if gone */
	void *ctx;
};

/* The 64-bit word at byte @p off of the ring's memory. */
uint64_t kaos__ring_load(const struct kaos__ring_view *v, size_t off);

/* How one process takes part in a ring in shared memory (IPC). */
struct kaos__ring_role {
	bool producer;       /* else a consumer */
	struct kaos__ring_notify notify; /* blocking, and its sleeper's name */
	uint32_t index;      /* its slot among its side's (broadcast: its entry) */
	uint32_t owner;      /* multi-producer msgring: its claims' owner id */
	kaos_msgring_alive_fn alive; /* multi-producer msgring consumer */
	void *alive_ctx;
	_Atomic uint64_t *claim_mark; /* multi-producer msgring producer */
};

/*
 * One per ring kind: everything outside the fast path. A kind's handles
 * (the public structs) and its endpoint (what one process holds of a ring
 * in shared memory: the ring handle first, then the producer or consumer
 * handle of its side) are the kind's own; users of the descriptor keep
 * them as bytes of the sizes given here.
 */
struct kaos__ring_kind {
	const char *name; /* "spsc", "u64ring", "stamped", "bcast", "msgring" */
	const char *unit; /* what capacity and positions count */
	bool checksums;    /* records carry check words when asked (geom.crc) */
	bool one_waitpoint; /* both sides sleep on data (else producers on space) */
	size_t handle_size;
	/* where the handle keeps its control block pointer, its notify
	 * settings and its owned memory (struct kaos_region) */
	size_t ctl_offset, notify_offset, region_offset;
	/* Validate @p g and give the bytes of memory it needs. */
	int (*memsize)(const struct kaos__ring_geom *g, size_t *size);
	/* Fill a zeroed handle's read-only fields for the ring of @p g at
	 * @p mem (memory checked: kaos__ring_init(), kaos__ring_open()). */
	void (*layout)(void *handle, void *mem, const struct kaos__ring_geom *g);
	/* Lay the ring out empty: its memory may hold anything. */
	void (*reset)(void *handle);
	/* Continue at the shared positions (another process may have laid
	 * the ring out and used it): 0, or -KAOS_ECORRUPT if they are
	 * inconsistent. NULL: nothing to check (a ring never shared). */
	int (*resume)(void *handle);
	/* The counters of the ring seen through @p v (the control block's
	 * for most kinds: kaos__ring_ctl_stats). Never fails: what it cannot
	 * make sense of (a damaged or moving ring) it reports as the
	 * positions it read. */
	void (*stats)(const struct kaos__ring_view *v, const struct kaos__ring_geom *g,
		      struct kaos_ring_stats *out);
	/* Slots or bytes in use, as the handle's thread sees it: the value of
	 * a backpressure event. */
	uint64_t (*fill)(const void *handle);

	/* ---- shared memory: NULL for kinds that are never shared ---- */
	size_t endpoint_size;
	size_t producer_offset, consumer_offset; /* in the endpoint */
	/* Take up @p role's side in an attached endpoint (NULL: nothing to
	 * do): a producer or consumer handle, an entry, a recovery. */
	int (*join)(void *ep, const struct kaos__ring_role *role);
	/* Leave cleanly: hand back what the side holds (a claim, an entry). */
	void (*detach)(void *ep, const struct kaos__ring_role *role);
	/* One message: fixed-slot kinds take type 0 and a slot's bytes. */
	int (*send)(void *ep, uint32_t type, const void *data, size_t len);
	/* Up to @p limit messages to @p fn, released after it returns. */
	int64_t (*receive)(void *ep, kaos_msg_handler_fn fn, void *ctx, uint64_t limit);
	/* After a receive found nothing: is nothing claimed but unread?
	 * NULL: yes (only a msgring can hold claimed, uncommitted space). */
	bool (*drained)(const void *ep);
	/* A consumer's periodic repair (msgring: unblock dead claims): 0, or
	 * -KAOS_ECORRUPT if the ring is damaged where it must get past. */
	int (*tend)(void *ep, uint64_t unblock_ns);
	/* Broadcast: consumer entry @p i's position (KAOS_BCAST_FREE), and
	 * freeing the entry of a consumer known to be gone. NULL: one
	 * consumer, at stats' consumed. */
	uint64_t (*consumer_at)(const struct kaos__ring_view *v,
				const struct kaos__ring_geom *g, uint32_t i);
	void (*evict)(void *ep, uint32_t i);
};

/* The descriptor fields that locate what every handle of type @p type
 * keeps in its read-only part: ro.ctl, ro.notify, ro.region. */
#define KAOS__RING_HANDLE(type)                                               \
	.handle_size = sizeof(type), .ctl_offset = offsetof(type, ro.ctl),    \
	.notify_offset = offsetof(type, ro.notify),                           \
	.region_offset = offsetof(type, ro.region)

extern const struct kaos__ring_kind kaos__spsc_kind;
extern const struct kaos__ring_kind kaos__u64ring_kind;
extern const struct kaos__ring_kind kaos__stamped_kind;
extern const struct kaos__ring_kind kaos__bcast_kind;
extern const struct kaos__ring_kind kaos__msgring_kind;

/* ---- helpers for the kinds' control planes ---- */

/* A fixed-slot geometry: capacity a power of two in [2, 2^32], slot size
 * a non-zero multiple of 8, no msgring options. 0 or -EINVAL. */
int kaos__ring_check_slots(const struct kaos__ring_geom *g);

/* @p fixed bytes (the control block and any tables) plus @p count items
 * of @p item bytes, rounded up to a cache line. 0; -EOVERFLOW. */
int kaos__ring_size(size_t fixed, uint64_t count, size_t item, size_t *size);

/* A geometry of a capacity and a slot size. */
#define KAOS__SLOTS(capacity_, slot_size_)                                   \
	(&(const struct kaos__ring_geom){ .capacity = (capacity_), .slot_size = (slot_size_) })

/* The control plane of every kind, over its descriptor (the public
 * kaos_<kind>_memsize/init/attach/create/destroy forward here):
 * - memsize: kind->memsize(), -EINVAL for a NULL @p size;
 * - init: check the arguments (a handle; memory aligned to a cache line,
 *   at least memsize bytes of it: -EINVAL, -ENOBUFS), make the handle and
 *   lay the ring out empty;
 * - open: the same checks, then a handle that continues at the shared
 *   positions (-KAOS_ECORRUPT if they are inconsistent);
 * - create: allocate memory for a ring (kaos_region_alloc()), init it,
 *   and keep the region in the handle; destroy frees it. */
int kaos__ring_memsize(const struct kaos__ring_kind *kind, const struct kaos__ring_geom *g,
		       size_t *size);
int kaos__ring_init(const struct kaos__ring_kind *kind, void *handle, void *mem, size_t len,
		    const struct kaos__ring_geom *g);
int kaos__ring_open(const struct kaos__ring_kind *kind, void *handle, void *mem, size_t len,
		    const struct kaos__ring_geom *g);
int kaos__ring_create(const struct kaos__ring_kind *kind, void *handle,
		      const struct kaos__ring_geom *g, enum kaos_mem mem);
void kaos__ring_destroy(const struct kaos__ring_kind *kind, void *handle);

/* published, consumed (head), full, waits and wakes from the control
 * block: the statistics of every kind whose head is its consumers'
 * position. */
void kaos__ring_ctl_stats(const struct kaos__ring_view *v, const struct kaos__ring_geom *g,
			  struct kaos_ring_stats *out);

/* kind->stats() of a live ring, through its handle. */
void kaos__ring_stats(const struct kaos__ring_kind *kind, const void *handle,
		      const struct kaos__ring_geom *g, struct kaos_ring_stats *out);

/* An endpoint for @p role: kaos__ring_open(), the role's notify settings
 * into the handle, kind->join(). */
int kaos__ring_attach(const struct kaos__ring_kind *kind, void *ep, void *mem, size_t len,
		      const struct kaos__ring_geom *g, const struct kaos__ring_role *role);

/* A fixed-slot ring's receive: each event handed to a message handler
 * (type 0, a slot's bytes), through the ring's poll. */
struct kaos__slot_message {
	kaos_msg_handler_fn fn;
	void *ctx;
	size_t size;
};
int kaos__deliver_slot(void *slot, uint64_t seq, bool end_of_batch, void *ctx);

/* An attempt of a *_wait function: the operation's arguments and its
 * result, for the try functions KAOS__RING_TRY defines. */
struct kaos__attempt {
	void *ring;      /* the handle the operation takes */
	uint64_t n;      /* slots or bytes asked for, or the value to push */
	void *arg;       /* where slots go, the value's source or destination,
			  * or more arguments */
	int64_t got;     /* the operation's return value */
};

/* Define `static bool name(void *ctx)`: run @p call (with `a`, the
 * struct kaos__attempt) and say ready unless it returned @p busy. */
#define KAOS__RING_TRY(name, call, busy)                                      \
	static bool name(void *ctx)                                           \
	{                                                                     \
		struct kaos__attempt *a = ctx;                                \
		a->got = (call);                                              \
		return a->got != (busy);                                      \
	}

/*
 * The one wait loop of every ring's *_wait function: try @p attempt, an
 * operation on @p target (with @p n and @p arg), until it reports ready,
 * following @p how, sleeping (KAOS_WAIT_BLOCK) on the waitpoint of the
 * ring @p ring (a handle of @p kind): space for a producer, data for a
 * consumer (data for both if kind->one_waitpoint). A producer's wait is
 * backpressure, reported once per wait with the ring's fill level.
 * @return the operation's result; -ETIMEDOUT; -EINVAL (a bad strategy,
 * or KAOS_WAIT_BLOCK on a handle that does not notify).
 */
int64_t kaos__ring_wait(const struct kaos__ring_kind *kind, const void *ring, bool producer,
			kaos_ready_fn attempt, void *target, uint64_t n, void *arg,
			const struct kaos_wait *how);

#endif /* KAOS_SRC_RING_RING_H */
