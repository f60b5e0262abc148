/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watchable-bind: inotify does not work across virtio-fs, so a ConfigMap or Secret shared that
 * way is copied into a guest tmpfs (<run dir>/shared/containers/watchable) that the container
 * bind-mounts, and polled every 2 s for changes, as Kata's watcher does. A source beyond
 * 16 entries or 1 MiB is bind-mounted instead and no longer polled. Each poll does bounded work
 * (it stops reading a source at the limits), so it runs on a loop timer.
 */
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/rootfs.h"
#include "storage/storage-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct watch_file {
        char *rel; /* below the source; "" is the source itself */
        struct stat st;
};

struct storage_watch {
        struct storage_entry *entry;
        char *source;
        char *target;
        bool watching; /* false once replaced by a bind mount */
        bool bound;
        size_t n;
        struct watch_file files[STORAGE_WATCH_MAX_ENTRIES + 1];
        struct list_node node;
};

/* Opens rel below dirfd without following any symlink and without leaving dirfd: the source
 * is the host's, and may change under us. */
static int open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC | O_NOFOLLOW),
                .mode = (flags & O_CREAT) ? mode : 0,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

        if (fd < 0 && errno == ENOSYS)
                fd = openat(dirfd, rel, flags | O_CLOEXEC | O_NOFOLLOW, mode);
        return fd < 0 ? -errno : (int) fd;
}

static void files_clear(struct watch_file *files, size_t *n)
{
        for (size_t i = 0; i < *n; i++)
                free(files[i].rel);
        *n = 0;
}

struct scan {
        struct watch_file files[STORAGE_WATCH_MAX_ENTRIES + 1];
        size_t n;
        uint64_t bytes;
};

static char *rel_join(const char *a, const char *b)
{
        return *a ? xasprintf("%s/%s", a, b) : xstrdup(b);
}

static int scan_add(struct scan *sc, const char *rel, const struct stat *st)
{
        if (sc->n >= STORAGE_WATCH_MAX_ENTRIES)
                return -EMFILE;
        if (!S_ISDIR(st->st_mode))
                sc->bytes += (uint64_t) st->st_size;
        if (sc->bytes > STORAGE_WATCH_MAX_BYTES)
                return -EFBIG;
        sc->files[sc->n].rel = xstrdup(rel);
        sc->files[sc->n].st = *st;
        sc->n++;
        return 0;
}

/* Pre-order walk: a directory comes before what it holds. Stops at the limits. */
static int scan_dir(int srcfd, const char *rel, struct scan *sc, unsigned depth)
{
        _cleanup_close_ int fd = open_beneath(srcfd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY, 0);
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (fd < 0)
                return fd;
        if (depth > STORAGE_WATCH_MAX_ENTRIES)
                return -EMFILE;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while (r == 0 && (de = readdir(d))) {
                _cleanup_free_ char *child = NULL;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                child = rel_join(rel, de->d_name);
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
                        continue;
                r = scan_add(sc, child, &st);
                if (r == 0 && S_ISDIR(st.st_mode))
                        r = scan_dir(srcfd, child, sc, depth + 1);
        }
        closedir(d);
        return r;
}

static const struct watch_file *find_file(const struct watch_file *files, size_t n, const char *rel)
{
        for (size_t i = 0; i < n; i++)
                if (streq(files[i].rel, rel))
                        return &files[i];
        return NULL;
}

static bool changed(const struct stat *a, const struct stat *b)
{
        return a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
               (a->st_mode & S_IFMT) != (b->st_mode & S_IFMT) || a->st_size != b->st_size;
}

/* The source and target as (parent directory, name) so that every open is relative. */
struct watch_fds {
        int src; /* the source directory, or the source file's parent */
        int dst;
        const char *src_name; /* "." for a directory source, else the file's name */
        const char *dst_name;
};

static char *side_path(const char *name, const char *rel)
{
        return *rel ? (streq(name, ".") ? xstrdup(rel) : xasprintf("%s/%s", name, rel))
                    : xstrdup(name);
}

static int copy_regular(const struct watch_fds *f, const char *rel, const struct stat *st)
{
        _cleanup_free_ char *sp = side_path(f->src_name, rel), *dp = side_path(f->dst_name, rel);
        _cleanup_close_ int in = open_beneath(f->src, sp, O_RDONLY, 0);
        _cleanup_close_ int out = -EBADF;
        char buf[16384];
        uint64_t total = 0;
        ssize_t n;

        if (in < 0)
                return in;
        out = open_beneath(f->dst, dp, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 07777);
        if (out < 0)
                return out;
        while ((n = read(in, buf, sizeof(buf))) > 0) {
                total += (uint64_t) n;
                if (total > STORAGE_WATCH_MAX_BYTES)
                        return -EFBIG; /* grew since the scan: the next poll binds it */
                if (write(out, buf, (size_t) n) != n)
                        return errno ? -errno : -EIO;
        }
        if (n < 0)
                return -errno;
        if (fchmod(out, st->st_mode & 07777) < 0 || fchown(out, st->st_uid, st->st_gid) < 0)
                return -errno;
        return 0;
}

static int copy_symlink(const struct watch_fds *f, const char *rel, const struct stat *st)
{
        _cleanup_free_ char *sp = side_path(f->src_name, rel), *dp = side_path(f->dst_name, rel);
        char target[PATH_MAX];
        ssize_t n = readlinkat(f->src, sp, target, sizeof(target) - 1);

        if (n < 0)
                return -errno;
        target[n] = '\0';
        if (unlinkat(f->dst, dp, 0) < 0 && errno != ENOENT)
                return -errno;
        if (symlinkat(target, f->dst, dp) < 0 ||
            fchownat(f->dst, dp, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int copy_dir(const struct watch_fds *f, const char *rel, const struct stat *st)
{
        _cleanup_free_ char *dp = side_path(f->dst_name, rel);
        _cleanup_close_ int fd = -EBADF;

        if (mkdirat(f->dst, dp, st->st_mode & 07777) < 0 && errno != EEXIST)
                return -errno;
        fd = open_beneath(f->dst, dp, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        if (fchmod(fd, st->st_mode & 07777) < 0 || fchown(fd, st->st_uid, st->st_gid) < 0)
                return -errno;
        return 0;
}

static int remove_cb(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void) st;
        (void) ftw;
        if (type == FTW_DP)
                (void) rmdir(path);
        else
                (void) unlink(path);
        return 0;
}

/* Our own copies, in our tmpfs: a handful of entries at most. */
static void remove_target(const struct storage_watch *w, const char *rel)
{
        _cleanup_free_ char *p = *rel ? xasprintf("%s/%s", w->target, rel) : xstrdup(w->target);

        (void) nftw(p, remove_cb, 8, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int update_one(const struct watch_fds *f, const struct watch_file *wf)
{
        if (S_ISDIR(wf->st.st_mode))
                return copy_dir(f, wf->rel, &wf->st);
        if (S_ISLNK(wf->st.st_mode))
                return copy_symlink(f, wf->rel, &wf->st);
        return copy_regular(f, wf->rel, &wf->st);
}

static int open_parent(struct agent *a, const char *path, const char **ret_name)
{
        _cleanup_free_ char *parent = xstrdup(path);
        char *slash = strrchr(parent, '/');

        *ret_name = strrchr(path, '/') + 1;
        *slash = '\0';
        return storage_open_point(a, parent, 0, NULL);
}

static int open_fds(struct agent *a, const struct storage_watch *w, bool dir, struct watch_fds *f)
{
        if (dir) {
                f->src = storage_open_point(a, w->source, 0, NULL);
                f->dst = storage_open_point(a, w->target, 0, NULL);
                f->src_name = f->dst_name = ".";
        } else {
                f->src = open_parent(a, w->source, &f->src_name);
                f->dst = open_parent(a, w->target, &f->dst_name);
        }
        if (f->src < 0)
                return f->src;
        return f->dst < 0 ? f->dst : 0;
}

static int watch_bind(struct agent *a, struct storage_watch *w)
{
        _cleanup_close_ int src = storage_open_point(a, w->source, 0, NULL);
        _cleanup_close_ int dst = -EBADF;
        char sp[STORAGE_FD_PATH_MAX], dp[STORAGE_FD_PATH_MAX];
        struct stat st;

        if (src < 0 || fstatat(src, "", &st, AT_EMPTY_PATH) < 0)
                return src < 0 ? src : -errno;
        dst = storage_open_point(
                a, w->target, S_ISDIR(st.st_mode) ? ROOTFS_OPEN_MKDIR : ROOTFS_OPEN_MKFILE, NULL);
        if (dst < 0)
                return dst;
        if (mount(storage_fd_path(sp, src), storage_fd_path(dp, dst), NULL, MS_BIND, NULL) < 0)
                return -errno;
        w->bound = true;
        w->watching = false;
        return 0;
}

/* One poll: read the source (bounded), copy what changed, remove what went. */
static int watch_check(struct agent *a, struct storage_watch *w)
{
        struct watch_fds f = { .src = -EBADF, .dst = -EBADF };
        struct scan sc = { .n = 0 };
        struct stat st;
        int r;

        _cleanup_close_ int sfd = storage_open_point(a, w->source, 0, NULL);

        if (sfd < 0)
                return sfd;
        if (fstatat(sfd, "", &st, AT_EMPTY_PATH) < 0)
                return -errno;
        r = scan_add(&sc, "", &st);
        if (r == 0 && S_ISDIR(st.st_mode))
                r = scan_dir(sfd, "", &sc, 0);
        if (r == -EMFILE || r == -EFBIG) {
                const char *const kv[] = { "source", w->source, NULL };
                files_clear(sc.files, &sc.n);
                log_full(LOG_LEVEL_INFO, "storage", kv,
                         "watchable source over %u entries or %u bytes: bind-mounted instead",
                         STORAGE_WATCH_MAX_ENTRIES, STORAGE_WATCH_MAX_BYTES);
                return watch_bind(a, w);
        }
        if (r < 0) {
                files_clear(sc.files, &sc.n);
                return r;
        }
        for (size_t i = 0; i < w->n; i++)
                if (!find_file(sc.files, sc.n, w->files[i].rel))
                        remove_target(w, w->files[i].rel);
        r = open_fds(a, w, S_ISDIR(st.st_mode), &f);
        if (r < 0) {
                /* Nothing copied: keep the old state so the next poll tries again. */
                close_and_reset(&f.src);
                close_and_reset(&f.dst);
                files_clear(sc.files, &sc.n);
                return r;
        }
        for (size_t i = 0; i < sc.n; i++) {
                const struct watch_file *old = find_file(w->files, w->n, sc.files[i].rel);
                if (old && !changed(&old->st, &sc.files[i].st))
                        continue;
                r = update_one(&f, &sc.files[i]);
                if (r < 0)
                        log_warn("storage: watchable `%s`: copy `%s`: %s", w->source,
                                 sc.files[i].rel, strerror(-r));
                /* A failed copy is retried on the next poll. */
                if (r < 0)
                        sc.files[i].st.st_mtim.tv_nsec = -1;
        }
        close_and_reset(&f.src);
        close_and_reset(&f.dst);
        files_clear(w->files, &w->n);
        memcpy(w->files, sc.files, sizeof(sc.files[0]) * sc.n);
        w->n = sc.n;
        return 0;
}

static void watch_tick(struct loop_timer *t, void *userdata);

static void arm_timer(struct agent *a)
{
        struct storage_registry *reg = &a->storage;

        if (!reg->watch_timer && !list_empty(&reg->watches))
                reg->watch_timer = loop_add_timer(a->loop, now_ns() + STORAGE_WATCH_INTERVAL_NS,
                                                  watch_tick, a);
}

static void watch_tick(struct loop_timer *t, void *userdata)
{
        struct agent *a = userdata;

        loop_timer_free(t);
        a->storage.watch_timer = NULL;
        for (struct list_node *n = a->storage.watches.next; n != &a->storage.watches; n = n->next) {
                struct storage_watch *w = list_entry(n, struct storage_watch, node);
                int r = w->watching ? watch_check(a, w) : 0;
                if (r < 0)
                        log_warn("storage: watchable `%s`: %s", w->source, strerror(-r));
        }
        arm_timer(a);
}

static int watch_root_mount(struct agent *a, struct agent_error **err)
{
        struct storage_registry *reg = &a->storage;
        _cleanup_close_ int fd = -EBADF;
        char p[STORAGE_FD_PATH_MAX];

        if (reg->watch_root_mounted)
                return 0;
        free(reg->watch_root);
        reg->watch_root = xasprintf("%s/shared/containers/watchable", a->run_dir);
        fd = storage_open_point(a, reg->watch_root, ROOTFS_OPEN_MKDIR, NULL);
        if (fd < 0)
                return agent_error_set(err, -fd, "watchable: create `%s`", reg->watch_root);
        if (mount("tmpfs", storage_fd_path(p, fd), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                return agent_error_set(err, errno, "watchable: mount tmpfs on `%s`",
                                       reg->watch_root);
        reg->watch_root_mounted = true;
        return 0;
}

static void watch_root_release(struct agent *a)
{
        struct storage_registry *reg = &a->storage;

        if (!list_empty(&reg->watches))
                return;
        loop_timer_free(reg->watch_timer);
        reg->watch_timer = NULL;
        if (reg->watch_root_mounted)
                storage_unmount_path(a, reg->watch_root, true, false);
        reg->watch_root_mounted = false;
        free(reg->watch_root);
        reg->watch_root = NULL;
}

int storage_watch_add(struct agent *a, struct storage_entry *e, const Grpc__Storage *s,
                      struct agent_error **err)
{
        struct storage_watch *w;
        struct stat st;
        int r, fd;

        /* As Kata: only containers' storages are watched; a sandbox one is accepted as is. */
        if (!*e->owner_first)
                return 0;
        fd = storage_open_point(a, s->source, 0, NULL);
        if (fd < 0 || fstatat(fd, "", &st, AT_EMPTY_PATH) < 0) {
                r = fd < 0 ? -fd : errno;
                if (fd >= 0)
                        close(fd);
                return agent_error_set(err, r, "watchable source `%s`", s->source);
        }
        close(fd);
        r = watch_root_mount(a, err);
        if (r < 0)
                return r;
        w = xzalloc(sizeof(*w));
        w->entry = e;
        w->source = storage_path_clean(s->source);
        w->target = xstrdup(e->mount_point);
        w->watching = true;
        list_add_tail(&a->storage.watches, &w->node);
        e->watch = w;
        if (S_ISDIR(st.st_mode)) {
                fd = storage_open_point(a, w->target, ROOTFS_OPEN_MKDIR, NULL);
                if (fd < 0)
                        return agent_error_set(err, -fd, "watchable: create `%s`", w->target);
                close(fd);
        }
        r = watch_check(a, w);
        if (r < 0)
                return agent_error_set(err, -r, "watchable: copy `%s` to `%s`", w->source,
                                       w->target);
        arm_timer(a);
        return 0;
}

void storage_watch_remove(struct agent *a, struct storage_entry *e)
{
        struct storage_watch *w = e->watch;

        if (!w)
                return;
        if (w->bound)
                storage_unmount_path(a, w->target, true, false);
        remove_target(w, "");
        files_clear(w->files, &w->n);
        list_del(&w->node);
        free(w->source);
        free(w->target);
        free(w);
        e->watch = NULL;
        watch_root_release(a);
}
