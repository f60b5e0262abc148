/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * OCI runtime-spec config.json (1.x) <-> the protobuf Spec Kata sends (Grpc__Spec, oci.proto).
 *
 * cata-ctl uses it to turn a bundle into a CreateContainerRequest; cata-runtime uses it to read
 * bundles into the same in-memory form the agent gets from the host. Unknown JSON fields are
 * ignored; wrong types and missing required fields (ociVersion, process.args for run, root.path)
 * are errors naming the field ("process.user.uid: expected an unsigned integer"). Fields oci.proto
 * lacks (e.g. process.user.umask, linux.timeOffsets) are dropped, as Kata's runtime drops them.
 */

#include "base/error.h"
#include "oci.pb-c.h"

int spec_from_json(const char *json, size_t len, Grpc__Spec **ret, struct agent_error **err);
/* Frees a spec built by spec_from_json (not one from protobuf_c_message_unpack). */
void spec_free(Grpc__Spec *spec);
/* Writes a spec as config.json text (for `cata-runtime spec` and round-trip tests). */
char *spec_to_json(const Grpc__Spec *spec);

/* The largest config.json (or fragment file) read. */
#define SPEC_JSON_FILE_MAX (16u << 20)

/* Reads an OCI bundle: <bundle>/config.json, with a relative root.path made absolute against the
 * bundle. *ret_bundle (optional) gets the bundle's absolute path. Errors name the file:
 * "bundle `b`: ...", "read `b/config.json`: ...", "`b/config.json`: <json error>",
 * "root.path `b/rootfs`: ...". */
int spec_from_bundle(const char *bundle, Grpc__Spec **ret, char **ret_bundle,
                     struct agent_error **err);

/* One member of a config read from a file, wrapped into a minimal config so every OCI shape has
 * one reader: the member lands in (*ret)->linux->resources or (*ret)->process. */
enum spec_fragment {
        SPEC_FRAGMENT_RESOURCES, /* an OCI linux.resources object */
        SPEC_FRAGMENT_PROCESS,   /* an OCI process object */
};
int spec_fragment_from_file(const char *path, enum spec_fragment what, Grpc__Spec **ret,
                            struct agent_error **err);

/* spec_free() for _cleanup_(spec_freep); leaves NULL behind. */
void spec_freep(Grpc__Spec **spec);
/*
 * Details of the contract above:
 *  - spec_from_json() returns 0 or -EINVAL with *err set ("invalid JSON at line L, column C: ..."
 *    or "<json path>: <what>"); *ret is set only on success. JSON null counts as absent.
 *  - Everything is malloc'd message by message, so protobuf_c_message_free_unpacked(&spec->base,
 *    NULL) frees it too; absent strings are protobuf_c_empty_string, as after an unpack.
 *  - spec_to_json() returns malloc'd text (free() it) without a trailing newline, or NULL when a
 *    string is not UTF-8 (JSON cannot carry it). Zero-valued optional fields are omitted, as Go's
 *    omitempty does; fields config.json requires are always written. Round trip:
 *    spec_from_json(spec_to_json(s)) packs to the same bytes as s for every s that
 *    spec_from_json() produced.
 */
