/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest-wide RPCs through the real agent: SetGuestDateTime (bad input only: a good call would set
 * this machine's clock; the VM test sets the guest's), ReseedRandomDev, GetDiagnosticData from a
 * real container's termination log, the mem-agent setters, and agent.config_file.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

static int call(const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp,
                struct ttrpc_status *st)
{
        ttrpc_status_done(st);
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", method, req,
                                           desc ? desc : &google__protobuf__empty__descriptor,
                                           10000000000LL, resp, st),
                         0);
        return st->code;
}

static void expect(int code, int want, const struct ttrpc_status *st, const char *needle)
{
        if (code != want || (needle && !strstr(st->message ? st->message : "", needle)))
                fail_msg("got %d `%s`, want %d with `%s`", code, st->message ? st->message : "",
                         want, needle ? needle : "");
}

static void test_set_guest_date_time_bad_input(void **state)
{
        static const struct {
                int64_t sec, usec;
                const char *needle;
        } bad[] = {
                { 1700000000, 1000000, "Usec 1000000 is not in [0, 1000000)" },
                { 1700000000, -1, "Usec -1" },
                { -5, 0, "Sec -5 is before the epoch" },
        };
        struct ttrpc_status st = { 0 };

        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                Grpc__SetGuestDateTimeRequest req = GRPC__SET_GUEST_DATE_TIME_REQUEST__INIT;
                req.sec = bad[i].sec;
                req.usec = bad[i].usec;
                expect(call("SetGuestDateTime", &req.base, NULL, NULL, &st), RPC_INVALID_ARGUMENT,
                       &st, bad[i].needle);
        }
        ttrpc_status_done(&st);
        assert_check_ok(cl);
}

static void test_reseed_random_dev(void **state)
{
        Grpc__ReseedRandomDevRequest req = GRPC__RESEED_RANDOM_DEV_REQUEST__INIT;
        uint8_t data[64];
        struct ttrpc_status st = { 0 };

        (void) state;
        expect(call("ReseedRandomDev", &req.base, NULL, NULL, &st), RPC_INVALID_ARGUMENT, &st,
               "missing entropy data");
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t) (i * 37 + 11);
        req.data.data = data;
        req.data.len = sizeof(data);
        expect(call("ReseedRandomDev", &req.base, NULL, NULL, &st), RPC_OK, &st, NULL);
        ttrpc_status_done(&st);
}

static int diag(const char *log_type, const char *id, char **data, struct ttrpc_status *st)
{
        Grpc__GetDiagnosticDataRequest req = GRPC__GET_DIAGNOSTIC_DATA_REQUEST__INIT;
        Grpc__GetDiagnosticDataResponse *resp = NULL;
        int code;

        req.log_type = (char *) log_type;
        req.container_id = (char *) id;
        code = call("GetDiagnosticData", &req.base, &grpc__get_diagnostic_data_response__descriptor,
                    (ProtobufCMessage **) &resp, st);
        if (resp) {
                *data = xstrdup(resp->data);
                protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        return code;
}

/* A container whose /dev/termination-log is bound from host_path, running script. */
static void run_with_termination_log(const char *id, const char *host_path, const char *script,
                                     bool annotate)
{
        _cleanup_free_ char *args = xasprintf("[\"sh\",\"-c\",\"%s\"]", script);
        _cleanup_free_ char *top =
                annotate ? xstrdup(",\"annotations\":{\"io.kubernetes.container."
                                   "terminationMessagePath\":\"/dev/termination-log\"}")
                         : xstrdup("");
        _cleanup_free_ char *spec = ct_spec(id, args, NULL, NULL, top);
        const char *anchor = "\"options\":[\"nosuid\",\"nodev\"]}],";
        char *at = strstr(spec, anchor);
        _cleanup_free_ char *full = NULL;
        struct ttrpc_status st = { 0 };
        int status = -1;

        assert_non_null(at);
        at += strlen(anchor) - 2;
        full = xasprintf("%.*s,{\"destination\":\"/dev/termination-log\",\"type\":\"bind\","
                         "\"source\":\"%s\",\"options\":[\"rbind\",\"rw\"]}%s",
                         (int) (at - spec), spec, host_path, at);
        expect(ct_create(cl, id, full, false, &st), RPC_OK, &st, NULL);
        expect(ct_id_call(cl, "StartContainer", id, &st), RPC_OK, &st, NULL);
        expect(ct_wait(cl, id, id, &status, &st), RPC_OK, &st, NULL);
        assert_int_equal(status, 0);
        ttrpc_status_done(&st);
}

static void write_text(const char *path, const char *text, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, len), (ssize_t) len);
        close(fd);
}

static void test_get_diagnostic_data(void **state)
{
        _cleanup_free_ char *path = xasprintf("%s/termination-log", agent.dir);
        _cleanup_free_ char *fifo = xasprintf("%s/fifo", agent.dir);
        char *data = NULL;
        char big[10000];
        struct ttrpc_status st = { 0 };

        (void) state;
        expect(diag("syslog", "c1", &data, &st), RPC_INVALID_ARGUMENT, &st,
               "unsupported diagnostic log_type: `syslog`");
        expect(diag("termination_log", "nope", &data, &st), RPC_NOT_FOUND, &st,
               "container `nope` not found");
        expect(diag("termination_log", "../x", &data, &st), RPC_INVALID_ARGUMENT, &st,
               "invalid container id");

        /* The container writes its message (with a byte that is not UTF-8). */
        write_text(path, "", 0);
        run_with_termination_log("diag1", path, "printf 'bye\\\\377!' > /dev/termination-log",
                                 true);
        expect(diag("termination_log", "diag1", &data, &st), RPC_OK, &st, NULL);
        assert_string_equal(data, "bye\xef\xbf\xbd!");
        free(data);

        /* Capped at 4 KiB, as Kubernetes caps termination messages. */
        memset(big, 'x', sizeof(big));
        write_text(path, big, sizeof(big));
        expect(diag("termination_log", "diag1", &data, &st), RPC_OK, &st, NULL);
        assert_int_equal(strlen(data), 4096);
        free(data);

        /* Gone: empty, not an error. */
        unlink(path);
        expect(diag("termination_log", "diag1", &data, &st), RPC_OK, &st, NULL);
        assert_string_equal(data, "");
        free(data);

        /* A FIFO in its place must not stall the agent. */
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(rename(fifo, path), 0);
        expect(diag("termination_log", "diag1", &data, &st), RPC_INVALID_ARGUMENT, &st,
               "not a regular file");
        unlink(path);
        expect(ct_id_call(cl, "RemoveContainer", "diag1", &st), RPC_OK, &st, NULL);

        /* Without the annotation there is nothing to read. */
        write_text(path, "m", 1);
        run_with_termination_log("diag2", path, "true", false);
        expect(diag("termination_log", "diag2", &data, &st), RPC_NOT_FOUND, &st,
               "no terminationMessagePath annotation");
        expect(ct_id_call(cl, "RemoveContainer", "diag2", &st), RPC_OK, &st, NULL);
        unlink(path);
        ttrpc_status_done(&st);
        assert_check_ok(cl);
}

/* Without a mem-agent, both setters answer what the Rust agent answers when its mem-agent is
 * off, whatever the request. */
static void test_mem_agent_disabled(void **state)
{
        Grpc__MemAgentMemcgConfig memcg = GRPC__MEM_AGENT_MEMCG_CONFIG__INIT;
        Grpc__MemAgentCompactConfig compact = GRPC__MEM_AGENT_COMPACT_CONFIG__INIT;
        struct ttrpc_status st = { 0 };

        (void) state;
        memcg._swap_case = GRPC__MEM_AGENT_MEMCG_CONFIG___SWAP_SWAP;
        memcg.swap = true;
        expect(call("MemAgentMemcgSet", &memcg.base, NULL, NULL, &st), RPC_INTERNAL, &st,
               "mem-agent is disabled");
        expect(call("MemAgentCompactSet", &compact.base, NULL, NULL, &st), RPC_INTERNAL, &st,
               "mem-agent is disabled");
        ttrpc_status_done(&st);
}

/* agent.config_file on the command line replaces it: the file's log level shows in the log,
 * the command line's devmode does not reach the configuration. */
static void test_config_file(void **state)
{
        struct agent_proc a2;
        char path[] = "/tmp/cata-config-XXXXXX";
        const char *text = "log_level = \"debug\"\ndev_mode = false\nlaunch_process_timeout = "
                           "{ secs = 9, nanos = 0 }\n[endpoints]\nallowed = [\"A\"]\n";
        _cleanup_free_ char *cmdline = NULL;
        int fd = mkstemp(path);
        struct ttrpc_client *c;

        (void) state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        cmdline = xasprintf("agent.log=warn agent.config_file=%s", path);
        agent_proc_start(&a2, cmdline, NULL, NULL);
        c = agent_connect(&a2);
        assert_check_ok(c);
        assert_true(agent_log_contains(&a2, "\"level\":\"DEBG\"", 5000));
        ttrpc_client_free(c);
        agent_proc_stop(&a2);

        /* A broken file: one error line, the command line still applies (warn: no debug). */
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_int_equal(write(fd, "log_level = [", 13), 13);
        close(fd);
        agent_proc_start(&a2, cmdline, NULL, NULL);
        c = agent_connect(&a2);
        assert_check_ok(c);
        assert_true(agent_log_contains(&a2,
                                       "line 1: expected a value; using the kernel command "
                                       "line",
                                       5000));
        assert_false(agent_log_contains(&a2, "\"level\":\"DEBG\"", 200));
        ttrpc_client_free(c);
        agent_proc_stop(&a2);
        unlink(path);
}

/* cata-agent as PID 1 of a new pid and mount namespace (its boot mounts stay in there). */
static pid_t start_pid1(const char *addr, const char *cmdline_text, char *cmdline_path)
{
        int fd = mkstemp(cmdline_path);
        pid_t pid;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, cmdline_text, strlen(cmdline_text)),
                         (ssize_t) strlen(cmdline_text));
        close(fd);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR);
                dup2(null, 1);
                dup2(null, 2);
                /* The agent's boot mounts create mount points: on private tmpfs copies of
                 * /sys/fs/cgroup and /run, never in this machine's. exec keeps PID 1. */
                execlp("unshare", "unshare", "-m", "-p", "-f", "--mount-proc", "sh", "-c",
                       "mount -t tmpfs cata-it /sys/fs/cgroup && mount -t tmpfs cata-it /run && "
                       "exec \"$0\" --addr \"$1\" --cmdline \"$2\"",
                       getenv("CATA_AGENT_BIN"), addr, cmdline_path, (char *) NULL);
                _exit(127);
        }
        return pid;
}

/* The agent's pid (in our namespace): the child of unshare. */
static pid_t agent_pid_of(pid_t unshare_pid)
{
        _cleanup_free_ char *path =
                xasprintf("/proc/%d/task/%d/children", unshare_pid, unshare_pid);
        for (int i = 0; i < 100; i++) {
                _cleanup_free_ char *text = NULL;
                if (read_file(path, 4096, &text, NULL) == 0 && atoi(text) > 0)
                        return atoi(text);
                usleep(20000);
        }
        fail_msg("no agent under unshare");
        return -1;
}

static bool environ_has(pid_t pid, const char *needle)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/environ", pid);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;

        if (read_file(path, 1 << 20, &text, &len) < 0)
                return false;
        for (size_t i = 0; i < len; i += strlen(text + i) + 1)
                if (streq(text + i, needle))
                        return true;
        return false;
}

static struct ttrpc_client *connect_retry(const char *addr)
{
        struct ttrpc_client *c = NULL;

        for (int i = 0; i < 200 && !c; i++) {
                if (ttrpc_client_connect(addr, &c) < 0) {
                        c = NULL;
                        usleep(25000);
                }
        }
        assert_non_null(c);
        return c;
}

/* PID 1's crash path: a SIGSEGV from outside is ignored as the kernel would (no devmode), or,
 * with agent.devmode, stands in for a crash: the agent re-executes itself in place (same pid,
 * CATA_REEXEC_COUNT=1) and serves again. */
static void test_pid1_crash_contained(void **state)
{
        for (int devmode = 0; devmode <= 1; devmode++) {
                char cmdline[] = "/var/tmp/cata-it-cmdline-XXXXXX";
                _cleanup_free_ char *addr =
                        xasprintf("unix://@cata-it-pid1-%d-%d", (int) getpid(), devmode);
                pid_t u = start_pid1(addr, devmode ? "agent.devmode" : "", cmdline);
                pid_t p = agent_pid_of(u);
                struct ttrpc_client *c = connect_retry(addr);
                int status;

                (void) state;
                assert_check_ok(c);
                ttrpc_client_free(c);
                assert_int_equal(kill(p, SIGSEGV), 0);
                usleep(300000);
                c = connect_retry(addr);
                assert_check_ok(c);
                ttrpc_client_free(c);
                assert_int_equal(kill(p, 0), 0);
                assert_int_equal(environ_has(p, "CATA_REEXEC_COUNT=1"), devmode == 1);
                kill(p, SIGKILL);
                assert_int_equal(waitpid(u, &status, 0), u);
                unlink(cmdline);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_guest_date_time_bad_input),
                cmocka_unit_test(test_reseed_random_dev),
                cmocka_unit_test(test_get_diagnostic_data),
                cmocka_unit_test(test_mem_agent_disabled),
                cmocka_unit_test(test_config_file),
                cmocka_unit_test(test_pid1_crash_contained),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
