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

/* Handlers, one file per RPC family. */
int rpc_health_check(struct rpc_call *call, const ProtobufCMessage *req, struct agent_error **err);
int rpc_health_version(struct rpc_call *call, const ProtobufCMessage *req,
                       struct agent_error **err);
int rpc_guest_get_details(struct rpc_call *call, const ProtobufCMessage *req,
                          struct agent_error **err);

/* The schema's method descriptor for (service, method), or NULL. */
const ProtobufCMethodDescriptor *
rpc_dispatch_find_method(const char *service, const char *method,
                         const ProtobufCServiceDescriptor **ret_svc);
/* The handler, or NULL when the method is not implemented yet. */
rpc_handler_fn rpc_dispatch_find_handler(const char *service, const char *method);
