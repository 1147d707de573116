/* SPDX-License-Identifier: MIT */
/* The directory scan of kaos-ipc and kaos-stat (scan.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->entry, ((const struct found *)b)->entry);
}

bool
is_shm_dir(const char *dir)
{
	char real[PATH_MAX];
	return realpath(dir, real) && strcmp(real, SHM_DIR) == 0;
}

int
scan_dir(const char *dir, struct found **out, int *dirfd_out)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	bool shm = is_shm_dir(dir);
	size_t n = 0, cap = 0;
	struct found *v = NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			struct found *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		struct found *f = &v[n];
		snprintf(f->entry, sizeof(f->entry), "%s", de->d_name);
		int len;
		if (shm)
			len = snprintf(f->name, sizeof(f->name), "/%s", de->d_name);
		else
			len = snprintf(f->name, sizeof(f->name), "%s%s%s", dir,
				       dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
		if (len < 0 || (size_t)len >= sizeof(f->name))
			continue; /* too long to name */
		n++;
	}
	int fd = dirfd_out ? dup(dirfd(d)) : -1;
	int err = dirfd_out && fd < 0 ? -errno : 0;
	closedir(d);
	if (err) {
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*out = v;
	if (dirfd_out)
		*dirfd_out = fd;
	return (int)n;
}
