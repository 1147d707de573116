/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/mpsc.h
 * Multi-producer single-consumer ring of fixed-size slots.
 *
 * Any number of producer threads, one consumer thread. Producers claim a run of
 * slots with one CAS on the shared claim cursor, after checking it against
 * a shared cached copy of the consumer's head, and publish a run with one
 * stamp at its first slot holding its end; so a producer that is slow to
 * publish never blocks other producers, only the consumer's view past its
 * run. The consumer reads one stamp per run, takes contiguous published
 * runs and releases them with one store of its head.
 *
 * Why CAS rather than fetch-add for the claim: a fetch-add claim cannot
 * fail, so a producer that finds the ring full has already taken slots it
 * must then wait for, with no way to return -KAOS_EFULL or give up at a
 * timeout; CAS claims only slots it has seen free. Fetch-add is faster
 * under contention (`patterns/claim/cas` against `patterns/claim/faa` in
 * bench/bench_patterns.c; the figures are in docs/benchmarks.md); the
 * choice is for the semantics, not for speed.
 *
 * Functions (`struct kaos_mpsc`; all hot-path ones are inline, lock-free,
 * never allocate and make no system call unless blocking is enabled and a
 * thread is blocked):
 *
 *  - kaos_mpsc_memsize(capacity, slot_size, &size), kaos_mpsc_init(ring,
 *    mem, len, capacity, slot_size), kaos_mpsc_create(ring, capacity,
 *    slot_size, mem), kaos_mpsc_destroy(ring): as for the SPSC ring
 *    (capacity a power of two in [2, 2^32], slot size a non-zero multiple of
 *    8; -EINVAL, -EOVERFLOW, -ENOBUFS, -ENOMEM). Not thread-safe.
 *  - kaos_mpsc_set_blocking(ring, on): make publish/release notify threads
 *    blocked with KAOS_WAIT_BLOCK (a fence per call). Set before sharing.
 *  - kaos_mpsc_claim(ring, n, &batch): producer; claims up to n contiguous
 *    free slots (stops at the end of the slot array). Returns the count, 0 if
 *    full, -KAOS_ETOOBIG if n > capacity, -EINVAL if n == 0. The batch is
 *    always written (count 0 when nothing was claimed).
 *  - kaos_mpsc_publish(ring, &batch): producer; publishes the whole run; 0.
 *    Release: the slots' contents are visible to the consumer that takes them.
 *  - kaos_mpsc_peek(ring, n, &batch): consumer; takes up to n contiguous
 *    published slots for this consumer alone. Returns the count, 0 if empty,
 *    -KAOS_ETOOBIG, -EINVAL. Acquire: the contents are fully written.
 *  - kaos_mpsc_release(ring, &batch): consumer; frees the run once read; 0.
 *    The single consumer releases runs in the order it took them: -EINVAL
 *    (nothing released) for a run that is not next.
 *  - kaos_mpsc_push(ring, src) / kaos_mpsc_pop(ring, dst): one slot,
 *    copied; 0, -KAOS_EFULL or -KAOS_EEMPTY (-EINVAL on a single-threaded
 *    side that still holds a claimed or taken run).
 *  - kaos_mpsc_claim_wait / kaos_mpsc_peek_wait(ring, n, &batch, &how):
 *    as claim / peek, but wait per `how` (kaos/wait.h) until at least one
 *    slot is had; -ETIMEDOUT when the strategy's timeout expires.
 *
 * Progress: claim, publish, peek and release are lock-free (a CAS may be
 * retried when another thread of the same side won it). An event claimed
 * but not yet published holds back the consumers at its position, and a
 * slot taken but not yet released holds back the producers at its position
 * one lap later: publish and release promptly.
 *
 * KAOS_MPSC_DEFINE(name, type) defines `struct name` with name_create,
 * _destroy, _ring, _claim, _peek, _push and _pop for a compile-time slot
 * type.
 */
#ifndef KAOS_MPSC_H
#define KAOS_MPSC_H

#include <kaos/detail/stamped.h>

#ifdef __cplusplus
extern "C" {
#endif

KAOS__STAMPED_API(mpsc);

#define KAOS_MPSC_DEFINE(name, type) KAOS__STAMPED_TYPED(name, mpsc, type)

#ifdef __cplusplus
}
#endif

#endif /* KAOS_MPSC_H */
