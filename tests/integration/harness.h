/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Integration harness: starts the real cata-agent binary ($CATA_AGENT_BIN) in a temporary
 * directory, listening on a unix socket, and stops it (SIGTERM, checking it exits 0 and was
 * never killed by a signal). Tests then talk to it with the project's own ttRPC client.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ttrpc/client.h"

struct agent_proc {
        pid_t pid;
        char dir[64];   /* temporary directory, removed at stop */
        char addr[160]; /* unix:///<dir>/agent.sock */
        char log[128];  /* the agent's stderr */
};

/* Starts the agent; extra_args is NULL-terminated (may be NULL); env_extra likewise
 * ("KEY=VALUE" strings added to the environment). cmdline is written to a file passed with
 * --cmdline. Waits until the socket accepts connections. */
void agent_proc_start(struct agent_proc *a, const char *cmdline, const char *const *extra_args,
                      const char *const *env_extra);
/* The same without --addr and without waiting (for tests that choose the address themselves). */
void agent_proc_spawn(struct agent_proc *a, const char *cmdline, const char *const *extra_args,
                      const char *const *env_extra, bool with_addr);
/* Waits until addr accepts a connection. */
void agent_proc_wait_ready(const struct agent_proc *a, const char *addr);
/* VmRSS of the agent in KiB. */
long agent_proc_rss_kib(const struct agent_proc *a);
/* Asserts the agent is still running (never crashed). */
void agent_proc_assert_alive(const struct agent_proc *a);
/* SIGTERM, waits, asserts a clean exit; removes the directory. */
void agent_proc_stop(struct agent_proc *a);
/* Reads the agent's stderr so far (malloc'd). */
char *agent_proc_log(const struct agent_proc *a);

struct ttrpc_client *agent_connect(const struct agent_proc *a);

/* Serialised grpc.Health/Check request envelope helpers for raw-frame tests. */
uint8_t *request_body(const char *service, const char *method, const uint8_t *payload,
                      size_t payload_len, int64_t timeout_ns, size_t *ret_len);
/* Sends a raw frame. */
void send_frame(struct ttrpc_client *c, uint32_t stream_id, uint8_t type, uint8_t flags,
                const uint8_t *body, size_t len);
/* Receives one Response frame; returns its stream id and fills status. */
uint32_t recv_response(struct ttrpc_client *c, int wait_ms, struct ttrpc_status *st);
/* One Health.Check through the high-level call; asserts SERVING. */
void assert_check_ok(struct ttrpc_client *c);

/* Polls for `needle` in the agent's log for up to wait_ms. */
bool agent_log_contains(const struct agent_proc *a, const char *needle, int wait_ms);
