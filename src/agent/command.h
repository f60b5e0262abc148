/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A helper program (iptables-save, iptables-restore, modprobe, an OCI hook...) run as a child of
 * the agent, entirely through the loop: its stdin is fed from a buffer as the pipe accepts it,
 * stdout and stderr are collected into bounded buffers, and the reaper reports its exit. The
 * callback runs once the program was reaped (what it wrote before exiting is read first; a
 * daemonised grandchild that keeps the pipes open is not waited for), or after the timeout killed
 * it. The loop never blocks on the program.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct agent;
struct command;

struct command_result {
        int status;      /* waitpid status */
        bool timed_out;  /* killed by the timeout */
        bool overflow;   /* stdout went past out_max: the rest was discarded */
        const char *out; /* stdout (NUL-terminated), out_len bytes */
        size_t out_len;
        const char *err; /* stderr, at most COMMAND_STDERR_MAX bytes */
        size_t err_len;
};

#define COMMAND_STDERR_MAX 4096

typedef void (*command_done_fn)(const struct command_result *res, void *userdata);

struct command_spec {
        const char *path;        /* absolute; NULL: argv[0] */
        const char *const *argv; /* argv[0] is the name the program sees */
        const char *const *env;  /* NULL: the agent's own environment */
        const void *in;          /* stdin, in_len bytes (copied) */
        size_t in_len;
        size_t out_max;      /* stdout kept; the rest is read and dropped (overflow) */
        uint64_t timeout_ns; /* SIGKILL after this long; 0: no limit */
};

/* Starts the program (a missing one is -ENOENT with err saying so, before any fork). The
 * command frees itself after fn ran; fn may be NULL. */
int command_start(struct agent *a, const struct command_spec *spec, command_done_fn fn,
                  void *userdata, struct command **ret, struct agent_error **err);

/* The waiter went away: fn will not run; the child is killed and reaped in the background.
 * NULL is fine. */
void command_abandon(struct command *c);
/* Shutdown: kills every command without calling back. */
void command_free_all(struct agent *a);

/* "exited with 3", "killed by signal 9", "timed out", then ": <stderr or stdout>" when the
 * program said something: for error messages. */
char *command_result_text(const struct command_result *res);
