/* SPDX-License-Identifier: MIT */
/*
 * A log-linear histogram of non-negative integer values (HdrHistogram's
 * layout, fixed size): latencies in ns, or TSC ticks scaled to ns afterwards
 * (the error bound below is relative, so it survives any scaling).
 *
 * Layout: values 0 .. 127 have a bucket each (exact). Above, every power of
 * two [2^k, 2^(k+1)), k = 7 .. KB_HIST_MAX_POW - 1, is split into 64 linear
 * sub-buckets of width 2^(k-6). A bucket is reported by its midpoint, so a
 * reported value differs from any value recorded in its bucket by at most
 * half a width: 2^(k-7) <= value / 128, a relative error of at most 1/128
 * (0.79%; KB_HIST_REL_ERR). The range ends at 2^36 - 1 (68.7 s in ns):
 * larger values are counted in the last bucket (and in kb_hist.over); the
 * minimum and maximum are kept exactly.
 *
 * kb_hist_record() is O(1): a count-leading-zeros, a shift and an add; no
 * allocation (the counters are in the struct, 15.5 KiB). Percentiles and
 * merges walk the buckets (hist.c).
 */
#ifndef KAOS_BENCH_HIST_H
#define KAOS_BENCH_HIST_H

#include <stdint.h>

#define KB_HIST_SUB_BITS 6                       /* 64 sub-buckets per power */
#define KB_HIST_SUB (1u << KB_HIST_SUB_BITS)
#define KB_HIST_LINEAR (2u * KB_HIST_SUB)        /* 0 .. 127: exact */
#define KB_HIST_MAX_POW 36                       /* values < 2^36 */
#define KB_HIST_BUCKETS \
	(KB_HIST_LINEAR + (KB_HIST_MAX_POW - KB_HIST_SUB_BITS - 1) * KB_HIST_SUB)
#define KB_HIST_MAX_VALUE ((UINT64_C(1) << KB_HIST_MAX_POW) - 1)
/* The largest relative error of a reported value (bucket midpoint). */
#define KB_HIST_REL_ERR (1.0 / 128.0)

struct kb_hist {
	uint64_t count;  /* values recorded */
	uint64_t min, max; /* exact; min is UINT64_MAX while empty */
	uint64_t over;   /* values above KB_HIST_MAX_VALUE (in the last bucket) */
	uint64_t bucket[KB_HIST_BUCKETS];
};

/* The bucket of @p v (v <= KB_HIST_MAX_VALUE). */
static inline unsigned
kb_hist_index(uint64_t v)
{
	if (v < KB_HIST_LINEAR)
		return (unsigned)v;
	unsigned k = 63u - (unsigned)__builtin_clzll(v); /* 7 .. 35 */
	unsigned shift = k - KB_HIST_SUB_BITS;
	return KB_HIST_LINEAR + (k - KB_HIST_SUB_BITS - 1) * KB_HIST_SUB +
	       (unsigned)(v >> shift) - KB_HIST_SUB;
}

static inline void
kb_hist_record(struct kb_hist *h, uint64_t v)
{
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	if (__builtin_expect(v > KB_HIST_MAX_VALUE, 0)) {
		h->over++;
		v = KB_HIST_MAX_VALUE;
	}
	h->bucket[kb_hist_index(v)]++;
}

#ifdef __cplusplus
extern "C" {
#endif

/* Empty @p h. */
void kb_hist_reset(struct kb_hist *h);

/* The lowest and highest value bucket @p i holds. */
void kb_hist_bounds(unsigned i, uint64_t *lo, uint64_t *hi);

/* Nearest-rank percentile, @p q in [0, 1] (0.5: p50, 0.999: p99.9): the
 * midpoint of the bucket holding the ceil(q * count)-th smallest value,
 * clamped to [min, max]; q = 0 is the exact min, q = 1 the exact max.
 * 0 when empty. */
double kb_hist_value_at(const struct kb_hist *h, double q);

/* Add every value of @p src to @p dst. */
void kb_hist_merge(struct kb_hist *dst, const struct kb_hist *src);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_BENCH_HIST_H */
