/* SPDX-License-Identifier: Apache-2.0 */
/* Container RPCs: decode, validate, call the container core, encode. */
#include "agent/agent.h"
#include "agent/container.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "devices/prepare.h"
#include "storage/storage.h"
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

static void create_prepared(struct rpc_call *call, const struct cgroup_device_rule *rules,
                            size_t n_rules)
{
        _cleanup_error_ struct agent_error *err = NULL;

        if (container_create(call->session->agent, call, rules, n_rules, &err) < 0)
                rpc_call_reply_error(call, err);
}

/* Devices and block storages are waited for first (the call parks meanwhile), then the
 * container is created from the rewritten request. */
int rpc_create_container(struct rpc_call *call, const ProtobufCMessage *msg,
                         struct agent_error **err)
{
        Grpc__CreateContainerRequest *req = (Grpc__CreateContainerRequest *) msg;
        struct agent *a = call->session->agent;
        _cleanup_free_ char *label = NULL;
        int r;

        r = container_validate_request(req, err);
        if (r < 0)
                return r;
        if (container_find(a, req->container_id))
                return agent_error_setf(err, EEXIST, "container `%s` already exists",
                                        req->container_id);
        r = storage_check_list(req->storages, req->n_storages, a->run_dir, req->container_id, err);
        if (r < 0)
                return agent_error_wrap(err, "container `%s`", req->container_id);
        label = xasprintf("container `%s`", req->container_id);
        r = devices_prepare(a, call, req->storages, req->n_storages, req->devices, req->n_devices,
                            req->oci, label, create_prepared, err);
        return r < 0 ? agent_error_wrap(err, "container `%s`", req->container_id) : 0;
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
