/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes rootfs_parse_options(), the parser of Spec.Mounts[].options.
 *
 * The input is split on NUL bytes and commas into options (empty ones included: the parser must
 * skip them). Afterwards the invariants the mount code relies on are checked and a violation
 * aborts: data is absent or a comma-joined list of non-empty items within one page, propagation
 * is one of the eight kernel values, and parsing the data again yields exactly the same data and
 * no flags (every data item is an option the table does not know).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "base/util.h"
#include "engine/rootfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OPTIONS_MAX 1024

/* Splits the NUL-terminated buf in place on sep characters; returns the number of items. */
static size_t split(char *buf, size_t len, const char *sep, char **items, size_t max)
{
        size_t n = 0;
        char *start = buf;

        for (size_t i = 0; i <= len && n < max; i++) {
                if (i == len || strchr(sep, buf[i])) {
                        buf[i] = '\0';
                        items[n++] = start;
                        start = buf + i + 1;
                }
        }
        return n;
}

static bool propagation_valid(unsigned long p)
{
        static const unsigned long types[] = { MS_PRIVATE, MS_SHARED, MS_SLAVE, MS_UNBINDABLE };

        if (p == 0)
                return true;
        p &= ~(unsigned long) MS_REC;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (p == types[i])
                        return true;
        return false;
}

static void check_data(const char *d)
{
        size_t len;

        if (!d)
                return;
        len = strlen(d);
        if (len == 0 || len > 4095 || d[0] == ',' || d[len - 1] == ',' || strstr(d, ",,"))
                abort();
}

/* Parsing the data again must give it back unchanged, with no flags. */
static void check_reparse(const char *d)
{
        char *copy, **items, *again = NULL;
        unsigned long flags, propagation;
        size_t n;

        if (!d)
                return;
        copy = xstrdup(d);
        items = xmalloc((strlen(d) + 1) * sizeof(char *));
        n = split(copy, strlen(copy), ",", items, strlen(d) + 1);
        if (rootfs_parse_options(items, n, &flags, &propagation, &again) != 0 || flags != 0 ||
            propagation != 0 || !again || strcmp(again, d) != 0)
                abort();
        free(again);
        free(items);
        free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf, **options, *d = NULL;
        unsigned long flags = 0, propagation = 0;
        size_t n;
        int r;

        buf = xmalloc(size + 1);
        memcpy(buf, data, size);
        buf[size] = '\0';
        options = xmalloc(OPTIONS_MAX * sizeof(char *));
        /* A NUL inside the input separates too: strchr(sep, '\0') matches the terminator. */
        n = split(buf, size, ",", options, OPTIONS_MAX);

        r = rootfs_parse_options(options, n, &flags, &propagation, &d);
        if (r == 0) {
                if ((flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) ||
                    !propagation_valid(propagation))
                        abort();
                check_data(d);
                check_reparse(d);
        } else if (r != -E2BIG || d) {
                abort();
        }

        free(d);
        free(options);
        free(buf);
        return 0;
}
