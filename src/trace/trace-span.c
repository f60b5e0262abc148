/* SPDX-License-Identifier: Apache-2.0 */
#include "base/cleanup.h"
#include "base/util.h"
#include "trace/trace-internal.h"
#include "trace/trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* OpenTelemetry's default span limits, which the exported form names. */
#define SPAN_MAX_ATTRS 128
/* Our own attributes are ids and short names: anything longer is cut. */
#define ATTR_VALUE_MAX 1024

struct trace_span {
        struct tracer *t;
        char *name;
        struct trace_context ctx;
        uint8_t parent[8]; /* zero: a root span */
        uint64_t start_rt_ns, start_mono_ns;
        char *attrs; /* `"key":{"String":"value"},...` */
        char *keys;  /* `"key",...`: serde's evict_list */
        size_t n_attrs;
};

static void random_bytes(uint8_t *buf, size_t n)
{
        /* getrandom never blocks once the pool is up; before that (early boot, no entropy)
         * ids only need to be unique, so fall back to time and a counter. */
        static uint64_t counter;
        size_t got = 0;

        while (got < n) {
                ssize_t r = getrandom(buf + got, n - got, GRND_NONBLOCK);
                if (r <= 0)
                        break;
                got += (size_t) r;
        }
        for (uint64_t x = now_ns() ^ (++counter * 0x9e3779b97f4a7c15ull); got < n; got++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[got] = (uint8_t) x;
        }
}

static uint64_t realtime_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

struct trace_span *trace_span_begin(struct tracer *t, const char *name,
                                    const struct trace_span *parent,
                                    const struct trace_context *remote)
{
        struct trace_span *s;
        bool zero = true;

        if (!t)
                return NULL;
        s = xzalloc(sizeof(*s));
        s->t = t;
        s->name = xstrdup(name);
        s->start_rt_ns = realtime_ns();
        s->start_mono_ns = now_ns();
        if (parent) {
                memcpy(s->ctx.trace_id, parent->ctx.trace_id, 16);
                memcpy(s->parent, parent->ctx.span_id, 8);
                s->ctx.flags = parent->ctx.flags;
        } else if (remote) {
                memcpy(s->ctx.trace_id, remote->trace_id, 16);
                memcpy(s->parent, remote->span_id, 8);
                /* Kata's agent samples as its parent did (OpenTelemetry's ParentBased). */
                s->ctx.flags = remote->flags;
        } else {
                random_bytes(s->ctx.trace_id, 16);
                s->ctx.flags = 1;
        }
        while (zero) {
                random_bytes(s->ctx.span_id, 8);
                for (int i = 0; i < 8; i++)
                        zero &= s->ctx.span_id[i] == 0;
        }
        s->attrs = xstrdup("");
        s->keys = xstrdup("");
        return s;
}

static void add_attr(struct trace_span *s, const char *key, const char *value_json)
{
        _cleanup_free_ char *k = json_quote(key);
        char *attrs, *keys;

        if (s->n_attrs >= SPAN_MAX_ATTRS)
                return;
        attrs = xasprintf("%s%s%s:%s", s->attrs, *s->attrs ? "," : "", k, value_json);
        keys = xasprintf("%s%s%s", s->keys, *s->keys ? "," : "", k);
        free(s->attrs);
        free(s->keys);
        s->attrs = attrs;
        s->keys = keys;
        s->n_attrs++;
}

void trace_span_attr(struct trace_span *s, const char *key, const char *value)
{
        _cleanup_free_ char *cut = NULL, *q = NULL, *v = NULL;

        if (!s || !value)
                return;
        cut = xstrndup(value, ATTR_VALUE_MAX);
        q = json_quote(cut);
        v = xasprintf("{\"String\":%s}", q);
        add_attr(s, key, v);
}

void trace_span_attr_int(struct trace_span *s, const char *key, int64_t value)
{
        char v[48];

        if (!s)
                return;
        snprintf(v, sizeof(v), "{\"I64\":%lld}", (long long) value);
        add_attr(s, key, v);
}

static uint64_t bytes_u64(const uint8_t *b)
{
        return be64_read(b);
}

/* serde_json writes OpenTelemetry's TraceId (a u128) as a plain decimal number. */
static void u128_decimal(const uint8_t id[16], char *buf, size_t size)
{
        unsigned __int128 v = 0;
        char tmp[48];
        size_t n = 0;

        for (int i = 0; i < 16; i++)
                v = v << 8 | id[i];
        do {
                tmp[n++] = (char) ('0' + (int) (v % 10));
                v /= 10;
        } while (v && n < sizeof(tmp));
        for (size_t i = 0; i < n && i + 1 < size; i++)
                buf[i] = tmp[n - 1 - i];
        buf[n < size ? n : size - 1] = '\0';
}

static char *encode(const struct trace_span *s, uint64_t end_rt_ns, const char *error_message)
{
        _cleanup_free_ char *name = json_quote(s->name);
        _cleanup_free_ char *msg = json_quote(error_message ? error_message : "");
        char trace_id[48];

        u128_decimal(s->ctx.trace_id, trace_id, sizeof(trace_id));
        return xasprintf("{\"span_context\":{\"trace_id\":%s,\"span_id\":%llu,\"trace_flags\":%u,"
                         "\"is_remote\":false,\"trace_state\":null},"
                         "\"parent_span_id\":%llu,\"span_kind\":\"Internal\",\"name\":%s,"
                         "\"start_time\":{\"secs_since_epoch\":%llu,\"nanos_since_epoch\":%u},"
                         "\"end_time\":{\"secs_since_epoch\":%llu,\"nanos_since_epoch\":%u},"
                         "\"attributes\":{\"map\":{%s},\"evict_list\":[%s],\"max_len\":%d,"
                         "\"dropped_count\":0},"
                         "\"events\":{\"queue\":null,\"max_len\":%d,\"dropped_count\":0},"
                         "\"links\":{\"queue\":null,\"max_len\":%d,\"dropped_count\":0},"
                         "\"status_code\":\"%s\",\"status_message\":%s,"
                         "\"resource\":{\"attrs\":{\"service.name\":{\"String\":\"cata-agent\"}}}}",
                         trace_id, (unsigned long long) bytes_u64(s->ctx.span_id), s->ctx.flags,
                         (unsigned long long) bytes_u64(s->parent), name,
                         (unsigned long long) (s->start_rt_ns / 1000000000ull),
                         (unsigned) (s->start_rt_ns % 1000000000ull),
                         (unsigned long long) (end_rt_ns / 1000000000ull),
                         (unsigned) (end_rt_ns % 1000000000ull), s->attrs, s->keys, SPAN_MAX_ATTRS,
                         SPAN_MAX_ATTRS, SPAN_MAX_ATTRS, error_message ? "Error" : "Unset", msg);
}

void trace_span_end(struct trace_span *s, const char *error_message)
{
        if (!s)
                return;
        /* Unsampled traces (flags bit 0 clear) are followed for the ids, never exported. */
        if (s->ctx.flags & 1) {
                /* The end on the monotonic clock: a clock step never gives a negative span. */
                uint64_t end = s->start_rt_ns + (now_ns() - s->start_mono_ns);
                _cleanup_free_ char *json = encode(s, end, error_message);
                size_t len = strlen(json);

                if (len <= TRACE_SPAN_MAX)
                        tracer_enqueue(s->t, json, len);
        }
        free(s->name);
        free(s->attrs);
        free(s->keys);
        free(s);
}
