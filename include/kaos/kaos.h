/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/kaos.h
 * Everything kaos offers, in one include.
 */
#ifndef KAOS_KAOS_H
#define KAOS_KAOS_H

#include <kaos/common.h>
#include <kaos/error.h>
#include <kaos/mem.h>
#include <kaos/affinity.h>
#include <kaos/crc32c.h>
#include <kaos/wait.h>
#include <kaos/spsc.h>
#include <kaos/u64ring.h>
#include <kaos/mpsc.h>
#include <kaos/spmc.h>
#include <kaos/mpmc.h>
#include <kaos/broadcast.h>
#include <kaos/msgring.h>
#include <kaos/ipc.h>
#include <kaos/counters.h>
#include <kaos/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The library's version as "major.minor.patch". */
KAOS_API const char *kaos_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_KAOS_H */
