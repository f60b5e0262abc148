/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The agent: one loop, its configuration, the listeners and the live sessions. Everything else
 * (containers, stdio, devices) hangs off this struct as it lands; no mutable globals.
 */

#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "base/error.h"
#include "base/list.h"
#include "event/loop.h"
#include "rpc/call.h"
#include "storage/storage.h"
#include "sandbox/sandbox.h"

/* Concurrent connections: the shim keeps one; restarted shims, `shim delete` and debugging
 * tools add a few. 64 bounds what a flood of connects can cost. */
#define AGENT_MAX_SESSIONS 64

struct ttrpc_listener;
struct logsink;
struct console;
struct reaper;
struct linkwait;
struct devices;
struct passfd;
struct tracer;

#define AGENT_DEFAULT_RUN_DIR "/run/kata-containers"

/* The agent's own oom_score_adj as a service (Kata's unit file: OOMScoreAdjust=-997). */
#define AGENT_OOM_SCORE_ADJ       -997
#define AGENT_DEFAULT_RESOLV_CONF "/etc/resolv.conf"

struct agent {
        struct loop *loop;
        struct agent_config config;
        bool init_mode; /* running as PID 1 */
        struct ttrpc_listener *listener;
        struct list_node sessions;
        unsigned n_sessions;
        struct rpc_budget rpc_budget;   /* request bytes held by parked calls, all sessions */
        size_t stdio_out_bytes;         /* output buffer capacity of all streams (stdio.c) */
        struct list_node stdio_starved; /* streams paused by that total */
        struct logsink *logsink;
        struct passfd *passfd; /* runtime-rs passfd stdio streams (src/passfd/) */
        struct tracer *tracer; /* agent.trace spans (src/trace/), NULL when off */
        struct console *console;
        struct reaper *reaper;
        uint64_t start_ns;
        const char *run_dir;     /* bundles: <run_dir>/<container id>/ */
        const char *cgroup_root; /* where the cgroup hierarchies are mounted */
        struct list_node containers;
        pid_t sandbox_pid; /* init of the first container: its pid namespace is the sandbox's */
        char *sandbox_ipc; /* persistent namespaces the pod's containers share (sandbox.c) */
        char *sandbox_uts;
        struct linkwait *linkwait;       /* UpdateInterface calls waiting for a hot-plugged NIC */
        struct devices *devices;         /* uevents, hot-plugged devices (src/devices/) */
        struct storage_registry storage; /* storages by mount point (src/storage/) */
        struct sandbox sandbox;          /* CreateSandbox's state (src/sandbox/) */
        struct list_node commands;       /* helper programs running in children (command.c) */
        const char *resolv_conf; /* the guest's resolv.conf, where CreateSandbox's DNS goes */
        bool dns_bound;
};

/* Sets up the loop, signals and the listener on config.server_addr. Fills err on failure. */
int agent_start(struct agent *a, struct agent_error **err);
/* Runs the loop until SIGTERM/SIGINT (service mode). Returns an exit status. */
int agent_run(struct agent *a);
void agent_stop(struct agent *a);
