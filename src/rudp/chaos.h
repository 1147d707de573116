/* SPDX-License-Identifier: MIT */
/*
 * A seeded network impairment for one direction of a path, with no I/O:
 * datagrams and the time go in, datagrams come out when they are due.
 * tools/kaos-chaos wraps two of them (one per direction) around UDP
 * sockets; the reliable-UDP simulation is to run the same code on a
 * virtual clock. Loss, duplication, reordering, delay and jitter,
 * corruption, a rate limit with a queue (a bottleneck), timed
 * partitions, and dropping datagrams that carry given frame types
 * (Aeron's loss generator); every decision comes from the seed, so a
 * run replays exactly, and every one is counted.
 *
 * Not thread-safe: one thread owns a struct kaos__chaos.
 */
#ifndef KAOS_RUDP_CHAOS_H
#define KAOS_RUDP_CHAOS_H

#include <stddef.h>
#include <stdint.h>

#define KAOS__CHAOS_PARTITIONS 8 /* timed partitions per direction */

struct kaos__chaos_config {
	uint64_t seed;
	double loss;           /* probability a datagram is dropped */
	double duplicate;      /* probability it is delivered twice */
	double reorder;        /* probability it is held back by reorder_ns more */
	uint64_t reorder_ns;
	double corrupt;        /* probability one of its bytes is changed */
	uint64_t delay_ns;     /* added to every datagram */
	uint64_t jitter_ns;    /* and a uniform extra in [0, jitter_ns) */
	uint64_t rate_bps;     /* bottleneck rate in bits/s; 0: none */
	uint64_t queue_bytes;  /* its queue: a datagram that finds it full is dropped */
	uint32_t drop_types;   /* bit t: drop datagrams carrying a frame of type t */
	uint32_t npartitions;
	struct {
		uint64_t start_ns, end_ns; /* [start, end): everything dropped */
	} partitions[KAOS__CHAOS_PARTITIONS];
};

/* What it did, datagram by datagram. Every datagram in is counted once
 * in one of the dropped_* or in delivered (its duplicate on top). */
struct kaos__chaos_stats {
	uint64_t in;
	uint64_t dropped_loss, dropped_type, dropped_partition, dropped_queue;
	uint64_t duplicated, reordered, corrupted;
	uint64_t delivered; /* handed out by kaos__chaos_pop, duplicates included */
	uint64_t held;      /* due later: in the queue now */
};

struct kaos__chaos;

/* Check @p cfg (probabilities in [0, 1], partitions ordered and
 * non-empty, a queue when there is a rate) and make an impairment:
 * 0, -EINVAL, -ENOMEM. */
int kaos__chaos_new(const struct kaos__chaos_config *cfg, struct kaos__chaos **out);
void kaos__chaos_free(struct kaos__chaos *c);

/* A datagram of @p len bytes arrives at @p now_ns (never earlier than the
 * previous call's): it is copied, or dropped. 0, or -ENOMEM (nothing
 * kept, nothing counted). */
int kaos__chaos_push(struct kaos__chaos *c, uint64_t now_ns, const void *dgram, size_t len);

/* The next datagram due at or before @p now_ns, copied into @p buf of
 * @p cap bytes: its length, 0 when none is due, -EMSGSIZE if @p cap is
 * too small (it stays queued). Due datagrams leave in due-time order,
 * those due at the same time in arrival order. */
long kaos__chaos_pop(struct kaos__chaos *c, uint64_t now_ns, void *buf, size_t cap);

/* When the next datagram is due; UINT64_MAX when none is held. */
uint64_t kaos__chaos_next_ns(const struct kaos__chaos *c);

void kaos__chaos_stats(const struct kaos__chaos *c, struct kaos__chaos_stats *out);

/* Parse a spec such as "loss=0.05,dup=0.01,delay=20ms,jitter=5ms,
 * reorder=0.02:10ms,corrupt=0.001,rate=100mbit,queue=64k,
 * drop=status+nak,partition=2s+500ms,seed=7" into @p cfg, over what it
 * holds already (keys absent from the spec keep their value). Times take
 * ns, us, ms or s; rates bit, kbit, mbit, gbit (per second); sizes k, m.
 * 0, or -EINVAL with the offending key in *@p bad (a pointer into
 * @p spec). */
int kaos__chaos_parse(const char *spec, struct kaos__chaos_config *cfg, const char **bad);

#endif /* KAOS_RUDP_CHAOS_H */
