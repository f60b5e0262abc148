/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Listeners: accept sockets (vsock, unix) or open a serial port, and hand each new byte stream to
 * the owner's accept callback, which wraps it in a ttrpc_conn.
 *
 * A serial port (virtio-serial) is one long-lived stream with no accept(): when it hangs up
 * (the host side closed), the owner calls ttrpc_listener_stream_closed() and the port is reopened
 * after a short delay. virtio-serial gives no event when the host reconnects, so while the host
 * is away we retry, every TTRPC_SERIAL_RETRY_MS at first, backing off to
 * TTRPC_SERIAL_RETRY_MAX_MS. A port that does not exist yet at start is waited for the same way.
 */

#include "event/loop.h"
#include "ttrpc/address.h"

#define TTRPC_SERIAL_RETRY_MS     100
#define TTRPC_SERIAL_RETRY_MAX_MS 1000

struct ttrpc_listener;

/* Receives ownership of fd. */
typedef void (*ttrpc_accept_fn)(struct ttrpc_listener *l, int fd, void *userdata);

int ttrpc_listener_new(struct loop *loop, const struct address *addr, ttrpc_accept_fn fn,
                       void *userdata, struct ttrpc_listener **ret);
struct ttrpc_listener *ttrpc_listener_free(struct ttrpc_listener *l);

/* For serial listeners: the stream handed out earlier is gone; reopen it later. */
void ttrpc_listener_stream_closed(struct ttrpc_listener *l);
