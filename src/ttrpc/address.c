/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc/address.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static int parse_vsock(const char *s, struct address *a)
{
        const char *colon = strrchr(s, ':');
        _cleanup_free_ char *cid = NULL;
        uint64_t port;
        int64_t icid;

        if (!colon || colon == s)
                return -EINVAL;
        cid = xstrndup(s, (size_t) (colon - s));
        if (parse_i64(cid, 10, &icid) < 0 || icid < -1 || icid > UINT32_MAX)
                return -EINVAL;
        if (parse_u64(colon + 1, 10, &port) < 0 || port > UINT32_MAX)
                return -EINVAL;
        a->kind = ADDRESS_VSOCK;
        a->cid = icid == -1 ? VMADDR_CID_ANY : (uint32_t) icid;
        a->port = (uint32_t) port;
        return 0;
}

static int parse_path(const char *s, enum address_kind kind, struct address *a)
{
        size_t n = strlen(s);

        if (n == 0 || n >= sizeof(a->path))
                return -EINVAL;
        if (kind == ADDRESS_UNIX && s[0] != '/' && !(s[0] == '@' && n > 1))
                return -EINVAL;
        if (kind == ADDRESS_SERIAL && s[0] != '/')
                return -EINVAL;
        a->kind = kind;
        memcpy(a->path, s, n + 1);
        return 0;
}

int address_parse(const char *s, struct address *ret)
{
        struct address a = { 0 };
        int r;

        if (!s)
                return -EINVAL;
        if (startswith(s, "vsock://"))
                r = parse_vsock(s + strlen("vsock://"), &a);
        else if (startswith(s, "unix://"))
                r = parse_path(s + strlen("unix://"), ADDRESS_UNIX, &a);
        else if (startswith(s, "serial://"))
                r = parse_path(s + strlen("serial://"), ADDRESS_SERIAL, &a);
        else if (s[0] == '/')
                r = parse_path(s, ADDRESS_SERIAL, &a);
        else
                r = -EINVAL;
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

void address_format(const struct address *a, char *buf, size_t size)
{
        switch (a->kind) {
        case ADDRESS_VSOCK:
                if (a->cid == VMADDR_CID_ANY)
                        snprintf(buf, size, "vsock://-1:%u", a->port);
                else
                        snprintf(buf, size, "vsock://%u:%u", a->cid, a->port);
                break;
        case ADDRESS_UNIX:
                snprintf(buf, size, "unix://%s", a->path);
                break;
        case ADDRESS_SERIAL:
                snprintf(buf, size, "serial://%s", a->path);
                break;
        }
}

int address_sockaddr(const struct address *a, struct sockaddr_storage *ss, socklen_t *ret_len)
{
        memset(ss, 0, sizeof(*ss));
        if (a->kind == ADDRESS_VSOCK) {
                struct sockaddr_vm *vm = (struct sockaddr_vm *) ss;
                vm->svm_family = AF_VSOCK;
                vm->svm_cid = a->cid;
                vm->svm_port = a->port;
                *ret_len = sizeof(*vm);
                return 0;
        }
        if (a->kind == ADDRESS_UNIX) {
                struct sockaddr_un *un = (struct sockaddr_un *) ss;
                size_t n = strlen(a->path);
                un->sun_family = AF_UNIX;
                memcpy(un->sun_path, a->path, n);
                if (a->path[0] == '@') {
                        /* Abstract: leading NUL, no terminator counted. */
                        un->sun_path[0] = '\0';
                        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
                } else {
                        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
                }
                return 0;
        }
        return -EINVAL;
}

int address_listen(const struct address *a, int backlog)
{
        struct sockaddr_storage ss;
        _cleanup_close_ int fd = -EBADF;
        socklen_t len;
        int r;

        r = address_sockaddr(a, &ss, &len);
        if (r < 0)
                return r;
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (a->kind == ADDRESS_UNIX && a->path[0] == '/') {
                struct stat st;
                /* Only a stale socket is replaced: never unlink some other file. */
                if (lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
                        (void) unlink(a->path);
        }
        if (bind(fd, (struct sockaddr *) &ss, len) < 0)
                return -errno;
        if (listen(fd, backlog) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int address_connect(const struct address *a)
{
        struct sockaddr_storage ss;
        _cleanup_close_ int fd = -EBADF;
        socklen_t len;
        int r;

        if (a->kind == ADDRESS_SERIAL) {
                fd = open(a->path, O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
                if (isatty(fd)) {
                        struct termios t;
                        if (tcgetattr(fd, &t) == 0) {
                                cfmakeraw(&t);
                                (void) tcsetattr(fd, TCSANOW, &t);
                        }
                }
                return TAKE_FD(fd);
        }
        r = address_sockaddr(a, &ss, &len);
        if (r < 0)
                return r;
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        while (connect(fd, (struct sockaddr *) &ss, len) < 0)
                if (errno != EINTR)
                        return -errno;
        return TAKE_FD(fd);
}
