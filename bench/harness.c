/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kaos/kaos.h>

/* Filled in by bench/CMakeLists.txt. */
#ifndef KB_BUILD_TYPE
#define KB_BUILD_TYPE "unknown"
#endif
#ifndef KB_C_FLAGS
#define KB_C_FLAGS "unknown"
#endif
#ifndef KB_CXX_COMPILER
#define KB_CXX_COMPILER "none"
#endif
#ifndef KB_CXX_FLAGS
#define KB_CXX_FLAGS ""
#endif

#if defined(__clang__)
#define KB_CC __VERSION__ /* "Debian Clang 14.0.6" */
#elif defined(__GNUC__)
#define KB_CC "gcc " __VERSION__
#else
#define KB_CC "cc " __VERSION__
#endif

/* ---- time, watchdog ---------------------------------------------------- */

static double
ts_seconds(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec * 1e-9;
}

static double
now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_seconds(&t);
}

/* A run that hangs (an adapter losing events) must not hang CI: every run
 * is under an alarm whose handler prints this message and exits. */
static char kb_alarm_msg[512];

/* Removes a program's named shared objects on an abnormal exit. */
static void (*kb_abort_hook)(void);

void
kb_set_abort_hook(void (*fn)(void))
{
	kb_abort_hook = fn;
}

static void
kb_on_alarm(int sig)
{
	(void)sig;
	ssize_t w = write(STDERR_FILENO, kb_alarm_msg, strlen(kb_alarm_msg));
	(void)w;
	if (kb_abort_hook)
		kb_abort_hook();
	_exit(3);
}

static void
kb_watchdog(const char *what, uint64_t events)
{
	/* 60 s plus 200 ns per event: far beyond any sane run. */
	unsigned secs = 60 + (unsigned)(events / 5000000);
	snprintf(kb_alarm_msg, sizeof(kb_alarm_msg),
		 "\nbench: %.300s did not finish within %u s (lost events or a "
		 "deadlock); aborting\n", what, secs);
	alarm(secs);
}

/* ---- threads ---------------------------------------------------------------- */

static void
kb_wait_pause(unsigned *spins)
{
	kaos_cpu_relax();
	/* Only matters when threads share a CPU (unpinned, oversubscribed). */
	if (++*spins % 1024 == 0)
		sched_yield();
}

/* Pin the calling thread to @p cpu (-1: leave it); 0, or -1 (printed). */
static int
kb_pin(int cpu)
{
	int rc = cpu >= 0 ? kaos_pin_thread(cpu) : 0;
	if (rc < 0)
		fprintf(stderr, "bench: cannot pin to CPU %d: %s\n", cpu,
			kaos_strerror(rc));
	return rc < 0 ? -1 : 0;
}

/* ---- team runner ------------------------------------------------------------ */

struct kb_crew;

struct kb_member {
	struct kb_crew *crew;
	unsigned index;
	int cpu;     /* -1: unpinned */
	int rc;
	struct timespec end;
};

struct kb_crew {
	_Atomic unsigned ready; /* members pinned and waiting */
	_Atomic unsigned go;    /* the clock has started */
	unsigned n;
	struct timespec start;  /* written by member 0 before go */
	const struct kb_team *team;
	uint64_t events;
	struct kb_member *member;
};

static void *
kb_member_main(void *p)
{
	struct kb_member *m = p;
	struct kb_crew *crew = m->crew;
	unsigned spins = 0;

	if (kb_pin(m->cpu) != 0)
		exit(1); /* the others would wait for this one forever */
	/* T1: release, pairs with T2: this member is pinned and waits. */
	atomic_fetch_add_explicit(&crew->ready, 1, memory_order_release);
	if (m->index == 0) {
		/* T2: acquire, pairs with T1 of every member. */
		while (atomic_load_explicit(&crew->ready, memory_order_acquire) <
		       crew->n)
			kb_wait_pause(&spins);
		clock_gettime(CLOCK_MONOTONIC, &crew->start);
		/* T3: release, pairs with T4: the others leave their wait. */
		atomic_store_explicit(&crew->go, 1, memory_order_release);
	} else {
		/* T4: acquire, pairs with T3. */
		while (!atomic_load_explicit(&crew->go, memory_order_acquire))
			kb_wait_pause(&spins);
	}
	m->rc = crew->team->thread(crew->team->arg, m->index, crew->events);
	clock_gettime(CLOCK_MONOTONIC, &m->end);
	return NULL;
}

/* Run a team over @p events on team->nthreads threads, thread i pinned to
 * b->cpus[i % b->ncpus]; thread creation is outside the timed region,
 * which starts when all wait pinned and ends when the last one finishes.
 * pthread_join() publishes their results to this thread, which sleeps in
 * it meanwhile and so takes no CPU from them. More threads than CPUs share
 * them (oversubscription): the waits of the workloads yield. After
 * b->team_cap seconds the team is asked to stop (*capped set). */
static int
kb_run_team(const struct kb_bench *b, const struct kb_team *team,
	    uint64_t events, double *seconds, int *capped)
{
	struct kb_crew crew;
	unsigned n = team->nthreads ? team->nthreads : 1;
	pthread_t *tid = calloc(n, sizeof(*tid));
	struct kb_member *member = calloc(n, sizeof(*member));
	int rc = 0;

	if (!tid || !member)
		abort();
	memset(&crew, 0, sizeof(crew));
	atomic_init(&crew.ready, 0);
	atomic_init(&crew.go, 0);
	crew.n = n;
	crew.team = team;
	crew.events = events;
	crew.member = member;
	for (unsigned i = 0; i < n; i++) {
		member[i].crew = &crew;
		member[i].index = i;
		member[i].cpu = b->ncpus > 0 ? b->cpus[i % (unsigned)b->ncpus] : -1;
	}
	for (unsigned i = 0; i < n; i++) {
		int err = pthread_create(&tid[i], NULL, kb_member_main, &member[i]);
		if (err) {
			/* The threads already started wait for this one. */
			fprintf(stderr, "bench: pthread_create: %s\n", strerror(err));
			exit(1);
		}
	}
	*capped = 0;
	unsigned joined = 0;
	if (b->team_cap > 0 && team->stop) {
		/* The cap counts from the start of the clock, once every
		 * thread is up and pinned (which can take a while on a busy
		 * machine); poll for it, sleeping, so as not to compete. */
		struct timespec nap = { 0, 1000000 }, dl;
		/* acquire: pairs with T3; crew.start is written before it */
		while (!atomic_load_explicit(&crew.go, memory_order_acquire))
			nanosleep(&nap, NULL);
		double t = ts_seconds(&crew.start) + b->team_cap;
		dl.tv_sec = (time_t)t;
		dl.tv_nsec = (long)((t - (double)dl.tv_sec) * 1e9);
		for (; joined < n; joined++) {
			int err = pthread_clockjoin_np(tid[joined], NULL,
						       CLOCK_MONOTONIC, &dl);
			if (err == ETIMEDOUT) {
				team->stop(team->arg);
				*capped = 1;
				break;
			}
		}
	}
	for (; joined < n; joined++)
		pthread_join(tid[joined], NULL);
	double end = 0;
	for (unsigned i = 0; i < n; i++) {
		if (ts_seconds(&member[i].end) > end)
			end = ts_seconds(&member[i].end);
		if (member[i].rc)
			rc = -1;
	}
	*seconds = end - ts_seconds(&crew.start);
	free(tid);
	free(member);
	return rc;
}

/* A producer and a consumer: a team of two, thread 0 (the producer)
 * pinned to cpu[0], which starts the clock, thread 1 to cpu[1]. */
struct kb_pair {
	kb_side_fn side[2];
	void *arg;
};

static int
kb_pair_thread(void *arg, unsigned index, uint64_t events)
{
	const struct kb_pair *p = arg;
	return p->side[index](p->arg, events);
}

static int
kb_run_pair(const struct kb_bench *b, kb_side_fn prod, kb_side_fn cons,
	    void *arg, uint64_t events, double *seconds)
{
	struct kb_pair pair = { { prod, cons }, arg };
	struct kb_team team = { .arg = &pair, .nthreads = 2,
				.thread = kb_pair_thread };
	int capped;
	return kb_run_team(b, &team, events, seconds, &capped);
}

/* ---- process-pair runner ---------------------------------------------------- */

void *
kb_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "bench: mmap(MAP_SHARED, %zu): %s\n", len,
			strerror(errno));
		return NULL;
	}
	memset(p, 0, len); /* fault every page in now, not in a timed run */
	return p;
}

void
kb_shared_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

/* The start handshake of a process pair, in memory shared with the child. */
struct kb_proc_sync {
	alignas(128) _Atomic unsigned ready; /* sides pinned and waiting */
	_Atomic unsigned go;     /* the clock has started */
	_Atomic unsigned failed; /* the child could not get ready */
	alignas(128) struct timespec start; /* the producer's, before go */
	struct timespec child_end; /* the child's, after its consumer */
};

static struct kb_proc_sync *kb_sync; /* allocated on first use */

/* The producer thread of a process pair. */
struct kb_proc_side {
	const struct kb_proc *p;
	uint64_t events;
	int cpu; /* -1: unpinned */
	pid_t child;
	int rc;
	struct timespec end;
};

static void *
kb_proc_producer_main(void *v)
{
	struct kb_proc_side *s = v;
	struct kb_proc_sync *sync = kb_sync;
	unsigned spins = 0;

	if (kb_pin(s->cpu) != 0) {
		s->rc = -1;
		kill(s->child, SIGKILL); /* it waits for go forever */
		return NULL;
	}
	/* R1 (as T1 in kb_member_main), across the two processes: release, pairs
	 * with the child's acquire of go (it sees a started clock) and ours
	 * of ready below. */
	atomic_fetch_add_explicit(&sync->ready, 1, memory_order_release);
	/* R2: acquire, pairs with the child's R1: it is pinned, attached
	 * (child_open done) and spins on its CPU. */
	while (atomic_load_explicit(&sync->ready, memory_order_acquire) < 2) {
		/* acquire: pairs with the child's store of failed */
		if (atomic_load_explicit(&sync->failed, memory_order_acquire)) {
			s->rc = -1;
			return NULL;
		}
		kb_wait_pause(&spins);
	}
	clock_gettime(CLOCK_MONOTONIC, &sync->start);
	/* G1: release, pairs with the child's G2. */
	atomic_store_explicit(&sync->go, 1, memory_order_release);
	s->rc = s->p->producer(s->p->arg, s->events);
	clock_gettime(CLOCK_MONOTONIC, &s->end);
	if (s->rc != 0)
		kill(s->child, SIGKILL); /* it would wait for the rest forever */
	return NULL;
}

void *
kb_alloc_lines(size_t line, size_t size)
{
	size = (size + line - 1) / line * line;
	void *p = aligned_alloc(line, size);
	if (p)
		memset(p, 0, size);
	return p;
}

pid_t
kb_fork(int sig)
{
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, sig);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

/* The child of a process pair: never returns. It dies with the program
 * (SIGKILL: the watchdog's _exit included), rather than spin on an empty
 * channel forever. */
static void
kb_proc_child(const struct kb_bench *b, const struct kb_proc *p,
	      uint64_t events)
{
	struct kb_proc_sync *sync = kb_sync;
	unsigned spins = 0;

	if (kb_pin(b->cpu[1]) != 0) {
		/* release: pairs with the producer's acquire */
		atomic_store_explicit(&sync->failed, 1, memory_order_release);
		_exit(1);
	}
	if (p->child_open && p->child_open(p->arg) != 0) {
		atomic_store_explicit(&sync->failed, 1, memory_order_release);
		_exit(1);
	}
	/* R1: release, pairs with the producer's R2. */
	atomic_fetch_add_explicit(&sync->ready, 1, memory_order_release);
	/* G2: acquire, pairs with G1. */
	while (!atomic_load_explicit(&sync->go, memory_order_acquire))
		kb_wait_pause(&spins);
	int rc = p->consumer(p->arg, events);
	clock_gettime(CLOCK_MONOTONIC, &sync->child_end);
	if (p->child_close)
		p->child_close(p->arg);
	/* _exit: no atexit handlers, no second flush of the parent's stdio
	 * buffers (flushed before the fork anyway). */
	_exit(rc == 0 ? 0 : 1);
}

static void
kb_describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status %#x", status);
}

/* Run @p p over @p events: fork the consumer's process, start the
 * producer's thread, time from the moment both wait pinned to the later
 * end. The main thread sleeps in waitpid() meanwhile. */
static int
kb_run_proc_pair(const struct kb_bench *b, const struct kb_proc *p,
		 uint64_t events, double *seconds)
{
	if (!kb_sync) {
		kb_sync = kb_shared_alloc(sizeof(*kb_sync));
		if (!kb_sync)
			return -1;
	}
	memset(kb_sync, 0, sizeof(*kb_sync));
	atomic_init(&kb_sync->ready, 0);
	atomic_init(&kb_sync->go, 0);
	atomic_init(&kb_sync->failed, 0);

	pid_t pid = kb_fork(SIGKILL);
	if (pid < 0) {
		fprintf(stderr, "bench: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0)
		kb_proc_child(b, p, events);

	struct kb_proc_side side = { p, events, b->cpu[0], pid, 0, { 0, 0 } };
	pthread_t tid;
	int err = pthread_create(&tid, NULL, kb_proc_producer_main, &side);
	if (err) {
		fprintf(stderr, "bench: pthread_create: %s\n", strerror(err));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "bench: waitpid: %s\n", strerror(errno));
			status = -1;
			break;
		}
	}
	if (status != 0) {
		char how[128];
		kb_describe_status(how, sizeof(how), status);
		/* A producer still waiting for the child to get ready stops
		 * waiting (release: pairs with its acquire of failed). */
		atomic_store_explicit(&kb_sync->failed, 1, memory_order_release);
		/* The producer may be stuck on a channel nobody drains any more
		 * (a pipe whose read end this process still holds, a full
		 * ring): give it a moment, else give up on the program. */
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 5;
		if (pthread_timedjoin_np(tid, NULL, &dl) != 0) {
			fprintf(stderr, "bench: %s: the consumer process %s and the "
					"producer cannot finish; aborting\n",
				p->name, how);
			if (kb_abort_hook)
				kb_abort_hook();
			_exit(1);
		}
		fprintf(stderr, "bench: %s: the consumer process %s\n", p->name,
			how);
		return -1;
	}
	pthread_join(tid, NULL);
	if (side.rc != 0)
		return -1;
	double end = ts_seconds(&side.end);
	if (ts_seconds(&kb_sync->child_end) > end)
		end = ts_seconds(&kb_sync->child_end);
	*seconds = end - ts_seconds(&kb_sync->start);
	return 0;
}

/* ---- core-to-core probe -------------------------------------------------- */

#define KB_PROBE_WARM 2000
#define KB_PROBE_BLOCKS 100
#define KB_PROBE_PER_BLOCK 200 /* 100 x 200 = 20,000 timed round trips */

struct kb_probe {
	alignas(128) _Atomic uint64_t line; /* the cache line that bounces */
	alignas(128) double block_ns[KB_PROBE_BLOCKS]; /* pinger's */
};

/* Round trip k: the pinger writes 2k+1, the ponger answers 2k+2. Each
 * store hands the line over; release/acquire as for a message handoff,
 * though no other data rides on it. A plain spin (no pause) so the probe
 * measures the transfer, not the pause instruction. */
static int
kb_probe_ping(void *arg, uint64_t trips)
{
	struct kb_probe *p = arg;
	uint64_t k = 0;
	(void)trips;
	for (int blk = -1; blk < KB_PROBE_BLOCKS; blk++) {
		int n = blk < 0 ? KB_PROBE_WARM : KB_PROBE_PER_BLOCK;
		double t0 = now_seconds();
		for (int j = 0; j < n; j++, k++) {
			/* P1: release, pairs with P2. */
			atomic_store_explicit(&p->line, 2 * k + 1, memory_order_release);
			/* P4: acquire, pairs with P3. */
			while (atomic_load_explicit(&p->line, memory_order_acquire) !=
			       2 * k + 2)
				;
		}
		if (blk >= 0)
			p->block_ns[blk] = (now_seconds() - t0) * 1e9 / n;
	}
	return 0;
}

static int
kb_probe_pong(void *arg, uint64_t trips)
{
	struct kb_probe *p = arg;
	for (uint64_t k = 0; k < trips; k++) {
		/* P2: acquire, pairs with P1. */
		while (atomic_load_explicit(&p->line, memory_order_acquire) !=
		       2 * k + 1)
			;
		/* P3: release, pairs with P4. */
		atomic_store_explicit(&p->line, 2 * k + 2, memory_order_release);
	}
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double
median(const double *v, unsigned n)
{
	if (n == 0)
		return NAN;
	double *s = malloc(n * sizeof(*s));
	if (!s)
		abort();
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

static double
min_of(const double *v, unsigned n)
{
	double m = n ? v[0] : NAN;
	for (unsigned i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double
max_of(const double *v, unsigned n)
{
	double m = n ? v[0] : NAN;
	for (unsigned i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

double
kb_probe_rtt(const struct kb_bench *b)
{
	if (b->cpu[0] < 0)
		return NAN;
	struct kb_probe *p = aligned_alloc(128, sizeof(*p));
	if (!p)
		abort();
	memset(p, 0, sizeof(*p));
	atomic_init(&p->line, 0);
	double secs, rtt = NAN;
	kb_watchdog("the core-to-core probe", 0);
	if (kb_run_pair(b, kb_probe_ping, kb_probe_pong, p,
			KB_PROBE_WARM + KB_PROBE_BLOCKS * KB_PROBE_PER_BLOCK,
			&secs) == 0)
		rtt = median(p->block_ns, KB_PROBE_BLOCKS);
	alarm(0);
	free(p);
	return rtt;
}

/* ---- set-up: command line, CPUs, machine -------------------------------- */

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--quick|--full|--smoke] [--json FILE] [--cpus P,C]\n"
		"          [--only-kaos] [--exact] [FILTER]\n"
		"  --quick   default: every case but the 1B traces, few rounds\n"
		"  --full    more rounds and the 1B trace cases\n"
		"  --smoke   every case with tiny counts, one round (CI)\n"
		"  --json    append JSON lines here (default: $KAOS_BENCH_JSON,\n"
		"            else results.jsonl next to the program)\n"
		"  --cpus    producer and consumer CPUs (default: the first two\n"
		"            this process may use)\n"
		"  --only-kaos\n"
		"            run kaos alone, no peer (peers are still set up, not\n"
		"            run): one build against another (tools/bench-ab.sh)\n"
		"  --exact   FILTER is a whole case name, not a part of one\n"
		"  FILTER    run only cases whose name contains it\n",
		prog);
}

static void
read_cpu_model(char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	snprintf(out, len, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon || strncmp(line, "model name", 10) != 0)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = 0;
		snprintf(out, len, "%s", colon);
		break;
	}
	fclose(f);
}

static void
read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (!f)
		return;
	if (!fgets(out, (int)len, f))
		out[0] = 0;
	out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static int
is_allowed(int cpu, const int *allowed, int n)
{
	for (int i = 0; i < n; i++)
		if (allowed[i] == cpu)
			return 1;
	return 0;
}

static void
choose_cpus(struct kb_bench *b, const char *spec, const char *prog)
{
	int allowed[1024];
	int n = kaos_cpus_allowed(allowed, 1024);
	if (n > 1024)
		n = 1024;
	b->cpu[0] = b->cpu[1] = -1;
	if (spec) {
		int p, c;
		if (sscanf(spec, "%d,%d", &p, &c) != 2 || p == c ||
		    !is_allowed(p, allowed, n) || !is_allowed(c, allowed, n)) {
			fprintf(stderr, "%s: --cpus wants two different allowed "
					"CPUs, got '%s'\n", prog, spec);
			exit(2);
		}
		b->cpu[0] = p;
		b->cpu[1] = c;
		b->cpus[0] = p;
		b->cpus[1] = c;
		b->ncpus = 2;
	} else if (n >= 2) {
		b->cpu[0] = allowed[0];
		b->cpu[1] = allowed[1];
		memcpy(b->cpus, allowed, (size_t)n * sizeof(int));
		b->ncpus = n;
	}
}

void
kb_init(struct kb_bench *b, const char *area, int argc, char **argv)
{
	const char *json = getenv("KAOS_BENCH_JSON");
	const char *cpus = NULL;
	const char *prog = argc > 0 ? argv[0] : "bench";

	memset(b, 0, sizeof(*b));
	b->area = area;
	b->mode = KB_QUICK;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--quick")) {
			b->mode = KB_QUICK;
		} else if (!strcmp(a, "--full")) {
			b->mode = KB_FULL;
		} else if (!strcmp(a, "--smoke")) {
			b->mode = KB_SMOKE;
		} else if (!strcmp(a, "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (!strcmp(a, "--cpus") && i + 1 < argc) {
			cpus = argv[++i];
		} else if (!strcmp(a, "--only-kaos")) {
			b->only_kaos = 1;
		} else if (!strcmp(a, "--exact")) {
			b->exact = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout, prog);
			exit(0);
		} else if (a[0] == '-' || b->filter) {
			usage(stderr, prog);
			exit(2);
		} else {
			b->filter = a;
		}
	}

	if (json && *json) {
		snprintf(b->json_path, sizeof(b->json_path), "%s", json);
	} else {
		char exe[2048];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = 0;
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		snprintf(b->json_path, sizeof(b->json_path), "%s/results.jsonl",
			 slash ? exe : ".");
	}
	choose_cpus(b, cpus, prog);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kb_on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(b->date, sizeof(b->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	read_cpu_model(b->cpu_model, sizeof(b->cpu_model));

	int tmp[1024];
	int online = kaos_cpus_online(tmp, 1024);
	int allowed = kaos_cpus_allowed(tmp, 1024);
	struct utsname un;
	char thp[128];
	if (uname(&un) != 0)
		memset(&un, 0, sizeof(un));
	read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof(thp));

	static const char *const mode_name[] = { "smoke", "quick", "full" };
	printf("kaos benchmarks: %s (%s mode), %s\n", area, mode_name[b->mode],
	       b->date);
	printf("  cpu       %s; %d online CPUs, %d allowed\n", b->cpu_model,
	       online, allowed);
	printf("  kernel    %s %s %s\n", un.sysname, un.release, un.machine);
	printf("  thp       %s\n", thp[0] ? thp : "n/a");
	printf("  compiler  %s; C++: %s\n", KB_CC, KB_CXX_COMPILER);
	printf("  flags     C: %s | C++: %s | build type %s\n", KB_C_FLAGS,
	       KB_CXX_FLAGS, KB_BUILD_TYPE);
	printf("  kaos      %s\n", kaos_version());
	char load[128];
	double l1, l5, l15;
	read_line("/proc/loadavg", load, sizeof(load));
	if (sscanf(load, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		printf("  load      %.2f %.2f %.2f%s\n", l1, l5, l15,
		       l1 > 0.5 ? " (other work is running: expect noise)" : "");
	if (b->cpu[0] >= 0)
		printf("  threads   producer on CPU %d, consumer on CPU %d\n",
		       b->cpu[0], b->cpu[1]);
	else
		printf("  threads   unpinned (fewer than two CPUs allowed): "
		       "numbers are not meaningful\n");
	printf("  results   %s\n", b->json_path);
	if (b->only_kaos)
		printf("  only      kaos (--only-kaos): no peer below is run\n");
	if (strcmp(KB_BUILD_TYPE, "Release") != 0)
		printf("  WARNING   not a Release build: numbers are not meaningful\n");
}

int
kb_selected(const struct kb_bench *b, const struct kb_case *c)
{
	if (b->mode == KB_QUICK && c->rounds_quick == 0)
		return 0;
	if (!b->filter)
		return 1;
	return b->exact ? strcmp(c->name, b->filter) == 0
			: strstr(c->name, b->filter) != NULL;
}

static uint64_t
round_to_unit(uint64_t events, uint64_t unit)
{
	unit = unit ? unit : 1;
	events -= events % unit;
	return events ? events : unit;
}

uint64_t
kb_case_events(const struct kb_bench *b, const struct kb_case *c)
{
	uint64_t cap = b->smoke_events ? b->smoke_events : KB_SMOKE_EVENTS;
	if (b->mode == KB_SMOKE && c->events > cap)
		return round_to_unit(cap, c->unit);
	return c->events;
}

/* ---- one case ---------------------------------------------------------------- */

/* One implementation of a case, whatever runs it. */
struct kb_entry {
	const char *name, *note, *row;
	void *arg;
	int (*prepare)(void *arg, uint64_t events);
	int (*verify)(void *arg, uint64_t events, char *msg, size_t len);
	int (*latency)(void *arg, struct kb_latency *out);
	uint64_t (*done)(void *arg, uint64_t events);
	struct kb_team team;        /* threads run it (a kb_impl: two), or */
	const struct kb_proc *proc; /* a process pair does */
	struct kb_pair pair;        /* a kb_impl's sides */
	int is_team;                /* from kb_run_team_case (JSON threads) */
	uint64_t events;            /* per measured run; 0: the case's */
};

/* One implementation's results in a case. */
struct kb_series {
	double *eps, *ratio, *rtt;
	unsigned n_eps, n_ratio, n_rtt;
	int failed;
	int warm_capped; /* the warm-up hit the cap: one measured run only */
	unsigned capped; /* measured runs stopped at the cap */
	struct kb_latency *lat; /* per measured run with latencies */
	double *lat_ratio;      /* its p50 / the probe of its round */
	unsigned n_lat;
};

/* One run of @p events: 0 and the rate, or -1 (the failure printed). */
static int
kb_run_one(struct kb_bench *b, const struct kb_case *c,
	   const struct kb_entry *en, uint64_t events, double *eps, int *capped,
	   struct kb_latency *lat, int *has_lat)
{
	char what[256], msg[256];
	double secs;
	uint64_t done = events;
	int rc;

	*capped = 0;
	*has_lat = 0;

	snprintf(what, sizeof(what), "%s on %s (%llu events)", en->name,
		 en->row ? en->row : c->name, (unsigned long long)events);
	rc = en->prepare ? en->prepare(en->arg, events) : 0;
	if (rc != 0) {
		printf("!! FAILED: %s: cannot prepare the run\n", what);
	} else {
		kb_watchdog(what, events);
		rc = en->proc ? kb_run_proc_pair(b, en->proc, events, &secs)
			      : kb_run_team(b, &en->team, events, &secs, capped);
		alarm(0);
		/* before verify, which may drain what a stopped run left */
		if (rc == 0 && en->done)
			done = en->done(en->arg, events);
		if (rc == 0 && en->verify(en->arg, events, msg, sizeof(msg)) != 0) {
			printf("!! FAILED: %s: %s\n", what, msg);
			rc = -1;
		} else if (rc != 0) {
			printf("!! FAILED: %s: the run reported an error\n", what);
		}
		if (rc == 0 && en->latency)
			*has_lat = en->latency(en->arg, lat) == 0;
	}
	if (rc != 0) {
		b->failures++;
		return -1;
	}
	if (done == 0) {
		printf("!! FAILED: %s: stopped at the %.2f s cap before any event "
		       "went through\n", what, b->team_cap);
		b->failures++;
		return -1;
	}
	*eps = (double)done / secs;
	return 0;
}

static void
fmt_rate(char *buf, size_t len, double eps)
{
	if (eps >= 1e12)
		snprintf(buf, len, "%6.2f T/s", eps / 1e12);
	else if (eps >= 1e9)
		snprintf(buf, len, "%6.2f G/s", eps / 1e9);
	else if (eps >= 1e6)
		snprintf(buf, len, "%6.1f M/s", eps / 1e6);
	else
		snprintf(buf, len, "%6.1f K/s", eps / 1e3);
}

static int
case_width(const struct kb_bench *b)
{
	return b->case_width > 0 ? b->case_width : 24;
}

static int
impl_width(const struct kb_bench *b)
{
	return b->impl_width > 0 ? b->impl_width : 11;
}

static void
print_header(struct kb_bench *b)
{
	if (b->header_printed)
		return;
	b->header_printed = 1;
	printf("\n%-*s %-*s %10s %10s %10s %7s %6s %9s\n", case_width(b), "case",
	       impl_width(b), "impl", "median", "min", "max", "ns/ev", "rtt ns",
	       "kaos/peer");
}

static void
print_row(const struct kb_bench *b, const char *case_name, const char *impl,
	  const struct kb_series *s, int peer)
{
	char med[32], lo[32], hi[32];
	double m = median(s->eps, s->n_eps);
	fmt_rate(med, sizeof(med), m);
	fmt_rate(lo, sizeof(lo), min_of(s->eps, s->n_eps));
	fmt_rate(hi, sizeof(hi), max_of(s->eps, s->n_eps));
	double rtt = median(s->rtt, s->n_rtt);
	double ns = 1e9 / m;
	printf("%-*s %-*s %10s %10s %10s %7.*f ", case_width(b), case_name,
	       impl_width(b), impl, med, lo, hi,
	       ns < 0.1 ? 5 : ns < 100 ? 2 : 0, ns);
	if (isnan(rtt))
		printf("%6s", "n/a");
	else
		printf("%6.0f", rtt);
	if (peer)
		printf(" %8.2fx", median(s->ratio, s->n_ratio));
	printf("\n");
}

/* The seed's verdict on a one-way latency in ns. */
static const char *
kb_verdict(double ns)
{
	return ns < 100 ? "good" : ns <= 1000 ? "warning" : "bad";
}

/* The latency line of a round-trip row: medians over the measured runs
 * (max: the largest), the probe and p50/probe. */
static void
print_latency(const struct kb_bench *b, const struct kb_series *s)
{
	double p50[s->n_lat], p90[s->n_lat], p99[s->n_lat], p999[s->n_lat],
		mx[s->n_lat];
	for (unsigned i = 0; i < s->n_lat; i++) {
		p50[i] = s->lat[i].p50_ns;
		p90[i] = s->lat[i].p90_ns;
		p99[i] = s->lat[i].p99_ns;
		p999[i] = s->lat[i].p999_ns;
		mx[i] = s->lat[i].max_ns;
	}
	double m50 = median(p50, s->n_lat), m99 = median(p99, s->n_lat);
	printf("%-*s   (round trip: p50 %.0f ns, p90 %.0f, p99 %.0f, p99.9 %.0f, "
	       "max %.0f; probe %.0f ns; p50/probe %.2fx)\n",
	       case_width(b), "", m50, median(p90, s->n_lat), m99,
	       median(p999, s->n_lat), max_of(mx, s->n_lat),
	       median(s->rtt, s->n_rtt), median(s->lat_ratio, s->n_lat));
	/* The seed's key metric (PROFILING.md): send / recv latency < 100 ns
	 * good, 100 ns - 1 us warning, > 1 us bad; here of one way, taken as
	 * half the round trip. */
	printf("%-*s   (one way = round trip / 2: p50 %.0f ns %s, p99 %.0f ns %s; "
	       "seed metric: < 100 ns good, > 1 us bad)\n",
	       case_width(b), "", m50 / 2, kb_verdict(m50 / 2), m99 / 2,
	       kb_verdict(m99 / 2));
}

/* JSON strings here are names and machine text; escape what JSON needs. */
static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void
json_number(FILE *f, const char *key, double v, int decimals)
{
	fprintf(f, ",\"%s\":", key);
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.*f", decimals, v);
}

static void
write_json(struct kb_bench *b, const struct kb_case *c, const struct kb_entry *en,
	   const struct kb_series *s, int peer, uint64_t events, uint64_t warm)
{
	static const char *const mode_name[] = { "smoke", "quick", "full" };
	char name[256];
	FILE *f = fopen(b->json_path, "a");
	if (!f) {
		fprintf(stderr, "bench: cannot append to %s: %s\n", b->json_path,
			strerror(errno));
		b->failures++;
		return;
	}
	if (en->row)
		snprintf(name, sizeof(name), "%s", en->row);
	else if (peer)
		snprintf(name, sizeof(name), "peer/%s/%s", en->name, c->name);
	else
		snprintf(name, sizeof(name), "%s", c->name);
	double m = median(s->eps, s->n_eps);
	fputs("{\"bench\":", f);
	json_string(f, b->area);
	fputs(",\"case\":", f);
	json_string(f, name);
	fputs(",\"impl\":", f);
	json_string(f, en->name);
	fprintf(f, ",\"events\":%llu,\"runs\":%u", (unsigned long long)events,
		s->n_eps);
	json_number(f, "median_eps", m, 0);
	json_number(f, "min_eps", min_of(s->eps, s->n_eps), 0);
	json_number(f, "max_eps", max_of(s->eps, s->n_eps), 0);
	json_number(f, "ns_per_event", 1e9 / m, 4);
	json_number(f, "rtt_ns", median(s->rtt, s->n_rtt), 1);
	json_number(f, "rtt_min_ns", min_of(s->rtt, s->n_rtt), 1);
	json_number(f, "rtt_max_ns", max_of(s->rtt, s->n_rtt), 1);
	if (peer) {
		json_number(f, "ratio", median(s->ratio, s->n_ratio), 4);
		json_number(f, "ratio_min", min_of(s->ratio, s->n_ratio), 4);
		json_number(f, "ratio_max", max_of(s->ratio, s->n_ratio), 4);
	}
	fprintf(f, ",\"warmup_events\":%llu", (unsigned long long)warm);
	if (en->is_team)
		fprintf(f, ",\"threads\":%u,\"capped_runs\":%u",
			en->team.nthreads, s->capped);
	if (en->proc)
		fputs(",\"processes\":2", f);
	if (s->n_lat) {
		double v[5][s->n_lat];
		for (unsigned i = 0; i < s->n_lat; i++) {
			v[0][i] = s->lat[i].p50_ns;
			v[1][i] = s->lat[i].p99_ns;
			v[2][i] = s->lat[i].p999_ns;
			v[3][i] = s->lat[i].max_ns;
			v[4][i] = s->lat[i].p90_ns;
		}
		json_number(f, "p50_ns", median(v[0], s->n_lat), 1);
		json_number(f, "p90_ns", median(v[4], s->n_lat), 1);
		json_number(f, "p99_ns", median(v[1], s->n_lat), 1);
		json_number(f, "p999_ns", median(v[2], s->n_lat), 1);
		json_number(f, "max_ns", max_of(v[3], s->n_lat), 1);
		json_number(f, "p50_probe_ratio", median(s->lat_ratio, s->n_lat), 4);
		json_number(f, "p50_probe_ratio_min", min_of(s->lat_ratio, s->n_lat), 4);
		json_number(f, "p50_probe_ratio_max", max_of(s->lat_ratio, s->n_lat), 4);
	}
	if (c->json_extra && *c->json_extra)
		fprintf(f, ",%s", c->json_extra);
	if (en->note) {
		fputs(",\"note\":", f);
		json_string(f, en->note);
	}
	fprintf(f, ",\"mode\":\"%s\",\"date\":\"%s\",\"cpu\":", mode_name[b->mode],
		b->date);
	json_string(f, b->cpu_model);
	fputs(",\"cc\":", f);
	json_string(f, KB_CC);
	fprintf(f, ",\"cpus\":[%d,%d]}\n", b->cpu[0], b->cpu[1]);
	if (fclose(f) != 0) {
		fprintf(stderr, "bench: writing %s failed\n", b->json_path);
		b->failures++;
	}
}

/* Events of a measured run of @p en, and of its warm-up. */
static uint64_t
kb_entry_events(const struct kb_bench *b, const struct kb_case *c,
		const struct kb_entry *en, uint64_t *warm)
{
	struct kb_case ec = *c;
	if (en->events)
		ec.events = en->events;
	uint64_t events = kb_case_events(b, &ec);
	/* Smoke runs are short: warm up with a whole run, so that the warm-up
	 * touches every slot of the ring as in the other modes. */
	uint64_t w = b->mode == KB_SMOKE	  ? events
		     : events / 4 < KB_WARMUP_MAX ? events / 4
						  : KB_WARMUP_MAX;
	*warm = round_to_unit(w, c->unit);
	return events;
}

static struct kb_entry *
kb_new_entries(int n)
{
	struct kb_entry *en = calloc((size_t)(n > 0 ? n : 1), sizeof(*en));
	if (!en)
		abort();
	return en;
}

/* Run the case for @p n entries (kb_new_entries(), freed here). */
static void
kb_run_entries(struct kb_bench *b, const struct kb_case *c,
	       struct kb_entry *en, int n)
{
	unsigned rounds = b->mode == KB_SMOKE  ? 1
			  : b->mode == KB_FULL ? c->rounds_full
					       : c->rounds_quick;
	if (b->only_kaos && n > 1)
		n = 1; /* kaos alone: a round is a probe and a kaos run */
	unsigned slots = rounds * (unsigned)(n > 1 ? n - 1 : 1);
	struct kb_series *s = calloc((size_t)n, sizeof(*s));
	uint64_t *events = calloc((size_t)n, sizeof(*events));
	uint64_t *warm = calloc((size_t)n, sizeof(*warm));
	double eps_kaos, eps_peer, rtt, ignored;
	struct kb_latency lat;
	int has_lat;

	if (!s || !events || !warm)
		abort();
	for (int i = 0; i < n; i++) {
		events[i] = kb_entry_events(b, c, &en[i], &warm[i]);
		s[i].eps = calloc(slots, sizeof(double));
		s[i].ratio = calloc(slots, sizeof(double));
		s[i].rtt = calloc(slots, sizeof(double));
		s[i].lat = calloc(slots, sizeof(struct kb_latency));
		s[i].lat_ratio = calloc(slots, sizeof(double));
		if (!s[i].eps || !s[i].ratio || !s[i].rtt || !s[i].lat ||
		    !s[i].lat_ratio)
			abort();
	}

	/* Warm-up: one unmeasured run of each implementation. */
	int capped;
	for (int i = 0; i < n; i++) {
		if (kb_run_one(b, c, &en[i], warm[i], &ignored, &capped, &lat,
			       &has_lat) != 0)
			s[i].failed = 1;
		s[i].warm_capped = capped;
	}

	/* Measured rounds, interleaved so that each kaos/peer ratio comes
	 * from two adjacent runs under the same core placement: per round and
	 * peer, a probe, a kaos run, a peer run. Without peers (none built, or
	 * none survived the warm-up) a round is a probe and a kaos run. */
	int npeers = 0;
	for (int i = 1; i < n; i++)
		if (!s[i].failed)
			npeers++;
	int first = npeers ? 1 : n, last = npeers ? n - 1 : n; /* n: no peer */
	for (unsigned r = 0; r < rounds && !s[0].failed; r++) {
		for (int p = first; p <= last; p++) {
			if (p < n && s[p].failed)
				continue;
			/* A peer so slow that its warm-up hit the cap gets one
			 * measured run, not one per round. */
			if (p < n && s[p].warm_capped && s[p].n_eps > 0)
				continue;
			rtt = kb_probe_rtt(b);
			s[0].rtt[s[0].n_rtt++] = rtt;
			if (kb_run_one(b, c, &en[0], events[0], &eps_kaos, &capped,
				       &lat, &has_lat) != 0) {
				s[0].failed = 1;
				break;
			}
			s[0].capped += (unsigned)capped;
			s[0].eps[s[0].n_eps++] = eps_kaos;
			if (has_lat) {
				s[0].lat_ratio[s[0].n_lat] = lat.p50_ns / rtt;
				s[0].lat[s[0].n_lat++] = lat;
			}
			if (p == n)
				continue;
			s[p].rtt[s[p].n_rtt++] = rtt;
			if (kb_run_one(b, c, &en[p], events[p], &eps_peer, &capped,
				       &lat, &has_lat) != 0) {
				s[p].failed = 1;
				continue;
			}
			s[p].capped += (unsigned)capped;
			s[p].eps[s[p].n_eps++] = eps_peer;
			s[p].ratio[s[p].n_ratio++] = eps_kaos / eps_peer;
			if (has_lat) {
				s[p].lat_ratio[s[p].n_lat] = lat.p50_ns / rtt;
				s[p].lat[s[p].n_lat++] = lat;
			}
		}
	}

	print_header(b);
	if (s[0].failed) {
		printf("%-*s %-*s FAILED: no numbers for this case\n",
		       case_width(b), en[0].row ? en[0].row : c->name,
		       impl_width(b), en[0].name);
	} else {
		for (int i = 0; i < n; i++) {
			const char *label = en[i].row ? en[i].row
					    : i == 0  ? c->name
						      : "";
			if (s[i].failed) {
				printf("%-*s %-*s FAILED\n", case_width(b), label,
				       impl_width(b), en[i].name);
				continue;
			}
			print_row(b, label, en[i].name, &s[i], i > 0);
			if (s[i].n_lat)
				print_latency(b, &s[i]);
			if (en[i].note)
				printf("%-*s   (%s)\n", case_width(b), "",
				       en[i].note);
			if (en[i].events && events[i] != kb_case_events(b, c))
				printf("%-*s   (%llu events per run)\n",
				       case_width(b), "",
				       (unsigned long long)events[i]);
			if (s[i].capped)
				printf("%-*s   (CAPPED: %u of %u runs stopped at %.2f s, "
				       "rate of the events done%s)\n",
				       case_width(b), "", s[i].capped, s[i].n_eps,
				       b->team_cap,
				       s[i].warm_capped ? "; one measured run" : "");
			write_json(b, c, &en[i], &s[i], i > 0, events[i], warm[i]);
		}
	}
	for (int i = 0; i < n; i++) {
		free(s[i].eps);
		free(s[i].ratio);
		free(s[i].rtt);
		free(s[i].lat);
		free(s[i].lat_ratio);
	}
	free(s);
	free(events);
	free(warm);
	free(en);
}

void
kb_run_case(struct kb_bench *b, const struct kb_case *c, struct kb_impl *impls,
	    int n)
{
	struct kb_entry *en = kb_new_entries(n);
	for (int i = 0; i < n; i++) {
		const struct kb_impl *im = &impls[i];
		en[i] = (struct kb_entry){
			.name = im->name, .note = im->note, .arg = im->arg,
			.verify = im->verify, .latency = im->latency,
			.team = { .arg = &en[i].pair, .nthreads = 2,
				  .thread = kb_pair_thread },
			.pair = { { im->producer, im->consumer }, im->arg },
		};
	}
	kb_run_entries(b, c, en, n);
}

void
kb_run_team_case(struct kb_bench *b, const struct kb_case *c,
		 struct kb_team *teams, int n)
{
	struct kb_entry *en = kb_new_entries(n);
	for (int i = 0; i < n; i++) {
		const struct kb_team *t = &teams[i];
		en[i] = (struct kb_entry){
			.name = t->name, .note = t->note, .row = t->row,
			.arg = t->arg, .prepare = t->prepare, .verify = t->verify,
			.done = t->done, .team = *t, .is_team = 1,
		};
	}
	kb_run_entries(b, c, en, n);
}

void
kb_run_proc_case(struct kb_bench *b, const struct kb_case *c,
		 struct kb_proc *procs, int n)
{
	struct kb_entry *en = kb_new_entries(n);
	for (int i = 0; i < n; i++) {
		const struct kb_proc *p = &procs[i];
		en[i] = (struct kb_entry){
			.name = p->name, .note = p->note, .row = p->row,
			.arg = p->arg, .prepare = p->prepare, .verify = p->verify,
			.latency = p->latency, .proc = p, .events = p->events,
		};
	}
	kb_run_entries(b, c, en, n);
}

void
kb_print_peers(const char *const *names, size_t n, const char *missing,
	       int disabled)
{
	printf("  peers    ");
	for (size_t i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("%s\n  missing  %s", n ? "" : " none", missing);
	if (disabled)
		printf(" (disabled: KAOS_BENCH_PEERS=OFF)\n");
	else
		printf("%s\n", *missing ? " (not found at configure time; make bench-deps)"
				       : " none");
}

void
kb_none_selected(const struct kb_bench *b)
{
	printf("\nno case of this program matches '%s' in this mode\n",
	       b->filter ? b->filter : "");
}

int
kb_finish(const struct kb_bench *b)
{
	if (b->failures) {
		printf("\n%s: %d run(s) FAILED\n", b->area, b->failures);
		return 1;
	}
	printf("\n%s: every run verified\n", b->area);
	return 0;
}
