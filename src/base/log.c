/* SPDX-License-Identifier: Apache-2.0 */
#include "base/log.h"
#include "base/util.h"
#include "version.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* A record never exceeds this; longer messages are cut (the line stays valid JSON). */
#define LOG_LINE_MAX 8192

static enum log_level current_level = LOG_LEVEL_INFO;
static int sink_fd = STDERR_FILENO;
static log_sink_fn sink_fn;
static void *sink_userdata;

static const char *const short_names[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_CRITICAL] = "CRIT", [LOG_LEVEL_ERROR] = "ERRO", [LOG_LEVEL_WARN] = "WARN",
        [LOG_LEVEL_INFO] = "INFO",     [LOG_LEVEL_DEBUG] = "DEBG", [LOG_LEVEL_TRACE] = "TRCE",
};

static const char *const long_names[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_CRITICAL] = "critical", [LOG_LEVEL_ERROR] = "error", [LOG_LEVEL_WARN] = "warn",
        [LOG_LEVEL_INFO] = "info",         [LOG_LEVEL_DEBUG] = "debug", [LOG_LEVEL_TRACE] = "trace",
};

int log_level_from_string(const char *s, enum log_level *ret)
{
        static const struct {
                const char *name;
                enum log_level level;
        } table[] = {
                { "critical", LOG_LEVEL_CRITICAL }, { "fatal", LOG_LEVEL_CRITICAL },
                { "panic", LOG_LEVEL_CRITICAL },    { "error", LOG_LEVEL_ERROR },
                { "warn", LOG_LEVEL_WARN },         { "warning", LOG_LEVEL_WARN },
                { "info", LOG_LEVEL_INFO },         { "debug", LOG_LEVEL_DEBUG },
                { "trace", LOG_LEVEL_TRACE },
        };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (strcasecmp(s, table[i].name) == 0) {
                        *ret = table[i].level;
                        return 0;
                }
        return -EINVAL;
}

const char *log_level_to_string(enum log_level level)
{
        return level < _LOG_LEVEL_MAX ? long_names[level] : "unknown";
}

void log_set_level(enum log_level level)
{
        current_level = level;
}

enum log_level log_get_level(void)
{
        return current_level;
}

bool log_enabled(enum log_level level)
{
        return level <= current_level;
}

void log_set_sink(log_sink_fn sink, void *userdata)
{
        sink_fn = sink;
        sink_userdata = userdata;
}

void log_set_fd(int fd)
{
        sink_fd = fd;
        sink_fn = NULL;
        sink_userdata = NULL;
}

struct out {
        char *buf;
        size_t size; /* usable bytes, room for the closing `"}\n` is reserved by the caller */
        size_t len;
        bool truncated;
};

static void out_raw(struct out *o, const char *s, size_t n)
{
        if (o->truncated)
                return;
        if (o->len + n > o->size) {
                o->truncated = true;
                return;
        }
        memcpy(o->buf + o->len, s, n);
        o->len += n;
}

/* JSON string body; control characters escaped; invalid UTF-8 passes through as bytes. */
static void out_escaped(struct out *o, const char *s)
{
        for (; s && *s && !o->truncated; s++) {
                unsigned char c = (unsigned char) *s;
                char esc[8];

                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char) c;
                        out_raw(o, esc, 2);
                } else if (c == '\n') {
                        out_raw(o, "\\n", 2);
                } else if (c == '\t') {
                        out_raw(o, "\\t", 2);
                } else if (c < 0x20 || c == 0x7f) {
                        snprintf(esc, sizeof(esc), "\\u%04x", c);
                        out_raw(o, esc, 6);
                } else {
                        out_raw(o, (const char *) &c, 1);
                }
        }
}

static void out_pair(struct out *o, const char *k, const char *v, bool first)
{
        if (!first)
                out_raw(o, ",", 1);
        out_raw(o, "\"", 1);
        out_escaped(o, k);
        out_raw(o, "\":\"", 3);
        out_escaped(o, v);
        out_raw(o, "\"", 1);
}

static bool key_is_reserved(const char *k)
{
        static const char *const reserved[] = { "msg",  "level",  "ts",        "pid",
                                                "name", "source", "subsystem", "version" };
        for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
                if (strcmp(k, reserved[i]) == 0)
                        return true;
        return false;
}

size_t log_format(char *buf, size_t size, enum log_level level, const char *subsystem,
                  const char *const *kv, const char *msg)
{
        static const char tail_trunc[] = "\",\"truncated\":\"true\"}\n";
        struct out o = { .buf = buf,
                         .size = size > sizeof(tail_trunc) ? size - sizeof(tail_trunc) : 0 };
        char ts[64], pid[16];

        if (size < sizeof(tail_trunc) + 2)
                return 0;
        rfc3339_now(ts, sizeof(ts));
        snprintf(pid, sizeof(pid), "%d", (int) getpid());

        out_raw(&o, "{", 1);
        out_pair(&o, "msg", msg, true);
        out_pair(&o, "level", level < _LOG_LEVEL_MAX ? short_names[level] : "INFO", false);
        out_pair(&o, "ts", ts, false);
        out_pair(&o, "pid", pid, false);
        out_pair(&o, "name", "cata-agent", false);
        out_pair(&o, "source", "agent", false);
        out_pair(&o, "subsystem", subsystem ? subsystem : "root", false);
        out_pair(&o, "version", CATA_VERSION, false);
        for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
                if (!key_is_reserved(kv[i]))
                        out_pair(&o, kv[i], kv[i + 1], false);

        if (o.truncated) {
                /* Cut back to a safe point: never end inside an escape sequence. */
                size_t len = o.len;
                while (len > 0 && (buf[len - 1] == '\\' || (len >= 2 && buf[len - 2] == '\\')))
                        len--;
                memcpy(buf + len, tail_trunc, sizeof(tail_trunc) - 1);
                return len + sizeof(tail_trunc) - 1;
        }
        memcpy(buf + o.len, "}\n", 2);
        return o.len + 2;
}

void log_fullv(enum log_level level, const char *subsystem, const char *const *kv, const char *fmt,
               va_list ap)
{
        char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 1024];
        int saved = errno;
        size_t len;

        if (!log_enabled(level))
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        len = log_format(line, sizeof(line), level, subsystem, kv, msg);
        if (sink_fn) {
                sink_fn(line, len, sink_userdata);
        } else if (sink_fd >= 0) {
                size_t off = 0;
                while (off < len) {
                        ssize_t n = write(sink_fd, line + off, len - off);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        off += (size_t) n;
                }
        }
        errno = saved;
}

void log_full(enum log_level level, const char *subsystem, const char *const *kv, const char *fmt,
              ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_fullv(level, subsystem, kv, fmt, ap);
        va_end(ap);
}
