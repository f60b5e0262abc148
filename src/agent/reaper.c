/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/reaper.h"
#include "agent/agent.h"
#include "base/list.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

/* Statuses nobody watched yet: bounded, oldest dropped (a pid is only kept for a moment, until
 * its spawn reports it). */
#define REAPER_MAX_UNCLAIMED 256

struct watch {
        struct list_node node;
        pid_t pid;
        reaper_fn fn;
        void *userdata;
};

struct unclaimed {
        struct list_node node;
        pid_t pid;
        int status;
};

struct reaper {
        struct list_node watches;
        struct list_node unclaimed;
        unsigned n_unclaimed;
};

static struct reaper *reaper_get(struct agent *a)
{
        if (!a->reaper) {
                a->reaper = xzalloc(sizeof(*a->reaper));
                list_init(&a->reaper->watches);
                list_init(&a->reaper->unclaimed);
        }
        return a->reaper;
}

int reaper_exit_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 255;
}

static struct watch *watch_find(struct reaper *r, pid_t pid)
{
        for (struct list_node *n = r->watches.next; n != &r->watches; n = n->next) {
                struct watch *w = list_entry(n, struct watch, node);
                if (w->pid == pid)
                        return w;
        }
        return NULL;
}

void reaper_watch(struct agent *a, pid_t pid, reaper_fn fn, void *userdata)
{
        struct reaper *r = reaper_get(a);
        struct watch *w;

        for (struct list_node *n = r->unclaimed.next; n != &r->unclaimed; n = n->next) {
                struct unclaimed *u = list_entry(n, struct unclaimed, node);
                if (u->pid == pid) {
                        int status = u->status;
                        list_del(&u->node);
                        free(u);
                        r->n_unclaimed--;
                        fn(pid, status, userdata);
                        return;
                }
        }
        w = xzalloc(sizeof(*w));
        w->pid = pid;
        w->fn = fn;
        w->userdata = userdata;
        list_add_tail(&r->watches, &w->node);
}

void reaper_unwatch(struct agent *a, pid_t pid)
{
        struct watch *w = watch_find(reaper_get(a), pid);

        if (w) {
                list_del(&w->node);
                free(w);
        }
}

static void keep_unclaimed(struct reaper *r, pid_t pid, int status)
{
        struct unclaimed *u;

        if (r->n_unclaimed >= REAPER_MAX_UNCLAIMED) {
                u = list_first_entry(&r->unclaimed, struct unclaimed, node);
                list_del(&u->node);
                free(u);
                r->n_unclaimed--;
        }
        u = xzalloc(sizeof(*u));
        u->pid = pid;
        u->status = status;
        list_add_tail(&r->unclaimed, &u->node);
        r->n_unclaimed++;
}

void reaper_reap(struct agent *a)
{
        struct reaper *r = reaper_get(a);
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
                struct watch *w = watch_find(r, pid);
                if (w) {
                        reaper_fn fn = w->fn;
                        void *userdata = w->userdata;
                        list_del(&w->node);
                        free(w);
                        fn(pid, status, userdata);
                } else {
                        keep_unclaimed(r, pid, status);
                }
        }
}

void reaper_free(struct agent *a)
{
        struct reaper *r = a->reaper;

        if (!r)
                return;
        while (!list_empty(&r->watches)) {
                struct watch *w = list_first_entry(&r->watches, struct watch, node);
                list_del(&w->node);
                free(w);
        }
        while (!list_empty(&r->unclaimed)) {
                struct unclaimed *u = list_first_entry(&r->unclaimed, struct unclaimed, node);
                list_del(&u->node);
                free(u);
        }
        free(r);
        a->reaper = NULL;
}
