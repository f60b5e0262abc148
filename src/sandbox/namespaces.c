/* SPDX-License-Identifier: Apache-2.0 */
#include "sandbox/sandbox.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *shared_name(enum spawn_ns kind)
{
        return kind == SPAWN_NS_IPC ? "ipc" : "uts";
}

/* Waits for a short-lived helper child; its exit code is an errno. */
static int wait_helper(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -(WIFEXITED(status) ? WEXITSTATUS(status) : EIO);
        return 0;
}

/* A short-lived child enters a new namespace and binds its /proc/self/ns entry onto `target`
 * (in the agent's mount namespace, which it shares), so the namespace outlives it. The agent
 * waits for it: a fork, an unshare and a mount, a few milliseconds once per pod. */
static int create_persistent(int flag, const char *proc_name, const char *target)
{
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char src[64];
                snprintf(src, sizeof(src), "/proc/self/ns/%s", proc_name);
                if (unshare(flag) < 0 || mount(src, target, NULL, MS_BIND, NULL) < 0)
                        _exit(errno ? errno : 1);
                _exit(0);
        }
        return wait_helper(pid);
}

/* The hostname lives in the uts namespace: a child joins it to set it, whether the namespace
 * was made just now or by a container created before CreateSandbox. */
static int set_hostname_in(const char *uts_path, const char *hostname)
{
        pid_t pid = fork();

        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd = open(uts_path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWUTS) < 0 ||
                    sethostname(hostname, strlen(hostname)) < 0)
                        _exit(errno ? errno : 1);
                _exit(0);
        }
        return wait_helper(pid);
}

int sandbox_shared_ns(struct agent *a, enum spawn_ns kind, const char **ret_path,
                      struct agent_error **err)
{
        char **slot = kind == SPAWN_NS_IPC ? &a->sandbox_ipc : &a->sandbox_uts;
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (*slot) {
                *ret_path = *slot;
                return 0;
        }
        dir = xasprintf("%s/sandbox/ns", a->run_dir);
        path = xasprintf("%s/%s", dir, shared_name(kind));
        {
                _cleanup_free_ char *sb = xasprintf("%s/sandbox", a->run_dir);
                (void) mkdir(a->run_dir, 0711);
                (void) mkdir(sb, 0700);
                (void) mkdir(dir, 0700);
        }
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return agent_error_set(err, errno, "create `%s`", path);
        r = create_persistent(kind == SPAWN_NS_IPC ? CLONE_NEWIPC : CLONE_NEWUTS, shared_name(kind),
                              path);
        if (r < 0) {
                (void) unlink(path);
                return agent_error_set(err, -r, "create the sandbox's %s namespace",
                                       shared_name(kind));
        }
        log_debug("sandbox %s namespace at `%s`", shared_name(kind), path);
        *slot = TAKE_PTR(path);
        *ret_path = *slot;
        return 0;
}

int sandbox_setup_namespaces(struct agent *a, const char *hostname, struct agent_error **err)
{
        const char *ipc, *uts;
        int r;

        r = sandbox_shared_ns(a, SPAWN_NS_IPC, &ipc, err);
        if (r >= 0)
                r = sandbox_shared_ns(a, SPAWN_NS_UTS, &uts, err);
        if (r < 0)
                return r;
        if (!hostname || !*hostname)
                return 0;
        r = set_hostname_in(uts, hostname);
        if (r < 0)
                return agent_error_set(err, -r, "set hostname `%s`", hostname);
        return 0;
}

void sandbox_release_namespaces(struct agent *a)
{
        char **slots[] = { &a->sandbox_ipc, &a->sandbox_uts };

        for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
                if (!*slots[i])
                        continue;
                (void) umount2(*slots[i], MNT_DETACH);
                (void) unlink(*slots[i]);
                free(*slots[i]);
                *slots[i] = NULL;
        }
}
