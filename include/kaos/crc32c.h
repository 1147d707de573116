/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/crc32c.h
 * CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and
 * final XOR 0xFFFFFFFF, check value 0xE3069283 for "123456789". The SSE4.2
 * crc32 instruction on x86-64, the ARMv8 CRC32C instructions on aarch64,
 * or a portable slicing-by-8 table, chosen at run time.
 */
#ifndef KAOS_CRC32C_H
#define KAOS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#include <kaos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * CRC-32C of @p len bytes at @p data, continuing from @p crc: pass 0 to
 * start, or the result for the bytes before, so that
 * kaos_crc32c(kaos_crc32c(0, a, n), b, m) is the CRC of a followed by b.
 * Any alignment, any length (0 returns @p crc). Thread-safe.
 */
KAOS_API uint32_t kaos_crc32c(uint32_t crc, const void *data, size_t len);

/** The same with the portable table code, whatever the CPU offers. */
KAOS_API uint32_t kaos_crc32c_portable(uint32_t crc, const void *data, size_t len);

/** Which code kaos_crc32c() uses here: "sse4.2", "armv8-crc" or "table". */
KAOS_API const char *kaos_crc32c_impl(void);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_CRC32C_H */
