/* SPDX-License-Identifier: Apache-2.0 */
#include "network/iptables.h"
#include "agent/agent.h"
#include "agent/command.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "rpc/call.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

struct iptables_job {
        struct list_node waiters; /* the one parked call */
        struct command *cmd;
        bool set;
        char program[64];
};

static const char *find_program(const char *name, char buf[64])
{
        static const char *const dirs[] = { IPTABLES_DIRS };

        for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
                snprintf(buf, 64, "%s/%s", dirs[i], name);
                if (access(buf, X_OK) == 0)
                        return buf;
        }
        /* The first candidate, so the error names where it was expected. */
        snprintf(buf, 64, "%s/%s", dirs[0], name);
        return buf;
}

static void reply_ok(struct rpc_call *call, bool set, const struct command_result *res)
{
        ProtobufCBinaryData data = { res->out_len, (uint8_t *) res->out };

        if (set) {
                Grpc__SetIPTablesResponse resp = GRPC__SET_IPTABLES_RESPONSE__INIT;
                resp.data = data;
                rpc_call_reply(call, &resp.base);
        } else {
                Grpc__GetIPTablesResponse resp = GRPC__GET_IPTABLES_RESPONSE__INIT;
                resp.data = data;
                rpc_call_reply(call, &resp.base);
        }
}

/* Why a run failed, with the program's own stderr (trailing newline dropped). */
static int run_error(const struct iptables_job *job, const struct command_result *res,
                     struct agent_error **err)
{
        int len = (int) res->err_len;

        while (len > 0 && (res->err[len - 1] == '\n' || res->err[len - 1] == '\r'))
                len--;
        if (res->timed_out)
                return agent_error_setf(err, ETIMEDOUT, "`%s` killed after %llu s", job->program,
                                        IPTABLES_TIMEOUT_NS / 1000000000ull);
        if (res->overflow)
                return agent_error_setf(err, EFBIG, "`%s`: output exceeds %u bytes", job->program,
                                        IPTABLES_OUTPUT_MAX);
        if (WIFSIGNALED(res->status))
                return agent_error_setf(err, EIO, "`%s` killed by signal %d: %.*s", job->program,
                                        WTERMSIG(res->status), len, res->err);
        return agent_error_setf(err, EIO, "`%s` failed (exit status %d): %.*s", job->program,
                                WEXITSTATUS(res->status), len, res->err);
}

static void job_done(const struct command_result *res, void *userdata)
{
        struct iptables_job *job = userdata;
        struct rpc_call *call = rpc_call_from_park_node(job->waiters.next);
        _cleanup_error_ struct agent_error *err = NULL;
        bool ok = !res->timed_out && !res->overflow && WIFEXITED(res->status) &&
                  WEXITSTATUS(res->status) == 0;

        if (ok) {
                reply_ok(call, job->set, res);
        } else {
                run_error(job, res, &err);
                log_warn("%s", err->msg);
                rpc_call_reply_error(call, err);
        }
        free(job);
}

static void job_cancel(struct rpc_call *call, void *data)
{
        struct iptables_job *job = data;

        (void) call;
        command_abandon(job->cmd);
        free(job);
}

static int run(struct agent *a, struct rpc_call *call, bool set, const char *name, const void *in,
               size_t in_len, struct agent_error **err)
{
        struct iptables_job *job = xzalloc(sizeof(*job));
        const char *argv[5] = { find_program(name, job->program), NULL };
        int r;

        if (set) {
                argv[1] = "--wait";
                argv[2] = IPTABLES_RESTORE_WAIT_SEC;
        }
        list_init(&job->waiters);
        job->set = set;
        struct command_spec spec = { .argv = argv,
                                     .in = in,
                                     .in_len = in_len,
                                     .out_max = IPTABLES_OUTPUT_MAX,
                                     .timeout_ns = IPTABLES_TIMEOUT_NS };
        r = command_start(a, &spec, job_done, job, &job->cmd, err);
        if (r < 0) {
                if (job->cmd)
                        command_abandon(job->cmd);
                free(job);
                return r;
        }
        r = rpc_call_park(call, &job->waiters, job_cancel, job, err);
        if (r < 0) {
                command_abandon(job->cmd);
                free(job);
        }
        return r;
}

int iptables_get(struct agent *a, struct rpc_call *call, bool v6, struct agent_error **err)
{
        return run(a, call, false, v6 ? "ip6tables-save" : "iptables-save", NULL, 0, err);
}

int iptables_set(struct agent *a, struct rpc_call *call, bool v6, const void *data, size_t len,
                 struct agent_error **err)
{
        return run(a, call, true, v6 ? "ip6tables-restore" : "iptables-restore", data, len, err);
}
