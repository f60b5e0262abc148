/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ttRPC frame decoder and envelope decoding, fed in chunks whose sizes come from the input
 * itself, so partial headers and bodies at every offset are exercised. Invariants checked: every
 * byte is consumed, frames never exceed the limit, and a frame's body has its announced length.
 */
#include "base/util.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"
#include "ttrpc.pb-c.h"

#include <stdlib.h>

/* The replay main is declared in replay.c; libFuzzer provides its own. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frame(const struct ttrpc_frame *f)
{
        struct ttrpc_status st = { 0 };
        uint8_t *payload = NULL;
        size_t plen = 0;

        if (f->header.length > TTRPC_MESSAGE_LENGTH_MAX)
                abort();
        if (f->header.type == TTRPC_TYPE_REQUEST) {
                Ttrpc__Request *r = ttrpc__request__unpack(NULL, f->header.length, f->body);
                if (r)
                        ttrpc__request__free_unpacked(r, NULL);
        } else if (ttrpc_response_decode(f->body, f->header.length, &st, &payload, &plen) == 0) {
                free(payload);
                ttrpc_status_done(&st);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct ttrpc_decoder d;
        size_t off = 0;
        /* Small limit so the oversize path is reachable with small inputs. */
        uint32_t max = size ? (uint32_t) (data[0] % 64) + 1 : 1;

        ttrpc_decoder_init(&d, max);
        while (off < size) {
                size_t chunk = (data[off] % 17) + 1, used;
                enum ttrpc_decode_event ev;
                struct ttrpc_frame f;

                if (chunk > size - off)
                        chunk = size - off;
                used = ttrpc_decoder_feed(&d, data + off, chunk, &ev, &f);
                if (used == 0 && ev == TTRPC_DECODE_NEED_MORE)
                        abort();
                off += used;
                if (ev == TTRPC_DECODE_FRAME) {
                        check_frame(&f);
                        free(f.body);
                }
        }
        ttrpc_decoder_done(&d);
        return 0;
}
