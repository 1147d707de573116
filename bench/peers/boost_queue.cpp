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

#include "../mq_workload.h"
#include "peers.h"

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
	KB_MQ_PRODUCE_EACH(id, events, ctl, v, m->q.push(v), KB_NO_FAILURE);
}

static int bq_consume(void *qv, const kb_mq_spec *, unsigned, kb_mq_wait w,
		      kb_mq_check *out)
{
	bq_mq *m = static_cast<bq_mq *>(qv);
	KB_MQ_CONSUME_EACH(w, out, v, m->q.pop(v), KB_NO_FAILURE);
}

const kb_mq_adapter kb_mq_boost_queue = {
	"boost_queue", bq_supports, bq_note, bq_open, bq_close, bq_produce, bq_consume,
};

} // extern "C"
