/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console of a terminal process: a pty from the runtime's devpts. With --console-socket its
 * master goes to that socket over SCM_RIGHTS (as runc sends it); without one (foreground run and
 * exec only, as in runc and crun) the runtime relays between its own stdio and the master until
 * the process exits, with the caller's terminal in raw mode and its size followed.
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ---- console ---- */

static int console_connect(const char *path, struct agent_error **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return agent_error_setf(err, ENAMETOOLONG, "console socket `%s`: path too long",
                                        path);
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return agent_error_set(err, errno, "console socket `%s`", path);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return agent_error_set(err, e, "connect to console socket `%s`", path);
        }
        return fd;
}

int rt_console_open(const char *socket_path, const Grpc__Process *proc, struct rt_console *con,
                    struct agent_error **err)
{
        char name[64];

        if (socket_path) {
                con->sock = console_connect(socket_path, err);
                if (con->sock < 0)
                        return con->sock;
        }
        con->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (con->master < 0 || grantpt(con->master) < 0 || unlockpt(con->master) < 0 ||
            ptsname_r(con->master, name, sizeof(name)) != 0)
                return agent_error_set(err, errno, "allocate a pty");
        con->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (con->slave < 0)
                return agent_error_set(err, errno, "open pty `%s`", name);
        if (proc->consolesize && proc->consolesize->height && proc->consolesize->width) {
                struct winsize ws = { .ws_row = (unsigned short) proc->consolesize->height,
                                      .ws_col = (unsigned short) proc->consolesize->width };
                (void) ioctl(con->master, TIOCSWINSZ, &ws);
        }
        return 0;
}

/* One message: the pty's name as data, the master as SCM_RIGHTS. */
int rt_console_send(struct rt_console *con, struct agent_error **err)
{
        char name[64] = "/dev/ptmx";
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u = { 0 };
        struct iovec iov;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *cm;

        (void) ptsname_r(con->master, name, sizeof(name));
        iov = (struct iovec){ .iov_base = name, .iov_len = strlen(name) };
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof(u.buf);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &con->master, sizeof(int));
        if (sendmsg(con->sock, &msg, MSG_NOSIGNAL) < 0)
                return agent_error_set(err, errno, "send the pty master to the console socket");
        close_and_reset(&con->master);
        close_and_reset(&con->sock);
        return 0;
}

void rt_console_close(struct rt_console *con)
{
        close_and_reset(&con->sock);
        close_and_reset(&con->master);
        close_and_reset(&con->slave);
}

void rt_stdio_for(const struct rt_console *con, int stdio[3])
{
        for (int i = 0; i < 3; i++) {
                if (con && con->slave >= 0)
                        stdio[i] = con->slave;
                else
                        stdio[i] = fcntl(i, F_GETFD) >= 0 ? i : -1;
        }
}

/* ---- relaying without a console socket ---- */

static int sig_pipe[2] = { -1, -1 };
static volatile pid_t relay_pid;

static void relay_signal(int sig)
{
        int saved = errno;
        unsigned char b = (unsigned char) sig;

        /* SIGCHLD and SIGWINCH are handled in the loop; the others go to the process. */
        if (sig != SIGCHLD && sig != SIGWINCH && relay_pid > 0)
                (void) kill(relay_pid, sig);
        (void) !write(sig_pipe[1], &b, 1);
        errno = saved;
}

static void copy_winsize(int from, int to)
{
        struct winsize ws;

        if (ioctl(from, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
                (void) ioctl(to, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        struct pollfd p = { .fd = fd, .events = POLLOUT };
                        (void) poll(&p, 1, 1000);
                        continue;
                }
                if (n <= 0)
                        return -errno;
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

/* One read from `from` to `to`. 0 at EOF (or EIO: the pty's last slave closed), 1 otherwise. */
static int pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 1;
        if (n <= 0)
                return 0;
        (void) write_all(to, buf, (size_t) n);
        return 1;
}

static void drain(int master)
{
        char buf[16384];
        ssize_t n;

        while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
                if (n > 0)
                        (void) write_all(STDOUT_FILENO, buf, (size_t) n);
}

static bool child_done(pid_t pid, int *status)
{
        pid_t r;

        while ((r = waitpid(pid, status, WNOHANG)) < 0 && errno == EINTR)
                ;
        return r == pid || (r < 0 && errno == ECHILD);
}

int rt_console_relay(int master, pid_t pid)
{
        static const int sigs[] = { SIGCHLD, SIGWINCH, SIGINT,  SIGTERM,
                                    SIGHUP,  SIGQUIT,  SIGUSR1, SIGUSR2 };
        struct sigaction sa = { .sa_handler = relay_signal, .sa_flags = SA_RESTART };
        struct termios saved;
        bool raw = tcgetattr(STDIN_FILENO, &saved) == 0, in_open = true, out_open = true;
        int status = 0;

        if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return rt_wait_child(pid);
        relay_pid = pid;
        for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
                (void) sigaction(sigs[i], &sa, NULL);
        if (raw) {
                struct termios t = saved;

                cfmakeraw(&t);
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &t);
                copy_winsize(STDIN_FILENO, master);
        }
        (void) fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        /* A SIGCHLD between the check and poll() is in the pipe: poll() returns. */
        while (!child_done(pid, &status)) {
                struct pollfd p[3] = {
                        { .fd = out_open ? master : -1, .events = POLLIN },
                        { .fd = sig_pipe[0], .events = POLLIN },
                        { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
                };
                unsigned char got[32];

                if (poll(p, 3, -1) < 0 && errno != EINTR) {
                        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                                ;
                        break;
                }
                /* EIO: every slave is closed, although the process may still run. */
                if (p[0].revents && !pump(master, STDOUT_FILENO))
                        out_open = false;
                if (p[2].revents && !pump(STDIN_FILENO, master))
                        in_open = false;
                if (p[1].revents && read(sig_pipe[0], got, sizeof(got)) > 0 && raw)
                        copy_winsize(STDIN_FILENO, master);
        }
        /* What the process wrote before it exited is still in the pty. */
        drain(master);
        relay_pid = 0;
        if (raw)
                (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        close_and_reset(&sig_pipe[0]);
        close_and_reset(&sig_pipe[1]);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}
