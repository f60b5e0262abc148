/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/crashguard.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char **saved_argv;
static int saved_log_fd = STDERR_FILENO;
static bool saved_dev_mode;
/* Prepared before any crash: nothing may be allocated in the handler. */
static char reexec_env[64];
static char reexec_env_first[64];
static struct timespec started;
static char *reexec_envp[256];
static char alt_stack[64 * 1024];

unsigned crashguard_reexec_count(void)
{
        const char *v = getenv(CRASHGUARD_ENV);

        return v ? (unsigned) strtoul(v, NULL, 10) : 0;
}

static void say(const char *msg)
{
        (void) !write(saved_log_fd, msg, strlen(msg));
}

static void park_forever(void)
{
        sigset_t all;

        sigfillset(&all);
        for (;;)
                sigsuspend(&all);
}

static void on_fatal(int sig, siginfo_t *si, void *ctx)
{
        bool fault = si->si_code > 0 || si->si_pid == getpid();

        (void) ctx;
        if (!fault && !saved_dev_mode)
                return; /* as the kernel does for PID 1 */
        say("{\"msg\":\"fatal signal in PID 1 (SIG");
        say(sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
        say(fault ? ", a fault" : ", sent by a process (agent.devmode)");
        say("); re-executing the agent to keep the VM up\",\"level\":\"CRIT\","
            "\"name\":\"cata-agent\",\"source\":\"agent\",\"subsystem\":\"crashguard\"}\n");
        struct timespec now;
        (void) clock_gettime(CLOCK_MONOTONIC, &now);
        /* A crash after a quiet spell starts a new series. */
        if (now.tv_sec - started.tv_sec > CRASHGUARD_QUIET_S)
                reexec_envp[0] = reexec_env_first;
        else if (crashguard_reexec_count() >= CRASHGUARD_MAX_REEXEC) {
                say("{\"msg\":\"too many crashes in a row; parking PID 1\",\"level\":\"CRIT\","
                    "\"name\":\"cata-agent\",\"source\":\"agent\",\"subsystem\":\"crashguard\"}\n");
                park_forever();
        }
        execve("/proc/self/exe", saved_argv, reexec_envp);
        execve(saved_argv[0], saved_argv, reexec_envp);
        park_forever();
}

static void build_env(void)
{
        size_t n = 0;

        snprintf(reexec_env, sizeof(reexec_env), "%s=%u", CRASHGUARD_ENV,
                 crashguard_reexec_count() + 1);
        snprintf(reexec_env_first, sizeof(reexec_env_first), "%s=1", CRASHGUARD_ENV);
        reexec_envp[n++] = reexec_env;
        for (char **e = environ; e && *e && n + 1 < sizeof(reexec_envp) / sizeof(*reexec_envp); e++)
                if (strncmp(*e, CRASHGUARD_ENV "=", strlen(CRASHGUARD_ENV) + 1) != 0)
                        reexec_envp[n++] = *e;
        reexec_envp[n] = NULL;
}

void crashguard_install(char **argv, int log_fd, bool dev_mode)
{
        static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
        stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof(alt_stack) };
        struct sigaction sa = { .sa_sigaction = on_fatal, .sa_flags = SA_SIGINFO | SA_ONSTACK };

        sigset_t none;

        /* A re-executed agent inherits the handler's mask (everything blocked): start clean,
         * before the loop blocks what it takes through its signalfd. */
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        saved_argv = argv;
        saved_log_fd = log_fd >= 0 ? log_fd : STDERR_FILENO;
        saved_dev_mode = dev_mode;
        build_env();
        (void) clock_gettime(CLOCK_MONOTONIC, &started);
        (void) sigaltstack(&ss, NULL);
        sigfillset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
                (void) sigaction(sigs[i], &sa, NULL);
}
