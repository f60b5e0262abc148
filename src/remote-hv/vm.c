/* SPDX-License-Identifier: Apache-2.0 */
#include "remote-hv/vm.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "remote-hv/guest.h"
#include "rpc/call.h"
#include "ttrpc/status.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* How often StartVM looks for the agent socket. */
#define VM_SOCKET_POLL_MS 10

static void vm_log(const struct vm *vm, enum log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void vm_log(const struct vm *vm, enum log_level level, const char *fmt, ...)
{
        const char *const kv[] = { "sandbox", vm->id, NULL };
        va_list ap;

        va_start(ap, fmt);
        log_fullv(level, "remote-hv", kv, fmt, ap);
        va_end(ap);
}

void hv_init(struct hv *hv, struct loop *loop, const struct hv_config *cfg)
{
        hv->loop = loop;
        hv->cfg = cfg;
        list_init(&hv->vms);
        hv->n_vms = 0;
}

bool vm_id_valid(const char *id)
{
        size_t n = strlen(id);

        if (n == 0 || n > VM_ID_MAX || id[0] == '.')
                return false;
        return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

struct vm *vm_find(struct hv *hv, const char *id)
{
        for (struct list_node *p = hv->vms.next; p != &hv->vms; p = p->next) {
                struct vm *vm = list_entry(p, struct vm, node);
                if (streq(vm->id, id))
                        return vm;
        }
        return NULL;
}

static struct vm *vm_new(struct hv *hv, const char *id)
{
        struct vm *vm = xzalloc(sizeof(*vm));

        vm->hv = hv;
        vm->id = xstrdup(id);
        vm->dir = xasprintf("%s/%s", hv->cfg->state_dir, id);
        vm->agent_socket = xasprintf("%s/agent.sock", vm->dir);
        vm->report_fd = -EBADF;
        list_init(&vm->node);
        list_init(&vm->start_waiters);
        list_init(&vm->stop_waiters);
        return vm;
}

static void vm_close_report(struct vm *vm)
{
        loop_io_free(vm->report_io);
        vm->report_io = NULL;
        close_and_reset(&vm->report_fd);
}

/* Frees a VM that has no process left, and its directory (the socket is the only file). */
static void vm_free(struct vm *vm)
{
        if (list_linked(&vm->node)) {
                list_del(&vm->node);
                vm->hv->n_vms--;
                if (unlink(vm->agent_socket) < 0 && errno != ENOENT)
                        vm_log(vm, LOG_LEVEL_WARN, "remove `%s`: %s", vm->agent_socket,
                               strerror(errno));
                if (rmdir(vm->dir) < 0)
                        vm_log(vm, LOG_LEVEL_WARN, "remove `%s`: %s", vm->dir, strerror(errno));
        }
        vm_close_report(vm);
        loop_timer_free(vm->timer);
        free(vm->failure);
        free(vm->agent_socket);
        free(vm->dir);
        free(vm->id);
        free(vm);
}

int vm_create(struct hv *hv, const char *id, struct vm **ret, struct agent_error **err)
{
        struct vm *vm;

        if (!vm_id_valid(id))
                return agent_error_setf(err, EINVAL,
                                        "invalid sandbox id (1 to %d of [A-Za-z0-9._-], not "
                                        "starting with `.`)",
                                        VM_ID_MAX);
        if (vm_find(hv, id))
                return agent_error_setf(err, EEXIST, "sandbox `%s` already has a VM", id);
        if (hv->n_vms >= VM_MAX)
                return agent_error_setf(err, ENOSPC, "too many VMs (limit %d)", VM_MAX);
        vm = vm_new(hv, id);
        if (strlen(vm->agent_socket) >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
                int r = agent_error_setf(err, ENAMETOOLONG, "agent socket path `%s` is too long",
                                         vm->agent_socket);
                vm_free(vm);
                return r;
        }
        if (mkdir(vm->dir, 0700) < 0) {
                int r = agent_error_set(err, errno, "create `%s`", vm->dir);
                vm_free(vm);
                return r;
        }
        list_add_tail(&hv->vms, &vm->node);
        hv->n_vms++;
        vm_log(vm, LOG_LEVEL_INFO, "created; agent socket `%s`", vm->agent_socket);
        *ret = vm;
        return 0;
}

/* ---- StartVM -------------------------------------------------------------------------------- */

static void vm_finish_start(struct vm *vm, const struct agent_error *e)
{
        loop_timer_free(vm->timer);
        vm->timer = NULL;
        while (!list_empty(&vm->start_waiters)) {
                struct rpc_call *call = rpc_call_from_park_node(vm->start_waiters.next);
                if (e)
                        rpc_call_reply_error(call, e);
                else
                        rpc_call_reply(call, NULL);
        }
}

/* Answers every parked StartVM with an error. */
static void vm_fail_start(struct vm *vm, int e, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void vm_fail_start(struct vm *vm, int e, const char *fmt, ...)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        (void) agent_error_setf(&err, e, "start VM `%s`: %s", vm->id, msg);
        if (!list_empty(&vm->start_waiters))
                vm_log(vm, LOG_LEVEL_ERROR, "%s", err->msg);
        vm_finish_start(vm, err);
}

static void vm_poll_cb(struct loop_timer *t, void *userdata);

static void vm_arm_poll(struct vm *vm)
{
        loop_timer_free(vm->timer);
        vm->timer = loop_add_timer(vm->hv->loop, now_ns() + VM_SOCKET_POLL_MS * 1000000ull,
                                   vm_poll_cb, vm);
}

static void vm_poll_cb(struct loop_timer *t, void *userdata)
{
        struct vm *vm = userdata;
        struct stat st;

        (void) t;
        if (vm->state != VM_STARTING)
                return;
        if (stat(vm->agent_socket, &st) == 0 && S_ISSOCK(st.st_mode)) {
                vm->state = VM_RUNNING;
                vm_log(vm, LOG_LEVEL_INFO, "running (guest pid %d)", (int) vm->pid);
                vm_finish_start(vm, NULL);
                return;
        }
        if (now_ns() >= vm->deadline_ns) {
                /* The guest is killed; its reaping finds the VM no longer starting. */
                if (vm->pid > 0)
                        (void) kill(vm->pid, SIGKILL);
                vm->state = VM_CREATED;
                vm_fail_start(vm, ETIMEDOUT, "no agent socket `%s` after %u s", vm->agent_socket,
                              vm->hv->cfg->start_timeout_s);
                return;
        }
        vm_arm_poll(vm);
}

static void vm_report_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct vm *vm = userdata;
        char buf[GUEST_REPORT_MAX];
        const char *text;
        ssize_t n;
        int e;

        (void) io;
        (void) events;
        n = read(vm->report_fd, buf, sizeof(buf) - 1);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        vm_close_report(vm);
        if (n == 0) /* exec succeeded */
                return;
        if (n < 0 || guest_parse_report(buf, (size_t) n, &e, &text) < 0) {
                vm->failure = xstrdup("the guest launcher sent an unreadable report");
                return;
        }
        free(vm->failure);
        vm->failure = xasprintf("%s: %s", text, strerror(e));
        /* The launcher exits right after its report; its reaping fails the start. */
}

int vm_start(struct vm *vm, pid_t caller_pid, struct rpc_call *call, struct agent_error **err)
{
        const struct hv_config *cfg = vm->hv->cfg;
        _cleanup_free_ char *ns_path = NULL;
        _cleanup_close_ int ns_fd = -EBADF;
        int r;

        switch (vm->state) {
        case VM_RUNNING:
                rpc_call_reply(call, NULL);
                return 0;
        case VM_STARTING:
                return rpc_call_park(call, &vm->start_waiters, NULL, NULL, err);
        case VM_STOPPING:
                return agent_error_setf(err, EBUSY, "VM `%s` is stopping", vm->id);
        case VM_CREATED:
                break;
        }
        if (vm->pid > 0)
                return agent_error_setf(err, EBUSY, "VM `%s`: the last guest is still exiting",
                                        vm->id);
        if (caller_pid <= 0)
                return agent_error_setf(
                        err, EPERM, "VM `%s`: the caller's pid is unknown (no peer credentials)",
                        vm->id);
        ns_path = xasprintf("/proc/%d/ns/mnt", (int) caller_pid);
        ns_fd = open(ns_path, O_RDONLY | O_CLOEXEC);
        if (ns_fd < 0)
                return agent_error_set(err, errno,
                                       "VM `%s`: open the caller's mount namespace `%s`", vm->id,
                                       ns_path);
        free(vm->failure);
        vm->failure = NULL;
        r = guest_launch(cfg, vm, ns_fd, &vm->pid, &vm->report_fd, err);
        if (r < 0)
                return agent_error_wrap(err, "VM `%s`", vm->id);
        r = rpc_call_park(call, &vm->start_waiters, NULL, NULL, err);
        if (r < 0) {
                /* Reaped later; the VM stays created. */
                (void) kill(vm->pid, SIGKILL);
                vm_close_report(vm);
                return r;
        }
        (void) fd_nonblock(vm->report_fd, true);
        r = loop_add_io(vm->hv->loop, vm->report_fd, EPOLLIN, vm_report_cb, vm, &vm->report_io);
        if (r < 0)
                vm_log(vm, LOG_LEVEL_WARN, "cannot watch the launch report: %s", strerror(-r));
        vm->state = VM_STARTING;
        vm->deadline_ns = now_ns() + cfg->start_timeout_s * 1000000000ull;
        vm_log(vm, LOG_LEVEL_INFO, "starting (guest pid %d, shim pid %d)", (int) vm->pid,
               (int) caller_pid);
        vm_arm_poll(vm);
        return 0;
}

/* ---- StopVM and reaping --------------------------------------------------------------------- */

static void vm_finish_stop(struct vm *vm)
{
        vm_fail_start(vm, ECANCELED, "the VM was stopped");
        while (!list_empty(&vm->stop_waiters))
                rpc_call_reply(rpc_call_from_park_node(vm->stop_waiters.next), NULL);
        vm_log(vm, LOG_LEVEL_INFO, "stopped");
        vm_free(vm);
}

static void vm_kill_cb(struct loop_timer *t, void *userdata)
{
        struct vm *vm = userdata;

        (void) t;
        if (vm->pid > 0) {
                vm_log(vm, LOG_LEVEL_WARN, "guest pid %d ignored SIGTERM for %u s: SIGKILL",
                       (int) vm->pid, vm->hv->cfg->stop_timeout_s);
                (void) kill(vm->pid, SIGKILL);
        }
}

int vm_stop(struct vm *vm, struct rpc_call *call, struct agent_error **err)
{
        int r;

        if (vm->pid <= 0) {
                rpc_call_reply(call, NULL);
                vm_finish_stop(vm);
                return 0;
        }
        r = rpc_call_park(call, &vm->stop_waiters, NULL, NULL, err);
        if (r < 0)
                return r;
        if (vm->state == VM_STOPPING)
                return 0;
        vm->state = VM_STOPPING;
        vm_fail_start(vm, ECANCELED, "the VM is being stopped");
        vm_log(vm, LOG_LEVEL_INFO, "stopping guest pid %d", (int) vm->pid);
        (void) kill(vm->pid, SIGTERM);
        loop_timer_free(vm->timer);
        vm->timer =
                loop_add_timer(vm->hv->loop, now_ns() + vm->hv->cfg->stop_timeout_s * 1000000000ull,
                               vm_kill_cb, vm);
        return 0;
}

static struct vm *vm_find_pid(struct hv *hv, pid_t pid)
{
        for (struct list_node *p = hv->vms.next; p != &hv->vms; p = p->next) {
                struct vm *vm = list_entry(p, struct vm, node);
                if (vm->pid == pid)
                        return vm;
        }
        return NULL;
}

static void vm_exited(struct vm *vm, int status)
{
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

        vm->pid = 0;
        /* A report still unread says why; read it before judging. */
        if (vm->report_io)
                vm_report_cb(vm->report_io, EPOLLIN, vm);
        switch (vm->state) {
        case VM_STARTING:
                vm->state = VM_CREATED;
                if (vm->failure)
                        vm_fail_start(vm, EIO, "%s", vm->failure);
                else
                        vm_fail_start(vm, EIO,
                                      "the guest exited with code %d before its agent "
                                      "socket appeared",
                                      code);
                break;
        case VM_STOPPING:
                vm_finish_stop(vm);
                break;
        case VM_RUNNING:
                vm_log(vm, LOG_LEVEL_INFO, "guest exited with code %d", code);
                break;
        case VM_CREATED:
                break;
        }
}

void hv_reap(struct hv *hv)
{
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                struct vm *vm;

                if (pid <= 0)
                        return;
                vm = vm_find_pid(hv, pid);
                if (vm)
                        vm_exited(vm, status);
        }
}

void hv_done(struct hv *hv)
{
        while (!list_empty(&hv->vms)) {
                struct vm *vm = list_first_entry(&hv->vms, struct vm, node);

                if (vm->pid > 0) {
                        /* Shutdown only: the loop serves nobody any more. */
                        (void) kill(vm->pid, SIGKILL);
                        (void) waitpid(vm->pid, NULL, 0);
                        vm->pid = 0;
                }
                vm_fail_start(vm, ESHUTDOWN, "the hypervisor service is shutting down");
                while (!list_empty(&vm->stop_waiters))
                        rpc_call_reply_status(rpc_call_from_park_node(vm->stop_waiters.next),
                                              RPC_UNAVAILABLE,
                                              "the hypervisor service is shutting down");
                vm_free(vm);
        }
}
