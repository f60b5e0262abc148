/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Tracing (agent.trace): spans for each RPC and for the container lifecycle, exported the way
 * Kata's agent exports them (its vsock-exporter): the agent connects out to the host, CID 2
 * port 10240, where kata-trace-forwarder listens, and writes each finished span as an 8-byte
 * big-endian length followed by that many bytes of JSON (the serde form of OpenTelemetry's
 * SpanData, docs/tracing.md). An RPC's span takes its parent from the request's `traceparent`
 * metadata (W3C Trace Context), so the agent's spans join the runtime's trace.
 *
 * Never blocks the loop: the connection is non-blocking, finished spans wait in a bounded queue
 * (TRACE_QUEUE_MAX bytes; past it new spans are dropped and counted), a missing or slow sink
 * only costs those spans, and connecting is retried every TRACE_RETRY_MS.
 *
 * Every function accepts NULL (tracing off): a NULL tracer gives NULL spans, and NULL spans
 * ignore everything.
 */

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "trace/traceparent.h"

#define TRACE_DEFAULT_ADDR "vsock://2:10240"
#define TRACE_QUEUE_MAX    (1u << 20)
#define TRACE_SPAN_MAX     (64u << 10) /* a span's JSON: attributes are cut to fit */
#define TRACE_RETRY_MS     1000

struct agent;
struct tracer;
struct trace_span;

/* Where spans go when agent.trace is on (default TRACE_DEFAULT_ADDR). Set before start. */
void trace_set_address(struct agent *a, const char *addr);
/* Does nothing unless agent.trace is on. */
int trace_start(struct agent *a, struct agent_error **err);
/* Writes what the socket takes without waiting, then closes. */
void trace_stop(struct agent *a);

/* A span starting now. Its parent: `parent` if not NULL, else `remote` (a host's traceparent)
 * if not NULL, else it starts a new trace. */
struct trace_span *trace_span_begin(struct tracer *t, const char *name,
                                    const struct trace_span *parent,
                                    const struct trace_context *remote);
void trace_span_attr(struct trace_span *s, const char *key, const char *value);
void trace_span_attr_int(struct trace_span *s, const char *key, int64_t value);
/* Ends and queues the span; error_message non-NULL marks it failed. Frees it. */
void trace_span_end(struct trace_span *s, const char *error_message);

/* Spans queued and dropped so far (tests, diagnostics). */
void trace_counters(const struct tracer *t, uint64_t *queued, uint64_t *dropped);
