/* SPDX-License-Identifier: Apache-2.0 */
#include "base/toml.h"
#include "base/cleanup.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
        const char *p, *end;
        unsigned line;
        unsigned n_values;
        char *error;
        struct toml_table *root;
        struct toml_table *cur;
};

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *ps, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        if (ps->error)
                return -EINVAL;
        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        ps->error = xasprintf("line %u: %s", ps->line, msg);
        return -EINVAL;
}

static int peek(const struct parser *ps)
{
        return ps->p < ps->end ? (unsigned char) *ps->p : -1;
}

static bool at(const struct parser *ps, const char *s)
{
        size_t n = strlen(s);
        return (size_t) (ps->end - ps->p) >= n && memcmp(ps->p, s, n) == 0;
}

static void skip_blank(struct parser *ps)
{
        while (peek(ps) == ' ' || peek(ps) == '\t')
                ps->p++;
}

static void skip_comment(struct parser *ps)
{
        if (peek(ps) != '#')
                return;
        while (ps->p < ps->end && *ps->p != '\n')
                ps->p++;
}

/* Blanks, comments and newlines (inside arrays, between statements). */
static void skip_space(struct parser *ps)
{
        for (;;) {
                skip_blank(ps);
                skip_comment(ps);
                if (at(ps, "\r\n"))
                        ps->p++;
                if (peek(ps) != '\n')
                        return;
                ps->p++;
                ps->line++;
        }
}

/* After a statement: only blanks and a comment until the end of the line. */
static int end_of_line(struct parser *ps)
{
        skip_blank(ps);
        skip_comment(ps);
        if (at(ps, "\r\n"))
                ps->p++;
        if (ps->p == ps->end)
                return 0;
        if (*ps->p != '\n')
                return fail(ps, "unexpected `%c` after the value", *ps->p);
        ps->p++;
        ps->line++;
        return 0;
}

/* ---- values ---- */

static struct toml_value *value_new(struct parser *ps, enum toml_type type)
{
        struct toml_value *v;

        if (ps->n_values >= TOML_MAX_VALUES) {
                fail(ps, "more than %u values", TOML_MAX_VALUES);
                return NULL;
        }
        ps->n_values++;
        v = xzalloc(sizeof(*v));
        v->type = type;
        if (type == TOML_TABLE)
                v->table = xzalloc(sizeof(*v->table));
        return v;
}

static void value_free(struct toml_value *v);

void toml_free(struct toml_table *t)
{
        if (!t)
                return;
        for (size_t i = 0; i < t->n; i++) {
                free(t->keys[i]);
                value_free(t->values[i]);
        }
        free(t->keys);
        free(t->values);
        free(t);
}

static void value_free(struct toml_value *v)
{
        if (!v)
                return;
        switch (v->type) {
        case TOML_STRING:
                free(v->s);
                break;
        case TOML_ARRAY:
                for (size_t i = 0; i < v->array.n; i++)
                        value_free(v->array.items[i]);
                free(v->array.items);
                break;
        case TOML_TABLE:
                toml_free(v->table);
                break;
        case TOML_INTEGER:
        case TOML_FLOAT:
        case TOML_BOOL:
                break;
        }
        free(v);
}

const struct toml_value *toml_get(const struct toml_table *t, const char *key)
{
        for (size_t i = 0; t && i < t->n; i++)
                if (streq(t->keys[i], key))
                        return t->values[i];
        return NULL;
}

const char *toml_type_name(enum toml_type t)
{
        switch (t) {
        case TOML_STRING:
                return "string";
        case TOML_INTEGER:
                return "integer";
        case TOML_FLOAT:
                return "float";
        case TOML_BOOL:
                return "boolean";
        case TOML_ARRAY:
                return "array";
        case TOML_TABLE:
                return "table";
        }
        return "?";
}

static void table_add(struct toml_table *t, char *key, struct toml_value *v)
{
        t->keys = xrealloc(t->keys, (t->n + 1) * sizeof(*t->keys));
        t->values = xrealloc(t->values, (t->n + 1) * sizeof(*t->values));
        t->keys[t->n] = key;
        t->values[t->n] = v;
        t->n++;
}

static void array_add(struct toml_value *a, struct toml_value *v)
{
        a->array.items = xrealloc(a->array.items, (a->array.n + 1) * sizeof(*a->array.items));
        a->array.items[a->array.n++] = v;
}

/* Appends the UTF-8 encoding of code point cp. */
static int put_utf8(struct parser *ps, uint32_t cp, char **o)
{
        unsigned char *u = (unsigned char *) *o;

        if (cp == 0)
                return fail(ps, "NUL escape in a string (C strings cannot hold it)");
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return fail(ps, "escape U+%04X is not a Unicode scalar value", cp);
        if (cp < 0x80) {
                *u++ = (unsigned char) cp;
        } else if (cp < 0x800) {
                *u++ = (unsigned char) (0xc0 | (cp >> 6));
                *u++ = (unsigned char) (0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
                *u++ = (unsigned char) (0xe0 | (cp >> 12));
                *u++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                *u++ = (unsigned char) (0x80 | (cp & 0x3f));
        } else {
                *u++ = (unsigned char) (0xf0 | (cp >> 18));
                *u++ = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
                *u++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
                *u++ = (unsigned char) (0x80 | (cp & 0x3f));
        }
        *o = (char *) u;
        return 0;
}

static int parse_escape(struct parser *ps, char **o)
{
        static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
        const char *hit;
        uint32_t cp = 0;
        size_t digits;
        int c = peek(ps);

        if (c < 0)
                return fail(ps, "unterminated string");
        ps->p++;
        if (c != 0 && (hit = strchr(from, c))) {
                *(*o)++ = to[hit - from];
                return 0;
        }
        if (c != 'u' && c != 'U')
                return fail(ps, "invalid escape `\\%c`", c);
        digits = c == 'u' ? 4 : 8;
        for (size_t i = 0; i < digits; i++) {
                int h = peek(ps);
                unsigned d;

                if (h >= '0' && h <= '9')
                        d = (unsigned) (h - '0');
                else if (h >= 'a' && h <= 'f')
                        d = (unsigned) (h - 'a' + 10);
                else if (h >= 'A' && h <= 'F')
                        d = (unsigned) (h - 'A' + 10);
                else
                        return fail(ps, "escape `\\%c` needs %zu hex digits", c, digits);
                cp = cp * 16 + d;
                ps->p++;
        }
        return put_utf8(ps, cp, o);
}

/* One-line basic ("...") or literal ('...') string. */
static int parse_string(struct parser *ps, char **ret)
{
        char quote = *ps->p;
        _cleanup_free_ char *out = NULL;
        char *o;
        int r;

        if (at(ps, "\"\"\"") || at(ps, "'''"))
                return fail(ps, "multi-line strings are not supported");
        ps->p++;
        /* Escapes never grow: \uXXXX (6 bytes) is at most 3 bytes of UTF-8, \UXXXXXXXX 4. */
        o = out = xmalloc((size_t) (ps->end - ps->p) + 1);
        for (;;) {
                int c = peek(ps);

                if (c < 0 || c == '\n')
                        return fail(ps, "unterminated string");
                ps->p++;
                if (c == quote)
                        break;
                if (c == '\\' && quote == '"') {
                        r = parse_escape(ps, &o);
                        if (r < 0)
                                return r;
                        continue;
                }
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return fail(ps, "control character 0x%02x in a string", c);
                *o++ = (char) c;
        }
        *o = '\0';
        *ret = TAKE_PTR(out);
        return 0;
}

static bool is_bare(int c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
}

static int parse_simple_key(struct parser *ps, char **ret)
{
        const char *start = ps->p;

        if (peek(ps) == '"' || peek(ps) == '\'')
                return parse_string(ps, ret);
        while (is_bare(peek(ps)))
                ps->p++;
        if (ps->p == start)
                return peek(ps) < 0 || peek(ps) == '\n'
                               ? fail(ps, "expected a key")
                               : fail(ps, "invalid key character `%c`", *ps->p);
        *ret = xstrndup(start, (size_t) (ps->p - start));
        return 0;
}

/* key ( . key )*: fills parts (malloc'd strings, NULL-terminated). */
static int parse_key(struct parser *ps, char ***ret)
{
        char **parts = xzalloc(sizeof(char *));
        size_t n = 0;
        int r;

        for (;;) {
                skip_blank(ps);
                if (n >= TOML_MAX_DEPTH) {
                        strv_free(parts);
                        return fail(ps, "key with more than %u parts", TOML_MAX_DEPTH);
                }
                parts = xrealloc(parts, (n + 2) * sizeof(char *));
                parts[n + 1] = NULL;
                r = parse_simple_key(ps, &parts[n]);
                if (r < 0) {
                        parts[n] = NULL;
                        strv_free(parts);
                        return r;
                }
                n++;
                skip_blank(ps);
                if (peek(ps) != '.')
                        break;
                ps->p++;
        }
        *ret = parts;
        return 0;
}

static bool is_token(int c)
{
        return is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* Checks TOML's digit rules (underscores between digits only) and copies the digits. */
static bool copy_digits(const char *s, size_t n, bool hex_ok, char *out)
{
        bool prev_digit = false;

        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool digit = (c >= '0' && c <= '9') ||
                             (hex_ok && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));

                if (c == '_') {
                        if (!prev_digit || i + 1 == n)
                                return false;
                        prev_digit = false;
                        continue;
                }
                if (!digit)
                        return false;
                prev_digit = true;
                *out++ = c;
        }
        *out = '\0';
        return n > 0;
}

static int parse_integer(struct parser *ps, const char *tok, size_t n, int64_t *ret)
{
        _cleanup_free_ char *digits = xmalloc(n + 2);
        const char *s = tok;
        bool neg = false;
        int base = 10;
        char *end;
        unsigned long long v;

        if (*s == '+' || *s == '-') {
                neg = *s == '-';
                s++;
                n--;
        }
        if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
                if (s != tok)
                        return fail(ps, "a sign before `%.2s`", s);
                base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
                s += 2;
                n -= 2;
        } else if (n > 1 && s[0] == '0') {
                return fail(ps, "leading zeros in `%.*s`", (int) (n + (size_t) (s - tok)), tok);
        }
        if (!copy_digits(s, n, base == 16, digits))
                return fail(ps, "invalid number `%.*s`", (int) (n + (size_t) (s - tok)), tok);
        errno = 0;
        v = strtoull(digits, &end, base);
        if (*end || errno == ERANGE || v > (unsigned long long) INT64_MAX + (neg ? 1 : 0))
                return fail(ps, "number `%s` out of range", tok);
        *ret = neg ? (int64_t) (0 - v) : (int64_t) v;
        return 0;
}

static int parse_float(struct parser *ps, const char *tok, size_t n, double *ret)
{
        _cleanup_free_ char *copy = xmalloc(n + 1);
        const char *s = tok + (*tok == '+' || *tok == '-');
        const char *dot = memchr(tok, '.', n);
        size_t j = 0;
        char *end;

        if (streq(s, "inf") || streq(s, "nan")) {
                *ret = streq(s, "nan") ? NAN : (*tok == '-' ? -INFINITY : INFINITY);
                return 0;
        }
        /* TOML wants digits on both sides of the dot and no leading zeros. */
        if ((dot &&
             (dot == tok || dot[-1] < '0' || dot[-1] > '9' || dot[1] < '0' || dot[1] > '9')) ||
            (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
                return fail(ps, "invalid float `%s`", tok);
        for (size_t i = 0; i < n; i++) {
                if (tok[i] == '_') {
                        if (i == 0 || i + 1 == n || tok[i - 1] < '0' || tok[i - 1] > '9' ||
                            tok[i + 1] < '0' || tok[i + 1] > '9')
                                return fail(ps, "invalid float `%s`", tok);
                        continue;
                }
                if (!strchr("0123456789+-.eE", tok[i]))
                        return fail(ps, "invalid value `%s`", tok);
                copy[j++] = tok[i];
        }
        copy[j] = '\0';
        *ret = strtod(copy, &end);
        if (*end || end == copy)
                return fail(ps, "invalid float `%s`", tok);
        return 0;
}

static int parse_scalar(struct parser *ps, struct toml_value **ret)
{
        const char *start = ps->p;
        _cleanup_free_ char *tok = NULL;
        struct toml_value *v;
        size_t n;
        int r;

        while (is_token(peek(ps)))
                ps->p++;
        n = (size_t) (ps->p - start);
        if (n == 0)
                return peek(ps) < 0 || peek(ps) == '\n' ? fail(ps, "expected a value")
                                                        : fail(ps, "unexpected `%c`", *ps->p);
        tok = xstrndup(start, n);
        if (streq(tok, "true") || streq(tok, "false")) {
                v = value_new(ps, TOML_BOOL);
                if (!v)
                        return -EINVAL;
                v->b = streq(tok, "true");
                *ret = v;
                return 0;
        }
        if (strchr(tok, ':') || (n >= 10 && tok[4] == '-' && tok[7] == '-'))
                return fail(ps, "dates and times are not supported (`%s`)", tok);
        bool is_float = strpbrk(tok, ".eE") && !(n > 2 && tok[0] == '0' && tok[1] == 'x');
        const char *s = tok + (*tok == '+' || *tok == '-');
        if (streq(s, "inf") || streq(s, "nan"))
                is_float = true;
        v = value_new(ps, is_float ? TOML_FLOAT : TOML_INTEGER);
        if (!v)
                return -EINVAL;
        r = is_float ? parse_float(ps, tok, n, &v->f) : parse_integer(ps, tok, n, &v->i);
        if (r < 0) {
                value_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

static int parse_value(struct parser *ps, unsigned depth, struct toml_value **ret);

static int parse_array(struct parser *ps, unsigned depth, struct toml_value **ret)
{
        struct toml_value *a = value_new(ps, TOML_ARRAY), *item;
        int r;

        if (!a)
                return -EINVAL;
        ps->p++; /* [ */
        for (;;) {
                skip_space(ps);
                if (peek(ps) == ']')
                        break;
                r = parse_value(ps, depth + 1, &item);
                if (r < 0) {
                        value_free(a);
                        return r;
                }
                array_add(a, item);
                skip_space(ps);
                if (peek(ps) == ',') {
                        ps->p++;
                        continue;
                }
                if (peek(ps) != ']') {
                        value_free(a);
                        return fail(ps, "expected `,` or `]` in an array");
                }
                break;
        }
        ps->p++; /* ] */
        *ret = a;
        return 0;
}

static int assign(struct parser *ps, struct toml_table *t, char **key, struct toml_value *v);

static int parse_inline_table(struct parser *ps, unsigned depth, struct toml_value **ret)
{
        struct toml_value *tv = value_new(ps, TOML_TABLE), *v;
        char **key;
        int r;

        if (!tv)
                return -EINVAL;
        tv->table->defined = true;
        ps->p++; /* { */
        skip_blank(ps);
        if (peek(ps) == '}') {
                ps->p++;
                *ret = tv;
                return 0;
        }
        for (;;) {
                r = parse_key(ps, &key);
                if (r < 0)
                        goto fail;
                if (peek(ps) != '=') {
                        strv_free(key);
                        r = fail(ps, "expected `=` after a key");
                        goto fail;
                }
                ps->p++;
                skip_blank(ps);
                r = parse_value(ps, depth + 1, &v);
                if (r < 0) {
                        strv_free(key);
                        goto fail;
                }
                r = assign(ps, tv->table, key, v);
                strv_free(key);
                if (r < 0)
                        goto fail;
                skip_blank(ps);
                if (peek(ps) == ',') {
                        ps->p++;
                        continue;
                }
                if (peek(ps) == '}')
                        break;
                r = fail(ps, "expected `,` or `}` in an inline table");
                goto fail;
        }
        ps->p++; /* } */
        *ret = tv;
        return 0;
fail:
        value_free(tv);
        return r;
}

static int parse_value(struct parser *ps, unsigned depth, struct toml_value **ret)
{
        struct toml_value *v;
        int r;

        if (depth > TOML_MAX_DEPTH)
                return fail(ps, "values nested more than %u deep", TOML_MAX_DEPTH);
        switch (peek(ps)) {
        case '"':
        case '\'':
                v = value_new(ps, TOML_STRING);
                if (!v)
                        return -EINVAL;
                r = parse_string(ps, &v->s);
                if (r < 0) {
                        free(v);
                        return r;
                }
                *ret = v;
                return 0;
        case '[':
                return parse_array(ps, depth, ret);
        case '{':
                return parse_inline_table(ps, depth, ret);
        default:
                return parse_scalar(ps, ret);
        }
}

/* ---- tables ---- */

/* The table under key in t, created (implicitly) when absent. For an array of tables, its last
 * element. NULL (with the error set) when key holds something else. */
static struct toml_table *descend(struct parser *ps, struct toml_table *t, const char *key)
{
        struct toml_value *v = (struct toml_value *) toml_get(t, key);

        if (!v) {
                v = value_new(ps, TOML_TABLE);
                if (!v)
                        return NULL;
                v->table->implicit = true;
                table_add(t, xstrdup(key), v);
                return v->table;
        }
        if (v->type == TOML_TABLE)
                return v->table;
        if (v->type == TOML_ARRAY && v->table_array && v->array.n > 0)
                return v->array.items[v->array.n - 1]->table;
        fail(ps, "key `%s` is already a %s, not a table", key, toml_type_name(v->type));
        return NULL;
}

/* Stores v (taken) at the dotted key below t. */
static int assign(struct parser *ps, struct toml_table *t, char **key, struct toml_value *v)
{
        size_t n = strv_len((const char *const *) key);

        for (size_t i = 0; i + 1 < n && t; i++)
                t = descend(ps, t, key[i]);
        if (!t) {
                value_free(v);
                return -EINVAL;
        }
        if (toml_get(t, key[n - 1])) {
                value_free(v);
                return fail(ps, "duplicate key `%s`", key[n - 1]);
        }
        table_add(t, xstrdup(key[n - 1]), v);
        return 0;
}

static int parse_header(struct parser *ps)
{
        bool array = at(ps, "[[");
        struct toml_table *t = ps->root;
        struct toml_value *v;
        char **key;
        size_t n;
        int r;

        ps->p += array ? 2 : 1;
        r = parse_key(ps, &key);
        if (r < 0)
                return r;
        if (!at(ps, array ? "]]" : "]")) {
                strv_free(key);
                return fail(ps, "expected `%s` after a table name", array ? "]]" : "]");
        }
        ps->p += array ? 2 : 1;
        n = strv_len((const char *const *) key);
        for (size_t i = 0; i + 1 < n && t; i++)
                t = descend(ps, t, key[i]);
        if (!t) {
                strv_free(key);
                return -EINVAL;
        }
        v = (struct toml_value *) toml_get(t, key[n - 1]);
        if (array) {
                if (!v) {
                        v = value_new(ps, TOML_ARRAY);
                        if (!v) {
                                strv_free(key);
                                return -EINVAL;
                        }
                        v->table_array = true;
                        table_add(t, xstrdup(key[n - 1]), v);
                } else if (v->type != TOML_ARRAY || !v->table_array) {
                        r = fail(ps, "key `%s` is already a %s", key[n - 1],
                                 toml_type_name(v->type));
                        strv_free(key);
                        return r;
                }
                struct toml_value *elem = value_new(ps, TOML_TABLE);
                if (!elem) {
                        strv_free(key);
                        return -EINVAL;
                }
                elem->table->defined = true;
                array_add(v, elem);
                ps->cur = elem->table;
        } else {
                if (!v) {
                        v = value_new(ps, TOML_TABLE);
                        if (!v) {
                                strv_free(key);
                                return -EINVAL;
                        }
                        table_add(t, xstrdup(key[n - 1]), v);
                } else if (v->type != TOML_TABLE || v->table->defined) {
                        r = fail(ps, "table `%s` defined twice", key[n - 1]);
                        strv_free(key);
                        return r;
                }
                v->table->defined = true;
                v->table->implicit = false;
                ps->cur = v->table;
        }
        strv_free(key);
        return end_of_line(ps);
}

static int parse_statement(struct parser *ps)
{
        struct toml_value *v;
        char **key;
        int r;

        if (peek(ps) == '[')
                return parse_header(ps);
        r = parse_key(ps, &key);
        if (r < 0)
                return r;
        if (peek(ps) != '=') {
                strv_free(key);
                return fail(ps, "expected `=` after a key");
        }
        ps->p++;
        skip_blank(ps);
        r = parse_value(ps, 0, &v);
        if (r < 0) {
                strv_free(key);
                return r;
        }
        r = assign(ps, ps->cur, key, v);
        strv_free(key);
        if (r < 0)
                return r;
        return end_of_line(ps);
}

int toml_parse(const char *text, size_t len, struct toml_table **ret, char **ret_error)
{
        struct parser ps = { .p = text, .end = text + len, .line = 1 };
        int r = 0;

        *ret = NULL;
        if (ret_error)
                *ret_error = NULL;
        if (len > TOML_MAX_INPUT) {
                if (ret_error)
                        *ret_error = xasprintf("larger than %u bytes", TOML_MAX_INPUT);
                return -E2BIG;
        }
        ps.root = ps.cur = xzalloc(sizeof(*ps.root));
        if (memchr(text, '\0', len))
                r = fail(&ps, "NUL byte in the text");
        while (r == 0) {
                skip_space(&ps);
                if (ps.p >= ps.end)
                        break;
                r = parse_statement(&ps);
        }
        if (r < 0) {
                toml_free(ps.root);
                if (ret_error)
                        *ret_error = TAKE_PTR(ps.error);
                free(ps.error);
                return r;
        }
        *ret = ps.root;
        return 0;
}
