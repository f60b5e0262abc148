/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl/ctl-output.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Text mode: values start in this column so a block of fields lines up. */
#define LABEL_COLUMN 26

/* Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 when s starts an invalid one
 * (overlong forms, surrogates and values above U+10FFFF included). Never reads past a NUL. */
static size_t utf8_len(const unsigned char *s)
{
        unsigned char c = s[0], lo = 0x80, hi = 0xBF;
        size_t need;

        if (c < 0x80)
                return 1;
        if (c < 0xC2)
                return 0;
        if (c < 0xE0) {
                need = 1;
        } else if (c < 0xF0) {
                need = 2;
                lo = c == 0xE0 ? 0xA0 : 0x80;
                hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c < 0xF5) {
                need = 3;
                lo = c == 0xF0 ? 0x90 : 0x80;
                hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
                return 0;
        }
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i <= need; i++)
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
        return need + 1;
}

static const char *json_short_escape(unsigned char c)
{
        switch (c) {
        case '"':
                return "\\\"";
        case '\\':
                return "\\\\";
        case '\b':
                return "\\b";
        case '\f':
                return "\\f";
        case '\n':
                return "\\n";
        case '\r':
                return "\\r";
        case '\t':
                return "\\t";
        default:
                return NULL;
        }
}

void ctl_json_write_string(FILE *f, const char *s)
{
        const unsigned char *p = (const unsigned char *) (s ? s : "");

        fputc('"', f);
        while (*p) {
                const char *esc = json_short_escape(*p);
                size_t n;

                if (esc) {
                        fputs(esc, f);
                        p++;
                } else if (*p < 0x20 || *p == 0x7f) {
                        fprintf(f, "\\u%04x", *p);
                        p++;
                } else if ((n = utf8_len(p)) > 0) {
                        fwrite(p, 1, n, f);
                        p += n;
                } else {
                        /* JSON must be valid Unicode; the bad byte becomes U+FFFD. */
                        fputs("\\ufffd", f);
                        p++;
                }
        }
        fputc('"', f);
}

/* C1 controls (U+0080..U+009F) act as escape sequences on some terminals, like C0 ones. */
static bool is_c1_control(const unsigned char *p, size_t n)
{
        return n == 2 && p[0] == 0xC2 && p[1] < 0xA0;
}

void ctl_text_write_string(FILE *f, const char *s)
{
        const unsigned char *p = (const unsigned char *) (s ? s : "");

        while (*p) {
                size_t n = utf8_len(p);

                if (*p == '\n' || *p == '\t' || (*p >= 0x20 && *p < 0x7f)) {
                        fputc(*p, f);
                        p++;
                } else if (n > 1 && !is_c1_control(p, n)) {
                        fwrite(p, 1, n, f);
                        p += n;
                } else {
                        fprintf(f, "\\x%02x", *p);
                        p++;
                }
        }
}

void ctl_output_init(struct ctl_output *o, FILE *f, bool json)
{
        memset(o, 0, sizeof(*o));
        o->f = f;
        o->json = json;
}

static void json_prefix(struct ctl_output *o, const char *key)
{
        if (!o->started) {
                fputc('{', o->f);
                o->started = true;
        }
        if (o->has_items[o->depth])
                fputc(',', o->f);
        o->has_items[o->depth] = true;
        if (!o->in_array[o->depth]) {
                ctl_json_write_string(o->f, key ? key : "");
                fputc(':', o->f);
        }
}

static void text_prefix(struct ctl_output *o, const char *label)
{
        int width = (int) o->depth * 2;

        fprintf(o->f, "%*s", width, "");
        if (o->in_array[o->depth]) {
                fputs("- ", o->f);
                width += 2;
        }
        if (!label)
                return;
        fprintf(o->f, "%s:", label);
        width += (int) strlen(label) + 1;
        fprintf(o->f, "%*s", width < LABEL_COLUMN ? LABEL_COLUMN - width : 1, "");
}

static void begin(struct ctl_output *o, const char *key, const char *label, bool array)
{
        assert(o->depth < CTL_OUTPUT_DEPTH_MAX);
        if (o->json) {
                json_prefix(o, key);
                fputc(array ? '[' : '{', o->f);
        } else {
                text_prefix(o, NULL);
                if (label)
                        fprintf(o->f, "%s:", label);
                fputc('\n', o->f);
        }
        o->depth++;
        o->in_array[o->depth] = array;
        o->has_items[o->depth] = false;
}

void ctl_out_begin_section(struct ctl_output *o, const char *key, const char *label)
{
        begin(o, key, label, false);
}

void ctl_out_begin_list(struct ctl_output *o, const char *key, const char *label)
{
        begin(o, key, label, true);
}

void ctl_out_end(struct ctl_output *o)
{
        assert(o->depth > 0);
        if (o->json)
                fputc(o->in_array[o->depth] ? ']' : '}', o->f);
        o->depth--;
}

int ctl_output_finish(struct ctl_output *o)
{
        while (o->depth > 0)
                ctl_out_end(o);
        if (o->json) {
                if (!o->started)
                        fputc('{', o->f);
                fputs("}\n", o->f);
                o->started = false;
                o->has_items[0] = false;
        }
        if (fflush(o->f) != 0 || ferror(o->f))
                return -EIO;
        return 0;
}

void ctl_out_string(struct ctl_output *o, const char *key, const char *label, const char *value)
{
        if (o->json) {
                json_prefix(o, key);
                ctl_json_write_string(o->f, value);
                return;
        }
        text_prefix(o, label);
        ctl_text_write_string(o->f, value);
        fputc('\n', o->f);
}

/* Numbers and booleans: text and JSON print the same token. */
static void out_token(struct ctl_output *o, const char *key, const char *label, const char *tok)
{
        if (o->json)
                json_prefix(o, key);
        else
                text_prefix(o, label);
        fputs(tok, o->f);
        if (!o->json)
                fputc('\n', o->f);
}

void ctl_out_uint(struct ctl_output *o, const char *key, const char *label, uint64_t value)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIu64, value);
        out_token(o, key, label, buf);
}

void ctl_out_int(struct ctl_output *o, const char *key, const char *label, int64_t value)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRId64, value);
        out_token(o, key, label, buf);
}

void ctl_out_bool(struct ctl_output *o, const char *key, const char *label, bool value)
{
        if (o->json)
                out_token(o, key, label, value ? "true" : "false");
        else
                out_token(o, key, label, value ? "yes" : "no");
}

void ctl_out_size(struct ctl_output *o, const char *key, const char *label, uint64_t bytes)
{
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        uint64_t scale = 1;
        size_t i = 0;
        char buf[64];

        if (o->json || bytes < 1024) {
                ctl_out_uint(o, key, label, bytes);
                return;
        }
        while (i + 1 < sizeof(units) / sizeof(units[0]) && bytes / scale >= 1024 * 1024) {
                scale *= 1024;
                i++;
        }
        scale *= 1024;
        if (bytes % scale == 0)
                snprintf(buf, sizeof(buf), "%" PRIu64 " (%" PRIu64 " %s)", bytes, bytes / scale,
                         units[i]);
        else
                snprintf(buf, sizeof(buf), "%" PRIu64 " (%.1f %s)", bytes,
                         (double) bytes / (double) scale, units[i]);
        out_token(o, key, label, buf);
}

void ctl_out_strv(struct ctl_output *o, const char *key, const char *label, char *const *v,
                  size_t n)
{
        if (o->json) {
                ctl_out_begin_list(o, key, label);
                for (size_t i = 0; i < n; i++)
                        ctl_out_string(o, NULL, NULL, v[i]);
                ctl_out_end(o);
                return;
        }
        text_prefix(o, label);
        if (n == 0)
                fputs("(none)", o->f);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        fputs(", ", o->f);
                ctl_text_write_string(o->f, v[i]);
        }
        fputc('\n', o->f);
}

void ctl_out_hex(struct ctl_output *o, const char *key, const char *label, const uint8_t *data,
                 size_t len)
{
        if (o->json) {
                json_prefix(o, key);
                fputc('"', o->f);
        } else {
                text_prefix(o, label);
                if (len == 0)
                        fputs("(empty)", o->f);
        }
        for (size_t i = 0; i < len; i++)
                fprintf(o->f, "%02x", data[i]);
        fputs(o->json ? "\"" : "\n", o->f);
}
