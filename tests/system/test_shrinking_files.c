/* SPDX-License-Identifier: MIT */
/*
 * The readers that tools run on files they do not own (kaos_ipc_inspect,
 * kaos_counters_read, and opening a channel) while another process
 * truncates, regrows and rewrites those files as fast as it can. Mapping
 * such a file and touching a page it no longer has raises SIGBUS; the
 * readers must instead return 0 or a documented error, every time. A
 * crash kills this test. (kaos-stat crashed this way, in CI, when it
 * scanned /dev/shm while fuzz_ipc_open rewrote its files.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

/* The bytes of a valid file, to write back between truncations. */
struct image {
	unsigned char *bytes;
	size_t len;
};

static struct image
load(const char *path)
{
	struct image im = { NULL, 0 };
	int fd = open(path, O_RDONLY);
	struct stat st;
	KAOS_ASSERT(fd >= 0 && fstat(fd, &st) == 0);
	im.len = (size_t)st.st_size;
	im.bytes = malloc(im.len);
	KAOS_ASSERT(im.bytes && pread(fd, im.bytes, im.len, 0) == (ssize_t)im.len);
	close(fd);
	return im;
}

/* Child: until killed, cut the file short (to nothing, to inside its
 * header, to inside its body) and write it back whole. */
static void
shrink_and_regrow(const char *path, const struct image *im, pid_t parent)
{
	/* If the reader dies (the crash this test is for), so do we. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(4);
	int fd = open(path, O_RDWR);
	if (fd < 0)
		_exit(2);
	const size_t cuts[] = { 0, 8, 100, 4096, im->len / 2, im->len - 64 };
	for (unsigned i = 0;; i++) {
		if (ftruncate(fd, (off_t)cuts[i % 6]) != 0 ||
		    pwrite(fd, im->bytes, im->len, 0) != (ssize_t)im->len)
			_exit(3);
	}
}

static bool
documented(int rc)
{
	return rc == 0 || rc == -KAOS_ETRUNCATED || rc == -KAOS_EFOREIGN ||
	       rc == -KAOS_ECORRUPT || rc == -KAOS_EVERSION || rc == -EAGAIN ||
	       rc == -ENOENT;
}

static void
count_counter(uint32_t index, const char *label, uint64_t value, bool retired, void *ctx)
{
	(void)index, (void)label, (void)value, (void)retired;
	++*(unsigned *)ctx;
}

/* Read @p path @p rounds times with @p reader while a child rewrites it;
 * @return how many reads succeeded. */
static unsigned
race(const char *path, int (*reader)(const char *), unsigned rounds)
{
	struct image im = load(path);
	pid_t parent = getpid();
	pid_t child = fork();
	KAOS_ASSERT(child >= 0);
	if (child == 0)
		shrink_and_regrow(path, &im, parent);
	unsigned ok = 0;
	for (unsigned i = 0; i < rounds; i++) {
		int rc = reader(path);
		if (!documented(rc)) {
			kill(child, SIGKILL);
			KAOS_FAIL("read %u of %s: %s, not a documented error", i, path,
				  kaos_err_name(rc));
		}
		ok += rc == 0;
	}
	int status;
	KAOS_ASSERT_EQ(kill(child, SIGKILL), 0);
	KAOS_ASSERT_EQ(waitpid(child, &status, 0), child);
	KAOS_ASSERT(WIFSIGNALED(status)); /* it was still rewriting, not failed */
	free(im.bytes);
	return ok;
}

static int
read_channel(const char *path)
{
	struct kaos_ipc_info info;
	return kaos_ipc_inspect(path, &info);
}

static int
read_counters(const char *path)
{
	unsigned n = 0;
	struct kaos_counters_info info;
	int rc = kaos_counters_read(path, &info, count_counter, &n);
	if (rc == 0 && n > info.count)
		return -EPROTO; /* more counters than it says: not documented */
	return rc;
}

static char dir[] = "/tmp/kaos-shrink-XXXXXX";

static void
inspect_survives_a_shrinking_channel(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/channel", dir);
	const enum kaos_ipc_kind kinds[] = { KAOS_IPC_SPSC, KAOS_IPC_MSG_SP, KAOS_IPC_BCAST };
	for (unsigned k = 0; k < 3; k++) {
		struct kaos_ipc_config cfg = { .name = path, .kind = kinds[k],
					       .capacity = kinds[k] == KAOS_IPC_MSG_SP ? 65536 : 1024,
					       .slot_size = kinds[k] == KAOS_IPC_MSG_SP ? 0 : 8 };
		struct kaos_ipc *ch;
		KAOS_ASSERT_OK(kaos_ipc_publish(&cfg, &ch));
		kaos_ipc_close(ch);
		unsigned ok = race(path, read_channel, (unsigned)kaos_test_scaled(20000, 2000));
		printf("  kind %u: %u clean reads\n", (unsigned)kinds[k], ok);
		KAOS_ASSERT_OK(kaos_ipc_unlink(path));
	}
}

static void
counters_read_survives_a_shrinking_file(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/counters", dir);
	struct kaos_counters *cf;
	struct kaos_counter c[3];
	KAOS_ASSERT_OK(kaos_counters_create(path, 64, 0, &cf));
	for (int i = 0; i < 3; i++)
		KAOS_ASSERT_OK(kaos_counters_add(cf, "shrink test", &c[i]));
	unsigned ok = race(path, read_counters, (unsigned)kaos_test_scaled(20000, 2000));
	printf("  %u clean reads\n", ok);
	kaos_counters_close(cf, true);
}

static void
cleanup(void)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int
main(int argc, char **argv)
{
	KAOS_ASSERT(mkdtemp(dir));
	atexit(cleanup);
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(inspect_survives_a_shrinking_channel),
		KAOS_TEST(counters_read_survives_a_shrinking_file),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
