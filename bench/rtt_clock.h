/* SPDX-License-Identifier: MIT */
/*
 * The clock of the round-trip cases (bench_ipc's ipc/rtt_8B, bench_latency):
 * each trip is timed in ticks (ki_ticks), converted to ns with the tick rate
 * measured over the loop itself against CLOCK_MONOTONIC (ki_rtt_ns_per_tick).
 */
#ifndef KAOS_BENCH_RTT_CLOCK_H
#define KAOS_BENCH_RTT_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "workload.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

/* ---- the round-trip clock ------------------------------------------------- */

/* Ticks: the TSC on x86 (rdtscp: it waits for the instructions before it,
 * so a tick read after a receive is not taken before the receive is done),
 * else CLOCK_MONOTONIC ns. Converted to ns with the TSC rate measured over
 * the run itself against CLOCK_MONOTONIC (ki_clock). */
KB_INLINE uint64_t
ki_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned aux;
	return __rdtscp(&aux);
#else
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
#endif
}

static inline uint64_t
ki_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* What the round-trip producer records: a sample per trip (ticks from the
 * end of the previous trip, or from the start, to the end of this one: the
 * samples add up to the whole loop; bench_latency records them into a
 * histogram instead, samples NULL), and two (ticks, ns) points around the
 * loop to convert ticks to ns. */
struct ki_rtt {
	uint64_t *samples; /* one per event, or NULL */
	uint64_t tick0, tick1, ns0, ns1;
};

/* Start / stop the clock of a round-trip loop; ki_rtt_start returns the
 * tick count the first sample starts from. */
static inline uint64_t
ki_rtt_start(struct ki_rtt *r)
{
	r->ns0 = ki_now_ns();
	r->tick0 = ki_ticks();
	return r->tick0;
}

static inline void
ki_rtt_stop(struct ki_rtt *r, uint64_t last_tick)
{
	r->tick1 = last_tick;
	r->ns1 = ki_now_ns();
}

/* ns per tick over the loop, or 0 when the two points do not allow it. */
static inline double
ki_rtt_ns_per_tick(const struct ki_rtt *r)
{
	if (r->tick1 <= r->tick0 || r->ns1 <= r->ns0)
		return 0;
	return (double)(r->ns1 - r->ns0) / (double)(r->tick1 - r->tick0);
}

/* ---- round-trip loops --------------------------------------------------- */

/* As bench/workload.h's loop templates: KI_PING and KI_ECHO are the loops
 * alone, on the adapter's checks c (and its generator g, which TRIP names);
 * KI_RTT_ECHO the rest of the adapter's function (storing the checks in
 * *out, returning 0). TRIP is the adapter's expression for one trip, its
 * calls spinning while the channel is full or empty: nonzero when a call
 * failed (printed), and the function returns -1. Each is the hand-written
 * loop it replaced, token for token. */

/* The timing side: TRIP sends the next value of the adapter's generator
 * (kb_next_value(&g)) and receives its echo into back, checked into c;
 * each trip's ticks go to rtt->samples. DECL declares what one trip needs
 * (KB_NO_DECL: nothing). */
#define KI_PING(c, events, rtt, back, DECL, TRIP)                               \
	do {                                                                    \
		uint64_t kb_prev_ = ki_rtt_start(rtt);                          \
		for (uint64_t kb_i_ = 0; kb_i_ < (events); kb_i_++) {          \
			DECL;                                                   \
			uint64_t back;                                          \
			if (TRIP)                                               \
				return -1;                                      \
			kb_take_in_order(&(c), back);                           \
			(c).count++;                                            \
			uint64_t kb_t_ = ki_ticks();                            \
			(rtt)->samples[kb_i_] = kb_t_ - kb_prev_;               \
			kb_prev_ = kb_t_;                                       \
		}                                                               \
		ki_rtt_stop(rtt, kb_prev_);                                     \
	} while (0)

/* The echo side: TRIP receives the uint64_t v and sends it back; the
 * values are checked into c. */
#define KI_ECHO(c, events, v, TRIP)                                             \
	do {                                                                    \
		for (; (c).count < (events); (c).count++) {                     \
			uint64_t v;                                             \
			if (TRIP)                                               \
				return -1;                                      \
			kb_take_in_order(&(c), v);                              \
		}                                                               \
	} while (0)

#define KI_RTT_ECHO(events, v, TRIP, out)                                       \
	do {                                                                    \
		struct kb_check kb_c_ = kb_check_start();                       \
		KI_ECHO(kb_c_, events, v, TRIP);                                \
		*(out) = kb_c_;                                                 \
		return 0;                                                       \
	} while (0)

#endif /* KAOS_BENCH_RTT_CLOCK_H */
