/* SPDX-License-Identifier: MIT */
/*
 * @internal The engine under the MPSC, SPMC and MPMC rings: a bounded ring
 * of fixed-size slots with one 64-bit stamp per slot (after Vyukov's bounded
 * MPMC queue) and batch claims on both sides. Not for users: include
 * <kaos/mpsc.h>, <kaos/spmc.h> or <kaos/mpmc.h>, which document the API.
 *
 * A side shared by several threads hands slots over per slot, through the
 * stamps, because its threads finish out of order; a side with one thread
 * hands them over in order, through one cursor store per batch. Each role
 * below is its own function (kaos__mpsc_claim is the MPSC producer's
 * claim, kaos__spmc_peek the SPMC consumer's take, ...), built from the
 * helpers that follow.
 *
 *   producers publish      MPMC: stamp[s] = s + 1 per slot
 *                          MPSC: stamp[first] = end of the run (one store)
 *                          SPMC: store-release the tail
 *   consumers release      MPMC, SPMC: stamp[s] = s + capacity per slot
 *                          MPSC: store-release the head
 *
 * The control block's tail is the producers' claim cursor (SPMC: the
 * published tail), its head the consumers' take cursor (MPSC: the released
 * head), its tail_limit the MPSC producers' shared cached limit.
 *
 * So for the slot that holds sequence s, with several consumers a stamp of
 * s means free for s (released a lap ago, or initial), and with several
 * producers a stamp above s means published (up to the stamp, for MPSC's
 * runs). Stale stamps from earlier laps are never above s, and stamps are
 * exact 64-bit sequences, so there is no ABA and capacity 2 or 64 behaves
 * like any other (the original's W3 came from one-bit lap parity). A slot
 * is freed only after it has been read, published only after it has been
 * written.
 *
 * Ordering (each release names its acquire):
 *   P  publish: store-release of stamp or tail   -> pairs with C
 *   C  take:    load-acquire of stamp or tail    <- pairs with P
 *   R  release: store-release of stamp or head   -> pairs with A
 *   A  claim:   load-acquire of stamp or head    <- pairs with R
 * The shared cursors' CASes only decide which thread owns which sequences;
 * they carry no data, so they are relaxed.
 */
#ifndef KAOS_DETAIL_STAMPED_H
#define KAOS_DETAIL_STAMPED_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <kaos/common.h>
#include <kaos/detail/ring.h>
#include <kaos/error.h>
#include <kaos/mem.h>
#include <kaos/wait.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A run of contiguous slots claimed by a producer or taken by a consumer of
 * a multi-threaded ring: pass it back to publish / release.
 */
struct kaos_batch {
	void *slots;    /**< first slot */
	uint64_t seq;   /**< sequence of the first slot */
	uint64_t count; /**< slots in the run */
};

struct kaos__stamped {
	/* single producer: its private cursor (multi: unused) */
	KAOS_CACHE_ALIGNED struct {
		uint64_t pos;
		uint64_t published; /* SPMC: runs are published in order */
	} prod;
	char guard0[KAOS_CACHELINE]; /* no adjacent-line pairing with cons */
	/* single consumer: its private cursor and cached end of the
	 * published runs (multi: unused) */
	KAOS_CACHE_ALIGNED struct {
		uint64_t pos;
		uint64_t avail;
		uint64_t released; /* MPSC: runs are released in order */
	} cons;
	char guard1[KAOS_CACHELINE];
	/* read-only after init */
	KAOS_CACHE_ALIGNED struct {
		struct kaos__ring_ctl *ctl;
		_Atomic uint64_t *stamps;
		unsigned char *slots;
		uint64_t mask;
		uint64_t capacity;
		size_t slot_size;
		struct kaos__ring_notify notify; /* publish/release wake sleepers */
		struct kaos_region region;
	} ro;
};

/* The control plane, in src/ring/stamped.c. */
KAOS_API int kaos__stamped_memsize(uint64_t capacity, size_t slot_size, size_t *size);
KAOS_API int kaos__stamped_init(struct kaos__stamped *r, void *mem, size_t len,
				uint64_t capacity, size_t slot_size);
KAOS_API int kaos__stamped_create(struct kaos__stamped *r, uint64_t capacity,
				  size_t slot_size, enum kaos_mem mem);
KAOS_API void kaos__stamped_destroy(struct kaos__stamped *r);
KAOS_API void kaos__stamped_stats(const struct kaos__stamped *r,
				  struct kaos_ring_stats *out);
/* Retry @p get (a role's claim or take) per @p how until it has slots. */
typedef int64_t (*kaos__stamped_get_fn)(struct kaos__stamped *r, uint64_t n,
					 struct kaos_batch *b);
KAOS_API int64_t kaos__stamped_wait(struct kaos__stamped *r, uint64_t n,
				    struct kaos_batch *b, bool producer,
				    kaos__stamped_get_fn get, const struct kaos_wait *how);

/* ---- helpers ------------------------------------------------------------- */

/* Start a claim or take: the batch a caller sees on 0, and whether the
 * count is in [1, capacity] (else kaos__ring_bad_count() says why). */
KAOS_ALWAYS_INLINE bool
kaos__stamped_begin(const struct kaos__stamped *r, uint64_t n, struct kaos_batch *b)
{
	*b = (struct kaos_batch){ NULL, 0, 0 };
	return KAOS_LIKELY(n - 1 < r->ro.capacity);
}

/* Slots from index @p idx to take at most: n, but contiguous (up to the
 * end of the slot array). */
KAOS_ALWAYS_INLINE uint64_t
kaos__stamped_room(const struct kaos__stamped *r, uint64_t idx, uint64_t n)
{
	uint64_t lim = r->ro.capacity - idx;
	return lim > n ? n : lim;
}

/* The run [pos, pos + m), at index @p idx, into the caller's batch. */
KAOS_ALWAYS_INLINE int64_t
kaos__stamped_run(const struct kaos__stamped *r, struct kaos_batch *b, uint64_t idx,
		  uint64_t pos, uint64_t m, size_t slot_size)
{
	b->slots = r->ro.slots + idx * slot_size;
	b->seq = pos;
	b->count = m;
	return (int64_t)m;
}

/* Move a shared cursor from *@p pos over @p m slots: true if this thread
 * won them; false with *@p pos refreshed if another thread moved it.
 * Relaxed: the cursor only arbitrates which thread owns which sequences;
 * stamps, tail and head carry the data ordering. */
KAOS_ALWAYS_INLINE bool
kaos__stamped_advance(_Atomic uint64_t *cursor, uint64_t *pos, uint64_t m)
{
	return atomic_compare_exchange_weak_explicit(cursor, pos, *pos + m,
						     memory_order_relaxed, memory_order_relaxed);
}

/* How many of the @p lim slots from @p pos (at index @p idx) have the
 * stamps this side waits for: s + @p offset for sequence s (a producer
 * waits for s, free: A, pairs with R; a consumer for s + 1, published: C,
 * pairs with P). The first other stamp goes to *@p stamp. */
KAOS_ALWAYS_INLINE uint64_t
kaos__stamped_ready(const struct kaos__stamped *r, uint64_t idx, uint64_t pos, uint64_t lim,
		    uint64_t offset, uint64_t *stamp)
{
	uint64_t m;
	for (m = 0; m < lim; m++) {
		*stamp = atomic_load_explicit(&r->ro.stamps[idx + m], memory_order_acquire);
		if (*stamp != pos + m + offset)
			break;
	}
	return m;
}

/* A side shared by several threads that waits for stamps (MPMC): up to
 * n ready slots at the shared @p cursor, won with one CAS; their position
 * and index go to *@p pos, *@p idx. A stamp ahead of what we want means
 * another thread of this side took pos: catch up. Behind: full or empty,
 * 0. */
KAOS_ALWAYS_INLINE uint64_t
kaos__stamped_race(const struct kaos__stamped *r, _Atomic uint64_t *cursor, uint64_t n,
		   uint64_t offset, uint64_t *pos, uint64_t *idx)
{
	*pos = atomic_load_explicit(cursor, memory_order_relaxed); /* see advance */
	for (;;) {
		uint64_t stamp = 0;
		*idx = *pos & r->ro.mask;
		uint64_t m = kaos__stamped_ready(r, *idx, *pos, kaos__stamped_room(r, *idx, n),
						 offset, &stamp);
		if (m == 0) {
			if ((int64_t)(stamp - (*pos + offset)) <= 0)
				return 0;
			*pos = atomic_load_explicit(cursor, memory_order_relaxed);
			continue;
		}
		if (kaos__stamped_advance(cursor, pos, m))
			return m;
	}
}

/* Stamp every slot of a run with its sequence plus @p add (P with 1: pairs
 * with C; R with capacity: pairs with A). */
KAOS_ALWAYS_INLINE void
kaos__stamped_stamp(struct kaos__stamped *r, const struct kaos_batch *b, uint64_t add)
{
	uint64_t end = b->seq + b->count;
	for (uint64_t s = b->seq; s < end; s++)
		atomic_store_explicit(&r->ro.stamps[s & r->ro.mask], s + add,
				      memory_order_release);
}

/* The one thread of a side hands its runs back in the order it got them
 * (MPSC consumer: release; SPMC producer: publish): @p done, the end of
 * what it handed back, moves to the run's end, below @p got, the end of
 * what it got; the side's shared @p cursor is store-released there (the
 * caller names the pair) and the other side woken on @p wp. */
KAOS_ALWAYS_INLINE int
kaos__stamped_hand_back(struct kaos__stamped *r, const struct kaos_batch *b,
			uint64_t *done, uint64_t got, _Atomic uint64_t *cursor,
			struct kaos_waitpoint *wp)
{
	uint64_t end = b->seq + b->count;
	if (KAOS_UNLIKELY(b->count == 0))
		return 0; /* the empty batch of a claim or take that got nothing */
	if (KAOS_UNLIKELY(b->seq != *done || end > got))
		return -EINVAL;
	*done = end;
	kaos__ring_advance(cursor, end, &r->ro.notify, wp);
	return 0;
}

/* ---- MPSC: producers share the tail, one consumer ------------------------- */

/* The producers' free-slot check against the one consumer's head: slots
 * below tail_limit are free. */
KAOS_ALWAYS_INLINE uint64_t
kaos__mpsc_free(struct kaos__stamped *r, uint64_t pos, uint64_t lim)
{
	struct kaos__ring_ctl *c = r->ro.ctl;
	/* Acquire: pairs with the release below by the producer that last
	 * refreshed it, which had acquired the head (A). */
	uint64_t limit = atomic_load_explicit(&c->tail_limit, memory_order_acquire);
	/* Signed: a producer may hold a stale pos, or tail_limit a stale
	 * value. */
	if ((int64_t)(limit - pos) < (int64_t)lim) {
		/* A: pairs with R, the consumer's release of the head. */
		limit = atomic_load_explicit(&c->head, memory_order_acquire) + r->ro.capacity;
		atomic_store_explicit(&c->tail_limit, limit, memory_order_release);
		if ((int64_t)(limit - pos) <= 0)
			return 0;
	}
	return limit - pos < lim ? limit - pos : lim;
}

KAOS_ALWAYS_INLINE int64_t
kaos__mpsc_claim(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, size_t slot_size)
{
	if (!kaos__stamped_begin(r, n, b))
		return kaos__ring_bad_count(r->ro.capacity, n);
	uint64_t pos = atomic_load_explicit(&r->ro.ctl->tail, memory_order_relaxed), idx, m;
	do {
		idx = pos & r->ro.mask;
		m = kaos__mpsc_free(r, pos, kaos__stamped_room(r, idx, n));
		if (m == 0) {
			kaos__count(&r->ro.ctl->full);
			return 0;
		}
	} while (!kaos__stamped_advance(&r->ro.ctl->tail, &pos, m));
	return kaos__stamped_run(r, b, idx, pos, m, slot_size);
}

KAOS_ALWAYS_INLINE int
kaos__mpsc_publish(struct kaos__stamped *r, const struct kaos_batch *b)
{
	if (KAOS_UNLIKELY(b->count == 0))
		return 0; /* the empty batch of a claim that got nothing */
	/* P: one stamp at the run's first slot holds its end. */
	atomic_store_explicit(&r->ro.stamps[b->seq & r->ro.mask], b->seq + b->count,
			      memory_order_release);
	kaos__ring_wake(&r->ro.notify, &r->ro.ctl->data);
	return 0;
}

/* The consumer's view: extend its cached end of published runs, reading
 * one stamp per producer run (C). */
KAOS_ALWAYS_INLINE uint64_t
kaos__mpsc_published(struct kaos__stamped *r, uint64_t pos, uint64_t lim)
{
	uint64_t avail = r->cons.avail;
	while (avail - pos < lim) {
		/* C: pairs with P; a stamp above avail ends a published run
		 * that starts at avail (runs never cross the array's end). */
		uint64_t end = atomic_load_explicit(&r->ro.stamps[avail & r->ro.mask],
						    memory_order_acquire);
		if (end <= avail)
			break;
		avail = end;
	}
	r->cons.avail = avail;
	return avail - pos < lim ? avail - pos : lim;
}

KAOS_ALWAYS_INLINE int64_t
kaos__mpsc_peek(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, size_t slot_size)
{
	if (!kaos__stamped_begin(r, n, b))
		return kaos__ring_bad_count(r->ro.capacity, n);
	uint64_t pos = r->cons.pos, idx = pos & r->ro.mask;
	uint64_t m = kaos__mpsc_published(r, pos, kaos__stamped_room(r, idx, n));
	if (m == 0)
		return 0;
	r->cons.pos = pos + m;
	return kaos__stamped_run(r, b, idx, pos, m, slot_size);
}

KAOS_ALWAYS_INLINE int
kaos__mpsc_release(struct kaos__stamped *r, const struct kaos_batch *b)
{
	/* R (the release of head): pairs with A. */
	return kaos__stamped_hand_back(r, b, &r->cons.released, r->cons.pos,
				       &r->ro.ctl->head, &r->ro.ctl->space);
}

/* ---- SPMC: one producer, consumers share the head ------------------------- */

KAOS_ALWAYS_INLINE int64_t
kaos__spmc_claim(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, size_t slot_size)
{
	if (!kaos__stamped_begin(r, n, b))
		return kaos__ring_bad_count(r->ro.capacity, n);
	uint64_t pos = r->prod.pos, idx = pos & r->ro.mask, stamp = 0;
	uint64_t m = kaos__stamped_ready(r, idx, pos, kaos__stamped_room(r, idx, n), 0, &stamp);
	if (m == 0) {
		kaos__count_single(&r->ro.ctl->full);
		return 0;
	}
	r->prod.pos = pos + m;
	return kaos__stamped_run(r, b, idx, pos, m, slot_size);
}

KAOS_ALWAYS_INLINE int
kaos__spmc_publish(struct kaos__stamped *r, const struct kaos_batch *b)
{
	/* P (the release of tail): pairs with C. */
	return kaos__stamped_hand_back(r, b, &r->prod.published, r->prod.pos,
				       &r->ro.ctl->tail, &r->ro.ctl->data);
}

KAOS_ALWAYS_INLINE int64_t
kaos__spmc_peek(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, size_t slot_size)
{
	if (!kaos__stamped_begin(r, n, b))
		return kaos__ring_bad_count(r->ro.capacity, n);
	uint64_t pos = atomic_load_explicit(&r->ro.ctl->head, memory_order_relaxed), idx, m;
	do {
		idx = pos & r->ro.mask;
		uint64_t lim = kaos__stamped_room(r, idx, n);
		/* C: pairs with P, the producer's release of the tail. */
		uint64_t tail = atomic_load_explicit(&r->ro.ctl->tail, memory_order_acquire);
		/* Signed: pos (from another consumer's relaxed CAS) may be
		 * newer than the tail this load returned. */
		int64_t ready = (int64_t)(tail - pos);
		m = ready <= 0 ? 0 : (uint64_t)ready < lim ? (uint64_t)ready : lim;
		if (m == 0)
			return 0;
	} while (!kaos__stamped_advance(&r->ro.ctl->head, &pos, m));
	return kaos__stamped_run(r, b, idx, pos, m, slot_size);
}

KAOS_ALWAYS_INLINE int
kaos__spmc_release(struct kaos__stamped *r, const struct kaos_batch *b)
{
	if (KAOS_UNLIKELY(b->count == 0))
		return 0;
	kaos__stamped_stamp(r, b, r->ro.capacity); /* R */
	kaos__ring_wake(&r->ro.notify, &r->ro.ctl->space);
	return 0;
}

/* ---- MPMC: both sides shared ------------------------------------------------ */

KAOS_ALWAYS_INLINE int64_t
kaos__mpmc_claim(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, size_t slot_size)
{
	if (!kaos__stamped_begin(r, n, b))
		return kaos__ring_bad_count(r->ro.capacity, n);
	uint64_t pos, idx;
	uint64_t m = kaos__stamped_race(r, &r->ro.ctl->tail, n, 0, &pos, &idx);
	if (m == 0) {
		kaos__count(&r->ro.ctl->full);
		return 0;
	}
	return kaos__stamped_run(r, b, idx, pos, m, slot_size);
}

KAOS_ALWAYS_INLINE int
kaos__mpmc_publish(struct kaos__stamped *r, const struct kaos_batch *b)
{
	if (KAOS_UNLIKELY(b->count == 0))
		return 0;
	kaos__stamped_stamp(r, b, 1); /* P */
	kaos__ring_wake(&r->ro.notify, &r->ro.ctl->data);
	return 0;
}

KAOS_ALWAYS_INLINE int64_t
kaos__mpmc_peek(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b, size_t slot_size)
{
	if (!kaos__stamped_begin(r, n, b))
		return kaos__ring_bad_count(r->ro.capacity, n);
	uint64_t pos, idx;
	uint64_t m = kaos__stamped_race(r, &r->ro.ctl->head, n, 1, &pos, &idx);
	return m == 0 ? 0 : kaos__stamped_run(r, b, idx, pos, m, slot_size);
}

#define kaos__mpmc_release kaos__spmc_release /* per-slot stamps, either way */

/* ---- the public API ------------------------------------------------------------ */

/* push and pop of a kind: one slot through its claim/publish and
 * peek/release. A side with one thread must have handed its last run
 * over first (@p prod_idle, @p cons_idle): -EINVAL otherwise. */
#define KAOS__STAMPED_COPY(kind, prod_idle, cons_idle)                        \
	KAOS_ALWAYS_INLINE int kaos__##kind##_push(struct kaos__stamped *r,    \
						   const void *src,            \
						   size_t slot_size)           \
	{                                                                     \
		struct kaos_batch b;                                          \
		if (KAOS_UNLIKELY(!(prod_idle)))                              \
			return -EINVAL;                                       \
		if (kaos__##kind##_claim(r, 1, &b, slot_size) <= 0)           \
			return -KAOS_EFULL;                                   \
		kaos__copy_slot(b.slots, src, slot_size);                     \
		return kaos__##kind##_publish(r, &b);                         \
	}                                                                     \
	KAOS_ALWAYS_INLINE int kaos__##kind##_pop(struct kaos__stamped *r,     \
						  void *dst, size_t slot_size) \
	{                                                                     \
		struct kaos_batch b;                                          \
		if (KAOS_UNLIKELY(!(cons_idle)))                              \
			return -EINVAL;                                       \
		if (kaos__##kind##_peek(r, 1, &b, slot_size) <= 0)            \
			return -KAOS_EEMPTY;                                  \
		kaos__copy_slot(dst, b.slots, slot_size);                     \
		return kaos__##kind##_release(r, &b);                         \
	}                                                                     \
	/* the claim and take of the *_wait functions (any slot size) */      \
	static inline int64_t kaos__##kind##_claim_any(struct kaos__stamped *r, \
						       uint64_t n,            \
						       struct kaos_batch *b)  \
	{                                                                     \
		return kaos__##kind##_claim(r, n, b, r->ro.slot_size);        \
	}                                                                     \
	static inline int64_t kaos__##kind##_peek_any(struct kaos__stamped *r, \
						      uint64_t n,             \
						      struct kaos_batch *b)   \
	{                                                                     \
		return kaos__##kind##_peek(r, n, b, r->ro.slot_size);         \
	}                                                                     \
	struct kaos__stamped /* swallow the semicolon */

/* A handle's claim, peek, push and pop as @p prefix_claim, ...: the
 * kind's role functions on the engine @p s of the handle r, for slots of
 * @p size bytes (a constant for typed rings) holding values of @p vtype. */
#define KAOS__STAMPED_COPIES(prefix, kind, htype, s, size, vtype)             \
	static inline KAOS_UNUSED int64_t prefix##_claim(htype *r, uint64_t n, \
							 struct kaos_batch *b) \
	{                                                                     \
		return kaos__##kind##_claim(&s, n, b, size);                  \
	}                                                                     \
	static inline KAOS_UNUSED int64_t prefix##_peek(htype *r, uint64_t n,  \
							struct kaos_batch *b)  \
	{                                                                     \
		return kaos__##kind##_peek(&s, n, b, size);                   \
	}                                                                     \
	static inline KAOS_UNUSED int prefix##_push(htype *r, const vtype *v) \
	{                                                                     \
		return kaos__##kind##_push(&s, v, size);                      \
	}                                                                     \
	static inline KAOS_UNUSED int prefix##_pop(htype *r, vtype *v)        \
	{                                                                     \
		return kaos__##kind##_pop(&s, v, size);                       \
	}                                                                     \
	struct kaos__stamped /* swallow the semicolon */

/*
 * Generate the public API of one ring kind: `struct kaos_<kind>` and its
 * functions, thin forwarders to the kind's role functions above, so that
 * a call meant for another kind does not compile.
 */
#define KAOS__STAMPED_API(kind)                                               \
	struct kaos_##kind {                                                  \
		struct kaos__stamped s;                                       \
	};                                                                    \
	KAOS_INLINE int kaos_##kind##_memsize(uint64_t capacity,              \
					      size_t slot_size, size_t *size) \
	{                                                                     \
		return kaos__stamped_memsize(capacity, slot_size, size);      \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_init(struct kaos_##kind *r, void *mem,  \
					   size_t len, uint64_t capacity,     \
					   size_t slot_size)                  \
	{                                                                     \
		return kaos__stamped_init(r ? &r->s : NULL, mem, len,         \
					  capacity, slot_size);               \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_create(struct kaos_##kind *r,           \
					     uint64_t capacity,               \
					     size_t slot_size,                \
					     enum kaos_mem mem)               \
	{                                                                     \
		return kaos__stamped_create(r ? &r->s : NULL, capacity,       \
					    slot_size, mem);                  \
	}                                                                     \
	KAOS_INLINE void kaos_##kind##_destroy(struct kaos_##kind *r)         \
	{                                                                     \
		kaos__stamped_destroy(r ? &r->s : NULL);                      \
	}                                                                     \
	KAOS_INLINE void kaos_##kind##_stats(const struct kaos_##kind *r,      \
					     struct kaos_ring_stats *out)     \
	{                                                                     \
		kaos__stamped_stats(&r->s, out);                              \
	}                                                                     \
	KAOS__RING_ACCESSORS(kaos_##kind, struct kaos_##kind, s.ro.notify, s.ro.capacity);          \
	KAOS_INLINE size_t kaos_##kind##_slot_size(const struct kaos_##kind *r) \
	{                                                                     \
		return r->s.ro.slot_size;                                     \
	}                                                                     \
	KAOS_INLINE enum kaos_pages kaos_##kind##_pages(const struct kaos_##kind *r) \
	{                                                                     \
		return r->s.ro.region.pages;                                  \
	}                                                                     \
	KAOS__STAMPED_COPIES(kaos_##kind, kind, struct kaos_##kind, r->s, r->s.ro.slot_size, \
			     void);                                           \
	KAOS_INLINE int kaos_##kind##_publish(struct kaos_##kind *r,          \
					      const struct kaos_batch *b)     \
	{                                                                     \
		return kaos__##kind##_publish(&r->s, b);                      \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_release(struct kaos_##kind *r,          \
					      const struct kaos_batch *b)     \
	{                                                                     \
		return kaos__##kind##_release(&r->s, b);                      \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_claim_wait(                         \
		struct kaos_##kind *r, uint64_t n, struct kaos_batch *b,      \
		const struct kaos_wait *how)                                  \
	{                                                                     \
		return kaos__stamped_wait(&r->s, n, b, true,                  \
					  kaos__##kind##_claim_any, how);     \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_peek_wait(                          \
		struct kaos_##kind *r, uint64_t n, struct kaos_batch *b,      \
		const struct kaos_wait *how)                                  \
	{                                                                     \
		return kaos__stamped_wait(&r->s, n, b, false,                 \
					  kaos__##kind##_peek_any, how);      \
	}                                                                     \
	struct kaos_##kind /* swallow the semicolon */

/* Typed wrappers over a kind: compile-time slot size, typed pointers. */
#define KAOS__STAMPED_TYPED(name, kind, type)                                 \
	_Static_assert(sizeof(type) % 8 == 0,                                 \
		       #type " size must be a multiple of 8");                \
	struct name {                                                         \
		struct kaos_##kind ring;                                      \
	};                                                                    \
	static inline KAOS_UNUSED int name##_create(struct name *q,           \
						    uint64_t capacity,        \
						    enum kaos_mem mem)        \
	{                                                                     \
		return kaos_##kind##_create(&q->ring, capacity, sizeof(type), mem); \
	}                                                                     \
	static inline KAOS_UNUSED void name##_destroy(struct name *q)         \
	{                                                                     \
		kaos_##kind##_destroy(&q->ring);                              \
	}                                                                     \
	static inline KAOS_UNUSED struct kaos_##kind *name##_ring(struct name *q) \
	{                                                                     \
		return &q->ring;                                              \
	}                                                                     \
	KAOS__STAMPED_COPIES(name, kind, struct name, r->ring.s, sizeof(type), type); \
	struct name /* swallow the semicolon */

/* Each kind's push and pop: a single-threaded side must be idle. */
KAOS__STAMPED_COPY(mpsc, true, r->cons.released == r->cons.pos);
KAOS__STAMPED_COPY(spmc, r->prod.published == r->prod.pos, true);
KAOS__STAMPED_COPY(mpmc, true, true);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_STAMPED_H */
