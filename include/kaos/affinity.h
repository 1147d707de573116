/* SPDX-License-Identifier: MIT */
/**
 * @file kaos/affinity.h
 * Thread placement: pin a thread to a CPU, list the online CPUs and NUMA
 * nodes (from sysfs) and the CPUs this thread may run on (cgroup cpusets
 * included). Control plane; every function is thread-safe.
 *
 * List functions write at most @p max entries into @p out and return the
 * total count found, which may exceed @p max (call again with a bigger
 * array), or a negative error code.
 */
#ifndef KAOS_AFFINITY_H
#define KAOS_AFFINITY_H

#include <kaos/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Pin the calling thread to one CPU.
 * @return 0; -EINVAL if cpu is negative or beyond the kernel's CPU limit;
 *         -errno from sched_setaffinity (e.g. the CPU is offline or outside
 *         this process's cpuset).
 */
KAOS_API int kaos_pin_thread(int cpu);

/** CPUs the calling thread is allowed to run on (sched_getaffinity). */
KAOS_API int kaos_cpus_allowed(int *out, int max);

/** Online CPUs, from /sys/devices/system/cpu/online. -ENOENT without sysfs. */
KAOS_API int kaos_cpus_online(int *out, int max);

/** Online NUMA node ids (possibly sparse), from
 * /sys/devices/system/node/online; a machine without that file reports
 * node 0 only. */
KAOS_API int kaos_numa_nodes(int *out, int max);

/** CPUs of NUMA node @p node. -ENOENT if there is no such node. */
KAOS_API int kaos_numa_node_cpus(int node, int *out, int max);

/** NUMA node of CPU @p cpu, or -ENOENT if no node lists it. */
KAOS_API int kaos_numa_node_of_cpu(int cpu);

/**
 * Parse a Linux cpulist ("0-3,8,10-11\n") into ids.
 * @return ids found (may exceed max); -EINVAL if malformed (bad number,
 *         descending range, ids above 1<<20).
 */
KAOS_API int kaos_parse_cpulist(const char *text, int *out, int max);

#ifdef __cplusplus
}
#endif

#endif /* KAOS_AFFINITY_H */
