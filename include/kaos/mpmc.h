/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/mpmc.h
 * Multi-producer multi-consumer ring.
 *
 * Any number of producer and consumer threads; each event is consumed
 * exactly once. Both sides claim runs by stamps plus one CAS; a consumer
 * never sees an unpublished slot (the original's phantom read at sequence 0,
 * W1) and a slot is freed only after it has been read (W2).
 *
 * Functions (`struct kaos_mpmc`; all hot-path ones are inline, lock-free,
 * never allocate and make no system call unless blocking is enabled and a
 * thread is blocked):
 *
 *  - kaos_mpmc_memsize(capacity, slot_size, &size), kaos_mpmc_init(ring,
 *    mem, len, capacity, slot_size), kaos_mpmc_create(ring, capacity,
 *    slot_size, mem), kaos_mpmc_destroy(ring): as for the SPSC ring
 *    (capacity a power of two in [2, 2^32], slot size a non-zero multiple of
 *    8; -EINVAL, -EOVERFLOW, -ENOBUFS, -ENOMEM). Not thread-safe.
 *  - kaos_mpmc_set_blocking(ring, on): make publish/release notify threads
 *    blocked with KAOS_WAIT_BLOCK (a fence per call). Set before sharing.
 *  - kaos_mpmc_claim(ring, n, &batch): producer; claims up to n contiguous
 *    free slots (stops at the end of the slot array). Returns the count, 0 if
 *    full, -KAOS_ETOOBIG if n > capacity, -EINVAL if n == 0. The batch is
 *    always written (count 0 when nothing was claimed).
 *  - kaos_mpmc_publish(ring, &batch): producer; publishes the whole run; 0.
 *    Release: the slots' contents are visible to the consumer that takes them.
 *  - kaos_mpmc_peek(ring, n, &batch): consumer; takes up to n contiguous
 *    published slots for this consumer alone. Returns the count, 0 if empty,
 *    -KAOS_ETOOBIG, -EINVAL. Acquire: the contents are fully written.
 *  - kaos_mpmc_release(ring, &batch): consumer; frees the run once read; 0.
 *  - kaos_mpmc_push(ring, src) / kaos_mpmc_pop(ring, dst): one slot,
 *    copied; 0, -KAOS_EFULL or -KAOS_EEMPTY (-EINVAL on a single-threaded
 *    side that still holds a claimed or taken run).
 *  - kaos_mpmc_claim_wait / kaos_mpmc_peek_wait(ring, n, &batch, &how):
 *    as claim / peek, but wait per `how` (kaos/wait.h) until at least one
 *    slot is had; -ETIMEDOUT when the strategy's timeout expires.
 *
 * Progress: claim, publish, peek and release are lock-free (a CAS may be
 * retried when another thread of the same side won it). An event claimed
 * but not yet published holds back the consumers at its position, and a
 * slot taken but not yet released holds back the producers at its position
 * one lap later: publish and release promptly.
 *
 * KAOS_MPMC_DEFINE(name, type) defines `struct name` with name_create,
 * _destroy, _ring, _claim, _peek, _push and _pop for a compile-time slot
 * type.
 */
#ifndef KAOS_MPMC_H
#define KAOS_MPMC_H

#include <kaos/detail/stamped.h>

#ifdef __cplusplus
extern "C" {
#endif

KAOS__STAMPED_API(mpmc);

#define KAOS_MPMC_DEFINE(name, type) KAOS__STAMPED_TYPED(name, mpmc, type)

#ifdef __cplusplus
}
#endif

#endif /* KAOS_MPMC_H */
