/* SPDX-License-Identifier: Apache-2.0 */
#include "remote-hv/guest.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARGV_MAX 48

struct argv {
        char *v[ARGV_MAX + 1];
        size_t n;
};

static void argv_add(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void argv_add(struct argv *a, const char *fmt, ...)
{
        va_list ap;

        if (a->n >= ARGV_MAX)
                abort(); /* a programming error: the lists below are fixed */
        va_start(ap, fmt);
        a->v[a->n++] = xvasprintf(fmt, ap);
        va_end(ap);
}

static void argv_done(struct argv *a)
{
        for (size_t i = 0; i < a->n; i++)
                free(a->v[i]);
        a->n = 0;
}

static char *share_dir(const char *id)
{
        return xasprintf("%s/%s/shared", KATA_HOST_SHARE_DIR, id);
}

static void build_agent_argv(const struct hv_config *cfg, const struct vm *vm, struct argv *a)
{
        argv_add(a, "%s", cfg->agent);
        argv_add(a, "--addr=unix://%s", vm->agent_socket);
        /* The host's /proc/cmdline is not this guest's: no agent.* options from it. */
        argv_add(a, "--cmdline=/dev/null");
        if (cfg->agent_log_level)
                argv_add(a, "--log-level=%s", cfg->agent_log_level);
}

static void build_qemu_argv(const struct hv_config *cfg, const struct vm *vm, struct argv *a)
{
        _cleanup_free_ char *share = share_dir(vm->id);

        argv_add(a, "%s", cfg->qemu);
        argv_add(a, "-machine");
        argv_add(a, "q35");
        argv_add(a, "-cpu");
        argv_add(a, "max");
        argv_add(a, "-smp");
        argv_add(a, "1");
        argv_add(a, "-m");
        argv_add(a, "%u", cfg->memory_mb);
        argv_add(a, "-nodefaults");
        argv_add(a, "-no-reboot");
        argv_add(a, "-display");
        argv_add(a, "none");
        argv_add(a, "-serial");
        argv_add(a, "stdio");
        argv_add(a, "-kernel");
        argv_add(a, "%s", cfg->kernel);
        argv_add(a, "-initrd");
        argv_add(a, "%s", cfg->initrd);
        argv_add(a, "-append");
        argv_add(a,
                 "console=ttyS0 quiet panic=-1 "
                 "agent.server_addr=serial:///dev/virtio-ports/agent.channel.0%s%s",
                 cfg->kernel_params ? " " : "", cfg->kernel_params ? cfg->kernel_params : "");
        argv_add(a, "-device");
        argv_add(a, "virtio-serial-pci");
        /* Paths reach QEMU's option parser: main() refuses a state dir with a comma, ids have
         * none. */
        argv_add(a, "-chardev");
        argv_add(a, "socket,id=agent,path=%s,server=on,wait=off", vm->agent_socket);
        argv_add(a, "-device");
        argv_add(a, "virtserialport,chardev=agent,name=agent.channel.0");
        argv_add(a, "-fsdev");
        argv_add(a, "local,id=share,path=%s,security_model=none,multidevs=remap", share);
        argv_add(a, "-device");
        argv_add(a, "virtio-9p-pci,fsdev=share,mount_tag=%s", GUEST_SHARE_TAG);
}

/* ---- in the child ------------------------------------------------------------------------- */

static void __attribute__((noreturn)) child_fail(int report, int e, const char *what)
{
        char buf[GUEST_REPORT_MAX];
        int n = snprintf(buf, sizeof(buf), "%d %s", e, what);

        if (n > 0)
                (void) !write(report, buf, (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1);
        _exit(127);
}

static int mkdir_parents(const char *path)
{
        char buf[PATH_MAX];
        size_t len = strlen(path);

        if (len >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, len + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* A copy of the shim's mount namespace that still receives its later mounts (the containers'
 * rootfs) but sends none back. Like a VM, the guest gets its own /run/kata-containers: the agent
 * empties its run dir at CreateSandbox, which on the host's would remove the shim's files of
 * every sandbox. The sandbox's share is bound where Kata's guest expects it, through an fd
 * opened before the tmpfs hides its host path. */
static void child_namespace_setup(int report, const char *share)
{
        _cleanup_close_ int share_fd = -EBADF;
        char fd_path[64];
        int r;

        if (unshare(CLONE_NEWNS) < 0)
                child_fail(report, errno, "unshare a mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                child_fail(report, errno, "make `/` a slave mount");
        share_fd = open(share, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (share_fd < 0)
                child_fail(report, errno, "open the sandbox share");
        if (mount("tmpfs", KATA_GUEST_RUN_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                child_fail(report, errno, "mount a tmpfs on `" KATA_GUEST_RUN_DIR "`");
        r = mkdir_parents(KATA_GUEST_SHARE_DIR);
        if (r < 0)
                child_fail(report, -r, "create `" KATA_GUEST_SHARE_DIR "`");
        snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", share_fd);
        if (mount(fd_path, KATA_GUEST_SHARE_DIR, NULL, MS_BIND | MS_REC, NULL) < 0)
                child_fail(report, errno, "bind the sandbox share at `" KATA_GUEST_SHARE_DIR "`");
}

static void __attribute__((noreturn)) child_main(const struct hv_config *cfg, const struct vm *vm,
                                                 int ns_fd, int report, int out, char **argv)
{
        _cleanup_free_ char *share = share_dir(vm->id);
        struct stat st;
        sigset_t none;
        int null_fd;

        /* The loop's blocked signals and ignored SIGPIPE must not reach the guest program. */
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) signal(SIGPIPE, SIG_DFL);
        /* A guest outliving its hypervisor service would be unreachable: it goes with us. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void) setsid();
        if (setns(ns_fd, CLONE_NEWNS) < 0)
                child_fail(report, errno, "join the shim's mount namespace");
        if (stat(share, &st) < 0)
                child_fail(report, errno, "the sandbox share in the shim's mount namespace");
        if (cfg->guest == HV_GUEST_NAMESPACE)
                child_namespace_setup(report, share);
        if (chdir("/") < 0)
                child_fail(report, errno, "chdir `/`");
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                child_fail(report, errno, "set up stdio");
        execv(argv[0], argv);
        child_fail(report, errno, "execute the guest program");
}

/* ---- in the parent ------------------------------------------------------------------------ */

static int open_output(const struct hv_config *cfg, const struct vm *vm)
{
        _cleanup_free_ char *path = NULL;
        int fd;

        if (!cfg->log_dir) {
                fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
                return fd < 0 ? -errno : fd;
        }
        path = xasprintf("%s/%s.log", cfg->log_dir, vm->id);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
        return fd < 0 ? -errno : fd;
}

int guest_launch(const struct hv_config *cfg, const struct vm *vm, int ns_fd, pid_t *ret_pid,
                 int *ret_report, struct agent_error **err)
{
        _cleanup_close_ int out = -EBADF;
        int pipefd[2];
        struct argv argv = { 0 };
        pid_t pid;

        out = open_output(cfg, vm);
        if (out < 0)
                return agent_error_set(err, -out, "open the guest's log in `%s`",
                                       cfg->log_dir ? cfg->log_dir : "stderr");
        if (cfg->guest == HV_GUEST_NAMESPACE)
                build_agent_argv(cfg, vm, &argv);
        else
                build_qemu_argv(cfg, vm, &argv);
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                argv_done(&argv);
                return agent_error_set(err, errno, "create the launch report pipe");
        }
        pid = fork();
        if (pid < 0) {
                int e = errno;
                argv_done(&argv);
                (void) close(pipefd[0]);
                (void) close(pipefd[1]);
                return agent_error_set(err, e, "fork the guest launcher");
        }
        if (pid == 0) {
                (void) close(pipefd[0]);
                child_main(cfg, vm, ns_fd, pipefd[1], out, argv.v);
        }
        argv_done(&argv);
        (void) close(pipefd[1]);
        *ret_pid = pid;
        *ret_report = pipefd[0];
        return 0;
}

int guest_parse_report(char *buf, size_t len, int *ret_errno, const char **ret_text)
{
        char *sp;
        int64_t e;

        if (len == 0 || len >= GUEST_REPORT_MAX)
                return -EINVAL;
        buf[len] = '\0';
        sp = strchr(buf, ' ');
        if (!sp)
                return -EINVAL;
        *sp = '\0';
        if (parse_i64(buf, 10, &e) < 0 || e <= 0 || e > 4095)
                return -EINVAL;
        *ret_errno = (int) e;
        *ret_text = sp + 1;
        return 0;
}
