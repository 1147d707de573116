/* SPDX-License-Identifier: MIT */
/*
 * What the IPC layer's files share (not installed): the channel kinds,
 * each a ring kind of the ring layer with the peers it allows, and a
 * channel's layout as read from its header once, validated, and kept in
 * private memory. Nothing of a channel's geometry is read from the shared
 * header again: another process may rewrite it at any moment.
 */
#ifndef KAOS_SRC_IPC_LAYOUT_H
#define KAOS_SRC_IPC_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include <kaos/ipc.h>

#include "../ring/ring.h"
#include "format.h"

/* A channel kind: a ring kind, and how many producers and subscribers
 * may attach to it. */
struct kaos__ipc_kind {
	const char *name;
	const char *summary;
	const struct kaos__ring_kind *ring;
	bool multi_producer; /* claims by compare-and-swap */
	uint32_t max_producers, default_producers;
	uint32_t max_subscribers, default_subscribers;
	uint32_t slot_size; /* a fixed slot size (u64: 8); 0: the caller's */
};

/* The kind numbered @p kind (enum kaos_ipc_kind), or NULL. */
const struct kaos__ipc_kind *kaos__ipc_kind(uint32_t kind);

/* A channel's layout: the header's identity, validated. */
struct kaos__ipc_layout {
	const struct kaos__ipc_kind *kind;
	enum kaos_ipc_kind kind_id;
	uint32_t flags;
	struct kaos__ring_geom geom;
	uint32_t max_producers, max_subscribers;
	uint64_t ring_len;  /* bytes of ring memory, after the header */
	uint64_t file_len;  /* header + ring */
};

/* The layout a creator gives a new channel of @p cfg: 0 or -EINVAL. */
int kaos__ipc_layout_new(const struct kaos_ipc_config *cfg, struct kaos__ipc_layout *out);

/* Validate a ready header (a private copy) against itself and a file of
 * @p file_size bytes, and give its layout. 0; -KAOS_EFOREIGN,
 * -KAOS_EVERSION, -KAOS_ECORRUPT, -KAOS_ETRUNCATED. */
int kaos__ipc_layout_read(const struct kaos_ipc_header *h, uint64_t file_size,
			  struct kaos__ipc_layout *out);

/* What a non-empty file shorter than a header is: a channel cut short
 * (its magic is there, or too few bytes to tell), -KAOS_ETRUNCATED;
 * anything else, -KAOS_EFOREIGN (a creator sizes its file whole before it
 * writes a byte, so no channel is short while it is being made). */
int kaos__ipc_short_file(int fd, uint64_t size);

/* Byte offset of producer or subscriber slot @p i: its first byte is the
 * byte its owner keeps locked. */
static inline off_t
kaos__ipc_slot_offset(bool producer, uint32_t i)
{
	return producer ? (off_t)(offsetof(struct kaos_ipc_header, producers) +
				  (size_t)i * sizeof(struct kaos_ipc_peer_entry))
			: (off_t)(offsetof(struct kaos_ipc_header, subscribers) +
				  (size_t)i * sizeof(struct kaos_ipc_peer_entry));
}

/* The bit that names slot @p i's sleeping thread in the ring's
 * waitpoints: producers first, then subscribers. */
static inline uint64_t
kaos__ipc_wait_bit(bool producer, uint32_t i)
{
	return (uint64_t)1 << (producer ? i : KAOS_IPC_MAX_PRODUCERS + i);
}

#endif /* KAOS_SRC_IPC_LAYOUT_H */
