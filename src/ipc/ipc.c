/* SPDX-License-Identifier: MIT */
/* Shared-memory channels: create or open, attach with locks, liveness,
 * waiting, sending and receiving. Layout: format.h; kinds: kinds.c;
 * inspection and cleanup: inspect.c. Every kind is reached through its
 * ring kind's descriptor (src/ring/ring.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../platform/shmfile.h"
#include "../trace/hooks.h"
#include "layout.h"

#define DEFAULT_LIVENESS_NS UINT64_C(100000000)   /* 100 ms */
#define DEFAULT_UNBLOCK_NS UINT64_C(5000000000)   /* 5 s */
#define DEFAULT_OPEN_TIMEOUT_NS UINT64_C(1000000000) /* 1 s */
/* Calls between clock reads on the convenience paths. */
#define CHECK_EVERY 64u
/* A slot that is busy may only be held for a moment by a process proving
 * its owner dead (check_peers()): look again this many times. */
#define SLOT_TRIES 5

struct kaos_ipc {
	/* What the header said, validated, in private memory. */
	struct kaos__ipc_layout lay;
	struct kaos__ring_role role; /* our side, slot and names */
	int fd;
	bool publisher;
	uint32_t index; /* our producer or subscriber slot */
	struct kaos_ipc_header *hdr;
	void *ring_mem; /* the ring: hdr + KAOS_IPC_HEADER_LEN */
	size_t map_len;
	uint64_t liveness_ns, unblock_ns;
	uint64_t last_check_ns;
	uint32_t calls;
	/* The ring kind's endpoint: its handles for our side. */
	KAOS_CACHE_ALIGNED unsigned char ep[];
};

static void *
ring_part(struct kaos_ipc *ch, size_t offset)
{
	return ch->ep + offset;
}

/* ---- names and files ------------------------------------------------------ */

int
kaos_ipc_unlink(const char *name)
{
	if (!name || !*name)
		return -EINVAL;
	return kaos__file_unlink(name);
}

static int
check_config(const struct kaos_ipc_config *cfg)
{
	const struct kaos__ipc_kind *k = cfg ? kaos__ipc_kind((uint32_t)cfg->kind) : NULL;
	if (!k || !cfg->name || !*cfg->name ||
	    (cfg->flags & ~(uint32_t)(KAOS_IPC_BLOCKING | KAOS_IPC_CRC)) ||
	    cfg->max_producers > k->max_producers ||
	    cfg->max_subscribers > k->max_subscribers ||
	    ((cfg->flags & KAOS_IPC_CRC) && !k->ring->checksums))
		return -EINVAL;
	return 0;
}

/* An existing channel against what the caller asked for. */
static int
check_expectations(const struct kaos__ipc_layout *l, const struct kaos_ipc_config *cfg)
{
	if (l->kind_id != cfg->kind)
		return -KAOS_EKIND;
	if (cfg->capacity && l->geom.capacity != cfg->capacity)
		return -KAOS_ECAPACITY;
	if (cfg->slot_size && l->geom.slot_size != cfg->slot_size)
		return -KAOS_ESLOTSIZE;
	if (l->flags != cfg->flags)
		return -KAOS_EFLAGS;
	return 0;
}

static void
sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

/* A handle of the ring kind, for laying a ring out (init makes one). */
static void *
scratch_handle(const struct kaos__ring_kind *rk)
{
	size_t size = (rk->handle_size + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
	return aligned_alloc(KAOS_CACHELINE, size);
}

/* Lay the channel out in a file we just created (and hold locked). */
static int
initialise(int fd, const struct kaos__ipc_layout *l, struct kaos_ipc_header **out)
{
	int rc = kaos__file_reserve(fd, l->file_len);
	if (rc < 0)
		return rc;
	struct kaos_ipc_header *h = kaos__map_file(fd, l->file_len, PROT_READ | PROT_WRITE);
	if (!h)
		return -errno;
	/* The file is fresh (zero-filled); fill the identity. */
	h->magic = KAOS_IPC_MAGIC;
	h->version = KAOS_IPC_VERSION;
	h->header_len = KAOS_IPC_HEADER_LEN;
	h->kind = (uint32_t)l->kind_id;
	h->flags = l->flags;
	h->capacity = l->geom.capacity;
	h->slot_size = (uint32_t)l->geom.slot_size;
	h->max_producers = l->max_producers;
	h->max_subscribers = l->max_subscribers;
	h->cacheline = KAOS_CACHELINE;
	h->ring_offset = KAOS_IPC_HEADER_LEN;
	h->ring_len = l->ring_len;
	h->file_len = l->file_len;
	h->created_ns = kaos__file_time_ns();
	h->creator_pid = (uint32_t)getpid();
	for (uint32_t i = 0; i < KAOS_IPC_MAX_PRODUCERS; i++)
		atomic_store_explicit(&h->producers[i].claiming, UINT64_MAX,
				      memory_order_relaxed); /* published below */
	void *tmp = scratch_handle(l->kind->ring);
	rc = tmp ? kaos__ring_init(l->kind->ring, tmp, (unsigned char *)h + KAOS_IPC_HEADER_LEN,
				   l->ring_len, &l->geom)
		 : -ENOMEM;
	free(tmp);
	if (rc < 0) {
		munmap(h, l->file_len);
		return rc;
	}
	/* Release: a reader of a mapping that sees READY sees the layout.
	 * Openers read a pread copy instead, ordered after us by the
	 * creation lock they wait for. */
	atomic_store_explicit(&h->ready, KAOS_IPC_READY, memory_order_release);
	*out = h;
	return 0;
}

/* Validate an existing channel from a copy of its header; 1 if it is
 * still being created. */
static int
read_existing(int fd, const struct kaos_ipc_config *cfg, uint64_t size,
	      struct kaos__ipc_layout *l)
{
	if (size == 0)
		return 1; /* its creator has not sized it yet */
	if (size < KAOS_IPC_HEADER_LEN)
		return kaos__ipc_short_file(fd, size);
	/* A copy, not a mapping: the file may shrink under us (SIGBUS), and
	 * its writers may change it after we validated. We hold the read
	 * lock on byte 0, so its creator is done with it: a copy of a plain
	 * read suffices. */
	struct kaos_ipc_header *h =
		kaos__file_snapshot(fd, KAOS_IPC_HEADER_LEN, KAOS_IPC_HEADER_LEN);
	if (!h)
		return -errno;
	uint32_t ready = atomic_load_explicit(&h->ready, memory_order_relaxed);
	int rc;
	if (h->magic != KAOS_IPC_MAGIC && (h->magic || ready))
		rc = -KAOS_EFOREIGN;
	else if (ready == 0)
		rc = -EAGAIN; /* sized, yet its creator let go of the creation
			       * lock: it died laying it out; cleanup removes it */
	else if (ready != KAOS_IPC_READY)
		rc = -KAOS_ECORRUPT;
	else if (!(rc = kaos__ipc_layout_read(h, size, l)))
		rc = check_expectations(l, cfg);
	munmap(h, KAOS_IPC_HEADER_LEN);
	return rc;
}

/* Open a channel someone else created, waiting for it to be ready. On
 * success we hold a read lock on byte 0 (see create_or_open()). -ENOENT:
 * the name was removed under us. */
static int
open_existing(int fd, const struct kaos_ipc_config *cfg, uint64_t timeout_ns,
	      struct kaos__ipc_layout *l, struct kaos_ipc_header **out)
{
	uint64_t start = kaos_now_ns();
	for (;;) {
		int rc = kaos__lock_range(fd, 0, 1, F_RDLCK);
		if (rc == 0) {
			struct stat st;
			if (fstat(fd, &st) < 0)
				rc = -errno;
			else if (st.st_nlink == 0)
				rc = -ENOENT; /* cleaned up before we locked */
			else
				rc = read_existing(fd, cfg, (uint64_t)st.st_size, l);
			if (rc == 0) {
				*out = kaos__map_file(fd, l->file_len, PROT_READ | PROT_WRITE);
				if (*out)
					return 0;
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
		sleep_us(1000);
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
create_or_open(const struct kaos_ipc_config *cfg, int *fd_out, struct kaos__ipc_layout *l,
	       struct kaos_ipc_header **h)
{
	uint64_t timeout = cfg->open_timeout_ns ? cfg->open_timeout_ns : DEFAULT_OPEN_TIMEOUT_NS;
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd = kaos__file_create_locked(cfg->name, cfg->mode ? cfg->mode : 0600);
		if (fd >= 0) {
			int rc = kaos__ipc_layout_new(cfg, l);
			if (rc == 0)
				rc = initialise(fd, l, h);
			if (rc < 0) { /* nothing half-made stays behind */
				kaos__file_unlink_if_same(cfg->name, fd);
				close(fd);
				return rc;
			}
			*fd_out = fd;
			return 0;
		}
		if (fd != -EEXIST)
			return fd;
		fd = kaos__file_open_existing(cfg->name, O_RDWR);
		if (fd == -ENOENT)
			continue; /* removed between the two opens: create it */
		if (fd < 0)
			return fd;
		int rc = open_existing(fd, cfg, timeout, l, h);
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

/* ---- peers -------------------------------------------------------------------- */

static struct kaos_ipc_peer_entry *
peer(struct kaos_ipc *ch, bool producer, uint32_t i)
{
	return producer ? &ch->hdr->producers[i] : &ch->hdr->subscribers[i];
}

static uint32_t
peers(const struct kaos_ipc *ch, bool producers)
{
	return producers ? ch->lay.max_producers : ch->lay.max_subscribers;
}

static void
heartbeat(struct kaos_ipc *ch, uint64_t now)
{
	/* Relaxed: informational, read by tools. */
	atomic_store_explicit(&peer(ch, ch->publisher, ch->index)->heartbeat_ns, now,
			      memory_order_relaxed);
	ch->last_check_ns = now;
}

static bool
peer_alive(const struct kaos_ipc *ch, bool producer, uint32_t i)
{
	return kaos__range_locked(ch->fd, kaos__ipc_slot_offset(producer, i), 1);
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

/*
 * The alive function of a multi-producer subscriber's msgring (see
 * kaos_msgring_alive_fn): a claim's owner is alive if its slot is still
 * held by the attachment that made the claim; a claim without a header
 * may be a live producer's if that producer's mark is at or below it.
 */
static bool
claimer_alive(uint32_t owner, uint64_t pos, void *ctx)
{
	struct kaos_ipc *ch = ctx;
	if (owner == KAOS_MSGRING_ANY_OWNER) {
		for (uint32_t i = 0; i < ch->lay.max_producers; i++) {
			/* Acquire: pairs with the release that clears a mark
			 * (after the header store); a mark set is seen
			 * through the claim's release, which the caller
			 * acquired with the tail. */
			uint64_t mark = atomic_load_explicit(&peer(ch, true, i)->claiming,
							     memory_order_acquire);
			if ((pos == UINT64_MAX || mark <= pos) && peer_alive(ch, true, i))
				return true;
		}
		return false;
	}
	uint32_t slot = owner & ((1u << OWNER_SLOT_BITS) - 1);
	if (slot >= ch->lay.max_producers)
		return false;
	/* Relaxed: the attach count only needs to differ once the slot has
	 * changed hands; the lock says whether anyone holds it now. */
	uint64_t attaches = atomic_load_explicit(&peer(ch, true, slot)->attaches,
						 memory_order_relaxed);
	return owner_id(slot, attaches) == owner && peer_alive(ch, true, slot);
}

/* Slot (producer, i) has no live owner, and we hold its lock: clear what
 * its last owner may have left registered in the ring's waitpoints (a
 * process killed while asleep never unregisters). */
static void
forget_sleeper(struct kaos_ipc *ch, bool producer, uint32_t i)
{
	struct kaos__ring_ctl *ctl = ch->ring_mem;
	uint64_t bit = kaos__ipc_wait_bit(producer, i);
	/* Relaxed: as a waiter's own unregistering (wait.c). */
	atomic_fetch_and_explicit(&ctl->data.waiters, ~bit, memory_order_relaxed);
	atomic_fetch_and_explicit(&ctl->space.waiters, ~bit, memory_order_relaxed);
}

/* Take a free slot of our side: its lock, then its entry. @p owner: our
 * claims' owner id. */
static int
take_slot(struct kaos_ipc *ch, bool producer, uint32_t *owner)
{
	for (int tries = 0; tries < SLOT_TRIES; tries++) {
		if (tries)
			sleep_us(200);
		for (uint32_t i = 0; i < peers(ch, producer); i++) {
			int rc = kaos__lock_range(ch->fd, kaos__ipc_slot_offset(producer, i), 1,
						  F_WRLCK);
			if (rc == -EBUSY)
				continue;
			if (rc < 0)
				return rc;
			struct kaos_ipc_peer_entry *e = peer(ch, producer, i);
			forget_sleeper(ch, producer, i);
			/* Relaxed/release: informational fields for peers
			 * and tools; the lock is the authority. state last,
			 * with release. */
			atomic_store_explicit(&e->pid, (uint32_t)getpid(), memory_order_relaxed);
			atomic_store_explicit(&e->attached_ns, kaos__file_time_ns(), memory_order_relaxed);
			atomic_store_explicit(&e->claiming, UINT64_MAX, memory_order_relaxed);
			uint64_t n = atomic_fetch_add_explicit(&e->attaches, 1,
							       memory_order_relaxed);
			*owner = owner_id(i, n + 1);
			atomic_fetch_add_explicit(producer ? &ch->hdr->producer_attaches
							   : &ch->hdr->subscriber_attaches,
						  1, memory_order_relaxed);
			atomic_store_explicit(&e->state, KAOS_IPC_PEER_ACTIVE,
					      memory_order_release);
			ch->index = i;
			return 0;
		}
	}
	return -EBUSY;
}

static int
attach_untraced(const struct kaos_ipc_config *cfg, bool publisher, struct kaos_ipc **out)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	int rc = check_config(cfg);
	if (rc < 0)
		return rc;
	int fd = -1;
	struct kaos__ipc_layout lay;
	struct kaos_ipc_header *hdr = NULL;
	if ((rc = create_or_open(cfg, &fd, &lay, &hdr)) < 0)
		return rc;
	size_t size = (sizeof(struct kaos_ipc) + lay.kind->ring->endpoint_size +
		       KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
	struct kaos_ipc *ch = aligned_alloc(KAOS_CACHELINE, size);
	if (!ch) {
		munmap(hdr, lay.file_len);
		close(fd);
		return -ENOMEM;
	}
	memset(ch, 0, size);
	ch->lay = lay;
	ch->fd = fd;
	ch->hdr = hdr;
	ch->ring_mem = (unsigned char *)hdr + KAOS_IPC_HEADER_LEN;
	ch->map_len = lay.file_len;
	ch->publisher = publisher;
	ch->liveness_ns = cfg->liveness_ns ? cfg->liveness_ns : DEFAULT_LIVENESS_NS;
	ch->unblock_ns = cfg->unblock_ns ? cfg->unblock_ns : DEFAULT_UNBLOCK_NS;
	uint32_t owner = 0;
	rc = take_slot(ch, publisher, &owner);
	kaos__lock_range(fd, 0, 1, F_UNLCK); /* the creation lock: see create_or_open() */
	if (rc == 0) {
		ch->role = (struct kaos__ring_role){
			.producer = publisher,
			.notify = { lay.flags & KAOS_IPC_BLOCKING,
				    kaos__ipc_wait_bit(publisher, ch->index) },
			.index = ch->index,
			.owner = owner,
			.alive = claimer_alive,
			.alive_ctx = ch,
			.claim_mark = lay.kind->multi_producer && publisher
					      ? &peer(ch, true, ch->index)->claiming
					      : NULL,
		};
		rc = kaos__ring_attach(lay.kind->ring, ch->ep, ch->ring_mem, lay.ring_len,
				       &lay.geom, &ch->role);
	}
	if (rc < 0) {
		munmap(hdr, lay.file_len);
		close(fd); /* drops our lock, if we took one */
		free(ch);
		return rc;
	}
	heartbeat(ch, kaos_now_ns());
	*out = ch;
	return 0;
}

static int
attach(const struct kaos_ipc_config *cfg, bool publisher, struct kaos_ipc **out)
{
	KAOS_TRACE_BEGIN(connect, cfg, publisher);
	int rc = attach_untraced(cfg, publisher, out);
	KAOS_TRACE_END(connect, rc == 0 ? *out : NULL, rc);
	return rc;
}

int
kaos_ipc_publish(const struct kaos_ipc_config *cfg, struct kaos_ipc **out)
{
	return attach(cfg, true, out);
}

int
kaos_ipc_subscribe(const struct kaos_ipc_config *cfg, struct kaos_ipc **out)
{
	return attach(cfg, false, out);
}

void
kaos_ipc_close(struct kaos_ipc *ch)
{
	if (!ch)
		return;
	KAOS_TRACE_INSTANT(disconnect, ch, ch->publisher);
	if (ch->lay.kind->ring->detach)
		ch->lay.kind->ring->detach(ch->ep, &ch->role);
	/* Release: our last sends (or reads) come before "closed". */
	atomic_store_explicit(&peer(ch, ch->publisher, ch->index)->state, KAOS_IPC_PEER_CLOSED,
			      memory_order_release);
	munmap(ch->hdr, ch->map_len);
	close(ch->fd); /* releases our slot's lock */
	free(ch);
}

/* ---- liveness ---------------------------------------------------------------- */

/* Is anything of slot (producer, i) registered in the waitpoints? */
static bool
left_asleep(const struct kaos_ipc *ch, bool producer, uint32_t i)
{
	const struct kaos__ring_ctl *ctl = ch->ring_mem;
	uint64_t bit = kaos__ipc_wait_bit(producer, i);
	/* Relaxed: a hint; the clearing is done under the slot's lock. */
	return (atomic_load_explicit(&ctl->data.waiters, memory_order_relaxed) |
		atomic_load_explicit(&ctl->space.waiters, memory_order_relaxed)) &
	       bit;
}

/* Of the peers on the other side: 0 if one is alive or none ever came;
 * -KAOS_EPEERDEAD if one died (and none lives); -EPIPE if they closed.
 * A dead one's registrations in the waitpoints are cleared, and (a
 * broadcast publisher's view) its position freed, under its slot's lock:
 * holding it proves the owner gone and keeps a newcomer out meanwhile. */
static int
check_peers(struct kaos_ipc *ch)
{
	bool producers = !ch->publisher;
	const struct kaos__ring_kind *rk = ch->lay.kind->ring;
	const struct kaos__ring_view v = { ch->ring_mem, NULL, NULL };
	bool alive = false, died = false, closed = false;
	for (uint32_t i = 0; i < peers(ch, producers); i++) {
		/* Acquire: pairs with the release of state in take_slot() and
		 * close(); a closed peer's messages are all visible. */
		uint32_t st = atomic_load_explicit(&peer(ch, producers, i)->state,
						   memory_order_acquire);
		bool positioned = !producers && rk->evict &&
				  rk->consumer_at(&v, &ch->lay.geom, i) != KAOS_BCAST_FREE;
		if (st == KAOS_IPC_PEER_NEVER && !positioned)
			continue;
		if (peer_alive(ch, producers, i)) {
			alive = true;
			continue;
		}
		if (st == KAOS_IPC_PEER_CLOSED)
			closed = true;
		else if (st != KAOS_IPC_PEER_NEVER)
			died = true;
		if (!positioned && !left_asleep(ch, producers, i))
			continue;
		off_t off = kaos__ipc_slot_offset(producers, i);
		if (kaos__lock_range(ch->fd, off, 1, F_WRLCK) < 0)
			continue; /* taken meanwhile */
		forget_sleeper(ch, producers, i);
		if (positioned && rk->consumer_at(&v, &ch->lay.geom, i) != KAOS_BCAST_FREE) {
			rk->evict(ch->ep, i);
			/* Relaxed: a statistic. */
			atomic_fetch_add_explicit(&ch->hdr->evicted, 1, memory_order_relaxed);
		}
		kaos__lock_range(ch->fd, off, 1, F_UNLCK);
	}
	if (alive || (ch->publisher && rk->evict))
		return 0; /* broadcast: nobody left gates us */
	return died ? -KAOS_EPEERDEAD : closed ? -EPIPE : 0;
}

int
kaos_ipc_check(struct kaos_ipc *ch)
{
	if (!ch)
		return -EINVAL;
	heartbeat(ch, kaos_now_ns());
	int damaged = !ch->publisher && ch->lay.kind->ring->tend
			      ? ch->lay.kind->ring->tend(ch->ep, ch->unblock_ns)
			      : 0;
	int rc = check_peers(ch);
	return damaged < 0 ? damaged : rc;
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

/* The channel's fill level, for the trace hooks (unused without them):
 * slots, values or bytes published and not consumed by the slowest
 * subscriber. */
static KAOS_UNUSED uint64_t
channel_fill(const void *obj)
{
	const struct kaos_ipc *ch = obj;
	const struct kaos__ring_view v = { ch->ring_mem, NULL, NULL };
	struct kaos_ring_stats s;
	ch->lay.kind->ring->stats(&v, &ch->lay.geom, &s);
	return s.published - s.consumed;
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
	o->got = o->ch->lay.kind->ring->send(o->ch->ep, o->type, o->data, o->len);
	return o->got != -KAOS_EFULL;
}

static bool
receive_ready(void *arg)
{
	struct op *o = arg;
	o->got = o->ch->lay.kind->ring->receive(o->ch->ep, o->fn, o->ctx, o->limit);
	return o->got != 0;
}

/* Nothing left to read: every byte the producers claimed was consumed
 * (the caller's last receive found nothing published). */
static bool
drained(const struct kaos_ipc *ch)
{
	return !ch->lay.kind->ring->drained || ch->lay.kind->ring->drained(ch->ep);
}

/* After a failed attempt: 0 to keep trying, or the peer error to return. */
static int
peer_verdict(struct kaos_ipc *ch, struct op *o, bool checked_now)
{
	int rc = checked_now ? kaos_ipc_check(ch) : check_due(ch);
	if (rc >= 0)
		return 0;
	if (ch->publisher || rc == -KAOS_ECORRUPT)
		return rc; /* full, and the subscriber is gone; or damage */
	/* Producers gone: report it once everything they sent is read. */
	if (receive_ready(o) || !drained(ch))
		return 0;
	return rc;
}

/* Attempt @p ready until it succeeds, checking peers every liveness_ns. */
static int64_t
wait_op(struct kaos_ipc *ch, struct op *o, kaos_ready_fn ready, const struct kaos_wait *how)
{
	if (ready(o)) {
		check_due(ch); /* now and then, busy or not (a dead sleeper) */
		return o->got;
	}
	if (!how) {
		int rc = peer_verdict(ch, o, false);
		return rc < 0 ? rc : o->got;
	}
	if (how->kind == KAOS_WAIT_BLOCK && !(ch->lay.flags & KAOS_IPC_BLOCKING))
		return -EINVAL; /* nobody would wake us */
	KAOS_TRACE_BACKPRESSURE_IF(ch->publisher, channel_fill, ch); /* once per wait */
	struct kaos__ring_ctl *ctl = ch->ring_mem;
	struct kaos_waitpoint *wp =
		ch->publisher && !ch->lay.kind->ring->one_waitpoint ? &ctl->space : &ctl->data;
	uint64_t start = kaos_now_ns();
	for (;;) {
		struct kaos_wait slice = *how;
		uint64_t spent = kaos_now_ns() - start;
		if (how->timeout_ns && spent >= how->timeout_ns)
			return -ETIMEDOUT;
		slice.timeout_ns = ch->liveness_ns;
		if (how->timeout_ns && how->timeout_ns - spent < slice.timeout_ns)
			slice.timeout_ns = how->timeout_ns - spent;
		int rc = kaos__wait_until(&slice, wp, ch->role.notify.wait_bit, ready, o);
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
	int rc = (int)wait_op(ch, &o, send_ready, how);
	KAOS_TRACE_END_FILL(send, ch, rc == 0 ? len : 0, channel_fill);
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
	int64_t n = wait_op(ch, &o, receive_ready, how);
	KAOS_TRACE_END_FILL(recv, ch, KAOS_TRACE_COUNTED(rx), channel_fill);
	return n;
}

/* ---- accessors ------------------------------------------------------------------- */

/* The ring handle of a channel whose kind's ring is @p rk, or NULL. */
static void *
ring_of(struct kaos_ipc *ch, const struct kaos__ring_kind *rk)
{
	return ch && ch->lay.kind->ring == rk ? ch->ep : NULL;
}

struct kaos_spsc *
kaos_ipc_spsc(struct kaos_ipc *ch)
{
	return ring_of(ch, &kaos__spsc_kind);
}

struct kaos_u64ring *
kaos_ipc_u64ring(struct kaos_ipc *ch)
{
	return ring_of(ch, &kaos__u64ring_kind);
}

struct kaos_msgring *
kaos_ipc_msgring(struct kaos_ipc *ch)
{
	return ring_of(ch, &kaos__msgring_kind);
}

struct kaos_msgring_producer *
kaos_ipc_msg_producer(struct kaos_ipc *ch)
{
	return kaos_ipc_msgring(ch) && ch->publisher
		       ? ring_part(ch, kaos__msgring_kind.producer_offset)
		       : NULL;
}

struct kaos_bcast *
kaos_ipc_bcast(struct kaos_ipc *ch)
{
	return ring_of(ch, &kaos__bcast_kind);
}

struct kaos_bcast_consumer *
kaos_ipc_bcast_consumer(struct kaos_ipc *ch)
{
	return kaos_ipc_bcast(ch) && !ch->publisher
		       ? ring_part(ch, kaos__bcast_kind.consumer_offset)
		       : NULL;
}

enum kaos_ipc_kind
kaos_ipc_kind(const struct kaos_ipc *ch)
{
	return ch ? ch->lay.kind_id : (enum kaos_ipc_kind)0;
}

uint64_t
kaos_ipc_capacity(const struct kaos_ipc *ch)
{
	return ch ? ch->lay.geom.capacity : 0;
}

uint32_t
kaos_ipc_slot_size(const struct kaos_ipc *ch)
{
	return ch ? ch->lay.geom.slot_size : 0;
}
