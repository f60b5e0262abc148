/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * GetMetrics: Prometheus text exposition of the agent and the guest, with the Rust agent's metric
 * names where they exist (kata-monitor scrapes them): kata_agent_* from /proc/self, kata_guest_*
 * from /proc, plus cata_agent_* for the agent's own objects.
 */

struct agent;

/* A malloc'd exposition text. */
char *metrics_collect(struct agent *a);
