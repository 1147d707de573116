/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/common.h
 * Compiler and layout macros shared by every kaos header. Users include
 * <kaos/kaos.h> or a module header; this one comes along.
 */
#ifndef KAOS_COMMON_H
#define KAOS_COMMON_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kaos/version.h>

/* Public out-of-line symbols; everything else is hidden. */
#if defined(KAOS_BUILDING) && defined(__GNUC__)
#define KAOS_API __attribute__((visibility("default")))
#else
#define KAOS_API
#endif

/*
 * Cache line used to separate data written by different threads. 128 on
 * aarch64 (Apple M-series and Neoverse prefetch pairs of 64-byte lines);
 * override with -DKAOS_CACHELINE=N at configure time.
 */
#ifndef KAOS_CACHELINE
#if defined(__aarch64__)
#define KAOS_CACHELINE 128
#else
#define KAOS_CACHELINE 64
#endif
#endif
#define KAOS_CACHE_ALIGNED alignas(KAOS_CACHELINE)

#define KAOS_INLINE static inline
#if defined(__GNUC__)
#define KAOS_ALWAYS_INLINE static inline __attribute__((always_inline))
#define KAOS_LIKELY(x) __builtin_expect(!!(x), 1)
#define KAOS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define KAOS_COLD __attribute__((cold, noinline))
#define KAOS_UNUSED __attribute__((unused))
#else
#define KAOS_UNUSED
#define KAOS_ALWAYS_INLINE static inline
#define KAOS_LIKELY(x) (x)
#define KAOS_UNLIKELY(x) (x)
#define KAOS_COLD
#endif

/* Shared positions are 64-bit atomics; they must be lock-free so they work
 * in memory mapped by several processes. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "kaos needs lock-free 64-bit atomics");

/**
 * @internal Copy one slot. Sizes known at compile time (typed rings) fold to
 * a plain copy; 8-byte slots, the common runtime size, get an inlined copy
 * too, instead of a call to memcpy per event. (Only 8: a wider case would
 * make gcc's -Warray-bounds flag callers that pass an 8-byte object.)
 */
KAOS_ALWAYS_INLINE void
kaos__copy_slot(void *dst, const void *src, size_t size)
{
	if (size == 8)
		memcpy(dst, src, 8);
	else
		memcpy(dst, src, size);
}

/** A hint to the CPU that the caller is spinning (PAUSE / YIELD). */
/* Ring counters (full events; kaos/counters.h): on unless built with
 * -DKAOS_COUNTERS=0. They are counted on slow paths only. */
#ifndef KAOS_COUNTERS
#define KAOS_COUNTERS 1
#endif

/* @internal Count one event in a shared statistics word. Relaxed: a
 * statistic, ordered with nothing. */
KAOS_ALWAYS_INLINE void
kaos__count(_Atomic uint64_t *counter)
{
#if KAOS_COUNTERS
	atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
#else
	(void)counter;
#endif
}

/* @internal As kaos__count(), for a word only one thread writes: a plain
 * load and store, no locked instruction. Relaxed, as kaos__count(). */
KAOS_ALWAYS_INLINE void
kaos__count_single(_Atomic uint64_t *counter)
{
#if KAOS_COUNTERS
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + 1,
			      memory_order_relaxed);
#else
	(void)counter;
#endif
}

KAOS_ALWAYS_INLINE void
kaos_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory"); /* a hint, not ordering */
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif /* KAOS_COMMON_H */
