/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container's mounts, built in the container's child; the order is in rootfs.h.
 *
 * Every path inside the rootfs is opened below one O_PATH descriptor of the rootfs with
 * rootfs_open_in_root(), so an absolute symlink or a ".." in the image resolves inside the rootfs
 * and never on the host, and mount(2) then targets "/proc/self/fd/N" of that descriptor instead of
 * a path the kernel would walk again. A mount covers the descriptor it was made on, so anything
 * that acts on the new mount (a read-only remount, propagation) resolves the path once more.
 */
#include "engine/rootfs.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* mount(2) copies one page of data; a longer string would be cut silently. */
#define MOUNT_DATA_MAX    4095

#define PROPAGATION_FLAGS (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)
/* Per-mount flags: a bind ignores them, only a bind remount applies them. */
#define BIND_REMOUNT_FLAGS                                                                         \
        (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
         MS_STRICTATIME | MS_NOSYMFOLLOW)

#define PROC_FD_PATH_MAX 32
#define WALK_DEPTH_MAX   255
#define WALK_LINKS_MAX   40 /* the kernel's MAXSYMLINKS */
#define WALK_PATH_MAX    (4 * PATH_MAX)

#define CGROUP_HOST_ROOT "/sys/fs/cgroup"
#define DEV_DEFAULT_DATA "mode=755,size=65536k"
#define SHM_DEFAULT_DATA "mode=1777,size=65536k"

struct flag_option {
        const char *name;
        bool clear;
        unsigned long flag;
};

static const struct flag_option flag_options[] = {
        { "defaults", false, 0 },
        { "ro", false, MS_RDONLY },
        { "rw", true, MS_RDONLY },
        { "nosuid", false, MS_NOSUID },
        { "suid", true, MS_NOSUID },
        { "nodev", false, MS_NODEV },
        { "dev", true, MS_NODEV },
        { "noexec", false, MS_NOEXEC },
        { "exec", true, MS_NOEXEC },
        { "sync", false, MS_SYNCHRONOUS },
        { "async", true, MS_SYNCHRONOUS },
        { "dirsync", false, MS_DIRSYNC },
        { "remount", false, MS_REMOUNT },
        { "mand", false, MS_MANDLOCK },
        { "nomand", true, MS_MANDLOCK },
        { "atime", true, MS_NOATIME },
        { "noatime", false, MS_NOATIME },
        { "diratime", true, MS_NODIRATIME },
        { "nodiratime", false, MS_NODIRATIME },
        { "relatime", false, MS_RELATIME },
        { "norelatime", true, MS_RELATIME },
        { "strictatime", false, MS_STRICTATIME },
        { "nostrictatime", true, MS_STRICTATIME },
        { "lazytime", false, MS_LAZYTIME },
        { "nolazytime", true, MS_LAZYTIME },
        { "iversion", false, MS_I_VERSION },
        { "noiversion", true, MS_I_VERSION },
        { "silent", false, MS_SILENT },
        { "loud", true, MS_SILENT },
        { "nosymfollow", false, MS_NOSYMFOLLOW },
        { "symfollow", true, MS_NOSYMFOLLOW },
        { "bind", false, MS_BIND },
        { "rbind", false, MS_BIND | MS_REC },
};

struct propagation_option {
        const char *name;
        unsigned long flags;
};

static const struct propagation_option propagation_options[] = {
        { "private", MS_PRIVATE },       { "rprivate", MS_REC | MS_PRIVATE },
        { "shared", MS_SHARED },         { "rshared", MS_REC | MS_SHARED },
        { "slave", MS_SLAVE },           { "rslave", MS_REC | MS_SLAVE },
        { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_REC | MS_UNBINDABLE },
};

static bool apply_flag_option(const char *o, unsigned long *flags)
{
        for (size_t i = 0; i < ARRAY_SIZE(flag_options); i++) {
                if (!streq(o, flag_options[i].name))
                        continue;
                if (flag_options[i].clear)
                        *flags &= ~flag_options[i].flag;
                else
                        *flags |= flag_options[i].flag;
                return true;
        }
        return false;
}

static bool propagation_from_name(const char *o, unsigned long *ret)
{
        for (size_t i = 0; i < ARRAY_SIZE(propagation_options); i++) {
                if (streq(o, propagation_options[i].name)) {
                        *ret = propagation_options[i].flags;
                        return true;
                }
        }
        return false;
}

/* Appends ",o" (or "o") to the data string of *len bytes, within the page mount(2) reads. */
static int data_append(char **data, size_t *len, const char *o)
{
        size_t olen = strlen(o), sep = *len > 0;

        if (olen > MOUNT_DATA_MAX || *len + sep + olen > MOUNT_DATA_MAX)
                return -E2BIG;
        *data = xrealloc(*data, *len + sep + olen + 1);
        if (sep)
                (*data)[(*len)++] = ',';
        memcpy(*data + *len, o, olen + 1);
        *len += olen;
        return 0;
}

int rootfs_parse_options(char *const *options, size_t n, unsigned long *ret_flags,
                         unsigned long *ret_propagation, char **ret_data)
{
        unsigned long flags = 0, propagation = 0;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        *ret_data = NULL;
        for (size_t i = 0; i < n; i++) {
                const char *o = options[i];
                int r;

                if (!o || !o[0])
                        continue;
                if (apply_flag_option(o, &flags) || propagation_from_name(o, &propagation))
                        continue;
                r = data_append(&data, &len, o);
                if (r < 0)
                        return r;
        }
        *ret_flags = flags;
        *ret_propagation = propagation;
        *ret_data = TAKE_PTR(data);
        return 0;
}

/* Resolution inside the rootfs. */

static bool have_openat2 = true;

static int openat2_in_root(int rootfd, const char *path, unsigned flags)
{
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC | ((flags & ROOTFS_OPEN_NOFOLLOW) ? O_NOFOLLOW : 0),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        const char *rel = path + strspn(path, "/");

        if (!rel[0])
                rel = ".";
        /* EAGAIN: a rename raced with a ".." lookup; the kernel asks for a retry. */
        for (int tries = 0; tries < 16; tries++) {
                long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
                if (fd >= 0)
                        return (int) fd;
                if (errno != EAGAIN)
                        return -errno;
        }
        return -EAGAIN;
}

struct walk {
        int rootfd;
        size_t depth;
        int fds[WALK_DEPTH_MAX]; /* fds[i] is the directory i + 1 components below rootfd */
};

static void walk_done(struct walk *w)
{
        while (w->depth > 0)
                (void) close(w->fds[--w->depth]);
}

static int walk_top(const struct walk *w)
{
        return w->depth > 0 ? w->fds[w->depth - 1] : w->rootfd;
}

enum make { MAKE_NONE, MAKE_DIR, MAKE_FILE };

/* Opens one component without following it, creating it first when asked. O_EXCL and mkdirat
 * never follow a symlink in the name, so a racing symlink is opened, then followed by the walk. */
static int open_component(int dirfd, const char *name, enum make make)
{
        int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

        if (fd >= 0)
                return fd;
        if (errno != ENOENT || make == MAKE_NONE)
                return -errno;
        if (make == MAKE_DIR) {
                if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
                        return -errno;
        } else {
                fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            0644);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
                close_and_reset(&fd);
        }
        fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        return fd >= 0 ? fd : -errno;
}

/* Replaces the symlink at linkfd (consumed) by its target in the rest of the walk; an absolute
 * target starts again at the rootfs. */
static int walk_follow(struct walk *w, int linkfd, char **todo, const char **rest, unsigned *links)
{
        char target[PATH_MAX];
        ssize_t n;
        char *next;

        n = readlinkat(linkfd, "", target, sizeof(target));
        close_and_reset(&linkfd);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ENOENT;
        if ((size_t) n >= sizeof(target))
                return -ENAMETOOLONG;
        if (++*links > WALK_LINKS_MAX)
                return -ELOOP;
        target[n] = '\0';
        if (target[0] == '/')
                walk_done(w);
        next = xasprintf("%s/%s", target, *rest);
        if (strlen(next) > WALK_PATH_MAX) {
                free(next);
                return -ENAMETOOLONG;
        }
        free(*todo);
        *todo = next;
        *rest = next;
        return 0;
}

/* Takes the next component of *p into name; returns its length, 0 at the end. */
static ssize_t next_component(const char **p, char name[NAME_MAX + 1])
{
        size_t len;

        *p += strspn(*p, "/");
        len = strcspn(*p, "/");
        if (len > NAME_MAX)
                return -ENAMETOOLONG;
        memcpy(name, *p, len);
        name[len] = '\0';
        *p += len;
        return (ssize_t) len;
}

/* Pushes the component just opened (fd, consumed) or follows it when it is a symlink. */
static int walk_push(struct walk *w, int fd, bool last, unsigned flags, char **todo, const char **p,
                     unsigned *links)
{
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close_and_reset(&fd);
                return r;
        }
        if (S_ISLNK(st.st_mode) && !(last && (flags & ROOTFS_OPEN_NOFOLLOW)))
                return walk_follow(w, fd, todo, p, links);
        if (!last && !S_ISDIR(st.st_mode)) {
                close_and_reset(&fd);
                return -ENOTDIR;
        }
        if (w->depth == WALK_DEPTH_MAX) {
                close_and_reset(&fd);
                return -ENAMETOOLONG;
        }
        w->fds[w->depth++] = fd;
        return 0;
}

static int walk_in_root(int rootfd, const char *path, unsigned flags)
{
        _cleanup_(walk_done) struct walk w = { .rootfd = rootfd };
        _cleanup_free_ char *todo = xstrdup(path);
        bool create = flags & (ROOTFS_OPEN_MKDIR | ROOTFS_OPEN_MKFILE);
        const char *p = todo;
        unsigned links = 0;

        for (;;) {
                char name[NAME_MAX + 1];
                ssize_t len = next_component(&p, name);
                enum make make = create ? MAKE_DIR : MAKE_NONE;
                bool last;
                int fd, r;

                if (len < 0)
                        return (int) len;
                if (len == 0)
                        break;
                if (streq(name, "."))
                        continue;
                if (streq(name, "..")) {
                        /* At the rootfs, ".." stays there, as at "/". */
                        if (w.depth > 0)
                                (void) close(w.fds[--w.depth]);
                        continue;
                }
                last = p[strspn(p, "/")] == '\0';
                if (last && (flags & ROOTFS_OPEN_MKFILE))
                        make = MAKE_FILE;
                fd = open_component(walk_top(&w), name, make);
                if (fd < 0)
                        return fd;
                r = walk_push(&w, fd, last, flags, &todo, &p, &links);
                if (r < 0)
                        return r;
        }
        if (w.depth == 0) {
                int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                return fd >= 0 ? fd : -errno;
        }
        return w.fds[--w.depth];
}

int rootfs_open_in_root(int rootfd, const char *path, unsigned flags)
{
        if (!(flags & ROOTFS_OPEN_WALK) && have_openat2) {
                int r = openat2_in_root(rootfd, path, flags);

                if (r == -ENOSYS)
                        have_openat2 = false; /* kernel before 5.6 */
                else if (r != -ENOENT || !(flags & (ROOTFS_OPEN_MKDIR | ROOTFS_OPEN_MKFILE)))
                        return r;
        }
        return walk_in_root(rootfd, path, flags);
}

/* Mounting. */

struct rootfs_ctx {
        const Grpc__Spec *spec;
        const Grpc__Linux *lnx;
        const char *rootfs;
        int rootfd;
        struct stat root_st;
        bool dev_from_host;         /* the spec binds /dev from the host: no nodes, no links */
        unsigned long dev_ro_flags; /* the spec's /dev is read-only: remounted after the nodes */
        const char *self_cgroup;    /* /proc/self/cgroup before a new cgroup namespace */
        char *what;
        size_t what_size;
};

static int fail(struct rootfs_ctx *c, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct rootfs_ctx *c, int r, const char *fmt, ...)
{
        va_list ap;

        if (c->what && c->what_size > 0) {
                va_start(ap, fmt);
                vsnprintf(c->what, c->what_size, fmt, ap);
                va_end(ap);
        }
        return r;
}

static const char *proc_fd_path(char buf[PROC_FD_PATH_MAX], int fd)
{
        snprintf(buf, PROC_FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

/* mount(2) on the object fd names, through its magic link in the host's /proc. */
static int mount_on_fd(const char *source, int fd, const char *type, unsigned long flags,
                       const char *data)
{
        char p[PROC_FD_PATH_MAX];

        return mount(source, proc_fd_path(p, fd), type, flags, data) < 0 ? -errno : 0;
}

/* The per-mount flags a remount must keep: dropping a flag the kernel locked (nosuid, nodev,
 * noexec and the atime ones, in a user namespace) fails with EPERM. Mapped one by one: statfs's
 * f_flags also carry ST_VALID, which is MS_REMOUNT's bit. */
static unsigned long kept_mount_flags(int fd)
{
        static const struct {
                unsigned long st, ms;
        } map[] = {
                { ST_NOSUID, MS_NOSUID },         { ST_NODEV, MS_NODEV },
                { ST_NOEXEC, MS_NOEXEC },         { ST_NOATIME, MS_NOATIME },
                { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
        };
        struct statfs sf;
        unsigned long flags = 0;

        if (fstatfs(fd, &sf) < 0)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(map); i++)
                if ((unsigned long) sf.f_flags & map[i].st)
                        flags |= map[i].ms;
        return flags;
}

/* Applies per-mount flags to the mount now at path (a fresh lookup: the mount covers any
 * descriptor opened before it). */
static int remount_in_root(struct rootfs_ctx *c, const char *path, unsigned long flags)
{
        _cleanup_close_ int fd = rootfs_open_in_root(c->rootfd, path, 0);

        if (fd < 0)
                return fd;
        return mount_on_fd(NULL, fd, NULL, MS_REMOUNT | MS_BIND | (flags & BIND_REMOUNT_FLAGS),
                           NULL);
}

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define RRO_MOUNT_ATTR_RDONLY 0x1 /* MOUNT_ATTR_RDONLY: <linux/mount.h> clashes with glibc's */

/* "rro": read-only all the way down (every submount of a recursive bind), with
 * mount_setattr(2) (Linux 5.12): a plain remount only reaches the top mount. */
static int set_recursive_readonly(struct rootfs_ctx *c, const char *dest)
{
        struct {
                uint64_t attr_set, attr_clr, propagation, userns_fd;
        } attr = { .attr_set = RRO_MOUNT_ATTR_RDONLY };
        _cleanup_close_ int fd = rootfs_open_in_root(c->rootfd, dest, 0);

        if (fd < 0)
                return fail(c, fd, "open `%s`", dest);
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
            0)
                return fail(c, -errno, "make `%s` recursively read-only (rro)", dest);
        return 0;
}

/* Whether the options hold "rro"; *ret is the others (a new array of borrowed strings). */
static bool take_rro(char *const *options, size_t n, char ***ret, size_t *ret_n)
{
        bool rro = false;

        *ret = xzalloc((n + 1) * sizeof(char *));
        *ret_n = 0;
        for (size_t i = 0; i < n; i++) {
                if (options[i] && streq(options[i], "rro"))
                        rro = true;
                else
                        (*ret)[(*ret_n)++] = options[i];
        }
        return rro;
}

static int set_propagation(struct rootfs_ctx *c, const char *dest, unsigned long propagation)
{
        _cleanup_close_ int fd = rootfs_open_in_root(c->rootfd, dest, 0);
        int r = fd;

        if (fd >= 0)
                r = mount_on_fd(NULL, fd, NULL, propagation, NULL);
        if (r < 0)
                return fail(c, r, "set the propagation of `%s`", dest);
        return 0;
}

/* Opens (creating what is missing) the mount point for dest. The rootfs itself is refused: a
 * mount there would hide the tree every later step resolves in. */
static int open_mount_target(struct rootfs_ctx *c, const char *dest, unsigned flags)
{
        struct stat st;
        int fd = rootfs_open_in_root(c->rootfd, dest, flags);

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0 ||
            (st.st_dev == c->root_st.st_dev && st.st_ino == c->root_st.st_ino)) {
                close_and_reset(&fd);
                return -EINVAL;
        }
        return fd;
}

/* A new filesystem of type on dest. proc and sysfs must land on a real directory, never on a
 * symlink (the old runc races over /proc). */
static int mount_new(struct rootfs_ctx *c, const char *source, const char *dest, const char *type,
                     unsigned long flags, const char *data)
{
        bool strict = streq(type, "proc") || streq(type, "sysfs");
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        fd = open_mount_target(c, dest, ROOTFS_OPEN_MKDIR | (strict ? ROOTFS_OPEN_NOFOLLOW : 0));
        if (fd < 0)
                return fail(c, fd, "create the mount point `%s` for `%s`", dest, type);
        if (strict && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)))
                return fail(c, -ENOTDIR, "mount `%s` on `%s`", type, dest);
        r = mount_on_fd(source && source[0] ? source : type, fd, type[0] ? type : NULL,
                        flags & ~(MS_BIND | MS_REC | PROPAGATION_FLAGS), data);
        if (r < 0)
                return fail(c, r, "mount `%s` on `%s`", type, dest);
        return 0;
}

/* Copies the path into buf without empty and "." components or a trailing slash; "" when it
 * does not fit (such a path equals no other, and opening it fails with ENAMETOOLONG anyway). */
static void path_simplify(const char *path, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        while (*path) {
                size_t n;

                path += strspn(path, "/");
                n = strcspn(path, "/");
                if (n == 0)
                        break;
                if (!(n == 1 && path[0] == '.')) {
                        if (len + 1 + n + 1 > size) {
                                buf[0] = '\0';
                                return;
                        }
                        buf[len++] = '/';
                        memcpy(buf + len, path, n);
                        len += n;
                        buf[len] = '\0';
                }
                path += n;
        }
        if (len == 0 && size > 1)
                strcpy(buf, "/");
}

static bool path_equal(const char *a, const char *b)
{
        char x[PATH_MAX], y[PATH_MAX];

        path_simplify(a, x, sizeof(x));
        path_simplify(b, y, sizeof(y));
        return streq(x, y);
}

static bool path_has_dotdot(const char *path)
{
        const char *p = path;

        while (*p) {
                size_t n;

                p += strspn(p, "/");
                n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return true;
                p += n;
        }
        return false;
}

/* Binds into /proc could hide what masked paths protect or redirect /proc/self; as in Kata, only
 * these files (lxcfs-style emulations) may be replaced, and /proc itself only by a procfs. */
static const char *const proc_bind_allowed[] = {
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
        "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/net/dev",
};

static bool fd_on_fs(int fd, long magic)
{
        struct statfs sf;

        return fstatfs(fd, &sf) == 0 && (long) sf.f_type == magic;
}

static int check_proc_bind(struct rootfs_ctx *c, const char *source, const char *dest, int fd)
{
        char d[PATH_MAX];
        struct statfs sf;

        path_simplify(dest, d, sizeof(d));
        for (size_t i = 0; i < ARRAY_SIZE(proc_bind_allowed); i++)
                if (streq(d, proc_bind_allowed[i]))
                        return 0;
        if (streq(d, "/proc")) {
                if (statfs(source, &sf) == 0 && (long) sf.f_type == PROC_SUPER_MAGIC)
                        return 0;
        } else if (!startswith(d, "/proc/") && !fd_on_fs(fd, PROC_SUPER_MAGIC)) {
                return 0;
        }
        return fail(c, -EPERM, "bind `%s` on `%s`: not allowed inside /proc", source, dest);
}

/* Binds the host path source on dest (a directory or a file, like the source), then applies the
 * per-mount flags, which a bind ignores, with a remount. */
static int mount_bind(struct rootfs_ctx *c, const char *source, const char *dest,
                      unsigned long flags)
{
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (stat(source, &st) < 0)
                return fail(c, -errno, "bind `%s` on `%s`", source, dest);
        fd = open_mount_target(c, dest,
                               S_ISDIR(st.st_mode) ? ROOTFS_OPEN_MKDIR : ROOTFS_OPEN_MKFILE);
        if (fd < 0)
                return fail(c, fd, "create the mount point `%s` for `%s`", dest, source);
        r = check_proc_bind(c, source, dest, fd);
        if (r < 0)
                return r;
        r = mount_on_fd(source, fd, NULL, MS_BIND | (flags & MS_REC), NULL);
        if (r < 0)
                return fail(c, r, "bind `%s` on `%s`", source, dest);
        if (!(flags & BIND_REMOUNT_FLAGS))
                return 0;
        r = remount_in_root(c, dest, flags);
        if (r < 0)
                return fail(c, r, "remount the bind on `%s` with its options", dest);
        return 0;
}

static bool spec_has_netns(const struct rootfs_ctx *c)
{
        for (size_t i = 0; c->lnx && i < c->lnx->n_namespaces; i++)
                if (streq(c->lnx->namespaces[i]->type, "network"))
                        return true;
        return false;
}

/* The kernel mounts sysfs only for the owner of the current network namespace: a container that
 * shares the agent's netns from a user namespace gets EPERM, and the host's /sys, read-only. */
static int mount_sysfs(struct rootfs_ctx *c, const char *source, const char *dest,
                       unsigned long flags, const char *data)
{
        int r = mount_new(c, source, dest, "sysfs", flags, data);

        if (r != -EPERM || spec_has_netns(c))
                return r;
        return mount_bind(c, "/sys", dest, flags | MS_REC | MS_RDONLY);
}

/* Whether data has the option key (alone or as key=...). */
static bool data_has_key(const char *data, const char *key)
{
        size_t klen = strlen(key);

        for (const char *p = data; p && *p;) {
                size_t n = strcspn(p, ",");

                if (n >= klen && strncmp(p, key, klen) == 0 && (n == klen || p[klen] == '='))
                        return true;
                p += n;
                p += *p == ',';
        }
        return false;
}

/* Removes every "key" or "key=..." option from a comma-separated data string, in place. */
static void drop_key(char *d, const char *key)
{
        size_t klen = strlen(key);
        char *out = d;

        for (char *p = d; *p;) {
                size_t n = strcspn(p, ",");
                bool match = strncmp(p, key, klen) == 0 &&
                             (p[klen] == '=' || p[klen] == ',' || p[klen] == '\0');

                if (!match) {
                        if (out != d)
                                *out++ = ',';
                        memmove(out, p, n);
                        out += n;
                }
                p += n;
                p += *p == ',';
        }
        *out = '\0';
}

/* devpts always gets its own instance (else the container shares the host's ptys) and the
 * usual modes unless the spec says otherwise. */
static int mount_devpts(struct rootfs_ctx *c, const char *source, const char *dest,
                        unsigned long flags, const char *data)
{
        static const char *const defaults[][2] = {
                { "newinstance", "newinstance" },
                { "ptmxmode", "ptmxmode=0666" },
                { "mode", "mode=0620" },
                { "gid", "gid=5" },
        };
        _cleanup_free_ char *d = xstrdup(data ? data : "");
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
                char *next;

                if (data_has_key(d, defaults[i][0]))
                        continue;
                next = xasprintf("%s%s%s", d, d[0] ? "," : "", defaults[i][1]);
                free(d);
                d = next;
        }
        r = mount_new(c, source, dest, "devpts", flags, d);
        /* In a user namespace without that gid mapped the kernel refuses gid=: go on without
         * it (the ptys then belong to the process's own group), as runc and crun do. */
        if (r == -EINVAL && data_has_key(d, "gid")) {
                drop_key(d, "gid");
                r = mount_new(c, source, dest, "devpts", flags, d);
        }
        return r;
}

static bool host_cgroup_v2(void)
{
        struct statfs sf;

        return statfs(CGROUP_HOST_ROOT, &sf) == 0 && (long) sf.f_type == CGROUP2_SUPER_MAGIC;
}

static bool is_cgroup_mount(const char *path)
{
        struct statfs sf;

        return statfs(path, &sf) == 0 &&
               ((long) sf.f_type == CGROUP_SUPER_MAGIC || (long) sf.f_type == CGROUP2_SUPER_MAGIC);
}

/* The process's path in the hierarchy mounted at /sys/fs/cgroup/<name> ("memory",
 * "cpu,cpuacct", "systemd" for name=systemd, "unified" for the v2 tree), from the text of
 * /proc/self/cgroup ("4:memory:/a/b" lines); "" when unknown. malloc'd. */
static char *self_cgroup_path(const char *text, const char *name)
{
        _cleanup_free_ char *want = streq(name, "unified")   ? xstrdup("")
                                    : streq(name, "systemd") ? xstrdup("name=systemd")
                                                             : xstrdup(name);

        for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                const char *ctrl = strchr(l, ':'), *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
                size_t len = path ? (size_t) (path - ctrl - 1) : 0;

                if (path && len == strlen(want) && strncmp(ctrl + 1, want, len) == 0)
                        return xstrndup(path + 1, strcspn(path + 1, "\n"));
        }
        return xstrdup("");
}

/* One entry of the host's v1 cgroup root in the container's tmpfs (cgfd): a bind of the
 * container's own cgroup in a hierarchy (read-only with the mount), or a copy of a symlink such
 * as cpu -> cpu,cpuacct. */
static int cgroup_v1_entry(struct rootfs_ctx *c, int hostfd, int cgfd, const char *name,
                           const char *dest, unsigned long flags)
{
        _cleanup_free_ char *own = self_cgroup_path(c->self_cgroup, name);
        _cleanup_free_ char *source =
                xasprintf("%s/%s%s", CGROUP_HOST_ROOT, name, streq(own, "/") ? "" : own);
        _cleanup_close_ int fd = -EBADF;
        char target[PATH_MAX];
        struct stat st;
        ssize_t n;
        int r;

        if (fstatat(hostfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return fail(c, -errno, "stat `%s`", source);
        if (S_ISLNK(st.st_mode)) {
                n = readlinkat(hostfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return fail(c, -errno, "read the link `%s`", source);
                target[n] = '\0';
                if (symlinkat(target, cgfd, name) < 0 && errno != EEXIST)
                        return fail(c, -errno, "link `%s/%s`", dest, name);
                return 0;
        }
        if (!S_ISDIR(st.st_mode) || !is_cgroup_mount(source))
                return 0; /* a leftover directory, not a hierarchy: nothing to show */
        if (mkdirat(cgfd, name, 0755) < 0 && errno != EEXIST)
                return fail(c, -errno, "create `%s/%s`", dest, name);
        fd = openat(cgfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        r = fd < 0 ? -errno : mount_on_fd(source, fd, NULL, MS_BIND | MS_REC, NULL);
        if (r < 0)
                return fail(c, r, "bind `%s` on `%s/%s`", source, dest, name);
        if (!(flags & MS_RDONLY))
                return 0;
        close_and_reset(&fd);
        fd = openat(cgfd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        r = fd < 0 ? -errno
                   : mount_on_fd(NULL, fd, NULL,
                                 MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                         MS_NOEXEC,
                                 NULL);
        if (r < 0)
                return fail(c, r, "remount `%s/%s` read-only", dest, name);
        return 0;
}

/* A v1 host: a tmpfs with every host hierarchy root bound read-only (see rootfs.h). */
static int mount_cgroup_v1(struct rootfs_ctx *c, const char *dest, unsigned long flags)
{
        _cleanup_close_ int cgfd = -EBADF, hostfd = -EBADF;
        struct dirent *de;
        DIR *dir;
        int r;

        r = mount_new(c, "tmpfs", dest, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
        if (r < 0)
                return r;
        cgfd = rootfs_open_in_root(c->rootfd, dest, 0);
        if (cgfd < 0)
                return fail(c, cgfd, "open `%s`", dest);
        hostfd = open(CGROUP_HOST_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (hostfd < 0)
                return fail(c, -errno, "open `%s`", CGROUP_HOST_ROOT);
        dir = fdopendir(TAKE_FD(hostfd));
        if (!dir)
                return fail(c, -errno, "read `%s`", CGROUP_HOST_ROOT);
        r = 0;
        while (r == 0 && (errno = 0, de = readdir(dir))) {
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = cgroup_v1_entry(c, dirfd(dir), cgfd, de->d_name, dest, flags);
        }
        if (r == 0 && errno != 0)
                r = fail(c, -errno, "read `%s`", CGROUP_HOST_ROOT);
        closedir(dir);
        if (r < 0 || !(flags & MS_RDONLY))
                return r;
        r = remount_in_root(c, dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        if (r < 0)
                return fail(c, r, "remount `%s` read-only", dest);
        return 0;
}

static int mount_cgroup(struct rootfs_ctx *c, const char *type, const char *dest,
                        unsigned long flags, const char *data)
{
        if (streq(type, "cgroup2") || host_cgroup_v2())
                return mount_new(c, "cgroup2", dest, "cgroup2", flags, data);
        return mount_cgroup_v1(c, dest, flags);
}

static bool is_bind(const char *type, unsigned long flags)
{
        return streq(type, "bind") || (flags & MS_BIND);
}

static int mount_entry(struct rootfs_ctx *c, const Grpc__Mount *m)
{
        const char *dest = m->destination, *type = m->type ? m->type : "";
        unsigned long flags, propagation;
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ char **options = NULL;
        size_t n_options;
        bool rro;
        int r;

        if (!dest || dest[0] != '/' || path_has_dotdot(dest) || path_equal(dest, "/"))
                return fail(c, -EINVAL,
                            "mount destination `%s` (an absolute path other than /, "
                            "without ..)",
                            dest ? dest : "");
        rro = take_rro(m->options, m->n_options, &options, &n_options);
        r = rootfs_parse_options(options, n_options, &flags, &propagation, &data);
        if (r < 0)
                return fail(c, r, "options of the mount on `%s`", dest);
        if (path_equal(dest, "/dev") && (flags & MS_RDONLY) && !is_bind(type, flags)) {
                /* The nodes are made after this mount: read-only comes at the end. */
                c->dev_ro_flags = flags | MS_RDONLY;
                flags &= ~MS_RDONLY;
        }
        if (is_bind(type, flags))
                r = mount_bind(c, m->source, dest, flags);
        else if (streq(type, "cgroup") || streq(type, "cgroup2"))
                r = mount_cgroup(c, type, dest, flags, data);
        else if (streq(type, "sysfs"))
                r = mount_sysfs(c, m->source, dest, flags, data);
        else if (streq(type, "devpts"))
                r = mount_devpts(c, m->source, dest, flags, data);
        else
                r = mount_new(c, m->source, dest, type, flags, data);
        if (r >= 0 && rro)
                r = set_recursive_readonly(c, dest);
        if (r < 0 || !propagation)
                return r;
        return set_propagation(c, dest, propagation);
}

static const Grpc__Mount *spec_mount_at(const struct rootfs_ctx *c, const char *dest)
{
        for (size_t i = 0; i < c->spec->n_mounts; i++)
                if (c->spec->mounts[i]->destination &&
                    path_equal(c->spec->mounts[i]->destination, dest))
                        return c->spec->mounts[i];
        return NULL;
}

static bool mount_is_bind(const Grpc__Mount *m)
{
        unsigned long flags = 0;

        for (size_t i = 0; i < m->n_options; i++)
                (void) apply_flag_option(m->options[i], &flags);
        return is_bind(m->type ? m->type : "", flags);
}

static int setup_mounts(struct rootfs_ctx *c)
{
        const Grpc__Mount *dev = spec_mount_at(c, "/dev");
        int r;

        c->dev_from_host = dev && mount_is_bind(dev);
        if (!dev) {
                r = mount_new(c, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                              DEV_DEFAULT_DATA);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->spec->n_mounts; i++) {
                r = mount_entry(c, c->spec->mounts[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Devices. */

struct device {
        const char *path;
        const char *type;
        int64_t major, minor;
        mode_t mode;
        uid_t uid;
        gid_t gid;
};

static const struct device default_devices[] = {
        { "/dev/null", "c", 1, 3, 0666, 0, 0 },    { "/dev/zero", "c", 1, 5, 0666, 0, 0 },
        { "/dev/full", "c", 1, 7, 0666, 0, 0 },    { "/dev/random", "c", 1, 8, 0666, 0, 0 },
        { "/dev/urandom", "c", 1, 9, 0666, 0, 0 }, { "/dev/tty", "c", 5, 0, 0666, 0, 0 },
};

static int device_kind(const char *type, mode_t *ret)
{
        if (streq(type, "c") || streq(type, "u"))
                *ret = S_IFCHR;
        else if (streq(type, "b"))
                *ret = S_IFBLK;
        else if (streq(type, "p"))
                *ret = S_IFIFO;
        else
                return -EINVAL;
        return 0;
}

/* Where mknod is not allowed (a user namespace), the host's node bound on an empty file. */
static int bind_host_device(struct rootfs_ctx *c, int dirfd, const char *name,
                            const struct device *d)
{
        _cleanup_close_ int fd = open_component(dirfd, name, MAKE_FILE);
        int r = fd;

        if (fd >= 0)
                r = mount_on_fd(d->path, fd, NULL, MS_BIND, NULL);
        if (r < 0)
                return fail(c, r, "bind the host's `%s`", d->path);
        return 0;
}

static int check_device(struct rootfs_ctx *c, const struct device *d, mode_t *ret_kind)
{
        const char *name = d->path ? strrchr(d->path, '/') : NULL;

        if (!d->path || !startswith(d->path, "/dev/") || path_has_dotdot(d->path) || !name ||
            !name[1] || streq(name, "/."))
                return fail(c, -EINVAL, "device path `%s` (a file under /dev)",
                            d->path ? d->path : "");
        if (device_kind(d->type, ret_kind) < 0)
                return fail(c, -EINVAL, "device `%s` of type `%s` (c, b, u or p)", d->path,
                            d->type ? d->type : "");
        /* mknod takes a 32-bit dev_t: 12 bits of major, 20 of minor; more would wrap. */
        if (d->major < 0 || d->major > 0xfff || d->minor < 0 || d->minor > 0xfffff)
                return fail(c, -EINVAL, "device `%s` number %lld:%lld", d->path,
                            (long long) d->major, (long long) d->minor);
        return 0;
}

static int create_device(struct rootfs_ctx *c, const struct device *d)
{
        _cleanup_free_ char *parent = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        const char *name;
        mode_t kind = 0;
        dev_t dev;
        int r;

        r = check_device(c, d, &kind);
        if (r < 0)
                return r;
        name = strrchr(d->path, '/') + 1;
        parent = xstrndup(d->path, (size_t) (name - d->path));
        dirfd = rootfs_open_in_root(c->rootfd, parent, ROOTFS_OPEN_MKDIR);
        if (dirfd < 0)
                return fail(c, dirfd, "create `%s` for `%s`", parent, d->path);
        dev = kind == S_IFIFO ? 0 : makedev((unsigned) d->major, (unsigned) d->minor);
        if (mknodat(dirfd, name, kind | d->mode, dev) < 0) {
                if (errno == EEXIST) /* the spec's node of the same path came first */
                        return 0;
                if (errno == EPERM)
                        return bind_host_device(c, dirfd, name, d);
                return fail(c, -errno, "mknod `%s`", d->path);
        }
        /* mknod applied the umask. */
        if (fchmodat(dirfd, name, d->mode, 0) < 0)
                return fail(c, -errno, "chmod `%s`", d->path);
        if (fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return fail(c, -errno, "chown `%s`", d->path);
        return 0;
}

static int create_devices(struct rootfs_ctx *c)
{
        int r;

        for (size_t i = 0; c->lnx && i < c->lnx->n_devices; i++) {
                const Grpc__LinuxDevice *ld = c->lnx->devices[i];
                struct device d = {
                        .path = ld->path,
                        .type = ld->type,
                        .major = ld->major,
                        .minor = ld->minor,
                        /* proto3 cannot tell 0 from unset: 0 means the OCI default. */
                        .mode = ld->filemode & 07777 ? ld->filemode & 07777 : 0666,
                        .uid = ld->uid,
                        .gid = ld->gid,
                };
                r = create_device(c, &d);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                r = create_device(c, &default_devices[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int create_dev_links(struct rootfs_ctx *c)
{
        static const struct {
                const char *name, *target;
                bool replace;
        } links[] = {
                { "fd", "/proc/self/fd", false },       { "stdin", "/proc/self/fd/0", false },
                { "stdout", "/proc/self/fd/1", false }, { "stderr", "/proc/self/fd/2", false },
                { "ptmx", "pts/ptmx", true }, /* the devpts instance's, not a host node */
        };
        _cleanup_close_ int devfd = rootfs_open_in_root(c->rootfd, "/dev", 0);

        if (devfd < 0)
                return fail(c, devfd, "open `/dev`");
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
                if (symlinkat(links[i].target, devfd, links[i].name) == 0)
                        continue;
                if (errno == EEXIST && !links[i].replace)
                        continue;
                if (errno != EEXIST || unlinkat(devfd, links[i].name, 0) < 0 ||
                    symlinkat(links[i].target, devfd, links[i].name) < 0)
                        return fail(c, -errno, "link `/dev/%s` to `%s`", links[i].name,
                                    links[i].target);
        }
        return 0;
}

static int setup_dev(struct rootfs_ctx *c)
{
        int r;

        if (c->dev_from_host)
                return 0;
        if (!spec_mount_at(c, "/dev/pts")) {
                r = mount_devpts(c, "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, NULL);
                if (r < 0)
                        return r;
        }
        if (!spec_mount_at(c, "/dev/shm")) {
                r = mount_new(c, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                              SHM_DEFAULT_DATA);
                if (r < 0)
                        return r;
        }
        r = create_devices(c);
        if (r < 0)
                return r;
        r = create_dev_links(c);
        if (r < 0 || !c->dev_ro_flags)
                return r;
        r = remount_in_root(c, "/dev", c->dev_ro_flags);
        if (r < 0)
                return fail(c, r, "remount `/dev` read-only");
        return 0;
}

/* Masked and read-only paths. */

static int mask_path(struct rootfs_ctx *c, const char *path)
{
        _cleanup_close_ int fd = rootfs_open_in_root(c->rootfd, path, 0);
        struct stat st;
        int r;

        if (fd == -ENOENT || fd == -ENOTDIR) /* nothing to hide */
                return 0;
        if (fd < 0 || fstat(fd, &st) < 0)
                return fail(c, fd < 0 ? fd : -errno, "mask `%s`", path);
        if (S_ISDIR(st.st_mode))
                r = mount_on_fd("tmpfs", fd, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                NULL);
        else
                r = mount_on_fd("/dev/null", fd, NULL, MS_BIND, NULL);
        if (r < 0)
                return fail(c, r, "mask `%s`", path);
        return 0;
}

static int readonly_path(struct rootfs_ctx *c, const char *path)
{
        _cleanup_close_ int fd = rootfs_open_in_root(c->rootfd, path, 0);
        char p[PROC_FD_PATH_MAX];
        int r;

        if (fd == -ENOENT || fd == -ENOTDIR)
                return 0;
        if (fd < 0)
                return fail(c, fd, "make `%s` read-only", path);
        r = mount_on_fd(proc_fd_path(p, fd), fd, NULL, MS_BIND | MS_REC, NULL);
        if (r < 0)
                return fail(c, r, "bind `%s` on itself", path);
        close_and_reset(&fd);
        fd = rootfs_open_in_root(c->rootfd, path, 0);
        r = fd < 0 ? fd
                   : mount_on_fd(NULL, fd, NULL,
                                 MS_REMOUNT | MS_BIND | MS_RDONLY | kept_mount_flags(fd), NULL);
        if (r < 0)
                return fail(c, r, "remount `%s` read-only", path);
        return 0;
}

static int setup_masked_and_readonly(struct rootfs_ctx *c)
{
        int r;

        for (size_t i = 0; c->lnx && i < c->lnx->n_maskedpaths; i++) {
                r = mask_path(c, c->lnx->maskedpaths[i]);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; c->lnx && i < c->lnx->n_readonlypaths; i++) {
                r = readonly_path(c, c->lnx->readonlypaths[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The root. */

static int root_propagation(struct rootfs_ctx *c, unsigned long *ret)
{
        const char *want = c->lnx ? c->lnx->rootfspropagation : NULL;

        *ret = MS_REC | MS_PRIVATE;
        if (!want || !want[0])
                return 0;
        if (!propagation_from_name(want, ret))
                return fail(c, -EINVAL, "rootfs propagation `%s`", want);
        return 1;
}

/* pivot_root refuses a new root whose parent mount is shared: make the mount holding the rootfs
 * private, walking up from the rootfs until a directory is a mount point. */
static int make_parent_private(struct rootfs_ctx *c)
{
        _cleanup_close_ int fd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat prev, cur;

        if (fd < 0 || fstat(fd, &prev) < 0)
                return fail(c, -errno, "open `%s`", c->rootfs);
        for (;;) {
                int parent, r = mount_on_fd(NULL, fd, NULL, MS_PRIVATE, NULL);

                if (r == 0)
                        return 0;
                if (r != -EINVAL) /* EINVAL: not a mount point */
                        return fail(c, r, "make the mount of `%s` private", c->rootfs);
                parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (parent < 0 || fstat(parent, &cur) < 0) {
                        r = -errno;
                        if (parent >= 0)
                                close_and_reset(&parent);
                        return fail(c, r, "find the mount of `%s`", c->rootfs);
                }
                close_and_reset(&fd);
                fd = parent;
                if (cur.st_dev == prev.st_dev && cur.st_ino == prev.st_ino)
                        return fail(c, -EINVAL, "find the mount of `%s`", c->rootfs);
                prev = cur;
        }
}

static int prepare_root(struct rootfs_ctx *c)
{
        unsigned long propagation;
        int r;

        r = root_propagation(c, &propagation);
        if (r < 0)
                return r;
        if (mount(NULL, "/", NULL, propagation, NULL) < 0)
                return fail(c, -errno, "set the propagation of `/`");
        r = make_parent_private(c);
        if (r < 0)
                return r;
        if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return fail(c, -errno, "bind `%s` on itself", c->rootfs);
        /* Our mounts below the rootfs must not reach the host, whatever / propagates. */
        if (mount(NULL, c->rootfs, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return fail(c, -errno, "make `%s` private", c->rootfs);
        /* Opened after the bind, so paths resolve in the new mount, the one that becomes /. */
        c->rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (c->rootfd < 0 || fstat(c->rootfd, &c->root_st) < 0)
                return fail(c, -errno, "open `%s`", c->rootfs);
        return 0;
}

/* `/` is the kernel's initramfs (fstype `rootfs` in mountinfo), which pivot_root refuses. */
static bool root_is_initramfs(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        bool rootfs = false;

        /* The last mount on / is the one in effect. */
        while (f && fgets(line, sizeof(line), f)) {
                char mp[8], fstype[16];
                const char *dash = strstr(line, " - ");

                if (dash && sscanf(line, "%*s %*s %*s %*s %7s", mp) == 1 &&
                    sscanf(dash + 3, "%15s", fstype) == 1 && streq(mp, "/"))
                        rootfs = streq(fstype, "rootfs");
        }
        return rootfs;
}

/* Detaches proc and sysfs mounts outside the rootfs, which the chroot would otherwise leave
 * in the container's mount namespace (the Rust agent's ms_move_root does the same). */
static void detach_outside_pseudo_fs(const char *rootfs)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        size_t n = strlen(rootfs);

        while (f && fgets(line, sizeof(line), f)) {
                char mp[2048], fstype[64];
                const char *dash = strstr(line, " - ");

                if (!dash || sscanf(line, "%*s %*s %*s %*s %2047s", mp) != 1 ||
                    sscanf(dash + 3, "%63s", fstype) != 1)
                        continue;
                if ((!streq(fstype, "proc") && !streq(fstype, "sysfs")) ||
                    (strncmp(mp, rootfs, n) == 0 && (mp[n] == '/' || mp[n] == '\0')))
                        continue;
                (void) mount(NULL, mp, NULL, MS_SLAVE | MS_REC, NULL);
                (void) umount2(mp, MNT_DETACH);
        }
}

static int move_root(struct rootfs_ctx *c)
{
        detach_outside_pseudo_fs(c->rootfs);
        if (fchdir(c->rootfd) < 0)
                return fail(c, -errno, "chdir `%s`", c->rootfs);
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                return fail(c, -errno, "move `%s` to `/`", c->rootfs);
        if (chroot(".") < 0)
                return fail(c, -errno, "chroot into `%s`", c->rootfs);
        if (chdir("/") < 0)
                return fail(c, -errno, "chdir `/`");
        return 0;
}

/* pivot_root(".", ".") stacks the old root on the new one; detaching "." then drops it, with no
 * directory needed for it inside the rootfs. */
static int pivot(struct rootfs_ctx *c)
{
        _cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        if (oldroot < 0)
                return fail(c, -errno, "open `/`");
        if (fchdir(c->rootfd) < 0)
                return fail(c, -errno, "chdir `%s`", c->rootfs);
        if (syscall(SYS_pivot_root, ".", ".") < 0) {
                /* The initramfs cannot be pivoted away from (an initrd guest): move the rootfs
                 * over it and chroot, as the Rust agent does when / is `rootfs`. */
                int e = errno;
                if (e == EINVAL && root_is_initramfs())
                        return move_root(c);
                return fail(c, -e, "pivot_root into `%s`", c->rootfs);
        }
        if (fchdir(oldroot) < 0)
                return fail(c, -errno, "chdir to the old root");
        /* A slave receives nothing back and sends its unmount nowhere. */
        if (mount(NULL, ".", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return fail(c, -errno, "make the old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
                return fail(c, -errno, "detach the old root");
        if (chdir("/") < 0)
                return fail(c, -errno, "chdir `/`");
        return 0;
}

static int finish_root(struct rootfs_ctx *c)
{
        unsigned long propagation, flags;
        int r;

        r = root_propagation(c, &propagation);
        if (r > 0 && mount(NULL, "/", NULL, propagation, NULL) < 0)
                return fail(c, -errno, "set the propagation of `/`");
        if (!c->spec->root || !c->spec->root->readonly)
                return 0;
        flags = kept_mount_flags(c->rootfd); /* rootfd is the mount now at / */
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, NULL) < 0)
                return fail(c, -errno, "remount `/` read-only");
        return 0;
}

/* mkdir -p (after pivot_root: symlinks resolve inside the container's root). */
static int mkdir_parents(const char *path)
{
        char buf[4096];
        size_t len = strlen(path);

        if (len >= sizeof(buf))
                return errno = ENAMETOOLONG, -1;
        memcpy(buf, path, len + 1);
        for (char *s = strchr(buf + 1, '/');; s = strchr(s + 1, '/')) {
                if (s)
                        *s = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -1;
                if (!s)
                        return 0;
                *s = '/';
        }
}

int rootfs_setup(const Grpc__Spec *spec, const char *rootfs, const char *self_cgroup,
                 const char *make_dir, char *what, size_t what_size)
{
        struct rootfs_ctx c = {
                .spec = spec,
                .self_cgroup = self_cgroup,
                .lnx = spec->linux,
                .rootfs = rootfs,
                .rootfd = -EBADF,
                .what = what,
                .what_size = what_size,
        };
        int r;

        if (what && what_size > 0)
                what[0] = '\0';
        if (!rootfs || rootfs[0] != '/')
                return fail(&c, -EINVAL, "rootfs `%s` (an absolute path)", rootfs ? rootfs : "");
        r = prepare_root(&c);
        if (r >= 0)
                r = setup_mounts(&c);
        if (r >= 0)
                r = setup_dev(&c);
        if (r >= 0)
                r = setup_masked_and_readonly(&c);
        if (r >= 0)
                r = pivot(&c);
        /* Before Root.Readonly makes it impossible. */
        if (r >= 0 && make_dir && *make_dir && mkdir_parents(make_dir) < 0)
                r = fail(&c, -errno, "create cwd `%s`", make_dir);
        if (r >= 0)
                r = finish_root(&c);
        close_and_reset(&c.rootfd);
        return r < 0 ? r : 0;
}

const char *rootfs_mount_option_name(size_t i)
{
        if (i < ARRAY_SIZE(flag_options))
                return flag_options[i].name;
        i -= ARRAY_SIZE(flag_options);
        if (i < ARRAY_SIZE(propagation_options))
                return propagation_options[i].name;
        return i == ARRAY_SIZE(propagation_options) ? "rro" : NULL;
}
