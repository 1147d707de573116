/* SPDX-License-Identifier: MIT */
/*
 * The variable-length message ring (kaos/msgring.h): arguments and limits,
 * empty and largest messages, full ring, records of every size across many
 * laps (SP, MP, CRC), abort, the read limit, consumer and producer restart
 * on shared memory (attach, producer_init, recover), checksums, garbage
 * headers, unblocking dead claims, the wait functions, and two blocking
 * exchanges between threads (each wait has a generous timeout, so a lost
 * wake-up fails instead of hanging). Every read goes through rd(), which
 * fails at once if one read hands out a record twice.
 *
 * The bug_* cases at the end of the table are library bugs found while
 * writing these tests (each failed on the code of commit b5d8b1f); they
 * are last so that every other case has run if one of them aborts.
 * Real-thread traffic: tests/stress/stress_msgring.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#define MP KAOS_MSGRING_MP
#define CRC KAOS_MSGRING_CRC
#define SEC 1000000000ull
#define GENEROUS_NS (60 * SEC) /* a lost wake-up, not a slow machine */

static const uint32_t all_variants[] = { 0, MP, CRC, MP | CRC };
#define N_VARIANTS (sizeof(all_variants) / sizeof(all_variants[0]))

static const char *
variant_name(uint32_t flags)
{
	static const char *const names[] = { "sp", "mp", "sp+crc", "mp+crc" };
	return names[flags & 3];
}

/* ---- helpers -------------------------------------------------------------- */

/* Bytes before the payload: the header word, and the CRC word. */
static uint32_t
prefix_of(uint32_t flags)
{
	return (flags & CRC) ? 16 : 8;
}

/* Ring bytes a record of @p len payload bytes takes (before wrap padding). */
static uint64_t
rec_size(uint32_t flags, size_t len)
{
	return (prefix_of(flags) + len + 7) & ~(uint64_t)7;
}

/* Memory for a ring we lay out ourselves (init / attach). */
static void *
ring_mem(uint64_t cap, size_t *len)
{
	KAOS_ASSERT_OK(kaos_msgring_memsize(cap, len));
	size_t rounded = (*len + KAOS_CACHELINE - 1) / KAOS_CACHELINE * KAOS_CACHELINE;
	void *mem = aligned_alloc(KAOS_CACHELINE, rounded);
	KAOS_ASSERT(mem);
	return mem;
}

/* The 8-byte word at buffer index @p idx (header words). */
static _Atomic uint64_t *
word_at(const struct kaos_msgring *ring, uint64_t idx)
{
	return (_Atomic uint64_t *)(void *)(ring->ro.buf + (idx & ring->ro.mask));
}

static uint64_t
shared_tail(const struct kaos_msgring *ring)
{
	return atomic_load(&ring->ro.ctl->tail);
}

static uint64_t
shared_head(const struct kaos_msgring *ring)
{
	return atomic_load(&ring->ro.ctl->head);
}

static uint64_t
mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* Message number s of a test stream: its type, length and bytes all follow
 * from s, so a handler can check everything it is handed. Lengths favour
 * the edges (0, the largest, a few bytes); types include the largest. */
static uint32_t
msg_type(uint64_t s)
{
	uint64_t h = mix64(s);
	return h % 5 == 0 ? KAOS_MSG_TYPE_MAX : (uint32_t)(h >> 40);
}

static size_t
msg_len(uint64_t s, size_t max)
{
	uint64_t h = mix64(s ^ 0xA5A5A5A5A5ull);
	size_t small = (size_t)((h >> 8) % 17);
	switch (h % 8) {
	case 0: return 0;
	case 1: return max;
	case 2: return small < max ? small : max;
	default: return (size_t)((h >> 8) % (max + 1));
	}
}

static unsigned char
msg_byte(uint64_t s, size_t i)
{
	return (unsigned char)(mix64(s) >> (8 * (i % 8))) ^ (unsigned char)(i / 8);
}

static void
fill_msg(void *data, uint64_t s, size_t len)
{
	unsigned char *d = data;
	for (size_t i = 0; i < len; i++)
		d[i] = msg_byte(s, i);
}

struct stream {
	size_t max;    /* longest payload the writer uses */
	uint64_t next; /* number of the next message the handler expects */
};

/* Handler: the next message of the stream, exactly, 8-byte aligned. */
static void
check_msg(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct stream *st = ctx;
	uint64_t s = st->next++;
	const unsigned char *d = data;
	if ((uintptr_t)data % 8)
		KAOS_FAIL("message %" PRIu64 ": data %p not 8-byte aligned", s, data);
	if (type != msg_type(s) || len != msg_len(s, st->max))
		KAOS_FAIL("message %" PRIu64 ": type %" PRIu32 " len %zu, want type %" PRIu32
			  " len %zu", s, type, len, msg_type(s), msg_len(s, st->max));
	for (size_t i = 0; i < len; i++)
		if (d[i] != msg_byte(s, i))
			KAOS_FAIL("message %" PRIu64 " byte %zu of %zu: %u, want %u", s, i, len,
				  d[i], msg_byte(s, i));
}

/* Write message s of a stream, zero-copy (claim/commit) or by copy. */
static int
put_msg(struct kaos_msgring_producer *p, uint64_t s, size_t max, bool zero_copy)
{
	static unsigned char buf[1 << 17]; /* the largest payload of a 1 MiB ring */
	size_t len = msg_len(s, max);
	if (zero_copy) {
		void *data = NULL;
		int rc = kaos_msgring_claim(p, msg_type(s), len, &data);
		if (rc < 0)
			return rc;
		KAOS_ASSERT(data && (uintptr_t)data % 8 == 0);
		fill_msg(data, s, len);
		return kaos_msgring_commit(p);
	}
	KAOS_ASSERT_LE(len, sizeof(buf));
	fill_msg(buf, s, len);
	return kaos_msgring_write(p, msg_type(s), buf, len);
}

/* Handler that notes what it is handed: count, and the last few messages'
 * type, length and first 8 payload bytes (0-padded). */
#define NOTE_MAX 16
struct seen {
	uint64_t n;
	uint32_t type[NOTE_MAX];
	size_t len[NOTE_MAX];
	uint64_t first[NOTE_MAX];
};

static void
note(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct seen *s = ctx;
	size_t i = s->n++ % NOTE_MAX;
	KAOS_ASSERT((uintptr_t)data % 8 == 0);
	s->type[i] = type;
	s->len[i] = len;
	s->first[i] = 0;
	memcpy(&s->first[i], data, len < 8 ? len : 8);
}

/* Every read in this file goes through rd() / rd_wait(): the handler is
 * wrapped by one that fails at once if a single read hands out the same
 * record twice or more than a ring's worth of records (it went round the
 * ring), instead of looping on or zeroing past the buffer afterwards. */
struct guard {
	const struct kaos_msgring *ring;
	kaos_msg_handler_fn fn;
	void *ctx;
	const void *first; /* data of the first record of this read */
	uint64_t bytes;    /* record bytes handed out by this read */
};

static void
guarded(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct guard *g = ctx;
	const struct kaos_msgring *r = g->ring;
	if (g->first == data)
		KAOS_FAIL("one read handed out the record at buffer offset %td twice"
			  " (%" PRIu64 " record bytes, capacity %" PRIu64 ")",
			  (const unsigned char *)data - prefix_of(r->ro.flags) - r->ro.buf,
			  g->bytes, r->ro.capacity);
	if (!g->first)
		g->first = data;
	g->bytes += rec_size(r->ro.flags, len);
	if (g->bytes > r->ro.capacity)
		KAOS_FAIL("one read handed out %" PRIu64 " record bytes from a ring of %" PRIu64,
			  g->bytes, r->ro.capacity);
	g->fn(type, data, len, g->ctx);
}

static int64_t
rd(struct kaos_msgring *ring, kaos_msg_handler_fn fn, void *ctx, uint64_t limit)
{
	struct guard g = { ring, fn, ctx, NULL, 0 };
	return kaos_msgring_read(ring, guarded, &g, limit);
}

static int64_t
rd_wait(struct kaos_msgring *ring, kaos_msg_handler_fn fn, void *ctx, uint64_t limit,
	const struct kaos_wait *how)
{
	struct guard g = { ring, fn, ctx, NULL, 0 };
	return kaos_msgring_read_wait(ring, guarded, &g, limit, how);
}

/* Write one message and return the buffer index of its header (for the
 * tests that poke at records); checks the header word's documented
 * layout: record length (header, CRC word, payload) low, type high. */
static uint64_t
write_at(struct kaos_msgring_producer *p, uint32_t type, const void *src, size_t len)
{
	struct kaos_msgring *ring = p->ring;
	uint64_t at = shared_tail(ring);
	KAOS_ASSERT(kaos_msgring_capacity(ring) - (at & ring->ro.mask) >=
		    rec_size(ring->ro.flags, len)); /* no wrap padding */
	KAOS_ASSERT_OK(kaos_msgring_write(p, type, src, len));
	uint64_t w = atomic_load(word_at(ring, at));
	KAOS_ASSERT_UEQ(w, (uint64_t)type << 32 | (prefix_of(ring->ro.flags) + len));
	return at & ring->ro.mask;
}

/* ---- arguments ------------------------------------------------------------- */

static void
memsize_rejects_bad_capacities(void)
{
	size_t sz;
	const uint64_t bad[] = { 0, 1, 8, 128, 255, 257, 3000, 4097,
				 KAOS_MSGRING_MAX_CAPACITY + 1, KAOS_MSGRING_MAX_CAPACITY * 2,
				 1ull << 40, UINT64_MAX };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		KAOS_ASSERT_EQ(kaos_msgring_memsize(bad[i], &sz), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_memsize(256, NULL), -EINVAL);

	KAOS_ASSERT_OK(kaos_msgring_memsize(256, &sz));
	KAOS_ASSERT_UEQ(sz, sizeof(struct kaos__ring_ctl) + 256);
	KAOS_ASSERT_OK(kaos_msgring_memsize(KAOS_MSGRING_MAX_CAPACITY, &sz));
	KAOS_ASSERT_UEQ(sz, sizeof(struct kaos__ring_ctl) + KAOS_MSGRING_MAX_CAPACITY);
}

static void
init_and_attach_reject_bad_arguments(void)
{
	int (*const setups[])(struct kaos_msgring *, void *, size_t, uint64_t, uint32_t) = {
		kaos_msgring_init, kaos_msgring_attach
	};
	size_t need;
	unsigned char *mem = ring_mem(4096, &need);
	/* room for every capacity tried below, and a misaligned start */
	unsigned char *big = aligned_alloc(KAOS_CACHELINE, 1 << 16);
	KAOS_ASSERT(big);
	for (size_t k = 0; k < 2; k++) {
		struct kaos_msgring r;
		int (*setup)(struct kaos_msgring *, void *, size_t, uint64_t, uint32_t) = setups[k];
		KAOS_ASSERT_EQ(setup(&r, big, 1 << 16, 0, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, big, 1 << 16, 128, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, big, 1 << 16, 255, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, big, 1 << 16, 1000, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, big, 1 << 16, KAOS_MSGRING_MAX_CAPACITY * 2, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, big + 8, 1 << 15, 4096, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, big + KAOS_CACHELINE / 2, 1 << 15, 4096, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, NULL, need, 4096, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(NULL, mem, need, 4096, 0), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, mem, need - 1, 4096, 0), -ENOBUFS);
		KAOS_ASSERT_EQ(setup(&r, big, 1 << 16, 1 << 20, 0), -ENOBUFS);
		KAOS_ASSERT_EQ(setup(&r, mem, 0, 4096, 0), -ENOBUFS);
		KAOS_ASSERT_EQ(setup(&r, mem, need, 4096, 1u << 2), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, mem, need, 4096, 1u << 31), -EINVAL);
		KAOS_ASSERT_EQ(setup(&r, mem, need, 4096, MP | CRC | 8), -EINVAL);
		for (size_t v = 0; v < N_VARIANTS; v++) {
			KAOS_ASSERT_OK(setup(&r, mem, need, 4096, all_variants[v]));
			KAOS_ASSERT_UEQ(kaos_msgring_capacity(&r), 4096);
		}
	}
	struct kaos_msgring r;
	KAOS_ASSERT_EQ(kaos_msgring_create(&r, 255, 0, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_create(&r, 0, 0, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_create(&r, 4096, 4, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_create(NULL, 4096, 0, KAOS_MEM_HEAP), -EINVAL);
	free(big);
	free(mem);
}

/* Init must not rely on zeroed memory, and destroy must leave caller
 * memory alone but clear the handle. */
static void
init_on_dirty_memory_and_destroy(void)
{
	size_t need;
	unsigned char *mem = ring_mem(256, &need);
	memset(mem, 0x5a, need);
	struct kaos_msgring r;
	struct kaos_msgring_producer p;
	struct seen s = { 0 };
	KAOS_ASSERT_OK(kaos_msgring_init(&r, mem, need, 256, 0));
	KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 0);
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
	for (uint64_t i = 0; i < 100; i++) { /* a dozen laps */
		KAOS_ASSERT_OK(kaos_msgring_write(&p, 3, &i, sizeof(i)));
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
		KAOS_ASSERT_UEQ(s.first[i % NOTE_MAX], i);
	}
	kaos_msgring_destroy(&r); /* must not free our memory */
	KAOS_ASSERT(r.ro.ctl == NULL);
	KAOS_ASSERT_EQ(kaos_msgring_producer_init(&p, &r, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_producer_init(NULL, &r, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_producer_init(&p, NULL, 0), -EINVAL);
	kaos_msgring_destroy(NULL);
	free(mem);
}

/* ---- claims: sizes, types, state ----------------------------------------------- */

static void
claim_limits_and_state(void)
{
	const uint64_t caps[] = { 256, 4096, 1 << 20 };
	for (size_t c = 0; c < 3; c++) {
		for (size_t v = 0; v < N_VARIANTS; v++) {
			uint64_t cap = caps[c];
			uint32_t flags = all_variants[v];
			struct kaos_msgring r;
			struct kaos_msgring_producer p;
			void *data = NULL;
			KAOS_ASSERT_OK(kaos_msgring_create(&r, cap, flags, KAOS_MEM_HEAP));
			KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 1));
			size_t max = kaos_msgring_max_payload(&r);
			KAOS_ASSERT_UEQ(max, cap / 8 - prefix_of(flags));

			/* too big, in every way, and nothing left claimed */
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 1, max + 1, &data), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 1, max + 8, &data), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 1, cap / 8, &data), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 1, cap, &data), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 1, SIZE_MAX, &data), -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_msgring_write(&p, 1, &r, max + 1), -KAOS_ETOOBIG);
			struct kaos_wait spin = { .kind = KAOS_WAIT_SPIN, .timeout_ns = SEC };
			KAOS_ASSERT_EQ(kaos_msgring_claim_wait(&p, 1, max + 1, &data, &spin),
				       -KAOS_ETOOBIG);
			KAOS_ASSERT_EQ(kaos_msgring_commit(&p), -EINVAL);

			/* the padding type is not the user's */
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, KAOS_MSG_PADDING, 8, &data), -EINVAL);
			KAOS_ASSERT_EQ(kaos_msgring_write(&p, KAOS_MSG_PADDING, "x", 1), -EINVAL);
			KAOS_ASSERT_EQ(kaos_msgring_abort(&p), -EINVAL);
			KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);

			/* exactly the largest payload, with the largest type: a
			 * stream message of that shape, so the reader checks it */
			struct stream st = { .max = max };
			while (msg_len(st.next, max) != max || msg_type(st.next) != KAOS_MSG_TYPE_MAX)
				st.next++;
			KAOS_ASSERT_OK(kaos_msgring_claim(&p, KAOS_MSG_TYPE_MAX, max, &data));
			KAOS_ASSERT((uintptr_t)data % 8 == 0);
			fill_msg(data, st.next, max);
			/* one claim at a time */
			void *other = NULL;
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 1, 8, &other), -EINVAL);
			KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 1, max + 1, &other), -EINVAL);
			KAOS_ASSERT_EQ(kaos_msgring_write(&p, 1, "x", 1), -EINVAL);
			KAOS_ASSERT_EQ(kaos_msgring_claim_wait(&p, 1, 8, &other, &spin), -EINVAL);
			KAOS_ASSERT(other == NULL);
			KAOS_ASSERT_OK(kaos_msgring_commit(&p));
			KAOS_ASSERT_EQ(kaos_msgring_commit(&p), -EINVAL);
			KAOS_ASSERT_EQ(kaos_msgring_abort(&p), -EINVAL);
			KAOS_ASSERT_UEQ(kaos_msgring_used(&r), cap / 8);

			KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 1);
			/* and by copy */
			KAOS_ASSERT_OK(put_msg(&p, st.next, max, false));
			KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 1);
			KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
			kaos_msgring_destroy(&r);
		}
	}
	/* a fresh producer has nothing to commit or abort */
	struct kaos_msgring r;
	struct kaos_msgring_producer p;
	KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, 0, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
	KAOS_ASSERT_EQ(kaos_msgring_commit(&p), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_abort(&p), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_abort(NULL), -EINVAL);
	kaos_msgring_destroy(&r);
}

static void
empty_messages_are_delivered(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		void *data = NULL;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, flags, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		KAOS_ASSERT_OK(kaos_msgring_write(&p, 9, NULL, 0));
		KAOS_ASSERT_OK(kaos_msgring_claim(&p, 0, 0, &data));
		KAOS_ASSERT(data != NULL && (uintptr_t)data % 8 == 0);
		KAOS_ASSERT_OK(kaos_msgring_commit(&p));
		KAOS_ASSERT_OK(kaos_msgring_write(&p, KAOS_MSG_TYPE_MAX, "ignored", 0));
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 3 * prefix_of(flags));
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 3);
		KAOS_ASSERT_UEQ(s.type[0], 9);
		KAOS_ASSERT_UEQ(s.type[1], 0);
		KAOS_ASSERT_UEQ(s.type[2], KAOS_MSG_TYPE_MAX);
		for (int i = 0; i < 3; i++)
			KAOS_ASSERT_UEQ(s.len[i], 0);
		/* a ring full of empty messages, across the wrap */
		for (int lap = 0; lap < 3; lap++) {
			uint64_t n = 0;
			while (kaos_msgring_write(&p, 5, NULL, 0) == 0)
				n++;
			KAOS_ASSERT_UEQ(n, 256 / prefix_of(flags));
			s.n = 0;
			KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), (int64_t)n);
		}
		kaos_msgring_destroy(&r);
	}
}

/* ---- full, used, limit ------------------------------------------------------------ */

static void
full_ring_then_space_after_a_read(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		void *data;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, flags, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		size_t max = kaos_msgring_max_payload(&r); /* 24, or 16 with CRC: 32 bytes */
		unsigned char buf[32];
		for (uint64_t i = 0; i < 8; i++) {
			memset(buf, (int)i, sizeof(buf));
			KAOS_ASSERT_OK(kaos_msgring_write(&p, (uint32_t)i, buf, max));
		}
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 256);
		KAOS_ASSERT_EQ(kaos_msgring_write(&p, 8, NULL, 0), -KAOS_EFULL);
		KAOS_ASSERT_EQ(kaos_msgring_claim(&p, 8, 0, &data), -KAOS_EFULL);
		KAOS_ASSERT_EQ(kaos_msgring_write(&p, 8, NULL, 0), -KAOS_EFULL); /* stays full */
		KAOS_ASSERT_EQ(kaos_msgring_commit(&p), -EINVAL); /* a full claim opens nothing */

		KAOS_ASSERT_EQ(rd(&r, note, &s, 1), 1);
		KAOS_ASSERT_UEQ(s.type[0], 0);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 224);
		/* one record's room came back, at the start of the buffer */
		memset(buf, 8, sizeof(buf));
		KAOS_ASSERT_OK(kaos_msgring_write(&p, 8, buf, max));
		KAOS_ASSERT_EQ(kaos_msgring_write(&p, 9, NULL, 0), -KAOS_EFULL);
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 8);
		for (uint64_t i = 1; i <= 8; i++) {
			KAOS_ASSERT_UEQ(s.type[i], i);
			KAOS_ASSERT_UEQ(s.len[i], max);
			KAOS_ASSERT_UEQ(s.first[i], i * 0x0101010101010101ull);
		}
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 0);
		kaos_msgring_destroy(&r);
	}
}

/* used(): committed and (multi-producer) claimed bytes, padding included,
 * until read. */
static void
used_counts_bytes_until_read(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		uint32_t pre = prefix_of(flags);
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		void *data;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, flags, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		KAOS_ASSERT_OK(kaos_msgring_write(&p, 1, "abc", 3));
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), rec_size(flags, 3));
		KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 16, &data));
		/* an open claim counts in a multi-producer ring only (the
		 * shared tail moved) */
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r),
				rec_size(flags, 3) + ((flags & MP) ? rec_size(flags, 16) : 0));
		KAOS_ASSERT_OK(kaos_msgring_commit(&p));
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), rec_size(flags, 3) + rec_size(flags, 16));
		KAOS_ASSERT_EQ(rd(&r, note, &s, 1), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), rec_size(flags, 16));
		KAOS_ASSERT_EQ(rd(&r, note, &s, 1), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);

		/* move to 8 bytes before the end: the next record needs 8
		 * bytes of padding, which count as used */
		static const unsigned char zeros[32];
		uint64_t at = shared_tail(&r);
		while (at % 256 != 248) {
			size_t len = 256 - at % 256 - 8 >= 32 ? 32 - pre : 0;
			KAOS_ASSERT_OK(kaos_msgring_write(&p, 2, zeros, len));
			at += rec_size(flags, len);
			KAOS_ASSERT_UEQ(shared_tail(&r), at);
		}
		KAOS_ASSERT_GE(rd(&r, note, &s, UINT64_MAX), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		KAOS_ASSERT_OK(kaos_msgring_write(&p, 3, "0123456789", 10));
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 8 + rec_size(flags, 10));
		s.n = 0;
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
		KAOS_ASSERT_UEQ(s.type[0], 3);
		KAOS_ASSERT_UEQ(s.len[0], 10);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		kaos_msgring_destroy(&r);
	}
}

static void
read_limit_counts_messages_not_padding(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, flags, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		size_t max = kaos_msgring_max_payload(&r);
		struct stream st = { .max = max };
		for (uint64_t i = 0; i < 10; i++)
			KAOS_ASSERT_OK(put_msg(&p, i, max, i % 2));
		uint64_t used = kaos_msgring_used(&r);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, 0), 0);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), used); /* nothing consumed */
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, 1), 1);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, 3), 3);
		KAOS_ASSERT_UEQ(st.next, 4);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, 100), 6);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 0);
		KAOS_ASSERT_UEQ(st.next, 10);
		kaos_msgring_destroy(&r);

		/* a small ring: every read of 1 delivers exactly one message,
		 * skipping the wrap padding in between */
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, flags, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		uint64_t written = 0;
		st = (struct stream){ .max = kaos_msgring_max_payload(&r) };
		for (int round = 0; round < 200; round++) {
			while (put_msg(&p, written, st.max, round % 2) == 0)
				written++;
			uint64_t before = st.next;
			KAOS_ASSERT_EQ(rd(&r, check_msg, &st, 1), 1);
			KAOS_ASSERT_UEQ(st.next, before + 1);
		}
		while (rd(&r, check_msg, &st, 1) == 1)
			;
		KAOS_ASSERT_UEQ(st.next, written);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		kaos_msgring_destroy(&r);
	}
}

/* ---- records of every size across many laps -------------------------------------- */

/* Bursts of writes (often until full) from one or two producers, zero-copy
 * and by copy, and reads with random limits. Checks every delivered
 * message, that the shared tail moves by exactly the record (plus the wrap
 * padding), and that a write fails with -KAOS_EFULL exactly when it cannot
 * fit. */
static void
wrap_case(uint64_t cap, uint32_t flags)
{
	struct kaos_msgring r;
	struct kaos_msgring_producer prod[2];
	KAOS_ASSERT_OK(kaos_msgring_create(&r, cap, flags, KAOS_MEM_HEAP));
	int np = (flags & MP) ? 2 : 1;
	for (int i = 0; i < np; i++)
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&prod[i], &r, (uint32_t)i));
	struct stream st = { .max = kaos_msgring_max_payload(&r) };
	uint64_t seed = cap * 31 + flags + 1, written = 0, tail = 0, fulls = 0;
	while (tail < 100 * cap) {
		for (uint64_t k = 1 + kaos_test_rand(&seed) % 48; k; k--) {
			uint64_t rec = rec_size(flags, msg_len(written, st.max));
			uint64_t idx = tail % cap;
			uint64_t need = (cap - idx < rec ? cap - idx : 0) + rec;
			uint64_t space = cap - (tail - shared_head(&r));
			int rc = put_msg(&prod[written % (uint64_t)np], written, st.max,
					 kaos_test_rand(&seed) & 1);
			if (rc == -KAOS_EFULL) {
				KAOS_ASSERT_GT(need, space); /* full only when it cannot fit */
				fulls++;
				break;
			}
			KAOS_ASSERT_OK(rc);
			KAOS_ASSERT_LE(need, space);
			tail += need;
			written++;
			KAOS_ASSERT_UEQ(shared_tail(&r), tail);
			KAOS_ASSERT_UEQ(kaos_msgring_used(&r), tail - shared_head(&r));
		}
		uint64_t x = kaos_test_rand(&seed);
		uint64_t limit = x % 3 == 0 ? UINT64_MAX : 1 + (x >> 8) % 8;
		uint64_t before = st.next;
		int64_t n = rd(&r, check_msg, &st, limit);
		KAOS_ASSERT_GE(n, 0);
		KAOS_ASSERT((uint64_t)n <= limit);
		KAOS_ASSERT_UEQ(st.next - before, (uint64_t)n);
		if (limit == UINT64_MAX) /* everything committed is delivered */
			KAOS_ASSERT_UEQ(st.next, written);
	}
	while (rd(&r, check_msg, &st, UINT64_MAX) > 0)
		;
	KAOS_ASSERT_UEQ(st.next, written);
	KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
	KAOS_ASSERT_GT(fulls, 0);
	KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 0);
	printf("  %-6s cap %-6" PRIu64 ": %6" PRIu64 " messages over 100 laps, full %" PRIu64
	       " times\n", variant_name(flags), cap, written, fulls);
	kaos_msgring_destroy(&r);
}

static void
wrap_every_size_many_laps(void)
{
	const uint64_t caps[] = { 256, 4096, 65536 };
	for (size_t c = 0; c < 3; c++)
		for (size_t v = 0; v < N_VARIANTS; v++)
			wrap_case(caps[c], all_variants[v]);
}

/* ---- abort ---------------------------------------------------------------------- */

/* Claims given up at every position, across the wrap: nothing of them is
 * delivered and the messages around them are. A multi-producer claim is
 * written into before the abort (its space becomes padding); a
 * single-producer one is not (see bug_sp_abort_leaves_payload_in_the_ring). */
static void
abort_delivers_nothing(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		struct kaos_msgring r;
		struct kaos_msgring_producer p, q;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, flags, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&q, &r, 1));
		struct kaos_msgring_producer *other = (flags & MP) ? &q : &p;
		struct stream st = { .max = kaos_msgring_max_payload(&r) };
		uint64_t seed = 99 + flags, written = 0, aborted = 0;

		/* the simplest case first: claim, abort, nothing to read */
		void *data;
		KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 10, &data));
		if (flags & MP)
			memset(data, 0x11, 10);
		KAOS_ASSERT_OK(kaos_msgring_abort(&p));
		KAOS_ASSERT_EQ(kaos_msgring_abort(&p), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_commit(&p), -EINVAL);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 0);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);

		for (int round = 0; round < 600; round++) {
			uint64_t x = kaos_test_rand(&seed);
			if (x % 3 == 0) {
				size_t len = (size_t)((x >> 8) % (st.max + 1));
				int rc = kaos_msgring_claim(&p, 7, len, &data);
				if (rc == 0) {
					if (flags & MP) /* scribble: the padding hides it */
						memset(data, 0x01, len);
					KAOS_ASSERT_OK(kaos_msgring_abort(&p));
					aborted++;
				} else {
					KAOS_ASSERT_EQ(rc, -KAOS_EFULL);
				}
			} else {
				struct kaos_msgring_producer *w = x % 3 == 1 ? &p : other;
				if (put_msg(w, written, st.max, (x >> 4) & 1) == 0)
					written++;
			}
			if ((x >> 12) % 4 == 0)
				KAOS_ASSERT_GE(rd(&r, check_msg, &st,
								 1 + (x >> 16) % 4), 0);
		}
		while (rd(&r, check_msg, &st, UINT64_MAX) > 0)
			;
		KAOS_ASSERT_UEQ(st.next, written);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		KAOS_ASSERT_GT(aborted, 50);
		kaos_msgring_destroy(&r);
	}
}

/* ---- restart: a second handle on the same memory ------------------------------------ */

/* Rounds of writes and reads on a small ring in our own memory; now and
 * then the consumer restarts (attach: a new handle continues at the shared
 * head) or the producer does (producer_init continues at the shared tail).
 * The stream checker sees every message exactly once, in order. */
static void
attach_and_producer_init_continue(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		size_t len;
		void *mem = ring_mem(256, &len);
		/* three handles on the memory: the consumer's, the producer's,
		 * and a spare that the next restart attaches */
		struct kaos_msgring handles[3], *tmp;
		struct kaos_msgring *cons = &handles[0], *prod_ring = &handles[1];
		struct kaos_msgring *spare = &handles[2];
		struct kaos_msgring_producer p;
		KAOS_ASSERT_OK(kaos_msgring_init(cons, mem, len, 256, flags));
		KAOS_ASSERT_OK(kaos_msgring_attach(prod_ring, mem, len, 256, flags));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, prod_ring, 0));
		struct stream st = { .max = kaos_msgring_max_payload(cons) };
		uint64_t seed = 7 + flags, written = 0, restarts = 0;
		for (int round = 1; round <= 300; round++) {
			uint64_t x = kaos_test_rand(&seed);
			for (uint64_t k = x % 12; k; k--) {
				int rc = put_msg(&p, written, st.max, k & 1);
				if (rc == -KAOS_EFULL)
					break;
				KAOS_ASSERT_OK(rc);
				written++;
			}
			KAOS_ASSERT_GE(rd(cons, check_msg, &st,
							 1 + (x >> 8) % 6), 0);
			uint64_t used = kaos_msgring_used(cons);
			if (round % 3 == 0) { /* the consumer restarts */
				memset(spare, 0xee, sizeof(*spare));
				KAOS_ASSERT_OK(kaos_msgring_attach(spare, mem, len, 256, flags));
				KAOS_ASSERT_OK(kaos_msgring_recover(spare)); /* nothing to finish */
				tmp = cons, cons = spare, spare = tmp;
				restarts++;
			}
			if (round % 4 == 0) { /* the producer restarts */
				memset(spare, 0xee, sizeof(*spare));
				KAOS_ASSERT_OK(kaos_msgring_attach(spare, mem, len, 256, flags));
				memset(&p, 0xee, sizeof(p));
				KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, spare, (uint32_t)round));
				tmp = prod_ring, prod_ring = spare, spare = tmp;
				restarts++;
			}
			/* attaching changes nothing in the ring */
			KAOS_ASSERT_UEQ(kaos_msgring_used(cons), used);
		}
		while (rd(cons, check_msg, &st, UINT64_MAX) > 0)
			;
		KAOS_ASSERT_UEQ(st.next, written);
		KAOS_ASSERT_UEQ(kaos_msgring_used(cons), 0);
		KAOS_ASSERT_GT(written, 500);
		KAOS_ASSERT_UEQ(restarts, 100 + 75);
		free(mem);
	}
}

/* A producer restarting on a ring that is exactly full (nothing free to
 * clean or write into) and on one that is empty: it continues at the
 * tail, and nothing is lost or repeated. */
static void
producer_restart_on_a_full_ring(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		size_t len;
		void *mem = ring_mem(256, &len);
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		uint64_t msg[4] = { 0 }, n = 0;
		struct seen s = { 0 };
		KAOS_ASSERT_OK(kaos_msgring_init(&r, mem, len, 256, flags));
		for (int lap = 0; lap < 3; lap++) {
			KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
			while (kaos_msgring_write(&p, 1, msg, 32 - prefix_of(flags)) == 0)
				msg[0] = ++n;
			KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 256);
			KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 1)); /* full */
			KAOS_ASSERT_EQ(kaos_msgring_write(&p, 1, msg, 8), -KAOS_EFULL);
			KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 256);
			KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 8);
			KAOS_ASSERT_UEQ(s.first[(s.n - 1) % NOTE_MAX], n - 1);
			KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 2)); /* empty */
			KAOS_ASSERT_OK(kaos_msgring_write(&p, 1, msg, 32 - prefix_of(flags)));
			KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
			KAOS_ASSERT_UEQ(s.first[(s.n - 1) % NOTE_MAX], n);
			msg[0] = ++n;
		}
		KAOS_ASSERT_UEQ(s.n, 27);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		free(mem);
	}
}

/* A consumer that died inside a release, after storing how far it read
 * (ctl->read) and before zeroing and storing head: its successor attaches
 * and recovers, which finishes the zeroing and continues after what was
 * already handed out. Simulated by storing ctl->read by hand. */
static void
recover_finishes_an_interrupted_release(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		size_t len;
		void *mem = ring_mem(4096, &len);
		struct kaos_msgring r, r2;
		struct kaos_msgring_producer p;
		KAOS_ASSERT_OK(kaos_msgring_init(&r, mem, len, 4096, flags));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		struct stream st = { .max = kaos_msgring_max_payload(&r) };
		uint64_t at[7];
		for (uint64_t i = 0; i < 6; i++) {
			at[i] = shared_tail(&r);
			KAOS_ASSERT_OK(put_msg(&p, i, st.max, i % 2));
		}
		at[6] = shared_tail(&r);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, 2), 2);
		/* messages 2 and 3 handed out, then death */
		atomic_store(&r.ro.ctl->read, at[4]);
		st.next = 4;

		KAOS_ASSERT_EQ(kaos_msgring_recover(NULL), -EINVAL);
		KAOS_ASSERT_OK(kaos_msgring_attach(&r2, mem, len, 4096, flags));
		KAOS_ASSERT_OK(kaos_msgring_recover(&r2));
		KAOS_ASSERT_UEQ(shared_head(&r2), at[4]);
		for (uint64_t i = at[2]; (flags & MP) && i < at[4]; i++)
			KAOS_ASSERT_EQ(r2.ro.buf[i % 4096], 0); /* zeroed for the producers */
		KAOS_ASSERT_EQ(rd(&r2, check_msg, &st, UINT64_MAX), 2);
		KAOS_ASSERT_UEQ(st.next, 6);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r2), 0);
		/* recovering again, or a healthy ring, changes nothing */
		KAOS_ASSERT_OK(kaos_msgring_recover(&r2));
		KAOS_ASSERT_OK(put_msg(&p, 6, st.max, true));
		KAOS_ASSERT_EQ(rd(&r2, check_msg, &st, UINT64_MAX), 1);

		/* positions no consumer can have stored */
		atomic_store(&r.ro.ctl->read, shared_head(&r) + 4096 + 8);
		KAOS_ASSERT_OK(kaos_msgring_attach(&r2, mem, len, 4096, flags));
		KAOS_ASSERT_EQ(kaos_msgring_recover(&r2), -KAOS_ECORRUPT);
		free(mem);
	}
}

/* ---- checksums and garbage ------------------------------------------------------------ */

/* One flipped bit in a committed record: the read delivers what came
 * before, the next read drops the record (-KAOS_ECORRUPT, counted), and
 * later records are delivered. The CRC covers the payload, the header's
 * type and the CRC word itself. */
static void
crc_catches_a_flipped_byte(void)
{
	const uint32_t variants[] = { CRC, MP | CRC };
	for (size_t v = 0; v < 2; v++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		unsigned char pay[200];
		for (size_t i = 0; i < sizeof(pay); i++)
			pay[i] = (unsigned char)(i * 7 + 1);
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, variants[v], KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));

		/* a payload byte, behind a good record */
		write_at(&p, 1, pay, 40);
		uint64_t bad = write_at(&p, 2, pay, 100);
		write_at(&p, 3, pay, 0);
		write_at(&p, 4, pay, 7);
		r.ro.buf[bad + 16 + 50] ^= 0x08;
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
		KAOS_ASSERT_UEQ(s.type[0], 1);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 0);
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), -KAOS_ECORRUPT);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 1);
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 2);
		KAOS_ASSERT_UEQ(s.n, 3);
		KAOS_ASSERT_UEQ(s.type[1], 3);
		KAOS_ASSERT_UEQ(s.type[2], 4);
		KAOS_ASSERT_UEQ(s.len[2], 7);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);

		/* the first record at the read position: dropped at once */
		bad = write_at(&p, 5, pay, 24);
		write_at(&p, 6, pay, 24);
		r.ro.buf[bad + 16] ^= 0x80;
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), -KAOS_ECORRUPT);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 2);
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
		KAOS_ASSERT_UEQ(s.type[3], 6);

		/* the header's type (still a valid header: only the CRC tells) */
		bad = write_at(&p, 8, pay, 16);
		atomic_fetch_xor(word_at(&r, bad), 1ull << 32);
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), -KAOS_ECORRUPT);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 3);

		/* the CRC word of an empty message, seen through read_wait */
		bad = write_at(&p, 9, pay, 0);
		write_at(&p, 10, pay, 1);
		r.ro.buf[bad + 8] ^= 0x01;
		struct kaos_wait spin = { .kind = KAOS_WAIT_SPIN, .timeout_ns = SEC };
		KAOS_ASSERT_EQ(rd_wait(&r, note, &s, UINT64_MAX, &spin),
			       -KAOS_ECORRUPT);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 4);
		KAOS_ASSERT_EQ(rd_wait(&r, note, &s, UINT64_MAX, &spin), 1);
		KAOS_ASSERT_UEQ(s.type[4], 10);
		KAOS_ASSERT_UEQ(s.first[4], pay[0]);
		KAOS_ASSERT_UEQ(s.n, 5);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		kaos_msgring_destroy(&r);
	}
}

/* A header no producer can have written stops the ring: every read
 * returns -KAOS_ECORRUPT, nothing behind it is delivered, nothing is
 * counted as a dropped record. */
static void
garbage_header_stops_the_ring(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		uint32_t flags = all_variants[v];
		for (int kind = 0; kind < 4; kind++) {
			struct kaos_msgring r;
			struct kaos_msgring_producer p;
			struct seen s = { 0 };
			KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, flags, KAOS_MEM_HEAP));
			KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
			const uint64_t max_record = 256 / 8;
			const uint64_t garbage[] = {
				(uint64_t)5 << 32 | (max_record + 8),           /* too long */
				(uint64_t)5 << 32 | (prefix_of(flags) - 4),     /* shorter than its prefix */
				(uint64_t)KAOS_MSG_PADDING << 32 | 256,         /* padding past the end */
				(uint64_t)5 << 32 | 24,                         /* a record past the end */
			};
			size_t glen = kind == 3 ? 0 : 4;
			if (kind == 3) /* the good record ends 16 bytes before the end */
				while (shared_tail(&r) < 240 - rec_size(flags, glen))
					KAOS_ASSERT_OK(kaos_msgring_write(&p, 1, NULL, 0));
			if (shared_tail(&r)) {
				KAOS_ASSERT_GT(rd(&r, note, &s, UINT64_MAX), 0);
				s.n = 0;
			}
			uint64_t at = write_at(&p, 1, "good", glen) + rec_size(flags, glen);
			atomic_store(word_at(&r, at), garbage[kind]);
			/* A single-producer reader stops at the tail: make the
			 * garbage look committed, as a damaged ring would. */
			if (!(flags & MP))
				atomic_store(&r.ro.ctl->tail, at + 8);
			KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
			KAOS_ASSERT_UEQ(s.type[0], 1);
			for (int i = 0; i < 3; i++)
				KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX),
					       -KAOS_ECORRUPT);
			KAOS_ASSERT_UEQ(s.n, 1);
			KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 0);
			kaos_msgring_destroy(&r);
		}
	}
}

/* ---- unblocking dead claims ------------------------------------------------------- */

struct alive_log {
	bool answer;
	uint64_t calls;
	uint32_t owner;
	uint64_t pos;
};

static bool
alive_fn(uint32_t owner, uint64_t pos, void *ctx)
{
	struct alive_log *log = ctx;
	log->calls++;
	log->owner = owner;
	log->pos = pos;
	return log->answer;
}

/* A multi-producer ring where producer A (owner 7) claimed 100 bytes and
 * died while writing them, and producer B wrote stream messages 0 and 1
 * behind it. */
static void
dead_claim_setup(struct kaos_msgring *r, struct kaos_msgring_producer *b, uint32_t flags,
		 struct stream *st)
{
	struct kaos_msgring_producer a;
	void *data;
	KAOS_ASSERT_OK(kaos_msgring_create(r, 4096, flags, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&a, r, 7));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(b, r, 8));
	*st = (struct stream){ .max = kaos_msgring_max_payload(r) };
	KAOS_ASSERT_OK(kaos_msgring_claim(&a, 1, 100, &data));
	memset(data, 0x5a, 60); /* A dies here */
	KAOS_ASSERT_OK(put_msg(b, 0, st->max, true));
	KAOS_ASSERT_OK(put_msg(b, 1, st->max, false));
	KAOS_ASSERT_EQ(rd(r, check_msg, st, UINT64_MAX), 0);
}

static void
unblock_turns_a_dead_claim_into_padding(void)
{
	const uint32_t variants[] = { MP, MP | CRC };
	for (size_t v = 0; v < 2; v++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer b;
		struct stream st;
		dead_claim_setup(&r, &b, variants[v], &st);
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0); /* starts the clock */
		KAOS_ASSERT_EQ(kaos_msgring_unblocked(&r), 0);
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 1);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 2);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		/* nothing is stuck now; traffic goes on */
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
		for (uint64_t i = 2; i < 200; i++) {
			KAOS_ASSERT_OK(put_msg(&b, i, st.max, i % 2));
			KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 1);
			KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
		}
		KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_corrupt(&r), 0);
		kaos_msgring_destroy(&r);
	}
}

static void
unblock_waits_for_the_timeout(void)
{
	struct kaos_msgring r;
	struct kaos_msgring_producer b;
	struct stream st;
	dead_claim_setup(&r, &b, MP, &st);
	for (int i = 0; i < 5; i++)
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 3600 * SEC), 0);
	KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 0);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 0);
	KAOS_ASSERT_UEQ(st.next, 0);
	kaos_msgring_destroy(&r);
}

static void
unblock_spares_a_live_claimer(void)
{
	struct kaos_msgring r;
	struct kaos_msgring_producer b;
	struct stream st;
	struct alive_log log = { .answer = true };
	dead_claim_setup(&r, &b, MP, &st);
	kaos_msgring_set_alive_fn(&r, alive_fn, &log);
	for (int i = 0; i < 5; i++)
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_GE(log.calls, 1);
	KAOS_ASSERT_UEQ(log.owner, 7); /* asked about the claimer */
	KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 0);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 0);
	/* now it has died */
	log.answer = false;
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 1);
	KAOS_ASSERT_UEQ(log.owner, 7);
	KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 2);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 1);
	kaos_msgring_set_alive_fn(NULL, alive_fn, &log); /* ignored */
	kaos_msgring_destroy(&r);
}

/* A claimer that died between its claim (the tail moved) and writing its
 * header leaves zeroed bytes; the unblocker finds the next header behind
 * them. */
static void
unblock_claim_that_died_before_its_header(void)
{
	const uint32_t variants[] = { MP, MP | CRC };
	for (size_t v = 0; v < 2; v++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer b;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, variants[v], KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&b, &r, 8));
		struct stream st = { .max = kaos_msgring_max_payload(&r) };
		atomic_fetch_add(&r.ro.ctl->tail, rec_size(variants[v], 200)); /* the dead claim */
		KAOS_ASSERT_OK(put_msg(&b, 0, st.max, true));
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 0);
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 1);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);

		/* nobody behind it yet: nothing to unblock until somebody is */
		atomic_fetch_add(&r.ro.ctl->tail, rec_size(variants[v], 50));
		for (int i = 0; i < 3; i++)
			KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
		KAOS_ASSERT_OK(put_msg(&b, 1, st.max, false));
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 1);
		KAOS_ASSERT_EQ(rd(&r, check_msg, &st, UINT64_MAX), 1);
		KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 2);
		kaos_msgring_destroy(&r);
	}
}

/* The same at the wrap: the dead claim needed padding before its record
 * (at the start of the buffer) and wrote neither. Two unblocks: the
 * padding's place, then the record's. */
static void
unblock_wrap_claim_that_died_before_its_header(void)
{
	struct kaos_msgring r;
	struct kaos_msgring_producer b;
	KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, MP, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&b, &r, 8));
	struct seen s = { 0 };
	static const unsigned char zeros[56];
	while (shared_tail(&r) < 4096 - 64)
		KAOS_ASSERT_OK(kaos_msgring_write(&b, 1, zeros, 56)); /* 64-byte records */
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 63);
	atomic_fetch_add(&r.ro.ctl->tail, 64 + 128); /* padding 64, record 128 */
	KAOS_ASSERT_OK(kaos_msgring_write(&b, 2, "after", 5));
	s.n = 0;
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 0);
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 1);
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 0);
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 1);
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
	KAOS_ASSERT_UEQ(s.type[0], 2);
	KAOS_ASSERT_UEQ(s.len[0], 5);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 2);
	KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
	kaos_msgring_destroy(&r);
}

static void
unblock_leaves_healthy_rings_alone(void)
{
	struct kaos_msgring r;
	struct kaos_msgring_producer p;
	struct seen s = { 0 };
	void *data;
	KAOS_ASSERT_EQ(kaos_msgring_unblock(NULL, 0), -EINVAL);
	/* single producer: nothing is published before the commit */
	KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, 0, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
	KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 10, &data));
	for (int i = 0; i < 3; i++)
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_OK(kaos_msgring_commit(&p));
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 0);
	kaos_msgring_destroy(&r);

	/* multi-producer: empty, a committed record waiting, a claim that
	 * is committed before the timeout */
	KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, MP, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
	for (int i = 0; i < 3; i++)
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_OK(kaos_msgring_write(&p, 1, "a", 1));
	for (int i = 0; i < 3; i++)
		KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
	KAOS_ASSERT_OK(kaos_msgring_claim(&p, 2, 10, &data));
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 3600 * SEC), 0);
	KAOS_ASSERT_OK(kaos_msgring_commit(&p));
	KAOS_ASSERT_EQ(kaos_msgring_unblock(&r, 0), 0);
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 1);
	KAOS_ASSERT_UEQ(s.n, 3);
	KAOS_ASSERT_UEQ(s.type[2], 2);
	KAOS_ASSERT_UEQ(kaos_msgring_unblocked(&r), 0);
	kaos_msgring_destroy(&r);
}

/* ---- waiting ---------------------------------------------------------------------- */

static void
waits_time_out_and_check_arguments(void)
{
	const enum kaos_wait_kind kinds[] = { KAOS_WAIT_SPIN, KAOS_WAIT_YIELD,
					      KAOS_WAIT_BACKOFF, KAOS_WAIT_BLOCK };
	for (size_t v = 0; v < N_VARIANTS; v++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		void *data = NULL;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, all_variants[v], KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		struct kaos_wait block = { .kind = KAOS_WAIT_BLOCK, .timeout_ns = SEC };
		/* blocking needs set_blocking: nobody would wake us */
		KAOS_ASSERT_EQ(kaos_msgring_read_wait(&r, note, &s, 1, &block), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_claim_wait(&p, 1, 8, &data, &block), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_read_wait(NULL, note, &s, 1, &block), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_read_wait(&r, NULL, &s, 1, &block), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_read_wait(&r, note, &s, 0, &block), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_read_wait(&r, note, &s, 1, NULL), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_claim_wait(NULL, 1, 8, &data, &block), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_claim_wait(&p, 1, 8, NULL, &block), -EINVAL);
		KAOS_ASSERT_EQ(kaos_msgring_claim_wait(&p, 1, 8, &data, NULL), -EINVAL);
		kaos_msgring_set_blocking(&r, true);

		for (size_t k = 0; k < 4; k++) {
			struct kaos_wait how = { .kind = kinds[k], .timeout_ns = 2000000 };
			/* empty */
			uint64_t t0 = kaos_now_ns();
			KAOS_ASSERT_EQ(rd_wait(&r, note, &s, 1, &how), -ETIMEDOUT);
			KAOS_ASSERT_GE(kaos_now_ns() - t0, how.timeout_ns);
			/* full */
			while (kaos_msgring_write(&p, 1, NULL, 0) == 0)
				;
			t0 = kaos_now_ns();
			KAOS_ASSERT_EQ(kaos_msgring_claim_wait(&p, 1, 0, &data, &how), -ETIMEDOUT);
			KAOS_ASSERT_GE(kaos_now_ns() - t0, how.timeout_ns);
			KAOS_ASSERT_EQ(kaos_msgring_commit(&p), -EINVAL); /* nothing claimed */
			/* at once when possible */
			s.n = 0;
			KAOS_ASSERT_EQ(rd_wait(&r, note, &s, 3, &how), 3);
			KAOS_ASSERT_OK(kaos_msgring_claim_wait(&p, 6, 2, &data, &how));
			memcpy(data, "hi", 2);
			KAOS_ASSERT_OK(kaos_msgring_commit(&p));
			KAOS_ASSERT_GT(rd_wait(&r, note, &s, UINT64_MAX, &how), 0);
			KAOS_ASSERT_UEQ(s.type[(s.n - 1) % NOTE_MAX], 6);
			KAOS_ASSERT_UEQ(s.len[(s.n - 1) % NOTE_MAX], 2);
			KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		}
		kaos_msgring_destroy(&r);
	}
}

/* Two threads, two rings, every wait KAOS_WAIT_BLOCK: the main thread
 * sends message i, the echo thread sends it back, round after round. */
struct pingpong {
	struct kaos_msgring ping, pong;
	uint64_t rounds;
	struct kaos_wait how;
};

struct copy {
	uint32_t type;
	size_t len;
	unsigned char data[64];
};

static void
copy_msg(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct copy *c = ctx;
	KAOS_ASSERT_LE(len, sizeof(c->data));
	c->type = type;
	c->len = len;
	memcpy(c->data, data, len);
}

static void *
echo_thread(void *arg)
{
	struct pingpong *pp = arg;
	struct kaos_msgring_producer out;
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&out, &pp->pong, 0));
	for (uint64_t i = 0; i < pp->rounds; i++) {
		struct copy c;
		void *data;
		int64_t n = rd_wait(&pp->ping, copy_msg, &c, 1, &pp->how);
		if (n != 1)
			KAOS_FAIL("echo: read_wait returned %" PRId64 " in round %" PRIu64, n, i);
		int rc = kaos_msgring_claim_wait(&out, c.type, c.len, &data, &pp->how);
		if (rc != 0)
			KAOS_FAIL("echo: claim_wait returned %d in round %" PRIu64, rc, i);
		memcpy(data, c.data, c.len);
		KAOS_ASSERT_OK(kaos_msgring_commit(&out));
	}
	return NULL;
}

static void
blocking_pingpong(void)
{
	struct pingpong *pp = calloc(1, sizeof(*pp));
	KAOS_ASSERT(pp);
	pp->rounds = kaos_test_scaled(20000, 500);
	/* spin once, then sleep on the futex: the blocking path every time */
	pp->how = (struct kaos_wait){ .kind = KAOS_WAIT_BLOCK, .spins = 1,
				      .timeout_ns = GENEROUS_NS };
	KAOS_ASSERT_OK(kaos_msgring_create(&pp->ping, 256, 0, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_create(&pp->pong, 256, 0, KAOS_MEM_HEAP));
	kaos_msgring_set_blocking(&pp->ping, true);
	kaos_msgring_set_blocking(&pp->pong, true);
	struct kaos_msgring_producer out;
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&out, &pp->ping, 0));
	size_t max = kaos_msgring_max_payload(&pp->ping);
	pthread_t th;
	KAOS_ASSERT_EQ(pthread_create(&th, NULL, echo_thread, pp), 0);
	for (uint64_t i = 0; i < pp->rounds; i++) {
		void *data;
		size_t len = msg_len(i, max);
		int rc = kaos_msgring_claim_wait(&out, msg_type(i), len, &data, &pp->how);
		if (rc != 0)
			KAOS_FAIL("main: claim_wait returned %d in round %" PRIu64, rc, i);
		fill_msg(data, i, len);
		KAOS_ASSERT_OK(kaos_msgring_commit(&out));
		struct stream st = { .max = max, .next = i };
		int64_t n = rd_wait(&pp->pong, check_msg, &st, UINT64_MAX, &pp->how);
		if (n != 1)
			KAOS_FAIL("main: read_wait returned %" PRId64 " in round %" PRIu64, n, i);
	}
	KAOS_ASSERT_EQ(pthread_join(th, NULL), 0);
	printf("  %" PRIu64 " round trips\n", pp->rounds);
	kaos_msgring_destroy(&pp->ping);
	kaos_msgring_destroy(&pp->pong);
	free(pp);
}

/* A producer blocked on a full small ring and a consumer blocked on an
 * empty one wake each other; the stream arrives whole. */
struct stream_run {
	struct kaos_msgring ring;
	uint64_t count;
	struct kaos_wait how;
};

static void *
stream_producer(void *arg)
{
	struct stream_run *sr = arg;
	struct kaos_msgring_producer p;
	size_t max = kaos_msgring_max_payload(&sr->ring);
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &sr->ring, 0));
	for (uint64_t i = 0; i < sr->count; i++) {
		void *data;
		size_t len = msg_len(i, max);
		int rc = kaos_msgring_claim_wait(&p, msg_type(i), len, &data, &sr->how);
		if (rc != 0)
			KAOS_FAIL("producer: claim_wait returned %d at %" PRIu64, rc, i);
		fill_msg(data, i, len);
		KAOS_ASSERT_OK(kaos_msgring_commit(&p));
	}
	return NULL;
}

static void
blocking_stream_through_a_small_ring(void)
{
	for (int crc = 0; crc < 2; crc++) {
		struct stream_run *sr = calloc(1, sizeof(*sr));
		KAOS_ASSERT(sr);
		sr->count = kaos_test_scaled(200000, 2000);
		sr->how = (struct kaos_wait){ .kind = KAOS_WAIT_BLOCK, .spins = 1,
					      .timeout_ns = GENEROUS_NS };
		KAOS_ASSERT_OK(kaos_msgring_create(&sr->ring, 256, crc ? CRC : 0, KAOS_MEM_HEAP));
		kaos_msgring_set_blocking(&sr->ring, true);
		struct stream st = { .max = kaos_msgring_max_payload(&sr->ring) };
		uint64_t seed = 5;
		pthread_t th;
		KAOS_ASSERT_EQ(pthread_create(&th, NULL, stream_producer, sr), 0);
		while (st.next < sr->count) {
			uint64_t limit = 1 + kaos_test_rand(&seed) % 3;
			int64_t n = rd_wait(&sr->ring, check_msg, &st, limit, &sr->how);
			if (n < 1 || (uint64_t)n > limit)
				KAOS_FAIL("consumer: read_wait returned %" PRId64 " after %" PRIu64,
					  n, st.next);
		}
		KAOS_ASSERT_EQ(pthread_join(th, NULL), 0);
		KAOS_ASSERT_EQ(rd(&sr->ring, check_msg, &st, UINT64_MAX), 0);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&sr->ring), 0);
		printf("  %s: %" PRIu64 " messages\n", crc ? "crc" : "plain", sr->count);
		kaos_msgring_destroy(&sr->ring);
		free(sr);
	}
}

/* ---- library bugs ----------------------------------------------------------------- */

/* A ring filled exactly (tail - head == capacity, which claim allows) and
 * read with a limit above its record count: read() stops neither after one
 * lap nor at the tail. The consumed records are zeroed only after the
 * loop, so the first one is met again and delivered twice; with a larger
 * limit it goes round and round (an unbounded limit never returns) and the
 * release then zeroes far past the buffer. Here one extra record, which
 * keeps the release inside the buffer. */
static void
bug_read_of_an_exactly_full_ring_goes_round_again(void)
{
	for (size_t v = 0; v < N_VARIANTS; v++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 256, all_variants[v], KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		/* 32-byte records: eight fill it */
		uint64_t msg[4] = { 0 };
		int64_t n = 0;
		while (kaos_msgring_write(&p, 1, msg, 32 - prefix_of(all_variants[v])) == 0)
			msg[0] = (uint64_t)++n;
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 256);
		int64_t got = kaos_msgring_read(&r, note, &s, (uint64_t)n + 1);
		if (got != n)
			KAOS_FAIL("%s: read of a full ring of %" PRId64 " messages returned %" PRId64
				  "; the last one handed out was message %" PRIu64 " again",
				  variant_name(all_variants[v]), n, got,
				  s.first[(s.n - 1) % NOTE_MAX]);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		kaos_msgring_destroy(&r);
	}
}

/* What an application might have started writing: a struct whose first
 * word happens to look like a header (length 16, type 2). */
struct app_record {
	uint32_t size;
	uint32_t kind;
	uint64_t a, b, c;
};

/* Single producer: claim, write, abort, then a shorter message. The
 * aborted payload stays in the buffer (abort only clears p->claimed), so
 * the word after the short record is the payload's first word, which the
 * reader takes for a committed header: a phantom message is delivered (and
 * the reader's framing is lost; other payloads give -KAOS_ECORRUPT). */
static void
bug_sp_abort_leaves_payload_in_the_ring(void)
{
	for (int crc = 0; crc < 2; crc++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		void *data;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, crc ? CRC : 0, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		struct app_record rec = { .size = 16, .kind = 2 };
		KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, sizeof(rec), &data));
		memcpy(data, &rec, sizeof(rec));
		KAOS_ASSERT_OK(kaos_msgring_abort(&p));
		KAOS_ASSERT_OK(kaos_msgring_write(&p, 1, NULL, 0));
		int64_t n = rd(&r, note, &s, UINT64_MAX);
		if (n != 1)
			KAOS_FAIL("%s: read returned %" PRId64 " (want 1: the empty message);"
				  " message 2 has type %" PRIu32 ", len %zu", crc ? "crc" : "plain",
				  n, s.type[1], s.len[1]);
		KAOS_ASSERT_UEQ(s.type[0], 1);
		KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
		kaos_msgring_destroy(&r);
	}
}

/* Single producer restarted after dying mid-claim (the case producer_init
 * documents): the dead producer's payload is in the free space the new one
 * continues into; same phantom message. */
static void
bug_sp_restart_after_a_dead_claim(void)
{
	size_t len;
	void *mem = ring_mem(4096, &len);
	struct kaos_msgring r, r2;
	struct kaos_msgring_producer p, p2;
	struct seen s = { 0 };
	void *data;
	KAOS_ASSERT_OK(kaos_msgring_init(&r, mem, len, 4096, 0));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
	struct app_record rec = { .size = 16, .kind = 2 };
	KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, sizeof(rec), &data));
	memcpy(data, &rec, sizeof(rec)); /* and the producer dies */
	KAOS_ASSERT_OK(kaos_msgring_attach(&r2, mem, len, 4096, 0));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p2, &r2, 0));
	KAOS_ASSERT_OK(kaos_msgring_write(&p2, 1, NULL, 0));
	int64_t n = rd(&r, note, &s, UINT64_MAX);
	if (n != 1)
		KAOS_FAIL("read returned %" PRId64 " (want 1: the empty message); message 2"
			  " has type %" PRIu32 ", len %zu", n, s.type[1], s.len[1]);
	KAOS_ASSERT_UEQ(kaos_msgring_used(&r), 0);
	free(mem);
}

/* Two claimers die one after the other before writing their headers (104
 * and 504 bytes; the largest record of a 4096-byte ring is 512), a third
 * commits behind them. unblock() scans to the third's header and makes ONE
 * padding record of 608 bytes; read() rejects padding longer than the
 * largest record as a header no producer can have written, so the ring
 * stops for good (-KAOS_ECORRUPT on every read). */
static void
dead_claims_in_a_row(uint32_t flags, uint64_t capacity, uint64_t a, uint64_t b)
{
	struct kaos_msgring r;
	struct kaos_msgring_producer c;
	struct seen s = { 0 };
	KAOS_ASSERT_OK(kaos_msgring_create(&r, capacity, flags, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&c, &r, 3));
	atomic_fetch_add(&r.ro.ctl->tail, a); /* claimer A dies */
	atomic_fetch_add(&r.ro.ctl->tail, b); /* claimer B dies */
	KAOS_ASSERT_OK(kaos_msgring_write(&c, 4, "live", 4));
	KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 0);
	int64_t got = 0;
	for (int i = 0; i < 8 && got == 0; i++) {
		KAOS_ASSERT_GE(kaos_msgring_unblock(&r, 0), 0);
		got = rd(&r, note, &s, UINT64_MAX);
		if (got < 0)
			KAOS_FAIL("read after %" PRIu64 " unblock(s): %s", kaos_msgring_unblocked(&r),
				  kaos_strerror((int)got));
	}
	KAOS_ASSERT_EQ(got, 1);
	KAOS_ASSERT_UEQ(s.type[0], 4);
	kaos_msgring_destroy(&r);
}

/* Also with CRC, where padding of 8 bytes may only end the buffer: 40
 * zeroed bytes before the next header in a ring whose largest record is
 * 32 must not be cut into 32 + 8. */
static void
bug_unblock_two_dead_claims_in_a_row(void)
{
	dead_claims_in_a_row(MP, 4096, 104, 504);
	dead_claims_in_a_row(MP | CRC, 4096, 104, 504);
	dead_claims_in_a_row(MP | CRC, 256, 24, 16);
	dead_claims_in_a_row(MP, 256, 24, 16);
}

/* Deferred commits: invisible until a flush, a plain commit, a full ring
 * or KAOS_MSGRING_PUBLISH_BYTES; multi-producer commits show at once. */
static void
deferred_commits_show_on_flush_commit_full_or_threshold(void)
{
	for (int mp = 0; mp < 2; mp++) {
		struct kaos_msgring r;
		struct kaos_msgring_producer p;
		struct seen s = { 0 };
		void *d;
		KAOS_ASSERT_OK(kaos_msgring_create(&r, 1 << 16, mp ? MP : 0, KAOS_MEM_HEAP));
		KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
		for (int i = 0; i < 3; i++) {
			KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 8, &d));
			KAOS_ASSERT_OK(kaos_msgring_commit_deferred(&p));
		}
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), mp ? 3 : 0);
		kaos_msgring_flush(&p);
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), mp ? 0 : 3);
		/* a plain commit publishes the deferred ones before it */
		KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 8, &d));
		KAOS_ASSERT_OK(kaos_msgring_commit_deferred(&p));
		KAOS_ASSERT_OK(kaos_msgring_write(&p, 2, NULL, 0));
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), 2);
		/* the threshold: 16-byte records, published by the 256th */
		uint32_t per = KAOS_MSGRING_PUBLISH_BYTES / 16;
		for (uint32_t i = 0; i < per - 1; i++) {
			KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 8, &d));
			KAOS_ASSERT_OK(kaos_msgring_commit_deferred(&p));
		}
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), mp ? per - 1 : 0);
		KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 8, &d));
		KAOS_ASSERT_OK(kaos_msgring_commit_deferred(&p));
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), mp ? 1 : per);
		/* fill up with deferred commits: the refused claim publishes */
		uint64_t n = 0;
		while (kaos_msgring_claim(&p, 1, 8, &d) == 0) {
			KAOS_ASSERT_OK(kaos_msgring_commit_deferred(&p));
			n++;
		}
		KAOS_ASSERT_GE(n, (1 << 16) / 16 - 1); /* one wrap may need padding */
		KAOS_ASSERT_EQ(rd(&r, note, &s, UINT64_MAX), (int64_t)n);
		kaos_msgring_destroy(&r);
	}
}

/* ---- batches (single producer) ------------------------------------------- */

/* A stream staged in batches through a ring of @p cap bytes, batches of
 * up to @p stage_bytes, many laps: batches of every size meet the wrap;
 * the reader sees each record alone, exactly, in order. */
static void
batch_stream(uint64_t cap, size_t stage_bytes)
{
	struct kaos_msgring r;
	struct kaos_msgring_producer p;
	KAOS_ASSERT_OK(kaos_msgring_create(&r, cap, 0, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
	static uint64_t stage[8192 / 8];
	KAOS_ASSERT(stage_bytes <= sizeof(stage));
	struct kaos_msgring_batch b;
	KAOS_ASSERT_OK(kaos_msgring_batch_init(&b, stage, stage_bytes));
	struct stream st = { .max = 100 };
	/* at least some 30 laps whatever the scale (records average ~60 bytes) */
	const uint64_t n = kaos_test_scaled(50000 * (stage_bytes / 512), 5000 + cap / 2);
	uint64_t padded = 0;
	for (uint64_t s = 0; s < n;) {
		void *data;
		int rc = kaos_msgring_batch_claim(&b, msg_type(s), msg_len(s, st.max), &data);
		if (rc == 0) {
			KAOS_ASSERT((uintptr_t)data % 8 == 0);
			fill_msg(data, s, msg_len(s, st.max));
			s++;
			continue;
		}
		KAOS_ASSERT_EQ(rc, -KAOS_EFULL);
		uint64_t before = p.pos;
		while ((rc = kaos_msgring_write_batch(&p, &b)) == -KAOS_EFULL)
			KAOS_ASSERT_GT(rd(&r, check_msg, &st, 1 + s % 7), 0);
		KAOS_ASSERT_OK(rc);
		KAOS_ASSERT_EQ(b.used, 0);
		KAOS_ASSERT_EQ(b.count, 0);
		padded += (before % cap) + (p.pos - before) > cap && (p.pos % cap) != 0;
		if (s % 3 == 0) /* sometimes let the ring fill */
			KAOS_ASSERT(rd(&r, check_msg, &st, 5) >= 0);
	}
	while (kaos_msgring_write_batch(&p, &b) == -KAOS_EFULL)
		KAOS_ASSERT_GT(rd(&r, check_msg, &st, 64), 0);
	while (rd(&r, check_msg, &st, 64) > 0)
		;
	KAOS_ASSERT_UEQ(st.next, n);
	KAOS_ASSERT_GT(padded, 10); /* the wrap was met, and padded */
	kaos_msgring_destroy(&r);
}

/* Batches under 4 KiB: plain copies; 4 KiB and more: streaming stores
 * (src/ring/stream.h), whose fence must publish them with the tail. */
static void
batch_streams_records_across_many_laps(void)
{
	batch_stream(4096, 512);
	batch_stream(64 * 1024, 8192);
}

static void
batch_errors_and_edges(void)
{
	struct kaos_msgring r, mp, crc;
	struct kaos_msgring_producer p, pmp, pcrc;
	KAOS_ASSERT_OK(kaos_msgring_create(&r, 4096, 0, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_create(&mp, 4096, MP, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_create(&crc, 4096, CRC, KAOS_MEM_HEAP));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&p, &r, 0));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&pmp, &mp, 0));
	KAOS_ASSERT_OK(kaos_msgring_producer_init(&pcrc, &crc, 0));
	static uint64_t stage[1024 / 8];
	struct kaos_msgring_batch b;
	KAOS_ASSERT_EQ(kaos_msgring_batch_init(NULL, stage, 64), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_batch_init(&b, NULL, 64), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_batch_init(&b, (char *)stage + 4, 64), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_batch_init(&b, stage, 7), -EINVAL);
	KAOS_ASSERT_OK(kaos_msgring_batch_init(&b, stage, sizeof(stage)));

	/* Nothing staged: nothing written. */
	KAOS_ASSERT_OK(kaos_msgring_write_batch(&p, &b));
	KAOS_ASSERT_UEQ(shared_tail(&r), 0);

	/* Staging: a bad type, and a record with no room, stage nothing. */
	void *data;
	KAOS_ASSERT_EQ(kaos_msgring_batch_claim(&b, KAOS_MSG_PADDING, 8, &data), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_batch_claim(&b, 1, 1024, &data), -KAOS_EFULL);
	KAOS_ASSERT_EQ(b.used, 0);
	KAOS_ASSERT_OK(kaos_msgring_batch_add(&b, 7, "", 0)); /* empty: 8 bytes */
	KAOS_ASSERT_OK(kaos_msgring_batch_add(&b, 9, "abc", 3)); /* 16 bytes */
	KAOS_ASSERT_EQ(b.used, 24);
	KAOS_ASSERT_EQ(b.count, 2);

	/* Multi-producer and CRC rings, an open claim: not for batches. */
	KAOS_ASSERT_EQ(kaos_msgring_write_batch(&pmp, &b), -EINVAL);
	KAOS_ASSERT_EQ(kaos_msgring_write_batch(&pcrc, &b), -EINVAL);
	KAOS_ASSERT_OK(kaos_msgring_claim(&p, 1, 8, &data));
	KAOS_ASSERT_EQ(kaos_msgring_write_batch(&p, &b), -EINVAL);
	KAOS_ASSERT_OK(kaos_msgring_abort(&p));
	KAOS_ASSERT_EQ(b.used, 24); /* kept */

	/* Written: two records, each on its own, then nothing more. */
	KAOS_ASSERT_OK(kaos_msgring_write_batch(&p, &b));
	struct seen seen = { 0 };
	KAOS_ASSERT_EQ(rd(&r, note, &seen, 64), 2);
	KAOS_ASSERT_EQ(seen.type[0], 7);
	KAOS_ASSERT_EQ(seen.len[0], 0);
	KAOS_ASSERT_EQ(seen.type[1], 9);
	KAOS_ASSERT_EQ(seen.len[1], 3);
	KAOS_ASSERT_EQ(seen.first[1] & 0xffffff, 'a' | 'b' << 8 | 'c' << 16);
	KAOS_ASSERT_EQ(rd(&r, note, &seen, 64), 0);

	/* More than the largest record (512 bytes here) staged: too big. */
	static const char big[400];
	KAOS_ASSERT_OK(kaos_msgring_batch_add(&b, 1, big, sizeof(big)));
	KAOS_ASSERT_OK(kaos_msgring_batch_add(&b, 1, big, sizeof(big)));
	KAOS_ASSERT_EQ(kaos_msgring_write_batch(&p, &b), -KAOS_ETOOBIG);
	KAOS_ASSERT_OK(kaos_msgring_batch_init(&b, stage, sizeof(stage)));

	/* A full ring refuses the batch, counts it, keeps it; after a read
	 * it goes in. */
	KAOS_ASSERT_OK(kaos_msgring_batch_add(&b, 1, big, 256));
	int rc, writes = 0;
	while ((rc = kaos_msgring_write_batch(&p, &b)) == 0) {
		KAOS_ASSERT_EQ(b.used, 0);
		KAOS_ASSERT_OK(kaos_msgring_batch_add(&b, 1, big, 256));
		writes++;
	}
	KAOS_ASSERT_EQ(rc, -KAOS_EFULL);
	KAOS_ASSERT_EQ(b.used, 264);
	struct kaos_ring_stats rs;
	kaos_msgring_stats(&r, &rs);
	KAOS_ASSERT_UEQ(rs.full, 1);
	KAOS_ASSERT_GT(rd(&r, note, &seen, 1), 0);
	KAOS_ASSERT_OK(kaos_msgring_write_batch(&p, &b));
	KAOS_ASSERT_GE(writes, 14); /* 4096 / 264 records, less one */

	kaos_msgring_destroy(&r);
	kaos_msgring_destroy(&mp);
	kaos_msgring_destroy(&crc);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(memsize_rejects_bad_capacities),
		KAOS_TEST(init_and_attach_reject_bad_arguments),
		KAOS_TEST(init_on_dirty_memory_and_destroy),
		KAOS_TEST(claim_limits_and_state),
		KAOS_TEST(empty_messages_are_delivered),
		KAOS_TEST(full_ring_then_space_after_a_read),
		KAOS_TEST(used_counts_bytes_until_read),
		KAOS_TEST(read_limit_counts_messages_not_padding),
		KAOS_TEST(wrap_every_size_many_laps),
		KAOS_TEST(abort_delivers_nothing),
		KAOS_TEST(attach_and_producer_init_continue),
		KAOS_TEST(producer_restart_on_a_full_ring),
		KAOS_TEST(recover_finishes_an_interrupted_release),
		KAOS_TEST(crc_catches_a_flipped_byte),
		KAOS_TEST(garbage_header_stops_the_ring),
		KAOS_TEST(unblock_turns_a_dead_claim_into_padding),
		KAOS_TEST(unblock_waits_for_the_timeout),
		KAOS_TEST(unblock_spares_a_live_claimer),
		KAOS_TEST(unblock_claim_that_died_before_its_header),
		KAOS_TEST(unblock_wrap_claim_that_died_before_its_header),
		KAOS_TEST(unblock_leaves_healthy_rings_alone),
		KAOS_TEST(waits_time_out_and_check_arguments),
		KAOS_TEST(blocking_pingpong),
		KAOS_TEST(blocking_stream_through_a_small_ring),
		/* library bugs: last, see the top of the file */
		KAOS_TEST(bug_read_of_an_exactly_full_ring_goes_round_again),
		KAOS_TEST(bug_sp_abort_leaves_payload_in_the_ring),
		KAOS_TEST(bug_sp_restart_after_a_dead_claim),
		KAOS_TEST(bug_unblock_two_dead_claims_in_a_row),
		KAOS_TEST(deferred_commits_show_on_flush_commit_full_or_threshold),
		KAOS_TEST(batch_streams_records_across_many_laps),
		KAOS_TEST(batch_errors_and_edges),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
