/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libseccomp features used, and the release that brought them (the minimum is 2.5.0; Debian 12
 * ships 2.5.4):
 *  - seccomp_init/rule_add_array/arch_add/load/export_bpf, seccomp_syscall_resolve_name (2.0);
 *  - seccomp_arch_resolve_name (2.3.0);
 *  - SCMP_ACT_KILL_PROCESS, SCMP_ACT_LOG, SCMP_FLTATR_CTL_LOG, SCMP_FLTATR_CTL_SSB (2.4.0);
 *  - SCMP_FLTATR_API_SYSRAWRC (2.5.0): seccomp_load() returns the kernel's errno (EACCES,
 *    EINVAL, ...) instead of a generic -ECANCELED;
 *  - SCMP_FLTATR_CTL_WAITKILL (2.6.0) for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, only when
 *    built against 2.6 or newer.
 */
#include "engine/seccomp.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#if SCMP_VER_MAJOR < 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 5)
#error "libseccomp 2.5.0 or newer is required (SCMP_FLTATR_API_SYSRAWRC)"
#endif

/* The kernel clamps SECCOMP_RET_ERRNO data to MAX_ERRNO; libseccomp rejects larger values. */
#define ERRNO_MAX 4095
/* SECCOMP_RET_DATA is 16 bits wide: the most SCMP_ACT_TRACE can carry. */
#define TRACE_MSG_MAX 0xffff
/* A syscall has six arguments. */
#define ARGS_MAX 6

struct seccomp_filter {
        scmp_filter_ctx ctx;
};

enum action_data {
        ACTION_DATA_NONE,
        ACTION_DATA_ERRNO,
        ACTION_DATA_TRACE,
};

static const struct {
        const char *name;
        uint32_t action;
        enum action_data data;
} action_table[] = {
        { "SCMP_ACT_KILL", SCMP_ACT_KILL, ACTION_DATA_NONE },
        { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ACTION_DATA_NONE },
        { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, ACTION_DATA_NONE },
        { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, ACTION_DATA_NONE },
        { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), ACTION_DATA_ERRNO },
        { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), ACTION_DATA_TRACE },
        { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, ACTION_DATA_NONE },
        { "SCMP_ACT_LOG", SCMP_ACT_LOG, ACTION_DATA_NONE },
};

static const struct {
        const char *name;
        enum scmp_compare op;
} op_table[] = {
        { "SCMP_CMP_NE", SCMP_CMP_NE },
        { "SCMP_CMP_LT", SCMP_CMP_LT },
        { "SCMP_CMP_LE", SCMP_CMP_LE },
        { "SCMP_CMP_EQ", SCMP_CMP_EQ },
        { "SCMP_CMP_GE", SCMP_CMP_GE },
        { "SCMP_CMP_GT", SCMP_CMP_GT },
        { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
        const char *name;
        enum scmp_filter_attr attr;
} flag_table[] = {
        { "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC },
        { "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG },
        { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB },
#if SCMP_VER_MAJOR > 2 || SCMP_VER_MINOR >= 6
        { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL },
#endif
};

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

/* Resolves an action; errno_ret is NULL when the spec did not set ErrnoRet. The fields name the
 * action and its ErrnoRet in messages. */
static int action_parse(const char *name, const uint32_t *errno_ret, const char *action_field,
                        const char *errno_field, uint32_t *ret, struct agent_error **err)
{
        size_t i = 0;

        if (!name || !*name)
                return agent_error_setf(err, EINVAL, "%s: missing", action_field);
        while (i < ARRAY_SIZE(action_table) && !streq(name, action_table[i].name))
                i++;
        if (i == ARRAY_SIZE(action_table))
                return agent_error_setf(err, EINVAL, "%s: unknown action `%s`", action_field, name);
        switch (action_table[i].data) {
        case ACTION_DATA_NONE:
                if (errno_ret)
                        return agent_error_setf(err, EINVAL,
                                                "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take "
                                                "one, not `%s`",
                                                errno_field, name);
                *ret = action_table[i].action;
                return 0;
        case ACTION_DATA_ERRNO:
                if (errno_ret && *errno_ret > ERRNO_MAX)
                        return agent_error_setf(err, EINVAL,
                                                "%s: %" PRIu32 " is above the largest errno %d",
                                                errno_field, *errno_ret, ERRNO_MAX);
                *ret = SCMP_ACT_ERRNO(errno_ret ? *errno_ret : EPERM);
                return 0;
        case ACTION_DATA_TRACE:
                if (errno_ret && *errno_ret > TRACE_MSG_MAX)
                        return agent_error_setf(err, EINVAL,
                                                "%s: %" PRIu32
                                                " is above the largest trace message %d",
                                                errno_field, *errno_ret, TRACE_MSG_MAX);
                /* As crun and the Rust agent: the tracer's message defaults to EPERM too. */
                *ret = SCMP_ACT_TRACE(errno_ret ? *errno_ret : EPERM);
                return 0;
        }
        return -EINVAL;
}

static int arches_add(scmp_filter_ctx ctx, const Grpc__LinuxSeccomp *spec, struct agent_error **err)
{
        for (size_t i = 0; i < spec->n_architectures; i++) {
                const char *name = spec->architectures[i] ? spec->architectures[i] : "";
                const char *p = startswith(name, "SCMP_ARCH_") ? name + 10 : name;
                char lower[32];
                uint32_t arch = 0;
                size_t n = strlen(p);
                int r;

                /* libseccomp knows "x86_64", the spec says "SCMP_ARCH_X86_64". */
                if (n > 0 && n < sizeof(lower)) {
                        for (size_t k = 0; k <= n; k++)
                                lower[k] = (char) tolower((unsigned char) p[k]);
                        arch = seccomp_arch_resolve_name(lower);
                }
                if (arch == 0)
                        return agent_error_setf(err, EINVAL,
                                                "linux.seccomp.architectures[%zu]: unknown "
                                                "architecture `%s`",
                                                i, name);
                r = seccomp_arch_add(ctx, arch);
                if (r < 0 && r != -EEXIST) /* the native one is always there */
                        return agent_error_set(
                                err, -r, "linux.seccomp.architectures[%zu]: add `%s`", i, name);
        }
        return 0;
}

static int flags_set(scmp_filter_ctx ctx, const Grpc__LinuxSeccomp *spec, struct agent_error **err)
{
        for (size_t i = 0; i < spec->n_flags; i++) {
                const char *name = spec->flags[i] ? spec->flags[i] : "";
                size_t k = 0;
                int r;

                while (k < ARRAY_SIZE(flag_table) && !streq(name, flag_table[k].name))
                        k++;
                if (k == ARRAY_SIZE(flag_table))
                        return agent_error_setf(err, EINVAL,
                                                "linux.seccomp.flags[%zu]: unknown flag `%s`", i,
                                                name);
                /* -EOPNOTSUPP when the running kernel lacks the flag. */
                r = seccomp_attr_set(ctx, flag_table[k].attr, 1);
                if (r < 0)
                        return agent_error_set(err, -r, "linux.seccomp.flags[%zu]: set `%s`", i,
                                               name);
        }
        return 0;
}

/* Converts Args; *ret_split is true when an argument index repeats (see rule_add). */
static int conditions_parse(const Grpc__LinuxSyscall *sc, size_t i, struct scmp_arg_cmp *cmps,
                            bool *ret_split, struct agent_error **err)
{
        unsigned seen = 0;

        *ret_split = false;
        for (size_t a = 0; a < sc->n_args; a++) {
                const Grpc__LinuxSeccompArg *arg = sc->args[a];
                const char *op = arg->op ? arg->op : "";
                size_t k = 0;

                if (arg->index >= ARGS_MAX)
                        return agent_error_setf(
                                err, EINVAL,
                                "linux.seccomp.syscalls[%zu].args[%zu].index: %" PRIu64
                                " is out of range [0, %d]",
                                i, a, arg->index, ARGS_MAX - 1);
                while (k < ARRAY_SIZE(op_table) && !streq(op, op_table[k].name))
                        k++;
                if (k == ARRAY_SIZE(op_table))
                        return agent_error_setf(err, EINVAL,
                                                "linux.seccomp.syscalls[%zu].args[%zu].op: "
                                                "unknown operator `%s`",
                                                i, a, op);
                if (seen & (1u << arg->index))
                        *ret_split = true;
                seen |= 1u << arg->index;
                /* For MASKED_EQ the spec's Value is the mask and ValueTwo the datum, which is
                 * exactly libseccomp's (datum_a, datum_b). */
                cmps[a] = (struct scmp_arg_cmp){
                        .arg = (unsigned) arg->index,
                        .op = op_table[k].op,
                        .datum_a = arg->value,
                        .datum_b = arg->valuetwo,
                };
        }
        return 0;
}

/*
 * One syscall name. libseccomp refuses two conditions on the same argument in one rule, so then
 * every condition becomes a rule of its own (any of them matches), as runc and crun do.
 */
static int rule_add(scmp_filter_ctx ctx, uint32_t action, int nr, const struct scmp_arg_cmp *cmps,
                    size_t n, bool split)
{
        int r;

        if (!split)
                return seccomp_rule_add_array(ctx, action, nr, (unsigned) n, cmps);
        for (size_t k = 0; k < n; k++)
                if ((r = seccomp_rule_add_array(ctx, action, nr, 1, &cmps[k])) < 0)
                        return r;
        return 0;
}

static int syscall_add(scmp_filter_ctx ctx, uint32_t default_action, const Grpc__LinuxSyscall *sc,
                       size_t i, struct agent_error **err)
{
        bool has_errno = sc->errno_ret_case == GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
        _cleanup_free_ struct scmp_arg_cmp *cmps = NULL;
        char field[64], action_field[80], errno_field[80];
        uint32_t action;
        bool split;
        int r;

        (void) snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu]", i);
        (void) snprintf(action_field, sizeof(action_field), "%s.action", field);
        (void) snprintf(errno_field, sizeof(errno_field), "%s.errnoRet", field);
        if (sc->n_names == 0)
                return agent_error_setf(err, EINVAL, "%s.names: empty", field);
        r = action_parse(sc->action, has_errno ? &sc->errnoret : NULL, action_field, errno_field,
                         &action, err);
        if (r < 0)
                return r;
        cmps = xmalloc((sc->n_args ? sc->n_args : 1) * sizeof(*cmps));
        if ((r = conditions_parse(sc, i, cmps, &split, err)) < 0)
                return r;
        /* libseccomp refuses (EACCES) a rule that only restates the default. */
        if (action == default_action)
                return 0;
        for (size_t j = 0; j < sc->n_names; j++) {
                const char *name = sc->names[j] ? sc->names[j] : "";
                int nr = seccomp_syscall_resolve_name(name);

                if (nr == __NR_SCMP_ERROR) {
                        /* Profiles list syscalls of newer kernels and other libcs. */
                        log_debug("linux.seccomp: unknown syscall `%s` skipped", name);
                        continue;
                }
                r = rule_add(ctx, action, nr, cmps, sc->n_args, split);
                if (r < 0)
                        return agent_error_set(err, -r, "%s: add rule for `%s`", field, name);
        }
        return 0;
}

/* Generates the program once in the agent, so a filter the kernel would refuse for its size
 * is a CreateContainer error rather than a failure in the child. */
static int program_check(scmp_filter_ctx ctx, struct agent_error **err)
{
        _cleanup_close_ int fd = memfd_create("cata-seccomp", MFD_CLOEXEC);
        struct stat st;
        uint64_t insns;
        int r;

        if (fd < 0)
                return agent_error_set(err, errno, "linux.seccomp: memfd_create");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return agent_error_set(err, -r, "linux.seccomp: generate the BPF program");
        if (fstat(fd, &st) < 0)
                return agent_error_set(err, errno, "linux.seccomp: fstat");
        insns = (uint64_t) st.st_size / sizeof(struct sock_filter);
        if (insns > BPF_MAXINSNS)
                return agent_error_setf(err, E2BIG,
                                        "linux.seccomp: the filter needs %" PRIu64
                                        " BPF instructions, more than the kernel's %d",
                                        insns, BPF_MAXINSNS);
        return 0;
}

static int filter_build(scmp_filter_ctx ctx, uint32_t default_action,
                        const Grpc__LinuxSeccomp *spec, struct agent_error **err)
{
        int r;

        /* NO_NEW_PRIVS is Process.NoNewPrivileges' to decide, not libseccomp's (its default
         * sets it at load). Raw return codes give the caller the kernel's errno. */
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
                return agent_error_set(err, -r, "linux.seccomp: set filter attributes");
        if ((r = arches_add(ctx, spec, err)) < 0 || (r = flags_set(ctx, spec, err)) < 0)
                return r;
        for (size_t i = 0; i < spec->n_syscalls; i++)
                if ((r = syscall_add(ctx, default_action, spec->syscalls[i], i, err)) < 0)
                        return r;
        return program_check(ctx, err);
}

int seccomp_filter_new(const Grpc__LinuxSeccomp *spec, struct seccomp_filter **ret,
                       struct agent_error **err)
{
        return seccomp_filter_new_with(spec, NULL, ret, err);
}

int seccomp_filter_new_with(const Grpc__LinuxSeccomp *spec, const uint32_t *default_errno_ret,
                            struct seccomp_filter **ret, struct agent_error **err)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        struct seccomp_filter *f;
        uint32_t default_action;
        int r;

        if (!spec) {
                *ret = NULL; /* no filter: seccomp_filter_load() is then a no-op */
                return 0;
        }
        r = action_parse(spec->defaultaction, default_errno_ret, "linux.seccomp.defaultAction",
                         "linux.seccomp.defaultErrnoRet", &default_action, err);
        if (r < 0)
                return r;
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
                return agent_error_setf(err, EOPNOTSUPP,
                                        "linux.seccomp: the kernel does not support seccomp");
        ctx = seccomp_init(default_action);
        if (!ctx)
                return agent_error_setf(err, ENOMEM, "linux.seccomp: seccomp_init failed");
        r = filter_build(ctx, default_action, spec, err);
        if (r < 0)
                return r;
        f = xzalloc(sizeof(*f));
        f->ctx = TAKE_PTR(ctx);
        *ret = f;
        return 0;
}

int seccomp_filter_load(struct seccomp_filter *f)
{
        int r;

        if (!f)
                return 0;
        r = seccomp_load(f->ctx);
        return r < 0 ? r : 0;
}

struct seccomp_filter *seccomp_filter_free(struct seccomp_filter *f)
{
        if (f) {
                seccomp_release(f->ctx);
                free(f);
        }
        return NULL;
}

const char *seccomp_action_name(size_t i)
{
        return i < ARRAY_SIZE(action_table) ? action_table[i].name : NULL;
}

const char *seccomp_operator_name(size_t i)
{
        return i < ARRAY_SIZE(op_table) ? op_table[i].name : NULL;
}
