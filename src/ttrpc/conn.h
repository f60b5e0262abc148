/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * One server-side ttRPC byte stream (an accepted socket or a serial port).
 *
 * Reading: bytes are fed to the incremental frame decoder; every complete frame goes to
 * ops->on_frame. Writing: frames are queued whole and flushed as the socket accepts them, so two
 * frames never interleave; EPOLLOUT is armed only while the queue is non-empty. When more than
 * TTRPC_CONN_WQ_HIGH bytes wait (a client that does not read its replies) the connection stops
 * reading until the queue drains below TTRPC_CONN_WQ_LOW: memory stays bounded (the marks count
 * the queue's real memory, headers included).
 *
 * Failure (EOF, error, HUP) is deferred to a zero-delay timer: ops->on_close runs exactly once,
 * from the loop, never from inside a caller's send.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "event/loop.h"
#include "ttrpc/frame.h"

#define TTRPC_CONN_WQ_HIGH (16u << 20)
#define TTRPC_CONN_WQ_LOW  (4u << 20)

struct ttrpc_conn;

struct ttrpc_conn_ops {
        /* A complete frame; the callee owns frame->body. */
        void (*on_frame)(struct ttrpc_conn *c, struct ttrpc_frame *frame, void *userdata);
        /* A frame longer than the maximum was skipped. */
        void (*on_oversize)(struct ttrpc_conn *c, const struct ttrpc_header *h, void *userdata);
        /* The stream ended; called once, then the connection is freed. */
        void (*on_close)(struct ttrpc_conn *c, void *userdata);
};

int ttrpc_conn_new(struct loop *l, int fd, const struct ttrpc_conn_ops *ops, void *userdata,
                   struct ttrpc_conn **ret);

/* Queues one frame. Dropped silently once the connection has failed. Returns 0 or -errno. */
int ttrpc_conn_send(struct ttrpc_conn *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                    const uint8_t *body, size_t len);

/* Encodes and queues a Response{status{code,message}, payload}. A response larger than the frame
 * limit is replaced by INVALID_ARGUMENT, as the Rust ttRPC server does. */
int ttrpc_conn_send_response(struct ttrpc_conn *c, uint32_t stream_id, int code,
                             const char *message, const uint8_t *payload, size_t payload_len);

/* Queues Response{status OK, payload} where payload is the concatenation of n pieces, copied
 * once, straight into the frame (the stdio relay's replies). Byte for byte what
 * ttrpc_conn_send_response() sends for the same payload, oversize rule included. */
int ttrpc_conn_send_response_iov(struct ttrpc_conn *c, uint32_t stream_id,
                                 const struct iovec *payload, size_t n);

/* Stops (hold) or resumes reading requests, whatever the write queue says: back-pressure from
 * above (parked request bytes over their budget, see rpc/call.h). */
void ttrpc_conn_hold(struct ttrpc_conn *c, bool hold);

/* Closes now-ish (deferred like a failure). */
void ttrpc_conn_close(struct ttrpc_conn *c);

bool ttrpc_conn_failed(const struct ttrpc_conn *c);
size_t ttrpc_conn_queued_bytes(const struct ttrpc_conn *c);
/* Frees a connection synchronously without calling on_close (loop teardown only). */
void ttrpc_conn_free(struct ttrpc_conn *c);
