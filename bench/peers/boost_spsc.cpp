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

template <unsigned NW>
class boost_queue final : public kb::queue {
	typedef typename kb::slot_of<NW>::type T;
	boost::lockfree::spsc_queue<T, boost::lockfree::capacity<KB_RING_SLOTS>> q_;
	std::unique_ptr<T[]> pbuf_, cbuf_; // each side's batch buffer

	int produce_single(uint64_t events)
	{
		KB_PRODUCE_EACH(events, KB_PER_EVENT, 1, uint64_t, v, q_.push(v),
				KB_NO_FAILURE);
	}

	int consume_single(uint64_t events, kb_check *out)
	{
		KB_CONSUME_EACH(events, KB_PER_EVENT, uint64_t, v, q_.pop(v),
				KB_NO_FAILURE, out);
	}

	// Fill a batch in the buffer, push it (in several pushes when the
	// queue is nearly full).
	template <kb_workload WL> int produce_bulk(uint64_t events, uint64_t batch)
	{
		T *buf = pbuf_.get();
		KB_PRODUCE_COPY(events, batch, WL, NW, buf, size_t, done, n, k,
				q_.push(buf + done, n - done), KB_NO_FAILURE);
	}

	template <kb_workload WL>
	int consume_bulk(uint64_t events, uint64_t batch, kb_check *out)
	{
		kb_check c = kb_check_start();
		T *buf = cbuf_.get();
		KB_TAKE_BATCHES(c, events, batch, want, n, KB_NO_DECL,
				q_.pop(buf, want), KB_NO_FAILURE,
				KB_TAKE_N(&c, WL, NW, buf, n));
		*out = c;
		return 0;
	}

public:
	explicit boost_queue(const kb_spec &s)
		: pbuf_(new T[s.batch]), cbuf_(new T[s.batch])
	{
	}

	int produce(const kb_spec &s, uint64_t events) override
	{
		if (s.workload == KB_TRACE)
			return produce_bulk<KB_TRACE>(events, s.batch);
		if constexpr (NW == 1) {
			if (s.workload == KB_PER_EVENT)
				return produce_single(events);
			if (s.workload == KB_BATCH_SUM)
				return produce_bulk<KB_BATCH_SUM>(events, s.batch);
		}
		return -1;
	}

	int consume(const kb_spec &s, uint64_t events, kb_check *out) override
	{
		if (s.workload == KB_TRACE)
			return consume_bulk<KB_TRACE>(events, s.batch, out);
		if constexpr (NW == 1) {
			if (s.workload == KB_PER_EVENT)
				return consume_single(events, out);
			if (s.workload == KB_BATCH_SUM)
				return consume_bulk<KB_BATCH_SUM>(events, s.batch, out);
		}
		return -1;
	}
};

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
