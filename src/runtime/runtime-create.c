/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create, start, run: the agent's CreateContainer/StartContainer path (src/agent/container.c,
 * process.c) without the event loop, since a CLI may block.
 *
 *   create: bundle -> state dir + exec.fifo -> namespaces (as the spec says) -> cgroup ->
 *           identity, seccomp -> spawn_start(.init, .exec_fifo) -> sync messages until READY
 *           -> state.json -> console master to --console-socket -> prestart, createRuntime,
 *           createContainer hooks -> --pid-file. The init now blocks opening the FIFO.
 *   start:  open the FIFO, read "0", remove it; EOF means the process exec'd, a record means
 *           it failed (startContainer hook, identity, seccomp, execve) -> poststart hooks.
 *   run:    both, then wait for the init (our child: CLONE_PARENT) and delete.
 *
 * A failed create leaves nothing behind (processes, cgroup, FIFO, state directory), so the id
 * can be used again at once.
 */
#include "agent/container.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "engine/identity.h"
#include "engine/seccomp.h"
#include "oci/spec-json.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A stage that neither reports nor dies (frozen by someone else, stuck in a mount) must not
 * hold the command forever: setup takes milliseconds, hooks are not part of it. */
#define SETUP_TIMEOUT_S 60u

struct create_opts {
        const char *id;
        const char *bundle;
        const char *pid_file;
        const char *console_socket;
        bool detach;
        bool relay; /* foreground run: a terminal without a socket is relayed by the runtime */
        bool keep;  /* run: keep the stopped container (no delete) */
        unsigned preserve_fds;
};

/* What config.json holds beyond Kata's protocol (read_config_extras). */
struct config_extras {
        char *domainname; /* NULL: none */
        bool has_umask;
        mode_t umask;
        bool has_default_errno;
        uint32_t default_errno;
};

/* What create builds; everything is undone by creation_undo() until it succeeds. */
struct creation {
        const struct rt_context *ctx;
        const struct create_opts *opts;
        struct rt_state *st;
        struct cgroup *cg;
        struct identity *identity;
        struct seccomp_filter *seccomp;
        struct rt_console con;
        struct spawn_ns_config ns[_SPAWN_NS_MAX];
        struct rt_spawned sp;
        int sync_fd;
        bool dir_made;
        struct config_extras extras;
};

/* ---- the bundle ---- */

/* Reads <bundle>/config.json; a relative root.path is taken from the bundle. */
static int load_bundle(const char *bundle, const char *id, char **ret_bundle, Grpc__Spec **ret,
                       struct agent_error **err)
{
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        _cleanup_(spec_freep) Grpc__Spec *spec = NULL;
        _cleanup_free_ char *abs = NULL;
        int r;

        if (spec_from_bundle(bundle, &spec, &abs, err) < 0)
                return -EINVAL;
        req.container_id = (char *) id;
        req.oci = spec;
        r = container_validate_request(&req, err);
        if (r < 0)
                return r;
        *ret_bundle = TAKE_PTR(abs);
        *ret = TAKE_PTR(spec);
        return 0;
}

/* An optional unsigned integer field at most max: 0 absent, 1 read, < 0 wrong. */
static int json_uint_field(json_t *v, json_int_t max, const char *path, const char *field,
                           uint32_t *ret, struct agent_error **err)
{
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
                return agent_error_setf(err, EINVAL, "`%s`: %s: expected an integer from 0 to %lld",
                                        path, field, (long long) max);
        *ret = (uint32_t) json_integer_value(v);
        return 1;
}

/* Fields Kata's protocol lacks (spec_from_json drops them), read from config.json itself:
 * process.user.umask and linux.seccomp.defaultErrnoRet are applied; linux.resources.unified
 * (raw cgroup v2 files) and linux.seccomp.listenerPath cannot be applied by the engine, so
 * they are refused rather than dropped (a seccomp agent would wait for a connection
 * forever). */
static int read_config_extras(const char *bundle, struct config_extras *x, struct agent_error **err)
{
        _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
        json_error_t je;
        json_t *root = json_load_file(path, JSON_ALLOW_NUL, &je), *l, *v;
        uint32_t u = 0;
        int r;

        l = json_object_get(root, "linux");
        v = json_object_get(json_object_get(l, "resources"), "unified");
        if (json_object_size(v) > 0) {
                json_decref(root);
                return agent_error_setf(err, EOPNOTSUPP,
                                        "`%s`: invalid configuration: "
                                        "linux.resources.unified is not supported (set the "
                                        "limits through the typed fields)",
                                        path);
        }
        v = json_object_get(root, "domainname");
        if (json_string_length(v) > 0)
                x->domainname = xstrdup(json_string_value(v));
        v = json_object_get(json_object_get(l, "seccomp"), "listenerPath");
        if (json_string_length(v) > 0) {
                json_decref(root);
                return agent_error_setf(err, EOPNOTSUPP,
                                        "`%s`: linux.seccomp.listenerPath is not supported "
                                        "(nor is SCMP_ACT_NOTIFY)",
                                        path);
        }
        v = json_object_get(json_object_get(json_object_get(root, "process"), "user"), "umask");
        r = json_uint_field(v, 0777, path, "process.user.umask", &u, err);
        x->has_umask = r > 0;
        x->umask = (mode_t) u;
        v = json_object_get(json_object_get(l, "seccomp"), "defaultErrnoRet");
        if (r >= 0)
                r = json_uint_field(v, UINT32_MAX, path, "linux.seccomp.defaultErrnoRet",
                                    &x->default_errno, err);
        x->has_default_errno = r > 0;
        json_decref(root);
        return r < 0 ? r : 0;
}

/* Exactly the spec's namespaces: new ones, or joined by path. The rootfs is set up in the new
 * mount namespace, so one is required. */
static int setup_namespaces(const Grpc__Spec *s, struct spawn_ns_config ns[_SPAWN_NS_MAX],
                            struct agent_error **err)
{
        const Grpc__Linux *l = s->linux;

        for (size_t i = 0; l && i < l->n_namespaces; i++) {
                const Grpc__LinuxNamespace *n = l->namespaces[i];
                int kind = spawn_ns_from_name(n->type);
                if (kind < 0)
                        return agent_error_setf(err, EINVAL,
                                                "linux.namespaces[%zu].type: namespace `%s` is "
                                                "not supported",
                                                i, n->type);
                if (ns[kind].enabled)
                        return agent_error_setf(err, EINVAL,
                                                "linux.namespaces[%zu]: duplicate `%s` namespace",
                                                i, n->type);
                ns[kind].enabled = true;
                ns[kind].path = n->path && *n->path ? n->path : NULL;
        }
        /* The rootfs is set up (and pivot_root'ed) inside the container's mount namespace: a
         * new one, or one joined by path, as runc does. Setting it up in the runtime's own
         * namespace would pivot the host: refused. */
        if (!ns[SPAWN_NS_MNT].enabled)
                return agent_error_setf(err, EINVAL,
                                        "linux.namespaces: a `mount` namespace is required");
        return 0;
}

/* True when the namespace at path is the runtime's own (joining it is no isolation). */
static bool ns_is_own(const char *path, const char *name)
{
        _cleanup_free_ char *self = xasprintf("/proc/self/ns/%s", name);
        struct stat a, b;

        return stat(path, &a) == 0 && stat(self, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

/* The agent lets net.* through because a pod's containers share the VM's network namespace by
 * design. Here there is no VM: without a network namespace of the container's own, a net.*
 * sysctl would be written into the host's. (The other keys are checked with the agent's
 * rules in load_bundle.) */
static int check_sysctls(const Grpc__Spec *s, const struct spawn_ns_config ns[_SPAWN_NS_MAX],
                         struct agent_error **err)
{
        const struct spawn_ns_config *net = &ns[SPAWN_NS_NET];
        bool own = net->enabled && !(net->path && ns_is_own(net->path, "net"));

        for (size_t i = 0; s->linux && i < s->linux->n_sysctl && !own; i++)
                if (startswith(s->linux->sysctl[i]->key, "net."))
                        return agent_error_setf(err, EINVAL,
                                                "linux.sysctl: `%s` needs a network namespace "
                                                "of the container's own: it would change the "
                                                "host's",
                                                s->linux->sysctl[i]->key);
        return 0;
}

/* Sharing a cgroup with other processes is allowed (runc warns the same way), but limits,
 * pause and kill --all then reach them too. */
static void warn_not_empty(struct cgroup *cg)
{
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;

        if (cgroup_pids(cg, &pids, &n) >= 0 && n > 0)
                rt_log(RT_LOG_WARN,
                       "container's cgroup is not empty: %zu process(es) already in `%s`", n,
                       cgroup_path(cg));
}

/* domainname needs a uts namespace of the container's own, and says the same as a
 * kernel.domainname sysctl would: both with different values is a conflict (crun). */
static int check_domainname(const Grpc__Spec *s, const struct spawn_ns_config ns[_SPAWN_NS_MAX],
                            const char *domainname, struct agent_error **err)
{
        if (!domainname)
                return 0;
        if (!ns[SPAWN_NS_UTS].enabled)
                return agent_error_setf(err, EINVAL,
                                        "domainname `%s` needs a uts namespace of the container's "
                                        "own",
                                        domainname);
        for (size_t i = 0; s->linux && i < s->linux->n_sysctl; i++)
                if (streq(s->linux->sysctl[i]->key, "kernel.domainname") &&
                    !streq(s->linux->sysctl[i]->value, domainname))
                        return agent_error_setf(err, EINVAL,
                                                "domainname `%s` and linux.sysctl "
                                                "`kernel.domainname` `%s` differ",
                                                domainname, s->linux->sysctl[i]->value);
        return 0;
}

static int setup_cgroup(struct creation *c, struct agent_error **err)
{
        const Grpc__Linux *l = c->st->spec->linux;
        _cleanup_free_ char *path = NULL;
        bool frozen = false;
        int r;

        path = l && l->cgroupspath && *l->cgroupspath ? xstrdup(l->cgroupspath)
                                                      : xasprintf("/cata-runtime/%s", c->st->id);
        /* The child would freeze on joining and never report: refuse before anything is made,
         * so the frozen cgroup is left as it was (runc's wording). */
        r = cgroup_frozen(CGROUP_ROOT, path, &frozen, err);
        if (r >= 0 && frozen)
                return agent_error_setf(
                        err, EBUSY, "cgroup `%s`: container's cgroup unexpectedly frozen", path);
        if (r >= 0)
                r = cgroup_new(CGROUP_ROOT, path, &c->cg, err);
        if (r >= 0)
                warn_not_empty(c->cg);
        if (r >= 0 && l && l->resources)
                r = cgroup_apply(c->cg, l->resources, err);
        if (r >= 0)
                c->st->cgroup_path = xstrdup(cgroup_path(c->cg));
        return r;
}

static int mkdir_p(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* The host id that id 0 of the container maps to (0 without a mapping). */
static uint32_t host_id(Grpc__LinuxIDMapping **m, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (m[i]->containerid == 0 && m[i]->size > 0)
                        return m[i]->hostid;
        return 0;
}

/* <root>/<id>/ (which must not exist yet) and its exec.fifo. */
static int make_state_dir(struct creation *c, struct agent_error **err)
{
        const Grpc__Linux *l = c->st->spec->linux;
        _cleanup_free_ char *dir = rt_state_dir(c->ctx, c->opts->id);
        _cleanup_free_ char *fifo = rt_fifo_path(c->ctx, c->opts->id);
        int r = mkdir_p(c->ctx->root, 0711);

        if (r < 0)
                return agent_error_set(err, -r, "create state root `%s`", c->ctx->root);
        if (mkdir(dir, 0711) < 0) {
                if (errno == EEXIST)
                        return agent_error_setf(err, EEXIST, "container `%s` already exists",
                                                c->opts->id);
                return agent_error_set(err, errno, "create state directory `%s`", dir);
        }
        c->dir_made = true;
        if (mkfifo(fifo, 0600) < 0)
                return agent_error_set(err, errno, "create exec fifo `%s`", fifo);
        /* The init opens it for writing as the container's root, which a user namespace maps
         * to another uid: give it to that one, as runc does. */
        if (chown(fifo, host_id(l ? l->uidmappings : NULL, l ? l->n_uidmappings : 0),
                  host_id(l ? l->gidmappings : NULL, l ? l->n_gidmappings : 0)) < 0)
                return agent_error_set(err, errno, "chown exec fifo `%s`", fifo);
        return 0;
}

/* ---- sync messages ---- */

/* Stage 1 made a user namespace: write its maps from outside, as the agent does. */
static int handle_userns(int sync_fd, const Grpc__Spec *spec, pid_t pid, struct agent_error **err)
{
        const Grpc__Linux *l = spec->linux;
        int r = 0;

        r = spawn_write_id_maps(pid, l);
        if (r < 0)
                return agent_error_set(err, -r, "write the user namespace maps of %d", (int) pid);
        r = spawn_send(sync_fd, SPAWN_MSG_USERNS_DONE, 0);
        if (r < 0)
                return agent_error_set(err, -r, "answer the user namespace request");
        return 0;
}

/* 1 = done (READY for init, EOF for exec), 0 = go on, < 0 = failed. */
static int handle_msg(int sync_fd, bool init, const Grpc__Spec *spec, struct rt_spawned *sp, int r,
                      const struct spawn_msg *m, struct agent_error **err)
{
        if (r < 0)
                return agent_error_set(err, -r, "read the sync socket");
        if (r == 0)
                return init ? agent_error_setf(err, ECHILD, "the process exited during setup") : 1;
        switch (m->type) {
        case SPAWN_MSG_PID:
                sp->pid = m->value;
                return 0;
        case SPAWN_MSG_USERNS:
                return handle_userns(sync_fd, spec, m->value, err);
        case SPAWN_MSG_READY:
                return init ? 1 : 0;
        case SPAWN_MSG_ERROR:
                return agent_error_set(err, m->value, "%s", m->text);
        default:
                return 0;
        }
}

/* After stage 1 is gone its PID message, if any, is queued; so may be an ERROR that stage 2
 * sent right after READY. Returns r, or the error. */
static int drain(int sync_fd, struct rt_spawned *sp, int r, struct agent_error **err)
{
        struct spawn_msg m;

        while (spawn_recv(sync_fd, &m) == 1) {
                if (m.type == SPAWN_MSG_PID)
                        sp->pid = m.value;
                else if (m.type == SPAWN_MSG_ERROR && r >= 0)
                        r = agent_error_set(err, m.value, "%s", m.text);
        }
        return r;
}

int rt_spawn_wait(int sync_fd, bool init, const Grpc__Spec *spec, struct rt_spawned *sp,
                  struct agent_error **err)
{
        uint64_t deadline = now_ns() + SETUP_TIMEOUT_S * 1000000000ull;
        int r;

        for (;;) {
                struct pollfd p = { .fd = sync_fd, .events = POLLIN };
                struct spawn_msg m;
                int got = spawn_recv(sync_fd, &m);

                if (got == -EAGAIN && now_ns() > deadline) {
                        r = agent_error_setf(err, ETIMEDOUT,
                                             "the process did not finish its setup within %u s "
                                             "(is its cgroup frozen?)",
                                             SETUP_TIMEOUT_S);
                        break;
                }
                if (got == -EAGAIN) {
                        (void) poll(&p, 1, 1000);
                        continue;
                }
                r = handle_msg(sync_fd, init, spec, sp, got, &m, err);
                if (r != 0)
                        break;
        }
        if (r < 0 && sp->stage1 > 0)
                rt_kill_reap(sp->stage1);
        else if (sp->stage1 > 0)
                (void) waitpid(sp->stage1, NULL, 0);
        sp->stage1 = 0;
        r = drain(sync_fd, sp, r, err);
        if (r > 0 && sp->pid <= 0)
                r = agent_error_setf(err, ECHILD, "stage 1 did not report the process's pid");
        if (r < 0 && sp->pid > 0) {
                rt_kill_reap(sp->pid);
                sp->pid = 0;
        }
        return r < 0 ? r : 0;
}

void rt_kill_reap(pid_t pid)
{
        (void) kill(pid, SIGKILL);
        /* A task in a frozen v1 cgroup does not die until thawed: never wait for it forever.
         * One left unreaped is reparented when the runtime exits. */
        for (int i = 0; i < 200; i++) {
                if (waitpid(pid, NULL, WNOHANG) != 0)
                        return;
                struct timespec ts = { .tv_nsec = 10 * 1000000L };
                (void) nanosleep(&ts, NULL);
        }
        rt_log(RT_LOG_WARN, "process %d did not exit after SIGKILL", (int) pid);
}

/* ---- create ---- */

static void creation_undo(struct creation *c)
{
        _cleanup_error_ struct agent_error *err = NULL;

        if (c->cg)
                (void) cgroup_kill_all(c->cg, SIGKILL);
        if (c->sp.stage1 > 0)
                rt_kill_reap(c->sp.stage1);
        if (c->sp.pid > 0)
                rt_kill_reap(c->sp.pid);
        if (c->cg && cgroup_destroy(c->cg, &err) < 0)
                rt_log(RT_LOG_WARN, "%s", err->msg);
        c->cg = NULL;
        if (c->dir_made)
                rt_state_remove(c->ctx, c->opts->id);
}

static void creation_done(struct creation *c)
{
        free(c->extras.domainname);
        c->extras.domainname = NULL;
        c->cg = cgroup_free(c->cg);
        c->identity = identity_free(c->identity);
        c->seccomp = seccomp_filter_free(c->seccomp);
        rt_console_close(&c->con);
        if (c->sync_fd >= 0)
                close_and_reset(&c->sync_fd);
}

static int check_console(struct creation *c, struct agent_error **err)
{
        const Grpc__Process *p = c->st->spec->process;
        const char *sock = c->opts->console_socket;

        /* Without a socket the runtime keeps the master and relays it, as runc and crun do;
         * only a foreground `run` stays around to do that. */
        if (p->terminal && !sock && !c->opts->relay)
                return agent_error_setf(err, EINVAL,
                                        "process.terminal is true: --console-socket is required "
                                        "with create and with run --detach");
        if (!p->terminal && sock)
                return agent_error_setf(err, EINVAL,
                                        "--console-socket given but process.terminal is false");
        if (!p->terminal)
                return 0;
        return rt_console_open(sock, p, &c->con, err);
}

/* Everything up to the running stage 2, reporting READY. */
static int creation_spawn(struct creation *c, struct agent_error **err)
{
        const Grpc__Spec *spec = c->st->spec;
        size_t n_hooks;
        const Grpc__Hook *const *hooks = rt_hooks_of(spec, RT_HOOK_START_CONTAINER, &n_hooks);
        _cleanup_free_ char *fifo = rt_fifo_path(c->ctx, c->opts->id);
        _cleanup_free_ char *state = NULL;
        struct spawn_config cfg = {
                .init = true,
                .spec = spec,
                .process = spec->process,
                .rootfs = spec->root->path,
                .cgroup = c->cg,
                .identity = c->identity,
                .seccomp = c->seccomp,
                .terminal = spec->process->terminal,
                .exec_fifo = fifo,
                .start_hooks = hooks,
                .n_start_hooks = n_hooks,
                .create_cwd = true,
                .has_umask = c->extras.has_umask,
                .umask = c->extras.umask,
                .preserve_fds = c->opts->preserve_fds,
                .domainname = c->extras.domainname,
        };
        int r;

        memcpy(cfg.ns, c->ns, sizeof(cfg.ns));
        rt_stdio_for(&c->con, cfg.stdio);
        /* The pid is not known before the fork: startContainer hooks get the state without it. */
        state = rt_state_json(c->st, RT_STATUS_CREATED, false, false);
        cfg.state_json = state;
        r = spawn_start(&cfg, &c->sp.stage1, &c->sync_fd, err);
        if (r < 0)
                return r;
        if (c->con.slave >= 0)
                close_and_reset(&c->con.slave);
        return rt_spawn_wait(c->sync_fd, true, spec, &c->sp, err);
}

static int creation_prepare(struct creation *c, struct agent_error **err)
{
        const Grpc__Spec *spec = c->st->spec;
        char created[64];
        int r;

        r = make_state_dir(c, err);
        if (r >= 0)
                r = check_console(c, err);
        if (r >= 0)
                r = setup_namespaces(spec, c->ns, err);
        if (r >= 0)
                r = check_sysctls(spec, c->ns, err);
        if (r >= 0)
                r = check_domainname(spec, c->ns, c->extras.domainname, err);
        if (r >= 0)
                r = setup_cgroup(c, err);
        if (r >= 0)
                r = identity_new(spec->process, &c->identity, err);
        if (r >= 0 && spec->linux && spec->linux->seccomp)
                r = seccomp_filter_new_with(spec->linux->seccomp,
                                            c->extras.has_default_errno ? &c->extras.default_errno
                                                                        : NULL,
                                            &c->seccomp, err);
        if (r < 0)
                return r;
        rfc3339_now(created, sizeof(created));
        c->st->created = xstrdup(created);
        for (int i = 0; i < _SPAWN_NS_MAX; i++)
                c->st->ns[i] = c->ns[i].enabled;
        return 0;
}

/* After READY: the state, the console, the hooks of the runtime namespace, the pid file. */
static int creation_finish(struct creation *c, struct agent_error **err)
{
        static const enum rt_hook_kind kinds[] = { RT_HOOK_PRESTART, RT_HOOK_CREATE_RUNTIME,
                                                   RT_HOOK_CREATE_CONTAINER };
        _cleanup_free_ char *state = NULL;
        int r;

        c->st->pid = c->sp.pid;
        r = rt_pid_start_time(c->st->pid, &c->st->pid_start_time);
        if (r < 0)
                return agent_error_set(err, -r, "read the start time of process %d",
                                       (int) c->st->pid);
        r = rt_state_save(c->ctx, c->st, err);
        if (r >= 0 && c->con.sock >= 0)
                r = rt_console_send(&c->con, err);
        /* The process is created and waiting: hooks see "created", as the spec's lifecycle
         * (and the conformance suite) expect. */
        state = rt_state_json(c->st, RT_STATUS_CREATED, false, false);
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(kinds); i++)
                r = rt_hooks_run(c->st->spec, kinds[i], state, err);
        if (r >= 0 && c->opts->pid_file)
                r = rt_write_pid_file(c->opts->pid_file, c->st->pid, err);
        return r;
}

/* On success *ret is the created container's state, *ret_sync the open sync socket (the
 * caller closes it; while it is open the child reports late errors there, not on stderr) and
 * *ret_master the pty master to relay (or -EBADF). */
static int rt_create(const struct rt_context *ctx, const struct create_opts *o,
                     struct rt_state **ret, int *ret_sync, int *ret_master,
                     struct agent_error **err)
{
        struct creation c = {
                .ctx = ctx,
                .opts = o,
                .con = { .sock = -EBADF, .master = -EBADF, .slave = -EBADF },
                .sync_fd = -EBADF,
        };
        int r;

        c.st = xzalloc(sizeof(*c.st));
        c.st->id = xstrdup(o->id);
        r = load_bundle(o->bundle, o->id, &c.st->bundle, &c.st->spec, err);
        if (r >= 0)
                r = read_config_extras(c.st->bundle, &c.extras, err);
        if (r >= 0) {
                c.st->rootfs = xstrdup(c.st->spec->root->path);
                r = creation_prepare(&c, err);
        }
        if (r >= 0)
                r = creation_spawn(&c, err);
        if (r >= 0)
                r = creation_finish(&c, err);
        if (r < 0) {
                creation_undo(&c);
                creation_done(&c);
                rt_state_free(c.st);
                return r;
        }
        rt_log(RT_LOG_INFO, "container `%s` created, pid %d", o->id, (int) c.st->pid);
        *ret_sync = TAKE_FD(c.sync_fd);
        *ret_master = TAKE_FD(c.con.master);
        creation_done(&c);
        *ret = c.st;
        return 0;
}

/* ---- start ---- */

/* Waits for the init to open the FIFO (it is blocked in open(O_WRONLY)) and takes its byte. */
static int fifo_handshake(const struct rt_state *st, int fd, struct agent_error **err)
{
        char c;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, 100) == 0) {
                        if (!rt_pid_alive(st->pid, st->pid_start_time))
                                return agent_error_setf(err, ESRCH, "the init process is gone");
                        continue;
                }
                n = read(fd, &c, 1);
                if (n == 1)
                        return c == '0' ? 0 : agent_error_setf(err, EPROTO, "exec fifo: bad byte");
                if (n == 0 || (errno != EAGAIN && errno != EINTR))
                        return agent_error_setf(err, EPROTO, "exec fifo closed without a byte");
        }
}

/* After the byte: EOF alone = execve done; "<errno> <text>" = it failed. */
static int fifo_result(int fd, struct agent_error **err)
{
        char buf[600], *text = NULL;
        size_t len = 0;
        long e;

        while (len < sizeof(buf) - 1) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

                if (n > 0)
                        len += (size_t) n;
                else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                        break;
                else if (errno == EAGAIN)
                        (void) poll(&p, 1, -1);
        }
        buf[len] = '\0';
        if (len == 0)
                return 0;
        e = strtol(buf, &text, 10);
        if (*text == ' ')
                text++;
        return agent_error_set(err, e > 0 && e < 4096 ? (int) e : EIO, "%s", text);
}

/* The init failed after the handshake: nothing of it may run on. The state stays (stopped)
 * for `delete`, as the OCI lifecycle wants. */
static void start_failed(const struct rt_state *st)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct cgroup *cg = NULL;

        if (rt_pid_alive(st->pid, st->pid_start_time))
                (void) kill(st->pid, SIGKILL);
        if (cgroup_new(CGROUP_ROOT, st->cgroup_path, &cg, &err) >= 0)
                (void) cgroup_kill_all(cg, SIGKILL);
        cgroup_free(cg);
}

static int rt_start(const struct rt_context *ctx, const struct rt_state *st,
                    struct agent_error **err)
{
        _cleanup_free_ char *fifo = rt_fifo_path(ctx, st->id);
        _cleanup_error_ struct agent_error *hook_err = NULL;
        _cleanup_free_ char *state = NULL;
        _cleanup_close_ int fd = -EBADF;
        enum rt_status s = rt_status(ctx, st);
        int r;

        if (s != RT_STATUS_CREATED)
                return agent_error_setf(err, EINVAL, "container `%s` is %s, not created", st->id,
                                        rt_status_name(s));
        fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return agent_error_set(err, errno, "open exec fifo `%s`", fifo);
        r = fifo_handshake(st, fd, err);
        (void) unlink(fifo);
        if (r >= 0)
                r = fifo_result(fd, err);
        if (r < 0) {
                start_failed(st);
                return agent_error_wrap(err, "container `%s`", st->id);
        }
        rt_log(RT_LOG_INFO, "container `%s` started", st->id);
        state = rt_state_json(st, RT_STATUS_RUNNING, false, false);
        if (rt_hooks_run(st->spec, RT_HOOK_POSTSTART, state, &hook_err) < 0)
                rt_log(RT_LOG_WARN, "container `%s`: %s", st->id, hook_err->msg);
        return 0;
}

/* ---- the commands ---- */

static int parse_create_opts(struct rt_context *ctx, int argc, char **argv, bool run,
                             struct create_opts *o)
{
        enum {
                OPT_PID_FILE = 256,
                OPT_CONSOLE_SOCKET,
                OPT_PRESERVE_FDS,
                OPT_KEEP,
                OPT_NO_PIVOT,
                OPT_NO_NEW_KEYRING,
        };
        static const struct option options[] = {
                { "bundle", required_argument, NULL, 'b' },
                { "pid-file", required_argument, NULL, OPT_PID_FILE },
                { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
                { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
                { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
                { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
                { "detach", no_argument, NULL, 'd' },
                { "keep", no_argument, NULL, OPT_KEEP },
                { NULL, 0, NULL, 0 },
        };
        uint64_t n;
        int c;

        o->bundle = ".";
        while ((c = getopt_long(argc, argv, run ? "+:b:d" : "+:b:", options, NULL)) >= 0) {
                if (c == 'b')
                        o->bundle = optarg;
                else if (c == OPT_PID_FILE)
                        o->pid_file = optarg;
                else if (c == OPT_CONSOLE_SOCKET)
                        o->console_socket = optarg;
                else if (c == OPT_PRESERVE_FDS && parse_u64(optarg, 10, &n) == 0 && n < 65536)
                        o->preserve_fds = (unsigned) n;
                else if (c == OPT_PRESERVE_FDS)
                        return rt_usage_error(ctx, "--preserve-fds `%s`: expected a number",
                                              optarg);
                else if (c == OPT_NO_PIVOT || c == OPT_NO_NEW_KEYRING)
                        /* The rootfs is always pivot_root'ed (never a bare chroot, which
                         * exposes the host's /proc); no session keyring is ever made. */
                        continue;
                else if (c == 'd' && run)
                        o->detach = true;
                else if (c == OPT_KEEP && run)
                        o->keep = true;
                else if (c == ':')
                        return rt_usage_error(ctx, "option `%s` needs a value", argv[optind - 1]);
                else
                        return rt_usage_error(ctx, "unknown option `%s`", argv[optind - 1]);
        }
        if (optind != argc - 1)
                return rt_usage_error(ctx, "expects exactly one container id");
        o->id = argv[optind];
        if (!container_id_valid(o->id))
                return rt_fail("invalid container id `%s`", o->id);
        return 0;
}

int cmd_create(struct rt_context *ctx, int argc, char **argv)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct create_opts o = { 0 };
        struct rt_state *st = NULL;
        int sync_fd = -EBADF, master = -EBADF;

        if (parse_create_opts(ctx, argc, argv, false, &o) != 0)
                return 1;
        if (rt_create(ctx, &o, &st, &sync_fd, &master, &err) < 0)
                return rt_fail_error(err);
        close(sync_fd);
        rt_state_free(st);
        return 0;
}

int cmd_start(struct rt_context *ctx, int argc, char **argv)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;

        if (argc != 2)
                return rt_usage_error(ctx, "expects exactly one container id");
        if (rt_state_load(ctx, argv[1], &st, &err) < 0 || rt_start(ctx, st, &err) < 0)
                return rt_fail_error(err);
        return 0;
}

int cmd_run(struct rt_context *ctx, int argc, char **argv)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct create_opts o = { 0 };
        struct rt_state *st = NULL;
        _cleanup_close_ int master = -EBADF;
        int sync_fd = -EBADF, code, r;

        if (parse_create_opts(ctx, argc, argv, true, &o) != 0)
                return 1;
        o.relay = !o.detach;
        if (rt_create(ctx, &o, &st, &sync_fd, &master, &err) < 0)
                return rt_fail_error(err);
        r = rt_start(ctx, st, &err);
        close(sync_fd);
        if (r < 0) {
                code = rt_fail_error(err);
                rt_destroy(ctx, st);
        } else if (o.detach) {
                code = 0;
        } else {
                code = master >= 0 ? rt_console_relay(master, st->pid) : rt_wait_child(st->pid);
                if (!o.keep)
                        rt_destroy(ctx, st);
        }
        rt_state_free(st);
        return code;
}
