/* SPDX-License-Identifier: MIT */
/*
 * A session's receive side (src/rudp/rx.h). Messages of 0 to 3,000 bytes,
 * fragmented into frames of up to 1,000, are sent within the window the
 * receiver grants, each round a random subset in random order with loss
 * and duplicates; the receiver delivers exactly the messages sent, in
 * order, byte for byte, each once (the ring wraps many times). Frames
 * beyond the window are refused; fragments that disagree end the
 * session without delivering the damaged message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/error.h>

#include "kaos_test.h"
#include "rudp/rx.h"

#define MAX_MESSAGE 4096
#define PIECE 1000

struct frame {
	_Alignas(8) unsigned char dgram[PIECE + 64];
	size_t len;
	uint64_t pos, end;
	int msg; /* the message it carries a piece of */
};

struct got {
	uint32_t type[4096];
	size_t len[4096];
	unsigned char *data[4096];
	int n;
};

static void
collect(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct got *g = ctx;
	KAOS_ASSERT_LT(g->n, 4096);
	g->type[g->n] = type;
	g->len[g->n] = len;
	g->data[g->n] = malloc(len ? len : 1);
	KAOS_ASSERT(g->data[g->n]);
	memcpy(g->data[g->n], data, len);
	g->n++;
}

/* One DATA frame in a datagram of its own. */
static void
make_frame(struct frame *fr, uint64_t pos, uint8_t flags, uint32_t type, uint32_t msg_len,
	   const unsigned char *payload, uint32_t payload_len)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, fr->dgram, sizeof(fr->dgram), 1));
	struct kaos__wire_data d = { type, msg_len, payload, payload_len };
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, flags, pos, &d));
	kaos__wire_seal(&b);
	fr->len = b.len;
	fr->pos = pos;
	fr->end = pos + kaos__wire_frame_size(KAOS__WIRE_DATA_BODY + payload_len);
}

static int
put(struct kaos__rx *rx, const struct frame *fr)
{
	struct kaos__wire_header h;
	KAOS_ASSERT_EQ(kaos__wire_check(fr->dgram, fr->len, &h), KAOS__WIRE_OK);
	size_t off = KAOS__WIRE_HEADER;
	struct kaos__wire_frame f;
	enum kaos__wire_bad why;
	KAOS_ASSERT_EQ(kaos__wire_next(fr->dgram, fr->len, &off, &f, &why), 1);
	return kaos__rx_put(rx, &f);
}

static void
delivers_every_message_once_in_order(void)
{
	enum { M = 1500 };
	uint64_t seed = 0xD47A + kaos_test_soak_round;
	static uint32_t type[M], len[M];
	static unsigned char *data[M];
	struct frame *frames = malloc(4 * M * sizeof(*frames));
	KAOS_ASSERT(frames);
	int nf = 0;
	uint64_t pos = 64; /* a stream that does not start at 0 */
	for (int m = 0; m < M; m++) {
		type[m] = (uint32_t)kaos_test_rand(&seed);
		len[m] = (uint32_t)(kaos_test_rand(&seed) % 4 == 0 ? 0 : kaos_test_rand(&seed) % 3001);
		data[m] = malloc(len[m] ? len[m] : 1);
		KAOS_ASSERT(data[m]);
		for (uint32_t i = 0; i < len[m]; i++)
			data[m][i] = (unsigned char)kaos_test_rand(&seed);
		uint32_t at = 0;
		do {
			uint32_t piece = len[m] - at < PIECE ? len[m] - at : PIECE;
			uint8_t flags = (at == 0 ? KAOS__WIRE_BEGIN : 0) |
					(at + piece == len[m] ? KAOS__WIRE_END : 0);
			make_frame(&frames[nf], pos, flags, type[m], len[m], data[m] + at, piece);
			frames[nf].msg = m;
			pos = frames[nf].end;
			nf++;
			at += piece;
		} while (at < len[m]);
	}
	struct kaos__rx rx;
	KAOS_ASSERT_OK(kaos__rx_init(&rx, 64, 8192, MAX_MESSAGE));
	struct got *g = calloc(1, sizeof(*g));
	KAOS_ASSERT(g);
	int first = 0; /* frames below were all received */
	uint64_t rounds = 0, dups = 0;
	while (g->n < M) {
		KAOS_ASSERT_LT(rounds++, 1000000);
		uint64_t limit = kaos__rx_window_limit(&rx);
		/* send what the window allows, in random order: lost (20%),
		 * twice (10%) */
		int last = first;
		while (last < nf && frames[last].end <= limit)
			last++;
		for (int k = 0; k < 2 * (last - first) + 1 && last > first; k++) {
			int i = first + (int)(kaos_test_rand(&seed) % (uint64_t)(last - first));
			uint64_t dice = kaos_test_rand(&seed) % 10;
			if (dice < 2)
				continue;
			for (int twice = 0; twice < (dice == 9 ? 2 : 1); twice++) {
				int rc = put(&rx, &frames[i]);
				KAOS_ASSERT(rc == 0 || rc == 1 || rc == -ENOSPC);
				dups += rc == 0;
			}
		}
		/* a frame just past the window is refused */
		if (last < nf)
			KAOS_ASSERT_EQ(put(&rx, &frames[last]), -KAOS_EFULL);
		while (first < nf && frames[first].end <= rx.got.base)
			first++;
		int64_t got = kaos__rx_deliver(&rx, collect, g, 1 + kaos_test_rand(&seed) % 8);
		KAOS_ASSERT_GE(got, 0);
	}
	KAOS_ASSERT_EQ(kaos__rx_deliver(&rx, collect, g, 100), 0);
	/* a late copy of a delivered frame is a duplicate, not a violation */
	KAOS_ASSERT_EQ(put(&rx, &frames[0]), 0);
	KAOS_ASSERT_EQ(put(&rx, &frames[nf - 1]), 0);
	/* a frame that starts below the delivered position and reaches past
	 * it (no honest sender's) is refused: it would write over the far
	 * end of the window (ASan would see the overrun) */
	static struct frame big;
	static const unsigned char zeros[PIECE];
	make_frame(&big, rx.delivered - 8, KAOS__WIRE_BEGIN, 1, PIECE, zeros, PIECE);
	KAOS_ASSERT_EQ(put(&rx, &big), -KAOS_EFULL);
	for (int m = 0; m < M; m++) {
		KAOS_ASSERT_UEQ(g->type[m], type[m]);
		KAOS_ASSERT_UEQ(g->len[m], len[m]);
		KAOS_ASSERT_EQ(memcmp(g->data[m], data[m], len[m]), 0);
		free(g->data[m]);
		free(data[m]);
	}
	KAOS_ASSERT_GT(dups, 0);
	kaos__rx_free(&rx);
	free(g);
	free(frames);
}

static void
disagreeing_fragments_end_the_session(void)
{
	static const unsigned char p[64] = { 1, 2, 3 };
	const struct {
		const char *what;
		uint8_t f1;
		uint32_t t1, l1, n1;
		uint8_t f2;
		uint32_t t2, l2, n2;
	} cases[] = {
		{ "type changes", KAOS__WIRE_BEGIN, 1, 40, 20, KAOS__WIRE_END, 2, 40, 20 },
		{ "length changes", KAOS__WIRE_BEGIN, 1, 40, 20, KAOS__WIRE_END, 1, 41, 21 },
		{ "END without BEGIN", KAOS__WIRE_BEGIN | KAOS__WIRE_END, 1, 8, 8, KAOS__WIRE_END, 1,
		  8, 8 },
		{ "BEGIN inside a message", KAOS__WIRE_BEGIN, 1, 40, 20, KAOS__WIRE_BEGIN, 1, 40, 20 },
		{ "END short of the length", KAOS__WIRE_BEGIN, 1, 40, 10, KAOS__WIRE_END, 1, 40, 10 },
		{ "over max_message", KAOS__WIRE_BEGIN, 1, MAX_MESSAGE + 1, 20, KAOS__WIRE_END, 1,
		  MAX_MESSAGE + 1, 20 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct kaos__rx rx;
		KAOS_ASSERT_OK(kaos__rx_init(&rx, 0, 4096, MAX_MESSAGE));
		struct frame a, b, ok;
		/* a whole message first: delivered before the damage */
		make_frame(&ok, 0, KAOS__WIRE_BEGIN | KAOS__WIRE_END, 9, 3, p, 3);
		make_frame(&a, ok.end, cases[c].f1, cases[c].t1, cases[c].l1, p, cases[c].n1);
		make_frame(&b, a.end, cases[c].f2, cases[c].t2, cases[c].l2, p, cases[c].n2);
		KAOS_ASSERT_EQ(put(&rx, &b), 1);
		KAOS_ASSERT_EQ(put(&rx, &a), 1);
		KAOS_ASSERT_EQ(put(&rx, &ok), 1);
		struct got *g = calloc(1, sizeof(*g));
		KAOS_ASSERT(g);
		int64_t r = kaos__rx_deliver(&rx, collect, g, 10);
		/* the good message, then the error on the next call (or at once) */
		if (r == 1)
			r = kaos__rx_deliver(&rx, collect, g, 10);
		if (r != -KAOS_ECORRUPT || g->n > 1 + (cases[c].f1 == (KAOS__WIRE_BEGIN | KAOS__WIRE_END)))
			KAOS_FAIL("%s: deliver %lld with %d messages", cases[c].what, (long long)r, g->n);
		KAOS_ASSERT_EQ(kaos__rx_deliver(&rx, collect, g, 10), -KAOS_ECORRUPT); /* for good */
		for (int i = 0; i < g->n; i++)
			free(g->data[i]);
		free(g);
		kaos__rx_free(&rx);
	}
}

static void
bad_arguments(void)
{
	struct kaos__rx rx;
	KAOS_ASSERT_EQ(kaos__rx_init(&rx, 0, 4095, 100), -EINVAL);
	KAOS_ASSERT_EQ(kaos__rx_init(&rx, 0, 6000, 100), -EINVAL);
	KAOS_ASSERT_EQ(kaos__rx_init(&rx, 4, 4096, 100), -EINVAL);
	KAOS_ASSERT_EQ(kaos__rx_init(&rx, 0, 4096, (16u << 20) + 1), -EINVAL);
	KAOS_ASSERT_EQ(kaos__rx_init(NULL, 0, 4096, 100), -EINVAL);
	KAOS_ASSERT_OK(kaos__rx_init(&rx, 0, 4096, 100));
	struct kaos__wire_frame f = { .type = KAOS__WIRE_HEARTBEAT };
	KAOS_ASSERT_EQ(kaos__rx_put(&rx, &f), -EINVAL);
	kaos__rx_free(&rx);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(delivers_every_message_once_in_order),
		KAOS_TEST(disagreeing_fragments_end_the_session),
		KAOS_TEST(bad_arguments),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
