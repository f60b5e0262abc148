/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The Rust agent's GetMetrics families read from /proc, as Prometheus text: each function takes
 * the text of one /proc file (so tests feed fixtures) and appends its family with the Rust
 * agent's metric and label names. Lines that do not parse are skipped, never fatal.
 */

#include <stddef.h>

struct procstats_text {
        char *buf;
        size_t len, cap;
};

void procstats_put(struct procstats_text *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* "# HELP"/"# TYPE gauge" header of a family. */
void procstats_family(struct procstats_text *t, const char *name, const char *help);
/* One sample: name{label="value",...} v; labels is NULL-terminated name/value pairs, values
 * escaped as the exposition format wants. */
void procstats_sample(struct procstats_text *t, const char *name, const char *const *labels,
                      double v);

/* kata_guest_meminfo{item} in bytes (the Rust agent's snake_case item names). */
void procstats_meminfo(struct procstats_text *t, const char *meminfo);
/* kata_guest_load{item=load1|load5|load15}, kata_guest_tasks{item=cur|max} from /proc/loadavg. */
void procstats_loadavg(struct procstats_text *t, const char *loadavg);
/* kata_guest_cpu_time{cpu,item} in milliseconds from /proc/stat (cpu "total", "0", ...). */
void procstats_cpu_time(struct procstats_text *t, const char *stat, long ticks_per_second);
/* kata_guest_vm_stat{item}: every /proc/vmstat line. */
void procstats_vmstat(struct procstats_text *t, const char *vmstat);
/* kata_guest_netdev_stat{interface,item} from /proc/net/dev. */
void procstats_netdev(struct procstats_text *t, const char *netdev);
/* kata_guest_diskstat{disk,item} from /proc/diskstats. */
void procstats_diskstats(struct procstats_text *t, const char *diskstats);
/* kata_guest_filesystem_bytes / _inodes{mount,device,item} for the writable ext4, xfs, btrfs,
 * vfat and overlay mounts of a /proc/self/mountinfo text, one per device (statfs). */
void procstats_filesystems(struct procstats_text *t, const char *mountinfo);
/* kata_agent_total_time, kata_agent_proc_status{item}, kata_agent_io_stat{item},
 * kata_agent_proc_stat{item} from /proc/self/{status,io,stat} (any may be NULL). */
void procstats_agent(struct procstats_text *t, const char *status, const char *io, const char *stat,
                     long ticks_per_second);
