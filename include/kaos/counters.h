/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/counters.h
 * A process's counters file: labelled 64-bit counters in shared memory
 * that other processes (kaos-stat) read while the process runs, in the
 * spirit of Aeron's CnC file.
 *
 * The owner creates the file, registers counters (a label each) and
 * updates them with plain atomic stores or adds; readers map the file
 * read-only and never disturb the owner. Each value has a cache line of its
 * own. The owner holds a lock on the file while it lives, so a reader can
 * tell a dead owner's leftovers from live counters.
 *
 * Layout (little-endian): a 4096-byte header (magic "KAOSCNT\0", version,
 * capacity, count, owner pid, creation time), then capacity entries of 128
 * bytes: value (u64, offset 0), state (u32: 0 free, 1 live, 2 retired),
 * label (up to KAOS_COUNTER_LABEL_MAX bytes, NUL-terminated, offset 16).
 */
#ifndef KAOS_COUNTERS_H
#define KAOS_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <kaos/common.h>
#include <kaos/ring.h> /* struct kaos_ring_stats, which kaos-stat shows */

#ifdef __cplusplus
extern "C" {
#endif

#define KAOS_COUNTER_LABEL_MAX 111
#define KAOS_COUNTERS_MAX 65536

/** A counters file (opaque). */
struct kaos_counters;

/** One registered counter: a handle to its value in the file. */
struct kaos_counter {
	_Atomic uint64_t *value;
	uint32_t index;
};

/**
 * Create a counters file. @p name: "/name" for shm_open (NULL gives
 * "/kaos-counters-<pid>"), anything else a path. An existing file of a
 * dead owner is replaced; one whose owner lives gives -EBUSY.
 * @param capacity counters it can hold: 1..KAOS_COUNTERS_MAX
 * @param mode file mode; 0 gives 0600
 * @return 0; -EINVAL; -EBUSY; -errno.
 */
KAOS_API int kaos_counters_create(const char *name, uint32_t capacity, mode_t mode,
				  struct kaos_counters **out);

/** The file's name (as given or generated). */
KAOS_API const char *kaos_counters_name(const struct kaos_counters *cf);

/**
 * Register a counter with @p label (truncated to KAOS_COUNTER_LABEL_MAX
 * bytes), value 0. Thread-safe.
 * @return 0; -ENOSPC when the file is full; -EINVAL.
 */
KAOS_API int kaos_counters_add(struct kaos_counters *cf, const char *label,
			       struct kaos_counter *out);

/** Mark a counter retired (readers stop showing it as live). */
KAOS_API void kaos_counters_retire(struct kaos_counters *cf, struct kaos_counter *c);

/** Close; @p unlink removes the file (else it stays for post-mortem
 * reading, shown as dead). NULL is a no-op. */
KAOS_API void kaos_counters_close(struct kaos_counters *cf, bool unlink);

/** Add @p n. Relaxed: a statistic; readers see it soon, in no particular
 * order with other memory. Any thread. */
KAOS_INLINE void
kaos_counter_add(struct kaos_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(c->value, n, memory_order_relaxed);
}

/** Set (single writer: cheaper than add). Relaxed, as kaos_counter_add(). */
KAOS_INLINE void
kaos_counter_set(struct kaos_counter *c, uint64_t v)
{
	atomic_store_explicit(c->value, v, memory_order_relaxed);
}

/* ---- reading (another process) ------------------------------------------ */

/** Called by kaos_counters_read() for each live or retired counter. */
typedef void (*kaos_counter_fn)(uint32_t index, const char *label, uint64_t value,
				bool retired, void *ctx);

/** What kaos_counters_read() learned about the file. */
struct kaos_counters_info {
	int32_t pid;        /**< owner */
	bool alive;         /**< the owner holds its lock now */
	uint32_t capacity;
	uint32_t count;     /**< entries ever registered */
	uint64_t created_ns; /**< CLOCK_REALTIME */
};

/**
 * Read a counters file without disturbing its owner: @p fn for each
 * counter, in registration order. Reads a copy (pread), so a file
 * truncated or replaced meanwhile gives an error or stale values, never a
 * crash.
 * @return 0; -KAOS_EFOREIGN (not a counters file); -KAOS_EVERSION;
 *   -KAOS_ETRUNCATED; -KAOS_ECORRUPT; -errno.
 */
KAOS_API int kaos_counters_read(const char *name, struct kaos_counters_info *info,
				kaos_counter_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_COUNTERS_H */
