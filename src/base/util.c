/* SPDX-License-Identifier: Apache-2.0 */
#include "base/util.h"
#include "base/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
        static const char m[] = "cata: out of memory\n";
        (void) !write(STDERR_FILENO, m, sizeof(m) - 1);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xzalloc(size_t n)
{
        void *p = calloc(1, n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s)
{
        char *r = strdup(s ? s : "");
        if (!r)
                oom();
        return r;
}

char *xstrndup(const char *s, size_t n)
{
        char *r = strndup(s, n);
        if (!r)
                oom();
        return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
        char *r;
        if (vasprintf(&r, fmt, ap) < 0)
                oom();
        return r;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *r;

        va_start(ap, fmt);
        r = xvasprintf(fmt, ap);
        va_end(ap);
        return r;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = max < 4096 ? max : 4096;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* One spare byte past max: reading into it proves the file is too big. */
        buf = xmalloc(cap + 2);
        for (;;) {
                ssize_t n;

                if (len > max)
                        return -EFBIG;
                if (len >= cap && cap < max) {
                        cap = cap * 2 > max ? max : cap * 2;
                        buf = xrealloc(buf, cap + 2);
                }
                n = read(fd, buf + len, cap + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_u64_file(const char *path, int base, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        size_t len;
        int r;

        r = read_file(path, 4096, &s, &len);
        if (r < 0)
                return r;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                s[--len] = '\0';
        return parse_u64(s, base, ret);
}

int parse_u64(const char *s, int base, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno)
                return -errno;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_i64(const char *s, int base, int64_t *ret)
{
        char *end;
        long long v;

        if (!s || !*s || *s == ' ' || *s == '+')
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, base);
        if (errno)
                return -errno;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

void rfc3339_now(char *buf, size_t size)
{
        struct timespec ts;
        struct tm tm;
        char date[32];

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        (void) gmtime_r(&ts.tv_sec, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%09ldZ", date, ts.tv_nsec);
}

uint64_t now_ns(void)
{
        struct timespec ts;
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

int fd_nonblock(int fd, bool nonblock)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return -errno;
        fl = nonblock ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
        if (fcntl(fd, F_SETFL, fl) < 0)
                return -errno;
        return 0;
}

static size_t utf8_len(const unsigned char *s)
{
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                return (s[1] & 0xc0) == 0x80 ? 2 : 0;
        if (s[0] >= 0xe0 && s[0] <= 0xef) {
                unsigned lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;
                return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
        }
        if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                unsigned lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;
                return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
                               ? 4
                               : 0;
        }
        return 0;
}

/* A JSON string literal (with quotes) or `null`. Invalid UTF-8 becomes U+FFFD so that strict
 * parsers accept the output. */
char *json_quote(const char *s)
{
        const unsigned char *u = (const unsigned char *) s;
        char *out, *o;

        if (!s)
                return xstrdup("null");
        /* Worst case: every byte becomes a 6-byte escape. */
        o = out = xmalloc(strlen(s) * 6 + 3);
        *o++ = '"';
        while (*u) {
                size_t n = utf8_len(u);

                if (*u == '"' || *u == '\\') {
                        *o++ = '\\';
                        *o++ = (char) *u++;
                } else if (*u < 0x20) {
                        o += sprintf(o, "\\u%04x", *u++);
                } else if (n == 0) {
                        o += sprintf(o, "\\ufffd");
                        u++;
                } else {
                        memcpy(o, u, n);
                        o += n;
                        u += n;
                }
        }
        *o++ = '"';
        *o = '\0';
        return out;
}

/* Needs 3 readable bytes past the end of s for the look-ahead: callers pad with NULs. */
char *utf8_lossy(const char *s, size_t len)
{
        _cleanup_free_ unsigned char *pad = xzalloc(len + 4);
        const unsigned char *u = pad;
        char *out = xmalloc(len * 3 + 1), *o = out;

        memcpy(pad, s, len);
        while ((size_t) (u - pad) < len) {
                size_t n = utf8_len(u);

                if (n == 0 || (size_t) (u - pad) + n > len) {
                        memcpy(o, "\xef\xbf\xbd", 3);
                        o += 3;
                        u++;
                        continue;
                }
                memcpy(o, u, n);
                o += n;
                u += n;
        }
        *o = '\0';
        return out;
}

size_t strv_len(const char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}
