/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec (the agent's ExecProcess: the init's namespaces through /proc/<pid>/ns/<name>, its cgroup,
 * the container's seccomp profile) and waiting for a child with signals forwarded.
 */
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- signals, waiting ---- */

static volatile pid_t forward_pid;

static void forward_signal(int sig)
{
        if (forward_pid > 0)
                (void) kill(forward_pid, sig);
}

int rt_wait_child(pid_t pid)
{
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
        struct sigaction sa = { .sa_handler = forward_signal };
        int status = 0;

        forward_pid = pid;
        for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                (void) sigaction(sigs[i], &sa, NULL);
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        rt_log(RT_LOG_WARN, "wait for process %d: %s", (int) pid, strerror(errno));
                        return 255;
                }
        }
        forward_pid = 0;
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

int rt_parse_signal(const char *s, int *ret)
{
        uint64_t n;

        if (parse_u64(s, 10, &n) == 0) {
                if (n == 0 || n >= (uint64_t) NSIG)
                        return -EINVAL;
                *ret = (int) n;
                return 0;
        }
        if (startswith(s, "SIG"))
                s += 3;
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *name = sigabbrev_np(sig);
                if (name && streq(name, s)) {
                        *ret = sig;
                        return 0;
                }
        }
        return -EINVAL;
}

/* ---- exec ---- */

struct exec_opts {
        const char *id;
        const char *cwd;
        const char *process_file;
        const char *pid_file;
        const char *console_socket;
        const char *user;
        const char *cgroup; /* --cgroup: a sub-cgroup of the container's */
        bool tty, detach, no_new_privs, ignore_paused;
        unsigned preserve_fds;
        char **env;
        size_t n_env;
        char **caps; /* --cap */
        size_t n_caps;
        uint32_t *gids; /* --additional-gids */
        size_t n_gids;
        char **args;
        size_t n_args;
};

static int parse_exec_opts(struct rt_context *ctx, int argc, char **argv, struct exec_opts *o)
{
        enum {
                OPT_CWD = 256,
                OPT_PID_FILE,
                OPT_CONSOLE_SOCKET,
                OPT_PRESERVE_FDS,
                OPT_NO_NEW_PRIVS,
                OPT_CGROUP,
                OPT_IGNORE_PAUSED,
                OPT_LABEL,
        };
        static const struct option options[] = {
                { "cap", required_argument, NULL, 'c' },
                { "additional-gids", required_argument, NULL, 'g' },
                { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
                { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
                { "cgroup", required_argument, NULL, OPT_CGROUP },
                { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
                { "apparmor", required_argument, NULL, OPT_LABEL },
                { "process-label", required_argument, NULL, OPT_LABEL },
                { "tty", no_argument, NULL, 't' },
                { "cwd", required_argument, NULL, OPT_CWD },
                { "env", required_argument, NULL, 'e' },
                { "process", required_argument, NULL, 'p' },
                { "detach", no_argument, NULL, 'd' },
                { "pid-file", required_argument, NULL, OPT_PID_FILE },
                { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
                { "user", required_argument, NULL, 'u' },
                { NULL, 0, NULL, 0 },
        };
        uint64_t n;
        int c;

        while ((c = getopt_long(argc, argv, "+:te:p:du:c:g:", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o->caps = xrealloc(o->caps, (o->n_caps + 1) * sizeof(char *));
                        o->caps[o->n_caps++] = optarg;
                        break;
                case 'g':
                        if (parse_u64(optarg, 10, &n) < 0 || n >= UINT32_MAX)
                                return rt_usage_error(ctx,
                                                      "--additional-gids `%s`: expected a "
                                                      "gid",
                                                      optarg);
                        o->gids = xrealloc(o->gids, (o->n_gids + 1) * sizeof(uint32_t));
                        o->gids[o->n_gids++] = (uint32_t) n;
                        break;
                case OPT_NO_NEW_PRIVS:
                        o->no_new_privs = true;
                        break;
                case OPT_PRESERVE_FDS:
                        if (parse_u64(optarg, 10, &n) < 0 || n >= 65536)
                                return rt_usage_error(ctx,
                                                      "--preserve-fds `%s`: expected a "
                                                      "number",
                                                      optarg);
                        o->preserve_fds = (unsigned) n;
                        break;
                case OPT_CGROUP:
                        o->cgroup = optarg;
                        break;
                case OPT_IGNORE_PAUSED:
                        o->ignore_paused = true;
                        break;
                case OPT_LABEL:
                        /* Read and ignored, as the config's AppArmor and SELinux fields. */
                        break;
                case 't':
                        o->tty = true;
                        break;
                case OPT_CWD:
                        o->cwd = optarg;
                        break;
                case 'e':
                        o->env = xrealloc(o->env, (o->n_env + 1) * sizeof(char *));
                        o->env[o->n_env++] = optarg;
                        break;
                case 'p':
                        o->process_file = optarg;
                        break;
                case 'd':
                        o->detach = true;
                        break;
                case OPT_PID_FILE:
                        o->pid_file = optarg;
                        break;
                case OPT_CONSOLE_SOCKET:
                        o->console_socket = optarg;
                        break;
                case 'u':
                        o->user = optarg;
                        break;
                case ':':
                        return rt_usage_error(ctx, "option `%s` needs a value", argv[optind - 1]);
                default:
                        return rt_usage_error(ctx, "unknown option `%s`", argv[optind - 1]);
                }
        }
        if (optind >= argc)
                return rt_usage_error(ctx, "expects a container id");
        o->id = argv[optind];
        o->args = argv + optind + 1;
        o->n_args = (size_t) (argc - optind - 1);
        if (!o->process_file && o->n_args == 0)
                return rt_usage_error(ctx, "expects a command (or --process FILE)");
        return 0;
}

/* Replaces KEY=... in env, or appends. env has room for n + 1. */
static void env_set(char **env, size_t *n, char *kv)
{
        size_t klen = strcspn(kv, "=");

        for (size_t i = 0; i < *n; i++)
                if (strncmp(env[i], kv, klen) == 0 && env[i][klen] == '=') {
                        env[i] = kv;
                        return;
                }
        env[(*n)++] = kv;
}

/* The process to run: --process FILE (an OCI process object), or the container's process with
 * the command, --env, --cwd, --tty and --user applied (runc's way). proc is a shallow copy that
 * points into the container's spec, the options and file_spec; only env and file_spec are
 * owned (exec_process_done). */
struct exec_process {
        Grpc__Process proc;
        Grpc__User user;
        Grpc__LinuxCapabilities caps;
        char **env;
        char **cap_sets[5]; /* owned arrays of caps (the strings are not) */
        uint32_t *gids;
        Grpc__Spec *file_spec; /* from --process */
};

/* set (n entries) plus the --cap names, in a new array owned by ep. */
static char **caps_plus(struct exec_process *ep, int k, char **set, size_t *n,
                        const struct exec_opts *o)
{
        char **v = xzalloc((*n + o->n_caps + 1) * sizeof(char *));

        /* An empty set may be NULL: no memcpy from it (UBSan). */
        if (*n)
                memcpy(v, set, *n * sizeof(char *));
        if (o->n_caps)
                memcpy(v + *n, o->caps, o->n_caps * sizeof(char *));
        *n += o->n_caps;
        ep->cap_sets[k] = v;
        return v;
}

/* --cap (every set, as runc), --no-new-privs, --additional-gids: on top of either source. */
static void apply_exec_flags(struct exec_process *ep, const struct exec_opts *o)
{
        Grpc__LinuxCapabilities *c = &ep->caps;

        if (o->no_new_privs)
                ep->proc.nonewprivileges = true;
        if (o->n_caps) {
                if (ep->proc.capabilities)
                        *c = *ep->proc.capabilities;
                else
                        *c = (Grpc__LinuxCapabilities) GRPC__LINUX_CAPABILITIES__INIT;
                c->bounding = caps_plus(ep, 0, c->bounding, &c->n_bounding, o);
                c->effective = caps_plus(ep, 1, c->effective, &c->n_effective, o);
                c->inheritable = caps_plus(ep, 2, c->inheritable, &c->n_inheritable, o);
                c->permitted = caps_plus(ep, 3, c->permitted, &c->n_permitted, o);
                c->ambient = caps_plus(ep, 4, c->ambient, &c->n_ambient, o);
                ep->proc.capabilities = c;
        }
        if (o->n_gids) {
                if (ep->proc.user != &ep->user) {
                        ep->user = ep->proc.user ? *ep->proc.user : (Grpc__User) GRPC__USER__INIT;
                        ep->proc.user = &ep->user;
                }
                ep->gids = xzalloc((ep->user.n_additionalgids + o->n_gids) * sizeof(uint32_t));
                if (ep->user.n_additionalgids)
                        memcpy(ep->gids, ep->user.additionalgids,
                               ep->user.n_additionalgids * sizeof(uint32_t));
                memcpy(ep->gids + ep->user.n_additionalgids, o->gids, o->n_gids * sizeof(uint32_t));
                ep->user.additionalgids = ep->gids;
                ep->user.n_additionalgids += o->n_gids;
        }
}

static int process_from_file(const char *path, struct exec_process *ep, struct agent_error **err)
{
        if (spec_fragment_from_file(path, SPEC_FRAGMENT_PROCESS, &ep->file_spec, err) < 0)
                return -EINVAL;
        if (!ep->file_spec->process)
                return agent_error_setf(err, EINVAL, "`%s`: no process", path);
        ep->proc = *ep->file_spec->process;
        return 0;
}

static int parse_user(const char *s, Grpc__User *u, struct agent_error **err)
{
        _cleanup_free_ char *copy = xstrdup(s);
        char *colon = strchr(copy, ':');
        uint64_t uid, gid = 0;

        if (colon)
                *colon = '\0';
        if (parse_u64(copy, 10, &uid) < 0 || uid > UINT32_MAX ||
            (colon && (parse_u64(colon + 1, 10, &gid) < 0 || gid > UINT32_MAX)))
                return agent_error_setf(err, EINVAL, "--user `%s`: expected UID[:GID] (numbers)",
                                        s);
        u->uid = (uint32_t) uid;
        u->gid = (uint32_t) gid;
        return 0;
}

static int build_process_base(const struct rt_state *st, const struct exec_opts *o,
                              struct exec_process *ep, struct agent_error **err)
{
        const Grpc__Process *base = st->spec->process;
        size_t n_env;

        if (o->process_file)
                return process_from_file(o->process_file, ep, err);
        if (!base)
                return agent_error_setf(err, EINVAL, "the container's config has no process");
        ep->proc = *base;
        ep->proc.args = o->args;
        ep->proc.n_args = o->n_args;
        ep->proc.terminal = o->tty;
        ep->proc.consolesize = NULL;
        ep->env = xzalloc((base->n_env + o->n_env + 1) * sizeof(char *));
        if (base->n_env)
                memcpy(ep->env, base->env, base->n_env * sizeof(char *));
        n_env = base->n_env;
        for (size_t i = 0; i < o->n_env; i++)
                env_set(ep->env, &n_env, o->env[i]);
        ep->proc.env = ep->env;
        ep->proc.n_env = n_env;
        if (o->cwd)
                ep->proc.cwd = (char *) o->cwd;
        if (o->user) {
                ep->user = base->user ? *base->user : (Grpc__User) GRPC__USER__INIT;
                ep->user.n_additionalgids = 0;
                ep->proc.user = &ep->user;
                return parse_user(o->user, &ep->user, err);
        }
        return 0;
}

static int build_process(const struct rt_state *st, const struct exec_opts *o,
                         struct exec_process *ep, struct agent_error **err)
{
        int r = build_process_base(st, o, ep, err);

        if (r >= 0)
                apply_exec_flags(ep, o);
        return r;
}

static void exec_process_done(struct exec_process *ep)
{
        free(ep->env);
        free(ep->gids);
        for (size_t i = 0; i < ARRAY_SIZE(ep->cap_sets); i++)
                free(ep->cap_sets[i]);
        if (ep->file_spec)
                spec_free(ep->file_spec);
}

static const char *proc_ns_name(enum spawn_ns ns)
{
        switch (ns) {
        case SPAWN_NS_NET:
                return "net";
        case SPAWN_NS_MNT:
                return "mnt";
        default:
                return spawn_ns_name(ns);
        }
}

struct exec_run {
        struct exec_process ep;
        struct rt_console con;
        struct cgroup *cg;
        struct identity *identity;
        struct seccomp_filter *seccomp;
        struct rt_spawned sp;
        int sync_fd;
        unsigned preserve_fds;
        char ns_paths[_SPAWN_NS_MAX][64];
};

/* The container's cgroup, or with --cgroup SUB one below it (runc: processes of one container
 * stay inside its cgroup). The per-controller form `ctrl:path` is not supported. */
static int exec_cgroup(const struct rt_state *st, const struct exec_opts *o, struct cgroup **ret,
                       struct agent_error **err)
{
        _cleanup_free_ char *path = NULL;

        if (!o->cgroup)
                return cgroup_new(CGROUP_ROOT, st->cgroup_path, ret, err);
        if (strchr(o->cgroup, ':') || strstr(o->cgroup, ".."))
                return agent_error_setf(err, EINVAL,
                                        "--cgroup `%s`: expected a path below the container's "
                                        "cgroup (the controller:path form is not supported)",
                                        o->cgroup);
        path = xasprintf("%s/%s", st->cgroup_path, o->cgroup);
        return cgroup_new(CGROUP_ROOT, path, ret, err);
}

static int exec_prepare(const struct rt_state *st, const struct exec_opts *o, struct exec_run *x,
                        struct agent_error **err)
{
        const Grpc__Process *p = &x->ep.proc;
        int r = build_process(st, o, &x->ep, err);

        if (r < 0)
                return r;
        if (p->n_args == 0)
                return agent_error_setf(err, EINVAL, "process.args is empty");
        if (p->cwd && *p->cwd && p->cwd[0] != '/')
                return agent_error_setf(err, EINVAL, "cwd `%s` must be absolute", p->cwd);
        /* Without a socket, a foreground exec relays the terminal itself (runc, crun). */
        if (p->terminal && !o->console_socket && o->detach)
                return agent_error_setf(err, EINVAL,
                                        "a terminal with --detach needs --console-socket");
        if (!p->terminal && o->console_socket)
                return agent_error_setf(err, EINVAL, "--console-socket needs a terminal (--tty)");
        if (p->terminal && (r = rt_console_open(o->console_socket, p, &x->con, err)) < 0)
                return r;
        r = exec_cgroup(st, o, &x->cg, err);
        if (r >= 0)
                r = identity_new(p, &x->identity, err);
        if (r >= 0 && st->spec->linux && st->spec->linux->seccomp)
                r = seccomp_filter_new(st->spec->linux->seccomp, &x->seccomp, err);
        return r;
}

static int exec_spawn(const struct rt_state *st, struct exec_run *x, struct agent_error **err)
{
        struct spawn_config cfg = {
                .init = false,
                .spec = st->spec,
                .process = &x->ep.proc,
                .cgroup = x->cg,
                .identity = x->identity,
                .seccomp = x->seccomp,
                .terminal = x->ep.proc.terminal,
                .preserve_fds = x->preserve_fds,
        };
        int r;

        for (int i = 0; i < _SPAWN_NS_MAX; i++) {
                snprintf(x->ns_paths[i], sizeof(x->ns_paths[i]), "/proc/%d/ns/%s", (int) st->pid,
                         proc_ns_name(i));
                cfg.ns[i].enabled = st->ns[i];
                cfg.ns[i].path = st->ns[i] ? x->ns_paths[i] : NULL;
        }
        rt_stdio_for(&x->con, cfg.stdio);
        r = spawn_start(&cfg, &x->sp.stage1, &x->sync_fd, err);
        if (r < 0)
                return r;
        if (x->con.slave >= 0)
                close_and_reset(&x->con.slave);
        r = rt_spawn_wait(x->sync_fd, false, st->spec, &x->sp, err);
        close_and_reset(&x->sync_fd);
        if (r >= 0 && x->con.sock >= 0)
                r = rt_console_send(&x->con, err);
        return r;
}

static void exec_done(struct exec_run *x)
{
        exec_process_done(&x->ep);
        rt_console_close(&x->con);
        x->cg = cgroup_free(x->cg);
        x->identity = identity_free(x->identity);
        x->seccomp = seccomp_filter_free(x->seccomp);
        close_and_reset(&x->sync_fd);
}

static void exec_opts_done(struct exec_opts *o)
{
        free(o->env);
        free(o->caps);
        free(o->gids);
}

int cmd_exec(struct rt_context *ctx, int argc, char **argv)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        struct exec_opts o = { 0 };
        struct exec_run x = {
                .con = { .sock = -EBADF, .master = -EBADF, .slave = -EBADF },
                .sync_fd = -EBADF,
        };
        _cleanup_close_ int master = -EBADF;
        enum rt_status s;
        int r;

        if (parse_exec_opts(ctx, argc, argv, &o) != 0) {
                exec_opts_done(&o);
                return 1;
        }
        r = rt_state_load(ctx, o.id, &st, &err);
        /* A paused container would hold the new process frozen before it reports: refused
         * unless asked (--ignore-paused; the process then runs at `resume`). */
        if (r >= 0 && (s = rt_status(ctx, st)) != RT_STATUS_RUNNING && s != RT_STATUS_CREATED &&
            !(s == RT_STATUS_PAUSED && o.ignore_paused))
                r = agent_error_setf(&err, EINVAL, "cannot exec in a %s container",
                                     rt_status_name(s));
        x.preserve_fds = o.preserve_fds;
        if (r >= 0)
                r = exec_prepare(st, &o, &x, &err);
        if (r >= 0)
                r = exec_spawn(st, &x, &err);
        if (r >= 0 && o.pid_file && (r = rt_write_pid_file(o.pid_file, x.sp.pid, &err)) < 0) {
                (void) kill(x.sp.pid, SIGKILL);
                (void) waitpid(x.sp.pid, NULL, 0);
        }
        master = TAKE_FD(x.con.master);
        exec_done(&x);
        exec_opts_done(&o);
        if (r < 0) {
                if (st)
                        agent_error_wrap(&err, "container `%s`: exec", st->id);
                (void) rt_fail_error(err);
                return RT_EXEC_FAILED;
        }
        if (o.detach)
                return 0;
        return master >= 0 ? rt_console_relay(master, x.sp.pid) : rt_wait_child(x.sp.pid);
}
