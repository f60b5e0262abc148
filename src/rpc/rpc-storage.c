/* SPDX-License-Identifier: Apache-2.0 */
/* Storage RPCs: CopyFile, GetVolumeStats, UpdateEphemeralMounts, RemoveStaleVirtiofsShareMounts. */
#include "agent/agent.h"
#include "rpc/dispatch.h"
#include "storage/storage.h"

#include "agent.pb-c.h"
#include "csi.pb-c.h"

int rpc_copy_file(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        int r = storage_copy_file(call->session->agent, (const Grpc__CopyFileRequest *) msg, err);

        if (r < 0)
                return r;
        rpc_call_reply(call, NULL);
        return 0;
}

int rpc_get_volume_stats(struct rpc_call *call, const ProtobufCMessage *msg,
                         struct agent_error **err)
{
        const Grpc__VolumeStatsRequest *req = (const Grpc__VolumeStatsRequest *) msg;
        Grpc__VolumeStatsResponse resp = GRPC__VOLUME_STATS_RESPONSE__INIT;
        int r = storage_volume_stats(req->volume_guest_path, &resp, err);

        if (r < 0)
                return r;
        rpc_call_reply(call, &resp.base);
        storage_volume_stats_done(&resp);
        return 0;
}

int rpc_update_ephemeral_mounts(struct rpc_call *call, const ProtobufCMessage *msg,
                                struct agent_error **err)
{
        const Grpc__UpdateEphemeralMountsRequest *req =
                (const Grpc__UpdateEphemeralMountsRequest *) msg;
        int r = storage_update_ephemeral(call->session->agent, req->storages, req->n_storages, err);

        if (r < 0)
                return r;
        rpc_call_reply(call, NULL);
        return 0;
}

int rpc_remove_stale_virtiofs_share_mounts(struct rpc_call *call, const ProtobufCMessage *msg,
                                           struct agent_error **err)
{
        int r = storage_touch_share_mounts(call->session->agent, err);

        (void) msg;
        if (r < 0)
                return r;
        rpc_call_reply(call, NULL);
        return 0;
}
