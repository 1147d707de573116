/* SPDX-License-Identifier: MIT */
/*
 * iceoryx 2.0.3 between two processes (bench_ipc), through its C binding
 * (Debian's libiceoryx-binding-c-dev): publish/subscribe in RouDi's shared
 * memory, a sample per value or message (loan, write, publish; take, read,
 * release), and in the sustained case 8 KiB samples of 1024 values.
 * Round trips: a topic each way, the consumer echoes every value.
 *
 * Nothing is dropped: the publisher waits for a full subscriber
 * (ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER) and the subscriber's queue
 * (256 samples, iceoryx's largest) blocks its producer
 * (QueueFullPolicy_BLOCK_PRODUCER); iceoryx needs both, else it discards
 * the oldest sample. There is no history, and a run starts only once the
 * subscriber is SUBSCRIBED, which RouDi sets after the publisher has taken
 * its queue (and, for the echo, once the publisher has a subscriber). The
 * consumer checks every value or message as for every other peer, and the
 * run fails if iceoryx says it lost a sample.
 *
 * Lengths: 2.0.3's C binding cannot read a sample's payload size, so the
 * message and sustained samples carry their byte count in a 4-byte user
 * header (as a pipe frame carries its length); the 8-byte samples carry
 * the value only, like kaos's 8-byte slots.
 *
 * Processes: iceoryx has one runtime per process (a singleton), and a
 * child forked from a process that has one inherits it: iox_runtime_init()
 * in the child returns the parent's runtime whatever name it is given. So
 * this process, the benchmark's, never calls iceoryx. The producer is a
 * helper process forked when a case opens (its own runtime and publisher,
 * kept for the case's runs): the harness's producer thread pins the helper
 * to its own CPU, tells it to run and sleeps until it is done (a pipe each
 * way: two wake-ups in the timed region, microseconds). Each consumer
 * child (forked by the harness per run) makes its own runtime and
 * subscriber in child_open(), before the clock, and ends with exit(), not
 * _exit(), so that iceoryx deregisters it from RouDi and removes its socket
 * (/tmp/<runtime name>). An iceoryx abort thus ends a helper or a child and
 * fails that run, not the benchmark; every wait on iceoryx has a deadline.
 *
 * RouDi: on the first iceoryx case this program uses a RouDi already
 * running (its socket /tmp/roudi accepts a connection) and leaves it so, or
 * starts iox-roudi itself (stdout and stderr into a memfd, a small
 * configuration: 1024 chunks each of 128, 2048 and 16384 payload bytes,
 * 19 MB of /dev/shm besides its 63 MB management segment), waits up to 10 s
 * for its socket, and stops it at exit (SIGTERM, SIGKILL after 5 s; it
 * also gets SIGTERM if this program dies). Either way a process must then
 * register with it; if any of that fails, iceoryx is skipped with a
 * one-line reason and the other peers run.
 *
 * Event counts: the per-sample cases run the smaller count of the peers
 * that make a system call per message (per_message_syscalls): a sample is
 * no system call but costs about a microsecond (loan, the publisher's
 * lock, the queue, release), a rate of their order.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>

#include "../harness.h"
#include "../ipc_workload.h"
#include "peers.h"

#define ICE_QUEUE 256           /* subscriber queue: iceoryx 2.0's largest */
#define ICE_SERVICE "kaos-bench"
#define ICE_ROUDI_SOCKET "/tmp/roudi" /* iceoryx 2.0 on Linux */
#define ICE_ROUDI_LOCK "/tmp/iox-unique-roudi.lock"
#define ICE_RTT_MAX (1u << 20)  /* round trips per run: the sample buffer */
#define ICE_SHM_NEED (96u << 20) /* /dev/shm free for the RouDi started here */
#define ICE_READY_MS 10000      /* for RouDi's socket, and a first runtime */
#define ICE_SETUP_S 20          /* a helper or consumer: runtime and ports */
#define ICE_CONNECT_MS 10000    /* of which: publisher and subscriber met */
#define ICE_EXIT_S 5            /* deregistering; RouDi after SIGTERM */
/* A producer whose consumer died gets this long to finish: a full queue
 * blocks it until RouDi drops the dead subscriber (1.5 s without a
 * keep-alive); the harness gives it 5 s. */
#define ICE_GRACE_MS 3000

/* Chunks of RouDi's own configuration (payload bytes): 8-byte values and
 * 64-byte messages, 1 KiB messages, 8 KiB samples (each with the user
 * header). At most 256 queued + 1 held + 8 loaned per topic are in use. */
static const char ice_roudi_config[] =
	"[general]\nversion = 1\n\n[[segment]]\n\n"
	"[[segment.mempool]]\nsize = 128\ncount = 1024\n\n"
	"[[segment.mempool]]\nsize = 2048\ncount = 1024\n\n"
	"[[segment.mempool]]\nsize = 16384\ncount = 1024\n";

/* ---- RouDi ------------------------------------------------------------------- */

static enum { ICE_UNKNOWN, ICE_READY, ICE_BROKEN } ice_state;
static pid_t ice_owner;    /* this program (atexit handlers run in children too) */
static pid_t roudi_pid;    /* the RouDi started here, or 0 */
static int roudi_log = -1; /* its stdout and stderr (a memfd) */
static unsigned ice_seq;   /* topics: one instance name per open() */

static void
ice_sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* Whether a RouDi is up: its socket accepts a connection (the file alone
 * may be a killed RouDi's). Sends nothing. */
static int
roudi_connectable(void)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, ICE_ROUDI_SOCKET, sizeof(ICE_ROUDI_SOCKET));
	int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* The last non-empty line RouDi wrote, for a reason. */
static void
roudi_last_line(char *buf, size_t len)
{
	char tail[512];
	buf[0] = 0;
	off_t end = roudi_log >= 0 ? lseek(roudi_log, 0, SEEK_END) : -1;
	if (end <= 0)
		return;
	off_t at = end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0;
	ssize_t n = pread(roudi_log, tail, sizeof(tail) - 1, at);
	if (n <= 0)
		return;
	tail[n] = 0;
	while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == ' '))
		tail[--n] = 0;
	char *line = strrchr(tail, '\n');
	size_t k = 0;
	for (line = line ? line + 1 : tail; *line && k + 1 < len; line++) {
		if (*line == '\033') { /* its colours: ESC [ ... letter */
			while (line[1] && !((line[1] | 0x20) >= 'a' && (line[1] | 0x20) <= 'z'))
				line++;
			line += line[1] != 0;
			continue;
		}
		buf[k++] = *line;
	}
	buf[k] = 0;
}

/* What a RouDi that was killed or failed leaves (it removes them itself on
 * SIGTERM): its two shared memory segments, its socket and locks; only if
 * no RouDi holds the lock every RouDi takes (flock) while it runs. */
static void
roudi_remove_leftovers(void)
{
	int fd = open(ICE_ROUDI_LOCK, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd); /* a RouDi runs: they are its files */
		return;
	}
	struct group *g = getgrgid(getegid());
	shm_unlink("/iceoryx_mgmt");
	if (g)
		shm_unlink(g->gr_name); /* the payload segment: the group's name */
	unlink(ICE_ROUDI_SOCKET);
	unlink(ICE_ROUDI_SOCKET ".lock");
	unlink(ICE_ROUDI_LOCK);
	if (fd >= 0)
		close(fd);
}

/* Runtime names: kaos-bench-ice-<this program>-<role><pid>. */
static void
ice_runtime_name(char *buf, size_t len, char role)
{
	snprintf(buf, len, "kaos-bench-ice-%ld-%c%ld", (long)ice_owner, role,
		 (long)getpid());
}

/* Remove the sockets and locks (/tmp/<runtime name>[.lock]) of processes
 * of this program, or of an earlier one, that were killed rather than
 * exited: those whose process is gone. */
static void
ice_sweep(void)
{
	static const char prefix[] = "kaos-bench-ice-";
	DIR *d = opendir("/tmp");
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char *end;
		if (strncmp(e->d_name, prefix, sizeof(prefix) - 1) != 0)
			continue;
		strtol(e->d_name + sizeof(prefix) - 1, &end, 10); /* the program */
		if (end[0] != '-' || !end[1])
			continue;
		long pid = strtol(end + 2, &end, 10); /* past the role letter */
		if (pid <= 0 || (*end && strcmp(end, ".lock") != 0))
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue; /* alive (or not ours to judge) */
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* Wait up to @p ms for @p pid to end; its wait status, or -1. */
static int
ice_reap(pid_t pid, long ms)
{
	int status;
	for (long t = 0;; t += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (t >= ms)
			return -1;
		ice_sleep_ms(10);
	}
}

static void
ice_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void
ice_describe(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d, %s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status %#x", status);
}

/* At exit, in this program only: stop the RouDi started here, after every
 * helper and consumer has gone (bench_ipc closes each case). */
static void
roudi_stop(void)
{
	if (getpid() != ice_owner)
		return;
	if (roudi_pid > 0) {
		kill(roudi_pid, SIGTERM);
		int status = ice_reap(roudi_pid, ICE_EXIT_S * 1000);
		if (status == -1) {
			fprintf(stderr, "bench: iceoryx: iox-roudi did not stop on SIGTERM "
					"within %d s; killed\n", ICE_EXIT_S);
			ice_kill(roudi_pid);
		}
		if (status != -1 && (!WIFEXITED(status) || WEXITSTATUS(status))) {
			char how[96];
			ice_describe(how, sizeof(how), status);
			fprintf(stderr, "bench: iceoryx: iox-roudi had ended (%s)\n", how);
		}
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status))
			roudi_remove_leftovers(); /* killed, or failed */
		roudi_pid = 0;
	}
	ice_sweep();
}

/* Start iox-roudi and wait until its socket accepts; 0, or -1 with the
 * reason in @p why. */
static int
roudi_start(char *why, size_t len)
{
	struct statvfs v;
	if (statvfs("/dev/shm", &v) == 0 &&
	    (unsigned long long)v.f_bavail * v.f_frsize < ICE_SHM_NEED) {
		snprintf(why, len, "only %llu MiB free in /dev/shm; the RouDi "
				   "started here needs about %u",
			 (unsigned long long)v.f_bavail * v.f_frsize >> 20,
			 ICE_SHM_NEED >> 20);
		return -1;
	}
	int cfg = memfd_create("kaos-bench-roudi.toml", MFD_CLOEXEC);
	roudi_log = memfd_create("kaos-bench-roudi.log", MFD_CLOEXEC);
	int err[2]; /* the child's exec errno, if exec fails */
	if (cfg < 0 || roudi_log < 0 ||
	    write(cfg, ice_roudi_config, sizeof(ice_roudi_config) - 1) !=
		    (ssize_t)sizeof(ice_roudi_config) - 1 ||
	    pipe2(err, O_CLOEXEC) != 0) {
		snprintf(why, len, "cannot set up for iox-roudi: %s", strerror(errno));
		if (cfg >= 0)
			close(cfg);
		return -1;
	}
	/* RouDi cleans up on SIGTERM: it gets one if this program dies
	 * without stopping it (the watchdog, a signal). */
	pid_t pid = kb_fork(SIGTERM);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(roudi_log, STDOUT_FILENO);
		dup2(roudi_log, STDERR_FILENO);
		fcntl(cfg, F_SETFD, 0); /* kept across exec, read by path */
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", cfg);
		signal(SIGPIPE, SIG_DFL); /* ignored here; exec keeps that */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execlp("iox-roudi", "iox-roudi", "-c", path, (char *)NULL);
		int e = errno;
		ssize_t w = write(err[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	int e = 0;
	close(err[1]);
	close(cfg);
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		close(err[0]);
		return -1;
	}
	if (read(err[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		close(err[0]);
		ice_kill(pid);
		if (e == ENOENT)
			snprintf(why, len, "iox-roudi not found (apt-get install iceoryx)");
		else
			snprintf(why, len, "cannot run iox-roudi: %s", strerror(e));
		return -1;
	}
	close(err[0]);
	roudi_pid = pid;
	for (long t = 0; t < ICE_READY_MS; t += 10) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char how[96], last[200];
			roudi_pid = 0;
			roudi_remove_leftovers();
			ice_describe(how, sizeof(how), status);
			roudi_last_line(last, sizeof(last));
			snprintf(why, len, "iox-roudi ended (%.60s): %.160s", how,
				 last[0] ? last : "no output");
			return -1;
		}
		if (roudi_connectable())
			return 0;
		ice_sleep_ms(10);
	}
	snprintf(why, len, "iox-roudi not ready within %d s", ICE_READY_MS / 1000);
	return -1; /* roudi_stop() at exit stops it */
}

/* Every iceoryx process of this program (helper, consumer, probe): iceoryx's
 * stdout onto stderr (nothing of it in the results table), its log at
 * errors only, a deadline for the set-up (SIGALRM's default action ends
 * the process: the harness's handler is inherited), then its runtime. */
static void
ice_process_init(char role)
{
	char name[96];
	dup2(STDERR_FILENO, STDOUT_FILENO);
	signal(SIGALRM, SIG_DFL);
	alarm(ICE_SETUP_S);
	iox_set_loglevel(Iceoryx_LogLevel_Error);
	ice_runtime_name(name, sizeof(name), role);
	iox_runtime_init(name);
}

/* Whether a process can register with RouDi: a child does it and exits. */
static int
ice_probe(char *why, size_t len)
{
	pid_t pid = kb_fork(SIGKILL);
	if (pid == 0) {
		ice_process_init('r');
		/* Let the runtime's keep-alive thread send its first message
		 * (it starts with one) before the deregistration, or RouDi
		 * logs a keep-alive from an unknown process. */
		ice_sleep_ms(20);
		alarm(ICE_EXIT_S);
		exit(0); /* iceoryx's destructors deregister it */
	}
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	int status = ice_reap(pid, ICE_READY_MS);
	if (status == -1) {
		ice_kill(pid);
		snprintf(why, len, "a process could not register with RouDi within %d s",
			 ICE_READY_MS / 1000);
		return -1;
	}
	if (status != 0) {
		char how[96];
		ice_describe(how, sizeof(how), status);
		snprintf(why, len, "a process could not register with RouDi (%s)", how);
		return -1;
	}
	return 0;
}

/* Once per program, on the first iceoryx case: a RouDi to use, or why not. */
static void
ice_setup(void)
{
	char why[300];
	const char *how = "using the RouDi already running (left running)";
	ice_owner = getpid();
	ice_state = ICE_BROKEN;
	atexit(roudi_stop); /* and the sweep of killed processes' sockets */
	if (!roudi_connectable()) {
		if (roudi_start(why, sizeof(why)) != 0) {
			printf("  iceoryx   skipped: %s\n", why);
			roudi_stop(); /* if it runs but is not ready */
			return;
		}
		how = "started iox-roudi for this run; stopped at exit";
	}
	if (ice_probe(why, sizeof(why)) != 0) {
		printf("  iceoryx   skipped: %s\n", why);
		roudi_stop(); /* the one started here, if so: of no use */
		return;
	}
	printf("  iceoryx   %s\n", how);
	ice_state = ICE_READY;
}

/* ---- ports ------------------------------------------------------------------- */

static iox_pub_t
ice_pub(iox_pub_storage_t *st, const char *instance, const char *event)
{
	iox_pub_options_t o;
	iox_pub_options_init(&o);
	o.historyCapacity = 0;
	o.offerOnCreate = true;
	o.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	return iox_pub_init(st, ICE_SERVICE, instance, event, &o);
}

static iox_sub_t
ice_sub(iox_sub_storage_t *st, const char *instance, const char *event)
{
	iox_sub_options_t o;
	iox_sub_options_init(&o);
	o.queueCapacity = ICE_QUEUE;
	o.historyRequest = 0;
	o.subscribeOnCreate = true;
	o.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	o.requirePublisherHistorySupport = false;
	return iox_sub_init(st, ICE_SERVICE, instance, event, &o);
}

static int
ice_loan_failed(enum iox_AllocationResult r)
{
	fprintf(stderr, "bench: iceoryx: cannot loan a chunk (iox_AllocationResult %d%s)\n",
		(int)r, r == AllocationResult_NO_MEMPOOLS_AVAILABLE ||
				r == AllocationResult_RUNNING_OUT_OF_CHUNKS
			? ": RouDi's memory pools do not fit"
			: "");
	return -1;
}

/* A chunk of @p len payload bytes, with the 4-byte length header if
 * @p hdr; 0 or -1 (printed). */
KB_INLINE int
ice_loan(iox_pub_t pub, void **p, uint32_t len, int hdr)
{
	enum iox_AllocationResult r =
		hdr ? iox_pub_loan_aligned_chunk_with_user_header(
			      pub, p, len, IOX_C_CHUNK_DEFAULT_USER_PAYLOAD_ALIGNMENT,
			      sizeof(uint32_t), alignof(uint32_t))
		    : iox_pub_loan_chunk(pub, p, len);
	if (KB_UNLIKELY(r != AllocationResult_SUCCESS))
		return ice_loan_failed(r);
	return 0;
}

static inline uint32_t *
ice_hdr(void *payload)
{
	return iox_chunk_header_to_user_header(iox_chunk_header_from_user_payload(payload));
}

static inline uint32_t
ice_hdr_len(const void *payload)
{
	const uint32_t *h = iox_chunk_header_to_user_header_const(
		iox_chunk_header_from_user_payload_const(payload));
	return *h;
}

static int
ice_take_failed(enum iox_ChunkReceiveResult r)
{
	fprintf(stderr, "bench: iceoryx: iox_sub_take_chunk: iox_ChunkReceiveResult %d\n",
		(int)r);
	return -1;
}

/* Spin until a sample is there, as the ring peers spin; 0 or -1. */
KB_INLINE int
ice_take(iox_sub_t sub, const void **p)
{
	for (;;) {
		enum iox_ChunkReceiveResult r = iox_sub_take_chunk(sub, p);
		if (r == ChunkReceiveResult_SUCCESS)
			return 0;
		if (KB_UNLIKELY(r != ChunkReceiveResult_NO_CHUNK_AVAILABLE))
			return ice_take_failed(r);
		kb_relax();
	}
}

/* One 8-byte sample, loaned and published: 0, or -1 (printed). */
KB_INLINE int
ice_send8(iox_pub_t pub, uint64_t v)
{
	void *p;
	if (ice_loan(pub, &p, 8, 0) != 0)
		return -1;
	*(uint64_t *)p = v;
	iox_pub_publish_chunk(pub, p);
	return 0;
}

/* ---- one implementation ------------------------------------------------------ */

/* Shared with the helper and the consumer children (MAP_SHARED, made by
 * open() before the helper's fork). */
struct ice_ctl {
	uint64_t events;      /* the run the helper is told to do */
	pid_t consumer;       /* the run's consumer process (child_open) */
	int helper_gone;      /* the helper was killed: runs fail at once */
	struct kb_check echo; /* round trips: the helper's checks of the echoes */
	struct ki_rtt clock;  /* and its clock (samples: ice_q.samples) */
};

struct ice_q {
	struct ki_spec spec;
	char instance[48];    /* the topics: ICE_SERVICE/instance/fwd and back */
	struct ice_ctl *ctl;
	uint64_t *samples;    /* round trips: ICE_RTT_MAX, shared */
	pid_t helper;         /* the producer process, or 0 */
	int cmd, ack;         /* this process's ends of its two pipes */
	cpu_set_t helper_cpus;
	/* In a consumer child. */
	iox_sub_storage_t sub_st;
	iox_pub_storage_t echo_st;
	iox_sub_t sub;        /* of fwd */
	iox_pub_t echo;       /* round trips: of back */
	int child_rc;         /* what consume() returned */
};

/* Message producer: a chunk per message, written in place, its length in
 * the user header. */
KB_INLINE int
ice_msg_produce(iox_pub_t pub, uint64_t events, uint32_t len)
{
	for (uint64_t seq = 1; seq <= events; seq++) {
		void *p;
		if (ice_loan(pub, &p, len, 1) != 0)
			return -1;
		*ice_hdr(p) = len;
		ki_msg_fill(p, seq, len);
		iox_pub_publish_chunk(pub, p);
	}
	return 0;
}

/* One run, in the helper. */
static int
ice_helper_run(struct ice_q *q, iox_pub_t pub, iox_sub_t back, uint64_t events)
{
	const struct ki_spec *s = &q->spec;
	struct kb_gen g = kb_gen_start();
	if (!iox_pub_has_subscribers(pub)) {
		fprintf(stderr, "bench: iceoryx: no subscriber at the start of a run\n");
		return -1;
	}
	switch (s->kind) {
	case KI_SINGLE:
		/* the calls wait: one that returns has done its work or failed */
		KB_PUT_EACH(g, events, KB_PER_EVENT, 1, uint64_t, v,
			    ice_send8(pub, v) == 0, return -1);
		return 0;
	case KI_SUSTAINED: {
		uint64_t per = s->io_bytes / 8; /* 8 KiB samples: 1024 values */
		for (uint64_t left = events; left;) {
			uint64_t n = left < per ? left : per;
			void *p;
			if (ice_loan(pub, &p, (uint32_t)(n * 8), 1) != 0)
				return -1;
			*ice_hdr(p) = (uint32_t)(n * 8);
			kb_fill_values(&g, p, n);
			iox_pub_publish_chunk(pub, p);
			left -= n;
		}
		return 0;
	}
	case KI_MSG:
#define ICE_MSG_PRODUCE(len) ice_msg_produce(pub, events, len)
		KI_BY_MSG_BYTES(s, ICE_MSG_PRODUCE);
#undef ICE_MSG_PRODUCE
	case KI_RTT: {
		struct kb_check c = kb_check_start();
		struct ki_rtt clock = { NULL, 0, 0, 0, 0 };
		uint64_t prev = ki_rtt_start(&clock);
		for (uint64_t i = 0; i < events; i++) {
			void *p;
			const void *b;
			if (ice_loan(pub, &p, 8, 0) != 0)
				return -1;
			*(uint64_t *)p = kb_next_value(&g);
			iox_pub_publish_chunk(pub, p);
			if (ice_take(back, &b) != 0)
				return -1;
			uint64_t v = *(const uint64_t *)b;
			iox_sub_release_chunk(back, b);
			kb_take_in_order(&c, v);
			c.count++;
			uint64_t t = ki_ticks();
			q->samples[i] = t - prev;
			prev = t;
		}
		ki_rtt_stop(&clock, prev);
		q->ctl->echo = c;
		q->ctl->clock = clock;
		return 0;
	}
	}
	return -1;
}

/* The helper: its runtime and ports, then a run per byte on @p cmd, a
 * status per run on @p ack (and one when ready); at end of file, leave. */
static void __attribute__((noreturn))
ice_helper(struct ice_q *q, int cmd, int ack)
{
	iox_pub_storage_t pub_st;
	iox_sub_storage_t back_st;
	iox_sub_t back = NULL;
	int rc = 0;
	char c;

	ice_process_init('p');
	iox_pub_t pub = ice_pub(&pub_st, q->instance, "fwd");
	if (q->spec.kind == KI_RTT)
		back = ice_sub(&back_st, q->instance, "back");
	alarm(0);
	if (write(ack, &rc, sizeof(rc)) != (ssize_t)sizeof(rc))
		_exit(1);
	for (;;) {
		struct pollfd pf = { cmd, POLLIN, 0 };
		int n = poll(&pf, 1, 1000);
		if (n == 0) {
			/* Without RouDi, iceoryx's keep-alive would print an
			 * error every 300 ms until this case ends. */
			if (!roudi_connectable()) {
				fprintf(stderr, "bench: iceoryx: RouDi has gone; the "
						"producer process leaves\n");
				_exit(1);
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || read(cmd, &c, 1) != 1)
			break; /* end of file: the case is closed */
		rc = ice_helper_run(q, pub, back, q->ctl->events);
		if (write(ack, &rc, sizeof(rc)) != (ssize_t)sizeof(rc))
			break;
	}
	alarm(ICE_EXIT_S);
	if (back)
		iox_sub_deinit(back);
	iox_pub_deinit(pub);
	exit(0); /* not _exit: iceoryx's destructors deregister it */
}

/* Whether the helper lives: it holds the only write end of the ack pipe,
 * whose read end this process and each consumer child have; between runs
 * nothing is in it, so a hang-up is the helper's end. */
static int
ice_helper_alive(const struct ice_q *q)
{
	struct pollfd pf = { q->ack, POLLIN, 0 };
	return !q->ctl->helper_gone && q->ack >= 0 &&
	       !(poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR)));
}

static void
ice_kill_helper(struct ice_q *q)
{
	if (q->helper > 0)
		ice_kill(q->helper);
	q->helper = 0;
	if (q->ctl)
		q->ctl->helper_gone = 1;
}

/* The helper's next status, within @p ms; 0, or -1 (it is then killed). */
static int
ice_read_ack(struct ice_q *q, long ms)
{
	int rc;
	struct pollfd pf = { q->ack, POLLIN, 0 };
	int n;
	while ((n = poll(&pf, 1, (int)ms)) < 0 && errno == EINTR)
		;
	if (n == 0) {
		fprintf(stderr, "bench: iceoryx: the producer process did not answer "
				"within %ld s; killed\n", ms / 1000);
		ice_kill_helper(q);
		return -1;
	}
	ssize_t r = n > 0 ? read(q->ack, &rc, sizeof(rc)) : -1;
	if (r != (ssize_t)sizeof(rc)) {
		int status = q->helper > 0 ? ice_reap(q->helper, 1000) : -1;
		char how[96] = "";
		if (status != -1) {
			ice_describe(how, sizeof(how), status);
			q->helper = 0;
		}
		fprintf(stderr, "bench: iceoryx: the producer process ended%s%s%s\n",
			how[0] ? " (" : "", how, how[0] ? ")" : "");
		ice_kill_helper(q);
		return -1;
	}
	return rc;
}

/* Wait for the helper to finish a run, which has no time limit; but if
 * the consumer process has gone (killed by the harness, or by iceoryx) and
 * the helper is not done within ICE_GRACE_MS, kill it: it would wait for
 * room or an echo forever. */
static int
ice_wait_run(struct ice_q *q)
{
	long gone_ms = -1;
	for (;;) {
		struct pollfd pf = { q->ack, POLLIN, 0 };
		int n = poll(&pf, 1, 100);
		if (n > 0)
			return ice_read_ack(q, 0);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "bench: iceoryx: poll: %s\n", strerror(errno));
			ice_kill_helper(q);
			return -1;
		}
		pid_t c = q->ctl->consumer;
		if (gone_ms < 0) {
			if (c > 0 && kill(c, 0) != 0 && errno == ESRCH)
				gone_ms = 0;
		} else if ((gone_ms += 100) >= ICE_GRACE_MS) {
			fprintf(stderr, "bench: iceoryx: the consumer process has gone and "
					"the producer process is not done; killed\n");
			ice_kill_helper(q);
			return -1;
		}
	}
}

static void
ice_close(void *qv)
{
	struct ice_q *q = qv;
	if (q->cmd >= 0)
		close(q->cmd); /* the helper's end of file: it leaves */
	if (q->helper > 0 && ice_reap(q->helper, ICE_EXIT_S * 1000) == -1) {
		fprintf(stderr, "bench: iceoryx: the producer process did not leave; killed\n");
		ice_kill(q->helper);
	}
	if (q->ack >= 0)
		close(q->ack);
	kb_shared_free(q->ctl, sizeof(*q->ctl));
	kb_shared_free(q->samples, (size_t)ICE_RTT_MAX * sizeof(uint64_t));
	free(q);
	ice_sweep();
}

static void *
ice_open(const struct ki_spec *s)
{
	struct ice_q *q = calloc(1, sizeof(*q));
	int cmd[2] = { -1, -1 }, ack[2] = { -1, -1 };
	if (!q)
		return NULL;
	q->spec = *s;
	q->cmd = q->ack = -1;
	snprintf(q->instance, sizeof(q->instance), "%ld-%u", (long)ice_owner, ice_seq++);
	q->ctl = kb_shared_alloc(sizeof(*q->ctl));
	if (s->kind == KI_RTT)
		q->samples = kb_shared_alloc((size_t)ICE_RTT_MAX * sizeof(uint64_t));
	if (!q->ctl || (s->kind == KI_RTT && !q->samples))
		goto fail;
	if (!roudi_connectable()) {
		fprintf(stderr, "bench: iceoryx: RouDi is not running any more\n");
		goto fail;
	}
	if (pipe2(cmd, O_CLOEXEC) != 0 || pipe2(ack, O_CLOEXEC) != 0) {
		fprintf(stderr, "bench: iceoryx: pipe2: %s\n", strerror(errno));
		goto fail;
	}
	pid_t pid = kb_fork(SIGKILL);
	if (pid == 0) {
		close(cmd[1]);
		close(ack[0]);
		ice_helper(q, cmd[0], ack[1]);
	}
	close(cmd[0]);
	close(ack[1]);
	q->cmd = cmd[1];
	q->ack = ack[0];
	if (pid < 0) {
		fprintf(stderr, "bench: iceoryx: fork: %s\n", strerror(errno));
		goto fail;
	}
	q->helper = pid;
	if (ice_read_ack(q, (ICE_SETUP_S + 5) * 1000L) != 0)
		goto fail;
	return q;
fail:
	/* Not again in this program: each try would take as long. */
	ice_state = ICE_BROKEN;
	ice_close(q);
	return NULL;
}

static void __attribute__((noreturn))
ice_child_exit(struct ice_q *q, int status);

static int
ice_child_open(void *qv)
{
	struct ice_q *q = qv;
	if (!ice_helper_alive(q)) {
		fprintf(stderr, "bench: iceoryx: the producer process is gone\n");
		return -1;
	}
	if (!roudi_connectable()) {
		fprintf(stderr, "bench: iceoryx: RouDi is not running any more\n");
		return -1;
	}
	ice_process_init('c');
	q->ctl->consumer = getpid();
	q->sub = ice_sub(&q->sub_st, q->instance, "fwd");
	if (q->spec.kind == KI_RTT)
		q->echo = ice_pub(&q->echo_st, q->instance, "back");
	/* RouDi connects the two within its discovery loop (every 100 ms). */
	for (long t = 0;; t++) {
		if (iox_sub_get_subscription_state(q->sub) == SubscribeState_SUBSCRIBED &&
		    (!q->echo || iox_pub_has_subscribers(q->echo)))
			break;
		if (t % 100 == 99 && !ice_helper_alive(q)) {
			fprintf(stderr, "bench: iceoryx: the producer process is gone\n");
			ice_child_exit(q, 1);
		}
		if (t >= ICE_CONNECT_MS) {
			fprintf(stderr, "bench: iceoryx: not connected to the producer "
					"within %d s\n", ICE_CONNECT_MS / 1000);
			ice_child_exit(q, 1);
		}
		ice_sleep_ms(1);
	}
	alarm(0);
	return 0;
}

/* In a consumer child: leave with exit(), not the harness's _exit(), so
 * that iceoryx's destructors deregister this process from RouDi (which
 * drops its ports at once) and remove its socket. The harness's
 * child_close comes after the child's clock has stopped. */
static void __attribute__((noreturn))
ice_child_exit(struct ice_q *q, int status)
{
	alarm(ICE_EXIT_S);
	if (q->echo)
		iox_pub_deinit(q->echo);
	if (q->sub)
		iox_sub_deinit(q->sub);
	fflush(stderr);
	exit(status);
}

static void
ice_child_close(void *qv)
{
	struct ice_q *q = qv;
	ice_child_exit(q, q->child_rc == 0 ? 0 : 1);
}

/* Pin the helper to this thread's CPUs (the producer's), once. */
static void
ice_pin_helper(struct ice_q *q)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0 ||
	    CPU_EQUAL(&set, &q->helper_cpus))
		return;
	if (sched_setaffinity(q->helper, sizeof(set), &set) == 0)
		q->helper_cpus = set;
}

static int
ice_produce(void *qv, const struct ki_spec *s, uint64_t events,
	    struct ki_out *out, struct ki_rtt *rtt)
{
	struct ice_q *q = qv;
	char go = 'r';
	if (s->kind == KI_RTT && events > ICE_RTT_MAX) {
		fprintf(stderr, "bench: iceoryx: %llu round trips; the sample buffer "
				"holds %u (ICE_RTT_MAX)\n",
			(unsigned long long)events, ICE_RTT_MAX);
		return -1;
	}
	if (q->helper <= 0 || !ice_helper_alive(q)) {
		fprintf(stderr, "bench: iceoryx: the producer process is gone\n");
		ice_kill_helper(q);
		return -1;
	}
	ice_pin_helper(q);
	q->ctl->events = events;
	if (write(q->cmd, &go, 1) != 1) {
		fprintf(stderr, "bench: iceoryx: to the producer process: %s\n",
			strerror(errno));
		ice_kill_helper(q);
		return -1;
	}
	if (ice_wait_run(q) != 0)
		return -1;
	if (s->kind == KI_RTT) {
		/* The helper's samples into the harness's (a copy of 8 bytes
		 * per trip: a fraction of one trip's time). */
		memcpy(rtt->samples, q->samples, events * sizeof(uint64_t));
		rtt->tick0 = q->ctl->clock.tick0;
		rtt->tick1 = q->ctl->clock.tick1;
		rtt->ns0 = q->ctl->clock.ns0;
		rtt->ns1 = q->ctl->clock.ns1;
		out->check = q->ctl->echo;
	}
	return 0;
}

/* Message consumer: every message's length (from its header), sequence,
 * trailer and pattern (ki_msg_take). */
KB_INLINE int
ice_msg_consume(iox_sub_t sub, uint64_t events, size_t want, struct ki_out *out)
{
	struct ki_msg_check c = ki_msg_check_start();
	while (c.count < events) {
		const void *p;
		if (ice_take(sub, &p) != 0)
			return -1;
		ki_msg_take(&c, p, ice_hdr_len(p), want);
		iox_sub_release_chunk(sub, p);
	}
	out->msg = c;
	return 0;
}

static int
ice_consume_kind(struct ice_q *q, const struct ki_spec *s, uint64_t events,
		 struct ki_out *out)
{
	struct kb_check c = kb_check_start();
	switch (s->kind) {
	case KI_SINGLE:
		for (; c.count < events; c.count++) {
			const void *p;
			if (ice_take(q->sub, &p) != 0)
				return -1;
			uint64_t v = *(const uint64_t *)p;
			iox_sub_release_chunk(q->sub, p);
			kb_take_in_order(&c, v);
		}
		break;
	case KI_SUSTAINED:
		while (c.count < events) {
			const void *p;
			if (ice_take(q->sub, &p) != 0)
				return -1;
			uint32_t len = ice_hdr_len(p);
			if (KB_UNLIKELY(len == 0 || len % 8 || len > s->io_bytes)) {
				fprintf(stderr, "bench: iceoryx: a sample of %u bytes in "
						"the sustained case\n", len);
				iox_sub_release_chunk(q->sub, p);
				return -1;
			}
			const uint64_t *v = p;
			for (uint32_t i = 0; i < len / 8; i++)
				kb_take_in_order(&c, v[i]);
			c.count += len / 8;
			iox_sub_release_chunk(q->sub, p);
		}
		break;
	case KI_MSG:
#define ICE_MSG_CONSUME(len) ice_msg_consume(q->sub, events, len, out)
		KI_BY_MSG_BYTES(s, ICE_MSG_CONSUME);
#undef ICE_MSG_CONSUME
	case KI_RTT:
		for (; c.count < events; c.count++) {
			const void *p;
			void *e;
			if (ice_take(q->sub, &p) != 0)
				return -1;
			uint64_t v = *(const uint64_t *)p;
			iox_sub_release_chunk(q->sub, p);
			if (ice_loan(q->echo, &e, 8, 0) != 0)
				return -1;
			*(uint64_t *)e = v;
			iox_pub_publish_chunk(q->echo, e);
			kb_take_in_order(&c, v);
		}
		break;
	}
	out->check = c;
	return 0;
}

static int
ice_consume(void *qv, const struct ki_spec *s, uint64_t events,
	    struct ki_out *out)
{
	struct ice_q *q = qv;
	q->child_rc = ice_consume_kind(q, s, events, out);
	if (q->child_rc == 0 && iox_sub_has_lost_chunks(q->sub)) {
		fprintf(stderr, "bench: iceoryx: the subscriber lost samples\n");
		q->child_rc = -1;
	}
	return q->child_rc;
}

/* ---- adapter --------------------------------------------------------------------- */

static int
ice_supports(const struct ki_spec *s)
{
	if (ice_state == ICE_UNKNOWN)
		ice_setup();
	return ice_state == ICE_READY && (s->kind != KI_MSG || s->msg_bytes <= KI_MAX_MSG);
}

/* The smaller event count for a sample per value or message (see the top). */
static int
ice_per_sample(const struct ki_spec *s)
{
	return s->kind != KI_SUSTAINED;
}

static const char *
ice_note(const struct ki_spec *s)
{
	/* by kind; parenthesised: each is one string (clang's
	 * -Wstring-concatenation) */
	static const char *const note[] = {
		[KI_SINGLE] = ("C binding, a sample per value: loan, publish / take, release; "
			"queue of 256 that blocks the publisher; producer in a helper "
			"process"),
		[KI_SUSTAINED] = ("C binding, 8 KiB samples of 1024 values (length in a user "
			"header); queue of 256 that blocks the publisher; producer in a "
			"helper process"),
		[KI_MSG] = ("C binding, a sample per message (length in a user header); "
			"queue of 256 that blocks the publisher; producer in a helper "
			"process"),
		[KI_RTT] = ("C binding, a topic each way, a sample per value; producer in a "
			"helper process"),
	};
	return note[s->kind];
}

const struct ki_adapter ki_peer_iceoryx = {
	.name = "iceoryx",
	.per_message_syscalls = ice_per_sample,
	.supports = ice_supports,
	.note = ice_note,
	.open = ice_open,
	.close = ice_close,
	.child_open = ice_child_open,
	.child_close = ice_child_close,
	.produce = ice_produce,
	.consume = ice_consume,
};
