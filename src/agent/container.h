/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Containers and their processes, with Kata's semantics (protocol digest §6):
 *  - processes are keyed by (container id, exec id); the init process's exec id is the
 *    container id, and exec id "" also means init;
 *  - CreateContainer returns once the init process is created and waits before execve;
 *    StartContainer releases it; ExecProcess starts straight away;
 *  - WaitProcess parks until the process is reaped, answers every concurrent waiter with the
 *    same code (exit status or 128 + signal), closes its stdio and forgets it: later calls on it
 *    are NOT_FOUND;
 *  - RemoveContainer kills what is left, waits for it (bounded by its timeout), removes the
 *    cgroup and the bundle, and forgets the container.
 * Every step that waits on a child (setup, exec, exit) parks the RPC and is completed from the
 * loop: nothing here blocks.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "agent/stdio.h"
#include "base/error.h"
#include "base/list.h"
#include "engine/spawn.h"

#include "agent.pb-c.h"

struct agent;
struct rpc_call;
struct cgroup;
struct cgroup_device_rule;
struct passfd_io;
struct trace_span;

enum process_state {
        PROCESS_SPAWNING, /* child setting up */
        PROCESS_CREATED,  /* init: ready, waiting for StartContainer */
        PROCESS_STARTING, /* START sent, waiting for execve */
        PROCESS_RUNNING,
        PROCESS_EXITED,
};

struct process {
        struct container *container;
        char *exec_id;
        bool init;
        pid_t pid;
        pid_t stage1;
        enum process_state state;
        bool exec_due; /* START was sent (init) or no START is needed (exec) */
        int exit_code;
        int wait_status;   /* raw waitpid status once EXITED */
        int stage1_status; /* raw waitpid status of stage 1 once reaped */
        struct stdio stdio;
        uint32_t passfd_ports[3]; /* the request's stdin/stdout/stderr_port */
        struct passfd_io *passfd; /* streams of runtime-rs's passfd I/O, or NULL */
        struct trace_span *span;  /* agent.trace: spawn to exit */
        int sync_fd;
        struct loop_io *sync_io;
        struct list_node pending; /* the Create/Start/Exec call waiting on the child */
        struct list_node waiters; /* WaitProcess calls */
        struct list_node node;    /* on container->processes */
};

enum container_state {
        CONTAINER_CREATING,
        CONTAINER_CREATED,
        CONTAINER_RUNNING,
        CONTAINER_PAUSED,
        CONTAINER_STOPPED,
};

struct container {
        struct agent *agent;
        struct trace_span *span; /* agent.trace: CreateContainer to removal */
        char *id;
        Grpc__CreateContainerRequest *req; /* owned: holds the spec for the container's life */
        char *bundle;
        char *rootfs;
        bool rootfs_mounted;
        struct cgroup *cgroup;
        struct spawn_ns_config ns[_SPAWN_NS_MAX];
        char *ns_paths[_SPAWN_NS_MAX];
        enum container_state state;
        struct process *init;
        struct list_node processes;
        bool removing;
        struct list_node removers;      /* RemoveContainer calls waiting for the processes to go */
        struct list_node failed_create; /* a CreateContainer that failed, answered after cleanup */
        char *setup_error;
        int setup_errno;
        bool sandbox_pidns_candidate; /* its new pid namespace may become the sandbox's */
        uint32_t pipe_size;           /* stdout/stderr pipe capacity for its processes */
        struct loop_timer *remove_timer;
        char **storages;             /* mount points referenced (storage_acquire) */
        struct hooks_run *hooks_run; /* OCI hooks running (src/sandbox/hooks.c) */
        struct oom_watch *oom;       /* its memory cgroup watched for OOM kills */
        struct rpc_call *start_call; /* StartContainer waiting for the prestart hooks */
        struct list_node start_waiters;
        struct list_node node; /* on agent->containers */
};

/* Per-container stdout/stderr pipe capacity (bytes), over agent.container_pipe_size. The pod-wide
 * Kata annotation is honoured too when it reaches the container's spec. */
#define CONTAINER_PIPE_SIZE_ANNOTATION "io.katacontainers.container.pipe_size"
#define POD_PIPE_SIZE_ANNOTATION       "io.katacontainers.config.agent.container_pipe_size"

/* Kata's id rule: more than one character, the first alphanumeric, the rest alphanumeric or
 * `.`, `-`, `_` (and at most 256 characters, so paths stay bounded). */
bool container_id_valid(const char *id);

struct container *container_find(struct agent *a, const char *id);

/* The checks CreateContainer makes before touching anything (id, Root.Path, Process.Args, Cwd,
 * mount destinations). Pure: fuzzed. */
int container_validate_request(const Grpc__CreateContainerRequest *req, struct agent_error **err);

/* Takes ownership of the request (call->req moves here). Replies or parks call. rules: exact
 * device cgroup rules for the devices found for it (devices_prepare()), applied after the
 * spec's. */
int container_create(struct agent *a, struct rpc_call *call, const struct cgroup_device_rule *rules,
                     size_t n_rules, struct agent_error **err);
int container_start(struct container *c, struct rpc_call *call, struct agent_error **err);
int container_remove(struct container *c, struct rpc_call *call, uint32_t timeout_s,
                     struct agent_error **err);
int container_pause(struct container *c, bool pause, struct agent_error **err);
int container_update(struct container *c, const Grpc__LinuxResources *res,
                     struct agent_error **err);
int container_stats(struct container *c, Grpc__StatsContainerResponse *ret,
                    struct agent_error **err);

/* Finds a process: exec_id "" (or == container id) is init. NULL when unknown. */
struct process *process_find(struct container *c, const char *exec_id);
int process_exec(struct container *c, struct rpc_call *call, struct agent_error **err);
int process_signal(struct container *c, const char *exec_id, uint32_t sig,
                   struct agent_error **err);
int process_wait(struct process *p, struct rpc_call *call, struct agent_error **err);

/* Shutdown: kills and forgets everything synchronously (agent exit). */
void container_free_all(struct agent *a);
