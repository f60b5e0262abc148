/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct tracer;
struct loop;

/* Queues one span's JSON (trace.c): length-prefixed, bounded, sent when the sink takes it. */
void tracer_enqueue(struct tracer *t, const char *json, size_t len);

static inline uint64_t be64_read(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
                v = v << 8 | p[i];
        return v;
}

static inline void be64_write(uint8_t *p, uint64_t v)
{
        for (int i = 7; i >= 0; i--) {
                p[i] = (uint8_t) v;
                v >>= 8;
        }
}
