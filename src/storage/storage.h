/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Storages (Grpc__Storage of CreateSandbox and CreateContainer), with Kata's semantics
 * (docs/storage.md):
 *  - every storage is reference-counted per mount point across the sandbox and its containers:
 *    the first user mounts it, later users only take a reference;
 *  - the last release undoes it (unmount, remove the mount point directory) except for pod-scoped
 *    storages (`shared`, `ephemeral`, `local`), which live until storage_release_all()
 *    (DestroySandbox, shutdown) so that a restarted container finds its emptyDir again;
 *  - mount points are confined to the agent's run dir (/run/kata-containers, where every guest
 *    path the Kata runtimes use lives), normalised, without `..`; options and sizes are bounded.
 * Everything that reaches the host reports through struct agent_error; nothing here blocks the
 * loop for long: the watchable-bind watcher polls on a loop timer with bounded work, and big
 * tree removals run in a child.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/list.h"

#include "agent.pb-c.h"
#include "csi.pb-c.h"

struct agent;
struct loop_timer;

/* Bounds on what a host may ask for. */
#define STORAGE_MAX_PER_REQUEST 256  /* storages in one request */
#define STORAGE_MAX_ENTRIES     4096 /* live mount points in the registry */
#define STORAGE_MAX_OPTIONS     64   /* options / driver_options per storage */
#define STORAGE_MAX_OPTION_LEN  4096 /* one option string (mount(2) copies one page) */
#define STORAGE_MAX_PATH        4095 /* mount_point / source */
/* fs_group: entries changed in one go. The walk runs in the loop, so it is bounded; Kata's
 * volumes that carry an fs_group are fresh block volumes or small emptyDirs. */
#define STORAGE_FSGROUP_MAX_ENTRIES 100000

/* The Kata option and driver-option names. */
#define STORAGE_OPT_FSGID           "fsgid="
#define STORAGE_OPT_OVERLAY_RW      "io.katacontainers.fs-opt.overlay-rw"
#define STORAGE_DOPT_OVERLAY_MKDIR  "io.katacontainers.volume.overlayfs.create_directory="
#define STORAGE_SHAREDFS_PREMOUNTED "kataShared"

/* Watchable-bind limits, as Kata's watcher: beyond them the mount becomes a plain bind. */
#define STORAGE_WATCH_MAX_ENTRIES 16
#define STORAGE_WATCH_MAX_BYTES   (1024 * 1024)
#define STORAGE_WATCH_INTERVAL_NS (2ull * 1000000000ull)

/* One live mount point. */
struct storage_entry {
        char *mount_point;
        char *driver;
        char *owner_first; /* the owner that created it ("" = sandbox), for logs */
        unsigned refs;
        bool pod_scoped; /* kept at zero references until storage_release_all() */
        bool mounted;    /* we mounted something at mount_point: unmount on release */
        bool made_dir;   /* we created mount_point: remove it (if empty) on release */
        char *rw_upper;  /* overlay-rw: <run dir>/<cid>/{upper,work}, removed on release */
        char *rw_work;
        struct storage_watch *watch; /* watchable-bind */
        struct list_node node;
};

/* The registry, hung off struct agent. */
struct storage_registry {
        struct list_node entries;
        unsigned n_entries;
        /* watchable-bind: the tmpfs at <run dir>/shared/containers/watchable and its poller */
        char *watch_root;
        bool watch_root_mounted;
        struct list_node watches;
        struct loop_timer *watch_timer;
        unsigned trash_seq;
};

void storage_registry_init(struct storage_registry *reg);

/* ---- the API the sandbox and container code use ---- */

/* Takes a reference on each storage, mounting those seen for the first time. All or nothing:
 * on failure every reference taken here is dropped again. owner = container id, or "" for the
 * sandbox (overlay-rw needs a container). *ret_mount_points is a NULL-terminated vector of the
 * mount points referenced (one per storage), to hand back to storage_release(). */
int storage_acquire(struct agent *a, Grpc__Storage *const *list, size_t n, const char *owner,
                    char ***ret_mount_points, struct agent_error **err);
/* Drops one reference per mount point and frees the vector (NULL is fine). */
void storage_release(struct agent *a, char **mount_points);
/* Undoes every storage, pod-scoped ones included (DestroySandbox, shutdown). */
void storage_release_all(struct agent *a);

/* The storage drivers this build handles, NULL-terminated (GetGuestDetails). */
const char *const *storage_drivers(void);
/* The entry of a mount point, or NULL. */
struct storage_entry *storage_find(struct agent *a, const char *mount_point);

/* ---- RPC cores ---- */

/* CopyFile below <run dir>/shared/containers/. */
int storage_copy_file(struct agent *a, const Grpc__CopyFileRequest *req, struct agent_error **err);
/* Its checks (path below root, file type, sizes and offsets). Pure: fuzzed. */
int storage_copy_check(const Grpc__CopyFileRequest *req, const char *root,
                       struct agent_error **err);
/* GetVolumeStats: fills ret->usage (bytes, inodes) and ret->volume_condition; free with
 * storage_volume_stats_done(). */
int storage_volume_stats(const char *path, Grpc__VolumeStatsResponse *ret,
                         struct agent_error **err);
void storage_volume_stats_done(Grpc__VolumeStatsResponse *ret);
/* UpdateEphemeralMounts: mounts again (usually "remount,size=...") each ephemeral storage. */
int storage_update_ephemeral(struct agent *a, Grpc__Storage *const *list, size_t n,
                             struct agent_error **err);
/* RemoveStaleVirtiofsShareMounts: stats every mount below the shared dir so that virtiofsd
 * drops its stale cache entries, as the Rust agent does. Returns the number of mounts seen. */
int storage_touch_share_mounts(struct agent *a, struct agent_error **err);

/* ---- pure checks (unit-tested, fuzzed) ---- */

enum storage_driver {
        STORAGE_DRIVER_UNKNOWN = 0,
        STORAGE_DRIVER_EPHEMERAL,
        STORAGE_DRIVER_LOCAL,
        STORAGE_DRIVER_VIRTIOFS,
        STORAGE_DRIVER_9P,
        STORAGE_DRIVER_OVERLAYFS,
        STORAGE_DRIVER_WATCHABLE_BIND,
        STORAGE_DRIVER_BIND,
        STORAGE_DRIVER_BLOCK, /* blk, mmioblk, scsi, nvdimm (blk-ccw: s390x only, refused) */
};
enum storage_driver storage_driver_from_name(const char *name);

/* The path is absolute, at most STORAGE_MAX_PATH, has no empty, `.` or `..` component (a single
 * trailing slash is allowed: Kata sends the shared dir with one) and lies strictly below root.
 * Returns 0 or -EINVAL/-ENAMETOOLONG. */
int storage_path_below(const char *path, const char *root);
/* The path without a trailing slash (malloc'd). */
char *storage_path_clean(const char *path);

/* Every check made before anything is touched: driver, mount point, source, option counts and
 * lengths, Kata options (fsgid=, mode=, pagesize=/size=, overlay ones), owner rules. Pure. */
int storage_check(const Grpc__Storage *s, const char *run_dir, const char *owner,
                  struct agent_error **err);
int storage_check_list(Grpc__Storage *const *list, size_t n, const char *run_dir, const char *owner,
                       struct agent_error **err);

/* Kata's `key=value` lookup over options (the last one wins). NULL when absent. */
const char *storage_option_value(char *const *options, size_t n, const char *key);
/* fsgid=N: 0 and *ret_gid when present and valid, -ENOENT when absent, -EINVAL when bad. */
int storage_option_fsgid(char *const *options, size_t n, uint32_t *ret_gid);
/* mode=NNNN (octal, at most 07777). */
int storage_option_mode(char *const *options, size_t n, uint32_t *ret_mode);
/* hugetlbfs: pagesize= and size= (bytes, in any option, comma-separated parts too); size must be
 * a non-zero multiple of pagesize, pagesize a power of two >= 4096, pages bounded. */
int storage_hugepages(char *const *options, size_t n, uint64_t *ret_pagesize, uint64_t *ret_pages);
