/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * agent.config_file: the Rust agent's TOML configuration, with its keys (debug_console,
 * dev_mode, log_level, hotplug_timeout = { secs = 3, nanos = 0 }, server_addr, ...).
 *
 * As in the Rust agent, a file named on the kernel command line replaces the command line
 * entirely (defaults + file; the KATA_AGENT_* environment is not applied), while `--config FILE`
 * is the file and then the environment. Where the Rust agent refuses to start (and as PID 1
 * panics the guest), cata keeps going: an unreadable or malformed file is one error line and the
 * command-line configuration stays; a key with a wrong type or value is a warning naming it and
 * keeps that key's default. Keys the Rust agent ignores (unknown ones, [endpoints]) are ignored.
 */

#include "agent/config.h"
#include "base/error.h"
#include "base/toml.h"

/* Replaces *c with defaults + the file at path (c->config_file becomes path). On failure *c is
 * untouched and err says why. */
int agent_config_load_file(struct agent_config *c, const char *path, struct agent_error **err);

/* The same from parsed TOML text (pure; fuzzed). Returns the number of keys rejected. */
unsigned agent_config_apply_toml(struct agent_config *c, const struct toml_table *t);
