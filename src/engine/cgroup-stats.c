/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/cgroup.h"
#include "engine/cgroup-internal.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HUGEPAGES "/sys/kernel/mm/hugepages"

/* ---- stats ------------------------------------------------------------------------------ */

#define NEW_MSG(type, init)                      \
        ({                                       \
                type *_m = xmalloc(sizeof(*_m)); \
                init(_m);                        \
                _m;                              \
        })

/* Appends to a protobuf-c repeated field (array + count), typed. */
#define PUSH(arr, n, p)                                              \
        do {                                                         \
                (arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))); \
                (arr)[(n)++] = (p);                                  \
        } while (0)

static uint64_t kv_at(const char *dir, const char *file, const char *key)
{
        _cleanup_free_ char *text = NULL;
        uint64_t v = 0;

        if (cgroup_read_at(dir, file, LARGE_FILE_MAX, &text) == 0)
                (void) cgroup_kv_get(text, key, &v);
        return v;
}

static const struct hier *first_v2(const struct cgroup *cg)
{
        for (size_t i = 0; i < cg->n; i++)
                if (cg->h[i].v2)
                        return &cg->h[i];
        return NULL;
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
        long tck = sysconf(_SC_CLK_TCK);
        const uint64_t nsec = 1000000000ull;

        if (tck <= 0)
                tck = 100;
        return nsec % (uint64_t) tck == 0 ? ticks * (nsec / (uint64_t) tck)
                                          : ticks * nsec / (uint64_t) tck;
}

static void percpu_v1(const char *dir, Grpc__CpuUsage *u)
{
        _cleanup_free_ char *text = NULL;

        if (cgroup_read_at(dir, "cpuacct.usage_percpu", SMALL_FILE_MAX, &text) < 0)
                return;
        for (const char *p = text; *p && u->n_percpu_usage < 65536;) {
                char *end;
                unsigned long long v = strtoull(p, &end, 10);

                if (end == p)
                        break;
                u->percpu_usage = xrealloc(u->percpu_usage,
                                           (u->n_percpu_usage + 1) * sizeof(*u->percpu_usage));
                u->percpu_usage[u->n_percpu_usage++] = v;
                p = end + strspn(end, " \n");
        }
}

static Grpc__CpuStats *cpu_stats(const struct cgroup *cg)
{
        Grpc__CpuStats *s = NEW_MSG(Grpc__CpuStats, grpc__cpu_stats__init);
        Grpc__CpuUsage *u = NEW_MSG(Grpc__CpuUsage, grpc__cpu_usage__init);
        Grpc__ThrottlingData *t = NEW_MSG(Grpc__ThrottlingData, grpc__throttling_data__init);
        const struct hier *acct = cgroup_find_ctrl(cg, "cpuacct"),
                          *cpu = cgroup_find_ctrl(cg, "cpu");
        const struct hier *core = first_v2(cg);

        s->cpu_usage = u;
        s->throttling_data = t;
        if (acct && !acct->v2) {
                (void) cgroup_read_u64_at(acct->dir, "cpuacct.usage", &u->total_usage);
                percpu_v1(acct->dir, u);
                u->usage_in_usermode = ticks_to_ns(kv_at(acct->dir, "cpuacct.stat", "user"));
                u->usage_in_kernelmode = ticks_to_ns(kv_at(acct->dir, "cpuacct.stat", "system"));
        } else if (core) {
                /* v2 cpu.stat usage lines are core: there even without the cpu controller. */
                u->total_usage = kv_at(core->dir, "cpu.stat", "usage_usec") * 1000;
                u->usage_in_usermode = kv_at(core->dir, "cpu.stat", "user_usec") * 1000;
                u->usage_in_kernelmode = kv_at(core->dir, "cpu.stat", "system_usec") * 1000;
        }
        if (cpu) {
                t->periods = kv_at(cpu->dir, "cpu.stat", "nr_periods");
                t->throttled_periods = kv_at(cpu->dir, "cpu.stat", "nr_throttled");
                t->throttled_time = cpu->v2 ? kv_at(cpu->dir, "cpu.stat", "throttled_usec") * 1000
                                            : kv_at(cpu->dir, "cpu.stat", "throttled_time");
        }
        return s;
}

static Grpc__MemoryData *memory_data(const char *dir, const char *usage, const char *max_usage,
                                     const char *failcnt, const char *limit)
{
        Grpc__MemoryData *d = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);

        (void) cgroup_read_u64_at(dir, usage, &d->usage);
        if (max_usage)
                (void) cgroup_read_u64_at(dir, max_usage, &d->max_usage);
        if (failcnt)
                (void) cgroup_read_u64_at(dir, failcnt, &d->failcnt);
        (void) cgroup_read_u64_at(dir, limit, &d->limit);
        return d;
}

/* Every "key number" line of memory.stat becomes a map entry. */
static void memory_stat_map(const char *dir, Grpc__MemoryStats *s)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (cgroup_read_at(dir, "memory.stat", LARGE_FILE_MAX, &text) < 0)
                return;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                Grpc__MemoryStats__StatsEntry *e;
                char *sp = strchr(l, ' ');
                uint64_t v;

                if (!sp || sp == l || parse_u64(sp + 1, 10, &v) < 0 || s->n_stats >= 4096)
                        continue;
                e = NEW_MSG(Grpc__MemoryStats__StatsEntry, grpc__memory_stats__stats_entry__init);
                e->key = xstrndup(l, (size_t) (sp - l));
                e->value = v;
                PUSH(s->stats, s->n_stats, e);
        }
}

static uint64_t stat_entry(const Grpc__MemoryStats *s, const char *key)
{
        for (size_t i = 0; i < s->n_stats; i++)
                if (streq(s->stats[i]->key, key))
                        return s->stats[i]->value;
        return 0;
}

static void memory_v1_stats(const char *dir, Grpc__MemoryStats *s)
{
        uint64_t hier = 0;

        s->usage = memory_data(dir, "memory.usage_in_bytes", "memory.max_usage_in_bytes",
                               "memory.failcnt", "memory.limit_in_bytes");
        s->swap_usage =
                memory_data(dir, "memory.memsw.usage_in_bytes", "memory.memsw.max_usage_in_bytes",
                            "memory.memsw.failcnt", "memory.memsw.limit_in_bytes");
        s->kernel_usage =
                memory_data(dir, "memory.kmem.usage_in_bytes", "memory.kmem.max_usage_in_bytes",
                            "memory.kmem.failcnt", "memory.kmem.limit_in_bytes");
        (void) cgroup_read_u64_at(dir, "memory.use_hierarchy", &hier);
        s->use_hierarchy = hier == 1;
        memory_stat_map(dir, s);
        s->cache = stat_entry(s, "cache");
}

static void memory_v2_stats(const char *dir, Grpc__MemoryStats *s)
{
        s->usage = memory_data(dir, "memory.current", "memory.peak", NULL, "memory.max");
        s->usage->failcnt = kv_at(dir, "memory.events", "max");
        s->swap_usage = memory_data(dir, "memory.swap.current", "memory.swap.peak", NULL,
                                    "memory.swap.max");
        s->swap_usage->failcnt = kv_at(dir, "memory.swap.events", "max");
        /* v1 reported memory+swap: consumers of this message expect that sum. */
        s->swap_usage->usage += s->usage->usage;
        if (s->swap_usage->limit != UINT64_MAX && s->usage->limit != UINT64_MAX)
                s->swap_usage->limit += s->usage->limit;
        else
                s->swap_usage->limit = UINT64_MAX;
        s->kernel_usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        s->use_hierarchy = true;
        memory_stat_map(dir, s);
        s->kernel_usage->usage = stat_entry(s, "kernel");
        s->cache = stat_entry(s, "file");
}

static Grpc__MemoryStats *memory_stats(const struct cgroup *cg)
{
        Grpc__MemoryStats *s = NEW_MSG(Grpc__MemoryStats, grpc__memory_stats__init);
        const struct hier *h = cgroup_find_ctrl(cg, "memory");

        if (h && h->v2)
                memory_v2_stats(h->dir, s);
        else if (h)
                memory_v1_stats(h->dir, s);
        if (!s->usage)
                s->usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        if (!s->swap_usage)
                s->swap_usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        if (!s->kernel_usage)
                s->kernel_usage = NEW_MSG(Grpc__MemoryData, grpc__memory_data__init);
        return s;
}

static Grpc__PidsStats *pids_stats(const struct cgroup *cg)
{
        Grpc__PidsStats *s = NEW_MSG(Grpc__PidsStats, grpc__pids_stats__init);
        const struct hier *h = cgroup_find_ctrl(cg, "pids");

        if (h) {
                (void) cgroup_read_u64_at(h->dir, "pids.current", &s->current);
                (void) cgroup_read_u64_at(h->dir, "pids.max", &s->limit);
                if (s->limit == UINT64_MAX)
                        s->limit = 0; /* "max": 0, as the Rust agent reports it */
        }
        return s;
}

static Grpc__BlkioStatsEntry *blkio_entry(uint64_t major, uint64_t minor, const char *op,
                                          uint64_t value)
{
        Grpc__BlkioStatsEntry *e = NEW_MSG(Grpc__BlkioStatsEntry, grpc__blkio_stats_entry__init);

        e->major = major;
        e->minor = minor;
        e->op = xstrdup(op);
        e->value = value;
        return e;
}

/* v1 "8:0 Read 4096" lines; the "Total N" summary line has no device and is skipped. */
static void blkio_v1_file(const char *dir, const char *file, Grpc__BlkioStatsEntry ***arr,
                          size_t *n)
{
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (cgroup_read_at(dir, file, LARGE_FILE_MAX, &text) < 0)
                return;
        for (char *l = strtok_r(text, "\n", &save); l && *n < 65536;
             l = strtok_r(NULL, "\n", &save)) {
                unsigned long long ma, mi, v;
                char op[16];

                if (sscanf(l, "%llu:%llu %15s %llu", &ma, &mi, op, &v) == 4)
                        PUSH(*arr, *n, blkio_entry(ma, mi, op, v));
        }
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6", runc's op names. */
static void io_stat_line(char *l, Grpc__BlkioStats *s)
{
        static const struct {
                const char *key, *op;
                bool bytes;
        } keys[] = {
                { "rbytes", "Read", true },    { "wbytes", "Write", true },
                { "dbytes", "Discard", true }, { "rios", "Read", false },
                { "wios", "Write", false },    { "dios", "Discard", false },
        };
        unsigned long long ma, mi;
        char *save = NULL, *tok;

        if (sscanf(l, "%llu:%llu", &ma, &mi) != 2)
                return;
        strtok_r(l, " ", &save);
        while ((tok = strtok_r(NULL, " ", &save))) {
                char *eq = strchr(tok, '=');
                uint64_t v;

                if (!eq || parse_u64(eq + 1, 10, &v) < 0)
                        continue;
                *eq = '\0';
                for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                        if (!streq(tok, keys[i].key))
                                continue;
                        if (keys[i].bytes)
                                PUSH(s->io_service_bytes_recursive, s->n_io_service_bytes_recursive,
                                     blkio_entry(ma, mi, keys[i].op, v));
                        else
                                PUSH(s->io_serviced_recursive, s->n_io_serviced_recursive,
                                     blkio_entry(ma, mi, keys[i].op, v));
                }
        }
}

static Grpc__BlkioStats *blkio_stats(const struct cgroup *cg)
{
        Grpc__BlkioStats *s = NEW_MSG(Grpc__BlkioStats, grpc__blkio_stats__init);
        const struct hier *h = cgroup_find_ctrl(cg, "blkio");
        _cleanup_free_ char *text = NULL;
        char *save = NULL;

        if (h && !h->v2) {
                blkio_v1_file(h->dir, "blkio.throttle.io_service_bytes_recursive",
                              &s->io_service_bytes_recursive, &s->n_io_service_bytes_recursive);
                blkio_v1_file(h->dir, "blkio.throttle.io_serviced_recursive",
                              &s->io_serviced_recursive, &s->n_io_serviced_recursive);
                return s;
        }
        h = cgroup_find_ctrl(cg, "io");
        if (!h || cgroup_read_at(h->dir, "io.stat", LARGE_FILE_MAX, &text) < 0)
                return s;
        for (char *l = strtok_r(text, "\n", &save); l && s->n_io_service_bytes_recursive < 65536;
             l = strtok_r(NULL, "\n", &save))
                io_stat_line(l, s);
        return s;
}

/* "hugepages-2048kB" -> "2MB", the kernel's name in hugetlb.<size>.* files. */
static bool hugepage_name(const char *dirent, char *buf, size_t size)
{
        uint64_t kb;
        char num[24];
        size_t n;

        if (!startswith(dirent, "hugepages-") || !cgroup_endswith(dirent, "kB"))
                return false;
        n = strlen(dirent) - strlen("hugepages-") - 2;
        if (n == 0 || n >= sizeof(num))
                return false;
        memcpy(num, dirent + strlen("hugepages-"), n);
        num[n] = '\0';
        if (parse_u64(num, 10, &kb) < 0 || kb == 0)
                return false;
        if (kb % (1024 * 1024) == 0)
                snprintf(buf, size, "%" PRIu64 "GB", kb / (1024 * 1024));
        else if (kb % 1024 == 0)
                snprintf(buf, size, "%" PRIu64 "MB", kb / 1024);
        else
                snprintf(buf, size, "%" PRIu64 "KB", kb);
        return true;
}

static Grpc__CgroupStats__HugetlbStatsEntry *hugetlb_entry(const struct hier *h, const char *size)
{
        Grpc__CgroupStats__HugetlbStatsEntry *e =
                NEW_MSG(Grpc__CgroupStats__HugetlbStatsEntry,
                        grpc__cgroup_stats__hugetlb_stats_entry__init);
        Grpc__HugetlbStats *s = NEW_MSG(Grpc__HugetlbStats, grpc__hugetlb_stats__init);
        _cleanup_free_ char *usage =
                xasprintf("hugetlb.%s.%s", size, h->v2 ? "current" : "usage_in_bytes");

        (void) cgroup_read_u64_at(h->dir, usage, &s->usage);
        if (h->v2) {
                _cleanup_free_ char *events = xasprintf("hugetlb.%s.events", size);

                s->failcnt = kv_at(h->dir, events, "max");
        } else {
                _cleanup_free_ char *max = xasprintf("hugetlb.%s.max_usage_in_bytes", size);
                _cleanup_free_ char *fail = xasprintf("hugetlb.%s.failcnt", size);

                (void) cgroup_read_u64_at(h->dir, max, &s->max_usage);
                (void) cgroup_read_u64_at(h->dir, fail, &s->failcnt);
        }
        e->key = xstrdup(size);
        e->value = s;
        return e;
}

static void hugetlb_stats(const struct cgroup *cg, Grpc__CgroupStats *st)
{
        const struct hier *h = cgroup_find_ctrl(cg, "hugetlb");
        _cleanup_close_ int fd = -EBADF;
        struct dirent *de;
        DIR *d;

        if (!h)
                return;
        fd = open(HUGEPAGES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd)))
                return;
        TAKE_FD(fd);
        while ((de = readdir(d)) && st->n_hugetlb_stats < 64) {
                char size[32];

                if (hugepage_name(de->d_name, size, sizeof(size)))
                        PUSH(st->hugetlb_stats, st->n_hugetlb_stats, hugetlb_entry(h, size));
        }
        closedir(d);
}

int cgroup_stats(struct cgroup *cg, Grpc__CgroupStats **ret, struct agent_error **err)
{
        Grpc__CgroupStats *st;

        for (size_t i = 0; i < cg->n; i++)
                if (!cg->h[i].optional && access(cg->h[i].dir, F_OK) < 0)
                        return agent_error_set(err, errno, "cgroup `%s`", cg->h[i].dir);
        st = NEW_MSG(Grpc__CgroupStats, grpc__cgroup_stats__init);
        st->cpu_stats = cpu_stats(cg);
        st->memory_stats = memory_stats(cg);
        st->pids_stats = pids_stats(cg);
        st->blkio_stats = blkio_stats(cg);
        hugetlb_stats(cg, st);
        *ret = st;
        return 0;
}

void cgroup_stats_free(Grpc__CgroupStats *stats)
{
        if (stats)
                protobuf_c_message_free_unpacked(&stats->base, NULL);
}

int cgroup_oom_kills(const struct cgroup *cg, uint64_t *ret)
{
        const struct hier *h = cgroup_find_ctrl(cg, "memory");
        _cleanup_free_ char *text = NULL;
        int r;

        if (!h)
                return -EOPNOTSUPP;
        r = cgroup_read_at(h->dir, h->v2 ? "memory.events" : "memory.oom_control", SMALL_FILE_MAX,
                           &text);
        if (r < 0)
                return r;
        return cgroup_kv_get(text, "oom_kill", ret) ? 0 : -ENOENT;
}
