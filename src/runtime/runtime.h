/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * cata-runtime: the container engine (src/engine/) behind runc's command line.
 *
 * Each command is one entry in main.c's table plus one cmd_* handler. Handlers return the exit
 * code; errors are reported with rt_fail() (stderr and the --log file) and give 1.
 *
 *   main.c            options, command table, logging (--log, --log-format, --debug)
 *   runtime-state.c   <root>/<id>/state.json, status, the OCI state JSON; state, list
 *   runtime-create.c  bundle, namespaces, cgroup, spawn, sync messages; create, start, run
 *   runtime-exec.c    exec; waiting for a child
 *   runtime-console.c the console: pty + SCM_RIGHTS, or relayed by the runtime itself
 *   runtime-ops.c     kill, delete, ps, pause, resume, update, spec
 *   runtime-features.c the OCI features document
 *   runtime-events.c  events: stats and OOM events as JSON lines
 *   runtime-hooks.c   OCI hooks in the runtime namespace, state JSON on stdin
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "engine/spawn.h"
#include "oci.pb-c.h"

#define RT_DEFAULT_ROOT "/run/cata-runtime"
#define RT_OCI_VERSION  "1.0.2"
/* exec's own failures (not the process's exit code), as runc reports them. */
#define RT_EXEC_FAILED 255

struct rt_context {
        const char *root;    /* --root: state directories live in <root>/<id> */
        const char *command; /* for messages */
        bool debug;
};

enum rt_status {
        RT_STATUS_CREATING, /* state directory without state.json (create under way or died) */
        RT_STATUS_CREATED,  /* init waiting on the exec FIFO */
        RT_STATUS_RUNNING,
        RT_STATUS_PAUSED,
        RT_STATUS_STOPPED,
};

/* What <root>/<id>/state.json holds: enough to find the container again in a later command. */
struct rt_state {
        char *id;
        pid_t pid;               /* the container's init, in the runtime's pid namespace */
        uint64_t pid_start_time; /* field 22 of /proc/<pid>/stat: tells a reused pid apart */
        char *bundle;            /* absolute */
        char *rootfs;            /* absolute */
        char *created;           /* RFC 3339, UTC */
        char *cgroup_path;       /* normalized, as cgroup_new() chose it */
        bool ns[_SPAWN_NS_MAX];  /* namespace kinds the init has (new or joined) */
        bool paused;             /* set by `pause`, cleared by `resume` */
        Grpc__Spec *spec;        /* the config as read at create time */
};

/* main.c: logging. Errors go to stderr ("cata-runtime: <msg>") and to the log file. */
enum rt_log_level { RT_LOG_ERROR, RT_LOG_WARN, RT_LOG_INFO, RT_LOG_DEBUG };
void rt_log(enum rt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* returns 1 */
int rt_fail_error(const struct agent_error *err);                        /* returns 1 */

/* runtime-state.c */
char *rt_state_dir(const struct rt_context *ctx, const char *id);
char *rt_fifo_path(const struct rt_context *ctx, const char *id);
int rt_state_load(const struct rt_context *ctx, const char *id, struct rt_state **ret,
                  struct agent_error **err);
int rt_state_save(const struct rt_context *ctx, const struct rt_state *st,
                  struct agent_error **err);
/* Removes exec.fifo, state.json and the directory. */
void rt_state_remove(const struct rt_context *ctx, const char *id);
struct rt_state *rt_state_free(struct rt_state *st);
void rt_state_freep(struct rt_state **st);
#define _cleanup_state_ __attribute__((cleanup(rt_state_freep)))

int rt_pid_start_time(pid_t pid, uint64_t *ret);
/* True while pid runs and is still the process that was started (not a zombie). */
bool rt_pid_alive(pid_t pid, uint64_t start_time);
enum rt_status rt_status(const struct rt_context *ctx, const struct rt_state *st);
const char *rt_status_name(enum rt_status s);
/* The OCI state (ociVersion, id, status, pid when alive, bundle, annotations; plus rootfs,
 * created, owner when full), compact or indented. malloc'd. */
char *rt_state_json(const struct rt_state *st, enum rt_status status, bool full, bool pretty);
/* Writes pid to path atomically (temp file + rename). */
int rt_write_pid_file(const char *path, pid_t pid, struct agent_error **err);

/* runtime-hooks.c */
enum rt_hook_kind {
        RT_HOOK_PRESTART,
        RT_HOOK_CREATE_RUNTIME,
        RT_HOOK_CREATE_CONTAINER,
        RT_HOOK_START_CONTAINER,
        RT_HOOK_POSTSTART,
        RT_HOOK_POSTSTOP,
};
const char *rt_hook_name(enum rt_hook_kind kind);
/* The spec's hooks of that kind (NULL/0 when none). */
const Grpc__Hook *const *rt_hooks_of(const Grpc__Spec *spec, enum rt_hook_kind kind, size_t *ret_n);
/* Runs them in order in the runtime's namespaces, each with the state on stdin; stops at the
 * first failure (non-zero exit, signal, timeout, exec error) with an error naming the hook. */
int rt_hooks_run(const Grpc__Spec *spec, enum rt_hook_kind kind, const char *state_json,
                 struct agent_error **err);

/* runtime-create.c */
struct rt_spawned {
        pid_t stage1; /* reaped */
        pid_t pid;    /* the process (stage 2) */
};
/* Reads sync messages until READY (init) or EOF (exec: it ran execve), writing user namespace
 * maps from spec when asked. Reaps stage 1. On failure the children are killed and reaped. */
int rt_spawn_wait(int sync_fd, bool init, const Grpc__Spec *spec, struct rt_spawned *sp,
                  struct agent_error **err);
/* SIGKILL and a bounded wait (2 s) for one child. */
void rt_kill_reap(pid_t pid);
/* Kills what is left of a container, waits briefly for the init to go, destroys the cgroup,
 * runs poststop hooks (warnings only) and removes the state directory. */
void rt_destroy(const struct rt_context *ctx, struct rt_state *st);

/* runtime-console.c */
/* A pty for a terminal process; the console socket (when socket_path is not NULL) is connected
 * first so a bad one fails before anything runs. */
struct rt_console {
        int sock;
        int master;
        int slave;
};
int rt_console_open(const char *socket_path, const Grpc__Process *proc, struct rt_console *con,
                    struct agent_error **err);
int rt_console_send(struct rt_console *con, struct agent_error **err);
void rt_console_close(struct rt_console *con);
/* Sets the container's stdio: the pty slave, or the runtime's own 0, 1, 2 (-1 when closed). */
void rt_stdio_for(const struct rt_console *con, int stdio[3]);
/* No console socket: relays stdin to the master and the master to stdout (the caller's
 * terminal in raw mode, its size copied on SIGWINCH; other signals forwarded) until pid exits,
 * then drains the master. Returns the exit code like rt_wait_child(). */
int rt_console_relay(int master, pid_t pid);

/* runtime-exec.c */
/* Waits for a child, forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1/2 and SIGWINCH to it.
 * Returns the exit code (128 + signal when killed). */
int rt_wait_child(pid_t pid);
int rt_parse_signal(const char *s, int *ret);

/* Command handlers: argc/argv start at the command name (getopt-ready). */
int cmd_create(struct rt_context *ctx, int argc, char **argv);
int cmd_start(struct rt_context *ctx, int argc, char **argv);
int cmd_run(struct rt_context *ctx, int argc, char **argv);
int cmd_exec(struct rt_context *ctx, int argc, char **argv);
int cmd_state(struct rt_context *ctx, int argc, char **argv);
int cmd_list(struct rt_context *ctx, int argc, char **argv);
int cmd_kill(struct rt_context *ctx, int argc, char **argv);
int cmd_delete(struct rt_context *ctx, int argc, char **argv);
int cmd_ps(struct rt_context *ctx, int argc, char **argv);
int cmd_pause(struct rt_context *ctx, int argc, char **argv);
int cmd_resume(struct rt_context *ctx, int argc, char **argv);
int cmd_update(struct rt_context *ctx, int argc, char **argv);
int cmd_spec(struct rt_context *ctx, int argc, char **argv);
int cmd_features(struct rt_context *ctx, int argc, char **argv);
int cmd_events(struct rt_context *ctx, int argc, char **argv);

/* main.c: a usage error for the current command (prints its usage line), returns 1. */
int rt_usage_error(const struct rt_context *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
