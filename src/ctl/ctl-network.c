/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cata-ctl's network commands: iface update|list, route update|list, arp add, iptables get|set.
 * Requests are JSON in the shapes Kata's agent-ctl reads: the request message by the schema's
 * field names, given inline, as json://..., file://PATH, a path, or - for stdin.
 */
#include "base/cleanup.h"
#include "base/util.h"
#include "ctl/ctl-pbjson.h"
#include "ctl/ctl.h"

#include "agent.pb-c.h"
#include "empty.pb-c.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTL_INPUT_MAX (4u << 20)

static int read_stream(FILE *f, char **ret, size_t *ret_len)
{
        size_t len = 0, cap = 65536;
        char *buf = xmalloc(cap + 1);
        size_t n;

        while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
                len += n;
                if (len == cap) {
                        if (cap >= CTL_INPUT_MAX) {
                                free(buf);
                                return -EFBIG;
                        }
                        cap *= 2;
                        buf = xrealloc(buf, cap + 1);
                }
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return ferror(f) ? -EIO : 0;
}

/* The text of an argument: "-" is stdin, "file://P" or a path is the file, "json://J" or
 * anything starting with '{' or '[' is inline. */
static int load_arg(const char *arg, char **ret, size_t *ret_len)
{
        FILE *f;
        int r;

        if (startswith(arg, "json://"))
                arg += strlen("json://");
        if (*arg == '{' || *arg == '[') {
                *ret = xstrdup(arg);
                *ret_len = strlen(arg);
                return 0;
        }
        if (streq(arg, "-"))
                return read_stream(stdin, ret, ret_len);
        if (startswith(arg, "file://"))
                arg += strlen("file://");
        f = fopen(arg, "re");
        if (!f)
                return -errno;
        r = read_stream(f, ret, ret_len);
        fclose(f);
        return r;
}

/* Parses the argument into a request of type d. A bare inner message is accepted too: when the
 * object lacks wrap_key, it is wrapped as {wrap_key: obj} (and a bare array as
 * {wrap_key: {list_key: array}}). */
static int load_request(const char *arg, const ProtobufCMessageDescriptor *d, const char *wrap_key,
                        const char *list_key, ProtobufCMessage **ret)
{
        _cleanup_free_ char *text = NULL;
        json_error_t jerr;
        json_t *j, *w;
        char why[512];
        size_t len;
        int r;

        r = load_arg(arg, &text, &len);
        if (r < 0) {
                fprintf(stderr, "cata-ctl: read `%s`: %s\n", arg, strerror(-r));
                return EXIT_USAGE;
        }
        j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
                fprintf(stderr, "cata-ctl: invalid JSON at line %d, column %d: %s\n", jerr.line,
                        jerr.column, jerr.text);
                return EXIT_USAGE;
        }
        if (json_is_array(j) && list_key)
                j = json_pack("{s:o}", list_key, j);
        if (json_is_object(j) && !json_object_get(j, wrap_key)) {
                w = json_object();
                json_object_set_new(w, wrap_key, j);
                j = w;
        }
        *ret = NULL;
        r = ctl_pbjson_parse(d, j, ret, "", why, sizeof(why));
        json_decref(j);
        if (r < 0) {
                if (*ret)
                        protobuf_c_message_free_unpacked(*ret, NULL);
                fprintf(stderr, "cata-ctl: %s\n", why);
                return EXIT_USAGE;
        }
        return 0;
}

static int call_out(struct ctl_context *ctx, const char *method, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_desc)
{
        ProtobufCMessage *resp = NULL;
        int r = ctl_call(ctx, "grpc.AgentService", method, req, resp_desc, &resp);

        if (r != 0)
                return r;
        if (resp_desc != &google__protobuf__empty__descriptor)
                ctl_pbjson_out(&ctx->out, resp);
        protobuf_c_message_free_unpacked(resp, NULL);
        return 0;
}

static int call_with(struct ctl_context *ctx, const char *arg, const char *method,
                     const ProtobufCMessageDescriptor *req_desc, const char *wrap_key,
                     const char *list_key, const ProtobufCMessageDescriptor *resp_desc)
{
        ProtobufCMessage *req = NULL;
        int r = load_request(arg, req_desc, wrap_key, list_key, &req);

        if (r != 0)
                return r;
        r = call_out(ctx, method, req, resp_desc);
        protobuf_c_message_free_unpacked(req, NULL);
        return r;
}

static int usage(const char *what)
{
        fprintf(stderr, "cata-ctl: usage: %s\n", what);
        return EXIT_USAGE;
}

int ctl_cmd_iface(struct ctl_context *ctx, char **args)
{
        Grpc__ListInterfacesRequest list = GRPC__LIST_INTERFACES_REQUEST__INIT;

        if (streq(args[0], "list") && !args[1])
                return call_out(ctx, "ListInterfaces", &list.base, &grpc__interfaces__descriptor);
        if (streq(args[0], "update") && args[1])
                return call_with(ctx, args[1], "UpdateInterface",
                                 &grpc__update_interface_request__descriptor, "interface", NULL,
                                 &types__interface__descriptor);
        return usage("iface list | iface update JSON");
}

int ctl_cmd_route(struct ctl_context *ctx, char **args)
{
        Grpc__ListRoutesRequest list = GRPC__LIST_ROUTES_REQUEST__INIT;

        if (streq(args[0], "list") && !args[1])
                return call_out(ctx, "ListRoutes", &list.base, &grpc__routes__descriptor);
        if (streq(args[0], "update") && args[1])
                return call_with(ctx, args[1], "UpdateRoutes",
                                 &grpc__update_routes_request__descriptor, "routes", "Routes",
                                 &grpc__routes__descriptor);
        return usage("route list | route update JSON");
}

int ctl_cmd_arp(struct ctl_context *ctx, char **args)
{
        if (streq(args[0], "add") && args[1])
                return call_with(ctx, args[1], "AddARPNeighbors",
                                 &grpc__add_arpneighbors_request__descriptor, "neighbors",
                                 "ARPNeighbors", &google__protobuf__empty__descriptor);
        return usage("arp add JSON");
}

static int iptables_get(struct ctl_context *ctx, bool v6)
{
        Grpc__GetIPTablesRequest req = GRPC__GET_IPTABLES_REQUEST__INIT;
        Grpc__GetIPTablesResponse *resp = NULL;
        int r;

        req.is_ipv6 = v6;
        r = ctl_call(ctx, "grpc.AgentService", "GetIPTables", &req.base,
                     &grpc__get_iptables_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        if (ctx->json) {
                _cleanup_free_ char *data =
                        xstrndup((const char *) resp->data.data, resp->data.len);
                ctl_out_string(&ctx->out, "data", NULL, data);
        } else
                fwrite(resp->data.data, 1, resp->data.len, stdout);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}

static int iptables_set(struct ctl_context *ctx, bool v6, const char *arg)
{
        Grpc__SetIPTablesRequest req = GRPC__SET_IPTABLES_REQUEST__INIT;
        Grpc__SetIPTablesResponse *resp = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        FILE *f = streq(arg, "-") ? stdin : fopen(arg, "re");
        int r;

        if (!f) {
                fprintf(stderr, "cata-ctl: read `%s`: %s\n", arg, strerror(errno));
                return EXIT_USAGE;
        }
        r = read_stream(f, &text, &len);
        if (f != stdin)
                fclose(f);
        if (r < 0) {
                fprintf(stderr, "cata-ctl: read `%s`: %s\n", arg, strerror(-r));
                return EXIT_USAGE;
        }
        req.is_ipv6 = v6;
        req.data.data = (uint8_t *) text;
        req.data.len = len;
        r = ctl_call(ctx, "grpc.AgentService", "SetIPTables", &req.base,
                     &grpc__set_iptables_response__descriptor, (ProtobufCMessage **) &resp);
        if (r != 0)
                return r;
        if (resp->data.len && !ctx->json)
                fwrite(resp->data.data, 1, resp->data.len, stdout);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        return 0;
}

int ctl_cmd_iptables(struct ctl_context *ctx, char **args)
{
        bool v6 = args[1] && streq(args[1], "-6");
        char **rest = args + 1 + v6;

        if (streq(args[0], "get") && !rest[0])
                return iptables_get(ctx, v6);
        if (streq(args[0], "set") && rest[0] && !rest[1])
                return iptables_set(ctx, v6, rest[0]);
        return usage("iptables get [-6] | iptables set [-6] FILE|-");
}
