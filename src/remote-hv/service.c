/* SPDX-License-Identifier: Apache-2.0 */
#include "remote-hv/service.h"
#include "rpc/dispatch.h"
#include "version.h"

#include "hypervisor.pb-c.h"

#include <errno.h>

static struct service_conn *conn_of(const struct rpc_call *call)
{
        return call->session->context;
}

static int check_id(const char *id, struct agent_error **err)
{
        if (!vm_id_valid(id))
                return agent_error_setf(err, EINVAL,
                                        "field `id`: not a valid sandbox id (1 to %d of "
                                        "[A-Za-z0-9._-], not starting with `.`)",
                                        VM_ID_MAX);
        return 0;
}

static int find_vm(const struct rpc_call *call, const char *id, struct vm **ret,
                   struct agent_error **err)
{
        int r = check_id(id, err);

        if (r < 0)
                return r;
        *ret = vm_find(conn_of(call)->hv, id);
        if (!*ret)
                return agent_error_setf(err, ENOENT, "no VM for sandbox `%s`", id);
        return 0;
}

static int service_create_vm(struct rpc_call *call, const ProtobufCMessage *msg,
                             struct agent_error **err)
{
        const Hypervisor__CreateVMRequest *req = (const Hypervisor__CreateVMRequest *) msg;
        Hypervisor__CreateVMResponse resp = HYPERVISOR__CREATE_VMRESPONSE__INIT;
        struct vm *vm;
        int r = check_id(req->id, err);

        if (r < 0)
                return r;
        /* Annotations (vCPUs, memory, machine type) and the network namespace are not used:
         * every guest gets the service's configured size, and Kata's remote type runs with
         * internetworking_model "none". */
        r = vm_create(conn_of(call)->hv, req->id, &vm, err);
        if (r < 0)
                return r;
        resp.agentsocketpath = vm->agent_socket;
        rpc_call_reply(call, &resp.base);
        return 0;
}

static int service_start_vm(struct rpc_call *call, const ProtobufCMessage *msg,
                            struct agent_error **err)
{
        const Hypervisor__StartVMRequest *req = (const Hypervisor__StartVMRequest *) msg;
        struct vm *vm;
        int r = find_vm(call, req->id, &vm, err);

        if (r < 0)
                return r;
        return vm_start(vm, conn_of(call)->peer_pid, call, err);
}

static int service_stop_vm(struct rpc_call *call, const ProtobufCMessage *msg,
                           struct agent_error **err)
{
        const Hypervisor__StopVMRequest *req = (const Hypervisor__StopVMRequest *) msg;
        struct vm *vm;
        int r = find_vm(call, req->id, &vm, err);

        if (r < 0)
                return r;
        return vm_stop(vm, call, err);
}

static int service_version(struct rpc_call *call, const ProtobufCMessage *msg,
                           struct agent_error **err)
{
        Hypervisor__VersionResponse resp = HYPERVISOR__VERSION_RESPONSE__INIT;

        (void) msg;
        (void) err;
        resp.version = (char *) "cata-remote-hv " CATA_VERSION;
        rpc_call_reply(call, &resp.base);
        return 0;
}

static const struct rpc_service services[] = {
        { "hypervisor.Hypervisor", &hypervisor__hypervisor__descriptor },
};

static const struct rpc_method methods[] = {
        { "hypervisor.Hypervisor", "CreateVM", service_create_vm },
        { "hypervisor.Hypervisor", "StartVM", service_start_vm },
        { "hypervisor.Hypervisor", "StopVM", service_stop_vm },
        { "hypervisor.Hypervisor", "Version", service_version },
};

const struct rpc_registry service_registry = {
        .services = services,
        .n_services = sizeof(services) / sizeof(services[0]),
        .methods = methods,
        .n_methods = sizeof(methods) / sizeof(methods[0]),
};
