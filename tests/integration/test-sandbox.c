/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pod through the real agent: CreateSandbox (hostname, DNS, guest hooks, kernel modules, bad
 * input), GetOOMEvent from a real OOM kill, and DestroySandbox (everything gone, the agent stops
 * serving).
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int create_sandbox(struct ttrpc_client *c, const Grpc__CreateSandboxRequest *req,
                          struct ttrpc_status *st)
{
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "CreateSandbox", &req->base,
                                           NULL, 30000000000LL, NULL, st),
                         0);
        return st->code;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        assert_int_equal(chmod(path, mode), 0);
}

static char *slurp(const char *path)
{
        char *text = NULL;

        if (read_file(path, 1 << 20, &text, NULL) < 0)
                return NULL;
        return text;
}

/* A spec without a hostname of its own, so the sandbox's shows through. */
static char *spec_no_hostname(const char *id, const char *args, const char *linux_extra)
{
        char *spec = ct_spec(id, args, NULL, linux_extra, NULL);
        char *h = strstr(spec, "\"hostname\":\"cata-test\",");

        assert_non_null(h);
        memmove(h, h + strlen("\"hostname\":\"cata-test\","),
                strlen(h + strlen("\"hostname\":\"cata-test\",")) + 1);
        return spec;
}

/* Each bad field is refused with INVALID_ARGUMENT naming it, nothing is set up, and the agent
 * keeps serving (a good CreateSandbox later still works). */
static void test_bad_requests(void **state)
{
        static const char *const bad_params[] = { "-v", "a b", "x;rm", NULL };
        Grpc__KernelModule mod = GRPC__KERNEL_MODULE__INIT;
        Grpc__KernelModule *mods[] = { &mod };
        char *dns_bad[] = { (char *) "nameserver 1.1.1.1\nnameserver 2.2.2.2" };
        char *params[1];
        struct ttrpc_status st = { 0 };

        (void) state;
        {
                Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
                req.hostname = (char *) "bad/host";
                assert_int_equal(create_sandbox(cl, &req, &st), RPC_INVALID_ARGUMENT);
                assert_non_null(strstr(st.message, "hostname"));
                ttrpc_status_done(&st);
        }
        {
                Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
                req.sandbox_id = (char *) "x/../../etc";
                assert_int_equal(create_sandbox(cl, &req, &st), RPC_INVALID_ARGUMENT);
                ttrpc_status_done(&st);
        }
        {
                Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
                req.dns = dns_bad;
                req.n_dns = 1;
                assert_int_equal(create_sandbox(cl, &req, &st), RPC_INVALID_ARGUMENT);
                assert_non_null(strstr(st.message, "DNS"));
                ttrpc_status_done(&st);
        }
        for (const char *const *p = (const char *const[]){ "hooks", "/a/../b", "/a/..", NULL }; *p;
             p++) {
                Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
                req.guest_hook_path = (char *) *p;
                assert_int_equal(create_sandbox(cl, &req, &st), RPC_INVALID_ARGUMENT);
                assert_non_null(strstr(st.message, "guest hook path"));
                ttrpc_status_done(&st);
        }
        for (const char *const *p = (const char *const[]){ "-v", "a;b", "$(id)", "", NULL }; *p;
             p++) {
                Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
                mod.name = (char *) *p;
                req.kernel_modules = mods;
                req.n_kernel_modules = 1;
                assert_int_equal(create_sandbox(cl, &req, &st), RPC_INVALID_ARGUMENT);
                assert_non_null(strstr(st.message, "kernel module name"));
                ttrpc_status_done(&st);
        }
        for (const char *const *p = bad_params; *p; p++) {
                Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
                mod.name = (char *) "loop";
                params[0] = (char *) *p;
                mod.parameters = params;
                mod.n_parameters = 1;
                req.kernel_modules = mods;
                req.n_kernel_modules = 1;
                assert_int_equal(create_sandbox(cl, &req, &st), RPC_INVALID_ARGUMENT);
                assert_non_null(strstr(st.message, "invalid parameter"));
                ttrpc_status_done(&st);
        }
        mod.parameters = NULL;
        mod.n_parameters = 0;
        {
                /* A module that does not exist: modprobe (in a child) says so, and its words
                 * reach the host. */
                Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
                mod.name = (char *) "cata_no_such_module";
                req.kernel_modules = mods;
                req.n_kernel_modules = 1;
                assert_int_not_equal(create_sandbox(cl, &req, &st), RPC_OK);
                assert_non_null(strstr(st.message, "load kernel module `cata_no_such_module`"));
                ttrpc_status_done(&st);
        }
        agent_proc_assert_alive(&agent);
}

/* The name of a module the kernel has loaded already (modprobe then has nothing to do), or NULL
 * on a kernel without modules. */
static char *loaded_module(void)
{
        _cleanup_free_ char *mods = slurp("/proc/modules");
        char *sp;

        if (!mods || !*mods || access("/sbin/modprobe", X_OK) < 0)
                return NULL;
        sp = strchr(mods, ' ');
        return sp ? xstrndup(mods, (size_t) (sp - mods)) : NULL;
}

static char *hook_script(const char *dir, const char *kind, const char *name, const char *log)
{
        _cleanup_free_ char *kdir = xasprintf("%s/%s", dir, kind);
        char *path = xasprintf("%s/%s", kdir, name);
        _cleanup_free_ char *text =
                xasprintf("#!/bin/sh\nstate=$(cat)\necho \"${0##*/} $1 $state\" >> %s\n", log);

        (void) mkdir(kdir, 0755);
        write_file(path, text, 0755);
        return path;
}

/* hostname, DNS, guest hooks and a kernel module, as Kata's runtime sends them. */
static void test_create_sandbox(void **state)
{
        _cleanup_free_ char *hooks = xasprintf("%s/hooks", agent.dir);
        _cleanup_free_ char *log = xasprintf("%s/hooks.log", agent.dir);
        _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", agent.dir);
        _cleanup_free_ char *module = loaded_module();
        char *dns[] = { (char *) "nameserver 192.0.2.53", (char *) "  search pod.local  " };
        Grpc__KernelModule mod = GRPC__KERNEL_MODULE__INIT;
        Grpc__KernelModule *mods[] = { &mod };
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        struct ttrpc_status st = { 0 };
        char *out = NULL, *err = NULL, *text;
        int status = -1;

        (void) state;
        assert_int_equal(mkdir(hooks, 0755), 0);
        free(hook_script(hooks, "prestart", "10-pre", log));
        free(hook_script(hooks, "poststart", "20-post", log));
        free(hook_script(hooks, "poststop", "30-stop", log));
        /* Kata runs neither a non-executable file nor a symlink. */
        {
                _cleanup_free_ char *p = xasprintf("%s/prestart/00-noexec", hooks);
                _cleanup_free_ char *l = xasprintf("%s/prestart/05-link", hooks);
                _cleanup_free_ char *t = xasprintf("#!/bin/sh\necho noexec >> %s\n", log);
                write_file(p, t, 0644);
                assert_int_equal(symlink("/bin/true", l), 0);
        }
        write_file(resolv, "nameserver 127.0.0.1\n", 0644);

        /* The shm storage Kata's runtime sends with every CreateSandbox. */
        _cleanup_free_ char *shm = xasprintf("%s/sandbox/shm", ct_run_dir());
        char *shm_opts[] = { (char *) "size=1048576", (char *) "mode=1777" };
        Grpc__Storage shm_st = GRPC__STORAGE__INIT;
        Grpc__Storage *storages[] = { &shm_st };
        shm_st.driver = (char *) "ephemeral";
        shm_st.source = (char *) "shm";
        shm_st.fstype = (char *) "tmpfs";
        shm_st.mount_point = shm;
        shm_st.options = shm_opts;
        shm_st.n_options = 2;
        req.storages = storages;
        req.n_storages = 1;
        req.sandbox_id = (char *) "sbx-1";
        req.hostname = (char *) "pod-host";
        req.dns = dns;
        req.n_dns = 2;
        req.guest_hook_path = hooks;
        if (module) {
                mod.name = module;
                req.kernel_modules = mods;
                req.n_kernel_modules = 1;
        }
        if (create_sandbox(cl, &req, &st) != RPC_OK)
                fail_msg("CreateSandbox: %s", st.message);
        ttrpc_status_done(&st);

        /* One sandbox per agent. */
        assert_int_equal(create_sandbox(cl, &req, &st), RPC_ALREADY_EXISTS);
        assert_non_null(strstr(st.message, "sbx-1"));
        ttrpc_status_done(&st);

        {
                _cleanup_free_ char *mounts = slurp("/proc/self/mountinfo");
                _cleanup_free_ char *needle = xasprintf(" %s ", shm);
                char *line = strstr(mounts, needle);
                assert_non_null(line);
                assert_non_null(strstr(line, " - tmpfs shm "));
                assert_non_null(strstr(line, "size=1024k"));
        }
        /* The guest's resolv.conf now shows the pod's DNS (Kata trims each entry). */
        text = slurp(resolv);
        assert_non_null(text);
        assert_string_equal(text, "nameserver 192.0.2.53\nsearch pod.local\n");
        free(text);

        /* The container joins the sandbox's uts namespace and sees its hostname. */
        {
                _cleanup_free_ char *spec = spec_no_hostname("sbx-ct", "[\"hostname\"]", NULL);
                ct_run(cl, "sbx-ct", spec, &out, &err, &status);
                assert_string_equal(out, "pod-host\n");
                assert_int_equal(status, 0);
                free(out);
                free(err);
        }
        /* Hooks ran in order with Kata's arguments and the OCI state on stdin; poststop runs
         * after the removal, in the background. */
        for (int i = 0; i < 100; i++) {
                text = slurp(log);
                if (text && strstr(text, "30-stop"))
                        break;
                free(text);
                text = NULL;
                usleep(50000);
        }
        assert_non_null(text);
        assert_null(strstr(text, "noexec"));
        {
                char *pre = strstr(text, "10-pre prestart {");
                char *post = strstr(text, "20-post poststart {");
                char *stop = strstr(text, "30-stop poststop {");
                assert_non_null(pre);
                assert_non_null(post);
                assert_non_null(stop);
                assert_true(pre < post && post < stop);
                assert_non_null(strstr(pre, "\"id\":\"sbx-ct\",\"status\":\"created\""));
                assert_non_null(strstr(post, "\"status\":\"running\""));
                assert_non_null(strstr(stop, "\"status\":\"stopped\""));
        }
        free(text);
}

/* A failing prestart hook fails StartContainer with its output; the container can be removed. */
static void test_failing_prestart_hook(void **state)
{
        _cleanup_free_ char *spec = ct_spec("sbx-hookfail", "[\"true\"]", NULL, NULL, NULL);
        _cleanup_free_ char *with_hook = NULL;
        struct ttrpc_status st = { 0 };

        (void) state;
        /* The spec's hooks run before the sandbox's guest hooks. */
        spec[strlen(spec) - 1] = '\0';
        with_hook = xasprintf("%s,\"hooks\":{\"prestart\":[{\"path\":\"/bin/sh\","
                              "\"args\":[\"sh\",\"-c\",\"echo refused by policy; exit 3\"]}]}}",
                              spec);
        assert_int_equal(ct_create(cl, "sbx-hookfail", with_hook, false, &st), 0);
        ttrpc_status_done(&st);
        assert_int_not_equal(ct_id_call(cl, "StartContainer", "sbx-hookfail", &st), 0);
        assert_non_null(strstr(st.message, "prestart hook `/bin/sh` exited with 3"));
        assert_non_null(strstr(st.message, "refused by policy"));
        ttrpc_status_done(&st);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "sbx-hookfail", &st), 0);
        ttrpc_status_done(&st);
}

static int get_oom_event(struct ttrpc_client *c, int64_t timeout_ns, char **ret_id,
                         struct ttrpc_status *st)
{
        Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
        Grpc__OOMEvent *ev = NULL;

        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", "GetOOMEvent", &req.base,
                                           &grpc__oomevent__descriptor, timeout_ns,
                                           (ProtobufCMessage **) &ev, st),
                         0);
        if (st->code == RPC_OK) {
                *ret_id = xstrdup(ev->container_id);
                protobuf_c_message_free_unpacked(&ev->base, NULL);
        }
        return st->code;
}

/* A container over its memory limit is OOM-killed: GetOOMEvent names it, once. */
static void test_oom_event(void **state)
{
        _cleanup_free_ char *spec = ct_spec(
                "sbx-oom",
                "[\"sh\",\"-c\",\"echo start; dd if=/dev/zero of=/dev/null bs=256M count=1\"]",
                NULL, ",\"resources\":{\"memory\":{\"limit\":33554432,\"swap\":33554432}}", NULL);
        struct ttrpc_status st = { 0 };
        char *out = NULL, *err = NULL, *id = NULL;
        int status = -1;

        (void) state;
        /* Nothing happened yet: the call waits until its deadline. */
        assert_int_equal(get_oom_event(cl, 200000000LL, &id, &st), RPC_DEADLINE_EXCEEDED);
        ttrpc_status_done(&st);
        ct_run(cl, "sbx-oom", spec, &out, &err, &status);
        assert_int_equal(status, 137);
        free(out);
        free(err);
        assert_int_equal(get_oom_event(cl, 10000000000LL, &id, &st), RPC_OK);
        assert_string_equal(id, "sbx-oom");
        free(id);
        ttrpc_status_done(&st);
        /* One kill, one event. */
        assert_int_equal(get_oom_event(cl, 300000000LL, &id, &st), RPC_DEADLINE_EXCEEDED);
        ttrpc_status_done(&st);
}

/* A GetOOMEvent parked on a connection that goes away is cancelled; the agent goes on. */
static void test_oom_event_disconnect(void **state)
{
        Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
        struct ttrpc_client *c2 = agent_connect(&agent);
        uint8_t *payload;
        size_t len = grpc__get_oomevent_request__get_packed_size(&req);
        size_t blen;
        uint8_t *body;

        (void) state;
        payload = xmalloc(len + 1);
        grpc__get_oomevent_request__pack(&req, payload);
        body = request_body("grpc.AgentService", "GetOOMEvent", payload, len, 0, &blen);
        send_frame(c2, 1, 1, 0, body, blen);
        free(body);
        free(payload);
        usleep(100000);
        ttrpc_client_free(c2);
        usleep(100000);
        agent_proc_assert_alive(&agent);
        assert_check_ok(cl);
}

/* DestroySandbox: every container and process gone, the namespaces and the DNS released, the
 * agent stops serving and exits 0 (as a service; as PID 1 it powers off). */
static void test_destroy_sandbox(void **state)
{
        _cleanup_free_ char *spec = ct_spec("sbx-live", "[\"sleep\",\"4242\"]", NULL, NULL, NULL);
        _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", agent.dir);
        _cleanup_free_ char *ipc = xasprintf("%s/sandbox/ns/ipc", ct_run_dir());
        Grpc__DestroySandboxRequest req = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
        struct ttrpc_status st = { 0 };
        char *text, *id = NULL;
        pid_t pid = 0;
        int status;

        (void) state;
        assert_int_equal(ct_create(cl, "sbx-live", spec, false, &st), 0);
        ttrpc_status_done(&st);
        assert_int_equal(ct_id_call(cl, "StartContainer", "sbx-live", &st), 0);
        ttrpc_status_done(&st);
        {
                /* The container's process, as the host sees it. */
                _cleanup_free_ char *cmd = xasprintf("pgrep -f '^sleep 4242$' | head -n1");
                FILE *f = popen(cmd, "r");
                assert_non_null(f);
                assert_int_equal(fscanf(f, "%d", &pid), 1);
                pclose(f);
        }
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", "DestroySandbox", &req.base,
                                           NULL, 10000000000LL, NULL, &st),
                         0);
        assert_int_equal(st.code, RPC_OK);
        ttrpc_status_done(&st);
        /* After DestroySandbox, GetOOMEvent answers INTERNAL with an empty message (the runtime
         * retries it until the connection closes). */
        assert_int_equal(get_oom_event(cl, 1000000000LL, &id, &st), RPC_INTERNAL);
        assert_string_equal(st.message ? st.message : "", "");
        ttrpc_status_done(&st);
        assert_int_equal(waitpid(agent.pid, &status, 0), agent.pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        /* SIGKILLed by the agent; reaped by whoever inherits it once the agent is gone. */
        for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
                usleep(50000);
        assert_true(kill(pid, 0) < 0 && errno == ESRCH);
        assert_int_equal(access(ipc, F_OK), -1);
        text = slurp(resolv);
        assert_string_equal(text, "nameserver 127.0.0.1\n");
        free(text);
        {
                /* Nothing of the sandbox is mounted any more. */
                _cleanup_free_ char *mounts = slurp("/proc/self/mountinfo");
                assert_null(strstr(mounts, ct_run_dir()));
                assert_null(strstr(mounts, resolv));
        }
        /* Start a fresh agent for the teardown. */
        ttrpc_client_free(cl);
        {
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", agent.dir);
                assert_int_equal(system(cmd), 0);
        }
        cl = ct_agent_start(&agent, "");
}

/* The agent's children whose command is still the agent's (a container init waiting for
 * StartContainer): the first one's pid, or 0. */
static pid_t waiting_init(pid_t agent_pid)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        pid_t found = 0;

        assert_non_null(d);
        while (!found && (e = readdir(d))) {
                char path[300], *stat = NULL, *rp;
                int ppid;

                if (!isdigit((unsigned char) e->d_name[0]))
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
                if (read_file(path, 4096, &stat, NULL) < 0)
                        continue;
                rp = strrchr(stat, ')');
                if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == agent_pid &&
                    strstr(stat, "(cata-agent)"))
                        found = atoi(e->d_name);
                free(stat);
        }
        closedir(d);
        return found;
}

/* A created container waits for StartContainer holding its stdio and the sync socket only:
 * none of the agent's fds (its listener, a host connection, the serial port in a VM, whose
 * next open would fail with EBUSY while a copy stays open). */
static void test_created_container_holds_no_agent_fds(void **state)
{
        _cleanup_free_ char *spec = ct_spec("sbx-fds", "[\"true\"]", NULL, NULL, NULL);
        struct ttrpc_status st = { 0 };
        char path[64];
        struct dirent *e;
        int n = 0;
        pid_t pid;
        DIR *d;

        (void) state;
        assert_int_equal(ct_create(cl, "sbx-fds", spec, false, &st), 0);
        ttrpc_status_done(&st);
        pid = waiting_init(agent.pid);
        assert_true(pid > 0);
        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        d = opendir(path);
        assert_non_null(d);
        while ((e = readdir(d)))
                if (isdigit((unsigned char) e->d_name[0]))
                        n++;
        closedir(d);
        /* stdin, stdout, stderr and the sync socket. */
        assert_int_equal(n, 4);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "sbx-fds", &st), 0);
        ttrpc_status_done(&st);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_requests),
                cmocka_unit_test(test_create_sandbox),
                cmocka_unit_test(test_failing_prestart_hook),
                cmocka_unit_test(test_created_container_holds_no_agent_fds),
                cmocka_unit_test(test_oom_event),
                cmocka_unit_test(test_oom_event_disconnect),
                cmocka_unit_test(test_destroy_sandbox),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
