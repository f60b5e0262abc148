/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container lifecycle through the real agent, with Kata's semantics: create/start split, exec,
 * signals, WaitProcess reaping, removal, pause/resume, update, stats, error codes, and no leaks
 * over many cycles.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct agent_proc agent;
static struct ttrpc_client *cl;

static int setup(void **state)
{
        (void) state;
        cl = ct_agent_start(&agent, "");
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        ct_agent_stop(&agent, cl);
        return 0;
}

static void test_run_output_and_status(void **state)
{
        char *out = NULL, *err = NULL;
        _cleanup_free_ char *spec =
                ct_spec("life-run", "[\"sh\",\"-c\",\"echo hello; echo oops >&2; exit 7\"]", NULL,
                        NULL, NULL);
        int status = -1;

        (void) state;
        ct_run(cl, "life-run", spec, &out, &err, &status);
        assert_string_equal(out, "hello\n");
        assert_string_equal(err, "oops\n");
        assert_int_equal(status, 7);
        free(out);
        free(err);
}

/* A host directory bound into the container lets the test see what the process did. */
static char *host_dir(const char *name)
{
        char *d = xasprintf("/tmp/cata-life-%d-%s", (int) getpid(), name);
        (void) mkdir(d, 0777);
        return d;
}

static char *bind_extra(const char *dir)
{
        return xasprintf(
                ",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
                "{\"destination\":\"/host\",\"type\":\"bind\",\"source\":\"%s\","
                "\"options\":[\"rbind\",\"rw\"]}]",
                dir);
}

static bool file_exists(const char *dir, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        return access(p, F_OK) == 0;
}

/* CreateContainer leaves the init process stopped before execve; StartContainer runs it. */
static void test_create_start_split(void **state)
{
        _cleanup_free_ char *dir = host_dir("split"), *extra = bind_extra(dir);
        _cleanup_free_ char *spec =
                ct_spec("life-split", "[\"touch\",\"/host/ran\"]", NULL, NULL, extra);
        struct ttrpc_status st = { 0 };
        int status = -1;

        (void) state;
        assert_int_equal(ct_create(cl, "life-split", spec, false, &st), 0);
        usleep(300000);
        assert_false(file_exists(dir, "ran"));
        assert_int_equal(ct_id_call(cl, "StartContainer", "life-split", &st), 0);
        assert_int_equal(ct_wait(cl, "life-split", "", &status, &st), 0);
        assert_int_equal(status, 0);
        assert_true(file_exists(dir, "ran"));
        /* A second start of the same container is refused. */
        assert_int_not_equal(ct_id_call(cl, "StartContainer", "life-split", &st), 0);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-split", &st), 0);
        ttrpc_status_done(&st);
}

static void start_sleeper(const char *id, const char *script)
{
        _cleanup_free_ char *args = xasprintf("[\"sh\",\"-c\",\"%s\"]", script);
        _cleanup_free_ char *spec = ct_spec(id, args, NULL, NULL, NULL);
        struct ttrpc_status st = { 0 };

        if (ct_create(cl, id, spec, false, &st) != 0)
                fail_msg("create: %s", st.message);
        if (ct_id_call(cl, "StartContainer", id, &st) != 0)
                fail_msg("start: %s", st.message);
        ttrpc_status_done(&st);
}

static void test_exec(void **state)
{
        struct ttrpc_status st = { 0 };
        char *out = NULL;
        int status = -1;

        (void) state;
        start_sleeper("life-exec", "sleep 1000");
        assert_int_equal(ct_exec(cl, "life-exec", "e1",
                                 "[\"sh\",\"-c\",\"hostname; echo $$; exit 5\"]", &st),
                         0);
        assert_int_equal(ct_read_all(cl, "life-exec", "e1", false, &out, NULL), 0);
        assert_int_equal(ct_wait(cl, "life-exec", "e1", &status, &st), 0);
        assert_int_equal(status, 5);
        /* Same namespaces as the init: the hostname, and a pid other than 1 in its pid ns. */
        assert_non_null(strstr(out, "cata-test\n"));
        assert_null(strstr(out, "\n1\n"));
        free(out);
        /* A duplicate exec id, an unknown container, a missing binary. */
        assert_int_equal(ct_exec(cl, "life-exec", "e2", "[\"sleep\",\"1000\"]", &st), 0);
        assert_int_equal(ct_exec(cl, "life-exec", "e2", "[\"true\"]", &st), RPC_ALREADY_EXISTS);
        assert_int_equal(ct_exec(cl, "nope-exec", "e3", "[\"true\"]", &st), RPC_NOT_FOUND);
        assert_int_not_equal(ct_exec(cl, "life-exec", "e4", "[\"/no/such/binary\"]", &st), 0);
        assert_non_null(strstr(st.message, "/no/such/binary"));
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-exec", &st), 0);
        ttrpc_status_done(&st);
}

/* A process that exits at once may be reaped before the end of its setup handshake is read:
 * Start and Exec must still succeed (a race the benchmark found). */
static void test_instant_exit_races(void **state)
{
        struct ttrpc_status st = { 0 };
        char *out = NULL;
        int status;

        (void) state;
        start_sleeper("life-race", "sleep 1000");
        for (int i = 0; i < 60; i++) {
                char eid[16];
                snprintf(eid, sizeof(eid), "t%d", i);
                if (ct_exec(cl, "life-race", eid, "[\"true\"]", &st) != 0)
                        fail_msg("exec %d: %s", i, st.message);
                assert_int_equal(ct_read_all(cl, "life-race", eid, false, &out, NULL), 0);
                free(out);
                assert_int_equal(ct_wait(cl, "life-race", eid, &status, &st), 0);
                assert_int_equal(status, 0);
        }
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-race", &st), 0);
        for (int i = 0; i < 40; i++) {
                char id[24];
                snprintf(id, sizeof(id), "life-race-%d", i);
                ct_sh(cl, id, "true", NULL, &status);
                assert_int_equal(status, 0);
        }
        ttrpc_status_done(&st);
}

/* Kata's sandbox: the pod's containers share persistent ipc and uts namespaces, not the
 * agent's. */
static void test_sandbox_shared_namespaces(void **state)
{
        const char *script = "for f in ipc uts mnt; do readlink /proc/self/ns/$f; done";
        char *a = NULL, *b = NULL, host[256] = "";
        int status;
        ssize_t n;

        (void) state;
        ct_sh(cl, "life-ns-a", script, &a, &status);
        ct_sh(cl, "life-ns-b", script, &b, &status);
        /* Same ipc and uts lines (the containers run one after the other, so their own mount
         * namespaces may reuse an inode number: not compared). */
        assert_non_null(strstr(a, "mnt:"));
        assert_non_null(strstr(b, "mnt:"));
        assert_memory_equal(a, b, (size_t) (strstr(a, "mnt:") - a));
        n = readlink("/proc/self/ns/ipc", host, sizeof(host) - 1);
        assert_true(n > 0);
        assert_null(strstr(a, host));
        free(a);
        free(b);
}

/* sandbox_pidns: the container joins the pid namespace of the sandbox's first container (Kata's
 * shareProcessNamespace), instead of getting its own. */
static void test_sandbox_pidns(void **state)
{
        _cleanup_free_ char *spec = ct_spec("life-pidns-b", "[\"ps\"]", NULL, NULL, NULL);
        struct ttrpc_status st = { 0 };
        char *out = NULL;
        int status;

        (void) state;
        start_sleeper("life-pidns-a", "sleep 1234");
        assert_int_equal(ct_create(cl, "life-pidns-b", spec, true, &st), 0);
        assert_int_equal(ct_id_call(cl, "StartContainer", "life-pidns-b", &st), 0);
        assert_int_equal(ct_read_all(cl, "life-pidns-b", "", false, &out, NULL), 0);
        assert_int_equal(ct_wait(cl, "life-pidns-b", "", &status, &st), 0);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-pidns-b", &st), 0);
        assert_non_null(strstr(out, "sleep 1234"));
        free(out);
        /* Without sandbox_pidns: its own namespace, the sandbox's processes are not there. */
        ct_sh(cl, "life-pidns-c", "ps", &out, &status);
        assert_null(strstr(out, "sleep 1234"));
        free(out);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-pidns-a", &st), 0);
        ttrpc_status_done(&st);
}

/* SIGTERM to an init without a handler becomes SIGKILL (pid 1 would ignore it); with a
 * handler it is delivered. */
static void test_signals(void **state)
{
        struct ttrpc_status st = { 0 };
        char *out = NULL;
        int status = -1;

        (void) state;
        start_sleeper("life-sig1", "sleep 1000");
        assert_int_equal(ct_signal(cl, "life-sig1", "", SIGTERM, &st), 0);
        assert_int_equal(ct_wait(cl, "life-sig1", "", &status, &st), 0);
        assert_int_equal(status, 128 + SIGKILL);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-sig1", &st), 0);

        start_sleeper("life-sig2",
                      "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.05; "
                      "done");
        /* Wait for the trap to be installed (the script says so). */
        {
                Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
                ProtobufCMessage *resp = NULL;
                req.container_id = (char *) "life-sig2";
                req.exec_id = (char *) "";
                req.len = 6;
                assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "ReadStdout", &req.base,
                                                   &grpc__read_stream_response__descriptor, 0,
                                                   &resp, &st),
                                 0);
                protobuf_c_message_free_unpacked(resp, NULL);
        }
        assert_int_equal(ct_signal(cl, "life-sig2", "", SIGTERM, &st), 0);
        assert_int_equal(ct_read_all(cl, "life-sig2", "", false, &out, NULL), 0);
        assert_int_equal(ct_wait(cl, "life-sig2", "", &status, &st), 0);
        assert_int_equal(status, 42);
        assert_non_null(strstr(out, "got-term"));
        free(out);
        /* Signalling a process that was waited for: NOT_FOUND; with exec id "" and SIGKILL on a
         * container whose init is gone: kill-all, fine. */
        assert_int_equal(ct_signal(cl, "life-sig2", "", SIGTERM, &st), RPC_NOT_FOUND);
        assert_int_equal(ct_signal(cl, "life-sig2", "", SIGKILL, &st), 0);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-sig2", &st), 0);
        ttrpc_status_done(&st);
}

/* Every concurrent waiter gets the code; the process is then forgotten (NOT_FOUND). */
static void test_wait_semantics(void **state)
{
        struct ttrpc_client *c2 = agent_connect(&agent);
        Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
        Grpc__SignalProcessRequest sig = GRPC__SIGNAL_PROCESS_REQUEST__INIT;
        struct ttrpc_status st = { 0 };
        size_t len;
        uint8_t buf[256];
        char *out = NULL;
        int status;

        (void) state;
        start_sleeper("life-wait", "sleep 1000");
        req.container_id = (char *) "life-wait";
        req.exec_id = (char *) "";
        len = grpc__wait_process_request__pack(&req, buf);
        /* Two waiters on one connection, a third on another. */
        assert_int_equal(
                ttrpc_client_send_request(c2, 1, "grpc.AgentService", "WaitProcess", buf, len, 0),
                0);
        assert_int_equal(
                ttrpc_client_send_request(c2, 3, "grpc.AgentService", "WaitProcess", buf, len, 0),
                0);
        usleep(100000);
        sig.container_id = (char *) "life-wait";
        sig.exec_id = (char *) "";
        sig.signal = SIGKILL;
        (void) sig;
        assert_int_equal(ct_signal(cl, "life-wait", "life-wait", SIGKILL, &st), 0);
        for (int i = 0; i < 2; i++) {
                struct ttrpc_frame f;
                uint8_t *payload = NULL;
                size_t plen = 0;
                Grpc__WaitProcessResponse *resp;
                struct ttrpc_status fst = { 0 };
                assert_int_equal(ttrpc_client_recv_frame(c2, 5000, &f), 0);
                assert_int_equal(
                        ttrpc_response_decode(f.body, f.header.length, &fst, &payload, &plen), 0);
                assert_int_equal(fst.code, 0);
                resp = grpc__wait_process_response__unpack(NULL, plen, payload);
                assert_non_null(resp);
                assert_int_equal(resp->status, 137);
                grpc__wait_process_response__free_unpacked(resp, NULL);
                free(payload);
                free(f.body);
                ttrpc_status_done(&fst);
        }
        /* Gone now: waits and reads are NOT_FOUND. */
        assert_int_equal(ct_wait(cl, "life-wait", "", &status, &st), RPC_NOT_FOUND);
        assert_int_equal(ct_read_all(cl, "life-wait", "", false, &out, NULL), RPC_NOT_FOUND);
        free(out);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-wait", &st), 0);
        ttrpc_client_free(c2);
        ttrpc_status_done(&st);
}

static bool cgroup_dir_exists(const char *id)
{
        _cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/memory/%s/%s", ct_cgroup_parent(), id);
        _cleanup_free_ char *p2 = xasprintf("/sys/fs/cgroup/%s/%s", ct_cgroup_parent(), id);
        return access(p, F_OK) == 0 || access(p2, F_OK) == 0;
}

static bool bundle_exists(const char *id)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", ct_run_dir(), id);
        return access(p, F_OK) == 0;
}

static bool mounted(const char *id)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *needle = xasprintf("%s/%s/", ct_run_dir(), id);
        assert_int_equal(read_file("/proc/self/mountinfo", 16u << 20, &text, NULL), 0);
        return strstr(text, needle) != NULL;
}

static void assert_nothing_left(const char *id)
{
        assert_false(bundle_exists(id));
        assert_false(cgroup_dir_exists(id));
        assert_false(mounted(id));
}

/* Bad input: the right status, a message naming the field, nothing left behind. */
static void test_create_errors(void **state)
{
        struct ttrpc_status st = { 0 };
        _cleanup_free_ char *ok = ct_spec("life-dup", "[\"sleep\",\"1000\"]", NULL, NULL, NULL);
        _cleanup_free_ char *relcwd =
                ct_spec("life-relcwd", "[\"true\"]", ",\"cwd\":\"tmp\"", NULL, NULL);
        _cleanup_free_ char *badcwd =
                ct_spec("life-badcwd", "[\"true\"]", ",\"cwd\":\"/nope\"", NULL, NULL);
        _cleanup_free_ char *nobin = ct_spec("life-nobin", "[\"no-such-cmd\"]", NULL, NULL, NULL);
        _cleanup_free_ char *badmount = ct_spec(
                "life-badmount", "[\"true\"]", NULL, NULL,
                ",\"mounts\":[{\"destination\":\"/x\",\"type\":\"bogusfs\",\"source\":\"none\"}]");
        _cleanup_free_ char *badns = ct_spec("life-badns", "[\"true\"]", NULL,
                                             ",\"namespaces\":[{\"type\":\"bogus\"}]", NULL);
        _cleanup_free_ char *badcap =
                ct_spec("life-badcap", "[\"true\"]",
                        ",\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}", NULL, NULL);

        (void) state;
        assert_int_equal(ct_create(cl, "life-dup", ok, false, &st), 0);
        assert_int_equal(ct_create(cl, "life-dup", ok, false, &st), RPC_ALREADY_EXISTS);
        assert_non_null(strstr(st.message, "life-dup"));
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-dup", &st), 0);
        assert_nothing_left("life-dup");

        assert_int_equal(ct_create(cl, "x", ok, false, &st), RPC_INVALID_ARGUMENT);
        assert_int_equal(ct_create(cl, "-bad", ok, false, &st), RPC_INVALID_ARGUMENT);
        assert_int_equal(ct_create(cl, "../etc", ok, false, &st), RPC_INVALID_ARGUMENT);
        assert_int_equal(ct_create(cl, "life-relcwd", relcwd, false, &st), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "Cwd"));
        assert_int_equal(ct_create(cl, "life-badns", badns, false, &st), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "Namespaces"));
        assert_nothing_left("life-badns");
        assert_int_equal(ct_create(cl, "life-badcap", badcap, false, &st), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "CAP_NOPE"));
        assert_nothing_left("life-badcap");

        /* Errors found by the child come back with errno and the step. */
        assert_int_equal(ct_create(cl, "life-badcwd", badcwd, false, &st), RPC_NOT_FOUND);
        assert_non_null(strstr(st.message, "chdir to cwd `/nope`"));
        assert_non_null(strstr(st.message, "No such file or directory"));
        assert_nothing_left("life-badcwd");
        assert_int_equal(ct_create(cl, "life-nobin", nobin, false, &st), RPC_NOT_FOUND);
        assert_non_null(strstr(st.message, "no-such-cmd"));
        assert_nothing_left("life-nobin");
        assert_int_not_equal(ct_create(cl, "life-badmount", badmount, false, &st), 0);
        assert_non_null(strstr(st.message, "bogusfs"));
        assert_nothing_left("life-badmount");
        /* The id is free again after a failure. */
        assert_int_not_equal(ct_create(cl, "life-badmount", badmount, false, &st),
                             RPC_ALREADY_EXISTS);
        ttrpc_status_done(&st);
}

static void test_unknown_ids(void **state)
{
        static const char *const methods[] = { "StartContainer", "RemoveContainer",
                                               "PauseContainer", "ResumeContainer" };
        struct ttrpc_status st = { 0 };
        int status;

        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
                assert_int_equal(ct_id_call(cl, methods[i], "no-such-ctr", &st), RPC_NOT_FOUND);
        assert_int_equal(ct_signal(cl, "no-such-ctr", "", SIGTERM, &st), RPC_NOT_FOUND);
        assert_int_equal(ct_wait(cl, "no-such-ctr", "", &status, &st), RPC_NOT_FOUND);
        assert_int_equal(ct_id_call(cl, "StartContainer", "b", &st), RPC_INVALID_ARGUMENT);
        ttrpc_status_done(&st);
}

static char *cg_file(const char *controller, const char *id, const char *file)
{
        _cleanup_free_ char *p =
                xasprintf("/sys/fs/cgroup/%s/%s/%s/%s", controller, ct_cgroup_parent(), id, file);
        char *text = NULL;
        assert_int_equal(read_file(p, 1 << 16, &text, NULL), 0);
        return text;
}

static void test_pause_resume_update_stats(void **state)
{
        Grpc__StatsContainerRequest sreq = GRPC__STATS_CONTAINER_REQUEST__INIT;
        Grpc__UpdateContainerRequest ureq = GRPC__UPDATE_CONTAINER_REQUEST__INIT;
        Grpc__LinuxResources res = GRPC__LINUX_RESOURCES__INIT;
        Grpc__LinuxMemory mem = GRPC__LINUX_MEMORY__INIT;
        Grpc__StatsContainerResponse *stats = NULL;
        ProtobufCMessage *empty = NULL;
        struct ttrpc_status st = { 0 };
        char *text;

        (void) state;
        start_sleeper("life-pause", "while true; do sleep 0.05; done");
        assert_int_equal(ct_id_call(cl, "PauseContainer", "life-pause", &st), 0);
        text = cg_file("freezer", "life-pause", "freezer.state");
        assert_string_equal(text, "FROZEN\n");
        free(text);
        assert_int_equal(ct_id_call(cl, "ResumeContainer", "life-pause", &st), 0);
        text = cg_file("freezer", "life-pause", "freezer.state");
        assert_string_equal(text, "THAWED\n");
        free(text);

        mem.limit = 96 << 20;
        res.memory = &mem;
        ureq.container_id = (char *) "life-pause";
        ureq.resources = &res;
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "UpdateContainer", &ureq.base,
                                           NULL, 0, &empty, &st),
                         0);
        assert_int_equal(st.code, 0);
        text = cg_file("memory", "life-pause", "memory.limit_in_bytes");
        assert_string_equal(text, "100663296\n");
        free(text);

        sreq.container_id = (char *) "life-pause";
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "StatsContainer", &sreq.base,
                                           &grpc__stats_container_response__descriptor, 0,
                                           (ProtobufCMessage **) &stats, &st),
                         0);
        assert_int_equal(st.code, 0);
        assert_non_null(stats->cgroup_stats);
        /* sh, and its sleep unless caught between two. */
        assert_true(stats->cgroup_stats->pids_stats->current >= 1);
        assert_true(stats->cgroup_stats->memory_stats->usage->usage > 0);
        assert_int_equal(stats->cgroup_stats->memory_stats->usage->limit, 96 << 20);
        assert_true(stats->cgroup_stats->cpu_stats->cpu_usage->total_usage > 0);
        protobuf_c_message_free_unpacked(&stats->base, NULL);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-pause", &st), 0);
        assert_nothing_left("life-pause");
        ttrpc_status_done(&st);
}

/* Remove kills what is left (daemons too: they are in the cgroup) and leaves nothing. */
static void test_remove_running(void **state)
{
        struct ttrpc_status st = { 0 };

        (void) state;
        start_sleeper("life-rm", "sleep 1000 & sleep 1000 & sleep 1000");
        assert_int_equal(ct_exec(cl, "life-rm", "e1", "[\"sleep\",\"1000\"]", &st), 0);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-rm", &st), 0);
        assert_nothing_left("life-rm");
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "life-rm", &st), RPC_NOT_FOUND);
        ttrpc_status_done(&st);
}

/* 200 create/start/wait/remove cycles: fds, mounts, cgroups, children and memory all return to
 * where they were. */
static void test_no_leaks_200_cycles(void **state)
{
        char fd_dir[64];
        unsigned fds0, mounts0, children0;
        long rss0, rss1;

        (void) state;
        snprintf(fd_dir, sizeof(fd_dir), "/proc/%d/fd", (int) agent.pid);
        /* Warm up the allocator first so the baseline is fair. */
        for (int i = 0; i < 5; i++) {
                int status;
                ct_sh(cl, "life-warm", "true", NULL, &status);
        }
        fds0 = ct_count_dir(fd_dir);
        mounts0 = ct_count_mounts_of_run_dir();
        children0 = ct_count_children(agent.pid);
        rss0 = agent_proc_rss_kib(&agent);
        for (int i = 0; i < 200; i++) {
                char id[32];
                int status = -1;
                snprintf(id, sizeof(id), "life-cycle-%d", i);
                ct_sh(cl, id, "echo x", NULL, &status);
                assert_int_equal(status, 0);
        }
        rss1 = agent_proc_rss_kib(&agent);
        print_message("agent: fds %u -> %u, RSS %ld -> %ld KiB\n", fds0, ct_count_dir(fd_dir), rss0,
                      rss1);
        assert_int_equal(ct_count_dir(fd_dir), fds0);
        assert_int_equal(ct_count_mounts_of_run_dir(), mounts0);
        assert_int_equal(ct_count_children(agent.pid), children0);
        for (int i = 0; i < 3; i++) {
                static const char *const ctrl[] = { "memory", "pids", "freezer" };
                _cleanup_free_ char *dir =
                        xasprintf("/sys/fs/cgroup/%s/%s", ctrl[i], ct_cgroup_parent());
                assert_int_equal(ct_count_subdirs(dir), 0);
        }
        if (!getenv("CATA_SANITIZED"))
                assert_true(rss1 - rss0 < 1024);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_run_output_and_status),
                cmocka_unit_test(test_create_start_split),
                cmocka_unit_test(test_exec),
                cmocka_unit_test(test_instant_exit_races),
                cmocka_unit_test(test_sandbox_shared_namespaces),
                cmocka_unit_test(test_sandbox_pidns),
                cmocka_unit_test(test_signals),
                cmocka_unit_test(test_wait_semantics),
                cmocka_unit_test(test_create_errors),
                cmocka_unit_test(test_unknown_ids),
                cmocka_unit_test(test_pause_resume_update_stats),
                cmocka_unit_test(test_remove_running),
                cmocka_unit_test(test_no_leaks_200_cycles),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
