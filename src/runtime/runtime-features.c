/* SPDX-License-Identifier: Apache-2.0 */
/*
 * features: the OCI runtime features document (runtime-spec features.md), built from what the
 * engine's own tables accept, so it cannot claim more than the code does.
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "engine/identity.h"
#include "engine/rootfs.h"
#include "engine/seccomp.h"
#include "engine/spawn.h"
#include "runtime/runtime.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static json_t *strings(const char *(*name)(size_t), const char *prefix, bool upper)
{
        json_t *a = json_array();
        const char *n;

        for (size_t i = 0; (n = name(i)); i++) {
                char *s = xasprintf("%s%s", prefix, n);

                for (char *c = s; upper && *c; c++)
                        *c = (char) toupper((unsigned char) *c);
                json_array_append_new(a, json_string(s));
                free(s);
        }
        return a;
}

static const char *ns_name(size_t i)
{
        return i < _SPAWN_NS_MAX ? spawn_ns_name((enum spawn_ns) i) : NULL;
}

static json_t *features_linux(void)
{
        static const char *const archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                             "SCMP_ARCH_AARCH64" };
        json_t *arch = json_array();

        for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
                json_array_append_new(arch, json_string(archs[i]));
        return json_pack("{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o}, s:{s:b}, "
                         "s:{s:b}}",
                         "namespaces", strings(ns_name, "", false), "capabilities",
                         strings(identity_cap_name, "CAP_", true), "cgroup", "v1", 1, "v2", 1,
                         "systemd", 0, "systemdUser", 0, "seccomp", "enabled", 1, "actions",
                         strings(seccomp_action_name, "", false), "operators",
                         strings(seccomp_operator_name, "", false), "archs", arch, "apparmor",
                         "enabled", 0, "selinux", "enabled", 0);
}

int cmd_features(struct rt_context *ctx, int argc, char **argv)
{
        static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
                                             "startContainer", "poststart",     "poststop" };
        json_t *doc, *h = json_array();
        char *text;

        (void) argv;
        if (argc != 1)
                return rt_usage_error(ctx, "takes no arguments");
        for (size_t i = 0; i < ARRAY_SIZE(hooks); i++)
                json_array_append_new(h, json_string(hooks[i]));
        doc = json_pack("{s:s, s:s, s:o, s:o, s:o}", "ociVersionMin", "1.0.0", "ociVersionMax",
                        RT_OCI_VERSION, "hooks", h, "mountOptions",
                        strings(rootfs_mount_option_name, "", false), "linux", features_linux());
        text = json_dumps(doc, JSON_INDENT(4));
        json_decref(doc);
        if (!text)
                return rt_fail("features: out of memory");
        puts(text);
        free(text);
        return 0;
}
