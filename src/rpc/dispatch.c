/* SPDX-License-Identifier: Apache-2.0 */
#include "rpc/dispatch.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "rpc/strings.h"
#include "rpc/validate.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "ttrpc.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rpc_dispatch_frame(struct rpc_session *s, struct ttrpc_frame *f);
void rpc_dispatch_oversize(struct rpc_session *s, const struct ttrpc_header *h);

/* Service names on the wire are "<proto package>.<service>". */
static const struct rpc_service services[] = {
        { "grpc.AgentService", &grpc__agent_service__descriptor },
        { "grpc.Health", &grpc__health__descriptor },
};

static const struct rpc_method methods[] = {
        { "grpc.Health", "Check", rpc_health_check },
        { "grpc.Health", "Version", rpc_health_version },
        { "grpc.AgentService", "GetGuestDetails", rpc_guest_get_details },
        { "grpc.AgentService", "CreateContainer", rpc_create_container },
        { "grpc.AgentService", "StartContainer", rpc_start_container },
        { "grpc.AgentService", "RemoveContainer", rpc_remove_container },
        { "grpc.AgentService", "PauseContainer", rpc_pause_container },
        { "grpc.AgentService", "ResumeContainer", rpc_resume_container },
        { "grpc.AgentService", "UpdateContainer", rpc_update_container },
        { "grpc.AgentService", "StatsContainer", rpc_stats_container },
        { "grpc.AgentService", "ExecProcess", rpc_exec_process },
        { "grpc.AgentService", "SignalProcess", rpc_signal_process },
        { "grpc.AgentService", "WaitProcess", rpc_wait_process },
        { "grpc.AgentService", "ReadStdout", rpc_read_stdout },
        { "grpc.AgentService", "ReadStderr", rpc_read_stderr },
        { "grpc.AgentService", "WriteStdin", rpc_write_stdin },
        { "grpc.AgentService", "CloseStdin", rpc_close_stdin },
        { "grpc.AgentService", "TtyWinResize", rpc_tty_win_resize },
        { "grpc.AgentService", "GetMetrics", rpc_get_metrics },
        { "grpc.AgentService", "CopyFile", rpc_copy_file },
        { "grpc.AgentService", "GetVolumeStats", rpc_get_volume_stats },
        { "grpc.AgentService", "UpdateEphemeralMounts", rpc_update_ephemeral_mounts },
        { "grpc.AgentService", "RemoveStaleVirtiofsShareMounts",
          rpc_remove_stale_virtiofs_share_mounts },
        { "grpc.AgentService", "UpdateInterface", rpc_update_interface },
        { "grpc.AgentService", "UpdateRoutes", rpc_update_routes },
        { "grpc.AgentService", "ListInterfaces", rpc_list_interfaces },
        { "grpc.AgentService", "ListRoutes", rpc_list_routes },
        { "grpc.AgentService", "AddARPNeighbors", rpc_add_arp_neighbors },
        { "grpc.AgentService", "GetIPTables", rpc_get_ip_tables },
        { "grpc.AgentService", "SetIPTables", rpc_set_ip_tables },
        { "grpc.AgentService", "CreateSandbox", rpc_create_sandbox },
        { "grpc.AgentService", "DestroySandbox", rpc_destroy_sandbox },
        { "grpc.AgentService", "GetOOMEvent", rpc_get_oom_event },
        { "grpc.AgentService", "SetGuestDateTime", rpc_set_guest_date_time },
        { "grpc.AgentService", "ReseedRandomDev", rpc_reseed_random_dev },
        { "grpc.AgentService", "GetDiagnosticData", rpc_get_diagnostic_data },
        { "grpc.AgentService", "MemAgentMemcgSet", rpc_mem_agent_memcg_set },
        { "grpc.AgentService", "MemAgentCompactSet", rpc_mem_agent_compact_set },
        { "grpc.AgentService", "OnlineCPUMem", rpc_online_cpu_mem },
        { "grpc.AgentService", "MemHotplugByProbe", rpc_mem_hotplug_by_probe },
        { "grpc.AgentService", "AddSwap", rpc_add_swap },
        { "grpc.AgentService", "AddSwapPath", rpc_add_swap_path },
        { "grpc.AgentService", "ResizeVolume", rpc_resize_volume },
};

const struct rpc_registry rpc_agent_registry = {
        .services = services,
        .n_services = ARRAY_SIZE(services),
        .methods = methods,
        .n_methods = ARRAY_SIZE(methods),
};

static rpc_policy_fn policy;

void rpc_dispatch_set_policy(rpc_policy_fn allow)
{
        policy = allow;
}

const ProtobufCMethodDescriptor *
rpc_registry_find_method(const struct rpc_registry *reg, const char *service, const char *method,
                         const ProtobufCServiceDescriptor **ret_svc)
{
        for (size_t i = 0; i < reg->n_services; i++) {
                if (!streq(service, reg->services[i].name))
                        continue;
                if (ret_svc)
                        *ret_svc = reg->services[i].desc;
                return protobuf_c_service_descriptor_get_method_by_name(reg->services[i].desc,
                                                                        method);
        }
        if (ret_svc)
                *ret_svc = NULL;
        return NULL;
}

rpc_handler_fn rpc_registry_find_handler(const struct rpc_registry *reg, const char *service,
                                         const char *method)
{
        for (size_t i = 0; i < reg->n_methods; i++)
                if (streq(reg->methods[i].service, service) && streq(reg->methods[i].name, method))
                        return reg->methods[i].handler;
        return NULL;
}

const ProtobufCMethodDescriptor *
rpc_dispatch_find_method(const char *service, const char *method,
                         const ProtobufCServiceDescriptor **ret_svc)
{
        return rpc_registry_find_method(&rpc_agent_registry, service, method, ret_svc);
}

rpc_handler_fn rpc_dispatch_find_handler(const char *service, const char *method)
{
        return rpc_registry_find_handler(&rpc_agent_registry, service, method);
}

static void reply_now(struct rpc_session *s, uint32_t stream_id, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void reply_now(struct rpc_session *s, uint32_t stream_id, int code, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (s->conn)
                (void) ttrpc_conn_send_response(s->conn, stream_id, code, msg, NULL, 0);
}

void rpc_dispatch_oversize(struct rpc_session *s, const struct ttrpc_header *h)
{
        log_full(LOG_LEVEL_WARN, "rpc", NULL, "discarded an oversize frame of %u bytes", h->length);
        reply_now(s, h->stream_id, RPC_INVALID_ARGUMENT,
                  "message length %u exceed maximum message size of %u", h->length,
                  TTRPC_MESSAGE_LENGTH_MAX);
}

int rpc_dispatch_decode(const ProtobufCMethodDescriptor *m, const uint8_t *data, size_t len,
                        ProtobufCMessage **ret, char *nul_field, size_t size)
{
        static const uint8_t empty[1];

        if (!len)
                data = empty;
        *ret = protobuf_c_message_unpack(m->input, NULL, len, data);
        if (!*ret)
                return -EBADMSG;
        if (rpc_strings_check(m->input, data, len, nul_field, size) < 0) {
                protobuf_c_message_free_unpacked(*ret, NULL);
                *ret = NULL;
                return -EINVAL;
        }
        return 0;
}

static void call_handler(struct rpc_session *s, const Ttrpc__Request *req,
                         const ProtobufCMethodDescriptor *m, rpc_handler_fn handler,
                         uint32_t stream_id)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *full = xasprintf("%s/%s", req->service, req->method);
        ProtobufCMessage *msg = NULL;
        struct rpc_call *call;
        char field[256];
        int r;

        r = rpc_dispatch_decode(m, req->payload.data, req->payload.len, &msg, field, sizeof(field));
        if (r == -EINVAL) {
                reply_now(s, stream_id, RPC_INVALID_ARGUMENT, "%s: field `%s` contains a NUL byte",
                          full, field);
                return;
        }
        if (r < 0) {
                reply_now(s, stream_id, RPC_INVALID_ARGUMENT, "%s: cannot decode `%s` payload",
                          full, m->input->name);
                return;
        }
        call = rpc_call_new(s, stream_id, full, msg, req->timeout_nano);
        call->cost = req->payload.len;
        call->span = rpc_trace_begin(s, req);
        const char *const kv[] = { "method", full, NULL };
        log_full(LOG_LEVEL_DEBUG, "rpc", kv, "call");
        r = rpc_validate_request(msg, &err);
        if (r >= 0)
                r = handler(call, msg, &err);
        if (r < 0) {
                if (!err)
                        agent_error_set(&err, -r, "%s", full);
                rpc_call_reply_error(call, err);
        }
}

static void dispatch_request(struct rpc_session *s, uint32_t stream_id, const uint8_t *body,
                             size_t len)
{
        const ProtobufCServiceDescriptor *svc;
        const ProtobufCMethodDescriptor *m;
        Ttrpc__Request *req;
        rpc_handler_fn handler;
        char field[256];

        req = ttrpc__request__unpack(NULL, len, body);
        if (!req) {
                reply_now(s, stream_id, RPC_INVALID_ARGUMENT,
                          "unmarshal request error: not a valid ttrpc Request");
                return;
        }
        /* "grpc.AgentService\0x" must not pass for the service it starts with. */
        if (rpc_strings_check(&ttrpc__request__descriptor, body, len, field, sizeof(field)) < 0) {
                reply_now(s, stream_id, RPC_INVALID_ARGUMENT,
                          "unmarshal request error: field `%s` contains a NUL byte", field);
                ttrpc__request__free_unpacked(req, NULL);
                return;
        }
        m = rpc_registry_find_method(s->registry, req->service, req->method, &svc);
        if (!svc)
                reply_now(s, stream_id, RPC_INVALID_ARGUMENT, "%s service does not exist",
                          req->service);
        else if (!m)
                reply_now(s, stream_id, RPC_UNIMPLEMENTED, "%s method", req->method);
        else if (policy && !policy(req->service, req->method))
                reply_now(s, stream_id, RPC_PERMISSION_DENIED, "%s/%s is blocked by policy",
                          req->service, req->method);
        else if (req->timeout_nano < 0)
                reply_now(s, stream_id, RPC_DEADLINE_EXCEEDED, "timeout");
        else if (!(handler = rpc_registry_find_handler(s->registry, req->service, req->method)))
                reply_now(s, stream_id, RPC_UNIMPLEMENTED, "/%s/%s is not implemented by cata",
                          req->service, req->method);
        else
                call_handler(s, req, m, handler, stream_id);
        ttrpc__request__free_unpacked(req, NULL);
}

void rpc_dispatch_frame(struct rpc_session *s, struct ttrpc_frame *f)
{
        _cleanup_free_ uint8_t *body = f->body;
        uint32_t id = f->header.stream_id;

        switch (f->header.type) {
        case TTRPC_TYPE_REQUEST:
                break;
        case TTRPC_TYPE_DATA:
                /* Every Kata RPC is unary: no stream is ever open for data. */
                reply_now(s, id, RPC_INVALID_ARGUMENT, "stream %u: data frames are not accepted",
                          id);
                return;
        default:
                log_full(LOG_LEVEL_DEBUG, "rpc", NULL, "ignoring frame of unknown type %u",
                         f->header.type);
                return;
        }
        if (id % 2 == 0) {
                reply_now(s, id, RPC_INVALID_ARGUMENT, "stream id must be odd");
                return;
        }
        if (rpc_session_find_call(s, id)) {
                reply_now(s, id, RPC_INVALID_ARGUMENT, "stream id %u is already in use", id);
                return;
        }
        dispatch_request(s, id, body, f->header.length);
}
