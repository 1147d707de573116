// SPDX-License-Identifier: MIT
//
// moodycamel::ConcurrentQueue (libconcurrentqueue-dev) for bench_patterns.
// Each producer and consumer thread has its own token (made at open, outside
// the timed region): a ProducerToken gives the producer its own sub-queue,
// so the queue is FIFO per producer, not overall (the checks only need
// per-producer order). Bounded like the rings, with KB_MQ_SLOTS slots in
// all: only the try_ calls, which never allocate, each producer's
// sub-queue limited to KB_MQ_SLOTS / P (MAX_SUBQUEUE_SIZE, so the traits
// are a template on P), and a preallocated pool of blocks (32 slots) that
// covers every producer's limit. Without the limit one producer can keep
// every block of the pool (a producer never gives its blocks back) and the
// others can never enqueue again: that hangs, it was tried. Batch cases use
// try_enqueue_bulk / try_dequeue_bulk (copies through a buffer on each
// thread's stack), per-event cases try_enqueue / try_dequeue.

// gcc 12 reports a false -Wstringop-overflow inside the queue's
// ExplicitProducer::enqueue_bulk once inlined here (an atomic load through
// its producer pointer); it is the peer's code, not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

#include <memory>
#include <vector>

#include <concurrentqueue.h>

#include "../mq_workload.h"
#include "peers.h"

namespace {

const size_t mc_block = 32;

template <unsigned P>
struct mc_traits : public moodycamel::ConcurrentQueueDefaultTraits {
	// A producer's sub-queue holds at most its share of the slots...
	static const size_t MAX_SUBQUEUE_SIZE = KB_MQ_SLOTS / P;
	// ...and its block index every block it may need (a power of two;
	// try_enqueue cannot grow it).
	static const size_t EXPLICIT_INITIAL_INDEX_SIZE = 2 * KB_MQ_SLOTS / mc_block;
};
static_assert(mc_traits<1>::BLOCK_SIZE == mc_block, "blocks of 32 slots");

// One queue, whatever P: produce/consume are virtual, called once a run.
struct mc_base {
	virtual ~mc_base() {}
	virtual int produce(unsigned id, uint64_t events, uint64_t batch,
			    kb_mq_ctl *ctl) = 0;
	virtual int consume(unsigned id, uint64_t batch, kb_mq_wait w,
			    kb_mq_check *out) = 0;
};

template <unsigned P>
class mc_mq final : public mc_base {
	typedef moodycamel::ConcurrentQueue<uint64_t, mc_traits<P>> queue_t;

	// Tokens on their own cache lines: consumers update theirs on every
	// call.
	struct alignas(128) ptok {
		moodycamel::ProducerToken t;
		explicit ptok(queue_t &q) : t(q) {}
	};
	struct alignas(128) ctok {
		moodycamel::ConsumerToken t;
		explicit ctok(queue_t &q) : t(q) {}
	};

	queue_t q_;
	std::vector<std::unique_ptr<ptok>> ptok_;
	std::vector<std::unique_ptr<ctok>> ctok_;

public:
	// Blocks: each producer's limit, plus one partly used at each end.
	explicit mc_mq(const kb_mq_spec &s)
		: q_(P * (KB_MQ_SLOTS / P + 2 * mc_block))
	{
		for (unsigned i = 0; i < s.producers; i++)
			ptok_.emplace_back(new ptok(q_));
		for (unsigned i = 0; i < s.consumers; i++)
			ctok_.emplace_back(new ctok(q_));
	}

	int produce(unsigned id, uint64_t events, uint64_t batch,
		    kb_mq_ctl *ctl) override
	{
		moodycamel::ProducerToken &tok = ptok_[id]->t;
		kb_mq_gen g = kb_mq_gen_start(id, ctl);
		unsigned fails = 0;
		uint64_t unsent = 0;
		if (batch <= 1) {
			KB_MQ_PUT_EACH(g, fails, unsent, events, v,
				       q_.try_enqueue(tok, v), KB_NO_FAILURE);
			kb_mq_gen_end(&g, unsent);
			return 0;
		}
		uint64_t buf[KB_MQ_BATCH];
		for (uint64_t left = events; left && kb_mq_go(&g);) {
			size_t n = left < batch ? left : batch;
			kb_mq_fill(&g, buf, n);
			// All or nothing.
			while (!q_.try_enqueue_bulk(tok, buf, n))
				if (!kb_mq_retry(&g, &fails)) {
					unsent = n;
					break;
				}
			if (unsent)
				break;
			fails = 0;
			left -= n;
		}
		kb_mq_gen_end(&g, unsent);
		return 0;
	}

	int consume(unsigned id, uint64_t batch, kb_mq_wait w,
		    kb_mq_check *out) override
	{
		moodycamel::ConsumerToken &tok = ctok_[id]->t;
		kb_mq_check c = kb_mq_check_start();
		if (batch <= 1) {
			KB_MQ_TAKE_EACH(w, c, v, q_.try_dequeue(tok, v),
					KB_NO_FAILURE);
			*out = c;
			return 0;
		}
		uint64_t buf[KB_MQ_BATCH];
		KB_MQ_TAKE_BATCHES(w, c, n, KB_NO_DECL,
				   q_.try_dequeue_bulk(tok, buf, batch), KB_NO_FAILURE,
				   kb_mq_take_n(&c, buf, n));
		*out = c;
		return 0;
	}
};

uint64_t batch_of(const kb_mq_spec *s)
{
	return s->batch < KB_MQ_BATCH ? s->batch : KB_MQ_BATCH;
}

} // namespace

extern "C" {

static int mc_supports(const kb_mq_spec *s)
{
	unsigned p = s->producers;
	return s->capacity == KB_MQ_SLOTS && (p == 1 || p == 2 || p == 4 || p == 8);
}

static const char *mc_note(const kb_mq_spec *s)
{
	if (s->batch > 1)
		return "tokens; try_enqueue_bulk/try_dequeue_bulk, copies through "
		       "a buffer; FIFO per producer";
	return "tokens; try_enqueue/try_dequeue; FIFO per producer";
}

static void *mc_open(const kb_mq_spec *s)
{
	try {
		switch (s->producers) {
		case 1:
			return static_cast<mc_base *>(new mc_mq<1>(*s));
		case 2:
			return static_cast<mc_base *>(new mc_mq<2>(*s));
		case 4:
			return static_cast<mc_base *>(new mc_mq<4>(*s));
		case 8:
			return static_cast<mc_base *>(new mc_mq<8>(*s));
		}
	} catch (...) {
	}
	return nullptr;
}

static void mc_close(void *q)
{
	delete static_cast<mc_base *>(q);
}

static int mc_produce(void *q, const kb_mq_spec *s, unsigned id, uint64_t events,
		      kb_mq_ctl *ctl)
{
	return static_cast<mc_base *>(q)->produce(id, events, batch_of(s), ctl);
}

static int mc_consume(void *q, const kb_mq_spec *s, unsigned id, kb_mq_wait w,
		      kb_mq_check *out)
{
	return static_cast<mc_base *>(q)->consume(id, batch_of(s), w, out);
}

const kb_mq_adapter kb_mq_moodycamel = {
	"moodycamel", mc_supports, mc_note, mc_open, mc_close, mc_produce, mc_consume,
};

} // extern "C"
