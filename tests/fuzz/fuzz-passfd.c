/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the passfd port announcement (the first bytes of a unix passfd stream). An accepted
 * announcement is exactly the port in canonical decimal and a newline; every shorter prefix of
 * it asks for more bytes; and feeding the input byte by byte, as the agent reads it, ends with
 * the same answer as parsing it whole.
 */
#include "passfd/handshake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint32_t port = 0, again = 0;
        int r = passfd_handshake_parse(data, size, &port);
        int step = 0;
        size_t i;

        if (r > 0) {
                char canon[16];
                int n = snprintf(canon, sizeof(canon), "%u\n", port);

                if (port == 0 || (size_t) r > size || r != n || memcmp(canon, data, (size_t) n))
                        abort();
                for (int k = 0; k < r; k++)
                        if (passfd_handshake_parse(data, (size_t) k, &again) != 0)
                                abort();
        } else if (r == 0 && size >= PASSFD_HANDSHAKE_MAX) {
                abort();
        }
        /* The agent's way: one byte more per call until the parser decides. */
        for (i = 1; i <= size; i++) {
                step = passfd_handshake_parse(data, i, &again);
                if (step != 0)
                        break;
        }
        if (size > 0 && step != r)
                abort();
        if (r > 0 && again != port)
                abort();
        return 0;
}
