/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The agent's configuration: defaults, then the kernel command line (`agent.*` options, plus
 * systemd.unified_cgroup_hierarchy and cgroup_no_v1), then KATA_AGENT_* environment overrides,
 * then command-line flags of cata-agent itself.
 *
 * Parsing never fails: an invalid value logs a warning naming the option and the value and keeps
 * the previous (default) value. This is deliberate: the Rust agent panics on many bad values,
 * which as PID 1 panics the guest kernel.
 */

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

#define AGENT_DEFAULT_SERVER_ADDR     "vsock://-1:1024"
#define AGENT_DEFAULT_HOTPLUG_TIMEOUT (3ull * 1000000000ull) /* ns */
/* stdout/stderr pipe capacity when nothing else is asked: 1 MiB absorbs a large burst even
 * before the agent's drain gets to run, it is the largest size the kernel grants without
 * CAP_SYS_RESOURCE (fs.pipe-max-size), and pipe pages are only allocated when written, so an
 * idle pipe costs nothing. agent.container_pipe_size=0 keeps the kernel default (64 KiB). */
#define AGENT_DEFAULT_PIPE_SIZE (1u << 20)
/* Per-stream buffer the agent drains output into (agent.stdio_buffer_size). */
#define AGENT_DEFAULT_STDIO_BUFFER (1u << 20)
#define AGENT_STDIO_BUFFER_MIN     (64u << 10)
#define AGENT_STDIO_BUFFER_MAX     (64u << 20)

struct agent_config {
        enum log_level log_level;          /* agent.log (default info) */
        uint32_t log_vport;                /* agent.log_vport (0 = console/stderr) */
        bool dev_mode;                     /* agent.devmode */
        bool trace;                        /* agent.trace */
        bool debug_console;                /* agent.debug_console */
        uint32_t debug_console_vport;      /* agent.debug_console_vport (0 = /dev/console) */
        uint64_t hotplug_timeout_ns;       /* agent.hotplug_timeout ("10s", "100ms", "10") */
        bool unified_cgroup_hierarchy;     /* agent.unified_cgroup_hierarchy,
                                              systemd.unified_cgroup_hierarchy, cgroup_no_v1=all */
        uint32_t container_pipe_size;      /* agent.container_pipe_size (0 = kernel default) */
        uint32_t stdio_buffer_size;        /* agent.stdio_buffer_size (bytes per output stream) */
        char *server_addr;                 /* agent.server_addr (never NULL after init) */
        uint32_t passfd_listener_port;     /* agent.passfd_listener_port (0 = off) */
        char *config_file;                 /* agent.config_file (config-file.h) */
        uint64_t cdh_api_timeout_s;        /* agent.cdh_api_timeout (default 50) */
        uint64_t image_pull_timeout_s;     /* agent.image_pull_timeout (default 1200) */
        uint64_t cdi_timeout_s;            /* agent.cdi_timeout (default 100) */
        uint64_t launch_process_timeout_s; /* agent.launch_process_timeout (default 6) */
};

void agent_config_init(struct agent_config *c);
void agent_config_done(struct agent_config *c);

/* Applies the options found in a kernel command line (the text of /proc/cmdline). */
void agent_config_parse_cmdline(struct agent_config *c, const char *cmdline);

/* Applies KATA_AGENT_* overrides (KATA_AGENT_SERVER_ADDR, KATA_AGENT_LOG_LEVEL,
 * KATA_AGENT_TRACING) from an environ-style array. */
void agent_config_apply_env(struct agent_config *c, char *const *envp);

/* Applies one option by its command-line name ("agent.log") from its text; an invalid value is
 * logged as for the command line, naming shown_name, and the field is kept. Returns 0, -EINVAL,
 * or -ENOENT for an unknown name. */
int agent_config_apply_option(struct agent_config *c, const char *name, const char *value,
                              const char *shown_name);

/* Parses one agent.hotplug_timeout value: a Go duration ("10s", "1m30s", "100ms", "1.5s") or
 * plain whole seconds ("10"). Zero and negative values are rejected. Returns 0 or -EINVAL.
 * A unit-less value must be whole ("5.0" is rejected, as in Go); results never exceed
 * INT64_MAX ns (Go's limit). *ret_ns is untouched on failure. */
int agent_config_parse_duration(const char *s, uint64_t *ret_ns);

/* The effective configuration as one JSON object (malloc'd string). */
char *agent_config_to_json(const struct agent_config *c);
