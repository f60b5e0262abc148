/* SPDX-License-Identifier: Apache-2.0 */
#include "agent/config-file.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum key_kind {
        KIND_BOOL,
        KIND_STRING,
        KIND_I32,
        KIND_U8,
        KIND_U64,
        KIND_I64,
        KIND_DURATION, /* serde's std::time::Duration: { secs = N, nanos = N } or [N, N] */
};

struct file_key {
        const char *key;
        enum key_kind kind;
        const char *option; /* the command-line option it sets; NULL: no such feature in cata */
        bool whole_seconds; /* the option takes whole seconds, not a duration */
};

static const struct file_key keys[] = {
        { "debug_console", KIND_BOOL, "agent.debug_console", false },
        { "dev_mode", KIND_BOOL, "agent.devmode", false },
        { "log_level", KIND_STRING, "agent.log", false },
        { "hotplug_timeout", KIND_DURATION, "agent.hotplug_timeout", false },
        { "cdh_api_timeout", KIND_DURATION, "agent.cdh_api_timeout", true },
        { "image_pull_timeout", KIND_DURATION, "agent.image_pull_timeout", true },
        { "cdi_timeout", KIND_DURATION, "agent.cdi_timeout", true },
        { "launch_process_timeout", KIND_DURATION, "agent.launch_process_timeout", true },
        { "visible_cdi_devices", KIND_BOOL, NULL, false },
        { "debug_console_vport", KIND_I32, "agent.debug_console_vport", false },
        { "log_vport", KIND_I32, "agent.log_vport", false },
        { "container_pipe_size", KIND_I32, "agent.container_pipe_size", false },
        { "server_addr", KIND_STRING, "agent.server_addr", false },
        { "passfd_listener_port", KIND_I32, "agent.passfd_listener_port", false },
        { "unified_cgroup_hierarchy", KIND_BOOL, "agent.unified_cgroup_hierarchy", false },
        { "tracing", KIND_BOOL, "agent.trace", false },
        { "https_proxy", KIND_STRING, NULL, false },
        { "no_proxy", KIND_STRING, NULL, false },
        { "guest_components_rest_api", KIND_STRING, NULL, false },
        { "guest_components_procs", KIND_STRING, NULL, false },
        { "secure_storage_integrity", KIND_BOOL, NULL, false },
        { "mem_agent_enable", KIND_BOOL, NULL, false },
        { "mem_agent_memcg_disable", KIND_BOOL, NULL, false },
        { "mem_agent_memcg_swap", KIND_BOOL, NULL, false },
        { "mem_agent_memcg_swappiness_max", KIND_U8, NULL, false },
        { "mem_agent_memcg_period_secs", KIND_U64, NULL, false },
        { "mem_agent_memcg_period_psi_percent_limit", KIND_U8, NULL, false },
        { "mem_agent_memcg_eviction_psi_percent_limit", KIND_U8, NULL, false },
        { "mem_agent_memcg_eviction_run_aging_count_min", KIND_U64, NULL, false },
        { "mem_agent_compact_disable", KIND_BOOL, NULL, false },
        { "mem_agent_compact_period_secs", KIND_U64, NULL, false },
        { "mem_agent_compact_period_psi_percent_limit", KIND_U8, NULL, false },
        { "mem_agent_compact_psi_percent_limit", KIND_U8, NULL, false },
        { "mem_agent_compact_sec_max", KIND_I64, NULL, false },
        { "mem_agent_compact_order", KIND_U8, NULL, false },
        { "mem_agent_compact_threshold", KIND_U64, NULL, false },
        { "mem_agent_compact_force_times", KIND_U64, NULL, false },
        /* cata's own, in the same file for convenience. */
        { "stdio_buffer_size", KIND_I64, "agent.stdio_buffer_size", false },
};

static const char *kind_name(enum key_kind k)
{
        switch (k) {
        case KIND_BOOL:
                return "a boolean";
        case KIND_STRING:
                return "a string";
        case KIND_I32:
                return "an integer -2147483648..2147483647";
        case KIND_U8:
                return "an integer 0..255";
        case KIND_U64:
                return "an integer >= 0";
        case KIND_I64:
                return "an integer";
        case KIND_DURATION:
                return "a duration { secs = N, nanos = N }";
        }
        return "?";
}

static void warn_key(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn_key(const char *key, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        log_full(LOG_LEVEL_WARN, "config", (const char *const[]){ "option", key, NULL },
                 "config file key `%s`: %s", key, msg);
}

static int duration_field(const struct toml_value *v, const char *name, size_t index, int64_t *ret)
{
        const struct toml_value *f = NULL;

        if (v->type == TOML_TABLE)
                f = toml_get(v->table, name);
        else if (v->type == TOML_ARRAY && index < v->array.n)
                f = v->array.items[index];
        if (!f || f->type != TOML_INTEGER || f->i < 0)
                return -EINVAL;
        *ret = f->i;
        return 0;
}

/* The value as text the command-line parser takes, or -EINVAL for a wrong type or range. */
static int value_text(const struct file_key *k, const struct toml_value *v, char *buf, size_t size)
{
        int64_t secs, nanos;

        switch (k->kind) {
        case KIND_BOOL:
                if (v->type != TOML_BOOL)
                        return -EINVAL;
                snprintf(buf, size, "%s", v->b ? "true" : "false");
                return 0;
        case KIND_STRING:
                if (v->type != TOML_STRING)
                        return -EINVAL;
                snprintf(buf, size, "%s", v->s);
                return strlen(v->s) < size ? 0 : -E2BIG;
        case KIND_I32:
        case KIND_U8:
        case KIND_U64:
        case KIND_I64:
                if (v->type != TOML_INTEGER || (k->kind == KIND_I32 && v->i != (int32_t) v->i) ||
                    (k->kind == KIND_U8 && (v->i < 0 || v->i > 255)) ||
                    (k->kind == KIND_U64 && v->i < 0))
                        return -EINVAL;
                snprintf(buf, size, "%" PRId64, v->i);
                return 0;
        case KIND_DURATION:
                if (duration_field(v, "secs", 0, &secs) < 0 ||
                    duration_field(v, "nanos", 1, &nanos) < 0 || nanos >= 1000000000 ||
                    (v->type == TOML_TABLE && v->table->n != 2) ||
                    (v->type == TOML_ARRAY && v->array.n != 2))
                        return -EINVAL;
                if (k->whole_seconds)
                        snprintf(buf, size, "%" PRId64, secs + (nanos > 0));
                else if (secs > INT64_MAX / 1000000000 - 1)
                        return -EINVAL;
                else
                        snprintf(buf, size, "%" PRId64 "ns", secs * 1000000000 + nanos);
                return 0;
        }
        return -EINVAL;
}

static bool apply_key(struct agent_config *c, const struct file_key *k, const struct toml_value *v)
{
        char text[4096];

        if (value_text(k, v, text, sizeof(text)) < 0) {
                warn_key(k->key, "expected %s, got a %s; keeping the default", kind_name(k->kind),
                         toml_type_name(v->type));
                return false;
        }
        if (!k->option) {
                if (streq(k->key, "mem_agent_enable") && v->b)
                        warn_key(k->key, "cata has no mem-agent (docs/guest.md); ignored");
                else
                        log_full(LOG_LEVEL_DEBUG, "config",
                                 (const char *const[]){ "option", k->key, NULL },
                                 "config file key `%s` is not used by cata, ignored", k->key);
                return true;
        }
        /* 0 is these options' default ("off"), which the command-line form cannot spell. */
        if (k->kind == KIND_I32 && streq(text, "0") && strstr(k->option, "vport"))
                return true;
        return agent_config_apply_option(c, k->option, text, k->key) == 0;
}

unsigned agent_config_apply_toml(struct agent_config *c, const struct toml_table *t)
{
        unsigned rejected = 0;

        for (size_t i = 0; i < t->n; i++) {
                const struct file_key *k = NULL;

                for (size_t j = 0; j < ARRAY_SIZE(keys); j++)
                        if (streq(keys[j].key, t->keys[i]))
                                k = &keys[j];
                if (!k) {
                        log_full(LOG_LEVEL_DEBUG, "config",
                                 (const char *const[]){ "option", t->keys[i], NULL },
                                 "config file key `%s` is unknown, ignored", t->keys[i]);
                        continue;
                }
                if (!apply_key(c, k, t->values[i]))
                        rejected++;
        }
        return rejected;
}

int agent_config_load_file(struct agent_config *c, const char *path, struct agent_error **err)
{
        _cleanup_free_ char *text = NULL, *perr = NULL;
        struct agent_config fresh;
        struct toml_table *t = NULL;
        size_t len = 0;
        int r;

        r = read_file(path, TOML_MAX_INPUT, &text, &len);
        if (r < 0)
                return agent_error_set(err, -r, "config file `%s`", path);
        r = toml_parse(text, len, &t, &perr);
        if (r < 0)
                return agent_error_setf(err, -r, "config file `%s`: %s", path,
                                        perr ? perr : "not TOML");
        agent_config_init(&fresh);
        fresh.config_file = xstrdup(path);
        (void) agent_config_apply_toml(&fresh, t);
        toml_free(t);
        agent_config_done(c);
        *c = fresh;
        return 0;
}
