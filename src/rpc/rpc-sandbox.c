/* SPDX-License-Identifier: Apache-2.0 */
/* Sandbox RPCs: CreateSandbox, DestroySandbox, GetOOMEvent. */
#include "agent/agent.h"
#include "rpc/dispatch.h"
#include "sandbox/sandbox.h"

#include "agent.pb-c.h"

int rpc_create_sandbox(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__CreateSandboxRequest *req = (const Grpc__CreateSandboxRequest *) msg;
        int r = sandbox_validate_request(req, err);

        if (r < 0)
                return r;
        return sandbox_create(call->session->agent, call, err);
}

int rpc_destroy_sandbox(struct rpc_call *call, const ProtobufCMessage *msg,
                        struct agent_error **err)
{
        (void) msg;
        return sandbox_destroy(call->session->agent, call, err);
}

int rpc_get_oom_event(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        (void) msg;
        return oom_get_event(call->session->agent, call, err);
}
