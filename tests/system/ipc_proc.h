/* SPDX-License-Identifier: MIT */
/*
 * The process harness of the IPC system tests (test_ipc.c, stress_ipc.c):
 * each case runs in a process of its own and forks the channel users
 * (which attach after the fork); every wait has a deadline and every
 * process an alarm; channel names are removed when a case ends or dies.
 * Included by one test program each.
 */
#ifndef KAOS_TESTS_IPC_PROC_H
#define KAOS_TESTS_IPC_PROC_H

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


#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)
#define CASE_ALARM_S 300  /* a case process's backstop */
#define CHILD_ALARM_S 240 /* a channel user's backstop */

/* Time bounds are generous; sanitizer and emulator builds get more. */
static inline double
slack(void)
{
	return KAOS_TEST_DEFAULT_SCALE < 1 ? 4.0 : 1.0;
}

static inline void
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
static inline void
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

static inline void
kill_kids(void)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, SIGKILL);
}

/* A failed assertion (abort), the alarm, or an interrupt: in the case
 * process, kill its children and remove its channels; then die of it. */
static inline void
on_fatal(int sig)
{
	if (getpid() == owner_pid) {
		kill_kids();
		cleanup_names();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline void
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
static inline const char *
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

static inline bool
is_shm_name(const char *name)
{
	return name[0] == '/' && name[1] && !strchr(name + 1, '/');
}

/* The channel's file, opened directly (to corrupt it, stat it). */
static inline int
raw_open(const char *name, int flags, mode_t mode)
{
	return is_shm_name(name) ? shm_open(name, flags, mode) : open(name, flags, mode);
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

/* Between the runs of a case (no child running). */
static inline void
reset_shared(void)
{
	memset((void *)S, 0, sizeof(*S));
}

static inline const char *
what_of(pid_t pid)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (kids[i].pid == pid)
			return kids[i].what;
	return "child";
}

static inline void
forget(pid_t pid)
{
	for (int i = 0; i < MAX_KIDS; i++)
		if (kids[i].pid == pid)
			kids[i].pid = 0;
}

/* Fork a channel user running fn(arg); it attaches by itself. */
static inline pid_t
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
static inline int
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

static inline void
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
static inline void
finish(pid_t pid)
{
	const char *what = what_of(pid);
	int st = reap_opt(pid, 90 * slack(), false);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		describe_fail(pid, what, st, "exit 0");
}

/* The child must stop itself (raise(SIGSTOP)). */
static inline void
wait_stopped(pid_t pid)
{
	const char *what = what_of(pid);
	int st = reap_opt(pid, 30 * slack(), true);
	if (!WIFSTOPPED(st))
		describe_fail(pid, what, st, "to stop");
}

/* SIGKILL the child (running or stopped) and reap it. */
static inline void
kill_child(pid_t pid)
{
	const char *what = what_of(pid);
	if (kill(pid, SIGKILL) < 0)
		KAOS_FAIL("kill(%s): %s", what, strerror(errno));
	int st = reap_opt(pid, 30, false);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		describe_fail(pid, what, st, "death by SIGKILL");
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
static inline int
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
static inline int
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

#endif /* KAOS_TESTS_IPC_PROC_H */
