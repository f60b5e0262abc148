/* SPDX-License-Identifier: Apache-2.0 */
/* cata-ctl set-time, reseed and diag: the guest-wide RPCs. */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl.h"

#include "agent.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

/* set-time [SEC [USEC]]: the host's clock when no time is given, as the runtime sends it. */
int ctl_cmd_set_time(struct ctl_context *ctx, char **args)
{
        Grpc__SetGuestDateTimeRequest req = GRPC__SET_GUEST_DATE_TIME_REQUEST__INIT;
        struct timeval now;

        gettimeofday(&now, NULL);
        req.sec = now.tv_sec;
        req.usec = now.tv_usec;
        if ((args[0] && parse_i64(args[0], 10, &req.sec) < 0) ||
            (args[0] && args[1] && parse_i64(args[1], 10, &req.usec) < 0)) {
                fprintf(stderr, "cata-ctl: set-time: expected SEC [USEC] as integers\n");
                return EXIT_USAGE;
        }
        if (args[0] && !args[1])
                req.usec = 0;
        return ctl_call(ctx, "grpc.AgentService", "SetGuestDateTime", &req.base, NULL, NULL);
}

/* reseed FILE: FILE's bytes (at most 4 KiB, "-" is stdin) into the guest's random pool. */
int ctl_cmd_reseed(struct ctl_context *ctx, char **args)
{
        Grpc__ReseedRandomDevRequest req = GRPC__RESEED_RANDOM_DEV_REQUEST__INIT;
        uint8_t buf[4096];
        FILE *f = streq(args[0], "-") ? stdin : fopen(args[0], "re");
        size_t n;

        if (!f) {
                perror("cata-ctl: reseed");
                return EXIT_USAGE;
        }
        n = fread(buf, 1, sizeof(buf), f);
        if (f != stdin)
                fclose(f);
        req.data.data = buf;
        req.data.len = n;
        return ctl_call(ctx, "grpc.AgentService", "ReseedRandomDev", &req.base, NULL, NULL);
}

/* diag ID: the container's termination log. */
int ctl_cmd_diag(struct ctl_context *ctx, char **args)
{
        Grpc__GetDiagnosticDataRequest req = GRPC__GET_DIAGNOSTIC_DATA_REQUEST__INIT;
        Grpc__GetDiagnosticDataResponse *resp = NULL;
        int r;

        req.log_type = (char *) "termination_log";
        req.container_id = args[0];
        r = ctl_call(ctx, "grpc.AgentService", "GetDiagnosticData", &req.base,
                     &grpc__get_diagnostic_data_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        ctl_out_string(&ctx->out, "data", "termination log", resp->data);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}
