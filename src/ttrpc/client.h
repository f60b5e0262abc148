/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A small blocking ttRPC client: cata-ctl, the integration tests and the benchmarks use it.
 *
 * Two levels:
 *  - ttrpc_client_call(): one unary call, waits for its Response (other streams' responses that
 *    arrive meanwhile are an error at this level);
 *  - ttrpc_client_send_request() / ttrpc_client_recv_frame() / ttrpc_client_send_raw(): for tests
 *    and benchmarks that keep many calls outstanding, send odd/even ids, or write byte by byte.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ttrpc/frame.h"

struct ttrpc_client;

/* The outcome of a call: code RPC_OK (0) or an error code with its message. */
struct ttrpc_status {
        int code;
        char *message; /* owned; may be NULL when empty */
};
void ttrpc_status_done(struct ttrpc_status *st);

/* addr: see address.h. Returns 0 or -errno. */
int ttrpc_client_connect(const char *addr, struct ttrpc_client **ret);
/* Wraps an already connected fd (takes ownership). */
struct ttrpc_client *ttrpc_client_new_fd(int fd);
struct ttrpc_client *ttrpc_client_free(struct ttrpc_client *c);
int ttrpc_client_fd(const struct ttrpc_client *c);
/* One Request.metadata pair sent with every later request (key NULL: none), e.g. a W3C
 * `traceparent`. */
void ttrpc_client_set_metadata(struct ttrpc_client *c, const char *key, const char *value);

static inline void ttrpc_client_freep(struct ttrpc_client **c)
{
        if (*c)
                (void) ttrpc_client_free(*c);
}
#define _cleanup_ttrpc_client_ __attribute__((cleanup(ttrpc_client_freep)))

static inline void ttrpc_status_donep(struct ttrpc_status *st)
{
        ttrpc_status_done(st);
}
#define _cleanup_ttrpc_status_ __attribute__((cleanup(ttrpc_status_donep)))

/* One unary call. req may be NULL for an empty request. On return 0, *ret_status is filled and,
 * when the status is OK, *ret_resp holds the unpacked response (free with
 * protobuf_c_message_free_unpacked). timeout_ns 0 = no timeout sent and wait for ever. Returns
 * -errno for transport errors (connection closed: -ECONNRESET, timeout waiting: -ETIMEDOUT, a
 * Response on another stream or an unexpected frame type: -EPROTO, request > 4 MiB: -EMSGSIZE,
 * OK reply whose payload does not decode: -EBADMSG). After -ETIMEDOUT or -EPROTO drop the
 * connection: a late reply would make the next call fail with -EPROTO. */
int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
                      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                      int64_t timeout_ns, ProtobufCMessage **ret_resp,
                      struct ttrpc_status *ret_status);

/* Like ttrpc_client_call() without the protobuf layer: payload is the serialized request (may be
 * NULL when payload_len is 0); on return 0 *ret_payload (free()) holds the raw response payload,
 * NULL when empty; ret_payload may be NULL when the caller does not want it. */
int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
                          const uint8_t *payload, size_t payload_len, int64_t timeout_ns,
                          struct ttrpc_status *ret_status, uint8_t **ret_payload,
                          size_t *ret_payload_len);

/* Sends a Request frame on an explicit stream id (next_stream_id() gives 1, 3, 5, ...).
 * payload/payload_len is the already serialized request message. */
uint32_t ttrpc_client_next_stream_id(struct ttrpc_client *c);
int ttrpc_client_send_request(struct ttrpc_client *c, uint32_t stream_id, const char *service,
                              const char *method, const uint8_t *payload, size_t payload_len,
                              int64_t timeout_ns);

/* Writes raw bytes (a hand-made frame, garbage, one byte at a time ...). */
int ttrpc_client_send_raw(struct ttrpc_client *c, const void *buf, size_t len);

/* Receives the next frame. wait_ms < 0 waits for ever. -ETIMEDOUT, -ECONNRESET on close.
 * A frame longer than 4 MiB is skipped and reported as -EMSGSIZE with ret->header filled in and
 * ret->body NULL; the connection stays usable. */
int ttrpc_client_recv_frame(struct ttrpc_client *c, int wait_ms, struct ttrpc_frame *ret);

/* Decodes a Response frame body into status + payload (payload points into a copy owned by the
 * caller: free(*ret_payload)). A missing status means OK; an empty payload gives NULL/0;
 * ret_payload may be NULL. -EBADMSG when the body is not a Response. */
int ttrpc_response_decode(const uint8_t *body, size_t len, struct ttrpc_status *ret_status,
                          uint8_t **ret_payload, size_t *ret_payload_len);
