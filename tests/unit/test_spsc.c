/* SPDX-License-Identifier: MIT */
/* Single-threaded behaviour of the SPSC ring: arguments, edges, wrap. The
 * two-thread checks are in tests/stress/stress_spsc.c. */
#include <errno.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

static const uint64_t capacities[] = { 2, 64, 4096, 1 << 20 };
#define N_CAPACITIES (sizeof(capacities) / sizeof(capacities[0]))

static void
memsize_rejects_bad_arguments(void)
{
	size_t sz;
	const uint64_t bad_caps[] = { 0, 1, 3, 6, 100, (1ull << 32) + 1,
				      1ull << 33, UINT64_MAX };
	for (size_t i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++)
		KAOS_ASSERT_EQ(kaos_spsc_memsize(bad_caps[i], 8, &sz), -EINVAL);
	const size_t bad_slots[] = { 0, 1, 4, 12, 20, 65 };
	for (size_t i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++)
		KAOS_ASSERT_EQ(kaos_spsc_memsize(64, bad_slots[i], &sz), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_memsize(64, 8, NULL), -EINVAL);
	/* size overflow: capacity * slot_size beyond SIZE_MAX */
	KAOS_ASSERT_EQ(kaos_spsc_memsize(1ull << 32, SIZE_MAX / 8 * 8, &sz), -EOVERFLOW);
	KAOS_ASSERT_EQ(kaos_spsc_memsize(1ull << 32, (size_t)1 << 32, &sz), -EOVERFLOW);
}

static void
memsize_accepts_the_whole_range(void)
{
	size_t sz;
	KAOS_ASSERT_OK(kaos_spsc_memsize(2, 8, &sz));
	KAOS_ASSERT_UEQ(sz, sizeof(struct kaos__ring_ctl) + KAOS_CACHELINE);
	KAOS_ASSERT_OK(kaos_spsc_memsize(1ull << 32, 8, &sz));
	KAOS_ASSERT_UEQ(sz, sizeof(struct kaos__ring_ctl) + (8ull << 32));
	KAOS_ASSERT_OK(kaos_spsc_memsize(1024, 24, &sz));
	KAOS_ASSERT_EQ(sz % KAOS_CACHELINE, 0);
	KAOS_ASSERT_GE(sz, sizeof(struct kaos__ring_ctl) + 1024 * 24);
}

static void
create_and_init_reject_bad_arguments(void)
{
	struct kaos_spsc r;
	KAOS_ASSERT_EQ(kaos_spsc_create(&r, 3, 8, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_create(&r, 0, 8, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_create(&r, 64, 0, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_create(&r, 64, 12, KAOS_MEM_MAPPED), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_create(&r, 1ull << 33, 8, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_create(NULL, 64, 8, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_create(&r, 64, 8, (enum kaos_mem)7), -EINVAL);

	size_t need;
	KAOS_ASSERT_OK(kaos_spsc_memsize(64, 8, &need));
	unsigned char *mem = aligned_alloc(KAOS_CACHELINE, need + KAOS_CACHELINE);
	KAOS_ASSERT(mem);
	KAOS_ASSERT_EQ(kaos_spsc_init(&r, mem, need - 1, 64, 8), -ENOBUFS);
	KAOS_ASSERT_EQ(kaos_spsc_init(&r, mem + 8, need, 64, 8), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_init(&r, NULL, need, 64, 8), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_init(NULL, mem, need, 64, 8), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_init(&r, mem, need, 63, 8), -EINVAL);
	KAOS_ASSERT_OK(kaos_spsc_init(&r, mem, need, 64, 8));
	KAOS_ASSERT_UEQ(kaos_spsc_capacity(&r), 64);
	free(mem);
}

static void
request_counts_outside_the_ring(void)
{
	struct kaos_spsc r;
	void *w;
	const void *rd;
	KAOS_ASSERT_OK(kaos_spsc_create(&r, 64, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spsc_claim(&r, 0, &w), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_claim(&r, 65, &w), -KAOS_ETOOBIG);
	KAOS_ASSERT_EQ(kaos_spsc_claim(&r, UINT64_MAX, &w), -KAOS_ETOOBIG);
	KAOS_ASSERT_EQ(kaos_spsc_peek(&r, 0, &rd), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_peek(&r, 65, &rd), -KAOS_ETOOBIG);
	/* exactly the capacity is allowed and fills the ring */
	KAOS_ASSERT_EQ(kaos_spsc_claim(&r, 64, &w), 64);
	KAOS_ASSERT_EQ(kaos_spsc_publish(&r, 65), -EINVAL);
	KAOS_ASSERT_OK(kaos_spsc_publish(&r, 64));
	KAOS_ASSERT_EQ(kaos_spsc_publish(&r, 1), -EINVAL); /* nothing claimed */
	KAOS_ASSERT_EQ(kaos_spsc_claim(&r, 1, &w), 0);       /* full */
	KAOS_ASSERT_EQ(kaos_spsc_peek(&r, 64, &rd), 64);
	KAOS_ASSERT_EQ(kaos_spsc_release(&r, 65), -EINVAL);
	KAOS_ASSERT_OK(kaos_spsc_release(&r, 64));
	KAOS_ASSERT_EQ(kaos_spsc_release(&r, 1), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_peek(&r, 1, &rd), 0); /* empty */
	kaos_spsc_destroy(&r);
}

/* Fill to the brim, check full, then drain and check order and empty. */
static void
full_and_empty_edges(void)
{
	for (size_t c = 0; c < N_CAPACITIES; c++) {
		struct kaos_spsc8 q;
		uint64_t cap = capacities[c], v = 0;
		KAOS_ASSERT_OK(kaos_spsc8_create(&q, cap, KAOS_MEM_HEAP));
		KAOS_ASSERT_EQ(kaos_spsc8_pop(&q, &v), -KAOS_EEMPTY);
		KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), 0);
		for (uint64_t i = 0; i < cap; i++) {
			KAOS_ASSERT_OK(kaos_spsc8_push(&q, &i));
		}
		KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), cap);
		KAOS_ASSERT_EQ(kaos_spsc8_push(&q, &v), -KAOS_EFULL);
		KAOS_ASSERT_EQ(kaos_spsc8_push(&q, &v), -KAOS_EFULL); /* stays full */
		KAOS_ASSERT_OK(kaos_spsc8_pop(&q, &v));
		KAOS_ASSERT_UEQ(v, 0);
		uint64_t x = cap;
		KAOS_ASSERT_OK(kaos_spsc8_push(&q, &x)); /* one slot came back */
		KAOS_ASSERT_EQ(kaos_spsc8_push(&q, &x), -KAOS_EFULL);
		for (uint64_t i = 1; i <= cap; i++) {
			KAOS_ASSERT_OK(kaos_spsc8_pop(&q, &v));
			KAOS_ASSERT_UEQ(v, i);
		}
		KAOS_ASSERT_EQ(kaos_spsc8_pop(&q, &v), -KAOS_EEMPTY);
		KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), 0);
		kaos_spsc8_destroy(&q);
	}
}

/* Claims and peeks stop at the end of the slot array and continue at 0. */
static void
claim_and_peek_across_the_wrap(void)
{
	for (size_t c = 0; c < N_CAPACITIES; c++) {
		uint64_t cap = capacities[c];
		struct kaos_spsc8 q;
		uint64_t *w;
		const uint64_t *rd;
		KAOS_ASSERT_OK(kaos_spsc8_create(&q, cap, KAOS_MEM_HEAP));
		/* move both positions to cap - 1 */
		KAOS_ASSERT_EQ(kaos_spsc8_claim(&q, cap - 1, &w), (int64_t)(cap - 1));
		KAOS_ASSERT_OK(kaos_spsc8_publish(&q, cap - 1));
		KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, cap, &rd), (int64_t)(cap - 1));
		KAOS_ASSERT_OK(kaos_spsc8_release(&q, cap - 1));

		/* a claim of 2 gets the last slot only, then slot 0 onwards */
		KAOS_ASSERT_EQ(kaos_spsc8_claim(&q, 2, &w), 1);
		KAOS_ASSERT(w == (uint64_t *)q.ring.ro.array.slots + (cap - 1));
		w[0] = 1000;
		KAOS_ASSERT_OK(kaos_spsc8_publish(&q, 1));
		/* the peek stops at the end of the array too */
		KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 2, &rd), 1);
		KAOS_ASSERT_UEQ(rd[0], 1000);
		KAOS_ASSERT_OK(kaos_spsc8_release(&q, 1));

		KAOS_ASSERT_EQ(kaos_spsc8_claim(&q, 2, &w), 2);
		KAOS_ASSERT(w == (uint64_t *)q.ring.ro.array.slots);
		w[0] = 1001;
		w[1] = 1002;
		KAOS_ASSERT_OK(kaos_spsc8_publish(&q, 2));
		KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 2, &rd), 2);
		KAOS_ASSERT_UEQ(rd[0], 1001);
		KAOS_ASSERT_UEQ(rd[1], 1002);
		KAOS_ASSERT_OK(kaos_spsc8_release(&q, 2));
		kaos_spsc8_destroy(&q);
	}
}

/* Many laps with random batch sizes on both sides, single thread. */
static void
wraparound_random_batches(void)
{
	uint64_t seed = 0x1234;
	for (size_t c = 0; c < N_CAPACITIES; c++) {
		uint64_t cap = capacities[c];
		uint64_t total = cap * 5 + 7, written = 0, read = 0;
		struct kaos_spsc8 q;
		KAOS_ASSERT_OK(kaos_spsc8_create(&q, cap, KAOS_MEM_HEAP));
		while (read < total) {
			uint64_t *w;
			const uint64_t *rd;
			uint64_t want = 1 + kaos_test_rand(&seed) % cap;
			int64_t got = kaos_spsc8_claim(&q, want, &w);
			KAOS_ASSERT_GE(got, 0);
			uint64_t pub = got ? 1 + kaos_test_rand(&seed) % (uint64_t)got : 0;
			if (pub > total - written)
				pub = total - written;
			for (uint64_t i = 0; i < pub; i++)
				w[i] = written + i;
			if (pub) {
				KAOS_ASSERT_OK(kaos_spsc8_publish(&q, pub));
			}
			written += pub;
			KAOS_ASSERT_LE(kaos_spsc_size(&q.ring), cap);

			want = 1 + kaos_test_rand(&seed) % cap;
			got = kaos_spsc8_peek(&q, want, &rd);
			KAOS_ASSERT_GE(got, 0);
			uint64_t rel = got ? 1 + kaos_test_rand(&seed) % (uint64_t)got : 0;
			for (uint64_t i = 0; i < rel; i++)
				KAOS_ASSERT_UEQ(rd[i], read + i);
			if (rel) {
				KAOS_ASSERT_OK(kaos_spsc8_release(&q, rel));
			}
			read += rel;
		}
		KAOS_ASSERT_UEQ(written, total);
		kaos_spsc8_destroy(&q);
	}
}

/* Every byte of wide slots survives, for slot sizes that are not powers of
 * two as well. */
static void
slot_sizes_keep_every_byte(void)
{
	const size_t sizes[] = { 8, 16, 24, 32, 40, 64, 128, 1024 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t sz = sizes[s];
		struct kaos_spsc r;
		unsigned char in[1024], out[1024];
		KAOS_ASSERT_OK(kaos_spsc_create(&r, 16, sz, KAOS_MEM_HEAP));
		KAOS_ASSERT_UEQ(kaos_spsc_slot_size(&r), sz);
		for (int round = 0; round < 40; round++) {
			for (size_t i = 0; i < sz; i++)
				in[i] = (unsigned char)(round * 31 + i);
			KAOS_ASSERT_OK(kaos_spsc_push(&r, in));
			memset(out, 0, sizeof(out));
			KAOS_ASSERT_OK(kaos_spsc_pop(&r, out));
			KAOS_ASSERT(memcmp(in, out, sz) == 0);
		}
		kaos_spsc_destroy(&r);
	}
}

struct point3 {
	double x, y, z;
};
KAOS_SPSC_DEFINE(point_ring, struct point3);

static void
typed_rings(void)
{
	struct point_ring pr;
	struct point3 p = { 1.5, -2.0, 3.25 }, got;
	KAOS_ASSERT_OK(point_ring_create(&pr, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_UEQ(kaos_spsc_slot_size(point_ring_ring(&pr)), sizeof(struct point3));
	KAOS_ASSERT_UEQ(point_ring_capacity(&pr), 8);
	KAOS_ASSERT_OK(point_ring_push(&pr, &p));
	KAOS_ASSERT_OK(point_ring_pop(&pr, &got));
	KAOS_ASSERT(got.x == 1.5 && got.y == -2.0 && got.z == 3.25);
	point_ring_destroy(&pr);

	struct kaos_spsc64 q64;
	struct kaos_slot64 s64 = { { 1, 2, 3, 4, 5, 6, 7, 8 } }, o64;
	KAOS_ASSERT_OK(kaos_spsc64_create(&q64, 4, KAOS_MEM_MAPPED));
	KAOS_ASSERT_EQ(sizeof(struct kaos_slot64), 64);
	KAOS_ASSERT_OK(kaos_spsc64_push(&q64, &s64));
	KAOS_ASSERT_OK(kaos_spsc64_pop(&q64, &o64));
	KAOS_ASSERT(memcmp(&s64, &o64, 64) == 0);
	kaos_spsc64_destroy(&q64);

	KAOS_ASSERT_EQ(sizeof(struct kaos_slot16), 16);
	KAOS_ASSERT_EQ(sizeof(struct kaos_slot32), 32);
}

static void
exchange_some(struct kaos_spsc *r)
{
	uint64_t cap = kaos_spsc_capacity(r);
	for (uint64_t i = 0; i < 3 * cap; i++) {
		KAOS_ASSERT_OK(kaos_spsc_push(r, &i));
		uint64_t v = ~0ull;
		KAOS_ASSERT_OK(kaos_spsc_pop(r, &v));
		KAOS_ASSERT_UEQ(v, i);
	}
}

static void
memory_modes(void)
{
	struct kaos_spsc r;

	KAOS_ASSERT_OK(kaos_spsc_create(&r, 1024, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spsc_pages(&r), KAOS_PAGES_HEAP);
	KAOS_ASSERT_EQ((uintptr_t)r.ro.array.slots % KAOS_CACHELINE, 0);
	exchange_some(&r);
	kaos_spsc_destroy(&r);

	/* 8 MiB: big enough to be offered huge pages */
	KAOS_ASSERT_OK(kaos_spsc_create(&r, 1 << 20, 8, KAOS_MEM_MAPPED));
	KAOS_ASSERT(kaos_spsc_pages(&r) != KAOS_PAGES_HEAP);
	printf("  mapped ring: %s\n", kaos_pages_name(kaos_spsc_pages(&r)));
	exchange_some(&r);
	kaos_spsc_destroy(&r);

	/* caller memory: on the stack, and left alone by destroy */
	alignas(KAOS_CACHELINE) unsigned char mem[sizeof(struct kaos__ring_ctl) + 64 * 8];
	size_t need;
	KAOS_ASSERT_OK(kaos_spsc_memsize(64, 8, &need));
	KAOS_ASSERT_UEQ(need, sizeof(mem));
	memset(mem, 0x5a, sizeof(mem)); /* init must not rely on zeroed memory */
	KAOS_ASSERT_OK(kaos_spsc_init(&r, mem, sizeof(mem), 64, 8));
	KAOS_ASSERT_EQ(kaos_spsc_pages(&r), KAOS_PAGES_HEAP);
	KAOS_ASSERT_UEQ(kaos_spsc_size(&r), 0);
	exchange_some(&r);
	kaos_spsc_destroy(&r); /* must not free the stack buffer */
	KAOS_ASSERT(r.ro.array.slots == NULL);
}

struct poll_state {
	uint64_t next;
	uint64_t seen;
	uint64_t ends;
	uint64_t stop_at;
};

static int
poll_handler(void *slot, uint64_t seq, bool end_of_batch, void *ctx)
{
	struct poll_state *st = ctx;
	KAOS_ASSERT_UEQ(seq, st->next);
	KAOS_ASSERT_UEQ(*(uint64_t *)slot, seq * 3);
	st->next++;
	st->seen++;
	st->ends += end_of_batch;
	return seq == st->stop_at;
}

static void
poll_calls_handler_in_order(void)
{
	struct kaos_spsc r;
	struct poll_state st = { 0, 0, 0, UINT64_MAX };
	KAOS_ASSERT_OK(kaos_spsc_create(&r, 16, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_UEQ(kaos_spsc_poll(&r, poll_handler, &st, UINT64_MAX), 0);
	for (uint64_t i = 0; i < 10; i++) {
		uint64_t v = i * 3;
		KAOS_ASSERT_OK(kaos_spsc_push(&r, &v));
	}
	/* limit respected, end flag on the last of the batch */
	KAOS_ASSERT_UEQ(kaos_spsc_poll(&r, poll_handler, &st, 4), 4);
	KAOS_ASSERT_UEQ(st.ends, 1);
	/* handler stops early: events up to and including seq 6 are released */
	st.stop_at = 6;
	KAOS_ASSERT_UEQ(kaos_spsc_poll(&r, poll_handler, &st, UINT64_MAX), 3);
	KAOS_ASSERT_UEQ(kaos_spsc_size(&r), 3);
	st.stop_at = UINT64_MAX;
	/* across the wrap (16 slots; positions 7..) */
	for (uint64_t i = 10; i < 23; i++) {
		uint64_t v = i * 3;
		KAOS_ASSERT_OK(kaos_spsc_push(&r, &v));
	}
	KAOS_ASSERT_UEQ(kaos_spsc_poll(&r, poll_handler, &st, UINT64_MAX), 16);
	KAOS_ASSERT_UEQ(st.seen, 23);
	KAOS_ASSERT_UEQ(kaos_spsc_size(&r), 0);
	kaos_spsc_destroy(&r);
}

static void
deferred_push_needs_flush(void)
{
	struct kaos_spsc8 q;
	uint64_t v;
	KAOS_ASSERT_OK(kaos_spsc8_create(&q, 256, KAOS_MEM_HEAP));
	for (uint64_t i = 0; i < 5; i++)
		KAOS_ASSERT_OK(kaos_spsc8_push_deferred(&q, &i));
	KAOS_ASSERT_EQ(kaos_spsc8_pop(&q, &v), -KAOS_EEMPTY); /* not yet visible */
	kaos_spsc8_flush(&q);
	for (uint64_t i = 0; i < 5; i++) {
		KAOS_ASSERT_OK(kaos_spsc8_pop(&q, &v));
		KAOS_ASSERT_UEQ(v, i);
	}
	/* every KAOS_SPSC_PUBLISH_EVERY-th position publishes by itself */
	uint64_t i = 5;
	for (; i < KAOS_SPSC_PUBLISH_EVERY; i++)
		KAOS_ASSERT_OK(kaos_spsc8_push_deferred(&q, &i));
	KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), KAOS_SPSC_PUBLISH_EVERY - 5);
	for (uint64_t j = 5; j < KAOS_SPSC_PUBLISH_EVERY; j++) {
		KAOS_ASSERT_OK(kaos_spsc8_pop(&q, &v));
		KAOS_ASSERT_UEQ(v, j);
	}
	/* a push that finds the ring full publishes what is pending, so a
	 * consumer can drain and free space */
	for (uint64_t n = 0; n < 256; n++)
		KAOS_ASSERT_OK(kaos_spsc8_push_deferred(&q, &n));
	KAOS_ASSERT_EQ(kaos_spsc8_push_deferred(&q, &v), -KAOS_EFULL);
	KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), 256);
	for (uint64_t n = 0; n < 256; n++) {
		KAOS_ASSERT_OK(kaos_spsc8_pop(&q, &v));
		KAOS_ASSERT_UEQ(v, n);
	}
	kaos_spsc8_destroy(&q);
}

static void
partial_publish_and_release(void)
{
	struct kaos_spsc8 q;
	uint64_t *w;
	const uint64_t *rd;
	KAOS_ASSERT_OK(kaos_spsc8_create(&q, 64, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spsc8_claim(&q, 10, &w), 10);
	for (int i = 0; i < 10; i++)
		w[i] = (uint64_t)i;
	KAOS_ASSERT_OK(kaos_spsc8_publish(&q, 4));
	KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), 4);
	KAOS_ASSERT_OK(kaos_spsc8_publish(&q, 6)); /* rest of the same claim */
	KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 64, &rd), 10);
	KAOS_ASSERT_OK(kaos_spsc8_release(&q, 3));
	KAOS_ASSERT_OK(kaos_spsc8_release(&q, 2));
	KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 64, &rd), 5);
	KAOS_ASSERT_UEQ(rd[0], 5);
	KAOS_ASSERT_OK(kaos_spsc8_release(&q, 5));
	kaos_spsc8_destroy(&q);
}

/* A pop or push in the middle of a peek or claim voids it: the pending
 * release/publish is refused instead of moving a position past the data. */
static void
mixing_apis_voids_pending_claims_and_peeks(void)
{
	struct kaos_spsc8 q;
	uint64_t *w, v = 0;
	const uint64_t *rd;
	KAOS_ASSERT_OK(kaos_spsc8_create(&q, 4, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spsc8_claim(&q, 4, &w), 4);
	KAOS_ASSERT_OK(kaos_spsc8_push(&q, &v));
	KAOS_ASSERT_EQ(kaos_spsc8_publish(&q, 4), -EINVAL);
	KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), 1);
	for (uint64_t i = 1; i < 4; i++)
		KAOS_ASSERT_OK(kaos_spsc8_push(&q, &i));
	KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 4, &rd), 4);
	KAOS_ASSERT_OK(kaos_spsc8_pop(&q, &v));
	KAOS_ASSERT_UEQ(v, 0);
	KAOS_ASSERT_EQ(kaos_spsc8_release(&q, 4), -EINVAL);
	KAOS_ASSERT_UEQ(kaos_spsc_size(&q.ring), 3);
	KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 4, &rd), 3);
	KAOS_ASSERT_UEQ(rd[0], 1);
	KAOS_ASSERT_OK(kaos_spsc8_release(&q, 3));
	KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 1, &rd), 0);
	kaos_spsc8_destroy(&q);
}

/* kaos_spsc_write: partial when short of room, across the wrap, on both
 * sides of the streaming threshold, voiding a pending claim; every value
 * read back in order. */
static void
write_copies_in_bulk(void)
{
	enum { CAP = 4096, BIG = KAOS_SPSC_STREAM_MIN / 8 * 3 }; /* 8-byte slots */
	static uint64_t src[CAP];
	struct kaos_spsc8 q;
	const uint64_t *rd;
	uint64_t *w;
	struct kaos_ring_stats st;
	KAOS_ASSERT_OK(kaos_spsc8_create(&q, CAP, KAOS_MEM_HEAP));
	struct kaos_spsc *r = kaos_spsc8_ring(&q);
	KAOS_ASSERT_EQ(kaos_spsc_write(r, src, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_write(NULL, src, 1), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spsc_write(r, NULL, 1), -EINVAL);

	uint64_t next_w = 0, next_r = 0;
	/* sizes: small (plain stores), big (streaming), odd, and one left
	 * short of room; the positions walk across the wrap many times */
	static const uint64_t sizes[] = { 1, 7, BIG, 3, BIG + 5, 100, CAP - 1, 2 * CAP };
	for (int lap = 0; lap < 40; lap++) {
		uint64_t n = sizes[(size_t)lap % (sizeof(sizes) / sizeof(sizes[0]))];
		if (n > CAP)
			n = CAP;
		for (uint64_t i = 0; i < n; i++)
			src[i] = next_w + i;
		uint64_t room = CAP - kaos_spsc_size(r);
		int64_t got = kaos_spsc_write(r, src, n);
		KAOS_ASSERT_EQ(got, (int64_t)(n < room ? n : room));
		next_w += (uint64_t)got;
		/* read back all but a few, so the next write wraps */
		uint64_t keep = (uint64_t)lap % 5;
		while (kaos_spsc_size(r) > keep) {
			int64_t k = kaos_spsc8_peek(&q, CAP, &rd);
			KAOS_ASSERT_GT(k, 0);
			if ((uint64_t)k > kaos_spsc_size(r) - keep)
				k = (int64_t)(kaos_spsc_size(r) - keep);
			for (int64_t i = 0; i < k; i++)
				KAOS_ASSERT_UEQ(rd[i], next_r + (uint64_t)i);
			KAOS_ASSERT_OK(kaos_spsc8_release(&q, (uint64_t)k));
			next_r += (uint64_t)k;
		}
	}
	/* full: 0, counted once per refusal */
	kaos_spsc_stats(r, &st);
	uint64_t full0 = st.full;
	while (kaos_spsc_size(r) < CAP)
		KAOS_ASSERT_GT(kaos_spsc_write(r, src, CAP), 0);
	KAOS_ASSERT_EQ(kaos_spsc_write(r, src, 1), 0);
	KAOS_ASSERT_EQ(kaos_spsc_write(r, src, BIG), 0);
	kaos_spsc_stats(r, &st);
	KAOS_ASSERT_UEQ(st.full, full0 + 2);
	/* a write voids a pending claim */
	KAOS_ASSERT_OK(kaos_spsc8_release(&q, 0));
	KAOS_ASSERT_EQ(kaos_spsc8_peek(&q, 10, &rd), 10);
	KAOS_ASSERT_OK(kaos_spsc8_release(&q, 10));
	KAOS_ASSERT_EQ(kaos_spsc8_claim(&q, 5, &w), 5);
	KAOS_ASSERT_EQ(kaos_spsc_write(r, src, 2), 2);
	KAOS_ASSERT_EQ(kaos_spsc8_publish(&q, 5), -EINVAL);
	kaos_spsc8_destroy(&q);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(memsize_rejects_bad_arguments),
		KAOS_TEST(memsize_accepts_the_whole_range),
		KAOS_TEST(create_and_init_reject_bad_arguments),
		KAOS_TEST(request_counts_outside_the_ring),
		KAOS_TEST(full_and_empty_edges),
		KAOS_TEST(claim_and_peek_across_the_wrap),
		KAOS_TEST(wraparound_random_batches),
		KAOS_TEST(slot_sizes_keep_every_byte),
		KAOS_TEST(typed_rings),
		KAOS_TEST(memory_modes),
		KAOS_TEST(poll_calls_handler_in_order),
		KAOS_TEST(deferred_push_needs_flush),
		KAOS_TEST(partial_publish_and_release),
		KAOS_TEST(mixing_apis_voids_pending_claims_and_peeks),
		KAOS_TEST(write_copies_in_bulk),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
