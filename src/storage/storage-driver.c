/* SPDX-License-Identifier: Apache-2.0 */
/* What each storage driver does on first use and on last release, and fs_group. */
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/rootfs.h"
#include "storage/storage-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define HUGEPAGES_SYSFS "/sys/kernel/mm/hugepages"

/* ---- mounting ---- */

/* Kata's own options and fsgid= are for the agent, never for the kernel. */
static bool option_for_agent(const char *o)
{
        return startswith(o, "io.katacontainers.") || startswith(o, STORAGE_OPT_FSGID);
}

/* A mount changes what the path names, not what an open descriptor names: the follow-up calls
 * (propagation, read-only bind) resolve the path again. */
static int mount_follow_up(struct agent *a, const char *target, unsigned long flags)
{
        _cleanup_close_ int fd = storage_open_point(a, target, 0, NULL);
        char p[STORAGE_FD_PATH_MAX];

        if (fd < 0)
                return fd;
        return mount(NULL, storage_fd_path(p, fd), NULL, flags, NULL) < 0 ? -errno : 0;
}

int storage_mount_options(struct agent *a, const char *source, const char *target,
                          const char *fstype, char *const *options, size_t n,
                          unsigned long extra_flags, const char *extra_data)
{
        _cleanup_free_ char **kept = xzalloc((n + 2) * sizeof(char *));
        _cleanup_free_ char *data = NULL;
        _cleanup_close_ int fd = -EBADF;
        unsigned long flags, propagation;
        char p[STORAGE_FD_PATH_MAX];
        size_t k = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                if (streq(options[i], "loop"))
                        return -EINVAL; /* as Kata: a loop device is never set up here */
                if (!option_for_agent(options[i]))
                        kept[k++] = options[i];
        }
        if (extra_data)
                kept[k++] = (char *) extra_data;
        r = rootfs_parse_options(kept, k, &flags, &propagation, &data);
        if (r < 0)
                return r;
        flags |= extra_flags;
        fd = storage_open_point(a, target, 0, NULL);
        if (fd < 0)
                return fd;
        if (mount(source, storage_fd_path(p, fd), fstype, flags, data) < 0)
                return -errno;
        if ((flags & MS_BIND) && (flags & MS_RDONLY) && !(flags & MS_REMOUNT)) {
                r = mount_follow_up(a, target, MS_BIND | MS_REMOUNT | MS_RDONLY);
                if (r < 0)
                        return r;
        }
        return propagation ? mount_follow_up(a, target, propagation) : 0;
}

/* ---- fs_group (Kata's set_ownership) ---- */

#define FSGROUP_RW_MASK   0660
#define FSGROUP_RO_MASK   0440
#define FSGROUP_EXEC_MASK 0110

struct fsgroup_walk {
        gid_t gid;
        bool read_only;
        unsigned entries;
};

static int fsgroup_apply(int fd, const struct stat *st, struct fsgroup_walk *w)
{
        mode_t mask = w->read_only ? FSGROUP_RO_MASK : FSGROUP_RW_MASK;

        char p[STORAGE_FD_PATH_MAX];

        if (S_ISDIR(st->st_mode))
                mask |= FSGROUP_EXEC_MASK | S_ISGID;
        /* fd is O_PATH (opening a device node could have side effects): chown through
         * AT_EMPTY_PATH, chmod through the magic link. */
        if (fchownat(fd, "", (uid_t) -1, w->gid, AT_EMPTY_PATH) < 0 ||
            chmod(storage_fd_path(p, fd), (st->st_mode & 07777) | mask) < 0)
                return -errno;
        return 0;
}

static int fsgroup_dir(int dirfd, struct fsgroup_walk *w, unsigned depth)
{
        _cleanup_close_ int dup_fd = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (depth > 256)
                return -ELOOP;
        dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup_fd < 0)
                return -errno;
        d = fdopendir(dup_fd);
        if (!d)
                return -errno;
        TAKE_FD(dup_fd);
        while (r == 0 && (de = readdir(d))) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (++w->entries > STORAGE_FSGROUP_MAX_ENTRIES) {
                        r = -EFBIG;
                        break;
                }
                /* Symlinks are skipped as Kata does: never change what they point at. */
                fd = openat(dirfd, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        if (errno != ENOENT)
                                r = -errno;
                        continue;
                }
                if (fstatat(fd, "", &st, AT_EMPTY_PATH) < 0) {
                        r = -errno;
                        break;
                }
                if (S_ISLNK(st.st_mode))
                        continue;
                if (S_ISDIR(st.st_mode))
                        r = fsgroup_dir(fd, w, depth + 1);
                if (r == 0)
                        r = fsgroup_apply(fd, &st, w);
        }
        closedir(d);
        return r;
}

static bool options_read_only(const Grpc__Storage *s)
{
        for (size_t i = 0; i < s->n_options; i++)
                if (streq(s->options[i], "ro"))
                        return true;
        return false;
}

static int set_fs_group(struct agent *a, const Grpc__Storage *s, struct agent_error **err)
{
        struct fsgroup_walk w = { .read_only = options_read_only(s) };
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        mode_t mask;
        int r;

        if (!s->fs_group)
                return 0;
        w.gid = s->fs_group->group_id;
        fd = storage_open_point(a, s->mount_point, 0, NULL);
        if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH) < 0)
                return agent_error_set(err, fd < 0 ? -fd : errno, "fs_group: open `%s`",
                                       s->mount_point);
        mask = (w.read_only ? FSGROUP_RO_MASK : FSGROUP_RW_MASK) | FSGROUP_EXEC_MASK;
        if (s->fs_group->group_change_policy == TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch &&
            st.st_gid == w.gid && (st.st_mode & mask) == mask && (st.st_mode & S_ISGID))
                return 0;
        r = S_ISDIR(st.st_mode) ? fsgroup_dir(fd, &w, 0) : 0;
        if (r == 0)
                r = fsgroup_apply(fd, &st, &w);
        if (r == -EFBIG)
                return agent_error_setf(err, EFBIG,
                                        "fs_group: more than %u entries below `%s`; the agent "
                                        "does not change them in one go",
                                        STORAGE_FSGROUP_MAX_ENTRIES, s->mount_point);
        if (r < 0)
                return agent_error_set(err, -r, "fs_group: change group of `%s` to %u",
                                       s->mount_point, w.gid);
        return 0;
}

/* ---- drivers ---- */

/* Opens (creating when missing) the mount point directory; records whether we made it. */
static int open_mount_dir(struct agent *a, struct storage_entry *e, struct agent_error **err)
{
        bool made = false;
        int fd = storage_open_point(a, e->mount_point, ROOTFS_OPEN_MKDIR, &made);

        if (fd < 0)
                return agent_error_set(err, -fd, "create mount point `%s`", e->mount_point);
        e->made_dir = made;
        return fd;
}

static int mount_generic(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                         const char *fstype, const char *extra_data, struct agent_error **err)
{
        _cleanup_close_ int fd = open_mount_dir(a, e, err);
        int r;

        if (fd < 0)
                return fd;
        r = storage_mount_options(a, s->source, e->mount_point, fstype, s->options, s->n_options, 0,
                                  extra_data);
        if (r < 0)
                return agent_error_set(err, -r, "mount `%s` (%s) on `%s`", s->source, fstype,
                                       e->mount_point);
        e->mounted = true;
        return set_fs_group(a, s, err);
}

static int write_nr_hugepages(uint64_t pagesize, uint64_t pages, struct agent_error **err)
{
        _cleanup_free_ char *path = xasprintf(HUGEPAGES_SYSFS "/hugepages-%llukB/nr_hugepages",
                                              (unsigned long long) (pagesize / 1024));
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        char buf[32];
        uint64_t got;
        int n, r;

        if (fd < 0)
                return agent_error_set(err, errno, "hugetlbfs: open `%s`", path);
        n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long) pages);
        if (write(fd, buf, (size_t) n) != n)
                return agent_error_set(err, errno, "hugetlbfs: write %s to `%s`", buf, path);
        r = read_u64_file(path, 10, &got);
        if (r < 0)
                return agent_error_set(err, -r, "hugetlbfs: read `%s`", path);
        if (got != pages)
                return agent_error_setf(err, ENOMEM,
                                        "hugetlbfs: only %llu of %llu pages of %llu bytes could be "
                                        "reserved",
                                        (unsigned long long) got, (unsigned long long) pages,
                                        (unsigned long long) pagesize);
        return 0;
}

/* chgrp + setgid on the root of an emptyDir (Kata's fsgid= option). */
static int apply_fsgid(struct agent *a, const Grpc__Storage *s, uint32_t extra_mode, bool set_mode,
                       struct agent_error **err)
{
        _cleanup_close_ int fd = storage_open_point(a, s->mount_point, 0, NULL);
        char p[STORAGE_FD_PATH_MAX];
        uint32_t gid = 0;
        bool has_gid = storage_option_fsgid(s->options, s->n_options, &gid) == 0;
        struct stat st;

        if (fd < 0 || stat(storage_fd_path(p, fd), &st) < 0)
                return agent_error_set(err, fd < 0 ? -fd : errno, "open `%s`", s->mount_point);
        if (has_gid && chown(p, (uid_t) -1, gid) < 0)
                return agent_error_set(err, errno, "fsgid: change group of `%s` to %u",
                                       s->mount_point, gid);
        if (!has_gid && !set_mode)
                return 0;
        mode_t mode = set_mode ? extra_mode : (st.st_mode & 07777);
        if (has_gid)
                mode |= S_ISGID;
        if (chmod(p, mode) < 0)
                return agent_error_set(err, errno, "change mode of `%s`", s->mount_point);
        return 0;
}

static int setup_ephemeral(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                           struct agent_error **err)
{
        uint64_t pagesize, pages;
        int r;

        if (streq(s->fstype, "hugetlbfs")) {
                if (storage_hugepages(s->options, s->n_options, &pagesize, &pages) < 0)
                        return agent_error_setf(err, EINVAL, "hugetlbfs: bad pagesize/size");
                r = write_nr_hugepages(pagesize, pages, err);
                if (r < 0)
                        return r;
                return mount_generic(a, e, s, s->fstype, NULL, err);
        }
        r = mount_generic(a, e, s, s->fstype, NULL, err);
        if (r < 0)
                return r;
        return apply_fsgid(a, s, 0, false, err);
}

static int setup_local(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                       struct agent_error **err)
{
        _cleanup_close_ int fd = open_mount_dir(a, e, err);
        uint32_t mode = 0;
        bool has_mode;

        if (fd < 0)
                return fd;
        has_mode = storage_option_mode(s->options, s->n_options, &mode) == 0;
        return apply_fsgid(a, s, mode, has_mode, err);
}

static int fd_is_mounted(int fd)
{
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
                return -errno;
        return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int setup_shared_fs(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                           const char *fstype, struct agent_error **err)
{
        /* The guest may have mounted the share before the agent started (Kata's premount):
         * then there is nothing to do, and nothing to unmount later. */
        if (streq(s->source, STORAGE_SHAREDFS_PREMOUNTED)) {
                _cleanup_close_ int fd = storage_open_point(a, s->mount_point, 0, NULL);
                if (fd >= 0 && fd_is_mounted(fd) > 0) {
                        log_info("storage: `%s` is already mounted on `%s`", s->source,
                                 e->mount_point);
                        return set_fs_group(a, s, err);
                }
        }
        return mount_generic(a, e, s, fstype, NULL, err);
}

static int mkdir_below(struct agent *a, const char *path, struct agent_error **err)
{
        _cleanup_close_ int fd = storage_open_point(a, path, ROOTFS_OPEN_MKDIR, NULL);

        if (fd < 0)
                return agent_error_set(err, -fd, "create directory `%s`", path);
        return 0;
}

static int setup_overlay(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                         const char *owner, struct agent_error **err)
{
        _cleanup_free_ char *extra = NULL;
        const char *prefix = STORAGE_DOPT_OVERLAY_MKDIR;

        if (storage_option_value(s->options, s->n_options, STORAGE_OPT_OVERLAY_RW)) {
                e->rw_upper = xasprintf("%s/%s/upper", a->run_dir, owner);
                e->rw_work = xasprintf("%s/%s/work", a->run_dir, owner);
                if (mkdir_below(a, e->rw_upper, err) < 0 || mkdir_below(a, e->rw_work, err) < 0)
                        return -EIO;
                extra = xasprintf("upperdir=%s,workdir=%s", e->rw_upper, e->rw_work);
        }
        for (size_t i = 0; i < s->n_driver_options; i++)
                if (startswith(s->driver_options[i], prefix) &&
                    mkdir_below(a, s->driver_options[i] + strlen(prefix), err) < 0)
                        return -EIO;
        return mount_generic(a, e, s, "overlay", extra, err);
}

static int setup_bind(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                      struct agent_error **err)
{
        _cleanup_close_ int src = storage_open_point(a, s->source, 0, NULL);
        _cleanup_close_ int dst = -EBADF;
        char p[STORAGE_FD_PATH_MAX];
        struct stat st;
        bool made = false;
        int r;

        if (src < 0 || fstat(src, &st) < 0)
                return agent_error_set(err, src < 0 ? -src : errno, "bind source `%s`", s->source);
        dst = storage_open_point(a, e->mount_point,
                                 S_ISDIR(st.st_mode) ? ROOTFS_OPEN_MKDIR : ROOTFS_OPEN_MKFILE,
                                 &made);
        if (dst < 0)
                return agent_error_set(err, -dst, "create mount point `%s`", e->mount_point);
        e->made_dir = made && S_ISDIR(st.st_mode);
        r = storage_mount_options(a, storage_fd_path(p, src), e->mount_point, NULL, s->options,
                                  s->n_options, MS_BIND | MS_REC, NULL);
        if (r < 0)
                return agent_error_set(err, -r, "bind `%s` on `%s`", s->source, e->mount_point);
        e->mounted = true;
        return set_fs_group(a, s, err);
}

/* blk, mmioblk, scsi, nvdimm: devices_prepare() found the device and rewrote the source to its
 * /dev node (and made the file system when asked), so this is a plain mount. */
static int setup_block(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                       struct agent_error **err)
{
        struct stat st;

        if (!startswith(s->source, "/dev/") || stat(s->source, &st) < 0 || !S_ISBLK(st.st_mode))
                return agent_error_setf(err, ENOTBLK, "`source` `%s` is not a block device",
                                        s->source);
        return mount_generic(a, e, s, s->fstype, NULL, err);
}

int storage_driver_setup(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                         const char *owner, struct agent_error **err)
{
        switch (storage_driver_from_name(s->driver)) {
        case STORAGE_DRIVER_EPHEMERAL:
                return setup_ephemeral(a, e, s, err);
        case STORAGE_DRIVER_LOCAL:
                return setup_local(a, e, s, err);
        case STORAGE_DRIVER_VIRTIOFS:
                return setup_shared_fs(a, e, s, "virtiofs", err);
        case STORAGE_DRIVER_9P:
                return setup_shared_fs(a, e, s, "9p", err);
        case STORAGE_DRIVER_OVERLAYFS:
                return setup_overlay(a, e, s, owner, err);
        case STORAGE_DRIVER_WATCHABLE_BIND:
                return storage_watch_add(a, e, s, err);
        case STORAGE_DRIVER_BIND:
                return setup_bind(a, e, s, err);
        case STORAGE_DRIVER_BLOCK:
                return setup_block(a, e, s, err);
        case STORAGE_DRIVER_UNKNOWN:
                break;
        }
        return agent_error_setf(err, EINVAL, "unknown storage driver `%s`", s->driver);
}

void storage_driver_teardown(struct agent *a, struct storage_entry *e)
{
        if (e->watch)
                storage_watch_remove(a, e);
        if (e->mounted || e->made_dir)
                storage_unmount_path(a, e->mount_point, e->mounted, e->made_dir);
        if (e->rw_upper)
                storage_remove_tree(a, e->rw_upper);
        if (e->rw_work)
                storage_remove_tree(a, e->rw_work);
}
