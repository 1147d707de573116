/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <kaos/wait.h>

#define DEFAULT_SPINS 100
#define DEFAULT_MAX_SLEEP_NS 1000000ull
#define FIRST_SLEEP_NS 1000ull

uint64_t
kaos_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timespec
to_timespec(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	return ts;
}

/* Not FUTEX_PRIVATE_FLAG: waitpoints may sit in memory shared between
 * processes. */
static long
futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *rel)
{
	return syscall(SYS_futex, (uint32_t *)addr, op, val, rel, NULL, 0);
}

void
kaos__waitpoint_wake(struct kaos_waitpoint *wp)
{
	/* Release: a waiter whose futex_wait sees the new seq returns and
	 * re-checks its condition. Pairs with the acquire in block(). */
	atomic_fetch_add_explicit(&wp->seq, 1, memory_order_release);
	futex(&wp->seq, FUTEX_WAKE, INT_MAX, NULL);
	/* Relaxed: a statistic. */
	atomic_fetch_add_explicit(&wp->wakes, 1, memory_order_relaxed);
}

/* Sleep on the waitpoint until notified or the deadline. 0: ready;
 * 1: woken or interrupted, check again; -ETIMEDOUT. @p name: the
 * waiter's bit, or 0 for an anonymous waiter (counted). */
static int
block(struct kaos_waitpoint *wp, uint64_t name, kaos_ready_fn ready, void *ctx,
      uint64_t deadline)
{
	/* Read seq before registering: a wake between registration and the
	 * sleep then changes seq, and futex_wait returns at once. */
	uint32_t seq = atomic_load_explicit(&wp->seq, memory_order_acquire);
	/* Relaxed: the fence below orders the registration. A named waiter
	 * sets its bit (it is alone with it: one thread per attachment). */
	if (name)
		atomic_fetch_or_explicit(&wp->waiters, name, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&wp->waiters, KAOS_WAIT_ANONYMOUS,
					  memory_order_relaxed);
	/* W1: pairs with N1 in kaos_waitpoint_notify(): either the notifier
	 * sees waiters > 0, or the re-check below sees its state change. */
	atomic_thread_fence(memory_order_seq_cst);
	int rc = 1;
	if (ready(ctx)) {
		rc = 0;
	} else {
		struct timespec rel, *relp = NULL;
		if (deadline != UINT64_MAX) {
			uint64_t now = kaos_now_ns();
			if (now >= deadline) {
				rc = -ETIMEDOUT;
				goto out;
			}
			rel = to_timespec(deadline - now);
			relp = &rel;
		}
		futex(&wp->seq, FUTEX_WAIT, seq, relp); /* EAGAIN/EINTR: re-check */
	}
out:
	/* Relaxed: nothing of ours is published by leaving. */
	if (name)
		atomic_fetch_and_explicit(&wp->waiters, ~name, memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&wp->waiters, KAOS_WAIT_ANONYMOUS,
					  memory_order_relaxed);
	return rc;
}

int
kaos_wait_until(const struct kaos_wait *how, struct kaos_waitpoint *wp,
		kaos_ready_fn ready, void *ctx)
{
	return kaos__wait_until(how, wp, 0, ready, ctx);
}

int
kaos__wait_until(const struct kaos_wait *how, struct kaos_waitpoint *wp, uint64_t name,
		 kaos_ready_fn ready, void *ctx)
{
	if (!how || !ready || how->kind > KAOS_WAIT_BLOCK ||
	    (how->kind == KAOS_WAIT_BLOCK && !wp) || (name & ~KAOS_WAIT_NAMED_MASK) ||
	    (name & (name - 1)))
		return -EINVAL;
	uint32_t spins = how->spins ? how->spins : DEFAULT_SPINS;
	uint64_t max_sleep = how->max_sleep_ns ? how->max_sleep_ns : DEFAULT_MAX_SLEEP_NS;
	uint64_t sleep_ns = FIRST_SLEEP_NS;
	uint64_t deadline = UINT64_MAX;
	if (how->timeout_ns) {
		uint64_t now = kaos_now_ns();
		deadline = how->timeout_ns < UINT64_MAX - now ? now + how->timeout_ns
							      : UINT64_MAX - 1;
	}

	for (uint64_t i = 0;; i++) {
		if (ready(ctx))
			return 0;
		if (i == 0 && wp) /* Relaxed: a statistic. */
			atomic_fetch_add_explicit(&wp->waits, 1, memory_order_relaxed);
		/* The clock is read every 64 spins, and every time once past
		 * the spin phase (where each step is slow anyway). */
		if (deadline != UINT64_MAX && (i >= spins || (i & 63) == 0) &&
		    kaos_now_ns() >= deadline)
			return ready(ctx) ? 0 : -ETIMEDOUT;
		if (i < spins || how->kind == KAOS_WAIT_SPIN) {
			kaos_cpu_relax();
			continue;
		}
		switch (how->kind) {
		case KAOS_WAIT_YIELD:
			sched_yield();
			break;
		case KAOS_WAIT_BACKOFF: {
			uint64_t ns = sleep_ns;
			if (deadline != UINT64_MAX) {
				uint64_t now = kaos_now_ns();
				if (now < deadline && deadline - now < ns)
					ns = deadline - now;
			}
			struct timespec ts = to_timespec(ns);
			nanosleep(&ts, NULL);
			sleep_ns = sleep_ns * 2 > max_sleep ? max_sleep : sleep_ns * 2;
			break;
		}
		case KAOS_WAIT_BLOCK: {
			int rc = block(wp, name, ready, ctx, deadline);
			if (rc <= 0)
				return rc;
			break;
		}
		default:
			return -EINVAL;
		}
	}
}
