/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The "VMs" of cata-remote-hv: one per Kata sandbox, created by CreateVM, given a guest process
 * by StartVM and torn down by StopVM.
 *
 *   CreateVM  -> VM_CREATED   a state directory <state_dir>/<id>/ and the agent socket path in it
 *   StartVM   -> VM_STARTING  the guest process is launched (guest.h); the call is parked
 *             -> VM_RUNNING   once the agent socket exists: every parked StartVM answers OK
 *   StopVM    -> VM_STOPPING  SIGTERM to the guest, SIGKILL after stop_timeout_s; parked
 *             -> (freed)      once the guest was reaped: directory removed, StopVM answers OK
 *
 * A guest that dies while starting fails the parked StartVM with the reason its launcher
 * reported (or its exit status). A guest that dies while running stays a VM without a process
 * until StopVM. Everything is driven from the loop: no call ever waits on a child.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/list.h"
#include "event/loop.h"

struct rpc_call;

/* Bounds on what the shim sends: Kata sandbox ids are 64 hex digits. */
#define VM_ID_MAX 128
#define VM_MAX    64

enum hv_guest_kind {
        HV_GUEST_NAMESPACE, /* cata-agent on this host, in a mount namespace from the shim's */
        HV_GUEST_QEMU,      /* a QEMU guest with cata-agent as PID 1 */
};

struct hv_config {
        enum hv_guest_kind guest;
        const char *state_dir;       /* VM directories and agent sockets */
        const char *log_dir;         /* guest output to <log_dir>/<id>.log; NULL: our stderr */
        const char *agent;           /* namespace guest: the cata-agent binary */
        const char *agent_log_level; /* namespace guest: --log-level */
        const char *qemu;            /* QEMU guest: the qemu-system binary */
        const char *kernel;
        const char *initrd;
        const char *kernel_params; /* appended to the guest kernel command line */
        unsigned memory_mb;
        unsigned start_timeout_s; /* StartVM gives up when no agent socket appears by then */
        unsigned stop_timeout_s;  /* StopVM: SIGTERM first, SIGKILL after this */
};

struct hv {
        struct loop *loop;
        const struct hv_config *cfg;
        struct list_node vms;
        unsigned n_vms;
};

enum vm_state {
        VM_CREATED,
        VM_STARTING,
        VM_RUNNING,
        VM_STOPPING,
};

struct vm {
        struct hv *hv;
        struct list_node node;
        char *id;
        char *dir;
        char *agent_socket;
        enum vm_state state;
        pid_t pid;     /* the guest process; 0 once reaped or before StartVM */
        int report_fd; /* the launcher's report pipe, until exec or failure */
        struct loop_io *report_io;
        struct loop_timer *timer; /* VM_STARTING: socket poll; VM_STOPPING: SIGKILL */
        uint64_t deadline_ns;
        char *failure;                  /* why the guest did not start */
        struct list_node start_waiters; /* parked StartVM calls */
        struct list_node stop_waiters;  /* parked StopVM calls */
};

void hv_init(struct hv *hv, struct loop *loop, const struct hv_config *cfg);
/* Shutdown: kills and reaps every guest, removes their directories. */
void hv_done(struct hv *hv);
/* The SIGCHLD handler body. */
void hv_reap(struct hv *hv);

/* Checks an id from the host: 1..VM_ID_MAX of [A-Za-z0-9._-], not starting with '.'. */
bool vm_id_valid(const char *id);

int vm_create(struct hv *hv, const char *id, struct vm **ret, struct agent_error **err);
struct vm *vm_find(struct hv *hv, const char *id);

/* Launches the guest for the sandbox whose shim is caller_pid (its mount namespace is the one
 * with the sandbox's mounts) and parks call until the agent socket exists. A running VM answers
 * at once. Returns 0 (call parked or answered) or -errno with *err (call still the caller's). */
int vm_start(struct vm *vm, pid_t caller_pid, struct rpc_call *call, struct agent_error **err);
/* Stops the guest and parks call until it was reaped and the VM is gone; idempotent. Same
 * return convention. */
int vm_stop(struct vm *vm, struct rpc_call *call, struct agent_error **err);
