/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Child reaping. The agent is a subreaper (or PID 1), so every process it starts, and every
 * orphan below them, ends up as its child. On SIGCHLD it reaps all of them with
 * waitpid(-1, WNOHANG) and hands each status to whoever watches that pid.
 *
 * A child may die before anybody watches it (a container process that fails right after clone,
 * before its pid reached the agent): such statuses are kept, bounded, and handed out when the
 * watch is registered.
 */

#include <stdbool.h>
#include <sys/types.h>

struct agent;

typedef void (*reaper_fn)(pid_t pid, int status, void *userdata);

/* Exit code as Kata reports it: the exit status, or 128 + signal number. */
int reaper_exit_code(int status);

/* Calls fn once pid has been reaped (maybe right away, from inside this call). */
void reaper_watch(struct agent *a, pid_t pid, reaper_fn fn, void *userdata);
/* Forgets a watch (the object went away first). */
void reaper_unwatch(struct agent *a, pid_t pid);

/* The SIGCHLD handler body. */
void reaper_reap(struct agent *a);
void reaper_free(struct agent *a);
