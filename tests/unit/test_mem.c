/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

static void
check_region(enum kaos_mem kind, size_t len)
{
	struct kaos_region r;
	KAOS_ASSERT_OK(kaos_region_alloc(&r, len, kind));
	KAOS_ASSERT(r.base != NULL);
	KAOS_ASSERT_EQ((uintptr_t)r.base % KAOS_CACHELINE, 0);
	KAOS_ASSERT_UEQ(r.len, len);
	KAOS_ASSERT_EQ(r.kind, kind);
	const unsigned char *p = r.base;
	for (size_t i = 0; i < len; i += 4093)
		KAOS_ASSERT_EQ(p[i], 0); /* zeroed */
	KAOS_ASSERT_EQ(p[len - 1], 0);
	memset(r.base, 0xab, len); /* all of it is writable */
	if (kind == KAOS_MEM_HEAP) {
		KAOS_ASSERT_EQ(r.pages, KAOS_PAGES_HEAP);
	} else {
		KAOS_ASSERT(r.pages == KAOS_PAGES_SMALL || r.pages == KAOS_PAGES_THP ||
			    r.pages == KAOS_PAGES_HUGETLB);
		KAOS_ASSERT_GE(r.map_len, len);
	}
	printf("  %s %zu bytes: %s\n", kind == KAOS_MEM_HEAP ? "heap" : "mapped",
	       len, kaos_pages_name(r.pages));
	kaos_region_free(&r);
	KAOS_ASSERT(r.base == NULL);
	kaos_region_free(&r); /* second free is a no-op */
}

static void
heap_and_mapped_regions(void)
{
	check_region(KAOS_MEM_HEAP, 1);
	check_region(KAOS_MEM_HEAP, 1 << 20);
	check_region(KAOS_MEM_MAPPED, 100);
	check_region(KAOS_MEM_MAPPED, (8 << 20) + 256);
}

static void
bad_arguments(void)
{
	struct kaos_region r;
	KAOS_ASSERT_EQ(kaos_region_alloc(&r, 0, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_region_alloc(NULL, 64, KAOS_MEM_HEAP), -EINVAL);
	KAOS_ASSERT_EQ(kaos_region_alloc(&r, 64, (enum kaos_mem)42), -EINVAL);
	KAOS_ASSERT_EQ(kaos_region_alloc(&r, SIZE_MAX - 8, KAOS_MEM_HEAP), -ENOMEM);
	KAOS_ASSERT_EQ(kaos_region_alloc(&r, SIZE_MAX - 8, KAOS_MEM_MAPPED), -ENOMEM);
	kaos_region_free(NULL);
}

static void
page_names(void)
{
	KAOS_ASSERT(strcmp(kaos_pages_name(KAOS_PAGES_THP), "transparent huge pages") == 0);
	KAOS_ASSERT(strcmp(kaos_pages_name((enum kaos_pages)99), "unknown") == 0);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(heap_and_mapped_regions),
		KAOS_TEST(bad_arguments),
		KAOS_TEST(page_names),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
