/* SPDX-License-Identifier: MIT */
/*
 * Test hooks (not installed): named points in the library where a test
 * can stop a process, to settle a race that random timing would rarely
 * reach (a producer stalled between its claim and its header store, say).
 * They exist only in the library the tests build with KAOS_TEST_HOOKS
 * (target kaos_test_hooks); in every other build they are nothing.
 */
#ifndef KAOS_SRC_CORE_TEST_HOOKS_H
#define KAOS_SRC_CORE_TEST_HOOKS_H

#ifdef KAOS_TEST_HOOKS
/* Called at each hook with its name, when set. */
extern void (*kaos__test_hook)(const char *where);
#define KAOS__TEST_HOOK(where)                                                \
	do {                                                                  \
		if (kaos__test_hook)                                          \
			kaos__test_hook(where);                               \
	} while (0)
#else
#define KAOS__TEST_HOOK(where) ((void)0)
#endif

#endif /* KAOS_SRC_CORE_TEST_HOOKS_H */
