/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/command.h"
#include "agent/agent.h"
#include "agent/reaper.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/spawn.h"
#include "event/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct sink {
        int fd;
        struct loop_io *io;
        char *buf;
        size_t len, max;
        bool overflow;
};

struct command {
        struct agent *agent;
        pid_t pid;
        bool reaped;
        int status;
        bool timed_out;
        int in_fd;
        struct loop_io *in_io;
        uint8_t *in_copy; /* the caller's stdin bytes */
        size_t in_len, in_off;
        struct sink out, err;
        struct loop_timer *timer;
        command_done_fn fn;
        void *userdata;
        struct list_node node; /* on agent->commands */
};

static void sink_close(struct sink *s)
{
        if (s->io)
                loop_io_free(s->io);
        s->io = NULL;
        close_and_reset(&s->fd);
}

static void in_close(struct command *c)
{
        if (c->in_io)
                loop_io_free(c->in_io);
        c->in_io = NULL;
        close_and_reset(&c->in_fd);
}

static void command_free(struct command *c)
{
        list_del(&c->node);
        in_close(c);
        sink_close(&c->out);
        sink_close(&c->err);
        if (c->timer)
                loop_timer_free(c->timer);
        free(c->in_copy);
        free(c->out.buf);
        free(c->err.buf);
        free(c);
}

/* Reads what is in the pipe now (nonblocking); true at EOF or error. */
static bool sink_read(struct sink *s)
{
        char tmp[16384];
        ssize_t n;

        for (;;) {
                n = s->fd >= 0 ? read(s->fd, tmp, sizeof(tmp)) : 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return false;
                if (n <= 0)
                        return true;
                if (s->len + (size_t) n > s->max) {
                        s->overflow = true;
                        n = (ssize_t) (s->max - s->len);
                }
                s->buf = xrealloc(s->buf, s->len + (size_t) n + 1);
                memcpy(s->buf + s->len, tmp, (size_t) n);
                s->len += (size_t) n;
                s->buf[s->len] = '\0';
        }
}

/* Done once reaped: what the program wrote before it exited is in the pipes already. */
static void maybe_finish(struct command *c)
{
        struct command_result res;

        if (!c->reaped)
                return;
        (void) sink_read(&c->out);
        (void) sink_read(&c->err);
        sink_close(&c->out);
        sink_close(&c->err);
        if (c->fn) {
                res = (struct command_result){
                        .status = c->status,
                        .timed_out = c->timed_out,
                        .overflow = c->out.overflow,
                        .out = c->out.buf ? c->out.buf : "",
                        .out_len = c->out.len,
                        .err = c->err.buf ? c->err.buf : "",
                        .err_len = c->err.len,
                };
                c->fn(&res, c->userdata);
        }
        command_free(c);
}

static void sink_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct command *c = userdata;
        struct sink *s = loop_io_fd(io) == c->out.fd ? &c->out : &c->err;

        (void) events;
        if (sink_read(s))
                sink_close(s);
}

static void in_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct command *c = userdata;
        ssize_t n;

        (void) io;
        if (events & (EPOLLERR | EPOLLHUP)) {
                in_close(c);
                return;
        }
        n = write(c->in_fd, c->in_copy + c->in_off, c->in_len - c->in_off);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0 || (c->in_off += (size_t) n) == c->in_len)
                in_close(c); /* EOF for the program */
}

static void exited_cb(pid_t pid, int status, void *userdata)
{
        struct command *c = userdata;

        (void) pid;
        c->reaped = true;
        c->status = status;
        /* Whatever it left unread of stdin no longer matters. */
        in_close(c);
        maybe_finish(c);
}

static void timeout_cb(struct loop_timer *t, void *userdata)
{
        struct command *c = userdata;

        (void) t;
        c->timed_out = true;
        (void) kill(c->pid, SIGKILL);
}

static void child_exec(const struct command_spec *spec, int in, int out, int err)
{
        spawn_child_reset_signals();
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                _exit(127);
        /* Its own session: a hook's terminal signals never reach the agent. */
        (void) setsid();
        if (spec->env)
                execve(spec->path, (char *const *) spec->argv, (char *const *) spec->env);
        else
                execv(spec->path, (char *const *) spec->argv);
        dprintf(2, "exec `%s`: %s", spec->path, strerror(errno));
        _exit(127);
}

static int make_pipe(int p[2], bool parent_reads)
{
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        return fd_nonblock(p[parent_reads ? 0 : 1], true);
}

static int watch(struct command *c, const char *name, struct agent_error **err)
{
        struct loop *l = c->agent->loop;

        if (loop_add_io(l, c->out.fd, EPOLLIN, sink_cb, c, &c->out.io) < 0 ||
            loop_add_io(l, c->err.fd, EPOLLIN, sink_cb, c, &c->err.io) < 0 ||
            (c->in_fd >= 0 && loop_add_io(l, c->in_fd, EPOLLOUT, in_cb, c, &c->in_io) < 0))
                return agent_error_setf(err, EIO, "watch the pipes of `%s`", name);
        return 0;
}

static int fork_child(struct command *c, const struct command_spec *spec, int p_in[2], int p_out[2],
                      int p_err[2], struct agent_error **err)
{
        c->pid = fork();
        if (c->pid < 0)
                return agent_error_set(err, errno, "fork `%s`", spec->path);
        if (c->pid == 0)
                child_exec(spec, p_in[0], p_out[1], p_err[1]);
        close_and_reset(&p_in[0]);
        close_and_reset(&p_out[1]);
        close_and_reset(&p_err[1]);
        c->in_fd = TAKE_FD(p_in[1]);
        c->out.fd = TAKE_FD(p_out[0]);
        c->err.fd = TAKE_FD(p_err[0]);
        return 0;
}

static void close_pair(int p[2])
{
        close_and_reset(&p[0]);
        close_and_reset(&p[1]);
}

int command_start(struct agent *a, const struct command_spec *spec_in, command_done_fn fn,
                  void *userdata, struct command **ret, struct agent_error **err)
{
        int p_in[2] = { -EBADF, -EBADF }, p_out[2] = { -EBADF, -EBADF };
        int p_err[2] = { -EBADF, -EBADF };
        struct command_spec spec = *spec_in;
        const char *const *argv = spec.argv;
        struct command *c;
        int r;

        if (!spec.path)
                spec.path = argv[0];
        if (spec.path[0] != '/')
                return agent_error_setf(err, EINVAL, "`%s` is not an absolute path", spec.path);
        if (access(spec.path, X_OK) < 0)
                return agent_error_set(err, errno, "`%s`", spec.path);
        if ((r = make_pipe(p_in, false)) < 0 || (r = make_pipe(p_out, true)) < 0 ||
            (r = make_pipe(p_err, true)) < 0) {
                close_pair(p_in), close_pair(p_out), close_pair(p_err);
                return agent_error_set(err, -r, "pipes for `%s`", argv[0]);
        }
        c = xzalloc(sizeof(*c));
        c->agent = a;
        c->in_fd = c->out.fd = c->err.fd = -EBADF;
        c->out.max = spec.out_max;
        c->err.max = COMMAND_STDERR_MAX;
        c->in_copy = xmalloc(spec.in_len + 1);
        if (spec.in_len)
                memcpy(c->in_copy, spec.in, spec.in_len);
        c->in_len = spec.in_len;
        c->fn = fn;
        c->userdata = userdata;
        list_add_tail(&a->commands, &c->node);
        r = fork_child(c, &spec, p_in, p_out, p_err, err);
        close_pair(p_in), close_pair(p_out), close_pair(p_err);
        if (r < 0) {
                command_free(c);
                return r;
        }
        if (spec.in_len == 0)
                in_close(c);
        r = watch(c, spec.path, err);
        if (r < 0) {
                (void) kill(c->pid, SIGKILL);
                c->fn = NULL;
                sink_close(&c->out);
                sink_close(&c->err);
        }
        if (r >= 0 && spec.timeout_ns)
                c->timer = loop_add_timer(a->loop, now_ns() + spec.timeout_ns, timeout_cb, c);
        if (ret)
                *ret = r < 0 ? NULL : c;
        /* Last: nothing was reaped since the fork (no loop iteration ran), so fn cannot run
         * from inside this call. */
        reaper_watch(a, c->pid, exited_cb, c);
        return r;
}

void command_abandon(struct command *c)
{
        if (!c)
                return;
        c->fn = NULL;
        if (!c->reaped)
                (void) kill(c->pid, SIGKILL);
}

void command_free_all(struct agent *a)
{
        while (!list_empty(&a->commands)) {
                struct command *c = list_first_entry(&a->commands, struct command, node);
                if (!c->reaped) {
                        reaper_unwatch(a, c->pid);
                        (void) kill(c->pid, SIGKILL);
                }
                command_free(c);
        }
}

char *command_result_text(const struct command_result *res)
{
        const char *said = res->err_len ? res->err : res->out;
        size_t n = res->err_len ? res->err_len : res->out_len;
        char what[64];

        while (n && (said[n - 1] == '\n' || said[n - 1] == ' '))
                n--;
        if (res->timed_out)
                snprintf(what, sizeof(what), "timed out");
        else if (WIFEXITED(res->status))
                snprintf(what, sizeof(what), "exited with %d", WEXITSTATUS(res->status));
        else if (WIFSIGNALED(res->status))
                snprintf(what, sizeof(what), "killed by signal %d", WTERMSIG(res->status));
        else
                snprintf(what, sizeof(what), "ended with status %#x", (unsigned) res->status);
        return n ? xasprintf("%s: %.*s", what, (int) (n > 4096 ? 4096 : n), said) : xstrdup(what);
}
