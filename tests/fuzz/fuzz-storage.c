/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The storage checks the host's input meets before anything is mounted or written. The first
 * byte picks the message: 0 a CopyFileRequest (CopyFile's path, type, size and offset checks),
 * anything else a CreateContainerRequest whose storages go through every storage check and
 * option parser. Nothing is applied.
 */
#include "base/log.h"
#include "storage/storage.h"

#include "agent.pb-c.h"

#include <stdlib.h>

#define RUN_DIR "/run/kata-containers"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

static void check_copy(const uint8_t *data, size_t size)
{
        Grpc__CopyFileRequest *req = grpc__copy_file_request__unpack(NULL, size, data);
        struct agent_error *err = NULL;

        if (!req)
                return;
        (void) storage_copy_check(req, RUN_DIR "/shared/containers", &err);
        agent_error_freep(&err);
        grpc__copy_file_request__free_unpacked(req, NULL);
}

static void check_options(const Grpc__Storage *s)
{
        uint64_t pagesize, pages;
        uint32_t v;
        char *clean;

        (void) storage_hugepages(s->options, s->n_options, &pagesize, &pages);
        (void) storage_option_fsgid(s->options, s->n_options, &v);
        (void) storage_option_mode(s->options, s->n_options, &v);
        (void) storage_path_below(s->source, RUN_DIR);
        clean = storage_path_clean(s->mount_point);
        free(clean);
}

static void check_storages(const uint8_t *data, size_t size)
{
        Grpc__CreateContainerRequest *req =
                grpc__create_container_request__unpack(NULL, size, data);
        struct agent_error *err = NULL;

        if (!req)
                return;
        (void) storage_check_list(req->storages, req->n_storages, RUN_DIR, req->container_id, &err);
        agent_error_freep(&err);
        for (size_t i = 0; i < req->n_storages; i++)
                check_options(req->storages[i]);
        grpc__create_container_request__free_unpacked(req, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        log_set_sink(quiet, NULL);
        if (size == 0)
                return 0;
        if (data[0] == 0)
                check_copy(data + 1, size - 1);
        else
                check_storages(data + 1, size - 1);
        return 0;
}
