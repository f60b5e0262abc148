/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-agent: the foundation benchmark of cata-agent. Run it through bench/run.sh; what each
 * figure means is in docs/benchmarks.md.
 *
 * Everything is measured in one run, side by side, because the machines this runs on are shared
 * and noisy: a figure is only worth quoting next to the one it is compared with.
 *  - exec-to-listening: from fork() of cata-agent until the first connect() to its unix socket
 *    succeeds (connect polled in a tight loop), median and p90;
 *  - idle VmRSS and RssAnon of an agent that has answered one grpc.Health/Check;
 *  - binary sizes as built and stripped;
 *  - Check round trips per second on one connection with 1 and with N calls in flight, next to
 *    a raw unix-socket ping-pong between two processes with the same frame sizes.
 *
 * This is a measurement, not a test: nothing asserts on a time. It fails only when the agent
 * misbehaves (does not start, does not answer SERVING) or hangs (watchdog).
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "bench-util.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"

#include "health.pb-c.h"
#include "ttrpc.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSEC_PER_SEC  1000000000ull
#define NSEC_PER_MSEC 1000000ull

/* Only a hung or broken agent ever reaches these limits, never a slow one on a busy machine. */
#define START_TIMEOUT_NS (10ull * NSEC_PER_SEC)
#define RECV_WAIT_MS     10000
#define WATCHDOG_SLACK_S 60u

#define MAX_RUNS         1000u
#define MAX_REPS         100u
#define MAX_DEPTH        1024u
#define RAW_CHUNK        (64u * 1024u) /* the same read size as the ttRPC client */

/* Idle means the agent is back in epoll_wait() after answering; 100 ms is plenty for that. */
#define IDLE_SETTLE_US 100000

struct opts {
        const char *agent;
        const char *static_agent; /* NULL when the static build is not there */
        const char *static_error; /* why it is not there */
        const char *strip;
        unsigned runs;
        unsigned reps;
        unsigned depth;
        double seconds;
};

/* Paths built once so that the watchdog can clean up with async-signal-safe calls only. */
static char tmp_dir[64];
static char sock_path[96];
static char log_path[96];
static char strip_path[96];

static void cleanup_tmp(void)
{
        if (!tmp_dir[0])
                return;
        (void) unlink(sock_path);
        (void) unlink(log_path);
        (void) unlink(strip_path);
        (void) rmdir(tmp_dir);
}

static void on_alarm(int sig)
{
        static const char msg[] = "bench-agent: watchdog: a phase took far too long (hung?)\n";

        (void) sig;
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        cleanup_tmp();
        /* The agents and the raw server die with us: PR_SET_PDEATHSIG. */
        _exit(1);
}

static void print_agent_log(void)
{
        _cleanup_free_ char *text = NULL;

        if (read_file(log_path, 1 << 20, &text, NULL) == 0 && text[0])
                fprintf(stderr, "--- agent log ---\n%s--- end of agent log ---\n", text);
}

/* ---- child processes ---- */

/* version_out >= 0: run `cata-agent --version` with its stdout on version_out instead, the
 * baseline: the same binary, exec'ed and loaded the same way, doing something visible from
 * outside as soon as main() runs, before any of the agent's own initialisation. */
static pid_t agent_spawn(const char *bin, int version_out)
{
        char addr[sizeof(sock_path) + 8];
        char *serve_argv[] = {
                (char *) bin,         (char *) "--addr",    addr,
                (char *) "--cmdline", (char *) "/dev/null", NULL,
        };
        char *version_argv[] = { (char *) bin, (char *) "--version", NULL };

        snprintf(addr, sizeof(addr), "unix://%s", sock_path);
        /* A stale socket file would make the first connect()s fail with ECONNREFUSED instead of
         * ENOENT, which is harmless, but the agent might refuse to bind over it. */
        (void) unlink(sock_path);
        /* stdout carries the table: the agent's output goes to its log instead. */
        return bench_spawn_agent(version_out >= 0 ? version_argv : serve_argv, log_path,
                                 version_out);
}

static void agent_stop(pid_t pid)
{
        int status = 0;

        if (kill(pid, SIGTERM) < 0)
                bench_die("kill agent: %s", strerror(errno));
        if (waitpid(pid, &status, 0) != pid)
                bench_die("waitpid agent: %s", strerror(errno));
        /* Not fatal: the figures are taken, but a bad exit is worth knowing about. */
        if (!bench_exited_ok(status)) {
                bench_progress("warning: agent did not exit cleanly (status 0x%x)",
                               (unsigned) status);
                print_agent_log();
        }
}

/* Polls connect() in a tight loop and returns the time of the first one that succeeds: any
 * sleep between attempts would be added to what is measured. */
static uint64_t wait_listening(pid_t pid, uint64_t t0)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
        for (unsigned long i = 0;; i++) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int r, err, status;
                uint64_t t;

                if (fd < 0)
                        bench_die("socket: %s", strerror(errno));
                r = connect(fd, (struct sockaddr *) &sa, sizeof(sa));
                err = errno;
                t = now_ns();
                (void) close(fd);
                if (r == 0)
                        return t;
                if (err != ENOENT && err != ECONNREFUSED)
                        bench_die("connect %s: %s", sock_path, strerror(err));
                /* Checked now and then only: waitpid() costs more than a failed connect(). */
                if (i % 256 == 0 && waitpid(pid, &status, WNOHANG) == pid) {
                        print_agent_log();
                        bench_die("agent exited before listening (status 0x%x)", (unsigned) status);
                }
                if (t - t0 > START_TIMEOUT_NS) {
                        print_agent_log();
                        bench_die("agent not listening after %llu s",
                                  (unsigned long long) (START_TIMEOUT_NS / NSEC_PER_SEC));
                }
        }
}

static struct ttrpc_client *agent_connect(void)
{
        char addr[sizeof(sock_path) + 8];
        struct ttrpc_client *c = NULL;
        int r;

        snprintf(addr, sizeof(addr), "unix://%s", sock_path);
        r = ttrpc_client_connect(addr, &c);
        if (r < 0)
                bench_die("connect %s: %s", addr, strerror(-r));
        return c;
}

/* ---- 1. exec to listening ---- */

static double startup_ms(const char *bin)
{
        uint64_t t0, t1;
        pid_t pid;

        t0 = now_ns();
        pid = agent_spawn(bin, -1);
        t1 = wait_listening(pid, t0);
        agent_stop(pid);
        return (double) (t1 - t0) / NSEC_PER_MSEC;
}

/* From fork() to the first byte of `--version` output on a pipe: like exec -> listening, the
 * first moment the outside world can see the process do something. */
static double version_ms(const char *bin)
{
        uint64_t t0, t1;
        int status = 0, p[2];
        ssize_t n;
        char c;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                bench_die("pipe2: %s", strerror(errno));
        t0 = now_ns();
        pid = agent_spawn(bin, p[1]);
        (void) close(p[1]);
        do
                n = read(p[0], &c, 1);
        while (n < 0 && errno == EINTR);
        t1 = now_ns();
        (void) close(p[0]);
        if (waitpid(pid, &status, 0) != pid)
                bench_die("waitpid: %s", strerror(errno));
        if (n != 1 || !bench_exited_ok(status))
                bench_die("%s --version failed (status 0x%x)", bin, (unsigned) status);
        return (double) (t1 - t0) / NSEC_PER_MSEC;
}

/* ---- 2. idle memory ---- */

static void check_call(struct ttrpc_client *c)
{
        Grpc__CheckRequest req = GRPC__CHECK_REQUEST__INIT;
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp = NULL;
        bool serving;
        int r;

        /* timeout 0: no timeout field on the wire, so this is the same 30-byte request frame
         * that send_check() sends and the raw ping-pong copies. */
        r = ttrpc_client_call(c, "grpc.Health", "Check", &req.base,
                              &grpc__health_check_response__descriptor, 0, &resp, &st);
        if (r < 0)
                bench_die("Check: %s", strerror(-r));
        if (st.code != 0)
                bench_die("Check: status %d: %s", st.code, st.message ? st.message : "");
        serving = resp && ((Grpc__HealthCheckResponse *) resp)->status ==
                                  GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        protobuf_c_message_free_unpacked(resp, NULL);
        if (!serving)
                bench_die("Check: agent is not SERVING");
}

static void idle_rss(const char *bin, long *ret_rss, long *ret_anon)
{
        struct ttrpc_client *c;
        struct bench_mem m;
        pid_t pid;

        pid = agent_spawn(bin, -1);
        (void) wait_listening(pid, now_ns());
        /* The connection stays open while we look, as the runtime's would. */
        c = agent_connect();
        check_call(c);
        usleep(IDLE_SETTLE_US);
        m = bench_proc_mem_or_die(pid);
        *ret_rss = m.rss;
        *ret_anon = m.anon;
        (void) ttrpc_client_free(c);
        agent_stop(pid);
}

/* ---- 3. sizes ---- */

static long long file_size(const char *path)
{
        struct stat st;

        return stat(path, &st) < 0 ? -1 : (long long) st.st_size;
}

static long long stripped_size(const char *strip, const char *bin)
{
        long long size;
        int status = 0;
        pid_t pid;

        (void) unlink(strip_path);
        pid = fork();
        if (pid < 0)
                bench_die("fork: %s", strerror(errno));
        if (pid == 0) {
                execlp(strip, strip, "-o", strip_path, bin, (char *) NULL);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) != pid || !bench_exited_ok(status)) {
                bench_progress("warning: `%s -o %s %s` failed (status 0x%x)", strip, strip_path,
                               bin, (unsigned) status);
                return -1;
        }
        size = file_size(strip_path);
        (void) unlink(strip_path);
        return size;
}

/* ---- 4. Check round trips through the agent ---- */

static void send_check(struct ttrpc_client *c)
{
        int r;

        /* Grpc__CheckRequest with no field set packs to zero bytes. */
        r = ttrpc_client_send_request(c, ttrpc_client_next_stream_id(c), "grpc.Health", "Check",
                                      NULL, 0, 0);
        if (r < 0)
                bench_die("send Check: %s", strerror(-r));
}

/* Checks one Response frame the way ttrpc_client_call() would (status, then the payload
 * unpacked), so that 1 and N outstanding do the same work per call. Frees the body. */
static void expect_serving(struct ttrpc_frame *f)
{
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        _cleanup_free_ uint8_t *payload = NULL;
        Grpc__HealthCheckResponse *resp;
        size_t len = 0;
        bool serving;

        if (f->header.type != TTRPC_TYPE_RESPONSE)
                bench_die("unexpected frame type %u", f->header.type);
        if (ttrpc_response_decode(f->body, f->header.length, &st, &payload, &len) < 0)
                bench_die("undecodable Response");
        free(f->body);
        f->body = NULL;
        if (st.code != 0)
                bench_die("Check: status %d: %s", st.code, st.message ? st.message : "");
        resp = grpc__health_check_response__unpack(NULL, len, payload);
        serving = resp && resp->status == GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        if (resp)
                grpc__health_check_response__free_unpacked(resp, NULL);
        if (!serving)
                bench_die("Check: agent is not SERVING");
}

static void recv_serving(struct ttrpc_client *c)
{
        struct ttrpc_frame f = { 0 };
        int r;

        r = ttrpc_client_recv_frame(c, RECV_WAIT_MS, &f);
        if (r < 0)
                bench_die("receive Check response: %s", strerror(-r));
        expect_serving(&f);
}

/* Round trips per second over window_ns. Only calls answered inside the window count; the
 * rest of the pipeline is drained afterwards so the connection is clean for the next window. */
static double agent_rate(struct ttrpc_client *c, unsigned depth, uint64_t window_ns)
{
        uint64_t start, end, t, done = 0;
        unsigned inflight;
        bool open = true;

        start = t = now_ns();
        end = start + window_ns;
        if (depth == 1) {
                /* The ordinary client path: call, wait, unpack, again. */
                do {
                        check_call(c);
                        done++;
                        t = now_ns();
                } while (t < end);
                return (double) done * NSEC_PER_SEC / (double) (t - start);
        }
        for (inflight = 0; inflight < depth; inflight++)
                send_check(c);
        while (inflight > 0) {
                recv_serving(c);
                inflight--;
                if (!open)
                        continue;
                done++;
                t = now_ns();
                if (t < end) {
                        send_check(c);
                        inflight++;
                } else {
                        open = false;
                }
        }
        return (double) done * NSEC_PER_SEC / (double) (t - start);
}

/* ---- 5. the raw limit: the same bytes over a bare unix socket ---- */

struct raw {
        pid_t pid;
        int fd;
        uint8_t *req; /* a real Check request frame, byte for byte */
        size_t req_len;
        uint8_t *rep; /* a real Check response frame, byte for byte */
        size_t rep_len;
};

/* The other end: the agent's syscall pattern without anything else (one read() per chunk, one
 * send() per complete request) and without epoll, framing or protobuf. */
static void __attribute__((noreturn)) raw_server(const struct raw *raw, int fd)
{
        static uint8_t buf[RAW_CHUNK];
        size_t have = 0;

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        _exit(n == 0 ? 0 : 1);
                have += (size_t) n;
                for (; have >= raw->req_len; have -= raw->req_len)
                        if (bench_send_all(fd, raw->rep, raw->rep_len) < 0)
                                _exit(1);
        }
}

static void raw_start(struct raw *raw)
{
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                bench_die("socketpair: %s", strerror(errno));
        /* It dies with the benchmark, whichever way the benchmark ends. */
        raw->pid = bench_fork(SIGTERM);
        if (raw->pid == 0) {
                (void) close(sv[0]);
                raw_server(raw, sv[1]);
        }
        (void) close(sv[1]);
        raw->fd = sv[0];
}

static void raw_stop(struct raw *raw)
{
        int status = 0;

        /* Closing our end makes its read() return 0 and the server exit. */
        (void) close_and_reset(&raw->fd);
        (void) waitpid(raw->pid, &status, 0);
        if (!bench_exited_ok(status))
                bench_progress("warning: raw server exited with status 0x%x", (unsigned) status);
}

static void raw_send_request(const struct raw *raw)
{
        int r = bench_send_all(raw->fd, raw->req, raw->req_len);

        if (r < 0)
                bench_die("raw send: %s", strerror(-r));
}

/* The client side mirrors the ttRPC client: one send() per request, reads of up to 64 KiB. */
static double raw_rate(struct raw *raw, unsigned depth, uint64_t window_ns)
{
        static uint8_t buf[RAW_CHUNK];
        uint64_t start, end, t, done = 0;
        unsigned inflight;
        size_t have = 0;
        bool open = true;

        start = t = now_ns();
        end = start + window_ns;
        for (inflight = 0; inflight < depth; inflight++)
                raw_send_request(raw);
        while (inflight > 0) {
                ssize_t n = read(raw->fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        bench_die("raw read: %s", n == 0 ? "closed" : strerror(errno));
                have += (size_t) n;
                for (; have >= raw->rep_len && inflight > 0; have -= raw->rep_len) {
                        inflight--;
                        if (!open)
                                continue;
                        done++;
                        t = now_ns();
                        if (t < end) {
                                raw_send_request(raw);
                                inflight++;
                        } else {
                                open = false;
                        }
                }
        }
        return (double) done * NSEC_PER_SEC / (double) (t - start);
}

/* Captures the exact bytes of one Check request and its response, so that the raw ping-pong
 * moves the same sizes as the agent does. */
static void capture_frames(struct ttrpc_client *c, struct raw *raw)
{
        Ttrpc__Request req = TTRPC__REQUEST__INIT;
        struct ttrpc_frame f = { 0 };
        _cleanup_free_ uint8_t *body = NULL;
        size_t body_len;
        uint32_t id;
        int r;

        /* The same envelope ttrpc_client_send_request() builds for send_check(). */
        req.service = (char *) "grpc.Health";
        req.method = (char *) "Check";
        body_len = ttrpc__request__get_packed_size(&req);
        body = xmalloc(body_len);
        (void) ttrpc__request__pack(&req, body);
        id = ttrpc_client_next_stream_id(c);
        raw->req = ttrpc_frame_encode(id, TTRPC_TYPE_REQUEST, 0, body, (uint32_t) body_len,
                                      &raw->req_len);
        r = ttrpc_client_send_raw(c, raw->req, raw->req_len);
        if (r < 0)
                bench_die("send Check: %s", strerror(-r));
        r = ttrpc_client_recv_frame(c, RECV_WAIT_MS, &f);
        if (r < 0)
                bench_die("receive Check response: %s", strerror(-r));
        raw->rep = ttrpc_frame_encode(f.header.stream_id, f.header.type, f.header.flags, f.body,
                                      f.header.length, &raw->rep_len);
        expect_serving(&f);
}

/* ---- the measurements, in the order docs/benchmarks.md describes them ---- */

/* Figures of one binary: dynamic (as built) or static. */
struct binary_figures {
        bool measured;
        double *listen_ms; /* runs samples */
        double *version_ms;
        long rss_kib, anon_kib;
        long long size, stripped;
};

struct throughput {
        double *agent, *raw, *ratio; /* reps samples each */
};

struct results {
        struct binary_figures dyn, sta;
        struct throughput one, deep;
        size_t req_len, rep_len;
};

/* Startup: the two binaries and the two kinds of run alternate, so that all four series see the
 * same noise. */
static void measure_startup(const struct opts *o, struct results *res)
{
        bench_progress("exec -> listening: %u runs per binary", o->runs);
        alarm(o->runs * 4 * 10 + WATCHDOG_SLACK_S);
        for (unsigned i = 0; i < o->runs; i++) {
                res->dyn.listen_ms[i] = startup_ms(o->agent);
                res->dyn.version_ms[i] = version_ms(o->agent);
                if (!o->static_agent)
                        continue;
                res->sta.listen_ms[i] = startup_ms(o->static_agent);
                res->sta.version_ms[i] = version_ms(o->static_agent);
        }
}

static void measure_footprint(const struct opts *o, const char *bin, struct binary_figures *f)
{
        alarm(WATCHDOG_SLACK_S);
        idle_rss(bin, &f->rss_kib, &f->anon_kib);
        f->size = file_size(bin);
        f->stripped = stripped_size(o->strip, bin);
}

/* Agent and raw alternate window by window, and swap who goes first each repetition, so that
 * each agent figure has a raw figure taken next to it. */
static void measure_throughput(const struct opts *o, struct results *res)
{
        uint64_t window_ns = (uint64_t) (o->seconds * NSEC_PER_SEC);
        struct raw raw = { .fd = -EBADF };
        struct throughput *one = &res->one, *deep = &res->deep;
        struct ttrpc_client *c;
        pid_t pid;

        bench_progress("Check round trips: %u x (agent, raw) x (1, %u outstanding) x %.1f s",
                       o->reps, o->depth, o->seconds);
        alarm((unsigned) (o->reps * 4 * o->seconds) + WATCHDOG_SLACK_S);
        pid = agent_spawn(o->agent, -1);
        (void) wait_listening(pid, now_ns());
        c = agent_connect();
        capture_frames(c, &raw);
        raw_start(&raw);
        for (unsigned i = 0; i < o->reps; i++) {
                if (i % 2 == 0) {
                        one->agent[i] = agent_rate(c, 1, window_ns);
                        one->raw[i] = raw_rate(&raw, 1, window_ns);
                        deep->agent[i] = agent_rate(c, o->depth, window_ns);
                        deep->raw[i] = raw_rate(&raw, o->depth, window_ns);
                } else {
                        one->raw[i] = raw_rate(&raw, 1, window_ns);
                        one->agent[i] = agent_rate(c, 1, window_ns);
                        deep->raw[i] = raw_rate(&raw, o->depth, window_ns);
                        deep->agent[i] = agent_rate(c, o->depth, window_ns);
                }
                /* Ratios per repetition: a pair shares its moment's noise, which two separately
                 * taken medians would not. */
                one->ratio[i] = one->agent[i] / one->raw[i];
                deep->ratio[i] = deep->agent[i] / deep->raw[i];
                bench_progress("  rep %u: 1 outstanding: agent %.0f/s, raw %.0f/s; %u outstanding: "
                               "agent %.0f/s, raw %.0f/s",
                               i + 1, one->agent[i], one->raw[i], o->depth, deep->agent[i],
                               deep->raw[i]);
        }
        raw_stop(&raw);
        (void) ttrpc_client_free(c);
        agent_stop(pid);
        alarm(0);
        res->req_len = raw.req_len;
        res->rep_len = raw.rep_len;
        free(raw.req);
        free(raw.rep);
}

/* ---- output ---- */

#define LABEL_W 46
#define VALUE_W 14
#define RATIO_W 11

static void row(const char *label, const char *a, const char *b, const char *c)
{
        printf("| %-*s | %*s | %*s |", LABEL_W, label, VALUE_W, a, VALUE_W, b);
        if (c)
                printf(" %*s |", RATIO_W, c);
        putchar('\n');
}

static void rule(int columns)
{
        static const char dashes[] = "----------------------------------------------------";

        printf("|%.*s|%.*s|%.*s|", LABEL_W + 2, dashes, VALUE_W + 2, dashes, VALUE_W + 2, dashes);
        if (columns > 3)
                printf("%.*s|", RATIO_W + 2, dashes);
        putchar('\n');
}

static void row_ms(const char *label, double *dyn, double *sta, unsigned n, bool with_sta,
                   double (*stat)(double *, unsigned))
{
        char a[32], b[32] = "n/a";

        snprintf(a, sizeof(a), "%.2f ms", stat(dyn, n));
        if (with_sta)
                snprintf(b, sizeof(b), "%.2f ms", stat(sta, n));
        row(label, a, b, NULL);
}

static void row_kib(const char *label, double dyn_kib, double sta_kib)
{
        char a[32] = "n/a", b[32] = "n/a";

        if (dyn_kib >= 0)
                snprintf(a, sizeof(a), "%.1f KiB", dyn_kib);
        if (sta_kib >= 0)
                snprintf(b, sizeof(b), "%.1f KiB", sta_kib);
        row(label, a, b, NULL);
}

static void row_rate(const char *label, struct throughput *t, unsigned reps)
{
        char a[32], b[32], c[32];

        snprintf(a, sizeof(a), "%.0f", bench_median(t->agent, reps));
        snprintf(b, sizeof(b), "%.0f", bench_median(t->raw, reps));
        snprintf(c, sizeof(c), "%.2f", bench_median(t->ratio, reps));
        row(label, a, b, c);
}

/* Bytes to KiB; -1 (unknown) stays -1, which prints as n/a. */
static double kib_of(long long bytes)
{
        return bytes < 0 ? -1 : (double) bytes / 1024;
}

static void print_table(const struct opts *o, struct results *res, const char load[2][64])
{
        struct binary_figures *d = &res->dyn, *s = &res->sta;
        bool st = s->measured;
        char label[64];

        row("figure", "cata-agent", "static", NULL);
        rule(3);
        snprintf(label, sizeof(label), "exec -> listening, median of %u", o->runs);
        row_ms(label, d->listen_ms, s->listen_ms, o->runs, st, bench_median);
        snprintf(label, sizeof(label), "exec -> listening, p90 of %u", o->runs);
        row_ms(label, d->listen_ms, s->listen_ms, o->runs, st, bench_p90);
        row_ms("baseline: exec -> --version output, median", d->version_ms, s->version_ms, o->runs,
               st, bench_median);
        row_kib("idle VmRSS after one Check", (double) d->rss_kib, st ? (double) s->rss_kib : -1);
        row_kib("idle RssAnon after one Check", (double) d->anon_kib,
                st ? (double) s->anon_kib : -1);
        row_kib("binary size as built", kib_of(d->size), st ? kib_of(s->size) : -1);
        row_kib("binary size stripped", kib_of(d->stripped), st ? kib_of(s->stripped) : -1);
        putchar('\n');

        row("Check round trips/s, one connection", "cata-agent", "raw unix", "agent / raw");
        rule(4);
        snprintf(label, sizeof(label), "1 outstanding, median of %u x %.1f s", o->reps, o->seconds);
        row_rate(label, &res->one, o->reps);
        snprintf(label, sizeof(label), "%u outstanding, median of %u x %.1f s", o->depth, o->reps,
                 o->seconds);
        row_rate(label, &res->deep, o->reps);
        putchar('\n');

        printf("Check request frame %zu B, response frame %zu B. raw: the same bytes between two\n"
               "processes over a unix socketpair. agent / raw: median of the per-repetition "
               "ratios.\n",
               res->req_len, res->rep_len);
        if (!st)
                printf("static: not measured: %s\n",
                       o->static_error ? o->static_error : "no --static-agent given");
        putchar('\n');
        bench_print_context(load[0], load[1]);
}

/* ---- main ---- */

static void usage(FILE *f)
{
        fputs("Usage: bench-agent --agent PATH [OPTIONS]\n"
              "\n"
              "  --agent PATH          cata-agent to measure (required)\n"
              "  --static-agent PATH   the -Dstatic=true cata-agent, for the static column\n"
              "  --static-error TEXT   why there is no static agent (printed with the table)\n"
              "  --strip PROG          strip program (default $STRIP or strip)\n"
              "  --runs N              startup runs per binary (default 30)\n"
              "  --reps N              throughput repetitions (default 5)\n"
              "  --seconds S           length of one throughput window (default 2)\n"
              "  --depth N             calls in flight for the pipelined figure (default 32)\n",
              f);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
        enum {
                OPT_AGENT = 0x100,
                OPT_STATIC,
                OPT_STATIC_ERROR,
                OPT_STRIP,
                OPT_RUNS,
                OPT_REPS,
                OPT_SECONDS,
                OPT_DEPTH,
                OPT_HELP
        };
        static const struct option longopts[] = {
                { "agent", required_argument, NULL, OPT_AGENT },
                { "static-agent", required_argument, NULL, OPT_STATIC },
                { "static-error", required_argument, NULL, OPT_STATIC_ERROR },
                { "strip", required_argument, NULL, OPT_STRIP },
                { "runs", required_argument, NULL, OPT_RUNS },
                { "reps", required_argument, NULL, OPT_REPS },
                { "seconds", required_argument, NULL, OPT_SECONDS },
                { "depth", required_argument, NULL, OPT_DEPTH },
                { "help", no_argument, NULL, OPT_HELP },
                { 0 },
        };
        char *end;
        int c;

        *o = (struct opts){ .strip = getenv("STRIP") ? getenv("STRIP") : "strip",
                            .runs = 30,
                            .reps = 5,
                            .depth = 32,
                            .seconds = 2.0 };
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_AGENT:
                        o->agent = optarg;
                        break;
                case OPT_STATIC:
                        o->static_agent = optarg;
                        break;
                case OPT_STATIC_ERROR:
                        o->static_error = optarg;
                        break;
                case OPT_STRIP:
                        o->strip = optarg;
                        break;
                case OPT_RUNS:
                        o->runs = (unsigned) bench_parse_num(optarg, 1, MAX_RUNS, "--runs");
                        break;
                case OPT_REPS:
                        o->reps = (unsigned) bench_parse_num(optarg, 1, MAX_REPS, "--reps");
                        break;
                case OPT_DEPTH:
                        o->depth = (unsigned) bench_parse_num(optarg, 1, MAX_DEPTH, "--depth");
                        break;
                case OPT_SECONDS:
                        errno = 0;
                        o->seconds = strtod(optarg, &end);
                        if (errno || *end || !(o->seconds >= 0.01 && o->seconds <= 60))
                                bench_die("--seconds must be 0.01..60, not `%s`", optarg);
                        break;
                case OPT_HELP:
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        exit(2);
                }
        }
        if (!o->agent || optind < argc) {
                usage(stderr);
                exit(2);
        }
}

int main(int argc, char **argv)
{
        struct results res = { 0 };
        char load[2][64];
        struct opts o;

        bench_set_name("bench-agent");
        bench_set_cleanup(cleanup_tmp);
        parse_opts(argc, argv, &o);
        snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/cata-bench-XXXXXX");
        if (!mkdtemp(tmp_dir))
                bench_die("mkdtemp: %s", strerror(errno));
        snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", tmp_dir);
        snprintf(log_path, sizeof(log_path), "%s/agent.log", tmp_dir);
        snprintf(strip_path, sizeof(strip_path), "%s/stripped", tmp_dir);
        (void) signal(SIGALRM, on_alarm);

        /* Sized once here; freed by exit. */
        res.dyn.measured = true;
        res.sta.measured = o.static_agent != NULL;
        res.dyn.listen_ms = xzalloc(o.runs * sizeof(double));
        res.dyn.version_ms = xzalloc(o.runs * sizeof(double));
        res.sta.listen_ms = xzalloc(o.runs * sizeof(double));
        res.sta.version_ms = xzalloc(o.runs * sizeof(double));
        res.one.agent = xzalloc(o.reps * sizeof(double));
        res.one.raw = xzalloc(o.reps * sizeof(double));
        res.one.ratio = xzalloc(o.reps * sizeof(double));
        res.deep.agent = xzalloc(o.reps * sizeof(double));
        res.deep.raw = xzalloc(o.reps * sizeof(double));
        res.deep.ratio = xzalloc(o.reps * sizeof(double));

        bench_loadavg(load[0]);
        measure_startup(&o, &res);
        bench_progress("idle memory and sizes");
        measure_footprint(&o, o.agent, &res.dyn);
        if (o.static_agent)
                measure_footprint(&o, o.static_agent, &res.sta);
        measure_throughput(&o, &res);
        bench_loadavg(load[1]);

        print_table(&o, &res, load);
        cleanup_tmp();
        return 0;
}
