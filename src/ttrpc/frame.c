/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc/frame.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static uint32_t be32_read(const uint8_t *p)
{
        return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) |
               (uint32_t) p[3];
}

static void be32_write(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE])
{
        be32_write(out, h->length);
        be32_write(out + 4, h->stream_id);
        out[8] = h->type;
        out[9] = h->flags;
}

void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *h)
{
        h->length = be32_read(in);
        h->stream_id = be32_read(in + 4);
        h->type = in[8];
        h->flags = in[9];
}

void ttrpc_decoder_init(struct ttrpc_decoder *d, uint32_t max_length)
{
        memset(d, 0, sizeof(*d));
        d->max_length = max_length;
}

void ttrpc_decoder_done(struct ttrpc_decoder *d)
{
        free(d->body);
        d->body = NULL;
        d->body_len = d->body_cap = 0;
        d->in_body = d->discarding = false;
        d->hdr_len = 0;
}

bool ttrpc_decoder_mid_frame(const struct ttrpc_decoder *d)
{
        return d->hdr_len > 0 || d->in_body;
}

static void decoder_finish(struct ttrpc_decoder *d, enum ttrpc_decode_event *ret_event,
                           struct ttrpc_frame *ret_frame)
{
        ret_frame->header = d->cur;
        if (d->discarding) {
                ret_frame->body = NULL;
                *ret_event = TTRPC_DECODE_OVERSIZE;
        } else {
                /* A zero-length body still gets a (1-byte) allocation so callers never see NULL
                 * for a good frame. */
                ret_frame->body = d->body ? d->body : xmalloc(1);
                *ret_event = TTRPC_DECODE_FRAME;
        }
        d->body = NULL;
        d->body_len = d->body_cap = 0;
        d->in_body = d->discarding = false;
        d->hdr_len = 0;
}

static size_t decoder_body(struct ttrpc_decoder *d, const uint8_t *data, size_t len)
{
        size_t want = d->cur.length - d->body_len;
        size_t n = len < want ? len : want;

        if (n == 0)
                return 0;
        if (!d->discarding) {
                if (d->body_len + n > d->body_cap) {
                        size_t cap = d->body_cap ? d->body_cap * 2 : 4096;
                        if (cap < d->body_len + n)
                                cap = d->body_len + n;
                        if (cap > d->cur.length)
                                cap = d->cur.length;
                        d->body = xrealloc(d->body, cap);
                        d->body_cap = cap;
                }
                memcpy(d->body + d->body_len, data, n);
        }
        d->body_len += n;
        return n;
}

size_t ttrpc_decoder_feed(struct ttrpc_decoder *d, const uint8_t *data, size_t len,
                          enum ttrpc_decode_event *ret_event, struct ttrpc_frame *ret_frame)
{
        size_t used = 0;

        *ret_event = TTRPC_DECODE_NEED_MORE;
        for (;;) {
                if (!d->in_body) {
                        size_t n = TTRPC_HEADER_SIZE - d->hdr_len;
                        if (n > len - used)
                                n = len - used;
                        memcpy(d->hdr + d->hdr_len, data + used, n);
                        d->hdr_len += n;
                        used += n;
                        if (d->hdr_len < TTRPC_HEADER_SIZE)
                                return used;
                        ttrpc_header_decode(d->hdr, &d->cur);
                        d->in_body = true;
                        d->discarding = d->cur.length > d->max_length;
                        d->body_len = 0;
                }
                if (d->body_len < d->cur.length)
                        used += decoder_body(d, data + used, len - used);
                if (d->body_len == d->cur.length) {
                        decoder_finish(d, ret_event, ret_frame);
                        return used;
                }
                if (used == len)
                        return used;
        }
}

static size_t varint_encode(uint64_t v, uint8_t *out)
{
        size_t n = 0;

        while (v >= 0x80) {
                out[n++] = (uint8_t) (v | 0x80);
                v >>= 7;
        }
        out[n++] = (uint8_t) v;
        return n;
}

size_t ttrpc_field_head(uint32_t field, uint64_t len, uint8_t out[TTRPC_FIELD_HEAD_MAX])
{
        size_t n = varint_encode(((uint64_t) field << 3) | 2u, out);

        return n + varint_encode(len, out + n);
}

uint8_t *ttrpc_frame_encode(uint32_t stream_id, uint8_t type, uint8_t flags, const uint8_t *body,
                            uint32_t body_len, size_t *ret_len)
{
        struct ttrpc_header h = {
                .length = body_len, .stream_id = stream_id, .type = type, .flags = flags
        };
        uint8_t *buf = xmalloc(TTRPC_HEADER_SIZE + (size_t) body_len);

        ttrpc_header_encode(&h, buf);
        if (body_len)
                memcpy(buf + TTRPC_HEADER_SIZE, body, body_len);
        *ret_len = TTRPC_HEADER_SIZE + (size_t) body_len;
        return buf;
}
