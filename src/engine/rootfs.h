/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The container's filesystem view, built inside the child after it entered its new mount
 * namespace (and its new pid namespace, so /proc shows the container's processes):
 *
 *  1. make / recursively private (or Linux.RootfsPropagation: shared/slave/private/unbindable
 *     and their r* forms);
 *  2. bind-mount the rootfs onto itself (pivot_root needs a mount point);
 *  3. every Spec.Mounts entry in order: proc, sysfs, tmpfs, devpts, mqueue, cgroup (cgroup2 in v2
 *     or a read-only tmpfs with the v1 controllers bound in), bind/rbind with ro, nosuid, nodev,
 *     noexec, relatime..., propagation flags (a read-only bind needs a remount). The destination
 *     is resolved inside the rootfs without ever following a symlink out of it (openat2
 *     RESOLVE_IN_ROOT, or a component walk), and created (dir or file, by the source's type)
 *     when missing;
 *  4. /dev: when the spec does not mount /dev, a tmpfs; the default devices (null, zero, full,
 *     random, urandom, tty) plus Linux.Devices, made with mknod or, when that is not allowed,
 *     bind-mounted from the host; /dev/ptmx -> pts/ptmx; /dev/fd, stdin, stdout, stderr links;
 *     /dev/pts (devpts newinstance) and /dev/shm when no mount provides them; none of this when
 *     /dev is bound from the host;
 *  5. masked paths (a read-only empty tmpfs on directories, /dev/null bound on files) and
 *     read-only paths (read-only bind remount); missing ones are skipped. They come before
 *     pivot_root because every mount targets "/proc/self/fd/N" of a descriptor resolved inside
 *     the rootfs, and only the host's /proc is sure to be there (the spec may mount none);
 *  6. pivot_root into the rootfs and detach the old root; Linux.RootfsPropagation again on /;
 *  7. Root.Readonly: remount / read-only.
 * Errors come back as -errno with `what` (a buffer of what_size bytes) describing the step, e.g.
 * "mount `proc` on `/proc`"; the caller appends strerror(-r). Nothing is logged in the child.
 *
 * cgroup on a v1 host: a tmpfs at the destination holding, for each host hierarchy
 * (/sys/fs/cgroup/<controller>; symlinks such as cpu -> cpu,cpuacct copied), a bind of the
 * container's own cgroup in it (its path from self_cgroup, the text of /proc/self/cgroup read
 * before any new cgroup namespace; the hierarchy's root when NULL or not listed), read-only
 * when the mount is, as runc and Kata's agent show it.
 */

#include <stddef.h>

#include "oci.pb-c.h"

/* In the child. rootfs is the absolute path of the container's root directory. */
/* make_dir (NULL: none) is created (mkdir -p) after pivot_root and before Root.Readonly: the
 * process's cwd for a runtime that creates a missing one, as runc and crun do. */
int rootfs_setup(const Grpc__Spec *spec, const char *rootfs, const char *self_cgroup,
                 const char *make_dir, char *what, size_t what_size);

/* Pure helpers, unit-tested: */
/* Mount options to flags + data ("ro,nosuid,mode=755" -> MS_RDONLY|MS_NOSUID, "mode=755");
 * propagation options go to *ret_propagation. Unknown options go to data. */
int rootfs_parse_options(char *const *options, size_t n, unsigned long *ret_flags,
                         unsigned long *ret_propagation, char **ret_data);
/* Details of rootfs_parse_options(): flags accumulate in order (a later "rw" clears an earlier
 * "ro"); the last propagation option wins (the kernel takes one type per call); empty options
 * are skipped; *ret_data is NULL when no data option was given, else a malloc'd string the caller
 * frees. Returns 0, or -E2BIG when data would exceed the one page mount(2) copies. */

/* rootfs_open_in_root() flags. */
enum {
        ROOTFS_OPEN_NOFOLLOW = 1 << 0, /* a symlink in the last component is opened, not followed */
        ROOTFS_OPEN_MKDIR = 1 << 1,    /* missing components are created as directories (0755) */
        ROOTFS_OPEN_MKFILE = 1 << 2,   /* ... except the last one: an empty file (0644) */
        ROOTFS_OPEN_WALK = 1 << 3,     /* use the component walk even where openat2 exists */
};

/*
 * Opens path below rootfd as an O_PATH|O_CLOEXEC descriptor, resolving every symlink and ".."
 * as if rootfd were "/" (an absolute symlink restarts at rootfd, ".." stops there): openat2
 * RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS, or, on kernels without openat2 and to create missing
 * components, a walk that opens one component at a time with O_NOFOLLOW and follows symlinks
 * itself (at most 40, else -ELOOP). Returns the fd or -errno.
 */
int rootfs_open_in_root(int rootfd, const char *path, unsigned flags);

/* The i-th mount option name understood in mounts[].options (NULL past the last). */
const char *rootfs_mount_option_name(size_t i);
