/* SPDX-License-Identifier: Apache-2.0 */
/* cata-ctl's container commands: one handler per RPC, plus `run` and `exec` which relay. */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl.h"
#include "oci/spec-json.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int call_empty(struct ctl_context *ctx, const char *method, const ProtobufCMessage *req)
{
        ProtobufCMessage *resp = NULL;
        int r = ctl_call(ctx, "grpc.AgentService", method, req,
                         &google__protobuf__empty__descriptor, &resp);

        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        return r;
}

/* Reads BUNDLE/config.json into a Spec with an absolute Root.Path. */
static int load_bundle(const char *bundle, Grpc__Spec **ret)
{
        _cleanup_error_ struct agent_error *err = NULL;

        if (spec_from_bundle(bundle, ret, NULL, &err) < 0) {
                fprintf(stderr, "cata-ctl: %s\n", err->msg);
                return EXIT_USAGE;
        }
        return 0;
}

int ctl_cmd_create(struct ctl_context *ctx, char **args)
{
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__Spec *spec = NULL;
        int r;

        r = load_bundle(args[0], &spec);
        if (r != 0)
                return r;
        req.container_id = args[1];
        req.exec_id = args[1];
        req.oci = spec;
        r = ctl_create_extras(&req, args + 2);
        if (r == 0)
                r = call_empty(ctx, "CreateContainer", &req.base);
        ctl_create_extras_free(&req);
        spec_free(spec);
        return r;
}

#define SIMPLE_ID_COMMAND(fn, method, type, INIT)          \
        int fn(struct ctl_context *ctx, char **args)       \
        {                                                  \
                type req = INIT;                           \
                req.container_id = args[0];                \
                return call_empty(ctx, method, &req.base); \
        }

SIMPLE_ID_COMMAND(ctl_cmd_start, "StartContainer", Grpc__StartContainerRequest,
                  GRPC__START_CONTAINER_REQUEST__INIT)
SIMPLE_ID_COMMAND(ctl_cmd_pause, "PauseContainer", Grpc__PauseContainerRequest,
                  GRPC__PAUSE_CONTAINER_REQUEST__INIT)
SIMPLE_ID_COMMAND(ctl_cmd_resume, "ResumeContainer", Grpc__ResumeContainerRequest,
                  GRPC__RESUME_CONTAINER_REQUEST__INIT)

static int parse_signal(const char *s, uint32_t *ret)
{
        static const struct {
                const char *name;
                int sig;
        } names[] = {
                { "HUP", SIGHUP },     { "INT", SIGINT },   { "QUIT", SIGQUIT },
                { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
                { "TERM", SIGTERM },   { "STOP", SIGSTOP }, { "CONT", SIGCONT },
                { "WINCH", SIGWINCH },
        };
        uint64_t n;

        if (parse_u64(s, 10, &n) == 0 && n > 0 && n < 65) {
                *ret = (uint32_t) n;
                return 0;
        }
        if (startswith(s, "SIG"))
                s += 3;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (streq(s, names[i].name)) {
                        *ret = (uint32_t) names[i].sig;
                        return 0;
                }
        return -EINVAL;
}

int ctl_cmd_kill(struct ctl_context *ctx, char **args)
{
        Grpc__SignalProcessRequest req = GRPC__SIGNAL_PROCESS_REQUEST__INIT;

        req.container_id = args[0];
        req.signal = SIGTERM;
        req.exec_id = (char *) "";
        if (args[1] && parse_signal(args[1], &req.signal) < 0) {
                fprintf(stderr, "cata-ctl: kill: unknown signal `%s`\n", args[1]);
                return EXIT_USAGE;
        }
        if (args[1] && args[2])
                req.exec_id = args[2];
        return call_empty(ctx, "SignalProcess", &req.base);
}

int ctl_wait_process(struct ctl_context *ctx, const char *cid, const char *eid, int *ret_status)
{
        Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
        Grpc__WaitProcessResponse *resp = NULL;
        int64_t saved = ctx->timeout_ns;
        int r;

        req.container_id = (char *) cid;
        req.exec_id = (char *) eid;
        ctx->timeout_ns = 0; /* WaitProcess has no deadline, as in Kata's runtime */
        r = ctl_call(ctx, "grpc.AgentService", "WaitProcess", &req.base,
                     &grpc__wait_process_response__descriptor, (ProtobufCMessage **) &resp);
        ctx->timeout_ns = saved;
        if (r != 0)
                return r;
        *ret_status = resp->status;
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}

int ctl_cmd_wait(struct ctl_context *ctx, char **args)
{
        int status, r;

        r = ctl_wait_process(ctx, args[0], args[1] ? args[1] : "", &status);
        if (r != 0)
                return r;
        ctl_out_int(&ctx->out, "status", "exit status", status);
        return 0;
}

int ctl_cmd_read(struct ctl_context *ctx, char **args)
{
        int status;

        return ctl_relay(ctx, args[0], args[1] ? args[1] : "", false, false, false, &status);
}

int ctl_cmd_rm(struct ctl_context *ctx, char **args)
{
        Grpc__RemoveContainerRequest req = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
        uint64_t t = 0;

        req.container_id = args[0];
        if (args[1] && (parse_u64(args[1], 10, &t) < 0 || t > UINT32_MAX)) {
                fprintf(stderr, "cata-ctl: rm: invalid timeout `%s`\n", args[1]);
                return EXIT_USAGE;
        }
        req.timeout = (uint32_t) t;
        return call_empty(ctx, "RemoveContainer", &req.base);
}

/* An OCI linux.resources object from a file. */
int ctl_cmd_update(struct ctl_context *ctx, char **args)
{
        Grpc__UpdateContainerRequest req = GRPC__UPDATE_CONTAINER_REQUEST__INIT;
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_(spec_freep) Grpc__Spec *spec = NULL;

        if (spec_fragment_from_file(args[1], SPEC_FRAGMENT_RESOURCES, &spec, &err) < 0) {
                fprintf(stderr, "cata-ctl: %s\n", err->msg);
                return EXIT_USAGE;
        }
        req.container_id = args[0];
        req.resources = spec->linux ? spec->linux->resources : NULL;
        return call_empty(ctx, "UpdateContainer", &req.base);
}

static void out_stats(struct ctl_output *o, const Grpc__CgroupStats *s)
{
        if (s->cpu_stats && s->cpu_stats->cpu_usage)
                ctl_out_uint(o, "cpu_usage_ns", "cpu usage (ns)",
                             s->cpu_stats->cpu_usage->total_usage);
        if (s->memory_stats && s->memory_stats->usage) {
                ctl_out_size(o, "memory_usage", "memory usage", s->memory_stats->usage->usage);
                ctl_out_size(o, "memory_limit", "memory limit", s->memory_stats->usage->limit);
        }
        if (s->pids_stats) {
                ctl_out_uint(o, "pids", "pids", s->pids_stats->current);
                ctl_out_uint(o, "pids_limit", "pids limit", s->pids_stats->limit);
        }
}

int ctl_cmd_stats(struct ctl_context *ctx, char **args)
{
        Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
        Grpc__StatsContainerResponse *resp = NULL;
        int r;

        req.container_id = args[0];
        r = ctl_call(ctx, "grpc.AgentService", "StatsContainer", &req.base,
                     &grpc__stats_container_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        if (resp->cgroup_stats)
                out_stats(&ctx->out, resp->cgroup_stats);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}

int ctl_cmd_exec(struct ctl_context *ctx, char **args)
{
        Grpc__ExecProcessRequest req = GRPC__EXEC_PROCESS_REQUEST__INIT;
        Grpc__Process proc = GRPC__PROCESS__INIT;
        Grpc__User user = GRPC__USER__INIT;
        char *env[] = { (
                char *) "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
        size_t n = 0;
        int status, r;

        while (args[2 + n])
                n++;
        proc.args = args + 2;
        proc.n_args = n;
        proc.env = env;
        proc.n_env = 1;
        proc.cwd = (char *) "/";
        proc.user = &user;
        req.container_id = args[0];
        req.exec_id = args[1];
        req.process = &proc;
        r = call_empty(ctx, "ExecProcess", &req.base);
        if (r != 0)
                return r;
        r = ctl_relay(ctx, args[0], args[1], false, false, true, &status);
        return r != 0 ? r : status;
}

int ctl_cmd_run(struct ctl_context *ctx, char **args)
{
        Grpc__StartContainerRequest start = GRPC__START_CONTAINER_REQUEST__INIT;
        Grpc__RemoveContainerRequest rm = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__Spec *spec = NULL;
        bool terminal;
        int status = 0, r;

        r = load_bundle(args[0], &spec);
        if (r != 0)
                return r;
        terminal = spec->process && spec->process->terminal;
        req.container_id = args[1];
        req.exec_id = args[1];
        req.oci = spec;
        r = ctl_create_extras(&req, args + 2);
        if (r == 0)
                r = call_empty(ctx, "CreateContainer", &req.base);
        ctl_create_extras_free(&req);
        spec_free(spec);
        if (r != 0)
                return r;
        start.container_id = args[1];
        r = call_empty(ctx, "StartContainer", &start.base);
        if (r == 0)
                r = ctl_relay(ctx, args[1], "", terminal, false, true, &status);
        rm.container_id = args[1];
        if (call_empty(ctx, "RemoveContainer", &rm.base) != 0 && r == 0)
                r = EXIT_RPC_ERROR;
        return r != 0 ? r : status;
}
