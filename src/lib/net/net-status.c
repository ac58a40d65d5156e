/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What `berth network status` shows, read without netlink: the recorded settings, whether the
 * bridge, dnsmasq and the nft table are there, the containers on it and dnsmasq's leases. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "net-internal.h"
#include "path-util.h"
#include "strv.h"

void berth_network_status_clear(BerthNetworkStatus *s)
{
        free(s->bridge);
        free(s->ipv4);
        free(s->ipv6);
        free(s->domain);
        strv_free(s->containers);
        strv_free(s->leases);
        *s = (BerthNetworkStatus){};
}

static char **read_leases(const char *dir)
{
        _cleanup_free_ char *path = path_join(dir, NET_DNSMASQ_LEASES);
        _cleanup_free_ char *text = NULL;
        char **l = NULL;
        if (read_full_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
                return NULL;
        char *save = NULL;
        /* "EXPIRY MAC ADDRESS HOSTNAME CLIENTID" per line. */
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char expiry[32], mac[64], addr[64], host[256];
                if (sscanf(line, "%31s %63s %63s %255s", expiry, mac, addr, host) == 4)
                        strv_push(&l, xasprintf("%s %s %s", mac, addr, host));
        }
        return l;
}

int net_network_status(const char *rundir, const NetGlobal *g, BerthNetworkStatus *ret,
                       BerthError **reterr)
{
        BerthNetworkStatus s = {.bridge = xstrdup(g->bridge)};
        NetGlobal rec;
        bool recorded = net_network_read(rundir, g->bridge, &rec) >= 0;
        const NetGlobal *use = recorded ? &rec : g;
        s.ipv4 = xstrdup(use->ipv4);
        s.ipv6 = use->ipv6 ? xstrdup(use->ipv6) : NULL;
        s.domain = xstrdup(use->domain);
        s.up = recorded && if_nametoindex(g->bridge) > 0;

        _cleanup_free_ char *dir = net_network_dir(rundir, g->bridge);
        s.dnsmasq_pid = net_dnsmasq_pid(dir);
        _cleanup_free_ char *table = net_nft_network_table(g->bridge);
        s.nat = net_nft_table_exists(table);
        s.leases = read_leases(dir);

        NetPlan **plans = NULL;
        size_t n = 0;
        int r = net_plans_running(rundir, NULL, &plans, &n);
        if (r < 0) {
                if (recorded)
                        net_global_done(&rec);
                berth_network_status_clear(&s);
                return berth_error_set(reterr, r, "read the network records in '%s'", rundir);
        }
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < plans[i]->n_ifaces; j++) {
                        const NetIface *f = &plans[i]->ifaces[j];
                        if (f->type != BERTH_NET_VETH || !streq(f->bridge, g->bridge))
                                continue;
                        char buf[INET6_ADDRSTRLEN] = "-";
                        if (f->addr4.family == AF_INET)
                                in_addr_to_string(AF_INET, &f->addr4.addr, buf);
                        strv_push(&s.containers, xasprintf("%s %s", plans[i]->name, buf));
                }
        net_plans_free(plans, n);
        if (recorded)
                net_global_done(&rec);
        *ret = s;
        return 0;
}
