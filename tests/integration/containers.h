/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Container helpers for integration tests: a busybox rootfs built once per test binary (from
 * Debian's busybox-static by tests/rootfs/make-rootfs.sh), an OCI spec template, and the RPC
 * sequences the Kata runtime uses (create, start, read stdout/stderr to EOF, wait, remove).
 */

#include <stdbool.h>
#include <stddef.h>

#include <sys/types.h>

#include "ttrpc/client.h"

/* The parent cgroup of this test process's containers: "cata-it-<pid>", so that two test
 * runs on one machine never touch each other's cgroups. */
const char *ct_cgroup_parent(void);

struct agent_proc;

/* This test process's agent run dir: /tmp/cata-run-<pid>. */
const char *ct_run_dir(void);
/* Starts cata-agent for container tests (rootfs built, --run-dir ct_run_dir(), the given
 * kernel command line) and connects to it. */
struct ttrpc_client *ct_agent_start(struct agent_proc *a, const char *cmdline);
/* Disconnects, stops the agent (asserting a clean exit) and removes the empty run dir. */
void ct_agent_stop(struct agent_proc *a, struct ttrpc_client *c);

/* The rootfs path (built on first use, removed at exit). */
const char *ct_rootfs(void);

/* An OCI config.json text: args_json is a JSON array ("[\"sh\",\"-c\",\"echo hi\"]"); the
 * *_extra strings are spliced into the process, linux and top-level objects (each "" or starting
 * with a comma: ",\"cwd\":\"/tmp\""). The cgroup path is /<ct_cgroup_parent()>/<id>. */
char *ct_spec(const char *id, const char *args_json, const char *process_extra,
              const char *linux_extra, const char *top_extra);

/* CreateContainer from a spec text. Returns the status code; *st keeps the message. */
int ct_create(struct ttrpc_client *c, const char *id, const char *spec_json, bool sandbox_pidns,
              struct ttrpc_status *st);
/* StartContainer / PauseContainer / ResumeContainer / RemoveContainer (timeout 0). */
int ct_id_call(struct ttrpc_client *c, const char *method, const char *id, struct ttrpc_status *st);
int ct_signal(struct ttrpc_client *c, const char *id, const char *eid, int sig,
              struct ttrpc_status *st);
/* ExecProcess with args (JSON array) in the container. */
int ct_exec(struct ttrpc_client *c, const char *id, const char *eid, const char *args_json,
            struct ttrpc_status *st);
/* ReadStdout (or ReadStderr) with 32 KiB reads until EOF; *out is NUL-terminated. Returns the
 * status code of the call that ended the loop (0 at EOF). */
int ct_read_all(struct ttrpc_client *c, const char *id, const char *eid, bool stderr_stream,
                char **out, size_t *len);
int ct_wait(struct ttrpc_client *c, const char *id, const char *eid, int *status,
            struct ttrpc_status *st);

/* Create, start, read both streams to EOF, wait, remove. Asserts every step succeeds. */
void ct_run(struct ttrpc_client *c, const char *id, const char *spec_json, char **out, char **err,
            int *status);
/* ct_run with the default spec and `sh -c script`. */
void ct_sh(struct ttrpc_client *c, const char *id, const char *script, char **out, int *status);

/* Entries of a directory (not . and ..); asserts it exists. */
unsigned ct_count_dir(const char *path);
/* Subdirectories of a directory (0 when it does not exist). */
unsigned ct_count_subdirs(const char *path);
/* Processes whose parent is `parent`. */
unsigned ct_count_children(pid_t parent);
/* Mounts under this test's run dir (bundles, the sandbox's namespaces): other processes on the
 * machine may mount and unmount elsewhere meanwhile. */
unsigned ct_count_mounts_of_run_dir(void);
