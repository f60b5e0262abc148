/* SPDX-License-Identifier: Apache-2.0 */
/* Guest-wide RPCs: SetGuestDateTime, ReseedRandomDev, GetDiagnosticData and the mem-agent's
 * two setters (answered as the Rust agent answers with its mem-agent disabled: docs/guest.md). */
#include "base/util.h"
#include "guest/sysops.h"
#include "rpc/dispatch.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <stdlib.h>

struct container *rpc_lookup_container(struct rpc_call *call, const char *id,
                                       struct agent_error **err);

int rpc_set_guest_date_time(struct rpc_call *call, const ProtobufCMessage *msg,
                            struct agent_error **err)
{
        const Grpc__SetGuestDateTimeRequest *req = (const Grpc__SetGuestDateTimeRequest *) msg;
        int r = sysops_set_time(req->sec, req->usec, err);

        if (r < 0)
                return r;
        rpc_call_reply(call, NULL);
        return 0;
}

int rpc_reseed_random_dev(struct rpc_call *call, const ProtobufCMessage *msg,
                          struct agent_error **err)
{
        const Grpc__ReseedRandomDevRequest *req = (const Grpc__ReseedRandomDevRequest *) msg;
        int r = sysops_reseed_rng(SYSOPS_RNG_DEVICE, req->data.data, req->data.len, err);

        if (r < 0)
                return r;
        rpc_call_reply(call, NULL);
        return 0;
}

int rpc_get_diagnostic_data(struct rpc_call *call, const ProtobufCMessage *msg,
                            struct agent_error **err)
{
        const Grpc__GetDiagnosticDataRequest *req = (const Grpc__GetDiagnosticDataRequest *) msg;
        Grpc__GetDiagnosticDataResponse resp = GRPC__GET_DIAGNOSTIC_DATA_RESPONSE__INIT;
        char *data = NULL;
        struct container *c;
        int r;

        if (!streq(req->log_type, "termination_log"))
                return agent_error_setf(err, EINVAL, "unsupported diagnostic log_type: `%s`",
                                        req->log_type ? req->log_type : "");
        c = rpc_lookup_container(call, req->container_id, err);
        if (!c)
                return -ENOENT;
        r = sysops_read_termination_log(c, &data, err);
        if (r < 0)
                return agent_error_wrap(err, "container `%s`", req->container_id);
        resp.data = data;
        rpc_call_reply(call, &resp.base);
        free(data);
        return 0;
}

/* The Rust agent's words and code when started without agent.mem_agent_enable; cata has no
 * mem-agent, so this is every call's answer (docs/guest.md says why). */
static int mem_agent_disabled(struct rpc_call *call)
{
        rpc_call_reply_status(call, RPC_INTERNAL, "mem-agent is disabled");
        return 0;
}

int rpc_mem_agent_memcg_set(struct rpc_call *call, const ProtobufCMessage *msg,
                            struct agent_error **err)
{
        (void) msg;
        (void) err;
        return mem_agent_disabled(call);
}

int rpc_mem_agent_compact_set(struct rpc_call *call, const ProtobufCMessage *msg,
                              struct agent_error **err)
{
        (void) msg;
        (void) err;
        return mem_agent_disabled(call);
}
