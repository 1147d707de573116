/* SPDX-License-Identifier: MIT */
/* Files other processes map: shm names or paths, and the one-byte
 * open-file-description locks that tell whether their owners live. */
#ifndef KAOS_PLATFORM_SHMFILE_H
#define KAOS_PLATFORM_SHMFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "/name" with no other slash is a POSIX shared-memory object (shm_open);
 * anything else a path. */
bool kaos__is_shm_name(const char *name);
/* open() or shm_open() with O_CLOEXEC added. @return fd or -errno. */
int kaos__file_open(const char *name, int flags, mode_t mode);
/* Open an existing file, never blocking (a FIFO put in a channel's place
 * would block open() forever): -KAOS_EFOREIGN if it is not a regular
 * file. @p flags: O_RDONLY or O_RDWR. @return fd or -errno. */
int kaos__file_open_existing(const char *name, int flags);
/*
 * Create @p name exclusively, mode @p mode, and hold the write lock on its
 * byte 0 (an opener that locked the empty file first is waited for): the
 * creator's lock, which tells others the file is being laid out, and,
 * held for the creator's life, that it lives. A file removed between the
 * create and the lock is created again.
 * @return fd; -EEXIST if the name exists; -errno.
 */
int kaos__file_create_locked(const char *name, mode_t mode);
/* CLOCK_REALTIME in nanoseconds: the times the files record. */
uint64_t kaos__file_time_ns(void);
/* Give the file @p len bytes and reserve them (posix_fallocate), so that
 * a full filesystem is -ENOSPC now, not SIGBUS on a later store. */
int kaos__file_reserve(int fd, size_t len);
/*
 * Remove @p name if nobody owns it: its first 8 bytes are 0 or @p magic
 * (else -KAOS_EFOREIGN), and bytes [0, @p lock_len) can all be locked for
 * writing now (every owner holds a lock in that range while it lives).
 * @return 1 removed; 0 the name leads to another file by now (left
 * alone); -EBUSY in use; -errno.
 */
int kaos__file_remove_unowned(const char *name, uint64_t magic, off_t lock_len);
/* Remove @p name only if it still names the file open as @p fd (whose
 * lock the caller holds, so nobody else removes it meanwhile).
 * @return 1 removed; 0 the name now leads elsewhere (left alone); -errno. */
int kaos__file_unlink_if_same(const char *name, int fd);
/* unlink() or shm_unlink(). @return 0 or -errno. */
int kaos__file_unlink(const char *name);
/* Take (F_WRLCK / F_RDLCK) or drop (F_UNLCK) an OFD lock on a byte range,
 * without waiting. @return 0; -EBUSY if another holder conflicts; -errno. */
int kaos__lock_range(int fd, off_t off, off_t len, short type);
/* Does another open file description hold a lock on the range? When it
 * cannot tell, says yes (never declare a live owner dead). */
bool kaos__range_locked(int fd, off_t off, off_t len);
/* Map @p len bytes of @p fd shared. @return the address or NULL (errno). */
void *kaos__map_file(int fd, size_t len, int prot);
/* pread @p len bytes at @p off into @p dst, EINTR retried. @return the
 * bytes read: fewer if the file is shorter now, or on an error. */
size_t kaos__file_read_at(int fd, void *dst, size_t len, size_t off);
/*
 * A private copy of a file someone else may truncate: @p len bytes of
 * zeroed, page-aligned memory (anonymous, so untouched pages cost
 * nothing) holding the first @p prefix bytes of @p fd, read with pread.
 * A mapping of the file would raise SIGBUS on a page the file no longer
 * has; a copy just reads short (zeros). Free with munmap(p, len).
 * @return the copy or NULL (errno: mmap's).
 */
void *kaos__file_snapshot(int fd, size_t len, size_t prefix);

#endif /* KAOS_PLATFORM_SHMFILE_H */
