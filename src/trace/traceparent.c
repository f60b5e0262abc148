/* SPDX-License-Identifier: Apache-2.0 */
#include "trace/traceparent.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1; /* uppercase is invalid in traceparent */
}

/* Decodes 2n lowercase hex digits into n bytes; returns whether any byte is non-zero, or -1. */
static int hex_bytes(const char *s, uint8_t *out, size_t n)
{
        int nonzero = 0;

        for (size_t i = 0; i < n; i++) {
                int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -1;
                out[i] = (uint8_t) (hi << 4 | lo);
                nonzero |= out[i] != 0;
        }
        return nonzero;
}

int traceparent_parse(const char *s, size_t len, struct trace_context *ret)
{
        struct trace_context c;
        uint8_t version;

        if (len < TRACEPARENT_LEN || s[2] != '-' || s[35] != '-' || s[52] != '-')
                return -EINVAL;
        if (hex_bytes(s, &version, 1) < 0 || version == 0xff)
                return -EINVAL;
        /* Version 00 is exactly 55 characters; a later one may only add "-..." after them. */
        if ((version == 0 && len != TRACEPARENT_LEN) ||
            (len > TRACEPARENT_LEN && s[TRACEPARENT_LEN] != '-'))
                return -EINVAL;
        if (hex_bytes(s + 3, c.trace_id, 16) <= 0 || hex_bytes(s + 36, c.span_id, 8) <= 0 ||
            hex_bytes(s + 53, &c.flags, 1) < 0)
                return -EINVAL;
        *ret = c;
        return 0;
}

void traceparent_format(const struct trace_context *c, char *buf)
{
        char *p = buf;

        p += sprintf(p, "00-");
        for (size_t i = 0; i < 16; i++)
                p += sprintf(p, "%02x", c->trace_id[i]);
        *p++ = '-';
        for (size_t i = 0; i < 8; i++)
                p += sprintf(p, "%02x", c->span_id[i]);
        sprintf(p, "-%02x", c->flags);
}
