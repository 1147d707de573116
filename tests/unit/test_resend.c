/* SPDX-License-Identifier: MIT */
/*
 * A sender's answer to NAKs (src/rudp/resend.h): clamped to what is
 * retained, resent once per linger, overlaps split, at most 16 at once;
 * and, over random NAKs, sends and acknowledgements, the ranges it keeps
 * stay ordered, disjoint and inside what is retained.
 */
#include <string.h>

#include "kaos_test.h"
#include "rudp/resend.h"

#define MS 1000000ull

static struct kaos__wire_nak
nak1(uint64_t start, uint64_t end)
{
	struct kaos__wire_nak n = { .nranges = 1 };
	n.ranges[0] = (struct kaos__wire_range){ start, end };
	return n;
}

static void
expect_next(struct kaos__resend *s, uint64_t now, uint64_t start, uint64_t end)
{
	struct kaos__wire_range r;
	KAOS_ASSERT_EQ(kaos__resend_next(s, now, &r), 1);
	KAOS_ASSERT_UEQ(r.start, start);
	KAOS_ASSERT_UEQ(r.end, end);
}

static void
clamped_to_what_is_retained(void)
{
	struct kaos__resend s;
	kaos__resend_init(&s);
	struct kaos__wire_nak n = nak1(0, 100);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 50, 80, 1), 1);
	expect_next(&s, 1, 50, 80);
	struct kaos__wire_range r;
	KAOS_ASSERT_EQ(kaos__resend_next(&s, 1, &r), 0);
	n = nak1(0, 50); /* all acknowledged */
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 50, 80, 2), 0);
	n = nak1(80, 1u << 30); /* never sent */
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 50, 80, 2), 0);
	n = nak1(UINT64_MAX - 1, UINT64_MAX);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 50, 80, 2), 0);
}

static void
resent_once_per_linger(void)
{
	struct kaos__resend s;
	kaos__resend_init(&s);
	struct kaos__wire_nak n = nak1(100, 200);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 1 * MS), 1);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 1 * MS), 0); /* pending */
	expect_next(&s, 2 * MS, 100, 200);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 5 * MS), 0); /* lingering */
	struct kaos__wire_range r;
	KAOS_ASSERT_EQ(kaos__resend_next(&s, 5 * MS, &r), 0);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 12 * MS - 1), 0);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 12 * MS), 1); /* linger over */
	expect_next(&s, 12 * MS, 100, 200);
}

static void
overlaps_are_split(void)
{
	struct kaos__resend s;
	kaos__resend_init(&s);
	struct kaos__wire_nak n = nak1(100, 200);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 1), 1);
	expect_next(&s, 1, 100, 200);
	n = nak1(300, 400);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 2), 1); /* pending */
	/* around and between both */
	n = nak1(50, 450);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1000, 3), 3);
	expect_next(&s, 4, 50, 100);
	expect_next(&s, 4, 200, 300);
	expect_next(&s, 4, 300, 400);
	expect_next(&s, 4, 400, 450);
	struct kaos__wire_range r;
	KAOS_ASSERT_EQ(kaos__resend_next(&s, 4, &r), 0);
	/* an acknowledgement drops what it covers, trims what it cuts */
	kaos__resend_expire(&s, 350, 5);
	KAOS_ASSERT_UEQ(s.n, 2);
	KAOS_ASSERT_UEQ(s.e[0].r.start, 350);
	KAOS_ASSERT_UEQ(s.e[1].r.start, 400);
}

static void
at_most_sixteen_at_once(void)
{
	struct kaos__resend s;
	kaos__resend_init(&s);
	struct kaos__wire_nak n = { .nranges = KAOS__WIRE_NAK_RANGES };
	for (uint32_t i = 0; i < n.nranges; i++)
		n.ranges[i] = (struct kaos__wire_range){ 100 * i, 100 * i + 10 };
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &n, 0, 1u << 20, 1), KAOS__RESEND_MAX);
	struct kaos__wire_nak more = nak1(5000, 5010);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &more, 0, 1u << 20, 1), 0); /* full */
	struct kaos__wire_range r;
	for (uint32_t i = 0; i < KAOS__RESEND_MAX; i++)
		KAOS_ASSERT_EQ(kaos__resend_next(&s, 2, &r), 1);
	KAOS_ASSERT_UEQ(kaos__resend_nak(&s, &more, 0, 1u << 20, 2 + KAOS__RESEND_LINGER_NS), 1);
}

/* Random NAKs, acknowledgements and sends over a moving window. */
static void
invariants_hold_under_random_naks(void)
{
	uint64_t seed = 0x5E17D + kaos_test_soak_round;
	uint64_t rounds = kaos_test_scaled(20000, 1000);
	struct kaos__resend s;
	kaos__resend_init(&s);
	uint64_t acked = 0, sent = 10000, now = 1, handed = 0;
	for (uint64_t i = 0; i < rounds; i++) {
		now += 1 + kaos_test_rand(&seed) % (2 * MS);
		switch (kaos_test_rand(&seed) % 4) {
		case 0: { /* a NAK of ordered ranges around the window */
			struct kaos__wire_nak n = { .nranges = 1 + (uint32_t)(kaos_test_rand(&seed) % 16) };
			uint64_t at = acked > 3000 ? acked - 3000 : 0;
			for (uint32_t k = 0; k < n.nranges; k++) {
				at += 1 + kaos_test_rand(&seed) % 800;
				uint64_t len = 1 + kaos_test_rand(&seed) % 500;
				n.ranges[k] = (struct kaos__wire_range){ at, at + len };
				at += len;
			}
			kaos__resend_nak(&s, &n, acked, sent, now);
			break;
		}
		case 1: { /* resend what is due */
			struct kaos__wire_range r;
			while (kaos__resend_next(&s, now, &r) == 1) {
				KAOS_ASSERT(r.start >= acked && r.end <= sent && r.start < r.end);
				handed++;
			}
			break;
		}
		case 2:
			acked += kaos_test_rand(&seed) % 600;
			if (acked > sent)
				acked = sent;
			kaos__resend_expire(&s, acked, now);
			break;
		default:
			sent += kaos_test_rand(&seed) % 600;
			break;
		}
		KAOS_ASSERT_LE(s.n, KAOS__RESEND_MAX);
		for (uint32_t k = 0; k < s.n; k++) {
			KAOS_ASSERT_LT(s.e[k].r.start, s.e[k].r.end);
			KAOS_ASSERT_GE(s.e[k].r.start, acked);
			KAOS_ASSERT_LE(s.e[k].r.end, sent);
			if (k)
				KAOS_ASSERT_LE(s.e[k - 1].r.end, s.e[k].r.start);
			/* a handed-out range lingers exactly its time */
			KAOS_ASSERT(s.e[k].linger_until == 0 ||
				    s.e[k].linger_until <= now + KAOS__RESEND_LINGER_NS);
		}
	}
	KAOS_ASSERT_GT(handed, 0);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(clamped_to_what_is_retained),
		KAOS_TEST(resent_once_per_linger),
		KAOS_TEST(overlaps_are_split),
		KAOS_TEST(at_most_sixteen_at_once),
		KAOS_TEST(invariants_hold_under_random_naks),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
