/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI hooks that run in the runtime's namespaces (prestart, createRuntime, createContainer,
 * poststart, poststop). startContainer hooks run inside the container and are the engine's
 * (spawn_config.start_hooks).
 *
 * Each hook gets the state JSON on stdin and its own args and env (the runtime's environment
 * when the hook lists none, as runc does). Its stdout and stderr are collected (the first 4 KiB)
 * and quoted in the error when it fails: the runtime's own stdout may be the container's. A
 * timeout (seconds) kills it. Hooks run one after another; the first failure stops the list.
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "runtime/runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOOK_OUTPUT_MAX 4096

const char *rt_hook_name(enum rt_hook_kind kind)
{
        static const char *const names[] = {
                [RT_HOOK_PRESTART] = "prestart",
                [RT_HOOK_CREATE_RUNTIME] = "createRuntime",
                [RT_HOOK_CREATE_CONTAINER] = "createContainer",
                [RT_HOOK_START_CONTAINER] = "startContainer",
                [RT_HOOK_POSTSTART] = "poststart",
                [RT_HOOK_POSTSTOP] = "poststop",
        };
        return kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

const Grpc__Hook *const *rt_hooks_of(const Grpc__Spec *spec, enum rt_hook_kind kind, size_t *ret_n)
{
        const Grpc__Hooks *h = spec ? spec->hooks : NULL;

        *ret_n = 0;
        if (!h)
                return NULL;
        switch (kind) {
        case RT_HOOK_PRESTART:
                *ret_n = h->n_prestart;
                return (const Grpc__Hook *const *) h->prestart;
        case RT_HOOK_CREATE_RUNTIME:
                *ret_n = h->n_createruntime;
                return (const Grpc__Hook *const *) h->createruntime;
        case RT_HOOK_CREATE_CONTAINER:
                *ret_n = h->n_createcontainer;
                return (const Grpc__Hook *const *) h->createcontainer;
        case RT_HOOK_START_CONTAINER:
                *ret_n = h->n_startcontainer;
                return (const Grpc__Hook *const *) h->startcontainer;
        case RT_HOOK_POSTSTART:
                *ret_n = h->n_poststart;
                return (const Grpc__Hook *const *) h->poststart;
        case RT_HOOK_POSTSTOP:
                *ret_n = h->n_poststop;
                return (const Grpc__Hook *const *) h->poststop;
        }
        return NULL;
}

static char **strv_terminated(char *const *v, size_t n)
{
        char **out = xzalloc((n + 1) * sizeof(char *));

        for (size_t i = 0; i < n; i++)
                out[i] = v[i];
        return out;
}

static void __attribute__((noreturn)) hook_child(const Grpc__Hook *h, int in_fd, int out_fd)
{
        char *default_argv[] = { h->path, NULL };
        char **argv = h->n_args ? strv_terminated(h->args, h->n_args) : default_argv;
        char **envp = h->n_env ? strv_terminated(h->env, h->n_env) : environ;
        sigset_t none;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) signal(SIGPIPE, SIG_DFL);
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
                _exit(127);
        execve(h->path, argv, envp);
        dprintf(2, "exec `%s`: %s", h->path, strerror(errno));
        _exit(127);
}

struct hook_run {
        pid_t pid;
        int in_fd;  /* writes the state; closed once written */
        int out_fd; /* the hook's stdout and stderr */
        const char *state;
        size_t state_len, written;
        char out[HOOK_OUTPUT_MAX];
        size_t out_len;
};

static void hook_feed(struct hook_run *hr)
{
        ssize_t n = write(hr->in_fd, hr->state + hr->written, hr->state_len - hr->written);

        if (n > 0)
                hr->written += (size_t) n;
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || hr->written == hr->state_len)
                close_and_reset(&hr->in_fd);
}

/* Keeps the first HOOK_OUTPUT_MAX - 1 bytes, reads (and drops) the rest. */
static void hook_drain(struct hook_run *hr)
{
        for (;;) {
                char buf[4096];
                ssize_t n = read(hr->out_fd, buf, sizeof(buf));
                size_t keep;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN)
                                close_and_reset(&hr->out_fd);
                        return;
                }
                keep = sizeof(hr->out) - 1 - hr->out_len;
                if (keep > (size_t) n)
                        keep = (size_t) n;
                memcpy(hr->out + hr->out_len, buf, keep);
                hr->out_len += keep;
        }
}

/* Feeds stdin, collects output, reaps. Returns 0 with *status, or -ETIMEDOUT (killed). */
static int hook_wait(struct hook_run *hr, int64_t timeout_s, int *status)
{
        uint64_t deadline = timeout_s > 0 ? now_ns() + (uint64_t) timeout_s * 1000000000ull : 0;

        for (;;) {
                struct pollfd p[2];
                nfds_t n = 0;
                pid_t r = waitpid(hr->pid, status, WNOHANG);

                if (r == hr->pid || (r < 0 && errno != EINTR)) {
                        /* Exited: take what it wrote, but do not wait for a daemon it left
                         * holding the pipe. */
                        if (hr->out_fd >= 0)
                                hook_drain(hr);
                        return 0;
                }
                if (deadline && now_ns() >= deadline) {
                        (void) kill(hr->pid, SIGKILL);
                        (void) waitpid(hr->pid, status, 0);
                        return -ETIMEDOUT;
                }
                if (hr->in_fd >= 0)
                        p[n++] = (struct pollfd){ .fd = hr->in_fd, .events = POLLOUT };
                if (hr->out_fd >= 0)
                        p[n++] = (struct pollfd){ .fd = hr->out_fd, .events = POLLIN };
                if (poll(p, n, 20) <= 0)
                        continue;
                if (hr->in_fd >= 0 && p[0].revents)
                        hook_feed(hr);
                if (hr->out_fd >= 0 && p[n - 1].fd == hr->out_fd && p[n - 1].revents)
                        hook_drain(hr);
        }
}

static void trim(char *s, size_t *len)
{
        while (*len > 0 && isspace((unsigned char) s[*len - 1]))
                (*len)--;
        s[*len] = '\0';
}

static int hook_result(struct hook_run *hr, enum rt_hook_kind kind, const Grpc__Hook *h, int r,
                       int status, struct agent_error **err)
{
        const char *name = rt_hook_name(kind);

        trim(hr->out, &hr->out_len);
        if (r == -ETIMEDOUT)
                return agent_error_setf(err, ETIMEDOUT, "%s hook `%s`: timed out after %lld s",
                                        name, h->path, (long long) h->timeout);
        if (WIFSIGNALED(status))
                return agent_error_setf(err, ECHILD, "%s hook `%s`: killed by signal %d%s%s", name,
                                        h->path, WTERMSIG(status), hr->out_len ? ": " : "",
                                        hr->out);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return agent_error_setf(err, ECHILD, "%s hook `%s`: exit status %d%s%s", name,
                                        h->path, WEXITSTATUS(status), hr->out_len ? ": " : "",
                                        hr->out);
        if (hr->out_len)
                rt_log(RT_LOG_DEBUG, "%s hook `%s`: %s", name, h->path, hr->out);
        return 0;
}

static int run_one(enum rt_hook_kind kind, const Grpc__Hook *h, const char *state,
                   struct agent_error **err)
{
        struct hook_run hr = { .in_fd = -EBADF, .out_fd = -EBADF, .state = state };
        int in[2], out[2], status = 0, r;

        if (!h->path || h->path[0] != '/')
                return agent_error_setf(err, EINVAL, "%s hook `%s`: path must be absolute",
                                        rt_hook_name(kind), h->path ? h->path : "");
        if (pipe2(in, O_CLOEXEC) < 0)
                return agent_error_set(err, errno, "%s hook: pipe", rt_hook_name(kind));
        if (pipe2(out, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return agent_error_set(err, errno, "%s hook: pipe", rt_hook_name(kind));
        }
        hr.pid = fork();
        if (hr.pid == 0)
                hook_child(h, in[0], out[1]);
        close(in[0]);
        close(out[1]);
        hr.in_fd = in[1];
        hr.out_fd = out[0];
        if (hr.pid < 0) {
                r = agent_error_set(err, errno, "%s hook `%s`: fork", rt_hook_name(kind), h->path);
                close_and_reset(&hr.in_fd);
                close_and_reset(&hr.out_fd);
                return r;
        }
        rt_log(RT_LOG_DEBUG, "running %s hook `%s`", rt_hook_name(kind), h->path);
        (void) fd_nonblock(hr.in_fd, true);
        (void) fd_nonblock(hr.out_fd, true);
        hr.state_len = strlen(state);
        r = hook_wait(&hr, h->timeout, &status);
        close_and_reset(&hr.in_fd);
        close_and_reset(&hr.out_fd);
        return hook_result(&hr, kind, h, r, status, err);
}

int rt_hooks_run(const Grpc__Spec *spec, enum rt_hook_kind kind, const char *state_json,
                 struct agent_error **err)
{
        size_t n;
        const Grpc__Hook *const *hooks = rt_hooks_of(spec, kind, &n);

        int first = 0;

        for (size_t i = 0; i < n; i++) {
                int r = run_one(kind, hooks[i], state_json, err);
                if (r >= 0)
                        continue;
                /* A failing poststart or poststop hook is a warning: the remaining hooks and
                 * the lifecycle go on (runtime-spec). The first error is still reported. */
                if (kind != RT_HOOK_POSTSTART && kind != RT_HOOK_POSTSTOP)
                        return r;
                /* Reported: the latest failure's message (each one was also logged). */
                if (!first)
                        first = r;
        }
        return first;
}
