/* SPDX-License-Identifier: Apache-2.0 */
/* cata-ctl's generic `rpc` command and the JSON messages `create` takes for storages and
 * devices. */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl-pbjson.h"
#include "ctl/ctl.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_message_from_json(const char *text, const ProtobufCMessageDescriptor *d,
                          ProtobufCMessage **ret)
{
        json_error_t jerr;
        json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        char why[512];
        int r;

        *ret = NULL;
        if (!json_is_object(j)) {
                fprintf(stderr, "cata-ctl: `%s`: not a JSON object%s%s\n", text, j ? "" : ": ",
                        j ? "" : jerr.text);
                json_decref(j);
                return EXIT_USAGE;
        }
        r = ctl_pbjson_parse(d, j, ret, "", why, sizeof(why));
        json_decref(j);
        if (r < 0) {
                if (*ret)
                        protobuf_c_message_free_unpacked(*ret, NULL);
                *ret = NULL;
                fprintf(stderr, "cata-ctl: %s\n", why);
                return EXIT_USAGE;
        }
        return 0;
}

/* Any AgentService method with its request as JSON (field names as in the .proto); the
 * response is printed the same way. */
int ctl_cmd_rpc(struct ctl_context *ctx, char **args)
{
        const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(
                &grpc__agent_service__descriptor, args[0]);
        ProtobufCMessage *req = NULL, *resp = NULL;
        int r;

        if (!m) {
                fprintf(stderr, "cata-ctl: rpc: no method `%s` in grpc.AgentService\n", args[0]);
                return EXIT_USAGE;
        }
        r = ctl_message_from_json(args[1] ? args[1] : "{}", m->input, &req);
        if (r != 0)
                return r;
        r = ctl_call(ctx, "grpc.AgentService", m->name, req, m->output, &resp);
        protobuf_c_message_free_unpacked(req, NULL);
        if (r != 0)
                return r;
        if (m->output != &google__protobuf__empty__descriptor)
                ctl_pbjson_out(&ctx->out, resp);
        else
                ctl_out_string(&ctx->out, "status", "status", "OK");
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

/* `storage=JSON` and `device=JSON` arguments of `create` into the request. */
int ctl_create_extras(Grpc__CreateContainerRequest *req, char **args)
{
        for (; *args; args++) {
                ProtobufCMessage *m = NULL;
                int r;

                if (startswith(*args, "storage=")) {
                        r = ctl_message_from_json(*args + 8, &grpc__storage__descriptor, &m);
                        if (r != 0)
                                return r;
                        req->storages =
                                xrealloc(req->storages, (req->n_storages + 1) * sizeof(void *));
                        req->storages[req->n_storages++] = (Grpc__Storage *) m;
                } else if (startswith(*args, "device=")) {
                        r = ctl_message_from_json(*args + 7, &grpc__device__descriptor, &m);
                        if (r != 0)
                                return r;
                        req->devices =
                                xrealloc(req->devices, (req->n_devices + 1) * sizeof(void *));
                        req->devices[req->n_devices++] = (Grpc__Device *) m;
                } else {
                        fprintf(stderr,
                                "cata-ctl: create: unknown argument `%s` (storage=JSON or "
                                "device=JSON)\n",
                                *args);
                        return EXIT_USAGE;
                }
        }
        return 0;
}

void ctl_create_extras_free(Grpc__CreateContainerRequest *req)
{
        for (size_t i = 0; i < req->n_storages; i++)
                protobuf_c_message_free_unpacked(&req->storages[i]->base, NULL);
        for (size_t i = 0; i < req->n_devices; i++)
                protobuf_c_message_free_unpacked(&req->devices[i]->base, NULL);
        free(req->storages);
        free(req->devices);
}
