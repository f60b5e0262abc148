/* SPDX-License-Identifier: Apache-2.0 */
/* Pure pieces of the agent core: guest facts and the PID 1 cgroup mount plan. */
#include "cm.h"

#include "agent/boot.h"
#include "agent/guest.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static char *write_tmp(const char *name, const char *content)
{
        char *p = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(p, "we");

        assert_non_null(f);
        fputs(content, f);
        fclose(f);
        return p;
}

static void test_memory_info(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;
        char *bs = write_tmp("bs", "8000000\n");
        char *probe = write_tmp("probe", "");
        char *bad = write_tmp("bad", "zz\n");
        char *missing = xasprintf("%s/missing", dir);
        uint64_t size = 1;
        bool p = false;

        (void) state;
        assert_int_equal(guest_memory_info(bs, probe, true, true, &size, &p, &err), 0);
        assert_int_equal(size, 0x8000000);
        assert_true(p);
        /* Absent files: size 0 and no probe, not errors (kernels without memory hotplug). */
        assert_int_equal(guest_memory_info(missing, missing, true, true, &size, &p, &err), 0);
        assert_int_equal(size, 0);
        assert_false(p);
        /* Not asked: not looked at. */
        assert_int_equal(guest_memory_info(bad, probe, false, false, &size, &p, &err), 0);
        assert_int_equal(size, 0);
        assert_false(p);
        assert_int_equal(guest_memory_info(bad, probe, true, false, &size, &p, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "invalid memory block size"));
        unlink(bs);
        unlink(probe);
        unlink(bad);
        free(bs);
        free(probe);
        free(bad);
        free(missing);
}

static void test_proc_cgroups(void **state)
{
        const char *text = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                           "cpuset\t2\t1\t1\n"
                           "cpu\t3\t40\t1\n"
                           "rdma\t0\t1\t0\n"
                           "memory\t5\t90\t1\n"
                           "garbage line\n";
        char **v = NULL;
        int n;

        (void) state;
        n = boot_parse_proc_cgroups(text, &v);
        assert_int_equal(n, 3);
        assert_string_equal(v[0], "cpuset");
        assert_string_equal(v[1], "cpu");
        assert_string_equal(v[2], "memory");
        assert_null(v[3]);
        for (int i = 0; v[i]; i++)
                free(v[i]);
        free(v);
        assert_int_equal(boot_parse_proc_cgroups("", &v), 0);
        assert_null(v[0]);
        free(v);
}

static int setup(void **state)
{
        (void) state;
        snprintf(dir, sizeof(dir), "/tmp/cata-core-XXXXXX");
        assert_non_null(mkdtemp(dir));
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        rmdir(dir);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_memory_info),
                cmocka_unit_test(test_proc_cgroups),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
