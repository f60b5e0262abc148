/* SPDX-License-Identifier: Apache-2.0 */
#include "engine/spawn.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "engine/identity.h"
#include "engine/rootfs.h"
#include "engine/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
        const char *name;
        int flag;
        const char *proc_name;
} ns_table[_SPAWN_NS_MAX] = {
        [SPAWN_NS_USER] = { "user", CLONE_NEWUSER, "user" },
        [SPAWN_NS_IPC] = { "ipc", CLONE_NEWIPC, "ipc" },
        [SPAWN_NS_UTS] = { "uts", CLONE_NEWUTS, "uts" },
        [SPAWN_NS_NET] = { "network", CLONE_NEWNET, "net" },
        [SPAWN_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP, "cgroup" },
        [SPAWN_NS_MNT] = { "mount", CLONE_NEWNS, "mnt" },
        [SPAWN_NS_PID] = { "pid", CLONE_NEWPID, "pid" },
};

/* Stage 1 reads /proc/self/cgroup once it joined the container's cgroup and before a new
 * cgroup namespace hides the paths; stage 2 (a clone: same memory) mounts from it. */
static char *self_cgroup;

/* protobuf-c's repeated strings carry a count, execve wants a NULL terminator. (malloc is safe
 * here: the agent is single-threaded, so no lock can be held across the fork.) */
static char **strv_terminated(char **v, size_t n)
{
        char **out = xzalloc((n + 1) * sizeof(char *));

        for (size_t i = 0; i < n; i++)
                out[i] = v[i];
        return out;
}

int spawn_ns_from_name(const char *name)
{
        for (int i = 0; i < _SPAWN_NS_MAX; i++)
                if (streq(name, ns_table[i].name))
                        return i;
        return -EINVAL;
}

const char *spawn_ns_name(enum spawn_ns ns)
{
        return ns < _SPAWN_NS_MAX ? ns_table[ns].name : "unknown";
}

static int write_id_map(pid_t pid, const char *file, Grpc__LinuxIDMapping **m, size_t n)
{
        char path[64], buf[4096];
        size_t len = 0;
        _cleanup_close_ int fd = -EBADF;

        for (size_t i = 0; i < n && len < sizeof(buf) - 64; i++)
                len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
                                         m[i]->containerid, m[i]->hostid, m[i]->size);
        if (len == 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, buf, len) != (ssize_t) len)
                return -errno;
        return 0;
}

int spawn_write_id_maps(pid_t pid, const Grpc__Linux *l)
{
        int r;

        if (!l)
                return 0;
        r = write_id_map(pid, "uid_map", l->uidmappings, l->n_uidmappings);
        if (r >= 0)
                r = write_id_map(pid, "gid_map", l->gidmappings, l->n_gidmappings);
        return r;
}

int spawn_console_size_check(uint32_t rows, uint32_t cols, const char *field,
                             struct agent_error **err)
{
        if (rows > UINT16_MAX || cols > UINT16_MAX)
                return agent_error_setf(err, EINVAL,
                                        "field `%s`: %u rows x %u columns, a terminal has at most "
                                        "65535 x 65535",
                                        field, rows, cols);
        return 0;
}

int spawn_send(int sync_fd, enum spawn_msg_type type, int32_t value)
{
        struct spawn_msg m = { .type = type, .value = value };

        for (;;) {
                if (send(sync_fd, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t) sizeof(m))
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

int spawn_recv(int sync_fd, struct spawn_msg *ret)
{
        for (;;) {
                ssize_t n = recv(sync_fd, ret, sizeof(*ret), MSG_DONTWAIT);
                if (n == (ssize_t) sizeof(*ret)) {
                        ret->text[sizeof(ret->text) - 1] = '\0';
                        return 1;
                }
                if (n == 0)
                        return 0;
                if (n > 0)
                        return -EBADMSG;
                if (errno == EINTR)
                        continue;
                if (errno == ECONNRESET)
                        return 0;
                return -errno;
        }
}

/* ---- child side: everything below runs in stage 1 or stage 2, never in the agent ---- */

/* Stage 2 in exec-FIFO mode, once `start` has opened the FIFO: the write end, kept open
 * (close-on-exec) so the reader sees EOF on execve, or an error line first. */
static int exec_fifo_fd = -1;

static void __attribute__((noreturn, format(printf, 3, 4)))
child_fail(int sync_fd, int errno_, const char *fmt, ...)
{
        struct spawn_msg m = { .type = SPAWN_MSG_ERROR, .value = errno_ > 0 ? errno_ : EIO };
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(m.text, sizeof(m.text), fmt, ap);
        va_end(ap);
        if (exec_fifo_fd >= 0)
                (void) dprintf(exec_fifo_fd, "%d %s", (int) m.value, m.text);
        if (send(sync_fd, &m, sizeof(m), MSG_NOSIGNAL) < 0)
                dprintf(STDERR_FILENO, "cata: %s: %s\n", m.text, strerror(m.value));
        _exit(1);
}

static void child_expect(int sync_fd, enum spawn_msg_type type)
{
        struct spawn_msg m;

        for (;;) {
                ssize_t n = recv(sync_fd, &m, sizeof(m), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t) sizeof(m))
                        _exit(1); /* the agent went away or gave up on us */
                if (m.type == (uint32_t) type)
                        return;
        }
}

void spawn_child_reset_signals(void)
{
        sigset_t none;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                (void) signal(s, SIG_DFL);
}

static void stage1_join_and_unshare(const struct spawn_config *cfg, int sync_fd)
{
        int fds[_SPAWN_NS_MAX];
        int unshare_flags = 0;

        /* Open every path first: /proc/<pid>/ns/... resolve in the current mount namespace. */
        for (int i = 0; i < _SPAWN_NS_MAX; i++) {
                fds[i] = -1;
                if (!cfg->ns[i].enabled || !cfg->ns[i].path)
                        continue;
                fds[i] = open(cfg->ns[i].path, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0)
                        child_fail(sync_fd, errno, "open %s namespace `%s`", ns_table[i].name,
                                   cfg->ns[i].path);
        }
        for (int i = 0; i < _SPAWN_NS_MAX; i++) {
                if (!cfg->ns[i].enabled)
                        continue;
                if (fds[i] >= 0) {
                        if (setns(fds[i], ns_table[i].flag) < 0)
                                child_fail(sync_fd, errno, "join %s namespace `%s`",
                                           ns_table[i].name, cfg->ns[i].path);
                        close(fds[i]);
                } else if (i == SPAWN_NS_USER) {
                        /* A new user namespace must exist before the others so it owns them;
                         * its maps are written by the agent (from outside). */
                        if (unshare(CLONE_NEWUSER) < 0)
                                child_fail(sync_fd, errno, "create user namespace");
                        if (spawn_send(sync_fd, SPAWN_MSG_USERNS, getpid()) < 0)
                                _exit(1);
                        child_expect(sync_fd, SPAWN_MSG_USERNS_DONE);
                        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                                child_fail(sync_fd, errno, "become root in the user namespace");
                } else {
                        unshare_flags |= ns_table[i].flag;
                }
        }
        if (unshare_flags && unshare(unshare_flags) < 0)
                child_fail(sync_fd, errno, "create namespaces (flags 0x%x)", unshare_flags);
}

static void write_sysctl(int sync_fd, const char *key, const char *value)
{
        char path[512];
        int fd;
        size_t len = strlen(value);

        snprintf(path, sizeof(path), "/proc/sys/%s", key);
        for (char *p = path + strlen("/proc/sys/"); *p; p++)
                if (*p == '.')
                        *p = '/';
        if (strstr(key, "..") || strchr(key, '/'))
                child_fail(sync_fd, EINVAL, "sysctl `%s`: invalid name", key);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, value, len) != (ssize_t) len)
                child_fail(sync_fd, errno, "sysctl `%s` = `%s`", key, value);
        close(fd);
}

static void stage2_setup_root(const struct spawn_config *cfg, int sync_fd)
{
        const Grpc__Spec *spec = cfg->spec;
        char what[512] = "";
        int r;

        if (spec->linux)
                for (size_t i = 0; i < spec->linux->n_sysctl; i++)
                        write_sysctl(sync_fd, spec->linux->sysctl[i]->key,
                                     spec->linux->sysctl[i]->value);
        if (spec->hostname && *spec->hostname && cfg->ns[SPAWN_NS_UTS].enabled &&
            sethostname(spec->hostname, strlen(spec->hostname)) < 0)
                child_fail(sync_fd, errno, "set hostname `%s`", spec->hostname);
        if (cfg->domainname && cfg->ns[SPAWN_NS_UTS].enabled &&
            setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
                child_fail(sync_fd, errno, "set domainname `%s`", cfg->domainname);
        r = rootfs_setup(spec, cfg->rootfs, self_cgroup,
                         cfg->create_cwd && cfg->process->cwd ? cfg->process->cwd : NULL, what,
                         sizeof(what));
        if (r < 0)
                child_fail(sync_fd, -r, "%s", what[0] ? what : "set up the root filesystem");
}

/* Closes every fd from `first` up except keep_a and keep_b (either may be -1). */
static void close_all_but(unsigned first, int keep_a, int keep_b)
{
        unsigned lo = first;
        int keep[2] = { keep_a < keep_b ? keep_a : keep_b, keep_a < keep_b ? keep_b : keep_a };

        for (int i = 0; i < 2; i++) {
                if (keep[i] < (int) lo)
                        continue;
                if ((unsigned) keep[i] > lo)
                        (void) syscall(SYS_close_range, lo, (unsigned) keep[i] - 1, 0U);
                lo = (unsigned) keep[i] + 1;
        }
        (void) syscall(SYS_close_range, lo, ~0U, 0U);
}

/* Moves the given fds onto 0, 1, 2 without clobbering one with another. */
static void stage2_stdio(const struct spawn_config *cfg, int sync_fd)
{
        int high[3];

        for (int i = 0; i < 3; i++) {
                int fd = cfg->stdio[i];
                if (fd < 0)
                        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                high[i] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
                if (high[i] < 0)
                        child_fail(sync_fd, errno, "set up stdio");
        }
        for (int i = 0; i < 3; i++)
                if (dup2(high[i], i) < 0)
                        child_fail(sync_fd, errno, "set up stdio");
        if (setsid() < 0 && errno != EPERM)
                child_fail(sync_fd, errno, "setsid");
        if (cfg->terminal && ioctl(0, TIOCSCTTY, 0) < 0)
                child_fail(sync_fd, errno, "make the terminal the controlling tty");
}

/* The FIFO lives in the runtime's state directory, which pivot_root hides: stage 1 opens it as
 * an O_PATH descriptor, stage 2 inherits it and reopens it through /proc/self/fd (so the
 * container needs /proc mounted, as with runc). */
static int exec_fifo_path_fd = -1;

/* Before READY, so a container without /proc fails at create, not at start. */
static void check_exec_fifo(const struct spawn_config *cfg, int sync_fd)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/self/fd/%d", exec_fifo_path_fd);
        if (access(path, W_OK) < 0)
                child_fail(sync_fd, errno, "reach exec fifo `%s` through `%s` (is /proc mounted?)",
                           cfg->exec_fifo, path);
}

/* Blocks until `start` opens the FIFO for reading, then tells it we are going (one byte). From
 * here on nobody may read the sync socket: failures also go to stderr, and to the FIFO as one
 * "<errno> <text>" record; the FIFO stays open until execve closes it, so its reader sees
 * either EOF alone (exec'd) or the record then EOF. */
static void wait_exec_fifo(const struct spawn_config *cfg, int sync_fd)
{
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "/proc/self/fd/%d", exec_fifo_path_fd);
        for (;;) {
                fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd >= 0 || errno != EINTR)
                        break;
        }
        if (fd < 0)
                child_fail(sync_fd, errno, "open exec fifo `%s` (through `%s`)", cfg->exec_fifo,
                           path);
        close(exec_fifo_path_fd);
        exec_fifo_path_fd = -1;
        if (write(fd, "0", 1) != 1)
                child_fail(sync_fd, errno, "write exec fifo `%s`", cfg->exec_fifo);
        exec_fifo_fd = fd;
}

/* Runs one hook with the state on stdin, bounded by its timeout. */
static int run_hook(const Grpc__Hook *h, const char *state)
{
        int in[2], status = 0;
        pid_t pid;
        long waited_ms = 0, limit_ms = h->timeout > 0 ? h->timeout * 1000 : -1;

        if (pipe2(in, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char **argv = strv_terminated(h->args, h->n_args);
                char **envp = strv_terminated(h->env, h->n_env);
                if (dup2(in[0], 0) < 0)
                        _exit(127);
                if (h->n_args == 0) {
                        argv = xzalloc(2 * sizeof(char *));
                        argv[0] = h->path;
                }
                execve(h->path, argv, envp);
                _exit(127);
        }
        close(in[0]);
        if (state)
                (void) !write(in[1], state, strlen(state));
        close(in[1]);
        while (waitpid(pid, &status, WNOHANG) == 0) {
                if (limit_ms >= 0 && waited_ms >= limit_ms) {
                        kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        return -ETIMEDOUT;
                }
                usleep(10000);
                waited_ms += 10;
        }
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static void run_start_hooks(const struct spawn_config *cfg, int sync_fd)
{
        for (size_t i = 0; i < cfg->n_start_hooks; i++) {
                int r = run_hook(cfg->start_hooks[i], cfg->state_json);
                if (r < 0)
                        child_fail(sync_fd, -r, "startContainer hook `%s`",
                                   cfg->start_hooks[i]->path);
        }
}

/* The home directory of uid in the container's /etc/passwd, or NULL. */
static char *passwd_home(uid_t uid)
{
        _cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
        char line[1024];

        while (f && fgets(line, sizeof(line), f)) {
                char *field[7] = { 0 }, *save = NULL, *t = line;
                size_t n = 0;

                /* strsep keeps empty fields ("x::0:..."), strtok would not. */
                while (n < 7 && (field[n] = strsep(&t, ":\n")))
                        n++;
                if (n >= 6 && strtoul(field[2], &save, 10) == uid && save != field[2] &&
                    *save == '\0')
                        return xstrdup(field[5]);
        }
        return NULL;
}

/* The process's env, with HOME from the container's /etc/passwd (or "/") when it has none, as
 * runc, crun and Kata's agent do. */
static char **env_with_home(const Grpc__Process *p)
{
        char **env = xzalloc((p->n_env + 2) * sizeof(char *));
        _cleanup_free_ char *home = NULL;

        for (size_t i = 0; i < p->n_env; i++) {
                if (startswith(p->env[i], "HOME="))
                        home = xstrdup("");
                env[i] = p->env[i];
        }
        if (home)
                return env;
        home = passwd_home(p->user ? p->user->uid : 0);
        env[p->n_env] = xasprintf("HOME=%s", home && *home ? home : "/");
        return env;
}

static int seccomp_hook(void *userdata)
{
        return userdata ? seccomp_filter_load(userdata) : 0;
}

static void __attribute__((noreturn)) stage2(const struct spawn_config *cfg, int sync_fd)
{
        const Grpc__Process *p = cfg->process;
        const char *what = NULL;
        char exe[4096], **env;
        int r;

        if (cfg->init)
                stage2_setup_root(cfg, sync_fd);
        /* Files the process creates get the usual 0644/0755, whatever the agent's umask. */
        umask(cfg->has_umask ? cfg->umask : 022);
        if (exec_fifo_path_fd >= 0)
                check_exec_fifo(cfg, sync_fd);
        stage2_stdio(cfg, sync_fd);
        if (p->cwd && *p->cwd && chdir(p->cwd) < 0)
                child_fail(sync_fd, errno, "chdir to cwd `%s`", p->cwd);
        if (p->n_args == 0)
                child_fail(sync_fd, EINVAL, "process has no args");
        env = env_with_home(p);
        r = spawn_find_executable(p->args[0], p->env, p->n_env, exe, sizeof(exe));
        if (r < 0)
                child_fail(sync_fd, -r, "executable `%s` not found in the container", p->args[0]);
        /* Every other inherited fd must not reach the container (but those it keeps), nor stay
         * open while it waits for START: a created container holding the agent's serial port
         * would keep the next host connection out (EBUSY). The sync socket and the exec FIFO
         * stay until execve closes them. */
        close_all_but(3U + cfg->preserve_fds, sync_fd, exec_fifo_path_fd);
        if (cfg->init) {
                if (spawn_send(sync_fd, SPAWN_MSG_READY, 0) < 0)
                        _exit(1);
                if (cfg->exec_fifo)
                        wait_exec_fifo(cfg, sync_fd);
                else
                        child_expect(sync_fd, SPAWN_MSG_START);
        }
        run_start_hooks(cfg, sync_fd);
        /* Identity and seccomp come after START: a strict profile must not be able to break the
         * sync socket, and without no_new_privs the filter has to be loaded while we still hold
         * CAP_SYS_ADMIN, which the identity code does at the right moment. */
        if (cfg->identity && identity_apply_with(cfg->identity, seccomp_hook, cfg->seccomp,
                                                 "load seccomp filter", &what) < 0)
                child_fail(sync_fd, errno, "%s", what ? what : "apply process identity");
        execve(exe, strv_terminated(p->args, p->n_args), env);
        child_fail(sync_fd, errno, "exec `%s`", exe);
}

static void __attribute__((noreturn)) stage1(const struct spawn_config *cfg, int sync_fd)
{
        _cleanup_error_ struct agent_error *err = NULL;
        long pid;

        spawn_child_reset_signals();
        if (cfg->reset_oom_score) {
                int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                /* Back up to 0 is allowed (0 is the floor nobody privileged lowered); without
                 * /proc there is nothing inherited to undo. */
                if (fd >= 0) {
                        (void) !write(fd, "0", 1);
                        close(fd);
                }
        }
        /* Still the runtime's credentials and mount namespace: the path resolves and its
         * directories are searchable (a user namespace's root may not search them). */
        if (cfg->init && cfg->exec_fifo) {
                exec_fifo_path_fd = open(cfg->exec_fifo, O_PATH | O_CLOEXEC);
                if (exec_fifo_path_fd < 0)
                        child_fail(sync_fd, errno, "open exec fifo `%s`", cfg->exec_fifo);
        }
        if (cfg->cgroup && cgroup_enter(cfg->cgroup, getpid(), &err) < 0)
                child_fail(sync_fd, err->errno_, "%s", err->msg);
        if (cfg->init && read_file("/proc/self/cgroup", 64 * 1024, &self_cgroup, NULL) < 0)
                self_cgroup = NULL;
        stage1_join_and_unshare(cfg, sync_fd);
        /* CLONE_PARENT: stage 2 is the agent's child, so the agent reaps it and gets its exit
         * status; with a new pid namespace it is that namespace's pid 1. */
        pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
        if (pid < 0)
                child_fail(sync_fd, errno, "clone the container process");
        if (pid == 0)
                stage2(cfg, sync_fd);
        if (spawn_send(sync_fd, SPAWN_MSG_PID, (int32_t) pid) < 0)
                _exit(1);
        _exit(0);
}

int spawn_start(const struct spawn_config *cfg, pid_t *ret_stage1, int *ret_sync,
                struct agent_error **err)
{
        int sv[2];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return agent_error_set(err, errno, "create sync socket");
        pid = fork();
        if (pid < 0) {
                int e = errno;
                close(sv[0]);
                close(sv[1]);
                return agent_error_set(err, e, "fork");
        }
        if (pid == 0) {
                close(sv[0]);
                stage1(cfg, sv[1]);
        }
        close(sv[1]);
        (void) fd_nonblock(sv[0], true);
        *ret_stage1 = pid;
        *ret_sync = sv[0];
        return 0;
}

int spawn_find_executable(const char *name, char *const *env, size_t n_env, char *buf, size_t size)
{
        const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        int last = -ENOENT;

        if (!name || !*name)
                return -ENOENT;
        if (strchr(name, '/')) {
                if (strlen(name) >= size)
                        return -ENAMETOOLONG;
                strcpy(buf, name);
                return access(buf, X_OK) == 0 ? 0 : -errno;
        }
        for (size_t i = 0; i < n_env; i++)
                if (env[i] && startswith(env[i], "PATH="))
                        path = env[i] + strlen("PATH=");
        while (*path) {
                const char *end = strchrnul(path, ':');
                size_t dlen = (size_t) (end - path);
                struct stat st;

                if (dlen + 2 + strlen(name) < size) {
                        /* An empty PATH entry means the current directory. */
                        if (dlen)
                                snprintf(buf, size, "%.*s/%s", (int) dlen, path, name);
                        else
                                snprintf(buf, size, "./%s", name);
                        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
                                if (access(buf, X_OK) == 0)
                                        return 0;
                                last = -EACCES;
                        }
                }
                path = *end ? end + 1 : end;
        }
        return last;
}
