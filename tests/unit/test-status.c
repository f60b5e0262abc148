/* SPDX-License-Identifier: Apache-2.0 */
#include "cm.h"

#include "ttrpc/status.h"

#include <errno.h>

static void test_errno_mapping(void **state)
{
        (void) state;
        assert_int_equal(rpc_code_from_errno(0), RPC_OK);
        assert_int_equal(rpc_code_from_errno(ENOENT), RPC_NOT_FOUND);
        assert_int_equal(rpc_code_from_errno(ESRCH), RPC_NOT_FOUND);
        assert_int_equal(rpc_code_from_errno(EEXIST), RPC_ALREADY_EXISTS);
        assert_int_equal(rpc_code_from_errno(EINVAL), RPC_INVALID_ARGUMENT);
        assert_int_equal(rpc_code_from_errno(ETIMEDOUT), RPC_DEADLINE_EXCEEDED);
        assert_int_equal(rpc_code_from_errno(ENOSYS), RPC_UNIMPLEMENTED);
        assert_int_equal(rpc_code_from_errno(EPERM), RPC_PERMISSION_DENIED);
        assert_int_equal(rpc_code_from_errno(EMFILE), RPC_RESOURCE_EXHAUSTED);
        assert_int_equal(rpc_code_from_errno(EBUSY), RPC_FAILED_PRECONDITION);
        assert_int_equal(rpc_code_from_errno(ECANCELED), RPC_CANCELLED);
        /* What the engine meets beyond the classic ones (issue 12): a rootfs that is a file, a
         * read-only path, an impossible seccomp arch pair, a setup child that died. */
        assert_int_equal(rpc_code_from_errno(ENOTDIR), RPC_INVALID_ARGUMENT);
        assert_int_equal(rpc_code_from_errno(EISDIR), RPC_INVALID_ARGUMENT);
        assert_int_equal(rpc_code_from_errno(ELOOP), RPC_INVALID_ARGUMENT);
        assert_int_equal(rpc_code_from_errno(EDOM), RPC_INVALID_ARGUMENT);
        assert_int_equal(rpc_code_from_errno(ENOEXEC), RPC_INVALID_ARGUMENT);
        assert_int_equal(rpc_code_from_errno(EROFS), RPC_FAILED_PRECONDITION);
        assert_int_equal(rpc_code_from_errno(ETXTBSY), RPC_FAILED_PRECONDITION);
        assert_int_equal(rpc_code_from_errno(EXDEV), RPC_FAILED_PRECONDITION);
        assert_int_equal(rpc_code_from_errno(ENETUNREACH), RPC_FAILED_PRECONDITION);
        assert_int_equal(rpc_code_from_errno(EDQUOT), RPC_RESOURCE_EXHAUSTED);
        assert_int_equal(rpc_code_from_errno(EMLINK), RPC_RESOURCE_EXHAUSTED);
        assert_int_equal(rpc_code_from_errno(ENOBUFS), RPC_RESOURCE_EXHAUSTED);
        assert_int_equal(rpc_code_from_errno(EOVERFLOW), RPC_OUT_OF_RANGE);
        assert_int_equal(rpc_code_from_errno(EAFNOSUPPORT), RPC_UNIMPLEMENTED);
        assert_int_equal(rpc_code_from_errno(EPROTONOSUPPORT), RPC_UNIMPLEMENTED);
        assert_int_equal(rpc_code_from_errno(ECHILD), RPC_ABORTED);
        assert_int_equal(rpc_code_from_errno(EINTR), RPC_ABORTED);
        assert_int_equal(rpc_code_from_errno(ECONNREFUSED), RPC_UNAVAILABLE);
        assert_int_equal(rpc_code_from_errno(EADDRINUSE), RPC_ALREADY_EXISTS);
        assert_int_equal(rpc_code_from_errno(EUCLEAN), RPC_DATA_LOSS);
        assert_int_equal(rpc_code_from_errno(EIO), RPC_INTERNAL);
        assert_int_equal(rpc_code_from_errno(12345), RPC_INTERNAL);
}

static void test_names(void **state)
{
        (void) state;
        assert_string_equal(rpc_code_name(RPC_NOT_FOUND), "NOT_FOUND");
        assert_string_equal(rpc_code_name(RPC_UNIMPLEMENTED), "UNIMPLEMENTED");
        assert_string_equal(rpc_code_name(99), "UNKNOWN_CODE");
        assert_string_equal(rpc_code_name(-1), "UNKNOWN_CODE");
        assert_int_equal(rpc_code_from_name("NotFound"), RPC_NOT_FOUND);
        assert_int_equal(rpc_code_from_name("deadline_exceeded"), RPC_DEADLINE_EXCEEDED);
        assert_int_equal(rpc_code_from_name("nope"), -EINVAL);
        for (int c = 0; c <= 16; c++)
                assert_int_equal(rpc_code_from_name(rpc_code_name(c)), c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errno_mapping),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
