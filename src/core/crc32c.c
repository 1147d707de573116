/* SPDX-License-Identifier: MIT */
/* CRC-32C with run-time choice of the CPU's instruction or a table. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <kaos/crc32c.h>

#if defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

#define POLY 0x82F63B78u /* reflected Castagnoli polynomial */

/* ---- portable: slicing-by-8 --------------------------------------------- */

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void
make_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static uint64_t
load_le64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

uint32_t
kaos_crc32c_portable(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t c = ~crc;
	pthread_once(&table_once, make_table);
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v = load_le64(p) ^ c;
		c = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^
		    table[5][(v >> 16) & 0xff] ^ table[4][(v >> 24) & 0xff] ^
		    table[3][(v >> 32) & 0xff] ^ table[2][(v >> 40) & 0xff] ^
		    table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
	}
	while (len--)
		c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
	return ~c;
}

/* ---- hardware ------------------------------------------------------------- */

/* One step of 8 bytes and one of a byte with the CPU's instruction; the
 * loop around them (crc_hw) is the same on every architecture. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#define HW_NAME "sse4.2"
#define HW_TARGET __attribute__((target("sse4.2")))

HW_TARGET static inline uint32_t
step64(uint32_t c, uint64_t v)
{
	return (uint32_t)_mm_crc32_u64(c, v);
}

HW_TARGET static inline uint32_t
step8(uint32_t c, unsigned char b)
{
	return _mm_crc32_u8(c, b);
}

static int
have_hw(void)
{
	return __builtin_cpu_supports("sse4.2");
}
#elif defined(__aarch64__) && defined(__GNUC__)
#include <arm_acle.h>
#define HW_NAME "armv8-crc"
#define HW_TARGET __attribute__((target("+crc")))

HW_TARGET static inline uint32_t
step64(uint32_t c, uint64_t v)
{
	return __crc32cd(c, v);
}

HW_TARGET static inline uint32_t
step8(uint32_t c, unsigned char b)
{
	return __crc32cb(c, b);
}

static int
have_hw(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}
#endif

#ifdef HW_NAME
HW_TARGET static uint32_t
crc_hw(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t c = ~crc;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = step64(c, v);
	}
	while (len--)
		c = step8(c, *p++);
	return ~c;
}
#endif

/* ---- dispatch ---------------------------------------------------------------- */

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static crc_fn
choose(void)
{
#ifdef HW_NAME
	if (have_hw())
		return crc_hw;
#endif
	return kaos_crc32c_portable;
}

/* Relaxed: every thread that races here stores the same pointer, and the
 * functions need no data that the store would publish. */
static _Atomic(crc_fn) chosen;

uint32_t
kaos_crc32c(uint32_t crc, const void *data, size_t len)
{
	crc_fn fn = atomic_load_explicit(&chosen, memory_order_relaxed);
	if (KAOS_UNLIKELY(!fn)) {
		fn = choose();
		atomic_store_explicit(&chosen, fn, memory_order_relaxed);
	}
	return fn(crc, data, len);
}

const char *
kaos_crc32c_impl(void)
{
#ifdef HW_NAME
	if (choose() != kaos_crc32c_portable)
		return HW_NAME;
#endif
	return "table";
}
