/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/boot.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "network/iface.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct boot_mount {
        const char *source, *target, *type;
        unsigned long flags;
        const char *data;
        bool required;
};

static const struct boot_mount early_mounts[] = {
        { "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true },
        { "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false },
        { "dev", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", false },
        { "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666",
          false },
        { "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false },
        { "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", false },
        { "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false },
};

/* A target that an earlier init already mounted (an initramfs /init that put the VM's shared
 * directory under /run) is kept: mounting again would hide what is there. */
static bool is_mount_point(const char *path)
{
        struct statx stx;

        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &stx) < 0)
                return false;
        return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
               (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int mount_one(const struct boot_mount *m)
{
        (void) mkdir(m->target, 0755);
        if (is_mount_point(m->target)) {
                log_info("`%s` is already mounted: kept", m->target);
                return 0;
        }
        if (mount(m->source, m->target, m->type, m->flags, m->data) < 0 && errno != EBUSY)
                return -errno;
        return 0;
}

int boot_mount_early(struct agent_error **err)
{
        for (size_t i = 0; i < sizeof(early_mounts) / sizeof(early_mounts[0]); i++) {
                const struct boot_mount *m = &early_mounts[i];
                int r = mount_one(m);
                if (r < 0 && m->required)
                        return agent_error_set(err, -r, "mount %s on `%s`", m->type, m->target);
                if (r < 0)
                        log_warn("mount %s on `%s` failed: %s", m->type, m->target, strerror(-r));
        }
        (void) symlink("pts/ptmx", "/dev/ptmx");
        return 0;
}

int boot_parse_proc_cgroups(const char *text, char ***ret)
{
        char **v = xzalloc(sizeof(char *));
        size_t n = 0;
        const char *line = text;

        while (line && *line) {
                const char *eol = strchr(line, '\n');
                size_t len = eol ? (size_t) (eol - line) : strlen(line);
                char name[64];
                unsigned hier, ncg, enabled;

                /* "#subsys_name hierarchy num_cgroups enabled" */
                if (len < 200 && line[0] != '#' &&
                    sscanf(line, "%63s %u %u %u", name, &hier, &ncg, &enabled) == 4 && enabled) {
                        v = xrealloc(v, (n + 2) * sizeof(char *));
                        v[n++] = xstrdup(name);
                        v[n] = NULL;
                }
                line = eol ? eol + 1 : NULL;
        }
        *ret = v;
        return (int) n;
}

static int mount_cgroup_v1(struct agent_error **err)
{
        _cleanup_free_ char *text = NULL;
        char **ctrls = NULL;
        int r;

        r = read_file("/proc/cgroups", 1 << 16, &text, NULL);
        if (r < 0)
                return agent_error_set(err, -r, "read `/proc/cgroups`");
        boot_parse_proc_cgroups(text, &ctrls);
        for (size_t i = 0; ctrls[i]; i++) {
                _cleanup_free_ char *target = xasprintf("/sys/fs/cgroup/%s", ctrls[i]);
                (void) mkdir(target, 0755);
                if (mount("cgroup", target, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, ctrls[i]) <
                            0 &&
                    errno != EBUSY)
                        log_warn("mount cgroup `%s` failed: %s", ctrls[i], strerror(errno));
        }
        strv_free(ctrls);
        (void) mkdir("/sys/fs/cgroup/unified", 0755);
        (void) mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2",
                     MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        return 0;
}

int boot_mount_cgroups(bool unified, struct agent_error **err)
{
        if (unified) {
                if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          NULL) < 0 &&
                    errno != EBUSY)
                        return agent_error_set(err, errno, "mount cgroup2 on `/sys/fs/cgroup`");
                return 0;
        }
        if (mount("tmpfs", "/sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=0755") < 0 &&
            errno != EBUSY)
                return agent_error_set(err, errno, "mount tmpfs on `/sys/fs/cgroup`");
        return mount_cgroup_v1(err);
}

int boot_open_console(void)
{
        int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int boot_loopback_up(struct agent_error **err)
{
        return iface_set_up_by_name("lo", err);
}
