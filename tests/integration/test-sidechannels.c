/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Everything around the RPC socket: configuration from the kernel command line and the
 * environment, the log stream (agent.log_vport, here on a unix address), the debug console, a
 * serial-port transport (a pty stands in for a virtio-serial port), abstract unix sockets.
 */
#include "harness.h"

#include "../unit/cm.h"

#include "base/util.h"
#include "ttrpc/address.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads from fd until `needle` was seen or wait_ms passed; returns what was read. */
static char *read_until(int fd, const char *needle, int wait_ms)
{
        size_t cap = 1 << 16, len = 0;
        char *buf = xzalloc(cap + 1);
        uint64_t end = now_ns() + (uint64_t) wait_ms * 1000000ull;

        while (now_ns() < end && !strstr(buf, needle)) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                if (poll(&p, 1, 50) <= 0)
                        continue;
                n = read(fd, buf + len, cap - len);
                if (n <= 0)
                        break;
                len += (size_t) n;
                buf[len] = '\0';
                if (len == cap)
                        break;
        }
        return buf;
}

static int connect_addr(const char *addr)
{
        struct address a;
        int fd = -1;

        assert_int_equal(address_parse(addr, &a), 0);
        for (int i = 0; i < 300 && fd < 0; i++) {
                fd = address_connect(&a);
                if (fd < 0)
                        usleep(10000);
        }
        assert_true(fd >= 0);
        return fd;
}

static void test_invalid_options_warn_and_serve(void **state)
{
        struct agent_proc a;
        struct ttrpc_client *c;
        static const char *const opts[] = { "agent.log", "agent.hotplug_timeout",
                                            "agent.container_pipe_size", "agent.log_vport",
                                            "agent.debug_console_vport" };

        (void) state;
        agent_proc_start(&a,
                         "quiet agent.log=verbose agent.hotplug_timeout=abc "
                         "agent.container_pipe_size=-1 agent.log_vport=x "
                         "agent.debug_console_vport=-3 agent.server_addr=",
                         NULL, NULL);
        c = agent_connect(&a);
        assert_check_ok(c);
        ttrpc_client_free(c);
        for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
                char needle[96];
                snprintf(needle, sizeof(needle), "\"option\":\"%s\"", opts[i]);
                if (!agent_log_contains(&a, needle, 2000))
                        fail_msg("no warning naming `%s`", opts[i]);
        }
        assert_true(agent_log_contains(&a, "\"level\":\"WARN\"", 0));
        agent_proc_stop(&a);
}

static void test_log_level_from_cmdline(void **state)
{
        struct agent_proc a;
        struct ttrpc_client *c;

        (void) state;
        agent_proc_start(&a, "agent.log=debug", NULL, NULL);
        c = agent_connect(&a);
        assert_check_ok(c);
        ttrpc_client_free(c);
        assert_true(agent_log_contains(&a, "\"level\":\"DEBG\"", 2000));
        agent_proc_stop(&a);

        agent_proc_start(&a, "agent.log=error", NULL, NULL);
        c = agent_connect(&a);
        assert_check_ok(c);
        ttrpc_client_free(c);
        assert_false(agent_log_contains(&a, "\"level\":\"INFO\"", 300));
        assert_false(agent_log_contains(&a, "\"level\":\"DEBG\"", 0));
        agent_proc_stop(&a);
}

static void test_env_server_addr(void **state)
{
        struct agent_proc a;
        char env_addr[160], env_kv[192];
        const char *env[] = { env_kv, NULL };
        struct ttrpc_client *c = NULL;

        (void) state;
        /* The address comes from KATA_AGENT_SERVER_ADDR, overriding agent.server_addr. */
        snprintf(env_addr, sizeof(env_addr), "unix://@cata-env-test-%d", (int) getpid());
        snprintf(env_kv, sizeof(env_kv), "KATA_AGENT_SERVER_ADDR=%s", env_addr);
        agent_proc_spawn(&a, "agent.server_addr=vsock://-1:1024", NULL, env, false);
        agent_proc_wait_ready(&a, env_addr);
        assert_int_equal(ttrpc_client_connect(env_addr, &c), 0);
        assert_check_ok(c);
        ttrpc_client_free(c);
        agent_proc_stop(&a);
}

static void test_print_config(void **state)
{
        const char *bin = getenv("CATA_AGENT_BIN");
        char cmd[512], path[] = "/tmp/cata-cmdline-XXXXXX";
        int fd = mkstemp(path);
        FILE *p;
        char out[8192] = "";
        size_t n;

        (void) state;
        assert_true(fd >= 0);
        dprintf(fd, "agent.log=debug agent.container_pipe_size=1048576 agent.hotplug_timeout=10s "
                    "agent.debug_console agent.unified_cgroup_hierarchy=true\n");
        close(fd);
        snprintf(cmd, sizeof(cmd), "%s --cmdline %s --print-config", bin, path);
        p = popen(cmd, "r");
        assert_non_null(p);
        n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = '\0';
        assert_int_equal(pclose(p), 0);
        unlink(path);
        assert_non_null(strstr(out, "\"container_pipe_size\":1048576"));
        assert_non_null(strstr(out, "\"debug_console\":true"));
        assert_non_null(strstr(out, "\"unified_cgroup_hierarchy\":true"));
        assert_non_null(strstr(out, "10000000000"));
        assert_non_null(strstr(out, "\"log_level\":\"debug\""));
}

/* agent.log_vport semantics on a unix address: lines logged before the host connects are kept
 * and delivered, then new lines stream live. */
static void test_log_stream(void **state)
{
        struct agent_proc a;
        char log_addr[160], *got;
        const char *args[] = { "--log-addr", log_addr, "--log-level", "debug", NULL };
        struct ttrpc_client *c;
        int fd;

        (void) state;
        snprintf(log_addr, sizeof(log_addr), "unix://@cata-log-test-%d", (int) getpid());
        agent_proc_start(&a, "", args, NULL);
        fd = connect_addr(log_addr);
        got = read_until(fd, "listening on", 3000);
        assert_non_null(strstr(got, "\"msg\":\"cata-agent listening on"));
        assert_non_null(strstr(got, "\"source\":\"agent\""));
        free(got);
        c = agent_connect(&a);
        assert_check_ok(c);
        ttrpc_client_free(c);
        got = read_until(fd, "grpc.Health/Check", 3000);
        assert_non_null(strstr(got, "\"method\":\"grpc.Health/Check\""));
        free(got);
        close(fd);
        /* The host going away never disturbs the agent. */
        c = agent_connect(&a);
        assert_check_ok(c);
        ttrpc_client_free(c);
        agent_proc_stop(&a);
}

static void test_debug_console(void **state)
{
        struct agent_proc a;
        char console_addr[160], *got;
        const char *args[] = { "--console-addr", console_addr, NULL };
        static const char cmd[] = "echo cata-$((40+2)); exit\n";
        int fd;

        (void) state;
        snprintf(console_addr, sizeof(console_addr), "unix://@cata-console-test-%d",
                 (int) getpid());
        agent_proc_start(&a, "agent.debug_console", args, NULL);
        fd = connect_addr(console_addr);
        assert_int_equal(write(fd, cmd, sizeof(cmd) - 1), (ssize_t) sizeof(cmd) - 1);
        got = read_until(fd, "cata-42", 5000);
        if (!strstr(got, "cata-42"))
                fail_msg("console output: %s", got);
        free(got);
        close(fd);
        agent_proc_stop(&a);
}

/* A serial port that does not exist yet at start (its driver still loading, as in a VM) is
 * waited for, not given up on. */
static void test_serial_port_appears_later(void **state)
{
        struct agent_proc a;
        char addr[160], link[128];
        struct ttrpc_client *c;
        int master;

        (void) state;
        snprintf(link, sizeof(link), "/tmp/cata-late-port-%d", (int) getpid());
        (void) unlink(link);
        snprintf(addr, sizeof(addr), "serial://%s", link);
        const char *args[] = { "--addr", addr, "--log-level", "debug", NULL };
        agent_proc_spawn(&a, "", args, NULL, false);
        assert_true(agent_log_contains(&a, "not there yet", 5000));
        usleep(300000);
        agent_proc_assert_alive(&a);
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(master >= 0);
        assert_int_equal(grantpt(master), 0);
        assert_int_equal(unlockpt(master), 0);
        assert_int_equal(symlink(ptsname(master), link), 0);
        /* Talk only once the agent opened it (and made the tty raw): bytes written before
         * would meet the line discipline's canonical mode. */
        assert_true(agent_log_contains(&a, "connection accepted", 5000));
        c = ttrpc_client_new_fd(master);
        assert_check_ok(c);
        ttrpc_client_free(c);
        unlink(link);
        agent_proc_stop(&a);
}

/* The default and a cmdline-chosen vsock address bind (vsock loopback does not work on the test
 * machines, so no call goes through; the listener itself is real). */
static void test_vsock_listen(void **state)
{
        const char *bin = getenv("CATA_AGENT_BIN");
        struct agent_proc a;
        char cmdline[96], needle[96], cmd[256];
        unsigned port = 20000 + (unsigned) getpid() % 20000;
        FILE *p;
        char out[4096] = "";
        size_t n;

        (void) state;
        snprintf(cmd, sizeof(cmd), "%s --cmdline /dev/null --print-config", bin);
        p = popen(cmd, "r");
        assert_non_null(p);
        n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = '\0';
        assert_int_equal(pclose(p), 0);
        assert_non_null(strstr(out, "\"server_addr\":\"vsock://-1:1024\""));

        snprintf(cmdline, sizeof(cmdline), "agent.server_addr=vsock://-1:%u", port);
        snprintf(needle, sizeof(needle), "listening on `vsock://-1:%u`", port);
        agent_proc_spawn(&a, cmdline, NULL, NULL, false);
        if (!agent_log_contains(&a, needle, 5000)) {
                char *log = agent_proc_log(&a);
                fail_msg("agent log: %s", log);
        }
        agent_proc_stop(&a);
}

/* A pty stands in for a virtio-serial port: one long-lived byte stream with no accept(). */
static void test_serial_port(void **state)
{
        struct agent_proc a;
        char addr[160];
        struct ttrpc_client *c;
        int master;

        (void) state;
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        assert_true(master >= 0);
        assert_int_equal(grantpt(master), 0);
        assert_int_equal(unlockpt(master), 0);
        snprintf(addr, sizeof(addr), "serial://%s", ptsname(master));
        const char *args[] = { "--addr", addr, NULL };
        agent_proc_spawn(&a, "", args, NULL, false);
        assert_true(agent_log_contains(&a, "listening on `serial://", 5000));
        c = ttrpc_client_new_fd(master);
        for (int i = 0; i < 20; i++)
                assert_check_ok(c);
        ttrpc_client_free(c);
        agent_proc_stop(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_invalid_options_warn_and_serve),
                cmocka_unit_test(test_log_level_from_cmdline),
                cmocka_unit_test(test_env_server_addr),
                cmocka_unit_test(test_print_config),
                cmocka_unit_test(test_log_stream),
                cmocka_unit_test(test_debug_console),
                cmocka_unit_test(test_serial_port),
                cmocka_unit_test(test_serial_port_appears_later),
                cmocka_unit_test(test_vsock_listen),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
