/* SPDX-License-Identifier: MIT */
/*
 * kaos-stat: watch kaos channels and counters files live, like vmstat 1.
 *
 *   kaos-stat [-i SECONDS] [-n COUNT] [--json] [DIR]
 *
 * Every interval it scans DIR (default /dev/shm) for IPC channels and
 * counters files and prints, per channel, its counters (published,
 * consumed, lag, full events, waits, wakes) with per-second rates, each
 * subscriber's lag and whether each process is alive; per counters file,
 * its owner and every counter with its rate. --json prints one JSON object
 * per refresh (one line each). -n 0 (the default on a terminal) runs until
 * interrupted; otherwise COUNT refreshes (default 1 when not a terminal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "scan.h"

#define MAX_ITEMS 128
#define MAX_COUNTERS 128

/* What one refresh saw of one file, kept to compute the next rates. */
struct item {
	char name[PATH_MAX];
	bool is_channel;
	struct kaos_ipc_info ch;
	struct kaos_counters_info cf;
	uint32_t ncounters;
	char labels[MAX_COUNTERS][KAOS_COUNTER_LABEL_MAX + 1];
	uint64_t values[MAX_COUNTERS];
};

static struct item prev[MAX_ITEMS], cur[MAX_ITEMS];
static size_t nprev, ncur;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
collect(uint32_t index, const char *label, uint64_t value, bool retired, void *ctx)
{
	struct item *it = ctx;
	(void)retired;
	if (index >= MAX_COUNTERS)
		return;
	snprintf(it->labels[index], sizeof(it->labels[index]), "%s", label);
	it->values[index] = value;
	if (index + 1 > it->ncounters)
		it->ncounters = index + 1;
}

/* Read every channel and counters file in @p dir into cur[]: the first
 * MAX_ITEMS of them, by name. */
static int
scan(const char *dir)
{
	struct found *files;
	int n = scan_dir(dir, &files, NULL);
	if (n < 0)
		return n;
	ncur = 0;
	for (int i = 0; i < n && ncur < MAX_ITEMS; i++) {
		struct item *it = &cur[ncur];
		memset(it, 0, sizeof(*it));
		memcpy(it->name, files[i].name, sizeof(it->name));
		if (kaos_ipc_inspect(it->name, &it->ch) == 0) {
			it->is_channel = true;
			ncur++;
		} else if (kaos_counters_read(it->name, &it->cf, collect, it) == 0) {
			ncur++;
		}
	}
	free(files);
	return 0;
}

static const struct item *
find_prev(const char *name)
{
	for (size_t i = 0; i < nprev; i++)
		if (strcmp(prev[i].name, name) == 0)
			return &prev[i];
	return NULL;
}

static double
rate(uint64_t now, uint64_t before, double secs)
{
	return secs > 0 && now >= before ? (double)(now - before) / secs : 0.0;
}

static uint32_t
alive_count(const struct kaos_ipc_peer *p, uint32_t n)
{
	uint32_t a = 0;
	for (uint32_t i = 0; i < n; i++)
		a += p[i].alive;
	return a;
}

/* Print a string as a JSON string literal. */
static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
print_text(double secs)
{
	time_t t = time(NULL);
	char when[32];
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	printf("--- %s  %zu channel(s) and counters file(s)\n", when, ncur);
	for (size_t i = 0; i < ncur; i++) {
		const struct item *it = &cur[i], *p = find_prev(it->name);
		if (it->is_channel) {
			const struct kaos_ipc_info *c = &it->ch;
			const struct kaos_ring_stats *s = &c->stats;
			printf("%-28s %-6s pub %" PRIu64 " (%.0f/s) cons %" PRIu64 " (%.0f/s) lag %" PRIu64
			       " full %" PRIu64 " waits %" PRIu64 " wakes %" PRIu64
			       "  producers %u/%u subscribers %u/%u%s\n",
			       it->name, kaos_ipc_kind_name(c->kind), s->published,
			       p ? rate(s->published, p->ch.stats.published, secs) : 0.0, s->consumed,
			       p ? rate(s->consumed, p->ch.stats.consumed, secs) : 0.0,
			       s->published - s->consumed, s->full, s->waits, s->wakes,
			       alive_count(c->producers, c->nproducers), c->nproducers,
			       alive_count(c->subscribers, c->nsubscribers), c->nsubscribers,
			       alive_count(c->producers, c->nproducers) +
					       alive_count(c->subscribers, c->nsubscribers)
				       ? ""
				       : "  STALE");
			for (uint32_t j = 0; j < c->nsubscribers; j++) {
				const struct kaos_ipc_peer *sub = &c->subscribers[j];
				if (!sub->pid)
					continue;
				bool joined = sub->position != UINT64_MAX;
				printf("    subscriber %u pid %d %s lag %s%" PRIu64 "\n", j, sub->pid,
				       sub->alive ? "alive" : sub->closed ? "closed" : "dead",
				       joined ? "" : "(left) ",
				       joined ? s->published - sub->position : 0);
			}
		} else {
			printf("%-28s counters pid %d %s\n", it->name, it->cf.pid,
			       it->cf.alive ? "alive" : "dead");
			for (uint32_t j = 0; j < it->ncounters; j++) {
				bool had = p && j < p->ncounters && !strcmp(p->labels[j], it->labels[j]);
				printf("    %-40s %20" PRIu64 " %14.0f/s\n", it->labels[j], it->values[j],
				       had ? rate(it->values[j], p->values[j], secs) : 0.0);
			}
		}
	}
	fflush(stdout);
}

static void
print_json(double secs)
{
	printf("{\"time_ns\":%" PRIu64 ",\"interval_s\":%.3f,\"channels\":[", kaos_now_ns(), secs);
	bool first = true;
	for (size_t i = 0; i < ncur; i++) {
		const struct item *it = &cur[i], *p = find_prev(it->name);
		if (!it->is_channel)
			continue;
		const struct kaos_ipc_info *c = &it->ch;
		const struct kaos_ring_stats *s = &c->stats;
		printf("%s{\"name\":", first ? "" : ",");
		first = false;
		json_str(it->name);
		printf(",\"kind\":\"%s\",\"capacity\":%" PRIu64 ",\"slot_size\":%u,"
		       "\"published\":%" PRIu64 ",\"consumed\":%" PRIu64 ",\"lag\":%" PRIu64
		       ",\"full\":%" PRIu64 ",\"waits\":%" PRIu64 ",\"wakes\":%" PRIu64
		       ",\"unblocked\":%" PRIu64 ",\"evicted\":%" PRIu64
		       ",\"published_per_s\":%.1f,\"consumed_per_s\":%.1f,\"producers\":[",
		       kaos_ipc_kind_name(c->kind), c->capacity, c->slot_size, s->published, s->consumed,
		       s->published - s->consumed, s->full, s->waits, s->wakes, c->unblocked,
		       c->evicted, p ? rate(s->published, p->ch.stats.published, secs) : 0.0,
		       p ? rate(s->consumed, p->ch.stats.consumed, secs) : 0.0);
		for (uint32_t j = 0; j < c->nproducers; j++)
			printf("%s{\"slot\":%u,\"pid\":%d,\"alive\":%s,\"closed\":%s}", j ? "," : "",
			       j, c->producers[j].pid, c->producers[j].alive ? "true" : "false",
			       c->producers[j].closed ? "true" : "false");
		printf("],\"subscribers\":[");
		for (uint32_t j = 0; j < c->nsubscribers; j++) {
			const struct kaos_ipc_peer *sub = &c->subscribers[j];
			bool joined = sub->position != UINT64_MAX;
			printf("%s{\"slot\":%u,\"pid\":%d,\"alive\":%s,\"closed\":%s,\"lag\":", j ? "," : "",
			       j, sub->pid, sub->alive ? "true" : "false", sub->closed ? "true" : "false");
			if (joined)
				printf("%" PRIu64 "}", s->published - sub->position);
			else
				printf("null}");
		}
		printf("]}");
	}
	printf("],\"counters\":[");
	first = true;
	for (size_t i = 0; i < ncur; i++) {
		const struct item *it = &cur[i], *p = find_prev(it->name);
		if (it->is_channel)
			continue;
		printf("%s{\"name\":", first ? "" : ",");
		first = false;
		json_str(it->name);
		printf(",\"pid\":%d,\"alive\":%s,\"values\":[", it->cf.pid,
		       it->cf.alive ? "true" : "false");
		for (uint32_t j = 0; j < it->ncounters; j++) {
			bool had = p && j < p->ncounters && !strcmp(p->labels[j], it->labels[j]);
			printf("%s{\"label\":", j ? "," : "");
			json_str(it->labels[j]);
			printf(",\"value\":%" PRIu64 ",\"per_s\":%.1f}", it->values[j],
			       had ? rate(it->values[j], p->values[j], secs) : 0.0);
		}
		printf("]}");
	}
	printf("]}\n");
	fflush(stdout);
}

static int
usage(void)
{
	fprintf(stderr, "usage: kaos-stat [-i SECONDS] [-n COUNT] [--json] [DIR]\n"
			"  watch kaos IPC channels and counters files in DIR (default %s)\n",
		SHM_DIR);
	return 2;
}

int
main(int argc, char **argv)
{
	double interval = 1.0;
	long count = isatty(STDOUT_FILENO) ? 0 : 1;
	bool json = false;
	const char *dir = SHM_DIR;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-i") && i + 1 < argc)
			interval = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			count = strtol(argv[++i], NULL, 10);
		else if (argv[i][0] == '-')
			return usage();
		else
			dir = argv[i];
	}
	if (!(interval > 0) || count < 0)
		return usage();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	uint64_t last = 0;
	for (long n = 0; !stop && (count == 0 || n < count); n++) {
		if (n) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (double)(time_t)interval) * 1e9) };
			nanosleep(&ts, NULL);
		}
		uint64_t now = kaos_now_ns();
		int rc = scan(dir);
		if (rc < 0) {
			fprintf(stderr, "kaos-stat: %s: %s\n", dir, strerror(-rc));
			return 1;
		}
		double secs = last ? (double)(now - last) / 1e9 : 0.0;
		if (json)
			print_json(secs);
		else
			print_text(secs);
		memcpy(prev, cur, ncur * sizeof(cur[0]));
		nprev = ncur;
		last = now;
	}
	return 0;
}
