/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the host and the kernel hand the device code. The first byte picks: 0 a raw uevent
 * message (parsed, then tried against every kind of matcher); 1 a PCI path, SCSI address and
 * /dev path (the rest, split at NULs); anything else a CreateContainerRequest whose devices and
 * block storages go through every check, whose devices update its spec with made-up guest
 * numbers, and whose PCIDEVICE_* env vars are mapped. Nothing touches the machine.
 */
#include "base/log.h"
#include "base/util.h"
#include "devices/devspec.h"
#include "devices/pci.h"
#include "devices/uevent.h"

#include "agent.pb-c.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

static void try_matchers(const struct uevent *ev)
{
        const char *pci = "/devices/pci0000:00/0000:00:05.0/0000:01:00.0";
        struct devmatch m[7];
        int r = 0;

        r |= devmatch_blk_pci(pci, "x", &m[0]);
        r |= devmatch_blk_mmio("/dev/vda", &m[1]);
        r |= devmatch_scsi("0:1", &m[2]);
        r |= devmatch_pmem("/dev/pmem0", &m[3]);
        r |= devmatch_pci(pci, "x", &m[4]);
        r |= devmatch_vfio(3, &m[5]);
        r |= devmatch_net_pci(pci, "x", &m[6]);
        if (r != 0)
                abort();
        for (size_t i = 0; i < 7; i++) {
                (void) devmatch_test(&m[i], ev);
                devmatch_done(&m[i]);
        }
}

static void fuzz_uevent(const uint8_t *data, size_t size)
{
        struct uevent ev;

        if (uevent_parse((const char *) data, size, &ev) == 0)
                try_matchers(&ev);
        uevent_done(&ev);
}

static void fuzz_strings(const uint8_t *data, size_t size)
{
        char *s = xzalloc(size + 2);
        const char *second;
        struct pci_path p;
        struct pci_addr a;
        struct devmatch m;
        unsigned id, lun;
        char buf[PCI_PATH_STR_MAX + 1];

        /* Two strings: up to the first NUL, and what follows (both NUL-terminated). */
        memcpy(s, data, size);
        second = s + strlen(s) + 1;
        if (pci_path_parse(s, &p) == 0)
                pci_path_format(&p, buf, sizeof(buf));
        if (pci_addr_parse(s, &a) == 0)
                pci_addr_format(&a, buf, sizeof(buf));
        (void) devices_parse_scsi_addr(s, &id, &lun);
        (void) devices_dev_path_valid(s);
        if (devmatch_scsi(s, &m) == 0)
                devmatch_done(&m);
        if (devmatch_blk_mmio(s, &m) == 0)
                devmatch_done(&m);
        if ((size_t) (second - s) <= size && devmatch_blk_pci(second, s, &m) == 0)
                devmatch_done(&m);
        free(s);
}

static void fuzz_request(const uint8_t *data, size_t size)
{
        Grpc__CreateContainerRequest *req =
                grpc__create_container_request__unpack(NULL, size, data);
        struct cgroup_device_rule *rules = NULL;
        struct pci_map_entry map[2] = { { { 0, 0x3b, 0, 1 }, { 0, 1, 0, 0 } },
                                        { { 0, 0x3b, 0, 2 }, { 0, 5, 0, 0 } } };
        struct agent_error *err = NULL;
        size_t n = 0;

        if (!req)
                return;
        (void) devices_check_list(req->devices, req->n_devices, &err);
        agent_error_freep(&err);
        for (size_t i = 0; i < req->n_storages; i++) {
                if (devices_storage_is_block(req->storages[i]))
                        (void) devices_check_block_storage(req->storages[i], &err);
                agent_error_freep(&err);
        }
        for (size_t i = 0; i < req->n_devices; i++) {
                (void) devices_update_spec(req->oci, req->devices[i]->container_path, 'b',
                                           (int64_t) i, 0, i % 2 ? "/dev/vfio/1" : NULL, &rules, &n,
                                           &err);
                agent_error_freep(&err);
        }
        if (req->oci && req->oci->process)
                devices_update_env_pci(req->oci->process->env, req->oci->process->n_env, map, 2);
        free(rules);
        grpc__create_container_request__free_unpacked(req, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool init;

        if (!init) {
                log_set_sink(quiet, NULL);
                init = true;
        }
        if (size < 1)
                return 0;
        if (data[0] == 0)
                fuzz_uevent(data + 1, size - 1);
        else if (data[0] == 1)
                fuzz_strings(data + 1, size - 1);
        else
                fuzz_request(data + 1, size - 1);
        return 0;
}
