/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * hypervisor.Hypervisor (Kata's remote hypervisor protocol) on cata's ttRPC server: adapters
 * that decode, validate, call vm.h and encode. Kata's shim opens one connection per call.
 */

#include <sys/types.h>

#include "remote-hv/vm.h"

struct rpc_registry;

/* The context of one connection (call->session->context). */
struct service_conn {
        struct hv *hv;
        pid_t peer_pid; /* from SO_PEERCRED: the shim, whose mount namespace StartVM uses */
};

extern const struct rpc_registry service_registry;
