/* SPDX-License-Identifier: Apache-2.0 */
/* Guest hooks (CreateSandbox's guest_hook_path) and running a container's OCI hooks. */
#include "agent/agent.h"
#include "agent/container.h"
#include "agent/command.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Per kind, per directory: a guest image has a handful; this bounds a hostile tree. */
#define GUEST_HOOKS_MAX 64
/* A hook without a timeout of its own must still not hold a container for ever. */
#define HOOK_DEFAULT_TIMEOUT_S 60
#define HOOK_MAX_TIMEOUT_S     3600
/* What a failing hook said, for its error message. */
#define HOOK_OUTPUT_MAX 4096

static const char *const kind_names[_HOOK_KIND_MAX] = { "prestart", "poststart", "poststop" };

static char **scan_kind(const char *dir, const char *kind)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, kind);
        DIR *d = opendir(path);
        struct dirent *e;
        char **v = NULL;
        size_t n = 0;

        if (!d)
                return NULL;
        while ((e = readdir(d)) && n < GUEST_HOOKS_MAX) {
                _cleanup_free_ char *full = NULL;
                struct stat st;

                if (e->d_name[0] == '.')
                        continue;
                full = xasprintf("%s/%s", path, e->d_name);
                /* Kata runs only regular executable files, never through a symlink. */
                if (lstat(full, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                        log_warn("guest hook `%s` skipped: not a regular executable file", full);
                        continue;
                }
                v = xrealloc(v, (n + 2) * sizeof(*v));
                v[n++] = TAKE_PTR(full);
                v[n] = NULL;
        }
        if (e)
                log_warn("guest hooks in `%s`: only the first %d are used", path, GUEST_HOOKS_MAX);
        closedir(d);
        return v;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int guest_hooks_scan(const char *dir, struct guest_hooks *ret, struct agent_error **err)
{
        struct stat st;

        memset(ret, 0, sizeof(*ret));
        if (stat(dir, &st) < 0) {
                log_warn("guest hook path `%s`: %s (no guest hooks)", dir, strerror(errno));
                return 0;
        }
        if (!S_ISDIR(st.st_mode))
                return agent_error_setf(err, ENOTDIR, "guest hook path `%s` is not a directory",
                                        dir);
        for (int k = 0; k < _HOOK_KIND_MAX; k++) {
                ret->paths[k] = scan_kind(dir, kind_names[k]);
                /* readdir order is the filesystem's: run hooks in name order, as a person
                 * reading the directory expects. */
                if (ret->paths[k])
                        qsort(ret->paths[k], strv_len((const char *const *) ret->paths[k]),
                              sizeof(char *), cmp_str);
        }
        return 0;
}

void guest_hooks_free(struct guest_hooks *h)
{
        for (int k = 0; k < _HOOK_KIND_MAX; k++) {
                strv_free(h->paths[k]);
                h->paths[k] = NULL;
        }
}

/* ---- running a container's hooks ---- */

struct hook_cmd {
        char *path;
        char **argv;
        char **env; /* NULL: the minimal default */
        int64_t timeout_s;
};

struct hooks_run {
        struct agent *agent;
        struct container *container; /* NULL once detached (poststop outlives its container) */
        char *id;
        enum hook_kind kind;
        hooks_done_fn done;
        struct hook_cmd *cmds;
        size_t n, next;
        char *state;
        struct command *cmd;
};

static char **strv_from(char *const *v, size_t n)
{
        char **out = xzalloc((n + 1) * sizeof(*out));

        for (size_t i = 0; i < n; i++)
                out[i] = xstrdup(v[i]);
        return out;
}

static void spec_hooks(const struct container *c, enum hook_kind kind, Grpc__Hook ***ret,
                       size_t *ret_n)
{
        const Grpc__Hooks *h = c->req && c->req->oci ? c->req->oci->hooks : NULL;

        *ret = NULL;
        *ret_n = 0;
        if (!h)
                return;
        switch (kind) {
        case HOOK_PRESTART:
                *ret = h->prestart;
                *ret_n = h->n_prestart;
                break;
        case HOOK_POSTSTART:
                *ret = h->poststart;
                *ret_n = h->n_poststart;
                break;
        case HOOK_POSTSTOP:
        case _HOOK_KIND_MAX:
                *ret = h->poststop;
                *ret_n = h->n_poststop;
                break;
        }
}

bool hooks_any(const struct container *c, enum hook_kind kind)
{
        Grpc__Hook **spec;
        size_t n;

        spec_hooks(c, kind, &spec, &n);
        return n > 0 || c->agent->sandbox.hooks.paths[kind];
}

/* The spec's hooks first, then the guest's (Kata appends the guest hooks). */
static void collect(struct hooks_run *run)
{
        const struct container *c = run->container;
        char *const *guest = c->agent->sandbox.hooks.paths[run->kind];
        size_t n_guest = guest ? strv_len((const char *const *) guest) : 0;
        Grpc__Hook **spec;
        size_t n_spec;

        spec_hooks(c, run->kind, &spec, &n_spec);
        run->cmds = xzalloc((n_spec + n_guest + 1) * sizeof(*run->cmds));
        for (size_t i = 0; i < n_spec; i++) {
                struct hook_cmd *h = &run->cmds[run->n++];
                h->path = xstrdup(spec[i]->path);
                h->argv = spec[i]->n_args ? strv_from(spec[i]->args, spec[i]->n_args)
                                          : strv_from(&spec[i]->path, 1);
                h->env = spec[i]->n_env ? strv_from(spec[i]->env, spec[i]->n_env) : NULL;
                h->timeout_s = spec[i]->timeout;
        }
        for (size_t i = 0; i < n_guest; i++) {
                struct hook_cmd *h = &run->cmds[run->n++];
                const char *slash = strrchr(guest[i], '/');
                /* Kata's arguments for a guest hook: its file name, then the hook kind. */
                char *const args[] = { (char *) (slash ? slash + 1 : guest[i]),
                                       (char *) kind_names[run->kind] };
                h->path = xstrdup(guest[i]);
                h->argv = strv_from(args, 2);
        }
}

static char *state_json(const struct container *c, enum hook_kind kind)
{
        static const char *const status[_HOOK_KIND_MAX] = { "created", "running", "stopped" };
        _cleanup_free_ char *id = json_quote(c->id);
        _cleanup_free_ char *bundle = json_quote(c->bundle ? c->bundle : "");
        _cleanup_free_ char *version = json_quote(
                c->req && c->req->oci && *c->req->oci->version ? c->req->oci->version : "1.0.2");
        int pid = c->init && c->init->pid > 0 && kind != HOOK_POSTSTOP ? (int) c->init->pid : 0;

        return xasprintf("{\"ociVersion\":%s,\"id\":%s,\"status\":\"%s\",\"pid\":%d,"
                         "\"bundle\":%s}",
                         version, id, status[kind], pid, bundle);
}

static void run_free(struct hooks_run *run)
{
        for (size_t i = 0; i < run->n; i++) {
                free(run->cmds[i].path);
                strv_free(run->cmds[i].argv);
                strv_free(run->cmds[i].env);
        }
        free(run->cmds);
        free(run->state);
        free(run->id);
        free(run);
}

static void run_finish(struct hooks_run *run, const struct agent_error *err)
{
        struct container *c = run->container;
        hooks_done_fn done = run->done;

        if (!c) {
                if (err)
                        log_warn("%s", err->msg);
                run_free(run);
                return;
        }
        c->hooks_run = NULL;
        run_free(run);
        if (done)
                done(c, err);
}

static void run_next(struct hooks_run *run);

static void hook_done_cb(const struct command_result *res, void *userdata)
{
        struct hooks_run *run = userdata;
        const struct hook_cmd *h = &run->cmds[run->next - 1];
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *what = NULL;

        run->cmd = NULL;
        if (!res->timed_out && res->status == 0) {
                run_next(run);
                return;
        }
        what = command_result_text(res);
        agent_error_setf(&err, res->timed_out ? ETIMEDOUT : EIO, "container `%s`: %s hook `%s` %s",
                         run->id, kind_names[run->kind], h->path, what);
        run_finish(run, err);
}

static void run_next(struct hooks_run *run)
{
        /* A hook without an env of its own gets a PATH, never the agent's environment. */
        static const char *const default_env[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL
        };
        _cleanup_error_ struct agent_error *err = NULL;
        const struct hook_cmd *h;
        int64_t t;

        if (run->next == run->n) {
                run_finish(run, NULL);
                return;
        }
        h = &run->cmds[run->next++];
        t = h->timeout_s > 0 ? h->timeout_s : HOOK_DEFAULT_TIMEOUT_S;
        if (t > HOOK_MAX_TIMEOUT_S)
                t = HOOK_MAX_TIMEOUT_S;
        struct command_spec spec = {
                .path = h->path,
                .argv = (const char *const *) h->argv,
                .env = h->env ? (const char *const *) h->env : default_env,
                .in = run->state,
                .in_len = strlen(run->state),
                .out_max = HOOK_OUTPUT_MAX,
                .timeout_ns = (uint64_t) t * 1000000000ull,
        };
        if (command_start(run->agent, &spec, hook_done_cb, run, &run->cmd, &err) < 0) {
                agent_error_wrap(&err, "container `%s`: start %s hook", run->id,
                                 kind_names[run->kind]);
                run_finish(run, err);
        }
}

static struct hooks_run *run_new(struct container *c, enum hook_kind kind)
{
        struct hooks_run *run = xzalloc(sizeof(*run));

        run->agent = c->agent;
        run->container = c;
        run->id = xstrdup(c->id);
        run->kind = kind;
        run->state = state_json(c, kind);
        collect(run);
        return run;
}

int hooks_run(struct container *c, enum hook_kind kind, hooks_done_fn done)
{
        struct hooks_run *run;

        if (c->hooks_run)
                return -EBUSY;
        run = run_new(c, kind);
        run->done = done;
        c->hooks_run = run;
        run_next(run);
        return 0;
}

void hooks_run_detached(struct container *c, enum hook_kind kind)
{
        struct hooks_run *run;

        if (!hooks_any(c, kind))
                return;
        run = run_new(c, kind);
        run->container = NULL;
        run_next(run);
}

void hooks_cancel(struct container *c)
{
        struct hooks_run *run = c->hooks_run;

        if (!run)
                return;
        command_abandon(run->cmd);
        c->hooks_run = NULL;
        run_free(run);
}
