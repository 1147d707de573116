/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/mem.h
 * Memory regions for rings: cache-line aligned heap memory, or an anonymous
 * mapping that is pre-faulted and backed by huge pages when the system
 * allows it. Control plane only: nothing here is on a hot path.
 */
#ifndef KAOS_MEM_H
#define KAOS_MEM_H

#include <stddef.h>

#include <kaos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where a region's memory comes from. */
enum kaos_mem {
	KAOS_MEM_HEAP = 0, /**< aligned_alloc, zeroed */
	KAOS_MEM_MAPPED,   /**< anonymous mmap, pre-faulted, huge pages asked for */
};

/** Which pages a mapped region actually got (read back from the kernel). */
enum kaos_pages {
	KAOS_PAGES_HEAP = 0,  /**< heap memory: whatever malloc gives */
	KAOS_PAGES_SMALL,     /**< mapped, base pages only */
	KAOS_PAGES_THP,       /**< mapped, transparent huge pages (some or all) */
	KAOS_PAGES_HUGETLB,   /**< mapped, explicit hugetlbfs pages */
};

/** An allocated region. Fields are read-only for users. */
struct kaos_region {
	void *base;           /**< start, aligned to at least KAOS_CACHELINE */
	size_t len;           /**< usable length, as requested */
	size_t map_len;       /**< length actually mapped (mapped only) */
	enum kaos_mem kind;
	enum kaos_pages pages;
};

/**
 * Allocate a zeroed region of @p len bytes.
 *
 * KAOS_MEM_MAPPED first tries explicit huge pages (MAP_HUGETLB, pre-faulted
 * with MAP_POPULATE) for lengths of at least 2 MiB, then an ordinary mapping
 * with MADV_HUGEPAGE, pre-faulted with MADV_POPULATE_WRITE (or by touching
 * every page on kernels older than 5.14), and reports in region->pages which
 * kind of page it got. Falling back is not an error.
 *
 * @return 0; -EINVAL if len is 0 or kind unknown; -ENOMEM if the memory
 *         cannot be had.
 * Thread-safe.
 */
KAOS_API int kaos_region_alloc(struct kaos_region *region, size_t len,
			       enum kaos_mem kind);

/** Release a region from kaos_region_alloc(). A zeroed region is a no-op. */
KAOS_API void kaos_region_free(struct kaos_region *region);

/** "heap", "small pages", "transparent huge pages" or "hugetlb pages". */
KAOS_API const char *kaos_pages_name(enum kaos_pages pages);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_MEM_H */
