/* SPDX-License-Identifier: MIT */
/* Channels seen from outside, by tools that own none of them: inspection
 * and cleanup. Files are opened without blocking and read with pread,
 * never mapped: a file truncated, rewritten or replaced meanwhile (even by
 * a FIFO) gives an error or stale values, never a crash or a hang. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../platform/shmfile.h"
#include "layout.h"

/* A ring's words, read from the file at the ring's offset. */
static uint64_t
file_word(void *ctx, uint64_t off)
{
	uint64_t w = 0;
	kaos__file_read_at(*(const int *)ctx, &w, sizeof(w), KAOS_IPC_HEADER_LEN + off);
	return w;
}

static void
read_peers(int fd, const struct kaos_ipc_header *h, bool producers,
	   struct kaos_ipc_peer *out, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct kaos_ipc_peer_entry *e = producers ? &h->producers[i]
							       : &h->subscribers[i];
		/* Relaxed: a private copy; nothing to pair with. */
		uint32_t st = atomic_load_explicit(&e->state, memory_order_relaxed);
		out[i] = (struct kaos_ipc_peer){
			.index = i,
			.pid = (int32_t)atomic_load_explicit(&e->pid, memory_order_relaxed),
			.alive = st != KAOS_IPC_PEER_NEVER &&
				 kaos__range_locked(fd, kaos__ipc_slot_offset(producers, i), 1),
			.closed = st == KAOS_IPC_PEER_CLOSED,
			.heartbeat_ns = atomic_load_explicit(&e->heartbeat_ns,
							     memory_order_relaxed),
		};
	}
}

/* What a header (a private copy) and the ring's words (read from @p fd)
 * say about a channel of layout @p l. */
static void
describe(int fd, const struct kaos_ipc_header *h, const struct kaos__ipc_layout *l,
	 uint64_t size, struct kaos_ipc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = l->kind_id;
	info->version = h->version;
	info->flags = l->flags;
	info->slot_size = l->geom.slot_size;
	info->capacity = l->geom.capacity;
	info->file_size = size;
	info->nproducers = l->max_producers;
	info->nsubscribers = l->max_subscribers;
	info->evicted = atomic_load_explicit(&h->evicted, memory_order_relaxed);
	read_peers(fd, h, true, info->producers, l->max_producers);
	read_peers(fd, h, false, info->subscribers, l->max_subscribers);

	const struct kaos__ring_kind *rk = l->kind->ring;
	const struct kaos__ring_view v = { NULL, file_word, &fd };
	rk->stats(&v, &l->geom, &info->stats);
	info->unblocked = kaos__ring_load(&v, offsetof(struct kaos__ring_ctl, unblocked));
	info->tail = info->stats.published;
	info->head = info->stats.consumed;
	for (uint32_t i = 0; i < l->max_subscribers; i++)
		info->subscribers[i].position =
			rk->consumer_at ? rk->consumer_at(&v, &l->geom, i) : info->head;
}

int
kaos__ipc_short_file(int fd, uint64_t size)
{
	uint64_t magic = 0;
	if (size < sizeof(magic) || pread(fd, &magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    magic == KAOS_IPC_MAGIC)
		return -KAOS_ETRUNCATED;
	return -KAOS_EFOREIGN;
}

int
kaos_ipc_inspect(const char *name, struct kaos_ipc_info *info)
{
	if (!name || !*name || !info)
		return -EINVAL;
	int fd = kaos__file_open_existing(name, O_RDONLY);
	if (fd < 0)
		return fd;
	struct stat st;
	struct kaos_ipc_header *h = NULL;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	uint64_t size = rc ? 0 : (uint64_t)st.st_size;
	if (rc == 0 && size < KAOS_IPC_HEADER_LEN)
		rc = kaos__ipc_short_file(fd, size);
	if (rc == 0 && !(h = kaos__file_snapshot(fd, KAOS_IPC_HEADER_LEN, KAOS_IPC_HEADER_LEN)))
		rc = -errno;
	struct kaos__ipc_layout l;
	/* Relaxed loads of a private copy: nothing to pair with. */
	if (rc == 0 && atomic_load_explicit(&h->ready, memory_order_relaxed) != KAOS_IPC_READY)
		rc = h->magic == KAOS_IPC_MAGIC ? -EAGAIN : -KAOS_EFOREIGN;
	if (rc == 0 && (rc = kaos__ipc_layout_read(h, size, &l)) == 0)
		describe(fd, h, &l, size, info);
	if (h)
		munmap(h, KAOS_IPC_HEADER_LEN);
	close(fd);
	return rc;
}

int
kaos_ipc_cleanup(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	/* Every slot byte and the creation byte at once: if we get them,
	 * nobody is attached, creating or joining, and nobody can attach to
	 * this file while we remove its name. */
	int rc = kaos__file_remove_unowned(
		name, KAOS_IPC_MAGIC, kaos__ipc_slot_offset(false, KAOS_IPC_MAX_SUBSCRIBERS));
	return rc == -EBUSY ? 0 : rc;
}
