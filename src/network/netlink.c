/* SPDX-License-Identifier: Apache-2.0 */
#include "network/netlink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>
#include <netlink/handlers.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* libnl reports its own NLE_* codes; the kernel's errno is what names the real cause, so the
 * error callback keeps it (and the extended ack text) before libnl translates it. */
static void keep_extack(struct netlink *nl, const struct nlmsghdr *h, const struct nlmsgerr *e)
{
        struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
        size_t off = sizeof(*e);
        const char *msg;

        if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
                return;
        if (!(h->nlmsg_flags & NLM_F_CAPPED))
                off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
        if (NLMSG_HDRLEN + off >= h->nlmsg_len)
                return;
        if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *) ((char *) e + off),
                      (int) (h->nlmsg_len - NLMSG_HDRLEN - off), NULL) < 0)
                return;
        if (!tb[NLMSGERR_ATTR_MSG] || nla_len(tb[NLMSGERR_ATTR_MSG]) < 1)
                return;
        msg = nla_data(tb[NLMSGERR_ATTR_MSG]);
        snprintf(nl->why, sizeof(nl->why), "%s (%.*s)", strerror(nl->error),
                 (int) strnlen(msg, (size_t) nla_len(tb[NLMSGERR_ATTR_MSG])), msg);
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
        struct netlink *nl = arg;
        const struct nlmsghdr *h = (const struct nlmsghdr *) ((const char *) e - NLMSG_HDRLEN);

        (void) who;
        nl->error = e->error < 0 ? -e->error : EIO;
        snprintf(nl->why, sizeof(nl->why), "%s", strerror(nl->error));
        keep_extack(nl, h, e);
        return NL_STOP;
}

int netlink_open(struct netlink *nl)
{
        int one = 1;
        int r;

        memset(nl, 0, sizeof(*nl));
        nl->sk = nl_socket_alloc();
        if (!nl->sk)
                return -ENOMEM;
        r = nl_connect(nl->sk, NETLINK_ROUTE);
        if (r < 0) {
                r = errno ? -errno : -EIO;
                netlink_close(nl);
                return r;
        }
        /* Without extended acks the kernel's only explanation is an errno. */
        (void) setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
                          sizeof(one));
        nl_socket_enable_msg_peek(nl->sk);
        nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, on_error, nl);
        return 0;
}

void netlink_close(struct netlink *nl)
{
        if (nl->sk)
                nl_socket_free(nl->sk);
        nl->sk = NULL;
}

struct nl_msg *netlink_msg_new(int type, int flags, size_t hdr_len)
{
        struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

        if (!msg || !nlmsg_reserve(msg, hdr_len, NLMSG_ALIGNTO))
                abort();
        return msg;
}

/* libnl failures that are not the kernel's NLMSG_ERROR (socket errors, bad replies). */
static int fail(struct netlink *nl, int nle)
{
        if (nl->error)
                return -nl->error;
        nl->error = nle == -NLE_DUMP_INTR ? EAGAIN : EIO;
        snprintf(nl->why, sizeof(nl->why), "netlink: %s", nl_geterror(nle));
        return -nl->error;
}

int netlink_request(struct netlink *nl, struct nl_msg *msg)
{
        int r;

        nl->error = 0;
        nl->why[0] = '\0';
        r = nl_send_auto(nl->sk, msg);
        if (r < 0)
                return fail(nl, r);
        r = nl_wait_for_ack(nl->sk);
        return r < 0 ? fail(nl, r) : 0;
}

struct dump {
        netlink_dump_fn fn;
        void *userdata;
        int r;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
        struct dump *d = arg;

        d->r = d->fn(nlmsg_hdr(msg), d->userdata);
        return d->r < 0 ? NL_STOP : NL_OK;
}

int netlink_dump(struct netlink *nl, int type, const void *hdr, size_t hdr_len, netlink_dump_fn fn,
                 void *userdata)
{
        struct dump d = { fn, userdata, 0 };
        struct nl_cb *base, *cb;
        int r;

        nl->error = 0;
        nl->why[0] = '\0';
        r = nl_send_simple(nl->sk, type, NLM_F_DUMP, (void *) hdr, hdr_len);
        if (r < 0)
                return fail(nl, r);
        base = nl_socket_get_cb(nl->sk);
        cb = nl_cb_clone(base);
        nl_cb_put(base);
        if (!cb)
                abort();
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &d);
        r = nl_recvmsgs(nl->sk, cb);
        nl_cb_put(cb);
        if (d.r < 0)
                return d.r;
        return r < 0 ? fail(nl, r) : 0;
}

int netlink_parse(const struct nlmsghdr *h, size_t hdr_len, struct nlattr **tb, int max)
{
        if (h->nlmsg_len < NLMSG_SPACE(hdr_len))
                return -EBADMSG;
        return nlmsg_parse((struct nlmsghdr *) h, (int) hdr_len, tb, max, NULL) < 0 ? -EBADMSG : 0;
}
