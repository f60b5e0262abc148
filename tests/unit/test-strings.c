/* SPDX-License-Identifier: Apache-2.0 */
/* rpc_strings_check: string fields with a NUL inside, at any depth, found on the wire. */
#include "cm.h"

#include "rpc/strings.h"

#include "agent.pb-c.h"
#include "ttrpc.pb-c.h"

#include <errno.h>

#define CHECK(desc, bytes, path) \
        rpc_strings_check(&(desc), (const uint8_t *) (bytes), sizeof(bytes) - 1, path, sizeof(path))

static void test_top_level_id(void **state)
{
        char path[128];

        (void) state;
        assert_int_equal(CHECK(grpc__create_container_request__descriptor,
                               "\x0a\x08"
                               "ab\0/../x",
                               path),
                         -EINVAL);
        assert_string_equal(path, "container_id");
        assert_int_equal(CHECK(grpc__create_container_request__descriptor,
                               "\x0a\x08"
                               "ab-../xy",
                               path),
                         0);
}

static void test_nested_repeated_and_map(void **state)
{
        char path[128];

        (void) state;
        /* OCI { Process { Args: "ls", "a\0b" } } */
        assert_int_equal(CHECK(grpc__create_container_request__descriptor,
                               "\x32\x0b\x12\x09\x22\x02"
                               "ls"
                               "\x22\x03"
                               "a\0b",
                               path),
                         -EINVAL);
        assert_string_equal(path, "OCI.Process.Args");
        /* OCI { Annotations { "k": "v\0" } } */
        assert_int_equal(CHECK(grpc__create_container_request__descriptor,
                               "\x32\x09\x3a\x07\x0a\x01"
                               "k"
                               "\x12\x02"
                               "v\0",
                               path),
                         -EINVAL);
        assert_string_equal(path, "OCI.Annotations.value");
        /* The same shapes without a NUL pass, and the path is left empty. */
        assert_int_equal(CHECK(grpc__create_container_request__descriptor,
                               "\x32\x09\x3a\x07\x0a\x01"
                               "k"
                               "\x12\x02"
                               "vv",
                               path),
                         0);
        assert_string_equal(path, "");
}

static void test_bytes_and_envelope(void **state)
{
        char path[128];

        (void) state;
        /* WriteStreamRequest.data is bytes: NULs are data. */
        assert_int_equal(CHECK(grpc__write_stream_request__descriptor,
                               "\x1a\x03"
                               "\0\0\0",
                               path),
                         0);
        /* The ttRPC envelope's service name. */
        assert_int_equal(CHECK(ttrpc__request__descriptor,
                               "\x0a\x13"
                               "grpc.AgentService\0x",
                               path),
                         -EINVAL);
        assert_string_equal(path, "service");
}

static void test_malformed(void **state)
{
        char path[128];

        (void) state;
        /* A length past the end, a group wire type, a truncated varint. */
        assert_int_equal(CHECK(grpc__create_container_request__descriptor,
                               "\x0a\x7f"
                               "ab",
                               path),
                         -EBADMSG);
        assert_int_equal(CHECK(grpc__create_container_request__descriptor, "\x0b", path), -EBADMSG);
        assert_int_equal(CHECK(grpc__create_container_request__descriptor, "\x38\xff", path),
                         -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_top_level_id),
                cmocka_unit_test(test_nested_repeated_and_map),
                cmocka_unit_test(test_bytes_and_envelope),
                cmocka_unit_test(test_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
