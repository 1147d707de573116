/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/error.h
 * Error codes. Every kaos function that can fail returns an int: 0 or a
 * count on success, a negative code on failure. POSIX conditions use
 * -errno (-EINVAL, -ENOMEM, ...); conditions of kaos's own use the
 * KAOS_E* codes below, which are far outside the errno range.
 */
#ifndef KAOS_ERROR_H
#define KAOS_ERROR_H

#include <errno.h>

#include <kaos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message): one table generates the enum and the strings. */
#define KAOS_ERRNO_MAP(X)                                                     \
	X(KAOS_EFULL, 4000, "ring is full")                                   \
	X(KAOS_EEMPTY, 4001, "ring is empty")                                 \
	X(KAOS_ETOOBIG, 4002, "request can never fit in the ring")            \
	X(KAOS_EVERSION, 4003, "layout version mismatch")                     \
	X(KAOS_ECORRUPT, 4004, "corrupt or foreign data")                     \
	X(KAOS_EPEERDEAD, 4005, "peer process is dead")                       \
	X(KAOS_EFOREIGN, 4006, "not a kaos channel (bad magic)")              \
	X(KAOS_EKIND, 4007, "channel kind differs from the one asked for")    \
	X(KAOS_ECAPACITY, 4008, "channel capacity differs from the one asked for") \
	X(KAOS_ESLOTSIZE, 4009, "channel slot size differs from the one asked for") \
	X(KAOS_ETRUNCATED, 4010, "file is shorter than its header says")      \
	X(KAOS_EFLAGS, 4011, "channel flags differ from the ones asked for")

enum kaos_error {
#define KAOS__ERR_ENUM(name, value, msg) name = (value),
	KAOS_ERRNO_MAP(KAOS__ERR_ENUM)
#undef KAOS__ERR_ENUM
};

/**
 * Text for an error code. Accepts negative (as returned) or positive codes,
 * kaos codes and errno values. Never returns NULL. Thread-safe.
 */
KAOS_API const char *kaos_strerror(int err);

/** Symbolic name of a code ("KAOS_EFULL", "EINVAL"), or "UNKNOWN". */
KAOS_API const char *kaos_err_name(int err);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_ERROR_H */
