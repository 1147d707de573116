/* SPDX-License-Identifier: MIT */
/* When a receiver speaks: see feedback.h. */
#include "feedback.h"

void
kaos__feedback_init(struct kaos__feedback *f, uint64_t window, uint64_t now_ns)
{
	*f = (struct kaos__feedback){ .window = window, .status_ns = now_ns };
}

bool
kaos__feedback_status_due(const struct kaos__feedback *f, uint64_t now_ns, uint64_t consumed)
{
	return now_ns - f->status_ns >= KAOS__STATUS_INTERVAL_NS ||
	       consumed - f->status_consumed >= f->window / 4;
}

void
kaos__feedback_status_sent(struct kaos__feedback *f, uint64_t now_ns, uint64_t consumed)
{
	f->status_ns = now_ns;
	f->status_consumed = consumed;
}

uint32_t
kaos__feedback_naks(struct kaos__feedback *f, const struct kaos__ranges *got, uint64_t upto,
		    uint64_t now_ns, uint64_t rtt_ns, struct kaos__wire_range out[KAOS__WIRE_NAK_RANGES])
{
	struct kaos__wire_range cur[KAOS__WIRE_NAK_RANGES];
	uint32_t n = kaos__ranges_gaps(got, upto, cur, KAOS__WIRE_NAK_RANGES);
	/* Today's gaps inherit the times of the bytes they held before: the
	 * earliest first-seen, the latest NAK. */
	struct kaos__gap_times next[KAOS__WIRE_NAK_RANGES];
	for (uint32_t i = 0; i < n; i++) {
		next[i] = (struct kaos__gap_times){ cur[i], now_ns, 0 };
		for (uint32_t j = 0; j < f->ngaps; j++) {
			const struct kaos__gap_times *g = &f->gaps[j];
			if (g->r.start >= cur[i].end || g->r.end <= cur[i].start)
				continue;
			if (g->seen_ns < next[i].seen_ns)
				next[i].seen_ns = g->seen_ns;
			if (g->nak_ns > next[i].nak_ns)
				next[i].nak_ns = g->nak_ns;
		}
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct kaos__gap_times *g = &next[i];
		if (now_ns - g->seen_ns >= KAOS__NAK_DELAY_NS &&
		    (g->nak_ns == 0 || now_ns - g->nak_ns >= rtt_ns)) {
			out[k++] = g->r;
			g->nak_ns = now_ns;
		}
		f->gaps[i] = *g;
	}
	f->ngaps = n;
	return k;
}
