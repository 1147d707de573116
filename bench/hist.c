/* SPDX-License-Identifier: MIT */
/* The histogram's queries and merge (bench/hist.h). */
#include "hist.h"

#include <string.h>

void
kb_hist_reset(struct kb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
kb_hist_bounds(unsigned i, uint64_t *lo, uint64_t *hi)
{
	if (i < KB_HIST_LINEAR) {
		*lo = *hi = i;
		return;
	}
	unsigned j = i - KB_HIST_LINEAR;
	unsigned k = j / KB_HIST_SUB + KB_HIST_SUB_BITS + 1; /* the power */
	unsigned shift = k - KB_HIST_SUB_BITS;
	*lo = (uint64_t)(KB_HIST_SUB + j % KB_HIST_SUB) << shift;
	*hi = *lo + (UINT64_C(1) << shift) - 1;
}

double
kb_hist_value_at(const struct kb_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	if (q >= 1.0)
		return (double)h->max;
	if (q <= 0)
		return (double)h->min;
	/* nearest rank: the ceil(q * count)-th value, at least the first */
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < KB_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t lo, hi;
			kb_hist_bounds(i, &lo, &hi);
			double v = ((double)lo + (double)hi) / 2.0;
			if (v < (double)h->min)
				v = (double)h->min;
			if (v > (double)h->max)
				v = (double)h->max;
			return v;
		}
	}
	return (double)h->max; /* not reached: the buckets add up to count */
}

void
kb_hist_merge(struct kb_hist *dst, const struct kb_hist *src)
{
	if (src->count == 0)
		return;
	for (unsigned i = 0; i < KB_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->over += src->over;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}
