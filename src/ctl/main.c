/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cata-ctl: a host-side client for the agent's ttRPC API.
 *
 * Each command is one entry in `commands[]` plus one handler; a handler builds its request, calls
 * ctl_call() (which connects on first use and reports transport and status errors) and describes
 * the response through ctl-output.h, which prints text or JSON.
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl-output.h"
#include "ctl/ctl.h"
#include "ttrpc/address.h"
#include "ttrpc/client.h"
#include "ttrpc/status.h"
#include "version.h"

#include "agent.pb-c.h"
#include "health.pb-c.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ADDR        "unix:///run/cata/agent.sock"
#define DEFAULT_TIMEOUT_SEC 30
#define TIMEOUT_SEC_MAX     (365.0 * 24 * 3600)

static void code_text(int code, char *buf, size_t size)
{
        if (code >= RPC_OK && code <= RPC_UNAUTHENTICATED)
                snprintf(buf, size, "%s", rpc_code_name(code));
        else
                snprintf(buf, size, "CODE(%d)", code);
}

int ctl_connect(struct ctl_context *ctx)
{
        int r;

        if (ctx->client)
                return 0;
        r = ttrpc_client_connect(ctx->addr, &ctx->client);
        if (r < 0) {
                fprintf(stderr, "cata-ctl: connect `%s`: %s\n", ctx->addr, strerror(-r));
                return EXIT_TRANSPORT;
        }
        return 0;
}

int ctl_report_transport_error(struct ctl_context *ctx, const char *service, const char *method,
                               int r)
{
        fprintf(stderr, "cata-ctl: %s: call `%s/%s`: %s\n", ctx->command, service, method,
                r == -EMSGSIZE ? "message larger than 4 MiB" : strerror(-r));
        return EXIT_TRANSPORT;
}

int ctl_report_status(struct ctl_context *ctx, const struct ttrpc_status *st)
{
        char code[32];

        code_text(st->code, code, sizeof(code));
        fprintf(stderr, "cata-ctl: %s: %s: ", ctx->command, code);
        ctl_text_write_string(stderr, st->message ? st->message : "");
        fputc('\n', stderr);
        return EXIT_RPC_ERROR;
}

/* One unary call. Returns 0 with *ret_resp set, or an exit code after printing the error. */
int ctl_call(struct ctl_context *ctx, const char *service, const char *method,
             const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
             ProtobufCMessage **ret_resp)
{
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        int r;

        r = ctl_connect(ctx);
        if (r != 0)
                return r;
        r = ttrpc_client_call(ctx->client, service, method, req, resp_desc, ctx->timeout_ns,
                              ret_resp, &st);
        if (r < 0)
                return ctl_report_transport_error(ctx, service, method, r);
        if (st.code != RPC_OK)
                return ctl_report_status(ctx, &st);
        return 0;
}

static int cmd_check(struct ctl_context *ctx, char **args)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        Grpc__HealthCheckResponse *resp = NULL;
        const ProtobufCEnumValue *v;
        bool serving;
        int r;

        (void) args;
        r = ctl_call(ctx, "grpc.Health", "Check", &req.base,
                     &grpc__health_check_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        v = protobuf_c_enum_descriptor_get_value(
                &grpc__health_check_response__serving_status__descriptor, resp->status);
        ctl_out_string(&ctx->out, "status", NULL, v ? v->name : "UNKNOWN");
        serving = resp->status == GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return serving ? 0 : EXIT_RPC_ERROR;
}

static int cmd_version(struct ctl_context *ctx, char **args)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        Grpc__VersionCheckResponse *resp = NULL;
        int r;

        (void) args;
        r = ctl_call(ctx, "grpc.Health", "Version", &req.base,
                     &grpc__version_check_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        ctl_out_string(&ctx->out, "agent_version", "agent version", resp->agent_version);
        ctl_out_string(&ctx->out, "grpc_version", "grpc version", resp->grpc_version);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}

static void out_agent_details(struct ctl_output *o, const Grpc__AgentDetails *d)
{
        ctl_out_begin_section(o, "agent_details", "agent details");
        ctl_out_string(o, "version", "version", d->version);
        ctl_out_bool(o, "init_daemon", "init daemon (PID 1)", d->init_daemon);
        ctl_out_strv(o, "device_handlers", "device handlers", d->device_handlers,
                     d->n_device_handlers);
        ctl_out_strv(o, "storage_handlers", "storage handlers", d->storage_handlers,
                     d->n_storage_handlers);
        ctl_out_bool(o, "supports_seccomp", "seccomp", d->supports_seccomp);
        ctl_out_strv(o, "extra_features", "extra features", d->extra_features, d->n_extra_features);
        ctl_out_end(o);
}

static int cmd_guest_details(struct ctl_context *ctx, char **args)
{
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        Grpc__GuestDetailsResponse *resp = NULL;
        int r;

        (void) args;
        req.mem_block_size = true;
        req.mem_hotplug_probe = true;
        r = ctl_call(ctx, "grpc.AgentService", "GetGuestDetails", &req.base,
                     &grpc__guest_details_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        ctl_out_size(&ctx->out, "mem_block_size_bytes", "memory block size",
                     resp->mem_block_size_bytes);
        ctl_out_bool(&ctx->out, "support_mem_hotplug_probe", "memory hotplug probe",
                     resp->support_mem_hotplug_probe);
        if (resp->agent_details)
                out_agent_details(&ctx->out, resp->agent_details);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}

static int cmd_metrics(struct ctl_context *ctx, char **args)
{
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        Grpc__Metrics *resp = NULL;
        int r;

        (void) args;
        r = ctl_call(ctx, "grpc.AgentService", "GetMetrics", &req.base, &grpc__metrics__descriptor,
                     (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        if (ctx->json)
                ctl_out_string(&ctx->out, "metrics", NULL, resp->metrics);
        else
                fputs(resp->metrics, stdout);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}

/* Prints the status instead of failing on it: seeing UNIMPLEMENTED/NOT_FOUND is the point. */
static int cmd_call(struct ctl_context *ctx, char **args)
{
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        _cleanup_free_ uint8_t *payload = NULL;
        size_t len = 0;
        char code[32];
        int r;

        r = ctl_connect(ctx);
        if (r != 0)
                return r;
        r = ttrpc_client_call_raw(ctx->client, args[0], args[1], NULL, 0, ctx->timeout_ns, &st,
                                  &payload, &len);
        if (r < 0)
                return ctl_report_transport_error(ctx, args[0], args[1], r);
        code_text(st.code, code, sizeof(code));
        ctl_out_string(&ctx->out, "status", "status", code);
        ctl_out_int(&ctx->out, "code", "code", st.code);
        ctl_out_string(&ctx->out, "message", "message", st.message ? st.message : "");
        ctl_out_hex(&ctx->out, "payload", "payload", payload, len);
        return st.code == RPC_OK ? 0 : EXIT_RPC_ERROR;
}

static const struct ctl_command commands[] = {
        { "check", "", 0, 0, cmd_check,
          "grpc.Health/Check: print the serving status (exit 1 unless SERVING)" },
        { "version", "", 0, 0, cmd_version, "grpc.Health/Version: agent and API versions" },
        { "guest-details", "", 0, 0, cmd_guest_details,
          "GetGuestDetails: memory block size, hotplug probe, agent details" },
        { "call", "SERVICE METHOD", 2, 2, cmd_call,
          "send an empty request, print status and raw payload (exit 1 unless OK)" },
        { "run", "BUNDLE ID [storage=JSON|device=JSON...]", 2, 64, ctl_cmd_run,
          "create+start the bundle's container, relay its output, wait, remove; exit with its "
          "code" },
        { "create", "BUNDLE ID [storage=JSON|device=JSON...]", 2, 64, ctl_cmd_create,
          "CreateContainer from BUNDLE/config.json (stopped before execve), with Kata\n"
          "storages and devices as JSON ({\"driver\":\"blk\",\"source\":\"02\",...})" },
        { "rpc", "METHOD [JSON]", 1, 2, ctl_cmd_rpc,
          "any AgentService method, request and response as JSON (OnlineCPUMem\n"
          "'{\"nb_cpus\":2}', AddSwap '{\"PCIPath\":[5]}', ...)" },
        { "start", "ID", 1, 1, ctl_cmd_start, "StartContainer" },
        { "exec", "ID EXEC_ID CMD...", 3, 64, ctl_cmd_exec,
          "ExecProcess CMD in the container, relay its output, wait; exit with its code" },
        { "kill", "ID [SIGNAL [EXEC_ID]]", 1, 3, ctl_cmd_kill,
          "SignalProcess (default TERM; KILL with no EXEC_ID kills every process)" },
        { "wait", "ID [EXEC_ID]", 1, 2, ctl_cmd_wait, "WaitProcess: print the exit status" },
        { "read", "ID [EXEC_ID]", 1, 2, ctl_cmd_read,
          "relay stdout and stderr until EOF (ReadStdout/ReadStderr)" },
        { "pause", "ID", 1, 1, ctl_cmd_pause, "PauseContainer (freeze)" },
        { "resume", "ID", 1, 1, ctl_cmd_resume, "ResumeContainer (thaw)" },
        { "update", "ID RESOURCES.json", 2, 2, ctl_cmd_update,
          "UpdateContainer with an OCI linux.resources JSON object" },
        { "stats", "ID", 1, 1, ctl_cmd_stats, "StatsContainer: cgroup statistics" },
        { "rm", "ID [TIMEOUT]", 1, 2, ctl_cmd_rm, "RemoveContainer (kills what is left)" },
        { "metrics", "", 0, 0, cmd_metrics, "GetMetrics: the Prometheus text" },
        { "iface", "list|update JSON", 1, 2, ctl_cmd_iface,
          "ListInterfaces, or UpdateInterface (agent-ctl's JSON: {\"interface\": {...}})" },
        { "route", "list|update JSON", 1, 2, ctl_cmd_route,
          "ListRoutes, or UpdateRoutes ({\"routes\": {\"Routes\": [...]}})" },
        { "arp", "add JSON", 2, 2, ctl_cmd_arp,
          "AddARPNeighbors ({\"neighbors\": {\"ARPNeighbors\": [...]}})" },
        { "iptables", "get|set [-6] [FILE]", 1, 3, ctl_cmd_iptables,
          "GetIPTables (print the rules), or SetIPTables from FILE or - (stdin)" },
        { "sandbox", "create [KEY=VALUE...] | destroy", 1, 64, ctl_cmd_sandbox,
          "CreateSandbox (id= hostname= dns=LINE hooks=DIR module=NAME[:P,...] pidns\n"
          "storage=JSON, each repeatable where it makes sense) or DestroySandbox" },
        { "oom-events", "[COUNT]", 0, 1, ctl_cmd_oom_events,
          "GetOOMEvent in a loop: print the id of each OOM-killed container (COUNT, then exit)" },
        { "set-time", "[SEC [USEC]]", 0, 2, ctl_cmd_set_time,
          "SetGuestDateTime (default: this machine's clock)" },
        { "reseed", "FILE|-", 1, 1, ctl_cmd_reseed, "ReseedRandomDev with up to 4 KiB of FILE" },
        { "diag", "ID", 1, 1, ctl_cmd_diag, "GetDiagnosticData: the container's termination log" },
        { "copy-file", "SRC DEST", 2, 2, ctl_cmd_copy_file,
          "CopyFile: a file (in 1 MiB chunks), directory or symlink to DEST in the guest (below\n"
          "/run/kata-containers/shared/containers/), keeping mode and owner" },
        { "volume-stats", "PATH", 1, 1, ctl_cmd_volume_stats,
          "GetVolumeStats: bytes and inodes of the file system at PATH in the guest" },
};

static void usage(FILE *f)
{
        fputs("Usage: cata-ctl [--addr ADDR] [--json] [--timeout SECONDS] <command> [args]\n"
              "\n"
              "Talks to a cata (Kata Containers) agent over ttRPC.\n"
              "\n"
              "Options:\n"
              "  --addr ADDR         agent address: vsock://CID:PORT, unix:///path, unix://@name\n"
              "                      (default: $CATA_ADDR, else " DEFAULT_ADDR ")\n"
              "  --json              print one JSON object instead of text\n"
              "  --timeout SECONDS   per-call timeout, 0 waits for ever (default 30)\n"
              "  -h, --help          show this help\n"
              "  -V, --version       show the version\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
                char head[64];

                snprintf(head, sizeof(head), "%s %s", commands[i].name, commands[i].args);
                fprintf(f, "  %-22s%s\n", head, commands[i].help);
        }
        fputs("\nExit status: 0 success, 1 the agent returned an error status, 2 usage or "
              "transport error.\n",
              f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fputs("cata-ctl: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputs("\n\n", stderr);
        va_end(ap);
        usage(stderr);
        return EXIT_USAGE;
}

static int parse_timeout(const char *s, int64_t *ret)
{
        char *end;
        double sec;

        errno = 0;
        sec = strtod(s, &end);
        /* Written so NaN fails too. */
        if (errno || end == s || *end || !(sec >= 0 && sec <= TIMEOUT_SEC_MAX))
                return -EINVAL;
        *ret = (int64_t) (sec * 1e9);
        return 0;
}

/* Returns -1 to go on, or the exit code when done (help, version, bad usage). */
static int parse_options(int argc, char **argv, struct ctl_context *ctx)
{
        static const struct option options[] = {
                { "addr", required_argument, NULL, 'a' },    { "json", no_argument, NULL, 'j' },
                { "timeout", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },       { NULL, 0, NULL, 0 },
        };
        struct address a;
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hV", options, NULL)) >= 0) {
                switch (c) {
                case 'a':
                        ctx->addr = optarg;
                        break;
                case 'j':
                        ctx->json = true;
                        break;
                case 't':
                        if (parse_timeout(optarg, &ctx->timeout_ns) < 0)
                                return usage_error("invalid timeout `%s`", optarg);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("cata-ctl %s (agent API %s)\n", CATA_VERSION, CATA_GRPC_VERSION);
                        return 0;
                case ':':
                        return usage_error("option `%s` needs a value", argv[optind - 1]);
                default:
                        return usage_error("unknown option `%s`", argv[optind - 1]);
                }
        }
        if (address_parse(ctx->addr, &a) < 0)
                return usage_error("invalid address `%s`", ctx->addr);
        return -1;
}

static const struct ctl_command *find_command(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

static int run(struct ctl_context *ctx, int argc, char **argv)
{
        const struct ctl_command *cmd;
        int r;

        if (argc < 1)
                return usage_error("%s", "no command given");
        cmd = find_command(argv[0]);
        if (!cmd)
                return usage_error("unknown command `%s`", argv[0]);
        if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args)
                return usage_error("wrong number of arguments for `%s`", cmd->name);
        ctx->command = cmd->name;
        ctl_output_init(&ctx->out, stdout, ctx->json);
        r = cmd->run(ctx, argv + 1);
        /* `call` and `check` print a result and then fail; a failed call printed nothing, and
         * must not leave a stray "{}" in JSON mode. */
        if (r != 0 && ctx->json && !ctx->out.started)
                return r;
        if (ctl_output_finish(&ctx->out) < 0 && r == 0) {
                fprintf(stderr, "cata-ctl: %s: writing output failed\n", cmd->name);
                r = EXIT_TRANSPORT;
        }
        return r;
}

int main(int argc, char **argv)
{
        const char *env = getenv("CATA_ADDR");
        struct ctl_context ctx = {
                .addr = env && *env ? env : DEFAULT_ADDR,
                .timeout_ns = DEFAULT_TIMEOUT_SEC * 1000000000ll,
        };
        int r;

        r = parse_options(argc, argv, &ctx);
        if (r < 0)
                r = run(&ctx, argc - optind, argv + optind);
        ctx.client = ttrpc_client_free(ctx.client);
        return r;
}
