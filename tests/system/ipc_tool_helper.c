/* SPDX-License-Identifier: MIT */
/*
 * Helper for test_kaos_ipc_tool.sh: attach to a channel and stay (a live
 * process) or die by SIGKILL (a dead one).
 *
 *   ipc_tool_helper hold  ROLE NAME KIND SECONDS   attach, send/receive a
 *       little, print "ready", sleep up to SECONDS, close
 *   ipc_tool_helper crash ROLE NAME KIND           attach, send/receive a
 *       little, print "ready", SIGKILL itself
 *
 * ROLE: pub or sub. KIND: spsc, msg-sp, msg-mp, bcast or u64 (8-byte
 * values, capacity 63; the others' fixed slots are 16 bytes, 64 of them).
 * A little: MESSAGES sent (a publisher continues the channel's sequence),
 * or up to MESSAGES received.
 * Exit status: 0 (hold), killed by SIGKILL (crash), 1 error, 2 usage.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <kaos/kaos.h>

#define MESSAGES 5

static void
on_message(uint32_t type, const void *data, size_t len, void *ctx)
{
	(void)type;
	(void)data;
	(void)len;
	(*(int *)ctx)++;
}

static int
parse_kind(const char *s, enum kaos_ipc_kind *kind)
{
	static const struct {
		const char *name;
		enum kaos_ipc_kind kind;
	} kinds[] = { { "spsc", KAOS_IPC_SPSC },
		      { "msg-sp", KAOS_IPC_MSG_SP },
		      { "msg-mp", KAOS_IPC_MSG_MP },
		      { "bcast", KAOS_IPC_BCAST },
		      { "u64", KAOS_IPC_U64 } };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(s, kinds[i].name)) {
			*kind = kinds[i].kind;
			return 0;
		}
	return -1;
}

int
main(int argc, char **argv)
{
	bool hold = argc == 6 && !strcmp(argv[1], "hold");
	bool crash = argc == 5 && !strcmp(argv[1], "crash");
	enum kaos_ipc_kind kind;
	if ((!hold && !crash) || (strcmp(argv[2], "pub") && strcmp(argv[2], "sub")) ||
	    parse_kind(argv[4], &kind) < 0) {
		fprintf(stderr, "usage: %s hold pub|sub NAME KIND SECONDS\n"
				"       %s crash pub|sub NAME KIND\n",
			argv[0], argv[0]);
		return 2;
	}
	bool pub = !strcmp(argv[2], "pub");
	bool u64 = kind == KAOS_IPC_U64;
	bool fixed = kind == KAOS_IPC_SPSC || kind == KAOS_IPC_BCAST;
	struct kaos_ipc_config cfg = {
		.name = argv[3],
		.kind = kind,
		.capacity = u64 ? 63 : fixed ? 64 : 4096,
		.slot_size = u64 ? 8 : fixed ? 16 : 0,
		.max_subscribers = kind == KAOS_IPC_BCAST ? 4 : 0,
		.max_producers = kind == KAOS_IPC_MSG_MP ? 2 : 0,
	};
	struct kaos_ipc *ch;
	int rc = pub ? kaos_ipc_publish(&cfg, &ch) : kaos_ipc_subscribe(&cfg, &ch);
	if (rc < 0) {
		fprintf(stderr, "%s %s %s: %s\n", argv[1], argv[2], argv[3], kaos_strerror(rc));
		return 1;
	}
	if (pub) {
		char msg[16] = "hello";
		for (int i = 0; i < MESSAGES && rc == 0; i++)
			rc = kaos_ipc_send(ch, 0, msg,
					   u64 ? 8 : fixed ? sizeof(msg) : strlen(msg), NULL);
	} else {
		int got = 0;
		int64_t n = kaos_ipc_receive(ch, on_message, &got, MESSAGES, NULL);
		rc = n < 0 ? (int)n : 0; /* whatever is there; may be nothing */
	}
	if (rc < 0 && rc != -KAOS_EFULL) {
		fprintf(stderr, "%s: %s\n", argv[3], kaos_strerror(rc));
		kaos_ipc_close(ch);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (crash)
		raise(SIGKILL); /* no close: the kernel drops our lock */
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += atoi(argv[5]);
	do {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	kaos_ipc_close(ch);
	return 0;
}
