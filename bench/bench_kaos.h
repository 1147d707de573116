/* SPDX-License-Identifier: MIT */
/*
 * What the benchmark programs' kaos sides share: reporting a failed call,
 * spinning push/pop of one 8-byte value, and channel names that are removed
 * on every path (at the end, by the watchdog, at exit, on SIGINT/SIGTERM).
 */
#ifndef KB_BENCH_KAOS_H
#define KB_BENCH_KAOS_H

#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "harness.h"
#include "workload.h"

static inline int
kaos_fail(const char *call, int64_t rc)
{
	fprintf(stderr, "bench: %s: %s\n", call, kaos_strerror((int)rc));
	return -1;
}

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

/* ---- channel names -------------------------------------------------------- */

#define KB_MAX_NAMES 8
#define KB_NAME_LEN 64
static char kb_names[KB_MAX_NAMES][KB_NAME_LEN]; /* in use: non-empty */
static unsigned kb_name_seq;
static pid_t kb_names_pid; /* the process that owns them */

/* A fresh name "/kaos-bench-<tag>-<pid>-<n>", registered for removal (and
 * removed now, in case a killed run left it); NULL if all are in use. */
static inline const char *
kb_name_take(const char *tag)
{
	for (int i = 0; i < KB_MAX_NAMES; i++) {
		if (kb_names[i][0])
			continue;
		snprintf(kb_names[i], KB_NAME_LEN, "/kaos-bench-%s-%ld-%u", tag,
			 (long)getpid(), kb_name_seq++);
		kaos_ipc_unlink(kb_names[i]);
		return kb_names[i];
	}
	return NULL;
}

static inline void
kb_name_drop(const char *name)
{
	for (int i = 0; name && i < KB_MAX_NAMES; i++) {
		if (kb_names[i] == name) {
			kaos_ipc_unlink(name);
			kb_names[i][0] = 0;
		}
	}
}

/* The abort hook, atexit handler and signal handler: shm_unlink only. */
static inline void
kb_names_remove_all(void)
{
	if (getpid() != kb_names_pid)
		return; /* a child: the names are its parent's */
	for (int i = 0; i < KB_MAX_NAMES; i++)
		if (kb_names[i][0])
			shm_unlink(kb_names[i]);
}

static inline void
kb_names_on_signal(int sig)
{
	kb_names_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Call once in main(). */
static inline void
kb_names_install(void)
{
	kb_names_pid = getpid();
	kb_set_abort_hook(kb_names_remove_all);
	atexit(kb_names_remove_all);
	signal(SIGINT, kb_names_on_signal);
	signal(SIGTERM, kb_names_on_signal);
}

#endif /* KB_BENCH_KAOS_H */
