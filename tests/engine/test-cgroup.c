/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup module: pure helpers, then the real kernel (as root) under a test path of our own,
 * /cata-test-<pid>, removed by every test's teardown whatever happened.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MiB           (1024ll * 1024)
#define UNIFIED       CGROUP_ROOT "/unified"
#define CHILD_TOUCHES (8 * 1024 * 1024)

static char top[64];  /* "/cata-test-<pid>" */
static char leaf[96]; /* "/cata-test-<pid>/c1" */
static pid_t child = -1;
static bool hugetlb_was_enabled; /* in the unified root's subtree_control before we ran */

/* ---- helpers ------------------------------------------------------------------------------ */

#define assert_ok(expr, err)                                                                  \
        do {                                                                                  \
                int _r = (expr);                                                              \
                if (_r < 0)                                                                   \
                        fail_msg("%s: %d: %s", #expr, _r, (err) ? (err)->msg : "(no error)"); \
        } while (0)

static char *slurp(const char *path)
{
        char *s = NULL;
        size_t len;

        if (read_file(path, 1 << 20, &s, &len) < 0)
                return NULL;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                s[--len] = '\0';
        return s;
}

static void assert_file(const char *dir, const char *file, const char *want)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        _cleanup_free_ char *got = slurp(path);

        if (!got)
                fail_msg("read %s: %s", path, strerror(errno));
        if (!streq(got, want))
                fail_msg("%s: got `%s`, want `%s`", path, got, want);
}

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

static bool is_cgroup2(const char *path)
{
        struct statfs fs;

        return statfs(path, &fs) == 0 && fs.f_type == 0x63677270; /* CGROUP2_SUPER_MAGIC */
}

/* A mounted v1 hierarchy, not a leftover directory in the cgroup tmpfs (Kata's shim creates
 * such directories for controllers the host does not mount). */
static bool is_cgroup1(const char *path)
{
        struct statfs fs;

        return statfs(path, &fs) == 0 && fs.f_type == 0x27e0eb; /* CGROUP_SUPER_MAGIC */
}

static enum cgroup_mode host_mode(void)
{
        enum cgroup_mode m = CGROUP_MODE_V2;

        (void) cgroup_detect_mode(CGROUP_ROOT, &m);
        return m;
}

static bool hybrid(void)
{
        return host_mode() == CGROUP_MODE_V1 && is_cgroup2(UNIFIED);
}

/* Directory of the test cgroup for one v1 controller (symlinks such as cpu -> cpu,cpuacct
 * resolve), or of the v2 cgroup. */
static char *ctl_dir(const char *ctrl, const char *path)
{
        if (host_mode() == CGROUP_MODE_V2)
                return xasprintf("%s%s", CGROUP_ROOT, path);
        return xasprintf("%s/%s%s", CGROUP_ROOT, ctrl, path);
}

static void require_root(void)
{
        if (geteuid() != 0)
                skip();
}

static void rm_tree(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);

                        rm_tree(sub);
                }
        }
        closedir(d);
        (void) rmdir(dir);
}

/* Every hierarchy's copy of /cata-test-<pid>: thawed, emptied, removed. */
static void put(const char *path, const char *value)
{
        FILE *f = fopen(path, "we");

        if (f) {
                fputs(value, f);
                fclose(f);
        }
}

static void cleanup_cgroups(void)
{
        DIR *d = opendir(CGROUP_ROOT);
        struct dirent *de;
        char *thaw[4] = {
                xasprintf("%s/freezer%s/freezer.state", CGROUP_ROOT, leaf),
                xasprintf("%s%s/cgroup.freeze", CGROUP_ROOT, leaf),
                xasprintf("%s%s/cgroup.freeze", UNIFIED, leaf),
                xasprintf("%s%s/v2/cgroup.freeze", UNIFIED, top),
        };

        /* A frozen child would not die. */
        for (size_t i = 0; i < 4; i++) {
                if (exists(thaw[i]))
                        put(thaw[i], i == 0 ? "THAWED" : "0");
                free(thaw[i]);
        }
        if (child > 0) {
                (void) kill(child, SIGKILL);
                (void) waitpid(child, NULL, 0);
                child = -1;
        }
        if (host_mode() == CGROUP_MODE_V2) {
                _cleanup_free_ char *t = xasprintf("%s%s", CGROUP_ROOT, top);

                rm_tree(t);
        }
        while (d && (de = readdir(d))) {
                _cleanup_free_ char *t = NULL;

                if (de->d_name[0] == '.')
                        continue;
                t = xasprintf("%s/%s%s", CGROUP_ROOT, de->d_name, top);
                rm_tree(t);
        }
        if (d)
                closedir(d);
}

static int teardown(void **state)
{
        (void) state;
        cleanup_cgroups();
        return 0;
}

/* Forked child that waits for "go" (so its memory is charged to the new cgroup), touches
 * memory and CPU, says "ready" and sleeps. */
static pid_t spawn_child(int *go, int *ready)
{
        int a[2], b[2];
        pid_t pid;

        assert_int_equal(pipe2(a, O_CLOEXEC), 0);
        assert_int_equal(pipe2(b, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                char *buf;

                if (read(a[0], &c, 1) != 1)
                        _exit(1);
                buf = malloc(CHILD_TOUCHES);
                if (!buf)
                        _exit(1);
                memset(buf, 0x5a, CHILD_TOUCHES);
                if (write(b[1], "r", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(a[0]);
        close(b[1]);
        *go = a[1];
        *ready = b[0];
        return pid;
}

static void child_go(int go, int ready)
{
        char c;

        assert_int_equal(write(go, "g", 1), 1);
        assert_int_equal(read(ready, &c, 1), 1);
        close(go);
        close(ready);
}

static void reap_killed(pid_t pid)
{
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        child = -1;
}

/* ---- pure helpers ------------------------------------------------------------------------- */

static void test_shares_to_weight(void **state)
{
        (void) state;
        assert_int_equal(cgroup_shares_to_weight(0), 0);
        assert_int_equal(cgroup_shares_to_weight(1), 1);
        assert_int_equal(cgroup_shares_to_weight(2), 1);
        assert_int_equal(cgroup_shares_to_weight(512), 20);
        assert_int_equal(cgroup_shares_to_weight(1024), 39);
        assert_int_equal(cgroup_shares_to_weight(262144), 10000);
        assert_int_equal(cgroup_shares_to_weight(1000000), 10000);
        assert_int_equal(cgroup_blkio_weight_to_io(0), 0);
        assert_int_equal(cgroup_blkio_weight_to_io(10), 1);
        assert_int_equal(cgroup_blkio_weight_to_io(500), 4950);
        assert_int_equal(cgroup_blkio_weight_to_io(1000), 10000);
}

static void test_cpulist(void **state)
{
        (void) state;
        assert_int_equal(cgroup_cpulist_within("0", "0-1\n"), 0);
        assert_int_equal(cgroup_cpulist_within("0-1", "0-1"), 0);
        assert_int_equal(cgroup_cpulist_within("1,0", "0-1"), 0);
        assert_int_equal(cgroup_cpulist_within("0-3,5", "0-1,2-3,5-7"), 0); /* merged ranges */
        assert_int_equal(cgroup_cpulist_within("2-6", "0-3,5-7"), -ERANGE); /* 4 is missing */
        assert_int_equal(cgroup_cpulist_within("4-5", "0-1"), -ERANGE);
        assert_int_equal(cgroup_cpulist_within("18446744073709551615", "0-1"), -ERANGE);
        assert_int_equal(cgroup_cpulist_within("a", "0-1"), -EINVAL);
        assert_int_equal(cgroup_cpulist_within("3-1", "0-7"), -EINVAL);
        assert_int_equal(cgroup_cpulist_within("1,", "0-7"), -EINVAL);
        assert_int_equal(cgroup_cpulist_within(",1", "0-7"), -EINVAL);
        assert_int_equal(cgroup_cpulist_within("1,,2", "0-7"), -EINVAL);
        assert_int_equal(cgroup_cpulist_within("-1", "0-7"), -EINVAL);
        assert_int_equal(cgroup_cpulist_within("", "0-7"), -EINVAL);
        assert_int_equal(cgroup_cpulist_within("0", ""), -EINVAL);
        assert_int_equal(cgroup_cpulist_within(NULL, "0"), -EINVAL);
}

static void check_path(const char *in, const char *want)
{
        _cleanup_free_ char *out = NULL;
        int r = cgroup_path_normalize(in, &out);

        if (r < 0)
                fail_msg("`%s`: %d", in, r);
        assert_string_equal(out, want);
}

static void check_bad_path(const char *in, int want)
{
        char *out = NULL;

        assert_int_equal(cgroup_path_normalize(in, &out), want);
        assert_null(out);
}

static void test_path_normalize(void **state)
{
        char big[PATH_MAX + 8];

        (void) state;
        check_path("/cata/abc", "/cata/abc");
        check_path("cata//abc/./", "/cata/abc");
        check_path("kubepods/pod1/abc", "/kubepods/pod1/abc");
        check_path("/a:b", "/a:b"); /* absolute: never a systemd triple */
        check_path("a:b", "/a:b");  /* one colon: a path */
        check_path("system.slice:kata:abc", "/system.slice/kata-abc.scope");
        check_path(":kata:abc", "/system.slice/kata-abc.scope");
        check_path("system.slice::abc", "/system.slice/abc.scope");
        check_path("-.slice:p:n", "/p-n.scope");
        check_path("kubepods-besteffort-pod1.slice:cri-containerd:abc",
                   "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
                   "cri-containerd-abc.scope");
        check_path("machine.slice:x:sub.slice", "/machine.slice/sub.slice");
        check_bad_path("/a/../b", -EINVAL);
        check_bad_path("..", -EINVAL);
        check_bad_path("/a/..", -EINVAL);
        check_bad_path("", -EINVAL);
        check_bad_path(NULL, -EINVAL);
        check_bad_path("/", -EINVAL);
        check_bad_path("/./", -EINVAL);
        check_bad_path("/a\nb", -EINVAL);
        check_bad_path("nope:p:n", -EINVAL);       /* not a .slice */
        check_bad_path("a--b.slice:p:n", -EINVAL); /* empty slice part */
        check_bad_path("a-.slice:p:n", -EINVAL);
        check_bad_path("system.slice:p:", -EINVAL);
        check_bad_path("system.slice:p:a/b", -EINVAL);
        memset(big, 'a', sizeof(big) - 1);
        big[0] = '/';
        big[sizeof(big) - 1] = '\0';
        check_bad_path(big, -ENAMETOOLONG);
}

static void test_swap_to_v2(void **state)
{
        int64_t v = 42;

        (void) state;
        assert_int_equal(cgroup_swap_to_v2(0, 0, &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(cgroup_swap_to_v2(0, -1, &v), 0);
        assert_int_equal(v, -1);
        assert_int_equal(cgroup_swap_to_v2(-1, 64 * MiB, &v), 0);
        assert_int_equal(v, -1);
        assert_int_equal(cgroup_swap_to_v2(128 * MiB, 64 * MiB, &v), 0);
        assert_int_equal(v, 64 * MiB);
        assert_int_equal(cgroup_swap_to_v2(64 * MiB, 64 * MiB, &v), 0);
        assert_int_equal(v, 0);
        v = 42;
        assert_int_equal(cgroup_swap_to_v2(32 * MiB, 64 * MiB, &v), -EINVAL);
        assert_int_equal(cgroup_swap_to_v2(32 * MiB, 0, &v), -EINVAL);
        assert_int_equal(cgroup_swap_to_v2(32 * MiB, -1, &v), -EINVAL);
        assert_int_equal(v, 42);
}

static void test_detect_mode(void **state)
{
        enum cgroup_mode m;

        (void) state;
        assert_int_equal(cgroup_detect_mode(CGROUP_ROOT, &m), 0);
        assert_true(m == CGROUP_MODE_V1 || m == CGROUP_MODE_V2);
        assert_int_equal(cgroup_detect_mode("/proc", &m), -ENOMEDIUM);
        assert_int_equal(cgroup_detect_mode("/nonexistent-cata", &m), -ENOENT);
        if (is_cgroup2(UNIFIED)) {
                assert_int_equal(cgroup_detect_mode(UNIFIED, &m), 0);
                assert_int_equal(m, CGROUP_MODE_V2);
        }
}

static void test_bad_new(void **state)
{
        struct cgroup *cg = NULL;
        _cleanup_error_ struct agent_error *err = NULL;

        (void) state;
        assert_int_equal(cgroup_new(CGROUP_ROOT, "/cata/../etc", &cg, &err), -EINVAL);
        assert_null(cg);
        assert_non_null(strstr(err->msg, "`/cata/../etc`"));
        err = agent_error_free(err);
        assert_int_equal(cgroup_new(CGROUP_ROOT, "/", &cg, &err), -EINVAL);
        err = agent_error_free(err);
        assert_int_equal(cgroup_new("/proc", "/x", &cg, &err), -ENOMEDIUM);
        assert_non_null(strstr(err->msg, "`/proc`"));
}

/* ---- the real kernel ---------------------------------------------------------------------- */

static struct cgroup *new_cgroup(const char *root, const char *path)
{
        struct cgroup *cg = NULL;
        _cleanup_error_ struct agent_error *err = NULL;

        assert_ok(cgroup_new(root, path, &cg, &err), err);
        assert_non_null(cg);
        return cg;
}

static void apply_ok(struct cgroup *cg, const Grpc__LinuxResources *res)
{
        _cleanup_error_ struct agent_error *err = NULL;

        assert_ok(cgroup_apply(cg, res, &err), err);
}

static void destroy_ok(struct cgroup *cg)
{
        _cleanup_error_ struct agent_error *err = NULL;

        assert_ok(cgroup_destroy(cg, &err), err);
}

/* The child's /proc/<pid>/cgroup names `path` for the memory hierarchy (v1) or "0::" (v2). */
static void assert_member(pid_t pid, const char *path, bool v1, bool v2)
{
        _cleanup_free_ char *file = xasprintf("/proc/%d/cgroup", (int) pid);
        _cleanup_free_ char *text = slurp(file);
        _cleanup_free_ char *mem = xasprintf(":memory:%s\n", path);
        _cleanup_free_ char *uni = xasprintf("0::%s\n", path);
        _cleanup_free_ char *t = xasprintf("%s\n", text ? text : "");

        assert_non_null(text);
        if (v1 && !strstr(t, mem))
                fail_msg("%s has no `%s`:\n%s", file, mem, t);
        if (v2 && !strstr(t, uni))
                fail_msg("%s has no `%s`:\n%s", file, uni, t);
}

/* A new v1 cpuset level starts empty; cgroup_new copies the parent's values down. */
static void check_cpuset_inherited(void)
{
        _cleanup_free_ char *cpus = slurp(CGROUP_ROOT "/cpuset/cpuset.cpus");
        _cleanup_free_ char *mems = slurp(CGROUP_ROOT "/cpuset/cpuset.mems");
        _cleanup_free_ char *mid = ctl_dir("cpuset", top), *cs = ctl_dir("cpuset", leaf);

        assert_non_null(cpus);
        assert_non_null(mems);
        assert_file(mid, "cpuset.cpus", cpus);
        assert_file(mid, "cpuset.mems", mems);
        assert_file(cs, "cpuset.cpus", cpus);
        assert_file(cs, "cpuset.mems", mems);
}

static void check_limits(void)
{
        if (host_mode() == CGROUP_MODE_V1) {
                _cleanup_free_ char *mem = ctl_dir("memory", leaf), *cpu = ctl_dir("cpu", leaf);
                _cleanup_free_ char *pids = ctl_dir("pids", leaf), *cs = ctl_dir("cpuset", leaf);

                assert_file(mem, "memory.limit_in_bytes", "67108864");
                assert_file(cpu, "cpu.shares", "512");
                assert_file(cpu, "cpu.cfs_quota_us", "50000");
                assert_file(cpu, "cpu.cfs_period_us", "100000");
                assert_file(pids, "pids.max", "32");
                assert_file(cs, "cpuset.cpus", "0");
        } else {
                _cleanup_free_ char *d = ctl_dir("", leaf);

                assert_file(d, "memory.max", "67108864");
                assert_file(d, "cpu.weight", "20");
                assert_file(d, "cpu.max", "50000 100000");
                assert_file(d, "pids.max", "32");
                assert_file(d, "cpuset.cpus", "0");
        }
}

static void check_frozen(const char *state_v1, const char *frozen_v2)
{
        if (host_mode() == CGROUP_MODE_V1) {
                _cleanup_free_ char *f = ctl_dir("freezer", leaf);

                assert_file(f, "freezer.state", state_v1);
        } else {
                _cleanup_free_ char *d = ctl_dir("", leaf);
                _cleanup_free_ char *path = xasprintf("%s/cgroup.events", d);
                _cleanup_free_ char *ev = slurp(path);

                assert_non_null(ev);
                assert_non_null(strstr(ev, frozen_v2));
        }
}

static void check_stats(struct cgroup *cg)
{
        Grpc__CgroupStats *st = NULL;
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        Grpc__CgroupStats *back;
        size_t len;

        assert_ok(cgroup_stats(cg, &st, &err), err);
        assert_int_equal(st->pids_stats->current, 1);
        assert_int_equal(st->pids_stats->limit, 32);
        assert_true(st->memory_stats->usage->usage > 0);
        assert_int_equal(st->memory_stats->usage->limit, 64 * MiB);
        assert_true(st->memory_stats->n_stats > 0);
        assert_true(st->cpu_stats->cpu_usage->total_usage > 0);
        if (host_mode() == CGROUP_MODE_V1) {
                assert_true(st->cpu_stats->cpu_usage->n_percpu_usage > 0);
                assert_true(st->memory_stats->use_hierarchy);
        }
        /* The message must survive a round trip: every field set, every pointer valid. */
        len = grpc__cgroup_stats__get_packed_size(st);
        buf = xmalloc(len);
        assert_int_equal(grpc__cgroup_stats__pack(st, buf), len);
        back = grpc__cgroup_stats__unpack(NULL, len, buf);
        assert_non_null(back);
        assert_int_equal(back->pids_stats->current, 1);
        grpc__cgroup_stats__free_unpacked(back, NULL);
        cgroup_stats_free(st);
}

/* No copy of the leaf (nor of the sub-cgroup made inside it) is left in any hierarchy. */
static void assert_gone(const char *path)
{
        DIR *d = opendir(CGROUP_ROOT);
        struct dirent *de;

        assert_non_null(d);
        if (host_mode() == CGROUP_MODE_V2) {
                _cleanup_free_ char *p = xasprintf("%s%s", CGROUP_ROOT, path);

                assert_false(exists(p));
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = xasprintf("%s/%s%s", CGROUP_ROOT, de->d_name, path);

                if (de->d_name[0] != '.' && exists(p))
                        fail_msg("%s is still there", p);
        }
        closedir(d);
}

static void test_lifecycle(void **state)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory mem = GRPC__LINUX_MEMORY__INIT;
        Grpc__LinuxCPU cpu = GRPC__LINUX_CPU__INIT;
        Grpc__LinuxPids pids = GRPC__LINUX_PIDS__INIT;
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ pid_t *list = NULL;
        _cleanup_free_ char *sub = NULL;
        struct cgroup *cg;
        size_t n = 0;
        int go, ready;

        (void) state;
        require_root();
        cg = new_cgroup(CGROUP_ROOT, leaf);
        assert_string_equal(cgroup_path(cg), leaf);
        assert_int_equal(cgroup_get_mode(cg), host_mode());
        if (host_mode() == CGROUP_MODE_V1)
                check_cpuset_inherited();
        mem.limit = 64 * MiB;
        cpu.shares = 512;
        cpu.quota = 50000;
        cpu.period = 100000;
        cpu.cpus = (char *) "0";
        pids.limit = 32;
        res.memory = &mem;
        res.cpu = &cpu;
        res.pids = &pids;
        apply_ok(cg, &res);
        check_limits();

        child = spawn_child(&go, &ready);
        assert_ok(cgroup_enter(cg, child, &err), err);
        child_go(go, ready);
        assert_member(child, leaf, host_mode() == CGROUP_MODE_V1,
                      host_mode() == CGROUP_MODE_V2 || hybrid());
        assert_int_equal(cgroup_pids(cg, &list, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(list[0], child);

        assert_ok(cgroup_freeze(cg, true, &err), err);
        check_frozen("FROZEN", "frozen 1");
        assert_ok(cgroup_freeze(cg, false, &err), err);
        check_frozen("THAWED", "frozen 0");

        check_stats(cg);

        /* A sub-cgroup the container made itself goes with it. */
        sub = xasprintf("%s/nested", cgroup_memory_path(cg));
        assert_int_equal(mkdir(sub, 0755), 0);

        /* Destroy before reaping, as the agent does (its SIGCHLD handler reaps later): the
         * kernel may list the dying task for a moment, and destroy retries. */
        assert_int_equal(cgroup_kill_all(cg, SIGKILL), 1);
        destroy_ok(cg);
        reap_killed(child);
        assert_gone(leaf);
}

static void test_memory(void **state)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory mem = GRPC__LINUX_MEMORY__INIT;
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *d = NULL, *want = NULL;
        struct cgroup *cg;
        bool v1 = host_mode() == CGROUP_MODE_V1, swap;

        (void) state;
        require_root();
        cg = new_cgroup(CGROUP_ROOT, leaf);
        d = ctl_dir("memory", leaf);
        swap = exists(want = xasprintf("%s/%s", d,
                                       v1 ? "memory.memsw.limit_in_bytes" : "memory.swap.max"));
        res.memory = &mem;
        mem.limit = 64 * MiB;
        mem.swap = 128 * MiB;
        mem.reservation = 32 * MiB;
        mem.swappiness = v1 ? 10 : 0;
        mem.disableoomkiller = v1;
        if (!swap)
                mem.swap = 0;
        apply_ok(cg, &res);
        if (v1) {
                _cleanup_free_ char *oom = NULL, *path = xasprintf("%s/memory.oom_control", d);

                assert_file(d, "memory.limit_in_bytes", "67108864");
                assert_file(d, "memory.soft_limit_in_bytes", "33554432");
                assert_file(d, "memory.swappiness", "10");
                if (swap)
                        assert_file(d, "memory.memsw.limit_in_bytes", "134217728");
                oom = slurp(path);
                assert_non_null(strstr(oom, "oom_kill_disable 1"));
        } else {
                assert_file(d, "memory.max", "67108864");
                assert_file(d, "memory.low", "33554432");
                if (swap)
                        assert_file(d, "memory.swap.max", "67108864");
        }

        /* Lowering both: v1 must write the limit before memory+swap. */
        mem.limit = 32 * MiB;
        mem.swap = swap ? 32 * MiB : 0;
        mem.reservation = 0;
        apply_ok(cg, &res);
        assert_file(d, v1 ? "memory.limit_in_bytes" : "memory.max", "33554432");
        if (swap)
                assert_file(d, v1 ? "memory.memsw.limit_in_bytes" : "memory.swap.max",
                            v1 ? "33554432" : "0");

        /* Unlimited memory means unlimited swap. */
        mem.limit = -1;
        mem.swap = 0;
        apply_ok(cg, &res);
        assert_file(d, v1 ? "memory.limit_in_bytes" : "memory.max",
                    v1 ? "9223372036854771712" : "max");

        /* Swap below the limit: the error names the file and the value (v1: the kernel's). */
        mem.limit = 64 * MiB;
        mem.swap = 32 * MiB;
        if (swap || !v1) {
                free(want);
                want = v1 ? xasprintf("write `33554432` to `%s/memory.memsw.limit_in_bytes`: "
                                      "Invalid argument",
                                      d)
                          : xstrdup("swap limit `33554432` needs a memory limit no larger than "
                                    "it (memory limit `67108864`)");
                assert_int_equal(cgroup_apply(cg, &res, &err), -EINVAL);
                assert_string_equal(err->msg, want);
                err = agent_error_free(err);
        }
        mem.swap = 0;
        mem.swappiness = 101;
        assert_int_equal(cgroup_apply(cg, &res, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "`101`"));
        destroy_ok(cg);
}

static void test_cpuset_out_of_range(void **state)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxCPU cpu = GRPC__LINUX_CPU__INIT;
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *online = slurp("/sys/devices/system/cpu/online");
        _cleanup_free_ char *nodes = slurp("/sys/devices/system/node/online");
        _cleanup_free_ char *want = NULL, *cpus = NULL;
        struct cgroup *cg;
        const char *last;

        (void) state;
        require_root();
        assert_non_null(online);
        last = strrchr(online, '-') ? strrchr(online, '-') + 1 : online;
        if (strrchr(last, ','))
                last = strrchr(last, ',') + 1;
        cpus = xasprintf("%d-%d", atoi(last) + 2, atoi(last) + 3);
        cg = new_cgroup(CGROUP_ROOT, leaf);
        cpu.cpus = cpus;
        res.cpu = &cpu;
        assert_int_equal(cgroup_apply(cg, &res, &err), -EINVAL);
        want = xasprintf("cpuset `%s` is outside the online cpus `%s`", cpus, online);
        assert_string_equal(err->msg, want);
        err = agent_error_free(err);

        cpu.cpus = (char *) "";
        cpu.mems = (char *) "7";
        free(want);
        want = xasprintf("cpuset mems `7` is outside the online nodes `%s`", nodes ? nodes : "0");
        assert_int_equal(cgroup_apply(cg, &res, &err), -EINVAL);
        assert_string_equal(err->msg, want);
        err = agent_error_free(err);

        cpu.mems = (char *) "0";
        cpu.cpus = (char *) "0-";
        assert_int_equal(cgroup_apply(cg, &res, &err), -EINVAL);
        assert_string_equal(err->msg, "cpuset `0-` is not a valid list");
        err = agent_error_free(err);

        cpu.cpus = (char *) "0";
        apply_ok(cg, &res);
        destroy_ok(cg);
}

static Grpc__LinuxDeviceCgroup device(bool allow, const char *type, int64_t major, int64_t minor,
                                      const char *access)
{
        Grpc__LinuxDeviceCgroup d = GRPC__LINUX_DEVICE_CGROUP__INIT;

        d.allow = allow;
        d.type = (char *) type;
        d.major = major;
        d.minor = minor;
        d.access = (char *) access;
        return d;
}

static void test_devices_v1(void **state)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxDeviceCgroup d[4];
        Grpc__LinuxDeviceCgroup *dp[4] = { &d[0], &d[1], &d[2], &d[3] };
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *dir = NULL, *path = NULL, *list = NULL;
        struct cgroup *cg;

        (void) state;
        require_root();
        if (host_mode() != CGROUP_MODE_V1)
                skip();
        cg = new_cgroup(CGROUP_ROOT, leaf);
        /* An allow before the deny-all is moot: "a" resets the kernel's list. */
        d[0] = device(true, "b", 8, 0, "rwm");
        d[1] = device(false, "a", 0, 0, "rwm");
        d[2] = device(true, "c", 1, 3, "rw");
        d[3] = device(true, "c", 4, 0, "r"); /* minor 0 on the wire: the wildcard */
        res.devices = dp;
        res.n_devices = 4;
        apply_ok(cg, &res);
        dir = ctl_dir("devices", leaf);
        path = xasprintf("%s/devices.list", dir);
        list = slurp(path);
        assert_non_null(list);
        assert_null(strstr(list, "a *:* rwm"));
        assert_null(strstr(list, "b 8:"));
        assert_non_null(strstr(list, "c 1:3 rw"));
        assert_non_null(strstr(list, "c 4:* r"));
        assert_non_null(strstr(list, "c 136:* rwm")); /* a default device */

        d[0] = device(true, "x", 1, 1, "rwm");
        res.n_devices = 1;
        assert_int_equal(cgroup_apply(cg, &res, &err), -EINVAL);
        assert_string_equal(err->msg, "device rule type `x` is invalid");
        destroy_ok(cg);
}

/* The major:minor of some block device, for throttling rules. */
static bool block_device(unsigned *major, unsigned *minor)
{
        static const char *const names[] = { "vda", "sda", "nvme0n1", "xvda", "loop0" };

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *p = xasprintf("/sys/block/%s/dev", names[i]);
                _cleanup_free_ char *dev = slurp(p);

                if (dev && sscanf(dev, "%u:%u", major, minor) == 2)
                        return true;
        }
        return false;
}

static void check_throttle(struct cgroup *cg, const char *bdir)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxBlockIO bio = GRPC__LINUX_BLOCK_IO__INIT;
        Grpc__LinuxThrottleDevice t = GRPC__LINUX_THROTTLE_DEVICE__INIT;
        Grpc__LinuxThrottleDevice *tp[1] = { &t };
        _cleanup_free_ char *want = NULL;
        unsigned major, minor;

        if (!block_device(&major, &minor))
                return;
        t.major = major;
        t.minor = minor;
        t.rate = 1048576;
        bio.throttlereadbpsdevice = tp;
        bio.n_throttlereadbpsdevice = 1;
        bio.throttlewriteiopsdevice = tp;
        bio.n_throttlewriteiopsdevice = 1;
        res.blockio = &bio;
        apply_ok(cg, &res);
        want = xasprintf("%u:%u 1048576", major, minor);
        assert_file(bdir, "blkio.throttle.read_bps_device", want);
        assert_file(bdir, "blkio.throttle.write_iops_device", want);
}

static void test_blkio_and_hugetlb(void **state)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxBlockIO bio = GRPC__LINUX_BLOCK_IO__INIT;
        Grpc__LinuxHugepageLimit hl = GRPC__LINUX_HUGEPAGE_LIMIT__INIT;
        Grpc__LinuxHugepageLimit *hlp[1] = { &hl };
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *bdir = ctl_dir("blkio", leaf), *hdir = NULL, *f = NULL;
        bool v1 = host_mode() == CGROUP_MODE_V1, avail;
        const char *file;
        Grpc__CgroupStats *st = NULL;
        struct cgroup *cg;

        (void) state;
        require_root();
        cg = new_cgroup(CGROUP_ROOT, leaf);
        if (v1 && (exists(f = xasprintf("%s/blkio.weight", bdir)) ||
                   exists((free(f), f = xasprintf("%s/blkio.bfq.weight", bdir))))) {
                _cleanup_free_ char *w = NULL;

                bio.weight = 500;
                res.blockio = &bio;
                apply_ok(cg, &res);
                w = slurp(f);
                assert_non_null(strstr(w, "500"));
                res.blockio = NULL;
        }
        if (v1)
                check_throttle(cg, bdir);

        /* Hugetlb lives in v1, in v2, or (as on a hybrid host where it is not mounted as v1)
         * in the unified tree. */
        if (!exists("/sys/kernel/mm/hugepages/hugepages-2048kB")) {
                destroy_ok(cg);
                skip();
        }
        hl.pagesize = (char *) "2MB";
        hl.limit = 4 * MiB;
        res.hugepagelimits = hlp;
        res.n_hugepagelimits = 1;
        if (v1 && is_cgroup1(CGROUP_ROOT "/hugetlb")) {
                hdir = xasprintf("%s/hugetlb%s", CGROUP_ROOT, leaf);
                file = "hugetlb.2MB.limit_in_bytes";
                avail = true;
        } else {
                _cleanup_free_ char *c = NULL;

                hdir = xasprintf("%s%s", v1 ? UNIFIED : CGROUP_ROOT, leaf);
                c = slurp(v1 ? UNIFIED "/cgroup.controllers" : CGROUP_ROOT "/cgroup.controllers");
                file = "hugetlb.2MB.max";
                avail = c && strstr(c, "hugetlb");
        }
        if (!avail) {
                assert_int_equal(cgroup_apply(cg, &res, &err), -EOPNOTSUPP);
                assert_non_null(strstr(err->msg, "`hugetlb` is not available"));
                err = agent_error_free(err);
        } else {
                apply_ok(cg, &res);
                assert_file(hdir, file, "4194304");
                assert_ok(cgroup_stats(cg, &st, &err), err);
                assert_true(st->n_hugetlb_stats > 0);
                assert_string_equal(st->hugetlb_stats[0]->key, "2MB");
                cgroup_stats_free(st);
        }
        hl.pagesize = (char *) "2MB/../x";
        assert_int_equal(cgroup_apply(cg, &res, &err), -EINVAL);
        assert_string_equal(err->msg, "hugepage size `2MB/../x` is invalid");
        destroy_ok(cg);
}

/* A failing cgroup_new leaves no directory it made behind. */
static void test_new_rollback(void **state)
{
        struct cgroup *cg = NULL;
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        (void) state;
        require_root();
        /* The new "mid" cgroup has a cgroup.procs file: not a directory to go into. */
        path = xasprintf("%s/mid/cgroup.procs", top);
        r = cgroup_new(CGROUP_ROOT, path, &cg, &err);
        if (cg)
                destroy_ok(cg);
        assert_int_equal(r, -ENOTDIR);
        assert_non_null(strstr(err->msg, "/mid/cgroup.procs`: Not a directory"));
        assert_gone(top);
}

/* v2 code paths on a hybrid host: the unified tree is a cgroup2 root of its own. */
static void test_v2_on_unified(void **state)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory mem = GRPC__LINUX_MEMORY__INIT;
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *path = xasprintf("%s/v2", top), *dir = NULL, *ev = NULL;
        _cleanup_free_ char *evp = NULL, *avail = slurp(UNIFIED "/cgroup.controllers");
        _cleanup_free_ char *want = NULL;
        Grpc__CgroupStats *st = NULL;
        struct cgroup *cg;
        int go, ready;

        (void) state;
        require_root();
        if (!hybrid())
                skip();
        cg = new_cgroup(UNIFIED, path);
        assert_int_equal(cgroup_get_mode(cg), CGROUP_MODE_V2);
        dir = xasprintf("%s%s", UNIFIED, path);
        assert_string_equal(cgroup_memory_path(cg), dir);

        if (!strstr(avail ? avail : "", "memory")) {
                mem.limit = 64 * MiB;
                res.memory = &mem;
                assert_int_equal(cgroup_apply(cg, &res, &err), -EOPNOTSUPP);
                want = xasprintf("cgroup controller `memory` is not available for `%s`", path);
                assert_string_equal(err->msg, want);
                err = agent_error_free(err);
        }

        /* net_cls/net_prio exist only in v1: refused, naming the field, never dropped. */
        {
                Grpc__LinuxResources nres = GRPC__LINUX_RESOURCES__INIT;
                Grpc__LinuxNetwork net = GRPC__LINUX_NETWORK__INIT;

                net.classid = 0x100001;
                nres.network = &net;
                assert_int_equal(cgroup_apply(cg, &nres, &err), -EOPNOTSUPP);
                assert_non_null(strstr(err->msg, "linux.resources.network.classID: cgroup "
                                                 "controller `net_cls` is not available"));
                err = agent_error_free(err);
        }

        child = spawn_child(&go, &ready);
        assert_ok(cgroup_enter(cg, child, &err), err);
        child_go(go, ready);
        assert_member(child, path, false, true);

        evp = xasprintf("%s/cgroup.events", dir);
        assert_ok(cgroup_freeze(cg, true, &err), err);
        ev = slurp(evp);
        assert_non_null(strstr(ev, "frozen 1"));
        assert_ok(cgroup_freeze(cg, false, &err), err);
        free(ev);
        ev = slurp(evp);
        assert_non_null(strstr(ev, "frozen 0"));

        assert_ok(cgroup_stats(cg, &st, &err), err);
        assert_true(st->cpu_stats->cpu_usage->total_usage > 0); /* core cpu.stat */
        assert_int_equal(st->memory_stats->usage->usage, 0);    /* no memory controller here */
        assert_non_null(st->memory_stats->usage);
        cgroup_stats_free(st);

        assert_int_equal(cgroup_kill_all(cg, SIGKILL), 1);
        reap_killed(child);
        destroy_ok(cg);
        assert_false(exists(dir));
}

/* Opens path (read) from a child moved into the cgroup: 0, or the errno. */
static int open_in(struct cgroup *cg, const char *path)
{
        int status;
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                struct agent_error *err = NULL;
                int fd;
                if (cgroup_enter(cg, getpid(), &err) < 0)
                        _exit(100);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                _exit(fd < 0 ? errno : 0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_not_equal(WEXITSTATUS(status), 100);
        return WEXITSTATUS(status);
}

/* v2: the rules become an eBPF device program; the kernel enforces it on the next open. */
static void test_devices_v2(void **state)
{
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxDeviceCgroup d[1];
        Grpc__LinuxDeviceCgroup *dp[1] = { &d[0] };
        const struct cgroup_device_rule kmsg = { true, 'c', 1, 11, "r" };
        _cleanup_free_ char *path = xasprintf("%s/dev2", top);
        struct cgroup *cg;

        (void) state;
        require_root();
        if (!hybrid() || access("/dev/kmsg", F_OK) < 0)
                skip();
        cg = new_cgroup(UNIFIED, path);
        assert_int_equal(cgroup_get_mode(cg), CGROUP_MODE_V2);
        d[0] = device(false, "a", 0, 0, "rwm");
        res.devices = dp;
        res.n_devices = 1;
        apply_ok(cg, &res);
        assert_int_equal(open_in(cg, "/dev/null"), 0); /* a default device */
        assert_int_equal(open_in(cg, "/dev/kmsg"), EPERM);
        /* The agent's exact rule for a found device; the new program replaces the old one. */
        cgroup_set_extra_device_rules(cg, &kmsg, 1);
        apply_ok(cg, &res);
        assert_int_equal(open_in(cg, "/dev/kmsg"), 0);
        assert_int_equal(open_in(cg, "/dev/null"), 0);
        /* Allow-all again: no rule denies. */
        cgroup_set_extra_device_rules(cg, NULL, 0);
        d[0] = device(true, "a", 0, 0, "rwm");
        apply_ok(cg, &res);
        assert_int_equal(open_in(cg, "/dev/kmsg"), 0);
        destroy_ok(cg);
}

/* Run as a group so the hybrid root's subtree_control is put back once, at the end. */
static int group_setup(void **state)
{
        _cleanup_free_ char *sc = slurp(UNIFIED "/cgroup.subtree_control");

        (void) state;
        snprintf(top, sizeof(top), "/cata-test-%d", (int) getpid());
        snprintf(leaf, sizeof(leaf), "%s/c1", top);
        hugetlb_was_enabled = sc && strstr(sc, "hugetlb");
        return 0;
}

static int group_teardown(void **state)
{
        _cleanup_free_ char *sc = slurp(UNIFIED "/cgroup.subtree_control");

        (void) state;
        cleanup_cgroups();
        /* cata enables hugetlb in the unified root when it is only available there; on this
         * shared host, undo it. */
        if (geteuid() == 0 && sc && strstr(sc, "hugetlb") && !hugetlb_was_enabled) {
                put(UNIFIED "/cgroup.subtree_control", "-hugetlb");
        }
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shares_to_weight),
                cmocka_unit_test(test_cpulist),
                cmocka_unit_test(test_path_normalize),
                cmocka_unit_test(test_swap_to_v2),
                cmocka_unit_test(test_detect_mode),
                cmocka_unit_test(test_bad_new),
                cmocka_unit_test_teardown(test_lifecycle, teardown),
                cmocka_unit_test_teardown(test_memory, teardown),
                cmocka_unit_test_teardown(test_cpuset_out_of_range, teardown),
                cmocka_unit_test_teardown(test_devices_v1, teardown),
                cmocka_unit_test_teardown(test_blkio_and_hugetlb, teardown),
                cmocka_unit_test_teardown(test_v2_on_unified, teardown),
                cmocka_unit_test_teardown(test_devices_v2, teardown),
                cmocka_unit_test_teardown(test_new_rollback, teardown),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
