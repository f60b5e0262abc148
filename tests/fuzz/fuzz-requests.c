/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request-validation path of every RPC, with nothing below it: the first byte picks a
 * method of grpc.AgentService or grpc.Health (all of them, CreateContainer and ExecProcess
 * included), the rest is its payload. It goes through the dispatcher's own decoding (protobuf,
 * strings with a NUL inside) and rpc_validate_request(); the engine is never reached, so
 * requests that would create containers are checked as deep as the agent checks them before
 * acting. Sanitizers catch crashes, leaks and undefined behaviour.
 */
#include "base/log.h"
#include "rpc/dispatch.h"
#include "rpc/validate.h"

#include "agent.pb-c.h"
#include "health.pb-c.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const ProtobufCServiceDescriptor *agent = &grpc__agent_service__descriptor;
        const ProtobufCServiceDescriptor *health = &grpc__health__descriptor;
        const ProtobufCMethodDescriptor *m;
        struct agent_error *err = NULL;
        ProtobufCMessage *msg = NULL;
        unsigned n = agent->n_methods + health->n_methods, pick;
        char field[256];

        if (size == 0)
                return 0;
        log_set_sink(quiet, NULL);
        pick = data[0] % n;
        m = pick < agent->n_methods ? &agent->methods[pick]
                                    : &health->methods[pick - agent->n_methods];
        if (rpc_dispatch_decode(m, data + 1, size - 1, &msg, field, sizeof(field)) < 0)
                return 0;
        (void) rpc_validate_request(msg, &err);
        agent_error_freep(&err);
        protobuf_c_message_free_unpacked(msg, NULL);
        return 0;
}
