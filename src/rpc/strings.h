/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Strings with a NUL inside. protobuf-c hands string fields to C as NUL-terminated char *, so a
 * host string "ab\0/../x" would silently become "ab" everywhere it is used (ids, paths, env,
 * args, options, annotations, map keys and values). The decoder refuses such a request before
 * any handler sees it: this walks the encoded message with the method's descriptors, where the
 * true lengths still are, and finds the first string field holding a NUL byte.
 */

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Returns 0 when no string field of the encoded message (recursively, including map entries)
 * contains a NUL; -EINVAL with the field's path ("OCI.Process.Args") in path; -EBADMSG when the
 * encoding is malformed (the caller decodes first, so this only guards the walk). Pure. */
int rpc_strings_check(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t len,
                      char *path, size_t path_size);
