/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc/server.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct ttrpc_listener {
        struct loop *loop;
        unsigned retry_ms;  /* serial: the next reopen delay */
        uint64_t opened_ns; /* serial: when the current stream was opened */
        struct address addr;
        int fd; /* listening socket; -EBADF for serial */
        struct loop_io *io;
        struct loop_timer *retry;
        ttrpc_accept_fn fn;
        void *userdata;
};

static void listener_accept_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct ttrpc_listener *l = userdata;

        (void) io;
        (void) events;
        /* Bounded per wake-up; the rest stays queued in the backlog. */
        for (int i = 0; i < 32; i++) {
                int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warn("accept on listener failed: %s", strerror(errno));
                        return;
                }
                l->fn(l, fd, l->userdata);
        }
}

static int listener_open_serial(struct ttrpc_listener *l)
{
        int fd = address_connect(&l->addr);

        if (fd < 0)
                return fd;
        l->opened_ns = now_ns();
        l->fn(l, fd, l->userdata);
        return 0;
}

static void listener_retry_cb(struct loop_timer *t, void *userdata)
{
        struct ttrpc_listener *l = userdata;
        int r;

        loop_timer_free(t);
        l->retry = NULL;
        r = listener_open_serial(l);
        if (r < 0) {
                log_debug("reopening serial port `%s` failed: %s", l->addr.path, strerror(-r));
                ttrpc_listener_stream_closed(l);
        }
}

void ttrpc_listener_stream_closed(struct ttrpc_listener *l)
{
        if (l->addr.kind != ADDRESS_SERIAL || l->retry)
                return;
        /* A port that hangs up at once (no host on the other side yet) is retried with a
         * growing delay, up to TTRPC_SERIAL_RETRY_MAX_MS; one that served a while is reopened
         * quickly. */
        if (l->retry_ms == 0 || now_ns() - l->opened_ns > 1000000000ull)
                l->retry_ms = TTRPC_SERIAL_RETRY_MS;
        else if (l->retry_ms < TTRPC_SERIAL_RETRY_MAX_MS)
                l->retry_ms *= 2;
        if (l->retry_ms > TTRPC_SERIAL_RETRY_MAX_MS)
                l->retry_ms = TTRPC_SERIAL_RETRY_MAX_MS;
        l->retry =
                loop_add_timer(l->loop, now_ns() + l->retry_ms * 1000000ull, listener_retry_cb, l);
}

int ttrpc_listener_new(struct loop *loop, const struct address *addr, ttrpc_accept_fn fn,
                       void *userdata, struct ttrpc_listener **ret)
{
        struct ttrpc_listener *l = xzalloc(sizeof(*l));
        int r;

        l->loop = loop;
        l->addr = *addr;
        l->fd = -EBADF;
        l->fn = fn;
        l->userdata = userdata;
        if (addr->kind == ADDRESS_SERIAL) {
                /* The port may appear later (its driver still loading): keep trying rather
                 * than give up, which as PID 1 would leave the VM unreachable. */
                r = listener_open_serial(l);
                if (r == -ENOENT || r == -ENXIO || r == -ENODEV) {
                        log_warn("serial port `%s` not there yet (%s), waiting for it", addr->path,
                                 strerror(-r));
                        ttrpc_listener_stream_closed(l);
                        r = 0;
                }
        } else {
                r = address_listen(addr, 64);
                if (r >= 0) {
                        l->fd = r;
                        r = loop_add_io(loop, l->fd, EPOLLIN, listener_accept_cb, l, &l->io);
                }
        }
        if (r < 0) {
                ttrpc_listener_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

struct ttrpc_listener *ttrpc_listener_free(struct ttrpc_listener *l)
{
        if (!l)
                return NULL;
        loop_timer_free(l->retry);
        loop_io_free(l->io);
        /* Only a socket we bound is ours to remove. */
        if (l->fd >= 0 && l->addr.kind == ADDRESS_UNIX && l->addr.path[0] == '/')
                (void) unlink(l->addr.path);
        close_and_reset(&l->fd);
        free(l);
        return NULL;
}
