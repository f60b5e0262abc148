/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cata-runtime: an OCI runtime with runc's command line, built on the engine the agent uses.
 *
 * Global options come before the command; each command parses its own options (getopt, stopping
 * at the first argument, so `exec ID sh -c ...` passes `-c` through). Logging follows runc's
 * logrus: --log FILE gets every record (info and up, debug with --debug) as text or JSON lines;
 * without --log, warnings (and debug records with --debug) go to stderr. An error always goes to
 * stderr as "cata-runtime: <message>" and to the log file, and the command exits 1.
 */
#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "runtime/runtime.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- logging ---- */

static struct {
        FILE *file; /* --log */
        bool json;  /* --log-format json */
        enum rt_log_level level;
} logger = { .level = RT_LOG_WARN };

static const char *const level_names[] = {
        [RT_LOG_ERROR] = "error",
        [RT_LOG_WARN] = "warning",
        [RT_LOG_INFO] = "info",
        [RT_LOG_DEBUG] = "debug",
};

/* logrus's text formatter: time="..." level=info msg="..." (quoted, escaped). */
static void log_text_line(FILE *f, const char *level, const char *msg)
{
        char ts[64];

        rfc3339_now(ts, sizeof(ts));
        fprintf(f, "time=\"%s\" level=%s msg=\"", ts, level);
        for (const char *p = msg; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", f);
                else if (*p == '\t')
                        fputs("\\t", f);
                else
                        fputc(*p, f);
        }
        fputs("\"\n", f);
}

static void log_json_line(FILE *f, const char *level, const char *msg)
{
        json_t *o = json_object(), *m = json_string(msg);
        char ts[64], *line;

        rfc3339_now(ts, sizeof(ts));
        json_object_set_new(o, "level", json_string(level));
        /* Not UTF-8 (a path, say): keep the line, lose the message. */
        json_object_set_new(o, "msg", m ? m : json_string("(message is not UTF-8)"));
        json_object_set_new(o, "time", json_string(ts));
        line = json_dumps(o, JSON_COMPACT);
        if (line)
                fprintf(f, "%s\n", line);
        free(line);
        json_decref(o);
}

static void log_record(enum rt_log_level level, const char *msg)
{
        if (level > logger.level)
                return;
        if (!logger.file) {
                /* Errors are printed by rt_fail(). */
                if (level != RT_LOG_ERROR)
                        fprintf(stderr, "cata-runtime: %s: %s\n", level_names[level], msg);
                return;
        }
        if (logger.json)
                log_json_line(logger.file, level_names[level], msg);
        else
                log_text_line(logger.file, level_names[level], msg);
        fflush(logger.file);
}

void rt_log(enum rt_log_level level, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        log_record(level, msg);
}

int rt_fail(const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        fprintf(stderr, "cata-runtime: %s\n", msg);
        log_record(RT_LOG_ERROR, msg);
        return 1;
}

int rt_fail_error(const struct agent_error *err)
{
        return rt_fail("%s", err && err->msg ? err->msg : "unknown error");
}

/* The engine logs through base/log.c in Kata's JSON format: take msg and level back out. */
static void engine_log_sink(const char *line, size_t len, void *userdata)
{
        json_t *o = json_loadb(line, len, 0, NULL);
        const char *msg, *level;
        enum rt_log_level l = RT_LOG_INFO;

        (void) userdata;
        if (!o)
                return;
        msg = json_string_value(json_object_get(o, "msg"));
        level = json_string_value(json_object_get(o, "level"));
        if (streq(level, "CRIT") || streq(level, "ERRO"))
                l = RT_LOG_ERROR;
        else if (streq(level, "WARN"))
                l = RT_LOG_WARN;
        else if (streq(level, "DEBG") || streq(level, "TRCE"))
                l = RT_LOG_DEBUG;
        if (msg)
                log_record(l, msg);
        json_decref(o);
}

static int log_setup(const char *path, const char *format, bool debug)
{
        if (!streq(format, "text") && !streq(format, "json"))
                return rt_fail("invalid --log-format `%s` (text or json)", format);
        logger.json = streq(format, "json");
        if (path && *path) {
                int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (fd < 0 || !(logger.file = fdopen(fd, "a")))
                        return rt_fail("open log file `%s`: %s", path, strerror(errno));
                logger.level = RT_LOG_INFO;
        }
        if (debug)
                logger.level = RT_LOG_DEBUG;
        log_set_level(debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
        log_set_sink(engine_log_sink, NULL);
        return 0;
}

/* ---- commands ---- */

struct rt_command {
        const char *name;
        const char *usage;
        int (*run)(struct rt_context *ctx, int argc, char **argv);
        const char *help;
};

static const struct rt_command commands[] = {
        { "create", "[--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID", cmd_create,
          "create a container from DIR/config.json; it waits for `start` before execve" },
        { "start", "ID", cmd_start, "run the created container's process" },
        { "run", "[--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--detach] ID", cmd_run,
          "create and start; without --detach wait, delete, exit with its code" },
        { "exec",
          "[--tty] [--cwd DIR] [--env K=V]... [--process FILE] [--detach] [--pid-file FILE]\n"
          "                [--console-socket SOCK] ID [CMD...]",
          cmd_exec, "run another process in the container; exit with its code" },
        { "state", "ID", cmd_state, "print the OCI state of the container as JSON" },
        { "list", "[--format table|json] [--quiet]", cmd_list, "list the containers" },
        { "kill", "[--all] ID [SIGNAL]", cmd_kill,
          "signal the init (default TERM), or every process with --all" },
        { "delete", "[--force] ID", cmd_delete,
          "delete a stopped (or created) container; --force kills a running one" },
        { "ps", "[--format table|json] ID [PS-ARGS...]", cmd_ps,
          "the container's rows of the host's ps (default -ef), or a JSON array of pids" },
        { "pause", "ID", cmd_pause, "freeze every process in the container" },
        { "resume", "ID", cmd_resume, "thaw a paused container" },
        { "update",
          "[--resources FILE] [--cpu-period N] [--cpu-quota N] [--cpu-share N]\n"
          "                [--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus L]\n"
          "                [--cpuset-mems L] [--memory B] [--memory-reservation B]\n"
          "                [--memory-swap B] [--kernel-memory B] [--kernel-memory-tcp B]\n"
          "                [--pids-limit N] [--blkio-weight N] ID",
          cmd_update, "apply an OCI linux.resources JSON object (FILE `-`: stdin)" },
        { "spec", "[--bundle DIR]", cmd_spec, "write a default config.json" },
        { "events", "[--stats] [--interval DURATION] ID", cmd_events,
          "print stats (every 5 s by default) and OOM events as JSON lines until it stops" },
        { "features", "", cmd_features, "print the OCI runtime features document (JSON)" },
};

static const struct rt_command *current;

static void usage(FILE *f)
{
        fputs("Usage: cata-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug]\n"
              "                    COMMAND [OPTIONS] [ARGS]\n"
              "\n"
              "An OCI runtime (runc's command line) on the cata container engine.\n"
              "\n"
              "Options:\n"
              "  --root DIR          state directory (default " RT_DEFAULT_ROOT ")\n"
              "  --log FILE          write log records to FILE\n"
              "  --log-format FMT    text (default) or json\n"
              "  --debug             log debug records too\n"
              "  --systemd-cgroup    accepted; cgroups are always managed through cgroupfs\n"
              "  -h, --help          show this help\n"
              "  -v, --version       show the version\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                fprintf(f, "  %-8s%s\n", commands[i].name, commands[i].help);
        fputs("\nErrors are printed as `cata-runtime: <message>`; the exit status is then 1.\n", f);
}

int rt_usage_error(const struct rt_context *ctx, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        rt_fail("%s: %s", ctx->command, msg);
        if (current)
                fprintf(stderr, "Usage: cata-runtime %s %s\n", current->name, current->usage);
        return 1;
}

static void print_version(void)
{
        printf("cata-runtime version %s\nspec: %s\n", CATA_VERSION, RT_OCI_VERSION);
}

/* Returns -1 to go on, or the exit code. */
static int parse_global(int argc, char **argv, struct rt_context *ctx)
{
        enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD_CGROUP };
        static const struct option options[] = {
                { "root", required_argument, NULL, OPT_ROOT },
                { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
                { "log", required_argument, NULL, OPT_LOG },
                { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
                { "debug", no_argument, NULL, OPT_DEBUG },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'v' },
                { NULL, 0, NULL, 0 },
        };
        const char *log_path = NULL, *log_format = "text";
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:hv", options, NULL)) >= 0) {
                switch (c) {
                case OPT_ROOT:
                        ctx->root = optarg;
                        break;
                case OPT_LOG:
                        log_path = optarg;
                        break;
                case OPT_LOG_FORMAT:
                        log_format = optarg;
                        break;
                case OPT_DEBUG:
                        ctx->debug = true;
                        break;
                case OPT_SYSTEMD_CGROUP:
                        /* No systemd to ask: a "slice:prefix:name" cgroupsPath is mapped to
                         * the same cgroupfs path either way (cgroup_path_normalize). */
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'v':
                        print_version();
                        return 0;
                case ':':
                        return rt_fail("option `%s` needs a value", argv[optind - 1]);
                default:
                        return rt_fail("unknown option `%s`", argv[optind - 1]);
                }
        }
        if (log_setup(log_path, log_format, ctx->debug) != 0)
                return 1;
        if (!*ctx->root || ctx->root[0] != '/')
                return rt_fail("--root `%s` must be an absolute path", ctx->root);
        return -1;
}

static const struct rt_command *find_command(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}

int main(int argc, char **argv)
{
        struct rt_context ctx = { .root = RT_DEFAULT_ROOT };
        int r;

        /* A hook or console peer that goes away is an error code, not death. Children get the
         * default back (the engine's stage 1 resets every signal; hooks do it themselves). */
        (void) signal(SIGPIPE, SIG_IGN);
        r = parse_global(argc, argv, &ctx);
        if (r >= 0)
                return r;
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        current = find_command(argv[optind]);
        if (!current)
                return rt_fail("unknown command `%s`", argv[optind]);
        ctx.command = current->name;
        argc -= optind;
        argv += optind;
        optind = 0; /* glibc: a full reset for the command's own getopt */
        r = current->run(&ctx, argc, argv);
        if (logger.file)
                fclose(logger.file);
        return r;
}
