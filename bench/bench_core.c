/* SPDX-License-Identifier: MIT */
/*
 * bench_core: the SPSC ring (kaos/spsc.h), kaos and its peers on the same
 * workloads in the same run.
 *
 *   core/mapped_batch, core/heap_batch  batches of up to 8192 8-byte values
 *       written in place, summed by the consumer; mmap'ed resp. heap ring
 *   core/minimal_overhead  batches, neither side touches the slots
 *   core/per_event          push/pop one value at a time, strict order
 *   core/per_event_deferred push_deferred (publish every 64) + pop; the
 *                           peers run their per-event path here
 *   trace/<N>/<size>        five event types round-robin in 8/32/64-byte
 *       slots, batches; the consumer counts each type
 *
 * Every ring has 2^20 slots. The kaos adapter is below; peers are in
 * bench/peers/. Run with --help for the options.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/kaos.h>

#include "harness.h"
#include "peers/peers.h"
#include "workload.h"

#include "kaos_adapter.h"

/* ---- peers ---------------------------------------------------------------- */

static const struct kb_adapter *const peers[] = {
	&kb_peer_kaos_nocounters,
#ifdef KB_HAVE_CK
	&kb_peer_ck_ring,
#endif
#ifdef KB_HAVE_RWQ
	&kb_peer_rwq,
#endif
#ifdef KB_HAVE_BOOST
	&kb_peer_boost_spsc,
#endif
#ifdef KB_HAVE_DPDK
	&kb_peer_rte_ring_zc,
	&kb_peer_rte_ring,
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
#ifndef KB_HAVE_RWQ
		" rwq"
#endif
#ifndef KB_HAVE_BOOST
		" boost_spsc"
#endif
#ifndef KB_HAVE_DPDK
		" rte_ring rte_ring_zc"
#endif
		;
	KB_PRINT_PEERS(peers, missing);
}

/* ---- cases ------------------------------------------------------------------ */

struct core_case {
	struct kb_case c; /* name, events per run, unit, rounds quick/full */
	struct kb_spec spec; /* workload, slot bytes, slots, batch, mapped */
};

/*
 * Event counts are the benchmark's definition; only the rounds are tuned
 * (quick: about a minute in all with every peer on a 2-core VM; a round is
 * one kaos run and one run per peer). minimal_overhead runs take
 * microseconds, hence its many rounds. Rounds 0 in quick: full mode only.
 */

#define M ((uint64_t)1000000)
#define RING KB_RING_SLOTS
#define BATCH KB_BATCH

static const struct core_case cases[] = {
	{ { "core/mapped_batch", 10 * M, 1, 7, 20, NULL },
	  { KB_BATCH_SUM, 8, RING, BATCH, 1 } },
	{ { "core/heap_batch", 10 * M, 1, 7, 20, NULL },
	  { KB_BATCH_SUM, 8, RING, BATCH, 0 } },
	{ { "core/minimal_overhead", 10 * M, 1, 20, 50, NULL },
	  { KB_BATCH_UNTOUCHED, 8, RING, BATCH, 1 } },
	{ { "core/per_event", 100 * M, 1, 3, 10, NULL },
	  { KB_PER_EVENT, 8, RING, 1, 0 } },
	{ { "core/per_event_deferred", 100 * M, 1, 3, 10, NULL },
	  { KB_PER_EVENT_DEFERRED, 8, RING, 1, 0 } },
	{ { "trace/100M/8B", 100 * M, 5, 4, 10, NULL },
	  { KB_TRACE, 8, RING, BATCH, 0 } },
	{ { "trace/100M/32B", 100 * M, 5, 4, 10, NULL },
	  { KB_TRACE, 32, RING, BATCH, 0 } },
	{ { "trace/1B/8B", 1000 * M, 5, 0, 3, NULL },
	  { KB_TRACE, 8, RING, BATCH, 0 } },
	{ { "trace/1B/32B", 1000 * M, 5, 0, 3, NULL },
	  { KB_TRACE, 32, RING, BATCH, 0 } },
	{ { "trace/1B/64B", 1000 * M, 5, 0, 3, NULL },
	  { KB_TRACE, 64, RING, BATCH, 0 } },
	{ { "trace/1B/mapped/8B", 1000 * M, 5, 0, 3, NULL },
	  { KB_TRACE, 8, RING, BATCH, 1 } },
	{ { "trace/1B/mapped/32B", 1000 * M, 5, 0, 3, NULL },
	  { KB_TRACE, 32, RING, BATCH, 1 } },
};

static const char *const workload_name[] = {
	[KB_BATCH_SUM] = "batch_sum",
	[KB_BATCH_UNTOUCHED] = "batch_untouched",
	[KB_PER_EVENT] = "per_event",
	[KB_PER_EVENT_DEFERRED] = "per_event_deferred",
	[KB_TRACE] = "trace",
};

/* One implementation in the case being run: what the harness's callbacks
 * need. */
struct core_run {
	const struct kb_adapter *ad;
	void *q;
	const struct kb_spec *spec;
	struct kb_check result; /* the consumer's, from the last run */
};

static int
core_produce(void *arg, uint64_t events)
{
	struct core_run *r = arg;
	return r->ad->produce(r->q, r->spec, events);
}

static int
core_consume(void *arg, uint64_t events)
{
	struct core_run *r = arg;
	memset(&r->result, 0, sizeof(r->result));
	return r->ad->consume(r->q, r->spec, events, &r->result);
}

static int
core_verify(void *arg, uint64_t events, char *msg, size_t len)
{
	struct core_run *r = arg;
	return kb_check_result(&r->result, r->spec->workload, events, msg, len);
}

static void
run_case(struct kb_bench *b, const struct core_case *cc)
{
	struct core_run runs[1 + N_PEERS];
	struct kb_impl impls[1 + N_PEERS];
	char extra[256];
	int n = 0;

	snprintf(extra, sizeof(extra),
		 "\"workload\":\"%s\",\"slot_bytes\":%u,\"capacity\":%llu,"
		 "\"batch\":%llu,\"mem\":\"%s\"",
		 workload_name[cc->spec.workload], cc->spec.slot_bytes,
		 (unsigned long long)cc->spec.capacity,
		 (unsigned long long)cc->spec.batch,
		 cc->spec.mapped ? "mapped" : "heap");
	struct kb_case c = cc->c;
	c.json_extra = extra;

	/* Peers have no deferred publication: in that case they run their
	 * per-event path, so the ratio is deferred kaos against it. */
	struct kb_spec peer_spec = cc->spec;
	if (peer_spec.workload == KB_PER_EVENT_DEFERRED)
		peer_spec.workload = KB_PER_EVENT;

	for (size_t i = 0; i < 1 + N_PEERS; i++) {
		const struct kb_adapter *ad = i == 0 ? &kaos_adapter : peers[i - 1];
		/* kaos without counters runs exactly what kaos runs */
		const struct kb_spec *spec = i == 0 || ad == &kb_peer_kaos_nocounters
						     ? &cc->spec
						     : &peer_spec;
		if (!ad->supports(spec))
			continue;
		void *q = ad->open(spec);
		if (!q) {
			printf("!! FAILED: %s: cannot set up %s\n", c.name, ad->name);
			b->failures++;
			if (i == 0)
				break;
			continue;
		}
		runs[n] = (struct core_run){ ad, q, spec, { 0 } };
		impls[n] = (struct kb_impl){
			ad->name, ad->note ? ad->note(q, spec) : NULL,
			&runs[n], core_produce, core_consume, core_verify, NULL,
		};
		n++;
	}
	if (n > 0 && runs[0].ad == &kaos_adapter)
		kb_run_case(b, &c, impls, n);
	for (int i = 0; i < n; i++)
		runs[i].ad->close(runs[i].q);
}

int
main(int argc, char **argv)
{
	struct kb_bench b;

	kb_init(&b, "core", argc, argv);
	print_peers();
	KB_RUN_SELECTED(&b, cases, run_case);
	return kb_finish(&b);
}
