/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/job.h"
#include "agent/agent.h"
#include "agent/reaper.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct job {
        struct agent *agent;
        pid_t pid;
        int out_fd;
        struct loop_io *io;
        struct loop_timer *timer;
        bool timed_out;
        job_done_fn fn;
        void *userdata;
        struct list_node node; /* on agent->jobs */
        char out[JOB_OUTPUT_MAX + 1];
        size_t out_len;
};

/* Reads what the child wrote (keeping the first JOB_OUTPUT_MAX bytes). True at EOF. */
static bool job_drain(struct job *j)
{
        char buf[4096];
        ssize_t n;

        for (;;) {
                n = j->out_fd >= 0 ? read(j->out_fd, buf, sizeof(buf)) : 0;
                if (n <= 0)
                        break;
                size_t keep = JOB_OUTPUT_MAX - j->out_len;
                if ((size_t) n < keep)
                        keep = (size_t) n;
                memcpy(j->out + j->out_len, buf, keep);
                j->out_len += keep;
        }
        j->out[j->out_len] = '\0';
        return n == 0 || (errno != EAGAIN && errno != EINTR);
}

static void job_io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct job *j = userdata;

        (void) events;
        if (job_drain(j)) {
                loop_io_free(io);
                j->io = NULL;
        }
}

static void job_free(struct job *j)
{
        list_del(&j->node);
        loop_io_free(j->io);
        loop_timer_free(j->timer);
        close_and_reset(&j->out_fd);
        free(j);
}

static void job_exited_cb(pid_t pid, int status, void *userdata)
{
        struct job *j = userdata;

        (void) pid;
        j->pid = 0;
        job_drain(j);
        if (j->fn)
                j->fn(j, j->timed_out ? -ETIME : status, j->out, j->userdata);
        job_free(j);
}

static void job_timeout_cb(struct loop_timer *t, void *userdata)
{
        struct job *j = userdata;

        loop_timer_free(t);
        j->timer = NULL;
        j->timed_out = true;
        if (j->pid > 0)
                (void) kill(j->pid, SIGKILL);
}

static void job_child(const char *path, const char *const *argv, const char *const *env, int in_fd,
                      int out_fd)
{
        static const char *const default_env[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL
        };

        spawn_child_reset_signals();
        if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
                _exit(127);
        (void) setsid();
        execve(path, (char *const *) argv, (char *const *) (env ? env : default_env));
        dprintf(2, "exec `%s`: %s", path, strerror(errno));
        _exit(127);
}

int job_start(struct agent *a, const char *path, const char *const *argv, const char *const *env,
              const char *input, size_t input_len, uint64_t timeout_ms, job_done_fn fn,
              void *userdata, struct job **ret)
{
        _cleanup_close_ int in_r = -EBADF, in_w = -EBADF, out_r = -EBADF, out_w = -EBADF;
        int p[2];
        struct job *j;
        pid_t pid;

        if (!path || path[0] != '/' || !argv || !argv[0] || input_len > JOB_INPUT_MAX)
                return -EINVAL;
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        in_r = p[0];
        in_w = p[1];
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        out_r = p[0];
        out_w = p[1];
        /* The input fits the pipe (bounded above): write it before the child exists, so no
         * writer has to wait in the loop. */
        if (input_len > 0 && (size_t) write(in_w, input, input_len) != input_len)
                return -EIO;
        close_and_reset(&in_w);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                job_child(path, argv, env, in_r, out_w);
        j = xzalloc(sizeof(*j));
        j->agent = a;
        j->pid = pid;
        j->fn = fn;
        j->userdata = userdata;
        j->out_fd = TAKE_FD(out_r);
        list_add_tail(&a->jobs, &j->node);
        if (loop_add_io(a->loop, j->out_fd, EPOLLIN, job_io_cb, j, &j->io) < 0)
                j->io = NULL; /* the output is still read once the child was reaped */
        if (timeout_ms > 0)
                j->timer = loop_add_timer(a->loop, now_ns() + timeout_ms * 1000000ull,
                                          job_timeout_cb, j);
        if (ret)
                *ret = j;
        reaper_watch(a, pid, job_exited_cb, j);
        return 0;
}

void job_cancel(struct job *j)
{
        if (!j)
                return;
        j->fn = NULL;
        if (j->pid > 0)
                (void) kill(j->pid, SIGKILL);
}

const char *job_status_text(int status, char *buf, size_t size)
{
        if (status == -ETIME)
                snprintf(buf, size, "timed out");
        else if (status < 0)
                snprintf(buf, size, "failed: %s", strerror(-status));
        else if (WIFEXITED(status))
                snprintf(buf, size, "exited with %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
        else
                snprintf(buf, size, "ended with status %#x", (unsigned) status);
        return buf;
}

void job_free_all(struct agent *a)
{
        while (!list_empty(&a->jobs)) {
                struct job *j = list_first_entry(&a->jobs, struct job, node);
                if (j->pid > 0) {
                        reaper_unwatch(a, j->pid);
                        (void) kill(j->pid, SIGKILL);
                }
                job_free(j);
        }
}
