/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON <-> protobuf by the schema's own field names, the shape Kata's agent-ctl reads
 * (`json://{"interface": {"hwAddr": ...}}`, serde over the generated types): every message,
 * string, integer, bool, enum (name or number) and repeated field. proto3 JSON's lowerCamelCase
 * spelling of a snake_case name ("rawFlags") is accepted too.
 */
#include "ctl/ctl-pbjson.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool name_matches(const char *proto, const char *key)
{
        if (!proto || !key)
                return false;
        if (streq(proto, key))
                return true;
        for (; *proto && *key; proto++, key++) {
                if (*proto == '_' && proto[1]) {
                        proto++;
                        if (toupper((unsigned char) *proto) != *key)
                                return false;
                } else if (*proto != *key) {
                        return false;
                }
        }
        return !*proto && !*key;
}

static const ProtobufCFieldDescriptor *field_for(const ProtobufCMessageDescriptor *d,
                                                 const char *key)
{
        for (unsigned i = 0; i < d->n_fields; i++)
                if (name_matches(d->fields[i].name, key))
                        return &d->fields[i];
        return NULL;
}

static int fail(char *why, size_t size, const char *path, const char *what)
{
        snprintf(why, size, "%s: %s", path, what);
        return -EINVAL;
}

static int get_int(const json_t *v, int64_t min, int64_t max, int64_t *ret)
{
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
                return -EINVAL;
        *ret = json_integer_value(v);
        return 0;
}

static int get_enum(const ProtobufCEnumDescriptor *ed, const json_t *v, int *ret)
{
        const ProtobufCEnumValue *ev = NULL;

        if (json_is_string(v))
                ev = protobuf_c_enum_descriptor_get_value_by_name(ed, json_string_value(v));
        else if (json_is_integer(v))
                ev = protobuf_c_enum_descriptor_get_value(ed, (int) json_integer_value(v));
        if (!ev)
                return -EINVAL;
        *ret = ev->value;
        return 0;
}

static size_t scalar_size(ProtobufCType t)
{
        switch (t) {
        case PROTOBUF_C_TYPE_BOOL:
                return sizeof(protobuf_c_boolean);
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_ENUM:
                return 4;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_UINT64:
                return 8;
        case PROTOBUF_C_TYPE_BYTES:
                return sizeof(ProtobufCBinaryData);
        default:
                return sizeof(void *);
        }
}

static int from_value(const ProtobufCFieldDescriptor *fd, const json_t *v, void *member,
                      const char *path, char *why, size_t size);

static int from_number(const ProtobufCFieldDescriptor *fd, const json_t *v, void *member)
{
        int64_t i;
        int e;

        switch (fd->type) {
        case PROTOBUF_C_TYPE_UINT32:
                if (get_int(v, 0, UINT32_MAX, &i) < 0)
                        return -EINVAL;
                *(uint32_t *) member = (uint32_t) i;
                return 0;
        case PROTOBUF_C_TYPE_INT32:
                if (get_int(v, INT32_MIN, INT32_MAX, &i) < 0)
                        return -EINVAL;
                *(int32_t *) member = (int32_t) i;
                return 0;
        case PROTOBUF_C_TYPE_UINT64:
                if (get_int(v, 0, INT64_MAX, &i) < 0)
                        return -EINVAL;
                *(uint64_t *) member = (uint64_t) i;
                return 0;
        case PROTOBUF_C_TYPE_INT64:
                if (get_int(v, INT64_MIN, INT64_MAX, &i) < 0)
                        return -EINVAL;
                *(int64_t *) member = i;
                return 0;
        case PROTOBUF_C_TYPE_ENUM:
                if (get_enum(fd->descriptor, v, &e) < 0)
                        return -EINVAL;
                *(int *) member = e;
                return 0;
        default:
                return -EINVAL;
        }
}

static int from_value(const ProtobufCFieldDescriptor *fd, const json_t *v, void *member,
                      const char *path, char *why, size_t size)
{
        ProtobufCMessage *sub;
        int r;

        switch (fd->type) {
        case PROTOBUF_C_TYPE_STRING:
                if (!json_is_string(v))
                        return fail(why, size, path, "expected a string");
                *(char **) member = xstrdup(json_string_value(v));
                return 0;
        case PROTOBUF_C_TYPE_BYTES:
                if (!json_is_string(v))
                        return fail(why, size, path, "expected a string");
                ((ProtobufCBinaryData *) member)->len = json_string_length(v);
                ((ProtobufCBinaryData *) member)->data =
                        (uint8_t *) xstrndup(json_string_value(v), json_string_length(v));
                return 0;
        case PROTOBUF_C_TYPE_BOOL:
                if (!json_is_boolean(v))
                        return fail(why, size, path, "expected true or false");
                *(protobuf_c_boolean *) member = json_is_true(v);
                return 0;
        case PROTOBUF_C_TYPE_MESSAGE:
                sub = NULL;
                r = ctl_pbjson_parse(fd->descriptor, v, &sub, path, why, size);
                *(ProtobufCMessage **) member = sub; /* freed with the parent, even on error */
                return r;
        default:
                if (from_number(fd, v, member) < 0)
                        return fail(why, size, path,
                                    fd->type == PROTOBUF_C_TYPE_ENUM
                                            ? "unknown enum value"
                                            : "expected an integer in range");
                return 0;
        }
}

static int from_array(const ProtobufCFieldDescriptor *fd, const json_t *v, ProtobufCMessage *m,
                      const char *path, char *why, size_t size)
{
        size_t n = json_array_size(v), esz = scalar_size(fd->type);
        char *items;
        char sub[256];

        if (!json_is_array(v))
                return fail(why, size, path, "expected an array");
        items = xzalloc(esz * (n + 1));
        *(void **) ((char *) m + fd->offset) = items;
        for (size_t i = 0; i < n; i++) {
                if (snprintf(sub, sizeof(sub), "%s[%zu]", path, i) >= (int) sizeof(sub))
                        return fail(why, size, path, "nested too deeply");
                if (from_value(fd, json_array_get(v, i), items + i * esz, sub, why, size) < 0)
                        return -EINVAL;
                *(size_t *) ((char *) m + fd->quantifier_offset) = i + 1;
        }
        return 0;
}

int ctl_pbjson_parse(const ProtobufCMessageDescriptor *d, const json_t *obj, ProtobufCMessage **ret,
                     const char *path, char *why, size_t size)
{
        ProtobufCMessage *m;
        const char *key;
        json_t *v;
        char sub[256];

        if (!json_is_object(obj))
                return fail(why, size, path, "expected an object");
        m = xzalloc(d->sizeof_message);
        d->message_init(m);
        *ret = m;
        json_object_foreach((json_t *) obj, key, v)
        {
                const ProtobufCFieldDescriptor *fd = field_for(d, key);
                int r;

                if (snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key) >=
                    (int) sizeof(sub))
                        return fail(why, size, path, "nested too deeply");
                if (!fd)
                        return fail(why, size, sub, "unknown field");
                if (json_is_null(v))
                        continue;
                if (fd->label == PROTOBUF_C_LABEL_REPEATED)
                        r = from_array(fd, v, m, sub, why, size);
                else
                        r = from_value(fd, v, (char *) m + fd->offset, sub, why, size);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- output ---- */

static void out_value(struct ctl_output *o, const ProtobufCFieldDescriptor *fd, const void *p)
{
        const ProtobufCEnumValue *ev;

        switch (fd->type) {
        case PROTOBUF_C_TYPE_STRING:
                ctl_out_string(o, fd->name, fd->name, *(char *const *) p ? *(char *const *) p : "");
                break;
        case PROTOBUF_C_TYPE_BOOL:
                ctl_out_bool(o, fd->name, fd->name, *(const protobuf_c_boolean *) p);
                break;
        case PROTOBUF_C_TYPE_UINT32:
                ctl_out_uint(o, fd->name, fd->name, *(const uint32_t *) p);
                break;
        case PROTOBUF_C_TYPE_INT32:
                ctl_out_int(o, fd->name, fd->name, *(const int32_t *) p);
                break;
        case PROTOBUF_C_TYPE_UINT64:
                ctl_out_uint(o, fd->name, fd->name, *(const uint64_t *) p);
                break;
        case PROTOBUF_C_TYPE_INT64:
                ctl_out_int(o, fd->name, fd->name, *(const int64_t *) p);
                break;
        case PROTOBUF_C_TYPE_ENUM:
                ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, *(const int *) p);
                ctl_out_string(o, fd->name, fd->name, ev ? ev->name : "?");
                break;
        case PROTOBUF_C_TYPE_BYTES:
                ctl_out_hex(o, fd->name, fd->name, ((const ProtobufCBinaryData *) p)->data,
                            ((const ProtobufCBinaryData *) p)->len);
                break;
        case PROTOBUF_C_TYPE_MESSAGE:
                ctl_out_begin_section(o, fd->name, fd->name);
                if (*(ProtobufCMessage *const *) p)
                        ctl_pbjson_out(o, *(ProtobufCMessage *const *) p);
                ctl_out_end(o);
                break;
        default:
                break;
        }
}

void ctl_pbjson_out(struct ctl_output *o, const ProtobufCMessage *m)
{
        const ProtobufCMessageDescriptor *d = m->descriptor;

        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *fd = &d->fields[i];
                const char *p = (const char *) m + fd->offset;

                if (fd->label != PROTOBUF_C_LABEL_REPEATED) {
                        out_value(o, fd, p);
                        continue;
                }
                ctl_out_begin_list(o, fd->name, fd->name);
                for (size_t k = 0; k < *(const size_t *) ((const char *) m + fd->quantifier_offset);
                     k++)
                        out_value(o, fd, *(const char *const *) p + k * scalar_size(fd->type));
                ctl_out_end(o);
        }
}
