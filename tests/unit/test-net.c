/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of the network module: addresses and prefixes, host names and MACs derived
 * from container names, reservations, the managed network's settings, plans and their text,
 * the pre-start rules over a fake host, and the dnsmasq and nft text. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tap.h"

#include "net/net-internal.h"
#include "strv.h"

static BerthConfig *parse(const char *yaml)
{
        BerthConfig *c = config_new();
        BerthError *err = NULL;
        int r = config_parse_into(c, yaml, strlen(yaml), "t.yaml", &err);
        if (r >= 0)
                r = config_validate(c, &err);
        if (r < 0) {
                printf("# parse: %s\n", berth_error_message(err, r));
                berth_error_free(err);
                return config_free(c);
        }
        return c;
}

static void test_in_addr(void)
{
        int family;
        InAddr a, b;
        unsigned prefix;
        char buf[INET6_ADDRSTRLEN];

        is_int(in_addr_parse("10.0.3.1", AF_UNSPEC, &family, &a), 0, "parse v4 (any family)");
        is_int(family, AF_INET, "family v4");
        is_int(in_addr_parse("fd42::1", AF_UNSPEC, &family, &a), 0, "parse v6 (any family)");
        is_int(family, AF_INET6, "family v6");
        is_int(in_addr_parse("fd42::1", AF_INET, NULL, &a), -EINVAL, "v6 refused as v4");
        is_int(in_addr_parse("10.0.3.1", AF_INET6, NULL, &a), -EINVAL, "v4 refused as v6");
        static const char *const bad[] = {"", "10.0.3", "10.0.3.256", "1.2.3.4 ", "::g", NULL};
        for (size_t i = 0; bad[i]; i++)
                is_int(in_addr_parse(bad[i], AF_UNSPEC, NULL, NULL), -EINVAL, "refused '%s'",
                       bad[i]);

        is_int(in_addr_prefix_parse("10.0.3.7/24", AF_UNSPEC, &family, &a, &prefix), 0,
               "prefix v4");
        ok(family == AF_INET && prefix == 24, "v4 /24");
        is_str(in_addr_to_string(AF_INET, &a, buf), "10.0.3.7", "address kept as written");
        is_int(in_addr_prefix_parse("fd42::1/64", AF_INET6, NULL, NULL, &prefix), 0, "prefix v6");
        is_int(prefix, 64, "v6 /64");
        is_int(in_addr_prefix_parse("fd42::1/128", AF_INET6, NULL, NULL, &prefix), 0, "v6 /128");
        static const char *const badp[] = {"10.0.3.7",   "10.0.3.7/",   "10.0.3.7/33",
                                           "10.0.3.7/024", "10.0.3.7/+8", "10.0.3.7/-1",
                                           "fd42::1/129", "fd42::1/1000", "/24",
                                           "10.0.3.7/24/1", NULL};
        for (size_t i = 0; badp[i]; i++)
                is_int(in_addr_prefix_parse(badp[i], AF_UNSPEC, NULL, NULL, NULL), -EINVAL,
                       "prefix refused '%s'", badp[i]);
        is_int(in_addr_prefix_parse("10.0.3.7/0", AF_INET, NULL, NULL, &prefix), 0, "/0");

        in_addr_parse("10.0.3.77", AF_INET, NULL, &a);
        b = in_addr_mask(AF_INET, &a, 24);
        is_str(in_addr_to_string(AF_INET, &b, buf), "10.0.3.0", "mask /24");
        b = in_addr_mask(AF_INET, &a, 26);
        is_str(in_addr_to_string(AF_INET, &b, buf), "10.0.3.64", "mask /26");
        b = in_addr_mask(AF_INET, &a, 0);
        is_str(in_addr_to_string(AF_INET, &b, buf), "0.0.0.0", "mask /0");
        b = in_addr_mask(AF_INET, &a, 32);
        ok(in_addr_equal(AF_INET, &a, &b), "mask /32 keeps all");
        in_addr_parse("fd42:1:2:3:4:5:6:7", AF_INET6, NULL, &a);
        b = in_addr_mask(AF_INET6, &a, 52);
        is_str(in_addr_to_string(AF_INET6, &b, buf), "fd42:1:2::", "mask v6 /52");

        InAddr net, x;
        in_addr_parse("10.0.3.0", AF_INET, NULL, &net);
        in_addr_parse("10.0.3.255", AF_INET, NULL, &x);
        ok(in_addr_prefix_contains(AF_INET, &net, 24, &x), "10.0.3.255 in 10.0.3.0/24");
        in_addr_parse("10.0.4.0", AF_INET, NULL, &x);
        ok(!in_addr_prefix_contains(AF_INET, &net, 24, &x), "10.0.4.0 not in 10.0.3.0/24");
        ok(in_addr_prefix_contains(AF_INET, &net, 23, &x) == false,
           "10.0.4.0 not in 10.0.3.0/23 (that is 10.0.2.0/23)");
        ok(in_addr_prefix_contains(AF_INET, &net, 0, &x), "everything in /0");
        is_int(in4_addr_to_host(&net), 0x0a000300, "host order");
        x = in4_addr_from_host(0x0a000301);
        is_str(in_addr_to_string(AF_INET, &x, buf), "10.0.3.1", "from host order");

        NetPrefix p, q;
        ok(net_prefix_parse("10.0.3.1/24", AF_INET, &p) == 0 &&
                   net_prefix_parse("10.0.0.1/16", AF_INET, &q) == 0 && net_prefix_overlaps(&p, &q) &&
                   net_prefix_overlaps(&q, &p),
           "a /24 inside a /16 overlaps, both ways");
        ok(net_prefix_parse("10.1.0.1/16", AF_INET, &q) == 0 && !net_prefix_overlaps(&p, &q),
           "disjoint prefixes do not overlap");
        ok(net_prefix_parse("fd00::1/8", AF_INET6, &q) == 0 && !net_prefix_overlaps(&p, &q),
           "families never overlap");
        _cleanup_free_ char *t = net_prefix_to_string(&p);
        is_str(t, "10.0.3.1/24", "prefix text");
}

static void test_names(void)
{
        char a[IFNAMSIZ], b[IFNAMSIZ], c[IFNAMSIZ];

        net_veth_host_name("web", 0, a);
        is_str(a, "vb-web", "short name, first interface");
        net_veth_host_name("web", 2, a);
        is_str(a, "vb-web_2", "short name, third interface");
        net_veth_host_name("abcdefghijkl", 0, a);
        is_str(a, "vb-abcdefghijkl", "12 characters still fit");
        net_veth_host_name("abcdefghijklm", 0, a);
        ok(strlen(a) == 15 && strncmp(a, "vb_abcde_", 9) == 0, "13 characters: hashed ('%s')", a);
        net_veth_host_name("abcdefghijklm", 0, b);
        is_str(a, b, "deterministic");
        net_veth_host_name("abcdefghijkln", 0, c);
        ok(!streq(a, c), "another long name, another host name ('%s', '%s')", a, c);
        net_veth_host_name("abcdefghijklm", 1, c);
        ok(!streq(a, c), "another index, another host name");
        net_veth_host_name("abcdefghijk", 1, c);
        ok(strncmp(c, "vb_", 3) == 0 && strlen(c) < IFNAMSIZ,
           "a short name whose index does not fit is hashed ('%s')", c);

        /* Every name a container may have gives a valid interface name, and the three forms
         * never meet: collisions over many names only within the hashed form's odds. */
        char **seen = NULL;
        bool all_valid = true;
        size_t clashes = 0;
        for (int i = 0; i < 600; i++) {
                char name[64];
                snprintf(name, sizeof(name), "%s%d", i % 3 == 0 ? "c" : "long-container-name-", i);
                for (size_t idx = 0; idx < 2; idx++) {
                        net_veth_host_name(name, idx, a);
                        all_valid = all_valid && config_ifname_is_valid(a);
                        if (strv_contains(seen, a))
                                clashes++;
                        strv_extend(&seen, a);
                }
        }
        ok(all_valid, "1200 host names are valid interface names");
        is_int(clashes, 0, "no two of 1200 host names clash");
        strv_free(seen);

        uint8_t m1[6], m2[6], m3[6];
        char text[18];
        net_mac_from_name("web", 0, m1);
        net_mac_from_name("web", 0, m2);
        net_mac_from_name("web2", 0, m3);
        ok(memcmp(m1, m2, 6) == 0, "MAC deterministic");
        ok(memcmp(m1, m3, 6) != 0, "a clone (another name) gets another MAC");
        net_mac_from_name("web", 1, m3);
        ok(memcmp(m1, m3, 6) != 0, "another interface, another MAC");
        bool local_unicast = true;
        for (int i = 0; i < 1000; i++) {
                char name[32];
                snprintf(name, sizeof(name), "n%d", i);
                net_mac_from_name(name, 0, m3);
                local_unicast = local_unicast && (m3[0] & 0x03) == 0x02;
        }
        ok(local_unicast, "1000 MACs are locally administered unicast");
        net_mac_from_bridge("berth0", m3);
        ok((m3[0] & 0x03) == 0x02, "bridge MAC locally administered unicast");

        net_mac_to_string(m1, text);
        ok(net_mac_parse(text, m2) == 0 && memcmp(m1, m2, 6) == 0, "MAC text round trip (%s)",
           text);
        is_int(net_mac_parse("02:00:0A:00:03:0a", m2), 0, "MAC upper case");
        is_int(m2[2], 0x0a, "MAC byte");
        static const char *const bad[] = {"02:00:0a:00:03", "02:00:0a:00:03:0a:", "02-00-0a-00-03-0a",
                                          "02:00:0a:00:03:0g", "", NULL};
        for (size_t i = 0; bad[i]; i++)
                is_int(net_mac_parse(bad[i], m2), -EINVAL, "MAC refused '%s'", bad[i]);
}

static void test_global(void)
{
        NetGlobal g;
        net_global_init(&g);
        BerthError *err = NULL;
        is_int(net_global_validate(&g, &err), 0, "defaults validate");
        is_str(g.bridge, "berth0", "default bridge");
        is_str(g.ipv4, "10.0.3.1/24", "default subnet");

        _cleanup_free_ char *text = net_global_to_string(&g);
        NetGlobal h;
        is_int(net_global_from_string(text, &h), 0, "state text parses");
        _cleanup_free_ char *again = net_global_to_string(&h);
        is_str(again, text, "state text round trip");
        net_global_done(&h);
        free(g.uplink);
        g.uplink = xstrdup("up0");
        free(g.ipv6);
        g.ipv6 = xstrdup("fd42:b::1/64");
        g.nat = false;
        g.mtu = 1400;
        _cleanup_free_ char *text2 = net_global_to_string(&g);
        is_int(net_global_from_string(text2, &h), 0, "state text with every field");
        ok(streq_ptr(h.uplink, "up0") && streq_ptr(h.ipv6, "fd42:b::1/64") && !h.nat &&
                   h.mtu == 1400,
           "every field read back");
        net_global_done(&h);
        is_int(net_global_from_string("berth-net-network 1\nbridge x\n", &h), -EBADMSG,
               "incomplete state refused");
        is_int(net_global_from_string("berth-net-network 2\n", &h), -EBADMSG,
               "unknown version refused");
        is_int(net_global_from_string("berth-net-network 1\nbridge berth0\nbogus 1\n", &h),
               -EBADMSG, "unknown key refused");

        static const struct {
                const char *field, *value, *error;
        } bad[] = {
                {"bridge", "a b", "key 'network.bridge': invalid bridge name 'a b'"},
                {"bridge", "berth.0", "key 'network.bridge': invalid bridge name 'berth.0'"},
                        {"ipv4", "10.0.3.1", "key 'network.ipv4': invalid address/prefix '10.0.3.1'"},
                {"ipv4", "10.0.3.1/31", "key 'network.ipv4': invalid address/prefix"},
                {"ipv4", "10.0.3.0/24", "'10.0.3.0/24' is the subnet's network or broadcast"},
                {"ipv4", "10.0.3.255/24", "is the subnet's network or broadcast"},
                {"dhcp_start", "10.0.4.2", "key 'network.dhcp_range': '10.0.4.2-10.0.3.254'"},
                {"dhcp_start", "10.0.3.0", "is not an ordered range"},
                {"dhcp_end", "10.0.3.255", "is not an ordered range"},
                {"dhcp_end", "10.0.3.1x", "invalid range"},
                {"ipv6", "fd42::1/127", "key 'network.ipv6'"},
                {"domain", "Berth", "key 'network.domain': invalid domain 'Berth'"},
                {"domain", "a..b", "invalid domain"},
                {"domain", "-a", "invalid domain"},
                {"uplink", "eth 0", "key 'network.uplink'"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                NetGlobal x;
                net_global_copy(&x, &g);
                free(x.uplink);
                x.uplink = NULL;
                char **f = streq(bad[i].field, "bridge")       ? &x.bridge
                           : streq(bad[i].field, "ipv4")       ? &x.ipv4
                           : streq(bad[i].field, "dhcp_start") ? &x.dhcp_start
                           : streq(bad[i].field, "dhcp_end")   ? &x.dhcp_end
                           : streq(bad[i].field, "ipv6")       ? &x.ipv6
                           : streq(bad[i].field, "domain")     ? &x.domain
                                                               : &x.uplink;
                free(*f);
                *f = xstrdup(bad[i].value);
                err = NULL;
                is_int(net_global_validate(&x, &err), -EBADMSG, "refused %s '%s'", bad[i].field,
                       bad[i].value);
                like(err ? err->message : NULL, bad[i].error, "message for %s", bad[i].field);
                berth_error_free(err);
                net_global_done(&x);
        }
        net_global_done(&g);
}

static const char *const sections[] = {"defaults", "network", NULL};

static void test_global_parse(void)
{
        NetGlobal g;
        BerthError *err = NULL;
        is_int(net_global_parse(NULL, 0, "b.yaml", sections, &g, &err), 0, "no file: defaults");
        is_str(g.bridge, "berth0", "default bridge without a file");
        net_global_done(&g);

        static const char good[] = "defaults: {limits: {pids: 100}}\n"
                                   "network:\n"
                                   "  bridge: br-test\n"
                                   "  ipv4: 10.44.0.1/16\n"
                                   "  dhcp_range: 10.44.1.0-10.44.1.255\n"
                                   "  ipv6: \"fd44::1/64\"\n"
                                   "  domain: lab.example\n"
                                   "  nat: no\n"
                                   "  uplink: up0\n"
                                   "  dns_upstream: false\n"
                                   "  mtu: 1400\n";
        is_int(net_global_parse(good, strlen(good), "b.yaml", sections, &g, &err), 0,
               "every key of the section");
        if (err)
                printf("#   %s\n", err->message);
        ok(streq(g.bridge, "br-test") && streq(g.ipv4, "10.44.0.1/16") &&
                   streq(g.dhcp_start, "10.44.1.0") && streq(g.dhcp_end, "10.44.1.255") &&
                   streq_ptr(g.ipv6, "fd44::1/64") && streq(g.domain, "lab.example") && !g.nat &&
                   streq_ptr(g.uplink, "up0") && !g.dns_upstream && g.mtu == 1400,
           "every value read");
        net_global_done(&g);
        static const char partial[] = "network: {bridge: br1, uplink: null}\n";
        is_int(net_global_parse(partial, strlen(partial), "b.yaml", sections, &g, NULL), 0,
               "a partial section");
        ok(streq(g.bridge, "br1") && streq(g.ipv4, "10.0.3.1/24") && !g.uplink && g.nat,
           "the rest are defaults");
        net_global_done(&g);
        static const char none[] = "network:\n";
        is_int(net_global_parse(none, strlen(none), "b.yaml", sections, &g, NULL), 0,
               "an empty section");
        net_global_done(&g);

        static const struct {
                const char *yaml, *error;
        } bad[] = {
                {"network: {brdge: x}\n", "b.yaml:1:11: unknown key 'network.brdge'"},
                {"network: {nat: maybe}\n", "b.yaml:1:16: key 'network.nat': invalid value 'maybe'"},
                {"network:\n  mtu: 10\n", "b.yaml:2:8: key 'network.mtu': invalid value '10'"},
                {"network: {dhcp_range: 10.0.3.2}\n",
                 "b.yaml:1:23: key 'network.dhcp_range': invalid value '10.0.3.2'"},
                {"network: {bridge: [a]}\n",
                 "b.yaml:1:19: key 'network.bridge': expected a scalar, got a list"},
                {"network: {bridge: ~}\n", "b.yaml:1:19: key 'network.bridge': invalid value ''"},
                {"network: [a]\n", "b.yaml:1:10: key 'network': expected a mapping, got a list"},
                {"netwrk: {}\n", "b.yaml:1:1: unknown key 'netwrk'"},
                {"network: {ipv4: 10.0.3.1/33}\n",
                 "b.yaml: key 'network.ipv4': invalid address/prefix '10.0.3.1/33'"},
                {"network: {ipv4: 10.1.0.1/24}\n",
                 "b.yaml: key 'network.dhcp_range': '10.0.3.2-10.0.3.254' is not an ordered range "
                 "of host addresses in 10.1.0.1/24"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                err = NULL;
                is_int(net_global_parse(bad[i].yaml, strlen(bad[i].yaml), "b.yaml", sections, &g,
                                        &err),
                       -EBADMSG, "refused: %s", bad[i].error);
                like(err ? err->message : NULL, bad[i].error, "message");
                berth_error_free(err);
        }
}

static void test_reserve(void)
{
        NetGlobal g;
        net_global_init(&g);
        free(g.dhcp_start);
        free(g.dhcp_end);
        g.dhcp_start = xstrdup("10.0.3.1");
        g.dhcp_end = xstrdup("10.0.3.4");
        InAddr a, b, used[4];
        char buf[INET6_ADDRSTRLEN];

        is_int(net_reserve_address(&g, "web", 0, NULL, 0, &a), 0, "reserve");
        is_int(net_reserve_address(&g, "web", 0, NULL, 0, &b), 0, "reserve again");
        ok(in_addr_equal(AF_INET, &a, &b), "the same container gets the same address");
        uint32_t v = in4_addr_to_host(&a);
        ok(v >= 0x0a000302 && v <= 0x0a000304,
           "inside the range, never the bridge's 10.0.3.1 (%s)", in_addr_to_string(AF_INET, &a, buf));
        used[0] = a;
        is_int(net_reserve_address(&g, "web", 0, used, 1, &b), 0, "reserve with its address used");
        ok(!in_addr_equal(AF_INET, &a, &b), "another address when taken");
        used[1] = b;
        InAddr c;
        is_int(net_reserve_address(&g, "web", 0, used, 2, &c), 0, "the last free one");
        used[2] = c;
        is_int(net_reserve_address(&g, "web", 0, used, 3, &c), -ENOSPC, "range full");
        bool spread = false;
        net_reserve_address(&g, "a", 0, NULL, 0, &a);
        for (int i = 0; i < 20 && !spread; i++) {
                char n[16];
                snprintf(n, sizeof(n), "c%d", i);
                net_reserve_address(&g, n, 0, NULL, 0, &b);
                spread = !in_addr_equal(AF_INET, &a, &b);
        }
        ok(spread, "names spread over the range");
        net_global_done(&g);
}

static void test_plan(void)
{
        NetGlobal g;
        net_global_init(&g);
        NetPlan *lo = NULL;
        _cleanup_(config_freep) BerthConfig *empty = parse("hostname: x\n");
        ok(empty && net_plan_build("web", empty, &g, &lo, NULL) == 0 && lo->n_ifaces == 0,
           "no network key plans nothing (the defaults came with create)");
        ok(empty && !net_config_uses_managed(empty, &g), "and uses no bridge");
        net_plan_free(lo);
        BerthError *err = NULL;

        _cleanup_(config_freep) BerthConfig *none = parse("network: none\n");
        NetPlan *p = NULL;
        ok(none && net_plan_build("web", none, &g, &p, NULL) == 0 && p->n_ifaces == 0,
           "network: none plans nothing");
        p = net_plan_free(p);
        ok(none && !net_config_uses_managed(none, &g), "none does not use the managed bridge");

        _cleanup_(config_freep) BerthConfig *def =
                parse("network: [{type: veth, bridge: berth0, name: eth0, dhcp: true}]\n");
        ok(def && net_plan_build("web", def, &g, &p, NULL) == 0, "plan of the shipped default");
        if (p) {
                is_int(p->n_ifaces, 1, "one interface");
                const NetIface *f = &p->ifaces[0];
                ok(f->type == BERTH_NET_VETH && streq(f->name, "eth0") && streq(f->host, "vb-web") &&
                           streq(f->bridge, "berth0") && f->managed && f->dhcp && f->has_mac,
                   "eth0 on berth0, managed, DHCP, derived MAC");
                uint8_t mac[6];
                net_mac_from_name("web", 0, mac);
                ok(memcmp(mac, f->mac, 6) == 0, "MAC from the name");
        }
        p = net_plan_free(p);
        ok(def && net_config_uses_managed(def, &g), "it uses the managed bridge");

        _cleanup_(config_freep) BerthConfig *full = parse(
                "network:\n"
                "  - {type: none}\n"
                "  - {type: veth, bridge: br7, ipv4: 10.9.0.5/24, gateway: 10.9.0.1, ipv6: "
                "\"fd00::5/64\", gateway6: \"fd00::1\", mtu: 1400, hwaddr: \"02:11:22:33:44:55\"}\n"
                "  - {type: macvlan, link: eth9}\n"
                "  - {type: phys, link: enp3s0, name: wan}\n"
                "publish: [\"8080:80\", \"[::1]:8443:443\"]\n");
        ok(full && net_plan_build("db", full, &g, &p, &err) == 0, "plan of every type");
        if (p) {
                is_int(p->n_ifaces, 3, "none leaves no interface");
                const NetIface *v = &p->ifaces[0], *m = &p->ifaces[1], *ph = &p->ifaces[2];
                ok(streq(v->name, "eth0") && streq(v->host, "vb-db_1") && !v->managed &&
                           v->mtu == 1400 && v->has_gw4 && v->has_gw6 &&
                           v->addr4.family == AF_INET && v->addr6.family == AF_INET6,
                   "veth: unnamed is eth0, host name by list position, addresses");
                ok(v->mac[0] == 0x02 && v->mac[5] == 0x55, "configured MAC");
                ok(m->type == BERTH_NET_MACVLAN && streq(m->name, "eth1") && streq(m->host, "eth9") &&
                           m->has_mac,
                   "macvlan: eth1 on eth9, derived MAC");
                ok(ph->type == BERTH_NET_PHYS && streq(ph->name, "wan") && streq(ph->host, "enp3s0") &&
                           !ph->has_mac,
                   "phys keeps its own MAC");
                is_int(p->n_ports, 2, "two ports");
                ok(net_plan_port_target(p, AF_INET) == v && net_plan_port_target(p, AF_INET6) == v,
                   "ports go to the first interface with an address");

                p->pid = 1234;
                p->starttime = 99;
                p->ifaces[2].phys_ifindex = 7;
                p->ifaces[2].phys_mtu = 9000;
                p->ifaces[2].phys_up = true;
                _cleanup_free_ char *text = net_plan_to_string(p);
                NetPlan *q = NULL;
                is_int(net_plan_from_string(text, &q), 0, "plan text parses");
                if (q) {
                        _cleanup_free_ char *again = net_plan_to_string(q);
                        is_str(again, text, "plan text round trip");
                        ok(q->pid == 1234 && q->starttime == 99 && q->ifaces[2].phys_ifindex == 7,
                           "pid and phys record read back");
                }
                net_plan_free(q);

                /* Every damaged form is refused, none half read. */
                static const char *const damaged[] = {
                        "", "berth-net-plan 2\nname x\n", "berth-net-plan 1\n",
                        "berth-net-plan 1\nname X\n", "berth-net-plan 1\nname x\nname y\n",
                        "berth-net-plan 1\nname x\niface veth\n",
                        "berth-net-plan 1\nname x\niface bridge name=eth0\n",
                        "berth-net-plan 1\nname x\niface veth name=eth0 mtu=70000\n",
                        "berth-net-plan 1\nname x\niface veth name=eth0 bogus=1\n",
                        "berth-net-plan 1\nname x\niface veth name=eth0 ipv4=10.0.0.1\n",
                        "berth-net-plan 1\nname x\niface veth name=a/b\n",
                        "berth-net-plan 1\nname x\npublish 80\n",
                        "berth-net-plan 1\nname x\npid 0 1\n", "berth-net-plan 1\nname x\nwhat\n",
                        NULL};
                for (size_t i = 0; damaged[i]; i++) {
                        q = NULL;
                        is_int(net_plan_from_string(damaged[i], &q), -EBADMSG, "damaged plan %zu",
                               i);
                        ok(q == NULL, "nothing returned for damaged plan %zu", i);
                }
        }
        p = net_plan_free(p);

        static const struct {
                const char *yaml, *error;
        } bad[] = {
                {"network: [{type: veth, name: eth1}, {type: veth}, {type: veth}]\n",
                 "key 'network[1].name': interface 'eth1' twice"},
                {"network: [{type: veth, bridge: x}]\npublish: [\"80:80\"]\n",
                 "key 'publish[0]': the container has no IPv4 address berth knows"},
                {"network: [{type: veth, bridge: x, ipv4: 10.0.0.2/24}]\npublish: [\"[::1]:80:80\"]\n",
                 "key 'publish[0]': the container has no IPv6 address"},
                {"network: none\npublish: [\"80:80\"]\n", "key 'publish[0]'"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(config_freep) BerthConfig *c = parse(bad[i].yaml);
                err = NULL;
                ok(c && net_plan_build("x", c, &g, &p, &err) == -EINVAL, "plan refused: %s",
                   bad[i].error);
                like(err ? err->message : NULL, bad[i].error, "plan message");
                berth_error_free(err);
        }
        _cleanup_(config_freep) BerthConfig *dh =
                parse("network: [{type: veth, bridge: berth0, dhcp: true}]\npublish: [\"80:80\"]\n");
        ok(dh && net_plan_build("x", dh, &g, &p, NULL) == 0,
           "DHCP on the managed bridge is an address berth knows");
        p = net_plan_free(p);
        net_global_done(&g);
}

/* ---- the rules over a fake host ----------------------------------------------------------- */

typedef struct FakeHost {
        char **links;     /* names that exist */
        NetPrefix br_prefix;
        const char *br_with_prefix;
        uint16_t taken_port;
} FakeHost;

static bool fake_link_exists(const char *name, void *userdata)
{
        return strv_contains(((FakeHost *)userdata)->links, name);
}

static size_t fake_link_prefixes(const char *name, NetPrefix *ret, size_t max, void *userdata)
{
        FakeHost *h = userdata;
        if (!h->br_with_prefix || !streq(name, h->br_with_prefix) || max < 1)
                return 0;
        ret[0] = h->br_prefix;
        return 1;
}

static int fake_port_free(const BerthPublish *p, void *userdata)
{
        return p->host_port == ((FakeHost *)userdata)->taken_port ? -EADDRINUSE : 0;
}

static NetPlan *plan_of(const char *name, const char *yaml, const NetGlobal *g)
{
        _cleanup_(config_freep) BerthConfig *c = parse(yaml);
        NetPlan *p = NULL;
        if (c)
                (void)net_plan_build(name, c, g, &p, NULL);
        return p;
}

static void test_check(void)
{
        NetGlobal g;
        net_global_init(&g);
        FakeHost fh = {.taken_port = 22, .br_with_prefix = "br7"};
        strv_extend(&fh.links, "br7");
        strv_extend(&fh.links, "eth9");
        strv_extend(&fh.links, "eth8");
        strv_extend(&fh.links, "vb-busy");
        net_prefix_parse("10.9.0.1/24", AF_INET, &fh.br_prefix);
        NetHostView host = {fake_link_exists, fake_link_prefixes, fake_port_free, &fh};

        NetPlan *others[2] = {
                plan_of("db", "network: [{type: veth, bridge: berth0, ipv4: 10.0.3.20/24}, "
                              "{type: phys, link: eth9, name: lan}]\npublish: [\"8080:80\"]\n",
                        &g),
                plan_of("web", "network: [{type: veth, bridge: br7, ipv4: 10.9.0.7/24}]\n", &g),
        };
        ok(others[0] && others[1], "the others' plans");

        static const struct {
                const char *name, *yaml, *error;
                int code;
        } cases[] = {
                {"a", "network: [{type: veth, bridge: nope}]\n",
                 "interface 'eth0': unknown bridge 'nope'", ENODEV},
                {"a", "network: [{type: macvlan, link: nope}]\n",
                 "interface 'eth0': unknown host interface 'nope'", ENODEV},
                {"busy", "network: [{type: veth, bridge: br7}]\n",
                 "interface 'eth0': host interface 'vb-busy' exists already", EEXIST},
                {"a", "network: [{type: veth, bridge: berth0, ipv4: 10.0.4.2/24}]\n",
                 "interface 'eth0': address 10.0.4.2 is outside the subnet 10.0.3.0/24 of bridge "
                 "'berth0'",
                 EINVAL},
                {"a", "network: [{type: veth, bridge: br7, ipv4: 10.8.0.2/24}]\n",
                 "address 10.8.0.2 is outside the subnet 10.9.0.0/24 of bridge 'br7'", EINVAL},
                {"a", "network: [{type: veth, bridge: berth0, ipv4: 10.0.3.1/24}]\n",
                 "address 10.0.3.1 is the bridge's own", EINVAL},
                {"a", "network: [{type: veth, bridge: berth0, ipv4: 10.0.3.255/24}]\n",
                 "10.0.3.255 is the network or broadcast address of /24", EINVAL},
                {"a", "network: [{type: veth, bridge: berth0, ipv4: 10.0.3.20/24}]\n",
                 "address 10.0.3.20 is used by container 'db'", EADDRINUSE},
                {"a", "network: [{type: veth, bridge: br7, ipv4: 10.9.0.7/24}]\n",
                 "address 10.9.0.7 is used by container 'web'", EADDRINUSE},
                {"a",
                 "network: [{type: veth, bridge: br7, ipv4: 10.9.0.8/24}, {type: veth, "
                 "ipv4: 10.9.0.8/24}]\n",
                 "address 10.9.0.8 is also on 'eth1'", EINVAL},
                {"a", "network: [{type: phys, link: eth9}]\n",
                 "host interface 'eth9' is used by container 'db'", EEXIST},
                {"a", "network: [{type: macvlan, link: eth9}]\n",
                 "host interface 'eth9' is used by container 'db'", EEXIST},
                {"a", "network: [{type: veth, bridge: br7, ipv4: 10.9.0.9/24}]\npublish: "
                      "[\"127.0.0.1:8080:80\"]\n",
                 "publish '127.0.0.1:8080:80/tcp': host port 8080 is published by container 'db'",
                 EADDRINUSE},
                {"a", "network: [{type: veth, bridge: br7, ipv4: 10.9.0.9/24}]\npublish: "
                      "[\"22:22\"]\n",
                 "publish '22:22/tcp': host port 22 is taken", EADDRINUSE},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                NetPlan *p = plan_of(cases[i].name, cases[i].yaml, &g);
                BerthError *err = NULL;
                int r = p ? net_plan_check(p, &g, NULL, others, 2, &host, &err) : -ENOMEM;
                is_int(r, -cases[i].code, "refused: %s", cases[i].error);
                like(err ? err->message : NULL, cases[i].error, "message");
                berth_error_free(err);
                net_plan_free(p);
        }

        NetPlan *p = plan_of("a",
                             "network: [{type: veth, bridge: berth0, ipv4: 10.0.3.21/24}, {type: "
                             "veth, bridge: br7, ipv4: 10.9.0.9/24}, {type: macvlan, link: eth8, "
                             "ipv4: 192.168.1.5/24}]\npublish: [\"8081:80\", \"8080:80/udp\"]\n",
                             &g);
        BerthError *err = NULL;
        is_int(p ? net_plan_check(p, &g, NULL, others, 2, &host, &err) : -ENOMEM, 0,
               "a plan that fits passes");
        if (err)
                printf("#   %s\n", err->message);
        berth_error_free(err);

        /* The managed network's recorded subnet wins over the configured one. */
        NetGlobal up;
        net_global_copy(&up, &g);
        free(up.ipv4);
        up.ipv4 = xstrdup("10.0.9.1/24");
        err = NULL;
        is_int(p ? net_plan_check(p, &g, &up, others, 2, &host, &err) : -ENOMEM, -EINVAL,
               "checked against the subnet it is up with");
        like(err ? err->message : NULL, "outside the subnet 10.0.9.0/24", "its message");
        berth_error_free(err);
        net_global_done(&up);
        net_plan_free(p);

        net_plan_free(others[0]);
        net_plan_free(others[1]);
        strv_free(fh.links);
        net_global_done(&g);
}

static void test_text(void)
{
        NetGlobal g;
        net_global_init(&g);
        _cleanup_free_ char *conf = net_dnsmasq_conf(&g, "/run/berth/.net/berth0");
        like(conf, "\ninterface=berth0\n", "dnsmasq: only the bridge");
        like(conf, "\nbind-interfaces\n", "dnsmasq: bound, other instances keep theirs");
        like(conf, "\nlisten-address=10.0.3.1\n", "dnsmasq: the bridge's address");
        like(conf, "\ndhcp-range=10.0.3.2,10.0.3.254,255.255.255.0,1h\n", "dnsmasq: range");
        like(conf, "\nlocal=/berth/\n", "dnsmasq: the domain is answered locally");
        like(conf, "\nhostsdir=/run/berth/.net/berth0/hosts\n", "dnsmasq: names");
        like(conf, "\ndhcp-hostsdir=/run/berth/.net/berth0/dhcp-hosts\n", "dnsmasq: reservations");
        like(conf, "\ndhcp-ignore-names\n", "dnsmasq: clients cannot claim names");
        ok(!strstr(conf, "no-resolv"), "dnsmasq: upstream by default");
        ok(!strstr(conf, "enable-ra"), "dnsmasq: no RA without IPv6");

        InAddr a;
        in_addr_parse("10.0.3.57", AF_INET, NULL, &a);
        NetPrefix six = {};
        _cleanup_free_ char *h = net_dnsmasq_hosts_entry(&g, "web", &a, &six);
        is_str(h, "10.0.3.57 web web.berth\n", "hosts entry");
        net_prefix_parse("fd42::57/64", AF_INET6, &six);
        _cleanup_free_ char *h6 = net_dnsmasq_hosts_entry(&g, "web", &a, &six);
        is_str(h6, "10.0.3.57 web web.berth\nfd42::57 web web.berth\n", "hosts entry with IPv6");
        uint8_t mac[6] = {2, 0, 0xa, 0, 3, 0x39};
        _cleanup_free_ char *dh = net_dnsmasq_dhcp_host_entry(mac, &a);
        is_str(dh, "02:00:0a:00:03:39,10.0.3.57\n", "dhcp-host entry");

        _cleanup_free_ char *nft = net_nft_network_script(&g);
        like(nft, "add table inet berth-n-berth0\ndelete table inet berth-n-berth0\ntable inet "
                  "berth-n-berth0 {",
             "network table replaced in one transaction");
        like(nft, "ip saddr 10.0.3.0/24 ip daddr != 10.0.3.0/24 masquerade", "masquerade");
        ok(!strstr(nft, "chain forward"), "no forward filter without an uplink");
        free(g.uplink);
        g.uplink = xstrdup("up0");
        _cleanup_free_ char *nft2 = net_nft_network_script(&g);
        like(nft2, "ip daddr != 10.0.3.0/24 oifname \"up0\" masquerade", "masquerade on the uplink");
        like(nft2, "iifname \"berth0\" oifname != { \"berth0\", \"up0\" } drop",
             "nothing leaves but through the uplink");
        g.nat = false;
        _cleanup_free_ char *nft3 = net_nft_network_script(&g);
        ok(!strstr(nft3, "ip daddr != 10.0.3.0/24"), "no masquerade without nat");

        _cleanup_free_ char *del = net_nft_delete_script("berth-c-web");
        is_str(del, "add table inet berth-c-web\ndelete table inet berth-c-web\n",
               "idempotent delete");

        NetPlan *p = plan_of("web",
                             "network: [{type: veth, bridge: br7, ipv4: 10.9.0.5/24, ipv6: "
                             "\"fd00::5/64\"}]\npublish: [\"8080:80\", \"127.0.0.1:5353:53/udp\", "
                             "\"[::1]:8443:443\"]\n",
                             &g);
        _cleanup_free_ char *ports = p ? net_nft_container_script(p) : NULL;
        like(ports, "table inet berth-c-web {", "ports table");
        like(ports, "meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 10.9.0.5:80",
             "any address, IPv4");
        like(ports, "meta nfproto ipv6 fib daddr type local tcp dport 8080 dnat ip6 to [fd00::5]:80",
             "any address, IPv6");
        like(ports, "ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.9.0.5:53", "one address, UDP");
        like(ports, "ip6 daddr ::1 tcp dport 8443 dnat ip6 to [fd00::5]:443", "one IPv6 address");
        like(ports, "chain prerouting {", "from elsewhere");
        like(ports, "chain output {", "from the host itself");
        net_plan_free(p);
        p = plan_of("web", "network: [{type: veth, bridge: br7}]\n", &g);
        ok(p && net_nft_container_script(p) == NULL, "no ports, no table");
        net_plan_free(p);
        net_global_done(&g);
}

int main(void)
{
        test_in_addr();
        test_names();
        test_global();
        test_global_parse();
        test_reserve();
        test_plan();
        test_check();
        test_text();
        return tap_done();
}
