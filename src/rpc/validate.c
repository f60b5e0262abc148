/* SPDX-License-Identifier: Apache-2.0 */
#include "rpc/validate.h"
#include "agent/container.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/cgroup.h"
#include "engine/identity.h"
#include "engine/spawn.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <string.h>

static int check_identity(const Grpc__Process *p, struct agent_error **err)
{
        struct identity *id = NULL;
        int r = identity_new(p, &id, err);

        identity_free(id);
        return r;
}

static int create_container(const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__CreateContainerRequest *req = (const Grpc__CreateContainerRequest *) msg;
        int r = container_validate_request(req, err);

        if (r >= 0 && (r = check_identity(req->oci->process, err)) < 0)
                agent_error_wrap(err, "container `%s`", req->container_id);
        return r;
}

static int exec_process(const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__ExecProcessRequest *req = (const Grpc__ExecProcessRequest *) msg;
        const Grpc__Process *p = req->process;

        if (!p || p->n_args == 0)
                return agent_error_setf(err, EINVAL, "field `process.Args` is empty");
        if (!req->exec_id || !*req->exec_id)
                return agent_error_setf(err, EINVAL, "invalid exec id ``");
        if (p->consolesize &&
            spawn_console_size_check(p->consolesize->height, p->consolesize->width,
                                     "process.ConsoleSize", err) < 0)
                return -EINVAL;
        return check_identity(p, err);
}

static int update_container(const ProtobufCMessage *msg, struct agent_error **err)
{
        return cgroup_resources_check(((const Grpc__UpdateContainerRequest *) msg)->resources, err);
}

static int tty_win_resize(const ProtobufCMessage *msg, struct agent_error **err)
{
        const Grpc__TtyWinResizeRequest *req = (const Grpc__TtyWinResizeRequest *) msg;

        return spawn_console_size_check(req->row, req->column, "row`/`column", err);
}

static int signal_process(const ProtobufCMessage *msg, struct agent_error **err)
{
        uint32_t sig = ((const Grpc__SignalProcessRequest *) msg)->signal;

        if (sig == 0 || sig >= 65)
                return agent_error_setf(err, EINVAL, "invalid signal %u", sig);
        return 0;
}

static int read_stream(const ProtobufCMessage *msg, struct agent_error **err)
{
        if (((const Grpc__ReadStreamRequest *) msg)->len == 0)
                return agent_error_setf(err, EINVAL, "read length must be greater than 0");
        return 0;
}

/* By request type, so a method of the same name in another service never matches. */
static const struct {
        const ProtobufCMessageDescriptor *type;
        int (*check)(const ProtobufCMessage *msg, struct agent_error **err);
} checks[] = {
        { &grpc__create_container_request__descriptor, create_container },
        { &grpc__exec_process_request__descriptor, exec_process },
        { &grpc__update_container_request__descriptor, update_container },
        { &grpc__tty_win_resize_request__descriptor, tty_win_resize },
        { &grpc__signal_process_request__descriptor, signal_process },
        { &grpc__read_stream_request__descriptor, read_stream },
};

/* The container id, when an AgentService request has one at the top (16 of them). */
static int check_container_id(const ProtobufCMessage *msg, struct agent_error **err)
{
        const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "container_id");
        const char *id;

        if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED ||
            !startswith(msg->descriptor->name, "grpc."))
                return 0;
        id = *(char *const *) (const void *) ((const char *) msg + f->offset);
        if (!container_id_valid(id))
                return agent_error_setf(err, EINVAL, "invalid container id `%s`", id ? id : "");
        return 0;
}

int rpc_validate_request(const ProtobufCMessage *msg, struct agent_error **err)
{
        int r = check_container_id(msg, err);

        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(checks); i++)
                if (msg->descriptor == checks[i].type)
                        r = checks[i].check(msg, err);
        return r;
}
