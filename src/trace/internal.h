/* SPDX-License-Identifier: MIT */
/* Shared by the trace back ends in src/trace/ (not installed). */
#ifndef KAOS_SRC_TRACE_INTERNAL_H
#define KAOS_SRC_TRACE_INTERNAL_H

#include <stdint.h>

#include <kaos/trace.h>

#include "hooks.h"

/* What the event table says about one event. */
struct kaos__trace_info {
	const char *name;
	int kind;          /* KAOS_TRACE_KIND_SPAN or KAOS_TRACE_KIND_INSTANT */
	int level;         /* KAOS_TRACE_LEVEL_* */
	const char *arg;   /* the instant's / the beginning's value */
	const char *end_arg; /* the end's value ("none" for instants) */
};

extern const struct kaos__trace_info kaos__trace_info[KAOS_TRACE_EV_COUNT];

/* A span that moved no bytes and had nothing happen inside it (an empty
 * poll, a send that found the channel full without waiting): the log and
 * Chrome back ends leave these out, or a polling loop would flood them. */
static inline int
kaos__trace_elidable(enum kaos_trace_event ev)
{
	return ev == KAOS_TRACE_EV_send || ev == KAOS_TRACE_EV_recv;
}

/* Thread id (gettid), cached per thread. */
int kaos__trace_tid(void);

/* The back end (log.c, chrome.c or tracy.c; one is built). */
void kaos__trace_backend_event(enum kaos_trace_event ev, enum kaos__trace_phase ph,
			       const void *obj, int64_t value, kaos__trace_fill_fn fill);
int kaos__trace_backend_flush(void);
void kaos__trace_backend_init_tracy(void);

#endif /* KAOS_SRC_TRACE_INTERNAL_H */
