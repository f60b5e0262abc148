/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The container rootfs on this kernel: option parsing and in-root resolution (any user), then
 * whole setups (root only) on a busybox rootfs made by tests/rootfs/make-rootfs.sh.
 *
 * Each setup runs like the engine will: a child unshares its mount and pid namespaces, forks
 * pid 1 of the new pid namespace, which calls rootfs_setup() and execs /bin/sh -c CHECKS from
 * the rootfs. A setup error comes back through a pipe (errno and `what`); a failed check is the
 * shell's exit status, with its reason on stderr. Nothing is mounted in the test's namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "engine/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Options. */

struct options_case {
        const char *options[8];
        unsigned long flags, propagation;
        const char *data;
};

static const struct options_case options_cases[] = {
        { { NULL }, 0, 0, NULL },
        { { "defaults" }, 0, 0, NULL },
        { { "ro", "nosuid", "nodev", "mode=755" },
          MS_RDONLY | MS_NOSUID | MS_NODEV,
          0,
          "mode=755" },
        { { "ro", "rw" }, 0, 0, NULL },
        { { "rw", "ro" }, MS_RDONLY, 0, NULL },
        { { "nosuid", "suid", "nodev", "dev", "noexec", "exec" }, 0, 0, NULL },
        { { "suid", "nosuid", "dev", "nodev", "exec", "noexec" },
          MS_NOSUID | MS_NODEV | MS_NOEXEC,
          0,
          NULL },
        { { "sync" }, MS_SYNCHRONOUS, 0, NULL },
        { { "sync", "async" }, 0, 0, NULL },
        { { "remount", "mand" }, MS_REMOUNT | MS_MANDLOCK, 0, NULL },
        { { "mand", "nomand" }, 0, 0, NULL },
        { { "noatime" }, MS_NOATIME, 0, NULL },
        { { "noatime", "atime" }, 0, 0, NULL },
        { { "nodiratime" }, MS_NODIRATIME, 0, NULL },
        { { "nodiratime", "diratime" }, 0, 0, NULL },
        { { "relatime" }, MS_RELATIME, 0, NULL },
        { { "relatime", "norelatime" }, 0, 0, NULL },
        { { "strictatime" }, MS_STRICTATIME, 0, NULL },
        { { "strictatime", "nostrictatime" }, 0, 0, NULL },
        { { "bind" }, MS_BIND, 0, NULL },
        { { "rbind", "ro" }, MS_BIND | MS_REC | MS_RDONLY, 0, NULL },
        { { "bind", "rprivate" }, MS_BIND, MS_REC | MS_PRIVATE, NULL },
        { { "private" }, 0, MS_PRIVATE, NULL },
        { { "rshared" }, 0, MS_REC | MS_SHARED, NULL },
        { { "shared" }, 0, MS_SHARED, NULL },
        { { "rslave" }, 0, MS_REC | MS_SLAVE, NULL },
        { { "slave" }, 0, MS_SLAVE, NULL },
        { { "runbindable" }, 0, MS_REC | MS_UNBINDABLE, NULL },
        { { "unbindable" }, 0, MS_UNBINDABLE, NULL },
        /* One propagation type per mount(2) call: the last one wins. */
        { { "rshared", "slave" }, 0, MS_SLAVE, NULL },
        { { "newinstance", "ptmxmode=0666", "mode=620", "gid=5" },
          0,
          0,
          "newinstance,ptmxmode=0666,mode=620,gid=5" },
        { { "size=65536k", "", "uid=1000", "", "gid=1000" },
          0,
          0,
          "size=65536k,uid=1000,gid=1000" },
        { { "nosuid", "mode=1777", "strictatime", "size=1m" },
          MS_NOSUID | MS_STRICTATIME,
          0,
          "mode=1777,size=1m" },
        /* Unknown, wrong case, OCI extensions the kernel would reject: data, for the kernel. */
        { { "RO", "rro", "tmpcopyup" }, 0, 0, "RO,rro,tmpcopyup" },
};

static void check_options_case(const struct options_case *t)
{
        _cleanup_free_ char *data = NULL;
        unsigned long flags = 1, propagation = 1;
        size_t n = 0;

        while (n < ARRAY_SIZE(t->options) && t->options[n])
                n++;
        assert_int_equal(
                rootfs_parse_options((char *const *) t->options, n, &flags, &propagation, &data),
                0);
        assert_int_equal(flags, t->flags);
        assert_int_equal(propagation, t->propagation);
        if (t->data)
                assert_string_equal(data, t->data);
        else
                assert_null(data);
}

static void test_parse_options(void **state)
{
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(options_cases); i++)
                check_options_case(&options_cases[i]);
}

static void test_parse_options_bounds(void **state)
{
        _cleanup_free_ char *data = NULL, *big = xmalloc(5000);
        unsigned long flags, propagation;
        char *opts[3];

        (void) state;
        assert_int_equal(rootfs_parse_options(NULL, 0, &flags, &propagation, &data), 0);
        assert_null(data);

        /* Data beyond the page mount(2) copies is refused, not cut. */
        memset(big, 'x', 4999);
        big[4999] = '\0';
        opts[0] = big;
        assert_int_equal(rootfs_parse_options(opts, 1, &flags, &propagation, &data), -E2BIG);
        assert_null(data);
        big[4095] = '\0';
        assert_int_equal(rootfs_parse_options(opts, 1, &flags, &propagation, &data), 0);
        assert_int_equal(strlen(data), 4095);
        free(TAKE_PTR(data));
        opts[0] = (char *) "a";
        opts[1] = big + 1; /* 4094 bytes: "a," + 4094 is one byte too many */
        opts[2] = (char *) "ro";
        assert_int_equal(rootfs_parse_options(opts, 3, &flags, &propagation, &data), -E2BIG);
        assert_null(data);
}

/* Resolution inside a root (no privileges needed). */

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void) st;
        (void) type;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

static void rm_rf(const char *path)
{
        /* FTW_PHYS: never follow a symlink out; FTW_MOUNT: never cross into a mount. */
        (void) nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static void make_link(const char *target, const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        assert_int_equal(symlink(target, p), 0);
}

static void same_file(int fd, const char *path)
{
        struct stat a, b;

        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(lstat(path, &b), 0);
        assert_int_equal(a.st_dev, b.st_dev);
        assert_int_equal(a.st_ino, b.st_ino);
}

static void check_resolve(int rootfd, const char *root, const char *base, unsigned mode)
{
        _cleanup_free_ char *ab = xasprintf("%s/a/b", root), *a = xasprintf("%s/a", root);
        _cleanup_free_ char *file = xasprintf("%s/file", root);
        _cleanup_free_ char *made = xasprintf("%s%s/outside-%u/sub", root, base, mode);
        _cleanup_free_ char *host = xasprintf("%s/outside-%u", base, mode);
        _cleanup_free_ char *link = xasprintf("dangling-%u", mode);
        _cleanup_free_ char *target = xasprintf("%s/outside-%u", base, mode);
        _cleanup_free_ char *newfile = xasprintf("%s/new-%u/dir/file", root, mode);
        _cleanup_free_ char *rel = xasprintf("new-%u/dir/file", mode);
        _cleanup_free_ char *sub = xasprintf("%s/sub", link);
        struct stat st;
        int fd;

        fd = rootfs_open_in_root(rootfd, "/abs/b", mode);
        same_file(fd, ab);
        close(fd);
        fd = rootfs_open_in_root(rootfd, "up/b", mode);
        same_file(fd, ab);
        close(fd);
        fd = rootfs_open_in_root(rootfd, "/../../../a", mode);
        same_file(fd, a);
        close(fd);
        fd = rootfs_open_in_root(rootfd, "rel", mode);
        same_file(fd, ab);
        close(fd);
        fd = rootfs_open_in_root(rootfd, "a/b/back", mode);
        same_file(fd, file);
        close(fd);
        fd = rootfs_open_in_root(rootfd, "//", mode);
        same_file(fd, root);
        close(fd);
        fd = rootfs_open_in_root(rootfd, "", mode);
        same_file(fd, root);
        close(fd);
        /* NOFOLLOW opens the link itself. */
        fd = rootfs_open_in_root(rootfd, "rel", mode | ROOTFS_OPEN_NOFOLLOW);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        close(fd);

        assert_int_equal(rootfs_open_in_root(rootfd, "loop1", mode), -ELOOP);
        assert_int_equal(rootfs_open_in_root(rootfd, "file/x", mode), -ENOTDIR);
        assert_int_equal(rootfs_open_in_root(rootfd, "nope", mode), -ENOENT);
        assert_int_equal(rootfs_open_in_root(rootfd, "file/x", mode | ROOTFS_OPEN_MKDIR), -ENOTDIR);

        /* A dangling absolute link to a host path: created below the root, not on the host. */
        make_link(target, root, link);
        fd = rootfs_open_in_root(rootfd, sub, mode | ROOTFS_OPEN_MKDIR);
        same_file(fd, made);
        close(fd);
        assert_int_equal(lstat(host, &st), -1);
        assert_int_equal(errno, ENOENT);

        fd = rootfs_open_in_root(rootfd, rel, mode | ROOTFS_OPEN_MKFILE);
        same_file(fd, newfile);
        assert_int_equal(fstat(fd, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        close(fd);
}

static void make_dir(const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        assert_int_equal(mkdir(p, 0755), 0);
}

/* The base directory lives in *state so that teardown removes it even after a failed assert. */
static int setup_inroot(void **state)
{
        char *base = xstrdup("/tmp/cata-test-inroot-XXXXXX");

        if (!mkdtemp(base)) {
                free(base);
                return -1;
        }
        *state = base;
        return 0;
}

static int teardown_inroot(void **state)
{
        rm_rf(*state);
        free(*state);
        return 0;
}

static void test_open_in_root(void **state)
{
        const char *base = *state;
        _cleanup_free_ char *root = NULL, *file = NULL, *ab = NULL;
        _cleanup_close_ int rootfd = -EBADF;

        root = xasprintf("%s/root", base);
        assert_int_equal(mkdir(root, 0755), 0);
        make_dir(root, "a");
        make_dir(root, "a/b");
        file = xasprintf("%s/file", root);
        write_text(file, "x");
        make_link("/a", root, "abs");
        make_link("a/b", root, "rel");
        make_link("../../../../../../../../../a", root, "up"); /* ".." stops at the root */
        ab = xasprintf("%s/a/b", root);
        make_link("../../file", ab, "back");
        make_link("loop2", root, "loop1");
        make_link("loop1", root, "loop2");

        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(rootfd >= 0);
        check_resolve(rootfd, root, base, 0);
        check_resolve(rootfd, root, base, ROOTFS_OPEN_WALK);
}

/* Whole setups (root). */

#define SCRIPT_PRELUDE                                                                         \
        "fail() { echo \"container check failed: $*\" >&2; exit 1; }\n"                        \
        "erofs() { out=$(\"$@\" 2>&1) && fail \"$* succeeded\"; case $out in *Read-only*) ;; " \
        "*) fail \"$*: $out\";; esac; }\n"

struct env {
        char base[64];
        char *rootfs;
        char *bindsrc, *bindfile, *host_target, *host_target2;
};

static struct env env;

static const char *find_make_rootfs(void)
{
        static char buf[PATH_MAX];
        const char *e = getenv("CATA_MAKE_ROOTFS");
        _cleanup_free_ char *dir = NULL;
        char *slash;

        if (e && access(e, R_OK) == 0)
                return e;
        /* This file is tests/engine/test-rootfs.c; meson may compile it by a relative path. */
        dir = xstrdup(__FILE__);
        slash = strrchr(dir, '/');
        if (slash) {
                *slash = '\0';
                snprintf(buf, sizeof(buf), "%s/../rootfs/make-rootfs.sh", dir);
                if (access(buf, R_OK) == 0)
                        return buf;
        }
        if (access("tests/rootfs/make-rootfs.sh", R_OK) == 0)
                return "tests/rootfs/make-rootfs.sh";
        if (access("../tests/rootfs/make-rootfs.sh", R_OK) == 0)
                return "../tests/rootfs/make-rootfs.sh";
        return NULL;
}

static int run_make_rootfs(const char *script, const char *dir)
{
        pid_t pid = fork();
        int st;

        if (pid == 0) {
                execl("/bin/sh", "sh", script, dir, (char *) NULL);
                _exit(127);
        }
        if (pid < 0 || waitpid(pid, &st, 0) < 0)
                return -1;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static char *env_file(const char *name)
{
        return xasprintf("%s/%s", env.base, name);
}

static int build_env(const char *script)
{
        _cleanup_free_ char *p = NULL, *etc = NULL;

        snprintf(env.base, sizeof(env.base), "/tmp/cata-test-rootfs-XXXXXX");
        if (!mkdtemp(env.base))
                return -1;
        env.rootfs = env_file("rootfs");
        if (run_make_rootfs(script, env.rootfs) < 0)
                return -1;
        env.bindsrc = env_file("bindsrc");
        env.bindfile = env_file("bindfile");
        env.host_target = env_file("host-target");
        env.host_target2 = env_file("host-target2");
        if (mkdir(env.bindsrc, 0755) < 0 || mkdir(env.host_target, 0755) < 0)
                return -1;
        p = xasprintf("%s/hello", env.bindsrc);
        write_text(p, "hello\n");
        write_text(env.bindfile, "file\n");
        free(p);
        p = xasprintf("%s/masked-dir", env.rootfs);
        if (mkdir(p, 0755) < 0)
                return -1;
        free(p);
        p = xasprintf("%s/masked-dir/secret", env.rootfs);
        write_text(p, "secret\n");
        free(p);
        /* The escapes: absolute and relative links to host paths, from inside the rootfs. */
        etc = xasprintf("%s/etc", env.rootfs);
        make_link(env.host_target, etc, "evil");
        p = xasprintf("../../../../../../../../..%s", env.host_target2);
        make_link(p, etc, "evil2");
        return 0;
}

static int setup_env(void **state)
{
        const char *script = find_make_rootfs();

        (void) state;
        if (geteuid() != 0 || !script || access("/bin/busybox", X_OK) < 0) {
                fprintf(stderr, "rootfs setups skipped: need root, /bin/busybox and make-rootfs.sh "
                                "(CATA_MAKE_ROOTFS)\n");
                return 0;
        }
        if (build_env(script) < 0) {
                if (env.base[0])
                        rm_rf(env.base);
                return -1;
        }
        return 0;
}

static int teardown_env(void **state)
{
        (void) state;
        if (env.base[0])
                rm_rf(env.base);
        free(env.rootfs);
        free(env.bindsrc);
        free(env.bindfile);
        free(env.host_target);
        free(env.host_target2);
        return 0;
}

struct setup_error {
        int err;
        char what[512];
};

struct result {
        int status; /* the checks' exit status; 100 when rootfs_setup failed */
        struct setup_error error;
};

/* pid 1 of the container: set up, then the checks. */
static int container_init(const Grpc__Spec *spec, const char *checks, int errfd)
{
        struct setup_error e = { 0 };
        _cleanup_free_ char *script = NULL;
        char *envp[] = { (char *) "PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL };
        int r;

        r = rootfs_setup(spec, env.rootfs, NULL, NULL, e.what, sizeof(e.what));
        if (r < 0) {
                e.err = -r;
                (void) !write(errfd, &e, sizeof(e));
                return 100;
        }
        if (!checks)
                return 0;
        script = xasprintf("%s%s", SCRIPT_PRELUDE, checks);
        execve("/bin/sh", (char *[]){ (char *) "sh", (char *) "-c", script, NULL }, envp);
        return 101;
}

static int container_parent(const Grpc__Spec *spec, const char *checks, int errfd)
{
        pid_t pid;
        int st;

        if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0)
                return 120;
        pid = fork();
        if (pid < 0)
                return 121;
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                _exit(container_init(spec, checks, errfd));
        }
        /* A hung check kills this process, and the pid namespace with it (PDEATHSIG). */
        alarm(60);
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return 122;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_container(const Grpc__Spec *spec, const char *checks, struct result *res)
{
        int pfd[2], st;
        ssize_t n;
        pid_t pid;

        memset(res, 0, sizeof(*res));
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pfd[0]);
                _exit(container_parent(spec, checks, pfd[1]));
        }
        close(pfd[1]);
        n = read(pfd[0], &res->error, sizeof(res->error));
        close(pfd[0]);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(n == 0 || n == (ssize_t) sizeof(res->error));
        res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static bool need_root(void)
{
        if (!env.rootfs) {
                skip();
                return false;
        }
        return true;
}

/* Runs the checks and asserts setup and checks succeeded. */
static void expect_ok(const Grpc__Spec *spec, const char *checks)
{
        struct result res;

        run_container(spec, checks, &res);
        if (res.error.err)
                fail_msg("rootfs_setup: %s: %s", res.error.what, strerror(res.error.err));
        assert_int_equal(res.status, 0);
}

/* A spec under construction: everything lives in fixed arrays of the test. */
struct spec_builder {
        Grpc__Spec spec;
        Grpc__Root root;
        Grpc__Linux lnx;
        Grpc__Mount mounts[8];
        Grpc__Mount *mount_ptrs[8];
        Grpc__LinuxDevice devices[4];
        Grpc__LinuxDevice *device_ptrs[4];
};

static void spec_init(struct spec_builder *b)
{
        memset(b, 0, sizeof(*b));
        b->spec = (Grpc__Spec) GRPC__SPEC__INIT;
        b->root = (Grpc__Root) GRPC__ROOT__INIT;
        b->lnx = (Grpc__Linux) GRPC__LINUX__INIT;
        b->spec.root = &b->root;
        b->spec.linux = &b->lnx;
        b->spec.mounts = b->mount_ptrs;
        b->lnx.devices = b->device_ptrs;
}

static void add_mount(struct spec_builder *b, const char *dest, const char *type,
                      const char *source, char **options)
{
        Grpc__Mount *m = &b->mounts[b->spec.n_mounts];
        size_t n = 0;

        assert_true(b->spec.n_mounts < ARRAY_SIZE(b->mounts));
        *m = (Grpc__Mount) GRPC__MOUNT__INIT;
        m->destination = (char *) dest;
        m->type = (char *) type;
        m->source = (char *) source;
        while (options && options[n])
                n++;
        m->options = options;
        m->n_options = n;
        b->mount_ptrs[b->spec.n_mounts++] = m;
}

static void add_device(struct spec_builder *b, const char *path, const char *type, int64_t major,
                       int64_t minor, uint32_t mode, uint32_t uid, uint32_t gid)
{
        Grpc__LinuxDevice *d = &b->devices[b->lnx.n_devices];

        assert_true(b->lnx.n_devices < ARRAY_SIZE(b->devices));
        *d = (Grpc__LinuxDevice) GRPC__LINUX_DEVICE__INIT;
        d->path = (char *) path;
        d->type = (char *) type;
        d->major = major;
        d->minor = minor;
        d->filemode = mode;
        d->uid = uid;
        d->gid = gid;
        b->device_ptrs[b->lnx.n_devices++] = d;
}

static char *proc_options[] = { (char *) "nosuid", (char *) "noexec", (char *) "nodev", NULL };
static char *sys_options[] = { (char *) "ro", (char *) "nosuid", (char *) "noexec",
                               (char *) "nodev", NULL };

static void add_proc(struct spec_builder *b)
{
        add_mount(b, "/proc", "proc", "proc", proc_options);
}

static void test_default_mounts(void **state)
{
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_proc(&b);
        add_mount(&b, "/sys", "sysfs", "sysfs", sys_options);
        expect_ok(&b.spec,
                  "[ $$ = 1 ] || fail \"sh is pid $$\"\n"
                  "n=$(ls /proc | grep -c '^[0-9][0-9]*$'); [ \"$n\" -lt 8 ] || fail \"$n pids\"\n"
                  "grep -q '^proc /proc proc rw,nosuid,nodev,noexec' /proc/mounts || fail proc\n"
                  "grep -q '^sysfs /sys sysfs ro,nosuid,nodev,noexec' /proc/mounts || fail sysfs\n"
                  "[ -d /sys/kernel ] || fail 'sysfs is empty'\n"
                  "l=$(grep '^tmpfs /dev tmpfs ' /proc/mounts) || fail 'no /dev tmpfs'\n"
                  "case $l in *rw,nosuid,*size=65536k*mode=755*) ;; *) fail \"/dev: $l\";; esac\n"
                  "case $l in *relatime*) fail \"/dev not strictatime: $l\";; esac\n"
                  "for d in 'null 1 3' 'zero 1 5' 'full 1 7' 'random 1 8' 'urandom 1 9' "
                  "'tty 5 0'; do\n"
                  "  set -- $d\n"
                  "  [ -c /dev/$1 ] || fail \"/dev/$1 is not a char device\"\n"
                  "  got=$(stat -c '%t %T %a %u %g' /dev/$1)\n"
                  "  [ \"$got\" = \"$(printf '%x %x 666 0 0' $2 $3)\" ] || fail \"/dev/$1: $got\"\n"
                  "done\n"
                  "[ \"$(readlink /dev/ptmx)\" = pts/ptmx ] || fail ptmx\n"
                  "[ \"$(readlink /dev/fd)\" = /proc/self/fd ] || fail fd\n"
                  "[ \"$(readlink /dev/stdin)\" = /proc/self/fd/0 ] || fail stdin\n"
                  "[ \"$(readlink /dev/stdout)\" = /proc/self/fd/1 ] || fail stdout\n"
                  "[ \"$(readlink /dev/stderr)\" = /proc/self/fd/2 ] || fail stderr\n"
                  "[ ! -e /dev/core ] && [ ! -e /dev/mqueue ] || fail 'unasked /dev entries'\n"
                  "l=$(grep '^devpts /dev/pts devpts ' /proc/mounts) || fail 'no devpts'\n"
                  "case $l in *rw,nosuid,noexec,*gid=5,mode=620,ptmxmode=666*) ;; "
                  "*) fail \"devpts: $l\";; esac\n"
                  "[ -c /dev/pts/ptmx ] || fail 'no pts/ptmx'\n"
                  "l=$(grep ' /dev/shm tmpfs ' /proc/mounts) || fail 'no /dev/shm'\n"
                  "case $l in *rw,nosuid,nodev,noexec,*size=65536k*) ;; *) fail \"shm: $l\";; "
                  "esac\n"
                  "[ \"$(stat -c %a /dev/shm)\" = 1777 ] || fail 'shm mode'\n"
                  "echo x > /dev/null || fail 'write /dev/null'\n"
                  "[ \"$(head -c 3 /dev/zero | wc -c)\" = 3 ] || fail 'read /dev/zero'\n"
                  "[ \"$(head -c 8 /dev/urandom | wc -c)\" = 8 ] || fail 'read /dev/urandom'\n"
                  /* The old root is gone: only the container's mounts are left. */
                  "n=$(wc -l < /proc/self/mountinfo); [ \"$n\" -le 6 ] || "
                  "fail \"$n mounts: $(cat /proc/self/mountinfo)\"\n");
}

static void test_bind_readonly(void **state)
{
        char *dir_options[] = { (char *) "rbind", (char *) "ro",       (char *) "nosuid",
                                (char *) "nodev", (char *) "rprivate", NULL };
        char *file_options[] = { (char *) "bind", (char *) "ro", NULL };
        char *tmp_options[] = { (char *) "nosuid", (char *) "mode=1777", (char *) "size=1m", NULL };
        struct spec_builder b;
        _cleanup_free_ char *leak = NULL;
        struct stat st;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_proc(&b);
        add_mount(&b, "/mnt/data", "bind", env.bindsrc, dir_options);
        add_mount(&b, "/etc/bound", "bind", env.bindfile, file_options);
        add_mount(&b, "/tmp", "tmpfs", "tmpfs", tmp_options);
        expect_ok(&b.spec,
                  "[ \"$(cat /mnt/data/hello)\" = hello ] || fail 'bound dir content'\n"
                  "erofs touch /mnt/data/new\n"
                  "grep -q ' /mnt/data [^ ]* ro,nosuid,nodev' /proc/mounts || "
                  "fail \"flags: $(grep /mnt/data /proc/mounts)\"\n"
                  "[ \"$(cat /etc/bound)\" = file ] || fail 'bound file content'\n"
                  "erofs sh -c 'echo x >> /etc/bound'\n"
                  "grep -q ' /etc/bound [^ ]* ro,' /proc/mounts || fail 'file bind not ro'\n"
                  "touch /tmp/ok || fail 'tmpfs not writable'\n");
        leak = xasprintf("%s/new", env.bindsrc);
        assert_int_equal(stat(leak, &st), -1);
}

static void test_masked_paths(void **state)
{
        char *masked[] = { (char *) "/proc/kcore",      (char *) "/proc/keys",
                           (char *) "/proc/timer_list", (char *) "/proc/does-not-exist",
                           (char *) "/masked-dir",      (char *) "/proc/acpi",
                           (char *) "/proc/scsi",       (char *) "/missing/deeper/path" };
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_proc(&b);
        b.lnx.maskedpaths = masked;
        b.lnx.n_maskedpaths = ARRAY_SIZE(masked);
        /* Kernels differ in which of these exist (this one may lack kcore): check those that do,
         * and that at least one file and the rootfs's directory were masked. */
        expect_ok(
                &b.spec,
                "files=0\n"
                "for f in /proc/kcore /proc/keys /proc/timer_list; do\n"
                "  [ -e $f ] || continue\n"
                "  files=$((files + 1))\n"
                "  [ -c $f ] && [ \"$(stat -c '%t %T' $f)\" = '1 3' ] || fail \"$f is not null\"\n"
                "  [ -z \"$(cat $f)\" ] || fail \"$f has data\"\n"
                "done\n"
                "[ $files -gt 0 ] || fail 'no masked file to check'\n"
                "for d in /masked-dir /proc/acpi /proc/scsi; do\n"
                "  [ -e $d ] || continue\n"
                "  [ -z \"$(ls -A $d)\" ] || fail \"$d shows $(ls -A $d)\"\n"
                "  grep -q \"^tmpfs $d tmpfs ro,nosuid,nodev,noexec\" /proc/mounts || fail $d\n"
                "done\n"
                "erofs touch /masked-dir/x\n"
                "[ ! -e /missing ] || fail 'a masked path was created'\n");
}

static void test_readonly_paths(void **state)
{
        char *readonly[] = { (char *) "/proc/sys", (char *) "/proc/nope", (char *) "/nope/x" };
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_proc(&b);
        b.lnx.readonlypaths = readonly;
        b.lnx.n_readonlypaths = ARRAY_SIZE(readonly);
        /* Writing the hostname back unchanged: harmless even if the remount had failed. */
        expect_ok(&b.spec, "erofs sh -c 'h=$(cat /proc/sys/kernel/hostname); "
                           "echo \"$h\" > /proc/sys/kernel/hostname'\n"
                           "grep -q '^proc /proc/sys proc ro,nosuid,nodev,noexec' /proc/mounts || "
                           "fail \"$(grep /proc/sys /proc/mounts)\"\n"
                           "[ -d /proc/self ] || fail 'proc broken'\n");
}

static void test_root_readonly(void **state)
{
        char *tmp_options[] = { (char *) "nosuid", (char *) "nodev", (char *) "mode=1777", NULL };
        char *mq_options[] = { (char *) "nosuid", (char *) "noexec", (char *) "nodev", NULL };
        char *pts_options[] = { (char *) "nosuid", (char *) "noexec", (char *) "newinstance",
                                (char *) "ptmxmode=0666", NULL };
        char *shm_options[] = { (char *) "nosuid",    (char *) "nodev",   (char *) "noexec",
                                (char *) "mode=1777", (char *) "size=1m", NULL };
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        b.root.readonly = true;
        add_proc(&b);
        add_mount(&b, "/tmp", "tmpfs", "tmpfs", tmp_options);
        add_mount(&b, "/dev/mqueue", "mqueue", "mqueue", mq_options);
        add_mount(&b, "/dev/pts", "devpts", "devpts", pts_options);
        add_mount(&b, "/dev/shm", "tmpfs", "shm", shm_options);
        expect_ok(&b.spec,
                  "erofs touch /newfile\n"
                  "grep -q '^[^ ]* / [^ ]* ro,' /proc/mounts || fail 'root not ro'\n"
                  "touch /tmp/ok || fail '/tmp not writable'\n"
                  ": > /dev/shm/ok || fail '/dev/shm not writable'\n"
                  "grep -q ' /dev/mqueue mqueue rw,nosuid,nodev,noexec' /proc/mounts || fail mq\n"
                  "[ \"$(grep -c ' /dev/shm ' /proc/mounts)\" = 1 ] || fail 'two /dev/shm'\n"
                  "grep -q ' /dev/shm tmpfs .*size=1024k' /proc/mounts || fail 'spec shm'\n"
                  "l=$(grep ' /dev/pts devpts ' /proc/mounts)\n"
                  "case $l in *gid=5,mode=620,ptmxmode=666*) ;; *) fail \"devpts: $l\";; esac\n");
}

static void test_symlink_escape(void **state)
{
        char *bind_options[] = { (char *) "rbind", NULL };
        struct spec_builder b;
        _cleanup_free_ char *checks = NULL, *inside = NULL, *inside2 = NULL;
        _cleanup_free_ char *host_entry = NULL;
        struct stat st;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_proc(&b);
        /* /etc/evil -> <host_target> (absolute), /etc/evil2 -> ../../<host_target2> */
        add_mount(&b, "/etc/evil", "bind", env.bindsrc, bind_options);
        add_mount(&b, "/etc/evil2", "tmpfs", "tmpfs", NULL);
        checks = xasprintf("[ -f /etc/evil/hello ] || fail 'not through the link'\n"
                           "[ -f %s/hello ] || fail 'not on the in-root target'\n"
                           "grep -q ' %s tmpfs ' /proc/mounts || fail \"$(cat /proc/mounts)\"\n",
                           env.host_target, env.host_target2);
        expect_ok(&b.spec, checks);

        /* The host's targets saw nothing; the mount points were made inside the rootfs. */
        host_entry = xasprintf("%s/hello", env.host_target);
        assert_int_equal(stat(host_entry, &st), -1);
        assert_int_equal(stat(env.host_target2, &st), -1);
        assert_int_equal(errno, ENOENT);
        inside = xasprintf("%s%s", env.rootfs, env.host_target);
        inside2 = xasprintf("%s%s", env.rootfs, env.host_target2);
        assert_int_equal(stat(inside, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(stat(inside2, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

static void test_devices(void **state)
{
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_proc(&b);
        add_device(&b, "/dev/fuse", "c", 10, 229, 0600, 1000, 1000);
        add_device(&b, "/dev/net/tun", "c", 10, 200, 0, 0, 0);
        add_device(&b, "/dev/loop-test", "b", 7, 200, 0660, 0, 6);
        add_device(&b, "/dev/null", "c", 1, 3, 0640, 0, 0); /* the spec's node wins */
        expect_ok(&b.spec,
                  "got=$(stat -c '%F %t %T %a %u %g' /dev/fuse)\n"
                  "[ \"$got\" = 'character special file a e5 600 1000 1000' ] || fail \"fuse: "
                  "$got\"\n"
                  "[ \"$(stat -c '%F %t %T %a' /dev/net/tun)\" = 'character special file a c8 666' "
                  "] || fail tun\n"
                  "[ \"$(stat -c '%F %t %T %a %g' /dev/loop-test)\" = 'block special file 7 c8 "
                  "660 6' ] || fail loop\n"
                  "[ \"$(stat -c '%a' /dev/null)\" = 640 ] || fail 'spec /dev/null mode'\n"
                  "[ -c /dev/zero ] || fail 'defaults missing'\n");
}

static void test_cgroup(void **state)
{
        char *sys_ro[] = { (char *) "ro", (char *) "nosuid", (char *) "noexec", (char *) "nodev",
                           NULL };
        char *cg_options[] = { (char *) "ro",    (char *) "nosuid",   (char *) "noexec",
                               (char *) "nodev", (char *) "relatime", NULL };
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_proc(&b);
        add_mount(&b, "/sys", "sysfs", "sysfs", sys_ro);
        add_mount(&b, "/sys/fs/cgroup", "cgroup", "cgroup", cg_options);
        expect_ok(&b.spec,
                  "if [ -f /sys/fs/cgroup/cgroup.controllers ]; then\n"
                  "  grep -q ' /sys/fs/cgroup cgroup2 ro,' /proc/mounts || fail cgroup2\n"
                  "  exit 0\n"
                  "fi\n"
                  "grep -q '^tmpfs /sys/fs/cgroup tmpfs ro,' /proc/mounts || fail 'v1 tmpfs'\n"
                  "n=0; for d in /sys/fs/cgroup/*; do\n"
                  "  [ -L \"$d\" ] && continue\n"
                  "  n=$((n + 1))\n"
                  "  grep -q \" $d cgroup2* ro,\" /proc/mounts || fail \"$d: not a ro cgroup\"\n"
                  "done\n"
                  "[ $n -gt 0 ] || fail 'no hierarchies'\n"
                  "if [ -d /sys/fs/cgroup/memory ]; then\n"
                  "  [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] || fail memory\n"
                  "  erofs mkdir /sys/fs/cgroup/memory/cata-test\n"
                  "fi\n"
                  "erofs mkdir /sys/fs/cgroup/new\n");
}

static void expect_error(const Grpc__Spec *spec, int err, const char *what1, const char *what2)
{
        struct result res;

        run_container(spec, NULL, &res);
        assert_int_equal(res.status, 100);
        if (res.error.err != err)
                fail_msg("expected %s, got %s: %s", strerror(err), strerror(res.error.err),
                         res.error.what);
        if (!strstr(res.error.what, what1) || (what2 && !strstr(res.error.what, what2)))
                fail_msg("what: %s", res.error.what);
}

static void test_errors(void **state)
{
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        add_mount(&b, "/mnt/bad", "bogusfs", "bogus", NULL);
        expect_error(&b.spec, ENODEV, "`bogusfs`", "`/mnt/bad`");

        spec_init(&b);
        add_mount(&b, "relative/x", "tmpfs", "tmpfs", NULL);
        expect_error(&b.spec, EINVAL, "`relative/x`", NULL);

        spec_init(&b);
        add_mount(&b, "/", "tmpfs", "tmpfs", NULL);
        expect_error(&b.spec, EINVAL, "`/`", NULL);

        spec_init(&b);
        add_mount(&b, "/mnt/src", "bind", "/nonexistent/cata-source", NULL);
        expect_error(&b.spec, ENOENT, "`/nonexistent/cata-source`", "`/mnt/src`");

        spec_init(&b);
        add_proc(&b);
        add_mount(&b, "/proc/sys/kernel", "bind", env.bindsrc, NULL);
        expect_error(&b.spec, EPERM, "`/proc/sys/kernel`", "/proc");

        spec_init(&b);
        add_device(&b, "/dev/bad", "x", 1, 3, 0666, 0, 0);
        expect_error(&b.spec, EINVAL, "`/dev/bad`", "`x`");

        spec_init(&b);
        add_device(&b, "/etc/null", "c", 1, 3, 0666, 0, 0);
        expect_error(&b.spec, EINVAL, "`/etc/null`", NULL);

        spec_init(&b);
        add_device(&b, "/dev/big", "c", 4096, 0, 0666, 0, 0);
        expect_error(&b.spec, EINVAL, "`/dev/big`", "4096:0");

        spec_init(&b);
        b.lnx.rootfspropagation = (char *) "sideways";
        expect_error(&b.spec, EINVAL, "`sideways`", NULL);
}

static void test_propagation(void **state)
{
        char *bind_options[] = { (char *) "rbind", (char *) "rslave", NULL };
        struct spec_builder b;

        (void) state;
        if (!need_root())
                return;
        spec_init(&b);
        b.lnx.rootfspropagation = (char *) "rshared";
        add_proc(&b);
        add_mount(&b, "/mnt/slave", "bind", env.bindsrc, bind_options);
        expect_ok(&b.spec,
                  "grep -q '^[0-9]* [0-9]* [^ ]* [^ ]* / [^ ]* shared:' /proc/self/mountinfo || "
                  "fail \"/ not shared: $(cat /proc/self/mountinfo)\"\n"
                  "[ -f /mnt/slave/hello ] || fail 'bind'\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_options),
                cmocka_unit_test(test_parse_options_bounds),
                cmocka_unit_test_setup_teardown(test_open_in_root, setup_inroot, teardown_inroot),
                cmocka_unit_test(test_default_mounts),
                cmocka_unit_test(test_bind_readonly),
                cmocka_unit_test(test_masked_paths),
                cmocka_unit_test(test_readonly_paths),
                cmocka_unit_test(test_root_readonly),
                cmocka_unit_test(test_symlink_escape),
                cmocka_unit_test(test_devices),
                cmocka_unit_test(test_cgroup),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_propagation),
        };
        return cmocka_run_group_tests(tests, setup_env, teardown_env);
}
