/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Jobs: a helper program (modprobe, a guest hook) run in a child process so the loop never
 * blocks on it. Its stdout and stderr are captured together, bounded (JOB_OUTPUT_MAX; the rest
 * is read and dropped so the child never stalls on a full pipe), an optional input is written to
 * its stdin, and it is killed with SIGKILL when its timeout passes. The callback runs once, from
 * the loop, after the child was reaped; the job is freed right after it returns.
 */

#include <stddef.h>
#include <stdint.h>

#define JOB_OUTPUT_MAX 4096
/* Input larger than a pipe's default capacity would need a writer in the loop; hook states and
 * modprobe arguments are far smaller. */
#define JOB_INPUT_MAX 65536

struct agent;
struct job;

/* status: a wait status (WIFEXITED...), or -ETIME when the timeout killed it. output is
 * NUL-terminated, at most JOB_OUTPUT_MAX bytes. */
typedef void (*job_done_fn)(struct job *j, int status, const char *output, void *userdata);

/* Starts path (absolute) with argv (argv[0] is the name it sees) and env (NULL: a minimal PATH
 * only). Returns 0 or -errno (nothing started). */
int job_start(struct agent *a, const char *path, const char *const *argv, const char *const *env,
              const char *input, size_t input_len, uint64_t timeout_ms, job_done_fn fn,
              void *userdata, struct job **ret);
/* Kills the child (it is still reaped) and drops the callback. */
void job_cancel(struct job *j);
/* "exited with 3", "killed by signal 9", "timed out": for messages. */
const char *job_status_text(int status, char *buf, size_t size);
/* Shutdown: kills every job without calling back. */
void job_free_all(struct agent *a);
