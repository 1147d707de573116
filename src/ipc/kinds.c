/* SPDX-License-Identifier: MIT */
/* The channel kinds, and a channel's layout: made for a new channel, or
 * read from an existing one's header and validated. Adding a kind is one
 * row of the table below (and its ring kind's descriptor). */
#include <errno.h>

#include "layout.h"

_Static_assert(KAOS_IPC_MAX_PRODUCERS + KAOS_IPC_MAX_SUBSCRIBERS <= 48,
	       "every slot has its bit among a waitpoint's named waiters");
_Static_assert(((uint64_t)1 << (KAOS_IPC_MAX_PRODUCERS + KAOS_IPC_MAX_SUBSCRIBERS)) - 1 <=
		       KAOS_WAIT_NAMED_MASK,
	       "the named waiters' bits");

static const struct kaos__ipc_kind kinds[] = {
	[KAOS_IPC_SPSC] = { "spsc", "fixed-size slots, one producer, one subscriber",
			    &kaos__spsc_kind, false, 1, 1, 1, 1, 0 },
	[KAOS_IPC_MSG_SP] = { "msg-sp", "variable-length records, one producer",
			      &kaos__msgring_kind, false, 1, 1, 1, 1, 0 },
	[KAOS_IPC_MSG_MP] = { "msg-mp", "variable-length records, several producers",
			      &kaos__msgring_kind, true, KAOS_IPC_MAX_PRODUCERS, 4, 1, 1, 0 },
	[KAOS_IPC_BCAST] = { "bcast", "fixed-size slots, every subscriber sees all",
			     &kaos__bcast_kind, false, 1, 1, KAOS_IPC_MAX_SUBSCRIBERS, 8, 0 },
	[KAOS_IPC_U64] = { "u64", "64-bit values one at a time, one producer, one subscriber",
			   &kaos__u64ring_kind, false, 1, 1, 1, 1, 8 },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define ALL_FLAGS ((uint32_t)(KAOS_IPC_BLOCKING | KAOS_IPC_CRC))

const struct kaos__ipc_kind *
kaos__ipc_kind(uint32_t kind)
{
	return kind < NKINDS && kinds[kind].name ? &kinds[kind] : NULL;
}

const char *
kaos_ipc_kind_name(enum kaos_ipc_kind kind)
{
	const struct kaos__ipc_kind *k = kaos__ipc_kind((uint32_t)kind);
	return k ? k->name : "?";
}

const char *
kaos_ipc_kind_summary(enum kaos_ipc_kind kind)
{
	const struct kaos__ipc_kind *k = kaos__ipc_kind((uint32_t)kind);
	return k ? k->summary : "?";
}

const char *
kaos_ipc_kind_unit(enum kaos_ipc_kind kind)
{
	const struct kaos__ipc_kind *k = kaos__ipc_kind((uint32_t)kind);
	return k ? k->ring->unit : "?";
}

/* The ring geometry and the rest of a layout; checks every field. */
static int
complete(struct kaos__ipc_layout *l, uint64_t capacity, uint32_t slot_size)
{
	const struct kaos__ipc_kind *k = l->kind;
	if ((l->flags & ~ALL_FLAGS) || (k->slot_size && slot_size != k->slot_size) ||
	    l->max_producers < 1 || l->max_producers > k->max_producers ||
	    l->max_subscribers < 1 || l->max_subscribers > k->max_subscribers)
		return -EINVAL;
	l->geom = (struct kaos__ring_geom){
		.capacity = capacity,
		.slot_size = slot_size,
		.consumers = l->max_subscribers,
		.multi_producer = k->multi_producer,
		.crc = l->flags & KAOS_IPC_CRC,
	};
	size_t len;
	int rc = k->ring->memsize(&l->geom, &len);
	if (rc < 0)
		return rc;
	if (len > UINT64_MAX - KAOS_IPC_HEADER_LEN)
		return -EOVERFLOW;
	l->ring_len = len;
	l->file_len = KAOS_IPC_HEADER_LEN + (uint64_t)len;
	return 0;
}

int
kaos__ipc_layout_new(const struct kaos_ipc_config *cfg, struct kaos__ipc_layout *out)
{
	const struct kaos__ipc_kind *k = kaos__ipc_kind((uint32_t)cfg->kind);
	if (!k)
		return -EINVAL;
	*out = (struct kaos__ipc_layout){
		.kind = k,
		.kind_id = cfg->kind,
		.flags = cfg->flags,
		.max_producers = cfg->max_producers ? cfg->max_producers : k->default_producers,
		.max_subscribers = cfg->max_subscribers ? cfg->max_subscribers
							: k->default_subscribers,
	};
	uint32_t slot_size = k->slot_size && !cfg->slot_size ? k->slot_size : cfg->slot_size;
	return complete(out, cfg->capacity, slot_size);
}

int
kaos__ipc_layout_read(const struct kaos_ipc_header *h, uint64_t file_size,
		      struct kaos__ipc_layout *out)
{
	if (h->magic != KAOS_IPC_MAGIC)
		return -KAOS_EFOREIGN;
	if (h->version != KAOS_IPC_VERSION || h->cacheline != KAOS_CACHELINE)
		return -KAOS_EVERSION; /* another layout (or another build's lines) */
	const struct kaos__ipc_kind *k = kaos__ipc_kind(h->kind);
	if (!k || h->header_len != KAOS_IPC_HEADER_LEN || h->ring_offset != h->header_len)
		return -KAOS_ECORRUPT;
	*out = (struct kaos__ipc_layout){
		.kind = k,
		.kind_id = (enum kaos_ipc_kind)h->kind,
		.flags = h->flags,
		.max_producers = h->max_producers,
		.max_subscribers = h->max_subscribers,
	};
	if (complete(out, h->capacity, h->slot_size) < 0 || h->ring_len != out->ring_len ||
	    h->file_len != out->file_len)
		return -KAOS_ECORRUPT;
	return file_size < out->file_len ? -KAOS_ETRUNCATED : 0;
}
