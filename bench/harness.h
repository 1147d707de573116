/* SPDX-License-Identifier: MIT */
/*
 * Benchmark harness shared by the bench programs: command line, machine
 * report, core-to-core round-trip probe, timed runners (a producer and a
 * consumer thread, or a team of N pinned threads), the interleaved
 * kaos-versus-peer rounds, statistics, the results table and the JSON
 * lines in results.jsonl.
 *
 * A program calls kb_init(), then kb_run_case() (or kb_run_team_case())
 * for each case whose name kb_selected() accepts, then returns
 * kb_finish().
 */
#ifndef KAOS_BENCH_HARNESS_H
#define KAOS_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* pid_t */

enum kb_mode { KB_SMOKE, KB_QUICK, KB_FULL };

/* Events per run in smoke mode: two laps of a 2^20 ring and a bit, a
 * multiple of 5 and of 8. */
#define KB_SMOKE_EVENTS ((uint64_t)2500000)
/* Warm-up runs use a quarter of a run's events, at most this many. */
#define KB_WARMUP_MAX ((uint64_t)20000000)

/* CPUs a team run spreads its threads over (round-robin). */
#define KB_MAX_CPUS 1024

/* One program's run. Fields are read-only after kb_init(), except the
 * settings marked below, which a program may set right after it. */
struct kb_bench {
	const char *area;      /* "core": the "bench" key of the JSON lines */
	enum kb_mode mode;
	const char *filter;    /* case-name substring, or NULL for all */
	int exact;             /* --exact: the filter is a whole case name */
	int only_kaos;         /* --only-kaos: run impls[0] (kaos) alone */
	char json_path[4096];
	int cpu[2];            /* producer and consumer CPU; -1: unpinned */
	char cpu_model[128];
	char date[32];
	int failures;          /* runs that failed verification or setup */
	int header_printed;
	/* Team runs (kb_run_team_case): thread i is pinned to
	 * cpus[i % ncpus]; ncpus 0: unpinned. With --cpus P,C: {P, C}. */
	int ncpus;
	int cpus[KB_MAX_CPUS];
	/* Settings a program may change after kb_init(); 0: the default. */
	uint64_t smoke_events; /* smoke-mode cap on a run's events
				* (default KB_SMOKE_EVENTS) */
	int case_width;        /* table column widths (default 24 and 11) */
	int impl_width;
	double team_cap;       /* seconds after which a team run is asked to
				* stop (kb_team.stop); 0: never */
};

/* One side of a run: do @p events events, return 0 or -1 (error printed). */
typedef int (*kb_side_fn)(void *arg, uint64_t events);

/* Latency percentiles of one run, in ns (round-trip cases). */
struct kb_latency {
	double p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
};

/* One implementation in one case. impls[0] of a case is kaos. */
struct kb_impl {
	const char *name;  /* "kaos" or the peer's name */
	const char *note;  /* printed under its result line, or NULL */
	void *arg;         /* passed to producer, consumer and verify */
	kb_side_fn producer;
	kb_side_fn consumer;
	/* After a run: 0 if the consumer's checks passed, else -1 with the
	 * reason in msg. */
	int (*verify)(void *arg, uint64_t events, char *msg, size_t len);
	/* Optional, as kb_proc.latency: after a verified run, its latency
	 * percentiles (round-trip cases). NULL: none. */
	int (*latency)(void *arg, struct kb_latency *out);
};

/* One thread of a team run: thread @p index (0-based) of the team's
 * nthreads, in a run of @p events; return 0 or -1 (error printed). */
typedef int (*kb_thread_fn)(void *arg, unsigned index, uint64_t events);

/*
 * One implementation in a case run by a team of threads (several producers
 * and consumers, pipeline stages, ...). teams[0] of a case is kaos. The
 * threads are created and pinned outside the timed region; the clock starts
 * when all of them wait pinned and stops when the last one is done.
 */
struct kb_team {
	const char *name;  /* "kaos" or the peer's name */
	const char *note;  /* printed under its result line, or NULL */
	/* The name of this line in the table and the JSON "case", instead of
	 * the case's name (teams[0]) or peer/<name>/<case> (the others); NULL
	 * for those. For two variants compared in one case. */
	const char *row;
	void *arg;         /* passed to every callback */
	unsigned nthreads; /* 1..: thread(arg, 0..nthreads-1, events) */
	kb_thread_fn thread;
	/* Before each run (warm-up included), outside the timed region, on
	 * the main thread: reset counters, join consumers. NULL: nothing.
	 * 0, or -1 with the reason printed (the run fails). */
	int (*prepare)(void *arg, uint64_t events);
	/* After a run: 0 if every check passed, else -1 with msg. */
	int (*verify)(void *arg, uint64_t events, char *msg, size_t len);
	/* Optional, together: stop() asks the threads to finish early (from
	 * the main thread, when a run exceeds b->team_cap; an implementation
	 * that collapses must not hold the program up), and done() then says
	 * how many of the run's events were done: the rate is of those. */
	void (*stop)(void *arg);
	uint64_t (*done)(void *arg, uint64_t events);
};

/* One case. */
struct kb_case {
	const char *name;      /* "core/per_event" */
	uint64_t events;       /* per measured run (smoke mode shrinks it) */
	uint64_t unit;         /* event counts stay multiples of this (>= 1) */
	unsigned rounds_quick; /* measured rounds; 0: only in full mode */
	unsigned rounds_full;
	const char *json_extra; /* more JSON members ("\"slot_bytes\":8"), or NULL */
};

/* Parse the command line (prints usage and exits 2 on a bad one), choose
 * the CPUs and print the machine. */
void kb_init(struct kb_bench *b, const char *area, int argc, char **argv);

/* Whether a case runs in this mode and matches the filter. */
int kb_selected(const struct kb_bench *b, const struct kb_case *c);

/* Events of one measured run of @p c in this mode. */
uint64_t kb_case_events(const struct kb_bench *b, const struct kb_case *c);

/* Warm up each implementation, then the measured rounds, interleaved: per
 * round and peer a probe, a kaos run and a peer run. Prints the case's
 * table lines and appends its JSON lines. Failures are counted in
 * b->failures; an implementation that fails is not reported. */
void kb_run_case(struct kb_bench *b, const struct kb_case *c,
		 struct kb_impl *impls, int n);

/* As kb_run_case(), for implementations run by teams of threads. */
void kb_run_team_case(struct kb_bench *b, const struct kb_case *c,
		      struct kb_team *teams, int n);

/* ---- process pairs (bench_ipc) ------------------------------------------ */

/*
 * One implementation in a case run by two processes: the producer is a
 * thread of this process pinned to cpu[0]; the consumer runs in a child
 * process forked for each run (outside the timed region), pinned to cpu[1].
 * The clock starts when both wait pinned (the child after child_open) and
 * stops when the later one is done (CLOCK_MONOTONIC, the same in both
 * processes). The child shares only what was MAP_SHARED before the fork
 * (kb_shared_alloc()): the consumer must leave its results there for
 * verify(), which runs in this process after the child has exited. A run
 * also fails if the child exits with a non-zero status or dies.
 */
struct kb_proc {
	const char *name;  /* "kaos" or the peer's name */
	const char *note;  /* printed under its result line, or NULL */
	const char *row;   /* as kb_team.row; NULL: the usual name */
	void *arg;         /* passed to every callback (in both processes) */
	/* Events of a measured run of this implementation; 0: the case's
	 * (smoke mode caps both). For peers whose rate is orders of
	 * magnitude apart (system calls per message). */
	uint64_t events;
	/* Before each run (warm-up included), before the fork, in this
	 * process: reset the shared results. NULL: nothing. 0 or -1. */
	int (*prepare)(void *arg, uint64_t events);
	kb_side_fn producer; /* thread of this process */
	/* In the child, before it reports ready (attach to a channel, ...):
	 * 0 or -1 (the run fails). NULL: nothing. */
	int (*child_open)(void *arg);
	kb_side_fn consumer; /* in the child; its return value is the
			      * child's exit status (0 or 1) */
	/* In the child, after its timed part (detach). NULL: nothing. */
	void (*child_close)(void *arg);
	/* After a run: 0 if every check passed, else -1 with msg. */
	int (*verify)(void *arg, uint64_t events, char *msg, size_t len);
	/* Optional: after a verified run, its latency percentiles; reported
	 * (median over the measured runs; max: the largest) next to the
	 * probe, with p50/probe. 0, or -1 (no latency for this run). */
	int (*latency)(void *arg, struct kb_latency *out);
};

/* As kb_run_case(), for implementations run by a process pair. A program
 * that uses it should call it from its main thread with no other threads
 * running (it forks). */
void kb_run_proc_case(struct kb_bench *b, const struct kb_case *c,
		      struct kb_proc *procs, int n);

/* Zeroed memory for @p size bytes, aligned to and rounded up to whole
 * @p line-byte lines (nothing else on its lines); NULL if none. */
void *kb_alloc_lines(size_t line, size_t size);

/* fork() with stdio flushed first (nothing printed twice); the child gets
 * signal @p sig when this process dies, and leaves at once if it already
 * has. As fork(): 0 in the child, the child's pid or -1 here. */
pid_t kb_fork(int sig);

/* Memory shared with the child processes forked after this call
 * (MAP_SHARED | MAP_ANONYMOUS), zeroed and faulted in; NULL on failure. */
void *kb_shared_alloc(size_t len);
void kb_shared_free(void *p, size_t len);

/* A function the harness calls before it exits the program abnormally (the
 * watchdog, a consumer process that failed with the producer stuck): remove
 * named shared objects. It runs in a signal handler: async-signal-safe
 * calls only (unlink, shm_unlink, mq_unlink). NULL: none. */
void kb_set_abort_hook(void (*fn)(void));

/* Median core-to-core round trip between the two benchmark CPUs, in ns
 * (20,000 ping-pongs of one cache line); NaN when unpinned. */
double kb_probe_rtt(const struct kb_bench *b);

/* ---- the programs' own plumbing --------------------------------------- */

/* The machine report's peer lines: the @p n peers built in, and @p missing,
 * the names of those not found at configure time (" ck_ring rwq", or ""),
 * or all of them when peers were disabled (KB_PEERS_DISABLED). */
void kb_print_peers(const char *const *names, size_t n, const char *missing,
		    int disabled);

/* kb_print_peers() for a NULL-terminated array of pointers to adapters
 * (each with its name). */
#define KB_PRINT_PEERS(peers, missing)                                          \
	do {                                                                    \
		const char *kb_names_[sizeof(peers) / sizeof((peers)[0])];     \
		size_t kb_n_ = 0;                                               \
		for (; (peers)[kb_n_]; kb_n_++)                                 \
			kb_names_[kb_n_] = (peers)[kb_n_]->name;                \
		kb_print_peers(kb_names_, kb_n_, (missing), KB_PEERS_DISABLED); \
	} while (0)

#ifdef KB_PEERS_OFF /* set by CMakeLists.txt with KAOS_BENCH_PEERS=OFF */
#define KB_PEERS_DISABLED 1
#else
#define KB_PEERS_DISABLED 0
#endif

/* Run RUN(b, &cases[i]) for each case of the array @p cases (structs with
 * their struct kb_case in member c) that kb_selected() accepts; say so if
 * none is. */
#define KB_RUN_SELECTED(b, cases, RUN)                                          \
	do {                                                                    \
		int kb_ran_ = 0;                                                \
		for (size_t kb_i_ = 0; kb_i_ < sizeof(cases) / sizeof((cases)[0]); \
		     kb_i_++) {                                                 \
			if (kb_selected((b), &(cases)[kb_i_].c)) {              \
				RUN((b), &(cases)[kb_i_]);                      \
				kb_ran_++;                                      \
			}                                                       \
		}                                                               \
		if (!kb_ran_)                                                   \
			kb_none_selected(b);                                    \
	} while (0)

/* The line KB_RUN_SELECTED prints when no case matched. */
void kb_none_selected(const struct kb_bench *b);

/* Print a final line; the program's exit status (0 or 1). */
int kb_finish(const struct kb_bench *b);

#endif /* KAOS_BENCH_HARNESS_H */
