/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What the pod's containers share (Kata's sandbox): persistent ipc and uts namespaces, kept
 * alive by bind mounts under <run dir>/sandbox/ns/, which every container joins instead of
 * creating its own (as the Rust agent points them at the sandbox's), and the pid namespace of
 * the first container when sandbox_pidns is set (container.c).
 */

#include "base/error.h"
#include "engine/spawn.h"

struct agent;

/* The path of the sandbox's namespace of this kind (SPAWN_NS_IPC or SPAWN_NS_UTS), created on
 * first use. */
int sandbox_shared_ns(struct agent *a, enum spawn_ns kind, const char **ret_path,
                      struct agent_error **err);

/* Unmounts and removes the persistent namespaces (agent shutdown). */
void sandbox_release(struct agent *a);
