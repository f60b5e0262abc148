/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Protobuf messages from and to JSON by the schema's field names (cata-ctl's network
 * commands). */

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "ctl/ctl-output.h"

/* Builds a message of type d from obj. On error returns -EINVAL with why naming the JSON path
 * ("interface.IPAddresses[0].mask: expected a string"); *ret (when set) is still the caller's
 * to free with protobuf_c_message_free_unpacked. */
int ctl_pbjson_parse(const ProtobufCMessageDescriptor *d, const json_t *obj, ProtobufCMessage **ret,
                     const char *path, char *why, size_t size);

/* Every field of m through ctl_output (JSON: the same names the parser reads). */
void ctl_pbjson_out(struct ctl_output *o, const ProtobufCMessage *m);
