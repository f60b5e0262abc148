/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp: profiles compiled in the test process, loaded in forked children that report the
 * errno of each syscall they try (or die of SIGSYS). Loading without no_new_privs needs
 * CAP_SYS_ADMIN, so the load tests need root.
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
#include "engine/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The generated structs take char *, and -Wwrite-strings makes literals const. */
#define PB_STR(s)  ((char *) (s))
#define REPORT_MAX 1024
#define RULES_MAX  8
#define ARGS_MAX   4

static void log_discard(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

/* --- building a LinuxSeccomp --- */

struct profile {
        Grpc__LinuxSeccomp spec;
        Grpc__LinuxSyscall sc[RULES_MAX];
        Grpc__LinuxSyscall *scp[RULES_MAX];
        Grpc__LinuxSeccompArg args[RULES_MAX][ARGS_MAX];
        Grpc__LinuxSeccompArg *argp[RULES_MAX][ARGS_MAX];
};

static void profile_init(struct profile *p, const char *default_action)
{
        *p = (struct profile){ .spec = GRPC__LINUX_SECCOMP__INIT };
        p->spec.defaultaction = (char *) default_action;
        p->spec.syscalls = p->scp;
        for (size_t i = 0; i < RULES_MAX; i++) {
                p->sc[i] = (Grpc__LinuxSyscall) GRPC__LINUX_SYSCALL__INIT;
                p->sc[i].args = p->argp[i];
                p->scp[i] = &p->sc[i];
                for (size_t k = 0; k < ARGS_MAX; k++) {
                        p->args[i][k] = (Grpc__LinuxSeccompArg) GRPC__LINUX_SECCOMP_ARG__INIT;
                        p->argp[i][k] = &p->args[i][k];
                }
        }
}

/* names is a static NULL-terminated list. */
static Grpc__LinuxSyscall *profile_rule(struct profile *p, char **names, const char *action)
{
        Grpc__LinuxSyscall *sc = &p->sc[p->spec.n_syscalls++];

        sc->names = names;
        while (names[sc->n_names])
                sc->n_names++;
        sc->action = (char *) action;
        return sc;
}

static void rule_errno(Grpc__LinuxSyscall *sc, uint32_t e)
{
        sc->errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
        sc->errnoret = e;
}

static void rule_arg(Grpc__LinuxSyscall *sc, uint64_t index, const char *op, uint64_t value,
                     uint64_t value_two)
{
        Grpc__LinuxSeccompArg *a = sc->args[sc->n_args++];

        a->index = index;
        a->op = (char *) op;
        a->value = value;
        a->valuetwo = value_two;
}

/* --- children --- */

typedef void (*child_fn)(int fd);

static int run_child(struct seccomp_filter *f, child_fn fn, char *out, size_t size)
{
        int p[2], status = 0;
        size_t len = 0;
        pid_t pid;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char buf[32];
                int r;

                close(p[0]);
                /* A SIGSYS death must not leave a core file behind. */
                (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
                r = seccomp_filter_load(f);
                if (r < 0) {
                        snprintf(buf, sizeof(buf), "load failed: %d\n", r);
                        (void) !write(p[1], buf, strlen(buf));
                        _exit(2);
                }
                fn(p[1]);
                _exit(0);
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

/* Appends "name=errno " for a syscall result (0 when it succeeded). */
static void report(int fd, const char *name, long r)
{
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "%s=%d ", name, r < 0 ? errno : 0);

        (void) !write(fd, buf, (size_t) n);
}

static void child_syscalls(int fd)
{
        /* Paths under a directory that does not exist: an unfiltered call fails with ENOENT and
         * changes nothing. */
        static const char path[] = "/cata-seccomp-nonexistent/x";

#ifdef SYS_mkdir
        report(fd, "mkdir", syscall(SYS_mkdir, path, 0700));
#else
        report(fd, "mkdir", syscall(SYS_mkdirat, AT_FDCWD, path, 0700));
#endif
#ifdef SYS_chmod
        report(fd, "chmod", syscall(SYS_chmod, path, 0755));
#else
        report(fd, "chmod", syscall(SYS_fchmodat, AT_FDCWD, path, 0755));
#endif
        report(fd, "dup3-cloexec", syscall(SYS_dup3, 0, 100, O_CLOEXEC));
        report(fd, "dup3-0x4000", syscall(SYS_dup3, 0, 101, 0x4000));
        report(fd, "dup3-0", syscall(SYS_dup3, 0, 102, 0));
        report(fd, "personality-query", syscall(SYS_personality, 0xffffffffUL));
        report(fd, "personality-linux", syscall(SYS_personality, 0UL));
        report(fd, "rmdir", syscall(SYS_rmdir, path));
}

static char *mkdir_names[] = { PB_STR("mkdir"), PB_STR("mkdirat"), NULL };
static char *chmod_names[] = { PB_STR("chmod"), PB_STR("fchmodat"), PB_STR("no_such_syscall_cata"),
                               NULL };
static char *dup3_names[] = { PB_STR("dup3"), NULL };
static char *personality_names[] = { PB_STR("personality"), NULL };

static void test_errno_rules(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct seccomp_filter *f = NULL;
        Grpc__LinuxSyscall *sc;
        struct profile p;
        char out[REPORT_MAX];
        int status;

        (void) state;
        if (geteuid() != 0)
                skip();
        profile_init(&p, "SCMP_ACT_ALLOW");
        p.spec.n_flags = 1;
        p.spec.flags = (char *[]){ PB_STR("SECCOMP_FILTER_FLAG_SPEC_ALLOW") };
        rule_errno(profile_rule(&p, mkdir_names, "SCMP_ACT_ERRNO"), ENOSYS);
        profile_rule(&p, chmod_names, "SCMP_ACT_ERRNO"); /* no errnoRet: EPERM */
        /* Two conditions on argument 2: either one matches. */
        sc = profile_rule(&p, dup3_names, "SCMP_ACT_ERRNO");
        rule_errno(sc, EXDEV);
        rule_arg(sc, 2, "SCMP_CMP_EQ", O_CLOEXEC, 0);
        rule_arg(sc, 2, "SCMP_CMP_EQ", 0x4000, 0);
        /* MASKED_EQ: Value is the mask, ValueTwo the datum. */
        sc = profile_rule(&p, personality_names, "SCMP_ACT_ERRNO");
        rule_errno(sc, ENOTTY);
        rule_arg(sc, 0, "SCMP_CMP_MASKED_EQ", 0xffffffff, 0xffffffff);

        assert_int_equal(seccomp_filter_new(&p.spec, &f, &err), 0);
        assert_null(err);
        status = run_child(f, child_syscalls, out, sizeof(out));
        seccomp_filter_free(f);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        assert_string_equal(out, "mkdir=38 chmod=1 dup3-cloexec=18 dup3-0x4000=18 dup3-0=0 "
                                 "personality-query=25 personality-linux=0 rmdir=2 ");
}

static void child_kill(int fd)
{
        (void) !write(fd, "alive ", 6);
        (void) syscall(SYS_getppid);
        (void) !write(fd, "survived ", 9);
}

static void run_kill(const char *default_action)
{
        static char *allowed[] = { PB_STR("write"),      PB_STR("exit"),
                                   PB_STR("exit_group"), PB_STR("rt_sigreturn"),
                                   PB_STR("munmap"),     PB_STR("madvise"),
                                   PB_STR("brk"),        NULL };
        static char *unknown[] = { PB_STR("no_such_syscall_cata"), NULL };
        _cleanup_error_ struct agent_error *err = NULL;
        struct seccomp_filter *f = NULL;
        struct profile p;
        char out[REPORT_MAX];
        int status;

        profile_init(&p, default_action);
        profile_rule(&p, allowed, "SCMP_ACT_ALLOW");
        profile_rule(&p, unknown, "SCMP_ACT_ALLOW");
        assert_int_equal(seccomp_filter_new(&p.spec, &f, &err), 0);
        status = run_child(f, child_kill, out, sizeof(out));
        seccomp_filter_free(f);
        assert_string_equal(out, "alive ");
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_kill_default(void **state)
{
        (void) state;
        if (geteuid() != 0)
                skip();
        run_kill("SCMP_ACT_KILL");
        run_kill("SCMP_ACT_KILL_PROCESS");
        run_kill("SCMP_ACT_KILL_THREAD");
}

static void test_no_spec(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct seccomp_filter *f = (struct seccomp_filter *) 1;

        (void) state;
        assert_int_equal(seccomp_filter_new(NULL, &f, &err), 0);
        assert_null(f);
        assert_int_equal(seccomp_filter_load(NULL), 0);
        assert_null(seccomp_filter_free(NULL));
}

static void expect_error(const Grpc__LinuxSeccomp *spec, int errno_, const char *msg)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct seccomp_filter *f = NULL;

        assert_int_equal(seccomp_filter_new(spec, &f, &err), -errno_);
        assert_null(f);
        assert_non_null(err);
        assert_string_equal(err->msg, msg);
}

static void test_invalid(void **state)
{
        static char *names[] = { PB_STR("getpid"), NULL };
        static char *none[] = { NULL };
        Grpc__LinuxSyscall *sc;
        struct profile p;

        (void) state;
        profile_init(&p, "SCMP_ACT_FOO");
        expect_error(&p.spec, EINVAL, "linux.seccomp.defaultAction: unknown action `SCMP_ACT_FOO`");
        profile_init(&p, "");
        expect_error(&p.spec, EINVAL, "linux.seccomp.defaultAction: missing");
        profile_init(&p, "SCMP_ACT_NOTIFY");
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.defaultAction: unknown action `SCMP_ACT_NOTIFY`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_rule(&p, names, "SCMP_ACT_ERRNO");
        profile_rule(&p, names, "scmp_act_errno");
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.syscalls[1].action: unknown action `scmp_act_errno`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        sc = profile_rule(&p, names, "SCMP_ACT_ERRNO");
        rule_arg(sc, 0, "SCMP_CMP_EQ", 1, 0);
        rule_arg(sc, 1, "SCMP_CMP_FOO", 1, 0);
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.syscalls[0].args[1].op: unknown operator `SCMP_CMP_FOO`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        sc = profile_rule(&p, names, "SCMP_ACT_ERRNO");
        rule_arg(sc, 6, "SCMP_CMP_EQ", 1, 0);
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range [0, 5]");

        profile_init(&p, "SCMP_ACT_ALLOW");
        p.spec.n_architectures = 2;
        p.spec.architectures = (char *[]){ PB_STR("SCMP_ARCH_X86_64"), PB_STR("SCMP_ARCH_VAX") };
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.architectures[1]: unknown architecture `SCMP_ARCH_VAX`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        p.spec.n_flags = 1;
        p.spec.flags = (char *[]){ PB_STR("SECCOMP_FILTER_FLAG_FOO") };
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.flags[0]: unknown flag `SECCOMP_FILTER_FLAG_FOO`");

        profile_init(&p, "SCMP_ACT_ERRNO");
        rule_errno(profile_rule(&p, names, "SCMP_ACT_ALLOW"), 1);
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and "
                     "SCMP_ACT_TRACE take one, not `SCMP_ACT_ALLOW`");

        profile_init(&p, "SCMP_ACT_ALLOW");
        rule_errno(profile_rule(&p, names, "SCMP_ACT_ERRNO"), 4096);
        expect_error(&p.spec, EINVAL,
                     "linux.seccomp.syscalls[0].errnoRet: 4096 is above the largest errno 4095");

        profile_init(&p, "SCMP_ACT_ALLOW");
        profile_rule(&p, none, "SCMP_ACT_ERRNO");
        expect_error(&p.spec, EINVAL, "linux.seccomp.syscalls[0].names: empty");
}

static void test_valid_profiles(void **state)
{
        static char *names[] = { PB_STR("getpid"), PB_STR("no_such_syscall_cata"), PB_STR(""),
                                 NULL };
        static char *only_unknown[] = { PB_STR("no_such_syscall_cata"), NULL };
        _cleanup_error_ struct agent_error *err = NULL;
        struct seccomp_filter *f = NULL;
        Grpc__LinuxSyscall *sc;
        struct profile p;

        (void) state;
        /* Unknown names are skipped; a rule equal to the default is dropped; the native
         * architecture may be listed; ERRNO 0 and TRACE take data. */
        profile_init(&p, "SCMP_ACT_ERRNO");
        p.spec.n_architectures = 3;
        p.spec.architectures = (char *[]){ PB_STR("SCMP_ARCH_X86_64"), PB_STR("SCMP_ARCH_X86"),
                                           PB_STR("SCMP_ARCH_X32") };
        profile_rule(&p, names, "SCMP_ACT_ALLOW");
        profile_rule(&p, only_unknown, "SCMP_ACT_LOG");
        profile_rule(&p, (char *[]){ PB_STR("getppid"), NULL }, "SCMP_ACT_ERRNO");
        rule_errno(profile_rule(&p, (char *[]){ PB_STR("getuid"), NULL }, "SCMP_ACT_ERRNO"), 0);
        rule_errno(profile_rule(&p, (char *[]){ PB_STR("getgid"), NULL }, "SCMP_ACT_TRACE"), 7);
        sc = profile_rule(&p, (char *[]){ PB_STR("kill"), NULL }, "SCMP_ACT_TRAP");
        rule_arg(sc, 1, "SCMP_CMP_GT", 64, 0);
        rule_arg(sc, 0, "SCMP_CMP_NE", 1, 0);
        assert_int_equal(seccomp_filter_new(&p.spec, &f, &err), 0);
        assert_null(err);
        assert_non_null(f);
        f = seccomp_filter_free(f);
        assert_null(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_rules),    cmocka_unit_test(test_kill_default),
                cmocka_unit_test(test_no_spec),        cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_valid_profiles),
        };

        log_set_sink(log_discard, NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
