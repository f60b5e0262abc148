/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Relaying a process's stdio the way Kata's shim does: one ReadStdout and one ReadStderr of 32 KiB
 * kept outstanding on the same connection, each re-issued as soon as it returns data, until both
 * return empty data (EOF); stdin is read from our stdin and sent with WriteStdin, then
 * CloseStdin. Finally WaitProcess. All calls share one connection, multiplexed by stream id.
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RELAY_READ_LEN (32u << 10)

enum { STREAM_OUT, STREAM_ERR, STREAM_IN, _STREAM_MAX };

struct relay {
        struct ctl_context *ctx;
        const char *cid, *eid;
        uint32_t sid[_STREAM_MAX]; /* outstanding call per stream, 0 = none */
        bool done[_STREAM_MAX];
};

static int send_msg(struct relay *rl, const char *method, const ProtobufCMessage *msg,
                    uint32_t *ret_sid)
{
        size_t len = protobuf_c_message_get_packed_size(msg);
        _cleanup_free_ uint8_t *buf = xmalloc(len ? len : 1);
        uint32_t sid = ttrpc_client_next_stream_id(rl->ctx->client);
        int r;

        protobuf_c_message_pack(msg, buf);
        r = ttrpc_client_send_request(rl->ctx->client, sid, "grpc.AgentService", method, buf, len,
                                      0);
        if (r < 0)
                return ctl_report_transport_error(rl->ctx, "grpc.AgentService", method, r);
        *ret_sid = sid;
        return 0;
}

static int issue_read(struct relay *rl, int stream)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;

        req.container_id = (char *) rl->cid;
        req.exec_id = (char *) rl->eid;
        req.len = RELAY_READ_LEN;
        return send_msg(rl, stream == STREAM_OUT ? "ReadStdout" : "ReadStderr", &req.base,
                        &rl->sid[stream]);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -errno;
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

/* A reply to one of our reads: print the data and ask again, or note EOF. */
static int on_read_reply(struct relay *rl, int stream, const uint8_t *payload, size_t len)
{
        Grpc__ReadStreamResponse *resp =
                grpc__read_stream_response__unpack(NULL, len, payload ? payload : (uint8_t *) "");
        int r = 0;

        rl->sid[stream] = 0;
        if (!resp)
                return EXIT_TRANSPORT;
        if (resp->data.len == 0) {
                rl->done[stream] = true;
        } else {
                (void) write_all(stream == STREAM_OUT ? STDOUT_FILENO : STDERR_FILENO,
                                 resp->data.data, resp->data.len);
                r = issue_read(rl, stream);
        }
        grpc__read_stream_response__free_unpacked(resp, NULL);
        return r;
}

static int forward_stdin(struct relay *rl)
{
        Grpc__WriteStreamRequest w = GRPC__WRITE_STREAM_REQUEST__INIT;
        Grpc__CloseStdinRequest c = GRPC__CLOSE_STDIN_REQUEST__INIT;
        uint8_t buf[RELAY_READ_LEN];
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
                return 0;
        if (n <= 0) {
                rl->done[STREAM_IN] = true;
                c.container_id = (char *) rl->cid;
                c.exec_id = (char *) rl->eid;
                return send_msg(rl, "CloseStdin", &c.base, &rl->sid[STREAM_IN]);
        }
        w.container_id = (char *) rl->cid;
        w.exec_id = (char *) rl->eid;
        w.data.data = buf;
        w.data.len = (size_t) n;
        return send_msg(rl, "WriteStdin", &w.base, &rl->sid[STREAM_IN]);
}

static int on_frame(struct relay *rl, struct ttrpc_frame *f)
{
        _cleanup_free_ uint8_t *payload = NULL;
        struct ttrpc_status st = { 0 };
        size_t len = 0;
        int r = 0;

        if (ttrpc_response_decode(f->body, f->header.length, &st, &payload, &len) < 0)
                return EXIT_TRANSPORT;
        for (int s = 0; s < _STREAM_MAX; s++) {
                if (rl->sid[s] != f->header.stream_id)
                        continue;
                if (st.code != RPC_OK) {
                        /* A stream that errs is over (Kata's shim stops copying too). */
                        rl->sid[s] = 0;
                        rl->done[s] = true;
                        if (s == STREAM_IN)
                                break;
                        r = ctl_report_status(rl->ctx, &st);
                } else if (s == STREAM_IN) {
                        rl->sid[s] = 0;
                } else {
                        r = on_read_reply(rl, s, payload, len);
                }
                break;
        }
        ttrpc_status_done(&st);
        return r;
}

static bool relay_finished(const struct relay *rl, bool stdin_too)
{
        return rl->done[STREAM_OUT] && rl->done[STREAM_ERR] &&
               (!stdin_too || (rl->done[STREAM_IN] && rl->sid[STREAM_IN] == 0));
}

static int relay_loop(struct relay *rl, bool forward)
{
        struct ttrpc_client *c = rl->ctx->client;
        int r = 0;

        while (r == 0 && !relay_finished(rl, forward)) {
                struct pollfd p[2] = { { .fd = ttrpc_client_fd(c), .events = POLLIN },
                                       { .fd = STDIN_FILENO, .events = POLLIN } };
                bool want_stdin = forward && !rl->done[STREAM_IN] && rl->sid[STREAM_IN] == 0;
                struct ttrpc_frame f;
                int got = ttrpc_client_recv_frame(c, 0, &f);

                if (got == 0) {
                        r = on_frame(rl, &f);
                        free(f.body);
                        continue;
                }
                if (got != -ETIMEDOUT)
                        return ctl_report_transport_error(rl->ctx, "grpc.AgentService",
                                                          "ReadStdout", got);
                if (poll(p, want_stdin ? 2 : 1, -1) < 0 && errno != EINTR)
                        return EXIT_TRANSPORT;
                if (want_stdin && p[1].revents)
                        r = forward_stdin(rl);
        }
        return r;
}

int ctl_relay(struct ctl_context *ctx, const char *cid, const char *eid, bool terminal,
              bool forward_stdin, bool wait, int *ret_status)
{
        struct relay rl = { .ctx = ctx, .cid = cid, .eid = eid };
        int r;

        r = ctl_connect(ctx);
        if (r == 0)
                r = issue_read(&rl, STREAM_OUT);
        /* A terminal has a single stream; Kata's shim reads only stdout then. */
        if (r == 0 && terminal)
                rl.done[STREAM_ERR] = true;
        else if (r == 0)
                r = issue_read(&rl, STREAM_ERR);
        if (r == 0)
                r = relay_loop(&rl, forward_stdin);
        if (r != 0 || !wait)
                return r;
        return ctl_wait_process(ctx, cid, eid, ret_status);
}
