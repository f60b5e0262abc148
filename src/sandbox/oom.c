/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OOM events for GetOOMEvent. Each started container's memory cgroup is watched from the loop:
 *  - cgroup v1: an eventfd registered on memory.oom_control through cgroup.event_control;
 *  - cgroup v2: inotify on memory.events.
 * Either way the event is confirmed by the oom_kill counter (memory.oom_control or
 * memory.events) going up, because v1 also signals the eventfd when the cgroup is removed and
 * v2 rewrites memory.events for every high/max event: only real OOM kills reach the host.
 * Events wait in a bounded queue (oldest dropped, with a warning) until a GetOOMEvent takes them.
 */
#include "agent/agent.h"
#include "agent/container.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "rpc/call.h"
#include "sandbox/sandbox.h"
#include "ttrpc/status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

struct oom_events {
        char *queue[OOM_QUEUE_MAX]; /* container ids, oldest at head */
        size_t head, n;
        struct list_node waiters; /* parked GetOOMEvent calls */
        bool closed;              /* DestroySandbox ran */
};

struct oom_watch {
        struct container *container;
        int fd; /* eventfd (v1) or inotify (v2) */
        struct loop_io *io;
        char *counter_file; /* memory.oom_control (v1) or memory.events (v2) */
        uint64_t kills;
};

static struct oom_events *events_get(struct agent *a)
{
        if (!a->sandbox.oom) {
                a->sandbox.oom = xzalloc(sizeof(*a->sandbox.oom));
                list_init(&a->sandbox.oom->waiters);
        }
        return a->sandbox.oom;
}

static void reply_event(struct rpc_call *call, const char *id)
{
        Grpc__OOMEvent ev = GRPC__OOMEVENT__INIT;

        ev.container_id = (char *) id;
        rpc_call_reply(call, &ev.base);
}

static void events_push(struct agent *a, const char *id)
{
        struct oom_events *ev = events_get(a);

        if (!list_empty(&ev->waiters)) {
                reply_event(rpc_call_from_park_node(ev->waiters.next), id);
                return;
        }
        if (ev->n == OOM_QUEUE_MAX) {
                log_warn("OOM event queue full: dropped the event of container `%s`",
                         ev->queue[ev->head]);
                free(ev->queue[ev->head]);
                ev->head = (ev->head + 1) % OOM_QUEUE_MAX;
                ev->n--;
        }
        ev->queue[(ev->head + ev->n) % OOM_QUEUE_MAX] = xstrdup(id);
        ev->n++;
}

/* The oom_kill counter: "oom_kill N" in memory.oom_control (v1, Linux >= 4.13) and in
 * memory.events (v2). Returns 0, or -errno (cgroup gone, or a kernel without the counter). */
static int read_kills(const char *file, uint64_t *ret)
{
        _cleanup_free_ char *text = NULL;
        const char *p;
        int r = read_file(file, 4096, &text, NULL);

        if (r < 0)
                return r;
        for (p = text; (p = strstr(p, "oom_kill ")); p++)
                if (p == text || p[-1] == '\n')
                        return sscanf(p + 9, "%" SCNu64, ret) == 1 ? 0 : -EBADMSG;
        return -ENOENT;
}

static void watch_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct oom_watch *w = userdata;
        struct container *c = w->container;
        char buf[4096];
        uint64_t kills;
        int r;

        (void) io;
        (void) events;
        while (read(w->fd, buf, sizeof(buf)) > 0)
                ;
        r = read_kills(w->counter_file, &kills);
        if (r == -ENOENT && access(w->counter_file, F_OK) == 0)
                kills = w->kills + 1; /* a v1 kernel without the counter: trust the eventfd */
        else if (r < 0)
                return; /* the cgroup is going away */
        if (kills <= w->kills)
                return;
        w->kills = kills;
        log_full(LOG_LEVEL_INFO, "oom", (const char *const[]){ "container-id", c->id, NULL },
                 "OOM kill in container `%s`", c->id);
        events_push(c->agent, c->id);
}

static int watch_v1(struct oom_watch *w, const char *dir)
{
        _cleanup_free_ char *control = xasprintf("%s/cgroup.event_control", dir);
        _cleanup_close_ int ofd = -EBADF, cfd = -EBADF;
        char line[64];
        int n;

        w->counter_file = xasprintf("%s/memory.oom_control", dir);
        ofd = open(w->counter_file, O_RDONLY | O_CLOEXEC);
        if (ofd < 0)
                return -errno;
        cfd = open(control, O_WRONLY | O_CLOEXEC);
        if (cfd < 0)
                return -errno;
        w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->fd < 0)
                return -errno;
        n = snprintf(line, sizeof(line), "%d %d", w->fd, ofd);
        if (write(cfd, line, (size_t) n) != n)
                return -errno;
        /* The kernel keeps its own reference to memory.oom_control: ours may go. */
        return 0;
}

static int watch_v2(struct oom_watch *w, const char *dir)
{
        w->counter_file = xasprintf("%s/memory.events", dir);
        w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->fd < 0)
                return -errno;
        if (inotify_add_watch(w->fd, w->counter_file, IN_MODIFY) < 0)
                return -errno;
        return 0;
}

static void watch_free(struct oom_watch *w)
{
        if (!w)
                return;
        loop_io_free(w->io);
        close_and_reset(&w->fd);
        free(w->counter_file);
        free(w);
}

int oom_watch(struct container *c)
{
        const char *dir = c->cgroup ? cgroup_memory_path(c->cgroup) : NULL;
        struct oom_watch *w;
        int r;

        if (!dir || c->oom)
                return 0;
        w = xzalloc(sizeof(*w));
        w->container = c;
        w->fd = -EBADF;
        r = cgroup_get_mode(c->cgroup) == CGROUP_MODE_V2 ? watch_v2(w, dir) : watch_v1(w, dir);
        if (r >= 0) {
                (void) read_kills(w->counter_file, &w->kills);
                r = loop_add_io(c->agent->loop, w->fd, EPOLLIN, watch_cb, w, &w->io);
        }
        if (r < 0) {
                log_warn("container `%s`: cannot watch for OOM kills in `%s`: %s", c->id, dir,
                         strerror(-r));
                watch_free(w);
                return r;
        }
        c->oom = w;
        return 0;
}

void oom_unwatch(struct container *c)
{
        /* A kill reported while the container was torn down is still the host's to see. */
        if (c->oom)
                watch_cb(NULL, 0, c->oom);
        watch_free(c->oom);
        c->oom = NULL;
}

static void get_cancel(struct rpc_call *call, void *data)
{
        (void) call;
        (void) data;
}

int oom_get_event(struct agent *a, struct rpc_call *call, struct agent_error **err)
{
        struct oom_events *ev = events_get(a);

        if (ev->closed) {
                /* The Rust agent's answer once its event channel is gone; the runtime retries
                 * every second until the connection closes. */
                rpc_call_reply_status(call, RPC_INTERNAL, "%s", "");
                return 0;
        }
        if (ev->n > 0) {
                _cleanup_free_ char *id = ev->queue[ev->head];
                ev->queue[ev->head] = NULL;
                ev->head = (ev->head + 1) % OOM_QUEUE_MAX;
                ev->n--;
                reply_event(call, id);
                return 0;
        }
        return rpc_call_park(call, &ev->waiters, get_cancel, ev, err);
}

void oom_close(struct agent *a)
{
        struct oom_events *ev = events_get(a);

        ev->closed = true;
        while (!list_empty(&ev->waiters))
                rpc_call_reply_status(rpc_call_from_park_node(ev->waiters.next), RPC_INTERNAL, "%s",
                                      "");
}

void oom_free(struct agent *a)
{
        struct oom_events *ev = a->sandbox.oom;

        if (!ev)
                return;
        for (size_t i = 0; i < ev->n; i++)
                free(ev->queue[(ev->head + i) % OOM_QUEUE_MAX]);
        free(ev);
        a->sandbox.oom = NULL;
}
