/* SPDX-License-Identifier: Apache-2.0 */
/* PCI paths, addresses, and their resolution through sysfs. */
#include "devices/pci.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT_MAX    0x1f
#define FUNC_MAX    7
#define PXB_BUS_MIN 0x20

static int parse_hex(const char *s, size_t n, size_t maxdigits, unsigned *ret)
{
        unsigned v = 0;

        if (n == 0 || n > maxdigits)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!isxdigit((unsigned char) s[i]))
                        return -EINVAL;
                v = v * 16 + (unsigned) (isdigit((unsigned char) s[i])
                                                 ? s[i] - '0'
                                                 : tolower((unsigned char) s[i]) - 'a' + 10);
        }
        *ret = v;
        return 0;
}

/* "SS" or "SS.F" in s[0..n). */
static int parse_slotfn(const char *s, size_t n, uint8_t *slot, uint8_t *func)
{
        const char *dot = memchr(s, '.', n);
        unsigned sl, fn = 0;

        if (parse_hex(s, dot ? (size_t) (dot - s) : n, 2, &sl) < 0 || sl > SLOT_MAX)
                return -EINVAL;
        if (dot && (parse_hex(dot + 1, n - (size_t) (dot - s) - 1, 1, &fn) < 0 || fn > FUNC_MAX))
                return -EINVAL;
        *slot = (uint8_t) sl;
        *func = (uint8_t) fn;
        return 0;
}

int pci_path_parse(const char *s, struct pci_path *ret)
{
        const char *p = s, *slash;
        unsigned rc;

        *ret = (struct pci_path){ 0 };
        if (!s || !*s || strlen(s) > PCI_PATH_STR_MAX)
                return -EINVAL;
        slash = strchr(s, '/');
        /* A pxb-pcie root complex: a first element that cannot be a slot, two more after it. */
        if (slash && parse_hex(s, (size_t) (slash - s), 2, &rc) == 0 && rc >= PXB_BUS_MIN &&
            strchr(slash + 1, '/')) {
                ret->root_complex = (uint8_t) rc;
                p = slash + 1;
        }
        for (;;) {
                size_t n;

                slash = strchr(p, '/');
                n = slash ? (size_t) (slash - p) : strlen(p);
                if (ret->n >= PCI_PATH_MAX_DEPTH ||
                    parse_slotfn(p, n, &ret->slot[ret->n], &ret->func[ret->n]) < 0)
                        return -EINVAL;
                ret->n++;
                if (!slash)
                        return 0;
                p = slash + 1;
        }
}

void pci_path_format(const struct pci_path *p, char *buf, size_t size)
{
        size_t off = 0;

        buf[0] = '\0';
        if (p->root_complex)
                off += (size_t) snprintf(buf, size, "%02x/", p->root_complex);
        for (unsigned i = 0; i < p->n && off < size; i++)
                off += (size_t) snprintf(buf + off, size - off, "%s%02x.%x", i ? "/" : "",
                                         p->slot[i], p->func[i]);
}

int pci_path_from_slots(const uint32_t *slots, size_t n, struct pci_path *ret)
{
        *ret = (struct pci_path){ 0 };
        if (n == 0 || n > PCI_PATH_MAX_DEPTH)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (slots[i] > SLOT_MAX)
                        return -EINVAL;
                ret->slot[i] = (uint8_t) slots[i];
        }
        ret->n = (unsigned) n;
        return 0;
}

int pci_addr_parse(const char *s, struct pci_addr *ret)
{
        const char *c1 = s ? strchr(s, ':') : NULL, *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        unsigned dom, bus;

        if (!c2 || strchr(c2 + 1, ':') || parse_hex(s, (size_t) (c1 - s), 4, &dom) < 0 ||
            parse_hex(c1 + 1, (size_t) (c2 - c1 - 1), 2, &bus) < 0 ||
            parse_slotfn(c2 + 1, strlen(c2 + 1), &ret->slot, &ret->func) < 0)
                return -EINVAL;
        ret->domain = (uint16_t) dom;
        ret->bus = (uint8_t) bus;
        return 0;
}

void pci_addr_format(const struct pci_addr *a, char *buf, size_t size)
{
        snprintf(buf, size, "%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->func);
}

bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b)
{
        return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot &&
               a->func == b->func;
}

void pci_root_bus_devpath(uint8_t root_complex, char *buf, size_t size)
{
        snprintf(buf, size, "/devices/pci0000:%02x", root_complex);
}

int pci_addr_from_devpath(const char *devpath, struct pci_addr *ret)
{
        const char *last = strrchr(devpath, '/');

        return last ? pci_addr_parse(last + 1, ret) : -EINVAL;
}

/* "DDDD:BB" */
static int parse_bus(const char *name, unsigned *ret_domain, unsigned *ret_bus)
{
        const char *c = strchr(name, ':');

        if (!c || parse_hex(name, (size_t) (c - name), 4, ret_domain) < 0 ||
            parse_hex(c + 1, strlen(c + 1), 2, ret_bus) < 0)
                return -EINVAL;
        return 0;
}

/* The bus behind the bridge at dir: pci_bus/ holds exactly one "DDDD:BB"; without it (some
 * kernels, fake trees) the children's addresses must agree on one bus. */
static int bridge_bus(const char *dir, unsigned *ret_domain, unsigned *ret_bus)
{
        _cleanup_free_ char *busdir = xasprintf("%s/pci_bus", dir);
        DIR *d = opendir(busdir);
        struct dirent *de;
        int found = 0;
        bool children = false;

        if (!d) {
                children = true;
                d = opendir(dir);
        }
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                struct pci_addr a;
                unsigned dom, bus;

                if (de->d_name[0] == '.')
                        continue;
                if (children) {
                        if (pci_addr_parse(de->d_name, &a) < 0)
                                continue;
                        dom = a.domain;
                        bus = a.bus;
                } else if (parse_bus(de->d_name, &dom, &bus) < 0) {
                        continue;
                }
                if (found && (dom != *ret_domain || bus != *ret_bus)) {
                        found = -ENOTUNIQ;
                        break;
                }
                *ret_domain = dom;
                *ret_bus = bus;
                found = 1;
        }
        closedir(d);
        return found == 0 ? -ENOENT : found < 0 ? found : 0;
}

int pci_path_resolve(const char *sysfs_root, const struct pci_path *p, char **ret_devpath,
                     struct agent_error **err)
{
        char root[64], pathbuf[PCI_PATH_STR_MAX + 1];
        _cleanup_free_ char *devpath = NULL;
        unsigned domain = 0, bus = 0;
        int r;

        *ret_devpath = NULL;
        if (p->n == 0 || p->n > PCI_PATH_MAX_DEPTH)
                return agent_error_setf(err, EINVAL, "empty PCI path");
        pci_root_bus_devpath(p->root_complex, root, sizeof(root));
        bus = p->root_complex;
        devpath = xstrdup(root);
        for (unsigned i = 0; i < p->n; i++) {
                char *next = xasprintf("%s/%04x:%02x:%02x.%x", devpath, domain, bus, p->slot[i],
                                       p->func[i]);
                free(devpath);
                devpath = next;
                if (i + 1 == p->n)
                        break;
                _cleanup_free_ char *dir = xasprintf("%s%s", sysfs_root, devpath);
                r = bridge_bus(dir, &domain, &bus);
                if (r < 0) {
                        pci_path_format(p, pathbuf, sizeof(pathbuf));
                        return agent_error_set(err, -r == ENOENT ? ENODEV : -r,
                                               "PCI path `%s`: element %u (`%s`): no bus behind "
                                               "it",
                                               pathbuf, i, devpath);
                }
        }
        *ret_devpath = TAKE_PTR(devpath);
        return 0;
}
