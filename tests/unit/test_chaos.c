/* SPDX-License-Identifier: MIT */
/*
 * The network impairment behind tools/kaos-chaos (src/rudp/chaos.h), on a
 * virtual clock: each impairment does what it says to the datagrams and
 * counts it, a seed replays a run exactly, bad configurations and specs
 * are refused.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kaos_test.h"
#include "rudp/chaos.h"
#include "rudp/wire.h"

#define MS 1000000ull
#define US 1000ull

static struct kaos__chaos *
make(const struct kaos__chaos_config *cfg)
{
	struct kaos__chaos *c = NULL;
	KAOS_ASSERT_OK(kaos__chaos_new(cfg, &c));
	return c;
}

/* Datagram i: 64 bytes, eight copies of i, so that it is known by the
 * majority of its words even with one byte changed. */
static void
datagram(uint64_t i, unsigned char d[64])
{
	for (int w = 0; w < 8; w++)
		memcpy(d + 8 * w, &i, 8);
}

static uint64_t
index_of(const unsigned char *d)
{
	uint64_t w[8];
	memcpy(w, d, 64);
	return w[0] == w[1] || w[0] == w[2] ? w[0] : w[1];
}

static void
stats_add_up(const struct kaos__chaos *c)
{
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c, &s);
	uint64_t dropped = s.dropped_loss + s.dropped_type + s.dropped_partition + s.dropped_queue;
	/* every datagram in: dropped, or delivered/held (with its duplicate) */
	KAOS_ASSERT_UEQ(s.in - dropped + s.duplicated, s.delivered + s.held);
}

static void
passes_through_in_order_with_its_delay(void)
{
	struct kaos__chaos_config cfg = { .seed = 1, .delay_ns = 5 * MS };
	struct kaos__chaos *c = make(&cfg);
	unsigned char d[64], out[64];
	KAOS_ASSERT_UEQ(kaos__chaos_next_ns(c), UINT64_MAX);
	for (uint64_t i = 0; i < 100; i++) {
		datagram(i, d);
		KAOS_ASSERT_OK(kaos__chaos_push(c, i * US, d, sizeof(d)));
	}
	KAOS_ASSERT_UEQ(kaos__chaos_next_ns(c), 5 * MS);
	KAOS_ASSERT_EQ(kaos__chaos_pop(c, 5 * MS - 1, out, sizeof(out)), 0);
	for (uint64_t i = 0; i < 100; i++) {
		KAOS_ASSERT_UEQ(kaos__chaos_next_ns(c), 5 * MS + i * US);
		KAOS_ASSERT_EQ(kaos__chaos_pop(c, 5 * MS + i * US, out, sizeof(out)), 64);
		datagram(i, d);
		KAOS_ASSERT(memcmp(out, d, 64) == 0);
	}
	KAOS_ASSERT_EQ(kaos__chaos_pop(c, UINT64_MAX, out, sizeof(out)), 0);
	stats_add_up(c);
	kaos__chaos_free(c);
}

/* Push n datagrams 1 us apart and drain them; the indices delivered go
 * to @p got (NULL: not kept), their count is returned. */
static uint64_t
run(struct kaos__chaos *c, uint64_t n, uint64_t *got, unsigned char (*copies)[64])
{
	unsigned char d[64], out[64];
	uint64_t k = 0;
	for (uint64_t i = 0; i < n; i++) {
		datagram(i, d);
		KAOS_ASSERT_OK(kaos__chaos_push(c, i * US, d, sizeof(d)));
	}
	long len;
	while ((len = kaos__chaos_pop(c, UINT64_MAX, out, sizeof(out))) > 0) {
		KAOS_ASSERT_EQ(len, 64);
		if (got)
			got[k] = index_of(out);
		if (copies)
			memcpy(copies[k], out, 64);
		k++;
	}
	KAOS_ASSERT_EQ(len, 0);
	stats_add_up(c);
	return k;
}

static void
loss_is_seeded_and_counted(void)
{
	enum { N = 100000 };
	uint64_t *a = malloc(N * sizeof(*a)), *b = malloc(N * sizeof(*b));
	KAOS_ASSERT(a && b);
	struct kaos__chaos_config cfg = { .seed = 42, .loss = 0.05 };
	struct kaos__chaos *c1 = make(&cfg), *c2 = make(&cfg);
	uint64_t n1 = run(c1, N, a, NULL), n2 = run(c2, N, b, NULL);
	KAOS_ASSERT_UEQ(n1, n2);
	KAOS_ASSERT(memcmp(a, b, n1 * sizeof(*a)) == 0); /* the same seed, the same run */
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c1, &s);
	KAOS_ASSERT_UEQ(s.in, N);
	KAOS_ASSERT_UEQ(s.dropped_loss, N - n1);
	/* 5% of 100,000: 5,000, standard deviation 69 */
	KAOS_ASSERT_GT(s.dropped_loss, 4500);
	KAOS_ASSERT_LT(s.dropped_loss, 5500);
	for (uint64_t i = 1; i < n1; i++)
		KAOS_ASSERT_LT(a[i - 1], a[i]); /* in order, nothing twice */
	cfg.seed = 43;
	struct kaos__chaos *c3 = make(&cfg);
	uint64_t n3 = run(c3, N, b, NULL);
	KAOS_ASSERT(n3 != n1 || memcmp(a, b, n1 * sizeof(*a)) != 0); /* another seed, another run */
	kaos__chaos_free(c1);
	kaos__chaos_free(c2);
	kaos__chaos_free(c3);
	free(a);
	free(b);
}

static void
duplicates_and_corruption_are_what_they_say(void)
{
	enum { N = 20000 };
	unsigned char(*copies)[64] = malloc(2 * N * 64);
	KAOS_ASSERT(copies);
	struct kaos__chaos_config cfg = { .seed = 7, .duplicate = 0.1, .corrupt = 0.02 };
	struct kaos__chaos *c = make(&cfg);
	uint64_t n = run(c, N, NULL, copies);
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c, &s);
	KAOS_ASSERT_UEQ(n, N + s.duplicated);
	KAOS_ASSERT_GT(s.duplicated, 1600); /* 10% of 20,000: 2,000 (sd 42) */
	KAOS_ASSERT_LT(s.duplicated, 2400);
	KAOS_ASSERT_GT(s.corrupted, 300); /* 2%: 400 (sd 20) */
	KAOS_ASSERT_LT(s.corrupted, 500);
	uint64_t damaged = 0, twins = 0;
	unsigned char d[64];
	for (uint64_t k = 0; k < n; k++) {
		uint64_t idx = index_of(copies[k]);
		datagram(idx, d);
		int diff = 0;
		for (int b = 0; b < 64; b++)
			diff += copies[k][b] != d[b];
		KAOS_ASSERT_LE(diff, 1); /* one byte changed, or none */
		damaged += diff;
		/* a duplicate follows its original at once (the copy is
		 * never the corrupted one) */
		if (k && index_of(copies[k - 1]) == idx) {
			twins++;
			KAOS_ASSERT_EQ(memcmp(copies[k], d, 64), 0);
		}
	}
	KAOS_ASSERT_UEQ(damaged, s.corrupted);
	KAOS_ASSERT_UEQ(twins, s.duplicated);
	kaos__chaos_free(c);
	free(copies);
}

static void
reordering_holds_some_back(void)
{
	enum { N = 10000 };
	uint64_t *got = malloc(N * sizeof(*got));
	KAOS_ASSERT(got);
	struct kaos__chaos_config cfg = { .seed = 3, .reorder = 0.05, .reorder_ns = 200 * US };
	struct kaos__chaos *c = make(&cfg);
	uint64_t n = run(c, N, got, NULL);
	KAOS_ASSERT_UEQ(n, N);
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c, &s);
	KAOS_ASSERT_GT(s.reordered, 400);
	KAOS_ASSERT_LT(s.reordered, 600);
	/* each held-back datagram lands after those that came up to 200 us
	 * (200 datagrams) after it: count the datagrams that some later
	 * index overtook */
	uint64_t overtaken = 0, max_seen = 0;
	bool *seen = calloc(N, 1);
	KAOS_ASSERT(seen);
	for (uint64_t k = 0; k < n; k++) {
		KAOS_ASSERT(!seen[got[k]]);
		seen[got[k]] = true;
		if (got[k] < max_seen)
			overtaken++;
		if (got[k] > max_seen)
			max_seen = got[k];
	}
	KAOS_ASSERT_GT(overtaken, 0);
	KAOS_ASSERT_LE(overtaken, s.reordered);
	free(seen);
	free(got);
	kaos__chaos_free(c);
}

/* 8 Mbit/s is one byte per microsecond: 1,000-byte datagrams leave
 * 1 ms apart, and a 10,000-byte queue takes ten at a time. */
static void
bottleneck_paces_and_drops_at_its_queue(void)
{
	struct kaos__chaos_config cfg = { .seed = 1, .rate_bps = 8000000, .queue_bytes = 10000 };
	struct kaos__chaos *c = make(&cfg);
	static unsigned char d[1000], out[1000];
	for (int i = 0; i < 30; i++)
		KAOS_ASSERT_OK(kaos__chaos_push(c, 0, d, sizeof(d)));
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c, &s);
	KAOS_ASSERT_UEQ(s.dropped_queue, 20);
	KAOS_ASSERT_UEQ(s.held, 10);
	for (uint64_t i = 1; i <= 10; i++) {
		KAOS_ASSERT_UEQ(kaos__chaos_next_ns(c), i * MS);
		KAOS_ASSERT_EQ(kaos__chaos_pop(c, i * MS, out, sizeof(out)), 1000);
	}
	/* half drained at 5 ms: five fit again */
	for (int i = 0; i < 8; i++)
		KAOS_ASSERT_OK(kaos__chaos_push(c, 15 * MS, d, sizeof(d)));
	kaos__chaos_stats(c, &s);
	KAOS_ASSERT_UEQ(s.dropped_queue, 20);
	KAOS_ASSERT_UEQ(kaos__chaos_next_ns(c), 16 * MS); /* the link was idle: from now */
	stats_add_up(c);
	kaos__chaos_free(c);
}

static void
partitions_drop_everything_in_their_window(void)
{
	struct kaos__chaos_config cfg = { .seed = 1, .npartitions = 2 };
	cfg.partitions[0].start_ns = 1000 * MS;
	cfg.partitions[0].end_ns = 2000 * MS;
	cfg.partitions[1].start_ns = 3000 * MS;
	cfg.partitions[1].end_ns = 3001 * MS;
	struct kaos__chaos *c = make(&cfg);
	unsigned char d[64], out[64];
	const struct {
		uint64_t at;
		bool passes;
	} at[] = { { 0, true },	       { 999 * MS, true },  { 1000 * MS, false }, { 1999 * MS, false },
		   { 2000 * MS, true }, { 3000 * MS, false }, { 3001 * MS, true } };
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		datagram(i, d);
		KAOS_ASSERT_OK(kaos__chaos_push(c, at[i].at, d, sizeof(d)));
		long got = kaos__chaos_pop(c, at[i].at, out, sizeof(out));
		KAOS_ASSERT_EQ(got, at[i].passes ? 64 : 0);
	}
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c, &s);
	KAOS_ASSERT_UEQ(s.dropped_partition, 3);
	kaos__chaos_free(c);
}

static size_t
wire_datagram(unsigned char *buf, size_t cap, uint8_t type)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, cap, 9));
	struct kaos__wire_heartbeat hb = { 1 };
	KAOS_ASSERT_OK(kaos__wire_heartbeat_add(&b, 0, &hb));
	if (type == KAOS__WIRE_STATUS) {
		struct kaos__wire_status st = { .window_limit = 100 };
		KAOS_ASSERT_OK(kaos__wire_status_add(&b, 0, &st));
	}
	kaos__wire_seal(&b);
	return b.len;
}

static void
drops_by_frame_type(void)
{
	struct kaos__chaos_config cfg = { .seed = 1, .drop_types = 1u << KAOS__WIRE_STATUS };
	struct kaos__chaos *c = make(&cfg);
	_Alignas(8) unsigned char d[256], out[256];
	size_t with = wire_datagram(d, sizeof(d), KAOS__WIRE_STATUS);
	KAOS_ASSERT_OK(kaos__chaos_push(c, 0, d, with));
	KAOS_ASSERT_EQ(kaos__chaos_pop(c, 0, out, sizeof(out)), 0);
	size_t without = wire_datagram(d, sizeof(d), KAOS__WIRE_HEARTBEAT);
	KAOS_ASSERT_OK(kaos__chaos_push(c, 0, d, without));
	KAOS_ASSERT_EQ(kaos__chaos_pop(c, 0, out, sizeof(out)), (long)without);
	/* a STATUS frame in a datagram whose seal is broken: not parsed as
	 * ours, so not dropped by type */
	with = wire_datagram(d, sizeof(d), KAOS__WIRE_STATUS);
	d[5] ^= 1;
	KAOS_ASSERT_OK(kaos__chaos_push(c, 0, d, with));
	KAOS_ASSERT_EQ(kaos__chaos_pop(c, 0, out, sizeof(out)), (long)with);
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c, &s);
	KAOS_ASSERT_UEQ(s.dropped_type, 1);
	/* a buffer too small: refused, the datagram stays */
	KAOS_ASSERT_OK(kaos__chaos_push(c, 0, d, with));
	KAOS_ASSERT_EQ(kaos__chaos_pop(c, 0, out, 8), -EMSGSIZE);
	KAOS_ASSERT_EQ(kaos__chaos_pop(c, 0, out, sizeof(out)), (long)with);
	kaos__chaos_free(c);
}

static void
bad_configurations_are_refused(void)
{
	struct kaos__chaos *c = NULL;
	struct kaos__chaos_config cfg = { .loss = 1.5 };
	KAOS_ASSERT_EQ(kaos__chaos_new(&cfg, &c), -EINVAL);
	cfg = (struct kaos__chaos_config){ .duplicate = -0.1 };
	KAOS_ASSERT_EQ(kaos__chaos_new(&cfg, &c), -EINVAL);
	cfg = (struct kaos__chaos_config){ .corrupt = __builtin_nan("") };
	KAOS_ASSERT_EQ(kaos__chaos_new(&cfg, &c), -EINVAL);
	cfg = (struct kaos__chaos_config){ .rate_bps = 1000 }; /* no queue */
	KAOS_ASSERT_EQ(kaos__chaos_new(&cfg, &c), -EINVAL);
	cfg = (struct kaos__chaos_config){ .npartitions = 2 };
	cfg.partitions[0].start_ns = 10;
	cfg.partitions[0].end_ns = 20;
	cfg.partitions[1].start_ns = 15; /* overlaps */
	cfg.partitions[1].end_ns = 30;
	KAOS_ASSERT_EQ(kaos__chaos_new(&cfg, &c), -EINVAL);
	cfg.npartitions = 1;
	cfg.partitions[0].end_ns = 10; /* empty */
	KAOS_ASSERT_EQ(kaos__chaos_new(&cfg, &c), -EINVAL);
	cfg.npartitions = KAOS__CHAOS_PARTITIONS + 1;
	KAOS_ASSERT_EQ(kaos__chaos_new(&cfg, &c), -EINVAL);
	KAOS_ASSERT_EQ(kaos__chaos_new(NULL, &c), -EINVAL);
	KAOS_ASSERT(c == NULL);
	kaos__chaos_free(NULL);
}

static void
specs_parse_or_name_the_bad_key(void)
{
	struct kaos__chaos_config cfg = { 0 };
	const char *bad = NULL;
	KAOS_ASSERT_OK(kaos__chaos_parse("loss=0.05,dup=0.01,delay=20ms,jitter=5us,"
					 "reorder=0.02:10ms,corrupt=0.001,rate=100mbit,queue=64k,"
					 "drop=status+nak,partition=2s+500ms,partition=3s+1ms,"
					 "seed=18446744073709551615",
					 &cfg, &bad));
	KAOS_ASSERT(cfg.loss == 0.05 && cfg.duplicate == 0.01 && cfg.corrupt == 0.001);
	KAOS_ASSERT(cfg.reorder == 0.02);
	KAOS_ASSERT_UEQ(cfg.delay_ns, 20 * MS);
	KAOS_ASSERT_UEQ(cfg.jitter_ns, 5 * US);
	KAOS_ASSERT_UEQ(cfg.reorder_ns, 10 * MS);
	KAOS_ASSERT_UEQ(cfg.rate_bps, 100000000);
	KAOS_ASSERT_UEQ(cfg.queue_bytes, 65536);
	KAOS_ASSERT_UEQ(cfg.drop_types, (1u << KAOS__WIRE_STATUS) | (1u << KAOS__WIRE_NAK));
	KAOS_ASSERT_UEQ(cfg.npartitions, 2);
	KAOS_ASSERT_UEQ(cfg.partitions[0].start_ns, 2000 * MS);
	KAOS_ASSERT_UEQ(cfg.partitions[0].end_ns, 2500 * MS);
	KAOS_ASSERT_UEQ(cfg.partitions[1].end_ns, 3001 * MS);
	KAOS_ASSERT_UEQ(cfg.seed, UINT64_MAX);
	struct kaos__chaos *c = NULL;
	KAOS_ASSERT_OK(kaos__chaos_new(&cfg, &c));
	kaos__chaos_free(c);
	KAOS_ASSERT_OK(kaos__chaos_parse("", &cfg, &bad));

	const char *const bads[] = {
		"loss=2",	   "loss=-0.1",	     "loss=",		"loss",	     "lost=0.1",
		"delay=20",	   "delay=20 ms",    "delay=20ks",	"rate=10mb", "queue=1g",
		"drop=status+", "drop=foo",	     "drop=",		"reorder=0.1",
		"reorder=0.1:",  "partition=2s",   "partition=2s+0s", "seed=-1", "seed=12x",
		"loss=nan",	   "delay=inf s",
	};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char spec[64];
		snprintf(spec, sizeof(spec), "dup=0.1,%s", bads[i]);
		bad = NULL;
		if (kaos__chaos_parse(spec, &cfg, &bad) != -EINVAL || bad != spec + 8)
			KAOS_FAIL("spec \"%s\": not refused at its second key", spec);
	}
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(passes_through_in_order_with_its_delay),
		KAOS_TEST(loss_is_seeded_and_counted),
		KAOS_TEST(duplicates_and_corruption_are_what_they_say),
		KAOS_TEST(reordering_holds_some_back),
		KAOS_TEST(bottleneck_paces_and_drops_at_its_queue),
		KAOS_TEST(partitions_drop_everything_in_their_window),
		KAOS_TEST(drops_by_frame_type),
		KAOS_TEST(bad_configurations_are_refused),
		KAOS_TEST(specs_parse_or_name_the_bad_key),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
