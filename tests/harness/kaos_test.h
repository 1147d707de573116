/* SPDX-License-Identifier: MIT */
/*
 * The test harness: assertions that stay on in release builds, a table of
 * test functions per program, skip with exit code 77, and a scale factor so
 * stress tests shrink under sanitizers and emulators.
 */
#ifndef KAOS_TEST_H
#define KAOS_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/wait.h> /* kaos_now_ns */

#define KAOS_TEST_SKIP_CODE 77

#define KAOS_FAIL(...)                                                        \
	do {                                                                  \
		fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);         \
		fprintf(stderr, __VA_ARGS__);                                 \
		fputc('\n', stderr);                                          \
		abort();                                                      \
	} while (0)

#define KAOS_ASSERT(cond)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			KAOS_FAIL("%s", #cond);                               \
	} while (0)

/* Integer comparisons print both sides (as intmax_t / uintmax_t). */
#define KAOS__CMP(a, op, b, T, fmt)                                           \
	do {                                                                  \
		T kaos_a_ = (T)(a), kaos_b_ = (T)(b);                         \
		if (!(kaos_a_ op kaos_b_))                                    \
			KAOS_FAIL("%s %s %s (%" fmt " vs %" fmt ")", #a, #op, \
				  #b, kaos_a_, kaos_b_);                      \
	} while (0)
#define KAOS_ASSERT_EQ(a, b) KAOS__CMP(a, ==, b, intmax_t, PRIdMAX)
#define KAOS_ASSERT_NE(a, b) KAOS__CMP(a, !=, b, intmax_t, PRIdMAX)
#define KAOS_ASSERT_LT(a, b) KAOS__CMP(a, <, b, intmax_t, PRIdMAX)
#define KAOS_ASSERT_LE(a, b) KAOS__CMP(a, <=, b, intmax_t, PRIdMAX)
#define KAOS_ASSERT_GT(a, b) KAOS__CMP(a, >, b, intmax_t, PRIdMAX)
#define KAOS_ASSERT_GE(a, b) KAOS__CMP(a, >=, b, intmax_t, PRIdMAX)
#define KAOS_ASSERT_UEQ(a, b) KAOS__CMP(a, ==, b, uintmax_t, PRIuMAX)
/* A call returning 0 or a negative kaos/errno code. */
#define KAOS_ASSERT_OK(expr)                                                  \
	do {                                                                  \
		long long kaos_rc_ = (long long)(expr);                       \
		if (kaos_rc_ < 0)                                             \
			KAOS_FAIL("%s returned %lld", #expr, kaos_rc_);       \
	} while (0)

#define KAOS_SKIP(...)                                                        \
	do {                                                                  \
		printf("SKIP: ");                                             \
		printf(__VA_ARGS__);                                          \
		printf("\n");                                                 \
		exit(KAOS_TEST_SKIP_CODE);                                    \
	} while (0)

/* Work multiplier: KAOS_TEST_SCALE from the environment, else the build's
 * default (1, smaller under sanitizers and qemu). */
static inline double
kaos_test_scale(void)
{
	const char *s = getenv("KAOS_TEST_SCALE");
	double v = s ? strtod(s, NULL) : KAOS_TEST_DEFAULT_SCALE;
	return v > 0 ? v : KAOS_TEST_DEFAULT_SCALE;
}

static inline uint64_t
kaos_test_scaled(uint64_t n, uint64_t min)
{
	double v = (double)n * kaos_test_scale();
	return v < (double)min ? min : (uint64_t)v;
}

/* xorshift64*: deterministic per-test randomness. */
static inline uint64_t
kaos_test_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

struct kaos_test_case {
	const char *name;
	void (*fn)(void);
};

/* Soak mode (`prog --soak SECONDS [case...]`): each selected case repeats
 * for an equal share of the time; kaos_test_soak_round counts repeats so
 * cases can vary capacities and seeds between them. */
static double kaos_test_soak_seconds;
static unsigned kaos_test_soak_round;

/* Run every case, or only those named on the command line; repeat them for
 * a while in soak mode. */
static inline int
kaos_test_main(const struct kaos_test_case *cases, int argc, char **argv)
{
	int ran = 0, selected = 0;
	if (argc >= 3 && strcmp(argv[1], "--soak") == 0) {
		kaos_test_soak_seconds = strtod(argv[2], NULL);
		if (!(kaos_test_soak_seconds > 0)) {
			fprintf(stderr, "--soak needs a number of seconds\n");
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	for (const struct kaos_test_case *c = cases; c->name; c++) {
		int wanted = argc < 2;
		for (int i = 1; i < argc; i++)
			wanted |= strcmp(argv[i], c->name) == 0;
		selected += wanted;
	}
	for (const struct kaos_test_case *c = cases; c->name; c++) {
		int wanted = argc < 2;
		for (int i = 1; i < argc; i++)
			wanted |= strcmp(argv[i], c->name) == 0;
		if (!wanted)
			continue;
		printf("== %s\n", c->name);
		fflush(stdout);
		if (kaos_test_soak_seconds > 0) {
			uint64_t end = kaos_now_ns() + (uint64_t)(kaos_test_soak_seconds * 1e9 / selected);
			unsigned reps = 0;
			do {
				c->fn();
				kaos_test_soak_round++;
				reps++;
			} while (kaos_now_ns() < end);
			printf("  %u repeats ok\n", reps);
		} else {
			c->fn();
		}
		ran++;
	}
	if (ran == 0) {
		fprintf(stderr, "no test matched\n");
		return 1;
	}
	printf("%d passed, 0 failed\n", ran);
	return 0;
}

#define KAOS_TEST(name) {#name, name}
#define KAOS_TEST_END {NULL, NULL}

#endif /* KAOS_TEST_H */
