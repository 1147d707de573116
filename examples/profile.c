/* SPDX-License-Identifier: MIT */
/*
 * profile: a realistic workload to try the trace back ends and profilers
 * on. Trace events of five types (the trace benchmark's, round-robin, with
 * payloads of 8, 16, 32, 64 and 128 bytes) go through two stages:
 *
 *   producer thread --SPSC ring (fixed slots)--> forwarder thread
 *     --IPC message channel--> subscriber (a forked child process)
 *
 * The producer emits bursts of BURST events back to back; the forwarder
 * and the subscriber each stall for a moment every STALL_EVERY events. So
 * the channel fills, the forwarder waits in kaos_ipc_send(), the ring
 * fills behind it and the producer waits in kaos_spsc_claim_wait(): every
 * trace event kaos has (connect, send, recv, backpressure, disconnect)
 * fires, in two processes. The subscriber checks every event (the
 * sequence, the type order, every payload byte) and counts each type.
 *
 *   example_profile [EVENTS]      (default 100000)
 *
 * While it runs, `kaos-stat` shows the channel and both processes'
 * counters files. docs/tracing.md has a command per back end;
 * docs/PROFILING.md disassembles profile_publish() and profile_consume().
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kaos/kaos.h>

#define TYPES 5
#define PAYLOAD_MAX 128         /* type t carries 8 << (t - 1) bytes */
#define DEFAULT_EVENTS 100000u  /* short enough for valgrind (make memcheck) */
#define RING_SLOTS 1024u
#define CHANNEL_BYTES (64u * 1024) /* about 900 events */
#define BURST 4000u             /* events the producer emits back to back */
#define BURST_GAP_NS 200000u    /* its pause between bursts */
#define STALL_EVERY 2000u       /* a consumer sleeps after this many events */
#define STALL_NS 300000u        /* for this long: longer than the buffers last */
#define SLICE_NS 100000000ull   /* ring waits: check on the other thread this often */
#define TIMEOUT_NS 30000000000ull /* a wait this long fails (valgrind is slow) */
#define PUBLISH_COUNTERS 256u   /* counters file updates, every this many events */

/* An event as it sits in a ring slot. */
struct event {
	uint32_t type; /* 1..TYPES, round-robin */
	uint32_t len;  /* payload bytes */
	/* from here on it is also the message on the channel (WIRE_HEADER +
	 * len bytes; the channel carries the type in its record header) */
	uint64_t seq;
	uint64_t ts_ns; /* made at, CLOCK_MONOTONIC: the same clock in both processes */
	uint64_t payload[PAYLOAD_MAX / 8];
};

#define WIRE_HEADER (2 * sizeof(uint64_t)) /* seq, ts_ns */

/* The message as the subscriber reads it in place (payloads arrive 8-byte
 * aligned). */
struct wire {
	uint64_t seq;
	uint64_t ts_ns;
	uint64_t payload[PAYLOAD_MAX / 8];
};

static uint32_t
event_type(uint64_t seq)
{
	return (uint32_t)(seq % TYPES) + 1;
}

static uint32_t
payload_len(uint32_t type)
{
	return 8u << (type - 1);
}

/* Payload word k of event seq: distinct per event and per word, so a
 * stale, shifted or torn payload shows. */
static uint64_t
pattern(uint64_t seq, uint32_t k)
{
	return ((seq << 8) | k) * 0x9e3779b97f4a7c15ull;
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	nanosleep(&ts, NULL);
}

/* ---- the hot path ------------------------------------------------------------ */

/*
 * Claim/publish and peek/release, out of line on purpose: docs/PROFILING.md
 * disassembles them (gdb -batch -ex 'disassemble profile_publish', objdump
 * --disassemble=profile_publish), which needs a symbol of their own, not
 * code inlined into a thread function. External linkage for the same
 * reason: the symbol stays under its own name, and the threads call it.
 */
int64_t profile_publish(struct kaos_spsc *ring, uint64_t seq, uint64_t ts_ns);
int64_t profile_consume(struct kaos_spsc *ring, struct event *out);

/* Write event @p seq into a claimed slot and publish it.
 * @return the claim's result: 1, or 0 if the ring is full (nothing written). */
__attribute__((noinline)) int64_t
profile_publish(struct kaos_spsc *ring, uint64_t seq, uint64_t ts_ns)
{
	void *slot = NULL; /* gcc cannot tell that a claim of 1 sets it */
	int64_t got = kaos_spsc_claim(ring, 1, &slot);
	if (got != 1)
		return got;
	struct event *ev = slot;
	ev->type = event_type(seq);
	ev->len = payload_len(ev->type);
	ev->seq = seq;
	ev->ts_ns = ts_ns;
	for (uint32_t k = 0; k < ev->len / 8; k++)
		ev->payload[k] = pattern(seq, k);
	kaos_spsc_publish(ring, 1);
	return got;
}

/* Copy the oldest event out and release its slot at once, so the producer
 * can reuse it while the forwarder waits on the channel.
 * @return the peek's result: 1, or 0 if the ring is empty. */
__attribute__((noinline)) int64_t
profile_consume(struct kaos_spsc *ring, struct event *out)
{
	const void *slot = NULL; /* as above */
	int64_t got = kaos_spsc_peek(ring, 1, &slot);
	if (got != 1)
		return got;
	const struct event *ev = slot;
	uint32_t len = ev->len <= PAYLOAD_MAX ? ev->len : PAYLOAD_MAX;
	memcpy(out, ev, offsetof(struct event, payload) + len);
	out->len = len;
	kaos_spsc_release(ring, 1);
	return got;
}

/* ---- publisher process: producer and forwarder threads ---------------------- */

/* Counters other processes (kaos-stat) read while we run. */
enum { C_PRODUCED, C_PRODUCER_WAITS, C_FORWARDED, C_SENT_BYTES, N_PUB_COUNTERS };
static const char *const pub_labels[N_PUB_COUNTERS] = {
	"profile: events produced",
	"profile: producer waits (ring full)",
	"profile: events forwarded",
	"profile: bytes sent",
};

struct pipeline {
	uint64_t events;
	struct kaos_spsc ring;
	struct kaos_ipc *ch;
	struct kaos_counter counters[N_PUB_COUNTERS];
	struct kaos_wait slice; /* ring waits: back off, in slices */
	struct kaos_wait patient; /* channel sends */
	atomic_bool failed; /* a thread gave up: the other stops too */
	/* Each thread's own, on lines of their own: written per event, they
	 * would otherwise bounce a line between the two cores. */
	KAOS_CACHE_ALIGNED struct {
		uint64_t produced, waits;
	} prod;
	KAOS_CACHE_ALIGNED struct {
		uint64_t forwarded, sent_bytes, idle;
	} fwd;
};

static void
thread_failed(struct pipeline *p, const char *who, int64_t rc, uint64_t at)
{
	fprintf(stderr, "%s: event %" PRIu64 ": %s\n", who, at,
		rc == -ECANCELED ? "the other thread failed" : kaos_strerror((int)rc));
	atomic_store(&p->failed, true);
}

/*
 * Wait for space (@p claim) or for an event, in slices, so that a thread
 * stuck behind a failed one notices. Each slice is a wait of its own: the
 * producer's fires one backpressure event per slice, not per spin.
 */
static int64_t
wait_ring(struct pipeline *p, bool claim)
{
	uint64_t start = kaos_now_ns();
	for (;;) {
		int64_t got;
		if (claim) {
			void *slot;
			got = kaos_spsc_claim_wait(&p->ring, 1, &slot, &p->slice);
		} else {
			const void *slot;
			got = kaos_spsc_peek_wait(&p->ring, 1, &slot, &p->slice);
		}
		if (got != -ETIMEDOUT)
			return got;
		if (atomic_load(&p->failed))
			return -ECANCELED;
		if (kaos_now_ns() - start >= TIMEOUT_NS)
			return -ETIMEDOUT;
	}
}

static void *
produce(void *arg)
{
	struct pipeline *p = arg;
	for (uint64_t seq = 0; seq < p->events; seq++) {
		if (seq && seq % BURST == 0)
			sleep_ns(BURST_GAP_NS);
		uint64_t now = kaos_now_ns();
		int64_t got = profile_publish(&p->ring, seq, now);
		if (got == 0) {
			/* Full: wait for a slot (kaos's backpressure hook fires in
			 * there), which claims it; publishing claims the same slot
			 * again and fills it. */
			p->prod.waits++;
			got = wait_ring(p, true);
			if (got == 1)
				got = profile_publish(&p->ring, seq, now);
		}
		if (got != 1) {
			thread_failed(p, "producer", got ? got : -KAOS_EFULL, seq);
			return NULL;
		}
		p->prod.produced = seq + 1;
		if (p->prod.produced % PUBLISH_COUNTERS == 0 || p->prod.produced == p->events) {
			kaos_counter_set(&p->counters[C_PRODUCED], p->prod.produced);
			kaos_counter_set(&p->counters[C_PRODUCER_WAITS], p->prod.waits);
		}
	}
	return NULL;
}

static void *
forward(void *arg)
{
	struct pipeline *p = arg;
	struct event ev;
	for (uint64_t n = 0; n < p->events; n++) {
		int64_t got = profile_consume(&p->ring, &ev);
		if (got == 0) {
			p->fwd.idle++;
			got = wait_ring(p, false);
			if (got == 1)
				got = profile_consume(&p->ring, &ev);
		}
		if (got != 1) {
			thread_failed(p, "forwarder", got ? got : -KAOS_EEMPTY, n);
			return NULL;
		}
		if (n && n % STALL_EVERY == 0)
			sleep_ns(STALL_NS);
		/* Waits while the channel is full (backpressure), checking every
		 * 100 ms that the subscriber lives: a dead one is an error. */
		int rc = kaos_ipc_send(p->ch, ev.type, &ev.seq, WIRE_HEADER + ev.len,
				       &p->patient);
		if (rc < 0) {
			thread_failed(p, "forwarder: send", rc, n);
			return NULL;
		}
		p->fwd.forwarded = n + 1;
		p->fwd.sent_bytes += WIRE_HEADER + ev.len;
		if (p->fwd.forwarded % PUBLISH_COUNTERS == 0 || p->fwd.forwarded == p->events) {
			kaos_counter_set(&p->counters[C_FORWARDED], p->fwd.forwarded);
			kaos_counter_set(&p->counters[C_SENT_BYTES], p->fwd.sent_bytes);
		}
	}
	return NULL;
}

/* Wait for the child, killing it after TIMEOUT_NS. @return its exit code,
 * or -1 if it did not exit by itself. */
static int
reap(pid_t child)
{
	uint64_t start = kaos_now_ns();
	int status;
	pid_t w;
	while ((w = waitpid(child, &status, WNOHANG)) == 0) {
		if (kaos_now_ns() - start >= TIMEOUT_NS) {
			fprintf(stderr, "profile: the subscriber did not finish; killing it\n");
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			return -1;
		}
		sleep_ns(1000000);
	}
	if (w < 0) {
		perror("waitpid");
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
run_publisher(const char *name, uint64_t events, pid_t child)
{
	kaos_init_tracy(); /* a no-op but in a tracy build */
	struct pipeline p = {
		.events = events,
		.slice = { .kind = KAOS_WAIT_BACKOFF, .timeout_ns = SLICE_NS,
			   .max_sleep_ns = 50000 },
		.patient = { .kind = KAOS_WAIT_BACKOFF, .timeout_ns = TIMEOUT_NS,
			     .max_sleep_ns = 50000 },
	};
	struct kaos_counters *cf = NULL;
	bool ring_made = false;
	int ok = 0;
	const char *what = "counters";
	int rc = kaos_counters_create(NULL, N_PUB_COUNTERS, 0, &cf);
	for (int i = 0; rc == 0 && i < N_PUB_COUNTERS; i++)
		rc = kaos_counters_add(cf, pub_labels[i], &p.counters[i]);
	if (rc == 0) {
		what = "ring";
		rc = kaos_spsc_create(&p.ring, RING_SLOTS, sizeof(struct event), KAOS_MEM_HEAP);
		ring_made = rc == 0;
	}
	if (rc == 0) {
		what = name;
		struct kaos_ipc_config cfg = { .name = name, .kind = KAOS_IPC_MSG_SP,
					       .capacity = CHANNEL_BYTES };
		rc = kaos_ipc_publish(&cfg, &p.ch); /* creates it, or joins the child's */
	}
	if (rc < 0) {
		fprintf(stderr, "profile: %s: %s\n", what, kaos_strerror(rc));
		kill(child, SIGKILL); /* it would wait for us in vain */
		goto out;
	}
	printf("profile: %" PRIu64 " events, %d types round-robin (%d..%d-byte payloads), "
	       "bursts of %u; ring of %u slots, channel %s of %u KiB; "
	       "counters in /dev/shm%s (kaos-stat)\n",
	       events, TYPES, 8, PAYLOAD_MAX, BURST, RING_SLOTS, name, CHANNEL_BYTES / 1024,
	       kaos_counters_name(cf));
	fflush(stdout);

	uint64_t start = kaos_now_ns();
	pthread_t producer, forwarder;
	if (pthread_create(&forwarder, NULL, forward, &p) != 0) {
		fprintf(stderr, "profile: pthread_create failed\n");
		kill(child, SIGKILL);
		goto out;
	}
	if (pthread_create(&producer, NULL, produce, &p) != 0) {
		fprintf(stderr, "profile: pthread_create failed\n");
		atomic_store(&p.failed, true);
		pthread_join(forwarder, NULL);
		kill(child, SIGKILL);
		goto out;
	}
	pthread_join(producer, NULL);
	pthread_join(forwarder, NULL);

	struct kaos_ring_stats rs, cs;
	kaos_spsc_stats(&p.ring, &rs);
	kaos_msgring_stats(kaos_ipc_msgring(p.ch), &cs);
	kaos_ipc_close(p.ch); /* the subscriber drains the channel, then gets -EPIPE */
	p.ch = NULL;
	int child_rc = reap(child);
	child = 0;
	double secs = (double)(kaos_now_ns() - start) / 1e9;
	ok = !atomic_load(&p.failed) && p.fwd.forwarded == events && child_rc == 0;

	printf("producer: %" PRIu64 " events; the ring was full %" PRIu64
	       " times (claims refused: %" PRIu64 ")\n",
	       p.prod.produced, p.prod.waits, rs.full);
	printf("forwarder: %" PRIu64 " events, %" PRIu64 " bytes sent; the ring was empty %"
	       PRIu64 " times; the channel refused %" PRIu64 " sends, %" PRIu64
	       " waits (either side)\n",
	       p.fwd.forwarded, p.fwd.sent_bytes, p.fwd.idle, cs.full, cs.waits);
	printf("profile: %.3f s, %.2f M events/s end to end%s\n", secs,
	       secs > 0 ? (double)p.fwd.forwarded / secs / 1e6 : 0.0,
	       ok ? "" : child_rc ? "; the subscriber FAILED" : "; FAILED");
	/* One line for scripts (tests/trace/). */
	printf("profile: events=%" PRIu64 " sent_bytes=%" PRIu64 " producer_waits=%" PRIu64
	       " channel_waits=%" PRIu64 "\n",
	       p.fwd.forwarded, p.fwd.sent_bytes, p.prod.waits, cs.waits);
out:
	fflush(stdout);
	kaos_ipc_close(p.ch);
	if (child > 0)
		reap(child);
	if (ring_made)
		kaos_spsc_destroy(&p.ring);
	kaos_counters_close(cf, true);
	return ok ? 0 : 1;
}

/* ---- subscriber process ------------------------------------------------------ */

enum { C_RECEIVED, C_RECEIVED_BYTES, C_TYPE1, N_SUB_COUNTERS = C_TYPE1 + TYPES };

struct tally {
	uint64_t next;           /* the seq we expect */
	uint64_t types[TYPES + 1];
	uint64_t bytes, last_ts, wrong;
	uint64_t latency_sum, latency_max;
	struct kaos_counter counters[N_SUB_COUNTERS];
};

static void
wrong(struct tally *t, uint64_t seq, const char *what)
{
	if (t->wrong++ < 5)
		fprintf(stderr, "subscriber: event %" PRIu64 " (expected %" PRIu64 "): %s\n",
			seq, t->next, what);
}

/* Each message, in order, in place: check everything about it. */
static void
on_event(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct tally *t = ctx;
	const struct wire *w = data;
	uint64_t now = kaos_now_ns();
	if (len < WIRE_HEADER) {
		wrong(t, t->next, "shorter than a header");
		t->next++;
		return;
	}
	if (w->seq != t->next)
		wrong(t, w->seq, "out of sequence");
	else if (type != event_type(w->seq))
		wrong(t, w->seq, "type out of round-robin order");
	else if (len != WIRE_HEADER + payload_len(type))
		wrong(t, w->seq, "wrong length for its type");
	else if (w->ts_ns < t->last_ts || w->ts_ns > now)
		wrong(t, w->seq, "timestamp out of order");
	else
		for (uint32_t k = 0; k < payload_len(type) / 8; k++)
			if (w->payload[k] != pattern(w->seq, k)) {
				wrong(t, w->seq, "payload differs");
				break;
			}
	t->next = w->seq + 1;
	t->last_ts = w->ts_ns;
	t->types[type <= TYPES ? type : 0]++;
	t->bytes += len;
	uint64_t lat = now >= w->ts_ns ? now - w->ts_ns : 0;
	t->latency_sum += lat;
	if (lat > t->latency_max)
		t->latency_max = lat;
	if (t->next % PUBLISH_COUNTERS == 0) {
		kaos_counter_set(&t->counters[C_RECEIVED], t->next);
		kaos_counter_set(&t->counters[C_RECEIVED_BYTES], t->bytes);
		for (int i = 0; i < TYPES; i++)
			kaos_counter_set(&t->counters[C_TYPE1 + i], t->types[i + 1]);
	}
}

static int
run_subscriber(const char *name, uint64_t events)
{
	kaos_init_tracy();
	struct tally t = { 0 };
	struct kaos_counters *cf = NULL;
	struct kaos_ipc *ch = NULL;
	const char *what = "counters";
	int rc = kaos_counters_create(NULL, N_SUB_COUNTERS, 0, &cf);
	if (rc == 0)
		rc = kaos_counters_add(cf, "profile: events received", &t.counters[C_RECEIVED]);
	if (rc == 0)
		rc = kaos_counters_add(cf, "profile: bytes received",
				       &t.counters[C_RECEIVED_BYTES]);
	for (int i = 0; rc == 0 && i < TYPES; i++) {
		char label[64];
		snprintf(label, sizeof(label), "profile: type %d received", i + 1);
		rc = kaos_counters_add(cf, label, &t.counters[C_TYPE1 + i]);
	}
	if (rc == 0) {
		what = name;
		struct kaos_ipc_config cfg = { .name = name, .kind = KAOS_IPC_MSG_SP,
					       .capacity = CHANNEL_BYTES };
		rc = kaos_ipc_subscribe(&cfg, &ch);
	}
	if (rc < 0) {
		fprintf(stderr, "subscriber: %s: %s\n", what, kaos_strerror(rc));
		kaos_counters_close(cf, true);
		return 1;
	}
	/* Waits while the channel is empty, checking every 100 ms that the
	 * publisher lives: -EPIPE once it closed and everything is read,
	 * -KAOS_EPEERDEAD if it died. */
	const struct kaos_wait patient = { .kind = KAOS_WAIT_BACKOFF,
					   .timeout_ns = TIMEOUT_NS,
					   .max_sleep_ns = 50000 };
	int64_t n;
	uint64_t stalled = 0;
	while ((n = kaos_ipc_receive(ch, on_event, &t, 64, &patient)) > 0) {
		if (t.next / STALL_EVERY > stalled) { /* a slow moment */
			stalled = t.next / STALL_EVERY;
			sleep_ns(STALL_NS);
		}
	}
	bool counts_ok = t.types[0] == 0;
	for (uint32_t i = 1; i <= TYPES; i++)
		counts_ok &= t.types[i] == events / TYPES + (i - 1 < events % TYPES);
	bool ok = n == -EPIPE && t.next == events && !t.wrong && counts_ok;
	printf("subscriber: %" PRIu64 " events verified (per type:", t.next);
	for (int i = 1; i <= TYPES; i++)
		printf(" %" PRIu64, t.types[i]);
	printf("), %" PRIu64 " bytes; producer to subscriber latency mean %.1f us, "
	       "max %.1f us\n",
	       t.bytes, t.next ? (double)t.latency_sum / (double)t.next / 1e3 : 0.0,
	       (double)t.latency_max / 1e3);
	printf("subscriber: events=%" PRIu64 " received_bytes=%" PRIu64 " wrong=%" PRIu64
	       "\n",
	       t.next, t.bytes, t.wrong);
	if (n != -EPIPE)
		fprintf(stderr, "subscriber: receive: %s%s\n", kaos_strerror((int)n),
			n == -KAOS_EPEERDEAD ? " (the publisher died)" : "");
	else if (!ok)
		fprintf(stderr, "subscriber: FAILED: %" PRIu64 " of %" PRIu64
				" events, %" PRIu64 " wrong, per-type counts %s\n",
			t.next, events, t.wrong, counts_ok ? "right" : "wrong");
	fflush(stdout);
	kaos_ipc_close(ch);
	kaos_counters_close(cf, true);
	return ok ? 0 : 1;
}

/* ---- main -------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	uint64_t events = DEFAULT_EVENTS;
	if (argc > 2 || (argc == 2 && (argv[1][0] < '0' || argv[1][0] > '9'))) {
		fprintf(stderr, "usage: %s [EVENTS]   (default %u)\n", argv[0], DEFAULT_EVENTS);
		return 2;
	}
	if (argc == 2) {
		char *end;
		errno = 0;
		events = strtoull(argv[1], &end, 10);
		if (errno || *end || events == 0) {
			fprintf(stderr, "%s: EVENTS must be a positive number\n", argv[0]);
			return 2;
		}
	}
	/* A channel of our own, so that runs at once do not meet. */
	char name[64];
	snprintf(name, sizeof(name), "/kaos-profile-%ld", (long)getpid());

	/*
	 * Fork first, before any thread or kaos call: then each process
	 * starts its own tracing (Tracy's threads do not survive a fork, so
	 * kaos_init_tracy() must come after it) and each writes its own
	 * Chrome trace file (KAOS_TRACE_FILE=run-%p.json).
	 */
	fflush(stdout);
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		/* Tracy: a profiler listens on one port per process. With
		 * TRACY_PORT set, the subscriber takes the next one (unset,
		 * Tracy finds a free one itself). */
		const char *port = getenv("TRACY_PORT");
		if (port && !strcmp(kaos_trace_backend(), "tracy")) {
			char next[16];
			snprintf(next, sizeof(next), "%d", atoi(port) + 1);
			setenv("TRACY_PORT", next, 1);
		}
		int rc = run_subscriber(name, events);
		if (kaos_trace_flush() < 0)
			fprintf(stderr, "subscriber: cannot write the trace file\n");
		exit(rc);
	}
	int rc = run_publisher(name, events, child);
	kaos_ipc_unlink(name); /* whoever created it: both are done with it */
	if (kaos_trace_flush() < 0)
		fprintf(stderr, "profile: cannot write the trace file\n");
	return rc;
}
