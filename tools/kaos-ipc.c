/* SPDX-License-Identifier: MIT */
/*
 * kaos-ipc: look at and tidy up kaos shared-memory channels.
 *
 *   kaos-ipc list [--json] [DIR]       channels in /dev/shm (or DIR)
 *   kaos-ipc show [--json] NAME        one channel in detail
 *   kaos-ipc rm NAME...                remove names (kaos_ipc_unlink)
 *   kaos-ipc cleanup [NAME...]         remove channels no process holds
 *   kaos-ipc cleanup --dir DIR         ... every one found in DIR
 *
 * NAME is "/name" (one leading slash, no other: a POSIX shared-memory
 * object under /dev/shm) or a file path, as in struct kaos_ipc_config.
 * Everything goes through the public API (kaos_ipc_inspect, _cleanup,
 * _unlink); the only format knowledge here is the 8-byte magic at offset 0,
 * used to tell channels that fail validation from other people's files
 * (docs/ipc-format.md).
 *
 * Exit status: 0 success, 1 error, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <kaos/error.h>
#include <kaos/ipc.h>
#include <kaos/wait.h>

#include "scan.h"

#define EXIT_ERR 1
#define EXIT_USAGE 2

/* "KAOSIPC\0": the first 8 bytes of every channel file. */
static const unsigned char channel_magic[8] = { 'K', 'A', 'O', 'S', 'I', 'P', 'C', 0 };

static const char *prog = "kaos-ipc";

/* ---- small helpers ---------------------------------------------------------- */

/* kaos_strerror() knows kaos's codes and the errno values kaos returns;
 * open/opendir can return others (ENOTDIR, EISDIR, ...). */
static const char *
err_text(int rc)
{
	const char *s = kaos_strerror(rc);
	if (strcmp(s, "unknown error") == 0 && -rc > 0 && -rc < 4000)
		return strerror(-rc);
	return s;
}

static bool
is_shm_name(const char *name)
{
	return name[0] == '/' && name[1] && !strchr(name + 1, '/');
}

static uint32_t
count_alive(const struct kaos_ipc_peer *p, uint32_t n)
{
	uint32_t alive = 0;
	for (uint32_t i = 0; i < n; i++)
		alive += p[i].alive;
	return alive;
}

static bool
stale(const struct kaos_ipc_info *info)
{
	return count_alive(info->producers, info->nproducers) == 0 &&
	       count_alive(info->subscribers, info->nsubscribers) == 0;
}

static const char *
peer_status(const struct kaos_ipc_peer *p)
{
	if (p->alive)
		return "alive";
	if (p->closed)
		return "closed";
	if (p->pid == 0)
		return "never";
	return "dead";
}

/* Milliseconds since a CLOCK_MONOTONIC stamp; -1 if there is none. */
static int64_t
age_ms(uint64_t stamp_ns, uint64_t now_ns)
{
	if (stamp_ns == 0)
		return -1;
	return stamp_ns >= now_ns ? 0 : (int64_t)((now_ns - stamp_ns) / 1000000u);
}

/* A JSON string (names are bytes: control characters, quotes and
 * backslashes are escaped, anything else passes through). */
static void
json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* What the first 8 bytes of a file say. */
enum probe { FOREIGN = 0, CHANNEL = 1, BLANK = 2 /* empty, or zeros so far */ };

/*
 * Does the file start with the channel magic? enum probe, or -errno if it
 * cannot be read. @p dirfd/@p entry name it inside a directory being
 * scanned; otherwise @p name is a channel name.
 */
static int
probe(int dirfd, const char *entry, const char *name)
{
	int fd;
	if (entry)
		fd = openat(dirfd, entry, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	else if (is_shm_name(name))
		fd = shm_open(name, O_RDONLY, 0);
	else
		fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unsigned char buf[sizeof(channel_magic)] = { 0 };
	ssize_t got = pread(fd, buf, sizeof(buf), 0);
	int rc = got < 0 ? -errno : FOREIGN;
	if (got == (ssize_t)sizeof(buf) && !memcmp(buf, channel_magic, sizeof(buf)))
		rc = CHANNEL;
	else if (got >= 0 && !memcmp(buf, (const unsigned char[8]){ 0 }, sizeof(buf)))
		rc = BLANK;
	close(fd);
	return rc;
}

/* ---- list ------------------------------------------------------------------------ */

struct row {
	const char *name;
	int rc; /* 0: info is valid; else why not (a channel failing validation) */
	struct kaos_ipc_info info;
};

static void
list_text(const struct row *rows, size_t n)
{
	int w = 4;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(rows[i].name) > w)
			w = (int)strlen(rows[i].name);
	printf("%-*s  %-6s  %10s  %5s  %12s  %12s  %10s  %9s  %11s  %s\n", w, "NAME", "KIND",
	       "CAPACITY", "SLOT", "TAIL", "HEAD", "LAG", "PRODUCERS", "SUBSCRIBERS", "STATE");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		if (r->rc) {
			printf("%-*s  (%s%s)\n", w, r->name, err_text(r->rc),
			       r->rc == -EAGAIN ? ": not initialised; being created, or "
						  "its creator died"
						: "");
			continue;
		}
		const struct kaos_ipc_info *f = &r->info;
		char slot[16] = "-", prod[16], subs[16];
		if (f->slot_size) /* fixed-slot kinds */
			snprintf(slot, sizeof(slot), "%" PRIu32, f->slot_size);
		snprintf(prod, sizeof(prod), "%" PRIu32 "/%" PRIu32,
			 count_alive(f->producers, f->nproducers), f->nproducers);
		snprintf(subs, sizeof(subs), "%" PRIu32 "/%" PRIu32,
			 count_alive(f->subscribers, f->nsubscribers), f->nsubscribers);
		printf("%-*s  %-6s  %10" PRIu64 "  %5s  %12" PRIu64 "  %12" PRIu64 "  %10" PRIu64
		       "  %9s  %11s  %s\n",
		       w, r->name, kaos_ipc_kind_name(f->kind), f->capacity, slot, f->tail, f->head,
		       f->tail - f->head, prod, subs, stale(f) ? "STALE" : "");
	}
}

static void
list_json(const struct row *rows, size_t n)
{
	printf("[");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		printf("%s\n  {\"name\": ", i ? "," : "");
		json_str(stdout, r->name);
		if (r->rc) {
			printf(", \"error\": \"%s\", \"message\": ", kaos_err_name(r->rc));
			json_str(stdout, err_text(r->rc));
			printf("}");
			continue;
		}
		const struct kaos_ipc_info *f = &r->info;
		printf(", \"kind\": \"%s\", \"capacity\": %" PRIu64 ", \"slot_size\": %" PRIu32
		       ", \"tail\": %" PRIu64 ", \"head\": %" PRIu64 ", \"lag\": %" PRIu64
		       ", \"producers_alive\": %" PRIu32 ", \"producers\": %" PRIu32
		       ", \"subscribers_alive\": %" PRIu32 ", \"subscribers\": %" PRIu32
		       ", \"stale\": %s}",
		       kaos_ipc_kind_name(f->kind), f->capacity, f->slot_size, f->tail, f->head,
		       f->tail - f->head, count_alive(f->producers, f->nproducers), f->nproducers,
		       count_alive(f->subscribers, f->nsubscribers), f->nsubscribers,
		       stale(f) ? "true" : "false");
	}
	printf("%s]\n", n ? "\n" : "");
}

static int
cmd_list(const char *dir, bool json)
{
	struct found *files = NULL;
	int dfd = -1;
	int n = scan_dir(dir, &files, &dfd);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, err_text(n));
		return EXIT_ERR;
	}
	struct row *rows = calloc((size_t)n + 1, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, "%s: %s\n", prog, err_text(-ENOMEM));
		free(files);
		close(dfd);
		return EXIT_ERR;
	}
	size_t nrows = 0, unreadable = 0;
	for (int i = 0; i < n; i++) {
		struct row *r = &rows[nrows];
		r->name = files[i].name;
		r->rc = kaos_ipc_inspect(r->name, &r->info);
		if (r->rc == -KAOS_EFOREIGN)
			continue; /* somebody else's file */
		if (r->rc) {
			/* Show a channel that fails validation (another
			 * version, not initialised, damaged); skip anything
			 * that does not carry the magic. */
			int m = probe(dfd, files[i].entry, NULL);
			if (m == -EACCES || m == -EPERM)
				unreadable++;
			if (m != CHANNEL)
				continue;
		}
		nrows++;
	}
	if (json)
		list_json(rows, nrows);
	else
		list_text(rows, nrows);
	if (unreadable)
		fprintf(stderr, "%s: %zu file(s) in %s could not be read (permission denied)\n",
			prog, unreadable, dir);
	free(rows);
	free(files);
	close(dfd);
	return 0;
}

/* ---- show ------------------------------------------------------------------------ */

static void
flags_text(uint32_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", flags & KAOS_IPC_BLOCKING ? "blocking " : "",
		 flags & KAOS_IPC_CRC ? "crc " : "", flags ? "" : "none");
	size_t l = strlen(buf);
	if (l && buf[l - 1] == ' ')
		buf[l - 1] = 0;
}

static void
show_peers_text(const char *title, const struct kaos_ipc_peer *p, uint32_t n, bool positions,
		const char *unit, uint64_t now)
{
	printf("%-12s %" PRIu32 " slot%s, %" PRIu32 " alive\n", title, n, n == 1 ? "" : "s",
	       count_alive(p, n));
	for (uint32_t i = 0; i < n; i++) {
		char pid[24] = "-", hb[40] = "-", pos[48] = "";
		if (p[i].pid)
			snprintf(pid, sizeof(pid), "%" PRId32, p[i].pid);
		int64_t age = age_ms(p[i].heartbeat_ns, now);
		if (age >= 0)
			snprintf(hb, sizeof(hb), "%" PRId64 " ms ago", age);
		if (positions) {
			if (p[i].position == KAOS_BCAST_FREE)
				snprintf(pos, sizeof(pos), "position free");
			else
				snprintf(pos, sizeof(pos), "position %" PRIu64 " (%s)",
					 p[i].position, unit);
		}
		int pad = *pos ? 15 - (int)strlen(hb) : 0;
		printf("  #%-3" PRIu32 " pid %-8s %-7s heartbeat %s%*s%s\n", p[i].index, pid,
		       peer_status(&p[i]), hb, pad > 0 ? pad : (*pos ? 1 : 0), "", pos);
	}
}

static void
show_peers_json(const char *key, const struct kaos_ipc_peer *p, uint32_t n, bool positions,
		uint64_t now)
{
	printf(",\n  \"%s\": [", key);
	for (uint32_t i = 0; i < n; i++) {
		int64_t age = age_ms(p[i].heartbeat_ns, now);
		printf("%s\n    {\"index\": %" PRIu32 ", \"pid\": %" PRId32
		       ", \"status\": \"%s\", \"alive\": %s, \"closed\": %s"
		       ", \"heartbeat_ns\": %" PRIu64 ", \"heartbeat_age_ms\": ",
		       i ? "," : "", p[i].index, p[i].pid, peer_status(&p[i]),
		       p[i].alive ? "true" : "false", p[i].closed ? "true" : "false",
		       p[i].heartbeat_ns);
		if (age >= 0)
			printf("%" PRId64, age);
		else
			printf("null");
		if (positions) {
			if (p[i].position == KAOS_BCAST_FREE)
				printf(", \"position\": null");
			else
				printf(", \"position\": %" PRIu64, p[i].position);
		}
		printf("}");
	}
	printf("%s]", n ? "\n  " : "");
}

static int
cmd_show(const char *name, bool json)
{
	struct kaos_ipc_info f;
	int rc = kaos_ipc_inspect(name, &f);
	if (rc < 0) {
		const char *hint = "";
		if (rc == -EAGAIN)
			hint = " (not initialised: being created, or its creator died; "
			       "'kaos-ipc cleanup NAME' removes it)";
		else if (rc == -ENOENT && !strchr(name, '/'))
			hint = " (shared-memory names start with '/')";
		fprintf(stderr, "%s: %s: %s%s\n", prog, name, err_text(rc), hint);
		return EXIT_ERR;
	}
	uint64_t now = kaos_now_ns();
	const char *unit = kaos_ipc_kind_unit(f.kind);
	char flags[32];
	flags_text(f.flags, flags, sizeof(flags));
	if (json) {
		printf("{\n  \"name\": ");
		json_str(stdout, name);
		printf(",\n  \"kind\": \"%s\", \"kind_id\": %d, \"version\": %" PRIu32
		       ", \"flags\": %" PRIu32 ", \"blocking\": %s, \"crc\": %s"
		       ",\n  \"capacity\": %" PRIu64 ", \"slot_size\": %" PRIu32
		       ", \"unit\": \"%s\", \"file_size\": %" PRIu64
		       ",\n  \"tail\": %" PRIu64 ", \"head\": %" PRIu64 ", \"lag\": %" PRIu64
		       ", \"unblocked\": %" PRIu64 ", \"evicted\": %" PRIu64
		       ",\n  \"producers_alive\": %" PRIu32 ", \"subscribers_alive\": %" PRIu32
		       ", \"stale\": %s",
		       kaos_ipc_kind_name(f.kind), (int)f.kind, f.version, f.flags,
		       f.flags & KAOS_IPC_BLOCKING ? "true" : "false",
		       f.flags & KAOS_IPC_CRC ? "true" : "false", f.capacity, f.slot_size, unit,
		       f.file_size, f.tail, f.head, f.tail - f.head, f.unblocked, f.evicted,
		       count_alive(f.producers, f.nproducers),
		       count_alive(f.subscribers, f.nsubscribers), stale(&f) ? "true" : "false");
		printf(",\n  \"full\": %" PRIu64 ", \"waits\": %" PRIu64 ", \"wakes\": %" PRIu64,
		       f.stats.full, f.stats.waits, f.stats.wakes);
		show_peers_json("producers", f.producers, f.nproducers, false, now);
		show_peers_json("subscribers", f.subscribers, f.nsubscribers, true, now);
		printf("\n}\n");
		return 0;
	}
	printf("%-12s %s\n", "channel", name);
	printf("%-12s %s (%s)\n", "kind", kaos_ipc_kind_name(f.kind), kaos_ipc_kind_summary(f.kind));
	printf("%-12s %" PRIu32 "\n", "version", f.version);
	printf("%-12s %s\n", "flags", flags);
	printf("%-12s %" PRIu64 " %s\n", "capacity", f.capacity, unit);
	if (f.slot_size) /* fixed-slot kinds */
		printf("%-12s %" PRIu32 " bytes\n", "slot size", f.slot_size);
	printf("%-12s %" PRIu64 " bytes\n", "file size", f.file_size);
	printf("%-12s %" PRIu64 "\n", "tail", f.tail);
	printf("%-12s %" PRIu64 "%s\n", "head", f.head,
	       f.nsubscribers > 1 ? " (slowest subscriber)" : "");
	printf("%-12s %" PRIu64 " %s\n", "lag", f.tail - f.head, unit);
	printf("%-12s %" PRIu64 "%s\n", "unblocked", f.unblocked,
	       f.nproducers > 1 ? " (dead claims turned into padding)" : "");
	printf("%-12s %" PRIu64 "%s\n", "evicted", f.evicted,
	       f.nsubscribers > 1 ? " (dead subscribers freed)" : "");
	printf("%-12s %" PRIu64 " (claims and pushes refused: channel full)\n", "full",
	       f.stats.full);
	printf("%-12s %" PRIu64 " waits, %" PRIu64 " wake-ups of blocked threads\n", "waiting",
	       f.stats.waits, f.stats.wakes);
	printf("%-12s %s\n", "state", stale(&f) ? "STALE (no process attached)" : "in use");
	show_peers_text("producers", f.producers, f.nproducers, false, unit, now);
	show_peers_text("subscribers", f.subscribers, f.nsubscribers, true, unit, now);
	return 0;
}

/* ---- rm and cleanup ----------------------------------------------------------------- */

static int
cmd_rm(char **names, int n)
{
	int status = 0;
	for (int i = 0; i < n; i++) {
		/* Refuse a file that exists and is not a channel: a path
		 * typed by mistake is not ours to delete. (An empty or
		 * zero-filled one may be a channel whose creator died while
		 * making it.) */
		if (probe(-1, NULL, names[i]) == FOREIGN) {
			fprintf(stderr, "%s: %s: %s; not removed\n", prog, names[i],
				err_text(-KAOS_EFOREIGN));
			status = EXIT_ERR;
			continue;
		}
		int rc = kaos_ipc_unlink(names[i]);
		if (rc < 0) {
			fprintf(stderr, "%s: %s: %s%s\n", prog, names[i], err_text(rc),
				rc == -ENOENT && !strchr(names[i], '/')
					? " (shared-memory names start with '/')"
					: "");
			status = EXIT_ERR;
			continue;
		}
		printf("removed %s\n", names[i]);
	}
	return status;
}

/* 0 done (removed or kept), 1 error. */
static int
cleanup_one(const char *name, bool quiet_kept)
{
	int rc = kaos_ipc_cleanup(name);
	if (rc < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, name, err_text(rc));
		return 1;
	}
	if (rc == 1)
		printf("removed %s\n", name);
	else if (!quiet_kept)
		printf("kept %s (in use)\n", name);
	return 0;
}

static int
cmd_cleanup(char **names, int n, const char *dir)
{
	int errors = 0;
	if (!dir) {
		for (int i = 0; i < n; i++)
			errors += cleanup_one(names[i], false);
		return errors ? EXIT_ERR : 0;
	}
	struct found *files = NULL;
	int dfd = -1;
	int nf = scan_dir(dir, &files, &dfd);
	if (nf < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, err_text(nf));
		return EXIT_ERR;
	}
	/* Only files that carry the magic: kaos_ipc_cleanup() would also
	 * remove any empty or zero-filled file (a creator that died before
	 * writing the header), which in a shared directory may well be
	 * somebody else's. Name such a file to remove it. */
	for (int i = 0; i < nf; i++)
		if (probe(dfd, files[i].entry, NULL) == CHANNEL)
			errors += cleanup_one(files[i].name, true);
	free(files);
	close(dfd);
	return errors ? EXIT_ERR : 0;
}

/* ---- main --------------------------------------------------------------------------- */

static int
usage(FILE *out, int status)
{
	fprintf(out,
		"usage: %s list [--json] [DIR]      channels in /dev/shm (or DIR)\n"
		"       %s show [--json] NAME       one channel: header, positions, processes\n"
		"       %s rm NAME...               remove channel names (attached processes\n"
		"                                        keep their mapping)\n"
		"       %s cleanup [NAME...]        remove the named channels, or every one in\n"
		"                                        /dev/shm, that no process holds\n"
		"       %s cleanup --dir DIR        the same for every channel in DIR\n"
		"NAME: \"/name\" (one leading slash, no other) is a shared-memory object\n"
		"under /dev/shm; anything else is a file path. --json prints one JSON\n"
		"object per channel (list: an array of them).\n"
		"Exit status: 0 success, 1 error, 2 usage.\n",
		prog, prog, prog, prog, prog);
	return status;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		return usage(stdout, 0);

	/* Options anywhere after the command; "--" ends them. */
	bool json = false, opts_done = false;
	const char *dir = NULL;
	char **args = calloc((size_t)argc, sizeof(*args));
	if (!args)
		return EXIT_ERR;
	int nargs = 0, status;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!opts_done && !strcmp(a, "--")) {
			opts_done = true;
		} else if (!opts_done && !strcmp(a, "--json")) {
			json = true;
		} else if (!opts_done && !strcmp(a, "--dir")) {
			if (++i >= argc) {
				fprintf(stderr, "%s: --dir needs a directory\n", prog);
				free(args);
				return EXIT_USAGE;
			}
			dir = argv[i];
		} else if (!opts_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			free(args);
			return usage(stdout, 0);
		} else if (!opts_done && a[0] == '-' && a[1]) {
			fprintf(stderr, "%s: unknown option %s\n", prog, a);
			free(args);
			return usage(stderr, EXIT_USAGE);
		} else {
			args[nargs++] = argv[i];
		}
	}

	bool json_ok = !strcmp(cmd, "list") || !strcmp(cmd, "show");
	bool dir_ok = !strcmp(cmd, "cleanup");
	if ((json && !json_ok) || (dir && !dir_ok)) {
		fprintf(stderr, "%s: %s does not take %s\n", prog, cmd, json ? "--json" : "--dir");
		status = EXIT_USAGE;
	} else if (!strcmp(cmd, "list")) {
		status = nargs > 1 ? usage(stderr, EXIT_USAGE)
				   : cmd_list(nargs ? args[0] : SHM_DIR, json);
	} else if (!strcmp(cmd, "show")) {
		status = nargs != 1 ? usage(stderr, EXIT_USAGE) : cmd_show(args[0], json);
	} else if (!strcmp(cmd, "rm")) {
		status = nargs < 1 ? usage(stderr, EXIT_USAGE) : cmd_rm(args, nargs);
	} else if (!strcmp(cmd, "cleanup")) {
		if (dir && nargs) {
			fprintf(stderr, "%s: cleanup takes names or --dir, not both\n", prog);
			status = EXIT_USAGE;
		} else {
			status = cmd_cleanup(args, nargs, nargs ? NULL : dir ? dir : SHM_DIR);
		}
	} else {
		fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
		status = usage(stderr, EXIT_USAGE);
	}
	free(args);
	fflush(stdout);
	if (ferror(stdout)) {
		fprintf(stderr, "%s: error writing output\n", prog);
		return EXIT_ERR;
	}
	return status;
}
