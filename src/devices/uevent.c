/* SPDX-License-Identifier: Apache-2.0 */
/* Uevent messages and matchers (pure). */
#include "devices/uevent.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void uevent_done(struct uevent *ev)
{
        free(ev->action);
        free(ev->devpath);
        free(ev->devname);
        free(ev->subsystem);
        free(ev->interface);
        *ev = (struct uevent){ 0 };
}

void uevent_copy(struct uevent *dst, const struct uevent *src)
{
        dst->action = xstrdup(src->action ? src->action : "");
        dst->devpath = xstrdup(src->devpath ? src->devpath : "");
        dst->devname = xstrdup(src->devname ? src->devname : "");
        dst->subsystem = xstrdup(src->subsystem ? src->subsystem : "");
        dst->interface = xstrdup(src->interface ? src->interface : "");
        dst->seqnum = src->seqnum;
}

static bool printable(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

static void set_field(char **field, const char *v, size_t n)
{
        free(*field);
        *field = xstrndup(v, n);
}

static int parse_pair(struct uevent *ev, const char *kv, size_t n)
{
        const char *eq = memchr(kv, '=', n);
        size_t klen, vlen;
        const char *v;
        uint64_t seq;

        if (!eq)
                return 0; /* the kernel never sends these; ignore rather than fail */
        klen = (size_t) (eq - kv);
        v = eq + 1;
        vlen = n - klen - 1;
#define KEY(name) (klen == sizeof(name) - 1 && memcmp(kv, name, klen) == 0)
        if (KEY("ACTION")) {
                if (ev->action && (strlen(ev->action) != vlen || memcmp(ev->action, v, vlen)))
                        return -EINVAL;
        } else if (KEY("DEVPATH")) {
                if (ev->devpath && (strlen(ev->devpath) != vlen || memcmp(ev->devpath, v, vlen)))
                        return -EINVAL;
        } else if (KEY("DEVNAME")) {
                set_field(&ev->devname, v, vlen);
        } else if (KEY("SUBSYSTEM")) {
                set_field(&ev->subsystem, v, vlen);
        } else if (KEY("INTERFACE")) {
                set_field(&ev->interface, v, vlen);
        } else if (KEY("SEQNUM")) {
                _cleanup_free_ char *s = xstrndup(v, vlen);
                if (parse_u64(s, 10, &seq) < 0)
                        return -EINVAL;
                ev->seqnum = seq;
        }
#undef KEY
        return 0;
}

int uevent_parse(const char *buf, size_t len, struct uevent *ret)
{
        const char *end = buf + len, *p = buf, *at;
        size_t n;
        int r;

        *ret = (struct uevent){ 0 };
        if (len == 0 || len > UEVENT_MSG_MAX)
                return -EINVAL;
        n = strnlen(p, len);
        at = memchr(p, '@', n);
        if (!at || at == p || !printable(p, n))
                return -EINVAL;
        ret->action = xstrndup(p, (size_t) (at - p));
        ret->devpath = xstrndup(at + 1, n - (size_t) (at - p) - 1);
        if (ret->devpath[0] != '/' || strstr(ret->devpath, "/../") || strchr(ret->action, '/'))
                goto fail;
        p += n + 1;
        while (p < end) {
                n = strnlen(p, (size_t) (end - p));
                if (n > 0 && (!printable(p, n) || (r = parse_pair(ret, p, n)) < 0))
                        goto fail;
                p += n + 1;
        }
        if (!ret->devname)
                ret->devname = xstrdup("");
        if (!ret->subsystem)
                ret->subsystem = xstrdup("");
        if (!ret->interface)
                ret->interface = xstrdup("");
        if (strchr(ret->devname, '.') == ret->devname || strstr(ret->devname, ".."))
                goto fail; /* DEVNAME names a node below /dev */
        return 0;
fail:
        uevent_done(ret);
        return -EINVAL;
}

/* ---- matchers ---- */

void devmatch_done(struct devmatch *m)
{
        free(m->path);
        free(m->name);
        free(m->what);
        *m = (struct devmatch){ 0 };
}

static bool all_digits(const char *s, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char) s[i]))
                        return false;
        return true;
}

/* devpath == prefix "/" "virtio" N "/block/" NAME, NAME one component. */
static bool blk_pci_match(const char *prefix, const char *devpath)
{
        size_t plen = strlen(prefix);
        const char *p, *slash;

        if (strncmp(devpath, prefix, plen) != 0 || !startswith(devpath + plen, "/virtio"))
                return false;
        p = devpath + plen + strlen("/virtio");
        slash = strchr(p, '/');
        if (!slash || !all_digits(p, (size_t) (slash - p)) || !startswith(slash, "/block/"))
                return false;
        p = slash + strlen("/block/");
        return *p && !strchr(p, '/');
}

static bool ends_with_block(const char *devpath, const char *name)
{
        size_t n = strlen(devpath), k = strlen(name);

        return n > k + 7 && memcmp(devpath + n - k, name, k) == 0 &&
               memcmp(devpath + n - k - 7, "/block/", 7) == 0;
}

static bool scsi_match(const struct devmatch *m, const struct uevent *ev)
{
        const char *blk = strstr(ev->devpath, "/block/");
        size_t plen = strlen(m->path);

        if (!streq(ev->action, "add") || !blk || (size_t) (blk - ev->devpath) < plen + 1)
                return false;
        /* The component before /block/ is exactly "0:0:<id>:<lun>". */
        if (blk[-(long) plen - 1] != '/' || memcmp(blk - plen, m->path, plen) != 0)
                return false;
        return streq(blk + strlen("/block/"), ev->devname);
}

bool devmatch_test(const struct devmatch *m, const struct uevent *ev)
{
        bool block = streq(ev->subsystem, "block") && *ev->devname;

        switch (m->kind) {
        case DEVMATCH_BLK_PCI:
                return block && blk_pci_match(m->path, ev->devpath);
        case DEVMATCH_BLK_MMIO:
                return block && ends_with_block(ev->devpath, m->name) &&
                       streq(ev->devname, m->name);
        case DEVMATCH_SCSI:
                return block && scsi_match(m, ev);
        case DEVMATCH_PMEM:
                return block && startswith(ev->devpath, "/devices/LNXSYSTM") &&
                       ends_with_block(ev->devpath, m->name) && streq(ev->devname, m->name);
        case DEVMATCH_PCI:
        case DEVMATCH_VFIO:
                return streq(ev->devpath, m->path);
        case DEVMATCH_NET_PCI:
                return streq(ev->subsystem, "net") && startswith(ev->devpath, m->path) &&
                       ev->devpath[strlen(m->path)] == '/' && strstr(ev->devpath, "/net/");
        }
        return false;
}

static bool pci_devpath_valid(const char *p)
{
        return p && startswith(p, "/devices/") && !strstr(p, "/../") && !strstr(p, "//") &&
               strlen(p) < 1024;
}

bool devices_dev_path_valid(const char *path)
{
        const char *name;
        size_t n;

        if (!path || !startswith(path, "/dev/"))
                return false;
        name = path + strlen("/dev/");
        n = strlen(name);
        if (n == 0 || n > 64 || name[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) name[i]) && !strchr("._-", name[i]))
                        return false;
        return true;
}

static int make(enum devmatch_kind kind, const char *path, const char *name, char *what,
                struct devmatch *ret)
{
        *ret = (struct devmatch){
                .kind = kind,
                .path = path ? xstrdup(path) : NULL,
                .name = name ? xstrdup(name) : NULL,
                .what = what,
        };
        return 0;
}

int devmatch_blk_pci(const char *pci_devpath, const char *what, struct devmatch *ret)
{
        if (!pci_devpath_valid(pci_devpath))
                return -EINVAL;
        return make(DEVMATCH_BLK_PCI, pci_devpath, NULL, xasprintf("virtio-blk device at %s", what),
                    ret);
}

int devmatch_blk_mmio(const char *dev_path, struct devmatch *ret)
{
        if (!devices_dev_path_valid(dev_path))
                return -EINVAL;
        return make(DEVMATCH_BLK_MMIO, NULL, dev_path + 5,
                    xasprintf("virtio-mmio block device `%s`", dev_path), ret);
}

int devmatch_pmem(const char *dev_path, struct devmatch *ret)
{
        if (!devices_dev_path_valid(dev_path) || !startswith(dev_path, "/dev/pmem"))
                return -EINVAL;
        return make(DEVMATCH_PMEM, NULL, dev_path + 5,
                    xasprintf("nvdimm (pmem) device `%s`", dev_path), ret);
}

int devices_parse_scsi_addr(const char *s, unsigned *ret_id, unsigned *ret_lun)
{
        const char *colon = s ? strchr(s, ':') : NULL;
        _cleanup_free_ char *id_s = NULL;
        uint64_t id, lun;

        if (!colon || strchr(colon + 1, ':') || colon - s > 5)
                return -EINVAL;
        id_s = xstrndup(s, (size_t) (colon - s));
        if (parse_u64(id_s, 10, &id) < 0 || parse_u64(colon + 1, 10, &lun) < 0 || id > 255 ||
            lun > 16383)
                return -EINVAL;
        *ret_id = (unsigned) id;
        *ret_lun = (unsigned) lun;
        return 0;
}

int devmatch_scsi(const char *scsi_addr, struct devmatch *ret)
{
        unsigned id, lun;
        char path[32];

        if (devices_parse_scsi_addr(scsi_addr, &id, &lun) < 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "0:0:%u:%u", id, lun);
        return make(DEVMATCH_SCSI, path, NULL, xasprintf("SCSI disk at address `%u:%u`", id, lun),
                    ret);
}

int devmatch_pci(const char *pci_devpath, const char *what, struct devmatch *ret)
{
        if (!pci_devpath_valid(pci_devpath))
                return -EINVAL;
        return make(DEVMATCH_PCI, pci_devpath, NULL, xasprintf("PCI device at %s", what), ret);
}

int devmatch_vfio(unsigned group, struct devmatch *ret)
{
        char path[64];

        snprintf(path, sizeof(path), "/devices/virtual/vfio/%u", group);
        return make(DEVMATCH_VFIO, path, NULL, xasprintf("VFIO group %u", group), ret);
}

int devmatch_net_pci(const char *pci_devpath, const char *what, struct devmatch *ret)
{
        if (!pci_devpath_valid(pci_devpath))
                return -EINVAL;
        return make(DEVMATCH_NET_PCI, pci_devpath, NULL, xasprintf("network device at %s", what),
                    ret);
}
