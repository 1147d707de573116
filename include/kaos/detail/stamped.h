/* SPDX-License-Identifier: MIT */
/* SPDX-License-Identifier: MIT */
/*
 * @internal The engine under the MPSC, SPMC and MPMC rings: a bounded ring
 * of fixed-size slots with one 64-bit stamp per slot (after Vyukov's bounded
 * MPMC queue), batch claims on both sides, and compile-time switches for a
 * single producer or a single consumer. Include <kaos/mpsc.h>, <kaos/spmc.h>
 * or <kaos/mpmc.h> instead.
 *
 * A side shared by several threads hands slots over per slot, through the
 * stamps, because its threads finish out of order; a side with one thread
 * hands them over in order, through one cursor store per batch.
 *
 *   producers publish      MPMC: stamp[s] = s + 1 per slot
 *                          MPSC: stamp[first] = end of the run (one store)
 *                          SPMC: store-release the tail (wpos)
 *   consumers release      MPMC, SPMC: stamp[s] = s + capacity per slot
 *                          MPSC: store-release the head (rpos)
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

#if !defined(KAOS_MPSC_H) && !defined(KAOS_SPMC_H) && !defined(KAOS_MPMC_H)
#error "include <kaos/mpsc.h>, <kaos/spmc.h> or <kaos/mpmc.h> instead"
#endif

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

/**
 * A run of contiguous slots claimed by a producer or taken by a consumer of
 * a multi-threaded ring: pass it back to publish / release.
 */
struct kaos_batch {
	void *slots;    /**< first slot */
	uint64_t seq;   /**< sequence of the first slot */
	uint64_t count; /**< slots in the run */
};

/* Shared state at the start of the ring memory; stamps and slots follow. */
struct kaos__stamped_hdr {
	/* producers' claim cursor (SPMC: the published tail) */
	KAOS_CACHE_ALIGNED _Atomic uint64_t wpos;
	/* MPSC: producers' shared cached head + capacity (writable below) */
	_Atomic uint64_t wlimit;
	char guard0[2 * KAOS_CACHELINE - 2 * sizeof(uint64_t)];
	/* consumers' take cursor (MPSC: the released head) */
	_Atomic uint64_t rpos;
	char guard1[2 * KAOS_CACHELINE - sizeof(uint64_t)];
	struct kaos_waitpoint data;  /* consumers block here */
	struct kaos_waitpoint space; /* producers block here */
	char guard2[KAOS_CACHELINE - 2 * sizeof(struct kaos_waitpoint)];
	KAOS_CACHE_ALIGNED _Atomic uint64_t full; /* refused claims/pushes */
	char guard3[KAOS_CACHELINE - sizeof(uint64_t)];
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
		struct kaos__stamped_hdr *hdr;
		_Atomic uint64_t *stamps;
		unsigned char *slots;
		uint64_t mask;
		uint64_t capacity;
		size_t slot_size;
		bool blocking;
		struct kaos_region region;
	} ro;
};

KAOS_API int kaos__stamped_memsize(uint64_t capacity, size_t slot_size, size_t *size);
KAOS_API int kaos__stamped_init(struct kaos__stamped *r, void *mem, size_t len,
				uint64_t capacity, size_t slot_size);
KAOS_API int kaos__stamped_create(struct kaos__stamped *r, uint64_t capacity,
				  size_t slot_size, enum kaos_mem mem);
KAOS_API void kaos__stamped_destroy(struct kaos__stamped *r);
KAOS_API void kaos__stamped_stats(const struct kaos__stamped *r,
				  struct kaos_ring_stats *out);
KAOS_API int kaos__stamped_bad_count(const struct kaos__stamped *r, uint64_t n);
KAOS_API int64_t kaos__stamped_claim_wait(struct kaos__stamped *r, uint64_t n,
					  struct kaos_batch *b, bool mp, bool mc,
					  const struct kaos_wait *how);
KAOS_API int64_t kaos__stamped_take_wait(struct kaos__stamped *r, uint64_t n,
					 struct kaos_batch *b, bool mp, bool mc,
					 const struct kaos_wait *how);

KAOS_ALWAYS_INLINE unsigned char *
kaos__stamped_slot(const struct kaos__stamped *r, uint64_t seq, size_t slot_size)
{
	return r->ro.slots + (seq & r->ro.mask) * slot_size;
}

/* @internal Producers' free-slot check when one consumer releases by a
 * head cursor (MPSC): slots below wlimit are free. */
KAOS_ALWAYS_INLINE uint64_t
kaos__stamped_free_by_head(struct kaos__stamped *r, uint64_t pos, uint64_t lim)
{
	struct kaos__stamped_hdr *h = r->ro.hdr;
	/* Acquire: pairs with the release below by the producer that last
	 * refreshed it, which had acquired the head (A). */
	uint64_t limit = atomic_load_explicit(&h->wlimit, memory_order_acquire);
	/* Signed: a producer may hold a stale pos, or wlimit a stale value. */
	if ((int64_t)(limit - pos) < (int64_t)lim) {
		/* A: pairs with R, the consumer's release of the head. */
		limit = atomic_load_explicit(&h->rpos, memory_order_acquire) +
			r->ro.capacity;
		atomic_store_explicit(&h->wlimit, limit, memory_order_release);
		if ((int64_t)(limit - pos) <= 0)
			return 0;
	}
	return limit - pos < lim ? limit - pos : lim;
}

/* @internal The single MPSC consumer's view: extend its cached end of
 * published runs, reading one stamp per producer run (C). */
KAOS_ALWAYS_INLINE uint64_t
kaos__stamped_published_runs(struct kaos__stamped *r, uint64_t pos, uint64_t lim)
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

/*
 * Get up to n contiguous slots for one side. @p consumer picks the side;
 * @p mp and @p mc say whether several producers / consumers share the
 * ring. All three are constants at every call site, so each ring kind
 * compiles to its own straight-line code.
 */
KAOS_ALWAYS_INLINE int64_t
kaos__stamped_get(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
		  size_t slot_size, bool consumer, bool mp, bool mc)
{
	*b = (struct kaos_batch){ NULL, 0, 0 }; /* what a caller sees on 0 */
	if (KAOS_UNLIKELY(n - 1 >= r->ro.capacity))
		return kaos__stamped_bad_count(r, n);
	bool multi = consumer ? mc : mp;
	_Atomic uint64_t *cursor = consumer ? &r->ro.hdr->rpos : &r->ro.hdr->wpos;
	uint64_t *own = consumer ? &r->cons.pos : &r->prod.pos;
	/* Relaxed: the cursor only arbitrates which thread owns which
	 * sequences; stamps, tail and head carry the data ordering. */
	uint64_t pos = multi ? atomic_load_explicit(cursor, memory_order_relaxed) : *own;
	uint64_t m, idx;
	for (;;) {
		idx = pos & r->ro.mask;
		uint64_t lim = r->ro.capacity - idx;
		if (lim > n)
			lim = n;
		if (!consumer && !mc) {
			m = kaos__stamped_free_by_head(r, pos, lim);
		} else if (consumer && !mp) {
			/* C: pairs with P, the producer's release of the tail. */
			uint64_t tail = atomic_load_explicit(&r->ro.hdr->wpos,
							     memory_order_acquire);
			/* Signed: pos (from another consumer's relaxed CAS) may
			 * be newer than the tail this load returned. */
			int64_t ready = (int64_t)(tail - pos);
			m = ready <= 0 ? 0 : (uint64_t)ready < lim ? (uint64_t)ready : lim;
		} else if (consumer && !mc) {
			m = kaos__stamped_published_runs(r, pos, lim);
		} else {
			/* Per-slot stamps: a producer wants stamp == s (A,
			 * pairs with R), a consumer stamp == s + 1 (C, pairs
			 * with P). */
			uint64_t want_offset = consumer ? 1 : 0, stamp = 0;
			for (m = 0; m < lim; m++) {
				stamp = atomic_load_explicit(&r->ro.stamps[idx + m],
							     memory_order_acquire);
				if (stamp != pos + m + want_offset)
					break;
			}
			/* A stamp ahead of what we want: another thread of
			 * this side took pos; catch up. Behind: full/empty. */
			if (m == 0 && multi &&
			    (int64_t)(stamp - (pos + want_offset)) > 0) {
				pos = atomic_load_explicit(cursor, memory_order_relaxed);
				continue;
			}
		}
		if (m == 0) {
			if (!consumer && mp)
				kaos__count(&r->ro.hdr->full);
			else if (!consumer)
				kaos__count_single(&r->ro.hdr->full);
			return 0; /* full or empty */
		}
		if (!multi) {
			*own = pos + m;
			break;
		}
		/* Relaxed: as for the load; on failure pos is refreshed. */
		if (atomic_compare_exchange_weak_explicit(cursor, &pos, pos + m,
							  memory_order_relaxed,
							  memory_order_relaxed))
			break;
	}
	b->slots = r->ro.slots + idx * slot_size;
	b->seq = pos;
	b->count = m;
	return (int64_t)m;
}

/*
 * Hand a run to the other side (see the table at the top: per slot through
 * stamps when this side is shared, else one store), then wake the other
 * side's blocked threads if blocking is on. A side with one thread must
 * hand runs back in the order it got them: -EINVAL, and nothing moves,
 * for a run that is not next.
 */
KAOS_ALWAYS_INLINE int
kaos__stamped_put(struct kaos__stamped *r, const struct kaos_batch *b, bool consumer,
		  bool mp, bool mc)
{
	struct kaos__stamped_hdr *h = r->ro.hdr;
	uint64_t end = b->seq + b->count;
	if (KAOS_UNLIKELY(b->count == 0))
		return 0; /* the empty batch of a claim or peek that got nothing */
	if (!consumer && !mp) {
		if (KAOS_UNLIKELY(b->seq != r->prod.published || end > r->prod.pos))
			return -EINVAL;
		r->prod.published = end;
		/* P (SPMC): pairs with C. */
		atomic_store_explicit(&h->wpos, end, memory_order_release);
	} else if (!consumer && !mc) {
		/* P (MPSC): one stamp at the run's first slot holds its end. */
		atomic_store_explicit(&r->ro.stamps[b->seq & r->ro.mask], end,
					      memory_order_release);
	} else if (consumer && !mc) {
		if (KAOS_UNLIKELY(b->seq != r->cons.released || end > r->cons.pos))
			return -EINVAL;
		r->cons.released = end;
		/* R (MPSC): pairs with A. */
		atomic_store_explicit(&h->rpos, end, memory_order_release);
	} else {
		/* P: stamp = s + 1, pairs with C; R: s + capacity, with A. */
		uint64_t add = consumer ? r->ro.capacity : 1;
		for (uint64_t s = b->seq; s < end; s++)
			atomic_store_explicit(&r->ro.stamps[s & r->ro.mask], s + add,
					      memory_order_release);
	}
	if (KAOS_UNLIKELY(r->ro.blocking))
		kaos_waitpoint_notify(consumer ? &h->space : &h->data);
	return 0;
}

KAOS_ALWAYS_INLINE int64_t
kaos__stamped_claim(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
		    size_t slot_size, bool mp, bool mc)
{
	return kaos__stamped_get(r, n, b, slot_size, false, mp, mc);
}

KAOS_ALWAYS_INLINE int
kaos__stamped_publish(struct kaos__stamped *r, const struct kaos_batch *b, bool mp,
		      bool mc)
{
	return kaos__stamped_put(r, b, false, mp, mc);
}

KAOS_ALWAYS_INLINE int64_t
kaos__stamped_take(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
		   size_t slot_size, bool mp, bool mc)
{
	return kaos__stamped_get(r, n, b, slot_size, true, mp, mc);
}

KAOS_ALWAYS_INLINE int
kaos__stamped_release(struct kaos__stamped *r, const struct kaos_batch *b, bool mp,
		      bool mc)
{
	return kaos__stamped_put(r, b, true, mp, mc);
}

KAOS_ALWAYS_INLINE int
kaos__stamped_push(struct kaos__stamped *r, const void *src, size_t slot_size, bool mp,
		   bool mc)
{
	struct kaos_batch b;
	/* One producer: a claimed run not yet published must go first. */
	if (KAOS_UNLIKELY(!mp && r->prod.published != r->prod.pos))
		return -EINVAL;
	if (kaos__stamped_claim(r, 1, &b, slot_size, mp, mc) <= 0)
		return -KAOS_EFULL;
	kaos__copy_slot(b.slots, src, slot_size);
	return kaos__stamped_publish(r, &b, mp, mc);
}

KAOS_ALWAYS_INLINE int
kaos__stamped_pop(struct kaos__stamped *r, void *dst, size_t slot_size, bool mp,
		  bool mc)
{
	struct kaos_batch b;
	/* One consumer: a taken run not yet released must go first. */
	if (KAOS_UNLIKELY(!mc && r->cons.released != r->cons.pos))
		return -EINVAL;
	if (kaos__stamped_take(r, 1, &b, slot_size, mp, mc) <= 0)
		return -KAOS_EEMPTY;
	kaos__copy_slot(dst, b.slots, slot_size);
	return kaos__stamped_release(r, &b, mp, mc);
}

/*
 * Generate the public API of one ring kind: `struct kaos_<kind>` and its
 * functions, with the producer/consumer multiplicity fixed at compile time
 * so that a call meant for another kind does not compile.
 */
#define KAOS__STAMPED_API(kind, MP, MC)                                       \
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
	KAOS_INLINE void kaos_##kind##_set_blocking(struct kaos_##kind *r,    \
						    bool on)                  \
	{                                                                     \
		r->s.ro.blocking = on;                                        \
	}                                                                     \
	KAOS_INLINE void kaos_##kind##_stats(const struct kaos_##kind *r,      \
					     struct kaos_ring_stats *out)     \
	{                                                                     \
		kaos__stamped_stats(&r->s, out);                              \
	}                                                                     \
	KAOS_INLINE uint64_t kaos_##kind##_capacity(const struct kaos_##kind *r) \
	{                                                                     \
		return r->s.ro.capacity;                                      \
	}                                                                     \
	KAOS_INLINE size_t kaos_##kind##_slot_size(const struct kaos_##kind *r) \
	{                                                                     \
		return r->s.ro.slot_size;                                     \
	}                                                                     \
	KAOS_INLINE enum kaos_pages kaos_##kind##_pages(const struct kaos_##kind *r) \
	{                                                                     \
		return r->s.ro.region.pages;                                  \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_claim(struct kaos_##kind *r,        \
						uint64_t n,                   \
						struct kaos_batch *b)         \
	{                                                                     \
		return kaos__stamped_claim(&r->s, n, b, r->s.ro.slot_size, MP, MC); \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_publish(struct kaos_##kind *r,          \
					      const struct kaos_batch *b)     \
	{                                                                     \
		return kaos__stamped_publish(&r->s, b, MP, MC);               \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_peek(struct kaos_##kind *r,         \
					       uint64_t n,                    \
					       struct kaos_batch *b)          \
	{                                                                     \
		return kaos__stamped_take(&r->s, n, b, r->s.ro.slot_size, MP, MC); \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_release(struct kaos_##kind *r,          \
					      const struct kaos_batch *b)     \
	{                                                                     \
		return kaos__stamped_release(&r->s, b, MP, MC);               \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_push(struct kaos_##kind *r,             \
					   const void *src)                   \
	{                                                                     \
		return kaos__stamped_push(&r->s, src, r->s.ro.slot_size, MP, MC); \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_pop(struct kaos_##kind *r, void *dst)   \
	{                                                                     \
		return kaos__stamped_pop(&r->s, dst, r->s.ro.slot_size, MP, MC);  \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_claim_wait(                         \
		struct kaos_##kind *r, uint64_t n, struct kaos_batch *b,      \
		const struct kaos_wait *how)                                  \
	{                                                                     \
		return kaos__stamped_claim_wait(&r->s, n, b, MP, MC, how);        \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_peek_wait(                          \
		struct kaos_##kind *r, uint64_t n, struct kaos_batch *b,      \
		const struct kaos_wait *how)                                  \
	{                                                                     \
		return kaos__stamped_take_wait(&r->s, n, b, MP, MC, how);         \
	}                                                                     \
	struct kaos_##kind /* swallow the semicolon */

/* Typed wrappers over a kind: compile-time slot size, typed pointers. */
#define KAOS__STAMPED_TYPED(name, kind, type, MP, MC)                         \
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
	static inline KAOS_UNUSED int64_t name##_claim(struct name *q,        \
						       uint64_t n,            \
						       struct kaos_batch *b)  \
	{                                                                     \
		return kaos__stamped_claim(&q->ring.s, n, b, sizeof(type), MP, MC); \
	}                                                                     \
	static inline KAOS_UNUSED int64_t name##_peek(struct name *q,         \
						      uint64_t n,             \
						      struct kaos_batch *b)   \
	{                                                                     \
		return kaos__stamped_take(&q->ring.s, n, b, sizeof(type), MP, MC); \
	}                                                                     \
	static inline KAOS_UNUSED int name##_push(struct name *q, const type *v) \
	{                                                                     \
		return kaos__stamped_push(&q->ring.s, v, sizeof(type), MP, MC);   \
	}                                                                     \
	static inline KAOS_UNUSED int name##_pop(struct name *q, type *v)     \
	{                                                                     \
		return kaos__stamped_pop(&q->ring.s, v, sizeof(type), MP, MC);    \
	}                                                                     \
	struct name /* swallow the semicolon */

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_STAMPED_H */
