/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the kernel command-line parser, the KATA_AGENT_* overrides and the JSON dump.
 *
 * The input is the command line. The environment is made from its first three words, so the
 * corpus drives both parsers; afterwards the invariants every consumer relies on are checked
 * and a violation aborts (a crash the fuzzer reports).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "base/log.h"
#include "base/util.h"
#include "ttrpc/address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENV_VALUE_MAX 64

static void discard(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

/* Copies the index-th whitespace-separated word of s (at most ENV_VALUE_MAX bytes) after
 * prefix; an empty value when there is no such word. */
static char *env_entry(const char *prefix, const char *s, size_t index)
{
        size_t len = 0;

        for (size_t i = 0;; i++) {
                s += strspn(s, " \t\n\v\f\r");
                len = strcspn(s, " \t\n\v\f\r");
                if (i == index || len == 0)
                        break;
                s += len;
        }
        if (len > ENV_VALUE_MAX)
                len = ENV_VALUE_MAX;
        return xasprintf("%s%.*s", prefix, (int) len, s);
}

static void check_invariants(const struct agent_config *c, const char *json)
{
        struct address a;
        size_t n = strlen(json);

        if (c->log_level >= _LOG_LEVEL_MAX || !c->server_addr ||
            address_parse(c->server_addr, &a) < 0)
                abort();
        if (c->hotplug_timeout_ns == 0 || c->hotplug_timeout_ns > (uint64_t) INT64_MAX)
                abort();
        if (c->container_pipe_size > INT32_MAX || c->cdh_api_timeout_s == 0 ||
            c->image_pull_timeout_s == 0 || c->cdi_timeout_s == 0 ||
            c->launch_process_timeout_s == 0)
                abort();
        if (n < 2 || json[0] != '{' || json[n - 1] != '}')
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct agent_config c;
        char *cmdline, *json, *env[5];
        uint64_t ns;

        log_set_sink(discard, NULL);
        /* Debug lines (unsupported options) are formatted too, so that path is covered. */
        log_set_level(LOG_LEVEL_TRACE);

        cmdline = xmalloc(size + 1);
        memcpy(cmdline, data, size);
        cmdline[size] = '\0';

        env[0] = env_entry("KATA_AGENT_SERVER_ADDR=", cmdline, 0);
        env[1] = env_entry("KATA_AGENT_LOG_LEVEL=", cmdline, 1);
        env[2] = env_entry("KATA_AGENT_TRACING=", cmdline, 2);
        env[3] = env_entry("KATA_AGENT_TRACING", cmdline, 3); /* usually no `=`: a near miss */
        env[4] = NULL;

        agent_config_init(&c);
        agent_config_parse_cmdline(&c, cmdline);
        agent_config_apply_env(&c, env);
        (void) agent_config_parse_duration(cmdline, &ns);

        json = agent_config_to_json(&c);
        check_invariants(&c, json);

        free(json);
        agent_config_done(&c);
        for (size_t i = 0; env[i]; i++)
                free(env[i]);
        free(cmdline);
        return 0;
}
