/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/): the parent span a
 * host puts in a ttRPC request's metadata. "00-<32 hex trace id>-<16 hex parent id>-<2 hex
 * flags>", lowercase. A later version may append fields after a dash; version ff is invalid;
 * all-zero ids are invalid.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACEPARENT_LEN 55 /* version 00, and the prefix every version shares */

struct trace_context {
        uint8_t trace_id[16];
        uint8_t span_id[8];
        uint8_t flags;
};

/* Returns 0 or -EINVAL; *ret is untouched on failure. */
int traceparent_parse(const char *s, size_t len, struct trace_context *ret);
/* Writes the version 00 form and a NUL into buf (TRACEPARENT_LEN + 1 bytes). */
void traceparent_format(const struct trace_context *c, char *buf);
