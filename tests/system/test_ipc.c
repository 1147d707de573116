/* SPDX-License-Identifier: MIT */
/*
 * IPC channels between real processes: liveness and functional behaviour.
 *
 * Every channel user is a forked process that attaches after the fork (a
 * child that inherited an attached descriptor would keep its parent's slot
 * lock alive); the process running the case only coordinates, through an
 * anonymous shared mapping, and kills, stops and reaps. Each case runs in a
 * process of its own, so one failing case does not hide the others; channel
 * names carry that process's pid ("/kaos-test-<pid>-<tag>-<n>", or files
 * under a mkdtemp directory) and are removed when the case ends, fails or
 * times out. Every wait is bounded (kaos_wait timeouts, deadlines on the
 * coordinator's polls) and every process has an alarm as a backstop.
 *
 * Cases:
 *  - a producer killed mid-stream: its subscriber gets -KAOS_EPEERDEAD after
 *    draining an exact prefix of what was sent; a clean close gives -EPIPE
 *    (each kind, U64 included);
 *  - MSG_MP: a claimer stopped before committing blocks the ring and is not
 *    unblocked while alive; killed, its claim is turned into padding and the
 *    other producer's messages behind it flow (inspect: unblocked == 1); the
 *    same when a new producer has re-taken the dead claimer's slot; a claimer
 *    that died after taking space but before writing its header;
 *  - a broadcast subscriber killed while gating the producer is evicted; an
 *    SPSC or U64 subscriber killed makes a blocked send return
 *    -KAOS_EPEERDEAD and its successor resumes where it stopped (U64:
 *    exactly there); message-channel subscribers killed at random moments,
 *    each successor resuming;
 *  - a producer restarted (clean exit, killed or closed with a claim open)
 *    continues the sequence for SPSC, MSG_SP and BCAST; for U64 (clean
 *    exit; killed mid-stream, repeatedly; killed between writing a value
 *    and publishing its sequence word, mid-line and at a line's first word;
 *    killed blocked on a full ring with its subscriber stopped mid-line)
 *    the successor continues at the exact position, nothing lost or
 *    duplicated;
 *  - three broadcast subscribers, one joining late;
 *  - errors: -EBUSY, expectation mismatches and bad configurations (each
 *    kind; U64: capacity not a multiple of 7, slot size other than 8),
 *    foreign/version/truncated/corrupt files (SPSC and U64, whose ring state
 *    is checked on attach too), an empty file (-EAGAIN), file modes,
 *    cleanup (also of a file whose creator died before writing the header),
 *    unlink;
 *  - inspect (what the tools show) of busy SPSC and U64 channels: positions
 *    consistent snapshot after snapshot; of a U64 channel whose ring state
 *    is inconsistent: -KAOS_ECORRUPT or its head, not zeros;
 *  - blocking channels: ping-pong with no lost wake-up (U64 included), idle
 *    timeouts (U64 included);
 *  - a message ring filled exactly to capacity; concurrent creators;
 *    cleanup racing attachers.
 *
 * A case that finds a library defect says what it saw in its failure
 * message; the other cases still run (exit status 1 if any failed).
 *
 *   test_ipc [--soak SECONDS] [case...]
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

/* ==== process harness: ipc_proc.h ====================================== */

#include "ipc_proc.h"

/* ==== channels, messages, checking ============================================ */

static const char *
kind_tag(enum kaos_ipc_kind k)
{
	switch (k) {
	case KAOS_IPC_SPSC: return "spsc";
	case KAOS_IPC_MSG_SP: return "msgsp";
	case KAOS_IPC_MSG_MP: return "msgmp";
	case KAOS_IPC_BCAST: return "bcast";
	case KAOS_IPC_U64: return "u64";
	}
	return "?";
}

static bool
is_fixed(enum kaos_ipc_kind k)
{
	return k == KAOS_IPC_SPSC || k == KAOS_IPC_BCAST || k == KAOS_IPC_U64;
}

/* The usual configuration: small rings, fast liveness checks. */
static struct kaos_ipc_config
config(const char *name, enum kaos_ipc_kind kind)
{
	struct kaos_ipc_config c = {
		.name = name,
		.kind = kind,
		.capacity = kind == KAOS_IPC_U64 ? 63 : is_fixed(kind) ? 64 : 64 * 1024,
		.slot_size = is_fixed(kind) ? 8 : 0,
		.liveness_ns = 20 * MS,
		.unblock_ns = 200 * MS,
		.open_timeout_ns = 5 * SEC,
	};
	return c;
}

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

static struct kaos_wait
backoff(uint64_t timeout_ns)
{
	return (struct kaos_wait){ .kind = KAOS_WAIT_BACKOFF, .timeout_ns = timeout_ns,
				   .max_sleep_ns = 200 * 1000 };
}

#define T_WAIT (10 * SEC)
#define SEQ_MASK ((UINT64_C(1) << 48) - 1)
#define NTAGS 4

/* Messages: the first word is tag << 48 | seq. Fixed kinds carry just that
 * word (8-byte slots); message kinds add 0..63 bytes derived from it. */
static size_t
msg_len(uint64_t w)
{
	return 8 + (size_t)((w * 0x9E3779B97F4A7C15ull) >> 58);
}

static uint32_t
msg_type(uint64_t w)
{
	return (uint32_t)(w % 60000u);
}

static unsigned char
msg_byte(uint64_t w, size_t j)
{
	return (unsigned char)(w * 131u + j);
}

static int
send_word(struct kaos_ipc *ch, uint64_t w, const struct kaos_wait *how)
{
	if (is_fixed(kaos_ipc_kind(ch)))
		return kaos_ipc_send(ch, 0, &w, sizeof(w), how);
	unsigned char buf[80];
	size_t len = msg_len(w);
	memcpy(buf, &w, sizeof(w));
	for (size_t j = 8; j < len; j++)
		buf[j] = msg_byte(w, j);
	return kaos_ipc_send(ch, msg_type(w), buf, len, how);
}

/* A receiver's checks: per tag, consecutive sequence numbers. */
struct rx {
	const char *who;
	bool fixed;
	bool any_start; /* the first message may start anywhere */
	bool started;
	uint64_t first; /* first word */
	uint64_t next[NTAGS];
	uint64_t count;
	_Atomic uint64_t *progress; /* count, published per message */
};

static struct rx
rx_make(const char *who, enum kaos_ipc_kind kind, _Atomic uint64_t *progress)
{
	return (struct rx){ .who = who, .fixed = is_fixed(kind), .progress = progress };
}

static void
rx_fn(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct rx *r = ctx;
	uint64_t w;
	if (len < 8)
		KAOS_FAIL("%s: a %zu-byte message (type %u) after %" PRIu64, r->who, len, type,
			  r->count);
	memcpy(&w, data, sizeof(w));
	unsigned tag = (unsigned)(w >> 48);
	uint64_t seq = w & SEQ_MASK;
	if (tag >= NTAGS)
		KAOS_FAIL("%s: foreign message %#" PRIx64 " (type %u, %zu bytes) after %" PRIu64
			  " messages", r->who, w, type, len, r->count);
	if (!r->started) {
		r->started = true;
		r->first = w;
		if (r->any_start)
			r->next[tag] = seq;
	}
	if (seq != r->next[tag])
		KAOS_FAIL("%s: producer %u: got seq %" PRIu64 ", expected %" PRIu64
			  " (after %" PRIu64 " messages)", r->who, tag, seq, r->next[tag],
			  r->count);
	if (r->fixed) {
		if (type != 0 || len != 8)
			KAOS_FAIL("%s: slot of type %u, %zu bytes", r->who, type, len);
	} else {
		if (len != msg_len(w) || type != msg_type(w))
			KAOS_FAIL("%s: seq %" PRIu64 ": type %u len %zu, expected %u and %zu",
				  r->who, seq, type, len, msg_type(w), msg_len(w));
		const unsigned char *b = data;
		for (size_t j = 8; j < len; j++)
			if (b[j] != msg_byte(w, j))
				KAOS_FAIL("%s: seq %" PRIu64 ": byte %zu differs", r->who, seq, j);
	}
	r->next[tag] = seq + 1;
	r->count++;
	if (r->progress)
		atomic_store_explicit(r->progress, r->count, memory_order_relaxed);
}

/* Receive until an error (-EPIPE at the end of a clean stream). */
static int64_t
rx_until_error(struct kaos_ipc *ch, struct rx *r, uint64_t limit, const struct kaos_wait *how)
{
	int64_t rc;
	while ((rc = kaos_ipc_receive(ch, rx_fn, r, limit, how)) > 0) {
	}
	return rc;
}

static void
inspect(const char *name, struct kaos_ipc_info *info)
{
	int rc = kaos_ipc_inspect(name, info);
	if (rc < 0)
		KAOS_FAIL("inspect(%s): %s", name, kaos_strerror(rc));
}

/* ==== generic children ========================================================== */

enum end_how {
	END_CLOSE, /* kaos_ipc_close, exit */
	END_STOP,  /* stay attached, raise(SIGSTOP): the case kills it */
	END_NEVER, /* send until killed */
};

struct prod_arg {
	struct kaos_ipc_config cfg;
	unsigned tag;      /* words are tag << 48 | seq */
	uint64_t from, to; /* seq range */
	enum end_how end;
	int slot;          /* S->sent[slot] */
	uint64_t slow_first; /* sleep slow_ns after each of the first slow_first */
	uint64_t slow_ns;
	bool wait_go;      /* start sending once S->go is set */
};

static void
producer(const void *p)
{
	const struct prod_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_wait w = backoff(T_WAIT);
	atomic_fetch_add(&S->ready, 1);
	if (a->wait_go) {
		uint64_t dl = kaos_now_ns() + 60 * SEC;
		while (!atomic_load(&S->go)) {
			if (kaos_now_ns() > dl)
				KAOS_FAIL("producer: no go");
			sleep_ns(MS / 4);
		}
	}
	for (uint64_t s = a->from; a->end == END_NEVER || s < a->to; s++) {
		int rc = send_word(ch, (uint64_t)a->tag << 48 | s, &w);
		if (rc < 0)
			KAOS_FAIL("producer %u: send seq %" PRIu64 ": %s", a->tag, s,
				  kaos_strerror(rc));
		atomic_store(&S->sent[a->slot], s + 1 - a->from);
		if (s - a->from < a->slow_first)
			sleep_ns(a->slow_ns);
	}
	if (a->end == END_STOP) {
		raise(SIGSTOP);
		_exit(3); /* never continued */
	}
	kaos_ipc_close(ch);
}

struct sub_arg {
	struct kaos_ipc_config cfg;
	int slot;        /* S->got/rc/first/when[slot] */
	bool any_start;
	uint64_t limit;  /* per receive */
	uint64_t kill_cpu_ns;
};

/* Attach, say so, receive until an error; record the outcome. */
static void
subscriber(const void *p)
{
	const struct sub_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "subscriber");
	atomic_fetch_add(&S->ready, 1);
	struct rx r = rx_make("subscriber", a->cfg.kind, &S->got[a->slot]);
	r.any_start = a->any_start;
	struct kaos_wait w = backoff(T_WAIT);
	int64_t rc = rx_until_error(ch, &r, a->limit ? a->limit : 64, &w);
	atomic_store(&S->when[a->slot], kaos_now_ns());
	atomic_store(&S->first[a->slot], r.first);
	atomic_store(&S->got[a->slot], r.count);
	atomic_store(&S->rc[a->slot], rc);
	kaos_ipc_close(ch);
}

/* ==== 3. a producer dies: -KAOS_EPEERDEAD after an exact prefix; closes: -EPIPE == */

static void
producer_death(enum kaos_ipc_kind kind, bool file, bool killed)
{
	reset_shared();
	struct sub_arg sa = { .cfg = config(chan_name(file, kind_tag(kind)), kind) };
	sa.cfg.unblock_ns = 100 * MS; /* MSG_MP: a claim the kill left open */
	const char *name = sa.cfg.name;
	uint64_t n = 5000;
	pid_t s = spawn("subscriber", subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	struct prod_arg pa = { .cfg = sa.cfg, .to = n, .end = killed ? END_NEVER : END_CLOSE };
	pid_t p = spawn("producer", producer, &pa);
	if (killed) {
		/* mid-stream: both running */
		WAIT_UNTIL(atomic_load(&S->got[0]) >= 2000, 20);
		struct kaos_ipc_info info;
		inspect(name, &info);
		KAOS_ASSERT(info.producers[0].alive && info.producers[0].pid == p);
		KAOS_ASSERT(info.subscribers[0].alive && info.subscribers[0].pid == s);
		KAOS_ASSERT(info.producers[0].heartbeat_ns != 0);
		uint64_t t_kill = kaos_now_ns();
		kill_child(p);
		uint64_t sent = atomic_load(&S->sent[0]);
		finish(s);
		int64_t rc = atomic_load(&S->rc[0]);
		uint64_t got = atomic_load(&S->got[0]);
		uint64_t after = atomic_load(&S->when[0]) - t_kill;
		printf("  %s: killed after %" PRIu64 " sent; received %" PRIu64 ", then %s after"
		       " %.1f ms\n", kind_tag(kind), sent, got, kaos_err_name((int)rc),
		       (double)after / 1e6);
		KAOS_ASSERT_EQ(rc, -KAOS_EPEERDEAD);
		KAOS_ASSERT_LT(after, (uint64_t)(2 * SEC * slack()));
		/* the handler checked 0, 1, ..., got-1: a prefix; nothing that
		 * the producer completed is missing */
		KAOS_ASSERT_GE(got, sent);
		KAOS_ASSERT_LE(got, sent + 1);
		inspect(name, &info);
		KAOS_ASSERT(!info.producers[0].alive && !info.producers[0].closed);
		KAOS_ASSERT_EQ(info.producers[0].pid, p);
	} else {
		finish(p);
		finish(s);
		KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), -EPIPE);
		KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), n);
		struct kaos_ipc_info info;
		inspect(name, &info);
		KAOS_ASSERT(!info.producers[0].alive && info.producers[0].closed);
	}
}

static void
producer_killed_spsc(void)
{
	producer_death(KAOS_IPC_SPSC, false, true);
	producer_death(KAOS_IPC_SPSC, true, false);
}

static void
producer_killed_msg_sp(void)
{
	producer_death(KAOS_IPC_MSG_SP, true, true);
	producer_death(KAOS_IPC_MSG_SP, false, false);
}

static void
producer_killed_msg_mp(void)
{
	producer_death(KAOS_IPC_MSG_MP, false, true);
	producer_death(KAOS_IPC_MSG_MP, true, false);
}

static void
producer_killed_bcast(void)
{
	producer_death(KAOS_IPC_BCAST, true, true);
	producer_death(KAOS_IPC_BCAST, false, false);
}

static void
producer_killed_u64(void)
{
	producer_death(KAOS_IPC_U64, false, true);
	producer_death(KAOS_IPC_U64, true, false);
}

/* ==== 4. MSG_MP: a claim left open by a stopped, then killed, producer ====== */

#define CLAIM_TYPE 0x7777777u

/* Claim a record, write it, never commit; stop (the case kills us). */
static void
stuck_claimer(const void *p)
{
	const struct kaos_ipc_config *cfg = p;
	struct kaos_ipc *ch = attach(cfg, true, "claimer");
	struct kaos_msgring_producer *prod = kaos_ipc_msg_producer(ch);
	KAOS_ASSERT(prod);
	void *d = NULL;
	int rc = kaos_msgring_claim(prod, CLAIM_TYPE, 100, &d);
	if (rc < 0)
		KAOS_FAIL("claimer: claim: %s", kaos_strerror(rc));
	memset(d, 0x5a, 100);
	atomic_store(&S->flag[0], 1);
	raise(SIGSTOP);
	_exit(3);
}

/* @p reuse: after the kill (with the subscriber stopped, so it cannot
 * unblock in between), a new producer takes the dead claimer's slot. */
static void
mp_dead_claim(bool reuse)
{
	struct sub_arg sa = { .cfg = config(chan_name(false, "mp"), KAOS_IPC_MSG_MP) };
	const char *name = sa.cfg.name;
	const uint64_t unblock = 200 * MS;
	sa.cfg.unblock_ns = unblock;
	sa.cfg.max_producers = 4;
	const uint64_t n = 3000; /* more than the ring holds behind the claim */
	pid_t s = spawn("subscriber", subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	pid_t a = spawn("claimer", stuck_claimer, &sa.cfg); /* slot 0 */
	wait_stopped(a);
	KAOS_ASSERT_EQ(atomic_load(&S->flag[0]), 1);
	struct prod_arg pb = { .cfg = sa.cfg, .tag = 1, .to = n, .end = END_CLOSE, .slot = 1 };
	pid_t b = spawn("producer B", producer, &pb); /* slot 1 */
	WAIT_UNTIL(atomic_load(&S->sent[1]) >= 100, 10);

	/* Alive (stopped) claimer: its record stays, however long we wait. */
	uint64_t t0 = kaos_now_ns();
	sleep_ns(reuse ? 2 * unblock : 5 * unblock);
	struct kaos_ipc_info info;
	inspect(name, &info);
	KAOS_ASSERT_EQ(atomic_load(&S->got[0]), 0);
	KAOS_ASSERT_UEQ(info.unblocked, 0);
	KAOS_ASSERT(info.producers[0].alive && info.producers[0].pid == a);
	printf("  claimer stopped: nothing delivered, nothing unblocked after %.0f ms"
	       " (unblock_ns %.0f ms), producer B at %" PRIu64 "\n",
	       (double)(kaos_now_ns() - t0) / 1e6, (double)unblock / 1e6,
	       atomic_load(&S->sent[1]));

	pid_t c = 0;
	struct prod_arg pc = { .cfg = sa.cfg, .tag = 2, .to = 500, .end = END_CLOSE, .slot = 2 };
	uint64_t t_kill;
	if (reuse) {
		kill(s, SIGSTOP);
		wait_stopped(s);
		t_kill = kaos_now_ns();
		kill_child(a);
		c = spawn("producer C", producer, &pc);
		WAIT_UNTIL(atomic_load(&S->ready) == 3, 10); /* S, B, C */
		inspect(name, &info);
		KAOS_ASSERT(info.producers[0].alive && info.producers[0].pid == c);
		kill(s, SIGCONT);
	} else {
		t_kill = kaos_now_ns();
		kill_child(a);
	}
	/* The dead claim is padding now; B's messages behind it flow. */
	uint64_t dl = kaos_now_ns() + (uint64_t)(5 * SEC * slack());
	while (atomic_load(&S->got[0]) == 0) {
		if (kaos_now_ns() > dl) {
			inspect(name, &info);
			KAOS_FAIL("the dead claimer's record was not unblocked %.1f s after the kill"
				  "%s (head %" PRIu64 ", tail %" PRIu64 ", unblocked %" PRIu64 ")",
				  (double)(kaos_now_ns() - t_kill) / 1e9,
				  reuse ? ", its slot having been re-taken by a live producer" : "",
				  info.head, info.tail, info.unblocked);
		}
		sleep_ns(MS / 4);
	}
	printf("  claimer killed: first message %.1f ms later\n",
	       (double)(kaos_now_ns() - t_kill) / 1e6);
	finish(b);
	if (c)
		finish(c);
	finish(s);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), n + (reuse ? pc.to : 0));
	/* A died (not closed), B and C closed. */
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), reuse ? -EPIPE : -KAOS_EPEERDEAD);
	inspect(name, &info);
	KAOS_ASSERT_UEQ(info.unblocked, 1);
}

static void
mp_stopped_claimer_kept_killed_claimer_unblocked(void)
{
	mp_dead_claim(false);
}

static void
mp_dead_claim_unblocked_after_its_slot_is_reused(void)
{
	mp_dead_claim(true);
}

/* A producer that died between taking space (the CAS on the tail) and
 * writing its record header leaves zeroed bytes and nobody behind them.
 * Simulated by moving the shared tail directly, as the claim's CAS does. */
static void
headerless_claimer(const void *p)
{
	const struct kaos_ipc_config *cfg = p;
	struct kaos_ipc *ch = attach(cfg, true, "claimer");
	struct kaos_wait w = backoff(T_WAIT);
	for (uint64_t s = 0; s < 10; s++)
		KAOS_ASSERT_OK(send_word(ch, s, &w));
	struct kaos_msgring *ring = kaos_ipc_msgring(ch);
	atomic_fetch_add(&ring->ro.ctl->tail, 64);
	raise(SIGSTOP);
	_exit(3);
}

static void
mp_claimer_killed_before_writing_its_header(void)
{
	struct sub_arg sa = { .cfg = config(chan_name(true, "mp"), KAOS_IPC_MSG_MP) };
	sa.cfg.unblock_ns = 100 * MS;
	pid_t s = spawn("subscriber", subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	pid_t a = spawn("claimer", headerless_claimer, &sa.cfg);
	wait_stopped(a);
	WAIT_UNTIL(atomic_load(&S->got[0]) == 10, 10);
	uint64_t t_kill = kaos_now_ns();
	kill_child(a);
	finish(s);
	int64_t rc = atomic_load(&S->rc[0]);
	uint64_t after = atomic_load(&S->when[0]) - t_kill;
	struct kaos_ipc_info info;
	inspect(sa.cfg.name, &info);
	if (rc != -KAOS_EPEERDEAD)
		KAOS_FAIL("subscriber: %s %.1f s after its only producer died with 64 claimed"
			  " bytes and no header (expected KAOS_EPEERDEAD once unblock_ns passed;"
			  " head %" PRIu64 ", tail %" PRIu64 ", unblocked %" PRIu64 ")",
			  kaos_err_name((int)rc), (double)after / 1e9, info.head, info.tail,
			  info.unblocked);
	KAOS_ASSERT_LT(after, (uint64_t)(2 * SEC * slack()));
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), 10);
	KAOS_ASSERT_UEQ(info.unblocked, 1);
}

/* A claimer stalled (stopped, or frozen, alive) after winning its space
 * with the CAS and before storing its header, for far longer than
 * unblock_ns: a test hook stops it exactly there. Its space must stay
 * its own: the subscriber must not turn it into padding (the claimer
 * would then write into space released to others); it is delivered,
 * with everything behind it, once the claimer goes on. Killed there
 * instead, its space is unblocked. */

/* The library's test hook (src/core/test_hooks.h): kaos_test_hooks. */
extern void (*kaos__test_hook)(const char *where);

static void
stop_inside_the_claim(const char *where)
{
	if (strcmp(where, "msgring_claimed") == 0 && atomic_exchange(&S->flag[1], 0))
		raise(SIGSTOP);
}

/* Send one message (tag 3, seq 0), stopping inside its claim. */
static void
stalled_claimer(const void *p)
{
	const struct kaos_ipc_config *cfg = p;
	struct kaos_ipc *ch = attach(cfg, true, "claimer");
	struct kaos_wait w = backoff(T_WAIT);
	kaos__test_hook = stop_inside_the_claim;
	atomic_store(&S->flag[1], 1);
	KAOS_ASSERT_OK(send_word(ch, (uint64_t)3 << 48, &w));
	atomic_store(&S->sent[3], 1);
	kaos_ipc_close(ch);
}

static void
mp_claim_stalled_before_its_header(bool killed)
{
	reset_shared();
	struct sub_arg sa = { .cfg = config(chan_name(false, "mpstall"), KAOS_IPC_MSG_MP) };
	const uint64_t unblock = 50 * MS, n = 500;
	sa.cfg.unblock_ns = unblock;
	sa.cfg.max_producers = 4;
	pid_t s = spawn("subscriber", subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	pid_t a = spawn("claimer", stalled_claimer, &sa.cfg); /* slot 0 */
	wait_stopped(a);
	struct prod_arg pb = { .cfg = sa.cfg, .tag = 1, .to = n, .end = END_CLOSE, .slot = 1 };
	pid_t b = spawn("producer B", producer, &pb); /* slot 1: behind the claim */
	finish(b);

	/* Stalled twenty times unblock_ns: nothing delivered, nothing taken. */
	sleep_ns(20 * unblock);
	struct kaos_ipc_info info;
	inspect(sa.cfg.name, &info);
	if (atomic_load(&S->got[0]) || info.unblocked)
		KAOS_FAIL("a live claimer stalled between its claim and its header lost its"
			  " space: %" PRIu64 " messages delivered past it, %" PRIu64
			  " unblocked", atomic_load(&S->got[0]), info.unblocked);
	KAOS_ASSERT(info.producers[0].alive && info.producers[0].pid == a);
	if (killed) {
		kill_child(a);
	} else {
		kill(a, SIGCONT);
		finish(a);
		KAOS_ASSERT_UEQ(atomic_load(&S->sent[3]), 1);
	}
	finish(s); /* every message checked, in order per producer */
	inspect(sa.cfg.name, &info);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), n + (killed ? 0 : 1));
	KAOS_ASSERT_UEQ(info.unblocked, killed ? 1 : 0);
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), killed ? -KAOS_EPEERDEAD : -EPIPE);
	printf("  claimer %s inside its claim: %" PRIu64 " messages, %" PRIu64 " unblocked\n",
	       killed ? "killed" : "continued", atomic_load(&S->got[0]), info.unblocked);
}

static void
mp_claimer_stalled_before_its_header_keeps_its_space(void)
{
	mp_claim_stalled_before_its_header(false);
	mp_claim_stalled_before_its_header(true);
}

/* A process killed while it slept on a blocking channel leaves its
 * registration in the waitpoint; once its death is seen (a liveness
 * check, or its slot taken again), publishing and releasing make no wake
 * system call for it any more (the waitpoint's wakes counter counts
 * them). */

struct sleeper_arg {
	struct kaos_ipc_config cfg;
	bool publisher; /* sleeps waiting for room; else for messages */
};

static void
sleeper(const void *p)
{
	const struct sleeper_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, a->publisher, "sleeper");
	struct kaos_wait block = { .kind = KAOS_WAIT_BLOCK, .timeout_ns = 60 * SEC };
	atomic_fetch_add(&S->ready, 1);
	if (a->publisher) { /* fill the channel, then block on the next */
		for (uint64_t s = 0;; s++)
			send_word(ch, s, &block);
	}
	struct rx r = rx_make("sleeper", a->cfg.kind, NULL);
	rx_until_error(ch, &r, 1, &block);
	_exit(3); /* killed asleep, never woken */
}

static struct kaos__ring_ctl *
ctl_of(struct kaos_ipc *ch)
{
	switch (kaos_ipc_kind(ch)) {
	case KAOS_IPC_SPSC: return kaos_ipc_spsc(ch)->ro.ctl;
	case KAOS_IPC_BCAST: return kaos_ipc_bcast(ch)->ro.ctl;
	default: return kaos_ipc_msgring(ch)->ro.ctl;
	}
}

static uint64_t
wakes_of(struct kaos__ring_ctl *ctl)
{
	return atomic_load(&ctl->data.wakes) + atomic_load(&ctl->space.wakes);
}

static uint64_t
registered(struct kaos__ring_ctl *ctl)
{
	return atomic_load(&ctl->data.waiters) | atomic_load(&ctl->space.waiters);
}

/* One move of the surviving side that notifies the sleeper's waitpoint:
 * a send (publisher) or a receive (subscriber). */
static void
move(struct kaos_ipc *ch, bool publisher, uint64_t i)
{
	if (publisher) {
		KAOS_ASSERT_OK(send_word(ch, i, NULL));
		return;
	}
	struct rx r = rx_make("survivor", kaos_ipc_kind(ch), NULL);
	r.any_start = true;
	KAOS_ASSERT_EQ(kaos_ipc_receive(ch, rx_fn, &r, 1, NULL), 1);
}

static void
dead_sleeper(enum kaos_ipc_kind kind, bool sleeper_publishes, bool restart)
{
	reset_shared();
	struct sleeper_arg sa = { .cfg = config(chan_name(false, kind_tag(kind)), kind),
				  .publisher = sleeper_publishes };
	sa.cfg.flags = KAOS_IPC_BLOCKING;
	sa.cfg.liveness_ns = 60 * SEC; /* the sleeper's sleep is never sliced */
	struct kaos_ipc *ch = attach(&sa.cfg, !sleeper_publishes, "survivor");
	struct kaos__ring_ctl *ctl = ctl_of(ch);
	pid_t z = spawn("sleeper", sleeper, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1 && registered(ctl), 10);
	kill_child(z);
	KAOS_ASSERT(registered(ctl)); /* left behind */

	/* Still registered: a move makes a wake system call for nobody. */
	uint64_t wakes = wakes_of(ctl);
	move(ch, !sleeper_publishes, 0);
	KAOS_ASSERT_UEQ(wakes_of(ctl), wakes + 1);

	if (restart) { /* a successor takes the slot: the registration goes */
		struct sleeper_arg idle = sa;
		struct kaos_ipc *succ = attach(&idle.cfg, sleeper_publishes, "successor");
		KAOS_ASSERT_UEQ(registered(ctl), 0);
		kaos_ipc_close(succ);
	} else { /* the survivor's liveness check sees the death */
		int rc = kaos_ipc_check(ch);
		KAOS_ASSERT(rc == 0 || rc == -KAOS_EPEERDEAD);
		KAOS_ASSERT_UEQ(registered(ctl), 0);
	}
	wakes = wakes_of(ctl);
	for (uint64_t i = 1; i <= 16; i++)
		move(ch, !sleeper_publishes, i);
	KAOS_ASSERT_UEQ(wakes_of(ctl), wakes);
	kaos_ipc_close(ch);
}

static void
dead_sleeper_costs_no_wake_calls(void)
{
	dead_sleeper(KAOS_IPC_SPSC, false, false);  /* a subscriber, seen dead */
	dead_sleeper(KAOS_IPC_SPSC, false, true);   /* ... its slot taken again */
	dead_sleeper(KAOS_IPC_MSG_MP, true, false); /* a producer waiting for room */
	dead_sleeper(KAOS_IPC_MSG_SP, true, true);
	dead_sleeper(KAOS_IPC_BCAST, false, false); /* evicted, and forgotten */
}

/* ==== 5. a subscriber dies ======================================================== */

/* Broadcast victim: receive exactly @p stop_after, then stop. */
static void
bcast_victim(const void *p)
{
	const struct sub_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "victim");
	atomic_fetch_add(&S->ready, 1);
	struct rx r = rx_make("victim", a->cfg.kind, &S->got[a->slot]);
	struct kaos_wait w = backoff(T_WAIT);
	while (r.count < 100) {
		int64_t rc = kaos_ipc_receive(ch, rx_fn, &r, 1, &w);
		if (rc != 1)
			KAOS_FAIL("victim: receive: %s", kaos_err_name((int)rc));
	}
	raise(SIGSTOP);
	_exit(3);
}

static void
bcast_killed_subscriber_evicted(void)
{
	const uint64_t n = 5000, stop = 100, cap = 64;
	struct sub_arg victim = { .cfg = config(chan_name(true, "bcast"), KAOS_IPC_BCAST),
				  .slot = 1 };
	victim.cfg.max_subscribers = 4;
	const char *name = victim.cfg.name;
	struct sub_arg other = { .cfg = victim.cfg, .slot = 0 };
	pid_t v = spawn("victim", bcast_victim, &victim);
	pid_t o = spawn("subscriber", subscriber, &other);
	WAIT_UNTIL(atomic_load(&S->ready) == 2, 10);
	struct prod_arg pa = { .cfg = victim.cfg, .to = n, .end = END_CLOSE };
	pid_t p = spawn("producer", producer, &pa);
	wait_stopped(v);
	/* gated: the stopped (live) victim holds the producer a ring behind */
	WAIT_UNTIL(atomic_load(&S->sent[0]) == stop + cap, 10);
	sleep_ns(10 * victim.cfg.liveness_ns);
	KAOS_ASSERT_UEQ(atomic_load(&S->sent[0]), stop + cap);
	struct kaos_ipc_info info;
	inspect(name, &info);
	KAOS_ASSERT_UEQ(info.evicted, 0);
	uint64_t t_kill = kaos_now_ns();
	kill_child(v);
	WAIT_UNTIL(atomic_load(&S->sent[0]) > stop + cap, 5);
	uint64_t after = kaos_now_ns() - t_kill;
	printf("  victim killed: producer moving again after %.1f ms\n", (double)after / 1e6);
	KAOS_ASSERT_LT(after, (uint64_t)(2 * SEC * slack()));
	finish(p);
	finish(o);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), n);
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), -EPIPE);
	inspect(name, &info);
	KAOS_ASSERT_GE(info.evicted, 1);
}

/* SPSC victim, zero-copy: release @p stop values, then peek some more and
 * stop without releasing them. */
static void
spsc_victim(const void *p)
{
	const struct sub_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "victim");
	struct kaos_spsc *sp = kaos_ipc_spsc(ch);
	KAOS_ASSERT(sp);
	atomic_fetch_add(&S->ready, 1);
	uint64_t released = 0, dl = kaos_now_ns() + 30 * SEC;
	for (;;) {
		const void *slots = NULL;
		int64_t n = kaos_spsc_peek(sp, 8, &slots);
		KAOS_ASSERT(n >= 0);
		if (n == 0) {
			if (kaos_now_ns() > dl)
				KAOS_FAIL("victim: nothing to read");
			sched_yield();
			continue;
		}
		const uint64_t *v = slots;
		for (int64_t i = 0; i < n; i++)
			if (v[i] != released + (uint64_t)i)
				KAOS_FAIL("victim: got %" PRIu64 ", expected %" PRIu64, v[i],
					  released + (uint64_t)i);
		if (released >= 1000) {
			/* peeked, not released: the successor may see these again */
			atomic_store(&S->val[0], released);
			atomic_store(&S->val[1], v[0]);
			atomic_store(&S->val[2], (uint64_t)n);
			raise(SIGSTOP);
			_exit(3);
		}
		KAOS_ASSERT_OK(kaos_spsc_release(sp, (uint64_t)n));
		released += (uint64_t)n;
	}
}

/* U64 victim, zero-copy: pop 1000 values (each pop releases its place at
 * once), which leaves it six values into a line, and stop. */
static void
u64_victim(const void *p)
{
	const struct sub_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "victim");
	struct kaos_u64ring *ring = kaos_ipc_u64ring(ch);
	KAOS_ASSERT(ring);
	KAOS_ASSERT(!kaos_ipc_spsc(ch) && !kaos_ipc_msgring(ch) && !kaos_ipc_bcast(ch));
	atomic_fetch_add(&S->ready, 1);
	uint64_t popped = 0, dl = kaos_now_ns() + 30 * SEC;
	while (popped < 1000) {
		uint64_t v;
		int rc = kaos_u64ring_pop(ring, &v);
		if (rc == -KAOS_EEMPTY) {
			if (kaos_now_ns() > dl)
				KAOS_FAIL("victim: nothing to read after %" PRIu64, popped);
			sched_yield();
			continue;
		}
		KAOS_ASSERT_OK(rc);
		if (v != popped)
			KAOS_FAIL("victim: got %" PRIu64 ", expected %" PRIu64, v, popped);
		popped++;
	}
	atomic_store(&S->val[0], popped);
	atomic_store(&S->val[1], popped); /* nothing taken and not released */
	atomic_store(&S->val[2], 0);
	raise(SIGSTOP);
	_exit(3);
}

/* Send 0..n-1; a send that finds the subscriber dead is retried until a
 * successor makes room. */
static void
persistent_producer(const void *p)
{
	const struct prod_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_wait w = backoff(T_WAIT);
	uint64_t dl = kaos_now_ns() + 60 * SEC;
	for (uint64_t s = 0; s < a->to; s++) {
		int rc;
		while ((rc = send_word(ch, s, &w)) == -KAOS_EPEERDEAD) {
			if (atomic_fetch_add(&S->count[0], 1) == 0) {
				atomic_store(&S->when[4], kaos_now_ns());
				atomic_store(&S->val[3], s);
			}
			if (kaos_now_ns() > dl)
				KAOS_FAIL("producer: no live subscriber for a minute");
			sleep_ns(MS);
		}
		if (rc < 0)
			KAOS_FAIL("producer: send %" PRIu64 ": %s", s, kaos_strerror(rc));
		atomic_store(&S->sent[0], s + 1);
	}
	kaos_ipc_close(ch);
}

/* The subscriber (SPSC: peeking past what it released; U64: popping, six
 * values into a line) stops, the producer fills the ring and is blocked by
 * the live, stopped subscriber; killed, the producer's send returns
 * -KAOS_EPEERDEAD; a successor resumes at the released position. */
static void
killed_subscriber_successor_resumes(enum kaos_ipc_kind kind)
{
	const uint64_t n = 5000;
	struct sub_arg va = { .cfg = config(chan_name(false, kind_tag(kind)), kind) };
	const char *name = va.cfg.name;
	const uint64_t cap = va.cfg.capacity;
	pid_t v = spawn("victim", kind == KAOS_IPC_U64 ? u64_victim : spsc_victim, &va);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	struct prod_arg pa = { .cfg = va.cfg, .to = n };
	pid_t p = spawn("producer", persistent_producer, &pa);
	wait_stopped(v);
	uint64_t released = atomic_load(&S->val[0]), unreleased = atomic_load(&S->val[1]);
	KAOS_ASSERT_UEQ(unreleased, released);
	/* full: a ring ahead of the released values (U64: the subscriber is
	 * six values into a line; a full ring must not start that line's next
	 * lap, yet holds a whole capacity) */
	WAIT_UNTIL(atomic_load(&S->sent[0]) >= released + cap, 10);
	sleep_ns(10 * va.cfg.liveness_ns);
	uint64_t sent = atomic_load(&S->sent[0]);
	KAOS_ASSERT_UEQ(sent, released + cap);
	KAOS_ASSERT_UEQ(atomic_load(&S->count[0]), 0); /* stopped is alive */
	uint64_t t_kill = kaos_now_ns();
	kill_child(v);
	WAIT_UNTIL(atomic_load(&S->count[0]) >= 1, 5);
	uint64_t after = atomic_load(&S->when[4]) - t_kill;
	printf("  %s: subscriber killed at %" PRIu64 " released (%" PRIu64 " peeked), producer"
	       " full at %" PRIu64 ": KAOS_EPEERDEAD after %.1f ms\n", kind_tag(kind), released,
	       atomic_load(&S->val[2]), sent, (double)after / 1e6);
	KAOS_ASSERT_LT(after, (uint64_t)(2 * SEC * slack()));
	KAOS_ASSERT_UEQ(atomic_load(&S->val[3]), sent); /* the send it was blocked on */
	struct kaos_ipc_info info;
	inspect(name, &info);
	if (info.tail != sent || info.head != released)
		KAOS_FAIL("%s: the dead subscriber's channel shows tail %" PRIu64 ", head %" PRIu64
			  "; expected %" PRIu64 " (sent) and %" PRIu64 " (released)",
			  kind_tag(kind), info.tail, info.head, sent, released);
	struct sub_arg sa = { .cfg = va.cfg, .slot = 1, .any_start = true };
	pid_t s = spawn("successor", subscriber, &sa);
	finish(p);
	finish(s);
	uint64_t first = atomic_load(&S->first[1]);
	printf("  successor started at %" PRIu64 "\n", first);
	/* at or before the first unreleased value, after the released ones
	 * (U64: exactly there, nothing is taken without being released) */
	KAOS_ASSERT_LE(first, unreleased);
	KAOS_ASSERT_GE(first, released);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[1]), n - first); /* gapless to the end */
	KAOS_ASSERT_EQ(atomic_load(&S->rc[1]), -EPIPE);
}

static void
spsc_killed_subscriber_successor_resumes(void)
{
	killed_subscriber_successor_resumes(KAOS_IPC_SPSC);
}

static void
u64_killed_subscriber_successor_resumes(void)
{
	killed_subscriber_successor_resumes(KAOS_IPC_U64);
}

/* Message channel: subscribers SIGKILLed at random moments while draining
 * a full 16 MiB ring of large records (64..512 KiB): a read hands over a
 * few dozen records, then zeroes what it consumed, and that release is
 * much of the time spent. Each victim arms a CPU-time timer whose signal
 * is SIGKILL, so it dies at a random point of its own work however the
 * (loaded) machine schedules it. Each successor must resume: what the dead
 * one had not released may come again, nothing may be lost. */
#define CHUNK 4096
static unsigned char big_pool[2 * CHUNK];

static void
big_pool_init(void)
{
	uint64_t x = 0x243F6A8885A308D3ull;
	for (size_t i = 0; i < sizeof(big_pool); i++)
		big_pool[i] = (unsigned char)(kaos_test_rand(&x) >> 56);
}

static size_t
big_len(uint64_t s)
{
	return (64 << 10) + (size_t)((s * 0x9E3779B97F4A7C15ull) >> 40) % (448 << 10);
}

/* Payload byte j (j >= 8; bytes 0..7 hold the sequence number). */
static unsigned char
big_byte(uint64_t s, size_t j)
{
	return big_pool[(s * 8) % CHUNK + (j - 8) % CHUNK];
}

static void
big_fill(unsigned char *d, uint64_t s, size_t len)
{
	memcpy(d, &s, 8);
	for (size_t off = 8; off < len; off += CHUNK)
		memcpy(d + off, big_pool + (s * 8) % CHUNK, len - off < CHUNK ? len - off : CHUNK);
}

/* Send until S->go, zero-copy. While the ring is full it checks the
 * subscriber, counting the times it finds it dead (S->count[0]). */
static void
big_producer(const void *p)
{
	const struct prod_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_msgring_producer *prod = kaos_ipc_msg_producer(ch);
	uint64_t dl = kaos_now_ns() + 120 * SEC, s = 0;
	atomic_fetch_add(&S->ready, 1);
	while (!atomic_load_explicit(&S->go, memory_order_relaxed)) {
		size_t len = big_len(s);
		void *d = NULL;
		int rc = kaos_msgring_claim(prod, 1, len, &d);
		if (rc == -KAOS_EFULL) {
			int v = kaos_ipc_check(ch);
			if (v == -KAOS_EPEERDEAD)
				atomic_fetch_add(&S->count[0], 1);
			else if (v < 0)
				KAOS_FAIL("producer: check: %s", kaos_strerror(v));
			if (kaos_now_ns() > dl)
				KAOS_FAIL("producer: no room for two minutes");
			sleep_ns(MS / 4);
			continue;
		}
		if (rc < 0)
			KAOS_FAIL("producer: claim %" PRIu64 ": %s", s, kaos_strerror(rc));
		big_fill(d, s, len);
		KAOS_ASSERT_OK(kaos_msgring_commit(prod));
		atomic_store_explicit(&S->sent[0], ++s, memory_order_relaxed);
	}
	kaos_ipc_close(ch);
}

struct big_rx {
	uint64_t next, count;
	bool started;
	int id;
	uint64_t kill_cpu_ns; /* SIGKILL ourselves after this much CPU time */
};

/* SIGKILL this process once it has used @p ns more CPU time: it dies at a
 * random point of its own work, whatever the scheduler does. */
static void
arm_cpu_time_kill(uint64_t ns)
{
	timer_t t;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGKILL };
	if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &t) < 0)
		KAOS_FAIL("timer_create: %s", strerror(errno));
	struct itimerspec its = { .it_value = { (time_t)(ns / SEC), (long)(ns % SEC) } };
	if (timer_settime(t, 0, &its, NULL) < 0)
		KAOS_FAIL("timer_settime: %s", strerror(errno));
}

static void
big_fn(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct big_rx *r = ctx;
	const unsigned char *b = data;
	uint64_t s;
	if (len < 8 || type != 1)
		KAOS_FAIL("subscriber %d: type %u, %zu bytes", r->id, type, len);
	memcpy(&s, data, 8);
	if (!r->started) {
		r->started = true;
		r->next = s;
		atomic_store(&S->first[0], s);
		atomic_store(&S->flag[1], 1);
		if (r->kill_cpu_ns)
			arm_cpu_time_kill(r->kill_cpu_ns);
	}
	if (s != r->next)
		KAOS_FAIL("subscriber %d: seq %" PRIu64 ", expected %" PRIu64, r->id, s, r->next);
	if (len != big_len(s))
		KAOS_FAIL("subscriber %d: seq %" PRIu64 ": %zu bytes", r->id, s, len);
	for (size_t j = 8; j < 72; j++) /* the ends only: the release dominates */
		if (b[j] != big_byte(s, j) || b[len - j] != big_byte(s, len - j))
			KAOS_FAIL("subscriber %d: seq %" PRIu64 ": wrong contents", r->id, s);
	r->next = s + 1;
	r->count++;
	atomic_store_explicit(&S->val[0], s + 1, memory_order_relaxed); /* high water */
}

static void
big_subscriber(const void *p)
{
	const struct sub_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "subscriber");
	struct big_rx r = { .id = a->slot, .kill_cpu_ns = a->kill_cpu_ns };
	struct kaos_wait w = backoff(5 * SEC);
	int64_t rc;
	while ((rc = kaos_ipc_receive(ch, big_fn, &r, UINT64_MAX, &w)) > 0) {
	}
	atomic_store(&S->rc[0], rc);
	atomic_store(&S->got[0], r.next);
	kaos_ipc_close(ch);
}

/* Wait (bounded) until the producer has filled the ring. */
static void
wait_ring_full(const char *name, uint64_t capacity)
{
	uint64_t dl = kaos_now_ns() + (uint64_t)(30 * SEC * slack());
	for (;;) {
		struct kaos_ipc_info info;
		inspect(name, &info);
		if (info.tail - info.head > capacity - 2 * ((512 << 10) + 16))
			return;
		if (kaos_now_ns() > dl)
			KAOS_FAIL("the producer did not fill the ring (head %" PRIu64 ", tail %"
				  PRIu64 ")", info.head, info.tail);
		sleep_ns(MS / 2);
	}
}

static void
msg_sp_subscriber_killed_at_random_successor_resumes(void)
{
	big_pool_init();
	uint64_t seed = kaos_now_ns();
	printf("  seed %" PRIu64 "\n", seed);
	const int kills = (int)kaos_test_scaled(30, 8);
	struct sub_arg sa = { .cfg = config(chan_name(false, "msgsp"), KAOS_IPC_MSG_SP) };
	sa.cfg.capacity = 16 << 20;
	const char *name = sa.cfg.name;
	struct prod_arg pa = { .cfg = sa.cfg };
	pid_t p = spawn("producer", big_producer, &pa), s = 0;
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	uint64_t high = 0; /* highest seq + 1 delivered so far */
	int k;
	for (k = 0;; k++) {
		wait_ring_full(name, sa.cfg.capacity);
		sa.slot = k;
		/* within the drain of a full ring (a few ms of CPU) */
		sa.kill_cpu_ns = k == kills ? 0 : 1 + kaos_test_rand(&seed) % (4 * MS);
		atomic_store(&S->flag[1], 0);
		s = spawn("subscriber", big_subscriber, &sa);
		uint64_t dl = kaos_now_ns() + (uint64_t)(5 * SEC * slack());
		while (!atomic_load(&S->flag[1])) {
			if (kaos_now_ns() > dl) {
				struct kaos_ipc_info info;
				inspect(name, &info);
				KAOS_FAIL("successor %d received nothing in %.0f s (head %" PRIu64
					  ", tail %" PRIu64 "): the killed subscriber had consumed"
					  " (zeroed) the records at head but not stored head", k,
					  5 * slack(), info.head, info.tail);
			}
			sleep_ns(MS / 4);
		}
		uint64_t first = atomic_load(&S->first[0]);
		if (first > high)
			KAOS_FAIL("subscriber %d started at %" PRIu64 ", after %" PRIu64
				  " (lost messages)", k, first, high);
		if (k == kills)
			break;
		int st = reap_opt(s, 30 * slack(), false);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			describe_fail(s, "subscriber", st, "death by SIGKILL");
		high = atomic_load(&S->val[0]);
	}
	atomic_store(&S->go, 1);
	finish(p);
	finish(s);
	uint64_t sent = atomic_load(&S->sent[0]);
	printf("  %d subscribers killed while draining; %" PRIu64 " messages\n", k, sent);
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), -EPIPE);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), sent);
}

/* ==== 6. a producer restarts ======================================================= */

/* Send 0..k-1, then leave a claim open (written, never published) and
 * stop, to be killed with a half-done message (END_STOP), or detach
 * (END_CLOSE: the close gives the claim up). For message rings the
 * claimed payload looks like record headers, as real payloads may. */
static void
dying_producer(const void *p)
{
	const struct prod_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "first producer");
	struct kaos_wait w = backoff(T_WAIT);
	for (uint64_t s = 0; s < a->to; s++) {
		KAOS_ASSERT_OK(send_word(ch, s, &w));
		atomic_store(&S->sent[0], s + 1);
	}
	uint64_t dl = kaos_now_ns() + 30 * SEC;
	for (;;) {
		int64_t got = 0;
		void *slots = NULL;
		const uint64_t poison = 0xDEADBEEFDEADBEEFull;
		switch (a->cfg.kind) {
		case KAOS_IPC_SPSC:
			got = kaos_spsc_claim(kaos_ipc_spsc(ch), 4, &slots);
			for (int64_t i = 0; i < got; i++)
				((uint64_t *)slots)[i] = poison;
			break;
		case KAOS_IPC_BCAST:
			got = kaos_bcast_claim(kaos_ipc_bcast(ch), 4, &slots);
			for (int64_t i = 0; i < got; i++)
				((uint64_t *)slots)[i] = poison;
			break;
		default: {
			int rc = kaos_msgring_claim(kaos_ipc_msg_producer(ch), 5, 4000, &slots);
			KAOS_ASSERT(rc == 0 || rc == -KAOS_EFULL);
			got = rc == 0;
			/* every word: type 5, length 16 (header + 8) */
			for (size_t i = 0; got && i < 4000 / 8; i++)
				((uint64_t *)slots)[i] = (uint64_t)5 << 32 | 16;
		}
		}
		KAOS_ASSERT(got >= 0);
		if (got)
			break;
		if (kaos_now_ns() > dl)
			KAOS_FAIL("first producer: no room for the claim");
		sleep_ns(MS / 4);
	}
	if (a->end == END_CLOSE) {
		kaos_ipc_close(ch);
		return;
	}
	raise(SIGSTOP);
	_exit(3);
}

/* Receive 0..n-1 across producer restarts; a gap between producers shows
 * as -EPIPE or -KAOS_EPEERDEAD, after which we keep receiving. */
static void
restart_subscriber(const void *p)
{
	const struct sub_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, false, "subscriber");
	atomic_fetch_add(&S->ready, 1);
	struct rx r = rx_make("subscriber", a->cfg.kind, &S->got[0]);
	struct kaos_wait w = backoff(T_WAIT);
	uint64_t dl = kaos_now_ns() + 60 * SEC;
	int64_t rc = 0;
	/* n: S->val[8], which a case may set only before its last producer */
	while (r.count < atomic_load(&S->val[8])) {
		rc = kaos_ipc_receive(ch, rx_fn, &r, 64, &w);
		if (rc == -EPIPE || rc == -KAOS_EPEERDEAD) {
			atomic_fetch_add(&S->count[1], 1);
			if (kaos_now_ns() > dl)
				KAOS_FAIL("subscriber: no new producer");
			sleep_ns(MS / 2);
		} else if (rc < 0) {
			KAOS_FAIL("subscriber: receive after %" PRIu64 ": %s", r.count,
				  kaos_strerror((int)rc));
		}
	}
	rc = rx_until_error(ch, &r, 64, &w); /* nothing more, then -EPIPE */
	atomic_store(&S->rc[0], rc);
	atomic_store(&S->got[0], r.count);
	kaos_ipc_close(ch);
}

enum first_end {
	FIRST_CLOSED,             /* everything sent, detached */
	FIRST_KILLED_IN_CLAIM,    /* SIGKILLed with a claim open */
	FIRST_CLOSED_IN_CLAIM,    /* detached with a claim open */
};

static void
restart(enum kaos_ipc_kind kind, bool file, enum first_end how)
{
	const uint64_t k = 1000, n = 3000;
	struct sub_arg sa = { .cfg = config(chan_name(file, kind_tag(kind)), kind) };
	const char *name = sa.cfg.name;
	reset_shared();
	atomic_store(&S->val[8], n);
	pid_t s = spawn("subscriber", restart_subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	struct prod_arg p1 = { .cfg = sa.cfg, .to = k,
			       .end = how == FIRST_KILLED_IN_CLAIM ? END_STOP : END_CLOSE };
	pid_t a = spawn("first producer", how == FIRST_CLOSED ? producer : dying_producer, &p1);
	if (how == FIRST_KILLED_IN_CLAIM) {
		wait_stopped(a);
		kill_child(a);
	} else {
		finish(a);
	}
	/* Slowly at first: the subscriber looks past each new record while
	 * the producer sleeps. */
	struct prod_arg p2 = { .cfg = sa.cfg, .from = k, .to = n, .end = END_CLOSE, .slot = 1,
			       .slow_first = 5, .slow_ns = 20 * MS };
	pid_t b = spawn("second producer", producer, &p2);
	finish(b);
	finish(s);
	static const char *const hows[] = { "closed", "killed with a claim open",
					    "closed with a claim open" };
	printf("  %s, first producer %s: %" PRIu64 " received, %" PRIu64 " empty-channel"
	       " verdicts in between\n", kind_tag(kind), hows[how], atomic_load(&S->got[0]),
	       atomic_load(&S->count[1]));
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), n);
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), -EPIPE);
	struct kaos_ipc_info info;
	inspect(name, &info);
	KAOS_ASSERT_EQ(info.producers[0].pid, b);
	KAOS_ASSERT_UEQ(info.tail, kind == KAOS_IPC_MSG_SP ? info.tail : n);
}

static void
restart_producer_spsc(void)
{
	restart(KAOS_IPC_SPSC, false, FIRST_CLOSED);
	restart(KAOS_IPC_SPSC, true, FIRST_KILLED_IN_CLAIM);
	restart(KAOS_IPC_SPSC, false, FIRST_CLOSED_IN_CLAIM);
}

static void
restart_producer_msg_sp(void)
{
	restart(KAOS_IPC_MSG_SP, true, FIRST_CLOSED);
	restart(KAOS_IPC_MSG_SP, false, FIRST_CLOSED_IN_CLAIM);
}

/* Separate: fails on its own when the other variants pass. */
static void
restart_producer_msg_sp_killed_in_claim(void)
{
	restart(KAOS_IPC_MSG_SP, false, FIRST_KILLED_IN_CLAIM);
}

static void
restart_producer_bcast(void)
{
	restart(KAOS_IPC_BCAST, false, FIRST_CLOSED);
	restart(KAOS_IPC_BCAST, true, FIRST_KILLED_IN_CLAIM);
	restart(KAOS_IPC_BCAST, false, FIRST_CLOSED_IN_CLAIM);
}

/* U64: send from..to-1 and on until the next position is word @p word of a
 * line; then write a poison value into that word, as kaos_u64ring_push()
 * does before it stores the line's sequence word, and stop without
 * storing it: killed, the producer died between the two stores. */
struct half_arg {
	struct prod_arg p;
	unsigned word;
};

#define POISON UINT64_C(0xDEADBEEFDEADBEEF) /* tag 0xDEAD: rx_fn rejects it */

static void
u64_half_writer(const void *arg)
{
	const struct half_arg *a = arg;
	struct kaos_ipc *ch = attach(&a->p.cfg, true, "half-writing producer");
	struct kaos_u64ring *ring = kaos_ipc_u64ring(ch);
	KAOS_ASSERT(ring);
	struct kaos_wait w = backoff(T_WAIT);
	uint64_t s = a->p.from;
	while (s < a->p.to || s % KAOS_U64RING_PER_LINE != a->word) {
		int rc = send_word(ch, s, &w);
		if (rc < 0)
			KAOS_FAIL("half-writing producer: send %" PRIu64 ": %s", s,
				  kaos_strerror(rc));
		s++;
		atomic_store(&S->sent[0], s - a->p.from);
	}
	/* the word the next push writes: as kaos_u64ring_push() finds it */
	struct kaos_u64ring_line *line = ring->prod.line;
	uint64_t start = ring->prod.start;
	uint64_t pos = atomic_load_explicit(&line->seq, memory_order_relaxed);
	if (pos < start)
		pos = start;
	if (pos != s)
		KAOS_FAIL("half-writing producer: at position %" PRIu64 " after sending %" PRIu64
			  " (line start %" PRIu64 ")", pos, s, start);
	/* room for it: everything before it consumed */
	uint64_t dl = kaos_now_ns() + 30 * SEC;
	while (atomic_load_explicit(&ring->ro.ctl->head, memory_order_acquire) != pos) {
		if (kaos_now_ns() > dl)
			KAOS_FAIL("half-writing producer: the subscriber never reached %" PRIu64,
				  pos);
		sleep_ns(MS / 4);
	}
	line->v[pos - start] = POISON;
	atomic_store(&S->val[4], pos);
	raise(SIGSTOP);
	_exit(3);
}

/* After a producer's death: wait until the restart subscriber has drained
 * the channel and seen no live producer; what it received is everything
 * published, the exact position. Checks that inspect shows it too. Two
 * verdicts after @p verdicts (counted after the death): a subscriber
 * stopped (SIGSTOP) between a verdict and counting it counts an old one
 * first. */
static uint64_t
u64_drained_position(const char *name, uint64_t verdicts, const char *after)
{
	WAIT_UNTIL(atomic_load(&S->count[1]) >= verdicts + 2, 10);
	uint64_t got = atomic_load(&S->got[0]);
	struct kaos_ipc_info info;
	inspect(name, &info);
	if (info.tail != got || info.head != got)
		KAOS_FAIL("%s: the subscriber drained %" PRIu64 " values, inspect shows tail %"
			  PRIu64 " and head %" PRIu64, after, got, info.tail, info.head);
	KAOS_ASSERT(!info.producers[0].alive && !info.producers[0].closed);
	return got;
}

/* A U64 producer killed in every way, each successor continuing at the
 * exact position (the subscriber checks 0, 1, 2, ... across all of them;
 * values equal positions, so a successor that resumed too early or too
 * late shows as a wrong value or a poison one):
 *  - killed mid-stream, at random points of its sends, four times;
 *  - killed after writing a value but before storing its line's sequence
 *    word: at a line's first word and mid-line (left with a position
 *    three words into a line);
 *  - killed while blocked on a full ring, the subscriber stopped three
 *    words into a line. */
static void
u64_restart_killed(bool file)
{
	struct sub_arg sa = { .cfg = config(chan_name(file, "u64"), KAOS_IPC_U64) };
	const char *name = sa.cfg.name;
	const uint64_t cap = sa.cfg.capacity;
	reset_shared();
	atomic_store(&S->val[8], UINT64_MAX); /* set before the last producer */
	pid_t s = spawn("subscriber", restart_subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	uint64_t from = 0; /* the next value, and the position */

	for (int round = 0; round < 4; round++) {
		atomic_store(&S->sent[0], 0);
		struct prod_arg pa = { .cfg = sa.cfg, .from = from, .end = END_NEVER };
		pid_t p = spawn("producer", producer, &pa);
		WAIT_UNTIL(atomic_load(&S->sent[0]) >= 300, 10);
		kill_child(p);
		uint64_t verdicts = atomic_load(&S->count[1]);
		uint64_t sent = from + atomic_load(&S->sent[0]);
		uint64_t pos = u64_drained_position(name, verdicts, "killed mid-stream");
		/* its completed sends, and perhaps the one it was in */
		KAOS_ASSERT_GE(pos, sent);
		KAOS_ASSERT_LE(pos, sent + 1);
		printf("  killed mid-stream after %" PRIu64 " completed sends: position %" PRIu64
		       "\n", sent, pos);
		from = pos;
	}

	const unsigned words[] = { 0, 3 };
	for (int i = 0; i < 2; i++) {
		atomic_store(&S->sent[0], 0);
		struct half_arg ha = { .p = { .cfg = sa.cfg, .from = from, .to = from + 200 },
				       .word = words[i] };
		pid_t p = spawn("half-writing producer", u64_half_writer, &ha);
		wait_stopped(p);
		uint64_t at = atomic_load(&S->val[4]);
		KAOS_ASSERT_UEQ(at, from + atomic_load(&S->sent[0]));
		KAOS_ASSERT_UEQ(at % KAOS_U64RING_PER_LINE, words[i]);
		kill_child(p);
		uint64_t verdicts = atomic_load(&S->count[1]);
		uint64_t pos = u64_drained_position(name, verdicts,
						    "killed between a value and its sequence word");
		KAOS_ASSERT_UEQ(pos, at); /* the written, unpublished value is not there */
		printf("  killed between writing value %" PRIu64 " (word %u) and publishing it\n",
		       at, words[i]);
		from = pos;
	}
	KAOS_ASSERT(from % KAOS_U64RING_PER_LINE == 3);

	/* the subscriber, drained at `from`, stopped three words into a line */
	kill(s, SIGSTOP);
	wait_stopped(s);
	atomic_store(&S->sent[0], 0);
	struct prod_arg pf = { .cfg = sa.cfg, .from = from, .end = END_NEVER };
	pid_t p = spawn("producer", producer, &pf);
	/* a ring ahead of the subscriber */
	WAIT_UNTIL(atomic_load(&S->sent[0]) >= cap, 10);
	sleep_ns(5 * sa.cfg.liveness_ns);
	uint64_t sent = from + atomic_load(&S->sent[0]);
	KAOS_ASSERT_UEQ(sent, from + cap);
	kill_child(p);
	struct kaos_ipc_info info;
	inspect(name, &info);
	if (info.tail != sent || info.head != from)
		KAOS_FAIL("producer killed blocked on a full ring (subscriber stopped at %" PRIu64
			  ", %" PRIu64 " sent): inspect shows tail %" PRIu64 ", head %" PRIu64,
			  from, sent, info.tail, info.head);
	uint64_t verdicts = atomic_load(&S->count[1]);
	kill(s, SIGCONT);
	uint64_t pos = u64_drained_position(name, verdicts, "killed blocked on a full ring");
	KAOS_ASSERT_UEQ(pos, sent);
	printf("  killed blocked on a full ring: %" PRIu64 " values ahead of the subscriber\n",
	       sent - from);
	from = pos;

	/* the last producer: closes, the subscriber sees -EPIPE at the end */
	const uint64_t n = from + 1000;
	atomic_store(&S->val[8], n);
	struct prod_arg pl = { .cfg = sa.cfg, .from = from, .to = n, .end = END_CLOSE };
	p = spawn("last producer", producer, &pl);
	finish(p);
	finish(s);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), n);
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), -EPIPE);
	inspect(name, &info);
	KAOS_ASSERT_UEQ(info.tail, n);
	KAOS_ASSERT_UEQ(info.head, n);
	KAOS_ASSERT_EQ(info.producers[0].pid, p);
	KAOS_ASSERT(info.producers[0].closed);
}

static void
restart_producer_u64(void)
{
	restart(KAOS_IPC_U64, false, FIRST_CLOSED);
	u64_restart_killed(true);
}

/* ==== 7. three broadcast subscribers, one late ======================================= */

static void
late_subscriber(const void *p)
{
	const struct sub_arg *a = p;
	uint64_t dl = kaos_now_ns() + 60 * SEC;
	while (!atomic_load(&S->flag[2])) { /* the producer is half way */
		if (kaos_now_ns() > dl)
			KAOS_FAIL("late subscriber: producer never half way");
		sched_yield();
	}
	uint64_t before = atomic_load(&S->sent[0]);
	struct kaos_ipc *ch = attach(&a->cfg, false, "late subscriber");
	uint64_t after = atomic_load(&S->sent[0]);
	atomic_store(&S->val[0], before);
	atomic_store(&S->val[1], after);
	atomic_store(&S->flag[3], 1);
	struct rx r = rx_make("late subscriber", a->cfg.kind, &S->got[a->slot]);
	r.any_start = true;
	struct kaos_wait w = backoff(T_WAIT);
	int64_t rc = rx_until_error(ch, &r, 64, &w);
	atomic_store(&S->first[a->slot], r.first);
	atomic_store(&S->got[a->slot], r.count);
	atomic_store(&S->rc[a->slot], rc);
	kaos_ipc_close(ch);
}

/* Sends n; half way it lets the late subscriber in, and at three quarters
 * waits (bounded) until it has joined, so it joins mid-stream. */
static void
bcast_late_producer(const void *p)
{
	const struct prod_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_wait w = backoff(T_WAIT);
	for (uint64_t s = 0; s < a->to; s++) {
		if (s == a->to / 2)
			atomic_store(&S->flag[2], 1);
		if (s == a->to * 3 / 4) {
			uint64_t dl = kaos_now_ns() + 30 * SEC;
			while (!atomic_load(&S->flag[3])) {
				if (kaos_now_ns() > dl)
					KAOS_FAIL("producer: late subscriber never joined");
				sched_yield();
			}
		}
		KAOS_ASSERT_OK(send_word(ch, s, &w));
		atomic_store(&S->sent[0], s + 1);
	}
	kaos_ipc_close(ch);
}

static void
bcast_three_subscribers_one_late(void)
{
	const uint64_t n = kaos_test_scaled(20000, 2000);
	struct sub_arg sa[3];
	struct kaos_ipc_config cfg = config(chan_name(false, "bcast"), KAOS_IPC_BCAST);
	cfg.capacity = 256;
	pid_t s[3];
	for (int i = 0; i < 3; i++) {
		sa[i] = (struct sub_arg){ .cfg = cfg, .slot = i };
		s[i] = spawn(i < 2 ? "subscriber" : "late subscriber",
			     i < 2 ? subscriber : late_subscriber, &sa[i]);
	}
	WAIT_UNTIL(atomic_load(&S->ready) == 2, 10);
	struct prod_arg pa = { .cfg = cfg, .to = n, .end = END_CLOSE };
	pid_t p = spawn("producer", bcast_late_producer, &pa);
	finish(p);
	for (int i = 0; i < 3; i++)
		finish(s[i]);
	for (int i = 0; i < 2; i++) {
		KAOS_ASSERT_UEQ(atomic_load(&S->got[i]), n);
		KAOS_ASSERT_EQ(atomic_load(&S->rc[i]), -EPIPE);
	}
	uint64_t first = atomic_load(&S->first[2]);
	uint64_t before = atomic_load(&S->val[0]), after = atomic_load(&S->val[1]);
	printf("  late subscriber joined with the producer at %" PRIu64 "..%" PRIu64
	       ", first value %" PRIu64 "\n", before, after, first);
	KAOS_ASSERT_GE(first, before);
	KAOS_ASSERT_LE(first, after + 1);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[2]), n - first); /* gapless to the end */
	KAOS_ASSERT_EQ(atomic_load(&S->rc[2]), -EPIPE);
}

/* ==== 8. errors ===================================================================== */

/* Holds a channel as producer (and subscriber unless BCAST) until killed
 * or told to close (S->go). */
static void
holder(const void *p)
{
	const struct kaos_ipc_config *cfg = p;
	struct kaos_ipc *pub = attach(cfg, true, "holder");
	struct kaos_ipc *sub = attach(cfg, false, "holder");
	atomic_fetch_add(&S->ready, 1);
	uint64_t dl = kaos_now_ns() + 60 * SEC;
	while (!atomic_load(&S->go)) {
		if (kaos_now_ns() > dl)
			KAOS_FAIL("holder: never released");
		sleep_ns(MS / 2);
	}
	kaos_ipc_close(sub);
	kaos_ipc_close(pub);
}

static int
try_attach(const struct kaos_ipc_config *cfg, bool publisher)
{
	struct kaos_ipc *ch = NULL;
	int rc = publisher ? kaos_ipc_publish(cfg, &ch) : kaos_ipc_subscribe(cfg, &ch);
	if (rc == 0) {
		KAOS_ASSERT(ch);
		kaos_ipc_close(ch);
	} else {
		KAOS_ASSERT(!ch);
	}
	return rc;
}

static void
errors_busy(void)
{
	const enum kaos_ipc_kind kinds[] = { KAOS_IPC_SPSC, KAOS_IPC_MSG_SP, KAOS_IPC_MSG_MP,
					     KAOS_IPC_BCAST, KAOS_IPC_U64, KAOS_IPC_U64 };
	for (int i = 0; i < 6; i++) {
		enum kaos_ipc_kind kind = kinds[i];
		struct kaos_ipc_config cfg = config(chan_name(i % 2, kind_tag(kind)), kind);
		cfg.max_producers = kind == KAOS_IPC_MSG_MP ? 2 : 0;
		cfg.max_subscribers = kind == KAOS_IPC_BCAST ? 2 : 0;
		atomic_store(&S->ready, 0);
		atomic_store(&S->go, 0);
		pid_t h = spawn("holder", holder, &cfg);
		WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
		struct kaos_ipc *extra = NULL;
		switch (kind) {
		case KAOS_IPC_MSG_MP: /* two producers allowed, not three */
			KAOS_ASSERT_OK(kaos_ipc_publish(&cfg, &extra));
			KAOS_ASSERT_EQ(try_attach(&cfg, true), -EBUSY);
			KAOS_ASSERT_EQ(try_attach(&cfg, false), -EBUSY);
			break;
		case KAOS_IPC_BCAST: /* two subscribers allowed, not three */
			KAOS_ASSERT_EQ(try_attach(&cfg, true), -EBUSY);
			KAOS_ASSERT_OK(kaos_ipc_subscribe(&cfg, &extra));
			KAOS_ASSERT_EQ(try_attach(&cfg, false), -EBUSY);
			break;
		default:
			KAOS_ASSERT_EQ(try_attach(&cfg, true), -EBUSY);
			KAOS_ASSERT_EQ(try_attach(&cfg, false), -EBUSY);
		}
		kaos_ipc_close(extra);
		/* the holder goes (killed, or cleanly): its slots are free */
		if (i % 2) {
			atomic_store(&S->go, 1);
			finish(h);
		} else {
			kill_child(h);
		}
		KAOS_ASSERT_OK(try_attach(&cfg, true));
		KAOS_ASSERT_OK(try_attach(&cfg, false));
	}
}

/* U64 specifics: slot size 0 means 8; the handles; send's length and
 * type; a capacity not a multiple of 7 or a slot size other than 8 on an
 * existing channel is a mismatch (at creation: -EINVAL, below). */
static void
u64_expectations_and_config(void)
{
	struct kaos_ipc_config cfg = config(chan_name(false, "u64cfg"), KAOS_IPC_U64);
	cfg.slot_size = 0;
	cfg.capacity = 7;
	struct kaos_ipc *pub = attach(&cfg, true, "case"), *sub = attach(&cfg, false, "case");
	struct kaos_ipc_info info;
	inspect(cfg.name, &info);
	KAOS_ASSERT_EQ(info.kind, KAOS_IPC_U64);
	KAOS_ASSERT_UEQ(info.slot_size, 8);
	KAOS_ASSERT_UEQ(info.capacity, 7);
	KAOS_ASSERT_UEQ(info.nproducers, 1);
	KAOS_ASSERT_UEQ(info.nsubscribers, 1);
	KAOS_ASSERT_EQ(kaos_ipc_kind(pub), KAOS_IPC_U64);
	KAOS_ASSERT_UEQ(kaos_ipc_slot_size(sub), 8);
	KAOS_ASSERT_UEQ(kaos_ipc_capacity(sub), 7);
	KAOS_ASSERT(kaos_ipc_u64ring(pub) && kaos_ipc_u64ring(sub));
	KAOS_ASSERT(kaos_ipc_u64ring(pub) != kaos_ipc_u64ring(sub));
	KAOS_ASSERT_UEQ(kaos_u64ring_capacity(kaos_ipc_u64ring(pub)), 7);
	KAOS_ASSERT(!kaos_ipc_spsc(pub) && !kaos_ipc_msgring(pub) && !kaos_ipc_msg_producer(pub) &&
		    !kaos_ipc_bcast(pub) && !kaos_ipc_bcast_consumer(sub));
	uint64_t v[2] = { 1, 2 };
	KAOS_ASSERT_EQ(kaos_ipc_send(pub, 0, v, 4, NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_ipc_send(pub, 0, v, 16, NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_ipc_send(pub, 1, v, 8, NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_ipc_send(sub, 0, v, 8, NULL), -EINVAL); /* not the publisher */
	inspect(cfg.name, &info);
	KAOS_ASSERT_UEQ(info.tail, 0);
	KAOS_ASSERT_OK(kaos_ipc_send(pub, 0, v, 8, NULL));
	KAOS_ASSERT_OK(kaos_u64ring_push(kaos_ipc_u64ring(pub), 2));
	inspect(cfg.name, &info);
	KAOS_ASSERT_UEQ(info.tail, 2);
	KAOS_ASSERT_UEQ(info.head, 0);
	struct rx r = rx_make("case", KAOS_IPC_U64, NULL);
	r.any_start = true;
	KAOS_ASSERT_EQ(kaos_ipc_receive(sub, rx_fn, &r, 1, NULL), 1);
	uint64_t got = 0;
	KAOS_ASSERT_OK(kaos_u64ring_pop(kaos_ipc_u64ring(sub), &got));
	KAOS_ASSERT_UEQ(got, 2);
	KAOS_ASSERT_EQ(kaos_ipc_receive(sub, rx_fn, &r, 1, NULL), 0);
	inspect(cfg.name, &info);
	KAOS_ASSERT_UEQ(info.head, 2);
	kaos_ipc_close(sub);
	kaos_ipc_close(pub);
	for (int pub_side = 0; pub_side < 2; pub_side++) {
		struct kaos_ipc_config c = cfg;
		c.slot_size = 8;
		KAOS_ASSERT_OK(try_attach(&c, pub_side));
		c.slot_size = 16;
		KAOS_ASSERT_EQ(try_attach(&c, pub_side), -KAOS_ESLOTSIZE);
		c.slot_size = 0;
		c.capacity = 8; /* not a multiple of 7: still a mismatch, not -EINVAL */
		KAOS_ASSERT_EQ(try_attach(&c, pub_side), -KAOS_ECAPACITY);
		c.capacity = 14;
		KAOS_ASSERT_EQ(try_attach(&c, pub_side), -KAOS_ECAPACITY);
	}
	/* the handle of another kind's channel */
	struct kaos_ipc_config sc = config(chan_name(true, "spsccfg"), KAOS_IPC_SPSC);
	struct kaos_ipc *sp = attach(&sc, true, "case");
	KAOS_ASSERT(!kaos_ipc_u64ring(sp));
	kaos_ipc_close(sp);
	KAOS_ASSERT(!kaos_ipc_u64ring(NULL));
}

static void
errors_expectations_and_config(void)
{
	const enum kaos_ipc_kind kinds[] = { KAOS_IPC_SPSC, KAOS_IPC_MSG_SP, KAOS_IPC_MSG_MP,
					     KAOS_IPC_BCAST, KAOS_IPC_U64 };
	const int nkinds = (int)(sizeof(kinds) / sizeof(kinds[0]));
	for (int i = 0; i < nkinds; i++) {
		enum kaos_ipc_kind kind = kinds[i];
		struct kaos_ipc_config cfg = config(chan_name(i % 2, kind_tag(kind)), kind);
		cfg.flags = kind == KAOS_IPC_MSG_SP ? KAOS_IPC_CRC : 0;
		KAOS_ASSERT_OK(try_attach(&cfg, true)); /* creates */
		struct kaos_ipc_info info;
		inspect(cfg.name, &info);
		KAOS_ASSERT_EQ(info.kind, kind);
		KAOS_ASSERT_UEQ(info.capacity, cfg.capacity);
		KAOS_ASSERT_UEQ(info.slot_size, cfg.slot_size);
		KAOS_ASSERT_UEQ(info.flags, cfg.flags);
		KAOS_ASSERT_UEQ(info.version, 3);
		for (int pub = 0; pub < 2; pub++) {
			struct kaos_ipc_config c = cfg;
			c.kind = kinds[(i + 1) % nkinds];
			c.slot_size = is_fixed(c.kind) ? 8 : 0;
			c.flags = 0;
			KAOS_ASSERT_EQ(try_attach(&c, pub), -KAOS_EKIND);
			c = cfg;
			c.capacity *= 2;
			KAOS_ASSERT_EQ(try_attach(&c, pub), -KAOS_ECAPACITY);
			if (is_fixed(kind)) {
				c = cfg;
				c.slot_size = 16;
				KAOS_ASSERT_EQ(try_attach(&c, pub), -KAOS_ESLOTSIZE);
			}
			c = cfg; /* zeros accept what the file holds */
			c.capacity = 0;
			c.slot_size = 0;
			KAOS_ASSERT_OK(try_attach(&c, pub));
		}
	}
	u64_expectations_and_config();
	KAOS_ASSERT_EQ(kaos_ipc_publish(NULL, &(struct kaos_ipc *){ NULL }), -EINVAL);
	struct kaos_ipc_config ok = config(chan_name(false, "cfg"), KAOS_IPC_SPSC);
	KAOS_ASSERT_EQ(kaos_ipc_subscribe(&ok, NULL), -EINVAL);
	struct kaos_ipc_config bad[16];
	int nbad = 0;
	for (int i = 0; i < 16; i++)
		bad[i] = ok;
	bad[nbad++].name = NULL;
	bad[nbad++].name = "";
	bad[nbad++].kind = 0;
	bad[nbad++].kind = KAOS_IPC_U64 + 1; /* the first unknown kind */
	bad[nbad++].flags = 1u << 7;
	bad[nbad++].flags = KAOS_IPC_CRC; /* CRC is for message kinds */
	bad[nbad].kind = KAOS_IPC_MSG_MP;
	bad[nbad].slot_size = 0;
	bad[nbad++].max_producers = KAOS_IPC_MAX_PRODUCERS + 1;
	bad[nbad].kind = KAOS_IPC_BCAST;
	bad[nbad++].max_subscribers = KAOS_IPC_MAX_SUBSCRIBERS + 1;
	bad[nbad++].capacity = 3;  /* not a power of two: creation fails */
	bad[nbad++].slot_size = 12; /* not a multiple of 8 */
	bad[nbad].kind = KAOS_IPC_MSG_SP;
	bad[nbad].slot_size = 0;
	bad[nbad++].capacity = 100;
	bad[nbad].kind = KAOS_IPC_U64; /* capacity 64: not a multiple of 7 */
	bad[nbad++].slot_size = 0;
	bad[nbad].kind = KAOS_IPC_U64;
	bad[nbad].capacity = 63;
	bad[nbad++].slot_size = 16; /* U64: 8 only */
	bad[nbad].kind = KAOS_IPC_U64;
	bad[nbad].capacity = 63;
	bad[nbad++].flags = KAOS_IPC_CRC;
	bad[nbad].kind = KAOS_IPC_U64;
	bad[nbad++].capacity = 0; /* no default capacity */
	KAOS_ASSERT_LE(nbad, 16);
	for (int i = 0; i < nbad; i++) {
		KAOS_ASSERT_EQ(try_attach(&bad[i], true), -EINVAL);
		KAOS_ASSERT_EQ(try_attach(&bad[i], false), -EINVAL);
	}
	/* a failed creation leaves no file behind */
	int fd = raw_open(ok.name, O_RDONLY, 0);
	KAOS_ASSERT_EQ(fd, -1);
	KAOS_ASSERT_EQ(errno, ENOENT);
}

/* Whole-file image of a channel. */
struct image {
	unsigned char *bytes;
	size_t len;
};

static struct image
read_image(const char *name)
{
	int fd = raw_open(name, O_RDONLY, 0);
	KAOS_ASSERT(fd >= 0);
	struct stat st;
	KAOS_ASSERT_EQ(fstat(fd, &st), 0);
	struct image im = { malloc((size_t)st.st_size), (size_t)st.st_size };
	KAOS_ASSERT(im.bytes);
	KAOS_ASSERT_EQ(pread(fd, im.bytes, im.len, 0), (ssize_t)im.len);
	close(fd);
	return im;
}

/* Replace the file's contents (same inode) with @p len bytes of @p bytes. */
static void
write_file(const char *name, const void *bytes, size_t len)
{
	int fd = raw_open(name, O_RDWR | O_CREAT, 0600);
	KAOS_ASSERT(fd >= 0);
	KAOS_ASSERT_EQ(ftruncate(fd, 0), 0);
	KAOS_ASSERT_EQ(ftruncate(fd, (off_t)len), 0);
	if (len)
		KAOS_ASSERT_EQ(pwrite(fd, bytes, len, 0), (ssize_t)len);
	close(fd);
}

/* The pristine image with @p size bytes at @p off replaced by @p v. */
static void
write_patched(const char *name, const struct image *im, size_t off, uint64_t v, size_t size)
{
	unsigned char *b = malloc(im->len);
	KAOS_ASSERT(b);
	memcpy(b, im->bytes, im->len);
	memcpy(b + off, &v, size); /* little-endian */
	write_file(name, b, im->len);
	free(b);
}

/* publish, subscribe and inspect all fail with @p want (inspect: @p want_inspect). */
static void
expect_all(const char *what, const struct kaos_ipc_config *cfg, int want, int want_inspect)
{
	struct kaos_ipc_info info;
	int rp = try_attach(cfg, true), rs = try_attach(cfg, false);
	int ri = kaos_ipc_inspect(cfg->name, &info);
	if (rp != want || rs != want || ri != want_inspect)
		KAOS_FAIL("%s: publish %s, subscribe %s, inspect %s; expected %s and %s", what,
			  kaos_err_name(rp), kaos_err_name(rs), kaos_err_name(ri),
			  kaos_err_name(want), kaos_err_name(want_inspect));
	/* a failed attach never removes somebody's file */
	int fd = raw_open(cfg->name, O_RDONLY, 0);
	KAOS_ASSERT(fd >= 0);
	close(fd);
}

/* U64: the ring's shared state is checked when a side attaches (a scan
 * of the sequence words from head and the tail hint): inconsistent, both
 * sides get -KAOS_ECORRUPT; inspect still reads the header. */
static void
u64_bad_ring_state(const struct kaos_ipc_config *cfg, const struct image *im)
{
	uint64_t ring_off;
	memcpy(&ring_off, im->bytes + 48, 8); /* ring_offset */
	const size_t head = ring_off + offsetof(struct kaos__ring_ctl, head);
	const size_t tail = ring_off + offsetof(struct kaos__ring_ctl, tail);
	const size_t line0 = ring_off + sizeof(struct kaos__ring_ctl);
	const size_t line1 = line0 + sizeof(struct kaos_u64ring_line);
	KAOS_ASSERT(im->len >= line1 + sizeof(struct kaos_u64ring_line));
	/* the pristine image holds 3 values: line 0's sequence word is 3 */
	uint64_t seq0;
	memcpy(&seq0, im->bytes + line0, 8);
	KAOS_ASSERT_UEQ(seq0, 3);
	const struct {
		const char *what;
		size_t off, off2; /* off2: a second word, or 0 */
		uint64_t v, v2;
	} bad[] = {
		{ "head past the values published", head, 0, 4, 0 },
		{ "head far past them", head, 0, 1000, 0 },
		{ "line 0's sequence word past its line", line0, 0, 8, 0 },
		{ "line 0 complete, line 1's sequence word past its line", line0, line1, 7, 15 },
	};
	unsigned char *b = malloc(im->len);
	KAOS_ASSERT(b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, im->bytes, im->len);
		memcpy(b + bad[i].off, &bad[i].v, 8);
		if (bad[i].off2)
			memcpy(b + bad[i].off2, &bad[i].v2, 8);
		write_file(cfg->name, b, im->len);
		expect_all(bad[i].what, cfg, -KAOS_ECORRUPT, 0);
	}
	free(b);
	/* the tail hint is a hint: 0 (below the end), the scan finds 3; with
	 * head at 3 it is the state after a subscriber drained the channel */
	write_patched(cfg->name, im, tail, 0, 8);
	KAOS_ASSERT_OK(try_attach(cfg, true));
	struct kaos_ipc_info info;
	inspect(cfg->name, &info);
	KAOS_ASSERT_UEQ(info.tail, 3);
	KAOS_ASSERT_UEQ(info.head, 0);
	write_patched(cfg->name, im, head, 3, 8);
	KAOS_ASSERT_OK(try_attach(cfg, false));
	inspect(cfg->name, &info);
	KAOS_ASSERT_UEQ(info.tail, 3);
	KAOS_ASSERT_UEQ(info.head, 3);
}

static void
errors_bad_files(bool file, enum kaos_ipc_kind kind)
{
	struct kaos_ipc_config cfg = config(chan_name(file, "bad"), kind);
	cfg.open_timeout_ns = 50 * MS;
	KAOS_ASSERT_OK(try_attach(&cfg, true));
	if (kind == KAOS_IPC_U64) { /* three values in the image */
		struct kaos_ipc *ch = attach(&cfg, true, "case");
		struct kaos_wait w = backoff(T_WAIT);
		for (uint64_t v = 0; v < 3; v++)
			KAOS_ASSERT_OK(send_word(ch, v, &w));
		kaos_ipc_close(ch);
	}
	struct image im = read_image(cfg.name);
	KAOS_ASSERT(im.len > 4096);
	unsigned char junk[8192];
	memset(junk, 'x', sizeof(junk));

	write_file(cfg.name, junk, sizeof(junk));
	expect_all("foreign 8 KiB", &cfg, -KAOS_EFOREIGN, -KAOS_EFOREIGN);
	KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), -KAOS_EFOREIGN);
	write_file(cfg.name, junk, 100);
	int rp = try_attach(&cfg, true), rs = try_attach(&cfg, false);
	KAOS_ASSERT_EQ(rp, -KAOS_EFOREIGN);
	KAOS_ASSERT_EQ(rs, -KAOS_EFOREIGN);
	KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), -KAOS_EFOREIGN);
	write_patched(cfg.name, &im, 0, 0x1122334455667788ull, 8);
	expect_all("wrong magic", &cfg, -KAOS_EFOREIGN, -KAOS_EFOREIGN);

	write_patched(cfg.name, &im, 8, 1, 4);
	expect_all("version 1", &cfg, -KAOS_EVERSION, -KAOS_EVERSION);
	write_patched(cfg.name, &im, 8, 2, 4);
	expect_all("version 2", &cfg, -KAOS_EVERSION, -KAOS_EVERSION);
	write_patched(cfg.name, &im, 8, 4, 4);
	expect_all("version 4", &cfg, -KAOS_EVERSION, -KAOS_EVERSION);
	write_patched(cfg.name, &im, 44, 32, 4);
	expect_all("another cache line size", &cfg, -KAOS_EVERSION, -KAOS_EVERSION);

	write_file(cfg.name, im.bytes, im.len - 64);
	expect_all("truncated ring", &cfg, -KAOS_ETRUNCATED, -KAOS_ETRUNCATED);
	write_file(cfg.name, im.bytes, 4096);
	expect_all("header only", &cfg, -KAOS_ETRUNCATED, -KAOS_ETRUNCATED);
	write_file(cfg.name, im.bytes, 100);
	expect_all("100 bytes", &cfg, -KAOS_ETRUNCATED, -KAOS_ETRUNCATED);
	/* short, and no magic: not a channel cut short, nobody's (open and
	 * inspect agree) */
	unsigned char zeros[100] = { 0 };
	write_file(cfg.name, zeros, sizeof(zeros));
	expect_all("100 zero bytes", &cfg, -KAOS_EFOREIGN, -KAOS_EFOREIGN);
	write_file(cfg.name, im.bytes, 7);
	expect_all("7 bytes: too few to tell", &cfg, -KAOS_ETRUNCATED, -KAOS_ETRUNCATED);

	const struct {
		const char *what;
		size_t off, size;
		uint64_t v;
	} corrupt[] = {
		{ "ring_len + 64", 56, 8, 0 },
		{ "file_len + 64", 64, 8, 0 },
		{ "header_len 8192", 12, 4, 8192 },
		{ "ring_offset 0", 48, 8, 0 },
		{ "kind 9", 16, 4, 9 },
		{ "kind 6, after the last", 16, 4, KAOS_IPC_U64 + 1 },
		{ "kind 0", 16, 4, 0 },
		{ "unknown flag", 20, 4, 0x80 },
		{ "capacity 48", 24, 8, 48 },
		/* a valid U64 capacity whose ring is lines shorter than this
		 * file's: one a line or two shorter can round to the same
		 * ring_len on 128-byte cache lines, a consistent header then */
		{ "capacity 28 (a valid U64 capacity, not this file's)", 24, 8, 28 },
		{ "slot_size 12", 32, 4, 12 },
		{ "slot_size 0", 32, 4, 0 },
		{ "two producers on a single-producer kind", 36, 4, 2 },
		{ "two subscribers on a single-subscriber kind", 40, 4, 2 },
		{ "no subscriber slot", 40, 4, 0 },
	};
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		uint64_t v = corrupt[i].v;
		if (i < 2) {
			memcpy(&v, im.bytes + corrupt[i].off, 8);
			v += 64;
		}
		write_patched(cfg.name, &im, corrupt[i].off, v, corrupt[i].size);
		expect_all(corrupt[i].what, &cfg, -KAOS_ECORRUPT, -KAOS_ECORRUPT);
	}
	/* a "ready" word no creator writes */
	write_patched(cfg.name, &im, 124, 0x12345678, 4);
	KAOS_ASSERT_EQ(try_attach(&cfg, true), -KAOS_ECORRUPT);
	KAOS_ASSERT_EQ(try_attach(&cfg, false), -KAOS_ECORRUPT);
	/* never made ready: a creator died while laying it out (sized, and
	 * nobody holds the creation lock, so attach says so at once) */
	write_patched(cfg.name, &im, 124, 0, 4);
	KAOS_ASSERT_EQ(try_attach(&cfg, false), -EAGAIN);
	struct kaos_ipc_info info;
	KAOS_ASSERT_EQ(kaos_ipc_inspect(cfg.name, &info), -EAGAIN);
	KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), 1);
	KAOS_ASSERT_EQ(raw_open(cfg.name, O_RDONLY, 0), -1);
	if (kind == KAOS_IPC_U64)
		u64_bad_ring_state(&cfg, &im);
	/* and the pristine image is a channel again */
	write_file(cfg.name, im.bytes, im.len);
	KAOS_ASSERT_OK(try_attach(&cfg, true));
	KAOS_ASSERT_OK(try_attach(&cfg, false));
	free(im.bytes);
}

static void
errors_bad_files_shm(void)
{
	errors_bad_files(false, KAOS_IPC_SPSC);
}

static void
errors_bad_files_path(void)
{
	errors_bad_files(true, KAOS_IPC_SPSC);
}

static void
errors_bad_files_u64(void)
{
	errors_bad_files(false, KAOS_IPC_U64);
	errors_bad_files(true, KAOS_IPC_U64);
}

/* Separate: fails on its own when errors_bad_files_u64 passes. A u64
 * channel whose ring state is inconsistent (head past the values
 * published): attach refuses it, and inspect (which kaos-ipc and kaos-stat
 * run on whatever they find) says so (-KAOS_ECORRUPT) or shows the head
 * the control block holds, nothing published beyond it; not zeros. */
static void
u64_inspect_of_an_inconsistent_ring_shows_its_head(void)
{
	struct kaos_ipc_config cfg = config(chan_name(true, "u64bad"), KAOS_IPC_U64);
	struct kaos_ipc *ch = attach(&cfg, true, "case");
	struct kaos_wait w = backoff(T_WAIT);
	for (uint64_t v = 0; v < 3; v++)
		KAOS_ASSERT_OK(send_word(ch, v, &w));
	kaos_ipc_close(ch);
	struct image im = read_image(cfg.name);
	uint64_t ring_off;
	memcpy(&ring_off, im.bytes + 48, 8);
	write_patched(cfg.name, &im, ring_off + offsetof(struct kaos__ring_ctl, head), 5, 8);
	KAOS_ASSERT_EQ(try_attach(&cfg, true), -KAOS_ECORRUPT);
	KAOS_ASSERT_EQ(try_attach(&cfg, false), -KAOS_ECORRUPT);
	struct kaos_ipc_info info;
	int rc = kaos_ipc_inspect(cfg.name, &info);
	if (rc != -KAOS_ECORRUPT && (rc != 0 || info.head != 5 || info.tail != 5))
		KAOS_FAIL("inspect of a u64 channel whose head (5) is past its published values"
			  " (3): %s, head %" PRIu64 ", tail %" PRIu64 "; expected KAOS_ECORRUPT, or"
			  " head and tail 5 (read_positions() leaves the positions 0 when the"
			  " attach to its copy fails)", kaos_err_name(rc), rc ? 0 : info.head,
			  rc ? 0 : info.tail);
	free(im.bytes);
}

/* kaos-ipc and kaos-stat inspect channels in use: on a busy channel (a
 * small ring, lapped every 64 or 63 values) inspect's positions stay
 * consistent for a second of snapshots: tail neither behind head nor more
 * than a ring ahead, neither going back (a u64 ring's are found by a scan
 * of a copy of its lines, which the ring overtakes while it is taken). */
static void
inspect_while_busy(enum kaos_ipc_kind kind)
{
	struct sub_arg sa = { .cfg = config(chan_name(false, kind_tag(kind)), kind) };
	const char *name = sa.cfg.name;
	const uint64_t cap = sa.cfg.capacity;
	pid_t s = spawn("subscriber", subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	struct prod_arg pa = { .cfg = sa.cfg, .end = END_NEVER };
	pid_t p = spawn("producer", producer, &pa);
	WAIT_UNTIL(atomic_load(&S->got[0]) >= 1000, 10);
	uint64_t last_tail = 0, last_head = 0, n = 0, bad = 0, first_bad = 0;
	char what[200] = "";
	uint64_t end = kaos_now_ns() + (uint64_t)(SEC * slack());
	while (kaos_now_ns() < end) {
		struct kaos_ipc_info info;
		inspect(name, &info);
		n++;
		const char *err = NULL;
		if (info.tail < info.head)
			err = "tail behind head";
		else if (info.tail - info.head > cap)
			err = "tail more than a ring ahead";
		else if (info.tail < last_tail)
			err = "tail went back";
		else if (info.head < last_head)
			err = "head went back";
		if (err && bad++ == 0) {
			first_bad = n;
			snprintf(what, sizeof(what), "%s: tail %" PRIu64 ", head %" PRIu64
				 " after tail %" PRIu64 ", head %" PRIu64, err, info.tail,
				 info.head, last_tail, last_head);
		}
		if (!err) {
			last_tail = info.tail;
			last_head = info.head;
		}
	}
	kill_child(p);
	finish(s);
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), -KAOS_EPEERDEAD);
	printf("  %" PRIu64 " snapshots of a busy %s channel, the last at tail %" PRIu64
	       ", head %" PRIu64 "\n", n, kind_tag(kind), last_tail, last_head);
	if (bad)
		KAOS_FAIL("%" PRIu64 " of %" PRIu64 " inspect snapshots of a busy %s channel were"
			  " inconsistent (the first, snapshot %" PRIu64 ": %s)", bad, n,
			  kind_tag(kind), first_bad, what);
}

static void
u64_inspect_while_busy(void)
{
	inspect_while_busy(KAOS_IPC_U64);
}

static void
spsc_inspect_while_busy(void)
{
	inspect_while_busy(KAOS_IPC_SPSC);
}

/* A zero-length file nobody is creating: -EAGAIN after open_timeout_ns. */
static void
errors_empty_file_times_out(void)
{
	for (int file = 0; file < 2; file++) {
		struct kaos_ipc_config cfg = config(chan_name(file, "empty"), KAOS_IPC_MSG_SP);
		cfg.open_timeout_ns = 100 * MS;
		int fd = raw_open(cfg.name, O_RDWR | O_CREAT | O_EXCL, 0600);
		KAOS_ASSERT(fd >= 0);
		close(fd);
		for (int pub = 0; pub < 2; pub++) {
			uint64_t t0 = kaos_now_ns();
			KAOS_ASSERT_EQ(try_attach(&cfg, pub), -EAGAIN);
			uint64_t took = kaos_now_ns() - t0;
			KAOS_ASSERT_GE(took, cfg.open_timeout_ns);
			KAOS_ASSERT_LT(took, (uint64_t)(5 * SEC * slack()));
		}
		struct kaos_ipc_info info;
		KAOS_ASSERT_EQ(kaos_ipc_inspect(cfg.name, &info), -KAOS_ETRUNCATED);
		KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), 1);
		KAOS_ASSERT_EQ(raw_open(cfg.name, O_RDONLY, 0), -1);
		KAOS_ASSERT_EQ(errno, ENOENT);
	}
}

/* A creator that died after sizing the file, before writing the header,
 * leaves zeros: not foreign, never ready; cleanup removes it. */
static void
cleanup_removes_a_file_whose_creator_died_before_the_header(void)
{
	for (int file = 0; file < 2; file++) {
		struct kaos_ipc_config cfg = config(chan_name(file, "unborn"), KAOS_IPC_SPSC);
		cfg.open_timeout_ns = 50 * MS;
		static const unsigned char zeros[8192];
		write_file(cfg.name, zeros, sizeof(zeros));
		KAOS_ASSERT_EQ(try_attach(&cfg, true), -EAGAIN);
		KAOS_ASSERT_EQ(try_attach(&cfg, false), -EAGAIN);
		int rc = kaos_ipc_cleanup(cfg.name);
		if (rc != 1)
			KAOS_FAIL("cleanup of a zero-filled channel file nobody holds: %s, expected"
				  " 1 (removed): a creator that dies between ftruncate and"
				  " writing the magic leaves a file nothing can remove",
				  kaos_err_name(rc));
		KAOS_ASSERT_EQ(raw_open(cfg.name, O_RDONLY, 0), -1);
	}
}

static mode_t
mode_of(const char *name)
{
	int fd = raw_open(name, O_RDONLY, 0);
	KAOS_ASSERT(fd >= 0);
	struct stat st;
	KAOS_ASSERT_EQ(fstat(fd, &st), 0);
	close(fd);
	return st.st_mode & 07777;
}

static void
file_modes(void)
{
	mode_t old = umask(022);
	for (int file = 0; file < 2; file++) {
		struct kaos_ipc_config cfg = config(chan_name(file, "mode"), KAOS_IPC_SPSC);
		KAOS_ASSERT_OK(try_attach(&cfg, false));
		KAOS_ASSERT_EQ(mode_of(cfg.name), 0600);
		cfg = config(chan_name(file, "mode"), KAOS_IPC_BCAST);
		cfg.mode = 0640;
		KAOS_ASSERT_OK(try_attach(&cfg, true));
		KAOS_ASSERT_EQ(mode_of(cfg.name), 0640);
		cfg.mode = 0666; /* an existing channel keeps its mode */
		KAOS_ASSERT_OK(try_attach(&cfg, false));
		KAOS_ASSERT_EQ(mode_of(cfg.name), 0640);
	}
	umask(old);
}

static void
cleanup_and_unlink(void)
{
	for (int file = 0; file < 2; file++) {
		/* a live process attached: left alone; dead: removed */
		struct kaos_ipc_config cfg = config(chan_name(file, "clean"), KAOS_IPC_MSG_SP);
		atomic_store(&S->ready, 0);
		pid_t h = spawn("holder", holder, &cfg);
		WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
		KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), 0);
		int fd = raw_open(cfg.name, O_RDONLY, 0);
		KAOS_ASSERT(fd >= 0);
		close(fd);
		kill_child(h);
		struct kaos_ipc_info info;
		inspect(cfg.name, &info);
		KAOS_ASSERT(!info.producers[0].alive && !info.subscribers[0].alive);
		KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), 1);
		KAOS_ASSERT_EQ(raw_open(cfg.name, O_RDONLY, 0), -1);
		KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), -ENOENT);

		/* only a subscriber alive: in use */
		cfg = config(chan_name(file, "clean"), KAOS_IPC_BCAST);
		struct kaos_ipc *sub = attach(&cfg, false, "case");
		KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), 0);
		kaos_ipc_close(sub);
		KAOS_ASSERT_EQ(kaos_ipc_cleanup(cfg.name), 1); /* detached cleanly */

		/* a foreign file is never removed */
		const char *foreign = chan_name(file, "foreign");
		write_file(foreign, "not a channel, but it is somebody's file", 41);
		KAOS_ASSERT_EQ(kaos_ipc_cleanup(foreign), -KAOS_EFOREIGN);
		fd = raw_open(foreign, O_RDONLY, 0);
		KAOS_ASSERT(fd >= 0);
		close(fd);

		/* unlink */
		KAOS_ASSERT_OK(try_attach(&cfg, true));
		KAOS_ASSERT_EQ(kaos_ipc_unlink(cfg.name), 0);
		KAOS_ASSERT_EQ(kaos_ipc_unlink(cfg.name), -ENOENT);
		KAOS_ASSERT_EQ(kaos_ipc_unlink(foreign), 0);
	}
	KAOS_ASSERT_EQ(kaos_ipc_unlink(NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_ipc_unlink(""), -EINVAL);
	KAOS_ASSERT_EQ(kaos_ipc_cleanup(NULL), -EINVAL);
}

/* Attached processes keep working after the name is removed; a new
 * channel under the name is another channel. */
static void
unlink_while_attached(void)
{
	const uint64_t n = 20000;
	struct sub_arg sa = { .cfg = config(chan_name(true, "unlinked"), KAOS_IPC_MSG_SP) };
	pid_t s = spawn("subscriber", subscriber, &sa);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	struct prod_arg pa = { .cfg = sa.cfg, .to = n, .end = END_CLOSE, .wait_go = true };
	pid_t p = spawn("producer", producer, &pa);
	WAIT_UNTIL(atomic_load(&S->ready) == 2, 10);
	KAOS_ASSERT_EQ(kaos_ipc_unlink(sa.cfg.name), 0);
	struct kaos_ipc *other = attach(&sa.cfg, true, "case"); /* a new channel */
	struct kaos_ipc_info info;
	inspect(sa.cfg.name, &info);
	KAOS_ASSERT(!info.subscribers[0].alive && info.producers[0].alive);
	KAOS_ASSERT_UEQ(info.tail, 0);
	atomic_store(&S->go, 1);
	finish(p);
	finish(s);
	kaos_ipc_close(other);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), n);
	KAOS_ASSERT_EQ(atomic_load(&S->rc[0]), -EPIPE);
}

/* ==== 9. blocking channels ============================================================== */

#define LOST_WAKE_NS (4 * SEC) /* a wake-up that came from the timeout */

struct pingpong {
	struct kaos_ipc_config ping, pong;
	uint64_t rounds;
};

struct one {
	uint64_t w;
	uint32_t n;
};

static void
one_fn(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct one *o = ctx;
	(void)type;
	KAOS_ASSERT(len >= 8);
	memcpy(&o->w, data, 8);
	o->n++;
}

/* Receive exactly one message with KAOS_WAIT_BLOCK; count a wait that only
 * ended at its timeout as a lost wake-up. */
static uint64_t
recv_one_blocking(struct kaos_ipc *ch, const char *who, uint64_t *lost)
{
	struct kaos_wait w = { .kind = KAOS_WAIT_BLOCK, .spins = 10, .timeout_ns = 5 * SEC };
	struct one o = { 0, 0 };
	uint64_t t0 = kaos_now_ns();
	int64_t rc = kaos_ipc_receive(ch, one_fn, &o, 1, &w);
	if (rc != 1)
		KAOS_FAIL("%s: blocking receive: %s (lost wake-up?)", who, kaos_err_name((int)rc));
	if (kaos_now_ns() - t0 >= LOST_WAKE_NS)
		(*lost)++;
	return o.w;
}

static void
pinger(const void *p)
{
	const struct pingpong *a = p;
	struct kaos_ipc *ping = attach(&a->ping, true, "pinger");
	struct kaos_ipc *pong = attach(&a->pong, false, "pinger");
	struct kaos_wait w = { .kind = KAOS_WAIT_BLOCK, .timeout_ns = 5 * SEC };
	uint64_t dl = kaos_now_ns() + 30 * SEC, lost = 0;
	while (atomic_load(&S->ready) < 1) { /* the ponger is subscribed */
		if (kaos_now_ns() > dl)
			KAOS_FAIL("pinger: no ponger");
		sleep_ns(MS / 4);
	}
	for (uint64_t i = 0; i < a->rounds; i++) {
		int rc = send_word(ping, i, &w);
		if (rc < 0)
			KAOS_FAIL("pinger: send %" PRIu64 ": %s", i, kaos_strerror(rc));
		uint64_t v = recv_one_blocking(pong, "pinger", &lost);
		if (v != i)
			KAOS_FAIL("pinger: pong %" PRIu64 " for ping %" PRIu64, v, i);
	}
	atomic_store(&S->val[0], lost);
	kaos_ipc_close(ping);
	kaos_ipc_close(pong);
}

static void
ponger(const void *p)
{
	const struct pingpong *a = p;
	struct kaos_ipc *ping = attach(&a->ping, false, "ponger");
	struct kaos_ipc *pong = attach(&a->pong, true, "ponger");
	atomic_fetch_add(&S->ready, 1);
	struct kaos_wait w = { .kind = KAOS_WAIT_BLOCK, .timeout_ns = 5 * SEC };
	uint64_t lost = 0;
	for (uint64_t i = 0; i < a->rounds; i++) {
		uint64_t v = recv_one_blocking(ping, "ponger", &lost);
		if (v != i)
			KAOS_FAIL("ponger: ping %" PRIu64 ", expected %" PRIu64, v, i);
		int rc = send_word(pong, v, &w);
		if (rc < 0)
			KAOS_FAIL("ponger: send %" PRIu64 ": %s", i, kaos_strerror(rc));
	}
	atomic_store(&S->val[1], lost);
	kaos_ipc_close(pong);
	kaos_ipc_close(ping);
}

static void
blocking_ping_pong(void)
{
	const enum kaos_ipc_kind pairs[3][2] = { { KAOS_IPC_SPSC, KAOS_IPC_SPSC },
						 { KAOS_IPC_BCAST, KAOS_IPC_MSG_SP },
						 { KAOS_IPC_U64, KAOS_IPC_U64 } };
	for (int i = 0; i < 3; i++) {
		reset_shared();
		struct pingpong pp = { .rounds = kaos_test_scaled(20000, 500) };
		pp.ping = config(chan_name(i % 2, "ping"), pairs[i][0]);
		pp.pong = config(chan_name(!(i % 2), "pong"), pairs[i][1]);
		pp.ping.flags = pp.pong.flags = KAOS_IPC_BLOCKING;
		/* liveness checks would re-try a missed message every slice:
		 * make the slices longer than the waits */
		pp.ping.liveness_ns = pp.pong.liveness_ns = 3600 * SEC;
		atomic_store(&S->ready, 0);
		uint64_t t0 = kaos_now_ns();
		pid_t b = spawn("ponger", ponger, &pp);
		pid_t a = spawn("pinger", pinger, &pp);
		finish(a);
		finish(b);
		double s = (double)(kaos_now_ns() - t0) / 1e9;
		printf("  %s/%s: %" PRIu64 " round trips in %.2f s (%.1f us each)\n",
		       kind_tag(pairs[i][0]), kind_tag(pairs[i][1]), pp.rounds, s,
		       s * 1e6 / (double)pp.rounds);
		KAOS_ASSERT_UEQ(atomic_load(&S->val[0]) + atomic_load(&S->val[1]), 0);
	}
}

/* An idle producer, attached until S->go. */
static void
idle_producer(const void *p)
{
	struct kaos_ipc *ch = attach(p, true, "idle producer");
	atomic_fetch_add(&S->ready, 1);
	uint64_t dl = kaos_now_ns() + 60 * SEC;
	while (!atomic_load(&S->go)) {
		if (kaos_now_ns() > dl)
			KAOS_FAIL("idle producer: never released");
		sleep_ns(MS / 2);
	}
	kaos_ipc_close(ch);
}

static void
idle_subscriber(const void *p)
{
	struct kaos_ipc *ch = attach(p, false, "idle subscriber");
	atomic_fetch_add(&S->ready, 1);
	uint64_t dl = kaos_now_ns() + 60 * SEC;
	while (!atomic_load(&S->go)) {
		if (kaos_now_ns() > dl)
			KAOS_FAIL("idle subscriber: never released");
		sleep_ns(MS / 2);
	}
	kaos_ipc_close(ch);
}

static void
blocking_timeouts(void)
{
	/* a: liveness checks every 20 ms inside the wait; b: one long slice */
	struct kaos_ipc_config a = config(chan_name(false, "blk"), KAOS_IPC_SPSC);
	struct kaos_ipc_config b = config(chan_name(true, "blk"), KAOS_IPC_MSG_MP);
	struct kaos_ipc_config c = config(chan_name(false, "blk"), KAOS_IPC_SPSC);
	struct kaos_ipc_config plain = config(chan_name(false, "plain"), KAOS_IPC_SPSC);
	/* U64: d as a, e as c (one line: 7 values) */
	struct kaos_ipc_config d = config(chan_name(true, "blk"), KAOS_IPC_U64);
	struct kaos_ipc_config e = config(chan_name(false, "blk"), KAOS_IPC_U64);
	a.flags = b.flags = c.flags = d.flags = e.flags = KAOS_IPC_BLOCKING;
	b.liveness_ns = 3600 * SEC;
	c.capacity = 2;
	e.capacity = 7;
	pid_t pa = spawn("idle producer", idle_producer, &a);
	pid_t pb = spawn("idle producer", idle_producer, &b);
	pid_t sc = spawn("idle subscriber", idle_subscriber, &c);
	pid_t pp = spawn("idle producer", idle_producer, &plain);
	pid_t pd = spawn("idle producer", idle_producer, &d);
	pid_t se = spawn("idle subscriber", idle_subscriber, &e);
	WAIT_UNTIL(atomic_load(&S->ready) == 6, 10);
	struct kaos_ipc *ra = attach(&a, false, "case"), *rb = attach(&b, false, "case");
	struct kaos_ipc *sendc = attach(&c, true, "case"), *rp = attach(&plain, false, "case");
	struct kaos_ipc *rd = attach(&d, false, "case"), *sende = attach(&e, true, "case");
	const uint64_t timeout = 200 * MS;
	struct kaos_wait blk = { .kind = KAOS_WAIT_BLOCK, .timeout_ns = timeout };
	struct one o = { 0, 0 };
	struct kaos_ipc *rx[3] = { ra, rb, rd };
	for (int i = 0; i < 3; i++) {
		uint64_t t0 = kaos_now_ns();
		KAOS_ASSERT_EQ(kaos_ipc_receive(rx[i], one_fn, &o, 1, &blk), -ETIMEDOUT);
		uint64_t took = kaos_now_ns() - t0;
		KAOS_ASSERT_GE(took, timeout);
		KAOS_ASSERT_LT(took, (uint64_t)(5 * SEC * slack()));
	}
	KAOS_ASSERT_EQ(o.n, 0);
	/* a full ring with a live, idle subscriber */
	uint64_t v = 0;
	while (kaos_ipc_send(sendc, 0, &v, 8, NULL) == 0)
		v++;
	KAOS_ASSERT_UEQ(v, 2);
	KAOS_ASSERT_EQ(kaos_ipc_send(sendc, 0, &v, 8, NULL), -KAOS_EFULL);
	uint64_t t0 = kaos_now_ns();
	KAOS_ASSERT_EQ(kaos_ipc_send(sendc, 0, &v, 8, &blk), -ETIMEDOUT);
	KAOS_ASSERT_GE(kaos_now_ns() - t0, timeout);
	/* the same on a u64 ring of one line */
	v = 0;
	while (kaos_ipc_send(sende, 0, &v, 8, NULL) == 0)
		v++;
	KAOS_ASSERT_UEQ(v, 7);
	KAOS_ASSERT_EQ(kaos_u64ring_push(kaos_ipc_u64ring(sende), v), -KAOS_EFULL);
	t0 = kaos_now_ns();
	KAOS_ASSERT_EQ(kaos_ipc_send(sende, 0, &v, 8, &blk), -ETIMEDOUT);
	uint64_t took = kaos_now_ns() - t0;
	KAOS_ASSERT_GE(took, timeout);
	KAOS_ASSERT_LT(took, (uint64_t)(5 * SEC * slack()));
	/* KAOS_WAIT_BLOCK on a channel made without KAOS_IPC_BLOCKING */
	KAOS_ASSERT_EQ(kaos_ipc_receive(rp, one_fn, &o, 1, &blk), -EINVAL);
	atomic_store(&S->go, 1);
	finish(pa);
	finish(pb);
	finish(sc);
	finish(pp);
	finish(pd);
	finish(se);
	/* the peers closed: -EPIPE, not a timeout */
	KAOS_ASSERT_EQ(kaos_ipc_receive(ra, one_fn, &o, 1, &blk), -EPIPE);
	KAOS_ASSERT_EQ(kaos_ipc_receive(rb, one_fn, &o, 1, &blk), -EPIPE);
	KAOS_ASSERT_EQ(kaos_ipc_send(sendc, 0, &v, 8, &blk), -EPIPE);
	KAOS_ASSERT_EQ(kaos_ipc_receive(rd, one_fn, &o, 1, &blk), -EPIPE);
	KAOS_ASSERT_EQ(kaos_ipc_send(sende, 0, &v, 8, &blk), -EPIPE);
	kaos_ipc_close(ra);
	kaos_ipc_close(rb);
	kaos_ipc_close(sendc);
	kaos_ipc_close(rp);
	kaos_ipc_close(rd);
	kaos_ipc_close(sende);
}

/* ==== message ring filled exactly; concurrent creators; cleanup racing ============== */

static void
filler(const void *p)
{
	const struct kaos_ipc_config *cfg = p;
	struct kaos_ipc *ch = attach(cfg, true, "filler");
	unsigned char buf[24] = { 0 };
	uint64_t n = 0;
	for (;;) {
		memcpy(buf, &n, 8);
		int rc = kaos_ipc_send(ch, 1, buf, sizeof(buf), NULL);
		if (rc == -KAOS_EFULL)
			break;
		KAOS_ASSERT_OK(rc);
		n++;
	}
	atomic_store(&S->sent[0], n);
	kaos_ipc_close(ch);
}

struct collect {
	uint64_t w[1024];
	uint32_t n;
};

static void
collect_fn(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct collect *c = ctx;
	(void)type;
	if (c->n < 1024 && len >= 8)
		memcpy(&c->w[c->n], data, 8);
	c->n++;
}

static void
exact_reader(const void *p)
{
	const struct kaos_ipc_config *cfg = p;
	struct kaos_ipc *ch = attach(cfg, false, "reader");
	struct collect *c = calloc(1, sizeof(*c));
	KAOS_ASSERT(c);
	int64_t rc = kaos_ipc_receive(ch, collect_fn, c, 100, NULL);
	uint64_t sent = atomic_load(&S->sent[0]);
	if (rc != (int64_t)sent)
		KAOS_FAIL("a full %s ring of %" PRIu64 " records read with limit 100 delivered %"
			  PRId64 " (records %" PRIu64 ", %" PRIu64 ", ... again): the read does"
			  " not stop after one lap of the buffer", kind_tag(cfg->kind), sent, rc,
			  c->n > sent ? c->w[sent] : 0, c->n > sent + 1 ? c->w[sent + 1] : 0);
	for (uint32_t i = 0; i < c->n; i++)
		KAOS_ASSERT_UEQ(c->w[i], i);
	struct kaos_wait w = backoff(T_WAIT);
	KAOS_ASSERT_EQ(kaos_ipc_receive(ch, collect_fn, c, 100, &w), -EPIPE);
	free(c);
	kaos_ipc_close(ch);
}

static void
msg_ring_filled_exactly(void)
{
	for (int i = 0; i < 2; i++) {
		enum kaos_ipc_kind kind = i ? KAOS_IPC_MSG_MP : KAOS_IPC_MSG_SP;
		struct kaos_ipc_config cfg = config(chan_name(i, kind_tag(kind)), kind);
		cfg.capacity = 256; /* eight 32-byte records */
		reset_shared();
		finish(spawn("filler", filler, &cfg));
		KAOS_ASSERT_UEQ(atomic_load(&S->sent[0]), 8);
		finish(spawn("reader", exact_reader, &cfg));
	}
}

struct race_arg {
	struct kaos_ipc_config cfg;
	bool publisher;
	unsigned tag;
	uint64_t n;
	uint32_t expect_ready;
};

static void
racer(const void *p)
{
	const struct race_arg *a = p;
	uint64_t dl = kaos_now_ns() + 30 * SEC;
	while (!atomic_load(&S->go)) {
		if (kaos_now_ns() > dl)
			KAOS_FAIL("racer: no go");
		kaos_cpu_relax();
	}
	struct kaos_ipc *ch = attach(&a->cfg, a->publisher, a->publisher ? "racing producer"
									 : "racing subscriber");
	atomic_fetch_add(&S->ready, 1);
	struct kaos_wait w = backoff(T_WAIT);
	if (a->publisher) {
		while (atomic_load(&S->ready) < a->expect_ready) {
			if (kaos_now_ns() > dl)
				KAOS_FAIL("racing producer: the others did not attach");
			sched_yield();
		}
		for (uint64_t s = 0; s < a->n; s++)
			KAOS_ASSERT_OK(send_word(ch, (uint64_t)a->tag << 48 | s, &w));
	} else {
		struct rx r = rx_make("racing subscriber", a->cfg.kind, NULL);
		int64_t rc = rx_until_error(ch, &r, 64, &w);
		if (rc != -EPIPE || r.count != a->n)
			KAOS_FAIL("racing subscriber: %" PRIu64 " messages then %s, expected %"
				  PRIu64 " then EPIPE", r.count, kaos_err_name((int)rc), a->n);
		for (unsigned t = 0; t < NTAGS; t++)
			KAOS_ASSERT(r.next[t] == 0 || r.next[t] == a->n / (a->cfg.kind ==
					KAOS_IPC_MSG_MP ? 4 : 1));
	}
	kaos_ipc_close(ch);
}

/* Five processes attach to a fresh name at once, over and over: one
 * creates, the others wait for it; all get a working channel. */
static void
create_race(void)
{
	const uint64_t rounds = kaos_test_scaled(40, 10), m = 200;
	for (uint64_t r = 0; r < rounds; r++) {
		bool mp = r % 2;
		enum kaos_ipc_kind kind = mp ? KAOS_IPC_MSG_MP : KAOS_IPC_BCAST;
		struct race_arg ra[5];
		pid_t pids[5];
		atomic_store(&S->go, 0);
		atomic_store(&S->ready, 0);
		struct kaos_ipc_config cfg = config(chan_name(r % 4 >= 2, "race"), kind);
		cfg.max_producers = mp ? 4 : 0;
		for (int i = 0; i < 5; i++) {
			/* BCAST: 1 producer, 4 subscribers; MSG_MP: 4 producers, 1 subscriber */
			bool pub = mp ? i < 4 : i == 0;
			ra[i] = (struct race_arg){ .cfg = cfg, .publisher = pub, .tag = mp ? (unsigned)i : 0,
						   .n = mp ? (pub ? m : 4 * m) : m,
						   /* all attached before anyone sends: a
						    * producer not yet attached does not
						    * count, the others' close would end
						    * the stream */
						   .expect_ready = 5 };
			pids[i] = spawn(pub ? "racing producer" : "racing subscriber", racer, &ra[i]);
		}
		atomic_store(&S->go, 1);
		for (int i = 0; i < 5; i++)
			finish(pids[i]);
		KAOS_ASSERT_EQ(kaos_ipc_unlink(cfg.name), 0);
		nnames--; /* removed already */
	}
	printf("  %" PRIu64 " rounds of five concurrent attachers ok\n", rounds);
}

/* Attach, check that the name still leads to our channel, detach; over
 * and over while two other processes run kaos_ipc_cleanup on the name. */
static void
cleanup_attacher(const void *p)
{
	const struct race_arg *a = p;
	uint64_t bad = 0, first_bad = 0;
	int bad_rc = 0;
	pid_t me = getpid();
	for (uint64_t i = 0; i < a->n; i++) {
		struct kaos_ipc *ch = attach(&a->cfg, true, "attacher");
		struct kaos_ipc_info info;
		int rc = kaos_ipc_inspect(a->cfg.name, &info);
		if (rc < 0 || !info.producers[0].alive || info.producers[0].pid != me) {
			if (bad++ == 0) {
				first_bad = i;
				bad_rc = rc;
			}
		}
		kaos_ipc_close(ch);
	}
	atomic_store(&S->val[0], bad);
	atomic_store(&S->val[1], first_bad);
	atomic_store(&S->rc[0], bad_rc);
	atomic_store(&S->go, 1);
}

static void
cleaner(const void *p)
{
	const struct race_arg *a = p;
	uint64_t removed = 0, foreign = 0;
	while (!atomic_load(&S->go)) {
		int rc = kaos_ipc_cleanup(a->cfg.name);
		if (rc == 1)
			removed++;
		else if (rc == -KAOS_EFOREIGN)
			foreign++; /* only kaos channels live under this name */
		else if (rc != 0 && rc != -ENOENT)
			KAOS_FAIL("cleaner: cleanup: %s", kaos_err_name(rc));
	}
	atomic_fetch_add(&S->val[2], removed);
	atomic_fetch_add(&S->val[3], foreign);
}

static void
cleanup_never_removes_a_channel_in_use(void)
{
	struct race_arg a = { .cfg = config(chan_name(false, "cleanrace"), KAOS_IPC_SPSC),
			      .n = kaos_test_scaled(5000, 300) };
	pid_t c1 = spawn("cleaner", cleaner, &a);
	pid_t c2 = spawn("cleaner", cleaner, &a);
	pid_t y = spawn("attacher", cleanup_attacher, &a);
	finish(y);
	finish(c1);
	finish(c2);
	uint64_t bad = atomic_load(&S->val[0]), foreign = atomic_load(&S->val[3]);
	printf("  %" PRIu64 " attaches, %" PRIu64 " removals by the cleaners\n", a.n,
	       atomic_load(&S->val[2]));
	if (bad && foreign)
		fprintf(stderr, "also: %" PRIu64 " cleanups called a channel being created"
			" KAOS_EFOREIGN\n", foreign);
	if (foreign && !bad)
		KAOS_FAIL("%" PRIu64 " times kaos_ipc_cleanup returned KAOS_EFOREIGN for a kaos"
			  " channel a live process was creating (sized, header not yet"
			  " written); expected 0 (in use)", foreign);
	if (bad)
		KAOS_FAIL("%" PRIu64 " of %" PRIu64 " times (first at %" PRIu64 ") the channel"
			  " a live producer had just attached to was no longer under its name"
			  " (inspect: %s): kaos_ipc_cleanup removed a channel in use", bad, a.n,
			  atomic_load(&S->val[1]), kaos_err_name((int)atomic_load(&S->rc[0])));
}

/* ==== main ============================================================================ */

static const struct kaos_test_case cases[] = {
	KAOS_TEST(producer_killed_spsc),
	KAOS_TEST(producer_killed_msg_sp),
	KAOS_TEST(producer_killed_msg_mp),
	KAOS_TEST(producer_killed_bcast),
	KAOS_TEST(producer_killed_u64),
	KAOS_TEST(mp_stopped_claimer_kept_killed_claimer_unblocked),
	KAOS_TEST(mp_dead_claim_unblocked_after_its_slot_is_reused),
	KAOS_TEST(mp_claimer_killed_before_writing_its_header),
	KAOS_TEST(mp_claimer_stalled_before_its_header_keeps_its_space),
	KAOS_TEST(dead_sleeper_costs_no_wake_calls),
	KAOS_TEST(bcast_killed_subscriber_evicted),
	KAOS_TEST(spsc_killed_subscriber_successor_resumes),
	KAOS_TEST(u64_killed_subscriber_successor_resumes),
	KAOS_TEST(msg_sp_subscriber_killed_at_random_successor_resumes),
	KAOS_TEST(restart_producer_spsc),
	KAOS_TEST(restart_producer_msg_sp),
	KAOS_TEST(restart_producer_msg_sp_killed_in_claim),
	KAOS_TEST(restart_producer_bcast),
	KAOS_TEST(restart_producer_u64),
	KAOS_TEST(bcast_three_subscribers_one_late),
	KAOS_TEST(errors_busy),
	KAOS_TEST(errors_expectations_and_config),
	KAOS_TEST(errors_bad_files_shm),
	KAOS_TEST(errors_bad_files_path),
	KAOS_TEST(errors_bad_files_u64),
	KAOS_TEST(u64_inspect_of_an_inconsistent_ring_shows_its_head),
	KAOS_TEST(u64_inspect_while_busy),
	KAOS_TEST(spsc_inspect_while_busy),
	KAOS_TEST(errors_empty_file_times_out),
	KAOS_TEST(cleanup_removes_a_file_whose_creator_died_before_the_header),
	KAOS_TEST(file_modes),
	KAOS_TEST(cleanup_and_unlink),
	KAOS_TEST(unlink_while_attached),
	KAOS_TEST(blocking_ping_pong),
	KAOS_TEST(blocking_timeouts),
	KAOS_TEST(msg_ring_filled_exactly),
	KAOS_TEST(create_race),
	KAOS_TEST(cleanup_never_removes_a_channel_in_use),
	KAOS_TEST_END,
};

int
main(int argc, char **argv)
{
	return ipc_test_main(cases, argc, argv);
}
