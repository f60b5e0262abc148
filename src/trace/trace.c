/* SPDX-License-Identifier: Apache-2.0 */
#include "trace/trace.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "trace/trace-internal.h"
#include "ttrpc/address.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct tracer {
        struct loop *loop;
        char *addr;
        int fd;
        bool connected;
        struct loop_io *io;
        struct loop_timer *retry;
        uint8_t *buf; /* whole records: 8-byte big-endian length, JSON */
        size_t len;
        size_t partial_left; /* bytes of the head record still unsent after a partial send */
        uint64_t queued, dropped;
        bool warned_drop;
};

static struct tracer *tracer_get(struct agent *a)
{
        if (!a->tracer) {
                a->tracer = xzalloc(sizeof(*a->tracer));
                a->tracer->fd = -EBADF;
        }
        return a->tracer;
}

void trace_set_address(struct agent *a, const char *addr)
{
        struct tracer *t = tracer_get(a);

        free(t->addr);
        t->addr = addr ? xstrdup(addr) : NULL;
}

static void tracer_connect(struct tracer *t);

static void disconnect(struct tracer *t)
{
        loop_io_free(t->io);
        t->io = NULL;
        close_and_reset(&t->fd);
        t->connected = false;
        /* The next connection must start at a record boundary: the rest of a half-sent span
         * goes. */
        if (t->partial_left) {
                memmove(t->buf, t->buf + t->partial_left, t->len - t->partial_left);
                t->len -= t->partial_left;
                t->partial_left = 0;
        }
}

static void retry_cb(struct loop_timer *timer, void *userdata)
{
        struct tracer *t = userdata;

        loop_timer_free(timer);
        t->retry = NULL;
        tracer_connect(t);
}

static void schedule_retry(struct tracer *t)
{
        disconnect(t);
        if (!t->retry)
                t->retry = loop_add_timer(t->loop, now_ns() + TRACE_RETRY_MS * 1000000ull, retry_cb,
                                          t);
}

/* Drops n sent bytes from the queue, keeping track of where records end. */
static void consume(struct tracer *t, size_t n)
{
        size_t pos = 0;

        while (n > 0) {
                size_t k;

                if (t->partial_left == 0)
                        t->partial_left = 8 + (size_t) be64_read(t->buf + pos);
                k = n < t->partial_left ? n : t->partial_left;
                pos += k;
                n -= k;
                t->partial_left -= k;
        }
        memmove(t->buf, t->buf + pos, t->len - pos);
        t->len -= pos;
}

static void flush(struct tracer *t)
{
        while (t->connected && t->len > 0) {
                ssize_t n = send(t->fd, t->buf, t->len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n < 0) {
                        log_full(LOG_LEVEL_DEBUG, "trace", NULL, "span sink `%s`: %s", t->addr,
                                 strerror(errno));
                        schedule_retry(t);
                        return;
                }
                consume(t, (size_t) n);
        }
        if (t->io)
                (void) loop_io_set_events(t->io, t->len ? EPOLLOUT : EPOLLIN);
}

static void io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct tracer *t = userdata;
        int e = 0;
        socklen_t l = sizeof(e);

        (void) io;
        if (!t->connected) {
                if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e != 0) {
                        schedule_retry(t);
                        return;
                }
                t->connected = true;
        }
        /* The sink never talks: readable means it closed (or sent junk, ignored). */
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                char junk[256];
                ssize_t n = recv(t->fd, junk, sizeof(junk), MSG_DONTWAIT);
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                        schedule_retry(t);
                        return;
                }
        }
        flush(t);
}

static void tracer_connect(struct tracer *t)
{
        struct sockaddr_storage ss;
        struct address addr;
        socklen_t sl;
        int r;

        if (t->fd >= 0 || t->retry || address_parse(t->addr, &addr) < 0 ||
            address_sockaddr(&addr, &ss, &sl) < 0)
                return;
        t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (t->fd < 0) {
                schedule_retry(t);
                return;
        }
        r = connect(t->fd, (struct sockaddr *) &ss, sl);
        if (r < 0 && errno != EINPROGRESS && errno != EAGAIN) {
                schedule_retry(t);
                return;
        }
        t->connected = r == 0;
        if (loop_add_io(t->loop, t->fd, t->connected ? EPOLLIN : EPOLLOUT, io_cb, t, &t->io) < 0) {
                schedule_retry(t);
                return;
        }
        if (t->connected)
                log_full(LOG_LEVEL_DEBUG, "trace", NULL, "connected to span sink `%s`", t->addr);
        flush(t);
}

void tracer_enqueue(struct tracer *t, const char *json, size_t len)
{
        if (t->len + 8 + len > TRACE_QUEUE_MAX) {
                t->dropped++;
                if (!t->warned_drop)
                        log_full(LOG_LEVEL_WARN, "trace", NULL,
                                 "span sink `%s` is not reading: dropping spans", t->addr);
                t->warned_drop = true;
                return;
        }
        t->warned_drop = false;
        if (!t->buf)
                t->buf = xmalloc(TRACE_QUEUE_MAX);
        be64_write(t->buf + t->len, len);
        memcpy(t->buf + t->len + 8, json, len);
        t->len += 8 + len;
        t->queued++;
        if (t->fd < 0)
                tracer_connect(t);
        else
                flush(t);
}

int trace_start(struct agent *a, struct agent_error **err)
{
        struct tracer *t;
        struct address addr;

        if (!a->config.trace) {
                if (a->tracer) {
                        free(a->tracer->addr);
                        free(a->tracer);
                        a->tracer = NULL;
                }
                return 0;
        }
        t = tracer_get(a);
        t->loop = a->loop;
        if (!t->addr)
                t->addr = xstrdup(TRACE_DEFAULT_ADDR);
        if (address_parse(t->addr, &addr) < 0 || addr.kind == ADDRESS_SERIAL)
                return agent_error_setf(err, EINVAL, "invalid trace address `%s`", t->addr);
        log_info("tracing on: spans go to `%s`", t->addr);
        return 0;
}

void trace_stop(struct agent *a)
{
        struct tracer *t = a->tracer;

        if (!t)
                return;
        flush(t);
        disconnect(t);
        loop_timer_free(t->retry);
        free(t->buf);
        free(t->addr);
        free(t);
        a->tracer = NULL;
}

void trace_counters(const struct tracer *t, uint64_t *queued, uint64_t *dropped)
{
        *queued = t ? t->queued : 0;
        *dropped = t ? t->dropped : 0;
}
