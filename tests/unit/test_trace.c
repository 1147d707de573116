/* SPDX-License-Identifier: MIT */
/*
 * Trace hooks (kaos/trace.h), in whichever back end this build has.
 *
 *   test_trace            self-test, every back end: the header and the
 *                         library agree on the back end; the event table is
 *                         sane; every hooked path (IPC connect, send,
 *                         receive, close; each ring's producer wait on a
 *                         full ring) still returns what it must; flush
 *                         works (chrome: the file appears)
 *   test_trace backend    print the back end's name
 *   test_trace probes     print each USDT probe the table implies, with
 *                         live/pending (for tests/trace/check-usdt.sh)
 *   test_trace events     print each event, its kind and its log level
 *   test_trace workload [ROUNDS]
 *                         produce every live event, from two threads, with
 *                         known byte counts, for the scripts in tests/trace/
 *                         and for capturing with Tracy; prints a summary
 *                         line ("sent_bytes=N received_bytes=N ...")
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#define TIMEOUT_NS 2000000ull /* 2 ms: how long a full ring is waited on */

static const struct kaos_wait spin_briefly = { .kind = KAOS_WAIT_SPIN,
					       .timeout_ns = TIMEOUT_NS };

/* ---- the event table ---------------------------------------------------------- */

struct ev {
	const char *name;
	int kind;
	int level;
	bool live;
};

static const struct ev events[] = {
#define EV(name, kind, level, arg, end_arg, status, what)                          \
	{ #name, KAOS_TRACE_KIND_##kind, KAOS_TRACE_LEVEL_##level,                  \
	  KAOS_TRACE_##status == KAOS_TRACE_LIVE },
	KAOS_TRACE_EVENTS(EV)
#undef EV
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

static const char *const level_names[] = { "trace", "debug", "info", "warn" };

static void
print_probes(void)
{
	for (size_t i = 0; i < NEVENTS; i++) {
		const char *st = events[i].live ? "live" : "pending";
		if (events[i].kind == KAOS_TRACE_KIND_SPAN) {
			printf("%s_begin %s\n", events[i].name, st);
			printf("%s_end %s\n", events[i].name, st);
		} else {
			printf("%s %s\n", events[i].name, st);
		}
	}
}

static void
print_events(void)
{
	for (size_t i = 0; i < NEVENTS; i++)
		printf("%s %s %s %s\n", events[i].name,
		       events[i].kind == KAOS_TRACE_KIND_SPAN ? "span" : "instant",
		       level_names[events[i].level], events[i].live ? "live" : "pending");
}

static void
check_table(void)
{
	KAOS_ASSERT_EQ(NEVENTS, KAOS_TRACE_EV_COUNT);
	for (size_t i = 0; i < NEVENTS; i++) {
		KAOS_ASSERT(events[i].kind == KAOS_TRACE_KIND_SPAN ||
			    events[i].kind == KAOS_TRACE_KIND_INSTANT);
		KAOS_ASSERT(events[i].level >= KAOS_TRACE_LEVEL_TRACE &&
			    events[i].level <= KAOS_TRACE_LEVEL_WARN);
		for (size_t j = 0; j < i; j++)
			KAOS_ASSERT(strcmp(events[i].name, events[j].name) != 0);
	}
	/* The events the issue names, with the kinds it gives them. */
	KAOS_ASSERT_EQ(events[KAOS_TRACE_EV_send].kind, KAOS_TRACE_KIND_SPAN);
	KAOS_ASSERT_EQ(events[KAOS_TRACE_EV_recv].kind, KAOS_TRACE_KIND_SPAN);
	KAOS_ASSERT_EQ(events[KAOS_TRACE_EV_backpressure].kind, KAOS_TRACE_KIND_INSTANT);
	KAOS_ASSERT_EQ(events[KAOS_TRACE_EV_retransmit].kind, KAOS_TRACE_KIND_INSTANT);
	KAOS_ASSERT_EQ(events[KAOS_TRACE_EV_connect].kind, KAOS_TRACE_KIND_SPAN);
}

/* ---- the workload --------------------------------------------------------------- */

struct totals {
	uint64_t sent_bytes, received_bytes, messages, backpressure;
};

static void
count_message(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct totals *t = ctx;
	const unsigned char *p = data;
	(void)type;
	/* Each message is len bytes of (len & 0xff). */
	for (size_t i = 0; i < len; i++)
		KAOS_ASSERT_EQ(p[i], len & 0xff);
	t->received_bytes += len;
	t->messages++;
}

static void
channel_name(char *out, size_t size, const char *what)
{
	snprintf(out, size, "/kaos-test-trace-%s-%d", what, (int)getpid());
}

/* An SPSC channel, publisher and subscriber in this process: connect,
 * fill, one send that waits on the full channel and times out
 * (backpressure), drain (one recv), an empty poll, close. */
static void
ipc_spsc(struct totals *t)
{
	char name[64];
	channel_name(name, sizeof(name), "spsc");
	struct kaos_ipc_config cfg = { .name = name, .kind = KAOS_IPC_SPSC,
				       .capacity = 8, .slot_size = 8 };
	struct kaos_ipc *pub = NULL, *sub = NULL;
	KAOS_ASSERT_OK(kaos_ipc_publish(&cfg, &pub));
	KAOS_ASSERT_OK(kaos_ipc_subscribe(&cfg, &sub));
	unsigned char msg[8];
	memset(msg, 8, sizeof(msg));
	for (int i = 0; i < 8; i++) {
		KAOS_ASSERT_EQ(kaos_ipc_send(pub, 0, msg, 8, &spin_briefly), 0);
		t->sent_bytes += 8;
	}
	KAOS_ASSERT_EQ(kaos_ipc_send(pub, 0, msg, 8, &spin_briefly), -ETIMEDOUT);
	t->backpressure++;
	KAOS_ASSERT_EQ(kaos_ipc_send(pub, 0, msg, 8, NULL), -KAOS_EFULL);
	KAOS_ASSERT_EQ(kaos_ipc_receive(sub, count_message, t, 100, NULL), 8);
	KAOS_ASSERT_EQ(kaos_ipc_receive(sub, count_message, t, 100, NULL), 0);
	kaos_ipc_close(sub);
	kaos_ipc_close(pub);
	KAOS_ASSERT_OK(kaos_ipc_unlink(name));
	/* A failed connect is a span too (its end carries the error). */
	struct kaos_ipc_config bad = cfg;
	bad.slot_size = 7;
	KAOS_ASSERT_EQ(kaos_ipc_publish(&bad, &pub), -EINVAL);
}

/* A message channel between two threads: lengths 1..rounds, so the byte
 * counts are known, with waiting on both sides. */
struct msg_run {
	struct kaos_ipc *ch;
	uint64_t rounds;
	struct totals t;
};

static void *
msg_receiver(void *arg)
{
	struct msg_run *r = arg;
	const struct kaos_wait patient = { .kind = KAOS_WAIT_YIELD,
					   .timeout_ns = 10000000000ull };
	while (r->t.messages < r->rounds) {
		int64_t n = kaos_ipc_receive(r->ch, count_message, &r->t, 16, &patient);
		KAOS_ASSERT_GT(n, 0);
	}
	return NULL;
}

static void
ipc_msg(struct totals *t, uint64_t rounds)
{
	char name[64];
	channel_name(name, sizeof(name), "msg");
	struct kaos_ipc_config cfg = { .name = name, .kind = KAOS_IPC_MSG_SP,
				       .capacity = 4096 };
	struct kaos_ipc *pub = NULL;
	struct msg_run r = { .rounds = rounds };
	KAOS_ASSERT_OK(kaos_ipc_publish(&cfg, &pub));
	KAOS_ASSERT_OK(kaos_ipc_subscribe(&cfg, &r.ch));
	pthread_t th;
	KAOS_ASSERT_EQ(pthread_create(&th, NULL, msg_receiver, &r), 0);
	const struct kaos_wait patient = { .kind = KAOS_WAIT_YIELD,
					   .timeout_ns = 10000000000ull };
	unsigned char buf[256];
	for (uint64_t i = 0; i < rounds; i++) {
		size_t len = 1 + (size_t)(i % 200);
		memset(buf, (int)(len & 0xff), len);
		KAOS_ASSERT_EQ(kaos_ipc_send(pub, 0, buf, len, &patient), 0);
		t->sent_bytes += len;
	}
	KAOS_ASSERT_EQ(pthread_join(th, NULL), 0);
	KAOS_ASSERT_EQ(r.t.messages, rounds);
	t->received_bytes += r.t.received_bytes;
	t->messages += r.t.messages;
	kaos_ipc_close(r.ch);
	kaos_ipc_close(pub);
	KAOS_ASSERT_OK(kaos_ipc_unlink(name));
}

/* Each ring's producer wait on a full ring: -ETIMEDOUT, and one
 * backpressure each. A consumer wait on an empty ring is idle, not
 * backpressure. */
static void
rings_full(struct totals *t)
{
	uint64_t v = 1;
	struct kaos_spsc spsc;
	KAOS_ASSERT_OK(kaos_spsc_create(&spsc, 4, 8, KAOS_MEM_HEAP));
	for (int i = 0; i < 4; i++)
		KAOS_ASSERT_EQ(kaos_spsc_push(&spsc, &v), 0);
	KAOS_ASSERT_EQ(kaos_spsc_push_wait(&spsc, &v, &spin_briefly), -ETIMEDOUT);
	void *slot;
	KAOS_ASSERT_EQ(kaos_spsc_claim_wait(&spsc, 1, &slot, &spin_briefly), -ETIMEDOUT);
	t->backpressure += 2;
	/* Not full: no backpressure. */
	KAOS_ASSERT_EQ(kaos_spsc_pop(&spsc, &v), 0);
	KAOS_ASSERT_EQ(kaos_spsc_push_wait(&spsc, &v, &spin_briefly), 0);
	kaos_spsc_destroy(&spsc);
	/* Empty: the consumer waits, which is not backpressure. */
	KAOS_ASSERT_OK(kaos_spsc_create(&spsc, 4, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spsc_pop_wait(&spsc, &v, &spin_briefly), -ETIMEDOUT);
	kaos_spsc_destroy(&spsc);

	struct kaos_mpsc mpsc;
	KAOS_ASSERT_OK(kaos_mpsc_create(&mpsc, 4, 8, KAOS_MEM_HEAP));
	for (int i = 0; i < 4; i++)
		KAOS_ASSERT_EQ(kaos_mpsc_push(&mpsc, &v), 0);
	struct kaos_batch b;
	KAOS_ASSERT_EQ(kaos_mpsc_claim_wait(&mpsc, 1, &b, &spin_briefly), -ETIMEDOUT);
	t->backpressure++;
	kaos_mpsc_destroy(&mpsc);

	struct kaos_bcast bc;
	struct kaos_bcast_consumer c;
	KAOS_ASSERT_OK(kaos_bcast_create(&bc, 4, 8, 2, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&bc, &c));
	for (int i = 0; i < 4; i++)
		KAOS_ASSERT_EQ(kaos_bcast_push(&bc, &v), 0);
	KAOS_ASSERT_EQ(kaos_bcast_push_wait(&bc, &v, &spin_briefly), -ETIMEDOUT);
	t->backpressure++;
	KAOS_ASSERT_EQ(kaos_bcast_pop_wait(&c, &v, &spin_briefly), 0);
	kaos_bcast_leave(&c);
	kaos_bcast_destroy(&bc);

	struct kaos_msgring mr;
	struct kaos_msgring_producer p;
	KAOS_ASSERT_OK(kaos_msgring_create(&mr, 256, 0, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &mr, 0));
	void *data;
	int n = 0;
	while (kaos_msgring_claim(&p, 0, 16, &data) == 0) {
		memset(data, 0, 16);
		KAOS_ASSERT_OK(kaos_msgring_commit(&p));
		n++;
	}
	KAOS_ASSERT_GT(n, 0);
	KAOS_ASSERT_EQ(kaos_msgring_claim_wait(&p, 0, 16, &data, &spin_briefly), -ETIMEDOUT);
	t->backpressure++;
	kaos_msgring_destroy(&mr);
}

static struct totals
workload(uint64_t rounds)
{
	struct totals t = { 0 };
	ipc_spsc(&t);
	ipc_msg(&t, rounds);
	rings_full(&t);
	KAOS_ASSERT_EQ(t.sent_bytes, t.received_bytes);
	return t;
}

/* ---- modes ----------------------------------------------------------------------- */

/* The chrome back end writes the trace file again at exit, after main()
 * returns: this runs after that (registered before the library's own
 * handler) and removes it. */
static char trace_dir[64], trace_path[128];

static atomic_bool stop_flushing;

static void *
flush_repeatedly(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_flushing)) {
		KAOS_ASSERT_EQ(kaos_trace_flush(), 0);
		usleep(2000);
	}
	return NULL;
}

static void
remove_trace_file(void)
{
	unlink(trace_path);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", trace_path);
	unlink(tmp);
	rmdir(trace_dir);
}

static void
self_test(void)
{
	printf("back end: %s (library: %s)\n", KAOS_TRACE_BACKEND_NAME, kaos_trace_backend());
	KAOS_ASSERT(strcmp(KAOS_TRACE_BACKEND_NAME, kaos_trace_backend()) == 0);
	check_table();
	kaos_init_tracy(); /* a no-op unless tracy; twice is fine */
	kaos_init_tracy();

	snprintf(trace_dir, sizeof(trace_dir), "/tmp/kaos-test-trace-XXXXXX");
	KAOS_ASSERT(mkdtemp(trace_dir) != NULL);
	snprintf(trace_path, sizeof(trace_path), "%s/trace.json", trace_dir);
	KAOS_ASSERT_EQ(atexit(remove_trace_file), 0);
	const char *path = trace_path;
	KAOS_ASSERT_EQ(setenv("KAOS_TRACE_FILE", path, 1), 0);
	KAOS_ASSERT_EQ(setenv("KAOS_LOG", "warn", 1), 0); /* quiet */

	/* Flushing while other threads record (chrome: the writer reads the
	 * buffers the recording threads append to; TSan checks it). */
	pthread_t flusher;
	KAOS_ASSERT_EQ(pthread_create(&flusher, NULL, flush_repeatedly, NULL), 0);
	struct totals t = workload(kaos_test_scaled(2000, 100));
	atomic_store(&stop_flushing, true);
	KAOS_ASSERT_EQ(pthread_join(flusher, NULL), 0);
	printf("workload: %" PRIu64 " messages, %" PRIu64 " bytes each way, %" PRIu64
	       " backpressure waits\n",
	       t.messages, t.sent_bytes, t.backpressure);

	KAOS_ASSERT_EQ(kaos_trace_flush(), 0);
	struct stat st;
	if (KAOS_TRACE_BACKEND == KAOS_TRACE_BACKEND_CHROME) {
		KAOS_ASSERT_EQ(stat(path, &st), 0);
		KAOS_ASSERT_GT(st.st_size, 100);
		/* A second flush replaces the file. */
		KAOS_ASSERT_EQ(kaos_trace_flush(), 0);
		KAOS_ASSERT_EQ(stat(path, &st), 0);
		/* An unwritable path is an error, not a crash. */
		KAOS_ASSERT_EQ(setenv("KAOS_TRACE_FILE", "/nonexistent-dir/x.json", 1), 0);
		KAOS_ASSERT_LT(kaos_trace_flush(), 0);
		KAOS_ASSERT_EQ(setenv("KAOS_TRACE_FILE", path, 1), 0);
	} else {
		KAOS_ASSERT(stat(path, &st) != 0); /* nothing written */
	}
	printf("ok\n");
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "backend")) {
		printf("%s\n", kaos_trace_backend());
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "probes")) {
		print_probes();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "events")) {
		print_events();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "workload")) {
		kaos_init_tracy();
		uint64_t rounds = argc >= 3 ? strtoull(argv[2], NULL, 10) : 1000;
		struct totals t = workload(rounds);
		printf("sent_bytes=%" PRIu64 " received_bytes=%" PRIu64 " messages=%" PRIu64
		       " backpressure=%" PRIu64 "\n",
		       t.sent_bytes, t.received_bytes, t.messages, t.backpressure);
		/* KAOS_TEST_NO_FLUSH: leave the file to the library's exit. */
		int rc = getenv("KAOS_TEST_NO_FLUSH") ? 0 : kaos_trace_flush();
		if (rc < 0) {
			fprintf(stderr, "kaos_trace_flush: %s\n", kaos_strerror(rc));
			return 1;
		}
		return 0;
	}
	if (argc >= 2) {
		fprintf(stderr, "usage: %s [backend|probes|events|workload [ROUNDS]]\n",
			argv[0]);
		return 2;
	}
	self_test();
	return 0;
}
