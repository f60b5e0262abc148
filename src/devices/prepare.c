/* SPDX-License-Identifier: Apache-2.0 */
/* Waiting for a request's devices, mkfs, and rewriting the request once they are there. */
#include "devices/prepare.h"
#include "agent/agent.h"
#include "agent/command.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "devices/devices.h"
#include "devices/devspec.h"
#include "rpc/call.h"
#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MKFS_TIMEOUT_NS (10ull * 60 * 1000000000)
#define MKFS_OUTPUT_MAX 4096

enum item_kind {
        ITEM_STORAGE,    /* a block storage's device */
        ITEM_DEVICE,     /* a devices entry's node */
        ITEM_VFIO_PCI,   /* one guest PCI device of a VFIO entry */
        ITEM_VFIO_GROUP, /* /dev/vfio/<group> of a vfio-pci entry */
};

struct item {
        struct prep *p;
        enum item_kind kind;
        size_t index; /* storage or device */
        struct devices_wait *w;
        char *dev_path; /* found: "/dev/vda" */
        struct pci_addr host, guest;
        char *pci_devpath; /* ITEM_VFIO_PCI: the guest device's devpath, once found */
};

struct prep {
        struct agent *a;
        struct rpc_call *call;
        struct list_node parked;
        Grpc__Storage **storages;
        size_t n_storages;
        Grpc__Device **devices;
        size_t n_devices;
        Grpc__Spec *spec;
        struct item *items;
        size_t n_items;
        size_t pending;
        bool groups_started;
        struct command *mkfs;
        size_t mkfs_next;
        devices_prepared_fn fn;
        char *label; /* "container `abc`", prefixed to errors answered later */
};

static void prep_free(struct prep *p)
{
        for (size_t i = 0; i < p->n_items; i++) {
                devices_wait_cancel(p->items[i].w);
                free(p->items[i].dev_path);
                free(p->items[i].pci_devpath);
        }
        command_abandon(p->mkfs);
        free(p->items);
        free(p->label);
        free(p);
}

static struct item *item_add(struct prep *p, enum item_kind kind, size_t index)
{
        struct item *it;

        p->items = xrealloc(p->items, (p->n_items + 1) * sizeof(*p->items));
        it = &p->items[p->n_items++];
        *it = (struct item){ .p = p, .kind = kind, .index = index };
        return it;
}

/* The call leaves the park; fn or the error answers it. */
static void prep_fail(struct prep *p, struct agent_error *err)
{
        struct rpc_call *call = p->call;

        if (p->label)
                agent_error_wrap(&err, "%s", p->label);
        rpc_call_unpark(call);
        prep_free(p);
        rpc_call_reply_error(call, err);
        agent_error_free(err);
}

/* ---- the end: rewrite the request ---- */

static int stat_node(const char *path, char *type, int64_t *major, int64_t *minor,
                     struct agent_error **err)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return agent_error_set(err, errno, "device `%s`", path);
        if (!S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode))
                return agent_error_setf(err, ENOTBLK, "`%s` is not a device node", path);
        *type = S_ISBLK(st.st_mode) ? 'b' : 'c';
        *major = major(st.st_rdev);
        *minor = minor(st.st_rdev);
        return 0;
}

static int apply_device(struct prep *p, const struct item *it, struct cgroup_device_rule **rules,
                        size_t *n_rules, struct agent_error **err)
{
        const Grpc__Device *d = p->devices[it->index];
        bool vfio = it->kind == ITEM_VFIO_GROUP;
        int64_t major = 0, minor = 0;
        char type = 0;
        int r;

        r = stat_node(it->dev_path, &type, &major, &minor, err);
        if (r >= 0)
                r = devices_update_spec(p->spec, d->container_path, type, major, minor,
                                        vfio ? it->dev_path : NULL, rules, n_rules, err);
        if (r < 0)
                return agent_error_wrap(err, "device `%s` (type `%s`)", d->container_path, d->type);
        return 0;
}

static void prep_finish(struct prep *p)
{
        _cleanup_free_ struct cgroup_device_rule *rules = NULL;
        _cleanup_free_ struct pci_map_entry *map = NULL;
        struct agent_error *err = NULL;
        size_t n_rules = 0, n_map = 0;
        struct rpc_call *call = p->call;
        devices_prepared_fn fn = p->fn;

        map = xzalloc((p->n_items + 1) * sizeof(*map));
        for (size_t i = 0; i < p->n_items; i++) {
                struct item *it = &p->items[i];
                if (it->kind == ITEM_STORAGE) {
                        Grpc__Storage *s = p->storages[it->index];
                        free(s->source);
                        s->source = xstrdup(it->dev_path);
                } else if (it->kind == ITEM_VFIO_PCI) {
                        map[n_map++] = (struct pci_map_entry){ it->host, it->guest };
                } else if (apply_device(p, it, &rules, &n_rules, &err) < 0) {
                        prep_fail(p, err);
                        return;
                }
        }
        if (n_map && p->spec && p->spec->process)
                devices_update_env_pci(p->spec->process->env, p->spec->process->n_env, map, n_map);
        if (!list_empty(&p->parked))
                rpc_call_unpark(call);
        prep_free(p);
        fn(call, rules, n_rules);
}

/* ---- mkfs ---- */

static const char *find_mkfs(void)
{
        static const char *const candidates[] = { "/sbin/mkfs.ext4", "/usr/sbin/mkfs.ext4",
                                                  "/bin/mkfs.ext4", "/usr/bin/mkfs.ext4" };

        for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
                if (access(candidates[i], X_OK) == 0)
                        return candidates[i];
        return NULL;
}

static void mkfs_next(struct prep *p);

static void mkfs_done(const struct command_result *res, void *userdata)
{
        struct prep *p = userdata;
        struct agent_error *err = NULL;

        p->mkfs = NULL;
        if (res->timed_out || res->status != 0) {
                _cleanup_free_ char *why = command_result_text(res);
                agent_error_setf(&err, EIO, "storage `%s`: mkfs.ext4 on `%s` %s",
                                 p->storages[p->mkfs_next - 1]->mount_point,
                                 p->storages[p->mkfs_next - 1]->source, why);
                prep_fail(p, err);
                return;
        }
        mkfs_next(p);
}

/* One at a time, in request order (after the sources were rewritten). */
static void mkfs_next(struct prep *p)
{
        struct agent_error *err = NULL;

        while (p->mkfs_next < p->n_storages) {
                Grpc__Storage *s = p->storages[p->mkfs_next++];
                const char *mkfs = find_mkfs();
                /* Kata's options for a fresh block emptyDir: no journal, no reserve, few
                 * inodes. */
                const char *argv[] = {
                        "mkfs.ext4", "-F",     "-O", "^has_journal", "-m",      "0",
                        "-i",        "163840", "-I", "128",          s->source, NULL
                };
                int r;

                if (!devices_storage_is_block(s) || !devices_storage_create_fs(s) ||
                    storage_find(p->a, s->mount_point))
                        continue;
                if (!mkfs) {
                        agent_error_setf(&err, ENOENT,
                                         "storage `%s`: `%s` asks for a file system and the "
                                         "guest has no mkfs.ext4",
                                         s->mount_point, DEVICES_DOPT_CREATE_FS);
                        prep_fail(p, err);
                        return;
                }
                log_info("storage `%s`: creating an ext4 file system on `%s`", s->mount_point,
                         s->source);
                struct command_spec spec = { .path = mkfs,
                                             .argv = argv,
                                             .out_max = MKFS_OUTPUT_MAX,
                                             .timeout_ns = MKFS_TIMEOUT_NS };
                r = command_start(p->a, &spec, mkfs_done, p, &p->mkfs, &err);
                if (r < 0) {
                        agent_error_wrap(&err, "storage `%s`", s->mount_point);
                        prep_fail(p, err);
                }
                return;
        }
        prep_finish(p);
}

/* Sources rewritten early so mkfs sees the device path; prep_finish does it again (same
 * value). */
static void all_found(struct prep *p)
{
        for (size_t i = 0; i < p->n_items; i++)
                if (p->items[i].kind == ITEM_STORAGE) {
                        Grpc__Storage *s = p->storages[p->items[i].index];
                        free(s->source);
                        s->source = xstrdup(p->items[i].dev_path);
                }
        mkfs_next(p);
}

/* ---- VFIO ---- */

static int sysfs_write(const char *path, const char *value)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        return write(fd, value, strlen(value)) < 0 ? -errno : 0;
}

/* Binds the guest device to vfio-pci (driver_override, unbind, probe) and reads its IOMMU
 * group. */
static int vfio_bind(struct prep *p, const struct item *it, unsigned *ret_group,
                     struct agent_error **err)
{
        const char *sys = devices_sysfs(p->a);
        char bdf[32], target[256];
        _cleanup_free_ char *dev = NULL, *file = NULL;
        const char *slash;
        ssize_t n;
        uint64_t g;
        int r;

        pci_addr_format(&it->guest, bdf, sizeof(bdf));
        dev = xasprintf("%s/bus/pci/devices/%s", sys, bdf);
        file = xasprintf("%s/driver_override", dev);
        r = sysfs_write(file, "vfio-pci");
        if (r < 0)
                return agent_error_set(err, -r, "write `%s`", file);
        free(file);
        file = xasprintf("%s/driver/unbind", dev);
        if ((r = sysfs_write(file, bdf)) < 0 && r != -ENOENT)
                return agent_error_set(err, -r, "unbind `%s`", bdf);
        free(file);
        file = xasprintf("%s/bus/pci/drivers_probe", sys);
        if ((r = sysfs_write(file, bdf)) < 0)
                return agent_error_set(err, -r, "probe `%s` with vfio-pci", bdf);
        free(file);
        file = xasprintf("%s/iommu_group", dev);
        n = readlink(file, target, sizeof(target) - 1);
        if (n <= 0)
                return agent_error_setf(err, ENODEV, "`%s` has no IOMMU group", bdf);
        target[n] = '\0';
        slash = strrchr(target, '/');
        if (parse_u64(slash ? slash + 1 : target, 10, &g) < 0 || g > UINT32_MAX)
                return agent_error_setf(err, EINVAL, "`%s`: IOMMU group `%s`", bdf, target);
        *ret_group = (unsigned) g;
        return 0;
}

static void item_found(struct devices_wait *w, const struct uevent *ev, void *userdata);

static int start_wait(struct prep *p, struct item *it, struct devmatch *m, bool rescan,
                      struct agent_error **err)
{
        char what[256];
        int r;

        snprintf(what, sizeof(what), "%s", m->what);
        r = devices_wait(p->a, m, rescan, item_found, it, &it->w);
        if (r < 0)
                return agent_error_set(err, -r, "wait for %s", what);
        p->pending++;
        return 0;
}

/* Every guest PCI device of the VFIO entries is there: bind, one group per entry, wait for its
 * /dev/vfio node. */
static int start_groups(struct prep *p, struct agent_error **err)
{
        size_t n = p->n_items;

        p->groups_started = true;
        for (size_t d = 0; d < p->n_devices; d++) {
                bool have = false;
                unsigned group = 0;

                if (device_type_from_name(p->devices[d]->type) != DEVICE_VFIO_PCI)
                        continue;
                for (size_t i = 0; i < n; i++) {
                        unsigned g = 0;
                        if (p->items[i].kind != ITEM_VFIO_PCI || p->items[i].index != d)
                                continue;
                        if (vfio_bind(p, &p->items[i], &g, err) < 0)
                                return agent_error_wrap(err, "device `%s`",
                                                        p->devices[d]->container_path);
                        if (have && g != group)
                                return agent_error_setf(err, EINVAL,
                                                        "device `%s`: its PCI devices are in "
                                                        "IOMMU groups %u and %u",
                                                        p->devices[d]->container_path, group, g);
                        have = true;
                        group = g;
                }
                if (!have)
                        return agent_error_setf(err, EINVAL,
                                                "device `%s`: no guest PCI path, no VFIO group",
                                                p->devices[d]->container_path);
                struct devmatch m;
                struct item *it = item_add(p, ITEM_VFIO_GROUP, d);
                (void) devmatch_vfio(group, &m);
                if (start_wait(p, it, &m, false, err) < 0)
                        return -EIO;
        }
        return 0;
}

static void progress(struct prep *p)
{
        struct agent_error *err = NULL;
        bool vfio = false;

        if (p->pending > 0)
                return;
        for (size_t d = 0; d < p->n_devices; d++)
                vfio |= device_type_from_name(p->devices[d]->type) == DEVICE_VFIO_PCI;
        if (vfio && !p->groups_started) {
                if (start_groups(p, &err) < 0) {
                        prep_fail(p, err);
                        return;
                }
                if (p->pending > 0)
                        return;
        }
        all_found(p);
}

static void item_found(struct devices_wait *w, const struct uevent *ev, void *userdata)
{
        struct item *it = userdata;
        struct prep *p = it->p;
        struct agent_error *err = NULL;

        it->w = NULL;
        p->pending--;
        if (!ev) {
                agent_error_setf(&err, ETIMEDOUT, "timed out after %llu ms waiting for %s",
                                 (unsigned long long) (p->a->config.hotplug_timeout_ns / 1000000),
                                 devices_wait_what(w));
                /* The wait is freed after we return: cancel the others, answer now. */
                prep_fail(p, err);
                return;
        }
        if (it->kind == ITEM_VFIO_PCI) {
                it->pci_devpath = xstrdup(ev->devpath);
                (void) pci_addr_from_devpath(ev->devpath, &it->guest);
        } else {
                it->dev_path = xasprintf("/dev/%s", ev->devname);
        }
        progress(p);
}

/* ---- starting ---- */

static int pci_match(struct prep *p, const char *pci_path, bool block, struct devmatch *m,
                     struct agent_error **err)
{
        _cleanup_free_ char *devpath = NULL;
        struct pci_path pp;
        char what[PCI_PATH_STR_MAX + 32];
        int r;

        if (pci_path_parse(pci_path, &pp) < 0)
                return agent_error_setf(err, EINVAL, "invalid PCI path `%s`", pci_path);
        r = pci_path_resolve(devices_sysfs(p->a), &pp, &devpath, err);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "PCI path `%s`", pci_path);
        r = block ? devmatch_blk_pci(devpath, what, m) : devmatch_pci(devpath, what, m);
        return r < 0 ? agent_error_setf(err, EINVAL, "invalid PCI path `%s`", pci_path) : 0;
}

static void scsi_scan(struct prep *p, const char *addr)
{
        _cleanup_free_ char *dir = xasprintf("%s/class/scsi_host", devices_sysfs(p->a));
        _cleanup_free_ char *value = NULL;
        unsigned id, lun;
        DIR *d;
        struct dirent *de;

        if (devices_parse_scsi_addr(addr, &id, &lun) < 0 || !(d = opendir(dir)))
                return;
        value = xasprintf("0 %u %u", id, lun);
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *scan = xasprintf("%s/%s/scan", dir, de->d_name);
                devices_write_child(p->a, scan, value);
        }
        closedir(d);
}

/* The wait (or none) for one block device given as driver + source. */
static int block_wait(struct prep *p, struct item *it, enum device_type t, const char *source,
                      struct agent_error **err)
{
        struct devmatch m;
        int r;

        if (startswith(source, "/dev/") && (t == DEVICE_BLK || t == DEVICE_SCSI ||
                                            (t == DEVICE_MMIOBLK && access(source, F_OK) == 0))) {
                it->dev_path = xstrdup(source);
                return 0;
        }
        switch (t) {
        case DEVICE_BLK:
                r = pci_match(p, source, true, &m, err);
                if (r < 0)
                        return r;
                return start_wait(p, it, &m, true, err);
        case DEVICE_MMIOBLK:
                (void) devmatch_blk_mmio(source, &m);
                return start_wait(p, it, &m, false, err);
        case DEVICE_NVDIMM:
                (void) devmatch_pmem(source, &m);
                return start_wait(p, it, &m, false, err);
        case DEVICE_SCSI:
                if (devmatch_scsi(source, &m) < 0)
                        return agent_error_setf(err, EINVAL, "invalid SCSI address `%s`", source);
                r = start_wait(p, it, &m, false, err);
                if (r >= 0)
                        scsi_scan(p, source);
                return r;
        case DEVICE_VFIO_PCI:
        case DEVICE_VFIO_PCI_GK:
        case DEVICE_VFIO_AP:
        case DEVICE_BLK_CCW:
        case DEVICE_UNKNOWN:
                break;
        }
        return agent_error_setf(err, EOPNOTSUPP, "no block device handler");
}

static int start_device(struct prep *p, size_t i, struct agent_error **err)
{
        const Grpc__Device *d = p->devices[i];
        enum device_type t = device_type_from_name(d->type);
        struct item *it;

        if (t == DEVICE_VFIO_PCI || t == DEVICE_VFIO_PCI_GK) {
                for (size_t k = 0; k < d->n_options; k++) {
                        struct pci_path guest;
                        struct devmatch m;
                        bool has_guest;
                        int r;

                        (void) devices_parse_vfio_option(d->options[k], &(struct pci_addr){ 0 },
                                                         &guest, &has_guest);
                        if (!has_guest)
                                continue; /* as Kata: nothing to do in the guest */
                        it = item_add(p, ITEM_VFIO_PCI, i);
                        (void) devices_parse_vfio_option(d->options[k], &it->host, &guest,
                                                         &has_guest);
                        r = pci_match(p, strchr(d->options[k], '=') + 1, false, &m, err);
                        if (r < 0 || (r = start_wait(p, it, &m, true, err)) < 0)
                                return r;
                }
                return 0;
        }
        it = item_add(p, ITEM_DEVICE, i);
        return block_wait(p, it, t,
                          t == DEVICE_BLK && *d->id ? d->id
                          : t == DEVICE_SCSI        ? d->id
                                                    : d->vm_path,
                          err);
}

static void prep_cancel(struct rpc_call *call, void *data)
{
        /* The call is parked on a list head inside the prep: off it before the prep goes. */
        list_del(&call->park_node);
        prep_free(data);
}

static int check_all(Grpc__Storage **storages, size_t n_storages, Grpc__Device **devices,
                     size_t n_devices, struct agent_error **err)
{
        int r = devices_check_list(devices, n_devices, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n_storages; i++) {
                if (!devices_storage_is_block(storages[i]))
                        continue;
                r = devices_check_block_storage(storages[i], err);
                if (r < 0)
                        return agent_error_wrap(err, "storage %zu (`%s`)", i,
                                                storages[i]->mount_point);
        }
        return 0;
}

int devices_prepare(struct agent *a, struct rpc_call *call, Grpc__Storage **storages,
                    size_t n_storages, Grpc__Device **devices, size_t n_devices, Grpc__Spec *spec,
                    const char *label, devices_prepared_fn fn, struct agent_error **err)
{
        struct prep *p;
        int r;

        r = check_all(storages, n_storages, devices, n_devices, err);
        if (r < 0)
                return r;
        p = xzalloc(sizeof(*p));
        *p = (struct prep){ .a = a,
                            .call = call,
                            .storages = storages,
                            .n_storages = n_storages,
                            .devices = devices,
                            .n_devices = n_devices,
                            .spec = spec,
                            .fn = fn,
                            .label = label ? xstrdup(label) : NULL };
        list_init(&p->parked);
        for (size_t i = 0; r >= 0 && i < n_storages; i++) {
                Grpc__Storage *s = storages[i];
                if (!devices_storage_is_block(s) || storage_find(a, s->mount_point))
                        continue;
                r = block_wait(p, item_add(p, ITEM_STORAGE, i), device_type_from_name(s->driver),
                               s->source, err);
                if (r < 0)
                        agent_error_wrap(err, "storage `%s`", s->mount_point);
        }
        for (size_t i = 0; r >= 0 && i < n_devices; i++)
                if ((r = start_device(p, i, err)) < 0)
                        agent_error_wrap(err, "device `%s`", devices[i]->container_path);
        if (r < 0) {
                prep_free(p);
                return r;
        }
        if (p->n_items == 0) {
                prep_free(p);
                fn(call, NULL, 0);
                return 0;
        }
        r = rpc_call_park(call, &p->parked, prep_cancel, p, err);
        if (r < 0) {
                prep_free(p);
                return r;
        }
        progress(p);
        return 0;
}
