/* SPDX-License-Identifier: Apache-2.0 */
/* CreateSandbox and DestroySandbox, in the Rust agent's order: wipe the run dir, load kernel
 * modules, set up the shared namespaces (with the hostname), mount the sandbox's storages, scan
 * the guest hooks, write the DNS. */
#include "sandbox/sandbox.h"
#include "agent/agent.h"
#include "agent/container.h"
#include "agent/restart.h"
#include "agent/command.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "rpc/call.h"
#include "storage/storage.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The run dir is shallow (bundles, sandbox files); this bounds a hostile or looping tree. */
#define WIPE_MAX_DEPTH 16
/* After DestroySandbox's reply: time for it to leave before the agent stops serving. */
#define DESTROY_LINGER_MS 100

/* ---- validation ---- */

static bool module_word_ok(const char *s, bool param)
{
        size_t n = strlen(s);

        /* A leading '-' would be read by modprobe as one of its own options. */
        if (n == 0 || n > (param ? SANDBOX_MAX_PARAM_LEN : 64) || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char) s[i];
                if (param ? (ch <= ' ' || ch == 0x7f || strchr("`$;&|<>\\'\"", ch))
                          : !(isalnum(ch) || ch == '_' || ch == '-'))
                        return false;
        }
        return true;
}

static bool hostname_ok(const char *s)
{
        size_t n = strlen(s);

        if (n > SANDBOX_HOSTNAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && s[i] != '-' && s[i] != '.')
                        return false;
        return true;
}

/* Absolute, bounded, and no `..` component. */
static bool path_ok(const char *p)
{
        size_t n = strlen(p);

        if (p[0] != '/' || n >= 4096)
                return false;
        for (const char *c = p; (c = strstr(c, "..")); c += 2)
                if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
                        return false;
        return true;
}

static int validate_modules(const Grpc__CreateSandboxRequest *req, struct agent_error **err)
{
        if (req->n_kernel_modules > SANDBOX_MAX_MODULES)
                return agent_error_setf(err, EINVAL, "too many kernel modules: %zu (limit %d)",
                                        req->n_kernel_modules, SANDBOX_MAX_MODULES);
        for (size_t i = 0; i < req->n_kernel_modules; i++) {
                const Grpc__KernelModule *m = req->kernel_modules[i];
                if (!module_word_ok(m->name, false))
                        return agent_error_setf(err, EINVAL, "invalid kernel module name `%.64s`",
                                                m->name);
                if (m->n_parameters > SANDBOX_MAX_MODULE_PARAMS)
                        return agent_error_setf(err, EINVAL,
                                                "kernel module `%s`: too many parameters", m->name);
                for (size_t j = 0; j < m->n_parameters; j++)
                        if (!module_word_ok(m->parameters[j], true))
                                return agent_error_setf(
                                        err, EINVAL,
                                        "kernel module `%s`: invalid parameter `%.64s`", m->name,
                                        m->parameters[j]);
        }
        return 0;
}

int sandbox_validate_request(const Grpc__CreateSandboxRequest *req, struct agent_error **err)
{
        if (*req->sandbox_id && !container_id_valid(req->sandbox_id))
                return agent_error_setf(err, EINVAL, "invalid sandbox id `%.256s`",
                                        req->sandbox_id);
        if (!hostname_ok(req->hostname))
                return agent_error_setf(err, EINVAL, "invalid hostname `%.80s`", req->hostname);
        if (req->n_dns > SANDBOX_MAX_DNS)
                return agent_error_setf(err, EINVAL, "too many DNS entries: %zu (limit %d)",
                                        req->n_dns, SANDBOX_MAX_DNS);
        for (size_t i = 0; i < req->n_dns; i++)
                if (strlen(req->dns[i]) > SANDBOX_MAX_DNS_LEN || strpbrk(req->dns[i], "\r\n"))
                        return agent_error_setf(err, EINVAL,
                                                "DNS entry %zu: longer than %d bytes or more "
                                                "than one line",
                                                i, SANDBOX_MAX_DNS_LEN);
        if (*req->guest_hook_path && !path_ok(req->guest_hook_path))
                return agent_error_setf(err, EINVAL,
                                        "guest hook path `%.256s` must be absolute, without `..`",
                                        req->guest_hook_path);
        return validate_modules(req, err);
}

/* ---- the run dir ---- */

static bool is_mount_root(int dirfd, const char *name, const struct stat *parent)
{
        struct statx stx;

        if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &stx) < 0)
                return true; /* cannot tell: leave it alone */
        if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
                return stx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
        return makedev(stx.stx_dev_major, stx.stx_dev_minor) != parent->st_dev;
}

/* Removes what dirfd holds, never crossing into a mount (a share, a namespace bind, a rootfs)
 * and never removing a socket (the agent's own may live here). */
static void wipe_dir(int dirfd, int depth)
{
        DIR *d;
        struct dirent *e;
        struct stat self;

        if (depth > WIPE_MAX_DEPTH || fstat(dirfd, &self) < 0)
                return;
        d = fdopendir(dup(dirfd));
        if (!d)
                return;
        while ((e = readdir(d))) {
                struct stat st;

                if (streq(e->d_name, ".") || streq(e->d_name, "..") ||
                    (depth == 0 && streq(e->d_name, RESTART_MARKER)))
                        continue;
                if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISSOCK(st.st_mode))
                        continue;
                if (S_ISDIR(st.st_mode)) {
                        int fd;
                        if (is_mount_root(dirfd, e->d_name, &self))
                                continue;
                        fd = openat(dirfd, e->d_name,
                                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                continue;
                        wipe_dir(fd, depth + 1);
                        close(fd);
                        (void) unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
                } else if (!is_mount_root(dirfd, e->d_name, &self)) {
                        (void) unlinkat(dirfd, e->d_name, 0);
                }
        }
        closedir(d);
}

/* Kata starts every sandbox from an empty run dir: what a previous pod left must not leak into
 * this one. Containers created before CreateSandbox keep theirs. */
static void wipe_run_dir(struct agent *a)
{
        _cleanup_close_ int fd = -EBADF;

        if (!list_empty(&a->containers)) {
                log_info("run dir `%s` kept: containers exist already", a->run_dir);
                return;
        }
        fd = open(a->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                wipe_dir(fd, 0);
        else
                (void) mkdir(a->run_dir, 0711);
}

/* ---- CreateSandbox ---- */

static void create_reset(struct sandbox *sb)
{
        command_abandon(sb->modprobe);
        sb->modprobe = NULL;
        if (sb->creating)
                grpc__create_sandbox_request__free_unpacked(sb->creating, NULL);
        sb->creating = NULL;
        sb->create_call = NULL;
        sb->next_module = 0;
}

static void create_fail(struct agent *a, struct agent_error *err)
{
        struct rpc_call *call = a->sandbox.create_call;

        create_reset(&a->sandbox);
        if (call)
                rpc_call_reply_error(call, err);
}

static void create_finish(struct agent *a)
{
        struct sandbox *sb = &a->sandbox;
        Grpc__CreateSandboxRequest *req = sb->creating;
        _cleanup_error_ struct agent_error *err = NULL;
        struct guest_hooks hooks = { 0 };
        char **storages = NULL;
        struct rpc_call *call;

        if (sandbox_setup_namespaces(a, req->hostname, &err) < 0)
                goto fail;
        if (req->n_storages > 0 &&
            storage_acquire(a, req->storages, req->n_storages, "", &storages, &err) < 0)
                goto fail;
        if (*req->guest_hook_path && guest_hooks_scan(req->guest_hook_path, &hooks, &err) < 0)
                goto fail;
        if (dns_setup(a, req->dns, req->n_dns, &err) < 0)
                goto fail;
        guest_hooks_free(&sb->hooks);
        sb->hooks = hooks;
        sb->storages = TAKE_PTR(storages);
        free(sb->id);
        sb->id = xstrdup(req->sandbox_id);
        free(sb->hostname);
        sb->hostname = xstrdup(req->hostname);
        sb->pidns = req->sandbox_pidns;
        sb->created = true;
        log_info("sandbox `%s` created", sb->id);
        call = sb->create_call;
        create_reset(sb);
        rpc_call_reply(call, NULL);
        return;
fail:
        guest_hooks_free(&hooks);
        storage_release(a, storages);
        create_fail(a, err);
}

static void modules_next(struct agent *a);

static void modprobe_done_cb(const struct command_result *res, void *userdata)
{
        struct agent *a = userdata;
        const Grpc__KernelModule *m = a->sandbox.creating->kernel_modules[a->sandbox.next_module];
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *what = NULL;

        a->sandbox.modprobe = NULL;
        if (res->timed_out || res->status != 0) {
                what = command_result_text(res);
                agent_error_setf(&err, res->timed_out ? ETIMEDOUT : EIO,
                                 "load kernel module `%s`: modprobe %s", m->name, what);
                create_fail(a, err);
                return;
        }
        a->sandbox.next_module++;
        modules_next(a);
}

/* Kata loads the modules one after the other with `modprobe -v NAME PARAMS...`. */
static void modules_next(struct agent *a)
{
        struct sandbox *sb = &a->sandbox;
        _cleanup_error_ struct agent_error *err = NULL;
        const Grpc__KernelModule *m;
        _cleanup_free_ const char **argv = NULL;

        if (sb->next_module == sb->creating->n_kernel_modules) {
                create_finish(a);
                return;
        }
        m = sb->creating->kernel_modules[sb->next_module];
        argv = xzalloc((m->n_parameters + 4) * sizeof(*argv));
        argv[0] = SANDBOX_MODPROBE;
        argv[1] = "-v";
        argv[2] = m->name;
        for (size_t i = 0; i < m->n_parameters; i++)
                argv[3 + i] = m->parameters[i];
        struct command_spec spec = { .argv = argv,
                                     .out_max = 4096,
                                     .timeout_ns = SANDBOX_MODPROBE_TIMEOUT_MS * 1000000ull };
        if (command_start(a, &spec, modprobe_done_cb, a, &sb->modprobe, &err) < 0) {
                agent_error_wrap(&err, "load kernel module `%s`", m->name);
                create_fail(a, err);
        }
}

static void create_cancel(struct rpc_call *call, void *data)
{
        struct agent *a = data;

        (void) call;
        a->sandbox.create_call = NULL;
        create_reset(&a->sandbox);
}

int sandbox_create(struct agent *a, struct rpc_call *call, struct agent_error **err)
{
        struct sandbox *sb = &a->sandbox;
        int r;

        if (sb->created)
                return agent_error_setf(err, EEXIST, "sandbox `%s` already exists", sb->id);
        if (sb->creating)
                return agent_error_setf(err, EBUSY, "a CreateSandbox is already in progress");
        r = rpc_call_park(call, &sb->create_waiters, create_cancel, a, err);
        if (r < 0)
                return r;
        sb->creating = (Grpc__CreateSandboxRequest *) TAKE_PTR(call->req);
        sb->create_call = call;
        wipe_run_dir(a);
        modules_next(a);
        return 0;
}

/* ---- DestroySandbox ---- */

static void destroy_linger_cb(struct loop_timer *t, void *userdata)
{
        struct agent *a = userdata;

        loop_timer_free(t);
        log_info("sandbox destroyed: the agent stops serving");
        loop_quit(a->loop, 0);
}

/* Everything the sandbox holds, in reverse order of creation. */
static void sandbox_teardown(struct agent *a)
{
        struct sandbox *sb = &a->sandbox;

        if (sb->creating) {
                _cleanup_error_ struct agent_error *err = NULL;
                agent_error_setf(&err, ECANCELED, "the sandbox was destroyed while being created");
                create_fail(a, err);
        }
        container_free_all(a);
        storage_release(a, TAKE_PTR(sb->storages));
        storage_release_all(a);
        dns_release(a);
        sandbox_release_namespaces(a);
        guest_hooks_free(&sb->hooks);
}

int sandbox_destroy(struct agent *a, struct rpc_call *call, struct agent_error **err)
{
        (void) err;
        /* Like the Rust agent: whatever exists goes, with or without a CreateSandbox before. */
        sandbox_teardown(a);
        oom_close(a);
        a->sandbox.created = false;
        a->sandbox.destroyed = true;
        rpc_call_reply(call, NULL);
        (void) loop_add_timer(a->loop, now_ns() + DESTROY_LINGER_MS * 1000000ull, destroy_linger_cb,
                              a);
        return 0;
}

void sandbox_release(struct agent *a)
{
        sandbox_teardown(a);
        oom_free(a);
        free(a->sandbox.id);
        free(a->sandbox.hostname);
        a->sandbox.id = a->sandbox.hostname = NULL;
}
