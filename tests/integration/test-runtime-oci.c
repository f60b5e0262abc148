/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cata-runtime where runc's and crun's own test suites found it lacking (see
 * docs/conformance.md): each test here is the regression test of one such fix, driven through
 * the command line like test-runtime.c.
 */
#include "containers.h"
#include "runtime-cli.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *read_text(const char *path)
{
        char *text = slurp(path);
        size_t n = strlen(text);

        while (n > 0 && text[n - 1] == '\n')
                text[--n] = '\0';
        return text;
}

/* ---- host protection ---- */

/* A net.* sysctl without a network namespace of the container's own would be written into the
 * host's: refused (the agent allows it: a pod shares the VM's namespace by design). */
static void test_sysctl_net_needs_netns(void **state)
{
        static const char key[] = "/proc/sys/net/ipv4/ping_group_range";
        _cleanup_free_ char *before = read_text(key), *after = NULL;
        _cleanup_free_ char *sysctl =
                xstrdup(",\"sysctl\":{\"net.ipv4.ping_group_range\":\"0 0\"}");
        _cleanup_free_ char *hostns =
                xasprintf("%s,\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":"
                          "\"/proc/%d/ns/net\"}]",
                          sysctl, (int) getpid());
        _cleanup_free_ char *ownns = xasprintf(
                "%s,\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\"}]", sysctl);
        _cleanup_free_ char *c1 = ct_spec("rt-sysctl1", "[\"true\"]", NULL, sysctl, NULL);
        _cleanup_free_ char *c2 = ct_spec("rt-sysctl2", "[\"true\"]", NULL, hostns, NULL);
        _cleanup_free_ char *c3 =
                ct_spec("rt-sysctl3", "[\"cat\",\"/proc/sys/net/ipv4/ping_group_range\"]", NULL,
                        ownns, NULL);
        _cleanup_free_ char *d1 = bundle("rt-sysctl1", c1), *d2 = bundle("rt-sysctl2", c2);
        _cleanup_free_ char *d3 = bundle("rt-sysctl3", c3);
        struct result r;

        (void) state;
        assert_string_not_equal(before, "0\t0");
        expect_create_error(d1, "rt-sysctl1",
                            "`net.ipv4.ping_group_range` needs a network "
                            "namespace of the container's own");
        /* Joining the caller's own namespace by path is no isolation either. */
        expect_create_error(d2, "rt-sysctl2", "`net.ipv4.ping_group_range` needs a network");
        after = read_text(key);
        assert_string_equal(before, after);
        /* With a new one it is applied there, and the host keeps its value. */
        r = rt("run --bundle %s rt-sysctl3", d3);
        assert_int_equal(r.code, 0);
        assert_string_equal(r.out, "0\t0\n");
        result_done(&r);
        free(after);
        after = read_text(key);
        assert_string_equal(before, after);
        reap();
}

/* create/run into a cgroup someone froze must fail at once, leaving that cgroup alone (the
 * child would stop on joining it and the command would wait for it forever). */
static void test_frozen_cgroup_refused(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-frozen", "true", NULL);
        _cleanup_free_ char *parent = xasprintf("/sys/fs/cgroup/freezer/%s", ct_cgroup_parent());
        _cleanup_free_ char *fz = xasprintf("%s/rt-frozen", parent);
        _cleanup_free_ char *fz_state = xasprintf("%s/freezer.state", fz);
        FILE *f;

        (void) state;
        if (access("/sys/fs/cgroup/freezer", F_OK) != 0)
                skip();
        (void) mkdir(parent, 0755);
        assert_int_equal(mkdir(fz, 0755), 0);
        f = fopen(fz_state, "w");
        assert_non_null(f);
        fputs("FROZEN", f);
        assert_int_equal(fclose(f), 0);

        for (int i = 0; i < 2; i++) {
                struct result r = i ? rt("create --bundle %s rt-frozen", dir)
                                    : rt("run -d --bundle %s rt-frozen", dir);

                assert_int_equal(r.code, 1);
                if (!strstr(r.err, "container's cgroup unexpectedly frozen"))
                        fail_msg("unexpected error: %s", r.err);
                result_done(&r);
                assert_false(path_exists("%s/rt-frozen", root));
        }
        /* Left as it was: still there, still frozen, so it can be removed by its owner. */
        assert_true(path_exists("%s", fz_state));
        assert_int_equal(rmdir(fz), 0);
        reap();
}

/* ---- console ---- */

/* A terminal without --console-socket: a foreground run or exec gets a pty that the runtime
 * relays to its own stdio (as runc and crun do); create and detached ones still need a socket. */
static void test_terminal_without_socket(void **state)
{
        _cleanup_free_ char *dir =
                sh_bundle("rt-tty-relay",
                          "[ -t 0 ] && [ -t 1 ] && echo on-a-tty; echo done >&2; exit 3", NULL);
        _cleanup_free_ char *cfg = xasprintf("%s/config.json", dir);
        _cleanup_free_ char *text = slurp(cfg), *edited = NULL;
        char *at = strstr(text, "\"args\"");
        struct result r;
        FILE *f;

        (void) state;
        assert_non_null(at);
        edited = xasprintf("%.*s\"terminal\":true,%s", (int) (at - text), text, at);
        f = fopen(cfg, "w");
        assert_non_null(f);
        fputs(edited, f);
        assert_int_equal(fclose(f), 0);

        r = rt("run --bundle %s rt-tty-relay", dir);
        assert_int_equal(r.code, 3);
        /* Both streams went through the pty (ONLCR: CR LF), to the runtime's stdout. */
        assert_non_null(strstr(r.out, "on-a-tty\r\n"));
        assert_non_null(strstr(r.out, "done\r\n"));
        result_done(&r);
        assert_gone("rt-tty-relay");

        r = rt("run -d --bundle %s rt-tty-relay", dir);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "--console-socket is required"));
        result_done(&r);
        assert_gone("rt-tty-relay");

        /* exec -t without a socket, in a container without a terminal. */
        free(edited);
        edited = xasprintf("%s", text);
        at = strstr(edited, "[ -t 0 ]");
        assert_non_null(at);
        f = fopen(cfg, "w");
        fprintf(f, "%.*ssleep 1000\"]%s", (int) (at - edited), edited, strstr(at, "\"]") + 2);
        assert_int_equal(fclose(f), 0);
        rt_ok("run -d --bundle %s rt-tty-relay", dir);
        r = rt("exec -t rt-tty-relay sh -c '[ -t 0 ] && echo exec-tty; exit 5'");
        assert_int_equal(r.code, 5);
        assert_non_null(strstr(r.out, "exec-tty\r\n"));
        result_done(&r);
        rt_ok("delete -f rt-tty-relay");
        assert_gone("rt-tty-relay");
        reap();
}

/* ---- commands and options ---- */

/* The features document lists what the engine's tables accept. */
static void test_features(void **state)
{
        struct result r = rt("features");
        json_t *doc, *l;
        bool mount = false, sys_admin = false, errno_act = false;
        size_t i;
        json_t *v;

        (void) state;
        assert_int_equal(r.code, 0);
        doc = json_loads(r.out, 0, NULL);
        assert_non_null(doc);
        assert_string_equal(jstr(doc, "ociVersionMax"), "1.0.2");
        l = json_object_get(doc, "linux");
        json_array_foreach(json_object_get(l, "namespaces"), i, v) mount |=
                streq(json_string_value(v), "mount");
        json_array_foreach(json_object_get(l, "capabilities"), i, v) sys_admin |=
                streq(json_string_value(v), "CAP_SYS_ADMIN");
        json_array_foreach(json_object_get(json_object_get(l, "seccomp"), "actions"), i, v)
                errno_act |= streq(json_string_value(v), "SCMP_ACT_ERRNO");
        assert_true(mount && sys_admin && errno_act);
        assert_true(json_array_size(json_object_get(doc, "mountOptions")) > 10);
        json_decref(doc);
        result_done(&r);
}

/* kill ID 0 checks for the process; run --keep leaves the stopped container for delete. */
static void test_kill_zero_and_keep(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-kill0", "sleep 1000", NULL);
        _cleanup_free_ char *keep = sh_bundle("rt-keep", "exit 4", NULL);
        struct result r;

        (void) state;
        rt_ok("run -d --bundle %s rt-kill0", dir);
        rt_ok("kill rt-kill0 0");
        rt_ok("kill rt-kill0 KILL");
        assert_true(wait_status("rt-kill0", "stopped", 3000));
        r = rt("kill rt-kill0 0");
        assert_int_equal(r.code, 1);
        result_done(&r);
        rt_ok("delete rt-kill0");
        assert_gone("rt-kill0");

        r = rt("run --keep --bundle %s rt-keep", keep);
        assert_int_equal(r.code, 4);
        result_done(&r);
        assert_true(wait_status("rt-keep", "stopped", 0));
        rt_ok("delete rt-keep");
        assert_gone("rt-keep");
        reap();
}

/* What runc and crun give every process: HOME from the container's /etc/passwd, a cwd made
 * when missing, process.user.umask. */
static void test_process_defaults(void **state)
{
        _cleanup_free_ char *config =
                ct_spec("rt-procdef",
                        "[\"sh\",\"-c\",\"echo home=$HOME; pwd; umask; touch f; stat -c %a f\"]",
                        ",\"cwd\":\"/tmp/made/here\",\"user\":{\"uid\":0,\"gid\":0,\"umask\":23}",
                        NULL, NULL);
        _cleanup_free_ char *dir = bundle("rt-procdef", config);
        struct result r;

        (void) state;
        r = rt("run --bundle %s rt-procdef", dir);
        assert_int_equal(r.code, 0);
        if (!strstr(r.out, "home=/root\n/tmp/made/here\n0027\n640\n"))
                fail_msg("unexpected output: %s (%s)", r.out, r.err);
        result_done(&r);
        assert_gone("rt-procdef");

        /* On a read-only root too: made before the root becomes read-only. */
        {
                _cleanup_free_ char *c2 = ct_spec("rt-procdef2", "[\"pwd\"]",
                                                  ",\"cwd\":\"/rt-made-cwd\"", NULL, NULL);
                _cleanup_free_ char *d2 = bundle("rt-procdef2", c2);
                _cleanup_free_ char *made = xasprintf("%s/rt-made-cwd", ct_rootfs());

                assert_non_null(strstr(c2, "\"readonly\":true"));
                r = rt("run --bundle %s rt-procdef2", d2);
                (void) rmdir(made);
                assert_int_equal(r.code, 0);
                assert_string_equal(r.out, "/rt-made-cwd\n");
                result_done(&r);
        }
        reap();
}

/* exec --cap, --no-new-privs, --additional-gids, --preserve-fds, --cgroup. */
static void test_exec_flags(void **state)
{
        _cleanup_free_ char *config = ct_spec("rt-xflags", "[\"sleep\",\"1000\"]",
                                              ",\"noNewPrivileges\":false", NULL, NULL);
        _cleanup_free_ char *dir = bundle("rt-xflags", config);
        _cleanup_free_ char *want = xasprintf("/%s/rt-xflags/sub\n", ct_cgroup_parent());
        struct result r;

        (void) state;
        rt_ok("run -d --bundle %s rt-xflags", dir);
        r = rt("exec rt-xflags sh -c 'grep -E \"^(NoNewPrivs|CapBnd|Groups)\" /proc/self/status'");
        if (r.code != 0)
                fail_msg("exec: exit %d: %s%s", r.code, r.out, r.err);
        assert_non_null(strstr(r.out, "NoNewPrivs:\t0"));
        assert_null(strstr(r.out, "1234"));
        /* CAP_SYS_ADMIN (21) is not in ct_spec's sets. */
        assert_null(strstr(r.out, "CapBnd:\t00000000a02425fb"));
        result_done(&r);
        r = rt("exec --cap CAP_SYS_ADMIN --no-new-privs --additional-gids 1234 -g 5678 rt-xflags "
               "sh -c 'grep -E \"^(NoNewPrivs|CapEff|Groups)\" /proc/self/status'");
        if (r.code != 0)
                fail_msg("exec --cap ...: exit %d: %s%s", r.code, r.out, r.err);
        assert_non_null(strstr(r.out, "NoNewPrivs:\t1"));
        assert_non_null(strstr(r.out, "1234 5678"));
        {
                const char *eff = strstr(r.out, "CapEff:\t");
                assert_non_null(eff);
                assert_true(strtoull(eff + 8, NULL, 16) & (1ull << 21));
        }
        result_done(&r);

        r = rt("exec --preserve-fds 1 rt-xflags sh -c '[ -e /proc/self/fd/3 ] && echo kept' "
               "3</dev/null");
        assert_int_equal(r.code, 0);
        assert_string_equal(r.out, "kept\n");
        result_done(&r);
        r = rt("exec rt-xflags sh -c '[ -e /proc/self/fd/3 ] || echo closed' 3</dev/null");
        assert_string_equal(r.out, "closed\n");
        result_done(&r);

        r = rt("exec --cgroup sub rt-xflags sh -c 'grep pids /proc/self/cgroup | cut -d: -f3'");
        assert_int_equal(r.code, 0);
        assert_string_equal(r.out, want);
        result_done(&r);
        r = rt("exec --cgroup pids:sub rt-xflags true");
        assert_int_equal(r.code, 255);
        assert_non_null(strstr(r.err, "controller:path form is not supported"));
        result_done(&r);

        rt_ok("delete -f rt-xflags");
        assert_gone("rt-xflags");
        reap();
}

/* Resources the engine cannot apply are refused, naming them; sharing a cgroup is warned. */
static void test_resources_refused_or_warned(void **state)
{
        _cleanup_free_ char *unified =
                ct_spec("rt-unified", "[\"true\"]", NULL,
                        ",\"resources\":{\"unified\":{\"pids.max\":\"10\"}}", NULL);
        _cleanup_free_ char *d1 = bundle("rt-unified", unified);
        _cleanup_free_ char *first = sh_bundle("rt-share1", "sleep 1000", NULL);
        _cleanup_free_ char *cfg2 = NULL, *second = NULL;
        struct result r;
        char *at;

        (void) state;
        expect_create_error(d1, "rt-unified", "linux.resources.unified is not supported");

        /* A second container in the first one's cgroup. */
        rt_ok("run -d --bundle %s rt-share1", first);
        cfg2 = ct_spec("rt-share2", "[\"true\"]", NULL, NULL, NULL);
        at = strstr(cfg2, "/rt-share2\"");
        assert_non_null(at);
        memcpy(at, "/rt-share1\"", strlen("/rt-share1\""));
        second = bundle("rt-share2", cfg2);
        r = rt("create --bundle %s rt-share2", second);
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.err, "container's cgroup is not empty: 1 process(es)"));
        result_done(&r);
        rt_ok("delete -f rt-share2");
        rt_ok("delete -f rt-share1");
        assert_gone("rt-share1");
        reap();
}

/* runc's update flags, with runc's byte suffixes. */
static void test_update_flags(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-upd", "sleep 1000", NULL);
        static const struct {
                const char *ctrl, *file, *want;
        } files[] = {
                { "pids", "pids.max", "42" },
                { "memory", "memory.limit_in_bytes", "33554432" },
                { "cpu", "cpu.cfs_period_us", "50000" },
                { "cpu", "cpu.cfs_quota_us", "25000" },
                { "cpu", "cpu.shares", "512" },
        };
        struct result r;

        (void) state;
        if (access("/sys/fs/cgroup/cpu/cpu.cfs_period_us", F_OK) != 0)
                skip();
        rt_ok("run -d --bundle %s rt-upd", dir);
        rt_ok("update --pids-limit 42 --memory 32M --cpu-period 50000 --cpu-quota 25000 "
              "--cpu-share 512 rt-upd");
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                _cleanup_free_ char *path =
                        xasprintf("/sys/fs/cgroup/%s/%s/rt-upd/%s", files[i].ctrl,
                                  ct_cgroup_parent(), files[i].file);
                _cleanup_free_ char *v = read_text(path);

                if (!streq(v, files[i].want))
                        fail_msg("%s: `%s`, expected `%s`", path, v, files[i].want);
        }
        r = rt("update --memory 12Q rt-upd");
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "--memory `12Q`: invalid value"));
        result_done(&r);
        rt_ok("delete -f rt-upd");
        assert_gone("rt-upd");
        reap();
}

/* events: one stats line with --stats; a stream with an OOM event, ending with the container. */
static void test_events(void **state)
{
        _cleanup_free_ char *config =
                ct_spec("rt-ev", "[\"sleep\",\"1000\"]", NULL,
                        ",\"resources\":{\"memory\":{\"limit\":33554432}}", NULL);
        _cleanup_free_ char *dir = bundle("rt-ev", config);
        _cleanup_free_ char *log = xasprintf("%s/events.log", tmp), *text = NULL;
        struct result r;
        int status = 0;
        pid_t child;
        bool oom = false;

        (void) state;
        rt_ok("run -d --bundle %s rt-ev", dir);
        r = rt("events --stats rt-ev");
        assert_int_equal(r.code, 0);
        assert_true(startswith(r.out, "{\"type\":\"stats\",\"id\":\"rt-ev\",\"data\":{"));
        assert_non_null(strstr(r.out, "\"limit\":33554432"));
        result_done(&r);

        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                assert_non_null(freopen(log, "w", stdout));
                execl(bin, bin, "--root", root, "events", "--interval", "100ms", "rt-ev",
                      (char *) NULL);
                _exit(127);
        }
        /* 64 MiB in a shell variable, in a 32 MiB cgroup. */
        r = rt("exec rt-ev sh -c 'x=$(head -c 67108864 /dev/zero | tr \"\\\\0\" a); echo ${#x}'");
        result_done(&r);
        for (int i = 0; i < 100 && !oom; i++) {
                free(text);
                text = slurp(log);
                oom = strstr(text, "{\"type\":\"oom\",\"id\":\"rt-ev\"}") != NULL;
                usleep(50000);
        }
        assert_true(oom);
        assert_true(startswith(text, "{\"type\":\"stats\",\"id\":\"rt-ev\""));
        rt_ok("delete -f rt-ev");
        /* The stream ends by itself once the container is gone. */
        for (int i = 0; i < 100 && waitpid(child, &status, WNOHANG) == 0; i++)
                usleep(50000);
        if (waitpid(child, &status, WNOHANG) == 0) {
                kill(child, SIGKILL);
                fail_msg("events did not return after the container was deleted");
        }
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_gone("rt-ev");
        reap();
}

/* ps: the host's ps rows of the container's processes, with ps's own arguments. */
static void test_ps_table(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-ps", "exec sleep 1000", NULL);
        struct result r;

        (void) state;
        if (access("/bin/ps", X_OK) != 0 && access("/usr/bin/ps", X_OK) != 0)
                skip();
        rt_ok("run -d --bundle %s rt-ps", dir);
        r = rt("ps rt-ps");
        assert_int_equal(r.code, 0);
        assert_true(startswith(r.out, "UID "));
        assert_non_null(strstr(r.out, "sleep 1000\n"));
        /* Only the container's rows: the header and one process. */
        {
                size_t lines = 0;

                for (const char *c = r.out; *c; c++)
                        lines += *c == '\n';
                assert_int_equal(lines, 2);
        }
        result_done(&r);
        r = rt("ps rt-ps -o pid,comm");
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.out, "PID COMMAND\n"));
        assert_non_null(strstr(r.out, " sleep\n"));
        result_done(&r);
        rt_ok("delete -f rt-ps");
        assert_gone("rt-ps");
        reap();
}

/* linux.seccomp.defaultErrnoRet (read from config.json: Kata's proto lacks it). */
static void test_seccomp_default_errno(void **state)
{
        static const char allowed[] =
                "\"execve\",\"brk\",\"arch_prctl\",\"set_tid_address\",\"set_robust_list\","
                "\"rseq\",\"prlimit64\",\"mprotect\",\"mmap\",\"munmap\",\"readlinkat\","
                "\"readlink\",\"getuid\",\"geteuid\",\"getgid\",\"getegid\",\"getpid\","
                "\"getppid\",\"rt_sigaction\",\"rt_sigprocmask\",\"rt_sigreturn\","
                "\"write\",\"writev\",\"read\",\"close\",\"exit\",\"exit_group\","
                "\"ioctl\",\"fcntl\",\"newfstatat\",\"fstat\",\"stat\",\"lstat\","
                "\"getcwd\",\"uname\",\"umask\",\"statx\",\"futex\",\"getrandom\"";
        _cleanup_free_ char *seccomp = xasprintf(
                ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":6,"
                "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":[{\"names\":[%s],"
                "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                allowed);
        _cleanup_free_ char *bad = xstrdup(
                ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":6}");
        _cleanup_free_ char *c1 =
                ct_spec("rt-scerr", "[\"mkdir\",\"/tmp/x\"]", NULL, seccomp, NULL);
        _cleanup_free_ char *c2 = ct_spec("rt-scbad", "[\"true\"]", NULL, bad, NULL);
        _cleanup_free_ char *d1 = bundle("rt-scerr", c1), *d2 = bundle("rt-scbad", c2);
        struct result r;

        (void) state;
        r = rt("run --bundle %s rt-scerr", d1);
        assert_int_equal(r.code, 1);
        if (!strstr(r.out, "No such device or address") &&
            !strstr(r.err, "No such device or address"))
                fail_msg("expected ENXIO from mkdir: %s / %s", r.out, r.err);
        result_done(&r);
        assert_gone("rt-scerr");
        expect_create_error(d2, "rt-scbad",
                            "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and "
                            "SCMP_ACT_TRACE take one");
        /* A seccomp agent listening there would wait for a connection forever: refused. */
        free(c2);
        c2 = ct_spec("rt-sclisten", "[\"true\"]", NULL,
                     ",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                     "\"listenerPath\":\"/run/agent.sock\"}",
                     NULL);
        free(d2);
        d2 = bundle("rt-sclisten", c2);
        expect_create_error(d2, "rt-sclisten", "linux.seccomp.listenerPath is not supported");
        reap();
}

/* The cgroup mount shows the container's own cgroup in each v1 hierarchy (as runc and Kata's
 * agent), writable when the mount is: a sub-cgroup made there goes with the container. */
static void test_cgroup_mount_own(void **state)
{
        _cleanup_free_ char *config =
                ct_spec("rt-cgmnt",
                        "[\"sh\",\"-c\",\"cat /sys/fs/cgroup/pids/pids.max; mkdir "
                        "/sys/fs/cgroup/memory/sub && echo made; sleep 1000\"]",
                        NULL, ",\"resources\":{\"pids\":{\"limit\":55}}",
                        ",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":"
                        "\"proc\"},{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":"
                        "\"sysfs\",\"options\":[\"ro\"]},{\"destination\":\"/sys/fs/cgroup\","
                        "\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"rw\"]}]");
        _cleanup_free_ char *dir = bundle("rt-cgmnt", config);
        int n;

        (void) state;
        if (access("/sys/fs/cgroup/pids/cgroup.procs", F_OK) != 0)
                skip();
        rt_ok("run -d --bundle %s rt-cgmnt", dir);
        n = rtc_last();
        assert_true(wait_for_text(n, "made\n", 3000));
        {
                _cleanup_free_ char *out = cmd_out(n);
                assert_string_equal(out, "55\nmade\n");
        }
        assert_true(path_exists("/sys/fs/cgroup/memory/%s/rt-cgmnt/sub", ct_cgroup_parent()));
        rt_ok("delete -f rt-cgmnt");
        assert_gone("rt-cgmnt");
        reap();
}

/* domainname (not in Kata's proto: read from config.json) in the container's uts namespace; a
 * conflicting kernel.domainname sysctl is refused. */
static void test_domainname(void **state)
{
        _cleanup_free_ char *c1 = ct_spec("rt-dom", "[\"cat\",\"/proc/sys/kernel/domainname\"]",
                                          NULL, NULL, ",\"domainname\":\"cata.example\"");
        _cleanup_free_ char *c2 =
                ct_spec("rt-dom2", "[\"true\"]", NULL, ",\"sysctl\":{\"kernel.domainname\":\"x\"}",
                        ",\"domainname\":\"cata.example\"");
        _cleanup_free_ char *d1 = bundle("rt-dom", c1), *d2 = bundle("rt-dom2", c2);
        _cleanup_free_ char *host = read_text("/proc/sys/kernel/domainname");
        _cleanup_free_ char *after = NULL;
        struct result r;

        (void) state;
        r = rt("run --bundle %s rt-dom", d1);
        assert_int_equal(r.code, 0);
        assert_string_equal(r.out, "cata.example\n");
        result_done(&r);
        after = read_text("/proc/sys/kernel/domainname");
        assert_string_equal(host, after);
        expect_create_error(d2, "rt-dom2",
                            "domainname `cata.example` and linux.sysctl `kernel.domainname` "
                            "`x` differ");
        reap();
}

/* devpts with the default gid=5 in a user namespace that does not map gid 5: the kernel
 * refuses gid=, the mount goes on without it (as runc and crun). */
static void test_devpts_in_userns(void **state)
{
        _cleanup_free_ char *config = ct_spec(
                "rt-upts", "[\"sh\",\"-c\",\"grep -c ' /dev/pts devpts ' /proc/mounts\"]", NULL,
                ",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":"
                "\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":1}],"
                "\"gidMappings\":[{\"containerID\":0,\"hostID\":300000,\"size\":1}]",
                ",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":"
                "\"proc\"},{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":"
                "\"tmpfs\"},{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":"
                "\"devpts\",\"options\":[\"newinstance\",\"gid=5\"]}]");
        _cleanup_free_ char *dir = bundle("rt-upts", config);
        struct result r;

        (void) state;
        r = rt("run --bundle %s rt-upts", dir);
        if (r.code != 0)
                fail_msg("run: %s", r.err);
        assert_string_equal(r.out, "1\n");
        result_done(&r);
        assert_gone("rt-upts");
        reap();
}

/* "rro" makes a recursive bind read-only all the way down, its submounts too. */
static void test_rro_mount(void **state)
{
        _cleanup_free_ char *src = xasprintf("%s/rro-src", tmp);
        _cleanup_free_ char *sub = xasprintf("%s/sub", src);
        _cleanup_free_ char *mounts =
                xasprintf(",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":"
                          "\"proc\"},{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":"
                          "\"tmpfs\"},{\"destination\":\"/tmp/m\",\"type\":\"bind\",\"source\":"
                          "\"%s\",\"options\":[\"rbind\",\"rro\"]}]",
                          src);
        _cleanup_free_ char *config =
                ct_spec("rt-rro",
                        "[\"sh\",\"-c\",\"touch /tmp/m/a || echo top-ro; touch /tmp/m/sub/b || "
                        "echo sub-ro\"]",
                        NULL, NULL, mounts);
        _cleanup_free_ char *dir = bundle("rt-rro", config);
        struct result r;

        (void) state;
        assert_int_equal(mkdir(src, 0755), 0);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(mount("tmpfs", sub, "tmpfs", 0, NULL), 0);
        r = rt("run --bundle %s rt-rro", dir);
        (void) umount2(sub, MNT_DETACH);
        assert_int_equal(r.code, 0);
        assert_string_equal(r.out, "top-ro\nsub-ro\n");
        result_done(&r);
        assert_gone("rt-rro");
        reap();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sysctl_net_needs_netns),
                cmocka_unit_test(test_frozen_cgroup_refused),
                cmocka_unit_test(test_terminal_without_socket),
                cmocka_unit_test(test_features),
                cmocka_unit_test(test_kill_zero_and_keep),
                cmocka_unit_test(test_process_defaults),
                cmocka_unit_test(test_exec_flags),
                cmocka_unit_test(test_resources_refused_or_warned),
                cmocka_unit_test(test_update_flags),
                cmocka_unit_test(test_events),
                cmocka_unit_test(test_ps_table),
                cmocka_unit_test(test_seccomp_default_errno),
                cmocka_unit_test(test_cgroup_mount_own),
                cmocka_unit_test(test_domainname),
                cmocka_unit_test(test_devpts_in_userns),
                cmocka_unit_test(test_rro_mount),
        };
        return cmocka_run_group_tests(tests, rtc_setup, rtc_teardown);
}
