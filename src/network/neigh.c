/* SPDX-License-Identifier: Apache-2.0 */
#include "network/neigh.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "network/iface.h"
#include "network/netlink.h"
#include "network/netspec.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <string.h>

static int neigh_send(struct netlink *nl, int type, int flags, const struct netspec_neigh *n,
                      int index)
{
        struct nl_msg *msg = netlink_msg_new(type, flags, sizeof(struct ndmsg));
        struct ndmsg *nd = nlmsg_data(nlmsg_hdr(msg));
        int r;

        nd->ndm_family = (uint8_t) n->ip.family;
        nd->ndm_ifindex = index;
        nd->ndm_state = n->state;
        nd->ndm_flags = n->flags;
        nla_put(msg, NDA_DST, n->ip.family == AF_INET ? 4 : 16, n->ip.addr);
        if (n->has_lladdr && type == RTM_NEWNEIGH)
                nla_put(msg, NDA_LLADDR, 6, n->lladdr);
        r = netlink_request(nl, msg);
        nlmsg_free(msg);
        return r;
}

static int neigh_error(const Types__ARPNeighbor *req, struct agent_error **err)
{
        const char *ip =
                req->toipaddress && req->toipaddress->address ? req->toipaddress->address : "";

        return agent_error_wrap(err, "ARP neighbor `%s` dev `%s`", ip,
                                req->device ? req->device : "");
}

static int check_all(const Grpc__ARPNeighbors *req, struct netspec_neigh *specs, int *index,
                     struct netlink *nl, struct agent_error **err)
{
        _cleanup_free_ struct iface_link *links = NULL;
        size_t n;
        int r;

        for (size_t i = 0; i < req->n_arpneighbors; i++) {
                if (!req->arpneighbors[i])
                        return agent_error_setf(err, EINVAL, "ARPNeighbors[%zu] is empty", i);
                if (netspec_check_neigh(req->arpneighbors[i], &specs[i], err) < 0)
                        return neigh_error(req->arpneighbors[i], err);
        }
        r = iface_dump_links(nl, &links, &n);
        if (r < 0)
                return agent_error_setf(err, -r, "list links: %s", nl->why);
        for (size_t i = 0; i < req->n_arpneighbors; i++) {
                const struct iface_link *l = iface_by_name(links, n, specs[i].device);
                if (!l) {
                        agent_error_setf(err, ENODEV, IFACE_NOT_FOUND " (device `%s`)",
                                         specs[i].device);
                        return neigh_error(req->arpneighbors[i], err);
                }
                index[i] = l->index;
        }
        return 0;
}

static int apply_all(const Grpc__ARPNeighbors *req, const struct netspec_neigh *specs,
                     const int *index, struct netlink *nl, struct agent_error **err)
{
        for (size_t i = 0; i < req->n_arpneighbors; i++) {
                int r = neigh_send(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, &specs[i],
                                   index[i]);
                if (r < 0) {
                        agent_error_setf(err, -r, "%s", nl->why);
                        neigh_error(req->arpneighbors[i], err);
                        while (i-- > 0)
                                (void) neigh_send(nl, RTM_DELNEIGH, 0, &specs[i], index[i]);
                        return agent_error_wrap(err, "add ARP neighbors (undone)");
                }
        }
        return 0;
}

int neigh_add(const Grpc__ARPNeighbors *req, struct agent_error **err)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        _cleanup_free_ struct netspec_neigh *specs = NULL;
        _cleanup_free_ int *index = NULL;
        int r;

        if (req->n_arpneighbors > NETSPEC_MAX_NEIGHS)
                return agent_error_setf(err, E2BIG, "%zu ARP neighbors (at most %d)",
                                        req->n_arpneighbors, NETSPEC_MAX_NEIGHS);
        specs = xzalloc(sizeof(*specs) * (req->n_arpneighbors + 1));
        index = xzalloc(sizeof(*index) * (req->n_arpneighbors + 1));
        r = netlink_open(&nl);
        if (r < 0)
                return agent_error_set(err, -r, "netlink socket");
        r = check_all(req, specs, index, &nl, err);
        if (r < 0)
                return r;
        return apply_all(req, specs, index, &nl, err);
}
