/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events: runc's event stream on stdout, one JSON object per line. `--stats` prints the
 * container's statistics once; otherwise a stats event every --interval and an OOM event each
 * time the memory cgroup's oom_kill counter grows, until the container stops or is deleted.
 * The statistics are the engine's (cgroup_stats, as the agent reports them) in runc's layout.
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The OOM counter is looked at this often, whatever the stats interval. */
#define EVENTS_TICK_MS 100

static json_t *memory_entry(const Grpc__MemoryData *d)
{
        if (!d)
                return json_object();
        return json_pack("{s:I, s:I, s:I, s:I}", "limit", (json_int_t) d->limit, "usage",
                         (json_int_t) d->usage, "max", (json_int_t) d->max_usage, "failcnt",
                         (json_int_t) d->failcnt);
}

static json_t *cpu_json(const Grpc__CpuStats *c)
{
        json_t *percpu = json_array();
        const Grpc__CpuUsage *u = c ? c->cpu_usage : NULL;
        const Grpc__ThrottlingData *t = c ? c->throttling_data : NULL;

        for (size_t i = 0; u && i < u->n_percpu_usage; i++)
                json_array_append_new(percpu, json_integer((json_int_t) u->percpu_usage[i]));
        return json_pack("{s:{s:I, s:o, s:I, s:I}, s:{s:I, s:I, s:I}}", "usage", "total",
                         (json_int_t) (u ? u->total_usage : 0), "percpu", percpu, "kernel",
                         (json_int_t) (u ? u->usage_in_kernelmode : 0), "user",
                         (json_int_t) (u ? u->usage_in_usermode : 0), "throttling", "periods",
                         (json_int_t) (t ? t->periods : 0), "throttledPeriods",
                         (json_int_t) (t ? t->throttled_periods : 0), "throttledTime",
                         (json_int_t) (t ? t->throttled_time : 0));
}

static json_t *memory_json(const Grpc__MemoryStats *m)
{
        json_t *raw = json_object();

        for (size_t i = 0; m && i < m->n_stats; i++)
                json_object_set_new(raw, m->stats[i]->key,
                                    json_integer((json_int_t) m->stats[i]->value));
        return json_pack("{s:I, s:o, s:o, s:o, s:o}", "cache", (json_int_t) (m ? m->cache : 0),
                         "usage", memory_entry(m ? m->usage : NULL), "swap",
                         memory_entry(m ? m->swap_usage : NULL), "kernel",
                         memory_entry(m ? m->kernel_usage : NULL), "raw", raw);
}

static json_t *stats_json(const Grpc__CgroupStats *s)
{
        const Grpc__PidsStats *p = s->pids_stats;

        return json_pack("{s:o, s:o, s:{s:I, s:I}}", "cpu", cpu_json(s->cpu_stats), "memory",
                         memory_json(s->memory_stats), "pids", "current",
                         (json_int_t) (p ? p->current : 0), "limit",
                         (json_int_t) (p ? p->limit : 0));
}

static void emit(json_t *event)
{
        char *line = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);

        if (line) {
                printf("%s\n", line);
                fflush(stdout);
        }
        free(line);
        json_decref(event);
}

static int emit_stats(const struct rt_state *st, struct cgroup *cg)
{
        _cleanup_error_ struct agent_error *err = NULL;
        Grpc__CgroupStats *s = NULL;

        if (cgroup_stats(cg, &s, &err) < 0)
                return rt_fail("container `%s`: stats: %s", st->id, err->msg);
        emit(json_pack("{s:s, s:s, s:o}", "type", "stats", "id", st->id, "data", stats_json(s)));
        cgroup_stats_free(s);
        return 0;
}

/* A Go-style duration: "5s", "100ms", "1m", "1.5s", "250us". In ms, at least 1. */
static int parse_duration_ms(const char *s, uint64_t *ret)
{
        static const struct {
                const char *unit;
                double ms;
        } units[] = { { "ms", 1 },   { "us", 0.001 }, { "ns", 1e-6 },
                      { "s", 1000 }, { "m", 60000 },  { "h", 3600000 } };
        char *end = NULL;
        double v = strtod(s, &end);

        if (end == s || v < 0)
                return -EINVAL;
        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (streq(end, units[i].unit)) {
                        double ms = v * units[i].ms;
                        if (ms > 86400000.0 * 365)
                                return -ERANGE;
                        *ret = ms < 1 ? 1 : (uint64_t) ms;
                        return 0;
                }
        return -EINVAL;
}

static bool still_there(const struct rt_context *ctx, const char *id)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;

        return rt_state_load(ctx, id, &st, &err) >= 0 && rt_status(ctx, st) != RT_STATUS_STOPPED;
}

static int follow(const struct rt_context *ctx, const struct rt_state *st, struct cgroup *cg,
                  uint64_t interval_ms)
{
        uint64_t kills = 0, now, next_stats = 0;
        bool have_counter = cgroup_oom_kills(cg, &kills) == 0;

        while (still_there(ctx, st->id)) {
                uint64_t k;

                now = now_ns() / 1000000;
                if (now >= next_stats) {
                        if (emit_stats(st, cg) != 0)
                                return still_there(ctx, st->id) ? 1 : 0;
                        next_stats = now + interval_ms;
                }
                if (have_counter && cgroup_oom_kills(cg, &k) == 0 && k > kills) {
                        kills = k;
                        emit(json_pack("{s:s, s:s}", "type", "oom", "id", st->id));
                }
                struct timespec ts = { .tv_nsec = EVENTS_TICK_MS * 1000000L };
                (void) nanosleep(&ts, NULL);
        }
        return 0;
}

int cmd_events(struct rt_context *ctx, int argc, char **argv)
{
        enum { OPT_STATS = 256, OPT_INTERVAL };
        static const struct option options[] = {
                { "stats", no_argument, NULL, OPT_STATS },
                { "interval", required_argument, NULL, OPT_INTERVAL },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_state_ struct rt_state *st = NULL;
        struct cgroup *cg = NULL;
        uint64_t interval_ms = 5000;
        bool stats = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "+:", options, NULL)) >= 0) {
                if (c == OPT_STATS)
                        stats = true;
                else if (c == OPT_INTERVAL && parse_duration_ms(optarg, &interval_ms) < 0)
                        return rt_usage_error(ctx,
                                              "--interval `%s`: expected a duration "
                                              "(100ms, 5s, 1m)",
                                              optarg);
                else if (c != OPT_INTERVAL)
                        return rt_usage_error(ctx, "bad option `%s`", argv[optind - 1]);
        }
        if (optind != argc - 1)
                return rt_usage_error(ctx, "expects exactly one container id");
        if (rt_state_load(ctx, argv[optind], &st, &err) < 0)
                return rt_fail_error(err);
        if (rt_status(ctx, st) == RT_STATUS_STOPPED)
                return rt_fail("container `%s` is not running", st->id);
        if (cgroup_new(CGROUP_ROOT, st->cgroup_path, &cg, &err) < 0)
                return rt_fail_error(err);
        r = stats ? emit_stats(st, cg) : follow(ctx, st, cg, interval_ms);
        cgroup_free(cg);
        return r;
}
