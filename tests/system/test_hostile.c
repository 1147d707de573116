/* SPDX-License-Identifier: MIT */
/*
 * Shared memory is untrusted: another process may write anything into a
 * channel's file at any moment. The library promises that geometry is
 * read once, validated and kept private, that every index derived from a
 * shared word is bounded before use, and that a bad word is
 * -KAOS_ECORRUPT, never a crash, a hang or a write outside the ring. This
 * program holds it to that.
 *
 * Cases:
 *  - live_header_rewrite: a publisher and a subscriber stream on a channel
 *    of each kind while a third process rewrites random words of the live
 *    file (header, the ring's control block, u64 sequence words, broadcast
 *    positions) with random and boundary values; neither victim may crash,
 *    hang or return an undocumented code; u64 and MSG_SP must report the
 *    damage to a position; a CRC channel must never hand over a message
 *    that was not sent with a check word that says it is sound;
 *  - u64_damaged_sequence_word: a producer whose line's (or next line's)
 *    sequence word, or whose consumer's head, was damaged gets
 *    -KAOS_ECORRUPT and writes nothing; a consumer facing the same never
 *    reads past its line;
 *  - flags_must_match: a subscriber asking for CRC never attaches to a
 *    channel without it, also when a third party cleared the bit;
 *  - crc_padding_and_length_damage: one bit flipped in a padding's or a
 *    record's length stops a CRC ring for good (nothing stale, nothing
 *    more delivered, the damage reported); in a payload, the record is
 *    skipped, counted and reported once; 8-byte padding only at the end;
 *  - crc_stale_records_behind_a_damaged_tail: a single producer's tail
 *    damaged forward: the earlier laps' records met are never delivered
 *    (a check word covers its record's position), the damage reported;
 *  - mp_damaged_length_reported: the same damage (a length that reads as
 *    a claim) in a live MSG_MP channel reaches its subscriber as
 *    -KAOS_ECORRUPT instead of an endless wait;
 *  - mp_claim_damaged_tail: a multi-producer claim at a damaged (unaligned)
 *    tail stays inside the ring's memory;
 *  - inspect_fifo_and_others: the entry points on a FIFO, a directory and
 *    /dev/null return at once with an error, and cleanup removes nothing;
 *  - u64_restart_at_least_once: a u64 subscriber killed inside its handler
 *    leaves the value it was handling to its successor;
 *  - batch_claim_overflow: a staged length near SIZE_MAX or INT32_MAX is
 *    -KAOS_EFULL and stages nothing.
 *
 * Every case prints its seed; KAOS_TEST_SEED=N replays it (the live case
 * races real processes, so its replay repeats the damage, not the
 * interleaving; KAOS_HOSTILE_KIND=<tag> runs it on one kind only). Work
 * scales with KAOS_TEST_SCALE. A crash is a child that died of a signal
 * (or, under the sanitizers, exited after a report): the failure names
 * the signal and the seed.
 *
 *   test_hostile [--soak SECONDS] [case...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#include "ipc_proc.h"

/* ==== seeds, isolation, memory with a canary ============================== */

static uint64_t case_seed; /* printed by each case; in every failure message */

#define FAILS(fmt, ...) KAOS_FAIL(fmt " [seed %" PRIu64 "]", ##__VA_ARGS__, case_seed)

/* The case's seed: KAOS_TEST_SEED, else the clock. */
static uint64_t
seed_case(void)
{
	const char *e = getenv("KAOS_TEST_SEED");
	case_seed = e && *e ? strtoull(e, NULL, 0) : kaos_now_ns() ^ (uint64_t)getpid() << 32;
	printf("  seed %" PRIu64 " (KAOS_TEST_SEED)\n", case_seed);
	fflush(stdout);
	return case_seed;
}

/* A generator for one purpose, derived from the case's seed. */
static uint64_t
rng_for(uint64_t salt)
{
	uint64_t x = (case_seed ^ salt * 0x9E3779B97F4A7C15ull) | 1;
	kaos_test_rand(&x);
	return x;
}

static uint64_t
rand_below(uint64_t *rng, uint64_t n)
{
	return kaos_test_rand(rng) % n;
}

/* Exit codes of channel users that found something wrong (a failed
 * assertion aborts instead). */
#define EXIT_BAD_RC 2   /* an undocumented return code */
#define EXIT_BAD_DATA 3 /* a message outside the ring, or not one sent */
#define EXIT_HUNG 4     /* one call took far longer than its timeout */
#define EXIT_ATTACH 5   /* could not attach */
#define EXIT_STUCK 6    /* a handshake with the attacker timed out */

static const char *
exit_meaning(int code)
{
	switch (code) {
	case 1: return "a sanitizer report, if one is printed above";
	case EXIT_BAD_RC: return "an undocumented return code";
	case EXIT_BAD_DATA: return "a message outside the ring, or one never sent";
	case EXIT_HUNG: return "a call that did not return in time";
	case EXIT_ATTACH: return "attach failed";
	case EXIT_STUCK: return "a handshake timed out";
	}
	return "see above";
}

/* @p pid (running @p what) must have exited 0: a signal is a crash (or a
 * hang, if it was the watchdog's). */
static void
expect_clean_exit(pid_t pid, const char *what, double secs)
{
	int st = reap_opt(pid, secs * slack(), false);
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		FAILS("%s: %s (signal %d, %s)", what,
		      sig == SIGALRM ? "hung: its watchdog fired"
		      : sig == SIGABRT ? "an assertion failed (see above)"
				       : "crashed",
		      sig, strsignal(sig));
	}
	if (WEXITSTATUS(st) != 0)
		FAILS("%s: exit %d (%s)", what, WEXITSTATUS(st), exit_meaning(WEXITSTATUS(st)));
}

/* Run fn(arg) in a child with a watchdog, so that a crash is reported as
 * one, with what was being done. */
static void
isolated(const char *what, void (*fn)(const void *), const void *arg)
{
	pid_t pid = spawn(what, fn, arg);
	expect_clean_exit(pid, what, 60);
}

/* Ring memory in the caller's heap, followed by a canary: a write past
 * the ring shows there (and under ASan, as a heap overflow). */
#define CANARY_LEN 64
#define CANARY_BYTE 0xA5

static unsigned char *
alloc_guarded(size_t size)
{
	unsigned char *mem = aligned_alloc(KAOS_CACHELINE, size + CANARY_LEN);
	KAOS_ASSERT(mem);
	memset(mem + size, CANARY_BYTE, CANARY_LEN);
	return mem;
}

static void
expect_canary(const unsigned char *mem, size_t size, const char *what)
{
	for (size_t i = 0; i < CANARY_LEN; i++)
		if (mem[size + i] != CANARY_BYTE)
			FAILS("%s: wrote outside the ring's memory (byte %zu past its end is %#x)",
			      what, i, mem[size + i]);
}

/* File offsets of the ring's parts (docs/ipc-format.md §5). */
#define HEADER_LEN 4096u
#define CTL_LEN sizeof(struct kaos__ring_ctl)
#define CTL_WORD(field) (HEADER_LEN + offsetof(struct kaos__ring_ctl, field))
#define RING_BODY (HEADER_LEN + CTL_LEN) /* lines, entries or the buffer */

/* A control block word of a ring laid out at @p mem (caller memory). */
#define RING_CTL(mem, field)                                                      \
	((_Atomic uint64_t *)(void *)((unsigned char *)(mem) +                   \
				      offsetof(struct kaos__ring_ctl, field)))

/* ==== 1. live_header_rewrite ============================================== */

struct live_kind {
	const char *tag;
	enum kaos_ipc_kind kind;
	uint32_t flags;
	uint64_t capacity;
	uint32_t slot_size;
	/* A damaged position is reported (u64: head or a sequence word past
	 * its line; MSG_SP: a tail more than a ring ahead). */
	bool detects_positions;
};

static const struct live_kind live_kinds[] = {
	{ "spsc", KAOS_IPC_SPSC, 0, 64, 8, false },
	{ "spsc-blocking", KAOS_IPC_SPSC, KAOS_IPC_BLOCKING, 64, 8, false },
	{ "u64", KAOS_IPC_U64, 0, 63, 8, true },
	{ "u64-blocking", KAOS_IPC_U64, KAOS_IPC_BLOCKING, 63, 8, true },
	{ "msg-sp", KAOS_IPC_MSG_SP, 0, 4096, 0, true },
	{ "msg-sp-crc", KAOS_IPC_MSG_SP, KAOS_IPC_CRC, 4096, 0, true },
	{ "msg-mp", KAOS_IPC_MSG_MP, 0, 4096, 0, false },
	{ "msg-mp-crc", KAOS_IPC_MSG_MP, KAOS_IPC_CRC | KAOS_IPC_BLOCKING, 4096, 0, false },
	{ "bcast", KAOS_IPC_BCAST, 0, 64, 8, false },
};
#define NLIVE (sizeof(live_kinds) / sizeof(live_kinds[0]))

enum { PUB, SUB };

/* What the victims and the attacker of one round share. */
struct live_board {
	_Atomic uint32_t attached;
	_Atomic uint32_t stop;
	_Atomic uint32_t pause_pub;  /* the final strike wants the publisher still */
	_Atomic uint32_t pub_paused;
	_Atomic uint64_t calls[2];   /* PUB, SUB */
	_Atomic uint64_t corrupt[2]; /* of them, -KAOS_ECORRUPT */
	_Atomic uint64_t strike_corrupt; /* ... after the final strike */
	_Atomic uint64_t delivered;
	_Atomic uint64_t stale;      /* messages out of sequence */
	_Atomic uint64_t forged;     /* messages never sent, as handed over */
	_Atomic uint64_t forged_sealed; /* ... CRC kinds: with a sound check word */
	_Atomic uint64_t attacks;
};
static struct live_board *board;

struct live_run {
	const struct live_kind *k;
	const char *name;
	uint64_t seed;
	uint64_t attacks;
};

static bool
fixed_slots(enum kaos_ipc_kind k)
{
	return k == KAOS_IPC_SPSC || k == KAOS_IPC_BCAST || k == KAOS_IPC_U64;
}

static struct kaos_ipc_config
live_config(const struct live_run *r)
{
	return (struct kaos_ipc_config){
		.name = r->name,
		.kind = r->k->kind,
		.capacity = r->k->capacity,
		.slot_size = r->k->slot_size,
		.flags = r->k->flags,
		.max_producers = r->k->kind == KAOS_IPC_MSG_MP ? 2 : 0,
		.max_subscribers = r->k->kind == KAOS_IPC_BCAST ? 2 : 0,
		.liveness_ns = 20 * MS,
		.unblock_ns = 50 * MS,
		.open_timeout_ns = 5 * SEC,
	};
}

/* Messages: the first 8 bytes are the sequence number; message kinds add
 * 0..63 bytes and a type derived from it, so a receiver can tell a
 * message that was sent from anything else. */
#define LIVE_MSG_MAX 72

static size_t
live_len(uint64_t seq)
{
	return 8 + (size_t)((seq * 0x9E3779B97F4A7C15ull) >> 58);
}

static uint32_t
live_type(uint64_t seq)
{
	return (uint32_t)(seq % 997);
}

static unsigned char
live_byte(uint64_t seq, size_t j)
{
	return (unsigned char)(seq * 131u + j * 7u);
}

static size_t
live_message(const struct live_kind *k, uint64_t seq, unsigned char *buf)
{
	memcpy(buf, &seq, 8);
	if (fixed_slots(k->kind))
		return 8;
	size_t len = live_len(seq);
	for (size_t j = 8; j < len; j++)
		buf[j] = live_byte(seq, j);
	return len;
}

static bool
live_genuine(uint32_t type, const unsigned char *data, size_t len)
{
	uint64_t seq;
	if (len < 8)
		return false;
	memcpy(&seq, data, 8);
	if (len != live_len(seq) || type != live_type(seq))
		return false;
	for (size_t j = 8; j < len; j++)
		if (data[j] != live_byte(seq, j))
			return false;
	return true;
}

/* A per-call bound far above every timeout the victims use: more is a
 * hang. */
#define LIVE_CALL_NS (3 * SEC)
#define LIVE_WATCHDOG_S 120

static struct kaos_wait
live_wait(const struct live_kind *k)
{
	return (struct kaos_wait){
		.kind = (k->flags & KAOS_IPC_BLOCKING) ? KAOS_WAIT_BLOCK : KAOS_WAIT_BACKOFF,
		.timeout_ns = 20 * MS,
		.max_sleep_ns = 200 * 1000,
	};
}

/* A victim's verdict on one call's result and duration. */
static void
live_check_call(const struct live_run *r, int side, int64_t rc, uint64_t t0)
{
	uint64_t took = kaos_now_ns() - t0;
	const char *who = side == PUB ? "publisher" : "subscriber";
	atomic_fetch_add(&board->calls[side], 1);
	if (took > (uint64_t)(LIVE_CALL_NS * slack())) {
		fprintf(stderr, "%s (%s): a call took %.1f s [seed %" PRIu64 "]\n", who,
			r->k->tag, (double)took / 1e9, r->seed);
		_exit(EXIT_HUNG);
	}
	if (rc >= 0 && (side == SUB || rc == 0))
		return;
	switch (rc) {
	case -KAOS_ECORRUPT:
		atomic_fetch_add(&board->corrupt[side], 1);
		return;
	case -KAOS_EPEERDEAD:
	case -EPIPE:
	case -ETIMEDOUT:
		return;
	case -KAOS_EFULL: /* how NULL */
	case -KAOS_ETOOBIG:
		if (side == PUB)
			return;
		break;
	}
	fprintf(stderr, "%s (%s): returned %" PRId64 " (%s) [seed %" PRIu64 "]\n", who, r->k->tag,
		rc, kaos_strerror((int)rc), r->seed);
	_exit(EXIT_BAD_RC);
}

static struct kaos_ipc *
live_attach(const struct live_run *r, bool publisher)
{
	struct kaos_ipc_config cfg = live_config(r);
	struct kaos_ipc *ch = NULL;
	int rc = publisher ? kaos_ipc_publish(&cfg, &ch) : kaos_ipc_subscribe(&cfg, &ch);
	if (rc < 0) {
		fprintf(stderr, "%s: attach: %s\n", r->k->tag, kaos_strerror(rc));
		_exit(EXIT_ATTACH);
	}
	atomic_fetch_add(&board->attached, 1);
	return ch;
}

static void
live_publisher(const void *arg)
{
	const struct live_run *r = arg;
	alarm(LIVE_WATCHDOG_S);
	struct kaos_ipc *ch = live_attach(r, true);
	struct kaos_wait how = live_wait(r->k);
	unsigned char buf[LIVE_MSG_MAX];
	uint64_t seq = 0;
	for (uint64_t i = 0; !atomic_load(&board->stop); i++) {
		if (atomic_load(&board->pause_pub)) {
			atomic_store(&board->pub_paused, 1);
			sleep_ns(MS / 4);
			continue;
		}
		atomic_store(&board->pub_paused, 0);
		size_t len = live_message(r->k, seq, buf);
		uint32_t type = fixed_slots(r->k->kind) ? 0 : live_type(seq);
		uint64_t t0 = kaos_now_ns();
		/* Now and then without waiting: the other path. */
		int rc = kaos_ipc_send(ch, type, buf, len, i % 4 ? &how : NULL);
		live_check_call(r, PUB, rc, t0);
		if (rc == 0)
			seq++;
	}
	kaos_ipc_close(ch);
}

/* A CRC channel's record, from its header at @p rec: is its check word
 * right for its header and @p len payload bytes (docs/ipc-format.md §5.2)? */
static bool
live_sealed(const unsigned char *rec, size_t len)
{
	uint64_t header, check;
	memcpy(&header, rec, 8);
	memcpy(&check, rec + 8, 8);
	uint32_t crc = kaos_crc32c(kaos_crc32c(0, rec, 8), rec + 16, len);
	return (uint32_t)header == len + 16 && check == ((uint64_t)(len + 16) << 32 | crc);
}

/* The subscriber's view of what it is handed. */
struct live_sink {
	const struct live_kind *k;
	size_t prefix; /* bytes before a payload: header (and check word) */
	const unsigned char *lo, *hi; /* message kinds: the ring's buffer */
	uint64_t next;
	uint64_t touched; /* every byte handed over is read */
	uint64_t seed;
};

static void
live_handler(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct live_sink *s = ctx;
	const unsigned char *p = data;
	if (s->lo && (p < s->lo + s->prefix || p > s->hi || len > (size_t)(s->hi - p))) {
		fprintf(stderr, "%s: handed %zu bytes at %p, outside the buffer [%p, %p) "
			"[seed %" PRIu64 "]\n", s->k->tag, len, data, (const void *)s->lo,
			(const void *)s->hi, s->seed);
		_exit(EXIT_BAD_DATA);
	}
	/* CRC kinds: judge the record as it was at this moment, header and
	 * check word included (the library checked it a moment before). */
	unsigned char snap[16 + 4096 / 8];
	bool crc = s->k->flags & KAOS_IPC_CRC;
	if (crc && len + 16 <= sizeof(snap)) {
		memcpy(snap, p - 16, len + 16);
		p = snap + 16;
	}
	for (size_t j = 0; j < len; j++) /* a bad pointer or length faults here */
		s->touched += p[j];
	atomic_fetch_add_explicit(&board->delivered, 1, memory_order_relaxed);
	uint64_t seq = 0;
	if (len >= 8)
		memcpy(&seq, p, 8);
	if (seq != s->next)
		atomic_fetch_add_explicit(&board->stale, 1, memory_order_relaxed);
	s->next = seq + 1;
	if (!fixed_slots(s->k->kind) && !live_genuine(type, p, len)) {
		atomic_fetch_add_explicit(&board->forged, 1, memory_order_relaxed);
		if (crc && p == snap + 16 && live_sealed(snap, len) &&
		    atomic_fetch_add(&board->forged_sealed, 1) == 0) {
			/* The first one, for whoever debugs it: which bytes. */
			fprintf(stderr, "%s: a record never sent, with a sound check word, at "
				"buffer index %td:", s->k->tag,
				(const unsigned char *)data - s->lo - 16);
			for (size_t j = 0; j < len + 16; j++)
				fprintf(stderr, "%s%02x", j % 8 ? "" : " ", snap[j]);
			fprintf(stderr, " [seed %" PRIu64 "]\n", s->seed);
		}
	}
}

static void
live_subscriber(const void *arg)
{
	const struct live_run *r = arg;
	alarm(LIVE_WATCHDOG_S);
	struct kaos_ipc *ch = live_attach(r, false);
	struct live_sink sink = { .k = r->k, .seed = r->seed };
	struct kaos_msgring *mr = kaos_ipc_msgring(ch);
	if (mr) { /* (peeking at the handle: where its buffer is) */
		sink.prefix = (r->k->flags & KAOS_IPC_CRC) ? 16 : 8;
		sink.lo = mr->ro.buf;
		sink.hi = mr->ro.buf + kaos_msgring_capacity(mr);
	}
	struct kaos_wait how = live_wait(r->k);
	for (uint64_t i = 0; !atomic_load(&board->stop); i++) {
		uint64_t t0 = kaos_now_ns();
		int64_t n = kaos_ipc_receive(ch, live_handler, &sink, 16, i % 4 ? &how : NULL);
		live_check_call(r, SUB, n, t0);
		if (n == -KAOS_ECORRUPT && atomic_load(&board->pause_pub))
			atomic_fetch_add(&board->strike_corrupt, 1);
	}
	kaos_ipc_close(ch);
}

/* ---- the attacker ---- */

/* Where the attacker writes: the words of the control block that mean
 * something, and the kind's per-line or per-subscriber position words. */
struct live_targets {
	size_t named[16];
	unsigned nnamed;
	size_t rows, row_len, nrows; /* first row word, stride, count */
	uint64_t capacity, lap;      /* for values near the positions */
};

static struct live_targets
live_targets(const struct live_kind *k)
{
	struct live_targets t = { .capacity = k->capacity, .lap = k->capacity };
	const size_t named[] = {
		CTL_WORD(tail), CTL_WORD(tail_limit), CTL_WORD(head), CTL_WORD(read),
		CTL_WORD(unblocked), CTL_WORD(corrupt), CTL_WORD(data.seq), CTL_WORD(data.waiters),
		CTL_WORD(space.seq), CTL_WORD(space.waiters), CTL_WORD(full),
	};
	memcpy(t.named, named, sizeof(named));
	t.nnamed = sizeof(named) / sizeof(named[0]);
	if (k->kind == KAOS_IPC_U64) {
		t.rows = RING_BODY;
		t.row_len = sizeof(struct kaos_u64ring_line);
		t.nrows = KAOS_U64RING_LINES(k->capacity);
		t.lap = KAOS_U64RING_PER_LINE * t.nrows;
	} else if (k->kind == KAOS_IPC_BCAST) {
		t.rows = RING_BODY;
		t.row_len = sizeof(struct kaos_bcast_entry);
		t.nrows = 2;
	}
	return t;
}

/* A word to damage: the control block's words and the position rows most
 * often, then anything in the header (identity, counters, peer entries). */
static size_t
pick_target(const struct live_targets *t, uint64_t *rng)
{
	uint64_t r = rand_below(rng, 100);
	if (r < 35 || (r < 60 && !t->nrows))
		return t->named[rand_below(rng, t->nnamed)];
	if (r < 45)
		return HEADER_LEN + 8 * rand_below(rng, CTL_LEN / 8);
	if (r < 60)
		return t->rows + t->row_len * rand_below(rng, t->nrows);
	if (r < 80)
		return 8 * rand_below(rng, 256 / 8);
	return 256 + 8 * rand_below(rng, (HEADER_LEN - 256) / 8);
}

/* Random and boundary values: 0, 1, the extremes, near the word's value or
 * near a position of the other side, a ring or a lap away, one bit off. */
static uint64_t
hostile_value(uint64_t *rng, uint64_t cur, uint64_t other, const struct live_targets *t)
{
	uint64_t r = kaos_test_rand(rng);
	uint64_t near = (uint64_t)((int64_t)(r >> 40) % 17 - 8);
	switch ((r >> 8) % 13) {
	case 0: return kaos_test_rand(rng);
	case 1: return 0;
	case 2: return 1;
	case 3: return UINT64_MAX;
	case 4: return (uint64_t)INT64_MAX + (r & 1); /* both sides of the sign */
	case 5: return cur + near;
	case 6: return other + near;
	case 7: return cur + t->capacity + near;
	case 8: return cur - t->capacity + near;
	case 9: return cur + t->lap * (1 + (r & 1));
	case 10: return cur ^ UINT64_C(1) << (r >> 58);
	case 11: return cur - cur % KAOS_U64RING_PER_LINE + 7 + (r & 3); /* past a line */
	default: return other + t->capacity + near;
	}
}

static _Atomic uint64_t *
word_at(unsigned char *map, size_t off)
{
	return (_Atomic uint64_t *)(void *)(map + off);
}

/* After the random phase, one damage the library promises to detect, with
 * the publisher held still so that it does not write over it: u64, head
 * far past everything published; MSG_SP, tail two rings ahead. */
static void
final_strike(const struct live_run *r, unsigned char *map)
{
	atomic_store(&board->pause_pub, 1);
	uint64_t deadline = kaos_now_ns() + (uint64_t)(10 * SEC * slack());
	while (!atomic_load(&board->pub_paused)) {
		if (kaos_now_ns() > deadline) {
			fprintf(stderr, "%s: the publisher never paused\n", r->k->tag);
			_exit(EXIT_STUCK);
		}
		sleep_ns(MS / 4);
	}
	if (r->k->kind == KAOS_IPC_U64) {
		_Atomic uint64_t *head = word_at(map, CTL_WORD(head));
		atomic_store(head, atomic_load(head) + 3 * r->k->capacity + 3);
	} else {
		_Atomic uint64_t *tail = word_at(map, CTL_WORD(tail));
		atomic_store(tail, atomic_load(tail) + 2 * r->k->capacity + 8);
	}
	deadline = kaos_now_ns() + (uint64_t)(2 * SEC * slack());
	while (!atomic_load(&board->strike_corrupt) && kaos_now_ns() < deadline)
		sleep_ns(MS / 4);
	atomic_store(&board->pause_pub, 0);
}

static void
live_attacker(const void *arg)
{
	const struct live_run *r = arg;
	alarm(LIVE_WATCHDOG_S);
	int fd = raw_open(r->name, O_RDWR, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		FAILS("attacker: open %s: %s", r->name, strerror(errno));
	size_t len = (size_t)st.st_size;
	unsigned char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		FAILS("attacker: mmap: %s", strerror(errno));
	struct live_targets t = live_targets(r->k);
	uint64_t rng = r->seed | 1;
	for (uint64_t i = 0; i < r->attacks; i++) {
		size_t off = pick_target(&t, &rng);
		_Atomic uint64_t *w = word_at(map, off);
		bool on_tail = off == CTL_WORD(tail);
		uint64_t old = atomic_load_explicit(w, memory_order_relaxed);
		uint64_t other = atomic_load_explicit(word_at(map, on_tail ? CTL_WORD(head)
									   : CTL_WORD(tail)),
						      memory_order_relaxed);
		atomic_store_explicit(w, hostile_value(&rng, old, other, &t), memory_order_relaxed);
		atomic_fetch_add(&board->attacks, 1);
		uint64_t r2 = kaos_test_rand(&rng);
		if (r2 % 4) /* mostly a pause, else a burst */
			sleep_ns(r2 % 100 * 1000);
		if ((r2 >> 8) % 2) /* half of the damage is transient */
			atomic_store_explicit(w, old, memory_order_relaxed);
	}
	if (r->k->detects_positions)
		final_strike(r, map);
	munmap(map, len);
	close(fd);
}

struct live_totals {
	uint64_t attacks, calls, corrupt, strike_corrupt, delivered, stale, forged, forged_sealed;
};

static void
live_round(const struct live_kind *k, const char *name, unsigned round, uint64_t attacks,
	   struct live_totals *tot)
{
	memset((void *)board, 0, sizeof(*board));
	struct live_run r = {
		.k = k,
		.name = name,
		.seed = rng_for((uint64_t)(k - live_kinds) << 32 | round),
		.attacks = attacks,
	};
	char what[3][64];
	snprintf(what[SUB], sizeof(what[SUB]), "%s subscriber (round %u)", k->tag, round);
	snprintf(what[PUB], sizeof(what[PUB]), "%s publisher (round %u)", k->tag, round);
	snprintf(what[2], sizeof(what[2]), "%s attacker (round %u)", k->tag, round);
	pid_t sub = spawn(what[SUB], live_subscriber, &r);
	pid_t pub = spawn(what[PUB], live_publisher, &r);
	/* The stream flows before the damage starts. */
	WAIT_UNTIL(atomic_load(&board->delivered) >= 16, 10);
	pid_t att = spawn(what[2], live_attacker, &r);
	expect_clean_exit(att, what[2], 60);
	sleep_ns(20 * MS); /* the victims live a little with the last damage */
	atomic_store(&board->stop, 1);
	expect_clean_exit(pub, what[PUB], 20);
	expect_clean_exit(sub, what[SUB], 20);
	kaos_ipc_unlink(r.name);
	tot->attacks += board->attacks;
	tot->calls += board->calls[PUB] + board->calls[SUB];
	tot->corrupt += board->corrupt[PUB] + board->corrupt[SUB];
	tot->strike_corrupt += board->strike_corrupt;
	tot->delivered += board->delivered;
	tot->stale += board->stale;
	tot->forged += board->forged;
	tot->forged_sealed += board->forged_sealed;
}

static void
live_header_rewrite(void)
{
	seed_case();
	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	KAOS_ASSERT(board != MAP_FAILED);
	unsigned rounds = (unsigned)kaos_test_scaled(6, 2);
	uint64_t attacks = kaos_test_scaled(1000, 150);
	const char *only = getenv("KAOS_HOSTILE_KIND");
	for (size_t i = 0; i < NLIVE; i++) {
		const struct live_kind *k = &live_kinds[i];
		if (only && *only && strcmp(only, k->tag))
			continue;
		struct live_totals tot = { 0 };
		const char *name = chan_name(false, k->tag); /* a new channel each round */
		for (unsigned round = 0; round < rounds; round++)
			live_round(k, name, round, attacks, &tot);
		printf("  %-14s %6" PRIu64 " words damaged, %7" PRIu64 " calls, %5" PRIu64
		       " ECORRUPT (%" PRIu64 " after the final strike), %7" PRIu64
		       " delivered, %5" PRIu64 " out of sequence, %" PRIu64 " not sent\n",
		       k->tag, tot.attacks, tot.calls, tot.corrupt, tot.strike_corrupt,
		       tot.delivered, tot.stale, tot.forged);
		if (k->flags & KAOS_IPC_CRC)
			printf("  %-14s of those not sent, %" PRIu64 " still carried a sound check "
			       "word when handed over (the others changed after the check: a "
			       "producer let into unread space writes over it)\n",
			       "", tot.forged_sealed);
		fflush(stdout);
		if (k->detects_positions && tot.corrupt == 0)
			FAILS("%s: %" PRIu64 " damaged words, the last a position the ring "
			      "promises to check, and no call reported -KAOS_ECORRUPT", k->tag,
			      tot.attacks);
		/* In place, a record can change after its check (damaged positions
		 * let the producer write over unread space): only a record whose
		 * check word was still sound when it was handed over, yet was
		 * never sent, is damage the CRC let through. */
		if ((k->flags & KAOS_IPC_CRC) && tot.forged_sealed)
			FAILS("%s: a CRC channel handed over %" PRIu64 " messages that were never "
			      "sent, with sound check words", k->tag, tot.forged_sealed);
	}
	munmap((void *)board, sizeof(*board));
}

/* ==== 2. u64_damaged_sequence_word ======================================== */

#define U64_CAP 21 /* three lines of values, four lines with the spare */
#define U64_LINES KAOS_U64RING_LINES(U64_CAP)
#define U64_LAP (KAOS_U64RING_PER_LINE * U64_LINES)

struct u64_fixture {
	unsigned char *mem;
	size_t size;
	struct kaos_u64ring ring;
};

static void
u64_setup(struct u64_fixture *f)
{
	KAOS_ASSERT_OK(kaos_u64ring_memsize(U64_CAP, &f->size));
	f->mem = alloc_guarded(f->size);
	KAOS_ASSERT_OK(kaos_u64ring_init(&f->ring, f->mem, f->size, U64_CAP));
}

/* The line holding position @p pos (docs/ipc-format.md §5.4). */
static struct kaos_u64ring_line *
u64_line(struct u64_fixture *f, uint64_t pos)
{
	return (struct kaos_u64ring_line *)(void *)(f->mem + CTL_LEN) +
	       pos / KAOS_U64RING_PER_LINE % U64_LINES;
}

static _Atomic uint64_t *
u64_head(struct u64_fixture *f)
{
	return RING_CTL(f->mem, head);
}

/* Value @p pos carries. */
static uint64_t
u64_value(uint64_t pos)
{
	return 0xC0DE000000000000ull | pos;
}

static void
u64_push_n(struct u64_fixture *f, uint64_t from, uint64_t n)
{
	for (uint64_t p = from; p < from + n; p++)
		KAOS_ASSERT_EQ(kaos_u64ring_push(&f->ring, u64_value(p)), 0);
}

static void
u64_pop_n(struct u64_fixture *f, uint64_t from, uint64_t n)
{
	for (uint64_t p = from; p < from + n; p++) {
		uint64_t v = 0;
		KAOS_ASSERT_EQ(kaos_u64ring_pop(&f->ring, &v), 0);
		if (v != u64_value(p))
			FAILS("popped %#" PRIx64 ", expected %#" PRIx64, v, u64_value(p));
	}
}

/* The ring's memory must be as @p before: a refused push writes nothing. */
static void
u64_expect_unchanged(struct u64_fixture *f, const unsigned char *before, const char *what)
{
	for (size_t i = 0; i < f->size; i += 8)
		if (memcmp(f->mem + i, before + i, 8))
			FAILS("%s: the word at ring offset %zu changed", what, i);
	expect_canary(f->mem, f->size, what);
}

/* Values the producer's line's sequence word can never hold, for a line
 * starting at @p start. */
static uint64_t
u64_bad_seq(unsigned i, uint64_t start)
{
	const uint64_t bad[] = { start + 7, start + 9, UINT64_MAX, start + U64_LAP + 3,
				 start + U64_LAP, (uint64_t)INT64_MIN };
	return bad[i];
}
#define U64_NBAD 6

struct u64_damage {
	unsigned bad; /* index into u64_bad_seq */
	bool next_line;
};

/* The producer at position 10 (line 1, values 7..13, three published in
 * it); its line's, or the next line's, sequence word damaged. */
static void
u64_seq_scenario(const void *arg)
{
	const struct u64_damage *d = arg;
	struct u64_fixture f;
	u64_setup(&f);
	u64_push_n(&f, 0, 10);
	u64_pop_n(&f, 0, 4);
	uint64_t line_start = d->next_line ? 14 : 7;
	_Atomic uint64_t *seq = &u64_line(&f, line_start)->seq;
	uint64_t bad = u64_bad_seq(d->bad, line_start);
	atomic_store(seq, bad);
	if (d->next_line) /* the producer finishes its line, then meets it */
		u64_push_n(&f, 10, 4);
	unsigned char *before = malloc(f.size);
	KAOS_ASSERT(before);
	memcpy(before, f.mem, f.size);
	for (int tries = 0; tries < 3; tries++) {
		int rc = kaos_u64ring_push(&f.ring, 0xBAD);
		if (rc != -KAOS_ECORRUPT)
			FAILS("push over a %s sequence word of %#" PRIx64
			      " (line starts at %" PRIu64 "): %d (%s), expected -KAOS_ECORRUPT",
			      d->next_line ? "next line's" : "line's", bad, line_start, rc,
			      kaos_strerror(rc));
	}
	u64_expect_unchanged(&f, before, "push over a damaged sequence word");
	/* Repaired, the producer carries on where it was. */
	uint64_t pos = d->next_line ? 14 : 10;
	atomic_store(seq, d->next_line ? 0 : pos);
	u64_push_n(&f, pos, 1);
	u64_pop_n(&f, 4, pos + 1 - 4);
	expect_canary(f.mem, f.size, "after the repair");
	free(before);
	free(f.mem);
}

/* The consumer has read everything; its line's sequence word is damaged
 * past the line: nothing to read, never a read beyond the line. */
static void
u64_consumer_seq_scenario(const void *arg)
{
	const struct u64_damage *d = arg;
	struct u64_fixture f;
	u64_setup(&f);
	u64_push_n(&f, 0, 10);
	u64_pop_n(&f, 0, 10);
	uint64_t bad = u64_bad_seq(d->bad, 7);
	atomic_store(&u64_line(&f, 7)->seq, bad);
	uint64_t v = 0x5EED;
	int rc = kaos_u64ring_pop(&f.ring, &v);
	if (rc != -KAOS_EEMPTY || v != 0x5EED)
		FAILS("pop with its line's sequence word at %#" PRIx64 ": %d (%s), value %#" PRIx64
		      "; expected -KAOS_EEMPTY and nothing read", bad, rc, kaos_strerror(rc), v);
	KAOS_ASSERT_UEQ(atomic_load(u64_head(&f)), 10);
	free(f.mem);
}

static int
u64_count(uint64_t value, uint64_t seq, void *ctx)
{
	(void)value;
	(void)seq;
	++*(uint64_t *)ctx;
	return 0;
}

/* A consumer whose head was moved: pop and poll -KAOS_ECORRUPT, nothing
 * handed over, head left as it is. */
static void
u64_consumer_head_scenario(const void *arg)
{
	const uint64_t *bad_head = arg;
	struct u64_fixture f;
	u64_setup(&f);
	u64_push_n(&f, 0, 10);
	u64_pop_n(&f, 0, 4);
	atomic_store(u64_head(&f), *bad_head);
	uint64_t v = 0x5EED, handled = 0;
	int rc = kaos_u64ring_pop(&f.ring, &v);
	if (rc != -KAOS_ECORRUPT || v != 0x5EED)
		FAILS("pop at head %" PRIu64 " (really 4, 10 published): %d (%s), expected "
		      "-KAOS_ECORRUPT", *bad_head, rc, kaos_strerror(rc));
	int64_t n = kaos_u64ring_poll(&f.ring, u64_count, &handled, 100);
	if (n != -KAOS_ECORRUPT || handled)
		FAILS("poll at head %" PRIu64 ": %" PRId64 " (%" PRIu64 " handled), expected "
		      "-KAOS_ECORRUPT", *bad_head, n, handled);
	KAOS_ASSERT_UEQ(atomic_load(u64_head(&f)), *bad_head);
	expect_canary(f.mem, f.size, "consumer at a damaged head");
	free(f.mem);
}

/* A producer whose consumer's head was moved past what it published: once
 * it looks at head (when its cached limit runs out), -KAOS_ECORRUPT, and
 * never -KAOS_EFULL. @p ahead: how far past the producer's position. */
static void
u64_producer_head_scenario(const void *arg)
{
	const uint64_t *ahead = arg;
	struct u64_fixture f;
	u64_setup(&f);
	u64_push_n(&f, 0, 10);
	u64_pop_n(&f, 0, 4);
	uint64_t pos = 10;
	if (*ahead == 1) { /* at its limit first: the very next push looks */
		while (kaos_u64ring_push(&f.ring, u64_value(pos)) == 0)
			pos++;
		KAOS_ASSERT_UEQ(pos, 4 + U64_CAP);
	}
	atomic_store(u64_head(&f), pos + *ahead);
	int rc = 0;
	uint64_t pushes = 0;
	while (pushes <= U64_CAP && (rc = kaos_u64ring_push(&f.ring, u64_value(pos))) == 0) {
		pos++;
		pushes++;
	}
	if (rc != -KAOS_ECORRUPT)
		FAILS("head moved %" PRIu64 " past the producer: after %" PRIu64
		      " pushes, %d (%s), expected -KAOS_ECORRUPT", *ahead, pushes, rc,
		      kaos_strerror(rc));
	expect_canary(f.mem, f.size, "producer at a damaged head");
	free(f.mem);
}

/* Attaching to lines whose words are out of range is refused. */
static void
u64_attach_scenario(const void *arg)
{
	(void)arg;
	struct u64_fixture f;
	u64_setup(&f);
	u64_push_n(&f, 0, 10);
	atomic_store(&u64_line(&f, 7)->seq, UINT64_MAX);
	struct kaos_u64ring again;
	int rc = kaos_u64ring_attach(&again, f.mem, f.size, U64_CAP);
	if (rc != -KAOS_ECORRUPT)
		FAILS("attach over a sequence word of UINT64_MAX: %d (%s), expected -KAOS_ECORRUPT",
		      rc, kaos_strerror(rc));
	free(f.mem);
}

static void
u64_damaged_sequence_word(void)
{
	seed_case();
	char what[128];
	for (unsigned bad = 0; bad < U64_NBAD; bad++) {
		for (int next = 0; next < 2; next++) {
			struct u64_damage d = { bad, next };
			snprintf(what, sizeof(what), "push, %s sequence word bad #%u",
				 next ? "next line's" : "line's", bad);
			isolated(what, u64_seq_scenario, &d);
		}
		if (u64_bad_seq(bad, 0) == 7)
			continue; /* (to the consumer, a complete line) */
		struct u64_damage d = { bad, false };
		snprintf(what, sizeof(what), "pop, its line's sequence word bad #%u", bad);
		isolated(what, u64_consumer_seq_scenario, &d);
	}
	const uint64_t heads[] = { 11, 5 + U64_CAP, 4 + U64_LAP + 1, UINT64_MAX, 9 };
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		snprintf(what, sizeof(what), "pop, head damaged to %" PRIu64, heads[i]);
		isolated(what, u64_consumer_head_scenario, &heads[i]);
	}
	const uint64_t ahead[] = { 1, 2 * U64_CAP, UINT64_MAX / 4 };
	for (size_t i = 0; i < sizeof(ahead) / sizeof(ahead[0]); i++) {
		snprintf(what, sizeof(what), "push, head %" PRIu64 " past the producer", ahead[i]);
		isolated(what, u64_producer_head_scenario, &ahead[i]);
	}
	isolated("attach to a damaged ring", u64_attach_scenario, NULL);
}

/* ==== 3. flags_must_match ================================================= */

static struct kaos_ipc_config
msg_config(const char *name, enum kaos_ipc_kind kind, uint32_t flags)
{
	return (struct kaos_ipc_config){ .name = name, .kind = kind, .capacity = 4096,
					 .flags = flags, .liveness_ns = 20 * MS,
					 .open_timeout_ns = 2 * SEC };
}

static void
expect_subscribe(const struct kaos_ipc_config *cfg, int want, const char *what)
{
	struct kaos_ipc *ch = NULL;
	int rc = kaos_ipc_subscribe(cfg, &ch);
	if (rc != want) {
		kaos_ipc_close(ch);
		FAILS("%s: subscribe returned %d (%s), expected %d (%s)", what, rc,
		      kaos_strerror(rc), want, kaos_strerror(want));
	}
	KAOS_ASSERT(ch == NULL);
}

/* Read-modify-write the header's flags word (offset 20) behind the
 * library's back. */
static void
rewrite_flags(const char *name, uint32_t clear, uint32_t set)
{
	int fd = raw_open(name, O_RDWR, 0);
	KAOS_ASSERT(fd >= 0);
	uint32_t flags = 0;
	KAOS_ASSERT_EQ(pread(fd, &flags, 4, 20), 4);
	flags = (flags & ~clear) | set;
	KAOS_ASSERT_EQ(pwrite(fd, &flags, 4, 20), 4);
	close(fd);
}

static void
flags_must_match(void)
{
	seed_case();
	const enum kaos_ipc_kind kinds[] = { KAOS_IPC_MSG_SP, KAOS_IPC_MSG_MP };
	for (size_t i = 0; i < 2; i++) {
		/* Created without CRC: a subscriber asking for it is refused, and
		 * the other way round. */
		const char *name = chan_name(false, "flags");
		struct kaos_ipc_config plain = msg_config(name, kinds[i], 0);
		struct kaos_ipc_config crc = msg_config(name, kinds[i], KAOS_IPC_CRC);
		struct kaos_ipc *pub = NULL;
		KAOS_ASSERT_OK(kaos_ipc_publish(&plain, &pub));
		expect_subscribe(&crc, -KAOS_EFLAGS, "CRC asked, channel without");
		kaos_ipc_close(pub);
		kaos_ipc_unlink(name);

		KAOS_ASSERT_OK(kaos_ipc_publish(&crc, &pub));
		expect_subscribe(&plain, -KAOS_EFLAGS, "CRC not asked, channel with");
		/* A third party clears the CRC bit: the file no longer says CRC,
		 * so a subscriber asking for it must not attach (with CRC off). */
		rewrite_flags(name, KAOS_IPC_CRC, 0);
		expect_subscribe(&crc, -KAOS_EFLAGS, "CRC asked, bit cleared in the file");
		/* An unknown flag bit is an inconsistent header. */
		rewrite_flags(name, 0, 1u << 7);
		expect_subscribe(&crc, -KAOS_ECORRUPT, "unknown flag bit set in the file");
		kaos_ipc_close(pub);
		kaos_ipc_unlink(name);
	}
}

/* ==== 4. crc_padding_and_length_damage ==================================== */

#define CR_CAP 1024
#define CR_MAX_REC (CR_CAP / 8) /* the largest record, header included */
#define CR_PREFIX 16            /* header and check word */
#define CR_MIN_REC (CR_PREFIX + 8)
#define NO_SEQ UINT64_MAX

/* A CRC ring in caller memory with one producer thread, whose position
 * this mirrors, and a reader that insists on receiving exactly the
 * records written, in order: never one of an earlier lap, never the one
 * it was told is damaged. */
struct cring {
	uint32_t flags;
	unsigned char *mem;
	size_t size;
	struct kaos_msgring ring;
	struct kaos_msgring_producer prod;
	uint64_t pos;       /* the producer's next byte */
	uint64_t written;   /* records written: the next one's sequence number */
	uint64_t expect;    /* the next sequence number the reader may deliver */
	uint64_t damaged;   /* a sequence number that must never be delivered */
	uint64_t delivered;
	uint64_t at[64];    /* buffer index of record s's header, s % 64 */
	uint64_t pad_at, pad_len; /* the padding the last write made (len 0: none) */
	uint64_t rng;
	const char *what;
};

static const char *
flavor(uint32_t flags)
{
	static const char *const flavor_names[] = { "SP", "MP", "SP|CRC", "MP|CRC" };
	return flavor_names[flags & KAOS_MSGRING_FLAGS_ALL];
}

static void
cr_init(struct cring *cr, uint32_t flags, uint64_t rng)
{
	memset(cr, 0, sizeof(*cr));
	cr->flags = flags;
	cr->damaged = NO_SEQ;
	cr->rng = rng;
	KAOS_ASSERT_OK(kaos_msgring_memsize(CR_CAP, &cr->size));
	cr->mem = alloc_guarded(cr->size);
	KAOS_ASSERT_OK(kaos_msgring_init(&cr->ring, cr->mem, cr->size, CR_CAP, flags));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&cr->prod, &cr->ring, 1));
}

static void
cr_free(struct cring *cr)
{
	expect_canary(cr->mem, cr->size, cr->what);
	free(cr->mem);
}

static unsigned char
cr_byte(uint64_t seq, size_t j)
{
	return (unsigned char)(seq * 29u + j);
}

/* Write record number cr->written, @p rec bytes in the ring. */
static int
cr_write(struct cring *cr, uint64_t rec)
{
	unsigned char buf[CR_MAX_REC];
	uint64_t seq = cr->written;
	size_t len = (size_t)rec - CR_PREFIX;
	memcpy(buf, &seq, 8);
	for (size_t j = 8; j < len; j++)
		buf[j] = cr_byte(seq, j);
	uint64_t idx = cr->pos & (CR_CAP - 1);
	uint64_t pad = CR_CAP - idx < rec ? CR_CAP - idx : 0;
	int rc = kaos_msgring_write(&cr->prod, (uint32_t)(seq & 0xFFFF), buf, len);
	if (rc < 0)
		return rc;
	cr->pad_at = idx;
	cr->pad_len = pad;
	cr->at[seq % 64] = (cr->pos + pad) & (CR_CAP - 1);
	cr->pos += pad + rec;
	cr->written++;
	return 0;
}

static void
cr_handler(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct cring *cr = ctx;
	uint64_t seq = NO_SEQ;
	if (len >= 8)
		memcpy(&seq, data, 8);
	if (seq == cr->damaged)
		FAILS("%s (%s): delivered record %" PRIu64 ", the damaged one", cr->what,
		      flavor(cr->flags), seq);
	if (seq != cr->expect)
		FAILS("%s (%s): delivered %zu bytes starting %#" PRIx64 " where record %" PRIu64
		      " was due (one of an earlier lap?)", cr->what, flavor(cr->flags), len, seq,
		      cr->expect);
	KAOS_ASSERT_EQ(type, seq & 0xFFFF);
	for (size_t j = 8; j < len; j++)
		if (((const unsigned char *)data)[j] != cr_byte(seq, j))
			FAILS("%s: record %" PRIu64 " delivered damaged at byte %zu", cr->what,
			      seq, j);
	cr->expect = seq + 1;
	if (cr->expect == cr->damaged)
		cr->expect++;
	cr->delivered++;
}

static int64_t
cr_read(struct cring *cr)
{
	return kaos_msgring_read(&cr->ring, cr_handler, cr, 1000);
}

/* Read everything written; no error. */
static void
cr_drain(struct cring *cr)
{
	int64_t n;
	while ((n = cr_read(cr)) > 0) {
	}
	if (n < 0)
		FAILS("%s: read of an undamaged ring: %" PRId64 " (%s)", cr->what, n,
		      kaos_strerror((int)n));
	KAOS_ASSERT_UEQ(cr->expect, cr->written);
}

/* A random record size (multiple of 8) in [CR_MIN_REC, hi]. */
static uint64_t
cr_random_rec(struct cring *cr, uint64_t hi)
{
	return CR_MIN_REC + 8 * rand_below(&cr->rng, (hi - CR_MIN_REC) / 8 + 1);
}

/* Write and read random records until the producer is in its second lap
 * or later (so earlier laps' records lie ahead of it) with @p left bytes
 * before the buffer's end; @p left 0: any amount from 16 to one byte less
 * than the largest record, so that the next large record makes padding
 * of it. */
static void
cr_advance(struct cring *cr, uint64_t left)
{
	for (int steps = 0; steps < 10000; steps++) {
		uint64_t r = CR_CAP - (cr->pos & (CR_CAP - 1));
		bool lapped = cr->pos >= CR_CAP;
		if (lapped && (left ? r == left : r >= 16 && r < CR_MAX_REC))
			return;
		uint64_t rec = cr_random_rec(cr, CR_MAX_REC);
		if (lapped && left) { /* steer onto exactly left bytes */
			if (r - left >= CR_MIN_REC && r - left <= CR_MAX_REC)
				rec = r - left;
			else if (r >= left + CR_MAX_REC + CR_MIN_REC)
				rec = cr_random_rec(cr, CR_MAX_REC);
			else if (r > left + CR_MAX_REC)
				rec = cr_random_rec(cr, r - left - CR_MIN_REC);
		}
		KAOS_ASSERT_EQ(cr_write(cr, rec), 0);
		cr_drain(cr);
	}
	FAILS("%s: never reached %" PRIu64 " bytes before the end", cr->what, left);
}

/* Flip bit @p bit of the 64-bit word at buffer index @p idx. */
static void
cr_flip(struct cring *cr, uint64_t idx, unsigned bit)
{
	_Atomic uint64_t *w = (_Atomic uint64_t *)(void *)(cr->mem + CTL_LEN + idx);
	atomic_fetch_xor(w, UINT64_C(1) << bit);
}

static void
cr_set_word(struct cring *cr, uint64_t idx, uint64_t value)
{
	atomic_store((_Atomic uint64_t *)(void *)(cr->mem + CTL_LEN + idx), value);
}

/*
 * After damage to a length (or a header that cannot be where it is):
 * nothing more is ever delivered, and it is reported. Single producer:
 * every read is -KAOS_ECORRUPT. Several producers: a length that reads
 * as "not committed" (0 or negative) is not an error for the reader,
 * which returns 0; the consumer's unblock must then find it, and a read
 * or an unblock reports -KAOS_ECORRUPT in each round. A record written
 * afterwards changes nothing.
 */
static void
cr_expect_stopped(struct cring *cr)
{
	uint64_t delivered = cr->delivered;
	unsigned reported = 0;
	for (int round = 0; round < 6; round++) {
		if (round == 3)
			(void)cr_write(cr, CR_MIN_REC); /* may be full: no matter */
		int64_t n = cr_read(cr);
		if (n == -KAOS_ECORRUPT) {
			reported++;
			continue;
		}
		if (n != 0)
			FAILS("%s (%s): after the damage, read returned %" PRId64 " (%s)", cr->what,
			      flavor(cr->flags), n, n < 0 ? kaos_strerror((int)n) : "records");
		if (!(cr->flags & KAOS_MSGRING_MP))
			FAILS("%s (%s): after the damage, read returned 0: the ring "
			      "neither stopped nor reported it", cr->what, flavor(cr->flags));
		/* Twice: the first call starts the clock, the second acts. */
		int u = kaos_msgring_unblock(&cr->ring, 0);
		if (u >= 0)
			u = kaos_msgring_unblock(&cr->ring, 0);
		if (u == -KAOS_ECORRUPT)
			reported++;
		else if (u < 0)
			FAILS("%s: unblock returned %d (%s)", cr->what, u, kaos_strerror(u));
	}
	if (!(cr->flags & KAOS_MSGRING_MP) && reported != 6)
		FAILS("%s (%s): %u of 6 reads after the damage reported it", cr->what,
		      flavor(cr->flags), reported);
	if (reported < 3)
		FAILS("%s (%s): damage reported only %u times in 6 rounds of read and unblock: "
		      "the consumer waits for ever without an error", cr->what,
		      flavor(cr->flags), reported);
	KAOS_ASSERT_UEQ(cr->delivered, delivered);
}

struct cr_trial {
	uint32_t flags;
	unsigned bit;
	uint64_t salt;
};

/* A padding at the wrap (of 16..120 bytes, over records of an earlier
 * lap) whose length has bit t->bit flipped. */
static void
padding_length_trial(const void *arg)
{
	const struct cr_trial *t = arg;
	struct cring cr;
	cr_init(&cr, t->flags, rng_for(t->salt));
	cr.what = "a padding's length flipped";
	cr_advance(&cr, 0);
	uint64_t left = CR_CAP - (cr.pos & (CR_CAP - 1));
	KAOS_ASSERT_EQ(cr_write(&cr, CR_MAX_REC), 0);
	KAOS_ASSERT_UEQ(cr.pad_len, left);
	cr_flip(&cr, cr.pad_at, t->bit);
	cr_expect_stopped(&cr);
	cr_free(&cr);
}

enum cr_spot {
	SPOT_LENGTH,       /* the header's length */
	SPOT_LENGTH_COPY,  /* the check word's copy of it */
	SPOT_PAYLOAD,      /* a payload byte */
	SPOT_TYPE,         /* the header's type */
	SPOT_CRC,          /* the check word's CRC */
	SPOT_PAD8,         /* the header replaced by an 8-byte padding */
};

struct cr_record_trial {
	uint32_t flags;
	enum cr_spot spot;
	unsigned bit; /* of a length (SPOT_LENGTH*); others pick theirs */
	uint64_t salt;
};

static bool
spot_is_length(enum cr_spot s)
{
	return s == SPOT_LENGTH || s == SPOT_LENGTH_COPY;
}

static const char *
spot_name(enum cr_spot s)
{
	static const char *const spot_names[] = { "a record's length", "a check word's length copy",
					     "a payload bit", "a type bit", "a CRC bit",
					     "an 8-byte padding header mid-buffer" };
	return spot_names[s];
}

/* Some records queued (after laps of traffic); one of them damaged at
 * t->spot; then read. */
static void
record_trial(const void *arg)
{
	const struct cr_record_trial *t = arg;
	struct cring cr;
	cr_init(&cr, t->flags, rng_for(t->salt));
	cr.what = spot_name(t->spot);
	cr_advance(&cr, 0);
	unsigned k = 2 + (unsigned)rand_below(&cr.rng, 5);
	uint64_t first = cr.written;
	uint64_t size[8];
	for (unsigned i = 0; i < k; i++) {
		size[i] = cr_random_rec(&cr, CR_MAX_REC);
		KAOS_ASSERT_EQ(cr_write(&cr, size[i]), 0);
	}
	unsigned j = (unsigned)rand_below(&cr.rng, k);
	uint64_t idx = cr.at[(first + j) % 64];
	uint64_t len = size[j]; /* header, check word, payload: a multiple of 8 here */
	switch (t->spot) {
	case SPOT_LENGTH: cr_flip(&cr, idx, t->bit); break;
	case SPOT_LENGTH_COPY: cr_flip(&cr, idx + 8, 32 + t->bit); break;
	case SPOT_TYPE: cr_flip(&cr, idx, 32 + (unsigned)rand_below(&cr.rng, 16)); break;
	case SPOT_CRC: cr_flip(&cr, idx + 8, (unsigned)rand_below(&cr.rng, 32)); break;
	case SPOT_PAYLOAD:
		cr_flip(&cr, idx + CR_PREFIX + 8 * rand_below(&cr.rng, (len - CR_PREFIX) / 8),
			(unsigned)rand_below(&cr.rng, 64));
		break;
	case SPOT_PAD8:
		cr_set_word(&cr, idx, (uint64_t)KAOS_MSG_PADDING << 32 | 8);
		break;
	}
	cr.damaged = first + j;
	/* What came before is delivered first. */
	if (j > 0) {
		int64_t n = cr_read(&cr);
		if (n != (int64_t)j)
			FAILS("%s (%s): the read before the damaged record returned %" PRId64
			      ", expected %u records", cr.what, flavor(t->flags), n, j);
	}
	if (spot_is_length(t->spot) || t->spot == SPOT_PAD8) {
		cr_expect_stopped(&cr);
	} else {
		/* Skipped, counted and reported once; the rest flows. */
		if (cr.expect == cr.damaged)
			cr.expect++;
		int64_t n = cr_read(&cr);
		if (n != -KAOS_ECORRUPT)
			FAILS("%s (%s): read at the damaged record returned %" PRId64
			      ", expected -KAOS_ECORRUPT", cr.what, flavor(t->flags), n);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&cr.ring), 1);
		cr_drain(&cr);
		KAOS_ASSERT_UEQ(cr.delivered, cr.written - 1);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&cr.ring), 1);
	}
	cr_free(&cr);
}

/* Exactly 8 bytes left at the end: the next record leaves an 8-byte
 * padding there (no room for a check word), which is sound. */
static void
pad8_at_end_trial(const void *arg)
{
	const struct cr_trial *t = arg;
	struct cring cr;
	cr_init(&cr, t->flags, rng_for(t->salt));
	cr.what = "an 8-byte padding at the end";
	for (int laps = 0; laps < 3; laps++) {
		cr_advance(&cr, 8);
		KAOS_ASSERT_EQ(cr_write(&cr, cr_random_rec(&cr, CR_MAX_REC)), 0);
		KAOS_ASSERT_UEQ(cr.pad_len, 8);
		int64_t n = cr_read(&cr);
		if (n != 1)
			FAILS("%s (%s): read returned %" PRId64 ", expected the record after it",
			      cr.what, flavor(t->flags), n);
	}
	KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&cr.ring), 0);
	cr_free(&cr);
}

static void
crc_padding_and_length_damage(void)
{
	seed_case();
	const uint32_t flavors[] = { KAOS_MSGRING_CRC, KAOS_MSGRING_MP | KAOS_MSGRING_CRC };
	unsigned reps = (unsigned)kaos_test_scaled(4, 1);
	char what[128];
	uint64_t salt = 0;
	for (size_t f = 0; f < 2; f++) {
		uint32_t flags = flavors[f];
		for (unsigned bit = 0; bit < 32; bit++) {
			struct cr_trial t = { flags, bit, ++salt };
			snprintf(what, sizeof(what), "%s: padding length bit %u", flavor(flags),
				 bit);
			isolated(what, padding_length_trial, &t);
		}
		for (enum cr_spot s = SPOT_LENGTH; s <= SPOT_PAD8; s++) {
			/* Every bit of a length; elsewhere, random places. */
			unsigned trials = spot_is_length(s) ? 32 : 4 * reps;
			for (unsigned i = 0; i < trials; i++) {
				struct cr_record_trial t = { flags, s, i, ++salt };
				snprintf(what, sizeof(what), "%s: %s (%s %u)", flavor(flags),
					 spot_name(s), spot_is_length(s) ? "bit" : "trial", i);
				isolated(what, record_trial, &t);
			}
		}
		struct cr_trial t = { flags, 0, ++salt };
		snprintf(what, sizeof(what), "%s: 8-byte padding at the end", flavor(flags));
		isolated(what, pad8_at_end_trial, &t);
	}
}

/* ==== 5. mp_damaged_length_reported ======================================= */

/* An MSG_MP channel with CRC: its publisher sends three records and
 * stays; the second one's length gets its sign bit flipped (so it reads
 * as a claim in progress by an owner that does not exist, of a length no
 * record can have). The subscriber must hear of it. */
/*
 * A single producer's tail moved forward by less than a ring: the reader
 * then meets records of an earlier lap, whole and with their own check
 * words. Each check word covers its record's position, so none of them
 * passes where the reader meets it: nothing stale is delivered (the
 * handler fails on any sequence number but the next), and it is reported.
 */
static void
crc_stale_records_behind_a_damaged_tail(void)
{
	struct cring cr;
	cr_init(&cr, KAOS_MSGRING_CRC, seed_case());
	cr.what = "stale records";
	/* Records of one size that divides the buffer, for two and a half
	 * laps: an earlier lap's records lie ahead, whole and aligned with
	 * where the reader will look for records. */
	for (uint64_t i = 0; i < 5 * CR_CAP / 2 / 64; i++) {
		KAOS_ASSERT_EQ(cr_write(&cr, 64), 0);
		cr_drain(&cr);
	}
	_Atomic uint64_t *tail = RING_CTL(cr.mem, tail);
	atomic_store(tail, atomic_load(tail) + CR_CAP / 2);
	uint64_t delivered = cr.delivered, reported = 0;
	for (int round = 0; round < 8; round++) {
		int64_t n = cr_read(&cr);
		if (n == -KAOS_ECORRUPT)
			reported++;
		else if (n != 0)
			FAILS("%s: a read returned %" PRId64, cr.what, n);
	}
	KAOS_ASSERT_UEQ(cr.delivered, delivered);
	KAOS_ASSERT_GT(reported, 0);
	printf("  tail half a ring ahead: %" PRIu64 " reads reported the damage, nothing"
	       " delivered\n", reported);
	cr_free(&cr);
}

#define MPD_PAYLOAD 8

static void
mpd_publisher(const void *arg)
{
	struct kaos_ipc_config cfg = msg_config(arg, KAOS_IPC_MSG_MP, KAOS_IPC_CRC);
	cfg.unblock_ns = 100 * MS;
	struct kaos_ipc *ch = NULL;
	KAOS_ASSERT_OK(kaos_ipc_publish(&cfg, &ch));
	for (uint64_t seq = 0; seq < 3; seq++)
		KAOS_ASSERT_EQ(kaos_ipc_send(ch, 7, &seq, MPD_PAYLOAD, NULL), 0);
	atomic_store(&S->ready, 1);
	WAIT_UNTIL(atomic_load(&S->go), 60);
	kaos_ipc_close(ch);
}

static void
mpd_handler(uint32_t type, const void *data, size_t len, void *ctx)
{
	(void)type;
	(void)ctx;
	uint64_t seq;
	KAOS_ASSERT_EQ(len, MPD_PAYLOAD);
	memcpy(&seq, data, 8);
	if (seq != atomic_load(&S->got[0]))
		FAILS("MSG_MP: delivered record %" PRIu64 " after %" PRIu64 " records", seq,
		      atomic_load(&S->got[0]));
	atomic_fetch_add(&S->got[0], 1);
}

static void
mpd_subscriber(const void *arg)
{
	struct kaos_ipc_config cfg = msg_config(arg, KAOS_IPC_MSG_MP, KAOS_IPC_CRC);
	cfg.unblock_ns = 100 * MS;
	struct kaos_ipc *ch = NULL;
	KAOS_ASSERT_OK(kaos_ipc_subscribe(&cfg, &ch));
	struct kaos_wait how = { .kind = KAOS_WAIT_BACKOFF, .timeout_ns = 100 * MS,
				 .max_sleep_ns = 200 * 1000 };
	/* Many times the unblock delay: enough for any repair or report. */
	uint64_t deadline = kaos_now_ns() + 3 * SEC;
	while (kaos_now_ns() < deadline) {
		int64_t n = kaos_ipc_receive(ch, mpd_handler, NULL, 16, &how);
		if (n == -KAOS_ECORRUPT) {
			atomic_fetch_add(&S->count[0], 1);
			if (atomic_load(&S->count[0]) >= 3)
				break;
		} else if (n < 0 && n != -ETIMEDOUT) {
			FAILS("MSG_MP subscriber: receive returned %" PRId64 " (%s)", n,
			      kaos_strerror((int)n));
		}
	}
	kaos_ipc_close(ch);
}

static void
mp_damaged_length_reported(void)
{
	seed_case();
	const char *name = chan_name(false, "mpd");
	pid_t pub = spawn("MSG_MP publisher", mpd_publisher, name);
	WAIT_UNTIL(atomic_load(&S->ready), 30);
	/* Record 1 follows record 0 (16 + 8 bytes) in the buffer. */
	int fd = raw_open(name, O_RDWR, 0);
	KAOS_ASSERT(fd >= 0);
	off_t at = (off_t)(RING_BODY + CR_PREFIX + MPD_PAYLOAD);
	uint64_t w = 0;
	KAOS_ASSERT_EQ(pread(fd, &w, 8, at), 8);
	KAOS_ASSERT_EQ((uint32_t)w, CR_PREFIX + MPD_PAYLOAD);
	w ^= UINT64_C(1) << 31;
	KAOS_ASSERT_EQ(pwrite(fd, &w, 8, at), 8);
	close(fd);
	pid_t sub = spawn("MSG_MP subscriber", mpd_subscriber, name);
	expect_clean_exit(sub, "MSG_MP subscriber", 30);
	atomic_store(&S->go, 1);
	finish(pub);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), 1);
	if (atomic_load(&S->count[0]) == 0)
		FAILS("MSG_MP+CRC: a record whose length reads as a claim of 2^31 bytes by nobody "
		      "alive: 3 s of kaos_ipc_receive returned only -ETIMEDOUT, never "
		      "-KAOS_ECORRUPT (the consumer waits for ever without an error)");
}

/* ==== 6. mp_claim_damaged_tail ============================================ */

/* A multi-producer claim reads the shared tail to learn where it writes:
 * given a tail that is not a multiple of 8 (any value another process
 * wrote), it must still write nowhere outside the buffer. */
static void
mp_tail_trial(const void *arg)
{
	const uint64_t *tail = arg;
	const uint32_t flavors[] = { KAOS_MSGRING_MP, KAOS_MSGRING_MP | KAOS_MSGRING_CRC };
	for (size_t f = 0; f < 2; f++) {
		size_t size;
		KAOS_ASSERT_OK(kaos_msgring_memsize(CR_CAP, &size));
		unsigned char *mem = alloc_guarded(size);
		struct kaos_msgring ring;
		struct kaos_msgring_producer p;
		KAOS_ASSERT_OK(kaos_msgring_init(&ring, mem, size, CR_CAP, flavors[f]));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &ring, 1));
		atomic_store(RING_CTL(mem, tail), *tail);
		/* Half a ring consumed behind it: room for the record. */
		atomic_store(RING_CTL(mem, head), *tail - CR_CAP / 2);
		char payload[24] = { 0 };
		int rc = kaos_msgring_write(&p, 3, payload, sizeof(payload));
		if (rc != 0 && rc != -KAOS_ECORRUPT)
			FAILS("claim at tail %#" PRIx64 " with room: %d (%s)", *tail, rc,
			      kaos_strerror(rc));
		char what[96];
		snprintf(what, sizeof(what), "%s claim at a damaged tail %#" PRIx64
			 " (buffer index %" PRIu64 ")", flavor(flavors[f]), *tail, *tail % CR_CAP);
		expect_canary(mem, size, what);
		free(mem);
	}
}

static void
mp_claim_damaged_tail(void)
{
	seed_case();
	uint64_t rng = rng_for(6);
	char what[96];
	for (uint64_t back = 1; back < 8; back++) { /* 1..7 bytes before a wrap */
		uint64_t tail = (3 + rand_below(&rng, 1000)) * CR_CAP - back;
		snprintf(what, sizeof(what), "claim at a tail %" PRIu64 " bytes before a wrap",
			 back);
		isolated(what, mp_tail_trial, &tail);
	}
	uint64_t mid = 5 * CR_CAP + 8 * rand_below(&rng, 64) + 3;
	isolated("claim at an unaligned tail mid-buffer", mp_tail_trial, &mid);
}

/* ==== 7. inspect_fifo_and_others ========================================== */

enum entry_point { EP_INSPECT, EP_PUBLISH, EP_SUBSCRIBE, EP_CLEANUP, EP_COUNT };

static const char *const ep_names[] = { "inspect", "publish", "subscribe", "cleanup" };

struct ep_call {
	const char *path;
	enum entry_point ep;
};

static void
ep_child(const void *arg)
{
	const struct ep_call *c = arg;
	alarm(5); /* a hang fails */
	struct kaos_ipc_config cfg = { .name = c->path, .kind = KAOS_IPC_MSG_SP,
				       .capacity = 4096 };
	struct kaos_ipc *ch = NULL;
	struct kaos_ipc_info info;
	int rc;
	uint64_t t0 = kaos_now_ns();
	switch (c->ep) {
	case EP_INSPECT: rc = kaos_ipc_inspect(c->path, &info); break;
	case EP_PUBLISH: rc = kaos_ipc_publish(&cfg, &ch); break;
	case EP_SUBSCRIBE: rc = kaos_ipc_subscribe(&cfg, &ch); break;
	default: rc = kaos_ipc_cleanup(c->path); break;
	}
	atomic_store(&S->rc[0], rc);
	atomic_store(&S->when[0], kaos_now_ns() - t0);
	kaos_ipc_close(ch);
}

/* Errors that say "not a channel": the file is foreign or cannot be
 * opened as one. Not 0 or 1 (it worked), not -EAGAIN (it waited for a
 * creator). */
static bool
refusal(int rc)
{
	return rc == -KAOS_EFOREIGN || rc == -EISDIR || rc == -ENXIO || rc == -EACCES ||
	       rc == -EPERM || rc == -ENODEV;
}

static void
expect_refused(const char *path, const char *label)
{
	struct stat before, after;
	KAOS_ASSERT_EQ(lstat(path, &before), 0);
	for (enum entry_point ep = 0; ep < EP_COUNT; ep++) {
		struct ep_call c = { path, ep };
		char what[128];
		snprintf(what, sizeof(what), "%s on %s", ep_names[ep], label);
		atomic_store(&S->rc[0], 12345);
		pid_t pid = spawn(what, ep_child, &c);
		expect_clean_exit(pid, what, 10);
		int rc = (int)atomic_load(&S->rc[0]);
		double secs = (double)atomic_load(&S->when[0]) / 1e9;
		if (!refusal(rc))
			FAILS("%s returned %d (%s) after %.2f s, expected -KAOS_EFOREIGN or an "
			      "open error", what, rc, kaos_strerror(rc), secs);
		if (secs > 0.5 * slack())
			FAILS("%s took %.2f s to refuse", what, secs);
	}
	KAOS_ASSERT_EQ(lstat(path, &after), 0);
	if (before.st_ino != after.st_ino || before.st_mode != after.st_mode)
		FAILS("%s was replaced", label);
}

static void
inspect_fifo_and_others(void)
{
	seed_case();
	const char *fifo = chan_name(true, "fifo");
	KAOS_ASSERT_EQ(mkfifo(fifo, 0600), 0);
	/* Cleanup is tried on a link to /dev/null, never on /dev/null itself:
	 * should it remove what it is given, it removes the link. */
	const char *devnull = chan_name(true, "devnull");
	KAOS_ASSERT_EQ(symlink("/dev/null", devnull), 0);
	expect_refused(fifo, "a FIFO");
	expect_refused(tmp_dir, "a directory"); /* the case's own */
	expect_refused(devnull, "a link to /dev/null");
	struct stat st;
	KAOS_ASSERT_EQ(stat("/dev/null", &st), 0);
	KAOS_ASSERT(S_ISCHR(st.st_mode));
}

/* ==== 8. u64_restart_at_least_once ======================================== */

#define RST_CAP 63
#define RST_VALUES 150
#define RST_LIMIT 8 /* values per receive: at most that many seen again */

static uint64_t
rst_value(uint64_t pos)
{
	return 0xAB00000000000000ull | pos;
}

static struct kaos_ipc_config
rst_config(const char *name)
{
	return (struct kaos_ipc_config){ .name = name, .kind = KAOS_IPC_U64,
					 .capacity = RST_CAP, .liveness_ns = 20 * MS,
					 .open_timeout_ns = 5 * SEC };
}

/* Sends every value, waiting out the time between a subscriber's death
 * and its successor's arrival; then closes (its subscriber gets -EPIPE). */
static void
rst_publisher(const void *arg)
{
	struct kaos_ipc_config cfg = rst_config(arg);
	struct kaos_ipc *ch = NULL;
	KAOS_ASSERT_OK(kaos_ipc_publish(&cfg, &ch));
	struct kaos_wait how = { .kind = KAOS_WAIT_BACKOFF, .timeout_ns = 50 * MS,
				 .max_sleep_ns = 200 * 1000 };
	uint64_t deadline = kaos_now_ns() + (uint64_t)(60 * SEC * slack());
	for (uint64_t pos = 0; pos < RST_VALUES;) {
		uint64_t v = rst_value(pos);
		int rc = kaos_ipc_send(ch, 0, &v, sizeof(v), &how);
		if (rc == 0)
			pos++;
		else if (rc != -ETIMEDOUT && rc != -KAOS_EPEERDEAD)
			FAILS("u64 publisher: send %" PRIu64 ": %d (%s)", pos, rc,
			      kaos_strerror(rc));
		if (kaos_now_ns() > deadline)
			FAILS("u64 publisher: stuck at value %" PRIu64, pos);
	}
	kaos_ipc_close(ch);
}

struct rst_sub {
	const char *name;
	int index;          /* 0: the one that dies, 1: its successor */
	uint64_t kill_at;   /* position whose value kills it (index 0) */
};

struct rst_state {
	const struct rst_sub *s;
	uint64_t next; /* position expected next; UINT64_MAX before the first */
};

static void
rst_handler(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct rst_state *st = ctx;
	uint64_t v;
	KAOS_ASSERT_EQ(type, 0);
	KAOS_ASSERT_EQ(len, 8);
	memcpy(&v, data, 8);
	uint64_t pos = v & 0xFFFFFFFF;
	if (v != rst_value(pos) || (st->next != UINT64_MAX && pos != st->next))
		FAILS("u64 subscriber %d: got %#" PRIx64 ", expected position %" PRIu64,
		      st->s->index, v, st->next);
	if (st->next == UINT64_MAX)
		atomic_store(&S->first[st->s->index], pos);
	st->next = pos + 1;
	atomic_store(&S->val[st->s->index], pos); /* being handled */
	atomic_fetch_add(&S->got[st->s->index], 1);
	if (st->s->index == 0 && pos == st->s->kill_at)
		raise(SIGKILL); /* dies inside the handler */
}

static void
rst_subscriber(const void *arg)
{
	const struct rst_sub *s = arg;
	struct kaos_ipc_config cfg = rst_config(s->name);
	struct kaos_ipc *ch = NULL;
	KAOS_ASSERT_OK(kaos_ipc_subscribe(&cfg, &ch));
	atomic_store(&S->ready, 1);
	struct rst_state st = { s, s->index == 0 ? 0 : UINT64_MAX };
	struct kaos_wait how = { .kind = KAOS_WAIT_BACKOFF, .timeout_ns = 20 * SEC,
				 .max_sleep_ns = 200 * 1000 };
	for (;;) {
		int64_t n = kaos_ipc_receive(ch, rst_handler, &st, RST_LIMIT, &how);
		if (n == -EPIPE)
			break;
		if (n < 0)
			FAILS("u64 subscriber %d: receive: %" PRId64 " (%s)", s->index, n,
			      kaos_strerror((int)n));
	}
	if (st.next != RST_VALUES)
		FAILS("u64 subscriber %d: ended at position %" PRIu64 " of %d", s->index, st.next,
		      RST_VALUES);
	kaos_ipc_close(ch);
}

static void
u64_restart_at_least_once(void)
{
	seed_case();
	/* Positions: the first value, mid-line, last of a 7-value line (6,
	 * 13, 69), the last of the first lap (62) and the first of the next. */
	const uint64_t kill_at[] = { 0, 3, 6, 13, 62, 63, 69, 100 };
	for (size_t i = 0; i < sizeof(kill_at) / sizeof(kill_at[0]); i++) {
		reset_shared();
		const char *name = chan_name(false, "rst");
		struct rst_sub dying = { name, 0, kill_at[i] }, next = { name, 1, 0 };
		pid_t a = spawn("u64 subscriber (to be killed)", rst_subscriber, &dying);
		WAIT_UNTIL(atomic_load(&S->ready), 30);
		pid_t pub = spawn("u64 publisher", rst_publisher, name);
		int st = reap_opt(a, 60 * slack(), false);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			describe_fail(a, "u64 subscriber", st, "death by SIGKILL in its handler");
		KAOS_ASSERT_UEQ(atomic_load(&S->val[0]), kill_at[i]);
		pid_t b = spawn("u64 subscriber (successor)", rst_subscriber, &next);
		finish(b);
		finish(pub);
		uint64_t first = atomic_load(&S->first[1]), dead_at = kill_at[i];
		if (first > dead_at)
			FAILS("killed while handling position %" PRIu64 ": its successor started "
			      "at %" PRIu64 ", so that value was lost", dead_at, first);
		if (dead_at - first >= RST_LIMIT)
			FAILS("killed while handling position %" PRIu64 ": its successor started "
			      "back at %" PRIu64 ", before the batch it was handling", dead_at,
			      first);
		kaos_ipc_unlink(name);
	}
}

/* ==== 9. batch_claim_overflow ============================================= */

struct batch_seen {
	unsigned n;
	uint32_t type[2];
	uint64_t value[2];
};

static void
batch_record(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct batch_seen *s = ctx;
	KAOS_ASSERT_EQ(len, 8);
	KAOS_ASSERT_LT(s->n, 2);
	s->type[s->n] = type;
	memcpy(&s->value[s->n++], data, 8);
}

static void
batch_claim_overflow(void)
{
	seed_case();
	static uint64_t staging[512];
	struct kaos_msgring_batch b;
	KAOS_ASSERT_OK(kaos_msgring_batch_init(&b, staging, sizeof(staging)));
	uint64_t one = 1;
	KAOS_ASSERT_EQ(kaos_msgring_batch_add(&b, 1, &one, 8), 0);
	const size_t huge[] = { SIZE_MAX, SIZE_MAX - 7, INT32_MAX, INT32_MAX - 7,
				INT32_MAX - 8, (size_t)UINT32_MAX + 1, sizeof(staging) };
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		size_t used = b.used;
		uint32_t count = b.count;
		void *data = NULL;
		int rc = kaos_msgring_batch_claim(&b, 2, huge[i], &data);
		if (rc != -KAOS_EFULL || b.used != used || b.count != count)
			FAILS("batch_claim(len %zu): %d (%s), used %zu -> %zu, count %u -> %u; "
			      "expected -KAOS_EFULL and nothing staged", huge[i], rc,
			      kaos_strerror(rc), used, b.used, count, b.count);
	}
	uint64_t two = 2;
	KAOS_ASSERT_EQ(kaos_msgring_batch_add(&b, 3, &two, 8), 0);
	KAOS_ASSERT_UEQ(b.count, 2);
	KAOS_ASSERT_UEQ(b.used, 32);
	/* And the batch is what was staged: two records, read back. */
	size_t size;
	KAOS_ASSERT_OK(kaos_msgring_memsize(CR_CAP, &size));
	unsigned char *mem = alloc_guarded(size);
	struct kaos_msgring ring;
	struct kaos_msgring_producer p;
	KAOS_ASSERT_OK(kaos_msgring_init(&ring, mem, size, CR_CAP, 0));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &ring, 0));
	KAOS_ASSERT_EQ(kaos_msgring_write_batch(&p, &b), 0);
	struct batch_seen seen = { 0 };
	KAOS_ASSERT_EQ(kaos_msgring_read(&ring, batch_record, &seen, 10), 2);
	KAOS_ASSERT_UEQ(seen.type[0], 1);
	KAOS_ASSERT_UEQ(seen.value[0], 1);
	KAOS_ASSERT_UEQ(seen.type[1], 3);
	KAOS_ASSERT_UEQ(seen.value[1], 2);
	expect_canary(mem, size, "batch");
	free(mem);
}

/* ==== main ================================================================ */

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(live_header_rewrite),
		KAOS_TEST(u64_damaged_sequence_word),
		KAOS_TEST(flags_must_match),
		KAOS_TEST(crc_padding_and_length_damage),
		KAOS_TEST(crc_stale_records_behind_a_damaged_tail),
		KAOS_TEST(mp_damaged_length_reported),
		KAOS_TEST(mp_claim_damaged_tail),
		KAOS_TEST(inspect_fifo_and_others),
		KAOS_TEST(u64_restart_at_least_once),
		KAOS_TEST(batch_claim_overflow),
		KAOS_TEST_END,
	};
	return ipc_test_main(cases, argc, argv);
}
