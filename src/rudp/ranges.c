/* SPDX-License-Identifier: MIT */
/* What a receiver holds of a stream: see ranges.h. */
#include "ranges.h"

#include <errno.h>
#include <string.h>

void
kaos__ranges_init(struct kaos__ranges *s, uint64_t base)
{
	s->base = base;
	s->n = 0;
}

bool
kaos__ranges_has(const struct kaos__ranges *s, uint64_t start, uint64_t end)
{
	if (start < s->base)
		start = s->base;
	if (start >= end)
		return true; /* empty, or all below the cumulative position */
	for (uint32_t i = 0; i < s->n && s->r[i].start <= start; i++)
		if (s->r[i].end >= end)
			return true;
	return false;
}

int
kaos__ranges_add(struct kaos__ranges *s, uint64_t start, uint64_t end)
{
	if (end <= start)
		return -EINVAL;
	if (kaos__ranges_has(s, start, end))
		return 0;
	if (start < s->base)
		start = s->base;
	/* The ranges [first, last) it overlaps or touches merge with it. */
	uint32_t first = 0;
	while (first < s->n && s->r[first].end < start)
		first++;
	uint32_t last = first;
	while (last < s->n && s->r[last].start <= end)
		last++;
	if (first == last && start != s->base && s->n == KAOS__RANGES_MAX)
		return -ENOSPC; /* a new range, and no room for it */
	if (first < last) {
		if (s->r[first].start < start)
			start = s->r[first].start;
		if (s->r[last - 1].end > end)
			end = s->r[last - 1].end;
	}
	/* Replace [first, last) with the merged range, or, when it starts at
	 * the cumulative position, with nothing: the position moves. */
	bool at_base = start == s->base;
	uint32_t keep = at_base ? 0 : 1;
	memmove(&s->r[first + keep], &s->r[last], (s->n - last) * sizeof(s->r[0]));
	s->n = s->n - (last - first) + keep;
	if (at_base)
		s->base = end; /* first is 0 here: nothing lies below start */
	else
		s->r[first] = (struct kaos__wire_range){ start, end };
	return 1;
}

uint64_t
kaos__ranges_top(const struct kaos__ranges *s)
{
	return s->n ? s->r[s->n - 1].end : s->base;
}

uint32_t
kaos__ranges_status(const struct kaos__ranges *s, struct kaos__wire_range *out, uint32_t max)
{
	uint32_t k = s->n < max ? s->n : max;
	memcpy(out, s->r, k * sizeof(s->r[0]));
	return k;
}

uint32_t
kaos__ranges_gaps(const struct kaos__ranges *s, uint64_t upto, struct kaos__wire_range *out,
		  uint32_t max)
{
	uint32_t k = 0;
	uint64_t at = s->base;
	for (uint32_t i = 0; i <= s->n && k < max && at < upto; i++) {
		uint64_t next = i < s->n ? s->r[i].start : upto;
		if (next > upto)
			next = upto;
		/* next > at: ranges lie above base and never touch */
		out[k++] = (struct kaos__wire_range){ at, next };
		if (i < s->n)
			at = s->r[i].end;
	}
	return k;
}
