/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kaos/error.h>

#include "shmfile.h"

int
kaos__file_unlink_if_same(const char *name, int fd)
{
	char path[4096];
	struct stat mine, named;
	if (kaos__is_shm_name(name)) /* shm_open's objects live in /dev/shm */
		snprintf(path, sizeof(path), "/dev/shm%s", name);
	else
		snprintf(path, sizeof(path), "%s", name);
	if (fstat(fd, &mine) < 0)
		return -errno;
	if (stat(path, &named) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (mine.st_ino != named.st_ino || mine.st_dev != named.st_dev)
		return 0;
	int rc = kaos__file_unlink(name);
	return rc < 0 ? rc : 1;
}

bool
kaos__is_shm_name(const char *name)
{
	return name[0] == '/' && name[1] && !strchr(name + 1, '/');
}

int
kaos__file_open(const char *name, int flags, mode_t mode)
{
	int fd = kaos__is_shm_name(name) ? shm_open(name, flags | O_CLOEXEC, mode)
					 : open(name, flags | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

int
kaos__file_unlink(const char *name)
{
	int rc = kaos__is_shm_name(name) ? shm_unlink(name) : unlink(name);
	return rc < 0 ? -errno : 0;
}

int
kaos__lock_range(int fd, off_t off, off_t len, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = off, .l_len = len };
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return (errno == EAGAIN || errno == EACCES) ? -EBUSY : -errno;
}

bool
kaos__range_locked(int fd, off_t off, off_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = off, .l_len = len };
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return true;
	return fl.l_type != F_UNLCK;
}

void *
kaos__map_file(int fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

size_t
kaos__file_read_at(int fd, void *dst, size_t len, size_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t got = pread(fd, (char *)dst + done, len - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* an error, or shorter now than it was */
		done += (size_t)got;
	}
	return done;
}

void *
kaos__file_snapshot(int fd, size_t len, size_t prefix)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	kaos__file_read_at(fd, p, prefix < len ? prefix : len, 0); /* short: zeros */
	return p;
}

int
kaos__file_open_existing(const char *name, int flags)
{
	int fd = kaos__file_open(name, flags | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -KAOS_EFOREIGN;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
kaos__file_create_locked(const char *name, mode_t mode)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		int fd = kaos__file_open(name, O_RDWR | O_CREAT | O_EXCL, mode);
		if (fd < 0)
			return fd;
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0,
				    .l_len = 1 };
		struct stat st;
		int rc = fcntl(fd, F_OFD_SETLKW, &fl) < 0 ? -errno : 0;
		if (rc == 0 && fchmod(fd, mode) < 0) /* the umask may have cut it */
			rc = -errno;
		if (rc == 0 && fstat(fd, &st) < 0)
			rc = -errno;
		if (rc == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
		if (rc < 0) {
			kaos__file_unlink(name);
			return rc;
		}
		/* a cleanup removed it before we locked: again */
	}
	return -EAGAIN;
}

uint64_t
kaos__file_time_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
kaos__file_reserve(int fd, size_t len)
{
	if (ftruncate(fd, (off_t)len) < 0)
		return -errno;
	int rc = posix_fallocate(fd, 0, (off_t)len);
	/* A filesystem that cannot reserve (EOPNOTSUPP) keeps the sparse
	 * file: nothing better is possible there. */
	return rc == 0 || rc == EOPNOTSUPP || rc == EINVAL ? 0 : -rc;
}

int
kaos__file_remove_unowned(const char *name, uint64_t magic, off_t lock_len)
{
	int fd = kaos__file_open_existing(name, O_RDWR);
	if (fd < 0)
		return fd;
	uint64_t head = 0;
	ssize_t got = pread(fd, &head, sizeof(head), 0);
	/* 0: a creator that died before writing its magic. */
	int rc = got < 0 ? -errno : (got > 0 && head != 0 && head != magic) ? -KAOS_EFOREIGN : 0;
	if (rc == 0) {
		rc = kaos__lock_range(fd, 0, lock_len, F_WRLCK);
		if (rc == 0) /* the name may lead to a newer file by now */
			rc = kaos__file_unlink_if_same(name, fd);
	}
	close(fd); /* drops the locks */
	return rc;
}
