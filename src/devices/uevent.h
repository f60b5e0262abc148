/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Kernel uevents (NETLINK_KOBJECT_UEVENT, multicast group 1) and the matchers that say which
 * event a device request waits for. Pure: unit-tested and fuzzed.
 *
 * A kernel message is "ACTION@DEVPATH\0KEY=VALUE\0...". Only the keys a wait looks at are kept
 * (ACTION, DEVPATH, DEVNAME, SUBSYSTEM, SEQNUM, INTERFACE), as in the Rust agent.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's UEVENT_BUFFER_SIZE is 2048; newer kernels allow more environment. Anything
 * longer than this is dropped, never truncated into a wrong event. */
#define UEVENT_MSG_MAX 8192

struct uevent {
        char *action;    /* "add", "remove", "change", "bind", "online"... */
        char *devpath;   /* "/devices/pci0000:00/0000:00:02.0/virtio1/block/vda" */
        char *devname;   /* "vda" (devtmpfs node below /dev), may be "" */
        char *subsystem; /* "block", "pci", "net", "vfio", "memory"... */
        char *interface; /* network interface name, may be "" */
        uint64_t seqnum;
};

/* Parses one message. Returns 0, or -EINVAL for anything that is not a kernel uevent (no
 * `@` header, no ACTION or DEVPATH, an ACTION or DEVPATH disagreeing with the header, a DEVPATH
 * not starting with `/`, embedded control characters). Free with uevent_done() (also after a
 * failure). */
int uevent_parse(const char *buf, size_t len, struct uevent *ret);
void uevent_done(struct uevent *ev);
void uevent_copy(struct uevent *dst, const struct uevent *src);

/* ---- matchers ---- */

enum devmatch_kind {
        DEVMATCH_BLK_PCI,  /* virtio-blk below a PCI device: <pci>/virtioN/block/<name> */
        DEVMATCH_BLK_MMIO, /* virtio-mmio block: .../block/<name> */
        DEVMATCH_SCSI,     /* .../0:0:<id>:<lun>/block/<name> */
        DEVMATCH_PMEM,     /* /devices/LNXSYSTM.../block/pmemN (ACPI NFIT) */
        DEVMATCH_PCI,      /* the PCI device itself */
        DEVMATCH_VFIO,     /* /devices/virtual/vfio/<group> */
        DEVMATCH_NET_PCI,  /* a net device below a PCI device */
};

struct devmatch {
        enum devmatch_kind kind;
        char *path; /* BLK_PCI, PCI, NET_PCI: the PCI device's devpath; SCSI: "0:0:<id>:<lun>";
                     * VFIO: the group's devpath */
        char *name; /* BLK_MMIO, PMEM: the expected DEVNAME */
        char *what; /* for messages: "virtio-blk at PCI path `02/00`" */
};

bool devmatch_test(const struct devmatch *m, const struct uevent *ev);
void devmatch_done(struct devmatch *m);

/* Constructors. Each checks its input and returns -EINVAL on nonsense. */
int devmatch_blk_pci(const char *pci_devpath, const char *what, struct devmatch *ret);
/* dev_path: "/dev/vdb" */
int devmatch_blk_mmio(const char *dev_path, struct devmatch *ret);
int devmatch_pmem(const char *dev_path, struct devmatch *ret);
/* scsi_addr: "<id>:<lun>", decimal, id < 256, lun < 16384 (Kata's addresses). */
int devmatch_scsi(const char *scsi_addr, struct devmatch *ret);
int devmatch_pci(const char *pci_devpath, const char *what, struct devmatch *ret);
int devmatch_vfio(unsigned group, struct devmatch *ret);
int devmatch_net_pci(const char *pci_devpath, const char *what, struct devmatch *ret);

/* "<id>:<lun>" -> numbers; -EINVAL when malformed. */
int devices_parse_scsi_addr(const char *s, unsigned *ret_id, unsigned *ret_lun);
/* "/dev/<name>" with name one component of [A-Za-z0-9._-] (at most 64 bytes). */
bool devices_dev_path_valid(const char *path);
