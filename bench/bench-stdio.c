/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-stdio: container stdio through cata-agent. Run it through bench/run-stdio.sh, which
 * builds the agent, this program and the static cata-stdio-helper; docs/benchmarks.md ("Stdio")
 * explains the figures.
 *
 *  1. stdout relay throughput: `cata-stdio-helper gen 536870912` in a container, read with
 *     ReadStdout the way Kata's shim reads (32 KiB, one call outstanding) and with 1 MiB reads,
 *     and, for runtime-rs's passfd I/O, from the stdout stream of its own (a unix socket
 *     standing in for vsock), next to the raw limit: the same helper writing into a pipe, a
 *     second process copying the pipe into a unix socket that this program reads, with the
 *     same buffer sizes; with the agent's CPU time and page faults per byte;
 *  2. the largest O_NONBLOCK burst a container writes without EAGAIN while nobody reads
 *     (`cata-stdio-helper burst N`, N growing) at the default pipe size, with the per-container
 *     pipe_size annotation, with the kernel's 64 KiB pipe (Kata's default), and written as two
 *     halves 100 ms apart, each next to a bare pipe of the same size that nobody drains (what
 *     an agent that reads only when asked gives);
 *  3. the agent's VmRSS and RssAnon idle, with 100 idle containers whose stdout nobody reads,
 *     after removing them, after a second round, and with one stalled 100 MiB producer.
 *
 * Figures that are compared are taken in the same run, interleaved, as medians of --reps
 * repetitions: the machines this runs on are shared and noisy. Nothing asserts on a time. The
 * run fails only when the agent misbehaves (an error status, lost or reordered bytes) or hangs
 * (watchdog).
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "bench-util.h"
#include "oci/spec-json.h"
#include "ttrpc/client.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"
#include "health.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000ull
#define KIB          1024ull
#define MIB          (1024ull * 1024ull)

#define SERVICE      "grpc.AgentService"

/* Only a hung agent ever gets near this, never a slow one on a busy machine. */
#define WATCHDOG_S 300u

#define SHIM_READ  (32u << 10) /* what Kata's shim asks ReadStdout for */
#define BIG_READ   (1u << 20)
#define ERR_KEEP   512 /* bytes of the helper's stderr kept */

/* Idle means back in epoll_wait() with every reply sent; with 100 containers it also lets the
 * last one's init settle into its sleep. */
#define IDLE_SETTLE_US 100000
#define MANY_SETTLE_US 200000

#define STALL_BYTES    (100ull << 20)
#define STALL_READ     (1ull << 20)
#define STALL_WAIT_S   2u

#define ANNOTATION     "io.katacontainers.container.pipe_size"

#define MAX_REPS       100u
#define MAX_IDLE       1000u
#define MAX_BYTES      (64ull << 30)

struct opts {
        const char *agent;
        const char *helper;      /* the static cata-stdio-helper, run bare for the raw figures */
        const char *make_rootfs; /* tests/rootfs/make-rootfs.sh */
        const char *work;        /* a directory for sockets, logs, run dirs and the rootfs */
        const char *prefix;      /* starts every container id: run-stdio.sh cleans up by it */
        unsigned reps;
        unsigned idle;
        uint64_t bytes;
};

struct agent {
        const char *tag;     /* names its socket, log and run directory */
        const char *cmdline; /* its kernel command line */
        pid_t pid;
        char addr[PATH_MAX + 8];
        char passfd[PATH_MAX]; /* its passfd listener, a unix socket path */
        char log[PATH_MAX];
        struct ttrpc_client *c;
};

/* A container the benchmark created and has not removed yet: bench_die() removes it. */
struct live {
        struct agent *a;
        char *id;
};

static struct opts o;
static char rootfs[PATH_MAX];
static struct agent main_agent = { .tag = "main", .cmdline = "" };
static struct agent kata_agent = { .tag = "kata", .cmdline = "agent.container_pipe_size=0" };
static struct agent rss_agent = { .tag = "rss", .cmdline = "" };
static struct agent *const agents[] = { &main_agent, &kata_agent, &rss_agent };
static struct live *lives;
static size_t n_lives, cap_lives;
static unsigned next_id;

static void on_alarm(int sig)
{
        static const char msg[] = "bench-stdio: watchdog: a phase took far too long (hung?); "
                                  "run-stdio.sh removes what is left\n";

        (void) sig;
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        for (size_t i = 0; i < ARRAY_SIZE(agents); i++)
                if (agents[i]->pid > 0)
                        (void) kill(agents[i]->pid, SIGKILL);
        _exit(1);
}

/* The helper's pattern (tests/helpers/cata-stdio-helper.c): byte i of its whole output. */
static uint8_t pattern_byte(uint64_t i)
{
        return (uint8_t) ((i * 2654435761u) >> 13);
}

/* Spot checks only, the first and the last byte of each chunk: checking every byte would cost
 * this process more than the agent spends, on the same 2 cores. The tests check every byte. */
static void check_pattern(const char *who, const uint8_t *data, size_t n, uint64_t off)
{
        if (n && (data[0] != pattern_byte(off) || data[n - 1] != pattern_byte(off + n - 1)))
                bench_die("%s: byte %llu..%llu is not what the helper wrote", who,
                          (unsigned long long) off, (unsigned long long) (off + n - 1));
}

static char *new_id(const char *what)
{
        return xasprintf("%s-%s-%u", o.prefix, what, next_id++);
}

static void track(struct agent *a, const char *id)
{
        if (n_lives == cap_lives) {
                cap_lives = cap_lives ? 2 * cap_lives : 128;
                lives = xrealloc(lives, cap_lives * sizeof(*lives));
        }
        lives[n_lives].a = a;
        lives[n_lives].id = xstrdup(id);
        n_lives++;
}

static void untrack(const char *id)
{
        for (size_t i = n_lives; i-- > 0;)
                if (streq(lives[i].id, id)) {
                        free(lives[i].id);
                        lives[i] = lives[--n_lives];
                        return;
                }
}

/* ---- the agents ---- */

static void write_text(const char *path, const char *text)
{
        _cleanup_fclose_ FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fflush(f) != 0)
                bench_die("write %s: %s", path, strerror(errno));
}

static void agent_start(struct agent *a)
{
        char sock[PATH_MAX], cmdline[PATH_MAX], run_dir[PATH_MAX], passfd[PATH_MAX + 8];
        char *argv[] = {
                (char *) o.agent, (char *) "--addr",
                a->addr,          (char *) "--cmdline",
                cmdline,          (char *) "--run-dir",
                run_dir,          (char *) "--passfd-addr",
                passfd,           NULL,
        };

        snprintf(sock, sizeof(sock), "%s/%s.sock", o.work, a->tag);
        snprintf(a->addr, sizeof(a->addr), "unix://%s", sock);
        snprintf(a->log, sizeof(a->log), "%s/%s.log", o.work, a->tag);
        snprintf(cmdline, sizeof(cmdline), "%s/%s.cmdline", o.work, a->tag);
        snprintf(run_dir, sizeof(run_dir), "%s/%s-run", o.work, a->tag);
        snprintf(a->passfd, sizeof(a->passfd), "%s/%s-passfd.sock", o.work, a->tag);
        snprintf(passfd, sizeof(passfd), "unix://%s", a->passfd);
        write_text(cmdline, a->cmdline);
        /* A stale socket from the previous agent with this tag would refuse connections. */
        (void) unlink(sock);
        /* Dies with the benchmark, however that ends, and takes its containers with it (SIGKILL
         * on SIGTERM); run-stdio.sh removes what a hung one leaves. */
        a->pid = bench_spawn_agent(argv, a->log, -1);
        a->c = bench_connect_agent(a->addr, &a->pid, a->log);
}

static void agent_stop(struct agent *a)
{
        int status = bench_stop_agent(&a->c, &a->pid);

        /* Not fatal: the figures are taken, but a bad exit is worth knowing about. */
        if (!bench_exited_ok(status))
                bench_progress(
                        "warning: cata-agent `%s` did not exit cleanly (status 0x%x); log: %s",
                        a->tag, (unsigned) status, a->log);
}

/* Whatever the benchmark created and did not remove, on its way out after a failure, through a
 * fresh connection: the benchmark's own may be in the middle of a call. */
static void cleanup_all(void)
{
        for (size_t k = 0; k < ARRAY_SIZE(agents); k++) {
                struct agent *a = agents[k];
                struct ttrpc_client *c = NULL;

                if (a->pid > 0 && ttrpc_client_connect(a->addr, &c) < 0)
                        c = NULL;
                for (size_t i = n_lives; c && i-- > 0;)
                        if (lives[i].a == a)
                                bench_cleanup_remove(&c, lives[i].id);
                if (c)
                        (void) ttrpc_client_free(c);
                agent_stop(a);
        }
}

struct usage {
        double cpu_s; /* user + system */
        long minflt;  /* minor page faults */
};

/* The agent's CPU time and page faults so far, from /proc/PID/stat. */
static struct usage agent_usage(const struct agent *a)
{
        _cleanup_free_ char *text = NULL;
        unsigned long minflt, utime, stime;
        struct usage u = { 0 };
        const char *p;
        char path[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) a->pid);
        r = read_file(path, 4096, &text, NULL);
        if (r < 0)
                bench_die("read %s: %s", path, strerror(-r));
        /* The command name may hold spaces and parentheses: fields count from the last ')'.
         * After it come state (field 3) ... minflt (10) ... utime (14), stime (15). */
        p = strrchr(text, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %lu %*u %*u %*u %lu %lu", &minflt,
                         &utime, &stime) != 3)
                bench_die("%s: unexpected format", path);
        u.cpu_s = (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
        u.minflt = (long) minflt;
        return u;
}

/* ---- ttRPC calls, one at a time on the agent's connection, as the shim makes them ---- */

static ProtobufCMessage *call(struct agent *a, const char *method, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *desc, const char *what)
{
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp = NULL;
        int r;

        /* No timeout on the wire, as the shim sends none for these; the watchdog is ours. */
        r = ttrpc_client_call(a->c, SERVICE, method, req,
                              desc ? desc : &google__protobuf__empty__descriptor, 0, &resp, &st);
        if (r < 0)
                bench_die("%s %s: %s", method, what, strerror(-r));
        if (st.code != 0)
                bench_die("%s %s: status %d: %s", method, what, st.code,
                          st.message ? st.message : "");
        if (!resp)
                bench_die("%s %s: no reply message", method, what);
        return resp;
}

static void call_empty(struct agent *a, const char *method, const ProtobufCMessage *req,
                       const char *what)
{
        protobuf_c_message_free_unpacked(call(a, method, req, NULL, what), NULL);
}

static void check_serving(struct agent *a)
{
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp = NULL;
        bool ok;
        int r;

        r = ttrpc_client_call(a->c, "grpc.Health", "Check", NULL,
                              &grpc__health_check_response__descriptor, 0, &resp, &st);
        if (r < 0)
                bench_die("Check: %s", strerror(-r));
        ok = st.code == 0 && resp &&
             ((Grpc__HealthCheckResponse *) resp)->status ==
                     GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        if (!ok)
                bench_die("Check: agent `%s` is not SERVING", a->tag);
}

/* The container spec: Kata's shape (pid, ipc, uts and mount namespaces, the usual mounts), no
 * resource limits, the shared read-only busybox rootfs. The cgroup is named after the id, so
 * that run-stdio.sh finds it by the prefix. */
static char *spec_text(const char *id, const char *args_json, const char *annotations_json)
{
        return xasprintf(
                "{\"ociVersion\":\"1.0.2\","
                "\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},\"args\":%s,"
                "\"env\":[\"PATH=/usr/sbin:/usr/bin:/sbin:/bin\",\"HOME=/root\"],\"cwd\":\"/\","
                "\"capabilities\":{"
                "\"bounding\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_KILL\","
                "\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_NET_BIND_SERVICE\"],"
                "\"effective\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_KILL\","
                "\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_NET_BIND_SERVICE\"],"
                "\"permitted\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_KILL\","
                "\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_NET_BIND_SERVICE\"]},"
                "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
                "\"noNewPrivileges\":true},"
                "\"root\":{\"path\":\"%s\",\"readonly\":true},\"hostname\":\"cata-bench\","
                "\"mounts\":["
                "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
                "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
                "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\","
                "\"mode=0620\",\"gid=5\"]},"
                "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
                "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
                "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
                "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
                "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                "\"options\":[\"nosuid\",\"nodev\"]}],"
                "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},"
                "{\"type\":\"uts\"},{\"type\":\"mount\"}],"
                "\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\",\"/proc/timer_list\","
                "\"/sys/firmware\"],"
                "\"readonlyPaths\":[\"/proc/sys\",\"/proc/sysrq-trigger\"],"
                "\"cgroupsPath\":\"/%s\"}%s%s}",
                args_json, rootfs, id, annotations_json ? ",\"annotations\":" : "",
                annotations_json ? annotations_json : "");
}

/* stdout_port: the passfd stream stdout goes to (0: none, ReadStdout). */
static void create_start_port(struct agent *a, const char *id, const char *args_json,
                              const char *annotations_json, uint32_t stdout_port)
{
        Grpc__CreateContainerRequest cr = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__StartContainerRequest st = GRPC__START_CONTAINER_REQUEST__INIT;
        _cleanup_free_ char *json = spec_text(id, args_json, annotations_json);
        struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;

        if (spec_from_json(json, strlen(json), &spec, &err) < 0)
                bench_die("bad spec for %s: %s", id, err->msg);
        cr.container_id = (char *) id;
        cr.exec_id = (char *) id;
        cr.oci = spec;
        cr.stdout_port = stdout_port;
        track(a, id);
        call_empty(a, "CreateContainer", &cr.base, id);
        spec_free(spec);
        st.container_id = (char *) id;
        call_empty(a, "StartContainer", &st.base, id);
}

static void create_start(struct agent *a, const char *id, const char *args_json,
                         const char *annotations_json)
{
        create_start_port(a, id, args_json, annotations_json, 0);
}

static Grpc__ReadStreamResponse *read_stream(struct agent *a, const char *id, bool err,
                                             uint32_t len)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;

        req.container_id = (char *) id;
        req.exec_id = (char *) "";
        req.len = len;
        return (Grpc__ReadStreamResponse *) call(a, err ? "ReadStderr" : "ReadStdout", &req.base,
                                                 &grpc__read_stream_response__descriptor, id);
}

/* Reads stdout or stderr to EOF with reads of len, checking that the data is the helper's
 * pattern when asked to. The first bytes are kept in keep (may be NULL). Returns the number of
 * bytes. */
static uint64_t read_to_eof(struct agent *a, const char *id, bool err, bool pattern, uint32_t len,
                            char *keep, size_t keep_len)
{
        uint64_t off = 0;

        if (keep && keep_len)
                keep[0] = '\0';
        for (;;) {
                Grpc__ReadStreamResponse *r = read_stream(a, id, err, len);
                size_t n = r->data.len;

                if (pattern)
                        check_pattern(id, r->data.data, n, off);
                if (keep && off + 1 < keep_len) {
                        size_t k = n < keep_len - 1 - off ? n : keep_len - 1 - off;
                        memcpy(keep + off, r->data.data, k);
                        keep[off + k] = '\0';
                }
                grpc__read_stream_response__free_unpacked(r, NULL);
                if (n == 0)
                        return off;
                off += n;
        }
}

/* RemoveContainer, which kills what still runs in it. */
static void remove_container(struct agent *a, const char *id)
{
        Grpc__RemoveContainerRequest rr = GRPC__REMOVE_CONTAINER_REQUEST__INIT;

        rr.container_id = (char *) id;
        call_empty(a, "RemoveContainer", &rr.base, id);
        untrack(id);
}

/* WaitProcess, then RemoveContainer; returns the exit status. */
static int finish(struct agent *a, const char *id)
{
        Grpc__WaitProcessRequest wr = GRPC__WAIT_PROCESS_REQUEST__INIT;
        Grpc__WaitProcessResponse *resp;
        int status;

        wr.container_id = (char *) id;
        wr.exec_id = (char *) "";
        resp = (Grpc__WaitProcessResponse *) call(a, "WaitProcess", &wr.base,
                                                  &grpc__wait_process_response__descriptor, id);
        status = resp->status;
        grpc__wait_process_response__free_unpacked(resp, NULL);
        remove_container(a, id);
        return status;
}

/* ---- bare processes for the raw figures ---- */

/* Every process of ours is made by bench_fork(SIGKILL): it dies with the benchmark. */

/* Runs `helper verb n` (`helper verb n n2` when n2 > 0) with stdout on out_fd and stderr on
 * err_fd (-1: inherited). */
static pid_t spawn_helper(int out_fd, int err_fd, const char *verb, uint64_t n, uint64_t n2)
{
        char arg[32], arg2[32];
        pid_t pid;

        snprintf(arg, sizeof(arg), "%llu", (unsigned long long) n);
        snprintf(arg2, sizeof(arg2), "%llu", (unsigned long long) n2);
        pid = bench_fork(SIGKILL);
        if (pid == 0) {
                if (dup2(out_fd, STDOUT_FILENO) < 0 || (err_fd >= 0 && dup2(err_fd, 2) < 0))
                        _exit(126);
                execl(o.helper, o.helper, verb, arg, n2 ? arg2 : (char *) NULL, (char *) NULL);
                _exit(127);
        }
        return pid;
}

static int reap(pid_t pid)
{
        int status = 0;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        bench_die("waitpid: %s", strerror(errno));
        return status;
}

/* Reads fd until EOF, or until buf is full; NUL-terminates. */
static void read_text(int fd, char *buf, size_t size)
{
        size_t have = 0;

        for (;;) {
                ssize_t n = read(fd, buf + have, size - 1 - have);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                have += (size_t) n;
        }
        buf[have] = '\0';
}

/* A pipe of the given capacity (0: the kernel's default, 64 KiB). */
static void sized_pipe(int p[2], int size)
{
        if (pipe2(p, O_CLOEXEC) < 0)
                bench_die("pipe2: %s", strerror(errno));
        if (size > 0 && fcntl(p[1], F_SETPIPE_SZ, size) < 0)
                bench_die("F_SETPIPE_SZ %d: %s", size, strerror(errno));
}

/* ---- 1. stdout relay throughput ---- */

/* The clock runs from the first reply with data to the one that completes the stream, so that
 * neither the container's start nor the exit and EOF that follow the last byte count: this is
 * the relay's steady rate. MiB/s. */
static double rate(uint64_t bytes, uint64_t first, uint64_t t0, uint64_t t1)
{
        return (double) (bytes - first) / MIB / ((double) (t1 - t0) / NSEC_PER_SEC);
}

/* Also gives the agent's CPU seconds per GiB and minor faults per MiB over the whole stream. */
static double cata_relay(uint32_t len, double *ret_cpu, double *ret_faults)
{
        _cleanup_free_ char *id = new_id("relay");
        _cleanup_free_ char *args =
                xasprintf("[\"cata-stdio-helper\",\"gen\",\"%llu\"]", (unsigned long long) o.bytes);
        char err[ERR_KEEP];
        uint64_t off = 0, first = 0, t0 = 0, t1 = 0;
        struct usage u0, u1;
        int status;

        create_start(&main_agent, id, args, NULL);
        u0 = agent_usage(&main_agent);
        for (;;) {
                Grpc__ReadStreamResponse *r = read_stream(&main_agent, id, false, len);
                size_t n = r->data.len;
                uint64_t t = now_ns();

                check_pattern(id, r->data.data, n, off);
                grpc__read_stream_response__free_unpacked(r, NULL);
                if (n == 0)
                        break;
                if (off == 0) {
                        t0 = t;
                        first = n;
                }
                off += n;
                if (off == o.bytes)
                        t1 = t;
        }
        u1 = agent_usage(&main_agent);
        *ret_cpu = (u1.cpu_s - u0.cpu_s) / ((double) o.bytes / (1024 * MIB));
        *ret_faults = (double) (u1.minflt - u0.minflt) / ((double) o.bytes / MIB);
        (void) read_to_eof(&main_agent, id, true, false, SHIM_READ, err, sizeof(err));
        status = finish(&main_agent, id);
        if (off != o.bytes || status != 0 || t1 <= t0)
                bench_die("%s: %llu of %llu bytes, exit status %d: %s", id,
                          (unsigned long long) off, (unsigned long long) o.bytes, status, err);
        return rate(off, first, t0, t1);
}

/* Reads a socket carrying the helper's pattern to EOF with reads of len, on the relay's clock:
 * *t0 at the first data, *t1 when o.bytes are in, *first the bytes of that first read. */
static uint64_t read_socket_timed(const char *who, int fd, uint8_t *buf, uint32_t len,
                                  uint64_t *first, uint64_t *t0, uint64_t *t1)
{
        uint64_t off = 0;

        for (;;) {
                ssize_t n = read(fd, buf, len);
                uint64_t t = now_ns();

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        bench_die("%s read: %s", who, strerror(errno));
                if (n == 0)
                        return off;
                check_pattern(who, buf, (size_t) n, off);
                if (off == 0) {
                        *t0 = t;
                        *first = (uint64_t) n;
                }
                off += (uint64_t) n;
                if (off == o.bytes)
                        *t1 = t;
        }
}

/* runtime-rs's passfd I/O: stdout goes to a stream of its own, which we read with buffers of
 * len; WaitProcess follows EOF, as runtime-rs waits. */
static double passfd_relay(uint32_t len, double *ret_cpu, double *ret_faults)
{
        _cleanup_free_ char *id = new_id("passfd");
        _cleanup_free_ char *args =
                xasprintf("[\"cata-stdio-helper\",\"gen\",\"%llu\"]", (unsigned long long) o.bytes);
        _cleanup_free_ uint8_t *buf = xmalloc(len);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        uint32_t port = 10000 + next_id;
        uint64_t off, first = 0, t0 = 0, t1 = 0;
        char hello[16], err[ERR_KEEP];
        struct usage u0, u1;
        int fd, status;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (strlen(main_agent.passfd) >= sizeof(sa.sun_path))
                bench_die("%s: path too long for a unix socket", main_agent.passfd);
        memcpy(sa.sun_path, main_agent.passfd, strlen(main_agent.passfd) + 1);
        snprintf(hello, sizeof(hello), "%u\n", port);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            bench_send_all(fd, hello, strlen(hello)) < 0)
                bench_die("passfd stream to %s: %s", main_agent.passfd, strerror(errno));
        create_start_port(&main_agent, id, args, NULL, port);
        u0 = agent_usage(&main_agent);
        off = read_socket_timed(id, fd, buf, len, &first, &t0, &t1);
        u1 = agent_usage(&main_agent);
        (void) close(fd);
        *ret_cpu = (u1.cpu_s - u0.cpu_s) / ((double) o.bytes / (1024 * MIB));
        *ret_faults = (double) (u1.minflt - u0.minflt) / ((double) o.bytes / MIB);
        (void) read_to_eof(&main_agent, id, true, false, SHIM_READ, err, sizeof(err));
        status = finish(&main_agent, id);
        if (off != o.bytes || status != 0 || t1 <= t0)
                bench_die("%s: %llu of %llu bytes, exit status %d: %s", id,
                          (unsigned long long) off, (unsigned long long) o.bytes, status, err);
        return rate(off, first, t0, t1);
}

/* The raw limit: the same helper writes the same bytes into a pipe of the size the agent gives
 * containers; a second process copies the pipe into a unix socket with buffers of len (what
 * the agent does, without epoll, buffering, framing or protobuf); we read the socket with
 * buffers of len. */
static double raw_relay(uint32_t len, int pipe_size)
{
        _cleanup_free_ uint8_t *buf = xmalloc(len);
        uint64_t off = 0, first = 0, t0 = 0, t1 = 0;
        int p[2], s[2], st_writer, st_copier;
        pid_t writer, copier;

        sized_pipe(p, pipe_size);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0)
                bench_die("socketpair: %s", strerror(errno));
        writer = spawn_helper(p[1], -1, "gen", o.bytes, 0);
        copier = bench_fork(SIGKILL);
        if (copier == 0) {
                (void) close(p[1]);
                (void) close(s[0]);
                for (;;) {
                        ssize_t n = read(p[0], buf, len);

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                _exit(n == 0 ? 0 : 1);
                        if (bench_send_all(s[1], buf, (size_t) n) < 0)
                                _exit(1);
                }
        }
        (void) close(p[0]);
        (void) close(p[1]);
        (void) close(s[1]);
        off = read_socket_timed("raw", s[0], buf, len, &first, &t0, &t1);
        (void) close(s[0]);
        st_writer = reap(writer);
        st_copier = reap(copier);
        if (off != o.bytes || !bench_exited_ok(st_writer) || !bench_exited_ok(st_copier) ||
            t1 <= t0)
                bench_die("raw: %llu of %llu bytes, writer status 0x%x, copier status 0x%x",
                          (unsigned long long) off, (unsigned long long) o.bytes,
                          (unsigned) st_writer, (unsigned) st_copier);
        return rate(off, first, t0, t1);
}

struct relay {
        uint32_t len;
        bool passfd;                /* the stdout stream of passfd I/O instead of ReadStdout */
        double *cata, *raw, *ratio; /* reps samples each */
        double *cpu, *faults;       /* the agent's CPU s/GiB and minor faults/MiB */
};

/* cata and raw alternate, and the one that goes first swaps each repetition, so that each cata
 * figure has a raw figure taken next to it; the ratio is taken per repetition. */
static void measure_relay(struct relay *rel, size_t n_rel, int pipe_size)
{
        char what[96];

        snprintf(what, sizeof(what), "stdout relay: %u x (cata, raw) x %zu read sizes x %llu MiB",
                 o.reps, n_rel, (unsigned long long) (o.bytes / MIB));
        bench_phase(what, WATCHDOG_S);
        for (unsigned i = 0; i < o.reps; i++) {
                for (size_t k = 0; k < n_rel; k++) {
                        struct relay *r = &rel[k];

                        double (*relay)(uint32_t, double *, double *) =
                                r->passfd ? passfd_relay : cata_relay;

                        if ((i + k) % 2 == 0) {
                                r->cata[i] = relay(r->len, &r->cpu[i], &r->faults[i]);
                                r->raw[i] = raw_relay(r->len, pipe_size);
                        } else {
                                r->raw[i] = raw_relay(r->len, pipe_size);
                                r->cata[i] = relay(r->len, &r->cpu[i], &r->faults[i]);
                        }
                        r->ratio[i] = r->cata[i] / r->raw[i];
                        bench_progress("  rep %u, %u KiB: cata %.0f MiB/s, raw %.0f MiB/s", i + 1,
                                       r->len >> 10, r->cata[i], r->raw[i]);
                }
        }
}

/* ---- 2. the largest burst absorbed while nobody reads ---- */

/* The sizes tried, smallest first, up to the first that fails. */
static const uint64_t burst_sizes[] = {
        64 * KIB, 256 * KIB, 1 * MIB, 2 * MIB, 4 * MIB, 8 * MIB, 16 * MIB, 32 * MIB, 64 * MIB,
};

/* From the helper's "burst A: write failed after X bytes: ...": how much went out before the
 * first EAGAIN in all, which is what pipe and agent absorbed; -1 if the message is not there.
 * With halves, bursts 0 and 1 are n/2 each. */
static long long eagain_after(const char *err, uint64_t n, bool halves)
{
        unsigned burst;
        long long x;

        if (sscanf(err, "burst %u: write failed after %lld bytes", &burst, &x) != 2 || burst > 1)
                return -1;
        return burst && halves ? (long long) (n / 2) + x : x;
}

/* Checks what the reader got against what the helper says it wrote, and returns whether the
 * burst went through without EAGAIN. code: the helper's exit code, -1 when it did not exit. */
static bool burst_outcome(const char *who, uint64_t n, bool halves, int code, uint64_t got,
                          const char *err, long long *ret_after)
{
        long long after;

        if (code == 0) {
                if (got != n)
                        bench_die("%s: burst %llu exited 0 but %llu bytes arrived", who,
                                  (unsigned long long) n, (unsigned long long) got);
                *ret_after = -1;
                return true;
        }
        after = eagain_after(err, n, halves);
        if (code != 1 || after < 0)
                bench_die("%s: burst %llu: exit code %d: %s", who, (unsigned long long) n, code,
                          err);
        /* Every byte written before the EAGAIN must still arrive, in order. */
        if ((uint64_t) after != got)
                bench_die("%s: burst %llu: the helper wrote %lld bytes before EAGAIN, %llu arrived",
                          who, (unsigned long long) n, after, (unsigned long long) got);
        *ret_after = after;
        return false;
}

/* One burst in a container, with nobody reading stdout until the helper has exited. The exit
 * is seen as EOF on stderr (the helper's only other open fd), which consumes nothing from
 * stdout. Then stdout is read at once, as the shim reads it, 32 KiB at a time. At once,
 * because 500 ms after the exit the agent closes a pipe it stopped reading (its buffer full)
 * and what is still in that pipe is lost: a reader that slept for a fixed time would measure
 * that window instead of the burst. */
static bool cata_burst(struct agent *a, const char *annotations, uint64_t n, bool halves,
                       long long *ret_after)
{
        _cleanup_free_ char *id = new_id("burst");
        _cleanup_free_ char *args =
                halves ? xasprintf("[\"cata-stdio-helper\",\"burst\",\"%llu\",\"%llu\"]",
                                   (unsigned long long) (n / 2), (unsigned long long) (n / 2))
                       : xasprintf("[\"cata-stdio-helper\",\"burst\",\"%llu\"]",
                                   (unsigned long long) n);
        char err[ERR_KEEP];
        uint64_t got;

        create_start(a, id, args, annotations);
        (void) read_to_eof(a, id, true, false, SHIM_READ, err, sizeof(err));
        got = read_to_eof(a, id, false, true, SHIM_READ, NULL, 0);
        return burst_outcome(id, n, halves, finish(a, id), got, err, ret_after);
}

/* The same burst on a bare pipe of the same size that nobody reads until the helper exited:
 * what a container gets from an agent that reads only when the host asks. */
static bool bare_burst(int pipe_size, uint64_t n, bool halves, long long *ret_after)
{
        char err[ERR_KEEP], who[48];
        int p[2], e[2], status;
        uint64_t got = 0;
        pid_t pid;

        sized_pipe(p, pipe_size);
        sized_pipe(e, 0);
        pid = halves ? spawn_helper(p[1], e[1], "burst", n / 2, n / 2)
                     : spawn_helper(p[1], e[1], "burst", n, 0);
        (void) close(p[1]);
        (void) close(e[1]);
        status = reap(pid);
        read_text(e[0], err, sizeof(err));
        for (;;) {
                static uint8_t buf[1 << 16];
                ssize_t k = read(p[0], buf, sizeof(buf));

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        bench_die("read bare pipe: %s", strerror(errno));
                if (k == 0)
                        break;
                got += (uint64_t) k;
        }
        (void) close(p[0]);
        (void) close(e[0]);
        snprintf(who, sizeof(who), "bare pipe of %d", pipe_size);
        return burst_outcome(who, n, halves, WIFEXITED(status) ? WEXITSTATUS(status) : -1, got, err,
                             ret_after);
}

enum burst_cfg { CFG_DEFAULT, CFG_ANNOTATION, CFG_KERNEL, CFG_HALVES, _CFG_MAX };

struct burst_series {
        double *largest;  /* reps samples: the largest size that went through, bytes */
        double *after;    /* reps samples: written before EAGAIN at the first failure */
        unsigned no_fail; /* repetitions in which every size went through */
        unsigned n_after; /* samples in after[] */
};

struct burst_row {
        const char *label;
        struct agent *a;
        const char *annotations;
        bool halves;   /* N written as two bursts of N/2, 100 ms apart */
        int pipe_size; /* F_GETPIPE_SZ of a container's stdout in this configuration */
        struct burst_series cata, bare;
};

/* Grows N until the first burst that fails; records the largest that went through and how
 * much the failing one wrote before its EAGAIN. */
static void burst_series_run(struct burst_row *row, bool bare, unsigned rep)
{
        struct burst_series *s = bare ? &row->bare : &row->cata;
        uint64_t largest = 0;
        long long after = -1;

        for (size_t k = 0; k < ARRAY_SIZE(burst_sizes); k++) {
                bool ok = bare ? bare_burst(row->pipe_size, burst_sizes[k], row->halves, &after)
                               : cata_burst(row->a, row->annotations, burst_sizes[k], row->halves,
                                            &after);
                if (!ok)
                        break;
                largest = burst_sizes[k];
        }
        s->largest[rep] = (double) largest;
        if (after >= 0)
                s->after[s->n_after++] = (double) after;
        else
                s->no_fail++;
}

/* `cata-stdio-helper pipesize` in a container: the stdout pipe it really gets. */
static int pipe_size_seen(struct agent *a, const char *annotations)
{
        _cleanup_free_ char *id = new_id("pipesize");
        char out[64];
        int status;

        create_start(a, id, "[\"cata-stdio-helper\",\"pipesize\"]", annotations);
        (void) read_to_eof(a, id, false, false, SHIM_READ, out, sizeof(out));
        (void) read_to_eof(a, id, true, false, SHIM_READ, NULL, 0);
        status = finish(a, id);
        if (status != 0 || atoi(out) <= 0)
                bench_die("%s: pipesize printed `%s`, exit status %d", id, out, status);
        return atoi(out);
}

static void measure_bursts(struct burst_row *rows, size_t n_rows)
{
        char what[96];

        bench_phase("pipe sizes seen by the containers", WATCHDOG_S);
        for (size_t k = 0; k < n_rows; k++)
                rows[k].pipe_size = pipe_size_seen(rows[k].a, rows[k].annotations);
        snprintf(what, sizeof(what), "bursts: %u x %zu configurations x (cata, bare pipe)", o.reps,
                 n_rows);
        bench_phase(what, WATCHDOG_S);
        for (unsigned i = 0; i < o.reps; i++) {
                for (size_t k = 0; k < n_rows; k++) {
                        burst_series_run(&rows[k], false, i);
                        burst_series_run(&rows[k], true, i);
                        bench_progress("  rep %u, %s: cata %.0f KiB, bare pipe %.0f KiB", i + 1,
                                       rows[k].label, rows[k].cata.largest[i] / KIB,
                                       rows[k].bare.largest[i] / KIB);
                }
        }
}

/* ---- 3. agent memory ---- */

enum mem_row { MEM_IDLE, MEM_MANY, MEM_REMOVED, MEM_AGAIN, MEM_STALL_IDLE, MEM_STALL, _MEM_MAX };

struct mem_samples {
        double *rss[_MEM_MAX], *anon[_MEM_MAX]; /* reps samples, KiB */
};

static void record(struct mem_samples *m, enum mem_row row, unsigned rep)
{
        struct bench_mem now = bench_proc_mem_or_die(rss_agent.pid);

        m->rss[row][rep] = (double) now.rss;
        m->anon[row][rep] = (double) now.anon;
}

/* A fresh agent, one connection, one Check answered: idle. */
static void rss_agent_start(struct mem_samples *m, enum mem_row row, unsigned rep)
{
        agent_start(&rss_agent);
        check_serving(&rss_agent);
        usleep(IDLE_SETTLE_US);
        record(m, row, rep);
}

/* o.idle containers running `sleep 1000`, nobody reading their stdout; returns how long
 * creating and starting them took. */
static double start_idle(char **ids)
{
        uint64_t t0 = now_ns();

        for (unsigned i = 0; i < o.idle; i++) {
                ids[i] = new_id("idle");
                create_start(&rss_agent, ids[i], "[\"sleep\",\"1000\"]", NULL);
        }
        return (double) (now_ns() - t0) / NSEC_PER_SEC;
}

static void remove_idle(char **ids)
{
        for (unsigned i = 0; i < o.idle; i++) {
                remove_container(&rss_agent, ids[i]);
                free(ids[i]);
                ids[i] = NULL;
        }
}

/* The idle containers, then removed, then a second round of as many created and removed: what
 * the agent keeps after the first round is either reused by the second (the allocator keeping
 * freed heap) or grows again (a leak). */
static void many_idle(struct mem_samples *m, unsigned rep)
{
        char **ids = xzalloc(o.idle * sizeof(char *));
        double secs;

        rss_agent_start(m, MEM_IDLE, rep);
        secs = start_idle(ids);
        usleep(MANY_SETTLE_US);
        record(m, MEM_MANY, rep);
        bench_progress("  rep %u: %u containers started in %.1f s", rep + 1, o.idle, secs);
        remove_idle(ids);
        usleep(IDLE_SETTLE_US);
        record(m, MEM_REMOVED, rep);
        (void) start_idle(ids);
        remove_idle(ids);
        usleep(IDLE_SETTLE_US);
        record(m, MEM_AGAIN, rep);
        free(ids);
        agent_stop(&rss_agent);
}

/* A producer of 100 MiB whose reader takes 1 MiB and stops: back-pressure must stop the agent
 * at its stream buffer. */
static void stalled_producer(struct mem_samples *m, unsigned rep)
{
        _cleanup_free_ char *id = new_id("stall");
        _cleanup_free_ char *args = xasprintf("[\"cata-stdio-helper\",\"gen\",\"%llu\"]",
                                              (unsigned long long) STALL_BYTES);
        uint64_t off = 0;

        rss_agent_start(m, MEM_STALL_IDLE, rep);
        create_start(&rss_agent, id, args, NULL);
        while (off < STALL_READ) {
                Grpc__ReadStreamResponse *r = read_stream(&rss_agent, id, false, SHIM_READ);
                size_t n = r->data.len;

                grpc__read_stream_response__free_unpacked(r, NULL);
                if (n == 0)
                        bench_die("%s: EOF after %llu bytes", id, (unsigned long long) off);
                off += n;
        }
        sleep(STALL_WAIT_S);
        record(m, MEM_STALL, rep);
        remove_container(&rss_agent, id);
        agent_stop(&rss_agent);
}

static void measure_memory(struct mem_samples *m)
{
        char what[128];

        snprintf(what, sizeof(what),
                 "agent memory: %u x (2 x %u idle containers, one stalled producer), a fresh "
                 "agent for each",
                 o.reps, o.idle);
        bench_phase(what, WATCHDOG_S);
        for (unsigned i = 0; i < o.reps; i++) {
                many_idle(m, i);
                stalled_producer(m, i);
                bench_progress("  rep %u: RssAnon idle %.0f, %u containers %.0f, removed %.0f, "
                               "again %.0f, stalled %.0f (idle %.0f) KiB",
                               i + 1, m->anon[MEM_IDLE][i], o.idle, m->anon[MEM_MANY][i],
                               m->anon[MEM_REMOVED][i], m->anon[MEM_AGAIN][i],
                               m->anon[MEM_STALL][i], m->anon[MEM_STALL_IDLE][i]);
        }
}

/* ---- statistics and output ---- */

/* One figure per repetition. */
static double *samples(void)
{
        return xzalloc(o.reps * sizeof(double));
}

/* "2 MiB", "1088 KiB": whole MiB as MiB, anything else in KiB. */
static void fmt_size(char *buf, size_t len, double bytes)
{
        if (bytes >= MIB && bytes == (double) ((uint64_t) bytes / MIB * MIB))
                snprintf(buf, len, "%.0f MiB", bytes / MIB);
        else
                snprintf(buf, len, "%.0f KiB", bytes / KIB);
}

/* The median, followed by the smallest and largest sample when the repetitions disagree:
 * "2 MiB", "1 MiB (256 KiB..2 MiB)". */
static void fmt_size_median(char *buf, size_t len, double *v, unsigned n)
{
        char med[24], lo[24], hi[24];

        if (n == 0) {
                snprintf(buf, len, "n/a");
                return;
        }
        fmt_size(med, sizeof(med), bench_median(v, n));
        if (v[0] == v[n - 1]) {
                snprintf(buf, len, "%s", med);
                return;
        }
        fmt_size(lo, sizeof(lo), v[0]);
        fmt_size(hi, sizeof(hi), v[n - 1]);
        snprintf(buf, len, "%s (%s..%s)", med, lo, hi);
}

static void print_relay(struct relay *rel, size_t n_rel, int pipe_size)
{
        char label[96];

        printf("| stdout relay, %llu MiB, median of %u | cata-agent | raw pipe→unix copy | "
               "cata / raw | agent CPU | agent page faults |\n",
               (unsigned long long) (o.bytes / MIB), o.reps);
        printf("|---|---:|---:|---:|---:|---:|\n");
        for (size_t k = 0; k < n_rel; k++) {
                struct relay *r = &rel[k];

                if (r->passfd)
                        snprintf(label, sizeof(label),
                                 "passfd stream (runtime-rs), %u KiB socket reads", r->len >> 10);
                else if (r->len >= MIB)
                        snprintf(label, sizeof(label), "%u MiB reads, one outstanding",
                                 (unsigned) (r->len / MIB));
                else
                        snprintf(label, sizeof(label), "%u KiB reads, one outstanding%s",
                                 r->len >> 10, r->len == SHIM_READ ? " (Kata's shim)" : "");
                printf("| %s | %.0f MiB/s | %.0f MiB/s | %.2f | %.2f s/GiB | %.0f /MiB |\n", label,
                       bench_median(r->cata, o.reps), bench_median(r->raw, o.reps),
                       bench_median(r->ratio, o.reps), bench_median(r->cpu, o.reps),
                       bench_median(r->faults, o.reps));
        }
        printf("\nraw: the helper writes into a %d KiB pipe; a second process copies it into a "
               "unix socket with\nthe same buffer size as the cata reads. cata / raw: median of "
               "the per-repetition ratios. agent\nCPU and page faults (minor): over the whole "
               "stream, from /proc/PID/stat.\n\n",
               pipe_size >> 10);
}

static void print_bursts(struct burst_row *rows, size_t n_rows, uint32_t buffer)
{
        char pipe[24], sum[24], buf_s[24], cl[96], ca[96], bl[96], ba[96];
        unsigned no_fail = 0;

        fmt_size(buf_s, sizeof(buf_s), buffer);
        printf("| O_NONBLOCK burst, nobody reading, median of %u | stdout pipe | largest N, "
               "cata | written before EAGAIN, cata | pipe + buffer | largest N, bare pipe | "
               "written before EAGAIN, bare pipe |\n",
               o.reps);
        printf("|---|---:|---:|---:|---:|---:|---:|\n");
        for (size_t k = 0; k < n_rows; k++) {
                struct burst_row *r = &rows[k];

                fmt_size(pipe, sizeof(pipe), r->pipe_size);
                fmt_size(sum, sizeof(sum), (double) r->pipe_size + buffer);
                fmt_size_median(cl, sizeof(cl), r->cata.largest, o.reps);
                fmt_size_median(ca, sizeof(ca), r->cata.after, r->cata.n_after);
                fmt_size_median(bl, sizeof(bl), r->bare.largest, o.reps);
                fmt_size_median(ba, sizeof(ba), r->bare.after, r->bare.n_after);
                printf("| %s | %s | %s | %s | %s | %s | %s |\n", r->label, pipe, cl, ca, sum, bl,
                       ba);
                no_fail += r->cata.no_fail + r->bare.no_fail;
        }
        printf("\nN grows 64 KiB, 256 KiB, 1, 2, 4, 8 ... %llu MiB until a burst fails. stdout "
               "pipe: F_GETPIPE_SZ inside\nthe container. written before EAGAIN: what the "
               "first failing burst wrote, as the helper reports it.\npipe + buffer: the pipe "
               "plus agent.stdio_buffer_size (%s). bare pipe: the same helper on a bare pipe\n"
               "of the same size that nobody reads until it exited (an agent that reads only "
               "when asked).\n",
               (unsigned long long) (burst_sizes[ARRAY_SIZE(burst_sizes) - 1] / MIB), buf_s);
        if (no_fail)
                printf("In %u series every size went through; those have no EAGAIN figure.\n",
                       no_fail);
        putchar('\n');
}

static void print_memory(struct mem_samples *m)
{
        static const enum mem_row rows[] = { MEM_IDLE, MEM_MANY, MEM_REMOVED, MEM_AGAIN,
                                             MEM_STALL };
        char labels[_MEM_MAX][96] = {
                [MEM_IDLE] = "idle: one connection, one Check answered",
                [MEM_REMOVED] = "after removing them",
                [MEM_STALL] = "one stalled 100 MiB producer (1 MiB read), after 2 s",
        };
        double *delta[_MEM_MAX];

        snprintf(labels[MEM_MANY], sizeof(labels[MEM_MANY]),
                 "%u idle containers (`sleep 1000`, stdout unread)", o.idle);
        snprintf(labels[MEM_AGAIN], sizeof(labels[MEM_AGAIN]), "after %u more created and removed",
                 o.idle);
        /* Differences per repetition first: bench_median() sorts the samples in place. The stalled
         * producer runs in a fresh agent: its growth counts from that agent's idle figure. */
        for (size_t k = 0; k < ARRAY_SIZE(rows); k++) {
                enum mem_row row = rows[k], base = row == MEM_STALL ? MEM_STALL_IDLE : MEM_IDLE;

                delta[row] = samples();
                for (unsigned i = 0; i < o.reps; i++)
                        delta[row][i] = m->anon[row][i] - m->anon[base][i];
        }
        printf("| cata-agent memory, median of %u | VmRSS | RssAnon | RssAnon over idle |\n",
               o.reps);
        printf("|---|---:|---:|---:|\n");
        for (size_t k = 0; k < ARRAY_SIZE(rows); k++) {
                enum mem_row row = rows[k];

                printf("| %s | %.0f KiB | %.0f KiB | %+.0f KiB |\n", labels[row],
                       bench_median(m->rss[row], o.reps), bench_median(m->anon[row], o.reps),
                       bench_median(delta[row], o.reps));
                free(delta[row]);
        }
        printf("\nVmRSS and RssAnon from /proc/PID/status; over idle: per repetition, against "
               "the same agent's idle figure.\n");
}

/* ---- main ---- */

/* The agent's effective configuration (`--print-config`), for the buffer size it uses. */
static uint32_t agent_buffer_size(void)
{
        int p[2], status;
        char text[4096];
        const char *v;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                bench_die("pipe2: %s", strerror(errno));
        pid = bench_fork(SIGKILL);
        if (pid == 0) {
                if (dup2(p[1], STDOUT_FILENO) < 0)
                        _exit(126);
                execl(o.agent, o.agent, "--print-config", "--cmdline", "/dev/null", (char *) NULL);
                _exit(127);
        }
        (void) close(p[1]);
        read_text(p[0], text, sizeof(text));
        (void) close(p[0]);
        status = reap(pid);
        v = strstr(text, "\"stdio_buffer_size\":");
        if (!bench_exited_ok(status) || !v)
                bench_die("%s --print-config: status 0x%x: %s", o.agent, (unsigned) status, text);
        return (uint32_t) strtoul(v + strlen("\"stdio_buffer_size\":"), NULL, 10);
}

static void build_rootfs(void)
{
        char *argv[] = { (char *) o.make_rootfs, rootfs, (char *) o.helper, NULL };
        int status;
        pid_t pid;

        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", o.work);
        pid = bench_fork(SIGKILL);
        if (pid == 0) {
                /* Its chatter would mix with the tables. */
                if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
                        _exit(126);
                execv(o.make_rootfs, argv);
                _exit(127);
        }
        status = reap(pid);
        if (!bench_exited_ok(status))
                bench_die("%s %s %s: status 0x%x", o.make_rootfs, rootfs, o.helper,
                          (unsigned) status);
}

static void usage(FILE *f)
{
        fputs("Usage: bench-stdio --agent PATH --helper PATH --make-rootfs PATH --work DIR "
              "[OPTIONS]\n"
              "\n"
              "  --agent PATH         cata-agent to measure\n"
              "  --helper PATH        the static cata-stdio-helper\n"
              "  --make-rootfs PATH   tests/rootfs/make-rootfs.sh\n"
              "  --work DIR           an empty directory for sockets, logs and the rootfs\n"
              "  --prefix P           starts every container id and cgroup name (default cs)\n"
              "  --reps N             repetitions (default 5)\n"
              "  --bytes N            bytes through stdout for the throughput (default "
              "536870912)\n"
              "  --idle N             idle containers for the memory figure (default 100)\n",
              f);
}

static void parse_opts(int argc, char **argv)
{
        enum {
                OPT_AGENT = 0x100,
                OPT_HELPER,
                OPT_MAKE_ROOTFS,
                OPT_WORK,
                OPT_PREFIX,
                OPT_REPS,
                OPT_BYTES,
                OPT_IDLE,
                OPT_HELP
        };
        static const struct option longopts[] = {
                { "agent", required_argument, NULL, OPT_AGENT },
                { "helper", required_argument, NULL, OPT_HELPER },
                { "make-rootfs", required_argument, NULL, OPT_MAKE_ROOTFS },
                { "work", required_argument, NULL, OPT_WORK },
                { "prefix", required_argument, NULL, OPT_PREFIX },
                { "reps", required_argument, NULL, OPT_REPS },
                { "bytes", required_argument, NULL, OPT_BYTES },
                { "idle", required_argument, NULL, OPT_IDLE },
                { "help", no_argument, NULL, OPT_HELP },
                { 0 },
        };
        int c;

        o = (struct opts){ .prefix = "cs", .reps = 5, .idle = 100, .bytes = 512 * MIB };
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_AGENT:
                        o.agent = optarg;
                        break;
                case OPT_HELPER:
                        o.helper = optarg;
                        break;
                case OPT_MAKE_ROOTFS:
                        o.make_rootfs = optarg;
                        break;
                case OPT_WORK:
                        o.work = optarg;
                        break;
                case OPT_PREFIX:
                        o.prefix = optarg;
                        break;
                case OPT_REPS:
                        o.reps = (unsigned) bench_parse_num(optarg, 1, MAX_REPS, "--reps");
                        break;
                case OPT_BYTES:
                        /* At least two 1 MiB reads, so that the clock has a start and an end. */
                        o.bytes = bench_parse_num(optarg, 4 * MIB, MAX_BYTES, "--bytes");
                        break;
                case OPT_IDLE:
                        o.idle = (unsigned) bench_parse_num(optarg, 1, MAX_IDLE, "--idle");
                        break;
                case OPT_HELP:
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        exit(2);
                }
        }
        if (!o.agent || !o.helper || !o.make_rootfs || !o.work || optind < argc) {
                usage(stderr);
                exit(2);
        }
}

int main(int argc, char **argv)
{
        struct relay rel[] = { { .len = SHIM_READ },
                               { .len = BIG_READ },
                               { .len = SHIM_READ, .passfd = true } };
        struct burst_row rows[] = {
                [CFG_DEFAULT] = { .label = "default (agent.container_pipe_size 1 MiB)",
                                  .a = &main_agent },
                [CFG_ANNOTATION] = { .label = "annotation " ANNOTATION " = 262144",
                                     .a = &main_agent,
                                     .annotations = "{\"" ANNOTATION "\":\"262144\"}" },
                [CFG_KERNEL] = { .label = "agent.container_pipe_size=0 (kernel 64 KiB, Kata's "
                                          "default)",
                                 .a = &kata_agent },
                [CFG_HALVES] = { .label = "default, N as two bursts of N/2 100 ms apart",
                                 .a = &main_agent,
                                 .halves = true },
        };
        struct mem_samples mem = { 0 };
        uint32_t buffer;

        bench_set_name("bench-stdio");
        bench_set_cleanup(cleanup_all);
        parse_opts(argc, argv);
        (void) signal(SIGALRM, on_alarm);
        (void) signal(SIGPIPE, SIG_IGN);
        for (size_t k = 0; k < ARRAY_SIZE(rel); k++) {
                rel[k].cata = samples();
                rel[k].raw = samples();
                rel[k].ratio = samples();
                rel[k].cpu = samples();
                rel[k].faults = samples();
        }
        for (size_t k = 0; k < ARRAY_SIZE(rows); k++) {
                rows[k].cata.largest = samples();
                rows[k].cata.after = samples();
                rows[k].bare.largest = samples();
                rows[k].bare.after = samples();
        }
        for (int r = 0; r < _MEM_MAX; r++) {
                mem.rss[r] = samples();
                mem.anon[r] = samples();
        }

        bench_phase("building the busybox rootfs with the helper", WATCHDOG_S);
        buffer = agent_buffer_size();
        build_rootfs();
        agent_start(&main_agent);
        agent_start(&kata_agent);
        check_serving(&main_agent);
        check_serving(&kata_agent);

        measure_bursts(rows, ARRAY_SIZE(rows));
        /* The raw copy gets the pipe the agent gives containers by default. */
        measure_relay(rel, ARRAY_SIZE(rel), rows[CFG_DEFAULT].pipe_size);
        agent_stop(&kata_agent);
        agent_stop(&main_agent);
        measure_memory(&mem);
        alarm(0);

        print_relay(rel, ARRAY_SIZE(rel), rows[CFG_DEFAULT].pipe_size);
        print_bursts(rows, ARRAY_SIZE(rows), buffer);
        print_memory(&mem);
        return 0;
}
