/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hardening regressions (issue 12), through the real agent: identities that cannot be honoured,
 * failed creates under load that must leave nothing registered, strings with a NUL inside,
 * values that must not be reinterpreted, bounded parked input, a full connection table, errno
 * mapping, and a restart on the same run dir.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "oci/spec-json.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"
#include "health.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static struct agent_proc agent;
static struct ttrpc_client *cl;

static void load_stop(void);

static int setup(void **state)
{
        (void) state;
        /* Small output buffers so that the agent-wide output bound is reached with a few
         * dozen streams (STDIO_TOTAL_BUFFERS x 64 KiB = 2 MiB). */
        cl = ct_agent_start(&agent, "agent.stdio_buffer_size=65536");
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        load_stop();
        ct_agent_stop(&agent, cl);
        return 0;
}

/* Bundle directories in the run dir (the pod's `sandbox` directory is not one). */
static unsigned bundles_left(void)
{
        _cleanup_free_ char *sandbox = xasprintf("%s/sandbox", ct_run_dir());
        return ct_count_subdirs(ct_run_dir()) - (access(sandbox, F_OK) == 0);
}

/* ---- failed creates under load ---- */

/* The smallest spec whose setup fails in the child: no mounts beyond the rootfs, so each
 * attempt is cheap and the race window (error message vs. exit) is what is exercised. */
static char *failing_spec(const char *id, int kind)
{
        static const char *const process_extra[] = {
                ",\"cwd\":\"/no-such-dir\"",
                "",
                "",
        };
        static const char *const top_extra[] = {
                "",
                (",\"mounts\":[{\"destination\":\"/x\",\"type\":\"bind\","
                 "\"source\":\"/no/such/source\",\"options\":[\"rbind\"]}]"),
                "",
        };
        const char *linux_extra =
                kind % 3 == 2 ? ",\"devices\":[{\"path\":\"/dev/bad\",\"type\":\"\"}]" : "";

        return xasprintf("{\"ociVersion\":\"1.0.2\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
                         "\"args\":[\"true\"],\"cwd\":\"/\"%s},"
                         "\"root\":{\"path\":\"%s\"}%s,"
                         "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
                         "\"cgroupsPath\":\"/%s/%s\"%s}}",
                         process_extra[kind % 3], ct_rootfs(), top_extra[kind % 3],
                         ct_cgroup_parent(), id, linux_extra);
}

static uint8_t *pack_create(const char *id, int kind, size_t *len)
{
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        _cleanup_free_ char *json = failing_spec(id, kind);
        struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;
        uint8_t *buf;

        if (spec_from_json(json, strlen(json), &spec, &err) < 0)
                fail_msg("bad test spec: %s", err->msg);
        req.container_id = (char *) id;
        req.exec_id = (char *) id;
        req.oci = spec;
        *len = protobuf_c_message_get_packed_size(&req.base);
        buf = xmalloc(*len);
        protobuf_c_message_pack(&req.base, buf);
        spec_free(spec);
        return buf;
}

static pid_t load[2];

/* CPU load that dies with the test, however it ends (a failed assert skips the cleanup). */
static void load_start(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(load); i++) {
                load[i] = fork();
                assert_true(load[i] >= 0);
                if (load[i] == 0) {
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        for (;;)
                                __asm__ volatile("" ::: "memory");
                }
        }
}

static void load_stop(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(load); i++) {
                if (load[i] <= 0)
                        continue;
                kill(load[i], SIGKILL);
                waitpid(load[i], NULL, 0);
                load[i] = 0;
        }
}

#define RACE_CREATES 3000
#define RACE_WINDOW  6

/* Thousands of creates whose setup fails in the child, several in flight, under CPU load: each
 * answers an error and none stays registered (the error message and the child's exit reach the
 * loop in either order). */
static void test_failed_creates_leave_nothing(void **state)
{
        unsigned total = RACE_CREATES, sent = 0, done = 0, codes[RPC_UNAUTHENTICATED + 1] = { 0 };
        char fd_dir[64];
        unsigned fds0, mounts0;

        (void) state;
        /* Half as many under the sanitizers (each create costs more there); CATA_RACE_CREATES:
         * more (or fewer) by hand. */
        if (getenv("CATA_SANITIZED"))
                total /= 2;
        if (getenv("CATA_RACE_CREATES"))
                total = (unsigned) atoi(getenv("CATA_RACE_CREATES"));
        snprintf(fd_dir, sizeof(fd_dir), "/proc/%d/fd", (int) agent.pid);
        {
                /* Warm-up: the first create opens what the agent keeps (cgroup roots). */
                struct ttrpc_status st = { 0 };
                _cleanup_free_ char *spec = failing_spec("race-warm", 0);
                assert_int_equal(ct_create(cl, "race-warm", spec, false, &st), RPC_NOT_FOUND);
                ttrpc_status_done(&st);
        }
        fds0 = ct_count_dir(fd_dir);
        mounts0 = ct_count_mounts_of_run_dir(); /* the pod's shared namespaces */
        load_start();
        while (done < total) {
                while (sent < total && sent - done < RACE_WINDOW) {
                        char id[32];
                        size_t len;
                        _cleanup_free_ uint8_t *body = NULL;
                        snprintf(id, sizeof(id), "race-%u", sent);
                        body = pack_create(id, (int) sent, &len);
                        assert_int_equal(ttrpc_client_send_request(cl,
                                                                   ttrpc_client_next_stream_id(cl),
                                                                   "grpc.AgentService",
                                                                   "CreateContainer", body, len, 0),
                                         0);
                        sent++;
                }
                struct ttrpc_frame f = { 0 };
                struct ttrpc_status st = { 0 };
                assert_int_equal(ttrpc_client_recv_frame(cl, 60000, &f), 0);
                assert_int_equal(ttrpc_response_decode(f.body, f.header.length, &st, NULL, NULL),
                                 0);
                if (st.code == RPC_OK)
                        fail_msg("the create on stream %u succeeded", f.header.stream_id);
                assert_true(st.code >= 0 && st.code <= RPC_UNAUTHENTICATED);
                codes[st.code]++;

                ttrpc_status_done(&st);
                free(f.body);
                done++;
        }
        load_stop();
        print_message("%u failed creates: NOT_FOUND %u, INVALID_ARGUMENT %u, other %u\n", done,
                      codes[RPC_NOT_FOUND], codes[RPC_INVALID_ARGUMENT],
                      done - codes[RPC_NOT_FOUND] - codes[RPC_INVALID_ARGUMENT]);
        /* Nothing registered: every id can be created again (spot checks), no bundle, no
         * cgroup, no mount, no fd, no child is left. */
        assert_int_equal(ct_count_mounts_of_run_dir(), mounts0);
        assert_int_equal(bundles_left(), 0);
        assert_int_equal(ct_count_dir(fd_dir), fds0);
        assert_int_equal(ct_count_children(agent.pid), 0);
        for (int i = 0; i < 3; i++) {
                static const char *const ctrl[] = { "memory", "pids", "freezer" };
                _cleanup_free_ char *cg =
                        xasprintf("/sys/fs/cgroup/%s/%s", ctrl[i], ct_cgroup_parent());
                assert_int_equal(ct_count_subdirs(cg), 0);
        }
        for (unsigned i = 0; i < total; i += total / 5 + 1) {
                struct ttrpc_status st = { 0 };
                char id[32];
                snprintf(id, sizeof(id), "race-%u", i);
                _cleanup_free_ char *spec = ct_spec(id, "[\"true\"]", NULL, NULL, NULL);
                assert_int_equal(ct_create(cl, id, spec, false, &st), 0);
                assert_int_equal(ct_id_call(cl, "RemoveContainer", id, &st), 0);
                ttrpc_status_done(&st);
        }
}

/* ---- identities ---- */

static char *spec_with_user(const char *id, const char *user)
{
        _cleanup_free_ char *process = xasprintf(",\"user\":%s", user);
        return ct_spec(id, "[\"id\"]", process, NULL, NULL);
}

/* uid, gid or an additional gid (uid_t) -1 would leave the process root ("unchanged" to
 * setresuid): refused before anything runs, naming the field. */
static void test_unchanged_ids_refused(void **state)
{
        static const struct {
                const char *user, *field;
        } cases[] = {
                { "{\"uid\":4294967295,\"gid\":0}", "process.user.uid: 4294967295" },
                { "{\"uid\":0,\"gid\":4294967295}", "process.user.gid: 4294967295" },
                { "{\"uid\":1,\"gid\":1,\"additionalGids\":[2,4294967295]}",
                  "process.user.additionalGids[1]: 4294967295" },
        };
        struct ttrpc_status st = { 0 };

        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *spec = spec_with_user("id-minus-one", cases[i].user);
                assert_int_equal(ct_create(cl, "id-minus-one", spec, false, &st),
                                 RPC_INVALID_ARGUMENT);
                if (!strstr(st.message, cases[i].field))
                        fail_msg("expected `%s` in `%s`", cases[i].field, st.message);
        }
        ttrpc_status_done(&st);
        assert_int_equal(bundles_left(), 0);
}

/* ---- errors that say what happened ---- */

/* A rootfs that is a file is the request's fault (ENOTDIR: INVALID_ARGUMENT); a setup child
 * killed by the OOM killer (a memory limit too small to set up in) says so. */
static void test_error_statuses(void **state)
{
        _cleanup_free_ char *file = xasprintf("%s-rootfs-file", ct_run_dir());
        _cleanup_free_ char *spec = ct_spec("err-file", "[\"true\"]", NULL, NULL, NULL);
        _cleanup_free_ char *oom =
                ct_spec("err-oom", "[\"true\"]", NULL,
                        ",\"resources\":{\"memory\":{\"limit\":8192,\"swap\":8192}}", NULL);
        _cleanup_free_ char *bad = NULL;
        struct ttrpc_status st = { 0 };
        FILE *f = fopen(file, "w");
        char *p;

        (void) state;
        assert_non_null(f);
        fclose(f);
        p = strstr(spec, ct_rootfs());
        assert_non_null(p);
        bad = xasprintf("%.*s%s%s", (int) (p - spec), spec, file, p + strlen(ct_rootfs()));
        assert_int_equal(ct_create(cl, "err-file", bad, false, &st), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "Not a directory"));
        unlink(file);

        assert_int_equal(ct_create(cl, "err-oom", oom, false, &st), RPC_ABORTED);
        if (!strstr(st.message, "killed by signal 9 during setup (OOM kill?)"))
                fail_msg("unexpected message `%s`", st.message);
        ttrpc_status_done(&st);
        assert_int_equal(bundles_left(), 0);
}

/* ---- values honoured or refused, never reinterpreted ---- */

static char *pids_max(const char *id)
{
        _cleanup_free_ char *path =
                xasprintf("/sys/fs/cgroup/pids/%s/%s/pids.max", ct_cgroup_parent(), id);
        char *text = NULL;

        assert_int_equal(read_file(path, 4096, &text, NULL), 0);
        return text;
}

static int update_resources(const char *id, const char *linux_extra, struct ttrpc_status *st)
{
        Grpc__UpdateContainerRequest req = GRPC__UPDATE_CONTAINER_REQUEST__INIT;
        _cleanup_free_ char *json = ct_spec(id, "[\"true\"]", NULL, linux_extra, NULL);
        struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;
        int r;

        if (spec_from_json(json, strlen(json), &spec, &err) < 0)
                fail_msg("bad test spec: %s", err->msg);
        req.container_id = (char *) id;
        req.resources = spec->linux->resources;
        ttrpc_status_done(st);
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "UpdateContainer", &req.base,
                                           &google__protobuf__empty__descriptor, 0, NULL, st),
                         0);
        r = st->code;
        spec_free(spec);
        return r;
}

/* A 65535x65535 terminal is what the kernel gets (busybox's stty would show 24 80 for it);
 * more than a terminal can hold, a CPU quota or a pids limit of -5 are refused at create and
 * at update, and an update refused leaves the cgroup as it was. */
static void test_values_not_reinterpreted(void **state)
{
        _cleanup_free_ char *big =
                ct_spec("val-tty", "[\"/bin/cata-stdio-helper\",\"winsize\"]",
                        ",\"terminal\":true,\"consoleSize\":{\"height\":65535,\"width\":65535}",
                        NULL, NULL);
        _cleanup_free_ char *huge = ct_spec(
                "val-huge", "[\"true\"]",
                ",\"terminal\":true,\"consoleSize\":{\"height\":65536,\"width\":80}", NULL, NULL);
        _cleanup_free_ char *quota = ct_spec("val-quota", "[\"true\"]", NULL,
                                             ",\"resources\":{\"cpu\":{\"quota\":-5}}", NULL);
        _cleanup_free_ char *pids = ct_spec("val-pids", "[\"sleep\",\"100\"]", NULL,
                                            ",\"resources\":{\"pids\":{\"limit\":100}}", NULL);
        _cleanup_free_ char *text = NULL;
        struct ttrpc_status st = { 0 };
        char *out = NULL;
        int status;

        (void) state;
        /* A terminal has one stream: create, start, read it, wait, remove. */
        assert_int_equal(ct_create(cl, "val-tty", big, false, &st), 0);
        assert_int_equal(ct_id_call(cl, "StartContainer", "val-tty", &st), 0);
        assert_int_equal(ct_read_all(cl, "val-tty", "", false, &out, NULL), 0);
        assert_int_equal(ct_wait(cl, "val-tty", "", &status, &st), 0);
        assert_int_equal(status, 0);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "val-tty", &st), 0);
        assert_non_null(strstr(out, "65535 65535"));
        free(out);
        assert_int_equal(ct_create(cl, "val-huge", huge, false, &st), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "OCI.Process.ConsoleSize"));
        assert_int_equal(ct_create(cl, "val-quota", quota, false, &st), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "Resources.CPU.Quota`: -5"));

        assert_int_equal(ct_create(cl, "val-pids", pids, false, &st), 0);
        assert_int_equal(
                update_resources("val-pids", ",\"resources\":{\"pids\":{\"limit\":-5}}", &st),
                RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "Resources.Pids.Limit`: -5"));
        text = pids_max("val-pids");
        assert_string_equal(text, "100\n");
        free(text);
        /* -1 is unlimited, and honoured as such. */
        assert_int_equal(update_resources("val-pids",
                                          ",\"resources\":{\"pids\":{\"limit\":-1},"
                                          "\"cpu\":{\"quota\":-1,\"period\":100000}}",
                                          &st),
                         0);
        text = pids_max("val-pids");
        assert_string_equal(text, "max\n");
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "val-pids", &st), 0);
        ttrpc_status_done(&st);
        assert_int_equal(bundles_left(), 0);
}

/* ---- a full connection table ---- */

static int check_status(struct ttrpc_client *c)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };
        int r = ttrpc_client_call(c, "grpc.Health", "Check", &req.base,
                                  &grpc__health_check_response__descriptor, 5000000000ll, &resp,
                                  &st);

        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_status_done(&st);
        return r;
}

/* 64 connections open (the table's size): the next one gets in, and the connection idle the
 * longest without a call goes; one with a parked call (a WaitProcess) is kept, and its call is
 * still answered. */
static void test_full_table_evicts_oldest_idle(void **state)
{
        Grpc__WaitProcessRequest wait = GRPC__WAIT_PROCESS_REQUEST__INIT;
        _cleanup_free_ char *spec = ct_spec("conn-wait", "[\"sleep\",\"100\"]", NULL, NULL, NULL);
        struct ttrpc_client *c[63], *late;
        struct ttrpc_status st = { 0 };
        struct ttrpc_frame f = { 0 };
        uint8_t buf[128];
        size_t len;

        (void) state;
        assert_int_equal(ct_create(cl, "conn-wait", spec, false, &st), 0);
        assert_int_equal(ct_id_call(cl, "StartContainer", "conn-wait", &st), 0);
        for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
                c[i] = agent_connect(&agent);
                assert_int_equal(check_status(c[i]), 0);
        }
        /* c[0] parks a WaitProcess; cl is the most recent: c[1] is the oldest idle one. */
        wait.container_id = (char *) "conn-wait";
        wait.exec_id = (char *) "";
        len = protobuf_c_message_pack(&wait.base, buf);
        assert_int_equal(ttrpc_client_send_request(c[0], ttrpc_client_next_stream_id(c[0]),
                                                   "grpc.AgentService", "WaitProcess", buf, len, 0),
                         0);
        usleep(100000);
        assert_int_equal(check_status(cl), 0);

        late = agent_connect(&agent);
        assert_int_equal(check_status(late), 0);
        int r = check_status(c[1]);
        assert_true(r == -ECONNRESET || r == -EPIPE);
        assert_int_equal(check_status(c[2]), 0);
        /* The parked call survived: killing the container answers it. */
        assert_int_equal(ct_signal(cl, "conn-wait", "", SIGKILL, &st), 0);
        assert_int_equal(ttrpc_client_recv_frame(c[0], 10000, &f), 0);
        free(f.body);
        assert_true(agent_log_contains(&agent, "connection table full", 1000));
        for (size_t i = 0; i < ARRAY_SIZE(c); i++)
                ttrpc_client_free(c[i]);
        ttrpc_client_free(late);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "conn-wait", &st), 0);
        ttrpc_status_done(&st);
}

/* ---- bounded memory for parked input and buffered output ---- */

static double metric(const char *name)
{
        Grpc__GetMetricsRequest req = GRPC__GET_METRICS_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };
        _cleanup_free_ char *needle = xasprintf("\n%s ", name);
        const char *p;
        double v;

        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "GetMetrics", &req.base,
                                           &grpc__metrics__descriptor, 0, &resp, &st),
                         0);
        assert_int_equal(st.code, 0);
        p = strstr(((Grpc__Metrics *) resp)->metrics, needle);
        assert_non_null(p);
        v = strtod(p + strlen(needle), NULL);
        protobuf_c_message_free_unpacked(resp, NULL);
        return v;
}

#define STDIN_WRITES 30
#define STDIN_CHUNK  ((4u << 20) - (64u << 10))

static void *stdin_flood(void *arg)
{
        Grpc__WriteStreamRequest req = GRPC__WRITE_STREAM_REQUEST__INIT;
        struct ttrpc_client *c = arg;
        uint8_t *data = xzalloc(STDIN_CHUNK);
        uint8_t *buf = xmalloc(STDIN_CHUNK + 256);
        size_t len;

        req.container_id = (char *) "flood";
        req.exec_id = (char *) "";
        req.data.data = data;
        req.data.len = STDIN_CHUNK;
        len = protobuf_c_message_pack(&req.base, buf);
        for (int i = 0; i < STDIN_WRITES; i++)
                if (ttrpc_client_send_request(c, ttrpc_client_next_stream_id(c),
                                              "grpc.AgentService", "WriteStdin", buf, len, 0) < 0)
                        break;
        free(buf);
        free(data);
        return NULL;
}

/* 30 WriteStdin of ~4 MiB to a process that never reads: the agent holds at most its parked
 * budget (64 MiB) plus one request, stops reading that connection (the sender blocks), keeps
 * serving the others, and reads it again once the writes fail with the process's death. */
static void test_parked_stdin_bounded(void **state)
{
        _cleanup_free_ char *spec = ct_spec("flood", "[\"sleep\",\"1000\"]", NULL, NULL, NULL);
        struct ttrpc_client *c = agent_connect(&agent);
        struct ttrpc_status st = { 0 };
        long rss0, rss1;
        double held;
        pthread_t t;

        (void) state;
        assert_int_equal(ct_create(cl, "flood", spec, false, &st), 0);
        assert_int_equal(ct_id_call(cl, "StartContainer", "flood", &st), 0);
        rss0 = agent_proc_rss_kib(&agent);
        assert_int_equal(pthread_create(&t, NULL, stdin_flood, c), 0);
        assert_true(agent_log_contains(&agent, "not reading this connection", 20000));
        usleep(500000);
        held = metric("cata_agent_parked_request_bytes");
        rss1 = agent_proc_rss_kib(&agent);
        print_message("parked: %.0f bytes; agent RSS %ld -> %ld KiB\n", held, rss0, rss1);
        assert_true(held <= (64u << 20) + STDIN_CHUNK);
        assert_true(held >= (64u << 20));
        if (!getenv("CATA_SANITIZED"))
                assert_true(rss1 - rss0 < 100 * 1024);
        /* Another connection is served meanwhile; the process's death releases everything. */
        assert_int_equal(ct_signal(cl, "flood", "", SIGKILL, &st), 0);
        pthread_join(t, NULL);
        for (int i = 0; i < STDIN_WRITES; i++) {
                struct ttrpc_frame f = { 0 };
                assert_int_equal(ttrpc_client_recv_frame(c, 20000, &f), 0);
                free(f.body);
        }
        assert_true(metric("cata_agent_parked_request_bytes") == 0);
        ttrpc_client_free(c);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "flood", &st), 0);
        ttrpc_status_done(&st);
}

#define OUT_PROCS 40
#define OUT_BYTES 200000

/* 40 processes each write 200,000 bytes nobody reads yet: with 64 KiB per stream the agent
 * would hold 2.5 MiB, but all streams together stay within 32 x 64 KiB; then every byte is
 * still delivered, in full. */
static void test_buffered_output_bounded(void **state)
{
        _cleanup_free_ char *spec = ct_spec("outs", "[\"sleep\",\"1000\"]", NULL, NULL, NULL);
        struct ttrpc_status st = { 0 };
        double total;

        (void) state;
        assert_int_equal(ct_create(cl, "outs", spec, false, &st), 0);
        assert_int_equal(ct_id_call(cl, "StartContainer", "outs", &st), 0);
        for (int i = 0; i < OUT_PROCS; i++) {
                char eid[16];
                snprintf(eid, sizeof(eid), "gen-%d", i);
                assert_int_equal(ct_exec(cl, "outs", eid,
                                         "[\"/bin/cata-stdio-helper\",\"gen\",\"200000\"]", &st),
                                 0);
        }
        usleep(500000);
        total = metric("cata_agent_stdio_buffered_bytes");
        print_message("buffered output: %.0f bytes\n", total);
        assert_true(total <= 32 * 65536);
        assert_true(total >= 16 * 65536);
        for (int i = 0; i < OUT_PROCS; i++) {
                char eid[16], *out = NULL;
                size_t len = 0;
                int status = -1;
                snprintf(eid, sizeof(eid), "gen-%d", i);
                assert_int_equal(ct_read_all(cl, "outs", eid, false, &out, &len), 0);
                assert_int_equal(len, OUT_BYTES);
                free(out);
                assert_int_equal(ct_read_all(cl, "outs", eid, true, &out, &len), 0);
                free(out);
                assert_int_equal(ct_wait(cl, "outs", eid, &status, &st), 0);
                assert_int_equal(status, 0);
        }
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "outs", &st), 0);
        ttrpc_status_done(&st);
}

/* ---- restart on the same run dir; the agent's own oom_score_adj ---- */

static struct ttrpc_client *start_on(struct agent_proc *a, const char *run_dir)
{
        const char *args[] = { "--run-dir", run_dir, NULL };

        agent_proc_start(a, "", args, NULL);
        return agent_connect(a);
}

static pid_t first_pid_in_cgroup(const char *id)
{
        _cleanup_free_ char *path =
                xasprintf("/sys/fs/cgroup/pids/%s/%s/cgroup.procs", ct_cgroup_parent(), id);
        _cleanup_free_ char *text = NULL;

        assert_int_equal(read_file(path, 4096, &text, NULL), 0);
        return (pid_t) atoi(text);
}

/* Killed: gone, or a zombie its new parent (init, the old agent being dead) has yet to reap. */
static bool dead_or_zombie(pid_t pid)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int) pid);
        _cleanup_free_ char *text = NULL;
        const char *p;

        if (read_file(path, 4096, &text, NULL) < 0)
                return true;
        p = strrchr(text, ')');
        return p && (p[2] == 'Z' || p[2] == 'X');
}

static int oom_score_adj(pid_t pid)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/oom_score_adj", (int) pid);
        _cleanup_free_ char *text = NULL;

        assert_int_equal(read_file(path, 64, &text, NULL), 0);
        return atoi(text);
}

/* An agent killed while its container runs (ipc/uts namespace binds, a rootfs bind, a cgroup
 * with a live process): a new agent on the same run dir kills that process, detaches and
 * removes everything, and can create the same container again. The agent protects itself
 * from the OOM killer (-997) when it may, and its containers never inherit its value: the
 * test runs the agents at 500, which the container must not see. */
static void test_restart_same_run_dir(void **state)
{
        _cleanup_free_ char *run = xasprintf("%s-restart", ct_run_dir());
        _cleanup_free_ char *spec =
                ct_spec("again", "[\"sh\",\"-c\",\"cat /proc/self/oom_score_adj; sleep 1000\"]",
                        NULL, NULL, NULL);
        _cleanup_free_ char *once =
                ct_spec("again", "[\"cat\",\"/proc/self/oom_score_adj\"]", NULL, NULL, NULL);
        _cleanup_free_ char *cmd = NULL;
        struct agent_proc a1, a2;
        int status;
        struct ttrpc_client *c;
        struct ttrpc_status st = { 0 };
        char *out = NULL;
        pid_t old;
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

        (void) state;
        assert_true(fd >= 0);
        assert_true(dprintf(fd, "500") > 0);
        c = start_on(&a1, run);
        assert_true(agent_log_contains(&a1, "oom_score_adj set to -997", 0) ||
                    agent_log_contains(&a1, "cannot protect the agent from the OOM killer", 0));
        if (agent_log_contains(&a1, "oom_score_adj set to -997", 0))
                assert_int_equal(oom_score_adj(a1.pid), -997);
        else
                assert_int_equal(oom_score_adj(a1.pid), 500);
        assert_int_equal(ct_create(c, "again", spec, false, &st), 0);
        assert_int_equal(ct_id_call(c, "StartContainer", "again", &st), 0);
        old = first_pid_in_cgroup("again");
        assert_true(old > 0);
        assert_int_equal(oom_score_adj(old), 0);
        ttrpc_client_free(c);
        kill(a1.pid, SIGKILL);
        waitpid(a1.pid, NULL, 0);
        cmd = xasprintf("rm -rf '%s'", a1.dir);
        (void) !system(cmd);

        c = start_on(&a2, run);
        assert_true(agent_log_contains(&a2, "process(es) left in cgroup", 5000));
        assert_true(dead_or_zombie(old));
        ct_run(c, "again", once, &out, NULL, &status);
        assert_string_equal(out, "0\n");
        free(out);
        ttrpc_status_done(&st);
        ttrpc_client_free(c);
        agent_proc_stop(&a2);
        assert_int_equal(dprintf(fd, "0"), 1);
        close(fd);
        free(cmd);
        cmd = xasprintf("rm -rf '%s'", run);
        (void) !system(cmd);
}

/* ---- strings with a NUL inside ---- */

/* A container id "ab\0/../x" (hand-encoded: protobuf-c would stop at the NUL) and a NUL inside
 * an argument are refused by the decoder, naming the field; nothing called "ab" appears. */
static void test_nul_in_strings(void **state)
{
        static const uint8_t id[] = "\x0a\x08"
                                    "ab\0/../x";
        static const uint8_t arg[] = "\x0a\x02"
                                     "ab"
                                     "\x32\x0b\x12\x09\x22\x02"
                                     "ls"
                                     "\x22\x03"
                                     "a\0b";
        struct ttrpc_status st = { 0 };

        (void) state;
        assert_int_equal(ttrpc_client_call_raw(cl, "grpc.AgentService", "CreateContainer", id,
                                               sizeof(id) - 1, 0, &st, NULL, NULL),
                         0);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "field `container_id` contains a NUL byte"));
        ttrpc_status_done(&st);
        assert_int_equal(ttrpc_client_call_raw(cl, "grpc.AgentService", "CreateContainer", arg,
                                               sizeof(arg) - 1, 0, &st, NULL, NULL),
                         0);
        assert_int_equal(st.code, RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "field `OCI.Process.Args` contains a NUL byte"));
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "ab", &st), RPC_NOT_FOUND);
        ttrpc_status_done(&st);
        assert_int_equal(bundles_left(), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unchanged_ids_refused),
                cmocka_unit_test(test_nul_in_strings),
                cmocka_unit_test(test_error_statuses),
                cmocka_unit_test(test_values_not_reinterpreted),
                cmocka_unit_test(test_full_table_evicts_oldest_idle),
                cmocka_unit_test(test_parked_stdin_bounded),
                cmocka_unit_test(test_buffered_output_bounded),
                cmocka_unit_test(test_restart_same_run_dir),
                cmocka_unit_test(test_failed_creates_leave_nothing),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
