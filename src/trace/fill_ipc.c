/* SPDX-License-Identifier: MIT */
/* The fill level of an IPC channel, for the trace hooks: an object of its
 * own, so that programs that use rings but not IPC do not link ipc.c. */
#include <stdint.h>

#include <kaos/ipc.h>
#include <kaos/trace.h>

uint64_t
kaos__trace_fill_IPC(const void *cch)
{
	/* The accessors take a non-const handle; nothing is changed. */
	struct kaos_ipc *ch = (struct kaos_ipc *)(uintptr_t)cch;
	switch (kaos_ipc_kind(ch)) {
	case KAOS_IPC_SPSC:
		return kaos_spsc_size(kaos_ipc_spsc(ch));
	case KAOS_IPC_U64:
		return kaos_u64ring_size(kaos_ipc_u64ring(ch));
	case KAOS_IPC_MSG_SP:
	case KAOS_IPC_MSG_MP:
		return kaos_msgring_used(kaos_ipc_msgring(ch));
	case KAOS_IPC_BCAST: {
		struct kaos_bcast_consumer *c = kaos_ipc_bcast_consumer(ch);
		/* A subscriber: how far it lags behind the tail. Acquire:
		 * pairs with the producer's P1; a monitoring snapshot. */
		if (c)
			return atomic_load_explicit(&c->ring->ro.hdr->tail,
						    memory_order_acquire) - c->pos;
		return kaos__trace_fill_BCAST(kaos_ipc_bcast(ch));
	}
	default:
		return 0;
	}
}
