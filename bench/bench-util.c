/* SPDX-License-Identifier: Apache-2.0 */
/* What the three benchmarks share; bench-util.h says what each piece does. */
#include "bench-util.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/client.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000ull

/* Only a hung agent ever gets near this in the cleanup, never a slow one on a busy machine. */
#define CLEANUP_TIMEOUT_NS (5ull * NSEC_PER_SEC)
#define AGENT_POLL_US      5000

/* ---- context ---- */

void bench_loadavg(char buf[64])
{
        _cleanup_free_ char *text = NULL;
        char a[16], b[16], c[16];

        if (read_file("/proc/loadavg", 256, &text, NULL) < 0 ||
            sscanf(text, "%15s %15s %15s", a, b, c) != 3) {
                snprintf(buf, 64, "?");
                return;
        }
        snprintf(buf, 64, "%s %s %s", a, b, c);
}

/* The first "model name" of /proc/cpuinfo, or "unknown CPU". */
static void cpu_model(char *buf, size_t size)
{
        _cleanup_free_ char *text = NULL;
        const char *p, *end;

        snprintf(buf, size, "unknown CPU");
        if (read_file("/proc/cpuinfo", 1 << 20, &text, NULL) < 0 ||
            !(p = strstr(text, "model name")) || !(p = strchr(p, ':')))
                return;
        p += strspn(p, ": \t");
        end = strchrnul(p, '\n');
        snprintf(buf, size, "%.*s", (int) (end - p), p);
}

void bench_print_context(const char *before, const char *after)
{
        const char *commit = getenv("CATA_BENCH_COMMIT");
        char model[128];
        struct utsname u;

        cpu_model(model, sizeof(model));
        if (uname(&u) < 0)
                snprintf(u.release, sizeof(u.release), "?");
        printf("Commit %s on %s (%ld CPUs, Linux %s); load average (1, 5, 15 min) %s before, "
               "%s after.\n\n",
               commit && *commit ? commit : "unknown", model, sysconf(_SC_NPROCESSORS_ONLN),
               u.release, before, after);
}

/* ---- messages ---- */

static const char *bench_name;
static void (*bench_cleanup)(void);

void bench_set_name(const char *name)
{
        bench_name = name;
}

void bench_set_cleanup(void (*cleanup)(void))
{
        bench_cleanup = cleanup;
}

static void __attribute__((format(printf, 1, 0))) vmessage(const char *fmt, va_list ap)
{
        fprintf(stderr, "%s: ", bench_name ? bench_name : program_invocation_short_name);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void bench_progress(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vmessage(fmt, ap);
        va_end(ap);
}

void bench_die(const char *fmt, ...)
{
        static bool dying;
        va_list ap;

        va_start(ap, fmt);
        vmessage(fmt, ap);
        va_end(ap);
        /* A failure during the cleanup itself must not start another one. */
        if (!dying && bench_cleanup) {
                dying = true;
                bench_cleanup();
        }
        exit(1);
}

void bench_phase(const char *what, unsigned seconds)
{
        bench_progress("%s", what);
        alarm(seconds);
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

double bench_median(double *v, unsigned n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_p90(double *v, unsigned n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return v[(9 * n + 9) / 10 - 1];
}

/* ---- arguments ---- */

int bench_parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
        uint64_t v;

        if (parse_u64(s, 10, &v) < 0)
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

uint64_t bench_parse_num(const char *s, uint64_t min, uint64_t max, const char *name)
{
        uint64_t v;

        if (bench_parse_range(s, min, max, &v) < 0)
                bench_die("%s must be %llu..%llu, not `%s`", name, (unsigned long long) min,
                          (unsigned long long) max, s);
        return v;
}

/* ---- processes ---- */

bool bench_exited_ok(int status)
{
        return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

pid_t bench_fork(int deathsig)
{
        pid_t parent = getpid();
        pid_t pid = fork();

        if (pid < 0)
                bench_die("fork: %s", strerror(errno));
        if (pid == 0 && (prctl(PR_SET_PDEATHSIG, deathsig) < 0 || getppid() != parent))
                _exit(125);
        return pid;
}

int bench_send_all(int fd, const void *buf, size_t len)
{
        const uint8_t *p = buf;

        while (len > 0) {
                ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static long status_kib(const char *text, const char *field)
{
        const char *p = strstr(text, field);

        return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

int bench_proc_mem(pid_t pid, struct bench_mem *ret)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        int r;

        *ret = (struct bench_mem){ -1, -1 };
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        r = read_file(path, 1 << 16, &text, NULL);
        if (r < 0)
                return r;
        ret->rss = status_kib(text, "VmRSS:");
        ret->anon = status_kib(text, "RssAnon:");
        return 0;
}

struct bench_mem bench_proc_mem_or_die(pid_t pid)
{
        struct bench_mem m;
        int r = bench_proc_mem(pid, &m);

        if (r < 0)
                bench_die("read /proc/%d/status: %s", (int) pid, strerror(-r));
        return m;
}

/* ---- cata-agent ---- */

pid_t bench_spawn_agent(char *const argv[], const char *log, int out_fd)
{
        pid_t pid = bench_fork(SIGTERM);

        if (pid == 0) {
                int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                if (null_fd < 0 || log_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
                    dup2(out_fd >= 0 ? out_fd : log_fd, STDOUT_FILENO) < 0 ||
                    dup2(log_fd, STDERR_FILENO) < 0)
                        _exit(126);
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

struct ttrpc_client *bench_connect_agent(const char *addr, volatile pid_t *pid, const char *log)
{
        struct ttrpc_client *c = NULL;
        pid_t agent = *pid;
        int r;

        while ((r = ttrpc_client_connect(addr, &c)) < 0) {
                int status;

                if (r != -ENOENT && r != -ECONNREFUSED)
                        bench_die("connect %s: %s", addr, strerror(-r));
                if (waitpid(agent, &status, WNOHANG) == agent) {
                        *pid = -1;
                        bench_die("cata-agent exited before listening (status 0x%x); log: %s",
                                  (unsigned) status, log);
                }
                usleep(AGENT_POLL_US);
        }
        return c;
}

int bench_stop_agent(struct ttrpc_client **c, volatile pid_t *pid)
{
        pid_t agent = *pid;
        int status = 0;

        if (*c)
                *c = ttrpc_client_free(*c);
        if (agent <= 0)
                return 0;
        *pid = -1;
        (void) kill(agent, SIGTERM);
        while (waitpid(agent, &status, 0) < 0 && errno == EINTR)
                ;
        return status;
}

void bench_cleanup_remove(struct ttrpc_client **c, const char *id)
{
        Grpc__RemoveContainerRequest req = GRPC__REMOVE_CONTAINER_REQUEST__INIT;
        struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp = NULL;

        if (!*c)
                return;
        req.container_id = (char *) id;
        if (ttrpc_client_call(*c, "grpc.AgentService", "RemoveContainer", &req.base,
                              &google__protobuf__empty__descriptor, (int64_t) CLEANUP_TIMEOUT_NS,
                              &resp, &st) < 0)
                *c = ttrpc_client_free(*c);
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
        ttrpc_status_done(&st);
}
