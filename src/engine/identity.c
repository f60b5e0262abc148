/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/identity.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's own limit on supplementary groups (NGROUPS_MAX in include/uapi/linux/limits.h). */
#define GROUPS_MAX  65536
#define OOM_ADJ_MIN (-1000)
#define OOM_ADJ_MAX 1000
/* capset's version 3 carries two 32-bit words per set. */
#define CAP_BITS      (32 * _LINUX_CAPABILITY_U32S_3)
#define CAP_BIT(c)    (UINT64_C(1) << (c))
#define RLIMITS_COUNT 16

/* Kata guests are 64-bit everywhere, so every uint64 limit of the spec fits an rlim_t. */
_Static_assert(sizeof(rlim_t) >= sizeof(uint64_t), "rlim_t must hold 64-bit limits");

/* Capability numbers are kernel ABI: the index is the number. Names without "cap_", lower case. */
static const char *const cap_names[] = {
        [0] = "chown",
        [1] = "dac_override",
        [2] = "dac_read_search",
        [3] = "fowner",
        [4] = "fsetid",
        [5] = "kill",
        [6] = "setgid",
        [7] = "setuid",
        [8] = "setpcap",
        [9] = "linux_immutable",
        [10] = "net_bind_service",
        [11] = "net_broadcast",
        [12] = "net_admin",
        [13] = "net_raw",
        [14] = "ipc_lock",
        [15] = "ipc_owner",
        [16] = "sys_module",
        [17] = "sys_rawio",
        [18] = "sys_chroot",
        [19] = "sys_ptrace",
        [20] = "sys_pacct",
        [21] = "sys_admin",
        [22] = "sys_boot",
        [23] = "sys_nice",
        [24] = "sys_resource",
        [25] = "sys_time",
        [26] = "sys_tty_config",
        [27] = "mknod",
        [28] = "lease",
        [29] = "audit_write",
        [30] = "audit_control",
        [31] = "setfcap",
        [32] = "mac_override",
        [33] = "mac_admin",
        [34] = "syslog",
        [35] = "wake_alarm",
        [36] = "block_suspend",
        [37] = "audit_read",
        [38] = "perfmon",
        [39] = "bpf",
        [40] = "checkpoint_restore",
};
_Static_assert(ARRAY_SIZE(cap_names) <= CAP_BITS, "capability table exceeds capset's 64 bits");
#ifdef CAP_CHECKPOINT_RESTORE
_Static_assert(CAP_CHECKPOINT_RESTORE == ARRAY_SIZE(cap_names) - 1, "capability table is stale");
#endif

/* The step names are static strings so the child can report them without formatting. */
static const struct {
        const char *name;
        int resource;
        const char *what;
} rlimit_table[RLIMITS_COUNT] = {
        { "RLIMIT_AS", RLIMIT_AS, "setrlimit(RLIMIT_AS)" },
        { "RLIMIT_CORE", RLIMIT_CORE, "setrlimit(RLIMIT_CORE)" },
        { "RLIMIT_CPU", RLIMIT_CPU, "setrlimit(RLIMIT_CPU)" },
        { "RLIMIT_DATA", RLIMIT_DATA, "setrlimit(RLIMIT_DATA)" },
        { "RLIMIT_FSIZE", RLIMIT_FSIZE, "setrlimit(RLIMIT_FSIZE)" },
        { "RLIMIT_LOCKS", RLIMIT_LOCKS, "setrlimit(RLIMIT_LOCKS)" },
        { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK, "setrlimit(RLIMIT_MEMLOCK)" },
        { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE, "setrlimit(RLIMIT_MSGQUEUE)" },
        { "RLIMIT_NICE", RLIMIT_NICE, "setrlimit(RLIMIT_NICE)" },
        { "RLIMIT_NOFILE", RLIMIT_NOFILE, "setrlimit(RLIMIT_NOFILE)" },
        { "RLIMIT_NPROC", RLIMIT_NPROC, "setrlimit(RLIMIT_NPROC)" },
        { "RLIMIT_RSS", RLIMIT_RSS, "setrlimit(RLIMIT_RSS)" },
        { "RLIMIT_RTPRIO", RLIMIT_RTPRIO, "setrlimit(RLIMIT_RTPRIO)" },
        { "RLIMIT_RTTIME", RLIMIT_RTTIME, "setrlimit(RLIMIT_RTTIME)" },
        { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING, "setrlimit(RLIMIT_SIGPENDING)" },
        { "RLIMIT_STACK", RLIMIT_STACK, "setrlimit(RLIMIT_STACK)" },
};

struct rlimit_item {
        int resource;
        struct rlimit limit;
        const char *what;
};

struct identity {
        uid_t uid;
        gid_t gid;
        size_t n_gids;
        gid_t *gids;

        bool caps; /* Process.Capabilities present */
        unsigned last_cap;
        uint64_t bounding, effective, permitted, inheritable, ambient;

        size_t n_rlimits;
        struct rlimit_item rlimits[RLIMITS_COUNT];

        bool no_new_privs;
        bool oom_set;
        size_t oom_len;
        char oom[16];
};

int identity_cap_from_name(const char *name)
{
        if (!name)
                return -EINVAL;
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (strcasecmp(name, cap_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

static int rlimit_index(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++)
                if (streq(name, rlimit_table[i].name))
                        return (int) i;
        return -EINVAL;
}

int identity_rlimit_from_name(const char *name)
{
        int i = rlimit_index(name);

        return i < 0 ? i : rlimit_table[i].resource;
}

/* Read once: the kernel does not change under us, and the agent is single-threaded. */
static unsigned kernel_last_cap(void)
{
        static int cached = -1;
        uint64_t v;

        if (cached >= 0)
                return (unsigned) cached;
        if (read_u64_file("/proc/sys/kernel/cap_last_cap", 10, &v) == 0 && v < CAP_BITS) {
                cached = (int) v;
        } else {
                /* No procfs (early boot): PR_CAPBSET_READ answers EINVAL past the last one. */
                cached = 0;
                while (cached + 1 < CAP_BITS && prctl(PR_CAPBSET_READ, cached + 1, 0, 0, 0) >= 0)
                        cached++;
        }
        return (unsigned) cached;
}

static int caps_parse(char **names, size_t n, const char *set, unsigned last_cap, uint64_t *ret,
                      struct agent_error **err)
{
        uint64_t mask = 0;

        for (size_t i = 0; i < n; i++) {
                int c = identity_cap_from_name(names[i]);

                if (c < 0)
                        return agent_error_setf(err, EINVAL,
                                                "process.capabilities.%s: unknown capability `%s`",
                                                set, names[i] ? names[i] : "");
                if ((unsigned) c > last_cap) {
                        /* Profiles list capabilities of newer kernels; they cannot apply here. */
                        log_debug("process.capabilities.%s: `%s` is unknown to this kernel "
                                  "(last capability %u), skipped",
                                  set, names[i], last_cap);
                        continue;
                }
                mask |= CAP_BIT(c);
        }
        *ret = mask;
        return 0;
}

/* The first name of the list whose capability is in mask (for messages in the spec's spelling). */
static const char *caps_first_in(char **names, size_t n, uint64_t mask)
{
        for (size_t i = 0; i < n; i++) {
                int c = identity_cap_from_name(names[i]);
                if (c >= 0 && (mask & CAP_BIT(c)))
                        return names[i];
        }
        return "?";
}

static int caps_new(const Grpc__LinuxCapabilities *caps, struct identity *id,
                    struct agent_error **err)
{
        uint64_t missing;
        int r;

        const struct {
                const char *set;
                char **names;
                size_t n;
                uint64_t *mask;
        } sets[] = {
                { "bounding", caps->bounding, caps->n_bounding, &id->bounding },
                { "effective", caps->effective, caps->n_effective, &id->effective },
                { "inheritable", caps->inheritable, caps->n_inheritable, &id->inheritable },
                { "permitted", caps->permitted, caps->n_permitted, &id->permitted },
                { "ambient", caps->ambient, caps->n_ambient, &id->ambient },
        };

        id->caps = true;
        id->last_cap = kernel_last_cap();
        for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
                r = caps_parse(sets[i].names, sets[i].n, sets[i].set, id->last_cap, sets[i].mask,
                               err);
                if (r < 0)
                        return r;
        }

        /* capset refuses an effective set wider than the permitted one, whatever the agent is. */
        missing = id->effective & ~id->permitted;
        if (missing)
                return agent_error_setf(err, EINVAL,
                                        "process.capabilities.effective: `%s` is not in "
                                        "process.capabilities.permitted",
                                        caps_first_in(caps->effective, caps->n_effective, missing));

        /* The kernel raises an ambient capability only when it is permitted and inheritable. */
        missing = id->ambient & ~(id->permitted & id->inheritable);
        for (size_t i = 0; missing && i < caps->n_ambient; i++) {
                int c = identity_cap_from_name(caps->ambient[i]);
                if (c >= 0 && (missing & CAP_BIT(c))) {
                        log_debug("process.capabilities.ambient: `%s` is not both permitted and "
                                  "inheritable, not raised",
                                  caps->ambient[i]);
                        missing &= ~CAP_BIT(c);
                }
        }
        id->ambient &= id->permitted & id->inheritable;
        return 0;
}

static int rlimits_new(const Grpc__Process *proc, struct identity *id, struct agent_error **err)
{
        for (size_t i = 0; i < proc->n_rlimits; i++) {
                const Grpc__POSIXRlimit *rl = proc->rlimits[i];
                const char *type = rl->type ? rl->type : "";
                int k = rlimit_index(type);

                if (k < 0)
                        return agent_error_setf(err, EINVAL,
                                                "process.rlimits[%zu].type: unknown rlimit `%s`", i,
                                                type);
                for (size_t j = 0; j < id->n_rlimits; j++)
                        if (id->rlimits[j].resource == rlimit_table[k].resource)
                                return agent_error_setf(
                                        err, EINVAL,
                                        "process.rlimits[%zu].type: duplicate rlimit `%s`", i,
                                        type);
                if (rl->soft > rl->hard)
                        return agent_error_setf(err, EINVAL,
                                                "process.rlimits[%zu]: `%s` soft limit %" PRIu64
                                                " is above its hard limit %" PRIu64,
                                                i, type, rl->soft, rl->hard);
                /* No duplicates, so at most one entry per RLIMIT_* name: the array is enough. */
                id->rlimits[id->n_rlimits++] = (struct rlimit_item){
                        .resource = rlimit_table[k].resource,
                        .limit = { .rlim_cur = rl->soft, .rlim_max = rl->hard },
                        .what = rlimit_table[k].what,
                };
        }
        return 0;
}

/* (uid_t) -1 is "leave unchanged" to setresuid/setresgid/chown: the process would silently
 * keep the agent's identity (root). It names no identity, so it is refused. */
#define ID_UNCHANGED 4294967295u

static int user_new(const Grpc__User *user, struct identity *id, struct agent_error **err)
{
        if (!user)
                return 0;
        if (user->uid == ID_UNCHANGED)
                return agent_error_setf(err, EINVAL,
                                        "process.user.uid: %u is not a valid uid (it means "
                                        "\"unchanged\" to the kernel)",
                                        user->uid);
        if (user->gid == ID_UNCHANGED)
                return agent_error_setf(err, EINVAL,
                                        "process.user.gid: %u is not a valid gid (it means "
                                        "\"unchanged\" to the kernel)",
                                        user->gid);
        for (size_t i = 0; i < user->n_additionalgids; i++)
                if (user->additionalgids[i] == ID_UNCHANGED)
                        return agent_error_setf(err, EINVAL,
                                                "process.user.additionalGids[%zu]: %u is not a "
                                                "valid gid",
                                                i, user->additionalgids[i]);
        if (user->n_additionalgids > GROUPS_MAX)
                return agent_error_setf(err, EINVAL,
                                        "process.user.additionalGids: %zu groups, more than the "
                                        "kernel's limit of %d",
                                        user->n_additionalgids, GROUPS_MAX);
        id->uid = user->uid;
        id->gid = user->gid;
        id->n_gids = user->n_additionalgids;
        if (id->n_gids > 0) {
                id->gids = xmalloc(id->n_gids * sizeof(gid_t));
                for (size_t i = 0; i < id->n_gids; i++)
                        id->gids[i] = user->additionalgids[i];
        }
        return 0;
}

static int oom_new(int64_t adj, struct identity *id, struct agent_error **err)
{
        int n;

        if (adj == 0)
                return 0; /* proto3: unset and 0 look the same; inherit */
        if (adj < OOM_ADJ_MIN || adj > OOM_ADJ_MAX)
                return agent_error_setf(err, EINVAL,
                                        "process.oomScoreAdj: %" PRId64 " is out of range [%d, %d]",
                                        adj, OOM_ADJ_MIN, OOM_ADJ_MAX);
        n = snprintf(id->oom, sizeof(id->oom), "%" PRId64, adj);
        id->oom_len = (size_t) n;
        id->oom_set = true;
        return 0;
}

struct identity *identity_free(struct identity *id)
{
        if (id) {
                free(id->gids);
                free(id);
        }
        return NULL;
}

static void identity_freep(struct identity **id)
{
        *id = identity_free(*id);
}

int identity_new(const Grpc__Process *proc, struct identity **ret, struct agent_error **err)
{
        _cleanup_(identity_freep) struct identity *id = NULL;
        int r;

        if (!proc)
                return agent_error_setf(err, EINVAL, "process: missing");
        id = xzalloc(sizeof(*id));
        if ((r = user_new(proc->user, id, err)) < 0 ||
            (proc->capabilities && (r = caps_new(proc->capabilities, id, err)) < 0) ||
            (r = rlimits_new(proc, id, err)) < 0 || (r = oom_new(proc->oomscoreadj, id, err)) < 0)
                return r;
        id->no_new_privs = proc->nonewprivileges;
        *ret = TAKE_PTR(id);
        return 0;
}

/* --- In the child: syscalls only, no allocation, no logging. --- */

/* Records the step, keeps errno for callers that report it, returns -errno. */
static int step_failed(const char **ret_what, const char *what, int errno_)
{
        if (errno_ <= 0)
                errno_ = EIO;
        *ret_what = what;
        errno = errno_;
        return -errno_;
}

static int apply_rlimits(const struct identity *id, const char **ret_what)
{
        for (size_t i = 0; i < id->n_rlimits; i++)
                if (setrlimit(id->rlimits[i].resource, &id->rlimits[i].limit) < 0)
                        return step_failed(ret_what, id->rlimits[i].what, errno);
        return 0;
}

static int apply_oom(const struct identity *id, const char **ret_what)
{
        int fd, saved;
        ssize_t n;

        if (!id->oom_set)
                return 0;
        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return step_failed(ret_what, "open /proc/self/oom_score_adj", errno);
        n = write(fd, id->oom, id->oom_len);
        saved = n < 0 ? errno : EIO;
        (void) close(fd);
        if (n != (ssize_t) id->oom_len)
                return step_failed(ret_what, "write /proc/self/oom_score_adj", saved);
        return 0;
}

static int apply_bounding(const struct identity *id, const char **ret_what)
{
        for (unsigned c = 0; c <= id->last_cap; c++)
                if (!(id->bounding & CAP_BIT(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
                        return step_failed(ret_what, "prctl(PR_CAPBSET_DROP)", errno);
        return 0;
}

static int apply_keepcaps(const char **ret_what)
{
        /* Without it, setresuid to a non-root uid would empty the permitted set; execve clears
         * it again. */
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return step_failed(ret_what, "prctl(PR_SET_KEEPCAPS)", errno);
        return 0;
}

static int apply_user(const struct identity *id, const char **ret_what)
{
        /* Groups first: once the uid changes, CAP_SETGID may be gone. */
        if (setgroups(id->n_gids, id->gids) < 0)
                return step_failed(ret_what, "setgroups", errno);
        if (setresgid(id->gid, id->gid, id->gid) < 0)
                return step_failed(ret_what, "setresgid", errno);
        if (setresuid(id->uid, id->uid, id->uid) < 0)
                return step_failed(ret_what, "setresuid", errno);
        return 0;
}

static int apply_caps(const struct identity *id, const char **ret_what)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

        for (unsigned i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
                data[i] = (struct __user_cap_data_struct){
                        .effective = (uint32_t) (id->effective >> (32 * i)),
                        .permitted = (uint32_t) (id->permitted >> (32 * i)),
                        .inheritable = (uint32_t) (id->inheritable >> (32 * i)),
                };
        if (syscall(SYS_capset, &hdr, data) < 0)
                return step_failed(ret_what, "capset", errno);
        return 0;
}

static int apply_ambient(const struct identity *id, const char **ret_what)
{
        /* Kernels before 4.3 have no ambient set: only an error if one was asked for. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
            (errno != EINVAL || id->ambient))
                return step_failed(ret_what, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);
        for (unsigned c = 0; c <= id->last_cap; c++)
                if ((id->ambient & CAP_BIT(c)) &&
                    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return step_failed(ret_what, "prctl(PR_CAP_AMBIENT_RAISE)", errno);
        return 0;
}

static int run_hook(identity_hook_fn hook, void *userdata, const char *hook_what,
                    const char **ret_what)
{
        int r = hook(userdata);

        if (r < 0)
                return step_failed(ret_what, hook_what ? hook_what : "hook", -r);
        return 0;
}

int identity_apply_with(const struct identity *id, identity_hook_fn hook, void *userdata,
                        const char *hook_what, const char **ret_what)
{
        const char *unused;
        int r;

        if (!ret_what)
                ret_what = &unused;
        *ret_what = NULL;
        if ((r = apply_rlimits(id, ret_what)) < 0 || (r = apply_oom(id, ret_what)) < 0)
                return r;
        if (hook && !id->no_new_privs && (r = run_hook(hook, userdata, hook_what, ret_what)) < 0)
                return r;
        if (id->caps &&
            ((r = apply_bounding(id, ret_what)) < 0 || (r = apply_keepcaps(ret_what)) < 0))
                return r;
        if ((r = apply_user(id, ret_what)) < 0)
                return r;
        if (id->caps &&
            ((r = apply_caps(id, ret_what)) < 0 || (r = apply_ambient(id, ret_what)) < 0))
                return r;
        if (id->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return step_failed(ret_what, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
        if (hook && id->no_new_privs && (r = run_hook(hook, userdata, hook_what, ret_what)) < 0)
                return r;
        return 0;
}

int identity_apply(const struct identity *id, const char **ret_what)
{
        return identity_apply_with(id, NULL, NULL, NULL, ret_what);
}

const char *identity_cap_name(size_t i)
{
        return i < ARRAY_SIZE(cap_names) ? cap_names[i] : NULL;
}
