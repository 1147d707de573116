/* SPDX-License-Identifier: MIT */
/*
 * ipc_subscriber: the receiving half of a channel between two processes.
 * It reads quotes and trades in place until the publisher closes, checks
 * that it got every one in order, prints a summary and removes the
 * channel's name. Exit status 0 when it got everything and the publisher
 * closed; 1 if the publisher died (-KAOS_EPEERDEAD), nothing came for 60 s,
 * or messages were missing.
 *
 *   example_ipc_subscriber /kaos-example     # terminal 1
 *   example_ipc_publisher /kaos-example      # terminal 2 (either may start first)
 *
 * With no argument it is a complete demo: it forks a publisher of its own.
 * The messages and both roles are in ipc_example.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "ipc_example.h"

int
main(int argc, char **argv)
{
	if (argc == 1) {
		printf("demo mode: subscribing to a publisher of our own "
		       "(run with a channel name, e.g. %s, to subscribe only)\n",
		       EXAMPLE_CHANNEL);
		return run_demo(false);
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s [CHANNEL]   e.g. %s; none: demo mode\n", argv[0],
			EXAMPLE_CHANNEL);
		return 2;
	}
	/* The last user removes the name: nothing does it automatically. */
	return run_subscriber(argv[1], 60000000000ull, true);
}
