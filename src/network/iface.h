/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Guest interfaces over rtnetlink: UpdateInterface, ListInterfaces, the network part of
 * StatsContainer and the loopback at boot.
 *
 * UpdateInterface follows the Rust agent (docs/network.md): the link is found by MAC, taken
 * down, renamed (swapping names with another link that holds the requested one), given its MTU
 * and NOARP flag, the requested addresses are added (replacing an equal one; addresses already
 * there stay, unlike the 1.x agent that flushed them), and it is brought up. A step that fails
 * undoes the earlier ones, so a refused request leaves the link as it was.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net/if.h>

#include "base/error.h"
#include "network/netlink.h"
#include "network/netspec.h"

#include "agent.pb-c.h"

/* The substring Kata's runtime matches to retry UpdateInterface while a NIC is hot-plugged. */
#define IFACE_NOT_FOUND "Link not found"

struct iface_link {
        int index;
        char name[IFNAMSIZ];
        uint8_t hwaddr[NETSPEC_HWADDR_MAX];
        size_t hwaddr_len;
        uint32_t mtu, min_mtu, max_mtu; /* max 0: no limit given */
        unsigned flags;                 /* IFF_* */
        char kind[32];                  /* IFLA_INFO_KIND: "veth", "virtio"... may be empty */
        bool has_stats;
        uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
        uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

struct iface_addr {
        int index;
        struct netspec_ip ip;
};

/* Every link / every address (index 0) or those of one link. Callers free *ret. */
int iface_dump_links(struct netlink *nl, struct iface_link **ret, size_t *ret_n);
int iface_dump_addrs(struct netlink *nl, int index, struct iface_addr **ret, size_t *ret_n);
const struct iface_link *iface_by_name(const struct iface_link *links, size_t n, const char *name);

/* The link with that MAC: 0, or -ENODEV with err saying IFACE_NOT_FOUND. */
int iface_find_by_mac(struct netlink *nl, const uint8_t mac[6], struct iface_link *ret,
                      struct agent_error **err);

/* UpdateInterface. *ret is the interface as the kernel now has it (free with
 * protobuf_c_message_free_unpacked). */
int iface_update(const Types__Interface *req, Types__Interface **ret, struct agent_error **err);

/* ListInterfaces: every link with its addresses. */
int iface_list(Grpc__Interfaces *ret, struct agent_error **err);
void iface_list_free(Grpc__Interfaces *list);

/* StatsContainer's network_stats: the counters of every guest interface but loopback. */
int iface_stats(Grpc__NetworkStats ***ret, size_t *ret_n, struct agent_error **err);
void iface_stats_free(Grpc__NetworkStats **stats, size_t n);

/* Sets the link named name up (the loopback at PID 1 boot). */
int iface_set_up_by_name(const char *name, struct agent_error **err);
