/* SPDX-License-Identifier: MIT */
/* bench_ipc's own kaos code, compiled without the ring counters
 * (KAOS_COUNTERS=0): a peer whose ratio to "kaos" is the counters' cost.
 * Only this translation unit's kaos header code (every timed loop) is
 * without them; the library keeps its own (see ../kaos_ipc_adapter.h). */
#define _GNU_SOURCE /* clock_gettime under -std=c11 (rtt_clock.h) */
#define KAOS_COUNTERS 0
#define KAOS_ADAPTER_NAME "kaos_nocounters"
#define KAOS_ADAPTER_VAR ki_peer_kaos_nocounters
#define KAOS_ADAPTER_LINKAGE

#include "../kaos_ipc_adapter.h"
