/* SPDX-License-Identifier: Apache-2.0 */
/* grpc.Health: answered straight from the loop, so Check stays prompt however many calls are
 * parked (the runtime kills the sandbox when one Check fails). */
#include "rpc/dispatch.h"
#include "version.h"

#include "health.pb-c.h"

int rpc_health_check(struct rpc_call *call, const ProtobufCMessage *req, struct agent_error **err)
{
        Grpc__HealthCheckResponse resp = GRPC__HEALTH_CHECK_RESPONSE__INIT;

        (void) req;
        (void) err;
        resp.status = GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        rpc_call_reply(call, &resp.base);
        return 0;
}

int rpc_health_version(struct rpc_call *call, const ProtobufCMessage *req, struct agent_error **err)
{
        Grpc__VersionCheckResponse resp = GRPC__VERSION_CHECK_RESPONSE__INIT;

        (void) req;
        (void) err;
        resp.grpc_version = (char *) CATA_GRPC_VERSION;
        resp.agent_version = (char *) CATA_VERSION;
        rpc_call_reply(call, &resp.base);
        return 0;
}
