/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CreateContainerRequest as the host sends it: protobuf decoding, then every check and
 * conversion the agent makes before it forks anything (request validation, namespace names,
 * cgroup path rules, mount options, process identity, seccomp compilation). Nothing is applied.
 */
#include "agent/container.h"
#include "base/log.h"
#include "engine/cgroup.h"
#include "engine/identity.h"
#include "engine/rootfs.h"
#include "engine/seccomp.h"
#include "engine/spawn.h"

#include "agent.pb-c.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

static void check_spec(const Grpc__Spec *s)
{
        struct agent_error *err = NULL;
        struct identity *id = NULL;
        struct seccomp_filter *sc = NULL;

        for (size_t i = 0; i < s->n_mounts; i++) {
                unsigned long flags, prop;
                char *opts = NULL;
                if (rootfs_parse_options(s->mounts[i]->options, s->mounts[i]->n_options, &flags,
                                         &prop, &opts) == 0)
                        free(opts);
        }
        if (s->linux) {
                char *path = NULL;
                for (size_t i = 0; i < s->linux->n_namespaces; i++)
                        (void) spawn_ns_from_name(s->linux->namespaces[i]->type);
                if (s->linux->cgroupspath &&
                    cgroup_path_normalize(s->linux->cgroupspath, &path) == 0)
                        free(path);
                if (s->linux->seccomp && seccomp_filter_new(s->linux->seccomp, &sc, &err) == 0)
                        seccomp_filter_free(sc);
                agent_error_freep(&err);
        }
        if (s->process && identity_new(s->process, &id, &err) == 0)
                identity_free(id);
        agent_error_freep(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Grpc__CreateContainerRequest *req;
        struct agent_error *err = NULL;

        log_set_sink(quiet, NULL);
        req = grpc__create_container_request__unpack(NULL, size, data);
        if (!req)
                return 0;
        if (container_validate_request(req, &err) == 0 && req->oci)
                check_spec(req->oci);
        agent_error_freep(&err);
        grpc__create_container_request__free_unpacked(req, NULL);
        return 0;
}
