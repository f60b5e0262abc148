/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest networking against the real kernel, inside a network namespace this test creates (no
 * traffic leaves it): a veth pair whose far end sits in a second namespace of ours stands in
 * for the VM's NIC and the host's tap. The agent runs inside the first namespace. What it
 * reports is compared with `ip -j` (iproute2, the independent oracle) and with
 * ListInterfaces/ListRoutes; a ping to the far end shows the configuration works; every refused
 * request is checked to have changed nothing.
 */
#include "containers.h"
#include "harness.h"

#include "../unit/cm.h"

#include "base/cleanup.h"
#include "base/util.h"
#include "ttrpc/status.h"

#include "agent.pb-c.h"

#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAC_GUEST "02:00:5e:00:01:01"
#define MAC_PEER  "02:00:5e:00:01:02"
#define MAC_LATE  "02:00:5e:00:01:03"

static struct agent_proc agent;
static struct ttrpc_client *cl;
static char peer_ns[64];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
        char cmd[1024];
        va_list ap;
        int st;

        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        st = system(cmd);
        if (st != 0)
                fail_msg("`%s` exited with %d", cmd, st);
}

/* Runs an `ip -j` command and parses its output. */
static json_t *ip_json(const char *args)
{
        char cmd[256];
        json_error_t e;
        json_t *j;
        FILE *f;

        snprintf(cmd, sizeof(cmd), "ip -j %s", args);
        f = popen(cmd, "r");
        assert_non_null(f);
        j = json_loadf(f, 0, &e);
        pclose(f);
        if (!j)
                fail_msg("`%s`: %s", cmd, e.text);
        return j;
}

static int call(const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp,
                struct ttrpc_status *st)
{
        ttrpc_status_done(st);
        assert_int_equal(ttrpc_client_call(cl, "grpc.AgentService", method, req, resp_desc,
                                           30000000000ll, resp, st),
                         0);
        return st->code;
}

static Types__IPAddress *ipaddr(const char *addr, const char *mask, Types__IPFamily fam)
{
        Types__IPAddress *a = xmalloc(sizeof(*a));

        types__ipaddress__init(a);
        a->address = (char *) addr;
        a->mask = (char *) mask;
        a->family = fam;
        return a;
}

/* An Interface as Kata's runtime sends it (generateVCNetworkStructures). */
static int update_iface(const char *mac, const char *name, uint64_t mtu, Types__IPAddress **addrs,
                        size_t n, const char *device_path, Types__Interface **ret,
                        struct ttrpc_status *st)
{
        Grpc__UpdateInterfaceRequest req = GRPC__UPDATE_INTERFACE_REQUEST__INIT;
        Types__Interface i = TYPES__INTERFACE__INIT;

        i.device = (char *) name;
        i.name = (char *) name;
        i.hwaddr = (char *) mac;
        i.mtu = mtu;
        i.type = (char *) "veth";
        i.devicepath = (char *) device_path;
        i.ipaddresses = addrs;
        i.n_ipaddresses = n;
        req.interface = &i;
        return call("UpdateInterface", &req.base, &types__interface__descriptor,
                    (ProtobufCMessage **) ret, st);
}

static Types__Route *route(const char *dest, const char *gw, const char *dev, uint32_t scope,
                           Types__IPFamily fam, uint32_t mtu)
{
        Types__Route *r = xmalloc(sizeof(*r));

        types__route__init(r);
        r->dest = (char *) dest;
        r->gateway = (char *) gw;
        r->device = (char *) dev;
        r->scope = scope;
        r->family = fam;
        r->mtu = mtu;
        return r;
}

static int update_routes(Types__Route **routes, size_t n, Grpc__Routes **ret,
                         struct ttrpc_status *st)
{
        Grpc__UpdateRoutesRequest req = GRPC__UPDATE_ROUTES_REQUEST__INIT;
        Grpc__Routes list = GRPC__ROUTES__INIT;

        list.routes = routes;
        list.n_routes = n;
        req.routes = &list;
        return call("UpdateRoutes", &req.base, &grpc__routes__descriptor, (ProtobufCMessage **) ret,
                    st);
}

static Grpc__Routes *list_routes(void)
{
        Grpc__ListRoutesRequest req = GRPC__LIST_ROUTES_REQUEST__INIT;
        Grpc__Routes *r = NULL;
        struct ttrpc_status st = { 0 };

        assert_int_equal(call("ListRoutes", &req.base, &grpc__routes__descriptor,
                              (ProtobufCMessage **) &r, &st),
                         0);
        ttrpc_status_done(&st);
        return r;
}

/* Whether the JSON array v holds the string s (e.g. "UP" in a link's flags). */
static bool json_array_has(json_t *v, const char *s)
{
        size_t i;
        json_t *e;

        json_array_foreach(v, i, e)
        {
                if (streq(json_string_value(e), s))
                        return true;
        }
        return false;
}

static bool json_has_addr(json_t *addr_info, const char *local, int prefix)
{
        size_t i;
        json_t *a;

        json_array_foreach(addr_info, i, a)
        {
                if (streq(json_string_value(json_object_get(a, "local")), local) &&
                    json_integer_value(json_object_get(a, "prefixlen")) == prefix)
                        return true;
        }
        return false;
}

static bool reply_has_addr(const Types__Interface *i, const char *addr, const char *mask,
                           Types__IPFamily fam)
{
        for (size_t k = 0; k < i->n_ipaddresses; k++)
                if (streq(i->ipaddresses[k]->address, addr) &&
                    streq(i->ipaddresses[k]->mask, mask) && i->ipaddresses[k]->family == fam)
                        return true;
        return false;
}

/* ---- tests ---- */

static void test_update_interface(void **state)
{
        Types__IPAddress *addrs[] = { ipaddr("192.0.2.2", "24", TYPES__IPFAMILY__v4),
                                      ipaddr("2001:db8:1::2", "64", TYPES__IPFAMILY__v6) };
        Grpc__ListInterfacesRequest lreq = GRPC__LIST_INTERFACES_REQUEST__INIT;
        Grpc__Interfaces *list = NULL;
        Types__Interface *got = NULL, *listed = NULL;
        struct ttrpc_status st = { 0 };
        json_t *j, *link;

        (void) state;
        assert_int_equal(update_iface(MAC_GUEST, "eth0", 1400, addrs, 2, "", &got, &st), 0);
        /* The reply is the interface as the kernel now has it. */
        assert_string_equal(got->name, "eth0");
        assert_string_equal(got->hwaddr, MAC_GUEST);
        assert_int_equal(got->mtu, 1400);
        assert_true(reply_has_addr(got, "192.0.2.2", "24", TYPES__IPFAMILY__v4));
        assert_true(reply_has_addr(got, "2001:db8:1::2", "64", TYPES__IPFAMILY__v6));

        /* The oracle: renamed, MTU, up, both addresses. */
        j = ip_json("addr show dev eth0");
        link = json_array_get(j, 0);
        assert_non_null(link);
        assert_string_equal(json_string_value(json_object_get(link, "address")), MAC_GUEST);
        assert_int_equal(json_integer_value(json_object_get(link, "mtu")), 1400);
        assert_true(json_array_has(json_object_get(link, "flags"), "UP"));
        assert_true(json_has_addr(json_object_get(link, "addr_info"), "192.0.2.2", 24));
        assert_true(json_has_addr(json_object_get(link, "addr_info"), "2001:db8:1::2", 64));
        json_decref(j);

        /* ListInterfaces agrees with the reply. */
        assert_int_equal(call("ListInterfaces", &lreq.base, &grpc__interfaces__descriptor,
                              (ProtobufCMessage **) &list, &st),
                         0);
        for (size_t i = 0; i < list->n_interfaces; i++)
                if (streq(list->interfaces[i]->name, "eth0"))
                        listed = list->interfaces[i];
        if (!listed)
                fail_msg("eth0 not in ListInterfaces");
        if (!listed)
                return;
        assert_string_equal(listed->hwaddr, got->hwaddr);
        assert_int_equal(listed->mtu, 1400);
        assert_true(reply_has_addr(listed, "192.0.2.2", "24", TYPES__IPFAMILY__v4));

        /* Again with the same request: addresses are replaced, not doubled (Rust semantics). */
        protobuf_c_message_free_unpacked(&got->base, NULL);
        assert_int_equal(update_iface(MAC_GUEST, "eth0", 1400, addrs, 2, "", &got, &st), 0);
        assert_int_equal(got->n_ipaddresses, listed->n_ipaddresses);
        protobuf_c_message_free_unpacked(&got->base, NULL);
        protobuf_c_message_free_unpacked(&list->base, NULL);
        free(addrs[0]);
        free(addrs[1]);
        ttrpc_status_done(&st);
}

/* `ip -j route` entry -> the dest ListRoutes reports. */
static void oracle_dest(json_t *r, bool v6, char *buf, size_t size)
{
        const char *d = json_string_value(json_object_get(r, "dst"));

        if (streq(d, "default"))
                snprintf(buf, size, "%s", v6 ? "::/0" : "0.0.0.0/0");
        else if (!strchr(d, '/'))
                snprintf(buf, size, "%s/%d", d, v6 ? 128 : 32);
        else
                snprintf(buf, size, "%s", d);
}

/* Every main-table route iproute2 shows is in ListRoutes with the same gateway and device,
 * and the counts match. */
static void assert_routes_match_oracle(const Grpc__Routes *list)
{
        size_t n = 0;

        for (int v6 = 0; v6 < 2; v6++) {
                json_t *j = ip_json(v6 ? "-6 route show table main" : "-4 route show table main");
                json_t *r;
                size_t i;

                json_array_foreach(j, i, r)
                {
                        const char *gw = json_string_value(json_object_get(r, "gateway"));
                        const char *dev = json_string_value(json_object_get(r, "dev"));
                        bool found = false;
                        char dest[128];

                        oracle_dest(r, v6, dest, sizeof(dest));
                        for (size_t k = 0; k < list->n_routes && !found; k++)
                                found = streq(list->routes[k]->dest, dest) &&
                                        streq(list->routes[k]->gateway, gw ? gw : "") &&
                                        streq(list->routes[k]->device, dev ? dev : "");
                        if (!found)
                                fail_msg("route `%s` via `%s` dev `%s` not in ListRoutes", dest,
                                         gw ? gw : "", dev ? dev : "");
                        n++;
                }
                json_decref(j);
        }
        assert_int_equal(list->n_routes, n);
}

static const Types__Route *find_route(const Grpc__Routes *l, const char *dest)
{
        for (size_t k = 0; k < l->n_routes; k++)
                if (streq(l->routes[k]->dest, dest))
                        return l->routes[k];
        return NULL;
}

static void test_update_routes(void **state)
{
        /* Kata's order: whatever the host has, gateway routes first on purpose here, so the
         * agent must reorder (link routes before the gateway that needs them). */
        Types__Route *routes[] = {
                route("", "192.0.2.1", "eth0", 0, TYPES__IPFAMILY__v4, 0),
                route("", "2001:db8:1::1", "eth0", 0, TYPES__IPFAMILY__v6, 0),
                route("203.0.113.0/24", "198.51.100.1", "eth0", 0, TYPES__IPFAMILY__v4, 0),
                route("198.51.100.0/24", "", "eth0", 253, TYPES__IPFAMILY__v4, 1300),
                route("192.0.2.0/24", "", "eth0", 253, TYPES__IPFAMILY__v4, 0),
        };
        Grpc__Routes *got = NULL, *list;
        const Types__Route *r;
        struct ttrpc_status st = { 0 };
        json_t *j;

        (void) state;
        routes[4]->source = (char *) "192.0.2.2";
        assert_int_equal(update_routes(routes, ARRAY_SIZE(routes), &got, &st), 0);
        r = find_route(got, "0.0.0.0/0");
        assert_non_null(r);
        assert_string_equal(r->gateway, "192.0.2.1");
        assert_string_equal(r->device, "eth0");
        r = find_route(got, "::/0");
        assert_non_null(r);
        assert_string_equal(r->gateway, "2001:db8:1::1");
        assert_int_equal(r->family, TYPES__IPFAMILY__v6);
        r = find_route(got, "198.51.100.0/24");
        assert_non_null(r);
        assert_int_equal(r->mtu, 1300);
        assert_int_equal(r->scope, 253);
        r = find_route(got, "192.0.2.0/24");
        assert_non_null(r);
        assert_string_equal(r->source, "192.0.2.2");
        assert_non_null(find_route(got, "203.0.113.0/24"));

        /* The reply, ListRoutes and the kernel agree. */
        assert_routes_match_oracle(got);
        list = list_routes();
        assert_int_equal(list->n_routes, got->n_routes);
        assert_routes_match_oracle(list);
        j = ip_json("-4 route show 198.51.100.0/24");
        assert_int_equal(
                json_integer_value(json_object_get(
                        json_array_get(json_object_get(json_array_get(j, 0), "metrics"), 0),
                        "mtu")),
                1300);
        json_decref(j);

        /* The configuration works: the far end answers through it. */
        sh("busybox ping -c 1 -W 5 192.0.2.1 >/dev/null");
        sh("busybox ping -c 1 -W 5 203.0.113.1 >/dev/null 2>&1 || true");

        protobuf_c_message_free_unpacked(&got->base, NULL);
        protobuf_c_message_free_unpacked(&list->base, NULL);
        for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
                free(routes[i]);
        ttrpc_status_done(&st);
}

static void test_arp_neighbors(void **state)
{
        Grpc__AddARPNeighborsRequest req = GRPC__ADD_ARPNEIGHBORS_REQUEST__INIT;
        Grpc__ARPNeighbors list = GRPC__ARPNEIGHBORS__INIT;
        Types__ARPNeighbor n = TYPES__ARPNEIGHBOR__INIT, bad = TYPES__ARPNEIGHBOR__INIT;
        Types__ARPNeighbor *v[2] = { &n, &bad };
        Types__IPAddress *ip = ipaddr("192.0.2.50", "", TYPES__IPFAMILY__v4);
        Types__IPAddress *ip2 = ipaddr("192.0.2.51", "", TYPES__IPFAMILY__v4);
        ProtobufCMessage *empty = NULL;
        struct ttrpc_status st = { 0 };
        json_t *j;

        (void) state;
        n.toipaddress = ip;
        n.device = (char *) "eth0";
        n.lladdr = (char *) "02:11:22:33:44:55";
        list.arpneighbors = v;
        list.n_arpneighbors = 1;
        req.neighbors = &list;
        assert_int_equal(call("AddARPNeighbors", &req.base, &google__protobuf__empty__descriptor,
                              &empty, &st),
                         0);
        protobuf_c_message_free_unpacked(empty, NULL);
        j = ip_json("neigh show 192.0.2.50 dev eth0");
        assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "lladdr")),
                            "02:11:22:33:44:55");
        assert_true(json_array_has(json_object_get(json_array_get(j, 0), "state"), "PERMANENT"));
        json_decref(j);

        /* A bad second entry: refused before the first is added. */
        n.toipaddress = ip2;
        bad.toipaddress = ip;
        bad.device = (char *) "nosuchdev";
        list.n_arpneighbors = 2;
        assert_int_equal(call("AddARPNeighbors", &req.base, &google__protobuf__empty__descriptor,
                              &empty, &st),
                         RPC_NOT_FOUND);
        assert_non_null(strstr(st.message, "nosuchdev"));
        j = ip_json("neigh show 192.0.2.51 dev eth0");
        assert_int_equal(json_array_size(j), 0);
        json_decref(j);
        free(ip);
        free(ip2);
        ttrpc_status_done(&st);
}

/* What a refused request must not change: per link its name, MAC, MTU, up flag and
 * addresses (not DAD's tentative marks, which come and go). */
static char *addr_snapshot(void)
{
        json_t *j = ip_json("addr show"), *l, *a;
        char *s = xstrdup(""), *t;
        size_t i, k;

        json_array_foreach(j, i, l)
        {
                char *flags = json_dumps(json_object_get(l, "flags"), 0);
                t = xasprintf("%s%s %s %lld %s:", s,
                              json_string_value(json_object_get(l, "ifname")),
                              json_string_value(json_object_get(l, "address")),
                              (long long) json_integer_value(json_object_get(l, "mtu")),
                              strstr(flags, "\"UP\"") ? "up" : "down");
                free(flags);
                free(s);
                s = t;
                json_array_foreach(json_object_get(l, "addr_info"), k, a)
                {
                        t = xasprintf(
                                "%s %s/%lld", s, json_string_value(json_object_get(a, "local")),
                                (long long) json_integer_value(json_object_get(a, "prefixlen")));
                        free(s);
                        s = t;
                }
                t = xasprintf("%s\n", s);
                free(s);
                s = t;
        }
        json_decref(j);
        return s;
}

static char *route_snapshot(void)
{
        json_t *a = ip_json("-4 route show table main"), *b = ip_json("-6 route show table main");
        char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, JSON_SORT_KEYS);
        char *s = xasprintf("%s%s", sa, sb);

        json_decref(a);
        json_decref(b);
        free(sa);
        free(sb);
        return s;
}

static void test_errors_change_nothing(void **state)
{
        Types__IPAddress *good = ipaddr("192.0.2.3", "24", TYPES__IPFAMILY__v4);
        Types__IPAddress *badmask = ipaddr("192.0.2.4", "33", TYPES__IPFAMILY__v4);
        Types__IPAddress *mcast = ipaddr("ff02::5", "64", TYPES__IPFAMILY__v6);
        Types__IPAddress *addrs[] = { good, badmask };
        Types__Route *routes[] = {
                route("10.20.0.0/16", "10.255.0.1", "eth0", 0, TYPES__IPFAMILY__v4, 0),
                route("198.18.0.0/24", "", "eth0", 253, TYPES__IPFAMILY__v4, 0),
        };
        Types__Route *badprefix[] = { route("198.18.0.0/33", "", "eth0", 253, 0, 0) };
        Types__Interface *got = NULL;
        Grpc__Routes *rgot = NULL;
        struct ttrpc_status st = { 0 };
        char *before = addr_snapshot(), *rbefore = route_snapshot(), *after;

        (void) state;
        /* Unknown MAC: the substring Kata's runtime retries on. */
        assert_int_equal(update_iface("02:00:5e:00:09:09", "eth5", 1500, NULL, 0, "", &got, &st),
                         RPC_NOT_FOUND);
        assert_non_null(strstr(st.message, "Link not found"));
        assert_non_null(strstr(st.message, "02:00:5e:00:09:09"));
        /* Invalid prefix, after a valid address and a rename: nothing applied. */
        assert_int_equal(update_iface(MAC_GUEST, "eth7", 1300, addrs, 2, "", &got, &st),
                         RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "invalid prefix `33`"));
        /* Beyond the link's MTU range: refused before anything changes. */
        assert_int_equal(update_iface(MAC_GUEST, "eth7", 70000, addrs, 1, "", &got, &st),
                         RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "MTU 70000 outside"));
        /* A kernel refusal (a multicast address) after the rename, the MTU and a first
         * address: all undone, and the routes the link lost going down are back. */
        addrs[1] = mcast;
        assert_int_equal(update_iface(MAC_GUEST, "eth7", 1300, addrs, 2, "", &got, &st),
                         RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "ff02::5/64"));
        assert_non_null(strstr(st.message, "multicast"));
        assert_non_null(strstr(st.message, "undone"));
        /* Invalid MAC. */
        assert_int_equal(update_iface("02:00:5e:00:09", "eth0", 0, NULL, 0, "", &got, &st),
                         RPC_INVALID_ARGUMENT);
        after = addr_snapshot();
        assert_string_equal(before, after);
        free(after);

        /* The gateway is unreachable: the link route added before it is removed again. */
        assert_int_equal(update_routes(routes, 2, &rgot, &st), RPC_FAILED_PRECONDITION);
        assert_non_null(strstr(st.message, "10.20.0.0/16 via 10.255.0.1 dev eth0"));
        assert_non_null(strstr(st.message, "Network is unreachable"));
        assert_int_equal(update_routes(badprefix, 1, &rgot, &st), RPC_INVALID_ARGUMENT);
        assert_non_null(strstr(st.message, "198.18.0.0/33"));
        after = route_snapshot();
        assert_string_equal(rbefore, after);
        free(after);

        free(before);
        free(rbefore);
        free(good);
        free(badmask);
        free(mcast);
        free(routes[0]);
        free(routes[1]);
        free(badprefix[0]);
        ttrpc_status_done(&st);
}

/* With a devicePath the agent waits for the NIC (agent.hotplug_timeout=2s here). */
static void test_hotplug_wait(void **state)
{
        Types__Interface *got = NULL;
        struct ttrpc_status st = { 0 };
        uint64_t t0;
        pid_t pid;

        (void) state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                usleep(300000);
                _exit(system("ip link add eth8 address " MAC_LATE " type veth peer name peer8") == 0
                              ? 0
                              : 1);
        }
        assert_int_equal(update_iface(MAC_LATE, "net1", 1500, NULL, 0, "02/00", &got, &st), 0);
        assert_string_equal(got->name, "net1");
        protobuf_c_message_free_unpacked(&got->base, NULL);
        assert_int_equal(waitpid(pid, NULL, 0), pid);

        /* Never appears: NOT_FOUND with the retry substring once the timeout passed. */
        t0 = now_ns();
        assert_int_equal(
                update_iface("02:00:5e:00:07:07", "net2", 1500, NULL, 0, "03/00", &got, &st),
                RPC_NOT_FOUND);
        assert_non_null(strstr(st.message, "Link not found"));
        assert_true(now_ns() - t0 >= 1500000000ull);
        agent_proc_assert_alive(&agent);
        ttrpc_status_done(&st);
}

static void roundtrip(bool v6, const char *rule, const char *src)
{
        Grpc__SetIPTablesRequest set = GRPC__SET_IPTABLES_REQUEST__INIT;
        Grpc__GetIPTablesRequest get = GRPC__GET_IPTABLES_REQUEST__INIT;
        Grpc__SetIPTablesResponse *sresp = NULL;
        Grpc__GetIPTablesResponse *gresp = NULL;
        struct ttrpc_status st = { 0 };
        char *rules = xasprintf("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                                ":OUTPUT ACCEPT [0:0]\n-A INPUT -s %s -j DROP\nCOMMIT\n",
                                rule);
        char *text;

        set.is_ipv6 = get.is_ipv6 = v6;
        set.data.data = (uint8_t *) rules;
        set.data.len = strlen(rules);
        assert_int_equal(call("SetIPTables", &set.base, &grpc__set_iptables_response__descriptor,
                              (ProtobufCMessage **) &sresp, &st),
                         0);
        protobuf_c_message_free_unpacked(&sresp->base, NULL);
        assert_int_equal(call("GetIPTables", &get.base, &grpc__get_iptables_response__descriptor,
                              (ProtobufCMessage **) &gresp, &st),
                         0);
        text = xstrndup((const char *) gresp->data.data, gresp->data.len);
        assert_non_null(strstr(text, src));
        assert_non_null(strstr(text, "*filter"));
        free(text);
        protobuf_c_message_free_unpacked(&gresp->base, NULL);
        free(rules);
        ttrpc_status_done(&st);
}

static void test_iptables(void **state)
{
        Grpc__SetIPTablesRequest set = GRPC__SET_IPTABLES_REQUEST__INIT;
        Grpc__SetIPTablesResponse *sresp = NULL;
        struct ttrpc_status st = { 0 };

        (void) state;
        roundtrip(false, "192.0.2.77", "-A INPUT -s 192.0.2.77/32 -j DROP");
        roundtrip(true, "2001:db8::77", "-A INPUT -s 2001:db8::77/128 -j DROP");
        /* Garbage: the program's own complaint comes back. */
        set.data.data = (uint8_t *) "garbage\n";
        set.data.len = 8;
        assert_int_equal(call("SetIPTables", &set.base, &grpc__set_iptables_response__descriptor,
                              (ProtobufCMessage **) &sresp, &st),
                         RPC_INTERNAL);
        assert_non_null(strstr(st.message, "iptables-restore"));
        assert_non_null(strstr(st.message, "exit status"));
        agent_proc_assert_alive(&agent);
        ttrpc_status_done(&st);
}

/* StatsContainer carries the guest interfaces' counters (not loopback's). */
static void test_stats_network(void **state)
{
        Grpc__StatsContainerRequest req = GRPC__STATS_CONTAINER_REQUEST__INIT;
        Grpc__StatsContainerResponse *resp = NULL;
        struct ttrpc_status st = { 0 };
        char *spec = ct_spec("net-stats", "[\"sh\",\"-c\",\"sleep 10\"]", "", "", "");
        bool eth0 = false;

        (void) state;
        assert_int_equal(ct_create(cl, "net-stats", spec, false, &st), 0);
        req.container_id = (char *) "net-stats";
        assert_int_equal(call("StatsContainer", &req.base,
                              &grpc__stats_container_response__descriptor,
                              (ProtobufCMessage **) &resp, &st),
                         0);
        for (size_t i = 0; i < resp->n_network_stats; i++) {
                assert_string_not_equal(resp->network_stats[i]->name, "lo");
                if (streq(resp->network_stats[i]->name, "eth0")) {
                        eth0 = true;
                        /* The pings of test_update_routes went out through it. */
                        assert_true(resp->network_stats[i]->tx_packets > 0);
                        assert_true(resp->network_stats[i]->rx_bytes > 0);
                }
        }
        assert_true(eth0);
        protobuf_c_message_free_unpacked(&resp->base, NULL);
        assert_int_equal(ct_id_call(cl, "RemoveContainer", "net-stats", &st), 0);
        free(spec);
        ttrpc_status_done(&st);
}

static void cleanup(void)
{
        if (peer_ns[0]) {
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", peer_ns);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not delete netns `%s`\n", peer_ns);
        }
}

static int setup(void **state)
{
        (void) state;
        /* Our own network namespace for this process and the agent it starts; the far end of
         * the veth lives in a second one of ours. */
        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
                return -1;
        }
        snprintf(peer_ns, sizeof(peer_ns), "cata-net-%d", getpid());
        atexit(cleanup);
        sh("ip netns add %s", peer_ns);
        sh("ip link add eth9 address " MAC_GUEST " type veth peer name peer0 address " MAC_PEER);
        sh("ip link set peer0 netns %s", peer_ns);
        sh("ip -n %s addr add 192.0.2.1/24 dev peer0", peer_ns);
        sh("ip -n %s addr add 198.51.100.1/24 dev peer0", peer_ns);
        sh("ip -n %s addr add 203.0.113.1/24 dev peer0", peer_ns);
        sh("ip -n %s link set peer0 up", peer_ns);
        sh("ip -n %s link set lo up", peer_ns);
        /* A link already called eth0: UpdateInterface must swap names with it. */
        sh("ip link add eth0 type veth peer name peer1");
        cl = ct_agent_start(&agent, "agent.hotplug_timeout=2s");
        return 0;
}

static int teardown(void **state)
{
        (void) state;
        ct_agent_stop(&agent, cl);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_update_interface),
                cmocka_unit_test(test_update_routes),
                cmocka_unit_test(test_arp_neighbors),
                cmocka_unit_test(test_errors_change_nothing),
                cmocka_unit_test(test_hotplug_wait),
                cmocka_unit_test(test_iptables),
                cmocka_unit_test(test_stats_network),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
