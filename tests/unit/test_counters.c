/* SPDX-License-Identifier: MIT */
/* The counters file: registration, values seen from another process,
 * owner liveness, replacement of a dead owner's file, bad files. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

static char name[64];

static void
make_name(const char *what)
{
	snprintf(name, sizeof(name), "/kaos-test-counters-%d-%s", (int)getpid(), what);
	shm_unlink(name);
}

struct seen {
	uint32_t n;
	char labels[8][KAOS_COUNTER_LABEL_MAX + 1];
	uint64_t values[8];
	bool retired[8];
};

static void
collect(uint32_t index, const char *label, uint64_t value, bool retired, void *ctx)
{
	struct seen *s = ctx;
	KAOS_ASSERT_EQ(index, s->n);
	if (s->n < 8) {
		snprintf(s->labels[s->n], sizeof(s->labels[0]), "%s", label);
		s->values[s->n] = value;
		s->retired[s->n] = retired;
	}
	s->n++;
}

static void
rejects_bad_arguments(void)
{
	struct kaos_counters *cf = NULL;
	KAOS_ASSERT_EQ(kaos_counters_create(NULL, 0, 0, &cf), -EINVAL);
	KAOS_ASSERT_EQ(kaos_counters_create(NULL, KAOS_COUNTERS_MAX + 1, 0, &cf), -EINVAL);
	KAOS_ASSERT_EQ(kaos_counters_create("", 4, 0, &cf), -EINVAL);
	KAOS_ASSERT_EQ(kaos_counters_create(NULL, 4, 0, NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_counters_read(NULL, NULL, NULL, NULL), -EINVAL);
	KAOS_ASSERT_EQ(kaos_counters_read("/kaos-test-no-such-counters", NULL, NULL, NULL),
		       -ENOENT);
}

/* A child process reads exactly the labels and values the owner set. */
static void
values_are_read_by_another_process(void)
{
	make_name("read");
	struct kaos_counters *cf;
	KAOS_ASSERT_OK(kaos_counters_create(name, 4, 0, &cf));
	KAOS_ASSERT(strcmp(kaos_counters_name(cf), name) == 0);
	struct kaos_counter c[4];
	KAOS_ASSERT_OK(kaos_counters_add(cf, "ring.published", &c[0]));
	KAOS_ASSERT_OK(kaos_counters_add(cf, "ring.full", &c[1]));
	KAOS_ASSERT_OK(kaos_counters_add(cf, "a label far longer than the one hundred and eleven "
					     "bytes an entry can hold, so it gets cut at "
					     "exactly that length ....",
					 &c[2]));
	KAOS_ASSERT_OK(kaos_counters_add(cf, "retired", &c[3]));
	struct kaos_counter extra;
	KAOS_ASSERT_EQ(kaos_counters_add(cf, "one too many", &extra), -ENOSPC);
	for (int i = 0; i < 1000; i++)
		kaos_counter_add(&c[0], 3);
	kaos_counter_set(&c[1], 7);
	kaos_counters_retire(cf, &c[3]);

	pid_t pid = fork();
	KAOS_ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct seen s = { 0 };
		struct kaos_counters_info info;
		int rc = kaos_counters_read(name, &info, collect, &s);
		bool ok = rc == 0 && s.n == 4 && info.alive && info.pid == getppid() &&
			  info.capacity == 4 && info.count == 4 &&
			  strcmp(s.labels[0], "ring.published") == 0 && s.values[0] == 3000 &&
			  strcmp(s.labels[1], "ring.full") == 0 && s.values[1] == 7 &&
			  strlen(s.labels[2]) == KAOS_COUNTER_LABEL_MAX && !s.retired[2] &&
			  s.retired[3];
		_exit(ok ? 0 : 1);
	}
	int status;
	KAOS_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	KAOS_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kaos_counters_close(cf, true);
	KAOS_ASSERT_EQ(kaos_counters_read(name, NULL, NULL, NULL), -ENOENT);
}

/* A SIGKILLed owner's file reads as dead; a new owner replaces it; a live
 * owner's name is refused. */
static void
owner_liveness_and_replacement(void)
{
	make_name("owner");
	int ready[2];
	KAOS_ASSERT_OK(pipe(ready));
	pid_t pid = fork();
	KAOS_ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kaos_counters *cf;
		struct kaos_counter c;
		if (kaos_counters_create(name, 2, 0, &cf) || kaos_counters_add(cf, "x", &c))
			_exit(1);
		kaos_counter_set(&c, 42);
		char b = 1;
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		alarm(20);
		pause();
		_exit(0);
	}
	char b;
	KAOS_ASSERT_EQ(read(ready[0], &b, 1), 1);
	struct kaos_counters_info info;
	struct seen s = { 0 };
	KAOS_ASSERT_OK(kaos_counters_read(name, &info, collect, &s));
	KAOS_ASSERT(info.alive);
	KAOS_ASSERT_EQ(s.values[0], 42);
	struct kaos_counters *cf;
	KAOS_ASSERT_EQ(kaos_counters_create(name, 2, 0, &cf), -EBUSY);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	KAOS_ASSERT_OK(kaos_counters_read(name, &info, NULL, NULL));
	KAOS_ASSERT(!info.alive);
	KAOS_ASSERT_EQ(info.pid, pid);

	KAOS_ASSERT_OK(kaos_counters_create(name, 3, 0640, &cf));
	struct stat st;
	char path[96];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	KAOS_ASSERT_OK(stat(path, &st));
	KAOS_ASSERT_EQ(st.st_mode & 0777, 0640);
	KAOS_ASSERT_OK(kaos_counters_read(name, &info, NULL, NULL));
	KAOS_ASSERT(info.alive);
	KAOS_ASSERT_EQ(info.count, 0);
	KAOS_ASSERT_EQ(info.capacity, 3);
	kaos_counters_close(cf, true);
	close(ready[0]);
	close(ready[1]);
}

static void
write_file(const void *data, size_t len)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	KAOS_ASSERT_GE(fd, 0);
	KAOS_ASSERT_EQ(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Foreign, truncated and inconsistent files get their errors; creating
 * over a foreign file is refused rather than destroying it. */
static void
bad_files(void)
{
	make_name("bad");
	static unsigned char junk[8192];
	memset(junk, 0xA5, sizeof(junk));
	write_file(junk, sizeof(junk));
	KAOS_ASSERT_EQ(kaos_counters_read(name, NULL, NULL, NULL), -KAOS_EFOREIGN);
	struct kaos_counters *cf;
	KAOS_ASSERT_EQ(kaos_counters_create(name, 2, 0, &cf), -KAOS_EFOREIGN);
	write_file(junk, 100);
	KAOS_ASSERT_EQ(kaos_counters_read(name, NULL, NULL, NULL), -KAOS_EFOREIGN);

	/* A valid file, then damaged copies of it. */
	shm_unlink(name);
	KAOS_ASSERT_OK(kaos_counters_create(name, 2, 0, &cf));
	kaos_counters_close(cf, false);
	static unsigned char good[4096 + 2 * 128];
	int fd = shm_open(name, O_RDONLY, 0);
	KAOS_ASSERT_EQ(read(fd, good, sizeof(good)), (ssize_t)sizeof(good));
	close(fd);
	KAOS_ASSERT_OK(kaos_counters_read(name, NULL, NULL, NULL));

	write_file(good, 4096 + 128); /* one entry cut off */
	KAOS_ASSERT_EQ(kaos_counters_read(name, NULL, NULL, NULL), -KAOS_ETRUNCATED);
	write_file(good, 50);
	KAOS_ASSERT_EQ(kaos_counters_read(name, NULL, NULL, NULL), -KAOS_ETRUNCATED);

	unsigned char bad[sizeof(good)];
	memcpy(bad, good, sizeof(bad));
	bad[8] = 9; /* version */
	write_file(bad, sizeof(bad));
	KAOS_ASSERT_EQ(kaos_counters_read(name, NULL, NULL, NULL), -KAOS_EVERSION);
	memcpy(bad, good, sizeof(bad));
	bad[16] = 200; /* capacity no longer matches the file length */
	write_file(bad, sizeof(bad));
	KAOS_ASSERT_EQ(kaos_counters_read(name, NULL, NULL, NULL), -KAOS_ECORRUPT);
	memcpy(bad, good, sizeof(bad));
	bad[24] = 0xFF; /* count beyond capacity: clamped, labels still bounded */
	memset(bad + 4096, 'x', 2 * 128); /* no NUL anywhere in the labels */
	write_file(bad, sizeof(bad));
	struct seen s = { 0 };
	KAOS_ASSERT_OK(kaos_counters_read(name, NULL, collect, &s));
	KAOS_ASSERT_EQ(s.n, 2);
	KAOS_ASSERT_EQ(strlen(s.labels[0]), KAOS_COUNTER_LABEL_MAX);
	shm_unlink(name);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(rejects_bad_arguments),
		KAOS_TEST(values_are_read_by_another_process),
		KAOS_TEST(owner_liveness_and_replacement),
		KAOS_TEST(bad_files),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
