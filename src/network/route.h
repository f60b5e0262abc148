/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Guest routes over rtnetlink: UpdateRoutes and ListRoutes, main table only (as Kata).
 *
 * UpdateRoutes adds every requested route, replacing one with the same key, and leaves other
 * routes alone (the Rust agent's semantics; the 1.x agent deleted everything first). Routes
 * without a gateway go first, so the link routes a gateway needs exist before it is used. The
 * whole list is checked and every device resolved before anything is applied; when the kernel
 * refuses a route (an unreachable gateway), the routes this request added are deleted and the
 * ones it replaced are put back.
 */

#include <stddef.h>

#include "base/error.h"

#include "agent.pb-c.h"

int route_update(const Grpc__Routes *req, struct agent_error **err);

/* A link's main-table routes, kept to be put back after something took the link down (the
 * kernel drops a link's routes then): UpdateInterface's undo. */
struct netlink;
struct route_saved {
        struct nlmsghdr **v;
        size_t n;
};
int route_save(struct netlink *nl, int oif, struct route_saved *ret);
void route_restore(struct netlink *nl, const struct route_saved *s);
void route_saved_done(struct route_saved *s);

/* ListRoutes. Free with route_list_free. */
int route_list(Grpc__Routes *ret, struct agent_error **err);
void route_list_free(Grpc__Routes *list);
