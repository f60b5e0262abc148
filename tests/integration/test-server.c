/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The real cata-agent on a unix socket, driven by our ttRPC client: protocol conformance and
 * robustness. Every test ends by checking the agent still answers and, at stop, exits cleanly.
 */
#include "harness.h"

#include "../unit/cm.h"

#include "agent.pb-c.h"
#include "base/util.h"
#include "health.pb-c.h"
#include "ttrpc/status.h"
#include "rpc/dispatch.h"
#include "version.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct agent_proc agent;

static int setup(void **state)
{
        (void) state;
        agent_proc_start(&agent, "console=ttyS0 agent.log=debug", NULL, NULL);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        agent_proc_stop(&agent);
        return 0;
}

/* Sends one request with a raw frame and returns the response status. */
static uint32_t raw_call(struct ttrpc_client *c, uint32_t id, const char *svc, const char *method,
                         const uint8_t *payload, size_t plen, int64_t timeout,
                         struct ttrpc_status *st)
{
        size_t len;
        uint8_t *body = request_body(svc, method, payload, plen, timeout, &len);

        send_frame(c, id, TTRPC_TYPE_REQUEST, 0, body, len);
        free(body);
        return recv_response(c, 5000, st);
}

static void test_check_and_version(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };
        Grpc__VersionCheckResponse *v;

        (void) state;
        assert_check_ok(c);
        assert_int_equal(ttrpc_client_call(c, "grpc.Health", "Version", &req.base,
                                           &grpc__version_check_response__descriptor, 0, &resp,
                                           &st),
                         0);
        assert_int_equal(st.code, 0);
        v = (Grpc__VersionCheckResponse *) resp;
        assert_string_equal(v->agent_version, CATA_VERSION);
        assert_string_equal(v->grpc_version, "0.0.1");
        protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_client_free(c);
}

/* The exact bytes of the Rust agent's reply to the runtime's first Check (digest §1.12). */
static void test_check_reply_bytes(void **state)
{
        static const uint8_t want[] = { 0, 0, 0,    6,    0,    0,    0,    1,
                                        2, 0, 0x0a, 0x00, 0x12, 0x02, 0x08, 0x01 };
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_frame f;
        uint8_t hdr[TTRPC_HEADER_SIZE];
        size_t len;
        uint8_t *body = request_body("grpc.Health", "Check", NULL, 0, 30000000000ll, &len);

        (void) state;
        send_frame(c, 1, TTRPC_TYPE_REQUEST, 0, body, len);
        free(body);
        assert_int_equal(ttrpc_client_recv_frame(c, 5000, &f), 0);
        ttrpc_header_encode(&f.header, hdr);
        assert_memory_equal(hdr, want, sizeof(hdr));
        assert_int_equal(f.header.length, 6);
        assert_memory_equal(f.body, want + TTRPC_HEADER_SIZE, 6);
        free(f.body);
        ttrpc_client_free(c);
}

static void test_guest_details_real_data(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        Grpc__GuestDetailsRequest req = GRPC__GUEST_DETAILS_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };
        Grpc__GuestDetailsResponse *d;
        uint64_t want = 0;

        (void) state;
        req.mem_block_size = true;
        req.mem_hotplug_probe = true;
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "GetGuestDetails", &req.base,
                                           &grpc__guest_details_response__descriptor, 0, &resp,
                                           &st),
                         0);
        assert_int_equal(st.code, 0);
        d = (Grpc__GuestDetailsResponse *) resp;
        if (read_u64_file("/sys/devices/system/memory/block_size_bytes", 16, &want) < 0)
                want = 0;
        assert_int_equal(d->mem_block_size_bytes, want);
        assert_int_equal(d->support_mem_hotplug_probe,
                         access("/sys/devices/system/memory/probe", F_OK) == 0);
        assert_non_null(d->agent_details);
        assert_string_equal(d->agent_details->version, CATA_VERSION);
        assert_false(d->agent_details->init_daemon);
        protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_client_free(c);
}

/* 64 calls in flight on one connection, in several methods; each reply carries its id. */
static void test_64_outstanding(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        bool seen[64] = { false };
        static const char *const methods[] = { "Check", "Version" };

        (void) state;
        for (uint32_t i = 0; i < 64; i++) {
                size_t len;
                uint8_t *body = request_body("grpc.Health", methods[i % 2], NULL, 0, 0, &len);
                send_frame(c, 2 * i + 1, TTRPC_TYPE_REQUEST, 0, body, len);
                free(body);
        }
        for (int i = 0; i < 64; i++) {
                struct ttrpc_status st = { 0 };
                uint32_t id = recv_response(c, 5000, &st);
                assert_int_equal(st.code, 0);
                assert_true(id % 2 == 1 && id < 128);
                assert_false(seen[id / 2]);
                seen[id / 2] = true;
                ttrpc_status_done(&st);
        }
        assert_check_ok(c);
        ttrpc_client_free(c);
}

static void *client_thread(void *arg)
{
        struct ttrpc_client *c = arg;

        for (int i = 0; i < 50; i++)
                assert_check_ok(c);
        return NULL;
}

static void test_many_connections(void **state)
{
        struct ttrpc_client *c[8];
        pthread_t t[8];

        (void) state;
        for (int i = 0; i < 8; i++)
                c[i] = agent_connect(&agent);
        for (int i = 0; i < 8; i++)
                assert_int_equal(pthread_create(&t[i], NULL, client_thread, c[i]), 0);
        for (int i = 0; i < 8; i++) {
                pthread_join(t[i], NULL);
                ttrpc_client_free(c[i]);
        }
}

static void test_even_stream_id(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };

        (void) state;
        assert_int_equal(raw_call(c, 2, "grpc.Health", "Check", NULL, 0, 0, &st), 2);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        assert_string_equal(st.message, "stream id must be odd");
        ttrpc_status_done(&st);
        assert_int_equal(raw_call(c, 0, "grpc.Health", "Check", NULL, 0, 0, &st), 0);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        ttrpc_status_done(&st);
        assert_check_ok(c);
        ttrpc_client_free(c);
}

/* A frame over 4 MiB is discarded, answered on its stream, and the connection stays usable. */
static void test_oversize_then_good_call(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };
        size_t big = TTRPC_MESSAGE_LENGTH_MAX + 1;
        uint8_t *junk = xzalloc(big);
        uint8_t hdr[TTRPC_HEADER_SIZE];
        struct ttrpc_header h = { .length = (uint32_t) big, .stream_id = 5, .type = 1 };

        (void) state;
        ttrpc_header_encode(&h, hdr);
        assert_int_equal(ttrpc_client_send_raw(c, hdr, sizeof(hdr)), 0);
        assert_int_equal(ttrpc_client_send_raw(c, junk, big), 0);
        free(junk);
        assert_int_equal(recv_response(c, 10000, &st), 5);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "exceed maximum message size of 4194304"));
        ttrpc_status_done(&st);
        assert_check_ok(c);
        ttrpc_client_free(c);
}

static void test_garbage_envelope_and_payload(void **state)
{
        static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x13 };
        static const uint8_t bad_payload[] = { 0x0a, 0xff };
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };

        (void) state;
        send_frame(c, 7, TTRPC_TYPE_REQUEST, 0, garbage, sizeof(garbage));
        assert_int_equal(recv_response(c, 5000, &st), 7);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "unmarshal request"));
        ttrpc_status_done(&st);
        raw_call(c, 9, "grpc.AgentService", "GetGuestDetails", bad_payload, sizeof(bad_payload), 0,
                 &st);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "cannot decode"));
        ttrpc_status_done(&st);
        assert_check_ok(c);
        ttrpc_client_free(c);
}

static void test_unknown_service_and_method(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };

        (void) state;
        raw_call(c, 1, "grpc.Nope", "Check", NULL, 0, 0, &st);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        assert_string_equal(st.message, "grpc.Nope service does not exist");
        ttrpc_status_done(&st);
        raw_call(c, 3, "grpc.Health", "Nope", NULL, 0, 0, &st);
        assert_int_equal(st.code, RPC_UNIMPLEMENTED);
        assert_string_equal(st.message, "Nope method");
        ttrpc_status_done(&st);
        ttrpc_client_free(c);
}

/* Every RPC of the schema without an implementation says UNIMPLEMENTED with its name: no fake
 * successes. The implemented ones answer something else (here mostly a validation error for the
 * empty request). */
static void test_unimplemented_rpcs_named(void **state)
{
        const ProtobufCServiceDescriptor *svc = &grpc__agent_service__descriptor;
        struct ttrpc_client *c = agent_connect(&agent);
        uint32_t id = 1;
        unsigned unimplemented = 0, implemented = 0;

        (void) state;
        assert_int_equal(svc->n_methods, 42);
        for (unsigned i = 0; i < svc->n_methods; i++) {
                const char *m = svc->methods[i].name;
                struct ttrpc_status st = { 0 };
                char want[128];

                /* Implemented, and tested where they belong: DestroySandbox ends the agent's
                 * service, GetOOMEvent waits for an OOM kill, an empty SetGuestDateTime would
                 * set this machine's clock to 1970. */
                if (streq(m, "DestroySandbox") || streq(m, "GetOOMEvent") ||
                    streq(m, "SetGuestDateTime")) {
                        implemented++;
                        continue;
                }
                raw_call(c, id, "grpc.AgentService", m, NULL, 0, 0, &st);
                id += 2;
                snprintf(want, sizeof(want), "/grpc.AgentService/%s", m);
                if (rpc_dispatch_find_handler("grpc.AgentService", m)) {
                        assert_int_not_equal(st.code, RPC_UNIMPLEMENTED);
                        implemented++;
                } else {
                        assert_int_equal(st.code, RPC_UNIMPLEMENTED);
                        assert_non_null(strstr(st.message, want));
                        unimplemented++;
                }
                ttrpc_status_done(&st);
        }
        assert_int_equal(implemented + unimplemented, 42);
        assert_true(implemented >= 16);
        ttrpc_client_free(c);
}

static void test_truncated_frame_disconnect(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        size_t len;
        uint8_t *body = request_body("grpc.Health", "Check", NULL, 0, 0, &len);
        uint8_t hdr[TTRPC_HEADER_SIZE];
        struct ttrpc_header h = { .length = (uint32_t) len, .stream_id = 1, .type = 1 };

        (void) state;
        ttrpc_header_encode(&h, hdr);
        assert_int_equal(ttrpc_client_send_raw(c, hdr, sizeof(hdr)), 0);
        assert_int_equal(ttrpc_client_send_raw(c, body, len - 3), 0);
        free(body);
        ttrpc_client_free(c);
        /* Also a half header. */
        c = agent_connect(&agent);
        assert_int_equal(ttrpc_client_send_raw(c, hdr, 4), 0);
        ttrpc_client_free(c);
        c = agent_connect(&agent);
        assert_check_ok(c);
        ttrpc_client_free(c);
        agent_proc_assert_alive(&agent);
}

static void test_one_byte_writes(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };
        size_t len;
        uint8_t *body = request_body("grpc.Health", "Version", NULL, 0, 0, &len);
        uint8_t *frame = xmalloc(TTRPC_HEADER_SIZE + len);
        struct ttrpc_header h = { .length = (uint32_t) len, .stream_id = 11, .type = 1 };

        (void) state;
        ttrpc_header_encode(&h, frame);
        memcpy(frame + TTRPC_HEADER_SIZE, body, len);
        for (size_t i = 0; i < TTRPC_HEADER_SIZE + len; i++) {
                assert_int_equal(ttrpc_client_send_raw(c, frame + i, 1), 0);
                usleep(200);
        }
        assert_int_equal(recv_response(c, 5000, &st), 11);
        assert_int_equal(st.code, 0);
        ttrpc_status_done(&st);
        free(body);
        free(frame);
        ttrpc_client_free(c);
}

static void test_deadline_and_odd_frames(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };

        (void) state;
        /* A deadline already passed (the Go client can send <= 0). */
        raw_call(c, 1, "grpc.Health", "Check", NULL, 0, -1, &st);
        assert_int_equal(st.code, RPC_DEADLINE_EXCEEDED);
        ttrpc_status_done(&st);
        /* Data frames: unary-only server. */
        send_frame(c, 3, TTRPC_TYPE_DATA, 0, (const uint8_t *) "x", 1);
        assert_int_equal(recv_response(c, 5000, &st), 3);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        ttrpc_status_done(&st);
        /* Unknown types and stray Responses are ignored: the next reply is for the next call. */
        send_frame(c, 5, 0x7f, 0, (const uint8_t *) "zz", 2);
        send_frame(c, 7, TTRPC_TYPE_RESPONSE, 0, NULL, 0);
        assert_int_equal(raw_call(c, 9, "grpc.Health", "Check", NULL, 0, 0, &st), 9);
        assert_int_equal(st.code, 0);
        ttrpc_status_done(&st);
        ttrpc_client_free(c);
}

/* A client that sends far more requests than it reads replies for: the agent stops reading from
 * it once its reply queue holds TTRPC_CONN_WQ_HIGH (bounded memory), keeps serving others, and
 * every reply still arrives, in order. */
struct flood {
        struct ttrpc_client *c;
        uint8_t *buf;
        size_t len;
};

static void *flood_sender(void *arg)
{
        struct flood *f = arg;
        assert_int_equal(ttrpc_client_send_raw(f->c, f->buf, f->len), 0);
        return NULL;
}

static void test_unread_replies_bounded(void **state)
{
        const uint32_t n = 400000; /* ~19 MiB of replies: past the 16 MiB mark */
        struct flood f = { .c = agent_connect(&agent) };
        struct ttrpc_client *other;
        size_t len, off = 0;
        uint8_t *body = request_body("grpc.AgentService", "GetGuestDetails", NULL, 0, 0, &len);
        long rss_before = agent_proc_rss_kib(&agent), rss_flooded;
        pthread_t t;

        (void) state;
        f.len = (size_t) n * (TTRPC_HEADER_SIZE + len);
        f.buf = xmalloc(f.len);
        for (uint32_t i = 0; i < n; i++) {
                struct ttrpc_header h = { .length = (uint32_t) len,
                                          .stream_id = 2 * i + 1,
                                          .type = 1 };
                ttrpc_header_encode(&h, f.buf + off);
                memcpy(f.buf + off + TTRPC_HEADER_SIZE, body, len);
                off += TTRPC_HEADER_SIZE + len;
        }
        free(body);
        assert_int_equal(pthread_create(&t, NULL, flood_sender, &f), 0);
        /* Wait until the agent's memory stops growing: it has either stopped reading (capped)
         * or swallowed everything. */
        rss_flooded = agent_proc_rss_kib(&agent);
        for (int stable = 0, i = 0; stable < 3 && i < 100; i++) {
                long now;
                usleep(200000);
                now = agent_proc_rss_kib(&agent);
                stable = now - rss_flooded < 256 ? stable + 1 : 0;
                rss_flooded = now;
        }
        other = agent_connect(&agent);
        assert_check_ok(other);
        ttrpc_client_free(other);
        /* 16 MiB of queue plus read buffers and allocator slack, never the whole 19+ MiB flood
         * plus its requests. */
        print_message("agent VmRSS %ld KiB before, %ld KiB with the flood queued\n", rss_before,
                      rss_flooded);
        if (!getenv("CATA_SANITIZED"))
                assert_true(rss_flooded - rss_before < 28 * 1024);
        for (uint32_t i = 0; i < n; i++) {
                struct ttrpc_status st = { 0 };
                assert_int_equal(recv_response(f.c, 10000, &st), 2 * i + 1);
                assert_int_equal(st.code, 0);
                ttrpc_status_done(&st);
        }
        pthread_join(t, NULL);
        free(f.buf);
        ttrpc_client_free(f.c);
}

/* GetMetrics: real Prometheus text; the agent is one thread (an invariant, see design.md). */
static void test_metrics(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };
        const char *text;

        (void) state;
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "GetMetrics", &req.base,
                                           &grpc__metrics__descriptor, 0, &resp, &st),
                         0);
        assert_int_equal(st.code, 0);
        text = ((Grpc__Metrics *) resp)->metrics;
        assert_non_null(strstr(text, "\nkata_agent_threads 1\n"));
        assert_non_null(strstr(text, "# TYPE kata_agent_total_rss gauge\n"));
        assert_non_null(strstr(text, "kata_guest_meminfo{item=\"mem_total\"} "));
        /* The Rust agent's other families (src/guest/procstats.c, unit-tested on fixtures). */
        for (const char *const *f =
                     (const char *const[]){
                             "kata_agent_total_time ", "kata_agent_proc_status{item=\"vmrss\"} ",
                             "kata_agent_proc_stat{item=\"utime\"} ",
                             "kata_guest_tasks{item=\"max\"} ",
                             "kata_guest_cpu_time{cpu=\"total\",item=\"user\"} ",
                             "kata_guest_vm_stat{item=\"nr_free_pages\"} ",
                             "kata_guest_netdev_stat{interface=\"lo\",item=\"recv_bytes\"} ",
                             "# TYPE kata_guest_diskstat gauge",
                             "# TYPE kata_guest_filesystem_bytes gauge", NULL };
             *f; f++)
                if (!strstr(text, *f))
                        fail_msg("GetMetrics lacks `%s`", *f);
        assert_non_null(strstr(text, "\ncata_agent_connections "));
        protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_client_free(c);
}

static void test_duplicate_live_stream_id(void **state)
{
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };

        (void) state;
        /* Ids may be reused once a call finished (the Rust server does not check order). */
        assert_int_equal(raw_call(c, 1, "grpc.Health", "Check", NULL, 0, 0, &st), 1);
        assert_int_equal(st.code, 0);
        ttrpc_status_done(&st);
        assert_int_equal(raw_call(c, 1, "grpc.Health", "Check", NULL, 0, 0, &st), 1);
        assert_int_equal(st.code, 0);
        ttrpc_status_done(&st);
        ttrpc_client_free(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_and_version),
                cmocka_unit_test(test_check_reply_bytes),
                cmocka_unit_test(test_guest_details_real_data),
                cmocka_unit_test(test_64_outstanding),
                cmocka_unit_test(test_many_connections),
                cmocka_unit_test(test_even_stream_id),
                cmocka_unit_test(test_oversize_then_good_call),
                cmocka_unit_test(test_garbage_envelope_and_payload),
                cmocka_unit_test(test_unknown_service_and_method),
                cmocka_unit_test(test_unimplemented_rpcs_named),
                cmocka_unit_test(test_truncated_frame_disconnect),
                cmocka_unit_test(test_one_byte_writes),
                cmocka_unit_test(test_deadline_and_odd_frames),
                cmocka_unit_test(test_unread_replies_bounded),
                cmocka_unit_test(test_duplicate_live_stream_id),
                cmocka_unit_test(test_metrics),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
