// SPDX-License-Identifier: MIT
//
// moodycamel::ReaderWriterQueue (libreaderwriterqueue-dev), preallocated to
// the ring's capacity so try_enqueue never allocates. It has no bulk API:
// every case goes one item per call (try_enqueue / try_dequeue, copying).
#include <readerwriterqueue.h>

#include "cxx_queue.h"

namespace {

template <unsigned NW>
class rwq_queue final : public kb::queue {
	typedef typename kb::slot_of<NW>::type T;
	moodycamel::ReaderWriterQueue<T> q_;

	template <kb_workload WL> int produce_wl(uint64_t events)
	{
		KB_PRODUCE_EACH(events, WL, NW, T, v, q_.try_enqueue(v),
				KB_NO_FAILURE);
	}

	template <kb_workload WL> int consume_wl(uint64_t events, kb_check *out)
	{
		KB_CONSUME_EACH(events, WL, T, v, q_.try_dequeue(v), KB_NO_FAILURE,
				out);
	}

public:
	explicit rwq_queue(const kb_spec &s) : q_(s.capacity) {}

	int produce(const kb_spec &s, uint64_t events) override
	{
		if (s.workload == KB_TRACE)
			return produce_wl<KB_TRACE>(events);
		if constexpr (NW == 1) {
			if (s.workload == KB_PER_EVENT)
				return produce_wl<KB_PER_EVENT>(events);
			if (s.workload == KB_BATCH_SUM)
				return produce_wl<KB_BATCH_SUM>(events);
		}
		return -1;
	}

	int consume(const kb_spec &s, uint64_t events, kb_check *out) override
	{
		if (s.workload == KB_TRACE)
			return consume_wl<KB_TRACE>(events, out);
		if constexpr (NW == 1) {
			if (s.workload == KB_PER_EVENT)
				return consume_wl<KB_PER_EVENT>(events, out);
			if (s.workload == KB_BATCH_SUM)
				return consume_wl<KB_BATCH_SUM>(events, out);
		}
		return -1;
	}
};

} // namespace

extern "C" {

static int rwq_supports(const kb_spec *s)
{
	switch (s->workload) {
	case KB_PER_EVENT:
	case KB_BATCH_SUM:
		return s->slot_bytes == 8;
	case KB_TRACE:
		return s->slot_bytes == 8 || s->slot_bytes == 32;
	default:
		return 0;
	}
}

static const char *rwq_note(void *, const kb_spec *s)
{
	if (s->workload == KB_PER_EVENT)
		return nullptr;
	return "one item per call: ReaderWriterQueue has no bulk API";
}

static void *rwq_open(const kb_spec *s)
{
	return kb::open_queue<rwq_queue>(*s);
}

const kb_adapter kb_peer_rwq = {
	"rwq", rwq_supports, rwq_note, rwq_open, kb_cxx_close,
	kb_cxx_produce, kb_cxx_consume,
};

} // extern "C"
