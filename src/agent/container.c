/* SPDX-License-Identifier: Apache-2.0 */
/* Container lifecycle: create (bundle, namespaces, cgroup, init process), start, remove, pause,
 * update, stats. */
#include "agent/container.h"
#include "trace/trace.h"
#include "agent/agent.h"
#include "agent/reaper.h"
#include "agent/restart.h"
#include "sandbox/sandbox.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "engine/identity.h"
#include "engine/seccomp.h"
#include "rpc/call.h"
#include "storage/storage.h"
#include "ttrpc/status.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* process.c */
struct process *process_new(struct container *c, const char *exec_id, bool init);
void process_free(struct process *p);
bool process_gone(const struct process *p);
int process_spawn(struct process *p, struct spawn_config *cfg, const Grpc__Process *proc,
                  struct rpc_call *call, struct agent_error **err);
int process_start(struct process *p, struct rpc_call *call, struct agent_error **err);
void container_process_gone(struct container *c);
void container_setup_failed(struct container *c, const struct agent_error *err);
bool container_started(struct container *c, struct list_node *pending);

bool container_id_valid(const char *id)
{
        size_t n = id ? strlen(id) : 0;

        if (n < 2 || n > 256 || !isalnum((unsigned char) id[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char) id[i]) && !strchr(".-_", id[i]))
                        return false;
        return true;
}

struct container *container_find(struct agent *a, const char *id)
{
        for (struct list_node *n = a->containers.next; n != &a->containers; n = n->next) {
                struct container *c = list_entry(n, struct container, node);
                if (streq(c->id, id))
                        return c;
        }
        return NULL;
}

/* ---- teardown ---- */

static void container_release_bundle(struct container *c)
{
        if (c->rootfs_mounted && umount2(c->rootfs, MNT_DETACH) < 0)
                log_warn("container `%s`: unmount `%s`: %s", c->id, c->rootfs, strerror(errno));
        c->rootfs_mounted = false;
        if (c->rootfs)
                (void) rmdir(c->rootfs);
        if (c->bundle) {
                restart_forget_cgroup(c->bundle);
                (void) rmdir(c->bundle);
        }
}

static void container_free(struct container *c)
{
        _cleanup_error_ struct agent_error *err = NULL;

        hooks_cancel(c);
        if (c->start_call) {
                rpc_call_unpark(c->start_call);
                agent_error_setf(&err, ENOENT, "container `%s` was removed", c->id);
                rpc_call_reply_error(c->start_call, err);
                c->start_call = NULL;
                err = agent_error_free(err);
        }
        oom_unwatch(c);
        while (!list_empty(&c->processes))
                process_free(list_first_entry(&c->processes, struct process, node));
        if (c->cgroup && cgroup_destroy(c->cgroup, &err) < 0)
                log_warn("container `%s`: %s", c->id, err->msg);
        c->cgroup = NULL;
        container_release_bundle(c);
        storage_release(c->agent, c->storages);
        if (c->bundle)
                (void) rmdir(c->bundle); /* emptied by the storages (overlay rootfs, rw dirs) */
        loop_timer_free(c->remove_timer);
        list_del(&c->node);
        for (int i = 0; i < _SPAWN_NS_MAX; i++)
                free(c->ns_paths[i]);
        free(c->setup_error);
        if (c->req)
                protobuf_c_message_free_unpacked(&c->req->base, NULL);
        free(c->bundle);
        free(c->rootfs);
        trace_span_end(c->span, NULL);
        free(c->id);
        free(c);
}

static bool container_all_gone(const struct container *c)
{
        for (const struct list_node *n = c->processes.next; n != &c->processes; n = n->next)
                if (!process_gone(list_entry(n, const struct process, node)))
                        return false;
        return true;
}

/* Removal ends when every process was reaped: only then can the cgroup go. */
static void container_finish_remove(struct container *c)
{
        struct list_node removers, failed;
        _cleanup_error_ struct agent_error *setup_err = NULL;

        list_init(&removers);
        list_init(&failed);
        while (!list_empty(&c->removers)) {
                struct list_node *n = c->removers.next;
                list_del(n);
                list_add_tail(&removers, n);
        }
        while (!list_empty(&c->failed_create)) {
                struct list_node *n = c->failed_create.next;
                list_del(n);
                list_add_tail(&failed, n);
        }
        if (c->setup_error)
                agent_error_setf(&setup_err, c->setup_errno, "%s", c->setup_error);
        log_full(LOG_LEVEL_INFO, "container", (const char *const[]){ "container-id", c->id, NULL },
                 "container removed");
        if (c->state != CONTAINER_CREATING)
                hooks_run_detached(c, HOOK_POSTSTOP);
        container_free(c);
        /* Reply after the cleanup so "removed" means nothing is left. */
        while (!list_empty(&removers))
                rpc_call_reply(rpc_call_from_park_node(removers.next), NULL);
        while (!list_empty(&failed))
                rpc_call_reply_error(rpc_call_from_park_node(failed.next), setup_err);
}

void container_process_gone(struct container *c)
{
        if (c->removing && container_all_gone(c))
                container_finish_remove(c);
}

static void container_kill_everything(struct container *c)
{
        for (struct list_node *n = c->processes.next; n != &c->processes; n = n->next) {
                struct process *p = list_entry(n, struct process, node);
                if (p->stage1 > 0)
                        (void) kill(p->stage1, SIGKILL);
                if (p->pid > 0 && p->state != PROCESS_EXITED)
                        (void) kill(p->pid, SIGKILL);
        }
        if (c->cgroup)
                (void) cgroup_kill_all(c->cgroup, SIGKILL);
}

static void remove_timeout_cb(struct loop_timer *t, void *userdata)
{
        struct container *c = userdata;
        _cleanup_error_ struct agent_error *err = NULL;

        (void) t;
        /* The removal goes on; the callers are told it did not finish in time. */
        agent_error_setf(&err, ETIME, "container `%s`: timed out waiting for its processes", c->id);
        while (!list_empty(&c->removers))
                rpc_call_reply_error(rpc_call_from_park_node(c->removers.next), err);
}

static void remover_cancel(struct rpc_call *call, void *data)
{
        (void) call;
        (void) data;
}

int container_remove(struct container *c, struct rpc_call *call, uint32_t timeout_s,
                     struct agent_error **err)
{
        int r;

        c->removing = true;
        container_kill_everything(c);
        if (container_all_gone(c)) {
                container_finish_remove(c);
                rpc_call_reply(call, NULL);
                return 0;
        }
        r = rpc_call_park(call, &c->removers, remover_cancel, c, err);
        if (r < 0)
                return r;
        if (timeout_s > 0 && !c->remove_timer)
                c->remove_timer = loop_add_timer(
                        c->agent->loop, now_ns() + timeout_s * 1000000000ull, remove_timeout_cb, c);
        return 0;
}

/* The init process failed during CreateContainer: undo everything, then answer the Create
 * call with the child's error so that, when the caller hears of it, nothing is left. */
void container_setup_failed(struct container *c, const struct agent_error *err)
{
        struct process *p = c->init;

        if (p && !list_empty(&p->pending)) {
                struct rpc_call *call = rpc_call_from_park_node(p->pending.next);
                list_del(&call->park_node);
                list_add_tail(&c->failed_create, &call->park_node);
        }
        if (!c->setup_error) {
                c->setup_error = xstrdup(err->msg);
                c->setup_errno = err->errno_;
        }
        c->removing = true;
        container_kill_everything(c);
        container_process_gone(c);
}

/* ---- create ---- */

static bool has_namespace(const Grpc__Spec *s, const char *type)
{
        for (size_t i = 0; s->linux && i < s->linux->n_namespaces; i++)
                if (streq(s->linux->namespaces[i]->type, type))
                        return true;
        return false;
}

/* A sysctl must land in a namespace of the container's own: otherwise it would change the
 * whole VM, shared by every container of the pod. IPC keys need an ipc namespace,
 * kernel.domainname a uts one; net.* is allowed as in Kata (the network namespace is the
 * sandbox's); anything else (vm.*, kernel.hostname, ...) is refused. */
static int validate_sysctls(const char *id, const Grpc__Spec *s, struct agent_error **err)
{
        static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb",
                                                "kernel.msgmni", "kernel.sem",
                                                "kernel.shmall", "kernel.shmmax",
                                                "kernel.shmmni", "kernel.shm_rmid_forced" };

        for (size_t i = 0; s->linux && i < s->linux->n_sysctl; i++) {
                const char *key = s->linux->sysctl[i]->key;
                bool ok = false;

                for (size_t k = 0; k < ARRAY_SIZE(ipc_keys); k++)
                        ok |= streq(key, ipc_keys[k]);
                if (ok || startswith(key, "fs.mqueue."))
                        ok = has_namespace(s, "ipc");
                else if (streq(key, "kernel.domainname"))
                        ok = has_namespace(s, "uts");
                else if (startswith(key, "net."))
                        ok = true;
                if (!ok)
                        return agent_error_setf(err, EINVAL,
                                                "container `%s`: field `OCI.Linux.Sysctl`: `%s` "
                                                "is not in a separate kernel namespace",
                                                id, key);
        }
        return 0;
}

int container_validate_request(const Grpc__CreateContainerRequest *req, struct agent_error **err)
{
        const Grpc__Spec *s = req->oci;

        if (!container_id_valid(req->container_id))
                return agent_error_setf(err, EINVAL, "invalid container id `%s`",
                                        req->container_id);
        if (!s)
                return agent_error_setf(err, EINVAL, "container `%s`: field `OCI` is missing",
                                        req->container_id);
        if (!s->root || !s->root->path || s->root->path[0] != '/')
                return agent_error_setf(err, EINVAL,
                                        "container `%s`: field `OCI.Root.Path` must be absolute",
                                        req->container_id);
        if (!s->process || s->process->n_args == 0)
                return agent_error_setf(err, EINVAL,
                                        "container `%s`: field `OCI.Process.Args` is empty",
                                        req->container_id);
        if (s->process->consolesize && spawn_console_size_check(s->process->consolesize->height,
                                                                s->process->consolesize->width,
                                                                "OCI.Process.ConsoleSize", err) < 0)
                return agent_error_wrap(err, "container `%s`", req->container_id);
        if (s->process->cwd && *s->process->cwd && s->process->cwd[0] != '/')
                return agent_error_setf(err, EINVAL,
                                        "container `%s`: field `OCI.Process.Cwd` `%s` must be "
                                        "absolute",
                                        req->container_id, s->process->cwd);
        if (validate_sysctls(req->container_id, s, err) < 0)
                return -EINVAL;
        if (s->linux && cgroup_resources_check(s->linux->resources, err) < 0)
                return agent_error_wrap(err, "container `%s`", req->container_id);
        for (size_t i = 0; i < s->n_mounts; i++)
                if (!s->mounts[i]->destination || s->mounts[i]->destination[0] != '/')
                        return agent_error_setf(
                                err, EINVAL,
                                "container `%s`: field `OCI.Mounts[%zu].destination` must be "
                                "absolute",
                                req->container_id, i);
        return 0;
}

static int setup_bundle(struct container *c, struct agent_error **err)
{
        const char *run_dir = c->agent->run_dir;

        if (mkdir(run_dir, 0711) < 0 && errno != EEXIST)
                return agent_error_set(err, errno, "create run directory `%s`", run_dir);
        c->bundle = xasprintf("%s/%s", run_dir, c->id);
        c->rootfs = xasprintf("%s/rootfs", c->bundle);
        /* Both may exist already: a storage can be mounted there (overlay rootfs). */
        if (mkdir(c->bundle, 0700) < 0 && errno != EEXIST)
                return agent_error_set(err, errno, "create bundle `%s`", c->bundle);
        if (mkdir(c->rootfs, 0755) < 0 && errno != EEXIST)
                return agent_error_set(err, errno, "create `%s`", c->rootfs);
        if (mount(c->req->oci->root->path, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return agent_error_set(err, errno, "bind `%s` to `%s`", c->req->oci->root->path,
                                       c->rootfs);
        c->rootfs_mounted = true;
        return 0;
}

/* The namespaces the process gets: the spec's, with Kata's fix-ups (a new mount namespace
 * always; the pid namespace follows sandbox_pidns: the first container's, or a new one). */
static int setup_namespaces(struct container *c, struct agent_error **err)
{
        const Grpc__Linux *l = c->req->oci->linux;

        for (size_t i = 0; l && i < l->n_namespaces; i++) {
                const Grpc__LinuxNamespace *ns = l->namespaces[i];
                int kind = spawn_ns_from_name(ns->type);
                if (kind < 0) {
                        if (streq(ns->type, "time"))
                                continue;
                        return agent_error_setf(err, EINVAL,
                                                "field `OCI.Linux.Namespaces[%zu].Type`: unknown "
                                                "namespace `%s`",
                                                i, ns->type);
                }
                c->ns[kind].enabled = true;
                if (ns->path && *ns->path)
                        c->ns_paths[kind] = xstrdup(ns->path);
        }
        /* Kata's fix-up: a container asking for its own ipc or uts namespace gets the pod's
         * (persistent, shared by every container of the sandbox). */
        for (int kind = SPAWN_NS_IPC; kind <= SPAWN_NS_UTS; kind++) {
                const char *shared;
                if (!c->ns[kind].enabled || c->ns_paths[kind])
                        continue;
                if (sandbox_shared_ns(c->agent, kind, &shared, err) < 0)
                        return -EIO;
                c->ns_paths[kind] = xstrdup(shared);
        }
        c->ns[SPAWN_NS_MNT].enabled = true;
        free(c->ns_paths[SPAWN_NS_MNT]);
        c->ns_paths[SPAWN_NS_MNT] = NULL;
        c->ns[SPAWN_NS_PID].enabled = true;
        if ((c->req->sandbox_pidns || c->agent->sandbox.pidns) && c->agent->sandbox_pid > 0) {
                free(c->ns_paths[SPAWN_NS_PID]);
                c->ns_paths[SPAWN_NS_PID] = xasprintf("/proc/%d/ns/pid", c->agent->sandbox_pid);
        }
        for (int i = 0; i < _SPAWN_NS_MAX; i++)
                c->ns[i].path = c->ns_paths[i];
        return 0;
}

static const char *annotation(const Grpc__Spec *s, const char *key)
{
        for (size_t i = 0; i < s->n_annotations; i++)
                if (streq(s->annotations[i]->key, key))
                        return s->annotations[i]->value;
        return NULL;
}

/* The container's annotation, else the pod's, else agent.container_pipe_size. A bad value is a
 * warning, never a failed container. */
static void choose_pipe_size(struct container *c)
{
        static const char *const keys[] = { CONTAINER_PIPE_SIZE_ANNOTATION,
                                            POD_PIPE_SIZE_ANNOTATION };
        const char *const kv[] = { "container-id", c->id, NULL };

        c->pipe_size = c->agent->config.container_pipe_size;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                const char *v = annotation(c->req->oci, keys[i]);
                uint64_t n;

                if (!v)
                        continue;
                if (parse_u64(v, 10, &n) < 0 || n > INT32_MAX) {
                        log_full(LOG_LEVEL_WARN, "stdio", kv,
                                 "invalid value `%s` for annotation `%s`, using %u", v, keys[i],
                                 c->pipe_size);
                        continue;
                }
                c->pipe_size = (uint32_t) n;
                return;
        }
}

static int setup_cgroup(struct container *c, const struct cgroup_device_rule *rules, size_t n_rules,
                        struct agent_error **err)
{
        const Grpc__Linux *l = c->req->oci->linux;
        Grpc__LinuxResources none = GRPC__LINUX_RESOURCES__INIT;
        _cleanup_free_ char *path = NULL;
        int r;

        path = l && l->cgroupspath && *l->cgroupspath ? xstrdup(l->cgroupspath)
                                                      : xasprintf("/cata/%s", c->id);
        r = cgroup_new(c->agent->cgroup_root, path, &c->cgroup, err);
        if (r < 0)
                return r;
        restart_note_cgroup(c->bundle, path);
        cgroup_set_extra_device_rules(c->cgroup, rules, n_rules);
        if ((l && l->resources) || n_rules)
                r = cgroup_apply(c->cgroup, l && l->resources ? l->resources : &none, err);
        return r;
}

/* The guest kernel of a Kata VM runs neither AppArmor nor SELinux for containers; the runtime
 * clears the labels by default. Accept them, say so in the debug log. */
static void note_ignored_fields(const struct container *c)
{
        const Grpc__Spec *s = c->req->oci;
        const char *const kv[] = { "container-id", c->id, NULL };

        if (s->process->apparmorprofile && *s->process->apparmorprofile)
                log_full(LOG_LEVEL_DEBUG, "container", kv, "ignoring apparmor profile `%s`",
                         s->process->apparmorprofile);
        if (s->process->selinuxlabel && *s->process->selinuxlabel)
                log_full(LOG_LEVEL_DEBUG, "container", kv, "ignoring selinux label `%s`",
                         s->process->selinuxlabel);
        if (s->linux && s->linux->mountlabel && *s->linux->mountlabel)
                log_full(LOG_LEVEL_DEBUG, "container", kv, "ignoring selinux mount label `%s`",
                         s->linux->mountlabel);
}

static int spawn_init(struct container *c, struct rpc_call *call, struct agent_error **err)
{
        const Grpc__Spec *spec = c->req->oci;
        struct spawn_config cfg = {
                .init = true, .spec = spec, .rootfs = c->rootfs, .reset_oom_score = true
        };
        struct identity *id = NULL;
        struct seccomp_filter *sc = NULL;
        int r;

        note_ignored_fields(c);
        r = identity_new(spec->process, &id, err);
        if (r >= 0 && spec->linux && spec->linux->seccomp)
                r = seccomp_filter_new(spec->linux->seccomp, &sc, err);
        if (r >= 0) {
                memcpy(cfg.ns, c->ns, sizeof(cfg.ns));
                cfg.cgroup = c->cgroup;
                cfg.identity = id;
                cfg.seccomp = sc;
                c->init = process_new(c, c->id, true);
                c->init->passfd_ports[0] = c->req->stdin_port;
                c->init->passfd_ports[1] = c->req->stdout_port;
                c->init->passfd_ports[2] = c->req->stderr_port;
                r = process_spawn(c->init, &cfg, spec->process, call, err);
        }
        identity_free(id);
        seccomp_filter_free(sc);
        return r;
}

int container_create(struct agent *a, struct rpc_call *call, const struct cgroup_device_rule *rules,
                     size_t n_rules, struct agent_error **err)
{
        Grpc__CreateContainerRequest *req = (Grpc__CreateContainerRequest *) call->req;
        struct container *c;
        int r;

        r = container_validate_request(req, err);
        if (r < 0)
                return r;
        if (container_find(a, req->container_id))
                return agent_error_setf(err, EEXIST, "container `%s` already exists",
                                        req->container_id);
        c = xzalloc(sizeof(*c));
        c->agent = a;
        c->id = xstrdup(req->container_id);
        c->req = req;
        call->req = NULL; /* the container owns the request (and its spec) from now on */
        c->state = CONTAINER_CREATING;
        list_init(&c->processes);
        list_init(&c->removers);
        list_init(&c->failed_create);
        list_init(&c->start_waiters);
        list_add_tail(&a->containers, &c->node);
        c->span = trace_span_begin(a->tracer, "container", call->span, NULL);
        trace_span_attr(c->span, "container_id", c->id);

        choose_pipe_size(c);
        /* Storages first, as Kata: the rootfs may be one of them. */
        r = storage_acquire(a, req->storages, req->n_storages, c->id, &c->storages, err);
        if (r >= 0)
                r = setup_bundle(c, err);
        if (r >= 0)
                r = setup_namespaces(c, err);
        if (r >= 0)
                r = setup_cgroup(c, rules, n_rules, err);
        if (r >= 0)
                r = spawn_init(c, call, err);
        if (r < 0) {
                agent_error_wrap(err, "container `%s`", c->id);
                if (c->init && !list_empty(&c->init->pending)) {
                        /* Parked already: finish through the failure path. */
                        container_setup_failed(c, *err);
                        return 0;
                }
                c->removing = true;
                container_kill_everything(c);
                if (container_all_gone(c))
                        container_free(c);
                return r;
        }
        if (a->sandbox_pid == 0 && c->ns[SPAWN_NS_PID].enabled && !c->ns[SPAWN_NS_PID].path)
                c->sandbox_pidns_candidate = true;
        return 0;
}

static int container_release_init(struct container *c, struct rpc_call *call,
                                  struct agent_error **err)
{
        int r = process_start(c->init, call, err);

        if (r >= 0 && c->sandbox_pidns_candidate && c->agent->sandbox_pid == 0)
                c->agent->sandbox_pid = c->init->pid;
        /* Kata watches every container but the sandbox's own (pause) for OOM kills. */
        if (r >= 0 && !streq(c->id, c->agent->sandbox.id))
                (void) oom_watch(c);
        return r;
}

static void prestart_done(struct container *c, const struct agent_error *err)
{
        _cleanup_error_ struct agent_error *start_err = NULL;
        struct rpc_call *call = c->start_call;

        c->start_call = NULL;
        if (!call)
                return; /* the caller went away; the container stays created */
        rpc_call_unpark(call);
        if (err)
                rpc_call_reply_error(call, err);
        else if (!c->init || c->removing)
                rpc_call_reply_status(call, RPC_NOT_FOUND, "container `%s` has no init process",
                                      c->id);
        else if (container_release_init(c, call, &start_err) < 0)
                rpc_call_reply_error(call, start_err);
}

static void start_cancel(struct rpc_call *call, void *data)
{
        struct container *c = data;

        (void) call;
        c->start_call = NULL;
}

/* Prestart hooks run when StartContainer arrives, before the init process is released: its
 * namespaces exist and its rootfs is in place (Kata runs them a little earlier, before
 * pivot_root; hooks that look at the container's namespaces see the same either way). */
int container_start(struct container *c, struct rpc_call *call, struct agent_error **err)
{
        int r;

        if (!c->init || c->removing)
                return agent_error_setf(err, ENOENT, "container `%s` has no init process", c->id);
        if (!hooks_any(c, HOOK_PRESTART))
                return container_release_init(c, call, err);
        if (c->start_call || c->hooks_run)
                return agent_error_setf(err, EBUSY, "container `%s` is already starting", c->id);
        r = rpc_call_park(call, &c->start_waiters, start_cancel, c, err);
        if (r < 0)
                return r;
        c->start_call = call;
        r = hooks_run(c, HOOK_PRESTART, prestart_done);
        if (r < 0) {
                c->start_call = NULL;
                rpc_call_unpark(call);
                return agent_error_set(err, -r, "container `%s`: prestart hooks", c->id);
        }
        return 0;
}

static void poststart_done(struct container *c, const struct agent_error *err)
{
        struct rpc_call *call = c->start_call;

        /* As in the OCI spec: a failed poststart hook is logged, the container runs on. */
        if (err)
                log_warn("%s", err->msg);
        c->start_call = NULL;
        if (call) {
                rpc_call_unpark(call);
                rpc_call_reply(call, NULL);
        }
}

/* The init process exec'd. Like Kata, StartContainer answers once the poststart hooks ran: true
 * when this took the call (parked on `pending`) for that. */
bool container_started(struct container *c, struct list_node *pending)
{
        struct rpc_call *call;

        if (list_empty(pending) || !hooks_any(c, HOOK_POSTSTART) || c->hooks_run)
                return false;
        call = rpc_call_from_park_node(pending->next);
        rpc_call_unpark(call);
        (void) rpc_call_park(call, &c->start_waiters, start_cancel, c, NULL);
        c->start_call = call;
        if (hooks_run(c, HOOK_POSTSTART, poststart_done) < 0) {
                log_warn("container `%s`: poststart hooks not run", c->id);
                poststart_done(c, NULL);
        }
        return true;
}

int container_pause(struct container *c, bool pause, struct agent_error **err)
{
        int r;

        if (!c->cgroup)
                return agent_error_setf(err, ENOENT, "container `%s` has no cgroup", c->id);
        r = cgroup_freeze(c->cgroup, pause, err);
        if (r < 0)
                return agent_error_wrap(err, "container `%s`", c->id);
        if (c->state == CONTAINER_RUNNING || c->state == CONTAINER_PAUSED)
                c->state = pause ? CONTAINER_PAUSED : CONTAINER_RUNNING;
        return 0;
}

int container_update(struct container *c, const Grpc__LinuxResources *res, struct agent_error **err)
{
        int r;

        if (!res)
                return 0;
        r = cgroup_apply(c->cgroup, res, err);
        if (r < 0)
                return agent_error_wrap(err, "container `%s`: update resources", c->id);
        return 0;
}

int container_stats(struct container *c, Grpc__StatsContainerResponse *ret,
                    struct agent_error **err)
{
        int r = cgroup_stats(c->cgroup, &ret->cgroup_stats, err);

        if (r < 0)
                return agent_error_wrap(err, "container `%s`: stats", c->id);
        return 0;
}

void container_free_all(struct agent *a)
{
        while (!list_empty(&a->containers)) {
                struct container *c = list_first_entry(&a->containers, struct container, node);
                container_kill_everything(c);
                container_free(c);
        }
}
