/* SPDX-License-Identifier: MIT */
/*
 * The reliable-UDP wire format (docs/wire-format.md): a datagram is a
 * 16-byte header and 8-byte-aligned frames, all little-endian. This is
 * the only code that reads or writes those bytes: the engine, the chaos
 * proxy and the tests build and parse datagrams here.
 *
 * Parsing distrusts every byte: a datagram is checked whole (size,
 * magic, version, flags, CRC-32C) before any frame is read, every length
 * is bounded by what is left, and each frame body is decoded into a
 * private struct with its own checks. A failure names its cause (enum
 * kaos__wire_bad), for the endpoint's "invalid" counters; nothing
 * malformed is ever answered.
 */
#ifndef KAOS_RUDP_WIRE_H
#define KAOS_RUDP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <kaos/common.h>

#define KAOS__WIRE_MAGIC0 'K'
#define KAOS__WIRE_MAGIC1 'R'
#define KAOS__WIRE_VERSION 1
#define KAOS__WIRE_HEADER 16u       /* datagram header */
#define KAOS__WIRE_FRAME_HEADER 16u /* frame header */
#define KAOS__WIRE_ALIGN 8u         /* frames start on 8-byte boundaries */
#define KAOS__WIRE_MAX_DATAGRAM 65507u /* the largest UDP payload over IPv4 */
#define KAOS__WIRE_MIN_HELLO 1200u  /* a HELLO datagram's least size (QUIC's) */
#define KAOS__WIRE_STATUS_RANGES 8u /* received ranges above a STATUS position */
#define KAOS__WIRE_NAK_RANGES 16u   /* missing ranges in one NAK */
#define KAOS__WIRE_COOKIE_LEN 16u      /* bytes of a stateless cookie */

/* Frame types. 0 is never sent: a zeroed buffer is not a frame. */
enum kaos__wire_type {
	KAOS__WIRE_HELLO = 1,
	KAOS__WIRE_COOKIE = 2,
	KAOS__WIRE_WELCOME = 3,
	KAOS__WIRE_DATA = 4,
	KAOS__WIRE_STATUS = 5,
	KAOS__WIRE_NAK = 6,
	KAOS__WIRE_HEARTBEAT = 7,
	KAOS__WIRE_CLOSE = 8,
	KAOS__WIRE_TYPES /* one past the last */
};

/* DATA frame flags: the first and the last fragment of a message (both
 * on a message in one frame). */
#define KAOS__WIRE_BEGIN 0x01u
#define KAOS__WIRE_END 0x02u

/* Why a datagram or frame was refused: an index into the endpoint's
 * "invalid" counters (docs/wire-format.md lists them). */
enum kaos__wire_bad {
	KAOS__WIRE_OK = 0,
	KAOS__WIRE_SHORT,        /* shorter than a header, or than a frame says */
	KAOS__WIRE_LONG,         /* longer than any datagram may be */
	KAOS__WIRE_MAGIC,        /* not "KR": not ours */
	KAOS__WIRE_VERSION_BAD,  /* another version */
	KAOS__WIRE_FLAGS,        /* header or frame flags unknown in this version */
	KAOS__WIRE_CRC,          /* the checksum does not match */
	KAOS__WIRE_ALIGNMENT,    /* a size not a multiple of 8, or a tail too short for a frame */
	KAOS__WIRE_TYPE,         /* unknown frame type */
	KAOS__WIRE_BODY,         /* a frame body of the wrong size or content */
	KAOS__WIRE_RANGES,       /* ranges out of order, empty, or too many */
	KAOS__WIRE_BAD_CAUSES    /* one past the last */
};

/* The name of a cause ("crc", "short", ...), for counters and logs. */
const char *kaos__wire_bad_name(enum kaos__wire_bad why);

/* ---- datagrams ---------------------------------------------------------------- */

/* The checked header of a datagram. */
struct kaos__wire_header {
	uint8_t flags;
	uint64_t token; /* the session's; 0 before there is one */
};

/* Check a whole datagram: its size, magic, version, flags and CRC-32C
 * (over all @p len bytes with the CRC field taken as zero). KAOS__WIRE_OK
 * and *@p h filled, or the cause. Reads nothing past @p len. */
enum kaos__wire_bad kaos__wire_check(const void *dgram, size_t len,
				     struct kaos__wire_header *h);

/* One frame of a checked datagram; body points into the datagram. */
struct kaos__wire_frame {
	uint8_t type;
	uint8_t flags;
	uint32_t length; /* body bytes, without the padding to 8 */
	uint64_t seq;
	const unsigned char *body;
};

/* The frame at *@p off (start: KAOS__WIRE_HEADER) of a checked datagram
 * of @p len bytes: 1 with *@p f filled and *@p off moved past its padding;
 * 0 at the end; -1 with *@p why set if what is there is not a frame (the
 * rest of the datagram is then to be dropped, frames before it stand). */
int kaos__wire_next(const void *dgram, size_t len, size_t *off,
		    struct kaos__wire_frame *f, enum kaos__wire_bad *why);

/* Bytes a frame with a body of @p length bytes takes, padding included. */
KAOS_ALWAYS_INLINE size_t
kaos__wire_frame_size(size_t length)
{
	size_t padded = (length + KAOS__WIRE_ALIGN - 1) & ~(size_t)(KAOS__WIRE_ALIGN - 1);
	return KAOS__WIRE_FRAME_HEADER + padded;
}

/* ---- building -------------------------------------------------------------------- */

/* A datagram being built in the caller's buffer. */
struct kaos__wire_builder {
	unsigned char *buf;
	size_t cap; /* bytes of buf this datagram may use (the MTU) */
	size_t len; /* bytes used so far */
};

/* Start a datagram of at most @p cap bytes in @p buf (aligned to 8) for
 * session @p token: 0, or -EINVAL if @p cap cannot hold a header and one
 * empty frame, or is above KAOS__WIRE_MAX_DATAGRAM. */
int kaos__wire_begin(struct kaos__wire_builder *b, void *buf, size_t cap,
		     uint64_t token);

/* Append a frame whose body is @p length bytes: its body, to fill in
 * (zeroed padding after it is written here), or NULL if it does not fit
 * (the datagram is unchanged). */
unsigned char *kaos__wire_add(struct kaos__wire_builder *b, uint8_t type, uint8_t flags,
			      uint64_t seq, size_t length);

/* Seal the datagram: its CRC-32C. The bytes to send are buf[0, len). */
void kaos__wire_seal(struct kaos__wire_builder *b);

/* ---- frame bodies ---------------------------------------------------------------- */

/* A half-open range of stream positions [start, end). */
struct kaos__wire_range {
	uint64_t start;
	uint64_t end;
};

/* HELLO (client -> server; its datagram at least KAOS__WIRE_MIN_HELLO
 * bytes) and COOKIE (server -> client, never larger than the HELLO). A
 * HELLO without a cookie has one of zeros. */
struct kaos__wire_hello {
	uint64_t nonce;        /* the client's, echoed by COOKIE and WELCOME */
	uint64_t timestamp_ns; /* the sender's clock, echoed */
	uint8_t cookie[KAOS__WIRE_COOKIE_LEN];
	uint32_t max_message;  /* HELLO: the client's largest message */
	uint32_t window;       /* HELLO: the client's receive window, bytes */
};

/* WELCOME (server -> client): the session exists; its token is the
 * datagram header's. */
struct kaos__wire_welcome {
	uint64_t nonce;        /* the HELLO's */
	uint64_t timestamp_ns; /* the HELLO's, echoed (a first RTT sample) */
	uint32_t max_message;  /* the server's largest message */
	uint32_t window;       /* the server's receive window, bytes */
};

/* DATA: a message or a fragment of one. The frame's seq is its stream
 * position; every fragment names the message's type and whole length,
 * so a receiver can check the pieces agree. */
struct kaos__wire_data {
	uint32_t msg_type;
	uint32_t msg_len;
	const unsigned char *payload; /* into the datagram */
	uint32_t payload_len;
};

/* STATUS (receiver -> sender): the frame's seq is the cumulative
 * position (everything below it received); ranges received above it,
 * ascending and disjoint. */
struct kaos__wire_status {
	uint64_t window_limit;  /* the sender may send below this position */
	uint64_t echo_ns;       /* the newest HEARTBEAT or DATA timestamp seen */
	uint32_t ack_delay_us;  /* how long the receiver held this STATUS */
	uint32_t nranges;
	struct kaos__wire_range ranges[KAOS__WIRE_STATUS_RANGES];
};

/* NAK (receiver -> sender): missing ranges, ascending and disjoint. */
struct kaos__wire_nak {
	uint32_t nranges;
	struct kaos__wire_range ranges[KAOS__WIRE_NAK_RANGES];
};

/* HEARTBEAT: the frame's seq is the position after the last DATA sent. */
struct kaos__wire_heartbeat {
	uint64_t timestamp_ns;
};

/* CLOSE: the session ends, for a reason (enum kaos_rudp_reason when
 * there is a public API; here a number). */
struct kaos__wire_close {
	uint32_t reason;
};

/* Bytes of each body as encoded (DATA: its fixed part; STATUS and NAK:
 * with no ranges; each range 16 more). */
#define KAOS__WIRE_HELLO_BODY 40u
#define KAOS__WIRE_WELCOME_BODY 24u
#define KAOS__WIRE_DATA_BODY 8u
#define KAOS__WIRE_STATUS_BODY 24u
#define KAOS__WIRE_NAK_BODY 8u
#define KAOS__WIRE_RANGE 16u
#define KAOS__WIRE_HEARTBEAT_BODY 8u
#define KAOS__WIRE_CLOSE_BODY 8u

/* Decode a frame's body into the struct of its type (f->type must be
 * that type: -1 otherwise). 0, or -1 with *@p why (*@p out then holds
 * nothing to use). A HELLO's body may be
 * longer (its padding, ignored); every other body is exactly its size. */
int kaos__wire_hello_read(const struct kaos__wire_frame *f, struct kaos__wire_hello *out,
			  enum kaos__wire_bad *why);
int kaos__wire_welcome_read(const struct kaos__wire_frame *f,
			    struct kaos__wire_welcome *out, enum kaos__wire_bad *why);
int kaos__wire_data_read(const struct kaos__wire_frame *f, struct kaos__wire_data *out,
			 enum kaos__wire_bad *why);
int kaos__wire_status_read(const struct kaos__wire_frame *f,
			   struct kaos__wire_status *out, enum kaos__wire_bad *why);
int kaos__wire_nak_read(const struct kaos__wire_frame *f, struct kaos__wire_nak *out,
			enum kaos__wire_bad *why);
int kaos__wire_heartbeat_read(const struct kaos__wire_frame *f,
			      struct kaos__wire_heartbeat *out, enum kaos__wire_bad *why);
int kaos__wire_close_read(const struct kaos__wire_frame *f, struct kaos__wire_close *out,
			  enum kaos__wire_bad *why);

/* Append a frame of each type to @p b: 0, or -ENOSPC if it does not fit
 * (the datagram unchanged), -EINVAL for a body that could not be read
 * back (too many ranges, ranges out of order, a payload over the
 * message). HELLO's @p pad_to: the datagram's size after it, at least
 * (KAOS__WIRE_MIN_HELLO for a HELLO, 0 for a COOKIE). */
int kaos__wire_hello_add(struct kaos__wire_builder *b, uint8_t type,
			 const struct kaos__wire_hello *v, size_t pad_to);
int kaos__wire_welcome_add(struct kaos__wire_builder *b,
			   const struct kaos__wire_welcome *v);
int kaos__wire_data_add(struct kaos__wire_builder *b, uint8_t flags, uint64_t seq,
			const struct kaos__wire_data *v);
int kaos__wire_status_add(struct kaos__wire_builder *b, uint64_t position,
			  const struct kaos__wire_status *v);
int kaos__wire_nak_add(struct kaos__wire_builder *b, const struct kaos__wire_nak *v);
int kaos__wire_heartbeat_add(struct kaos__wire_builder *b, uint64_t position,
			     const struct kaos__wire_heartbeat *v);
int kaos__wire_close_add(struct kaos__wire_builder *b, const struct kaos__wire_close *v);

#endif /* KAOS_RUDP_WIRE_H */
