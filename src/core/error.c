/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include <kaos/error.h>

/* The errno values kaos itself returns, with text that does not depend on
 * the C library's (possibly shared, non-reentrant) strerror buffer. */
#define KAOS__SYS_ERRNO_MAP(X)                                                \
	X(EINVAL, "invalid argument")                                         \
	X(ENOMEM, "out of memory")                                            \
	X(ENOBUFS, "memory region too small")                                 \
	X(EOVERFLOW, "size overflows the address space")                      \
	X(EBUSY, "resource busy")                                             \
	X(ETIMEDOUT, "timed out")                                             \
	X(ENOENT, "no such file or directory")                                \
	X(EPERM, "operation not permitted")                                   \
	X(EAGAIN, "try again")                                                \
	X(ENOSYS, "not supported on this system")                             \
	X(EPIPE, "peer closed")                                               \
	X(EEXIST, "already exists")                                           \
	X(EACCES, "permission denied")                                        \
	X(ENOTDIR, "not a directory")                                         \
	X(EISDIR, "is a directory")                                           \
	X(ENOSPC, "no space left")                                            \
	X(EMFILE, "too many open files")

struct err_entry {
	int code;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
	{ 0, "OK", "success" },
#define KAOS__KAOS_ENTRY(name, value, msg) { value, #name, msg },
	KAOS_ERRNO_MAP(KAOS__KAOS_ENTRY)
#undef KAOS__KAOS_ENTRY
#define KAOS__SYS_ENTRY(name, msg) { name, #name, msg },
	KAOS__SYS_ERRNO_MAP(KAOS__SYS_ENTRY)
#undef KAOS__SYS_ENTRY
};

static const struct err_entry *
find(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return &err_table[i];
	return NULL;
}

const char *
kaos_strerror(int err)
{
	const struct err_entry *e = find(err);
	return e ? e->text : "unknown error";
}

const char *
kaos_err_name(int err)
{
	const struct err_entry *e = find(err);
	return e ? e->name : "UNKNOWN";
}
