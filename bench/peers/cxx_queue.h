/* SPDX-License-Identifier: MIT */
/*
 * C++ side of the Boost and moodycamel adapters: slot types by word count,
 * access to a slot's words, and a queue base class whose virtual
 * produce/consume are called once per run (never per event), so one set of
 * C trampolines serves every slot size.
 */
#ifndef KAOS_BENCH_CXX_QUEUE_H
#define KAOS_BENCH_CXX_QUEUE_H

#include <cstdint>
#include <new>

#include "../workload.h"
#include "peers.h"

namespace kb {

template <unsigned NW> struct slot_of;
template <> struct slot_of<1> { typedef uint64_t type; };
template <> struct slot_of<4> { typedef kb_slot32 type; };
template <> struct slot_of<8> { typedef kb_slot64 type; };

inline uint64_t *words(uint64_t &v) { return &v; }
inline uint64_t *words(kb_slot32 &v) { return v.w; }
inline uint64_t *words(kb_slot64 &v) { return v.w; }

/* One queue of some slot size. */
struct queue {
	virtual ~queue() {}
	virtual int produce(const kb_spec &s, uint64_t events) = 0;
	virtual int consume(const kb_spec &s, uint64_t events, kb_check *out) = 0;
};

/* A queue of @p Q<1>, <4> or <8> (words per slot) for the spec, or null. */
template <template <unsigned> class Q>
queue *open_queue(const kb_spec &s)
{
	try {
		switch (s.slot_bytes) {
		case 8:
			return new Q<1>(s);
		case 32:
			return new Q<4>(s);
		case 64:
			return new Q<8>(s);
		}
	} catch (const std::bad_alloc &) {
	}
	return nullptr;
}

} // namespace kb

/* The C side of struct kb_adapter. */
extern "C" {
static inline void kb_cxx_close(void *q)
{
	delete static_cast<kb::queue *>(q);
}
static inline int kb_cxx_produce(void *q, const kb_spec *s, uint64_t events)
{
	return static_cast<kb::queue *>(q)->produce(*s, events);
}
static inline int kb_cxx_consume(void *q, const kb_spec *s, uint64_t events,
				 kb_check *out)
{
	return static_cast<kb::queue *>(q)->consume(*s, events, out);
}
}

#endif /* KAOS_BENCH_CXX_QUEUE_H */
