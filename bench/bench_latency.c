/* SPDX-License-Identifier: MIT */
/*
 * bench_latency: round-trip latency through kaos, every trip timed and
 * recorded in a log-linear histogram (bench/hist.h: no samples kept, the
 * percentiles within 0.8%).
 *
 *   latency/spsc_rtt  two threads pinned to different CPUs: a ping through
 *                     one SPSC ring (kaos_spsc_push / kaos_spsc_pop,
 *                     spinning), the pong back through another
 *   latency/ipc_rtt   the same across two processes: a KAOS_IPC_SPSC
 *                     channel each way (bench/harness.h, kb_run_proc_case)
 *
 * A trip is timed as in bench_ipc's ipc/rtt_8B (bench/rtt_clock.h: rdtscp
 * ticks from the end of the previous trip to the end of this one, the tick
 * rate measured over the run against CLOCK_MONOTONIC). Printed per case:
 * p50 / p90 / p99 / p99.9 / max of the round trip next to the core-to-core
 * probe, and the seed's verdict (PROFILING.md: send / recv < 100 ns good,
 * > 1 us bad) on half the round trip's p50 and p99. The values are checked
 * in order on both sides. Run with --help for the options.
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

#include "bench_kaos.h"
#include "harness.h"
#include "hist.h"
#include "rtt_clock.h"
#include "workload.h"

#define SLOTS 1024 /* per ring; one value is in flight at a time */

/* ---- the workload: the same inline code for threads and processes -------- */

/* The timing side: send 1, 2, 3, ..., wait for each echo, check it, record
 * the trip's ticks in @p h. */
static int
ping(struct kaos_spsc *tx, struct kaos_spsc *rx, uint64_t events,
     struct kb_hist *h, struct ki_rtt *clk, struct kb_check *out)
{
	struct kb_gen g = kb_gen_start();
	struct kb_check c = kb_check_start();
	kb_hist_reset(h);
	uint64_t prev = ki_rtt_start(clk);
	for (uint64_t i = 0; i < events; i++) {
		uint64_t back;
		if (kaos_push_spin(tx, kb_next_value(&g)) != 0 || kaos_pop_spin(rx, &back) != 0)
			return -1;
		kb_take_in_order(&c, back);
		c.count++;
		uint64_t t = ki_ticks();
		kb_hist_record(h, t - prev);
		prev = t;
	}
	ki_rtt_stop(clk, prev);
	*out = c;
	return 0;
}

/* The echo side: check each value in order and send it back. */
static int
pong(struct kaos_spsc *rx, struct kaos_spsc *tx, uint64_t events,
     struct kb_check *out)
{
	KI_RTT_ECHO(events, v,
		    kaos_pop_spin(rx, &v) != 0 || kaos_push_spin(tx, v) != 0, out);
}

/* ---- what a case keeps: the histogram, the clock, both sides' checks ------ */

struct lat_run {
	struct kaos_spsc *tx, *rx;   /* the timing side's rings */
	struct kaos_spsc *echo_rx, *echo_tx; /* the echo side's */
	struct kb_hist *hist;        /* the timing side's (heap, pre-faulted) */
	struct ki_rtt clk;
	struct kb_check ping_check;
	struct kb_check *pong_check; /* shared memory for the process case */
	int ping_done;
	int *pong_done;
};

static int
run_ping(void *arg, uint64_t events)
{
	struct lat_run *r = arg;
	r->ping_done = 0;
	if (ping(r->tx, r->rx, events, r->hist, &r->clk, &r->ping_check) != 0)
		return -1;
	r->ping_done = 1;
	return 0;
}

static int
run_pong(void *arg, uint64_t events)
{
	struct lat_run *r = arg;
	*r->pong_done = 0;
	if (pong(r->echo_rx, r->echo_tx, events, r->pong_check) != 0)
		return -1;
	*r->pong_done = 1;
	return 0;
}

static int
run_prepare(void *arg, uint64_t events)
{
	struct lat_run *r = arg;
	(void)events;
	r->ping_done = 0;
	*r->pong_done = 0;
	return 0;
}

static int
run_verify(void *arg, uint64_t events, char *msg, size_t len)
{
	struct lat_run *r = arg;
	char sub[200];
	if (!*r->pong_done || !r->ping_done) {
		snprintf(msg, len, "the %s side did not finish",
			 r->ping_done ? "echo" : "timing");
		return -1;
	}
	if (kb_check_result(r->pong_check, KB_PER_EVENT, events, sub,
			    sizeof(sub)) != 0) {
		snprintf(msg, len, "echo side: %s", sub);
		return -1;
	}
	if (kb_check_result(&r->ping_check, KB_PER_EVENT, events, sub,
			    sizeof(sub)) != 0) {
		snprintf(msg, len, "echoes: %s", sub);
		return -1;
	}
	if (r->hist->count != events) {
		snprintf(msg, len, "%llu trips recorded, expected %llu",
			 (unsigned long long)r->hist->count,
			 (unsigned long long)events);
		return -1;
	}
	return 0;
}

static int
run_latency(void *arg, struct kb_latency *out)
{
	struct lat_run *r = arg;
	double k = ki_rtt_ns_per_tick(&r->clk);
	if (k <= 0 || r->hist->count == 0)
		return -1;
	out->p50_ns = kb_hist_value_at(r->hist, 0.50) * k;
	out->p90_ns = kb_hist_value_at(r->hist, 0.90) * k;
	out->p99_ns = kb_hist_value_at(r->hist, 0.99) * k;
	out->p999_ns = kb_hist_value_at(r->hist, 0.999) * k;
	out->max_ns = kb_hist_value_at(r->hist, 1.0) * k;
	return 0;
}

static struct kb_hist *
hist_new(void)
{
	struct kb_hist *h = malloc(sizeof(*h));
	if (h)
		kb_hist_reset(h); /* faults the counters in */
	return h;
}

/* ---- latency/spsc_rtt: two threads ---------------------------------------- */

static struct kaos_spsc *
ring_new(void)
{
	struct kaos_spsc *r = kb_alloc_lines(KAOS_CACHELINE, sizeof(*r));
	if (!r)
		return NULL;
	int rc = kaos_spsc_create(r, SLOTS, 8, KAOS_MEM_HEAP);
	if (rc != 0) {
		kaos_fail("kaos_spsc_create", rc);
		free(r);
		return NULL;
	}
	return r;
}

static void
ring_free(struct kaos_spsc *r)
{
	if (r) {
		kaos_spsc_destroy(r);
		free(r);
	}
}

static void
case_spsc(struct kb_bench *b, const struct kb_case *c)
{
	struct lat_run r;
	struct kb_check pong_check;
	int pong_done = 0;
	memset(&r, 0, sizeof(r));
	r.tx = r.echo_rx = ring_new();
	r.rx = r.echo_tx = ring_new();
	r.hist = hist_new();
	r.pong_check = &pong_check;
	r.pong_done = &pong_done;
	if (!r.tx || !r.rx || !r.hist) {
		printf("!! FAILED: %s: cannot set up kaos\n", c->name);
		b->failures++;
	} else {
		struct kb_impl impl = {
			"kaos", "two SPSC rings of 1024 8-byte slots, "
				"kaos_spsc_push/pop, spinning",
			&r, run_ping, run_pong, run_verify, run_latency,
		};
		kb_run_case(b, c, &impl, 1);
	}
	ring_free(r.tx);
	ring_free(r.rx);
	free(r.hist);
}

/* ---- latency/ipc_rtt: two processes ----------------------------------------- */

/* [0]: ping out (this process publishes), [1]: pong back (the child). */
struct ipc_pair {
	struct kaos_ipc_config cfg[2];
	struct kaos_ipc *pub, *back; /* this process */
	struct kaos_ipc *sub, *echo; /* the child */
	struct lat_run *run;
};

static int
ipc_child_open(void *arg)
{
	struct ipc_pair *p = arg;
	int rc = kaos_ipc_subscribe(&p->cfg[0], &p->sub);
	if (rc != 0)
		return kaos_fail("kaos_ipc_subscribe (echo process)", rc);
	rc = kaos_ipc_publish(&p->cfg[1], &p->echo);
	if (rc != 0)
		return kaos_fail("kaos_ipc_publish (echo process)", rc);
	p->run->echo_rx = kaos_ipc_spsc(p->sub);
	p->run->echo_tx = kaos_ipc_spsc(p->echo);
	return 0;
}

static void
ipc_child_close(void *arg)
{
	struct ipc_pair *p = arg;
	kaos_ipc_close(p->sub);
	kaos_ipc_close(p->echo);
	p->sub = p->echo = NULL;
}

/* The callbacks of kb_proc get the pair; the workload's get the run. */
static int ipc_prepare(void *a, uint64_t n) { return run_prepare(((struct ipc_pair *)a)->run, n); }
static int ipc_ping(void *a, uint64_t n) { return run_ping(((struct ipc_pair *)a)->run, n); }
static int ipc_pong(void *a, uint64_t n) { return run_pong(((struct ipc_pair *)a)->run, n); }
static int
ipc_verify(void *a, uint64_t n, char *msg, size_t len)
{
	return run_verify(((struct ipc_pair *)a)->run, n, msg, len);
}
static int
ipc_latency(void *a, struct kb_latency *out)
{
	return run_latency(((struct ipc_pair *)a)->run, out);
}

static void
case_ipc(struct kb_bench *b, const struct kb_case *c)
{
	struct ipc_pair p;
	struct lat_run r;
	struct { struct kb_check check; int done; } *shared;
	int rc = 0;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	p.run = &r;
	shared = kb_shared_alloc(sizeof(*shared));
	r.hist = hist_new();
	if (!shared || !r.hist)
		goto fail;
	r.pong_check = &shared->check;
	r.pong_done = &shared->done;
	for (int i = 0; i < 2; i++) {
		p.cfg[i].name = kb_name_take("lat");
		p.cfg[i].kind = KAOS_IPC_SPSC;
		p.cfg[i].capacity = SLOTS;
		p.cfg[i].slot_size = 8;
	}
	rc = kaos_ipc_publish(&p.cfg[0], &p.pub);
	if (rc != 0) {
		p.pub = NULL;
		kaos_fail("kaos_ipc_publish", rc);
		goto fail;
	}
	rc = kaos_ipc_subscribe(&p.cfg[1], &p.back);
	if (rc != 0) {
		p.back = NULL;
		kaos_fail("kaos_ipc_subscribe", rc);
		goto fail;
	}
	r.tx = kaos_ipc_spsc(p.pub);
	r.rx = kaos_ipc_spsc(p.back);
	struct kb_proc proc = {
		.name = "kaos",
		.note = "a KAOS_IPC_SPSC channel (1024 8-byte slots) each way, "
			"kaos_spsc_push/pop, spinning",
		.arg = &p,
		.prepare = ipc_prepare,
		.producer = ipc_ping,
		.child_open = ipc_child_open,
		.consumer = ipc_pong,
		.child_close = ipc_child_close,
		.verify = ipc_verify,
		.latency = ipc_latency,
	};
	kb_run_proc_case(b, c, &proc, 1);
	goto out;
fail:
	printf("!! FAILED: %s: cannot set up kaos\n", c->name);
	b->failures++;
out:
	kaos_ipc_close(p.pub);
	kaos_ipc_close(p.back);
	for (int i = 0; i < 2; i++)
		kb_name_drop(p.cfg[i].name);
	kb_shared_free(shared, sizeof(*shared));
	free(r.hist);
}

/* ---- cases ---------------------------------------------------------------------- */

#define K ((uint64_t)1000)

/* Quick mode: per case a warm-up of a quarter run and 3 rounds (a probe and
 * a run each); a round trip between two cores takes some 100s of ns, so a
 * few seconds per case. Smoke: SMOKE_EVENTS per run, one round. */
static const struct lat_case {
	struct kb_case c;
	void (*run)(struct kb_bench *b, const struct kb_case *c);
} cases[] = {
	{ { "latency/spsc_rtt", 1000 * K, 1, 3, 10,
	    "\"workload\":\"rtt\",\"slot_bytes\":8,\"capacity\":1024,\"mem\":\"heap\"" },
	  case_spsc },
	{ { "latency/ipc_rtt", 1000 * K, 1, 3, 10,
	    "\"workload\":\"rtt\",\"slot_bytes\":8,\"capacity\":1024,\"mem\":\"shared\"" },
	  case_ipc },
};
#define SMOKE_EVENTS (20 * K)

int
main(int argc, char **argv)
{
	struct kb_bench b;

	kb_init(&b, "latency", argc, argv);
	b.smoke_events = SMOKE_EVENTS;
	kb_names_install();
	printf("  histogram log-linear, 64 sub-buckets per power of two, "
	       "values within %.2f%%\n", KB_HIST_REL_ERR * 100);

#define RUN_CASE(b, lc) (lc)->run((b), &(lc)->c)
	KB_RUN_SELECTED(&b, cases, RUN_CASE);
#undef RUN_CASE
	return kb_finish(&b);
}
