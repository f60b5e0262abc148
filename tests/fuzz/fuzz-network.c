/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network requests as the host sends them: protobuf decoding of UpdateInterfaceRequest,
 * UpdateRoutesRequest and AddARPNeighborsRequest (the first byte picks which), then every check
 * the agent makes before it talks to the kernel. Nothing is applied.
 */
#include "base/log.h"
#include "network/netspec.h"

#include "agent.pb-c.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

static void check_iface(const uint8_t *data, size_t size)
{
        Grpc__UpdateInterfaceRequest *req =
                grpc__update_interface_request__unpack(NULL, size, data);
        struct agent_error *err = NULL;
        struct netspec_iface spec;

        if (!req)
                return;
        if (req->interface && netspec_check_iface(req->interface, &spec, &err) == 0)
                netspec_iface_done(&spec);
        agent_error_freep(&err);
        grpc__update_interface_request__free_unpacked(req, NULL);
}

static void check_routes(const uint8_t *data, size_t size)
{
        Grpc__UpdateRoutesRequest *req = grpc__update_routes_request__unpack(NULL, size, data);
        struct agent_error *err = NULL;
        struct netspec_route spec;

        if (!req)
                return;
        for (size_t i = 0; req->routes && i < req->routes->n_routes; i++) {
                free(netspec_route_name(req->routes->routes[i]));
                (void) netspec_check_route(req->routes->routes[i], &spec, &err);
                agent_error_freep(&err);
        }
        grpc__update_routes_request__free_unpacked(req, NULL);
}

static void check_neighbors(const uint8_t *data, size_t size)
{
        Grpc__AddARPNeighborsRequest *req =
                grpc__add_arpneighbors_request__unpack(NULL, size, data);
        struct agent_error *err = NULL;
        struct netspec_neigh spec;

        if (!req)
                return;
        for (size_t i = 0; req->neighbors && i < req->neighbors->n_arpneighbors; i++) {
                (void) netspec_check_neigh(req->neighbors->arpneighbors[i], &spec, &err);
                agent_error_freep(&err);
        }
        grpc__add_arpneighbors_request__free_unpacked(req, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        log_set_sink(quiet, NULL);
        if (size < 1)
                return 0;
        switch (data[0] % 3) {
        case 0:
                check_iface(data + 1, size - 1);
                break;
        case 1:
                check_routes(data + 1, size - 1);
                break;
        default:
                check_neighbors(data + 1, size - 1);
                break;
        }
        return 0;
}
