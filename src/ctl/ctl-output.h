/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * cata-ctl's output: one set of calls that prints either aligned "label: value" text or one JSON
 * object, so a command handler describes its result once.
 *
 *   ctl_out_string(o, "agent_version", "agent version", v);  ->  agent version:      0.1.0
 *                                                             ->  {"agent_version":"0.1.0"}
 *
 * A NULL label prints the bare value in text mode (`check` prints just `SERVING`). Sections nest:
 * in text they indent, in JSON they are objects (or arrays for lists). Keys are ignored inside
 * JSON arrays. Every string from the agent is escaped: JSON escaping (invalid UTF-8 becomes
 * U+FFFD) or, for text, control characters and invalid bytes as \xNN, so an agent cannot send
 * escape sequences to the user's terminal.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_OUTPUT_DEPTH_MAX 16

struct ctl_output {
        FILE *f;
        bool json;
        unsigned depth;                          /* open sections (the JSON root not counted) */
        bool in_array[CTL_OUTPUT_DEPTH_MAX + 1]; /* per level: JSON array rather than object */
        bool has_items[CTL_OUTPUT_DEPTH_MAX + 1];
        bool started; /* JSON: the root '{' is written */
};

void ctl_output_init(struct ctl_output *o, FILE *f, bool json);
/* Closes the JSON root object and flushes. Returns 0, or -EIO when writing failed. */
int ctl_output_finish(struct ctl_output *o);

void ctl_out_begin_section(struct ctl_output *o, const char *key, const char *label);
void ctl_out_begin_list(struct ctl_output *o, const char *key, const char *label);
void ctl_out_end(struct ctl_output *o); /* ends the innermost section or list */

void ctl_out_string(struct ctl_output *o, const char *key, const char *label, const char *value);
void ctl_out_uint(struct ctl_output *o, const char *key, const char *label, uint64_t value);
void ctl_out_int(struct ctl_output *o, const char *key, const char *label, int64_t value);
void ctl_out_bool(struct ctl_output *o, const char *key, const char *label, bool value);
/* Text: "134217728 (128 MiB)"; JSON: a number. */
void ctl_out_size(struct ctl_output *o, const char *key, const char *label, uint64_t bytes);
/* Text: "a, b, c" or "(none)"; JSON: an array of strings. */
void ctl_out_strv(struct ctl_output *o, const char *key, const char *label, char *const *v,
                  size_t n);
/* Lower-case hex; text: "(empty)" when len is 0. */
void ctl_out_hex(struct ctl_output *o, const char *key, const char *label, const uint8_t *data,
                 size_t len);

/* Low-level writers, also used for messages on stderr. */
void ctl_json_write_string(FILE *f, const char *s);
void ctl_text_write_string(FILE *f, const char *s);
