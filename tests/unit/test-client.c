/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The blocking ttRPC client against a socketpair whose far end the test drives: either the
 * expected frames are written before the call (they sit in the socket buffer), or a forked child
 * plays a slow or misbehaving server. Also the frame decoder and ttrpc_response_decode().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"
#include "ttrpc/status.h"

#include "health.pb-c.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX TTRPC_MESSAGE_LENGTH_MAX

/* Response{status{}, payload=HealthCheckResponse{SERVING}}: the Rust agent's reply (§1.12). */
static const uint8_t resp_serving[] = { 0x0a, 0x00, 0x12, 0x02, 0x08, 0x01 };
/* Response{status{code=UNIMPLEMENTED, message="nope"}} */
static const uint8_t resp_unimpl[] = { 0x0a, 0x08, 0x08, 0x0c, 0x12, 0x04, 'n', 'o', 'p', 'e' };

/* Request{service="grpc.Health", method="Check"} on stream 1: §1.12 without timeout_nano. */
static const uint8_t req_check_1[] = {
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x0a, 0x0b, 'g', 'r', 'p',
        'c',  '.',  'H',  'e',  'a',  'l',  't',  'h',  0x12, 0x05, 'C',  'h',  'e', 'c', 'k',
};

struct fixture {
        struct ttrpc_client *c;
        int peer;
};

static int setup(void **state)
{
        struct fixture *fx = xzalloc(sizeof(*fx));
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        fx->c = ttrpc_client_new_fd(sv[0]);
        fx->peer = sv[1];
        *state = fx;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *fx = *state;

        ttrpc_client_free(fx->c);
        (void) close_and_reset(&fx->peer);
        free(fx);
        return 0;
}

static void write_all_fd(int fd, const void *buf, size_t len)
{
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(99); /* also used in forked children: no cmocka there */
                p += n;
                len -= (size_t) n;
        }
}

static void write_frame(int fd, uint32_t sid, uint8_t type, const uint8_t *body, uint32_t len)
{
        _cleanup_free_ uint8_t *buf = NULL;
        size_t n;

        buf = ttrpc_frame_encode(sid, type, 0, body, len, &n);
        write_all_fd(fd, buf, n);
}

/* Reads exactly len bytes or fails the test after a second. */
static void read_exact(int fd, uint8_t *buf, size_t len)
{
        while (len > 0) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                assert_int_equal(poll(&p, 1, 1000), 1);
                n = read(fd, buf, len);
                assert_true(n > 0);
                buf += n;
                len -= (size_t) n;
        }
}

/* Reads one Request frame from the peer side; returns the body (free()). */
static uint8_t *read_request(int fd, struct ttrpc_header *h)
{
        uint8_t hdr[TTRPC_HEADER_SIZE];
        uint8_t *body;

        read_exact(fd, hdr, sizeof(hdr));
        ttrpc_header_decode(hdr, h);
        assert_int_equal(h->type, TTRPC_TYPE_REQUEST);
        assert_int_equal(h->flags, 0);
        assert_true(h->length <= MAX);
        body = xmalloc(h->length);
        read_exact(fd, body, h->length);
        return body;
}

static void assert_nothing_sent(int fd)
{
        uint8_t b;

        assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT), -1);
        assert_int_equal(errno, EAGAIN);
}

static int call_check(struct ttrpc_client *c, int64_t timeout_ns, Grpc__HealthCheckResponse **resp,
                      struct ttrpc_status *st)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;

        return ttrpc_client_call(c, "grpc.Health", "Check", &req.base,
                                 &grpc__health_check_response__descriptor, timeout_ns,
                                 (ProtobufCMessage **) resp, st);
}

static void reap(pid_t pid)
{
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- frame header and decoder --- */

static void test_header_roundtrip(void **state)
{
        struct ttrpc_header h = { 0x00123456, 0xa0b0c0d1, TTRPC_TYPE_RESPONSE, 0x05 }, back;
        static const uint8_t want[] = {
                0x00, 0x12, 0x34, 0x56, 0xa0, 0xb0, 0xc0, 0xd1, 0x02, 0x05
        };
        uint8_t buf[TTRPC_HEADER_SIZE];

        (void) state;
        ttrpc_header_encode(&h, buf);
        assert_memory_equal(buf, want, sizeof(want));
        ttrpc_header_decode(buf, &back);
        assert_int_equal(back.length, h.length);
        assert_int_equal(back.stream_id, h.stream_id);
        assert_int_equal(back.type, h.type);
        assert_int_equal(back.flags, h.flags);
}

static void test_decoder_byte_at_a_time(void **state)
{
        _cleanup_free_ uint8_t *a = NULL, *b = NULL, *all = NULL;
        struct ttrpc_decoder d;
        size_t alen, blen, frames = 0;

        (void) state;
        a = ttrpc_frame_encode(7, TTRPC_TYPE_RESPONSE, 0, (const uint8_t *) "hello", 5, &alen);
        b = ttrpc_frame_encode(9, TTRPC_TYPE_RESPONSE, 0, (const uint8_t *) "xy", 2, &blen);
        all = xmalloc(alen + blen);
        memcpy(all, a, alen);
        memcpy(all + alen, b, blen);

        ttrpc_decoder_init(&d, MAX);
        for (size_t i = 0; i < alen + blen; i++) {
                enum ttrpc_decode_event ev;
                struct ttrpc_frame f = { 0 };

                assert_int_equal(ttrpc_decoder_feed(&d, all + i, 1, &ev, &f), 1);
                if (i + 1 == alen || i + 1 == alen + blen) {
                        assert_int_equal(ev, TTRPC_DECODE_FRAME);
                        assert_false(ttrpc_decoder_mid_frame(&d));
                        assert_int_equal(f.header.stream_id, frames == 0 ? 7 : 9);
                        assert_memory_equal(f.body, frames == 0 ? "hello" : "xy", f.header.length);
                        free(f.body);
                        frames++;
                } else {
                        assert_int_equal(ev, TTRPC_DECODE_NEED_MORE);
                        assert_true(ttrpc_decoder_mid_frame(&d));
                }
        }
        assert_int_equal(frames, 2);
        ttrpc_decoder_done(&d);
}

static void test_decoder_zero_length(void **state)
{
        uint8_t two[2 * TTRPC_HEADER_SIZE];
        struct ttrpc_header h = { 0, 3, TTRPC_TYPE_RESPONSE, 0 };
        struct ttrpc_decoder d;
        enum ttrpc_decode_event ev;
        struct ttrpc_frame f = { 0 };

        (void) state;
        ttrpc_header_encode(&h, two);
        h.stream_id = 5;
        ttrpc_header_encode(&h, two + TTRPC_HEADER_SIZE);
        ttrpc_decoder_init(&d, MAX);

        /* The decoder stops after each frame even when more input follows. */
        assert_int_equal(ttrpc_decoder_feed(&d, two, sizeof(two), &ev, &f), TTRPC_HEADER_SIZE);
        assert_int_equal(ev, TTRPC_DECODE_FRAME);
        assert_int_equal(f.header.stream_id, 3);
        assert_int_equal(f.header.length, 0);
        assert_non_null(f.body);
        free(f.body);
        assert_int_equal(
                ttrpc_decoder_feed(&d, two + TTRPC_HEADER_SIZE, TTRPC_HEADER_SIZE, &ev, &f),
                TTRPC_HEADER_SIZE);
        assert_int_equal(ev, TTRPC_DECODE_FRAME);
        assert_int_equal(f.header.stream_id, 5);
        free(f.body);
        ttrpc_decoder_done(&d);
}

static void test_decoder_oversize_skipped(void **state)
{
        struct ttrpc_header h = { MAX + 1, 11, TTRPC_TYPE_REQUEST, 0 };
        _cleanup_free_ uint8_t *zeros = xzalloc(65536), *next = NULL;
        uint8_t hdr[TTRPC_HEADER_SIZE];
        enum ttrpc_decode_event ev;
        struct ttrpc_frame f = { 0 };
        struct ttrpc_decoder d;
        size_t left = MAX + 1, nlen;

        (void) state;
        ttrpc_header_encode(&h, hdr);
        ttrpc_decoder_init(&d, MAX);
        assert_int_equal(ttrpc_decoder_feed(&d, hdr, sizeof(hdr), &ev, &f), sizeof(hdr));
        assert_int_equal(ev, TTRPC_DECODE_NEED_MORE);
        while (left > 0) {
                size_t n = left < 65536 ? left : 65536;

                assert_int_equal(ttrpc_decoder_feed(&d, zeros, n, &ev, &f), n);
                left -= n;
                assert_int_equal(ev, left ? TTRPC_DECODE_NEED_MORE : TTRPC_DECODE_OVERSIZE);
        }
        assert_int_equal(f.header.stream_id, 11);
        assert_int_equal(f.header.length, MAX + 1);
        assert_null(f.body);
        /* Skipping kept the stream in sync: the next frame decodes. */
        next = ttrpc_frame_encode(13, TTRPC_TYPE_REQUEST, 0, (const uint8_t *) "ok", 2, &nlen);
        assert_int_equal(ttrpc_decoder_feed(&d, next, nlen, &ev, &f), nlen);
        assert_int_equal(ev, TTRPC_DECODE_FRAME);
        assert_int_equal(f.header.stream_id, 13);
        assert_memory_equal(f.body, "ok", 2);
        free(f.body);
        ttrpc_decoder_done(&d);
}

/* --- ttrpc_response_decode --- */

static void test_response_decode_ok(void **state)
{
        struct ttrpc_status st = { 0 };
        uint8_t *payload = NULL;
        size_t len = 0;

        (void) state;
        assert_int_equal(
                ttrpc_response_decode(resp_serving, sizeof(resp_serving), &st, &payload, &len), 0);
        assert_int_equal(st.code, RPC_OK);
        assert_null(st.message);
        assert_int_equal(len, 2);
        assert_memory_equal(payload, "\x08\x01", 2);
        free(payload);
}

static void test_response_decode_missing_status(void **state)
{
        static const uint8_t body[] = { 0x12, 0x02, 0x08, 0x01 };
        struct ttrpc_status st = { .code = 42 };
        uint8_t *payload = NULL;
        size_t len = 0;

        (void) state;
        assert_int_equal(ttrpc_response_decode(body, sizeof(body), &st, &payload, &len), 0);
        assert_int_equal(st.code, RPC_OK);
        assert_int_equal(len, 2);
        free(payload);

        /* An empty body is a Response with neither: OK, no payload. */
        assert_int_equal(ttrpc_response_decode(body, 0, &st, &payload, &len), 0);
        assert_int_equal(st.code, RPC_OK);
        assert_null(payload);
        assert_int_equal(len, 0);
}

static void test_response_decode_error(void **state)
{
        struct ttrpc_status st = { 0 };
        uint8_t *payload = (uint8_t *) "x";
        size_t len = 7;

        (void) state;
        assert_int_equal(
                ttrpc_response_decode(resp_unimpl, sizeof(resp_unimpl), &st, &payload, &len), 0);
        assert_int_equal(st.code, RPC_UNIMPLEMENTED);
        assert_string_equal(st.message, "nope");
        assert_null(payload);
        assert_int_equal(len, 0);
        ttrpc_status_done(&st);
        assert_null(st.message);
}

static void test_response_decode_garbage(void **state)
{
        static const uint8_t bad[] = { 0x0a, 0x05, 0x08 }; /* length runs past the end */
        struct ttrpc_status st = { 0 };

        (void) state;
        assert_int_equal(ttrpc_response_decode(bad, sizeof(bad), &st, NULL, NULL), -EBADMSG);
}

/* --- the client --- */

static void test_call_check_bytes(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        uint8_t got[sizeof(req_check_1)];

        write_frame(fx->peer, 1, TTRPC_TYPE_RESPONSE, resp_serving, sizeof(resp_serving));
        assert_int_equal(call_check(fx->c, 0, &resp, &st), 0);
        assert_int_equal(st.code, RPC_OK);
        assert_non_null(resp);
        assert_int_equal(resp->status, GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(&resp->base, NULL);

        read_exact(fx->peer, got, sizeof(got));
        assert_memory_equal(got, req_check_1, sizeof(req_check_1));
        assert_nothing_sent(fx->peer);
}

static void test_call_stream_ids(void **state)
{
        struct fixture *fx = *state;

        /* All three replies in the buffer at once: one read() returns them together, and the
         * client must keep the rest for the next call. */
        for (uint32_t sid = 1; sid <= 5; sid += 2)
                write_frame(fx->peer, sid, TTRPC_TYPE_RESPONSE, resp_serving, sizeof(resp_serving));
        for (uint32_t sid = 1; sid <= 5; sid += 2) {
                Grpc__HealthCheckResponse *resp = NULL;
                struct ttrpc_status st = { 0 };
                struct ttrpc_header h;

                assert_int_equal(call_check(fx->c, 0, &resp, &st), 0);
                assert_int_equal(st.code, RPC_OK);
                protobuf_c_message_free_unpacked(&resp->base, NULL);
                free(read_request(fx->peer, &h));
                assert_int_equal(h.stream_id, sid);
        }
        assert_int_equal(ttrpc_client_next_stream_id(fx->c), 7);
}

static void test_call_error_status(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = (void *) 1;
        struct ttrpc_status st = { 0 };

        write_frame(fx->peer, 1, TTRPC_TYPE_RESPONSE, resp_unimpl, sizeof(resp_unimpl));
        assert_int_equal(call_check(fx->c, 0, &resp, &st), 0);
        assert_int_equal(st.code, RPC_UNIMPLEMENTED);
        assert_string_equal(st.message, "nope");
        assert_null(resp);
        ttrpc_status_done(&st);
}

static void test_call_bad_payload(void **state)
{
        static const uint8_t body[] = { 0x0a, 0x00, 0x12, 0x02, 0x08, 0x80 }; /* truncated varint */
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };

        write_frame(fx->peer, 1, TTRPC_TYPE_RESPONSE, body, sizeof(body));
        assert_int_equal(call_check(fx->c, 0, &resp, &st), -EBADMSG);
        assert_null(resp);
}

static void test_call_split_response(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                _cleanup_free_ uint8_t *f = NULL;
                uint8_t req[sizeof(req_check_1)];
                size_t n, got = 0;

                while (got < sizeof(req)) {
                        ssize_t k = read(fx->peer, req + got, sizeof(req) - got);
                        if (k <= 0)
                                _exit(1);
                        got += (size_t) k;
                }
                f = ttrpc_frame_encode(1, TTRPC_TYPE_RESPONSE, 0, resp_serving,
                                       sizeof(resp_serving), &n);
                /* One byte per write, with pauses, so the client sees many short reads. */
                for (size_t i = 0; i < n; i++) {
                        write_all_fd(fx->peer, f + i, 1);
                        usleep(2000);
                }
                _exit(0);
        }
        assert_int_equal(call_check(fx->c, 5 * 1000000000ll, &resp, &st), 0);
        assert_int_equal(st.code, RPC_OK);
        assert_int_equal(resp->status, GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        reap(pid);
}

/* The child reads the request, writes `partial` bytes of a reply, and closes its end. */
static pid_t closing_server(int peer, size_t partial)
{
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                _cleanup_free_ uint8_t *f = NULL;
                uint8_t req[sizeof(req_check_1)];
                size_t n, got = 0;

                while (got < sizeof(req)) {
                        ssize_t k = read(peer, req + got, sizeof(req) - got);
                        if (k <= 0)
                                _exit(1);
                        got += (size_t) k;
                }
                f = ttrpc_frame_encode(1, TTRPC_TYPE_RESPONSE, 0, resp_serving,
                                       sizeof(resp_serving), &n);
                write_all_fd(peer, f, partial);
                _exit(0);
        }
        return pid;
}

static void test_call_closed_mid_frame(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        pid_t pid;

        /* Five bytes: the connection dies inside the header. */
        pid = closing_server(fx->peer, 5);
        (void) close_and_reset(&fx->peer); /* the child holds the only other copy */
        assert_int_equal(call_check(fx->c, 0, &resp, &st), -ECONNRESET);
        reap(pid);
}

static void test_call_closed_mid_body(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        pid_t pid;

        pid = closing_server(fx->peer, TTRPC_HEADER_SIZE + 3);
        (void) close_and_reset(&fx->peer); /* the child holds the only other copy */
        assert_int_equal(call_check(fx->c, 0, &resp, &st), -ECONNRESET);
        assert_null(resp);
        reap(pid);
}

static void test_recv_closed_clean(void **state)
{
        struct fixture *fx = *state;
        struct ttrpc_frame f;

        (void) close_and_reset(&fx->peer);
        assert_int_equal(ttrpc_client_recv_frame(fx->c, 1000, &f), -ECONNRESET);
}

static void test_recv_timeout(void **state)
{
        struct fixture *fx = *state;
        struct ttrpc_frame f;
        uint64_t t0 = now_ns();

        assert_int_equal(ttrpc_client_recv_frame(fx->c, 50, &f), -ETIMEDOUT);
        assert_true(now_ns() - t0 >= 50 * 1000000ull);
        assert_int_equal(ttrpc_client_recv_frame(fx->c, 0, &f), -ETIMEDOUT);
}

static void test_call_timeout(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        _cleanup_free_ uint8_t *body = NULL;
        struct ttrpc_header h;
        uint64_t t0 = now_ns(), dt;

        /* timeout_nano = 1 ns is sent; the client waits that plus one second. */
        assert_int_equal(call_check(fx->c, 1, &resp, &st), -ETIMEDOUT);
        dt = now_ns() - t0;
        assert_true(dt >= 1000000000ull);
        assert_true(dt < 3000000000ull);
        body = read_request(fx->peer, &h);
        assert_int_equal(h.stream_id, 1);
        assert_int_equal(h.length, 0x14 + 2);
        assert_memory_equal(body, req_check_1 + TTRPC_HEADER_SIZE, 0x14);
        assert_memory_equal(body + 0x14, "\x20\x01", 2);
}

static void test_send_oversize(void **state)
{
        struct fixture *fx = *state;
        _cleanup_free_ uint8_t *big = xzalloc(MAX + 1);
        struct ttrpc_status st = { 0 };

        assert_int_equal(ttrpc_client_send_request(fx->c, 1, "s", "m", big, MAX + 1, 0), -EMSGSIZE);
        /* The payload fits, the envelope around it does not. */
        assert_int_equal(ttrpc_client_send_request(fx->c, 1, "s", "m", big, MAX, 0), -EMSGSIZE);
        assert_int_equal(ttrpc_client_call_raw(fx->c, "s", "m", big, MAX + 1, 0, &st, NULL, NULL),
                         -EMSGSIZE);
        assert_nothing_sent(fx->peer);
}

static void test_call_wrong_stream(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };

        write_frame(fx->peer, 3, TTRPC_TYPE_RESPONSE, resp_serving, sizeof(resp_serving));
        assert_int_equal(call_check(fx->c, 0, &resp, &st), -EPROTO);
        assert_null(resp);
}

static void test_call_skips_unknown_type(void **state)
{
        struct fixture *fx = *state;
        Grpc__HealthCheckResponse *resp = NULL;
        struct ttrpc_status st = { 0 };

        write_frame(fx->peer, 1, 0x7f, (const uint8_t *) "junk", 4);
        write_frame(fx->peer, 1, TTRPC_TYPE_RESPONSE, resp_serving, sizeof(resp_serving));
        assert_int_equal(call_check(fx->c, 0, &resp, &st), 0);
        assert_int_equal(st.code, RPC_OK);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void test_recv_oversize_frame(void **state)
{
        struct fixture *fx = *state;
        struct ttrpc_frame f = { 0 };
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct ttrpc_header h = { MAX + 1, 5, TTRPC_TYPE_RESPONSE, 0 };
                _cleanup_free_ uint8_t *zeros = xzalloc(MAX + 1);
                uint8_t hdr[TTRPC_HEADER_SIZE];

                ttrpc_header_encode(&h, hdr);
                write_all_fd(fx->peer, hdr, sizeof(hdr));
                write_all_fd(fx->peer, zeros, MAX + 1);
                write_frame(fx->peer, 7, TTRPC_TYPE_RESPONSE, resp_serving, sizeof(resp_serving));
                _exit(0);
        }
        assert_int_equal(ttrpc_client_recv_frame(fx->c, 5000, &f), -EMSGSIZE);
        assert_int_equal(f.header.stream_id, 5);
        assert_int_equal(f.header.length, MAX + 1);
        assert_null(f.body);
        assert_int_equal(ttrpc_client_recv_frame(fx->c, 5000, &f), 0);
        assert_int_equal(f.header.stream_id, 7);
        assert_int_equal(f.header.length, sizeof(resp_serving));
        assert_memory_equal(f.body, resp_serving, sizeof(resp_serving));
        free(f.body);
        reap(pid);
}

static void test_send_raw_and_request(void **state)
{
        struct fixture *fx = *state;
        _cleanup_free_ uint8_t *body = NULL;
        struct ttrpc_header h;
        uint8_t b[3];

        assert_int_equal(ttrpc_client_send_raw(fx->c, "abc", 3), 0);
        read_exact(fx->peer, b, 3);
        assert_memory_equal(b, "abc", 3);
        /* Explicit even id: the low-level API sends whatever the test asks for. */
        assert_int_equal(ttrpc_client_send_request(fx->c, 2, "grpc.Health", "Check", NULL, 0, 0),
                         0);
        body = read_request(fx->peer, &h);
        assert_int_equal(h.stream_id, 2);
        assert_memory_equal(body, req_check_1 + TTRPC_HEADER_SIZE, h.length);
}

static void test_connect_errors(void **state)
{
        struct ttrpc_client *c = NULL;

        (void) state;
        assert_int_equal(ttrpc_client_connect("bogus", &c), -EINVAL);
        assert_int_equal(ttrpc_client_connect("unix:///nonexistent-cata/x.sock", &c), -ENOENT);
        assert_null(c);
}

#define CLIENT_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_roundtrip),
                cmocka_unit_test(test_decoder_byte_at_a_time),
                cmocka_unit_test(test_decoder_zero_length),
                cmocka_unit_test(test_decoder_oversize_skipped),
                cmocka_unit_test(test_response_decode_ok),
                cmocka_unit_test(test_response_decode_missing_status),
                cmocka_unit_test(test_response_decode_error),
                cmocka_unit_test(test_response_decode_garbage),
                CLIENT_TEST(test_call_check_bytes),
                CLIENT_TEST(test_call_stream_ids),
                CLIENT_TEST(test_call_error_status),
                CLIENT_TEST(test_call_bad_payload),
                CLIENT_TEST(test_call_split_response),
                CLIENT_TEST(test_call_closed_mid_frame),
                CLIENT_TEST(test_call_closed_mid_body),
                CLIENT_TEST(test_recv_closed_clean),
                CLIENT_TEST(test_recv_timeout),
                CLIENT_TEST(test_call_timeout),
                CLIENT_TEST(test_send_oversize),
                CLIENT_TEST(test_call_wrong_stream),
                CLIENT_TEST(test_call_skips_unknown_type),
                CLIENT_TEST(test_recv_oversize_frame),
                CLIENT_TEST(test_send_raw_and_request),
                cmocka_unit_test(test_connect_errors),
        };

        /* A client that writes to a closed peer must get EPIPE, not die: the client uses
         * MSG_NOSIGNAL, and this keeps a regression from killing the whole run silently. */
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("ttrpc client", tests, NULL, NULL);
}
