/* SPDX-License-Identifier: MIT */
/*
 * Single-threaded behaviour of the MPSC, SPMC and MPMC rings: arguments,
 * error codes, full and empty edges, the wrap, capacities 2 to 2^20, batch
 * runs checked against a model, typed rings, and the deterministic halves
 * of the original's bugs (W1, W2, W3, W9, W10, W17, W26; reference section
 * 10). A single thread can act as several producers or consumers of one
 * ring by holding several claimed or taken runs at once. The threaded
 * checks are in tests/stress/stress_multi.c.
 */
#include <errno.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

static const uint64_t capacities[] = { 2, 64, 4096, 1 << 20 };
#define N_CAPACITIES (sizeof(capacities) / sizeof(capacities[0]))

/* ---- one table of functions per ring kind -------------------------------- */

union ring {
	struct kaos_mpsc mpsc;
	struct kaos_spmc spmc;
	struct kaos_mpmc mpmc;
};

struct ops {
	const char *name;
	bool mp, mc; /* several producers / consumers */
	int (*memsize)(uint64_t, size_t, size_t *);
	int (*init)(union ring *, void *, size_t, uint64_t, size_t);
	int (*create)(union ring *, uint64_t, size_t, enum kaos_mem);
	void (*destroy)(union ring *);
	uint64_t (*capacity)(const union ring *);
	size_t (*slot_size)(const union ring *);
	enum kaos_pages (*pages)(const union ring *);
	int64_t (*claim)(union ring *, uint64_t, struct kaos_batch *);
	void (*publish)(union ring *, const struct kaos_batch *);
	int64_t (*peek)(union ring *, uint64_t, struct kaos_batch *);
	void (*release)(union ring *, const struct kaos_batch *);
	int (*push)(union ring *, const void *);
	int (*pop)(union ring *, void *);
	int64_t (*claim_wait)(union ring *, uint64_t, struct kaos_batch *,
			      const struct kaos_wait *);
	int64_t (*peek_wait)(union ring *, uint64_t, struct kaos_batch *,
			     const struct kaos_wait *);
};

#define OPS(k, MP, MC)                                                          \
	static int k##_memsize(uint64_t c, size_t s, size_t *z)                 \
	{ return kaos_##k##_memsize(c, s, z); }                                 \
	static int k##_init(union ring *r, void *m, size_t l, uint64_t c, size_t s) \
	{ return kaos_##k##_init(r ? &r->k : NULL, m, l, c, s); }              \
	static int k##_create(union ring *r, uint64_t c, size_t s, enum kaos_mem m) \
	{ return kaos_##k##_create(r ? &r->k : NULL, c, s, m); }               \
	static void k##_destroy(union ring *r) { kaos_##k##_destroy(&r->k); }   \
	static uint64_t k##_capacity(const union ring *r)                       \
	{ return kaos_##k##_capacity(&r->k); }                                  \
	static size_t k##_slot_size(const union ring *r)                        \
	{ return kaos_##k##_slot_size(&r->k); }                                 \
	static enum kaos_pages k##_pages(const union ring *r)                    \
	{ return kaos_##k##_pages(&r->k); }                                     \
	static int64_t k##_claim(union ring *r, uint64_t n, struct kaos_batch *b) \
	{ return kaos_##k##_claim(&r->k, n, b); }                               \
	static void k##_publish(union ring *r, const struct kaos_batch *b)      \
	{ KAOS_ASSERT_OK(kaos_##k##_publish(&r->k, b)); }                       \
	static int64_t k##_peek(union ring *r, uint64_t n, struct kaos_batch *b) \
	{ return kaos_##k##_peek(&r->k, n, b); }                                \
	static void k##_release(union ring *r, const struct kaos_batch *b)      \
	{ KAOS_ASSERT_OK(kaos_##k##_release(&r->k, b)); }                       \
	static int k##_push(union ring *r, const void *v) { return kaos_##k##_push(&r->k, v); } \
	static int k##_pop(union ring *r, void *v) { return kaos_##k##_pop(&r->k, v); } \
	static int64_t k##_claim_wait(union ring *r, uint64_t n, struct kaos_batch *b, \
				      const struct kaos_wait *w)                \
	{ return kaos_##k##_claim_wait(&r->k, n, b, w); }                       \
	static int64_t k##_peek_wait(union ring *r, uint64_t n, struct kaos_batch *b, \
				     const struct kaos_wait *w)                 \
	{ return kaos_##k##_peek_wait(&r->k, n, b, w); }                        \
	static const struct ops k##_ops = {                                     \
		#k, MP, MC, k##_memsize, k##_init, k##_create, k##_destroy,     \
		k##_capacity, k##_slot_size, k##_pages, k##_claim, k##_publish, \
		k##_peek, k##_release, k##_push, k##_pop, k##_claim_wait,       \
		k##_peek_wait,                                                  \
	}

OPS(mpsc, true, false);
OPS(spmc, false, true);
OPS(mpmc, true, true);

static const struct ops *const kinds[] = { &mpsc_ops, &spmc_ops, &mpmc_ops };
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The value stored for sequence s: a function of s, so a stale, torn or
 * misplaced slot is caught. */
static uint64_t
val(uint64_t s)
{
	return (s * 0x9E3779B97F4A7C15ull) ^ 0xA5A5A5A5u;
}

static uint64_t *
slot_of(const struct kaos_batch *b, uint64_t i)
{
	return (uint64_t *)b->slots + i; /* 8-byte slots */
}

static void
fill_batch(const struct kaos_batch *b)
{
	for (uint64_t i = 0; i < b->count; i++)
		*slot_of(b, i) = val(b->seq + i);
}

static void
check_batch(const struct ops *o, const struct kaos_batch *b)
{
	for (uint64_t i = 0; i < b->count; i++)
		if (*slot_of(b, i) != val(b->seq + i))
			KAOS_FAIL("%s: seq %" PRIu64 " holds %" PRIx64 ", want %" PRIx64,
				  o->name, b->seq + i, *slot_of(b, i), val(b->seq + i));
}

/* Claim exactly @p want slots (which must be had), fill and publish. */
static void
produce(const struct ops *o, union ring *r, uint64_t want)
{
	struct kaos_batch b;
	KAOS_ASSERT_EQ(o->claim(r, want, &b), (int64_t)want);
	fill_batch(&b);
	o->publish(r, &b);
}

/* Take exactly @p want slots, check and release them. */
static void
consume(const struct ops *o, union ring *r, uint64_t want)
{
	struct kaos_batch b;
	KAOS_ASSERT_EQ(o->peek(r, want, &b), (int64_t)want);
	check_batch(o, &b);
	o->release(r, &b);
}

/* Take and release everything published; returns the count. */
static uint64_t
drain(const struct ops *o, union ring *r)
{
	struct kaos_batch b;
	uint64_t n = 0;
	int64_t got;
	while ((got = o->peek(r, o->capacity(r), &b)) > 0) {
		check_batch(o, &b);
		o->release(r, &b);
		n += (uint64_t)got;
	}
	KAOS_ASSERT_EQ(got, 0);
	return n;
}

static const struct kaos_wait spin_1ms = { KAOS_WAIT_SPIN, 0, 1000000, 0 };

/* ---- arguments ------------------------------------------------------------ */

static void
memsize_rejects_bad_arguments(void)
{
	const uint64_t bad_caps[] = { 0, 1, 3, 6, 100, (1ull << 32) + 1, 1ull << 33,
				      UINT64_MAX };
	const size_t bad_slots[] = { 0, 1, 4, 12, 20, 65 };
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		size_t sz;
		for (size_t i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++)
			KAOS_ASSERT_EQ(o->memsize(bad_caps[i], 8, &sz), -EINVAL);
		for (size_t i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++)
			KAOS_ASSERT_EQ(o->memsize(64, bad_slots[i], &sz), -EINVAL);
		KAOS_ASSERT_EQ(o->memsize(64, 8, NULL), -EINVAL);
		KAOS_ASSERT_EQ(o->memsize(1ull << 32, (size_t)1 << 32, &sz), -EOVERFLOW);
		KAOS_ASSERT_EQ(o->memsize(2, SIZE_MAX / 2 / 8 * 8, &sz), -EOVERFLOW);
		/* the whole range is accepted; slots and a stamp per slot fit */
		KAOS_ASSERT_OK(o->memsize(2, 8, &sz));
		KAOS_ASSERT_OK(o->memsize(1ull << 32, 8, &sz));
		KAOS_ASSERT_GE(sz, (16ull << 32));
		KAOS_ASSERT_OK(o->memsize(1024, 24, &sz));
		KAOS_ASSERT_EQ(sz % KAOS_CACHELINE, 0);
		KAOS_ASSERT_GE(sz, 1024 * (24 + 8));
	}
}

/* The largest slot size a size_t holds (a multiple of 8) must give
 * -EOVERFLOW, not a crash: slot_size + sizeof(stamp) wraps to 0. */
static void
memsize_of_the_largest_slot_size_is_an_overflow(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		size_t sz;
		KAOS_ASSERT_EQ(kinds[k]->memsize(2, SIZE_MAX / 8 * 8, &sz), -EOVERFLOW);
		KAOS_ASSERT_EQ(kinds[k]->memsize(1ull << 32, SIZE_MAX / 8 * 8, &sz),
			       -EOVERFLOW);
	}
}

static void
create_and_init_reject_bad_arguments(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		union ring r;
		KAOS_ASSERT_EQ(o->create(&r, 3, 8, KAOS_MEM_HEAP), -EINVAL);
		KAOS_ASSERT_EQ(o->create(&r, 0, 8, KAOS_MEM_HEAP), -EINVAL);
		KAOS_ASSERT_EQ(o->create(&r, 1, 8, KAOS_MEM_HEAP), -EINVAL);
		KAOS_ASSERT_EQ(o->create(&r, 64, 0, KAOS_MEM_HEAP), -EINVAL);
		KAOS_ASSERT_EQ(o->create(&r, 64, 12, KAOS_MEM_MAPPED), -EINVAL);
		KAOS_ASSERT_EQ(o->create(&r, 1ull << 33, 8, KAOS_MEM_HEAP), -EINVAL);
		KAOS_ASSERT_EQ(o->create(NULL, 64, 8, KAOS_MEM_HEAP), -EINVAL);
		KAOS_ASSERT_EQ(o->create(&r, 64, 8, (enum kaos_mem)7), -EINVAL);

		size_t need;
		KAOS_ASSERT_OK(o->memsize(64, 8, &need));
		unsigned char *mem = aligned_alloc(KAOS_CACHELINE, need + KAOS_CACHELINE);
		KAOS_ASSERT(mem);
		KAOS_ASSERT_EQ(o->init(&r, mem, need - 1, 64, 8), -ENOBUFS);
		KAOS_ASSERT_EQ(o->init(&r, mem + 8, need, 64, 8), -EINVAL);
		KAOS_ASSERT_EQ(o->init(&r, NULL, need, 64, 8), -EINVAL);
		KAOS_ASSERT_EQ(o->init(NULL, mem, need, 64, 8), -EINVAL);
		KAOS_ASSERT_EQ(o->init(&r, mem, need, 63, 8), -EINVAL);
		KAOS_ASSERT_EQ(o->init(&r, mem, need, 64, 7), -EINVAL);
		KAOS_ASSERT_OK(o->init(&r, mem, need, 64, 8));
		KAOS_ASSERT_UEQ(o->capacity(&r), 64);
		KAOS_ASSERT_UEQ(o->slot_size(&r), 8);
		o->destroy(&r);
		free(mem);
	}
}

/* n == 0 is invalid and n > capacity can never succeed: both are errors of
 * their own, never "full" or "empty", on an empty, a full and a partly
 * used ring, and the *_wait functions return them at once. */
static void
w26_too_big_is_not_full(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		for (size_t c = 0; c < N_CAPACITIES; c++) {
			uint64_t cap = capacities[c];
			union ring r;
			struct kaos_batch b;
			uint64_t v = 0;
			KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_HEAP));
			for (int state = 0; state < 3; state++) {
				/* 0: empty, 1: full, 2: one lap on, half full */
				if (state == 1)
					produce(o, &r, cap);
				if (state == 2) {
					consume(o, &r, cap);
					produce(o, &r, cap / 2);
				}
				KAOS_ASSERT_EQ(o->claim(&r, 0, &b), -EINVAL);
				KAOS_ASSERT_EQ(o->claim(&r, cap + 1, &b), -KAOS_ETOOBIG);
				KAOS_ASSERT_EQ(o->claim(&r, UINT64_MAX, &b), -KAOS_ETOOBIG);
				KAOS_ASSERT_EQ(o->peek(&r, 0, &b), -EINVAL);
				KAOS_ASSERT_EQ(o->peek(&r, cap + 1, &b), -KAOS_ETOOBIG);
				KAOS_ASSERT_EQ(o->peek(&r, UINT64_MAX, &b), -KAOS_ETOOBIG);
				KAOS_ASSERT_EQ(o->claim_wait(&r, cap + 1, &b, &spin_1ms),
					       -KAOS_ETOOBIG);
				KAOS_ASSERT_EQ(o->claim_wait(&r, 0, &b, &spin_1ms), -EINVAL);
				KAOS_ASSERT_EQ(o->peek_wait(&r, cap + 1, &b, &spin_1ms),
					       -KAOS_ETOOBIG);
				KAOS_ASSERT_EQ(o->peek_wait(&r, 0, &b, &spin_1ms), -EINVAL);
			}
			/* half full: the errors above took nothing */
			consume(o, &r, cap / 2);
			KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			/* full: "full" is 0 / -KAOS_EFULL, too big still ETOOBIG */
			produce(o, &r, cap / 2);
			produce(o, &r, cap / 2);
			KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 0);
			KAOS_ASSERT_EQ(o->claim(&r, cap, &b), 0);
			KAOS_ASSERT_EQ(o->push(&r, &v), -KAOS_EFULL);
			KAOS_ASSERT_EQ(o->claim(&r, cap + 1, &b), -KAOS_ETOOBIG);
			consume(o, &r, cap / 2);
			consume(o, &r, cap / 2);
			KAOS_ASSERT_EQ(o->peek(&r, 1, &b), 0);
			o->destroy(&r);
		}
	}

	/* the SPSC ring too (the broadcast ring: tests/unit/test_bcast.c) */
	struct kaos_spsc s;
	void *w;
	const void *rd;
	KAOS_ASSERT_OK(kaos_spsc_create(&s, 64, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spsc_claim(&s, 64, &w), 64);
	KAOS_ASSERT_OK(kaos_spsc_publish(&s, 64));
	KAOS_ASSERT_EQ(kaos_spsc_claim(&s, 1, &w), 0);
	KAOS_ASSERT_EQ(kaos_spsc_claim(&s, 65, &w), -KAOS_ETOOBIG);
	KAOS_ASSERT_EQ(kaos_spsc_claim_wait(&s, 65, &w, &spin_1ms), -KAOS_ETOOBIG);
	KAOS_ASSERT_EQ(kaos_spsc_peek(&s, 64, &rd), 64);
	KAOS_ASSERT_OK(kaos_spsc_release(&s, 64));
	KAOS_ASSERT_EQ(kaos_spsc_peek(&s, 65, &rd), -KAOS_ETOOBIG);
	KAOS_ASSERT_EQ(kaos_spsc_peek_wait(&s, 65, &rd, &spin_1ms), -KAOS_ETOOBIG);
	kaos_spsc_destroy(&s);
}

/* ---- edges and the wrap -------------------------------------------------- */

static void
full_and_empty_edges(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		for (size_t c = 0; c < N_CAPACITIES; c++) {
			uint64_t cap = capacities[c], v = 0;
			union ring r;
			KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_HEAP));
			KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			for (uint64_t i = 0; i < cap; i++) {
				v = val(i);
				KAOS_ASSERT_OK(o->push(&r, &v));
			}
			KAOS_ASSERT_EQ(o->push(&r, &v), -KAOS_EFULL);
			KAOS_ASSERT_EQ(o->push(&r, &v), -KAOS_EFULL); /* stays full */
			KAOS_ASSERT_OK(o->pop(&r, &v));
			KAOS_ASSERT_UEQ(v, val(0));
			v = val(cap);
			KAOS_ASSERT_OK(o->push(&r, &v)); /* one slot came back */
			KAOS_ASSERT_EQ(o->push(&r, &v), -KAOS_EFULL);
			for (uint64_t i = 1; i <= cap; i++) {
				KAOS_ASSERT_OK(o->pop(&r, &v));
				KAOS_ASSERT_UEQ(v, val(i));
			}
			KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			o->destroy(&r);
		}
	}
}

/* Claims and peeks stop at the end of the slot array and go on at 0. */
static void
claim_and_peek_across_the_wrap(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		for (size_t c = 0; c < N_CAPACITIES; c++) {
			uint64_t cap = capacities[c];
			union ring r;
			struct kaos_batch b;
			KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_HEAP));
			uint64_t *base = (uint64_t *)r.mpmc.s.ro.slots;
			produce(o, &r, cap - 1);
			consume(o, &r, cap - 1);
			KAOS_ASSERT_EQ(o->claim(&r, 2, &b), 1);
			KAOS_ASSERT(b.slots == base + (cap - 1));
			KAOS_ASSERT_UEQ(b.seq, cap - 1);
			fill_batch(&b);
			o->publish(&r, &b);
			KAOS_ASSERT_EQ(o->peek(&r, 2, &b), 1);
			KAOS_ASSERT_UEQ(b.seq, cap - 1);
			check_batch(o, &b);
			o->release(&r, &b);

			KAOS_ASSERT_EQ(o->claim(&r, 2, &b), 2);
			KAOS_ASSERT(b.slots == base);
			KAOS_ASSERT_UEQ(b.seq, cap);
			fill_batch(&b);
			o->publish(&r, &b);
			KAOS_ASSERT_EQ(o->peek(&r, cap, &b), 2);
			KAOS_ASSERT(b.slots == base);
			check_batch(o, &b);
			o->release(&r, &b);
			o->destroy(&r);
		}
	}
}

/*
 * Random claims, publishes (in any order), takes and releases (in any
 * order) against a model of which sequences are published and released:
 * every count the ring returns must be exactly the model's (so no phantom
 * slot, no overwrite of an unreleased slot, no overshoot), and every slot
 * taken holds its value, also when checked again just before its release.
 */
#define MAX_OPEN 4

struct model {
	unsigned char *published, *released; /* per sequence */
	uint64_t wpos, rpos, cap, total;
	struct kaos_batch claims[MAX_OPEN], takes[MAX_OPEN];
	int nclaims, ntakes;
};

static uint64_t
model_claimable(const struct model *m, uint64_t n)
{
	uint64_t lim = m->cap - (m->wpos & (m->cap - 1)), k = 0;
	if (lim > n)
		lim = n;
	while (k < lim && m->wpos + k < m->total &&
	       (m->wpos + k < m->cap || m->released[m->wpos + k - m->cap]))
		k++;
	return k;
}

static uint64_t
model_takeable(const struct model *m, uint64_t n)
{
	uint64_t lim = m->cap - (m->rpos & (m->cap - 1)), k = 0;
	if (lim > n)
		lim = n;
	while (k < lim && m->rpos + k < m->total && m->published[m->rpos + k])
		k++;
	return k;
}

static void
model_publish(const struct ops *o, union ring *r, struct model *m, int i)
{
	struct kaos_batch b = m->claims[i];
	fill_batch(&b);
	o->publish(r, &b);
	memset(m->published + b.seq, 1, b.count);
	m->claims[i] = m->claims[--m->nclaims];
}

static void
model_release(const struct ops *o, union ring *r, struct model *m, int i)
{
	struct kaos_batch b = m->takes[i];
	check_batch(o, &b); /* W2/W10: not overwritten while held */
	o->release(r, &b);
	memset(m->released + b.seq, 1, b.count);
	m->takes[i] = m->takes[--m->ntakes];
}

static void
model_run(const struct ops *o, uint64_t cap, uint64_t laps, uint64_t *seed)
{
	struct model m = { .cap = cap, .total = cap * laps };
	union ring r;
	struct kaos_batch b;
	uint64_t v;
	m.published = calloc(m.total, 1);
	m.released = calloc(m.total, 1);
	KAOS_ASSERT(m.published && m.released);
	KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_HEAP));
	int max_claims = o->mp ? MAX_OPEN : 1, max_takes = o->mc ? MAX_OPEN : 1;

	while (m.rpos < m.total || m.ntakes) {
		uint64_t x = kaos_test_rand(seed);
		uint64_t n = (x >> 8) & 1 ? 1 + (x >> 16) % 8 : 1 + (x >> 16) % cap;
		if (n > cap)
			n = cap;
		switch (x % 6) {
		case 0: /* claim */
			if (m.nclaims == max_claims || m.wpos >= m.total)
				break;
			{
				/* the model tracks total sequences: ask for no
				 * more than those */
				if (m.wpos + n > m.total)
					n = m.total - m.wpos;
				uint64_t want = model_claimable(&m, n);
				int64_t got = o->claim(&r, n, &b);
				if (got != (int64_t)want)
					KAOS_FAIL("%s cap %" PRIu64 ": claim(%" PRIu64 ") at %" PRIu64
						  " gave %" PRId64 ", model %" PRIu64,
						  o->name, cap, n, m.wpos, got, want);
				if (got) {
					KAOS_ASSERT_UEQ(b.seq, m.wpos);
					m.claims[m.nclaims++] = b;
					m.wpos += want;
				}
			}
			break;
		case 1: /* publish one open claim */
			if (m.nclaims)
				model_publish(o, &r, &m, (int)((x >> 20) % (uint64_t)m.nclaims));
			break;
		case 2: /* take */
			if (m.ntakes == max_takes)
				break;
			{
				uint64_t want = model_takeable(&m, n);
				int64_t got = o->peek(&r, n, &b);
				if (got != (int64_t)want)
					KAOS_FAIL("%s cap %" PRIu64 ": peek(%" PRIu64 ") at %" PRIu64
						  " gave %" PRId64 ", model %" PRIu64,
						  o->name, cap, n, m.rpos, got, want);
				if (got) {
					KAOS_ASSERT_UEQ(b.seq, m.rpos);
					check_batch(o, &b);
					m.takes[m.ntakes++] = b;
					m.rpos += want;
				}
			}
			break;
		case 3: /* release one taken run */
			if (m.ntakes)
				model_release(o, &r, &m, (int)((x >> 20) % (uint64_t)m.ntakes));
			break;
		case 4: /* push: succeeds exactly when one slot is claimable */
			if (m.nclaims == max_claims || m.wpos >= m.total)
				break;
			v = val(m.wpos);
			if (model_claimable(&m, 1)) {
				KAOS_ASSERT_OK(o->push(&r, &v));
				m.published[m.wpos++] = 1;
			} else {
				KAOS_ASSERT_EQ(o->push(&r, &v), -KAOS_EFULL);
			}
			break;
		case 5: /* pop: succeeds exactly when one slot is takeable */
			if (m.ntakes == max_takes)
				break;
			if (model_takeable(&m, 1)) {
				KAOS_ASSERT_OK(o->pop(&r, &v));
				KAOS_ASSERT_UEQ(v, val(m.rpos));
				m.released[m.rpos++] = 1;
			} else {
				KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			}
			break;
		}
		/* a producer with nothing left to produce publishes */
		if (m.wpos >= m.total)
			while (m.nclaims)
				model_publish(o, &r, &m, 0);
	}
	KAOS_ASSERT_EQ(o->peek(&r, 1, &b), 0);
	o->destroy(&r);
	free(m.published);
	free(m.released);
}

static void
batches_match_a_model_at_every_capacity(void)
{
	uint64_t seed = 0x5EED;
	for (size_t k = 0; k < N_KINDS; k++)
		for (size_t c = 0; c < N_CAPACITIES; c++) {
			uint64_t cap = capacities[c];
			model_run(kinds[k], cap, cap <= 64 ? 2000 : cap <= 4096 ? 40 : 3, &seed);
		}
}

/* ---- the original's bugs, deterministic halves ---------------------------- */

/* W1: with nothing published, or slot 0 claimed but not yet published, a
 * consumer must see nothing (the original read a phantom event at seq 0 and
 * then skipped the real one). */
static void
w1_mpmc_empty_ring_has_no_phantom_event_at_seq_0(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		for (size_t c = 0; c < N_CAPACITIES; c++) {
			uint64_t cap = capacities[c], v;
			union ring r;
			struct kaos_batch b0, b1, b;
			KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_HEAP));
			KAOS_ASSERT_EQ(o->peek(&r, 1, &b), 0);
			KAOS_ASSERT_EQ(o->peek(&r, cap, &b), 0);
			KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			KAOS_ASSERT_EQ(o->claim(&r, 1, &b0), 1);
			KAOS_ASSERT_UEQ(b0.seq, 0);
			KAOS_ASSERT_EQ(o->peek(&r, cap, &b), 0);
			KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			if (o->mp) {
				/* a second producer publishes seq 1 first */
				KAOS_ASSERT_EQ(o->claim(&r, 1, &b1), 1);
				KAOS_ASSERT_UEQ(b1.seq, 1);
				fill_batch(&b1);
				o->publish(&r, &b1);
				KAOS_ASSERT_EQ(o->peek(&r, cap, &b), 0);
				KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			}
			fill_batch(&b0);
			o->publish(&r, &b0);
			uint64_t n = o->mp ? 2 : 1;
			KAOS_ASSERT_EQ(o->peek(&r, cap, &b), (int64_t)n);
			KAOS_ASSERT_UEQ(b.seq, 0);
			check_batch(o, &b);
			o->release(&r, &b);
			KAOS_ASSERT_EQ(o->peek(&r, cap, &b), 0);
			KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			o->destroy(&r);
		}
	}
}

/* W2: a slot taken by one consumer is not freed by another consumer's
 * progress: the producers stay out until it is released. */
static void
w2_mpmc_taken_slot_not_overwritten_before_release(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		if (!o->mc)
			continue;
		for (size_t c = 0; c < N_CAPACITIES; c++) {
			uint64_t cap = capacities[c], v = 0;
			union ring r;
			struct kaos_batch held, b;
			KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_HEAP));
			produce(o, &r, cap);
			KAOS_ASSERT_EQ(o->peek(&r, 1, &held), 1); /* consumer 1 holds seq 0 */
			consume(o, &r, cap - 1);                  /* consumer 2 takes the rest */
			KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 0);
			KAOS_ASSERT_EQ(o->claim(&r, cap, &b), 0);
			KAOS_ASSERT_EQ(o->push(&r, &v), -KAOS_EFULL);
			KAOS_ASSERT_EQ(o->pop(&r, &v), -KAOS_EEMPTY);
			check_batch(o, &held);
			o->release(&r, &held);
			produce(o, &r, cap); /* now the whole lap is free */
			consume(o, &r, cap);
			o->destroy(&r);
		}
	}
}

/* W3: at capacity 64 (one bitmap word in the original) the lap must be
 * told apart: after each lap, nothing unpublished is reported published. */
static void
w3_capacity_64_wraps_correctly(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		union ring r;
		struct kaos_batch b, a;
		KAOS_ASSERT_OK(o->create(&r, 64, 8, KAOS_MEM_HEAP));
		for (uint64_t lap = 0; lap < 10; lap++) {
			/* a lap in uneven batches, starting off the boundary on
			 * odd laps */
			uint64_t first = lap & 1 ? 7 : 64;
			produce(o, &r, first);
			consume(o, &r, first);
			KAOS_ASSERT_EQ(o->peek(&r, 64, &b), 0);
			/* claim 6 without publishing: still nothing to read */
			KAOS_ASSERT_EQ(o->claim(&r, 6, &a), 6);
			KAOS_ASSERT_EQ(o->peek(&r, 64, &b), 0);
			if (o->mp) {
				/* a later claim published first is held back */
				KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 1);
				fill_batch(&b);
				o->publish(&r, &b);
				KAOS_ASSERT_EQ(o->peek(&r, 64, &b), 0);
			}
			fill_batch(&a);
			o->publish(&r, &a);
			uint64_t n = o->mp ? 7 : 6;
			KAOS_ASSERT_EQ(o->peek(&r, 64, &b), (int64_t)n);
			KAOS_ASSERT_UEQ(b.seq, a.seq);
			check_batch(o, &b);
			o->release(&r, &b);
			KAOS_ASSERT_EQ(o->peek(&r, 64, &b), 0);
			/* finish the lap so the next starts where it should */
			uint64_t pos = a.seq + n;
			uint64_t rest = (64 - (pos & 63)) & 63;
			if (rest) {
				produce(o, &r, rest);
				consume(o, &r, rest);
			}
			KAOS_ASSERT_EQ(o->peek(&r, 64, &b), 0);
		}
		o->destroy(&r);
	}
}

/* W9: 2^20 slots, events in flight 64K and more apart: holding seq 65536
 * keeps the producer off exactly that slot, a lap later. */
static void
w9_spmc_beyond_64k_slots(void)
{
	const uint64_t cap = 1 << 20, k64 = 1 << 16;
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		if (!o->mc)
			continue;
		union ring r;
		struct kaos_batch a, held, c, b;
		KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_MAPPED));
		produce(o, &r, cap);
		KAOS_ASSERT_EQ(o->peek(&r, k64, &a), (int64_t)k64);
		KAOS_ASSERT_EQ(o->peek(&r, 1, &held), 1);
		KAOS_ASSERT_UEQ(held.seq, k64);
		KAOS_ASSERT_EQ(o->peek(&r, cap, &c), (int64_t)(cap - k64 - 1));
		check_batch(o, &c);
		o->release(&r, &c);
		KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 0); /* seq 0 is still held */
		check_batch(o, &a);
		o->release(&r, &a);
		/* a lap later: free up to, not including, the held slot */
		produce(o, &r, k64);
		KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 0);
		KAOS_ASSERT_EQ(o->claim(&r, cap, &b), 0);
		check_batch(o, &held);
		KAOS_ASSERT_EQ(o->peek(&r, cap, &b), (int64_t)k64);
		KAOS_ASSERT_UEQ(b.seq, cap);
		check_batch(o, &b);
		o->release(&r, &b);
		KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 0);
		o->release(&r, &held);
		produce(o, &r, cap - k64);
		consume(o, &r, cap - k64);
		KAOS_ASSERT_EQ(o->peek(&r, 1, &b), 0);
		o->destroy(&r);
	}
}

/* W10: a claim never reaches past the oldest unreleased slot, however far
 * the releases of later slots have gone, and never overshoots. */
static void
w10_spmc_producer_never_overwrites_unreleased(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		if (!o->mc)
			continue;
		for (size_t cidx = 1; cidx < N_CAPACITIES; cidx++) {
			uint64_t cap = capacities[cidx], v = 0;
			union ring r;
			struct kaos_batch a, b, rest;
			KAOS_ASSERT_OK(o->create(&r, cap, 8, KAOS_MEM_HEAP));
			produce(o, &r, cap);
			KAOS_ASSERT_EQ(o->peek(&r, 5, &a), 5);
			KAOS_ASSERT_EQ(o->peek(&r, 5, &b), 5);
			KAOS_ASSERT_EQ(o->peek(&r, cap, &rest), (int64_t)(cap - 10));
			o->release(&r, &rest);
			o->release(&r, &b);
			KAOS_ASSERT_EQ(o->claim(&r, cap, &b), 0);
			KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 0);
			KAOS_ASSERT_EQ(o->push(&r, &v), -KAOS_EFULL);
			check_batch(o, &a);
			o->release(&r, &a);
			/* everything is free again; a claim stops at the array end */
			KAOS_ASSERT_EQ(o->claim(&r, cap, &b), (int64_t)cap);
			fill_batch(&b);
			o->publish(&r, &b);
			KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 0);
			consume(o, &r, cap);
			o->destroy(&r);
		}
	}
}

/* W17: the original hung forever behind a claim never published or a slot
 * never released. Here they hold the other side back as documented, a
 * wait with a timeout says so, and nothing is lost once they finish. */
static void
w17_unfinished_claim_or_take_holds_back_but_waits_time_out(void)
{
	const struct kaos_wait kinds_of_wait[] = {
		{ KAOS_WAIT_SPIN, 0, 5000000, 0 },
		{ KAOS_WAIT_YIELD, 0, 5000000, 0 },
		{ KAOS_WAIT_BACKOFF, 0, 5000000, 0 },
	};
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		union ring r;
		struct kaos_batch stalled, b;
		KAOS_ASSERT_OK(o->create(&r, 64, 8, KAOS_MEM_HEAP));
		KAOS_ASSERT_EQ(o->claim(&r, 1, &stalled), 1);
		if (o->mp)
			produce(o, &r, 10); /* other producers go on */
		for (size_t w = 0; w < 3; w++) {
			uint64_t t0 = kaos_now_ns();
			KAOS_ASSERT_EQ(o->peek_wait(&r, 64, &b, &kinds_of_wait[w]), -ETIMEDOUT);
			KAOS_ASSERT_GE(kaos_now_ns() - t0, kinds_of_wait[w].timeout_ns);
		}
		fill_batch(&stalled);
		o->publish(&r, &stalled);
		uint64_t n = o->mp ? 11 : 1;
		KAOS_ASSERT_EQ(o->peek_wait(&r, 64, &b, &kinds_of_wait[0]), (int64_t)n);
		check_batch(o, &b);
		o->release(&r, &b);

		/* a consumer that never releases: producers wait, then time out */
		produce(o, &r, 64 - n);
		produce(o, &r, n);
		KAOS_ASSERT_EQ(o->peek(&r, 1, &stalled), 1);
		struct kaos_batch later[2] = { { 0 } };
		if (o->mc) {
			KAOS_ASSERT_UEQ(drain(o, &r), 63); /* others go on */
		} else {
			/* one consumer releases in order: a later run first
			 * is refused and frees nothing (63 slots: up to the
			 * end of the array, then from its start) */
			KAOS_ASSERT_GT(o->peek(&r, 64, &later[0]), 0);
			KAOS_ASSERT_GE(o->peek(&r, 64, &later[1]), 0);
			KAOS_ASSERT_UEQ(later[0].count + later[1].count, 63);
			KAOS_ASSERT_EQ(kaos_mpsc_release(&r.mpsc, &later[0]), -EINVAL);
		}
		for (size_t w = 0; w < 3; w++) {
			uint64_t t0 = kaos_now_ns();
			KAOS_ASSERT_EQ(o->claim_wait(&r, 1, &b, &kinds_of_wait[w]), -ETIMEDOUT);
			KAOS_ASSERT_GE(kaos_now_ns() - t0, kinds_of_wait[w].timeout_ns);
		}
		check_batch(o, &stalled);
		o->release(&r, &stalled);
		for (int i = 0; i < 2 && !o->mc; i++) {
			check_batch(o, &later[i]);
			o->release(&r, &later[i]);
		}
		KAOS_ASSERT_EQ(o->claim_wait(&r, 64, &b, &kinds_of_wait[0]), (int64_t)(64 - n));
		o->destroy(&r);
	}
}

/* A side with one thread hands runs back in order (one cursor store
 * covers everything before it); out of order is -EINVAL and moves nothing. */
static void
single_side_hands_back_in_order(void)
{
	struct kaos_spmc sp;
	struct kaos_batch first, second, t;
	KAOS_ASSERT_OK(kaos_spmc_create(&sp, 64, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spmc_claim(&sp, 4, &first), 4);
	KAOS_ASSERT_EQ(kaos_spmc_claim(&sp, 4, &second), 4);
	KAOS_ASSERT_EQ(kaos_spmc_publish(&sp, &second), -EINVAL);
	KAOS_ASSERT_EQ(kaos_spmc_peek(&sp, 8, &t), 0); /* nothing visible */
	KAOS_ASSERT_OK(kaos_spmc_publish(&sp, &first));
	KAOS_ASSERT_EQ(kaos_spmc_publish(&sp, &first), -EINVAL); /* twice */
	KAOS_ASSERT_OK(kaos_spmc_publish(&sp, &second));
	KAOS_ASSERT_EQ(kaos_spmc_peek(&sp, 8, &t), 8);
	kaos_spmc_destroy(&sp);

	struct kaos_mpsc mp;
	KAOS_ASSERT_OK(kaos_mpsc_create(&mp, 64, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_mpsc_claim(&mp, 8, &t), 8);
	KAOS_ASSERT_OK(kaos_mpsc_publish(&mp, &t));
	KAOS_ASSERT_EQ(kaos_mpsc_peek(&mp, 4, &first), 4);
	KAOS_ASSERT_EQ(kaos_mpsc_peek(&mp, 4, &second), 4);
	KAOS_ASSERT_EQ(kaos_mpsc_release(&mp, &second), -EINVAL);
	KAOS_ASSERT_OK(kaos_mpsc_release(&mp, &first));
	KAOS_ASSERT_OK(kaos_mpsc_release(&mp, &second));
	KAOS_ASSERT_EQ(kaos_mpsc_release(&mp, &second), -EINVAL); /* twice */
	KAOS_ASSERT_EQ(kaos_mpsc_claim(&mp, 64, &t), 56); /* up to the wrap */
	kaos_mpsc_destroy(&mp);
}

/* push/pop on a single-threaded side holding an unfinished run refuse
 * instead of publishing out of order or wedging the cursor. */
static void
push_pop_refuse_with_a_run_outstanding(void)
{
	struct kaos_spmc sp;
	struct kaos_batch b;
	uint64_t v = 7;
	KAOS_ASSERT_OK(kaos_spmc_create(&sp, 8, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_EQ(kaos_spmc_claim(&sp, 1, &b), 1);
	KAOS_ASSERT_EQ(kaos_spmc_push(&sp, &v), -EINVAL);
	*(uint64_t *)b.slots = 6;
	KAOS_ASSERT_OK(kaos_spmc_publish(&sp, &b));
	KAOS_ASSERT_OK(kaos_spmc_push(&sp, &v));
	KAOS_ASSERT_OK(kaos_spmc_pop(&sp, &v));
	KAOS_ASSERT_UEQ(v, 6);
	KAOS_ASSERT_OK(kaos_spmc_pop(&sp, &v));
	KAOS_ASSERT_UEQ(v, 7);
	kaos_spmc_destroy(&sp);

	struct kaos_mpsc mp;
	KAOS_ASSERT_OK(kaos_mpsc_create(&mp, 8, 8, KAOS_MEM_HEAP));
	for (uint64_t i = 0; i < 3; i++)
		KAOS_ASSERT_OK(kaos_mpsc_push(&mp, &i));
	KAOS_ASSERT_EQ(kaos_mpsc_peek(&mp, 1, &b), 1);
	KAOS_ASSERT_EQ(kaos_mpsc_pop(&mp, &v), -EINVAL);
	KAOS_ASSERT_OK(kaos_mpsc_release(&mp, &b));
	KAOS_ASSERT_OK(kaos_mpsc_pop(&mp, &v));
	KAOS_ASSERT_UEQ(v, 1);
	kaos_mpsc_destroy(&mp);
}

/* Sizes whose final round-up to a cache line would wrap are -EOVERFLOW. */
static void
memsize_round_up_does_not_wrap(void)
{
	size_t sz = 1;
	KAOS_ASSERT_EQ(kaos_mpmc_memsize(2, (SIZE_MAX / 2) / 8 * 8 - 200, &sz), -EOVERFLOW);
	KAOS_ASSERT_EQ(kaos_bcast_memsize(2, (SIZE_MAX / 2) / 8 * 8 - 200, 1, &sz),
		       -EOVERFLOW);
}

/* ---- slot sizes, memory, typed rings ---------------------------------------- */

static void
slot_sizes_keep_every_byte(void)
{
	const size_t sizes[] = { 8, 16, 24, 40, 64, 128, 1024 };
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t sz = sizes[s];
			union ring r;
			struct kaos_batch b;
			unsigned char in[1024], out[1024];
			KAOS_ASSERT_OK(o->create(&r, 16, sz, KAOS_MEM_HEAP));
			KAOS_ASSERT_UEQ(o->slot_size(&r), sz);
			for (int round = 0; round < 40; round++) {
				for (size_t i = 0; i < sz; i++)
					in[i] = (unsigned char)(round * 31 + i * 7);
				if (round & 1) {
					KAOS_ASSERT_OK(o->push(&r, in));
					KAOS_ASSERT_EQ(o->peek(&r, 16, &b), 1);
					KAOS_ASSERT(memcmp(in, b.slots, sz) == 0);
					o->release(&r, &b);
				} else {
					KAOS_ASSERT_EQ(o->claim(&r, 1, &b), 1);
					memcpy(b.slots, in, sz);
					o->publish(&r, &b);
					memset(out, 0, sizeof(out));
					KAOS_ASSERT_OK(o->pop(&r, out));
					KAOS_ASSERT(memcmp(in, out, sz) == 0);
				}
			}
			o->destroy(&r);
		}
	}
}

static void
exchange_some(const struct ops *o, union ring *r)
{
	uint64_t cap = o->capacity(r);
	/* past the wrap at least once, whatever the scale */
	for (uint64_t i = 0; i < cap + kaos_test_scaled(2 * cap, 1); i++) {
		uint64_t v = val(i);
		KAOS_ASSERT_OK(o->push(r, &v));
		KAOS_ASSERT_OK(o->pop(r, &v));
		KAOS_ASSERT_UEQ(v, val(i));
	}
}

static void
memory_modes(void)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		const struct ops *o = kinds[k];
		union ring r;
		KAOS_ASSERT_OK(o->create(&r, 1024, 8, KAOS_MEM_HEAP));
		KAOS_ASSERT_EQ(o->pages(&r), KAOS_PAGES_HEAP);
		KAOS_ASSERT_EQ((uintptr_t)r.mpmc.s.ro.slots % KAOS_CACHELINE, 0);
		exchange_some(o, &r);
		o->destroy(&r);

		KAOS_ASSERT_OK(o->create(&r, 1 << 20, 8, KAOS_MEM_MAPPED));
		KAOS_ASSERT(o->pages(&r) != KAOS_PAGES_HEAP);
		exchange_some(o, &r);
		o->destroy(&r);

		/* caller memory full of garbage: init must set every stamp */
		size_t need;
		KAOS_ASSERT_OK(o->memsize(64, 8, &need));
		unsigned char *mem = aligned_alloc(KAOS_CACHELINE, need);
		KAOS_ASSERT(mem);
		memset(mem, 0x5a, need);
		KAOS_ASSERT_OK(o->init(&r, mem, need, 64, 8));
		KAOS_ASSERT_EQ(o->pages(&r), KAOS_PAGES_HEAP);
		struct kaos_batch b;
		KAOS_ASSERT_EQ(o->peek(&r, 64, &b), 0);
		exchange_some(o, &r);
		o->destroy(&r); /* leaves the caller's memory alone */
		KAOS_ASSERT(r.mpmc.s.ro.slots == NULL);
		free(mem);
	}
}

struct point3 {
	double x, y, z;
};

/* One typed ring per kind; the same checks for each. */
#define TYPED_CHECK(name, KIND, kind)                                           \
	KAOS_##KIND##_DEFINE(name, struct point3);                              \
	static void name##_check(void)                                          \
	{                                                                       \
		struct name q;                                                  \
		struct point3 p = { 1.5, -2.0, 3.25 }, got;                     \
		struct kaos_batch b;                                            \
		KAOS_ASSERT_OK(name##_create(&q, 8, KAOS_MEM_HEAP));            \
		KAOS_ASSERT_UEQ(q.ring.s.ro.slot_size, sizeof(struct point3));  \
		KAOS_ASSERT(name##_ring(&q) == &q.ring);                        \
		KAOS_ASSERT_EQ(name##_pop(&q, &got), -KAOS_EEMPTY);             \
		for (int i = 0; i < 8; i++) {                                   \
			p.x = i;                                                \
			KAOS_ASSERT_OK(name##_push(&q, &p));                    \
		}                                                               \
		KAOS_ASSERT_EQ(name##_push(&q, &p), -KAOS_EFULL);               \
		KAOS_ASSERT_EQ(name##_claim(&q, 9, &b), -KAOS_ETOOBIG);         \
		KAOS_ASSERT_EQ(name##_peek(&q, 3, &b), 3);                      \
		for (int i = 0; i < 3; i++)                                     \
			KAOS_ASSERT(((struct point3 *)b.slots)[i].x == i);      \
		kaos_##kind##_release(name##_ring(&q), &b);                     \
		for (int i = 3; i < 8; i++) {                                   \
			KAOS_ASSERT_OK(name##_pop(&q, &got));                   \
			KAOS_ASSERT(got.x == i && got.y == -2.0 && got.z == 3.25); \
		}                                                               \
		KAOS_ASSERT_EQ(name##_claim(&q, 3, &b), 3);                     \
		for (int i = 0; i < 3; i++)                                     \
			((struct point3 *)b.slots)[i] = (struct point3){ i, 0, 0 }; \
		kaos_##kind##_publish(name##_ring(&q), &b);                     \
		for (int i = 0; i < 3; i++) {                                   \
			KAOS_ASSERT_OK(name##_pop(&q, &got));                   \
			KAOS_ASSERT(got.x == i);                                \
		}                                                               \
		name##_destroy(&q);                                             \
	}                                                                       \
	struct name

TYPED_CHECK(pt_mpsc, MPSC, mpsc);
TYPED_CHECK(pt_spmc, SPMC, spmc);
TYPED_CHECK(pt_mpmc, MPMC, mpmc);

static void
typed_rings(void)
{
	pt_mpsc_check();
	pt_spmc_check();
	pt_mpmc_check();
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(memsize_rejects_bad_arguments),
		KAOS_TEST(create_and_init_reject_bad_arguments),
		KAOS_TEST(w26_too_big_is_not_full),
		KAOS_TEST(full_and_empty_edges),
		KAOS_TEST(claim_and_peek_across_the_wrap),
		KAOS_TEST(batches_match_a_model_at_every_capacity),
		KAOS_TEST(w1_mpmc_empty_ring_has_no_phantom_event_at_seq_0),
		KAOS_TEST(w2_mpmc_taken_slot_not_overwritten_before_release),
		KAOS_TEST(w3_capacity_64_wraps_correctly),
		KAOS_TEST(w9_spmc_beyond_64k_slots),
		KAOS_TEST(w10_spmc_producer_never_overwrites_unreleased),
		KAOS_TEST(w17_unfinished_claim_or_take_holds_back_but_waits_time_out),
		KAOS_TEST(single_side_hands_back_in_order),
		KAOS_TEST(push_pop_refuse_with_a_run_outstanding),
		KAOS_TEST(memsize_round_up_does_not_wrap),
		KAOS_TEST(slot_sizes_keep_every_byte),
		KAOS_TEST(memory_modes),
		KAOS_TEST(typed_rings),
		KAOS_TEST(memsize_of_the_largest_slot_size_is_an_overflow),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
