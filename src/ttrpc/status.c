/* SPDX-License-Identifier: Apache-2.0 */
#include "ttrpc/status.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

static const char *const code_names[] = {
        [RPC_OK] = "OK",
        [RPC_CANCELLED] = "CANCELLED",
        [RPC_UNKNOWN] = "UNKNOWN",
        [RPC_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
        [RPC_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
        [RPC_NOT_FOUND] = "NOT_FOUND",
        [RPC_ALREADY_EXISTS] = "ALREADY_EXISTS",
        [RPC_PERMISSION_DENIED] = "PERMISSION_DENIED",
        [RPC_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
        [RPC_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
        [RPC_ABORTED] = "ABORTED",
        [RPC_OUT_OF_RANGE] = "OUT_OF_RANGE",
        [RPC_UNIMPLEMENTED] = "UNIMPLEMENTED",
        [RPC_INTERNAL] = "INTERNAL",
        [RPC_UNAVAILABLE] = "UNAVAILABLE",
        [RPC_DATA_LOSS] = "DATA_LOSS",
        [RPC_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *rpc_code_name(int code)
{
        if (code < 0 || (size_t) code >= sizeof(code_names) / sizeof(code_names[0]))
                return "UNKNOWN_CODE";
        return code_names[code];
}

/* Compares ignoring case and underscores, so "NotFound" matches "NOT_FOUND". */
static int name_eq(const char *a, const char *b)
{
        for (;;) {
                while (*a == '_')
                        a++;
                while (*b == '_')
                        b++;
                if (!*a || !*b)
                        return !*a && !*b;
                if (tolower((unsigned char) *a) != tolower((unsigned char) *b))
                        return 0;
                a++;
                b++;
        }
}

int rpc_code_from_name(const char *name)
{
        for (size_t i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
                if (name_eq(name, code_names[i]))
                        return (int) i;
        return -EINVAL;
}

/* Every errno the engine (mounts, namespaces, cgroups, seccomp, exec, netlink, devices) can
 * return, by what the caller can do about it: fix the request (INVALID_ARGUMENT), wait or fix
 * the guest's state (FAILED_PRECONDITION), free resources (RESOURCE_EXHAUSTED), retry
 * (UNAVAILABLE, ABORTED). Only errors that are the agent's own fault stay INTERNAL. */
enum rpc_code rpc_code_from_errno(int errno_)
{
        switch (errno_) {
        case 0:
                return RPC_OK;
        case ENOENT:
        case ESRCH:
        case ENODEV:
        case ENXIO:
        case ENODATA:
        case ENOKEY:
        case ENOMEDIUM:
                return RPC_NOT_FOUND;
        case EEXIST:
        case EADDRINUSE:
                return RPC_ALREADY_EXISTS;
        case EINVAL:
        case E2BIG:
        case ENAMETOOLONG:
        case EBADMSG:
        case ERANGE:
        case ENOTDIR:
        case EISDIR:
        case ELOOP:
        case EDOM:
        case EILSEQ:
        case ENOEXEC:
        case ENOTTY:
        case ENOTBLK:
        case ESPIPE:
        case ENOTSOCK:
        case EDESTADDRREQ:
        case EADDRNOTAVAIL:
        case EBADF:
                return RPC_INVALID_ARGUMENT;
        case EOVERFLOW:
                return RPC_OUT_OF_RANGE;
        case ETIMEDOUT:
        case ETIME:
                return RPC_DEADLINE_EXCEEDED;
        case ENOSYS:
        case EOPNOTSUPP:
        case EPROTONOSUPPORT:
        case EAFNOSUPPORT:
        case EPFNOSUPPORT:
        case ESOCKTNOSUPPORT:
        case ENOPROTOOPT:
        case ENOPKG:
                return RPC_UNIMPLEMENTED;
        case EPERM:
        case EACCES:
        case EKEYREJECTED:
        case EKEYREVOKED:
        case EKEYEXPIRED:
                return RPC_PERMISSION_DENIED;
        case ENOSPC:
        case EMFILE:
        case ENFILE:
        case ENOMEM:
        case EMSGSIZE:
        case EFBIG:
        case EDQUOT:
        case EMLINK:
        case ENOBUFS:
        case ENOLCK:
        case EUSERS:
                return RPC_RESOURCE_EXHAUSTED;
        case EBUSY:
        case EALREADY:
        case ENOTEMPTY:
        case EROFS:
        case ETXTBSY:
        case EXDEV:
        case EISCONN:
        case EINPROGRESS:
        case ENOTUNIQ:
        case ENETUNREACH: /* a route whose gateway the guest cannot reach */
        case EHOSTUNREACH:
        case ENETDOWN:
                return RPC_FAILED_PRECONDITION;
        case ECANCELED:
                return RPC_CANCELLED;
        case EINTR:
        case EDEADLK:
        case ECHILD:
                return RPC_ABORTED;
        case EAGAIN:
        case ECONNRESET:
        case EPIPE:
        case ENOTCONN:
        case ECONNREFUSED:
        case ECONNABORTED:
        case EHOSTDOWN:
        case ENETRESET:
        case ESHUTDOWN:
        case ESTALE:
        case ENOLINK:
        case ENONET:
                return RPC_UNAVAILABLE;
        case EUCLEAN:
                return RPC_DATA_LOSS;
        default:
                /* EIO, EFAULT, EPROTO and anything unforeseen: the agent's own failure. */
                return RPC_INTERNAL;
        }
}
