/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kaos/affinity.h>

/* Ids above this are treated as malformed input, not as a CPU. */
#define MAX_ID (1 << 20)

static int
emit(int *out, int max, int count, int id)
{
	if (out && count < max)
		out[count] = id;
	return count + 1;
}

static int
parse_id(const char **p, int *id)
{
	char *end;
	long v;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(*p, &end, 10);
	if (errno || v > MAX_ID)
		return -EINVAL;
	*id = (int)v;
	*p = end;
	return 0;
}

int
kaos_parse_cpulist(const char *text, int *out, int max)
{
	const char *p = text;
	int count = 0;

	if (!text || max < 0)
		return -EINVAL;
	while (*p && *p != '\n') {
		int lo, hi;
		if (parse_id(&p, &lo) < 0)
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_id(&p, &hi) < 0 || hi < lo)
				return -EINVAL;
		}
		for (int id = lo; id <= hi; id++)
			count = emit(out, max, count, id);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
	}
	return count;
}

static int
read_list(const char *path, int *out, int max)
{
	char buf[4096];
	FILE *f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return kaos_parse_cpulist(buf, out, max);
}

int
kaos_pin_thread(int cpu)
{
	long ncpu_conf = sysconf(_SC_NPROCESSORS_CONF);
	int limit = ncpu_conf > CPU_SETSIZE ? (int)ncpu_conf : CPU_SETSIZE;
	if (cpu < 0 || cpu >= limit || cpu > MAX_ID)
		return -EINVAL;
	cpu_set_t *set = CPU_ALLOC((size_t)limit);
	if (!set)
		return -ENOMEM;
	size_t sz = CPU_ALLOC_SIZE((size_t)limit);
	CPU_ZERO_S(sz, set);
	CPU_SET_S((size_t)cpu, sz, set);
	int rc = pthread_setaffinity_np(pthread_self(), sz, set);
	CPU_FREE(set);
	return -rc;
}

int
kaos_cpus_allowed(int *out, int max)
{
	cpu_set_t set;
	int count = 0;

	if (max < 0)
		return -EINVAL;
	CPU_ZERO(&set);
	int rc = pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc)
		return -rc;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			count = emit(out, max, count, cpu);
	return count;
}

int
kaos_cpus_online(int *out, int max)
{
	return read_list("/sys/devices/system/cpu/online", out, max);
}

int
kaos_numa_nodes(int *out, int max)
{
	int n = read_list("/sys/devices/system/node/online", out, max);
	if (n == -ENOENT) /* kernel without NUMA: one node */
		return max < 0 ? -EINVAL : emit(out, max, 0, 0);
	return n;
}

int
kaos_numa_node_cpus(int node, int *out, int max)
{
	char path[96];
	if (node < 0 || node > MAX_ID)
		return -EINVAL;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", node);
	int n = read_list(path, out, max);
	if (n == -ENOENT && node == 0 &&
	    read_list("/sys/devices/system/node/online", NULL, 0) == -ENOENT)
		return kaos_cpus_online(out, max); /* no NUMA: node 0 is all */
	return n;
}

int
kaos_numa_node_of_cpu(int cpu)
{
	int nodes[256];
	int n = kaos_numa_nodes(nodes, 256);
	if (n < 0)
		return n;
	if (n > 256)
		n = 256;
	for (int i = 0; i < n; i++) {
		int cpus[1024];
		int c = kaos_numa_node_cpus(nodes[i], cpus, 1024);
		for (int j = 0; j < c && j < 1024; j++)
			if (cpus[j] == cpu)
				return nodes[i];
	}
	return -ENOENT;
}
