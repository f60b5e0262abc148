/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the W3C traceparent parser (a host's ttRPC metadata). An accepted value has non-zero
 * ids and a version other than ff, and formatting what was parsed gives back the value's first
 * 55 characters with version 00: the parser kept every id bit and invented none.
 */
#include "trace/traceparent.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint8_t zero[16];
        struct trace_context c;
        char out[TRACEPARENT_LEN + 1];

        if (traceparent_parse((const char *) data, size, &c) < 0)
                return 0;
        if (size < TRACEPARENT_LEN || !memcmp(c.trace_id, zero, 16) || !memcmp(c.span_id, zero, 8))
                abort();
        if (data[0] == 'f' && data[1] == 'f')
                abort();
        traceparent_format(&c, out);
        if (strlen(out) != TRACEPARENT_LEN || memcmp(out + 2, data + 2, TRACEPARENT_LEN - 2))
                abort();
        return 0;
}
