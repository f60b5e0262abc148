/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/procstats.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

void procstats_put(struct procstats_text *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        for (;;) {
                va_start(ap, fmt);
                n = t->cap > t->len ? vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap) : -1;
                va_end(ap);
                if (n >= 0 && (size_t) n < t->cap - t->len) {
                        t->len += (size_t) n;
                        return;
                }
                t->cap = t->cap * 2 + (size_t) (n > 0 ? n : 0) + 64;
                t->buf = xrealloc(t->buf, t->cap);
        }
}

void procstats_family(struct procstats_text *t, const char *name, const char *help)
{
        procstats_put(t, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void put_escaped(struct procstats_text *t, const char *s)
{
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        procstats_put(t, "\\%c", *s);
                else if (*s == '\n')
                        procstats_put(t, "\\n");
                else
                        procstats_put(t, "%c", *s);
        }
}

void procstats_sample(struct procstats_text *t, const char *name, const char *const *labels,
                      double v)
{
        procstats_put(t, "%s", name);
        for (size_t i = 0; labels && labels[i]; i += 2) {
                procstats_put(t, "%s%s=\"", i == 0 ? "{" : ",", labels[i]);
                put_escaped(t, labels[i + 1]);
                procstats_put(t, "\"");
        }
        procstats_put(t, "%s %.17g\n", labels && labels[0] ? "}" : "", v);
}

static void item(struct procstats_text *t, const char *name, const char *it, double v)
{
        procstats_sample(t, name, (const char *const[]){ "item", it, NULL }, v);
}

/* Splits text into lines; f gets each NUL-terminated line (modifiable copy). */
static void each_line(const char *text, void (*f)(char *line, void *ud), void *ud)
{
        _cleanup_free_ char *copy = xstrdup(text ? text : "");
        char *save = NULL;

        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                f(l, ud);
}

static const struct {
        const char *key, *item;
} meminfo_items[] = {
        { "MemTotal", "mem_total" },
        { "MemFree", "mem_free" },
        { "MemAvailable", "mem_available" },
        { "Buffers", "buffers" },
        { "Cached", "cached" },
        { "SwapCached", "swap_cached" },
        { "Active", "active" },
        { "Inactive", "inactive" },
        { "Active(anon)", "active_anon" },
        { "Inactive(anon)", "inactive_anon" },
        { "Active(file)", "active_file" },
        { "Inactive(file)", "inactive_file" },
        { "Unevictable", "unevictable" },
        { "Mlocked", "mlocked" },
        { "HighTotal", "high_total" },
        { "HighFree", "high_free" },
        { "LowTotal", "low_total" },
        { "LowFree", "low_free" },
        { "MmapCopy", "mmap_copy" },
        { "SwapTotal", "swap_total" },
        { "SwapFree", "swap_free" },
        { "Dirty", "dirty" },
        { "Writeback", "writeback" },
        { "AnonPages", "anon_pages" },
        { "Mapped", "mapped" },
        { "Shmem", "shmem" },
        { "Slab", "slab" },
        { "SReclaimable", "s_reclaimable" },
        { "SUnreclaim", "s_unreclaim" },
        { "KernelStack", "kernel_stack" },
        { "PageTables", "page_tables" },
        { "Quicklists", "quicklists" },
        { "NFS_Unstable", "nfs_unstable" },
        { "Bounce", "bounce" },
        { "WritebackTmp", "writeback_tmp" },
        { "CommitLimit", "commit_limit" },
        { "Committed_AS", "committed_as" },
        { "VmallocTotal", "vmalloc_total" },
        { "VmallocUsed", "vmalloc_used" },
        { "VmallocChunk", "vmalloc_chunk" },
        { "HardwareCorrupted", "hardware_corrupted" },
        { "AnonHugePages", "anon_hugepages" },
        { "ShmemHugePages", "shmem_hugepages" },
        { "ShmemPmdMapped", "shmem_pmd_mapped" },
        { "CmaTotal", "cma_total" },
        { "CmaFree", "cma_free" },
        { "HugePages_Total", "hugepages_total" },
        { "HugePages_Free", "hugepages_free" },
        { "HugePages_Rsvd", "hugepages_rsvd" },
        { "HugePages_Surp", "hugepages_surp" },
        { "Hugepagesize", "hugepagesize" },
        { "DirectMap4k", "direct_map_4k" },
        { "DirectMap4M", "direct_map_4M" },
        { "DirectMap2M", "direct_map_2M" },
        { "DirectMap1G", "direct_map_1G" },
        { "Hugetlb", "hugetlb" },
        { "Percpu", "per_cpu" },
        { "KReclaimable", "k_reclaimable" },
};

/* "Key:   123 kB" -> key, value (in bytes when kb_to_bytes; plain numbers stay as they are). */
static bool key_value(char *line, char **key, double *v, bool kb_to_bytes)
{
        char *colon = strchr(line, ':');
        char unit[8] = "";

        if (!colon)
                return false;
        *colon = '\0';
        if (sscanf(colon + 1, " %lf %7s", v, unit) < 1)
                return false;
        if (kb_to_bytes && streq(unit, "kB"))
                *v *= 1024;
        *key = line;
        return true;
}

static void meminfo_line(char *line, void *ud)
{
        char *key;
        double v;

        /* In bytes, as the Rust agent's procfs reports meminfo. */
        if (!key_value(line, &key, &v, true))
                return;
        for (size_t i = 0; i < ARRAY_SIZE(meminfo_items); i++)
                if (streq(key, meminfo_items[i].key))
                        item(ud, "kata_guest_meminfo", meminfo_items[i].item, v);
}

void procstats_meminfo(struct procstats_text *t, const char *meminfo)
{
        procstats_family(t, "kata_guest_meminfo", "Statistics about memory usage in the system.");
        each_line(meminfo, meminfo_line, t);
}

void procstats_loadavg(struct procstats_text *t, const char *loadavg)
{
        double l1, l5, l15;
        unsigned long cur, max;

        if (!loadavg || sscanf(loadavg, "%lf %lf %lf %lu/%lu", &l1, &l5, &l15, &cur, &max) != 5)
                return;
        procstats_family(t, "kata_guest_load", "Guest system load.");
        item(t, "kata_guest_load", "load1", l1);
        item(t, "kata_guest_load", "load5", l5);
        item(t, "kata_guest_load", "load15", l15);
        procstats_family(t, "kata_guest_tasks", "Guest system load.");
        item(t, "kata_guest_tasks", "cur", (double) cur);
        item(t, "kata_guest_tasks", "max", (double) max);
}

struct cpu_ctx {
        struct procstats_text *t;
        long tps;
};

static void cpu_line(char *line, void *ud)
{
        static const char *const names[] = { "user", "nice",    "system", "idle",  "iowait",
                                             "irq",  "softirq", "steal",  "guest", "guest_nice" };
        struct cpu_ctx *c = ud;
        char *save = NULL, *tok = strtok_r(line, " ", &save);
        const char *cpu;

        if (!tok || !startswith(tok, "cpu"))
                return;
        cpu = tok[3] ? tok + 3 : "total";
        for (size_t i = 0; i < ARRAY_SIZE(names) && (tok = strtok_r(NULL, " ", &save)); i++) {
                double ticks = strtod(tok, NULL);
                procstats_sample(c->t, "kata_guest_cpu_time",
                                 (const char *const[]){ "cpu", cpu, "item", names[i], NULL },
                                 ticks * 1000.0 / (double) c->tps);
        }
}

void procstats_cpu_time(struct procstats_text *t, const char *stat, long ticks_per_second)
{
        struct cpu_ctx c = { t, ticks_per_second > 0 ? ticks_per_second : 100 };

        procstats_family(t, "kata_guest_cpu_time", "Guest CPU statistics.");
        each_line(stat, cpu_line, &c);
}

static void vmstat_line(char *line, void *ud)
{
        char name[128];
        double v;

        if (sscanf(line, "%127s %lf", name, &v) == 2)
                item(ud, "kata_guest_vm_stat", name, v);
}

void procstats_vmstat(struct procstats_text *t, const char *vmstat)
{
        procstats_family(t, "kata_guest_vm_stat", "Guest virtual memory statistics.");
        each_line(vmstat, vmstat_line, t);
}

static void netdev_line(char *line, void *ud)
{
        static const char *const names[] = {
                "recv_bytes", "recv_packets", "recv_errs",       "recv_drop",
                "recv_fifo",  "recv_frame",   "recv_compressed", "recv_multicast",
                "sent_bytes", "sent_packets", "sent_errs",       "sent_drop",
                "sent_fifo",  "sent_colls",   "sent_carrier",    "sent_compressed",
        };
        char *colon = strchr(line, ':'), *save = NULL, *tok, *name = line;

        if (!colon)
                return;
        *colon = '\0';
        name += strspn(name, " ");
        tok = strtok_r(colon + 1, " ", &save);
        for (size_t i = 0; i < ARRAY_SIZE(names) && tok; i++, tok = strtok_r(NULL, " ", &save))
                procstats_sample(ud, "kata_guest_netdev_stat",
                                 (const char *const[]){ "interface", name, "item", names[i], NULL },
                                 strtod(tok, NULL));
}

void procstats_netdev(struct procstats_text *t, const char *netdev)
{
        procstats_family(t, "kata_guest_netdev_stat", "Guest net devices statistics.");
        each_line(netdev, netdev_line, t);
}

static void diskstat_line(char *line, void *ud)
{
        static const char *const names[] = {
                "reads",
                "merged",
                "sectors_read",
                "time_reading",
                "writes",
                "writes_merged",
                "sectors_written",
                "time_writing",
                "in_progress",
                "time_in_progress",
                "weighted_time_in_progress",
                "discards",
                "discards_merged",
                "sectors_discarded",
                "time_discarding",
                "flushes",
                "time_flushing",
        };
        char *save = NULL, *name;

        /* major minor name fields... */
        if (!strtok_r(line, " ", &save) || !strtok_r(NULL, " ", &save) ||
            !(name = strtok_r(NULL, " ", &save)))
                return;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char *tok = strtok_r(NULL, " ", &save);
                if (!tok)
                        break;
                procstats_sample(ud, "kata_guest_diskstat",
                                 (const char *const[]){ "disk", name, "item", names[i], NULL },
                                 strtod(tok, NULL));
        }
}

void procstats_diskstats(struct procstats_text *t, const char *diskstats)
{
        procstats_family(t, "kata_guest_diskstat", "Disks statistics in system.");
        each_line(diskstats, diskstat_line, t);
}

/* mountinfo escapes blanks as \040 etc. */
static void unescape_octal(char *s)
{
        char *o = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *o++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else {
                        *o++ = *s;
                }
        }
        *o = '\0';
}

struct fs_ctx {
        struct procstats_text *bytes, *inodes;
        char **seen;
        size_t n_seen;
};

static bool fs_seen(struct fs_ctx *c, const char *majmin)
{
        for (size_t i = 0; i < c->n_seen; i++)
                if (streq(c->seen[i], majmin))
                        return true;
        c->seen = xrealloc(c->seen, (c->n_seen + 1) * sizeof(char *));
        c->seen[c->n_seen++] = xstrdup(majmin);
        return false;
}

static void fs_emit(struct fs_ctx *c, const char *mp, const char *dev, const struct statvfs *st)
{
        double total = (double) st->f_blocks * (double) st->f_frsize;
        double avail = (double) st->f_bfree * (double) st->f_frsize;
        double itotal = (double) st->f_files, ifree = (double) st->f_ffree;
        const char *const items[] = { "total", "used", "available" };
        const double bytes[] = { total, total > avail ? total - avail : 0, avail };
        const double inodes[] = { itotal, itotal > ifree ? itotal - ifree : 0, ifree };

        for (size_t i = 0; i < 3; i++) {
                procstats_sample(
                        c->bytes, "kata_guest_filesystem_bytes",
                        (const char *const[]){ "mount", mp, "device", dev, "item", items[i], NULL },
                        bytes[i]);
                procstats_sample(
                        c->inodes, "kata_guest_filesystem_inodes",
                        (const char *const[]){ "mount", mp, "device", dev, "item", items[i], NULL },
                        inodes[i]);
        }
}

/* id parent maj:min root mountpoint options [optional...] - fstype source superoptions */
static void fs_line(char *line, void *ud)
{
        static const char *const real[] = { "ext4", "xfs", "btrfs", "vfat", "overlay" };
        struct fs_ctx *c = ud;
        char *f[6], *save = NULL, *tok, *fstype = NULL, *source = NULL, *super = NULL;
        const char *dev;
        bool is_real = false;
        struct statvfs st;
        size_t n = 0;

        while (n < 6 && (f[n] = strtok_r(n ? NULL : line, " ", &save)))
                n++;
        if (n < 6)
                return;
        while ((tok = strtok_r(NULL, " ", &save)) && !streq(tok, "-"))
                ;
        if (!tok || !(fstype = strtok_r(NULL, " ", &save)) ||
            !(source = strtok_r(NULL, " ", &save)) || !(super = strtok_r(NULL, " ", &save)))
                return;
        for (size_t i = 0; i < ARRAY_SIZE(real); i++)
                is_real |= streq(fstype, real[i]);
        /* Read-only ones never change; bind mounts of one device count once. */
        if (!is_real || streq(super, "ro") || startswith(super, "ro,") || fs_seen(c, f[2]))
                return;
        unescape_octal(f[4]);
        unescape_octal(source);
        dev = strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
        if (!*dev)
                dev = f[2];
        if (statvfs(f[4], &st) == 0)
                fs_emit(c, f[4], dev, &st);
}

void procstats_filesystems(struct procstats_text *t, const char *mountinfo)
{
        struct procstats_text inodes = { 0 };
        struct fs_ctx c = { .bytes = t, .inodes = &inodes };

        procstats_family(t, "kata_guest_filesystem_bytes",
                         "Guest filesystem space usage in bytes.");
        procstats_put(&inodes, "# HELP kata_guest_filesystem_inodes Guest filesystem inode "
                               "usage.\n# TYPE kata_guest_filesystem_inodes gauge\n");
        each_line(mountinfo, fs_line, &c);
        procstats_put(t, "%s", inodes.buf);
        free(inodes.buf);
        for (size_t i = 0; i < c.n_seen; i++)
                free(c.seen[i]);
        free(c.seen);
}

static const struct {
        const char *key, *item;
} status_items[] = {
        { "VmPeak", "vmpeak" },
        { "VmSize", "vmsize" },
        { "VmLck", "vmlck" },
        { "VmPin", "vmpin" },
        { "VmHWM", "vmhwm" },
        { "VmRSS", "vmrss" },
        { "RssAnon", "rssanon" },
        { "RssFile", "rssfile" },
        { "RssShmem", "rssshmem" },
        { "VmData", "vmdata" },
        { "VmStk", "vmstk" },
        { "VmExe", "vmexe" },
        { "VmLib", "vmlib" },
        { "VmPTE", "vmpte" },
        { "VmSwap", "vmswap" },
        { "HugetlbPages", "hugetlbpages" },
        { "voluntary_ctxt_switches", "voluntary_ctxt_switches" },
        { "nonvoluntary_ctxt_switches", "nonvoluntary_ctxt_switches" },
};

static void status_line(char *line, void *ud)
{
        char *key;
        double v;

        /* In kB, as the Rust agent's procfs reports /proc/self/status. */
        if (!key_value(line, &key, &v, false))
                return;
        for (size_t i = 0; i < ARRAY_SIZE(status_items); i++)
                if (streq(key, status_items[i].key))
                        item(ud, "kata_agent_proc_status", status_items[i].item, v);
}

static void io_line(char *line, void *ud)
{
        static const char *const keys[] = { "rchar",
                                            "wchar",
                                            "syscr",
                                            "syscw",
                                            "read_bytes",
                                            "write_bytes",
                                            "cancelled_write_bytes" };
        char *key;
        double v;

        if (!key_value(line, &key, &v, false))
                return;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (streq(key, keys[i]))
                        item(ud, "kata_agent_io_stat", keys[i], v);
}

void procstats_agent(struct procstats_text *t, const char *status, const char *io, const char *stat,
                     long ticks_per_second)
{
        const char *p = stat ? strrchr(stat, ')') : NULL;
        unsigned long long utime, stime;
        long long cutime, cstime;

        if (ticks_per_second <= 0)
                ticks_per_second = 100;
        /* Fields after "(comm)": state is 3, utime 14, stime 15, cutime 16, cstime 17. */
        if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
                        &utime, &stime, &cutime, &cstime) == 4) {
                procstats_family(t, "kata_agent_total_time", "Agent process total time");
                procstats_put(t, "kata_agent_total_time %.17g\n",
                              (double) (utime + stime) / (double) ticks_per_second);
                procstats_family(t, "kata_agent_proc_stat", "Agent process statistics.");
                item(t, "kata_agent_proc_stat", "utime", (double) utime);
                item(t, "kata_agent_proc_stat", "stime", (double) stime);
                item(t, "kata_agent_proc_stat", "cutime", (double) cutime);
                item(t, "kata_agent_proc_stat", "cstime", (double) cstime);
        }
        if (status) {
                procstats_family(t, "kata_agent_proc_status", "Agent process status.");
                each_line(status, status_line, t);
        }
        if (io) {
                procstats_family(t, "kata_agent_io_stat", "Agent process IO statistics.");
                each_line(io, io_line, t);
        }
}
