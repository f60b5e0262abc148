/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.json <-> Grpc__Spec.
 *
 * One walker serves every message. protobuf-c's descriptors already say each field's type,
 * offset, whether it is repeated and whether it sits in a oneof; the only knowledge they lack
 * is the OCI JSON name, so each message gets a small table mapping JSON names onto oci.proto
 * names, plus a few flags (required, written even when zero, JSON object <-> map entries).
 * Adding a field is one table line; the walker needs no change.
 *
 * Everything is allocated with malloc, message by message, exactly as
 * protobuf_c_message_unpack() would with the default allocator, so
 * protobuf_c_message_free_unpacked(NULL allocator) frees a parsed spec and a half-built one
 * alike. Absent strings stay protobuf_c_empty_string (never NULL), as after an unpack.
 *
 * uint64 above INT64_MAX: jansson holds integers as long long and rejects larger literals, yet
 * config.json carries them (an rlimit of RLIM_INFINITY is 18446744073709551615). Before parsing,
 * such literals in value position are rewritten into a marker string, a NUL byte followed by
 * the digits; the uint64 readers accept the marker and everything else rejects it, because a
 * string with a NUL is never a valid string here. Input strings cannot forge a marker: a
 * \u0000 escape is rejected up front, as jansson itself does by default. Writing goes the
 * other way: the marker is emitted and then replaced by the bare digits in the output text.
 */
#include "oci/spec-json.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"

/* ---- the tables ---- */

enum {
        F_REQUIRED = 1 << 0, /* from_json: must be present (null counts as absent) */
        F_NONEMPTY = 1 << 1, /* from_json: an array that needs at least one element */
        F_EMIT = 1 << 2,     /* to_json: written even when zero (no omitempty in the Go spec) */
        F_MAP = 1 << 3,      /* a JSON object of strings <-> repeated key/value entries */
};

struct field_map {
        const char *json;  /* config.json name */
        const char *proto; /* oci.proto name, as protobuf-c's descriptor spells it */
        unsigned flags;
};

struct message_map {
        const ProtobufCMessageDescriptor *desc;
        const struct field_map *fields;
        size_t n_fields;
};

/* Fields are listed in the order of config.md, which is the order to_json writes them in. */
static const struct field_map spec_fields[] = {
        { "ociVersion", "Version", F_REQUIRED | F_EMIT },
        { "process", "Process", 0 },
        { "root", "Root", F_REQUIRED },
        { "hostname", "Hostname", 0 },
        { "mounts", "Mounts", 0 },
        { "hooks", "Hooks", 0 },
        { "annotations", "Annotations", F_MAP },
        { "linux", "Linux", 0 },
};

static const struct field_map process_fields[] = {
        { "terminal", "Terminal", 0 },
        { "consoleSize", "ConsoleSize", 0 },
        { "user", "User", 0 },
        { "args", "Args", F_REQUIRED | F_NONEMPTY },
        { "env", "Env", 0 },
        { "cwd", "Cwd", F_EMIT },
        { "capabilities", "Capabilities", 0 },
        { "rlimits", "Rlimits", 0 },
        { "noNewPrivileges", "NoNewPrivileges", 0 },
        { "apparmorProfile", "ApparmorProfile", 0 },
        { "oomScoreAdj", "OOMScoreAdj", 0 },
        { "selinuxLabel", "SelinuxLabel", 0 },
};

static const struct field_map box_fields[] = {
        { "height", "Height", F_EMIT },
        { "width", "Width", F_EMIT },
};

static const struct field_map user_fields[] = {
        { "uid", "UID", F_EMIT },
        { "gid", "GID", F_EMIT },
        { "additionalGids", "AdditionalGids", 0 },
        { "username", "Username", 0 },
};

static const struct field_map capabilities_fields[] = {
        { "bounding", "Bounding", 0 },       { "effective", "Effective", 0 },
        { "inheritable", "Inheritable", 0 }, { "permitted", "Permitted", 0 },
        { "ambient", "Ambient", 0 },
};

static const struct field_map rlimit_fields[] = {
        { "type", "Type", F_EMIT },
        { "hard", "Hard", F_EMIT },
        { "soft", "Soft", F_EMIT },
};

static const struct field_map root_fields[] = {
        { "path", "Path", F_REQUIRED | F_EMIT },
        { "readonly", "Readonly", 0 },
};

static const struct field_map mount_fields[] = {
        { "destination", "destination", F_EMIT },
        { "type", "type", 0 },
        { "source", "source", 0 },
        { "options", "options", 0 },
};

static const struct field_map hooks_fields[] = {
        { "prestart", "Prestart", 0 },
        { "createRuntime", "CreateRuntime", 0 },
        { "createContainer", "CreateContainer", 0 },
        { "startContainer", "StartContainer", 0 },
        { "poststart", "Poststart", 0 },
        { "poststop", "Poststop", 0 },
};

static const struct field_map hook_fields[] = {
        { "path", "Path", F_EMIT },
        { "args", "Args", 0 },
        { "env", "Env", 0 },
        { "timeout", "Timeout", 0 },
};

static const struct field_map linux_fields[] = {
        { "uidMappings", "UIDMappings", 0 },
        { "gidMappings", "GIDMappings", 0 },
        { "sysctl", "Sysctl", F_MAP },
        { "resources", "Resources", 0 },
        { "cgroupsPath", "CgroupsPath", 0 },
        { "namespaces", "Namespaces", 0 },
        { "devices", "Devices", 0 },
        { "seccomp", "Seccomp", 0 },
        { "rootfsPropagation", "RootfsPropagation", 0 },
        { "maskedPaths", "MaskedPaths", 0 },
        { "readonlyPaths", "ReadonlyPaths", 0 },
        { "mountLabel", "MountLabel", 0 },
        { "intelRdt", "IntelRdt", 0 },
};

static const struct field_map idmapping_fields[] = {
        { "containerID", "ContainerID", F_EMIT },
        { "hostID", "HostID", F_EMIT },
        { "size", "Size", F_EMIT },
};

static const struct field_map namespace_fields[] = {
        { "type", "Type", F_EMIT },
        { "path", "Path", 0 },
};

static const struct field_map device_fields[] = {
        { "path", "Path", F_EMIT },   { "type", "Type", F_EMIT },    { "major", "Major", F_EMIT },
        { "minor", "Minor", F_EMIT }, { "fileMode", "FileMode", 0 }, { "uid", "UID", 0 },
        { "gid", "GID", 0 },
};

static const struct field_map resources_fields[] = {
        { "devices", "Devices", 0 }, { "memory", "Memory", 0 },
        { "cpu", "CPU", 0 },         { "pids", "Pids", 0 },
        { "blockIO", "BlockIO", 0 }, { "hugepageLimits", "HugepageLimits", 0 },
        { "network", "Network", 0 },
};

/* Major and minor stay omitted when 0: runc's default rule has none and means "any". */
static const struct field_map device_cgroup_fields[] = {
        { "allow", "Allow", F_EMIT }, { "type", "Type", 0 },     { "major", "Major", 0 },
        { "minor", "Minor", 0 },      { "access", "Access", 0 },
};

static const struct field_map memory_fields[] = {
        { "limit", "Limit", 0 },
        { "reservation", "Reservation", 0 },
        { "swap", "Swap", 0 },
        { "kernel", "Kernel", 0 },
        { "kernelTCP", "KernelTCP", 0 },
        { "swappiness", "Swappiness", 0 },
        { "disableOOMKiller", "DisableOOMKiller", 0 },
};

static const struct field_map cpu_fields[] = {
        { "shares", "Shares", 0 },
        { "quota", "Quota", 0 },
        { "period", "Period", 0 },
        { "realtimeRuntime", "RealtimeRuntime", 0 },
        { "realtimePeriod", "RealtimePeriod", 0 },
        { "cpus", "Cpus", 0 },
        { "mems", "Mems", 0 },
};

static const struct field_map pids_fields[] = {
        { "limit", "Limit", F_EMIT },
};

static const struct field_map block_io_fields[] = {
        { "weight", "Weight", 0 },
        { "leafWeight", "LeafWeight", 0 },
        { "weightDevice", "WeightDevice", 0 },
        { "throttleReadBpsDevice", "ThrottleReadBpsDevice", 0 },
        { "throttleWriteBpsDevice", "ThrottleWriteBpsDevice", 0 },
        { "throttleReadIOPSDevice", "ThrottleReadIOPSDevice", 0 },
        { "throttleWriteIOPSDevice", "ThrottleWriteIOPSDevice", 0 },
};

static const struct field_map weight_device_fields[] = {
        { "major", "Major", F_EMIT },
        { "minor", "Minor", F_EMIT },
        { "weight", "Weight", 0 },
        { "leafWeight", "LeafWeight", 0 },
};

static const struct field_map throttle_device_fields[] = {
        { "major", "Major", F_EMIT },
        { "minor", "Minor", F_EMIT },
        { "rate", "Rate", F_EMIT },
};

static const struct field_map hugepage_limit_fields[] = {
        { "pageSize", "Pagesize", F_EMIT },
        { "limit", "Limit", F_EMIT },
};

static const struct field_map network_fields[] = {
        { "classID", "ClassID", 0 },
        { "priorities", "Priorities", 0 },
};

static const struct field_map interface_priority_fields[] = {
        { "name", "Name", F_EMIT },
        { "priority", "Priority", F_EMIT },
};

static const struct field_map seccomp_fields[] = {
        { "defaultAction", "DefaultAction", F_EMIT },
        { "architectures", "Architectures", 0 },
        { "flags", "Flags", 0 },
        { "syscalls", "Syscalls", 0 },
};

/* errnoRet is a oneof: its case, not its value, says whether it was given. */
static const struct field_map syscall_fields[] = {
        { "names", "Names", F_EMIT },
        { "action", "Action", F_EMIT },
        { "errnoRet", "errnoret", 0 },
        { "args", "Args", 0 },
};

static const struct field_map seccomp_arg_fields[] = {
        { "index", "Index", F_EMIT },
        { "value", "Value", F_EMIT },
        { "valueTwo", "ValueTwo", 0 },
        { "op", "Op", F_EMIT },
};

static const struct field_map intel_rdt_fields[] = {
        { "l3CacheSchema", "L3CacheSchema", 0 },
};

#define MESSAGE(d, f)                    \
        {                                \
                &(d), (f), ARRAY_SIZE(f) \
        }

static const struct message_map messages[] = {
        MESSAGE(grpc__spec__descriptor, spec_fields),
        MESSAGE(grpc__process__descriptor, process_fields),
        MESSAGE(grpc__box__descriptor, box_fields),
        MESSAGE(grpc__user__descriptor, user_fields),
        MESSAGE(grpc__linux_capabilities__descriptor, capabilities_fields),
        MESSAGE(grpc__posixrlimit__descriptor, rlimit_fields),
        MESSAGE(grpc__root__descriptor, root_fields),
        MESSAGE(grpc__mount__descriptor, mount_fields),
        MESSAGE(grpc__hooks__descriptor, hooks_fields),
        MESSAGE(grpc__hook__descriptor, hook_fields),
        MESSAGE(grpc__linux__descriptor, linux_fields),
        MESSAGE(grpc__linux_idmapping__descriptor, idmapping_fields),
        MESSAGE(grpc__linux_namespace__descriptor, namespace_fields),
        MESSAGE(grpc__linux_device__descriptor, device_fields),
        MESSAGE(grpc__linux_resources__descriptor, resources_fields),
        MESSAGE(grpc__linux_device_cgroup__descriptor, device_cgroup_fields),
        MESSAGE(grpc__linux_memory__descriptor, memory_fields),
        MESSAGE(grpc__linux_cpu__descriptor, cpu_fields),
        MESSAGE(grpc__linux_pids__descriptor, pids_fields),
        MESSAGE(grpc__linux_block_io__descriptor, block_io_fields),
        MESSAGE(grpc__linux_weight_device__descriptor, weight_device_fields),
        MESSAGE(grpc__linux_throttle_device__descriptor, throttle_device_fields),
        MESSAGE(grpc__linux_hugepage_limit__descriptor, hugepage_limit_fields),
        MESSAGE(grpc__linux_network__descriptor, network_fields),
        MESSAGE(grpc__linux_interface_priority__descriptor, interface_priority_fields),
        MESSAGE(grpc__linux_seccomp__descriptor, seccomp_fields),
        MESSAGE(grpc__linux_syscall__descriptor, syscall_fields),
        MESSAGE(grpc__linux_seccomp_arg__descriptor, seccomp_arg_fields),
        MESSAGE(grpc__linux_intel_rdt__descriptor, intel_rdt_fields),
};

/* A table naming a field or message oci.proto lacks is a bug in this file, not bad input. */
static const struct message_map *message_map_for(const ProtobufCMessageDescriptor *desc)
{
        for (size_t i = 0; i < ARRAY_SIZE(messages); i++)
                if (messages[i].desc == desc)
                        return &messages[i];
        abort();
}

static const ProtobufCFieldDescriptor *proto_field(const ProtobufCMessageDescriptor *desc,
                                                   const char *name)
{
        const ProtobufCFieldDescriptor *fd =
                protobuf_c_message_descriptor_get_field_by_name(desc, name);

        if (!fd)
                abort();
        return fd;
}

static void *member_of(const ProtobufCMessage *msg, unsigned offset)
{
        return (char *) msg + offset;
}

static void message_freep(ProtobufCMessage **msg)
{
        if (*msg)
                protobuf_c_message_free_unpacked(*msg, NULL);
}

static ProtobufCMessage *message_new(const ProtobufCMessageDescriptor *desc)
{
        ProtobufCMessage *msg = xmalloc(desc->sizeof_message);

        protobuf_c_message_init(desc, msg);
        return msg;
}

/* ---- big integers (see the top of the file) ---- */

#define MARKER_OPEN     "\"\\u0000"
#define MARKER_OPEN_LEN (sizeof(MARKER_OPEN) - 1)
#define MARKER_GROWTH   (MARKER_OPEN_LEN + 1) /* the opening and the closing quote */

struct big_literal {
        size_t start, end; /* [start, end) in the original text */
};

struct scan {
        struct big_literal *bigs;
        size_t n_bigs;
};

static void scan_done(struct scan *sc)
{
        free(sc->bigs);
}

/* 1-based line and column (in characters, as jansson counts) of byte offset pos. */
static void text_position(const char *s, size_t pos, int *line, int *column)
{
        *line = 1;
        *column = 0;
        for (size_t i = 0; i < pos; i++) {
                if (s[i] == '\n') {
                        (*line)++;
                        *column = 0;
                } else if (((unsigned char) s[i] & 0xC0) != 0x80) {
                        (*column)++;
                }
        }
}

static int syntax_error(struct agent_error **err, int line, int column, const char *what)
{
        return agent_error_setf(err, EINVAL, "invalid JSON at line %d, column %d: %s", line, column,
                                what);
}

/* Moves *i from the quote opening a string to the one closing it (or to len). */
static int skip_string(const char *s, size_t len, size_t *i, struct agent_error **err)
{
        size_t j = *i + 1;
        int line, column;

        while (j < len && s[j] != '"') {
                if (s[j] != '\\') {
                        j++;
                        continue;
                }
                if (j + 6 <= len && memcmp(s + j, "\\u0000", 6) == 0) {
                        text_position(s, j + 1, &line, &column);
                        return syntax_error(err, line, column, "\\u0000 is not allowed in strings");
                }
                j += 2;
        }
        *i = j;
        return 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Whether the digits s[start, end) form a JSON value jansson rejects but uint64 holds. Keys
 * are left alone (a number there must stay a syntax error, which a string would not be). */
static bool is_big_literal(const char *s, size_t len, size_t start, size_t end)
{
        char buf[24];
        uint64_t v;
        size_t next = end;

        /* Leading zeros, fractions and exponents are jansson's to reject or to read. */
        if (end - start > 20 || s[start] == '0' ||
            (end < len && (s[end] == '.' || s[end] == 'e' || s[end] == 'E')))
                return false;
        while (next < len && is_space(s[next]))
                next++;
        if (next < len && s[next] == ':')
                return false;
        memcpy(buf, s + start, end - start);
        buf[end - start] = '\0';
        return parse_u64(buf, 10, &v) == 0 && v > (uint64_t) INT64_MAX;
}

/* Finds the big literals in value position (after ':', '[' or ',') and rejects \u0000. */
static int scan_text(const char *s, size_t len, struct scan *sc, struct agent_error **err)
{
        char prev = '\0'; /* the last character outside strings and whitespace */
        size_t cap = 0;
        int r;

        for (size_t i = 0; i < len; i++) {
                size_t end = i;

                if (s[i] == '"') {
                        r = skip_string(s, len, &i, err);
                        if (r < 0)
                                return r;
                        prev = '"';
                        continue;
                }
                if (is_space(s[i]))
                        continue;
                if (!is_digit(s[i]) || (prev != ':' && prev != '[' && prev != ',')) {
                        prev = s[i];
                        continue;
                }
                while (end < len && is_digit(s[end]))
                        end++;
                if (is_big_literal(s, len, i, end)) {
                        if (sc->n_bigs == cap) {
                                cap = cap ? cap * 2 : 4;
                                sc->bigs = xrealloc(sc->bigs, cap * sizeof(*sc->bigs));
                        }
                        sc->bigs[sc->n_bigs++] = (struct big_literal){ i, end };
                }
                prev = '0';
                i = end - 1;
        }
        return 0;
}

/* The text with every big literal turned into "\u0000<digits>". */
static char *rewrite_text(const char *s, size_t len, const struct scan *sc, size_t *ret_len)
{
        char *out = xmalloc(len + sc->n_bigs * MARKER_GROWTH + 1);
        size_t o = 0, from = 0;

        for (size_t k = 0; k < sc->n_bigs; k++) {
                const struct big_literal *b = &sc->bigs[k];

                memcpy(out + o, s + from, b->start - from);
                o += b->start - from;
                memcpy(out + o, MARKER_OPEN, MARKER_OPEN_LEN);
                o += MARKER_OPEN_LEN;
                memcpy(out + o, s + b->start, b->end - b->start);
                o += b->end - b->start;
                out[o++] = '"';
                from = b->end;
        }
        memcpy(out + o, s + from, len - from);
        o += len - from;
        out[o] = '\0';
        *ret_len = o;
        return out;
}

/* jansson's column counts the rewritten text; take the markers before it on its line back out.
 * Markers are ASCII, so each one added exactly MARKER_GROWTH columns. */
static int original_column(const char *s, const struct scan *sc, size_t pos, int column)
{
        size_t orig = pos, line_start;

        for (size_t k = 0; k < sc->n_bigs && sc->bigs[k].end + (k + 1) * MARKER_GROWTH <= pos; k++)
                orig -= MARKER_GROWTH;
        line_start = orig;
        while (line_start > 0 && s[line_start - 1] != '\n')
                line_start--;
        for (size_t k = 0; k < sc->n_bigs; k++)
                if (sc->bigs[k].start >= line_start && sc->bigs[k].end <= orig)
                        column -= (int) MARKER_GROWTH;
        return column;
}

static int load_json(const char *text, size_t len, json_t **ret, struct agent_error **err)
{
        _cleanup_(scan_done) struct scan sc = { 0 };
        _cleanup_free_ char *rewritten = NULL;
        const char *input = text;
        size_t input_len = len;
        json_error_t e;
        int r;

        r = scan_text(text, len, &sc, err);
        if (r < 0)
                return r;
        if (sc.n_bigs > 0)
                input = rewritten = rewrite_text(text, len, &sc, &input_len);
        /* NULs can only come from our markers: scan_text() rejected \u0000 in the input. */
        *ret = json_loadb(input, input_len, JSON_ALLOW_NUL, &e);
        if (!*ret)
                return syntax_error(err, e.line,
                                    original_column(text, &sc, (size_t) e.position, e.column),
                                    e.text);
        return 0;
}

/* ---- from JSON ---- */

struct json_path {
        char *buf;
        size_t len, cap;
};

struct parser {
        struct json_path path;
        struct agent_error **err;
};

static void parser_done(struct parser *ps)
{
        free(ps->path.buf);
}

/* Appends to the path; returns the old length for path_pop(). */
static size_t path_push(struct json_path *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static size_t path_push(struct json_path *p, const char *fmt, ...)
{
        _cleanup_free_ char *part = NULL;
        size_t old = p->len, n;
        va_list ap;

        va_start(ap, fmt);
        part = xvasprintf(fmt, ap);
        va_end(ap);
        n = strlen(part);
        if (p->len + n + 1 > p->cap) {
                p->cap = (p->len + n + 1) * 2;
                p->buf = xrealloc(p->buf, p->cap);
        }
        memcpy(p->buf + p->len, part, n + 1);
        p->len += n;
        return old;
}

static void path_pop(struct json_path *p, size_t len)
{
        p->len = len;
        if (p->buf)
                p->buf[len] = '\0';
}

static int parse_error(struct parser *ps, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int parse_error(struct parser *ps, const char *fmt, ...)
{
        _cleanup_free_ char *what = NULL;
        va_list ap;

        va_start(ap, fmt);
        what = xvasprintf(fmt, ap);
        va_end(ap);
        return agent_error_setf(ps->err, EINVAL, "%s: %s",
                                ps->path.len ? ps->path.buf : "top level", what);
}

/* A marker string from rewrite_text(): NUL, then the digits of a value above INT64_MAX. */
static bool big_marker(const json_t *v, uint64_t *ret)
{
        const char *s = json_string_value(v);

        return s && json_string_length(v) > 1 && s[0] == '\0' && parse_u64(s + 1, 10, ret) == 0;
}

static int get_string(struct parser *ps, const json_t *v, char **ret)
{
        const char *s = json_string_value(v);

        /* A NUL inside means a marker, i.e. the JSON had a number here. */
        if (!s || strlen(s) != json_string_length(v))
                return parse_error(ps, "expected a string");
        *ret = xstrdup(s);
        return 0;
}

static int get_unsigned(struct parser *ps, const json_t *v, uint64_t max, uint64_t *ret)
{
        uint64_t u;

        if (json_is_integer(v)) {
                json_int_t i = json_integer_value(v);

                if (i < 0)
                        return parse_error(ps, "expected an unsigned integer, got %lld", i);
                u = (uint64_t) i;
        } else if (!big_marker(v, &u)) {
                return parse_error(ps, "expected an unsigned integer");
        }
        if (u > max)
                return parse_error(ps, "%" PRIu64 " is out of range (at most %" PRIu64 ")", u, max);
        *ret = u;
        return 0;
}

static int get_signed(struct parser *ps, const json_t *v, int64_t *ret)
{
        uint64_t u;

        if (big_marker(v, &u))
                return parse_error(ps, "%" PRIu64 " is out of range (at most %" PRId64 ")", u,
                                   INT64_MAX);
        if (!json_is_integer(v))
                return parse_error(ps, "expected an integer");
        *ret = json_integer_value(v);
        return 0;
}

static int parse_scalar(struct parser *ps, const json_t *v, ProtobufCType type, void *member)
{
        uint64_t u;
        int r;

        switch (type) {
        case PROTOBUF_C_TYPE_STRING:
                return get_string(ps, v, member);
        case PROTOBUF_C_TYPE_BOOL:
                if (!json_is_boolean(v))
                        return parse_error(ps, "expected a boolean");
                *(protobuf_c_boolean *) member = json_is_true(v);
                return 0;
        case PROTOBUF_C_TYPE_UINT32:
                r = get_unsigned(ps, v, UINT32_MAX, &u);
                if (r >= 0)
                        *(uint32_t *) member = (uint32_t) u;
                return r;
        case PROTOBUF_C_TYPE_UINT64:
                return get_unsigned(ps, v, UINT64_MAX, member);
        case PROTOBUF_C_TYPE_INT64:
                return get_signed(ps, v, member);
        default:
                abort(); /* oci.proto uses no other scalar type */
        }
}

static int parse_message(struct parser *ps, json_t *v, const ProtobufCMessageDescriptor *desc,
                         ProtobufCMessage **ret);

static int parse_value(struct parser *ps, json_t *v, const ProtobufCFieldDescriptor *fd,
                       void *member)
{
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
                return parse_message(ps, v, fd->descriptor, member);
        return parse_scalar(ps, v, fd->type, member);
}

static size_t element_size(ProtobufCType type)
{
        switch (type) {
        case PROTOBUF_C_TYPE_STRING:
                return sizeof(char *);
        case PROTOBUF_C_TYPE_MESSAGE:
                return sizeof(ProtobufCMessage *);
        case PROTOBUF_C_TYPE_BOOL:
                return sizeof(protobuf_c_boolean);
        case PROTOBUF_C_TYPE_UINT32:
                return sizeof(uint32_t);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_UINT64:
                return sizeof(uint64_t);
        default:
                abort();
        }
}

/* The count grows element by element, so on failure free_unpacked() sees only whole ones. */
static int parse_array(struct parser *ps, json_t *v, const ProtobufCFieldDescriptor *fd,
                       ProtobufCMessage *msg)
{
        size_t *n = member_of(msg, fd->quantifier_offset);
        char **arr = member_of(msg, fd->offset);
        size_t size = element_size(fd->type), i;
        json_t *e;

        if (!json_is_array(v))
                return parse_error(ps, "expected an array");
        if (json_array_size(v) == 0)
                return 0;
        *arr = xzalloc(json_array_size(v) * size);
        json_array_foreach(v, i, e)
        {
                size_t mark = path_push(&ps->path, "[%zu]", i);
                int r = parse_value(ps, e, fd, *arr + i * size);

                path_pop(&ps->path, mark);
                if (r < 0)
                        return r;
                (*n)++;
        }
        return 0;
}

static int parse_map_entry(struct parser *ps, const char *key, const json_t *v,
                           const ProtobufCMessageDescriptor *entry_desc, ProtobufCMessage **ret)
{
        _cleanup_(message_freep) ProtobufCMessage *entry = message_new(entry_desc);
        char **k = member_of(entry, proto_field(entry_desc, "key")->offset);
        int r;

        *k = xstrdup(key);
        r = get_string(ps, v, member_of(entry, proto_field(entry_desc, "value")->offset));
        if (r < 0)
                return r;
        *ret = TAKE_PTR(entry);
        return 0;
}

static int parse_map(struct parser *ps, json_t *v, const ProtobufCFieldDescriptor *fd,
                     ProtobufCMessage *msg)
{
        size_t *n = member_of(msg, fd->quantifier_offset);
        ProtobufCMessage ***arr = member_of(msg, fd->offset);
        const char *key;
        json_t *value;

        if (!json_is_object(v))
                return parse_error(ps, "expected an object");
        if (json_object_size(v) == 0)
                return 0;
        *arr = xzalloc(json_object_size(v) * sizeof(**arr));
        json_object_foreach(v, key, value)
        {
                size_t mark = path_push(&ps->path, "[\"%s\"]", key);
                int r = parse_map_entry(ps, key, value, fd->descriptor, &(*arr)[*n]);

                path_pop(&ps->path, mark);
                if (r < 0)
                        return r;
                (*n)++;
        }
        return 0;
}

static int parse_present_field(struct parser *ps, json_t *v, const struct field_map *f,
                               const ProtobufCFieldDescriptor *fd, ProtobufCMessage *msg)
{
        int r;

        if (f->flags & F_MAP)
                return parse_map(ps, v, fd, msg);
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
                r = parse_array(ps, v, fd, msg);
                if (r >= 0 && (f->flags & F_NONEMPTY) && json_array_size(v) == 0)
                        return parse_error(ps, "must not be empty");
                return r;
        }
        r = parse_value(ps, v, fd, member_of(msg, fd->offset));
        if (r >= 0 && (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
                *(uint32_t *) member_of(msg, fd->quantifier_offset) = fd->id;
        return r;
}

static int parse_field(struct parser *ps, const json_t *obj, const struct field_map *f,
                       ProtobufCMessage *msg)
{
        json_t *v = json_object_get(obj, f->json);
        bool absent = !v || json_is_null(v);
        size_t mark;
        int r;

        /* null is absent, as Go's encoding/json reads it into a pointer or a slice. */
        if (absent && !(f->flags & F_REQUIRED))
                return 0;
        mark = path_push(&ps->path, "%s%s", ps->path.len ? "." : "", f->json);
        if (absent)
                r = parse_error(ps, "missing (required)");
        else
                r = parse_present_field(ps, v, f, proto_field(msg->descriptor, f->proto), msg);
        path_pop(&ps->path, mark);
        return r;
}

static int parse_message(struct parser *ps, json_t *v, const ProtobufCMessageDescriptor *desc,
                         ProtobufCMessage **ret)
{
        const struct message_map *mm = message_map_for(desc);
        _cleanup_(message_freep) ProtobufCMessage *msg = NULL;
        int r;

        if (!json_is_object(v))
                return parse_error(ps, "expected an object");
        msg = message_new(desc);
        for (size_t i = 0; i < mm->n_fields; i++) {
                r = parse_field(ps, v, &mm->fields[i], msg);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(msg);
        return 0;
}

int spec_from_json(const char *json, size_t len, Grpc__Spec **ret, struct agent_error **err)
{
        _cleanup_(parser_done) struct parser ps = { .err = err };
        _cleanup_(json_decrefp) json_t *root = NULL;
        ProtobufCMessage *spec = NULL;
        int r;

        r = load_json(json, len, &root, err);
        if (r < 0)
                return r;
        r = parse_message(&ps, root, &grpc__spec__descriptor, &spec);
        if (r < 0)
                return r;
        *ret = (Grpc__Spec *) spec;
        return 0;
}

void spec_free(Grpc__Spec *spec)
{
        if (spec)
                protobuf_c_message_free_unpacked(&spec->base, NULL);
}

void spec_freep(Grpc__Spec **spec)
{
        spec_free(*spec);
        *spec = NULL;
}

/* ---- files ---- */

int spec_from_bundle(const char *bundle, Grpc__Spec **ret, char **ret_bundle,
                     struct agent_error **err)
{
        _cleanup_(spec_freep) Grpc__Spec *spec = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        char abs[PATH_MAX];
        size_t len;
        int r;

        if (!realpath(bundle, abs))
                return agent_error_set(err, errno, "bundle `%s`", bundle);
        path = xasprintf("%s/config.json", abs);
        r = read_file(path, SPEC_JSON_FILE_MAX, &text, &len);
        if (r < 0)
                return agent_error_set(err, -r, "read `%s`", path);
        if (spec_from_json(text, len, &spec, err) < 0)
                return agent_error_wrap(err, "`%s`", path);
        if (spec->root->path[0] != '/') {
                _cleanup_free_ char *joined = xasprintf("%s/%s", abs, spec->root->path);
                char root[PATH_MAX];

                if (!realpath(joined, root))
                        return agent_error_set(err, errno, "root.path `%s`", joined);
                free(spec->root->path);
                spec->root->path = xstrdup(root);
        }
        if (ret_bundle)
                *ret_bundle = xstrdup(abs);
        *ret = TAKE_PTR(spec);
        return 0;
}

int spec_fragment_from_file(const char *path, enum spec_fragment what, Grpc__Spec **ret,
                            struct agent_error **err)
{
        _cleanup_free_ char *text = NULL, *wrapped = NULL;
        size_t len;
        int r;

        r = read_file(path, SPEC_JSON_FILE_MAX, &text, &len);
        if (r < 0)
                return agent_error_set(err, -r, "read `%s`", path);
        if (what == SPEC_FRAGMENT_RESOURCES)
                wrapped = xasprintf("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/\"},"
                                    "\"linux\":{\"resources\":%s}}",
                                    text);
        else
                wrapped = xasprintf("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/\"},"
                                    "\"process\":%s}",
                                    text);
        if (spec_from_json(wrapped, strlen(wrapped), ret, err) < 0)
                return agent_error_wrap(err, "`%s`", path);
        return 0;
}

/* ---- to JSON ---- */

struct emitter {
        bool markers; /* a uint64 above INT64_MAX was written as a marker */
};

static json_t *emit_message(struct emitter *em, const ProtobufCMessage *msg);

/* NULL when a string is not UTF-8: JSON cannot carry it, and a lossy copy would not round-trip. */
static json_t *emit_string(const char *s)
{
        return json_string(s ? s : "");
}

static json_t *emit_uint64(struct emitter *em, uint64_t v)
{
        char buf[24];
        int n;

        if (v <= (uint64_t) INT64_MAX)
                return json_integer((json_int_t) v);
        em->markers = true;
        n = snprintf(buf, sizeof(buf), "%c%" PRIu64, '\0', v);
        return json_stringn(buf, (size_t) n);
}

static json_t *emit_value(struct emitter *em, const ProtobufCFieldDescriptor *fd,
                          const void *member)
{
        switch (fd->type) {
        case PROTOBUF_C_TYPE_STRING:
                return emit_string(*(char *const *) member);
        case PROTOBUF_C_TYPE_BOOL:
                return json_boolean(*(const protobuf_c_boolean *) member);
        case PROTOBUF_C_TYPE_UINT32:
                return json_integer(*(const uint32_t *) member);
        case PROTOBUF_C_TYPE_UINT64:
                return emit_uint64(em, *(const uint64_t *) member);
        case PROTOBUF_C_TYPE_INT64:
                return json_integer(*(const int64_t *) member);
        case PROTOBUF_C_TYPE_MESSAGE:
                return emit_message(em, *(ProtobufCMessage *const *) member);
        default:
                abort();
        }
}

/* Go's omitempty: zero numbers, false and "" are left out unless the field has F_EMIT. */
static bool is_zero(const ProtobufCFieldDescriptor *fd, const void *member)
{
        switch (fd->type) {
        case PROTOBUF_C_TYPE_STRING:
                return !*(char *const *) member || !**(char *const *) member;
        case PROTOBUF_C_TYPE_BOOL:
                return !*(const protobuf_c_boolean *) member;
        case PROTOBUF_C_TYPE_UINT32:
                return *(const uint32_t *) member == 0;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_INT64:
                return *(const uint64_t *) member == 0;
        case PROTOBUF_C_TYPE_MESSAGE:
                return !*(ProtobufCMessage *const *) member;
        default:
                abort();
        }
}

static json_t *emit_array(struct emitter *em, const ProtobufCFieldDescriptor *fd,
                          const ProtobufCMessage *msg)
{
        size_t n = *(const size_t *) member_of(msg, fd->quantifier_offset);
        const char *arr = *(char *const *) member_of(msg, fd->offset);
        size_t size = element_size(fd->type);
        json_auto_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(a, emit_value(em, fd, arr + i * size)) < 0)
                        return NULL;
        return json_incref(a);
}

static json_t *emit_map(const ProtobufCFieldDescriptor *fd, const ProtobufCMessage *msg)
{
        size_t n = *(const size_t *) member_of(msg, fd->quantifier_offset);
        ProtobufCMessage *const *entries =
                *(ProtobufCMessage * *const *) member_of(msg, fd->offset);
        unsigned key = proto_field(fd->descriptor, "key")->offset;
        unsigned value = proto_field(fd->descriptor, "value")->offset;
        json_auto_t *o = json_object();

        for (size_t i = 0; i < n; i++) {
                const char *k, *v;

                if (!entries[i])
                        continue; /* only in a hand-built spec */
                k = *(char *const *) member_of(entries[i], key);
                v = *(char *const *) member_of(entries[i], value);
                if (json_object_set_new(o, k ? k : "", emit_string(v)) < 0)
                        return NULL;
        }
        return json_incref(o);
}

/* Whether to write the field at all: set, non-empty, or required in config.json. */
static bool field_present(const struct field_map *f, const ProtobufCFieldDescriptor *fd,
                          const ProtobufCMessage *msg)
{
        if (fd->label == PROTOBUF_C_LABEL_REPEATED)
                return (f->flags & F_EMIT) ||
                       *(const size_t *) member_of(msg, fd->quantifier_offset) > 0;
        if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                return *(const uint32_t *) member_of(msg, fd->quantifier_offset) == fd->id;
        if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
                return !is_zero(fd, member_of(msg, fd->offset));
        return (f->flags & F_EMIT) || !is_zero(fd, member_of(msg, fd->offset));
}

static int emit_field(struct emitter *em, json_t *obj, const struct field_map *f,
                      const ProtobufCMessage *msg)
{
        const ProtobufCFieldDescriptor *fd = proto_field(msg->descriptor, f->proto);
        json_t *v;

        if (!field_present(f, fd, msg))
                return 0;
        if (f->flags & F_MAP)
                v = emit_map(fd, msg);
        else if (fd->label == PROTOBUF_C_LABEL_REPEATED)
                v = emit_array(em, fd, msg);
        else
                v = emit_value(em, fd, member_of(msg, fd->offset));
        /* json_object_set_new() takes v even when it fails, and fails on NULL. */
        return json_object_set_new(obj, f->json, v) < 0 ? -EINVAL : 0;
}

static json_t *emit_message(struct emitter *em, const ProtobufCMessage *msg)
{
        const struct message_map *mm;
        json_auto_t *o = json_object();

        /* Only a hand-built spec has a NULL element; it reads back as an empty message. */
        if (!msg)
                return json_incref(o);
        mm = message_map_for(msg->descriptor);
        for (size_t i = 0; i < mm->n_fields; i++)
                if (emit_field(em, o, &mm->fields[i], msg) < 0)
                        return NULL;
        return json_incref(o);
}

/* Replaces each "\u0000<digits>" marker by the bare digits, in place. Only markers hold an
 * escaped NUL: a C string cannot. */
static void unmark_text(char *s)
{
        char *w = s, *r = s;

        while (*r) {
                if (strncmp(r, MARKER_OPEN, MARKER_OPEN_LEN) != 0) {
                        *w++ = *r++;
                        continue;
                }
                r += MARKER_OPEN_LEN;
                while (is_digit(*r))
                        *w++ = *r++;
                r++; /* the closing quote */
        }
        *w = '\0';
}

char *spec_to_json(const Grpc__Spec *spec)
{
        struct emitter em = { .markers = false };
        _cleanup_(json_decrefp) json_t *root = NULL;
        char *text;

        if (!spec)
                return NULL;
        root = emit_message(&em, &spec->base);
        if (!root)
                return NULL;
        text = json_dumps(root, JSON_INDENT(2));
        if (text && em.markers)
                unmark_text(text);
        return text;
}
