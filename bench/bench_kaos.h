/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark programs' kaos sides share: reporting a failed call,
 * kaos calls as the loop templates want them, and channel names that are
 * removed on every path (at the end, by the watchdog, at exit, on
 * SIGINT/SIGTERM; their registry is in bench_kaos.c).
 */
#ifndef KB_BENCH_KAOS_H
#define KB_BENCH_KAOS_H

#include <stdio.h>

#include <kaos/kaos.h>

#include "harness.h"
#include "workload.h"

static inline int
kaos_fail(const char *call, int64_t rc)
{
	fprintf(stderr, "bench: %s: %s\n", call, kaos_strerror((int)rc));
	return -1;
}

/* A kaos call's result as the loop templates of mq_workload.h want it:
 * push and pop 1 done, 0 when the ring says @p again (full or empty), -1
 * failed (printed); claim and peek the count, or -1 failed. */
KB_INLINE int
kb_kaos_try(int rc, int again, const char *call)
{
	return rc == 0 ? 1 : rc == again ? 0 : kaos_fail(call, rc);
}

KB_INLINE int64_t
kb_kaos_n(int64_t n, const char *call)
{
	return n >= 0 ? n : kaos_fail(call, n);
}

/* One 8-byte push or pop on an SPSC ring (round trips). */
KB_INLINE int
kaos_try_push(struct kaos_spsc *r, const uint64_t *v)
{
	return kb_kaos_try(kaos_spsc_push(r, v), -KAOS_EFULL, "kaos_spsc_push");
}

KB_INLINE int
kaos_try_pop(struct kaos_spsc *r, uint64_t *v)
{
	return kb_kaos_try(kaos_spsc_pop(r, v), -KAOS_EEMPTY, "kaos_spsc_pop");
}

/* ---- channel names -------------------------------------------------------- */

/* One registry per program (bench_kaos.c), whatever translation unit takes
 * a name: bench_ipc's kaos sides are two (bench_ipc.c and
 * peers/ipc_kaos_nocounters.c). */
#define KB_MAX_NAMES 8
#define KB_NAME_LEN 64

/* A fresh name "/kaos-bench-<tag>-<pid>-<n>", registered for removal (and
 * removed now, in case a killed run left it); NULL if all are in use. */
const char *kb_name_take(const char *tag);

/* Remove a name from kb_name_take() and free its entry. NULL: nothing. */
void kb_name_drop(const char *name);

/* Call once in main(): the registered names are removed at exit, by the
 * harness's abort hook and on SIGINT/SIGTERM (in this process, not in the
 * children it forks). */
void kb_names_install(void);

#endif /* KB_BENCH_KAOS_H */
