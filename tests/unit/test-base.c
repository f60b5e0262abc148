/* SPDX-License-Identifier: Apache-2.0 */
#include "cm.h"

#include "base/error.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_error_chain(void **state)
{
        _cleanup_error_ struct agent_error *err = NULL;

        (void) state;
        assert_int_equal(agent_error_set(&err, ENOENT, "open `%s`", "/x"), -ENOENT);
        assert_int_equal(agent_error_wrap(&err, "container `%s`", "c1"), -ENOENT);
        assert_string_equal(err->msg, "container `c1`: open `/x`: No such file or directory");
        assert_int_equal(err->errno_, ENOENT);
        assert_int_equal(agent_error_setf(&err, EINVAL, "field `%s` is empty", "id"), -EINVAL);
        assert_string_equal(err->msg, "field `id` is empty");
        /* A NULL err pointer is allowed and only returns the code. */
        assert_int_equal(agent_error_set(NULL, EPERM, "x"), -EPERM);
}

static void test_parse_numbers(void **state)
{
        uint64_t u;
        int64_t i;

        (void) state;
        assert_int_equal(parse_u64("42", 10, &u), 0);
        assert_int_equal(u, 42);
        assert_int_equal(parse_u64("8000000", 16, &u), 0);
        assert_int_equal(u, 0x8000000);
        assert_int_equal(parse_u64("-1", 10, &u), -EINVAL);
        assert_int_equal(parse_u64("12x", 10, &u), -EINVAL);
        assert_int_equal(parse_u64("", 10, &u), -EINVAL);
        assert_int_equal(parse_u64("99999999999999999999999", 10, &u), -ERANGE);
        assert_int_equal(parse_i64("-1", 10, &i), 0);
        assert_int_equal(i, -1);
        assert_int_equal(parse_i64("+1", 10, &i), -EINVAL);
}

static char captured[16384];
static void capture(const char *line, size_t len, void *userdata)
{
        (void) userdata;
        if (len >= sizeof(captured))
                len = sizeof(captured) - 1;
        memcpy(captured, line, len);
        captured[len] = '\0';
}

static void test_log_json_shape(void **state)
{
        const char *const kv[] = { "container-id", "c\"1", "pid", "spoofed", NULL };

        (void) state;
        log_set_sink(capture, NULL);
        log_set_level(LOG_LEVEL_INFO);
        log_full(LOG_LEVEL_WARN, "rpc", kv, "line1\nline2 \\ %d", 7);
        assert_non_null(strstr(captured, "{\"msg\":\"line1\\nline2 \\\\ 7\""));
        assert_non_null(strstr(captured, "\"level\":\"WARN\""));
        assert_non_null(strstr(captured, "\"subsystem\":\"rpc\""));
        assert_non_null(strstr(captured, "\"source\":\"agent\""));
        assert_non_null(strstr(captured, "\"name\":\"cata-agent\""));
        assert_non_null(strstr(captured, "\"container-id\":\"c\\\"1\""));
        /* Reserved keys from a record never override the constant ones. */
        assert_null(strstr(captured, "spoofed"));
        assert_non_null(strstr(captured, "\"ts\":\""));
        assert_int_equal(captured[strlen(captured) - 1], '\n');
        captured[0] = '\0';
        log_full(LOG_LEVEL_DEBUG, "rpc", NULL, "hidden");
        assert_string_equal(captured, "");
        log_set_fd(2);
}

static void test_log_truncates_to_valid_json(void **state)
{
        char buf[256];
        char msg[1000];
        size_t n;

        (void) state;
        memset(msg, '\\', sizeof(msg) - 1);
        msg[sizeof(msg) - 1] = '\0';
        n = log_format(buf, sizeof(buf), LOG_LEVEL_INFO, "root", NULL, msg);
        assert_true(n <= sizeof(buf));
        assert_memory_equal(buf + n - 3, "\"}\n", 3);
        assert_non_null(strstr(buf, "\"truncated\":\"true\""));
        /* Never cut inside an escape: the body before the tail is an even run of backslashes. */
        const char *tail = strstr(buf, "\",\"truncated\"");
        size_t run = 0;
        while (tail - run > buf && tail[-(long) run - 1] == '\\')
                run++;
        assert_int_equal(run % 2, 0);
}

static void test_log_levels(void **state)
{
        enum log_level l;

        (void) state;
        assert_int_equal(log_level_from_string("debug", &l), 0);
        assert_int_equal(l, LOG_LEVEL_DEBUG);
        assert_int_equal(log_level_from_string("WARNING", &l), 0);
        assert_int_equal(l, LOG_LEVEL_WARN);
        assert_int_equal(log_level_from_string("panic", &l), 0);
        assert_int_equal(l, LOG_LEVEL_CRITICAL);
        assert_int_equal(log_level_from_string("verbose", &l), -EINVAL);
}

static void test_read_file_bounded(void **state)
{
        char path[] = "/tmp/cata-test-XXXXXX";
        int fd = mkstemp(path);
        char *buf = NULL;
        size_t len;

        (void) state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "0123456789", 10), 10);
        close(fd);
        assert_int_equal(read_file(path, 100, &buf, &len), 0);
        assert_int_equal(len, 10);
        assert_string_equal(buf, "0123456789");
        free(buf);
        assert_int_equal(read_file(path, 5, &buf, &len), -EFBIG);
        assert_int_equal(read_file(path, 10, &buf, &len), 0);
        free(buf);
        /* Files larger than the first 4 KiB chunk come back whole. */
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(write(fd, "0123456789", 10), 10);
        close(fd);
        assert_int_equal(read_file(path, 1 << 20, &buf, &len), 0);
        assert_int_equal(len, 10000);
        assert_int_equal(strlen(buf), 10000);
        free(buf);
        assert_int_equal(read_file(path, 9999, &buf, &len), -EFBIG);
        unlink(path);
        assert_int_equal(read_file(path, 5, &buf, &len), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_error_chain),
                cmocka_unit_test(test_parse_numbers),
                cmocka_unit_test(test_log_json_shape),
                cmocka_unit_test(test_log_truncates_to_valid_json),
                cmocka_unit_test(test_log_levels),
                cmocka_unit_test(test_read_file_bounded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
