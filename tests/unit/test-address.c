/* SPDX-License-Identifier: Apache-2.0 */
#include "cm.h"

#include "ttrpc/address.h"

#include <errno.h>
#include <linux/vm_sockets.h>
#include <string.h>

static void test_vsock(void **state)
{
        struct address a;
        char buf[128];

        (void) state;
        assert_int_equal(address_parse("vsock://-1:1024", &a), 0);
        assert_int_equal(a.kind, ADDRESS_VSOCK);
        assert_int_equal(a.cid, VMADDR_CID_ANY);
        assert_int_equal(a.port, 1024);
        address_format(&a, buf, sizeof(buf));
        assert_string_equal(buf, "vsock://-1:1024");
        assert_int_equal(address_parse("vsock://3:5000", &a), 0);
        assert_int_equal(a.cid, 3);
        assert_int_equal(a.port, 5000);
        assert_int_equal(address_parse("vsock://4294967295:1", &a), 0);
        assert_int_equal(address_parse("vsock://-2:1024", &a), -EINVAL);
        assert_int_equal(address_parse("vsock://1:", &a), -EINVAL);
        assert_int_equal(address_parse("vsock://:1", &a), -EINVAL);
        assert_int_equal(address_parse("vsock://1:4294967296", &a), -EINVAL);
        assert_int_equal(address_parse("vsock://x:1", &a), -EINVAL);
}

static void test_unix_and_serial(void **state)
{
        struct address a;
        struct sockaddr_storage ss;
        socklen_t len;

        (void) state;
        assert_int_equal(address_parse("unix:///run/a.sock", &a), 0);
        assert_int_equal(a.kind, ADDRESS_UNIX);
        assert_string_equal(a.path, "/run/a.sock");
        assert_int_equal(address_parse("unix://@abstract", &a), 0);
        assert_int_equal(address_sockaddr(&a, &ss, &len), 0);
        assert_int_equal(((struct sockaddr_un *) &ss)->sun_path[0], '\0');
        assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + strlen("@abstract"));
        assert_int_equal(address_parse("unix://relative", &a), -EINVAL);
        assert_int_equal(address_parse("unix://@", &a), -EINVAL);
        assert_int_equal(address_parse("unix://", &a), -EINVAL);
        assert_int_equal(address_parse("/dev/virtio-ports/agent.channel.0", &a), 0);
        assert_int_equal(a.kind, ADDRESS_SERIAL);
        assert_int_equal(address_parse("serial:///dev/hvc1", &a), 0);
        assert_int_equal(a.kind, ADDRESS_SERIAL);
        assert_int_equal(address_parse("tcp://1.2.3.4:5", &a), -EINVAL);
        assert_int_equal(address_parse("", &a), -EINVAL);
        assert_int_equal(address_parse(NULL, &a), -EINVAL);
        char longp[300] = "unix:///";
        memset(longp + 8, 'a', 200);
        assert_int_equal(address_parse(longp, &a), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vsock),
                cmocka_unit_test(test_unix_and_serial),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
