/* SPDX-License-Identifier: Apache-2.0 */
/* The TOML reader and the agent.config_file mapping onto the configuration. */
#include "cm.h"

#include "agent/config-file.h"
#include "base/log.h"
#include "base/toml.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct toml_table *parse_ok(const char *text)
{
        struct toml_table *t = NULL;
        char *err = NULL;
        int r = toml_parse(text, strlen(text), &t, &err);

        if (r < 0)
                fail_msg("parse failed: %s", err);
        assert_null(err);
        return t;
}

static void parse_fails(const char *text, const char *want)
{
        struct toml_table *t = NULL;
        char *err = NULL;

        if (toml_parse(text, strlen(text), &t, &err) != -EINVAL)
                fail_msg("`%s` parsed", text);
        assert_null(t);
        assert_non_null(err);
        if (!strstr(err, want))
                fail_msg("error `%s` lacks `%s`", err, want);
        free(err);
}

static void test_scalars(void **state)
{
        struct toml_table *t = parse_ok("a = 1_000\nb = 0x1_0 # hex\nc = 0o17\nd = 0b101\n"
                                        "e = 3.5e-1\nf = -inf\ng = true\nh = \"x\\t\\u00e9\\\"\"\n"
                                        "i = 'c:\\path'\n\"k y\" = +7\n");
        (void) state;
        assert_int_equal(toml_get(t, "a")->i, 1000);
        assert_int_equal(toml_get(t, "b")->type, TOML_INTEGER);
        assert_int_equal(toml_get(t, "b")->i, 16);
        assert_int_equal(toml_get(t, "c")->i, 15);
        assert_int_equal(toml_get(t, "d")->i, 5);
        assert_true(fabs(toml_get(t, "e")->f - 0.35) < 1e-12);
        assert_true(isinf(toml_get(t, "f")->f) && toml_get(t, "f")->f < 0);
        assert_true(toml_get(t, "g")->b);
        assert_string_equal(toml_get(t, "h")->s, "x\t\xc3\xa9\"");
        assert_string_equal(toml_get(t, "i")->s, "c:\\path");
        assert_int_equal(toml_get(t, "k y")->i, 7);
        toml_free(t);
}

static void test_structures(void **state)
{
        struct toml_table *t = parse_ok("top = 1\na.b.c = \"deep\"\n"
                                        "list = [ 1,\n  2, # two\n  3, ]\n"
                                        "d = { secs = 3, nanos = 0 }\n"
                                        "[endpoints]\nallowed = [\"A\", \"B\"]\n"
                                        "[[srv]]\nn = 1\n[[srv]]\nn = 2\n");
        const struct toml_value *v;

        (void) state;
        v = toml_get(t, "a");
        assert_int_equal(v->type, TOML_TABLE);
        v = toml_get(toml_get(v->table, "b")->table, "c");
        assert_string_equal(v->s, "deep");
        assert_int_equal(toml_get(t, "list")->array.n, 3);
        assert_int_equal(toml_get(toml_get(t, "d")->table, "secs")->i, 3);
        v = toml_get(toml_get(t, "endpoints")->table, "allowed");
        assert_int_equal(v->array.n, 2);
        assert_string_equal(v->array.items[1]->s, "B");
        v = toml_get(t, "srv");
        assert_int_equal(v->array.n, 2);
        assert_int_equal(toml_get(v->array.items[1]->table, "n")->i, 2);
        /* Keys after a header belong to it, not to the root. */
        assert_null(toml_get(t, "allowed"));
        toml_free(t);
}

static void test_errors(void **state)
{
        char *big = xmalloc(TOML_MAX_INPUT + 2);
        struct toml_table *t = NULL;
        char *err = NULL;

        (void) state;
        parse_fails("a = 1\na = 2\n", "line 2: duplicate key `a`");
        parse_fails("[t]\nx=1\n[t]\n", "line 3: table `t` defined twice");
        parse_fails("s = \"\"\"x\"\"\"\n", "multi-line strings are not supported");
        parse_fails("d = 1979-05-27T07:32:00Z\n", "dates and times are not supported");
        parse_fails("x = 01\n", "leading zeros");
        parse_fails("x = -0x10\n", "a sign before `0x`");
        parse_fails("x = 1__0\n", "invalid number");
        parse_fails("x = [1,\n", "line 2: expected a value");
        parse_fails("x = \"abc\n", "unterminated string");
        parse_fails("x = \"\\q\"\n", "invalid escape");
        parse_fails("x = \"\\uD800\"\n", "not a Unicode scalar value");
        parse_fails("x = 1 y = 2\n", "unexpected `y` after the value");
        parse_fails("x 1\n", "expected `=` after a key");
        parse_fails("a = 1\na.b = 2\n", "already a integer");
        parse_fails("x = 9223372036854775808\n", "out of range");
        parse_fails("x = \"a\\u0000b\"\n", "NUL");
        {
                char deep[200] = "x = ";
                for (int i = 0; i < 40; i++)
                        strcat(deep, "[");
                parse_fails(deep, "nested more than");
        }
        memset(big, '#', TOML_MAX_INPUT + 1);
        big[TOML_MAX_INPUT + 1] = '\0';
        assert_int_equal(toml_parse(big, TOML_MAX_INPUT + 1, &t, &err), -E2BIG);
        free(err);
        free(big);
}

static void quiet(const char *line, size_t len, void *userdata)
{
        (void) len;
        /* Collects warnings so tests can check a bad key is named. */
        char **buf = userdata;
        char *old = *buf;

        *buf = xasprintf("%s%s\n", old ? old : "", line);
        free(old);
}

static void test_config_mapping(void **state)
{
        struct agent_config c;
        char *logs = NULL;
        struct toml_table *t =
                parse_ok("dev_mode = true\nlog_level = 'debug'\nserver_addr = 'vsock://8:2048'\n"
                         "hotplug_timeout = { secs = 5, nanos = 500000000 }\ncdi_timeout = [7, 0]\n"
                         "debug_console_vport = 1026\nlog_vport = 0\ntracing = true\n"
                         "passfd_listener_port = 1027\nunified_cgroup_hierarchy = true\n"
                         "container_pipe_size = \"big\"\nlaunch_process_timeout = 9\n"
                         "https_proxy = 'http://p'\nunknown_key = 1\n[endpoints]\nallowed = []\n");

        (void) state;
        log_set_sink(quiet, &logs);
        agent_config_init(&c);
        assert_int_equal(agent_config_apply_toml(&c, t), 2);
        assert_true(c.dev_mode);
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_string_equal(c.server_addr, "vsock://8:2048");
        assert_int_equal(c.hotplug_timeout_ns, 5500000000ull);
        assert_int_equal(c.cdi_timeout_s, 7);
        assert_int_equal(c.debug_console_vport, 1026);
        assert_int_equal(c.log_vport, 0);
        assert_true(c.trace);
        assert_int_equal(c.passfd_listener_port, 1027);
        assert_true(c.unified_cgroup_hierarchy);
        /* Wrong types keep the defaults and are named. */
        assert_int_equal(c.container_pipe_size, AGENT_DEFAULT_PIPE_SIZE);
        assert_int_equal(c.launch_process_timeout_s, 6);
        assert_non_null(strstr(logs, "config file key `container_pipe_size`"));
        assert_non_null(strstr(logs, "config file key `launch_process_timeout`"));
        agent_config_done(&c);
        toml_free(t);
        free(logs);
        log_set_sink(NULL, NULL);
}

static void test_load_file(void **state)
{
        char path[] = "/tmp/cata-toml-XXXXXX";
        struct agent_error *err = NULL;
        struct agent_config c;
        int fd = mkstemp(path);
        const char *text = "log_level = \"trace\"\nserver_addr = \"unix:///x.sock\"\n";

        (void) state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        agent_config_init(&c);
        c.dev_mode = true; /* from a command line the file replaces */
        assert_int_equal(agent_config_load_file(&c, path, &err), 0);
        assert_false(c.dev_mode);
        assert_int_equal(c.log_level, LOG_LEVEL_TRACE);
        assert_string_equal(c.server_addr, "unix:///x.sock");
        assert_string_equal(c.config_file, path);

        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, "x = [", 5), 5);
        close(fd);
        c.dev_mode = true;
        assert_int_equal(agent_config_load_file(&c, path, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "line 1"));
        assert_true(c.dev_mode); /* untouched */
        agent_error_free(err);
        err = NULL;
        unlink(path);
        assert_int_equal(agent_config_load_file(&c, path, &err), -ENOENT);
        agent_error_free(err);
        agent_config_done(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scalars),   cmocka_unit_test(test_structures),
                cmocka_unit_test(test_errors),    cmocka_unit_test(test_config_mapping),
                cmocka_unit_test(test_load_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
