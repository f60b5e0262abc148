/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stdio that never stalls, through the real agent and real containers: the seed scenario (a
 * Node.js-style O_NONBLOCK stdout bursting past 64 KiB), integrity of large streams both ways,
 * back-pressure with bounded agent memory, reconnecting mid-stream, ttys, EOF semantics and pipe
 * sizes. The container side is tests/helpers/cata-stdio-helper.c.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct agent_proc agent;
static struct ttrpc_client *cl;

static uint8_t pattern_byte(uint64_t i)
{
        return (uint8_t) ((i * 2654435761u) >> 13);
}

static void start_agent(const char *cmdline)
{
        cl = ct_agent_start(&agent, cmdline);
}

static void stop_agent(void)
{
        ct_agent_stop(&agent, cl);
        cl = NULL;
}

static int setup(void **state)
{
        (void) state;
        start_agent("");
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        stop_agent();
        return 0;
}

static void start(const char *id, const char *args_json, const char *process_extra,
                  const char *top_extra)
{
        _cleanup_free_ char *spec = ct_spec(id, args_json, process_extra, NULL, top_extra);
        struct ttrpc_status st = { 0 };

        if (ct_create(cl, id, spec, false, &st) != 0)
                fail_msg("create `%s`: %s", id, st.message);
        if (ct_id_call(cl, "StartContainer", id, &st) != 0)
                fail_msg("start `%s`: %s", id, st.message);
        ttrpc_status_done(&st);
}

static void finish(const char *id, int want_status)
{
        struct ttrpc_status st = { 0 };
        int status = -1;

        assert_int_equal(ct_wait(cl, id, "", &status, &st), 0);
        assert_int_equal(status, want_status);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", id, &st), 0);
        ttrpc_status_done(&st);
}

/* One ReadStdout/ReadStderr; returns the data length (0 = EOF) or -code. */
static long read_once(struct ttrpc_client *c, const char *id, bool err, uint32_t len, uint8_t *buf)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
        Grpc__ReadStreamResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        long n;

        req.container_id = (char *) id;
        req.exec_id = (char *) "";
        req.len = len;
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService",
                                           err ? "ReadStderr" : "ReadStdout", &req.base,
                                           &grpc__read_stream_response__descriptor, 0,
                                           (ProtobufCMessage **) &resp, &st),
                         0);
        if (st.code != 0) {
                n = -st.code;
        } else {
                assert_true(resp->data.len <= len);
                if (resp->data.len)
                        memcpy(buf, resp->data.data, resp->data.len);
                n = (long) resp->data.len;
                protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        ttrpc_status_done(&st);
        return n;
}

/* Reads stdout to EOF with reads of `len`, checking the helper's pattern byte by byte from
 * offset *off. Returns the number of mismatches. */
static uint64_t read_pattern(struct ttrpc_client *c, const char *id, uint32_t len, uint64_t *off,
                             uint64_t stop_after)
{
        uint8_t *buf = xmalloc(len);
        uint64_t bad = 0;

        for (;;) {
                long n = read_once(c, id, false, len, buf);
                if (n < 0)
                        fail_msg("ReadStdout failed with code %ld", -n);
                if (n == 0)
                        break;
                for (long i = 0; i < n; i++)
                        bad += buf[i] != pattern_byte(*off + (uint64_t) i);
                *off += (uint64_t) n;
                if (stop_after && *off >= stop_after)
                        break;
        }
        free(buf);
        return bad;
}

/* The seed scenario: 70,000 then 512 KiB written with O_NONBLOCK, EAGAIN = failure; read as
 * Kata's shim does (32 KiB ReadStdout), immediately and after a pause. Default configuration. */
static void run_seed(const char *id, unsigned pause_ms)
{
        uint64_t off = 0, bad;
        char *err = NULL;

        start(id, "[\"cata-stdio-helper\",\"burst\",\"70000\",\"524288\"]", NULL, NULL);
        usleep(pause_ms * 1000);
        bad = read_pattern(cl, id, 32768, &off, 0);
        assert_int_equal(ct_read_all(cl, id, "", true, &err, NULL), 0);
        if (err[0])
                fail_msg("helper reported: %s", err);
        free(err);
        assert_int_equal(off, 70000 + 524288);
        assert_int_equal(bad, 0);
        finish(id, 0);
}

static void test_seed_scenario(void **state)
{
        (void) state;
        run_seed("stdio-seed", 0);
}

static void test_seed_scenario_slow_reader(void **state)
{
        (void) state;
        run_seed("stdio-seed-slow", 1500);
}

/* 1 GiB through stdout, checked byte by byte as it streams (1 MiB reads keep it quick). */
static void test_one_gib_stdout(void **state)
{
        uint64_t off = 0, bad;

        (void) state;
        start("stdio-gib", "[\"cata-stdio-helper\",\"gen\",\"1073741824\"]", NULL, NULL);
        bad = read_pattern(cl, "stdio-gib", 1u << 20, &off, 0);
        assert_int_equal(off, 1ull << 30);
        assert_int_equal(bad, 0);
        finish("stdio-gib", 0);
}

struct writer {
        const char *addr;
        const char *id;
        uint64_t total;
};

/* Writes the pattern with 32 KiB WriteStdin calls (as the shim does), then CloseStdin. */
static void *stdin_writer(void *arg)
{
        struct writer *w = arg;
        struct ttrpc_client *c = NULL;
        Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
        Grpc__CloseStdinRequest close_req = GRPC__CLOSE_STDIN_REQUEST__INIT;
        uint8_t buf[32768];
        uint64_t off = 0;

        assert_int_equal(ttrpc_client_connect(w->addr, &c), 0);
        req.container_id = close_req.container_id = (char *) w->id;
        req.exec_id = close_req.exec_id = (char *) "";
        while (off < w->total) {
                size_t n = w->total - off < sizeof(buf) ? w->total - off : sizeof(buf);
                Grpc__WriteStreamResponse *resp = NULL;
                struct ttrpc_status st = { 0 };
                for (size_t i = 0; i < n; i++)
                        buf[i] = pattern_byte(off + i);
                req.data.data = buf;
                req.data.len = n;
                assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "WriteStdin", &req.base,
                                                   &grpc__write_stream_response__descriptor, 0,
                                                   (ProtobufCMessage **) &resp, &st),
                                 0);
                assert_int_equal(st.code, 0);
                assert_int_equal(resp->len, n);
                protobuf_c_message_free_unpacked(&resp->base, NULL);
                off += n;
        }
        {
                ProtobufCMessage *resp = NULL;
                struct ttrpc_status st = { 0 };
                assert_int_equal(
                        ttrpc_client_call(c, "grpc.AgentService", "CloseStdin", &close_req.base,
                                          &google__protobuf__empty__descriptor, 0, &resp, &st),
                        0);
                assert_int_equal(st.code, 0);
                protobuf_c_message_free_unpacked(resp, NULL);
        }
        ttrpc_client_free(c);
        return NULL;
}

/* 100 MiB into `cat` through WriteStdin while reading it back through ReadStdout. */
static void test_stdin_cat_roundtrip(void **state)
{
        struct writer w = { .addr = agent.addr, .id = "stdio-cat", .total = 100ull << 20 };
        uint64_t off = 0, bad;
        pthread_t t;

        (void) state;
        start("stdio-cat", "[\"cat\"]", NULL, NULL);
        assert_int_equal(pthread_create(&t, NULL, stdin_writer, &w), 0);
        bad = read_pattern(cl, "stdio-cat", 32768, &off, 0);
        pthread_join(t, NULL);
        assert_int_equal(off, w.total);
        assert_int_equal(bad, 0);
        finish("stdio-cat", 0);
}

static void test_interleaved_streams(void **state)
{
        char *out = NULL, *err = NULL;
        char want[32];
        unsigned n_out = 0, n_err = 0;

        (void) state;
        start("stdio-inter", "[\"cata-stdio-helper\",\"inter\",\"20000\"]", NULL, NULL);
        assert_int_equal(ct_read_all(cl, "stdio-inter", "", false, &out, NULL), 0);
        assert_int_equal(ct_read_all(cl, "stdio-inter", "", true, &err, NULL), 0);
        /* Each stream complete and in order. */
        for (char *p = out; *p; p = strchr(p, '\n') + 1) {
                snprintf(want, sizeof(want), "line %u\n", 2 * n_out);
                assert_memory_equal(p, want, strlen(want));
                n_out++;
        }
        for (char *p = err; *p; p = strchr(p, '\n') + 1) {
                snprintf(want, sizeof(want), "line %u\n", 2 * n_err + 1);
                assert_memory_equal(p, want, strlen(want));
                n_err++;
        }
        assert_int_equal(n_out, 10000);
        assert_int_equal(n_err, 10000);
        free(out);
        free(err);
        finish("stdio-inter", 0);
}

/* A reader that stops: the producer blocks (back-pressure), the agent's memory stays bounded,
 * and nothing is lost once reading resumes. */
static void test_stalled_reader_bounded(void **state)
{
        uint64_t off = 0, bad;
        long rss0, rss1;

        (void) state;
        rss0 = agent_proc_rss_kib(&agent);
        start("stdio-stall", "[\"cata-stdio-helper\",\"gen\",\"104857600\"]", NULL, NULL);
        bad = read_pattern(cl, "stdio-stall", 32768, &off, 1 << 20);
        sleep(2);
        rss1 = agent_proc_rss_kib(&agent);
        print_message("agent VmRSS %ld KiB before, %ld KiB with a stalled 100 MiB producer\n", rss0,
                      rss1);
        /* The stream buffer (1 MiB) plus slack; never the 100 MiB. */
        if (!getenv("CATA_SANITIZED"))
                assert_true(rss1 - rss0 < 4 * 1024);
        bad += read_pattern(cl, "stdio-stall", 32768, &off, 0);
        assert_int_equal(off, 100u << 20);
        assert_int_equal(bad, 0);
        finish("stdio-stall", 0);
}

/* The host connection drops mid-stream: a new connection continues where the last one stopped. */
static void test_reconnect_mid_stream(void **state)
{
        struct ttrpc_client *c2;
        uint64_t off = 0, bad;

        (void) state;
        start("stdio-reconnect", "[\"cata-stdio-helper\",\"gen\",\"8388608\"]", NULL, NULL);
        bad = read_pattern(cl, "stdio-reconnect", 32768, &off, 3 << 20);
        /* A read parked on the old connection when it goes away must not eat data. */
        ttrpc_client_free(cl);
        cl = agent_connect(&agent);
        c2 = agent_connect(&agent);
        bad += read_pattern(c2, "stdio-reconnect", 32768, &off, 0);
        ttrpc_client_free(c2);
        assert_int_equal(off, 8u << 20);
        assert_int_equal(bad, 0);
        finish("stdio-reconnect", 0);
}

/* The first read at EOF is OK with empty data (Kata >= 3.27 stops there); every later read of
 * that stream is INTERNAL (Kata <= 3.26 stops only on an error), until WaitProcess forgets the
 * process; each stream has its own first EOF. WriteStdin to a process that exited is an error. */
static void test_eof_semantics(void **state)
{
        Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };
        uint8_t buf[64];
        int status;

        (void) state;
        start("stdio-eof", "[\"sh\",\"-c\",\"echo bye\"]", NULL, NULL);
        assert_int_equal(read_once(cl, "stdio-eof", false, 64, buf), 4);
        assert_int_equal(read_once(cl, "stdio-eof", false, 64, buf), 0);
        assert_int_equal(read_once(cl, "stdio-eof", false, 64, buf), -RPC_INTERNAL);
        assert_int_equal(read_once(cl, "stdio-eof", false, 64, buf), -RPC_INTERNAL);
        assert_int_equal(read_once(cl, "stdio-eof", true, 64, buf), 0);
        assert_int_equal(read_once(cl, "stdio-eof", true, 64, buf), -RPC_INTERNAL);
        req.container_id = (char *) "stdio-eof";
        req.exec_id = (char *) "";
        req.data.data = buf;
        req.data.len = 4;
        /* EOF comes when the process closed its stdout, a moment before the agent reaps it:
         * once reaped (within 2 s here), every write fails. */
        for (int i = 0; i < 100; i++) {
                assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "WriteStdin", &req.base,
                                                   &grpc__write_stream_response__descriptor, 0,
                                                   &resp, &st),
                                 0);
                if (resp)
                        protobuf_c_message_free_unpacked(resp, NULL);
                resp = NULL;
                if (st.code != 0)
                        break;
                usleep(20000);
        }
        assert_int_not_equal(st.code, 0);
        assert_true(strstr(st.message, "exited") || strstr(st.message, "Broken pipe"));
        assert_int_equal(ct_wait(cl, "stdio-eof", "", &status, &st), 0);
        assert_int_equal(read_once(cl, "stdio-eof", false, 64, buf), -RPC_NOT_FOUND);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "stdio-eof", &st), 0);
        ttrpc_status_done(&st);
}

/* A daemonised grandchild keeping stdout open does not hold EOF back for ever: 500 ms after the
 * process exits, readers get EOF (Kata's drain window). */
static void test_exit_drain_window(void **state)
{
        uint8_t buf[64];
        uint64_t t0;

        (void) state;
        start("stdio-drain", "[\"sh\",\"-c\",\"sleep 100 & echo parent-done\"]", NULL, NULL);
        assert_int_equal(read_once(cl, "stdio-drain", false, 64, buf), 12);
        t0 = now_ns();
        assert_int_equal(read_once(cl, "stdio-drain", false, 64, buf), 0);
        assert_true(now_ns() - t0 < 5ull * 1000000000ull);
        finish("stdio-drain", 0);
}

/* The process wrote more than our buffer holds and exited while the host was not reading: the
 * drain window must not close the pipe on what is still in it (the benchmark found this). */
static void test_exit_with_full_buffer_loses_nothing(void **state)
{
        uint64_t off = 0, bad;

        (void) state;
        /* 1 MiB fits our buffer, the next 1 MiB waits in the 1 MiB pipe; then the writer exits. */
        start("stdio-full-exit", "[\"cata-stdio-helper\",\"gen\",\"2097152\"]", NULL, NULL);
        usleep(1500000);
        bad = read_pattern(cl, "stdio-full-exit", 32768, &off, 0);
        assert_int_equal(off, 2u << 20);
        assert_int_equal(bad, 0);
        finish("stdio-full-exit", 0);
}

static void test_tty(void **state)
{
        Grpc__TtyWinResizeRequest rz = GRPC__TTY_WIN_RESIZE_REQUEST__INIT;
        Grpc__WriteStreamRequest wr = GRPC__WRITE_STREAM_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };
        char *out = NULL;

        (void) state;
        start("stdio-tty", "[\"sh\",\"-c\",\"stty size; read line; echo got:$line; stty size\"]",
              ",\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80}", NULL);
        usleep(200000);
        rz.container_id = (char *) "stdio-tty";
        rz.exec_id = (char *) "";
        rz.row = 40;
        rz.column = 100;
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "TtyWinResize", &rz.base,
                                           &google__protobuf__empty__descriptor, 0, &resp, &st),
                         0);
        assert_int_equal(st.code, 0);
        protobuf_c_message_free_unpacked(resp, NULL);
        wr.container_id = (char *) "stdio-tty";
        wr.exec_id = (char *) "";
        wr.data.data = (uint8_t *) "hello\n";
        wr.data.len = 6;
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "WriteStdin", &wr.base,
                                           &grpc__write_stream_response__descriptor, 0, &resp, &st),
                         0);
        assert_int_equal(st.code, 0);
        protobuf_c_message_free_unpacked(resp, NULL);
        assert_int_equal(ct_read_all(cl, "stdio-tty", "", false, &out, NULL), 0);
        /* The initial size, the tty's echo of our input, the reply, and the new size. */
        assert_non_null(strstr(out, "24 80"));
        assert_non_null(strstr(out, "hello"));
        assert_non_null(strstr(out, "got:hello"));
        assert_non_null(strstr(out, "40 100"));
        free(out);
        /* No tty: TtyWinResize is refused. */
        finish("stdio-tty", 0);
        start("stdio-notty", "[\"sleep\",\"100\"]", NULL, NULL);
        rz.container_id = (char *) "stdio-notty";
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "TtyWinResize", &rz.base,
                                           &google__protobuf__empty__descriptor, 0, &resp, &st),
                         0);
        assert_int_equal(st.code, RPC_UNAVAILABLE);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "stdio-notty", &st), 0);
        ttrpc_status_done(&st);
}

static long pipe_size_seen(const char *id, const char *top_extra)
{
        char *out = NULL;
        long v;

        start(id, "[\"cata-stdio-helper\",\"pipesize\"]", NULL, top_extra);
        assert_int_equal(ct_read_all(cl, id, "", false, &out, NULL), 0);
        v = strtol(out, NULL, 10);
        free(out);
        finish(id, 0);
        return v;
}

/* The default (1 MiB), the per-container annotation, and agent.container_pipe_size clamped to
 * what the kernel allows (fs.pipe-max-size without CAP_SYS_RESOURCE) with a warning. */
static void test_pipe_sizes(void **state)
{
        uint64_t max = 0;

        (void) state;
        assert_int_equal(pipe_size_seen("stdio-pipe-default", NULL), 1 << 20);
        assert_int_equal(pipe_size_seen("stdio-pipe-anno",
                                        ",\"annotations\":{\"io.katacontainers.container."
                                        "pipe_size\":\"262144\"}"),
                         262144);
        assert_int_equal(pipe_size_seen("stdio-pipe-pod",
                                        ",\"annotations\":{\"io.katacontainers.config.agent."
                                        "container_pipe_size\":\"131072\"}"),
                         131072);
        stop_agent();
        start_agent("agent.container_pipe_size=8388608");
        assert_int_equal(read_u64_file("/proc/sys/fs/pipe-max-size", 10, &max), 0);
        if (max < 8388608) {
                assert_int_equal(pipe_size_seen("stdio-pipe-clamped", NULL), (long) max);
                assert_true(agent_log_contains(&agent, "pipe size 8388608 refused", 2000));
        } else {
                assert_int_equal(pipe_size_seen("stdio-pipe-clamped", NULL), 8388608);
        }
        stop_agent();
        start_agent("agent.container_pipe_size=0");
        assert_int_equal(pipe_size_seen("stdio-pipe-kernel", NULL), 65536);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_seed_scenario),
                cmocka_unit_test(test_seed_scenario_slow_reader),
                cmocka_unit_test(test_interleaved_streams),
                cmocka_unit_test(test_eof_semantics),
                cmocka_unit_test(test_exit_drain_window),
                cmocka_unit_test(test_exit_with_full_buffer_loses_nothing),
                cmocka_unit_test(test_tty),
                cmocka_unit_test(test_reconnect_mid_stream),
                cmocka_unit_test(test_stalled_reader_bounded),
                cmocka_unit_test(test_stdin_cat_roundtrip),
                cmocka_unit_test(test_one_gib_stdout),
                cmocka_unit_test(test_pipe_sizes),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
