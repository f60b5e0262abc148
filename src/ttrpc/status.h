/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* google.rpc.Code values, and the one place that maps errno to them. */

enum rpc_code {
        RPC_OK = 0,
        RPC_CANCELLED = 1,
        RPC_UNKNOWN = 2,
        RPC_INVALID_ARGUMENT = 3,
        RPC_DEADLINE_EXCEEDED = 4,
        RPC_NOT_FOUND = 5,
        RPC_ALREADY_EXISTS = 6,
        RPC_PERMISSION_DENIED = 7,
        RPC_RESOURCE_EXHAUSTED = 8,
        RPC_FAILED_PRECONDITION = 9,
        RPC_ABORTED = 10,
        RPC_OUT_OF_RANGE = 11,
        RPC_UNIMPLEMENTED = 12,
        RPC_INTERNAL = 13,
        RPC_UNAVAILABLE = 14,
        RPC_DATA_LOSS = 15,
        RPC_UNAUTHENTICATED = 16,
};

/* "NOT_FOUND", ...; "CODE(42)" style text for unknown values goes into buf. */
const char *rpc_code_name(int code);

/* Parses a code name (case-insensitive, "NotFound" and "NOT_FOUND" both work). -EINVAL if none. */
int rpc_code_from_name(const char *name);

/* errno (positive) -> code. The only errno mapping in the project. */
enum rpc_code rpc_code_from_errno(int errno_);
