/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Structured logging in the Kata agent's format: one JSON object per line, every value a JSON
 * string (kata-log-parser rejects lines with numbers or booleans), keys
 * msg, level (TRCE DEBG INFO WARN ERRO CRIT), ts (RFC 3339), pid, name, source, subsystem, version
 * plus the record's own key/value pairs (container-id, exec-id, ...).
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
        LOG_LEVEL_CRITICAL,
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARN,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
        LOG_LEVEL_TRACE,
        _LOG_LEVEL_MAX,
};

/* Parses the Rust agent's level names (critical fatal panic error warn warning info debug trace);
 * the Go agent's case-insensitive spelling is accepted too. Returns 0 or -EINVAL. */
int log_level_from_string(const char *s, enum log_level *ret);
const char *log_level_to_string(enum log_level level); /* "info", ... */

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

/* Where finished lines go. The default writes to stderr. The sink must not call log_*(). */
typedef void (*log_sink_fn)(const char *line, size_t len, void *userdata);
void log_set_sink(log_sink_fn sink, void *userdata);
void log_set_fd(int fd); /* plain fd sink (blocking write; console or stderr) */

/* kv is NULL or a NULL-terminated list of key, value, key, value, ... */
void log_full(enum log_level level, const char *subsystem, const char *const *kv, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));
void log_fullv(enum log_level level, const char *subsystem, const char *const *kv, const char *fmt,
               va_list ap) __attribute__((format(printf, 4, 0)));

/* Formats one record into buf (used by log_full and by tests). Returns the line length
 * including the trailing newline; the line is truncated, still valid JSON, if it would not fit. */
size_t log_format(char *buf, size_t size, enum log_level level, const char *subsystem,
                  const char *const *kv, const char *msg);

#define log_error(...) log_full(LOG_LEVEL_ERROR, "root", NULL, __VA_ARGS__)
#define log_warn(...)  log_full(LOG_LEVEL_WARN, "root", NULL, __VA_ARGS__)
#define log_info(...)  log_full(LOG_LEVEL_INFO, "root", NULL, __VA_ARGS__)
#define log_debug(...) log_full(LOG_LEVEL_DEBUG, "root", NULL, __VA_ARGS__)
#define log_trace(...) log_full(LOG_LEVEL_TRACE, "root", NULL, __VA_ARGS__)
