/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CopyFile: the runtime copies files into the guest when there is no shared file system
 * (/etc/hosts, resolv.conf, ConfigMaps...). Only below <run dir>/shared/containers/; every
 * directory is resolved inside that root (a symlink or `..` never leads out of it). A regular
 * file arrives in chunks (offset + data) written into a temporary file that is renamed into
 * place once it holds file_size bytes, as the Rust agent does.
 */
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/rootfs.h"
#include "storage/storage-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The shared dir is guest memory (tmpfs) when CopyFile is used at all. */
#define COPY_MAX_FILE_SIZE (16ll << 30)

int storage_copy_check(const Grpc__CopyFileRequest *req, const char *root, struct agent_error **err)
{
        mode_t type = req->file_mode & S_IFMT;

        if (storage_path_below(req->path, root) < 0 || req->path[strlen(req->path) - 1] == '/')
                return agent_error_setf(err, EINVAL,
                                        "field `path`: `%s` is not a normalised file path below "
                                        "`%s`",
                                        req->path, root);
        if (type != 0 && type != S_IFREG && type != S_IFDIR && type != S_IFLNK)
                return agent_error_setf(err, EINVAL,
                                        "field `file_mode`: file type %#o is not a regular file, "
                                        "directory or symlink",
                                        (unsigned) type);
        if (type == S_IFLNK) {
                if (req->data.len == 0 || req->data.len >= PATH_MAX ||
                    memchr(req->data.data, '\0', req->data.len))
                        return agent_error_setf(err, EINVAL,
                                                "field `data`: not a symlink target (1 to %d "
                                                "bytes, no NUL)",
                                                PATH_MAX - 1);
                return 0;
        }
        if (type == S_IFDIR)
                return 0;
        if (req->file_size < 0 || req->file_size > COPY_MAX_FILE_SIZE)
                return agent_error_setf(err, EFBIG, "field `file_size`: %lld (limit %lld bytes)",
                                        (long long) req->file_size, COPY_MAX_FILE_SIZE);
        if (req->offset < 0 || req->offset > req->file_size ||
            (int64_t) req->data.len > req->file_size - req->offset)
                return agent_error_setf(err, EINVAL,
                                        "fields `offset` %lld + %zu bytes of `data` go past "
                                        "`file_size` %lld",
                                        (long long) req->offset, req->data.len,
                                        (long long) req->file_size);
        return 0;
}

/* Opens (creating with mode) each directory of rel below rootfd. A component that is a symlink
 * is followed, but inside the root only. */
static int open_parents(int rootfd, const char *rel, mode_t mode, char **ret_name)
{
        _cleanup_free_ char *copy = xstrdup(rel);
        _cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        char *p = copy, *slash;

        if (cur < 0)
                return -errno;
        while ((slash = strchr(p, '/'))) {
                int next;

                *slash = '\0';
                if (mkdirat(cur, p, mode) < 0 && errno != EEXIST)
                        return -errno;
                next = openat(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && (errno == ENOTDIR || errno == ELOOP)) {
                        /* A symlink: resolve the prefix again, confined to the root. */
                        next = rootfs_open_in_root(rootfd, copy, 0);
                        struct stat st;
                        if (next >= 0 && (fstat(next, &st) < 0 || !S_ISDIR(st.st_mode))) {
                                close(next);
                                return -ENOTDIR;
                        }
                        if (next < 0)
                                return next;
                } else if (next < 0) {
                        return -errno;
                }
                close(cur);
                cur = next;
                *slash = '/';
                p = slash + 1;
        }
        *ret_name = xstrdup(p);
        return TAKE_FD(cur);
}

/* Kata removes whatever is at the path before a new copy; a directory only when empty here
 * (a recursive removal of a host-chosen tree does not belong in the loop). */
static int remove_existing(int dirfd, const char *name)
{
        if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
                return 0;
        if (errno == EISDIR && unlinkat(dirfd, name, AT_REMOVEDIR) == 0)
                return 0;
        return -errno;
}

static int copy_dir(int dirfd, const char *name, const Grpc__CopyFileRequest *req)
{
        _cleanup_close_ int fd = -EBADF;

        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
                return -errno;
        if (mkdirat(dirfd, name, req->file_mode & 0777) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, req->file_mode & 07777) < 0 ||
            fchown(fd, (uid_t) req->uid, (gid_t) req->gid) < 0)
                return -errno;
        return 0;
}

static int copy_symlink(int dirfd, const char *name, const Grpc__CopyFileRequest *req)
{
        _cleanup_free_ char *target = xstrndup((const char *) req->data.data, req->data.len);

        if (symlinkat(target, dirfd, name) < 0 ||
            fchownat(dirfd, name, (uid_t) req->uid, (gid_t) req->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int copy_chunk(int dirfd, const char *name, const Grpc__CopyFileRequest *req)
{
        _cleanup_free_ char *tmp = xasprintf(".%s.cata-tmp", name);
        _cleanup_close_ int fd = -EBADF;
        size_t done = 0;
        struct stat st;

        fd = openat(dirfd, tmp,
                    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (req->offset == 0 ? O_TRUNC : 0),
                    req->file_mode & 0777);
        if (fd < 0)
                return -errno;
        while (done < req->data.len) {
                ssize_t n = pwrite(fd, req->data.data + done, req->data.len - done,
                                   (off_t) req->offset + (off_t) done);
                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size < req->file_size)
                return 0; /* more chunks to come */
        if (st.st_size > req->file_size)
                return -EINVAL;
        if (fchmod(fd, req->file_mode & 07777) < 0 ||
            fchown(fd, (uid_t) req->uid, (gid_t) req->gid) < 0 ||
            renameat(dirfd, tmp, dirfd, name) < 0)
                return -errno;
        return 0;
}

int storage_copy_file(struct agent *a, const Grpc__CopyFileRequest *req, struct agent_error **err)
{
        _cleanup_free_ char *root = xasprintf("%s/shared/containers", a->run_dir);
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int rootfd = -EBADF, dirfd = -EBADF;
        mode_t type = req->file_mode & S_IFMT;
        const char *rel;
        int r;

        r = storage_copy_check(req, root, err);
        if (r < 0)
                return r;
        rootfd = storage_open_point(a, root, ROOTFS_OPEN_MKDIR, NULL);
        if (rootfd < 0)
                return agent_error_set(err, -rootfd, "create `%s`", root);
        rel = req->path + strlen(root) + 1;
        dirfd = open_parents(rootfd, rel, req->dir_mode & 0777, &name);
        if (dirfd < 0)
                return agent_error_set(err, -dirfd, "copy `%s`: create parent directories",
                                       req->path);
        /* Kata also changes the owner of the immediate parent; never the shared root itself,
         * which every container's files live in. */
        if (strchr(rel, '/') &&
            fchownat(dirfd, "", (uid_t) req->uid, (gid_t) req->gid, AT_EMPTY_PATH) < 0)
                return agent_error_set(err, errno, "copy `%s`: change owner of parent", req->path);
        if (type == S_IFDIR) {
                r = copy_dir(dirfd, name, req);
        } else {
                r = req->offset == 0 ? remove_existing(dirfd, name) : 0;
                if (r == 0)
                        r = type == S_IFLNK ? copy_symlink(dirfd, name, req)
                                            : copy_chunk(dirfd, name, req);
        }
        if (r < 0)
                return agent_error_set(err, -r, "copy `%s`", req->path);
        return 0;
}
