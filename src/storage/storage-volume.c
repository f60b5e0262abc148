/* SPDX-License-Identifier: Apache-2.0 */
/* GetVolumeStats, UpdateEphemeralMounts, RemoveStaleVirtiofsShareMounts. */
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/rootfs.h"
#include "storage/storage-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MOUNTINFO_MAX (8u << 20)

/* ---- GetVolumeStats ---- */

static Grpc__VolumeUsage *usage_new(uint64_t total, uint64_t available,
                                    Grpc__VolumeUsage__Unit unit)
{
        Grpc__VolumeUsage *u = xmalloc(sizeof(*u));

        grpc__volume_usage__init(u);
        u->total = total;
        u->available = available;
        u->used = total >= available ? total - available : 0;
        u->unit = unit;
        return u;
}

int storage_volume_stats(const char *path, Grpc__VolumeStatsResponse *ret, struct agent_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        Grpc__VolumeCondition *cond;
        struct statvfs sv;
        uint64_t frsize;

        if (!path || path[0] != '/' || strlen(path) > STORAGE_MAX_PATH)
                return agent_error_setf(err, EINVAL,
                                        "field `volume_guest_path`: `%s` is not an absolute path",
                                        path ? path : "");
        fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return agent_error_set(err, errno, "open volume `%s`", path);
        if (fstatvfs(fd, &sv) < 0)
                return agent_error_set(err, errno, "statvfs `%s`", path);
        frsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
        ret->n_usage = 2;
        ret->usage = xmalloc(2 * sizeof(*ret->usage));
        /* As the Rust agent: "available" is the free count (f_bfree), not f_bavail. */
        ret->usage[0] = usage_new((uint64_t) sv.f_blocks * frsize, (uint64_t) sv.f_bfree * frsize,
                                  GRPC__VOLUME_USAGE__UNIT__BYTES);
        ret->usage[1] = usage_new(sv.f_files, sv.f_ffree, GRPC__VOLUME_USAGE__UNIT__INODES);
        cond = xmalloc(sizeof(*cond));
        grpc__volume_condition__init(cond);
        cond->abnormal = false;
        cond->message = xstrdup("OK");
        ret->volume_condition = cond;
        return 0;
}

void storage_volume_stats_done(Grpc__VolumeStatsResponse *ret)
{
        for (size_t i = 0; i < ret->n_usage; i++)
                free(ret->usage[i]);
        free(ret->usage);
        if (ret->volume_condition)
                free(ret->volume_condition->message);
        free(ret->volume_condition);
        ret->usage = NULL;
        ret->n_usage = 0;
        ret->volume_condition = NULL;
}

/* ---- UpdateEphemeralMounts ---- */

static int check_ephemeral(struct agent *a, const Grpc__Storage *s, struct agent_error **err)
{
        struct storage_entry *e;

        if (storage_driver_from_name(s->driver) != STORAGE_DRIVER_EPHEMERAL)
                return agent_error_setf(err, EINVAL,
                                        "unsupported storage type for syncing mounts `%s`: only "
                                        "ephemeral storage update is supported",
                                        s->driver);
        if (storage_check(s, a->run_dir, "", err) < 0)
                return -EINVAL;
        e = storage_find(a, s->mount_point);
        if (!e || !streq(e->driver, "ephemeral") || !e->mounted)
                return agent_error_setf(err, ENOENT, "no ephemeral storage is mounted at `%s`",
                                        s->mount_point);
        return 0;
}

int storage_update_ephemeral(struct agent *a, Grpc__Storage *const *list, size_t n,
                             struct agent_error **err)
{
        if (n > STORAGE_MAX_PER_REQUEST)
                return agent_error_setf(err, E2BIG, "%zu storages in one request (limit %u)", n,
                                        STORAGE_MAX_PER_REQUEST);
        for (size_t i = 0; i < n; i++)
                if (check_ephemeral(a, list[i], err) < 0)
                        return agent_error_wrap(err, "storage %zu", i);
        for (size_t i = 0; i < n; i++) {
                const Grpc__Storage *s = list[i];
                int r;

                if (s->n_options == 0)
                        continue; /* as Kata: nothing to change */
                /* Always a remount: a fresh mount would hide the volume's files. */
                r = storage_mount_options(a, s->source, s->mount_point, s->fstype, s->options,
                                          s->n_options, MS_REMOUNT, NULL);
                if (r < 0)
                        return agent_error_set(err, -r, "remount `%s`", s->mount_point);
        }
        return 0;
}

/* ---- RemoveStaleVirtiofsShareMounts ---- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
        char *w = s;

        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 4;
                } else {
                        *w++ = *r++;
                }
        }
        *w = '\0';
}

int storage_touch_share_mounts(struct agent *a, struct agent_error **err)
{
        _cleanup_free_ char *prefix = xasprintf("%s/shared/containers/", a->run_dir);
        _cleanup_free_ char *text = NULL;
        char *save = NULL;
        int seen = 0, r;

        r = read_file("/proc/self/mountinfo", MOUNTINFO_MAX, &text, NULL);
        if (r < 0)
                return agent_error_set(err, -r, "read `/proc/self/mountinfo`");
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f = line, *mp;
                struct stat st;

                /* id parent major:minor root mount-point ... */
                for (int i = 0; i < 4 && f; i++) {
                        f = strchr(f, ' ');
                        f = f ? f + 1 : NULL;
                }
                if (!f)
                        continue;
                mp = f;
                f = strchr(mp, ' ');
                if (f)
                        *f = '\0';
                unescape(mp);
                if (!startswith(mp, prefix))
                        continue;
                /* The stat is the point: virtiofsd drops the cache entries of paths that are
                 * gone on the host once the guest looks them up. */
                if (stat(mp, &st) < 0)
                        log_info("storage: stat `%s`: %s", mp, strerror(errno));
                seen++;
        }
        return seen;
}
