/* SPDX-License-Identifier: MIT */
/* Stateless handshake cookies: see cookie.h. */
#include "cookie.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>

#include "le.h"

static uint64_t
rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                               \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = rotl(v1, 13) ^ v0;                                        \
		v0 = rotl(v0, 32);                                             \
		v2 += v3;                                                      \
		v3 = rotl(v3, 16) ^ v2;                                        \
		v0 += v3;                                                      \
		v3 = rotl(v3, 21) ^ v0;                                        \
		v2 += v1;                                                      \
		v1 = rotl(v1, 17) ^ v2;                                        \
		v2 = rotl(v2, 32);                                             \
	} while (0)

uint64_t
kaos__siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = kaos__get64(key), k1 = kaos__get64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	size_t whole = len & ~(size_t)7;
	for (size_t i = 0; i < whole; i += 8) {
		uint64_t m = kaos__get64(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	/* the last 0-7 bytes, and the length's low byte on top */
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = whole; i < len; i++)
		b |= (uint64_t)p[i] << (8 * (i - whole));
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (int r = 0; r < 4; r++)
		SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

int
kaos__random_os(void *buf, size_t len, void *ctx)
{
	(void)ctx;
	unsigned char *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
kaos__cookie_jar_init(struct kaos__cookie_jar *j, uint64_t now_ns, kaos__random_fn random,
		      void *ctx)
{
	if (!j)
		return -EINVAL;
	memset(j, 0, sizeof(*j));
	j->random = random ? random : kaos__random_os;
	j->random_ctx = ctx;
	j->slot = now_ns / KAOS__COOKIE_SLOT_NS;
	/* no cookie of the slot before exists: its secret is random too */
	return j->random(j->secret, sizeof(j->secret), ctx);
}

/* Bring the jar to the slot of @p now_ns: 0, or the random source's
 * error (the jar then unchanged). A clock that went back stays in the
 * jar's slot. */
static int
rotate(struct kaos__cookie_jar *j, uint64_t now_ns)
{
	uint64_t slot = now_ns / KAOS__COOKIE_SLOT_NS;
	if (slot <= j->slot)
		return 0;
	uint8_t fresh[2][16];
	int rc = j->random(fresh, slot == j->slot + 1 ? 16 : 32, j->random_ctx);
	if (rc < 0)
		return rc;
	if (slot == j->slot + 1)
		memcpy(j->secret[1], j->secret[0], 16);
	else
		memcpy(j->secret[1], fresh[1], 16); /* the slot before had no cookies */
	memcpy(j->secret[0], fresh[0], 16);
	j->slot = slot;
	return 0;
}

/* The MAC of a client and nonce in @p slot: -EAFNOSUPPORT or 0. */
static int
mac(const uint8_t key[16], const struct sockaddr *addr, socklen_t addr_len, uint64_t nonce,
    uint64_t slot, uint64_t *out)
{
	uint8_t in[1 + 2 + 16 + 4 + 8 + 8];
	size_t n = 0;
	if (addr && addr->sa_family == AF_INET && addr_len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)addr;
		in[n++] = 4;
		memcpy(in + n, &v4->sin_port, 2);
		memcpy(in + n + 2, &v4->sin_addr, 4);
		n += 6;
	} else if (addr && addr->sa_family == AF_INET6 &&
		   addr_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)addr;
		in[n++] = 6;
		memcpy(in + n, &v6->sin6_port, 2);
		memcpy(in + n + 2, &v6->sin6_addr, 16);
		memcpy(in + n + 18, &v6->sin6_scope_id, 4);
		n += 22;
	} else {
		return -EAFNOSUPPORT;
	}
	kaos__put64(in + n, nonce);
	kaos__put64(in + n + 8, slot);
	*out = kaos__siphash(key, in, n + 16);
	return 0;
}

int
kaos__cookie_mint(struct kaos__cookie_jar *j, uint64_t now_ns, const struct sockaddr *addr,
		  socklen_t addr_len, uint64_t nonce, uint8_t out[KAOS__COOKIE_BYTES])
{
	int rc = rotate(j, now_ns);
	uint64_t m = 0;
	if (rc == 0)
		rc = mac(j->secret[0], addr, addr_len, nonce, j->slot, &m);
	if (rc < 0)
		return rc;
	kaos__put64(out, j->slot);
	kaos__put64(out + 8, m);
	return 0;
}

bool
kaos__cookie_check(struct kaos__cookie_jar *j, uint64_t now_ns, const struct sockaddr *addr,
		   socklen_t addr_len, uint64_t nonce, const uint8_t cookie[KAOS__COOKIE_BYTES])
{
	if (rotate(j, now_ns) < 0)
		return false;
	uint64_t slot = kaos__get64(cookie), m = 0;
	const uint8_t *key = slot == j->slot ? j->secret[0]
			     : slot + 1 == j->slot ? j->secret[1]
						   : NULL;
	if (!key || mac(key, addr, addr_len, nonce, slot, &m) < 0)
		return false;
	/* every byte compared, whichever differs: no timing tells which */
	uint8_t want[8], diff = 0;
	kaos__put64(want, m);
	for (int i = 0; i < 8; i++)
		diff |= want[i] ^ cookie[8 + i];
	return diff == 0;
}
