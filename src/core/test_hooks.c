/* SPDX-License-Identifier: MIT */
/* The test hooks' switch (src/core/test_hooks.h): built only into the
 * library the tests build with KAOS_TEST_HOOKS. */
#include "test_hooks.h"

void (*kaos__test_hook)(const char *where);
