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

/** A hint to the CPU that the caller is spinning (PAUSE / YIELD). */
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
