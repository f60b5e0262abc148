/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/stdio.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "rpc/call.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define STDIO_READ_CHUNK (128u << 10)
/* An emptied buffer is kept this long before it is freed. */
#define STDIO_IDLE_RELEASE_MS 1000

static void out_init(struct stdio *s, struct stdio_out *o, const char *name)
{
        memset(o, 0, sizeof(*o));
        o->owner = s;
        o->name = name;
        o->fd = -EBADF;
        list_init(&o->readers);
        list_init(&o->starved_node);
}

static size_t total_max(const struct stdio *s)
{
        return s->buffer_max * STDIO_TOTAL_BUFFERS;
}

size_t stdio_buffered_total(const struct agent *a)
{
        return a->stdio_out_bytes;
}

static void out_update_events(struct stdio_out *o);

/* Frees a stream's buffer and gives its room to the streams the total bound paused. */
static void out_free_buf(struct stdio_out *o)
{
        struct agent *a = o->owner->agent;

        a->stdio_out_bytes -= o->cap;
        free(o->buf);
        o->buf = NULL;
        o->cap = o->off = 0;
        while (!list_empty(&a->stdio_starved)) {
                struct stdio_out *w =
                        list_first_entry(&a->stdio_starved, struct stdio_out, starved_node);
                list_del(&w->starved_node);
                w->paused = false;
                out_update_events(w);
        }
}

static int make_pipe(int fds[2], struct agent_error **err)
{
        if (pipe2(fds, O_CLOEXEC) < 0)
                return agent_error_set(err, errno, "create stdio pipe");
        return 0;
}

/* Sets a pipe's capacity, falling back to the largest size the kernel accepts: without
 * CAP_SYS_RESOURCE sizes above /proc/sys/fs/pipe-max-size fail with EPERM (inside a Kata guest
 * the agent has it, here it may not). Never fails the container. */
static void pipe_resize(int fd, uint32_t want, const char *who, const char *name)
{
        const char *const kv[] = { "container-id", who, NULL };
        int e;
        uint64_t max = 0;

        if (want == 0 || fcntl(fd, F_SETPIPE_SZ, (int) want) >= 0)
                return;
        e = errno;
        if (read_u64_file("/proc/sys/fs/pipe-max-size", 10, &max) == 0 && max < want &&
            fcntl(fd, F_SETPIPE_SZ, (int) max) >= 0) {
                log_full(LOG_LEVEL_WARN, "stdio", kv,
                         "%s pipe size %u refused (%s), using %d (fs.pipe-max-size)", name, want,
                         strerror(e), fcntl(fd, F_GETPIPE_SZ));
                return;
        }
        log_full(LOG_LEVEL_WARN, "stdio", kv, "%s pipe size %u refused (%s), keeping %d", name,
                 want, strerror(e), fcntl(fd, F_GETPIPE_SZ));
}

int stdio_pipe_size(const struct stdio *s)
{
        if (s->terminal || s->out.fd < 0)
                return 0;
        return fcntl(s->out.fd, F_GETPIPE_SZ);
}

static int init_pipes(struct stdio *s, uint32_t pipe_size, const char *who,
                      struct agent_error **err)
{
        int in[2], out[2], er[2];
        int r;

        if ((r = make_pipe(in, err)) < 0)
                return r;
        if ((r = make_pipe(out, err)) < 0)
                goto fail_in;
        if ((r = make_pipe(er, err)) < 0)
                goto fail_out;
        pipe_resize(out[1], pipe_size, who, "stdout");
        pipe_resize(er[1], pipe_size, who, "stderr");
        s->child[0] = in[0];
        s->in.fd = in[1];
        s->child[1] = out[1];
        s->out.fd = out[0];
        s->child[2] = er[1];
        s->err.fd = er[0];
        return 0;
fail_out:
        close(out[0]);
        close(out[1]);
fail_in:
        close(in[0]);
        close(in[1]);
        return r;
}

static int init_pty(struct stdio *s, uint32_t rows, uint32_t cols, struct agent_error **err)
{
        _cleanup_close_ int master = -EBADF, slave = -EBADF;
        struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
                return agent_error_set(err, errno, "allocate a pty");
        slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return agent_error_set(err, errno, "open pty slave");
        if ((rows || cols) && ioctl(master, TIOCSWINSZ, &ws) < 0)
                return agent_error_set(err, errno, "set console size");
        s->in.fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
        if (s->in.fd < 0)
                return agent_error_set(err, errno, "dup pty master");
        s->out.fd = TAKE_FD(master);
        for (int i = 0; i < 3; i++)
                s->child[i] = i == 0 ? slave : -EBADF;
        /* One slave fd serves 0, 1 and 2: the spawn code dups it three times. */
        s->child[1] = s->child[2] = -EBADF;
        s->child[0] = TAKE_FD(slave);
        return 0;
}

int stdio_init(struct agent *a, struct stdio *s, bool terminal, uint32_t pipe_size, uint32_t rows,
               uint32_t cols, const char *who, struct agent_error **err)
{
        memset(s, 0, sizeof(*s));
        s->agent = a;
        s->terminal = terminal;
        s->buffer_max = a->config.stdio_buffer_size ? a->config.stdio_buffer_size
                                                    : AGENT_DEFAULT_STDIO_BUFFER;
        s->in.owner = s;
        s->in.fd = -EBADF;
        list_init(&s->in.writers);
        out_init(s, &s->out, "stdout");
        out_init(s, &s->err, "stderr");
        for (int i = 0; i < 3; i++)
                s->child[i] = -EBADF;
        return terminal ? init_pty(s, rows, cols, err) : init_pipes(s, pipe_size, who, err);
}

/* ---- output ---- */

/* ReadStreamResponse.data */
#define READ_STREAM_DATA_FIELD 1

/* End of output, as every runtime understands it: the first read at EOF gets OK with empty
 * data (Kata >= 3.27 stops there), every later one an error (Kata <= 3.26 copies until a read
 * fails, and would spin on empty OKs for ever). */
static void reply_eof(struct stdio_out *o, struct rpc_call *call)
{
        if (!o->eof_served) {
                o->eof_served = true;
                rpc_call_reply_bytes(call, READ_STREAM_DATA_FIELD, NULL, 0, NULL, 0);
                return;
        }
        rpc_call_reply_status(call, RPC_INTERNAL, "%s: end of stream (EOF was already returned)",
                              o->name);
}

/* Answers one read with n buffered bytes, or with the end of the stream when none is left. */
static void out_reply(struct stdio_out *o, struct rpc_call *call, size_t n)
{
        if (n == 0 && o->len == 0 && o->eof) {
                reply_eof(o, call);
                return;
        }
        /* The ring may wrap: the reply then takes its two pieces, still copied only once. */
        size_t first = n < o->cap - o->off ? n : o->cap - o->off;

        rpc_call_reply_bytes(call, READ_STREAM_DATA_FIELD, o->buf + o->off, first, o->buf,
                             n - first);
        o->off += n;
        if (o->off >= o->cap)
                o->off -= o->cap;
        o->len -= n;
}

static uint32_t reader_len(const struct rpc_call *call)
{
        const Grpc__ReadStreamRequest *req = (const Grpc__ReadStreamRequest *) call->req;
        uint32_t len = req ? req->len : STDIO_READ_MAX;
        return len > STDIO_READ_MAX ? STDIO_READ_MAX : len;
}

static void out_update_events(struct stdio_out *o)
{
        if (!o->io)
                return;
        (void) loop_io_set_events(o->io, o->paused ? 0 : EPOLLIN);
}

static void out_idle_cb(struct loop_timer *t, void *userdata)
{
        struct stdio_out *o = userdata;

        loop_timer_free(t);
        o->idle_timer = NULL;
        if (o->len == 0)
                out_free_buf(o);
}

/* Serves parked readers in arrival order while there is data, or EOF. */
static void out_serve(struct stdio_out *o)
{
        if (o->consume)
                o->consume(o, o->consume_data);
        while (!list_empty(&o->readers) && (o->len > 0 || o->eof)) {
                struct rpc_call *call = rpc_call_from_park_node(o->readers.next);
                size_t n = reader_len(call);

                if (n > o->len)
                        n = o->len;
                out_reply(o, call, n);
        }
        if (o->len == 0) {
                o->off = 0;
                /* Idle streams hold no buffer, but a busy one must not free and regrow it on
                 * every read: release it only once it stayed empty for a while. */
                if (o->buf && !o->idle_timer)
                        o->idle_timer = loop_add_timer(
                                o->owner->agent->loop,
                                now_ns() + STDIO_IDLE_RELEASE_MS * 1000000ull, out_idle_cb, o);
        }
        /* Resume only once a quarter of the buffer is free: resuming at the first free byte
         * woke the blocked producer, re-armed the pipe in epoll and read again for every 32 KiB
         * the host took from a full buffer, a wake-up and two epoll_ctl()s per reply. */
        if (o->paused && o->len <= o->owner->buffer_max - o->owner->buffer_max / 4) {
                list_del(&o->starved_node);
                o->paused = false;
                out_update_events(o);
        }
}

size_t stdio_out_peek(const struct stdio_out *o, const uint8_t **ret)
{
        *ret = o->buf ? o->buf + o->off : NULL;
        return o->len < o->cap - o->off ? o->len : o->cap - o->off;
}

void stdio_out_consumed(struct stdio_out *o, size_t n)
{
        o->off += n;
        if (o->off >= o->cap)
                o->off -= o->cap;
        o->len -= n;
}

void stdio_out_kick(struct stdio_out *o)
{
        out_serve(o);
}

static void out_close_fd(struct stdio_out *o)
{
        loop_io_free(o->io);
        o->io = NULL;
        close_and_reset(&o->fd);
        loop_timer_free(o->drain_timer);
        o->drain_timer = NULL;
}

static void out_release(struct stdio_out *o)
{
        out_close_fd(o);
        loop_timer_free(o->idle_timer);
        o->idle_timer = NULL;
        list_del(&o->starved_node);
        out_free_buf(o);
        o->len = 0;
}

static void out_set_eof(struct stdio_out *o)
{
        o->eof = true;
        out_close_fd(o);
        out_serve(o);
}

/* Grows the ring to hold at least `need` bytes (at most the configured maximum), unwrapping
 * what it holds. */
static void out_grow(struct stdio_out *o, size_t need)
{
        struct agent *a = o->owner->agent;
        size_t max = o->owner->buffer_max;
        size_t cap = o->cap ? o->cap : STDIO_READ_CHUNK;
        size_t total_room = total_max(o->owner) - a->stdio_out_bytes;
        size_t first = o->len < o->cap - o->off ? o->len : o->cap - o->off;
        uint8_t *buf;

        while (cap < need)
                cap *= 2;
        if (cap > max)
                cap = max;
        /* Growth comes out of the agent-wide total; what is allocated stays usable. */
        if (cap - o->cap > total_room)
                cap = o->cap + total_room;
        if (cap <= o->cap)
                return;
        buf = xmalloc(cap);
        if (o->len) {
                memcpy(buf, o->buf + o->off, first);
                memcpy(buf + first, o->buf, o->len - first);
        }
        free(o->buf);
        a->stdio_out_bytes += cap - o->cap;
        o->buf = buf;
        o->cap = cap;
        o->off = 0;
}

/* Makes room for up to `want` more bytes; returns how many fit contiguously at the tail of the
 * ring (a full buffer: 0). A ring never moves what it holds: the linear buffer it replaces
 * memmoved up to 1 MiB for each 32 KiB the host read while the producer kept it full. */
static size_t out_reserve(struct stdio_out *o, size_t want, size_t *ret_tail)
{
        size_t room = o->owner->buffer_max - o->len;
        size_t tail;

        if (want > room)
                want = room;
        if (o->len + want > o->cap)
                out_grow(o, o->len + want);
        tail = o->off + o->len;
        if (tail >= o->cap)
                tail -= o->cap;
        *ret_tail = tail;
        /* Free space runs from the tail to the end of the buffer, or to the head once the data
         * wraps. */
        room = tail >= o->off && (o->len < o->cap) ? o->cap - tail : o->off - tail;
        return want < room ? want : room;
}

static void out_read(struct stdio_out *o)
{
        for (int i = 0; i < 16; i++) {
                size_t tail, want = out_reserve(o, STDIO_READ_CHUNK, &tail);
                ssize_t n;

                if (want == 0) {
                        o->paused = true;
                        /* Not full by its own bound: the total one. Woken when room is freed. */
                        if (o->len < o->owner->buffer_max && !list_linked(&o->starved_node))
                                list_add_tail(&o->owner->agent->stdio_starved, &o->starved_node);
                        out_update_events(o);
                        break;
                }
                n = read(o->fd, o->buf + tail, want);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n <= 0) {
                        /* EOF, or EIO from a pty master whose slave is gone: the end either
                         * way. */
                        out_set_eof(o);
                        return;
                }
                o->len += (size_t) n;
        }
        out_serve(o);
}

static void out_io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct stdio_out *o = userdata;

        (void) io;
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                out_read(o);
}

static int out_start(struct stdio_out *o, struct agent_error **err)
{
        int r;

        if (o->fd < 0)
                return 0;
        r = fd_nonblock(o->fd, true);
        if (r >= 0)
                r = loop_add_io(o->owner->agent->loop, o->fd, EPOLLIN, out_io_cb, o, &o->io);
        if (r < 0)
                return agent_error_set(err, -r, "watch %s", o->name);
        return 0;
}

int stdio_start(struct stdio *s, struct agent_error **err)
{
        int r;

        for (int i = 0; i < 3; i++)
                close_and_reset(&s->child[i]);
        if (s->in.fd >= 0)
                (void) fd_nonblock(s->in.fd, true);
        r = out_start(&s->out, err);
        if (r >= 0)
                r = out_start(&s->err, err);
        return r;
}

static void reader_cancel(struct rpc_call *call, void *data)
{
        (void) call;
        (void) data;
}

int stdio_read(struct stdio *s, bool stderr_stream, struct rpc_call *call, uint32_t len,
               struct agent_error **err)
{
        /* A terminal has one stream: both reads drain the pty master. */
        struct stdio_out *o = stderr_stream && !s->terminal ? &s->err : &s->out;
        int r;

        if (len == 0)
                return agent_error_setf(err, EINVAL, "read length must be greater than 0");
        if (list_empty(&o->readers) && (o->len > 0 || o->eof)) {
                size_t n = len > STDIO_READ_MAX ? STDIO_READ_MAX : len;
                if (n > o->len)
                        n = o->len;
                out_reply(o, call, n);
                out_serve(o);
                return 0;
        }
        r = rpc_call_park(call, &o->readers, reader_cancel, o, err);
        return r;
}

static void out_drain_cb(struct loop_timer *t, void *userdata)
{
        struct stdio_out *o = userdata;
        int pending = 0;

        loop_timer_free(t);
        o->drain_timer = NULL;
        if (o->eof)
                return;
        /* The process is gone but something still holds the pipe. Stop waiting for it only
         * when nothing it wrote is left behind: while our buffer is full (the host reads
         * slowly) or bytes still sit in the pipe, closing it would lose output. */
        if (o->paused || (ioctl(o->fd, FIONREAD, &pending) == 0 && pending > 0)) {
                o->drain_timer =
                        loop_add_timer(o->owner->agent->loop,
                                       now_ns() + STDIO_DRAIN_MS * 1000000ull, out_drain_cb, o);
                return;
        }
        out_set_eof(o);
}

void stdio_process_exited(struct stdio *s)
{
        s->exited = true;
        struct stdio_out *streams[] = { &s->out, &s->err };

        for (size_t i = 0; i < 2; i++) {
                struct stdio_out *o = streams[i];
                if (o->eof || o->fd < 0 || o->drain_timer)
                        continue;
                o->drain_timer = loop_add_timer(
                        s->agent->loop, now_ns() + STDIO_DRAIN_MS * 1000000ull, out_drain_cb, o);
        }
}

/* ---- input ---- */

static void reply_written(struct rpc_call *call, size_t len)
{
        Grpc__WriteStreamResponse resp = GRPC__WRITE_STREAM_RESPONSE__INIT;

        resp.len = (uint32_t) len;
        rpc_call_reply(call, &resp.base);
}

static void in_close(struct stdio_in *in)
{
        loop_io_free(in->io);
        in->io = NULL;
        close_and_reset(&in->fd);
}

static void in_fail_writers(struct stdio_in *in, int errno_, const char *why)
{
        while (!list_empty(&in->writers)) {
                struct rpc_call *call = rpc_call_from_park_node(in->writers.next);
                _cleanup_error_ struct agent_error *e = NULL;
                agent_error_setf(&e, errno_, "write stdin: %s", why);
                rpc_call_reply_error(call, e);
        }
}

/* Writes as much as possible for the first writers; returns -errno on a dead pipe. */
static int in_flush(struct stdio_in *in)
{
        while (!list_empty(&in->writers)) {
                struct rpc_call *call = rpc_call_from_park_node(in->writers.next);
                const Grpc__WriteStreamRequest *req = (const Grpc__WriteStreamRequest *) call->req;
                ssize_t n = write(in->fd, req->data.data + call->progress,
                                  req->data.len - call->progress);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0)
                        return -errno;
                call->progress += (size_t) n;
                if (call->progress == req->data.len)
                        reply_written(call, req->data.len);
        }
        if (in->close_pending)
                in_close(in);
        return 0;
}

static void in_update(struct stdio_in *in);

static void in_io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        (void) io;
        (void) events;
        in_update(userdata);
}

static void in_update(struct stdio_in *in)
{
        int r = in_flush(in);

        if (r < 0) {
                in_fail_writers(in, -r, strerror(-r));
                in_close(in);
                return;
        }
        if (in->fd < 0)
                return;
        if (!in->io && !list_empty(&in->writers)) {
                if (loop_add_io(in->owner->agent->loop, in->fd, EPOLLOUT, in_io_cb, in, &in->io) <
                    0)
                        in_fail_writers(in, EIO, "cannot watch stdin");
        } else if (in->io && list_empty(&in->writers)) {
                loop_io_free(in->io);
                in->io = NULL;
        }
}

int stdio_write(struct stdio *s, struct rpc_call *call, const uint8_t *data, size_t len,
                struct agent_error **err)
{
        struct stdio_in *in = &s->in;
        int r;

        (void) data;
        if (len == 0) {
                /* runtime-rs closes stdin with an empty write. */
                r = stdio_close_stdin(s, err);
                if (r < 0)
                        return r;
                reply_written(call, 0);
                return 0;
        }
        if (in->fd < 0 || in->close_pending)
                return agent_error_setf(err, EPIPE, "stdin is closed");
        /* The pipe may outlive the process (a grandchild holding it): writing into it after the
         * process exited would only look like success. */
        if (s->exited)
                return agent_error_setf(err, EPIPE, "the process has exited");
        call->progress = 0;
        r = rpc_call_park(call, &in->writers, reader_cancel, in, err);
        if (r < 0)
                return r;
        in_update(in);
        return 0;
}

int stdio_close_stdin(struct stdio *s, struct agent_error **err)
{
        (void) err;
        if (s->in.fd < 0)
                return 0;
        /* Queued writes go out first: the host sends CloseStdin after its last write. */
        s->in.close_pending = true;
        if (list_empty(&s->in.writers))
                in_close(&s->in);
        return 0;
}

int stdio_take_stdin(struct stdio *s)
{
        if (s->in.fd < 0 || s->in.close_pending)
                return -EPIPE;
        if (!list_empty(&s->in.writers))
                return -EBUSY;
        loop_io_free(s->in.io);
        s->in.io = NULL;
        return TAKE_FD(s->in.fd);
}

int stdio_resize(struct stdio *s, uint32_t rows, uint32_t cols, struct agent_error **err)
{
        struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };

        if (!s->terminal)
                return agent_error_setf(err, EAGAIN, "no tty");
        if (s->out.fd < 0 && s->in.fd < 0)
                return agent_error_setf(err, EPIPE, "the terminal is closed");
        if (ioctl(s->out.fd >= 0 ? s->out.fd : s->in.fd, TIOCSWINSZ, &ws) < 0)
                return agent_error_set(err, errno, "ioctl TIOCSWINSZ");
        return 0;
}

void stdio_finish(struct stdio *s)
{
        if (!s->out.eof)
                out_set_eof(&s->out);
        if (!s->err.eof)
                out_set_eof(&s->err);
}

void stdio_done(struct stdio *s)
{
        stdio_finish(s);
        in_fail_writers(&s->in, EPIPE, "the process is gone");
        in_close(&s->in);
        for (int i = 0; i < 3; i++)
                close_and_reset(&s->child[i]);
        out_release(&s->out);
        out_release(&s->err);
}
