/* SPDX-License-Identifier: Apache-2.0 */
#include "network/netspec.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Six groups of one or two hex digits separated by ':' (the forms Go and Rust print). */
int netspec_parse_mac(const char *s, uint8_t mac[6])
{
        for (int i = 0; i < 6; i++) {
                int hi = hex_digit(*s), lo;
                if (hi < 0)
                        return -EINVAL;
                s++;
                lo = hex_digit(*s);
                if (lo >= 0) {
                        mac[i] = (uint8_t) (hi << 4 | lo);
                        s++;
                } else {
                        mac[i] = (uint8_t) hi;
                }
                if (i < 5 && *s++ != ':')
                        return -EINVAL;
        }
        return *s ? -EINVAL : 0;
}

void netspec_format_mac(const uint8_t *mac, size_t len, char buf[NETSPEC_HWADDR_STR])
{
        size_t n = len < NETSPEC_HWADDR_MAX ? len : NETSPEC_HWADDR_MAX;
        char *p = buf;

        *p = '\0';
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "%s%02x", i ? ":" : "", mac[i]);
}

int netspec_parse_ip(const char *s, struct netspec_ip *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (!s || strlen(s) >= INET6_ADDRSTRLEN)
                return -EINVAL;
        if (inet_pton(AF_INET, s, ret->addr) == 1) {
                ret->family = AF_INET;
                ret->prefix = 32;
                return 0;
        }
        if (inet_pton(AF_INET6, s, ret->addr) == 1) {
                ret->family = AF_INET6;
                ret->prefix = 128;
                return 0;
        }
        return -EINVAL;
}

static int parse_prefix(const char *s, unsigned max, unsigned *ret)
{
        uint64_t v;

        if (!*s || strlen(s) > 3 || parse_u64(s, 10, &v) < 0 || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static bool host_bits_clear(const struct netspec_ip *ip)
{
        unsigned bytes = ip->family == AF_INET ? 4 : 16;

        for (unsigned bit = ip->prefix; bit < bytes * 8; bit++)
                if (ip->addr[bit / 8] & (0x80u >> (bit % 8)))
                        return false;
        return true;
}

int netspec_parse_cidr(const char *s, bool strict, struct netspec_ip *ret)
{
        char buf[INET6_ADDRSTRLEN + 5];
        char *slash;
        unsigned prefix;

        if (!s || strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        slash = strchr(buf, '/');
        if (slash)
                *slash = '\0';
        if (netspec_parse_ip(buf, ret) < 0)
                return -EINVAL;
        if (slash) {
                if (parse_prefix(slash + 1, ret->prefix, &prefix) < 0)
                        return -EINVAL;
                ret->prefix = prefix;
        }
        return strict && !host_bits_clear(ret) ? -EINVAL : 0;
}

bool netspec_ifname_valid(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n >= IFNAMSIZ || streq(s, ".") || streq(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] == '/' || s[i] == ':' || isspace((unsigned char) s[i]) ||
                    !isprint((unsigned char) s[i]))
                        return false;
        return true;
}

static int check_addr(const Types__IPAddress *a, size_t i, struct netspec_ip *ret,
                      struct agent_error **err)
{
        const char *addr = a && a->address ? a->address : "";
        const char *mask = a && a->mask ? a->mask : "";

        if (netspec_parse_ip(addr, ret) < 0)
                return agent_error_setf(err, EINVAL, "IPAddresses[%zu]: invalid address `%s`", i,
                                        addr);
        if (parse_prefix(mask, ret->prefix, &ret->prefix) < 0)
                return agent_error_setf(err, EINVAL,
                                        "IPAddresses[%zu]: invalid prefix `%s` for `%s`", i, mask,
                                        addr);
        return 0;
}

int netspec_check_iface(const Types__Interface *req, struct netspec_iface *ret,
                        struct agent_error **err)
{
        memset(ret, 0, sizeof(*ret));
        if (!req->hwaddr || !*req->hwaddr)
                return agent_error_setf(err, EINVAL, "field `hwAddr` is empty");
        if (netspec_parse_mac(req->hwaddr, ret->mac) < 0)
                return agent_error_setf(err, EINVAL, "invalid MAC address `%s`", req->hwaddr);
        if (req->name && *req->name) {
                if (!netspec_ifname_valid(req->name))
                        return agent_error_setf(err, EINVAL, "invalid interface name `%s`",
                                                req->name);
                ret->name = req->name;
        }
        if (req->mtu > UINT32_MAX)
                return agent_error_setf(err, EINVAL, "invalid MTU %llu",
                                        (unsigned long long) req->mtu);
        ret->mtu = (uint32_t) req->mtu;
        ret->noarp = req->raw_flags & IFF_NOARP;
        if (req->n_ipaddresses > NETSPEC_MAX_ADDRS)
                return agent_error_setf(err, E2BIG, "%zu addresses (at most %d)",
                                        req->n_ipaddresses, NETSPEC_MAX_ADDRS);
        ret->addrs = xzalloc(sizeof(*ret->addrs) * (req->n_ipaddresses + 1));
        for (size_t i = 0; i < req->n_ipaddresses; i++) {
                int r = check_addr(req->ipaddresses[i], i, &ret->addrs[i], err);
                if (r < 0) {
                        netspec_iface_done(ret);
                        return r;
                }
        }
        ret->n_addrs = req->n_ipaddresses;
        return 0;
}

void netspec_iface_done(struct netspec_iface *s)
{
        free(s->addrs);
        s->addrs = NULL;
        s->n_addrs = 0;
}

static const char *family_name(int family)
{
        return family == AF_INET ? "IPv4" : "IPv6";
}

/* The addresses decide the family; the field only matters for a route without any (a
 * "default dev eth0" route), so a client that left it at its v4 default still works for v6. */
static int route_family(const Types__Route *req, struct netspec_route *ret,
                        struct agent_error **err)
{
        const struct netspec_ip *ips[3];
        const char *names[3];
        size_t n = 0;

        if (ret->has_dest)
                ips[n] = &ret->dest, names[n++] = "dest";
        if (ret->has_gateway)
                ips[n] = &ret->gateway, names[n++] = "gateway";
        if (ret->source_kind != NETSPEC_SOURCE_NONE)
                ips[n] = &ret->source, names[n++] = "source";
        ret->family =
                n ? ips[0]->family : (req->family == TYPES__IPFAMILY__v6 ? AF_INET6 : AF_INET);
        for (size_t i = 1; i < n; i++)
                if (ips[i]->family != ret->family)
                        return agent_error_setf(err, EINVAL, "%s is %s but %s is %s", names[0],
                                                family_name(ret->family), names[i],
                                                family_name(ips[i]->family));
        return 0;
}

static int check_route_addrs(const Types__Route *req, struct netspec_route *ret,
                             struct agent_error **err)
{
        const char *source = req->source ? req->source : "";

        if (req->dest && *req->dest && !streq(req->dest, "default")) {
                if (netspec_parse_cidr(req->dest, true, &ret->dest) < 0)
                        return agent_error_setf(
                                err, EINVAL, "invalid dest `%s`: want address/prefix, no host bits",
                                req->dest);
                ret->has_dest = ret->dest.prefix > 0;
        }
        if (req->gateway && *req->gateway) {
                if (netspec_parse_ip(req->gateway, &ret->gateway) < 0)
                        return agent_error_setf(err, EINVAL, "invalid gateway `%s`", req->gateway);
                ret->has_gateway = true;
        }
        if (*source) {
                bool prefix = strchr(source, '/') != NULL;
                if (netspec_parse_cidr(source, prefix, &ret->source) < 0)
                        return agent_error_setf(err, EINVAL, "invalid source `%s`", source);
                ret->source_kind = prefix ? NETSPEC_SOURCE_PREFIX : NETSPEC_SOURCE_PREFERRED;
        }
        return route_family(req, ret, err);
}

int netspec_check_route(const Types__Route *req, struct netspec_route *ret,
                        struct agent_error **err)
{
        int r;

        memset(ret, 0, sizeof(*ret));
        if (!req->device || !*req->device)
                return agent_error_setf(err, EINVAL, "field `device` is empty");
        if (!netspec_ifname_valid(req->device))
                return agent_error_setf(err, EINVAL, "invalid device `%s`", req->device);
        ret->device = req->device;
        r = check_route_addrs(req, ret, err);
        if (r < 0)
                return r;
        if (req->scope > UINT8_MAX)
                return agent_error_setf(err, EINVAL, "invalid scope %u", req->scope);
        ret->scope = (uint8_t) req->scope;
        ret->flags = req->flags;
        ret->mtu = req->mtu;
        return 0;
}

int netspec_check_neigh(const Types__ARPNeighbor *req, struct netspec_neigh *ret,
                        struct agent_error **err)
{
        const char *ip =
                req->toipaddress && req->toipaddress->address ? req->toipaddress->address : "";

        memset(ret, 0, sizeof(*ret));
        if (!*ip)
                return agent_error_setf(err, EINVAL, "field `toIPAddress` is empty");
        if (netspec_parse_ip(ip, &ret->ip) < 0)
                return agent_error_setf(err, EINVAL, "invalid address `%s`", ip);
        if (!req->device || !netspec_ifname_valid(req->device))
                return agent_error_setf(err, EINVAL, "invalid device `%s`",
                                        req->device ? req->device : "");
        ret->device = req->device;
        if (req->lladdr && *req->lladdr) {
                if (netspec_parse_mac(req->lladdr, ret->lladdr) < 0)
                        return agent_error_setf(err, EINVAL, "invalid lladdr `%s`", req->lladdr);
                ret->has_lladdr = true;
        }
        /* NUD_* and NTF_* are 16 and 8 bits; 0 means permanent, as in Kata. */
        if (req->state < 0 || req->state > UINT16_MAX)
                return agent_error_setf(err, EINVAL, "invalid state %d", req->state);
        if (req->flags < 0 || req->flags > UINT8_MAX)
                return agent_error_setf(err, EINVAL, "invalid flags %d", req->flags);
        ret->state = req->state ? (uint16_t) req->state : NUD_PERMANENT;
        ret->flags = (uint8_t) req->flags;
        return 0;
}

char *netspec_route_name(const Types__Route *r)
{
        const char *dest = r->dest && *r->dest ? r->dest : "default";

        return xasprintf("%s%s%s dev %s", dest, r->gateway && *r->gateway ? " via " : "",
                         r->gateway && *r->gateway ? r->gateway : "", r->device ? r->device : "");
}
