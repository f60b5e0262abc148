/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * AddARPNeighbors: static neighbour entries (permanent unless the request gives a state),
 * replacing an entry for the same address. Every entry is checked and its device resolved
 * before the first is added; if the kernel refuses one, the entries this request added are
 * removed again.
 */

#include "base/error.h"

#include "agent.pb-c.h"

int neigh_add(const Grpc__ARPNeighbors *req, struct agent_error **err);
