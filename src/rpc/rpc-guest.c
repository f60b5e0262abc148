/* SPDX-License-Identifier: Apache-2.0 */
/* Guest-wide RPCs: GetGuestDetails. */
#include "agent/guest.h"
#include "agent/metrics.h"
#include "base/cleanup.h"
#include "rpc/dispatch.h"
#include "version.h"

#include "base/util.h"

#include "agent.pb-c.h"

#include <unistd.h>

int rpc_guest_get_details(struct rpc_call *call, const ProtobufCMessage *msg,
                          struct agent_error **err)
{
        const Grpc__GuestDetailsRequest *req = (const Grpc__GuestDetailsRequest *) msg;
        Grpc__GuestDetailsResponse resp = GRPC__GUEST_DETAILS_RESPONSE__INIT;
        Grpc__AgentDetails details = GRPC__AGENT_DETAILS__INIT;
        uint64_t block_size;
        bool probe;
        int r;

        r = guest_memory_info(GUEST_MEM_BLOCK_SIZE_PATH, GUEST_MEM_PROBE_PATH, req->mem_block_size,
                              req->mem_hotplug_probe, &block_size, &probe, err);
        if (r < 0)
                return r;
        details.version = (char *) CATA_VERSION;
        details.init_daemon = getpid() == 1;
        details.n_device_handlers = strv_len(guest_device_handlers());
        details.device_handlers = (char **) guest_device_handlers();
        details.n_storage_handlers = strv_len(guest_storage_handlers());
        details.storage_handlers = (char **) guest_storage_handlers();
        details.n_extra_features = strv_len(guest_extra_features());
        details.extra_features = (char **) guest_extra_features();
        details.supports_seccomp = guest_supports_seccomp();
        resp.mem_block_size_bytes = block_size;
        resp.support_mem_hotplug_probe = probe;
        resp.agent_details = &details;
        rpc_call_reply(call, &resp.base);
        return 0;
}

int rpc_get_metrics(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        Grpc__Metrics resp = GRPC__METRICS__INIT;
        _cleanup_free_ char *text = metrics_collect(call->session->agent);

        (void) msg;
        (void) err;
        resp.metrics = text;
        rpc_call_reply(call, &resp.base);
        return 0;
}
