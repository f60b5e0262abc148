/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * UpdateInterface for a NIC that may not be there yet. With a devicePath (the host hot-plugged
 * the NIC and told us where) a MAC that is not found yet parks the call until the link appears:
 * a netlink socket subscribed to link events (RTNLGRP_LINK) sits in the loop and every event
 * looks for the parked MACs again; agent.hotplug_timeout bounds the wait, after which the
 * reply says IFACE_NOT_FOUND, which makes Kata's runtime retry. Without a devicePath the
 * answer is immediate, as in the Rust agent.
 */

#include "base/error.h"

#include "agent.pb-c.h"

struct agent;
struct rpc_call;
struct linkwait;

/* Answers call (now or once the link appeared) with the updated interface. */
int linkwait_update(struct agent *a, struct rpc_call *call, const Types__Interface *req,
                    struct agent_error **err);

void linkwait_free(struct agent *a);
