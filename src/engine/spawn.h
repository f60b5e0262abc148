/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Starting a container process without ever blocking the agent.
 *
 *   agent ──fork──► stage 1 ──clone(CLONE_PARENT [|CLONE_NEWPID])──► stage 2 (the process)
 *
 * Stage 1 joins the cgroup, joins namespaces given by path (setns) and creates the new ones
 * (unshare), then clones stage 2 with CLONE_PARENT so the process is the agent's own child
 * (reaped by the agent's SIGCHLD handler) and, for a new pid namespace, its pid 1. Stage 1
 * reports stage 2's pid and exits.
 *
 * Stage 2 writes sysctls, sets up the rootfs (init only), hostname, stdio, cwd, finds the
 * executable, applies the identity, then:
 *  - init (CreateContainer): reports READY and waits for START (StartContainer);
 *  - exec (ExecProcess): goes straight on;
 * and finally loads seccomp and execs. The sync socket is close-on-exec: the agent sees EOF
 * when execve succeeded, or an ERROR message (errno + text) from any stage that failed.
 *
 * Every message travels over a SOCK_SEQPACKET socketpair, so the agent reads them from its
 * loop (struct spawn_msg, one per packet) and never waits on a child.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "oci.pb-c.h"

struct cgroup;
struct identity;
struct seccomp_filter;

enum spawn_msg_type {
        SPAWN_MSG_PID = 1,         /* stage 1 -> agent: value = pid of stage 2 */
        SPAWN_MSG_READY = 2,       /* stage 2 -> agent: set up, waiting for START */
        SPAWN_MSG_START = 3,       /* agent -> stage 2 */
        SPAWN_MSG_ERROR = 4,       /* any stage -> agent: value = errno, text = what failed */
        SPAWN_MSG_USERNS = 5,      /* stage 1 -> agent: new user namespace, value = stage 1 pid */
        SPAWN_MSG_USERNS_DONE = 6, /* agent -> stage 1: uid/gid maps written */
};

struct spawn_msg {
        uint32_t type;
        int32_t value;
        char text[480];
};

/* Namespace kinds in the order they must be joined (user first, mount last before pid). */
enum spawn_ns {
        SPAWN_NS_USER,
        SPAWN_NS_IPC,
        SPAWN_NS_UTS,
        SPAWN_NS_NET,
        SPAWN_NS_CGROUP,
        SPAWN_NS_MNT,
        SPAWN_NS_PID,
        _SPAWN_NS_MAX,
};

struct spawn_ns_config {
        bool enabled;     /* a namespace of this kind is wanted (new or joined) */
        const char *path; /* join this one; NULL: create new */
};

struct spawn_config {
        bool init;                    /* container init: rootfs setup, wait for START */
        const Grpc__Spec *spec;       /* mounts, hostname, sysctl, devices (init only) */
        const Grpc__Process *process; /* args, env, cwd */
        const char *rootfs;           /* absolute; init only */
        struct spawn_ns_config ns[_SPAWN_NS_MAX];
        struct cgroup *cgroup; /* joined by stage 1; may be NULL */
        const struct identity *identity;
        struct seccomp_filter *seccomp; /* may be NULL */
        int stdio[3];                   /* become 0, 1, 2 in the process */
        bool terminal;                  /* stdio[0] is a pty slave: make it the ctty */
        /* Stage 1 sets oom_score_adj back to 0 first: the agent protects itself (-997) and its
         * containers must not inherit that (the spec's OOMScoreAdj, when set, comes later). */
        bool reset_oom_score;
        /* OCI runtime CLI mode (cata-runtime): after READY the init process does not wait for
         * START on the sync socket (its creator exits) but blocks opening this FIFO for writing;
         * `start` opens it for reading and gets one byte ("0"). The write end stays open until
         * execve (close-on-exec): EOF after the byte means the process exec'd; a failure before
         * (startContainer hook, identity, seccomp, execve) writes "<errno> <text>" first. Later
         * errors also go to the process's stderr. */
        const char *exec_fifo;
        /* Run in the container, after the rootfs is set up and before execve (OCI
         * startContainer hooks): each is a NULL-terminated argv, env, and a timeout in s. */
        const Grpc__Hook *const *start_hooks;
        size_t n_start_hooks;
        const char *state_json; /* the OCI state given to hooks on stdin */
        /* OCI runtime CLI extras (the agent leaves them zero): */
        bool create_cwd; /* mkdir -p the cwd when missing (runc, crun) */
        bool has_umask;  /* process.user.umask (not in Kata's protocol) */
        mode_t umask;
        unsigned preserve_fds;  /* fds 3 .. 3+n-1 stay open in the process (--preserve-fds) */
        const char *domainname; /* set in the new uts namespace (init only; NULL: none) */
};

/* Parses a namespace type name ("mount", "network", "pid", ...) or returns -EINVAL. */
int spawn_ns_from_name(const char *name);
const char *spawn_ns_name(enum spawn_ns ns);

/*
 * Forks stage 1. On success *ret_stage1 is its pid (the caller reaps it) and *ret_sync is the
 * agent's end of the sync socket (SOCK_SEQPACKET, non-blocking, close-on-exec): read
 * spawn_msg packets from it. Nothing here blocks.
 */
int spawn_start(const struct spawn_config *cfg, pid_t *ret_stage1, int *ret_sync,
                struct agent_error **err);

/* Answers SPAWN_MSG_USERNS: writes Linux.UIDMappings/GIDMappings to /proc/<pid>/{uid,gid}_map
 * (nothing when l is NULL or has none). Returns 0 or -errno. */
int spawn_write_id_maps(pid_t pid, const Grpc__Linux *l);

/* A terminal is at most 65535x65535 (struct winsize): a larger Process.ConsoleSize (or
 * TtyWinResize) is refused, never truncated. field names it in the message. */
int spawn_console_size_check(uint32_t rows, uint32_t cols, const char *field,
                             struct agent_error **err);

/* Sends one message (START, USERNS_DONE). */
int spawn_send(int sync_fd, enum spawn_msg_type type, int32_t value);

/* Reads one message: 1 = got one, 0 = EOF (the child exec'd or died), -EAGAIN = nothing yet. */
int spawn_recv(int sync_fd, struct spawn_msg *ret);

/* Resolves argv[0] the way execvp would, using PATH from env (or a default), relative to the
 * current root. Fills buf; returns 0 or -ENOENT/-EACCES. Pure apart from access(2). */
int spawn_find_executable(const char *name, char *const *env, size_t n_env, char *buf, size_t size);

/* In a freshly forked child of the agent: the agent blocks its signals for signalfd and ignores
 * SIGPIPE; undo both before exec. */
void spawn_child_reset_signals(void);
