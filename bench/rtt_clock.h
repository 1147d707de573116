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

/* As bench/workload.h's loop templates: the rest of a side's function, the
 * adapter's calls as expressions (> 0 done, 0 not yet: spin, < 0 failed
 * and printed). */

/* Spin on EXPR until it has done its work; the side fails if it fails. */
#define KI_SPIN(EXPR)                                                           \
	do {                                                                    \
		int kb_rc_;                                                     \
		while ((kb_rc_ = (EXPR)) <= 0) {                                \
			if (kb_rc_ < 0)                                         \
				return -1;                                      \
			kb_relax();                                             \
		}                                                               \
	} while (0)

/* Round trips, the timing side: PUT sends the uint64_t v, GET receives its
 * echo into back; each trip's ticks go to rtt->samples, the echoes' checks
 * to *out. */
#define KI_RTT_PING(events, rtt, v, PUT, back, GET, out)                        \
	do {                                                                    \
		struct kb_gen kb_g_ = kb_gen_start();                           \
		struct kb_check kb_c_ = kb_check_start();                       \
		uint64_t kb_prev_ = ki_rtt_start(rtt);                          \
		for (uint64_t kb_i_ = 0; kb_i_ < (events); kb_i_++) {          \
			uint64_t v = kb_next_value(&kb_g_), back;               \
			KI_SPIN(PUT);                                           \
			KI_SPIN(GET);                                           \
			kb_take_in_order(&kb_c_, back);                         \
			kb_c_.count++;                                          \
			uint64_t kb_t_ = ki_ticks();                            \
			(rtt)->samples[kb_i_] = kb_t_ - kb_prev_;               \
			kb_prev_ = kb_t_;                                       \
		}                                                               \
		ki_rtt_stop(rtt, kb_prev_);                                     \
		*(out) = kb_c_;                                                 \
		return 0;                                                       \
	} while (0)

/* The echo side: GET receives the uint64_t v, PUT sends it back. */
#define KI_RTT_ECHO(events, v, GET, PUT, out)                                   \
	do {                                                                    \
		struct kb_check kb_c_ = kb_check_start();                       \
		for (; kb_c_.count < (events); kb_c_.count++) {                 \
			uint64_t v;                                             \
			KI_SPIN(GET);                                           \
			KI_SPIN(PUT);                                           \
			kb_take_in_order(&kb_c_, v);                            \
		}                                                               \
		*(out) = kb_c_;                                                 \
		return 0;                                                       \
	} while (0)

#endif /* KAOS_BENCH_RTT_CLOCK_H */
