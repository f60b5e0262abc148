/* SPDX-License-Identifier: Apache-2.0 */
#include "rpc/strings.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The schema nests a few levels (Request > Spec > Linux > Resources > ...); anything deeper
 * than this is not Kata's and unpack would have refused it anyway. */
#define MAX_DEPTH 32

struct walker {
        char *path;
        size_t size;
};

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
        uint64_t v = 0;

        for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
                uint8_t b = *(*p)++;
                v |= (uint64_t) (b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *ret = v;
                        return 0;
                }
        }
        return -EBADMSG;
}

/* Appends ".name" (or "name" at the top) to the path; returns the old length to restore. */
static size_t path_push(struct walker *w, const char *name)
{
        size_t len = strlen(w->path);

        snprintf(w->path + len, w->size - len, "%s%s", len ? "." : "", name);
        return len;
}

static int walk(struct walker *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                const uint8_t *end, unsigned depth);

static int check_field(struct walker *w, const ProtobufCFieldDescriptor *f, const uint8_t *data,
                       size_t len, unsigned depth)
{
        size_t mark;
        int r = 0;

        if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (!memchr(data, '\0', len))
                        return 0;
                path_push(w, f->name);
                return -EINVAL;
        }
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
                return 0;
        mark = path_push(w, f->name);
        r = walk(w, f->descriptor, data, data + len, depth + 1);
        if (r >= 0)
                w->path[mark] = '\0';
        return r;
}

static int walk(struct walker *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                const uint8_t *end, unsigned depth)
{
        if (depth > MAX_DEPTH)
                return -EBADMSG;
        while (p < end) {
                uint64_t key, len;
                const ProtobufCFieldDescriptor *f;
                int r;

                if (read_varint(&p, end, &key) < 0)
                        return -EBADMSG;
                switch (key & 7) {
                case 0:
                        if (read_varint(&p, end, &len) < 0)
                                return -EBADMSG;
                        continue;
                case 1:
                        len = 8;
                        break;
                case 5:
                        len = 4;
                        break;
                case 2:
                        if (read_varint(&p, end, &len) < 0)
                                return -EBADMSG;
                        break;
                default:
                        return -EBADMSG; /* groups: not in proto3 */
                }
                if (len > (uint64_t) (end - p))
                        return -EBADMSG;
                f = (key & 7) == 2 && key >> 3 <= UINT32_MAX
                            ? protobuf_c_message_descriptor_get_field(d, (unsigned) (key >> 3))
                            : NULL;
                r = f ? check_field(w, f, p, (size_t) len, depth) : 0;
                if (r < 0)
                        return r;
                p += len;
        }
        return 0;
}

int rpc_strings_check(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                      char *path, size_t path_size)
{
        struct walker w = { .path = path, .size = path_size };

        if (path_size == 0)
                return -EINVAL;
        path[0] = '\0';
        return walk(&w, d, data, data + len, 0);
}
