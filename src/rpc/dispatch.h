/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The request path: frame -> Request envelope -> (service, method) -> decoded request -> handler.
 *
 * Handlers are RPC adapters: validate the decoded request, call the core, encode the reply. A
 * handler returns 0 after it replied or parked the call, or a negative errno with *err filled;
 * the dispatcher then replies with the mapped status. Methods of the schema without a handler
 * answer UNIMPLEMENTED.
 */

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "base/error.h"
#include "rpc/call.h"

typedef int (*rpc_handler_fn)(struct rpc_call *call, const ProtobufCMessage *req,
                              struct agent_error **err);

struct rpc_method {
        const char *service; /* "grpc.AgentService" */
        const char *name;    /* "CreateContainer" */
        rpc_handler_fn handler;
};

struct rpc_service {
        const char *name; /* on the wire: "<proto package>.<service>" */
        const ProtobufCServiceDescriptor *desc;
};

/* What one server serves: the schema of its services and the handlers it has. The agent's is
 * rpc_agent_registry; another server on the same ttRPC stack (cata-remote-hv) brings its own. */
struct rpc_registry {
        const struct rpc_service *services;
        size_t n_services;
        const struct rpc_method *methods;
        size_t n_methods;
};

extern const struct rpc_registry rpc_agent_registry;

/* Handlers, one file per RPC family. */
int rpc_health_check(struct rpc_call *call, const ProtobufCMessage *req, struct agent_error **err);
int rpc_health_version(struct rpc_call *call, const ProtobufCMessage *req,
                       struct agent_error **err);
int rpc_guest_get_details(struct rpc_call *call, const ProtobufCMessage *req,
                          struct agent_error **err);

#define RPC_HANDLER(name) \
        int name(struct rpc_call *call, const ProtobufCMessage *req, struct agent_error **err)
RPC_HANDLER(rpc_create_container);
RPC_HANDLER(rpc_start_container);
RPC_HANDLER(rpc_remove_container);
RPC_HANDLER(rpc_pause_container);
RPC_HANDLER(rpc_resume_container);
RPC_HANDLER(rpc_update_container);
RPC_HANDLER(rpc_stats_container);
RPC_HANDLER(rpc_exec_process);
RPC_HANDLER(rpc_signal_process);
RPC_HANDLER(rpc_wait_process);
RPC_HANDLER(rpc_read_stdout);
RPC_HANDLER(rpc_read_stderr);
RPC_HANDLER(rpc_write_stdin);
RPC_HANDLER(rpc_close_stdin);
RPC_HANDLER(rpc_tty_win_resize);
RPC_HANDLER(rpc_get_metrics);
RPC_HANDLER(rpc_copy_file);
RPC_HANDLER(rpc_get_volume_stats);
RPC_HANDLER(rpc_update_ephemeral_mounts);
RPC_HANDLER(rpc_remove_stale_virtiofs_share_mounts);
RPC_HANDLER(rpc_update_interface);
RPC_HANDLER(rpc_update_routes);
RPC_HANDLER(rpc_list_interfaces);
RPC_HANDLER(rpc_list_routes);
RPC_HANDLER(rpc_add_arp_neighbors);
RPC_HANDLER(rpc_get_ip_tables);
RPC_HANDLER(rpc_set_ip_tables);
RPC_HANDLER(rpc_create_sandbox);
RPC_HANDLER(rpc_destroy_sandbox);
RPC_HANDLER(rpc_get_oom_event);
RPC_HANDLER(rpc_set_guest_date_time);
RPC_HANDLER(rpc_reseed_random_dev);
RPC_HANDLER(rpc_get_diagnostic_data);
RPC_HANDLER(rpc_mem_agent_memcg_set);
RPC_HANDLER(rpc_mem_agent_compact_set);
RPC_HANDLER(rpc_online_cpu_mem);
RPC_HANDLER(rpc_mem_hotplug_by_probe);
RPC_HANDLER(rpc_add_swap);
RPC_HANDLER(rpc_add_swap_path);
RPC_HANDLER(rpc_resize_volume);

/* Decodes a method's request (an empty payload is the empty message) and refuses a string field
 * with a NUL inside: 0; -EBADMSG (undecodable); -EINVAL with the field's path in nul_field. */
int rpc_dispatch_decode(const ProtobufCMethodDescriptor *m, const uint8_t *data, size_t len,
                        ProtobufCMessage **ret, char *nul_field, size_t size);

/* A policy gate, like the Rust agent's agent-policy feature: when set, a call it refuses is
 * answered PERMISSION_DENIED "<service>/<method> is blocked by policy" without running. The
 * fuzzers use it to keep side effects (containers) out of reach. */
typedef bool (*rpc_policy_fn)(const char *service, const char *method);
void rpc_dispatch_set_policy(rpc_policy_fn allow);

/* The agent's schema method descriptor for (service, method), or NULL. */
const ProtobufCMethodDescriptor *
rpc_dispatch_find_method(const char *service, const char *method,
                         const ProtobufCServiceDescriptor **ret_svc);
/* The agent's handler, or NULL when the method is not implemented yet. */
rpc_handler_fn rpc_dispatch_find_handler(const char *service, const char *method);

/* The same lookups in any registry. */
const ProtobufCMethodDescriptor *
rpc_registry_find_method(const struct rpc_registry *reg, const char *service, const char *method,
                         const ProtobufCServiceDescriptor **ret_svc);
rpc_handler_fn rpc_registry_find_handler(const struct rpc_registry *reg, const char *service,
                                         const char *method);
