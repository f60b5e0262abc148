/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The state directory <root>/<id>/: state.json (written by create, read by every later command,
 * updated by pause/resume) and exec.fifo (while the container is created). The status is never
 * stored: it is computed from the init's pid (with its start time, so a reused pid reads as
 * stopped), the paused flag and the FIFO, as runc does.
 */
#include "agent/container.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "oci/spec-json.h"
#include "runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *rt_state_dir(const struct rt_context *ctx, const char *id)
{
        return xasprintf("%s/%s", ctx->root, id);
}

char *rt_fifo_path(const struct rt_context *ctx, const char *id)
{
        return xasprintf("%s/%s/exec.fifo", ctx->root, id);
}

struct rt_state *rt_state_free(struct rt_state *st)
{
        if (!st)
                return NULL;
        free(st->id);
        free(st->bundle);
        free(st->rootfs);
        free(st->created);
        free(st->cgroup_path);
        if (st->spec)
                spec_free(st->spec);
        free(st);
        return NULL;
}

void rt_state_freep(struct rt_state **st)
{
        *st = rt_state_free(*st);
}

/* ---- state.json ---- */

static int set_string(json_t *o, const char *key, const char *value, struct agent_error **err)
{
        json_t *v = json_string(value ? value : "");

        if (!v)
                return agent_error_setf(err, EINVAL, "state `%s`: `%s` is not UTF-8", key, value);
        json_object_set_new(o, key, v);
        return 0;
}

static json_t *state_to_json(const struct rt_state *st, struct agent_error **err)
{
        json_t *o = json_object(), *ns = json_array();
        _cleanup_free_ char *config = spec_to_json(st->spec);
        int r;

        json_object_set_new(o, "ns", ns);
        for (int i = 0; i < _SPAWN_NS_MAX; i++)
                if (st->ns[i])
                        json_array_append_new(ns, json_string(spawn_ns_name(i)));
        json_object_set_new(o, "pid", json_integer(st->pid));
        json_object_set_new(o, "pidStartTime", json_integer((json_int_t) st->pid_start_time));
        json_object_set_new(o, "paused", json_boolean(st->paused));
        r = set_string(o, "id", st->id, err);
        if (r >= 0)
                r = set_string(o, "bundle", st->bundle, err);
        if (r >= 0)
                r = set_string(o, "rootfs", st->rootfs, err);
        if (r >= 0)
                r = set_string(o, "created", st->created, err);
        if (r >= 0)
                r = set_string(o, "cgroupsPath", st->cgroup_path, err);
        if (r >= 0 && !config)
                r = agent_error_setf(err, EINVAL, "the config has strings that are not UTF-8");
        /* A string, not an object: config.json may hold integers jansson cannot (> INT64_MAX). */
        if (r >= 0)
                r = set_string(o, "config", config, err);
        if (r < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

int rt_state_save(const struct rt_context *ctx, const struct rt_state *st, struct agent_error **err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/state.json", ctx->root, st->id);
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", path);
        json_t *o = state_to_json(st, err);
        int r;

        if (!o)
                return -EINVAL;
        r = json_dump_file(o, tmp, JSON_COMPACT);
        json_decref(o);
        if (r < 0)
                return agent_error_setf(err, EIO, "write `%s` failed", tmp);
        if (rename(tmp, path) < 0)
                return agent_error_set(err, errno, "rename `%s` to `%s`", tmp, path);
        return 0;
}

static char *get_string(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? xstrdup(s) : NULL;
}

static int state_from_json(json_t *o, struct rt_state *st, struct agent_error **err)
{
        const char *config = json_string_value(json_object_get(o, "config"));
        json_t *ns = json_object_get(o, "ns"), *v;
        size_t i;

        st->id = get_string(o, "id");
        st->bundle = get_string(o, "bundle");
        st->rootfs = get_string(o, "rootfs");
        st->created = get_string(o, "created");
        st->cgroup_path = get_string(o, "cgroupsPath");
        st->pid = (pid_t) json_integer_value(json_object_get(o, "pid"));
        st->pid_start_time = (uint64_t) json_integer_value(json_object_get(o, "pidStartTime"));
        st->paused = json_is_true(json_object_get(o, "paused"));
        json_array_foreach(ns, i, v)
        {
                int kind = spawn_ns_from_name(json_string_value(v) ? json_string_value(v) : "");
                if (kind >= 0)
                        st->ns[kind] = true;
        }
        if (!st->id || !st->bundle || !st->rootfs || !st->cgroup_path || !config || st->pid <= 0)
                return agent_error_setf(err, EINVAL, "a field is missing");
        return spec_from_json(config, strlen(config), &st->spec, err);
}

int rt_state_load(const struct rt_context *ctx, const char *id, struct rt_state **ret,
                  struct agent_error **err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        json_error_t jerr;
        json_t *o;
        int r;

        if (!container_id_valid(id))
                return agent_error_setf(err, EINVAL, "invalid container id `%s`", id);
        path = xasprintf("%s/%s/state.json", ctx->root, id);
        o = json_load_file(path, 0, &jerr);
        if (!o) {
                if (access(path, F_OK) < 0 && errno == ENOENT)
                        return agent_error_setf(err, ENOENT, "container `%s` does not exist", id);
                return agent_error_setf(err, EIO, "read `%s`: %s", path, jerr.text);
        }
        st = xzalloc(sizeof(*st));
        r = state_from_json(o, st, err);
        json_decref(o);
        if (r < 0)
                return agent_error_wrap(err, "state of container `%s` (`%s`)", id, path);
        *ret = TAKE_PTR(st);
        return 0;
}

void rt_state_remove(const struct rt_context *ctx, const char *id)
{
        _cleanup_free_ char *dir = rt_state_dir(ctx, id);
        _cleanup_free_ char *fifo = rt_fifo_path(ctx, id);
        _cleanup_free_ char *state = xasprintf("%s/state.json", dir);
        _cleanup_free_ char *tmp = xasprintf("%s/state.json.tmp", dir);

        (void) unlink(fifo);
        (void) unlink(state);
        (void) unlink(tmp);
        if (rmdir(dir) < 0 && errno != ENOENT)
                rt_log(RT_LOG_WARN, "remove state directory `%s`: %s", dir, strerror(errno));
}

/* ---- status ---- */

/* Field 3 (state) and 22 (starttime) of /proc/<pid>/stat; the command name (field 2) may hold
 * spaces and parentheses, so fields are counted after its last ')'. */
static int read_proc_stat(pid_t pid, char *ret_state, uint64_t *ret_start)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        const char *p;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        r = read_file(path, 4096, &text, NULL);
        if (r < 0)
                return r;
        p = strrchr(text, ')');
        if (!p || p[1] != ' ' || !p[2])
                return -EBADMSG;
        *ret_state = p[2];
        p += 2;
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EBADMSG;
                p++;
        }
        if (sscanf(p, "%" SCNu64, ret_start) != 1)
                return -EBADMSG;
        return 0;
}

int rt_pid_start_time(pid_t pid, uint64_t *ret)
{
        char state;

        return read_proc_stat(pid, &state, ret);
}

bool rt_pid_alive(pid_t pid, uint64_t start_time)
{
        uint64_t start;
        char state;

        if (pid <= 0 || read_proc_stat(pid, &state, &start) < 0)
                return false;
        return state != 'Z' && state != 'X' && start == start_time;
}

enum rt_status rt_status(const struct rt_context *ctx, const struct rt_state *st)
{
        _cleanup_free_ char *fifo = rt_fifo_path(ctx, st->id);

        if (!rt_pid_alive(st->pid, st->pid_start_time))
                return RT_STATUS_STOPPED;
        if (st->paused)
                return RT_STATUS_PAUSED;
        if (access(fifo, F_OK) == 0)
                return RT_STATUS_CREATED;
        return RT_STATUS_RUNNING;
}

const char *rt_status_name(enum rt_status s)
{
        static const char *const names[] = {
                [RT_STATUS_CREATING] = "creating", [RT_STATUS_CREATED] = "created",
                [RT_STATUS_RUNNING] = "running",   [RT_STATUS_PAUSED] = "paused",
                [RT_STATUS_STOPPED] = "stopped",
        };
        return s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

/* ---- the OCI state ---- */

static json_t *annotations_json(const Grpc__Spec *spec)
{
        json_t *o = json_object();

        for (size_t i = 0; spec && i < spec->n_annotations; i++) {
                json_t *v = json_string(spec->annotations[i]->value);
                if (v)
                        json_object_set_new(o, spec->annotations[i]->key, v);
        }
        return o;
}

char *rt_state_json(const struct rt_state *st, enum rt_status status, bool full, bool pretty)
{
        json_t *o = json_object(), *ann = annotations_json(st->spec);
        char *text;

        json_object_set_new(o, "ociVersion", json_string(RT_OCI_VERSION));
        json_object_set_new(o, "id", json_string(st->id));
        /* The pid is the init's while it may be running; 0 once stopped, as runc reports. */
        if (st->pid > 0)
                json_object_set_new(o, "pid",
                                    json_integer(status == RT_STATUS_STOPPED ? 0 : st->pid));
        json_object_set_new(o, "status", json_string(rt_status_name(status)));
        json_object_set_new(o, "bundle", json_string(st->bundle));
        if (full) {
                json_object_set_new(o, "rootfs", json_string(st->rootfs));
                json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
                json_object_set_new(o, "owner", json_string(""));
        }
        if (json_object_size(ann) > 0)
                json_object_set_new(o, "annotations", ann);
        else
                json_decref(ann);
        text = json_dumps(o, pretty ? JSON_INDENT(2) : JSON_COMPACT);
        json_decref(o);
        return text ? text : xstrdup("{}");
}

int rt_write_pid_file(const char *path, pid_t pid, struct agent_error **err)
{
        _cleanup_free_ char *tmp = xasprintf("%s.%d.tmp", path, (int) getpid());
        _cleanup_close_ int fd = -EBADF;
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", (int) pid);

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return agent_error_set(err, errno, "create pid file `%s`", tmp);
        if (write(fd, buf, (size_t) n) != n) {
                int e = errno;
                (void) unlink(tmp);
                return agent_error_set(err, e, "write pid file `%s`", tmp);
        }
        if (rename(tmp, path) < 0) {
                int e = errno;
                (void) unlink(tmp);
                return agent_error_set(err, e, "rename `%s` to `%s`", tmp, path);
        }
        return 0;
}

/* ---- state, list ---- */

int cmd_state(struct rt_context *ctx, int argc, char **argv)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        _cleanup_free_ char *text = NULL;

        if (argc != 2)
                return rt_usage_error(ctx, "expects exactly one container id");
        if (rt_state_load(ctx, argv[1], &st, &err) < 0)
                return rt_fail_error(err);
        text = rt_state_json(st, rt_status(ctx, st), true, true);
        printf("%s\n", text);
        return 0;
}

struct list_row {
        char *id;
        char pid[16];
        enum rt_status status;
        struct rt_state *st;
};

static int row_compare(const void *a, const void *b)
{
        return strcmp(((const struct list_row *) a)->id, ((const struct list_row *) b)->id);
}

/* Every directory of the root with a readable state.json, sorted by id. */
static size_t list_rows(const struct rt_context *ctx, struct list_row **ret)
{
        DIR *d = opendir(ctx->root);
        struct list_row *rows = NULL;
        struct dirent *de;
        size_t n = 0;

        while (d && (de = readdir(d))) {
                _cleanup_error_ struct agent_error *err = NULL;
                struct rt_state *st = NULL;
                enum rt_status s;

                if (de->d_name[0] == '.' || rt_state_load(ctx, de->d_name, &st, &err) < 0)
                        continue;
                s = rt_status(ctx, st);
                rows = xrealloc(rows, (n + 1) * sizeof(*rows));
                rows[n].id = st->id;
                rows[n].status = s;
                snprintf(rows[n].pid, sizeof(rows[n].pid), "%d",
                         s == RT_STATUS_STOPPED ? 0 : (int) st->pid);
                rows[n].st = st;
                n++;
        }
        if (d)
                closedir(d);
        if (n > 1)
                qsort(rows, n, sizeof(*rows), row_compare);
        *ret = rows;
        return n;
}

static void list_json(const struct list_row *rows, size_t n)
{
        json_t *a = json_array();
        char *text;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *one = rt_state_json(rows[i].st, rows[i].status, true, false);
                json_t *o = json_loads(one, 0, NULL);
                if (o)
                        json_array_append_new(a, o);
        }
        text = json_dumps(a, JSON_COMPACT);
        printf("%s\n", text ? text : "[]");
        free(text);
        json_decref(a);
}

/* runc's tabwriter: columns at least 12 wide, 3 spaces of padding. */
static void list_table(const struct list_row *rows, size_t n)
{
        int w[4] = { 12, 12, 12, 12 };

        for (size_t i = 0; i < n; i++) {
                const char *cols[4] = { rows[i].id, rows[i].pid, rt_status_name(rows[i].status),
                                        rows[i].st->bundle };
                for (int c = 0; c < 4; c++)
                        if ((int) strlen(cols[c]) + 3 > w[c])
                                w[c] = (int) strlen(cols[c]) + 3;
        }
        printf("%-*s%-*s%-*s%-*s%-*s%s\n", w[0], "ID", w[1], "PID", w[2], "STATUS", w[3], "BUNDLE",
               33, "CREATED", "OWNER");
        for (size_t i = 0; i < n; i++)
                printf("%-*s%-*s%-*s%-*s%-*s%s\n", w[0], rows[i].id, w[1], rows[i].pid, w[2],
                       rt_status_name(rows[i].status), w[3], rows[i].st->bundle, 33,
                       rows[i].st->created ? rows[i].st->created : "", "root");
}

int cmd_list(struct rt_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                { NULL, 0, NULL, 0 },
        };
        const char *format = "table";
        struct list_row *rows = NULL;
        bool quiet = false;
        size_t n;
        int c;

        while ((c = getopt_long(argc, argv, "+:f:q", options, NULL)) >= 0) {
                if (c == 'f')
                        format = optarg;
                else if (c == 'q')
                        quiet = true;
                else
                        return rt_usage_error(ctx, "bad option `%s`", argv[optind - 1]);
        }
        if (optind != argc)
                return rt_usage_error(ctx, "takes no arguments");
        if (!streq(format, "table") && !streq(format, "json"))
                return rt_usage_error(ctx, "invalid format `%s` (table or json)", format);
        n = list_rows(ctx, &rows);
        if (quiet)
                for (size_t i = 0; i < n; i++)
                        printf("%s\n", rows[i].id);
        else if (streq(format, "json"))
                list_json(rows, n);
        else
                list_table(rows, n);
        for (size_t i = 0; i < n; i++)
                rt_state_free(rows[i].st);
        free(rows);
        return 0;
}
