/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-containers: containers through cata-agent next to crun and runc, on the same bundle.
 * Run it through bench/run-containers.sh, which installs the runtimes and builds the agent and
 * the busybox bundles; docs/benchmarks.md ("Containers") explains the figures.
 *
 *  1. create + start + wait + remove of /bin/true: through the agent over its unix socket, the
 *     way Kata's shim drives it (CreateContainer, StartContainer, ReadStdout and ReadStderr to
 *     EOF, WaitProcess, RemoveContainer), against `crun run` and `runc run`;
 *  2. exec of /bin/true in a running `sleep 1000` container: ExecProcess, reads to EOF,
 *     WaitProcess, against `crun exec` and `runc exec`;
 *  3. cata-agent's VmRSS and RssAnon idle, with N idle containers and after removing them, next
 *     to what N idle crun containers leave running on the host.
 *
 * The machine is shared and noisy: in every iteration each runtime runs once, the one that goes
 * first rotates, and medians are compared. Nothing asserts on a time. The run fails only when a
 * runtime or the agent fails (non-zero exit, error status) or hangs (watchdog).
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "bench-util.h"
#include "oci/spec-json.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"
#include "health.pb-c.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSEC_PER_SEC  1000000000ull
#define NSEC_PER_MSEC 1000000ull

#define SERVICE       "grpc.AgentService"

/* Only a hung agent or runtime ever gets near this, never a slow one on a busy machine. */
#define WATCHDOG_S 300u
#define READ_LEN   (32u << 10) /* what Kata's shim asks for */
#define OUT_KEEP   512         /* bytes of a runtime's output kept for error messages */
#define MAX_ITERS  1000u
#define MAX_IDLE   1000u
#define WARMUPS    2u
#define UNIFIED    "/sys/fs/cgroup/unified"

/* Idle means back in epoll_wait() with every reply sent; the 100-container figure also waits
 * for the last container's init to settle into its sleep. */
#define SETTLE_US 200000

struct opts {
        const char *agent;
        const char *ctl; /* NULL: the cata-ctl rows are left out */
        const char *crun, *runc;
        const char *bundle_true, *bundle_sleep;
        const char *work;
        const char *prefix;
        unsigned iters;
        unsigned idle;
};

enum rt_kind { RT_CATA, RT_CRUN, RT_RUNC, _RT_MAX };

/* A runtime CLI: crun or runc. */
struct runtime {
        const char *name;
        const char *bin; /* NULL: not installed, its rows read n/a */
        char *root;      /* --root: its own state directory under the work dir */
        /* Run it in a private mount namespace without the cgroup2 mount (see hide_cgroup2()),
         * for `run` and `exec` separately: each is tried plain first. */
        bool wrap_run, wrap_exec;
        char why[OUT_KEEP]; /* what it said when it failed plain */
};

/* The rows of the two latency tables. */
enum item { IT_CATA, IT_CTL, IT_CRUN, IT_RUNC, IT_WRAP, _IT_MAX };

struct series {
        bool on;
        double *ms;
        unsigned races; /* attempts that hit the agent's setup race, warm-ups included */
};

/* A container the benchmark created and has not removed yet: bench_die() removes it. */
struct live {
        enum rt_kind rt;
        char *id;
};

static struct opts o;
static struct runtime rts[_RT_MAX] = {
        [RT_CATA] = { .name = "cata-agent" },
        [RT_CRUN] = { .name = "crun" },
        [RT_RUNC] = { .name = "runc" },
};
static volatile pid_t agent_pid = -1;
static char agent_addr[PATH_MAX + 8];
static char agent_log[PATH_MAX];
static char detach_log[PATH_MAX];
static struct ttrpc_client *conn;
static Grpc__Spec *spec_true, *spec_sleep;
static unsigned strays; /* replies to reads parked on containers removed since */
static struct live *lives;
static size_t n_lives, cap_lives;

/* cata-agent now and then answers StartContainer or ExecProcess of a process that exits at once,
 * as /bin/true does, with "container `ID`: the process exited during setup": its reaper saw the
 * exit before the end of the setup handshake. A shim would report that exec or start as
 * failed. Here each one is counted per row, printed under the table, and the same attempt is
 * made again; failed attempts are not in the figures. */
#define SETUP_RACE "exited during setup"
static unsigned races[_IT_MAX];

static void on_alarm(int sig)
{
        static const char msg[] = "bench-containers: watchdog: a phase took far too long (hung?)"
                                  "; run-containers.sh removes what is left\n";

        (void) sig;
        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        if (agent_pid > 0)
                (void) kill(agent_pid, SIGKILL);
        _exit(1);
}

static void track(enum rt_kind rt, const char *id)
{
        if (n_lives == cap_lives) {
                cap_lives = cap_lives ? 2 * cap_lives : 64;
                lives = xrealloc(lives, cap_lives * sizeof(*lives));
        }
        lives[n_lives].rt = rt;
        lives[n_lives].id = xstrdup(id);
        n_lives++;
}

static void untrack(enum rt_kind rt, const char *id)
{
        for (size_t i = n_lives; i-- > 0;)
                if (lives[i].rt == rt && streq(lives[i].id, id)) {
                        free(lives[i].id);
                        lives[i] = lives[--n_lives];
                        return;
                }
}

/* ---- running a runtime CLI ---- */

/* What `unshare -m sh -c 'umount /sys/fs/cgroup/unified; exec crun ...'` does, without its two
 * extra execs. crun refuses a hybrid host (v1 controllers plus cgroup2 at .../unified) and is
 * fine with pure v1. Propagation is made private first so that the umount stays in here. A
 * private tmpfs then covers the directory: crun still makes a directory per container there
 * (for the v2 line of /proc/self/cgroup), and in the host's /sys/fs/cgroup tmpfs under the
 * cgroup2 mount those stayed behind, hidden, after every run. */
static int hide_cgroup2(void)
{
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -1;
        if (umount2(UNIFIED, MNT_DETACH) < 0)
                return -1;
        return mount("tmpfs", UNIFIED, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755");
}

/* Runs argv to completion. stdout and stderr go to one pipe read until EOF, as a shim collects
 * a container's output; a detached run gets a file instead, because the container inherits
 * those fds and would hold a pipe open for ever. The first bytes of the output are kept in out
 * (may be NULL) for error messages. Returns the wait status, or -1 when fork or pipe fail. */
static int run_cmd(char *const argv[], bool wrap, bool detach, char *out, size_t out_len)
{
        int p[2] = { -1, -1 }, status = 0, out_fd;
        size_t have = 0;
        pid_t pid;

        if (detach) {
                out_fd = open(detach_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (out_fd < 0)
                        return -1;
        } else {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -1;
                out_fd = p[1];
        }
        pid = fork();
        if (pid < 0) {
                (void) close(out_fd);
                if (p[0] >= 0)
                        (void) close(p[0]);
                return -1;
        }
        if (pid == 0) {
                int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

                /* dup2() leaves the copies without O_CLOEXEC: the only fds crun sees. */
                if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
                    dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
                        _exit(126);
                if (wrap && hide_cgroup2() < 0) {
                        dprintf(STDERR_FILENO, "hiding %s: %s\n", UNIFIED, strerror(errno));
                        _exit(125);
                }
                execv(argv[0], argv);
                dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        (void) close(out_fd);
        if (out && out_len)
                out[0] = '\0';
        for (;;) {
                char buf[4096];
                ssize_t n;

                if (detach)
                        break;
                n = read(p[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (out && have + 1 < out_len) {
                        size_t k =
                                (size_t) n < out_len - 1 - have ? (size_t) n : out_len - 1 - have;
                        memcpy(out + have, buf, k);
                        have += k;
                        out[have] = '\0';
                }
        }
        if (p[0] >= 0)
                (void) close(p[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        if (detach && out && out_len && !bench_exited_ok(status)) {
                _cleanup_free_ char *text = NULL;

                if (read_file(detach_log, 1 << 16, &text, NULL) == 0)
                        snprintf(out, out_len, "%s", text);
        }
        return status;
}

/* The first line of a runtime's complaint, for one line of output. */
static void first_line(char *s)
{
        s[strcspn(s, "\n")] = '\0';
}

static int rt_cmd(struct runtime *rt, bool wrap, bool detach, char *out, const char *a1,
                  const char *a2, const char *a3, const char *a4, const char *a5)
{
        char *argv[] = {
                (char *) rt->bin, (char *) "--root", rt->root,    (char *) a1, (char *) a2,
                (char *) a3,      (char *) a4,       (char *) a5, NULL,
        };

        return run_cmd(argv, wrap, detach, out, out ? OUT_KEEP : 0);
}

static void rt_delete(struct runtime *rt, const char *id)
{
        (void) rt_cmd(rt, rt->wrap_run, false, NULL, "delete", "--force", id, NULL, NULL);
        untrack(rt == &rts[RT_CRUN] ? RT_CRUN : RT_RUNC, id);
}

static int rt_run_once(struct runtime *rt, const char *bundle, const char *id, bool detach,
                       char *out)
{
        return detach ? rt_cmd(rt, rt->wrap_run, true, out, "run", "--detach", "--bundle", bundle,
                               id)
                      : rt_cmd(rt, rt->wrap_run, false, out, "run", "--bundle", bundle, id, NULL);
}

/* `BIN run [--detach] --bundle B ID`. When it fails plain and may_wrap is set, it is tried once
 * more with the cgroup2 mount hidden, which is then used from here on. */
static void rt_run(struct runtime *rt, const char *bundle, const char *id, bool detach,
                   bool may_wrap)
{
        enum rt_kind kind = rt == &rts[RT_CRUN] ? RT_CRUN : RT_RUNC;
        char out[OUT_KEEP];
        int status;

        track(kind, id);
        status = rt_run_once(rt, bundle, id, detach, out);
        if (!bench_exited_ok(status) && may_wrap && !rt->wrap_run) {
                first_line(out);
                snprintf(rt->why, sizeof(rt->why), "%s", out);
                bench_progress("%s run failed (%s); trying again without %s", rt->name, out,
                               UNIFIED);
                (void) rt_cmd(rt, false, false, NULL, "delete", "--force", id, NULL, NULL);
                rt->wrap_run = true;
                status = rt_run_once(rt, bundle, id, detach, out);
        }
        if (!bench_exited_ok(status))
                bench_die("%s run %s: status 0x%x: %s", rt->name, id, (unsigned) status, out);
        if (!detach)
                untrack(kind, id);
}

static void rt_exec(struct runtime *rt, const char *id, bool may_wrap)
{
        char out[OUT_KEEP];
        int status;

        status = rt_cmd(rt, rt->wrap_exec, false, out, "exec", id, "/bin/true", NULL, NULL);
        if (!bench_exited_ok(status) && may_wrap && !rt->wrap_exec) {
                first_line(out);
                if (!rt->why[0])
                        snprintf(rt->why, sizeof(rt->why), "%s", out);
                bench_progress("%s exec failed (%s); trying again without %s", rt->name, out,
                               UNIFIED);
                rt->wrap_exec = true;
                status = rt_cmd(rt, true, false, out, "exec", id, "/bin/true", NULL, NULL);
        }
        if (!bench_exited_ok(status))
                bench_die("%s exec %s: status 0x%x: %s", rt->name, id, (unsigned) status, out);
}

/* ---- the agent ---- */

static void agent_start(void)
{
        char run_dir[PATH_MAX];
        char *argv[] = {
                (char *) o.agent,     (char *) "--addr",    agent_addr, (char *) "--cmdline",
                (char *) "/dev/null", (char *) "--run-dir", run_dir,    NULL,
        };

        snprintf(run_dir, sizeof(run_dir), "%s/agent-run", o.work);
        /* Dies with the benchmark, however that ends; run-containers.sh then kills what its
         * containers left. */
        agent_pid = bench_spawn_agent(argv, agent_log, -1);
        conn = bench_connect_agent(agent_addr, &agent_pid, agent_log);
}

static void agent_stop(void)
{
        int status = bench_stop_agent(&conn, &agent_pid);

        if (!bench_exited_ok(status))
                bench_progress("warning: cata-agent did not exit cleanly (status 0x%x); log: %s",
                               (unsigned) status, agent_log);
}

/* Whatever the benchmark created and did not remove, on its way out after a failure. The
 * agent gets a fresh connection: the benchmark's own may be in the middle of a call. What is
 * still left (a hung agent's containers) run-containers.sh kills through their cgroups. */
static void cleanup_all(void)
{
        struct ttrpc_client *c = NULL;

        if (agent_pid > 0 && ttrpc_client_connect(agent_addr, &c) < 0)
                c = NULL;
        for (size_t i = n_lives; i-- > 0;) {
                if (lives[i].rt == RT_CATA) {
                        bench_cleanup_remove(&c, lives[i].id);
                } else {
                        struct runtime *rt = &rts[lives[i].rt];
                        (void) rt_cmd(rt, rt->wrap_run, false, NULL, "delete", "--force",
                                      lives[i].id, NULL, NULL);
                }
        }
        if (c)
                (void) ttrpc_client_free(c);
        agent_stop();
}

/* ---- ttRPC, as a shim uses it: one connection, several calls in flight ---- */

static uint32_t send_msg(const char *method, const ProtobufCMessage *msg)
{
        size_t len = protobuf_c_message_get_packed_size(msg);
        _cleanup_free_ uint8_t *buf = xmalloc(len ? len : 1);
        uint32_t sid = ttrpc_client_next_stream_id(conn);
        int r;

        protobuf_c_message_pack(msg, buf);
        /* No timeout on the wire, as the shim sends none for these; the watchdog is ours. */
        r = ttrpc_client_send_request(conn, sid, SERVICE, method, buf, len, 0);
        if (r < 0)
                bench_die("send %s: %s", method, strerror(-r));
        return sid;
}

/* The next Response on the connection, whichever call it answers. */
static uint32_t recv_response(struct ttrpc_status *st, uint8_t **payload, size_t *len)
{
        struct ttrpc_frame f = { 0 };
        int r;

        r = ttrpc_client_recv_frame(conn, -1, &f);
        if (r < 0)
                bench_die("receive: %s", strerror(-r));
        if (f.header.type != TTRPC_TYPE_RESPONSE)
                bench_die("unexpected frame type %u", f.header.type);
        r = ttrpc_response_decode(f.body, f.header.length, st, payload, len);
        free(f.body);
        if (r < 0)
                bench_die("undecodable Response");
        return f.header.stream_id;
}

/* One call, waiting for its own Response: the reply, or NULL with the error in *st. Replies to
 * the reads parked on idle containers may arrive meanwhile (when one is removed): they are
 * counted and dropped. */
static ProtobufCMessage *call_st(const char *method, const ProtobufCMessage *req,
                                 const ProtobufCMessageDescriptor *desc, const char *what,
                                 struct ttrpc_status *st)
{
        uint32_t sid = send_msg(method, req);

        for (;;) {
                _cleanup_free_ uint8_t *payload = NULL;
                ProtobufCMessage *resp;
                size_t len = 0;

                if (recv_response(st, &payload, &len) != sid) {
                        ttrpc_status_done(st);
                        *st = (struct ttrpc_status){ 0 };
                        strays++;
                        continue;
                }
                if (st->code != 0)
                        return NULL;
                resp = protobuf_c_message_unpack(desc, NULL, len,
                                                 payload ? payload : (const uint8_t *) "");
                if (!resp)
                        bench_die("%s %s: undecodable reply", method, what);
                return resp;
        }
}

static ProtobufCMessage *call(const char *method, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *desc, const char *what)
{
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp = call_st(method, req, desc, what, &st);

        if (!resp)
                bench_die("%s %s: status %d: %s", method, what, st.code,
                          st.message ? st.message : "");
        return resp;
}

/* An empty-reply call whose one tolerated failure is the setup race: false then. */
static bool call_racy(const char *method, const ProtobufCMessage *req, const char *what,
                      enum item it)
{
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp =
                call_st(method, req, &google__protobuf__empty__descriptor, what, &st);

        if (resp) {
                protobuf_c_message_free_unpacked(resp, NULL);
                return true;
        }
        if (!st.message || !strstr(st.message, SETUP_RACE))
                bench_die("%s %s: status %d: %s", method, what, st.code,
                          st.message ? st.message : "");
        races[it]++;
        bench_progress("%s %s: %s (counted, tried again)", method, what, st.message);
        return false;
}

static void call_empty(const char *method, const ProtobufCMessage *req, const char *what)
{
        protobuf_c_message_free_unpacked(
                call(method, req, &google__protobuf__empty__descriptor, what), NULL);
}

static uint32_t send_read(const char *method, const char *cid, const char *eid)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;

        req.container_id = (char *) cid;
        req.exec_id = (char *) eid;
        req.len = READ_LEN;
        return send_msg(method, &req.base);
}

/* ReadStdout and ReadStderr kept outstanding together until both return EOF (empty data), as
 * the shim copies a process's output. */
static void read_to_eof(const char *cid, const char *eid)
{
        static const char *const methods[2] = { "ReadStdout", "ReadStderr" };
        uint32_t sid[2] = { send_read(methods[0], cid, eid), send_read(methods[1], cid, eid) };

        while (sid[0] || sid[1]) {
                _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
                _cleanup_free_ uint8_t *payload = NULL;
                Grpc__ReadStreamResponse *resp;
                size_t len = 0;
                uint32_t got = recv_response(&st, &payload, &len);
                int s = got == sid[0] ? 0 : got == sid[1] ? 1 : -1;

                if (s < 0) {
                        strays++;
                        continue;
                }
                if (st.code != 0)
                        bench_die("%s %s/%s: status %d: %s", methods[s], cid, eid, st.code,
                                  st.message ? st.message : "");
                resp = grpc__read_stream_response__unpack(NULL, len,
                                                          payload ? payload : (uint8_t *) "");
                if (!resp)
                        bench_die("%s: undecodable reply", methods[s]);
                sid[s] = resp->data.len == 0 ? 0 : send_read(methods[s], cid, eid);
                grpc__read_stream_response__free_unpacked(resp, NULL);
        }
}

static int wait_process(const char *cid, const char *eid)
{
        Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
        Grpc__WaitProcessResponse *resp;
        int status;

        req.container_id = (char *) cid;
        req.exec_id = (char *) eid;
        resp = (Grpc__WaitProcessResponse *) call("WaitProcess", &req.base,
                                                  &grpc__wait_process_response__descriptor, cid);
        status = resp->status;
        grpc__wait_process_response__free_unpacked(resp, NULL);
        return status;
}

/* false: StartContainer hit the setup race (counted for row it). */
static bool cata_create_start(const char *id, Grpc__Spec *spec, enum item it)
{
        Grpc__CreateContainerRequest cr = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        Grpc__StartContainerRequest st = GRPC__START_CONTAINER_REQUEST__INIT;

        cr.container_id = (char *) id;
        cr.exec_id = (char *) id;
        cr.oci = spec;
        call_empty("CreateContainer", &cr.base, id);
        st.container_id = (char *) id;
        return call_racy("StartContainer", &st.base, id, it);
}

static void cata_remove(const char *id)
{
        Grpc__RemoveContainerRequest req = GRPC__REMOVE_CONTAINER_REQUEST__INIT;

        req.container_id = (char *) id;
        call_empty("RemoveContainer", &req.base, id);
}

/* grpc.Health/Check on the same connection (an empty request packs to no bytes): the agent is
 * up, and has answered everything sent before. */
static void check_serving(void)
{
        uint32_t sid = ttrpc_client_next_stream_id(conn);
        Grpc__HealthCheckResponse *resp = NULL;
        int r;
        bool ok;

        r = ttrpc_client_send_request(conn, sid, "grpc.Health", "Check", NULL, 0, 0);
        if (r < 0)
                bench_die("send Check: %s", strerror(-r));
        for (;;) {
                _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
                _cleanup_free_ uint8_t *payload = NULL;
                size_t len = 0;

                if (recv_response(&st, &payload, &len) != sid) {
                        strays++;
                        continue;
                }
                if (st.code == 0)
                        resp = grpc__health_check_response__unpack(
                                NULL, len, payload ? payload : (uint8_t *) "");
                break;
        }
        ok = resp && resp->status == GRPC__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        if (resp)
                grpc__health_check_response__free_unpacked(resp, NULL);
        if (!ok)
                bench_die("Check: agent is not SERVING");
}

/* ---- 1. create + start + wait + remove ---- */

static double cata_run(const char *id)
{
        uint64_t t0, t1;
        int status;

        track(RT_CATA, id);
        t0 = now_ns();
        while (!cata_create_start(id, spec_true, IT_CATA)) {
                cata_remove(id);
                t0 = now_ns();
        }
        read_to_eof(id, id);
        status = wait_process(id, id);
        cata_remove(id);
        t1 = now_ns();
        untrack(RT_CATA, id);
        if (status != 0)
                bench_die("cata %s: /bin/true exited with %d", id, status);
        return (double) (t1 - t0) / NSEC_PER_MSEC;
}

/* The process an ExecProcess that hit the setup race left behind: WaitProcess releases it. */
static void release_exec(const char *cid, const char *eid)
{
        Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
        _cleanup_ttrpc_status_ struct ttrpc_status st = { 0 };
        ProtobufCMessage *resp;

        req.container_id = (char *) cid;
        req.exec_id = (char *) eid;
        resp = call_st("WaitProcess", &req.base, &grpc__wait_process_response__descriptor, cid,
                       &st);
        if (resp)
                protobuf_c_message_free_unpacked(resp, NULL);
}

/* cata-ctl as a CLI, like crun: a new process and connection per container. `run` removes its
 * container also when it fails; after a failed `exec`, exec_cid/exec_eid are released. */
static double ctl_cmd(const char *what, char *const argv[], const char *exec_cid,
                      const char *exec_eid)
{
        char out[OUT_KEEP];
        uint64_t t0, t1;
        int status;

        for (;;) {
                t0 = now_ns();
                status = run_cmd(argv, false, false, out, sizeof(out));
                t1 = now_ns();
                if (bench_exited_ok(status))
                        return (double) (t1 - t0) / NSEC_PER_MSEC;
                if (!strstr(out, SETUP_RACE))
                        bench_die("cata-ctl %s: status 0x%x: %s", what, (unsigned) status, out);
                first_line(out);
                races[IT_CTL]++;
                bench_progress("%s (counted, tried again)", out);
                if (exec_cid)
                        release_exec(exec_cid, exec_eid);
        }
}

static double ctl_run(const char *id)
{
        char *argv[] = { (char *) o.ctl,         (char *) "--addr", agent_addr, (char *) "run",
                         (char *) o.bundle_true, (char *) id,       NULL };
        double ms;

        track(RT_CATA, id);
        ms = ctl_cmd("run", argv, NULL, NULL);
        untrack(RT_CATA, id);
        return ms;
}

static double rt_run_ms(struct runtime *rt, const char *id)
{
        uint64_t t0 = now_ns();

        rt_run(rt, o.bundle_true, id, false, false);
        return (double) (now_ns() - t0) / NSEC_PER_MSEC;
}

/* The crun wrapper on its own: fork, unshare, umount, exec /bin/true, wait. */
static double wrap_ms(void)
{
        char *argv[] = { (char *) "/bin/true", NULL };
        uint64_t t0 = now_ns();
        int status = run_cmd(argv, true, false, NULL, 0);
        uint64_t t1 = now_ns();

        if (!bench_exited_ok(status))
                bench_die("wrapper: status 0x%x", (unsigned) status);
        return (double) (t1 - t0) / NSEC_PER_MSEC;
}

static double run_sample(enum item it, const char *tag, unsigned i)
{
        char id[128];

        snprintf(id, sizeof(id), "%s-run-%s-%s%u", o.prefix,
                 it == IT_CATA   ? "cata"
                 : it == IT_CTL  ? "ctl"
                 : it == IT_CRUN ? "crun"
                 : it == IT_RUNC ? "runc"
                                 : "wrap",
                 tag, i);
        switch (it) {
        case IT_CATA:
                return cata_run(id);
        case IT_CTL:
                return ctl_run(id);
        case IT_CRUN:
                return rt_run_ms(&rts[RT_CRUN], id);
        case IT_RUNC:
                return rt_run_ms(&rts[RT_RUNC], id);
        case IT_WRAP:
                return wrap_ms();
        default:
                bench_die("bad item %d", (int) it);
        }
}

/* ---- 2. exec ---- */

static double cata_exec(const char *cid, const char *eid)
{
        Grpc__ExecProcessRequest req = GRPC__EXEC_PROCESS_REQUEST__INIT;
        char *args[] = { (char *) "/bin/true" };
        /* The container's own process with other args: what runc and crun exec do too, and
         * what the shim sends for a `ctr task exec` without a process spec of its own. */
        Grpc__Process proc = *spec_sleep->process;
        uint64_t t0, t1;
        int status;

        proc.args = args;
        proc.n_args = 1;
        req.container_id = (char *) cid;
        req.exec_id = (char *) eid;
        req.process = &proc;
        t0 = now_ns();
        while (!call_racy("ExecProcess", &req.base, cid, IT_CATA)) {
                release_exec(cid, eid);
                t0 = now_ns();
        }
        read_to_eof(cid, eid);
        status = wait_process(cid, eid);
        t1 = now_ns();
        if (status != 0)
                bench_die("cata exec %s/%s: /bin/true exited with %d", cid, eid, status);
        return (double) (t1 - t0) / NSEC_PER_MSEC;
}

static double exec_sample(enum item it, const char *const cids[], const char *tag, unsigned i)
{
        char eid[64];
        uint64_t t0;

        /* cata-ctl's execs get ids of their own: one container serves both rows. */
        snprintf(eid, sizeof(eid), "%s%s%u", it == IT_CTL ? "c" : "", tag, i);
        switch (it) {
        case IT_CATA:
                return cata_exec(cids[RT_CATA], eid);
        case IT_CTL: {
                char *argv[] = { (char *) o.ctl,
                                 (char *) "--addr",
                                 agent_addr,
                                 (char *) "exec",
                                 (char *) cids[RT_CATA],
                                 eid,
                                 (char *) "/bin/true",
                                 NULL };
                return ctl_cmd("exec", argv, cids[RT_CATA], eid);
        }
        case IT_CRUN:
        case IT_RUNC: {
                enum rt_kind k = it == IT_CRUN ? RT_CRUN : RT_RUNC;
                t0 = now_ns();
                rt_exec(&rts[k], cids[k], false);
                return (double) (now_ns() - t0) / NSEC_PER_MSEC;
        }
        case IT_WRAP:
                return wrap_ms();
        default:
                bench_die("bad item %d", (int) it);
        }
}

/* ---- statistics and tables ---- */

/* ref: the median every ratio divides by, 0 when the row gets none (information only). */
static void print_row(const char *label, struct series *s, double ref)
{
        double med;

        if (!s->on) {
                printf("| %s | n/a | n/a | n/a |\n", label);
                return;
        }
        med = bench_median(s->ms, o.iters);
        if (ref > 0)
                printf("| %s | %.2f | %.2f | %.2f |\n", label, med, bench_p90(s->ms, o.iters),
                       med / ref);
        else
                printf("| %s | %.2f | %.2f | – |\n", label, med, bench_p90(s->ms, o.iters));
}

/* Every ratio is a runtime's median over cata-ctl's: both start a CLI process that parses
 * config.json or its arguments and then does the work (cata-ctl through the agent). The
 * in-process client row has no process start and no JSON, so it only informs. */
static void print_latency(const char *title, const char *method, struct series *s,
                          const char *const labels[], const char load[2][64])
{
        double ref = s[IT_CTL].on ? bench_median(s[IT_CTL].ms, o.iters) : 0;

        printf("### %s (%u iterations, interleaved)\n\n", title, o.iters);
        printf("| runtime | median ms | p90 ms | runtime / cata-ctl |\n");
        printf("|---|---:|---:|---:|\n");
        for (int it = IT_CTL; it < IT_WRAP; it++)
                print_row(labels[it], &s[it], ref);
        print_row(labels[IT_CATA], &s[IT_CATA], 0);
        printf("\n");
        bench_print_context(load[0], load[1]);
        if (s[IT_WRAP].on) {
                double wrap = bench_median(s[IT_WRAP].ms, o.iters);
                double crun = bench_median(s[IT_CRUN].ms, o.iters);

                printf("crun ran in a private mount namespace without `%s`: plain crun says "
                       "\"%s\" on this hybrid cgroup host. That wrapper alone (fork, unshare, "
                       "umount, a tmpfs over the directory, exec `/bin/true`) costs a median "
                       "%.2f ms, p90 %.2f ms, included in the crun row. Without it (medians "
                       "subtracted, so only roughly) crun takes %.2f ms: %.2f x cata-ctl.\n\n",
                       UNIFIED, rts[RT_CRUN].why, wrap, bench_p90(s[IT_WRAP].ms, o.iters),
                       crun - wrap, ref > 0 ? (crun - wrap) / ref : 0);
        }
        for (int it = IT_CATA; it <= IT_CTL; it++)
                if (s[it].races)
                        printf("%s: cata-agent answered %u of %u %s calls with \"the process "
                               "exited during setup\" (a race in the agent: its reaper sees "
                               "`/bin/true` exit before the setup handshake ends). Each was "
                               "tried again; the failed attempts are not in the figures.\n\n",
                               it == IT_CATA ? "cata-agent row" : "cata-ctl row", s[it].races,
                               o.iters + WARMUPS + s[it].races, method);
}

static void series_init(struct series *s)
{
        for (int it = 0; it < _IT_MAX; it++)
                s[it].ms = xzalloc(o.iters * sizeof(double));
        s[IT_CATA].on = true;
        /* Each section counts its own races, warm-ups included. */
        memset(races, 0, sizeof(races));
        s[IT_CTL].on = o.ctl != NULL;
        s[IT_CRUN].on = rts[RT_CRUN].bin != NULL;
        s[IT_RUNC].on = rts[RT_RUNC].bin != NULL;
}

/* Every iteration runs each enabled item once; the one that goes first rotates, so that no
 * runtime always pays for a cold cache or profits from a warm one. */
static void interleave(struct series *s, double (*sample)(enum item, const void *, unsigned),
                       const void *arg)
{
        enum item on[_IT_MAX];
        unsigned n = 0;

        for (int it = 0; it < _IT_MAX; it++)
                if (s[it].on)
                        on[n++] = (enum item) it;
        for (unsigned i = 0; i < o.iters; i++)
                for (unsigned j = 0; j < n; j++) {
                        enum item it = on[(i + j) % n];
                        s[it].ms[i] = sample(it, arg, i);
                }
}

static double run_adapter(enum item it, const void *arg, unsigned i)
{
        (void) arg;
        return run_sample(it, "", i);
}

static double exec_adapter(enum item it, const void *arg, unsigned i)
{
        return exec_sample(it, arg, "e", i);
}

/* ---- 3. memory ---- */

static struct bench_mem agent_mem(void)
{
        struct bench_mem m;

        usleep(SETTLE_US);
        (void) bench_proc_mem(agent_pid, &m);
        if (m.rss < 0)
                bench_die("cannot read /proc/%d/status", (int) agent_pid);
        return m;
}

struct scan {
        long procs, rss; /* live processes whose cgroup path names one of the containers */
        long runtime_procs, runtime_rss; /* live ones with runtime_mark in their command line */
};

/* Container processes are found by their cgroup, whatever pid namespace they are in: every
 * container's id contains tag, and every runtime puts the id in the cgroup path. A runtime's
 * own processes are found by runtime_mark (its --root, which no other user of it shares).
 * Zombies do not count: they hold no memory, and PID 1 of this machine reaps crun's exited
 * intermediate process only a while later. */
static struct scan scan_procs(const char *tag, const char *runtime_mark)
{
        /* glibc's opendir() opens with O_CLOEXEC. */
        DIR *d = opendir("/proc");
        struct scan s = { 0 };
        struct dirent *e;

        if (!d)
                bench_die("opendir /proc: %s", strerror(errno));
        while ((e = readdir(d))) {
                _cleanup_free_ char *cg = NULL, *cmdline = NULL;
                struct bench_mem m;
                char path[64];
                uint64_t pid;
                size_t len;

                if (parse_u64(e->d_name, 10, &pid) < 0)
                        continue;
                (void) bench_proc_mem((pid_t) pid, &m);
                if (m.rss < 0)
                        continue; /* a zombie, or gone */
                snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
                if (runtime_mark && read_file(path, 1 << 16, &cmdline, &len) == 0 &&
                    memmem(cmdline, len, runtime_mark, strlen(runtime_mark))) {
                        s.runtime_procs++;
                        s.runtime_rss += m.rss;
                }
                snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
                if (read_file(path, 1 << 16, &cg, NULL) < 0 || !strstr(cg, tag))
                        continue;
                s.procs++;
                s.rss += m.rss;
        }
        (void) closedir(d);
        return s;
}

struct mem_results {
        struct bench_mem fresh, after_latency, full, emptied, full2, emptied2;
        struct scan cata, crun;
        bool crun_on;
};

/* N idle containers through the agent, each with ReadStdout and ReadStderr parked as the
 * shim keeps them, measured, then removed. */
static void cata_idle_round(unsigned round, struct bench_mem *full, struct bench_mem *emptied,
                            struct scan *sc)
{
        char tag[96], id[128];

        snprintf(tag, sizeof(tag), "%s-idle%u-cata-", o.prefix, round);
        for (unsigned i = 0; i < o.idle; i++) {
                snprintf(id, sizeof(id), "%s%u", tag, i);
                track(RT_CATA, id);
                if (!cata_create_start(id, spec_sleep, IT_CATA))
                        bench_die("%s: `sleep 1000` cannot have exited", id);
                (void) send_read("ReadStdout", id, id);
                (void) send_read("ReadStderr", id, id);
        }
        check_serving();
        *full = agent_mem();
        if (sc)
                *sc = scan_procs(tag, NULL);
        for (unsigned i = 0; i < o.idle; i++) {
                snprintf(id, sizeof(id), "%s%u", tag, i);
                cata_remove(id);
                untrack(RT_CATA, id);
        }
        check_serving();
        *emptied = agent_mem();
}

static void crun_idle_round(struct scan *sc)
{
        struct runtime *rt = &rts[RT_CRUN];
        char tag[96], id[128];

        snprintf(tag, sizeof(tag), "%s-idle-crun-", o.prefix);
        for (unsigned i = 0; i < o.idle; i++) {
                snprintf(id, sizeof(id), "%s%u", tag, i);
                rt_run(rt, o.bundle_sleep, id, true, false);
        }
        usleep(SETTLE_US);
        *sc = scan_procs(tag, rt->root);
        for (unsigned i = 0; i < o.idle; i++) {
                snprintf(id, sizeof(id), "%s%u", tag, i);
                rt_delete(rt, id);
        }
}

static void print_memory(const struct mem_results *m, const char load[2][64])
{
        _cleanup_free_ char *full =
                xasprintf("%u idle `sleep 1000` containers, 2 reads parked on each", o.idle);
        _cleanup_free_ char *full2 = xasprintf("%u again: the same, a second time", o.idle);
        const struct {
                const char *label;
                const struct bench_mem *v;
        } rows[] = {
                { "idle: started, one Check answered", &m->fresh },
                { "idle again after sections 1 and 2", &m->after_latency },
                { full, &m->full },
                { "after removing them", &m->emptied },
                { full2, &m->full2 },
                { "after removing those too", &m->emptied2 },
        };

        printf("### cata-agent memory (KiB, from /proc/PID/status)\n\n");
        printf("| cata-agent | VmRSS | RssAnon |\n|---|---:|---:|\n");
        for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
                printf("| %s | %ld | %ld |\n", rows[i].label, rows[i].v->rss, rows[i].v->anon);
        printf("| per container: (%u idle − idle after 1 and 2) / %u | %.1f | %.1f |\n\n", o.idle,
               o.idle, (double) (m->full.rss - m->after_latency.rss) / o.idle,
               (double) (m->full.anon - m->after_latency.anon) / o.idle);
        bench_print_context(load[0], load[1]);

        printf("### What %u idle `sleep 1000` containers leave running on the host\n\n", o.idle);
        printf("| runtime | runtime processes | their VmRSS (KiB) | container processes | "
               "their VmRSS (KiB) |\n|---|---|---:|---:|---:|\n");
        printf("| cata-agent | 1, the agent, for all of them | %ld (%+ld over idle) | %ld | %ld "
               "|\n",
               m->full.rss, m->full.rss - m->after_latency.rss, m->cata.procs, m->cata.rss);
        if (m->crun_on)
                printf("| crun | %ld (crun exits once the container runs) | %ld | %ld | %ld |\n",
                       m->crun.runtime_procs, m->crun.runtime_rss, m->crun.procs, m->crun.rss);
        else
                printf("| crun | n/a | n/a | n/a | n/a |\n");
        printf("\ncrun has no daemon. Under CRI-O or Podman each crun container also gets its "
               "own `conmon` monitor process on the host: that would be crun's per-container "
               "cost there (conmon is not installed here, so it is not measured).\n\n");
}

/* ---- setup ---- */

static Grpc__Spec *load_spec(const char *bundle)
{
        _cleanup_error_ struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;

        /* The agent has no bundle directory: the root must be absolute, as cata-ctl makes it. */
        if (spec_from_bundle(bundle, &spec, NULL, &err) < 0)
                bench_die("%s", err->msg);
        if (!spec->process)
                bench_die("%s/config.json: no process", bundle);
        return spec;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: bench-containers --agent PATH --work DIR --bundle-true DIR "
                   "--bundle-sleep DIR [OPTIONS]\n"
                   "Run through bench/run-containers.sh; see docs/benchmarks.md.\n\n"
                   "  --ctl PATH        cata-ctl, for the rows that run it as a CLI\n"
                   "  --crun PATH       crun (leave out: n/a)\n"
                   "  --runc PATH       runc (leave out: n/a)\n"
                   "  --prefix STR      container id prefix (default cb<pid>)\n"
                   "  --iters N         iterations of sections 1 and 2 (default 30)\n"
                   "  --idle N          idle containers in section 3 (default 100)\n");
}

static unsigned parse_count(const char *s, unsigned max, const char *name)
{
        uint64_t n;

        if (bench_parse_range(s, 1, max, &n) < 0)
                bench_die("%s: expected 1 to %u, got `%s`", name, max, s);
        return (unsigned) n;
}

static void parse_opts(int argc, char **argv)
{
        enum {
                O_AGENT = 256,
                O_CTL,
                O_CRUN,
                O_RUNC,
                O_BTRUE,
                O_BSLEEP,
                O_WORK,
                O_PREFIX,
                O_ITERS,
                O_IDLE,
                O_HELP
        };
        static const struct option longopts[] = {
                { "agent", required_argument, NULL, O_AGENT },
                { "ctl", required_argument, NULL, O_CTL },
                { "crun", required_argument, NULL, O_CRUN },
                { "runc", required_argument, NULL, O_RUNC },
                { "bundle-true", required_argument, NULL, O_BTRUE },
                { "bundle-sleep", required_argument, NULL, O_BSLEEP },
                { "work", required_argument, NULL, O_WORK },
                { "prefix", required_argument, NULL, O_PREFIX },
                { "iters", required_argument, NULL, O_ITERS },
                { "idle", required_argument, NULL, O_IDLE },
                { "help", no_argument, NULL, O_HELP },
                { NULL, 0, NULL, 0 },
        };
        int c;

        o.iters = 30;
        o.idle = 100;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case O_AGENT:
                        o.agent = optarg;
                        break;
                case O_CTL:
                        o.ctl = optarg;
                        break;
                case O_CRUN:
                        o.crun = optarg;
                        break;
                case O_RUNC:
                        o.runc = optarg;
                        break;
                case O_BTRUE:
                        o.bundle_true = optarg;
                        break;
                case O_BSLEEP:
                        o.bundle_sleep = optarg;
                        break;
                case O_WORK:
                        o.work = optarg;
                        break;
                case O_PREFIX:
                        o.prefix = optarg;
                        break;
                case O_ITERS:
                        o.iters = parse_count(optarg, MAX_ITERS, "--iters");
                        break;
                case O_IDLE:
                        o.idle = parse_count(optarg, MAX_IDLE, "--idle");
                        break;
                case O_HELP:
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        exit(2);
                }
        }
        if (optind != argc || !o.agent || !o.work || !o.bundle_true || !o.bundle_sleep) {
                usage(stderr);
                exit(2);
        }
        if (!o.prefix)
                o.prefix = xasprintf("cb%d", (int) getpid());
}

int main(int argc, char **argv)
{
        static const char *const run_labels[_IT_MAX] = {
                [IT_CATA] = ("information only: the same RPCs from this process on one open "
                             "connection (no process start, no JSON)"),
                [IT_CTL] = ("`cata-ctl run`: a new client process, config.json, Create, Start, "
                            "reads to EOF, Wait, Remove"),
                [IT_CRUN] = "`crun run`",
                [IT_RUNC] = "`runc run`",
        };
        static const char *const exec_labels[_IT_MAX] = {
                [IT_CATA] = ("information only: the same RPCs from this process on one open "
                             "connection (no process start)"),
                [IT_CTL] = ("`cata-ctl exec`: a new client process, ExecProcess, reads to EOF, "
                            "WaitProcess"),
                [IT_CRUN] = "`crun exec`",
                [IT_RUNC] = "`runc exec`",
        };
        struct series run[_IT_MAX] = { 0 }, exec[_IT_MAX] = { 0 };
        struct mem_results mem = { 0 };
        char load_run[2][64], load_exec[2][64], load_mem[2][64];
        const char *cids[_RT_MAX];
        char id[3][128];

        bench_set_name("bench-containers");
        bench_set_cleanup(cleanup_all);
        parse_opts(argc, argv);
        rts[RT_CRUN].bin = o.crun;
        rts[RT_RUNC].bin = o.runc;
        rts[RT_CRUN].root = xasprintf("%s/crun-root", o.work);
        rts[RT_RUNC].root = xasprintf("%s/runc-root", o.work);
        snprintf(agent_addr, sizeof(agent_addr), "unix://%s/agent.sock", o.work);
        snprintf(agent_log, sizeof(agent_log), "%s/agent.log", o.work);
        snprintf(detach_log, sizeof(detach_log), "%s/detached.log", o.work);
        (void) signal(SIGALRM, on_alarm);
        /* A dying shell pipe must not kill us half way through the cleanup. */
        (void) signal(SIGPIPE, SIG_IGN);
        spec_true = load_spec(o.bundle_true);
        spec_sleep = load_spec(o.bundle_sleep);

        bench_phase("starting cata-agent", WATCHDOG_S);
        agent_start();
        check_serving();
        mem.fresh = agent_mem();

        /* 1. Warm-ups (not counted) also find out whether crun needs the wrapper. */
        bench_phase("section 1: create + start + wait + remove of /bin/true", WATCHDOG_S);
        bench_loadavg(load_run[0]);
        series_init(run);
        for (unsigned w = 0; w < WARMUPS; w++) {
                (void) run_sample(IT_CATA, "w", w);
                if (run[IT_CTL].on)
                        (void) run_sample(IT_CTL, "w", w);
                for (int k = RT_CRUN; k <= RT_RUNC; k++)
                        if (rts[k].bin) {
                                snprintf(id[0], sizeof(id[0]), "%s-run-%s-w%u", o.prefix,
                                         rts[k].name, w);
                                rt_run(&rts[k], o.bundle_true, id[0], false, true);
                        }
        }
        run[IT_WRAP].on = rts[RT_CRUN].wrap_run;
        interleave(run, run_adapter, NULL);
        bench_loadavg(load_run[1]);
        for (int it = 0; it < _IT_MAX; it++)
                run[it].races = races[it];

        /* 2. One sleeping container per runtime, then execs into each. */
        bench_phase("section 2: exec of /bin/true in a running container", WATCHDOG_S);
        bench_loadavg(load_exec[0]);
        series_init(exec);
        for (int k = 0; k < _RT_MAX; k++) {
                snprintf(id[k], sizeof(id[k]), "%s-exec-%s", o.prefix,
                         k == RT_CATA ? "cata" : rts[k].name);
                cids[k] = id[k];
        }
        track(RT_CATA, cids[RT_CATA]);
        if (!cata_create_start(cids[RT_CATA], spec_sleep, IT_CATA))
                bench_die("%s: `sleep 1000` cannot have exited", cids[RT_CATA]);
        (void) send_read("ReadStdout", cids[RT_CATA], cids[RT_CATA]);
        (void) send_read("ReadStderr", cids[RT_CATA], cids[RT_CATA]);
        for (int k = RT_CRUN; k <= RT_RUNC; k++)
                if (rts[k].bin)
                        rt_run(&rts[k], o.bundle_sleep, cids[k], true, true);
        for (unsigned w = 0; w < WARMUPS; w++) {
                (void) exec_sample(IT_CATA, cids, "w", w);
                if (exec[IT_CTL].on)
                        (void) exec_sample(IT_CTL, cids, "w", w);
                for (int k = RT_CRUN; k <= RT_RUNC; k++)
                        if (rts[k].bin)
                                rt_exec(&rts[k], cids[k], true);
        }
        exec[IT_WRAP].on = rts[RT_CRUN].wrap_exec;
        interleave(exec, exec_adapter, cids);
        bench_loadavg(load_exec[1]);
        for (int it = 0; it < _IT_MAX; it++)
                exec[it].races = races[it];
        cata_remove(cids[RT_CATA]);
        untrack(RT_CATA, cids[RT_CATA]);
        for (int k = RT_CRUN; k <= RT_RUNC; k++)
                if (rts[k].bin)
                        rt_delete(&rts[k], cids[k]);
        check_serving();
        mem.after_latency = agent_mem();

        /* 3. Memory: two rounds through the agent, crun's between them. */
        bench_phase("section 3: idle containers", WATCHDOG_S);
        bench_loadavg(load_mem[0]);
        cata_idle_round(1, &mem.full, &mem.emptied, &mem.cata);
        if (rts[RT_CRUN].bin) {
                crun_idle_round(&mem.crun);
                mem.crun_on = true;
        }
        cata_idle_round(2, &mem.full2, &mem.emptied2, NULL);
        bench_loadavg(load_mem[1]);
        alarm(0);
        agent_stop();
        bench_progress(
                "done; %u replies to parked reads arrived during other calls and were dropped",
                strays);

        print_latency("create + start + wait + remove of `/bin/true`", "StartContainer", run,
                      run_labels, load_run);
        print_latency("exec of `/bin/true` in a running `sleep 1000` container", "ExecProcess",
                      exec, exec_labels, load_exec);
        print_memory(&mem, load_mem);
        spec_free(spec_true);
        spec_free(spec_sleep);
        return 0;
}
