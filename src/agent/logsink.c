/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/logsink.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "ttrpc/address.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct logsink {
        struct loop *loop;
        char *addr;
        int listen_fd;
        struct loop_io *listen_io;
        int fd; /* the accepted host connection, or -EBADF */
        struct loop_io *io;
        char *buf; /* pending bytes, whole lines */
        size_t len;
        uint64_t dropped;
};

static struct logsink *sink_get(struct agent *a)
{
        if (!a->logsink) {
                a->logsink = xzalloc(sizeof(*a->logsink));
                a->logsink->listen_fd = -EBADF;
                a->logsink->fd = -EBADF;
        }
        return a->logsink;
}

void logsink_set_address(struct agent *a, const char *addr)
{
        struct logsink *s = sink_get(a);

        free(s->addr);
        s->addr = addr ? xstrdup(addr) : NULL;
}

/* Drops whole lines from the front until `need` more bytes fit. */
static void sink_make_room(struct logsink *s, size_t need)
{
        size_t cut = 0;

        while (s->len - cut + need > LOGSINK_BUFFER_MAX && cut < s->len) {
                char *nl = memchr(s->buf + cut, '\n', s->len - cut);
                cut = nl ? (size_t) (nl - s->buf) + 1 : s->len;
                s->dropped++;
        }
        memmove(s->buf, s->buf + cut, s->len - cut);
        s->len -= cut;
}

static void sink_disconnect(struct logsink *s)
{
        loop_io_free(s->io);
        s->io = NULL;
        close_and_reset(&s->fd);
}

static void sink_flush(struct logsink *s)
{
        while (s->fd >= 0 && s->len > 0) {
                ssize_t n = send(s->fd, s->buf, s->len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                sink_disconnect(s);
                        break;
                }
                memmove(s->buf, s->buf + n, s->len - (size_t) n);
                s->len -= (size_t) n;
        }
        if (s->io)
                (void) loop_io_set_events(s->io, s->len ? EPOLLOUT : 0);
}

static void sink_append(struct logsink *s, const char *line, size_t len)
{
        if (len > LOGSINK_BUFFER_MAX)
                return;
        if (s->len + len > LOGSINK_BUFFER_MAX)
                sink_make_room(s, len);
        if (!s->buf)
                s->buf = xmalloc(LOGSINK_BUFFER_MAX);
        memcpy(s->buf + s->len, line, len);
        s->len += len;
}

static void sink_write_line(const char *line, size_t len, void *userdata)
{
        struct logsink *s = userdata;

        if (s->dropped && s->fd >= 0) {
                char msg[96], note[512];
                size_t n;

                snprintf(msg, sizeof(msg), "%llu log lines were dropped: the host did not read",
                         (unsigned long long) s->dropped);
                n = log_format(note, sizeof(note), LOG_LEVEL_WARN, "root", NULL, msg);
                s->dropped = 0;
                sink_append(s, note, n);
        }
        sink_append(s, line, len);
        sink_flush(s);
}

static void sink_io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct logsink *s = userdata;

        (void) io;
        if (events & (EPOLLHUP | EPOLLERR)) {
                sink_disconnect(s);
                return;
        }
        sink_flush(s);
}

static void sink_accept_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct logsink *s = userdata;
        int fd;

        (void) io;
        (void) events;
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return;
        /* One reader at a time: a new connection replaces the old one (a restarted host). */
        sink_disconnect(s);
        s->fd = fd;
        if (loop_add_io(s->loop, fd, EPOLLOUT, sink_io_cb, s, &s->io) < 0) {
                close_and_reset(&s->fd);
                return;
        }
        sink_flush(s);
}

int logsink_start(struct agent *a, struct agent_error **err)
{
        struct logsink *s = sink_get(a);
        struct address addr;
        int r;

        s->loop = a->loop;
        if (!s->addr)
                return 0;
        r = address_parse(s->addr, &addr);
        if (r < 0 || addr.kind == ADDRESS_SERIAL)
                return agent_error_setf(err, EINVAL, "invalid log address `%s`", s->addr);
        r = address_listen(&addr, 1);
        if (r < 0)
                return agent_error_set(err, -r, "listen for the log stream on `%s`", s->addr);
        s->listen_fd = r;
        r = loop_add_io(a->loop, s->listen_fd, EPOLLIN, sink_accept_cb, s, &s->listen_io);
        if (r < 0)
                return agent_error_set(err, -r, "watch log listener");
        log_set_sink(sink_write_line, s);
        return 0;
}

void logsink_stop(struct agent *a)
{
        struct logsink *s = a->logsink;

        if (!s)
                return;
        log_set_fd(STDERR_FILENO);
        sink_disconnect(s);
        loop_io_free(s->listen_io);
        close_and_reset(&s->listen_fd);
        free(s->buf);
        free(s->addr);
        free(s);
        a->logsink = NULL;
}
