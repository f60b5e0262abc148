/* SPDX-License-Identifier: Apache-2.0 */
/* Process RPCs (ExecProcess, SignalProcess, WaitProcess) and the stdio RPCs. */
#include "agent/agent.h"
#include "agent/container.h"
#include "rpc/dispatch.h"

#include "agent.pb-c.h"

#include <errno.h>

struct container *rpc_lookup_container(struct rpc_call *call, const char *id,
                                       struct agent_error **err);

static struct process *lookup_process(struct rpc_call *call, const char *cid, const char *eid,
                                      struct agent_error **err)
{
        struct container *c = rpc_lookup_container(call, cid, err);
        struct process *p;

        if (!c)
                return NULL;
        p = process_find(c, eid);
        if (!p)
                agent_error_setf(err, ENOENT, "process `%s` not found in container `%s`",
                                 eid && *eid ? eid : "init", cid);
        return p;
}

int rpc_exec_process(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__ExecProcessRequest *req = (const Grpc__ExecProcessRequest *) msg;
        const Grpc__Box *box = req->process ? req->process->consolesize : NULL;
        struct container *c;

        if (box &&
            spawn_console_size_check(box->height, box->width, "process.ConsoleSize", err) < 0)
                return -EINVAL;
        c = rpc_lookup_container(call, req->container_id, err);
        return c ? process_exec(c, call, err) : -ENOENT;
}

int rpc_signal_process(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__SignalProcessRequest *req = (const Grpc__SignalProcessRequest *) msg;
        struct container *c = rpc_lookup_container(call, req->container_id, err);
        int r;

        if (!c)
                return -ENOENT;
        r = process_signal(c, req->exec_id, req->signal, err);
        if (r >= 0)
                rpc_call_reply(call, NULL);
        return r;
}

int rpc_wait_process(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__WaitProcessRequest *req = (const Grpc__WaitProcessRequest *) msg;
        struct process *p = lookup_process(call, req->container_id, req->exec_id, err);

        return p ? process_wait(p, call, err) : -ENOENT;
}

static int read_stream(struct rpc_call *call, const ProtobufCMessage *msg, bool stderr_stream,
                       struct agent_error **err)
{
        const Grpc__ReadStreamRequest *req = (const Grpc__ReadStreamRequest *) msg;
        struct process *p = lookup_process(call, req->container_id, req->exec_id, err);

        return p ? stdio_read(&p->stdio, stderr_stream, call, req->len, err) : -ENOENT;
}

int rpc_read_stdout(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        return read_stream(call, msg, false, err);
}

int rpc_read_stderr(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        return read_stream(call, msg, true, err);
}

int rpc_write_stdin(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__WriteStreamRequest *req = (const Grpc__WriteStreamRequest *) msg;
        struct process *p = lookup_process(call, req->container_id, req->exec_id, err);

        return p ? stdio_write(&p->stdio, call, req->data.data, req->data.len, err) : -ENOENT;
}

int rpc_close_stdin(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__CloseStdinRequest *req = (const Grpc__CloseStdinRequest *) msg;
        struct process *p = lookup_process(call, req->container_id, req->exec_id, err);
        int r;

        if (!p)
                return -ENOENT;
        r = stdio_close_stdin(&p->stdio, err);
        if (r >= 0)
                rpc_call_reply(call, NULL);
        return r;
}

int rpc_tty_win_resize(struct rpc_call *call, const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__TtyWinResizeRequest *req = (const Grpc__TtyWinResizeRequest *) msg;
        struct process *p = lookup_process(call, req->container_id, req->exec_id, err);
        int r;

        if (!p)
                return -ENOENT;
        r = stdio_resize(&p->stdio, req->row, req->column, err);
        if (r >= 0)
                rpc_call_reply(call, NULL);
        return r;
}
