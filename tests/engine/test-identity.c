/* SPDX-License-Identifier: Apache-2.0 */
/*
 * identity: name tables and validation in the agent, then identity_apply() in forked children
 * that report what the kernel says about them (/proc/self/status, getrlimit, oom_score_adj).
 * Needs root (CAP_SETUID, CAP_SETGID, CAP_SETPCAP) for the apply tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The generated structs take char *, and -Wwrite-strings makes literals const. */
#define PB_STR(s)  ((char *) (s))
#define REPORT_MAX 4096

static void log_discard(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

/* --- building a Process --- */

struct proc_builder {
        Grpc__Process proc;
        Grpc__User user;
        Grpc__LinuxCapabilities caps;
        Grpc__POSIXRlimit rl[4];
        Grpc__POSIXRlimit *rlp[4];
};

static void builder_init(struct proc_builder *b)
{
        *b = (struct proc_builder){ .proc = GRPC__PROCESS__INIT,
                                    .user = GRPC__USER__INIT,
                                    .caps = GRPC__LINUX_CAPABILITIES__INIT };
        for (size_t i = 0; i < ARRAY_SIZE(b->rl); i++) {
                b->rl[i] = (Grpc__POSIXRlimit) GRPC__POSIXRLIMIT__INIT;
                b->rlp[i] = &b->rl[i];
        }
        b->proc.user = &b->user;
        b->proc.rlimits = b->rlp;
}

static void builder_rlimit(struct proc_builder *b, const char *type, uint64_t soft, uint64_t hard)
{
        Grpc__POSIXRlimit *rl = &b->rl[b->proc.n_rlimits++];

        rl->type = (char *) type;
        rl->soft = soft;
        rl->hard = hard;
}

/* The common identity of the apply tests: nobody, groups 1 and 2, only NET_BIND_SERVICE. */
static char *net_bind[] = { PB_STR("CAP_NET_BIND_SERVICE") };
static uint32_t gids_1_2[] = { 1, 2 };

static void builder_nobody(struct proc_builder *b)
{
        builder_init(b);
        b->user.uid = 65534;
        b->user.gid = 65534;
        b->user.n_additionalgids = ARRAY_SIZE(gids_1_2);
        b->user.additionalgids = gids_1_2;
        b->caps.n_bounding = b->caps.n_effective = b->caps.n_permitted = 1;
        b->caps.bounding = b->caps.effective = b->caps.permitted = net_bind;
        b->proc.capabilities = &b->caps;
        builder_rlimit(b, "RLIMIT_NOFILE", 100, 200);
        b->proc.nonewprivileges = true;
        b->proc.oomscoreadj = 500;
}

/* --- running a child and collecting its report --- */

typedef int (*child_fn)(void *arg, int fd);

/* Forks, runs fn in the child with the write end of a pipe, collects everything it wrote.
 * Returns the wait status. */
static int run_child(child_fn fn, void *arg, char *out, size_t size)
{
        int p[2], status = 0;
        size_t len = 0;
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                _exit(fn(arg, p[1]));
        }
        close(p[1]);
        for (;;) {
                ssize_t n = read(p[0], out + len, size - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        out[len] = '\0';
        close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static void put(int fd, const char *s)
{
        size_t len = strlen(s);

        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n <= 0)
                        return;
                s += n;
                len -= (size_t) n;
        }
}

/* Copies the /proc/self/status lines the tests look at, trailing blanks removed (the kernel
 * ends "Groups:" with a space). */
static void report_status(int fd)
{
        static const char *const keys[] = { "Uid:",    "Gid:",    "Groups:",
                                            "CapInh:", "CapPrm:", "CapEff:",
                                            "CapBnd:", "CapAmb:", "NoNewPrivs:" };
        char buf[REPORT_MAX], *line, *save = NULL;
        int sfd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (sfd < 0)
                return;
        n = read(sfd, buf, sizeof(buf) - 1);
        close(sfd);
        buf[n > 0 ? n : 0] = '\0';
        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                size_t len = strlen(line);

                for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
                        if (startswith(line, keys[k])) {
                                while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
                                        line[--len] = '\0';
                                put(fd, line);
                                put(fd, "\n");
                        }
        }
}

static void report_limits(int fd)
{
        char buf[128];
        struct rlimit rl;
        int ofd;
        ssize_t n;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                snprintf(buf, sizeof(buf), "nofile: %llu %llu\n", (unsigned long long) rl.rlim_cur,
                         (unsigned long long) rl.rlim_max);
                put(fd, buf);
        }
        ofd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
        if (ofd >= 0) {
                put(fd, "oom_score_adj: ");
                n = read(ofd, buf, sizeof(buf) - 1);
                buf[n > 0 ? n : 0] = '\0';
                put(fd, buf);
                close(ofd);
        }
}

static int child_apply(void *arg, int fd)
{
        const char *what = NULL;
        char buf[128];
        int r = identity_apply(arg, &what);

        if (r < 0) {
                snprintf(buf, sizeof(buf), "apply failed: %s: %d errno %d\n", what, r, errno);
                put(fd, buf);
                return 1;
        }
        report_status(fd);
        report_limits(fd);
        return 0;
}

/* The apply tests change uid, groups and capabilities: root only. Name tests run anywhere. */
static void require_root(void)
{
        if (geteuid() != 0)
                skip();
}

/* --- tests --- */

static void test_cap_names(void **state)
{
        (void) state;
        assert_int_equal(identity_cap_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
        assert_int_equal(identity_cap_from_name("sys_admin"), CAP_SYS_ADMIN);
        assert_int_equal(identity_cap_from_name("SYS_ADMIN"), CAP_SYS_ADMIN);
        assert_int_equal(identity_cap_from_name("cap_Net_Bind_Service"), CAP_NET_BIND_SERVICE);
        assert_int_equal(identity_cap_from_name("CAP_CHOWN"), 0);
        assert_int_equal(identity_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
        assert_int_equal(identity_cap_from_name("perfmon"), 38);
        assert_int_equal(identity_cap_from_name("CAP_FOO"), -EINVAL);
        assert_int_equal(identity_cap_from_name("CAP_"), -EINVAL);
        assert_int_equal(identity_cap_from_name(""), -EINVAL);
        assert_int_equal(identity_cap_from_name("CAP_CAP_CHOWN"), -EINVAL);
        assert_int_equal(identity_cap_from_name(" CAP_CHOWN"), -EINVAL);
        assert_int_equal(identity_cap_from_name(NULL), -EINVAL);
}

static void test_rlimit_names(void **state)
{
        (void) state;
        assert_int_equal(identity_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
        assert_int_equal(identity_rlimit_from_name("RLIMIT_AS"), RLIMIT_AS);
        assert_int_equal(identity_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
        assert_int_equal(identity_rlimit_from_name("RLIMIT_SIGPENDING"), RLIMIT_SIGPENDING);
        assert_int_equal(identity_rlimit_from_name("RLIMIT_STACK"), RLIMIT_STACK);
        assert_int_equal(identity_rlimit_from_name("NOFILE"), -EINVAL);
        assert_int_equal(identity_rlimit_from_name("RLIMIT_FOO"), -EINVAL);
        assert_int_equal(identity_rlimit_from_name(""), -EINVAL);
        assert_int_equal(identity_rlimit_from_name(NULL), -EINVAL);
}

static void expect_error(const Grpc__Process *proc, const char *msg)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;

        assert_int_equal(identity_new(proc, &id, &err), -EINVAL);
        assert_null(id);
        assert_non_null(err);
        assert_string_equal(err->msg, msg);
        assert_int_equal(err->errno_, EINVAL);
}

static void test_validation(void **state)
{
        static char *foo[] = { PB_STR("CAP_CHOWN"), PB_STR("CAP_FOO") };
        static char *admin[] = { PB_STR("sys_admin") };
        static uint32_t too_many[65537];
        struct proc_builder b;

        (void) state;
        expect_error(NULL, "process: missing");

        builder_nobody(&b);
        b.caps.n_bounding = 2;
        b.caps.bounding = foo;
        expect_error(&b.proc, "process.capabilities.bounding: unknown capability `CAP_FOO`");
        builder_nobody(&b);
        b.caps.n_ambient = 2;
        b.caps.ambient = foo;
        expect_error(&b.proc, "process.capabilities.ambient: unknown capability `CAP_FOO`");
        builder_nobody(&b);
        b.caps.n_inheritable = 2;
        b.caps.inheritable = foo;
        expect_error(&b.proc, "process.capabilities.inheritable: unknown capability `CAP_FOO`");
        builder_nobody(&b);
        b.caps.effective = admin;
        expect_error(&b.proc, "process.capabilities.effective: `sys_admin` is not in "
                              "process.capabilities.permitted");

        builder_nobody(&b);
        builder_rlimit(&b, "RLIMIT_FOO", 1, 1);
        expect_error(&b.proc, "process.rlimits[1].type: unknown rlimit `RLIMIT_FOO`");
        builder_nobody(&b);
        builder_rlimit(&b, "RLIMIT_CORE", 0, 0);
        builder_rlimit(&b, "RLIMIT_NOFILE", 1, 1);
        expect_error(&b.proc, "process.rlimits[2].type: duplicate rlimit `RLIMIT_NOFILE`");
        builder_nobody(&b);
        builder_rlimit(&b, "RLIMIT_CORE", 300, 200);
        expect_error(
                &b.proc,
                "process.rlimits[1]: `RLIMIT_CORE` soft limit 300 is above its hard limit 200");

        builder_nobody(&b);
        b.proc.oomscoreadj = 1001;
        expect_error(&b.proc, "process.oomScoreAdj: 1001 is out of range [-1000, 1000]");
        b.proc.oomscoreadj = -1001;
        expect_error(&b.proc, "process.oomScoreAdj: -1001 is out of range [-1000, 1000]");

        builder_nobody(&b);
        b.user.n_additionalgids = ARRAY_SIZE(too_many);
        b.user.additionalgids = too_many;
        expect_error(&b.proc, "process.user.additionalGids: 65537 groups, more than the "
                              "kernel's limit of 65536");

        /* (uid_t) -1 means "unchanged" to setresuid: the process would stay root. */
        builder_nobody(&b);
        b.user.uid = 4294967295u;
        expect_error(&b.proc, "process.user.uid: 4294967295 is not a valid uid (it means "
                              "\"unchanged\" to the kernel)");
        builder_nobody(&b);
        b.user.gid = 4294967295u;
        expect_error(&b.proc, "process.user.gid: 4294967295 is not a valid gid (it means "
                              "\"unchanged\" to the kernel)");
        static uint32_t gids[] = { 10, 4294967295u };
        builder_nobody(&b);
        b.user.n_additionalgids = ARRAY_SIZE(gids);
        b.user.additionalgids = gids;
        expect_error(&b.proc, "process.user.additionalGids[1]: 4294967295 is not a valid gid");
        /* The largest real id is fine. */
        builder_nobody(&b);
        b.user.uid = 4294967294u;
        b.user.gid = 4294967294u;
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        identity_free(id);
}

static void test_valid_edge_cases(void **state)
{
        static char *amb[] = { PB_STR("CAP_NET_BIND_SERVICE") };
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        struct proc_builder b;

        (void) state;
        /* soft == hard, infinity, the lowest oom_score_adj. */
        builder_init(&b);
        builder_rlimit(&b, "RLIMIT_CORE", 0, 0);
        builder_rlimit(&b, "RLIMIT_STACK", UINT64_MAX, UINT64_MAX);
        b.proc.oomscoreadj = -1000;
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        assert_null(err);
        id = identity_free(id);

        /* No user, no capabilities. */
        builder_init(&b);
        b.proc.user = NULL;
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        id = identity_free(id);

        /* An ambient capability that is not inheritable is dropped, not an error. */
        builder_nobody(&b);
        b.caps.n_ambient = 1;
        b.caps.ambient = amb;
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        id = identity_free(id);
}

static void test_apply_nobody(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        struct proc_builder b;
        char out[REPORT_MAX];
        int status;

        (void) state;
        require_root();
        builder_nobody(&b);
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        status = run_child(child_apply, id, out, sizeof(out));
        identity_free(id);
        assert_true(WIFEXITED(status));
        assert_string_equal(out, "Uid:\t65534\t65534\t65534\t65534\n"
                                 "Gid:\t65534\t65534\t65534\t65534\n"
                                 "Groups:\t1 2\n"
                                 "CapInh:\t0000000000000000\n"
                                 "CapPrm:\t0000000000000400\n"
                                 "CapEff:\t0000000000000400\n"
                                 "CapBnd:\t0000000000000400\n"
                                 "CapAmb:\t0000000000000000\n"
                                 "NoNewPrivs:\t1\n"
                                 "nofile: 100 200\n"
                                 "oom_score_adj: 500\n");
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_apply_ambient(void **state)
{
        static char *caps[] = { PB_STR("net_bind_service"), PB_STR("CAP_KILL") };
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        struct proc_builder b;
        char out[REPORT_MAX];
        int status;

        (void) state;
        require_root();
        /* Ambient survives execve for a non-root user; it needs permitted and inheritable. */
        builder_nobody(&b);
        b.caps.n_bounding = b.caps.n_effective = b.caps.n_permitted = b.caps.n_inheritable = 2;
        b.caps.bounding = b.caps.effective = b.caps.permitted = b.caps.inheritable = caps;
        b.caps.n_ambient = 1;
        b.caps.ambient = caps;
        b.user.n_additionalgids = 0;
        b.proc.nonewprivileges = false;
        b.proc.oomscoreadj = 0;
        b.proc.n_rlimits = 0;
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        status = run_child(child_apply, id, out, sizeof(out));
        identity_free(id);
        assert_true(WIFEXITED(status));
        assert_non_null(strstr(out, "Groups:\n"));
        assert_non_null(strstr(out, "CapInh:\t0000000000000420\n"));
        assert_non_null(strstr(out, "CapPrm:\t0000000000000420\n"));
        assert_non_null(strstr(out, "CapBnd:\t0000000000000420\n"));
        assert_non_null(strstr(out, "CapAmb:\t0000000000000400\n"));
        assert_non_null(strstr(out, "NoNewPrivs:\t0\n"));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void status_line(const char *key, char *buf, size_t size)
{
        _cleanup_free_ char *s = NULL;
        const char *p, *e;

        assert_int_equal(read_file("/proc/self/status", 1 << 16, &s, NULL), 0);
        p = strstr(s, key);
        assert_non_null(p);
        e = strchr(p, '\n');
        snprintf(buf, size, "%.*s\n", (int) (e - p), p);
}

static void test_apply_without_caps(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        struct proc_builder b;
        char out[REPORT_MAX], eff[64];
        int status;

        (void) state;
        require_root();
        /* Root without Process.Capabilities keeps the agent's sets; groups are still reset. */
        builder_init(&b);
        b.proc.oomscoreadj = 0;
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        status = run_child(child_apply, id, out, sizeof(out));
        identity_free(id);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        status_line("CapEff:", eff, sizeof(eff));
        assert_non_null(strstr(out, eff));
        assert_non_null(strstr(out, "Uid:\t0\t0\t0\t0\n"));
        assert_non_null(strstr(out, "Groups:\n"));
        assert_non_null(strstr(out, "NoNewPrivs:\t0\n"));
}

static void test_apply_failure_names_step(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        struct proc_builder b;
        char out[REPORT_MAX];
        uint64_t nr_open;
        int status;

        (void) state;
        require_root();
        /* A NOFILE hard limit above fs.nr_open is refused even to root. */
        assert_int_equal(read_u64_file("/proc/sys/fs/nr_open", 10, &nr_open), 0);
        builder_init(&b);
        builder_rlimit(&b, "RLIMIT_NOFILE", 10, nr_open + 1);
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        status = run_child(child_apply, id, out, sizeof(out));
        identity_free(id);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        assert_string_equal(out, "apply failed: setrlimit(RLIMIT_NOFILE): -1 errno 1\n");
}

/* The hook reports where it ran: uid and no_new_privs at that moment. */
static int hook_report(void *userdata)
{
        char buf[64];

        snprintf(buf, sizeof(buf), "hook uid=%u nnp=%d\n", (unsigned) getuid(),
                 prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        put(*(int *) userdata, buf);
        return 0;
}

static int hook_fail(void *userdata)
{
        (void) userdata;
        return -EXDEV;
}

struct hook_case {
        const struct identity *id;
        identity_hook_fn hook;
};

static int child_apply_with(void *arg, int fd)
{
        struct hook_case *c = arg;
        const char *what = NULL;
        char buf[128];
        int r = identity_apply_with(c->id, c->hook, &fd, "seccomp", &what);

        snprintf(buf, sizeof(buf), "r=%d what=%s\n", r, what ? what : "(null)");
        put(fd, buf);
        return 0;
}

static void run_hook_case(bool nnp, identity_hook_fn hook, const char *expected)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        struct proc_builder b;
        struct hook_case c;
        char out[REPORT_MAX];
        int status;

        builder_nobody(&b);
        b.proc.nonewprivileges = nnp;
        assert_int_equal(identity_new(&b.proc, &id, &err), 0);
        c = (struct hook_case){ .id = id, .hook = hook };
        status = run_child(child_apply_with, &c, out, sizeof(out));
        identity_free(id);
        assert_true(WIFEXITED(status));
        assert_string_equal(out, expected);
}

static void test_apply_hook_placement(void **state)
{
        (void) state;
        require_root();
        /* Without no_new_privs the hook still has root's privileges; with it, it runs last. */
        run_hook_case(false, hook_report, "hook uid=0 nnp=0\nr=0 what=(null)\n");
        run_hook_case(true, hook_report, "hook uid=65534 nnp=1\nr=0 what=(null)\n");
        run_hook_case(true, hook_fail, "r=-18 what=seccomp\n");
        run_hook_case(false, hook_fail, "r=-18 what=seccomp\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cap_names),
                cmocka_unit_test(test_rlimit_names),
                cmocka_unit_test(test_validation),
                cmocka_unit_test(test_valid_edge_cases),
                cmocka_unit_test(test_apply_nobody),
                cmocka_unit_test(test_apply_ambient),
                cmocka_unit_test(test_apply_without_caps),
                cmocka_unit_test(test_apply_failure_names_step),
                cmocka_unit_test(test_apply_hook_placement),
        };

        log_set_sink(log_discard, NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
