/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kaos/mem.h>

#define HUGE_2M ((size_t)2 << 20)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels return EINVAL */
#endif

static size_t
round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* Kilobytes of transparent huge pages backing [base, base+len), from
 * /proc/self/smaps; 0 if none or unknown. */
static unsigned long
thp_kb(const void *base)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[256];
	unsigned long kb = 0;
	int in_range = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t lo, hi;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in_range = (uintptr_t)base >= lo && (uintptr_t)base < hi;
			continue;
		}
		if (in_range && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void
prefault(void *base, size_t len)
{
	if (madvise(base, len, MADV_POPULATE_WRITE) == 0)
		return;
	/* Older kernel: touch one byte per page ourselves. */
	long page = sysconf(_SC_PAGESIZE);
	for (size_t off = 0; off < len; off += (size_t)page)
		((volatile char *)base)[off] = 0;
}

static int
alloc_mapped(struct kaos_region *r, size_t len)
{
	void *p;

	if (len > SIZE_MAX / 2)
		return -ENOMEM;
	/* 1. Explicit huge pages, if the administrator reserved some. */
	if (len >= HUGE_2M) {
		size_t hl = round_up(len, HUGE_2M);
		p = mmap(NULL, hl, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
			 -1, 0);
		if (p != MAP_FAILED) {
			r->base = p;
			r->map_len = hl;
			r->pages = KAOS_PAGES_HUGETLB;
			return 0;
		}
	}

	/* 2. Ordinary pages with a THP request. MAP_POPULATE would fault the
	 * pages in before madvise() could ask for huge ones, so populate after.
	 * Map 2 MiB extra to place the start on a huge-page boundary. */
	size_t ml = len >= HUGE_2M ? round_up(len, HUGE_2M) + HUGE_2M
				   : round_up(len, (size_t)sysconf(_SC_PAGESIZE));
	p = mmap(NULL, ml, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	if (len >= HUGE_2M) {
		uintptr_t start = round_up((uintptr_t)p, HUGE_2M);
		size_t head = start - (uintptr_t)p;
		size_t body = round_up(len, HUGE_2M);
		if (head)
			munmap(p, head);
		if (ml - head - body)
			munmap((char *)start + body, ml - head - body);
		p = (void *)start;
		ml = body;
		(void)madvise(p, ml, MADV_HUGEPAGE); /* may be disabled: fine */
	}
	prefault(p, ml);
	r->base = p;
	r->map_len = ml;
	r->pages = thp_kb(p) ? KAOS_PAGES_THP : KAOS_PAGES_SMALL;
	return 0;
}

int
kaos_region_alloc(struct kaos_region *r, size_t len, enum kaos_mem kind)
{
	if (!r || len == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->len = len;
	switch (kind) {
	case KAOS_MEM_HEAP: {
		if (len > SIZE_MAX - KAOS_CACHELINE)
			return -ENOMEM;
		void *p = aligned_alloc(KAOS_CACHELINE, round_up(len, KAOS_CACHELINE));
		if (!p)
			return -ENOMEM;
		memset(p, 0, len);
		r->base = p;
		r->pages = KAOS_PAGES_HEAP;
		return 0;
	}
	case KAOS_MEM_MAPPED:
		return alloc_mapped(r, len);
	default:
		return -EINVAL;
	}
}

void
kaos_region_free(struct kaos_region *r)
{
	if (!r || !r->base)
		return;
	if (r->kind == KAOS_MEM_HEAP)
		free(r->base);
	else
		munmap(r->base, r->map_len);
	memset(r, 0, sizeof(*r));
}

const char *
kaos_pages_name(enum kaos_pages pages)
{
	switch (pages) {
	case KAOS_PAGES_HEAP: return "heap";
	case KAOS_PAGES_SMALL: return "small pages";
	case KAOS_PAGES_THP: return "transparent huge pages";
	case KAOS_PAGES_HUGETLB: return "hugetlb pages";
	}
	return "unknown";
}
