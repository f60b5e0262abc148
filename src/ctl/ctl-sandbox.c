/* SPDX-License-Identifier: Apache-2.0 */
/* cata-ctl sandbox create|destroy and oom-events. */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_strv(json_t *arr, char ***ret, size_t *ret_n)
{
        size_t i;
        json_t *v;

        *ret = NULL;
        *ret_n = 0;
        if (!json_is_array(arr))
                return;
        *ret = xzalloc((json_array_size(arr) + 1) * sizeof(char *));
        json_array_foreach(arr, i, v) if (json_is_string(v))(*ret)[(*ret_n)++] =
                xstrdup(json_string_value(v));
}

static const char *json_str(json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "";
}

/* A Kata Storage object as JSON, in the agent-ctl spelling: driver, driver_options, source,
 * fstype, options, mount_point. */
static Grpc__Storage *storage_from_json(const char *text)
{
        json_error_t jerr;
        json_t *o = json_loads(text, 0, &jerr);
        Grpc__Storage *st;

        if (!json_is_object(o)) {
                fprintf(stderr, "cata-ctl: storage `%s`: not a JSON object: %s\n", text, jerr.text);
                json_decref(o);
                return NULL;
        }
        st = xzalloc(sizeof(*st));
        grpc__storage__init(st);
        st->driver = xstrdup(json_str(o, "driver"));
        st->source = xstrdup(json_str(o, "source"));
        st->fstype = xstrdup(json_str(o, "fstype"));
        st->mount_point = xstrdup(json_str(o, "mount_point"));
        json_strv(json_object_get(o, "driver_options"), &st->driver_options, &st->n_driver_options);
        json_strv(json_object_get(o, "options"), &st->options, &st->n_options);
        json_decref(o);
        return st;
}

static void storage_free(Grpc__Storage *st)
{
        free(st->driver);
        free(st->source);
        free(st->fstype);
        free(st->mount_point);
        strv_free(st->driver_options);
        strv_free(st->options);
        free(st);
}

/* module=NAME[:P1,P2...] */
static Grpc__KernelModule *module_from_arg(const char *arg)
{
        Grpc__KernelModule *m = xzalloc(sizeof(*m));
        const char *colon = strchr(arg, ':');

        grpc__kernel_module__init(m);
        m->name = colon ? xstrndup(arg, (size_t) (colon - arg)) : xstrdup(arg);
        if (colon) {
                _cleanup_free_ char *params = xstrdup(colon + 1);
                char *save = NULL;
                for (char *p = strtok_r(params, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                        m->parameters =
                                xrealloc(m->parameters, (m->n_parameters + 1) * sizeof(char *));
                        m->parameters[m->n_parameters++] = xstrdup(p);
                }
        }
        return m;
}

static void request_free(Grpc__CreateSandboxRequest *req)
{
        for (size_t i = 0; i < req->n_storages; i++)
                storage_free(req->storages[i]);
        free(req->storages);
        for (size_t i = 0; i < req->n_kernel_modules; i++) {
                free(req->kernel_modules[i]->name);
                for (size_t j = 0; j < req->kernel_modules[i]->n_parameters; j++)
                        free(req->kernel_modules[i]->parameters[j]);
                free(req->kernel_modules[i]->parameters);
                free(req->kernel_modules[i]);
        }
        free(req->kernel_modules);
        free(req->dns);
}

static int parse_create(char **args, Grpc__CreateSandboxRequest *req)
{
        for (size_t i = 0; args[i]; i++) {
                char *a = args[i], *v = strchr(a, '=');

                if (streq(a, "pidns")) {
                        req->sandbox_pidns = true;
                        continue;
                }
                if (!v) {
                        fprintf(stderr, "cata-ctl: sandbox create: `%s` is not KEY=VALUE\n", a);
                        return EXIT_USAGE;
                }
                *v++ = '\0';
                if (streq(a, "id")) {
                        req->sandbox_id = v;
                } else if (streq(a, "hostname")) {
                        req->hostname = v;
                } else if (streq(a, "hooks")) {
                        req->guest_hook_path = v;
                } else if (streq(a, "dns")) {
                        req->dns = xrealloc(req->dns, (req->n_dns + 1) * sizeof(char *));
                        req->dns[req->n_dns++] = v;
                } else if (streq(a, "module")) {
                        req->kernel_modules = xrealloc(
                                req->kernel_modules, (req->n_kernel_modules + 1) * sizeof(void *));
                        req->kernel_modules[req->n_kernel_modules++] = module_from_arg(v);
                } else if (streq(a, "storage")) {
                        Grpc__Storage *st = storage_from_json(v);
                        if (!st)
                                return EXIT_USAGE;
                        req->storages =
                                xrealloc(req->storages, (req->n_storages + 1) * sizeof(void *));
                        req->storages[req->n_storages++] = st;
                } else {
                        fprintf(stderr, "cata-ctl: sandbox create: unknown key `%s`\n", a);
                        return EXIT_USAGE;
                }
        }
        return 0;
}

int ctl_cmd_sandbox(struct ctl_context *ctx, char **args)
{
        Grpc__CreateSandboxRequest req = GRPC__CREATE_SANDBOX_REQUEST__INIT;
        Grpc__DestroySandboxRequest dreq = GRPC__DESTROY_SANDBOX_REQUEST__INIT;
        int r;

        if (streq(args[0], "destroy")) {
                if (args[1]) {
                        fprintf(stderr, "cata-ctl: sandbox destroy takes no arguments\n");
                        return EXIT_USAGE;
                }
                return ctl_call(ctx, "grpc.AgentService", "DestroySandbox", &dreq.base, NULL, NULL);
        }
        if (!streq(args[0], "create")) {
                fprintf(stderr, "cata-ctl: sandbox: `%s` is neither create nor destroy\n", args[0]);
                return EXIT_USAGE;
        }
        r = parse_create(args + 1, &req);
        if (r == 0)
                r = ctl_call(ctx, "grpc.AgentService", "CreateSandbox", &req.base, NULL, NULL);
        request_free(&req);
        return r;
}

/* GetOOMEvent in a loop, as the runtime polls it: one line (container id) per OOM kill. */
int ctl_cmd_oom_events(struct ctl_context *ctx, char **args)
{
        Grpc__GetOOMEventRequest req = GRPC__GET_OOMEVENT_REQUEST__INIT;
        uint64_t count = 0, max = 0;

        if (args[0] && parse_u64(args[0], 10, &max) < 0) {
                fprintf(stderr, "cata-ctl: oom-events: `%s` is not a count\n", args[0]);
                return EXIT_USAGE;
        }
        while (max == 0 || count < max) {
                Grpc__OOMEvent *ev = NULL;
                int r = ctl_call(ctx, "grpc.AgentService", "GetOOMEvent", &req.base,
                                 &grpc__oomevent__descriptor, (ProtobufCMessage **) &ev);
                if (r != 0)
                        return r;
                printf("%s\n", ev->container_id);
                fflush(stdout);
                protobuf_c_message_free_unpacked(&ev->base, NULL);
                count++;
        }
        return 0;
}
