/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/console.h"
#include "agent/agent.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "ttrpc/address.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct console {
        char *addr;
        int listen_fd;
        struct loop_io *io;
        pid_t tty_supervisor;
};

static struct console *console_get(struct agent *a)
{
        if (!a->console) {
                a->console = xzalloc(sizeof(*a->console));
                a->console->listen_fd = -EBADF;
        }
        return a->console;
}

void console_set_address(struct agent *a, const char *addr)
{
        struct console *c = console_get(a);

        free(c->addr);
        c->addr = addr ? xstrdup(addr) : NULL;
}

const char *console_find_shell(void)
{
        static const char *const shells[] = { "/bin/bash", "/bin/sh" };

        for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
                if (access(shells[i], X_OK) == 0)
                        return shells[i];
        return NULL;
}

/* The agent blocks signals for its signalfd; children must start with a clean slate. */
static void child_reset_signals(void)
{
        sigset_t all;

        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < NSIG; s++)
                (void) signal(s, SIG_DFL);
}

/* In the shell's process: the pty slave becomes its controlling terminal and stdio. */
static void __attribute__((noreturn)) exec_shell_on(int tty_fd, const char *shell)
{
        (void) setsid();
        (void) ioctl(tty_fd, TIOCSCTTY, 0);
        (void) dup2(tty_fd, STDIN_FILENO);
        (void) dup2(tty_fd, STDOUT_FILENO);
        (void) dup2(tty_fd, STDERR_FILENO);
        if (tty_fd > STDERR_FILENO)
                (void) close(tty_fd);
        (void) setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 0);
        execl(shell, shell, "-i", (char *) NULL);
        _exit(127);
}

/* Copies what is readable on `from` to `to`; false at EOF or error. */
static bool relay_once(int from, int to)
{
        char buf[4096];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n <= 0)
                return n < 0 && errno == EINTR;
        for (ssize_t off = 0; off < n;) {
                ssize_t w = write(to, buf + off, (size_t) (n - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                off += w;
        }
        return true;
}

/* Runs in a forked helper: pty + shell, then relays until either side ends. */
static void __attribute__((noreturn)) console_session(int sock, const char *shell)
{
        int master, slave;
        pid_t pid;

        child_reset_signals();
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
                _exit(1);
        slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                _exit(1);
        pid = fork();
        if (pid < 0)
                _exit(1);
        if (pid == 0) {
                (void) close(sock);
                (void) close(master);
                exec_shell_on(slave, shell);
        }
        (void) close(slave);
        (void) fd_nonblock(sock, false);
        for (;;) {
                struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
                                       { .fd = master, .events = POLLIN } };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents && !relay_once(sock, master))
                        break;
                if (p[1].revents && !relay_once(master, sock))
                        break;
        }
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        _exit(0);
}

/* A forked helper must not hold the agent's descriptors: an exclusive one (a virtio-serial
 * port) would stay open in it and the agent could never reopen it (EBUSY). */
static void close_agent_fds(int keep)
{
        if (keep > 3)
                (void) close_range(3, (unsigned) keep - 1, 0);
        (void) close_range(keep >= 3 ? (unsigned) keep + 1 : 3, ~0U, 0);
}

static void console_accept_cb(struct loop_io *io, uint32_t events, void *userdata)
{
        struct console *c = userdata;
        const char *shell = console_find_shell();
        _cleanup_close_ int fd = -EBADF;
        pid_t pid;

        (void) io;
        (void) events;
        fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return;
        if (!shell) {
                static const char msg[] = "cata-agent: no shell (/bin/bash, /bin/sh) found\n";
                (void) !write(fd, msg, sizeof(msg) - 1);
                return;
        }
        pid = fork();
        if (pid < 0) {
                log_warn("debug console: fork failed: %s", strerror(errno));
                return;
        }
        if (pid == 0) {
                close_agent_fds(fd);
                console_session(TAKE_FD(fd), shell);
        }
        log_info("debug console session started (pid %d)", (int) pid);
}

/* A supervisor child keeps a shell on /dev/console, restarting it when it exits. */
static void __attribute__((noreturn)) console_tty_supervisor(const char *shell)
{
        close_agent_fds(-1);
        child_reset_signals();
        for (;;) {
                int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
                pid_t pid;

                if (fd >= 0 && (pid = fork()) == 0)
                        exec_shell_on(fd, shell);
                if (fd >= 0) {
                        (void) close(fd);
                        (void) waitpid(-1, NULL, 0);
                }
                sleep(1);
        }
}

static int console_start_tty(struct console *c, const char *shell, struct agent_error **err)
{
        pid_t pid = fork();

        if (pid < 0)
                return agent_error_set(err, errno, "debug console: fork");
        if (pid == 0)
                console_tty_supervisor(shell);
        c->tty_supervisor = pid;
        log_info("debug console on `/dev/console` with `%s`", shell);
        return 0;
}

int console_start(struct agent *a, struct agent_error **err)
{
        struct console *c = console_get(a);
        const char *shell;
        struct address addr;
        char derived[64];
        int r;

        if (!c->addr && !a->config.debug_console)
                return 0;
        shell = console_find_shell();
        if (!c->addr && a->config.debug_console_vport == 0) {
                if (!shell) {
                        log_warn("debug console requested but no shell found");
                        return 0;
                }
                return console_start_tty(c, shell, err);
        }
        if (!c->addr) {
                snprintf(derived, sizeof(derived), "vsock://-1:%u", a->config.debug_console_vport);
                c->addr = xstrdup(derived);
        }
        if (address_parse(c->addr, &addr) < 0 || addr.kind == ADDRESS_SERIAL)
                return agent_error_setf(err, EINVAL, "invalid debug console address `%s`", c->addr);
        r = address_listen(&addr, 4);
        if (r < 0)
                return agent_error_set(err, -r, "debug console: listen on `%s`", c->addr);
        c->listen_fd = r;
        r = loop_add_io(a->loop, c->listen_fd, EPOLLIN, console_accept_cb, c, &c->io);
        if (r < 0)
                return agent_error_set(err, -r, "debug console: watch listener");
        log_info("debug console listening on `%s`", c->addr);
        return 0;
}

void console_stop(struct agent *a)
{
        struct console *c = a->console;

        if (!c)
                return;
        if (c->tty_supervisor > 0)
                (void) kill(c->tty_supervisor, SIGKILL);
        loop_io_free(c->io);
        close_and_reset(&c->listen_fd);
        free(c->addr);
        free(c);
        a->console = NULL;
}
