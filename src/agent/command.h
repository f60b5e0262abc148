/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A helper program (iptables-save, iptables-restore...) run as a child of the agent, entirely
 * through the loop: its stdin is fed from a buffer as the pipe accepts it, stdout and stderr are
 * collected into bounded buffers, and the reaper reports its exit. The callback runs once the
 * program was reaped and both pipes reached EOF (or the timeout killed it). The loop never
 * blocks on the program.
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

/* Starts argv[0] (an absolute path; a missing program is -ENOENT with err saying so, before any
 * fork) with in[0..in_len) on stdin. The command frees itself after fn ran; fn may be NULL. */
int command_start(struct agent *a, const char *const *argv, const void *in, size_t in_len,
                  size_t out_max, uint64_t timeout_ns, command_done_fn fn, void *userdata,
                  struct command **ret, struct agent_error **err);

/* The waiter went away: fn will not run; the child is killed and reaped in the background. */
void command_abandon(struct command *c);
