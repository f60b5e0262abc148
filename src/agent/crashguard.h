/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * PID 1 must never die: when it does, the kernel panics and the pod is gone without a word.
 * As PID 1, cata catches the fatal signals of a crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
 * SIGABRT), writes one critical log line and re-executes itself in place (execve keeps PID 1,
 * the VM and every container process; the new agent reaps them and serves again). After
 * CRASHGUARD_MAX_REEXEC crashes in a row (each within CRASHGUARD_QUIET_S of the last start) it
 * stops trying and parks with every signal blocked, which still keeps the VM up.
 *
 * Only faults count: the same signals sent by another process are ignored, as the kernel ignores
 * them for PID 1 without a handler, except with agent.devmode, where they stand in for a crash so
 * that tests can prove the path (docs/guest.md).
 */

#include <stdbool.h>

#define CRASHGUARD_MAX_REEXEC 5
/* A crash this many seconds after the last (re)start begins a new series. */
#define CRASHGUARD_QUIET_S 60
#define CRASHGUARD_ENV     "CATA_REEXEC_COUNT"

/* Installs the handlers. argv is kept for the re-exec; log_fd is where the line goes. */
void crashguard_install(char **argv, int log_fd, bool dev_mode);

/* How many times this PID 1 re-executed itself after a crash (from CRASHGUARD_ENV). */
unsigned crashguard_reexec_count(void);
