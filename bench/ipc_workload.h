/* SPDX-License-Identifier: MIT */
/*
 * bench_ipc: what a case asks of an implementation, the work each side does
 * per message (the same inline code for kaos and every peer), and the
 * adapter each implementation provides. Every case runs across two
 * processes: the producer is a thread of the benchmark process, the
 * consumer a child process forked for each run (bench/harness.h,
 * kb_run_proc_case); shared memory is whatever was mapped MAP_SHARED
 * before the fork (kaos: the channel file; ck_ring and rte_ring: an
 * anonymous shared mapping), system-call peers use descriptors inherited
 * across the fork.
 *
 *   KI_SINGLE     one 8-byte value per send call and per receive call
 *   KI_SUSTAINED  8-byte values in batches (ring: up to spec.batch per
 *                 call; byte streams: 8 KiB writes and reads)
 *   KI_MSG        messages of spec.msg_bytes payload bytes
 *   KI_RTT        round trips: the producer sends a value, the child echoes
 *                 it back through a second channel; each trip timed
 *
 * Checks (never stopping early; judged after the run):
 *   8-byte cases: the values are 1, 2, 3, ... and the consumer checks each
 *   is exactly the next (kb_take_in_order, bench/workload.h); the round-trip
 *   producer checks every echo the same way.
 *   messages: payload = a fixed pattern with the sequence number (1, 2, ...)
 *   in its first 8 bytes and the sequence xor KI_TRAILER in its last 8; the
 *   consumer checks every message's length, sequence, trailer and pattern
 *   (ki_msg_take). The bytes in between are moved but not compared.
 */
#ifndef KAOS_BENCH_IPC_WORKLOAD_H
#define KAOS_BENCH_IPC_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rtt_clock.h"
#include "workload.h"

enum ki_kind { KI_SINGLE, KI_SUSTAINED, KI_MSG, KI_RTT };

/* One case's parameters, as every adapter sees them. */
struct ki_spec {
	enum ki_kind kind;
	unsigned msg_bytes;  /* payload bytes per message (8 but for KI_MSG) */
	uint64_t slots;      /* 8-byte rings: slots asked for (a power of two) */
	uint64_t ring_bytes; /* KI_MSG: kaos message ring bytes */
	unsigned batch;      /* KI_SUSTAINED: values per ring call at most */
	unsigned io_bytes;   /* byte streams, batched: bytes per write/read */
};

/* The largest message payload of any case, and of a frame on a stream. */
#define KI_MAX_MSG 1024
/* Byte-stream frames: a 4-byte length, then the payload. */
#define KI_FRAME_HDR 4

#define KI_TRAILER ((uint64_t)0x9e3779b97f4a7c15)

/* ---- message payloads ------------------------------------------------------ */

/* The bytes of every payload but its first and last 8: a fixed pattern,
 * copied in by the producer of every implementation. */
extern unsigned char ki_pattern[KI_MAX_MSG];

static inline void
ki_pattern_init(void)
{
	for (unsigned i = 0; i < KI_MAX_MSG; i++)
		ki_pattern[i] = (unsigned char)(i * 7 + 3);
}

/* Write message @p seq of @p len bytes (>= 16) at @p dst (any alignment). */
KB_INLINE void
ki_msg_fill(void *dst, uint64_t seq, size_t len)
{
	unsigned char *d = (unsigned char *)dst;
	uint64_t trailer = seq ^ KI_TRAILER;
	memcpy(d + 8, ki_pattern + 8, len - 16);
	memcpy(d, &seq, 8);
	memcpy(d + len - 8, &trailer, 8);
}

/* The consumer's checks of the message cases. */
struct ki_msg_check {
	uint64_t count; /* messages consumed */
	uint64_t next;  /* the sequence expected next */
	uint64_t bytes; /* payload bytes consumed */
	uint64_t bad;   /* messages with a wrong length, sequence or trailer */
	uint64_t bad_at, bad_seq, bad_len; /* the first of them */
};

static inline struct ki_msg_check
ki_msg_check_start(void)
{
	struct ki_msg_check c = { 0, 1, 0, 0, 0, 0, 0 };
	return c;
}

/* Check one message of @p len bytes at @p data (any alignment); a message
 * should be @p want bytes. */
KB_INLINE void
ki_msg_take(struct ki_msg_check *c, const void *data, size_t len, size_t want)
{
	const unsigned char *d = (const unsigned char *)data;
	uint64_t seq = 0, trailer = 0;
	if (KB_UNLIKELY(len != want || len < 16)) {
		if (c->bad++ == 0) {
			c->bad_at = c->count;
			c->bad_seq = 0;
			c->bad_len = len;
		}
		c->next++;
	} else {
		memcpy(&seq, d, 8);
		memcpy(&trailer, d + len - 8, 8);
		/* Every byte is read and compared, in every implementation:
		 * a zero-copy consumer moves the whole message too. */
		if (KB_UNLIKELY(seq != c->next || trailer != (seq ^ KI_TRAILER) ||
				memcmp(d + 8, ki_pattern + 8, len - 16) != 0)) {
			if (c->bad++ == 0) {
				c->bad_at = c->count;
				c->bad_seq = seq;
				c->bad_len = len;
			}
			c->next = seq; /* resynchronise */
		}
		c->next++;
	}
	c->count++;
	c->bytes += len;
}

static inline int
ki_msg_result(const struct ki_msg_check *c, uint64_t events, size_t want,
	      char *msg, size_t len)
{
	if (c->count != events) {
		snprintf(msg, len, "consumed %llu messages, expected %llu",
			 (unsigned long long)c->count, (unsigned long long)events);
		return -1;
	}
	if (c->bad) {
		snprintf(msg, len,
			 "%llu bad messages; first at message %llu: sequence %llu "
			 "(trailer or sequence wrong), length %llu (expected %zu)",
			 (unsigned long long)c->bad, (unsigned long long)c->bad_at,
			 (unsigned long long)c->bad_seq,
			 (unsigned long long)c->bad_len, want);
		return -1;
	}
	if (c->next != events + 1 || c->bytes != events * want) {
		snprintf(msg, len, "last sequence %llu, %llu bytes; expected %llu, "
				   "%llu bytes",
			 (unsigned long long)(c->next - 1),
			 (unsigned long long)c->bytes, (unsigned long long)events,
			 (unsigned long long)(events * want));
		return -1;
	}
	return 0;
}

/* ---- loop templates ------------------------------------------------------------ */

/* The 8-byte cases use bench/workload.h's loops with KB_PER_EVENT
 * (KB_PUT_EACH, KB_TAKE_EACH, KB_PUT_COPIES, KB_TAKE_BATCHES, ...), the
 * round trips bench/rtt_clock.h's (KI_PING, KI_ECHO). */

/* Return SIDE(len) with the message size a constant for the cases' sizes. */
#define KI_BY_MSG_BYTES(s, SIDE)                                                \
	do {                                                                    \
		if ((s)->msg_bytes == 64)                                       \
			return SIDE(64);                                        \
		if ((s)->msg_bytes == 1024)                                     \
			return SIDE(1024);                                      \
		return SIDE((s)->msg_bytes);                                    \
	} while (0)

/* ---- adapters ---------------------------------------------------------------- */

/* What a side of a run leaves behind: the consumer's in shared memory (the
 * child writes it), the producer's in this process. */
struct ki_out {
	struct kb_check check;   /* 8-byte cases (and the echoes of KI_RTT) */
	struct ki_msg_check msg; /* KI_MSG */
	int done;                /* the side returned 0 (set by bench_ipc.c) */
};

/*
 * One implementation. open() sets up everything in this process before any
 * fork (mapping, ring init, descriptors); child_open() runs in each
 * consumer child before the clock starts (attach); produce() runs in a
 * thread of this process, consume() in the child, each with its own loops
 * (no indirect call per message). They return 0, or -1 after printing why.
 * KI_RTT: produce() is the side that sends and times (it fills @p rtt),
 * consume() the echo.
 */
struct ki_adapter {
	const char *name;
	/* Whether this implementation makes a system call per message in
	 * this case (it then runs the case's smaller event count); NULL: no. */
	int (*per_message_syscalls)(const struct ki_spec *s);
	int (*supports)(const struct ki_spec *s);
	const char *(*note)(const struct ki_spec *s); /* or NULL */
	void *(*open)(const struct ki_spec *s);
	void (*close)(void *q);
	int (*child_open)(void *q);    /* NULL: nothing to do */
	void (*child_close)(void *q);  /* NULL: nothing to do */
	int (*produce)(void *q, const struct ki_spec *s, uint64_t events,
		       struct ki_out *out, struct ki_rtt *rtt);
	int (*consume)(void *q, const struct ki_spec *s, uint64_t events,
		       struct ki_out *out);
};

#endif /* KAOS_BENCH_IPC_WORKLOAD_H */
