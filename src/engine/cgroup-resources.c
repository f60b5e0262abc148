/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/cgroup.h"
#include "engine/cgroup-internal.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CPUS_ONLINE  "/sys/devices/system/cpu/online"
#define NODES_ONLINE "/sys/devices/system/node/online"

/* ---- writing ---------------------------------------------------------------------------- */

static int cg_writef(const struct hier *h, const char *file, struct agent_error **err,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int cg_writef(const struct hier *h, const char *file, struct agent_error **err,
                     const char *fmt, ...)
{
        _cleanup_free_ char *value = NULL;
        va_list ap;

        va_start(ap, fmt);
        value = xvasprintf(fmt, ap);
        va_end(ap);
        return cgroup_write(h, file, value, err);
}

/* Writes `file`, or `alias` when the kernel has only that one (blkio.weight vs the bfq name). */
static int cg_write_alias(const struct hier *h, const char *file, const char *alias,
                          const char *value, struct agent_error **err)
{
        int r = cgroup_write_at(h->dir, file, value);

        if (r == -ENOENT) {
                r = cgroup_write_at(h->dir, alias, value);
                if (r < 0)
                        return cgroup_write_error(err, r, h->dir, alias, value);
        }
        return r < 0 ? cgroup_write_error(err, r, h->dir, file, value) : 0;
}

static int need_ctrl(const struct cgroup *cg, const char *name, const struct hier **ret,
                     struct agent_error **err)
{
        *ret = cgroup_find_ctrl(cg, name);
        if (!*ret)
                return agent_error_setf(err, EOPNOTSUPP,
                                        "cgroup controller `%s` is not available for `%s`", name,
                                        cg->path);
        return 0;
}

/* ---- resources: cpu and cpuset ---------------------------------------------------------- */

static int check_list(const char *what, const char *value, const char *online_file,
                      const char *fallback, const char *online_name, struct agent_error **err)
{
        _cleanup_free_ char *online = NULL;
        int r;

        if (read_file(online_file, SMALL_FILE_MAX, &online, NULL) < 0) {
                if (!fallback)
                        return 0; /* nothing to check against: let the kernel decide */
                online = xstrdup(fallback);
        }
        cgroup_trim_right(online);
        r = cgroup_cpulist_within(value, online);
        if (r == -ERANGE)
                return agent_error_setf(err, EINVAL, "%s `%s` is outside the online %s `%s`", what,
                                        value, online_name, online);
        if (r < 0)
                return agent_error_setf(err, EINVAL, "%s `%s` is not a valid list", what, value);
        return 0;
}

static int apply_cpuset(const struct cgroup *cg, const Grpc__LinuxCPU *cpu,
                        struct agent_error **err)
{
        bool cpus = cpu->cpus && *cpu->cpus, mems = cpu->mems && *cpu->mems;
        const struct hier *h;
        int r;

        if (!cpus && !mems)
                return 0;
        if (cpus && (r = check_list("cpuset", cpu->cpus, CPUS_ONLINE, NULL, "cpus", err)) < 0)
                return r;
        if (mems && (r = check_list("cpuset mems", cpu->mems, NODES_ONLINE, "0", "nodes", err)) < 0)
                return r;
        if ((r = need_ctrl(cg, "cpuset", &h, err)) < 0)
                return r;
        if (cpus && (r = cgroup_write(h, "cpuset.cpus", cpu->cpus, err)) < 0)
                return r;
        if (mems && (r = cgroup_write(h, "cpuset.mems", cpu->mems, err)) < 0)
                return r;
        return 0;
}

int cgroup_follow_cpus(struct cgroup *cg, const char *guest_cpus, const char *cpus,
                       struct agent_error **err)
{
        const struct hier *h = cgroup_find_ctrl(cg, "cpuset");
        _cleanup_free_ char *dir = NULL;
        const char *p;
        int r;

        if (!h)
                return 0;
        /* Widen from the top down: a child's cpus must stay within its parent's. */
        dir = xstrdup(h->mnt);
        for (p = cg->path + 1; (p = strchr(p, '/')); p++) {
                char *next = xasprintf("%s%.*s", h->mnt, (int) (p - cg->path), cg->path);
                free(dir);
                dir = next;
                if (!cgroup_file_exists(dir, "cpuset.cpus"))
                        continue;
                r = cgroup_write_at(dir, "cpuset.cpus", guest_cpus);
                if (r < 0)
                        return cgroup_write_error(err, r, dir, "cpuset.cpus", guest_cpus);
        }
        return cgroup_write(h, "cpuset.cpus", cpus && *cpus ? cpus : guest_cpus, err);
}

static int cpu_v1(const struct hier *h, const Grpc__LinuxCPU *cpu, struct agent_error **err)
{
        int r;

        if (cpu->shares && (r = cg_writef(h, "cpu.shares", err, "%" PRIu64, cpu->shares)) < 0)
                return r;
        if (cpu->period) {
                /* Period first, as runc: a quota is checked against the period in force. If the
                 * kernel refuses the period alone, the quota has to go first. */
                _cleanup_free_ char *p = xasprintf("%" PRIu64, cpu->period);

                r = cgroup_write_at(h->dir, "cpu.cfs_period_us", p);
                if (r == -EINVAL && cpu->quota) {
                        r = cg_writef(h, "cpu.cfs_quota_us", err, "%" PRId64, cpu->quota);
                        if (r < 0)
                                return r;
                        r = cgroup_write_at(h->dir, "cpu.cfs_period_us", p);
                }
                if (r < 0)
                        return cgroup_write_error(err, r, h->dir, "cpu.cfs_period_us", p);
        }
        if (cpu->quota && (r = cg_writef(h, "cpu.cfs_quota_us", err, "%" PRId64, cpu->quota)) < 0)
                return r;
        if (cpu->realtimeperiod &&
            (r = cg_writef(h, "cpu.rt_period_us", err, "%" PRIu64, cpu->realtimeperiod)) < 0)
                return r;
        if (cpu->realtimeruntime &&
            (r = cg_writef(h, "cpu.rt_runtime_us", err, "%" PRId64, cpu->realtimeruntime)) < 0)
                return r;
        return 0;
}

static int cpu_v2(const struct hier *h, const Grpc__LinuxCPU *cpu, struct agent_error **err)
{
        int r;

        if (cpu->shares && (r = cg_writef(h, "cpu.weight", err, "%" PRIu64,
                                          cgroup_shares_to_weight(cpu->shares))) < 0)
                return r;
        if (cpu->quota || cpu->period) {
                _cleanup_free_ char *q =
                        cpu->quota > 0 ? xasprintf("%" PRId64, cpu->quota) : xstrdup("max");

                if (cpu->period)
                        r = cg_writef(h, "cpu.max", err, "%s %" PRIu64, q, cpu->period);
                else
                        r = cgroup_write(h, "cpu.max", q, err);
                if (r < 0)
                        return r;
        }
        if (cpu->realtimeperiod || cpu->realtimeruntime)
                cg_warn("cgroup `%s`: realtime cpu limits are not supported by cgroup v2, ignored",
                        h->dir);
        return 0;
}

static int apply_cpu(const struct cgroup *cg, const Grpc__LinuxCPU *cpu, struct agent_error **err)
{
        const struct hier *h;
        int r;

        r = apply_cpuset(cg, cpu, err);
        if (r < 0)
                return r;
        if (!cpu->shares && !cpu->quota && !cpu->period && !cpu->realtimeperiod &&
            !cpu->realtimeruntime)
                return 0;
        /* Realtime alone on v2 is ignored (cpu_v2), whether or not the controller is there. */
        if (cg->mode == CGROUP_MODE_V2 && !cpu->shares && !cpu->quota && !cpu->period &&
            !cgroup_find_ctrl(cg, "cpu")) {
                cg_warn("cgroup `%s`: realtime cpu limits are not supported by cgroup v2, ignored",
                        cg->path);
                return 0;
        }
        if ((r = need_ctrl(cg, "cpu", &h, err)) < 0)
                return r;
        return h->v2 ? cpu_v2(h, cpu, err) : cpu_v1(h, cpu, err);
}

/* ---- resources: memory ------------------------------------------------------------------ */

/* Without swap accounting (no memsw / swap.max file) a swap value can only be honoured when it
 * asks for nothing beyond what the kernel does anyway: unlimited, or equal to the limit. */
static int swap_unsupported(const struct hier *h, const char *file, const Grpc__LinuxMemory *m,
                            struct agent_error **err)
{
        if (m->swap == 0 || m->swap == -1 || m->swap == m->limit)
                return 0;
        return agent_error_setf(err, EOPNOTSUPP,
                                "swap limit `%" PRId64 "` cannot be set: `%s/%s` is missing "
                                "(swap accounting is off)",
                                m->swap, h->dir, file);
}

static int limits_v1(const struct hier *h, int64_t limit, int64_t swap, struct agent_error **err)
{
        uint64_t cur = 0;
        bool swap_first;
        int r;

        if (swap == 0)
                return limit ? cg_writef(h, "memory.limit_in_bytes", err, "%" PRId64, limit) : 0;
        /* memsw must stay >= limit after each write: raise memsw first when it grows past the
         * current limit, else lower the limit first. */
        (void) cgroup_read_u64_at(h->dir, "memory.limit_in_bytes", &cur);
        swap_first = swap == -1 || (uint64_t) swap >= cur;
        if (swap_first &&
            (r = cg_writef(h, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap)) < 0)
                return r;
        if (limit && (r = cg_writef(h, "memory.limit_in_bytes", err, "%" PRId64, limit)) < 0)
                return r;
        if (!swap_first &&
            (r = cg_writef(h, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap)) < 0)
                return r;
        return 0;
}

static int memory_v1(const struct hier *h, const Grpc__LinuxMemory *m, struct agent_error **err)
{
        bool memsw = cgroup_file_exists(h->dir, "memory.memsw.limit_in_bytes");
        int64_t swap = m->swap;
        int r;

        if (!memsw) {
                r = swap_unsupported(h, "memory.memsw.limit_in_bytes", m, err);
                if (r < 0)
                        return r;
                swap = 0;
        } else if (m->limit == -1 && swap == 0) {
                swap = -1; /* unlimited memory: unlimited memory+swap too (runc) */
        }
        if ((r = limits_v1(h, m->limit, swap, err)) < 0)
                return r;
        if (m->reservation &&
            (r = cg_writef(h, "memory.soft_limit_in_bytes", err, "%" PRId64, m->reservation)) < 0)
                return r;
        if (m->kerneltcp &&
            (r = cg_writef(h, "memory.kmem.tcp.limit_in_bytes", err, "%" PRId64, m->kerneltcp)) < 0)
                return r;
        if (m->kernel)
                cg_debug("cgroup `%s`: kernel memory limits are deprecated, ignored", h->dir);
        if (m->swappiness &&
            (r = cg_writef(h, "memory.swappiness", err, "%" PRIu64, m->swappiness)) < 0)
                return r;
        if (m->disableoomkiller && (r = cgroup_write(h, "memory.oom_control", "1", err)) < 0)
                return r;
        return 0;
}

static char *v2_value(int64_t v)
{
        return v < 0 ? xstrdup("max") : xasprintf("%" PRId64, v);
}

static int memory_v2(const struct hier *h, const Grpc__LinuxMemory *m, struct agent_error **err)
{
        int64_t swap;
        int r;

        if (cgroup_swap_to_v2(m->swap, m->limit, &swap) < 0)
                return agent_error_setf(err, EINVAL,
                                        "swap limit `%" PRId64 "` needs a memory limit no larger "
                                        "than it (memory limit `%" PRId64 "`)",
                                        m->swap, m->limit);
        if (m->limit) {
                _cleanup_free_ char *v = v2_value(m->limit);

                if ((r = cgroup_write(h, "memory.max", v, err)) < 0)
                        return r;
        }
        if (swap && !cgroup_file_exists(h->dir, "memory.swap.max")) {
                if ((r = swap_unsupported(h, "memory.swap.max", m, err)) < 0)
                        return r;
        } else if (swap) {
                _cleanup_free_ char *v = v2_value(swap);

                if ((r = cgroup_write(h, "memory.swap.max", v, err)) < 0)
                        return r;
        }
        if (m->reservation) {
                _cleanup_free_ char *v = v2_value(m->reservation);

                if ((r = cgroup_write(h, "memory.low", v, err)) < 0)
                        return r;
        }
        if (m->kernel || m->kerneltcp || m->swappiness || m->disableoomkiller)
                cg_debug("cgroup `%s`: kernel/kernelTCP/swappiness/disableOOMKiller have no "
                         "cgroup v2 equivalent, ignored",
                         h->dir);
        return 0;
}

static int apply_memory(const struct cgroup *cg, const Grpc__LinuxMemory *m,
                        struct agent_error **err)
{
        const struct hier *h;
        int r;

        if (!m->limit && !m->reservation && !m->swap && !m->kernel && !m->kerneltcp &&
            !m->swappiness && !m->disableoomkiller)
                return 0;
        if (m->swappiness > 100)
                return agent_error_setf(err, EINVAL,
                                        "memory swappiness `%" PRIu64 "` is outside 0-100",
                                        m->swappiness);
        if ((r = need_ctrl(cg, "memory", &h, err)) < 0)
                return r;
        return h->v2 ? memory_v2(h, m, err) : memory_v1(h, m, err);
}

/* ---- resources: pids, block io, hugetlb, network ---------------------------------------- */

static int apply_pids(const struct cgroup *cg, const Grpc__LinuxPids *p, struct agent_error **err)
{
        const struct hier *h;
        int r;

        if ((r = need_ctrl(cg, "pids", &h, err)) < 0)
                return r;
        /* -1 means unlimited (OCI); 0 is proto3's "not set", unlimited too (as the Rust agent).
         * Other negatives were refused by cgroup_resources_check. */
        if (p->limit <= 0)
                return cgroup_write(h, "pids.max", "max", err);
        return cg_writef(h, "pids.max", err, "%" PRId64, p->limit);
}

static int throttle_v1(const struct hier *h, const char *file, Grpc__LinuxThrottleDevice **d,
                       size_t n, struct agent_error **err)
{
        for (size_t i = 0; i < n; i++) {
                int r = cg_writef(h, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i]->major,
                                  d[i]->minor, d[i]->rate);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int blkio_v1(const struct hier *h, const Grpc__LinuxBlockIO *b, struct agent_error **err)
{
        int r;

        if (b->weight) {
                _cleanup_free_ char *v = xasprintf("%" PRIu32, b->weight);

                if ((r = cg_write_alias(h, "blkio.weight", "blkio.bfq.weight", v, err)) < 0)
                        return r;
        }
        /* CFQ had leaf weights; BFQ (the only weight scheduler of current kernels) has not. */
        if (b->leafweight && !cgroup_file_exists(h->dir, "blkio.leaf_weight"))
                cg_debug("`%s`: no blkio.leaf_weight, leaf weight ignored", h->dir);
        else if (b->leafweight &&
                 (r = cg_writef(h, "blkio.leaf_weight", err, "%" PRIu32, b->leafweight)) < 0)
                return r;
        for (size_t i = 0; i < b->n_weightdevice; i++) {
                const Grpc__LinuxWeightDevice *d = b->weightdevice[i];
                _cleanup_free_ char *v = xasprintf("%" PRId64 ":%" PRId64 " %" PRIu32, d->major,
                                                   d->minor, d->weight);

                if (d->weight && (r = cg_write_alias(h, "blkio.weight_device",
                                                     "blkio.bfq.weight_device", v, err)) < 0)
                        return r;
        }
        if ((r = throttle_v1(h, "blkio.throttle.read_bps_device", b->throttlereadbpsdevice,
                             b->n_throttlereadbpsdevice, err)) < 0 ||
            (r = throttle_v1(h, "blkio.throttle.write_bps_device", b->throttlewritebpsdevice,
                             b->n_throttlewritebpsdevice, err)) < 0 ||
            (r = throttle_v1(h, "blkio.throttle.read_iops_device", b->throttlereadiopsdevice,
                             b->n_throttlereadiopsdevice, err)) < 0 ||
            (r = throttle_v1(h, "blkio.throttle.write_iops_device", b->throttlewriteiopsdevice,
                             b->n_throttlewriteiopsdevice, err)) < 0)
                return r;
        return 0;
}

/* io.bfq.weight takes the v1 scale; io.weight (no bfq) the v2 one. prefix: "" or "maj:min ". */
static int io_weight_v2(const struct hier *h, const char *prefix, uint32_t weight,
                        struct agent_error **err)
{
        _cleanup_free_ char *bfq = xasprintf("%s%" PRIu32, prefix, weight);
        _cleanup_free_ char *io = NULL;
        int r = cgroup_write_at(h->dir, "io.bfq.weight", bfq);

        if (r != -ENOENT)
                return r < 0 ? cgroup_write_error(err, r, h->dir, "io.bfq.weight", bfq) : 0;
        io = xasprintf("%s%" PRIu64, prefix, cgroup_blkio_weight_to_io(weight));
        return cgroup_write(h, "io.weight", io, err);
}

static int throttle_v2(const struct hier *h, const char *key, Grpc__LinuxThrottleDevice **d,
                       size_t n, struct agent_error **err)
{
        for (size_t i = 0; i < n; i++) {
                int r = cg_writef(h, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
                                  d[i]->major, d[i]->minor, key, d[i]->rate);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int blkio_v2(const struct hier *h, const Grpc__LinuxBlockIO *b, struct agent_error **err)
{
        int r;

        if (b->weight && (r = io_weight_v2(h, "", b->weight, err)) < 0)
                return r;
        if (b->leafweight)
                cg_debug("`%s`: cgroup v2 has no leaf weight, ignored", h->dir);
        for (size_t i = 0; i < b->n_weightdevice; i++) {
                const Grpc__LinuxWeightDevice *d = b->weightdevice[i];
                _cleanup_free_ char *prefix =
                        xasprintf("%" PRId64 ":%" PRId64 " ", d->major, d->minor);

                if (d->weight && (r = io_weight_v2(h, prefix, d->weight, err)) < 0)
                        return r;
        }
        if ((r = throttle_v2(h, "rbps", b->throttlereadbpsdevice, b->n_throttlereadbpsdevice,
                             err)) < 0 ||
            (r = throttle_v2(h, "wbps", b->throttlewritebpsdevice, b->n_throttlewritebpsdevice,
                             err)) < 0 ||
            (r = throttle_v2(h, "riops", b->throttlereadiopsdevice, b->n_throttlereadiopsdevice,
                             err)) < 0 ||
            (r = throttle_v2(h, "wiops", b->throttlewriteiopsdevice, b->n_throttlewriteiopsdevice,
                             err)) < 0)
                return r;
        return 0;
}

static int apply_blkio(const struct cgroup *cg, const Grpc__LinuxBlockIO *b,
                       struct agent_error **err)
{
        const struct hier *h;
        int r;

        if (!b->weight && !b->leafweight && !b->n_weightdevice && !b->n_throttlereadbpsdevice &&
            !b->n_throttlewritebpsdevice && !b->n_throttlereadiopsdevice &&
            !b->n_throttlewriteiopsdevice)
                return 0;
        /* v1 calls it blkio, v2 io. */
        h = cgroup_find_ctrl(cg, "blkio");
        if (h)
                return h->v2 ? blkio_v2(h, b, err) : blkio_v1(h, b, err);
        if ((r = need_ctrl(cg, "io", &h, err)) < 0)
                return r;
        return blkio_v2(h, b, err);
}

/* "2MB", "1GB", "64KB": also keeps the name safe to put in a file name. */
static bool valid_pagesize(const char *s)
{
        size_t d = strspn(s, "0123456789");

        return d > 0 && d < 20 && s[d] && strchr("KMGT", s[d]) && streq(s + d + 1, "B");
}

static int apply_hugetlb(const struct cgroup *cg, Grpc__LinuxHugepageLimit **l, size_t n,
                         struct agent_error **err)
{
        const struct hier *h;
        int r;

        if (n == 0)
                return 0;
        if ((r = need_ctrl(cg, "hugetlb", &h, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *file = NULL;

                if (!l[i]->pagesize || !valid_pagesize(l[i]->pagesize))
                        return agent_error_setf(err, EINVAL, "hugepage size `%s` is invalid",
                                                l[i]->pagesize ? l[i]->pagesize : "");
                file = xasprintf("hugetlb.%s.%s", l[i]->pagesize, h->v2 ? "max" : "limit_in_bytes");
                if ((r = cg_writef(h, file, err, "%" PRIu64, l[i]->limit)) < 0)
                        return r;
        }
        return 0;
}

/* net_cls and net_prio exist only in v1. A limit that cannot be applied is refused, never
 * dropped: the caller asked for it. */
static int apply_network(const struct cgroup *cg, const Grpc__LinuxNetwork *net,
                         struct agent_error **err)
{
        const struct hier *h;
        int r;

        if (net->classid) {
                if ((r = need_ctrl(cg, "net_cls", &h, err)) < 0)
                        return agent_error_wrap(err, "linux.resources.network.classID");
                if ((r = cg_writef(h, "net_cls.classid", err, "%" PRIu32, net->classid)) < 0)
                        return r;
        }
        if (net->n_priorities && (r = need_ctrl(cg, "net_prio", &h, err)) < 0)
                return agent_error_wrap(err, "linux.resources.network.priorities");
        for (size_t i = 0; i < net->n_priorities; i++) {
                const Grpc__LinuxInterfacePriority *p = net->priorities[i];

                if ((r = cg_writef(h, "net_prio.ifpriomap", err, "%s %" PRIu32,
                                   p->name ? p->name : "", p->priority)) < 0)
                        return r;
        }
        return 0;
}

/* -1 is "unlimited" for every signed limit (OCI, runc); 0 is "not set" (proto3). Any other
 * negative value has no meaning: refused, never turned into -1 or "max". */
static int check_signed(int64_t v, const char *field, struct agent_error **err)
{
        if (v < -1)
                return agent_error_setf(err, EINVAL,
                                        "field `%s`: %" PRId64 " (only -1, unlimited, may be "
                                        "negative)",
                                        field, v);
        return 0;
}

int cgroup_resources_check(const Grpc__LinuxResources *res, struct agent_error **err)
{
        const Grpc__LinuxMemory *m = res ? res->memory : NULL;
        const Grpc__LinuxCPU *c = res ? res->cpu : NULL;
        int r = 0;

        if (c && ((r = check_signed(c->quota, "Resources.CPU.Quota", err)) < 0 ||
                  (r = check_signed(c->realtimeruntime, "Resources.CPU.RealtimeRuntime", err)) < 0))
                return r;
        if (m && ((r = check_signed(m->limit, "Resources.Memory.Limit", err)) < 0 ||
                  (r = check_signed(m->reservation, "Resources.Memory.Reservation", err)) < 0 ||
                  (r = check_signed(m->swap, "Resources.Memory.Swap", err)) < 0 ||
                  (r = check_signed(m->kernel, "Resources.Memory.Kernel", err)) < 0 ||
                  (r = check_signed(m->kerneltcp, "Resources.Memory.KernelTCP", err)) < 0))
                return r;
        if (res && res->pids &&
            (r = check_signed(res->pids->limit, "Resources.Pids.Limit", err)) < 0)
                return r;
        return 0;
}

int cgroup_apply(struct cgroup *cg, const Grpc__LinuxResources *res, struct agent_error **err)
{
        int r = 0;

        if (!res)
                return 0;
        /* Everything is checked before the first write: an update is never half applied
         * because of a bad value. */
        if ((r = cgroup_resources_check(res, err)) < 0)
                return r;
        if (res->cpu && (r = apply_cpu(cg, res->cpu, err)) < 0)
                return r;
        if (res->memory && (r = apply_memory(cg, res->memory, err)) < 0)
                return r;
        if (res->pids && (r = apply_pids(cg, res->pids, err)) < 0)
                return r;
        if (res->blockio && (r = apply_blkio(cg, res->blockio, err)) < 0)
                return r;
        if ((r = apply_hugetlb(cg, res->hugepagelimits, res->n_hugepagelimits, err)) < 0)
                return r;
        if (res->network && (r = apply_network(cg, res->network, err)) < 0)
                return r;
        return cgroup_apply_devices(cg, res->devices, res->n_devices, err);
}
