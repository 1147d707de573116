/* SPDX-License-Identifier: MIT */
/*
 * @internal The u64ring's lines, handle and the bodies of push and pop.
 * Not for users: include <kaos/u64ring.h>, which documents the API.
 *
 * Ordering (each release names its acquire):
 *   P1 push:    store-release of the line's sequence word -> pairs with C1
 *   C1 pop:     load-acquire of the line's sequence word  <- pairs with P1
 *   C2 pop:     store-release of head                     -> pairs with P2
 *   P2 refresh: load-acquire of head                      <- pairs with C2
 *
 * Both sides read a shared word to learn their own position (the
 * producer its line's sequence word, the consumer head), so each bounds
 * it to its line before indexing: another process may have written
 * anything there, and a bad word is -KAOS_ECORRUPT, never an access
 * outside the ring.
 */
#ifndef KAOS_DETAIL_U64RING_H
#define KAOS_DETAIL_U64RING_H

#include <stdbool.h>
#include <stdint.h>

#include <kaos/detail/ring.h>
#include <kaos/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One line of the ring: the sequence word, then seven values. */
struct kaos_u64ring_line {
	_Atomic uint64_t seq; /* position after the last value published here */
	uint64_t v[KAOS_U64RING_PER_LINE];
};

/* A ring handle. The shared part is the control block (tail: the
 * producer's position hint; head: the consumer's position), then the
 * lines. */
struct kaos_u64ring {
	/* producer side: only the producer thread touches these */
	KAOS_CACHE_ALIGNED struct {
		struct kaos_u64ring_line *line; /* the line being filled */
		uint64_t start; /* position of that line's first value */
		uint64_t limit; /* cached head + capacity: writable below */
		uint64_t lines; /* lines completed, for the tail hint */
	} prod;
	char guard0[KAOS_CACHELINE];
	/* consumer side: its position is the shared head, which only it
	 * writes; these are its line and cached view of the producer */
	KAOS_CACHE_ALIGNED struct {
		struct kaos_u64ring_line *line; /* the line being read */
		uint64_t start; /* position of that line's first value */
		uint64_t avail; /* readable below (a line's sequence word) */
	} cons;
	char guard1[KAOS_CACHELINE];
	/* read-only after init */
	KAOS_CACHE_ALIGNED struct {
		struct kaos__ring_ctl *ctl;
		struct kaos_u64ring_line *lines;
		struct kaos_u64ring_line *end; /* lines + nlines */
		uint64_t nlines;
		uint64_t capacity;
		struct kaos__ring_notify notify; /* publish/release wake sleepers */
		struct kaos_region region; /* owned memory; zero for caller memory */
	} ro;
};

KAOS_INLINE int
kaos_u64ring_push(struct kaos_u64ring *ring, uint64_t value)
{
	struct kaos_u64ring_line *line = ring->prod.line;
	uint64_t start = ring->prod.start;
	/* Our own position, from the word we last stored into this line
	 * (relaxed: only this thread writes it); a word from an earlier lap
	 * is below start. Reading it keeps the position off a line of its
	 * own, which would be one more store per push. */
	uint64_t pos = atomic_load_explicit(&line->seq, memory_order_relaxed);
	if (pos < start)
		pos = start;
	if (KAOS_UNLIKELY(pos - start >= KAOS_U64RING_PER_LINE))
		return -KAOS_ECORRUPT; /* not a word we stored */
	if (KAOS_UNLIKELY((int64_t)(ring->prod.limit - pos) <= 0)) {
		/* P2: the acquire pairs with C2 (the consumer's release of
		 * head): its reads of the values below head happen before we
		 * overwrite them. */
		uint64_t head = atomic_load_explicit(&ring->ro.ctl->head,
						     memory_order_acquire);
		if (KAOS_UNLIKELY((int64_t)(pos - head) < 0))
			return -KAOS_ECORRUPT; /* read past what we published */
		ring->prod.limit = head + ring->ro.capacity;
		if ((int64_t)(ring->prod.limit - pos) <= 0) {
			kaos__count_single(&ring->ro.ctl->full);
			return -KAOS_EFULL;
		}
	}
	uint64_t word = pos - start;
	line->v[word] = value;
	/* P1: the release pairs with C1 (the consumer's acquire of this
	 * word): the value stored above is visible to a consumer that sees
	 * the new sequence. */
	atomic_store_explicit(&line->seq, pos + 1, memory_order_release);
	if (word == KAOS_U64RING_PER_LINE - 1) {
		ring->prod.start = start + KAOS_U64RING_PER_LINE;
		ring->prod.line = line + 1 == ring->ro.end ? ring->ro.lines : line + 1;
		if (++ring->prod.lines % KAOS_U64RING_TAIL_LINES == 0)
			/* Relaxed: a hint; attach and stats confirm it from
			 * the lines' sequence words (acquired there). */
			atomic_store_explicit(&ring->ro.ctl->tail, pos + 1,
					      memory_order_relaxed);
	}
	kaos__ring_wake(&ring->ro.notify, &ring->ro.ctl->data);
	return 0;
}

/* The value at the consumer's position @p pos, without releasing it:
 * 0 (*value set), -KAOS_EEMPTY, or -KAOS_ECORRUPT if @p pos (read from
 * head) is not in the consumer's line. Moves the consumer's line along. */
KAOS_ALWAYS_INLINE int
kaos__u64ring_read(struct kaos_u64ring *ring, uint64_t pos, uint64_t *value)
{
	struct kaos_u64ring_line *line = ring->cons.line;
	uint64_t start = ring->cons.start;
	uint64_t word = pos - start;
	if (word >= KAOS_U64RING_PER_LINE) {
		if (KAOS_UNLIKELY(word != KAOS_U64RING_PER_LINE))
			return -KAOS_ECORRUPT; /* head is not where we left it */
		/* the line is done */
		start += KAOS_U64RING_PER_LINE;
		line = line + 1 == ring->ro.end ? ring->ro.lines : line + 1;
		ring->cons.start = start;
		ring->cons.line = line;
		word = 0;
	}
	if (pos == ring->cons.avail) {
		/* C1: the acquire pairs with P1: the values below the
		 * sequence word are written. */
		uint64_t seq = atomic_load_explicit(&line->seq, memory_order_acquire);
		/* Published here only if it is past us and in this line; a
		 * word from an earlier lap is at most our position. */
		if (seq <= pos || seq - start > KAOS_U64RING_PER_LINE)
			return -KAOS_EEMPTY;
		ring->cons.avail = seq;
	}
	*value = line->v[word];
	return 0;
}

/* Release the values below @p pos. C2: the release pairs with P2 (the
 * producer's acquire of head): our reads of them happen before they are
 * overwritten. */
KAOS_ALWAYS_INLINE void
kaos__u64ring_store_head(struct kaos_u64ring *ring, uint64_t pos)
{
	kaos__ring_advance(&ring->ro.ctl->head, pos, &ring->ro.notify, &ring->ro.ctl->space);
}

KAOS_INLINE int
kaos_u64ring_pop(struct kaos_u64ring *ring, uint64_t *value)
{
	/* Relaxed: head is ours (only this thread writes it). */
	uint64_t pos = atomic_load_explicit(&ring->ro.ctl->head, memory_order_relaxed);
	int rc = kaos__u64ring_read(ring, pos, value);
	if (rc == 0)
		kaos__u64ring_store_head(ring, pos + 1);
	return rc;
}

/* ---- the public inline functions (declared and documented in kaos/u64ring.h) ---- */

KAOS__RING_ACCESSORS(kaos_u64ring, struct kaos_u64ring, ro.notify, ro.capacity);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_DETAIL_U64RING_H */
