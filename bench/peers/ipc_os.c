/* SPDX-License-Identifier: MIT */
/*
 * The operating system's own channels between processes, as peers of the
 * kaos IPC channels (bench_ipc): a pipe, a UNIX-domain stream socketpair
 * and a POSIX message queue. Descriptors are made once per implementation
 * in the benchmark process, before any fork, and inherited by each
 * consumer child; the queue's name is unlinked as soon as it is open (the
 * descriptors keep it alive), so no name outlives a crash. Every call
 * blocks in the kernel when the channel is empty or full (the usual way
 * to use them), where the ring peers spin.
 *
 *   pipe, socketpair   8-byte cases: one write()/send() and one
 *                      read()/recv() of 8 bytes per value; sustained: 8 KiB
 *                      writes and reads of up to 8 KiB (any split handled);
 *                      messages: a frame (4-byte length + payload) per
 *                      write, the reader reads the length, then the payload;
 *                      round trip: a pipe each way / the socketpair's two
 *                      directions
 *   pipe_batch,        messages only: frames coalesced into writes of up to
 *   socketpair_batch   8 KiB; the reader reads up to 8 KiB at a time and
 *                      parses the frames in its buffer
 *   mq                 8-byte case only: mq_send/mq_receive of 8-byte
 *                      messages, the queue as deep as
 *                      /proc/sys/fs/mqueue/msg_max allows
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../ipc_workload.h"
#include "peers.h"

enum os_kind { OS_PIPE, OS_SOCKET, OS_MQ };

struct os_queue {
	enum os_kind kind;
	int wfd, rfd;   /* producer -> consumer */
	int wfd2, rfd2; /* round trip: consumer -> producer */
	mqd_t mq;
	long mq_depth;
	unsigned char *pbuf, *cbuf; /* the two sides' buffers */
};

#define OS_BUF (64 * 1024)

static int
os_fail(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	return -1;
}

/* ---- blocking I/O, whole buffers ----------------------------------------- */

KB_INLINE ssize_t
os_write(const struct os_queue *q, int fd, const void *buf, size_t len)
{
	return q->kind == OS_SOCKET ? send(fd, buf, len, MSG_NOSIGNAL)
				    : write(fd, buf, len);
}

KB_INLINE ssize_t
os_read(const struct os_queue *q, int fd, void *buf, size_t len)
{
	return q->kind == OS_SOCKET ? recv(fd, buf, len, 0) : read(fd, buf, len);
}

/* Write all @p len bytes (a blocking stream may take them in parts). */
KB_INLINE int
os_write_all(const struct os_queue *q, int fd, const void *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	while (len) {
		ssize_t w = os_write(q, fd, p, len);
		if (KB_UNLIKELY(w <= 0)) {
			if (w < 0 && errno == EINTR)
				continue;
			return os_fail(q->kind == OS_SOCKET ? "send" : "write");
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Read exactly @p len bytes. */
KB_INLINE int
os_read_all(const struct os_queue *q, int fd, void *buf, size_t len)
{
	unsigned char *p = (unsigned char *)buf;
	while (len) {
		ssize_t r = os_read(q, fd, p, len);
		if (KB_UNLIKELY(r <= 0)) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				fprintf(stderr, "bench: unexpected end of stream\n");
			else
				os_fail(q->kind == OS_SOCKET ? "recv" : "read");
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* ---- set-up -------------------------------------------------------------- */

static void
os_close(void *qv)
{
	struct os_queue *q = qv;
	int fds[4] = { q->wfd, q->rfd, q->wfd2, q->rfd2 };
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (q->mq != (mqd_t)-1)
		mq_close(q->mq);
	free(q->pbuf);
	free(q->cbuf);
	free(q);
}

static struct os_queue *
os_alloc(enum os_kind kind)
{
	struct os_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->kind = kind;
	q->wfd = q->rfd = q->wfd2 = q->rfd2 = -1;
	q->mq = (mqd_t)-1;
	q->pbuf = aligned_alloc(64, OS_BUF);
	q->cbuf = aligned_alloc(64, OS_BUF);
	if (!q->pbuf || !q->cbuf) {
		os_close(q);
		return NULL;
	}
	memset(q->pbuf, 0, OS_BUF);
	memset(q->cbuf, 0, OS_BUF);
	return q;
}

static void *
pipe_open(const struct ki_spec *s)
{
	struct os_queue *q = os_alloc(OS_PIPE);
	int fd[2];
	if (!q)
		return NULL;
	if (pipe2(fd, O_CLOEXEC) != 0) {
		os_fail("pipe2");
		os_close(q);
		return NULL;
	}
	q->rfd = fd[0];
	q->wfd = fd[1];
	if (s->kind == KI_RTT) {
		if (pipe2(fd, O_CLOEXEC) != 0) {
			os_fail("pipe2");
			os_close(q);
			return NULL;
		}
		q->rfd2 = fd[0];
		q->wfd2 = fd[1];
	}
	return q;
}

static void *
socket_open(const struct ki_spec *s)
{
	struct os_queue *q = os_alloc(OS_SOCKET);
	int sv[2];
	if (!q)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		os_fail("socketpair");
		os_close(q);
		return NULL;
	}
	/* Producer -> consumer on sv[0] -> sv[1]; the echo comes back the
	 * other way on the same pair. */
	q->wfd = sv[0];
	q->rfd = sv[1];
	if (s->kind == KI_RTT) {
		q->wfd2 = dup(sv[1]);
		q->rfd2 = dup(sv[0]);
		if (q->wfd2 < 0 || q->rfd2 < 0) {
			os_fail("dup");
			os_close(q);
			return NULL;
		}
	}
	return q;
}

static long
mq_max_depth(void)
{
	long depth = 10; /* the kernel's default msg_max */
	FILE *f = fopen("/proc/sys/fs/mqueue/msg_max", "r");
	if (f) {
		if (fscanf(f, "%ld", &depth) != 1)
			depth = 10;
		fclose(f);
	}
	return depth > 0 ? depth : 10;
}

static void *
mq_open_queue(const struct ki_spec *s)
{
	struct os_queue *q = os_alloc(OS_MQ);
	char name[64];
	(void)s;
	if (!q)
		return NULL;
	q->mq_depth = mq_max_depth();
	struct mq_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.mq_maxmsg = q->mq_depth;
	attr.mq_msgsize = 8;
	snprintf(name, sizeof(name), "/kaos-bench-ipc-mq-%ld", (long)getpid());
	q->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q->mq == (mqd_t)-1) {
		os_fail("mq_open");
		os_close(q);
		return NULL;
	}
	/* The descriptor (inherited by the children) keeps the queue; the
	 * name goes now, so that nothing is left behind whatever happens. */
	mq_unlink(name);
	return q;
}

/* ---- 8-byte values, one per call ------------------------------------------- */

static int
single_produce(struct os_queue *q, uint64_t events)
{
	struct kb_gen g = kb_gen_start();
	for (uint64_t i = 0; i < events; i++) {
		uint64_t v = kb_next_value(&g);
		if (q->kind == OS_MQ) {
			while (mq_send(q->mq, (const char *)&v, 8, 0) != 0)
				if (errno != EINTR)
					return os_fail("mq_send");
		} else if (os_write_all(q, q->wfd, &v, 8) != 0) {
			return -1;
		}
	}
	return 0;
}

static int
single_consume(struct os_queue *q, uint64_t events, struct ki_out *out)
{
	struct kb_check c = kb_check_start();
	for (; c.count < events; c.count++) {
		uint64_t v;
		if (q->kind == OS_MQ) {
			ssize_t r;
			while ((r = mq_receive(q->mq, (char *)&v, 8, NULL)) < 0)
				if (errno != EINTR)
					return os_fail("mq_receive");
			if (r != 8) {
				fprintf(stderr, "bench: mq_receive: %zd bytes\n", r);
				return -1;
			}
		} else if (os_read_all(q, q->rfd, &v, 8) != 0) {
			return -1;
		}
		kb_take_in_order(&c, v);
	}
	out->check = c;
	return 0;
}

/* ---- 8-byte values, 8 KiB writes and reads ---------------------------------- */

static int
stream_produce(struct os_queue *q, uint64_t events, unsigned io_bytes)
{
	struct kb_gen g = kb_gen_start();
	uint64_t *buf = (uint64_t *)q->pbuf;
	uint64_t per = io_bytes / 8;
	for (uint64_t left = events; left;) {
		uint64_t n = left < per ? left : per;
		kb_fill_values(&g, buf, n);
		if (os_write_all(q, q->wfd, buf, n * 8) != 0)
			return -1;
		left -= n;
	}
	return 0;
}

/* Reads of up to io_bytes; a read may end inside a value (a stream may
 * split writes anywhere): its bytes wait at the front of the buffer. */
static int
stream_consume(struct os_queue *q, uint64_t events, unsigned io_bytes,
	       struct ki_out *out)
{
	struct kb_check c = kb_check_start();
	unsigned char *buf = q->cbuf;
	size_t have = 0;
	while (c.count < events) {
		ssize_t r = os_read(q, q->rfd, buf + have, io_bytes - have);
		if (KB_UNLIKELY(r <= 0)) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				fprintf(stderr, "bench: unexpected end of stream\n");
			return r == 0 ? -1 : os_fail("read");
		}
		have += (size_t)r;
		size_t whole = have / 8;
		const uint64_t *v = (const uint64_t *)(void *)buf;
		for (size_t i = 0; i < whole; i++)
			kb_take_in_order(&c, v[i]);
		c.count += whole;
		have -= whole * 8;
		if (have)
			memmove(buf, buf + whole * 8, have);
	}
	out->check = c;
	return 0;
}

/* ---- messages -------------------------------------------------------------- */

/* One frame per write. */
KB_INLINE int
msg_produce_each(struct os_queue *q, uint64_t events, uint32_t len)
{
	unsigned char *frame = q->pbuf;
	memcpy(frame, &len, KI_FRAME_HDR);
	for (uint64_t seq = 1; seq <= events; seq++) {
		ki_msg_fill(frame + KI_FRAME_HDR, seq, len);
		if (os_write_all(q, q->wfd, frame, KI_FRAME_HDR + len) != 0)
			return -1;
	}
	return 0;
}

/* Read the length, then the payload: two reads per message. */
KB_INLINE int
msg_consume_each(struct os_queue *q, uint64_t events, uint32_t want,
		 struct ki_out *out)
{
	struct ki_msg_check c = ki_msg_check_start();
	unsigned char *buf = q->cbuf;
	while (c.count < events) {
		uint32_t len;
		if (os_read_all(q, q->rfd, &len, KI_FRAME_HDR) != 0)
			return -1;
		if (KB_UNLIKELY(len > KI_MAX_MSG)) {
			fprintf(stderr, "bench: frame of %u bytes: the stream is "
					"out of step\n", len);
			return -1;
		}
		if (os_read_all(q, q->rfd, buf, len) != 0)
			return -1;
		ki_msg_take(&c, buf, len, want);
	}
	out->msg = c;
	return 0;
}

/* Frames coalesced into writes of up to io_bytes. */
KB_INLINE int
msg_produce_batch(struct os_queue *q, uint64_t events, uint32_t len,
		  unsigned io_bytes)
{
	unsigned char *buf = q->pbuf;
	size_t used = 0;
	for (uint64_t seq = 1; seq <= events; seq++) {
		if (used + KI_FRAME_HDR + len > io_bytes) {
			if (os_write_all(q, q->wfd, buf, used) != 0)
				return -1;
			used = 0;
		}
		memcpy(buf + used, &len, KI_FRAME_HDR);
		ki_msg_fill(buf + used + KI_FRAME_HDR, seq, len);
		used += KI_FRAME_HDR + len;
	}
	if (used && os_write_all(q, q->wfd, buf, used) != 0)
		return -1;
	return 0;
}

/* Reads of up to io_bytes, frames parsed in place; a partial frame waits
 * at the front of the buffer for the rest. */
KB_INLINE int
msg_consume_batch(struct os_queue *q, uint64_t events, uint32_t want,
		  unsigned io_bytes, struct ki_out *out)
{
	struct ki_msg_check c = ki_msg_check_start();
	unsigned char *buf = q->cbuf;
	size_t have = 0;
	while (c.count < events) {
		ssize_t r = os_read(q, q->rfd, buf + have, io_bytes - have);
		if (KB_UNLIKELY(r <= 0)) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				fprintf(stderr, "bench: unexpected end of stream\n");
			return r == 0 ? -1 : os_fail("read");
		}
		have += (size_t)r;
		size_t at = 0;
		while (have - at >= KI_FRAME_HDR) {
			uint32_t len;
			memcpy(&len, buf + at, KI_FRAME_HDR);
			if (KB_UNLIKELY(len > KI_MAX_MSG)) {
				fprintf(stderr, "bench: frame of %u bytes: the "
						"stream is out of step\n", len);
				return -1;
			}
			if (have - at < KI_FRAME_HDR + len)
				break;
			ki_msg_take(&c, buf + at + KI_FRAME_HDR, len, want);
			at += KI_FRAME_HDR + len;
		}
		have -= at;
		if (have && at)
			memmove(buf, buf + at, have);
	}
	out->msg = c;
	return 0;
}

/* ---- round trips -------------------------------------------------------------- */

static int
rtt_ping(struct os_queue *q, uint64_t events, struct ki_out *out,
	 struct ki_rtt *rtt)
{
	struct kb_check c = kb_check_start();
	struct kb_gen g = kb_gen_start();
	KI_PING(c, events, rtt, back, uint64_t v = kb_next_value(&g),
		os_write_all(q, q->wfd, &v, 8) != 0 ||
			os_read_all(q, q->rfd2, &back, 8) != 0);
	out->check = c;
	return 0;
}

static int
rtt_echo(struct os_queue *q, uint64_t events, struct ki_out *out)
{
	struct kb_check c = kb_check_start();
	KI_ECHO(c, events, v,
		os_read_all(q, q->rfd, &v, 8) != 0 ||
			os_write_all(q, q->wfd2, &v, 8) != 0);
	out->check = c;
	return 0;
}

/* ---- adapters ------------------------------------------------------------------ */

/* pipe, socketpair: a call per value or message but in the sustained
 * case (8 KiB writes); pipe_batch, socketpair_batch: never; mq: always. */
static int
stream_syscalls(const struct ki_spec *s)
{
	return s->kind != KI_SUSTAINED;
}

static int
batch_syscalls(const struct ki_spec *s)
{
	(void)s;
	return 0;
}

static int
mq_syscalls(const struct ki_spec *s)
{
	(void)s;
	return 1;
}

static int
stream_supports(const struct ki_spec *s)
{
	return s->kind != KI_MSG || s->msg_bytes <= KI_MAX_MSG;
}

static int
batch_supports(const struct ki_spec *s)
{
	return s->kind == KI_MSG && s->msg_bytes <= KI_MAX_MSG &&
	       KI_FRAME_HDR + s->msg_bytes <= s->io_bytes && s->io_bytes <= OS_BUF;
}

static int
mq_supports(const struct ki_spec *s)
{
	return s->kind == KI_SINGLE;
}

static const char *
pipe_note(const struct ki_spec *s)
{
	/* by kind; parenthesised: each is one string (clang's
	 * -Wstring-concatenation) */
	static const char *const note[] = {
		[KI_SINGLE] = "write()/read() of 8 bytes per value, blocking",
		[KI_SUSTAINED] = "8 KiB write()s, read()s of up to 8 KiB, blocking",
		[KI_MSG] = ("a write() per message (4-byte length + payload); the "
			"reader reads the length, then the payload"),
		[KI_RTT] = "a pipe each way, 8-byte write()/read(), blocking",
	};
	return note[s->kind];
}

static const char *
socket_note(const struct ki_spec *s)
{
	static const char *const note[] = {
		[KI_SINGLE] = ("AF_UNIX SOCK_STREAM, send()/recv() of 8 bytes per value, "
			"blocking"),
		[KI_SUSTAINED] = ("AF_UNIX SOCK_STREAM, 8 KiB send()s, recv()s of up to "
			"8 KiB, blocking"),
		[KI_MSG] = ("AF_UNIX SOCK_STREAM, a send() per message (4-byte "
			"length + payload); the reader recv()s the length, then "
			"the payload"),
		[KI_RTT] = ("AF_UNIX SOCK_STREAM, both directions, 8-byte "
			"send()/recv(), blocking"),
	};
	return note[s->kind];
}

static const char *
pipe_batch_note(const struct ki_spec *s)
{
	(void)s;
	return "frames (4-byte length + payload) coalesced into write()s of up "
	       "to 8 KiB; read()s of up to 8 KiB, parsed in the buffer";
}

static const char *
socket_batch_note(const struct ki_spec *s)
{
	(void)s;
	return "AF_UNIX SOCK_STREAM; frames coalesced into send()s of up to "
	       "8 KiB; recv()s of up to 8 KiB, parsed in the buffer";
}

static const char *
mq_note(const struct ki_spec *s)
{
	static char note[160];
	(void)s;
	snprintf(note, sizeof(note),
		 "POSIX message queue, mq_send()/mq_receive() of 8-byte "
		 "messages, %ld deep (fs/mqueue/msg_max), blocking",
		 mq_max_depth());
	return note;
}

static int
os_produce(void *qv, const struct ki_spec *s, uint64_t events,
	   struct ki_out *out, struct ki_rtt *rtt)
{
	struct os_queue *q = qv;
	switch (s->kind) {
	case KI_SINGLE:
		return single_produce(q, events);
	case KI_SUSTAINED:
		return stream_produce(q, events, s->io_bytes);
	case KI_MSG:
#define OS_MSG_PRODUCE(len) msg_produce_each(q, events, len)
		KI_BY_MSG_BYTES(s, OS_MSG_PRODUCE);
#undef OS_MSG_PRODUCE
	case KI_RTT:
		return rtt_ping(q, events, out, rtt);
	}
	return -1;
}

static int
os_consume(void *qv, const struct ki_spec *s, uint64_t events,
	   struct ki_out *out)
{
	struct os_queue *q = qv;
	switch (s->kind) {
	case KI_SINGLE:
		return single_consume(q, events, out);
	case KI_SUSTAINED:
		return stream_consume(q, events, s->io_bytes, out);
	case KI_MSG:
#define OS_MSG_CONSUME(len) msg_consume_each(q, events, len, out)
		KI_BY_MSG_BYTES(s, OS_MSG_CONSUME);
#undef OS_MSG_CONSUME
	case KI_RTT:
		return rtt_echo(q, events, out);
	}
	return -1;
}

static int
batch_produce(void *qv, const struct ki_spec *s, uint64_t events,
	      struct ki_out *out, struct ki_rtt *rtt)
{
	struct os_queue *q = qv;
	(void)out;
	(void)rtt;
#define OS_BATCH_PRODUCE(len) msg_produce_batch(q, events, len, s->io_bytes)
	KI_BY_MSG_BYTES(s, OS_BATCH_PRODUCE);
#undef OS_BATCH_PRODUCE
}

static int
batch_consume(void *qv, const struct ki_spec *s, uint64_t events,
	      struct ki_out *out)
{
	struct os_queue *q = qv;
#define OS_BATCH_CONSUME(len) msg_consume_batch(q, events, len, s->io_bytes, out)
	KI_BY_MSG_BYTES(s, OS_BATCH_CONSUME);
#undef OS_BATCH_CONSUME
}

#define OS_ADAPTER(var, nm, sys, sup, nt, op, prod, cons)                    \
	const struct ki_adapter var = {                                       \
		.name = nm,                                                   \
		.per_message_syscalls = sys,                                  \
		.supports = sup,                                              \
		.note = nt,                                                   \
		.open = op,                                                   \
		.close = os_close,                                            \
		.produce = prod,                                              \
		.consume = cons,                                              \
	}

OS_ADAPTER(ki_peer_pipe, "pipe", stream_syscalls, stream_supports, pipe_note,
	   pipe_open, os_produce, os_consume);
OS_ADAPTER(ki_peer_socketpair, "socketpair", stream_syscalls, stream_supports,
	   socket_note, socket_open, os_produce, os_consume);
OS_ADAPTER(ki_peer_pipe_batch, "pipe_batch", batch_syscalls, batch_supports,
	   pipe_batch_note, pipe_open, batch_produce, batch_consume);
OS_ADAPTER(ki_peer_socketpair_batch, "socketpair_batch", batch_syscalls,
	   batch_supports, socket_batch_note, socket_open, batch_produce,
	   batch_consume);
OS_ADAPTER(ki_peer_mq, "mq", mq_syscalls, mq_supports, mq_note, mq_open_queue,
	   os_produce, os_consume);
