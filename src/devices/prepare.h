/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Before CreateContainer (or CreateSandbox) can mount and spawn, the devices it names must be
 * there: each block storage's source and each `devices` entry is waited for (uevents), PCI
 * paths are resolved, a SCSI scan or PCI rescan is kicked off in a child, mkfs runs in a child
 * for `create_filesystem` storages. Meanwhile the call is parked; a disconnect or its deadline
 * cancels every wait and child. When all is found, the request is rewritten (storage sources
 * become /dev paths, the spec's linux.devices get guest numbers, PCIDEVICE_* env vars guest
 * addresses) and fn continues with the exact cgroup rules for the found devices.
 */

#include <stddef.h>

#include "base/error.h"
#include "engine/cgroup.h"

#include "agent.pb-c.h"

struct agent;
struct rpc_call;

/* Must answer call (reply, error, or park it elsewhere). */
typedef void (*devices_prepared_fn)(struct rpc_call *call, const struct cgroup_device_rule *rules,
                                    size_t n_rules);

/* Checks everything first (bad input never waits); returns -errno with err set on bad input,
 * else 0 after fn ran or the call was parked. label ("container `abc`") prefixes the errors
 * answered later. */
int devices_prepare(struct agent *a, struct rpc_call *call, Grpc__Storage **storages,
                    size_t n_storages, Grpc__Device **devices, size_t n_devices, Grpc__Spec *spec,
                    const char *label, devices_prepared_fn fn, struct agent_error **err);
