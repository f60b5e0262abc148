/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Where log lines go. By default straight to stderr (service) or the console (PID 1).
 *
 * With agent.log_vport=N the agent listens on vsock port N, like the Rust agent, and streams the
 * lines to the one host connection it accepts (runtime-rs connects to 1025). Lines logged while
 * no host is connected, or while the host reads slowly, wait in a bounded buffer
 * (LOGSINK_BUFFER_MAX); past it the oldest lines are dropped and the drop is reported in the
 * stream. Logging therefore never blocks the loop.
 */

#include "base/error.h"

#define LOGSINK_BUFFER_MAX (256u << 10)

struct agent;

/* Listen address for the log stream; NULL keeps logging on stderr/console. Set before start. */
void logsink_set_address(struct agent *a, const char *addr);
int logsink_start(struct agent *a, struct agent_error **err);
void logsink_stop(struct agent *a);
