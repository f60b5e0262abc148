/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A bounded TOML reader for configuration files (the Rust agent's agent.config_file).
 *
 * Covers what such files use: comments, bare and quoted keys, basic and literal strings (one
 * line, with TOML's escapes), integers (decimal with `_`, 0x/0o/0b), floats, booleans, arrays,
 * inline tables, [table] and [[array of tables]] headers and dotted keys. Multi-line strings and
 * dates are refused with an error naming the line, never misread. Input is at most
 * TOML_MAX_INPUT bytes, nesting at most TOML_MAX_DEPTH levels and TOML_MAX_VALUES values;
 * duplicate keys are errors.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds keep the parser's cost (linear key lookups) small for any input. */
#define TOML_MAX_INPUT  (64u << 10)
#define TOML_MAX_DEPTH  32
#define TOML_MAX_VALUES 4096

enum toml_type {
        TOML_STRING,
        TOML_INTEGER,
        TOML_FLOAT,
        TOML_BOOL,
        TOML_ARRAY,
        TOML_TABLE,
};

struct toml_table;

struct toml_value {
        enum toml_type type;
        bool table_array; /* an array made by [[header]]s: only those may grow */
        union {
                char *s;
                int64_t i;
                double f;
                bool b;
                struct {
                        struct toml_value **items;
                        size_t n;
                } array;
                struct toml_table *table;
        };
};

struct toml_table {
        char **keys;
        struct toml_value **values;
        size_t n;
        bool defined;  /* by a [header] or a key/value: a second [header] is an error */
        bool implicit; /* only created as the parent of a dotted key or header */
};

/* Parses text (len bytes, NUL bytes refused). Returns 0 with *ret (free with toml_free), or
 * -EINVAL with *ret_error ("line 3: expected `=` after key `a`", malloc'd) or -E2BIG. */
int toml_parse(const char *text, size_t len, struct toml_table **ret, char **ret_error);
void toml_free(struct toml_table *t);

/* The value of key in t (not dotted), or NULL. */
const struct toml_value *toml_get(const struct toml_table *t, const char *key);
const char *toml_type_name(enum toml_type t);
