/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cata-runtime where runc's and crun's own test suites found it lacking (see
 * docs/conformance.md): each test here is the regression test of one such fix, driven through
 * the command line like test-runtime.c.
 */
#include "containers.h"
#include "runtime-cli.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *read_text(const char *path)
{
        char *text = slurp(path);
        size_t n = strlen(text);

        while (n > 0 && text[n - 1] == '\n')
                text[--n] = '\0';
        return text;
}

/* ---- host protection ---- */

/* A net.* sysctl without a network namespace of the container's own would be written into the
 * host's: refused (the agent allows it: a pod shares the VM's namespace by design). */
static void test_sysctl_net_needs_netns(void **state)
{
        static const char key[] = "/proc/sys/net/ipv4/ping_group_range";
        _cleanup_free_ char *before = read_text(key), *after = NULL;
        _cleanup_free_ char *sysctl =
                xstrdup(",\"sysctl\":{\"net.ipv4.ping_group_range\":\"0 0\"}");
        _cleanup_free_ char *hostns =
                xasprintf("%s,\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\",\"path\":"
                          "\"/proc/%d/ns/net\"}]",
                          sysctl, (int) getpid());
        _cleanup_free_ char *ownns = xasprintf(
                "%s,\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\"}]", sysctl);
        _cleanup_free_ char *c1 = ct_spec("rt-sysctl1", "[\"true\"]", NULL, sysctl, NULL);
        _cleanup_free_ char *c2 = ct_spec("rt-sysctl2", "[\"true\"]", NULL, hostns, NULL);
        _cleanup_free_ char *c3 =
                ct_spec("rt-sysctl3", "[\"cat\",\"/proc/sys/net/ipv4/ping_group_range\"]", NULL,
                        ownns, NULL);
        _cleanup_free_ char *d1 = bundle("rt-sysctl1", c1), *d2 = bundle("rt-sysctl2", c2);
        _cleanup_free_ char *d3 = bundle("rt-sysctl3", c3);
        struct result r;

        (void) state;
        assert_string_not_equal(before, "0\t0");
        expect_create_error(d1, "rt-sysctl1",
                            "`net.ipv4.ping_group_range` needs a network "
                            "namespace of the container's own");
        /* Joining the caller's own namespace by path is no isolation either. */
        expect_create_error(d2, "rt-sysctl2", "`net.ipv4.ping_group_range` needs a network");
        after = read_text(key);
        assert_string_equal(before, after);
        /* With a new one it is applied there, and the host keeps its value. */
        r = rt("run --bundle %s rt-sysctl3", d3);
        assert_int_equal(r.code, 0);
        assert_string_equal(r.out, "0\t0\n");
        result_done(&r);
        free(after);
        after = read_text(key);
        assert_string_equal(before, after);
        reap();
}

/* create/run into a cgroup someone froze must fail at once, leaving that cgroup alone (the
 * child would stop on joining it and the command would wait for it forever). */
static void test_frozen_cgroup_refused(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-frozen", "true", NULL);
        _cleanup_free_ char *parent = xasprintf("/sys/fs/cgroup/freezer/%s", ct_cgroup_parent());
        _cleanup_free_ char *fz = xasprintf("%s/rt-frozen", parent);
        _cleanup_free_ char *fz_state = xasprintf("%s/freezer.state", fz);
        FILE *f;

        (void) state;
        if (access("/sys/fs/cgroup/freezer", F_OK) != 0)
                skip();
        (void) mkdir(parent, 0755);
        assert_int_equal(mkdir(fz, 0755), 0);
        f = fopen(fz_state, "w");
        assert_non_null(f);
        fputs("FROZEN", f);
        assert_int_equal(fclose(f), 0);

        for (int i = 0; i < 2; i++) {
                struct result r = i ? rt("create --bundle %s rt-frozen", dir)
                                    : rt("run -d --bundle %s rt-frozen", dir);

                assert_int_equal(r.code, 1);
                if (!strstr(r.err, "container's cgroup unexpectedly frozen"))
                        fail_msg("unexpected error: %s", r.err);
                result_done(&r);
                assert_false(path_exists("%s/rt-frozen", root));
        }
        /* Left as it was: still there, still frozen, so it can be removed by its owner. */
        assert_true(path_exists("%s", fz_state));
        assert_int_equal(rmdir(fz), 0);
        reap();
}

/* ---- console ---- */

/* A terminal without --console-socket: a foreground run or exec gets a pty that the runtime
 * relays to its own stdio (as runc and crun do); create and detached ones still need a socket. */
static void test_terminal_without_socket(void **state)
{
        _cleanup_free_ char *dir =
                sh_bundle("rt-tty-relay",
                          "[ -t 0 ] && [ -t 1 ] && echo on-a-tty; echo done >&2; exit 3", NULL);
        _cleanup_free_ char *cfg = xasprintf("%s/config.json", dir);
        _cleanup_free_ char *text = slurp(cfg), *edited = NULL;
        char *at = strstr(text, "\"args\"");
        struct result r;
        FILE *f;

        (void) state;
        assert_non_null(at);
        edited = xasprintf("%.*s\"terminal\":true,%s", (int) (at - text), text, at);
        f = fopen(cfg, "w");
        assert_non_null(f);
        fputs(edited, f);
        assert_int_equal(fclose(f), 0);

        r = rt("run --bundle %s rt-tty-relay", dir);
        assert_int_equal(r.code, 3);
        /* Both streams went through the pty (ONLCR: CR LF), to the runtime's stdout. */
        assert_non_null(strstr(r.out, "on-a-tty\r\n"));
        assert_non_null(strstr(r.out, "done\r\n"));
        result_done(&r);
        assert_gone("rt-tty-relay");

        r = rt("run -d --bundle %s rt-tty-relay", dir);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "--console-socket is required"));
        result_done(&r);
        assert_gone("rt-tty-relay");

        /* exec -t without a socket, in a container without a terminal. */
        free(edited);
        edited = xasprintf("%s", text);
        at = strstr(edited, "[ -t 0 ]");
        assert_non_null(at);
        f = fopen(cfg, "w");
        fprintf(f, "%.*ssleep 1000\"]%s", (int) (at - edited), edited, strstr(at, "\"]") + 2);
        assert_int_equal(fclose(f), 0);
        rt_ok("run -d --bundle %s rt-tty-relay", dir);
        r = rt("exec -t rt-tty-relay sh -c '[ -t 0 ] && echo exec-tty; exit 5'");
        assert_int_equal(r.code, 5);
        assert_non_null(strstr(r.out, "exec-tty\r\n"));
        result_done(&r);
        rt_ok("delete -f rt-tty-relay");
        assert_gone("rt-tty-relay");
        reap();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sysctl_net_needs_netns),
                cmocka_unit_test(test_frozen_cgroup_refused),
                cmocka_unit_test(test_terminal_without_socket),
        };
        return cmocka_run_group_tests(tests, rtc_setup, rtc_teardown);
}
