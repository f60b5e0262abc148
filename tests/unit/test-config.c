/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "base/log.h"
#include "base/util.h"

#define NS(s) ((uint64_t) (s) *UINT64_C(1000000000))

/* environ-style arrays hold char *; the parser never writes through them. */
#define E(s) ((char *) (s))

/* ---- log capture ---- */

static char captured[1 << 20];
static size_t captured_len;
static unsigned captured_lines;

static void capture_sink(const char *line, size_t len, void *userdata)
{
        (void) userdata;
        captured_lines++;
        if (captured_len + len >= sizeof(captured))
                return;
        memcpy(captured + captured_len, line, len);
        captured_len += len;
        captured[captured_len] = '\0';
}

static int setup(void **state)
{
        (void) state;
        captured_len = 0;
        captured_lines = 0;
        captured[0] = '\0';
        log_set_level(LOG_LEVEL_INFO);
        log_set_sink(capture_sink, NULL);
        return 0;
}

static void clear_log(void)
{
        setup(NULL);
}

static bool logged(const char *needle)
{
        return strstr(captured, needle) != NULL;
}

/* A warning names the option and the value, both in the message and as key/value pairs. */
static void assert_warned(const char *option, const char *value)
{
        char buf[1024];

        snprintf(buf, sizeof(buf), "invalid value `%s` for `%s`, keeping", value, option);
        if (!logged(buf))
                fail_msg("no warning `%s` in:\n%s", buf, captured);
        snprintf(buf, sizeof(buf), "\"option\":\"%s\"", option);
        assert_true(logged(buf));
        snprintf(buf, sizeof(buf), "\"value\":\"%s\"", value);
        assert_true(logged(buf));
        assert_true(logged("\"level\":\"WARN\""));
        assert_true(logged("\"subsystem\":\"config\""));
}

static void assert_quiet(void)
{
        if (captured_len != 0)
                fail_msg("unexpected log output:\n%s", captured);
}

/* Fresh defaults, then one command line. */
static void parse(struct agent_config *c, const char *cmdline)
{
        agent_config_init(c);
        agent_config_parse_cmdline(c, cmdline);
}

/* ---- defaults, empty input ---- */

static void assert_defaults(const struct agent_config *c)
{
        assert_int_equal(c->log_level, LOG_LEVEL_INFO);
        assert_int_equal(c->log_vport, 0);
        assert_false(c->dev_mode);
        assert_false(c->trace);
        assert_false(c->debug_console);
        assert_int_equal(c->debug_console_vport, 0);
        assert_int_equal(c->hotplug_timeout_ns, AGENT_DEFAULT_HOTPLUG_TIMEOUT);
        assert_false(c->unified_cgroup_hierarchy);
        assert_int_equal(c->container_pipe_size, AGENT_DEFAULT_PIPE_SIZE);
        assert_int_equal(c->stdio_buffer_size, AGENT_DEFAULT_STDIO_BUFFER);
        assert_string_equal(c->server_addr, AGENT_DEFAULT_SERVER_ADDR);
        assert_int_equal(c->passfd_listener_port, 0);
        assert_null(c->config_file);
        assert_int_equal(c->cdh_api_timeout_s, 50);
        assert_int_equal(c->image_pull_timeout_s, 1200);
        assert_int_equal(c->cdi_timeout_s, 100);
        assert_int_equal(c->launch_process_timeout_s, 6);
}

static void test_defaults(void **state)
{
        struct agent_config c;

        (void) state;
        agent_config_init(&c);
        assert_defaults(&c);
        assert_int_equal(AGENT_DEFAULT_HOTPLUG_TIMEOUT, NS(3));
        agent_config_done(&c);
        assert_null(c.server_addr);
        agent_config_done(&c); /* idempotent */
        assert_quiet();
}

static void test_empty(void **state)
{
        static const char *const inputs[] = { "", " ", "\t\n\v\f\r ", "\n" };
        struct agent_config c;

        (void) state;
        for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
                parse(&c, inputs[i]);
                assert_defaults(&c);
                agent_config_done(&c);
        }
        agent_config_init(&c);
        agent_config_parse_cmdline(&c, NULL);
        assert_defaults(&c);
        agent_config_done(&c);
        assert_quiet();
}

static void test_realistic(void **state)
{
        struct agent_config c;

        (void) state;
        parse(&c, "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 "
                  "noreplace-smp reboot=k cryptomgr.notests net.ifnames=0 pci=lastbus=0 "
                  "root=/dev/vda1 rootflags=data=ordered,errors=remount-ro ro rootfstype=ext4 "
                  "console=hvc0 console=hvc1 quiet systemd.show_status=false panic=1 "
                  "nr_cpus=4 selinux=0 systemd.unit=kata-containers.target "
                  "systemd.mask=systemd-networkd.service scsi_mod.scan=none agent.log=debug "
                  "agent.debug_console agent.debug_console_vport=1026 agent.log_vport=1025 "
                  "agent.trace=true agent.container_pipe_size=1048576 "
                  "agent.hotplug_timeout=10s agent.passfd_listener_port=1027 "
                  "systemd.unified_cgroup_hierarchy=1\n");
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_true(c.debug_console);
        assert_int_equal(c.debug_console_vport, 1026);
        assert_int_equal(c.log_vport, 1025);
        assert_true(c.trace);
        assert_int_equal(c.container_pipe_size, 1048576);
        assert_int_equal(c.hotplug_timeout_ns, NS(10));
        assert_int_equal(c.passfd_listener_port, 1027);
        assert_true(c.unified_cgroup_hierarchy);
        assert_false(c.dev_mode);
        assert_string_equal(c.server_addr, AGENT_DEFAULT_SERVER_ADDR);
        agent_config_done(&c);
        assert_quiet();
}

/* ---- agent.log ---- */

static void test_log_level(void **state)
{
        static const struct {
                const char *s;
                enum log_level level;
        } ok[] = {
                { "critical", LOG_LEVEL_CRITICAL }, { "fatal", LOG_LEVEL_CRITICAL },
                { "panic", LOG_LEVEL_CRITICAL },    { "error", LOG_LEVEL_ERROR },
                { "warn", LOG_LEVEL_WARN },         { "warning", LOG_LEVEL_WARN },
                { "info", LOG_LEVEL_INFO },         { "debug", LOG_LEVEL_DEBUG },
                { "trace", LOG_LEVEL_TRACE },       { "DEBUG", LOG_LEVEL_DEBUG },
                { "Warning", LOG_LEVEL_WARN },      { "PANIC", LOG_LEVEL_CRITICAL },
        };
        static const char *const bad[] = { "verbose", "debug2", "1", "in fo", "infoo" };
        struct agent_config c;
        char buf[64];

        (void) state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                snprintf(buf, sizeof(buf), "agent.log=%s", ok[i].s);
                parse(&c, buf);
                assert_int_equal(c.log_level, ok[i].level);
                agent_config_done(&c);
        }
        assert_quiet();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.log=%s", bad[i]);
                parse(&c, buf);
                assert_int_equal(c.log_level, LOG_LEVEL_INFO);
                if (!strchr(bad[i], ' '))
                        assert_warned("agent.log", bad[i]);
                agent_config_done(&c);
        }

        clear_log();
        parse(&c, "agent.log=verbose");
        assert_true(logged("invalid value `verbose` for `agent.log`, keeping default `info`"));
        agent_config_done(&c);

        /* Empty and missing values. */
        clear_log();
        parse(&c, "agent.log=");
        assert_int_equal(c.log_level, LOG_LEVEL_INFO);
        assert_warned("agent.log", "");
        agent_config_done(&c);
        clear_log();
        parse(&c, "agent.log");
        assert_int_equal(c.log_level, LOG_LEVEL_INFO);
        assert_warned("agent.log", "");
        agent_config_done(&c);

        /* An invalid value after a valid one keeps the valid one and says so. */
        clear_log();
        parse(&c, "agent.log=debug agent.log=loud");
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_true(logged("invalid value `loud` for `agent.log`, keeping `debug`"));
        agent_config_done(&c);
}

/* ---- vsock ports ---- */

static uint32_t *port_field(struct agent_config *c, const char *name)
{
        if (streq(name, "agent.log_vport"))
                return &c->log_vport;
        if (streq(name, "agent.debug_console_vport"))
                return &c->debug_console_vport;
        return &c->passfd_listener_port;
}

static void test_vports(void **state)
{
        static const char *const names[] = { "agent.log_vport", "agent.debug_console_vport",
                                             "agent.passfd_listener_port" };
        static const struct {
                const char *s;
                uint32_t v;
        } ok[] = { { "1", 1 }, { "1026", 1026 }, { "4294967295", UINT32_MAX }, { "007", 7 } };
        static const char *const bad[] = { "0",   "-1", "4294967296", "18446744073709551616",
                                           "abc", "",   "0x10",       "+5",
                                           "5.0", "1k", "-0" };
        struct agent_config c;
        char buf[128];

        (void) state;
        for (size_t n = 0; n < 3; n++) {
                for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                        snprintf(buf, sizeof(buf), "%s=%s", names[n], ok[i].s);
                        parse(&c, buf);
                        assert_int_equal(*port_field(&c, names[n]), ok[i].v);
                        agent_config_done(&c);
                }
                assert_quiet();
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        clear_log();
                        snprintf(buf, sizeof(buf), "%s=%s", names[n], bad[i]);
                        parse(&c, buf);
                        assert_int_equal(*port_field(&c, names[n]), 0);
                        assert_warned(names[n], bad[i]);
                        agent_config_done(&c);
                }
                clear_log();
                parse(&c, names[n]); /* bare */
                assert_int_equal(*port_field(&c, names[n]), 0);
                assert_warned(names[n], "");
                agent_config_done(&c);
                clear_log();
        }
}

/* ---- flags ---- */

static void test_flags(void **state)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", "5" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
        static const char *const bad[] = { "yes", "on", "-1", "", "2.0", "tru" };
        struct agent_config c;
        char buf[128];

        (void) state;
        parse(&c, "agent.devmode agent.debug_console");
        assert_true(c.dev_mode);
        assert_true(c.debug_console);
        agent_config_done(&c);

        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                snprintf(buf, sizeof(buf), "agent.devmode=%s agent.debug_console=%s", yes[i],
                         yes[i]);
                parse(&c, buf);
                assert_true(c.dev_mode);
                assert_true(c.debug_console);
                agent_config_done(&c);
        }
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
                snprintf(buf, sizeof(buf),
                         "agent.devmode agent.debug_console agent.devmode=%s "
                         "agent.debug_console=%s",
                         no[i], no[i]);
                parse(&c, buf);
                assert_false(c.dev_mode);
                assert_false(c.debug_console);
                agent_config_done(&c);
        }
        assert_quiet();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.devmode=%s", bad[i]);
                parse(&c, buf);
                assert_false(c.dev_mode);
                assert_warned("agent.devmode", bad[i]);
                agent_config_done(&c);

                clear_log();
                snprintf(buf, sizeof(buf), "agent.debug_console agent.debug_console=%s", bad[i]);
                parse(&c, buf);
                assert_true(c.debug_console); /* the earlier bare flag stays */
                assert_warned("agent.debug_console", bad[i]);
                assert_true(logged("keeping `true`"));
                agent_config_done(&c);
        }

        /* Exact key match: a longer word is a different (unsupported) option. */
        clear_log();
        parse(&c, "agent.devmodeX agent.debug_consoles");
        assert_false(c.dev_mode);
        assert_false(c.debug_console);
        assert_quiet();
        agent_config_done(&c);
}

/* ---- agent.trace ---- */

static void test_trace(void **state)
{
        static const char *const on[] = { "agent.trace",          "agent.trace=true",
                                          "agent.trace=1",        "agent.trace=42",
                                          "agent.trace=isolated", "agent.trace=collated",
                                          "agent.trace=T" };
        static const char *const bad[] = { "static", "yes", "-1", "", "Isolated" };
        struct agent_config c;
        char buf[128];

        (void) state;
        for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
                parse(&c, on[i]);
                assert_true(c.trace);
                agent_config_done(&c);
        }
        parse(&c, "agent.trace agent.trace=false");
        assert_false(c.trace);
        agent_config_done(&c);
        parse(&c, "agent.trace=1 agent.trace=0");
        assert_false(c.trace);
        agent_config_done(&c);
        assert_quiet();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.trace=%s", bad[i]);
                parse(&c, buf);
                assert_false(c.trace);
                assert_warned("agent.trace", bad[i]);
                agent_config_done(&c);
        }
}

/* ---- agent.hotplug_timeout and durations ---- */

static void test_duration_parser(void **state)
{
        static const struct {
                const char *s;
                uint64_t ns;
        } ok[] = {
                { "10s", NS(10) },
                { "100ms", 100000000 },
                { "1m30s", NS(90) },
                { "1.5s", 1500000000 },
                { "10", NS(10) },
                { "1", NS(1) },
                { "3h", NS(3 * 3600) },
                { "1h1m1s", NS(3661) },
                { "250us", 250000 },
                { "250\xc2\xb5s", 250000 },
                { "250\xce\xbcs", 250000 },
                { "7ns", 7 },
                { ".5s", 500000000 },
                { "1.s", NS(1) },
                { "+2s", NS(2) },
                { "0.001s", 1000000 },
                { "1.000000000001s", NS(1) },
                { "2562047h", NS(2562047ull * 3600) },
                { "9223372036", NS(9223372036ull) },
        };
        static const char *const bad[] = {
                "",         "0",          "0s",          "-1",
                "-1s",      "-0",         "5.0",         "1.5",
                "s",        ".",          ".s",          "10x",
                "1sm",      "1m30",       "1S",          "1.5.s",
                " 1s",      "1s ",        "abc",         "+",
                "-",        "1e3s",       "0x10",        "9223372036854775808ns",
                "2562048h", "9223372037", "18446744073", "99999999999999999999s",
                "1..5s",
        };
        uint64_t ns;

        (void) state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                ns = 0;
                if (agent_config_parse_duration(ok[i].s, &ns) != 0)
                        fail_msg("`%s` rejected", ok[i].s);
                assert_int_equal(ns, ok[i].ns);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ns = 12345;
                if (agent_config_parse_duration(bad[i], &ns) != -EINVAL)
                        fail_msg("`%s` accepted", bad[i]);
                assert_int_equal(ns, 12345); /* untouched on failure */
        }
        assert_int_equal(agent_config_parse_duration(NULL, &ns), -EINVAL);
}

static void test_hotplug_timeout(void **state)
{
        static const char *const bad[] = { "0", "-1", "5.0", "foobar", "", "0s", "-3s", "10x" };
        struct agent_config c;
        char buf[128];

        (void) state;
        parse(&c, "agent.hotplug_timeout=10s");
        assert_int_equal(c.hotplug_timeout_ns, NS(10));
        agent_config_done(&c);
        parse(&c, "agent.hotplug_timeout=100ms");
        assert_int_equal(c.hotplug_timeout_ns, 100000000);
        agent_config_done(&c);
        parse(&c, "agent.hotplug_timeout=1m30s");
        assert_int_equal(c.hotplug_timeout_ns, NS(90));
        agent_config_done(&c);
        parse(&c, "agent.hotplug_timeout=1.5s");
        assert_int_equal(c.hotplug_timeout_ns, 1500000000);
        agent_config_done(&c);
        parse(&c, "agent.hotplug_timeout=10");
        assert_int_equal(c.hotplug_timeout_ns, NS(10));
        agent_config_done(&c);
        assert_quiet();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.hotplug_timeout=%s", bad[i]);
                parse(&c, buf);
                assert_int_equal(c.hotplug_timeout_ns, AGENT_DEFAULT_HOTPLUG_TIMEOUT);
                assert_warned("agent.hotplug_timeout", bad[i]);
                assert_true(logged("keeping default `3s`"));
                agent_config_done(&c);
        }
        clear_log();
        parse(&c, "agent.hotplug_timeout=100ms agent.hotplug_timeout=0");
        assert_int_equal(c.hotplug_timeout_ns, 100000000);
        assert_true(logged("keeping `100ms`"));
        agent_config_done(&c);
}

/* ---- cgroup hierarchy ---- */

static void test_unified_cgroup(void **state)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
        static const char *const bad[] = { "yes", "2", "on", "", "tRUE" };
        struct agent_config c;
        char buf[128];

        (void) state;
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                snprintf(buf, sizeof(buf), "agent.unified_cgroup_hierarchy=%s", yes[i]);
                parse(&c, buf);
                assert_true(c.unified_cgroup_hierarchy);
                agent_config_done(&c);
                snprintf(buf, sizeof(buf),
                         "agent.unified_cgroup_hierarchy=1 "
                         "agent.unified_cgroup_hierarchy=%s",
                         no[i]);
                parse(&c, buf);
                assert_false(c.unified_cgroup_hierarchy);
                agent_config_done(&c);
        }
        assert_quiet();
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.unified_cgroup_hierarchy=%s", bad[i]);
                parse(&c, buf);
                assert_false(c.unified_cgroup_hierarchy);
                assert_warned("agent.unified_cgroup_hierarchy", bad[i]);
                agent_config_done(&c);
        }

        /* systemd's option: booleans and integers, bare means true. */
        clear_log();
        parse(&c, "systemd.unified_cgroup_hierarchy=1");
        assert_true(c.unified_cgroup_hierarchy);
        agent_config_done(&c);
        parse(&c, "systemd.unified_cgroup_hierarchy=true");
        assert_true(c.unified_cgroup_hierarchy);
        agent_config_done(&c);
        parse(&c, "systemd.unified_cgroup_hierarchy");
        assert_true(c.unified_cgroup_hierarchy);
        agent_config_done(&c);
        parse(&c, "systemd.unified_cgroup_hierarchy=1 systemd.unified_cgroup_hierarchy=0");
        assert_false(c.unified_cgroup_hierarchy);
        agent_config_done(&c);
        assert_quiet();
        parse(&c, "systemd.unified_cgroup_hierarchy=maybe");
        assert_false(c.unified_cgroup_hierarchy);
        assert_warned("systemd.unified_cgroup_hierarchy", "maybe");
        agent_config_done(&c);

        /* cgroup_no_v1=all forces v2 whatever the order; other values are the kernel's. */
        clear_log();
        parse(&c, "cgroup_no_v1=all");
        assert_true(c.unified_cgroup_hierarchy);
        agent_config_done(&c);
        parse(&c, "cgroup_no_v1=all systemd.unified_cgroup_hierarchy=0");
        assert_true(c.unified_cgroup_hierarchy);
        agent_config_done(&c);
        parse(&c, "cgroup_no_v1=memory,blkio cgroup_no_v1= cgroup_no_v1 cgroup_no_v1=ALL");
        assert_false(c.unified_cgroup_hierarchy);
        agent_config_done(&c);
        assert_quiet();
}

/* ---- agent.container_pipe_size ---- */

static void test_pipe_size(void **state)
{
        static const char *const bad[] = { "-1", "2147483648", "foobar",     "5.0", "",
                                           "1M", "0x1000",     "4294967296", "-0" };
        struct agent_config c;
        char buf[128];

        (void) state;
        parse(&c, "agent.container_pipe_size=1048576");
        assert_int_equal(c.container_pipe_size, 1048576);
        agent_config_done(&c);
        parse(&c, "agent.container_pipe_size=2147483647");
        assert_int_equal(c.container_pipe_size, INT32_MAX);
        agent_config_done(&c);
        parse(&c, "agent.container_pipe_size=4096 agent.container_pipe_size=0");
        assert_int_equal(c.container_pipe_size, 0);
        agent_config_done(&c);
        assert_quiet();
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.container_pipe_size=%s", bad[i]);
                parse(&c, buf);
                assert_int_equal(c.container_pipe_size, AGENT_DEFAULT_PIPE_SIZE);
                assert_warned("agent.container_pipe_size", bad[i]);
                agent_config_done(&c);
        }
}

/* ---- agent.stdio_buffer_size ---- */

static void test_stdio_buffer_size(void **state)
{
        static const char *const bad[] = { "", "65535", "67108865", "-1", "1M", "abc" };
        struct agent_config c;
        char buf[128];

        (void) state;
        parse(&c, "agent.stdio_buffer_size=65536");
        assert_int_equal(c.stdio_buffer_size, 65536);
        agent_config_done(&c);
        parse(&c, "agent.stdio_buffer_size=67108864");
        assert_int_equal(c.stdio_buffer_size, 64u << 20);
        agent_config_done(&c);
        assert_quiet();
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.stdio_buffer_size=%s", bad[i]);
                parse(&c, buf);
                assert_int_equal(c.stdio_buffer_size, AGENT_DEFAULT_STDIO_BUFFER);
                assert_warned("agent.stdio_buffer_size", bad[i]);
                agent_config_done(&c);
        }
}

/* ---- agent.server_addr ---- */

static void test_server_addr(void **state)
{
        static const char *const ok[] = {
                "vsock://-1:1024",        "vsock://3:1024",
                "vsock://4294967295:1",   "vsock://0:0",
                "unix:///run/agent.sock", "unix://@kata-agent",
                "serial:///dev/vport0p1", "/dev/virtio-ports/agent.channel.0",
                "unix:///tmp/a=b",
        };
        static const char *const bad[] = {
                "",
                "tcp://1.2.3.4:1024",
                "vsock://",
                "vsock://-2:1024",
                "vsock://4294967296:1024",
                "vsock://3:4294967296",
                "vsock://x:1",
                "vsock://3",
                "unix://relative",
                "unix://",
                "unix://@",
                "serial://dev/x",
                "relative/path",
        };
        struct agent_config c;
        char buf[512];

        (void) state;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                snprintf(buf, sizeof(buf), "agent.server_addr=%s", ok[i]);
                parse(&c, buf);
                assert_string_equal(c.server_addr, ok[i]);
                agent_config_done(&c);
        }
        assert_quiet();
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                clear_log();
                snprintf(buf, sizeof(buf), "agent.server_addr=%s", bad[i]);
                parse(&c, buf);
                assert_string_equal(c.server_addr, AGENT_DEFAULT_SERVER_ADDR);
                assert_warned("agent.server_addr", bad[i]);
                assert_true(logged("keeping default `vsock://-1:1024`"));
                agent_config_done(&c);
        }
        clear_log();
        parse(&c, "agent.server_addr");
        assert_string_equal(c.server_addr, AGENT_DEFAULT_SERVER_ADDR);
        assert_warned("agent.server_addr", "");
        agent_config_done(&c);

        /* A unix path longer than sun_path cannot work. */
        clear_log();
        memset(buf, 'a', sizeof(buf));
        memcpy(buf, "agent.server_addr=unix:///", 26);
        buf[26 + 200] = '\0';
        parse(&c, buf);
        assert_string_equal(c.server_addr, AGENT_DEFAULT_SERVER_ADDR);
        assert_true(logged("for `agent.server_addr`"));
        agent_config_done(&c);

        clear_log();
        parse(&c, "agent.server_addr=unix:///a agent.server_addr=bogus");
        assert_string_equal(c.server_addr, "unix:///a");
        assert_true(logged("keeping `unix:///a`"));
        agent_config_done(&c);
}

/* ---- agent.config_file ---- */

static void test_config_file(void **state)
{
        struct agent_config c;

        (void) state;
        parse(&c, "agent.config_file=/etc/agent.toml agent.log=debug");
        assert_string_equal(c.config_file, "/etc/agent.toml");
        /* The parser only records the path: the file then replaces this configuration
         * (cata-agent's load_config; test-toml and test-guest cover it). */
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_false(logged("agent.config_file"));
        agent_config_done(&c);

        clear_log();
        parse(&c, "agent.config_file=/a agent.config_file=/b");
        assert_string_equal(c.config_file, "/b");
        agent_config_done(&c);

        clear_log();
        parse(&c, "agent.config_file=");
        assert_null(c.config_file);
        assert_warned("agent.config_file", "");
        agent_config_done(&c);
        clear_log();
        parse(&c, "agent.config_file");
        assert_null(c.config_file);
        assert_warned("agent.config_file", "");
        agent_config_done(&c);
}

/* ---- timeouts in seconds ---- */

static uint64_t *seconds_field(struct agent_config *c, size_t i)
{
        uint64_t *f[] = { &c->cdh_api_timeout_s, &c->image_pull_timeout_s, &c->cdi_timeout_s,
                          &c->launch_process_timeout_s };
        return f[i];
}

static void test_seconds(void **state)
{
        static const char *const names[] = { "agent.cdh_api_timeout", "agent.image_pull_timeout",
                                             "agent.cdi_timeout", "agent.launch_process_timeout" };
        static const uint64_t defs[] = { 50, 1200, 100, 6 };
        static const char *const bad[] = { "0", "-1",  "10s",         "1.5",
                                           "",  "abc", "18446744074", "99999999999999999999999" };
        struct agent_config c;
        char buf[128];

        (void) state;
        for (size_t n = 0; n < 4; n++) {
                snprintf(buf, sizeof(buf), "%s=1", names[n]);
                parse(&c, buf);
                assert_int_equal(*seconds_field(&c, n), 1);
                agent_config_done(&c);
                snprintf(buf, sizeof(buf), "%s=3600", names[n]);
                parse(&c, buf);
                assert_int_equal(*seconds_field(&c, n), 3600);
                agent_config_done(&c);
                snprintf(buf, sizeof(buf), "%s=18446744073", names[n]);
                parse(&c, buf);
                assert_int_equal(*seconds_field(&c, n), 18446744073ull);
                agent_config_done(&c);
                assert_quiet();
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        clear_log();
                        snprintf(buf, sizeof(buf), "%s=%s", names[n], bad[i]);
                        parse(&c, buf);
                        assert_int_equal(*seconds_field(&c, n), defs[n]);
                        assert_warned(names[n], bad[i]);
                        agent_config_done(&c);
                }
                clear_log();
        }
}

/* ---- combinations and hostile input ---- */

static void test_duplicates(void **state)
{
        struct agent_config c;

        (void) state;
        parse(&c, "agent.log=debug agent.log=error agent.log_vport=1 agent.log_vport=2 "
                  "agent.server_addr=vsock://3:1 agent.server_addr=unix:///x "
                  "agent.hotplug_timeout=1s agent.hotplug_timeout=5s agent.cdi_timeout=1 "
                  "agent.cdi_timeout=2 agent.container_pipe_size=1 agent.container_pipe_size=2");
        assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
        assert_int_equal(c.log_vport, 2);
        assert_string_equal(c.server_addr, "unix:///x");
        assert_int_equal(c.hotplug_timeout_ns, NS(5));
        assert_int_equal(c.cdi_timeout_s, 2);
        assert_int_equal(c.container_pipe_size, 2);
        agent_config_done(&c);
        assert_quiet();

        /* A second parse on the same config layers on top of the first. */
        agent_config_init(&c);
        agent_config_parse_cmdline(&c, "agent.log=debug agent.devmode");
        agent_config_parse_cmdline(&c, "agent.log=trace");
        assert_int_equal(c.log_level, LOG_LEVEL_TRACE);
        assert_true(c.dev_mode);
        agent_config_done(&c);
}

static void test_unknown(void **state)
{
        struct agent_config c;

        (void) state;
        parse(&c, "agent.bogus=1 agent.visible_cdi_devices=true agent.mem_agent_enable=1 agent. "
                  "agent foo=bar =x = == agent.LOG=debug AGENT.log=debug xagent.log=debug");
        assert_defaults(&c);
        agent_config_done(&c);
        assert_quiet(); /* debug lines are off at the default level */

        log_set_level(LOG_LEVEL_DEBUG);
        parse(&c, "agent.bogus=1 console=hvc0");
        assert_defaults(&c);
        assert_true(logged("option `agent.bogus` is not supported by cata, ignored"));
        assert_true(logged("\"level\":\"DEBG\""));
        assert_false(logged("console"));
        agent_config_done(&c);
}

static void test_garbage(void **state)
{
        struct agent_config c;

        (void) state;
        parse(&c, "\x01\x02 agent.log==debug \xff\xfe agent.log=\x7f agent.server_addr=unix:///a=b "
                  "agent.trace=\"1\" agent.log=\"debug\" \t\t agent.devmode\x01");
        assert_int_equal(c.log_level, LOG_LEVEL_INFO);
        assert_string_equal(c.server_addr, "unix:///a=b");
        assert_false(c.trace);
        assert_false(c.dev_mode);
        assert_true(logged("invalid value `=debug` for `agent.log`"));
        assert_true(logged("for `agent.trace`")); /* no quote removal, as in the Rust agent */
        agent_config_done(&c);

        /* Whitespace of every ASCII kind separates words. */
        clear_log();
        parse(&c, "agent.log=debug\tagent.devmode\nagent.trace\ragent.debug_console\v"
                  "agent.log_vport=9\fagent.cdi_timeout=7");
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_true(c.dev_mode);
        assert_true(c.trace);
        assert_true(c.debug_console);
        assert_int_equal(c.log_vport, 9);
        assert_int_equal(c.cdi_timeout_s, 7);
        assert_quiet();
        agent_config_done(&c);
}

static void test_long_words(void **state)
{
        const size_t n = 4u << 20;
        char *s = xmalloc(n + 64);
        struct agent_config c;

        (void) state;
        /* One 4 MiB invalid value: warned about, shown shortened. */
        strcpy(s, "agent.log=");
        memset(s + 10, 'x', n);
        s[10 + n] = '\0';
        parse(&c, s);
        assert_int_equal(c.log_level, LOG_LEVEL_INFO);
        assert_true(logged("for `agent.log`, keeping default `info`"));
        assert_true(logged("xxx...`"));
        assert_true(captured_len < 4096);
        agent_config_done(&c);

        /* One 4 MiB unknown word, and one 4 MiB word without '='. */
        clear_log();
        memcpy(s, "agent.xx", 8);
        parse(&c, s);
        assert_defaults(&c);
        agent_config_done(&c);
        memset(s, 'a', n);
        parse(&c, s);
        assert_defaults(&c);
        assert_quiet();
        agent_config_done(&c);

        /* Many invalid words: warnings are capped, then summarised once. */
        clear_log();
        s[0] = '\0';
        {
                char *p = s;
                for (size_t i = 0; i < 100000; i++)
                        p += sprintf(p, "agent.log=bad%zu ", i % 10);
                *p = '\0';
        }
        parse(&c, s);
        assert_int_equal(c.log_level, LOG_LEVEL_INFO);
        assert_int_equal(captured_lines, 64 + 1);
        assert_true(logged("100000 invalid values"));
        agent_config_done(&c);
        free(s);
}

/* ---- environment ---- */

static void test_env(void **state)
{
        char *env_ok[] = { E("PATH=/bin"), E("KATA_AGENT_SERVER_ADDR=unix:///run/a.sock"),
                           E("KATA_AGENT_LOG_LEVEL=trace"), E("KATA_AGENT_TRACING=true"), NULL };
        char *env_first[] = { E("KATA_AGENT_LOG_LEVEL=error"), E("KATA_AGENT_LOG_LEVEL=debug"),
                              E("KATA_AGENT_TRACING"), E("KATA_AGENT_TRACINGX=1"), NULL };
        char *env_bad[] = { E("KATA_AGENT_SERVER_ADDR=tcp://x"), E("KATA_AGENT_LOG_LEVEL=loud"),
                            E("KATA_AGENT_TRACING=maybe"), NULL };
        char *env_empty[] = { E("KATA_AGENT_SERVER_ADDR="), E("KATA_AGENT_LOG_LEVEL="),
                              E("KATA_AGENT_TRACING="), NULL };
        char *env_off[] = { E("KATA_AGENT_TRACING=0"), NULL };
        struct agent_config c;

        (void) state;
        /* Env overrides the command line. */
        parse(&c, "agent.server_addr=vsock://3:1024 agent.log=debug");
        agent_config_apply_env(&c, env_ok);
        assert_string_equal(c.server_addr, "unix:///run/a.sock");
        assert_int_equal(c.log_level, LOG_LEVEL_TRACE);
        assert_true(c.trace);
        agent_config_done(&c);
        assert_quiet();

        /* getenv() semantics: the first entry wins; entries without '=' are not matches. */
        parse(&c, "");
        agent_config_apply_env(&c, env_first);
        assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
        assert_false(c.trace);
        agent_config_done(&c);
        assert_quiet();

        parse(&c, "agent.trace");
        agent_config_apply_env(&c, env_off);
        assert_false(c.trace);
        agent_config_done(&c);

        /* Invalid env values warn and keep what the command line set. */
        parse(&c, "agent.server_addr=vsock://3:1024 agent.log=debug agent.trace");
        agent_config_apply_env(&c, env_bad);
        assert_string_equal(c.server_addr, "vsock://3:1024");
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_true(c.trace);
        assert_warned("KATA_AGENT_SERVER_ADDR", "tcp://x");
        assert_warned("KATA_AGENT_LOG_LEVEL", "loud");
        assert_warned("KATA_AGENT_TRACING", "maybe");
        assert_true(logged("keeping `debug`"));
        agent_config_done(&c);

        clear_log();
        parse(&c, "");
        agent_config_apply_env(&c, env_empty);
        assert_defaults(&c);
        assert_warned("KATA_AGENT_SERVER_ADDR", "");
        assert_warned("KATA_AGENT_LOG_LEVEL", "");
        assert_warned("KATA_AGENT_TRACING", "");
        agent_config_done(&c);

        clear_log();
        parse(&c, "");
        agent_config_apply_env(&c, NULL);
        assert_defaults(&c);
        agent_config_done(&c);
        assert_quiet();
}

/* ---- JSON ---- */

/* Just enough of a JSON validator for a flat object of scalars. */
static const char *json_skip_string(const char *p)
{
        if (*p++ != '"')
                return NULL;
        while (*p && *p != '"') {
                if ((unsigned char) *p < 0x20)
                        return NULL;
                if (*p == '\\') {
                        p++;
                        if (*p == 'u') {
                                for (int i = 1; i <= 4; i++)
                                        if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                                                return NULL;
                                p += 4;
                        } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                                return NULL;
                        }
                }
                p++;
        }
        return *p == '"' ? p + 1 : NULL;
}

static const char *json_skip_scalar(const char *p)
{
        if (*p == '"')
                return json_skip_string(p);
        if (startswith(p, "true"))
                return p + 4;
        if (startswith(p, "false"))
                return p + 5;
        if (startswith(p, "null"))
                return p + 4;
        if (*p < '0' || *p > '9')
                return NULL;
        while (*p >= '0' && *p <= '9')
                p++;
        return p;
}

static bool json_flat_object_ok(const char *p)
{
        if (*p++ != '{')
                return false;
        for (;;) {
                if (!(p = json_skip_string(p)) || *p++ != ':')
                        return false;
                if (!(p = json_skip_scalar(p)))
                        return false;
                if (*p == '}')
                        return p[1] == '\0';
                if (*p++ != ',')
                        return false;
        }
}

static void test_json(void **state)
{
        static const char *const keys[] = {
                "\"log_level\":",
                "\"log_vport\":",
                "\"dev_mode\":",
                "\"trace\":",
                "\"debug_console\":",
                "\"debug_console_vport\":",
                "\"hotplug_timeout_ns\":",
                "\"unified_cgroup_hierarchy\":",
                "\"container_pipe_size\":",
                "\"server_addr\":",
                "\"passfd_listener_port\":",
                "\"config_file\":",
                "\"cdh_api_timeout_s\":",
                "\"image_pull_timeout_s\":",
                "\"cdi_timeout_s\":",
                "\"launch_process_timeout_s\":",
        };
        struct agent_config c;
        char *j;

        (void) state;
        agent_config_init(&c);
        j = agent_config_to_json(&c);
        assert_true(json_flat_object_ok(j));
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                assert_non_null(strstr(j, keys[i]));
        assert_non_null(strstr(j, "\"log_level\":\"info\""));
        assert_non_null(strstr(j, "\"server_addr\":\"vsock://-1:1024\""));
        assert_non_null(strstr(j, "\"hotplug_timeout_ns\":3000000000"));
        assert_non_null(strstr(j, "\"config_file\":null"));
        assert_non_null(strstr(j, "\"dev_mode\":false"));
        assert_non_null(strstr(j, "\"image_pull_timeout_s\":1200"));
        free(j);
        agent_config_done(&c);

        /* Strings that need escaping, including invalid UTF-8, still give valid JSON. */
        clear_log();
        parse(&c, "agent.config_file=/a\"b\\c\x01\xff\xc3\xa9 agent.devmode agent.log=trace "
                  "agent.server_addr=unix:///x\"y agent.log_vport=4294967295");
        j = agent_config_to_json(&c);
        assert_true(json_flat_object_ok(j));
        assert_non_null(strstr(j, "\"config_file\":\"/a\\\"b\\\\c\\u0001\\ufffd\xc3\xa9\""));
        assert_non_null(strstr(j, "\"server_addr\":\"unix:///x\\\"y\""));
        assert_non_null(strstr(j, "\"dev_mode\":true"));
        assert_non_null(strstr(j, "\"log_level\":\"trace\""));
        assert_non_null(strstr(j, "\"log_vport\":4294967295"));
        free(j);
        agent_config_done(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_defaults, setup),
                cmocka_unit_test_setup(test_empty, setup),
                cmocka_unit_test_setup(test_realistic, setup),
                cmocka_unit_test_setup(test_log_level, setup),
                cmocka_unit_test_setup(test_vports, setup),
                cmocka_unit_test_setup(test_flags, setup),
                cmocka_unit_test_setup(test_trace, setup),
                cmocka_unit_test_setup(test_duration_parser, setup),
                cmocka_unit_test_setup(test_hotplug_timeout, setup),
                cmocka_unit_test_setup(test_unified_cgroup, setup),
                cmocka_unit_test_setup(test_pipe_size, setup),
                cmocka_unit_test_setup(test_stdio_buffer_size, setup),
                cmocka_unit_test_setup(test_server_addr, setup),
                cmocka_unit_test_setup(test_config_file, setup),
                cmocka_unit_test_setup(test_seconds, setup),
                cmocka_unit_test_setup(test_duplicates, setup),
                cmocka_unit_test_setup(test_unknown, setup),
                cmocka_unit_test_setup(test_garbage, setup),
                cmocka_unit_test_setup(test_long_words, setup),
                cmocka_unit_test_setup(test_env, setup),
                cmocka_unit_test_setup(test_json, setup),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
