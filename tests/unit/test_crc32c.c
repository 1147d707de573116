/* SPDX-License-Identifier: MIT */
#include <kaos/crc32c.h>

#include "kaos_test.h"

/* Standard vectors: the CRC catalogue's check value, and RFC 3720 (iSCSI)
 * appendix B.4. */
static void
standard_vectors(void)
{
	unsigned char buf[32];
	KAOS_ASSERT_UEQ(kaos_crc32c(0, "123456789", 9), 0xE3069283u);
	KAOS_ASSERT_UEQ(kaos_crc32c_portable(0, "123456789", 9), 0xE3069283u);
	memset(buf, 0, 32);
	KAOS_ASSERT_UEQ(kaos_crc32c(0, buf, 32), 0x8A9136AAu);
	memset(buf, 0xff, 32);
	KAOS_ASSERT_UEQ(kaos_crc32c(0, buf, 32), 0x62A8AB43u);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)i;
	KAOS_ASSERT_UEQ(kaos_crc32c(0, buf, 32), 0x46DD794Eu);
	for (int i = 0; i < 32; i++)
		buf[i] = (unsigned char)(31 - i);
	KAOS_ASSERT_UEQ(kaos_crc32c(0, buf, 32), 0x113FDB5Cu);
	KAOS_ASSERT_UEQ(kaos_crc32c(0, buf, 0), 0);
	KAOS_ASSERT_UEQ(kaos_crc32c(0x12345678u, NULL, 0), 0x12345678u);
	printf("  implementation: %s\n", kaos_crc32c_impl());
}

/* The chosen code and the table agree at every length and alignment. */
static void
hardware_matches_table(void)
{
	static unsigned char buf[4096 + 16];
	uint64_t seed = 7;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)kaos_test_rand(&seed);
	for (size_t off = 0; off < 16; off++)
		for (size_t len = 0; len <= 300; len++)
			KAOS_ASSERT_UEQ(kaos_crc32c(0, buf + off, len),
					kaos_crc32c_portable(0, buf + off, len));
	KAOS_ASSERT_UEQ(kaos_crc32c(0, buf, 4096), kaos_crc32c_portable(0, buf, 4096));
}

/* crc(a || b) == crc(crc(a), b), for every split. */
static void
chaining(void)
{
	unsigned char buf[200];
	uint64_t seed = 11;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)kaos_test_rand(&seed);
	uint32_t whole = kaos_crc32c(0, buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf); cut++) {
		KAOS_ASSERT_UEQ(kaos_crc32c(kaos_crc32c(0, buf, cut), buf + cut,
					    sizeof(buf) - cut), whole);
		KAOS_ASSERT_UEQ(kaos_crc32c_portable(kaos_crc32c_portable(0, buf, cut),
						     buf + cut, sizeof(buf) - cut), whole);
	}
}

/* Every single-bit error in a 64-byte message changes the CRC. */
static void
detects_bit_flips(void)
{
	unsigned char buf[64];
	uint64_t seed = 3;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)kaos_test_rand(&seed);
	uint32_t good = kaos_crc32c(0, buf, sizeof(buf));
	for (size_t bit = 0; bit < sizeof(buf) * 8; bit++) {
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		KAOS_ASSERT_NE(kaos_crc32c(0, buf, sizeof(buf)), good);
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
	}
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(standard_vectors),
		KAOS_TEST(hardware_matches_table),
		KAOS_TEST(chaining),
		KAOS_TEST(detects_bit_flips),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
