/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * PID 1 start-up: the kernel hands us an empty root. Before anything else we mount the
 * pseudo-filesystems the agent and containers need, then (after the command line is read, since
 * it chooses the hierarchy) the cgroup filesystems.
 */

#include <stdbool.h>

#include "base/error.h"

/* proc, sysfs, devtmpfs, devpts, /dev/shm, /run, /tmp; /dev/ptmx link. Already-mounted targets
 * are left alone. Failures are logged; only /proc is required. */
int boot_mount_early(struct agent_error **err);

/* cgroup2 at /sys/fs/cgroup when unified, else a tmpfs there with one mount per enabled v1
 * controller (from /proc/cgroups) plus cgroup2 at /sys/fs/cgroup/unified. */
int boot_mount_cgroups(bool unified, struct agent_error **err);

/* Parses /proc/cgroups text into the enabled v1 controller names (NULL-terminated, malloc'd;
 * free each and the array). Pure: unit-tested. */
int boot_parse_proc_cgroups(const char *text, char ***ret);

/* Brings the loopback interface up (the kernel creates it down); Kata does it at boot. */
int boot_loopback_up(struct agent_error **err);

/* The console fd for logs and the debug shell (/dev/console), or -errno. */
int boot_open_console(void);
