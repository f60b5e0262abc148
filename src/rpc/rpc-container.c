/* SPDX-License-Identifier: Apache-2.0 */
/* Container RPCs: decode, validate, call the container core, encode. */
#include "agent/agent.h"
#include "agent/container.h"
#include "base/log.h"
#include "engine/cgroup.h"
#include "network/iface.h"
#include "rpc/dispatch.h"

#include "agent.pb-c.h"

#include <errno.h>

struct container *rpc_lookup_container(struct rpc_call *call, const char *id,
                                       struct agent_error **err);
struct container *rpc_lookup_container(struct rpc_call *call, const char *id,
                                       struct agent_error **err)
{
        struct container *c;

        if (!container_id_valid(id)) {
                agent_error_setf(err, EINVAL, "invalid container id `%s`", id ? id : "");
                return NULL;
        }
        c = container_find(call->session->agent, id);
        if (!c || c->removing)
                agent_error_setf(err, ENOENT, "container `%s` not found", id);
        return c && !c->removing ? c : NULL;
}

int rpc_create_container(struct rpc_call *call, const ProtobufCMessage *msg,
                         struct agent_error **err)
{
        (void) msg;
        return container_create(call->session->agent, call, err);
}

int rpc_start_container(struct rpc_call *call, const ProtobufCMessage *msg,
                        struct agent_error **err)
{
        const Grpc__StartContainerRequest *req = (const Grpc__StartContainerRequest *) msg;
        struct container *c = rpc_lookup_container(call, req->container_id, err);

        return c ? container_start(c, call, err) : -ENOENT;
}

int rpc_remove_container(struct rpc_call *call, const ProtobufCMessage *msg,
                         struct agent_error **err)
{
        const Grpc__RemoveContainerRequest *req = (const Grpc__RemoveContainerRequest *) msg;
        struct container *c = rpc_lookup_container(call, req->container_id, err);

        return c ? container_remove(c, call, req->timeout, err) : -ENOENT;
}

static int pause_resume(struct rpc_call *call, const char *id, bool pause, struct agent_error **err)
{
        struct container *c = rpc_lookup_container(call, id, err);
        int r;

        if (!c)
                return -ENOENT;
        r = container_pause(c, pause, err);
        if (r >= 0)
                rpc_call_reply(call, NULL);
        return r;
}

int rpc_pause_container(struct rpc_call *call, const ProtobufCMessage *msg,
                        struct agent_error **err)
{
        return pause_resume(call, ((const Grpc__PauseContainerRequest *) msg)->container_id, true,
                            err);
}

int rpc_resume_container(struct rpc_call *call, const ProtobufCMessage *msg,
                         struct agent_error **err)
{
        return pause_resume(call, ((const Grpc__ResumeContainerRequest *) msg)->container_id, false,
                            err);
}

int rpc_update_container(struct rpc_call *call, const ProtobufCMessage *msg,
                         struct agent_error **err)
{
        const Grpc__UpdateContainerRequest *req = (const Grpc__UpdateContainerRequest *) msg;
        struct container *c = rpc_lookup_container(call, req->container_id, err);
        int r;

        if (!c)
                return -ENOENT;
        r = container_update(c, req->resources, err);
        if (r >= 0)
                rpc_call_reply(call, NULL);
        return r;
}

int rpc_stats_container(struct rpc_call *call, const ProtobufCMessage *msg,
                        struct agent_error **err)
{
        const Grpc__StatsContainerRequest *req = (const Grpc__StatsContainerRequest *) msg;
        Grpc__StatsContainerResponse resp = GRPC__STATS_CONTAINER_RESPONSE__INIT;
        struct container *c = rpc_lookup_container(call, req->container_id, err);
        int r;

        if (!c)
                return -ENOENT;
        r = container_stats(c, &resp, err);
        if (r < 0)
                return r;
        /* The pod's containers share the guest's network namespace, so its interfaces' counters
         * are theirs. Without them the cgroup figures are still worth the answer. */
        if (iface_stats(&resp.network_stats, &resp.n_network_stats, err) < 0) {
                log_warn("StatsContainer: %s", (*err)->msg);
                agent_error_freep(err);
        }
        rpc_call_reply(call, &resp.base);
        iface_stats_free(resp.network_stats, resp.n_network_stats);
        cgroup_stats_free(resp.cgroup_stats);
        return 0;
}
