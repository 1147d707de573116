/* SPDX-License-Identifier: MIT */
/*
 * Bulk copies into ring memory that write whole cache lines with
 * non-temporal stores (x86-64; plain stores elsewhere), for the copying
 * bulk paths (kaos_spsc_write, kaos_msgring_write_batch). A line the
 * consumer read on its last lap is then written without first being
 * fetched back from its cache. The consumer reads such lines from memory:
 * a gain for streams of bulk data, a loss for latency, so only copies of
 * KAOS__STREAM_MIN bytes or more take this path. docs/spsc.md has the
 * measurements.
 */
#ifndef KAOS_RING_STREAM_H
#define KAOS_RING_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#define KAOS__STREAM_MIN 4096

/* Copy @p len bytes: plain stores up to the first 64-byte boundary of
 * @p dst and after the last, non-temporal stores between. Follow a run of
 * these with kaos__stream_fence() before publishing. */
static inline void
kaos__copy_streaming(unsigned char *dst, const unsigned char *src, size_t len)
{
#if defined(__x86_64__)
	size_t lead = (size_t)(-(uintptr_t)dst & 63);
	if (lead > len)
		lead = len;
	memcpy(dst, src, lead);
	dst += lead;
	src += lead;
	len -= lead;
	for (; len >= 64; dst += 64, src += 64, len -= 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)src);
		__m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(src + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(src + 48));
		_mm_stream_si128((__m128i *)dst, a);
		_mm_stream_si128((__m128i *)(dst + 16), b);
		_mm_stream_si128((__m128i *)(dst + 32), c);
		_mm_stream_si128((__m128i *)(dst + 48), d);
	}
#endif
	memcpy(dst, src, len);
}

/* Non-temporal stores are not ordered by a release store: this makes them
 * visible before whatever the caller publishes next. */
static inline void
kaos__stream_fence(void)
{
#if defined(__x86_64__)
	_mm_sfence();
#endif
}

#endif /* KAOS_RING_STREAM_H */
