/* SPDX-License-Identifier: MIT */
/*
 * @internal The engine under the MPSC, SPMC and MPMC rings: a bounded ring
 * of fixed-size slots with one 64-bit stamp per slot (after Vyukov's bounded
 * MPMC queue), batch claims on both sides, and compile-time switches for a
 * single producer or a single consumer. Include <kaos/mpsc.h>, <kaos/spmc.h>
 * or <kaos/mpmc.h> instead.
 *
 * The stamp of the slot holding sequence s says where that slot stands:
 *   stamp == s            free: the producer of s may write it
 *   stamp == s + 1        published: the consumer of s may read it
 *   stamp == s + capacity released: free for s + capacity
 * A side claims slots by checking their stamps, then (when several threads
 * share that side) advancing the shared cursor with one CAS over the whole
 * run. Stamps are exact 64-bit sequences, so there is no ABA and every
 * capacity from 2 up behaves the same (the original's W3 came from
 * one-bit lap parity). A slot is freed only after it has been read, and
 * published only after it has been written.
 *
 * Ordering (each release names its acquire):
 *   P  publish: store-release stamp = s + 1   -> pairs with C
 *   C  take:    load-acquire stamp == s + 1   <- pairs with P
 *   R  release: store-release stamp = s + cap -> pairs with A
 *   A  claim:   load-acquire stamp == s       <- pairs with R
 * The cursor CASes only decide which thread owns which sequences; they
 * carry no data, so they are relaxed.
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
	KAOS_CACHE_ALIGNED _Atomic uint64_t wpos; /* producers' claim cursor */
	char guard0[2 * KAOS_CACHELINE - sizeof(uint64_t)];
	_Atomic uint64_t rpos; /* consumers' take cursor */
	char guard1[2 * KAOS_CACHELINE - sizeof(uint64_t)];
	struct kaos_waitpoint data;  /* consumers block here */
	struct kaos_waitpoint space; /* producers block here */
	char guard2[KAOS_CACHELINE - 2 * sizeof(struct kaos_waitpoint)];
};

struct kaos__stamped {
	/* single producer: its private cursor (multi: unused) */
	KAOS_CACHE_ALIGNED struct {
		uint64_t pos;
	} prod;
	char guard0[KAOS_CACHELINE]; /* no adjacent-line pairing with cons */
	/* single consumer: its private cursor (multi: unused) */
	KAOS_CACHE_ALIGNED struct {
		uint64_t pos;
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
KAOS_API int kaos__stamped_bad_count(const struct kaos__stamped *r, uint64_t n);
KAOS_API int64_t kaos__stamped_claim_wait(struct kaos__stamped *r, uint64_t n,
					  struct kaos_batch *b, bool mp,
					  const struct kaos_wait *how);
KAOS_API int64_t kaos__stamped_take_wait(struct kaos__stamped *r, uint64_t n,
					 struct kaos_batch *b, bool mc,
					 const struct kaos_wait *how);

KAOS_ALWAYS_INLINE unsigned char *
kaos__stamped_slot(const struct kaos__stamped *r, uint64_t seq, size_t slot_size)
{
	return r->ro.slots + (seq & r->ro.mask) * slot_size;
}

/*
 * Get up to n contiguous slots for one side: a producer wants slots whose
 * stamp says free for their sequence (stamp == s), a consumer slots whose
 * stamp says published (stamp == s + 1). @p multi: other threads share this
 * side, so the run is won with a CAS on the side's shared cursor; otherwise
 * the side's cursor is private. Both flags are constants at every call
 * site, so each ring kind compiles to its own straight-line code.
 */
KAOS_ALWAYS_INLINE int64_t
kaos__stamped_get(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
		  size_t slot_size, bool consumer, bool multi)
{
	*b = (struct kaos_batch){ NULL, 0, 0 }; /* what a caller sees on 0 */
	if (KAOS_UNLIKELY(n - 1 >= r->ro.capacity))
		return kaos__stamped_bad_count(r, n);
	_Atomic uint64_t *cursor = consumer ? &r->ro.hdr->rpos : &r->ro.hdr->wpos;
	uint64_t *own = consumer ? &r->cons.pos : &r->prod.pos;
	uint64_t want_offset = consumer ? 1 : 0;
	/* Relaxed: the cursor only arbitrates which thread owns which
	 * sequences; the stamps carry the data ordering. */
	uint64_t pos = multi ? atomic_load_explicit(cursor, memory_order_relaxed) : *own;
	uint64_t m, idx;
	for (;;) {
		idx = pos & r->ro.mask;
		uint64_t lim = r->ro.capacity - idx;
		if (lim > n)
			lim = n;
		uint64_t stamp = 0;
		for (m = 0; m < lim; m++) {
			/* A (producer): pairs with R; the slot's last reader is
			 * done. C (consumer): pairs with P; its contents are
			 * written. */
			stamp = atomic_load_explicit(&r->ro.stamps[idx + m],
						     memory_order_acquire);
			if (stamp != pos + m + want_offset)
				break;
		}
		if (m == 0) {
			/* A stamp behind what we want: full (the slot still
			 * holds an unreleased event of the previous lap) or
			 * empty (not yet published). Ahead: another thread of
			 * this side took pos; catch up. */
			if (!multi || (int64_t)(stamp - (pos + want_offset)) < 0)
				return 0;
			pos = atomic_load_explicit(cursor, memory_order_relaxed);
			continue;
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
 * Hand a run to the other side: a producer publishes (stamp = s + 1, P,
 * pairs with C), a consumer releases (stamp = s + capacity, R, pairs with
 * A). Then wake the other side's blocked threads, if blocking is on.
 */
KAOS_ALWAYS_INLINE void
kaos__stamped_put(struct kaos__stamped *r, const struct kaos_batch *b, bool consumer)
{
	uint64_t add = consumer ? r->ro.capacity : 1;
	for (uint64_t i = 0; i < b->count; i++) {
		uint64_t s = b->seq + i;
		atomic_store_explicit(&r->ro.stamps[s & r->ro.mask], s + add,
				      memory_order_release);
	}
	if (KAOS_UNLIKELY(r->ro.blocking))
		kaos_waitpoint_notify(consumer ? &r->ro.hdr->space : &r->ro.hdr->data);
}

KAOS_ALWAYS_INLINE int64_t
kaos__stamped_claim(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
		    size_t slot_size, bool mp)
{
	return kaos__stamped_get(r, n, b, slot_size, false, mp);
}

KAOS_ALWAYS_INLINE void
kaos__stamped_publish(struct kaos__stamped *r, const struct kaos_batch *b)
{
	kaos__stamped_put(r, b, false);
}

KAOS_ALWAYS_INLINE int64_t
kaos__stamped_take(struct kaos__stamped *r, uint64_t n, struct kaos_batch *b,
		   size_t slot_size, bool mc)
{
	return kaos__stamped_get(r, n, b, slot_size, true, mc);
}

KAOS_ALWAYS_INLINE void
kaos__stamped_release(struct kaos__stamped *r, const struct kaos_batch *b)
{
	kaos__stamped_put(r, b, true);
}

KAOS_ALWAYS_INLINE int
kaos__stamped_push(struct kaos__stamped *r, const void *src, size_t slot_size, bool mp)
{
	struct kaos_batch b;
	if (kaos__stamped_claim(r, 1, &b, slot_size, mp) <= 0)
		return -KAOS_EFULL;
	memcpy(b.slots, src, slot_size);
	kaos__stamped_publish(r, &b);
	return 0;
}

KAOS_ALWAYS_INLINE int
kaos__stamped_pop(struct kaos__stamped *r, void *dst, size_t slot_size, bool mc)
{
	struct kaos_batch b;
	if (kaos__stamped_take(r, 1, &b, slot_size, mc) <= 0)
		return -KAOS_EEMPTY;
	memcpy(dst, b.slots, slot_size);
	kaos__stamped_release(r, &b);
	return 0;
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
		return kaos__stamped_claim(&r->s, n, b, r->s.ro.slot_size, MP); \
	}                                                                     \
	KAOS_INLINE void kaos_##kind##_publish(struct kaos_##kind *r,         \
					       const struct kaos_batch *b)    \
	{                                                                     \
		kaos__stamped_publish(&r->s, b);                              \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_peek(struct kaos_##kind *r,         \
					       uint64_t n,                    \
					       struct kaos_batch *b)          \
	{                                                                     \
		return kaos__stamped_take(&r->s, n, b, r->s.ro.slot_size, MC); \
	}                                                                     \
	KAOS_INLINE void kaos_##kind##_release(struct kaos_##kind *r,         \
					       const struct kaos_batch *b)    \
	{                                                                     \
		kaos__stamped_release(&r->s, b);                              \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_push(struct kaos_##kind *r,             \
					   const void *src)                   \
	{                                                                     \
		return kaos__stamped_push(&r->s, src, r->s.ro.slot_size, MP); \
	}                                                                     \
	KAOS_INLINE int kaos_##kind##_pop(struct kaos_##kind *r, void *dst)   \
	{                                                                     \
		return kaos__stamped_pop(&r->s, dst, r->s.ro.slot_size, MC);  \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_claim_wait(                         \
		struct kaos_##kind *r, uint64_t n, struct kaos_batch *b,      \
		const struct kaos_wait *how)                                  \
	{                                                                     \
		return kaos__stamped_claim_wait(&r->s, n, b, MP, how);        \
	}                                                                     \
	KAOS_INLINE int64_t kaos_##kind##_peek_wait(                          \
		struct kaos_##kind *r, uint64_t n, struct kaos_batch *b,      \
		const struct kaos_wait *how)                                  \
	{                                                                     \
		return kaos__stamped_take_wait(&r->s, n, b, MC, how);         \
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
		return kaos__stamped_claim(&q->ring.s, n, b, sizeof(type), MP); \
	}                                                                     \
	static inline KAOS_UNUSED int64_t name##_peek(struct name *q,         \
						      uint64_t n,             \
						      struct kaos_batch *b)   \
	{                                                                     \
		return kaos__stamped_take(&q->ring.s, n, b, sizeof(type), MC); \
	}                                                                     \
	static inline KAOS_UNUSED int name##_push(struct name *q, const type *v) \
	{                                                                     \
		return kaos__stamped_push(&q->ring.s, v, sizeof(type), MP);   \
	}                                                                     \
	static inline KAOS_UNUSED int name##_pop(struct name *q, type *v)     \
	{                                                                     \
		return kaos__stamped_pop(&q->ring.s, v, sizeof(type), MC);    \
	}                                                                     \
	struct name /* swallow the semicolon */

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_STAMPED_H */
