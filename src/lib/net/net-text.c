/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text berth hands to dnsmasq and nft. Pure: every name in it has passed a check that keeps
 * it to [A-Za-z0-9_-] (bridges, uplinks) or [a-z0-9-] (containers), so nothing is quoted. */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net-internal.h"
#include "strv.h"

char *net_dnsmasq_conf(const NetGlobal *g, const char *dir)
{
        NetPrefix p4;
        char addr[INET6_ADDRSTRLEN], mask[INET6_ADDRSTRLEN];
        if (net_prefix_parse(g->ipv4, AF_INET, &p4) < 0)
                return NULL;
        InAddr m = in4_addr_from_host(p4.prefix ? UINT32_MAX << (32 - p4.prefix) : 0);
        in_addr_to_string(AF_INET, &p4.addr, addr);
        in_addr_to_string(AF_INET, &m, mask);

        _cleanup_strv_free_ char **l = NULL;
        strv_push(&l, xasprintf("# Written by berth for the bridge '%s'; rewritten on every "
                                "'berth network up'.",
                                g->bridge));
        /* Only this bridge, only its address: other dnsmasq instances (libvirt, lxc-net, the
         * host's own) keep theirs. */
        strv_push(&l, xasprintf("interface=%s", g->bridge));
        strv_extend(&l, "except-interface=lo");
        strv_extend(&l, "bind-interfaces");
        strv_push(&l, xasprintf("listen-address=%s", addr));
        strv_extend(&l, "strict-order");
        /* Names come from berth alone: never from /etc/hosts, never from what a DHCP client
         * says its name is (a container must not claim another's name). */
        strv_extend(&l, "no-hosts");
        strv_extend(&l, "dhcp-ignore-names");
        strv_push(&l, xasprintf("domain=%s", g->domain));
        strv_push(&l, xasprintf("local=/%s/", g->domain));
        strv_extend(&l, "expand-hosts");
        strv_extend(&l, "domain-needed");
        strv_extend(&l, "bogus-priv");
        if (!g->dns_upstream)
                strv_extend(&l, "no-resolv");
        strv_push(&l, xasprintf("hostsdir=%s/" NET_HOSTS_DIR, dir));
        strv_push(&l, xasprintf("dhcp-hostsdir=%s/" NET_DHCP_HOSTS_DIR, dir));
        strv_push(&l, xasprintf("dhcp-range=%s,%s,%s,1h", g->dhcp_start, g->dhcp_end, mask));
        strv_push(&l, xasprintf("dhcp-option=option:router,%s", addr));
        strv_push(&l, xasprintf("dhcp-option=option:dns-server,%s", addr));
        strv_push(&l, xasprintf("dhcp-option=option:domain-search,%s", g->domain));
        if (g->mtu)
                strv_push(&l, xasprintf("dhcp-option=option:mtu,%" PRIu32, g->mtu));
        strv_extend(&l, "dhcp-authoritative");
        strv_extend(&l, "dhcp-no-override");
        strv_push(&l, xasprintf("dhcp-leasefile=%s/" NET_DNSMASQ_LEASES, dir));
        strv_push(&l, xasprintf("pid-file=%s/" NET_DNSMASQ_PID, dir));
        strv_push(&l, xasprintf("log-facility=%s/" NET_DNSMASQ_LOG, dir));
        if (g->ipv6) {
                NetPrefix p6;
                if (net_prefix_parse(g->ipv6, AF_INET6, &p6) < 0)
                        return NULL;
                /* Router advertisements with the prefix, addresses by SLAAC. */
                strv_extend(&l, "enable-ra");
                strv_push(&l, xasprintf("dhcp-range=::,constructor:%s,ra-stateless,64,1h",
                                        g->bridge));
        }
        strv_extend(&l, "");
        return strv_join(l, "\n");
}

char *net_dnsmasq_hosts_entry(const NetGlobal *g, const char *container, const InAddr *addr4,
                              const NetPrefix *addr6)
{
        char buf[INET6_ADDRSTRLEN];
        _cleanup_free_ char *v4 = NULL, *v6 = NULL;
        if (addr4)
                v4 = xasprintf("%s %s %s.%s\n", in_addr_to_string(AF_INET, addr4, buf), container,
                               container, g->domain);
        if (addr6 && addr6->family == AF_INET6)
                v6 = xasprintf("%s %s %s.%s\n", in_addr_to_string(AF_INET6, &addr6->addr, buf),
                               container, container, g->domain);
        return xasprintf("%s%s", strempty(v4), strempty(v6));
}

char *net_dnsmasq_dhcp_host_entry(const uint8_t mac[ETH_ALEN_], const InAddr *addr4)
{
        char m[18], a[INET6_ADDRSTRLEN];
        return xasprintf("%s,%s\n", net_mac_to_string(mac, m), in_addr_to_string(AF_INET, addr4, a));
}

/* ---- nft ------------------------------------------------------------------------------------ */

char *net_nft_network_table(const char *bridge)
{
        return xasprintf(NET_NFT_NETWORK_TABLE_PREFIX "%s", bridge);
}

char *net_nft_container_table(const char *container)
{
        return xasprintf(NET_NFT_CONTAINER_TABLE_PREFIX "%s", container);
}

char *net_nft_delete_script(const char *table)
{
        /* "add" first makes the "delete" succeed when the table is not there. */
        return xasprintf("add table inet %s\ndelete table inet %s\n", table, table);
}

char *net_nft_network_script(const NetGlobal *g)
{
        NetPrefix p4, p6 = {};
        if (net_prefix_parse(g->ipv4, AF_INET, &p4) < 0 ||
            (g->ipv6 && net_prefix_parse(g->ipv6, AF_INET6, &p6) < 0))
                return NULL;
        p4.addr = in_addr_mask(AF_INET, &p4.addr, p4.prefix);
        _cleanup_free_ char *net4 = net_prefix_to_string(&p4);
        _cleanup_free_ char *net6 = NULL;
        if (g->ipv6) {
                p6.addr = in_addr_mask(AF_INET6, &p6.addr, p6.prefix);
                net6 = net_prefix_to_string(&p6);
        }
        _cleanup_free_ char *table = net_nft_network_table(g->bridge);
        _cleanup_free_ char *oif = g->uplink ? xasprintf("oifname \"%s\" ", g->uplink) : NULL;

        _cleanup_strv_free_ char **l = NULL;
        /* Replaced as a whole, in one transaction: never a moment without masquerading, never a
         * rule twice. */
        strv_push(&l, xasprintf("add table inet %s", table));
        strv_push(&l, xasprintf("delete table inet %s", table));
        strv_push(&l, xasprintf("table inet %s {", table));
        strv_extend(&l, "\tchain postrouting {");
        strv_extend(&l, "\t\ttype nat hook postrouting priority srcnat; policy accept;");
        if (g->nat) {
                strv_push(&l, xasprintf("\t\tip saddr %s ip daddr != %s %smasquerade", net4, net4,
                                        strempty(oif)));
                if (net6)
                        strv_push(&l, xasprintf("\t\tip6 saddr %s ip6 daddr != %s %smasquerade",
                                                net6, net6, strempty(oif)));
        }
        /* A container reaching another's published port through the host's address: the reply
         * would go straight back over the bridge with the wrong source otherwise. */
        strv_push(&l, xasprintf("\t\toifname \"%s\" ct status dnat ip saddr %s masquerade",
                                g->bridge, net4));
        /* Published ports reached on 127.0.0.1 (route_localnet is set on the bridge). */
        strv_push(&l, xasprintf("\t\toifname \"%s\" ip saddr 127.0.0.0/8 masquerade", g->bridge));
        strv_extend(&l, "\t}");
        if (g->uplink) {
                /* With an uplink named, what comes from the bridge leaves through it or stays. */
                strv_extend(&l, "\tchain forward {");
                strv_extend(&l, "\t\ttype filter hook forward priority filter; policy accept;");
                strv_push(&l, xasprintf("\t\tiifname \"%s\" oifname != { \"%s\", \"%s\" } drop",
                                        g->bridge, g->bridge, g->uplink));
                strv_extend(&l, "\t}");
        }
        strv_extend(&l, "}");
        strv_extend(&l, "");
        return strv_join(l, "\n");
}

static void port_rules(char ***l, const BerthPublish *pt, int family, const InAddr *target)
{
        char host[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];
        const char *proto = pt->protocol == IPPROTO_UDP ? "udp" : "tcp";
        const char *fam = family == AF_INET6 ? "ip6" : "ip";
        _cleanup_free_ char *match =
                pt->family == AF_UNSPEC
                        ? xasprintf("meta nfproto %s fib daddr type local",
                                    family == AF_INET6 ? "ipv6" : "ipv4")
                        : xasprintf("%s daddr %s", fam,
                                    in_addr_to_string(family, &pt->host_addr, host));
        in_addr_to_string(family, target, to);
        _cleanup_free_ char *dest = family == AF_INET6 ? xasprintf("[%s]:%u", to, pt->port)
                                                       : xasprintf("%s:%u", to, pt->port);
        strv_push(l, xasprintf("\t\t%s %s dport %u dnat %s to %s", match, proto, pt->host_port,
                               fam, dest));
}

char *net_nft_container_script(const NetPlan *p)
{
        if (p->n_ports == 0)
                return NULL;
        const NetIface *t4 = net_plan_port_target(p, AF_INET);
        const NetIface *t6 = net_plan_port_target(p, AF_INET6);
        _cleanup_free_ char *table = net_nft_container_table(p->name);
        _cleanup_strv_free_ char **rules = NULL, **l = NULL;

        for (size_t i = 0; i < p->n_ports; i++) {
                const BerthPublish *pt = &p->ports[i];
                if ((pt->family == AF_UNSPEC || pt->family == AF_INET) && t4)
                        port_rules(&rules, pt, AF_INET, &t4->addr4.addr);
                if ((pt->family == AF_UNSPEC || pt->family == AF_INET6) && t6)
                        port_rules(&rules, pt, AF_INET6, &t6->addr6.addr);
        }

        strv_push(&l, xasprintf("add table inet %s", table));
        strv_push(&l, xasprintf("delete table inet %s", table));
        strv_push(&l, xasprintf("table inet %s {", table));
        /* From elsewhere (prerouting) and from the host itself (output). */
        static const char *const chains[][2] = {
                {"prerouting", "type nat hook prerouting priority dstnat; policy accept;"},
                {"output", "type nat hook output priority -100; policy accept;"},
        };
        for (size_t c = 0; c < ELEMENTSOF(chains); c++) {
                strv_push(&l, xasprintf("\tchain %s {", chains[c][0]));
                strv_push(&l, xasprintf("\t\t%s", chains[c][1]));
                STRV_FOREACH(r, rules)
                        strv_extend(&l, *r);
                strv_extend(&l, "\t}");
        }
        strv_extend(&l, "}");
        strv_extend(&l, "");
        return strv_join(l, "\n");
}
