/* SPDX-License-Identifier: MIT */
/*
 * tools/kaos-chaos between two UDP sockets on loopback: what it forwards
 * is exactly what its counts say (each datagram intact, in order when
 * nothing reorders), delay and duplication reach the other direction,
 * a partition passes nothing, strangers are dropped, --duration ends it,
 * and bad arguments exit 2.
 *
 *   test_kaos_chaos PATH_TO_KAOS_CHAOS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kaos_test.h"

static const char *tool;

/* A loopback address: 127.0.0.1 or ::1. */
struct addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct proxy {
	pid_t pid;
	FILE *out;      /* its stdout */
	struct addr at; /* where it listens */
};

static uint64_t
ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned
port_of(const struct addr *a)
{
	return ntohs(a->sa.ss_family == AF_INET ? ((const struct sockaddr_in *)&a->sa)->sin_port
						: ((const struct sockaddr_in6 *)&a->sa)->sin6_port);
}

/* A UDP socket on the loopback address of @p family, a free port (-1 if
 * the family is not there). */
static int
udp_socket_in(int family, struct addr *addr)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct addr a = { .len = family == AF_INET ? sizeof(struct sockaddr_in)
						    : sizeof(struct sockaddr_in6) };
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&a.sa;
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a.sa;
		v6->sin6_family = AF_INET6;
		v6->sin6_addr = in6addr_loopback;
	}
	if (bind(fd, (struct sockaddr *)&a.sa, a.len) < 0) {
		close(fd);
		return -1;
	}
	KAOS_ASSERT_EQ(getsockname(fd, (struct sockaddr *)&a.sa, &a.len), 0);
	if (addr)
		*addr = a;
	return fd;
}

static int
udp_socket(struct addr *addr)
{
	int fd = udp_socket_in(AF_INET, addr);
	KAOS_ASSERT(fd >= 0);
	return fd;
}

/* Start the tool towards @p target with @p args (NULL-terminated, after
 * --listen and --to), listening on the same loopback; wait for its
 * "listening" line. */
static struct proxy
start(const struct addr *target, const char *const *args)
{
	bool v6 = target->sa.ss_family == AF_INET6;
	char to[64];
	snprintf(to, sizeof(to), v6 ? "[::1]:%u" : "127.0.0.1:%u", port_of(target));
	const char *argv[16] = { tool, "--listen", v6 ? "[::1]:0" : "127.0.0.1:0", "--to", to };
	int n = 5;
	for (; args && *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int p[2];
	KAOS_ASSERT_EQ(pipe(p), 0);
	struct proxy px = { 0 };
	px.pid = fork();
	KAOS_ASSERT(px.pid >= 0);
	if (px.pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execv(tool, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	px.out = fdopen(p[0], "r");
	KAOS_ASSERT(px.out);
	char line[128];
	unsigned port = 0;
	KAOS_ASSERT(fgets(line, sizeof(line), px.out));
	KAOS_ASSERT_EQ(sscanf(line, v6 ? "listening [::1]:%u" : "listening 127.0.0.1:%u", &port), 1);
	px.at = *target;
	if (v6)
		((struct sockaddr_in6 *)&px.at.sa)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&px.at.sa)->sin_port = htons((uint16_t)port);
	return px;
}

/* Stop it (SIGTERM) and read the counts of direction @p dir ("up",
 * "down"): in, the sum of the drops, delivered; and its exit status. */
struct counts {
	unsigned long long in, loss, type, partition, queue, dup, reorder, corrupt, delivered, held;
};

static int
stop(struct proxy *px, struct counts *up, struct counts *down, unsigned long long *strangers)
{
	kill(px->pid, SIGTERM);
	char line[512];
	int got = 0;
	while (fgets(line, sizeof(line), px->out)) {
		struct counts c;
		char dir[8];
		if (sscanf(line,
			   "%7[a-z]: in=%llu dropped_loss=%llu dropped_type=%llu "
			   "dropped_partition=%llu dropped_queue=%llu duplicated=%llu "
			   "reordered=%llu corrupted=%llu delivered=%llu held=%llu",
			   dir, &c.in, &c.loss, &c.type, &c.partition, &c.queue, &c.dup, &c.reorder,
			   &c.corrupt, &c.delivered, &c.held) == 11) {
			*(strcmp(dir, "up") == 0 ? up : down) = c;
			got++;
		} else if (sscanf(line, "strangers=%llu", strangers) == 1) {
			got++;
		}
	}
	fclose(px->out);
	int status = 0;
	KAOS_ASSERT_EQ(waitpid(px->pid, &status, 0), px->pid);
	KAOS_ASSERT_EQ(got, 3);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Datagrams arriving at @p fd until none for @p idle_ms; each one's first
 * 4 bytes (its number) into @p seen (up to @p max). */
static int
drain(int fd, uint32_t *seen, int max, int idle_ms, int len_expected)
{
	int n = 0;
	unsigned char buf[2048];
	struct pollfd pfd = { fd, POLLIN, 0 };
	while (poll(&pfd, 1, idle_ms) == 1) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0)
			continue;
		KAOS_ASSERT_EQ(r, len_expected);
		uint32_t k;
		memcpy(&k, buf, 4);
		for (int i = 4; i < r; i++) /* the rest is its number's pattern */
			KAOS_ASSERT_EQ(buf[i], (unsigned char)(k + (uint32_t)i));
		if (n < max)
			seen[n] = k;
		n++;
	}
	return n;
}

static void
fill(unsigned char *buf, uint32_t k, int len)
{
	memcpy(buf, &k, 4);
	for (int i = 4; i < len; i++)
		buf[i] = (unsigned char)(k + (uint32_t)i);
}

/* Send @p n numbered datagrams from @p fd to @p to, in bursts that the
 * socket buffers on the way hold, draining @p rx in between. */
static int
send_paced(int fd, const struct addr *to, int n, int len, int rx, uint32_t *seen, int max)
{
	unsigned char buf[2048];
	int got = 0;
	for (int k = 0; k < n; k++) {
		fill(buf, (uint32_t)k, len);
		KAOS_ASSERT_EQ(sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)&to->sa,
				      to->len),
			       len);
		if (k % 32 == 31)
			got += drain(rx, seen + got, max - got, 5, len);
	}
	return got + drain(rx, seen + got, max - got, 300, len);
}

/* Through the proxy on @p family's loopback, 10% loss up: the datagrams
 * that arrive are exactly those its counts say it delivered. */
static void
forward_counted(int family)
{
	enum { N = 3000, LEN = 100 };
	struct addr server_at;
	int server = udp_socket_in(family, &server_at);
	if (server < 0) {
		printf("  (no %s loopback here: skipped)\n", family == AF_INET6 ? "IPv6" : "IPv4");
		return;
	}
	int client = udp_socket_in(family, NULL);
	KAOS_ASSERT(client >= 0);
	const char *args[] = { "--up", "loss=0.1,corrupt=0,seed=5", NULL };
	struct proxy px = start(&server_at, args);
	uint32_t *seen = malloc(N * sizeof(*seen));
	KAOS_ASSERT(seen);
	int got = send_paced(client, &px.at, N, LEN, server, seen, N);
	struct counts up = { 0 }, down = { 0 };
	unsigned long long strangers = 1;
	KAOS_ASSERT_EQ(stop(&px, &up, &down, &strangers), 0);
	KAOS_ASSERT_EQ(up.in, N);
	KAOS_ASSERT_GT(up.loss, 200); /* 10% of 3,000 */
	KAOS_ASSERT_LT(up.loss, 400);
	KAOS_ASSERT_EQ(up.delivered, N - up.loss);
	KAOS_ASSERT_EQ((unsigned long long)got, up.delivered); /* nothing else lost */
	for (int i = 1; i < got; i++)
		KAOS_ASSERT_LT(seen[i - 1], seen[i]); /* in order, none twice */
	KAOS_ASSERT_EQ(down.in, 0);
	KAOS_ASSERT_EQ(strangers, 0);
	free(seen);
	close(server);
	close(client);
}

static void
forwards_exactly_what_it_counts(void)
{
	forward_counted(AF_INET);
}

static void
forwards_over_ipv6(void)
{
	forward_counted(AF_INET6);
}

/* The server echoes; the down direction delays by 30 ms and duplicates
 * every datagram. */
static void
delays_and_duplicates_the_way_back(void)
{
	struct addr server_at;
	int server = udp_socket(&server_at), client = udp_socket(NULL);
	const char *args[] = { "--down", "delay=30ms,dup=1", NULL };
	struct proxy px = start(&server_at, args);
	unsigned char buf[64];
	for (uint32_t k = 0; k < 5; k++) {
		fill(buf, k, sizeof(buf));
		uint64_t t0 = ms_now();
		KAOS_ASSERT_EQ(sendto(client, buf, sizeof(buf), 0, (struct sockaddr *)&px.at.sa,
				      px.at.len),
			       (ssize_t)sizeof(buf));
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t r = recvfrom(server, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		KAOS_ASSERT_EQ(r, (ssize_t)sizeof(buf));
		KAOS_ASSERT_EQ(sendto(server, buf, (size_t)r, 0, (struct sockaddr *)&from, flen), r);
		uint32_t seen[4];
		int n = drain(client, seen, 4, 200, sizeof(buf));
		KAOS_ASSERT_EQ(n, 2); /* the echo and its duplicate */
		KAOS_ASSERT_EQ(seen[0], k);
		KAOS_ASSERT_EQ(seen[1], k);
		KAOS_ASSERT_GE(ms_now() - t0, 30);
	}
	struct counts up = { 0 }, down = { 0 };
	unsigned long long strangers = 1;
	KAOS_ASSERT_EQ(stop(&px, &up, &down, &strangers), 0);
	KAOS_ASSERT_EQ(up.delivered, 5);
	KAOS_ASSERT_EQ(down.in, 5);
	KAOS_ASSERT_EQ(down.dup, 5);
	KAOS_ASSERT_EQ(down.delivered, 10);
	close(server);
	close(client);
}

static void
partition_passes_nothing_and_strangers_are_dropped(void)
{
	struct addr server_at;
	int server = udp_socket(&server_at), client = udp_socket(NULL), other = udp_socket(NULL);
	const char *args[] = { "--both", "partition=0s+60s", NULL };
	struct proxy px = start(&server_at, args);
	uint32_t seen[64];
	KAOS_ASSERT_EQ(send_paced(client, &px.at, 50, 64, server, seen, 64), 0);
	/* the client is known now: another address is a stranger */
	unsigned char buf[64];
	fill(buf, 1, sizeof(buf));
	for (int i = 0; i < 3; i++)
		KAOS_ASSERT_EQ(sendto(other, buf, sizeof(buf), 0, (struct sockaddr *)&px.at.sa,
				      px.at.len),
			       (ssize_t)sizeof(buf));
	KAOS_ASSERT_EQ(drain(server, seen, 64, 200, 64), 0);
	struct counts up = { 0 }, down = { 0 };
	unsigned long long strangers = 0;
	KAOS_ASSERT_EQ(stop(&px, &up, &down, &strangers), 0);
	KAOS_ASSERT_EQ(up.in, 50);
	KAOS_ASSERT_EQ(up.partition, 50);
	KAOS_ASSERT_EQ(up.delivered, 0);
	KAOS_ASSERT_EQ(strangers, 3);
	close(server);
	close(client);
	close(other);
}

static void
duration_ends_it_and_bad_arguments_exit_2(void)
{
	struct addr server_at;
	int server = udp_socket(&server_at);
	const char *args[] = { "--duration", "0.2", NULL };
	uint64_t t0 = ms_now();
	struct proxy px = start(&server_at, args);
	/* it ends by itself after 0.2 s: its output to the end, then its exit */
	int status = 0;
	char line[512];
	int lines = 0;
	while (fgets(line, sizeof(line), px.out))
		lines++;
	fclose(px.out);
	KAOS_ASSERT_EQ(waitpid(px.pid, &status, 0), px.pid);
	KAOS_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	KAOS_ASSERT_EQ(lines, 3); /* up, down, strangers */
	KAOS_ASSERT_GE(ms_now() - t0, 200);
	close(server);

	const char *const bad[][8] = {
		{ "--listen", "127.0.0.1:0", NULL },
		{ "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--up", "loss=2", NULL },
		{ "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--both", "bogus=1", NULL },
		{ "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--up", "rate=1mbit", NULL },
		{ "--listen", "nowhere", "--to", "127.0.0.1:9", NULL },
		{ "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--duration", "-1", NULL },
		{ "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--frobnicate", "1", NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pid_t p = fork();
		KAOS_ASSERT(p >= 0);
		if (p == 0) {
			const char *argv[10] = { tool };
			for (int k = 0; bad[i][k]; k++)
				argv[k + 1] = bad[i][k];
			int devnull = open("/dev/null", O_WRONLY);
			dup2(devnull, STDERR_FILENO);
			dup2(devnull, STDOUT_FILENO);
			execv(tool, (char *const *)argv);
			_exit(127);
		}
		KAOS_ASSERT_EQ(waitpid(p, &status, 0), p);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
			KAOS_FAIL("bad arguments %zu: exit %d, expected 2", i,
				  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_kaos_chaos PATH_TO_KAOS_CHAOS\n");
		return 2;
	}
	tool = argv[1];
	argv[1] = argv[0];
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(forwards_exactly_what_it_counts),
		KAOS_TEST(forwards_over_ipv6),
		KAOS_TEST(delays_and_duplicates_the_way_back),
		KAOS_TEST(partition_passes_nothing_and_strangers_are_dropped),
		KAOS_TEST(duration_ends_it_and_bad_arguments_exit_2),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc - 1, argv + 1);
}
