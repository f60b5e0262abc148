/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The debug console (agent.debug_console): a root shell for operators.
 *
 * With agent.debug_console_vport=N the agent listens on vsock port N; every connection gets its
 * own shell on a fresh pty. Without a port the shell runs on /dev/console and is restarted when
 * it exits. All shell work happens in child processes: the relay between the socket and the pty
 * runs in a forked helper, so a chatty or stuck console never touches the agent's loop.
 */

#include "base/error.h"

struct agent;

/* Listen address for consoles (tests use unix://); NULL derives it from the configuration. */
void console_set_address(struct agent *a, const char *addr);
int console_start(struct agent *a, struct agent_error **err);
void console_stop(struct agent *a);

/* The shell that would be used ("/bin/bash", "/bin/sh"), or NULL if none exists. */
const char *console_find_shell(void);
