/* SPDX-License-Identifier: Apache-2.0 */
/* GetMetrics' /proc families on fixture texts: names, labels, units, and bad lines skipped. */
#include "cm.h"

#include "guest/procstats.h"

#include <stdlib.h>
#include <string.h>

static char *run(void (*f)(struct procstats_text *, const char *), const char *input)
{
        struct procstats_text t = { 0 };

        f(&t, input);
        return t.buf;
}

static void has(const char *text, const char *needle)
{
        assert_non_null(text);
        if (!strstr(text, needle))
                fail_msg("`%s` not in:\n%s", needle, text ? text : "");
}

static void test_meminfo(void **state)
{
        char *t = run(procstats_meminfo, "MemTotal:        2048 kB\nActive(anon):  4 kB\n"
                                         "HugePages_Total:       3\ngarbage\nNoColon 5\n");
        (void) state;
        has(t, "# TYPE kata_guest_meminfo gauge\n");
        has(t, "kata_guest_meminfo{item=\"mem_total\"} 2097152\n");
        has(t, "kata_guest_meminfo{item=\"active_anon\"} 4096\n");
        has(t, "kata_guest_meminfo{item=\"hugepages_total\"} 3\n");
        free(t);
}

static void test_loadavg_vmstat(void **state)
{
        char *t = run(procstats_loadavg, "0.50 0.25 0.10 3/120 4242\n");
        (void) state;
        has(t, "kata_guest_load{item=\"load5\"} 0.25\n");
        has(t, "kata_guest_tasks{item=\"cur\"} 3\nkata_guest_tasks{item=\"max\"} 120\n");
        free(t);
        t = run(procstats_loadavg, "nonsense");
        assert_null(t);
        t = run(procstats_vmstat, "nr_free_pages 12\npgfault 7\nbad\n");
        has(t, "kata_guest_vm_stat{item=\"nr_free_pages\"} 12\n");
        has(t, "kata_guest_vm_stat{item=\"pgfault\"} 7\n");
        free(t);
}

static void test_cpu_netdev_diskstats(void **state)
{
        struct procstats_text pt = { 0 };
        char *t;

        (void) state;
        procstats_cpu_time(&pt, "cpu  100 0 50 1000 0 0 0 0 0 0\ncpu0 100 0 50 1000\nintr 5\n",
                           100);
        has(pt.buf, "kata_guest_cpu_time{cpu=\"total\",item=\"user\"} 1000\n");
        has(pt.buf, "kata_guest_cpu_time{cpu=\"0\",item=\"idle\"} 10000\n");
        assert_null(strstr(pt.buf, "intr"));
        free(pt.buf);
        t = run(procstats_netdev, "Inter-|   Receive\n face |bytes\n  eth\"0: 10 2 0 0 0 0 0 0 20 "
                                  "4 0 0 0 0 0 0\n");
        has(t, "kata_guest_netdev_stat{interface=\"eth\\\"0\",item=\"recv_bytes\"} 10\n");
        has(t, "kata_guest_netdev_stat{interface=\"eth\\\"0\",item=\"sent_packets\"} 4\n");
        free(t);
        t = run(procstats_diskstats, " 254 0 vda 5 1 80 9 6 2 96 10 0 20 30 0 0 0 0 1 2\n");
        has(t, "kata_guest_diskstat{disk=\"vda\",item=\"reads\"} 5\n");
        has(t, "kata_guest_diskstat{disk=\"vda\",item=\"time_flushing\"} 2\n");
        free(t);
}

static void test_filesystems(void **state)
{
        /* / is real and writable; the bind of the same device and the read-only and proc
         * mounts are skipped. */
        char *t = run(procstats_filesystems, "22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n"
                                             "23 22 254:1 /x /mnt rw - ext4 /dev/vda1 rw\n"
                                             "24 22 0:5 / /proc rw - proc proc rw\n"
                                             "25 22 254:2 / /ro ro - ext4 /dev/vdb ro\n"
                                             "short line\n");
        (void) state;
        has(t, "kata_guest_filesystem_bytes{mount=\"/\",device=\"vda1\",item=\"total\"} ");
        has(t, "kata_guest_filesystem_inodes{mount=\"/\",device=\"vda1\",item=\"used\"} ");
        assert_null(strstr(t, "/mnt"));
        assert_null(strstr(t, "/proc"));
        assert_null(strstr(t, "vdb"));
        free(t);
}

static void test_agent(void **state)
{
        struct procstats_text t = { 0 };

        (void) state;
        procstats_agent(&t, "Name:\tcata\nVmRSS:\t  1000 kB\nvoluntary_ctxt_switches:\t7\n",
                        "rchar: 11\nwrite_bytes: 12\n",
                        "42 (cata) a b) S 1 1 1 0 -1 4194560 10 0 0 0 300 100 5 6 20 0", 100);
        has(t.buf, "kata_agent_total_time 4\n");
        has(t.buf, "kata_agent_proc_stat{item=\"utime\"} 300\n");
        has(t.buf, "kata_agent_proc_stat{item=\"cstime\"} 6\n");
        has(t.buf, "kata_agent_proc_status{item=\"vmrss\"} 1000\n");
        has(t.buf, "kata_agent_proc_status{item=\"voluntary_ctxt_switches\"} 7\n");
        has(t.buf, "kata_agent_io_stat{item=\"rchar\"} 11\n");
        free(t.buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_meminfo),
                cmocka_unit_test(test_loadavg_vmstat),
                cmocka_unit_test(test_cpu_netdev_diskstats),
                cmocka_unit_test(test_filesystems),
                cmocka_unit_test(test_agent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
