/* SPDX-License-Identifier: MIT */
/* A process's counters file: see kaos/counters.h for the layout. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kaos/counters.h>
#include <kaos/error.h>

#include "../platform/shmfile.h"

/* "KAOSCNT\0" as stored bytes, read as a little-endian u64. */
#define COUNTERS_MAGIC UINT64_C(0x00544e43534f414b)
#define COUNTERS_VERSION 1u
#define HEADER_LEN 4096u
#define ENTRY_LEN 128u
#define READY UINT32_C(0x59444552) /* "REDY" */

enum { ENTRY_FREE = 0, ENTRY_LIVE = 1, ENTRY_RETIRED = 2 };

struct header {
	uint64_t magic;         /* 0 */
	uint32_t version;       /* 8 */
	uint32_t header_len;    /* 12 */
	uint32_t capacity;      /* 16 */
	uint32_t entry_len;     /* 20 */
	_Atomic uint32_t count; /* 24: entries registered; release after each */
	uint32_t pid;           /* 28 */
	uint64_t created_ns;    /* 32: CLOCK_REALTIME */
	uint64_t file_len;      /* 40 */
	uint8_t reserved0[76];  /* 48 */
	_Atomic uint32_t ready; /* 124: READY, stored last (release) */
	uint8_t reserved1[HEADER_LEN - 128];
};

struct entry {
	_Atomic uint64_t value;  /* 0: its own cache line (entries are 128 B) */
	_Atomic uint32_t state;  /* 8 */
	uint32_t reserved;       /* 12 */
	char label[ENTRY_LEN - 16]; /* 16: NUL-terminated */
};

_Static_assert(sizeof(struct header) == HEADER_LEN, "header is one page");
_Static_assert(offsetof(struct header, ready) == 124, "ready at 124");
_Static_assert(sizeof(struct entry) == ENTRY_LEN, "entries are 128 bytes");
_Static_assert(KAOS_COUNTER_LABEL_MAX + 1 == sizeof(((struct entry *)0)->label),
	       "label size");

struct kaos_counters {
	pthread_mutex_t lock; /* serialises kaos_counters_add() */
	int fd;
	struct header *hdr;
	struct entry *entries;
	size_t map_len;
	char name[256];
};

/* Create the file fresh, its byte 0 locked (the owner's lock); a dead
 * owner's file of the same name is removed first, a live owner's is left
 * alone (-EBUSY). */
static int
create_file(const char *name, mode_t mode)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		int fd = kaos__file_create_locked(name, mode);
		if (fd != -EEXIST)
			return fd;
		int rc = kaos__file_remove_unowned(name, COUNTERS_MAGIC, 1);
		if (rc < 0 && rc != -ENOENT)
			return rc; /* -EBUSY: its owner lives */
	}
	return -EAGAIN;
}

int
kaos_counters_create(const char *name, uint32_t capacity, mode_t mode,
		     struct kaos_counters **out)
{
	if (!out || capacity == 0 || capacity > KAOS_COUNTERS_MAX || (name && !*name))
		return -EINVAL;
	*out = NULL;
	struct kaos_counters *cf = calloc(1, sizeof(*cf));
	if (!cf)
		return -ENOMEM;
	if (name)
		snprintf(cf->name, sizeof(cf->name), "%s", name);
	else
		snprintf(cf->name, sizeof(cf->name), "/kaos-counters-%d", (int)getpid());
	if (name && strlen(name) >= sizeof(cf->name)) {
		free(cf);
		return -EINVAL;
	}
	int fd = create_file(cf->name, mode ? mode : 0600);
	if (fd < 0) {
		free(cf);
		return fd;
	}
	size_t len = HEADER_LEN + (size_t)capacity * ENTRY_LEN;
	struct header *h = NULL;
	int rc = kaos__file_reserve(fd, len);
	if (rc == 0 && !(h = kaos__map_file(fd, len, PROT_READ | PROT_WRITE)))
		rc = -errno;
	if (rc < 0) {
		kaos__file_unlink(cf->name);
		close(fd);
		free(cf);
		return rc;
	}
	h->magic = COUNTERS_MAGIC;
	h->version = COUNTERS_VERSION;
	h->header_len = HEADER_LEN;
	h->capacity = capacity;
	h->entry_len = ENTRY_LEN;
	h->pid = (uint32_t)getpid();
	h->created_ns = kaos__file_time_ns();
	h->file_len = len;
	/* Release: a reader of a mapping that sees READY sees the header.
	 * (kaos_counters_read() reads a pread copy: see there.) */
	atomic_store_explicit(&h->ready, READY, memory_order_release);
	pthread_mutex_init(&cf->lock, NULL);
	cf->fd = fd;
	cf->hdr = h;
	cf->entries = (struct entry *)((unsigned char *)h + HEADER_LEN);
	cf->map_len = len;
	*out = cf;
	return 0;
}

const char *
kaos_counters_name(const struct kaos_counters *cf)
{
	return cf ? cf->name : NULL;
}

int
kaos_counters_add(struct kaos_counters *cf, const char *label, struct kaos_counter *out)
{
	if (!cf || !label || !out)
		return -EINVAL;
	pthread_mutex_lock(&cf->lock);
	/* Relaxed: only we (under the mutex) write count. */
	uint32_t i = atomic_load_explicit(&cf->hdr->count, memory_order_relaxed);
	if (i == cf->hdr->capacity) {
		pthread_mutex_unlock(&cf->lock);
		return -ENOSPC;
	}
	struct entry *e = &cf->entries[i];
	snprintf(e->label, sizeof(e->label), "%s", label);
	atomic_store_explicit(&e->value, 0, memory_order_relaxed);
	atomic_store_explicit(&e->state, ENTRY_LIVE, memory_order_relaxed);
	/* Release: a reader of a mapping that sees the new count sees the
	 * label. */
	atomic_store_explicit(&cf->hdr->count, i + 1, memory_order_release);
	pthread_mutex_unlock(&cf->lock);
	out->value = &e->value;
	out->index = i;
	return 0;
}

void
kaos_counters_retire(struct kaos_counters *cf, struct kaos_counter *c)
{
	if (!cf || !c || c->index >= cf->hdr->capacity)
		return;
	/* Relaxed: informational. */
	atomic_store_explicit(&cf->entries[c->index].state, ENTRY_RETIRED, memory_order_relaxed);
}

void
kaos_counters_close(struct kaos_counters *cf, bool unlink)
{
	if (!cf)
		return;
	if (unlink)
		kaos__file_unlink(cf->name);
	munmap(cf->hdr, cf->map_len);
	close(cf->fd); /* drops the owner lock */
	pthread_mutex_destroy(&cf->lock);
	free(cf);
}

int
kaos_counters_read(const char *name, struct kaos_counters_info *info, kaos_counter_fn fn,
		   void *ctx)
{
	if (!name || !*name)
		return -EINVAL;
	int fd = kaos__file_open_existing(name, O_RDONLY);
	if (fd < 0)
		return fd;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : 0;
	uint64_t size = rc ? 0 : (uint64_t)st.st_size;
	const struct header *h = NULL;
	if (rc == 0 && size < HEADER_LEN) {
		uint64_t magic = 0;
		rc = (size >= 8 && pread(fd, &magic, 8, 0) == 8 && magic != COUNTERS_MAGIC)
			     ? -KAOS_EFOREIGN
			     : -KAOS_ETRUNCATED;
	}
	/* A copy, not a mapping: readers (kaos-stat) scan files that others
	 * may truncate at any moment, where a mapping raises SIGBUS. */
	if (rc == 0 && !(h = kaos__file_snapshot(fd, (size_t)size, (size_t)size)))
		rc = -errno;
	if (rc == 0) {
		/* Relaxed, here and below: a private copy, which no C11 pair
		 * orders against the owner's stores. A copy taken mid-write
		 * can show a header not yet ready (-EAGAIN), or a count ahead
		 * of a label (labels are cut at their size, never trusted). */
		uint32_t ready = atomic_load_explicit(&h->ready, memory_order_relaxed);
		if (h->magic != COUNTERS_MAGIC)
			rc = -KAOS_EFOREIGN;
		else if (h->version != COUNTERS_VERSION)
			rc = -KAOS_EVERSION;
		else if (ready != READY)
			rc = -EAGAIN;
		else if (h->header_len != HEADER_LEN || h->entry_len != ENTRY_LEN ||
			 h->capacity == 0 || h->capacity > KAOS_COUNTERS_MAX ||
			 h->file_len != HEADER_LEN + (uint64_t)h->capacity * ENTRY_LEN)
			rc = -KAOS_ECORRUPT;
		else if (size < h->file_len)
			rc = -KAOS_ETRUNCATED;
	}
	if (rc == 0) {
		uint32_t count = atomic_load_explicit(&h->count, memory_order_relaxed);
		if (count > h->capacity)
			count = h->capacity;
		if (info) {
			*info = (struct kaos_counters_info){
				.pid = (int32_t)h->pid,
				.alive = kaos__range_locked(fd, 0, 1),
				.capacity = h->capacity,
				.count = count,
				.created_ns = h->created_ns,
			};
		}
		const struct entry *entries =
			(const struct entry *)((const unsigned char *)h + HEADER_LEN);
		for (uint32_t i = 0; fn && i < count; i++) {
			const struct entry *e = &entries[i];
			char label[sizeof(e->label)];
			memcpy(label, e->label, sizeof(label));
			label[sizeof(label) - 1] = '\0'; /* never trust the file */
			uint32_t state = atomic_load_explicit(&e->state, memory_order_relaxed);
			fn(i, label, atomic_load_explicit(&e->value, memory_order_relaxed),
			   state == ENTRY_RETIRED, ctx);
		}
	}
	if (h)
		munmap((void *)h, (size_t)size);
	close(fd);
	return rc;
}
