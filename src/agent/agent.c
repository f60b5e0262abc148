/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/agent.h"
#include "devices/devices.h"
#include "agent/console.h"
#include "agent/container.h"
#include "agent/reaper.h"
#include "agent/restart.h"
#include "agent/command.h"
#include "sandbox/sandbox.h"
#include "agent/logsink.h"
#include "base/cleanup.h"
#include "passfd/passfd.h"
#include "trace/trace.h"
#include "base/error.h"
#include "base/log.h"
#include "base/util.h"
#include "network/linkwait.h"
#include "rpc/call.h"
#include "ttrpc/server.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "engine/cgroup.h"
#include <unistd.h>

static void agent_session_closed(struct rpc_session *s, void *userdata)
{
        struct agent *a = userdata;

        (void) s;
        a->n_sessions--;
        log_full(LOG_LEVEL_DEBUG, "rpc", NULL, "connection closed (%u left)", a->n_sessions);
}

/* A full table must not lock out the runtime's next connection (a crashed shim's half-open
 * vsock connection stays until the agent closes it). The victim is the connection idle the
 * longest, preferring one with no call at all over one with parked calls (long-polls its
 * client re-issues when it is alive); one whose replies are still queued is never chosen. */
static struct rpc_session *eviction_victim(struct agent *a)
{
        struct rpc_session *best = NULL;

        for (struct list_node *n = a->sessions.next; n != &a->sessions; n = n->next) {
                struct rpc_session *s = list_entry(n, struct rpc_session, node);
                bool busy, best_busy;

                if (!s->conn || ttrpc_conn_failed(s->conn) || ttrpc_conn_queued_bytes(s->conn))
                        continue;
                if (rpc_session_n_calls(s) > s->n_parked)
                        continue; /* a call being answered right now */
                busy = s->n_parked > 0;
                best_busy = best && best->n_parked > 0;
                if (!best || (best_busy && !busy) ||
                    (busy == best_busy && s->last_active_ns < best->last_active_ns))
                        best = s;
        }
        return best;
}

static unsigned live_sessions(const struct agent *a)
{
        unsigned n = 0;

        for (const struct list_node *p = a->sessions.next; p != &a->sessions; p = p->next) {
                const struct rpc_session *s = list_entry(p, const struct rpc_session, node);
                n += s->conn && !ttrpc_conn_failed(s->conn);
        }
        return n;
}

static void agent_accept(struct ttrpc_listener *l, int fd, void *userdata)
{
        struct agent *a = userdata;
        struct rpc_session *s, *victim = NULL;
        int r;

        /* Evicted connections close on the next loop turn: count only the live ones. */
        if (live_sessions(a) >= AGENT_MAX_SESSIONS && (victim = eviction_victim(a))) {
                log_warn("connection table full (%u): closing the connection idle for %" PRIu64
                         " ms%s",
                         a->n_sessions, (now_ns() - victim->last_active_ns) / 1000000,
                         victim->n_parked ? " (its parked calls are cancelled)" : "");
                ttrpc_conn_close(victim->conn);
        }
        if (live_sessions(a) >= AGENT_MAX_SESSIONS) {
                log_warn("refusing connection: %u connections already open", a->n_sessions);
                (void) close(fd);
                ttrpc_listener_stream_closed(l);
                return;
        }
        r = rpc_session_new(a->loop, a, fd, agent_session_closed, a, &s);
        if (r < 0) {
                log_warn("cannot serve new connection: %s", strerror(-r));
                (void) close(fd);
                ttrpc_listener_stream_closed(l);
                return;
        }
        s->listener = l;
        s->budget = &a->rpc_budget;
        list_add_tail(&a->sessions, &s->node);
        a->n_sessions++;
        log_full(LOG_LEVEL_DEBUG, "rpc", NULL, "connection accepted (%u open)", a->n_sessions);
}

static void agent_signal_quit(struct loop *l, int signo, void *userdata)
{
        struct agent *a = userdata;

        /* As PID 1 the agent never exits on a signal: the kernel would panic. Power-off comes
         * through DestroySandbox. */
        if (a->init_mode) {
                log_info("ignoring signal %d: running as init", signo);
                return;
        }
        log_info("received signal %d, shutting down", signo);
        loop_quit(l, 0);
}

static void agent_signal_child(struct loop *l, int signo, void *userdata)
{
        (void) l;
        (void) signo;
        reaper_reap(userdata);
}

static int agent_setup_signals(struct agent *a)
{
        static const int quit_signals[] = { SIGTERM, SIGINT };
        int r;

        /* Writes to vanished peers must return EPIPE, never kill us. */
        (void) signal(SIGPIPE, SIG_IGN);
        for (size_t i = 0; i < sizeof(quit_signals) / sizeof(quit_signals[0]); i++) {
                r = loop_add_signal(a->loop, quit_signals[i], agent_signal_quit, a);
                if (r < 0)
                        return r;
        }
        return loop_add_signal(a->loop, SIGCHLD, agent_signal_child, a);
}

/* Kata's agent runs as a service with systemd's OOMScoreAdjust=-997 (kata-agent.service): the
 * OOM killer should take a container's process, not the agent that manages them all. As PID 1
 * the kernel never OOM-kills it anyway. A lower value already given (a service manager's -1000)
 * is kept; lowering needs CAP_SYS_RESOURCE, so without it this is a warning. Containers must
 * not inherit the protection: their stage 1 goes back to 0 (spawn_config.reset_oom_score). */
static void agent_protect_from_oom(struct agent *a)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        long cur;
        int r;

        if (a->init_mode || read_file("/proc/self/oom_score_adj", 64, &text, NULL) < 0)
                return;
        cur = strtol(text, NULL, 10);
        if (cur <= AGENT_OOM_SCORE_ADJ)
                return;
        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        r = fd < 0 || dprintf(fd, "%d", AGENT_OOM_SCORE_ADJ) < 0 ? -errno : 0;
        if (r < 0)
                log_warn("cannot protect the agent from the OOM killer (oom_score_adj %d): %s",
                         AGENT_OOM_SCORE_ADJ, strerror(-r));
        else
                log_info("oom_score_adj set to %d (was %ld)", AGENT_OOM_SCORE_ADJ, cur);
}

int agent_start(struct agent *a, struct agent_error **err)
{
        struct address addr;
        int r;

        list_init(&a->sessions);
        rpc_budget_init(&a->rpc_budget);
        list_init(&a->stdio_starved);
        list_init(&a->containers);
        storage_registry_init(&a->storage);
        list_init(&a->commands);
        list_init(&a->sandbox.create_waiters);
        if (!a->resolv_conf)
                a->resolv_conf = AGENT_DEFAULT_RESOLV_CONF;
        a->start_ns = now_ns();
        if (!a->run_dir)
                a->run_dir = AGENT_DEFAULT_RUN_DIR;
        if (!a->cgroup_root)
                a->cgroup_root = CGROUP_ROOT;
        /* Orphans below our containers (daemons, a dead stage 1's child) must come to us, so
         * every process is reaped and no zombie is left. As PID 1 this is automatic. */
        if (!a->init_mode && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                log_warn("cannot become a child subreaper: %s", strerror(errno));
        agent_protect_from_oom(a);
        restart_cleanup(a);
        restart_mark_running(a);
        r = loop_new(&a->loop);
        if (r < 0)
                return agent_error_set(err, -r, "create event loop");
        r = agent_setup_signals(a);
        if (r < 0)
                return agent_error_set(err, -r, "set up signal handling");
        devices_start(a);
        r = logsink_start(a, err);
        if (r >= 0)
                r = trace_start(a, err);
        if (r < 0)
                return r;
        r = address_parse(a->config.server_addr, &addr);
        if (r < 0)
                return agent_error_setf(err, EINVAL, "invalid server address `%s`",
                                        a->config.server_addr);
        r = ttrpc_listener_new(a->loop, &addr, agent_accept, a, &a->listener);
        if (r < 0)
                return agent_error_set(err, -r, "listen on `%s`", a->config.server_addr);
        r = console_start(a, err);
        if (r >= 0)
                r = passfd_start(a, err);
        if (r < 0)
                return r;
        log_info("cata-agent listening on `%s`", a->config.server_addr);
        return 0;
}

int agent_run(struct agent *a)
{
        return loop_run(a->loop);
}

void agent_stop(struct agent *a)
{
        while (!list_empty(&a->sessions))
                rpc_session_free(list_first_entry(&a->sessions, struct rpc_session, node));
        a->n_sessions = 0;
        sandbox_release(a); /* the containers go with it */
        storage_release_all(a);
        linkwait_free(a);
        devices_stop(a);
        command_free_all(a);
        reaper_free(a);
        console_stop(a);
        passfd_stop(a);
        a->listener = ttrpc_listener_free(a->listener);
        trace_stop(a);
        logsink_stop(a);
        a->loop = loop_free(a->loop);
        restart_mark_stopped(a);
        agent_config_done(&a->config);
}
