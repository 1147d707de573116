/* SPDX-License-Identifier: MIT */
/* For test_kaos_stat.sh: a live process with a counters file (NAME-cnt),
 * an SPSC channel (NAME-ch) of 16 slots and a U64 channel (NAME-u64) of 14
 * values, each filled and then refused one push; then "ready" on stdout,
 * then it sleeps until killed (at most 60 s). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <kaos/kaos.h>

int
main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	char cnt_name[200], ch_name[200], u64_name[200];
	snprintf(cnt_name, sizeof(cnt_name), "%s-cnt", argv[1]);
	snprintf(ch_name, sizeof(ch_name), "%s-ch", argv[1]);
	snprintf(u64_name, sizeof(u64_name), "%s-u64", argv[1]);
	struct kaos_counters *cf;
	struct kaos_counter events, bytes;
	if (kaos_counters_create(cnt_name, 4, 0, &cf) ||
	    kaos_counters_add(cf, "test.events", &events) ||
	    kaos_counters_add(cf, "test.bytes", &bytes))
		return 1;
	kaos_counter_add(&events, 1234);
	kaos_counter_set(&bytes, 98765);
	struct kaos_ipc_config cfg = { .name = ch_name, .kind = KAOS_IPC_SPSC,
				       .capacity = 16, .slot_size = 8 };
	struct kaos_ipc *pub;
	if (kaos_ipc_publish(&cfg, &pub))
		return 1;
	uint64_t v = 0;
	while (kaos_ipc_send(pub, 0, &v, 8, NULL) == 0)
		v++; /* 16 published, then one refused: full = 1 */
	struct kaos_ipc_config ucfg = { .name = u64_name, .kind = KAOS_IPC_U64,
					.capacity = 14 };
	struct kaos_ipc *upub;
	if (kaos_ipc_publish(&ucfg, &upub))
		return 1;
	v = 0;
	while (kaos_u64ring_push(kaos_ipc_u64ring(upub), v) == 0)
		v++; /* 14 published, then one refused: full = 1 */
	printf("ready\n");
	fflush(stdout);
	alarm(60);
	pause();
	return 0;
}
