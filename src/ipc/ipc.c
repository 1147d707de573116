/* SPDX-License-Identifier: MIT */
/* Placeholder while the implementation is written. */
#include <errno.h>
#include <kaos/ipc.h>
int kaos_ipc_publish(const struct kaos_ipc_config *cfg, struct kaos_ipc **out) { (void)cfg; (void)out; return -ENOSYS; }
int kaos_ipc_subscribe(const struct kaos_ipc_config *cfg, struct kaos_ipc **out) { (void)cfg; (void)out; return -ENOSYS; }
void kaos_ipc_close(struct kaos_ipc *ch) { (void)ch; }
int kaos_ipc_send(struct kaos_ipc *ch, uint32_t type, const void *data, size_t len, const struct kaos_wait *how) { (void)ch; (void)type; (void)data; (void)len; (void)how; return -ENOSYS; }
int64_t kaos_ipc_receive(struct kaos_ipc *ch, kaos_ipc_handler_fn fn, void *ctx, uint64_t limit, const struct kaos_wait *how) { (void)ch; (void)fn; (void)ctx; (void)limit; (void)how; return -ENOSYS; }
int kaos_ipc_check(struct kaos_ipc *ch) { (void)ch; return -ENOSYS; }
struct kaos_spsc *kaos_ipc_spsc(struct kaos_ipc *ch) { (void)ch; return NULL; }
struct kaos_msgring *kaos_ipc_msgring(struct kaos_ipc *ch) { (void)ch; return NULL; }
struct kaos_msgring_producer *kaos_ipc_msg_producer(struct kaos_ipc *ch) { (void)ch; return NULL; }
struct kaos_bcast *kaos_ipc_bcast(struct kaos_ipc *ch) { (void)ch; return NULL; }
struct kaos_bcast_consumer *kaos_ipc_bcast_consumer(struct kaos_ipc *ch) { (void)ch; return NULL; }
enum kaos_ipc_kind kaos_ipc_kind(const struct kaos_ipc *ch) { (void)ch; return 0; }
uint64_t kaos_ipc_capacity(const struct kaos_ipc *ch) { (void)ch; return 0; }
uint32_t kaos_ipc_slot_size(const struct kaos_ipc *ch) { (void)ch; return 0; }
int kaos_ipc_unlink(const char *name) { (void)name; return -ENOSYS; }
int kaos_ipc_inspect(const char *name, struct kaos_ipc_info *info) { (void)name; (void)info; return -ENOSYS; }
int kaos_ipc_cleanup(const char *name) { (void)name; return -ENOSYS; }
