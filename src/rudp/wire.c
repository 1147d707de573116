/* SPDX-License-Identifier: MIT */
/* The reliable-UDP wire format: see wire.h and docs/wire-format.md. */
#include "wire.h"

#include <errno.h>
#include <string.h>

#include <kaos/crc32c.h>

#include "le.h"

/* Offsets in the datagram header (docs/wire-format.md). */
enum { H_MAGIC = 0, H_VERSION = 2, H_FLAGS = 3, H_CRC = 4, H_TOKEN = 8 };

/* Offsets in a frame header. */
enum { F_TYPE = 0, F_FLAGS = 1, F_RESERVED = 2, F_LENGTH = 4, F_SEQ = 8 };

/* The largest message a DATA frame may name (Aeron's limit). */
#define MAX_MESSAGE (16u << 20)

_Static_assert(KAOS__WIRE_HEADER % KAOS__WIRE_ALIGN == 0, "frames start aligned");
_Static_assert(KAOS__WIRE_FRAME_HEADER % KAOS__WIRE_ALIGN == 0, "bodies start aligned");
_Static_assert(KAOS__WIRE_STATUS_BODY + KAOS__WIRE_STATUS_RANGES * KAOS__WIRE_RANGE <
		       KAOS__WIRE_MIN_HELLO,
	       "a full STATUS fits any datagram a HELLO proved");

const char *
kaos__wire_bad_name(enum kaos__wire_bad why)
{
	static const char *const names[KAOS__WIRE_BAD_CAUSES] = {
		[KAOS__WIRE_OK] = "ok",
		[KAOS__WIRE_SHORT] = "short",
		[KAOS__WIRE_LONG] = "long",
		[KAOS__WIRE_MAGIC] = "magic",
		[KAOS__WIRE_VERSION_BAD] = "version",
		[KAOS__WIRE_FLAGS] = "flags",
		[KAOS__WIRE_CRC] = "crc",
		[KAOS__WIRE_ALIGNMENT] = "alignment",
		[KAOS__WIRE_TYPE] = "type",
		[KAOS__WIRE_BODY] = "body",
		[KAOS__WIRE_RANGES] = "ranges",
	};
	return (unsigned)why < KAOS__WIRE_BAD_CAUSES ? names[why] : "unknown";
}

/* CRC-32C of the datagram with its CRC field as zero. */
static uint32_t
datagram_crc(const unsigned char *d, size_t len)
{
	static const unsigned char zero[4];
	uint32_t crc = kaos_crc32c(0, d, H_CRC);
	crc = kaos_crc32c(crc, zero, sizeof(zero));
	return kaos_crc32c(crc, d + H_CRC + 4, len - (H_CRC + 4));
}

enum kaos__wire_bad
kaos__wire_check(const void *dgram, size_t len, struct kaos__wire_header *h)
{
	const unsigned char *d = dgram;
	if (len < KAOS__WIRE_HEADER)
		return KAOS__WIRE_SHORT;
	if (len > KAOS__WIRE_MAX_DATAGRAM)
		return KAOS__WIRE_LONG;
	if (len % KAOS__WIRE_ALIGN)
		return KAOS__WIRE_ALIGNMENT; /* every frame is padded to 8 */
	if (d[H_MAGIC] != KAOS__WIRE_MAGIC0 || d[H_MAGIC + 1] != KAOS__WIRE_MAGIC1)
		return KAOS__WIRE_MAGIC;
	if (d[H_VERSION] != KAOS__WIRE_VERSION)
		return KAOS__WIRE_VERSION_BAD;
	if (d[H_FLAGS] != 0)
		return KAOS__WIRE_FLAGS; /* none defined in version 1 */
	if (kaos__get32(d + H_CRC) != datagram_crc(d, len))
		return KAOS__WIRE_CRC;
	h->flags = d[H_FLAGS];
	h->token = kaos__get64(d + H_TOKEN);
	return KAOS__WIRE_OK;
}

int
kaos__wire_next(const void *dgram, size_t len, size_t *off, struct kaos__wire_frame *f,
		enum kaos__wire_bad *why)
{
	const unsigned char *d = dgram;
	size_t at = *off;
	if (at >= len)
		return 0;
	/* at < len, both multiples of 8 (kaos__wire_check): a frame header
	 * fits, or what is left is not a frame */
	if (len - at < KAOS__WIRE_FRAME_HEADER) {
		*why = KAOS__WIRE_ALIGNMENT;
		return -1;
	}
	const unsigned char *p = d + at;
	uint32_t length = kaos__get32(p + F_LENGTH);
	/* len - at - 16 is a multiple of 8: a body that fits has room for its
	 * padding too */
	if (length > len - at - KAOS__WIRE_FRAME_HEADER) {
		*why = KAOS__WIRE_SHORT;
		return -1;
	}
	if (p[F_TYPE] == 0 || p[F_TYPE] >= KAOS__WIRE_TYPES) {
		*why = KAOS__WIRE_TYPE;
		return -1;
	}
	if (p[F_RESERVED] != 0 || p[F_RESERVED + 1] != 0 ||
	    (p[F_FLAGS] & ~(p[F_TYPE] == KAOS__WIRE_DATA ? KAOS__WIRE_BEGIN | KAOS__WIRE_END : 0u))) {
		*why = KAOS__WIRE_FLAGS;
		return -1;
	}
	f->type = p[F_TYPE];
	f->flags = p[F_FLAGS];
	f->length = length;
	f->seq = kaos__get64(p + F_SEQ);
	f->body = p + KAOS__WIRE_FRAME_HEADER;
	*off = at + kaos__wire_frame_size(length);
	return 1;
}

int
kaos__wire_begin(struct kaos__wire_builder *b, void *buf, size_t cap, uint64_t token)
{
	if (!b || !buf || ((uintptr_t)buf % KAOS__WIRE_ALIGN) ||
	    cap < KAOS__WIRE_HEADER + KAOS__WIRE_FRAME_HEADER || cap > KAOS__WIRE_MAX_DATAGRAM)
		return -EINVAL;
	b->buf = buf;
	b->cap = cap;
	b->len = KAOS__WIRE_HEADER;
	unsigned char *d = b->buf;
	d[H_MAGIC] = KAOS__WIRE_MAGIC0;
	d[H_MAGIC + 1] = KAOS__WIRE_MAGIC1;
	d[H_VERSION] = KAOS__WIRE_VERSION;
	d[H_FLAGS] = 0;
	kaos__put32(d + H_CRC, 0);
	kaos__put64(d + H_TOKEN, token);
	return 0;
}

unsigned char *
kaos__wire_add(struct kaos__wire_builder *b, uint8_t type, uint8_t flags, uint64_t seq,
	       size_t length)
{
	if (length > b->cap || kaos__wire_frame_size(length) > b->cap - b->len)
		return NULL;
	unsigned char *p = b->buf + b->len;
	size_t size = kaos__wire_frame_size(length);
	p[F_TYPE] = type;
	p[F_FLAGS] = flags;
	p[F_RESERVED] = p[F_RESERVED + 1] = 0;
	kaos__put32(p + F_LENGTH, (uint32_t)length);
	kaos__put64(p + F_SEQ, seq);
	memset(p + KAOS__WIRE_FRAME_HEADER + length, 0,
	       size - KAOS__WIRE_FRAME_HEADER - length); /* padding */
	b->len += size;
	return p + KAOS__WIRE_FRAME_HEADER;
}

void
kaos__wire_seal(struct kaos__wire_builder *b)
{
	kaos__put32(b->buf + H_CRC, 0);
	kaos__put32(b->buf + H_CRC, datagram_crc(b->buf, b->len));
}

/* ---- frame bodies ------------------------------------------------------------------ */

/* The common checks of a body read: the type, an exact (or, @p at_least,
 * a least) length, and a zero seq where the type has none. */
static int
body_ok(const struct kaos__wire_frame *f, uint8_t type, uint32_t length, bool at_least,
	bool has_seq, enum kaos__wire_bad *why)
{
	if (f->type != type) {
		*why = KAOS__WIRE_TYPE;
		return 0;
	}
	if ((at_least ? f->length < length : f->length != length) || (!has_seq && f->seq != 0)) {
		*why = KAOS__WIRE_BODY;
		return 0;
	}
	return 1;
}

/* Read @p n ranges at @p p: each non-empty, ascending, disjoint and
 * starting above @p floor (use 0 for none). */
static int
ranges_read(const unsigned char *p, uint32_t n, uint64_t floor, bool strictly_above,
	    struct kaos__wire_range *out, enum kaos__wire_bad *why)
{
	uint64_t prev = floor;
	for (uint32_t i = 0; i < n; i++, p += KAOS__WIRE_RANGE) {
		uint64_t start = kaos__get64(p), end = kaos__get64(p + 8);
		bool above = (i == 0 && !strictly_above) ? start >= prev : start > prev;
		if (!above || end <= start) {
			*why = KAOS__WIRE_RANGES;
			return -1;
		}
		out[i] = (struct kaos__wire_range){ start, end };
		prev = end;
	}
	return 0;
}

static void
ranges_write(unsigned char *p, uint32_t n, const struct kaos__wire_range *r)
{
	for (uint32_t i = 0; i < n; i++, p += KAOS__WIRE_RANGE) {
		kaos__put64(p, r[i].start);
		kaos__put64(p + 8, r[i].end);
	}
}

/* The checks ranges_read makes, for a writer (0 or -EINVAL). */
static int
ranges_valid(uint32_t n, uint32_t max, uint64_t floor, bool strictly_above,
	     const struct kaos__wire_range *r)
{
	if (n > max)
		return -EINVAL;
	uint64_t prev = floor;
	for (uint32_t i = 0; i < n; i++) {
		bool above = (i == 0 && !strictly_above) ? r[i].start >= prev : r[i].start > prev;
		if (!above || r[i].end <= r[i].start)
			return -EINVAL;
		prev = r[i].end;
	}
	return 0;
}

int
kaos__wire_hello_read(const struct kaos__wire_frame *f, struct kaos__wire_hello *out,
		      enum kaos__wire_bad *why)
{
	/* A HELLO's body carries its padding; a COOKIE has none. */
	bool hello = f->type == KAOS__WIRE_HELLO;
	if (!body_ok(f, hello ? KAOS__WIRE_HELLO : KAOS__WIRE_COOKIE, KAOS__WIRE_HELLO_BODY, hello,
		     false, why))
		return -1;
	const unsigned char *p = f->body;
	out->nonce = kaos__get64(p);
	out->timestamp_ns = kaos__get64(p + 8);
	memcpy(out->cookie, p + 16, KAOS__WIRE_COOKIE_LEN);
	out->max_message = kaos__get32(p + 32);
	out->window = kaos__get32(p + 36);
	return 0;
}

int
kaos__wire_welcome_read(const struct kaos__wire_frame *f, struct kaos__wire_welcome *out,
			enum kaos__wire_bad *why)
{
	if (!body_ok(f, KAOS__WIRE_WELCOME, KAOS__WIRE_WELCOME_BODY, false, false, why))
		return -1;
	const unsigned char *p = f->body;
	out->nonce = kaos__get64(p);
	out->timestamp_ns = kaos__get64(p + 8);
	out->max_message = kaos__get32(p + 16);
	out->window = kaos__get32(p + 20);
	return 0;
}

int
kaos__wire_data_read(const struct kaos__wire_frame *f, struct kaos__wire_data *out,
		     enum kaos__wire_bad *why)
{
	if (!body_ok(f, KAOS__WIRE_DATA, KAOS__WIRE_DATA_BODY, true, true, why))
		return -1;
	const unsigned char *p = f->body;
	uint32_t msg_len = kaos__get32(p + 4), payload_len = f->length - KAOS__WIRE_DATA_BODY;
	bool whole = (f->flags & (KAOS__WIRE_BEGIN | KAOS__WIRE_END)) ==
		     (KAOS__WIRE_BEGIN | KAOS__WIRE_END);
	/* A fragment is part of its message; a whole message is all of it. */
	if (msg_len > MAX_MESSAGE || payload_len > msg_len || (whole && payload_len != msg_len)) {
		*why = KAOS__WIRE_BODY;
		return -1;
	}
	out->msg_type = kaos__get32(p);
	out->msg_len = msg_len;
	out->payload = p + KAOS__WIRE_DATA_BODY;
	out->payload_len = payload_len;
	return 0;
}

/* The ranges of a STATUS or NAK body: its fixed part of @p fixed bytes
 * holds their count (u32 at @p count_at, in [@p min, @p max]), and the
 * body is exactly that many ranges long. They are read into @p out,
 * above @p floor (strictly: @p strictly_above). 0 with *@p n, or -1. */
static int
ranges_body(const struct kaos__wire_frame *f, uint8_t type, uint32_t fixed, uint32_t count_at,
	    uint32_t min, uint32_t max, uint64_t floor, bool strictly_above,
	    struct kaos__wire_range *out, uint32_t *n, enum kaos__wire_bad *why)
{
	if (!body_ok(f, type, fixed, true, type == KAOS__WIRE_STATUS, why))
		return -1;
	*n = kaos__get32(f->body + count_at);
	if (*n < min || *n > max) {
		*why = KAOS__WIRE_RANGES;
		return -1;
	}
	if (!body_ok(f, type, fixed + *n * KAOS__WIRE_RANGE, false, type == KAOS__WIRE_STATUS, why))
		return -1;
	return ranges_read(f->body + fixed, *n, floor, strictly_above, out, why);
}

int
kaos__wire_status_read(const struct kaos__wire_frame *f, struct kaos__wire_status *out,
		       enum kaos__wire_bad *why)
{
	/* Ranges lie above the cumulative position: one touching it would
	 * have been part of it. */
	if (ranges_body(f, KAOS__WIRE_STATUS, KAOS__WIRE_STATUS_BODY, 20, 0,
			KAOS__WIRE_STATUS_RANGES, f->seq, true, out->ranges, &out->nranges, why) < 0)
		return -1;
	out->window_limit = kaos__get64(f->body);
	out->echo_ns = kaos__get64(f->body + 8);
	out->ack_delay_us = kaos__get32(f->body + 16);
	return 0;
}

int
kaos__wire_nak_read(const struct kaos__wire_frame *f, struct kaos__wire_nak *out,
		    enum kaos__wire_bad *why)
{
	if (ranges_body(f, KAOS__WIRE_NAK, KAOS__WIRE_NAK_BODY, 0, 1, KAOS__WIRE_NAK_RANGES, 0,
			false, out->ranges, &out->nranges, why) < 0)
		return -1;
	if (kaos__get32(f->body + 4) != 0) {
		*why = KAOS__WIRE_BODY;
		return -1;
	}
	return 0;
}

int
kaos__wire_heartbeat_read(const struct kaos__wire_frame *f, struct kaos__wire_heartbeat *out,
			  enum kaos__wire_bad *why)
{
	if (!body_ok(f, KAOS__WIRE_HEARTBEAT, KAOS__WIRE_HEARTBEAT_BODY, false, true, why))
		return -1;
	out->timestamp_ns = kaos__get64(f->body);
	return 0;
}

int
kaos__wire_close_read(const struct kaos__wire_frame *f, struct kaos__wire_close *out,
		      enum kaos__wire_bad *why)
{
	if (!body_ok(f, KAOS__WIRE_CLOSE, KAOS__WIRE_CLOSE_BODY, false, false, why))
		return -1;
	if (kaos__get32(f->body + 4) != 0) {
		*why = KAOS__WIRE_BODY;
		return -1;
	}
	out->reason = kaos__get32(f->body);
	return 0;
}

/* ---- frame bodies, written ------------------------------------------------------------ */

int
kaos__wire_hello_add(struct kaos__wire_builder *b, uint8_t type, const struct kaos__wire_hello *v,
		     size_t pad_to)
{
	if (type != KAOS__WIRE_HELLO && type != KAOS__WIRE_COOKIE)
		return -EINVAL;
	size_t length = KAOS__WIRE_HELLO_BODY;
	size_t plain = b->len + kaos__wire_frame_size(length);
	if (type == KAOS__WIRE_HELLO && pad_to > plain)
		length += pad_to - plain; /* the datagram reaches pad_to */
	unsigned char *p = kaos__wire_add(b, type, 0, 0, length);
	if (!p)
		return -ENOSPC;
	kaos__put64(p, v->nonce);
	kaos__put64(p + 8, v->timestamp_ns);
	memcpy(p + 16, v->cookie, KAOS__WIRE_COOKIE_LEN);
	kaos__put32(p + 32, v->max_message);
	kaos__put32(p + 36, v->window);
	memset(p + KAOS__WIRE_HELLO_BODY, 0, length - KAOS__WIRE_HELLO_BODY);
	return 0;
}

int
kaos__wire_welcome_add(struct kaos__wire_builder *b, const struct kaos__wire_welcome *v)
{
	unsigned char *p = kaos__wire_add(b, KAOS__WIRE_WELCOME, 0, 0, KAOS__WIRE_WELCOME_BODY);
	if (!p)
		return -ENOSPC;
	kaos__put64(p, v->nonce);
	kaos__put64(p + 8, v->timestamp_ns);
	kaos__put32(p + 16, v->max_message);
	kaos__put32(p + 20, v->window);
	return 0;
}

int
kaos__wire_data_add(struct kaos__wire_builder *b, uint8_t flags, uint64_t seq,
		    const struct kaos__wire_data *v)
{
	bool whole = (flags & (KAOS__WIRE_BEGIN | KAOS__WIRE_END)) ==
		     (KAOS__WIRE_BEGIN | KAOS__WIRE_END);
	if ((flags & ~(KAOS__WIRE_BEGIN | KAOS__WIRE_END)) || v->msg_len > MAX_MESSAGE ||
	    v->payload_len > v->msg_len || (whole && v->payload_len != v->msg_len))
		return -EINVAL;
	unsigned char *p =
		kaos__wire_add(b, KAOS__WIRE_DATA, flags, seq, KAOS__WIRE_DATA_BODY + (size_t)v->payload_len);
	if (!p)
		return -ENOSPC;
	kaos__put32(p, v->msg_type);
	kaos__put32(p + 4, v->msg_len);
	if (v->payload_len)
		memcpy(p + KAOS__WIRE_DATA_BODY, v->payload, v->payload_len);
	return 0;
}

int
kaos__wire_status_add(struct kaos__wire_builder *b, uint64_t position,
		      const struct kaos__wire_status *v)
{
	if (ranges_valid(v->nranges, KAOS__WIRE_STATUS_RANGES, position, true, v->ranges) < 0)
		return -EINVAL;
	unsigned char *p = kaos__wire_add(b, KAOS__WIRE_STATUS, 0, position,
					  KAOS__WIRE_STATUS_BODY + v->nranges * KAOS__WIRE_RANGE);
	if (!p)
		return -ENOSPC;
	kaos__put64(p, v->window_limit);
	kaos__put64(p + 8, v->echo_ns);
	kaos__put32(p + 16, v->ack_delay_us);
	kaos__put32(p + 20, v->nranges);
	ranges_write(p + KAOS__WIRE_STATUS_BODY, v->nranges, v->ranges);
	return 0;
}

int
kaos__wire_nak_add(struct kaos__wire_builder *b, const struct kaos__wire_nak *v)
{
	if (v->nranges == 0 ||
	    ranges_valid(v->nranges, KAOS__WIRE_NAK_RANGES, 0, false, v->ranges) < 0)
		return -EINVAL;
	unsigned char *p = kaos__wire_add(b, KAOS__WIRE_NAK, 0, 0,
					  KAOS__WIRE_NAK_BODY + v->nranges * KAOS__WIRE_RANGE);
	if (!p)
		return -ENOSPC;
	kaos__put32(p, v->nranges);
	kaos__put32(p + 4, 0);
	ranges_write(p + KAOS__WIRE_NAK_BODY, v->nranges, v->ranges);
	return 0;
}

int
kaos__wire_heartbeat_add(struct kaos__wire_builder *b, uint64_t position,
			 const struct kaos__wire_heartbeat *v)
{
	unsigned char *p =
		kaos__wire_add(b, KAOS__WIRE_HEARTBEAT, 0, position, KAOS__WIRE_HEARTBEAT_BODY);
	if (!p)
		return -ENOSPC;
	kaos__put64(p, v->timestamp_ns);
	return 0;
}

int
kaos__wire_close_add(struct kaos__wire_builder *b, const struct kaos__wire_close *v)
{
	unsigned char *p = kaos__wire_add(b, KAOS__WIRE_CLOSE, 0, 0, KAOS__WIRE_CLOSE_BODY);
	if (!p)
		return -ENOSPC;
	kaos__put32(p, v->reason);
	kaos__put32(p + 4, 0);
	return 0;
}
