/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whole-request dispatch: the input is a byte stream a client sends to the real server code (a
 * session on a socketpair inside the real event loop), delivered in chunks of at most 143 bytes
 * so partial reads happen everywhere. Replies are drained and checked to be well-formed frames.
 * Sanitizers catch the rest; the session is closed at the end, so parked calls get cancelled.
 */
#include "agent/agent.h"
#include "base/log.h"
#include "base/util.h"
#include "event/loop.h"
#include "rpc/call.h"
#include "rpc/dispatch.h"
#include "ttrpc/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Anything that would create processes, mounts or cgroups, write files, or change the machine's
 * network, clock or random pool, or bring hardware up (hotplug, swap), stays out of the fuzzer's
 * reach (fuzz-create, fuzz-sandbox, fuzz-storage and fuzz-network cover those requests' checks);
 * the rest (routing, decoding, lookups of unknown containers, listing) runs for real. */
static bool fuzz_policy(const char *service, const char *method)
{
        static const char *const blocked[] = {
                "CreateContainer", "ExecProcess",  "UpdateInterface",       "UpdateRoutes",
                "AddARPNeighbors", "SetIPTables",  "GetIPTables",           "CreateSandbox",
                "DestroySandbox",  "CopyFile",     "UpdateEphemeralMounts", "SetGuestDateTime",
                "ReseedRandomDev", "OnlineCPUMem", "MemHotplugByProbe",     "AddSwap",
                "AddSwapPath",     "ResizeVolume",
        };

        (void) service;
        for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
                if (streq(method, blocked[i]))
                        return false;
        return true;
}

static void quiet(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

static void drain_replies(int fd, struct ttrpc_decoder *d)
{
        uint8_t buf[65536];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0) {
                size_t off = 0;
                while (off < (size_t) n) {
                        enum ttrpc_decode_event ev;
                        struct ttrpc_frame f;
                        off += ttrpc_decoder_feed(d, buf + off, (size_t) n - off, &ev, &f);
                        if (ev == TTRPC_DECODE_OVERSIZE)
                                abort(); /* the server never sends oversize frames */
                        if (ev == TTRPC_DECODE_FRAME) {
                                /* Only Responses, on the Request's own id (even 0,
                                 * which gets its INVALID_ARGUMENT there). */
                                if (f.header.type != TTRPC_TYPE_RESPONSE)
                                        abort();
                                free(f.body);
                        }
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct agent agent = { 0 };
        struct rpc_session *s = NULL;
        struct ttrpc_decoder dec;
        struct loop *loop;
        int sv[2];
        size_t off = 0;

        log_set_sink(quiet, NULL);
        rpc_dispatch_set_policy(fuzz_policy);
        if (loop_new(&loop) < 0)
                abort();
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                abort();
        agent.loop = loop;
        list_init(&agent.sessions);
        list_init(&agent.containers);
        if (rpc_session_new(loop, &agent, sv[0], NULL, NULL, &s) < 0)
                abort();
        ttrpc_decoder_init(&dec, TTRPC_MESSAGE_LENGTH_MAX);
        while (off < size) {
                size_t chunk = size - off < 143 ? size - off : 143;
                ssize_t n = write(sv[1], data + off, chunk);
                if (n > 0)
                        off += (size_t) n;
                (void) loop_run_once(loop, 0);
                drain_replies(sv[1], &dec);
        }
        for (int i = 0; i < 4; i++) {
                (void) loop_run_once(loop, 0);
                drain_replies(sv[1], &dec);
        }
        rpc_session_free(s);
        (void) loop_run_once(loop, 0);
        close(sv[1]);
        ttrpc_decoder_done(&dec);
        loop_free(loop);
        return 0;
}
