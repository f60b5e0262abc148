/* SPDX-License-Identifier: Apache-2.0 */
/* CreateSandbox's DNS: Kata writes the entries to the sandbox's resolv.conf and binds that over
 * the guest's /etc/resolv.conf, so every container that binds the guest's file sees them. */
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *s, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, s, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                s += w;
                n -= (size_t) w;
        }
        return 0;
}

int dns_setup(struct agent *a, char *const *dns, size_t n, struct agent_error **err)
{
        _cleanup_free_ char *dir = xasprintf("%s/sandbox", a->run_dir);
        _cleanup_free_ char *path = xasprintf("%s/resolv.conf", dir);
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r = 0;

        if (n == 0)
                return 0;
        if (stat(a->resolv_conf, &st) < 0) {
                log_info("guest DNS not set: `%s` does not exist", a->resolv_conf);
                return 0;
        }
        if (S_ISDIR(st.st_mode))
                return agent_error_setf(err, EISDIR, "guest DNS: `%s` is a directory",
                                        a->resolv_conf);
        (void) mkdir(a->run_dir, 0711);
        (void) mkdir(dir, 0700);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return agent_error_set(err, errno, "guest DNS: create `%s`", path);
        (void) fchmod(fd, 0644);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const char *line = dns[i];
                size_t len = strlen(line);

                /* Kata trims each entry and joins them with newlines. */
                while (len && (*line == ' ' || *line == '\t'))
                        line++, len--;
                while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
                        len--;
                r = write_all(fd, line, len);
                if (r >= 0)
                        r = write_all(fd, "\n", 1);
        }
        if (r < 0)
                return agent_error_set(err, -r, "guest DNS: write `%s`", path);
        dns_release(a);
        if (mount(path, a->resolv_conf, NULL, MS_BIND, NULL) < 0)
                return agent_error_set(err, errno, "guest DNS: bind `%s` over `%s`", path,
                                       a->resolv_conf);
        a->dns_bound = true;
        return 0;
}

void dns_release(struct agent *a)
{
        _cleanup_free_ char *path = NULL;

        if (!a->dns_bound)
                return;
        if (umount2(a->resolv_conf, MNT_DETACH) < 0)
                log_warn("guest DNS: unmount `%s`: %s", a->resolv_conf, strerror(errno));
        a->dns_bound = false;
        path = xasprintf("%s/sandbox/resolv.conf", a->run_dir);
        (void) unlink(path);
}
