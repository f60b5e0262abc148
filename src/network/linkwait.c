/* SPDX-License-Identifier: Apache-2.0 */
#include "network/linkwait.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "network/iface.h"
#include "network/netlink.h"
#include "rpc/call.h"

#include <errno.h>
#include <sys/socket.h>

struct linkwait {
        struct agent *agent;
        struct nl_sock *sk; /* subscribed to RTNLGRP_LINK */
        struct loop_io *io;
        struct list_node waiters; /* parked UpdateInterface calls */
};

struct waiter {
        struct linkwait *lw;
        struct rpc_call *call;
        struct loop_timer *timer;
};

static void finish(struct rpc_call *call, const Types__Interface *req)
{
        _cleanup_error_ struct agent_error *err = NULL;
        Types__Interface *now = NULL;

        if (iface_update(req, &now, &err) < 0) {
                agent_error_wrap(&err, "update interface");
                rpc_call_reply_error(call, err);
                return;
        }
        rpc_call_reply(call, &now->base);
        protobuf_c_message_free_unpacked(&now->base, NULL);
}

static void monitor_close(struct linkwait *lw)
{
        if (lw->io)
                loop_io_free(lw->io);
        lw->io = NULL;
        if (lw->sk)
                nl_socket_free(lw->sk);
        lw->sk = NULL;
}

static void waiter_free(struct waiter *w)
{
        struct linkwait *lw = w->lw;

        if (w->timer)
                loop_timer_free(w->timer);
        free(w);
        /* No one waits: no reason to hear about every link change. */
        if (list_empty(&lw->waiters))
                monitor_close(lw);
}

static bool present(const Types__Interface *req)
{
        _cleanup_netlink_ struct netlink nl = { 0 };
        struct iface_link link;
        uint8_t mac[6];

        if (netspec_parse_mac(req->hwaddr, mac) < 0 || netlink_open(&nl) < 0)
                return true; /* let iface_update report it */
        return iface_find_by_mac(&nl, mac, &link, NULL) == 0;
}

static void rescan(struct linkwait *lw)
{
        struct list_node *n, *tmp;

        list_for_each_safe(n, tmp, &lw->waiters)
        {
                struct rpc_call *call = rpc_call_from_park_node(n);
                struct waiter *w = call->cancel_data;
                const Grpc__UpdateInterfaceRequest *req =
                        (const Grpc__UpdateInterfaceRequest *) call->req;

                if (!present(req->interface))
                        continue;
                /* Unparks the call; its waiter goes with it. */
                finish(call, req->interface);
                waiter_free(w);
        }
}

static void monitor_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct linkwait *lw = userdata;
        char buf[8192];

        (void) events;
        /* The content does not matter (an overrun, ENOBUFS, neither): any link event means
         * look again. */
        while (recv(loop_io_fd(io), buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS ||
               errno == EINTR)
                ;
        rescan(lw);
}

static int monitor_open(struct linkwait *lw)
{
        if (lw->sk)
                return 0;
        lw->sk = nl_socket_alloc();
        if (!lw->sk)
                return -ENOMEM;
        nl_socket_disable_seq_check(lw->sk);
        if (nl_connect(lw->sk, NETLINK_ROUTE) < 0 ||
            nl_socket_add_membership(lw->sk, RTNLGRP_LINK) < 0 ||
            nl_socket_set_nonblocking(lw->sk) < 0 ||
            loop_add_io(lw->agent->loop, nl_socket_get_fd(lw->sk), EPOLLIN, monitor_cb, lw,
                        &lw->io) < 0) {
                monitor_close(lw);
                return -EIO;
        }
        return 0;
}

static void timeout_cb(struct loop_timer *t, void *userdata)
{
        struct waiter *w = userdata;
        struct rpc_call *call = w->call;
        const Grpc__UpdateInterfaceRequest *req = (const Grpc__UpdateInterfaceRequest *) call->req;
        struct agent_error *err = NULL;

        (void) t;
        agent_error_setf(
                &err, ENODEV,
                "update interface: " IFACE_NOT_FOUND
                " (hwAddr `%s`, devicePath `%s`): not seen within %llu ms",
                req->interface->hwaddr, req->interface->devicepath,
                (unsigned long long) (w->lw->agent->config.hotplug_timeout_ns / 1000000ull));
        rpc_call_reply_error(call, err);
        agent_error_free(err);
        waiter_free(w);
}

static void waiter_cancel(struct rpc_call *call, void *data)
{
        (void) call;
        waiter_free(data);
}

static struct linkwait *linkwait_get(struct agent *a)
{
        if (!a->linkwait) {
                a->linkwait = xzalloc(sizeof(*a->linkwait));
                a->linkwait->agent = a;
                list_init(&a->linkwait->waiters);
        }
        return a->linkwait;
}

static int park(struct agent *a, struct rpc_call *call, struct agent_error **err)
{
        struct linkwait *lw = linkwait_get(a);
        struct waiter *w;
        int r;

        r = monitor_open(lw);
        if (r < 0)
                return agent_error_set(err, -r, "update interface: watch link events");
        w = xzalloc(sizeof(*w));
        w->lw = lw;
        w->call = call;
        r = rpc_call_park(call, &lw->waiters, waiter_cancel, w, err);
        if (r < 0) {
                waiter_free(w);
                return r;
        }
        w->timer = loop_add_timer(a->loop, now_ns() + a->config.hotplug_timeout_ns, timeout_cb, w);
        return 0;
}

int linkwait_update(struct agent *a, struct rpc_call *call, const Types__Interface *req,
                    struct agent_error **err)
{
        /* Check the request first: bad input never waits. */
        struct netspec_iface spec;
        int r = netspec_check_iface(req, &spec, err);

        if (r < 0)
                return agent_error_wrap(err, "update interface: interface `%s`",
                                        req->name && *req->name ? req->name : req->hwaddr);
        netspec_iface_done(&spec);
        if (req->devicepath && *req->devicepath && !present(req)) {
                r = park(a, call, err);
                /* The link may have come between the look and the subscription. */
                if (r >= 0 && present(req))
                        rescan(a->linkwait);
                return r;
        }
        finish(call, req);
        return 0;
}

void linkwait_free(struct agent *a)
{
        if (!a->linkwait)
                return;
        monitor_close(a->linkwait);
        free(a->linkwait);
        a->linkwait = NULL;
}
