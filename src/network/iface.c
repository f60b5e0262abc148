/* SPDX-License-Identifier: Apache-2.0 */
#include "network/iface.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "network/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* A guest has a handful of links and addresses; the caps only keep a broken kernel reply from
 * growing without end. */
#define IFACE_DUMP_MAX 65536

struct link_dump {
        struct iface_link *v;
        size_t n;
};

static void link_stats(struct iface_link *l, const struct nlattr *a)
{
        struct rtnl_link_stats64 s;

        if (nla_len(a) < (int) sizeof(s))
                return;
        memcpy(&s, nla_data(a), sizeof(s));
        l->has_stats = true;
        l->rx_bytes = s.rx_bytes;
        l->rx_packets = s.rx_packets;
        l->rx_errors = s.rx_errors;
        l->rx_dropped = s.rx_dropped;
        l->tx_bytes = s.tx_bytes;
        l->tx_packets = s.tx_packets;
        l->tx_errors = s.tx_errors;
        l->tx_dropped = s.tx_dropped;
}

static void link_kind(struct iface_link *l, struct nlattr *info)
{
        struct nlattr *tb[IFLA_INFO_MAX + 1];

        if (nla_parse_nested(tb, IFLA_INFO_MAX, info, NULL) < 0 || !tb[IFLA_INFO_KIND])
                return;
        snprintf(l->kind, sizeof(l->kind), "%.*s",
                 (int) strnlen(nla_data(tb[IFLA_INFO_KIND]), (size_t) nla_len(tb[IFLA_INFO_KIND])),
                 (const char *) nla_data(tb[IFLA_INFO_KIND]));
}

static int on_link(const struct nlmsghdr *h, void *userdata)
{
        struct link_dump *d = userdata;
        struct nlattr *tb[IFLA_MAX + 1];
        const struct ifinfomsg *ifi = nlmsg_data(h);
        struct iface_link *l;

        if (h->nlmsg_type != RTM_NEWLINK || netlink_parse(h, sizeof(*ifi), tb, IFLA_MAX) < 0)
                return 0;
        if (d->n >= IFACE_DUMP_MAX)
                return -E2BIG;
        d->v = xrealloc(d->v, sizeof(*d->v) * (d->n + 1));
        l = &d->v[d->n++];
        memset(l, 0, sizeof(*l));
        l->index = ifi->ifi_index;
        l->flags = ifi->ifi_flags;
        if (tb[IFLA_IFNAME])
                snprintf(l->name, sizeof(l->name), "%s", nla_get_string(tb[IFLA_IFNAME]));
        if (tb[IFLA_ADDRESS]) {
                l->hwaddr_len = (size_t) nla_len(tb[IFLA_ADDRESS]);
                if (l->hwaddr_len > sizeof(l->hwaddr))
                        l->hwaddr_len = sizeof(l->hwaddr);
                memcpy(l->hwaddr, nla_data(tb[IFLA_ADDRESS]), l->hwaddr_len);
        }
        if (tb[IFLA_MTU])
                l->mtu = nla_get_u32(tb[IFLA_MTU]);
        if (tb[IFLA_MIN_MTU])
                l->min_mtu = nla_get_u32(tb[IFLA_MIN_MTU]);
        if (tb[IFLA_MAX_MTU])
                l->max_mtu = nla_get_u32(tb[IFLA_MAX_MTU]);
        if (tb[IFLA_LINKINFO])
                link_kind(l, tb[IFLA_LINKINFO]);
        if (tb[IFLA_STATS64])
                link_stats(l, tb[IFLA_STATS64]);
        return 0;
}

int iface_dump_links(struct netlink *nl, struct iface_link **ret, size_t *ret_n)
{
        struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
        struct link_dump d = { 0 };
        int r;

        r = netlink_dump(nl, RTM_GETLINK, &ifi, sizeof(ifi), on_link, &d);
        if (r < 0) {
                free(d.v);
                return r;
        }
        *ret = d.v;
        *ret_n = d.n;
        return 0;
}

struct addr_dump {
        int index;
        struct iface_addr *v;
        size_t n;
};

static int on_addr(const struct nlmsghdr *h, void *userdata)
{
        struct addr_dump *d = userdata;
        struct nlattr *tb[IFA_MAX + 1];
        const struct ifaddrmsg *ifa = nlmsg_data(h);
        struct nlattr *a;
        struct iface_addr *e;
        size_t len = ifa->ifa_family == AF_INET ? 4 : 16;

        if (h->nlmsg_type != RTM_NEWADDR || netlink_parse(h, sizeof(*ifa), tb, IFA_MAX) < 0)
                return 0;
        if ((d->index && (int) ifa->ifa_index != d->index) ||
            (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
                return 0;
        /* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on a
         * point-to-point link and the same address otherwise. */
        a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        if (!a || nla_len(a) < (int) len)
                return 0;
        if (d->n >= IFACE_DUMP_MAX)
                return -E2BIG;
        d->v = xrealloc(d->v, sizeof(*d->v) * (d->n + 1));
        e = &d->v[d->n++];
        memset(e, 0, sizeof(*e));
        e->index = (int) ifa->ifa_index;
        e->ip.family = ifa->ifa_family;
        e->ip.prefix = ifa->ifa_prefixlen;
        memcpy(e->ip.addr, nla_data(a), len);
        return 0;
}

int iface_dump_addrs(struct netlink *nl, int index, struct iface_addr **ret, size_t *ret_n)
{
        struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
        struct addr_dump d = { .index = index };
        int r;

        r = netlink_dump(nl, RTM_GETADDR, &ifa, sizeof(ifa), on_addr, &d);
        if (r < 0) {
                free(d.v);
                return r;
        }
        *ret = d.v;
        *ret_n = d.n;
        return 0;
}

const struct iface_link *iface_by_name(const struct iface_link *links, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(links[i].name, name))
                        return &links[i];
        return NULL;
}

static int dump_failed(struct netlink *nl, int r, const char *what, struct agent_error **err)
{
        return agent_error_setf(err, -r, "%s: %s", what, nl->why);
}

int iface_find_by_mac(struct netlink *nl, const uint8_t mac[6], struct iface_link *ret,
                      struct agent_error **err)
{
        _cleanup_free_ struct iface_link *links = NULL;
        char buf[NETSPEC_HWADDR_STR];
        size_t n;
        int r;

        r = iface_dump_links(nl, &links, &n);
        if (r < 0)
                return dump_failed(nl, r, "list links", err);
        for (size_t i = 0; i < n; i++)
                if (links[i].hwaddr_len == 6 && memcmp(links[i].hwaddr, mac, 6) == 0) {
                        *ret = links[i];
                        return 0;
                }
        netspec_format_mac(mac, 6, buf);
        return agent_error_setf(err, ENODEV, IFACE_NOT_FOUND " (hwAddr `%s`)", buf);
}

/* ---- changes ---- */

/* RTM_NEWLINK on an existing link: name (NULL: keep), mtu (0: keep), flags under mask. */
static int link_set(struct netlink *nl, int index, const char *name, uint32_t mtu, unsigned flags,
                    unsigned mask)
{
        struct nl_msg *msg = netlink_msg_new(RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
        struct ifinfomsg *ifi = nlmsg_data(nlmsg_hdr(msg));
        int r;

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = index;
        ifi->ifi_flags = flags;
        ifi->ifi_change = mask;
        if (name)
                nla_put_string(msg, IFLA_IFNAME, name);
        if (mtu)
                nla_put_u32(msg, IFLA_MTU, mtu);
        r = netlink_request(nl, msg);
        nlmsg_free(msg);
        return r;
}

/* A link must be down to be renamed. */
static int link_down(struct netlink *nl, int index)
{
        return link_set(nl, index, NULL, 0, 0, IFF_UP);
}

static int addr_change(struct netlink *nl, int type, int flags, int index,
                       const struct netspec_ip *ip)
{
        struct nl_msg *msg = netlink_msg_new(type, flags, sizeof(struct ifaddrmsg));
        struct ifaddrmsg *ifa = nlmsg_data(nlmsg_hdr(msg));
        int len = ip->family == AF_INET ? 4 : 16;
        int r;

        ifa->ifa_family = (uint8_t) ip->family;
        ifa->ifa_prefixlen = (uint8_t) ip->prefix;
        ifa->ifa_index = (uint32_t) index;
        nla_put(msg, IFA_LOCAL, len, ip->addr);
        nla_put(msg, IFA_ADDRESS, len, ip->addr);
        /* The broadcast address Go's and Rust's netlink libraries derive for IPv4. */
        if (type == RTM_NEWADDR && ip->family == AF_INET && ip->prefix < 31) {
                uint32_t a;
                memcpy(&a, ip->addr, 4);
                a |= htonl(0xffffffffu >> ip->prefix);
                nla_put(msg, IFA_BROADCAST, 4, &a);
        }
        r = netlink_request(nl, msg);
        nlmsg_free(msg);
        return r;
}

static void format_ip(const struct netspec_ip *ip, char buf[INET6_ADDRSTRLEN + 4])
{
        char a[INET6_ADDRSTRLEN];

        inet_ntop(ip->family, ip->addr, a, sizeof(a));
        snprintf(buf, INET6_ADDRSTRLEN + 4, "%s/%u", a, ip->prefix);
}

static bool ipv6_enabled(void)
{
        uint64_t all = 1, def = 1;

        (void) read_u64_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", 10, &all);
        (void) read_u64_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", 10, &def);
        return all == 0 || def == 0;
}

/* What iface_update changed, so a failure can put it back. */
struct iface_undo {
        struct iface_link link;  /* as it was */
        struct iface_link other; /* the link that held the requested name (index 0: none) */
        bool other_renamed;
        bool link_changed;
        struct iface_addr *before; /* the link's addresses before */
        size_t n_before;
        struct netspec_ip *added; /* addresses that were not there before */
        size_t n_added;
        struct route_saved routes; /* the link's routes (down drops them) */
};

static bool had_addr(const struct iface_undo *u, const struct netspec_ip *ip)
{
        size_t len = ip->family == AF_INET ? 4 : 16;

        for (size_t i = 0; i < u->n_before; i++)
                if (u->before[i].ip.family == ip->family && u->before[i].ip.prefix == ip->prefix &&
                    memcmp(u->before[i].ip.addr, ip->addr, len) == 0)
                        return true;
        return false;
}

static bool is_link_local(const struct netspec_ip *ip)
{
        return ip->family == AF_INET6 && ip->addr[0] == 0xfe && (ip->addr[1] & 0xc0) == 0x80;
}

static void undo(struct netlink *nl, struct iface_undo *u)
{
        for (size_t i = u->n_added; i-- > 0;)
                (void) addr_change(nl, RTM_DELADDR, 0, u->link.index, &u->added[i]);
        if (u->link_changed) {
                (void) link_down(nl, u->link.index);
                (void) link_set(nl, u->link.index, u->link.name, u->link.mtu, u->link.flags,
                                IFF_UP | IFF_NOARP);
                /* Taking the link down dropped its IPv6 addresses (keep_addr_on_down is 0 by
                 * default); the kernel makes the link-local one again by itself. */
                for (size_t i = 0; i < u->n_before; i++)
                        if (!is_link_local(&u->before[i].ip))
                                (void) addr_change(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
                                                   u->link.index, &u->before[i].ip);
                route_restore(nl, &u->routes);
        }
        if (u->other_renamed) {
                (void) link_down(nl, u->other.index);
                (void) link_set(nl, u->other.index, u->other.name, 0, u->other.flags, IFF_UP);
        }
}

/* Frees the name for our link: the other holder goes to a temporary name, down. */
static int move_other_aside(struct netlink *nl, struct iface_undo *u, struct agent_error **err)
{
        char tmp[IFNAMSIZ];
        int r;

        snprintf(tmp, sizeof(tmp), "catatmp%d", u->other.index);
        r = link_down(nl, u->other.index);
        if (r >= 0)
                r = link_set(nl, u->other.index, tmp, 0, 0, 0);
        if (r < 0)
                return agent_error_setf(err, -r, "rename interface `%s` to `%s`: %s", u->other.name,
                                        tmp, nl->why);
        u->other_renamed = true;
        return 0;
}

static int add_addrs(struct netlink *nl, const struct netspec_iface *spec, struct iface_undo *u,
                     const char *name, struct agent_error **err)
{
        bool v6 = ipv6_enabled();
        char buf[INET6_ADDRSTRLEN + 4];

        for (size_t i = 0; i < spec->n_addrs; i++) {
                const struct netspec_ip *ip = &spec->addrs[i];
                bool fresh = !had_addr(u, ip);
                int r;

                /* As in the Rust agent: a guest without IPv6 skips IPv6 addresses instead of
                 * failing the whole pod. */
                if (ip->family == AF_INET6 && !v6)
                        continue;
                r = addr_change(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, u->link.index, ip);
                if (r < 0) {
                        format_ip(ip, buf);
                        return agent_error_setf(err, -r, "interface `%s`: add address `%s`: %s",
                                                name, buf, nl->why);
                }
                if (fresh)
                        u->added[u->n_added++] = *ip;
        }
        return 0;
}

static int apply(struct netlink *nl, const struct netspec_iface *spec, struct iface_undo *u,
                 struct agent_error **err)
{
        const char *name = spec->name ? spec->name : u->link.name;
        unsigned flags = spec->noarp ? IFF_NOARP : 0;
        int r;

        if (u->other.index) {
                r = move_other_aside(nl, u, err);
                if (r < 0)
                        return r;
        }
        u->link_changed = true;
        r = link_down(nl, u->link.index);
        if (r < 0)
                return agent_error_setf(err, -r, "interface `%s`: set down: %s", u->link.name,
                                        nl->why);
        r = link_set(nl, u->link.index, streq(name, u->link.name) ? NULL : name,
                     spec->mtu != u->link.mtu ? spec->mtu : 0, flags, IFF_NOARP);
        if (r < 0)
                return agent_error_setf(err, -r, "interface `%s`: set name `%s`, MTU %u: %s",
                                        u->link.name, name, spec->mtu ? spec->mtu : u->link.mtu,
                                        nl->why);
        r = add_addrs(nl, spec, u, name, err);
        if (r < 0)
                return r;
        r = link_set(nl, u->link.index, NULL, 0, IFF_UP, IFF_UP);
        if (r < 0)
                return agent_error_setf(err, -r, "interface `%s`: set up: %s", name, nl->why);
        /* The other link takes our old name, as the Rust agent swaps them, and comes up. */
        if (u->other.index) {
                r = link_set(nl, u->other.index, u->link.name, 0, 0, 0);
                if (r >= 0)
                        r = link_set(nl, u->other.index, NULL, 0, IFF_UP, IFF_UP);
                if (r < 0)
                        return agent_error_setf(err, -r, "rename interface `%s` to `%s`: %s",
                                                u->other.name, u->link.name, nl->why);
        }
        return 0;
}

static char *ip_string(const struct netspec_ip *ip)
{
        char a[INET6_ADDRSTRLEN];

        inet_ntop(ip->family, ip->addr, a, sizeof(a));
        return xstrdup(a);
}

static Types__Interface *iface_proto(const struct iface_link *l, const struct iface_addr *addrs,
                                     size_t n_addrs)
{
        Types__Interface *p = xmalloc(sizeof(*p));
        char mac[NETSPEC_HWADDR_STR];
        size_t k = 0;

        types__interface__init(p);
        netspec_format_mac(l->hwaddr, l->hwaddr_len, mac);
        p->device = xstrdup("");
        p->name = xstrdup(l->name);
        p->hwaddr = xstrdup(mac);
        p->mtu = l->mtu;
        p->devicepath = xstrdup("");
        p->type = xstrdup(l->kind);
        p->raw_flags = l->flags;
        p->ipaddresses = xzalloc(sizeof(*p->ipaddresses) * (n_addrs + 1));
        for (size_t i = 0; i < n_addrs; i++) {
                Types__IPAddress *a;
                if (addrs[i].index != l->index)
                        continue;
                a = xmalloc(sizeof(*a));
                types__ipaddress__init(a);
                a->family =
                        addrs[i].ip.family == AF_INET6 ? TYPES__IPFAMILY__v6 : TYPES__IPFAMILY__v4;
                a->address = ip_string(&addrs[i].ip);
                a->mask = xasprintf("%u", addrs[i].ip.prefix);
                p->ipaddresses[k++] = a;
        }
        p->n_ipaddresses = k;
        return p;
}

/* The interface as the kernel has it now. */
static int read_back(struct netlink *nl, int index, Types__Interface **ret,
                     struct agent_error **err)
{
        _cleanup_free_ struct iface_link *links = NULL;
        _cleanup_free_ struct iface_addr *addrs = NULL;
        size_t n, n_addrs;
        int r;

        r = iface_dump_links(nl, &links, &n);
        if (r >= 0)
                r = iface_dump_addrs(nl, index, &addrs, &n_addrs);
        if (r < 0)
                return dump_failed(nl, r, "read the interface back", err);
        for (size_t i = 0; i < n; i++)
                if (links[i].index == index) {
                        *ret = iface_proto(&links[i], addrs, n_addrs);
                        return 0;
                }
        return agent_error_setf(err, ENODEV, IFACE_NOT_FOUND " (index %d) after the update", index);
}

/* The kernel's own MTU bounds for the link, checked before anything changes. */
static int check_mtu(const struct netspec_iface *spec, const struct iface_link *l,
                     struct agent_error **err)
{
        if (!spec->mtu || (spec->mtu >= l->min_mtu && (!l->max_mtu || spec->mtu <= l->max_mtu)))
                return 0;
        return agent_error_setf(err, EINVAL, "interface `%s`: MTU %u outside %u..%u", l->name,
                                spec->mtu, l->min_mtu, l->max_mtu);
}

static int prepare(struct netlink *nl, const struct netspec_iface *spec, struct iface_undo *u,
                   struct agent_error **err)
{
        _cleanup_free_ struct iface_link *links = NULL;
        const struct iface_link *other;
        size_t n;
        int r;

        r = iface_find_by_mac(nl, spec->mac, &u->link, err);
        if (r < 0)
                return r;
        r = iface_dump_links(nl, &links, &n);
        if (r >= 0)
                r = iface_dump_addrs(nl, u->link.index, &u->before, &u->n_before);
        if (r >= 0)
                r = route_save(nl, u->link.index, &u->routes);
        if (r < 0)
                return dump_failed(nl, r, "list links, addresses and routes", err);
        r = check_mtu(spec, &u->link, err);
        if (r < 0)
                return r;
        other = spec->name ? iface_by_name(links, n, spec->name) : NULL;
        if (other && other->index != u->link.index)
                u->other = *other;
        u->added = xzalloc(sizeof(*u->added) * (spec->n_addrs + 1));
        return 0;
}

int iface_update(const Types__Interface *req, Types__Interface **ret, struct agent_error **err)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        struct netspec_iface spec;
        struct iface_undo u = { 0 };
        const char *who = req->name && *req->name ? req->name : req->hwaddr;
        int r;

        r = netspec_check_iface(req, &spec, err);
        if (r < 0)
                return agent_error_wrap(err, "interface `%s`", who ? who : "");
        r = netlink_open(&nl);
        if (r < 0) {
                netspec_iface_done(&spec);
                return agent_error_set(err, -r, "netlink socket");
        }
        r = prepare(&nl, &spec, &u, err);
        if (r >= 0) {
                r = apply(&nl, &spec, &u, err);
                if (r < 0) {
                        undo(&nl, &u);
                        agent_error_wrap(err, "update interface (undone)");
                }
        }
        if (r >= 0)
                r = read_back(&nl, u.link.index, ret, err);
        free(u.before);
        free(u.added);
        route_saved_done(&u.routes);
        netspec_iface_done(&spec);
        return r;
}

/* ---- listing ---- */

int iface_list(Grpc__Interfaces *ret, struct agent_error **err)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        _cleanup_free_ struct iface_link *links = NULL;
        _cleanup_free_ struct iface_addr *addrs = NULL;
        size_t n, n_addrs;
        int r;

        grpc__interfaces__init(ret);
        r = netlink_open(&nl);
        if (r < 0)
                return agent_error_set(err, -r, "netlink socket");
        r = iface_dump_links(&nl, &links, &n);
        if (r >= 0)
                r = iface_dump_addrs(&nl, 0, &addrs, &n_addrs);
        if (r < 0)
                return dump_failed(&nl, r, "list interfaces", err);
        ret->interfaces = xzalloc(sizeof(*ret->interfaces) * (n + 1));
        for (size_t i = 0; i < n; i++)
                ret->interfaces[i] = iface_proto(&links[i], addrs, n_addrs);
        ret->n_interfaces = n;
        return 0;
}

void iface_list_free(Grpc__Interfaces *list)
{
        for (size_t i = 0; i < list->n_interfaces; i++)
                protobuf_c_message_free_unpacked(&list->interfaces[i]->base, NULL);
        free(list->interfaces);
        list->interfaces = NULL;
        list->n_interfaces = 0;
}

static Grpc__NetworkStats *stats_proto(const struct iface_link *l)
{
        Grpc__NetworkStats *s = xmalloc(sizeof(*s));

        grpc__network_stats__init(s);
        s->name = xstrdup(l->name);
        s->rx_bytes = l->rx_bytes;
        s->rx_packets = l->rx_packets;
        s->rx_errors = l->rx_errors;
        s->rx_dropped = l->rx_dropped;
        s->tx_bytes = l->tx_bytes;
        s->tx_packets = l->tx_packets;
        s->tx_errors = l->tx_errors;
        s->tx_dropped = l->tx_dropped;
        return s;
}

int iface_stats(Grpc__NetworkStats ***ret, size_t *ret_n, struct agent_error **err)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        _cleanup_free_ struct iface_link *links = NULL;
        Grpc__NetworkStats **v;
        size_t n, k = 0;
        int r;

        r = netlink_open(&nl);
        if (r < 0)
                return agent_error_set(err, -r, "netlink socket");
        r = iface_dump_links(&nl, &links, &n);
        if (r < 0)
                return dump_failed(&nl, r, "network stats", err);
        v = xzalloc(sizeof(*v) * (n + 1));
        for (size_t i = 0; i < n; i++)
                if (links[i].has_stats && !(links[i].flags & IFF_LOOPBACK))
                        v[k++] = stats_proto(&links[i]);
        *ret = v;
        *ret_n = k;
        return 0;
}

void iface_stats_free(Grpc__NetworkStats **stats, size_t n)
{
        for (size_t i = 0; i < n; i++)
                protobuf_c_message_free_unpacked(&stats[i]->base, NULL);
        free(stats);
}

int iface_set_up_by_name(const char *name, struct agent_error **err)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        _cleanup_free_ struct iface_link *links = NULL;
        const struct iface_link *l;
        size_t n;
        int r;

        r = netlink_open(&nl);
        if (r < 0)
                return agent_error_set(err, -r, "netlink socket");
        r = iface_dump_links(&nl, &links, &n);
        if (r < 0)
                return dump_failed(&nl, r, "list links", err);
        l = iface_by_name(links, n, name);
        if (!l)
                return agent_error_setf(err, ENODEV, IFACE_NOT_FOUND " (name `%s`)", name);
        r = link_set(&nl, l->index, NULL, 0, IFF_UP, IFF_UP);
        if (r < 0)
                return agent_error_setf(err, -r, "interface `%s`: set up: %s", name, nl.why);
        return 0;
}
