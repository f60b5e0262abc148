/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/config.h"
#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/address.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSEC_PER_SEC UINT64_C(1000000000)

/* Largest accepted timeout in whole seconds: consumers convert to nanoseconds in a uint64_t. */
#define MAX_TIMEOUT_S (UINT64_MAX / NSEC_PER_SEC)

/*
 * A hostile or broken command line can hold hundreds of thousands of bad words. At boot the log
 * often goes to a slow serial console, so only this many warnings (and as many debug lines) are
 * written per parse; the rest are counted and summarised in one line.
 */
#define MAX_REPORTS 64

/* Values are echoed in log lines; a multi-MiB word would only produce a truncated record. */
#define MAX_SHOWN_VALUE 256

/* The single source of truth for defaults: agent_config_init() copies it, warnings compare
 * against it to say "keeping default". */
static const struct agent_config defaults = {
        .log_level = LOG_LEVEL_INFO,
        .hotplug_timeout_ns = AGENT_DEFAULT_HOTPLUG_TIMEOUT,
        .container_pipe_size = AGENT_DEFAULT_PIPE_SIZE,
        .stdio_buffer_size = AGENT_DEFAULT_STDIO_BUFFER,
        .server_addr = (char *) AGENT_DEFAULT_SERVER_ADDR,
        .cdh_api_timeout_s = 50,
        .image_pull_timeout_s = 1200,
        .cdi_timeout_s = 100,
        .launch_process_timeout_s = 6,
};

struct parse_ctx {
        struct agent_config *c;
        unsigned warnings; /* invalid values seen */
        unsigned debugs;   /* unsupported agent.* keys seen */
        bool cgroup_no_v1_all;
};

struct option;

/* Parses value (NULL for a bare word) into the field. Returns 0, or -EINVAL with *hint set. */
typedef int (*parse_fn)(struct agent_config *c, const struct option *o, const char *value,
                        const char **hint);
/* Formats the field's current value for warnings. */
typedef void (*format_fn)(const struct agent_config *c, const struct option *o, char *buf,
                          size_t size);

struct option {
        const char *name;
        parse_fn parse;
        format_fn format;
        size_t offset;
};

#define FIELD(c, o, type)  ((type *) (void *) ((char *) (c) + (o)->offset))
#define CFIELD(c, o, type) ((const type *) (const void *) ((const char *) (c) + (o)->offset))

/* ---- value parsers (no logging, no side effects on failure) ---- */

static bool all_digits(const char *s)
{
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* Decimal digits only: strtoull() alone would also take leading whitespace, signs and "0x". */
static int parse_dec(const char *s, uint64_t *ret)
{
        if (!all_digits(s))
                return -EINVAL;
        return parse_u64(s, 10, ret) < 0 ? -EINVAL : 0;
}

/* Go's strconv.ParseBool, which the 1.x agent used for its boolean options. */
static int parse_go_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (streq(s, yes[i]) || streq(s, no[i])) {
                        *ret = streq(s, yes[i]);
                        return 0;
                }
        }
        return -EINVAL;
}

/* The Rust agent's boolean rule: a boolean word or an unsigned integer (non-zero = true). */
static int parse_bool_or_int(const char *s, bool *ret)
{
        uint64_t v;

        if (parse_go_bool(s, ret) == 0)
                return 0;
        if (parse_dec(s, &v) < 0)
                return -EINVAL;
        *ret = v != 0;
        return 0;
}

struct go_unit {
        const char *name;
        uint64_t ns;
};

static const struct go_unit go_units[] = {
        { "ns", 1ull },
        { "us", 1000ull },
        { "\xc2\xb5s", 1000ull }, /* U+00B5 micro sign */
        { "\xce\xbcs", 1000ull }, /* U+03BC Greek small letter mu */
        { "ms", 1000000ull },
        { "s", NSEC_PER_SEC },
        { "m", 60ull * NSEC_PER_SEC },
        { "h", 3600ull * NSEC_PER_SEC },
};

/* Reads a run of digits into *v; *overflow is set (and *v left saturated) when it does not fit.
 * Returns the number of digits read. */
static size_t scan_digits(const char **s, uint64_t *v, double *scale, bool *overflow)
{
        size_t n = 0;

        for (; **s >= '0' && **s <= '9'; (*s)++, n++) {
                uint64_t d = (uint64_t) (**s - '0');

                if (*overflow)
                        continue;
                if (*v > (UINT64_MAX - d) / 10) {
                        *overflow = true;
                        continue;
                }
                *v = *v * 10 + d;
                if (scale)
                        *scale *= 10;
        }
        return n;
}

static const struct go_unit *scan_unit(const char **s)
{
        const char *start = *s;
        size_t n;

        while (**s && **s != '.' && (**s < '0' || **s > '9'))
                (*s)++;
        n = (size_t) (*s - start);
        for (size_t i = 0; i < ARRAY_SIZE(go_units); i++)
                if (strlen(go_units[i].name) == n && memcmp(go_units[i].name, start, n) == 0)
                        return &go_units[i];
        return NULL;
}

/* One "<int>[.<frac>]<unit>" component of a Go duration, added to *total (bounded by INT64_MAX
 * like Go's time.Duration). */
static int scan_component(const char **s, uint64_t *total)
{
        uint64_t v = 0, f = 0, ns;
        double scale = 1;
        bool overflow = false, frac_overflow = false;
        size_t pre, post = 0;
        const struct go_unit *u;

        pre = scan_digits(s, &v, NULL, &overflow);
        if (**s == '.') {
                (*s)++;
                /* Like Go, digits beyond what fits are read but do not add precision. */
                post = scan_digits(s, &f, &scale, &frac_overflow);
        }
        if (overflow || (pre == 0 && post == 0))
                return -EINVAL;
        u = scan_unit(s);
        if (!u || v > (uint64_t) INT64_MAX / u->ns)
                return -EINVAL;
        ns = v * u->ns;
        if (f > 0)
                ns += (uint64_t) ((double) f * ((double) u->ns / scale));
        if (ns > (uint64_t) INT64_MAX || *total > (uint64_t) INT64_MAX - ns)
                return -EINVAL;
        *total += ns;
        return 0;
}

int agent_config_parse_duration(const char *s, uint64_t *ret_ns)
{
        uint64_t total = 0, secs;
        bool negative = false;

        if (!s)
                return -EINVAL;
        if (*s == '-' || *s == '+')
                negative = *s++ == '-';
        if (negative || !*s)
                return -EINVAL;

        /* Whole seconds: the Rust agent's syntax. Go would reject a unit-less "10". Both forms
         * share Go's limit (INT64_MAX ns) so that callers may convert to signed types. */
        if (all_digits(s)) {
                if (parse_dec(s, &secs) < 0 || secs == 0 || secs > INT64_MAX / NSEC_PER_SEC)
                        return -EINVAL;
                *ret_ns = secs * NSEC_PER_SEC;
                return 0;
        }
        while (*s)
                if (scan_component(&s, &total) < 0)
                        return -EINVAL;
        if (total == 0)
                return -EINVAL;
        *ret_ns = total;
        return 0;
}

/* ---- per-option parse/format pairs ---- */

static int opt_parse_log_level(struct agent_config *c, const struct option *o, const char *value,
                               const char **hint)
{
        (void) o;
        *hint = "expected one of critical, fatal, panic, error, warn, warning, info, debug, trace";
        return log_level_from_string(value, &c->log_level) < 0 ? -EINVAL : 0;
}

static void opt_format_log_level(const struct agent_config *c, const struct option *o, char *buf,
                                 size_t size)
{
        (void) o;
        snprintf(buf, size, "%s", log_level_to_string(c->log_level));
}

static int opt_parse_vport(struct agent_config *c, const struct option *o, const char *value,
                           const char **hint)
{
        uint64_t v;

        *hint = "expected a vsock port 1..4294967295";
        if (parse_dec(value, &v) < 0 || v == 0 || v > UINT32_MAX)
                return -EINVAL;
        *FIELD(c, o, uint32_t) = (uint32_t) v;
        return 0;
}

static int opt_parse_pipe_size(struct agent_config *c, const struct option *o, const char *value,
                               const char **hint)
{
        uint64_t v;

        *hint = "expected a size in bytes 0..2147483647";
        if (parse_dec(value, &v) < 0 || v > INT32_MAX)
                return -EINVAL;
        *FIELD(c, o, uint32_t) = (uint32_t) v;
        return 0;
}

static int opt_parse_buffer_size(struct agent_config *c, const struct option *o, const char *value,
                                 const char **hint)
{
        uint64_t v;

        *hint = "expected a size in bytes 65536..67108864";
        if (parse_dec(value, &v) < 0 || v < AGENT_STDIO_BUFFER_MIN || v > AGENT_STDIO_BUFFER_MAX)
                return -EINVAL;
        *FIELD(c, o, uint32_t) = (uint32_t) v;
        return 0;
}

static void opt_format_u32(const struct agent_config *c, const struct option *o, char *buf,
                           size_t size)
{
        snprintf(buf, size, "%" PRIu32, *CFIELD(c, o, uint32_t));
}

/* Bare word = on. A value is an extension over the Rust agent, which silently ignores
 * `agent.devmode=1`: here booleans work and anything else warns. */
static int opt_parse_flag(struct agent_config *c, const struct option *o, const char *value,
                          const char **hint)
{
        *hint = "expected no value or a boolean such as `true`, `false`, `1`, `0`";
        if (!value) {
                *FIELD(c, o, bool) = true;
                return 0;
        }
        return parse_bool_or_int(value, FIELD(c, o, bool));
}

/* Kata 1.x spelled tracing modes `isolated`/`collated`; both meant "on". The Rust agent turns
 * them into "off", which silently breaks old configurations. */
static int opt_parse_trace(struct agent_config *c, const struct option *o, const char *value,
                           const char **hint)
{
        *hint = "expected no value, a boolean, an integer, `isolated` or `collated`";
        if (!value || streq(value, "isolated") || streq(value, "collated")) {
                *FIELD(c, o, bool) = true;
                return 0;
        }
        return parse_bool_or_int(value, FIELD(c, o, bool));
}

static int opt_parse_go_bool(struct agent_config *c, const struct option *o, const char *value,
                             const char **hint)
{
        *hint = "expected one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False";
        return parse_go_bool(value, FIELD(c, o, bool));
}

/* systemd treats a bare boolean kernel option as true; the Rust agent ignores the bare word. */
static int opt_parse_systemd_bool(struct agent_config *c, const struct option *o, const char *value,
                                  const char **hint)
{
        *hint = "expected a boolean or an integer";
        if (!value) {
                *FIELD(c, o, bool) = true;
                return 0;
        }
        return parse_bool_or_int(value, FIELD(c, o, bool));
}

static void opt_format_bool(const struct agent_config *c, const struct option *o, char *buf,
                            size_t size)
{
        snprintf(buf, size, "%s", *CFIELD(c, o, bool) ? "true" : "false");
}

static int opt_parse_duration(struct agent_config *c, const struct option *o, const char *value,
                              const char **hint)
{
        *hint = "expected a positive duration such as `10s`, `100ms`, `1m30s`, `1.5s` or whole "
                "seconds";
        return agent_config_parse_duration(value, FIELD(c, o, uint64_t));
}

static void opt_format_duration(const struct agent_config *c, const struct option *o, char *buf,
                                size_t size)
{
        uint64_t ns = *CFIELD(c, o, uint64_t);

        /* Always a form that agent_config_parse_duration() accepts back. */
        if (ns % NSEC_PER_SEC == 0)
                snprintf(buf, size, "%" PRIu64 "s", ns / NSEC_PER_SEC);
        else if (ns % 1000000 == 0)
                snprintf(buf, size, "%" PRIu64 "ms", ns / 1000000);
        else if (ns % 1000 == 0)
                snprintf(buf, size, "%" PRIu64 "us", ns / 1000);
        else
                snprintf(buf, size, "%" PRIu64 "ns", ns);
}

/* Like the Rust agent, 0 is not "no timeout": it keeps the default (but warns here). */
static int opt_parse_seconds(struct agent_config *c, const struct option *o, const char *value,
                             const char **hint)
{
        uint64_t v;

        *hint = "expected whole seconds 1..18446744073";
        if (parse_dec(value, &v) < 0 || v == 0 || v > MAX_TIMEOUT_S)
                return -EINVAL;
        *FIELD(c, o, uint64_t) = v;
        return 0;
}

static void opt_format_u64(const struct agent_config *c, const struct option *o, char *buf,
                           size_t size)
{
        snprintf(buf, size, "%" PRIu64, *CFIELD(c, o, uint64_t));
}

/* Validated here so that a typo is reported with the option's name at boot, not later as a
 * bind error; the string is kept as given, the listener parses it again. */
static int opt_parse_server_addr(struct agent_config *c, const struct option *o, const char *value,
                                 const char **hint)
{
        struct address a;

        *hint = "expected vsock://CID:PORT, unix:///path, unix://@name, serial:///path or /path";
        if (!value || !*value || address_parse(value, &a) < 0)
                return -EINVAL;
        free(*FIELD(c, o, char *));
        *FIELD(c, o, char *) = xstrdup(value);
        return 0;
}

static int opt_parse_config_file(struct agent_config *c, const struct option *o, const char *value,
                                 const char **hint)
{
        *hint = "expected a file name";
        if (!value || !*value)
                return -EINVAL;
        free(*FIELD(c, o, char *));
        *FIELD(c, o, char *) = xstrdup(value);
        return 0;
}

static void opt_format_str(const struct agent_config *c, const struct option *o, char *buf,
                           size_t size)
{
        const char *s = *CFIELD(c, o, char *);

        snprintf(buf, size, "%s", s ? s : "");
}

#define OPT(n, kind, fmt, field)                                                  \
        {                                                                         \
                .name = n, .parse = opt_parse_##kind, .format = opt_format_##fmt, \
                .offset = offsetof(struct agent_config, field)                    \
        }

static const struct option options[] = {
        OPT("agent.log", log_level, log_level, log_level),
        OPT("agent.log_vport", vport, u32, log_vport),
        OPT("agent.devmode", flag, bool, dev_mode),
        OPT("agent.trace", trace, bool, trace),
        OPT("agent.debug_console", flag, bool, debug_console),
        OPT("agent.debug_console_vport", vport, u32, debug_console_vport),
        OPT("agent.hotplug_timeout", duration, duration, hotplug_timeout_ns),
        OPT("agent.unified_cgroup_hierarchy", go_bool, bool, unified_cgroup_hierarchy),
        OPT("systemd.unified_cgroup_hierarchy", systemd_bool, bool, unified_cgroup_hierarchy),
        OPT("agent.container_pipe_size", pipe_size, u32, container_pipe_size),
        OPT("agent.stdio_buffer_size", buffer_size, u32, stdio_buffer_size),
        OPT("agent.server_addr", server_addr, str, server_addr),
        OPT("agent.passfd_listener_port", vport, u32, passfd_listener_port),
        OPT("agent.config_file", config_file, str, config_file),
        OPT("agent.cdh_api_timeout", seconds, u64, cdh_api_timeout_s),
        OPT("agent.image_pull_timeout", seconds, u64, image_pull_timeout_s),
        OPT("agent.cdi_timeout", seconds, u64, cdi_timeout_s),
        OPT("agent.launch_process_timeout", seconds, u64, launch_process_timeout_s),
};

static const struct option *find_option(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(options); i++)
                if (streq(options[i].name, name))
                        return &options[i];
        return NULL;
}

/* ---- reporting ---- */

/* Copies at most MAX_SHOWN_VALUE bytes of s, not splitting a UTF-8 sequence, and marks the cut. */
static void shorten(const char *s, char *buf, size_t size)
{
        size_t n = strnlen(s, MAX_SHOWN_VALUE + 1);

        if (n <= MAX_SHOWN_VALUE) {
                snprintf(buf, size, "%s", s);
                return;
        }
        n = MAX_SHOWN_VALUE;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        snprintf(buf, size, "%.*s...", (int) n, s);
}

static void report_invalid(struct parse_ctx *p, const struct option *o, const char *name,
                           const char *value, const char *hint)
{
        char shown[MAX_SHOWN_VALUE + 8], cur[MAX_SHOWN_VALUE + 8], def[MAX_SHOWN_VALUE + 8];

        if (++p->warnings > MAX_REPORTS)
                return;
        shorten(value ? value : "", shown, sizeof(shown));
        o->format(p->c, o, cur, sizeof(cur));
        o->format(&defaults, o, def, sizeof(def));
        log_full(LOG_LEVEL_WARN, "config",
                 (const char *const[]){ "option", name, "value", shown, NULL },
                 "invalid value `%s` for `%s`, keeping %s`%s`: %s", shown, name,
                 streq(cur, def) ? "default " : "", cur, hint);
}

static void report_unsupported(struct parse_ctx *p, const char *key)
{
        char shown[MAX_SHOWN_VALUE + 8];

        if (++p->debugs > MAX_REPORTS)
                return;
        shorten(key, shown, sizeof(shown));
        log_full(LOG_LEVEL_DEBUG, "config", (const char *const[]){ "option", shown, NULL },
                 "option `%s` is not supported by cata, ignored", shown);
}

static void report_summary(const struct parse_ctx *p)
{
        char n[24];

        if (p->warnings <= MAX_REPORTS && p->debugs <= MAX_REPORTS)
                return;
        snprintf(n, sizeof(n), "%u", p->warnings);
        log_full(LOG_LEVEL_WARN, "config", (const char *const[]){ "invalid", n, NULL },
                 "%u invalid values and %u unsupported options in total; only the first %d of "
                 "each were logged",
                 p->warnings, p->debugs, MAX_REPORTS);
}

/* ---- command line ---- */

static void apply_word(struct parse_ctx *p, char *word)
{
        char *eq = strchr(word, '=');
        const char *value = NULL, *hint = "";
        const struct option *o;

        if (eq) {
                *eq = '\0';
                value = eq + 1;
        }
        /* The kernel's own option: with every v1 controller disabled only v2 can be mounted, so
         * it wins over systemd.unified_cgroup_hierarchy=0 whatever the order (as in Rust). */
        if (streq(word, "cgroup_no_v1")) {
                if (streq(value, "all"))
                        p->cgroup_no_v1_all = true;
                return;
        }
        o = find_option(word);
        if (!o) {
                if (startswith(word, "agent."))
                        report_unsupported(p, word);
                return;
        }
        if (o->parse(p->c, o, value, &hint) < 0)
                report_invalid(p, o, o->name, value, hint);
}

int agent_config_apply_option(struct agent_config *c, const char *name, const char *value,
                              const char *shown_name)
{
        struct parse_ctx p = { .c = c };
        const struct option *o = find_option(name);
        const char *hint = "";

        if (!o)
                return -ENOENT;
        if (o->parse(c, o, value, &hint) < 0) {
                report_invalid(&p, o, shown_name, value, hint);
                return -EINVAL;
        }
        return 0;
}

static bool is_space(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

void agent_config_parse_cmdline(struct agent_config *c, const char *cmdline)
{
        struct parse_ctx p = { .c = c };
        _cleanup_free_ char *copy = NULL;
        char *s;

        if (!cmdline)
                return;
        /* One copy, cut into words in place: linear in the length of the command line. */
        copy = xstrdup(cmdline);
        for (s = copy; *s;) {
                char *word;

                while (*s && is_space(*s))
                        s++;
                if (!*s)
                        break;
                word = s;
                while (*s && !is_space(*s))
                        s++;
                if (*s)
                        *s++ = '\0';
                apply_word(&p, word);
        }
        if (p.cgroup_no_v1_all)
                c->unified_cgroup_hierarchy = true;
        report_summary(&p);
}

/* ---- environment ---- */

static const struct {
        const char *env;
        const char *option;
} env_overrides[] = {
        { "KATA_AGENT_SERVER_ADDR", "agent.server_addr" },
        { "KATA_AGENT_LOG_LEVEL", "agent.log" },
        { "KATA_AGENT_TRACING", "agent.trace" },
};

/* getenv() semantics on an explicit array: the first NAME=value entry wins. */
static const char *env_lookup(char *const *envp, const char *name)
{
        size_t n = strlen(name);

        for (; envp && *envp; envp++)
                if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
                        return *envp + n + 1;
        return NULL;
}

void agent_config_apply_env(struct agent_config *c, char *const *envp)
{
        struct parse_ctx p = { .c = c };

        for (size_t i = 0; i < ARRAY_SIZE(env_overrides); i++) {
                const char *value = env_lookup(envp, env_overrides[i].env), *hint = "";
                const struct option *o = find_option(env_overrides[i].option);

                /* A value is required: an empty KATA_AGENT_TRACING is not a bare flag. */
                if (!value || !o)
                        continue;
                if (!*value || o->parse(c, o, value, &hint) < 0)
                        report_invalid(&p, o, env_overrides[i].env, value, hint);
        }
}

/* ---- lifetime ---- */

void agent_config_init(struct agent_config *c)
{
        *c = defaults;
        c->server_addr = xstrdup(defaults.server_addr);
}

void agent_config_done(struct agent_config *c)
{
        free(c->server_addr);
        free(c->config_file);
        c->server_addr = NULL;
        c->config_file = NULL;
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at s, or 0 (overlong forms and surrogates are invalid). */
static const char *json_bool(bool b)
{
        return b ? "true" : "false";
}

char *agent_config_to_json(const struct agent_config *c)
{
        _cleanup_free_ char *addr = json_quote(c->server_addr);
        _cleanup_free_ char *file = json_quote(c->config_file);

        return xasprintf("{\"log_level\":\"%s\",\"log_vport\":%" PRIu32 ",\"dev_mode\":%s,"
                         "\"trace\":%s,\"debug_console\":%s,\"debug_console_vport\":%" PRIu32 ","
                         "\"hotplug_timeout_ns\":%" PRIu64 ",\"unified_cgroup_hierarchy\":%s,"
                         "\"container_pipe_size\":%" PRIu32 ",\"stdio_buffer_size\":%" PRIu32 ","
                         "\"server_addr\":%s,"
                         "\"passfd_listener_port\":%" PRIu32 ",\"config_file\":%s,"
                         "\"cdh_api_timeout_s\":%" PRIu64 ",\"image_pull_timeout_s\":%" PRIu64 ","
                         "\"cdi_timeout_s\":%" PRIu64 ",\"launch_process_timeout_s\":%" PRIu64 "}",
                         log_level_to_string(c->log_level), c->log_vport, json_bool(c->dev_mode),
                         json_bool(c->trace), json_bool(c->debug_console), c->debug_console_vport,
                         c->hotplug_timeout_ns, json_bool(c->unified_cgroup_hierarchy),
                         c->container_pipe_size, c->stdio_buffer_size, addr,
                         c->passfd_listener_port, file, c->cdh_api_timeout_s,
                         c->image_pull_timeout_s, c->cdi_timeout_s, c->launch_process_timeout_s);
}
