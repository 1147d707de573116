/* SPDX-License-Identifier: MIT */
/* A sender's answer to NAKs: see resend.h. */
#include "resend.h"

#include <string.h>

void
kaos__resend_init(struct kaos__resend *s)
{
	s->n = 0;
}

void
kaos__resend_expire(struct kaos__resend *s, uint64_t acked, uint64_t now_ns)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		struct kaos__resend_entry e = s->e[i];
		bool lingered = e.linger_until && e.linger_until <= now_ns;
		if (e.r.end <= acked || lingered)
			continue;
		if (e.r.start < acked)
			e.r.start = acked; /* the acknowledged part needs nothing more */
		s->e[k++] = e;
	}
	s->n = k;
}

/* Schedule [start, end), which overlaps no entry, keeping the entries in
 * order: 1, or 0 when they are all in use. */
static uint32_t
schedule(struct kaos__resend *s, uint64_t start, uint64_t end)
{
	if (s->n == KAOS__RESEND_MAX)
		return 0;
	uint32_t i = s->n;
	while (i && s->e[i - 1].r.start > start) {
		s->e[i] = s->e[i - 1];
		i--;
	}
	s->e[i] = (struct kaos__resend_entry){ { start, end }, 0 };
	s->n++;
	return 1;
}

uint32_t
kaos__resend_nak(struct kaos__resend *s, const struct kaos__wire_nak *nak, uint64_t acked,
		 uint64_t sent, uint64_t now_ns)
{
	kaos__resend_expire(s, acked, now_ns);
	uint32_t added = 0;
	for (uint32_t k = 0; k < nak->nranges && k < KAOS__WIRE_NAK_RANGES; k++) {
		uint64_t at = nak->ranges[k].start > acked ? nak->ranges[k].start : acked;
		uint64_t end = nak->ranges[k].end < sent ? nak->ranges[k].end : sent;
		if (at >= end)
			continue; /* nothing retained there: not ours to resend */
		/* The parts between the entries it overlaps (entries are in
		 * order and disjoint; a new part goes in before the loop moves
		 * past it, and never overlaps what follows). */
		uint32_t n = s->n;
		struct kaos__wire_range held[KAOS__RESEND_MAX];
		for (uint32_t i = 0; i < n; i++)
			held[i] = s->e[i].r;
		for (uint32_t i = 0; i < n && at < end; i++) {
			if (held[i].end <= at)
				continue;
			if (held[i].start >= end)
				break;
			if (held[i].start > at)
				added += schedule(s, at, held[i].start);
			at = held[i].end;
		}
		if (at < end)
			added += schedule(s, at, end);
	}
	return added;
}

int
kaos__resend_next(struct kaos__resend *s, uint64_t now_ns, struct kaos__wire_range *out)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->e[i].linger_until == 0) {
			*out = s->e[i].r;
			s->e[i].linger_until = now_ns + KAOS__RESEND_LINGER_NS;
			return 1;
		}
	return 0;
}
