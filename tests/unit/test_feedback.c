/* SPDX-License-Identifier: MIT */
/*
 * When a receiver sends STATUS and NAK (src/rudp/feedback.h): STATUS on
 * its interval or a quarter window consumed; a gap NAKed after the NAK
 * delay, not again within a round trip, its times kept as it shrinks or
 * splits; a filled gap never NAKed.
 */
#include "kaos_test.h"
#include "rudp/feedback.h"

#define MS 1000000ull
#define US 1000ull

static void
status_on_interval_or_quarter_window(void)
{
	struct kaos__feedback f;
	kaos__feedback_init(&f, 4000, 1 * MS);
	KAOS_ASSERT(!kaos__feedback_status_due(&f, 1 * MS, 0));
	KAOS_ASSERT(!kaos__feedback_status_due(&f, 201 * MS - 1, 999));
	KAOS_ASSERT(kaos__feedback_status_due(&f, 201 * MS, 0));
	KAOS_ASSERT(kaos__feedback_status_due(&f, 2 * MS, 1000)); /* a quarter of 4,000 */
	kaos__feedback_status_sent(&f, 2 * MS, 1000);
	KAOS_ASSERT(!kaos__feedback_status_due(&f, 3 * MS, 1999));
	KAOS_ASSERT(kaos__feedback_status_due(&f, 3 * MS, 2000));
	KAOS_ASSERT(kaos__feedback_status_due(&f, 202 * MS, 1000));
}

static void
a_gap_is_naked_after_the_delay_then_once_per_rtt(void)
{
	struct kaos__feedback f;
	kaos__feedback_init(&f, 1 << 20, 1);
	struct kaos__ranges got;
	kaos__ranges_init(&got, 0);
	kaos__ranges_add(&got, 0, 100);
	kaos__ranges_add(&got, 200, 300); /* [100, 200) missing */
	struct kaos__wire_range out[KAOS__WIRE_NAK_RANGES];
	uint64_t t = 10 * MS, rtt = 5 * MS;
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 300, t, rtt, out), 0); /* just seen */
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 300, t + 99 * US, rtt, out), 0);
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 300, t + 100 * US, rtt, out), 1);
	KAOS_ASSERT(out[0].start == 100 && out[0].end == 200);
	/* within a round trip of the NAK: quiet */
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 300, t + 5 * MS, rtt, out), 0);
	/* half of it arrives: the rest keeps the NAK's time */
	kaos__ranges_add(&got, 100, 150);
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 300, t + 5 * MS + 99 * US, rtt, out), 0);
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 300, t + 5 * MS + 100 * US, rtt, out), 1);
	KAOS_ASSERT(out[0].start == 150 && out[0].end == 200);
	/* a new gap above (the sender's heartbeat says it sent up to 500):
	 * its own delay, while the old one waits for its round trip */
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 500, t + 6 * MS, rtt, out), 0);
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 500, t + 6 * MS + 100 * US, rtt, out), 1);
	KAOS_ASSERT(out[0].start == 300 && out[0].end == 500);
	/* filled: never NAKed again */
	kaos__ranges_add(&got, 150, 500);
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 500, t + 60 * MS, rtt, out), 0);
	KAOS_ASSERT_UEQ(f.ngaps, 0);
}

static void
a_split_gap_keeps_its_times(void)
{
	struct kaos__feedback f;
	kaos__feedback_init(&f, 1 << 20, 1);
	struct kaos__ranges got;
	kaos__ranges_init(&got, 0);
	kaos__ranges_add(&got, 1000, 1100); /* [0, 1000) missing */
	struct kaos__wire_range out[KAOS__WIRE_NAK_RANGES];
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 1100, 1 * MS, MS, out), 0);
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 1100, 1 * MS + 100 * US, MS, out), 1);
	/* the middle arrives: two gaps, both already NAKed */
	kaos__ranges_add(&got, 400, 600);
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 1100, 1 * MS + 500 * US, MS, out), 0);
	KAOS_ASSERT_UEQ(f.ngaps, 2);
	KAOS_ASSERT_UEQ(f.gaps[0].seen_ns, 1 * MS);
	KAOS_ASSERT_UEQ(f.gaps[1].seen_ns, 1 * MS);
	/* a round trip after the NAK: both again */
	KAOS_ASSERT_UEQ(kaos__feedback_naks(&f, &got, 1100, 2 * MS + 100 * US, MS, out), 2);
	KAOS_ASSERT(out[0].start == 0 && out[0].end == 400);
	KAOS_ASSERT(out[1].start == 600 && out[1].end == 1000);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(status_on_interval_or_quarter_window),
		KAOS_TEST(a_gap_is_naked_after_the_delay_then_once_per_rtt),
		KAOS_TEST(a_split_gap_keeps_its_times),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
