/* SPDX-License-Identifier: MIT */
/*
 * IPC channels between real processes: volume. Every message is checked.
 *
 *  - SPSC, 8-byte slots: 100M values (scaled) through the zero-copy handle
 *    (kaos_ipc_spsc: batch claim/publish, peek/release), each checked in
 *    order; and 5M through kaos_ipc_send/kaos_ipc_receive;
 *  - U64 (a u64ring: 64-bit values one at a time): 100M values (scaled)
 *    through the zero-copy handle (kaos_ipc_u64ring: push/pop), each
 *    checked in order; 10M through a ring of 7 values (full and empty all
 *    the time, a lap every 7 values); 5M through kaos_ipc_send/receive; 1M
 *    on a blocking channel (KAOS_WAIT_BLOCK both sides). A side that makes
 *    no progress for 20 s fails with the ring's state (a stalled ring, not
 *    just a slow one);
 *  - message channels, 1..4096-byte messages whose length and contents
 *    derive from a seed (printed; KAOS_TEST_SEED sets it): MSG_SP, MSG_MP
 *    with two producer processes, and MSG_SP with CRC-32C. Producers write
 *    in place (claim/commit) and through kaos_ipc_send; the subscriber
 *    compares every byte, checks each producer's order (consecutive: nothing
 *    lost, nothing duplicated), and sees -EPIPE at the end.
 *
 * Processes attach after fork; the case process coordinates and reaps;
 * every wait has a deadline and every process an alarm (see test_ipc.c,
 * whose process harness this file repeats).
 *
 *   stress_ipc [--soak SECONDS] [case...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

/* Message counts at scale 1 (about 20, 8 and 4 GB of messages), sized for
 * the time budget of a 2-vCPU machine; --soak repeats them. */
#define MSG_SP_COUNT 10000000
#define MSG_MP_COUNT 4000000
#define MSG_CRC_COUNT 2000000

/* ==== process harness: ipc_proc.h ====================================== */

#include "ipc_proc.h"

/* ==== common ================================================================== */

static struct kaos_ipc *
attach(const struct kaos_ipc_config *cfg, bool publisher, const char *who)
{
	struct kaos_ipc *ch = NULL;
	int rc = publisher ? kaos_ipc_publish(cfg, &ch) : kaos_ipc_subscribe(cfg, &ch);
	if (rc < 0)
		KAOS_FAIL("%s: %s(%s): %s", who, publisher ? "publish" : "subscribe", cfg->name,
			  kaos_strerror(rc));
	return ch;
}

static uint64_t
deadline(double seconds)
{
	return kaos_now_ns() + (uint64_t)(seconds * slack() * 1e9);
}

/* After a try that got nothing: spin, then yield; now and then check the
 * peer (a dead one fails the run), the deadline and, with @c progress,
 * that this side moved in the last STALL_NS. */
struct idler {
	struct kaos_ipc *ch;
	const char *who;
	uint64_t deadline;
	uint32_t fails;
	const uint64_t *progress; /* this side's position, or NULL */
	uint64_t last, since;     /* the position last seen, and since when */
};

#define STALL_NS (20 * SEC)

/* A u64 ring's shared state, for a stall's failure message. */
static void
describe_u64(struct kaos_ipc *ch, char *buf, size_t len)
{
	struct kaos_u64ring *r = kaos_ipc_u64ring(ch);
	if (!r) {
		buf[0] = 0;
		return;
	}
	struct kaos_ring_stats st;
	kaos_u64ring_stats(r, &st);
	uint64_t head = atomic_load(&r->ro.ctl->head), tail = atomic_load(&r->ro.ctl->tail);
	const struct kaos_u64ring_line *line =
		r->ro.lines + head / KAOS_U64RING_PER_LINE % r->ro.nlines;
	snprintf(buf, len, " (u64 ring: head %" PRIu64 ", tail hint %" PRIu64 ", published %"
		 PRIu64 ", the head's line starts at %" PRIu64 " and its sequence word is %"
		 PRIu64 ")", head, tail, st.published, head - head % KAOS_U64RING_PER_LINE,
		 atomic_load(&line->seq));
}

/* @return the peer check's verdict when it ran (0 otherwise). */
static int
idle(struct idler *d)
{
	if (++d->fails < 64) {
		kaos_cpu_relax();
		return 0;
	}
	sched_yield();
	if (d->fails % 256)
		return 0;
	uint64_t now = kaos_now_ns();
	if (now > d->deadline)
		KAOS_FAIL("%s: no progress before the deadline", d->who);
	if (d->progress) {
		if (*d->progress != d->last || !d->since) {
			d->last = *d->progress;
			d->since = now;
		} else if (now - d->since > (uint64_t)(STALL_NS * slack())) {
			char state[320];
			describe_u64(d->ch, state, sizeof(state));
			KAOS_FAIL("%s: stalled at %" PRIu64 " for %.0f s, its peer %s%s", d->who,
				  d->last, (double)(now - d->since) / 1e9,
				  kaos_ipc_check(d->ch) == 0 ? "alive" : "gone", state);
		}
	}
	return kaos_ipc_check(d->ch);
}

static void
report(const char *what, uint64_t n, uint64_t bytes, uint64_t t0)
{
	double s = (double)(kaos_now_ns() - t0) / 1e9;
	printf("  %s: %" PRIu64 " messages", what, n);
	if (bytes)
		printf(", %.2f GB", (double)bytes / 1e9);
	printf(" in %.2f s (%.1f M/s)\n", s, (double)n / s / 1e6);
	fflush(stdout);
}

struct vol_arg {
	struct kaos_ipc_config cfg;
	uint64_t n;        /* per producer */
	unsigned tag;      /* producer number (message channels) */
	unsigned nprod;
	enum kaos_wait_kind wait; /* send/receive: 0 means KAOS_WAIT_YIELD */
};

/* One stream: the subscriber attaches first, then the producer; both must
 * finish, the subscriber having taken all n. Returns the start time. */
static uint64_t
stream(struct vol_arg *a, void (*subscriber)(const void *), void (*producer)(const void *))
{
	uint64_t t0 = kaos_now_ns();
	pid_t s = spawn("subscriber", subscriber, a);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	pid_t p = spawn("producer", producer, a);
	finish(p);
	finish(s);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), a->n);
	return t0;
}

/* ==== 1. SPSC, 8-byte slots ==================================================== */

#define BATCH 4096

static void
spsc_zc_producer(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_spsc *sp = kaos_ipc_spsc(ch);
	KAOS_ASSERT(sp);
	struct idler d = { .ch = ch, .who = "producer", .deadline = deadline(240) };
	uint64_t v = 0;
	while (v < a->n) {
		void *slots = NULL;
		uint64_t want = a->n - v < BATCH ? a->n - v : BATCH;
		int64_t got = kaos_spsc_claim(sp, want, &slots);
		KAOS_ASSERT(got >= 0);
		if (got == 0) {
			int rc = idle(&d);
			if (rc < 0)
				KAOS_FAIL("producer: subscriber gone (%s) at %" PRIu64,
					  kaos_err_name(rc), v);
			continue;
		}
		uint64_t *s = slots;
		for (int64_t i = 0; i < got; i++)
			s[i] = v + (uint64_t)i;
		KAOS_ASSERT_OK(kaos_spsc_publish(sp, (uint64_t)got));
		v += (uint64_t)got;
		d.fails = 0;
	}
	kaos_ipc_close(ch);
}

static void
spsc_zc_subscriber(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "subscriber");
	struct kaos_spsc *sp = kaos_ipc_spsc(ch);
	KAOS_ASSERT(sp);
	atomic_fetch_add(&S->ready, 1);
	struct idler d = { .ch = ch, .who = "subscriber", .deadline = deadline(240) };
	uint64_t v = 0;
	while (v < a->n) {
		const void *slots = NULL;
		int64_t got = kaos_spsc_peek(sp, BATCH, &slots);
		KAOS_ASSERT(got >= 0);
		if (got == 0) {
			if (idle(&d) < 0 && kaos_spsc_peek(sp, 1, &slots) == 0)
				KAOS_FAIL("subscriber: producer gone at %" PRIu64 " of %" PRIu64, v,
					  a->n);
			continue;
		}
		const uint64_t *s = slots;
		uint64_t bad = 0;
		for (int64_t i = 0; i < got; i++)
			bad |= s[i] ^ (v + (uint64_t)i);
		if (bad)
			for (int64_t i = 0; i < got; i++)
				if (s[i] != v + (uint64_t)i)
					KAOS_FAIL("subscriber: got %" PRIu64 ", expected %" PRIu64,
						  s[i], v + (uint64_t)i);
		KAOS_ASSERT_OK(kaos_spsc_release(sp, (uint64_t)got));
		v += (uint64_t)got;
		d.fails = 0;
	}
	/* nothing more, then the producer's clean close */
	const void *slots = NULL;
	uint64_t dl = deadline(30);
	int rc;
	while ((rc = kaos_ipc_check(ch)) == 0) {
		KAOS_ASSERT_EQ(kaos_spsc_peek(sp, 1, &slots), 0);
		if (kaos_now_ns() > dl)
			KAOS_FAIL("subscriber: producer never closed");
		sleep_ns(MS / 4);
	}
	KAOS_ASSERT_EQ(rc, -EPIPE);
	KAOS_ASSERT_EQ(kaos_spsc_peek(sp, 1, &slots), 0);
	atomic_store(&S->got[0], v);
	kaos_ipc_close(ch);
}

static void
spsc_100m_zero_copy(void)
{
	struct vol_arg a = {
		.cfg = { .name = chan_name(false, "spsc"), .kind = KAOS_IPC_SPSC,
			 .capacity = 1 << 16, .slot_size = 8, .liveness_ns = 20 * MS },
		.n = kaos_test_scaled(100000000, 200000),
	};
	uint64_t t0 = stream(&a, spsc_zc_subscriber, spsc_zc_producer);
	report("spsc zero-copy", a.n, 0, t0);
}

static void
copy_fn(uint32_t type, const void *data, size_t len, void *ctx)
{
	uint64_t *next = ctx, v;
	if (type != 0 || len != 8)
		KAOS_FAIL("subscriber: type %u, %zu bytes", type, len);
	memcpy(&v, data, 8);
	if (v != *next)
		KAOS_FAIL("subscriber: got %" PRIu64 ", expected %" PRIu64, v, *next);
	(*next)++;
}

static void
spsc_copy_producer(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_wait w = { .kind = a->wait ? a->wait : KAOS_WAIT_YIELD,
			       .timeout_ns = 30 * SEC };
	for (uint64_t v = 0; v < a->n; v++) {
		int rc = kaos_ipc_send(ch, 0, &v, sizeof(v), &w);
		if (rc < 0)
			KAOS_FAIL("producer: send %" PRIu64 ": %s", v, kaos_strerror(rc));
	}
	kaos_ipc_close(ch);
}

static void
spsc_copy_subscriber(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "subscriber");
	atomic_fetch_add(&S->ready, 1);
	struct kaos_wait w = { .kind = a->wait ? a->wait : KAOS_WAIT_YIELD,
			       .timeout_ns = 30 * SEC };
	uint64_t next = 0;
	int64_t rc;
	while ((rc = kaos_ipc_receive(ch, copy_fn, &next, 256, &w)) > 0) {
	}
	if (rc != -EPIPE || next != a->n)
		KAOS_FAIL("subscriber: %" PRIu64 " of %" PRIu64 " then %s", next, a->n,
			  kaos_err_name((int)rc));
	atomic_store(&S->got[0], next);
	kaos_ipc_close(ch);
}

static void
spsc_send_receive(void)
{
	struct vol_arg a = {
		.cfg = { .name = chan_name(true, "spsc"), .kind = KAOS_IPC_SPSC,
			 .capacity = 4096, .slot_size = 8, .liveness_ns = 20 * MS },
		.n = kaos_test_scaled(5000000, 50000),
	};
	uint64_t t0 = stream(&a, spsc_copy_subscriber, spsc_copy_producer);
	report("spsc send/receive", a.n, 0, t0);
}

/* ==== 2. U64: 64-bit values one at a time ======================================= */

static void
u64_zc_producer(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_u64ring *ring = kaos_ipc_u64ring(ch);
	KAOS_ASSERT(ring);
	uint64_t v = 0;
	struct idler d = { .ch = ch, .who = "producer", .deadline = deadline(240),
			   .progress = &v };
	while (v < a->n) {
		int rc = kaos_u64ring_push(ring, v);
		if (rc == 0) {
			v++;
			d.fails = 0;
			continue;
		}
		if (rc != -KAOS_EFULL)
			KAOS_FAIL("producer: push %" PRIu64 ": %s", v, kaos_strerror(rc));
		rc = idle(&d);
		if (rc < 0)
			KAOS_FAIL("producer: subscriber gone (%s) at %" PRIu64, kaos_err_name(rc),
				  v);
	}
	kaos_ipc_close(ch);
}

static void
u64_zc_subscriber(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "subscriber");
	struct kaos_u64ring *ring = kaos_ipc_u64ring(ch);
	KAOS_ASSERT(ring);
	atomic_fetch_add(&S->ready, 1);
	uint64_t v = 0;
	struct idler d = { .ch = ch, .who = "subscriber", .deadline = deadline(240),
			   .progress = &v };
	while (v < a->n) {
		uint64_t got;
		int rc = kaos_u64ring_pop(ring, &got);
		if (rc == 0) {
			if (got != v)
				KAOS_FAIL("subscriber: got %" PRIu64 ", expected %" PRIu64, got, v);
			v++;
			d.fails = 0;
			continue;
		}
		if (rc != -KAOS_EEMPTY)
			KAOS_FAIL("subscriber: pop at %" PRIu64 ": %s", v, kaos_strerror(rc));
		if (idle(&d) < 0) {
			/* gone: what it published before is still to be taken */
			rc = kaos_u64ring_pop(ring, &got);
			if (rc == -KAOS_EEMPTY)
				KAOS_FAIL("subscriber: producer gone at %" PRIu64 " of %" PRIu64, v,
					  a->n);
			KAOS_ASSERT_OK(rc);
			if (got != v)
				KAOS_FAIL("subscriber: got %" PRIu64 ", expected %" PRIu64, got, v);
			v++;
			d.fails = 0;
		}
	}
	/* nothing more, then the producer's clean close */
	uint64_t dl = deadline(30), extra;
	int rc;
	while ((rc = kaos_ipc_check(ch)) == 0) {
		KAOS_ASSERT_EQ(kaos_u64ring_pop(ring, &extra), -KAOS_EEMPTY);
		if (kaos_now_ns() > dl)
			KAOS_FAIL("subscriber: producer never closed");
		sleep_ns(MS / 4);
	}
	KAOS_ASSERT_EQ(rc, -EPIPE);
	KAOS_ASSERT_EQ(kaos_u64ring_pop(ring, &extra), -KAOS_EEMPTY);
	KAOS_ASSERT_UEQ(kaos_u64ring_size(ring), 0);
	atomic_store(&S->got[0], v);
	kaos_ipc_close(ch);
}

static void
u64_volume(const char *what, uint64_t capacity, uint64_t n, bool file)
{
	struct vol_arg a = {
		.cfg = { .name = chan_name(file, "u64"), .kind = KAOS_IPC_U64,
			 .capacity = capacity, .liveness_ns = 20 * MS },
		.n = n,
	};
	uint64_t t0 = stream(&a, u64_zc_subscriber, u64_zc_producer);
	struct kaos_ipc_info info;
	KAOS_ASSERT_OK(kaos_ipc_inspect(a.cfg.name, &info));
	KAOS_ASSERT_UEQ(info.tail, a.n);
	KAOS_ASSERT_UEQ(info.head, a.n);
	report(what, a.n, 0, t0);
}

static void
u64_100m_zero_copy(void)
{
	/* 8192 lines' worth: 512 KiB of values, as the SPSC case's ring */
	u64_volume("u64 zero-copy", 7 << 13, kaos_test_scaled(100000000, 200000), false);
}

static void
u64_ring_of_seven(void)
{
	u64_volume("u64 zero-copy, 7 values", 7, kaos_test_scaled(10000000, 100000), true);
}

static void
u64_send_receive(void)
{
	struct vol_arg a = {
		.cfg = { .name = chan_name(true, "u64"), .kind = KAOS_IPC_U64,
			 .capacity = 4095, .liveness_ns = 20 * MS },
		.n = kaos_test_scaled(5000000, 50000),
	};
	uint64_t t0 = stream(&a, spsc_copy_subscriber, spsc_copy_producer);
	report("u64 send/receive", a.n, 0, t0);
}

static void
u64_blocking_send_receive(void)
{
	struct vol_arg a = {
		.cfg = { .name = chan_name(false, "u64"), .kind = KAOS_IPC_U64,
			 .capacity = 63, .flags = KAOS_IPC_BLOCKING, .liveness_ns = 20 * MS },
		.n = kaos_test_scaled(1000000, 20000),
		.wait = KAOS_WAIT_BLOCK,
	};
	uint64_t t0 = stream(&a, spsc_copy_subscriber, spsc_copy_producer);
	report("u64 blocking send/receive", a.n, 0, t0);
}

/* ==== 3. message channels: 1..4096 bytes from a seed ============================ */

#define POOL_LEN (1u << 20)
#define MAX_MSG 4096u
#define SEQ_BITS 28
static unsigned char *pool; /* POOL_LEN + MAX_MSG bytes from the seed */
static uint64_t seed;

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Message s of producer p: its length, where its bytes are in the pool,
 * and its type (producer and low bits of s). */
static void
msg_of(unsigned p, uint64_t s, size_t *len, size_t *off)
{
	uint64_t h = mix64(seed ^ ((uint64_t)p << 56) ^ (s * 0xD1B54A32D192ED03ull));
	*len = 1 + (size_t)(h % MAX_MSG);
	*off = (size_t)((h >> 24) % POOL_LEN);
}

static uint32_t
msg_type(unsigned p, uint64_t s)
{
	return (uint32_t)p << SEQ_BITS | (uint32_t)(s & ((1u << SEQ_BITS) - 1));
}

static void
pool_init(void)
{
	const char *e = getenv("KAOS_TEST_SEED");
	seed = e ? strtoull(e, NULL, 0) : kaos_now_ns() ^ (uint64_t)getpid() << 32;
	printf("  seed %" PRIu64 " (KAOS_TEST_SEED)\n", seed);
	fflush(stdout);
	pool = malloc(POOL_LEN + MAX_MSG);
	KAOS_ASSERT(pool);
	uint64_t x = seed | 1;
	for (size_t i = 0; i < POOL_LEN + MAX_MSG; i += 8) {
		uint64_t r = kaos_test_rand(&x);
		memcpy(pool + i, &r, 8);
	}
}

static void
msg_producer(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_msgring_producer *prod = kaos_ipc_msg_producer(ch);
	KAOS_ASSERT(prod);
	struct kaos_wait w = { .kind = KAOS_WAIT_YIELD, .timeout_ns = 30 * SEC };
	for (uint64_t s = 0; s < a->n; s++) {
		size_t len, off;
		msg_of(a->tag, s, &len, &off);
		uint32_t type = msg_type(a->tag, s);
		void *d = NULL;
		int rc = s % 16 ? kaos_msgring_claim(prod, type, len, &d) : -KAOS_EFULL;
		if (rc == 0) {
			memcpy(d, pool + off, len); /* in place */
			rc = kaos_msgring_commit(prod);
		} else if (rc == -KAOS_EFULL) {
			/* a copy, waiting for room (and checking the subscriber) */
			rc = kaos_ipc_send(ch, type, pool + off, len, &w);
		}
		if (rc < 0)
			KAOS_FAIL("producer %u: message %" PRIu64 ": %s", a->tag, s,
				  kaos_strerror(rc));
	}
	kaos_ipc_close(ch);
}

struct msg_rx {
	unsigned nprod;
	uint64_t next[4];
	uint64_t count, bytes;
};

static void
msg_fn(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct msg_rx *r = ctx;
	unsigned p = type >> SEQ_BITS;
	if (p >= r->nprod)
		KAOS_FAIL("subscriber: type %#x (%zu bytes) after %" PRIu64 " messages", type, len,
			  r->count);
	uint64_t s = r->next[p];
	size_t want, off;
	msg_of(p, s, &want, &off);
	if (type != msg_type(p, s))
		KAOS_FAIL("subscriber: producer %u: message %" PRIu64 " has type %#x, expected %#x"
			  " (lost, duplicated or reordered)", p, s, type, msg_type(p, s));
	if (len != want || memcmp(data, pool + off, len) != 0)
		KAOS_FAIL("subscriber: producer %u: message %" PRIu64 ": %zu bytes, expected %zu,"
			  " contents %s", p, s, len, want,
			  len == want ? "differ" : "not compared");
	r->next[p] = s + 1;
	r->count++;
	r->bytes += len;
}

static void
msg_subscriber(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "subscriber");
	atomic_fetch_add(&S->ready, 1);
	struct kaos_wait w = { .kind = KAOS_WAIT_YIELD, .timeout_ns = 30 * SEC };
	struct msg_rx r = { .nprod = a->nprod };
	int64_t rc;
	/* mostly large batches (more than a full ring's worth of records),
	 * some small */
	while ((rc = kaos_ipc_receive(ch, msg_fn, &r, r.count % 5 ? 1024 : 7, &w)) > 0) {
	}
	for (unsigned i = 0; i < a->nprod; i++)
		if (r.next[i] != a->n)
			KAOS_FAIL("subscriber: producer %u: %" PRIu64 " of %" PRIu64 " messages, then"
				  " %s", i, r.next[i], a->n, kaos_err_name((int)rc));
	KAOS_ASSERT_EQ(rc, -EPIPE);
	KAOS_ASSERT_UEQ(kaos_msgring_corrupt(kaos_ipc_msgring(ch)), 0);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(kaos_ipc_msgring(ch)), 0);
	atomic_store(&S->got[0], r.count);
	atomic_store(&S->val[0], r.bytes);
	kaos_ipc_close(ch);
}

static void
msg_volume(const char *what, enum kaos_ipc_kind kind, uint32_t flags, unsigned nprod,
	   uint64_t total, bool file)
{
	pool_init();
	struct vol_arg a = {
		.cfg = { .name = chan_name(file, what), .kind = kind, .capacity = 1 << 20,
			 .flags = flags, .liveness_ns = 20 * MS },
		.n = total / nprod,
		.nprod = nprod,
	};
	uint64_t t0 = kaos_now_ns();
	pid_t s = spawn("subscriber", msg_subscriber, &a);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	struct vol_arg pa[4];
	pid_t p[4];
	for (unsigned i = 0; i < nprod; i++) {
		pa[i] = a;
		pa[i].tag = i;
		p[i] = spawn("producer", msg_producer, &pa[i]);
	}
	for (unsigned i = 0; i < nprod; i++)
		finish(p[i]);
	finish(s);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), a.n * nprod);
	report(what, a.n * nprod, atomic_load(&S->val[0]), t0);
	free(pool);
}

static void
msg_sp_variable_length(void)
{
	msg_volume("msgsp", KAOS_IPC_MSG_SP, 0, 1, kaos_test_scaled(MSG_SP_COUNT, 20000), true);
}

static void
msg_mp_two_producer_processes(void)
{
	msg_volume("msgmp", KAOS_IPC_MSG_MP, 0, 2, kaos_test_scaled(MSG_MP_COUNT, 20000), false);
}

static void
msg_sp_crc(void)
{
	msg_volume("msgcrc", KAOS_IPC_MSG_SP, KAOS_IPC_CRC, 1,
		   kaos_test_scaled(MSG_CRC_COUNT, 20000), false);
}

/* ==== main ====================================================================== */

static const struct kaos_test_case cases[] = {
	KAOS_TEST(spsc_100m_zero_copy),
	KAOS_TEST(spsc_send_receive),
	KAOS_TEST(u64_100m_zero_copy),
	KAOS_TEST(u64_ring_of_seven),
	KAOS_TEST(u64_send_receive),
	KAOS_TEST(u64_blocking_send_receive),
	KAOS_TEST(msg_sp_variable_length),
	KAOS_TEST(msg_mp_two_producer_processes),
	KAOS_TEST(msg_sp_crc),
	KAOS_TEST_END,
};

int
main(int argc, char **argv)
{
	return ipc_test_main(cases, argc, argv);
}
