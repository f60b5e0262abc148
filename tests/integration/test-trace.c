/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.trace through the real agent: a unix socket stands in for kata-trace-forwarder's vsock
 * port and reads the length-prefixed JSON spans. RPC spans carry the names of Kata's agent and
 * the parent from the request's traceparent; the container and its process are spans under the
 * CreateContainer span; an unsampled parent exports nothing; a malformed traceparent starts a
 * new trace; a missing or silent sink never blocks the agent, its queue is bounded, and the
 * spans come once the sink appears.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PARENT_TP       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
#define PARENT_TRACE_ID "14576827793038113322513871894673895836"
#define PARENT_SPAN_ID  "13235353014750950193"

static struct agent_proc agent;
static struct ttrpc_client *cl;
static char sink_path[108];
static int sink_listen = -1, sink_conn = -1;

static int sink_open(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 4), 0);
        return fd;
}

static void start_agent(struct agent_proc *a, const char *trace_path)
{
        char addr[128];

        snprintf(addr, sizeof(addr), "unix://%s", trace_path);
        const char *args[] = { "--run-dir", ct_run_dir(), "--trace-addr", addr, NULL };
        ct_rootfs();
        agent_proc_start(a, "agent.trace=true", args, NULL);
}

static int setup(void **state)
{
        (void) state;
        snprintf(sink_path, sizeof(sink_path), "/tmp/cata-trace-%d.sock", (int) getpid());
        sink_listen = sink_open(sink_path);
        start_agent(&agent, sink_path);
        cl = agent_connect(&agent);
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        ct_agent_stop(&agent, cl);
        close(sink_conn);
        close(sink_listen);
        (void) unlink(sink_path);
        return 0;
}

static bool read_full(int fd, void *buf, size_t n, int wait_ms)
{
        size_t got = 0;

        while (got < n) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t r;

                if (poll(&p, 1, wait_ms) <= 0)
                        return false;
                r = read(fd, (char *) buf + got, n - got);
                if (r <= 0)
                        return false;
                got += (size_t) r;
        }
        return true;
}

/* The next span from the sink (accepting the agent's connection first), or NULL when none
 * comes within wait_ms. */
static char *next_span(int wait_ms)
{
        uint8_t hdr[8];
        uint64_t len = 0;
        char *json;

        if (sink_conn < 0) {
                struct pollfd p = { .fd = sink_listen, .events = POLLIN };
                if (poll(&p, 1, wait_ms) <= 0)
                        return NULL;
                sink_conn = accept4(sink_listen, NULL, NULL, SOCK_CLOEXEC);
                assert_true(sink_conn >= 0);
        }
        if (!read_full(sink_conn, hdr, 8, wait_ms))
                return NULL;
        for (int i = 0; i < 8; i++)
                len = len << 8 | hdr[i];
        assert_true(len > 0 && len <= 65536);
        json = xmalloc(len + 1);
        assert_true(read_full(sink_conn, json, len, 2000));
        json[len] = '\0';
        return json;
}

/* The text of a number or string field after `"key":` (from `after`, when given). */
static void field(const char *json, const char *after, const char *key, char *out, size_t size)
{
        _cleanup_free_ char *needle = xasprintf("\"%s\":", key);
        const char *p = after ? strstr(json, after) : json;
        size_t n = 0;

        assert_non_null(p);
        p = strstr(p, needle);
        if (!p)
                fail_msg("no `%s` in %s", key, json);
        p += strlen(needle);
        if (*p == '"')
                p++;
        while (p[n] && p[n] != '"' && p[n] != ',' && p[n] != '}' && n + 1 < size)
                n++;
        memcpy(out, p, n);
        out[n] = '\0';
}

struct span {
        char name[64], trace_id[48], span_id[32], parent[32], status[16];
        unsigned long long start_ns, end_ns;
        char *json;
};

static unsigned long long time_of(const char *json, const char *which)
{
        char s[32], ns[32];

        field(json, which, "secs_since_epoch", s, sizeof(s));
        field(json, which, "nanos_since_epoch", ns, sizeof(ns));
        return strtoull(s, NULL, 10) * 1000000000ull + strtoull(ns, NULL, 10);
}

static bool get_span(struct span *sp, int wait_ms)
{
        char *json = next_span(wait_ms);

        if (!json)
                return false;
        sp->json = json;
        field(json, NULL, "name", sp->name, sizeof(sp->name));
        field(json, NULL, "trace_id", sp->trace_id, sizeof(sp->trace_id));
        field(json, "span_context", "span_id", sp->span_id, sizeof(sp->span_id));
        field(json, NULL, "parent_span_id", sp->parent, sizeof(sp->parent));
        field(json, NULL, "status_code", sp->status, sizeof(sp->status));
        sp->start_ns = time_of(json, "\"start_time\"");
        sp->end_ns = time_of(json, "\"end_time\"");
        assert_true(sp->end_ns >= sp->start_ns);
        return true;
}

/* Reads spans until one named `name`; the others are kept in seen[] (up to n). */
static struct span *find_span(struct span *seen, size_t *n, size_t max, const char *name)
{
        for (size_t i = 0; i < *n; i++)
                if (streq(seen[i].name, name))
                        return &seen[i];
        while (*n < max && get_span(&seen[*n], 5000)) {
                (*n)++;
                if (streq(seen[*n - 1].name, name))
                        return &seen[*n - 1];
        }
        fail_msg("no `%s` span arrived", name);
        return NULL;
}

static void free_spans(struct span *seen, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(seen[i].json);
}

static void test_rpc_and_lifecycle_spans(void **state)
{
        struct span seen[32];
        size_t n = 0;
        struct span *create, *start, *wait, *remove, *ctr, *init;
        char *out = NULL;
        int status = -1;

        (void) state;
        ttrpc_client_set_metadata(cl, "traceparent", PARENT_TP);
        ct_sh(cl, "trace-1", "sleep 0.2; echo traced; exit 4", &out, &status);
        assert_string_equal(out, "traced\n");
        assert_int_equal(status, 4);
        free(out);
        create = find_span(seen, &n, 32, "create_container");
        start = find_span(seen, &n, 32, "start_container");
        wait = find_span(seen, &n, 32, "wait_process");
        remove = find_span(seen, &n, 32, "remove_container");
        init = find_span(seen, &n, 32, "init_process");
        ctr = find_span(seen, &n, 32, "container");
        /* The RPCs hang under the host's span, in the host's trace. */
        struct span *rpcs[] = { create, start, wait, remove };
        for (size_t i = 0; i < ARRAY_SIZE(rpcs); i++) {
                assert_string_equal(rpcs[i]->trace_id, PARENT_TRACE_ID);
                assert_string_equal(rpcs[i]->parent, PARENT_SPAN_ID);
                assert_string_equal(rpcs[i]->status, "Unset");
        }
        /* The container under CreateContainer, its init process under the container. */
        assert_string_equal(ctr->trace_id, PARENT_TRACE_ID);
        assert_string_equal(ctr->parent, create->span_id);
        assert_string_equal(init->parent, ctr->span_id);
        assert_non_null(strstr(ctr->json, "\"container_id\":{\"String\":\"trace-1\"}"));
        assert_non_null(strstr(init->json, "\"exit_code\":{\"I64\":4}"));
        /* Durations: the process lived through its 0.2 s sleep; the container outlived it;
         * WaitProcess ended after the process did. */
        assert_true(wait->end_ns >= init->end_ns);
        assert_true(init->end_ns - init->start_ns >= 200000000ull);
        assert_true(ctr->start_ns <= init->start_ns && ctr->end_ns >= init->end_ns);
        assert_true(create->start_ns <= ctr->start_ns);
        /* Every span id is distinct. */
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        assert_string_not_equal(seen[i].span_id, seen[j].span_id);
        free_spans(seen, n);
        ttrpc_client_set_metadata(cl, NULL, NULL);
}

static void call_list_routes(void)
{
        struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp = NULL;

        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "ListRoutes", NULL,
                                           &grpc__routes__descriptor, 0, &resp, &st),
                         0);
        assert_int_equal(st.code, 0);
        protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_status_done(&st);
}

static void test_traceparent_variants(void **state)
{
        struct span sp;

        (void) state;
        /* Unsampled (flags 00): nothing exported; the next, sampled, call is the next span. */
        ttrpc_client_set_metadata(cl, "traceparent",
                                  "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
        call_list_routes();
        ttrpc_client_set_metadata(cl, "traceparent", PARENT_TP);
        call_list_routes();
        assert_true(get_span(&sp, 5000));
        assert_string_equal(sp.name, "list_routes");
        assert_string_equal(sp.parent, PARENT_SPAN_ID);
        free(sp.json);
        /* Malformed (uppercase hex): a new trace, no parent. */
        ttrpc_client_set_metadata(cl, "traceparent",
                                  "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01");
        call_list_routes();
        assert_true(get_span(&sp, 5000));
        assert_string_equal(sp.name, "list_routes");
        assert_string_equal(sp.parent, "0");
        assert_string_not_equal(sp.trace_id, PARENT_TRACE_ID);
        free(sp.json);
        /* No metadata at all: a new trace too; a failed call is marked Error. */
        ttrpc_client_set_metadata(cl, NULL, NULL);
        struct ttrpc_status st = { 0 };
        assert_int_equal(ct_id_call(cl, "StartContainer", "no-such-container", &st), 5);
        ttrpc_status_done(&st);
        assert_true(get_span(&sp, 5000));
        assert_string_equal(sp.name, "start_container");
        assert_string_equal(sp.parent, "0");
        assert_string_equal(sp.status, "Error");
        free(sp.json);
}

/* No sink: every call is answered at once, the queue stays bounded (the agent says it drops
 * spans); when a sink appears, the agent connects and delivers what it kept. */
static void test_missing_sink_never_blocks(void **state)
{
        struct agent_proc a2;
        struct ttrpc_client *c2;
        char path[108];
        uint64_t t0;
        int fd, got = 0;

        (void) state;
        snprintf(path, sizeof(path), "/tmp/cata-trace-late-%d.sock", (int) getpid());
        (void) unlink(path);
        start_agent(&a2, path);
        c2 = agent_connect(&a2);
        t0 = now_ns();
        for (int i = 0; i < 3000; i++) {
                struct ttrpc_status st = { 0 };
                ProtobufCMessage *resp = NULL;
                assert_int_equal(ttrpc_client_call(c2, "grpc.AgentService", "ListRoutes", NULL,
                                                   &grpc__routes__descriptor, 0, &resp, &st),
                                 0);
                assert_int_equal(st.code, 0);
                protobuf_c_message_free_unpacked(resp, NULL);
        }
        /* Not a timing assertion on the agent's speed: a generous bound that only a loop
         * blocked on the sink would miss. */
        assert_true(now_ns() - t0 < 60ull * 1000000000ull);
        assert_true(agent_log_contains(&a2, "dropping spans", 2000));
        fd = sink_open(path);
        {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int conn;
                uint8_t hdr[8];

                assert_int_equal(poll(&p, 1, 5000), 1);
                conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                assert_true(conn >= 0);
                while (read_full(conn, hdr, 8, 1000)) {
                        uint64_t len = 0;
                        char *json;
                        for (int i = 0; i < 8; i++)
                                len = len << 8 | hdr[i];
                        json = xmalloc(len + 1);
                        assert_true(read_full(conn, json, len, 2000));
                        json[len] = '\0';
                        assert_non_null(strstr(json, "\"name\":\"list_routes\""));
                        free(json);
                        got++;
                }
                close(conn);
        }
        /* Some were kept, not all 3000: the queue is bounded (1 MiB). */
        assert_true(got > 100 && got < 3000);
        close(fd);
        ct_agent_stop(&a2, c2);
        (void) unlink(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rpc_and_lifecycle_spans),
                cmocka_unit_test(test_traceparent_variants),
                cmocka_unit_test(test_missing_sink_never_blocks),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
