/* SPDX-License-Identifier: Apache-2.0 */
/* The storage registry: one entry per mount point, reference-counted across the sandbox and its
 * containers; acquire is all or nothing. */
#include "agent/agent.h"
#include "agent/reaper.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/rootfs.h"
#include "storage/storage-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

void storage_registry_init(struct storage_registry *reg)
{
        list_init(&reg->entries);
        list_init(&reg->watches);
        reg->n_entries = 0;
}

/* ---- path helpers ---- */

int storage_run_dir_fd(struct agent *a)
{
        int fd;

        if (mkdir(a->run_dir, 0711) < 0 && errno != EEXIST)
                return -errno;
        fd = open(a->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int storage_open_point(struct agent *a, const char *path, unsigned flags, bool *ret_made)
{
        _cleanup_close_ int rootfd = storage_run_dir_fd(a);
        const char *rel;
        int fd;

        if (rootfd < 0)
                return rootfd;
        if (storage_path_below(path, a->run_dir) < 0)
                return -EINVAL;
        rel = path + strlen(a->run_dir);
        while (*rel == '/')
                rel++;
        if (ret_made)
                *ret_made = false;
        fd = rootfs_open_in_root(rootfd, rel, flags & ROOTFS_OPEN_NOFOLLOW);
        if (fd != -ENOENT || !(flags & (ROOTFS_OPEN_MKDIR | ROOTFS_OPEN_MKFILE)))
                return fd;
        if (ret_made)
                *ret_made = true;
        return rootfs_open_in_root(rootfd, rel, flags);
}

const char *storage_fd_path(char buf[STORAGE_FD_PATH_MAX], int fd)
{
        snprintf(buf, STORAGE_FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

static bool fd_is_mount_root(int fd)
{
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
                return false;
        return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

void storage_unmount_path(struct agent *a, const char *path, bool unmount, bool rmdir)
{
        char p[STORAGE_FD_PATH_MAX];

        if (unmount) {
                /* Resolved inside the run dir: a symlink planted later (CopyFile makes them)
                 * cannot redirect the unmount elsewhere. */
                _cleanup_close_ int fd = storage_open_point(a, path, ROOTFS_OPEN_NOFOLLOW, NULL);
                if (fd >= 0 && fd_is_mount_root(fd) &&
                    umount2(storage_fd_path(p, fd), MNT_DETACH) < 0)
                        log_warn("storage: unmount `%s`: %s", path, strerror(errno));
        }
        if (rmdir) {
                _cleanup_free_ char *parent = xstrdup(path);
                char *slash = strrchr(parent, '/');
                _cleanup_close_ int pfd = -EBADF;

                if (!slash)
                        return;
                *slash = '\0';
                pfd = storage_path_below(parent, a->run_dir) == 0
                              ? storage_open_point(a, parent, 0, NULL)
                              : open(a->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (pfd >= 0 && unlinkat(pfd, slash + 1, AT_REMOVEDIR) < 0 && errno != ENOENT &&
                    errno != ENOTEMPTY && errno != EBUSY)
                        log_warn("storage: remove `%s`: %s", path, strerror(errno));
        }
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void) st;
        (void) ftw;
        if (type == FTW_DP)
                (void) rmdir(path);
        else
                (void) unlink(path);
        return 0;
}

static void tree_removed(pid_t pid, int status, void *userdata)
{
        (void) pid;
        (void) status;
        (void) userdata;
}

void storage_remove_tree(struct agent *a, const char *path)
{
        struct storage_registry *reg = &a->storage;
        _cleanup_free_ char *trash = NULL;
        pid_t pid;

        /* Moved aside first: a container created again under the same id gets a fresh
         * directory while the old one is still being deleted. */
        trash = xasprintf("%s/.storage-trash-%d-%u", a->run_dir, (int) getpid(), reg->trash_seq++);
        if (rename(path, trash) < 0) {
                if (errno != ENOENT)
                        log_warn("storage: move `%s` aside: %s", path, strerror(errno));
                return;
        }
        pid = fork();
        if (pid < 0) {
                log_warn("storage: fork to remove `%s`: %s", trash, strerror(errno));
                return;
        }
        if (pid == 0) {
                (void) nftw(trash, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
                _exit(0);
        }
        reaper_watch(a, pid, tree_removed, NULL);
}

/* ---- registry ---- */

struct storage_entry *storage_find(struct agent *a, const char *mount_point)
{
        _cleanup_free_ char *clean = storage_path_clean(mount_point);

        for (struct list_node *n = a->storage.entries.next; n != &a->storage.entries; n = n->next) {
                struct storage_entry *e = list_entry(n, struct storage_entry, node);
                if (streq(e->mount_point, clean))
                        return e;
        }
        return NULL;
}

static void entry_free(struct agent *a, struct storage_entry *e)
{
        const char *const kv[] = { "mount-point", e->mount_point, "driver", e->driver, NULL };

        storage_driver_teardown(a, e);
        log_full(LOG_LEVEL_INFO, "storage", kv, "storage released");
        list_del(&e->node);
        a->storage.n_entries--;
        free(e->rw_upper);
        free(e->rw_work);
        free(e->owner_first);
        free(e->driver);
        free(e->mount_point);
        free(e);
}

static void entry_unref(struct agent *a, struct storage_entry *e)
{
        if (e->refs > 0)
                e->refs--;
        if (e->refs == 0 && !e->pod_scoped)
                entry_free(a, e);
}

static bool driver_pod_scoped(enum storage_driver d)
{
        /* A restarted container must find its emptyDir as it left it: the pod owns these. */
        return d == STORAGE_DRIVER_EPHEMERAL || d == STORAGE_DRIVER_LOCAL;
}

static int entry_new(struct agent *a, const Grpc__Storage *s, const char *owner,
                     struct storage_entry **ret, struct agent_error **err)
{
        struct storage_entry *e;
        const char *const kv[] = { "mount-point", s->mount_point, "driver", s->driver, NULL };
        int r;

        if (a->storage.n_entries >= STORAGE_MAX_ENTRIES)
                return agent_error_setf(err, ENOSPC, "too many storages (limit %u)",
                                        STORAGE_MAX_ENTRIES);
        e = xzalloc(sizeof(*e));
        e->mount_point = storage_path_clean(s->mount_point);
        e->driver = xstrdup(s->driver);
        e->owner_first = xstrdup(owner);
        e->refs = 1;
        e->pod_scoped = s->shared || driver_pod_scoped(storage_driver_from_name(s->driver));
        list_add_tail(&a->storage.entries, &e->node);
        a->storage.n_entries++;
        r = storage_driver_setup(a, e, s, owner, err);
        if (r < 0) {
                e->pod_scoped = false;
                entry_unref(a, e);
                return agent_error_wrap(err, "storage `%s` (driver `%s`)", s->mount_point,
                                        s->driver);
        }
        log_full(LOG_LEVEL_INFO, "storage", kv, "storage set up");
        *ret = e;
        return 0;
}

/* Undoes a partial acquire: references dropped, and entries this call created freed even when
 * pod-scoped (nobody ever saw them). */
static void acquire_rollback(struct agent *a, char **points, const bool *fresh, size_t n)
{
        while (n-- > 0) {
                struct storage_entry *e = storage_find(a, points[n]);
                if (e && fresh[n])
                        e->pod_scoped = false;
                if (e)
                        entry_unref(a, e);
        }
        strv_free(points);
}

int storage_acquire(struct agent *a, Grpc__Storage *const *list, size_t n, const char *owner,
                    char ***ret_mount_points, struct agent_error **err)
{
        _cleanup_free_ bool *fresh = NULL;
        char **points;
        int r;

        *ret_mount_points = NULL;
        owner = owner ? owner : "";
        r = storage_check_list(list, n, a->run_dir, owner, err);
        if (r < 0)
                return r;
        points = xzalloc((n + 1) * sizeof(char *));
        fresh = xzalloc((n + 1) * sizeof(bool));
        for (size_t i = 0; i < n; i++) {
                struct storage_entry *e = storage_find(a, list[i]->mount_point);

                if (e) {
                        e->refs++;
                } else {
                        r = entry_new(a, list[i], owner, &e, err);
                        if (r < 0) {
                                acquire_rollback(a, points, fresh, i);
                                return agent_error_wrap(err, "storage %zu", i);
                        }
                        fresh[i] = true;
                }
                points[i] = xstrdup(e->mount_point);
        }
        *ret_mount_points = points;
        return 0;
}

void storage_release(struct agent *a, char **mount_points)
{
        /* In reverse: a storage mounted inside an earlier one goes first. */
        size_t n = 0;

        while (mount_points && mount_points[n])
                n++;
        while (n-- > 0) {
                struct storage_entry *e = storage_find(a, mount_points[n]);
                if (e)
                        entry_unref(a, e);
        }
        strv_free(mount_points);
}

void storage_release_all(struct agent *a)
{
        /* Newest first, for the same reason. */
        while (!list_empty(&a->storage.entries)) {
                struct storage_entry *e =
                        list_entry(a->storage.entries.prev, struct storage_entry, node);
                entry_free(a, e);
        }
}
