/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "rpc/call.h"
#include "trace/trace.h"
#include "trace/traceparent.h"

#include "ttrpc.pb-c.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The stdio relay and the long-polls would drown the trace (one span per 32 KiB read, or one
 * span lasting the container's life): Kata's agent does not trace them either. */
static bool traced_method(const char *service, const char *method)
{
        static const char *const skip[] = { "ReadStdout", "ReadStderr", "WriteStdin",
                                            "GetOOMEvent" };

        if (!streq(service, "grpc.AgentService"))
                return false;
        for (size_t i = 0; i < ARRAY_SIZE(skip); i++)
                if (streq(method, skip[i]))
                        return false;
        return true;
}

/* "CreateContainer" -> "create_container", the names of Kata's agent's RPC spans. */
static void snake_case(const char *in, char *out, size_t size)
{
        size_t n = 0;

        for (const char *p = in; *p && n + 2 < size; p++) {
                if (isupper((unsigned char) *p) && p != in)
                        out[n++] = '_';
                out[n++] = (char) tolower((unsigned char) *p);
        }
        out[n] = '\0';
}

struct trace_span *rpc_trace_begin(struct rpc_session *s, const struct Ttrpc__Request *req)
{
        struct tracer *t = s->agent ? s->agent->tracer : NULL;
        struct trace_context ctx;
        const struct trace_context *parent = NULL;
        struct trace_span *span;
        char name[64];

        if (!t || !traced_method(req->service, req->method))
                return NULL;
        for (size_t i = 0; i < req->n_metadata; i++) {
                const Ttrpc__KeyValue *kv = req->metadata[i];

                if (!kv->key || !kv->value || strcasecmp(kv->key, "traceparent") != 0)
                        continue;
                if (traceparent_parse(kv->value, strlen(kv->value), &ctx) == 0)
                        parent = &ctx;
                else
                        log_full(LOG_LEVEL_DEBUG, "trace", NULL,
                                 "ignoring a malformed traceparent in a `%s` request", req->method);
                break;
        }
        snake_case(req->method, name, sizeof(name));
        span = trace_span_begin(t, name, NULL, parent);
        trace_span_attr(span, "rpc.method", req->method);
        return span;
}
