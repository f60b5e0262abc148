/* SPDX-License-Identifier: Apache-2.0 */
/* kill, delete, ps, pause, resume, update, spec: each loads the state, checks the status and
 * calls the engine (cgroup_*) the way the agent's RPCs do. */
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "oci/spec-json.h"
#include "runtime/runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DELETE_WAIT_MS 2000

/* Loads the container named by the only argument left after the options. */
static int load_one(struct rt_context *ctx, int argc, char **argv, struct rt_state **ret)
{
        _cleanup_error_ struct agent_error *err = NULL;

        if (optind != argc - 1)
                return rt_usage_error(ctx, "expects exactly one container id");
        if (rt_state_load(ctx, argv[optind], ret, &err) < 0)
                return rt_fail_error(err);
        return 0;
}

/* For commands whose only option is none: getopt still runs, so `--help`-like typos fail. */
static int no_options(struct rt_context *ctx, int argc, char **argv)
{
        static const struct option none[] = { { NULL, 0, NULL, 0 } };

        if (getopt_long(argc, argv, "+:", none, NULL) >= 0)
                return rt_usage_error(ctx, "unknown option `%s`", argv[optind - 1]);
        return 0;
}

static int open_cgroup(const struct rt_state *st, struct cgroup **ret)
{
        _cleanup_error_ struct agent_error *err = NULL;

        if (cgroup_new(CGROUP_ROOT, st->cgroup_path, ret, &err) < 0)
                return rt_fail("container `%s`: %s", st->id, err->msg);
        return 0;
}

/* ---- kill ---- */

int cmd_kill(struct rt_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                { "all", no_argument, NULL, 'a' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_state_ struct rt_state *st = NULL;
        struct cgroup *cg = NULL;
        bool all = false;
        int c, sig = SIGTERM, r;

        while ((c = getopt_long(argc, argv, "+:a", options, NULL)) >= 0) {
                if (c != 'a')
                        return rt_usage_error(ctx, "unknown option `%s`", argv[optind - 1]);
                all = true;
        }
        if (optind == argc - 2) {
                /* Signal 0 only checks that the process is there (runc and crun allow it). */
                if (streq(argv[argc - 1], "0"))
                        sig = 0;
                else if (rt_parse_signal(argv[argc - 1], &sig) < 0)
                        return rt_fail("unknown signal `%s`", argv[argc - 1]);
                argc--;
        }
        if (load_one(ctx, argc, argv, &st) != 0)
                return 1;
        /* --all still reaches what outlived the init (exec'd processes in a shared pid ns). */
        if (!all && rt_status(ctx, st) == RT_STATUS_STOPPED)
                return rt_fail("container `%s` is not running", st->id);
        if (!all) {
                if (kill(st->pid, sig) < 0)
                        return rt_fail("container `%s`: signal %d to process %d: %s", st->id, sig,
                                       (int) st->pid, strerror(errno));
                return 0;
        }
        if (open_cgroup(st, &cg) != 0)
                return 1;
        r = cgroup_kill_all(cg, sig);
        cgroup_free(cg);
        if (r < 0)
                return rt_fail("container `%s`: signal %d to every process: %s", st->id, sig,
                               strerror(-r));
        return 0;
}

/* ---- delete ---- */

/* Not our child in general (create exited): poll /proc, and reap it when it is ours (run). */
static void wait_gone(const struct rt_state *st)
{
        for (int waited = 0; waited < DELETE_WAIT_MS; waited += 10) {
                (void) waitpid(st->pid, NULL, WNOHANG);
                if (!rt_pid_alive(st->pid, st->pid_start_time))
                        return;
                usleep(10000);
        }
        rt_log(RT_LOG_WARN, "container `%s`: process %d still there after %d ms", st->id,
               (int) st->pid, DELETE_WAIT_MS);
}

void rt_destroy(const struct rt_context *ctx, struct rt_state *st)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *state = NULL;
        struct cgroup *cg = NULL;

        if (rt_pid_alive(st->pid, st->pid_start_time))
                (void) kill(st->pid, SIGKILL);
        if (cgroup_new(CGROUP_ROOT, st->cgroup_path, &cg, &err) < 0) {
                rt_log(RT_LOG_WARN, "container `%s`: %s", st->id, err->msg);
                err = agent_error_free(err);
        }
        if (cg)
                (void) cgroup_kill_all(cg, SIGKILL);
        wait_gone(st);
        if (cg && cgroup_destroy(cg, &err) < 0) {
                rt_log(RT_LOG_WARN, "container `%s`: %s", st->id, err->msg);
                err = agent_error_free(err);
        }
        state = rt_state_json(st, RT_STATUS_STOPPED, false, false);
        if (rt_hooks_run(st->spec, RT_HOOK_POSTSTOP, state, &err) < 0)
                rt_log(RT_LOG_WARN, "container `%s`: %s", st->id, err->msg);
        rt_state_remove(ctx, st->id);
        rt_log(RT_LOG_INFO, "container `%s` deleted", st->id);
}

int cmd_delete(struct rt_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                { "force", no_argument, NULL, 'f' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        bool force = false;
        enum rt_status s;
        int c;

        while ((c = getopt_long(argc, argv, "+:f", options, NULL)) >= 0) {
                if (c != 'f')
                        return rt_usage_error(ctx, "unknown option `%s`", argv[optind - 1]);
                force = true;
        }
        if (optind != argc - 1)
                return rt_usage_error(ctx, "expects exactly one container id");
        if (rt_state_load(ctx, argv[optind], &st, &err) < 0) {
                /* runc: --force on a container that is not there (or half made: a directory
                 * without state.json) succeeds, and removes what there is. */
                if (force && err->errno_ == ENOENT) {
                        rt_state_remove(ctx, argv[optind]);
                        return 0;
                }
                return rt_fail_error(err);
        }
        s = rt_status(ctx, st);
        if ((s == RT_STATUS_RUNNING || s == RT_STATUS_PAUSED) && !force)
                return rt_fail("cannot delete container `%s` that is %s (use --force)", st->id,
                               rt_status_name(s));
        rt_destroy(ctx, st);
        return 0;
}

/* ---- ps, pause, resume ---- */

/* The host's ps(1) output (runc's way: `ps -ef` unless arguments follow the id), keeping the
 * header and the rows whose PID column is one of the container's. */
static int ps_table(char **ps_args, size_t n_args, const pid_t *pids, size_t n)
{
        _cleanup_free_ char **argv = xzalloc((n_args + 3) * sizeof(char *));
        _cleanup_fclose_ FILE *out = NULL;
        char *line = NULL;
        size_t cap = 0;
        int pid_col = -1, fds[2], status = 0;
        pid_t child;

        argv[0] = (char *) "ps";
        if (n_args)
                memcpy(argv + 1, ps_args, n_args * sizeof(char *));
        else
                argv[1] = (char *) "-ef";
        if (pipe2(fds, O_CLOEXEC) < 0)
                return rt_fail("ps: pipe: %s", strerror(errno));
        child = fork();
        if (child == 0) {
                (void) dup2(fds[1], STDOUT_FILENO);
                execvp("ps", argv);
                _exit(127);
        }
        close(fds[1]);
        if (child < 0) {
                close(fds[0]);
                return rt_fail("ps: fork: %s", strerror(errno));
        }
        out = fdopen(fds[0], "r");
        for (bool header = true; out && getline(&line, &cap, out) > 0; header = false) {
                char *copy = xstrdup(line), *save = NULL, *f = strtok_r(copy, " \t\n", &save);
                int col = 0;
                long v = -1;

                for (; f && (header ? !streq(f, "PID") : col < pid_col); col++)
                        f = strtok_r(NULL, " \t\n", &save);
                if (header)
                        pid_col = f ? col : -1;
                else if (f)
                        v = strtol(f, NULL, 10);
                for (size_t i = 0; !header && i < n && v >= 0; i++)
                        if (pids[i] == v) {
                                fputs(line, stdout);
                                break;
                        }
                if (header)
                        fputs(line, stdout);
                free(copy);
                if (header && pid_col < 0)
                        break;
        }
        free(line);
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                ;
        if (pid_col < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return rt_fail("ps %s: failed or printed no PID column",
                               n_args ? ps_args[0] : "-ef");
        return 0;
}

int cmd_ps(struct rt_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        const char *format = "table";
        struct cgroup *cg = NULL;
        pid_t *pids = NULL;
        size_t n = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, "+:f:", options, NULL)) >= 0) {
                if (c != 'f')
                        return rt_usage_error(ctx, "bad option `%s`", argv[optind - 1]);
                format = optarg;
        }
        if (!streq(format, "table") && !streq(format, "json"))
                return rt_usage_error(ctx, "invalid format `%s` (table or json)", format);
        if (optind >= argc)
                return rt_usage_error(ctx, "expects a container id");
        if (rt_state_load(ctx, argv[optind], &st, &err) < 0)
                return rt_fail_error(err);
        if (open_cgroup(st, &cg) != 0)
                return 1;
        r = cgroup_pids(cg, &pids, &n);
        cgroup_free(cg);
        if (r < 0)
                return rt_fail("container `%s`: list processes: %s", st->id, strerror(-r));
        if (streq(format, "json")) {
                fputc('[', stdout);
                for (size_t i = 0; i < n; i++)
                        printf("%s%d", i ? "," : "", (int) pids[i]);
                fputs("]\n", stdout);
                r = 0;
        } else {
                fflush(stdout);
                r = ps_table(argv + optind + 1, (size_t) (argc - optind - 1), pids, n);
        }
        free(pids);
        return r;
}

static int pause_resume(struct rt_context *ctx, int argc, char **argv, bool pause)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        struct cgroup *cg = NULL;
        enum rt_status s;
        int r;

        if (no_options(ctx, argc, argv) != 0 || load_one(ctx, argc, argv, &st) != 0)
                return 1;
        s = rt_status(ctx, st);
        if (s != (pause ? RT_STATUS_RUNNING : RT_STATUS_PAUSED))
                return rt_fail("container `%s` is %s, not %s", st->id, rt_status_name(s),
                               pause ? "running" : "paused");
        if (open_cgroup(st, &cg) != 0)
                return 1;
        r = cgroup_freeze(cg, pause, &err);
        cgroup_free(cg);
        if (r >= 0) {
                st->paused = pause;
                r = rt_state_save(ctx, st, &err);
        }
        if (r < 0)
                return rt_fail("container `%s`: %s", st->id, err->msg);
        return 0;
}

int cmd_pause(struct rt_context *ctx, int argc, char **argv)
{
        return pause_resume(ctx, argc, argv, true);
}

int cmd_resume(struct rt_context *ctx, int argc, char **argv)
{
        return pause_resume(ctx, argc, argv, false);
}

/* ---- update ---- */

/* An OCI linux.resources object from a file ("-" is stdin). */
static int read_resources(const char *file, Grpc__Spec **ret, struct agent_error **err)
{
        return spec_fragment_from_file(streq(file, "-") ? "/dev/stdin" : file,
                                       SPEC_FRAGMENT_RESOURCES, ret, err);
}

/* runc's update flags, applied on top of --resources. */
enum {
        UPD_RESOURCES = 'r',
        UPD_CPU_PERIOD = 256,
        UPD_CPU_QUOTA,
        UPD_CPU_SHARE,
        UPD_CPU_RT_PERIOD,
        UPD_CPU_RT_RUNTIME,
        UPD_CPUSET_CPUS,
        UPD_CPUSET_MEMS,
        UPD_MEMORY,
        UPD_MEMORY_RESERVATION,
        UPD_MEMORY_SWAP,
        UPD_KERNEL_MEMORY,
        UPD_KERNEL_MEMORY_TCP,
        UPD_PIDS_LIMIT,
        UPD_BLKIO_WEIGHT,
};

struct update_flags {
        Grpc__LinuxResources res;
        Grpc__LinuxCPU cpu;
        Grpc__LinuxMemory mem;
        Grpc__LinuxPids pids;
        Grpc__LinuxBlockIO blkio;
};

/* A byte count as runc takes it: a number with an optional k/m/g/t suffix (binary, an optional
 * trailing "b"), or -1 for no limit. */
static int parse_bytes(const char *s, int64_t *ret)
{
        static const char units[] = "kmgt";
        char *end = NULL;
        long long v;
        const char *u;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || v < -1)
                return -EINVAL;
        if (*end && (u = strchr(units, tolower((unsigned char) *end))) && v > 0) {
                for (long i = 0; i <= u - units; i++) {
                        if (v > INT64_MAX / 1024)
                                return -ERANGE;
                        v *= 1024;
                }
                end++;
        }
        if (*end == 'b' || *end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int update_flag(struct update_flags *u, int c, const char *arg)
{
        int64_t v = 0;
        int r = 0;

        if (c == UPD_CPUSET_CPUS || c == UPD_CPUSET_MEMS) {
                *(c == UPD_CPUSET_CPUS ? &u->cpu.cpus : &u->cpu.mems) = (char *) arg;
                u->res.cpu = &u->cpu;
                return 0;
        }
        if (c >= UPD_MEMORY && c <= UPD_KERNEL_MEMORY_TCP)
                r = parse_bytes(arg, &v);
        else
                r = parse_i64(arg, 10, &v);
        if (r < 0 || (v < 0 && c != UPD_CPU_QUOTA && c != UPD_CPU_RT_RUNTIME && v != -1))
                return -EINVAL;
        switch (c) {
        case UPD_CPU_PERIOD:
                u->cpu.period = (uint64_t) v;
                break;
        case UPD_CPU_QUOTA:
                u->cpu.quota = v;
                break;
        case UPD_CPU_SHARE:
                u->cpu.shares = (uint64_t) v;
                break;
        case UPD_CPU_RT_PERIOD:
                u->cpu.realtimeperiod = (uint64_t) v;
                break;
        case UPD_CPU_RT_RUNTIME:
                u->cpu.realtimeruntime = v;
                break;
        case UPD_MEMORY:
                u->mem.limit = v;
                break;
        case UPD_MEMORY_RESERVATION:
                u->mem.reservation = v;
                break;
        case UPD_MEMORY_SWAP:
                u->mem.swap = v;
                break;
        case UPD_KERNEL_MEMORY:
                u->mem.kernel = v;
                break;
        case UPD_KERNEL_MEMORY_TCP:
                u->mem.kerneltcp = v;
                break;
        case UPD_PIDS_LIMIT:
                u->pids.limit = v;
                break;
        case UPD_BLKIO_WEIGHT:
                if (v > UINT16_MAX)
                        return -ERANGE;
                u->blkio.weight = (uint32_t) v;
                break;
        default:
                return -EINVAL;
        }
        if (c <= UPD_CPU_RT_RUNTIME)
                u->res.cpu = &u->cpu;
        else if (c <= UPD_KERNEL_MEMORY_TCP)
                u->res.memory = &u->mem;
        else if (c == UPD_PIDS_LIMIT)
                u->res.pids = &u->pids;
        else
                u->res.blockio = &u->blkio;
        return 0;
}

static int update_apply(const struct rt_state *st, const Grpc__LinuxResources *res)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct cgroup *cg = NULL;
        int r;

        if (open_cgroup(st, &cg) != 0)
                return 1;
        r = cgroup_apply(cg, res, &err);
        cgroup_free(cg);
        if (r < 0)
                return rt_fail("container `%s`: update resources: %s", st->id, err->msg);
        return 0;
}

int cmd_update(struct rt_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                { "resources", required_argument, NULL, UPD_RESOURCES },
                { "cpu-period", required_argument, NULL, UPD_CPU_PERIOD },
                { "cpu-quota", required_argument, NULL, UPD_CPU_QUOTA },
                { "cpu-share", required_argument, NULL, UPD_CPU_SHARE },
                { "cpu-rt-period", required_argument, NULL, UPD_CPU_RT_PERIOD },
                { "cpu-rt-runtime", required_argument, NULL, UPD_CPU_RT_RUNTIME },
                { "cpuset-cpus", required_argument, NULL, UPD_CPUSET_CPUS },
                { "cpuset-mems", required_argument, NULL, UPD_CPUSET_MEMS },
                { "memory", required_argument, NULL, UPD_MEMORY },
                { "memory-reservation", required_argument, NULL, UPD_MEMORY_RESERVATION },
                { "memory-swap", required_argument, NULL, UPD_MEMORY_SWAP },
                { "kernel-memory", required_argument, NULL, UPD_KERNEL_MEMORY },
                { "kernel-memory-tcp", required_argument, NULL, UPD_KERNEL_MEMORY_TCP },
                { "pids-limit", required_argument, NULL, UPD_PIDS_LIMIT },
                { "blkio-weight", required_argument, NULL, UPD_BLKIO_WEIGHT },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        _cleanup_(spec_freep) Grpc__Spec *res = NULL;
        struct update_flags u = { .res = GRPC__LINUX_RESOURCES__INIT,
                                  .cpu = GRPC__LINUX_CPU__INIT,
                                  .mem = GRPC__LINUX_MEMORY__INIT,
                                  .pids = GRPC__LINUX_PIDS__INIT,
                                  .blkio = GRPC__LINUX_BLOCK_IO__INIT };
        const char *file = NULL;
        bool flags = false;
        int c, r;

        /* Flags may follow the id (`update ID --memory 1M`, as runc takes them): permute. */
        while ((c = getopt_long(argc, argv, ":r:", options, NULL)) >= 0) {
                if (c == UPD_RESOURCES)
                        file = optarg;
                else if (c == ':' || c == '?')
                        return rt_usage_error(ctx, "bad option `%s`", argv[optind - 1]);
                else if (update_flag(&u, c, optarg) < 0)
                        return rt_usage_error(ctx, "%s `%s`: invalid value", argv[optind - 2],
                                              optarg);
                else
                        flags = true;
        }
        if (!file && !flags)
                return rt_usage_error(ctx, "--resources FILE or a resource flag is required");
        if (load_one(ctx, argc, argv, &st) != 0)
                return 1;
        if (rt_status(ctx, st) == RT_STATUS_STOPPED)
                return rt_fail("container `%s` is stopped", st->id);
        if (file && read_resources(file, &res, &err) < 0)
                return rt_fail_error(err);
        if (res && res->linux && res->linux->resources &&
            (r = update_apply(st, res->linux->resources)) != 0)
                return r;
        return flags ? update_apply(st, &u.res) : 0;
}

/* ---- spec ---- */

/* runc's default spec, with cata-runtime's hostname. */
static const char default_spec[] =
        "{\"ociVersion\":\"" RT_OCI_VERSION "\","
        "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
        "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
        "\"TERM=xterm\"],\"cwd\":\"/\","
        "\"capabilities\":{"
        "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
        "\"noNewPrivileges\":true},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"hostname\":\"cata\","
        "\"mounts\":["
        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
        "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
        "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
        "\"gid=5\"]},"
        "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
        "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
        "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
        "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
        "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
        "{\"type\":\"uts\"},{\"type\":\"mount\"}],"
        "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
        "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\","
        "\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
        "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
        "\"/proc/sysrq-trigger\"]}}";

static int write_new_file(const char *path, const char *text)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        size_t len = strlen(text);

        if (fd < 0)
                return -errno;
        if (write(fd, text, len) != (ssize_t) len || write(fd, "\n", 1) != 1) {
                int e = errno ? errno : EIO;
                (void) unlink(path);
                return -e;
        }
        return 0;
}

int cmd_spec(struct rt_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                { "bundle", required_argument, NULL, 'b' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_(spec_freep) Grpc__Spec *spec = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *bundle = ".";
        int c, r;

        while ((c = getopt_long(argc, argv, "+:b:", options, NULL)) >= 0) {
                if (c != 'b')
                        return rt_usage_error(ctx, "bad option `%s`", argv[optind - 1]);
                bundle = optarg;
        }
        if (optind != argc)
                return rt_usage_error(ctx, "takes no arguments");
        if (spec_from_json(default_spec, strlen(default_spec), &spec, &err) < 0)
                return rt_fail("the built-in spec: %s", err->msg);
        text = spec_to_json(spec);
        path = xasprintf("%s/config.json", bundle);
        r = text ? write_new_file(path, text) : -EINVAL;
        if (r == -EEXIST)
                return rt_fail("`%s` exists: remove it first", path);
        if (r < 0)
                return rt_fail("write `%s`: %s", path, strerror(-r));
        return 0;
}
