/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cata-runtime through its command line ($CATA_RUNTIME_BIN), as a container manager drives it:
 * the create/start/kill/delete lifecycle with `state` at each step, `run` exit codes, `exec`,
 * the OCI state JSON, hooks (state on stdin, order, failures), --console-socket, pause/resume,
 * update, ps, list, spec, and errors for bad bundles. Bundles point at the suite's busybox
 * rootfs. The test is a child subreaper, so container inits orphaned by `create` come back to it.
 */
#include "containers.h"
#include "runtime-cli.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "oci/spec-json.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- lifecycle ---- */

static void test_lifecycle(void **state)
{
        _cleanup_free_ char *dir = sh_bundle(
                "rt-life", "trap 'exit 42' TERM; echo started; while true; do sleep 0.05; done",
                NULL);
        _cleanup_free_ char *pidfile = xasprintf("%s/rt-life.pid", tmp);
        _cleanup_free_ char *s = NULL;
        int create_cmd, pid;
        json_t *o;

        (void) state;
        rt_ok("create --bundle %s --pid-file %s rt-life", dir, pidfile);
        create_cmd = rtc_last();
        pid = read_pid_file(pidfile);
        assert_true(pid > 0);
        o = state_of("rt-life");
        assert_string_equal(jstr(o, "status"), "created");
        assert_int_equal(json_integer_value(json_object_get(o, "pid")), pid);
        json_decref(o);
        /* Stopped before execve: nothing printed yet. */
        usleep(200000);
        assert_false(wait_for_text(create_cmd, "started", 0));

        rt_ok("start rt-life");
        assert_true(wait_for_text(create_cmd, "started", 3000));
        s = status_of("rt-life");
        assert_string_equal(s, "running");
        {
                /* A second start is refused. */
                struct result r = rt("start rt-life");
                assert_int_equal(r.code, 1);
                assert_non_null(strstr(r.err, "not created"));
                result_done(&r);
        }
        {
                /* delete refuses a running container without --force. */
                struct result r = rt("delete rt-life");
                assert_int_equal(r.code, 1);
                assert_non_null(strstr(r.err, "running"));
                result_done(&r);
        }
        rt_ok("kill rt-life"); /* TERM by default: the trap exits */
        assert_true(wait_status("rt-life", "stopped", 3000));
        o = state_of("rt-life");
        assert_int_equal(json_integer_value(json_object_get(o, "pid")), 0);
        json_decref(o);
        {
                struct result r = rt("kill rt-life KILL");
                assert_int_equal(r.code, 1);
                assert_non_null(strstr(r.err, "not running"));
                result_done(&r);
        }
        rt_ok("delete rt-life");
        assert_gone("rt-life");
        reap();
}

static void test_run_exit_code(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-run", "echo out; echo err >&2; exit 7", NULL);
        struct result r;

        (void) state;
        r = rt("run --bundle %s rt-run", dir);
        assert_int_equal(r.code, 7);
        assert_string_equal(r.out, "out\n");
        assert_non_null(strstr(r.err, "err\n"));
        result_done(&r);
        assert_gone("rt-run");
}

/* `run` in the background, killed with `kill ID KILL`: 128 + 9, and run deletes it. */
static void test_run_killed(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-runk", "sleep 1000", NULL);
        _cleanup_free_ char *out = xasprintf("%s/rt-runk.out", tmp);
        int status = 0;
        pid_t child;

        (void) state;
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                dup2(fd, 1);
                dup2(fd, 2);
                execl(bin, bin, "--root", root, "run", "--bundle", dir, "rt-runk", (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 300 && !path_exists("%s/rt-runk/state.json", root); i++)
                usleep(10000);
        assert_true(wait_status("rt-runk", "running", 3000));
        rt_ok("kill rt-runk KILL");
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 128 + SIGKILL);
        assert_gone("rt-runk");
}

static void test_exec(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-exec", "sleep 1000", NULL);
        _cleanup_free_ char *proc = xasprintf("%s/rt-exec-process.json", tmp);
        _cleanup_free_ char *pidfile = xasprintf("%s/rt-exec.pid", tmp);
        struct result r;
        FILE *f;

        (void) state;
        rt_ok("run --detach --bundle %s rt-exec", dir);
        r = rt("exec rt-exec sh -c 'echo exec-out; hostname; echo $$; exit 5'");
        assert_int_equal(r.code, 5);
        /* The container's uts and pid namespaces: its hostname, not pid 1. */
        assert_non_null(strstr(r.out, "exec-out\ncata-test\n"));
        assert_null(strstr(r.out, "\n1\n"));
        result_done(&r);

        r = rt("exec --env FOO=bar --env HOME=/x --cwd /tmp rt-exec sh -c 'echo $FOO $HOME "
               "$(pwd)'");
        assert_int_equal(r.code, 0);
        assert_string_equal(r.out, "bar /x /tmp\n");
        result_done(&r);

        f = fopen(proc, "w");
        assert_non_null(f);
        fputs("{\"args\":[\"sh\",\"-c\",\"echo from-file $A; exit 3\"],\"cwd\":\"/\","
              "\"env\":[\"A=b\",\"PATH=/bin\"],\"user\":{\"uid\":0,\"gid\":0}}",
              f);
        fclose(f);
        r = rt("exec --process %s rt-exec", proc);
        assert_int_equal(r.code, 3);
        assert_string_equal(r.out, "from-file b\n");
        result_done(&r);

        /* --detach with --pid-file: the process runs on, in the container's cgroup. */
        rt_ok("exec --detach --pid-file %s rt-exec sleep 1000", pidfile);
        r = rt("ps --format json rt-exec");
        assert_int_equal(r.code, 0);
        {
                _cleanup_free_ char *needle = xasprintf("%d", read_pid_file(pidfile));
                assert_non_null(strstr(r.out, needle));
        }
        result_done(&r);

        /* The runtime's own failures are 255 (as runc), apart from any code of the process. */
        r = rt("exec rt-exec /no/such/binary");
        assert_int_equal(r.code, 255);
        assert_non_null(strstr(r.err, "/no/such/binary"));
        result_done(&r);

        rt_ok("delete --force rt-exec");
        assert_gone("rt-exec");
        r = rt("exec rt-exec true");
        assert_int_equal(r.code, 255);
        result_done(&r);
        reap();
}

static void test_state_json(void **state)
{
        _cleanup_free_ char *dir =
                sh_bundle("rt-state", "sleep 1000",
                          ",\"annotations\":{\"org.example.key\":\"value\",\"other\":\"x\"}");
        _cleanup_free_ char *pidfile = xasprintf("%s/rt-state.pid", tmp);
        char real[PATH_MAX];
        json_t *o, *ann;

        (void) state;
        rt_ok("create --bundle %s --pid-file %s rt-state", dir, pidfile);
        o = state_of("rt-state");
        assert_non_null(realpath(dir, real));
        assert_string_equal(jstr(o, "ociVersion"), "1.0.2");
        assert_string_equal(jstr(o, "id"), "rt-state");
        assert_string_equal(jstr(o, "status"), "created");
        assert_string_equal(jstr(o, "bundle"), real);
        assert_int_equal(json_integer_value(json_object_get(o, "pid")), read_pid_file(pidfile));
        ann = json_object_get(o, "annotations");
        assert_string_equal(jstr(ann, "org.example.key"), "value");
        assert_string_equal(jstr(ann, "other"), "x");
        json_decref(o);
        /* A created container can be deleted without --force. */
        rt_ok("delete rt-state");
        assert_gone("rt-state");
        reap();
}

/* ---- namespaces ---- */

static char *ns_bundle(const char *id, const char *args_json, const char *linux_extra,
                       const char *top_extra)
{
        _cleanup_free_ char *config = ct_spec(id, args_json, NULL, linux_extra, top_extra);
        return bundle(id, config);
}

/* Exactly the spec's namespaces: joined by path, and a new user namespace with its maps. */
static void test_namespaces(void **state)
{
        _cleanup_free_ char *a = ns_bundle(
                "rt-ns-a", "[\"sleep\",\"1000\"]",
                ",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\"}]",
                NULL);
        _cleanup_free_ char *b = NULL, *b_linux = NULL, *ns_path = NULL;
        _cleanup_free_ char *c = ns_bundle(
                "rt-ns-user", "[\"cat\",\"/proc/self/uid_map\",\"/proc/self/gid_map\"]",
                ",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"user\"}],"
                "\"uidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":65536}],"
                "\"gidMappings\":[{\"containerID\":0,\"hostID\":300000,\"size\":65536}]",
                ",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}]");
        char link[128] = "";
        struct result r;
        json_t *o;

        (void) state;
        rt_ok("run --detach --bundle %s rt-ns-a", a);
        o = state_of("rt-ns-a");
        ns_path = xasprintf("/proc/%d/ns/net", (int) json_integer_value(json_object_get(o, "pid")));
        json_decref(o);
        assert_true(readlink(ns_path, link, sizeof(link) - 1) > 0);
        b_linux = xasprintf(",\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
                            "{\"type\":\"network\",\"path\":\"%s\"}]",
                            ns_path);
        b = ns_bundle("rt-ns-b", "[\"readlink\",\"/proc/self/ns/net\"]", b_linux, NULL);
        r = rt("run --bundle %s rt-ns-b", b);
        assert_int_equal(r.code, 0);
        assert_true(startswith(r.out, link));
        result_done(&r);
        rt_ok("delete --force rt-ns-a");
        assert_gone("rt-ns-a");
        assert_gone("rt-ns-b");

        r = rt("run --bundle %s rt-ns-user", c);
        if (r.code != 0)
                fail_msg("run with a user namespace: %s", r.err);
        assert_non_null(strstr(r.out, "200000"));
        assert_non_null(strstr(r.out, "300000"));
        result_done(&r);
        assert_gone("rt-ns-user");
        reap();
}

/* ---- hooks ---- */

static const char *const hook_kinds[] = { "prestart",       "createRuntime", "createContainer",
                                          "startContainer", "poststart",     "poststop" };

/* Each hook saves its stdin to <dir>/hook-<kind> and appends its kind to <dir>/order. The
 * directory is bound into the container at the same path, for startContainer. */
static char *hooks_extra(const char *hdir)
{
        char *hooks = xstrdup("");

        for (size_t i = 0; i < ARRAY_SIZE(hook_kinds); i++) {
                char *next = xasprintf("%s%s\"%s\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
                                       "\"cat > %s/hook-%s; echo %s >> %s/order\"]}]",
                                       hooks, i ? "," : "", hook_kinds[i], hdir, hook_kinds[i],
                                       hook_kinds[i], hdir);
                free(hooks);
                hooks = next;
        }
        {
                char *extra = xasprintf(
                        ",\"hooks\":{%s},\"mounts\":["
                        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
                        "{\"destination\":\"%s\",\"type\":\"bind\",\"source\":\"%s\","
                        "\"options\":[\"rbind\",\"rw\"]}]",
                        hooks, hdir, hdir);
                free(hooks);
                return extra;
        }
}

static json_t *hook_state(const char *hdir, const char *kind)
{
        _cleanup_free_ char *path = xasprintf("%s/hook-%s", hdir, kind);
        _cleanup_free_ char *text = slurp(path);
        json_t *o = json_loads(text, 0, NULL);

        if (!o)
                fail_msg("hook %s: no state on stdin (got `%s`)", kind, text);
        return o;
}

static void test_hooks(void **state)
{
        _cleanup_free_ char *hdir = xasprintf("%s/hooks", tmp);
        _cleanup_free_ char *extra = (mkdir(hdir, 0777), hooks_extra(hdir));
        _cleanup_free_ char *dir = sh_bundle("rt-hooks", "sleep 1000", extra);
        _cleanup_free_ char *pidfile = xasprintf("%s/rt-hooks.pid", tmp);
        _cleanup_free_ char *order_path = xasprintf("%s/order", hdir);
        _cleanup_free_ char *order = NULL;
        /* The process exists and waits when the creation hooks run: "created" (what the
         * conformance suite checks for prestart). */
        static const char *const status[] = { "created", "created", "created",
                                              "created", "running", "stopped" };
        int pid;

        (void) state;
        rt_ok("create --bundle %s --pid-file %s rt-hooks", dir, pidfile);
        pid = read_pid_file(pidfile);
        order = slurp(order_path);
        assert_string_equal(order, "prestart\ncreateRuntime\ncreateContainer\n");
        free(order);
        rt_ok("start rt-hooks");
        order = slurp(order_path);
        assert_string_equal(order, "prestart\ncreateRuntime\ncreateContainer\nstartContainer\n"
                                   "poststart\n");
        free(order);
        rt_ok("delete --force rt-hooks");
        order = slurp(order_path);
        assert_string_equal(order, "prestart\ncreateRuntime\ncreateContainer\nstartContainer\n"
                                   "poststart\npoststop\n");
        for (size_t i = 0; i < ARRAY_SIZE(hook_kinds); i++) {
                json_t *o = hook_state(hdir, hook_kinds[i]);
                assert_string_equal(jstr(o, "id"), "rt-hooks");
                assert_string_equal(jstr(o, "status"), status[i]);
                assert_non_null(strstr(jstr(o, "bundle"), "/rt-hooks"));
                /* The runtime-namespace hooks see the init's pid (startContainer runs before
                 * it is known; poststop after it is gone). */
                if (i != 3 && i != 5)
                        assert_int_equal(json_integer_value(json_object_get(o, "pid")), pid);
                json_decref(o);
        }
        assert_gone("rt-hooks");
        reap();
}

/* A failing createRuntime hook fails create, and nothing is left; a failing poststop hook only
 * warns. */
static void test_hook_failures(void **state)
{
        _cleanup_free_ char *dir = sh_bundle(
                "rt-hookfail", "true",
                ",\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\","
                "\"echo hook-said-no >&2; exit 3\"]}]}");
        _cleanup_free_ char *dir2 =
                sh_bundle("rt-hookwarn", "true",
                          ",\"hooks\":{\"poststop\":[{\"path\":\"/bin/false\"}],"
                          "\"prestart\":[{\"path\":\"/bin/"
                          "sleep\",\"args\":[\"sleep\",\"0\"],\"timeout\":5}]}");
        _cleanup_free_ char *dir3 = sh_bundle(
                "rt-hookslow", "true",
                ",\"hooks\":{\"prestart\":[{\"path\":\"/bin/sleep\",\"args\":[\"sleep\",\"10\"],"
                "\"timeout\":1}]}");
        struct result r;

        (void) state;
        r = rt("create --bundle %s rt-hookfail", dir);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "createRuntime hook `/bin/sh`: exit status 3: hook-said-no"));
        result_done(&r);
        assert_gone("rt-hookfail");

        r = rt("run --bundle %s rt-hookwarn", dir2);
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.err, "poststop hook `/bin/false`"));
        result_done(&r);
        assert_gone("rt-hookwarn");

        r = rt("run --bundle %s rt-hookslow", dir3);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "timed out"));
        result_done(&r);
        assert_gone("rt-hookslow");
        reap();
}

/* ---- console ---- */

static int listen_unix(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 4), 0);
        return fd;
}

static int recv_fd(int sock)
{
        char data[128];
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = u.buf,
                              .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *cm;
        int fd = -1;

        assert_true(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) > 0);
        cm = CMSG_FIRSTHDR(&msg);
        if (!cm || cm->cmsg_type != SCM_RIGHTS)
                fail_msg("no fd in the console message");
        else
                memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        return fd;
}

/* Reads the pty master until the container side is gone (EIO) or 5 s pass. */
static char *read_tty(int master)
{
        size_t n = 0;
        char *buf = xzalloc(8192);

        (void) fd_nonblock(master, true);
        for (int waited = 0; waited < 5000 && n < 8191;) {
                ssize_t r = read(master, buf + n, 8191 - n);
                if (r > 0) {
                        n += (size_t) r;
                        continue;
                }
                if (r == 0 || errno != EAGAIN)
                        break;
                usleep(10000);
                waited += 10;
        }
        buf[n] = '\0';
        return buf;
}

static void test_console_socket(void **state)
{
        _cleanup_free_ char *args =
                xstrdup("[\"sh\",\"-c\",\"test -t 0 && test -t 1 && echo on-a-tty; stty size\"]");
        _cleanup_free_ char *config = ct_spec("rt-tty", args,
                                              ",\"terminal\":true,\"consoleSize\":{\"height\":33,"
                                              "\"width\":101}",
                                              NULL, NULL);
        _cleanup_free_ char *dir = bundle("rt-tty", config);
        _cleanup_free_ char *sock_path = xasprintf("%s/console.sock", tmp);
        _cleanup_free_ char *text = NULL;
        int lfd = listen_unix(sock_path), conn, master;
        struct result r;

        (void) state;
        /* A terminal needs a console socket. */
        r = rt("create --bundle %s rt-tty", dir);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "--console-socket"));
        result_done(&r);
        assert_gone("rt-tty");

        /* The connection waits in the backlog until we accept it. */
        rt_ok("create --bundle %s --console-socket %s rt-tty", dir, sock_path);
        conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        assert_true(conn >= 0);
        master = recv_fd(conn);
        assert_true(master >= 0);
        assert_true(isatty(master));
        rt_ok("start rt-tty");
        text = read_tty(master);
        assert_non_null(strstr(text, "on-a-tty"));
        assert_non_null(strstr(text, "33 101"));
        close(master);
        close(conn);
        close(lfd);
        assert_true(wait_status("rt-tty", "stopped", 3000));
        rt_ok("delete rt-tty");
        assert_gone("rt-tty");
        reap();
}

/* ---- pause, resume, update, list, spec ---- */

static void test_pause_update_list(void **state)
{
        _cleanup_free_ char *dir = sh_bundle("rt-pause", "sleep 1000", NULL);
        _cleanup_free_ char *res = xasprintf("%s/resources.json", tmp);
        _cleanup_free_ char *limit = NULL;
        _cleanup_free_ char *pids_max =
                xasprintf("/sys/fs/cgroup/pids/%s/rt-pause/pids.max", ct_cgroup_parent());
        struct result r;
        FILE *f;

        (void) state;
        rt_ok("run -d --bundle %s rt-pause", dir);
        rt_ok("pause rt-pause");
        assert_true(wait_status("rt-pause", "paused", 0));
        r = rt("pause rt-pause");
        assert_int_equal(r.code, 1);
        result_done(&r);
        rt_ok("resume rt-pause");
        assert_true(wait_status("rt-pause", "running", 0));

        f = fopen(res, "w");
        assert_non_null(f);
        fputs("{\"pids\":{\"limit\":77}}", f);
        fclose(f);
        rt_ok("update --resources %s rt-pause", res);
        assert_int_equal(read_file(pids_max, 64, &limit, NULL), 0);
        assert_string_equal(limit, "77\n");
        f = fopen(res, "w");
        fputs("{\"pids\":{\"limit\":\"many\"}}", f);
        fclose(f);
        r = rt("update --resources %s rt-pause", res);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "linux.resources.pids.limit"));
        result_done(&r);

        r = rt("list --quiet");
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.out, "rt-pause\n"));
        result_done(&r);
        r = rt("list --format json");
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.out, "\"id\":\"rt-pause\""));
        result_done(&r);

        rt_ok("kill --all rt-pause KILL");
        assert_true(wait_status("rt-pause", "stopped", 3000));
        rt_ok("delete rt-pause");
        assert_gone("rt-pause");
        reap();
}

static void test_spec(void **state)
{
        _cleanup_free_ char *dir = bundle("rt-spec", NULL);
        _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
        _cleanup_free_ char *text = NULL;
        struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;
        size_t len;
        struct result r;

        (void) state;
        rt_ok("spec --bundle %s", dir);
        assert_int_equal(read_file(path, 1 << 20, &text, &len), 0);
        assert_int_equal(spec_from_json(text, len, &spec, &err), 0);
        assert_string_equal(spec->root->path, "rootfs");
        assert_true(spec->process->terminal);
        assert_string_equal(spec->process->args[0], "sh");
        spec_free(spec);
        r = rt("spec --bundle %s", dir);
        assert_int_equal(r.code, 1);
        assert_non_null(strstr(r.err, "exists"));
        result_done(&r);
}

/* ---- errors ---- */

static void test_bad_bundles(void **state)
{
        _cleanup_free_ char *empty = bundle("rt-bad-empty", NULL);
        _cleanup_free_ char *wrong_config = ct_spec(
                "rt-bad-type", "[\"true\"]", ",\"user\":{\"uid\":\"zero\",\"gid\":0}", NULL, NULL);
        _cleanup_free_ char *wrong = bundle("rt-bad-type", wrong_config);
        _cleanup_free_ char *noroot =
                bundle("rt-bad-root", "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],"
                                      "\"cwd\":\"/\"},\"root\":{\"readonly\":true}}");
        _cleanup_free_ char *nosuch =
                bundle("rt-bad-path", "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],"
                                      "\"cwd\":\"/\"},\"root\":{\"path\":\"nope\"},\"linux\":{"
                                      "\"namespaces\":[{\"type\":\"mount\"}]}}");
        _cleanup_free_ char *badcwd_config =
                ct_spec("rt-bad-cwd", "[\"true\"]", ",\"cwd\":\"/etc/passwd\"", NULL, NULL);
        _cleanup_free_ char *badcwd = bundle("rt-bad-cwd", badcwd_config);
        _cleanup_free_ char *good = sh_bundle("rt-dup", "sleep 1000", NULL);
        _cleanup_free_ char *uid_config = ct_spec(
                "rt-bad-uid", "[\"id\"]", ",\"user\":{\"uid\":4294967295,\"gid\":0}", NULL, NULL);
        _cleanup_free_ char *baduid = bundle("rt-bad-uid", uid_config);

        (void) state;
        /* (uid_t) -1 would leave the process root: refused, never run. */
        expect_create_error(baduid, "rt-bad-uid",
                            "process.user.uid: 4294967295 is not a valid uid");
        expect_create_error(empty, "rt-bad-empty", "config.json`: No such file or directory");
        expect_create_error(wrong, "rt-bad-type", "process.user.uid: expected an unsigned integer");
        expect_create_error(noroot, "rt-bad-root", "root.path");
        expect_create_error(nosuch, "rt-bad-path", "nope");
        /* Failing inside the child: the child's message, and nothing left. */
        expect_create_error(badcwd, "rt-bad-cwd", "chdir to cwd `/etc/passwd`: Not a directory");
        {
                struct result r = rt("create --bundle %s bad/id", good);
                assert_int_equal(r.code, 1);
                assert_non_null(strstr(r.err, "invalid container id `bad/id`"));
                result_done(&r);
        }
        rt_ok("create --bundle %s rt-dup", good);
        {
                struct result r = rt("create --bundle %s rt-dup", good);
                assert_int_equal(r.code, 1);
                assert_non_null(strstr(r.err, "already exists"));
                result_done(&r);
        }
        rt_ok("delete rt-dup");
        assert_gone("rt-dup");
        reap();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lifecycle),      cmocka_unit_test(test_run_exit_code),
                cmocka_unit_test(test_run_killed),     cmocka_unit_test(test_exec),
                cmocka_unit_test(test_state_json),     cmocka_unit_test(test_namespaces),
                cmocka_unit_test(test_hooks),          cmocka_unit_test(test_hook_failures),
                cmocka_unit_test(test_console_socket), cmocka_unit_test(test_pause_update_list),
                cmocka_unit_test(test_spec),           cmocka_unit_test(test_bad_bundles),
        };
        return cmocka_run_group_tests(tests, rtc_setup, rtc_teardown);
}
