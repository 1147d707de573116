/* SPDX-License-Identifier: MIT */
/* RTT estimation and NewReno congestion control: see cc.h. */
#include "cc.h"

void
kaos__rtt_init(struct kaos__rtt *r)
{
	*r = (struct kaos__rtt){ .smoothed = KAOS__RTT_INITIAL_NS,
				 .var = KAOS__RTT_INITIAL_NS / 2 };
}

void
kaos__rtt_sample(struct kaos__rtt *r, uint64_t sample_ns, uint64_t ack_delay_ns,
		 uint64_t max_ack_delay_ns)
{
	r->latest = sample_ns;
	if (!r->sampled) {
		r->sampled = true;
		r->min = r->smoothed = sample_ns;
		r->var = sample_ns / 2;
		return;
	}
	if (sample_ns < r->min)
		r->min = sample_ns;
	if (ack_delay_ns > max_ack_delay_ns)
		ack_delay_ns = max_ack_delay_ns;
	/* The receiver's delay comes off, but never below the minimum: a
	 * peer's word cannot make the path look faster than it was seen. */
	uint64_t adjusted = sample_ns;
	if (sample_ns - r->min >= ack_delay_ns)
		adjusted = sample_ns - ack_delay_ns;
	uint64_t dev = r->smoothed > adjusted ? r->smoothed - adjusted : adjusted - r->smoothed;
	r->var = (3 * r->var + dev) / 4;
	r->smoothed = (7 * r->smoothed + adjusted) / 8;
}

uint64_t
kaos__rtt_loss_delay(const struct kaos__rtt *r)
{
	uint64_t base = r->smoothed > r->latest ? r->smoothed : r->latest;
	uint64_t d = base + base / 8;
	return d > KAOS__RTT_GRANULARITY_NS ? d : KAOS__RTT_GRANULARITY_NS;
}

uint64_t
kaos__rtt_pto(const struct kaos__rtt *r, uint64_t max_ack_delay_ns)
{
	uint64_t var4 = 4 * r->var;
	return r->smoothed + (var4 > KAOS__RTT_GRANULARITY_NS ? var4 : KAOS__RTT_GRANULARITY_NS) +
	       max_ack_delay_ns;
}

static uint64_t
min_window(const struct kaos__cc *c)
{
	return 2 * c->mss;
}

void
kaos__cc_init(struct kaos__cc *c, uint64_t mss, bool none)
{
	uint64_t floor = 2 * mss > 14720 ? 2 * mss : 14720;
	*c = (struct kaos__cc){ .mss = mss, .ssthresh = UINT64_MAX, .none = none };
	c->cwnd = 10 * mss < floor ? 10 * mss : floor;
}

void
kaos__cc_sent(struct kaos__cc *c, uint64_t bytes)
{
	c->in_flight += bytes;
}

static void
landed(struct kaos__cc *c, uint64_t bytes)
{
	c->in_flight = bytes < c->in_flight ? c->in_flight - bytes : 0;
}

/* Whether a frame sent at @p sent_ns belongs to the round trip that the
 * current recovery already answered. */
static bool
in_recovery(const struct kaos__cc *c, uint64_t sent_ns)
{
	return c->in_recovery && sent_ns <= c->recovery_start_ns;
}

void
kaos__cc_acked(struct kaos__cc *c, uint64_t bytes, uint64_t sent_ns)
{
	landed(c, bytes);
	if (in_recovery(c, sent_ns))
		return;
	if (c->cwnd < c->ssthresh)
		c->cwnd += bytes; /* slow start: doubles each round trip */
	else
		c->cwnd += c->mss * bytes / c->cwnd; /* one datagram per window */
}

void
kaos__cc_lost(struct kaos__cc *c, uint64_t bytes, uint64_t sent_ns, uint64_t now_ns)
{
	landed(c, bytes);
	if (in_recovery(c, sent_ns))
		return;
	c->in_recovery = true;
	c->recovery_start_ns = now_ns;
	c->ssthresh = c->cwnd / 2;
	c->cwnd = c->ssthresh > min_window(c) ? c->ssthresh : min_window(c);
}

uint64_t
kaos__cc_room(const struct kaos__cc *c)
{
	if (c->none)
		return UINT64_MAX;
	return c->cwnd > c->in_flight ? c->cwnd - c->in_flight : 0;
}

uint64_t
kaos__cc_pace_ns(const struct kaos__cc *c, const struct kaos__rtt *r, uint64_t bytes)
{
	if (c->none || !r->sampled)
		return 0;
	/* bytes / (1.25 cwnd / srtt) = bytes srtt 4 / (5 cwnd) */
	return (uint64_t)((unsigned __int128)bytes * r->smoothed * 4 / (5 * (unsigned __int128)c->cwnd));
}
