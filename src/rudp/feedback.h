/* SPDX-License-Identifier: MIT */
/*
 * When a receiver speaks, after Aeron's defaults: a STATUS every 200 ms,
 * or sooner when the application has consumed a quarter of the window
 * since the last one; a NAK for a gap once it has been missing for the
 * NAK delay (100 us: reordering on a LAN is shorter), and again for the
 * same bytes only after a round trip, so a retransmission in flight is
 * not asked for twice. Gaps come from the receiver's record
 * (kaos__ranges_gaps); their first-seen and last-NAKed times follow the
 * bytes as a gap shrinks or splits. Fixed memory; times in ns.
 */
#ifndef KAOS_RUDP_FEEDBACK_H
#define KAOS_RUDP_FEEDBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "ranges.h"
#include "wire.h"

#define KAOS__STATUS_INTERVAL_NS 200000000ull /* 200 ms */
#define KAOS__NAK_DELAY_NS 100000ull          /* 100 us */

struct kaos__feedback {
	uint64_t window; /* the receive window, bytes */
	uint64_t status_ns, status_consumed; /* when, and at what, the last STATUS */
	uint32_t ngaps;
	struct kaos__gap_times {
		struct kaos__wire_range r;
		uint64_t seen_ns; /* first seen missing */
		uint64_t nak_ns;  /* last NAKed; 0: never */
	} gaps[KAOS__WIRE_NAK_RANGES];
};

void kaos__feedback_init(struct kaos__feedback *f, uint64_t window, uint64_t now_ns);

/* Whether a STATUS is due at @p now_ns with @p consumed bytes consumed. */
bool kaos__feedback_status_due(const struct kaos__feedback *f, uint64_t now_ns,
			       uint64_t consumed);

void kaos__feedback_status_sent(struct kaos__feedback *f, uint64_t now_ns, uint64_t consumed);

/* The gaps of @p got below @p upto (the sender's HEARTBEAT position, or
 * the top received) to NAK at @p now_ns, given the round trip @p rtt_ns:
 * how many went to @p out (they count as NAKed now). */
uint32_t kaos__feedback_naks(struct kaos__feedback *f, const struct kaos__ranges *got,
			     uint64_t upto, uint64_t now_ns, uint64_t rtt_ns,
			     struct kaos__wire_range out[KAOS__WIRE_NAK_RANGES]);

#endif /* KAOS_RUDP_FEEDBACK_H */
