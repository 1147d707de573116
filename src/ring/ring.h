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
	bool blocking;       /* notify threads blocked with KAOS_WAIT_BLOCK */
	uint32_t index;      /* its slot among its side's (broadcast: its entry) */
	uint32_t owner;      /* multi-producer msgring: its claims' owner id */
	uint64_t wait_bit;   /* names its sleeping thread in the waitpoints */
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
	size_t region_offset; /* the handle's owned memory (struct kaos_region) */
	/* Validate @p g and give the bytes of memory it needs. */
	int (*memsize)(const struct kaos__ring_geom *g, size_t *size);
	/* Lay a ring out in @p mem (empty) and make @p handle for it. */
	int (*init)(void *handle, void *mem, size_t len, const struct kaos__ring_geom *g);
	/* The counters of the ring seen through @p v. Never fails: what it
	 * cannot make sense of (a damaged or moving ring) it reports as the
	 * positions it read. */
	void (*stats)(const struct kaos__ring_view *v, const struct kaos__ring_geom *g,
		      struct kaos_ring_stats *out);
	/* Slots or bytes in use, as the handle's thread sees it: the value of
	 * a backpressure event. */
	uint64_t (*fill)(const void *handle);

	/* ---- shared memory: NULL for kinds that are never shared ---- */
	size_t endpoint_size;
	size_t producer_offset, consumer_offset; /* in the endpoint */
	/* Make @p ep for an existing ring in @p mem, on @p role's side. */
	int (*attach)(void *ep, void *mem, size_t len, const struct kaos__ring_geom *g,
		      const struct kaos__ring_role *role);
	/* Leave cleanly: hand back what the side holds (a claim, an entry). */
	void (*detach)(void *ep, const struct kaos__ring_role *role);
	/* One message: fixed-slot kinds take type 0 and a slot's bytes. */
	int (*send)(void *ep, uint32_t type, const void *data, size_t len);
	/* Up to @p limit messages to @p fn, released after it returns. */
	int64_t (*receive)(void *ep, kaos_msg_handler_fn fn, void *ctx, uint64_t limit);
	/* After a receive found nothing: is nothing claimed but unread?
	 * NULL: yes (only a msgring can hold claimed, uncommitted space). */
	bool (*drained)(const void *ep);
	/* A consumer's periodic repair (msgring: unblock dead claims). */
	void (*tend)(void *ep, uint64_t unblock_ns);
	/* Broadcast: consumer entry @p i's position (KAOS_BCAST_FREE), and
	 * freeing the entry of a consumer known to be gone. NULL: one
	 * consumer, at stats' consumed. */
	uint64_t (*consumer_at)(const struct kaos__ring_view *v,
				const struct kaos__ring_geom *g, uint32_t i);
	void (*evict)(void *ep, uint32_t i);
};

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

/* Arguments every init/attach checks: a handle, memory aligned to a cache
 * line, at least kind->memsize() bytes of it. 0, -EINVAL, -ENOBUFS, or
 * memsize's error. */
int kaos__ring_check_mem(const struct kaos__ring_kind *kind, const void *handle,
			 const void *mem, size_t len, const struct kaos__ring_geom *g);

/* Allocate memory for a ring (kaos_region_alloc()), init it, and keep
 * the region in the handle; free it again. */
int kaos__ring_create(const struct kaos__ring_kind *kind, void *handle,
		      const struct kaos__ring_geom *g, enum kaos_mem mem);
void kaos__ring_destroy(const struct kaos__ring_kind *kind, void *handle);

/* published, consumed (head), full, waits and wakes from the control
 * block: the statistics of every kind whose head is its consumers'
 * position. */
void kaos__ring_ctl_stats(const struct kaos__ring_view *v, struct kaos_ring_stats *out);

/* A fixed-slot ring's receive: each event handed to a message handler
 * (type 0, a slot's bytes), through the ring's poll. */
struct kaos__slot_message {
	kaos_msg_handler_fn fn;
	void *ctx;
	size_t size;
};
int kaos__deliver_slot(void *slot, uint64_t seq, bool end_of_batch, void *ctx);

/* What a *_wait function waits with. */
struct kaos__ring_waiter {
	const struct kaos__ring_kind *kind; /* its fill, for backpressure */
	const void *ring;                   /* the handle */
	struct kaos__ring_ctl *ctl;
	bool blocking;     /* the ring notifies: KAOS_WAIT_BLOCK may sleep */
	uint64_t wait_bit; /* see struct kaos__ring_role */
};

/*
 * The one wait loop of every ring: try @p attempt until it reports ready,
 * following @p how, sleeping (KAOS_WAIT_BLOCK) on the control block's
 * space waitpoint for a producer, data for a consumer. A producer's wait
 * is backpressure, reported once per wait with the ring's fill level.
 * @return 0 once ready; -ETIMEDOUT; -EINVAL (a bad strategy, or
 * KAOS_WAIT_BLOCK on a ring that does not notify).
 */
int kaos__ring_wait(const struct kaos__ring_waiter *w, bool producer,
		    struct kaos_waitpoint *wp, kaos_ready_fn attempt, void *ctx,
		    const struct kaos_wait *how);

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

#endif /* KAOS_SRC_RING_RING_H */
