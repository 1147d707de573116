/* SPDX-License-Identifier: MIT */
/* Shared-memory channels: create/open/validate, attach with locks,
 * liveness, waiting, inspection and cleanup. Layout: format.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kaos/ipc.h>
#include <kaos/trace.h>

#include "../platform/shmfile.h"
#include "format.h"

#define DEFAULT_LIVENESS_NS UINT64_C(100000000)   /* 100 ms */
#define DEFAULT_UNBLOCK_NS UINT64_C(5000000000)   /* 5 s */
#define DEFAULT_OPEN_TIMEOUT_NS UINT64_C(1000000000) /* 1 s */
#define DEFAULT_MAX_PRODUCERS 4u
#define DEFAULT_MAX_SUBSCRIBERS 8u
/* Calls between clock reads on the convenience paths. */
#define CHECK_EVERY 64u

struct kaos_ipc {
	union {
		struct kaos_spsc spsc;
		struct kaos_u64ring u64;
		struct {
			struct kaos_msgring ring;
			struct kaos_msgring_producer prod;
		} msg;
		struct {
			struct kaos_bcast ring;
			struct kaos_bcast_consumer cons;
		} bcast;
	} u;
	int fd;
	bool publisher;
	uint32_t index; /* our producer or subscriber slot */
	uint32_t owner; /* our multi-producer claims' owner id */
	struct kaos_ipc_header *hdr;
	size_t map_len;
	enum kaos_ipc_kind kind;
	uint64_t liveness_ns, unblock_ns;
	uint64_t last_check_ns;
	uint32_t calls;
};

/* ---- names and files ------------------------------------------------------ */

int
kaos_ipc_unlink(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	return kaos__file_unlink(name);
}

/* ---- locks: one byte per slot, open-file-description locks ----------------- */

static off_t
slot_offset(bool producer, uint32_t i)
{
	return producer ? (off_t)(offsetof(struct kaos_ipc_header, producers) +
				  (size_t)i * sizeof(struct kaos_ipc_peer_entry))
			: (off_t)(offsetof(struct kaos_ipc_header, subscribers) +
				  (size_t)i * sizeof(struct kaos_ipc_peer_entry));
}

/* ---- header validation ------------------------------------------------------ */

static int
ring_len_for(uint32_t kind, uint64_t capacity, uint32_t slot_size, uint32_t max_subs,
	     size_t *len)
{
	switch (kind) {
	case KAOS_IPC_SPSC:
		return kaos_spsc_memsize(capacity, slot_size, len);
	case KAOS_IPC_U64:
		return slot_size != 8 ? -EINVAL : kaos_u64ring_memsize(capacity, len);
	case KAOS_IPC_MSG_SP:
	case KAOS_IPC_MSG_MP:
		return slot_size ? -EINVAL : kaos_msgring_memsize(capacity, len);
	case KAOS_IPC_BCAST:
		return kaos_bcast_memsize(capacity, slot_size, max_subs, len);
	default:
		return -EINVAL;
	}
}

static uint32_t
kind_max_producers(uint32_t kind, uint32_t asked)
{
	return kind == KAOS_IPC_MSG_MP ? (asked ? asked : DEFAULT_MAX_PRODUCERS) : 1;
}

static uint32_t
kind_max_subscribers(uint32_t kind, uint32_t asked)
{
	return kind == KAOS_IPC_BCAST ? (asked ? asked : DEFAULT_MAX_SUBSCRIBERS) : 1;
}

/* Check a ready header against itself and the file size. */
static int
validate(const struct kaos_ipc_header *h, uint64_t file_size)
{
	if (h->magic != KAOS_IPC_MAGIC)
		return -KAOS_EFOREIGN;
	if (h->version != KAOS_IPC_VERSION || h->cacheline != KAOS_CACHELINE)
		return -KAOS_EVERSION; /* another layout (or another build's lines) */
	if (h->header_len != KAOS_IPC_HEADER_LEN || h->ring_offset != h->header_len)
		return -KAOS_ECORRUPT;
	if (h->kind < KAOS_IPC_SPSC || h->kind > KAOS_IPC_U64 ||
	    (h->flags & ~(uint32_t)(KAOS_IPC_BLOCKING | KAOS_IPC_CRC)))
		return -KAOS_ECORRUPT;
	uint32_t maxp = h->kind == KAOS_IPC_MSG_MP ? KAOS_IPC_MAX_PRODUCERS : 1;
	uint32_t maxs = h->kind == KAOS_IPC_BCAST ? KAOS_IPC_MAX_SUBSCRIBERS : 1;
	if (h->max_producers < 1 || h->max_producers > maxp || h->max_subscribers < 1 ||
	    h->max_subscribers > maxs)
		return -KAOS_ECORRUPT;
	size_t len;
	if (ring_len_for(h->kind, h->capacity, h->slot_size, h->max_subscribers, &len) < 0 ||
	    h->ring_len != len || h->file_len != h->ring_offset + h->ring_len)
		return -KAOS_ECORRUPT;
	if (file_size < h->file_len)
		return -KAOS_ETRUNCATED;
	return 0;
}

static int
check_expectations(const struct kaos_ipc_header *h, const struct kaos_ipc_config *cfg)
{
	if (h->kind != (uint32_t)cfg->kind)
		return -KAOS_EKIND;
	if (cfg->capacity && h->capacity != cfg->capacity)
		return -KAOS_ECAPACITY;
	if (cfg->slot_size && h->slot_size != cfg->slot_size)
		return -KAOS_ESLOTSIZE;
	return 0;
}

static int
check_config(const struct kaos_ipc_config *cfg)
{
	if (!cfg || !cfg->name || !*cfg->name || cfg->kind < KAOS_IPC_SPSC ||
	    cfg->kind > KAOS_IPC_U64 ||
	    (cfg->flags & ~(uint32_t)(KAOS_IPC_BLOCKING | KAOS_IPC_CRC)) ||
	    cfg->max_producers > KAOS_IPC_MAX_PRODUCERS ||
	    cfg->max_subscribers > KAOS_IPC_MAX_SUBSCRIBERS ||
	    ((cfg->flags & KAOS_IPC_CRC) && cfg->kind != KAOS_IPC_MSG_SP &&
	     cfg->kind != KAOS_IPC_MSG_MP))
		return -EINVAL;
	return 0;
}

/* ---- create or open -------------------------------------------------------- */

static uint64_t
realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_briefly(void)
{
	struct timespec ts = { 0, 1000000 }; /* 1 ms */
	nanosleep(&ts, NULL);
}

/* Lay the channel out in a file we just created (and hold locked). */
static int
initialise(int fd, const struct kaos_ipc_config *cfg, struct kaos_ipc_header **out,
	   size_t *map_len)
{
	uint32_t maxp = kind_max_producers(cfg->kind, cfg->max_producers);
	uint32_t maxs = kind_max_subscribers(cfg->kind, cfg->max_subscribers);
	uint32_t slot_size = cfg->kind == KAOS_IPC_U64 && !cfg->slot_size ? 8 : cfg->slot_size;
	size_t ring_len;
	int rc = ring_len_for(cfg->kind, cfg->capacity, slot_size, maxs, &ring_len);
	if (rc < 0)
		return rc;
	if (ring_len > SIZE_MAX - KAOS_IPC_HEADER_LEN)
		return -EOVERFLOW;
	size_t file_len = KAOS_IPC_HEADER_LEN + ring_len;
	if (fchmod(fd, cfg->mode ? cfg->mode : 0600) < 0 || ftruncate(fd, (off_t)file_len) < 0)
		return -errno;
	struct kaos_ipc_header *h = kaos__map_file(fd, file_len, PROT_READ | PROT_WRITE);
	if (!h)
		return -errno;
	/* The file is fresh (zero-filled); fill the identity. */
	h->magic = KAOS_IPC_MAGIC;
	h->version = KAOS_IPC_VERSION;
	h->header_len = KAOS_IPC_HEADER_LEN;
	h->kind = (uint32_t)cfg->kind;
	h->flags = cfg->flags;
	h->capacity = cfg->capacity;
	h->slot_size = slot_size;
	h->max_producers = maxp;
	h->max_subscribers = maxs;
	h->cacheline = KAOS_CACHELINE;
	h->ring_offset = KAOS_IPC_HEADER_LEN;
	h->ring_len = ring_len;
	h->file_len = file_len;
	h->created_ns = realtime_ns();
	h->creator_pid = (uint32_t)getpid();
	void *mem = (unsigned char *)h + KAOS_IPC_HEADER_LEN;
	switch (cfg->kind) {
	case KAOS_IPC_SPSC: {
		struct kaos_spsc tmp;
		rc = kaos_spsc_init(&tmp, mem, ring_len, cfg->capacity, cfg->slot_size);
		break;
	}
	case KAOS_IPC_U64: {
		struct kaos_u64ring tmp;
		rc = kaos_u64ring_init(&tmp, mem, ring_len, cfg->capacity);
		break;
	}
	case KAOS_IPC_MSG_SP:
	case KAOS_IPC_MSG_MP: {
		struct kaos_msgring tmp;
		uint32_t f = (cfg->kind == KAOS_IPC_MSG_MP ? KAOS_MSGRING_MP : 0) |
			     ((cfg->flags & KAOS_IPC_CRC) ? KAOS_MSGRING_CRC : 0);
		rc = kaos_msgring_init(&tmp, mem, ring_len, cfg->capacity, f);
		break;
	}
	default: {
		struct kaos_bcast tmp;
		rc = kaos_bcast_init(&tmp, mem, ring_len, cfg->capacity, cfg->slot_size, maxs);
		break;
	}
	}
	if (rc < 0) {
		munmap(h, file_len);
		return rc;
	}
	/* Release: pairs with the acquire in open_existing(); whoever sees
	 * READY sees the header and the ring laid out. */
	atomic_store_explicit(&h->ready, KAOS_IPC_READY, memory_order_release);
	*out = h;
	*map_len = file_len;
	return 0;
}

/* Validate an existing channel's header; 1 if it is still being created. */
static int
inspect_existing(int fd, const struct kaos_ipc_config *cfg, uint64_t size,
		 uint64_t *file_len)
{
	if (size == 0)
		return 1; /* its creator has not sized it yet */
	if (size < KAOS_IPC_HEADER_LEN) {
		uint64_t magic = 0;
		if (size >= sizeof(magic) &&
		    pread(fd, &magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
		    magic != KAOS_IPC_MAGIC)
			return -KAOS_EFOREIGN;
		return -KAOS_ETRUNCATED;
	}
	/* A copy, not a mapping: the file may shrink under us (SIGBUS). */
	struct kaos_ipc_header *h =
		kaos__file_snapshot(fd, KAOS_IPC_HEADER_LEN, KAOS_IPC_HEADER_LEN);
	if (!h)
		return -errno;
	/* Acquire: pairs with the release in initialise(). */
	uint32_t ready = atomic_load_explicit(&h->ready, memory_order_acquire);
	int rc;
	if (h->magic != KAOS_IPC_MAGIC && (h->magic || ready))
		rc = -KAOS_EFOREIGN;
	else if (ready == 0)
		rc = -EAGAIN; /* sized, yet its creator let go of the creation
			       * lock: it died laying it out; cleanup removes it */
	else if (ready != KAOS_IPC_READY)
		rc = -KAOS_ECORRUPT;
	else if (!(rc = validate(h, size)))
		rc = check_expectations(h, cfg);
	*file_len = h->file_len;
	munmap(h, KAOS_IPC_HEADER_LEN);
	return rc;
}

/* Open a channel someone else created, waiting for it to be ready. On
 * success we hold a read lock on byte 0 (see create_or_open()). -ENOENT:
 * the name was removed under us. */
static int
open_existing(int fd, const struct kaos_ipc_config *cfg, uint64_t timeout_ns,
	      struct kaos_ipc_header **out, size_t *map_len)
{
	uint64_t start = kaos_now_ns();
	for (;;) {
		int rc = kaos__lock_range(fd, 0, 1, F_RDLCK);
		if (rc == 0) {
			struct stat st;
			uint64_t file_len = 0;
			if (fstat(fd, &st) < 0)
				rc = -errno;
			else if (st.st_nlink == 0)
				rc = -ENOENT; /* cleaned up before we locked */
			else
				rc = inspect_existing(fd, cfg, (uint64_t)st.st_size, &file_len);
			if (rc == 0) {
				*out = kaos__map_file(fd, file_len, PROT_READ | PROT_WRITE);
				if (*out) {
					*map_len = file_len;
					return 0;
				}
				rc = -errno;
			}
			kaos__lock_range(fd, 0, 1, F_UNLCK);
			if (rc < 0)
				return rc;
		} else if (rc != -EBUSY) {
			return rc;
		}
		if (kaos_now_ns() - start >= timeout_ns)
			return -EAGAIN;
		sleep_briefly();
	}
}

/*
 * Create the channel, or open it if it exists. Byte 0 of the file is the
 * creation lock: the creator holds it for writing while it lays the file
 * out, an opener holds it for reading until it has taken its slot, and
 * cleanup needs it (with every slot byte) for writing. So an opener never
 * sees a half-made file, and cleanup never removes a channel somebody is
 * joining. The caller drops it after taking a slot.
 */
static int
create_or_open(const struct kaos_ipc_config *cfg, int *fd_out,
	       struct kaos_ipc_header **h, size_t *map_len)
{
	uint64_t timeout = cfg->open_timeout_ns ? cfg->open_timeout_ns : DEFAULT_OPEN_TIMEOUT_NS;
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd = kaos__file_open(cfg->name, O_RDWR | O_CREAT | O_EXCL,
				   cfg->mode ? cfg->mode : 0600);
		if (fd >= 0) {
			/* Wait (briefly) for an opener that locked the empty
			 * file before us to let go. */
			struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
					    .l_start = 0, .l_len = 1 };
			int rc = fcntl(fd, F_OFD_SETLKW, &fl) < 0 ? -errno : 0;
			struct stat st;
			if (!rc && fstat(fd, &st) == 0 && st.st_nlink == 0) {
				close(fd); /* a cleanup removed it before we locked */
				continue;
			}
			if (!rc)
				rc = initialise(fd, cfg, h, map_len);
			if (rc < 0) {
				kaos_ipc_unlink(cfg->name);
				close(fd);
				return rc;
			}
			*fd_out = fd;
			return 0;
		}
		if (fd != -EEXIST)
			return fd;
		fd = kaos__file_open(cfg->name, O_RDWR, 0);
		if (fd == -ENOENT)
			continue; /* removed between the two opens: create it */
		if (fd < 0)
			return fd;
		int rc = open_existing(fd, cfg, timeout, h, map_len);
		if (rc == 0) {
			*fd_out = fd;
			return 0;
		}
		close(fd);
		if (rc != -ENOENT)
			return rc;
	}
	return -EAGAIN;
}

/* ---- attach ----------------------------------------------------------------- */

static struct kaos_ipc_peer_entry *
peer_table(struct kaos_ipc_header *h, bool producer)
{
	return producer ? h->producers : h->subscribers;
}

static void
heartbeat(struct kaos_ipc *ch, uint64_t now)
{
	/* Relaxed: informational, read by tools. */
	atomic_store_explicit(&peer_table(ch->hdr, ch->publisher)[ch->index].heartbeat_ns,
			      now, memory_order_relaxed);
	ch->last_check_ns = now;
}

static bool
peer_alive(const struct kaos_ipc *ch, bool producer, uint32_t i)
{
	return kaos__range_locked(ch->fd, slot_offset(producer, i), 1);
}

/* A multi-producer claim's owner id: the producer slot in the low 4 bits,
 * the slot's attach count above, so a claim left by a dead producer is not
 * taken for one of the live producer that reuses its slot. */
#define OWNER_SLOT_BITS 4
_Static_assert(KAOS_IPC_MAX_PRODUCERS <= 1u << OWNER_SLOT_BITS, "slot fits the owner id");

static uint32_t
owner_id(uint32_t slot, uint64_t attaches)
{
	return (uint32_t)(attaches << OWNER_SLOT_BITS) | slot;
}

/* Alive function of a multi-producer subscriber's msgring. */
static bool
claimer_alive(uint32_t owner, void *ctx)
{
	struct kaos_ipc *ch = ctx;
	if (owner == KAOS_MSGRING_ANY_OWNER) {
		for (uint32_t i = 0; i < ch->hdr->max_producers; i++)
			if (peer_alive(ch, true, i))
				return true;
		return false;
	}
	uint32_t slot = owner & ((1u << OWNER_SLOT_BITS) - 1);
	if (slot >= ch->hdr->max_producers)
		return false;
	/* Relaxed: the attach count only needs to differ once the slot has
	 * changed hands; the lock says whether anyone holds it now. */
	uint64_t attaches = atomic_load_explicit(&ch->hdr->producers[slot].attaches,
						 memory_order_relaxed);
	return owner_id(slot, attaches) == owner && peer_alive(ch, true, slot);
}

static int
take_slot(struct kaos_ipc *ch, bool producer)
{
	struct kaos_ipc_header *h = ch->hdr;
	uint32_t n = producer ? h->max_producers : h->max_subscribers;
	for (uint32_t i = 0; i < n; i++) {
		int rc = kaos__lock_range(ch->fd, slot_offset(producer, i), 1, F_WRLCK);
		if (rc == -EBUSY)
			continue;
		if (rc < 0)
			return rc;
		struct kaos_ipc_peer_entry *e = &peer_table(h, producer)[i];
		/* Relaxed/release: informational fields for peers and tools;
		 * the lock is the authority. state last, with release. */
		atomic_store_explicit(&e->pid, (uint32_t)getpid(), memory_order_relaxed);
		atomic_store_explicit(&e->attached_ns, realtime_ns(), memory_order_relaxed);
		ch->owner = owner_id(i, atomic_fetch_add_explicit(&e->attaches, 1,
								 memory_order_relaxed) + 1);
		atomic_fetch_add_explicit(producer ? &h->producer_attaches
						   : &h->subscriber_attaches,
					  1, memory_order_relaxed);
		atomic_store_explicit(&e->state, KAOS_IPC_PEER_ACTIVE, memory_order_release);
		ch->index = i;
		return 0;
	}
	return -EBUSY;
}

static int
attach_ring(struct kaos_ipc *ch)
{
	struct kaos_ipc_header *h = ch->hdr;
	void *mem = (unsigned char *)h + h->ring_offset;
	bool blocking = h->flags & KAOS_IPC_BLOCKING;
	int rc;
	switch (ch->kind) {
	case KAOS_IPC_SPSC:
		rc = kaos_spsc_attach(&ch->u.spsc, mem, h->ring_len, h->capacity, h->slot_size);
		if (!rc)
			kaos_spsc_set_blocking(&ch->u.spsc, blocking);
		return rc;
	case KAOS_IPC_U64:
		rc = kaos_u64ring_attach(&ch->u.u64, mem, h->ring_len, h->capacity);
		if (!rc)
			kaos_u64ring_set_blocking(&ch->u.u64, blocking);
		return rc;
	case KAOS_IPC_MSG_SP:
	case KAOS_IPC_MSG_MP: {
		uint32_t f = (ch->kind == KAOS_IPC_MSG_MP ? KAOS_MSGRING_MP : 0) |
			     ((h->flags & KAOS_IPC_CRC) ? KAOS_MSGRING_CRC : 0);
		rc = kaos_msgring_attach(&ch->u.msg.ring, mem, h->ring_len, h->capacity, f);
		if (rc < 0)
			return rc;
		kaos_msgring_set_blocking(&ch->u.msg.ring, blocking);
		if (ch->publisher)
			return kaos_msgring_producer_init(&ch->u.msg.prod, &ch->u.msg.ring,
							  ch->owner);
		kaos_msgring_set_alive_fn(&ch->u.msg.ring, claimer_alive, ch);
		return kaos_msgring_recover(&ch->u.msg.ring);
	}
	default:
		rc = kaos_bcast_attach(&ch->u.bcast.ring, mem, h->ring_len, h->capacity,
				       h->slot_size, h->max_subscribers);
		if (rc < 0)
			return rc;
		kaos_bcast_set_blocking(&ch->u.bcast.ring, blocking);
		return ch->publisher ? 0
				     : kaos__bcast_join_at(&ch->u.bcast.ring, &ch->u.bcast.cons,
							   ch->index);
	}
}

static int
attach(const struct kaos_ipc_config *cfg, bool publisher, struct kaos_ipc **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	int rc = check_config(cfg);
	if (rc < 0)
		return rc;
	struct kaos_ipc *ch = aligned_alloc(KAOS_CACHELINE,
					    (sizeof(*ch) + KAOS_CACHELINE - 1) /
						    KAOS_CACHELINE * KAOS_CACHELINE);
	if (!ch)
		return -ENOMEM;
	memset(ch, 0, sizeof(*ch));
	ch->publisher = publisher;
	ch->liveness_ns = cfg->liveness_ns ? cfg->liveness_ns : DEFAULT_LIVENESS_NS;
	ch->unblock_ns = cfg->unblock_ns ? cfg->unblock_ns : DEFAULT_UNBLOCK_NS;
	rc = create_or_open(cfg, &ch->fd, &ch->hdr, &ch->map_len);
	if (rc < 0) {
		free(ch);
		return rc;
	}
	ch->kind = (enum kaos_ipc_kind)ch->hdr->kind;
	rc = take_slot(ch, publisher);
	kaos__lock_range(ch->fd, 0, 1, F_UNLCK); /* the creation lock: see create_or_open() */
	if (rc < 0 || (rc = attach_ring(ch)) < 0) {
		munmap(ch->hdr, ch->map_len);
		close(ch->fd); /* drops our lock, if we took one */
		free(ch);
		return rc;
	}
	heartbeat(ch, kaos_now_ns());
	*out = ch;
	return 0;
}

int
kaos_ipc_publish(const struct kaos_ipc_config *cfg, struct kaos_ipc **out)
{
	KAOS_TRACE_BEGIN(connect, cfg, 1);
	int rc = attach(cfg, true, out);
	KAOS_TRACE_END(connect, rc == 0 ? *out : NULL, rc);
	return rc;
}

int
kaos_ipc_subscribe(const struct kaos_ipc_config *cfg, struct kaos_ipc **out)
{
	KAOS_TRACE_BEGIN(connect, cfg, 0);
	int rc = attach(cfg, false, out);
	KAOS_TRACE_END(connect, rc == 0 ? *out : NULL, rc);
	return rc;
}

void
kaos_ipc_close(struct kaos_ipc *ch)
{
	if (!ch)
		return;
	KAOS_TRACE_INSTANT(disconnect, ch, ch->publisher);
	if (ch->kind == KAOS_IPC_BCAST && !ch->publisher)
		kaos_bcast_leave(&ch->u.bcast.cons);
	if (kaos_ipc_msg_producer(ch) && ch->u.msg.prod.claimed)
		kaos_msgring_abort(&ch->u.msg.prod); /* hand an open claim back */
	/* Release: our last sends (or reads) come before "closed". */
	atomic_store_explicit(&peer_table(ch->hdr, ch->publisher)[ch->index].state,
			      KAOS_IPC_PEER_CLOSED, memory_order_release);
	munmap(ch->hdr, ch->map_len);
	close(ch->fd); /* releases our slot's lock */
	free(ch);
}

/* ---- liveness ---------------------------------------------------------------- */

/* Of the peers on the other side: 0 if one is alive or none ever came;
 * -KAOS_EPEERDEAD if one died (and none lives); -EPIPE if they closed. */
static int
other_side(const struct kaos_ipc *ch)
{
	bool producers = !ch->publisher;
	uint32_t n = producers ? ch->hdr->max_producers : ch->hdr->max_subscribers;
	bool died = false, closed = false;
	for (uint32_t i = 0; i < n; i++) {
		/* Acquire: pairs with the release of state in take_slot() and
		 * close(); a closed peer's messages are all visible. */
		uint32_t st = atomic_load_explicit(&peer_table(ch->hdr, producers)[i].state,
						   memory_order_acquire);
		if (st == KAOS_IPC_PEER_NEVER)
			continue;
		if (peer_alive(ch, producers, i))
			return 0;
		if (st == KAOS_IPC_PEER_CLOSED)
			closed = true;
		else
			died = true;
	}
	return died ? -KAOS_EPEERDEAD : closed ? -EPIPE : 0;
}

/* Free the positions of broadcast subscribers that are gone. */
static void
evict_dead_subscribers(struct kaos_ipc *ch)
{
	for (uint32_t i = 0; i < ch->hdr->max_subscribers; i++) {
		if (kaos__bcast_entry(&ch->u.bcast.ring, i) == KAOS_BCAST_FREE)
			continue;
		/* Taking its lock proves it is gone and keeps a newcomer out
		 * of the slot while we free it. */
		off_t off = slot_offset(false, i);
		if (kaos__lock_range(ch->fd, off, 1, F_WRLCK) < 0)
			continue;
		if (kaos__bcast_entry(&ch->u.bcast.ring, i) != KAOS_BCAST_FREE) {
			kaos__bcast_evict(&ch->u.bcast.ring, i);
			atomic_fetch_add_explicit(&ch->hdr->evicted, 1, memory_order_relaxed);
		}
		kaos__lock_range(ch->fd, off, 1, F_UNLCK);
	}
}

int
kaos_ipc_check(struct kaos_ipc *ch)
{
	if (!ch)
		return -EINVAL;
	heartbeat(ch, kaos_now_ns());
	if (ch->publisher && ch->kind == KAOS_IPC_BCAST) {
		evict_dead_subscribers(ch);
		return 0; /* nobody left gates us */
	}
	if (!ch->publisher && ch->kind == KAOS_IPC_MSG_MP)
		kaos_msgring_unblock(&ch->u.msg.ring, ch->unblock_ns);
	return other_side(ch);
}

/* Rate-limited check for the convenience paths: a clock read every
 * CHECK_EVERY calls, a check every liveness_ns. 1: not due. */
static int
check_due(struct kaos_ipc *ch)
{
	if (++ch->calls % CHECK_EVERY)
		return 1;
	if (kaos_now_ns() - ch->last_check_ns < ch->liveness_ns)
		return 1;
	return kaos_ipc_check(ch);
}

/* ---- send and receive ---------------------------------------------------------- */

static int
try_send(struct kaos_ipc *ch, uint32_t type, const void *data, size_t len)
{
	switch (ch->kind) {
	case KAOS_IPC_SPSC:
		if (type || len != ch->u.spsc.ro.slot_size)
			return -EINVAL;
		return kaos_spsc_push(&ch->u.spsc, data);
	case KAOS_IPC_U64: {
		uint64_t v;
		if (type || len != sizeof(v))
			return -EINVAL;
		memcpy(&v, data, sizeof(v));
		return kaos_u64ring_push(&ch->u.u64, v);
	}
	case KAOS_IPC_BCAST:
		if (type || len != ch->u.bcast.ring.ro.slot_size)
			return -EINVAL;
		return kaos_bcast_push(&ch->u.bcast.ring, data);
	default:
		return kaos_msgring_write(&ch->u.msg.prod, type, data, len);
	}
}

struct fixed_ctx {
	kaos_ipc_handler_fn fn;
	void *ctx;
	size_t size;
};

static int
deliver_fixed(void *slot, uint64_t seq, bool end_of_batch, void *ctx)
{
	struct fixed_ctx *f = ctx;
	(void)seq;
	(void)end_of_batch;
	f->fn(0, slot, f->size, f->ctx);
	return 0;
}

static int64_t
try_receive(struct kaos_ipc *ch, kaos_ipc_handler_fn fn, void *ctx, uint64_t limit)
{
	switch (ch->kind) {
	case KAOS_IPC_SPSC: {
		struct fixed_ctx f = { fn, ctx, ch->u.spsc.ro.slot_size };
		return (int64_t)kaos_spsc_poll(&ch->u.spsc, deliver_fixed, &f, limit);
	}
	case KAOS_IPC_U64: {
		uint64_t n = 0, v;
		while (n < limit && kaos_u64ring_pop(&ch->u.u64, &v) == 0) {
			fn(0, &v, sizeof(v), ctx);
			n++;
		}
		return (int64_t)n;
	}
	case KAOS_IPC_BCAST: {
		struct fixed_ctx f = { fn, ctx, ch->u.bcast.ring.ro.slot_size };
		return (int64_t)kaos_bcast_poll(&ch->u.bcast.cons, deliver_fixed, &f, limit);
	}
	default:
		return kaos_msgring_read(&ch->u.msg.ring, fn, ctx, limit);
	}
}

/* Nothing left to read: every byte the producers claimed was consumed. */
static bool
drained(struct kaos_ipc *ch)
{
	if (ch->kind == KAOS_IPC_MSG_SP || ch->kind == KAOS_IPC_MSG_MP)
		return kaos_msgring_used(&ch->u.msg.ring) == 0;
	return true; /* the caller's last poll found nothing published */
}

static struct kaos_waitpoint *
waitpoint(struct kaos_ipc *ch, bool for_data)
{
	switch (ch->kind) {
	case KAOS_IPC_SPSC:
		return for_data ? &ch->u.spsc.ro.cur->data : &ch->u.spsc.ro.cur->space;
	case KAOS_IPC_U64:
		return for_data ? &ch->u.u64.ro.ctl->data : &ch->u.u64.ro.ctl->space;
	case KAOS_IPC_BCAST:
		return &ch->u.bcast.ring.ro.hdr->progress;
	default:
		return for_data ? &ch->u.msg.ring.ro.ctl->data : &ch->u.msg.ring.ro.ctl->space;
	}
}

struct op {
	struct kaos_ipc *ch;
	uint32_t type;
	const void *data;
	size_t len;
	kaos_ipc_handler_fn fn;
	void *ctx;
	uint64_t limit;
	int64_t got;
};

static bool
send_ready(void *arg)
{
	struct op *o = arg;
	o->got = try_send(o->ch, o->type, o->data, o->len);
	return o->got != -KAOS_EFULL;
}

static bool
receive_ready(void *arg)
{
	struct op *o = arg;
	o->got = try_receive(o->ch, o->fn, o->ctx, o->limit);
	return o->got != 0;
}

/* After a failed attempt: 0 to keep trying, or the peer error to return. */
static int
peer_verdict(struct kaos_ipc *ch, struct op *o, bool checked_now)
{
	int rc = checked_now ? kaos_ipc_check(ch) : check_due(ch);
	if (rc >= 0)
		return 0;
	if (ch->publisher)
		return rc; /* full, and the subscriber is gone */
	/* Producers gone: report it once everything they sent is read. */
	if (receive_ready(o) || !drained(ch))
		return 0;
	return rc;
}

/* Attempt @p ready until it succeeds, checking peers every liveness_ns. */
static int64_t
wait_op(struct kaos_ipc *ch, struct op *o, kaos_ready_fn ready, bool for_data,
	const struct kaos_wait *how)
{
	if (ready(o))
		return o->got;
	if (!how) {
		int rc = peer_verdict(ch, o, false);
		return rc < 0 ? rc : o->got;
	}
	if (how->kind == KAOS_WAIT_BLOCK && !(ch->hdr->flags & KAOS_IPC_BLOCKING))
		return -EINVAL; /* nobody would wake us */
	KAOS_TRACE_BACKPRESSURE_IF(ch->publisher, IPC, ch); /* once per wait */
	uint64_t start = kaos_now_ns();
	for (;;) {
		struct kaos_wait slice = *how;
		uint64_t spent = kaos_now_ns() - start;
		if (how->timeout_ns && spent >= how->timeout_ns)
			return -ETIMEDOUT;
		slice.timeout_ns = ch->liveness_ns;
		if (how->timeout_ns && how->timeout_ns - spent < slice.timeout_ns)
			slice.timeout_ns = how->timeout_ns - spent;
		int rc = kaos_wait_until(&slice, waitpoint(ch, for_data), ready, o);
		if (rc == 0)
			return o->got;
		if (rc != -ETIMEDOUT)
			return rc;
		if ((rc = peer_verdict(ch, o, true)) < 0)
			return rc;
		if (o->got != 0 && o->got != -KAOS_EFULL)
			return o->got; /* the verdict's last attempt got something */
	}
}

int
kaos_ipc_send(struct kaos_ipc *ch, uint32_t type, const void *data, size_t len,
	      const struct kaos_wait *how)
{
	if (!ch || !ch->publisher || (len && !data))
		return -EINVAL;
	struct op o = { .ch = ch, .type = type, .data = data, .len = len };
	KAOS_TRACE_BEGIN(send, ch, len);
	int rc = (int)wait_op(ch, &o, send_ready, false, how);
	KAOS_TRACE_END(send, ch, rc == 0 ? len : 0);
	return rc;
}

int64_t
kaos_ipc_receive(struct kaos_ipc *ch, kaos_ipc_handler_fn fn, void *ctx, uint64_t limit,
		 const struct kaos_wait *how)
{
	if (!ch || ch->publisher || !fn || limit == 0)
		return -EINVAL;
	struct op o = { .ch = ch, .fn = fn, .ctx = ctx, .limit = limit };
	KAOS_TRACE_COUNT_BYTES(rx, o.fn, o.ctx); /* payload bytes for the recv span */
	KAOS_TRACE_BEGIN(recv, ch, limit);
	int64_t n = wait_op(ch, &o, receive_ready, true, how);
	KAOS_TRACE_END(recv, ch, KAOS_TRACE_COUNTED(rx));
	return n;
}

/* ---- accessors ------------------------------------------------------------------- */

struct kaos_spsc *
kaos_ipc_spsc(struct kaos_ipc *ch)
{
	return ch && ch->kind == KAOS_IPC_SPSC ? &ch->u.spsc : NULL;
}

struct kaos_u64ring *
kaos_ipc_u64ring(struct kaos_ipc *ch)
{
	return ch && ch->kind == KAOS_IPC_U64 ? &ch->u.u64 : NULL;
}

struct kaos_msgring *
kaos_ipc_msgring(struct kaos_ipc *ch)
{
	return ch && (ch->kind == KAOS_IPC_MSG_SP || ch->kind == KAOS_IPC_MSG_MP)
		       ? &ch->u.msg.ring
		       : NULL;
}

struct kaos_msgring_producer *
kaos_ipc_msg_producer(struct kaos_ipc *ch)
{
	return kaos_ipc_msgring(ch) && ch->publisher ? &ch->u.msg.prod : NULL;
}

struct kaos_bcast *
kaos_ipc_bcast(struct kaos_ipc *ch)
{
	return ch && ch->kind == KAOS_IPC_BCAST ? &ch->u.bcast.ring : NULL;
}

struct kaos_bcast_consumer *
kaos_ipc_bcast_consumer(struct kaos_ipc *ch)
{
	return ch && ch->kind == KAOS_IPC_BCAST && !ch->publisher ? &ch->u.bcast.cons : NULL;
}

enum kaos_ipc_kind
kaos_ipc_kind(const struct kaos_ipc *ch)
{
	return ch ? ch->kind : (enum kaos_ipc_kind)0;
}

uint64_t
kaos_ipc_capacity(const struct kaos_ipc *ch)
{
	return ch ? ch->hdr->capacity : 0;
}

uint32_t
kaos_ipc_slot_size(const struct kaos_ipc *ch)
{
	return ch ? ch->hdr->slot_size : 0;
}

/* ---- inspection and cleanup ---------------------------------------------------- */

static void
read_peers(int fd, const struct kaos_ipc_header *h, bool producers,
	   struct kaos_ipc_peer *out, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct kaos_ipc_peer_entry *e = producers ? &h->producers[i]
							       : &h->subscribers[i];
		uint32_t st = atomic_load_explicit(&e->state, memory_order_acquire);
		out[i] = (struct kaos_ipc_peer){
			.index = i,
			.pid = (int32_t)atomic_load_explicit(&e->pid, memory_order_relaxed),
			.alive = st != KAOS_IPC_PEER_NEVER &&
				 kaos__range_locked(fd, slot_offset(producers, i), 1),
			.closed = st == KAOS_IPC_PEER_CLOSED,
			.heartbeat_ns = atomic_load_explicit(&e->heartbeat_ns,
							     memory_order_relaxed),
		};
	}
}

/* Positions and counters from the ring memory, through a temporary handle
 * (attach only reads the shared state). */
static int
read_positions(const struct kaos_ipc_header *h, struct kaos_ipc_info *info)
{
	void *mem = (unsigned char *)h + h->ring_offset;
	int rc = 0;
	switch (h->kind) {
	case KAOS_IPC_SPSC: {
		struct kaos_spsc r;
		if (kaos_spsc_attach(&r, mem, h->ring_len, h->capacity, h->slot_size) == 0)
			kaos_spsc_stats(&r, &info->stats);
		break;
	}
	case KAOS_IPC_U64: {
		struct kaos_u64ring r;
		rc = kaos_u64ring_attach(&r, mem, h->ring_len, h->capacity);
		if (rc == 0)
			kaos_u64ring_stats(&r, &info->stats);
		else /* inconsistent, or damaged: the head it holds, nothing beyond */
			info->stats.consumed = info->stats.published = atomic_load_explicit(
				&((const struct kaos_u64ring_ctl *)mem)->head, memory_order_relaxed);
		break;
	}
	case KAOS_IPC_MSG_SP:
	case KAOS_IPC_MSG_MP: {
		struct kaos_msgring r;
		if (kaos_msgring_attach(&r, mem, h->ring_len, h->capacity, 0) == 0) {
			kaos_msgring_stats(&r, &info->stats);
			info->unblocked = kaos_msgring_unblocked(&r);
		}
		break;
	}
	default: {
		struct kaos_bcast r;
		if (kaos_bcast_attach(&r, mem, h->ring_len, h->capacity, h->slot_size,
				      h->max_subscribers) == 0) {
			kaos_bcast_stats(&r, &info->stats);
			for (uint32_t i = 0; i < h->max_subscribers; i++)
				info->subscribers[i].position = kaos__bcast_entry(&r, i);
		}
	}
	}
	/* A copy: the head, read after the tail, may have passed it. */
	if (info->stats.published < info->stats.consumed)
		info->stats.published = info->stats.consumed;
	info->tail = info->stats.published;
	info->head = info->stats.consumed;
	if (h->kind != KAOS_IPC_BCAST)
		info->subscribers[0].position = info->head;
	return rc;
}

/* Lines in which a u64 ring's producer position can be, from the line of
 * the later of head and the tail hint: the hint is at most
 * KAOS_U64RING_TAIL_LINES complete lines behind, then one partial line. */
#define U64_SCAN_LINES (KAOS_U64RING_TAIL_LINES + 2)

/* Copy those lines of a u64 ring (after its control block) into the
 * snapshot: what kaos_u64ring_stats() reads to find the producer. */
static void
copy_u64_lines(int fd, struct kaos_ipc_header *h)
{
	unsigned char *ring = (unsigned char *)h + h->ring_offset;
	const struct kaos_u64ring_ctl *ctl = (const void *)ring;
	size_t first_off = (size_t)h->ring_offset + sizeof(*ctl);
	uint64_t nlines = KAOS_U64RING_LINES(h->capacity);
	/* Relaxed: a private copy, nobody writes it. */
	uint64_t pos = atomic_load_explicit(&ctl->head, memory_order_relaxed);
	uint64_t hint = atomic_load_explicit(&ctl->tail, memory_order_relaxed);
	if (hint > pos)
		pos = hint;
	uint64_t line = pos / KAOS_U64RING_PER_LINE % nlines;
	for (uint64_t i = 0; i < U64_SCAN_LINES && i < nlines; i++) {
		size_t off = (size_t)((line + i) % nlines) * sizeof(struct kaos_u64ring_line);
		kaos__file_read_at(fd, ring + sizeof(*ctl) + off,
				   sizeof(struct kaos_u64ring_line), first_off + off);
	}
}

/*
 * A copy of a channel's header and ring control block (positions,
 * counters, subscriber entries: what inspect reads), in memory as long as
 * the file, the rest zero. A copy, not a mapping: inspect runs from tools
 * that scan files others may truncate or replace at any moment, and a
 * mapping would raise SIGBUS on a page the file no longer has.
 */
static int
copy_header_and_control(const char *name, int flags, int *fd_out,
			struct kaos_ipc_header **h_out, uint64_t *size_out)
{
	int fd = kaos__file_open(name, flags, 0);
	if (fd < 0)
		return fd;
	struct stat st;
	int rc = 0;
	struct kaos_ipc_header *h = NULL;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if ((uint64_t)st.st_size < KAOS_IPC_HEADER_LEN) {
		uint64_t magic = 0;
		rc = (st.st_size >= 8 && pread(fd, &magic, 8, 0) == 8 && magic &&
		      magic != KAOS_IPC_MAGIC)
			     ? -KAOS_EFOREIGN
			     : -KAOS_ETRUNCATED;
	}
	else if (!(h = kaos__file_snapshot(fd, (size_t)st.st_size, KAOS_IPC_HEADER_LEN)))
		rc = -errno;
	else if (validate(h, (uint64_t)st.st_size) == 0) {
		/* The control block leads the ring; the slots or bytes follow. */
		uint64_t data = h->kind == KAOS_IPC_MSG_SP || h->kind == KAOS_IPC_MSG_MP
					? h->capacity
				: h->kind == KAOS_IPC_U64
					? h->ring_len - sizeof(struct kaos_u64ring_ctl)
					: h->capacity * h->slot_size;
		size_t ctl_end = (size_t)(h->ring_offset + h->ring_len - data);
		kaos__file_read_at(fd, (unsigned char *)h + KAOS_IPC_HEADER_LEN,
				   ctl_end - KAOS_IPC_HEADER_LEN, KAOS_IPC_HEADER_LEN);
		if (h->kind == KAOS_IPC_U64)
			copy_u64_lines(fd, h);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	*h_out = h;
	*size_out = (uint64_t)st.st_size;
	return 0;
}

int
kaos_ipc_inspect(const char *name, struct kaos_ipc_info *info)
{
	if (!name || !*name || !info)
		return -EINVAL;
	/* A u64 ring copied while it moved can be inconsistent (its control
	 * block and lines are read at different moments): copy it again. */
	for (int tries = 1;; tries++) {
		int fd;
		struct kaos_ipc_header *h;
		uint64_t size;
		int rc = copy_header_and_control(name, O_RDONLY, &fd, &h, &size);
		if (rc < 0)
			return rc;
		if (atomic_load_explicit(&h->ready, memory_order_acquire) != KAOS_IPC_READY)
			rc = h->magic == KAOS_IPC_MAGIC ? -EAGAIN : -KAOS_EFOREIGN;
		else
			rc = validate(h, size);
		bool again = false;
		if (rc == 0) {
			memset(info, 0, sizeof(*info));
			info->kind = (enum kaos_ipc_kind)h->kind;
			info->version = h->version;
			info->flags = h->flags;
			info->slot_size = h->slot_size;
			info->capacity = h->capacity;
			info->file_size = size;
			info->nproducers = h->max_producers;
			info->nsubscribers = h->max_subscribers;
			info->evicted = atomic_load_explicit(&h->evicted, memory_order_relaxed);
			read_peers(fd, h, true, info->producers, h->max_producers);
			read_peers(fd, h, false, info->subscribers, h->max_subscribers);
			again = read_positions(h, info) < 0 && tries < 8;
		}
		munmap(h, (size_t)size);
		close(fd);
		if (!again)
			return rc;
	}
}

int
kaos_ipc_cleanup(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	int fd = kaos__file_open(name, O_RDWR, 0);
	if (fd < 0)
		return fd;
	/* Never remove a file that is not a channel; an empty or
	 * half-written one (a creator that died early) is fair game. */
	uint64_t magic = 0;
	ssize_t got = pread(fd, &magic, sizeof(magic), 0);
	/* 0: a creator that died before writing the magic. */
	int rc = got < 0 ? -errno
		 : (got > 0 && magic != 0 && magic != KAOS_IPC_MAGIC) ? -KAOS_EFOREIGN
								       : 0;
	if (rc == 0) {
		/* Every slot byte and the creation byte at once: if we get
		 * them, nobody is attached, creating or joining, and nobody
		 * can attach to this file while we remove its name. */
		rc = kaos__lock_range(fd, 0, slot_offset(false, KAOS_IPC_MAX_SUBSCRIBERS), F_WRLCK);
		if (rc == 0) {
			/* The name may lead to a newer channel by now. */
			rc = kaos__file_unlink_if_same(name, fd);
		} else if (rc == -EBUSY) {
			rc = 0;
		}
	}
	close(fd); /* drops the locks */
	return rc;
}
