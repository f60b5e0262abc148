/* SPDX-License-Identifier: Apache-2.0 */
/* The park / complete / cancel mechanism of calls, on a real loop and a socketpair. */
#include "cm.h"

#include "agent/agent.h"
#include "agent.pb-c.h"
#include "base/util.h"
#include "rpc/call.h"
#include "ttrpc/client.h"
#include "ttrpc/status.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct fixture {
        struct agent agent;
        struct loop *loop;
        struct rpc_session *s;
        int peer;
        struct ttrpc_decoder dec;
        struct list_node waiters;
        int cancelled;
        int closed;
};

static void on_closed(struct rpc_session *s, void *userdata)
{
        struct fixture *f = userdata;
        (void) s;
        f->closed++;
        f->s = NULL;
}

static void on_cancel(struct rpc_call *call, void *data)
{
        struct fixture *f = data;
        (void) call;
        f->cancelled++;
}

static int setup(void **state)
{
        struct fixture *f = xzalloc(sizeof(*f));
        int sv[2];

        assert_int_equal(loop_new(&f->loop), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        f->agent.loop = f->loop;
        list_init(&f->agent.sessions);
        list_init(&f->waiters);
        assert_int_equal(rpc_session_new(f->loop, &f->agent, sv[0], on_closed, f, &f->s), 0);
        f->peer = sv[1];
        ttrpc_decoder_init(&f->dec, TTRPC_MESSAGE_LENGTH_MAX);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        rpc_session_free(f->s);
        (void) loop_run_once(f->loop, 0);
        if (f->peer >= 0)
                close(f->peer);
        ttrpc_decoder_done(&f->dec);
        loop_free(f->loop);
        free(f);
        return 0;
}

/* Runs the loop until a Response arrives at the peer or wait_ms passes. Returns 1 if one did. */
static int next_reply(struct fixture *f, int wait_ms, uint32_t *ret_id, int *ret_code,
                      char **ret_msg)
{
        uint64_t end = now_ns() + (uint64_t) wait_ms * 1000000ull;

        while (now_ns() < end) {
                struct pollfd p = { .fd = f->peer, .events = POLLIN };
                (void) loop_run_once(f->loop, 5);
                if (poll(&p, 1, 0) == 1) {
                        uint8_t b;
                        enum ttrpc_decode_event ev;
                        struct ttrpc_frame fr;
                        if (read(f->peer, &b, 1) != 1)
                                return 0;
                        ttrpc_decoder_feed(&f->dec, &b, 1, &ev, &fr);
                        if (ev == TTRPC_DECODE_FRAME) {
                                struct ttrpc_status st = { 0 };
                                uint8_t *payload = NULL;
                                size_t plen;
                                assert_int_equal(ttrpc_response_decode(fr.body, fr.header.length,
                                                                       &st, &payload, &plen),
                                                 0);
                                *ret_id = fr.header.stream_id;
                                *ret_code = st.code;
                                *ret_msg = xstrdup(st.message ? st.message : "");
                                ttrpc_status_done(&st);
                                free(payload);
                                free(fr.body);
                                return 1;
                        }
                }
        }
        return 0;
}

static void test_park_then_complete(void **state)
{
        struct fixture *f = *state;
        _cleanup_error_ struct agent_error *err = NULL;
        struct rpc_call *call = rpc_call_new(f->s, 7, "test/Park", NULL, 0);
        uint32_t id;
        int code;
        char *msg;

        assert_int_equal(rpc_call_park(call, &f->waiters, on_cancel, f, &err), 0);
        assert_int_equal(f->s->n_parked, 1);
        assert_int_equal(next_reply(f, 50, &id, &code, &msg), 0); /* parked: no reply yet */
        call = rpc_call_from_park_node(f->waiters.next);
        rpc_call_reply(call, NULL);
        assert_true(list_empty(&f->waiters));
        assert_int_equal(f->s->n_parked, 0);
        assert_int_equal(next_reply(f, 1000, &id, &code, &msg), 1);
        assert_int_equal(id, 7);
        assert_int_equal(code, RPC_OK);
        free(msg);
        assert_int_equal(f->cancelled, 0);
}

static void test_deadline_cancels_and_replies(void **state)
{
        struct fixture *f = *state;
        _cleanup_error_ struct agent_error *err = NULL;
        struct rpc_call *call = rpc_call_new(f->s, 9, "test/Park", NULL, 20 * 1000000);
        uint32_t id;
        int code;
        char *msg;

        assert_int_equal(rpc_call_park(call, &f->waiters, on_cancel, f, &err), 0);
        assert_int_equal(next_reply(f, 2000, &id, &code, &msg), 1);
        assert_int_equal(id, 9);
        assert_int_equal(code, RPC_DEADLINE_EXCEEDED);
        assert_string_equal(msg, "timeout");
        free(msg);
        assert_int_equal(f->cancelled, 1);
        assert_true(list_empty(&f->waiters));
        assert_int_equal(rpc_session_n_calls(f->s), 0);
}

static void test_disconnect_cancels_without_reply(void **state)
{
        struct fixture *f = *state;
        _cleanup_error_ struct agent_error *err = NULL;

        for (uint32_t i = 0; i < 3; i++) {
                struct rpc_call *call = rpc_call_new(f->s, 2 * i + 1, "test/Park", NULL, 0);
                assert_int_equal(rpc_call_park(call, &f->waiters, on_cancel, f, &err), 0);
        }
        close(f->peer);
        f->peer = -1;
        for (int i = 0; i < 20 && !f->closed; i++)
                (void) loop_run_once(f->loop, 10);
        assert_int_equal(f->closed, 1);
        assert_int_equal(f->cancelled, 3);
        assert_true(list_empty(&f->waiters));
}

static void test_park_cap(void **state)
{
        struct fixture *f = *state;
        _cleanup_error_ struct agent_error *err = NULL;
        struct rpc_call *extra;
        uint32_t id;
        int code;
        char *msg;

        for (uint32_t i = 0; i < RPC_SESSION_MAX_PARKED; i++) {
                struct rpc_call *call = rpc_call_new(f->s, 2 * i + 1, "test/Park", NULL, 0);
                assert_int_equal(rpc_call_park(call, &f->waiters, on_cancel, f, &err), 0);
        }
        extra = rpc_call_new(f->s, 99999, "test/Park", NULL, 0);
        assert_int_equal(rpc_call_park(extra, &f->waiters, on_cancel, f, &err), -EMFILE);
        assert_non_null(err);
        rpc_call_reply_error(extra, err);
        assert_int_equal(next_reply(f, 1000, &id, &code, &msg), 1);
        assert_int_equal(id, 99999);
        assert_int_equal(code, RPC_RESOURCE_EXHAUSTED);
        assert_non_null(strstr(msg, "too many waiting calls"));
        free(msg);
        assert_int_equal(f->s->n_parked, RPC_SESSION_MAX_PARKED);
}

static void test_error_reply_maps_errno(void **state)
{
        struct fixture *f = *state;
        _cleanup_error_ struct agent_error *err = NULL;
        struct rpc_call *call = rpc_call_new(f->s, 5, "test/Err", NULL, 0);
        uint32_t id;
        int code;
        char *msg;

        agent_error_set(&err, ENOENT, "container `%s`", "abc");
        rpc_call_reply_error(call, err);
        assert_int_equal(next_reply(f, 1000, &id, &code, &msg), 1);
        assert_int_equal(code, RPC_NOT_FOUND);
        assert_string_equal(msg, "container `abc`: No such file or directory");
        free(msg);
}

/* Reads exactly len bytes from the peer, running the loop so that queued frames get written. */
static void peer_read(struct fixture *f, uint8_t *buf, size_t len)
{
        size_t got = 0;

        while (got < len) {
                struct pollfd p = { .fd = f->peer, .events = POLLIN };
                ssize_t n;

                (void) loop_run_once(f->loop, 5);
                if (poll(&p, 1, 0) != 1)
                        continue;
                n = read(f->peer, buf + got, len - got);
                assert_true(n > 0);
                got += (size_t) n;
        }
}

/* One whole frame from the peer, header included. */
static uint8_t *peer_frame(struct fixture *f, size_t *ret_len)
{
        uint8_t head[TTRPC_HEADER_SIZE], *frame;
        struct ttrpc_header h;

        peer_read(f, head, sizeof(head));
        ttrpc_header_decode(head, &h);
        frame = xmalloc(sizeof(head) + h.length);
        memcpy(frame, head, sizeof(head));
        peer_read(f, frame + sizeof(head), h.length);
        *ret_len = sizeof(head) + h.length;
        return frame;
}

/* The relay's reply, assembled around data in two pieces, is byte for byte what packing the
 * ReadStreamResponse with protobuf-c gives, at every varint length boundary. */
static void test_reply_bytes_matches_packed(void **state)
{
        static const size_t lens[] = { 0, 1, 127, 128, 16383, 16384, 65536, 300000 };
        struct fixture *f = *state;
        uint8_t *data = xmalloc(300000);

        for (size_t i = 0; i < 300000; i++)
                data[i] = (uint8_t) (i * 7 + 3);
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                Grpc__ReadStreamResponse resp = GRPC__READ_STREAM_RESPONSE__INIT;
                size_t split = lens[i] / 3, want_len, got_len;
                uint8_t *want, *got;

                resp.data.data = data;
                resp.data.len = lens[i];
                rpc_call_reply(rpc_call_new(f->s, 11, "test/Read", NULL, 0), &resp.base);
                want = peer_frame(f, &want_len);
                rpc_call_reply_bytes(rpc_call_new(f->s, 11, "test/Read", NULL, 0), 1, data, split,
                                     data + split, lens[i] - split);
                got = peer_frame(f, &got_len);
                assert_int_equal(got_len, want_len);
                assert_memory_equal(got, want, want_len);
                free(want);
                free(got);
        }
        free(data);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_park_then_complete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deadline_cancels_and_replies, setup, teardown),
                cmocka_unit_test_setup_teardown(test_disconnect_cancels_without_reply, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_park_cap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_reply_maps_errno, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reply_bytes_matches_packed, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
