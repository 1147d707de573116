/* SPDX-License-Identifier: MIT */
/*
 * The channel-name registry of bench_kaos.h: one per program, so that the
 * names every kaos translation unit takes are removed on every path.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "bench_kaos.h"
#include "harness.h"

static char kb_names[KB_MAX_NAMES][KB_NAME_LEN]; /* in use: non-empty */
static unsigned kb_name_seq;
static pid_t kb_names_pid; /* the process that owns them */

const char *
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

void
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
static void
kb_names_remove_all(void)
{
	if (getpid() != kb_names_pid)
		return; /* a child: the names are its parent's */
	for (int i = 0; i < KB_MAX_NAMES; i++)
		if (kb_names[i][0])
			shm_unlink(kb_names[i]);
}

static void
kb_names_on_signal(int sig)
{
	kb_names_remove_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
kb_names_install(void)
{
	kb_names_pid = getpid();
	kb_set_abort_hook(kb_names_remove_all);
	atexit(kb_names_remove_all);
	signal(SIGINT, kb_names_on_signal);
	signal(SIGTERM, kb_names_on_signal);
}
