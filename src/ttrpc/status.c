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

enum rpc_code rpc_code_from_errno(int errno_)
{
        switch (errno_) {
        case 0:
                return RPC_OK;
        case ENOENT:
        case ESRCH:
        case ENODEV:
        case ENXIO:
                return RPC_NOT_FOUND;
        case EEXIST:
                return RPC_ALREADY_EXISTS;
        case EINVAL:
        case E2BIG:
        case ENAMETOOLONG:
        case EBADMSG:
        case ERANGE:
                return RPC_INVALID_ARGUMENT;
        case ETIMEDOUT:
        case ETIME:
                return RPC_DEADLINE_EXCEEDED;
        case ENOSYS:
        case EOPNOTSUPP:
                return RPC_UNIMPLEMENTED;
        case EPERM:
        case EACCES:
                return RPC_PERMISSION_DENIED;
        case ENOSPC:
        case EMFILE:
        case ENFILE:
        case ENOMEM:
        case EMSGSIZE:
        case EFBIG:
                return RPC_RESOURCE_EXHAUSTED;
        case EBUSY:
        case EALREADY:
        case ENOTEMPTY:
                return RPC_FAILED_PRECONDITION;
        case ECANCELED:
                return RPC_CANCELLED;
        case EAGAIN:
        case ECONNRESET:
        case EPIPE:
                return RPC_UNAVAILABLE;
        default:
                return RPC_INTERNAL;
        }
}
