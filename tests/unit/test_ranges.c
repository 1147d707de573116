/* SPDX-License-Identifier: MIT */
/*
 * A receiver's record of a stream (src/rudp/ranges.h) against a model, a
 * bitmap of received positions: after every add (random ranges, in and
 * out of order, duplicates, overlaps, below the cumulative position) the
 * cumulative position, the ranges, the duplicate answer, has(), the
 * STATUS ranges and the NAK gaps are what the bitmap says; a range that
 * needs more room than is held is refused and changes nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kaos_test.h"
#include "rudp/ranges.h"

#define SPACE 4096

static bool model[SPACE + 64];

/* The model's cumulative position: its first missing position. */
static uint64_t
model_base(void)
{
	uint64_t b = 0;
	while (b < SPACE && model[b])
		b++;
	return b;
}

static void
check_against_model(const struct kaos__ranges *s)
{
	uint64_t base = model_base();
	KAOS_ASSERT_UEQ(s->base, base);
	/* the ranges are exactly the runs of received positions above base */
	uint32_t k = 0;
	for (uint64_t p = base; p < SPACE;) {
		if (!model[p]) {
			p++;
			continue;
		}
		uint64_t q = p;
		while (q < SPACE && model[q])
			q++;
		KAOS_ASSERT_LT(k, s->n);
		KAOS_ASSERT_UEQ(s->r[k].start, p);
		KAOS_ASSERT_UEQ(s->r[k].end, q);
		k++;
		p = q;
	}
	KAOS_ASSERT_UEQ(k, s->n);
	KAOS_ASSERT_UEQ(kaos__ranges_top(s), s->n ? s->r[s->n - 1].end : base);
}

/* The runs of missing positions in [base, upto), up to max. */
static uint32_t
model_gaps(uint64_t upto, struct kaos__wire_range *out, uint32_t max)
{
	uint32_t k = 0;
	for (uint64_t p = model_base(); p < upto && k < max;) {
		if (model[p]) {
			p++;
			continue;
		}
		uint64_t q = p;
		while (q < upto && !model[q])
			q++;
		out[k++] = (struct kaos__wire_range){ p, q };
		p = q;
	}
	return k;
}

static void
matches_a_bitmap_model(void)
{
	uint64_t seed = 0xABCDEF12345ull + kaos_test_soak_round;
	uint64_t rounds = kaos_test_scaled(300, 20);
	uint64_t refused = 0, dups = 0;
	for (uint64_t round = 0; round < rounds; round++) {
		memset(model, 0, sizeof(model));
		struct kaos__ranges s;
		kaos__ranges_init(&s, 0);
		/* narrow ranges make many gaps (and refusals); wide ones merge */
		uint64_t width = 1 + kaos_test_rand(&seed) % 64;
		for (int op = 0; op < 400; op++) {
			uint64_t start = kaos_test_rand(&seed) % SPACE;
			uint64_t len = 1 + kaos_test_rand(&seed) % width;
			if (start + len > SPACE)
				len = SPACE - start;
			bool any_new = false;
			for (uint64_t p = start; p < start + len; p++)
				any_new |= !model[p];
			struct kaos__ranges before = s;
			int rc = kaos__ranges_add(&s, start, start + len);
			if (rc == -ENOSPC) {
				KAOS_ASSERT(any_new);
				KAOS_ASSERT_EQ(memcmp(&before, &s, sizeof(s)), 0);
				KAOS_ASSERT_UEQ(s.n, KAOS__RANGES_MAX);
				refused++;
			} else {
				KAOS_ASSERT_EQ(rc, any_new ? 1 : 0);
				dups += !any_new;
				for (uint64_t p = start; p < start + len; p++)
					model[p] = true;
			}
			check_against_model(&s);
			/* queries */
			uint64_t qs = kaos_test_rand(&seed) % SPACE;
			uint64_t qe = qs + 1 + kaos_test_rand(&seed) % 32;
			if (qe > SPACE)
				qe = SPACE;
			bool all = true;
			for (uint64_t p = qs; p < qe; p++)
				all &= model[p];
			KAOS_ASSERT_EQ(kaos__ranges_has(&s, qs, qe), all);
			uint64_t upto = kaos_test_rand(&seed) % (SPACE + 1);
			struct kaos__wire_range g[KAOS__WIRE_NAK_RANGES], want[KAOS__WIRE_NAK_RANGES];
			uint32_t ng = kaos__ranges_gaps(&s, upto, g, KAOS__WIRE_NAK_RANGES);
			KAOS_ASSERT_UEQ(ng, model_gaps(upto, want, KAOS__WIRE_NAK_RANGES));
			KAOS_ASSERT_EQ(memcmp(g, want, ng * sizeof(g[0])), 0);
			struct kaos__wire_range st[KAOS__WIRE_STATUS_RANGES];
			uint32_t ns = kaos__ranges_status(&s, st, KAOS__WIRE_STATUS_RANGES);
			KAOS_ASSERT_UEQ(ns, s.n < 8 ? s.n : 8);
			KAOS_ASSERT_EQ(memcmp(st, s.r, ns * sizeof(st[0])), 0);
		}
	}
	/* the model exercised every outcome */
	KAOS_ASSERT_GT(refused, 0);
	KAOS_ASSERT_GT(dups, 0);
}

static void
in_order_stream_moves_the_position(void)
{
	struct kaos__ranges s;
	kaos__ranges_init(&s, 1000);
	for (uint64_t p = 1000; p < 2000; p += 40)
		KAOS_ASSERT_EQ(kaos__ranges_add(&s, p, p + 40), 1);
	KAOS_ASSERT_UEQ(s.base, 2000);
	KAOS_ASSERT_UEQ(s.n, 0);
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 1960, 2000), 0); /* below: a duplicate */
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 0, 10), 0);
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 5, 5), -EINVAL);
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 6, 5), -EINVAL);
	/* a gap, then the frame that fills it takes in what follows */
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 2040, 2080), 1);
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 2120, 2160), 1);
	struct kaos__wire_range g[4];
	KAOS_ASSERT_UEQ(kaos__ranges_gaps(&s, 2200, g, 4), 3);
	KAOS_ASSERT(g[0].start == 2000 && g[0].end == 2040);
	KAOS_ASSERT(g[1].start == 2080 && g[1].end == 2120);
	KAOS_ASSERT(g[2].start == 2160 && g[2].end == 2200);
	KAOS_ASSERT_UEQ(kaos__ranges_gaps(&s, 2100, g, 4), 2); /* clipped at upto */
	KAOS_ASSERT_UEQ(g[1].end, 2100);
	KAOS_ASSERT_UEQ(kaos__ranges_gaps(&s, 2000, g, 4), 0);
	KAOS_ASSERT_UEQ(kaos__ranges_gaps(&s, 2200, g, 1), 1); /* max */
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 2000, 2040), 1);
	KAOS_ASSERT_UEQ(s.base, 2080);
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 2080, 2120), 1);
	KAOS_ASSERT_UEQ(s.base, 2160);
	KAOS_ASSERT_UEQ(s.n, 0);
}

/* A peer that sends every other byte cannot make the record grow past
 * its bound. */
static void
memory_is_bounded_whatever_arrives(void)
{
	struct kaos__ranges s;
	kaos__ranges_init(&s, 0);
	int refused = 0;
	for (uint64_t p = 1; p < 10000; p += 2) {
		int rc = kaos__ranges_add(&s, p, p + 1);
		if (rc == -ENOSPC)
			refused++;
		else
			KAOS_ASSERT_EQ(rc, 1);
	}
	KAOS_ASSERT_UEQ(s.n, KAOS__RANGES_MAX);
	KAOS_ASSERT_EQ(refused, 5000 - KAOS__RANGES_MAX);
	/* what joins held ranges is still taken */
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 2, 3), 1);
	KAOS_ASSERT_UEQ(s.n, KAOS__RANGES_MAX - 1);
	KAOS_ASSERT_EQ(kaos__ranges_add(&s, 0, 1), 1); /* at the position */
	KAOS_ASSERT_UEQ(s.base, 4);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(in_order_stream_moves_the_position),
		KAOS_TEST(memory_is_bounded_whatever_arrives),
		KAOS_TEST(matches_a_bitmap_model),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
