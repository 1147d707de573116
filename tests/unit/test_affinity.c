/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>

#include <kaos/kaos.h>

#include "kaos_test.h"

static void
parse_cpulist_forms(void)
{
	int ids[16];
	KAOS_ASSERT_EQ(kaos_parse_cpulist("0-3,8,10-11\n", ids, 16), 7);
	int want[] = { 0, 1, 2, 3, 8, 10, 11 };
	for (int i = 0; i < 7; i++)
		KAOS_ASSERT_EQ(ids[i], want[i]);
	KAOS_ASSERT_EQ(kaos_parse_cpulist("5", ids, 16), 1);
	KAOS_ASSERT_EQ(ids[0], 5);
	KAOS_ASSERT_EQ(kaos_parse_cpulist("", ids, 16), 0);
	KAOS_ASSERT_EQ(kaos_parse_cpulist("\n", ids, 16), 0);
}

static void
parse_cpulist_bounds(void)
{
	int ids[2] = { -1, -1 };
	/* More ids than room: count all, write only max. */
	KAOS_ASSERT_EQ(kaos_parse_cpulist("0-9", ids, 2), 10);
	KAOS_ASSERT_EQ(ids[0], 0);
	KAOS_ASSERT_EQ(ids[1], 1);
	KAOS_ASSERT_EQ(kaos_parse_cpulist("0-9", NULL, 0), 10);
}

static void
parse_cpulist_malformed(void)
{
	int ids[4];
	const char *bad[] = { "a", "1-", "-1", "3-1", "1,,2", "1 2", "99999999999",
			      "2000000", "1-x", "0-1;" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		KAOS_ASSERT_EQ(kaos_parse_cpulist(bad[i], ids, 4), -EINVAL);
	KAOS_ASSERT_EQ(kaos_parse_cpulist(NULL, ids, 4), -EINVAL);
	KAOS_ASSERT_EQ(kaos_parse_cpulist("1", ids, -1), -EINVAL);
}

static void
pin_to_each_allowed_cpu(void)
{
	int cpus[1024];
	int n = kaos_cpus_allowed(cpus, 1024);
	KAOS_ASSERT_GT(n, 0);
	for (int i = 0; i < n && i < 1024; i++) {
		KAOS_ASSERT_OK(kaos_pin_thread(cpus[i]));
		KAOS_ASSERT_EQ(sched_getcpu(), cpus[i]);
		int now[1024];
		KAOS_ASSERT_EQ(kaos_cpus_allowed(now, 1024), 1);
		KAOS_ASSERT_EQ(now[0], cpus[i]);
	}
}

static void
pin_rejects_bad_cpus(void)
{
	KAOS_ASSERT_EQ(kaos_pin_thread(-1), -EINVAL);
	KAOS_ASSERT_EQ(kaos_pin_thread(1 << 30), -EINVAL);
	KAOS_ASSERT_EQ(kaos_pin_thread(CPU_SETSIZE + 5), -EINVAL);
}

static void
online_cpus_and_numa(void)
{
	int cpus[1024], nodes[64];
	int n = kaos_cpus_online(cpus, 1024);
	if (n == -ENOENT)
		KAOS_SKIP("no /sys/devices/system/cpu/online");
	KAOS_ASSERT_GT(n, 0);
	int nn = kaos_numa_nodes(nodes, 64);
	KAOS_ASSERT_GT(nn, 0);
	int total = 0;
	for (int i = 0; i < nn && i < 64; i++) {
		int c = kaos_numa_node_cpus(nodes[i], NULL, 0);
		KAOS_ASSERT_GE(c, 0);
		total += c;
	}
	KAOS_ASSERT_EQ(total, n); /* every online CPU is in exactly one node */
	int node = kaos_numa_node_of_cpu(cpus[0]);
	KAOS_ASSERT_GE(node, 0);
	KAOS_ASSERT_EQ(kaos_numa_node_of_cpu(1 << 19), -ENOENT);
	KAOS_ASSERT_EQ(kaos_numa_node_cpus(-1, NULL, 0), -EINVAL);
	KAOS_ASSERT_EQ(kaos_numa_node_cpus(100000, NULL, 0), -ENOENT);
	printf("  %d online cpus, %d numa nodes\n", n, nn);
}

int
main(int argc, char **argv)
{
	static const struct kaos_test_case cases[] = {
		KAOS_TEST(parse_cpulist_forms),
		KAOS_TEST(parse_cpulist_bounds),
		KAOS_TEST(parse_cpulist_malformed),
		KAOS_TEST(pin_to_each_allowed_cpu),
		KAOS_TEST(pin_rejects_bad_cpus),
		KAOS_TEST(online_cpus_and_numa),
		KAOS_TEST_END,
	};
	return kaos_test_main(cases, argc, argv);
}
