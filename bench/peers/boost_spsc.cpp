// SPDX-License-Identifier: MIT
//
// boost::lockfree::spsc_queue (libboost-dev), capacity fixed at compile
// time (2^20, Boost's fastest form). Per-event cases use push(v)/pop(v);
// batch and trace cases the bulk push(const T *, n)/pop(T *, n), which copy
// through a batch buffer on each side. The queue allocates its own (heap)
// memory.
#include <memory>

#include <boost/lockfree/spsc_queue.hpp>

#include "cxx_queue.h"

namespace {

// What produce() and consume() build (boost_supports): trace records of the
// queue's own slot size, and 8-byte values one at a time in order or summed.
#define BQ_WORKLOADS(wl, nw)                                                    \
	((nw) == NW &&                                                          \
	 ((wl) == KB_TRACE ||                                                   \
	  (NW == 1 && ((wl) == KB_PER_EVENT || (wl) == KB_BATCH_SUM))))

template <unsigned NW>
class boost_queue final : public kb::queue {
	typedef typename kb::slot_of<NW>::type T;
	boost::lockfree::spsc_queue<T, boost::lockfree::capacity<KB_RING_SLOTS>> q_;
	std::unique_ptr<T[]> pbuf_, cbuf_; // each side's batch buffer

	// Per event push(v)/pop(v); batches through each side's buffer, pushed
	// in several pushes when the queue is nearly full.
	template <kb_workload WL> int produce_wl(uint64_t events, uint64_t batch)
	{
		if (kb_per_event(WL))
			KB_PRODUCE_EACH(events, WL, NW, T, v, q_.push(v));
		T *buf = pbuf_.get();
		KB_PRODUCE_COPY(events, batch, WL, NW, buf, done, n,
				(int64_t)q_.push(buf + done, n - done));
	}

	template <kb_workload WL>
	int consume_wl(uint64_t events, uint64_t batch, kb_check *out)
	{
		if (kb_per_event(WL))
			KB_CONSUME_EACH(events, WL, T, v, q_.pop(v), out);
		T *buf = cbuf_.get();
		KB_CONSUME_BATCH(events, batch, out, c, want, n,
				 (int64_t)q_.pop(buf, want),
				 kb_take_n(&c, WL, NW, buf, (uint64_t)n));
	}

public:
	explicit boost_queue(const kb_spec &s)
		: pbuf_(new T[s.batch]), cbuf_(new T[s.batch])
	{
	}

	int produce(const kb_spec &s, uint64_t events) override
	{
#define BQ_PRODUCE(wl, nw) produce_wl<wl>(events, s.batch)
		KB_BY_WORKLOAD(&s, BQ_WORKLOADS, BQ_PRODUCE);
#undef BQ_PRODUCE
	}

	int consume(const kb_spec &s, uint64_t events, kb_check *out) override
	{
#define BQ_CONSUME(wl, nw) consume_wl<wl>(events, s.batch, out)
		KB_BY_WORKLOAD(&s, BQ_WORKLOADS, BQ_CONSUME);
#undef BQ_CONSUME
	}
};

#undef BQ_WORKLOADS

} // namespace

extern "C" {

static int boost_supports(const kb_spec *s)
{
	if (s->capacity != KB_RING_SLOTS) // the compile-time capacity
		return 0;
	switch (s->workload) {
	case KB_PER_EVENT:
	case KB_BATCH_SUM:
		return s->slot_bytes == 8;
	case KB_TRACE:
		return 1;
	default:
		return 0;
	}
}

static const char *boost_note(void *, const kb_spec *s)
{
	if (s->workload == KB_PER_EVENT)
		return nullptr;
	return "bulk push/pop, copies through a batch buffer on each side";
}

static void *boost_open(const kb_spec *s)
{
	return kb::open_queue<boost_queue>(*s);
}

const kb_adapter kb_peer_boost_spsc = {
	"boost_spsc", boost_supports, boost_note, boost_open, kb_cxx_close,
	kb_cxx_produce, kb_cxx_consume,
};

} // extern "C"
