/* SPDX-License-Identifier: MIT */
/*
 * IPC channels between real processes: volume. Every message is checked.
 *
 *  - SPSC, 8-byte slots: 100M values (scaled) through the zero-copy handle
 *    (kaos_ipc_spsc: batch claim/publish, peek/release), each checked in
 *    order; and 5M through kaos_ipc_send/kaos_ipc_receive;
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

/* ==== process harness (the same in test_ipc.c) ============================ */

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define CASE_ALARM_S 300  /* a case process's backstop */
#define CHILD_ALARM_S 240 /* a channel user's backstop */

/* Time bounds are generous; sanitizer and emulator builds get more. */
static double
slack(void)
{
	return KAOS_TEST_DEFAULT_SCALE < 1 ? 4.0 : 1.0;
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / SEC), (long)(ns % SEC) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

static pid_t owner_pid; /* the case process: it cleans up */
static char tmp_dir[256];
#define MAX_NAMES 64
static char names[MAX_NAMES][320];
static unsigned nnames, name_seq;

struct kid {
	pid_t pid;
	const char *what;
};
#define MAX_KIDS 64
static struct kid kids[MAX_KIDS];

/* Remove every channel name of this case, and the temporary directory.
 * Async-signal-safe enough for the fatal-signal handler. */
static void
cleanup_names(void)
{
	if (getpid() != owner_pid)
		return;
	for (unsigned i = 0; i < nnames; i++)
		kaos_ipc_unlink(names[i]);
	nnames = 0;
	if (tmp_dir[0])
		rmdir(tmp_dir);
	tmp_dir[0] = 0;
}

static void
kill_kids(void)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, SIGKILL);
}

/* A failed assertion (abort), the alarm, or an interrupt: in the case
 * process, kill its children and remove its channels; then die of it. */
static void
on_fatal(int sig)
{
	if (getpid() == owner_pid) {
		kill_kids();
		cleanup_names();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
on_sanitizer_death(void)
{
	if (getpid() == owner_pid) {
		kill_kids();
		cleanup_names();
	}
}

/* Present in sanitizer runtimes only. */
extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* A unique channel name: a POSIX shm name, or a file in a temporary
 * directory. Removed when the case ends. */
static const char *
chan_name(bool file, const char *tag)
{
	KAOS_ASSERT(nnames < MAX_NAMES);
	char *n = names[nnames];
	if (file) {
		if (!tmp_dir[0]) {
			const char *t = getenv("TMPDIR");
			snprintf(tmp_dir, sizeof(tmp_dir), "%s/kaos-test-%d-XXXXXX",
				 t && *t ? t : "/tmp", (int)getpid());
			if (!mkdtemp(tmp_dir)) {
				tmp_dir[0] = 0;
				KAOS_FAIL("mkdtemp: %s", strerror(errno));
			}
		}
		snprintf(n, sizeof(names[0]), "%s/%s-%u", tmp_dir, tag, name_seq++);
	} else {
		snprintf(n, sizeof(names[0]), "/kaos-test-%d-%s-%u", (int)getpid(), tag,
			 name_seq++);
	}
	nnames++;
	return n;
}

/* State shared by the case process and its children; zero at the start. */
struct shared {
	_Atomic uint32_t ready; /* children attached */
	_Atomic uint32_t go;
	_Atomic uint32_t flag[8];
	_Atomic uint64_t sent[8];  /* messages each producer completed */
	_Atomic uint64_t got[8];   /* messages each subscriber received */
	_Atomic uint64_t first[8]; /* first word each subscriber received */
	_Atomic uint64_t val[16];  /* case-specific */
	_Atomic uint64_t when[8];  /* CLOCK_MONOTONIC of case-specific events */
	_Atomic int64_t rc[8];     /* final return codes */
	_Atomic uint64_t count[8];
};
static struct shared *S;

static const char *
what_of(pid_t pid)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (kids[i].pid == pid)
			return kids[i].what;
	return "child";
}

static void
forget(pid_t pid)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (kids[i].pid == pid)
			kids[i].pid = 0;
}

/* Fork a channel user running fn(arg); it attaches by itself. */
static pid_t
spawn(const char *what, void (*fn)(const void *), const void *arg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		KAOS_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		memset(kids, 0, sizeof(kids));
		alarm(CHILD_ALARM_S);
		fn(arg);
		fflush(NULL);
		exit(0);
	}
	for (int i = 0; i < MAX_KIDS; i++) {
		if (kids[i].pid == 0) {
			kids[i] = (struct kid){ pid, what };
			return pid;
		}
	}
	kill(pid, SIGKILL);
	KAOS_FAIL("too many children");
}

/* Wait (bounded) for @p pid to end, or (stopped) to stop; its status. */
static int
reap_opt(pid_t pid, double secs, bool stopped)
{
	uint64_t deadline = kaos_now_ns() + (uint64_t)(secs * 1e9);
	for (;;) {
		int st = 0;
		pid_t r = waitpid(pid, &st, WNOHANG | (stopped ? WUNTRACED : 0));
		if (r == pid) {
			if (!WIFSTOPPED(st))
				forget(pid);
			return st;
		}
		if (r < 0)
			KAOS_FAIL("waitpid(%s %d): %s", what_of(pid), (int)pid, strerror(errno));
		if (kaos_now_ns() > deadline)
			KAOS_FAIL("%s (pid %d) did not %s within %.0f s", what_of(pid), (int)pid,
				  stopped ? "stop" : "finish", secs);
		sleep_ns(MS / 2);
	}
}

static void
describe_fail(pid_t pid, const char *what, int st, const char *expected)
{
	if (WIFEXITED(st))
		KAOS_FAIL("%s (pid %d) exited with %d, expected %s", what, (int)pid,
			  WEXITSTATUS(st), expected);
	if (WIFSIGNALED(st))
		KAOS_FAIL("%s (pid %d) died of signal %d (%s), expected %s", what, (int)pid,
			  WTERMSIG(st), strsignal(WTERMSIG(st)), expected);
	KAOS_FAIL("%s (pid %d) stopped, expected %s", what, (int)pid, expected);
}

/* The child must finish cleanly. */
static void
finish(pid_t pid)
{
	const char *what = what_of(pid);
	int st = reap_opt(pid, 90 * slack(), false);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		describe_fail(pid, what, st, "exit 0");
}

#define WAIT_UNTIL(cond, secs)                                                  \
	do {                                                                    \
		uint64_t wu_dl_ = kaos_now_ns() + (uint64_t)((secs) * slack() * 1e9); \
		while (!(cond)) {                                               \
			if (kaos_now_ns() > wu_dl_)                             \
				KAOS_FAIL("timed out after %.0f s waiting for %s", \
					  (double)(secs) * slack(), #cond);     \
			sleep_ns(MS / 4);                                       \
		}                                                               \
	} while (0)

/* Run each case in a process (and process group) of its own. */
static int
run_case(const struct kaos_test_case *c)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		owner_pid = getpid();
		S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
		if (S == MAP_FAILED)
			KAOS_FAIL("mmap: %s", strerror(errno));
		const int sigs[] = { SIGABRT, SIGALRM, SIGTERM, SIGINT, SIGHUP };
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], on_fatal);
		if (__sanitizer_set_death_callback) {
			__sanitizer_set_death_callback(on_sanitizer_death);
		} else { /* (a sanitizer reports these itself) */
			signal(SIGSEGV, on_fatal);
			signal(SIGBUS, on_fatal);
		}
		alarm(CASE_ALARM_S);
		c->fn();
		for (int i = 0; i < MAX_KIDS; i++)
			if (kids[i].pid > 0)
				KAOS_FAIL("case left %s (pid %d) running", kids[i].what,
					  (int)kids[i].pid);
		cleanup_names();
		fflush(NULL);
		exit(0);
	}
	setpgid(pid, pid);
	uint64_t deadline = kaos_now_ns() + (uint64_t)(CASE_ALARM_S + 30) * SEC;
	int st = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0) {
			perror("waitpid");
			return 1;
		}
		if (kaos_now_ns() > deadline) {
			fprintf(stderr, "case %s: no end after %d s, killing it\n", c->name,
				CASE_ALARM_S + 30);
			kill(-pid, SIGKILL); /* the group: the case and its children */
			waitpid(pid, &st, 0);
			return 1;
		}
		sleep_ns(2 * MS);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == KAOS_TEST_SKIP_CODE)
		return KAOS_TEST_SKIP_CODE;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		fprintf(stderr, "case %s: died of signal %d (%s)\n", c->name, WTERMSIG(st),
			strsignal(WTERMSIG(st)));
	else
		fprintf(stderr, "case %s: exit status %d\n", c->name, WEXITSTATUS(st));
	return 1;
}

/* kaos_test_main's command line (case names, --soak SECONDS), with each
 * case isolated; runs every case and reports all failures. */
static int
ipc_test_main(const struct kaos_test_case *cases, int argc, char **argv)
{
	double soak = 0;
	if (argc >= 3 && strcmp(argv[1], "--soak") == 0) {
		soak = strtod(argv[2], NULL);
		if (!(soak > 0)) {
			fprintf(stderr, "--soak needs a number of seconds\n");
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	int selected = 0, passed = 0, failed = 0, skipped = 0;
	for (const struct kaos_test_case *c = cases; c->name; c++) {
		bool wanted = argc < 2;
		for (int i = 1; i < argc; i++)
			wanted |= strcmp(argv[i], c->name) == 0;
		selected += wanted;
	}
	if (selected == 0) {
		fprintf(stderr, "no test matched\n");
		return 1;
	}
	/* backstop: every case's own wait is bounded as well */
	alarm((unsigned)(soak + selected * (CASE_ALARM_S + 60)));
	for (const struct kaos_test_case *c = cases; c->name; c++) {
		bool wanted = argc < 2;
		for (int i = 1; i < argc; i++)
			wanted |= strcmp(argv[i], c->name) == 0;
		if (!wanted)
			continue;
		printf("== %s\n", c->name);
		fflush(stdout);
		uint64_t t0 = kaos_now_ns();
		uint64_t end = t0 + (uint64_t)(soak * 1e9 / selected);
		unsigned reps = 0;
		int rc;
		do {
			rc = run_case(c);
			kaos_test_soak_round++;
			reps++;
		} while (rc == 0 && soak > 0 && kaos_now_ns() < end);
		double s = (double)(kaos_now_ns() - t0) / 1e9;
		if (rc == 0) {
			passed++;
			if (soak > 0)
				printf("  %u repeats ok, %.1f s\n", reps, s);
			else
				printf("  ok, %.2f s\n", s);
		} else if (rc == KAOS_TEST_SKIP_CODE) {
			skipped++;
		} else {
			failed++;
			printf("  FAILED: %s\n", c->name);
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	if (failed)
		return 1;
	return passed ? 0 : KAOS_TEST_SKIP_CODE;
}

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
 * peer (a dead one fails the run) and the deadline. */
struct idler {
	struct kaos_ipc *ch;
	const char *who;
	uint64_t deadline;
	uint32_t fails;
};

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
	if (kaos_now_ns() > d->deadline)
		KAOS_FAIL("%s: no progress before the deadline", d->who);
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
};

/* ==== 1. SPSC, 8-byte slots ==================================================== */

#define BATCH 4096

static void
spsc_zc_producer(const void *p)
{
	const struct vol_arg *a = p;
	struct kaos_ipc *ch = attach(&a->cfg, true, "producer");
	struct kaos_spsc *sp = kaos_ipc_spsc(ch);
	KAOS_ASSERT(sp);
	struct idler d = { ch, "producer", deadline(240), 0 };
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
	struct idler d = { ch, "subscriber", deadline(240), 0 };
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
	uint64_t t0 = kaos_now_ns();
	pid_t s = spawn("subscriber", spsc_zc_subscriber, &a);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	pid_t p = spawn("producer", spsc_zc_producer, &a);
	finish(p);
	finish(s);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), a.n);
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
	struct kaos_wait w = { .kind = KAOS_WAIT_YIELD, .timeout_ns = 30 * SEC };
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
	struct kaos_wait w = { .kind = KAOS_WAIT_YIELD, .timeout_ns = 30 * SEC };
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
	uint64_t t0 = kaos_now_ns();
	pid_t s = spawn("subscriber", spsc_copy_subscriber, &a);
	WAIT_UNTIL(atomic_load(&S->ready) == 1, 10);
	pid_t p = spawn("producer", spsc_copy_producer, &a);
	finish(p);
	finish(s);
	KAOS_ASSERT_UEQ(atomic_load(&S->got[0]), a.n);
	report("spsc send/receive", a.n, 0, t0);
}

/* ==== 2. message channels: 1..4096 bytes from a seed ============================ */

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
