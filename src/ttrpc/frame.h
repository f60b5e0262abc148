/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * ttRPC framing (containerd/ttrpc PROTOCOL.md, as used by Kata):
 *
 *   0        4          8      9       10
 *   +--------+----------+------+-------+------------------+
 *   | length | streamid | type | flags | length bytes ... |
 *   +--------+----------+------+-------+------------------+
 *     u32 BE    u32 BE     u8     u8
 *
 * `length` counts only the bytes after the header and is capped at 4 MiB. A receiver that sees
 * a larger length discards exactly that many bytes so the stream stays in sync and reports the
 * oversize frame on its stream id; the connection stays usable.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TTRPC_HEADER_SIZE        10u
#define TTRPC_MESSAGE_LENGTH_MAX (4u << 20)

enum ttrpc_type {
        TTRPC_TYPE_REQUEST = 1,
        TTRPC_TYPE_RESPONSE = 2,
        TTRPC_TYPE_DATA = 3,
};

enum {
        TTRPC_FLAG_REMOTE_CLOSED = 0x1,
        TTRPC_FLAG_REMOTE_OPEN = 0x2,
        TTRPC_FLAG_NO_DATA = 0x4,
};

struct ttrpc_header {
        uint32_t length;
        uint32_t stream_id;
        uint8_t type;
        uint8_t flags;
};

void ttrpc_header_encode(const struct ttrpc_header *h, uint8_t out[TTRPC_HEADER_SIZE]);
void ttrpc_header_decode(const uint8_t in[TTRPC_HEADER_SIZE], struct ttrpc_header *h);

/* A complete frame; body is owned by whoever holds the frame (free()). */
struct ttrpc_frame {
        struct ttrpc_header header;
        uint8_t *body;
};

enum ttrpc_decode_event {
        TTRPC_DECODE_NEED_MORE, /* everything given was consumed, no frame finished */
        TTRPC_DECODE_FRAME,     /* *ret_frame holds a frame */
        TTRPC_DECODE_OVERSIZE,  /* an oversize frame was fully skipped; ret_frame->header says which
                                 */
};

/* Incremental decoder: bytes may arrive in pieces of any size, down to one byte at a time.
 * The body buffer grows with the bytes actually received, so a header that announces 4 MiB
 * costs nothing until the bytes arrive. */
struct ttrpc_decoder {
        uint32_t max_length;
        uint8_t hdr[TTRPC_HEADER_SIZE];
        size_t hdr_len;
        struct ttrpc_header cur;
        bool in_body;
        bool discarding;
        uint8_t *body;
        size_t body_len;
        size_t body_cap;
};

void ttrpc_decoder_init(struct ttrpc_decoder *d, uint32_t max_length);
void ttrpc_decoder_done(struct ttrpc_decoder *d);

/* Consumes bytes from data until a frame completes or the input ends. Returns the number of bytes
 * consumed; *ret_event says whether a frame is in *ret_frame. Call again with the rest. */
size_t ttrpc_decoder_feed(struct ttrpc_decoder *d, const uint8_t *data, size_t len,
                          enum ttrpc_decode_event *ret_event, struct ttrpc_frame *ret_frame);

/* True while a frame is partly received (used to tell a clean close from a truncated one). */
bool ttrpc_decoder_mid_frame(const struct ttrpc_decoder *d);

/* The protobuf tag (field number, wire type length-delimited) and length varints that open a
 * bytes or message field of len bytes; returns how many of out's bytes it wrote (at most
 * TTRPC_FIELD_HEAD_MAX). For replies assembled around data that is already in place. */
#define TTRPC_FIELD_HEAD_MAX 15
size_t ttrpc_field_head(uint32_t field, uint64_t len, uint8_t out[TTRPC_FIELD_HEAD_MAX]);

/* Encodes header + body into one freshly allocated buffer (length checked by the caller). */
uint8_t *ttrpc_frame_encode(uint32_t stream_id, uint8_t type, uint8_t flags, const uint8_t *body,
                            uint32_t body_len, size_t *ret_len);
