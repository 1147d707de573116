/* SPDX-License-Identifier: MIT */
/*
 * A session's receive side: DATA frames are kept at their stream
 * position in a ring of window bytes (Aeron's term buffer, receiving),
 * in whatever order they arrive; from the cumulative position on they
 * are parsed again, fragments reassembled, and whole messages handed to
 * the application in order, each once. The window is the flow control:
 * a frame beyond what was delivered plus the window is refused (the
 * sender was told not to send it). Fragments that disagree (type,
 * length, order of BEGIN and END) mean a broken or hostile sender: the
 * session must end, and nothing of the damaged message is delivered.
 *
 * Memory: the window, one message of max_message bytes for reassembly,
 * the received-ranges record. One thread owns a struct kaos__rx.
 */
#ifndef KAOS_RUDP_RX_H
#define KAOS_RUDP_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ranges.h"

struct kaos__rx {
	unsigned char *buf; /* window bytes, frames at pos & (window - 1) */
	uint64_t window;    /* a power of two */
	uint64_t delivered; /* frames below were handed on (or taken in) */
	struct kaos__ranges got;
	/* the message being reassembled */
	unsigned char *msg;
	uint32_t max_message;
	uint32_t msg_type, msg_len, msg_have;
	bool in_msg;
};

/* A receive side for a stream starting at @p start (8-aligned), a
 * window of @p window bytes (a power of two, at least two full-size
 * frames: 4096..2^30) and messages of up to @p max_message bytes:
 * 0, -EINVAL, -ENOMEM. */
int kaos__rx_init(struct kaos__rx *rx, uint64_t start, uint64_t window, uint32_t max_message);
void kaos__rx_free(struct kaos__rx *rx);

/* The DATA frame @p f (from kaos__wire_next; its seq is its position) is
 * kept: 1 if any of it is new, 0 for a duplicate, -KAOS_EFULL if it lies
 * beyond the window (dropped), -ENOSPC if the ranges record is full
 * (dropped: the sender resends), -EINVAL if it is not a DATA frame or
 * its position is not 8-aligned. */
int kaos__rx_put(struct kaos__rx *rx, const struct kaos__wire_frame *f);

/* What the sender may send below: delivered + window. */
uint64_t kaos__rx_window_limit(const struct kaos__rx *rx);

typedef void (*kaos__rx_fn)(uint32_t type, const void *data, size_t len, void *ctx);

/* Hand up to @p limit whole messages, in order, from the frames received
 * contiguously: the count; -KAOS_ECORRUPT if the frames do not form
 * messages (the session must end; the messages before it were
 * delivered; every later call says the same). Each message is copied
 * into the reassembly buffer first; @p data is valid during the call. */
int64_t kaos__rx_deliver(struct kaos__rx *rx, kaos__rx_fn fn, void *ctx, uint64_t limit);

#endif /* KAOS_RUDP_RX_H */
