/* SPDX-License-Identifier: MIT */
/*
 * A sender's answer to NAKs, after Aeron's retransmit handler: a NAKed
 * range is clamped to what the sender still retains (at or above what
 * was acknowledged, below what was sent: a NAK is the peer's word, never
 * an index), resent once, then ignored for a linger (10 ms), so that a
 * burst of NAKs for one gap costs one retransmission. At most 16 ranges
 * are pending or lingering at once; NAKs beyond that wait for the next
 * NAK (the receiver repeats it after an RTT). Fixed memory. Times are
 * a monotonic clock in ns, from 1 (0 marks "not sent yet").
 */
#ifndef KAOS_RUDP_RESEND_H
#define KAOS_RUDP_RESEND_H

#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

#define KAOS__RESEND_MAX 16                /* ranges pending or lingering */
#define KAOS__RESEND_LINGER_NS 10000000ull /* repeats ignored this long */

struct kaos__resend {
	uint32_t n;
	struct kaos__resend_entry {
		struct kaos__wire_range r;
		uint64_t linger_until; /* 0: not sent yet */
	} e[KAOS__RESEND_MAX];
};

void kaos__resend_init(struct kaos__resend *s);

/* The ranges of a NAK received at @p now_ns, for a stream retained in
 * [@p acked, @p sent): each is clamped to it, and what is already
 * pending or lingering is taken out; the rest is scheduled while there
 * is room. Returns how many ranges were scheduled. */
uint32_t kaos__resend_nak(struct kaos__resend *s, const struct kaos__wire_nak *nak,
			  uint64_t acked, uint64_t sent, uint64_t now_ns);

/* The lowest range due to be resent at @p now_ns: 1 with *@p out (it
 * then lingers), or 0 when none is. */
int kaos__resend_next(struct kaos__resend *s, uint64_t now_ns, struct kaos__wire_range *out);

/* Forget what is acknowledged (below @p acked) and lingers that ended. */
void kaos__resend_expire(struct kaos__resend *s, uint64_t acked, uint64_t now_ns);

#endif /* KAOS_RUDP_RESEND_H */
