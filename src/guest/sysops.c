/* SPDX-License-Identifier: Apache-2.0 */
#include "guest/sysops.h"
#include "agent/container.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

int sysops_set_time(int64_t sec, int64_t usec, struct agent_error **err)
{
        struct timeval tv = { .tv_sec = (time_t) sec, .tv_usec = (suseconds_t) usec };

        /* The kernel checks the same range; saying which field is wrong is clearer. */
        if (usec < 0 || usec >= 1000000)
                return agent_error_setf(err, EINVAL, "Usec %lld is not in [0, 1000000)",
                                        (long long) usec);
        if (sec < 0)
                return agent_error_setf(err, EINVAL, "Sec %lld is before the epoch",
                                        (long long) sec);
        if (settimeofday(&tv, NULL) < 0)
                return agent_error_set(err, errno, "settimeofday(%lld, %lld)", (long long) sec,
                                       (long long) usec);
        return 0;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, data, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

int sysops_reseed_rng(const char *device, const uint8_t *data, size_t len, struct agent_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        /* Like the Rust agent, the byte count is what gets credited (the kernel counts bits, so
         * this credits an eighth of what the host sent: conservative). */
        int count = (int) len;
        int r;

        if (len == 0)
                return agent_error_setf(err, EINVAL, "missing entropy data");
        fd = open(device, O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return agent_error_set(err, errno, "open `%s`", device);
        r = write_all(fd, data, len);
        if (r < 0)
                return agent_error_set(err, -r, "write `%s`", device);
        if (ioctl(fd, RNDADDTOENTCNT, &count) < 0)
                return agent_error_set(err, errno, "`%s`: RNDADDTOENTCNT", device);
        if (ioctl(fd, RNDRESEEDCRNG, 0) < 0)
                return agent_error_set(err, errno, "`%s`: RNDRESEEDCRNG", device);
        return 0;
}

static const char *spec_annotation(const Grpc__Spec *s, const char *key)
{
        for (size_t i = 0; s && i < s->n_annotations; i++)
                if (s->annotations[i] && streq(s->annotations[i]->key, key))
                        return s->annotations[i]->value;
        return NULL;
}

int sysops_termination_log_path(const struct container *c, const char **ret,
                                struct agent_error **err)
{
        const Grpc__Spec *spec = c->req ? c->req->oci : NULL;
        const char *dest;

        if (!spec)
                return agent_error_setf(err, ENOENT, "no OCI spec for container `%s`", c->id);
        dest = spec_annotation(spec, SYSOPS_TERMINATION_ANNOTATION);
        if (!dest)
                return agent_error_setf(err, ENOENT, "no terminationMessagePath annotation");
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const Grpc__Mount *m = spec->mounts[i];

                if (m && streq(m->destination, dest) && m->source && *m->source) {
                        *ret = m->source;
                        return 0;
                }
        }
        return agent_error_setf(err, ENOENT, "termination message mount not found for `%s`", dest);
}

int sysops_read_termination_log(const struct container *c, char **ret, struct agent_error **err)
{
        char buf[SYSOPS_TERMINATION_LOG_MAX];
        _cleanup_close_ int fd = -EBADF;
        const char *path = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        r = sysops_termination_log_path(c, &path, err);
        if (r < 0)
                return r;
        /* O_NONBLOCK: a FIFO planted at the path must not stall the loop. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                *ret = xstrdup("");
                return 0;
        }
        if (fd < 0)
                return agent_error_set(err, errno, "Failed to read termination log `%s`", path);
        if (fstat(fd, &st) < 0)
                return agent_error_set(err, errno, "Failed to read termination log `%s`", path);
        if (!S_ISREG(st.st_mode))
                return agent_error_setf(err, EINVAL,
                                        "Failed to read termination log `%s`: not a regular file",
                                        path);
        while (len < sizeof(buf)) {
                ssize_t n = read(fd, buf + len, sizeof(buf) - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return agent_error_set(err, errno, "Failed to read termination log `%s`",
                                               path);
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        *ret = utf8_lossy(buf, len);
        return 0;
}
