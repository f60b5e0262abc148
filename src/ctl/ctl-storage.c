/* SPDX-License-Identifier: Apache-2.0 */
/* cata-ctl copy-file and volume-stats. */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl.h"

#include "agent.pb-c.h"
#include "csi.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The chunk Kata's runtime sends (grpcMaxDataSize), well below ttRPC's 4 MiB message limit. */
#define COPY_CHUNK (1024 * 1024)

static int copy_send(struct ctl_context *ctx, Grpc__CopyFileRequest *req)
{
        return ctl_call(ctx, "grpc.AgentService", "CopyFile", &req->base, NULL, NULL);
}

/* A regular file in chunks of offset + data, as the runtime does; the agent renames it into
 * place once file_size bytes arrived. An empty file is one request. */
static int copy_regular(struct ctl_context *ctx, const char *src, Grpc__CopyFileRequest *req,
                        uint64_t *ret_sent)
{
        _cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *buf = xmalloc(COPY_CHUNK);
        int64_t offset = 0;
        int r;

        if (fd < 0) {
                fprintf(stderr, "cata-ctl: copy-file: open `%s`: %s\n", src, strerror(errno));
                return EXIT_USAGE;
        }
        do {
                ssize_t n = read(fd, buf, COPY_CHUNK);
                if (n < 0) {
                        fprintf(stderr, "cata-ctl: copy-file: read `%s`: %s\n", src,
                                strerror(errno));
                        return EXIT_USAGE;
                }
                if ((n == 0 && req->file_size > 0) || offset + n > req->file_size) {
                        fprintf(stderr,
                                "cata-ctl: copy-file: `%s` changed size while being copied\n", src);
                        return EXIT_USAGE;
                }
                req->offset = offset;
                req->data.data = buf;
                req->data.len = (size_t) n;
                r = copy_send(ctx, req);
                if (r != 0)
                        return r;
                offset += n;
        } while (offset < req->file_size);
        *ret_sent = (uint64_t) offset;
        return 0;
}

int ctl_cmd_copy_file(struct ctl_context *ctx, char **args)
{
        Grpc__CopyFileRequest req = GRPC__COPY_FILE_REQUEST__INIT;
        char target[PATH_MAX];
        uint64_t sent = 0;
        struct stat st;
        int r = 0;

        if (lstat(args[0], &st) < 0) {
                fprintf(stderr, "cata-ctl: copy-file: `%s`: %s\n", args[0], strerror(errno));
                return EXIT_USAGE;
        }
        req.path = args[1];
        req.dir_mode = 0750; /* the runtime's DirMode */
        req.file_mode = st.st_mode;
        req.uid = (int32_t) st.st_uid;
        req.gid = (int32_t) st.st_gid;
        if (S_ISREG(st.st_mode)) {
                req.file_size = st.st_size;
                r = copy_regular(ctx, args[0], &req, &sent);
        } else if (S_ISLNK(st.st_mode)) {
                ssize_t n = readlink(args[0], target, sizeof(target) - 1);
                if (n < 0) {
                        fprintf(stderr, "cata-ctl: copy-file: readlink `%s`: %s\n", args[0],
                                strerror(errno));
                        return EXIT_USAGE;
                }
                req.data.data = (uint8_t *) target;
                req.data.len = (size_t) n;
                r = copy_send(ctx, &req);
        } else if (S_ISDIR(st.st_mode)) {
                r = copy_send(ctx, &req);
        } else {
                fprintf(stderr, "cata-ctl: copy-file: `%s`: unsupported file type %#o\n", args[0],
                        (unsigned) (st.st_mode & S_IFMT));
                return EXIT_USAGE;
        }
        if (r != 0)
                return r;
        ctl_out_string(&ctx->out, "path", "path", args[1]);
        ctl_out_size(&ctx->out, "bytes", "bytes", sent);
        return 0;
}

static void out_usage(struct ctl_output *o, const Grpc__VolumeUsage *u)
{
        const char *unit = u->unit == GRPC__VOLUME_USAGE__UNIT__BYTES    ? "bytes"
                           : u->unit == GRPC__VOLUME_USAGE__UNIT__INODES ? "inodes"
                                                                         : "unknown";

        ctl_out_begin_section(o, unit, unit);
        ctl_out_uint(o, "total", "total", u->total);
        ctl_out_uint(o, "used", "used", u->used);
        ctl_out_uint(o, "available", "available", u->available);
        ctl_out_end(o);
}

int ctl_cmd_volume_stats(struct ctl_context *ctx, char **args)
{
        Grpc__VolumeStatsRequest req = GRPC__VOLUME_STATS_REQUEST__INIT;
        Grpc__VolumeStatsResponse *resp = NULL;
        int r;

        req.volume_guest_path = args[0];
        r = ctl_call(ctx, "grpc.AgentService", "GetVolumeStats", &req.base,
                     &grpc__volume_stats_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        for (size_t i = 0; i < resp->n_usage; i++)
                out_usage(&ctx->out, resp->usage[i]);
        if (resp->volume_condition) {
                ctl_out_bool(&ctx->out, "abnormal", "abnormal", resp->volume_condition->abnormal);
                ctl_out_string(&ctx->out, "message", "condition", resp->volume_condition->message);
        }
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}
