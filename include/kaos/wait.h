/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/wait.h
 * Wait strategies: what a producer does while a ring is full, or a consumer
 * while it is empty. Busy-spin, spin-then-yield, exponential backoff sleep,
 * and blocking on a futex; each with an optional timeout.
 *
 * Blocking needs a waitpoint: a futex word and a waiters word that may
 * live in memory shared between processes (the futex is not
 * process-private). A waiter
 * registers in it before sleeping; the other side calls
 * kaos_waitpoint_notify() after changing the state, which costs a fence
 * and a load, and a system call only when somebody is waiting.
 *
 * Every ring has *_wait variants of its claim/peek/push/pop built on
 * kaos_wait_until(); rings created with blocking enabled notify their
 * waitpoints themselves.
 */
#ifndef KAOS_WAIT_H
#define KAOS_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include <kaos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How to wait. */
enum kaos_wait_kind {
	KAOS_WAIT_SPIN = 0, /**< busy-spin with a CPU pause; lowest latency */
	KAOS_WAIT_YIELD,    /**< spin, then sched_yield() */
	KAOS_WAIT_BACKOFF,  /**< spin, then sleep 1 µs doubling up to max_sleep_ns */
	KAOS_WAIT_BLOCK,    /**< spin, then sleep on a futex until notified */
};

/** A wait strategy. Zero-initialised fields take their defaults. */
struct kaos_wait {
	enum kaos_wait_kind kind;
	uint32_t spins;        /**< spins before yield/sleep/block; 0: 100 */
	uint64_t timeout_ns;   /**< give up after this long; 0: never */
	uint64_t max_sleep_ns; /**< KAOS_WAIT_BACKOFF cap; 0: 1 ms */
};

/**
 * Futex words a blocked waiter sleeps on, and how often they were used.
 * Zero is the initial state.
 *
 * waiters says who is registered to sleep: a count of anonymous waiters
 * (threads of one process, kaos_wait_until()) in its top 16 bits, and one
 * bit each, below, for waiters that name themselves: the attachments of an
 * IPC channel, one bit per producer or subscriber slot. A process killed
 * while asleep leaves its registration behind, which would make every
 * later notify a system call; a named one can be cleared by whoever proves
 * the process dead (kaos_ipc_check()).
 */
struct kaos_waitpoint {
	_Atomic uint32_t seq;     /**< bumped by every wake: the futex word */
	uint32_t reserved;
	_Atomic uint64_t waiters; /**< registered to sleep, see above */
	_Atomic uint64_t waits;   /**< kaos_wait_until() calls that had to wait */
	_Atomic uint64_t wakes;   /**< wake system calls made */
};

/** One anonymous waiter in kaos_waitpoint.waiters. */
#define KAOS_WAIT_ANONYMOUS ((uint64_t)1 << 48)
/** The named waiters' bits in kaos_waitpoint.waiters. */
#define KAOS_WAIT_NAMED_MASK (KAOS_WAIT_ANONYMOUS - 1)

/** Returns true when the awaited condition holds. */
typedef bool (*kaos_ready_fn)(void *ctx);

/**
 * Wait until ready(ctx) returns true, following @p how.
 * ready() must be cheap and free of side effects when it returns false.
 * @param wp waitpoint the other side notifies; required for KAOS_WAIT_BLOCK,
 *        ignored (may be NULL) otherwise
 * @return 0 once ready; -ETIMEDOUT after how->timeout_ns; -EINVAL for an
 *         unknown kind, or KAOS_WAIT_BLOCK without a waitpoint.
 * A call that is not ready at once counts one wait in @p wp (if given).
 * Any thread. Blocking.
 */
KAOS_API int kaos_wait_until(const struct kaos_wait *how, struct kaos_waitpoint *wp,
			     kaos_ready_fn ready, void *ctx);

/** @internal kaos_wait_until() for a named waiter: @p name is its bit in
 * KAOS_WAIT_NAMED_MASK (0: anonymous). */
KAOS_API int kaos__wait_until(const struct kaos_wait *how, struct kaos_waitpoint *wp,
			      uint64_t name, kaos_ready_fn ready, void *ctx);

/** @internal Wake every thread sleeping on @p wp (a system call). */
KAOS_API void kaos__waitpoint_wake(struct kaos_waitpoint *wp);

/**
 * Wake the threads blocked on @p wp, if any. Call after the state change a
 * waiter may be waiting for (a publish, a release) has been stored.
 * Costs a full fence and a load; a system call only when someone waits.
 */
KAOS_INLINE void
kaos_waitpoint_notify(struct kaos_waitpoint *wp)
{
	/* N1: pairs with W1 in kaos_wait_until(). Store-load ordering: either
	 * this load sees the waiter's registration, or the waiter's re-check
	 * (after W1) sees the state change stored before this fence. */
	atomic_thread_fence(memory_order_seq_cst);
	/* Relaxed: the fence above orders it. */
	if (KAOS_UNLIKELY(atomic_load_explicit(&wp->waiters, memory_order_relaxed)))
		kaos__waitpoint_wake(wp);
}

/** Nanoseconds on CLOCK_MONOTONIC. */
KAOS_API uint64_t kaos_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_WAIT_H */
