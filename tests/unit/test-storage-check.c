/* SPDX-License-Identifier: Apache-2.0 */
/* The pure storage checks: paths, drivers, Kata's options, CopyFile's bounds. */
#include "cm.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/util.h"
#include "storage/storage.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define RUN "/run/kata-containers"

static void test_path_below(void **state)
{
        char long_path[STORAGE_MAX_PATH + 64];

        (void) state;
        assert_int_equal(storage_path_below(RUN "/shared/containers/", RUN), 0);
        assert_int_equal(storage_path_below(RUN "/sandbox/shm", RUN), 0);
        assert_int_equal(storage_path_below(RUN "/sandbox/shm", RUN "/"), 0);
        assert_int_equal(storage_path_below(RUN "/c1/..data", RUN), 0); /* a name, not `..` */
        assert_int_equal(storage_path_below(RUN, RUN), -EINVAL);
        assert_int_equal(storage_path_below(RUN "/", RUN), -EINVAL);
        assert_int_equal(storage_path_below(RUN "x/a", RUN), -EINVAL);
        assert_int_equal(storage_path_below("/run/kata", RUN), -EINVAL);
        assert_int_equal(storage_path_below(RUN "/a/../../etc", RUN), -EINVAL);
        assert_int_equal(storage_path_below(RUN "/a/./b", RUN), -EINVAL);
        assert_int_equal(storage_path_below(RUN "//a", RUN), -EINVAL);
        assert_int_equal(storage_path_below(RUN "/a//", RUN), -EINVAL);
        assert_int_equal(storage_path_below("relative", RUN), -EINVAL);
        assert_int_equal(storage_path_below("", RUN), -EINVAL);
        assert_int_equal(storage_path_below(NULL, RUN), -EINVAL);
        memset(long_path, 'a', sizeof(long_path) - 1);
        long_path[sizeof(long_path) - 1] = '\0';
        memcpy(long_path, RUN "/", strlen(RUN) + 1);
        assert_int_equal(storage_path_below(long_path, RUN), -ENAMETOOLONG);
}

static void test_path_clean(void **state)
{
        _cleanup_free_ char *a = storage_path_clean(RUN "/shared/containers/");
        _cleanup_free_ char *b = storage_path_clean("/");

        (void) state;
        assert_string_equal(a, RUN "/shared/containers");
        assert_string_equal(b, "/");
}

static void test_drivers(void **state)
{
        (void) state;
        assert_int_equal(storage_driver_from_name("ephemeral"), STORAGE_DRIVER_EPHEMERAL);
        assert_int_equal(storage_driver_from_name("9p"), STORAGE_DRIVER_9P);
        assert_int_equal(storage_driver_from_name("watchable-bind"), STORAGE_DRIVER_WATCHABLE_BIND);
        assert_int_equal(storage_driver_from_name("blk-ccw"), STORAGE_DRIVER_BLOCK);
        assert_int_equal(storage_driver_from_name("nvdimm"), STORAGE_DRIVER_BLOCK);
        assert_int_equal(storage_driver_from_name("Ephemeral"), STORAGE_DRIVER_UNKNOWN);
        assert_int_equal(storage_driver_from_name(""), STORAGE_DRIVER_UNKNOWN);
        for (const char *const *d = storage_drivers(); *d; d++)
                assert_int_not_equal(storage_driver_from_name(*d), STORAGE_DRIVER_UNKNOWN);
}

static void test_options(void **state)
{
        char *opts[] = { (char *) "size=1m", (char *) "fsgid=100", (char *) "mode=0750",
                         (char *) "fsgid=200" };
        char *bad[] = { (char *) "fsgid=-1", (char *) "mode=8" };
        char *huge_gid[] = { (char *) "fsgid=4294967295" };
        uint32_t v;

        (void) state;
        assert_int_equal(storage_option_fsgid(opts, 4, &v), 0);
        assert_int_equal(v, 200); /* the last one wins */
        assert_int_equal(storage_option_mode(opts, 4, &v), 0);
        assert_int_equal(v, 0750);
        assert_int_equal(storage_option_fsgid(opts, 1, &v), -ENOENT);
        assert_int_equal(storage_option_fsgid(bad, 2, &v), -EINVAL);
        assert_int_equal(storage_option_mode(bad, 2, &v), -EINVAL);
        assert_int_equal(storage_option_fsgid(huge_gid, 1, &v), -EINVAL);
        assert_string_equal(storage_option_value(opts, 4, "size="), "1m");
        assert_null(storage_option_value(opts, 4, "nr_inodes="));
}

static void test_hugepages(void **state)
{
        char *kata[] = { (char *) "pagesize=2097152,size=4194304" };
        char *split[] = { (char *) "size=1073741824", (char *) "pagesize=1073741824" };
        char *odd[] = { (char *) "pagesize=2097152,size=3000000" };
        char *notpow[] = { (char *) "pagesize=3000,size=6000" };
        char *missing[] = { (char *) "size=4194304" };
        char *zero[] = { (char *) "pagesize=2097152,size=0" };
        char *absurd[] = { (char *) "pagesize=2097152,size=9007199254740992" };
        char *junk[] = { (char *) "pagesize=2M,size=4M" };
        uint64_t ps, pages;

        (void) state;
        assert_int_equal(storage_hugepages(kata, 1, &ps, &pages), 0);
        assert_int_equal(ps, 2097152);
        assert_int_equal(pages, 2);
        assert_int_equal(storage_hugepages(split, 2, &ps, &pages), 0);
        assert_int_equal(pages, 1);
        assert_int_equal(storage_hugepages(odd, 1, &ps, &pages), -EINVAL);
        assert_int_equal(storage_hugepages(notpow, 1, &ps, &pages), -EINVAL);
        assert_int_equal(storage_hugepages(missing, 1, &ps, &pages), -EINVAL);
        assert_int_equal(storage_hugepages(zero, 1, &ps, &pages), -EINVAL);
        assert_int_equal(storage_hugepages(absurd, 1, &ps, &pages), -EINVAL);
        assert_int_equal(storage_hugepages(junk, 1, &ps, &pages), -EINVAL);
}

static int check(const char *driver, const char *source, const char *fstype, const char *mp,
                 char **opts, size_t n, const char *owner, const char *want_msg)
{
        Grpc__Storage s = GRPC__STORAGE__INIT;
        _cleanup_error_ struct agent_error *err = NULL;
        int r;

        s.driver = (char *) driver;
        s.source = (char *) source;
        s.fstype = (char *) fstype;
        s.mount_point = (char *) mp;
        s.options = opts;
        s.n_options = n;
        r = storage_check(&s, RUN, owner, &err);
        if (want_msg) {
                assert_non_null(err);
                if (!strstr(err->msg, want_msg))
                        fail_msg("`%s` not in `%s`", want_msg, err->msg);
        } else if (err) {
                fail_msg("unexpected error: %s", err->msg);
        }
        return r;
}

static void test_check_storage(void **state)
{
        char *shm[] = { (char *) "noexec", (char *) "nosuid", (char *) "nodev",
                        (char *) "mode=1777", (char *) "size=67108864" };
        char *p9[] = { (char *) "trans=virtio,version=9p2000.L,cache=mmap", (char *) "nodev",
                       (char *) "msize=8192" };
        char *rw[] = { (char *) "lowerdir=" RUN "/l",
                       (char *) "io.katacontainers.fs-opt.overlay-rw" };
        char *out[] = { (char *) "lowerdir=/" };
        char *upper_out[] = { (char *) "upperdir=/tmp/u,workdir=" RUN "/w" };
        char *typo[] = { (char *) "io.katacontainers.fs-opt.overlay-rx" };

        (void) state;
        /* What Kata's runtimes send. */
        assert_int_equal(check("ephemeral", "shm", "tmpfs", RUN "/sandbox/shm", shm, 5, "", NULL),
                         0);
        assert_int_equal(check("virtio-fs", "kataShared", "virtiofs", RUN "/shared/containers/",
                               NULL, 0, "", NULL),
                         0);
        assert_int_equal(
                check("9p", "kataShared", "9p", RUN "/shared/containers/", p9, 3, "", NULL), 0);
        assert_int_equal(check("overlayfs", "none", "overlay", RUN "/c1/rootfs", rw, 2, "c1", NULL),
                         0);
        assert_int_equal(check("watchable-bind", RUN "/shared/containers/c1-01-cfg", "bind",
                               RUN "/shared/containers/watchable/c1-01-cfg", NULL, 0, "c1", NULL),
                         0);
        /* Refusals, each naming what is wrong. */
        assert_int_equal(check("nfs", "s", "nfs", RUN "/x", NULL, 0, "", "`nfs`"), -EINVAL);
        assert_int_equal(check("blk", "02/00", "ext4", RUN "/x", NULL, 0, "", NULL), 0);
        assert_int_equal(check("blk", "0g/00", "ext4", RUN "/x", NULL, 0, "", "PCI path"), -EINVAL);
        assert_int_equal(check("scsi", "0:1", "ext4", RUN "/x", NULL, 0, "", NULL), 0);
        assert_int_equal(check("blk-ccw", "0.0.0001", "ext4", RUN "/x", NULL, 0, "", "s390x"),
                         -EOPNOTSUPP);
        assert_int_equal(check("ephemeral", "t", "tmpfs", "/dev/shm", NULL, 0, "", "mount_point"),
                         -EINVAL);
        assert_int_equal(check("ephemeral", "t", "ext4", RUN "/x", NULL, 0, "", "fstype"), -EINVAL);
        assert_int_equal(check("ephemeral", "t", "tm pfs", RUN "/x", NULL, 0, "", "fstype"),
                         -EINVAL);
        assert_int_equal(check("overlayfs", "none", "overlay", RUN "/c1/rootfs", rw, 2, "",
                               "needs a container"),
                         -EINVAL);
        assert_int_equal(check("overlayfs", "none", "overlay", RUN "/c", out, 1, "c", "lowerdir"),
                         -EINVAL);
        assert_int_equal(
                check("overlayfs", "none", "overlay", RUN "/c", upper_out, 1, "c", "upperdir"),
                -EINVAL);
        assert_int_equal(
                check("overlayfs", "none", "overlay", RUN "/c", typo, 1, "c", "overlay-rx"),
                -EINVAL);
        assert_int_equal(check("virtio-fs", "a/b", "virtiofs", RUN "/s", NULL, 0, "", "share tag"),
                         -EINVAL);
        assert_int_equal(check("bind", "/etc", "bind", RUN "/s", NULL, 0, "", "source"), -EINVAL);
        assert_int_equal(check("watchable-bind", RUN "/shared/containers/x", "bind",
                               RUN "/shared/containers/x2", NULL, 0, "c1", "watchable"),
                         -EINVAL);
        assert_int_equal(check("watchable-bind", RUN "/shared/containers/x", "bind",
                               RUN "/shared/containers/watchable/a/b", NULL, 0, "c1", "watchable"),
                         -EINVAL);
        assert_int_equal(check("ephemeral", "t", "tmpfs", RUN "/sandbox/ns/ipc", NULL, 0, "",
                               "sandbox state"),
                         -EINVAL);
}

static void test_check_list_bounds(void **state)
{
        Grpc__Storage s = GRPC__STORAGE__INIT;
        Grpc__Storage *list[STORAGE_MAX_PER_REQUEST + 1];
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *long_opt = xmalloc(STORAGE_MAX_OPTION_LEN + 2);
        char *opts[] = { long_opt };

        (void) state;
        s.driver = (char *) "local";
        s.source = (char *) "local";
        s.fstype = (char *) "local";
        s.mount_point = (char *) RUN "/x";
        for (size_t i = 0; i < ARRAY_SIZE(list); i++)
                list[i] = &s;
        assert_int_equal(storage_check_list(list, STORAGE_MAX_PER_REQUEST, RUN, "", &err), 0);
        assert_int_equal(storage_check_list(list, ARRAY_SIZE(list), RUN, "", &err), -E2BIG);
        agent_error_freep(&err);
        memset(long_opt, 'a', STORAGE_MAX_OPTION_LEN + 1);
        long_opt[STORAGE_MAX_OPTION_LEN + 1] = '\0';
        s.options = opts;
        s.n_options = 1;
        assert_int_equal(storage_check_list(list, 1, RUN, "", &err), -E2BIG);
        assert_non_null(strstr(err->msg, "storage 0"));
}

static int copy_check(const char *path, uint32_t mode, int64_t size, int64_t offset,
                      size_t data_len)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        _cleanup_error_ struct agent_error *err = NULL;
        static uint8_t buf[64];

        req.path = (char *) path;
        req.file_mode = mode;
        req.file_size = size;
        req.offset = offset;
        req.data.data = buf;
        req.data.len = data_len;
        return storage_copy_check(&req, RUN "/shared/containers", &err);
}

static void test_copy_check(void **state)
{
        const char *ok = RUN "/shared/containers/c1-0123-hosts";

        (void) state;
        assert_int_equal(copy_check(ok, S_IFREG | 0644, 10, 0, 10), 0);
        assert_int_equal(copy_check(ok, 0644, 10, 4, 6), 0);
        assert_int_equal(copy_check(ok, S_IFREG | 0644, 0, 0, 0), 0);
        assert_int_equal(copy_check(ok, S_IFDIR | 0755, 0, 0, 0), 0);
        assert_int_equal(copy_check(RUN "/shared/containers/d/", S_IFREG, 1, 0, 1), -EINVAL);
        assert_int_equal(copy_check(RUN "/shared/containers", S_IFREG, 1, 0, 1), -EINVAL);
        assert_int_equal(copy_check(RUN "/shared/containers/../x", S_IFREG, 1, 0, 1), -EINVAL);
        assert_int_equal(copy_check(RUN "/shared/x", S_IFREG, 1, 0, 1), -EINVAL);
        assert_int_equal(copy_check(ok, S_IFREG, 10, 5, 6), -EINVAL);
        assert_int_equal(copy_check(ok, S_IFREG, 10, 11, 0), -EINVAL);
        assert_int_equal(copy_check(ok, S_IFREG, 10, -1, 0), -EINVAL);
        assert_int_equal(copy_check(ok, S_IFREG, -1, 0, 0), -EFBIG);
        assert_int_equal(copy_check(ok, S_IFREG, INT64_MAX, INT64_MAX - 2, 10), -EFBIG);
        assert_int_equal(copy_check(ok, S_IFCHR | 0644, 0, 0, 0), -EINVAL);
        assert_int_equal(copy_check(ok, S_IFSOCK | 0644, 0, 0, 0), -EINVAL);
        assert_int_equal(copy_check(ok, S_IFLNK | 0777, 0, 0, 0), -EINVAL);
        assert_int_equal(copy_check(ok, S_IFLNK | 0777, 0, 0, 5), -EINVAL); /* NULs */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_below),        cmocka_unit_test(test_path_clean),
                cmocka_unit_test(test_drivers),           cmocka_unit_test(test_options),
                cmocka_unit_test(test_hugepages),         cmocka_unit_test(test_check_storage),
                cmocka_unit_test(test_check_list_bounds), cmocka_unit_test(test_copy_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
