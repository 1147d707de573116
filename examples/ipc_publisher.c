/* SPDX-License-Identifier: MIT */
/*
 * ipc_publisher: the sending half of a channel between two processes. It
 * sends 4000 quotes and trades (two message types of different lengths)
 * on a variable-length message channel, then closes it.
 *
 *   example_ipc_subscriber /kaos-example     # terminal 1
 *   example_ipc_publisher /kaos-example      # terminal 2 (either may start first)
 *   kaos-ipc list                            # terminal 3, while they run
 *
 * With no argument it is a complete demo: it forks a subscriber and checks
 * that everything arrived. The messages and both roles are in
 * ipc_example.h; docs/ipc-format.md describes the channel file.
 */
#define _POSIX_C_SOURCE 200809L
#include "ipc_example.h"

int
main(int argc, char **argv)
{
	if (argc == 1) {
		printf("demo mode: publishing to a subscriber of our own "
		       "(run with a channel name, e.g. %s, to publish only)\n",
		       EXAMPLE_CHANNEL);
		return run_demo(true);
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s [CHANNEL]   e.g. %s; none: demo mode\n", argv[0],
			EXAMPLE_CHANNEL);
		return 2;
	}
	/* About 1000 messages a second, so there is time to watch. */
	return run_publisher(argv[1], true);
}
