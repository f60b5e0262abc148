/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Engine features seen from inside real containers: each test runs busybox commands in a
 * container started by the real agent and asserts what the container itself sees (hostname,
 * mounts, binds, capabilities, seccomp, rlimits, user, cgroups, masked and read-only paths, pid
 * and network namespaces, cwd/env, sysctls, devices).
 *
 * Spec variations are spliced into the template of containers.c. A spliced key the template
 * already has (capabilities, rlimits, namespaces...) replaces it: jansson keeps the last of
 * duplicate keys. Fragments are written with ' for " (see dq()).
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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup"

static struct agent_proc agent;
static struct ttrpc_client *cl;

static int setup(void **state)
{
        (void) state;
        cl = ct_agent_start(&agent, "");
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        ct_agent_stop(&agent, cl);
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

/* A JSON fragment written with ' instead of " (malloc'd; NULL stays NULL). */
static char *dq(const char *s)
{
        char *out = s ? xstrdup(s) : NULL;

        for (char *p = out; p && *p; p++)
                if (*p == '\'')
                        *p = '"';
        return out;
}

/* `["sh","-c","<script>"]` with the script escaped for JSON. */
static char *sh_args(const char *script)
{
        _cleanup_free_ char *esc = xmalloc(strlen(script) * 2 + 1);
        char *p = esc;

        for (const char *s = script; *s; s++) {
                if (*s == '"' || *s == '\\')
                        *p++ = '\\';
                *p++ = *s;
        }
        *p = '\0';
        return xasprintf("[\"sh\",\"-c\",\"%s\"]", esc);
}

/* The template with `sh -c script` and the fragments spliced in. */
static char *sh_spec(const char *id, const char *script, const char *process_extra,
                     const char *linux_extra)
{
        _cleanup_free_ char *args = sh_args(script), *px = dq(process_extra);
        _cleanup_free_ char *lx = dq(linux_extra);

        return ct_spec(id, args, px, lx, NULL);
}

/* Create, start, read both streams, wait, remove into *r (whose old content goes): asserts each
 * RPC succeeds. */
static void run_spec(struct result *r, const char *id, const char *spec)
{
        result_done(r);
        ct_run(cl, id, spec, &r->out, &r->err, &r->status);
}

static void run_sh(struct result *r, const char *id, const char *script, const char *process_extra,
                   const char *linux_extra)
{
        _cleanup_free_ char *spec = sh_spec(id, script, process_extra, linux_extra);

        run_spec(r, id, spec);
}

/* run_sh() with one more mount (a JSON object, ' for ", printf format) after the template's. */
static void __attribute__((format(printf, 5, 6)))
run_with_mount(struct result *r, const char *id, const char *script, const char *linux_extra,
               const char *fmt, ...)
{
        _cleanup_free_ char *spec = sh_spec(id, script, NULL, linux_extra), *m = NULL;
        _cleanup_free_ char *mount = NULL, *full = NULL;
        const char *at = strstr(spec, "],\"linux\":");
        va_list ap;

        va_start(ap, fmt);
        assert_true(vasprintf(&m, fmt, ap) >= 0);
        va_end(ap);
        mount = dq(m);
        assert_non_null(at);
        full = xasprintf("%.*s,%s%s", (int) (at - spec), spec, mount, at);
        run_spec(r, id, full);
}

/* For containers that keep running while the test looks at them. */
static void start_spec(const char *id, const char *spec)
{
        struct ttrpc_status st = { 0 };

        if (ct_create(cl, id, spec, false, &st) != 0)
                fail_msg("create `%s`: %s", id, st.message);
        if (ct_id_call(cl, "StartContainer", id, &st) != 0)
                fail_msg("start `%s`: %s", id, st.message);
        ttrpc_status_done(&st);
}

static void exec_sh(struct result *r, const char *id, const char *eid, const char *script)
{
        _cleanup_free_ char *args = sh_args(script);
        struct ttrpc_status st = { 0 };

        result_done(r);
        if (ct_exec(cl, id, eid, args, &st) != 0)
                fail_msg("exec `%s` in `%s`: %s", eid, id, st.message);
        assert_int_equal(ct_read_all(cl, id, eid, false, &r->out, NULL), 0);
        assert_int_equal(ct_read_all(cl, id, eid, true, &r->err, NULL), 0);
        if (ct_wait(cl, id, eid, &r->status, &st) != 0)
                fail_msg("wait `%s`: %s", eid, st.message);
        ttrpc_status_done(&st);
}

/* SIGKILL to the container, wait for its init, remove it. Returns the init's status. */
static int kill_and_remove(const char *id)
{
        struct ttrpc_status st = { 0 };
        int status = -1;

        if (ct_signal(cl, id, "", SIGKILL, &st) != 0)
                fail_msg("signal `%s`: %s", id, st.message);
        if (ct_wait(cl, id, "", &status, &st) != 0)
                fail_msg("wait `%s`: %s", id, st.message);
        if (ct_id_call(cl, "RemoveContainer", id, &st) != 0)
                fail_msg("remove `%s`: %s", id, st.message);
        ttrpc_status_done(&st);
        return status;
}

/* The exit status, with both streams in the message when it is not the expected one. */
#define expect_status(r, want)                                                            \
        do {                                                                              \
                if ((r).status != (want))                                                 \
                        fail_msg("exit status %d, expected %d; stdout:\n%s\nstderr:\n%s", \
                                 (r).status, (want), (r).out, (r).err);                   \
        } while (0)

#define expect_contains(hay, needle)                                        \
        do {                                                                \
                if (!strstr((hay), (needle)))                               \
                        fail_msg("expected `%s` in:\n%s", (needle), (hay)); \
        } while (0)

static const char *next_line(const char *l)
{
        const char *nl = strchr(l, '\n');

        return nl ? nl + 1 : l + strlen(l);
}

/* The rest of the first line that starts with key, blanks around it trimmed, in buf. */
static bool line_value(const char *text, const char *key, char *buf, size_t size)
{
        for (const char *l = text; *l; l = next_line(l)) {
                size_t n;

                if (strncmp(l, key, strlen(key)) != 0)
                        continue;
                l += strlen(key);
                l += strspn(l, " \t");
                snprintf(buf, size, "%.*s", (int) strcspn(l, "\n"), l);
                for (n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--)
                        buf[n - 1] = '\0';
                return true;
        }
        return false;
}

#define expect_line(text, key, want)                                                \
        do {                                                                        \
                char v_[256];                                                       \
                if (!line_value((text), (key), v_, sizeof(v_)))                     \
                        fail_msg("no line `%s` in:\n%s", (key), (text));            \
                if (strcmp(v_, (want)) != 0)                                        \
                        fail_msg("`%s` is `%s`, expected `%s`", (key), v_, (want)); \
        } while (0)

/* The last line of /proc/self/mounts on dest (the mount visible there) has type (unless NULL)
 * and option opt (unless NULL). */
static void expect_mount(const char *mounts, const char *dest, const char *type, const char *opt)
{
        char dst[256], t[64], opts[512], found[600] = "", want[64];
        size_t n = type ? strlen(type) : 0;

        for (const char *l = mounts; *l; l = next_line(l))
                if (sscanf(l, "%*s %255s %63s %511s", dst, t, opts) == 3 && streq(dst, dest))
                        snprintf(found, sizeof(found), "%s ,%s,", t, opts);
        snprintf(want, sizeof(want), ",%s,", opt ? opt : "");
        if (!found[0])
                fail_msg("no mount on `%s` in:\n%s", dest, mounts);
        if ((type && (strncmp(found, type, n) != 0 || found[n] != ' ')) ||
            (opt && !strstr(found, want)))
                fail_msg("mount on `%s` is `%s`, expected type `%s` with option `%s`", dest, found,
                         type ? type : "any", opt ? opt : "any");
}

/* The first line of a host file. */
static char *host_file(const char *path)
{
        _cleanup_free_ char *s = NULL;

        if (read_file(path, 1 << 16, &s, NULL) < 0)
                fail_msg("cannot read host file `%s`", path);
        s[strcspn(s, "\n")] = '\0';
        return TAKE_PTR(s);
}

static void write_host_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

/* ---- tests ---- */

static void test_hostname(void **state)
{
        char before[256] = "", after[256] = "";
        _cleanup_free_ char *spec = NULL;
        struct ttrpc_status st = { 0 };
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        assert_int_equal(gethostname(before, sizeof(before)), 0);
        run_sh(&r, "ct-hostname", "hostname; cat /proc/sys/kernel/hostname", NULL, NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "cata-test\ncata-test\n");
        assert_int_equal(gethostname(after, sizeof(after)), 0);
        assert_string_equal(before, after); /* a UTS namespace: the host keeps its name */

        /* Without a UTS namespace the hostname must never rename the host (Kata's validator
         * refuses such a spec; ignoring the field is safe too). */
        spec = sh_spec("ct-hostname-nouts", "hostname", NULL,
                       ",'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'mount'}]");
        if (ct_create(cl, "ct-hostname-nouts", spec, false, &st) == 0)
                assert_int_equal(ct_id_call(cl, "RemoveContainer", "ct-hostname-nouts", &st), 0);
        ttrpc_status_done(&st);
        assert_int_equal(gethostname(after, sizeof(after)), 0);
        assert_string_equal(before, after);
}

static void test_mounts(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_with_mount(&r, "ct-mounts",
                       "cat /proc/self/mounts; touch /x || echo ROOT-RO;"
                       "touch /tmp/y && echo TMP-RW;"
                       "echo \"small=$(stat -c %a /small) $(df -k /small | tail -n 1)\"",
                       NULL,
                       "{'destination':'/small','type':'tmpfs','source':'tmpfs',"
                       "'options':['nosuid','noexec','size=1m','mode=700']}");
        expect_status(r, 0);
        expect_mount(r.out, "/proc", "proc", "rw");
        expect_mount(r.out, "/dev", "tmpfs", "nosuid");
        expect_mount(r.out, "/dev/pts", "devpts", "noexec");
        expect_mount(r.out, "/dev/shm", "tmpfs", "nodev");
        expect_mount(r.out, "/dev/mqueue", "mqueue", "nosuid");
        expect_mount(r.out, "/sys", "sysfs", "ro");
        expect_mount(r.out, "/tmp", "tmpfs", "rw");
        expect_mount(r.out, "/small", "tmpfs", "noexec");
        expect_mount(r.out, "/", NULL, "ro");
        /* pivot_root detached the host's mounts. */
        if (strstr(r.out, " /sys/fs/cgroup") || strstr(r.out, agent.dir))
                fail_msg("host mounts are visible in the container:\n%s", r.out);
        expect_contains(r.out, "ROOT-RO\nTMP-RW\n");
        expect_contains(r.err, "touch: /x: Read-only file system");
        if (!strstr(r.out, "small=700 tmpfs") || !strstr(r.out, " 1024 "))
                fail_msg("expected /small with mode 700 and 1024 KiB, got:\n%s", r.out);
}

static void test_bind_mounts(void **state)
{
        char dir[] = "/tmp/cata-bind-XXXXXX", link[PATH_MAX], esc[64];
        _cleanup_free_ char *file = NULL, *written = NULL, *blocked = NULL, *got = NULL;
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        assert_non_null(mkdtemp(dir));
        file = xasprintf("%s/f", dir);
        written = xasprintf("%s/g", dir);
        blocked = xasprintf("%s/h", dir);
        write_host_file(file, "hello-bind\n");

        /* Read-write: the host sees what the container writes. */
        run_with_mount(&r, "ct-bind-rw", "cat /mnt/data/f; echo from-ct > /mnt/data/g && echo W-OK",
                       NULL,
                       "{'destination':'/mnt/data','type':'bind','source':'%s',"
                       "'options':['rbind','rw']}",
                       dir);
        expect_status(r, 0);
        assert_string_equal(r.out, "hello-bind\nW-OK\n");
        got = host_file(written);
        assert_string_equal(got, "from-ct");

        /* Read-only, and a read-only bind of a single file over an image file. */
        run_with_mount(&r, "ct-bind-ro",
                       "cat /mnt/data/f /etc/hosts; cat /proc/self/mounts;"
                       "echo x > /mnt/data/h || echo W-FAIL; echo x > /etc/hosts || echo F-FAIL",
                       NULL,
                       "{'destination':'/mnt/data','type':'bind','source':'%s','options':['bind',"
                       "'ro']},{'destination':'/etc/hosts','type':'bind','source':'%s',"
                       "'options':['bind','ro']}",
                       dir, file);
        expect_status(r, 0);
        if (strncmp(r.out, "hello-bind\nhello-bind\n", 22) != 0)
                fail_msg("expected the bound content twice, got:\n%s", r.out);
        expect_contains(r.out, "W-FAIL\nF-FAIL\n");
        expect_contains(r.err, "Read-only file system");
        expect_mount(r.out, "/mnt/data", NULL, "ro");
        expect_mount(r.out, "/etc/hosts", NULL, "ro");
        if (access(blocked, F_OK) == 0)
                fail_msg("the container wrote `%s` through a read-only bind", blocked);

        /* A symlink in the image cannot send a mount out of the rootfs: /escape points at a
         * host path, which must be resolved inside the container instead. */
        snprintf(esc, sizeof(esc), "/tmp/cata-escape-%d", (int) getpid());
        snprintf(link, sizeof(link), "%s/escape", ct_rootfs());
        assert_int_equal(symlink(esc, link), 0);
        run_with_mount(&r, "ct-bind-link", "cat /escape/f; cat /proc/self/mounts", NULL,
                       "{'destination':'/escape','type':'bind','source':'%s'}", dir);
        unlink(link);
        if (rmdir(esc) == 0)
                fail_msg("a bind through a symlink of the image created the host's `%s`", esc);
        expect_status(r, 0);
        expect_contains(r.out, "hello-bind\n");
        expect_mount(r.out, esc, NULL, NULL);

        unlink(file);
        unlink(written);
        assert_int_equal(rmdir(dir), 0);
}

/* The template's 14 capabilities (Docker's default set). */
static uint64_t template_caps(void)
{
        static const int caps[] = {
                CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,      CAP_FOWNER,          CAP_MKNOD,
                CAP_NET_RAW, CAP_SETGID,       CAP_SETUID,      CAP_SETFCAP,         CAP_SETPCAP,
                CAP_KILL,    CAP_SYS_CHROOT,   CAP_AUDIT_WRITE, CAP_NET_BIND_SERVICE
        };
        uint64_t mask = 0;

        for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
                mask |= UINT64_C(1) << caps[i];
        return mask;
}

static void test_capabilities(void **state)
{
        const char *script = "grep -E '^(Cap|NoNewPrivs)' /proc/self/status";
        char want[32];
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        snprintf(want, sizeof(want), "%016" PRIx64, template_caps());
        run_sh(&r, "ct-caps", script, NULL, NULL);
        expect_status(r, 0);
        expect_line(r.out, "CapEff:", want);
        expect_line(r.out, "CapPrm:", want);
        expect_line(r.out, "CapBnd:", want);
        expect_line(r.out, "CapInh:", "0000000000000000");
        expect_line(r.out, "CapAmb:", "0000000000000000");
        expect_line(r.out, "NoNewPrivs:", "1");

        /* Only CAP_NET_BIND_SERVICE, and no_new_privs off. */
        snprintf(want, sizeof(want), "%016" PRIx64, UINT64_C(1) << CAP_NET_BIND_SERVICE);
        run_sh(&r, "ct-caps-few", script,
               ",'noNewPrivileges':false,'capabilities':{'bounding':['CAP_NET_BIND_SERVICE'],"
               "'effective':['CAP_NET_BIND_SERVICE'],'permitted':['CAP_NET_BIND_SERVICE']}",
               NULL);
        expect_status(r, 0);
        expect_line(r.out, "CapBnd:", want);
        expect_line(r.out, "CapEff:", want);
        expect_line(r.out, "CapPrm:", want);
        expect_line(r.out, "NoNewPrivs:", "0");

        /* A non-root user keeps ambient capabilities across execve. */
        run_sh(&r, "ct-caps-ambient", script,
               ",'user':{'uid':1000,'gid':1000},'capabilities':{"
               "'bounding':['CAP_NET_BIND_SERVICE','CAP_KILL'],"
               "'effective':['CAP_NET_BIND_SERVICE'],'permitted':['CAP_NET_BIND_SERVICE'],"
               "'inheritable':['CAP_NET_BIND_SERVICE'],'ambient':['CAP_NET_BIND_SERVICE']}",
               NULL);
        expect_status(r, 0);
        expect_line(r.out, "CapAmb:", want);
        expect_line(r.out, "CapEff:", want);
        expect_line(r.out, "CapInh:", want);
        snprintf(want, sizeof(want), "%016" PRIx64,
                 (UINT64_C(1) << CAP_NET_BIND_SERVICE) | (UINT64_C(1) << CAP_KILL));
        expect_line(r.out, "CapBnd:", want);
}

#define SECCOMP_PROFILE                                                              \
        ",'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["                  \
        "{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO','errnoRet':1},"      \
        "{'names':['link','linkat'],'action':'SCMP_ACT_ERRNO','errnoRet':13},"       \
        "{'names':['chmod','fchmodat'],'action':'SCMP_ACT_ERRNO'},"                  \
        "{'names':['kill'],'action':'SCMP_ACT_ERRNO','args':[{'index':1,'value':10," \
        "'op':'SCMP_CMP_EQ'}]}]}"

static void test_seccomp(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_sh(&r, "ct-seccomp",
               "grep '^Seccomp:' /proc/self/status; mkdir /tmp/d || echo MKDIR-DENIED;"
               "touch /tmp/f && echo TOUCH-OK; ln /tmp/f /tmp/g || echo LINK-DENIED;"
               "chmod 600 /tmp/f || echo CHMOD-DENIED;"
               "kill -USR1 $$ || echo USR1-DENIED; kill -0 $$ && echo KILL0-OK; ls -d /tmp/d",
               NULL, SECCOMP_PROFILE);
        expect_line(r.out, "Seccomp:", "2");
        expect_contains(r.out, "MKDIR-DENIED\nTOUCH-OK\nLINK-DENIED\nCHMOD-DENIED\n");
        expect_contains(r.err, "mkdir: can't create directory '/tmp/d': Operation not permitted");
        expect_contains(r.err, "ln: /tmp/g: Permission denied");          /* errnoRet 13 */
        expect_contains(r.err, "chmod: /tmp/f: Operation not permitted"); /* no errnoRet */
        /* an argument condition: kill(pid, SIGUSR1) only */
        expect_contains(r.out, "USR1-DENIED\nKILL0-OK\n");
        expect_status(r, 1); /* ls of the directory that was never made */

        /* Without no_new_privs the filter is loaded while the child still holds
         * CAP_SYS_ADMIN; it must be in force all the same. */
        run_sh(&r, "ct-seccomp-nnp0",
               "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status;"
               "mkdir /tmp/d || echo MKDIR-DENIED",
               ",'noNewPrivileges':false", SECCOMP_PROFILE);
        expect_status(r, 0);
        expect_line(r.out, "NoNewPrivs:", "0");
        expect_line(r.out, "Seccomp:", "2");
        expect_contains(r.out, "MKDIR-DENIED\n");

        /* SCMP_ACT_KILL_PROCESS: the process dies of SIGSYS. */
        run_sh(&r, "ct-seccomp-kill", "exec mkdir /tmp/d", NULL,
               ",'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir',"
               "'mkdirat'],'action':'SCMP_ACT_KILL_PROCESS'}]}");
        expect_status(r, 128 + SIGSYS);
}

static void test_rlimits(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_sh(&r, "ct-rlimit", "ulimit -n; ulimit -Hn", NULL, NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "1024\n1024\n");

        /* (Hard limits stay within the agent's: raising one needs CAP_SYS_RESOURCE.) */
        run_sh(&r, "ct-rlimit-more", "ulimit -n; cat /proc/self/limits",
               ",'rlimits':[{'type':'RLIMIT_NOFILE','hard':77,'soft':77},"
               "{'type':'RLIMIT_NPROC','hard':300,'soft':200},"
               "{'type':'RLIMIT_CORE','hard':0,'soft':0},"
               "{'type':'RLIMIT_LOCKS','hard':18446744073709551615,'soft':4096}]",
               NULL);
        expect_status(r, 0);
        if (strncmp(r.out, "77\n", 3) != 0)
                fail_msg("ulimit -n printed:\n%s", r.out);
        expect_line(r.out, "Max open files", "77                   77                   files");
        expect_line(r.out, "Max processes", "200                  300                  processes");
        expect_line(r.out, "Max core file size", "0                    0                    bytes");
        expect_line(r.out, "Max file locks", "4096                 unlimited            locks");
}

static void test_user(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_sh(&r, "ct-user",
               "id; id -G; touch /tmp/f; stat -c '%u:%g' /tmp/f;"
               "grep -E '^(Cap(Eff|Prm)|Groups)' /proc/self/status",
               ",'user':{'uid':65534,'gid':65534,'additionalGids':[1,2]}", NULL);
        expect_status(r, 0);
        expect_contains(r.out, "uid=65534(nobody) gid=65534(nogroup) groups=1,2\n65534 1 2\n");
        expect_contains(r.out, "\n65534:65534\n");
        expect_line(r.out, "Groups:", "1 2");
        /* A non-root process keeps no capabilities across execve without ambient ones. */
        expect_line(r.out, "CapEff:", "0000000000000000");
        expect_line(r.out, "CapPrm:", "0000000000000000");

        /* No additionalGids: no supplementary groups at all (the agent's never leak in). */
        run_sh(&r, "ct-user-root",
               "id; grep '^Groups:' /proc/self/status; cat /proc/self/oom_score_adj",
               ",'oomScoreAdj':500", NULL);
        expect_status(r, 0);
        if (strncmp(r.out, "uid=0(root) gid=0(root)\n", 24) != 0)
                fail_msg("expected root without supplementary groups, got:\n%s", r.out);
        expect_line(r.out, "Groups:", "");
        expect_contains(r.out, "\n500\n");
}

static bool cgroup_v1(void)
{
        struct stat st;

        return stat(CG_ROOT "/memory", &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether the container's processes are expected in the unified tree too (v2, or hybrid). */
static bool cgroup_unified(void)
{
        return !cgroup_v1() || access(CG_ROOT "/unified/cgroup.procs", F_OK) == 0;
}

static void expect_host_cgroup(const char *controller, const char *path, const char *file,
                               const char *want)
{
        _cleanup_free_ char *p = cgroup_v1() ? xasprintf(CG_ROOT "/%s%s/%s", controller, path, file)
                                             : xasprintf(CG_ROOT "%s/%s", path, file);
        _cleanup_free_ char *got = host_file(p);

        if (!streq(got, want))
                fail_msg("host `%s` is `%s`, expected `%s`", p, got, want);
}

/* /proc/self/cgroup has the line "N:controller:want" ("0::want" for "", the unified tree). */
static void expect_proc_cgroup(const char *text, const char *controller, const char *want)
{
        _cleanup_free_ char *line = *controller ? xasprintf(":%s:%s\n", controller, want)
                                                : xasprintf("\n0::%s\n", want);
        _cleanup_free_ char *t = xasprintf("\n%s", text);

        if (!strstr(t, line))
                fail_msg("expected `%s` in /proc/self/cgroup:\n%s", line + (*line == '\n'), text);
}

static void test_cgroup_limits(void **state)
{
        const char *id = "ct-cgroup";
        _cleanup_free_ char *path = xasprintf("/%s/ct-cgroup", ct_cgroup_parent());
        _cleanup_free_ char *lx = NULL, *spec = NULL, *dir = NULL;
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        lx = dq(",'resources':{'memory':{'limit':67108864},"
                "'cpu':{'shares':512,'quota':50000,'period':100000,'cpus':'0','mems':'0'},"
                "'pids':{'limit':42}}");
        spec = ct_spec(id, "[\"sleep\",\"5\"]", NULL, lx, NULL);
        start_spec(id, spec);
        if (cgroup_v1()) {
                expect_host_cgroup("memory", path, "memory.limit_in_bytes", "67108864");
                expect_host_cgroup("cpu", path, "cpu.shares", "512");
                expect_host_cgroup("cpu", path, "cpu.cfs_quota_us", "50000");
                expect_host_cgroup("cpu", path, "cpu.cfs_period_us", "100000");
                expect_host_cgroup("pids", path, "pids.max", "42");
                expect_host_cgroup("cpuset", path, "cpuset.cpus", "0");
        } else {
                expect_host_cgroup(NULL, path, "memory.max", "67108864");
                expect_host_cgroup(NULL, path, "cpu.max", "50000 100000");
                expect_host_cgroup(NULL, path, "pids.max", "42");
        }

        /* What a process of the container sees. */
        exec_sh(&r, id, "cg-exec", "cat /proc/self/cgroup; echo \"cpus=$(nproc)\"");
        expect_status(r, 0);
        expect_contains(r.out, "cpus=1\n"); /* cpuset.cpus 0 */
        if (cgroup_v1()) {
                expect_proc_cgroup(r.out, "memory", path);
                expect_proc_cgroup(r.out, "pids", path);
        }
        if (cgroup_unified())
                expect_proc_cgroup(r.out, "", path);

        assert_int_equal(kill_and_remove(id), 128 + SIGKILL);
        dir = cgroup_v1() ? xasprintf(CG_ROOT "/pids%s", path) : xasprintf(CG_ROOT "%s", path);
        if (access(dir, F_OK) == 0)
                fail_msg("`%s` is still there after RemoveContainer", dir);
}

static void test_cgroup_pids_limit(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };
        int started = 0;

        (void) state;
        /* ash gives up on the first fork that fails. */
        run_sh(&r, "ct-pids", "for i in 1 2 3 4 5 6 7 8; do sleep 2 & echo started; done", NULL,
               ",'resources':{'pids':{'limit':5}}");
        for (const char *p = r.out; (p = strstr(p, "started\n")); p++)
                started++;
        /* sh is one of the 5 tasks: exactly 4 sleeps fit. */
        if (started != 4 || !strstr(r.err, "can't fork"))
                fail_msg("expected 4 sleeps then `can't fork` under pids.max 5; %d started, "
                         "stderr:\n%s",
                         started, r.err);
}

/* Kata's device cgroup: deny everything, allow what the spec lists (v1 devices controller).
 * runc's defaults (mknod of any node, null, zero, urandom, tty, ptys, tun...) stay allowed. */
static void test_cgroup_devices(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        if (!cgroup_v1())
                skip();
        /* `true` with a redirection opens the node and closes it: nothing is read or written
         * (and, unlike `:`, a failed redirection does not end the shell). */
        run_sh(&r, "ct-cgdev",
               "echo x > /dev/null && echo NULL-OK; head -c 2 /dev/urandom | wc -c;"
               "true < /dev/fuse && echo FUSE-R-OK; true > /dev/fuse || echo FUSE-W-DENIED;"
               "true < /dev/loop-control || echo LOOP-DENIED",
               NULL,
               ",'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229},"
               "{'path':'/dev/loop-control','type':'c','major':10,'minor':237}],"
               "'resources':{'devices':[{'allow':false,'access':'rwm'},"
               "{'allow':true,'type':'c','major':10,'minor':229,'access':'r'}]}");
        expect_status(r, 0);
        assert_string_equal(r.out, "NULL-OK\n2\nFUSE-R-OK\nFUSE-W-DENIED\nLOOP-DENIED\n");
        expect_contains(r.err, "can't create /dev/fuse: Operation not permitted");
        expect_contains(r.err, "can't open /dev/loop-control: Operation not permitted");
}

/* A cgroup namespace rooted at the container's cgroup, and the spec's cgroup mount: the
 * container reads its own limit and cannot change it. Where: v2, or the v1 layout of Kata's
 * agent and runc (its own cgroup bound at /sys/fs/cgroup/<controller>, see rootfs.h). */
static void test_cgroup_namespace_and_mount(void **state)
{
        _cleanup_free_ char *script =
                xstrdup("for f in /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max; do "
                        "[ -e $f ] && break; done; cat /proc/self/cgroup; ls /sys/fs/cgroup; "
                        "cat $f; echo 9 > $f || echo CG-RO");
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_with_mount(&r, "ct-cgns", script,
                       ",'resources':{'pids':{'limit':33}},'namespaces':[{'type':'pid'},"
                       "{'type':'ipc'},{'type':'uts'},{'type':'mount'},{'type':'cgroup'}]",
                       "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup',"
                       "'options':['nosuid','noexec','nodev','relatime','ro']}");
        expect_status(r, 0);
        if (cgroup_v1()) {
                expect_proc_cgroup(r.out, "memory", "/");
                expect_proc_cgroup(r.out, "pids", "/");
                expect_contains(r.out, "\nmemory\n");
        }
        if (cgroup_unified())
                expect_proc_cgroup(r.out, "", "/");
        expect_contains(r.out, "\n33\nCG-RO\n");
        expect_contains(r.err, "Read-only file system");
}

/* A process exec'd into a running container shares its namespaces, mounts, cgroup and seccomp
 * profile, and gets its own identity, cwd and env from the exec's Process. */
static void test_exec_joins_container(void **state)
{
        char *spec = sh_spec("ct-exec", "echo from-init > /tmp/marker; exec sleep 5",
                             ",'cwd':'/tmp','env':['FOO=init']", SECCOMP_PROFILE);
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        start_spec("ct-exec", spec);
        free(spec);
        exec_sh(&r, "ct-exec", "probe",
                "for i in $(seq 200); do [ -e /tmp/marker ] && break; usleep 10000; done;"
                "echo pid=$$; hostname; cat /tmp/marker; tr '\\0' ' ' < /proc/1/cmdline; echo;"
                "grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status;"
                "mkdir /tmp/d || echo MKDIR-DENIED; pwd; echo \"FOO=$FOO\"; ulimit -n;"
                "echo fds $(ls /proc/self/fd)");
        expect_status(r, 0);
        if (strncmp(r.out, "pid=", 4) != 0 || strncmp(r.out, "pid=1\n", 6) == 0)
                fail_msg("the exec'd process should be a non-1 pid of the container:\n%s", r.out);
        expect_contains(r.out, "\ncata-test\nfrom-init\nsleep 5 \n");
        expect_line(r.out, "NoNewPrivs:", "1");
        expect_line(r.out, "Seccomp:", "2");
        expect_contains(r.out, "MKDIR-DENIED\n/\nFOO=\n1024\nfds 0 1 2 3\n");
        expect_contains(r.err, "Operation not permitted");
        kill_and_remove("ct-exec");
}

static void test_masked_and_readonly_paths(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_sh(&r, "ct-masked",
               "for f in /proc/kcore /proc/keys /proc/timer_list; do"
               " [ -e $f ] && echo \"$f $(wc -c < $f) $(stat -c '%t:%T' $f)\"; done;"
               "echo \"firmware=$(ls -A /sys/firmware | wc -l)\";"
               "echo x > /proc/sys/kernel/domainname || echo SYSCTL-RO;"
               "cat /proc/self/mounts",
               NULL, NULL);
        expect_status(r, 0);
        /* Masked files read as empty: /dev/null (1:3) is bound on them. */
        expect_contains(r.out, "/proc/keys 0 1:3\n");
        if (access("/proc/timer_list", F_OK) == 0)
                expect_contains(r.out, "/proc/timer_list 0 1:3\n");
        if (access("/proc/kcore", F_OK) == 0)
                expect_contains(r.out, "/proc/kcore 0 1:3\n");
        /* A masked directory is an empty read-only tmpfs. */
        expect_contains(r.out, "firmware=0\n");
        expect_mount(r.out, "/sys/firmware", "tmpfs", "ro");
        expect_contains(r.out, "SYSCTL-RO\n");
        expect_contains(r.err, "Read-only file system");
        expect_mount(r.out, "/proc/sys", "proc", "ro");
        if (access("/proc/sysrq-trigger", F_OK) == 0) /* (kernels without MAGIC_SYSRQ) */
                expect_mount(r.out, "/proc/sysrq-trigger", "proc", "ro");
}

static void test_pid_namespace(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };
        int lines = 0;

        (void) state;
        run_sh(&r, "ct-pidns", "echo $$; ps -o pid,comm > /tmp/ps; tail -n +2 /tmp/ps", NULL, NULL);
        expect_status(r, 0);
        for (const char *p = r.out; (p = strchr(p, '\n')); p++)
                lines++;
        /* "1", then sh (pid 1) and ps: nothing of the host. */
        if (strncmp(r.out, "1\n    1 sh\n", 11) != 0 || !strstr(r.out, " ps\n") || lines != 3)
                fail_msg("expected sh as pid 1 and only sh and ps in the container, got:\n%s",
                         r.out);
}

static void test_cwd_env(void **state)
{
        _cleanup_free_ char *spec = NULL;
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_sh(&r, "ct-cwd", "pwd; echo $FOO; echo $HOME",
               ",'cwd':'/tmp','env':['PATH=/bin','FOO=bar','HOME=/root']", NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "/tmp\nbar\n/root\n");

        /* Exactly the spec's environment: none of the agent's. */
        spec = ct_spec("ct-env", "[\"env\"]", NULL, NULL, NULL);
        run_spec(&r, "ct-env", spec);
        expect_status(r, 0);
        assert_string_equal(r.out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nHOME=/root\n");

        /* No descriptor of the agent's (3 is ls's own directory). */
        run_sh(&r, "ct-fds", "ls /proc/self/fd", NULL, NULL);
        expect_status(r, 0);
        assert_string_equal(r.out, "0\n1\n2\n3\n");
}

/* The host file still holds before; if not, it is restored and the test fails. */
static void expect_host_unchanged(const char *path, const char *before, const char *why)
{
        _cleanup_free_ char *now = host_file(path);

        if (streq(now, before))
                return;
        write_host_file(path, before);
        fail_msg("%s: host `%s` changed from %s to %s (restored)", why, path, before, now);
}

static void test_sysctl(void **state)
{
        const char *rmid = "/proc/sys/kernel/shm_rmid_forced", *msgmax = "/proc/sys/kernel/msgmax";
        _cleanup_free_ char *rmid0 = host_file(rmid), *msgmax0 = host_file(msgmax);
        _cleanup_free_ char *lx = NULL, *want = NULL, *spec = NULL;
        const char *flip = streq(rmid0, "1") ? "0" : "1";
        _cleanup_(result_done) struct result r = { 0 };
        struct ttrpc_status st = { 0 };
        int code;

        (void) state;
        lx = xasprintf(",'sysctl':{'kernel.shm_rmid_forced':'%s','kernel.msgmax':'12345'}", flip);
        run_sh(&r, "ct-sysctl", "cat /proc/sys/kernel/shm_rmid_forced /proc/sys/kernel/msgmax",
               NULL, lx);
        /* The container's IPC namespace got them, the host's did not. */
        expect_host_unchanged(rmid, rmid0, "a sysctl of the container");
        expect_host_unchanged(msgmax, msgmax0, "a sysctl of the container");
        expect_status(r, 0);
        want = xasprintf("%s\n12345\n", flip);
        assert_string_equal(r.out, want);

        /* Without an IPC namespace the same sysctl would be the sandbox's own (here: the
         * host's). Kata's validator (rustjail) and runc refuse such a spec. */
        spec = sh_spec("ct-sysctl-nons", "true", NULL,
                       ",'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'mount'}],"
                       "'sysctl':{'kernel.msgmax':'12345'}");
        code = ct_create(cl, "ct-sysctl-nons", spec, false, &st);
        if (code == 0)
                (void) ct_id_call(cl, "RemoveContainer", "ct-sysctl-nons", &st);
        expect_host_unchanged(msgmax, msgmax0,
                              "BUG: sysctl kernel.msgmax without an IPC namespace went to the "
                              "agent's own namespace; CreateContainer must refuse it");
        if (code == 0)
                fail_msg("CreateContainer accepted sysctl kernel.msgmax without an IPC namespace");
        expect_contains(st.message, "kernel.msgmax");
        ttrpc_status_done(&st);
}

static void test_devices(void **state)
{
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_sh(&r, "ct-devices",
               "ls -l /dev/fuse; head -c 4 /dev/urandom | wc -c; head -c 3 /dev/zero | wc -c;"
               "echo x > /dev/null && echo NULL-OK; echo x > /dev/full || echo FULL-ENOSPC;"
               "stat -c '%n %A %t:%T' /dev/null /dev/zero /dev/random /dev/tty;"
               "readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdout;"
               "stat -c '%n %A %u:%g %t:%T' /dev/net/tun",
               NULL,
               ",'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,"
               "'fileMode':438},{'path':'/dev/net/tun','type':'c','major':10,'minor':200,"
               "'fileMode':416,'uid':1,'gid':2}]");
        expect_status(r, 0);
        if (strncmp(r.out, "crw-rw-rw-", 10) != 0 || !strstr(r.out, " 10, 229 ") ||
            !strstr(r.out, "/dev/fuse\n"))
                fail_msg("expected `crw-rw-rw- ... 10, 229 ... /dev/fuse`, got:\n%s", r.out);
        expect_contains(r.out, "\n4\n3\nNULL-OK\nFULL-ENOSPC\n");
        expect_contains(r.err, "No space left on device");
        expect_contains(r.out, "/dev/null crw-rw-rw- 1:3\n/dev/zero crw-rw-rw- 1:5\n"
                               "/dev/random crw-rw-rw- 1:8\n/dev/tty crw-rw-rw- 5:0\n");
        expect_contains(r.out, "pts/ptmx\n/proc/self/fd\n/proc/self/fd/1\n");
        /* fileMode 0640 (416), uid 1, gid 2, 10:200 in hex, in a directory made for it */
        expect_contains(r.out, "/dev/net/tun crw-r----- 1:2 a:c8\n");
}

static void test_network_namespace(void **state)
{
        const char *knob = "/proc/sys/net/ipv4/tcp_keepalive_time";
        _cleanup_free_ char *before = host_file(knob);
        _cleanup_(result_done) struct result r = { 0 };

        (void) state;
        run_sh(&r, "ct-netns",
               "ls /sys/class/net; ip -o link | cut -d: -f2;"
               "cat /proc/sys/net/ipv4/tcp_keepalive_time",
               NULL,
               ",'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},"
               "{'type':'network'}],'sysctl':{'net.ipv4.tcp_keepalive_time':'1234'}");
        expect_host_unchanged(knob, before, "a net sysctl of a container with its own netns");
        expect_status(r, 0);
        /* sysfs and netlink both show the new namespace: lo only; the net sysctl is its own. */
        assert_string_equal(r.out, "lo\n lo\n1234\n");

        /* Without one, the container shares the agent's interfaces. */
        run_sh(&r, "ct-hostnet", "ls /sys/class/net", NULL, NULL);
        expect_status(r, 0);
        if (access("/sys/class/net/eth0", F_OK) == 0)
                expect_contains(r.out, "eth0\n");
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
