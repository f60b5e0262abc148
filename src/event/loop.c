/* SPDX-License-Identifier: Apache-2.0 */
#include "event/loop.h"
#include "base/cleanup.h"
#include "base/list.h"
#include "base/util.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64

struct loop_io {
        struct loop *loop;
        int fd;
        uint32_t events;
        loop_io_fn fn;
        void *userdata;
        bool dead;
        struct list_node dead_node;
};

struct loop_timer {
        struct loop *loop;
        uint64_t deadline;
        loop_timer_fn fn;
        void *userdata;
        struct list_node node; /* on loop->timers while armed, ordered by deadline */
};

struct loop_signal {
        loop_signal_fn fn;
        void *userdata;
};

struct loop {
        int epfd;
        int sigfd;
        struct loop_io *sig_io;
        sigset_t sigmask;
        struct loop_signal signals[65];
        struct list_node timers;
        struct list_node dead;
        bool quit;
        int quit_code;
};

int loop_new(struct loop **ret)
{
        struct loop *l = xzalloc(sizeof(*l));

        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epfd < 0) {
                int r = -errno;
                free(l);
                return r;
        }
        l->sigfd = -EBADF;
        sigemptyset(&l->sigmask);
        list_init(&l->timers);
        list_init(&l->dead);
        *ret = l;
        return 0;
}

static void loop_reap_dead(struct loop *l)
{
        struct list_node *n, *tmp;

        list_for_each_safe(n, tmp, &l->dead)
        {
                struct loop_io *io = list_entry(n, struct loop_io, dead_node);
                list_del(n);
                free(io);
        }
}

struct loop *loop_free(struct loop *l)
{
        struct list_node *n, *tmp;

        if (!l)
                return NULL;
        if (l->sig_io)
                loop_io_free(l->sig_io);
        loop_reap_dead(l);
        list_for_each_safe(n, tmp, &l->timers) list_del(n);
        close_and_reset(&l->sigfd);
        close_and_reset(&l->epfd);
        free(l);
        return NULL;
}

int loop_add_io(struct loop *l, int fd, uint32_t events, loop_io_fn fn, void *userdata,
                struct loop_io **ret)
{
        struct loop_io *io = xzalloc(sizeof(*io));
        struct epoll_event ev = { .events = events, .data.ptr = io };

        io->loop = l;
        io->fd = fd;
        io->events = events;
        io->fn = fn;
        io->userdata = userdata;
        list_init(&io->dead_node);
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;
                free(io);
                return r;
        }
        if (ret)
                *ret = io;
        return 0;
}

int loop_io_set_events(struct loop_io *io, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = io };

        if (io->dead)
                return -ESTALE;
        if (events == io->events)
                return 0;
        if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
                return -errno;
        io->events = events;
        return 0;
}

uint32_t loop_io_get_events(const struct loop_io *io)
{
        return io->events;
}

int loop_io_fd(const struct loop_io *io)
{
        return io->fd;
}

void loop_io_free(struct loop_io *io)
{
        if (!io || io->dead)
                return;
        (void) epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
        io->dead = true;
        list_add_tail(&io->loop->dead, &io->dead_node);
}

struct loop_timer *loop_add_timer(struct loop *l, uint64_t deadline_ns, loop_timer_fn fn,
                                  void *userdata)
{
        struct loop_timer *t = xzalloc(sizeof(*t));
        struct list_node *n;

        t->loop = l;
        t->deadline = deadline_ns;
        t->fn = fn;
        t->userdata = userdata;
        /* Insert before the first later deadline: few timers are armed at once (one per call
         * with a timeout), so a sorted list beats a heap on simplicity. */
        for (n = l->timers.next; n != &l->timers; n = n->next)
                if (list_entry(n, struct loop_timer, node)->deadline > deadline_ns)
                        break;
        list_add_before(n, &t->node);
        return t;
}

void loop_timer_free(struct loop_timer *t)
{
        if (!t)
                return;
        list_del(&t->node);
        free(t);
}

static void loop_signal_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct loop *l = userdata;
        struct signalfd_siginfo si;

        (void) io;
        (void) events;
        while (read(l->sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo < ARRAY_SIZE(l->signals) && l->signals[si.ssi_signo].fn)
                        l->signals[si.ssi_signo].fn(l, (int) si.ssi_signo,
                                                    l->signals[si.ssi_signo].userdata);
        }
}

int loop_add_signal(struct loop *l, int signo, loop_signal_fn fn, void *userdata)
{
        int fd, r;

        if (signo <= 0 || (size_t) signo >= ARRAY_SIZE(l->signals))
                return -EINVAL;
        sigaddset(&l->sigmask, signo);
        if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
                return -errno;
        fd = signalfd(l->sigfd >= 0 ? l->sigfd : -1, &l->sigmask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (l->sigfd < 0) {
                l->sigfd = fd;
                r = loop_add_io(l, fd, EPOLLIN, loop_signal_cb, l, &l->sig_io);
                if (r < 0)
                        return r;
        }
        l->signals[signo].fn = fn;
        l->signals[signo].userdata = userdata;
        return 0;
}

static int loop_timeout_ms(struct loop *l, int timeout_ms)
{
        uint64_t now, first, ms;

        if (list_empty(&l->timers))
                return timeout_ms;
        first = list_first_entry(&l->timers, struct loop_timer, node)->deadline;
        now = now_ns();
        if (first <= now)
                return 0;
        /* Round up so we never wake a hair early and spin. */
        ms = (first - now + 999999) / 1000000;
        if (ms > 60000)
                ms = 60000;
        if (timeout_ms >= 0 && (uint64_t) timeout_ms < ms)
                return timeout_ms;
        return (int) ms;
}

static void loop_fire_timers(struct loop *l)
{
        uint64_t now = now_ns();

        while (!list_empty(&l->timers)) {
                struct loop_timer *t = list_first_entry(&l->timers, struct loop_timer, node);
                if (t->deadline > now)
                        break;
                list_del(&t->node);
                t->fn(t, t->userdata);
        }
}

int loop_run_once(struct loop *l, int timeout_ms)
{
        struct epoll_event events[LOOP_MAX_EVENTS];
        int n;

        n = epoll_wait(l->epfd, events, LOOP_MAX_EVENTS, loop_timeout_ms(l, timeout_ms));
        if (n < 0) {
                if (errno == EINTR)
                        return 0;
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                struct loop_io *io = events[i].data.ptr;
                if (!io->dead)
                        io->fn(io, events[i].events, io->userdata);
        }
        loop_reap_dead(l);
        loop_fire_timers(l);
        loop_reap_dead(l);
        return n;
}

int loop_run(struct loop *l)
{
        l->quit = false;
        while (!l->quit) {
                int r = loop_run_once(l, -1);
                if (r < 0)
                        return r;
        }
        return l->quit_code;
}

void loop_quit(struct loop *l, int code)
{
        l->quit = true;
        l->quit_code = code;
}
