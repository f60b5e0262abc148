/* SPDX-License-Identifier: Apache-2.0 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "oci/spec-json.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char rootfs_dir[64];

static void rootfs_cleanup(void)
{
        char cmd[128];

        if (!rootfs_dir[0])
                return;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rootfs_dir);
        (void) !system(cmd);
}

const char *ct_cgroup_parent(void)
{
        static char name[32];

        if (!name[0])
                snprintf(name, sizeof(name), "cata-it-%d", (int) getpid());
        return name;
}

const char *ct_run_dir(void)
{
        static char dir[64];

        if (!dir[0])
                snprintf(dir, sizeof(dir), "/tmp/cata-run-%d", (int) getpid());
        return dir;
}

struct ttrpc_client *ct_agent_start(struct agent_proc *a, const char *cmdline)
{
        const char *args[] = { "--run-dir", ct_run_dir(), NULL };

        ct_rootfs();
        agent_proc_start(a, cmdline, args, NULL);
        return agent_connect(a);
}

void ct_agent_stop(struct agent_proc *a, struct ttrpc_client *c)
{
        _cleanup_free_ char *ns = xasprintf("%s/sandbox/ns", ct_run_dir());
        _cleanup_free_ char *sandbox = xasprintf("%s/sandbox", ct_run_dir());

        ttrpc_client_free(c);
        agent_proc_stop(a);
        /* Empty once every container was removed and the agent released the sandbox. */
        (void) rmdir(ns);
        (void) rmdir(sandbox);
        (void) rmdir(ct_run_dir());
}

const char *ct_rootfs(void)
{
        const char *script = getenv("CATA_MAKE_ROOTFS");
        char cmd[512];

        if (rootfs_dir[0])
                return rootfs_dir;
        snprintf(rootfs_dir, sizeof(rootfs_dir), "/tmp/cata-rootfs-XXXXXX");
        assert_non_null(mkdtemp(rootfs_dir));
        atexit(rootfs_cleanup);
        if (!script)
                script = "tests/rootfs/make-rootfs.sh";
        snprintf(cmd, sizeof(cmd), "%s '%s' %s >/dev/null", script, rootfs_dir,
                 getenv("CATA_TEST_HELPERS") ? getenv("CATA_TEST_HELPERS") : "");
        if (system(cmd) != 0)
                fail_msg("building the rootfs failed: %s", cmd);
        return rootfs_dir;
}

char *ct_spec(const char *id, const char *args_json, const char *process_extra,
              const char *linux_extra, const char *top_extra)
{
        return xasprintf(
                "{\"ociVersion\":\"1.0.2\","
                "\"process\":{\"terminal\":false,\"user\":{\"uid\":0,\"gid\":0},\"args\":%s,"
                "\"env\":[\"PATH=/usr/sbin:/usr/bin:/sbin:/bin\",\"HOME=/root\"],\"cwd\":\"/\","
                "\"capabilities\":{"
                "\"bounding\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\","
                "\"CAP_MKNOD\",\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\","
                "\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\","
                "\"CAP_AUDIT_WRITE\"],"
                "\"effective\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\","
                "\"CAP_MKNOD\",\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\","
                "\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\","
                "\"CAP_AUDIT_WRITE\"],"
                "\"permitted\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\","
                "\"CAP_MKNOD\",\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\","
                "\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\","
                "\"CAP_AUDIT_WRITE\"]},"
                "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
                "\"noNewPrivileges\":true%s},"
                "\"root\":{\"path\":\"%s\",\"readonly\":true},\"hostname\":\"cata-test\","
                "\"mounts\":["
                "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
                "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
                "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\","
                "\"mode=0620\",\"gid=5\"]},"
                "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
                "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
                "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
                "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
                "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
                "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
                "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
                "\"options\":[\"nosuid\",\"nodev\"]}],"
                "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},"
                "{\"type\":\"uts\"},{\"type\":\"mount\"}],"
                "\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\",\"/proc/timer_list\","
                "\"/sys/firmware\"],"
                "\"readonlyPaths\":[\"/proc/sys\",\"/proc/sysrq-trigger\"],"
                "\"cgroupsPath\":\"/%s/%s\"%s}%s}",
                args_json, process_extra ? process_extra : "", ct_rootfs(), ct_cgroup_parent(), id,
                linux_extra ? linux_extra : "", top_extra ? top_extra : "");
}

static int call(struct ttrpc_client *c, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *desc, ProtobufCMessage **resp,
                struct ttrpc_status *st)
{
        ProtobufCMessage *r = NULL;

        ttrpc_status_done(st);
        assert_int_equal(ttrpc_client_call(c, "grpc.AgentService", method, req,
                                           desc ? desc : &google__protobuf__empty__descriptor, 0,
                                           &r, st),
                         0);
        if (resp)
                *resp = r;
        else if (r)
                protobuf_c_message_free_unpacked(r, NULL);
        return st->code;
}

int ct_create(struct ttrpc_client *c, const char *id, const char *spec_json, bool sandbox_pidns,
              struct ttrpc_status *st)
{
        Grpc__CreateContainerRequest req = GRPC__CREATE_CONTAINER_REQUEST__INIT;
        struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;
        int code;

        if (spec_from_json(spec_json, strlen(spec_json), &spec, &err) < 0)
                fail_msg("bad test spec: %s", err->msg);
        req.container_id = (char *) id;
        req.exec_id = (char *) id;
        req.oci = spec;
        req.sandbox_pidns = sandbox_pidns;
        code = call(c, "CreateContainer", &req.base, NULL, NULL, st);
        spec_free(spec);
        return code;
}

int ct_id_call(struct ttrpc_client *c, const char *method, const char *id, struct ttrpc_status *st)
{
        /* Start/Pause/Resume/Remove requests all carry container_id as field 1, and Remove's
         * timeout 0 is the default: one message type serves. */
        Grpc__StartContainerRequest req = GRPC__START_CONTAINER_REQUEST__INIT;

        req.container_id = (char *) id;
        return call(c, method, &req.base, NULL, NULL, st);
}

int ct_signal(struct ttrpc_client *c, const char *id, const char *eid, int sig,
              struct ttrpc_status *st)
{
        Grpc__SignalProcessRequest req = GRPC__SIGNAL_PROCESS_REQUEST__INIT;

        req.container_id = (char *) id;
        req.exec_id = (char *) eid;
        req.signal = (uint32_t) sig;
        return call(c, "SignalProcess", &req.base, NULL, NULL, st);
}

int ct_exec(struct ttrpc_client *c, const char *id, const char *eid, const char *args_json,
            struct ttrpc_status *st)
{
        Grpc__ExecProcessRequest req = GRPC__EXEC_PROCESS_REQUEST__INIT;
        _cleanup_free_ char *json = ct_spec(id, args_json, NULL, NULL, NULL);
        struct agent_error *err = NULL;
        Grpc__Spec *spec = NULL;
        int code;

        if (spec_from_json(json, strlen(json), &spec, &err) < 0)
                fail_msg("bad test spec: %s", err->msg);
        req.container_id = (char *) id;
        req.exec_id = (char *) eid;
        req.process = spec->process;
        code = call(c, "ExecProcess", &req.base, NULL, NULL, st);
        spec_free(spec);
        return code;
}

int ct_read_all(struct ttrpc_client *c, const char *id, const char *eid, bool stderr_stream,
                char **out, size_t *len)
{
        Grpc__ReadStreamRequest req = GRPC__READ_STREAM_REQUEST__INIT;
        struct ttrpc_status st = { 0 };
        size_t n = 0, cap = 4096;
        char *buf = xmalloc(cap);
        int code;

        req.container_id = (char *) id;
        req.exec_id = (char *) eid;
        req.len = 32768;
        for (;;) {
                Grpc__ReadStreamResponse *resp = NULL;
                code = call(c, stderr_stream ? "ReadStderr" : "ReadStdout", &req.base,
                            &grpc__read_stream_response__descriptor, (ProtobufCMessage **) &resp,
                            &st);
                if (code != 0 || !resp || resp->data.len == 0) {
                        if (resp)
                                protobuf_c_message_free_unpacked(&resp->base, NULL);
                        break;
                }
                while (n + resp->data.len + 1 > cap)
                        cap *= 2;
                buf = xrealloc(buf, cap);
                memcpy(buf + n, resp->data.data, resp->data.len);
                n += resp->data.len;
                protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        ttrpc_status_done(&st);
        buf[n] = '\0';
        *out = buf;
        if (len)
                *len = n;
        return code;
}

int ct_wait(struct ttrpc_client *c, const char *id, const char *eid, int *status,
            struct ttrpc_status *st)
{
        Grpc__WaitProcessRequest req = GRPC__WAIT_PROCESS_REQUEST__INIT;
        Grpc__WaitProcessResponse *resp = NULL;
        int code;

        req.container_id = (char *) id;
        req.exec_id = (char *) eid;
        code = call(c, "WaitProcess", &req.base, &grpc__wait_process_response__descriptor,
                    (ProtobufCMessage **) &resp, st);
        if (resp) {
                *status = resp->status;
                protobuf_c_message_free_unpacked(&resp->base, NULL);
        }
        return code;
}

void ct_run(struct ttrpc_client *c, const char *id, const char *spec_json, char **out, char **err,
            int *status)
{
        struct ttrpc_status st = { 0 };
        char *o = NULL, *e = NULL;

        if (ct_create(c, id, spec_json, false, &st) != 0)
                fail_msg("create `%s`: %s", id, st.message);
        if (ct_id_call(c, "StartContainer", id, &st) != 0)
                fail_msg("start `%s`: %s", id, st.message);
        assert_int_equal(ct_read_all(c, id, "", false, &o, NULL), 0);
        assert_int_equal(ct_read_all(c, id, "", true, &e, NULL), 0);
        if (ct_wait(c, id, "", status, &st) != 0)
                fail_msg("wait `%s`: %s", id, st.message);
        if (ct_id_call(c, "RemoveContainer", id, &st) != 0)
                fail_msg("remove `%s`: %s", id, st.message);
        ttrpc_status_done(&st);
        if (out)
                *out = o;
        else
                free(o);
        if (err)
                *err = e;
        else
                free(e);
}

void ct_sh(struct ttrpc_client *c, const char *id, const char *script, char **out, int *status)
{
        _cleanup_free_ char *args = NULL, *spec = NULL;
        char *escaped = xmalloc(strlen(script) * 2 + 1), *p = escaped;

        for (const char *s = script; *s; s++) {
                if (*s == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                        continue;
                }
                if (*s == '"' || *s == '\\')
                        *p++ = '\\';
                *p++ = *s;
        }
        *p = '\0';
        args = xasprintf("[\"sh\",\"-c\",\"%s\"]", escaped);
        free(escaped);
        spec = ct_spec(id, args, NULL, NULL, NULL);
        ct_run(c, id, spec, out, NULL, status);
}

unsigned ct_count_dir(const char *path)
{
        DIR *d = opendir(path);
        unsigned n = 0;
        struct dirent *de;

        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

unsigned ct_count_subdirs(const char *path)
{
        DIR *d = opendir(path);
        unsigned n = 0;
        struct dirent *de;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                n += de->d_name[0] != '.' && de->d_type == DT_DIR;
        closedir(d);
        return n;
}

unsigned ct_count_children(pid_t parent)
{
        DIR *d = opendir("/proc");
        unsigned n = 0;
        struct dirent *de;

        while ((de = readdir(d))) {
                char path[300], *text = NULL, *p;
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
                if (read_file(path, 4096, &text, NULL) < 0)
                        continue;
                p = strrchr(text, ')');
                if (p && strtol(p + 4, NULL, 10) == parent)
                        n++;
                free(text);
        }
        closedir(d);
        return n;
}

unsigned ct_count_mounts_of_run_dir(void)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *dir = xasprintf("%s/", ct_run_dir());
        unsigned n = 0;

        assert_int_equal(read_file("/proc/self/mountinfo", 16u << 20, &text, NULL), 0);
        for (char *p = strstr(text, dir); p; p = strstr(p + 1, dir))
                n++;
        return n;
}
