/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the config.json reader and writer.
 *
 * Every input either fails with a message or yields a spec that survives the trip back:
 * spec_to_json() must succeed (the strings came from JSON, so they are UTF-8), its text must
 * parse again, both specs must pack to the same protobuf bytes, and writing the copy must give
 * the same text. A violation aborts, which the fuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/util.h"
#include "oci/spec-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *pack(const Grpc__Spec *spec, size_t *len)
{
        uint8_t *buf;

        *len = protobuf_c_message_get_packed_size(&spec->base);
        buf = xmalloc(*len);
        if (protobuf_c_message_pack(&spec->base, buf) != *len)
                abort();
        return buf;
}

static void check_same(const Grpc__Spec *a, const Grpc__Spec *b)
{
        size_t alen, blen;
        _cleanup_free_ uint8_t *abuf = pack(a, &alen);
        _cleanup_free_ uint8_t *bbuf = pack(b, &blen);

        if (alen != blen || memcmp(abuf, bbuf, alen) != 0)
                abort();
}

static void check_round_trip(const Grpc__Spec *spec)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_(spec_freep) Grpc__Spec *back = NULL;
        _cleanup_free_ char *text = spec_to_json(spec);
        _cleanup_free_ char *again = NULL;

        if (!text)
                abort();
        if (spec_from_json(text, strlen(text), &back, &err) < 0)
                abort();
        check_same(spec, back);
        again = spec_to_json(back);
        if (!again || strcmp(text, again) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_error_ struct agent_error *err = NULL;
        _cleanup_(spec_freep) Grpc__Spec *spec = NULL;
        int r;

        r = spec_from_json((const char *) data, size, &spec, &err);
        if (r < 0) {
                /* A failure always explains itself and builds nothing. */
                if (spec || !err || !err->msg || err->errno_ != -r)
                        abort();
                return 0;
        }
        if (!spec || err)
                abort();
        check_round_trip(spec);
        return 0;
}
