/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/cgroup.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define cg_debug(...) log_full(LOG_LEVEL_DEBUG, "cgroups", NULL, __VA_ARGS__)
#define cg_warn(...)  log_full(LOG_LEVEL_WARN, "cgroups", NULL, __VA_ARGS__)

/* Bounds for what we read from sysfs/procfs: generous, but a corrupted file cannot eat memory. */
#define SMALL_FILE_MAX     (64u * 1024)
#define LARGE_FILE_MAX     (4u * 1024 * 1024)
#define CPULIST_RANGES_MAX 65536

/* How long freeze/thaw and rmdir wait for the kernel. */
#define FREEZE_TIMEOUT_MS  500
#define DESTROY_TIMEOUT_MS 200

#define CPUS_ONLINE        "/sys/devices/system/cpu/online"
#define NODES_ONLINE       "/sys/devices/system/node/online"
#define HUGEPAGES          "/sys/kernel/mm/hugepages"

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
};

static void cgroup_freep(struct cgroup **cg)
{
        cgroup_free(*cg);
}

/* ---- small helpers ---------------------------------------------------------------------- */

static void sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static bool endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static char *trim_right(char *s)
{
        size_t n = strlen(s);

        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
        return s;
}

/* Is `name` one of the tokens of `list` (separated by commas, spaces or newlines)? */
static bool list_has(const char *list, const char *name)
{
        size_t n = strlen(name);

        for (const char *p = list; p && *p;) {
                size_t len;

                p += strspn(p, ", \n");
                len = strcspn(p, ", \n");
                if (len == n && len > 0 && strncmp(p, name, n) == 0)
                        return true;
                p += len;
        }
        return false;
}

/* Writes value with a single write(2): cgroup files parse one value per write. */
static int write_str(const char *path, const char *value)
{
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

static int write_at(const char *dir, const char *file, const char *value)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

        return write_str(path, value);
}

static int write_error(struct agent_error **err, int r, const char *dir, const char *file,
                       const char *value)
{
        return agent_error_set(err, -r, "write `%s` to `%s/%s`", value, dir, file);
}

static int cg_write(const struct hier *h, const char *file, const char *value,
                    struct agent_error **err)
{
        int r = write_at(h->dir, file, value);

        return r < 0 ? write_error(err, r, h->dir, file, value) : 0;
}

static int cg_writef(const struct hier *h, const char *file, struct agent_error **err,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int cg_writef(const struct hier *h, const char *file, struct agent_error **err,
                     const char *fmt, ...)
{
        _cleanup_free_ char *value = NULL;
        va_list ap;

        va_start(ap, fmt);
        value = xvasprintf(fmt, ap);
        va_end(ap);
        return cg_write(h, file, value, err);
}

/* Writes `file`, or `alias` when the kernel has only that one (blkio.weight vs the bfq name). */
static int cg_write_alias(const struct hier *h, const char *file, const char *alias,
                          const char *value, struct agent_error **err)
{
        int r = write_at(h->dir, file, value);

        if (r == -ENOENT) {
                r = write_at(h->dir, alias, value);
                if (r < 0)
                        return write_error(err, r, h->dir, alias, value);
        }
        return r < 0 ? write_error(err, r, h->dir, file, value) : 0;
}

static bool file_exists(const char *dir, const char *file)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

        return access(path, F_OK) == 0;
}

static int read_at(const char *dir, const char *file, size_t max, char **ret)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

        return read_file(path, max, ret, NULL);
}

/* A single number; "max" reads as UINT64_MAX. */
static int read_u64_at(const char *dir, const char *file, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r;

        r = read_at(dir, file, SMALL_FILE_MAX, &s);
        if (r < 0)
                return r;
        trim_right(s);
        if (streq(s, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return parse_u64(s, 10, ret);
}

/* The value of `key` in a flat keyed file ("key value" per line). */
static bool kv_get(const char *text, const char *key, uint64_t *ret)
{
        size_t n = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                char buf[32];
                size_t len;

                if (strncmp(p, key, n) != 0 || p[n] != ' ')
                        continue;
                len = strcspn(p + n + 1, "\n");
                if (len == 0 || len >= sizeof(buf))
                        return false;
                memcpy(buf, p + n + 1, len);
                buf[len] = '\0';
                return parse_u64(buf, 10, ret) == 0;
        }
        return false;
}

static uint64_t kv_at(const char *dir, const char *file, const char *key)
{
        _cleanup_free_ char *text = NULL;
        uint64_t v = 0;

        if (read_at(dir, file, LARGE_FILE_MAX, &text) == 0)
                (void) kv_get(text, key, &v);
        return v;
}

/* ---- pure helpers ----------------------------------------------------------------------- */

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
        if (shares == 0)
                return 0;
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_weight_to_io(uint64_t weight)
{
        if (weight == 0)
                return 0;
        if (weight < 10)
                weight = 10;
        if (weight > 1000)
                weight = 1000;
        return 1 + ((weight - 10) * 9999) / 990;
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *ret)
{
        /* v1 compatibility: an unlimited memory without a swap value means unlimited swap. */
        if (limit == -1 && swap == 0) {
                *ret = -1;
                return 0;
        }
        if (swap == -1 || swap == 0) {
                *ret = swap;
                return 0;
        }
        if (limit <= 0 || swap < limit)
                return -EINVAL;
        *ret = swap - limit;
        return 0;
}

struct range {
        uint64_t lo, hi;
};

static int cmp_range(const void *a, const void *b)
{
        const struct range *x = a, *y = b;

        return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int parse_range(const char *tok, size_t len, struct range *ret)
{
        char buf[48];
        char *dash;

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, tok, len);
        buf[len] = '\0';
        dash = strchr(buf, '-');
        if (dash)
                *dash = '\0';
        if (parse_u64(buf, 10, &ret->lo) < 0)
                return -EINVAL;
        ret->hi = ret->lo;
        if (dash && parse_u64(dash + 1, 10, &ret->hi) < 0)
                return -EINVAL;
        return ret->lo <= ret->hi ? 0 : -EINVAL;
}

/* "0-3,5\n" -> sorted ranges with adjacent and overlapping ones merged. */
static int cpulist_parse(const char *s, struct range **ret, size_t *ret_n)
{
        _cleanup_free_ struct range *v = NULL;
        size_t n = 0, len = strlen(s);

        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                len--;
        if (len == 0)
                return -EINVAL;
        /* Every token, empty ones included ("1,", ",1", "1,,2"), must be a number or a range. */
        for (const char *p = s, *end = s + len;;) {
                const char *comma = memchr(p, ',', (size_t) (end - p));
                size_t tl = comma ? (size_t) (comma - p) : (size_t) (end - p);

                if (n >= CPULIST_RANGES_MAX)
                        return -EINVAL;
                v = xrealloc(v, (n + 1) * sizeof(*v));
                if (parse_range(p, tl, &v[n++]) < 0)
                        return -EINVAL;
                if (!comma)
                        break;
                p = comma + 1;
        }
        qsort(v, n, sizeof(*v), cmp_range);
        size_t m = 0;
        for (size_t i = 1; i < n; i++) {
                if (v[m].hi != UINT64_MAX && v[i].lo <= v[m].hi + 1) {
                        if (v[i].hi > v[m].hi)
                                v[m].hi = v[i].hi;
                } else {
                        v[++m] = v[i];
                }
        }
        *ret_n = m + 1;
        *ret = TAKE_PTR(v);
        return 0;
}

int cgroup_cpulist_within(const char *list, const char *online)
{
        _cleanup_free_ struct range *want = NULL, *have = NULL;
        size_t nw, nh;

        if (!list || !online || cpulist_parse(list, &want, &nw) < 0 ||
            cpulist_parse(online, &have, &nh) < 0)
                return -EINVAL;
        /* Both are merged, so a wanted range is inside the union only if inside one range. */
        for (size_t i = 0; i < nw; i++) {
                bool ok = false;

                for (size_t j = 0; j < nh && !ok; j++)
                        ok = have[j].lo <= want[i].lo && want[i].hi <= have[j].hi;
                if (!ok)
                        return -ERANGE;
        }
        return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", as systemd nests slices. */
static int slice_path(const char *slice, char **ret)
{
        _cleanup_free_ char *out = xstrdup(""), *base = NULL;
        size_t len;

        if (!endswith(slice, ".slice") || strchr(slice, '/'))
                return -EINVAL;
        if (streq(slice, "-.slice")) {
                *ret = TAKE_PTR(out);
                return 0;
        }
        len = strlen(slice) - strlen(".slice");
        base = xstrndup(slice, len);
        for (size_t i = 0; i <= len; i++) {
                char *next;

                if (base[i] != '-' && base[i] != '\0')
                        continue;
                /* An empty part ("a--b", "-a", "a-") is not a valid slice name. */
                if (i == 0 || base[i - 1] == '-' || (base[i] == '-' && i + 1 == len))
                        return -EINVAL;
                next = xasprintf("%s/%.*s.slice", out, (int) i, base);
                free(out);
                out = next;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

static int systemd_path(const char *spec, char **ret)
{
        const char *c1 = strchr(spec, ':'), *c2 = strchr(c1 + 1, ':'), *name = c2 + 1;
        _cleanup_free_ char *slice = xstrndup(spec, (size_t) (c1 - spec));
        _cleanup_free_ char *prefix = xstrndup(c1 + 1, (size_t) (c2 - c1 - 1));
        _cleanup_free_ char *parent = NULL;
        int r;

        if (!*name || strchr(name, '/') || strchr(prefix, '/'))
                return -EINVAL;
        r = slice_path(*slice ? slice : "system.slice", &parent);
        if (r < 0)
                return r;
        if (endswith(name, ".slice"))
                *ret = xasprintf("%s/%s", parent, name);
        else if (*prefix)
                *ret = xasprintf("%s/%s-%s.scope", parent, prefix, name);
        else
                *ret = xasprintf("%s/%s.scope", parent, name);
        return 0;
}

static bool is_systemd_path(const char *s)
{
        const char *c1 = strchr(s, ':');

        /* Exactly two colons and not absolute: "slice:prefix:name". */
        return s[0] != '/' && c1 && strchr(c1 + 1, ':') && !strchr(strchr(c1 + 1, ':') + 1, ':');
}

int cgroup_path_normalize(const char *spec_path, char **ret)
{
        _cleanup_free_ char *mapped = NULL, *out = NULL;
        const char *s = spec_path;
        size_t len = 0;

        if (!s || !*s)
                return -EINVAL;
        if (strlen(s) >= PATH_MAX)
                return -ENAMETOOLONG;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return -EINVAL;
        if (is_systemd_path(s)) {
                int r = systemd_path(s, &mapped);

                if (r < 0)
                        return r;
                s = mapped;
        }
        out = xmalloc(strlen(s) + 2);
        for (const char *p = s; *p;) {
                size_t n;

                p += strspn(p, "/");
                n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.')) {
                        p += n;
                        continue;
                }
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return -EINVAL;
                out[len++] = '/';
                memcpy(out + len, p, n);
                len += n;
                p += n;
        }
        if (len == 0)
                return -EINVAL;
        out[len] = '\0';
        if (len >= PATH_MAX)
                return -ENAMETOOLONG;
        *ret = TAKE_PTR(out);
        return 0;
}

/* ---- mode and hierarchies --------------------------------------------------------------- */

int cgroup_detect_mode(const char *root, enum cgroup_mode *ret)
{
        struct statfs fs;

        if (statfs(root, &fs) < 0)
                return -errno;
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = CGROUP_MODE_V2;
                return 0;
        }
        if (fs.f_type == TMPFS_MAGIC) {
                *ret = CGROUP_MODE_V1;
                return 0;
        }
        return -ENOMEDIUM;
}

static struct hier *add_hier(struct cgroup *cg, const char *mnt, const char *ctrls, bool v2,
                             bool optional)
{
        struct hier *h;

        cg->h = xrealloc(cg->h, (cg->n + 1) * sizeof(*cg->h));
        h = &cg->h[cg->n++];
        *h = (struct hier){ .mnt = xstrdup(mnt),
                            .ctrls = ctrls ? xstrdup(ctrls) : NULL,
                            .v2 = v2,
                            .optional = optional };
        return h;
}

static void hier_done(struct hier *h)
{
        free(h->mnt);
        free(h->dir);
        free(h->ctrls);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
        char *w = s;

        for (char *p = s; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *w++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                        p += 3;
                } else {
                        *w++ = *p;
                }
        }
        *w = '\0';
}

/* Names of the enabled v1-capable controllers, from /proc/cgroups, space separated. */
static char *known_controllers(void)
{
        _cleanup_free_ char *text = NULL;
        char *out = xstrdup(""), *save = NULL;

        if (read_file("/proc/cgroups", SMALL_FILE_MAX, &text, NULL) < 0)
                return out;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char name[64];
                unsigned hierarchy, num, enabled;
                char *next;

                if (line[0] == '#' ||
                    sscanf(line, "%63s %u %u %u", name, &hierarchy, &num, &enabled) != 4 ||
                    !enabled)
                        continue;
                next = xasprintf("%s %s", out, name);
                free(out);
                out = next;
        }
        return out;
}

/* The controllers of a v1 mount from its super options ("rw,cpu,cpuacct" -> "cpu,cpuacct"). */
static char *mount_controllers(const char *opts, const char *known, bool *named_only)
{
        _cleanup_free_ char *copy = xstrdup(opts);
        char *out = xstrdup(""), *save = NULL;

        *named_only = true;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                bool named = startswith(o, "name=");
                char *next;

                if (!named && !list_has(known, o))
                        continue;
                if (!named)
                        *named_only = false;
                next = xasprintf("%s%s%s", out, *out ? "," : "", o);
                free(out);
                out = next;
        }
        return out;
}

/* Splits a mountinfo line in place; returns the field count, sep = index of the "-" field. */
static size_t split_fields(char *line, char **f, size_t max, size_t *sep)
{
        size_t n = 0;
        char *save = NULL;

        *sep = 0;
        for (char *t = strtok_r(line, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save)) {
                if (!*sep && streq(t, "-") && n >= 6)
                        *sep = n;
                f[n++] = t;
        }
        return n;
}

/* One mountinfo line: adds its hierarchy when it is a cgroup mount under root. */
static void add_mount_line(struct cgroup *cg, char *line, const char *root, const char *known,
                           char **seen, size_t *n_seen)
{
        char *f[64];
        size_t sep, n = split_fields(line, f, ARRAY_SIZE(f), &sep);
        size_t rl = strlen(root);
        bool named_only, v2;
        _cleanup_free_ char *ctrls = NULL;

        if (!sep || n < sep + 4)
                return;
        v2 = streq(f[sep + 1], "cgroup2");
        if (!v2 && !streq(f[sep + 1], "cgroup"))
                return;
        unescape_octal(f[4]);
        if (strncmp(f[4], root, rl) != 0 || f[4][rl] != '/' || !f[4][rl + 1])
                return;
        /* The same hierarchy can be mounted twice (bind mounts): keep the first. */
        for (size_t i = 0; i < *n_seen; i++)
                if (streq(seen[i], f[2]))
                        return;
        seen[(*n_seen)++] = f[2];
        if (v2) {
                add_hier(cg, f[4], NULL, true, true);
                return;
        }
        ctrls = mount_controllers(f[sep + 3], known, &named_only);
        if (*ctrls)
                add_hier(cg, f[4], ctrls, false, named_only);
}

static int discover_v1(struct cgroup *cg, const char *root, struct agent_error **err)
{
        _cleanup_free_ char *known = known_controllers(), *text = NULL;
        _cleanup_free_ char **seen = NULL;
        size_t n_seen = 0, cap = 0;
        char *save = NULL;
        bool any = false;
        int r;

        r = read_file("/proc/self/mountinfo", LARGE_FILE_MAX, &text, NULL);
        if (r < 0)
                return agent_error_set(err, -r, "read `/proc/self/mountinfo`");
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (n_seen == cap) {
                        cap = cap ? cap * 2 : 16;
                        seen = xrealloc(seen, cap * sizeof(*seen));
                }
                add_mount_line(cg, line, root, known, seen, &n_seen);
        }
        for (size_t i = 0; i < cg->n; i++)
                any = any || !cg->h[i].v2;
        if (!any)
                return agent_error_setf(err, ENOENT, "no cgroup v1 hierarchy is mounted under `%s`",
                                        root);
        return 0;
}

/* The hierarchy holding a controller: a v1 mount first, else a v2 tree that has it enabled
 * (hybrid: controllers not bound to v1, such as hugetlb on this kind of host, live there). */
static const struct hier *find_ctrl(const struct cgroup *cg, const char *name)
{
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].v2 && list_has(cg->h[i].ctrls, name))
                        return &cg->h[i];
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2 && list_has(cg->h[i].ctrls, name))
                        return &cg->h[i];
        return NULL;
}

static const struct hier *first_v2(const struct cgroup *cg)
{
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2)
                        return &cg->h[i];
        return NULL;
}

static int need_ctrl(const struct cgroup *cg, const char *name, const struct hier **ret,
                     struct agent_error **err)
{
        *ret = find_ctrl(cg, name);
        if (!*ret)
                return agent_error_setf(err, EOPNOTSUPP,
                                        "cgroup controller `%s` is not available for `%s`", name,
                                        cg->path);
        return 0;
}

/* ---- creation --------------------------------------------------------------------------- */

struct created {
        char **dirs;
        size_t n;
};

static void created_push(struct created *c, const char *dir)
{
        c->dirs = xrealloc(c->dirs, (c->n + 1) * sizeof(*c->dirs));
        c->dirs[c->n++] = xstrdup(dir);
}

/* Removes what was created since `mark`, deepest first so parents are empty in their turn. */
static void created_rollback(struct created *c, size_t mark)
{
        for (; c->n > mark; c->n--) {
                (void) rmdir(c->dirs[c->n - 1]);
                free(c->dirs[c->n - 1]);
        }
}

static void created_forget(struct created *c)
{
        for (size_t i = 0; i < c->n; i++)
                free(c->dirs[i]);
        free(c->dirs);
        *c = (struct created){ 0 };
}

/* The v2 controllers cgroup_apply() may need below an ancestor. */
static const char *const wanted_v2[] = { "cpu", "cpuset", "io", "memory", "pids", "hugetlb" };

/* Enables in dir's cgroup.subtree_control every wanted controller dir has. Failures are only
 * logged: the apply step then names the missing file. */
static void enable_controllers(const char *dir)
{
        _cleanup_free_ char *avail = NULL, *enabled = NULL;

        if (read_at(dir, "cgroup.controllers", SMALL_FILE_MAX, &avail) < 0)
                return;
        if (read_at(dir, "cgroup.subtree_control", SMALL_FILE_MAX, &enabled) < 0)
                enabled = xstrdup("");
        for (size_t i = 0; i < ARRAY_SIZE(wanted_v2); i++) {
                _cleanup_free_ char *op = NULL;
                int r;

                if (!list_has(avail, wanted_v2[i]) || list_has(enabled, wanted_v2[i]))
                        continue;
                op = xasprintf("+%s", wanted_v2[i]);
                r = write_at(dir, "cgroup.subtree_control", op);
                if (r < 0)
                        cg_debug("write `%s` to `%s/cgroup.subtree_control`: %s", op, dir,
                                 strerror(-r));
        }
}

static bool is_dir(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool blank(const char *s)
{
        return s[strspn(s, " \t\n")] == '\0';
}

/* A new v1 cpuset has empty cpus and mems, and no task can join it (ENOSPC) until they are
 * set: copy the parent's. Levels that already have values keep them. */
static int cpuset_inherit(const char *parent, const char *child, struct agent_error **err)
{
        static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };

        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *cur = NULL, *up = NULL;
                int r;

                r = read_at(child, files[i], SMALL_FILE_MAX, &cur);
                if (r < 0)
                        return agent_error_set(err, -r, "read `%s/%s`", child, files[i]);
                if (!blank(cur))
                        continue;
                r = read_at(parent, files[i], SMALL_FILE_MAX, &up);
                if (r < 0)
                        return agent_error_set(err, -r, "read `%s/%s`", parent, files[i]);
                trim_right(up);
                r = write_at(child, files[i], up);
                if (r < 0)
                        return write_error(err, r, child, files[i], up);
        }
        return 0;
}

/* mkdir -p of path under one hierarchy, with the per-level duties of each version. */
static int create_in(const char *path, struct hier *h, struct created *created,
                     struct agent_error **err)
{
        _cleanup_free_ char *cur = xstrdup(h->mnt);
        bool cpuset = !h->v2 && list_has(h->ctrls, "cpuset");
        int r;

        for (const char *p = path; *p;) {
                size_t n;
                char *next;

                p += strspn(p, "/");
                n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (h->v2)
                        enable_controllers(cur);
                next = xasprintf("%s/%.*s", cur, (int) n, p);
                free(cur);
                cur = next;
                p += n;
                if (mkdir(cur, 0755) == 0)
                        created_push(created, cur);
                else if (errno != EEXIST)
                        return agent_error_set(err, errno, "mkdir `%s`", cur);
                else if (!is_dir(cur)) /* "cgroup.procs", "memory.max": a control file */
                        return agent_error_set(err, ENOTDIR, "mkdir `%s`", cur);
                if (cpuset) {
                        _cleanup_free_ char *parent = xstrndup(cur, strrchr(cur, '/') - cur);

                        r = cpuset_inherit(parent, cur, err);
                        if (r < 0)
                                return r;
                }
        }
        if (h->v2) {
                free(h->ctrls);
                if (read_at(cur, "cgroup.controllers", SMALL_FILE_MAX, &h->ctrls) < 0)
                        h->ctrls = xstrdup("");
        }
        h->dir = TAKE_PTR(cur);
        return 0;
}

int cgroup_new(const char *root, const char *path, struct cgroup **ret, struct agent_error **err)
{
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        _cleanup_free_ char *norm = NULL, *top = NULL;
        struct created created = { 0 };
        enum cgroup_mode mode;
        size_t kept = 0;
        int r;

        r = cgroup_path_normalize(path, &norm);
        if (r < 0)
                return agent_error_setf(err, -r,
                                        "cgroup path `%s` is invalid: it must name a cgroup "
                                        "below the root, without `..`",
                                        path ? path : "");
        r = cgroup_detect_mode(root, &mode);
        if (r == -ENOMEDIUM)
                return agent_error_setf(err, ENOMEDIUM,
                                        "cgroup root `%s` is neither cgroup2 nor a tmpfs of v1 "
                                        "hierarchies",
                                        root);
        if (r < 0)
                return agent_error_set(err, -r, "statfs `%s`", root);

        cg = xzalloc(sizeof(*cg));
        cg->mode = mode;
        cg->path = TAKE_PTR(norm);
        /* Mount points are compared as strings: no trailing slash on the root. */
        top = xstrdup(root);
        for (size_t l = strlen(top); l > 1 && top[l - 1] == '/'; l--)
                top[l - 1] = '\0';
        if (mode == CGROUP_MODE_V2)
                add_hier(cg, top, "", true, false);
        else if ((r = discover_v1(cg, top, err)) < 0)
                return r;

        for (size_t i = 0; i < cg->n; i++) {
                struct agent_error *e = NULL;
                size_t mark = created.n;

                r = create_in(cg->path, &cg->h[i], &created, &e);
                if (r < 0)
                        created_rollback(&created, cg->h[i].optional ? mark : 0);
                if (r < 0 && !cg->h[i].optional) {
                        created_forget(&created);
                        if (err)
                                *err = e;
                        else
                                agent_error_free(e);
                        return r;
                }
                if (r < 0) {
                        /* Best effort (hybrid unified tree, named hierarchy): drop it. */
                        cg_debug("cgroup `%s`: skipping `%s`: %s", cg->path, cg->h[i].mnt, e->msg);
                        agent_error_free(e);
                        hier_done(&cg->h[i]);
                        cg->h[i] = (struct hier){ 0 };
                }
        }
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].dir)
                        cg->h[kept++] = cg->h[i];
        cg->n = kept;
        created_forget(&created);
        cg_debug("cgroup `%s` created (%s, %zu hierarchies)", cg->path,
                 mode == CGROUP_MODE_V2 ? "v2" : "v1", cg->n);
        *ret = TAKE_PTR(cg);
        return 0;
}

struct cgroup *cgroup_free(struct cgroup *cg)
{
        if (!cg)
                return NULL;
        for (size_t i = 0; i < cg->n; i++)
                hier_done(&cg->h[i]);
        free(cg->h);
        free(cg->path);
        free(cg);
        return NULL;
}

const char *cgroup_path(const struct cgroup *cg)
{
        return cg->path;
}

enum cgroup_mode cgroup_get_mode(const struct cgroup *cg)
{
        return cg->mode;
}

const char *cgroup_memory_path(const struct cgroup *cg)
{
        const struct hier *h = find_ctrl(cg, "memory");

        if (h)
                return h->dir;
        return cg->mode == CGROUP_MODE_V2 && cg->n ? cg->h[0].dir : NULL;
}

/* ---- resources: cpu and cpuset ---------------------------------------------------------- */

static int check_list(const char *what, const char *value, const char *online_file,
                      const char *fallback, const char *online_name, struct agent_error **err)
{
        _cleanup_free_ char *online = NULL;
        int r;

        if (read_file(online_file, SMALL_FILE_MAX, &online, NULL) < 0) {
                if (!fallback)
                        return 0; /* nothing to check against: let the kernel decide */
                online = xstrdup(fallback);
        }
        trim_right(online);
        r = cgroup_cpulist_within(value, online);
        if (r == -ERANGE)
                return agent_error_setf(err, EINVAL, "%s `%s` is outside the online %s `%s`", what,
                                        value, online_name, online);
        if (r < 0)
                return agent_error_setf(err, EINVAL, "%s `%s` is not a valid list", what, value);
        return 0;
}

static int apply_cpuset(const struct cgroup *cg, const Grpc__LinuxCPU *cpu,
                        struct agent_error **err)
{
        bool cpus = cpu->cpus && *cpu->cpus, mems = cpu->mems && *cpu->mems;
        const struct hier *h;
        int r;

        if (!cpus && !mems)
                return 0;
        if (cpus && (r = check_list("cpuset", cpu->cpus, CPUS_ONLINE, NULL, "cpus", err)) < 0)
                return r;
        if (mems && (r = check_list("cpuset mems", cpu->mems, NODES_ONLINE, "0", "nodes", err)) < 0)
                return r;
        if ((r = need_ctrl(cg, "cpuset", &h, err)) < 0)
                return r;
        if (cpus && (r = cg_write(h, "cpuset.cpus", cpu->cpus, err)) < 0)
                return r;
        if (mems && (r = cg_write(h, "cpuset.mems", cpu->mems, err)) < 0)
                return r;
        return 0;
}

static int cpu_v1(const struct hier *h, const Grpc__LinuxCPU *cpu, struct agent_error **err)
{
        int r;

        if (cpu->shares && (r = cg_writef(h, "cpu.shares", err, "%" PRIu64, cpu->shares)) < 0)
                return r;
        if (cpu->period) {
                /* Period first, as runc: a quota is checked against the period in force. If the
                 * kernel refuses the period alone, the quota has to go first. */
                _cleanup_free_ char *p = xasprintf("%" PRIu64, cpu->period);

                r = write_at(h->dir, "cpu.cfs_period_us", p);
                if (r == -EINVAL && cpu->quota) {
                        r = cg_writef(h, "cpu.cfs_quota_us", err, "%" PRId64,
                                      cpu->quota < 0 ? -1 : cpu->quota);
                        if (r < 0)
                                return r;
                        r = write_at(h->dir, "cpu.cfs_period_us", p);
                }
                if (r < 0)
                        return write_error(err, r, h->dir, "cpu.cfs_period_us", p);
        }
        if (cpu->quota && (r = cg_writef(h, "cpu.cfs_quota_us", err, "%" PRId64,
                                         cpu->quota < 0 ? -1 : cpu->quota)) < 0)
                return r;
        if (cpu->realtimeperiod &&
            (r = cg_writef(h, "cpu.rt_period_us", err, "%" PRIu64, cpu->realtimeperiod)) < 0)
                return r;
        if (cpu->realtimeruntime &&
            (r = cg_writef(h, "cpu.rt_runtime_us", err, "%" PRId64, cpu->realtimeruntime)) < 0)
                return r;
        return 0;
}

static int cpu_v2(const struct hier *h, const Grpc__LinuxCPU *cpu, struct agent_error **err)
{
        int r;

        if (cpu->shares && (r = cg_writef(h, "cpu.weight", err, "%" PRIu64,
                                          cgroup_shares_to_weight(cpu->shares))) < 0)
                return r;
        if (cpu->quota || cpu->period) {
                _cleanup_free_ char *q =
                        cpu->quota > 0 ? xasprintf("%" PRId64, cpu->quota) : xstrdup("max");

                if (cpu->period)
                        r = cg_writef(h, "cpu.max", err, "%s %" PRIu64, q, cpu->period);
                else
                        r = cg_write(h, "cpu.max", q, err);
                if (r < 0)
                        return r;
        }
        if (cpu->realtimeperiod || cpu->realtimeruntime)
                cg_warn("cgroup `%s`: realtime cpu limits are not supported by cgroup v2, ignored",
                        h->dir);
        return 0;
}

static int apply_cpu(const struct cgroup *cg, const Grpc__LinuxCPU *cpu, struct agent_error **err)
{
        const struct hier *h;
        int r;

        r = apply_cpuset(cg, cpu, err);
        if (r < 0)
                return r;
        if (!cpu->shares && !cpu->quota && !cpu->period && !cpu->realtimeperiod &&
            !cpu->realtimeruntime)
                return 0;
        /* Realtime alone on v2 is ignored (cpu_v2), whether or not the controller is there. */
        if (cg->mode == CGROUP_MODE_V2 && !cpu->shares && !cpu->quota && !cpu->period &&
            !find_ctrl(cg, "cpu")) {
                cg_warn("cgroup `%s`: realtime cpu limits are not supported by cgroup v2, ignored",
                        cg->path);
                return 0;
        }
        if ((r = need_ctrl(cg, "cpu", &h, err)) < 0)
                return r;
        return h->v2 ? cpu_v2(h, cpu, err) : cpu_v1(h, cpu, err);
}

/* ---- resources: memory ------------------------------------------------------------------ */

/* Without swap accounting (no memsw / swap.max file) a swap value can only be honoured when it
 * asks for nothing beyond what the kernel does anyway: unlimited, or equal to the limit. */
static int swap_unsupported(const struct hier *h, const char *file, const Grpc__LinuxMemory *m,
                            struct agent_error **err)
{
        if (m->swap == 0 || m->swap == -1 || m->swap == m->limit)
                return 0;
        return agent_error_setf(err, EOPNOTSUPP,
                                "swap limit `%" PRId64 "` cannot be set: `%s/%s` is missing "
                                "(swap accounting is off)",
                                m->swap, h->dir, file);
}

static int limits_v1(const struct hier *h, int64_t limit, int64_t swap, struct agent_error **err)
{
        uint64_t cur = 0;
        bool swap_first;
        int r;

        if (swap == 0)
                return limit ? cg_writef(h, "memory.limit_in_bytes", err, "%" PRId64, limit) : 0;
        /* memsw must stay >= limit after each write: raise memsw first when it grows past the
         * current limit, else lower the limit first. */
        (void) read_u64_at(h->dir, "memory.limit_in_bytes", &cur);
        swap_first = swap == -1 || (uint64_t) swap >= cur;
        if (swap_first &&
            (r = cg_writef(h, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap)) < 0)
                return r;
        if (limit && (r = cg_writef(h, "memory.limit_in_bytes", err, "%" PRId64, limit)) < 0)
                return r;
        if (!swap_first &&
            (r = cg_writef(h, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap)) < 0)
                return r;
        return 0;
}

static int memory_v1(const struct hier *h, const Grpc__LinuxMemory *m, struct agent_error **err)
{
        bool memsw = file_exists(h->dir, "memory.memsw.limit_in_bytes");
        int64_t swap = m->swap;
        int r;

        if (!memsw) {
                r = swap_unsupported(h, "memory.memsw.limit_in_bytes", m, err);
                if (r < 0)
                        return r;
                swap = 0;
        } else if (m->limit == -1 && swap == 0) {
                swap = -1; /* unlimited memory: unlimited memory+swap too (runc) */
        }
        if ((r = limits_v1(h, m->limit, swap, err)) < 0)
                return r;
        if (m->reservation &&
            (r = cg_writef(h, "memory.soft_limit_in_bytes", err, "%" PRId64, m->reservation)) < 0)
                return r;
        if (m->kerneltcp &&
            (r = cg_writef(h, "memory.kmem.tcp.limit_in_bytes", err, "%" PRId64, m->kerneltcp)) < 0)
                return r;
        if (m->kernel)
                cg_debug("cgroup `%s`: kernel memory limits are deprecated, ignored", h->dir);
        if (m->swappiness &&
            (r = cg_writef(h, "memory.swappiness", err, "%" PRIu64, m->swappiness)) < 0)
                return r;
        if (m->disableoomkiller && (r = cg_write(h, "memory.oom_control", "1", err)) < 0)
                return r;
        return 0;
}

static char *v2_value(int64_t v)
{
        return v < 0 ? xstrdup("max") : xasprintf("%" PRId64, v);
}

static int memory_v2(const struct hier *h, const Grpc__LinuxMemory *m, struct agent_error **err)
{
        int64_t swap;
        int r;

        if (cgroup_swap_to_v2(m->swap, m->limit, &swap) < 0)
                return agent_error_setf(err, EINVAL,
                                        "swap limit `%" PRId64 "` needs a memory limit no larger "
                                        "than it (memory limit `%" PRId64 "`)",
                                        m->swap, m->limit);
        if (m->limit) {
                _cleanup_free_ char *v = v2_value(m->limit);

                if ((r = cg_write(h, "memory.max", v, err)) < 0)
                        return r;
        }
        if (swap && !file_exists(h->dir, "memory.swap.max")) {
                if ((r = swap_unsupported(h, "memory.swap.max", m, err)) < 0)
                        return r;
        } else if (swap) {
                _cleanup_free_ char *v = v2_value(swap);

                if ((r = cg_write(h, "memory.swap.max", v, err)) < 0)
                        return r;
        }
        if (m->reservation) {
                _cleanup_free_ char *v = v2_value(m->reservation);

                if ((r = cg_write(h, "memory.low", v, err)) < 0)
                        return r;
        }
        if (m->kernel || m->kerneltcp || m->swappiness || m->disableoomkiller)
                cg_debug("cgroup `%s`: kernel/kernelTCP/swappiness/disableOOMKiller have no "
                         "cgroup v2 equivalent, ignored",
                         h->dir);
        return 0;
}

static int apply_memory(const struct cgroup *cg, const Grpc__LinuxMemory *m,
                        struct agent_error **err)
{
        const struct hier *h;
        int r;

        if (!m->limit && !m->reservation && !m->swap && !m->kernel && !m->kerneltcp &&
            !m->swappiness && !m->disableoomkiller)
                return 0;
        if (m->swappiness > 100)
                return agent_error_setf(err, EINVAL,
                                        "memory swappiness `%" PRIu64 "` is outside 0-100",
                                        m->swappiness);
        if ((r = need_ctrl(cg, "memory", &h, err)) < 0)
                return r;
        return h->v2 ? memory_v2(h, m, err) : memory_v1(h, m, err);
}

/* ---- resources: pids, block io, hugetlb, network ---------------------------------------- */

static int apply_pids(const struct cgroup *cg, const Grpc__LinuxPids *p, struct agent_error **err)
{
        const struct hier *h;
        int r;

        if ((r = need_ctrl(cg, "pids", &h, err)) < 0)
                return r;
        /* A limit <= 0 means unlimited (OCI; the Rust agent does the same). */
        if (p->limit <= 0)
                return cg_write(h, "pids.max", "max", err);
        return cg_writef(h, "pids.max", err, "%" PRId64, p->limit);
}

static int throttle_v1(const struct hier *h, const char *file, Grpc__LinuxThrottleDevice **d,
                       size_t n, struct agent_error **err)
{
        for (size_t i = 0; i < n; i++) {
                int r = cg_writef(h, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i]->major,
                                  d[i]->minor, d[i]->rate);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int blkio_v1(const struct hier *h, const Grpc__LinuxBlockIO *b, struct agent_error **err)
{
        int r;

        if (b->weight) {
                _cleanup_free_ char *v = xasprintf("%" PRIu32, b->weight);

                if ((r = cg_write_alias(h, "blkio.weight", "blkio.bfq.weight", v, err)) < 0)
                        return r;
        }
        /* CFQ had leaf weights; BFQ (the only weight scheduler of current kernels) has not. */
        if (b->leafweight && !file_exists(h->dir, "blkio.leaf_weight"))
                cg_debug("`%s`: no blkio.leaf_weight, leaf weight ignored", h->dir);
        else if (b->leafweight &&
                 (r = cg_writef(h, "blkio.leaf_weight", err, "%" PRIu32, b->leafweight)) < 0)
                return r;
        for (size_t i = 0; i < b->n_weightdevice; i++) {
                const Grpc__LinuxWeightDevice *d = b->weightdevice[i];
                _cleanup_free_ char *v = xasprintf("%" PRId64 ":%" PRId64 " %" PRIu32, d->major,
                                                   d->minor, d->weight);

                if (d->weight && (r = cg_write_alias(h, "blkio.weight_device",
                                                     "blkio.bfq.weight_device", v, err)) < 0)
                        return r;
        }
        if ((r = throttle_v1(h, "blkio.throttle.read_bps_device", b->throttlereadbpsdevice,
                             b->n_throttlereadbpsdevice, err)) < 0 ||
            (r = throttle_v1(h, "blkio.throttle.write_bps_device", b->throttlewritebpsdevice,
                             b->n_throttlewritebpsdevice, err)) < 0 ||
            (r = throttle_v1(h, "blkio.throttle.read_iops_device", b->throttlereadiopsdevice,
                             b->n_throttlereadiopsdevice, err)) < 0 ||
            (r = throttle_v1(h, "blkio.throttle.write_iops_device", b->throttlewriteiopsdevice,
                             b->n_throttlewriteiopsdevice, err)) < 0)
                return r;
        return 0;
}

/* io.bfq.weight takes the v1 scale; io.weight (no bfq) the v2 one. prefix: "" or "maj:min ". */
static int io_weight_v2(const struct hier *h, const char *prefix, uint32_t weight,
                        struct agent_error **err)
{
        _cleanup_free_ char *bfq = xasprintf("%s%" PRIu32, prefix, weight);
        _cleanup_free_ char *io = NULL;
        int r = write_at(h->dir, "io.bfq.weight", bfq);

        if (r != -ENOENT)
                return r < 0 ? write_error(err, r, h->dir, "io.bfq.weight", bfq) : 0;
        io = xasprintf("%s%" PRIu64, prefix, cgroup_blkio_weight_to_io(weight));
        return cg_write(h, "io.weight", io, err);
}

static int throttle_v2(const struct hier *h, const char *key, Grpc__LinuxThrottleDevice **d,
                       size_t n, struct agent_error **err)
{
        for (size_t i = 0; i < n; i++) {
                int r = cg_writef(h, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
                                  d[i]->major, d[i]->minor, key, d[i]->rate);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int blkio_v2(const struct hier *h, const Grpc__LinuxBlockIO *b, struct agent_error **err)
{
        int r;

        if (b->weight && (r = io_weight_v2(h, "", b->weight, err)) < 0)
                return r;
        if (b->leafweight)
                cg_debug("`%s`: cgroup v2 has no leaf weight, ignored", h->dir);
        for (size_t i = 0; i < b->n_weightdevice; i++) {
                const Grpc__LinuxWeightDevice *d = b->weightdevice[i];
                _cleanup_free_ char *prefix =
                        xasprintf("%" PRId64 ":%" PRId64 " ", d->major, d->minor);

                if (d->weight && (r = io_weight_v2(h, prefix, d->weight, err)) < 0)
                        return r;
        }
        if ((r = throttle_v2(h, "rbps", b->throttlereadbpsdevice, b->n_throttlereadbpsdevice,
                             err)) < 0 ||
            (r = throttle_v2(h, "wbps", b->throttlewritebpsdevice, b->n_throttlewritebpsdevice,
                             err)) < 0 ||
            (r = throttle_v2(h, "riops", b->throttlereadiopsdevice, b->n_throttlereadiopsdevice,
                             err)) < 0 ||
            (r = throttle_v2(h, "wiops", b->throttlewriteiopsdevice, b->n_throttlewriteiopsdevice,
                             err)) < 0)
                return r;
        return 0;
}

static int apply_blkio(const struct cgroup *cg, const Grpc__LinuxBlockIO *b,
                       struct agent_error **err)
{
        const struct hier *h;
        int r;

        if (!b->weight && !b->leafweight && !b->n_weightdevice && !b->n_throttlereadbpsdevice &&
            !b->n_throttlewritebpsdevice && !b->n_throttlereadiopsdevice &&
            !b->n_throttlewriteiopsdevice)
                return 0;
        /* v1 calls it blkio, v2 io. */
        h = find_ctrl(cg, "blkio");
        if (h)
                return h->v2 ? blkio_v2(h, b, err) : blkio_v1(h, b, err);
        if ((r = need_ctrl(cg, "io", &h, err)) < 0)
                return r;
        return blkio_v2(h, b, err);
}

/* "2MB", "1GB", "64KB": also keeps the name safe to put in a file name. */
static bool valid_pagesize(const char *s)
{
        size_t d = strspn(s, "0123456789");

        return d > 0 && d < 20 && s[d] && strchr("KMGT", s[d]) && streq(s + d + 1, "B");
}

static int apply_hugetlb(const struct cgroup *cg, Grpc__LinuxHugepageLimit **l, size_t n,
                         struct agent_error **err)
{
        const struct hier *h;
        int r;

        if (n == 0)
                return 0;
        if ((r = need_ctrl(cg, "hugetlb", &h, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *file = NULL;

                if (!l[i]->pagesize || !valid_pagesize(l[i]->pagesize))
                        return agent_error_setf(err, EINVAL, "hugepage size `%s` is invalid",
                                                l[i]->pagesize ? l[i]->pagesize : "");
                file = xasprintf("hugetlb.%s.%s", l[i]->pagesize, h->v2 ? "max" : "limit_in_bytes");
                if ((r = cg_writef(h, file, err, "%" PRIu64, l[i]->limit)) < 0)
                        return r;
        }
        return 0;
}

static int apply_network(const struct cgroup *cg, const Grpc__LinuxNetwork *net,
                         struct agent_error **err)
{
        const struct hier *cls = find_ctrl(cg, "net_cls"), *prio = find_ctrl(cg, "net_prio");
        int r;

        if (net->classid && cls && !cls->v2 &&
            (r = cg_writef(cls, "net_cls.classid", err, "%" PRIu32, net->classid)) < 0)
                return r;
        for (size_t i = 0; prio && !prio->v2 && i < net->n_priorities; i++) {
                const Grpc__LinuxInterfacePriority *p = net->priorities[i];

                if ((r = cg_writef(prio, "net_prio.ifpriomap", err, "%s %" PRIu32,
                                   p->name ? p->name : "", p->priority)) < 0)
                        return r;
        }
        if ((net->classid && (!cls || cls->v2)) || (net->n_priorities && (!prio || prio->v2)))
                cg_debug("cgroup `%s`: net_cls/net_prio not mounted, network resources ignored",
                         cg->path);
        return 0;
}

/* ---- resources: devices (v1) ------------------------------------------------------------ */

/* What a container needs whatever its spec says (crun's and runc's list). */
static const struct {
        char type;
        int major, minor; /* -1 = any */
        const char *access;
} default_devices[] = {
        { 'c', -1, -1, "m" },    { 'b', -1, -1, "m" }, { 'c', 1, 3, "rwm" },
        { 'c', 1, 8, "rwm" },    { 'c', 1, 7, "rwm" }, { 'c', 5, 0, "rwm" },
        { 'c', 1, 5, "rwm" },    { 'c', 1, 9, "rwm" }, { 'c', 5, 1, "rwm" },
        { 'c', 136, -1, "rwm" }, { 'c', 5, 2, "rwm" }, { 'c', 10, 200, "rwm" },
};

static char dev_type(const Grpc__LinuxDeviceCgroup *d)
{
        return d->type && *d->type ? d->type[0] : 'a';
}

static const char *dev_access(const Grpc__LinuxDeviceCgroup *d)
{
        return d->access && *d->access ? d->access : "rwm";
}

static bool full_access(const char *a)
{
        return strchr(a, 'r') && strchr(a, 'w') && strchr(a, 'm');
}

/* "a" with every access resets the whole list in the kernel. */
static bool all_devices_rule(const Grpc__LinuxDeviceCgroup *d)
{
        return dev_type(d) == 'a' && full_access(dev_access(d));
}

static void dev_num(char *buf, size_t size, int64_t v)
{
        /* On the wire an absent major/minor is 0 (proto3), and the runtime sends -1 for
         * "any": both mean the wildcard, as in the Rust agent. */
        if (v <= 0)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%" PRId64, v);
}

static int device_rule(const struct hier *h, bool allow, char type, int64_t major, int64_t minor,
                       const char *access, struct agent_error **err)
{
        char ma[24], mi[24];

        dev_num(ma, sizeof(ma), major);
        dev_num(mi, sizeof(mi), minor);
        return cg_writef(h, allow ? "devices.allow" : "devices.deny", err, "%c %s:%s %s", type, ma,
                         mi, access);
}

static int check_device(const Grpc__LinuxDeviceCgroup *d, struct agent_error **err)
{
        const char *a = dev_access(d);
        char t = dev_type(d);

        if ((t != 'a' && t != 'b' && t != 'c') || (d->type && strlen(d->type) > 1))
                return agent_error_setf(err, EINVAL, "device rule type `%s` is invalid", d->type);
        if (strspn(a, "rwm") != strlen(a) || strlen(a) > 3)
                return agent_error_setf(err, EINVAL, "device rule access `%s` is invalid", a);
        return 0;
}

static int device_entry(const struct hier *h, const Grpc__LinuxDeviceCgroup *d,
                        struct agent_error **err)
{
        const char *a = dev_access(d);
        int r;

        if (all_devices_rule(d))
                return cg_write(h, d->allow ? "devices.allow" : "devices.deny", "a", err);
        if (dev_type(d) != 'a')
                return device_rule(h, d->allow, dev_type(d), d->major, d->minor, a, err);
        /* "a" with partial access: the kernel would read it as all access, so spell it out. */
        r = device_rule(h, d->allow, 'b', -1, -1, a, err);
        return r < 0 ? r : device_rule(h, d->allow, 'c', -1, -1, a, err);
}

static int apply_devices(const struct cgroup *cg, Grpc__LinuxDeviceCgroup **d, size_t n,
                         struct agent_error **err)
{
        const struct hier *h = find_ctrl(cg, "devices");
        size_t start = 0;
        bool deny_all = false;
        int r;

        if (n == 0)
                return 0;
        if (!h || h->v2) {
                cg_debug("cgroup `%s`: %zu device rules not applied (cgroup v2 needs an eBPF "
                         "program, not implemented)",
                         cg->path, n);
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                if ((r = check_device(d[i], err)) < 0)
                        return r;
                if (all_devices_rule(d[i])) {
                        start = i;
                        deny_all = !d[i]->allow;
                }
        }
        /* Writing "a" resets the kernel's list, so rules before the last one are moot: start
         * there. That is also what puts a deny-all first. */
        for (size_t i = start; i < n; i++)
                if ((r = device_entry(h, d[i], err)) < 0)
                        return r;
        for (size_t i = 0; deny_all && i < ARRAY_SIZE(default_devices); i++)
                if ((r = device_rule(h, true, default_devices[i].type, default_devices[i].major,
                                     default_devices[i].minor, default_devices[i].access, err)) < 0)
                        return r;
        return 0;
}

int cgroup_apply(struct cgroup *cg, const Grpc__LinuxResources *res, struct agent_error **err)
{
        int r = 0;

        if (!res)
                return 0;
        if (res->cpu && (r = apply_cpu(cg, res->cpu, err)) < 0)
                return r;
        if (res->memory && (r = apply_memory(cg, res->memory, err)) < 0)
                return r;
        if (res->pids && (r = apply_pids(cg, res->pids, err)) < 0)
                return r;
        if (res->blockio && (r = apply_blkio(cg, res->blockio, err)) < 0)
                return r;
        if ((r = apply_hugetlb(cg, res->hugepagelimits, res->n_hugepagelimits, err)) < 0)
                return r;
        if (res->network && (r = apply_network(cg, res->network, err)) < 0)
                return r;
        return apply_devices(cg, res->devices, res->n_devices, err);
}

/* ---- processes -------------------------------------------------------------------------- */

int cgroup_enter(struct cgroup *cg, pid_t pid, struct agent_error **err)
{
        char value[24];

        snprintf(value, sizeof(value), "%d", (int) pid);
        for (size_t i = 0; i < cg->n; i++) {
                int r = write_at(cg->h[i].dir, "cgroup.procs", value);

                if (r < 0 && !cg->h[i].optional)
                        return write_error(err, r, cg->h[i].dir, "cgroup.procs", value);
                if (r < 0)
                        cg_debug("write `%s` to `%s/cgroup.procs`: %s", value, cg->h[i].dir,
                                 strerror(-r));
        }
        return 0;
}

static const struct hier *freezer_hier(const struct cgroup *cg, bool *v2)
{
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].v2 && list_has(cg->h[i].ctrls, "freezer")) {
                        *v2 = false;
                        return &cg->h[i];
                }
        /* cgroup.freeze is core (no controller), in every non-root v2 cgroup since 5.2. */
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2 && file_exists(cg->h[i].dir, "cgroup.freeze")) {
                        *v2 = true;
                        return &cg->h[i];
                }
        return NULL;
}

/* 1 when the freezer reports the target state, 0 when not yet, -errno on failure. */
static int freeze_reached(const struct hier *h, bool v2, bool frozen)
{
        _cleanup_free_ char *s = NULL;
        uint64_t v;
        int r;

        r = read_at(h->dir, v2 ? "cgroup.events" : "freezer.state", SMALL_FILE_MAX, &s);
        if (r < 0)
                return r;
        if (!v2)
                return streq(trim_right(s), frozen ? "FROZEN" : "THAWED");
        if (!kv_get(s, "frozen", &v))
                return -EBADMSG;
        return (v == 1) == frozen;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct agent_error **err)
{
        const char *file, *value;
        const struct hier *h;
        uint64_t deadline;
        unsigned delay = 1;
        bool v2;
        int r;

        h = freezer_hier(cg, &v2);
        if (!h)
                return agent_error_setf(err, EOPNOTSUPP, "cgroup `%s` has no freezer", cg->path);
        file = v2 ? "cgroup.freeze" : "freezer.state";
        value = v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
        if ((r = cg_write(h, file, value, err)) < 0)
                return r;
        deadline = now_ns() + FREEZE_TIMEOUT_MS * 1000000ull;
        for (unsigned i = 1;; i++) {
                r = freeze_reached(h, v2, frozen);
                if (r < 0)
                        return agent_error_set(err, -r, "read the freezer state of `%s`", h->dir);
                if (r > 0)
                        return 0;
                if (now_ns() > deadline)
                        break;
                /* A v1 freezer stops in FREEZING when a task could not be frozen; writing
                 * FROZEN again retries (runc does the same). */
                if (!v2 && frozen && i % 8 == 0)
                        (void) write_at(h->dir, file, value);
                sleep_ms(delay);
                delay = delay < 16 ? delay * 2 : 16;
        }
        if (frozen)
                (void) write_at(h->dir, file, v2 ? "0" : "THAWED");
        return agent_error_setf(err, ETIMEDOUT, "cgroup `%s` did not become %s within %u ms",
                                h->dir, frozen ? "frozen" : "thawed", FREEZE_TIMEOUT_MS);
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

        return x < y ? -1 : x > y;
}

static void append_pids(const char *text, pid_t **v, size_t *n)
{
        for (const char *p = text; *p;) {
                char *end;
                long pid = strtol(p, &end, 10);

                if (end == p)
                        break;
                if (pid > 0 && pid <= INT32_MAX) {
                        *v = xrealloc(*v, (*n + 1) * sizeof(**v));
                        (*v)[(*n)++] = (pid_t) pid;
                }
                p = end + strspn(end, "\n");
        }
}

int cgroup_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n)
{
        _cleanup_free_ pid_t *v = NULL;
        size_t n = 0, m = 0;
        bool any = false;

        /* The union over every hierarchy: a process may have been moved out of one of them. */
        for (size_t i = 0; i < cg->n; i++) {
                _cleanup_free_ char *text = NULL;
                int r = read_at(cg->h[i].dir, "cgroup.procs", LARGE_FILE_MAX, &text);

                if (r == -ENOENT)
                        continue;
                if (r < 0 && !cg->h[i].optional)
                        return r;
                if (r < 0)
                        continue;
                any = true;
                append_pids(text, &v, &n);
        }
        if (!any && cg->n)
                return -ENOENT;
        if (n)
                qsort(v, n, sizeof(*v), cmp_pid);
        for (size_t i = 0; i < n; i++)
                if (m == 0 || v[m - 1] != v[i])
                        v[m++] = v[i];
        *ret_n = m;
        *ret = TAKE_PTR(v);
        return 0;
}

int cgroup_kill_all(struct cgroup *cg, int sig)
{
        _cleanup_free_ pid_t *pids = NULL;
        struct agent_error *e = NULL;
        size_t n = 0;
        int count = 0, r;
        bool frozen;

        /* Frozen, no process can fork a child we would miss. */
        frozen = cgroup_freeze(cg, true, &e) == 0;
        if (!frozen) {
                cg_debug("kill `%s` without freezing: %s", cg->path, e ? e->msg : "");
                e = agent_error_free(e);
        }
        r = cgroup_pids(cg, &pids, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (kill(pids[i], sig) == 0)
                        count++;
                else if (errno != ESRCH)
                        cg_debug("kill %d: %s", (int) pids[i], strerror(errno));
        }
        if (frozen && cgroup_freeze(cg, false, &e) < 0) {
                cg_warn("thaw `%s`: %s", cg->path, e->msg);
                agent_error_free(e);
        }
        return r < 0 ? r : count;
}

/* ---- removal ---------------------------------------------------------------------------- */

/* Removes dir and the sub-cgroups a container may have made inside it (depth-first). */
static int rmdir_tree(const char *dir, unsigned depth)
{
        _cleanup_close_ int fd = -EBADF;
        DIR *d;
        struct dirent *de;

        if (rmdir(dir) == 0 || errno == ENOENT)
                return 0;
        if ((errno != EBUSY && errno != ENOTEMPTY) || depth > 32)
                return -errno;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                sub = xasprintf("%s/%s", dir, de->d_name);
                (void) rmdir_tree(sub, depth + 1);
        }
        closedir(d);
        return rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
}

int cgroup_destroy(struct cgroup *cg, struct agent_error **err)
{
        uint64_t deadline = now_ns() + DESTROY_TIMEOUT_MS * 1000000ull;
        int ret = 0;

        if (!cg)
                return 0;
        /* Only the leaf: parents ("/kata/<sandbox>") may be shared with other containers. */
        for (size_t i = 0; i < cg->n; i++) {
                int r;

                /* EBUSY while exiting tasks are still listed: they go within milliseconds. */
                while ((r = rmdir_tree(cg->h[i].dir, 0)) == -EBUSY && now_ns() < deadline)
                        sleep_ms(5);
                if (r < 0 && !cg->h[i].optional && ret == 0)
                        ret = agent_error_set(err, -r, "rmdir `%s`", cg->h[i].dir);
                else if (r < 0)
                        cg_debug("rmdir `%s`: %s", cg->h[i].dir, strerror(-r));
        }
        cgroup_free(cg);
        return ret;
}

/* ---- stats ------------------------------------------------------------------------------ */

#define NEW_MSG(type, init)                      \
        ({                                       \
                type *_m = xmalloc(sizeof(*_m)); \
                init(_m);                        \
                _m;                              \
        })

/* Appends to a protobuf-c repeated field (array + count), typed. */
#define PUSH(arr, n, p)                                              \
        do {                                                         \
                (arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))); \
                (arr)[(n)++] = (p);                                  \
        } while (0)

static uint64_t ticks_to_ns(uint64_t ticks)
{
        long tck = sysconf(_SC_CLK_TCK);
        const uint64_t nsec = 1000000000ull;

        if (tck <= 0)
                tck = 100;
        return nsec % (uint64_t) tck == 0 ? ticks * (nsec / (uint64_t) tck)
                                          : ticks * nsec / (uint64_t) tck;
}

static void percpu_v1(const char *dir, Grpc__CpuUsage *u)
{
        _cleanup_free_ char *text = NULL;

        if (read_at(dir, "cpuacct.usage_percpu", SMALL_FILE_MAX, &text) < 0)
                return;
        for (const char *p = text; *p && u->n_percpu_usage < 65536;) {
                char *end;
                unsigned long long v = strtoull(p, &end, 10);

                if (end == p)
                        break;
                u->percpu_usage = xrealloc(u->percpu_usage,
                                           (u->n_percpu_usage + 1) * sizeof(*u->percpu_usage));
                u->percpu_usage[u->n_percpu_usage++] = v;
                p = end + strspn(end, " \n");
        }
}

static Grpc__CpuStats *cpu_stats(const struct cgroup *cg)
{
        Grpc__CpuStats *s = NEW_MSG(Grpc__CpuStats, grpc__cpu_stats__init);
        Grpc__CpuUsage *u = NEW_MSG(Grpc__CpuUsage, grpc__cpu_usage__init);
        Grpc__ThrottlingData *t = NEW_MSG(Grpc__ThrottlingData, grpc__throttling_data__init);
        const struct hier *acct = find_ctrl(cg, "cpuacct"), *cpu = find_ctrl(cg, "cpu");
        const struct hier *core = first_v2(cg);

        s->cpu_usage = u;
        s->throttling_data = t;
        if (acct && !acct->v2) {
                (void) read_u64_at(acct->dir, "cpuacct.usage", &u->total_usage);
                percpu_v1(acct->dir, u);
                u->usage_in_usermode = ticks_to_ns(kv_at(acct->dir, "cpuacct.stat", "user"));
                u->usage_in_kernelmode = ticks_to_ns(kv_at(acct->dir, "cpuacct.stat", "system"));
        } else if (core) {
                /* v2 cpu.stat usage lines are core: there even without the cpu controller. */
                u->total_usage = kv_at(core->dir, "cpu.stat", "usage_usec") * 1000;
                u->usage_in_usermode = kv_at(core->dir, "cpu.stat", "user_usec") * 1000;
                u->usage_in_kernelmode = kv_at(core->dir, "cpu.stat", "system_usec") * 1000;
        }
        if (cpu) {
                t->periods = kv_at(cpu->dir, "cpu.stat", "nr_periods");
                t->throttled_periods = kv_at(cpu->dir, "cpu.stat", "nr_throttled");
                t->throttled_time = cpu->v2 ? kv_at(cpu->dir, "cpu.stat", "throttled_usec") * 1000
                                            : kv_at(cpu->dir, "cpu.stat", "throttled_time");
        }
        return s;
}

static Grpc__MemoryData *memory_data(const char *dir, const char *usage, const char *max_usage,
                                     const char *failcnt, const char *limit)
{
        Grpc__MemoryData *d = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);

        (void) read_u64_at(dir, usage, &d->usage);
        if (max_usage)
                (void) read_u64_at(dir, max_usage, &d->max_usage);
        if (failcnt)
                (void) read_u64_at(dir, failcnt, &d->failcnt);
        (void) read_u64_at(dir, limit, &d->limit);
        return d;
}

/* Every "key number" line of memory.stat becomes a map entry. */
static void memory_stat_map(const char *dir, Grpc__MemoryStats *s)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (read_at(dir, "memory.stat", LARGE_FILE_MAX, &text) < 0)
                return;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                Grpc__MemoryStats__StatsEntry *e;
                char *sp = strchr(l, ' ');
                uint64_t v;

                if (!sp || sp == l || parse_u64(sp + 1, 10, &v) < 0 || s->n_stats >= 4096)
                        continue;
                e = NEW_MSG(Grpc__MemoryStats__StatsEntry, grpc__memory_stats__stats_entry__init);
                e->key = xstrndup(l, (size_t) (sp - l));
                e->value = v;
                PUSH(s->stats, s->n_stats, e);
        }
}

static uint64_t stat_entry(const Grpc__MemoryStats *s, const char *key)
{
        for (size_t i = 0; i < s->n_stats; i++)
                if (streq(s->stats[i]->key, key))
                        return s->stats[i]->value;
        return 0;
}

static void memory_v1_stats(const char *dir, Grpc__MemoryStats *s)
{
        uint64_t hier = 0;

        s->usage = memory_data(dir, "memory.usage_in_bytes", "memory.max_usage_in_bytes",
                               "memory.failcnt", "memory.limit_in_bytes");
        s->swap_usage =
                memory_data(dir, "memory.memsw.usage_in_bytes", "memory.memsw.max_usage_in_bytes",
                            "memory.memsw.failcnt", "memory.memsw.limit_in_bytes");
        s->kernel_usage =
                memory_data(dir, "memory.kmem.usage_in_bytes", "memory.kmem.max_usage_in_bytes",
                            "memory.kmem.failcnt", "memory.kmem.limit_in_bytes");
        (void) read_u64_at(dir, "memory.use_hierarchy", &hier);
        s->use_hierarchy = hier == 1;
        memory_stat_map(dir, s);
        s->cache = stat_entry(s, "cache");
}

static void memory_v2_stats(const char *dir, Grpc__MemoryStats *s)
{
        s->usage = memory_data(dir, "memory.current", "memory.peak", NULL, "memory.max");
        s->usage->failcnt = kv_at(dir, "memory.events", "max");
        s->swap_usage = memory_data(dir, "memory.swap.current", "memory.swap.peak", NULL,
                                    "memory.swap.max");
        s->swap_usage->failcnt = kv_at(dir, "memory.swap.events", "max");
        /* v1 reported memory+swap: consumers of this message expect that sum. */
        s->swap_usage->usage += s->usage->usage;
        if (s->swap_usage->limit != UINT64_MAX && s->usage->limit != UINT64_MAX)
                s->swap_usage->limit += s->usage->limit;
        else
                s->swap_usage->limit = UINT64_MAX;
        s->kernel_usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        s->use_hierarchy = true;
        memory_stat_map(dir, s);
        s->kernel_usage->usage = stat_entry(s, "kernel");
        s->cache = stat_entry(s, "file");
}

static Grpc__MemoryStats *memory_stats(const struct cgroup *cg)
{
        Grpc__MemoryStats *s = NEW_MSG(Grpc__MemoryStats, grpc__memory_stats__init);
        const struct hier *h = find_ctrl(cg, "memory");

        if (h && h->v2)
                memory_v2_stats(h->dir, s);
        else if (h)
                memory_v1_stats(h->dir, s);
        if (!s->usage)
                s->usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        if (!s->swap_usage)
                s->swap_usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        if (!s->kernel_usage)
                s->kernel_usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        return s;
}

static Grpc__PidsStats *pids_stats(const struct cgroup *cg)
{
        Grpc__PidsStats *s = NEW_MSG(Grpc__PidsStats, grpc__pids_stats__init);
        const struct hier *h = find_ctrl(cg, "pids");

        if (h) {
                (void) read_u64_at(h->dir, "pids.current", &s->current);
                (void) read_u64_at(h->dir, "pids.max", &s->limit);
                if (s->limit == UINT64_MAX)
                        s->limit = 0; /* "max": 0, as the Rust agent reports it */
        }
        return s;
}

static Grpc__BlkioStatsEntry *blkio_entry(uint64_t major, uint64_t minor, const char *op,
                                          uint64_t value)
{
        Grpc__BlkioStatsEntry *e = NEW_MSG(Grpc__BlkioStatsEntry, grpc__blkio_stats_entry__init);

        e->major = major;
        e->minor = minor;
        e->op = xstrdup(op);
        e->value = value;
        return e;
}

/* v1 "8:0 Read 4096" lines; the "Total N" summary line has no device and is skipped. */
static void blkio_v1_file(const char *dir, const char *file, Grpc__BlkioStatsEntry ***arr,
                          size_t *n)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (read_at(dir, file, LARGE_FILE_MAX, &text) < 0)
                return;
        for (char *l = strtok_r(text, "\n", &save); l && *n < 65536;
             l = strtok_r(NULL, "\n", &save)) {
                unsigned long long ma, mi, v;
                char op[16];

                if (sscanf(l, "%llu:%llu %15s %llu", &ma, &mi, op, &v) == 4)
                        PUSH(*arr, *n, blkio_entry(ma, mi, op, v));
        }
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6", runc's op names. */
static void io_stat_line(char *l, Grpc__BlkioStats *s)
{
        static const struct {
                const char *key, *op;
                bool bytes;
        } keys[] = {
                { "rbytes", "Read", true },    { "wbytes", "Write", true },
                { "dbytes", "Discard", true }, { "rios", "Read", false },
                { "wios", "Write", false },    { "dios", "Discard", false },
        };
        unsigned long long ma, mi;
        char *save = NULL, *tok;

        if (sscanf(l, "%llu:%llu", &ma, &mi) != 2)
                return;
        strtok_r(l, " ", &save);
        while ((tok = strtok_r(NULL, " ", &save))) {
                char *eq = strchr(tok, '=');
                uint64_t v;

                if (!eq || parse_u64(eq + 1, 10, &v) < 0)
                        continue;
                *eq = '\0';
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                        if (!streq(tok, keys[i].key))
                                continue;
                        if (keys[i].bytes)
                                PUSH(s->io_service_bytes_recursive, s->n_io_service_bytes_recursive,
                                     blkio_entry(ma, mi, keys[i].op, v));
                        else
                                PUSH(s->io_serviced_recursive, s->n_io_serviced_recursive,
                                     blkio_entry(ma, mi, keys[i].op, v));
                }
        }
}

static Grpc__BlkioStats *blkio_stats(const struct cgroup *cg)
{
        Grpc__BlkioStats *s = NEW_MSG(Grpc__BlkioStats, grpc__blkio_stats__init);
        const struct hier *h = find_ctrl(cg, "blkio");
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (h && !h->v2) {
                blkio_v1_file(h->dir, "blkio.throttle.io_service_bytes_recursive",
                              &s->io_service_bytes_recursive, &s->n_io_service_bytes_recursive);
                blkio_v1_file(h->dir, "blkio.throttle.io_serviced_recursive",
                              &s->io_serviced_recursive, &s->n_io_serviced_recursive);
                return s;
        }
        h = find_ctrl(cg, "io");
        if (!h || read_at(h->dir, "io.stat", LARGE_FILE_MAX, &text) < 0)
                return s;
        for (char *l = strtok_r(text, "\n", &save); l && s->n_io_service_bytes_recursive < 65536;
             l = strtok_r(NULL, "\n", &save))
                io_stat_line(l, s);
        return s;
}

/* "hugepages-2048kB" -> "2MB", the kernel's name in hugetlb.<size>.* files. */
static bool hugepage_name(const char *dirent, char *buf, size_t size)
{
        uint64_t kb;
        char num[24];
        size_t n;

        if (!startswith(dirent, "hugepages-") || !endswith(dirent, "kB"))
                return false;
        n = strlen(dirent) - strlen("hugepages-") - 2;
        if (n == 0 || n >= sizeof(num))
                return false;
        memcpy(num, dirent + strlen("hugepages-"), n);
        num[n] = '\0';
        if (parse_u64(num, 10, &kb) < 0 || kb == 0)
                return false;
        if (kb % (1024 * 1024) == 0)
                snprintf(buf, size, "%" PRIu64 "GB", kb / (1024 * 1024));
        else if (kb % 1024 == 0)
                snprintf(buf, size, "%" PRIu64 "MB", kb / 1024);
        else
                snprintf(buf, size, "%" PRIu64 "KB", kb);
        return true;
}

static Grpc__CgroupStats__HugetlbStatsEntry *hugetlb_entry(const struct hier *h, const char *size)
{
        Grpc__CgroupStats__HugetlbStatsEntry *e =
                NEW_MSG(Grpc__CgroupStats__HugetlbStatsEntry,
                        grpc__cgroup_stats__hugetlb_stats_entry__init);
        Grpc__HugetlbStats *s = NEW_MSG(Grpc__HugetlbStats, grpc__hugetlb_stats__init);
        _cleanup_free_ char *usage =
                xasprintf("hugetlb.%s.%s", size, h->v2 ? "current" : "usage_in_bytes");

        (void) read_u64_at(h->dir, usage, &s->usage);
        if (h->v2) {
                _cleanup_free_ char *events = xasprintf("hugetlb.%s.events", size);

                s->failcnt = kv_at(h->dir, events, "max");
        } else {
                _cleanup_free_ char *max = xasprintf("hugetlb.%s.max_usage_in_bytes", size);
                _cleanup_free_ char *fail = xasprintf("hugetlb.%s.failcnt", size);

                (void) read_u64_at(h->dir, max, &s->max_usage);
                (void) read_u64_at(h->dir, fail, &s->failcnt);
        }
        e->key = xstrdup(size);
        e->value = s;
        return e;
}

static void hugetlb_stats(const struct cgroup *cg, Grpc__CgroupStats *st)
{
        const struct hier *h = find_ctrl(cg, "hugetlb");
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;

        if (!h)
                return;
        fd = open(HUGEPAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd)))
                return;
        TAKE_FD(fd);
        while ((de = readdir(d)) && st->n_hugetlb_stats < 64) {
                char size[32];

                if (hugepage_name(de->d_name, size, sizeof(size)))
                        PUSH(st->hugetlb_stats, st->n_hugetlb_stats, hugetlb_entry(h, size));
        }
        closedir(d);
}

int cgroup_stats(struct cgroup *cg, Grpc__CgroupStats **ret, struct agent_error **err)
{
        Grpc__CgroupStats *st;

        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].optional && access(cg->h[i].dir, F_OK) < 0)
                        return agent_error_set(err, errno, "cgroup `%s`", cg->h[i].dir);
        st = NEW_MSG(Grpc__CgroupStats, grpc__cgroup_stats__init);
        st->cpu_stats = cpu_stats(cg);
        st->memory_stats = memory_stats(cg);
        st->pids_stats = pids_stats(cg);
        st->blkio_stats = blkio_stats(cg);
        hugetlb_stats(cg, st);
        *ret = st;
        return 0;
}

void cgroup_stats_free(Grpc__CgroupStats *stats)
{
        if (stats)
                protobuf_c_message_free_unpacked(&stats->base, NULL);
}
