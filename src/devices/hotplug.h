/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Guest resources the host adds at run time: CPUs and memory (OnlineCPUMem, MemHotplugByProbe),
 * swap (AddSwap, AddSwapPath) and volume growth (ResizeVolume). Every sysfs write that brings
 * hardware up, swapon(2) and the resize tools run in a child; the call is parked until the
 * child is reaped, and a disconnect only drops the answer.
 */

#include "base/error.h"

#include "agent.pb-c.h"

struct agent;
struct rpc_call;

#define HOTPLUG_CPU_RETRIES       100 /* as the Rust agent: 100 x 50 ms */
#define HOTPLUG_CPU_RETRY_MS      50
#define HOTPLUG_MAX_PROBE_ADDRS   4096
#define HOTPLUG_RESIZE_TIMEOUT_MS (10ull * 60 * 1000)

int hotplug_online_cpu_mem(struct agent *a, struct rpc_call *call,
                           const Grpc__OnlineCPUMemRequest *req, struct agent_error **err);
int hotplug_mem_probe(struct agent *a, struct rpc_call *call,
                      const Grpc__MemHotplugByProbeRequest *req, struct agent_error **err);
int hotplug_add_swap(struct agent *a, struct rpc_call *call, const Grpc__AddSwapRequest *req,
                     struct agent_error **err);
int hotplug_add_swap_path(struct agent *a, struct rpc_call *call,
                          const Grpc__AddSwapPathRequest *req, struct agent_error **err);
int hotplug_resize_volume(struct agent *a, struct rpc_call *call,
                          const Grpc__ResizeVolumeRequest *req, struct agent_error **err);

/* The number of CPUs in a kernel cpu list ("0-3,6" -> 5); -EINVAL when malformed. Pure. */
int hotplug_count_cpus(const char *list);
