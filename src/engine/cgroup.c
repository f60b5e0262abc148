/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/cgroup.h"
#include "engine/cgroup-internal.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define CPULIST_RANGES_MAX 65536

/* How long freeze/thaw and rmdir wait for the kernel. */
#define FREEZE_TIMEOUT_MS  500
#define DESTROY_TIMEOUT_MS 200

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

bool cgroup_endswith(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);

        return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

char *cgroup_trim_right(char *s)
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

int cgroup_write_at(const char *dir, const char *file, const char *value)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

        return write_str(path, value);
}

int cgroup_write_error(struct agent_error **err, int r, const char *dir, const char *file,
                       const char *value)
{
        return agent_error_set(err, -r, "write `%s` to `%s/%s`", value, dir, file);
}

int cgroup_write(const struct hier *h, const char *file, const char *value,
                 struct agent_error **err)
{
        int r = cgroup_write_at(h->dir, file, value);

        return r < 0 ? cgroup_write_error(err, r, h->dir, file, value) : 0;
}

bool cgroup_file_exists(const char *dir, const char *file)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

        return access(path, F_OK) == 0;
}

int cgroup_read_at(const char *dir, const char *file, size_t max, char **ret)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

        return read_file(path, max, ret, NULL);
}

/* A single number; "max" reads as UINT64_MAX. */
int cgroup_read_u64_at(const char *dir, const char *file, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        int r;

        r = cgroup_read_at(dir, file, SMALL_FILE_MAX, &s);
        if (r < 0)
                return r;
        cgroup_trim_right(s);
        if (streq(s, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return parse_u64(s, 10, ret);
}

/* The value of `key` in a flat keyed file ("key value" per line). */
bool cgroup_kv_get(const char *text, const char *key, uint64_t *ret)
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

        if (!cgroup_endswith(slice, ".slice") || strchr(slice, '/'))
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
        if (cgroup_endswith(name, ".slice"))
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
const struct hier *cgroup_find_ctrl(const struct cgroup *cg, const char *name)
{
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].v2 && list_has(cg->h[i].ctrls, name))
                        return &cg->h[i];
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2 && list_has(cg->h[i].ctrls, name))
                        return &cg->h[i];
        return NULL;
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

        if (cgroup_read_at(dir, "cgroup.controllers", SMALL_FILE_MAX, &avail) < 0)
                return;
        if (cgroup_read_at(dir, "cgroup.subtree_control", SMALL_FILE_MAX, &enabled) < 0)
                enabled = xstrdup("");
        for (size_t i = 0; i < ARRAY_SIZE(wanted_v2); i++) {
                _cleanup_free_ char *op = NULL;
                int r;

                if (!list_has(avail, wanted_v2[i]) || list_has(enabled, wanted_v2[i]))
                        continue;
                op = xasprintf("+%s", wanted_v2[i]);
                r = cgroup_write_at(dir, "cgroup.subtree_control", op);
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

                r = cgroup_read_at(child, files[i], SMALL_FILE_MAX, &cur);
                if (r < 0)
                        return agent_error_set(err, -r, "read `%s/%s`", child, files[i]);
                if (!blank(cur))
                        continue;
                r = cgroup_read_at(parent, files[i], SMALL_FILE_MAX, &up);
                if (r < 0)
                        return agent_error_set(err, -r, "read `%s/%s`", parent, files[i]);
                cgroup_trim_right(up);
                r = cgroup_write_at(child, files[i], up);
                if (r < 0)
                        return cgroup_write_error(err, r, child, files[i], up);
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
                if (cgroup_read_at(cur, "cgroup.controllers", SMALL_FILE_MAX, &h->ctrls) < 0)
                        h->ctrls = xstrdup("");
        }
        h->dir = TAKE_PTR(cur);
        return 0;
}

/* The hierarchies under root where `path` lives (nothing created; h->dir unset). */
static int cgroup_discover(const char *root, const char *path, struct cgroup **ret,
                           struct agent_error **err)
{
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        _cleanup_free_ char *norm = NULL, *top = NULL;
        enum cgroup_mode mode;
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
        *ret = TAKE_PTR(cg);
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
                if (cg->h[i].v2 && cgroup_file_exists(cg->h[i].dir, "cgroup.freeze")) {
                        *v2 = true;
                        return &cg->h[i];
                }
        return NULL;
}

int cgroup_frozen(const char *root, const char *path, bool *ret, struct agent_error **err)
{
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        _cleanup_free_ char *s = NULL;
        const struct hier *h;
        bool v2 = false;
        int r;

        r = cgroup_discover(root, path, &cg, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < cg->n; i++)
                cg->h[i].dir = xasprintf("%s%s", cg->h[i].mnt, cg->path);
        *ret = false;
        h = freezer_hier(cg, &v2);
        if (!h)
                return 0;
        r = cgroup_read_at(h->dir, v2 ? "cgroup.freeze" : "freezer.state", SMALL_FILE_MAX, &s);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return agent_error_set(err, -r, "read the freezer state of `%s`", h->dir);
        /* v1 FREEZING counts: a half-frozen cgroup stops whatever joins it just the same. */
        *ret = v2 ? streq(cgroup_trim_right(s), "1") : !streq(cgroup_trim_right(s), "THAWED");
        return 0;
}

int cgroup_new(const char *root, const char *path, struct cgroup **ret, struct agent_error **err)
{
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        struct created created = { 0 };
        size_t kept = 0;
        int r;

        r = cgroup_discover(root, path, &cg, err);
        if (r < 0)
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
                 cg->mode == CGROUP_MODE_V2 ? "v2" : "v1", cg->n);
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
        free(cg->extra);
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
        const struct hier *h = cgroup_find_ctrl(cg, "memory");

        if (h)
                return h->dir;
        return cg->mode == CGROUP_MODE_V2 && cg->n ? cg->h[0].dir : NULL;
}

/* ---- processes -------------------------------------------------------------------------- */

int cgroup_enter(struct cgroup *cg, pid_t pid, struct agent_error **err)
{
        char value[24];

        snprintf(value, sizeof(value), "%d", (int) pid);
        for (size_t i = 0; i < cg->n; i++) {
                int r = cgroup_write_at(cg->h[i].dir, "cgroup.procs", value);

                if (r < 0 && !cg->h[i].optional)
                        return cgroup_write_error(err, r, cg->h[i].dir, "cgroup.procs", value);
                if (r < 0)
                        cg_debug("write `%s` to `%s/cgroup.procs`: %s", value, cg->h[i].dir,
                                 strerror(-r));
        }
        return 0;
}

/* 1 when the freezer reports the target state, 0 when not yet, -errno on failure. */
static int freeze_reached(const struct hier *h, bool v2, bool frozen)
{
        _cleanup_free_ char *s = NULL;
        uint64_t v;
        int r;

        r = cgroup_read_at(h->dir, v2 ? "cgroup.events" : "freezer.state", SMALL_FILE_MAX, &s);
        if (r < 0)
                return r;
        if (!v2)
                return streq(cgroup_trim_right(s), frozen ? "FROZEN" : "THAWED");
        if (!cgroup_kv_get(s, "frozen", &v))
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
        if ((r = cgroup_write(h, file, value, err)) < 0)
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
                        (void) cgroup_write_at(h->dir, file, value);
                sleep_ms(delay);
                delay = delay < 16 ? delay * 2 : 16;
        }
        if (frozen)
                (void) cgroup_write_at(h->dir, file, v2 ? "0" : "THAWED");
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
                int r = cgroup_read_at(cg->h[i].dir, "cgroup.procs", LARGE_FILE_MAX, &text);

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

        /* An empty cgroup (the usual RemoveContainer: every process was reaped) has nothing to
         * kill and nobody to fork: no freeze, no thaw. The processes' stage 1, the only thing
         * that could still join it, is killed by the caller first. */
        r = cgroup_pids(cg, &pids, &n);
        if (r >= 0 && n == 0)
                return 0;
        free(pids);
        pids = NULL;
        n = 0;
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
