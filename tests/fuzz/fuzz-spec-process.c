/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes what the agent converts from a host's OCI spec before forking a container: the
 * identity (capabilities, user, rlimits, oom_score_adj) from Spec.Process and the seccomp filter
 * from Spec.Linux.Seccomp. The input is a serialized grpc.Spec. Nothing is ever applied or
 * loaded. Invariant: each conversion either succeeds with an object and no error, or fails with
 * an error and no object.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/log.h"
#include "engine/identity.h"
#include "engine/seccomp.h"
#include "oci.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

static void check_result(int r, const void *obj, const struct agent_error *err)
{
        if (r == 0 && (!obj || err))
                abort();
        if (r < 0 && (obj || !err || !err->msg || err->errno_ != -r))
                abort();
        if (r > 0)
                abort();
}

static void fuzz_identity(const Grpc__Process *proc)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct identity *id = NULL;
        int r = identity_new(proc, &id, &err);

        check_result(r, id, err);
        identity_free(id);
}

static void fuzz_seccomp(const Grpc__LinuxSeccomp *spec)
{
        _cleanup_error_ struct agent_error *err = NULL;
        struct seccomp_filter *f = NULL;
        int r = seccomp_filter_new(spec, &f, &err);

        check_result(r, f, err);
        seccomp_filter_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Grpc__Spec *spec;

        /* Debug level so the skip logs (unknown syscalls, capabilities) are formatted too. */
        log_set_sink(discard, NULL);
        log_set_level(LOG_LEVEL_TRACE);
        spec = (Grpc__Spec *) protobuf_c_message_unpack(&grpc__spec__descriptor, NULL, size, data);
        if (!spec)
                return 0;
        if (spec->process)
                fuzz_identity(spec->process);
        if (spec->linux && spec->linux->seccomp)
                fuzz_seccomp(spec->linux->seccomp);
        protobuf_c_message_free_unpacked(&spec->base, NULL);
        return 0;
}
