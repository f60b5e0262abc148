/* SPDX-License-Identifier: Apache-2.0 */
#include "passfd/passfd.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "passfd/handshake.h"
#include "passfd/passfd-internal.h"
#include "ttrpc/address.h"

#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct passfd *pf_get(struct agent *a)
{
        if (!a->passfd) {
                a->passfd = xzalloc(sizeof(*a->passfd));
                a->passfd->agent = a;
                a->passfd->listen_fd = -EBADF;
                list_init(&a->passfd->handshakes);
                list_init(&a->passfd->ready);
                list_init(&a->passfd->waiting);
        }
        return a->passfd;
}

void passfd_set_address(struct agent *a, const char *addr)
{
        struct passfd *pf = pf_get(a);

        free(pf->addr);
        pf->addr = addr ? xstrdup(addr) : NULL;
}

static void stream_free(struct passfd_stream *st)
{
        loop_io_free(st->io);
        loop_timer_free(st->timer);
        close_and_reset(&st->fd);
        list_del(&st->node);
        free(st);
}

static void stream_ready(struct passfd *pf, struct passfd_stream *st)
{
        struct passfd_stream *old, *tmp;
        struct list_node *pos, *next;

        log_full(LOG_LEVEL_DEBUG, "passfd", NULL, "stream from port %u", st->port);
        if (passfd_io_offer(pf, st->port, st->fd)) {
                st->fd = -EBADF;
                free(st);
                return;
        }
        /* One stream per port, as in Kata's agent: a newer connection replaces the old. */
        list_for_each_safe(pos, next, &pf->ready)
        {
                old = list_entry(pos, struct passfd_stream, node);
                if (old->port == st->port) {
                        stream_free(old);
                        pf->n_ready--;
                }
        }
        if (pf->n_ready >= PASSFD_MAX_STREAMS) {
                tmp = list_first_entry(&pf->ready, struct passfd_stream, node);
                log_warn("passfd: %u streams unclaimed, dropping the one from port %u", pf->n_ready,
                         tmp->port);
                stream_free(tmp);
                pf->n_ready--;
        }
        list_add_tail(&pf->ready, &st->node);
        pf->n_ready++;
}

int passfd_take(struct passfd *pf, uint32_t port)
{
        struct list_node *pos, *next;

        list_for_each_safe(pos, next, &pf->ready)
        {
                struct passfd_stream *st = list_entry(pos, struct passfd_stream, node);
                int fd;

                if (st->port != port)
                        continue;
                fd = TAKE_FD(st->fd);
                stream_free(st);
                pf->n_ready--;
                return fd;
        }
        return -ENOENT;
}

static void handshake_fail(struct passfd_stream *st, const char *why)
{
        log_warn("passfd: closing a connection: %s", why);
        st->pf->n_handshakes--;
        stream_free(st);
}

/* Reads the announcement one byte at a time: nothing past its newline may be consumed, since
 * that is already the stream (stdin data). */
static void handshake_io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct passfd_stream *st = userdata;
        struct passfd *pf = st->pf;
        int r = 0;

        (void) io;
        (void) events;
        while (r == 0) {
                ssize_t n = read(st->fd, st->hs + st->hs_len, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        handshake_fail(st, "closed before announcing its port");
                        return;
                }
                st->hs_len++;
                r = passfd_handshake_parse(st->hs, st->hs_len, &st->port);
        }
        if (r < 0) {
                handshake_fail(st, "malformed port announcement");
                return;
        }
        loop_io_free(st->io);
        st->io = NULL;
        loop_timer_free(st->timer);
        st->timer = NULL;
        list_del(&st->node);
        pf->n_handshakes--;
        stream_ready(pf, st);
}

static void handshake_timeout_cb(struct loop_timer *t, void *userdata)
{
        struct passfd_stream *st = userdata;

        (void) t;
        handshake_fail(st, "no port announced in time");
}

static void start_handshake(struct passfd *pf, struct passfd_stream *st)
{
        if (pf->n_handshakes >= PASSFD_MAX_HANDSHAKES ||
            loop_add_io(pf->loop, st->fd, EPOLLIN, handshake_io_cb, st, &st->io) < 0) {
                log_warn("passfd: too many connections announcing their port, closing one");
                close_and_reset(&st->fd);
                free(st);
                return;
        }
        st->timer = loop_add_timer(pf->loop, now_ns() + PASSFD_HANDSHAKE_MS * 1000000ull,
                                   handshake_timeout_cb, st);
        list_add_tail(&pf->handshakes, &st->node);
        pf->n_handshakes++;
}

static void accept_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct passfd *pf = userdata;

        (void) io;
        (void) events;
        for (int i = 0; i < 32; i++) {
                struct sockaddr_storage ss;
                socklen_t len = sizeof(ss);
                struct passfd_stream *st;
                int fd = accept4(pf->listen_fd, (struct sockaddr *) &ss, &len,
                                 SOCK_CLOEXEC | SOCK_NONBLOCK);

                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warn("passfd: accept failed: %s", strerror(errno));
                        return;
                }
                st = xzalloc(sizeof(*st));
                st->pf = pf;
                st->fd = fd;
                list_init(&st->node);
                if (pf->unix_socket) {
                        start_handshake(pf, st);
                        continue;
                }
                st->port = ss.ss_family == AF_VSOCK ? ((struct sockaddr_vm *) &ss)->svm_port : 0;
                if (st->port == 0) {
                        log_warn("passfd: a connection without a peer port, closing it");
                        close_and_reset(&st->fd);
                        free(st);
                        continue;
                }
                stream_ready(pf, st);
        }
}

int passfd_start(struct agent *a, struct agent_error **err)
{
        struct passfd *pf = pf_get(a);
        struct address addr;
        int r;

        pf->loop = a->loop;
        if (!pf->addr)
                return 0;
        r = address_parse(pf->addr, &addr);
        if (r < 0 || addr.kind == ADDRESS_SERIAL)
                return agent_error_setf(err, EINVAL, "invalid passfd listener address `%s`",
                                        pf->addr);
        pf->unix_socket = addr.kind == ADDRESS_UNIX;
        r = address_listen(&addr, 64);
        if (r < 0)
                return agent_error_set(err, -r, "listen for passfd streams on `%s`", pf->addr);
        pf->listen_fd = r;
        r = loop_add_io(a->loop, pf->listen_fd, EPOLLIN, accept_cb, pf, &pf->listen_io);
        if (r < 0)
                return agent_error_set(err, -r, "watch the passfd listener");
        log_info("passfd streams accepted on `%s`", pf->addr);
        return 0;
}

void passfd_stop(struct agent *a)
{
        struct passfd *pf = a->passfd;

        if (!pf)
                return;
        while (!list_empty(&pf->handshakes))
                stream_free(list_first_entry(&pf->handshakes, struct passfd_stream, node));
        while (!list_empty(&pf->ready))
                stream_free(list_first_entry(&pf->ready, struct passfd_stream, node));
        loop_io_free(pf->listen_io);
        close_and_reset(&pf->listen_fd);
        free(pf->addr);
        free(pf);
        a->passfd = NULL;
}
