/* SPDX-License-Identifier: Apache-2.0 */
/* Hotplug RPCs: OnlineCPUMem, MemHotplugByProbe, AddSwap, AddSwapPath, ResizeVolume. */
#include "devices/hotplug.h"
#include "rpc/dispatch.h"

#include "agent.pb-c.h"

int rpc_online_cpu_mem(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        return hotplug_online_cpu_mem(call->session->agent, call,
                                      (const Grpc__OnlineCPUMemRequest *) msg, err);
}

int rpc_mem_hotplug_by_probe(struct rpc_call *call, const ProtobufCMessage *msg,
                             struct agent_error **err)
{
        return hotplug_mem_probe(call->session->agent, call,
                                 (const Grpc__MemHotplugByProbeRequest *) msg, err);
}

int rpc_add_swap(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        return hotplug_add_swap(call->session->agent, call, (const Grpc__AddSwapRequest *) msg,
                                err);
}

int rpc_add_swap_path(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        return hotplug_add_swap_path(call->session->agent, call,
                                     (const Grpc__AddSwapPathRequest *) msg, err);
}

int rpc_resize_volume(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        return hotplug_resize_volume(call->session->agent, call,
                                     (const Grpc__ResizeVolumeRequest *) msg, err);
}
