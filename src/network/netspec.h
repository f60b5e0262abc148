/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The host's network requests checked and parsed before anything is applied: every address,
 * prefix, MAC, name and number of a whole UpdateInterface / UpdateRoutes / AddARPNeighbors
 * request is validated first, so a bad entry is refused with nothing changed. Pure: no kernel
 * access (the fuzzer drives these).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#include "agent.pb-c.h"

/* Bounds on what one request may ask for: far above a pod's needs (a handful of each), low
 * enough that a hostile request cannot make the agent issue millions of netlink calls. */
#define NETSPEC_MAX_ADDRS  256
#define NETSPEC_MAX_ROUTES 4096
#define NETSPEC_MAX_NEIGHS 4096

struct netspec_ip {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        unsigned prefix; /* 32 / 128 for a bare address */
};

struct netspec_iface {
        const char *name; /* NULL: keep the current name */
        uint8_t mac[6];
        uint32_t mtu; /* 0: keep */
        bool noarp;
        size_t n_addrs;
        struct netspec_ip *addrs;
};

enum netspec_source {
        NETSPEC_SOURCE_NONE,
        NETSPEC_SOURCE_PREFERRED, /* a bare address: RTA_PREFSRC, what Kata's runtime sends */
        NETSPEC_SOURCE_PREFIX,    /* addr/len: source routing (RTA_SRC) */
};

struct netspec_route {
        int family;
        bool has_dest; /* no dest: the default route */
        struct netspec_ip dest;
        bool has_gateway;
        struct netspec_ip gateway;
        enum netspec_source source_kind;
        struct netspec_ip source;
        const char *device;
        uint8_t scope;
        uint32_t flags;
        uint32_t mtu;
};

struct netspec_neigh {
        struct netspec_ip ip;
        const char *device;
        bool has_lladdr;
        uint8_t lladdr[6];
        uint16_t state;
        uint8_t flags;
};

/* Leaf parsers: 0 or -EINVAL. */
int netspec_parse_mac(const char *s, uint8_t mac[6]);
int netspec_parse_ip(const char *s, struct netspec_ip *ret);
/* "addr/len" (or a bare address, /32 or /128); refuses host bits beyond the prefix when
 * strict. */
int netspec_parse_cidr(const char *s, bool strict, struct netspec_ip *ret);
/* A kernel interface name: 1..15 bytes, no '/', ':' or whitespace, not "." or "..". */
bool netspec_ifname_valid(const char *s);
/* A link-layer address as "aa:bb:cc:dd:ee:ff" (lower case, like Go's net.HardwareAddr); up to
 * 20 bytes (InfiniBand). */
#define NETSPEC_HWADDR_MAX 20
#define NETSPEC_HWADDR_STR (NETSPEC_HWADDR_MAX * 3)
void netspec_format_mac(const uint8_t *mac, size_t len, char buf[NETSPEC_HWADDR_STR]);

/* Whole-entry checks. The result points into req (strings) and owns ret->addrs. */
int netspec_check_iface(const Types__Interface *req, struct netspec_iface *ret,
                        struct agent_error **err);
void netspec_iface_done(struct netspec_iface *s);
int netspec_check_route(const Types__Route *req, struct netspec_route *ret,
                        struct agent_error **err);
int netspec_check_neigh(const Types__ARPNeighbor *req, struct netspec_neigh *ret,
                        struct agent_error **err);

/* A route's name in messages: "dest via gateway dev device" ("default" for no dest). */
char *netspec_route_name(const Types__Route *r);
