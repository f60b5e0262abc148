/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The pod (Kata's sandbox): what CreateSandbox sets up and DestroySandbox tears down, and what
 * the pod's containers share.
 *
 *  - persistent ipc and uts namespaces, kept alive by bind mounts under <run dir>/sandbox/ns/,
 *    which every container joins instead of creating its own (as the Rust agent points them at
 *    the sandbox's); the uts one carries CreateSandbox's hostname (namespaces.c);
 *  - the pid namespace of the first container when sandbox_pidns is set (container.c);
 *  - guest hooks found under guest_hook_path, merged into every container's hooks (hooks.c);
 *  - DNS written to <run dir>/sandbox/resolv.conf and bound over the guest's resolv.conf (dns.c);
 *  - kernel modules loaded with modprobe, each in a child (CreateSandbox stays parked meanwhile);
 *  - OOM events of every container, queued for GetOOMEvent (oom.c).
 *
 * Containers may also be created without CreateSandbox (cata-ctl, tests, older runtimes): they
 * then share the namespaces all the same, and DestroySandbox is refused.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/list.h"
#include "engine/spawn.h"

#include "agent.pb-c.h"

struct agent;
struct container;
struct command;
struct rpc_call;

/* Bounds on what CreateSandbox may carry (far beyond what Kata's runtime sends). */
#define SANDBOX_MAX_DNS             64
#define SANDBOX_MAX_DNS_LEN         1024
#define SANDBOX_MAX_MODULES         64
#define SANDBOX_MAX_MODULE_PARAMS   64
#define SANDBOX_MAX_PARAM_LEN       1024
#define SANDBOX_HOSTNAME_MAX        64
#define SANDBOX_MODPROBE_TIMEOUT_MS 60000
#define SANDBOX_MODPROBE            "/sbin/modprobe"

enum hook_kind {
        HOOK_PRESTART,
        HOOK_POSTSTART,
        HOOK_POSTSTOP,
        _HOOK_KIND_MAX,
};

/* Guest hooks: executables found in <guest_hook_path>/{prestart,poststart,poststop}. */
struct guest_hooks {
        char **paths[_HOOK_KIND_MAX]; /* NULL-terminated, may be NULL */
};

struct sandbox {
        bool created;   /* CreateSandbox succeeded */
        bool destroyed; /* DestroySandbox ran: the agent stops serving */
        char *id;
        char *hostname;
        bool pidns; /* every container joins the sandbox's pid namespace */
        struct guest_hooks hooks;
        char **storages; /* mount points the sandbox holds (storage module) */
        /* A CreateSandbox in progress (loading kernel modules). */
        Grpc__CreateSandboxRequest *creating;
        struct rpc_call *create_call;
        struct list_node create_waiters; /* holds create_call while parked */
        struct command *modprobe;
        size_t next_module;
        struct oom_events *oom;
};

/* The checks CreateSandbox makes before touching anything. Pure: fuzzed. */
int sandbox_validate_request(const Grpc__CreateSandboxRequest *req, struct agent_error **err);

/* CreateSandbox: takes ownership of the request (call->req moves here). Replies or parks. */
int sandbox_create(struct agent *a, struct rpc_call *call, struct agent_error **err);
/* DestroySandbox: every container and process gone, storages unmounted, namespaces released;
 * replies, then the agent stops serving (as PID 1: sync and power off). */
int sandbox_destroy(struct agent *a, struct rpc_call *call, struct agent_error **err);

/* The path of the sandbox's namespace of this kind (SPAWN_NS_IPC or SPAWN_NS_UTS), created on
 * first use. */
int sandbox_shared_ns(struct agent *a, enum spawn_ns kind, const char **ret_path,
                      struct agent_error **err);
/* Creates both persistent namespaces now, the uts one with hostname (may be NULL or empty). */
int sandbox_setup_namespaces(struct agent *a, const char *hostname, struct agent_error **err);
/* Unmounts and removes the persistent namespaces. */
void sandbox_release_namespaces(struct agent *a);
/* Agent shutdown: releases everything the sandbox holds. */
void sandbox_release(struct agent *a);

/* ---- guest hooks (hooks.c) ---- */

/* Scans dir; entries that are not regular executable files (symlinks included) are skipped with
 * a warning, as Kata does. A missing dir is no error (no hooks). */
int guest_hooks_scan(const char *dir, struct guest_hooks *ret, struct agent_error **err);
void guest_hooks_free(struct guest_hooks *h);

/* Runs the container's hooks of one kind (its spec's, then the sandbox's guest hooks), one after
 * the other, each in a child with the OCI state on stdin. done(c, err) runs from the loop when all
 * succeeded (err NULL) or one failed (err set); it may run before this returns when there is no
 * hook. Returns 0, or -errno when nothing could be started. */
typedef void (*hooks_done_fn)(struct container *c, const struct agent_error *err);
int hooks_run(struct container *c, enum hook_kind kind, hooks_done_fn done);
/* The same without a callback, outliving the container (poststop); failures are logged. */
void hooks_run_detached(struct container *c, enum hook_kind kind);
/* Forgets a run in progress (the container goes away); its children are killed. */
void hooks_cancel(struct container *c);
bool hooks_any(const struct container *c, enum hook_kind kind);

/* ---- DNS (dns.c) ---- */

/* Writes the entries (one per line) to <run dir>/sandbox/resolv.conf and binds it over
 * resolv_conf when that exists (Kata: no file, nothing to do). */
int dns_setup(struct agent *a, char *const *dns, size_t n, struct agent_error **err);
void dns_release(struct agent *a);

/* ---- OOM events (oom.c) ---- */

#define OOM_QUEUE_MAX 128

/* Starts watching the container's memory cgroup (v1: eventfd on memory.oom_control; v2: inotify
 * on memory.events, counting oom_kill). No memory controller: nothing to watch, no error. */
int oom_watch(struct container *c);
void oom_unwatch(struct container *c);
/* GetOOMEvent: replies with the oldest queued event or parks until one comes. */
int oom_get_event(struct agent *a, struct rpc_call *call, struct agent_error **err);
/* DestroySandbox: parked and later GetOOMEvent calls get INTERNAL with an empty message. */
void oom_close(struct agent *a);
void oom_free(struct agent *a);
