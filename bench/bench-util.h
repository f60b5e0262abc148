/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * What bench-agent, bench-containers and bench-stdio share: their messages and how they die,
 * the statistics, argument parsing, memory from /proc/PID/status, and starting, connecting to
 * and stopping a cata-agent. Only the benchmarks link this.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ttrpc_client;

/* ---- messages ---- */

/* Every message starts with "NAME: "; until this is called, NAME is
 * program_invocation_short_name. */
void bench_set_name(const char *name);

/* What bench_die() runs before it exits, e.g. removing what the benchmark created. It runs once:
 * a bench_die() from inside it exits straight away. */
void bench_set_cleanup(void (*cleanup)(void));

/* A line on stderr, so that stdout carries only the tables. */
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same line, then the cleanup, then exit(1). */
void bench_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* The line of bench_progress(), then a watchdog of seconds for what follows (alarm()). */
void bench_phase(const char *what, unsigned seconds);

/* ---- context printed under every table ---- */

/* The 1, 5 and 15 minute load averages from /proc/loadavg ("2.10 1.95 1.80"), or "?". */
void bench_loadavg(char buf[64]);

/* One line: "Commit C on MACHINE (N CPUs, Linux R); load average B before, A after." C is
 * $CATA_BENCH_COMMIT (the run scripts set it from git), MACHINE the CPU model; before and after
 * are what bench_loadavg() gave when the table's measuring began and ended. */
void bench_print_context(const char *before, const char *after);

/* ---- statistics: both sort v in place ---- */

double bench_median(double *v, unsigned n);

/* Nearest rank: the ceil(0.9 n)-th smallest, a real sample, never an interpolation. */
double bench_p90(double *v, unsigned n);

/* ---- arguments ---- */

/* s as a decimal number: 0, or -EINVAL when it is not one, -ERANGE when not in min..max. */
int bench_parse_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* The same, dying with "NAME must be MIN..MAX, not `S`" when s is not such a number. */
uint64_t bench_parse_num(const char *s, uint64_t min, uint64_t max, const char *name);

/* ---- processes ---- */

/* A wait status of a process that exited with 0; false for -1 (no status). */
bool bench_exited_ok(int status);

/* fork(), dying on failure. The child gets deathsig when the benchmark dies, however that ends,
 * and exits with 125 when the benchmark is already gone. */
pid_t bench_fork(int deathsig);

/* send() of all len bytes, without SIGPIPE. Returns 0 or -errno. */
int bench_send_all(int fd, const void *buf, size_t len);

/* KiB, from VmRSS: and RssAnon:; -1 when the field is not there (a zombie). */
struct bench_mem {
        long rss, anon;
};

/* Reads /proc/PID/status: 0, or -errno with both figures -1. */
int bench_proc_mem(pid_t pid, struct bench_mem *ret);

/* The same, dying with "read /proc/PID/status: ..." when it cannot be read. */
struct bench_mem bench_proc_mem_or_die(pid_t pid);

/* ---- cata-agent ---- */

/* Starts argv[0] (a cata-agent, and its arguments) with stdin on /dev/null, stdout on out_fd (-1:
 * on the log) and stderr on the file log, made afresh. It gets SIGTERM when the benchmark dies:
 * an agent then takes its containers with it. */
pid_t bench_spawn_agent(char *const argv[], const char *log, int out_fd);

/* Connects to addr as soon as the agent *pid listens there, polling. Dies when the agent exits
 * first (*pid is -1 then: it is reaped) or connect() fails in any other way. No deadline: the
 * benchmark's watchdog catches an agent that never listens. */
struct ttrpc_client *bench_connect_agent(const char *addr, volatile pid_t *pid, const char *log);

/* Frees *c (NULL afterwards), then SIGTERM to the agent *pid (-1 afterwards) and waits for it.
 * Returns its wait status; 0 when there was no agent (*pid <= 0). */
int bench_stop_agent(struct ttrpc_client **c, volatile pid_t *pid);

/* On the way out after a failure, from the cleanup: RemoveContainer of id through *c, a fresh
 * connection (the benchmark's own may be in the middle of a call), with a deadline. Nothing when
 * *c is NULL; when the call fails, *c is freed and set to NULL, and the run script removes what
 * is left. */
void bench_cleanup_remove(struct ttrpc_client **c, const char *id);
