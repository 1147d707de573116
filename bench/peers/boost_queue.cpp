// SPDX-License-Identifier: MIT
//
// boost::lockfree::queue (libboost-dev) for bench_patterns: a lock-free
// MPMC linked queue (Michael-Scott) over a fixed pool of nodes. Its node
// indices are 16 bits, so it holds at most 65534 elements (capacity<> is a
// compile-time parameter); push fails when the pool is empty, as a ring's
// enqueue does when full. It has no bulk API: the batch cases go one item
// per call. It allocates its own (heap) memory.
#include <new>

#include <boost/lockfree/queue.hpp>

#include "mq_peers.h"

namespace {

static const size_t bq_capacity = KB_MQ_SLOTS - 2; // 65535 nodes, one dummy

struct bq_mq {
	boost::lockfree::queue<uint64_t, boost::lockfree::capacity<bq_capacity>> q;
};

} // namespace

extern "C" {

static int bq_supports(const kb_mq_spec *s)
{
	return s->capacity == KB_MQ_SLOTS; // the compile-time capacity
}

static const char *bq_note(const kb_mq_spec *s)
{
	if (s->batch > 1)
		return "push/pop one item per call: no bulk API; 65534 elements";
	return "push/pop; 65534 elements";
}

static void *bq_open(const kb_mq_spec *)
{
	try {
		return new bq_mq;
	} catch (...) {
		return nullptr;
	}
}

static void bq_close(void *q)
{
	delete static_cast<bq_mq *>(q);
}

static int bq_produce(void *qv, const kb_mq_spec *, unsigned id, uint64_t events,
		      kb_mq_ctl *ctl)
{
	bq_mq *m = static_cast<bq_mq *>(qv);
	kb_mq_gen g = kb_mq_gen_start(id, ctl);
	unsigned fails = 0;
	uint64_t unsent = 0;
	for (uint64_t i = 0; i < events && kb_mq_go(&g); i++) {
		uint64_t v = kb_mq_next(&g);
		while (!m->q.push(v))
			if (!kb_mq_retry(&g, &fails)) {
				unsent = 1;
				break;
			}
		if (unsent)
			break;
		fails = 0;
	}
	kb_mq_gen_end(&g, unsent);
	return 0;
}

static int bq_consume(void *qv, const kb_mq_spec *, unsigned, kb_mq_wait w,
		      kb_mq_check *out)
{
	bq_mq *m = static_cast<bq_mq *>(qv);
	kb_mq_check c = kb_mq_check_start();
	for (;;) {
		uint64_t v;
		if (!m->q.pop(v)) {
			if (kb_mq_empty(&w, c.count))
				break;
			continue;
		}
		w.fails = 0;
		kb_mq_take(&c, v);
		c.count++;
		if (kb_mq_enough(&w, c.count))
			break;
	}
	*out = c;
	return 0;
}

const kb_mq_adapter kb_mq_boost_queue = {
	"boost_queue", bq_supports, bq_note, bq_open, bq_close, bq_produce, bq_consume,
};

} // extern "C"
