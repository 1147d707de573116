/* SPDX-License-Identifier: MIT */
/* Little-endian fields of datagrams and cookies, byte by byte (one load
 * or store on a little-endian host, and right on any other). */
#ifndef KAOS_RUDP_LE_H
#define KAOS_RUDP_LE_H

#include <stdint.h>

static inline uint32_t
kaos__get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
kaos__get64(const unsigned char *p)
{
	return (uint64_t)kaos__get32(p) | (uint64_t)kaos__get32(p + 4) << 32;
}

static inline void
kaos__put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void
kaos__put64(unsigned char *p, uint64_t v)
{
	kaos__put32(p, (uint32_t)v);
	kaos__put32(p + 4, (uint32_t)(v >> 32));
}

#endif /* KAOS_RUDP_LE_H */
