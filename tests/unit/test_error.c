/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

static void
every_kaos_code_has_text_and_name(void)
{
#define CHECK(name, value, msg)                                               \
	KAOS_ASSERT(strcmp(kaos_strerror(-name), msg) == 0);                  \
	KAOS_ASSERT(strcmp(kaos_err_name(-name), #name) == 0);                \
	KAOS_ASSERT(strcmp(kaos_strerror(name), msg) == 0);
	KAOS_ERRNO_MAP(CHECK)
#undef CHECK
}

static void
full_and_too_big_differ(void)
{
	KAOS_ASSERT_NE(KAOS_EFULL, KAOS_ETOOBIG);
	KAOS_ASSERT(strcmp(kaos_strerror(-KAOS_EFULL), kaos_strerror(-KAOS_ETOOBIG)));
}

static void
errno_codes_and_unknown(void)
{
	KAOS_ASSERT(strcmp(kaos_err_name(-EINVAL), "EINVAL") == 0);
	KAOS_ASSERT(strcmp(kaos_strerror(-ENOBUFS), "memory region too small") == 0);
	KAOS_ASSERT(strcmp(kaos_err_name(0), "OK") == 0);
	KAOS_ASSERT(strcmp(kaos_err_name(-123456), "UNKNOWN") == 0);
	KAOS_ASSERT(strcmp(kaos_strerror(-123456), "unknown error") == 0);
	/* kaos codes are far from errno values */
	KAOS_ASSERT_GT(KAOS_EFULL, 1000);
}

static void
version_matches_header(void)
{
	KAOS_ASSERT(strcmp(kaos_version(), KAOS_VERSION_STRING) == 0);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(every_kaos_code_has_text_and_name),
		KAOS_TEST(full_and_too_big_differ),
		KAOS_TEST(errno_codes_and_unknown),
		KAOS_TEST(version_matches_header),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
