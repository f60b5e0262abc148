/* SPDX-License-Identifier: Apache-2.0 */
/* cata-agent: the Kata guest agent. PID 1 in a VM, or a service. */
#include "agent/agent.h"
#include "agent/boot.h"
#include "agent/config-file.h"
#include "agent/console.h"
#include "agent/crashguard.h"
#include "agent/logsink.h"
#include "passfd/passfd.h"
#include "trace/trace.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/util.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

struct args {
        const char *addr;
        const char *cmdline_path;
        const char *config_path;
        const char *log_level;
        const char *log_addr;
        const char *console_addr;
        const char *passfd_addr;
        const char *trace_addr;
        const char *run_dir;
        const char *resolv_conf;
        bool print_config;
};

static void usage(FILE *f)
{
        fputs("Usage: cata-agent [OPTIONS]\n"
              "\n"
              "Kata Containers guest agent: serves grpc.AgentService and grpc.Health over ttRPC.\n"
              "Configuration: defaults < kernel command line (agent.*) < KATA_AGENT_* environment\n"
              "< these options.\n"
              "\n"
              "  -a, --addr ADDR          listen address: vsock://CID:PORT, unix:///path,\n"
              "                           unix://@name, serial:///dev/... (default "
              "vsock://-1:1024)\n"
              "  -c, --cmdline FILE       kernel command line to read (default /proc/cmdline,\n"
              "                           or $CATA_CMDLINE)\n"
              "      --config FILE        the Rust agent's TOML configuration file instead of the\n"
              "                           kernel command line (the environment still applies)\n"
              "  -l, --log-level LEVEL    critical, error, warn, info, debug, trace\n"
              "      --log-addr ADDR      stream logs to the host that connects to ADDR\n"
              "                           (agent.log_vport=N means vsock://-1:N)\n"
              "      --console-addr ADDR  serve the debug console on ADDR\n"
              "      --passfd-addr ADDR   accept passfd stdio streams on ADDR\n"
              "                           (agent.passfd_listener_port=N means vsock://-1:N)\n"
              "      --trace-addr ADDR    send agent.trace spans to ADDR (default\n"
              "                           vsock://2:10240, kata-trace-forwarder)\n"
              "      --run-dir DIR        container bundles go to DIR/<id> (default\n"
              "                           /run/kata-containers)\n"
              "      --resolv-conf FILE   where CreateSandbox's DNS is bound (default\n"
              "                           /etc/resolv.conf)\n"
              "      --print-config       print the effective configuration as JSON and exit\n"
              "  -V, --version            print the version and exit\n"
              "  -h, --help               show this help\n",
              f);
}

/* Returns 1 to continue, 0 to exit successfully, -1 on a usage error. */
static int parse_args(int argc, char **argv, struct args *args)
{
        enum {
                OPT_LOG_ADDR = 0x100,
                OPT_CONSOLE_ADDR,
                OPT_PASSFD_ADDR,
                OPT_TRACE_ADDR,
                OPT_PRINT_CONFIG,
                OPT_RUN_DIR,
                OPT_RESOLV_CONF,
                OPT_CONFIG
        };
        static const struct option opts[] = {
                { "addr", required_argument, NULL, 'a' },
                { "cmdline", required_argument, NULL, 'c' },
                { "config", required_argument, NULL, OPT_CONFIG },
                { "log-level", required_argument, NULL, 'l' },
                { "log-addr", required_argument, NULL, OPT_LOG_ADDR },
                { "console-addr", required_argument, NULL, OPT_CONSOLE_ADDR },
                { "passfd-addr", required_argument, NULL, OPT_PASSFD_ADDR },
                { "trace-addr", required_argument, NULL, OPT_TRACE_ADDR },
                { "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
                { "run-dir", required_argument, NULL, OPT_RUN_DIR },
                { "resolv-conf", required_argument, NULL, OPT_RESOLV_CONF },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        int c;

        while ((c = getopt_long(argc, argv, "a:c:l:Vh", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        args->addr = optarg;
                        break;
                case 'c':
                        args->cmdline_path = optarg;
                        break;
                case 'l':
                        args->log_level = optarg;
                        break;
                case OPT_CONFIG:
                        args->config_path = optarg;
                        break;
                case OPT_LOG_ADDR:
                        args->log_addr = optarg;
                        break;
                case OPT_CONSOLE_ADDR:
                        args->console_addr = optarg;
                        break;
                case OPT_PASSFD_ADDR:
                        args->passfd_addr = optarg;
                        break;
                case OPT_TRACE_ADDR:
                        args->trace_addr = optarg;
                        break;
                case OPT_PRINT_CONFIG:
                        args->print_config = true;
                        break;
                case OPT_RUN_DIR:
                        args->run_dir = optarg;
                        break;
                case OPT_RESOLV_CONF:
                        args->resolv_conf = optarg;
                        break;
                case 'V':
                        printf("cata-agent %s (ttRPC API %s)\n", CATA_VERSION, CATA_GRPC_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return -1;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "cata-agent: unexpected argument `%s`\n", argv[optind]);
                return -1;
        }
        return 1;
}

/* The Rust agent refuses to start on a bad file (as PID 1: a kernel panic); cata says why and
 * goes on with the kernel command line. */
static int load_config_file(struct agent *a, const char *path)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *copy = xstrdup(path);
        int r = agent_config_load_file(&a->config, copy, &err);

        if (r < 0)
                log_full(LOG_LEVEL_ERROR, "config", NULL, "%s; using the kernel command line",
                         err->msg);
        return r;
}

static void load_config(struct agent *a, const struct args *args)
{
        const char *path = args->cmdline_path ? args->cmdline_path : getenv("CATA_CMDLINE");
        _cleanup_free_ char *cmdline = NULL;
        enum log_level level;
        int r;

        if (!path)
                path = "/proc/cmdline";
        agent_config_init(&a->config);
        if (!args->config_path || load_config_file(a, args->config_path) < 0) {
                r = read_file(path, 1 << 20, &cmdline, NULL);
                if (r < 0)
                        log_warn("cannot read kernel command line `%s`: %s", path, strerror(-r));
                else
                        agent_config_parse_cmdline(&a->config, cmdline);
        }
        /* As in the Rust agent, a file named on the kernel command line is the whole
         * configuration: the environment does not override it. */
        if (args->config_path || !a->config.config_file)
                agent_config_apply_env(&a->config, environ);
        else
                load_config_file(a, a->config.config_file);
        if (args->addr) {
                free(a->config.server_addr);
                a->config.server_addr = xstrdup(args->addr);
        }
        if (args->log_level) {
                if (log_level_from_string(args->log_level, &level) < 0)
                        log_warn("invalid --log-level `%s`, keeping `%s`", args->log_level,
                                 log_level_to_string(a->config.log_level));
                else
                        a->config.log_level = level;
        }
}

/* Returns the console fd logs go to, or -errno. */
static int init_early(void)
{
        _cleanup_error_ struct agent_error *err = NULL;
        int fd;

        if (boot_mount_early(&err) < 0)
                log_full(LOG_LEVEL_CRITICAL, "boot", NULL, "%s", err->msg);
        fd = boot_open_console();
        if (fd >= 0)
                log_set_fd(fd);
        (void) setsid();
        return fd;
}

static void init_after_config(struct agent *a)
{
        _cleanup_error_ struct agent_error *err = NULL;

        if (boot_mount_cgroups(a->config.unified_cgroup_hierarchy, &err) < 0)
                log_full(LOG_LEVEL_ERROR, "boot", NULL, "%s", err->msg);
        agent_error_freep(&err);
        if (boot_loopback_up(&err) < 0)
                log_full(LOG_LEVEL_ERROR, "boot", NULL, "%s", err->msg);
}

static void apply_side_channels(struct agent *a, const struct args *args)
{
        char vport[64];

        if (args->log_addr) {
                logsink_set_address(a, args->log_addr);
        } else if (a->config.log_vport) {
                snprintf(vport, sizeof(vport), "vsock://-1:%u", a->config.log_vport);
                logsink_set_address(a, vport);
        }
        if (args->console_addr)
                console_set_address(a, args->console_addr);
        if (args->passfd_addr) {
                passfd_set_address(a, args->passfd_addr);
        } else if (a->config.passfd_listener_port) {
                snprintf(vport, sizeof(vport), "vsock://-1:%u", a->config.passfd_listener_port);
                passfd_set_address(a, vport);
        }
        if (args->trace_addr)
                trace_set_address(a, args->trace_addr);
}

/* As PID 1 there is no returning: the kernel would panic. Keep serving whatever still works
 * (the debug console, signals), and power off only if the loop itself breaks, or once
 * DestroySandbox ended the pod (as the Rust agent does). */
static int __attribute__((noreturn)) init_never_exit(struct agent *a)
{
        for (;;) {
                if (a->loop)
                        (void) agent_run(a);
                else
                        (void) pause();
                if (a->sandbox.destroyed) {
                        log_info("sandbox destroyed; powering off");
                        agent_stop(a);
                        sync();
                        (void) reboot(RB_POWER_OFF);
                }
                log_full(LOG_LEVEL_CRITICAL, "root", NULL, "event loop ended; powering off");
                sync();
                (void) reboot(RB_POWER_OFF);
        }
}

int main(int argc, char **argv)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct args args = { 0 };
        struct agent a = { 0 };
        int console_fd = -EBADF;
        int r;

        r = parse_args(argc, argv, &args);
        if (r <= 0)
                return r == 0 ? EXIT_SUCCESS : 2;
        a.init_mode = getpid() == 1;
        if (a.init_mode)
                console_fd = init_early();
        load_config(&a, &args);
        if (a.init_mode)
                crashguard_install(argv, console_fd, a.config.dev_mode);
        if (args.print_config) {
                _cleanup_free_ char *json = agent_config_to_json(&a.config);
                puts(json);
                agent_config_done(&a.config);
                return EXIT_SUCCESS;
        }
        log_set_level(a.config.log_level);
        if (a.init_mode)
                init_after_config(&a);
        apply_side_channels(&a, &args);
        if (args.run_dir)
                a.run_dir = args.run_dir;
        if (args.resolv_conf)
                a.resolv_conf = args.resolv_conf;
        r = agent_start(&a, &err);
        if (r < 0) {
                log_full(LOG_LEVEL_CRITICAL, "root", NULL, "cannot start: %s", err->msg);
                if (a.init_mode)
                        init_never_exit(&a);
                agent_stop(&a);
                return EXIT_FAILURE;
        }
        if (a.init_mode)
                init_never_exit(&a);
        r = agent_run(&a);
        log_info("cata-agent stopped");
        agent_stop(&a);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
