/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark programs' kaos sides share: reporting a failed call,
 * spinning push/pop of one 8-byte value, and channel names that are removed
 * on every path (at the end, by the watchdog, at exit, on SIGINT/SIGTERM;
 * their registry is in bench_kaos.c).
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

/* Spin on one 8-byte push or pop until it is done: 0, or -1 when it
 * failed (printed). For the round trips' two calls in a row (KI_PING,
 * KI_ECHO) and bench_ipc's single values. */
KB_INLINE int
kaos_push_spin(struct kaos_spsc *r, uint64_t v)
{
	int rc;
	while ((rc = kaos_spsc_push(r, &v)) != 0) {
		if (rc != -KAOS_EFULL)
			return kaos_fail("kaos_spsc_push", rc);
		kb_relax();
	}
	return 0;
}

KB_INLINE int
kaos_pop_spin(struct kaos_spsc *r, uint64_t *v)
{
	int rc;
	while ((rc = kaos_spsc_pop(r, v)) != 0) {
		if (rc != -KAOS_EEMPTY)
			return kaos_fail("kaos_spsc_pop", rc);
		kb_relax();
	}
	return 0;
}

KB_INLINE int
kaos_u64_push_spin(struct kaos_u64ring *r, uint64_t v)
{
	int rc;
	while ((rc = kaos_u64ring_push(r, v)) != 0) {
		if (rc != -KAOS_EFULL)
			return kaos_fail("kaos_u64ring_push", rc);
		kb_relax();
	}
	return 0;
}

KB_INLINE int
kaos_u64_pop_spin(struct kaos_u64ring *r, uint64_t *v)
{
	int rc;
	while ((rc = kaos_u64ring_pop(r, v)) != 0) {
		if (rc != -KAOS_EEMPTY)
			return kaos_fail("kaos_u64ring_pop", rc);
		kb_relax();
	}
	return 0;
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
