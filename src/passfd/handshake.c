/* SPDX-License-Identifier: Apache-2.0 */
#include "passfd/handshake.h"

#include <errno.h>

int passfd_handshake_parse(const uint8_t *buf, size_t len, uint32_t *port)
{
        uint64_t v = 0;

        for (size_t i = 0; i < len && i < PASSFD_HANDSHAKE_MAX; i++) {
                uint8_t c = buf[i];

                if (c == '\n') {
                        if (i == 0 || v == 0)
                                return -EINVAL;
                        *port = (uint32_t) v;
                        return (int) i + 1;
                }
                if (c < '0' || c > '9' || (i == 0 && c == '0'))
                        return -EINVAL;
                v = v * 10 + (uint64_t) (c - '0');
                if (v > UINT32_MAX)
                        return -EINVAL;
        }
        return len >= PASSFD_HANDSHAKE_MAX ? -EINVAL : 0;
}
