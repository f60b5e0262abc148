/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Hot-plugged devices, seen through kernel uevents (docs/devices.md).
 *
 * One NETLINK_KOBJECT_UEVENT socket (kernel multicast group 1) sits in the loop from start-up.
 * Every `add` is remembered in a bounded map keyed by DEVPATH (`remove` forgets it; the oldest
 * entry goes when the map is full), so a device that arrived before anyone asked for it is
 * found at once; memory blocks are onlined on their `add` instead. A wait is a matcher
 * (uevent.h) parked on the listener: the first matching event completes it, or
 * agent.hotplug_timeout ends it. The owner cancels a wait when its caller goes away. Nothing
 * here blocks: the PCI rescan that stands in for a missing ACPI hotplug event runs in a child.
 */

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "devices/pci.h"
#include "devices/uevent.h"

struct agent;
struct devices;
struct devices_wait;

/* Devices remembered (by DEVPATH). A guest has a few dozen devices; hostile or runaway event
 * streams cannot grow it past this. */
#define DEVICES_SEEN_MAX 1024
/* Waits at once (each is a parked call's part, itself bounded per connection). */
#define DEVICES_WAITS_MAX 4096

#define DEVICES_SYSFS     "/sys"

/* ev is the matching event, or NULL when the timeout passed. The wait is freed right after the
 * callback returns. */
typedef void (*devices_wait_fn)(struct devices_wait *w, const struct uevent *ev, void *userdata);

/* Opens the listener (failure is logged: the agent serves on, every wait then times out unless
 * the device is already in sysfs). */
void devices_start(struct agent *a);
void devices_stop(struct agent *a);

/* Waits for a device (m is taken). An event already in the map completes it from the loop right
 * away (never from inside this call). rescan: also ask the kernel to rescan the PCI bus (in a
 * child) when the device is not there yet. Returns 0, or -EBUSY over DEVICES_WAITS_MAX. */
int devices_wait(struct agent *a, struct devmatch *m, bool rescan, devices_wait_fn fn,
                 void *userdata, struct devices_wait **ret);
/* Drops a wait without calling back. */
void devices_wait_cancel(struct devices_wait *w);
/* The matcher's text ("virtio-blk device at PCI path `02.0`") and the timeout, for messages. */
const char *devices_wait_what(const struct devices_wait *w);

/* Feeds one raw message as if it came from the kernel (the listener's own path; tests). */
void devices_handle_message(struct agent *a, const char *buf, size_t len);
/* Number of remembered devices (tests, metrics). */
unsigned devices_seen_count(struct agent *a);

/* The sysfs root the agent reads (DEVICES_SYSFS unless a test changed it). */
const char *devices_sysfs(struct agent *a);

/* Network devices for the network code: waits for a net device below the PCI device that
 * pci_path (Kata's devicePath) names. */
int devices_wait_net_pci(struct agent *a, const char *pci_path, devices_wait_fn fn, void *userdata,
                         struct devices_wait **ret, struct agent_error **err);

/* Writes "1" to /sys/bus/pci/rescan in a child process. */
void devices_pci_rescan(struct agent *a);
/* Writes value to path in a child process (sysfs writes that probe devices). */
void devices_write_child(struct agent *a, const char *path, const char *value);
