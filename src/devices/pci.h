/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Kata's PCI paths and guest PCI addresses.
 *
 * A PCI path names a device by the slots that lead to it from a root bus: "02/00" is slot 0 on
 * the bus behind the bridge in slot 2 of the root bus. Each element is "SS" or "SS.F" (hex,
 * slot <= 0x1f, function <= 7). A first element >= 0x20 in a path of three or more elements is
 * a pxb-pcie root complex ("20/00/02": root bus pci0000:20), as the Rust agent reads it.
 *
 * Resolving a path walks sysfs: the bus behind a bridge is the one entry of its pci_bus/
 * directory (else the unique bus of its child devices). sysfs_root is "/sys" in the agent and a
 * fake tree in the unit tests.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define PCI_PATH_MAX_DEPTH 16
#define PCI_PATH_STR_MAX   (PCI_PATH_MAX_DEPTH * 5 + 8)

struct pci_path {
        uint8_t root_complex; /* 0x00, or a pxb-pcie bus >= 0x20 */
        unsigned n;
        uint8_t slot[PCI_PATH_MAX_DEPTH];
        uint8_t func[PCI_PATH_MAX_DEPTH];
};

struct pci_addr {
        uint16_t domain;
        uint8_t bus, slot, func;
};

/* Returns 0 or -EINVAL (empty, too deep, bad element). */
int pci_path_parse(const char *s, struct pci_path *ret);
/* "02.0/00.0" (with the root complex first when not 00). */
void pci_path_format(const struct pci_path *p, char *buf, size_t size);
/* AddSwap's form: a list of slots (function 0) on root complex 00. */
int pci_path_from_slots(const uint32_t *slots, size_t n, struct pci_path *ret);

/* "DDDD:BB:SS.F" (hex). */
int pci_addr_parse(const char *s, struct pci_addr *ret);
/* "0000:00:02.0" */
void pci_addr_format(const struct pci_addr *a, char *buf, size_t size);
bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b);

/* "/devices/pci0000:RC" */
void pci_root_bus_devpath(uint8_t root_complex, char *buf, size_t size);

/* The devpath (below sysfs_root, starting with /devices/) of the device the path names, e.g.
 * "/devices/pci0000:00/0000:00:02.0/0000:01:00.0". Bridges on the way must exist; the device
 * itself need not (it may not be plugged yet). Fills err naming the element that failed. */
int pci_path_resolve(const char *sysfs_root, const struct pci_path *p, char **ret_devpath,
                     struct agent_error **err);
/* The last component of a PCI devpath as an address. */
int pci_addr_from_devpath(const char *devpath, struct pci_addr *ret);
