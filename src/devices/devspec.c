/* SPDX-License-Identifier: Apache-2.0 */
/* Device request checks and spec updates (pure). */
#include "devices/devspec.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "devices/uevent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
        const char *name;
        enum device_type type;
} type_names[] = {
        { "blk", DEVICE_BLK },           { "mmioblk", DEVICE_MMIOBLK },
        { "scsi", DEVICE_SCSI },         { "nvdimm", DEVICE_NVDIMM },
        { "vfio-pci", DEVICE_VFIO_PCI }, { "vfio-pci-gk", DEVICE_VFIO_PCI_GK },
        { "vfio-ap", DEVICE_VFIO_AP },   { "vfio-ap-cold", DEVICE_VFIO_AP },
        { "blk-ccw", DEVICE_BLK_CCW },
};

enum device_type device_type_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
                if (streq(name, type_names[i].name))
                        return type_names[i].type;
        return DEVICE_UNKNOWN;
}

const char *const *devices_handlers(void)
{
        static const char *const names[] = { "blk",      "mmioblk",     "scsi", "nvdimm",
                                             "vfio-pci", "vfio-pci-gk", NULL };
        return names;
}

static bool has_dotdot(const char *p)
{
        size_t n = strlen(p);

        return strstr(p, "/../") || (n >= 3 && streq(p + n - 3, "/.."));
}

static bool bounded(const char *s)
{
        return s && strlen(s) <= DEVICES_MAX_FIELD;
}

int devices_parse_vfio_option(const char *opt, struct pci_addr *ret_host,
                              struct pci_path *ret_guest, bool *ret_has_guest)
{
        const char *eq = strchr(opt, '=');
        _cleanup_free_ char *host = NULL;

        if (!eq)
                return -EINVAL;
        host = xstrndup(opt, (size_t) (eq - opt));
        if (pci_addr_parse(host, ret_host) < 0)
                return -EINVAL;
        *ret_has_guest = eq[1] != '\0';
        return *ret_has_guest ? pci_path_parse(eq + 1, ret_guest) : 0;
}

static int check_by_type(const Grpc__Device *d, enum device_type t, struct agent_error **err)
{
        struct pci_path p;
        struct pci_addr host;
        unsigned id, lun;
        bool guest;

        switch (t) {
        case DEVICE_BLK:
                if (*d->id) {
                        if (pci_path_parse(d->id, &p) < 0)
                                return agent_error_setf(err, EINVAL, "`id` `%s` is not a PCI path",
                                                        d->id);
                } else if (!devices_dev_path_valid(d->vm_path)) {
                        return agent_error_setf(err, EINVAL,
                                                "`vm_path` `%s` is not a device below /dev",
                                                d->vm_path);
                }
                return 0;
        case DEVICE_SCSI:
                if (devices_parse_scsi_addr(d->id, &id, &lun) < 0)
                        return agent_error_setf(err, EINVAL,
                                                "`id` `%s` is not a SCSI address (ID:LUN)", d->id);
                return 0;
        case DEVICE_MMIOBLK:
        case DEVICE_NVDIMM:
                if (!devices_dev_path_valid(d->vm_path) ||
                    (t == DEVICE_NVDIMM && !startswith(d->vm_path, "/dev/pmem")))
                        return agent_error_setf(err, EINVAL,
                                                "`vm_path` `%s` is not a %s device below /dev",
                                                d->vm_path, t == DEVICE_NVDIMM ? "pmem" : "block");
                return 0;
        case DEVICE_VFIO_PCI:
        case DEVICE_VFIO_PCI_GK:
                if (d->n_options == 0)
                        return agent_error_setf(err, EINVAL, "no VFIO options");
                for (size_t i = 0; i < d->n_options; i++)
                        if (devices_parse_vfio_option(d->options[i], &host, &p, &guest) < 0)
                                return agent_error_setf(err, EINVAL,
                                                        "malformed VFIO option `%s` (expected "
                                                        "<host BDF>=<guest PCI path>)",
                                                        d->options[i]);
                return 0;
        case DEVICE_VFIO_AP:
        case DEVICE_BLK_CCW:
                return agent_error_setf(err, EOPNOTSUPP,
                                        "device type `%s` is only supported on "
                                        "s390x",
                                        d->type);
        case DEVICE_UNKNOWN:
                break;
        }
        return agent_error_setf(err, EINVAL, "unknown device type `%s`", d->type);
}

int devices_check_device(const Grpc__Device *d, struct agent_error **err)
{
        enum device_type t = device_type_from_name(d->type);

        if (!bounded(d->id) || !bounded(d->type) || !bounded(d->vm_path) ||
            !bounded(d->container_path))
                return agent_error_setf(err, E2BIG, "a field is longer than %u bytes",
                                        DEVICES_MAX_FIELD);
        if (!*d->type)
                return agent_error_setf(err, EINVAL, "empty device type");
        if (!*d->id && !*d->vm_path)
                return agent_error_setf(err, EINVAL, "neither `id` nor `vm_path` is set");
        if (d->container_path[0] != '/' || has_dotdot(d->container_path))
                return agent_error_setf(err, EINVAL, "`container_path` `%s` is not absolute",
                                        d->container_path);
        if (d->n_options > DEVICES_MAX_OPTIONS)
                return agent_error_setf(err, E2BIG, "%zu options (limit %u)", d->n_options,
                                        DEVICES_MAX_OPTIONS);
        for (size_t i = 0; i < d->n_options; i++)
                if (!bounded(d->options[i]))
                        return agent_error_setf(err, E2BIG, "option longer than %u bytes",
                                                DEVICES_MAX_FIELD);
        return check_by_type(d, t, err);
}

int devices_check_list(Grpc__Device *const *list, size_t n, struct agent_error **err)
{
        if (n > DEVICES_MAX_PER_REQUEST)
                return agent_error_setf(err, E2BIG, "%zu devices in one request (limit %u)", n,
                                        DEVICES_MAX_PER_REQUEST);
        for (size_t i = 0; i < n; i++) {
                int r = devices_check_device(list[i], err);
                if (r < 0)
                        return agent_error_wrap(err, "device %zu (`%s`, type `%s`)", i,
                                                list[i]->container_path, list[i]->type);
                for (size_t k = 0; k < i; k++)
                        if (streq(list[k]->container_path, list[i]->container_path) &&
                            device_type_from_name(list[i]->type) != DEVICE_VFIO_PCI_GK)
                                return agent_error_setf(err, EINVAL,
                                                        "devices %zu and %zu both update `%s`", k,
                                                        i, list[i]->container_path);
        }
        return 0;
}

bool devices_storage_is_block(const Grpc__Storage *s)
{
        enum device_type t = device_type_from_name(s->driver);

        return t == DEVICE_BLK || t == DEVICE_MMIOBLK || t == DEVICE_SCSI || t == DEVICE_NVDIMM ||
               t == DEVICE_BLK_CCW;
}

bool devices_storage_create_fs(const Grpc__Storage *s)
{
        for (size_t i = 0; i < s->n_driver_options; i++)
                if (streq(s->driver_options[i], DEVICES_DOPT_CREATE_FS))
                        return true;
        return false;
}

int devices_check_block_storage(const Grpc__Storage *s, struct agent_error **err)
{
        enum device_type t = device_type_from_name(s->driver);
        struct pci_path p;
        unsigned id, lun;

        for (size_t i = 0; i < s->n_driver_options; i++)
                if (startswith(s->driver_options[i], DEVICES_DOPT_ENCRYPTION))
                        return agent_error_setf(err, EOPNOTSUPP,
                                                "driver option `%s`: encrypted block volumes need "
                                                "a confidential data hub, which this agent does "
                                                "not have (refusing to mount it unencrypted)",
                                                s->driver_options[i]);
        if (devices_storage_create_fs(s) && !streq(s->fstype, "ext4"))
                return agent_error_setf(err, EOPNOTSUPP,
                                        "driver option `%s`: creating a `%s` file system is not "
                                        "supported (only ext4)",
                                        DEVICES_DOPT_CREATE_FS, s->fstype);
        switch (t) {
        case DEVICE_BLK:
                if (startswith(s->source, "/dev/") ? devices_dev_path_valid(s->source)
                                                   : pci_path_parse(s->source, &p) == 0)
                        return 0;
                return agent_error_setf(err, EINVAL,
                                        "`source` `%s` is neither a PCI path nor a device below "
                                        "/dev",
                                        s->source);
        case DEVICE_MMIOBLK:
        case DEVICE_NVDIMM:
                if (devices_dev_path_valid(s->source))
                        return 0;
                return agent_error_setf(err, EINVAL, "`source` `%s` is not a device below /dev",
                                        s->source);
        case DEVICE_SCSI:
                /* A /dev path once devices_prepare() found the disk. */
                if (devices_parse_scsi_addr(s->source, &id, &lun) == 0 ||
                    devices_dev_path_valid(s->source))
                        return 0;
                return agent_error_setf(err, EINVAL, "`source` `%s` is not a SCSI address (ID:LUN)",
                                        s->source);
        case DEVICE_BLK_CCW:
                return agent_error_setf(err, EOPNOTSUPP,
                                        "storage driver `blk-ccw` is only supported on s390x");
        case DEVICE_VFIO_PCI:
        case DEVICE_VFIO_PCI_GK:
        case DEVICE_VFIO_AP:
        case DEVICE_UNKNOWN:
                break;
        }
        return agent_error_setf(err, EINVAL, "`%s` is not a block storage driver", s->driver);
}

/* ---- spec updates ---- */

int devices_update_spec(Grpc__Spec *spec, const char *container_path, char type, int64_t major,
                        int64_t minor, const char *final_path, struct cgroup_device_rule **rules,
                        size_t *n_rules, struct agent_error **err)
{
        Grpc__Linux *l = spec ? spec->linux : NULL;
        Grpc__LinuxDevice *dev = NULL;
        struct cgroup_device_rule *rule;
        int64_t host_major, host_minor;
        char host_type;

        for (size_t i = 0; l && i < l->n_devices; i++)
                if (streq(l->devices[i]->path, container_path))
                        dev = l->devices[i];
        if (!dev)
                return agent_error_setf(err, ENOENT,
                                        "no `linux.devices` entry for `%s` in the OCI spec",
                                        container_path);
        host_major = dev->major;
        host_minor = dev->minor;
        host_type = dev->type && *dev->type ? dev->type[0] : type;
        dev->major = major;
        dev->minor = minor;
        if (final_path) {
                free(dev->path);
                dev->path = xstrdup(final_path);
        }
        /* Rules the spec wrote for the host's numbers now mean the guest's device. */
        for (size_t i = 0; l->resources && i < l->resources->n_devices; i++) {
                Grpc__LinuxDeviceCgroup *d = l->resources->devices[i];
                if (d->type && d->type[0] == host_type && d->major == host_major &&
                    d->minor == host_minor && host_major > 0) {
                        d->major = major;
                        d->minor = minor;
                }
        }
        *rules = xrealloc(*rules, (*n_rules + 1) * sizeof(**rules));
        rule = &(*rules)[(*n_rules)++];
        *rule = (struct cgroup_device_rule){
                .allow = true, .type = type, .major = major, .minor = minor, .access = "rwm"
        };
        return 0;
}

/* ---- PCIDEVICE_* ---- */

static const struct pci_addr *map_guest(const struct pci_map_entry *map, size_t n,
                                        const struct pci_addr *host)
{
        for (size_t i = 0; i < n; i++)
                if (pci_addr_eq(&map[i].host, host))
                        return &map[i].guest;
        return NULL;
}

/* The value with each host address replaced by its guest one; NULL when some part is not a
 * mapped PCI address. */
static char *translate(const char *val, const struct pci_map_entry *map, size_t n)
{
        _cleanup_free_ char *copy = xstrdup(val);
        char *out = xstrdup(""), *save = NULL;

        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                struct pci_addr host;
                const struct pci_addr *g;
                char buf[32], *next;

                if (pci_addr_parse(tok, &host) < 0 || !(g = map_guest(map, n, &host))) {
                        free(out);
                        return NULL;
                }
                pci_addr_format(g, buf, sizeof(buf));
                next = xasprintf("%s%s%s", out, *out ? "," : "", buf);
                free(out);
                out = next;
        }
        return out;
}

static char *replace_all(const char *s, const char *from, const char *to)
{
        char *out = xstrdup(""), *next;
        const char *p = s, *hit;

        while ((hit = strstr(p, from))) {
                next = xasprintf("%s%.*s%s", out, (int) (hit - p), p, to);
                free(out);
                out = next;
                p = hit + strlen(from);
        }
        next = xasprintf("%s%s", out, p);
        free(out);
        return next;
}

void devices_update_env_pci(char **env, size_t n_env, const struct pci_map_entry *map, size_t n_map)
{
        char **translated = xzalloc((n_env + 1) * sizeof(char *));

        for (size_t i = 0; i < n_env; i++) {
                const char *eq = strchr(env[i], '=');
                size_t nlen = eq ? (size_t) (eq - env[i]) : 0;
                char *val;

                if (!eq || !startswith(env[i], "PCIDEVICE_") ||
                    (nlen >= 5 && memcmp(eq - 5, "_INFO", 5) == 0))
                        continue;
                val = translate(eq + 1, map, n_map);
                if (!val)
                        continue;
                translated[i] = xasprintf("%.*s=%s", (int) nlen, env[i], val);
                free(val);
        }
        /* The _INFO companions name the same addresses: map them by text. */
        for (size_t i = 0; i < n_env; i++) {
                const char *eq = strchr(env[i], '=');
                size_t nlen = eq ? (size_t) (eq - env[i]) : 0;

                if (!eq || !startswith(env[i], "PCIDEVICE_") || nlen < 5 ||
                    memcmp(eq - 5, "_INFO", 5) != 0)
                        continue;
                for (size_t k = 0; k < n_env; k++) {
                        size_t blen = nlen - 5;
                        if (!translated[k] || strncmp(env[k], env[i], blen) != 0 ||
                            env[k][blen] != '=')
                                continue;
                        for (size_t m = 0; m < n_map; m++) {
                                char h[32], g[32], *next;
                                pci_addr_format(&map[m].host, h, sizeof(h));
                                pci_addr_format(&map[m].guest, g, sizeof(g));
                                next = replace_all(env[i], h, g);
                                free(env[i]);
                                env[i] = next;
                        }
                }
        }
        for (size_t i = 0; i < n_env; i++) {
                if (!translated[i])
                        continue;
                free(env[i]);
                env[i] = translated[i];
        }
        free(translated);
}
