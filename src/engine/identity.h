/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Who the container process is: capabilities (all five sets), user (uid, gid, additional gids),
 * rlimits, no_new_privileges, oom_score_adj.
 *
 * identity_new() validates and converts in the agent (bad capability or rlimit names are errors
 * naming the field); identity_apply() runs in the container child, after the rootfs is set up and
 * before seccomp and execve, in this order: rlimits, oom_score_adj, bounding set, keep-caps,
 * groups/gid/uid, effective/permitted/inheritable, ambient, no_new_privs.
 *
 * Field semantics:
 *  - Capabilities: names with or without "CAP_", any case. Capabilities the running kernel does
 *    not have (above /proc/sys/kernel/cap_last_cap) are skipped with a debug log. An effective
 *    capability missing from the permitted set is an error (capset would refuse it). An ambient
 *    capability not in both the permitted and inheritable sets cannot be raised: it is dropped
 *    with a warning (the Rust agent too only logs a failed raise). Process.Capabilities absent:
 *    no capability set is touched (the kernel's setuid rules alone decide, as for a plain
 *    setuid program).
 *  - User: uid, gid or an additional gid 4294967295 ((uid_t) -1, "leave unchanged" to the
 *    kernel) is refused: the process would silently stay root. Additional gids are always set, also
 * when empty (setgroups(0)), so the agent's groups never leak in. User.Username is not looked up
 * here. Process.User absent means uid 0, gid 0.
 *  - OOMScoreAdj: proto3 cannot tell 0 from "not set", so 0 means "inherit the agent's value";
 *    any other value in [-1000, 1000] is written to /proc/self/oom_score_adj (which is the
 *    container's /proc: the spec must mount it, as every OCI spec does).
 *  - Rlimits: every RLIMIT_* name of Linux; a duplicate type or soft > hard is an error.
 */

#include <stddef.h>
#include <stdbool.h>

#include "base/error.h"
#include "oci.pb-c.h"

struct identity;

int identity_new(const Grpc__Process *proc, struct identity **ret, struct agent_error **err);
/* In the child. Returns 0 or -errno; *ret_what names the failing step ("setresuid", ...).
 * errno is left set to the same error, for callers that report errno. No allocation, no
 * logging: safe in the forked child of a single-threaded parent. */
int identity_apply(const struct identity *id, const char **ret_what);
struct identity *identity_free(struct identity *id);

/*
 * identity_apply() plus one step of the caller's (the seccomp load), placed where runc and crun
 * place it. Loading a seccomp filter needs no_new_privs or CAP_SYS_ADMIN:
 *  - with no_new_privileges the hook runs last, after PR_SET_NO_NEW_PRIVS, so the filter never
 *    sees the setup syscalls;
 *  - without it the hook runs after rlimits and oom_score_adj, while the child still holds all
 *    its capabilities; the filter must then allow capset, prctl, setgroups, setresgid and
 *    setresuid (Docker's default profile does).
 * A hook returns 0 or -errno; when it fails *ret_what is hook_what.
 */
typedef int (*identity_hook_fn)(void *userdata);
int identity_apply_with(const struct identity *id, identity_hook_fn hook, void *userdata,
                        const char *hook_what, const char **ret_what);

/* Capability name ("CAP_SYS_ADMIN" or "sys_admin") to number, or -EINVAL. */
int identity_cap_from_name(const char *name);
/* Rlimit name ("RLIMIT_NOFILE") to resource number, or -EINVAL. */
int identity_rlimit_from_name(const char *name);

/* The i-th capability's name (lower case, without "cap_"; NULL past the last), for feature
 * listings. */
const char *identity_cap_name(size_t i);
