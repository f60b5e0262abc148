/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What the files of the cgroup module share; included by src/engine/cgroup*.c only.
 *
 *   cgroup.c            discovery, paths, create, enter, freeze, kill, destroy; file helpers
 *   cgroup-resources.c  cgroup_apply(): the v1 and v2 writers of Linux.Resources
 *   cgroup-stats.c      cgroup_stats(): Kata's CgroupStats from the cgroup files
 *   cgroup-devices.c    device rules: v1 allow/deny lists, v2 an eBPF device program
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/log.h"
#include "engine/cgroup.h"

#define cg_debug(...) log_full(LOG_LEVEL_DEBUG, "cgroups", NULL, __VA_ARGS__)
#define cg_warn(...)  log_full(LOG_LEVEL_WARN, "cgroups", NULL, __VA_ARGS__)

/* Bounds for what we read from sysfs/procfs: generous, but a corrupted file cannot eat memory. */
#define SMALL_FILE_MAX (64u * 1024)
#define LARGE_FILE_MAX (4u * 1024 * 1024)

/* One hierarchy the cgroup lives in. */
struct hier {
        char *mnt;     /* mount point of the hierarchy */
        char *dir;     /* mnt + path, once created */
        char *ctrls;   /* v1: the mount's controllers ("cpu,cpuacct", "name=systemd");
                        * v2: the leaf's cgroup.controllers */
        bool v2;       /* cgroup2 file names and formats */
        bool optional; /* failures are logged, not returned (hybrid unified, named v1 trees) */
};

struct cgroup {
        enum cgroup_mode mode;
        char *path;
        struct hier *h;
        size_t n;
        struct cgroup_device_rule *extra; /* the agent's exact rules (found devices) */
        size_t n_extra;
};

/* Strings. */
bool cgroup_endswith(const char *s, const char *suffix);
char *cgroup_trim_right(char *s);

/* Writing <dir>/<file> (one write(2)); -errno. cgroup_write_error() sets err for such a failure
 * and returns -errno; cgroup_write() writes in a hierarchy's directory and sets err itself. */
int cgroup_write_at(const char *dir, const char *file, const char *value);
int cgroup_write_error(struct agent_error **err, int r, const char *dir, const char *file,
                       const char *value);
int cgroup_write(const struct hier *h, const char *file, const char *value,
                 struct agent_error **err);

/* Reading <dir>/<file>: whole (at most max bytes), a single number ("max" = UINT64_MAX), or
 * the value of `key` in the text of a flat keyed file ("key value" per line). */
bool cgroup_file_exists(const char *dir, const char *file);
int cgroup_read_at(const char *dir, const char *file, size_t max, char **ret);
int cgroup_read_u64_at(const char *dir, const char *file, uint64_t *ret);
bool cgroup_kv_get(const char *text, const char *key, uint64_t *ret);

/* The hierarchy holding a controller (a v1 mount first, else a v2 tree with it enabled), or
 * NULL. */
const struct hier *cgroup_find_ctrl(const struct cgroup *cg, const char *name);

/* cgroup-devices.c: the spec's rules plus the extra ones, v1 lists or the v2 program. */
int cgroup_apply_devices(struct cgroup *cg, Grpc__LinuxDeviceCgroup **d, size_t n,
                         struct agent_error **err);
