/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/metrics.h"
#include "agent/agent.h"
#include "agent/stdio.h"
#include "base/cleanup.h"
#include "base/list.h"
#include "base/util.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct text {
        char *buf;
        size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) put(struct text *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
                va_end(ap);
                if (n >= 0 && (size_t) n < t->cap - t->len) {
                        t->len += (size_t) n;
                        return;
                }
                t->cap = t->cap * 2 + (size_t) (n > 0 ? n : 0);
                t->buf = xrealloc(t->buf, t->cap);
        }
}

static void gauge(struct text *t, const char *name, const char *help, double v)
{
        put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
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

static void agent_metrics(struct text *t, struct agent *a)
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

static void guest_metrics(struct text *t)
{
        static const char *const mem_keys[] = { "MemTotal:", "MemFree:", "MemAvailable:",
                                                "Buffers:",  "Cached:",  "SwapTotal:",
                                                "SwapFree:" };
        _cleanup_free_ char *load = NULL, *meminfo = NULL;
        double l1, l5, l15;

        if (read_file("/proc/loadavg", 4096, &load, NULL) == 0 &&
            sscanf(load, "%lf %lf %lf", &l1, &l5, &l15) == 3) {
                put(t,
                    "# HELP kata_guest_load Guest load average.\n# TYPE kata_guest_load gauge\n");
                put(t,
                    "kata_guest_load{item=\"load1\"} %g\nkata_guest_load{item=\"load5\"} %g\n"
                    "kata_guest_load{item=\"load15\"} %g\n",
                    l1, l5, l15);
        }
        if (read_file("/proc/meminfo", 1 << 16, &meminfo, NULL) == 0) {
                put(t, "# HELP kata_guest_meminfo Guest memory in bytes.\n"
                       "# TYPE kata_guest_meminfo gauge\n");
                for (size_t i = 0; i < ARRAY_SIZE(mem_keys); i++) {
                        char item[32];
                        snprintf(item, sizeof(item), "%.*s", (int) strlen(mem_keys[i]) - 1,
                                 mem_keys[i]);
                        put(t, "kata_guest_meminfo{item=\"%s\"} %.17g\n", item,
                            status_value(meminfo, mem_keys[i]));
                }
        }
}

char *metrics_collect(struct agent *a)
{
        static unsigned long long scrapes;
        struct text t = { .buf = xmalloc(4096), .cap = 4096 };

        t.buf[0] = '\0';
        put(&t,
            "# HELP kata_agent_scrape_count Metrics scrapes.\n"
            "# TYPE kata_agent_scrape_count counter\nkata_agent_scrape_count %llu\n",
            ++scrapes);
        agent_metrics(&t, a);
        guest_metrics(&t);
        return t.buf;
}
