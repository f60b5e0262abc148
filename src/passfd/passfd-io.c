/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/agent.h"
#include "agent/stdio.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "passfd/passfd-internal.h"
#include "passfd/passfd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { PF_STDIN, PF_STDOUT, PF_STDERR };

/* stdout or stderr: the stdio buffer, written to the stream. */
struct pf_out {
        struct passfd_io *owner;
        struct stdio_out *src;
        int fd;
        struct loop_io *io;
        bool attached, done, broken;
};

/* stdin: the stream, copied into the process's stdin through a small buffer. Only one fd is
 * watched at a time: the stream while the buffer is empty, the pipe while it is not. */
struct pf_in {
        struct passfd_io *owner;
        int sock, pipe;
        struct loop_io *io;
        uint8_t *buf;
        size_t off, len;
};

struct passfd_io {
        struct passfd *pf;
        struct stdio *stdio;
        char *who;
        uint32_t want[3]; /* ports still waited for */
        struct pf_in in;
        struct pf_out out[2];
        struct loop_timer *claim_timer;
        struct loop_timer *notify_timer;
        struct list_node node; /* on pf->waiting while a port is missing */
        void (*output_done)(void *data);
        void *data;
        bool notified;
};

static void io_log(struct passfd_io *io, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void io_log(struct passfd_io *io, enum log_level level, const char *fmt, ...)
{
        const char *const kv[] = { "container-id", io->who, NULL };
        va_list ap;

        va_start(ap, fmt);
        log_fullv(level, "passfd", kv, fmt, ap);
        va_end(ap);
}

bool passfd_io_output_pending(const struct passfd_io *io)
{
        if (!io)
                return false;
        for (int i = 0; i < 2; i++) {
                if (io->want[PF_STDOUT + i] || (io->out[i].attached && !io->out[i].done))
                        return true;
        }
        return false;
}

static void notify_cb(struct loop_timer *t, void *userdata)
{
        struct passfd_io *io = userdata;

        loop_timer_free(t);
        io->notify_timer = NULL;
        if (io->output_done)
                io->output_done(io->data); /* may free io */
}

/* Tells the owner once that no output is owed any more, from the loop: the owner may free us. */
static void check_done(struct passfd_io *io)
{
        if (io->notified || passfd_io_output_pending(io))
                return;
        io->notified = true;
        io->notify_timer = loop_add_timer(io->pf->loop, 0, notify_cb, io);
}

/* ---- output ---- */

static void out_close(struct pf_out *po)
{
        loop_io_free(po->io);
        po->io = NULL;
        close_and_reset(&po->fd);
}

/* The stdio's consumer: called whenever the buffer changed or the stream can take more. */
static void out_consume(struct stdio_out *o, void *data)
{
        struct pf_out *po = data;

        while (o->len > 0 && !po->broken) {
                ssize_t n = send(po->fd, o->buf + o->off, o->len, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n < 0) {
                        io_log(po->owner, LOG_LEVEL_WARN, "%s stream: %s; discarding the rest",
                               o->name, strerror(errno));
                        po->broken = true;
                        break;
                }
                stdio_out_consumed(o, (size_t) n);
        }
        /* A host that went away must not block the process: what it would have read goes. */
        if (po->broken && o->len > 0)
                stdio_out_consumed(o, o->len);
        if (o->eof && o->len == 0) {
                out_close(po);
                po->done = true;
                check_done(po->owner);
                return;
        }
        if (po->io)
                (void) loop_io_set_events(po->io, o->len > 0 && !po->broken ? EPOLLOUT : 0);
}

static void out_io_cb(struct loop_io *lio, uint32_t events, void *userdata)
{
        struct pf_out *po = userdata;

        (void) lio;
        if (events & (EPOLLERR | EPOLLHUP)) {
                /* Nothing more can be written; stop watching so a hung-up peer does not
                 * wake us for ever, and let the next send report the error. */
                loop_io_free(po->io);
                po->io = NULL;
                if (!po->broken)
                        io_log(po->owner, LOG_LEVEL_WARN, "%s stream closed by the host",
                               po->src->name);
                po->broken = true;
        }
        stdio_out_kick(po->src);
}

static void out_attach(struct passfd_io *io, int which, int fd)
{
        struct pf_out *po = &io->out[which - PF_STDOUT];
        struct stdio_out *o = which == PF_STDOUT ? &io->stdio->out : &io->stdio->err;

        po->owner = io;
        po->src = o;
        po->fd = fd;
        if (loop_add_io(io->pf->loop, fd, 0, out_io_cb, po, &po->io) < 0) {
                io_log(io, LOG_LEVEL_WARN, "cannot watch the %s stream", o->name);
                close_and_reset(&po->fd);
                return;
        }
        po->attached = true;
        o->consume = out_consume;
        o->consume_data = po;
        stdio_out_kick(o);
}

static void out_detach(struct pf_out *po)
{
        if (po->src && po->src->consume_data == po) {
                po->src->consume = NULL;
                po->src->consume_data = NULL;
        }
        out_close(po);
}

/* ---- input ---- */

static void in_close(struct pf_in *pi)
{
        loop_io_free(pi->io);
        pi->io = NULL;
        close_and_reset(&pi->sock);
        close_and_reset(&pi->pipe);
        free(pi->buf);
        pi->buf = NULL;
        pi->off = pi->len = 0;
}

static void in_io_cb(struct loop_io *lio, uint32_t events, void *userdata);

static void in_watch(struct pf_in *pi, int fd, uint32_t events)
{
        if (pi->io && loop_io_fd(pi->io) == fd)
                return;
        loop_io_free(pi->io);
        pi->io = NULL;
        if (loop_add_io(pi->owner->pf->loop, fd, events, in_io_cb, pi, &pi->io) < 0) {
                io_log(pi->owner, LOG_LEVEL_WARN, "cannot watch the stdin stream");
                in_close(pi);
        }
}

/* Moves stream bytes into the process's stdin until one side would block. EOF on the stream
 * closes stdin (the process sees EOF), as does a process that closed its end. */
static void in_pump(struct pf_in *pi)
{
        for (;;) {
                ssize_t n;

                if (pi->len > 0) {
                        n = write(pi->pipe, pi->buf + pi->off, pi->len);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0 && errno == EAGAIN) {
                                in_watch(pi, pi->pipe, EPOLLOUT);
                                return;
                        }
                        if (n < 0) {
                                in_close(pi);
                                return;
                        }
                        pi->off += (size_t) n;
                        pi->len -= (size_t) n;
                        continue;
                }
                pi->off = 0;
                n = read(pi->sock, pi->buf, PASSFD_STDIN_BUFFER);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        in_watch(pi, pi->sock, EPOLLIN);
                        return;
                }
                if (n <= 0) {
                        in_close(pi);
                        return;
                }
                pi->len = (size_t) n;
        }
}

static void in_io_cb(struct loop_io *lio, uint32_t events, void *userdata)
{
        struct pf_in *pi = userdata;

        /* The process's end of stdin is gone: nothing the host sends can be delivered. */
        if (loop_io_fd(lio) == pi->pipe && (events & EPOLLERR)) {
                in_close(pi);
                return;
        }
        in_pump(pi);
}

static void in_attach(struct passfd_io *io, int fd)
{
        struct pf_in *pi = &io->in;

        pi->owner = io;
        pi->sock = fd;
        pi->pipe = stdio_take_stdin(io->stdio);
        if (pi->pipe < 0) {
                io_log(io, LOG_LEVEL_WARN, "stdin stream: stdin is already closed or in use");
                in_close(pi);
                return;
        }
        pi->buf = xmalloc(PASSFD_STDIN_BUFFER);
        in_pump(pi);
}

/* ---- claiming streams ---- */

static void attach(struct passfd_io *io, int which, int fd)
{
        io->want[which] = 0;
        if (which == PF_STDIN)
                in_attach(io, fd);
        else if (which == PF_STDERR && io->stdio->terminal)
                (void) close(fd); /* a terminal has one output stream, as in Kata's agent */
        else
                out_attach(io, which, fd);
}

static bool still_waiting(const struct passfd_io *io)
{
        return io->want[0] || io->want[1] || io->want[2];
}

static void stop_waiting(struct passfd_io *io)
{
        if (list_linked(&io->node))
                list_del(&io->node);
        loop_timer_free(io->claim_timer);
        io->claim_timer = NULL;
}

bool passfd_io_offer(struct passfd *pf, uint32_t port, int fd)
{
        struct list_node *pos, *next;

        list_for_each_safe(pos, next, &pf->waiting)
        {
                struct passfd_io *io = list_entry(pos, struct passfd_io, node);

                for (int i = 0; i < 3; i++) {
                        if (io->want[i] != port)
                                continue;
                        attach(io, i, fd);
                        if (!still_waiting(io))
                                stop_waiting(io);
                        check_done(io);
                        return true;
                }
        }
        return false;
}

static void claim_timeout_cb(struct loop_timer *t, void *userdata)
{
        static const char *const names[] = { "stdin", "stdout", "stderr" };
        struct passfd_io *io = userdata;

        (void) t;
        for (int i = 0; i < 3; i++) {
                if (io->want[i])
                        io_log(io, LOG_LEVEL_WARN,
                               "no %s stream from port %u: it stays on the stdio RPCs", names[i],
                               io->want[i]);
                io->want[i] = 0;
        }
        stop_waiting(io);
        check_done(io);
}

struct passfd_io *passfd_io_new(struct agent *a, struct stdio *s, const uint32_t ports[3],
                                const char *who, void (*output_done)(void *data), void *data)
{
        struct passfd *pf = a->passfd;
        struct passfd_io *io;

        if (!pf || pf->listen_fd < 0 || !(ports[0] || ports[1] || ports[2]))
                return NULL;
        io = xzalloc(sizeof(*io));
        io->pf = pf;
        io->stdio = s;
        io->who = xstrdup(who);
        io->output_done = output_done;
        io->data = data;
        io->in.sock = io->in.pipe = -EBADF;
        io->out[0].fd = io->out[1].fd = -EBADF;
        list_init(&io->node);
        for (int i = 0; i < 3; i++) {
                int fd = ports[i] ? passfd_take(pf, ports[i]) : -ENOENT;
                if (fd >= 0)
                        attach(io, i, fd);
                else
                        io->want[i] = ports[i];
        }
        if (io->stdio->terminal)
                io->want[PF_STDERR] = 0;
        if (still_waiting(io)) {
                list_add_tail(&pf->waiting, &io->node);
                io->claim_timer = loop_add_timer(pf->loop, now_ns() + PASSFD_CLAIM_MS * 1000000ull,
                                                 claim_timeout_cb, io);
        }
        check_done(io);
        return io;
}

void passfd_io_free(struct passfd_io *io)
{
        if (!io)
                return;
        stop_waiting(io);
        loop_timer_free(io->notify_timer);
        in_close(&io->in);
        out_detach(&io->out[0]);
        out_detach(&io->out[1]);
        free(io->who);
        free(io);
}
