/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The checks every request passes after decoding and before its handler runs: nothing below
 * (containers, processes, cgroups, mounts) is touched by a request that fails them. Per RPC:
 *  - any request with a top-level `container_id`: Kata's id rule (container_id_valid);
 *  - CreateContainer: container_validate_request() and the process identity (identity_new);
 *  - ExecProcess: a process with args, an exec id, the console size, the identity;
 *  - UpdateContainer: cgroup_resources_check();
 *  - TtyWinResize: the size a terminal can have; SignalProcess: a signal number 1..64;
 *  - ReadStdout/ReadStderr: a length > 0.
 * The storage, network and sandbox RPCs validate in their own modules (fuzz-storage,
 * fuzz-network, fuzz-sandbox). Pure: fuzzed by fuzz-requests for every method.
 */

#include <protobuf-c/protobuf-c.h>

#include "base/error.h"

/* Checks by the message's type. Returns 0 or -errno with err filled. */
int rpc_validate_request(const ProtobufCMessage *msg, struct agent_error **err);
