/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's managed network: the bridge with its addresses, the sysctls it needs, the nft
 * masquerade table, and dnsmasq for DHCP and DNS. Up makes what is missing (so it also repairs
 * a half-up network); down removes all of it. */
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>

#include "fileio.h"
#include "net-helper.h"
#include "netlink.h"
#include "path-util.h"
#include "strv.h"
#include "time-util.h"

#define BRIDGE_ALIAS NET_ALIAS_PREFIX "network"
/* The uplink's forwarding setting before up changed it: restored by down. */
#define UPLINK_FORWARDING_FILE "uplink-forwarding"

static bool same_settings(const NetGlobal *a, const NetGlobal *b)
{
        return streq(a->bridge, b->bridge) && streq(a->ipv4, b->ipv4) &&
               streq(a->dhcp_start, b->dhcp_start) && streq(a->dhcp_end, b->dhcp_end) &&
               streq_ptr(a->ipv6, b->ipv6) && streq(a->domain, b->domain) && a->nat == b->nat &&
               streq_ptr(a->uplink, b->uplink) && a->dns_upstream == b->dns_upstream &&
               a->mtu == b->mtu;
}

/* The subnet must be berth's alone: a route to it through another interface would take the
 * containers' traffic. */
static int check_subnets(Netlink *nl, const NetGlobal *g, BerthError **reterr)
{
        NetPrefix want[2];
        size_t n_want = 0;
        if (net_prefix_parse(g->ipv4, AF_INET, &want[n_want]) >= 0)
                n_want++;
        if (g->ipv6 && net_prefix_parse(g->ipv6, AF_INET6, &want[n_want]) >= 0)
                n_want++;

        _cleanup_free_ NetlinkAddr *addrs = NULL;
        size_t n = 0;
        int r = netlink_addr_dump(nl, AF_UNSPEC, &addrs, &n);
        if (r < 0)
                return berth_error_set(reterr, r, "list the host's addresses");
        NetlinkLink br;
        int br_index = netlink_link_get(nl, g->bridge, &br) >= 0 ? br.ifindex : 0;
        for (size_t i = 0; i < n; i++) {
                if (addrs[i].ifindex == br_index || addrs[i].scope >= RT_SCOPE_LINK)
                        continue;
                NetPrefix have = {.family = addrs[i].family, .addr = addrs[i].addr,
                                  .prefix = addrs[i].prefix};
                for (size_t j = 0; j < n_want; j++) {
                        if (!net_prefix_overlaps(&have, &want[j]))
                                continue;
                        NetlinkLink l;
                        char name[IFNAMSIZ] = "?";
                        if (netlink_link_get_index(nl, addrs[i].ifindex, &l) >= 0)
                                snprintf(name, sizeof(name), "%s", l.name);
                        _cleanup_free_ char *a = net_prefix_to_string(&have);
                        _cleanup_free_ char *w = net_prefix_to_string(&want[j]);
                        return berth_error_setf(reterr, EADDRINUSE,
                                                "subnet %s overlaps %s on '%s'", w, a, name);
                }
        }
        return 0;
}

static bool has_address(const NetlinkAddr *addrs, size_t n, int ifindex, const NetPrefix *p)
{
        for (size_t i = 0; i < n; i++)
                if (addrs[i].ifindex == ifindex && addrs[i].family == p->family &&
                    addrs[i].prefix == p->prefix &&
                    in_addr_equal(p->family, &addrs[i].addr, &p->addr))
                        return true;
        return false;
}

static int ensure_bridge(Netlink *nl, const NetGlobal *g, BerthError **reterr)
{
        NetlinkLink br;
        int r = netlink_link_get(nl, g->bridge, &br);
        if (r == -ENODEV) {
                uint8_t mac[ETH_ALEN_];
                net_mac_from_bridge(g->bridge, mac);
                NetlinkLinkAttrs a = NETLINK_LINK_ATTRS_INIT;
                a.name = g->bridge;
                a.mac = mac;
                a.mtu = g->mtu;
                r = netlink_bridge_add(nl, &a);
                if (r >= 0)
                        r = netlink_link_get(nl, g->bridge, &br);
                if (r >= 0) {
                        /* The kernel takes an alias only on a change, not on creation. */
                        NetlinkLinkAttrs al = NETLINK_LINK_ATTRS_INIT;
                        al.alias = BRIDGE_ALIAS;
                        r = netlink_link_change(nl, br.ifindex, &al);
                        if (r < 0)
                                (void)netlink_link_del(nl, br.ifindex);
                        else
                                snprintf(br.alias, sizeof(br.alias), "%s", BRIDGE_ALIAS);
                }
        }
        if (r < 0)
                return berth_error_set(reterr, r, "create bridge '%s'", g->bridge);
        if (!streq(br.kind, "bridge") || !streq(br.alias, BRIDGE_ALIAS))
                return berth_error_setf(reterr, EEXIST,
                                        "interface '%s' exists and is not a bridge berth made",
                                        g->bridge);

        _cleanup_free_ NetlinkAddr *addrs = NULL;
        size_t n = 0;
        r = netlink_addr_dump(nl, AF_UNSPEC, &addrs, &n);
        if (r < 0)
                return berth_error_set(reterr, r, "list the addresses of '%s'", g->bridge);
        const char *want[] = {g->ipv4, g->ipv6};
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                NetPrefix p;
                if (!want[i] || net_prefix_parse(want[i], AF_UNSPEC, &p) < 0 ||
                    has_address(addrs, n, br.ifindex, &p))
                        continue;
                r = netlink_addr_add(nl, br.ifindex, p.family, &p.addr, p.prefix);
                if (r < 0)
                        return berth_error_set(reterr, r, "add address %s to '%s'", want[i],
                                               g->bridge);
        }
        r = netlink_link_set_up(nl, br.ifindex, true);
        if (r < 0)
                return berth_error_set(reterr, r, "bring up '%s'", g->bridge);
        return 0;
}

static int sysctls(const char *dir, const NetGlobal *g, BerthError **reterr)
{
        _cleanup_free_ char *localnet = xasprintf("net/ipv4/conf/%s/route_localnet", g->bridge);
        /* Published ports reached on 127.0.0.1 are routed out of the bridge. */
        int r = net_sysctl_write(localnet, "1");
        if (r < 0)
                return berth_error_set(reterr, r, "set '%s'", localnet);
        if (!g->nat)
                return 0;

        if (g->uplink) {
                /* Forwarding on the two interfaces involved only (IPv4 decides per incoming
                 * interface); the uplink's old value is kept for down. */
                _cleanup_free_ char *br = xasprintf("net/ipv4/conf/%s/forwarding", g->bridge);
                _cleanup_free_ char *up = xasprintf("net/ipv4/conf/%s/forwarding", g->uplink);
                _cleanup_free_ char *old = NULL, *saved = path_join(dir, UPLINK_FORWARDING_FILE);
                r = net_sysctl_read(up, &old);
                if (r < 0)
                        return berth_error_set(reterr, r, "read '%s' (is uplink '%s' there?)", up,
                                               g->uplink);
                if (access(saved, F_OK) < 0) {
                        r = net_write_file(dir, UPLINK_FORWARDING_FILE, old, 0600);
                        if (r < 0)
                                return berth_error_set(reterr, r, "write '%s'", saved);
                }
                r = net_sysctl_write(br, "1");
                if (r >= 0)
                        r = net_sysctl_write(up, "1");
                if (r < 0)
                        return berth_error_set(reterr, r, "enable forwarding on '%s' and '%s'",
                                               g->bridge, g->uplink);
        } else {
                /* As lxc-net and libvirt do: routing for the NAT. Left on at down, since other
                 * things may rely on it by then. */
                r = net_sysctl_write("net/ipv4/ip_forward", "1");
                if (r < 0)
                        return berth_error_set(reterr, r, "enable IPv4 forwarding");
                if (g->ipv6) {
                        r = net_sysctl_write("net/ipv6/conf/all/forwarding", "1");
                        if (r < 0)
                                return berth_error_set(reterr, r, "enable IPv6 forwarding");
                }
        }
        return 0;
}

/* dnsmasq reads its names and reservations after it has dropped its privileges (to nobody):
 * every directory above them must let others through, or names silently fail to resolve. */
static int check_reachable(const char *dir, BerthError **reterr)
{
        _cleanup_free_ char *p = xstrdup(dir);
        for (;;) {
                struct stat st;
                if (stat(p, &st) < 0)
                        return berth_error_set(reterr, errno, "stat '%s'", p);
                if (!(st.st_mode & S_IXOTH))
                        return berth_error_setf(reterr, EACCES,
                                                "'%s' (mode %04o) keeps dnsmasq, which runs "
                                                "unprivileged, out of '%s' (make it o+x, or "
                                                "use another runtime dir)",
                                                p, (unsigned)(st.st_mode & 07777), dir);
                char *slash = strrchr(p, '/');
                if (!slash || slash == p)
                        return 0;
                *slash = 0;
        }
}

static int start_dnsmasq(const char *dir, BerthError **reterr)
{
        _cleanup_free_ char *dnsmasq = net_find_program("dnsmasq");
        if (!dnsmasq)
                return berth_error_setf(reterr, ENOENT, "dnsmasq not found (install dnsmasq-base)");
        _cleanup_free_ char *conf = xasprintf("--conf-file=%s/" NET_DNSMASQ_CONF, dir);
        char *args[] = {conf, NULL};
        _cleanup_free_ char *last = NULL;
        int st;
        /* It forks into the background itself and exits once it serves (or reports why it
         * cannot). Its middle process exits unreaped by its parent; as a subreaper we reap it
         * instead of leaving a zombie to a PID 1 that may not. */
        (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
        int r = net_spawn(dnsmasq, args, NULL, -EBADF, -EBADF, &st, &last);
        if (r < 0)
                return berth_error_set(reterr, r, "run '%s'", dnsmasq);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return berth_error_setf(reterr, EIO, "start dnsmasq: %s",
                                        *last ? last : "failed");
        /* The pid file is written by the background process; wait for it briefly. */
        for (int i = 0; i < 200 && net_dnsmasq_pid(dir) <= 0; i++)
                usleep(5000);
        /* Its middle process was reparented to us when the first one exited: reap it. The
         * daemon itself lives on (ours until we exit). */
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        if (net_dnsmasq_pid(dir) <= 0)
                return berth_error_setf(reterr, EIO, "start dnsmasq: no pid file in '%s'", dir);
        return 0;
}

static void stop_dnsmasq(const char *dir)
{
        pid_t pid = net_dnsmasq_pid(dir);
        if (pid <= 0)
                return;
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return;
        /* Checked again with the pidfd held: the pid cannot be reused in between. */
        if (net_dnsmasq_pid(dir) == pid && syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0) >= 0) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                if (poll(&p, 1, 2000) == 0)
                        (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                (void)poll(&p, 1, 2000);
        }
        close(pidfd);
}

int net_helper_network_up(const char *rundir, const NetGlobal *g, BerthError **reterr)
{
        int r = net_global_validate(g, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int lock = -EBADF;
        r = net_lock(rundir, &lock, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = net_network_dir(rundir, g->bridge);

        NetGlobal old;
        if (net_network_read(rundir, g->bridge, &old) >= 0) {
                bool same = same_settings(&old, g);
                net_global_done(&old);
                if (!same)
                        return berth_error_setf(reterr, EBUSY,
                                                "network '%s' is up with other settings (berth "
                                                "network down first)",
                                                g->bridge);
        }

        _cleanup_(netlink_closep) Netlink *nl = NULL;
        r = netlink_open(&nl);
        if (r < 0)
                return berth_error_set(reterr, r, "open rtnetlink");
        r = check_subnets(nl, g, reterr);
        if (r < 0)
                return r;

        _cleanup_free_ char *hosts = path_join(dir, NET_HOSTS_DIR);
        _cleanup_free_ char *dhcp = path_join(dir, NET_DHCP_HOSTS_DIR);
        r = mkdir_p_at(AT_FDCWD, hosts, 0755);
        if (r >= 0)
                r = mkdir_p_at(AT_FDCWD, dhcp, 0755);
        if (r < 0)
                return berth_error_set(reterr, r, "create '%s'", dir);
        /* dnsmasq reads its directories after dropping its privileges. */
        (void)chmod(dir, 0755);

        /* Recorded first: a crash from here on leaves something down can find. */
        _cleanup_free_ char *state = net_global_to_string(g);
        _cleanup_free_ char *state_path = path_join(dir, NET_NETWORK_STATE);
        r = net_write_file(dir, NET_NETWORK_STATE, state, 0644);
        if (r < 0)
                return berth_error_set(reterr, r, "write '%s'", state_path);

        r = ensure_bridge(nl, g, reterr);
        if (r >= 0)
                r = sysctls(dir, g, reterr);
        if (r >= 0) {
                _cleanup_free_ char *script = net_nft_network_script(g);
                r = net_nft_run(script, reterr);
                if (r < 0)
                        r = berth_error_prefix(reterr, r, "load the masquerade rules");
        }
        if (r >= 0)
                r = check_reachable(dir, reterr);
        if (r >= 0 && net_dnsmasq_pid(dir) <= 0) {
                _cleanup_free_ char *conf = net_dnsmasq_conf(g, dir);
                r = net_write_file(dir, NET_DNSMASQ_CONF, conf, 0644);
                if (r < 0)
                        r = berth_error_set(reterr, r, "write '%s/" NET_DNSMASQ_CONF "'", dir);
                else
                        r = start_dnsmasq(dir, reterr);
        }
        if (r < 0) {
                /* Nothing half made stays, unless containers already use the network. */
                lock = safe_close(lock);
                (void)net_helper_network_down(rundir, g->bridge, false, NULL);
                return berth_error_prefix(reterr, r, "network '%s' up", g->bridge);
        }
        return 0;
}

static int users(const char *rundir, const char *bridge, char ***ret)
{
        NetPlan **plans = NULL;
        size_t n = 0;
        int r = net_plans_running(rundir, NULL, &plans, &n);
        if (r < 0)
                return r;
        char **l = NULL;
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < plans[i]->n_ifaces; j++)
                        if (plans[i]->ifaces[j].type == BERTH_NET_VETH &&
                            streq(plans[i]->ifaces[j].bridge, bridge)) {
                                strv_extend(&l, plans[i]->name);
                                break;
                        }
        net_plans_free(plans, n);
        *ret = l;
        return 0;
}

int net_helper_network_down(const char *rundir, const char *bridge, bool force,
                            BerthError **reterr)
{
        _cleanup_close_ int lock = -EBADF;
        int r = net_lock(rundir, &lock, reterr);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **in_use = NULL;
        r = users(rundir, bridge, &in_use);
        if (r < 0)
                return berth_error_set(reterr, r, "read the network records in '%s'", rundir);
        if (in_use && !force) {
                _cleanup_free_ char *list = strv_join(in_use, ", ");
                return berth_error_setf(reterr, EBUSY,
                                        "network '%s' down: used by running containers: %s "
                                        "(stop them, or --force)",
                                        bridge, list);
        }

        _cleanup_free_ char *dir = net_network_dir(rundir, bridge);
        NetGlobal g = {};
        bool have_state = net_network_read(rundir, bridge, &g) >= 0;
        int ret = 0;

        stop_dnsmasq(dir);
        _cleanup_free_ char *table = net_nft_network_table(bridge);
        _cleanup_free_ char *script = net_nft_delete_script(table);
        r = net_nft_run(script, reterr);
        if (r < 0)
                ret = r;

        _cleanup_(netlink_closep) Netlink *nl = NULL;
        NetlinkLink br;
        r = netlink_open(&nl);
        if (r >= 0 && netlink_link_get(nl, bridge, &br) >= 0 && streq(br.kind, "bridge") &&
            streq(br.alias, BRIDGE_ALIAS)) {
                r = netlink_link_del(nl, br.ifindex);
                if (r < 0 && r != -ENODEV && ret >= 0)
                        ret = berth_error_set(reterr, r, "delete bridge '%s'", bridge);
        }

        _cleanup_free_ char *saved = path_join(dir, UPLINK_FORWARDING_FILE);
        _cleanup_free_ char *old = NULL;
        if (have_state && g.uplink && read_one_line_at(AT_FDCWD, saved, &old) >= 0 &&
            (streq(old, "0") || streq(old, "1"))) {
                _cleanup_free_ char *up = xasprintf("net/ipv4/conf/%s/forwarding", g.uplink);
                (void)net_sysctl_write(up, old);
        }
        if (have_state)
                net_global_done(&g);

        if (ret >= 0) {
                r = rm_rf_at(AT_FDCWD, dir);
                if (r < 0 && r != -ENOENT)
                        ret = berth_error_set(reterr, r, "remove '%s'", dir);
        }
        return ret;
}
