/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Engine features seen from inside real containers: each test runs busybox commands in a
 * container started by the real agent and asserts what the container itself sees (hostname,
 * mounts, binds, capabilities, seccomp, rlimits, user, cgroups, masked and read-only paths, pid
 * and network namespaces, cwd/env, sysctls, devices).
 *
 * Spec variations are spliced into the template of containers.c. A spliced key that the
 * template already has (capabilities, rlimits, namespaces...) overrides it: jansson keeps the
 * last of duplicate keys.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/status.h"

#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct agent_proc agent;
static struct ttrpc_client *cl;

static int setup(void **state)
{
        const char *args[] = { "--run-dir", NULL, NULL };
        static char run_dir[96];

        (void) state;
        /* mkdtemp made the rootfs 0700, which would lock a non-root container user out of its
         * own image: make it what an image's root is. */
        assert_int_equal(chmod(ct_rootfs(), 0755), 0);
        snprintf(run_dir, sizeof(run_dir), "/tmp/cata-run-%d", (int) getpid());
        args[1] = run_dir;
        agent_proc_start(&agent, "", args, NULL);
        cl = agent_connect(&agent);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        ttrpc_client_free(cl);
        agent_proc_stop(&agent);
        return 0;
}

/* ---- helpers ---- */

struct result {
        char *out, *err;
        int status;
};

static void result_done(struct result *r)
{
        free(r->out);
        free(r->err);
        r->out = r->err = NULL;
}

/* `["sh","-c","<script>"]` with the script escaped for JSON. */
static char *sh_args(const char *script)
{
        _cleanup_free_ char *esc = xmalloc(strlen(script) * 2 + 1);
        char *p = esc;

        for (const char *s = script; *s; s++) {
                if (*s == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                        continue;
                }
                if (*s == '"' || *s == '\\')
                        *p++ = '\\';
                *p++ = *s;
        }
        *p = '\0';
        return xasprintf("[\"sh\",\"-c\",\"%s\"]", esc);
}

/* Appends a mount (a JSON object) to the template's mounts; frees spec. */
static char *spec_add_mount(char *spec, const char *mount)
{
        const char *at = strstr(spec, "],\"linux\":");
        char *out;

        assert_non_null(at);
        out = xasprintf("%.*s,%s%s", (int) (at - spec), spec, mount, at);
        free(spec);
        return out;
}

/* Runs spec to the end; asserts each RPC succeeds. */
static struct result run_spec(const char *id, const char *spec)
{
        struct result r = { 0 };

        ct_run(cl, id, spec, &r.out, &r.err, &r.status);
        return r;
}

/* Runs `sh -c script` in a template container with the given splices. */
static struct result run_sh(const char *id, const char *script, const char *process_extra,
                            const char *linux_extra, const char *top_extra)
{
        _cleanup_free_ char *args = sh_args(script);
        _cleanup_free_ char *spec = ct_spec(id, args, process_extra, linux_extra, top_extra);

        return run_spec(id, spec);
}

/* The exit status, with both streams in the message when it is not the expected one. */
#define expect_status(r, want)                                                                 \
        do {                                                                                   \
                if ((r).status != (want))                                                      \
                        fail_msg("exit status %d, expected %d; stdout:\n%s\nstderr:\n%s",         \
                                 (r).status, (want), (r).out, (r).err);                        \
        } while (0)

#define expect_contains(hay, needle)                                                           \
        do {                                                                                   \
                if (!strstr((hay), (needle)))                                                  \
                        fail_msg("expected `%s` in:\n%s", (needle), (hay));                    \
        } while (0)

#define expect_lacks(hay, needle)                                                              \
        do {                                                                                   \
                if (strstr((hay), (needle)))                                                   \
                        fail_msg("did not expect `%s` in:\n%s", (needle), (hay));              \
        } while (0)

/* The value after "key" at the start of a line ("CapEff:\t..." -> "..."), up to the end of the
 * line, in buf. False when no line starts with key. */
static bool line_value(const char *text, const char *key, char *buf, size_t size)
{
        size_t klen = strlen(key);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strncmp(l, key, klen) != 0)
                        continue;
                l += klen;
                while (*l == ' ' || *l == '\t')
                        l++;
                snprintf(buf, size, "%.*s", (int) strcspn(l, "\n"), l);
                for (size_t n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--)
                        buf[n - 1] = '\0';
                return true;
        }
        return false;
}

#define expect_line(text, key, want)                                                           \
        do {                                                                                   \
                char v_[256];                                                                  \
                if (!line_value((text), (key), v_, sizeof(v_)))                                \
                        fail_msg("no line `%s` in:\n%s", (key), (text));                       \
                if (strcmp(v_, (want)) != 0)                                                   \
                        fail_msg("`%s` is `%s`, expected `%s`", (key), v_, (want));            \
        } while (0)

/* One line of /proc/self/mounts: the last mount on dest (the one visible there). */
struct mnt {
        char src[256], dst[256], type[64], opts[512];
};

static bool find_mount(const char *mounts, const char *dest, struct mnt *ret)
{
        bool found = false;

        for (const char *l = mounts; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                struct mnt m;
                if (sscanf(l, "%255s %255s %63s %511s", m.src, m.dst, m.type, m.opts) == 4 &&
                    streq(m.dst, dest)) {
                        *ret = m;
                        found = true;
                }
        }
        return found;
}

static bool has_opt(const char *opts, const char *opt)
{
        size_t n = strlen(opt);

        for (const char *p = opts; *p;) {
                size_t len = strcspn(p, ",");
                if (len == n && strncmp(p, opt, n) == 0)
                        return true;
                p += len + (p[len] == ',');
        }
        return false;
}

static void expect_mount(const char *mounts, const char *dest, const char *type, const char *opt)
{
        struct mnt m;

        if (!find_mount(mounts, dest, &m))
                fail_msg("no mount on `%s` in:\n%s", dest, mounts);
        if (!streq(m.type, type))
                fail_msg("mount on `%s` has type `%s`, expected `%s`", dest, m.type, type);
        if (opt && !has_opt(m.opts, opt))
                fail_msg("mount on `%s` has options `%s`, expected `%s`", dest, m.opts, opt);
}

static char *host_file(const char *path)
{
        _cleanup_free_ char *s = NULL;

        if (read_file(path, 1 << 16, &s, NULL) < 0)
                fail_msg("cannot read host file `%s`", path);
        s[strcspn(s, "\n")] = '\0';
        return TAKE_PTR(s);
}

/* ---- tests ---- */

static void test_hostname(void **state)
{
        char before[256] = "", after[256] = "";
        struct result r;

        (void) state;
        assert_int_equal(gethostname(before, sizeof(before)), 0);
        r = run_sh("ct-hostname", "hostname; cat /proc/sys/kernel/hostname", NULL, NULL, NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "cata-test\ncata-test\n");
        assert_int_equal(gethostname(after, sizeof(after)), 0);
        assert_string_equal(before, after); /* a UTS namespace: the host keeps its name */
        result_done(&r);

        /* Without a UTS namespace the hostname field must not rename the host. */
        r = run_sh("ct-hostname-nouts", "hostname", NULL,
                   ",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},"
                   "{\"type\":\"mount\"}]",
                   NULL);
        expect_status(r, 0);
        assert_int_equal(gethostname(after, sizeof(after)), 0);
        assert_string_equal(before, after);
        if (strncmp(r.out, before, strlen(before)) != 0)
                fail_msg("expected the host's name `%s`, got `%s`", before, r.out);
        result_done(&r);
}

static void test_mounts(void **state)
{
        _cleanup_free_ char *args = sh_args(
                "cat /proc/self/mounts; touch /x || echo ROOT-RO; touch /tmp/y && echo TMP-RW;"
                "echo \"small=$(stat -c %a /small) $(df -k /small | tail -n 1)\"");
        _cleanup_free_ char *spec = spec_add_mount(
                ct_spec("ct-mounts", args, NULL, NULL, NULL),
                "{\"destination\":\"/small\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                "\"options\":[\"nosuid\",\"noexec\",\"size=1m\",\"mode=700\"]}");
        struct result r;
        struct mnt root;

        (void) state;
        r = run_spec("ct-mounts", spec);
        expect_status(r, 0);
        expect_mount(r.out, "/proc", "proc", "rw");
        expect_mount(r.out, "/dev", "tmpfs", "nosuid");
        expect_mount(r.out, "/dev/pts", "devpts", "noexec");
        expect_mount(r.out, "/dev/shm", "tmpfs", "nodev");
        expect_mount(r.out, "/dev/mqueue", "mqueue", "nosuid");
        expect_mount(r.out, "/sys", "sysfs", "ro");
        expect_mount(r.out, "/tmp", "tmpfs", "rw");
        if (!find_mount(r.out, "/", &root))
                fail_msg("no root mount in:\n%s", r.out);
        if (!has_opt(root.opts, "ro"))
                fail_msg("root is mounted `%s`, expected read-only", root.opts);
        /* pivot_root detached the host's mounts. */
        expect_lacks(r.out, " /sys/fs/cgroup");
        expect_lacks(r.out, agent.dir);
        expect_contains(r.out, "ROOT-RO\n");
        expect_contains(r.err, "Read-only file system");
        expect_contains(r.out, "TMP-RW\n");
        expect_mount(r.out, "/small", "tmpfs", "noexec");
        if (!strstr(r.out, "small=700 tmpfs") || !strstr(r.out, " 1024 "))
                fail_msg("expected /small mode 700 with 1024 KiB, got:\n%s", r.out);
        result_done(&r);
}

static void test_bind_mounts(void **state)
{
        char dir[] = "/tmp/cata-bind-XXXXXX";
        _cleanup_free_ char *file = NULL, *mount = NULL, *spec = NULL, *args = NULL;
        _cleanup_free_ char *written = NULL, *blocked = NULL, *got = NULL;
        struct result r;
        FILE *f;

        (void) state;
        assert_non_null(mkdtemp(dir));
        file = xasprintf("%s/f", dir);
        written = xasprintf("%s/g", dir);
        blocked = xasprintf("%s/h", dir);
        assert_non_null(f = fopen(file, "w"));
        fputs("hello-bind\n", f);
        fclose(f);

        /* Read-write: the host sees what the container writes. */
        mount = xasprintf("{\"destination\":\"/mnt/data\",\"type\":\"bind\",\"source\":\"%s\","
                          "\"options\":[\"rbind\",\"rw\"]}",
                          dir);
        args = sh_args("cat /mnt/data/f; echo from-ct > /mnt/data/g && echo W-OK");
        spec = spec_add_mount(ct_spec("ct-bind-rw", args, NULL, NULL, NULL), mount);
        r = run_spec("ct-bind-rw", spec);
        expect_status(r, 0);
        assert_string_equal(r.out, "hello-bind\nW-OK\n");
        got = host_file(written);
        assert_string_equal(got, "from-ct");
        result_done(&r);

        /* Read-only: the content is there, writes fail. */
        free(mount);
        free(spec);
        free(args);
        mount = xasprintf("{\"destination\":\"/mnt/data\",\"type\":\"bind\",\"source\":\"%s\","
                          "\"options\":[\"bind\",\"ro\"]}",
                          dir);
        args = sh_args("cat /mnt/data/f; grep ' /mnt/data ' /proc/self/mounts;"
                       "echo x > /mnt/data/h || echo W-FAIL");
        spec = spec_add_mount(ct_spec("ct-bind-ro", args, NULL, NULL, NULL), mount);
        r = run_spec("ct-bind-ro", spec);
        expect_status(r, 0);
        expect_contains(r.out, "hello-bind\n");
        expect_contains(r.out, "W-FAIL\n");
        expect_contains(r.err, "Read-only file system");
        if (access(blocked, F_OK) == 0)
                fail_msg("the container wrote `%s` through a read-only bind", blocked);
        {
                struct mnt m;
                assert_true(find_mount(r.out, "/mnt/data", &m));
                if (!has_opt(m.opts, "ro"))
                        fail_msg("bind on /mnt/data has options `%s`, expected ro", m.opts);
        }
        result_done(&r);
        unlink(file);
        unlink(written);
        assert_int_equal(rmdir(dir), 0);
}

/* The template's 14 capabilities (Docker's default set). */
static uint64_t template_caps(void)
{
        static const int caps[] = { CAP_CHOWN,      CAP_DAC_OVERRIDE,     CAP_FSETID,
                                    CAP_FOWNER,     CAP_MKNOD,            CAP_NET_RAW,
                                    CAP_SETGID,     CAP_SETUID,           CAP_SETFCAP,
                                    CAP_SETPCAP,    CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
                                    CAP_KILL,       CAP_AUDIT_WRITE };
        uint64_t mask = 0;

        for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
                mask |= UINT64_C(1) << caps[i];
        return mask;
}

static void test_capabilities(void **state)
{
        const char *script = "grep -E '^(Cap|NoNewPrivs)' /proc/self/status";
        char want[32];
        struct result r;

        (void) state;
        snprintf(want, sizeof(want), "%016" PRIx64, template_caps());
        r = run_sh("ct-caps", script, NULL, NULL, NULL);
        expect_status(r, 0);
        expect_line(r.out, "CapEff:", want);
        expect_line(r.out, "CapPrm:", want);
        expect_line(r.out, "CapBnd:", want);
        expect_line(r.out, "CapInh:", "0000000000000000");
        expect_line(r.out, "CapAmb:", "0000000000000000");
        expect_line(r.out, "NoNewPrivs:", "1");
        result_done(&r);

        /* Only CAP_NET_BIND_SERVICE, and no_new_privs off. */
        snprintf(want, sizeof(want), "%016" PRIx64, UINT64_C(1) << CAP_NET_BIND_SERVICE);
        r = run_sh("ct-caps-few", script,
                   ",\"noNewPrivileges\":false,\"capabilities\":{"
                   "\"bounding\":[\"CAP_NET_BIND_SERVICE\"],"
                   "\"effective\":[\"CAP_NET_BIND_SERVICE\"],"
                   "\"permitted\":[\"CAP_NET_BIND_SERVICE\"]}",
                   NULL, NULL);
        expect_status(r, 0);
        expect_line(r.out, "CapBnd:", want);
        expect_line(r.out, "CapEff:", want);
        expect_line(r.out, "CapPrm:", want);
        expect_line(r.out, "NoNewPrivs:", "0");
        result_done(&r);

        /* Without CAP_CHOWN root cannot give a file away. */
        r = run_sh("ct-caps-chown", "touch /tmp/f; chown 1 /tmp/f || echo CHOWN-DENIED",
                   ",\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
                   "\"permitted\":[\"CAP_KILL\"]}",
                   NULL, NULL);
        expect_contains(r.out, "CHOWN-DENIED\n");
        expect_contains(r.err, "Operation not permitted");
        result_done(&r);

        /* A non-root user keeps ambient capabilities across execve. */
        r = run_sh("ct-caps-ambient", script,
                   ",\"user\":{\"uid\":1000,\"gid\":1000},\"capabilities\":{"
                   "\"bounding\":[\"CAP_NET_BIND_SERVICE\",\"CAP_KILL\"],"
                   "\"effective\":[\"CAP_NET_BIND_SERVICE\"],"
                   "\"permitted\":[\"CAP_NET_BIND_SERVICE\"],"
                   "\"inheritable\":[\"CAP_NET_BIND_SERVICE\"],"
                   "\"ambient\":[\"CAP_NET_BIND_SERVICE\"]}",
                   NULL, NULL);
        expect_status(r, 0);
        expect_line(r.out, "CapAmb:", want);
        expect_line(r.out, "CapEff:", want);
        expect_line(r.out, "CapInh:", want);
        snprintf(want, sizeof(want), "%016" PRIx64,
                 (UINT64_C(1) << CAP_NET_BIND_SERVICE) | (UINT64_C(1) << CAP_KILL));
        expect_line(r.out, "CapBnd:", want);
        result_done(&r);
}

#define SECCOMP_PROFILE                                                                        \
        ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["                    \
        "{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"    \
        "{\"names\":[\"link\",\"linkat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"     \
        "{\"names\":[\"chmod\",\"fchmodat\"],\"action\":\"SCMP_ACT_ERRNO\"},"               \
        "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\","                                \
        "\"args\":[{\"index\":1,\"value\":10,\"op\":\"SCMP_CMP_EQ\"}]}]}"

static void test_seccomp(void **state)
{
        const char *script = "grep '^Seccomp:' /proc/self/status;"
                             "mkdir /tmp/d || echo MKDIR-DENIED;"
                             "touch /tmp/f && echo TOUCH-OK;"
                             "ln /tmp/f /tmp/g || echo LINK-DENIED;"
                             "chmod 600 /tmp/f || echo CHMOD-DENIED;"
                             "kill -USR1 $$ || echo USR1-DENIED; kill -0 $$ && echo KILL0-OK;"
                             "ls -d /tmp/d";
        struct result r;

        (void) state;
        r = run_sh("ct-seccomp", script, NULL, SECCOMP_PROFILE, NULL);
        expect_line(r.out, "Seccomp:", "2");
        expect_contains(r.out, "MKDIR-DENIED\n");
        expect_contains(r.err, "mkdir: can't create directory '/tmp/d': Operation not permitted");
        expect_contains(r.out, "TOUCH-OK\n");
        /* errnoRet 13 */
        expect_contains(r.out, "LINK-DENIED\n");
        expect_contains(r.err, "Permission denied");
        /* no errnoRet: EPERM */
        expect_contains(r.out, "CHMOD-DENIED\n");
        expect_contains(r.err, "chmod: /tmp/f: Operation not permitted");
        /* an argument condition: kill(pid, SIGUSR1) only */
        expect_contains(r.out, "USR1-DENIED\nKILL0-OK\n");
        assert_int_equal(r.status, 1); /* ls of the directory that was never made */
        result_done(&r);

        /* Without no_new_privs the filter is loaded while the child still holds
         * CAP_SYS_ADMIN; it must be in force all the same. */
        r = run_sh("ct-seccomp-nnp0",
                   "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status;"
                   "mkdir /tmp/d || echo MKDIR-DENIED",
                   ",\"noNewPrivileges\":false", SECCOMP_PROFILE, NULL);
        expect_status(r, 0);
        expect_line(r.out, "NoNewPrivs:", "0");
        expect_line(r.out, "Seccomp:", "2");
        expect_contains(r.out, "MKDIR-DENIED\n");
        result_done(&r);

        /* Deny by default (EPERM), allow what busybox sh needs. */
        r = run_sh("ct-seccomp-deny", "echo ok; mkdir /tmp/d || echo MKDIR-DENIED", NULL,
                   ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{"
                   "\"action\":\"SCMP_ACT_ALLOW\",\"names\":[\"arch_prctl\",\"brk\","
                   "\"clone\",\"close\",\"dup2\",\"execve\",\"exit\",\"exit_group\","
                   "\"fcntl\",\"fstat\",\"getpid\",\"getppid\",\"getrandom\",\"getuid\","
                   "\"ioctl\",\"mmap\",\"mprotect\",\"munmap\",\"newfstatat\",\"openat\","
                   "\"prctl\",\"prlimit64\",\"read\",\"readlink\",\"rseq\","
                   "\"rt_sigaction\",\"rt_sigprocmask\",\"rt_sigreturn\",\"set_robust_list\","
                   "\"set_tid_address\",\"stat\",\"uname\",\"vfork\",\"wait4\","
                   "\"write\"]}]}",
                   NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "ok\nMKDIR-DENIED\n");
        expect_contains(r.err, "Operation not permitted");
        result_done(&r);
}

static void test_rlimits(void **state)
{
        struct result r;

        (void) state;
        r = run_sh("ct-rlimit", "ulimit -n; ulimit -Hn", NULL, NULL, NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "1024\n1024\n");
        result_done(&r);

        r = run_sh("ct-rlimit-more", "ulimit -n; cat /proc/self/limits",
                   ",\"rlimits\":["
                   "{\"type\":\"RLIMIT_NOFILE\",\"hard\":77,\"soft\":77},"
                   "{\"type\":\"RLIMIT_NPROC\",\"hard\":300,\"soft\":200},"
                   "{\"type\":\"RLIMIT_CORE\",\"hard\":0,\"soft\":0},"
                   "{\"type\":\"RLIMIT_LOCKS\",\"hard\":18446744073709551615,"
                   "\"soft\":4096}]",
                   NULL, NULL);
        expect_status(r, 0);
        if (strncmp(r.out, "77\n", 3) != 0)
                fail_msg("ulimit -n printed:\n%s", r.out);
        expect_line(r.out, "Max open files", "77                   77                   files");
        expect_line(r.out, "Max processes",
                    "200                  300                  processes");
        expect_line(r.out, "Max core file size", "0                    0                    bytes");
        expect_line(r.out, "Max file locks", "4096                 unlimited            locks");
        result_done(&r);
}

static void test_user(void **state)
{
        struct result r;

        (void) state;
        r = run_sh("ct-user",
                   "id; id -G; touch /tmp/f; stat -c '%u:%g' /tmp/f;"
                   "grep -E '^(Cap(Eff|Prm)|Groups)' /proc/self/status",
                   ",\"user\":{\"uid\":65534,\"gid\":65534,\"additionalGids\":[1,2]}", NULL,
                   NULL);
        expect_status(r, 0);
        expect_contains(r.out, "uid=65534(nobody) gid=65534(nogroup) groups=1,2\n");
        expect_contains(r.out, "\n65534 1 2\n");
        expect_contains(r.out, "\n65534:65534\n");
        expect_line(r.out, "Groups:", "1 2");
        /* A non-root process keeps no capabilities across execve without ambient ones. */
        expect_line(r.out, "CapEff:", "0000000000000000");
        expect_line(r.out, "CapPrm:", "0000000000000000");
        result_done(&r);

        /* No additionalGids: no supplementary groups at all (the agent's never leak in). */
        r = run_sh("ct-user-root", "id; grep '^Groups:' /proc/self/status; cat "
                   "/proc/self/oom_score_adj",
                   ",\"oomScoreAdj\":500", NULL, NULL);
        expect_status(r, 0);
        if (strncmp(r.out, "uid=0(root) gid=0(root)\n", 24) != 0)
                fail_msg("expected root without supplementary groups, got:\n%s", r.out);
        expect_line(r.out, "Groups:", "");
        expect_contains(r.out, "\n500\n");
        result_done(&r);
}

#define CG_ROOT "/sys/fs/cgroup"

static bool cgroup_v1(void)
{
        struct stat st;

        return stat(CG_ROOT "/memory", &st) == 0 && S_ISDIR(st.st_mode);
}

/* The container's cgroup directory on the host: of controller in v1, the one in v2. */
static char *host_cgroup_dir(const char *controller, const char *id)
{
        return cgroup_v1() ? xasprintf(CG_ROOT "/%s/cata-it/%s", controller, id)
                           : xasprintf(CG_ROOT "/cata-it/%s", id);
}

static void expect_host_cgroup(const char *controller, const char *id, const char *file,
                               const char *want)
{
        _cleanup_free_ char *dir = host_cgroup_dir(controller, id);
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        _cleanup_free_ char *got = host_file(path);

        if (!streq(got, want))
                fail_msg("host `%s` is `%s`, expected `%s`", path, got, want);
}

/* The path of /proc/self/cgroup's line for controller ("" = the unified line "0::"). */
static void expect_proc_cgroup(const char *text, const char *controller, const char *want)
{
        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                const char *c = strchr(l, ':'), *path = c ? strchr(c + 1, ':') : NULL;
                size_t n = strlen(controller);
                bool match = false;

                if (!path)
                        continue;
                if (!*controller)
                        match = path == c + 1;
                for (const char *p = c + 1; *controller && p < path; p += strcspn(p, ",:") + 1)
                        if ((size_t) (strcspn(p, ",:")) == n && strncmp(p, controller, n) == 0)
                                match = true;
                if (!match)
                        continue;
                if (strncmp(path + 1, want, strlen(want)) != 0 || path[1 + strlen(want)] != '\n')
                        fail_msg("cgroup of `%s` is `%.*s`, expected `%s`", controller,
                                 (int) strcspn(path + 1, "\n"), path + 1, want);
                return;
        }
        fail_msg("no `%s` line in /proc/self/cgroup:\n%s", controller, text);
}

static void test_cgroup_limits(void **state)
{
        const char *id = "ct-cgroup";
        _cleanup_free_ char *spec = NULL, *out = NULL, *err = NULL, *dir = NULL;
        struct ttrpc_status st = { 0 };
        struct stat sb;
        int status = -1;

        (void) state;
        spec = ct_spec(id, "[\"sleep\",\"5\"]", NULL,
                       ",\"resources\":{\"memory\":{\"limit\":67108864},"
                       "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000},"
                       "\"pids\":{\"limit\":42}}",
                       NULL);
        if (ct_create(cl, id, spec, false, &st) != 0)
                fail_msg("create: %s", st.message);
        if (ct_id_call(cl, "StartContainer", id, &st) != 0)
                fail_msg("start: %s", st.message);

        if (cgroup_v1()) {
                expect_host_cgroup("memory", id, "memory.limit_in_bytes", "67108864");
                expect_host_cgroup("cpu", id, "cpu.shares", "512");
                expect_host_cgroup("cpu", id, "cpu.cfs_quota_us", "50000");
                expect_host_cgroup("cpu", id, "cpu.cfs_period_us", "100000");
                expect_host_cgroup("pids", id, "pids.max", "42");
        } else {
                expect_host_cgroup(NULL, id, "memory.max", "67108864");
                expect_host_cgroup(NULL, id, "cpu.max", "50000 100000");
                expect_host_cgroup(NULL, id, "pids.max", "42");
        }

        /* What a process of the container sees. */
        if (ct_exec(cl, id, "cg-exec", "[\"cat\",\"/proc/self/cgroup\"]", &st) != 0)
                fail_msg("exec: %s", st.message);
        assert_int_equal(ct_read_all(cl, id, "cg-exec", false, &out, NULL), 0);
        assert_int_equal(ct_read_all(cl, id, "cg-exec", true, &err, NULL), 0);
        assert_int_equal(ct_wait(cl, id, "cg-exec", &status, &st), 0);
        assert_int_equal(status, 0);
        if (cgroup_v1()) {
                expect_proc_cgroup(out, "memory", "/cata-it/ct-cgroup");
                expect_proc_cgroup(out, "cpu", "/cata-it/ct-cgroup");
                expect_proc_cgroup(out, "pids", "/cata-it/ct-cgroup");
        }
        /* v2, or hybrid (the unified tree is joined too) */
        if (!cgroup_v1() || stat(CG_ROOT "/unified/cgroup.procs", &sb) == 0)
                expect_proc_cgroup(out, "", "/cata-it/ct-cgroup");

        if (ct_signal(cl, id, "", SIGKILL, &st) != 0)
                fail_msg("signal: %s", st.message);
        assert_int_equal(ct_wait(cl, id, "", &status, &st), 0);
        assert_int_equal(status, 128 + SIGKILL);
        if (ct_id_call(cl, "RemoveContainer", id, &st) != 0)
                fail_msg("remove: %s", st.message);
        ttrpc_status_done(&st);
        dir = host_cgroup_dir("pids", id);
        if (stat(dir, &sb) == 0)
                fail_msg("`%s` is still there after RemoveContainer", dir);
}

static void test_cgroup_pids_limit(void **state)
{
        struct result r;
        int started = 0;

        (void) state;
        /* ash gives up on the first fork that fails. */
        r = run_sh("ct-pids", "for i in 1 2 3 4 5 6 7 8; do sleep 2 & echo started; done", NULL,
                   ",\"resources\":{\"pids\":{\"limit\":5}}", NULL);
        for (const char *p = r.out; (p = strstr(p, "started\n")); p++)
                started++;
        /* sh is one of the 5 tasks: exactly 4 sleeps fit. */
        if (started != 4 || !strstr(r.err, "can't fork"))
                fail_msg("expected 4 sleeps then `can't fork` under pids.max 5; %d started, "
                         "stderr:\n%s",
                         started, r.err);
        result_done(&r);
}

/* A process exec'd into a running container shares its namespaces, mounts, cgroup and seccomp
 * profile, and gets its own identity from the exec's Process. */
static void test_exec_joins_container(void **state)
{
        const char *id = "ct-exec";
        _cleanup_free_ char *init = sh_args("echo from-init > /tmp/marker; exec sleep 5");
        _cleanup_free_ char *script = sh_args(
                "for i in $(seq 200); do [ -e /tmp/marker ] && break; usleep 10000; done;"
                "echo pid=$$; hostname; cat /tmp/marker; tr '\\0' ' ' < /proc/1/cmdline; echo;"
                "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status;"
                "mkdir /tmp/d || echo MKDIR-DENIED; pwd; echo $FOO; ulimit -n");
        _cleanup_free_ char *spec = NULL, *out = NULL, *err = NULL, *pid = NULL;
        struct ttrpc_status st = { 0 };
        int status = -1;

        (void) state;
        spec = ct_spec(id, init, ",\"cwd\":\"/tmp\",\"env\":[\"FOO=init\"]", SECCOMP_PROFILE,
                       NULL);
        if (ct_create(cl, id, spec, false, &st) != 0)
                fail_msg("create: %s", st.message);
        if (ct_id_call(cl, "StartContainer", id, &st) != 0)
                fail_msg("start: %s", st.message);
        if (ct_exec(cl, id, "probe", script, &st) != 0)
                fail_msg("exec: %s", st.message);
        assert_int_equal(ct_read_all(cl, id, "probe", false, &out, NULL), 0);
        assert_int_equal(ct_read_all(cl, id, "probe", true, &err, NULL), 0);
        assert_int_equal(ct_wait(cl, id, "probe", &status, &st), 0);
        assert_int_equal(status, 0);
        if (strncmp(out, "pid=", 4) != 0 || strncmp(out, "pid=1\n", 6) == 0)
                fail_msg("the exec'd process should be a non-1 pid of the container:\n%s", out);
        expect_contains(out, "\ncata-test\nfrom-init\nsleep 5 \n");
        expect_line(out, "NoNewPrivs:", "1");
        expect_line(out, "Seccomp:", "2");
        expect_contains(out, "MKDIR-DENIED\n");
        /* The exec's Process: cwd /, the template's env and rlimits, not the init's. */
        expect_contains(out, "\n/\n\n1024\n");
        expect_contains(err, "Operation not permitted");

        if (ct_signal(cl, id, "", SIGKILL, &st) != 0)
                fail_msg("signal: %s", st.message);
        assert_int_equal(ct_wait(cl, id, "", &status, &st), 0);
        if (ct_id_call(cl, "RemoveContainer", id, &st) != 0)
                fail_msg("remove: %s", st.message);
        ttrpc_status_done(&st);
}

/* Kata's device cgroup: deny everything, allow a few nodes (v1 devices controller). */
static void test_cgroup_devices(void **state)
{
        struct result r;

        (void) state;
        if (!cgroup_v1())
                skip();
        r = run_sh("ct-cgdev",
                   "echo x > /dev/null && echo NULL-OK; head -c 2 /dev/zero | wc -c;"
                   "head -c 1 /dev/urandom > /dev/null || echo URANDOM-DENIED;"
                   "mknod /tmp/n c 1 3 || echo MKNOD-DENIED",
                   NULL,
                   ",\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                   "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
                   "\"access\":\"rwm\"},"
                   "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,"
                   "\"access\":\"rw\"}]}",
                   NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "NULL-OK\n2\nURANDOM-DENIED\nMKNOD-DENIED\n");
        expect_contains(r.err, "Operation not permitted");
        result_done(&r);
}

/* cpuset.cpus: the container sees one cpu. */
static void test_cgroup_cpuset(void **state)
{
        struct result r;

        (void) state;
        r = run_sh("ct-cpuset", "nproc; grep '^Cpus_allowed_list:' /proc/self/status", NULL,
                   ",\"resources\":{\"cpu\":{\"cpus\":\"0\",\"mems\":\"0\"}}", NULL);
        expect_status(r, 0);
        if (strncmp(r.out, "1\n", 2) != 0)
                fail_msg("nproc under cpuset 0:\n%s", r.out);
        expect_line(r.out, "Cpus_allowed_list:", "0");
        result_done(&r);
}

/* A cgroup namespace rooted at the container's cgroup, and the spec's cgroup mount: the
 * container reads its own limits and cannot change them. */
static void test_cgroup_namespace_and_mount(void **state)
{
        const char *id = "ct-cgns";
        _cleanup_free_ char *args = NULL, *spec = NULL;
        struct result r;

        (void) state;
        args = sh_args(cgroup_v1() ? "cat /proc/self/cgroup; ls /sys/fs/cgroup;"
                                     "cat /sys/fs/cgroup/pids/cata-it/ct-cgns/pids.max;"
                                     "echo 100 > /sys/fs/cgroup/pids/cata-it/ct-cgns/pids.max"
                                     " || echo CG-RO"
                                   : "cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max;"
                                     "echo 100 > /sys/fs/cgroup/pids.max || echo CG-RO");
        spec = ct_spec(id, args, NULL,
                       ",\"resources\":{\"pids\":{\"limit\":33}},"
                       "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},"
                       "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}]",
                       NULL);
        spec = spec_add_mount(spec, "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\","
                                    "\"source\":\"cgroup\",\"options\":[\"nosuid\","
                                    "\"noexec\",\"nodev\",\"relatime\",\"ro\"]}");
        r = run_spec(id, spec);
        expect_status(r, 0);
        if (cgroup_v1()) {
                expect_proc_cgroup(r.out, "memory", "/");
                expect_proc_cgroup(r.out, "pids", "/");
                expect_contains(r.out, "memory\n");
        }
        if (!cgroup_v1() || access(CG_ROOT "/unified/cgroup.procs", F_OK) == 0)
                expect_proc_cgroup(r.out, "", "/");
        expect_contains(r.out, "\n33\n");
        expect_contains(r.out, "CG-RO\n");
        expect_contains(r.err, "Read-only file system");
        result_done(&r);
}

static void test_masked_and_readonly_paths(void **state)
{
        struct result r;

        (void) state;
        r = run_sh("ct-masked",
                   "for f in /proc/kcore /proc/keys /proc/timer_list; do"
                   " [ -e $f ] && echo \"$f $(wc -c < $f) $(stat -c '%t:%T' $f)\"; done;"
                   "echo \"firmware=$(ls -A /sys/firmware | wc -l)\";"
                   "echo x > /proc/sys/kernel/domainname || echo SYSCTL-RO;"
                   "echo h > /proc/sysrq-trigger || echo SYSRQ-RO;"
                   "grep -E ' /proc/(sys|keys|timer_list) ' /proc/self/mounts",
                   NULL, NULL, NULL);
        expect_status(r, 0);
        /* Masked files read as empty: /dev/null (1:3) bound on them. */
        expect_contains(r.out, "/proc/keys 0 1:3\n");
        if (access("/proc/timer_list", F_OK) == 0)
                expect_contains(r.out, "/proc/timer_list 0 1:3\n");
        if (access("/proc/kcore", F_OK) == 0)
                expect_contains(r.out, "/proc/kcore 0 1:3\n");
        expect_contains(r.out, "firmware=0\n");
        expect_contains(r.out, "SYSCTL-RO\n");
        expect_contains(r.out, "SYSRQ-RO\n");
        expect_contains(r.err, "Read-only file system");
        expect_mount(r.out, "/proc/sys", "proc", "ro");
        result_done(&r);
}

static void test_pid_namespace(void **state)
{
        struct result r;
        int lines = 0;

        (void) state;
        r = run_sh("ct-pidns", "echo $$; ps -o pid,comm | tail -n +2", NULL, NULL, NULL);
        expect_status(r, 0);
        if (strncmp(r.out, "1\n", 2) != 0)
                fail_msg("the init process is not pid 1:\n%s", r.out);
        for (const char *p = r.out; (p = strchr(p, '\n')); p++)
                lines++;
        /* "1", then sh (pid 1), ps and tail: nothing of the host. */
        if (lines != 4)
                fail_msg("expected only sh, ps and tail in the container, got:\n%s", r.out);
        expect_contains(r.out, "    1 sh\n");
        expect_contains(r.out, " ps\n");
        result_done(&r);
}

static void test_cwd_env(void **state)
{
        struct result r;

        (void) state;
        r = run_sh("ct-cwd", "pwd; echo $FOO; echo $HOME",
                   ",\"cwd\":\"/tmp\",\"env\":[\"PATH=/bin\",\"FOO=bar\",\"HOME=/root\"]", NULL,
                   NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "/tmp\nbar\n/root\n");
        result_done(&r);

        /* A cwd that does not exist in the image fails CreateContainer, naming it. */
        {
                _cleanup_free_ char *spec = ct_spec("ct-cwd-bad", "[\"true\"]",
                                                    ",\"cwd\":\"/nonexistent\"", NULL, NULL);
                struct ttrpc_status st = { 0 };

                assert_int_not_equal(ct_create(cl, "ct-cwd-bad", spec, false, &st), 0);
                expect_contains(st.message, "/nonexistent");
                ttrpc_status_done(&st);
        }
}

static void test_sysctl(void **state)
{
        _cleanup_free_ char *host_before = host_file("/proc/sys/kernel/shm_rmid_forced");
        _cleanup_free_ char *msgmax_before = host_file("/proc/sys/kernel/msgmax");
        _cleanup_free_ char *host_after = NULL, *msgmax_after = NULL, *lx = NULL, *want = NULL;
        const char *flip = streq(host_before, "1") ? "0" : "1";
        struct result r;

        (void) state;
        lx = xasprintf(",\"sysctl\":{\"kernel.shm_rmid_forced\":\"%s\","
                       "\"kernel.msgmax\":\"12345\"}",
                       flip);
        r = run_sh("ct-sysctl", "cat /proc/sys/kernel/shm_rmid_forced /proc/sys/kernel/msgmax",
                   NULL, lx, NULL);
        expect_status(r, 0);
        want = xasprintf("%s\n12345\n", flip);
        assert_string_equal(r.out, want);
        host_after = host_file("/proc/sys/kernel/shm_rmid_forced");
        msgmax_after = host_file("/proc/sys/kernel/msgmax");
        assert_string_equal(host_before, host_after);
        assert_string_equal(msgmax_before, msgmax_after);
        result_done(&r);
}

static void test_devices(void **state)
{
        struct result r;

        (void) state;
        r = run_sh("ct-devices",
                   "ls -l /dev/fuse; head -c 4 /dev/urandom | wc -c; head -c 3 /dev/zero | wc -c;"
                   "echo x > /dev/null && echo NULL-OK; echo x > /dev/full || echo FULL-ENOSPC;"
                   "stat -c '%n %A %t:%T' /dev/null /dev/zero /dev/random /dev/tty;"
                   "readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdout;"
                   "stat -c '%n %A %u:%g %t:%T' /dev/net/tun",
                   NULL,
                   ",\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,"
                   "\"minor\":229,\"fileMode\":438},"
                   "{\"path\":\"/dev/net/tun\",\"type\":\"c\",\"major\":10,\"minor\":200,"
                   "\"fileMode\":416,\"uid\":1,\"gid\":2}]",
                   NULL);
        expect_status(r, 0);
        if (strncmp(r.out, "crw-rw-rw-", 10) != 0 || !strstr(r.out, " 10, 229 ") ||
            !strstr(r.out, "/dev/fuse\n"))
                fail_msg("expected `crw-rw-rw- ... 10, 229 ... /dev/fuse`, got:\n%s", r.out);
        expect_contains(r.out, "\n4\n3\nNULL-OK\nFULL-ENOSPC\n");
        expect_contains(r.err, "No space left on device");
        expect_contains(r.out, "/dev/null crw-rw-rw- 1:3\n");
        expect_contains(r.out, "/dev/zero crw-rw-rw- 1:5\n");
        expect_contains(r.out, "/dev/random crw-rw-rw- 1:8\n");
        expect_contains(r.out, "/dev/tty crw-rw-rw- 5:0\n");
        expect_contains(r.out, "pts/ptmx\n/proc/self/fd\n/proc/self/fd/1\n");
        /* fileMode 0640 (416), uid 1, gid 2, major 10 = 0xa, minor 200 = 0xc8 */
        expect_contains(r.out, "/dev/net/tun crw-r----- 1:2 a:c8\n");
        result_done(&r);
}

static void test_network_namespace(void **state)
{
        _cleanup_free_ char *before = host_file("/proc/sys/net/ipv4/tcp_keepalive_time");
        _cleanup_free_ char *after = NULL;
        struct result r;

        (void) state;
        r = run_sh("ct-netns",
                   "ls /sys/class/net; ip -o link | cut -d: -f2;"
                   "cat /proc/sys/net/ipv4/tcp_keepalive_time",
                   NULL,
                   ",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
                   "{\"type\":\"mount\"},{\"type\":\"network\"}],"
                   "\"sysctl\":{\"net.ipv4.tcp_keepalive_time\":\"1234\"}",
                   NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "lo\n lo\n1234\n");
        /* The net sysctl went to the container's namespace, not the host's. */
        after = host_file("/proc/sys/net/ipv4/tcp_keepalive_time");
        if (!streq(before, after)) {
                FILE *f = fopen("/proc/sys/net/ipv4/tcp_keepalive_time", "w");
                if (f) {
                        fputs(before, f);
                        fclose(f);
                }
                fail_msg("the host's tcp_keepalive_time changed from %s to %s", before, after);
        }
        result_done(&r);

        /* Without one, the container shares the agent's interfaces. */
        r = run_sh("ct-hostnet", "ls /sys/class/net", NULL, NULL, NULL);
        expect_status(r, 0);
        if (access("/sys/class/net/eth0", F_OK) == 0)
                expect_contains(r.out, "eth0\n");
        result_done(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hostname),
                cmocka_unit_test(test_mounts),
                cmocka_unit_test(test_bind_mounts),
                cmocka_unit_test(test_capabilities),
                cmocka_unit_test(test_seccomp),
                cmocka_unit_test(test_rlimits),
                cmocka_unit_test(test_user),
                cmocka_unit_test(test_cgroup_limits),
                cmocka_unit_test(test_cgroup_pids_limit),
                cmocka_unit_test(test_cgroup_devices),
                cmocka_unit_test(test_cgroup_cpuset),
                cmocka_unit_test(test_cgroup_namespace_and_mount),
                cmocka_unit_test(test_exec_joins_container),
                cmocka_unit_test(test_masked_and_readonly_paths),
                cmocka_unit_test(test_pid_namespace),
                cmocka_unit_test(test_cwd_env),
                cmocka_unit_test(test_sysctl),
                cmocka_unit_test(test_devices),
                cmocka_unit_test(test_network_namespace),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
