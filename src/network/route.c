/* SPDX-License-Identifier: Apache-2.0 */
#include "network/route.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "network/iface.h"
#include "network/netlink.h"
#include "network/netspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define ROUTE_DUMP_MAX 65536

/* Main-table routes as the kernel reported them: kept whole so a replaced route can be sent
 * back unchanged. oif > 0 keeps only that link's. */
struct route_snapshot {
        struct nlmsghdr **v;
        size_t n;
        int oif;
};

static void snapshot_free(struct route_snapshot *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        s->v = NULL;
        s->n = 0;
}

static uint32_t route_table(const struct rtmsg *rtm, struct nlattr **tb)
{
        return tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
}

static int on_route(const struct nlmsghdr *h, void *userdata)
{
        struct route_snapshot *s = userdata;
        const struct rtmsg *rtm = nlmsg_data(h);
        struct nlattr *tb[RTA_MAX + 1];

        if (h->nlmsg_type != RTM_NEWROUTE || netlink_parse(h, sizeof(*rtm), tb, RTA_MAX) < 0)
                return 0;
        if (route_table(rtm, tb) != RT_TABLE_MAIN || (rtm->rtm_flags & RTM_F_CLONED))
                return 0;
        if (s->oif > 0 && (!tb[RTA_OIF] || (int) nla_get_u32(tb[RTA_OIF]) != s->oif))
                return 0;
        if (s->n >= ROUTE_DUMP_MAX)
                return -E2BIG;
        s->v = xrealloc(s->v, sizeof(*s->v) * (s->n + 1));
        s->v[s->n] = xmalloc(h->nlmsg_len);
        memcpy(s->v[s->n++], h, h->nlmsg_len);
        return 0;
}

static int snapshot_take(struct netlink *nl, struct route_snapshot *s)
{
        static const int families[] = { AF_INET, AF_INET6 };

        for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
                struct rtmsg rtm = { .rtm_family = (uint8_t) families[i] };
                int r = netlink_dump(nl, RTM_GETROUTE, &rtm, sizeof(rtm), on_route, s);
                if (r < 0) {
                        snapshot_free(s);
                        return r;
                }
        }
        return 0;
}

/* ---- applying ---- */

static void put_ip(struct nl_msg *msg, int type, const struct netspec_ip *ip)
{
        nla_put(msg, type, ip->family == AF_INET ? 4 : 16, ip->addr);
}

static struct nl_msg *route_msg(int type, int flags, const struct netspec_route *r, int oif)
{
        struct nl_msg *msg = netlink_msg_new(type, flags, sizeof(struct rtmsg));
        struct rtmsg *rtm = nlmsg_data(nlmsg_hdr(msg));

        rtm->rtm_family = (uint8_t) r->family;
        rtm->rtm_dst_len = r->has_dest ? (uint8_t) r->dest.prefix : 0;
        rtm->rtm_src_len = r->source_kind == NETSPEC_SOURCE_PREFIX ? (uint8_t) r->source.prefix : 0;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_BOOT;
        rtm->rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : r->scope;
        rtm->rtm_type = RTN_UNICAST;
        rtm->rtm_flags = r->flags;
        if (r->has_dest)
                put_ip(msg, RTA_DST, &r->dest);
        if (r->source_kind == NETSPEC_SOURCE_PREFIX)
                put_ip(msg, RTA_SRC, &r->source);
        else if (r->source_kind == NETSPEC_SOURCE_PREFERRED)
                put_ip(msg, RTA_PREFSRC, &r->source);
        if (r->has_gateway)
                put_ip(msg, RTA_GATEWAY, &r->gateway);
        nla_put_u32(msg, RTA_OIF, (uint32_t) oif);
        if (r->mtu && type == RTM_NEWROUTE) {
                struct nlattr *m = nla_nest_start(msg, RTA_METRICS);
                nla_put_u32(msg, RTAX_MTU, r->mtu);
                nla_nest_end(msg, m);
        }
        return msg;
}

static int route_send(struct netlink *nl, int type, int flags, const struct netspec_route *r,
                      int oif)
{
        struct nl_msg *msg = route_msg(type, flags, r, oif);
        int ret = netlink_request(nl, msg);

        nlmsg_free(msg);
        return ret;
}

static bool same_dest(const struct nlmsghdr *h, const struct netspec_route *r)
{
        const struct rtmsg *rtm = nlmsg_data(h);
        struct nlattr *tb[RTA_MAX + 1];
        unsigned len = r->family == AF_INET ? 4 : 16;

        if (rtm->rtm_family != r->family || netlink_parse(h, sizeof(*rtm), tb, RTA_MAX) < 0)
                return false;
        if (!r->has_dest)
                return rtm->rtm_dst_len == 0;
        return rtm->rtm_dst_len == r->dest.prefix && tb[RTA_DST] &&
               nla_len(tb[RTA_DST]) >= (int) len &&
               memcmp(nla_data(tb[RTA_DST]), r->dest.addr, len) == 0;
}

static void resend(struct netlink *nl, const struct nlmsghdr *old)
{
        struct nl_msg *msg =
                netlink_msg_new(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof(struct rtmsg));

        memcpy(nlmsg_data(nlmsg_hdr(msg)), nlmsg_data(old), sizeof(struct rtmsg));
        nlmsg_append(msg, (char *) nlmsg_data(old) + NLMSG_ALIGN(sizeof(struct rtmsg)),
                     old->nlmsg_len - NLMSG_SPACE(sizeof(struct rtmsg)), 0);
        (void) netlink_request(nl, msg);
        nlmsg_free(msg);
}

static bool has_gateway(const struct nlmsghdr *h)
{
        struct nlattr *tb[RTA_MAX + 1];

        return netlink_parse(h, sizeof(struct rtmsg), tb, RTA_MAX) == 0 && tb[RTA_GATEWAY];
}

/* Deletes what the first n applied routes added, then restores every snapshot route with the
 * same destination (link routes before gateway routes, as they were added). */
static void undo(struct netlink *nl, const struct route_snapshot *before,
                 const struct netspec_route *const *order, const int *oifs, size_t n)
{
        for (size_t i = n; i-- > 0;)
                (void) route_send(nl, RTM_DELROUTE, 0, order[i], oifs[i]);
        for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k < before->n; k++) {
                        bool match = false;
                        if (has_gateway(before->v[k]) != (pass == 1))
                                continue;
                        for (size_t i = 0; i < n && !match; i++)
                                match = same_dest(before->v[k], order[i]);
                        if (match)
                                resend(nl, before->v[k]);
                }
}

int route_save(struct netlink *nl, int oif, struct route_saved *ret)
{
        struct route_snapshot s = { .oif = oif };
        int r = snapshot_take(nl, &s);

        ret->v = s.v;
        ret->n = r < 0 ? 0 : s.n;
        return r;
}

void route_restore(struct netlink *nl, const struct route_saved *s)
{
        for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k < s->n; k++)
                        if (has_gateway(s->v[k]) == (pass == 1))
                                resend(nl, s->v[k]);
}

void route_saved_done(struct route_saved *s)
{
        struct route_snapshot snap = { s->v, s->n, 0 };

        snapshot_free(&snap);
        s->v = NULL;
        s->n = 0;
}

struct plan {
        size_t n;
        struct netspec_route *specs;
        const struct netspec_route **order; /* link routes first */
        int *oifs;                          /* per order[] entry */
        const Types__Route **reqs;          /* per order[] entry, for messages */
};

static void plan_free(struct plan *p)
{
        free(p->specs);
        free(p->order);
        free(p->oifs);
        free(p->reqs);
}

static int route_error(const Types__Route *req, struct agent_error **err)
{
        _cleanup_free_ char *name = netspec_route_name(req);

        return agent_error_wrap(err, "route `%s`", name);
}

static int plan_check(const Grpc__Routes *req, struct plan *p, struct agent_error **err)
{
        if (req->n_routes > NETSPEC_MAX_ROUTES)
                return agent_error_setf(err, E2BIG, "%zu routes (at most %d)", req->n_routes,
                                        NETSPEC_MAX_ROUTES);
        p->specs = xzalloc(sizeof(*p->specs) * (req->n_routes + 1));
        p->order = xzalloc(sizeof(*p->order) * (req->n_routes + 1));
        p->oifs = xzalloc(sizeof(*p->oifs) * (req->n_routes + 1));
        p->reqs = xzalloc(sizeof(*p->reqs) * (req->n_routes + 1));
        for (size_t i = 0; i < req->n_routes; i++) {
                if (!req->routes[i])
                        return agent_error_setf(err, EINVAL, "routes[%zu] is empty", i);
                if (netspec_check_route(req->routes[i], &p->specs[i], err) < 0)
                        return route_error(req->routes[i], err);
        }
        /* Stable: gateway-less routes first, each group in the request's order. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < req->n_routes; i++)
                        if (p->specs[i].has_gateway == (pass == 1)) {
                                p->reqs[p->n] = req->routes[i];
                                p->order[p->n++] = &p->specs[i];
                        }
        return 0;
}

static int plan_resolve(struct netlink *nl, struct plan *p, struct agent_error **err)
{
        _cleanup_free_ struct iface_link *links = NULL;
        size_t n;
        int r;

        r = iface_dump_links(nl, &links, &n);
        if (r < 0)
                return agent_error_setf(err, -r, "list links: %s", nl->why);
        for (size_t i = 0; i < p->n; i++) {
                const struct iface_link *l = iface_by_name(links, n, p->order[i]->device);
                if (!l) {
                        agent_error_setf(err, ENODEV, IFACE_NOT_FOUND " (device `%s`)",
                                         p->order[i]->device);
                        return route_error(p->reqs[i], err);
                }
                p->oifs[i] = l->index;
        }
        return 0;
}

static int plan_apply(struct netlink *nl, struct plan *p, struct agent_error **err)
{
        struct route_snapshot before = { 0 };
        int r;

        r = snapshot_take(nl, &before);
        if (r < 0)
                return agent_error_setf(err, -r, "list routes: %s", nl->why);
        for (size_t i = 0; i < p->n; i++) {
                r = route_send(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, p->order[i],
                               p->oifs[i]);
                /* An identical route is not an error (the Rust agent ignores EEXIST). */
                if (r < 0 && r != -EEXIST) {
                        agent_error_setf(err, -r, "%s", nl->why);
                        route_error(p->reqs[i], err);
                        undo(nl, &before, p->order, p->oifs, i);
                        snapshot_free(&before);
                        return agent_error_wrap(err, "update routes (undone)");
                }
        }
        snapshot_free(&before);
        return 0;
}

int route_update(const Grpc__Routes *req, struct agent_error **err)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        struct plan p = { 0 };
        int r;

        r = plan_check(req, &p, err);
        if (r >= 0) {
                r = netlink_open(&nl);
                if (r < 0)
                        agent_error_set(err, -r, "netlink socket");
        }
        if (r >= 0)
                r = plan_resolve(&nl, &p, err);
        if (r >= 0)
                r = plan_apply(&nl, &p, err);
        plan_free(&p);
        return r;
}

/* ---- listing ---- */

static char *addr_string(int family, const struct nlattr *a, int prefix)
{
        char buf[INET6_ADDRSTRLEN];
        int len = family == AF_INET ? 4 : 16;

        if (!a || nla_len(a) < len || !inet_ntop(family, nla_data(a), buf, sizeof(buf)))
                return xstrdup("");
        return prefix >= 0 ? xasprintf("%s/%d", buf, prefix) : xstrdup(buf);
}

static uint32_t route_mtu(struct nlattr *metrics)
{
        struct nlattr *tb[RTAX_MAX + 1];

        if (!metrics || nla_parse_nested(tb, RTAX_MAX, metrics, NULL) < 0 || !tb[RTAX_MTU])
                return 0;
        return nla_get_u32(tb[RTAX_MTU]);
}

static const char *link_name(const struct iface_link *links, size_t n, struct nlattr *oif)
{
        if (!oif)
                return "";
        for (size_t i = 0; i < n; i++)
                if (links[i].index == (int) nla_get_u32(oif))
                        return links[i].name;
        return "";
}

/* Kata's Route fields from one kernel route. The default route's dest is "0.0.0.0/0" or
 * "::/0", never empty, so the list can be sent back as an UpdateRoutes request. */
static Types__Route *route_proto(const struct nlmsghdr *h, const struct iface_link *links,
                                 size_t n_links)
{
        const struct rtmsg *rtm = nlmsg_data(h);
        struct nlattr *tb[RTA_MAX + 1];
        Types__Route *p = xmalloc(sizeof(*p));
        int fam = rtm->rtm_family;

        types__route__init(p);
        if (netlink_parse(h, sizeof(*rtm), tb, RTA_MAX) < 0)
                memset(tb, 0, sizeof(tb));
        if (tb[RTA_DST])
                p->dest = addr_string(fam, tb[RTA_DST], rtm->rtm_dst_len);
        else
                p->dest = xstrdup(fam == AF_INET ? "0.0.0.0/0" : "::/0");
        p->gateway = addr_string(fam, tb[RTA_GATEWAY], -1);
        p->device = xstrdup(link_name(links, n_links, tb[RTA_OIF]));
        if (tb[RTA_SRC])
                p->source = addr_string(fam, tb[RTA_SRC], rtm->rtm_src_len);
        else
                p->source = addr_string(fam, tb[RTA_PREFSRC], -1);
        p->scope = rtm->rtm_scope;
        p->family = fam == AF_INET6 ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
        /* Only what UpdateRoutes can set: state bits (linkdown, offload...) would be refused. */
        p->flags = rtm->rtm_flags & RTNH_F_ONLINK;
        p->mtu = route_mtu(tb[RTA_METRICS]);
        return p;
}

int route_list(Grpc__Routes *ret, struct agent_error **err)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        _cleanup_free_ struct iface_link *links = NULL;
        struct route_snapshot s = { 0 };
        size_t n_links;
        int r;

        grpc__routes__init(ret);
        r = netlink_open(&nl);
        if (r < 0)
                return agent_error_set(err, -r, "netlink socket");
        r = iface_dump_links(&nl, &links, &n_links);
        if (r >= 0)
                r = snapshot_take(&nl, &s);
        if (r < 0)
                return agent_error_setf(err, -r, "list routes: %s", nl.why);
        ret->routes = xzalloc(sizeof(*ret->routes) * (s.n + 1));
        for (size_t i = 0; i < s.n; i++)
                ret->routes[i] = route_proto(s.v[i], links, n_links);
        ret->n_routes = s.n;
        snapshot_free(&s);
        return 0;
}

void route_list_free(Grpc__Routes *list)
{
        for (size_t i = 0; i < list->n_routes; i++)
                protobuf_c_message_free_unpacked(&list->routes[i]->base, NULL);
        free(list->routes);
        list->routes = NULL;
        list->n_routes = 0;
}
