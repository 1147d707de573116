/* SPDX-License-Identifier: MIT */
/*
 * What a receiver holds of a stream: the cumulative position (everything
 * below it received) and the ranges received above it, sorted, disjoint
 * and not touching, in fixed memory. From it come a STATUS frame's
 * position and ranges, a NAK's gaps, and the test whether a DATA frame is
 * a duplicate. A frame that would need more ranges than are held is
 * refused (the sender will send it again): memory stays bounded whatever
 * a peer sends.
 */
#ifndef KAOS_RUDP_RANGES_H
#define KAOS_RUDP_RANGES_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

#define KAOS__RANGES_MAX 64 /* ranges held above the cumulative position */

struct kaos__ranges {
	uint64_t base; /* everything below is received */
	uint32_t n;
	struct kaos__wire_range r[KAOS__RANGES_MAX]; /* above base, ascending */
};

void kaos__ranges_init(struct kaos__ranges *s, uint64_t base);

/* Record [start, end) as received: 1 if any of it is new, 0 if all of it
 * was there already (a duplicate), -ENOSPC if it would need more ranges
 * than are held (nothing recorded), -EINVAL if it is empty. What it adds
 * at the cumulative position moves that position (and takes in the
 * ranges it then reaches). */
int kaos__ranges_add(struct kaos__ranges *s, uint64_t start, uint64_t end);

/* Whether all of [start, end) is received. */
bool kaos__ranges_has(const struct kaos__ranges *s, uint64_t start, uint64_t end);

/* The highest position received (base when nothing is above it). */
uint64_t kaos__ranges_top(const struct kaos__ranges *s);

/* Up to @p max of the ranges above the cumulative position, lowest
 * first (a STATUS frame's): how many. */
uint32_t kaos__ranges_status(const struct kaos__ranges *s, struct kaos__wire_range *out,
			     uint32_t max);

/* Up to @p max missing ranges between the cumulative position and
 * @p upto (what the sender says it sent, or the top), lowest first (a
 * NAK's): how many. */
uint32_t kaos__ranges_gaps(const struct kaos__ranges *s, uint64_t upto,
			   struct kaos__wire_range *out, uint32_t max);

#endif /* KAOS_RUDP_RANGES_H */
