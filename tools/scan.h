/* SPDX-License-Identifier: MIT */
/* What kaos-ipc and kaos-stat share: the directory scan (the regular files
 * of a directory, named as the library takes them). */
#ifndef KAOS_TOOLS_SCAN_H
#define KAOS_TOOLS_SCAN_H

#include <limits.h>
#include <stdbool.h>

#include <kaos/ipc.h>

#define SHM_DIR "/dev/shm"

struct found {
	char name[PATH_MAX]; /* what the library takes: "/name" or a path */
	char entry[NAME_MAX + 1];
};

/* Is @p dir the shared-memory directory (entries are then "/name")? */
bool is_shm_dir(const char *dir);

/*
 * The regular files in @p dir (symlinks not followed), sorted by entry
 * name. If @p dirfd_out is not NULL, a descriptor of @p dir is left there
 * for openat(). @return count or -errno; free(*out), close(*dirfd_out).
 */
int scan_dir(const char *dir, struct found **out, int *dirfd_out);

#endif
