/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CreateSandboxRequest as the host sends it: protobuf decoding, then every check CreateSandbox
 * makes before it touches the guest (ids, hostname, DNS lines, hook path, kernel module names
 * and parameters). Nothing is applied.
 */
#include "base/error.h"
#include "sandbox/sandbox.h"

#include "agent.pb-c.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Grpc__CreateSandboxRequest *req = grpc__create_sandbox_request__unpack(NULL, size, data);
        struct agent_error *err = NULL;

        if (!req)
                return 0;
        (void) sandbox_validate_request(req, &err);
        agent_error_freep(&err);
        grpc__create_sandbox_request__free_unpacked(req, NULL);
        return 0;
}
