/* SPDX-License-Identifier: MIT */
/*
 * Wait strategies (kaos/wait.h) and the *_wait functions of every ring
 * (the original could only busy-spin, W16): each kind (SPIN, YIELD,
 * BACKOFF, BLOCK) times out on an empty or full ring after at least its
 * timeout, returns at once when it can, rejects KAOS_WAIT_BLOCK on a ring
 * without blocking enabled, and a thread blocked on one side wakes when
 * another thread acts on the other. A ping-pong with KAOS_WAIT_BLOCK over
 * SPSC, MPMC and broadcast rings checks for lost wake-ups: each wait has a
 * generous timeout, so a lost wake-up fails with -ETIMEDOUT instead of
 * hanging. Times are asserted only from below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#define CAP 4
#define GENEROUS_NS (30ull * 1000000000ull) /* a lost wake-up, not a slow machine */

static const enum kaos_wait_kind all_kinds[] = { KAOS_WAIT_SPIN, KAOS_WAIT_YIELD,
						 KAOS_WAIT_BACKOFF, KAOS_WAIT_BLOCK };
static const char *const kind_names[] = { "spin", "yield", "backoff", "block" };

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- every ring's *_wait functions behind one table ------------------------------ */

struct rings {
	struct kaos_spsc spsc;
	struct kaos_mpsc mpsc;
	struct kaos_spmc spmc;
	struct kaos_mpmc mpmc;
	struct kaos_bcast bcast;
	struct kaos_bcast_consumer bc;
};

/* One wait function of one ring, and the other side's action that lets it
 * proceed. */
struct wait_op {
	const char *name;
	bool producer; /* waits for space (else for data) */
	int64_t (*wait)(struct rings *, const struct kaos_wait *);
	struct kaos_waitpoint *(*wp)(struct rings *);
};

static uint64_t out_value; /* what a consumer op read */

static int64_t
spsc_claim_w(struct rings *r, const struct kaos_wait *h)
{
	void *s = NULL;
	int64_t n = kaos_spsc_claim_wait(&r->spsc, 1, &s, h);
	if (n > 0) {
		*(uint64_t *)s = 7;
		KAOS_ASSERT_OK(kaos_spsc_publish(&r->spsc, 1));
	}
	return n;
}
static int64_t
spsc_push_w(struct rings *r, const struct kaos_wait *h)
{
	uint64_t v = 7;
	return kaos_spsc_push_wait(&r->spsc, &v, h);
}
static int64_t
spsc_peek_w(struct rings *r, const struct kaos_wait *h)
{
	const void *s = NULL;
	int64_t n = kaos_spsc_peek_wait(&r->spsc, 1, &s, h);
	if (n > 0) {
		out_value = *(const uint64_t *)s;
		KAOS_ASSERT_OK(kaos_spsc_release(&r->spsc, 1));
	}
	return n;
}
static int64_t
spsc_pop_w(struct rings *r, const struct kaos_wait *h)
{
	return kaos_spsc_pop_wait(&r->spsc, &out_value, h);
}
static struct kaos_waitpoint *
spsc_space(struct rings *r)
{
	return &r->spsc.ro.ctl->space;
}
static struct kaos_waitpoint *
spsc_data(struct rings *r)
{
	return &r->spsc.ro.ctl->data;
}

#define STAMPED_OPS(k)                                                            \
	static int64_t k##_claim_w(struct rings *r, const struct kaos_wait *h)    \
	{                                                                         \
		struct kaos_batch b;                                              \
		int64_t n = kaos_##k##_claim_wait(&r->k, 1, &b, h);               \
		if (n > 0) {                                                      \
			*(uint64_t *)b.slots = 7;                                 \
			kaos_##k##_publish(&r->k, &b);                            \
		}                                                                 \
		return n;                                                         \
	}                                                                         \
	static int64_t k##_peek_w(struct rings *r, const struct kaos_wait *h)     \
	{                                                                         \
		struct kaos_batch b;                                              \
		int64_t n = kaos_##k##_peek_wait(&r->k, 1, &b, h);                \
		if (n > 0) {                                                      \
			out_value = *(uint64_t *)b.slots;                         \
			kaos_##k##_release(&r->k, &b);                            \
		}                                                                 \
		return n;                                                         \
	}                                                                         \
	static struct kaos_waitpoint *k##_space(struct rings *r)                  \
	{ return &r->k.s.ro.ctl->space; }                                         \
	static struct kaos_waitpoint *k##_data(struct rings *r)                   \
	{ return &r->k.s.ro.ctl->data; }

STAMPED_OPS(mpsc)
STAMPED_OPS(spmc)
STAMPED_OPS(mpmc)

static int64_t
bcast_claim_w(struct rings *r, const struct kaos_wait *h)
{
	void *s = NULL;
	int64_t n = kaos_bcast_claim_wait(&r->bcast, 1, &s, h);
	if (n > 0) {
		*(uint64_t *)s = 7;
		KAOS_ASSERT_OK(kaos_bcast_publish(&r->bcast, 1));
	}
	return n;
}
static int64_t
bcast_push_w(struct rings *r, const struct kaos_wait *h)
{
	uint64_t v = 7;
	return kaos_bcast_push_wait(&r->bcast, &v, h);
}
static int64_t
bcast_peek_w(struct rings *r, const struct kaos_wait *h)
{
	void *s = NULL;
	int64_t n = kaos_bcast_peek_wait(&r->bc, 1, &s, h);
	if (n > 0) {
		out_value = *(uint64_t *)s;
		KAOS_ASSERT_OK(kaos_bcast_release(&r->bc, 1));
	}
	return n;
}
static int64_t
bcast_pop_w(struct rings *r, const struct kaos_wait *h)
{
	return kaos_bcast_pop_wait(&r->bc, &out_value, h);
}
static struct kaos_waitpoint *
bcast_wp(struct rings *r)
{
	return &r->bcast.ro.ctl->data;
}

static const struct wait_op ops[] = {
	{ "spsc_claim_wait", true, spsc_claim_w, spsc_space },
	{ "spsc_push_wait", true, spsc_push_w, spsc_space },
	{ "spsc_peek_wait", false, spsc_peek_w, spsc_data },
	{ "spsc_pop_wait", false, spsc_pop_w, spsc_data },
	{ "mpsc_claim_wait", true, mpsc_claim_w, mpsc_space },
	{ "mpsc_peek_wait", false, mpsc_peek_w, mpsc_data },
	{ "spmc_claim_wait", true, spmc_claim_w, spmc_space },
	{ "spmc_peek_wait", false, spmc_peek_w, spmc_data },
	{ "mpmc_claim_wait", true, mpmc_claim_w, mpmc_space },
	{ "mpmc_peek_wait", false, mpmc_peek_w, mpmc_data },
	{ "bcast_claim_wait", true, bcast_claim_w, bcast_wp },
	{ "bcast_push_wait", true, bcast_push_w, bcast_wp },
	{ "bcast_peek_wait", false, bcast_peek_w, bcast_wp },
	{ "bcast_pop_wait", false, bcast_pop_w, bcast_wp },
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

/* The other side of @p op's ring: consume one event (when op is a
 * producer), or publish one (value 7 + 100). Non-blocking; must succeed. */
static void
other_side(const struct wait_op *op, struct rings *r)
{
	uint64_t v = 107;
	const char *n = op->name;
	if (op->producer) {
		if (!strncmp(n, "spsc", 4))
			KAOS_ASSERT_OK(kaos_spsc_pop(&r->spsc, &v));
		else if (!strncmp(n, "mpsc", 4))
			KAOS_ASSERT_OK(kaos_mpsc_pop(&r->mpsc, &v));
		else if (!strncmp(n, "spmc", 4))
			KAOS_ASSERT_OK(kaos_spmc_pop(&r->spmc, &v));
		else if (!strncmp(n, "mpmc", 4))
			KAOS_ASSERT_OK(kaos_mpmc_pop(&r->mpmc, &v));
		else
			KAOS_ASSERT_OK(kaos_bcast_pop(&r->bc, &v));
		KAOS_ASSERT_UEQ(v, 1000); /* the first event of the full ring */
	} else {
		if (!strncmp(n, "spsc", 4))
			KAOS_ASSERT_OK(kaos_spsc_push(&r->spsc, &v));
		else if (!strncmp(n, "mpsc", 4))
			KAOS_ASSERT_OK(kaos_mpsc_push(&r->mpsc, &v));
		else if (!strncmp(n, "spmc", 4))
			KAOS_ASSERT_OK(kaos_spmc_push(&r->spmc, &v));
		else if (!strncmp(n, "mpmc", 4))
			KAOS_ASSERT_OK(kaos_mpmc_push(&r->mpmc, &v));
		else
			KAOS_ASSERT_OK(kaos_bcast_push(&r->bcast, &v));
	}
}

/* Every ring with CAP 8-byte slots; full rings hold 1000, 1001, ... */
static void
rings_create(struct rings *r, bool blocking, bool full)
{
	memset(r, 0, sizeof(*r));
	KAOS_ASSERT_OK(kaos_spsc_create(&r->spsc, CAP, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_mpsc_create(&r->mpsc, CAP, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_spmc_create(&r->spmc, CAP, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_mpmc_create(&r->mpmc, CAP, 8, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_create(&r->bcast, CAP, 8, 2, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_bcast_join(&r->bcast, &r->bc));
	kaos_spsc_set_blocking(&r->spsc, blocking);
	kaos_mpsc_set_blocking(&r->mpsc, blocking);
	kaos_spmc_set_blocking(&r->spmc, blocking);
	kaos_mpmc_set_blocking(&r->mpmc, blocking);
	kaos_bcast_set_blocking(&r->bcast, blocking);
	for (uint64_t i = 0; full && i < CAP; i++) {
		uint64_t v = 1000 + i;
		KAOS_ASSERT_OK(kaos_spsc_push(&r->spsc, &v));
		KAOS_ASSERT_OK(kaos_mpsc_push(&r->mpsc, &v));
		KAOS_ASSERT_OK(kaos_spmc_push(&r->spmc, &v));
		KAOS_ASSERT_OK(kaos_mpmc_push(&r->mpmc, &v));
		KAOS_ASSERT_OK(kaos_bcast_push(&r->bcast, &v));
	}
}

static void
rings_destroy(struct rings *r)
{
	kaos_bcast_leave(&r->bc);
	kaos_spsc_destroy(&r->spsc);
	kaos_mpsc_destroy(&r->mpsc);
	kaos_spmc_destroy(&r->spmc);
	kaos_mpmc_destroy(&r->mpmc);
	kaos_bcast_destroy(&r->bcast);
}

/* ---- kaos_wait_until -------------------------------------------------------------- */

struct countdown {
	unsigned left, calls;
};

static bool
ready_after(void *ctx)
{
	struct countdown *c = ctx;
	c->calls++;
	if (c->left == 0)
		return true;
	c->left--;
	return false;
}

static bool
never(void *ctx)
{
	(void)ctx;
	return false;
}

static void
wait_until_rejects_bad_arguments(void)
{
	struct kaos_waitpoint wp = { 0 };
	struct countdown c = { 0, 0 };
	struct kaos_wait how = { KAOS_WAIT_SPIN, 0, 0, 0 };
	KAOS_ASSERT_EQ(kaos_wait_until(NULL, &wp, ready_after, &c), -EINVAL);
	KAOS_ASSERT_EQ(kaos_wait_until(&how, &wp, NULL, &c), -EINVAL);
	how.kind = (enum kaos_wait_kind)99;
	KAOS_ASSERT_EQ(kaos_wait_until(&how, &wp, ready_after, &c), -EINVAL);
	how.kind = (enum kaos_wait_kind)-1;
	KAOS_ASSERT_EQ(kaos_wait_until(&how, &wp, ready_after, &c), -EINVAL);
	how.kind = KAOS_WAIT_BLOCK;
	KAOS_ASSERT_EQ(kaos_wait_until(&how, NULL, ready_after, &c), -EINVAL);
	KAOS_ASSERT_UEQ(c.calls, 0); /* rejected before trying */
	/* a waitpoint is optional for the other kinds */
	for (int k = 0; k < 3; k++) {
		how.kind = all_kinds[k];
		c = (struct countdown){ 3, 0 };
		KAOS_ASSERT_EQ(kaos_wait_until(&how, NULL, ready_after, &c), 0);
	}
}

/* Returns 0 once ready, having asked exactly until it was. */
static void
wait_until_returns_when_ready(void)
{
	struct kaos_waitpoint wp = { 0 };
	for (int k = 0; k < 4; k++) {
		const unsigned lefts[] = { 0, 1, 50, 500 };
		for (int i = 0; i < 4; i++) {
			/* BLOCK with nobody to notify: stay within the spins */
			struct kaos_wait how = { all_kinds[k], all_kinds[k] == KAOS_WAIT_BLOCK ? 1000 : 0,
						 GENEROUS_NS, 1000 };
			struct countdown c = { lefts[i], 0 };
			KAOS_ASSERT_EQ(kaos_wait_until(&how, &wp, ready_after, &c), 0);
			KAOS_ASSERT_UEQ(c.calls, lefts[i] + 1);
		}
	}
}

/* Times out after at least the timeout, with every kind. */
static void
wait_until_times_out(void)
{
	struct kaos_waitpoint wp = { 0 };
	const uint64_t timeouts[] = { 1, 1000, 1000000, 20000000 };
	for (int k = 0; k < 4; k++)
		for (int t = 0; t < 4; t++) {
			struct kaos_wait how = { all_kinds[k], 0, timeouts[t], 0 };
			uint64_t t0 = kaos_now_ns();
			KAOS_ASSERT_EQ(kaos_wait_until(&how, &wp, never, NULL), -ETIMEDOUT);
			KAOS_ASSERT_GE(kaos_now_ns() - t0, timeouts[t]);
		}
	/* a short backoff cap and few spins change nothing about that */
	struct kaos_wait how = { KAOS_WAIT_BACKOFF, 1, 5000000, 10000 };
	uint64_t t0 = kaos_now_ns();
	KAOS_ASSERT_EQ(kaos_wait_until(&how, NULL, never, NULL), -ETIMEDOUT);
	KAOS_ASSERT_GE(kaos_now_ns() - t0, 5000000);
	KAOS_ASSERT_UEQ(atomic_load(&wp.waiters), 0); /* nobody left registered */
}

/* ---- every ring ------------------------------------------------------------------- */

static void
w16_every_ring_wait_times_out_with_every_kind(void)
{
	const uint64_t timeout = 10000000;
	for (int k = 0; k < 4; k++) {
		struct rings full, empty;
		rings_create(&full, all_kinds[k] == KAOS_WAIT_BLOCK, true);
		rings_create(&empty, all_kinds[k] == KAOS_WAIT_BLOCK, false);
		for (size_t i = 0; i < N_OPS; i++) {
			struct kaos_wait how = { all_kinds[k], 0, timeout, 0 };
			struct rings *r = ops[i].producer ? &full : &empty;
			uint64_t t0 = kaos_now_ns();
			int64_t rc = ops[i].wait(r, &how);
			if (rc != -ETIMEDOUT)
				KAOS_FAIL("%s %s: %" PRId64 ", want -ETIMEDOUT", ops[i].name,
					  kind_names[k], rc);
			KAOS_ASSERT_GE(kaos_now_ns() - t0, timeout);
			KAOS_ASSERT_UEQ(atomic_load(&ops[i].wp(r)->waiters), 0);
		}
		rings_destroy(&full);
		rings_destroy(&empty);
	}
}

static void
w16_block_without_blocking_enabled_is_einval(void)
{
	struct rings full, empty;
	rings_create(&full, false, true);
	rings_create(&empty, false, false);
	for (size_t i = 0; i < N_OPS; i++) {
		struct rings *r = ops[i].producer ? &full : &empty;
		struct rings *ready = ops[i].producer ? &empty : &full;
		struct kaos_wait block = { KAOS_WAIT_BLOCK, 0, GENEROUS_NS, 0 };
		struct kaos_wait bad = { (enum kaos_wait_kind)42, 0, 0, 0 };
		uint64_t t0 = kaos_now_ns();
		if (ops[i].wait(r, &block) != -EINVAL || ops[i].wait(ready, &block) != -EINVAL)
			KAOS_FAIL("%s: KAOS_WAIT_BLOCK without blocking enabled accepted",
				  ops[i].name);
		KAOS_ASSERT_LT(kaos_now_ns() - t0, GENEROUS_NS); /* did not wait for it */
		KAOS_ASSERT_EQ(ops[i].wait(r, NULL), -EINVAL);
		KAOS_ASSERT_EQ(ops[i].wait(r, &bad), -EINVAL);
	}
	rings_destroy(&full);
	rings_destroy(&empty);
}

/* With room or data there, every kind returns at once, without a timeout. */
static void
w16_waits_return_at_once_when_possible(void)
{
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < N_OPS; i++) {
			struct kaos_wait how = { all_kinds[k], 0, 0, 0 };
			struct rings r;
			rings_create(&r, all_kinds[k] == KAOS_WAIT_BLOCK, !ops[i].producer);
			out_value = 0;
			KAOS_ASSERT_GE(ops[i].wait(&r, &how), 0);
			if (!ops[i].producer)
				KAOS_ASSERT_UEQ(out_value, 1000);
			rings_destroy(&r);
		}
}

/* A thread blocked in op wakes when the main thread acts on the other
 * side. For KAOS_WAIT_BLOCK the main thread first sees the waiter
 * registered on the futex, so the sleeping path is what is tested. */
struct waiter_arg {
	const struct wait_op *op;
	struct rings *r;
	struct kaos_wait how;
	int64_t rc;
	_Atomic int done;
};

static void *
waiter(void *arg)
{
	struct waiter_arg *w = arg;
	w->rc = w->op->wait(w->r, &w->how);
	atomic_store(&w->done, 1);
	return NULL;
}

static void
wake_each(bool producers)
{
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < N_OPS; i++) {
			if (ops[i].producer != producers)
				continue;
			struct rings r;
			bool block = all_kinds[k] == KAOS_WAIT_BLOCK;
			rings_create(&r, block, producers);
			struct waiter_arg w = { &ops[i], &r, { all_kinds[k], 0, GENEROUS_NS, 0 }, 0, 0 };
			pthread_t t;
			out_value = 0;
			KAOS_ASSERT_EQ(pthread_create(&t, NULL, waiter, &w), 0);
			uint64_t until = kaos_now_ns() + GENEROUS_NS;
			if (block) {
				while (!atomic_load(&ops[i].wp(&r)->waiters)) {
					KAOS_ASSERT_LT(kaos_now_ns(), until);
					sleep_ms(1);
				}
			} else {
				sleep_ms(5);
			}
			KAOS_ASSERT(!atomic_load(&w.done));
			other_side(&ops[i], &r);
			KAOS_ASSERT_EQ(pthread_join(t, NULL), 0);
			if (w.rc < 0)
				KAOS_FAIL("%s %s: %" PRId64 " after the other side acted",
					  ops[i].name, kind_names[k], w.rc);
			if (!producers)
				KAOS_ASSERT_UEQ(out_value, 107);
			rings_destroy(&r);
		}
}

static void
w16_blocked_consumer_wakes_on_publish(void)
{
	wake_each(false);
}

static void
w16_blocked_producer_wakes_on_release(void)
{
	wake_each(true);
}

/* ---- ping-pong: no lost wake-ups ------------------------------------------------------ */

/* A pair of rings of one kind: a -> b carries i, b -> a carries i + 1. */
enum pp_kind { PP_SPSC, PP_MPMC, PP_BCAST };

struct pingpong {
	enum pp_kind kind;
	struct kaos_wait how;
	uint64_t rounds;
	struct kaos_spsc spsc[2];
	struct kaos_mpmc mpmc[2];
	struct kaos_bcast bcast[2];
	struct kaos_bcast_consumer bc[2];
};

static void
pp_send(struct pingpong *pp, int ring, uint64_t v)
{
	int64_t rc;
	struct kaos_batch b;
	switch (pp->kind) {
	case PP_SPSC:
		rc = kaos_spsc_push_wait(&pp->spsc[ring], &v, &pp->how);
		break;
	case PP_MPMC:
		rc = kaos_mpmc_claim_wait(&pp->mpmc[ring], 1, &b, &pp->how);
		if (rc == 1) {
			*(uint64_t *)b.slots = v;
			kaos_mpmc_publish(&pp->mpmc[ring], &b);
			rc = 0;
		}
		break;
	default:
		rc = kaos_bcast_push_wait(&pp->bcast[ring], &v, &pp->how);
		break;
	}
	if (rc != 0)
		KAOS_FAIL("ping-pong send %" PRIu64 " on ring %d: %" PRId64 " (lost wake-up?)",
			  v, ring, rc);
}

static uint64_t
pp_recv(struct pingpong *pp, int ring)
{
	int64_t rc;
	uint64_t v = UINT64_MAX;
	struct kaos_batch b;
	switch (pp->kind) {
	case PP_SPSC:
		rc = kaos_spsc_pop_wait(&pp->spsc[ring], &v, &pp->how);
		break;
	case PP_MPMC:
		rc = kaos_mpmc_peek_wait(&pp->mpmc[ring], 1, &b, &pp->how);
		if (rc == 1) {
			v = *(uint64_t *)b.slots;
			kaos_mpmc_release(&pp->mpmc[ring], &b);
			rc = 0;
		}
		break;
	default:
		rc = kaos_bcast_pop_wait(&pp->bc[ring], &v, &pp->how);
		break;
	}
	if (rc != 0)
		KAOS_FAIL("ping-pong receive on ring %d: %" PRId64 " (lost wake-up?)", ring, rc);
	return v;
}

static void *
ponger(void *arg)
{
	struct pingpong *pp = arg;
	for (uint64_t i = 0; i < pp->rounds; i++) {
		uint64_t v = pp_recv(pp, 0);
		KAOS_ASSERT_UEQ(v, 2 * i);
		pp_send(pp, 1, v + 1);
	}
	return NULL;
}

static void
pingpong_run(enum pp_kind kind, uint32_t spins, uint64_t rounds, const char *name)
{
	struct pingpong pp = { .kind = kind, .how = { KAOS_WAIT_BLOCK, spins, GENEROUS_NS, 0 } };
	pp.rounds = kaos_test_scaled(rounds, 1000);
	for (int i = 0; i < 2; i++) {
		/* capacity 2: the sender can get ahead by one, then blocks */
		switch (kind) {
		case PP_SPSC:
			KAOS_ASSERT_OK(kaos_spsc_create(&pp.spsc[i], 2, 8, KAOS_MEM_HEAP));
			kaos_spsc_set_blocking(&pp.spsc[i], true);
			break;
		case PP_MPMC:
			KAOS_ASSERT_OK(kaos_mpmc_create(&pp.mpmc[i], 2, 8, KAOS_MEM_HEAP));
			kaos_mpmc_set_blocking(&pp.mpmc[i], true);
			break;
		case PP_BCAST:
			KAOS_ASSERT_OK(kaos_bcast_create(&pp.bcast[i], 2, 8, 1, KAOS_MEM_HEAP));
			kaos_bcast_set_blocking(&pp.bcast[i], true);
			KAOS_ASSERT_OK(kaos_bcast_join(&pp.bcast[i], &pp.bc[i]));
			break;
		}
	}
	pthread_t t;
	uint64_t t0 = kaos_now_ns();
	KAOS_ASSERT_EQ(pthread_create(&t, NULL, ponger, &pp), 0);
	for (uint64_t i = 0; i < pp.rounds; i++) {
		pp_send(&pp, 0, 2 * i);
		KAOS_ASSERT_UEQ(pp_recv(&pp, 1), 2 * i + 1);
	}
	KAOS_ASSERT_EQ(pthread_join(t, NULL), 0);
	printf("  %s, %u spins: %" PRIu64 " round trips, %.2f s\n", name, spins ? spins : 100,
	       pp.rounds, (double)(kaos_now_ns() - t0) / 1e9);
	for (int i = 0; i < 2; i++) {
		switch (kind) {
		case PP_SPSC: kaos_spsc_destroy(&pp.spsc[i]); break;
		case PP_MPMC: kaos_mpmc_destroy(&pp.mpmc[i]); break;
		case PP_BCAST:
			kaos_bcast_leave(&pp.bc[i]);
			kaos_bcast_destroy(&pp.bcast[i]);
			break;
		}
	}
}

static void
block_pingpong_spsc(void)
{
	pingpong_run(PP_SPSC, 0, 200000, "spsc");
	pingpong_run(PP_SPSC, 1, 200000, "spsc"); /* to the futex nearly every time */
}

static void
block_pingpong_mpmc(void)
{
	pingpong_run(PP_MPMC, 0, 200000, "mpmc");
	pingpong_run(PP_MPMC, 1, 200000, "mpmc");
}

static void
block_pingpong_bcast(void)
{
	pingpong_run(PP_BCAST, 1, 50000, "bcast");
}

static bool
third_time(void *ctx)
{
	return ++*(int *)ctx >= 3;
}

/* A huge timeout is "practically forever", not an overflowed deadline that
 * has already passed. */
static void
huge_timeout_does_not_wrap(void)
{
	struct kaos_wait how = { KAOS_WAIT_SPIN, 0, UINT64_MAX, 0 };
	int calls = 0;
	KAOS_ASSERT_EQ(kaos_wait_until(&how, NULL, third_time, &calls), 0);
	KAOS_ASSERT_EQ(calls, 3);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(wait_until_rejects_bad_arguments),
		KAOS_TEST(wait_until_returns_when_ready),
		KAOS_TEST(wait_until_times_out),
		KAOS_TEST(w16_every_ring_wait_times_out_with_every_kind),
		KAOS_TEST(w16_block_without_blocking_enabled_is_einval),
		KAOS_TEST(w16_waits_return_at_once_when_possible),
		KAOS_TEST(w16_blocked_consumer_wakes_on_publish),
		KAOS_TEST(w16_blocked_producer_wakes_on_release),
		KAOS_TEST(block_pingpong_spsc),
		KAOS_TEST(block_pingpong_mpmc),
		KAOS_TEST(block_pingpong_bcast),
		KAOS_TEST(huge_timeout_does_not_wrap),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
