/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Sessions (one per ttRPC connection) and calls (one per Request).
 *
 * A handler either replies at once (rpc_call_reply*) or parks the call on the object it waits
 * for (rpc_call_park) and something later completes it with rpc_call_reply*. A parked call ends
 * in exactly one of three ways:
 *  - completed by its object: rpc_call_reply*() unlinks it and sends the Response;
 *  - its deadline (Request.timeout_nano) passes: the owner's cancel callback runs, then
 *    DEADLINE_EXCEEDED "timeout" is sent;
 *  - its connection closes: the cancel callback runs, nothing is sent.
 * Every call is freed by whichever of these happens; the owner never frees a call.
 */

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "base/error.h"
#include "base/list.h"
#include "event/loop.h"
#include "ttrpc/conn.h"

/* Parked calls per connection: the runtime keeps ~3 per process (stdout, stderr, wait) plus one
 * GetOOMEvent, so 1024 is far beyond real use yet bounds what a hostile client can pin. */
#define RPC_SESSION_MAX_PARKED 1024

struct agent;
struct rpc_call;
struct rpc_registry;
struct ttrpc_listener;
struct trace_span;
struct Ttrpc__Request;

/* Request bytes held by parked calls, agent-wide (WriteStdin data waiting for a process that
 * does not read is the big one). Over RPC_PARKED_BYTES_HIGH the connection that parked the
 * last call stops being read (its client's writes block in the socket, nothing more is
 * buffered here); every held connection is read again once the total is back under
 * RPC_PARKED_BYTES_LOW (calls completed, timed out, or their connection closed). Worst case:
 * HIGH plus one request (4 MiB) per connection. */
#define RPC_PARKED_BYTES_HIGH (64u << 20)
#define RPC_PARKED_BYTES_LOW  (32u << 20)

struct rpc_budget {
        size_t held;
        struct list_node held_sessions; /* sessions not read while over the budget */
};

void rpc_budget_init(struct rpc_budget *b);

typedef void (*rpc_cancel_fn)(struct rpc_call *call, void *data);

struct rpc_session {
        struct agent *agent;                 /* the agent's sessions only */
        const struct rpc_registry *registry; /* what this session serves */
        void *context;                       /* for the handlers of another registry */
        struct loop *loop;
        struct ttrpc_conn *conn;
        struct ttrpc_listener *listener; /* for serial reopen; may be NULL */
        struct list_node calls;          /* every live call of this session */
        struct list_node node;           /* on the agent's session list */
        unsigned n_parked;
        uint64_t last_active_ns;    /* last frame received (or the accept) */
        struct rpc_budget *budget;  /* may be NULL: no accounting */
        struct list_node held_node; /* on budget->held_sessions while held */
        void (*on_closed)(struct rpc_session *s, void *userdata);
        void *on_closed_userdata;
};

struct rpc_call {
        struct rpc_session *session;
        uint32_t stream_id;
        char *method; /* "grpc.AgentService/ReadStdout", for logs */
        ProtobufCMessage *req;
        struct loop_timer *deadline;
        struct list_node session_node;
        bool parked;
        struct list_node park_node; /* on the waited-for object's list while parked */
        rpc_cancel_fn cancel;
        void *cancel_data;
        size_t progress; /* free for the owner of a parked call (bytes of a WriteStdin done) */
        size_t cost;     /* encoded request bytes, charged to the budget while parked */
        struct trace_span *span; /* agent.trace: this RPC's span (rpc/call-trace.c), or NULL */
};

/* Creates a session on an fd (taken). on_closed runs once after the connection ended and every
 * call was cancelled; the session is freed right after it returns. */
int rpc_session_new(struct loop *loop, struct agent *agent, int fd,
                    void (*on_closed)(struct rpc_session *s, void *userdata), void *userdata,
                    struct rpc_session **ret);
/* The same for another server on this stack: its registry, and a context its handlers find in
 * call->session->context. */
int rpc_session_new_for(struct loop *loop, const struct rpc_registry *registry, void *context,
                        int fd, void (*on_closed)(struct rpc_session *s, void *userdata),
                        void *userdata, struct rpc_session **ret);
/* Cancels every call and frees the session without on_closed (shutdown only). */
void rpc_session_free(struct rpc_session *s);
unsigned rpc_session_n_calls(const struct rpc_session *s);

/* Creates a call. timeout_ns > 0 arms a deadline. Takes ownership of req (may be NULL). */
struct rpc_call *rpc_call_new(struct rpc_session *s, uint32_t stream_id, const char *method,
                              ProtobufCMessage *req, int64_t timeout_ns);
struct rpc_call *rpc_session_find_call(struct rpc_session *s, uint32_t stream_id);

/* Sends OK with resp (NULL: empty payload) and frees the call. */
void rpc_call_reply(struct rpc_call *call, const ProtobufCMessage *resp);
/* Sends the error's mapped code and message chain, and frees the call. */
void rpc_call_reply_error(struct rpc_call *call, const struct agent_error *err);
/* Sends OK with a message whose only set field is the bytes field `field`, holding a then b
 * (a ReadStreamResponse's data, in two pieces when it wraps around a ring buffer): the bytes
 * rpc_call_reply() would send for that message, with the data copied once. Frees the call. */
void rpc_call_reply_bytes(struct rpc_call *call, uint32_t field, const void *a, size_t a_len,
                          const void *b, size_t b_len);
/* Sends an explicit status, and frees the call. */
void rpc_call_reply_status(struct rpc_call *call, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Parks the call on a waiter list. Returns 0, or -EBUSY (and fills err) over the per-connection
 * cap; the call is then still the handler's to answer (by returning the error). */
int rpc_call_park(struct rpc_call *call, struct list_node *waiters, rpc_cancel_fn cancel,
                  void *data, struct agent_error **err);

/* Takes a parked call off its waiter list (no cancel callback); it is the caller's to answer or
 * park again. */
void rpc_call_unpark(struct rpc_call *call);

#define rpc_call_from_park_node(n) list_entry((n), struct rpc_call, park_node)

/* agent.trace: the span of a request about to be handled (NULL when tracing is off or the
 * method is not traced), its parent from the request's `traceparent` metadata. */
struct trace_span *rpc_trace_begin(struct rpc_session *s, const struct Ttrpc__Request *req);
