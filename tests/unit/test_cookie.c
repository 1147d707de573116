/* SPDX-License-Identifier: MIT */
/*
 * Stateless handshake cookies (src/rudp/cookie.h): SipHash-2-4 against
 * its published vectors; a cookie is good for its client, nonce and the
 * next time slot only; every other client, nonce, changed bit, older
 * slot or other server's jar is refused; a failing random source refuses
 * rather than reusing a secret.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include "kaos_test.h"
#include "rudp/cookie.h"

#define SLOT KAOS__COOKIE_SLOT_NS

static void
siphash_matches_the_published_vectors(void)
{
	uint8_t key[16], msg[15];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* the SipHash paper's example, and the first of its test vectors */
	KAOS_ASSERT_UEQ(kaos__siphash(key, msg, 15), 0xa129ca6149be45e5ull);
	KAOS_ASSERT_UEQ(kaos__siphash(key, msg, 0), 0x726fdb47dd0e0e31ull);
	/* every length up to two words differs from its neighbours */
	for (size_t n = 1; n < 15; n++)
		KAOS_ASSERT(kaos__siphash(key, msg, n) != kaos__siphash(key, msg, n - 1));
}

static struct sockaddr_in
v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	KAOS_ASSERT_EQ(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

#define SA(a) ((const struct sockaddr *)(const void *)&(a)), sizeof(a)

/* A counting source: secrets differ, and the test sees how many it made. */
static int
counting_random(void *buf, size_t len, void *ctx)
{
	uint64_t *n = ctx;
	unsigned char *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(++*n * 0x9E3779B97F4A7C15ull >> 56);
	return 0;
}

/* Fails while *ctx is set. */
static int
failing_random(void *buf, size_t len, void *ctx)
{
	static uint64_t made;
	return *(int *)ctx ? -EAGAIN : counting_random(buf, len, &made);
}

static void
a_cookie_is_good_for_its_client_and_nonce_only(void)
{
	struct kaos__cookie_jar jar;
	KAOS_ASSERT_OK(kaos__cookie_jar_init(&jar, 5 * SLOT, NULL, NULL)); /* getrandom */
	struct sockaddr_in client = v4("192.0.2.7", 40000);
	uint8_t c[KAOS__COOKIE_BYTES];
	KAOS_ASSERT_OK(kaos__cookie_mint(&jar, 5 * SLOT, SA(client), 42, c));
	KAOS_ASSERT(kaos__cookie_check(&jar, 5 * SLOT + 1, SA(client), 42, c));

	KAOS_ASSERT(!kaos__cookie_check(&jar, 5 * SLOT, SA(client), 43, c)); /* nonce */
	struct sockaddr_in other = v4("192.0.2.7", 40001);
	KAOS_ASSERT(!kaos__cookie_check(&jar, 5 * SLOT, SA(other), 42, c)); /* port */
	other = v4("192.0.2.8", 40000);
	KAOS_ASSERT(!kaos__cookie_check(&jar, 5 * SLOT, SA(other), 42, c)); /* address */
	for (int bit = 0; bit < 8 * KAOS__COOKIE_BYTES; bit++) {
		uint8_t bad[KAOS__COOKIE_BYTES];
		memcpy(bad, c, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		KAOS_ASSERT(!kaos__cookie_check(&jar, 5 * SLOT, SA(client), 42, bad));
	}
	/* another server's jar */
	struct kaos__cookie_jar other_jar;
	KAOS_ASSERT_OK(kaos__cookie_jar_init(&other_jar, 5 * SLOT, NULL, NULL));
	KAOS_ASSERT(!kaos__cookie_check(&other_jar, 5 * SLOT, SA(client), 42, c));
	/* bits in a sockaddr_in that are not the address do not count */
	struct sockaddr_in padded = client;
	memset(padded.sin_zero, 0xAB, sizeof(padded.sin_zero));
	KAOS_ASSERT(kaos__cookie_check(&jar, 5 * SLOT, SA(padded), 42, c));
}

static void
cookies_last_one_slot_more(void)
{
	uint64_t made = 0;
	struct kaos__cookie_jar jar;
	KAOS_ASSERT_OK(kaos__cookie_jar_init(&jar, 10 * SLOT, counting_random, &made));
	KAOS_ASSERT_UEQ(made, 32); /* two secrets */
	struct sockaddr_in client = v4("198.51.100.1", 5000);
	uint8_t c[KAOS__COOKIE_BYTES];
	KAOS_ASSERT_OK(kaos__cookie_mint(&jar, 10 * SLOT + SLOT / 2, SA(client), 1, c));
	KAOS_ASSERT(kaos__cookie_check(&jar, 11 * SLOT - 1, SA(client), 1, c));
	KAOS_ASSERT_UEQ(made, 32); /* same slot: no new secret */
	KAOS_ASSERT(kaos__cookie_check(&jar, 11 * SLOT, SA(client), 1, c)); /* next slot */
	KAOS_ASSERT_UEQ(made, 48);
	KAOS_ASSERT(kaos__cookie_check(&jar, 12 * SLOT - 1, SA(client), 1, c));
	KAOS_ASSERT(!kaos__cookie_check(&jar, 12 * SLOT, SA(client), 1, c)); /* expired */
	/* a clock that goes back stays in the jar's slot */
	KAOS_ASSERT(!kaos__cookie_check(&jar, 10 * SLOT, SA(client), 1, c));
	uint8_t now[KAOS__COOKIE_BYTES];
	KAOS_ASSERT_OK(kaos__cookie_mint(&jar, 12 * SLOT, SA(client), 1, now));
	/* a jump of several slots: every earlier cookie dies */
	KAOS_ASSERT(!kaos__cookie_check(&jar, 15 * SLOT, SA(client), 1, now));
	uint8_t later[KAOS__COOKIE_BYTES];
	KAOS_ASSERT_OK(kaos__cookie_mint(&jar, 15 * SLOT, SA(client), 1, later));
	KAOS_ASSERT(memcmp(later, now, sizeof(now)) != 0);
	KAOS_ASSERT(kaos__cookie_check(&jar, 15 * SLOT, SA(client), 1, later));
}

static void
ipv6_and_other_families(void)
{
	struct kaos__cookie_jar jar;
	KAOS_ASSERT_OK(kaos__cookie_jar_init(&jar, 0, NULL, NULL));
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	KAOS_ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::1", &a.sin6_addr), 1);
	uint8_t c[KAOS__COOKIE_BYTES];
	KAOS_ASSERT_OK(kaos__cookie_mint(&jar, 0, SA(a), 3, c));
	KAOS_ASSERT(kaos__cookie_check(&jar, 0, SA(a), 3, c));
	struct sockaddr_in6 b = a;
	b.sin6_scope_id = 2; /* another interface */
	KAOS_ASSERT(!kaos__cookie_check(&jar, 0, SA(b), 3, c));
	/* an IPv4 client with the same bytes is another client */
	struct sockaddr_in v = v4("192.0.2.1", 9);
	KAOS_ASSERT(!kaos__cookie_check(&jar, 0, SA(v), 3, c));
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	KAOS_ASSERT_EQ(kaos__cookie_mint(&jar, 0, SA(u), 3, c), -EAFNOSUPPORT);
	KAOS_ASSERT(!kaos__cookie_check(&jar, 0, SA(u), 3, c));
	/* a short address length is not read past */
	KAOS_ASSERT_EQ(kaos__cookie_mint(&jar, 0, (const struct sockaddr *)&a, 8, 3, c),
		       -EAFNOSUPPORT);
	KAOS_ASSERT_EQ(kaos__cookie_mint(&jar, 0, NULL, 0, 3, c), -EAFNOSUPPORT);
}

static void
a_failing_random_source_refuses(void)
{
	int fail = 0;
	struct kaos__cookie_jar jar;
	KAOS_ASSERT_OK(kaos__cookie_jar_init(&jar, 0, failing_random, &fail));
	struct sockaddr_in client = v4("192.0.2.9", 1);
	uint8_t c[KAOS__COOKIE_BYTES];
	KAOS_ASSERT_OK(kaos__cookie_mint(&jar, 0, SA(client), 5, c));
	fail = 1;
	KAOS_ASSERT(kaos__cookie_check(&jar, SLOT - 1, SA(client), 5, c)); /* no rotation due */
	/* the next slot needs a secret it cannot make: refuse, keep no state */
	KAOS_ASSERT_EQ(kaos__cookie_mint(&jar, SLOT, SA(client), 5, c), -EAGAIN);
	KAOS_ASSERT(!kaos__cookie_check(&jar, SLOT, SA(client), 5, c));
	KAOS_ASSERT_UEQ(jar.slot, 0);
	fail = 0;
	KAOS_ASSERT(kaos__cookie_check(&jar, SLOT, SA(client), 5, c)); /* rotated now */
	KAOS_ASSERT_EQ(kaos__cookie_jar_init(NULL, 0, NULL, NULL), -EINVAL);
	fail = 1;
	KAOS_ASSERT_EQ(kaos__cookie_jar_init(&jar, 0, failing_random, &fail), -EAGAIN);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(siphash_matches_the_published_vectors),
		KAOS_TEST(a_cookie_is_good_for_its_client_and_nonce_only),
		KAOS_TEST(cookies_last_one_slot_more),
		KAOS_TEST(ipv6_and_other_families),
		KAOS_TEST(a_failing_random_source_refuses),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
