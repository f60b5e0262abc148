/* SPDX-License-Identifier: Apache-2.0 */
#include "harness.h"

#include "../unit/cm.h"

#include "base/util.h"
#include "health.pb-c.h"
#include "ttrpc.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static char **build_env(const char *const *env_extra)
{
        size_t n = 0, m = 0;
        char **env;

        while (environ[n])
                n++;
        while (env_extra && env_extra[m])
                m++;
        env = xzalloc((n + m + 1) * sizeof(char *));
        memcpy(env, environ, n * sizeof(char *));
        for (size_t i = 0; i < m; i++)
                env[n + i] = (char *) env_extra[i];
        return env;
}

void agent_proc_spawn(struct agent_proc *a, const char *cmdline, const char *const *extra_args,
                      const char *const *env_extra, bool with_addr)
{
        const char *bin = getenv("CATA_AGENT_BIN");
        char cmdline_path[128], sock[128], run_dir[128], resolv[128];
        const char *argv[32];
        size_t n = 0;

        assert_non_null(bin);
        memset(a, 0, sizeof(*a));
        snprintf(a->dir, sizeof(a->dir), "/tmp/cata-it-XXXXXX");
        assert_non_null(mkdtemp(a->dir));
        snprintf(sock, sizeof(sock), "%s/agent.sock", a->dir);
        snprintf(a->addr, sizeof(a->addr), "unix://%s", sock);
        snprintf(a->log, sizeof(a->log), "%s/agent.log", a->dir);
        snprintf(cmdline_path, sizeof(cmdline_path), "%s/cmdline", a->dir);
        write_text(cmdline_path, cmdline ? cmdline : "");

        argv[n++] = bin;
        if (with_addr) {
                argv[n++] = "--addr";
                argv[n++] = a->addr;
        }
        argv[n++] = "--cmdline";
        argv[n++] = cmdline_path;
        /* Never the host's /run/kata-containers or /etc/resolv.conf: CreateSandbox wipes the
         * one and binds over the other. Tests may override both (the last flag wins). */
        snprintf(run_dir, sizeof(run_dir), "%s/run", a->dir);
        snprintf(resolv, sizeof(resolv), "%s/resolv.conf", a->dir);
        argv[n++] = "--run-dir";
        argv[n++] = run_dir;
        argv[n++] = "--resolv-conf";
        argv[n++] = resolv;
        for (size_t i = 0; extra_args && extra_args[i] && n < 30; i++)
                argv[n++] = extra_args[i];
        argv[n] = NULL;

        char **env = build_env(env_extra);
        a->pid = fork();
        assert_true(a->pid >= 0);
        if (a->pid == 0) {
                int fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                /* If the test crashes, its agent must not outlive it, nor hold the test
                 * runner's output pipe open (meson would wait for it for ever). */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0)
                        _exit(126);
                execve(bin, (char **) argv, env);
                _exit(127);
        }
        free(env);
}

void agent_proc_wait_ready(const struct agent_proc *a, const char *addr)
{
        /* Ready when a connection succeeds. */
        for (int i = 0; i < 500; i++) {
                struct ttrpc_client *c = NULL;
                if (ttrpc_client_connect(addr, &c) == 0) {
                        ttrpc_client_free(c);
                        return;
                }
                agent_proc_assert_alive(a);
                usleep(10000);
        }
        fail_msg("agent did not start listening on `%s`", addr);
}

void agent_proc_start(struct agent_proc *a, const char *cmdline, const char *const *extra_args,
                      const char *const *env_extra)
{
        agent_proc_spawn(a, cmdline, extra_args, env_extra, true);
        agent_proc_wait_ready(a, a->addr);
}

long agent_proc_rss_kib(const struct agent_proc *a)
{
        char path[64], *text = NULL, *p;
        long kib = -1;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) a->pid);
        assert_int_equal(read_file(path, 1 << 16, &text, NULL), 0);
        p = strstr(text, "VmRSS:");
        if (p)
                kib = strtol(p + 6, NULL, 10);
        free(text);
        return kib;
}

void agent_proc_assert_alive(const struct agent_proc *a)
{
        int status;
        pid_t r = waitpid(a->pid, &status, WNOHANG);

        if (r == a->pid) {
                char *log = agent_proc_log(a);
                fail_msg("agent exited (status 0x%x); log:\n%s", status, log ? log : "");
        }
}

char *agent_proc_log(const struct agent_proc *a)
{
        char *buf = NULL;
        if (read_file(a->log, 64u << 20, &buf, NULL) < 0)
                return NULL;
        return buf;
}

bool agent_log_contains(const struct agent_proc *a, const char *needle, int wait_ms)
{
        for (int waited = 0;; waited += 20) {
                char *log = agent_proc_log(a);
                bool found = log && strstr(log, needle);
                free(log);
                if (found)
                        return true;
                if (waited >= wait_ms)
                        return false;
                usleep(20000);
        }
}

void agent_proc_stop(struct agent_proc *a)
{
        int status = 0;
        char cmd[128];

        agent_proc_assert_alive(a);
        assert_int_equal(kill(a->pid, SIGTERM), 0);
        assert_int_equal(waitpid(a->pid, &status, 0), a->pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                char *log = agent_proc_log(a);
                fail_msg("agent did not exit cleanly (status 0x%x); log:\n%s", status,
                         log ? log : "");
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", a->dir);
        assert_int_equal(system(cmd), 0);
}

struct ttrpc_client *agent_connect(const struct agent_proc *a)
{
        struct ttrpc_client *c = NULL;
        assert_int_equal(ttrpc_client_connect(a->addr, &c), 0);
        return c;
}

uint8_t *request_body(const char *service, const char *method, const uint8_t *payload,
                      size_t payload_len, int64_t timeout_ns, size_t *ret_len)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        uint8_t *buf;

        req.service = (char *) service;
        req.method = (char *) method;
        req.payload.data = (uint8_t *) payload;
        req.payload.len = payload_len;
        req.timeout_nano = timeout_ns;
        *ret_len = ttrpc__request__get_packed_size(&req);
        buf = xmalloc(*ret_len);
        ttrpc__request__pack(&req, buf);
        return buf;
}

void send_frame(struct ttrpc_client *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                const uint8_t *body, size_t len)
{
        uint8_t hdr[TTRPC_HEADER_SIZE];
        struct ttrpc_header h = {
                .length = (uint32_t) len, .stream_id = stream_id, .type = type, .flags = flags
        };

        ttrpc_header_encode(&h, hdr);
        assert_int_equal(ttrpc_client_send_raw(c, hdr, sizeof(hdr)), 0);
        if (len)
                assert_int_equal(ttrpc_client_send_raw(c, body, len), 0);
}

uint32_t recv_response(struct ttrpc_client *c, int wait_ms, struct ttrpc_status *st)
{
        struct ttrpc_frame f;
        uint8_t *payload = NULL;
        size_t plen = 0;
        int r = ttrpc_client_recv_frame(c, wait_ms, &f);

        if (r < 0)
                fail_msg("no response: %s", strerror(-r));
        assert_int_equal(f.header.type, TTRPC_TYPE_RESPONSE);
        assert_int_equal(ttrpc_response_decode(f.body, f.header.length, st, &payload, &plen), 0);
        free(payload);
        free(f.body);
        return f.header.stream_id;
}

void assert_check_ok(struct ttrpc_client *c)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        ProtobufCMessage *resp = NULL;
        struct ttrpc_status st = { 0 };

        assert_int_equal(ttrpc_client_call(c, "grpc.Health", "Check", &req.base,
                                           &grpc__health_check_response__descriptor, 5000000000ll,
                                           &resp, &st),
                         0);
        assert_int_equal(st.code, 0);
        assert_non_null(resp);
        assert_int_equal(((Grpc__HealthCheckResponse *) resp)->status,
                         GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_status_done(&st);
}
