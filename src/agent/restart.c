/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/restart.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MOUNTS  4096
#define CGROUP_FILE "cgroup"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
        char *out = s;

        for (; *s; s++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
                        *out++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else {
                        *out++ = *s;
                }
        }
        *out = '\0';
}

static int by_length_desc(const void *a, const void *b)
{
        size_t la = strlen(*(char *const *) a), lb = strlen(*(char *const *) b);
        return la < lb ? 1 : la > lb ? -1 : 0;
}

/* Detaches every mount strictly below dir/, deepest first, except the guest's share (dir/shared/:
 * mounted by whoever set up the guest, or by CreateSandbox's storage, which copes with finding it
 * mounted). Returns how many are left. */
static unsigned unmount_below(const char *dir)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *prefix = xasprintf("%s/", dir);
        _cleanup_free_ char *shared = xasprintf("%s/shared", dir);
        char *mounts[MAX_MOUNTS];
        size_t n = 0;
        unsigned left = 0;
        char *save = NULL;

        if (read_file("/proc/self/mountinfo", 16u << 20, &text, NULL) < 0)
                return 0;
        for (char *line = strtok_r(text, "\n", &save); line && n < MAX_MOUNTS;
             line = strtok_r(NULL, "\n", &save)) {
                char mp[4096];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
                        continue;
                unescape(mp);
                if (startswith(mp, prefix) && !streq(mp, shared) &&
                    !(startswith(mp, shared) && mp[strlen(shared)] == '/'))
                        mounts[n++] = xstrdup(mp);
        }
        qsort(mounts, n, sizeof(mounts[0]), by_length_desc);
        for (size_t i = 0; i < n; i++) {
                /* The same point may be stacked several times: detach until it is gone. */
                if (umount2(mounts[i], MNT_DETACH) < 0 && errno != EINVAL) {
                        log_warn("restart: cannot detach `%s`: %s", mounts[i], strerror(errno));
                        left++;
                } else {
                        log_info("restart: detached `%s`", mounts[i]);
                }
                free(mounts[i]);
        }
        return left;
}

/* Kills what runs in a container's cgroup (named by its bundle) and removes the cgroup. */
static void kill_bundle_cgroup(struct agent *a, const char *bundle)
{
        _cleanup_free_ char *file = xasprintf("%s/%s", bundle, CGROUP_FILE);
        _cleanup_free_ char *path = NULL;
        _cleanup_error_ struct agent_error *err = NULL;
        struct cgroup *cg = NULL;
        int n;

        if (read_file(file, 4096, &path, NULL) < 0 || !*path)
                return;
        if (cgroup_new(a->cgroup_root, path, &cg, &err) < 0) {
                log_warn("restart: cgroup `%s`: %s", path, err->msg);
                return;
        }
        n = cgroup_kill_all(cg, SIGKILL);
        if (n > 0)
                log_info("restart: killed %d process(es) left in cgroup `%s`", n, path);
        if (cgroup_destroy(cg, &err) < 0)
                log_warn("restart: %s", err->msg);
}

/* Sockets stay, as in CreateSandbox's wipe: the agent's own may be listening here. */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        if (ftw->level == 0 || (flag == FTW_F && S_ISSOCK(st->st_mode)))
                return 0; /* the run dir itself stays */
        if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
                log_debug("restart: remove `%s`: %s", path, strerror(errno));
        return 0;
}

void restart_note_cgroup(const char *bundle, const char *cgroup_path)
{
        _cleanup_free_ char *file = xasprintf("%s/%s", bundle, CGROUP_FILE);
        _cleanup_close_ int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || write(fd, cgroup_path, strlen(cgroup_path)) < 0)
                log_warn("cannot record cgroup in `%s`: %s", file, strerror(errno));
}

void restart_forget_cgroup(const char *bundle)
{
        _cleanup_free_ char *file = xasprintf("%s/%s", bundle, CGROUP_FILE);

        (void) unlink(file);
}

/* <run dir>/.cata-agent.pid: written at start, removed by a clean stop. Its presence at start
 * is what says a previous instance died here; without it the run dir is someone else's to fill
 * (a guest's init mounting the share, a runtime preparing it) and nothing is touched. */
static char *marker_path(const struct agent *a)
{
        return xasprintf("%s/%s", a->run_dir, RESTART_MARKER);
}

void restart_mark_running(struct agent *a)
{
        _cleanup_free_ char *path = marker_path(a);
        _cleanup_close_ int fd = -EBADF;
        char pid[32];
        int n;

        (void) mkdir(a->run_dir, 0711);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        n = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
        if (fd < 0 || write(fd, pid, (size_t) n) != n)
                log_warn("cannot write `%s`: a restart after a crash will not clean up", path);
}

void restart_mark_stopped(struct agent *a)
{
        _cleanup_free_ char *path = marker_path(a);

        (void) unlink(path);
}

void restart_cleanup(struct agent *a)
{
        _cleanup_free_ char *marker = marker_path(a);
        DIR *d;
        struct dirent *de;
        unsigned left;

        if (access(marker, F_OK) < 0)
                return; /* a first start, or the last instance stopped cleanly */
        log_info("restart: `%s` was left by an instance that did not stop: cleaning up", marker);
        d = opendir(a->run_dir);
        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *bundle = NULL;
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                bundle = xasprintf("%s/%s", a->run_dir, de->d_name);
                kill_bundle_cgroup(a, bundle);
        }
        closedir(d);
        left = unmount_below(a->run_dir);
        /* FTW_MOUNT: never into a mount that could not be detached. */
        (void) nftw(a->run_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        if (left)
                log_warn("restart: %u mount(s) under `%s` could not be detached", left, a->run_dir);
}
