/* SPDX-License-Identifier: Apache-2.0 */
#include "rpc/call.h"
#include "rpc/dispatch.h"
#include "base/log.h"
#include "base/util.h"
#include "ttrpc/server.h"
#include "ttrpc/status.h"
#include "trace/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static void session_conn_frame(struct ttrpc_conn *c, struct ttrpc_frame *f, void *userdata);
static void session_conn_oversize(struct ttrpc_conn *c, const struct ttrpc_header *h,
                                  void *userdata);
static void session_conn_close(struct ttrpc_conn *c, void *userdata);

static const struct ttrpc_conn_ops session_conn_ops = {
        .on_frame = session_conn_frame,
        .on_oversize = session_conn_oversize,
        .on_close = session_conn_close,
};

/* Implemented in dispatch.c: the request path. */
void rpc_dispatch_frame(struct rpc_session *s, struct ttrpc_frame *f);
void rpc_dispatch_oversize(struct rpc_session *s, const struct ttrpc_header *h);

static void session_conn_frame(struct ttrpc_conn *c, struct ttrpc_frame *f, void *userdata)
{
        struct rpc_session *s = userdata;

        (void) c;
        s->last_active_ns = now_ns();
        rpc_dispatch_frame(s, f);
}

static void session_conn_oversize(struct ttrpc_conn *c, const struct ttrpc_header *h,
                                  void *userdata)
{
        (void) c;
        rpc_dispatch_oversize(userdata, h);
}

void rpc_budget_init(struct rpc_budget *b)
{
        b->held = 0;
        list_init(&b->held_sessions);
}

static void budget_release(struct rpc_budget *b, size_t n)
{
        b->held -= n;
        if (b->held > RPC_PARKED_BYTES_LOW)
                return;
        while (!list_empty(&b->held_sessions)) {
                struct rpc_session *s =
                        list_first_entry(&b->held_sessions, struct rpc_session, held_node);
                list_del(&s->held_node);
                if (s->conn)
                        ttrpc_conn_hold(s->conn, false);
        }
}

static void budget_charge(struct rpc_session *s, size_t n)
{
        struct rpc_budget *b = s->budget;

        b->held += n;
        if (b->held <= RPC_PARKED_BYTES_HIGH || !list_empty(&s->held_node) || !s->conn)
                return;
        log_full(LOG_LEVEL_WARN, "rpc", NULL,
                 "parked requests hold %zu bytes (limit %u): not reading this connection until "
                 "they drain",
                 b->held, RPC_PARKED_BYTES_HIGH);
        list_add_tail(&b->held_sessions, &s->held_node);
        ttrpc_conn_hold(s->conn, true);
}

static void call_free(struct rpc_call *call)
{
        if (call->parked && call->session->budget)
                budget_release(call->session->budget, call->cost);
        /* Still open: no reply was sent (the connection closed first). */
        trace_span_end(call->span, "cancelled: no reply sent");
        if (call->parked)
                call->session->n_parked--;
        list_del(&call->park_node);
        list_del(&call->session_node);
        loop_timer_free(call->deadline);
        if (call->req)
                protobuf_c_message_free_unpacked(call->req, NULL);
        free(call->method);
        free(call);
}

/* Ends a call without a reply: its owner forgets it first. */
static void call_cancel(struct rpc_call *call)
{
        if (call->parked && call->cancel)
                call->cancel(call, call->cancel_data);
        call_free(call);
}

static void session_cancel_all(struct rpc_session *s)
{
        while (!list_empty(&s->calls))
                call_cancel(list_first_entry(&s->calls, struct rpc_call, session_node));
}

static void session_conn_close(struct ttrpc_conn *c, void *userdata)
{
        struct rpc_session *s = userdata;

        (void) c;
        s->conn = NULL; /* freed by the connection code right after this returns */
        session_cancel_all(s);
        list_del(&s->held_node);
        if (s->listener)
                ttrpc_listener_stream_closed(s->listener);
        if (s->on_closed)
                s->on_closed(s, s->on_closed_userdata);
        list_del(&s->node);
        free(s);
}

int rpc_session_new(struct loop *loop, struct agent *agent, int fd,
                    void (*on_closed)(struct rpc_session *s, void *userdata), void *userdata,
                    struct rpc_session **ret)
{
        int r = rpc_session_new_for(loop, &rpc_agent_registry, NULL, fd, on_closed, userdata, ret);

        if (r >= 0)
                (*ret)->agent = agent;
        return r;
}

int rpc_session_new_for(struct loop *loop, const struct rpc_registry *registry, void *context,
                        int fd, void (*on_closed)(struct rpc_session *s, void *userdata),
                        void *userdata, struct rpc_session **ret)
{
        struct rpc_session *s = xzalloc(sizeof(*s));
        int r;

        s->registry = registry;
        s->context = context;
        s->loop = loop;
        s->on_closed = on_closed;
        s->on_closed_userdata = userdata;
        s->last_active_ns = now_ns();
        list_init(&s->calls);
        list_init(&s->node);
        list_init(&s->held_node);
        r = ttrpc_conn_new(loop, fd, &session_conn_ops, s, &s->conn);
        if (r < 0) {
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void rpc_session_free(struct rpc_session *s)
{
        if (!s)
                return;
        session_cancel_all(s);
        list_del(&s->held_node);
        ttrpc_conn_free(s->conn);
        list_del(&s->node);
        free(s);
}

unsigned rpc_session_n_calls(const struct rpc_session *s)
{
        unsigned n = 0;
        for (const struct list_node *p = s->calls.next; p != &s->calls; p = p->next)
                n++;
        return n;
}

static void call_deadline_cb(struct loop_timer *t, void *userdata)
{
        struct rpc_call *call = userdata;

        (void) t;
        /* The timer has fired and is inert; call_free() releases it. */
        if (call->parked && call->cancel)
                call->cancel(call, call->cancel_data);
        call->cancel = NULL;
        rpc_call_reply_status(call, RPC_DEADLINE_EXCEEDED, "timeout");
}

struct rpc_call *rpc_call_new(struct rpc_session *s, uint32_t stream_id, const char *method,
                              ProtobufCMessage *req, int64_t timeout_ns)
{
        struct rpc_call *call = xzalloc(sizeof(*call));

        call->session = s;
        call->stream_id = stream_id;
        call->method = xstrdup(method);
        call->req = req;
        list_init(&call->park_node);
        list_add_tail(&s->calls, &call->session_node);
        if (timeout_ns > 0)
                call->deadline = loop_add_timer(s->loop, now_ns() + (uint64_t) timeout_ns,
                                                call_deadline_cb, call);
        return call;
}

struct rpc_call *rpc_session_find_call(struct rpc_session *s, uint32_t stream_id)
{
        for (struct list_node *p = s->calls.next; p != &s->calls; p = p->next) {
                struct rpc_call *call = list_entry(p, struct rpc_call, session_node);
                if (call->stream_id == stream_id)
                        return call;
        }
        return NULL;
}

static void call_end_span(struct rpc_call *call, int code, const char *msg)
{
        trace_span_end(call->span, code == RPC_OK ? NULL : msg);
        call->span = NULL;
}

static void call_send(struct rpc_call *call, int code, const char *msg, const uint8_t *payload,
                      size_t len)
{
        call_end_span(call, code, msg);
        if (call->session->conn)
                (void) ttrpc_conn_send_response(call->session->conn, call->stream_id, code, msg,
                                                payload, len);
        call_free(call);
}

void rpc_call_reply(struct rpc_call *call, const ProtobufCMessage *resp)
{
        uint8_t *buf = NULL;
        size_t len = 0;

        if (resp) {
                len = protobuf_c_message_get_packed_size(resp);
                buf = xmalloc(len);
                protobuf_c_message_pack(resp, buf);
        }
        call_send(call, RPC_OK, "", buf, len);
        free(buf);
}

void rpc_call_reply_bytes(struct rpc_call *call, uint32_t field, const void *a, size_t a_len,
                          const void *b, size_t b_len)
{
        uint8_t head[TTRPC_FIELD_HEAD_MAX];
        struct iovec parts[3];

        /* proto3 leaves an empty bytes field out: the message is empty. */
        if (a_len + b_len == 0) {
                call_send(call, RPC_OK, "", NULL, 0);
                return;
        }
        parts[0] = (struct iovec){ head, ttrpc_field_head(field, a_len + b_len, head) };
        parts[1] = (struct iovec){ (void *) a, a_len };
        parts[2] = (struct iovec){ (void *) b, b_len };
        call_end_span(call, RPC_OK, NULL);
        if (call->session->conn)
                (void) ttrpc_conn_send_response_iov(call->session->conn, call->stream_id, parts, 3);
        call_free(call);
}

void rpc_call_reply_error(struct rpc_call *call, const struct agent_error *err)
{
        int e = err ? err->errno_ : EIO;
        const char *msg = err ? err->msg : "internal error";
        const char *const kv[] = { "method", call->method, NULL };

        log_full(LOG_LEVEL_DEBUG, "rpc", kv, "call failed: %s", msg);
        call_send(call, rpc_code_from_errno(e), msg, NULL, 0);
}

void rpc_call_reply_status(struct rpc_call *call, int code, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        call_send(call, code, msg, NULL, 0);
}

int rpc_call_park(struct rpc_call *call, struct list_node *waiters, rpc_cancel_fn cancel,
                  void *data, struct agent_error **err)
{
        if (call->session->n_parked >= RPC_SESSION_MAX_PARKED)
                return agent_error_setf(err, EMFILE,
                                        "too many waiting calls on this connection (limit %u)",
                                        RPC_SESSION_MAX_PARKED);
        call->parked = true;
        call->cancel = cancel;
        call->cancel_data = data;
        call->session->n_parked++;
        list_add_tail(waiters, &call->park_node);
        if (call->session->budget)
                budget_charge(call->session, call->cost);
        return 0;
}

void rpc_call_unpark(struct rpc_call *call)
{
        if (!call->parked)
                return;
        call->session->n_parked--;
        call->parked = false;
        call->cancel = NULL;
        call->cancel_data = NULL;
        list_del(&call->park_node);
}
