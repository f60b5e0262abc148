/* SPDX-License-Identifier: Apache-2.0 */
/* Network RPCs: decode, validate, call the network module, encode. */
#include "network/iface.h"
#include "network/iptables.h"
#include "network/linkwait.h"
#include "network/neigh.h"
#include "network/route.h"
#include "rpc/dispatch.h"

#include "agent.pb-c.h"

#include <errno.h>

int rpc_update_interface(struct rpc_call *call, const ProtobufCMessage *msg,
                         struct agent_error **err)
{
        const Grpc__UpdateInterfaceRequest *req = (const Grpc__UpdateInterfaceRequest *) msg;

        if (!req->interface)
                return agent_error_setf(err, EINVAL, "empty update interface request");
        return linkwait_update(call->session->agent, call, req->interface, err);
}

/* UpdateRoutes and ListRoutes both answer with the routes as the kernel now has them. */
static int reply_routes(struct rpc_call *call, struct agent_error **err)
{
        Grpc__Routes resp;
        int r = route_list(&resp, err);

        if (r < 0)
                return r;
        rpc_call_reply(call, &resp.base);
        route_list_free(&resp);
        return 0;
}

int rpc_update_routes(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__UpdateRoutesRequest *req = (const Grpc__UpdateRoutesRequest *) msg;
        int r;

        if (!req->routes)
                return agent_error_setf(err, EINVAL, "empty update routes request");
        r = route_update(req->routes, err);
        return r < 0 ? r : reply_routes(call, err);
}

int rpc_list_interfaces(struct rpc_call *call, const ProtobufCMessage *msg,
                        struct agent_error **err)
{
        Grpc__Interfaces resp;
        int r;

        (void) msg;
        r = iface_list(&resp, err);
        if (r < 0)
                return r;
        rpc_call_reply(call, &resp.base);
        iface_list_free(&resp);
        return 0;
}

int rpc_list_routes(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        (void) msg;
        return reply_routes(call, err);
}

int rpc_add_arp_neighbors(struct rpc_call *call, const ProtobufCMessage *msg,
                          struct agent_error **err)
{
        const Grpc__AddARPNeighborsRequest *req = (const Grpc__AddARPNeighborsRequest *) msg;
        int r;

        if (!req->neighbors)
                return agent_error_setf(err, EINVAL, "empty add arp neighbours request");
        r = neigh_add(req->neighbors, err);
        if (r < 0)
                return r;
        rpc_call_reply(call, NULL);
        return 0;
}

int rpc_get_ip_tables(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__GetIPTablesRequest *req = (const Grpc__GetIPTablesRequest *) msg;

        return iptables_get(call->session->agent, call, req->is_ipv6, err);
}

int rpc_set_ip_tables(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__SetIPTablesRequest *req = (const Grpc__SetIPTablesRequest *) msg;

        return iptables_set(call->session->agent, call, req->is_ipv6, req->data.data, req->data.len,
                            err);
}
