/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Container cgroups, v1 or v2, chosen by what is mounted at the cgroup root:
 *  - v2 (unified): one directory under <root> (cgroup2 mounted at <root>);
 *  - v1 (legacy or hybrid): one directory per mounted controller under <root>/<controller>
 *    (cpu,cpuacct / cpuset / memory / pids / blkio / devices / freezer / hugetlb ...), plus the
 *    cgroup2 tree at <root>/unified when present (hybrid: joined too, so systemd-style tools
 *    see the process).
 * The agent creates a cgroup per container under a path of its own, applies
 * Linux.Resources, moves processes in, freezes/thaws, reads stats, kills and removes it.
 * All writes are short sysfs writes: fine inside the loop.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "oci.pb-c.h"
#include "agent.pb-c.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

enum cgroup_mode {
        CGROUP_MODE_V1, /* v1 controllers (maybe with cgroup2 at <root>/unified) */
        CGROUP_MODE_V2, /* cgroup2 at <root> */
};

struct cgroup;

/* Looks at <root> (statfs) to choose the mode. */
int cgroup_detect_mode(const char *root, enum cgroup_mode *ret);

/*
 * Creates (mkdir -p) the cgroup `path` (absolute inside the hierarchy, e.g. "/cata/abc"; a
 * systemd-style "slice:prefix:name" is mapped to "/slice/prefix-name.scope") in every
 * hierarchy. In v1 cpuset, cpus/mems are copied down from the parent so tasks can join; in v2 the
 * needed controllers are enabled in the parents' cgroup.subtree_control.
 * The path must not contain `..` components.
 */
int cgroup_new(const char *root, const char *path, struct cgroup **ret, struct agent_error **err);

/* Whether the cgroup `path` already exists and is frozen (v1 FROZEN or FREEZING, v2
 * cgroup.freeze 1), without creating anything: a process started there would stop before it
 * could report, so callers refuse it up front. */
int cgroup_frozen(const char *root, const char *path, bool *ret, struct agent_error **err);

/* Applies resources: cpu shares/quota/period (v2: weight, max), cpuset cpus/mems (checked against
 * the online cpus/nodes), memory limit/reservation/swap/swappiness, pids limit, blkio/io weight,
 * hugetlb limits, devices (v1 allow/deny lists; v2 an eBPF device program). Fields left 0/empty are
 * not touched. Errors name the file and the value. */
int cgroup_apply(struct cgroup *cg, const Grpc__LinuxResources *res, struct agent_error **err);
/* The checks cgroup_apply() makes before writing anything: a signed limit below -1 (a CPU quota
 * of -5, a pids limit of -5) is refused with EINVAL naming the field. Pure. */
int cgroup_resources_check(const Grpc__LinuxResources *res, struct agent_error **err);

/* A device rule in the engine's form: exact numbers (-1 = any), unlike the wire's, where 0
 * also means any. */
struct cgroup_device_rule {
        bool allow;
        char type;            /* 'a', 'b', 'c' */
        int64_t major, minor; /* -1 = any */
        char access[4];       /* a subset of "rwm" */
};

/* Rules applied after the spec's at every cgroup_apply() (the agent's rules for the devices it
 * found: guest numbers, exact). On v2, device rules become an eBPF program
 * (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup, replacing the one before. */
void cgroup_set_extra_device_rules(struct cgroup *cg, const struct cgroup_device_rule *r, size_t n);

/* The v2 device program for rules (the last matching rule wins) and a default verdict, as BPF
 * instructions (malloc'd; returns the count). Exposed for tests. */
struct bpf_insn;
size_t cgroup_devices_program(const struct cgroup_device_rule *v, size_t n, bool dflt,
                              struct bpf_insn **ret);

/* After CPU hotplug: every ancestor of the cgroup below the hierarchy root gets guest_cpus (top
 * down), then the cgroup gets cpus (its spec's, re-applied) or, without one, guest_cpus, so
 * that its processes can use the new CPUs. No cpuset hierarchy: nothing to do. */
int cgroup_follow_cpus(struct cgroup *cg, const char *guest_cpus, const char *cpus,
                       struct agent_error **err);

/* Moves pid into the cgroup in every hierarchy. */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct agent_error **err);

/* Freezes (true) or thaws (false) and waits until the state is reached (bounded: a few hundred
 * ms of polling the freezer state; v2 cgroup.events "frozen 1"). */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct agent_error **err);

/* Pids currently in the cgroup (malloc'd array). */
int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n);

/* Signals every process in the cgroup (freeze, kill, thaw so none escapes by forking). Returns
 * the number signalled, or -errno. */
int cgroup_kill_all(struct cgroup *cg, int sig);

/* Fills Kata's CgroupStats (cpu usage incl. percpu, throttling; memory usage/max/failcnt/limit,
 * swap, kernel, cache, stats map; pids current/limit; blkio recursive entries; hugetlb per page
 * size). Free with cgroup_stats_free(). */
int cgroup_stats(struct cgroup *cg, Grpc__CgroupStats **ret, struct agent_error **err);
void cgroup_stats_free(Grpc__CgroupStats *stats);

/* The memory controller's oom_kill counter (v1 memory.oom_control, Linux >= 4.13; v2
 * memory.events). -EOPNOTSUPP without a memory controller, -ENOENT without the counter. */
int cgroup_oom_kills(const struct cgroup *cg, uint64_t *ret);

/* Removes the directories (retrying briefly while the kernel still lists exiting tasks).
 * Then frees the object. Only the leaf goes (with sub-cgroups the container made inside it):
 * parents may be shared. The object is freed on failure too; the error names what is left. */
int cgroup_destroy(struct cgroup *cg, struct agent_error **err);
struct cgroup *cgroup_free(struct cgroup *cg);

/* The directory in the v2 tree, or of the memory controller in v1 (for OOM events later). */
const char *cgroup_memory_path(const struct cgroup *cg);

/* The normalized path ("/cata/abc") and the mode chosen by cgroup_new(). */
const char *cgroup_path(const struct cgroup *cg);
enum cgroup_mode cgroup_get_mode(const struct cgroup *cg);

/*
 * Pure helpers (no filesystem access), exposed for the container code and for tests.
 */

/* Maps a spec's cgroupsPath to the absolute path used in every hierarchy: "a//b/./c/" ->
 * "/a/b/c" (a relative path is anchored at the hierarchy root, as the Rust agent does); a
 * systemd-style "slice:prefix:name" -> "/<slice path>/<prefix>-<name>.scope" with the slice
 * expanded as systemd does ("a-b.slice" -> "/a.slice/a-b.slice", "" -> "system.slice",
 * "-.slice" -> the root). -EINVAL for an empty path, the root itself, a `..` component, control
 * characters or a malformed systemd triple; -ENAMETOOLONG beyond PATH_MAX. */
int cgroup_path_normalize(const char *spec_path, char **ret);

/* cpu.shares (v1, 2..262144) to cpu.weight (v2, 1..10000): 1 + ((shares - 2) * 9999) / 262142,
 * clamped to the v1 range first. 0 (unset) stays 0. */
uint64_t cgroup_shares_to_weight(uint64_t shares);

/* blkio.weight (v1, 10..1000) to io.weight (v2, 1..10000), linearly. 0 stays 0. */
uint64_t cgroup_blkio_weight_to_io(uint64_t weight);

/* 0 when every id of the kernel list `list` ("0-3,5") is in the list `online` (the content of
 * /sys/devices/system/cpu/online; a trailing newline is fine); -ERANGE when some id is not;
 * -EINVAL when either list does not parse. */
int cgroup_cpulist_within(const char *list, const char *online);

/* OCI memory.swap (memory+swap, v1 semantics) to memory.swap.max (v2, swap only), as runc does:
 * 0 = leave alone, -1 = "max". -EINVAL (with *ret untouched) when swap is set without a memory
 * limit or is below it. */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *ret);
