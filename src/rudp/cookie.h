/* SPDX-License-Identifier: MIT */
/*
 * Stateless handshake cookies (docs/wire-format.md): a server answers a
 * HELLO with a COOKIE and keeps nothing; only a HELLO that returns a valid
 * cookie makes a session. A cookie is a 64-bit time slot and a SipHash-2-4
 * MAC of (address, port, client nonce, slot) under the slot's secret. The
 * secret is replaced by a fresh random one every KAOS__COOKIE_SLOT_NS (as
 * Linux SYN cookies rotate theirs); a cookie is good in its own slot and
 * the next, so between 30 and 60 seconds. Off-path, forging one means
 * guessing 64 bits.
 *
 * Not thread-safe: the thread that reads the server's socket owns a jar.
 */
#ifndef KAOS_RUDP_COOKIE_H
#define KAOS_RUDP_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define KAOS__COOKIE_SLOT_NS 30000000000ull /* 30 s */
#define KAOS__COOKIE_BYTES 16

/* SipHash-2-4 of @p len bytes under the 16-byte @p key. */
uint64_t kaos__siphash(const uint8_t key[16], const void *data, size_t len);

/* Where secrets come from: fill @p len bytes, 0 or -errno. */
typedef int (*kaos__random_fn)(void *buf, size_t len, void *ctx);

/* The getrandom(2) source. */
int kaos__random_os(void *buf, size_t len, void *ctx);

struct kaos__cookie_jar {
	kaos__random_fn random;
	void *random_ctx;
	uint64_t slot;         /* the slot of secret[0] */
	uint8_t secret[2][16]; /* [0]: slot's, [1]: the slot before's */
};

/* A jar whose first secret is for the slot of @p now_ns: 0, or the
 * error of @p random (NULL: kaos__random_os). */
int kaos__cookie_jar_init(struct kaos__cookie_jar *j, uint64_t now_ns, kaos__random_fn random,
			  void *ctx);

/* The cookie for a client at @p addr (AF_INET or AF_INET6) with
 * @p nonce, at @p now_ns: 0 with @p out filled; -EAFNOSUPPORT; or the
 * random source's error when the slot's secret had to be made. */
int kaos__cookie_mint(struct kaos__cookie_jar *j, uint64_t now_ns, const struct sockaddr *addr,
		      socklen_t addr_len, uint64_t nonce, uint8_t out[KAOS__COOKIE_BYTES]);

/* Whether @p cookie is one this jar minted for that client and nonce in
 * this slot or the one before (a constant-time compare). A jar that
 * cannot rotate (random source failing) refuses everything. */
bool kaos__cookie_check(struct kaos__cookie_jar *j, uint64_t now_ns, const struct sockaddr *addr,
			socklen_t addr_len, uint64_t nonce,
			const uint8_t cookie[KAOS__COOKIE_BYTES]);

#endif /* KAOS_RUDP_COOKIE_H */
