/* SPDX-License-Identifier: MIT */
/*
 * bench_ipc: the shared-memory channels between processes (kaos/ipc.h),
 * kaos and its peers on the same workloads, each run across two processes:
 * the producer is a thread of this process, the consumer a child process
 * forked for the run (bench/harness.h, kb_run_proc_case), pinned to two
 * different CPUs.
 *
 *   ipc/single_8B     one 8-byte value per send call and per receive call;
 *                     kaos: a u64 channel, kaos_u64ring_push / _pop
 *   ipc/sustained_8B  8-byte values in batches; kaos: an SPSC channel,
 *                     kaos_spsc_write of a batch, peek / release in place
 *   ipc/msg_64B, ipc/msg_1KB  messages of 64 / 1024 payload bytes; kaos: a
 *                     message channel (KAOS_IPC_MSG_SP), kaos_msgring_claim /
 *                     commit_deferred (published per 4 KiB, as the batched
 *                     pipe coalesces 8 KiB) and kaos_msgring_read
 *   ipc/rtt_8B        round trips of an 8-byte value (out through one
 *                     channel, echoed back through another), each timed:
 *                     p50 / p99 / p99.9 / max next to the core-to-core probe
 *
 * The kaos side is bench/kaos_ipc_adapter.h (built a second time without
 * the ring counters: the peer kaos_nocounters); the other peers are in
 * bench/peers/ipc_*.c; what every side checks is in bench/ipc_workload.h.
 * Only the transfer is timed: fork, mappings, channel creation and
 * attachment happen before the clock starts. Run with --help for the
 * options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kaos/ipc.h>
#include <kaos/kaos.h>

#include "harness.h"
#include "bench_kaos.h"
#include "ipc_workload.h"
#include "peers/peers.h"

#include "kaos_ipc_adapter.h"

unsigned char ki_pattern[KI_MAX_MSG];

/* ---- peers ---------------------------------------------------------------------- */

static const struct ki_adapter *const peers[] = {
	&ki_peer_kaos_nocounters,
#ifdef KB_HAVE_CK
	&ki_peer_ck_ring,
#endif
#ifdef KB_HAVE_DPDK
	&ki_peer_rte_ring_zc,
	&ki_peer_rte_ring,
#endif
#ifdef KB_HAVE_ICEORYX
	&ki_peer_iceoryx,
#endif
#ifdef KB_HAVE_OS
	&ki_peer_pipe,
	&ki_peer_pipe_batch,
	&ki_peer_socketpair,
	&ki_peer_socketpair_batch,
	&ki_peer_mq,
#endif
	NULL,
};
#define N_PEERS (sizeof(peers) / sizeof(peers[0]) - 1)

static void
print_peers(void)
{
	static const char missing[] = ""
#ifndef KB_HAVE_CK
		" ck_ring"
#endif
#ifndef KB_HAVE_DPDK
		" rte_ring rte_ring_zc"
#endif
#ifndef KB_HAVE_ICEORYX
		" iceoryx"
#endif
#ifndef KB_HAVE_OS
		" pipe pipe_batch socketpair socketpair_batch mq"
#endif
		;
	KB_PRINT_PEERS(peers, missing);
}

/* ---- cases ------------------------------------------------------------------------ */

#define K ((uint64_t)1000)
#define M ((uint64_t)1000000)
#define IPC_SLOTS 65536        /* 8-byte rings: slots (ck_ring, rte_ring: one free) */
#define IPC_MSG_RING (1u << 20) /* kaos message channel: 1 MiB */
#define IPC_BATCH 1024         /* sustained: values per ring call at most */
#define IPC_IO 8192            /* byte streams, batched: bytes per write */

struct ipc_case {
	struct kb_case c;     /* name, events per run, rounds quick/full */
	uint64_t slow_events; /* per run of a peer making a system call per
			       * message here (0: the case's events) */
	uint64_t smoke_events, smoke_slow_events; /* the same, --smoke */
	struct ki_spec spec;
};

/*
 * Events per run: kaos, ck_ring, rte_ring and the batched byte streams get
 * the case's count; peers making a system call per message (pipe,
 * socketpair and mq one value or message at a time) slow_events: they are
 * 10-300x slower, and the same count would make a kaos run last
 * milliseconds or theirs minutes. Rates are per second, so the two stay
 * comparable; the table says each such count. Smoke: enough events to wrap
 * every ring a few times, a fraction of a second in all. Quick mode: about
 * a minute in all on a 2-vCPU VM.
 */
static const struct ipc_case cases[] = {
	{ { "ipc/single_8B", 20 * M, 1, 5, 15, NULL }, 300 * K, 200 * K, 4 * K,
	  { KI_SINGLE, 8, IPC_SLOTS, 0, 1, 8 } },
	{ { "ipc/sustained_8B", 50 * M, 1, 5, 15, NULL }, 0, 300 * K, 0,
	  { KI_SUSTAINED, 8, IPC_SLOTS, 0, IPC_BATCH, IPC_IO } },
	{ { "ipc/msg_64B", 10 * M, 1, 3, 10, NULL }, 300 * K, 100 * K, 4 * K,
	  { KI_MSG, 64, 0, IPC_MSG_RING, 1, IPC_IO } },
	{ { "ipc/msg_1KB", 2 * M, 1, 3, 10, NULL }, 200 * K, 20 * K, 4 * K,
	  { KI_MSG, 1024, 0, IPC_MSG_RING, 1, IPC_IO } },
	{ { "ipc/rtt_8B", 200 * K, 1, 3, 10, NULL }, 30 * K, 5 * K, 1 * K,
	  { KI_RTT, 8, IPC_SLOTS, 0, 1, 8 } },
};

static const char *const kind_name[] = {
	[KI_SINGLE] = "single", [KI_SUSTAINED] = "sustained",
	[KI_MSG] = "msg", [KI_RTT] = "rtt",
};

/* One implementation in the case being run. */
struct ipc_run {
	const struct ki_adapter *ad;
	void *q;
	const struct ki_spec *spec;
	struct ki_out *cons; /* the child's results: shared memory */
	struct ki_out prod;  /* the producer thread's */
	struct ki_rtt rtt;
	uint64_t rtt_cap;    /* samples allocated */
	uint64_t events;     /* of the current run */
};

static int
run_prepare(void *arg, uint64_t events)
{
	struct ipc_run *r = arg;
	memset(r->cons, 0, sizeof(*r->cons));
	memset(&r->prod, 0, sizeof(r->prod));
	r->events = events;
	if (r->spec->kind == KI_RTT && events > r->rtt_cap) {
		free(r->rtt.samples);
		r->rtt.samples = malloc(events * sizeof(uint64_t));
		if (!r->rtt.samples) {
			r->rtt_cap = 0;
			return -1;
		}
		/* fault the pages in now, not in the timed loop */
		memset(r->rtt.samples, 0, events * sizeof(uint64_t));
		r->rtt_cap = events;
	}
	return 0;
}

static int
run_produce(void *arg, uint64_t events)
{
	struct ipc_run *r = arg;
	int rc = r->ad->produce(r->q, r->spec, events, &r->prod, &r->rtt);
	r->prod.done = rc == 0;
	return rc;
}

static int
run_child_open(void *arg)
{
	struct ipc_run *r = arg;
	return r->ad->child_open ? r->ad->child_open(r->q) : 0;
}

static int
run_consume(void *arg, uint64_t events)
{
	struct ipc_run *r = arg;
	int rc = r->ad->consume(r->q, r->spec, events, r->cons);
	r->cons->done = rc == 0;
	return rc;
}

static void
run_child_close(void *arg)
{
	struct ipc_run *r = arg;
	if (r->ad->child_close)
		r->ad->child_close(r->q);
}

static int
run_verify(void *arg, uint64_t events, char *msg, size_t len)
{
	struct ipc_run *r = arg;
	const struct ki_out *c = r->cons;
	char sub[200];
	if (!c->done) {
		snprintf(msg, len, "the consumer process did not report");
		return -1;
	}
	if (r->spec->kind == KI_MSG) {
		if (c->check.bad) {
			snprintf(msg, len, "%llu messages of a wrong type",
				 (unsigned long long)c->check.bad);
			return -1;
		}
		return ki_msg_result(&c->msg, events, r->spec->msg_bytes, msg, len);
	}
	if (kb_check_result(&c->check, KB_PER_EVENT, events, sub, sizeof(sub)) != 0) {
		snprintf(msg, len, "consumer: %s", sub);
		return -1;
	}
	if (r->spec->kind == KI_RTT) {
		if (!r->prod.done) {
			snprintf(msg, len, "the round-trip side did not finish");
			return -1;
		}
		if (kb_check_result(&r->prod.check, KB_PER_EVENT, events, sub,
				    sizeof(sub)) != 0) {
			snprintf(msg, len, "echoes: %s", sub);
			return -1;
		}
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of @p n sorted samples. */
static uint64_t
rank(const uint64_t *s, uint64_t n, double q)
{
	uint64_t i = (uint64_t)(q * (double)n + 0.999999);
	return s[i ? (i > n ? n : i) - 1 : 0];
}

static int
run_latency(void *arg, struct kb_latency *out)
{
	struct ipc_run *r = arg;
	uint64_t n = r->events;
	const struct ki_rtt *t = &r->rtt;
	double ns_per_tick = ki_rtt_ns_per_tick(t);
	if (r->spec->kind != KI_RTT || n == 0 || ns_per_tick <= 0)
		return -1;
	qsort(r->rtt.samples, n, sizeof(uint64_t), cmp_u64);
	out->p50_ns = (double)rank(t->samples, n, 0.50) * ns_per_tick;
	out->p90_ns = (double)rank(t->samples, n, 0.90) * ns_per_tick;
	out->p99_ns = (double)rank(t->samples, n, 0.99) * ns_per_tick;
	out->p999_ns = (double)rank(t->samples, n, 0.999) * ns_per_tick;
	out->max_ns = (double)t->samples[n - 1] * ns_per_tick;
	return 0;
}

static void
run_case(struct kb_bench *b, const struct ipc_case *ic)
{
	struct ipc_run runs[1 + N_PEERS];
	struct kb_proc procs[1 + N_PEERS];
	char extra[256];
	int n = 0;

	struct kb_case c = ic->c;
	uint64_t slow = ic->slow_events;
	if (b->mode == KB_SMOKE) {
		c.events = ic->smoke_events;
		slow = ic->smoke_slow_events;
	}
	snprintf(extra, sizeof(extra),
		 "\"workload\":\"%s\",\"msg_bytes\":%u,\"capacity\":%llu,"
		 "\"batch\":%u,\"mem\":\"shared\"",
		 kind_name[ic->spec.kind], ic->spec.msg_bytes,
		 (unsigned long long)(ic->spec.kind == KI_MSG ? ic->spec.ring_bytes
							      : ic->spec.slots),
		 ic->spec.batch);
	c.json_extra = extra;

	/* --only-kaos: the peers are not run, so not set up either. */
	size_t sides = b->only_kaos ? 1 : 1 + N_PEERS;
	for (size_t i = 0; i < sides; i++) {
		const struct ki_adapter *ad = i == 0 ? &kaos_adapter : peers[i - 1];
		if (!ad->supports(&ic->spec))
			continue;
		struct ki_out *cons = kb_shared_alloc(sizeof(struct ki_out));
		void *q = cons ? ad->open(&ic->spec) : NULL;
		if (!q) {
			printf("!! FAILED: %s: cannot set up %s\n", c.name, ad->name);
			kb_shared_free(cons, sizeof(struct ki_out));
			b->failures++;
			if (i == 0)
				break;
			continue;
		}
		memset(&runs[n], 0, sizeof(runs[n]));
		runs[n].ad = ad;
		runs[n].q = q;
		runs[n].spec = &ic->spec;
		runs[n].cons = cons;
		procs[n] = (struct kb_proc){
			.name = ad->name,
			.note = ad->note ? ad->note(&ic->spec) : NULL,
			.arg = &runs[n],
			.events = ad->per_message_syscalls &&
					  ad->per_message_syscalls(&ic->spec)
				  ? slow
				  : 0,
			.prepare = run_prepare,
			.producer = run_produce,
			.child_open = run_child_open,
			.consumer = run_consume,
			.child_close = run_child_close,
			.verify = run_verify,
			.latency = ic->spec.kind == KI_RTT ? run_latency : NULL,
		};
		n++;
	}
	if (n > 0 && runs[0].ad == &kaos_adapter)
		kb_run_proc_case(b, &c, procs, n);
	for (int i = 0; i < n; i++) {
		runs[i].ad->close(runs[i].q);
		kb_shared_free(runs[i].cons, sizeof(struct ki_out));
		free(runs[i].rtt.samples);
	}
}

int
main(int argc, char **argv)
{
	struct kb_bench b;

	kb_init(&b, "ipc", argc, argv);
	/* The cases choose their own smoke counts (run_case). */
	b.smoke_events = UINT64_MAX;
	b.case_width = 18;
	b.impl_width = 16;
	kb_names_install();
	signal(SIGPIPE, SIG_IGN); /* a dead reader: EPIPE, reported */
	ki_pattern_init();
	print_peers();
	printf("  processes producer: a thread of this process; consumer: a child "
	       "process per run\n");

	KB_RUN_SELECTED(&b, cases, run_case);
	return kb_finish(&b);
}
