/* SPDX-License-Identifier: Apache-2.0 */
/* The uevent listener, the map of devices seen, and the waits parked on them. */
#include "devices/devices.h"
#include "agent/agent.h"
#include "agent/reaper.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MEMORY_DEVPATH "/devices/system/memory/memory"

struct seen {
        struct list_node node;
        struct uevent ev;
};

struct devices {
        struct agent *agent;
        int fd;
        struct loop_io *io;
        struct list_node seen; /* oldest first */
        unsigned n_seen;
        struct list_node waits;
        unsigned n_waits;
        char *sysfs;
};

struct devices_wait {
        struct devices *d;
        struct list_node node;
        struct devmatch m;
        devices_wait_fn fn;
        void *userdata;
        struct loop_timer *timer; /* the deadline, or "now" for an event found in the map */
        struct uevent found;      /* set when completed from the map */
        bool have_found;
};

#define dlog(level, ...) log_full(level, "uevent", NULL, __VA_ARGS__)

static struct devices *get(struct agent *a)
{
        if (!a->devices) {
                struct devices *d = xzalloc(sizeof(*d));
                d->agent = a;
                d->fd = -1;
                list_init(&d->seen);
                list_init(&d->waits);
                d->sysfs = xstrdup(DEVICES_SYSFS);
                a->devices = d;
        }
        return a->devices;
}

const char *devices_sysfs(struct agent *a)
{
        return get(a)->sysfs;
}

unsigned devices_seen_count(struct agent *a)
{
        return get(a)->n_seen;
}

/* ---- the map ---- */

static struct seen *seen_find(struct devices *d, const char *devpath)
{
        for (struct list_node *n = d->seen.next; n != &d->seen; n = n->next) {
                struct seen *s = list_entry(n, struct seen, node);
                if (streq(s->ev.devpath, devpath))
                        return s;
        }
        return NULL;
}

static void seen_drop(struct devices *d, struct seen *s)
{
        list_del(&s->node);
        d->n_seen--;
        uevent_done(&s->ev);
        free(s);
}

static void seen_add(struct devices *d, const struct uevent *ev)
{
        struct seen *s = seen_find(d, ev->devpath);

        if (s)
                seen_drop(d, s);
        if (d->n_seen >= DEVICES_SEEN_MAX)
                seen_drop(d, list_first_entry(&d->seen, struct seen, node));
        s = xzalloc(sizeof(*s));
        uevent_copy(&s->ev, ev);
        list_add_tail(&d->seen, &s->node);
        d->n_seen++;
}

/* ---- waits ---- */

static void wait_free(struct devices_wait *w)
{
        list_del(&w->node);
        w->d->n_waits--;
        if (w->timer)
                loop_timer_free(w->timer);
        devmatch_done(&w->m);
        uevent_done(&w->found);
        free(w);
}

static void wait_complete(struct devices_wait *w, const struct uevent *ev)
{
        devices_wait_fn fn = w->fn;
        void *ud = w->userdata;

        /* Off the list first: the callback may start or cancel other waits. */
        list_del(&w->node);
        list_init(&w->node);
        fn(w, ev, ud);
        list_add_tail(&w->d->waits, &w->node);
        wait_free(w);
}

static void wait_timer_cb(struct loop_timer *t, void *userdata)
{
        struct devices_wait *w = userdata;

        (void) t;
        if (w->have_found) {
                wait_complete(w, &w->found);
                return;
        }
        dlog(LOG_LEVEL_WARN, "timed out waiting for %s", w->m.what);
        wait_complete(w, NULL);
}

static void notify_waits(struct devices *d, const struct uevent *ev)
{
        bool again = true;

        while (again) {
                again = false;
                for (struct list_node *n = d->waits.next; n != &d->waits; n = n->next) {
                        struct devices_wait *w = list_entry(n, struct devices_wait, node);
                        if (w->have_found || !devmatch_test(&w->m, ev))
                                continue;
                        dlog(LOG_LEVEL_INFO, "%s appeared as `%s` (`%s`)", w->m.what, ev->devpath,
                             ev->devname);
                        wait_complete(w, ev);
                        again = true; /* the list may have changed under us */
                        break;
                }
        }
}

static const struct uevent *map_find(struct devices *d, const struct devmatch *m)
{
        for (struct list_node *n = d->seen.next; n != &d->seen; n = n->next) {
                struct seen *s = list_entry(n, struct seen, node);
                if (devmatch_test(m, &s->ev))
                        return &s->ev;
        }
        return NULL;
}

/* The one entry of dir (a device's block/ directory), or NULL. */
static char *only_entry(const char *dir)
{
        DIR *dd = opendir(dir);
        struct dirent *de;
        char *name = NULL;

        if (!dd)
                return NULL;
        while ((de = readdir(dd))) {
                if (de->d_name[0] == '.')
                        continue;
                free(name);
                name = xstrdup(de->d_name);
        }
        closedir(dd);
        return name;
}

/* A device present before the listener started (cold-plugged, or plugged while the agent was
 * starting) has no event in the map: sysfs has it. Fills a synthetic `add` event. */
static bool sysfs_find(struct devices *d, const struct devmatch *m, struct uevent *ret)
{
        _cleanup_free_ char *dir = NULL, *name = NULL, *link = NULL;
        char target[1024];
        ssize_t n;

        switch (m->kind) {
        case DEVMATCH_BLK_PCI: {
                _cleanup_free_ char *pdir = xasprintf("%s%s", d->sysfs, m->path);
                DIR *dd = opendir(pdir);
                struct dirent *de;
                while (dd && !name && (de = readdir(dd))) {
                        if (!startswith(de->d_name, "virtio"))
                                continue;
                        free(dir);
                        dir = xasprintf("%s/%s/block", pdir, de->d_name);
                        name = only_entry(dir);
                }
                if (dd)
                        closedir(dd);
                if (!name)
                        return false;
                link = xasprintf("%s/%s", dir + strlen(d->sysfs), name);
                break;
        }
        case DEVMATCH_BLK_MMIO:
        case DEVMATCH_PMEM:
                dir = xasprintf("%s/class/block/%s", d->sysfs, m->name);
                n = readlink(dir, target, sizeof(target) - 1);
                if (n <= 0)
                        return false;
                target[n] = '\0';
                /* "../../devices/..." */
                if (!strstr(target, "/devices/"))
                        return false;
                link = xstrdup(strstr(target, "/devices/"));
                name = xstrdup(m->name);
                break;
        case DEVMATCH_SCSI:
                dir = xasprintf("%s/bus/scsi/devices/%s/block", d->sysfs, m->path);
                name = only_entry(dir);
                if (!name)
                        return false;
                free(dir);
                dir = xasprintf("%s/bus/scsi/devices/%s", d->sysfs, m->path);
                n = readlink(dir, target, sizeof(target) - 1);
                if (n <= 0)
                        return false;
                target[n] = '\0';
                if (!strstr(target, "/devices/"))
                        return false;
                link = xasprintf("%s/block/%s", strstr(target, "/devices/"), name);
                break;
        case DEVMATCH_PCI: {
                _cleanup_free_ char *pdir = xasprintf("%s%s", d->sysfs, m->path);
                if (access(pdir, F_OK) < 0)
                        return false;
                link = xstrdup(m->path);
                name = xstrdup("");
                break;
        }
        case DEVMATCH_VFIO:
        case DEVMATCH_NET_PCI:
                return false;
        }
        *ret = (struct uevent){
                .action = xstrdup("add"),
                .devpath = TAKE_PTR(link),
                .devname = TAKE_PTR(name),
                .subsystem = xstrdup(m->kind == DEVMATCH_PCI ? "pci" : "block"),
                .interface = xstrdup(""),
        };
        if (devmatch_test(m, ret))
                return true;
        uevent_done(ret);
        return false;
}

static void write_done(pid_t pid, int status, void *userdata)
{
        (void) pid;
        (void) userdata;
        if (status != 0)
                dlog(LOG_LEVEL_WARN, "a sysfs write (PCI rescan, SCSI scan) failed (status %d)",
                     status);
}

void devices_write_child(struct agent *a, const char *path, const char *value)
{
        pid_t pid;

        /* These writes probe new devices before they return: never in the loop. */
        pid = fork();
        if (pid < 0) {
                dlog(LOG_LEVEL_WARN, "fork to write `%s`: %s", path, strerror(errno));
                return;
        }
        if (pid == 0) {
                int fd = open(path, O_WRONLY | O_CLOEXEC);
                _exit(fd >= 0 && write(fd, value, strlen(value)) >= 0 ? 0 : 1);
        }
        reaper_watch(a, pid, write_done, NULL);
}

void devices_pci_rescan(struct agent *a)
{
        _cleanup_free_ char *path = xasprintf("%s/bus/pci/rescan", get(a)->sysfs);

        devices_write_child(a, path, "1");
}

int devices_wait(struct agent *a, struct devmatch *m, bool rescan, devices_wait_fn fn,
                 void *userdata, struct devices_wait **ret)
{
        struct devices *d = get(a);
        struct devices_wait *w;
        const struct uevent *ev;

        if (d->n_waits >= DEVICES_WAITS_MAX) {
                devmatch_done(m);
                return -EBUSY;
        }
        w = xzalloc(sizeof(*w));
        w->d = d;
        w->m = *m;
        *m = (struct devmatch){ 0 };
        w->fn = fn;
        w->userdata = userdata;
        list_add_tail(&d->waits, &w->node);
        d->n_waits++;
        ev = map_find(d, &w->m);
        if (ev)
                uevent_copy(&w->found, ev);
        if (ev || sysfs_find(d, &w->m, &w->found)) {
                w->have_found = true;
                w->timer = loop_add_timer(a->loop, 0, wait_timer_cb, w);
        } else {
                dlog(LOG_LEVEL_INFO, "waiting for %s", w->m.what);
                w->timer = loop_add_timer(a->loop, now_ns() + a->config.hotplug_timeout_ns,
                                          wait_timer_cb, w);
                if (rescan)
                        devices_pci_rescan(a);
        }
        if (ret)
                *ret = w;
        return 0;
}

void devices_wait_cancel(struct devices_wait *w)
{
        if (w)
                wait_free(w);
}

const char *devices_wait_what(const struct devices_wait *w)
{
        return w->m.what;
}

int devices_wait_net_pci(struct agent *a, const char *pci_path, devices_wait_fn fn, void *userdata,
                         struct devices_wait **ret, struct agent_error **err)
{
        _cleanup_free_ char *devpath = NULL;
        struct pci_path p;
        struct devmatch m;
        char what[PCI_PATH_STR_MAX + 32];
        int r;

        if (pci_path_parse(pci_path, &p) < 0)
                return agent_error_setf(err, EINVAL, "invalid PCI path `%s`", pci_path);
        r = pci_path_resolve(get(a)->sysfs, &p, &devpath, err);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "PCI path `%s`", pci_path);
        if (devmatch_net_pci(devpath, what, &m) < 0)
                return agent_error_setf(err, EINVAL, "invalid PCI path `%s`", pci_path);
        r = devices_wait(a, &m, true, fn, userdata, ret);
        return r < 0 ? agent_error_set(err, -r, "wait for %s", what) : 0;
}

/* ---- events ---- */

static void online_memory_block(struct devices *d, const struct uevent *ev)
{
        _cleanup_free_ char *path = xasprintf("%s%s/online", d->sysfs, ev->devpath);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        /* EINVAL: already online (the kernel may online hot-added memory itself). */
        if (fd < 0 || (write(fd, "1", 1) < 0 && errno != EINVAL))
                dlog(LOG_LEVEL_WARN, "online memory block `%s`: %s", ev->devpath, strerror(errno));
        else
                dlog(LOG_LEVEL_INFO, "memory block `%s` online", ev->devpath);
}

static void handle_event(struct devices *d, const struct uevent *ev)
{
        struct seen *s;

        if (streq(ev->action, "add")) {
                if (startswith(ev->devpath, MEMORY_DEVPATH) && streq(ev->subsystem, "memory")) {
                        online_memory_block(d, ev);
                        return;
                }
                seen_add(d, ev);
                notify_waits(d, ev);
        } else if (streq(ev->action, "remove")) {
                s = seen_find(d, ev->devpath);
                if (s)
                        seen_drop(d, s);
        }
}

void devices_handle_message(struct agent *a, const char *buf, size_t len)
{
        struct uevent ev;

        if (uevent_parse(buf, len, &ev) < 0) {
                dlog(LOG_LEVEL_DEBUG, "ignoring a malformed uevent of %zu bytes", len);
                return;
        }
        dlog(LOG_LEVEL_DEBUG, "uevent %s `%s` subsystem `%s` devname `%s`", ev.action, ev.devpath,
             ev.subsystem, ev.devname);
        handle_event(get(a), &ev);
        uevent_done(&ev);
}

static void listener_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct agent *a = userdata;
        char buf[UEVENT_MSG_MAX + 1];

        (void) events;
        /* Bounded per wake-up so a flood cannot starve the RPCs. */
        for (int i = 0; i < 64; i++) {
                struct sockaddr_nl from = { 0 };
                struct iovec iov = { buf, sizeof(buf) };
                struct msghdr mh = { .msg_name = &from,
                                     .msg_namelen = sizeof(from),
                                     .msg_iov = &iov,
                                     .msg_iovlen = 1 };
                ssize_t n = recvmsg(loop_io_fd(io), &mh, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == ENOBUFS)
                                dlog(LOG_LEVEL_WARN, "uevents were lost (receive buffer full)");
                        if (errno == EINTR || errno == ENOBUFS)
                                continue;
                        return;
                }
                /* Only the kernel's own messages (port 0), never truncated ones. */
                if (from.nl_pid != 0 || (mh.msg_flags & MSG_TRUNC) || n > UEVENT_MSG_MAX)
                        continue;
                devices_handle_message(a, buf, (size_t) n);
        }
}

void devices_start(struct agent *a)
{
        struct devices *d = get(a);
        struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
        int size = 1 << 20;
        int r;

        d->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                       NETLINK_KOBJECT_UEVENT);
        if (d->fd < 0 || bind(d->fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                dlog(LOG_LEVEL_WARN, "cannot listen to uevents: %s", strerror(errno));
                goto fail;
        }
        /* A burst (a disk with partitions, many memory blocks) must not overflow. */
        (void) setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        r = loop_add_io(a->loop, d->fd, EPOLLIN, listener_cb, a, &d->io);
        if (r < 0) {
                dlog(LOG_LEVEL_WARN, "cannot watch uevents: %s", strerror(-r));
                goto fail;
        }
        return;
fail:
        if (d->fd >= 0)
                close(d->fd);
        d->fd = -1;
}

void devices_stop(struct agent *a)
{
        struct devices *d = a->devices;

        if (!d)
                return;
        while (!list_empty(&d->waits))
                wait_free(list_first_entry(&d->waits, struct devices_wait, node));
        while (!list_empty(&d->seen))
                seen_drop(d, list_first_entry(&d->seen, struct seen, node));
        if (d->io)
                loop_io_free(d->io);
        if (d->fd >= 0)
                close(d->fd);
        free(d->sysfs);
        free(d);
        a->devices = NULL;
}
