/* SPDX-License-Identifier: Apache-2.0 */
/* Devices, pure parts: uevent messages, matchers, PCI paths against a fake sysfs, device
 * request checks, spec and env updates, the v2 device program, cpu lists. */
#include "cm.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/util.h"
#include "devices/devspec.h"
#include "devices/hotplug.h"
#include "devices/pci.h"
#include "devices/uevent.h"
#include "engine/cgroup.h"

#include <errno.h>
#include <ftw.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK_DEVPATH "/devices/pci0000:00/0000:00:05.0/0000:01:00.0/virtio2/block/vda"

/* A kernel message: "ACTION@DEVPATH\0KEY=VALUE\0..." (the NULs given as '|'). */
static int parse(const char *text, struct uevent *ev)
{
        _cleanup_free_ char *buf = xstrdup(text);
        size_t n = strlen(buf);

        for (size_t i = 0; i < n; i++)
                if (buf[i] == '|')
                        buf[i] = '\0';
        return uevent_parse(buf, n + 1, ev);
}

static void test_uevent_parse(void **state)
{
        struct uevent ev;

        (void) state;
        assert_int_equal(parse("add@" BLK_DEVPATH "|ACTION=add|DEVPATH=" BLK_DEVPATH
                               "|SUBSYSTEM=block|MAJOR=254|MINOR=0|DEVNAME=vda|DEVTYPE=disk|"
                               "SEQNUM=1234",
                               &ev),
                         0);
        assert_string_equal(ev.action, "add");
        assert_string_equal(ev.devpath, BLK_DEVPATH);
        assert_string_equal(ev.devname, "vda");
        assert_string_equal(ev.subsystem, "block");
        assert_string_equal(ev.interface, "");
        assert_int_equal(ev.seqnum, 1234);
        uevent_done(&ev);
        /* Minimal: the header only. */
        assert_int_equal(parse("remove@/devices/virtual/vfio/3", &ev), 0);
        assert_string_equal(ev.devname, "");
        uevent_done(&ev);
        /* Not uevents, or lying ones. */
        assert_int_equal(parse("libudev|whatever", &ev), -EINVAL);
        assert_int_equal(parse("@/devices/x", &ev), -EINVAL);
        assert_int_equal(parse("add@relative/path", &ev), -EINVAL);
        assert_int_equal(parse("add@/devices/../etc", &ev), -EINVAL);
        assert_int_equal(parse("add@/devices/x|ACTION=remove", &ev), -EINVAL);
        assert_int_equal(parse("add@/devices/x|DEVPATH=/devices/y", &ev), -EINVAL);
        assert_int_equal(parse("add@/devices/x|SEQNUM=12a", &ev), -EINVAL);
        assert_int_equal(parse("add@/devices/x|DEVNAME=../etc/passwd", &ev), -EINVAL);
        assert_int_equal(parse("add@/devices/x|DEVNAME=a\x01", &ev), -EINVAL);
        assert_int_equal(uevent_parse("", 0, &ev), -EINVAL);
}

static struct uevent mk(const char *action, const char *devpath, const char *subsystem,
                        const char *devname)
{
        return (struct uevent){ .action = (char *) action,
                                .devpath = (char *) devpath,
                                .subsystem = (char *) subsystem,
                                .devname = (char *) devname,
                                .interface = (char *) "" };
}

static void test_matchers(void **state)
{
        const char *pci = "/devices/pci0000:00/0000:00:05.0/0000:01:00.0";
        struct uevent vda = mk("add", BLK_DEVPATH, "block", "vda");
        struct uevent part = mk("add", BLK_DEVPATH "/vda1", "block", "vda1");
        struct uevent other =
                mk("add", "/devices/pci0000:00/0000:00:06.0/0000:02:00.0/virtio3/block/vdb",
                   "block", "vdb");
        struct uevent sda = mk("add",
                               "/devices/pci0000:00/0000:00:09.0/virtio1/host0/target0:0:0/"
                               "0:0:0:1/block/sda",
                               "block", "sda");
        struct uevent sda_lun10 = mk("add",
                                     "/devices/pci0000:00/0000:00:09.0/virtio1/host0/"
                                     "target0:0:0/0:0:0:10/block/sdb",
                                     "block", "sdb");
        struct uevent pmem = mk("add",
                                "/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/"
                                "namespace0.0/block/pmem0",
                                "block", "pmem0");
        struct uevent net = mk(
                "add", "/devices/pci0000:00/0000:00:05.0/0000:01:00.0/virtio2/net/eth1", "net", "");
        struct uevent pcidev = mk("add", pci, "pci", "");
        struct uevent vfio = mk("add", "/devices/virtual/vfio/12", "vfio", "vfio/12");
        struct devmatch m;

        (void) state;
        assert_int_equal(devmatch_blk_pci(pci, "PCI path `05/00`", &m), 0);
        assert_true(devmatch_test(&m, &vda));
        assert_false(devmatch_test(&m, &part)); /* a partition is not the disk */
        assert_false(devmatch_test(&m, &other));
        assert_false(devmatch_test(&m, &net));
        assert_non_null(strstr(m.what, "05/00"));
        devmatch_done(&m);

        assert_int_equal(devmatch_scsi("0:1", &m), 0);
        assert_true(devmatch_test(&m, &sda));
        assert_false(devmatch_test(&m, &sda_lun10)); /* "0:0:0:1" is not a prefix match */
        sda.action = (char *) "change";
        assert_false(devmatch_test(&m, &sda));
        devmatch_done(&m);

        assert_int_equal(devmatch_pmem("/dev/pmem0", &m), 0);
        assert_true(devmatch_test(&m, &pmem));
        assert_false(devmatch_test(&m, &vda));
        devmatch_done(&m);
        assert_int_equal(devmatch_pmem("/dev/vda", &m), -EINVAL);

        assert_int_equal(devmatch_blk_mmio("/dev/vda", &m), 0);
        assert_true(devmatch_test(&m, &vda));
        assert_false(devmatch_test(&m, &other));
        devmatch_done(&m);

        assert_int_equal(devmatch_pci(pci, "PCI path `05/00`", &m), 0);
        assert_true(devmatch_test(&m, &pcidev));
        assert_false(devmatch_test(&m, &vda));
        devmatch_done(&m);

        assert_int_equal(devmatch_net_pci(pci, "PCI path `05/00`", &m), 0);
        assert_true(devmatch_test(&m, &net));
        assert_false(devmatch_test(&m, &vda));
        devmatch_done(&m);

        assert_int_equal(devmatch_vfio(12, &m), 0);
        assert_true(devmatch_test(&m, &vfio));
        devmatch_done(&m);

        assert_int_equal(devmatch_blk_pci("relative", "x", &m), -EINVAL);
        assert_int_equal(devmatch_blk_pci("/devices/a/../b", "x", &m), -EINVAL);
        assert_int_equal(devmatch_scsi("0:1:2", &m), -EINVAL);
        assert_int_equal(devmatch_scsi("256:0", &m), -EINVAL);
        assert_int_equal(devmatch_scsi("a:0", &m), -EINVAL);
        assert_int_equal(devmatch_blk_mmio("/dev/../etc", &m), -EINVAL);
        assert_int_equal(devmatch_blk_mmio("/etc/passwd", &m), -EINVAL);
}

static void test_pci_parse(void **state)
{
        struct pci_path p;
        struct pci_addr a;
        char buf[PCI_PATH_STR_MAX + 1];
        uint32_t slots[] = { 8, 0 };

        (void) state;
        assert_int_equal(pci_path_parse("05/00", &p), 0);
        assert_int_equal(p.n, 2);
        assert_int_equal(p.root_complex, 0);
        pci_path_format(&p, buf, sizeof(buf));
        assert_string_equal(buf, "05.0/00.0");
        assert_int_equal(pci_path_parse("1f.7", &p), 0);
        assert_int_equal(p.slot[0], 0x1f);
        assert_int_equal(p.func[0], 7);
        /* pxb-pcie: a first element that cannot be a slot, two after it. */
        assert_int_equal(pci_path_parse("20/00/02", &p), 0);
        assert_int_equal(p.root_complex, 0x20);
        assert_int_equal(p.n, 2);
        pci_path_format(&p, buf, sizeof(buf));
        assert_string_equal(buf, "20/00.0/02.0");
        assert_int_equal(pci_path_parse("20/00", &p), -EINVAL); /* 0x20 > slot max */
        assert_int_equal(pci_path_parse("", &p), -EINVAL);
        assert_int_equal(pci_path_parse("05/", &p), -EINVAL);
        assert_int_equal(pci_path_parse("/05", &p), -EINVAL);
        assert_int_equal(pci_path_parse("05.8", &p), -EINVAL);
        assert_int_equal(pci_path_parse("005", &p), -EINVAL);
        assert_int_equal(pci_path_parse("0g", &p), -EINVAL);
        assert_int_equal(pci_path_parse("01/01/01/01/01/01/01/01/01/01/01/01/01/01/01/01/01", &p),
                         -EINVAL);
        assert_int_equal(pci_path_from_slots(slots, 2, &p), 0);
        assert_int_equal(p.slot[0], 8);
        assert_int_equal(pci_path_from_slots(slots, 0, &p), -EINVAL);
        slots[0] = 32;
        assert_int_equal(pci_path_from_slots(slots, 2, &p), -EINVAL);

        assert_int_equal(pci_addr_parse("0000:3b:00.1", &a), 0);
        assert_int_equal(a.bus, 0x3b);
        assert_int_equal(a.func, 1);
        pci_addr_format(&a, buf, sizeof(buf));
        assert_string_equal(buf, "0000:3b:00.1");
        assert_int_equal(pci_addr_parse("3b:00.1", &a), -EINVAL);
        assert_int_equal(pci_addr_parse("0000:3b:00.1:", &a), -EINVAL);
        assert_int_equal(pci_addr_parse("00000:3b:00.1", &a), -EINVAL);
}

static char sysroot[64];

static void mkdirs(const char *rel)
{
        _cleanup_free_ char *p = xasprintf("%s%s", sysroot, rel);

        for (char *s = p + strlen(sysroot) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                (void) mkdir(p, 0755);
                *s = '/';
        }
        (void) mkdir(p, 0755);
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void) st;
        (void) ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* A fake sysfs: root bus 00 with a root port at 05 (bus 01 behind it, pci_bus/ says so), a
 * bridge at 06 without pci_bus/ (its child tells the bus), a plain device at 02, and a
 * pxb-pcie root complex 20 with a port at 00 (bus 21). */
static void test_pci_resolve(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;
        char *devpath = NULL;
        struct pci_path p;

        (void) state;
        snprintf(sysroot, sizeof(sysroot), "/tmp/cata-fake-sysfs.XXXXXX");
        assert_non_null(mkdtemp(sysroot));
        mkdirs("/devices/pci0000:00/0000:00:05.0/pci_bus/0000:01");
        mkdirs("/devices/pci0000:00/0000:00:05.0/0000:01:00.0");
        mkdirs("/devices/pci0000:00/0000:00:06.0/0000:02:03.0");
        mkdirs("/devices/pci0000:00/0000:00:02.0");
        mkdirs("/devices/pci0000:00/0000:00:07.0/0000:03:00.0");
        mkdirs("/devices/pci0000:00/0000:00:07.0/0000:04:00.0");
        mkdirs("/devices/pci0000:20/0000:20:00.0/pci_bus/0000:21");

        assert_int_equal(pci_path_parse("05/00", &p), 0);
        assert_int_equal(pci_path_resolve(sysroot, &p, &devpath, &err), 0);
        assert_string_equal(devpath, "/devices/pci0000:00/0000:00:05.0/0000:01:00.0");
        free(devpath);
        /* The device itself need not be there yet. */
        assert_int_equal(pci_path_parse("05/01", &p), 0);
        assert_int_equal(pci_path_resolve(sysroot, &p, &devpath, &err), 0);
        assert_string_equal(devpath, "/devices/pci0000:00/0000:00:05.0/0000:01:01.0");
        free(devpath);
        assert_int_equal(pci_path_parse("06/03", &p), 0);
        assert_int_equal(pci_path_resolve(sysroot, &p, &devpath, &err), 0);
        assert_string_equal(devpath, "/devices/pci0000:00/0000:00:06.0/0000:02:03.0");
        free(devpath);
        assert_int_equal(pci_path_parse("02", &p), 0);
        assert_int_equal(pci_path_resolve(sysroot, &p, &devpath, &err), 0);
        assert_string_equal(devpath, "/devices/pci0000:00/0000:00:02.0");
        free(devpath);
        assert_int_equal(pci_path_parse("20/00/02", &p), 0);
        assert_int_equal(pci_path_resolve(sysroot, &p, &devpath, &err), 0);
        assert_string_equal(devpath, "/devices/pci0000:20/0000:20:00.0/0000:21:02.0");
        free(devpath);
        /* A bridge that is not there, and one whose children disagree on their bus. */
        assert_int_equal(pci_path_parse("09/00", &p), 0);
        assert_int_equal(pci_path_resolve(sysroot, &p, &devpath, &err), -ENODEV);
        assert_non_null(strstr(err->msg, "09.0/00.0"));
        err = agent_error_free(err);
        assert_int_equal(pci_path_parse("07/00", &p), 0);
        assert_int_equal(pci_path_resolve(sysroot, &p, &devpath, &err), -ENOTUNIQ);
        assert_null(devpath);
        (void) nftw(sysroot, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static Grpc__Device *dev(const char *type, const char *id, const char *vm_path, const char *cpath)
{
        static Grpc__Device d;

        grpc__device__init(&d);
        d.type = (char *) type;
        d.id = (char *) id;
        d.vm_path = (char *) vm_path;
        d.container_path = (char *) cpath;
        return &d;
}

static void want_check(Grpc__Device *d, int want, const char *msg)
{
        _cleanup_error_ struct agent_error *err = NULL;
        int r = devices_check_device(d, &err);

        if (r != want || (msg && (!err || !strstr(err->msg, msg))))
                fail_msg("type `%s` id `%s`: %d (%s)", d->type, d->id, r, err ? err->msg : "");
}

static void test_device_checks(void **state)
{
        char *vfio_ok[] = { (char *) "0000:3b:00.1=02/00" };
        char *vfio_empty_guest[] = { (char *) "0000:3b:00.1=" };
        char *vfio_bad[] = { (char *) "3b:00.1=02/00" };
        Grpc__Device *d;

        (void) state;
        want_check(dev("blk", "05/00", "", "/dev/xvda"), 0, NULL);
        want_check(dev("blk", "", "/dev/vdb", "/dev/xvda"), 0, NULL);
        want_check(dev("blk", "zz/00", "", "/dev/xvda"), -EINVAL, "PCI path");
        want_check(dev("mmioblk", "", "/dev/vdc", "/dev/xvda"), 0, NULL);
        want_check(dev("mmioblk", "", "vdc", "/dev/xvda"), -EINVAL, "below /dev");
        want_check(dev("mmioblk", "", "/dev/../etc/shadow", "/dev/x"), -EINVAL, "below /dev");
        want_check(dev("scsi", "0:1", "", "/dev/sda"), 0, NULL);
        want_check(dev("scsi", "1", "", "/dev/sda"), -EINVAL, "SCSI address");
        want_check(dev("nvdimm", "", "/dev/pmem1", "/dev/pmem1"), 0, NULL);
        want_check(dev("nvdimm", "", "/dev/sda", "/dev/pmem1"), -EINVAL, "pmem");
        want_check(dev("vfio-ap", "x", "", "/dev/z90crypt"), -EOPNOTSUPP, "s390x");
        want_check(dev("vfio-ap-cold", "x", "", "/dev/z90crypt"), -EOPNOTSUPP, "s390x");
        want_check(dev("gpu", "x", "", "/dev/x"), -EINVAL, "unknown device type");
        want_check(dev("", "x", "", "/dev/x"), -EINVAL, "empty device type");
        want_check(dev("blk", "", "", "/dev/x"), -EINVAL, "neither");
        want_check(dev("blk", "05/00", "", "dev/x"), -EINVAL, "container_path");
        want_check(dev("blk", "05/00", "", "/dev/../etc"), -EINVAL, "container_path");
        d = dev("vfio-pci", "x", "", "/dev/vfio/3");
        want_check(d, -EINVAL, "no VFIO options");
        d->options = vfio_ok;
        d->n_options = 1;
        want_check(d, 0, NULL);
        d->options = vfio_empty_guest;
        want_check(d, 0, NULL);
        d->options = vfio_bad;
        want_check(d, -EINVAL, "malformed VFIO option");
        d->n_options = DEVICES_MAX_OPTIONS + 1;
        want_check(d, -E2BIG, "options");
}

static void test_block_storage_checks(void **state)
{
        Grpc__Storage s = GRPC__STORAGE__INIT;
        char *create[] = { (char *) "create_filesystem" };
        char *crypt[] = { (char *) "encryption_key=ephemeral", (char *) "create_filesystem" };
        struct agent_error *err = NULL;

        (void) state;
        s.driver = (char *) "blk";
        s.source = (char *) "05/00";
        s.fstype = (char *) "ext4";
        assert_true(devices_storage_is_block(&s));
        assert_int_equal(devices_check_block_storage(&s, &err), 0);
        s.source = (char *) "/dev/vda";
        assert_int_equal(devices_check_block_storage(&s, &err), 0);
        s.source = (char *) "vda";
        assert_int_equal(devices_check_block_storage(&s, &err), -EINVAL);
        err = agent_error_free(err);
        s.source = (char *) "05/00";
        s.driver_options = create;
        s.n_driver_options = 1;
        assert_true(devices_storage_create_fs(&s));
        assert_int_equal(devices_check_block_storage(&s, &err), 0);
        s.fstype = (char *) "xfs";
        assert_int_equal(devices_check_block_storage(&s, &err), -EOPNOTSUPP);
        assert_non_null(strstr(err->msg, "only ext4"));
        err = agent_error_free(err);
        /* Never a silent plain mount of a volume meant to be encrypted. */
        s.fstype = (char *) "ext4";
        s.driver_options = crypt;
        s.n_driver_options = 2;
        assert_int_equal(devices_check_block_storage(&s, &err), -EOPNOTSUPP);
        assert_non_null(strstr(err->msg, "encryption_key=ephemeral"));
        err = agent_error_free(err);
        s.n_driver_options = 0;
        s.driver = (char *) "scsi";
        s.source = (char *) "0:3";
        assert_int_equal(devices_check_block_storage(&s, &err), 0);
        s.source = (char *) "0-3";
        assert_int_equal(devices_check_block_storage(&s, &err), -EINVAL);
        err = agent_error_free(err);
        s.driver = (char *) "blk-ccw";
        assert_int_equal(devices_check_block_storage(&s, &err), -EOPNOTSUPP);
        err = agent_error_free(err);
        s.driver = (char *) "ephemeral";
        assert_false(devices_storage_is_block(&s));
}

static void test_update_spec(void **state)
{
        Grpc__Spec spec = GRPC__SPEC__INIT;
        Grpc__Linux lnx = GRPC__LINUX__INIT;
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxDevice ld = GRPC__LINUX_DEVICE__INIT, *lds[] = { &ld };
        Grpc__LinuxDeviceCgroup rule = GRPC__LINUX_DEVICE_CGROUP__INIT, *rules_in[] = { &rule };
        _cleanup_error_ struct agent_error *err = NULL;
        struct cgroup_device_rule *rules = NULL;
        size_t n = 0;

        (void) state;
        spec.linux = &lnx;
        lnx.devices = lds;
        lnx.n_devices = 1;
        lnx.resources = &res;
        res.devices = rules_in;
        res.n_devices = 1;
        ld.path = xstrdup("/dev/xvda");
        ld.type = (char *) "b";
        ld.major = 253;
        ld.minor = 7;
        rule.allow = true;
        rule.type = (char *) "b";
        rule.major = 253;
        rule.minor = 7;
        assert_int_equal(
                devices_update_spec(&spec, "/dev/xvda", 'b', 254, 0, NULL, &rules, &n, &err), 0);
        assert_int_equal(ld.major, 254);
        assert_int_equal(ld.minor, 0);
        assert_int_equal(rule.major, 254); /* the spec's rule follows its device */
        assert_int_equal(rule.minor, 0);
        assert_int_equal(n, 1);
        assert_int_equal(rules[0].major, 254);
        assert_int_equal(rules[0].minor, 0); /* exact: minor 0 is not "any" */
        assert_true(rules[0].allow);
        assert_string_equal(rules[0].access, "rwm");
        /* VFIO: the node's path changes to the guest's group. */
        assert_int_equal(devices_update_spec(&spec, "/dev/xvda", 'c', 240, 3, "/dev/vfio/3", &rules,
                                             &n, &err),
                         0);
        assert_string_equal(ld.path, "/dev/vfio/3");
        assert_int_equal(devices_update_spec(&spec, "/dev/nope", 'b', 1, 1, NULL, &rules, &n, &err),
                         -ENOENT);
        assert_non_null(strstr(err->msg, "/dev/nope"));
        free(ld.path);
        free(rules);
}

static void test_env_pci(void **state)
{
        struct pci_map_entry map[2];
        char *env[] = {
                xstrdup("PATH=/bin"),
                xstrdup("PCIDEVICE_INTEL_COM_SRIOV=0000:3b:00.1,0000:3b:00.2"),
                xstrdup("PCIDEVICE_INTEL_COM_SRIOV_INFO={\"0000:3b:00.1\":{},\"0000:3b:00.2\":{}}"),
                xstrdup("PCIDEVICE_OTHER=0000:99:00.0"),
                xstrdup("PCIDEVICE_NAME=not-an-address"),
        };

        (void) state;
        assert_int_equal(pci_addr_parse("0000:3b:00.1", &map[0].host), 0);
        assert_int_equal(pci_addr_parse("0000:00:05.0", &map[0].guest), 0);
        assert_int_equal(pci_addr_parse("0000:3b:00.2", &map[1].host), 0);
        assert_int_equal(pci_addr_parse("0000:01:00.0", &map[1].guest), 0);
        devices_update_env_pci(env, ARRAY_SIZE(env), map, 2);
        assert_string_equal(env[0], "PATH=/bin");
        assert_string_equal(env[1], "PCIDEVICE_INTEL_COM_SRIOV=0000:00:05.0,0000:01:00.0");
        assert_string_equal(
                env[2], "PCIDEVICE_INTEL_COM_SRIOV_INFO={\"0000:00:05.0\":{},\"0000:01:00.0\":{}}");
        assert_string_equal(env[3], "PCIDEVICE_OTHER=0000:99:00.0"); /* not mapped: untouched */
        assert_string_equal(env[4], "PCIDEVICE_NAME=not-an-address");
        for (size_t i = 0; i < ARRAY_SIZE(env); i++)
                free(env[i]);
}

static void test_bpf_program(void **state)
{
        struct cgroup_device_rule rules[] = {
                { true, 'c', 1, 3, "rwm" }, /* /dev/null */
                { false, 'b', 8, -1, "w" }, /* no writes to sd* */
                { true, 'a', -1, -1, "m" }, /* mknod anything */
        };
        struct bpf_insn *p = NULL;
        size_t n;

        (void) state;
        n = cgroup_devices_program(rules, ARRAY_SIZE(rules), false, &p);
        /* 6 of prologue; rule 3: access test (3) + verdict (2); rule 2: type, access (3),
         * major, verdict (2); rule 1: type, major, minor, verdict (2); 2 of epilogue. */
        assert_int_equal(n, 6 + 5 + 7 + 5 + 2);
        assert_int_equal(p[n - 1].code, BPF_JMP | BPF_EXIT);
        assert_int_equal(p[n - 2].imm, 0); /* default deny */
        /* The newest rule is tested first. */
        assert_int_equal(p[6].code, BPF_ALU64 | BPF_MOV | BPF_X);
        /* Every jump lands inside the program. */
        for (size_t i = 0; i < n; i++)
                if (BPF_CLASS(p[i].code) == BPF_JMP && BPF_OP(p[i].code) != BPF_EXIT)
                        assert_true(i + 1 + (size_t) p[i].off < n);
        free(p);
}

static void test_count_cpus(void **state)
{
        (void) state;
        assert_int_equal(hotplug_count_cpus("0\n"), 1);
        assert_int_equal(hotplug_count_cpus("0-3,6"), 5);
        assert_int_equal(hotplug_count_cpus("0-1,3-4\n"), 4);
        assert_int_equal(hotplug_count_cpus("3-1"), -EINVAL);
        assert_int_equal(hotplug_count_cpus("x"), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_uevent_parse),  cmocka_unit_test(test_matchers),
                cmocka_unit_test(test_pci_parse),     cmocka_unit_test(test_pci_resolve),
                cmocka_unit_test(test_device_checks), cmocka_unit_test(test_block_storage_checks),
                cmocka_unit_test(test_update_spec),   cmocka_unit_test(test_env_pci),
                cmocka_unit_test(test_bpf_program),   cmocka_unit_test(test_count_cpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
