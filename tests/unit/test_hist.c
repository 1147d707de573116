/* SPDX-License-Identifier: MIT */
/* The benchmarks' latency histogram (bench/hist.h): bucket bounds, the
 * documented relative error, percentiles of known distributions, merge. */
#include <stdlib.h>

#include "../../bench/hist.h"
#include "kaos_test.h"

static struct kb_hist h1, h2; /* 15.5 KiB each: not on the stack */

/* |reported - v| <= v * KB_HIST_REL_ERR (exact below 128). */
static int
within(double reported, uint64_t v)
{
	double d = reported - (double)v;
	return (d < 0 ? -d : d) <= (double)v * KB_HIST_REL_ERR;
}

static void
buckets_tile_the_range(void)
{
	uint64_t next = 0;
	for (unsigned i = 0; i < KB_HIST_BUCKETS; i++) {
		uint64_t lo, hi;
		kb_hist_bounds(i, &lo, &hi);
		KAOS_ASSERT_UEQ(lo, next); /* contiguous, no gap or overlap */
		KAOS_ASSERT(hi >= lo);
		KAOS_ASSERT_UEQ(kb_hist_index(lo), i);
		KAOS_ASSERT_UEQ(kb_hist_index(hi), i);
		/* the bound behind KB_HIST_REL_ERR: half a width <= lo / 128 */
		KAOS_ASSERT((double)(hi - lo) / 2.0 <= (double)lo * KB_HIST_REL_ERR);
		next = hi + 1;
	}
	KAOS_ASSERT_UEQ(next, KB_HIST_MAX_VALUE + 1);
}

static void
single_values_within_error(void)
{
	/* every value below 4096, then a pseudo-random spread up to 2^36 */
	uint64_t x = 88172645463325252ull;
	for (uint64_t n = 0; n < 200000; n++) {
		uint64_t v;
		if (n < 4096) {
			v = n;
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v = x >> (28 + x % 29); /* 0 .. 2^36 - 1, log-spread */
		}
		kb_hist_reset(&h1);
		kb_hist_record(&h1, v);
		double r = kb_hist_value_at(&h1, 0.5);
		KAOS_ASSERT(within(r, v));
		if (v < KB_HIST_LINEAR)
			KAOS_ASSERT(r == (double)v);
		KAOS_ASSERT(kb_hist_value_at(&h1, 1.0) == (double)v);
	}
	/* beyond the range: last bucket, counted in over, max exact */
	kb_hist_reset(&h1);
	kb_hist_record(&h1, UINT64_C(1) << 40);
	KAOS_ASSERT_UEQ(h1.over, 1);
	KAOS_ASSERT(kb_hist_value_at(&h1, 1.0) == (double)(UINT64_C(1) << 40));
}

static void
percentiles_of_uniform(void)
{
	/* 1 .. 1,000,000 once each: the q-quantile is q * 1e6 */
	kb_hist_reset(&h1);
	for (uint64_t v = 1; v <= 1000000; v++)
		kb_hist_record(&h1, v);
	KAOS_ASSERT_UEQ(h1.count, 1000000);
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.5), 500000));
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.9), 900000));
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.99), 990000));
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.999), 999000));
	KAOS_ASSERT(kb_hist_value_at(&h1, 1.0) == 1000000.0);
	KAOS_ASSERT(kb_hist_value_at(&h1, 0.0) == 1.0);
	/* 1 .. 100 (exact region): nearest rank exactly */
	kb_hist_reset(&h1);
	for (uint64_t v = 1; v <= 100; v++)
		kb_hist_record(&h1, v);
	KAOS_ASSERT(kb_hist_value_at(&h1, 0.5) == 50.0);
	KAOS_ASSERT(kb_hist_value_at(&h1, 0.9) == 90.0);
	KAOS_ASSERT(kb_hist_value_at(&h1, 0.99) == 99.0);
	KAOS_ASSERT(kb_hist_value_at(&h1, 0.999) == 100.0);
}

static void
percentiles_of_bimodal_and_merge(void)
{
	/* 99% at 300 ns, 1% at 50 us: p50, p90 and p99 300 ns, p99.9 50 us;
	 * recorded into two histograms and merged */
	kb_hist_reset(&h1);
	kb_hist_reset(&h2);
	for (unsigned i = 0; i < 99000; i++)
		kb_hist_record(i % 2 ? &h1 : &h2, 300);
	for (unsigned i = 0; i < 1000; i++)
		kb_hist_record(i % 2 ? &h1 : &h2, 50000);
	kb_hist_merge(&h1, &h2);
	KAOS_ASSERT_UEQ(h1.count, 100000);
	KAOS_ASSERT_UEQ(h1.min, 300);
	KAOS_ASSERT_UEQ(h1.max, 50000);
	/* nearest rank: 99,000 values at 300, then 1,000 at 50,000 */
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.5), 300));
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.9), 300));
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.99), 300));
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.991), 50000));
	KAOS_ASSERT(within(kb_hist_value_at(&h1, 0.999), 50000));
	KAOS_ASSERT(kb_hist_value_at(&h1, 0.0) == 300.0); /* clamped to min */
	KAOS_ASSERT(kb_hist_value_at(&h1, 1.0) == 50000.0); /* the exact max */
	/* merging an empty histogram changes nothing */
	kb_hist_reset(&h2);
	kb_hist_merge(&h1, &h2);
	KAOS_ASSERT_UEQ(h1.count, 100000);
	KAOS_ASSERT_UEQ(h1.min, 300);
	/* an empty one reports 0 */
	KAOS_ASSERT(kb_hist_value_at(&h2, 0.5) == 0.0);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(buckets_tile_the_range),
		KAOS_TEST(single_values_within_error),
		KAOS_TEST(percentiles_of_uniform),
		KAOS_TEST(percentiles_of_bimodal_and_merge),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
