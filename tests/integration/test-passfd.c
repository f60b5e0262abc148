/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime-rs's passfd stdio through the real agent: every stdio stream on a connection of its
 * own to the passfd listener (a unix socket standing in for vsock; the client announces the
 * port a vsock peer would have), named by CreateContainer/ExecProcess's *_port fields. Output,
 * stdin with EOF, a tty, streams that connect before and after the process starts, one that
 * never comes (that stdio stays on ReadStdout), WaitProcess answering only once output is
 * delivered, and bad handshakes (closed, the agent keeps serving).
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "oci/spec-json.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct agent_proc agent;
static struct ttrpc_client *cl;
static char passfd_path[108];

static int setup(void **state)
{
        char addr[128];

        (void) state;
        snprintf(passfd_path, sizeof(passfd_path), "/tmp/cata-passfd-%d.sock", (int) getpid());
        snprintf(addr, sizeof(addr), "unix://%s", passfd_path);
        const char *args[] = { "--run-dir", ct_run_dir(), "--passfd-addr", addr, NULL };
        ct_rootfs();
        agent_proc_start(&agent, "", args, NULL);
        cl = agent_connect(&agent);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        ct_agent_stop(&agent, cl);
        (void) unlink(passfd_path);
        return 0;
}

/* A connection to the listener, announcing `announce` (normally "<port>\n"). */
static int connect_raw(const char *announce)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, passfd_path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        if (announce && *announce)
                assert_int_equal(write(fd, announce, strlen(announce)), (ssize_t) strlen(announce));
        return fd;
}

static int connect_port(uint32_t port)
{
        char line[16];

        snprintf(line, sizeof(line), "%u\n", port);
        return connect_raw(line);
}

static Grpc__Spec *spec_of(const char *id, const char *args_json, const char *process_extra)
{
        _cleanup_free_ char *json = ct_spec(id, args_json, process_extra, NULL, NULL);
        struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;

        if (spec_from_json(json, strlen(json), &spec, &err) < 0)
                fail_msg("bad test spec: %s", err->msg);
        return spec;
}

static int call(const char *method, const ProtobufCMessage *req, struct ttrpc_status *st)
{
        ProtobufCMessage *r = NULL;

        ttrpc_status_done(st);
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", method, req,
                                           &google__protobuf__empty__descriptor, 0, &r, st),
                         0);
        if (r)
                protobuf_c_message_free_unpacked(r, NULL);
        return st->code;
}

/* CreateContainer + StartContainer with passfd ports. */
static void start(const char *id, const char *args_json, const char *process_extra,
                  const uint32_t ports[3])
{
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        struct ttrpc_status st = { 0 };

        req.container_id = (char *) id;
        req.exec_id = (char *) id;
        req.oci = spec_of(id, args_json, process_extra);
        req.stdin_port = ports[0];
        req.stdout_port = ports[1];
        req.stderr_port = ports[2];
        if (call("CreateContainer", &req.base, &st) != 0)
                fail_msg("create `%s`: %s", id, st.message);
        spec_free(req.oci);
        if (ct_id_call(cl, "StartContainer", id, &st) != 0)
                fail_msg("start `%s`: %s", id, st.message);
        ttrpc_status_done(&st);
}

static void exec(const char *id, const char *eid, const char *args_json, const uint32_t ports[3])
{
        Grpc__ExecProcessRequest req = GRPC__EXEC_PROCESS_REQUEST__INIT;
        Grpc__Spec *spec = spec_of(id, args_json, NULL);
        struct ttrpc_status st = { 0 };

        req.container_id = (char *) id;
        req.exec_id = (char *) eid;
        req.process = spec->process;
        req.stdin_port = ports[0];
        req.stdout_port = ports[1];
        req.stderr_port = ports[2];
        if (call("ExecProcess", &req.base, &st) != 0)
                fail_msg("exec `%s`: %s", eid, st.message);
        spec_free(spec);
        ttrpc_status_done(&st);
}

static int wait_process(const char *id, const char *eid)
{
        struct ttrpc_status st = { 0 };
        int status = -1;

        if (ct_wait(cl, id, eid, &status, &st) != 0)
                fail_msg("wait `%s`: %s", id, st.message);
        ttrpc_status_done(&st);
        return status;
}

static void remove_container(const char *id)
{
        struct ttrpc_status st = { 0 };

        assert_int_equal(ct_id_call(cl, "RemoveContainer", id, &st), 0);
        ttrpc_status_done(&st);
}

/* Sends in[0..in_len) to fd_in (then shuts it down, fd_in -1: nothing) while reading fd_out
 * and fd_err to EOF. Returns stdout's bytes (NUL-terminated); *err_out gets stderr's. */
static char *relay(int fd_in, const char *in, size_t in_len, int fd_out, int fd_err, char **err_out,
                   size_t *out_len)
{
        size_t cap[2] = { 4096, 4096 }, len[2] = { 0, 0 }, sent = 0;
        char *buf[2] = { xmalloc(cap[0]), xmalloc(cap[1]) };
        int fds[2] = { fd_out, fd_err };

        if (fd_in >= 0 && in_len == 0)
                (void) shutdown(fd_in, SHUT_WR);
        while (fds[0] >= 0 || fds[1] >= 0) {
                struct pollfd p[3] = {
                        { .fd = fds[0], .events = POLLIN },
                        { .fd = fds[1], .events = POLLIN },
                        { .fd = sent < in_len ? fd_in : -1, .events = POLLOUT },
                };
                assert_true(poll(p, 3, 30000) > 0);
                for (int i = 0; i < 2; i++) {
                        ssize_t n;

                        if (fds[i] < 0 || !p[i].revents)
                                continue;
                        if (len[i] + 65536 + 1 > cap[i]) {
                                cap[i] = (len[i] + 65536 + 1) * 2;
                                buf[i] = xrealloc(buf[i], cap[i]);
                        }
                        n = read(fds[i], buf[i] + len[i], 65536);
                        assert_true(n >= 0);
                        if (n == 0)
                                fds[i] = -1;
                        len[i] += (size_t) n;
                }
                if (p[2].revents) {
                        ssize_t n = write(fd_in, in + sent, in_len - sent);
                        assert_true(n > 0);
                        sent += (size_t) n;
                        if (sent == in_len)
                                (void) shutdown(fd_in, SHUT_WR);
                }
        }
        buf[0][len[0]] = buf[1][len[1]] = '\0';
        if (err_out)
                *err_out = buf[1];
        else
                free(buf[1]);
        if (out_len)
                *out_len = len[0];
        return buf[0];
}

static void test_output_streams(void **state)
{
        const uint32_t ports[3] = { 0, 4101, 4102 };
        int out = connect_port(4101), err = connect_port(4102);
        char *o, *e;

        (void) state;
        start("pf-out", "[\"sh\",\"-c\",\"echo to-out; echo to-err >&2; exit 3\"]", NULL, ports);
        /* WaitProcess first: it answers once the output is on the streams, so it is all
         * readable afterwards. */
        assert_int_equal(wait_process("pf-out", ""), 3);
        o = relay(-1, NULL, 0, out, err, &e, NULL);
        assert_string_equal(o, "to-out\n");
        assert_string_equal(e, "to-err\n");
        free(o);
        free(e);
        remove_container("pf-out");
        close(out);
        close(err);
}

/* 1 MiB through stdin -> cat -> stdout, and EOF on the stdin stream ends cat. */
static void test_stdin_roundtrip(void **state)
{
        const uint32_t ports[3] = { 4201, 4202, 4203 };
        int in = connect_port(4201), out = connect_port(4202), err = connect_port(4203);
        size_t n = 1u << 20, got = 0;
        char *data = xmalloc(n), *o, *e;

        (void) state;
        for (size_t i = 0; i < n; i++)
                data[i] = (char) ('a' + (i * 7) % 26);
        start("pf-cat", "[\"cat\"]", NULL, ports);
        o = relay(in, data, n, out, err, &e, &got);
        assert_int_equal(got, n);
        assert_memory_equal(o, data, n);
        assert_string_equal(e, "");
        assert_int_equal(wait_process("pf-cat", ""), 0);
        remove_container("pf-cat");
        free(o);
        free(e);
        free(data);
        close(in);
        close(out);
        close(err);
}

static void test_tty(void **state)
{
        /* A terminal has one output stream: the stderr port is not used. */
        const uint32_t ports[3] = { 4301, 4302, 0 };
        int in = connect_port(4301), out = connect_port(4302);
        char *o;

        (void) state;
        start("pf-tty", "[\"sh\",\"-c\",\"stty size; read line; echo got:$line\"]",
              ",\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80}", ports);
        assert_int_equal(write(in, "hello\n", 6), 6);
        o = relay(-1, NULL, 0, out, -1, NULL, NULL);
        assert_non_null(strstr(o, "24 80"));
        assert_non_null(strstr(o, "got:hello"));
        free(o);
        assert_int_equal(wait_process("pf-tty", ""), 0);
        remove_container("pf-tty");
        close(in);
        close(out);
}

/* Streams that connect after the process started (within the claim window) get all of its
 * output, including what it wrote before they came; exec processes use the same ports. */
static void test_late_streams_and_exec(void **state)
{
        const uint32_t ports[3] = { 0, 4401, 4402 };
        const uint32_t eports[3] = { 0, 4403, 0 };
        int out, err, eout;
        char *o, *e;

        (void) state;
        start("pf-late", "[\"sh\",\"-c\",\"echo early; sleep 0.5; echo late; sleep 100\"]", NULL,
              ports);
        usleep(100000);
        out = connect_port(4401);
        err = connect_port(4402);
        exec("pf-late", "ex1", "[\"sh\",\"-c\",\"echo from-exec\"]", eports);
        usleep(50000);
        eout = connect_port(4403);
        o = relay(-1, NULL, 0, eout, -1, NULL, NULL);
        assert_string_equal(o, "from-exec\n");
        free(o);
        assert_int_equal(wait_process("pf-late", "ex1"), 0);
        close(eout);
        usleep(700000);              /* past "late" */
        remove_container("pf-late"); /* kills sleep: the streams end */
        o = relay(-1, NULL, 0, out, err, &e, NULL);
        assert_string_equal(o, "early\nlate\n");
        assert_string_equal(e, "");
        free(o);
        free(e);
        close(out);
        close(err);
}

/* A stream that never comes: after the claim window that stdio stays on ReadStdout, with
 * nothing lost. */
static void test_missing_stream_falls_back(void **state)
{
        const uint32_t ports[3] = { 0, 4501, 0 };
        char *o = NULL;

        (void) state;
        start("pf-missing", "[\"sh\",\"-c\",\"echo kept\"]", NULL, ports);
        assert_true(agent_log_contains(&agent, "no stdout stream from port 4501", 5000));
        assert_int_equal(ct_read_all(cl, "pf-missing", "", false, &o, NULL), 0);
        assert_string_equal(o, "kept\n");
        free(o);
        assert_int_equal(wait_process("pf-missing", ""), 0);
        remove_container("pf-missing");
}

static void assert_closed_by_agent(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char c;

        ssize_t n;

        assert_int_equal(poll(&p, 1, 5000), 1);
        /* EOF, or a reset when the agent closed with our announcement still unread. */
        n = read(fd, &c, 1);
        assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
        close(fd);
}

static void test_bad_handshakes(void **state)
{
        static const char *const bad[] = { "abc\n",         "0\n", "04101\n", "4294967296\n",
                                           "12345678901\n", "\n",  "-1\n",    "12 \n" };
        const uint32_t ports[3] = { 0, 4601, 0 };
        int out;
        char *o;

        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_closed_by_agent(connect_raw(bad[i]));
        /* Closed half-way through the announcement. */
        close(connect_raw("46"));
        assert_true(agent_log_contains(&agent, "malformed port announcement", 2000));
        agent_proc_assert_alive(&agent);
        assert_check_ok(cl);
        /* The agent keeps serving passfd streams. */
        out = connect_port(4601);
        start("pf-after-bad", "[\"echo\",\"still-serving\"]", NULL, ports);
        o = relay(-1, NULL, 0, out, -1, NULL, NULL);
        assert_string_equal(o, "still-serving\n");
        free(o);
        assert_int_equal(wait_process("pf-after-bad", ""), 0);
        remove_container("pf-after-bad");
        close(out);
}

/* The host closed its output stream: the process is never blocked on it, and its exit is
 * still reported. */
static void test_host_closes_stream(void **state)
{
        const uint32_t ports[3] = { 0, 4701, 0 };
        int out = connect_port(4701);

        (void) state;
        start("pf-gone", "[\"sh\",\"-c\",\"sleep 0.3; head -c 8000000 /dev/zero\"]", NULL, ports);
        close(out);
        assert_int_equal(wait_process("pf-gone", ""), 0);
        remove_container("pf-gone");
        agent_proc_assert_alive(&agent);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_streams),
                cmocka_unit_test(test_stdin_roundtrip),
                cmocka_unit_test(test_tty),
                cmocka_unit_test(test_late_streams_and_exec),
                cmocka_unit_test(test_missing_stream_falls_back),
                cmocka_unit_test(test_bad_handshakes),
                cmocka_unit_test(test_host_closes_stream),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
