/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Small allocation and string helpers.
 *
 * Small allocations abort on failure (the VM is the failure domain, as in crun); every size a
 * host controls is bounded by the caller *before* it reaches these helpers.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static inline bool streq(const char *a, const char *b)
{
        return a && b && __builtin_strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
        return __builtin_strncmp(s, prefix, __builtin_strlen(prefix)) == 0;
}

/* Reads a whole file (at most max bytes; -EFBIG beyond). NUL-terminates. Returns 0 or -errno. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Reads one unsigned integer from a sysfs/procfs-style file. */
int read_u64_file(const char *path, int base, uint64_t *ret);

/* Strict numeric parsing: the whole string must be consumed, no sign for unsigned. */
int parse_u64(const char *s, int base, uint64_t *ret);
int parse_i64(const char *s, int base, int64_t *ret);

/* The current time as RFC 3339 UTC with nanoseconds ("2026-11-22T10:01:24.123456789Z"). */
void rfc3339_now(char *buf, size_t size);

/* Monotonic clock in nanoseconds. */
uint64_t now_ns(void);

/* Sets O_NONBLOCK. */
int fd_nonblock(int fd, bool nonblock);

/* A JSON string literal (with quotes), or `null` for NULL; invalid UTF-8 becomes U+FFFD. */
char *json_quote(const char *s);

/* len bytes of s as a NUL-terminated string with each invalid UTF-8 byte replaced by U+FFFD
 * (what Rust's String::from_utf8_lossy keeps, byte for byte on valid input). */
char *utf8_lossy(const char *s, size_t len);
/* NULL-terminated string vectors (NULL is the empty vector). */
size_t strv_len(const char *const *v);
void strv_free(char **v);
