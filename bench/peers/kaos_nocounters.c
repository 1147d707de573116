/* SPDX-License-Identifier: MIT */
/* bench_core's own kaos code, compiled without the ring counters
 * (KAOS_COUNTERS=0): a peer whose ratio to "kaos" is the counters' cost. */
#define KAOS_COUNTERS 0
#define KAOS_ADAPTER_NAME "kaos_nocounters"
#define KAOS_ADAPTER_VAR kb_peer_kaos_nocounters
#define KAOS_ADAPTER_LINKAGE

#include "../kaos_adapter.h"
