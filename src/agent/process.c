/* SPDX-License-Identifier: Apache-2.0 */
/* Container processes: spawning (with the child's setup reported over the sync socket), exit,
 * WaitProcess, SignalProcess. */
#include "agent/agent.h"
#include "agent/container.h"
#include "agent/reaper.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "engine/identity.h"
#include "engine/seccomp.h"
#include "passfd/passfd.h"
#include "trace/trace.h"
#include "rpc/call.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void container_process_gone(struct container *c);
bool container_started(struct container *c, struct list_node *pending);
void container_setup_failed(struct container *c, const struct agent_error *err);

struct process *process_find(struct container *c, const char *exec_id)
{
        if (!exec_id || !*exec_id || streq(exec_id, c->id))
                return c->init;
        for (struct list_node *n = c->processes.next; n != &c->processes; n = n->next) {
                struct process *p = list_entry(n, struct process, node);
                if (!p->init && streq(p->exec_id, exec_id))
                        return p;
        }
        return NULL;
}

static void pending_reply_ok(struct process *p)
{
        if (!list_empty(&p->pending))
                rpc_call_reply(rpc_call_from_park_node(p->pending.next), NULL);
}

static void pending_reply_error(struct process *p, const struct agent_error *err)
{
        if (!list_empty(&p->pending))
                rpc_call_reply_error(rpc_call_from_park_node(p->pending.next), err);
}

static void sync_close(struct process *p)
{
        loop_io_free(p->sync_io);
        p->sync_io = NULL;
        close_and_reset(&p->sync_fd);
}

/* True once neither stage of the spawn nor the process itself can still be running. */
bool process_gone(const struct process *p);
bool process_gone(const struct process *p)
{
        return p->stage1 == 0 && (p->pid == 0 || p->state == PROCESS_EXITED);
}

/* Forgets the process: readers get what is buffered then EOF; anything still parked on it
 * gets an error. */
void process_free(struct process *p);
void process_free(struct process *p)
{
        struct agent *a = p->container->agent;
        _cleanup_error_ struct agent_error *err = NULL;

        agent_error_setf(&err, ENOENT, "process `%s` is gone", p->exec_id);
        if (p->stage1 > 0)
                reaper_unwatch(a, p->stage1);
        if (p->pid > 0 && p->state != PROCESS_EXITED)
                reaper_unwatch(a, p->pid);
        pending_reply_error(p, err);
        while (!list_empty(&p->waiters))
                rpc_call_reply_error(rpc_call_from_park_node(p->waiters.next), err);
        sync_close(p);
        passfd_io_free(p->passfd);
        stdio_done(&p->stdio);
        trace_span_end(p->span, p->state == PROCESS_EXITED ? NULL : "forgotten before it exited");
        list_del(&p->node);
        if (p->container->init == p)
                p->container->init = NULL;
        free(p->exec_id);
        free(p);
}

static void reply_waiters(struct process *p)
{
        Grpc__WaitProcessResponse resp = GRPC__WAIT_PROCESS_RESPONSE__INIT;

        resp.status = p->exit_code;
        while (!list_empty(&p->waiters))
                rpc_call_reply(rpc_call_from_park_node(p->waiters.next), &resp.base);
}

/* Init's setup ended without READY (an ERROR, a death): the container is torn down once the
 * sync socket reached EOF (every message read, whatever order the loop saw the events in) and
 * both stages were reaped (so the status can say what killed them). Decided by the container
 * still creating, not by the process state: the exit may be seen before the error. */
static bool init_setup_ended(const struct process *p)
{
        return p->init && p->container->state == CONTAINER_CREATING && p->sync_fd < 0 &&
               process_gone(p);
}

static void setup_failure_error(const struct process *p, struct agent_error **err)
{
        const struct container *c = p->container;
        int st = p->pid > 0 ? p->wait_status : p->stage1_status;

        if (c->setup_error)
                agent_error_set(err, c->setup_errno, "%s", c->setup_error);
        else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
                agent_error_setf(err, ECHILD,
                                 "container `%s`: the process was killed by signal %d during "
                                 "setup (OOM kill?)",
                                 c->id, SIGKILL);
        else if (WIFSIGNALED(st))
                agent_error_setf(err, ECHILD,
                                 "container `%s`: the process was killed by signal %d (%s) during "
                                 "setup",
                                 c->id, WTERMSIG(st), strsignal(WTERMSIG(st)));
        else
                agent_error_setf(err, ECHILD,
                                 "container `%s`: the process exited during setup with status %d",
                                 c->id, WIFEXITED(st) ? WEXITSTATUS(st) : st);
}

/* Ends with the container's bookkeeping; c (and p) may be freed on return. */
static void process_settle(struct process *p)
{
        struct container *c = p->container;
        _cleanup_error_ struct agent_error *err = NULL;

        if (!init_setup_ended(p)) {
                container_process_gone(c);
                return;
        }
        setup_failure_error(p, &err);
        container_setup_failed(c, err);
}

static void process_exited_cb(pid_t pid, int status, void *userdata)
{
        struct process *p = userdata;
        struct container *c = p->container;
        const char *const kv[] = { "container-id", c->id, "exec-id", p->exec_id, NULL };

        p->state = PROCESS_EXITED;
        p->wait_status = status;
        p->exit_code = reaper_exit_code(status);
        trace_span_attr_int(p->span, "exit_code", p->exit_code);
        trace_span_end(p->span, NULL);
        p->span = NULL;
        /* The sandbox's pid namespace dies with its first process: the next container that
         * makes a new one takes its place. */
        if (p->init && c->agent->sandbox_pid == pid)
                c->agent->sandbox_pid = 0;
        log_full(LOG_LEVEL_INFO, "process", kv, "process %d exited with %d", (int) pid,
                 p->exit_code);
        stdio_process_exited(&p->stdio);
        if (p->init && c->state != CONTAINER_CREATING)
                c->state = CONTAINER_STOPPED;
        if (!list_empty(&p->waiters) && !passfd_io_output_pending(p->passfd)) {
                reply_waiters(p);
                /* A creating init stays until its setup is settled. */
                if (!(p->init && c->state == CONTAINER_CREATING)) {
                        stdio_finish(&p->stdio);
                        process_free(p);
                        container_process_gone(c);
                        return;
                }
        }
        process_settle(p);
}

/* passfd: every byte of output reached its stream. WaitProcess waited for that, as Kata's
 * agent waits for its copy tasks: the host must have the output when it learns the exit. */
static void passfd_output_done(void *data)
{
        struct process *p = data;

        if (p->state != PROCESS_EXITED || list_empty(&p->waiters))
                return;
        reply_waiters(p);
        stdio_finish(&p->stdio);
        process_free(p);
}

static void stage1_exited_cb(pid_t pid, int status, void *userdata)
{
        struct process *p = userdata;

        (void) pid;
        p->stage1 = 0;
        p->stage1_status = status;
        process_settle(p);
}

static int handle_userns(struct process *p, pid_t pid)
{
        const Grpc__Linux *l = p->container->req->oci->linux;
        int r = 0;

        r = spawn_write_id_maps(pid, l);
        if (r < 0)
                log_warn("container `%s`: writing user namespace maps failed: %s", p->container->id,
                         strerror(-r));
        return spawn_send(p->sync_fd, SPAWN_MSG_USERNS_DONE, 0);
}

static void handle_error_msg(struct process *p, const struct spawn_msg *m)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct container *c = p->container;

        agent_error_set(&err, m->value, "%s", m->text);
        if (p->init)
                agent_error_wrap(&err, "container `%s`", c->id);
        else
                agent_error_wrap(&err, "container `%s`: exec `%s`", c->id, p->exec_id);
        if (p->init && c->state == CONTAINER_CREATING) {
                /* Kept for the teardown, which waits for EOF and the reaps (process_settle). */
                if (!c->setup_error) {
                        c->setup_error = xstrdup(err->msg);
                        c->setup_errno = err->errno_;
                }
                return;
        }
        pending_reply_error(p, err);
}

static void handle_msg(struct process *p, const struct spawn_msg *m)
{
        switch (m->type) {
        case SPAWN_MSG_PID:
                p->pid = m->value;
                trace_span_attr_int(p->span, "pid", p->pid);
                reaper_watch(p->container->agent, p->pid, process_exited_cb, p);
                break;
        case SPAWN_MSG_READY:
                p->state = PROCESS_CREATED;
                p->container->state = CONTAINER_CREATED;
                pending_reply_ok(p);
                break;
        case SPAWN_MSG_USERNS:
                (void) handle_userns(p, m->value);
                break;
        case SPAWN_MSG_ERROR:
                handle_error_msg(p, m);
                break;
        default:
                break;
        }
}

/* EOF on the sync socket: the process exec'd (the socket is close-on-exec), or died. A child
 * that fails says so (ERROR) before it exits, and that message is read before the EOF; so once
 * execve was due, EOF without an error means it happened, even if the process has already
 * exited (and been reaped) by the time we read it. An init that never got READY is settled
 * (torn down) here or at its reap, whichever comes last; p may be freed on return. */
static void handle_eof(struct process *p)
{
        _cleanup_error_ struct agent_error *err = NULL;

        sync_close(p);
        if (p->init && p->container->state == CONTAINER_CREATING) {
                process_settle(p);
                return;
        }
        if (list_empty(&p->pending))
                return;
        if (p->exec_due) {
                if (p->init)
                        p->container->state =
                                p->state == PROCESS_EXITED ? CONTAINER_STOPPED : CONTAINER_RUNNING;
                if (p->state != PROCESS_EXITED)
                        p->state = PROCESS_RUNNING;
                if (!p->init || !container_started(p->container, &p->pending))
                        pending_reply_ok(p);
                return;
        }
        agent_error_setf(&err, ECHILD, "container `%s`: exec `%s`: the process exited during setup",
                         p->container->id, p->exec_id);
        pending_reply_error(p, err);
}

static void sync_io_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct process *p = userdata;
        struct spawn_msg m;
        int r;

        (void) io;
        (void) events;
        while (p->sync_fd >= 0 && (r = spawn_recv(p->sync_fd, &m)) == 1)
                handle_msg(p, &m);
        if (p->sync_fd >= 0 && r != -EAGAIN)
                handle_eof(p);
}

static void pending_cancel(struct rpc_call *call, void *data)
{
        (void) call;
        (void) data;
}

struct process *process_new(struct container *c, const char *exec_id, bool init);
struct process *process_new(struct container *c, const char *exec_id, bool init)
{
        struct process *p = xzalloc(sizeof(*p));

        p->container = c;
        p->exec_id = xstrdup(exec_id);
        p->init = init;
        p->sync_fd = -EBADF;
        list_init(&p->pending);
        list_init(&p->waiters);
        list_add_tail(&c->processes, &p->node);
        for (int i = 0; i < 3; i++)
                p->stdio.child[i] = -EBADF;
        p->stdio.in.fd = p->stdio.out.fd = p->stdio.err.fd = -EBADF;
        list_init(&p->stdio.in.writers);
        list_init(&p->stdio.out.readers);
        list_init(&p->stdio.err.readers);
        return p;
}

/* Builds the child's stdio, forks it and parks call until it reports. */
int process_spawn(struct process *p, struct spawn_config *cfg, const Grpc__Process *proc,
                  struct rpc_call *call, struct agent_error **err);
int process_spawn(struct process *p, struct spawn_config *cfg, const Grpc__Process *proc,
                  struct rpc_call *call, struct agent_error **err)
{
        struct agent *a = p->container->agent;
        uint32_t rows = 0, cols = 0;
        int r;

        if (proc->consolesize) {
                rows = proc->consolesize->height;
                cols = proc->consolesize->width;
        }
        /* The container's span is the parent: a process is part of its container's life. */
        p->span = trace_span_begin(a->tracer, p->init ? "init_process" : "exec_process",
                                   p->container->span, NULL);
        trace_span_attr(p->span, "container_id", p->container->id);
        trace_span_attr(p->span, "exec_id", p->exec_id);
        r = stdio_init(a, &p->stdio, proc->terminal, p->container->pipe_size, rows, cols,
                       p->container->id, err);
        if (r < 0)
                return r;
        for (int i = 0; i < 3; i++)
                cfg->stdio[i] = proc->terminal ? p->stdio.child[0] : p->stdio.child[i];
        cfg->terminal = proc->terminal;
        cfg->process = proc;
        r = spawn_start(cfg, &p->stage1, &p->sync_fd, err);
        if (r < 0)
                return r;
        reaper_watch(a, p->stage1, stage1_exited_cb, p);
        r = stdio_start(&p->stdio, err);
        if (r >= 0)
                p->passfd = passfd_io_new(a, &p->stdio, p->passfd_ports, p->container->id,
                                          passfd_output_done, p);
        if (r >= 0)
                r = loop_add_io(a->loop, p->sync_fd, EPOLLIN, sync_io_cb, p, &p->sync_io) < 0
                            ? agent_error_set(err, EIO, "watch the sync socket")
                            : 0;
        if (r < 0)
                return r;
        return rpc_call_park(call, &p->pending, pending_cancel, p, err);
}

int process_start(struct process *p, struct rpc_call *call, struct agent_error **err);
int process_start(struct process *p, struct rpc_call *call, struct agent_error **err)
{
        int r;

        if (p->state != PROCESS_CREATED || p->sync_fd < 0)
                return agent_error_setf(err, EBUSY, "container `%s` is not in the created state",
                                        p->container->id);
        r = rpc_call_park(call, &p->pending, pending_cancel, p, err);
        if (r < 0)
                return r;
        p->state = PROCESS_STARTING;
        p->exec_due = true;
        r = spawn_send(p->sync_fd, SPAWN_MSG_START, 0);
        /* On failure the dispatcher's error reply also unparks the call. */
        if (r < 0)
                return agent_error_set(err, -r, "container `%s`: release the init process",
                                       p->container->id);
        return 0;
}

int process_wait(struct process *p, struct rpc_call *call, struct agent_error **err)
{
        if (p->state == PROCESS_EXITED && !passfd_io_output_pending(p->passfd)) {
                Grpc__WaitProcessResponse resp = GRPC__WAIT_PROCESS_RESPONSE__INIT;
                resp.status = p->exit_code;
                rpc_call_reply(call, &resp.base);
                stdio_finish(&p->stdio);
                process_free(p);
                return 0;
        }
        return rpc_call_park(call, &p->waiters, pending_cancel, p, err);
}

/* PID 1 of a pid namespace ignores signals it has no handler for: Kata turns an unhandled
 * SIGTERM to the init process into SIGKILL. "Handled" = the bit is set in SigBlk, SigIgn or
 * SigCgt of /proc/<pid>/status. */
static bool handles_signal(pid_t pid, int sig)
{
        static const char *const keys[] = { "SigBlk:", "SigIgn:", "SigCgt:" };
        _cleanup_free_ char *status = NULL;
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        if (read_file(path, 1 << 16, &status, NULL) < 0)
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                const char *line = strstr(status, keys[i]);
                uint64_t mask;
                if (line && sscanf(line + strlen(keys[i]), "%" SCNx64, &mask) == 1 &&
                    (mask >> (sig - 1)) & 1)
                        return true;
        }
        return false;
}

int process_signal(struct container *c, const char *exec_id, uint32_t sig, struct agent_error **err)
{
        struct process *p;

        if (sig == 0 || sig >= 65)
                return agent_error_setf(err, EINVAL, "invalid signal %u", sig);
        if ((!exec_id || !*exec_id) && sig == SIGKILL && c->cgroup) {
                int n = cgroup_kill_all(c->cgroup, (int) sig);
                if (n < 0)
                        return agent_error_set(err, -n, "container `%s`: kill all", c->id);
                return 0;
        }
        p = process_find(c, exec_id);
        if (!p)
                return agent_error_setf(err, ENOENT, "process `%s` not found in container `%s`",
                                        exec_id && *exec_id ? exec_id : "init", c->id);
        /* A reaped pid may already belong to someone else: never signal it. */
        if (p->pid <= 0 || p->state == PROCESS_EXITED)
                return 0;
        if (p->init && sig == SIGTERM && !handles_signal(p->pid, SIGTERM))
                sig = SIGKILL;
        if (kill(p->pid, (int) sig) < 0 && errno != ESRCH)
                return agent_error_set(err, errno, "signal %u to process %d", sig, (int) p->pid);
        return 0;
}

/* ExecProcess: joins the namespaces of the container's init (by its /proc entries) and its
 * cgroup, with the container's seccomp profile, and runs at once. */
int process_exec(struct container *c, struct rpc_call *call, struct agent_error **err)
{
        const Grpc__ExecProcessRequest *req = (const Grpc__ExecProcessRequest *) call->req;
        const Grpc__Spec *spec = c->req->oci;
        struct spawn_config cfg = {
                .init = false, .spec = spec, .cgroup = c->cgroup, .reset_oom_score = true
        };
        char paths[_SPAWN_NS_MAX][64];
        struct identity *id = NULL;
        struct seccomp_filter *sc = NULL;
        struct process *p;
        int r;

        if (!req->process || req->process->n_args == 0)
                return agent_error_setf(err, EINVAL, "field `process.Args` is empty");
        if (!req->exec_id || !*req->exec_id || streq(req->exec_id, c->id))
                return agent_error_setf(err, EINVAL, "invalid exec id `%s`",
                                        req->exec_id ? req->exec_id : "");
        if (!c->init || c->init->state != PROCESS_RUNNING || c->removing)
                return agent_error_setf(err, EBUSY, "container `%s` is not running", c->id);
        if (process_find(c, req->exec_id))
                return agent_error_setf(err, EEXIST, "exec id `%s` already exists in `%s`",
                                        req->exec_id, c->id);
        for (int i = 0; i < _SPAWN_NS_MAX; i++) {
                cfg.ns[i].enabled = c->ns[i].enabled;
                snprintf(paths[i], sizeof(paths[i]), "/proc/%d/ns/%s", (int) c->init->pid,
                         i == SPAWN_NS_NET    ? "net"
                         : i == SPAWN_NS_MNT  ? "mnt"
                         : i == SPAWN_NS_USER ? "user"
                                              : spawn_ns_name(i));
                cfg.ns[i].path = cfg.ns[i].enabled ? paths[i] : NULL;
        }
        r = identity_new(req->process, &id, err);
        if (r >= 0 && spec->linux && spec->linux->seccomp)
                r = seccomp_filter_new(spec->linux->seccomp, &sc, err);
        if (r >= 0) {
                cfg.identity = id;
                cfg.seccomp = sc;
                p = process_new(c, req->exec_id, false);
                p->exec_due = true; /* no START for exec: execve follows setup directly */
                p->passfd_ports[0] = req->stdin_port;
                p->passfd_ports[1] = req->stdout_port;
                p->passfd_ports[2] = req->stderr_port;
                r = process_spawn(p, &cfg, req->process, call, err);
                if (r < 0 && list_empty(&p->pending) && process_gone(p))
                        process_free(p);
        }
        identity_free(id);
        seccomp_filter_free(sc);
        if (r < 0)
                agent_error_wrap(err, "container `%s`: exec `%s`", c->id, req->exec_id);
        return r;
}
