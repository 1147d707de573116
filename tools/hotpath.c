/* SPDX-License-Identifier: MIT */
/* Every ring's inline hot path as an out-of-line function, to compare
 * their machine code between two builds (tools/check-trace-off.sh,
 * tools/diff-hotpaths.sh). */
#include <kaos/kaos.h>
int hp_spsc_push(struct kaos_spsc *r, const void *v) { return kaos_spsc_push(r, v); }
int hp_spsc_push_deferred(struct kaos_spsc *r, const void *v) { return kaos_spsc_push_deferred(r, v); }
void hp_spsc_flush(struct kaos_spsc *r) { kaos_spsc_flush(r); }
int hp_spsc_pop(struct kaos_spsc *r, void *v) { return kaos_spsc_pop(r, v); }
int64_t hp_spsc_claim(struct kaos_spsc *r, uint64_t n, void **s) { return kaos_spsc_claim(r, n, s); }
int hp_spsc_publish(struct kaos_spsc *r, uint64_t n) { return kaos_spsc_publish(r, n); }
int64_t hp_spsc_peek(struct kaos_spsc *r, uint64_t n, const void **s) { return kaos_spsc_peek(r, n, s); }
int hp_spsc_release(struct kaos_spsc *r, uint64_t n) { return kaos_spsc_release(r, n); }
uint64_t hp_spsc_poll(struct kaos_spsc *r, kaos_spsc_handler_fn f, void *c, uint64_t l) { return kaos_spsc_poll(r, f, c, l); }
int hp_spsc8_push(struct kaos_spsc8 *q, const uint64_t *v) { return kaos_spsc8_push(q, v); }
int hp_spsc8_pop(struct kaos_spsc8 *q, uint64_t *v) { return kaos_spsc8_pop(q, v); }
/* The 8-byte per-event loop of core/per_event, both sides. */
void hp_loop_push(struct kaos_spsc8 *q, uint64_t n) { for (uint64_t i = 0; i < n; i++) while (kaos_spsc8_push(q, &i)) kaos_cpu_relax(); }
uint64_t hp_loop_pop(struct kaos_spsc8 *q, uint64_t n) { uint64_t s = 0, v; for (uint64_t i = 0; i < n; i++) { while (kaos_spsc8_pop(q, &v)) kaos_cpu_relax(); s += v; } return s; }
int hp_u64_push(struct kaos_u64ring *r, uint64_t v) { return kaos_u64ring_push(r, v); }
int hp_u64_pop(struct kaos_u64ring *r, uint64_t *v) { return kaos_u64ring_pop(r, v); }
int hp_mpsc_push(struct kaos_mpsc *r, const void *v) { return kaos_mpsc_push(r, v); }
int hp_mpsc_pop(struct kaos_mpsc *r, void *v) { return kaos_mpsc_pop(r, v); }
int64_t hp_mpsc_claim(struct kaos_mpsc *r, uint64_t n, struct kaos_batch *b) { return kaos_mpsc_claim(r, n, b); }
int hp_mpsc_publish(struct kaos_mpsc *r, struct kaos_batch *b) { return kaos_mpsc_publish(r, b); }
int64_t hp_mpsc_peek(struct kaos_mpsc *r, uint64_t n, struct kaos_batch *b) { return kaos_mpsc_peek(r, n, b); }
int hp_mpsc_release(struct kaos_mpsc *r, struct kaos_batch *b) { return kaos_mpsc_release(r, b); }
int64_t hp_spmc_claim(struct kaos_spmc *r, uint64_t n, struct kaos_batch *b) { return kaos_spmc_claim(r, n, b); }
int hp_spmc_publish(struct kaos_spmc *r, struct kaos_batch *b) { return kaos_spmc_publish(r, b); }
int64_t hp_spmc_peek(struct kaos_spmc *r, uint64_t n, struct kaos_batch *b) { return kaos_spmc_peek(r, n, b); }
int hp_spmc_release(struct kaos_spmc *r, struct kaos_batch *b) { return kaos_spmc_release(r, b); }
int hp_spmc_push(struct kaos_spmc *r, const void *v) { return kaos_spmc_push(r, v); }
int hp_spmc_pop(struct kaos_spmc *r, void *v) { return kaos_spmc_pop(r, v); }
int64_t hp_mpmc_claim(struct kaos_mpmc *r, uint64_t n, struct kaos_batch *b) { return kaos_mpmc_claim(r, n, b); }
int hp_mpmc_publish(struct kaos_mpmc *r, struct kaos_batch *b) { return kaos_mpmc_publish(r, b); }
int64_t hp_mpmc_peek(struct kaos_mpmc *r, uint64_t n, struct kaos_batch *b) { return kaos_mpmc_peek(r, n, b); }
int hp_mpmc_release(struct kaos_mpmc *r, struct kaos_batch *b) { return kaos_mpmc_release(r, b); }
int hp_mpmc_push(struct kaos_mpmc *r, const void *v) { return kaos_mpmc_push(r, v); }
int hp_mpmc_pop(struct kaos_mpmc *r, void *v) { return kaos_mpmc_pop(r, v); }
int hp_bcast_push(struct kaos_bcast *r, const void *v) { return kaos_bcast_push(r, v); }
int64_t hp_bcast_claim(struct kaos_bcast *r, uint64_t n, void **s) { return kaos_bcast_claim(r, n, s); }
int hp_bcast_publish(struct kaos_bcast *r, uint64_t n) { return kaos_bcast_publish(r, n); }
int64_t hp_bcast_peek(struct kaos_bcast_consumer *c, uint64_t n, void **s) { return kaos_bcast_peek(c, n, s); }
int hp_bcast_release(struct kaos_bcast_consumer *c, uint64_t n) { return kaos_bcast_release(c, n); }
int hp_bcast_pop(struct kaos_bcast_consumer *c, void *v) { return kaos_bcast_pop(c, v); }
int hp_msg_claim(struct kaos_msgring_producer *p, uint32_t t, size_t l, void **d) { return kaos_msgring_claim(p, t, l, d); }
int hp_msg_commit_deferred(struct kaos_msgring_producer *p) { return kaos_msgring_commit_deferred(p); }
int hp_msg_batch_claim(struct kaos_msgring_batch *b, uint32_t t, size_t l, void **d) { return kaos_msgring_batch_claim(b, t, l, d); }
int hp_msg_commit(struct kaos_msgring_producer *p) { return kaos_msgring_commit(p); }
int hp_msg_write(struct kaos_msgring_producer *p, uint32_t t, const void *s, size_t l) { return kaos_msgring_write(p, t, s, l); }
int64_t hp_msg_read(struct kaos_msgring *r, kaos_msg_handler_fn f, void *c, uint64_t l) { return kaos_msgring_read(r, f, c, l); }
