/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What cata-ctl's command handlers share: the context and the call helpers. */

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ctl/ctl-output.h"
#include "ttrpc/client.h"

/* Exit codes: the agent said no (1) versus we could not ask (2). */
enum {
        EXIT_RPC_ERROR = 1,
        EXIT_TRANSPORT = 2,
        EXIT_USAGE = 2,
};

struct ctl_context {
        const char *addr;
        bool json;
        int64_t timeout_ns;
        const char *command;
        struct ttrpc_client *client; /* connected on first use */
        struct ctl_output out;
};

struct ctl_command {
        const char *name;
        const char *args; /* shown in the usage text */
        int min_args;
        int max_args;
        int (*run)(struct ctl_context *ctx, char **args);
        const char *help;
};

int ctl_connect(struct ctl_context *ctx);
int ctl_report_status(struct ctl_context *ctx, const struct ttrpc_status *st);
int ctl_report_transport_error(struct ctl_context *ctx, const char *service, const char *method,
                               int r);
/* One unary call with the context's timeout. Returns 0 with *ret_resp set (NULL resp_desc:
 * none), or an exit code after printing the error. */
int ctl_call(struct ctl_context *ctx, const char *service, const char *method,
             const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
             ProtobufCMessage **ret_resp);

/* WaitProcess with no deadline (as Kata's runtime calls it); *ret_status is the exit code. */
int ctl_wait_process(struct ctl_context *ctx, const char *cid, const char *eid, int *ret_status);

/* Relays a process's stdout/stderr (and stdin when forward_stdin) until EOF, then waits for it.
 * Returns 0 with *ret_status = its exit status, or an exit code. */
int ctl_relay(struct ctl_context *ctx, const char *cid, const char *eid, bool terminal,
              bool forward_stdin, bool wait, int *ret_status);

int ctl_cmd_run(struct ctl_context *ctx, char **args);
int ctl_cmd_create(struct ctl_context *ctx, char **args);
int ctl_cmd_rpc(struct ctl_context *ctx, char **args);
int ctl_cmd_start(struct ctl_context *ctx, char **args);
int ctl_cmd_exec(struct ctl_context *ctx, char **args);
int ctl_cmd_kill(struct ctl_context *ctx, char **args);
int ctl_cmd_wait(struct ctl_context *ctx, char **args);
int ctl_cmd_read(struct ctl_context *ctx, char **args);
int ctl_cmd_pause(struct ctl_context *ctx, char **args);
int ctl_cmd_resume(struct ctl_context *ctx, char **args);
int ctl_cmd_update(struct ctl_context *ctx, char **args);
int ctl_cmd_stats(struct ctl_context *ctx, char **args);
int ctl_cmd_rm(struct ctl_context *ctx, char **args);
int ctl_cmd_iface(struct ctl_context *ctx, char **args);
int ctl_cmd_route(struct ctl_context *ctx, char **args);
int ctl_cmd_arp(struct ctl_context *ctx, char **args);
int ctl_cmd_iptables(struct ctl_context *ctx, char **args);
int ctl_cmd_sandbox(struct ctl_context *ctx, char **args);
int ctl_cmd_oom_events(struct ctl_context *ctx, char **args);
int ctl_cmd_set_time(struct ctl_context *ctx, char **args);
int ctl_cmd_reseed(struct ctl_context *ctx, char **args);
int ctl_cmd_diag(struct ctl_context *ctx, char **args);
int ctl_cmd_copy_file(struct ctl_context *ctx, char **args);
int ctl_cmd_volume_stats(struct ctl_context *ctx, char **args);

/* ctl-devices.c: JSON (field names as in the .proto) to a message; an exit code on error. */
struct Grpc__CreateContainerRequest;
int ctl_message_from_json(const char *text, const ProtobufCMessageDescriptor *d,
                          ProtobufCMessage **ret);
int ctl_create_extras(struct Grpc__CreateContainerRequest *req, char **args);
void ctl_create_extras_free(struct Grpc__CreateContainerRequest *req);
