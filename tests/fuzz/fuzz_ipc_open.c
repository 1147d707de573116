/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the opening of IPC channel files. Valid channels of every kind are
 * made once (with some traffic in them) and kept as images; each iteration
 * writes one image back with random damage: header fields overwritten
 * (random and boundary values), random bytes over part or all of the
 * header, the file truncated or extended, the geometry rewritten to
 * another consistent one (so validation passes over a ring laid out
 * differently), the ring's positions and records overwritten. Then
 * kaos_ipc_inspect, kaos_ipc_subscribe and kaos_ipc_publish (open timeout
 * 1 us) run on it. They must not crash (run it under ASan too) and must
 * return 0 or a documented code; an attachment that succeeds must send,
 * receive, check and close without crashing and with documented results.
 *
 *   fuzz_ipc_open [--seed N] [--iterations N] [--soak SECONDS]
 *
 * The seed (default: from the clock) is printed; the same seed and
 * iteration count replay the same damage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

#define HEADER 4096u

static pid_t owner_pid;
static char tmp_dir[256];
static char shm_name[128], file_name[320];

static void
cleanup_names(void)
{
	if (getpid() != owner_pid)
		return;
	if (shm_name[0])
		kaos_ipc_unlink(shm_name);
	if (file_name[0])
		kaos_ipc_unlink(file_name);
	if (tmp_dir[0])
		rmdir(tmp_dir);
}

static void
on_fatal(int sig)
{
	cleanup_names();
	signal(sig, SIG_DFL);
	raise(sig);
}

extern void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static bool
is_shm_name(const char *name)
{
	return name[0] == '/' && name[1] && !strchr(name + 1, '/');
}

static int
raw_open(const char *name, int flags, mode_t mode)
{
	return is_shm_name(name) ? shm_open(name, flags, mode) : open(name, flags, mode);
}

/* Replace the file's contents (creating it if cleanup removed it). */
static void
write_file(const char *name, const void *bytes, size_t len)
{
	int fd = raw_open(name, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		KAOS_FAIL("open %s: %s", name, strerror(errno));
	KAOS_ASSERT_EQ(ftruncate(fd, 0), 0);
	KAOS_ASSERT_EQ(ftruncate(fd, (off_t)len), 0);
	if (len)
		KAOS_ASSERT_EQ(pwrite(fd, bytes, len, 0), (ssize_t)len);
	close(fd);
}

/* ---- templates: valid channels with some history --------------------------- */

struct templ {
	struct kaos_ipc_config cfg;
	unsigned char *bytes;
	size_t len;
};

static const struct kaos_ipc_config shapes[] = {
	{ .kind = KAOS_IPC_SPSC, .capacity = 64, .slot_size = 8 },
	{ .kind = KAOS_IPC_SPSC, .capacity = 2, .slot_size = 64 },
	{ .kind = KAOS_IPC_MSG_SP, .capacity = 256 },
	{ .kind = KAOS_IPC_MSG_SP, .capacity = 4096, .flags = KAOS_IPC_CRC },
	{ .kind = KAOS_IPC_MSG_MP, .capacity = 4096, .max_producers = 3 },
	{ .kind = KAOS_IPC_MSG_MP, .capacity = 1024, .max_producers = 16,
	  .flags = KAOS_IPC_CRC | KAOS_IPC_BLOCKING },
	{ .kind = KAOS_IPC_BCAST, .capacity = 16, .slot_size = 16, .max_subscribers = 4 },
	{ .kind = KAOS_IPC_BCAST, .capacity = 2, .slot_size = 8, .max_subscribers = 32,
	  .flags = KAOS_IPC_BLOCKING },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))
static struct templ templ[NSHAPES];

static bool
fixed(enum kaos_ipc_kind k)
{
	return k == KAOS_IPC_SPSC || k == KAOS_IPC_BCAST;
}

static void
sink(uint32_t type, const void *data, size_t len, void *ctx)
{
	(void)type;
	(void)data;
	(void)len;
	(*(uint64_t *)ctx)++;
}

/* Create each shape, push some messages through (leaving some queued),
 * detach, keep the file's bytes. */
static void
make_templates(const char *name)
{
	for (size_t i = 0; i < NSHAPES; i++) {
		struct kaos_ipc_config cfg = shapes[i];
		cfg.name = name;
		struct kaos_ipc *pub = NULL, *sub = NULL;
		KAOS_ASSERT_OK(kaos_ipc_subscribe(&cfg, &sub));
		KAOS_ASSERT_OK(kaos_ipc_publish(&cfg, &pub));
		unsigned char buf[64] = { 0 };
		for (uint64_t n = 0; n < 3 * cfg.capacity / (fixed(cfg.kind) ? 2 : 32); n++) {
			memcpy(buf, &n, 8);
			size_t len = fixed(cfg.kind) ? cfg.slot_size : 8 + n % 16;
			int rc = kaos_ipc_send(pub, fixed(cfg.kind) ? 0 : (uint32_t)n, buf, len, NULL);
			if (rc == -KAOS_EFULL) {
				uint64_t got = 0;
				KAOS_ASSERT(kaos_ipc_receive(sub, sink, &got, 5, NULL) > 0);
				continue;
			}
			KAOS_ASSERT_OK(rc);
		}
		kaos_ipc_close(sub);
		kaos_ipc_close(pub);
		int fd = raw_open(name, O_RDONLY, 0);
		KAOS_ASSERT(fd >= 0);
		struct stat st;
		KAOS_ASSERT_EQ(fstat(fd, &st), 0);
		templ[i].cfg = cfg;
		templ[i].len = (size_t)st.st_size;
		templ[i].bytes = malloc(templ[i].len + 2 * HEADER);
		KAOS_ASSERT(templ[i].bytes);
		KAOS_ASSERT_EQ(pread(fd, templ[i].bytes, templ[i].len, 0), (ssize_t)templ[i].len);
		close(fd);
		KAOS_ASSERT_EQ(kaos_ipc_unlink(name), 0);
	}
}

/* ---- damage ------------------------------------------------------------------ */

static uint64_t rng;

static uint64_t
rnd(uint64_t n)
{
	return n ? kaos_test_rand(&rng) % n : 0;
}

/* Header fields (offset, size), and fields of the peer slots. */
static const struct {
	uint16_t off, size;
} fields[] = {
	{ 0, 8 },   /* magic */
	{ 8, 4 },   /* version */
	{ 12, 4 },  /* header_len */
	{ 16, 4 },  /* kind */
	{ 20, 4 },  /* flags */
	{ 24, 8 },  /* capacity */
	{ 32, 4 },  /* slot_size */
	{ 36, 4 },  /* max_producers */
	{ 40, 4 },  /* max_subscribers */
	{ 44, 4 },  /* cacheline */
	{ 48, 8 },  /* ring_offset */
	{ 56, 8 },  /* ring_len */
	{ 64, 8 },  /* file_len */
	{ 80, 4 },  /* creator_pid */
	{ 124, 4 }, /* ready */
	{ 128, 8 }, /* evicted */
	{ 256, 4 }, /* producer 0: pid */
	{ 260, 4 }, /* producer 0: state */
	{ 1280, 4 }, /* subscriber 0: pid */
	{ 1284, 4 }, /* subscriber 0: state */
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint64_t
interesting(uint64_t old)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 7, 8, 15, 16, 63, 64, 255, 256, 4095, 4096, 4097, 65536,
		UINT32_MAX, (uint64_t)UINT32_MAX + 1, INT32_MAX, (uint64_t)INT32_MAX + 1,
		UINT64_MAX, UINT64_MAX - 1, (uint64_t)1 << 31, (uint64_t)1 << 32,
		(uint64_t)1 << 63, 0x00435049534f414bull /* magic */, 0x59444552 /* ready */,
	};
	switch (rnd(6)) {
	case 0: return kaos_test_rand(&rng);
	case 1: return old + 1;
	case 2: return old - 1;
	case 3: return old << rnd(8);
	case 4: return old ^ ((uint64_t)1 << rnd(64));
	default: return v[rnd(sizeof(v) / sizeof(v[0]))];
	}
}

static void
put(unsigned char *b, size_t off, uint64_t v, size_t size)
{
	memcpy(b + off, &v, size); /* little-endian */
}

static uint64_t
get(const unsigned char *b, size_t off, size_t size)
{
	uint64_t v = 0;
	memcpy(&v, b + off, size);
	return v;
}

/* Another valid geometry, written consistently (ring_len, file_len), the
 * file's size and ring contents left as they were. */
static void
regeometry(unsigned char *b)
{
	uint32_t kind = 1 + (uint32_t)rnd(4);
	uint64_t cap;
	uint32_t slot = 0, maxp = 1, maxs = 1;
	size_t len = 0;
	int rc;
	if (fixed((enum kaos_ipc_kind)kind)) {
		cap = (uint64_t)1 << (1 + rnd(8));
		slot = 8 * (uint32_t)(1 + rnd(8));
		if (kind == KAOS_IPC_BCAST) {
			maxs = 1 + (uint32_t)rnd(KAOS_IPC_MAX_SUBSCRIBERS);
			rc = kaos_bcast_memsize(cap, slot, maxs, &len);
		} else {
			rc = kaos_spsc_memsize(cap, slot, &len);
		}
	} else {
		cap = (uint64_t)256 << rnd(6);
		if (kind == KAOS_IPC_MSG_MP)
			maxp = 1 + (uint32_t)rnd(KAOS_IPC_MAX_PRODUCERS);
		rc = kaos_msgring_memsize(cap, &len);
	}
	KAOS_ASSERT_OK(rc);
	put(b, 16, kind, 4);
	put(b, 24, cap, 8);
	put(b, 32, slot, 4);
	put(b, 36, maxp, 4);
	put(b, 40, maxs, 4);
	put(b, 56, len, 8);
	put(b, 64, HEADER + len, 8);
	if (rnd(2))
		put(b, 20, rnd(4) & ~(uint64_t)(fixed((enum kaos_ipc_kind)kind) ? 2 : 0), 4);
}

/* Damage @p b: *len bytes of a buffer of @p room (>= HEADER) bytes. */
static void
mutate(unsigned char *b, size_t *len, size_t room)
{
	for (uint64_t k = 1 + rnd(4); k; k--) {
		switch (rnd(16)) {
		case 0: case 1: case 2: case 3: case 4: { /* a field */
			size_t f = rnd(NFIELDS);
			put(b, fields[f].off, interesting(get(b, fields[f].off, fields[f].size)),
			    fields[f].size);
			break;
		}
		case 5: case 6: { /* random bytes in the header */
			size_t off = rnd(HEADER), n = 1 + rnd(64);
			for (size_t i = off; i < off + n && i < HEADER; i++)
				b[i] = (unsigned char)rnd(256);
			break;
		}
		case 7: /* the whole header */
			if (rnd(8) == 0)
				for (size_t i = 0; i < HEADER; i++)
					b[i] = (unsigned char)rnd(256);
			break;
		case 8: { /* truncate or extend (up to @p room) */
			static const size_t sizes[] = { 0, 1, 7, 8, 9, 100, HEADER - 1, HEADER,
							HEADER + 1 };
			size_t n = rnd(3) || *len < 2 ? sizes[rnd(sizeof(sizes) / sizeof(sizes[0]))]
						      : *len - 1 - rnd(*len - 1);
			if (rnd(4) == 0 && *len < room)
				n = *len + 1 + rnd(room - *len); /* longer: zeros */
			if (n > *len)
				memset(b + *len, 0, n - *len);
			*len = n;
			break;
		}
		case 9: case 10:
			regeometry(b);
			break;
		case 11: case 12: { /* ring positions and control words */
			if (*len <= HEADER)
				break;
			size_t off = HEADER + 8 * rnd((*len - HEADER < 1024 ? *len - HEADER : 1024) / 8);
			uint64_t v = rnd(2) ? interesting(get(b, off, 8)) : get(b, off, 8) + rnd(64);
			if (off + 8 <= *len)
				put(b, off, v, 8);
			break;
		}
		case 13: { /* record-like words in the ring (small lengths, any type) */
			if (*len <= HEADER + 512)
				break;
			size_t start = HEADER + 320 + 8 * rnd((*len - HEADER - 320) / 8);
			uint32_t rl = 8 * (uint32_t)(1 + rnd(4));
			for (size_t off = start; off + 8 <= *len && off < start + 4096; off += rl) {
				uint64_t w = (uint64_t)(uint32_t)rnd(8) << 32 | rl;
				put(b, off, w, 8);
			}
			break;
		}
		default: { /* bytes anywhere */
			if (!*len)
				break;
			for (uint64_t n = 1 + rnd(16); n; n--)
				b[rnd(*len)] ^= (unsigned char)(1 + rnd(255));
		}
		}
	}
}

/* ---- exercising ------------------------------------------------------------- */

static uint64_t iteration;

static bool
one_of(int rc, const int *ok, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rc == ok[i])
			return true;
	return false;
}

#define EXPECT(what, rc, ...)                                                        \
	do {                                                                         \
		const int ok_[] = { __VA_ARGS__ };                                   \
		if (!one_of((int)(rc), ok_, sizeof(ok_) / sizeof(ok_[0])))          \
			KAOS_FAIL("iteration %" PRIu64 ": %s returned %lld (%s)",     \
				  iteration, what, (long long)(rc), kaos_err_name((int)(rc))); \
	} while (0)

struct seen {
	uint64_t n;
	size_t max_len;
};

static void
seen_fn(uint32_t type, const void *data, size_t len, void *ctx)
{
	struct seen *s = ctx;
	(void)type;
	if (len) { /* touch the first and last byte: they must be mapped */
		volatile const unsigned char *d = data;
		(void)d[0];
		(void)d[len - 1];
	}
	s->n++;
	if (len > s->max_len)
		s->max_len = len;
}

static void
use_subscriber(struct kaos_ipc *ch)
{
	uint64_t cap = kaos_ipc_capacity(ch);
	for (int i = 0; i < 3; i++) {
		struct seen s = { 0, 0 };
		int64_t rc = kaos_ipc_receive(ch, seen_fn, &s, 1 + rnd(2048), NULL);
		if (rc > 0) {
			KAOS_ASSERT_UEQ((uint64_t)rc, s.n);
			/* a message ring hands over at most one lap of records (8
			 * bytes at least) per call; more means it read bytes it
			 * had consumed in this same call */
			if (!fixed(kaos_ipc_kind(ch)) && (uint64_t)rc > cap / 8)
				KAOS_FAIL("iteration %" PRIu64 ": a receive delivered %lld records"
					  " from a message ring of %" PRIu64 " bytes (more than one"
					  " lap)", iteration, (long long)rc, cap);
			KAOS_ASSERT(s.max_len <= (fixed(kaos_ipc_kind(ch)) ? kaos_ipc_slot_size(ch)
									    : cap));
		} else {
			EXPECT("receive", rc, 0, -KAOS_ECORRUPT, -KAOS_EPEERDEAD, -EPIPE);
		}
	}
	EXPECT("check (subscriber)", kaos_ipc_check(ch), 0, -KAOS_EPEERDEAD, -EPIPE);
}

static void
use_publisher(struct kaos_ipc *ch)
{
	static unsigned char buf[1 << 16];
	for (int i = 0; i < 3; i++) {
		int rc;
		if (fixed(kaos_ipc_kind(ch))) {
			size_t slot = kaos_ipc_slot_size(ch);
			KAOS_ASSERT(slot > 0 && slot <= sizeof(buf) && slot % 8 == 0);
			rc = kaos_ipc_send(ch, 0, buf, slot, NULL);
		} else {
			rc = kaos_ipc_send(ch, (uint32_t)rnd(100), buf, rnd(80), NULL);
		}
		EXPECT("send", rc, 0, -KAOS_EFULL, -KAOS_EPEERDEAD, -EPIPE, -KAOS_ETOOBIG);
		if (!fixed(kaos_ipc_kind(ch)) && rnd(2)) {
			void *d = NULL;
			rc = kaos_msgring_claim(kaos_ipc_msg_producer(ch), 1, 16, &d);
			EXPECT("claim", rc, 0, -KAOS_EFULL, -KAOS_ETOOBIG);
			if (rc == 0) {
				memset(d, 0xab, 16);
				if (i < 2 || rnd(3)) /* else the close gives it up */
					KAOS_ASSERT_OK(kaos_msgring_commit(kaos_ipc_msg_producer(ch)));
			}
		}
	}
	EXPECT("check (publisher)", kaos_ipc_check(ch), 0, -KAOS_EPEERDEAD, -EPIPE);
}

/* The documented results of publish / subscribe on a damaged file. */
#define ATTACH_CODES                                                                 \
	0, -EINVAL, -EBUSY, -EAGAIN, -KAOS_EFOREIGN, -KAOS_EVERSION, -KAOS_EKIND,   \
		-KAOS_ECAPACITY, -KAOS_ESLOTSIZE, -KAOS_EFLAGS, -KAOS_ETRUNCATED, -KAOS_ECORRUPT

static uint64_t attached, inspected, removed;

static void
exercise(const char *name, const struct kaos_ipc_config *t)
{
	struct kaos_ipc_info info;
	int rc = kaos_ipc_inspect(name, &info);
	EXPECT("inspect", rc, 0, -KAOS_EFOREIGN, -KAOS_EVERSION, -KAOS_ECORRUPT,
	       -KAOS_ETRUNCATED, -EAGAIN);
	if (rc == 0) {
		inspected++;
		KAOS_ASSERT(info.kind >= KAOS_IPC_SPSC && info.kind <= KAOS_IPC_BCAST);
		KAOS_ASSERT(info.nproducers >= 1 && info.nproducers <= KAOS_IPC_MAX_PRODUCERS);
		KAOS_ASSERT(info.nsubscribers >= 1 &&
			    info.nsubscribers <= KAOS_IPC_MAX_SUBSCRIBERS);
	}
	struct kaos_ipc_config cfg = *t;
	cfg.name = name;
	cfg.open_timeout_ns = 1000; /* 1 us */
	cfg.liveness_ns = 1000;
	cfg.unblock_ns = 1000;
	if (rnd(8) == 0)
		cfg.kind = (enum kaos_ipc_kind)(1 + rnd(4));
	if (rnd(2)) { /* accept what the file holds */
		cfg.capacity = 0;
		cfg.slot_size = 0;
	}
	if (!fixed(cfg.kind))
		cfg.slot_size = 0;
	if (cfg.kind != KAOS_IPC_MSG_SP && cfg.kind != KAOS_IPC_MSG_MP)
		cfg.flags &= ~(uint32_t)KAOS_IPC_CRC;
	bool sub_first = rnd(2);
	for (int i = 0; i < 2; i++) {
		bool pub = (i == 0) != sub_first;
		struct kaos_ipc *ch = NULL;
		rc = pub ? kaos_ipc_publish(&cfg, &ch) : kaos_ipc_subscribe(&cfg, &ch);
		EXPECT(pub ? "publish" : "subscribe", rc, ATTACH_CODES);
		if (rc < 0) {
			KAOS_ASSERT(!ch);
			continue;
		}
		attached++;
		KAOS_ASSERT(ch);
		KAOS_ASSERT_EQ(kaos_ipc_kind(ch), cfg.kind);
		if (pub)
			use_publisher(ch);
		else
			use_subscriber(ch);
		kaos_ipc_close(ch);
	}
	if (rnd(16) == 0) {
		rc = kaos_ipc_cleanup(name);
		EXPECT("cleanup", rc, 1, 0, -KAOS_EFOREIGN, -ENOENT);
		removed += rc == 1;
	}
}

/* ---- main -------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	uint64_t seed = kaos_now_ns() ^ (uint64_t)getpid() << 40;
	uint64_t iterations = kaos_test_scaled(20000, 2000);
	double soak = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
			iterations = strtoull(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--soak") == 0 && i + 1 < argc)
			soak = strtod(argv[++i], NULL);
		else {
			fprintf(stderr, "usage: %s [--seed N] [--iterations N] [--soak SECONDS]\n",
				argv[0]);
			return 2;
		}
	}
	printf("seed %" PRIu64 "\n", seed);
	fflush(stdout);
	rng = seed ? seed : 1;

	owner_pid = getpid();
	const int sigs[] = { SIGABRT, SIGALRM, SIGTERM, SIGINT, SIGHUP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_fatal);
	if (__sanitizer_set_death_callback) {
		__sanitizer_set_death_callback(cleanup_names);
	} else { /* (a sanitizer reports these itself) */
		signal(SIGSEGV, on_fatal);
		signal(SIGBUS, on_fatal);
	}
	atexit(cleanup_names);
	alarm(soak > 0 ? (unsigned)soak + 600 : 900);

	snprintf(shm_name, sizeof(shm_name), "/kaos-test-%d-fuzz", (int)getpid());
	const char *t = getenv("TMPDIR");
	snprintf(tmp_dir, sizeof(tmp_dir), "%s/kaos-test-%d-XXXXXX", t && *t ? t : "/tmp",
		 (int)getpid());
	if (!mkdtemp(tmp_dir)) {
		tmp_dir[0] = 0;
		KAOS_FAIL("mkdtemp: %s", strerror(errno));
	}
	snprintf(file_name, sizeof(file_name), "%s/fuzz", tmp_dir);
	make_templates(shm_name);

	uint64_t t0 = kaos_now_ns(), end = t0 + (uint64_t)(soak * 1e9);
	for (iteration = 0; soak > 0 ? kaos_now_ns() < end : iteration < iterations;
	     iteration++) {
		const struct templ *tp = &templ[rnd(NSHAPES)];
		const char *name = iteration % 4 == 3 ? file_name : shm_name;
		unsigned char *b = malloc(tp->len + 2 * HEADER);
		KAOS_ASSERT(b);
		memcpy(b, tp->bytes, tp->len);
		size_t len = tp->len;
		mutate(b, &len, tp->len + 2 * HEADER);
		write_file(name, b, len);
		free(b);
		exercise(name, &tp->cfg);
	}
	printf("%" PRIu64 " damaged files in %.1f s: %" PRIu64 " inspected, %" PRIu64
	       " attachments used, %" PRIu64 " removed by cleanup\n", iteration,
	       (double)(kaos_now_ns() - t0) / 1e9, inspected, attached, removed);
	for (size_t i = 0; i < NSHAPES; i++)
		free(templ[i].bytes);
	return 0;
}
