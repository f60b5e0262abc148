/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * rtnetlink requests over libnl's core (message building, attribute parsing, the socket and ack
 * handling); the rtnetlink messages themselves are ours (docs/network.md says why libnl-3 and not
 * libmnl or libnl-route).
 *
 * Every call is synchronous: the kernel answers rtnetlink requests at once, so a request costs
 * microseconds and never blocks the loop. A failed request returns -errno and leaves the
 * kernel's own explanation (the extended ack text, e.g. "Nexthop has invalid gateway") in
 * why[], or strerror when the kernel gave none.
 */

#include <stddef.h>
#include <stdint.h>

#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#define NETLINK_WHY_MAX 256

struct netlink {
        struct nl_sock *sk;
        int error; /* errno of the last NLMSG_ERROR, > 0 */
        char why[NETLINK_WHY_MAX];
};

/* Opens a NETLINK_ROUTE socket (close-on-exec, extended acks on). Returns 0 or -errno. */
int netlink_open(struct netlink *nl);
void netlink_close(struct netlink *nl);
#define _cleanup_netlink_ __attribute__((cleanup(netlink_close)))

/* A request message: nlmsghdr of type/flags plus a zeroed family header of hdr_len bytes, to
 * be filled through nlmsg_data(). Aborts on allocation failure like the x*alloc helpers. */
struct nl_msg *netlink_msg_new(int type, int flags, size_t hdr_len);

/* Sends msg (not taken) and waits for its ack. Returns 0 or -errno with nl->why filled. */
int netlink_request(struct netlink *nl, struct nl_msg *msg);

/* Dumps: sends a request of type with NLM_F_DUMP and the family header hdr, then calls fn on
 * every reply message; fn returns 0 to go on or -errno to stop (returned). */
typedef int (*netlink_dump_fn)(const struct nlmsghdr *h, void *userdata);
int netlink_dump(struct netlink *nl, int type, const void *hdr, size_t hdr_len, netlink_dump_fn fn,
                 void *userdata);

/* Parses h's attributes after a family header of hdr_len into tb[0..max]. Returns 0 or
 * -EBADMSG. */
int netlink_parse(const struct nlmsghdr *h, size_t hdr_len, struct nlattr **tb, int max);
