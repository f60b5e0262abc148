/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * GetIPTables / SetIPTables: iptables-save / iptables-restore (ip6tables-* for IPv6) run as
 * children of the agent through the command runner, never in the loop. The call is parked until
 * the program exited; a disconnect or deadline kills it. A missing program is a clear error.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct agent;
struct rpc_call;

/* The largest rule dump a reply can carry: the frame limit less room for the envelope. */
#define IPTABLES_OUTPUT_MAX ((4u << 20) - 4096)
/* iptables-restore waits this long for the xtables lock (Kata's value). */
#define IPTABLES_RESTORE_WAIT_SEC "5"
/* A program still running after this is killed. */
#define IPTABLES_TIMEOUT_NS (30ull * 1000000000ull)

/* Where the programs are looked for, in order (Debian: /usr/sbin; minimal guests: /sbin). */
#define IPTABLES_DIRS "/usr/sbin", "/sbin", "/usr/bin", "/bin"

/* Parks call and answers it with GetIPTablesResponse / SetIPTablesResponse. */
int iptables_get(struct agent *a, struct rpc_call *call, bool v6, struct agent_error **err);
int iptables_set(struct agent *a, struct rpc_call *call, bool v6, const void *data, size_t len,
                 struct agent_error **err);
