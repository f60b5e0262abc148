/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/util.h"
#include "oci/spec-json.h"

/* ---- helpers ---- */

/* The sample files live in tests/data: CATA_TEST_DATA if set, else tests/data under the working
 * directory (meson runs this test from the source root), else next to this source file. */
static char *data_path(const char *name)
{
        _cleanup_free_ char *file = xstrdup(__FILE__);
        const char *env = getenv("CATA_TEST_DATA");
        char *path;

        if (env)
                return xasprintf("%s/%s", env, name);
        path = xasprintf("tests/data/%s", name);
        if (access(path, R_OK) == 0)
                return path;
        free(path);
        return xasprintf("%s/../data/%s", dirname(file), name);
}

static char *read_data(const char *name, size_t *len)
{
        _cleanup_free_ char *path = data_path(name);
        char *buf = NULL;

        if (read_file(path, 1 << 20, &buf, len) < 0)
                fail_msg("cannot read `%s` (set CATA_TEST_DATA to tests/data)", path);
        return buf;
}

static Grpc__Spec *parse_ok(const char *json)
{
        _cleanup_error_ struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;

        if (spec_from_json(json, strlen(json), &spec, &err) < 0)
                fail_msg("spec_from_json: %s", err->msg);
        assert_non_null(spec);
        assert_null(err);
        return spec;
}

static Grpc__Spec *parse_data(const char *name)
{
        size_t len;
        _cleanup_free_ char *json = read_data(name, &len);

        return parse_ok(json);
}

/* Parses json, expects failure with exactly `want` as the message. */
static void assert_parse_error(const char *json, const char *want)
{
        _cleanup_error_ struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;
        int r = spec_from_json(json, strlen(json), &spec, &err);

        if (r >= 0)
                fail_msg("accepted: %s", json);
        assert_int_equal(r, -EINVAL);
        assert_null(spec);
        assert_non_null(err);
        assert_int_equal(err->errno_, EINVAL);
        if (strcmp(err->msg, want) != 0)
                fail_msg("for %s\n got: %s\nwant: %s", json, err->msg, want);
}

/* Like assert_parse_error() but compares only the start (jansson words the rest). */
static void assert_parse_error_prefix(const char *json, const char *want)
{
        _cleanup_error_ struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;

        assert_int_equal(spec_from_json(json, strlen(json), &spec, &err), -EINVAL);
        assert_null(spec);
        if (!startswith(err->msg, want))
                fail_msg("got: %s\nwant prefix: %s", err->msg, want);
}

static uint8_t *pack(const Grpc__Spec *spec, size_t *len)
{
        uint8_t *buf;

        *len = protobuf_c_message_get_packed_size(&spec->base);
        buf = xmalloc(*len);
        assert_int_equal(protobuf_c_message_pack(&spec->base, buf), *len);
        return buf;
}

static void assert_same_message(const Grpc__Spec *a, const Grpc__Spec *b)
{
        size_t alen, blen;
        _cleanup_free_ uint8_t *abuf = pack(a, &alen);
        _cleanup_free_ uint8_t *bbuf = pack(b, &blen);

        assert_int_equal(alen, blen);
        assert_memory_equal(abuf, bbuf, alen);
}

/* from_json(to_json(x)) == x, and to_json is stable on the result. */
static void assert_round_trip(const Grpc__Spec *spec)
{
        _cleanup_free_ char *text = spec_to_json(spec);
        _cleanup_free_ char *again = NULL;
        _cleanup_(spec_freep) Grpc__Spec *back = NULL;

        assert_non_null(text);
        back = parse_ok(text);
        assert_same_message(spec, back);
        again = spec_to_json(back);
        assert_string_equal(text, again);
}

static void assert_strv(char **v, size_t n, const char *const *want, size_t n_want)
{
        assert_int_equal(n, n_want);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v[i], want[i]);
}

#define ASSERT_STRV(v, n, ...)                                      \
        do {                                                        \
                static const char *const _want[] = { __VA_ARGS__ }; \
                assert_strv((v), (n), _want, ARRAY_SIZE(_want));    \
        } while (0)

static void assert_hook(const Grpc__Hook *h, const char *path, size_t n_args, size_t n_env,
                        int64_t timeout)
{
        assert_string_equal(h->path, path);
        assert_int_equal(h->n_args, n_args);
        assert_int_equal(h->n_env, n_env);
        assert_int_equal(h->timeout, timeout);
}

static void assert_throttle(const Grpc__LinuxThrottleDevice *t, int64_t major, int64_t minor,
                            uint64_t rate)
{
        assert_int_equal(t->major, major);
        assert_int_equal(t->minor, minor);
        assert_int_equal(t->rate, rate);
}

static void assert_idmap(const Grpc__LinuxIDMapping *m, uint32_t container, uint32_t host,
                         uint32_t size)
{
        assert_int_equal(m->containerid, container);
        assert_int_equal(m->hostid, host);
        assert_int_equal(m->size, size);
}

/* ---- the full sample, field by field ---- */

static void check_full_process(const Grpc__Process *p)
{
        const uint32_t gids[] = { 5, 6, 4294967295u };

        assert_non_null(p);
        assert_true(p->terminal);
        assert_int_equal(p->consolesize->height, 25);
        assert_int_equal(p->consolesize->width, 80);
        assert_int_equal(p->user->uid, 1000);
        assert_int_equal(p->user->gid, 1001);
        assert_int_equal(p->user->n_additionalgids, 3);
        assert_memory_equal(p->user->additionalgids, gids, sizeof(gids));
        assert_string_equal(p->user->username, "app");
        ASSERT_STRV(p->args, p->n_args, "/bin/sh", "-c", "echo \"hi\" && exec sleep 1");
        ASSERT_STRV(p->env, p->n_env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                    "LANG=C.UTF-8");
        assert_string_equal(p->cwd, "/srv/app");
        ASSERT_STRV(p->capabilities->bounding, p->capabilities->n_bounding, "CAP_AUDIT_WRITE",
                    "CAP_KILL");
        ASSERT_STRV(p->capabilities->effective, p->capabilities->n_effective, "CAP_KILL");
        ASSERT_STRV(p->capabilities->inheritable, p->capabilities->n_inheritable, "CAP_NET_RAW");
        ASSERT_STRV(p->capabilities->permitted, p->capabilities->n_permitted, "CAP_AUDIT_WRITE",
                    "CAP_KILL", "CAP_NET_BIND_SERVICE");
        ASSERT_STRV(p->capabilities->ambient, p->capabilities->n_ambient, "CAP_NET_BIND_SERVICE");
        assert_int_equal(p->n_rlimits, 2);
        assert_string_equal(p->rlimits[0]->type, "RLIMIT_NOFILE");
        assert_int_equal(p->rlimits[0]->hard, 1048576);
        assert_int_equal(p->rlimits[0]->soft, 1024);
        assert_string_equal(p->rlimits[1]->type, "RLIMIT_CORE");
        assert_true(p->rlimits[1]->hard == UINT64_MAX);
        assert_true(p->rlimits[1]->soft == UINT64_C(9223372036854775808));
        assert_true(p->nonewprivileges);
        assert_string_equal(p->apparmorprofile, "cata-default");
        assert_int_equal(p->oomscoreadj, -500);
        assert_string_equal(p->selinuxlabel, "system_u:system_r:container_t:s0:c1,c2");
}

static void check_full_top(const Grpc__Spec *s)
{
        const Grpc__Hooks *h = s->hooks;

        assert_string_equal(s->version, "1.1.0");
        assert_string_equal(s->root->path, "rootfs");
        assert_true(s->root->readonly);
        assert_string_equal(s->hostname, "cata-full");
        assert_int_equal(s->n_mounts, 2);
        assert_string_equal(s->mounts[0]->destination, "/proc");
        assert_string_equal(s->mounts[0]->type, "proc");
        assert_string_equal(s->mounts[0]->source, "proc");
        assert_int_equal(s->mounts[0]->n_options, 0);
        assert_string_equal(s->mounts[1]->destination, "/data");
        assert_string_equal(s->mounts[1]->type, "bind");
        assert_string_equal(s->mounts[1]->source, "/var/lib/data");
        ASSERT_STRV(s->mounts[1]->options, s->mounts[1]->n_options, "rbind", "rw", "nosuid");
        assert_int_equal(h->n_prestart, 1);
        assert_hook(h->prestart[0], "/usr/bin/pre", 2, 1, 5);
        ASSERT_STRV(h->prestart[0]->args, h->prestart[0]->n_args, "pre", "--flag");
        ASSERT_STRV(h->prestart[0]->env, h->prestart[0]->n_env, "A=1");
        assert_int_equal(h->n_createruntime, 1);
        assert_hook(h->createruntime[0], "/usr/bin/create-runtime", 0, 0, 0);
        assert_int_equal(h->n_createcontainer, 1);
        assert_hook(h->createcontainer[0], "/usr/bin/create-container", 0, 0, -1);
        assert_int_equal(h->n_startcontainer, 1);
        assert_hook(h->startcontainer[0], "/usr/bin/start-container", 1, 0, 0);
        assert_int_equal(h->n_poststart, 1);
        assert_hook(h->poststart[0], "/usr/bin/post", 0, 2, 0);
        assert_int_equal(h->n_poststop, 2);
        assert_hook(h->poststop[0], "/usr/bin/stop1", 0, 0, 0);
        assert_hook(h->poststop[1], "/usr/bin/stop2", 0, 0, 30);
        /* Solaris and Windows have no config.json counterpart here. */
        assert_null(s->solaris);
        assert_null(s->windows);
}

static void check_full_resources(const Grpc__LinuxResources *r)
{
        const Grpc__LinuxBlockIO *b = r->blockio;

        assert_int_equal(r->n_devices, 3);
        assert_false(r->devices[0]->allow);
        assert_string_equal(r->devices[0]->type, "");
        assert_int_equal(r->devices[0]->major, 0);
        assert_string_equal(r->devices[0]->access, "rwm");
        assert_true(r->devices[1]->allow);
        assert_string_equal(r->devices[1]->type, "c");
        assert_int_equal(r->devices[1]->major, 1);
        assert_int_equal(r->devices[1]->minor, 3);
        assert_string_equal(r->devices[1]->access, "rw");
        assert_int_equal(r->devices[2]->major, -1);
        assert_int_equal(r->devices[2]->minor, -1);
        assert_int_equal(r->memory->limit, 536870912);
        assert_int_equal(r->memory->reservation, 268435456);
        assert_int_equal(r->memory->swap, -1);
        assert_int_equal(r->memory->kernel, 67108864);
        assert_int_equal(r->memory->kerneltcp, 16777216);
        assert_int_equal(r->memory->swappiness, 60);
        assert_true(r->memory->disableoomkiller);
        assert_int_equal(r->cpu->shares, 1024);
        assert_int_equal(r->cpu->quota, 50000);
        assert_int_equal(r->cpu->period, 100000);
        assert_int_equal(r->cpu->realtimeruntime, 950000);
        assert_int_equal(r->cpu->realtimeperiod, 1000000);
        assert_string_equal(r->cpu->cpus, "0-3");
        assert_string_equal(r->cpu->mems, "0");
        assert_int_equal(r->pids->limit, 128);
        assert_int_equal(b->weight, 500);
        assert_int_equal(b->leafweight, 300);
        assert_int_equal(b->n_weightdevice, 1);
        assert_int_equal(b->weightdevice[0]->major, 8);
        assert_int_equal(b->weightdevice[0]->minor, 0);
        assert_int_equal(b->weightdevice[0]->weight, 600);
        assert_int_equal(b->weightdevice[0]->leafweight, 400);
        assert_int_equal(b->n_throttlereadbpsdevice, 1);
        assert_throttle(b->throttlereadbpsdevice[0], 8, 0, 104857600);
        assert_int_equal(b->n_throttlewritebpsdevice, 1);
        assert_throttle(b->throttlewritebpsdevice[0], 8, 16, 52428800);
        assert_int_equal(b->n_throttlereadiopsdevice, 1);
        assert_throttle(b->throttlereadiopsdevice[0], 8, 32, 1000);
        assert_int_equal(b->n_throttlewriteiopsdevice, 1);
        assert_throttle(b->throttlewriteiopsdevice[0], 8, 48, 500);
        assert_int_equal(r->n_hugepagelimits, 2);
        assert_string_equal(r->hugepagelimits[0]->pagesize, "2MB");
        assert_int_equal(r->hugepagelimits[0]->limit, 209715200);
        assert_string_equal(r->hugepagelimits[1]->pagesize, "1GB");
        assert_int_equal(r->hugepagelimits[1]->limit, 0);
        assert_int_equal(r->network->classid, 1048577);
        assert_int_equal(r->network->n_priorities, 2);
        assert_string_equal(r->network->priorities[0]->name, "eth0");
        assert_int_equal(r->network->priorities[0]->priority, 500);
        assert_string_equal(r->network->priorities[1]->name, "eth1");
        assert_int_equal(r->network->priorities[1]->priority, 1000);
}

static void check_full_seccomp(const Grpc__LinuxSeccomp *sc)
{
        const Grpc__LinuxSyscall *const *s = (const Grpc__LinuxSyscall *const *) sc->syscalls;

        assert_string_equal(sc->defaultaction, "SCMP_ACT_ERRNO");
        ASSERT_STRV(sc->architectures, sc->n_architectures, "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                    "SCMP_ARCH_X32");
        ASSERT_STRV(sc->flags, sc->n_flags, "SECCOMP_FILTER_FLAG_LOG");
        assert_int_equal(sc->n_syscalls, 4);
        ASSERT_STRV(s[0]->names, s[0]->n_names, "read", "write", "exit_group");
        assert_string_equal(s[0]->action, "SCMP_ACT_ALLOW");
        assert_int_equal(s[0]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET__NOT_SET);
        assert_int_equal(s[1]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(s[1]->errnoret, 0);
        assert_int_equal(s[2]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(s[2]->errnoret, 1);
        assert_int_equal(s[3]->n_args, 2);
        assert_int_equal(s[3]->args[0]->index, 0);
        assert_int_equal(s[3]->args[0]->value, 8);
        assert_int_equal(s[3]->args[0]->valuetwo, 0);
        assert_string_equal(s[3]->args[0]->op, "SCMP_CMP_EQ");
        assert_int_equal(s[3]->args[1]->index, 1);
        assert_true(s[3]->args[1]->value == UINT64_MAX);
        assert_int_equal(s[3]->args[1]->valuetwo, 4294967295u);
        assert_string_equal(s[3]->args[1]->op, "SCMP_CMP_MASKED_EQ");
}

static void check_full_linux(const Grpc__Linux *l)
{
        assert_int_equal(l->n_uidmappings, 1);
        assert_idmap(l->uidmappings[0], 0, 100000, 65536);
        assert_int_equal(l->n_gidmappings, 2);
        assert_idmap(l->gidmappings[0], 0, 200000, 65536);
        assert_idmap(l->gidmappings[1], 65536, 4294967295u, 1);
        assert_int_equal(l->n_sysctl, 2);
        assert_string_equal(l->sysctl[0]->key, "net.ipv4.ip_forward");
        assert_string_equal(l->sysctl[0]->value, "1");
        assert_string_equal(l->sysctl[1]->key, "kernel.shmmax");
        assert_string_equal(l->sysctl[1]->value, "68719476736");
        check_full_resources(l->resources);
        assert_string_equal(l->cgroupspath, "/kata/full");
        assert_int_equal(l->n_namespaces, 7);
        assert_string_equal(l->namespaces[0]->type, "pid");
        assert_string_equal(l->namespaces[0]->path, "");
        assert_string_equal(l->namespaces[1]->type, "network");
        assert_string_equal(l->namespaces[1]->path, "/var/run/netns/cata");
        assert_string_equal(l->namespaces[6]->type, "cgroup");
        assert_int_equal(l->n_devices, 2);
        assert_string_equal(l->devices[0]->path, "/dev/fuse");
        assert_string_equal(l->devices[0]->type, "c");
        assert_int_equal(l->devices[0]->major, 10);
        assert_int_equal(l->devices[0]->minor, 229);
        assert_int_equal(l->devices[0]->filemode, 0666);
        assert_int_equal(l->devices[1]->filemode, 0660);
        assert_int_equal(l->devices[1]->uid, 1000);
        assert_int_equal(l->devices[1]->gid, 6);
        check_full_seccomp(l->seccomp);
        assert_string_equal(l->rootfspropagation, "rslave");
        ASSERT_STRV(l->maskedpaths, l->n_maskedpaths, "/proc/kcore", "/sys/firmware");
        ASSERT_STRV(l->readonlypaths, l->n_readonlypaths, "/proc/sys", "/proc/sysrq-trigger");
        assert_string_equal(l->mountlabel, "system_u:object_r:container_file_t:s0:c1,c2");
        assert_string_equal(l->intelrdt->l3cacheschema, "L3:0=7f0;1=1f");
}

static void test_full(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s = parse_data("config-full.json");

        (void) state;
        check_full_top(s);
        check_full_process(s->process);
        assert_int_equal(s->n_annotations, 3);
        check_full_linux(s->linux);
}

static void test_runc_default(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s = parse_data("config-runc-default.json");
        const Grpc__Process *p;

        (void) state;
        p = s->process;
        assert_string_equal(s->version, "1.0.2-dev");
        assert_true(p->terminal);
        assert_null(p->consolesize);
        assert_int_equal(p->user->uid, 0);
        assert_int_equal(p->user->gid, 0);
        ASSERT_STRV(p->args, p->n_args, "sh");
        assert_int_equal(p->n_env, 2);
        assert_string_equal(p->cwd, "/");
        assert_int_equal(p->capabilities->n_bounding, 3);
        assert_int_equal(p->capabilities->n_inheritable, 0);
        assert_int_equal(p->n_rlimits, 1);
        assert_int_equal(p->rlimits[0]->hard, 1024);
        assert_true(p->nonewprivileges);
        assert_string_equal(p->apparmorprofile, "");
        assert_string_equal(s->root->path, "rootfs");
        assert_true(s->root->readonly);
        assert_string_equal(s->hostname, "runc");
        assert_int_equal(s->n_mounts, 7);
        assert_string_equal(s->mounts[6]->destination, "/sys/fs/cgroup");
        assert_int_equal(s->mounts[6]->n_options, 5);
        assert_null(s->hooks);
        assert_int_equal(s->n_annotations, 0);
        assert_int_equal(s->linux->resources->n_devices, 1);
        assert_false(s->linux->resources->devices[0]->allow);
        assert_string_equal(s->linux->resources->devices[0]->access, "rwm");
        assert_null(s->linux->resources->memory);
        assert_int_equal(s->linux->n_namespaces, 5);
        assert_string_equal(s->linux->namespaces[4]->type, "mount");
        assert_int_equal(s->linux->n_maskedpaths, 10);
        assert_int_equal(s->linux->n_readonlypaths, 5);
        assert_null(s->linux->seccomp);
}

/* ---- round trips ---- */

static void test_round_trip_files(void **state)
{
        static const char *const files[] = { "config-full.json", "config-runc-default.json" };

        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_(spec_freep) Grpc__Spec *s = parse_data(files[i]);

                assert_round_trip(s);
        }
}

/* The output uses the config.json names, keeps big uint64 exact and drops unknown fields. */
static void test_to_json_text(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s = parse_data("config-full.json");
        _cleanup_free_ char *text = spec_to_json(s);

        (void) state;
        assert_non_null(strstr(text, "\"ociVersion\": \"1.1.0\""));
        assert_non_null(strstr(text, "\"hard\": 18446744073709551615,"));
        assert_non_null(strstr(text, "\"soft\": 9223372036854775808"));
        assert_non_null(strstr(text, "\"value\": 18446744073709551615,"));
        assert_non_null(strstr(text, "\"throttleReadIOPSDevice\""));
        assert_non_null(strstr(text, "\"l3CacheSchema\": \"L3:0=7f0;1=1f\""));
        assert_non_null(strstr(text, "\"kernelTCP\": 16777216"));
        assert_null(strstr(text, "domainname"));
        assert_null(strstr(text, "umask"));
        assert_null(strstr(text, "timeOffsets"));
        assert_null(strstr(text, "\\u0000"));
}

/* Zeros are omitted like Go's omitempty, except fields config.json requires. */
static void test_to_json_zeros(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s =
                parse_ok("{\"ociVersion\": \"\", \"root\": {\"path\": \"\"},"
                         " \"process\": {\"args\": [\"x\"], \"user\": {}, \"oomScoreAdj\": 0},"
                         " \"linux\": {\"resources\": {\"memory\": {\"limit\": 0}, \"pids\": {}},"
                         " \"uidMappings\": [{}]}}");
        _cleanup_free_ char *text = spec_to_json(s);

        (void) state;
        assert_non_null(strstr(text, "\"ociVersion\": \"\""));
        assert_non_null(strstr(text, "\"path\": \"\""));
        assert_non_null(strstr(text, "\"uid\": 0"));
        assert_non_null(strstr(text, "\"cwd\": \"\""));
        assert_non_null(strstr(text, "\"memory\": {}"));
        assert_non_null(strstr(text, "\"limit\": 0")); /* pids.limit */
        assert_non_null(strstr(text, "\"containerID\": 0"));
        assert_null(strstr(text, "oomScoreAdj"));
        assert_null(strstr(text, "terminal"));
        assert_null(strstr(text, "hostname"));
        assert_round_trip(s);
}

/* A spec that came over the wire (unpacked, strings "" not NULL) converts the same way. */
static void test_unpacked_spec(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s = parse_data("config-full.json");
        _cleanup_free_ char *text = spec_to_json(s);
        _cleanup_free_ char *text2 = NULL;
        size_t len;
        _cleanup_free_ uint8_t *buf = pack(s, &len);
        Grpc__Spec *u = grpc__spec__unpack(NULL, len, buf);

        (void) state;
        assert_non_null(u);
        text2 = spec_to_json(u);
        assert_string_equal(text, text2);
        grpc__spec__free_unpacked(u, NULL);
}

/* The contract: protobuf-c's own free releases everything (LSan checks it). */
static void test_free_unpacked(void **state)
{
        Grpc__Spec *s = parse_data("config-full.json");

        (void) state;
        protobuf_c_message_free_unpacked(&s->base, NULL);
        spec_free(NULL);
}

static void test_to_json_invalid_utf8(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s = parse_ok(
                "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"hostname\": \"h\"}");

        (void) state;
        free(s->hostname);
        s->hostname = xstrdup("bad\xff");
        assert_null(spec_to_json(s));
        /* In an array element and in a map key too. */
        free(s->hostname);
        s->hostname = xstrdup("good");
        s->linux = xmalloc(sizeof(*s->linux));
        grpc__linux__init(s->linux);
        s->linux->n_maskedpaths = 1;
        s->linux->maskedpaths = xmalloc(sizeof(char *));
        s->linux->maskedpaths[0] = xstrdup("/p\xc3");
        assert_null(spec_to_json(s));
        s->linux->maskedpaths[0][2] = '\0';
        s->n_annotations = 1;
        s->annotations = xmalloc(sizeof(*s->annotations));
        s->annotations[0] = xmalloc(sizeof(**s->annotations));
        grpc__spec__annotations_entry__init(s->annotations[0]);
        s->annotations[0]->key = xstrdup("k\xe2\x82");
        s->annotations[0]->value = xstrdup("v");
        assert_null(spec_to_json(s));
        assert_null(spec_to_json(NULL));
}

/* ---- optional parts, null, maps, the errnoRet oneof ---- */

static void test_process_optional(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s =
                parse_ok("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"/r\"}}");
        _cleanup_(spec_freep) Grpc__Spec *n = parse_ok(
                "{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"/r\"}, \"process\": null,"
                " \"linux\": {\"seccomp\": null, \"sysctl\": null}, \"hostname\": null}");

        (void) state;
        assert_null(s->process);
        assert_null(s->linux);
        assert_string_equal(s->hostname, "");
        assert_false(s->root->readonly);
        assert_round_trip(s);
        assert_null(n->process);
        assert_non_null(n->linux);
        assert_null(n->linux->seccomp);
        assert_int_equal(n->linux->n_sysctl, 0);
        assert_round_trip(n);
}

static void test_maps(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s =
                parse_ok("{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"},"
                         " \"annotations\": {\"b\": \"2\", \"a\": \"1\", \"k.with/slash\": \"\","
                         " \"b\": \"3\"},"
                         " \"linux\": {\"sysctl\": {\"net.core.somaxconn\": \"1024\"}}}");
        _cleanup_(spec_freep) Grpc__Spec *e =
                parse_ok("{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"annotations\": {},"
                         " \"linux\": {\"sysctl\": {}}}");

        (void) state;
        /* Document order is kept; a repeated key keeps its first place and its last value. */
        assert_int_equal(s->n_annotations, 3);
        assert_string_equal(s->annotations[0]->key, "b");
        assert_string_equal(s->annotations[0]->value, "3");
        assert_string_equal(s->annotations[1]->key, "a");
        assert_string_equal(s->annotations[1]->value, "1");
        assert_string_equal(s->annotations[2]->key, "k.with/slash");
        assert_string_equal(s->annotations[2]->value, "");
        assert_int_equal(s->linux->n_sysctl, 1);
        assert_string_equal(s->linux->sysctl[0]->key, "net.core.somaxconn");
        assert_string_equal(s->linux->sysctl[0]->value, "1024");
        assert_round_trip(s);
        assert_int_equal(e->n_annotations, 0);
        assert_int_equal(e->linux->n_sysctl, 0);
        assert_round_trip(e);
}

static void test_errno_ret_oneof(void **state)
{
        _cleanup_(spec_freep) Grpc__Spec *s = parse_ok(
                "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"linux\": {\"seccomp\": {"
                "\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                "{\"names\": [\"a\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                "{\"names\": [\"b\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 0},"
                "{\"names\": [\"c\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": null},"
                "{\"names\": [\"d\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}}}");
        Grpc__LinuxSyscall **sc = s->linux->seccomp->syscalls;
        _cleanup_free_ char *text = spec_to_json(s);
        const char *b = strstr(text, "\"b\"");

        (void) state;
        assert_int_equal(sc[0]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET__NOT_SET);
        assert_int_equal(sc[1]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(sc[1]->errnoret, 0);
        assert_int_equal(sc[2]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET__NOT_SET);
        assert_int_equal(sc[3]->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        assert_int_equal(sc[3]->errnoret, 38);
        /* "errnoRet": 0 is written back; the unset one is not. */
        assert_non_null(b);
        assert_non_null(strstr(b, "\"errnoRet\": 0"));
        assert_true(strstr(text, "\"errnoRet\"") > b);
        assert_round_trip(s);
}

/* ---- errors ---- */

#define MIN_HEAD "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, "

static void test_wrong_types(void **state)
{
        (void) state;
        assert_parse_error("{\"ociVersion\": 1, \"root\": {\"path\": \"r\"}}",
                           "ociVersion: expected a string");
        assert_parse_error(MIN_HEAD "\"process\": []}", "process: expected an object");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": [\"a\"], \"terminal\": \"yes\"}}",
                           "process.terminal: expected a boolean");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": \"sh\"}}",
                           "process.args: expected an array");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": [\"sh\", 1]}}",
                           "process.args[1]: expected a string");
        assert_parse_error(MIN_HEAD "\"mounts\": {}}", "mounts: expected an array");
        assert_parse_error(MIN_HEAD "\"mounts\": [{\"destination\": \"/a\"}, 5]}",
                           "mounts[1]: expected an object");
        assert_parse_error(MIN_HEAD
                           "\"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}}",
                           "linux.resources.memory.limit: expected an integer");
        assert_parse_error(MIN_HEAD "\"linux\": {\"resources\": {\"memory\": {\"limit\": 1.5}}}}",
                           "linux.resources.memory.limit: expected an integer");
        assert_parse_error(MIN_HEAD "\"linux\": {\"seccomp\": {\"syscalls\": [{}, {\"args\": "
                                    "[{\"value\": true}]}]}}}",
                           "linux.seccomp.syscalls[1].args[0].value: expected an unsigned integer");
        assert_parse_error(MIN_HEAD "\"hooks\": {\"poststop\": [{\"path\": \"/p\", \"timeout\": "
                                    "\"5s\"}]}}",
                           "hooks.poststop[0].timeout: expected an integer");
        assert_parse_error(MIN_HEAD "\"annotations\": {\"a\": \"x\", \"b\": 1}}",
                           "annotations[\"b\"]: expected a string");
        assert_parse_error(MIN_HEAD "\"annotations\": [\"a\"]}", "annotations: expected an object");
        assert_parse_error(MIN_HEAD "\"linux\": {\"sysctl\": {\"k\": 18446744073709551615}}}",
                           "linux.sysctl[\"k\"]: expected a string");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": [null]}}",
                           "process.args[0]: expected a string");
        assert_parse_error("[]", "top level: expected an object");
}

static void test_numbers_out_of_range(void **state)
{
        (void) state;
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": [\"a\"], \"user\": {\"uid\": -1}}}",
                           "process.user.uid: expected an unsigned integer, got -1");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": [\"a\"], \"user\": {\"gid\": "
                                    "4294967296}}}",
                           "process.user.gid: 4294967296 is out of range (at most 4294967295)");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": [\"a\"], \"user\": "
                                    "{\"additionalGids\": [1, -2]}}}",
                           "process.user.additionalGids[1]: expected an unsigned integer, got -2");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": [\"a\"], \"rlimits\": [{\"type\": "
                                    "\"RLIMIT_NOFILE\", \"hard\": -1, \"soft\": 1}]}}",
                           "process.rlimits[0].hard: expected an unsigned integer, got -1");
        assert_parse_error(MIN_HEAD "\"linux\": {\"resources\": {\"memory\": {\"limit\": "
                                    "9223372036854775808}}}}",
                           "linux.resources.memory.limit: 9223372036854775808 is out of range "
                           "(at most 9223372036854775807)");
        assert_parse_error(MIN_HEAD "\"linux\": {\"seccomp\": {\"syscalls\": [{\"errnoRet\": "
                                    "-1}]}}}",
                           "linux.seccomp.syscalls[0].errnoRet: expected an unsigned integer, "
                           "got -1");
        /* Beyond uint64 (or int64 when negative) is jansson's to reject. */
        assert_parse_error_prefix(MIN_HEAD "\"linux\": {\"seccomp\": {\"syscalls\": [{\"args\": "
                                           "[{\"value\": 18446744073709551616}]}]}}}",
                                  "invalid JSON at line 1, column ");
        assert_parse_error_prefix(MIN_HEAD "\"linux\": {\"resources\": {\"memory\": {\"swap\": "
                                           "-9223372036854775809}}}}",
                                  "invalid JSON at line 1, column ");
}

static void test_required(void **state)
{
        (void) state;
        assert_parse_error("{\"root\": {\"path\": \"r\"}}", "ociVersion: missing (required)");
        assert_parse_error("{\"ociVersion\": null, \"root\": {\"path\": \"r\"}}",
                           "ociVersion: missing (required)");
        assert_parse_error("{\"ociVersion\": \"1\"}", "root: missing (required)");
        assert_parse_error("{\"ociVersion\": \"1\", \"root\": {\"readonly\": true}}",
                           "root.path: missing (required)");
        assert_parse_error(MIN_HEAD "\"process\": {\"cwd\": \"/\"}}",
                           "process.args: missing (required)");
        assert_parse_error(MIN_HEAD "\"process\": {\"args\": []}}",
                           "process.args: must not be empty");
}

static void test_syntax(void **state)
{
        (void) state;
        assert_parse_error_prefix("{\n  \"ociVersion\": \"1\",\n  \"root\": {\"path\": \"r\"},\n}",
                                  "invalid JSON at line 4, column 1: ");
        assert_parse_error_prefix("{\"ociVersion\": \"1\" \"root\": {}}",
                                  "invalid JSON at line 1, column 25: ");
        assert_parse_error_prefix("", "invalid JSON at line 1, column 0: ");
        assert_parse_error_prefix("{} x", "invalid JSON at line 1, column 4: ");
        /* The big-integer rewrite must not shift the reported column. */
        assert_parse_error_prefix("{\"a\": [18446744073709551615, 18446744073709551614, x]}",
                                  "invalid JSON at line 1, column 52: ");
        assert_parse_error_prefix("{\"a\": [18446744073709551615,\n 1, x]}",
                                  "invalid JSON at line 2, column 5: ");
        /* A number is never a key, however big. */
        assert_parse_error_prefix("{18446744073709551615: 1}", "invalid JSON at line 1, column ");
        assert_parse_error_prefix("{\"a\": 1, 18446744073709551615 : 2}",
                                  "invalid JSON at line 1, column ");
        assert_parse_error_prefix("{\"a\": 018446744073709551615}", "invalid JSON at line 1, ");
        assert_parse_error("{\"ociVersion\": \"1\\u0000\"}",
                           "invalid JSON at line 1, column 18: \\u0000 is not allowed in strings");
        assert_parse_error("{\n  \"a\": [\"\\\\u0000\",\n    \"\\u0000\"]}",
                           "invalid JSON at line 3, column 6: \\u0000 is not allowed in strings");
        assert_parse_error_prefix("{\"ociVersion\": \"\xff\"}", "invalid JSON at line 1, ");
}

/* Not NUL-terminated input: only len bytes are read. */
static void test_length_bounded(void **state)
{
        const char json[] = "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}}garbage";
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_(spec_freep) Grpc__Spec *s = NULL;

        (void) state;
        assert_int_equal(spec_from_json(json, strlen(json) - 7, &s, &err), 0);
        assert_string_equal(s->root->path, "r");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_runc_default),
                cmocka_unit_test(test_round_trip_files),
                cmocka_unit_test(test_to_json_text),
                cmocka_unit_test(test_to_json_zeros),
                cmocka_unit_test(test_unpacked_spec),
                cmocka_unit_test(test_free_unpacked),
                cmocka_unit_test(test_to_json_invalid_utf8),
                cmocka_unit_test(test_process_optional),
                cmocka_unit_test(test_maps),
                cmocka_unit_test(test_errno_ret_oneof),
                cmocka_unit_test(test_wrong_types),
                cmocka_unit_test(test_numbers_out_of_range),
                cmocka_unit_test(test_required),
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_length_bounded),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
