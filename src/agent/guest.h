/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Facts about the guest that the runtime asks for (GetGuestDetails). */

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

#define GUEST_MEM_BLOCK_SIZE_PATH "/sys/devices/system/memory/block_size_bytes"
#define GUEST_MEM_PROBE_PATH      "/sys/devices/system/memory/probe"

/*
 * Memory block size (hex in sysfs) and whether memory can be hot-added through the probe file.
 * A kernel without memory hotplug has no block_size_bytes: that is size 0, not an error, as in
 * the Rust agent; an unreadable or malformed file is an error.
 */
int guest_memory_info(const char *block_size_path, const char *probe_path, bool want_block_size,
                      bool want_probe, uint64_t *ret_block_size, bool *ret_probe,
                      struct agent_error **err);

/* Storage drivers (src/storage/) and device types (src/devices/) this
 * build handles, NULL-terminated, and optional features compiled in. */
const char *const *guest_storage_handlers(void);
const char *const *guest_device_handlers(void);
const char *const *guest_extra_features(void);
bool guest_supports_seccomp(void);
