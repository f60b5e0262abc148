/* SPDX-License-Identifier: Apache-2.0 */
/* The checks a storage request passes before anything is touched, and Kata's option helpers.
 * Pure: unit-tested and fuzzed. */
#include "base/cleanup.h"
#include "base/util.h"
#include "storage/storage.h"
#include "devices/devspec.h"

#include <errno.h>
#include <string.h>

static const struct {
        const char *name;
        enum storage_driver driver;
} driver_names[] = {
        { "ephemeral", STORAGE_DRIVER_EPHEMERAL },
        { "local", STORAGE_DRIVER_LOCAL },
        { "virtio-fs", STORAGE_DRIVER_VIRTIOFS },
        { "9p", STORAGE_DRIVER_9P },
        { "overlayfs", STORAGE_DRIVER_OVERLAYFS },
        { "watchable-bind", STORAGE_DRIVER_WATCHABLE_BIND },
        { "bind", STORAGE_DRIVER_BIND },
        { "blk", STORAGE_DRIVER_BLOCK },
        { "mmioblk", STORAGE_DRIVER_BLOCK },
        { "scsi", STORAGE_DRIVER_BLOCK },
        { "nvdimm", STORAGE_DRIVER_BLOCK },
        { "blk-ccw", STORAGE_DRIVER_BLOCK },
};

enum storage_driver storage_driver_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(driver_names); i++)
                if (streq(name, driver_names[i].name))
                        return driver_names[i].driver;
        return STORAGE_DRIVER_UNKNOWN;
}

const char *const *storage_drivers(void)
{
        static const char *const names[] = {
                "ephemeral", "local", "virtio-fs", "9p",   "overlayfs", "watchable-bind",
                "bind",      "blk",   "mmioblk",   "scsi", "nvdimm",    NULL,
        };
        return names;
}

char *storage_path_clean(const char *path)
{
        size_t n = strlen(path);

        while (n > 1 && path[n - 1] == '/')
                n--;
        return xstrndup(path, n);
}

int storage_path_below(const char *path, const char *root)
{
        size_t n, rlen = strlen(root);
        const char *p;

        if (!path || path[0] != '/')
                return -EINVAL;
        n = strlen(path);
        if (n > STORAGE_MAX_PATH)
                return -ENAMETOOLONG;
        if (n > 1 && path[n - 1] == '/')
                n--; /* one trailing slash, as Kata sends the shared dir */
        if (n > 1 && path[n - 1] == '/')
                return -EINVAL;
        /* Every component: non-empty, not `.` nor `..`. */
        for (p = path + 1; p < path + n;) {
                const char *end = memchr(p, '/', (size_t) (path + n - p));
                size_t len = end ? (size_t) (end - p) : (size_t) (path + n - p);

                if (len == 0 || (len == 1 && p[0] == '.') ||
                    (len == 2 && p[0] == '.' && p[1] == '.'))
                        return -EINVAL;
                p += len + 1;
        }
        while (rlen > 1 && root[rlen - 1] == '/')
                rlen--;
        if (n <= rlen + 1 || strncmp(path, root, rlen) != 0 || path[rlen] != '/')
                return -EINVAL;
        return 0;
}

const char *storage_option_value(char *const *options, size_t n, const char *key)
{
        size_t klen = strlen(key);
        const char *v = NULL;

        for (size_t i = 0; i < n; i++)
                if (options[i] && strncmp(options[i], key, klen) == 0)
                        v = options[i] + klen;
        return v;
}

int storage_option_fsgid(char *const *options, size_t n, uint32_t *ret_gid)
{
        const char *v = storage_option_value(options, n, STORAGE_OPT_FSGID);
        uint64_t gid;

        if (!v)
                return -ENOENT;
        if (parse_u64(v, 10, &gid) < 0 || gid >= UINT32_MAX)
                return -EINVAL;
        *ret_gid = (uint32_t) gid;
        return 0;
}

int storage_option_mode(char *const *options, size_t n, uint32_t *ret_mode)
{
        const char *v = storage_option_value(options, n, "mode=");
        uint64_t mode;

        if (!v)
                return -ENOENT;
        if (parse_u64(v, 8, &mode) < 0 || mode > 07777)
                return -EINVAL;
        *ret_mode = (uint32_t) mode;
        return 0;
}

/* Looks for key=value in the comma-separated parts of every option. */
static int find_part(char *const *options, size_t n, const char *key, uint64_t *ret)
{
        size_t klen = strlen(key);
        const char *found = NULL;
        size_t flen = 0;

        for (size_t i = 0; i < n; i++) {
                for (const char *p = options[i]; p && *p;) {
                        size_t len = strcspn(p, ",");
                        if (len > klen && strncmp(p, key, klen) == 0) {
                                found = p + klen;
                                flen = len - klen;
                        }
                        p += len + (p[len] == ',');
                }
        }
        if (!found)
                return -ENOENT;
        if (flen > 20)
                return -EINVAL;
        char buf[24];
        memcpy(buf, found, flen);
        buf[flen] = '\0';
        return parse_u64(buf, 10, ret) < 0 ? -EINVAL : 0;
}

int storage_hugepages(char *const *options, size_t n, uint64_t *ret_pagesize, uint64_t *ret_pages)
{
        /* 1 TiB of huge pages is far beyond any VM Kata boots. */
        const uint64_t max_bytes = 1ull << 40;
        uint64_t pagesize, size;

        if (find_part(options, n, "pagesize=", &pagesize) < 0 ||
            find_part(options, n, "size=", &size) < 0)
                return -EINVAL;
        if (pagesize < 4096 || (pagesize & (pagesize - 1)) != 0 || pagesize > (1ull << 30))
                return -EINVAL;
        if (size == 0 || size % pagesize != 0 || size > max_bytes)
                return -EINVAL;
        *ret_pagesize = pagesize;
        *ret_pages = size / pagesize;
        return 0;
}

/* ---- per-storage checks ---- */

static bool fstype_valid(const char *t)
{
        size_t n = strlen(t);

        if (n > 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789._-", t[i]))
                        return false;
        return true;
}

static int check_strings(const char *what, char *const *v, size_t n, struct agent_error **err)
{
        if (n > STORAGE_MAX_OPTIONS)
                return agent_error_setf(err, E2BIG, "field `%s`: %zu entries (limit %u)", what, n,
                                        STORAGE_MAX_OPTIONS);
        for (size_t i = 0; i < n; i++)
                if (strlen(v[i]) > STORAGE_MAX_OPTION_LEN)
                        return agent_error_setf(err, E2BIG, "field `%s[%zu]`: longer than %u bytes",
                                                what, i, STORAGE_MAX_OPTION_LEN);
        return 0;
}

/* Kata's own options (io.katacontainers.*) must be known: a typo would silently change
 * behaviour. Other options go to the kernel, which rejects what it does not know. */
static int check_kata_options(const Grpc__Storage *s, enum storage_driver d,
                              struct agent_error **err)
{
        for (size_t i = 0; i < s->n_options; i++) {
                const char *o = s->options[i];
                if (!startswith(o, "io.katacontainers."))
                        continue;
                if (streq(o, STORAGE_OPT_OVERLAY_RW) && d == STORAGE_DRIVER_OVERLAYFS)
                        continue;
                return agent_error_setf(err, EINVAL, "unknown option `%s` for driver `%s`", o,
                                        s->driver);
        }
        for (size_t i = 0; i < s->n_driver_options; i++) {
                const char *o = s->driver_options[i];
                if (startswith(o, STORAGE_DOPT_OVERLAY_MKDIR) && d == STORAGE_DRIVER_OVERLAYFS)
                        continue;
                /* Checked (and an encryption key refused) by devices_check_block_storage(). */
                if (d == STORAGE_DRIVER_BLOCK &&
                    (streq(o, DEVICES_DOPT_CREATE_FS) || startswith(o, DEVICES_DOPT_ENCRYPTION)))
                        continue;
                return agent_error_setf(err, EINVAL, "unknown driver option `%s` for driver `%s`",
                                        o, s->driver);
        }
        return 0;
}

static int check_path_field(const char *what, const char *path, const char *run_dir,
                            struct agent_error **err)
{
        int r = storage_path_below(path, run_dir);

        if (r == -ENAMETOOLONG)
                return agent_error_setf(err, ENAMETOOLONG, "field `%s`: longer than %u bytes", what,
                                        STORAGE_MAX_PATH);
        if (r < 0)
                return agent_error_setf(err, EINVAL,
                                        "field `%s`: `%s` is not a normalised absolute path below "
                                        "`%s`",
                                        what, path, run_dir);
        return 0;
}

/* The sandbox's own state (persistent namespaces) must never be hidden by a mount. */
static int check_not_agent_state(const char *mp, const char *run_dir, struct agent_error **err)
{
        _cleanup_free_ char *clean = storage_path_clean(mp);
        _cleanup_free_ char *sb = xasprintf("%s/sandbox", run_dir);
        _cleanup_free_ char *ns = xasprintf("%s/sandbox/ns", run_dir);

        if (streq(clean, sb) || storage_path_below(clean, ns) == 0 || streq(clean, ns))
                return agent_error_setf(err, EINVAL,
                                        "field `mount_point`: `%s` would hide the agent's sandbox "
                                        "state",
                                        mp);
        return 0;
}

/* overlay lowerdir=/upperdir=/workdir= point below the run dir: a layer from the guest's own
 * root would hand the guest's files to the container. */
static int check_overlay_dirs(const Grpc__Storage *s, const char *run_dir, struct agent_error **err)
{
        static const char *const keys[] = { "lowerdir=", "upperdir=", "workdir=" };

        for (size_t i = 0; i < s->n_options; i++) {
                for (const char *p = s->options[i]; *p;) {
                        size_t len = strcspn(p, ",");
                        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
                                size_t klen = strlen(keys[k]);
                                if (len <= klen || strncmp(p, keys[k], klen) != 0)
                                        continue;
                                _cleanup_free_ char *v = xstrndup(p + klen, len - klen);
                                for (char *save = NULL, *d = strtok_r(v, ":", &save); d;
                                     d = strtok_r(NULL, ":", &save))
                                        if (storage_path_below(d, run_dir) < 0)
                                                return agent_error_setf(
                                                        err, EINVAL,
                                                        "overlay `%.*s`: `%s` is not a "
                                                        "normalised path below `%s`",
                                                        (int) (klen - 1), keys[k], d, run_dir);
                        }
                        p += len + (p[len] == ',');
                }
        }
        for (size_t i = 0; i < s->n_driver_options; i++) {
                const char *d = s->driver_options[i] + strlen(STORAGE_DOPT_OVERLAY_MKDIR);
                if (check_path_field("driver_options", d, run_dir, err) < 0)
                        return -EINVAL;
        }
        return 0;
}

static int check_driver_fields(const Grpc__Storage *s, enum storage_driver d, const char *run_dir,
                               const char *owner, struct agent_error **err)
{
        uint32_t v32;
        uint64_t ps, pages;

        switch (d) {
        case STORAGE_DRIVER_EPHEMERAL:
                if (!streq(s->fstype, "tmpfs") && !streq(s->fstype, "hugetlbfs"))
                        return agent_error_setf(err, EINVAL,
                                                "driver `ephemeral`: fstype `%s` is neither "
                                                "`tmpfs` nor `hugetlbfs`",
                                                s->fstype);
                if (streq(s->fstype, "hugetlbfs") &&
                    storage_hugepages(s->options, s->n_options, &ps, &pages) < 0)
                        return agent_error_setf(err, EINVAL,
                                                "driver `ephemeral`: hugetlbfs needs "
                                                "`pagesize=` (a power of two) and `size=` (a "
                                                "multiple of it, at most 1 TiB)");
                break;
        case STORAGE_DRIVER_LOCAL:
                if (storage_option_mode(s->options, s->n_options, &v32) == -EINVAL)
                        return agent_error_setf(err, EINVAL,
                                                "driver `local`: `mode=` is not an octal mode");
                break;
        case STORAGE_DRIVER_VIRTIOFS:
        case STORAGE_DRIVER_9P:
                if (!*s->source || strchr(s->source, '/') || strlen(s->source) > 255)
                        return agent_error_setf(err, EINVAL,
                                                "driver `%s`: `source` `%s` is not a share tag",
                                                s->driver, s->source);
                break;
        case STORAGE_DRIVER_OVERLAYFS:
                if (storage_option_value(s->options, s->n_options, STORAGE_OPT_OVERLAY_RW) &&
                    !*owner)
                        return agent_error_setf(err, EINVAL,
                                                "driver `overlayfs`: `%s` needs a container",
                                                STORAGE_OPT_OVERLAY_RW);
                return check_overlay_dirs(s, run_dir, err);
        case STORAGE_DRIVER_WATCHABLE_BIND:
        case STORAGE_DRIVER_BIND:
                return check_path_field("source", s->source, run_dir, err);
        case STORAGE_DRIVER_BLOCK:
                return devices_check_block_storage(s, err);
        case STORAGE_DRIVER_UNKNOWN:
                break;
        }
        if (d == STORAGE_DRIVER_EPHEMERAL || d == STORAGE_DRIVER_LOCAL) {
                if (storage_option_fsgid(s->options, s->n_options, &v32) == -EINVAL)
                        return agent_error_setf(
                                err, EINVAL, "driver `%s`: `fsgid=` is not a group id", s->driver);
        }
        return 0;
}

static int check_watchable_point(const Grpc__Storage *s, const char *run_dir,
                                 struct agent_error **err)
{
        _cleanup_free_ char *root = xasprintf("%s/shared/containers/watchable", run_dir);
        _cleanup_free_ char *clean = storage_path_clean(s->mount_point);
        const char *slash = strrchr(clean, '/');

        if ((size_t) (slash - clean) != strlen(root) || strncmp(clean, root, strlen(root)) != 0)
                return agent_error_setf(err, EINVAL,
                                        "driver `watchable-bind`: `mount_point` `%s` is not "
                                        "directly below `%s`",
                                        s->mount_point, root);
        return 0;
}

int storage_check(const Grpc__Storage *s, const char *run_dir, const char *owner,
                  struct agent_error **err)
{
        enum storage_driver d = storage_driver_from_name(s->driver);

        if (d == STORAGE_DRIVER_UNKNOWN)
                return agent_error_setf(err, EINVAL, "unknown storage driver `%s`", s->driver);
        if (check_path_field("mount_point", s->mount_point, run_dir, err) < 0 ||
            check_not_agent_state(s->mount_point, run_dir, err) < 0)
                return -EINVAL;
        if (strlen(s->source) > STORAGE_MAX_PATH)
                return agent_error_setf(err, ENAMETOOLONG, "field `source`: longer than %u bytes",
                                        STORAGE_MAX_PATH);
        if (!fstype_valid(s->fstype))
                return agent_error_setf(
                        err, EINVAL, "field `fstype`: `%s` is not a file system type", s->fstype);
        if (check_strings("options", s->options, s->n_options, err) < 0 ||
            check_strings("driver_options", s->driver_options, s->n_driver_options, err) < 0)
                return -E2BIG;
        if (s->fs_group &&
            s->fs_group->group_change_policy != TYPES__FSGROUP_CHANGE_POLICY__Always &&
            s->fs_group->group_change_policy != TYPES__FSGROUP_CHANGE_POLICY__OnRootMismatch)
                return agent_error_setf(err, EINVAL, "field `fs_group.group_change_policy`: %d",
                                        (int) s->fs_group->group_change_policy);
        if (check_kata_options(s, d, err) < 0)
                return -EINVAL;
        if (d == STORAGE_DRIVER_WATCHABLE_BIND && check_watchable_point(s, run_dir, err) < 0)
                return -EINVAL;
        return check_driver_fields(s, d, run_dir, owner, err);
}

int storage_check_list(Grpc__Storage *const *list, size_t n, const char *run_dir, const char *owner,
                       struct agent_error **err)
{
        if (n > STORAGE_MAX_PER_REQUEST)
                return agent_error_setf(err, E2BIG, "%zu storages in one request (limit %u)", n,
                                        STORAGE_MAX_PER_REQUEST);
        for (size_t i = 0; i < n; i++) {
                int r = storage_check(list[i], run_dir, owner, err);
                if (r < 0)
                        return agent_error_wrap(err, "storage %zu (`%s`)", i, list[i]->mount_point);
        }
        return 0;
}
