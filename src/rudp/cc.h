/* SPDX-License-Identifier: MIT */
/*
 * A sender's estimate of the round trip and its congestion window, as
 * RFC 9002 specifies them for QUIC: the smoothed RTT and its variation
 * from echoed timestamps (less the receiver's ack delay), the loss delay
 * (9/8 of the RTT) and probe timeout; NewReno on bytes (slow start, then
 * one datagram per window; on loss, halve once per round trip, never
 * below two datagrams); pacing at 1.25 x cwnd / srtt. With cc=none (for
 * dedicated links, Aeron's default) the window never limits: flow
 * control alone does. Pure arithmetic on caller-given times (ns).
 *
 * Not done here: persistent congestion (RFC 9002 7.6), ECN.
 */
#ifndef KAOS_RUDP_CC_H
#define KAOS_RUDP_CC_H

#include <stdbool.h>
#include <stdint.h>

#define KAOS__RTT_INITIAL_NS 333000000ull /* before any sample (RFC 9002) */
#define KAOS__RTT_GRANULARITY_NS 1000000ull /* the timer's: 1 ms */

struct kaos__rtt {
	uint64_t latest, min, smoothed, var; /* ns */
	bool sampled;
};

void kaos__rtt_init(struct kaos__rtt *r);

/* One sample: the time from sending a frame to the STATUS or echo that
 * answered it, of which the receiver held @p ack_delay_ns (capped at
 * @p max_ack_delay_ns; never taken below the minimum RTT). */
void kaos__rtt_sample(struct kaos__rtt *r, uint64_t sample_ns, uint64_t ack_delay_ns,
		      uint64_t max_ack_delay_ns);

/* How long after a later frame was answered an unanswered one counts as
 * lost: 9/8 of the larger of smoothed and latest RTT, at least the
 * timer granularity. */
uint64_t kaos__rtt_loss_delay(const struct kaos__rtt *r);

/* The probe timeout: smoothed + max(4 var, granularity) + max ack delay. */
uint64_t kaos__rtt_pto(const struct kaos__rtt *r, uint64_t max_ack_delay_ns);

struct kaos__cc {
	uint64_t mss;      /* the largest datagram */
	uint64_t cwnd;     /* bytes that may be in flight */
	uint64_t ssthresh;
	uint64_t in_flight;
	uint64_t recovery_start_ns; /* losses of frames sent before: no new cut */
	bool in_recovery;
	bool none; /* cc=none: no window */
};

/* A window for datagrams of @p mss bytes: min(10 mss, max(2 mss, 14720))
 * to start, as RFC 9002. */
void kaos__cc_init(struct kaos__cc *c, uint64_t mss, bool none);

void kaos__cc_sent(struct kaos__cc *c, uint64_t bytes);

/* @p bytes sent at @p sent_ns were acknowledged: the window grows (not
 * for frames sent before the current recovery began). */
void kaos__cc_acked(struct kaos__cc *c, uint64_t bytes, uint64_t sent_ns);

/* @p bytes sent at @p sent_ns are lost, found at @p now_ns: the window
 * halves, once per recovery (a loss of a frame sent before the recovery
 * began does not cut it again). */
void kaos__cc_lost(struct kaos__cc *c, uint64_t bytes, uint64_t sent_ns, uint64_t now_ns);

/* Bytes the window lets be sent now (UINT64_MAX with cc=none). */
uint64_t kaos__cc_room(const struct kaos__cc *c);

/* The gap to leave after sending @p bytes, pacing at 1.25 cwnd / srtt
 * (0 with cc=none or before an RTT sample). */
uint64_t kaos__cc_pace_ns(const struct kaos__cc *c, const struct kaos__rtt *r, uint64_t bytes);

#endif /* KAOS_RUDP_CC_H */
