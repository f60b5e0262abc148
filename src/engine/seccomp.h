/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Seccomp from Linux.Seccomp, with libseccomp. The filter is compiled in the agent before the
 * container process is forked (so a bad profile is a clean error on CreateContainer), and
 * loaded by the child as the very last step before execve.
 *
 * Supported: DefaultAction and per-syscall Action (SCMP_ACT_KILL, KILL_PROCESS, KILL_THREAD,
 * TRAP, ERRNO, TRACE, ALLOW, LOG), ErrnoRet (the oneof: absent means EPERM), argument
 * conditions (SCMP_CMP_NE/LT/LE/EQ/GE/GT/MASKED_EQ with Index, Value, ValueTwo), Architectures
 * (SCMP_ARCH_*), Flags (SECCOMP_FILTER_FLAG_LOG, SPEC_ALLOW, TSYNC where libseccomp knows them).
 * Unknown syscall names are skipped with a debug log (profiles list syscalls of newer kernels);
 * unknown actions, operators or architectures are errors naming the field.
 *
 * Details:
 *  - ErrnoRet is only valid with SCMP_ACT_ERRNO (at most 4095) and SCMP_ACT_TRACE (at most
 *    65535, the tracer's message); the default action has no ErrnoRet in Kata's proto, so a
 *    default SCMP_ACT_ERRNO returns EPERM. SCMP_ACT_NOTIFY is not supported (an error).
 *  - Two conditions on the same argument index make one rule per condition (any matches), as
 *    in runc and crun; rules whose action equals the default action are dropped.
 *  - The filter never sets no_new_privs itself (that is Process.NoNewPrivileges' to decide), so
 *    loading needs no_new_privs or CAP_SYS_ADMIN: see identity_apply_with().
 *  - Needs libseccomp 2.5.0 or newer (the list of features is at the top of seccomp.c).
 */

#include <stdint.h>

#include "base/error.h"
#include "oci.pb-c.h"

struct seccomp_filter;

/* spec NULL (no Linux.Seccomp): *ret = NULL and 0. */
int seccomp_filter_new(const Grpc__LinuxSeccomp *spec, struct seccomp_filter **ret,
                       struct agent_error **err);
/* The same with the OCI linux.seccomp.defaultErrnoRet, which Kata's proto lacks (cata-runtime
 * reads it from config.json): the errno of a default SCMP_ACT_ERRNO (or TRACE) when not NULL. */
int seccomp_filter_new_with(const Grpc__LinuxSeccomp *spec, const uint32_t *default_errno_ret,
                            struct seccomp_filter **ret, struct agent_error **err);
/* In the child: loads the filter. Returns 0 or -errno (the kernel's: EACCES without
 * no_new_privs or CAP_SYS_ADMIN). A NULL filter loads nothing. libseccomp generates the program
 * here (malloc): fine in the forked child of a single-threaded parent. */
int seccomp_filter_load(struct seccomp_filter *f);
struct seccomp_filter *seccomp_filter_free(struct seccomp_filter *f);

/* The i-th action or comparison operator name understood in profiles (NULL past the last). */
const char *seccomp_action_name(size_t i);
const char *seccomp_operator_name(size_t i);
