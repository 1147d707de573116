/* SPDX-License-Identifier: MIT */
/* The on-disk (on-/dev/shm) layout of an IPC channel; docs/ipc-format.md
 * describes it byte by byte. Little-endian, fixed offsets, checked below. */
#ifndef KAOS_IPC_FORMAT_H
#define KAOS_IPC_FORMAT_H

#include <stdint.h>

#include <kaos/common.h>
#include <kaos/ipc.h>

/* "KAOSIPC\0" as stored bytes, read as a little-endian u64. */
#define KAOS_IPC_MAGIC UINT64_C(0x00435049534f414b)
#define KAOS_IPC_VERSION 3u
#define KAOS_IPC_HEADER_LEN 4096u
/* "REDY": the header and the ring are initialised. */
#define KAOS_IPC_READY UINT32_C(0x59444552)

/* Peer states. */
#define KAOS_IPC_PEER_NEVER 0u
#define KAOS_IPC_PEER_ACTIVE 1u
#define KAOS_IPC_PEER_CLOSED 2u

/* One producer or subscriber slot: 64 bytes. Its first byte is also the
 * byte its owner keeps locked (an open-file-description lock). */
struct kaos_ipc_peer_entry {
	_Atomic uint32_t pid;
	_Atomic uint32_t state;        /* KAOS_IPC_PEER_* */
	_Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC */
	_Atomic uint64_t attached_ns;  /* CLOCK_REALTIME of the last attach */
	_Atomic uint64_t attaches;     /* how many times the slot was taken */
	/* MSG_MP producers: the position at or after which it is claiming,
	 * from before its claim until its header is written; UINT64_MAX
	 * when it is not (kaos_msgring_unblock() asks). */
	_Atomic uint64_t claiming;
	uint8_t reserved[24];
};

struct kaos_ipc_header {
	/* identity and geometry: written once by the creator */
	uint64_t magic;            /* 0 */
	uint32_t version;          /* 8 */
	uint32_t header_len;       /* 12 */
	uint32_t kind;             /* 16: enum kaos_ipc_kind */
	uint32_t flags;            /* 20: enum kaos_ipc_flags */
	uint64_t capacity;         /* 24: slots, or bytes for message kinds */
	uint32_t slot_size;        /* 32: 0 for message kinds */
	uint32_t max_producers;    /* 36 */
	uint32_t max_subscribers;  /* 40 */
	uint32_t cacheline;        /* 44: KAOS_CACHELINE of the creator */
	uint64_t ring_offset;      /* 48: == header_len */
	uint64_t ring_len;         /* 56: bytes of ring memory */
	uint64_t file_len;         /* 64: ring_offset + ring_len */
	uint64_t created_ns;       /* 72: CLOCK_REALTIME */
	uint32_t creator_pid;      /* 80 */
	uint8_t reserved0[40];     /* 84 */
	_Atomic uint32_t ready;    /* 124: KAOS_IPC_READY, stored last (release) */
	/* 128: counters */
	_Atomic uint64_t evicted;  /* dead broadcast subscribers freed */
	_Atomic uint64_t producer_attaches;
	_Atomic uint64_t subscriber_attaches;
	uint8_t reserved1[104];
	/* 256 */
	struct kaos_ipc_peer_entry producers[KAOS_IPC_MAX_PRODUCERS];
	/* 1280 */
	struct kaos_ipc_peer_entry subscribers[KAOS_IPC_MAX_SUBSCRIBERS];
	/* 3328 */
	uint8_t reserved2[KAOS_IPC_HEADER_LEN - 3328];
};

_Static_assert(sizeof(struct kaos_ipc_peer_entry) == 64 &&
		       offsetof(struct kaos_ipc_peer_entry, claiming) == 32,
	       "peer entry is 64 bytes");
_Static_assert(offsetof(struct kaos_ipc_header, ready) == 124, "ready at 124");
_Static_assert(offsetof(struct kaos_ipc_header, evicted) == 128, "counters at 128");
_Static_assert(offsetof(struct kaos_ipc_header, producers) == 256, "producers at 256");
_Static_assert(offsetof(struct kaos_ipc_header, subscribers) == 1280, "subscribers at 1280");
_Static_assert(sizeof(struct kaos_ipc_header) == KAOS_IPC_HEADER_LEN, "header is one page");
_Static_assert(KAOS_IPC_HEADER_LEN % KAOS_CACHELINE == 0, "ring starts on a line");

#endif /* KAOS_IPC_FORMAT_H */
