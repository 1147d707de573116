/* SPDX-License-Identifier: MIT */
/*
 * The reliable-UDP wire format (src/rudp/wire.h, docs/wire-format.md):
 * every frame type round-trips; every malformed header, frame and body is
 * refused with its cause; a datagram cut at every length, or overwritten
 * at random with a valid checksum, is parsed without reading past its end
 * (each test datagram sits in a heap block of exactly its size, so ASan
 * sees any overread) and without accepting a malformed frame.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/crc32c.h>

#include "kaos_test.h"
#include "rudp/wire.h"

#define MTU 1408

static _Alignas(8) unsigned char buf[KAOS__WIRE_MAX_DATAGRAM + 8];

/* A heap copy of exactly @p len bytes: reads past it are ASan errors. */
static unsigned char *
exact(const void *src, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);
	KAOS_ASSERT(p);
	memcpy(p, src, len);
	return p;
}

/* Recompute a datagram's CRC after the test changed its bytes. */
static void
reseal(unsigned char *d, size_t len)
{
	struct kaos__wire_builder b = { d, len, len };
	kaos__wire_seal(&b);
}

static struct kaos__wire_frame
only_frame(const unsigned char *d, size_t len)
{
	struct kaos__wire_header h;
	KAOS_ASSERT_EQ(kaos__wire_check(d, len, &h), KAOS__WIRE_OK);
	size_t off = KAOS__WIRE_HEADER;
	struct kaos__wire_frame f;
	enum kaos__wire_bad why = KAOS__WIRE_OK;
	KAOS_ASSERT_EQ(kaos__wire_next(d, len, &off, &f, &why), 1);
	KAOS_ASSERT_EQ(kaos__wire_next(d, len, &off, &(struct kaos__wire_frame){ 0 }, &why), 0);
	return f;
}

static const struct kaos__wire_hello hello = {
	.nonce = 0x1122334455667788ull,
	.timestamp_ns = 123456789,
	.cookie = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
	.max_message = 1u << 20,
	.window = 1u << 22,
};

static void
every_frame_round_trips(void)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, MTU, 0xA5A5A5A5DEADBEEFull));
	static const unsigned char payload[] = "hello, kaos";
	struct kaos__wire_welcome welcome = { 7, 8, 9, 10 };
	struct kaos__wire_data data = { 42, sizeof(payload), payload, sizeof(payload) };
	struct kaos__wire_data frag = { 43, 1000, payload, 5 };
	struct kaos__wire_data empty = { 44, 0, NULL, 0 };
	struct kaos__wire_status st = { .window_limit = 1u << 20, .echo_ns = 99, .ack_delay_us = 25,
					.nranges = 2,
					.ranges = { { 2000, 2100 }, { 2200, 2300 } } };
	struct kaos__wire_nak nak = { .nranges = 3,
				      .ranges = { { 0, 8 }, { 16, 24 }, { 100, 1000 } } };
	struct kaos__wire_heartbeat hb = { 5555 };
	struct kaos__wire_close cl = { 3 };
	KAOS_ASSERT_OK(kaos__wire_hello_add(&b, KAOS__WIRE_COOKIE, &hello, 0));
	KAOS_ASSERT_OK(kaos__wire_welcome_add(&b, &welcome));
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN | KAOS__WIRE_END, 4096, &data));
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN, 4128, &frag));
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN | KAOS__WIRE_END, 4160, &empty));
	KAOS_ASSERT_OK(kaos__wire_status_add(&b, 1024, &st));
	KAOS_ASSERT_OK(kaos__wire_nak_add(&b, &nak));
	KAOS_ASSERT_OK(kaos__wire_heartbeat_add(&b, 4200, &hb));
	KAOS_ASSERT_OK(kaos__wire_close_add(&b, &cl));
	kaos__wire_seal(&b);
	KAOS_ASSERT_EQ(b.len % 8, 0);

	unsigned char *d = exact(buf, b.len);
	struct kaos__wire_header h;
	KAOS_ASSERT_EQ(kaos__wire_check(d, b.len, &h), KAOS__WIRE_OK);
	KAOS_ASSERT_UEQ(h.token, 0xA5A5A5A5DEADBEEFull);
	size_t off = KAOS__WIRE_HEADER;
	struct kaos__wire_frame f;
	enum kaos__wire_bad why = KAOS__WIRE_OK;

	KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 1);
	struct kaos__wire_hello ho;
	KAOS_ASSERT_OK(kaos__wire_hello_read(&f, &ho, &why));
	KAOS_ASSERT_EQ(f.type, KAOS__WIRE_COOKIE);
	KAOS_ASSERT(memcmp(&ho, &hello, sizeof(ho)) == 0);

	KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 1);
	struct kaos__wire_welcome wo;
	KAOS_ASSERT_OK(kaos__wire_welcome_read(&f, &wo, &why));
	KAOS_ASSERT(memcmp(&wo, &welcome, sizeof(wo)) == 0);

	const struct kaos__wire_data *want[] = { &data, &frag, &empty };
	const uint64_t seqs[] = { 4096, 4128, 4160 };
	for (int i = 0; i < 3; i++) {
		KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 1);
		struct kaos__wire_data o;
		KAOS_ASSERT_OK(kaos__wire_data_read(&f, &o, &why));
		KAOS_ASSERT_UEQ(f.seq, seqs[i]);
		KAOS_ASSERT_EQ(f.flags, i == 1 ? KAOS__WIRE_BEGIN : KAOS__WIRE_BEGIN | KAOS__WIRE_END);
		KAOS_ASSERT_UEQ(o.msg_type, want[i]->msg_type);
		KAOS_ASSERT_UEQ(o.msg_len, want[i]->msg_len);
		KAOS_ASSERT_UEQ(o.payload_len, want[i]->payload_len);
		KAOS_ASSERT(o.payload_len == 0 || memcmp(o.payload, want[i]->payload, o.payload_len) == 0);
	}

	KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 1);
	struct kaos__wire_status so;
	KAOS_ASSERT_OK(kaos__wire_status_read(&f, &so, &why));
	KAOS_ASSERT_UEQ(f.seq, 1024);
	KAOS_ASSERT_UEQ(so.window_limit, st.window_limit);
	KAOS_ASSERT_UEQ(so.echo_ns, 99);
	KAOS_ASSERT_UEQ(so.ack_delay_us, 25);
	KAOS_ASSERT_UEQ(so.nranges, 2);
	KAOS_ASSERT(memcmp(so.ranges, st.ranges, 2 * sizeof(st.ranges[0])) == 0);

	KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 1);
	struct kaos__wire_nak no;
	KAOS_ASSERT_OK(kaos__wire_nak_read(&f, &no, &why));
	KAOS_ASSERT_UEQ(no.nranges, 3);
	KAOS_ASSERT(memcmp(no.ranges, nak.ranges, 3 * sizeof(nak.ranges[0])) == 0);

	KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 1);
	struct kaos__wire_heartbeat hbo;
	KAOS_ASSERT_OK(kaos__wire_heartbeat_read(&f, &hbo, &why));
	KAOS_ASSERT_UEQ(f.seq, 4200);
	KAOS_ASSERT_UEQ(hbo.timestamp_ns, 5555);

	KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 1);
	struct kaos__wire_close clo;
	KAOS_ASSERT_OK(kaos__wire_close_read(&f, &clo, &why));
	KAOS_ASSERT_UEQ(clo.reason, 3);

	KAOS_ASSERT_EQ(kaos__wire_next(d, b.len, &off, &f, &why), 0);
	KAOS_ASSERT_UEQ(off, b.len);
	free(d);
}

/* The exact bytes of one small datagram, as docs/wire-format.md shows. */
static void
bytes_are_little_endian_and_documented(void)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, MTU, 0x0807060504030201ull));
	struct kaos__wire_heartbeat hb = { 0x1112131415161718ull };
	KAOS_ASSERT_OK(kaos__wire_heartbeat_add(&b, 0x2122232425262728ull, &hb));
	kaos__wire_seal(&b);
	static const unsigned char want[40] = {
		'K', 'R', 1, 0, 0, 0, 0, 0, /* magic, version, flags, crc (below) */
		1, 2, 3, 4, 5, 6, 7, 8,     /* token */
		7, 0, 0, 0, 8, 0, 0, 0,     /* HEARTBEAT, flags, reserved, length 8 */
		0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21, /* seq */
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* timestamp */
	};
	KAOS_ASSERT_UEQ(b.len, sizeof(want));
	KAOS_ASSERT(memcmp(buf, want, 4) == 0);
	KAOS_ASSERT(memcmp(buf + 8, want + 8, sizeof(want) - 8) == 0);
	/* the CRC field: CRC-32C of the datagram with the field zeroed */
	uint32_t crc = kaos_crc32c(0, want, sizeof(want));
	KAOS_ASSERT_UEQ(buf[4] | buf[5] << 8 | buf[6] << 16 | (uint32_t)buf[7] << 24, crc);
}

static void
header_faults_have_causes(void)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, MTU, 1));
	struct kaos__wire_heartbeat hb = { 1 };
	KAOS_ASSERT_OK(kaos__wire_heartbeat_add(&b, 0, &hb));
	kaos__wire_seal(&b);
	size_t len = b.len;
	unsigned char good[64];
	memcpy(good, buf, len);
	struct kaos__wire_header h;
	/* a byte set to v and the datagram resealed, or (flip) a bit flipped
	 * and left unsealed */
	const struct {
		size_t at;
		unsigned char v;
		bool flip;
		enum kaos__wire_bad want;
	} faults[] = {
		{ 0, 'k', false, KAOS__WIRE_MAGIC },
		{ 1, 'X', false, KAOS__WIRE_MAGIC },
		{ 2, 0, false, KAOS__WIRE_VERSION_BAD },
		{ 2, 2, false, KAOS__WIRE_VERSION_BAD },
		{ 3, 1, false, KAOS__WIRE_FLAGS },
		{ 3, 0x80, false, KAOS__WIRE_FLAGS },
		{ 9, 0x10, true, KAOS__WIRE_CRC },  /* the token */
		{ 4, 0x01, true, KAOS__WIRE_CRC },  /* the CRC itself */
		{ 39, 0x80, true, KAOS__WIRE_CRC }, /* the last byte */
	};
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		unsigned char d[64];
		memcpy(d, good, len);
		if (faults[i].flip) {
			d[faults[i].at] ^= faults[i].v;
		} else {
			d[faults[i].at] = faults[i].v;
			reseal(d, len);
		}
		KAOS_ASSERT_EQ(kaos__wire_check(d, len, &h), faults[i].want);
	}
	KAOS_ASSERT_EQ(kaos__wire_check(good, 0, &h), KAOS__WIRE_SHORT);
	KAOS_ASSERT_EQ(kaos__wire_check(good, 15, &h), KAOS__WIRE_SHORT);
	KAOS_ASSERT_EQ(kaos__wire_check(good, 20, &h), KAOS__WIRE_ALIGNMENT);
	KAOS_ASSERT_EQ(kaos__wire_check(buf, KAOS__WIRE_MAX_DATAGRAM + 1, &h), KAOS__WIRE_LONG);
	/* a header alone is a valid, empty datagram */
	unsigned char only[16];
	memcpy(only, good, 16);
	reseal(only, 16);
	unsigned char *d = exact(only, 16);
	KAOS_ASSERT_EQ(kaos__wire_check(d, 16, &h), KAOS__WIRE_OK);
	size_t off = KAOS__WIRE_HEADER;
	struct kaos__wire_frame f;
	enum kaos__wire_bad why = KAOS__WIRE_OK;
	KAOS_ASSERT_EQ(kaos__wire_next(d, 16, &off, &f, &why), 0);
	free(d);
	/* every cause has a name */
	for (int c = 0; c < KAOS__WIRE_BAD_CAUSES; c++)
		KAOS_ASSERT(strcmp(kaos__wire_bad_name((enum kaos__wire_bad)c), "unknown") != 0);
	KAOS_ASSERT(strcmp(kaos__wire_bad_name(KAOS__WIRE_BAD_CAUSES), "unknown") == 0);
}

/* One frame of @p type with a body of @p length bytes from @p body,
 * written raw (no checks), sealed; its length in *@p len. */
static unsigned char *
raw_frame(uint8_t type, uint8_t flags, uint64_t seq, const void *body, size_t length, size_t *len)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, sizeof(buf) - 8, 0));
	unsigned char *p = kaos__wire_add(&b, type, flags, seq, length);
	KAOS_ASSERT(p);
	if (length)
		memcpy(p, body, length);
	kaos__wire_seal(&b);
	*len = b.len;
	return exact(buf, b.len);
}

/* Little-endian bytes written by hand, not with the codec's own code. */
#define put64le(p, v) le_bytes(p, v, 8)
#define put32le(p, v) le_bytes(p, v, 4)
static void
le_bytes(unsigned char *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = (unsigned char)v;
		v >>= 8;
	}
}

/* Any frame body, for a reader picked at run time. */
union any_body {
	struct kaos__wire_hello h;
	struct kaos__wire_status s;
	struct kaos__wire_nak n;
	struct kaos__wire_data dt;
	struct kaos__wire_welcome w;
	struct kaos__wire_heartbeat hb;
	struct kaos__wire_close c;
};

typedef int (*read_fn)(const struct kaos__wire_frame *, void *, enum kaos__wire_bad *);

/* The body @p body of type @p type is refused by its reader with @p want. */
static void
expect_body(const char *what, uint8_t type, uint8_t flags, uint64_t seq, const void *body,
	    size_t length, read_fn rd, enum kaos__wire_bad want)
{
	size_t len;
	unsigned char *d = raw_frame(type, flags, seq, body, length, &len);
	struct kaos__wire_frame f = only_frame(d, len);
	union any_body out;
	enum kaos__wire_bad why = KAOS__WIRE_OK;
	int rc = rd(&f, &out, &why);
	if (rc != -1 || why != want)
		KAOS_FAIL("%s: read %d, cause %s; expected -1, %s", what, rc, kaos__wire_bad_name(why),
			  kaos__wire_bad_name(want));
	free(d);
}

/* The readers behind one signature (calling a function through a pointer
 * of another type would be undefined). */
#define READER(name, type)                                                     \
	static int rd_##name(const struct kaos__wire_frame *f, void *out,      \
			     enum kaos__wire_bad *why)                          \
	{                                                                      \
		return kaos__wire_##name##_read(f, (type *)out, why);          \
	}
READER(hello, struct kaos__wire_hello)
READER(welcome, struct kaos__wire_welcome)
READER(data, struct kaos__wire_data)
READER(status, struct kaos__wire_status)
READER(nak, struct kaos__wire_nak)
READER(heartbeat, struct kaos__wire_heartbeat)
READER(close, struct kaos__wire_close)
#define RD(fn) rd_##fn

static void
body_faults_have_causes(void)
{
	unsigned char body[512];
	memset(body, 0, sizeof(body));

	/* STATUS: ranges above the position, ascending, disjoint, <= 8 */
	put32le(body + 20, 1);
	put64le(body + 24, 100);
	put64le(body + 32, 200);
	expect_body("status range at the position", KAOS__WIRE_STATUS, 0, 100, body, 40,
		    RD(status), KAOS__WIRE_RANGES);
	expect_body("status range below the position", KAOS__WIRE_STATUS, 0, 150, body, 40,
		    RD(status), KAOS__WIRE_RANGES);
	put64le(body + 32, 100);
	expect_body("status empty range", KAOS__WIRE_STATUS, 0, 50, body, 40,
		    RD(status), KAOS__WIRE_RANGES);
	put32le(body + 20, 2);
	put64le(body + 32, 200);
	put64le(body + 40, 200);
	put64le(body + 48, 300);
	expect_body("status touching ranges", KAOS__WIRE_STATUS, 0, 50, body, 56,
		    RD(status), KAOS__WIRE_RANGES);
	put64le(body + 40, 150);
	expect_body("status overlapping ranges", KAOS__WIRE_STATUS, 0, 50, body, 56,
		    RD(status), KAOS__WIRE_RANGES);
	put32le(body + 20, 9);
	expect_body("status 9 ranges", KAOS__WIRE_STATUS, 0, 50, body, 24 + 9 * 16,
		    RD(status), KAOS__WIRE_RANGES);
	put32le(body + 20, 1);
	expect_body("status length one range short", KAOS__WIRE_STATUS, 0, 50, body, 32,
		    RD(status), KAOS__WIRE_BODY);
	expect_body("status length one range long", KAOS__WIRE_STATUS, 0, 50, body, 56,
		    RD(status), KAOS__WIRE_BODY);
	expect_body("status shorter than its fixed part", KAOS__WIRE_STATUS, 0, 50, body, 16,
		    RD(status), KAOS__WIRE_BODY);

	/* NAK: 1..16 ranges, reserved word zero */
	memset(body, 0, sizeof(body));
	expect_body("nak without ranges", KAOS__WIRE_NAK, 0, 0, body, 8, RD(nak),
		    KAOS__WIRE_RANGES);
	put32le(body, 17);
	expect_body("nak 17 ranges", KAOS__WIRE_NAK, 0, 0, body, 8 + 17 * 16,
		    RD(nak), KAOS__WIRE_RANGES);
	put32le(body, 1);
	put64le(body + 8, 10);
	put64le(body + 16, 5);
	expect_body("nak backwards range", KAOS__WIRE_NAK, 0, 0, body, 24, RD(nak),
		    KAOS__WIRE_RANGES);
	put64le(body + 16, 20);
	put32le(body + 4, 1);
	expect_body("nak reserved word", KAOS__WIRE_NAK, 0, 0, body, 24, RD(nak),
		    KAOS__WIRE_BODY);
	put32le(body + 4, 0);
	expect_body("nak with a seq", KAOS__WIRE_NAK, 0, 9, body, 24, RD(nak),
		    KAOS__WIRE_BODY);

	/* DATA: payload within its message; a whole message is all of it */
	memset(body, 0, sizeof(body));
	put32le(body + 4, 4);
	expect_body("data payload over its message", KAOS__WIRE_DATA, KAOS__WIRE_BEGIN, 0, body,
		    8 + 5, RD(data), KAOS__WIRE_BODY);
	expect_body("whole message shorter than its payload says", KAOS__WIRE_DATA,
		    KAOS__WIRE_BEGIN | KAOS__WIRE_END, 0, body, 8 + 3, RD(data),
		    KAOS__WIRE_BODY);
	put32le(body + 4, (16u << 20) + 1);
	expect_body("data message over 16 MiB", KAOS__WIRE_DATA, 0, 0, body, 8 + 3,
		    RD(data), KAOS__WIRE_BODY);
	expect_body("data without its fixed part", KAOS__WIRE_DATA, 0, 0, body, 4,
		    RD(data), KAOS__WIRE_BODY);

	/* fixed-size bodies, and seq where the type has none */
	memset(body, 0, sizeof(body));
	expect_body("hello short", KAOS__WIRE_HELLO, 0, 0, body, 39, RD(hello),
		    KAOS__WIRE_BODY);
	expect_body("cookie padded", KAOS__WIRE_COOKIE, 0, 0, body, 48, RD(hello),
		    KAOS__WIRE_BODY);
	expect_body("hello with a seq", KAOS__WIRE_HELLO, 0, 1, body, 40, RD(hello),
		    KAOS__WIRE_BODY);
	expect_body("welcome long", KAOS__WIRE_WELCOME, 0, 0, body, 32,
		    RD(welcome), KAOS__WIRE_BODY);
	expect_body("heartbeat short", KAOS__WIRE_HEARTBEAT, 0, 0, body, 4,
		    RD(heartbeat), KAOS__WIRE_BODY);
	put32le(body + 4, 1);
	expect_body("close reserved word", KAOS__WIRE_CLOSE, 0, 0, body, 8,
		    RD(close), KAOS__WIRE_BODY);
	/* a reader of another type */
	expect_body("status read as a nak", KAOS__WIRE_STATUS, 0, 0, body, 24,
		    RD(nak), KAOS__WIRE_TYPE);
	expect_body("data read as a heartbeat", KAOS__WIRE_DATA, 0, 0, body, 8,
		    RD(heartbeat), KAOS__WIRE_TYPE);
}

static void
frame_header_faults_have_causes(void)
{
	unsigned char body[16] = { 0 };
	struct kaos__wire_header h;
	const struct {
		const char *what;
		uint8_t type, flags;
		size_t patch_at; /* in the frame header; 0: none */
		unsigned char patch;
		enum kaos__wire_bad want;
	} faults[] = {
		{ "type 0", 0, 0, 0, 0, KAOS__WIRE_TYPE },
		{ "type past the last", KAOS__WIRE_TYPES, 0, 0, 0, KAOS__WIRE_TYPE },
		{ "type 255", 255, 0, 0, 0, KAOS__WIRE_TYPE },
		{ "a flag on a heartbeat", KAOS__WIRE_HEARTBEAT, 1, 0, 0, KAOS__WIRE_FLAGS },
		{ "an unknown data flag", KAOS__WIRE_DATA, 4, 0, 0, KAOS__WIRE_FLAGS },
		{ "reserved byte 2", KAOS__WIRE_HEARTBEAT, 0, 2, 1, KAOS__WIRE_FLAGS },
		{ "reserved byte 3", KAOS__WIRE_HEARTBEAT, 0, 3, 0x80, KAOS__WIRE_FLAGS },
		{ "length past the end", KAOS__WIRE_HEARTBEAT, 0, 4, 9, KAOS__WIRE_SHORT },
		{ "length 2^32 - 1", KAOS__WIRE_HEARTBEAT, 0, 7, 0xFF, KAOS__WIRE_SHORT },
	};
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		size_t len;
		unsigned char *d = raw_frame(faults[i].type, faults[i].flags, 0, body, 8, &len);
		if (faults[i].patch_at) {
			d[KAOS__WIRE_HEADER + faults[i].patch_at] = faults[i].patch;
			if (faults[i].patch_at == 7) /* all of the length's bytes */
				memset(d + KAOS__WIRE_HEADER + 4, 0xFF, 4);
			reseal(d, len);
		}
		KAOS_ASSERT_EQ(kaos__wire_check(d, len, &h), KAOS__WIRE_OK);
		size_t off = KAOS__WIRE_HEADER;
		struct kaos__wire_frame f;
		enum kaos__wire_bad why = KAOS__WIRE_OK;
		int rc = kaos__wire_next(d, len, &off, &f, &why);
		if (rc != -1 || why != faults[i].want)
			KAOS_FAIL("%s: next %d, cause %s; expected -1, %s", faults[i].what, rc,
				  kaos__wire_bad_name(why), kaos__wire_bad_name(faults[i].want));
		free(d);
	}
}

/* A datagram of many frames: cut at every length (and resealed, so the
 * frame parser sees it), every prefix parses to the frames wholly inside
 * it and then stops, without reading past the cut. */
static void
cut_at_every_length(void)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, MTU, 77));
	static const unsigned char payload[100] = { 1, 2, 3 };
	struct kaos__wire_data data = { 1, 100, payload, 100 };
	struct kaos__wire_status st = { .window_limit = 9, .nranges = 1, .ranges = { { 20, 30 } } };
	struct kaos__wire_heartbeat hb = { 1 };
	size_t ends[8];
	int n = 0;
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN | KAOS__WIRE_END, 0, &data));
	ends[n++] = b.len;
	KAOS_ASSERT_OK(kaos__wire_status_add(&b, 10, &st));
	ends[n++] = b.len;
	KAOS_ASSERT_OK(kaos__wire_heartbeat_add(&b, 112, &hb));
	ends[n++] = b.len;
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN | KAOS__WIRE_END, 112, &data));
	ends[n++] = b.len;
	kaos__wire_seal(&b);
	size_t full = b.len;
	unsigned char *whole = exact(buf, full);
	for (size_t cut = 0; cut <= full; cut++) {
		unsigned char *d = exact(whole, cut);
		struct kaos__wire_header h;
		enum kaos__wire_bad c = kaos__wire_check(d, cut, &h);
		if (cut < KAOS__WIRE_HEADER)
			KAOS_ASSERT_EQ(c, KAOS__WIRE_SHORT);
		else if (cut % 8)
			KAOS_ASSERT_EQ(c, KAOS__WIRE_ALIGNMENT);
		else if (cut < full)
			KAOS_ASSERT_EQ(c, KAOS__WIRE_CRC); /* the cut breaks the seal */
		else
			KAOS_ASSERT_EQ(c, KAOS__WIRE_OK);
		if (cut >= KAOS__WIRE_HEADER && cut % 8 == 0) {
			reseal(d, cut);
			KAOS_ASSERT_EQ(kaos__wire_check(d, cut, &h), KAOS__WIRE_OK);
			size_t off = KAOS__WIRE_HEADER;
			struct kaos__wire_frame f;
			enum kaos__wire_bad why = KAOS__WIRE_OK;
			int got = 0, rc;
			while ((rc = kaos__wire_next(d, cut, &off, &f, &why)) == 1)
				got++;
			int whole_frames = 0;
			while (whole_frames < n && ends[whole_frames] <= cut)
				whole_frames++;
			KAOS_ASSERT_EQ(got, whole_frames);
			/* a frame cut short is refused, never half-read */
			KAOS_ASSERT_EQ(rc, (whole_frames > 0 && ends[whole_frames - 1] == cut) ||
						   cut == KAOS__WIRE_HEADER
					       ? 0
					       : -1);
		}
		free(d);
	}
	free(whole);
}

/* Random damage with a valid seal: whatever the bytes, parsing and every
 * body reader stay inside the datagram and give 0/1 or a cause. */
static void
random_damage_is_refused_or_parsed(void)
{
	uint64_t seed = 0x5EED0000ull + (uint64_t)kaos_test_soak_round;
	uint64_t rounds = kaos_test_scaled(20000, 500);
	unsigned char tmpl[512];
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, tmpl, sizeof(tmpl), 5));
	static const unsigned char payload[64] = { 9 };
	struct kaos__wire_data data = { 1, 64, payload, 64 };
	struct kaos__wire_nak nak = { .nranges = 2, .ranges = { { 1, 2 }, { 5, 9 } } };
	struct kaos__wire_status st = { .nranges = 1, .ranges = { { 20, 30 } } };
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN | KAOS__WIRE_END, 0, &data));
	KAOS_ASSERT_OK(kaos__wire_nak_add(&b, &nak));
	KAOS_ASSERT_OK(kaos__wire_status_add(&b, 10, &st));
	KAOS_ASSERT_OK(kaos__wire_welcome_add(&b, &(struct kaos__wire_welcome){ 1, 2, 3, 4 }));
	size_t full = b.len;
	uint64_t accepted = 0, refused = 0;
	for (uint64_t r = 0; r < rounds; r++) {
		unsigned char d0[512];
		memcpy(d0, tmpl, full);
		size_t len = full;
		int hits = 1 + (int)(kaos_test_rand(&seed) % 8);
		for (int i = 0; i < hits; i++) {
			size_t at = KAOS__WIRE_HEADER + kaos_test_rand(&seed) % (full - KAOS__WIRE_HEADER);
			d0[at] = (unsigned char)kaos_test_rand(&seed);
		}
		if (kaos_test_rand(&seed) % 4 == 0)
			len = KAOS__WIRE_HEADER + (kaos_test_rand(&seed) % (full / 8 - 1)) * 8;
		reseal(d0, len);
		unsigned char *d = exact(d0, len);
		struct kaos__wire_header h;
		KAOS_ASSERT_EQ(kaos__wire_check(d, len, &h), KAOS__WIRE_OK);
		size_t off = KAOS__WIRE_HEADER;
		struct kaos__wire_frame f;
		enum kaos__wire_bad why = KAOS__WIRE_OK;
		int rc;
		while ((rc = kaos__wire_next(d, len, &off, &f, &why)) == 1) {
			KAOS_ASSERT(f.body + f.length <= d + len);
			KAOS_ASSERT(off <= len);
			union any_body o;
			const read_fn readers[] = {
				RD(hello),     RD(welcome),
				RD(data),      RD(status),
				RD(nak),       RD(heartbeat),
				RD(close),
			};
			for (size_t k = 0; k < sizeof(readers) / sizeof(readers[0]); k++) {
				enum kaos__wire_bad w2 = KAOS__WIRE_OK;
				int x = readers[k](&f, &o, &w2);
				KAOS_ASSERT(x == 0 || (x == -1 && w2 != KAOS__WIRE_OK));
				if (x == 0 && f.type == KAOS__WIRE_DATA && readers[k] == RD(data))
					KAOS_ASSERT(o.dt.payload + o.dt.payload_len <= d + len);
				if (x == 0 && f.type == KAOS__WIRE_STATUS) {
					for (uint32_t q = 0; q < o.s.nranges; q++)
						KAOS_ASSERT(o.s.ranges[q].start > f.seq &&
							    o.s.ranges[q].end > o.s.ranges[q].start);
				}
				if (x == 0)
					accepted++;
				else
					refused++;
			}
		}
		KAOS_ASSERT(rc == 0 || (rc == -1 && why != KAOS__WIRE_OK));
		free(d);
	}
	/* the damage exercised both outcomes */
	KAOS_ASSERT_GT(accepted, 0);
	KAOS_ASSERT_GT(refused, 0);
}

static void
builder_limits(void)
{
	struct kaos__wire_builder b;
	unsigned char small[64] __attribute__((aligned(8)));
	KAOS_ASSERT_EQ(kaos__wire_begin(&b, small, 31, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos__wire_begin(&b, small + 1, 48, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos__wire_begin(&b, NULL, 48, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos__wire_begin(&b, buf, KAOS__WIRE_MAX_DATAGRAM + 1, 0), -EINVAL);
	KAOS_ASSERT_OK(kaos__wire_begin(&b, small, 48, 0));
	struct kaos__wire_heartbeat hb = { 1 };
	KAOS_ASSERT_OK(kaos__wire_heartbeat_add(&b, 0, &hb)); /* 16 + 24 = 40 */
	size_t before = b.len;
	KAOS_ASSERT_EQ(kaos__wire_heartbeat_add(&b, 0, &hb), -ENOSPC);
	KAOS_ASSERT(kaos__wire_add(&b, KAOS__WIRE_CLOSE, 0, 0, 1) == NULL);
	KAOS_ASSERT_UEQ(b.len, before);

	/* writers refuse what a reader would refuse */
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, MTU, 0));
	struct kaos__wire_status st = { .nranges = 9 };
	KAOS_ASSERT_EQ(kaos__wire_status_add(&b, 0, &st), -EINVAL);
	st = (struct kaos__wire_status){ .nranges = 1, .ranges = { { 5, 6 } } };
	KAOS_ASSERT_EQ(kaos__wire_status_add(&b, 5, &st), -EINVAL); /* not above 5 */
	KAOS_ASSERT_OK(kaos__wire_status_add(&b, 4, &st));
	struct kaos__wire_nak nak = { .nranges = 0 };
	KAOS_ASSERT_EQ(kaos__wire_nak_add(&b, &nak), -EINVAL);
	nak = (struct kaos__wire_nak){ .nranges = 2, .ranges = { { 5, 9 }, { 9, 10 } } };
	KAOS_ASSERT_EQ(kaos__wire_nak_add(&b, &nak), -EINVAL); /* touching */
	struct kaos__wire_data dt = { 1, 3, (const unsigned char *)"abcd", 4 };
	KAOS_ASSERT_EQ(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN, 0, &dt), -EINVAL);
	dt.msg_len = 5;
	KAOS_ASSERT_EQ(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN | KAOS__WIRE_END, 0, &dt), -EINVAL);
	KAOS_ASSERT_EQ(kaos__wire_data_add(&b, 0x10, 0, &dt), -EINVAL);
	KAOS_ASSERT_OK(kaos__wire_data_add(&b, KAOS__WIRE_BEGIN, 0, &dt));
	KAOS_ASSERT_EQ(kaos__wire_hello_add(&b, KAOS__WIRE_DATA, &hello, 0), -EINVAL);
}

/* A HELLO datagram reaches 1,200 bytes; the COOKIE answering it is never
 * larger (no amplification). */
static void
hello_is_padded_cookie_is_not(void)
{
	struct kaos__wire_builder b;
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, MTU, 0));
	KAOS_ASSERT_OK(kaos__wire_hello_add(&b, KAOS__WIRE_HELLO, &hello, KAOS__WIRE_MIN_HELLO));
	kaos__wire_seal(&b);
	size_t hello_len = b.len;
	KAOS_ASSERT_GE(hello_len, KAOS__WIRE_MIN_HELLO);
	KAOS_ASSERT_LT(hello_len, KAOS__WIRE_MIN_HELLO + 8);
	struct kaos__wire_frame f = only_frame(buf, hello_len);
	struct kaos__wire_hello o;
	enum kaos__wire_bad why = KAOS__WIRE_OK;
	KAOS_ASSERT_OK(kaos__wire_hello_read(&f, &o, &why));
	KAOS_ASSERT_UEQ(o.nonce, hello.nonce);

	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, MTU, 0));
	KAOS_ASSERT_OK(kaos__wire_hello_add(&b, KAOS__WIRE_COOKIE, &hello, KAOS__WIRE_MIN_HELLO));
	KAOS_ASSERT_UEQ(b.len, KAOS__WIRE_HEADER + KAOS__WIRE_FRAME_HEADER + KAOS__WIRE_HELLO_BODY);
	KAOS_ASSERT_LT(b.len, hello_len);
	/* an MTU too small for a padded HELLO: refused, not sent short */
	KAOS_ASSERT_OK(kaos__wire_begin(&b, buf, 1000, 0));
	KAOS_ASSERT_EQ(kaos__wire_hello_add(&b, KAOS__WIRE_HELLO, &hello, KAOS__WIRE_MIN_HELLO),
		       -ENOSPC);
	KAOS_ASSERT_UEQ(b.len, KAOS__WIRE_HEADER);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(every_frame_round_trips),
		KAOS_TEST(bytes_are_little_endian_and_documented),
		KAOS_TEST(header_faults_have_causes),
		KAOS_TEST(frame_header_faults_have_causes),
		KAOS_TEST(body_faults_have_causes),
		KAOS_TEST(cut_at_every_length),
		KAOS_TEST(random_damage_is_refused_or_parsed),
		KAOS_TEST(builder_limits),
		KAOS_TEST(hello_is_padded_cookie_is_not),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
