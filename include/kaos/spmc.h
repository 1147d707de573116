/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/spmc.h
 * Single-producer multi-consumer ring (work distribution).
 *
 * One producer thread; each event goes to exactly one of any number of
 * consumer threads. The producer publishes a run with one store of its tail;
 * consumers take a run of published slots with one CAS on the shared take
 * cursor and release each slot by its stamp after reading, so the producer,
 * which checks the stamps before reusing slots, never overwrites an event
 * that a consumer has taken but not finished. There is no side table of
 * fixed size: every capacity works (the original broke beyond 64K slots,
 * W9).
 *
 * Functions (`struct kaos_spmc`; all hot-path ones are inline, lock-free,
 * never allocate and make no system call unless blocking is enabled and a
 * thread is blocked):
 *
 *  - kaos_spmc_memsize(capacity, slot_size, &size), kaos_spmc_init(ring,
 *    mem, len, capacity, slot_size), kaos_spmc_create(ring, capacity,
 *    slot_size, mem), kaos_spmc_destroy(ring): as for the SPSC ring
 *    (capacity a power of two in [2, 2^32], slot size a non-zero multiple of
 *    8; -EINVAL, -EOVERFLOW, -ENOBUFS, -ENOMEM). Not thread-safe.
 *  - kaos_spmc_set_blocking(ring, on): make publish/release notify threads
 *    blocked with KAOS_WAIT_BLOCK (a fence per call). Set before sharing.
 *  - kaos_spmc_claim(ring, n, &batch): producer; claims up to n contiguous
 *    free slots (stops at the end of the slot array). Returns the count, 0 if
 *    full, -KAOS_ETOOBIG if n > capacity, -EINVAL if n == 0. The batch is
 *    always written (count 0 when nothing was claimed).
 *  - kaos_spmc_publish(ring, &batch): producer; publishes the whole run; 0.
 *    Release: the slots' contents are visible to the consumer that takes them.
 *    The single producer publishes runs in the order it claimed them:
 *    -EINVAL (nothing published) for a run that is not next.
 *  - kaos_spmc_peek(ring, n, &batch): consumer; takes up to n contiguous
 *    published slots for this consumer alone. Returns the count, 0 if empty,
 *    -KAOS_ETOOBIG, -EINVAL. Acquire: the contents are fully written.
 *  - kaos_spmc_release(ring, &batch): consumer; frees the run once read; 0.
 *  - kaos_spmc_push(ring, src) / kaos_spmc_pop(ring, dst): one slot,
 *    copied; 0, -KAOS_EFULL or -KAOS_EEMPTY (-EINVAL on a single-threaded
 *    side that still holds a claimed or taken run).
 *  - kaos_spmc_claim_wait / kaos_spmc_peek_wait(ring, n, &batch, &how):
 *    as claim / peek, but wait per `how` (kaos/wait.h) until at least one
 *    slot is had; -ETIMEDOUT when the strategy's timeout expires.
 *
 * Progress: claim, publish, peek and release are lock-free (a CAS may be
 * retried when another thread of the same side won it). An event claimed
 * but not yet published holds back the consumers at its position, and a
 * slot taken but not yet released holds back the producers at its position
 * one lap later: publish and release promptly.
 *
 * KAOS_SPMC_DEFINE(name, type) defines `struct name` with name_create,
 * _destroy, _ring, _claim, _peek, _push and _pop for a compile-time slot
 * type.
 */
#ifndef KAOS_SPMC_H
#define KAOS_SPMC_H

#include <kaos/detail/stamped.h>

#ifdef __cplusplus
extern "C" {
#endif

KAOS__STAMPED_API(spmc);

#define KAOS_SPMC_DEFINE(name, type) KAOS__STAMPED_TYPED(name, spmc, type)

#ifdef __cplusplus
}
#endif

#endif /* KAOS_SPMC_H */
