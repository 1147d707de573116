/* SPDX-License-Identifier: MIT */
/* A seeded network impairment: see chaos.h. */
#include "chaos.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* A held datagram: due at @p due; @p seq keeps arrival order among equal
 * due times. */
struct held {
	uint64_t due, seq;
	size_t len;
	unsigned char *data;
};

struct kaos__chaos {
	struct kaos__chaos_config cfg;
	struct kaos__chaos_stats stats;
	uint64_t rng;
	uint64_t link_free_ns; /* the bottleneck is busy until then */
	uint64_t seq;
	struct held *heap; /* a min-heap on (due, seq) */
	size_t n, cap;
};

/* splitmix64: a full-period generator, so every seed is a good one. */
static uint64_t
next_u64(struct kaos__chaos *c)
{
	uint64_t z = (c->rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* True with probability @p p (one draw either way, so a run's draws do
 * not depend on which probabilities are zero). */
static bool
chance(struct kaos__chaos *c, double p)
{
	return (double)(next_u64(c) >> 11) * 0x1.0p-53 < p;
}

static bool
probability(double p)
{
	return p >= 0 && p <= 1; /* false for NaN too */
}

int
kaos__chaos_new(const struct kaos__chaos_config *cfg, struct kaos__chaos **out)
{
	if (!cfg || !out || !probability(cfg->loss) || !probability(cfg->duplicate) ||
	    !probability(cfg->reorder) || !probability(cfg->corrupt) ||
	    cfg->npartitions > KAOS__CHAOS_PARTITIONS || (cfg->rate_bps && !cfg->queue_bytes))
		return -EINVAL;
	for (uint32_t i = 0; i < cfg->npartitions; i++)
		if (cfg->partitions[i].end_ns <= cfg->partitions[i].start_ns ||
		    (i && cfg->partitions[i].start_ns < cfg->partitions[i - 1].end_ns))
			return -EINVAL;
	struct kaos__chaos *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->rng = cfg->seed;
	*out = c;
	return 0;
}

void
kaos__chaos_free(struct kaos__chaos *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->heap[i].data);
	free(c->heap);
	free(c);
}

static bool
before(const struct held *a, const struct held *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void
swap(struct held *a, struct held *b)
{
	struct held t = *a;
	*a = *b;
	*b = t;
}

/* Hold a copy of @p len bytes, due at @p due; @p flip: change one byte. */
static int
hold(struct kaos__chaos *c, uint64_t due, const void *dgram, size_t len, bool flip)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct held *h = realloc(c->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		c->heap = h;
		c->cap = cap;
	}
	unsigned char *data = malloc(len ? len : 1);
	if (!data)
		return -ENOMEM;
	memcpy(data, dgram, len);
	if (flip && len)
		data[next_u64(c) % len] ^= (unsigned char)(1 + next_u64(c) % 255); /* never 0 */
	size_t i = c->n++;
	c->heap[i] = (struct held){ due, c->seq++, len, data };
	while (i && before(&c->heap[i], &c->heap[(i - 1) / 2])) {
		swap(&c->heap[i], &c->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	return 0;
}

static bool
partitioned(const struct kaos__chaos *c, uint64_t now)
{
	for (uint32_t i = 0; i < c->cfg.npartitions; i++)
		if (now >= c->cfg.partitions[i].start_ns && now < c->cfg.partitions[i].end_ns)
			return true;
	return false;
}

/* Whether the datagram carries a frame of a type in the drop mask (what
 * does not parse as ours carries none). */
static bool
typed_drop(const struct kaos__chaos *c, const void *dgram, size_t len)
{
	struct kaos__wire_header h;
	if (!c->cfg.drop_types || kaos__wire_check(dgram, len, &h) != KAOS__WIRE_OK)
		return false;
	size_t off = KAOS__WIRE_HEADER;
	struct kaos__wire_frame f;
	enum kaos__wire_bad why;
	while (kaos__wire_next(dgram, len, &off, &f, &why) == 1)
		if (c->cfg.drop_types & (1u << f.type))
			return true;
	return false;
}

/* The time @p bytes take at the bottleneck rate, and the bytes it sends
 * in @p ns (128-bit products: no overflow at any rate). */
static uint64_t
serialise_ns(uint64_t bytes, uint64_t rate_bps)
{
	return (uint64_t)((unsigned __int128)bytes * 8000000000u / rate_bps);
}

static uint64_t
bytes_in(uint64_t ns, uint64_t rate_bps)
{
	return (uint64_t)((unsigned __int128)ns * rate_bps / 8000000000u);
}

int
kaos__chaos_push(struct kaos__chaos *c, uint64_t now, const void *dgram, size_t len)
{
	/* Every draw is made for every datagram, in this order: a run's
	 * decisions depend only on the seed and the datagrams' order. */
	bool lost = chance(c, c->cfg.loss), dup = chance(c, c->cfg.duplicate);
	bool late = chance(c, c->cfg.reorder), bad = chance(c, c->cfg.corrupt);
	uint64_t jitter = c->cfg.jitter_ns ? next_u64(c) % c->cfg.jitter_ns : 0;
	uint64_t *drop = NULL;
	uint64_t depart = now;
	if (partitioned(c, now))
		drop = &c->stats.dropped_partition;
	else if (typed_drop(c, dgram, len))
		drop = &c->stats.dropped_type;
	else if (lost)
		drop = &c->stats.dropped_loss;
	else if (c->cfg.rate_bps) {
		/* The bytes still queued at the bottleneck: its backlog in time
		 * at its rate. */
		uint64_t start = c->link_free_ns > now ? c->link_free_ns : now;
		if (bytes_in(start - now, c->cfg.rate_bps) + len > c->cfg.queue_bytes)
			drop = &c->stats.dropped_queue;
		else
			depart = c->link_free_ns = start + serialise_ns(len, c->cfg.rate_bps);
	}
	c->stats.in++;
	if (drop) {
		(*drop)++;
		return 0;
	}
	uint64_t due = depart + c->cfg.delay_ns + jitter + (late ? c->cfg.reorder_ns : 0);
	int rc = hold(c, due, dgram, len, bad);
	if (rc == 0 && dup)
		rc = hold(c, due, dgram, len, false);
	if (rc < 0) {
		c->stats.in--;
		return rc;
	}
	c->stats.reordered += late;
	c->stats.corrupted += bad;
	c->stats.duplicated += dup;
	return 0;
}

long
kaos__chaos_pop(struct kaos__chaos *c, uint64_t now, void *buf, size_t cap)
{
	if (c->n == 0 || c->heap[0].due > now)
		return 0;
	struct held top = c->heap[0];
	if (top.len > cap)
		return -EMSGSIZE;
	memcpy(buf, top.data, top.len);
	free(top.data);
	c->heap[0] = c->heap[--c->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < c->n && before(&c->heap[l], &c->heap[m]))
			m = l;
		if (r < c->n && before(&c->heap[r], &c->heap[m]))
			m = r;
		if (m == i)
			break;
		swap(&c->heap[i], &c->heap[m]);
		i = m;
	}
	c->stats.delivered++;
	return (long)top.len;
}

uint64_t
kaos__chaos_next_ns(const struct kaos__chaos *c)
{
	return c->n ? c->heap[0].due : UINT64_MAX;
}

void
kaos__chaos_stats(const struct kaos__chaos *c, struct kaos__chaos_stats *out)
{
	*out = c->stats;
	out->held = c->n;
}

/* ---- the spec ------------------------------------------------------------------ */

struct unit {
	const char *name;
	double scale;
};

static const struct unit time_units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 },
					  { "s", 1e9 }, { NULL, 0 } };
static const struct unit rate_units[] = { { "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 },
					  { "gbit", 1e9 }, { NULL, 0 } };
static const struct unit size_units[] = { { "", 1 }, { "k", 1024 }, { "m", 1048576 },
					  { NULL, 0 } };
static const struct unit no_unit[] = { { "", 1 }, { NULL, 0 } };

/* A number in [s, end) followed by one of @p units: 0 with *@p out, or -1. */
static int
scaled(const char *s, const char *end, const struct unit *units, double *out)
{
	char *after = NULL;
	double v = strtod(s, &after);
	if (after == s || after > end || !(v >= 0))
		return -1;
	for (; units->name; units++)
		if ((size_t)(end - after) == strlen(units->name) &&
		    strncmp(after, units->name, (size_t)(end - after)) == 0) {
			*out = v * units->scale;
			return *out < 0x1p63 ? 0 : -1;
		}
	return -1;
}

static int
whole(const char *s, const char *end, const struct unit *units, uint64_t *out)
{
	double v;
	if (scaled(s, end, units, &v) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int
chance_of(const char *s, const char *end, double *out)
{
	return scaled(s, end, no_unit, out) < 0 || *out > 1 ? -1 : 0;
}

/* "status+nak": frame types as a mask. */
static int
type_mask(const char *s, const char *end, uint32_t *out)
{
	static const char *const names[KAOS__WIRE_TYPES] = {
		[KAOS__WIRE_HELLO] = "hello",	  [KAOS__WIRE_COOKIE] = "cookie",
		[KAOS__WIRE_WELCOME] = "welcome", [KAOS__WIRE_DATA] = "data",
		[KAOS__WIRE_STATUS] = "status",	  [KAOS__WIRE_NAK] = "nak",
		[KAOS__WIRE_HEARTBEAT] = "heartbeat", [KAOS__WIRE_CLOSE] = "close",
	};
	uint32_t mask = 0;
	for (;;) { /* each name, the last one too, non-empty and known */
		const char *plus = memchr(s, '+', (size_t)(end - s));
		const char *stop = plus ? plus : end;
		int t = 1;
		while (t < KAOS__WIRE_TYPES && !((size_t)(stop - s) == strlen(names[t]) &&
						  strncmp(s, names[t], (size_t)(stop - s)) == 0))
			t++;
		if (t == KAOS__WIRE_TYPES)
			return -1;
		mask |= 1u << t;
		if (!plus)
			break;
		s = plus + 1;
	}
	*out = mask;
	return 0;
}

/* One "key=value" in [s, end). */
static int
parse_one(const char *s, const char *end, struct kaos__chaos_config *cfg)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));
	if (!eq)
		return -1;
	const char *v = eq + 1;
	size_t klen = (size_t)(eq - s);
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(s, k, klen) == 0)
	if (KEY("loss"))
		return chance_of(v, end, &cfg->loss);
	if (KEY("dup"))
		return chance_of(v, end, &cfg->duplicate);
	if (KEY("corrupt"))
		return chance_of(v, end, &cfg->corrupt);
	if (KEY("delay"))
		return whole(v, end, time_units, &cfg->delay_ns);
	if (KEY("jitter"))
		return whole(v, end, time_units, &cfg->jitter_ns);
	if (KEY("rate"))
		return whole(v, end, rate_units, &cfg->rate_bps);
	if (KEY("queue"))
		return whole(v, end, size_units, &cfg->queue_bytes);
	if (KEY("seed")) { /* all 64 bits: not through a double */
		char *after = NULL;
		errno = 0;
		cfg->seed = strtoull(v, &after, 0);
		return after == v || after != end || errno || *v == '-' ? -1 : 0;
	}
	if (KEY("drop"))
		return type_mask(v, end, &cfg->drop_types);
	if (KEY("reorder")) { /* P:TIME */
		const char *colon = memchr(v, ':', (size_t)(end - v));
		return !colon || chance_of(v, colon, &cfg->reorder) < 0 ||
				       whole(colon + 1, end, time_units, &cfg->reorder_ns) < 0
			       ? -1
			       : 0;
	}
	if (KEY("partition")) { /* START+LENGTH, repeatable */
		const char *plus = memchr(v, '+', (size_t)(end - v));
		uint64_t start, len;
		if (!plus || cfg->npartitions == KAOS__CHAOS_PARTITIONS ||
		    whole(v, plus, time_units, &start) < 0 ||
		    whole(plus + 1, end, time_units, &len) < 0 || len == 0)
			return -1;
		cfg->partitions[cfg->npartitions].start_ns = start;
		cfg->partitions[cfg->npartitions].end_ns = start + len;
		cfg->npartitions++;
		return 0;
	}
#undef KEY
	return -1;
}

int
kaos__chaos_parse(const char *spec, struct kaos__chaos_config *cfg, const char **bad)
{
	if (!spec || !cfg)
		return -EINVAL;
	const char *s = spec;
	while (*s) {
		const char *comma = strchr(s, ',');
		const char *end = comma ? comma : s + strlen(s);
		if (parse_one(s, end, cfg) < 0) {
			if (bad)
				*bad = s;
			return -EINVAL;
		}
		s = comma ? comma + 1 : end;
	}
	return 0;
}
