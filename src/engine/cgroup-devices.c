/* SPDX-License-Identifier: Apache-2.0 */
/* Device access rules: v1 devices.allow/deny lists, v2 an eBPF device program. */
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What a container needs whatever its spec says (crun's and runc's list). */
static const struct cgroup_device_rule default_devices[] = {
        { true, 'c', -1, -1, "m" },    { true, 'b', -1, -1, "m" }, { true, 'c', 1, 3, "rwm" },
        { true, 'c', 1, 8, "rwm" },    { true, 'c', 1, 7, "rwm" }, { true, 'c', 5, 0, "rwm" },
        { true, 'c', 1, 5, "rwm" },    { true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 1, "rwm" },
        { true, 'c', 136, -1, "rwm" }, { true, 'c', 5, 2, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

static bool full_access(const char *a)
{
        return strchr(a, 'r') && strchr(a, 'w') && strchr(a, 'm');
}

/* "a" with every access resets the whole list in the kernel. */
static bool all_devices_rule(const struct cgroup_device_rule *d)
{
        return d->type == 'a' && full_access(d->access);
}

/* The spec's rule in the engine's form. On the wire an absent major/minor is 0 (proto3) and the
 * runtime sends -1 for "any": both mean the wildcard, as in the Rust agent. */
static int from_spec(const Grpc__LinuxDeviceCgroup *d, struct cgroup_device_rule *ret,
                     struct agent_error **err)
{
        const char *a = d->access && *d->access ? d->access : "rwm";
        char t = d->type && *d->type ? d->type[0] : 'a';

        if ((t != 'a' && t != 'b' && t != 'c') || (d->type && strlen(d->type) > 1))
                return agent_error_setf(err, EINVAL, "device rule type `%s` is invalid", d->type);
        if (strspn(a, "rwm") != strlen(a) || strlen(a) > 3)
                return agent_error_setf(err, EINVAL, "device rule access `%s` is invalid", a);
        *ret = (struct cgroup_device_rule){ .allow = d->allow,
                                            .type = t,
                                            .major = d->major > 0 ? d->major : -1,
                                            .minor = d->minor > 0 ? d->minor : -1 };
        snprintf(ret->access, sizeof(ret->access), "%s", a);
        return 0;
}

/* The effective list: the spec's rules from its last all-devices rule on (earlier ones are
 * moot), crun's defaults when that rule denies, then the agent's exact rules. *ret_default is
 * what a device no rule names gets. */
static int effective_rules(const struct cgroup *cg, Grpc__LinuxDeviceCgroup **d, size_t n,
                           struct cgroup_device_rule **ret, size_t *ret_n, bool *ret_default,
                           struct agent_error **err)
{
        struct cgroup_device_rule *v =
                xzalloc((n + ARRAY_SIZE(default_devices) + cg->n_extra + 1) * sizeof(*v));
        size_t k = 0, start = 0;
        bool have_all = false;

        *ret_default = true;
        for (size_t i = 0; i < n; i++) {
                int r = from_spec(d[i], &v[i], err);
                if (r < 0) {
                        free(v);
                        return r;
                }
                if (all_devices_rule(&v[i])) {
                        start = i;
                        have_all = true;
                        *ret_default = v[i].allow;
                }
        }
        for (size_t i = have_all ? start + 1 : 0; i < n; i++)
                v[k++] = v[i];
        for (size_t i = 0; have_all && !*ret_default && i < ARRAY_SIZE(default_devices); i++)
                v[k++] = default_devices[i];
        for (size_t i = 0; i < cg->n_extra; i++)
                v[k++] = cg->extra[i];
        *ret = v;
        *ret_n = k;
        return 0;
}

/* ---- v1 ---- */

static void dev_num(char *buf, size_t size, int64_t v)
{
        if (v < 0)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%" PRId64, v);
}

static int v1_rule(const struct hier *h, const struct cgroup_device_rule *d,
                   struct agent_error **err)
{
        const char *file = d->allow ? "devices.allow" : "devices.deny";
        char ma[24], mi[24], line[64];
        int r;

        if (d->type == 'a') {
                /* "a" with partial access: the kernel would read it as all access, so spell
                 * it out. */
                struct cgroup_device_rule b = *d, c = *d;
                b.type = 'b';
                c.type = 'c';
                r = v1_rule(h, &b, err);
                return r < 0 ? r : v1_rule(h, &c, err);
        }
        dev_num(ma, sizeof(ma), d->major);
        dev_num(mi, sizeof(mi), d->minor);
        snprintf(line, sizeof(line), "%c %s:%s %s", d->type, ma, mi, d->access);
        return cgroup_write(h, file, line, err);
}

static int apply_v1(const struct hier *h, const struct cgroup_device_rule *v, size_t n,
                    bool have_all, bool dflt, struct agent_error **err)
{
        int r;

        /* Writing "a" resets the kernel's list; it goes first. */
        if (have_all &&
            (r = cgroup_write(h, dflt ? "devices.allow" : "devices.deny", "a", err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if ((r = v1_rule(h, &v[i], err)) < 0)
                        return r;
        return 0;
}

/* ---- v2: BPF_PROG_TYPE_CGROUP_DEVICE ---- */

#define INSN(c, d, s, o, i) \
        ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static unsigned bpf_access(const char *a)
{
        return (strchr(a, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) |
               (strchr(a, 'r') ? BPF_DEVCG_ACC_READ : 0) |
               (strchr(a, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/* A jump from index at to the next rule (index len of this block). */
static int16_t skip_to(size_t len, size_t at)
{
        return (int16_t) (len - at - 1);
}

/* One rule: a run of "if it differs, jump past this rule" tests, then return its verdict. */
static size_t emit_rule(struct bpf_insn *p, const struct cgroup_device_rule *d)
{
        unsigned acc = bpf_access(d->access);
        size_t n = 0, len = 2; /* mov r0, exit */
        bool t = d->type != 'a',
             a = acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE),
             ma = d->major >= 0, mi = d->minor >= 0;

        len += t + 3 * a + ma + mi;
        if (t) {
                p[n] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, skip_to(len, n),
                            d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
                n++;
        }
        if (a) {
                /* The request's access bits must all be among the rule's. */
                p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 3, 0, 0);
                p[n++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, (int32_t) (~acc & 7));
                p[n] = INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, skip_to(len, n), 0);
                n++;
        }
        if (ma) {
                p[n] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, skip_to(len, n), (int32_t) d->major);
                n++;
        }
        if (mi) {
                p[n] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, skip_to(len, n), (int32_t) d->minor);
                n++;
        }
        p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, d->allow ? 1 : 0);
        p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        return n;
}

size_t cgroup_devices_program(const struct cgroup_device_rule *v, size_t n, bool dflt,
                              struct bpf_insn **ret)
{
        /* At most 9 instructions per rule, 6 of prologue, 2 of epilogue. */
        struct bpf_insn *p = xzalloc((n * 9 + 8) * sizeof(*p));
        size_t k = 0;

        /* r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx). */
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);
        p[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 0, 0);
        p[k++] = INSN(BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16);
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 4, 1, 4, 0);
        p[k++] = INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 8, 0);
        /* The last matching rule wins (OCI order): test them newest first. */
        for (size_t i = n; i-- > 0;)
                k += emit_rule(p + k, &v[i]);
        p[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, dflt ? 1 : 0);
        p[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        *ret = p;
        return k;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
        return r < 0 ? -errno : (int) r;
}

/* Programs attached to the cgroup now, to detach once the new one is in place (another process
 * of cata-runtime may have attached them). */
static int attached_ids(int cgfd, uint32_t *ids, uint32_t max)
{
        union bpf_attr attr = { 0 };

        attr.query.target_fd = (uint32_t) cgfd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
        attr.query.prog_cnt = max;
        if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
                return 0;
        return (int) attr.query.prog_cnt;
}

static void detach_id(int cgfd, uint32_t id)
{
        union bpf_attr attr = { 0 };
        int fd;

        attr.prog_id = id;
        fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd < 0)
                return;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgfd;
        attr.attach_bpf_fd = (uint32_t) fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (sys_bpf(BPF_PROG_DETACH, &attr) < 0)
                cg_warn("detach device program %u: %s", id, strerror(errno));
        close(fd);
}

static int apply_v2(const struct hier *h, const struct cgroup_device_rule *v, size_t n, bool dflt,
                    struct agent_error **err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_close_ int cgfd = -EBADF, prog = -EBADF;
        union bpf_attr attr = { 0 };
        char log[4096] = "";
        uint32_t old[64];
        int n_old, r;
        size_t len = cgroup_devices_program(v, n, dflt, &insns);

        cgfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                return agent_error_set(err, errno, "open cgroup `%s`", h->dir);
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t) (uintptr_t) insns;
        attr.insn_cnt = (uint32_t) len;
        attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
        prog = sys_bpf(BPF_PROG_LOAD, &attr);
        if (prog < 0) {
                /* Again with the verifier's log, for the message (its tail says why). */
                attr.log_buf = (uint64_t) (uintptr_t) log;
                attr.log_size = sizeof(log);
                attr.log_level = 1;
                (void) sys_bpf(BPF_PROG_LOAD, &attr);
        }
        if (prog < 0)
                return agent_error_set(err, -prog,
                                       "cgroup `%s`: load the device program (%zu "
                                       "instructions)%s%s",
                                       h->dir, len, *log ? ": " : "", log);
        n_old = attached_ids(cgfd, old, ARRAY_SIZE(old));
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgfd;
        attr.attach_bpf_fd = (uint32_t) prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        r = sys_bpf(BPF_PROG_ATTACH, &attr);
        if (r < 0)
                return agent_error_set(err, -r, "cgroup `%s`: attach the device program", h->dir);
        /* The new program is in place before the old ones go: no window without rules. */
        for (int i = 0; i < n_old; i++)
                detach_id(cgfd, old[i]);
        return 0;
}

int cgroup_apply_devices(struct cgroup *cg, Grpc__LinuxDeviceCgroup **d, size_t n,
                         struct agent_error **err)
{
        const struct hier *h = cgroup_find_ctrl(cg, "devices");
        _cleanup_free_ struct cgroup_device_rule *v = NULL;
        size_t k;
        bool dflt, have_all = false;
        int r;

        if (n == 0 && cg->n_extra == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                have_all |= (!d[i]->type || !*d[i]->type || d[i]->type[0] == 'a') &&
                            full_access(d[i]->access && *d[i]->access ? d[i]->access : "rwm");
        r = effective_rules(cg, d, n, &v, &k, &dflt, err);
        if (r < 0)
                return r;
        if (h && !h->v2)
                return apply_v1(h, v, k, have_all, dflt, err);
        /* v2: the devices controller is implicit; the program goes on the v2 directory. */
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2 && !cg->h[i].optional)
                        return apply_v2(&cg->h[i], v, k, dflt, err);
        cg_debug("cgroup `%s`: no devices hierarchy, %zu device rules not applied", cg->path, k);
        return 0;
}

void cgroup_set_extra_device_rules(struct cgroup *cg, const struct cgroup_device_rule *r, size_t n)
{
        free(cg->extra);
        cg->extra = n ? xmalloc(n * sizeof(*r)) : NULL;
        if (n)
                memcpy(cg->extra, r, n * sizeof(*r));
        cg->n_extra = n;
}
