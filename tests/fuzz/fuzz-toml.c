/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzzes the TOML reader and the agent.config_file mapping: any input either parses into a tree
 * that the config mapping then walks, or fails with an error message naming a line. The
 * resulting configuration keeps the invariants its consumers rely on (server address set, log
 * level in range).
 */
#include "agent/config-file.h"
#include "base/log.h"
#include "base/toml.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(const char *line, size_t len, void *userdata)
{
        (void) line;
        (void) len;
        (void) userdata;
}

/* Every node is reachable and well-typed: walking it touches all memory the parser made. */
static size_t walk(const struct toml_value *v, unsigned depth)
{
        size_t n = 1;

        if (depth > TOML_MAX_DEPTH + 2)
                abort();
        switch (v->type) {
        case TOML_STRING:
                n += strlen(v->s);
                break;
        case TOML_ARRAY:
                for (size_t i = 0; i < v->array.n; i++)
                        n += walk(v->array.items[i], depth + 1);
                break;
        case TOML_TABLE:
                for (size_t i = 0; i < v->table->n; i++)
                        n += walk(v->table->values[i], depth + 1) + strlen(v->table->keys[i]);
                break;
        case TOML_INTEGER:
        case TOML_FLOAT:
        case TOML_BOOL:
                break;
        }
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct toml_table *t = NULL;
        struct agent_config c;
        char *err = NULL;

        log_set_sink(discard, NULL);
        log_set_level(LOG_LEVEL_TRACE);
        if (toml_parse((const char *) data, size, &t, &err) < 0) {
                if (!err || strncmp(err, "line ", 5) != 0) {
                        if (size <= TOML_MAX_INPUT)
                                abort();
                }
                free(err);
                return 0;
        }
        if (err)
                abort();
        for (size_t i = 0; i < t->n; i++)
                (void) walk(t->values[i], 0);
        agent_config_init(&c);
        (void) agent_config_apply_toml(&c, t);
        if (!c.server_addr || c.log_level > LOG_LEVEL_TRACE)
                abort();
        agent_config_done(&c);
        toml_free(t);
        return 0;
}
