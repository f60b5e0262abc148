/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cata-remote-hv: a hypervisor service for Kata's `remote` hypervisor type
 * (hypervisor.Hypervisor over ttRPC), whose "VMs" run cata-agent: on this host in a mount
 * namespace derived from the shim's, or as PID 1 of a QEMU guest. See docs/e2e.md.
 */
#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/util.h"
#include "remote-hv/service.h"
#include "remote-hv/vm.h"
#include "rpc/call.h"
#include "ttrpc/server.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SOCKET    "/run/cata-remote-hv/hypervisor.sock"
#define DEFAULT_STATE_DIR "/run/cata-remote-hv/vms"
#define MAX_CONNECTIONS   64

struct server {
        struct loop *loop;
        struct hv hv;
        struct ttrpc_listener *listener;
        struct list_node sessions; /* struct rpc_session, by node */
        unsigned n_conns;
};

static void usage(FILE *f)
{
        fputs("Usage: cata-remote-hv [OPTIONS]\n"
              "\n"
              "Serves hypervisor.Hypervisor (Kata's remote hypervisor type) over ttRPC; each VM\n"
              "runs cata-agent, on this host in a mount namespace derived from the shim's, or as\n"
              "PID 1 of a QEMU guest.\n"
              "\n"
              "  -s, --socket PATH       listen here (default " DEFAULT_SOCKET ")\n"
              "  -g, --guest KIND        namespace (default) or qemu\n"
              "      --state-dir DIR     VM directories and agent sockets (default\n"
              "                          " DEFAULT_STATE_DIR ")\n"
              "      --log-dir DIR       each guest's output to DIR/<sandbox id>.log (default:\n"
              "                          this service's stderr)\n"
              "      --agent PATH        namespace guest: cata-agent (default: next to this\n"
              "                          program)\n"
              "      --agent-log-level L namespace guest: the agent's --log-level\n"
              "      --qemu PATH         qemu guest: QEMU (default /usr/bin/qemu-system-x86_64)\n"
              "      --kernel PATH       qemu guest: kernel image\n"
              "      --initrd PATH       qemu guest: initramfs with cata-agent (and a pre-init\n"
              "                          that mounts the 9p share `kataShared`)\n"
              "      --memory MIB        qemu guest: memory (default 512)\n"
              "      --kernel-params S   qemu guest: appended to the kernel command line\n"
              "      --start-timeout S   StartVM fails when no agent socket appears (default 30)\n"
              "      --stop-timeout S    StopVM sends SIGKILL after SIGTERM (default 10)\n"
              "  -l, --log-level LEVEL   this service's log level (default info)\n"
              "  -V, --version           print the version and exit\n"
              "  -h, --help              show this help\n",
              f);
}

static int parse_uint(const char *opt, const char *s, unsigned max, unsigned *ret)
{
        uint64_t v;

        if (parse_u64(s, 10, &v) < 0 || v == 0 || v > max) {
                fprintf(stderr, "cata-remote-hv: %s: `%s` is not a number in 1..%u\n", opt, s, max);
                return -1;
        }
        *ret = (unsigned) v;
        return 0;
}

static char *default_agent_path(void)
{
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash;

        if (n <= 0)
                return xstrdup("cata-agent");
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash)
                *slash = '\0';
        return xasprintf("%s/cata-agent", self);
}

enum {
        OPT_STATE_DIR = 0x100,
        OPT_LOG_DIR,
        OPT_AGENT,
        OPT_AGENT_LOG_LEVEL,
        OPT_QEMU,
        OPT_KERNEL,
        OPT_INITRD,
        OPT_MEMORY,
        OPT_KERNEL_PARAMS,
        OPT_START_TIMEOUT,
        OPT_STOP_TIMEOUT,
};

static const struct option options[] = {
        { "socket", required_argument, NULL, 's' },
        { "guest", required_argument, NULL, 'g' },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "log-dir", required_argument, NULL, OPT_LOG_DIR },
        { "agent", required_argument, NULL, OPT_AGENT },
        { "agent-log-level", required_argument, NULL, OPT_AGENT_LOG_LEVEL },
        { "qemu", required_argument, NULL, OPT_QEMU },
        { "kernel", required_argument, NULL, OPT_KERNEL },
        { "initrd", required_argument, NULL, OPT_INITRD },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "kernel-params", required_argument, NULL, OPT_KERNEL_PARAMS },
        { "start-timeout", required_argument, NULL, OPT_START_TIMEOUT },
        { "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
        { "log-level", required_argument, NULL, 'l' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
};

static int parse_option(int c, struct hv_config *cfg, const char **socket_path)
{
        enum log_level level;

        switch (c) {
        case 's':
                *socket_path = optarg;
                return 1;
        case 'g':
                if (streq(optarg, "namespace"))
                        cfg->guest = HV_GUEST_NAMESPACE;
                else if (streq(optarg, "qemu"))
                        cfg->guest = HV_GUEST_QEMU;
                else {
                        fprintf(stderr, "cata-remote-hv: --guest: `%s` is not namespace or qemu\n",
                                optarg);
                        return -1;
                }
                return 1;
        case OPT_STATE_DIR:
                cfg->state_dir = optarg;
                return 1;
        case OPT_LOG_DIR:
                cfg->log_dir = optarg;
                return 1;
        case OPT_AGENT:
                cfg->agent = optarg;
                return 1;
        case OPT_AGENT_LOG_LEVEL:
                cfg->agent_log_level = optarg;
                return 1;
        case OPT_QEMU:
                cfg->qemu = optarg;
                return 1;
        case OPT_KERNEL:
                cfg->kernel = optarg;
                return 1;
        case OPT_INITRD:
                cfg->initrd = optarg;
                return 1;
        case OPT_MEMORY:
                return parse_uint("--memory", optarg, 65536, &cfg->memory_mb) < 0 ? -1 : 1;
        case OPT_KERNEL_PARAMS:
                cfg->kernel_params = optarg;
                return 1;
        case OPT_START_TIMEOUT:
                return parse_uint("--start-timeout", optarg, 3600, &cfg->start_timeout_s) < 0 ? -1
                                                                                              : 1;
        case OPT_STOP_TIMEOUT:
                return parse_uint("--stop-timeout", optarg, 3600, &cfg->stop_timeout_s) < 0 ? -1
                                                                                            : 1;
        case 'l':
                if (log_level_from_string(optarg, &level) < 0) {
                        fprintf(stderr, "cata-remote-hv: --log-level: `%s` is not a level\n",
                                optarg);
                        return -1;
                }
                log_set_level(level);
                return 1;
        case 'V':
                printf("cata-remote-hv %s\n", CATA_VERSION);
                return 0;
        case 'h':
                usage(stdout);
                return 0;
        default:
                usage(stderr);
                return -1;
        }
}

static int check_config(const struct hv_config *cfg, const char *socket_path)
{
        if (cfg->state_dir[0] != '/' || strchr(cfg->state_dir, ',')) {
                /* QEMU's option syntax treats a comma as a separator. */
                fprintf(stderr, "cata-remote-hv: --state-dir must be absolute and without `,`\n");
                return -1;
        }
        if (socket_path[0] != '/') {
                fprintf(stderr, "cata-remote-hv: --socket must be an absolute path\n");
                return -1;
        }
        if (cfg->guest == HV_GUEST_QEMU && (!cfg->kernel || !cfg->initrd)) {
                fprintf(stderr, "cata-remote-hv: --guest qemu needs --kernel and --initrd\n");
                return -1;
        }
        return 0;
}

/* Returns 1 to run, 0 to exit successfully, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct hv_config *cfg, const char **socket_path)
{
        int c, r;

        while ((c = getopt_long(argc, argv, "s:g:l:Vh", options, NULL)) != -1) {
                r = parse_option(c, cfg, socket_path);
                if (r <= 0)
                        return r;
        }
        if (optind < argc) {
                fprintf(stderr, "cata-remote-hv: unexpected argument `%s`\n", argv[optind]);
                return -1;
        }
        return check_config(cfg, *socket_path) < 0 ? -1 : 1;
}

/* ---- connections ---------------------------------------------------------------------------- */

static void conn_closed(struct rpc_session *s, void *userdata)
{
        struct server *srv = userdata;
        struct service_conn *c = s->context;

        free(c);
        srv->n_conns--;
}

static pid_t peer_pid(int fd)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return 0;
        return cred.pid;
}

static void server_accept(struct ttrpc_listener *l, int fd, void *userdata)
{
        struct server *srv = userdata;
        struct service_conn *c;
        struct rpc_session *s;
        int r;

        (void) l;
        if (srv->n_conns >= MAX_CONNECTIONS) {
                log_warn("refusing connection: %u connections already open", srv->n_conns);
                (void) close(fd);
                return;
        }
        c = xzalloc(sizeof(*c));
        c->hv = &srv->hv;
        c->peer_pid = peer_pid(fd);
        r = rpc_session_new_for(srv->loop, &service_registry, c, fd, conn_closed, srv, &s);
        if (r < 0) {
                log_warn("cannot serve new connection: %s", strerror(-r));
                (void) close(fd);
                free(c);
                return;
        }
        list_add_tail(&srv->sessions, &s->node);
        srv->n_conns++;
}

static void server_free_sessions(struct server *srv)
{
        while (!list_empty(&srv->sessions)) {
                struct rpc_session *s = list_first_entry(&srv->sessions, struct rpc_session, node);
                /* rpc_session_free() skips on_closed: the context is released here. */
                free(s->context);
                rpc_session_free(s);
        }
        srv->n_conns = 0;
}

/* ---- signals and main ----------------------------------------------------------------------- */

static void on_quit(struct loop *l, int signo, void *userdata)
{
        (void) userdata;
        log_info("received signal %d, stopping every VM and exiting", signo);
        loop_quit(l, 0);
}

static void on_child(struct loop *l, int signo, void *userdata)
{
        (void) l;
        (void) signo;
        hv_reap(userdata);
}

static int server_start(struct server *srv, const char *socket_path, struct agent_error **err)
{
        _cleanup_free_ char *addr_text = xasprintf("unix://%s", socket_path);
        struct address addr;
        int r;

        r = loop_new(&srv->loop);
        if (r < 0)
                return agent_error_set(err, -r, "create event loop");
        (void) signal(SIGPIPE, SIG_IGN);
        if (loop_add_signal(srv->loop, SIGTERM, on_quit, srv) < 0 ||
            loop_add_signal(srv->loop, SIGINT, on_quit, srv) < 0 ||
            loop_add_signal(srv->loop, SIGCHLD, on_child, &srv->hv) < 0)
                return agent_error_set(err, EIO, "set up signal handling");
        if (address_parse(addr_text, &addr) < 0)
                return agent_error_setf(err, EINVAL, "invalid socket path `%s`", socket_path);
        r = ttrpc_listener_new(srv->loop, &addr, server_accept, srv, &srv->listener);
        if (r < 0)
                return agent_error_set(err, -r, "listen on `%s`", socket_path);
        /* The shim runs as root; nobody else may create or stop VMs. */
        if (chmod(socket_path, 0600) < 0)
                return agent_error_set(err, errno, "chmod `%s`", socket_path);
        return 0;
}

static int make_dir(const char *path, struct agent_error **err)
{
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return agent_error_set(err, errno, "create `%s`", path);
        return 0;
}

int main(int argc, char **argv)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *agent = NULL;
        struct hv_config cfg = {
                .guest = HV_GUEST_NAMESPACE,
                .state_dir = DEFAULT_STATE_DIR,
                .qemu = "/usr/bin/qemu-system-x86_64",
                .memory_mb = 512,
                .start_timeout_s = 30,
                .stop_timeout_s = 10,
        };
        const char *socket_path = DEFAULT_SOCKET;
        struct server srv = { 0 };
        int r;

        r = parse_args(argc, argv, &cfg, &socket_path);
        if (r <= 0)
                return r == 0 ? EXIT_SUCCESS : 2;
        if (!cfg.agent)
                cfg.agent = agent = default_agent_path();
        list_init(&srv.sessions);
        hv_init(&srv.hv, NULL, &cfg);
        if (make_dir(cfg.state_dir, &err) < 0 || server_start(&srv, socket_path, &err) < 0) {
                log_full(LOG_LEVEL_CRITICAL, "remote-hv", NULL, "cannot start: %s", err->msg);
                srv.listener = ttrpc_listener_free(srv.listener);
                srv.loop = loop_free(srv.loop);
                return EXIT_FAILURE;
        }
        srv.hv.loop = srv.loop;
        log_info("cata-remote-hv listening on `%s` (%s guests)", socket_path,
                 cfg.guest == HV_GUEST_QEMU ? "qemu" : "namespace");
        r = loop_run(srv.loop);
        hv_done(&srv.hv);
        server_free_sessions(&srv);
        srv.listener = ttrpc_listener_free(srv.listener);
        srv.loop = loop_free(srv.loop);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
