/* SPDX-License-Identifier: MIT */
/*
 * RTT estimation and NewReno (src/rudp/cc.h) against values worked out
 * by hand from RFC 9002's formulas.
 */
#include "kaos_test.h"
#include "rudp/cc.h"

#define MS 1000000ull
#define US 1000ull

static void
rtt_follows_rfc_9002(void)
{
	struct kaos__rtt r;
	kaos__rtt_init(&r);
	KAOS_ASSERT_UEQ(r.smoothed, 333 * MS);
	/* before a sample: 333 + 4 x 166.5 + 25 */
	KAOS_ASSERT_UEQ(kaos__rtt_pto(&r, 25 * MS), 333 * MS + 666 * MS + 25 * MS);
	kaos__rtt_sample(&r, 100 * MS, 7 * MS, 25 * MS); /* the first: its delay ignored */
	KAOS_ASSERT_UEQ(r.min, 100 * MS);
	KAOS_ASSERT_UEQ(r.smoothed, 100 * MS);
	KAOS_ASSERT_UEQ(r.var, 50 * MS);
	/* 120 less 10 of ack delay: 110; var (3 x 50 + 10) / 4; srtt (700 + 110) / 8 */
	kaos__rtt_sample(&r, 120 * MS, 10 * MS, 25 * MS);
	KAOS_ASSERT_UEQ(r.latest, 120 * MS);
	KAOS_ASSERT_UEQ(r.min, 100 * MS);
	KAOS_ASSERT_UEQ(r.var, 40 * MS);
	KAOS_ASSERT_UEQ(r.smoothed, 101250 * US);
	/* a delay above the maximum counts as the maximum: 130 - 25 = 105 */
	kaos__rtt_sample(&r, 130 * MS, 100 * MS, 25 * MS);
	KAOS_ASSERT_UEQ(r.smoothed, (7 * 101250 * US + 105 * MS) / 8);
	/* a delay that would take the sample below the minimum is ignored */
	struct kaos__rtt before = r;
	kaos__rtt_sample(&r, 105 * MS, 20 * MS, 25 * MS);
	uint64_t dev = before.smoothed > 105 * MS ? before.smoothed - 105 * MS
						  : 105 * MS - before.smoothed;
	KAOS_ASSERT_UEQ(r.var, (3 * before.var + dev) / 4);
	KAOS_ASSERT_UEQ(r.smoothed, (7 * before.smoothed + 105 * MS) / 8);
	/* the minimum follows the lowest sample */
	kaos__rtt_sample(&r, 60 * MS, 0, 25 * MS);
	KAOS_ASSERT_UEQ(r.min, 60 * MS);
	/* loss delay: 9/8 of the larger of smoothed and latest */
	uint64_t big = r.smoothed > r.latest ? r.smoothed : r.latest;
	KAOS_ASSERT_UEQ(kaos__rtt_loss_delay(&r), big + big / 8);
	KAOS_ASSERT_UEQ(kaos__rtt_pto(&r, 25 * MS),
			r.smoothed + (4 * r.var > MS ? 4 * r.var : MS) + 25 * MS);
	/* a tiny path: the timer's granularity is the floor */
	kaos__rtt_init(&r);
	kaos__rtt_sample(&r, 100 * US, 0, 0);
	KAOS_ASSERT_UEQ(kaos__rtt_loss_delay(&r), MS);
	KAOS_ASSERT_UEQ(kaos__rtt_pto(&r, 0), 100 * US + MS); /* 4 x 50 us < 1 ms */
}

static void
initial_window_follows_rfc_9002(void)
{
	struct kaos__cc c;
	kaos__cc_init(&c, 1408, false);
	KAOS_ASSERT_UEQ(c.cwnd, 14080); /* 10 mss under 14,720 */
	kaos__cc_init(&c, 1472, false);
	KAOS_ASSERT_UEQ(c.cwnd, 14720);
	kaos__cc_init(&c, 9000, false);
	KAOS_ASSERT_UEQ(c.cwnd, 18000); /* 2 mss above 14,720 */
	KAOS_ASSERT_UEQ(kaos__cc_room(&c), 18000);
	kaos__cc_sent(&c, 10000);
	KAOS_ASSERT_UEQ(kaos__cc_room(&c), 8000);
	kaos__cc_sent(&c, 10000);
	KAOS_ASSERT_UEQ(kaos__cc_room(&c), 0);
}

static void
slow_start_then_avoidance_then_one_cut_per_recovery(void)
{
	struct kaos__cc c;
	kaos__cc_init(&c, 1000, false); /* cwnd 10,000 */
	/* slow start: a window acknowledged doubles it */
	uint64_t t = 0;
	for (int rt = 0; rt < 3; rt++) {
		uint64_t w = c.cwnd;
		for (uint64_t b = 0; b < w; b += 1000)
			kaos__cc_sent(&c, 1000);
		for (uint64_t b = 0; b < w; b += 1000)
			kaos__cc_acked(&c, 1000, t);
		KAOS_ASSERT_UEQ(c.cwnd, 2 * w);
		KAOS_ASSERT_UEQ(c.in_flight, 0);
		t += 10 * MS;
	}
	KAOS_ASSERT_UEQ(c.cwnd, 80000);
	/* a loss: half, and ssthresh there */
	kaos__cc_sent(&c, 4000);
	kaos__cc_lost(&c, 1000, t, t + 5 * MS);
	KAOS_ASSERT_UEQ(c.cwnd, 40000);
	KAOS_ASSERT_UEQ(c.ssthresh, 40000);
	KAOS_ASSERT_UEQ(c.in_flight, 3000);
	/* more losses and acks of what was sent before the recovery: no
	 * second cut, no growth */
	kaos__cc_lost(&c, 1000, t + 1, t + 6 * MS);
	kaos__cc_acked(&c, 1000, t + 2);
	kaos__cc_sent(&c, 1000);
	kaos__cc_lost(&c, 1000, t + 5 * MS, t + 7 * MS); /* sent as the recovery began */
	KAOS_ASSERT_UEQ(c.cwnd, 40000);
	KAOS_ASSERT_UEQ(c.in_flight, 1000);
	/* acks of what was sent after it: one datagram per window */
	uint64_t after = t + 6 * MS;
	kaos__cc_acked(&c, 1000, after);
	KAOS_ASSERT_UEQ(c.cwnd, 40000 + 1000 * 1000 / 40000);
	KAOS_ASSERT_UEQ(c.in_flight, 0);
	uint64_t w = c.cwnd;
	for (uint64_t b = 0; b < w; b += 1000)
		kaos__cc_acked(&c, 1000, after);
	KAOS_ASSERT_GE(c.cwnd, w + 900); /* about one mss per window acked */
	KAOS_ASSERT_LE(c.cwnd, w + 1000);
	/* a loss of a frame sent after the recovery began: a new cut */
	kaos__cc_lost(&c, 1000, after, after + 20 * MS);
	KAOS_ASSERT_UEQ(c.cwnd, c.ssthresh);
	/* never below two datagrams */
	for (int i = 0; i < 20; i++) {
		uint64_t now = after + (uint64_t)(i + 2) * 100 * MS;
		kaos__cc_lost(&c, 1000, now - MS, now);
	}
	KAOS_ASSERT_UEQ(c.cwnd, 2000);
	KAOS_ASSERT_UEQ(c.in_flight, 0); /* never below zero either */
}

static void
pacing_and_no_window(void)
{
	struct kaos__cc c;
	struct kaos__rtt r;
	kaos__rtt_init(&r);
	kaos__cc_init(&c, 1408, false);
	KAOS_ASSERT_UEQ(kaos__cc_pace_ns(&c, &r, 1408), 0); /* no sample yet */
	kaos__rtt_sample(&r, 10 * MS, 0, 0);
	/* 1,408 bytes at 1.25 x 14,080 bytes per 10 ms: 0.8 ms */
	KAOS_ASSERT_UEQ(kaos__cc_pace_ns(&c, &r, 1408), 800 * US);
	/* no overflow with a huge window and RTT */
	c.cwnd = UINT64_MAX / 2;
	r.smoothed = 10ull * 1000 * MS;
	KAOS_ASSERT_LT(kaos__cc_pace_ns(&c, &r, UINT32_MAX), MS);
	kaos__cc_init(&c, 1408, true);
	kaos__cc_sent(&c, 1u << 30);
	KAOS_ASSERT_UEQ(kaos__cc_room(&c), UINT64_MAX);
	KAOS_ASSERT_UEQ(kaos__cc_pace_ns(&c, &r, 1408), 0);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(rtt_follows_rfc_9002),
		KAOS_TEST(initial_window_follows_rfc_9002),
		KAOS_TEST(slow_start_then_avoidance_then_one_cut_per_recovery),
		KAOS_TEST(pacing_and_no_window),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
