/* SPDX-License-Identifier: MIT */
/*
 * The u64ring (include/kaos/u64ring.h): arguments, empty and full edges,
 * many laps, size and statistics, attach (the producer's position found
 * again, a write its sequence word never published reused, corrupt shared
 * positions refused), waiting and wake-ups, and two real threads.
 *
 * The value pushed at position p is always val(p), so every pop checks both
 * the order and that nothing stale, torn or foreign came out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#define PER_LINE KAOS_U64RING_PER_LINE
/* Positions between two stores of the tail hint (56). */
#define HINT_EVERY ((uint64_t)KAOS_U64RING_PER_LINE * KAOS_U64RING_TAIL_LINES)
/* Written where no value should come from; never a val(p) of these tests. */
#define GARBAGE 0xDEADBEEFBADC0FFEull
#define SENTINEL 0x5A5A5A5A5A5A5A5Aull
/* Generous bound for anything that should happen at once. */
#define GENEROUS_NS (20ull * 1000 * 1000 * 1000)

/* The value pushed at position p. */
static uint64_t
val(uint64_t p)
{
	return (p + 1) * 0x9E3779B97F4A7C15ull;
}

/* What the checks below print when they fail: the case being run. */
static char where[256];
#define AT(...) snprintf(where, sizeof(where), __VA_ARGS__)

static void
push_ok(struct kaos_u64ring *r, uint64_t p)
{
	int rc = kaos_u64ring_push(r, val(p));
	if (rc != 0)
		KAOS_FAIL("%s: push of position %" PRIu64 " returned %d %s", where, p, rc,
			  kaos_err_name(rc));
}

static void
push_full(struct kaos_u64ring *r)
{
	int rc = kaos_u64ring_push(r, GARBAGE);
	if (rc != -KAOS_EFULL)
		KAOS_FAIL("%s: push into a full ring returned %d %s", where, rc,
			  kaos_err_name(rc));
}

static void
pop_is(struct kaos_u64ring *r, uint64_t p)
{
	uint64_t v = SENTINEL;
	int rc = kaos_u64ring_pop(r, &v);
	if (rc != 0)
		KAOS_FAIL("%s: pop of position %" PRIu64 " returned %d %s (size %" PRIu64 ")",
			  where, p, rc, kaos_err_name(rc), kaos_u64ring_size(r));
	if (v != val(p))
		KAOS_FAIL("%s: pop of position %" PRIu64 " got %#" PRIx64 ", want %#" PRIx64,
			  where, p, v, val(p));
}

static void
pop_empty(struct kaos_u64ring *r)
{
	uint64_t v = SENTINEL;
	int rc = kaos_u64ring_pop(r, &v);
	if (rc != -KAOS_EEMPTY)
		KAOS_FAIL("%s: pop of an empty ring returned %d %s, value %#" PRIx64, where, rc,
			  kaos_err_name(rc), v);
	if (v != SENTINEL)
		KAOS_FAIL("%s: an empty pop wrote %#" PRIx64, where, v);
}

/* size() and stats() agree with the positions the test keeps. */
static void
positions_are(const struct kaos_u64ring *r, uint64_t published, uint64_t consumed)
{
	struct kaos_ring_stats st;
	memset(&st, 0xa5, sizeof(st));
	kaos_u64ring_stats(r, &st);
	uint64_t size = kaos_u64ring_size(r);
	if (st.published != published || st.consumed != consumed ||
	    size != published - consumed)
		KAOS_FAIL("%s: published %" PRIu64 " consumed %" PRIu64 " size %" PRIu64
			  ", want %" PRIu64 " %" PRIu64 " %" PRIu64,
			  where, st.published, st.consumed, size, published, consumed,
			  published - consumed);
}

static uint64_t
full_count(const struct kaos_u64ring *r)
{
	struct kaos_ring_stats st;
	kaos_u64ring_stats(r, &st);
	return st.full;
}

static uint64_t
tail_hint(const struct kaos_u64ring *r)
{
	return atomic_load(&r->ro.ctl->tail);
}

/* The line that holds position p. */
static struct kaos_u64ring_line *
line_at(const struct kaos_u64ring *r, uint64_t p)
{
	return r->ro.lines + (p / PER_LINE) % r->ro.nlines;
}

/* Caller memory for a ring: aligned, dirty, sized exactly. */
struct mem {
	void *p;
	size_t len;
	uint64_t cap;
};

static void
mem_new(struct mem *m, uint64_t cap)
{
	KAOS_ASSERT_OK(kaos_u64ring_memsize(cap, &m->len));
	m->p = aligned_alloc(KAOS_CACHELINE, m->len);
	KAOS_ASSERT(m->p);
	memset(m->p, 0x5a, m->len); /* init must not rely on zeroed memory */
	m->cap = cap;
}

static void
attach_ok(struct kaos_u64ring *r, const struct mem *m)
{
	int rc = kaos_u64ring_attach(r, m->p, m->len, m->cap);
	if (rc != 0)
		KAOS_FAIL("%s: attach returned %d %s", where, rc, kaos_err_name(rc));
}

static void
attach_corrupt(const struct mem *m)
{
	struct kaos_u64ring r;
	int rc = kaos_u64ring_attach(&r, m->p, m->len, m->cap);
	if (rc != -KAOS_ECORRUPT)
		KAOS_FAIL("%s: attach returned %d %s, want KAOS_ECORRUPT", where, rc,
			  kaos_err_name(rc));
}

/* From an empty ring at 0 to head h and tail k (h <= k <= h + capacity):
 * both sides step together to h, one value in flight at most, then k - h
 * pushes. */
static void
reach(struct kaos_u64ring *r, uint64_t h, uint64_t k)
{
	for (uint64_t p = 0; p < h; p++) {
		push_ok(r, p);
		pop_is(r, p);
	}
	for (uint64_t p = h; p < k; p++)
		push_ok(r, p);
}

/* ---- arguments ---------------------------------------------------------------- */

static void
memsize_rejects_bad_arguments(void)
{
	const uint64_t max = KAOS_U64RING_MAX_CAPACITY;
	const uint64_t bad[] = { 0, 1, 6, 8, 13, 15, 64, 69, 71, 1024,
				 max + 1, max + 7, max * 2, UINT64_MAX - 1, UINT64_MAX };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t sz = 12345;
		AT("capacity %" PRIu64, bad[i]);
		KAOS_ASSERT_EQ(kaos_u64ring_memsize(bad[i], &sz), -EINVAL);
		KAOS_ASSERT_UEQ(sz, 12345);
	}
	KAOS_ASSERT_EQ(kaos_u64ring_memsize(7, NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_memsize(0, NULL), -EINVAL);
}

static void
memsize_counts_lines(void)
{
	KAOS_ASSERT_EQ(sizeof(struct kaos_u64ring_line), 64);
	KAOS_ASSERT_EQ(sizeof(struct kaos__ring_ctl) % KAOS_CACHELINE, 0);
	const uint64_t lines[] = { 1, 2, 3, 8, 9, 10, 1000, 1u << 20, 1ull << 32 };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t sz = 0;
		uint64_t n = lines[i];
		if (SIZE_MAX / 64 <= n) { /* 32-bit size_t */
			KAOS_ASSERT_EQ(kaos_u64ring_memsize(n * PER_LINE, &sz), -EOVERFLOW);
			continue;
		}
		KAOS_ASSERT_OK(kaos_u64ring_memsize(n * PER_LINE, &sz));
		/* one line more than the values fill (see u64ring.h) */
		KAOS_ASSERT_UEQ(KAOS_U64RING_LINES(n * PER_LINE), n + 1);
		/* the size rounds up to whole cache lines (128 bytes on aarch64) */
		size_t bytes = sizeof(struct kaos__ring_ctl) + (n + 1) * 64;
		KAOS_ASSERT_UEQ(sz, (bytes + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE);
	}
	KAOS_ASSERT_UEQ(KAOS_U64RING_MAX_CAPACITY, 7ull << 32);
}

typedef int (*init_fn)(struct kaos_u64ring *, void *, size_t, uint64_t);

static void
init_and_attach_reject_bad_arguments(void)
{
	const init_fn fns[] = { kaos_u64ring_init, kaos_u64ring_attach };
	const char *names[] = { "init", "attach" };
	for (int f = 0; f < 2; f++) {
		struct kaos_u64ring r;
		size_t need;
		AT("%s", names[f]);
		KAOS_ASSERT_OK(kaos_u64ring_memsize(70, &need));
		unsigned char *mem = aligned_alloc(KAOS_CACHELINE, need + KAOS_CACHELINE);
		KAOS_ASSERT(mem);
		memset(mem, 0, need + KAOS_CACHELINE);
		KAOS_ASSERT_EQ(fns[f](&r, mem, need, 0), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, mem, need, 6), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, mem, need, 8), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, mem, need, 69), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, mem, need, KAOS_U64RING_MAX_CAPACITY + 7), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, mem + 8, need, 70), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, mem + 32, need, 70), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, NULL, need, 70), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](NULL, mem, need, 70), -EINVAL);
		KAOS_ASSERT_EQ(fns[f](&r, mem, need - 1, 70), -ENOBUFS);
		KAOS_ASSERT_EQ(fns[f](&r, mem, 0, 70), -ENOBUFS);
		KAOS_ASSERT_EQ(fns[f](&r, mem, need - 64, 70), -ENOBUFS);
		/* the first capacity past 70 that needs more memory (one line
		 * more on 64-byte cache lines; 128-byte ones round up) */
		uint64_t more = 70;
		size_t more_need = need;
		while (more_need == need) {
			more += PER_LINE;
			KAOS_ASSERT_OK(kaos_u64ring_memsize(more, &more_need));
		}
		KAOS_ASSERT_EQ(fns[f](&r, mem, need, more), -ENOBUFS);
		KAOS_ASSERT_OK(fns[f](&r, mem, need, 70));
		KAOS_ASSERT_UEQ(kaos_u64ring_capacity(&r), 70);
		KAOS_ASSERT_OK(fns[f](&r, mem, need + KAOS_CACHELINE, 70)); /* more is fine */
		KAOS_ASSERT_OK(fns[f](&r, mem, need, 7)); /* a smaller ring fits */
		KAOS_ASSERT_UEQ(kaos_u64ring_capacity(&r), 7);
		free(mem);
	}

	/* init lays out dirty memory as an empty ring */
	struct mem m;
	struct kaos_u64ring r;
	mem_new(&m, 21);
	AT("init on dirty memory");
	KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, m.cap));
	pop_empty(&r);
	positions_are(&r, 0, 0);
	KAOS_ASSERT_UEQ(full_count(&r), 0);
	KAOS_ASSERT_UEQ(tail_hint(&r), 0);
	struct kaos_ring_stats st;
	kaos_u64ring_stats(&r, &st);
	KAOS_ASSERT_UEQ(st.waits, 0);
	KAOS_ASSERT_UEQ(st.wakes, 0);
	for (uint64_t p = 0; p < 21; p++)
		push_ok(&r, p);
	push_full(&r);
	for (uint64_t p = 0; p < 21; p++)
		pop_is(&r, p);
	pop_empty(&r);
	free(m.p);
}

static void
exchange_laps(struct kaos_u64ring *r, uint64_t laps)
{
	uint64_t cap = kaos_u64ring_capacity(r);
	for (uint64_t p = 0; p < laps * cap; p++) {
		push_ok(r, p);
		pop_is(r, p);
	}
	for (uint64_t p = laps * cap; p < (laps + 1) * cap; p++)
		push_ok(r, p);
	push_full(r);
	for (uint64_t p = laps * cap; p < (laps + 1) * cap; p++)
		pop_is(r, p);
	pop_empty(r);
	positions_are(r, (laps + 1) * cap, (laps + 1) * cap);
}

static void
create_and_destroy(void)
{
	struct kaos_u64ring r;
	KAOS_ASSERT_EQ(kaos_u64ring_create(&r, 0, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_create(&r, 6, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_create(&r, 8, KAOS_MEM_MAPPED), -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_create(&r, KAOS_U64RING_MAX_CAPACITY + 7, KAOS_MEM_HEAP),
		       -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_create(NULL, 7, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_create(&r, 7, (enum kaos_mem)7), -EINVAL);

	const enum kaos_mem kinds[] = { KAOS_MEM_HEAP, KAOS_MEM_MAPPED };
	const uint64_t caps[] = { 7, 7000, 7 << 12 };
	for (size_t k = 0; k < 2; k++)
		for (size_t c = 0; c < 3; c++) {
			AT("create %s capacity %" PRIu64, k ? "mapped" : "heap", caps[c]);
			KAOS_ASSERT_OK(kaos_u64ring_create(&r, caps[c], kinds[k]));
			KAOS_ASSERT_UEQ(kaos_u64ring_capacity(&r), caps[c]);
			KAOS_ASSERT_EQ((uintptr_t)r.ro.ctl % KAOS_CACHELINE, 0);
			KAOS_ASSERT_EQ(r.ro.region.kind, kinds[k]);
			pop_empty(&r);
			positions_are(&r, 0, 0);
			exchange_laps(&r, 2);
			kaos_u64ring_destroy(&r);
			KAOS_ASSERT(r.ro.ctl == NULL);
			KAOS_ASSERT(r.ro.region.base == NULL);
			KAOS_ASSERT_UEQ(kaos_u64ring_capacity(&r), 0);
		}
	kaos_u64ring_destroy(NULL); /* a no-op */

	/* caller memory is left alone by destroy */
	struct mem m;
	mem_new(&m, 14);
	AT("caller memory");
	KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, m.cap));
	exchange_laps(&r, 1);
	kaos_u64ring_destroy(&r);
	KAOS_ASSERT(r.ro.ctl == NULL);
	struct kaos_u64ring again;
	attach_ok(&again, &m);
	positions_are(&again, 28, 28);
	free(m.p);
}

/* ---- one thread: edges and laps ----------------------------------------------- */

static void
empty_and_single_values(void)
{
	const uint64_t caps[] = { 7, 14 };
	for (size_t c = 0; c < 2; c++) {
		struct kaos_u64ring r;
		AT("capacity %" PRIu64, caps[c]);
		KAOS_ASSERT_OK(kaos_u64ring_create(&r, caps[c], KAOS_MEM_HEAP));
		pop_empty(&r);
		pop_empty(&r);
		for (uint64_t p = 0; p < 6 * caps[c] + 3; p++) {
			push_ok(&r, p);
			positions_are(&r, p + 1, p);
			pop_is(&r, p);
			positions_are(&r, p + 1, p + 1);
			pop_empty(&r);
		}
		/* any 64-bit value goes through unchanged */
		const uint64_t odd[] = { 0, 1, UINT64_MAX, SENTINEL, 1ull << 63 };
		for (size_t i = 0; i < 5; i++)
			KAOS_ASSERT_OK(kaos_u64ring_push(&r, odd[i]));
		for (size_t i = 0; i < 5; i++) {
			uint64_t v = ~odd[i];
			KAOS_ASSERT_OK(kaos_u64ring_pop(&r, &v));
			KAOS_ASSERT_UEQ(v, odd[i]);
		}
		pop_empty(&r);
		KAOS_ASSERT_UEQ(full_count(&r), 0);
		kaos_u64ring_destroy(&r);
	}
}

/* From every starting residue (both positions at off), fill to exactly the
 * capacity, check it refuses and counts each refusal, and drain in order. */
static void
fill_to_capacity_and_drain(void)
{
	const uint64_t caps[] = { 7, 14, 21, 70 };
	for (size_t c = 0; c < 4; c++) {
		uint64_t cap = caps[c];
		for (uint64_t off = 0; off <= cap + PER_LINE; off++) {
			struct kaos_u64ring r;
			AT("capacity %" PRIu64 ", both sides at %" PRIu64, cap, off);
			KAOS_ASSERT_OK(kaos_u64ring_create(&r, cap, KAOS_MEM_HEAP));
			reach(&r, off, off);
			for (uint64_t i = 0; i < cap; i++) {
				push_ok(&r, off + i);
				positions_are(&r, off + i + 1, off);
			}
			for (uint64_t i = 1; i <= 3; i++) {
				push_full(&r);
				KAOS_ASSERT_UEQ(full_count(&r), i);
			}
			positions_are(&r, off + cap, off);
			pop_is(&r, off); /* one place comes back, and only one */
			positions_are(&r, off + cap, off + 1);
			push_ok(&r, off + cap);
			push_full(&r);
			KAOS_ASSERT_UEQ(full_count(&r), 4);
			for (uint64_t p = off + 1; p <= off + cap; p++) {
				pop_is(&r, p);
				positions_are(&r, off + cap + 1, p + 1);
			}
			pop_empty(&r);
			KAOS_ASSERT_UEQ(full_count(&r), 4);
			kaos_u64ring_destroy(&r);
		}
	}
}

/* The smallest case of the above: the producer fills the ring while the
 * consumer is in the middle of a line (capacity 7, consumer at 3, values
 * 3..9 in). With lines for the capacity only, 7..9 went into words 0..2 of
 * line 0, whose sequence word the consumer still needed for 3..6: it
 * stalled on a full ring (fixed in c740238 by one line more). */
static void
producer_may_fill_the_consumers_line(void)
{
	const uint64_t caps[] = { 7, 14 };
	for (size_t c = 0; c < 2; c++) {
		uint64_t cap = caps[c];
		struct kaos_u64ring r;
		AT("capacity %" PRIu64 ", consumer at 3", cap);
		KAOS_ASSERT_OK(kaos_u64ring_create(&r, cap, KAOS_MEM_HEAP));
		for (uint64_t p = 0; p < 3; p++)
			push_ok(&r, p);
		for (uint64_t p = 0; p < 3; p++)
			pop_is(&r, p);
		for (uint64_t p = 3; p < 3 + cap; p++)
			push_ok(&r, p);
		push_full(&r);
		positions_are(&r, 3 + cap, 3);
		for (uint64_t p = 3; p < 3 + cap; p++)
			pop_is(&r, p);
		pop_empty(&r);
		kaos_u64ring_destroy(&r);
	}
}

/* Values across >= 50 laps, pushes and pops in random chunks that run into
 * the full and the empty ring: each push succeeds exactly when fewer than
 * capacity values are in, each pop exactly when one is, in order. */
static void
many_laps_in_varying_chunks(void)
{
	const uint64_t caps[] = { 7, 14, 21, 35, 70 };
	uint64_t seed = 0x0064u + kaos_test_soak_round;
	for (size_t c = 0; c < 5; c++) {
		uint64_t cap = caps[c], total = 60 * cap, pushed = 0, popped = 0, refused = 0;
		struct kaos_u64ring r;
		AT("capacity %" PRIu64, cap);
		KAOS_ASSERT_OK(kaos_u64ring_create(&r, cap, KAOS_MEM_HEAP));
		while (popped < total) {
			uint64_t n = 1 + kaos_test_rand(&seed) % (cap + 3);
			for (uint64_t i = 0; i < n && pushed < total; i++) {
				if (pushed - popped < cap) {
					push_ok(&r, pushed++);
				} else {
					push_full(&r);
					refused++;
				}
			}
			positions_are(&r, pushed, popped);
			n = 1 + kaos_test_rand(&seed) % (cap + 3);
			for (uint64_t i = 0; i < n; i++) {
				if (popped < pushed)
					pop_is(&r, popped++);
				else
					pop_empty(&r);
			}
			positions_are(&r, pushed, popped);
		}
		KAOS_ASSERT_UEQ(full_count(&r), refused);
		pop_empty(&r);
		kaos_u64ring_destroy(&r);
	}
}

/* size() and stats() after every operation: within lines and at their
 * ends, beyond KAOS_U64RING_TAIL_LINES lines (the tail hint lags), full,
 * across the wrap; and from a second handle, as a monitor would read. */
static void
size_and_stats_track_every_position(void)
{
	const uint64_t cap = 20 * PER_LINE;
	struct kaos_u64ring r, mon;
	struct mem m;
	mem_new(&m, cap);
	KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, cap));
	attach_ok(&mon, &m);
	for (uint64_t p = 0; p < cap; p++) {
		AT("filling, position %" PRIu64, p);
		push_ok(&r, p);
		positions_are(&r, p + 1, 0);
		positions_are(&mon, p + 1, 0);
		KAOS_ASSERT_UEQ(tail_hint(&r), (p + 1) / HINT_EVERY * HINT_EVERY);
	}
	KAOS_ASSERT_UEQ(tail_hint(&r), 2 * HINT_EVERY); /* 112 of 140 */
	push_full(&r);
	positions_are(&mon, cap, 0);
	for (uint64_t p = 0; p < cap; p++) {
		AT("draining, position %" PRIu64, p);
		pop_is(&r, p);
		positions_are(&r, cap, p + 1);
		positions_are(&mon, cap, p + 1);
	}
	pop_empty(&r);
	/* three more laps, 11 in, 11 out */
	uint64_t pushed = cap, popped = cap;
	while (popped < 4 * cap) {
		for (int i = 0; i < 11; i++) {
			AT("lapping, push %" PRIu64, pushed);
			push_ok(&r, pushed++);
			positions_are(&r, pushed, popped);
			positions_are(&mon, pushed, popped);
			KAOS_ASSERT_UEQ(tail_hint(&r), pushed / HINT_EVERY * HINT_EVERY);
		}
		for (int i = 0; i < 11; i++) {
			AT("lapping, pop %" PRIu64, popped);
			pop_is(&r, popped++);
			positions_are(&r, pushed, popped);
			positions_are(&mon, pushed, popped);
		}
	}
	KAOS_ASSERT_UEQ(full_count(&mon), 1);
	free(m.p);
}

/* ---- attach ------------------------------------------------------------------- */

/* Tail k and head h reached through one handle; then a producer handle and
 * a consumer handle attached afresh continue the ring. */
static void
continue_after_attach(const struct mem *m, uint64_t h, uint64_t k)
{
	uint64_t cap = m->cap;
	struct kaos_u64ring prod, cons;
	attach_ok(&prod, m);
	attach_ok(&cons, m);
	positions_are(&prod, k, h);
	positions_are(&cons, k, h);
	/* what was in the ring comes out, then nothing */
	for (uint64_t p = h; p < k; p++)
		pop_is(&cons, p);
	pop_empty(&cons);
	/* the producer goes on from k, one value in flight */
	uint64_t p = k;
	for (; p < k + 2 * cap + 3; p++) {
		push_ok(&prod, p);
		pop_is(&cons, p);
	}
	pop_empty(&cons);
	/* and fills exactly to the capacity */
	for (uint64_t i = 0; i < cap; i++)
		push_ok(&prod, p + i);
	push_full(&prod);
	positions_are(&cons, p + cap, p);
	KAOS_ASSERT_UEQ(tail_hint(&prod), (p + cap) / HINT_EVERY * HINT_EVERY);
	for (uint64_t i = 0; i < cap; i++)
		pop_is(&cons, p + i);
	pop_empty(&cons);
}

static void
attach_finds_the_producer(void)
{
	const uint64_t caps[] = { 7, 21, 70 };
	for (size_t c = 0; c < 3; c++) {
		uint64_t cap = caps[c];
		uint64_t kmax = 3 * cap > 2 * HINT_EVERY + 3 ? 3 * cap : 2 * HINT_EVERY + 3;
		struct mem m;
		mem_new(&m, cap);
		for (uint64_t k = 0; k <= kmax; k++)
			for (uint64_t j = 0; j <= cap && j <= k; j++) {
				/* for the big ring: a selection of fill levels */
				if (cap > 21 && !(j <= 8 || j == 13 || j == 14 || j == 35 ||
						  j >= cap - 8))
					continue;
				uint64_t h = k - j;
				struct kaos_u64ring r;
				AT("capacity %" PRIu64 ", head %" PRIu64 ", tail %" PRIu64
				   " (hint %" PRIu64 ")",
				   cap, h, k, k / HINT_EVERY * HINT_EVERY);
				KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, cap));
				reach(&r, h, k);
				KAOS_ASSERT_UEQ(tail_hint(&r), k / HINT_EVERY * HINT_EVERY);
				continue_after_attach(&m, h, k);
			}
		free(m.p);
	}
}

/* The producer died after writing a value but before its sequence word:
 * the consumer never sees that value, and a new producer writes there. */
static void
attach_reuses_an_unpublished_write(void)
{
	const uint64_t caps[] = { 7, 21, 70 };
	for (size_t c = 0; c < 3; c++) {
		uint64_t cap = caps[c];
		uint64_t kmax = 3 * cap > 2 * HINT_EVERY + 3 ? 3 * cap : 2 * HINT_EVERY + 3;
		const uint64_t fills[] = { 0, 1, 3, cap - 1 };
		struct mem m;
		mem_new(&m, cap);
		for (uint64_t k = 0; k <= kmax; k++)
			for (size_t f = 0; f < 4; f++)
				for (int rest = 0; rest < 2; rest++) {
					uint64_t j = fills[f];
					if (j > k)
						continue;
					uint64_t h = k - j;
					struct kaos_u64ring r, prod, cons;
					AT("capacity %" PRIu64 ", head %" PRIu64 ", tail %" PRIu64
					   ", garbage in %s",
					   cap, h, k, rest ? "the rest of the line" : "one word");
					KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, cap));
					reach(&r, h, k);
					struct kaos_u64ring_line *line = line_at(&r, k);
					uint64_t seq = atomic_load(&line->seq);
					for (uint64_t w = k % PER_LINE;
					     w < (rest ? PER_LINE : k % PER_LINE + 1); w++)
						line->v[w] = GARBAGE;
					KAOS_ASSERT_UEQ(atomic_load(&line->seq), seq);
					attach_ok(&prod, &m);
					attach_ok(&cons, &m);
					positions_are(&cons, k, h);
					for (uint64_t p = h; p < k; p++)
						pop_is(&cons, p);
					pop_empty(&cons);
					for (uint64_t p = k; p < k + cap + PER_LINE; p++) {
						push_ok(&prod, p);
						positions_are(&cons, p + 1, p);
						pop_is(&cons, p);
					}
					pop_empty(&cons);
				}
		free(m.p);
	}
}

/* Either side re-attached after every single operation resumes exactly:
 * the consumer mid-line at head, the producer at its exact position. */
static void
reattach_at_every_position(void)
{
	const uint64_t caps[] = { 7, 70 };
	for (size_t c = 0; c < 2; c++) {
		uint64_t cap = caps[c], pushed = 0, popped = 0;
		struct kaos_u64ring prod, cons;
		struct mem m;
		mem_new(&m, cap);
		KAOS_ASSERT_OK(kaos_u64ring_init(&prod, m.p, m.len, cap));
		attach_ok(&cons, &m);
		/* in flight goes up and down between 0 and 5 */
		while (popped < 4 * cap + 2 * HINT_EVERY) {
			for (int i = 0; i < 5; i++) {
				AT("capacity %" PRIu64 ", push %" PRIu64 " after attach", cap,
				   pushed);
				attach_ok(&prod, &m);
				push_ok(&prod, pushed++);
			}
			for (int i = 0; i < 5; i++) {
				AT("capacity %" PRIu64 ", pop %" PRIu64 " after attach", cap,
				   popped);
				attach_ok(&cons, &m);
				pop_is(&cons, popped++);
				positions_are(&cons, pushed, popped);
			}
			attach_ok(&cons, &m);
			pop_empty(&cons);
		}
		/* the consumer re-attached 3 into a line: what is published
		 * comes out, then what the producer adds to the line after */
		AT("capacity %" PRIu64 ", consumer mid-line", cap);
		for (uint64_t i = 0; i < cap; i++)
			push_ok(&prod, pushed++);
		do
			pop_is(&cons, popped++);
		while (popped % PER_LINE != 3);
		attach_ok(&cons, &m);
		positions_are(&cons, pushed, popped);
		while (popped < pushed)
			pop_is(&cons, popped++);
		pop_empty(&cons);
		/* empty, the consumer 3 into its line: the producer fills the
		 * line and starts the next after the consumer re-attached */
		while (pushed % PER_LINE != 3)
			push_ok(&prod, pushed++);
		while (popped < pushed)
			pop_is(&cons, popped++);
		KAOS_ASSERT_UEQ(popped % PER_LINE, 3);
		attach_ok(&cons, &m);
		pop_empty(&cons);
		for (uint64_t i = 0; i < PER_LINE; i++)
			push_ok(&prod, pushed++);
		attach_ok(&cons, &m);
		while (popped < pushed)
			pop_is(&cons, popped++);
		pop_empty(&cons);
		free(m.p);
	}
}

/* ---- corrupt shared state ---------------------------------------------------- */

static void
corrupt_positions_are_refused(void)
{
	const uint64_t cap = 70, h = 10, k = 30;
	struct kaos_u64ring r;
	struct mem m;
	mem_new(&m, cap);
	KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, cap));
	reach(&r, h, k);
	struct kaos__ring_ctl *ctl = r.ro.ctl;
	/* The scan runs from line 1 (head 10) through lines 2 and 3 to line 4
	 * (28..34, published to 30). A sequence word beyond its line on the
	 * way, in a full line, the head's line or the last one: */
	const uint64_t at[] = { 7, 14, 21, 28 };
	for (size_t i = 0; i < 4; i++) {
		_Atomic uint64_t *seq = &line_at(&r, at[i])->seq;
		uint64_t saved = atomic_load(seq);
		const uint64_t bad[] = { at[i] + PER_LINE + 1, at[i] + 100, UINT64_MAX };
		for (size_t b = 0; b < 3; b++) {
			AT("line %" PRIu64 " sequence %" PRIu64, at[i] / PER_LINE, bad[b]);
			atomic_store(seq, bad[b]);
			attach_corrupt(&m);
			(void)kaos_u64ring_size(&r); /* monitoring does not crash */
		}
		atomic_store(seq, saved);
	}
	/* head past the published position, or more than a ring behind it */
	const uint64_t heads[] = { k + 1, k + 3, k + 100, k + 1003, UINT64_MAX - 3 };
	for (size_t i = 0; i < 5; i++) {
		AT("head %" PRIu64 " with tail %" PRIu64, heads[i], k);
		atomic_store(&ctl->head, heads[i]);
		attach_corrupt(&m);
		(void)kaos_u64ring_size(&r);
	}
	atomic_store(&ctl->head, h);
	AT("restored");
	continue_after_attach(&m, h, k); /* the ring is whole again: 30 -> 30 + 3cap + 3 */
	/* the producer is now at 243 with the hint at 224 */
	uint64_t tail = k + 3 * cap + 3;
	KAOS_ASSERT_UEQ(tail_hint(&r), tail / HINT_EVERY * HINT_EVERY);
	AT("head more than a ring behind tail %" PRIu64, tail);
	atomic_store(&ctl->head, tail - cap - 1);
	attach_corrupt(&m);
	atomic_store(&ctl->head, 0);
	attach_corrupt(&m);
	free(m.p);
}

/* The documented contract: -KAOS_ECORRUPT for a head past the values
 * published, at every distance from them, line-aligned or not. */
static void
attach_refuses_head_past_published(void)
{
	const uint64_t cap = 70, h = 10, k = 30;
	struct kaos_u64ring r;
	struct mem m;
	mem_new(&m, cap);
	KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, cap));
	reach(&r, h, k);
	for (uint64_t d = 1; d <= 2 * cap + PER_LINE; d++) {
		AT("head %" PRIu64 " with tail %" PRIu64, k + d, k);
		atomic_store(&r.ro.ctl->head, k + d);
		attach_corrupt(&m);
	}
	free(m.p);
}

/* Positions are 64-bit and run free; a head read from a damaged or
 * foreign file can be anything, 2^63 and above too. attach refuses it:
 * it must never report success (or a positive code) without placing the
 * handle, whose line pointers would still be NULL. */
static void
attach_refuses_huge_positions(void)
{
	const uint64_t cap = 70, h = 10, k = 30;
	struct kaos_u64ring r;
	struct mem m;
	mem_new(&m, cap);
	KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, cap));
	reach(&r, h, k);
	/* multiples of 7 (the scan starts on them) whose low 32 bits are 0,
	 * 1 and 2^31, then others */
	const uint64_t heads[] = { (1ull << 63) + (5ull << 32),
				   (1ull << 63) + (3ull << 32) + 1,
				   (1ull << 63) + (1ull << 32) + (1ull << 31),
				   1ull << 63,
				   (1ull << 63) + 700,
				   UINT64_MAX / 7 * 7,
				   UINT64_MAX };
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		AT("head %#" PRIx64 " with tail %" PRIu64, heads[i], k);
		atomic_store(&r.ro.ctl->head, heads[i]);
		attach_corrupt(&m);
		/* and as a tail hint, with the head where it was */
		atomic_store(&r.ro.ctl->head, h);
		atomic_store(&r.ro.ctl->tail, heads[i]);
		AT("tail hint %#" PRIx64 " with head %" PRIu64, heads[i], h);
		attach_corrupt(&m);
		atomic_store(&r.ro.ctl->tail, 0);
	}
	AT("restored");
	continue_after_attach(&m, h, k);
	free(m.p);
}

/* A sequence word that cannot be this lap's (beyond its line, or from a
 * lap the producer cannot have reached) reads as "nothing yet". */
static void
pop_ignores_sequence_words_from_the_future(void)
{
	const uint64_t cap = 14;
	struct kaos_u64ring r;
	KAOS_ASSERT_OK(kaos_u64ring_create(&r, cap, KAOS_MEM_HEAP));
	AT("consumer mid-line at 3");
	reach(&r, 3, 3);
	_Atomic uint64_t *seq0 = &line_at(&r, 3)->seq;
	const uint64_t bad0[] = { 0 + PER_LINE + 1, 3 + 2 * cap, 3 + 2 * cap + 3, 3 + 5 * cap,
				  UINT64_MAX };
	for (size_t i = 0; i < 5; i++) {
		AT("consumer at 3, line 0 sequence %" PRIu64, bad0[i]);
		atomic_store(seq0, bad0[i]);
		pop_empty(&r);
		pop_empty(&r);
	}
	atomic_store(seq0, 3);
	AT("consumer at 3, restored");
	push_ok(&r, 3);
	push_ok(&r, 4);
	push_ok(&r, 5);
	push_ok(&r, 6);
	for (uint64_t p = 3; p < 7; p++)
		pop_is(&r, p);
	/* consumer at the start of line 1: the producer cannot have written
	 * past 7 + cap, so not line 1's next lap either */
	_Atomic uint64_t *seq1 = &line_at(&r, 7)->seq;
	const uint64_t bad1[] = { 7 + PER_LINE + 1, 7 + cap + 1, 7 + cap + PER_LINE,
				  7 + 2 * cap + 1 };
	for (size_t i = 0; i < 4; i++) {
		AT("consumer at 7, line 1 sequence %" PRIu64, bad1[i]);
		atomic_store(seq1, bad1[i]);
		pop_empty(&r);
	}
	/* a word from an earlier lap is "not yet" too */
	atomic_store(seq1, 5);
	AT("consumer at 7, line 1 sequence 5");
	pop_empty(&r);
	atomic_store(seq1, 0);
	AT("consumer at 7, restored");
	for (uint64_t p = 7; p < 7 + cap; p++)
		push_ok(&r, p);
	push_full(&r);
	for (uint64_t p = 7; p < 7 + cap; p++)
		pop_is(&r, p);
	pop_empty(&r);
	kaos_u64ring_destroy(&r);
}

/* Random sequence words, heads and tail hints: attach either refuses or
 * gives a ring whose size is within its capacity and whose pops end; no
 * crash, no read outside the ring (valgrind/ASan check that). */
static void
attach_survives_random_corruption(void)
{
	const uint64_t caps[] = { 7, 21, 70 };
	uint64_t seed = 0xBAD5EEDu + kaos_test_soak_round;
	for (size_t c = 0; c < 3; c++) {
		uint64_t cap = caps[c];
		struct mem m;
		mem_new(&m, cap);
		for (int trial = 0; trial < 300; trial++) {
			struct kaos_u64ring r;
			KAOS_ASSERT_OK(kaos_u64ring_init(&r, m.p, m.len, cap));
			uint64_t h = kaos_test_rand(&seed) % (4 * cap);
			reach(&r, h, h + kaos_test_rand(&seed) % (cap + 1));
			int n = 1 + (int)(kaos_test_rand(&seed) % 3);
			for (int i = 0; i < n; i++) {
				uint64_t x = kaos_test_rand(&seed), pick = x % 4;
				uint64_t near = h + (x >> 8) % (2 * cap) - cap / 2; /* may wrap */
				uint64_t v = pick == 0 ? x : near;
				switch ((x >> 2) % 3) {
				case 0:
					atomic_store(&line_at(&r, kaos_test_rand(&seed))->seq, v);
					break;
				case 1:
					atomic_store(&r.ro.ctl->head, v);
					break;
				default:
					atomic_store(&r.ro.ctl->tail, v);
					break;
				}
			}
			AT("capacity %" PRIu64 ", trial %d", cap, trial);
			struct kaos_u64ring a;
			int rc = kaos_u64ring_attach(&a, m.p, m.len, cap);
			if (rc != 0 && rc != -KAOS_ECORRUPT)
				KAOS_FAIL("%s: attach returned %d %s", where, rc,
					  kaos_err_name(rc));
			(void)kaos_u64ring_size(&r);
			if (rc != 0)
				continue;
			KAOS_ASSERT_LE(kaos_u64ring_size(&a), cap);
			/* each line yields at most one lap's values */
			uint64_t v, pops = 0;
			while (kaos_u64ring_pop(&a, &v) == 0)
				KAOS_ASSERT_LE(++pops, cap + PER_LINE);
		}
		free(m.p);
	}
}

/* ---- waiting ------------------------------------------------------------------ */

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void
wait_errors_and_timeouts(void)
{
	const uint64_t cap = 7;
	struct kaos_u64ring r;
	uint64_t v = SENTINEL, waits = 0;
	KAOS_ASSERT_OK(kaos_u64ring_create(&r, cap, KAOS_MEM_HEAP));
	AT("wait");

	const enum kaos_wait_kind kinds[] = { KAOS_WAIT_SPIN, KAOS_WAIT_YIELD,
					      KAOS_WAIT_BACKOFF };
	for (int i = 0; i < 3; i++) {
		struct kaos_wait how = { kinds[i], 0, 2000000, 0 };
		uint64_t t0 = kaos_now_ns();
		KAOS_ASSERT_EQ(kaos_u64ring_pop_wait(&r, &v, &how), -ETIMEDOUT);
		KAOS_ASSERT_GE(kaos_now_ns() - t0, 2000000);
		KAOS_ASSERT_UEQ(v, SENTINEL);
		waits++;
	}
	/* KAOS_WAIT_BLOCK needs blocking enabled, whether or not it would wait */
	struct kaos_wait block = { KAOS_WAIT_BLOCK, 0, 2000000, 0 };
	KAOS_ASSERT_EQ(kaos_u64ring_pop_wait(&r, &v, &block), -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_push_wait(&r, val(0), &block), -EINVAL);
	positions_are(&r, 0, 0); /* the refused push_wait pushed nothing */
	push_ok(&r, 0);
	KAOS_ASSERT_EQ(kaos_u64ring_pop_wait(&r, &v, &block), -EINVAL);
	KAOS_ASSERT_UEQ(v, SENTINEL);
	/* a bad strategy */
	struct kaos_wait bad = { (enum kaos_wait_kind)99, 0, 0, 0 };
	pop_is(&r, 0);
	KAOS_ASSERT_EQ(kaos_u64ring_pop_wait(&r, &v, &bad), -EINVAL);
	KAOS_ASSERT_EQ(kaos_u64ring_pop_wait(&r, &v, NULL), -EINVAL);
	KAOS_ASSERT_UEQ(v, SENTINEL);

	/* ready at once: no wait counted, any strategy */
	for (uint64_t p = 1; p <= cap; p++) {
		struct kaos_wait how = { kinds[p % 3], 0, 1000000, 0 };
		KAOS_ASSERT_OK(kaos_u64ring_push_wait(&r, val(p), &how));
	}
	positions_are(&r, cap + 1, 1);
	/* full: push_wait times out and leaves the ring as it was */
	uint64_t full0 = full_count(&r);
	for (int i = 0; i < 3; i++) {
		struct kaos_wait how = { kinds[i], 0, 2000000, 0 };
		uint64_t t0 = kaos_now_ns();
		KAOS_ASSERT_EQ(kaos_u64ring_push_wait(&r, GARBAGE, &how), -ETIMEDOUT);
		KAOS_ASSERT_GE(kaos_now_ns() - t0, 2000000);
		waits++;
	}
	KAOS_ASSERT_GT(full_count(&r), full0); /* each attempt refused counts */
	positions_are(&r, cap + 1, 1);
	/* blocking on, nobody to wake us: times out too */
	kaos_u64ring_set_blocking(&r, true);
	KAOS_ASSERT_EQ(kaos_u64ring_push_wait(&r, GARBAGE, &block), -ETIMEDOUT);
	waits++;
	for (uint64_t p = 1; p <= cap; p++) {
		struct kaos_wait how = { kinds[p % 3], 0, 1000000, 0 };
		v = SENTINEL;
		KAOS_ASSERT_OK(kaos_u64ring_pop_wait(&r, &v, p == cap ? &block : &how));
		KAOS_ASSERT_UEQ(v, val(p));
	}
	v = SENTINEL;
	KAOS_ASSERT_EQ(kaos_u64ring_pop_wait(&r, &v, &block), -ETIMEDOUT);
	KAOS_ASSERT_UEQ(v, SENTINEL);
	waits++;
	struct kaos_ring_stats st;
	kaos_u64ring_stats(&r, &st);
	KAOS_ASSERT_UEQ(st.waits, waits);
	KAOS_ASSERT_UEQ(st.wakes, 0);
	positions_are(&r, cap + 1, cap + 1);
	kaos_u64ring_destroy(&r);
}

struct waiter {
	struct kaos_u64ring *r;
	bool producer;
	uint64_t value; /* pushed, or popped */
	int rc;
	_Atomic int done;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct kaos_wait how = { KAOS_WAIT_BLOCK, 0, GENEROUS_NS, 0 };
	if (w->producer)
		w->rc = kaos_u64ring_push_wait(w->r, w->value, &how);
	else
		w->rc = kaos_u64ring_pop_wait(w->r, &w->value, &how);
	atomic_store(&w->done, 1);
	return NULL;
}

/* Wait until a thread sleeps on the futex of @p wp. */
static void
await_sleeper(struct kaos_waitpoint *wp)
{
	uint64_t until = kaos_now_ns() + GENEROUS_NS;
	while (!atomic_load(&wp->waiters)) {
		KAOS_ASSERT_LT(kaos_now_ns(), until);
		sleep_ms(1);
	}
}

static void
blocked_consumer_wakes_on_push(void)
{
	struct kaos_u64ring r;
	KAOS_ASSERT_OK(kaos_u64ring_create(&r, 7, KAOS_MEM_HEAP));
	kaos_u64ring_set_blocking(&r, true);
	AT("blocked consumer");
	for (uint64_t p = 0; p < 10; p++) { /* across a lap */
		struct waiter w = { &r, false, SENTINEL, 1, 0 };
		pthread_t t;
		KAOS_ASSERT_EQ(pthread_create(&t, NULL, waiter_main, &w), 0);
		await_sleeper(&r.ro.ctl->data);
		KAOS_ASSERT(!atomic_load(&w.done));
		push_ok(&r, p);
		KAOS_ASSERT_EQ(pthread_join(t, NULL), 0);
		KAOS_ASSERT_EQ(w.rc, 0);
		KAOS_ASSERT_UEQ(w.value, val(p));
		positions_are(&r, p + 1, p + 1);
	}
	struct kaos_ring_stats st;
	kaos_u64ring_stats(&r, &st);
	KAOS_ASSERT_UEQ(st.waits, 10);
	KAOS_ASSERT_GE(st.wakes, 10);
	kaos_u64ring_destroy(&r);
}

static void
blocked_producer_wakes_on_pop(void)
{
	const uint64_t cap = 7;
	struct kaos_u64ring r;
	KAOS_ASSERT_OK(kaos_u64ring_create(&r, cap, KAOS_MEM_HEAP));
	kaos_u64ring_set_blocking(&r, true);
	AT("blocked producer");
	for (uint64_t p = 0; p < cap; p++)
		push_ok(&r, p);
	for (uint64_t p = cap; p < 3 * cap; p++) { /* full each time */
		struct waiter w = { &r, true, val(p), 1, 0 };
		pthread_t t;
		KAOS_ASSERT_EQ(pthread_create(&t, NULL, waiter_main, &w), 0);
		await_sleeper(&r.ro.ctl->space);
		KAOS_ASSERT(!atomic_load(&w.done));
		positions_are(&r, p, p - cap);
		pop_is(&r, p - cap);
		KAOS_ASSERT_EQ(pthread_join(t, NULL), 0);
		KAOS_ASSERT_EQ(w.rc, 0);
		positions_are(&r, p + 1, p + 1 - cap);
	}
	for (uint64_t p = 2 * cap; p < 3 * cap; p++)
		pop_is(&r, p);
	pop_empty(&r);
	struct kaos_ring_stats st;
	kaos_u64ring_stats(&r, &st);
	KAOS_ASSERT_UEQ(st.waits, 2 * cap);
	KAOS_ASSERT_GE(st.wakes, 2 * cap);
	kaos_u64ring_destroy(&r);
}

/* ---- two threads -------------------------------------------------------------- */

struct duo {
	struct kaos_u64ring prod, cons; /* a handle each, as two processes would */
	struct kaos_u64ring mon; /* and a third for a monitor (kaos-stat) */
	uint64_t n;
	bool wait; /* the *_wait calls with KAOS_WAIT_BLOCK, else push/pop spins */
	_Atomic uint64_t produced;
	_Atomic int stop;
	uint64_t reads;
};

/* A monitor on a third thread while both sides move: what stats() and
 * size() say is a possible snapshot (consumed never goes back, published
 * never below it nor more than a ring ahead). */
static void *
duo_monitor(void *arg)
{
	struct duo *d = arg;
	uint64_t cap = kaos_u64ring_capacity(&d->mon), last = 0;
	while (!atomic_load(&d->stop)) {
		struct kaos_ring_stats st;
		kaos_u64ring_stats(&d->mon, &st);
		if (st.consumed < last || st.published < st.consumed ||
		    st.published - st.consumed > cap)
			KAOS_FAIL("%s: monitor read published %" PRIu64 " consumed %" PRIu64
				  " after consumed %" PRIu64,
				  where, st.published, st.consumed, last);
		last = st.consumed;
		KAOS_ASSERT_LE(kaos_u64ring_size(&d->mon), cap);
		d->reads++;
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Spins on a refused call; fails the test if the other side stops moving. */
struct spinner {
	uint64_t fails, since;
	uint64_t last_seen;
};

static void
spin_once(struct spinner *s, _Atomic uint64_t *progress, const char *side, uint64_t at)
{
	if (++s->fails % 64)
		return;
	sched_yield(); /* two cores, shared: let the other side run */
	if (s->fails % 1024)
		return;
	uint64_t now = kaos_now_ns(), seen = atomic_load_explicit(progress, memory_order_relaxed);
	if (seen != s->last_seen || !s->since) {
		s->last_seen = seen;
		s->since = now;
	} else if (now - s->since > GENEROUS_NS / 2) {
		KAOS_FAIL("%s: %s stuck at %" PRIu64 " for 10 s (other side at %" PRIu64 ")",
			  where, side, at, seen);
	}
}

static _Atomic uint64_t consumed_progress;

static void *
duo_producer(void *arg)
{
	struct duo *d = arg;
	struct kaos_wait how = { KAOS_WAIT_BLOCK, 0, GENEROUS_NS, 0 };
	struct spinner s = { 0, 0, 0 };
	for (uint64_t p = 0; p < d->n; p++) {
		if (d->wait) {
			int rc = kaos_u64ring_push_wait(&d->prod, val(p), &how);
			if (rc != 0)
				KAOS_FAIL("%s: push_wait of %" PRIu64 " returned %d %s", where, p,
					  rc, kaos_err_name(rc));
		} else {
			int rc;
			while ((rc = kaos_u64ring_push(&d->prod, val(p))) != 0) {
				if (rc != -KAOS_EFULL)
					KAOS_FAIL("%s: push returned %d", where, rc);
				spin_once(&s, &consumed_progress, "producer", p);
			}
		}
		if ((p & 255) == 0)
			atomic_store_explicit(&d->produced, p, memory_order_relaxed);
	}
	return NULL;
}

static void
duo_run(uint64_t cap, uint64_t n, bool wait)
{
	struct duo d;
	struct mem m;
	memset(&d, 0, sizeof(d));
	mem_new(&m, cap);
	AT("two threads, capacity %" PRIu64 ", %" PRIu64 " values, %s", cap, n,
	   wait ? "push_wait/pop_wait blocking" : "push/pop spinning");
	KAOS_ASSERT_OK(kaos_u64ring_init(&d.prod, m.p, m.len, cap));
	attach_ok(&d.cons, &m);
	attach_ok(&d.mon, &m);
	kaos_u64ring_set_blocking(&d.prod, wait);
	kaos_u64ring_set_blocking(&d.cons, wait);
	d.n = n;
	d.wait = wait;
	atomic_store(&consumed_progress, 0);
	uint64_t t0 = kaos_now_ns();
	pthread_t t, mt;
	KAOS_ASSERT_EQ(pthread_create(&mt, NULL, duo_monitor, &d), 0);
	KAOS_ASSERT_EQ(pthread_create(&t, NULL, duo_producer, &d), 0);
	struct kaos_wait how = { KAOS_WAIT_BLOCK, 0, GENEROUS_NS, 0 };
	struct spinner s = { 0, 0, 0 };
	for (uint64_t p = 0; p < n; p++) {
		uint64_t v = SENTINEL;
		int rc;
		if (wait) {
			rc = kaos_u64ring_pop_wait(&d.cons, &v, &how);
		} else {
			while ((rc = kaos_u64ring_pop(&d.cons, &v)) == -KAOS_EEMPTY)
				spin_once(&s, &d.produced, "consumer", p);
		}
		if (rc != 0)
			KAOS_FAIL("%s: pop of %" PRIu64 " returned %d %s", where, p, rc,
				  kaos_err_name(rc));
		if (v != val(p))
			KAOS_FAIL("%s: pop of %" PRIu64 " got %#" PRIx64 ", want %#" PRIx64, where,
				  p, v, val(p));
		if ((p & 255) == 0)
			atomic_store_explicit(&consumed_progress, p, memory_order_relaxed);
		if ((p & 4095) == 0) { /* a monitor's view while both sides move */
			struct kaos_ring_stats st;
			kaos_u64ring_stats(&d.cons, &st);
			KAOS_ASSERT_UEQ(st.consumed, p + 1);
			KAOS_ASSERT_LE(st.published - st.consumed, cap);
		}
	}
	KAOS_ASSERT_EQ(pthread_join(t, NULL), 0);
	atomic_store(&d.stop, 1);
	KAOS_ASSERT_EQ(pthread_join(mt, NULL), 0);
	pop_empty(&d.cons);
	positions_are(&d.cons, n, n);
	printf("  capacity %" PRIu64 ", %s: %" PRIu64 " values in %.2f s, %" PRIu64
	       " monitor reads\n",
	       cap, wait ? "blocking" : "spinning", n, (double)(kaos_now_ns() - t0) / 1e9,
	       d.reads);
	free(m.p);
}

/* A monitor reading as fast as it can while a small ring laps: a reader's
 * scan races with both sides, and what it reports must still be a
 * possible snapshot, consumed never going back (a counter a tool such as
 * kaos-stat graphs). */
struct racer {
	struct kaos_u64ring h;
	_Atomic int stop;
	_Atomic uint64_t count; /* pushed or popped */
};

static void *
race_producer(void *arg)
{
	struct racer *r = arg;
	uint64_t p = 0, fails = 0;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		if (kaos_u64ring_push(&r->h, val(p)) == 0) {
			atomic_store_explicit(&r->count, ++p, memory_order_relaxed);
		} else if (++fails % 64 == 0) {
			sched_yield();
		}
	}
	return NULL;
}

static void *
race_consumer(void *arg)
{
	struct racer *r = arg;
	uint64_t p = 0, fails = 0, v;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		if (kaos_u64ring_pop(&r->h, &v) == 0) {
			if (v != val(p))
				KAOS_FAIL("%s: pop of %" PRIu64 " got %#" PRIx64, where, p, v);
			atomic_store_explicit(&r->count, ++p, memory_order_relaxed);
		} else if (++fails % 64 == 0) {
			sched_yield();
		}
	}
	return NULL;
}

static void
stats_while_both_sides_move(void)
{
	const uint64_t caps[] = { 7, 14 };
	for (size_t c = 0; c < 2; c++) {
		uint64_t cap = caps[c];
		struct racer prod, cons;
		struct kaos_u64ring mon;
		struct mem m;
		memset(&prod, 0, sizeof(prod));
		memset(&cons, 0, sizeof(cons));
		mem_new(&m, cap);
		AT("monitor of capacity %" PRIu64, cap);
		KAOS_ASSERT_OK(kaos_u64ring_init(&prod.h, m.p, m.len, cap));
		attach_ok(&cons.h, &m);
		attach_ok(&mon, &m);
		pthread_t tp, tc;
		KAOS_ASSERT_EQ(pthread_create(&tp, NULL, race_producer, &prod), 0);
		KAOS_ASSERT_EQ(pthread_create(&tc, NULL, race_consumer, &cons), 0);
		uint64_t t0 = kaos_now_ns(), reads = 0, last = 0;
		uint64_t ms = kaos_test_scaled(1000, 200);
		while (kaos_now_ns() - t0 < ms * 1000000) {
			struct kaos_ring_stats st;
			kaos_u64ring_stats(&mon, &st);
			reads++;
			if (st.consumed < last || st.published < st.consumed ||
			    st.published - st.consumed > cap)
				KAOS_FAIL("%s: read %" PRIu64 ": published %" PRIu64
					  " consumed %" PRIu64 " after consumed %" PRIu64,
					  where, reads, st.published, st.consumed, last);
			last = st.consumed;
		}
		atomic_store(&prod.stop, 1);
		atomic_store(&cons.stop, 1);
		KAOS_ASSERT_EQ(pthread_join(tp, NULL), 0);
		KAOS_ASSERT_EQ(pthread_join(tc, NULL), 0);
		positions_are(&mon, atomic_load(&prod.count), atomic_load(&cons.count));
		printf("  capacity %" PRIu64 ": %" PRIu64 " reads while %" PRIu64
		       " values went through\n",
		       cap, reads, atomic_load(&cons.count));
		free(m.p);
	}
}

static void
two_threads_spinning(void)
{
	uint64_t n = kaos_test_scaled(4000000, 400000);
	duo_run(7, n / 4, false);
	duo_run(21, n / 4, false);
	duo_run(7 * 64, n / 4, false);
	duo_run(7 * 4096, n / 4, false);
}

static void
two_threads_blocking(void)
{
	uint64_t n = kaos_test_scaled(1000000, 100000);
	duo_run(7, n / 4, true);
	duo_run(21, n / 4, true);
	duo_run(7 * 64, n / 2, true);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(memsize_rejects_bad_arguments),
		KAOS_TEST(memsize_counts_lines),
		KAOS_TEST(init_and_attach_reject_bad_arguments),
		KAOS_TEST(create_and_destroy),
		KAOS_TEST(empty_and_single_values),
		KAOS_TEST(fill_to_capacity_and_drain),
		KAOS_TEST(producer_may_fill_the_consumers_line),
		KAOS_TEST(many_laps_in_varying_chunks),
		KAOS_TEST(size_and_stats_track_every_position),
		KAOS_TEST(attach_finds_the_producer),
		KAOS_TEST(attach_reuses_an_unpublished_write),
		KAOS_TEST(reattach_at_every_position),
		KAOS_TEST(corrupt_positions_are_refused),
		KAOS_TEST(attach_refuses_head_past_published),
		KAOS_TEST(attach_refuses_huge_positions),
		KAOS_TEST(pop_ignores_sequence_words_from_the_future),
		KAOS_TEST(attach_survives_random_corruption),
		KAOS_TEST(wait_errors_and_timeouts),
		KAOS_TEST(blocked_consumer_wakes_on_push),
		KAOS_TEST(blocked_producer_wakes_on_pop),
		KAOS_TEST(stats_while_both_sides_move),
		KAOS_TEST(two_threads_spinning),
		KAOS_TEST(two_threads_blocking),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
