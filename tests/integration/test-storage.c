/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Storages against the real agent: containers created with CreateContainer.storages as Kata's
 * runtime sends them (ephemeral, local, overlayfs rootfs with overlay-rw, bind, watchable-bind),
 * checked from inside the container and from the host (mounts, reference counts, cleanup);
 * CopyFile (chunks, dirs, symlinks, escapes), GetVolumeStats, UpdateEphemeralMounts,
 * RemoveStaleVirtiofsShareMounts; bad requests that must fail cleanly.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "oci/spec-json.h"
#include "storage/storage.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"
#include "csi.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct agent_proc agent;
static struct ttrpc_client *cl;

static int setup(void **state)
{
        (void) state;
        cl = ct_agent_start(&agent, "");
        return 0;
}

static int teardown(void **state)
{
        _cleanup_free_ char *text = NULL, *cmd = NULL;

        (void) state;
        ct_agent_stop(&agent, cl);
        /* The agent undid every storage, pod-scoped ones included, when it stopped. */
        assert_int_equal(read_file("/proc/self/mountinfo", 8 << 20, &text, NULL), 0);
        if (strstr(text, ct_run_dir()))
                fail_msg("mounts left below `%s`:\n%s", ct_run_dir(), text);
        cmd = xasprintf("rm -rf '%s'", ct_run_dir());
        assert_int_equal(system(cmd), 0);
        return 0;
}

/* ---- helpers ---- */

static char *run_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run_path(const char *fmt, ...)
{
        _cleanup_free_ char *rel = NULL;
        va_list ap;

        va_start(ap, fmt);
        assert_true(vasprintf(&rel, fmt, ap) >= 0);
        va_end(ap);
        return xasprintf("%s/%s", ct_run_dir(), rel);
}

/* A storage; options is NULL-terminated. Freed with st_free(). */
static Grpc__Storage *st_new(const char *driver, const char *source, const char *fstype,
                             const char *mount_point, const char *const *options)
{
        Grpc__Storage *s = xmalloc(sizeof(*s));

        grpc__storage__init(s);
        s->driver = xstrdup(driver);
        s->source = xstrdup(source);
        s->fstype = xstrdup(fstype);
        s->mount_point = xstrdup(mount_point);
        while (options && options[s->n_options])
                s->n_options++;
        s->options = xzalloc((s->n_options + 1) * sizeof(char *));
        for (size_t i = 0; i < s->n_options; i++)
                s->options[i] = xstrdup(options[i]);
        return s;
}

static void st_free(Grpc__Storage *s)
{
        for (size_t i = 0; i < s->n_options; i++)
                free(s->options[i]);
        for (size_t i = 0; i < s->n_driver_options; i++)
                free(s->driver_options[i]);
        free(s->driver_options);
        free(s->options);
        free(s->driver);
        free(s->source);
        free(s->fstype);
        free(s->mount_point);
        free(s);
}

static int call(const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp,
                struct ttrpc_status *st)
{
        ProtobufCMessage *r = NULL;

        ttrpc_status_done(st);
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", method, req,
                                           desc ? desc : &google__protobuf__empty__descriptor, 0,
                                           &r, st),
                         0);
        if (resp)
                *resp = r;
        else if (r)
                protobuf_c_message_free_unpacked(r, NULL);
        return st->code;
}

/* `sh -c script` with extra mounts (JSON objects, ' for ") and the storages; root_path NULL is
 * the busybox rootfs. Returns the CreateContainer status. */
static int create(const char *id, const char *script, const char *mounts, const char *root_path,
                  Grpc__Storage **storages, size_t n, struct ttrpc_status *st)
{
        _cleanup_free_ char *esc = xmalloc(strlen(script) * 2 + 1), *args = NULL, *spec = NULL;
        _cleanup_free_ char *full = NULL, *m = mounts ? xstrdup(mounts) : NULL;
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        struct agent_error *err = NULL;
        Grpc__Spec *sp = NULL;
        const char *at;
        char *p = esc;
        int code;

        for (const char *s = script; *s; s++) {
                if (*s == '"' || *s == '\\')
                        *p++ = '\\';
                *p++ = *s;
        }
        *p = '\0';
        for (char *q = m; q && *q; q++)
                if (*q == '\'')
                        *q = '"';
        args = xasprintf("[\"sh\",\"-c\",\"%s\"]", esc);
        spec = ct_spec(id, args, "", "", "");
        at = strstr(spec, "],\"linux\":");
        assert_non_null(at);
        full = m ? xasprintf("%.*s,%s%s", (int) (at - spec), spec, m, at) : xstrdup(spec);
        assert_int_equal(spec_from_json(full, strlen(full), &sp, &err), 0);
        if (root_path) {
                free(sp->root->path);
                sp->root->path = xstrdup(root_path);
                sp->root->readonly = false;
        }
        req.container_id = (char *) id;
        req.exec_id = (char *) id;
        req.oci = sp;
        req.storages = storages;
        req.n_storages = n;
        code = call("CreateContainer", &req.base, NULL, NULL, st);
        spec_free(sp);
        return code;
}

/* Start, read stdout to EOF, wait; the container stays until remove(). */
static char *run(const char *id)
{
        struct ttrpc_status st = { 0 };
        char *out = NULL;
        int status = -1;

        if (ct_id_call(cl, "StartContainer", id, &st) != 0)
                fail_msg("start `%s`: %s", id, st.message);
        assert_int_equal(ct_read_all(cl, id, "", false, &out, NULL), 0);
        assert_int_equal(ct_wait(cl, id, "", &status, &st), 0);
        ttrpc_status_done(&st);
        return out;
}

static void remove_ct(const char *id)
{
        struct ttrpc_status st = { 0 };

        if (ct_id_call(cl, "RemoveContainer", id, &st) != 0)
                fail_msg("remove `%s`: %s", id, st.message);
        ttrpc_status_done(&st);
}

/* Is path a mount point in this (the agent's) mount namespace? */
static bool mounted(const char *path)
{
        _cleanup_free_ char *text = NULL, *needle = xasprintf(" %s ", path);

        assert_int_equal(read_file("/proc/self/mountinfo", 8 << 20, &text, NULL), 0);
        return strstr(text, needle) != NULL;
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static void mkdir_p(const char *path)
{
        _cleanup_free_ char *cmd = xasprintf("mkdir -p '%s'", path);

        assert_int_equal(system(cmd), 0);
}

static void rm_rf(const char *path)
{
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", path);

        assert_int_equal(system(cmd), 0);
}

#define expect_code(got, want, st)                                                    \
        do {                                                                          \
                int got_ = (got);                                                     \
                if (got_ != (want))                                                   \
                        fail_msg("code %d, want %d: %s", got_, (want), (st).message); \
        } while (0)

#define expect_contains(hay, needle)                                                    \
        do {                                                                            \
                const char *hay_ = (hay);                                               \
                if (!hay_ || !strstr(hay_, (needle)))                                   \
                        fail_msg("`%s` not in `%s`", (needle), hay_ ? hay_ : "(null)"); \
        } while (0)

/* ---- tests ---- */

/* ephemeral (tmpfs, size and fsgid), local (mode, fsgid), bind: seen from the container; the
 * bind is released with the container, the pod-scoped emptyDirs survive into the next one. */
static void test_container_storages(void **state)
{
        _cleanup_free_ char *eph = run_path("sandbox/ephemeral/cache");
        _cleanup_free_ char *loc = run_path("shared/containers/sb/rootfs/local/scratch");
        _cleanup_free_ char *src = run_path("shared/containers/ct-st1-0123-data");
        _cleanup_free_ char *bnd = run_path("sandbox/storage/ct-st1-data");
        _cleanup_free_ char *mounts = NULL, *out = NULL, *srcfile = NULL;
        const char *eph_opts[] = { "size=1m", "fsgid=1234", NULL };
        const char *loc_opts[] = { "mode=0770", "fsgid=2000", NULL };
        const char *bnd_opts[] = { "rbind", "ro", NULL };
        Grpc__Storage *s[3];
        struct ttrpc_status st = { 0 };
        struct stat sb;

        (void) state;
        mkdir_p(src);
        srcfile = xasprintf("%s/greeting", src);
        write_file(srcfile, "hello-storage\n");
        s[0] = st_new("ephemeral", "tmpfs", "tmpfs", eph, eph_opts);
        s[1] = st_new("local", "local", "local", loc, loc_opts);
        s[2] = st_new("bind", src, "bind", bnd, bnd_opts);
        mounts =
                xasprintf("{'destination':'/eph','type':'bind','source':'%s','options':['rbind']},"
                          "{'destination':'/loc','type':'bind','source':'%s','options':['rbind']},"
                          "{'destination':'/data','type':'bind','source':'%s','options':['rbind']}",
                          eph, loc, bnd);
        expect_code(create("ct-st1",
                           "stat -c '%g %a' /eph /loc; grep ' /eph ' /proc/self/mounts;"
                           "cat /data/greeting; echo x > /data/new || echo RO;"
                           "echo kept > /eph/f; echo kept > /loc/f",
                           mounts, NULL, s, 3, &st),
                    0, st);
        out = run("ct-st1");
        expect_contains(out, "1234 3777\n");
        expect_contains(out, "2000 2770\n");
        expect_contains(out, "size=1024k");
        expect_contains(out, "hello-storage\n");
        expect_contains(out, "RO\n");
        assert_true(mounted(eph));
        assert_true(mounted(bnd));
        remove_ct("ct-st1");
        /* The bind went with its only user; the emptyDirs belong to the pod. */
        assert_false(mounted(bnd));
        assert_int_equal(stat(bnd, &sb), -1);
        assert_true(mounted(eph));
        free(out);

        /* A restarted container finds its emptyDirs as it left them. */
        free(mounts);
        mounts = xasprintf("{'destination':'/eph','type':'bind','source':'%s','options':['rbind']},"
                           "{'destination':'/loc','type':'bind','source':'%s','options':['rbind']}",
                           eph, loc);
        expect_code(create("ct-st2", "cat /eph/f /loc/f", mounts, NULL, s, 2, &st), 0, st);
        out = run("ct-st2");
        assert_string_equal(out, "kept\nkept\n");
        remove_ct("ct-st2");
        for (int i = 0; i < 3; i++)
                st_free(s[i]);
        rm_rf(src);
        ttrpc_status_done(&st);
}

/* Two containers share one storage: it stays until the second goes. */
static void test_refcount(void **state)
{
        _cleanup_free_ char *src = run_path("shared/containers/shared-src");
        _cleanup_free_ char *mp = run_path("sandbox/storage/shared-vol");
        _cleanup_free_ char *mounts = NULL, *o1 = NULL, *o2 = NULL;
        const char *opts[] = { "rbind", NULL };
        Grpc__Storage *s;
        struct ttrpc_status st = { 0 };

        (void) state;
        mkdir_p(src);
        s = st_new("bind", src, "bind", mp, opts);
        mounts = xasprintf("{'destination':'/v','type':'bind','source':'%s','options':['rbind']}",
                           mp);
        expect_code(create("ct-ref1", "echo one > /v/one", mounts, NULL, &s, 1, &st), 0, st);
        expect_code(create("ct-ref2", "cat /v/one", mounts, NULL, &s, 1, &st), 0, st);
        o1 = run("ct-ref1");
        o2 = run("ct-ref2");
        assert_string_equal(o2, "one\n");
        remove_ct("ct-ref1");
        assert_true(mounted(mp));
        remove_ct("ct-ref2");
        assert_false(mounted(mp));
        assert_int_equal(access(mp, F_OK), -1);
        st_free(s);
        rm_rf(src);
        ttrpc_status_done(&st);
}

/* Kata's fs-layer rootfs: an overlayfs storage at <run dir>/<cid>/rootfs with overlay-rw; the
 * container writes into <run dir>/<cid>/upper, which goes with the container. */
static void test_overlay_rootfs(void **state)
{
        _cleanup_free_ char *lower = run_path("layers/busybox");
        _cleanup_free_ char *root = run_path("ct-ovl/rootfs");
        _cleanup_free_ char *upper = run_path("ct-ovl/upper");
        _cleanup_free_ char *lowerdir = NULL, *out = NULL, *newfile = NULL;
        _cleanup_free_ char *made = run_path("layers/made-by-driver");
        Grpc__Storage *s;
        struct ttrpc_status st = { 0 };
        const char *opts[3] = { NULL, "io.katacontainers.fs-opt.overlay-rw", NULL };

        (void) state;
        mkdir_p(lower);
        assert_int_equal(mount(ct_rootfs(), lower, NULL, MS_BIND | MS_REC, NULL), 0);
        lowerdir = xasprintf("lowerdir=%s", lower);
        opts[0] = lowerdir;
        s = st_new("overlayfs", "overlay", "overlay", root, opts);
        s->n_driver_options = 1;
        s->driver_options = xzalloc(2 * sizeof(char *));
        s->driver_options[0] =
                xasprintf("io.katacontainers.volume.overlayfs.create_directory=%s", made);
        expect_code(
                create("ct-ovl", "echo written > /newfile && cat /newfile", NULL, root, &s, 1, &st),
                0, st);
        assert_int_equal(access(made, F_OK), 0);
        out = run("ct-ovl");
        assert_string_equal(out, "written\n");
        newfile = xasprintf("%s/newfile", upper);
        assert_int_equal(access(newfile, F_OK), 0);
        /* The image layer itself is untouched. */
        free(newfile);
        newfile = xasprintf("%s/newfile", lower);
        assert_int_equal(access(newfile, F_OK), -1);
        remove_ct("ct-ovl");
        assert_false(mounted(root));
        assert_int_equal(access(upper, F_OK), -1);
        assert_int_equal(access(root, F_OK), -1);
        assert_int_equal(umount2(lower, MNT_DETACH), 0);
        st_free(s);
        rm_rf(lower);
        (void) rmdir(made);
        ttrpc_status_done(&st);
}

/* watchable-bind: the container sees a copy that follows the source (polled every 2 s); a
 * source over 16 entries is bind-mounted instead. */
static void test_watchable_bind(void **state)
{
        _cleanup_free_ char *src = run_path("shared/containers/ct-w-0123-config");
        _cleanup_free_ char *big = run_path("shared/containers/ct-w-0123-big");
        _cleanup_free_ char *mp = run_path("shared/containers/watchable/ct-w-0123-config");
        _cleanup_free_ char *mpbig = run_path("shared/containers/watchable/ct-w-0123-big");
        _cleanup_free_ char *root = run_path("shared/containers/watchable");
        _cleanup_free_ char *mounts = NULL, *f = NULL, *out = NULL;
        Grpc__Storage *s[2];
        struct ttrpc_status st = { 0 };
        bool seen = false;

        (void) state;
        mkdir_p(src);
        mkdir_p(big);
        f = xasprintf("%s/key", src);
        write_file(f, "v1");
        for (int i = 0; i < 20; i++) {
                _cleanup_free_ char *p = xasprintf("%s/f%d", big, i);
                write_file(p, "x");
        }
        s[0] = st_new("watchable-bind", src, "bind", mp, NULL);
        s[1] = st_new("watchable-bind", big, "bind", mpbig, NULL);
        mounts = xasprintf("{'destination':'/cfg','type':'bind','source':'%s','options':['rbind']},"
                           "{'destination':'/big','type':'bind','source':'%s','options':['rbind']}",
                           mp, mpbig);
        expect_code(create("ct-w", "cat /cfg/key; echo; ls /big | wc -l; sleep 30", mounts, NULL, s,
                           2, &st),
                    0, st);
        assert_true(mounted(root));
        assert_true(mounted(mpbig)); /* over the limits: a plain bind */
        assert_false(mounted(mp));
        if (ct_id_call(cl, "StartContainer", "ct-w", &st) != 0)
                fail_msg("start: %s", st.message);
        /* The copy follows the source within a few polls. */
        write_file(f, "v2");
        for (int i = 0; i < 100 && !seen; i++) {
                _cleanup_free_ char *copy = xasprintf("%s/key", mp), *text = NULL;
                if (read_file(copy, 64, &text, NULL) == 0 && streq(text, "v2"))
                        seen = true;
                else
                        usleep(100 * 1000);
        }
        assert_true(seen);
        assert_int_equal(ct_signal(cl, "ct-w", "", 9, &st), 0);
        out = NULL;
        assert_int_equal(ct_read_all(cl, "ct-w", "", false, &out, NULL), 0);
        expect_contains(out, "20\n");
        int status;
        assert_int_equal(ct_wait(cl, "ct-w", "", &status, &st), 0);
        remove_ct("ct-w");
        assert_false(mounted(mpbig));
        assert_false(mounted(root));
        st_free(s[0]);
        st_free(s[1]);
        rm_rf(src);
        rm_rf(big);
        ttrpc_status_done(&st);
}

static int copy_file(const char *path, uint32_t mode, int64_t size, int64_t offset,
                     const char *data, struct ttrpc_status *st)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;

        req.path = (char *) path;
        req.file_mode = mode;
        req.dir_mode = 0755;
        req.file_size = size;
        req.offset = offset;
        req.uid = 1001;
        req.gid = 1002;
        req.data.data = (uint8_t *) data;
        req.data.len = data ? strlen(data) : 0;
        return call("CopyFile", &req.base, NULL, NULL, st);
}

static void test_copy_file(void **state)
{
        _cleanup_free_ char *dst = run_path("shared/containers/cp/sub/hosts");
        _cleanup_free_ char *dir = run_path("shared/containers/cp/dir");
        _cleanup_free_ char *lnk = run_path("shared/containers/cp/link");
        _cleanup_free_ char *esc = run_path("shared/containers/cp/esc");
        _cleanup_free_ char *text = NULL, *through = NULL, *victim = NULL, *vlink = NULL;
        char outside[] = "/tmp/cata-copy-outside-XXXXXX", target[256];
        struct ttrpc_status st = { 0 };
        struct stat sb;
        ssize_t n;

        (void) state;
        /* Two chunks: nothing at the path until the last one arrived. */
        expect_code(copy_file(dst, S_IFREG | 0640, 11, 0, "hello ", &st), 0, st);
        assert_int_equal(access(dst, F_OK), -1);
        expect_code(copy_file(dst, S_IFREG | 0640, 11, 6, "world", &st), 0, st);
        assert_int_equal(read_file(dst, 64, &text, NULL), 0);
        assert_string_equal(text, "hello world");
        assert_int_equal(stat(dst, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, 0640);
        assert_int_equal(sb.st_uid, 1001);
        assert_int_equal(sb.st_gid, 1002);
        /* Empty file, directory, symlink. */
        free(text);
        expect_code(copy_file(dst, S_IFREG | 0600, 0, 0, NULL, &st), 0, st);
        assert_int_equal(read_file(dst, 64, &text, NULL), 0);
        assert_string_equal(text, "");
        expect_code(copy_file(dir, S_IFDIR | 02750, 0, 0, NULL, &st), 0, st);
        assert_int_equal(stat(dir, &sb), 0);
        assert_true(S_ISDIR(sb.st_mode));
        assert_int_equal(sb.st_mode & 07777, 02750);
        expect_code(copy_file(lnk, S_IFLNK | 0777, 0, 0, "..data/key", &st), 0, st);
        n = readlink(lnk, target, sizeof(target) - 1);
        assert_true(n > 0);
        target[n] = '\0';
        assert_string_equal(target, "..data/key");

        /* Escapes: `..`, a path outside the root, a symlinked directory pointing out. */
        expect_code(copy_file("/etc/cata-copy", S_IFREG | 0644, 1, 0, "x", &st),
                    RPC_INVALID_ARGUMENT, st);
        through = run_path("shared/containers/cp/../../../escape");
        expect_code(copy_file(through, S_IFREG | 0644, 1, 0, "x", &st), RPC_INVALID_ARGUMENT, st);
        assert_non_null(mkdtemp(outside));
        assert_int_equal(symlink(outside, esc), 0);
        free(through);
        through = xasprintf("%s/planted", esc);
        expect_code(copy_file(through, S_IFREG | 0644, 1, 0, "x", &st), RPC_NOT_FOUND, st);
        free(victim);
        victim = xasprintf("%s/planted", outside);
        assert_int_equal(access(victim, F_OK), -1);
        /* A symlink at the target is replaced, never written through. */
        free(victim);
        victim = xasprintf("%s/victim", outside);
        write_file(victim, "untouched");
        vlink = run_path("shared/containers/cp/vlink");
        assert_int_equal(symlink(victim, vlink), 0);
        expect_code(copy_file(vlink, S_IFREG | 0644, 3, 0, "new", &st), 0, st);
        free(text);
        assert_int_equal(read_file(victim, 64, &text, NULL), 0);
        assert_string_equal(text, "untouched");
        assert_int_equal(lstat(vlink, &sb), 0);
        assert_true(S_ISREG(sb.st_mode));

        /* Bad sizes and types. */
        expect_code(copy_file(dst, S_IFREG | 0644, 4, 3, "xy", &st), RPC_INVALID_ARGUMENT, st);
        expect_code(copy_file(dst, S_IFREG | 0644, -1, 0, NULL, &st), RPC_RESOURCE_EXHAUSTED, st);
        expect_code(copy_file(dst, S_IFREG | 0644, 1ll << 40, 0, "x", &st), RPC_RESOURCE_EXHAUSTED,
                    st);
        expect_code(copy_file(dst, S_IFREG | 0644, 10, -5, "x", &st), RPC_INVALID_ARGUMENT, st);
        expect_code(copy_file(dst, S_IFSOCK | 0644, 0, 0, NULL, &st), RPC_INVALID_ARGUMENT, st);
        expect_code(copy_file(lnk, S_IFLNK | 0777, 0, 0, NULL, &st), RPC_INVALID_ARGUMENT, st);

        rm_rf(outside);
        free(text);
        text = run_path("shared/containers/cp");
        rm_rf(text);
        assert_check_ok(cl);
        ttrpc_status_done(&st);
}

static void test_volume_stats_and_update(void **state)
{
        _cleanup_free_ char *eph = run_path("sandbox/ephemeral/stats");
        _cleanup_free_ char *text = NULL, *needle = NULL;
        const char *opts[] = { "size=1m", NULL };
        const char *opts2[] = { "remount", "size=2m", NULL };
        Grpc__VolumeStatsRequest vreq = GRPC__VOLUME_STATS_REQUEST__INIT;
        Grpc__UpdateEphemeralMountsRequest ureq = GRPC__UPDATE_EPHEMERAL_MOUNTS_REQUEST__INIT;
        Grpc__VolumeStatsResponse *vresp = NULL;
        Grpc__Storage *s, *s2, *bad;
        struct ttrpc_status st = { 0 };

        (void) state;
        s = st_new("ephemeral", "tmpfs", "tmpfs", eph, opts);
        expect_code(create("ct-vol", "true", NULL, NULL, &s, 1, &st), 0, st);
        vreq.volume_guest_path = eph;
        expect_code(call("GetVolumeStats", &vreq.base, &grpc__volume_stats_response__descriptor,
                         (ProtobufCMessage **) &vresp, &st),
                    0, st);
        assert_int_equal(vresp->n_usage, 2);
        assert_int_equal(vresp->usage[0]->unit, GRPC__VOLUME_USAGE__UNIT__BYTES);
        assert_int_equal(vresp->usage[0]->total, 1024 * 1024);
        assert_int_equal(vresp->usage[0]->used + vresp->usage[0]->available,
                         vresp->usage[0]->total);
        assert_int_equal(vresp->usage[1]->unit, GRPC__VOLUME_USAGE__UNIT__INODES);
        assert_true(vresp->usage[1]->total > 0);
        assert_false(vresp->volume_condition->abnormal);
        assert_string_equal(vresp->volume_condition->message, "OK");
        protobuf_c_message_free_unpacked(&vresp->base, NULL);
        vreq.volume_guest_path = (char *) "/nonexistent/cata/volume";
        expect_code(call("GetVolumeStats", &vreq.base, &grpc__volume_stats_response__descriptor,
                         NULL, &st),
                    RPC_NOT_FOUND, st);

        /* UpdateEphemeralMounts: a remount with the new size. */
        s2 = st_new("ephemeral", "tmpfs", "tmpfs", eph, opts2);
        ureq.storages = &s2;
        ureq.n_storages = 1;
        expect_code(call("UpdateEphemeralMounts", &ureq.base, NULL, NULL, &st), 0, st);
        assert_int_equal(read_file("/proc/self/mountinfo", 8 << 20, &text, NULL), 0);
        needle = xasprintf(" %s ", eph);
        expect_contains(strstr(text, needle), "size=2048k");
        bad = st_new("local", "local", "local", eph, NULL);
        ureq.storages = &bad;
        expect_code(call("UpdateEphemeralMounts", &ureq.base, NULL, NULL, &st),
                    RPC_INVALID_ARGUMENT, st);
        expect_contains(st.message, "only ephemeral");
        st_free(bad);
        bad = st_new("ephemeral", "tmpfs", "tmpfs", "/run/kata-containers/sandbox/ephemeral/none",
                     opts2);
        expect_code(call("UpdateEphemeralMounts", &ureq.base, NULL, NULL, &st),
                    RPC_INVALID_ARGUMENT, st);
        st_free(bad);
        free(needle);
        needle = run_path("sandbox/ephemeral/unknown");
        bad = st_new("ephemeral", "tmpfs", "tmpfs", needle, opts2);
        ureq.storages = &bad;
        expect_code(call("UpdateEphemeralMounts", &ureq.base, NULL, NULL, &st), RPC_NOT_FOUND, st);
        st_free(bad);

        {
                Grpc__RemoveStaleVirtiofsShareMountsRequest rreq =
                        GRPC__REMOVE_STALE_VIRTIOFS_SHARE_MOUNTS_REQUEST__INIT;
                expect_code(call("RemoveStaleVirtiofsShareMounts", &rreq.base, NULL, NULL, &st), 0,
                            st);
        }
        remove_ct("ct-vol");
        st_free(s);
        st_free(s2);
        ttrpc_status_done(&st);
}

/* Each bad storage fails CreateContainer with a clear status; nothing is left mounted; the agent
 * keeps serving. */
static void test_bad_storages(void **state)
{
        _cleanup_free_ char *good = run_path("sandbox/ephemeral/all-or-nothing");
        _cleanup_free_ char *ok_mp = run_path("sandbox/ephemeral/x");
        _cleanup_free_ char *dotdot = run_path("sandbox/../../etc");
        _cleanup_free_ char *ns = run_path("sandbox/ns");
        _cleanup_free_ char *sb = run_path("sandbox");
        const char *huge_only[] = { "size=2097152", NULL };
        const char *bad_gid[] = { "fsgid=abc", NULL };
        const char *bad_mode[] = { "mode=999", NULL };
        const char *bad_kata[] = { "io.katacontainers.fs-opt.typo", NULL };
        const char *many[STORAGE_MAX_OPTIONS + 2];
        const struct {
                const char *driver, *fstype, *mp;
                const char *const *opts;
                int code;
                const char *msg;
        } cases[] = {
                { "nfs", "nfs", ok_mp, NULL, RPC_INVALID_ARGUMENT, "`nfs`" },
                { "blk", "ext4", ok_mp, NULL, RPC_INVALID_ARGUMENT, "neither a PCI path" },
                { "scsi", "ext4", ok_mp, NULL, RPC_INVALID_ARGUMENT, "not a SCSI address" },
                { "ephemeral", "tmpfs", "/etc", NULL, RPC_INVALID_ARGUMENT, "mount_point" },
                { "ephemeral", "tmpfs", dotdot, NULL, RPC_INVALID_ARGUMENT, "mount_point" },
                { "ephemeral", "tmpfs", "relative/path", NULL, RPC_INVALID_ARGUMENT,
                  "mount_point" },
                { "ephemeral", "tmpfs", ns, NULL, RPC_INVALID_ARGUMENT, "sandbox state" },
                { "ephemeral", "tmpfs", sb, NULL, RPC_INVALID_ARGUMENT, "sandbox state" },
                { "ephemeral", "proc", ok_mp, NULL, RPC_INVALID_ARGUMENT, "fstype" },
                { "ephemeral", "hugetlbfs", ok_mp, huge_only, RPC_INVALID_ARGUMENT, "pagesize" },
                { "ephemeral", "tmpfs", ok_mp, bad_gid, RPC_INVALID_ARGUMENT, "fsgid" },
                { "local", "local", ok_mp, bad_mode, RPC_INVALID_ARGUMENT, "mode" },
                { "overlayfs", "overlay", ok_mp, bad_kata, RPC_INVALID_ARGUMENT, "typo" },
                { "ephemeral", "tmpfs", ok_mp, many, RPC_INVALID_ARGUMENT, "limit" },
        };
        struct ttrpc_status st = { 0 };

        (void) state;
        for (size_t i = 0; i < STORAGE_MAX_OPTIONS + 1; i++)
                many[i] = "nosuid";
        many[STORAGE_MAX_OPTIONS + 1] = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                Grpc__Storage *s =
                        st_new(cases[i].driver, "src", cases[i].fstype, cases[i].mp, cases[i].opts);
                int code = create("ct-bad", "true", NULL, NULL, &s, 1, &st);
                if (code != cases[i].code || !strstr(st.message, cases[i].msg))
                        fail_msg("case %zu (%s): code %d `%s`", i, cases[i].driver, code,
                                 st.message);
                st_free(s);
        }
        /* All or nothing: the good storage before the bad one is undone. */
        {
                Grpc__Storage *s[2] = { st_new("bind", good, "bind", good, NULL),
                                        st_new("bind", "/etc", "bind", ok_mp, NULL) };
                _cleanup_free_ char *missing = run_path("shared/containers/missing");
                Grpc__Storage *t[2] = { st_new("ephemeral", "tmpfs", "tmpfs", good, NULL),
                                        st_new("bind", missing, "bind", ok_mp, NULL) };
                /* The second fails only when mounting: the first, already mounted, is undone. */
                expect_code(create("ct-bad", "true", NULL, NULL, t, 2, &st), RPC_NOT_FOUND, st);
                assert_false(mounted(good));
                assert_int_equal(access(good, F_OK), -1);
                /* a source outside the run dir */
                expect_code(create("ct-bad", "true", NULL, NULL, &s[1], 1, &st),
                            RPC_INVALID_ARGUMENT, st);
                expect_contains(st.message, "source");
                for (int i = 0; i < 2; i++) {
                        st_free(s[i]);
                        st_free(t[i]);
                }
        }
        assert_int_equal(access(ok_mp, F_OK), -1);
        assert_check_ok(cl);
        agent_proc_assert_alive(&agent);
        ttrpc_status_done(&st);
}

/* cata-ctl copy-file sends a big file in 1 MiB chunks; volume-stats prints both usages. */
static void test_ctl(void **state)
{
        _cleanup_free_ char *dst = run_path("shared/containers/ctl/big");
        _cleanup_free_ char *cmd = NULL, *got = NULL, *want = NULL, *dir = NULL;
        char src[] = "/tmp/cata-ctl-src-XXXXXX", out[4096];
        const char *ctl = getenv("CATA_CTL_BIN");
        size_t len = (5u << 20) / 2, got_len = 0, n;
        FILE *f;
        int fd;

        (void) state;
        assert_non_null(ctl);
        fd = mkstemp(src);
        assert_true(fd >= 0);
        want = xmalloc(len);
        for (size_t i = 0; i < len; i++)
                want[i] = (char) ('a' + i % 26);
        assert_int_equal(write(fd, want, len), (ssize_t) len);
        assert_int_equal(fchmod(fd, 0604), 0);
        close(fd);
        cmd = xasprintf("%s --addr %s copy-file %s %s >/dev/null", ctl, agent.addr, src, dst);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(read_file(dst, 8 << 20, &got, &got_len), 0);
        assert_int_equal(got_len, len);
        assert_memory_equal(got, want, len);
        /* A path outside the shared dir: the agent's INVALID_ARGUMENT is exit status 1. */
        free(cmd);
        cmd = xasprintf("%s --addr %s copy-file %s /etc/cata-ctl-x 2>/dev/null", ctl, agent.addr,
                        src);
        assert_int_equal(WEXITSTATUS(system(cmd)), 1);
        free(cmd);
        dir = run_path("shared/containers");
        cmd = xasprintf("%s --addr %s --json volume-stats %s", ctl, agent.addr, dir);
        f = popen(cmd, "r");
        assert_non_null(f);
        n = fread(out, 1, sizeof(out) - 1, f);
        out[n] = '\0';
        assert_int_equal(pclose(f), 0);
        expect_contains(out, "\"bytes\"");
        expect_contains(out, "\"inodes\"");
        expect_contains(out, "\"OK\"");
        unlink(src);
        free(dir);
        dir = run_path("shared/containers/ctl");
        rm_rf(dir);
}

static void test_guest_details(void **state)
{
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        Grpc__GuestDetailsResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        bool eph = false, blk = false;

        (void) state;
        expect_code(call("GetGuestDetails", &req.base, &grpc__guest_details_response__descriptor,
                         (ProtobufCMessage **) &resp, &st),
                    0, st);
        for (size_t i = 0; i < resp->agent_details->n_storage_handlers; i++) {
                eph |= streq(resp->agent_details->storage_handlers[i], "ephemeral");
                blk |= streq(resp->agent_details->storage_handlers[i], "blk");
        }
        assert_true(eph);
        assert_true(blk);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        ttrpc_status_done(&st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_container_storages),
                cmocka_unit_test(test_refcount),
                cmocka_unit_test(test_overlay_rootfs),
                cmocka_unit_test(test_watchable_bind),
                cmocka_unit_test(test_copy_file),
                cmocka_unit_test(test_volume_stats_and_update),
                cmocka_unit_test(test_bad_storages),
                cmocka_unit_test(test_ctl),
                cmocka_unit_test(test_guest_details),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
