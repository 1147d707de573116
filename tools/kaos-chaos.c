/* SPDX-License-Identifier: MIT */
/*
 * kaos-chaos: a seeded UDP proxy that impairs traffic, per direction and
 * per datagram (loss, duplication, reordering, delay, jitter, corruption,
 * a rate limit with a queue, timed partitions, drop by frame type), and
 * counts what it did. One client: the first address that sends to
 * --listen; datagrams from any other address, or to the upstream socket
 * from anyone but --to, are dropped and counted as strangers.
 *
 *   kaos-chaos --listen HOST:PORT --to HOST:PORT [--both SPEC] [--up SPEC]
 *              [--down SPEC] [--duration SECONDS]
 *
 * "up" is client -> target, "down" target -> client; --both applies to
 * each before its own. SPEC: "loss=0.05,dup=0.01,delay=20ms,jitter=5ms,
 * reorder=0.02:10ms,corrupt=0.001,rate=100mbit,queue=64k,drop=status+nak,
 * partition=2s+500ms,seed=7" (partitions count from the proxy's start).
 * PORT 0 picks a free port. It prints "listening HOST:PORT" when ready,
 * runs until SIGINT/SIGTERM or --duration, then prints one line of
 * counts per direction and exits 0 (2 on bad arguments, 1 on a socket
 * error).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rudp/chaos.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
usage(const char *why)
{
	fprintf(stderr,
		"kaos-chaos: %s\n"
		"usage: kaos-chaos --listen HOST:PORT --to HOST:PORT [--both SPEC] [--up SPEC]\n"
		"                  [--down SPEC] [--duration SECONDS]\n",
		why);
	return 2;
}

/* "host:port" or "[v6]:port" into @p addr. */
static int
resolve(const char *arg, struct sockaddr_storage *addr, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(arg, ':');
	if (!colon || (size_t)(colon - arg) >= sizeof(host))
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
		h++;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICSERV }, *res = NULL;
	if (getaddrinfo(h, colon + 1, &hints, &res) != 0 || !res)
		return -1;
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
same_addr(const struct sockaddr_storage *a, socklen_t alen, const struct sockaddr_storage *b,
	  socklen_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static void
print_addr(const char *what, const struct sockaddr_storage *a)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
		port = ntohs(v4->sin_port);
		printf("%s %s:%u\n", what, host, port);
	} else {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
		port = ntohs(v6->sin6_port);
		printf("%s [%s]:%u\n", what, host, port);
	}
	fflush(stdout);
}

static void
print_stats(const char *dir, const struct kaos__chaos *c)
{
	struct kaos__chaos_stats s;
	kaos__chaos_stats(c, &s);
	printf("%s: in=%" PRIu64 " dropped_loss=%" PRIu64 " dropped_type=%" PRIu64
	       " dropped_partition=%" PRIu64 " dropped_queue=%" PRIu64 " duplicated=%" PRIu64
	       " reordered=%" PRIu64 " corrupted=%" PRIu64 " delivered=%" PRIu64 " held=%" PRIu64
	       "\n",
	       dir, s.in, s.dropped_loss, s.dropped_type, s.dropped_partition, s.dropped_queue,
	       s.duplicated, s.reordered, s.corrupted, s.delivered, s.held);
}

/* Everything due on @p c, sent from @p fd to @p to. */
static int
deliver(struct kaos__chaos *c, uint64_t now, int fd, const struct sockaddr_storage *to,
	socklen_t tolen, unsigned char *buf, size_t cap, uint64_t *send_errors)
{
	long n;
	while ((n = kaos__chaos_pop(c, now, buf, cap)) > 0)
		if (sendto(fd, buf, (size_t)n, 0, (const struct sockaddr *)to, tolen) != n)
			(*send_errors)++; /* the network's loss, as UDP's own */
	return n < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	const char *listen_arg = NULL, *to_arg = NULL, *both = "", *up_spec = "", *down_spec = "";
	double duration = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			return usage("every option takes a value");
		const char *v = argv[++i];
		if (!strcmp(a, "--listen"))
			listen_arg = v;
		else if (!strcmp(a, "--to"))
			to_arg = v;
		else if (!strcmp(a, "--both"))
			both = v;
		else if (!strcmp(a, "--up"))
			up_spec = v;
		else if (!strcmp(a, "--down"))
			down_spec = v;
		else if (!strcmp(a, "--duration")) {
			char *end = NULL;
			duration = strtod(v, &end);
			if (end == v || *end || !(duration > 0))
				return usage("--duration takes a positive number of seconds");
		} else
			return usage("unknown option");
	}
	if (!listen_arg || !to_arg)
		return usage("--listen and --to are required");

	struct kaos__chaos_config cfg[2] = { { .seed = 1 }, { .seed = 2 } };
	const char *specs[2] = { up_spec, down_spec }, *bad = NULL;
	for (int d = 0; d < 2; d++)
		if (kaos__chaos_parse(both, &cfg[d], &bad) < 0 ||
		    kaos__chaos_parse(specs[d], &cfg[d], &bad) < 0) {
			fprintf(stderr, "kaos-chaos: bad spec at \"%s\"\n", bad);
			return 2;
		}
	struct sockaddr_storage listen_addr, target, client, from;
	socklen_t listen_len, target_len, client_len = 0, from_len;
	if (resolve(listen_arg, &listen_addr, &listen_len) < 0 ||
	    resolve(to_arg, &target, &target_len) < 0)
		return usage("HOST:PORT does not resolve");

	/* From here every exit goes through the end, which frees it all. */
	struct kaos__chaos *dir[2] = { NULL, NULL };
	int status = 0, lfd = -1, ufd = -1;
	for (int d = 0; d < 2 && !status; d++) {
		int rc = kaos__chaos_new(&cfg[d], &dir[d]);
		if (rc < 0) {
			fprintf(stderr, "kaos-chaos: %s spec: %s\n", d ? "down" : "up",
				rc == -EINVAL ? "inconsistent (a rate needs a queue; partitions "
						"in order)"
					      : strerror(-rc));
			status = 2;
		}
	}
	if (!status) {
		lfd = socket(listen_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ufd = socket(target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (lfd < 0 || ufd < 0 ||
		    bind(lfd, (struct sockaddr *)&listen_addr, listen_len) < 0) {
			perror("kaos-chaos: socket");
			status = 1;
		}
	}
	if (status)
		goto out;
	socklen_t got_len = sizeof(listen_addr);
	getsockname(lfd, (struct sockaddr *)&listen_addr, &got_len);
	print_addr("listening", &listen_addr);

	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig); /* delivered only inside ppoll */

	static unsigned char buf[65536];
	uint64_t start = now_ns(), strangers = 0, send_errors = 0;
	uint64_t end = duration > 0 ? start + (uint64_t)(duration * 1e9) : UINT64_MAX;
	while (!stop) {
		uint64_t now = now_ns(), t = now - start; /* impairments run from 0 */
		if (now >= end)
			break;
		if (deliver(dir[0], t, ufd, &target, target_len, buf, sizeof(buf), &send_errors) < 0 ||
		    (client_len &&
		     deliver(dir[1], t, lfd, &client, client_len, buf, sizeof(buf), &send_errors) < 0))
			break; /* cannot happen: buf holds any datagram */
		uint64_t next = kaos__chaos_next_ns(dir[0]);
		if (client_len && kaos__chaos_next_ns(dir[1]) < next)
			next = kaos__chaos_next_ns(dir[1]);
		uint64_t wake = next == UINT64_MAX ? end : start + next < end ? start + next : end;
		uint64_t wait = wake > now ? wake - now : 0;
		if (wait > 100000000)
			wait = 100000000; /* and look at the clock again */
		struct timespec ts = { (time_t)(wait / 1000000000), (long)(wait % 1000000000) };
		struct pollfd pfd[2] = { { lfd, POLLIN, 0 }, { ufd, POLLIN, 0 } };
		if (ppoll(pfd, 2, &ts, &orig) < 0 && errno != EINTR) {
			perror("kaos-chaos: ppoll");
			status = 1;
			break;
		}
		for (int k = 0; k < 2; k++) {
			int fd = k ? ufd : lfd;
			ssize_t n;
			for (;;) {
				from_len = sizeof(from);
				n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
				if (n < 0)
					break;
				uint64_t at = now_ns() - start;
				if (k == 0) { /* from the client side */
					if (!client_len) {
						client = from;
						client_len = from_len;
						print_addr("client", &client);
					}
					if (!same_addr(&from, from_len, &client, client_len))
						strangers++;
					else if (kaos__chaos_push(dir[0], at, buf, (size_t)n) < 0)
						send_errors++; /* out of memory: dropped */
				} else if (!same_addr(&from, from_len, &target, target_len)) {
					strangers++;
				} else if (kaos__chaos_push(dir[1], at, buf, (size_t)n) < 0) {
					send_errors++;
				}
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED &&
			    errno != EINTR) {
				perror("kaos-chaos: recvfrom");
				status = 1;
			}
		}
		if (status)
			break;
	}
	print_stats("up", dir[0]);
	print_stats("down", dir[1]);
	printf("strangers=%" PRIu64 " send_errors=%" PRIu64 "\n", strangers, send_errors);
out:
	kaos__chaos_free(dir[0]);
	kaos__chaos_free(dir[1]);
	if (lfd >= 0)
		close(lfd);
	if (ufd >= 0)
		close(ufd);
	return status;
}
