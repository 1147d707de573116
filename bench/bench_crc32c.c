/* SPDX-License-Identifier: MIT */
/*
 * bench_crc32c: CRC-32C throughput, one thread, in bytes/s (the table's
 * "G/s" reads GB/s). Cases crc32c/64B, crc32c/1KB, crc32c/64KB checksum a
 * buffer of that size over and over; the kaos row is kaos_crc32c() (the
 * CPU's instruction where there is one), the `table` row the portable
 * slicing-by-8 code on the same buffers. Every run's last CRC is checked
 * against the portable code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/crc32c.h>

#include "harness.h"

#define MB ((uint64_t)1 << 20)

struct crc_run {
	uint32_t (*fn)(uint32_t, const void *, size_t);
	const unsigned char *buf;
	size_t block;
	uint32_t last; /* CRC of the last block */
};

static int
crc_thread(void *arg, unsigned index, uint64_t bytes)
{
	struct crc_run *r = arg;
	uint32_t c = 0;
	(void)index;
	for (uint64_t done = 0; done < bytes; done += r->block)
		c = r->fn(0, r->buf, r->block);
	r->last = c;
	return 0;
}

static int
crc_verify(void *arg, uint64_t bytes, char *msg, size_t len)
{
	struct crc_run *r = arg;
	uint32_t want = kaos_crc32c_portable(0, r->buf, r->block);
	(void)bytes;
	if (r->last == want)
		return 0;
	snprintf(msg, len, "crc %08x, expected %08x", r->last, want);
	return -1;
}

int
main(int argc, char **argv)
{
	static const size_t blocks[] = { 64, 1024, 64 * 1024 };
	static const char *const names[] = { "crc32c/64B", "crc32c/1KB", "crc32c/64KB" };
	struct kb_bench b;
	unsigned char *buf = malloc(64 * 1024);
	if (!buf)
		return 1;
	for (size_t i = 0; i < 64 * 1024; i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 8));

	kb_init(&b, "crc32c", argc, argv);
	printf("  crc32c    %s\n", kaos_crc32c_impl());
	for (size_t i = 0; i < 3; i++) {
		char extra[64];
		snprintf(extra, sizeof(extra), "\"block_bytes\":%zu,\"impl_code\":\"%s\"",
			 blocks[i], kaos_crc32c_impl());
		struct kb_case c = { names[i], 1024 * MB, 64 * 1024, 3, 7, extra };
		if (!kb_selected(&b, &c))
			continue;
		struct crc_run hw = { kaos_crc32c, buf, blocks[i], 0 };
		struct crc_run tab = { kaos_crc32c_portable, buf, blocks[i], 0 };
		struct kb_team teams[2] = {
			{ "kaos", "kaos_crc32c()", NULL, &hw, 1, crc_thread, NULL,
			  crc_verify, NULL, NULL },
			{ "table", "portable slicing-by-8", NULL, &tab, 1, crc_thread,
			  NULL, crc_verify, NULL, NULL },
		};
		kb_run_team_case(&b, &c, teams, 2);
	}
	free(buf);
	return kb_finish(&b);
}
