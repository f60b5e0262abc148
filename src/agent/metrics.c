/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/metrics.h"
#include "agent/agent.h"
#include "agent/stdio.h"
#include "base/cleanup.h"
#include "base/list.h"
#include "base/util.h"
#include "guest/procstats.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void gauge(struct procstats_text *t, const char *name, const char *help, double v)
{
        procstats_put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

/* A "Key: value kB" line of a /proc status-like file, in bytes (or the plain number). */
static double status_value(const char *text, const char *key)
{
        const char *p = strstr(text, key);
        double v;

        if (!p || sscanf(p + strlen(key), " %lf", &v) != 1)
                return 0;
        return strstr(p, " kB") && strchr(p, '\n') > strstr(p, " kB") ? v * 1024 : v;
}

static unsigned count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n > 0 ? n - 1 : 0; /* not the directory's own fd */
}

static void agent_metrics(struct procstats_text *t, struct agent *a)
{
        _cleanup_free_ char *status = NULL;
        unsigned n_containers = 0;

        if (read_file("/proc/self/status", 1 << 16, &status, NULL) == 0) {
                gauge(t, "kata_agent_threads", "Agent threads.", status_value(status, "Threads:"));
                gauge(t, "kata_agent_total_rss", "Agent resident memory in bytes.",
                      status_value(status, "VmRSS:"));
                gauge(t, "kata_agent_total_vm", "Agent virtual memory in bytes.",
                      status_value(status, "VmSize:"));
        }
        gauge(t, "kata_agent_open_fds", "Agent open file descriptors.", count_fds());
        for (struct list_node *n = a->containers.next; n && n != &a->containers; n = n->next)
                n_containers++;
        gauge(t, "cata_agent_containers", "Containers the agent manages.", n_containers);
        gauge(t, "cata_agent_connections", "Open ttRPC connections.", a->n_sessions);
        gauge(t, "cata_agent_stdio_buffered_bytes", "Output buffer bytes held for all streams.",
              (double) stdio_buffered_total(a));
        gauge(t, "cata_agent_parked_request_bytes",
              "Request bytes held by parked calls (WriteStdin data).", (double) a->rpc_budget.held);
        gauge(t, "cata_agent_uptime_seconds", "Seconds since the agent started.",
              (double) (now_ns() - a->start_ns) / 1e9);
}

static void read_into(const char *path, char **ret)
{
        if (read_file(path, 1 << 20, ret, NULL) < 0)
                *ret = NULL;
}

/* The Rust agent's families from /proc (src/guest/procstats.c). */
static void proc_families(struct procstats_text *t)
{
        static const char *const paths[] = { "/proc/self/status", "/proc/self/io",
                                             "/proc/self/stat",   "/proc/loadavg",
                                             "/proc/meminfo",     "/proc/stat",
                                             "/proc/vmstat",      "/proc/net/dev",
                                             "/proc/diskstats",   "/proc/self/mountinfo" };
        char *f[ARRAY_SIZE(paths)];
        long tps = sysconf(_SC_CLK_TCK);

        for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
                read_into(paths[i], &f[i]);
        procstats_agent(t, f[0], f[1], f[2], tps);
        procstats_loadavg(t, f[3]);
        procstats_meminfo(t, f[4]);
        procstats_cpu_time(t, f[5], tps);
        procstats_vmstat(t, f[6]);
        procstats_netdev(t, f[7]);
        procstats_diskstats(t, f[8]);
        procstats_filesystems(t, f[9]);
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
                free(f[i]);
}

char *metrics_collect(struct agent *a)
{
        static unsigned long long scrapes;
        struct procstats_text t = { .buf = xmalloc(4096), .cap = 4096 };

        t.buf[0] = '\0';
        procstats_put(&t,
                      "# HELP kata_agent_scrape_count Metrics scrapes.\n"
                      "# TYPE kata_agent_scrape_count counter\nkata_agent_scrape_count %llu\n",
                      ++scrapes);
        agent_metrics(&t, a);
        proc_families(&t);
        return t.buf;
}
