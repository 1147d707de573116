/* SPDX-License-Identifier: MIT */
/* A session's receive side: see rx.h. */
#include "rx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <kaos/error.h>

#include "le.h"

#define MIN_WINDOW 4096u
#define MAX_WINDOW (1u << 30)

int
kaos__rx_init(struct kaos__rx *rx, uint64_t start, uint64_t window, uint32_t max_message)
{
	if (!rx || start % KAOS__WIRE_ALIGN || window < MIN_WINDOW || window > MAX_WINDOW ||
	    (window & (window - 1)) || max_message > (16u << 20))
		return -EINVAL;
	*rx = (struct kaos__rx){ .window = window, .delivered = start,
				 .max_message = max_message };
	rx->buf = malloc(window);
	rx->msg = malloc(max_message ? max_message : 1);
	if (!rx->buf || !rx->msg) {
		kaos__rx_free(rx);
		return -ENOMEM;
	}
	kaos__ranges_init(&rx->got, start);
	return 0;
}

void
kaos__rx_free(struct kaos__rx *rx)
{
	free(rx->buf);
	free(rx->msg);
	rx->buf = rx->msg = NULL;
}

uint64_t
kaos__rx_window_limit(const struct kaos__rx *rx)
{
	return rx->delivered + rx->window;
}

/* Copy @p len bytes between the ring at stream position @p pos and
 * @p mem, in two parts where the ring wraps. */
static void
ring_write(struct kaos__rx *rx, uint64_t pos, const unsigned char *src, size_t len)
{
	size_t at = (size_t)(pos & (rx->window - 1)), first = rx->window - at;
	if (first > len)
		first = len;
	memcpy(rx->buf + at, src, first);
	memcpy(rx->buf, src + first, len - first);
}

static void
ring_read(const struct kaos__rx *rx, uint64_t pos, unsigned char *dst, size_t len)
{
	size_t at = (size_t)(pos & (rx->window - 1)), first = rx->window - at;
	if (first > len)
		first = len;
	memcpy(dst, rx->buf + at, first);
	memcpy(dst + first, rx->buf, len - first);
}

int
kaos__rx_put(struct kaos__rx *rx, const struct kaos__wire_frame *f)
{
	uint64_t pos = f->seq, size = kaos__wire_frame_size(f->length);
	if (f->type != KAOS__WIRE_DATA || pos % KAOS__WIRE_ALIGN || pos > UINT64_MAX - size)
		return -EINVAL;
	if (kaos__ranges_has(&rx->got, pos, pos + size))
		return 0;
	/* Within [delivered, delivered + window), or outside what the sender
	 * was allowed (and what the ring holds: a frame reaching below the
	 * delivered position would write over the window's far end). */
	if (pos < rx->delivered || pos + size > kaos__rx_window_limit(rx))
		return -KAOS_EFULL;
	int rc = kaos__ranges_add(&rx->got, pos, pos + size);
	if (rc <= 0)
		return rc;
	/* The frame as it stands in the datagram, header and padding
	 * included (kaos__wire_next checked they are there). */
	ring_write(rx, pos, f->body - KAOS__WIRE_FRAME_HEADER, size);
	return 1;
}

/* The frame at the delivered position, read back from the ring into
 * @p fixed (its header and DATA fixed part) and checked: -KAOS_ECORRUPT
 * unless it is a whole DATA frame, at its own position, below the
 * cumulative position. */
static int
frame_at(const struct kaos__rx *rx, struct kaos__wire_frame *f, struct kaos__wire_data *d,
	 unsigned char fixed[KAOS__WIRE_FRAME_HEADER + KAOS__WIRE_DATA_BODY])
{
	uint64_t pos = rx->delivered, have = rx->got.base - pos;
	if (have < KAOS__WIRE_FRAME_HEADER + KAOS__WIRE_DATA_BODY)
		return -KAOS_ECORRUPT;
	ring_read(rx, pos, fixed, KAOS__WIRE_FRAME_HEADER + KAOS__WIRE_DATA_BODY);
	f->type = fixed[0];
	f->flags = fixed[1];
	f->length = kaos__get32(fixed + 4);
	f->seq = kaos__get64(fixed + 8);
	f->body = fixed + KAOS__WIRE_FRAME_HEADER; /* data_read reads its fixed part only */
	enum kaos__wire_bad why = KAOS__WIRE_OK;
	if (kaos__wire_frame_size(f->length) > have || f->type != KAOS__WIRE_DATA ||
	    f->seq != pos || fixed[2] || fixed[3] ||
	    (f->flags & ~(KAOS__WIRE_BEGIN | KAOS__WIRE_END)) || kaos__wire_data_read(f, d, &why) < 0)
		return -KAOS_ECORRUPT;
	return 0;
}

int64_t
kaos__rx_deliver(struct kaos__rx *rx, kaos__rx_fn fn, void *ctx, uint64_t limit)
{
	int64_t n = 0;
	while ((uint64_t)n < limit && rx->delivered < rx->got.base) {
		unsigned char fixed[KAOS__WIRE_FRAME_HEADER + KAOS__WIRE_DATA_BODY];
		struct kaos__wire_frame f;
		struct kaos__wire_data d;
		if (frame_at(rx, &f, &d, fixed) < 0)
			return -KAOS_ECORRUPT;
		bool begin = f.flags & KAOS__WIRE_BEGIN, end = f.flags & KAOS__WIRE_END;
		/* A message starts with BEGIN, ends with END, and every piece
		 * names the same type and length; it fits max_message. */
		if (begin == rx->in_msg || d.msg_len > rx->max_message ||
		    (rx->in_msg && (d.msg_type != rx->msg_type || d.msg_len != rx->msg_len)))
			return -KAOS_ECORRUPT;
		uint64_t payload_at = rx->delivered + KAOS__WIRE_FRAME_HEADER + KAOS__WIRE_DATA_BODY;
		if (begin) {
			rx->in_msg = true;
			rx->msg_type = d.msg_type;
			rx->msg_len = d.msg_len;
			rx->msg_have = 0;
		}
		if (d.payload_len > rx->msg_len - rx->msg_have ||
		    (end && rx->msg_have + d.payload_len != rx->msg_len))
			return -KAOS_ECORRUPT;
		ring_read(rx, payload_at, rx->msg + rx->msg_have, d.payload_len);
		rx->msg_have += d.payload_len;
		rx->delivered += kaos__wire_frame_size(f.length);
		if (end) {
			rx->in_msg = false;
			fn(rx->msg_type, rx->msg, rx->msg_len, ctx);
			n++;
		}
	}
	return n;
}
