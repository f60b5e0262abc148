/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "base/list.h"
#include "event/loop.h"
#include "passfd/handshake.h"
#include "passfd/passfd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A connection to the listener: announcing its port (unix), or ready and waiting to be
 * claimed. */
struct passfd_stream {
        struct passfd *pf;
        int fd;
        uint32_t port;
        uint8_t hs[PASSFD_HANDSHAKE_MAX];
        size_t hs_len;
        struct loop_io *io;       /* handshake only */
        struct loop_timer *timer; /* handshake deadline */
        struct list_node node;    /* on pf->handshakes or pf->ready */
};

struct passfd {
        struct agent *agent;
        struct loop *loop;
        char *addr;
        bool unix_socket; /* streams announce their port (handshake.h) */
        int listen_fd;
        struct loop_io *listen_io;
        struct list_node handshakes;
        unsigned n_handshakes;
        struct list_node ready; /* oldest first */
        unsigned n_ready;
        struct list_node waiting; /* passfd_io still missing a stream */
};

/* Takes the ready stream of port: returns its fd (the caller owns it) or -ENOENT. */
int passfd_take(struct passfd *pf, uint32_t port);
/* A stream became ready: the process waiting for its port gets it. Returns true if taken. */
bool passfd_io_offer(struct passfd *pf, uint32_t port, int fd);
