/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The pure half of CreateContainer's devices: request checks and what a found device changes in
 * the container's spec. Unit-tested and fuzzed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "devices/pci.h"
#include "engine/cgroup.h"

#include "agent.pb-c.h"

#define DEVICES_MAX_PER_REQUEST 64
#define DEVICES_MAX_OPTIONS     16
#define DEVICES_MAX_FIELD       4096

enum device_type {
        DEVICE_UNKNOWN = 0,
        DEVICE_BLK,
        DEVICE_MMIOBLK,
        DEVICE_SCSI,
        DEVICE_NVDIMM,
        DEVICE_VFIO_PCI,
        DEVICE_VFIO_PCI_GK,
        DEVICE_VFIO_AP, /* vfio-ap, vfio-ap-cold: s390x only */
        DEVICE_BLK_CCW, /* s390x only */
};
enum device_type device_type_from_name(const char *name);
/* The device types this build handles (GetGuestDetails), NULL-terminated. */
const char *const *devices_handlers(void);

/* Kata's block storage driver options. */
#define DEVICES_DOPT_CREATE_FS  "create_filesystem"
#define DEVICES_DOPT_ENCRYPTION "encryption_key="

/* A Device entry: type known and supported here, id or vm_path, container_path absolute,
 * per-type syntax (PCI path, SCSI address, /dev path, VFIO options), bounded sizes. */
int devices_check_device(const Grpc__Device *d, struct agent_error **err);
int devices_check_list(Grpc__Device *const *list, size_t n, struct agent_error **err);
/* A block storage's source for its driver (blk: /dev path or PCI path; mmioblk and nvdimm:
 * /dev path; scsi: address), and driver options (create_filesystem needs ext4; an encryption
 * key is refused: this agent has no confidential data hub to honour it). */
int devices_check_block_storage(const Grpc__Storage *s, struct agent_error **err);
bool devices_storage_is_block(const Grpc__Storage *s);
bool devices_storage_create_fs(const Grpc__Storage *s);

/* One "<host BDF>=<guest PCI path>" VFIO option; the guest path may be empty (no guest side). */
int devices_parse_vfio_option(const char *opt, struct pci_addr *ret_host,
                              struct pci_path *ret_guest, bool *ret_has_guest);

/* What a found device does to the spec: the linux.devices entry at container_path gets the
 * guest type/major/minor (and final_path when set), resources.devices rules naming its host
 * numbers follow, and an exact allow rule goes to *rules (exact: the wire cannot tell minor 0
 * from "any"). -ENOENT (err set) when no linux.devices entry has that path. */
int devices_update_spec(Grpc__Spec *spec, const char *container_path, char type, int64_t major,
                        int64_t minor, const char *final_path, struct cgroup_device_rule **rules,
                        size_t *n_rules, struct agent_error **err);

/* PCIDEVICE_<name>=<host BDF>[,...] -> guest BDFs, and the matching PCIDEVICE_<name>_INFO
 * values. Entries that are not all PCI addresses, or name a host address not in the map, stay
 * as they are (as in the Rust agent). */
struct pci_map_entry {
        struct pci_addr host, guest;
};
void devices_update_env_pci(char **env, size_t n_env, const struct pci_map_entry *map,
                            size_t n_map);
