/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's container work: from the recorded plan, the links, their addresses and routes
 * inside the namespace, published ports and DNS names; and all of it removed again. */
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "fileio.h"
#include "net-helper.h"
#include "netlink.h"
#include "path-util.h"
#include "time-util.h"

int net_lock(const char *rundir, int *ret_fd, BerthError **reterr)
{
        _cleanup_free_ char *dir = path_join(rundir, NET_RUN_SUBDIR);
        int r = mkdir_p_at(AT_FDCWD, dir, 0755);
        if (r < 0)
                return berth_error_set(reterr, r, "create '%s'", dir);
        _cleanup_free_ char *path = path_join(dir, "lock");
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        r = berth_error_set(reterr, errno, "lock '%s'", path);
                        close(fd);
                        return r;
                }
        *ret_fd = fd;
        return 0;
}

int net_sysctl_write(const char *path, const char *value)
{
        _cleanup_free_ char *p = xasprintf("/proc/sys/%s", path);
        return write_string_file_at(AT_FDCWD, p, value);
}

int net_sysctl_read(const char *path, char **ret)
{
        _cleanup_free_ char *p = xasprintf("/proc/sys/%s", path);
        return read_one_line_at(AT_FDCWD, p, ret);
}

/* ---- the managed networks a plan uses ------------------------------------------------------- */

/* The recorded settings of the managed bridge iface f is on. */
static int managed_network(const char *rundir, const NetIface *f, NetGlobal *ret,
                           BerthError **reterr)
{
        int r = net_network_read(rundir, f->bridge, ret);
        if (r == -ENOENT)
                return berth_error_setf(reterr, ENETDOWN,
                                        "interface '%s': network '%s' is not up (berth network "
                                        "up)",
                                        f->name, f->bridge);
        if (r < 0)
                return berth_error_set(reterr, r, "interface '%s': read the state of network '%s'",
                                       f->name, f->bridge);
        return 0;
}

static void collect_used(NetPlan *const *others, size_t n_others, const NetPlan *p,
                         InAddr **used, size_t *n_used)
{
        size_t alloc = 0;
        for (size_t o = 0; o <= n_others; o++) {
                const NetPlan *q = o < n_others ? others[o] : p;
                for (size_t i = 0; i < q->n_ifaces; i++) {
                        if (q->ifaces[i].addr4.family != AF_INET)
                                continue;
                        if (*n_used == alloc) {
                                alloc = alloc ? alloc * 2 : 16;
                                *used = xreallocarray(*used, alloc, sizeof(InAddr));
                        }
                        (*used)[(*n_used)++] = q->ifaces[i].addr4.addr;
                }
        }
}

/* Checks the plan against the host and the other running containers, reserves the addresses of
 * its DHCP interfaces on managed bridges, and records the result: one step under the lock, so
 * two containers starting together never take the same address. */
static int plan_commit(const char *rundir, NetPlan *p, BerthError **reterr)
{
        _cleanup_close_ int lock = -EBADF;
        int r = net_lock(rundir, &lock, reterr);
        if (r < 0)
                return r;

        NetPlan **others = NULL;
        size_t n_others = 0;
        r = net_plans_running(rundir, p->name, &others, &n_others);
        if (r < 0)
                return berth_error_set(reterr, r, "read the network records in '%s'", rundir);

        NetGlobal g = {}, defaults;
        net_global_init(&defaults);
        const NetIface *m = NULL;
        for (size_t i = 0; i < p->n_ifaces && !m; i++)
                if (p->ifaces[i].managed)
                        m = &p->ifaces[i];
        if (m)
                r = managed_network(rundir, m, &g, reterr);
        /* Every managed interface is on the same bridge: the one the global config names. */
        for (size_t i = 0; r >= 0 && i < p->n_ifaces; i++)
                if (p->ifaces[i].managed && !streq(p->ifaces[i].bridge, m->bridge))
                        r = berth_error_setf(reterr, EINVAL, "interface '%s': two managed bridges",
                                             p->ifaces[i].name);
        if (r >= 0)
                r = net_plan_check(p, m ? &g : &defaults, m ? &g : NULL, others, n_others,
                                   &net_host_view_real, reterr);

        _cleanup_free_ InAddr *used = NULL;
        size_t n_used = 0;
        if (r >= 0)
                collect_used(others, n_others, p, &used, &n_used);
        for (size_t i = 0; r >= 0 && i < p->n_ifaces; i++) {
                NetIface *f = &p->ifaces[i];
                if (!f->managed || !f->dhcp)
                        continue;
                NetPrefix subnet;
                InAddr a;
                (void)net_prefix_parse(g.ipv4, AF_INET, &subnet);
                r = net_reserve_address(&g, p->name, i, used, n_used, &a);
                if (r < 0) {
                        r = berth_error_set(reterr, r, "interface '%s': reserve an address in "
                                                       "'%s'..'%s'",
                                            f->name, g.dhcp_start, g.dhcp_end);
                        break;
                }
                f->addr4 = (NetPrefix){.family = AF_INET, .addr = a, .prefix = subnet.prefix};
                used = xreallocarray(used, n_used + 1, sizeof(InAddr));
                used[n_used++] = a;
        }
        if (r >= 0) {
                r = net_plan_write(rundir, p);
                if (r < 0)
                        r = berth_error_set(reterr, r, "write the network record of '%s'",
                                            p->name);
        }
        net_plans_free(others, n_others);
        net_global_done(&defaults);
        if (m)
                net_global_done(&g);
        return r;
}

/* ---- DNS names and reservations ------------------------------------------------------------- */

static int dns_add(const char *rundir, const NetPlan *p, BerthError **reterr)
{
        for (size_t i = 0; i < p->n_ifaces; i++) {
                const NetIface *f = &p->ifaces[i];
                if (!f->managed || f->addr4.family != AF_INET)
                        continue;
                NetGlobal g;
                int r = managed_network(rundir, f, &g, reterr);
                if (r < 0)
                        return r;
                _cleanup_free_ char *dir = net_network_dir(rundir, f->bridge);
                _cleanup_free_ char *hosts_dir = path_join(dir, NET_HOSTS_DIR);
                _cleanup_free_ char *dhcp_dir = path_join(dir, NET_DHCP_HOSTS_DIR);
                _cleanup_free_ char *hosts =
                        net_dnsmasq_hosts_entry(&g, p->name, &f->addr4.addr, &f->addr6);
                _cleanup_free_ char *dhcp = net_dnsmasq_dhcp_host_entry(f->mac, &f->addr4.addr);
                net_global_done(&g);
                /* The reservation first: it must be there before the guest asks. One name per
                 * container: its first managed interface. */
                r = net_write_file(dhcp_dir, p->name, dhcp, 0644);
                if (r >= 0)
                        r = net_write_file(hosts_dir, p->name, hosts, 0644);
                if (r < 0)
                        return berth_error_set(reterr, r, "write the DNS name of '%s' in '%s'",
                                               p->name, dir);
                return 0;
        }
        return 0;
}

/* Removes the container's names from every managed network (also one it is no longer on). */
static void dns_remove(const char *rundir, const char *name)
{
        _cleanup_free_ char *base = path_join(rundir, NET_RUN_SUBDIR);
        _cleanup_close_ int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return;
        DIR *d = fdopendir(TAKE_FD(dfd));
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                _cleanup_free_ char *dir = path_join(base, de->d_name);
                _cleanup_free_ char *h = xasprintf("%s/" NET_HOSTS_DIR "/%s", dir, name);
                _cleanup_free_ char *dh = xasprintf("%s/" NET_DHCP_HOSTS_DIR "/%s", dir, name);
                (void)unlink(h);
                if (unlink(dh) < 0)
                        continue;
                /* dnsmasq drops a removed dhcp-hostsdir entry only when told to reload. */
                pid_t pid = net_dnsmasq_pid(dir);
                if (pid > 0)
                        (void)kill(pid, SIGHUP);
        }
        closedir(d);
}

/* ---- links ---------------------------------------------------------------------------------- */

typedef struct Sockets {
        Netlink *host;
        Netlink *inside; /* NULL when the namespace is not at hand (cleanup after a crash) */
        int self_netns;  /* our own namespace, to move NICs back to */
} Sockets;

static void sockets_done(Sockets *s)
{
        netlink_close(s->host);
        netlink_close(s->inside);
        safe_close(s->self_netns);
}

static int sockets_open(int netns_fd, Sockets *ret, BerthError **reterr)
{
        Sockets s = {.self_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)};
        int r;
        if (s.self_netns < 0)
                return berth_error_set(reterr, errno, "open our own network namespace");
        r = netlink_open(&s.host);
        if (r < 0) {
                sockets_done(&s);
                return berth_error_set(reterr, r, "open rtnetlink");
        }
        if (netns_fd >= 0) {
                r = netlink_open_in(netns_fd, s.self_netns, &s.inside);
                if (r < 0) {
                        sockets_done(&s);
                        return berth_error_set(reterr, r,
                                               "open rtnetlink in the container's namespace");
                }
        }
        *ret = s;
        return 0;
}

/* Inside the namespace: addresses, up, default routes. */
static int configure_inside(Sockets *s, const NetIface *f, BerthError **reterr)
{
        NetlinkLink l;
        int r = netlink_link_get(s->inside, f->name, &l);
        if (r < 0)
                return berth_error_set(reterr, r, "interface '%s': find it in the container",
                                       f->name);
        if (f->type == BERTH_NET_PHYS && (f->has_mac || f->mtu)) {
                NetlinkLinkAttrs a = NETLINK_LINK_ATTRS_INIT;
                a.mac = f->has_mac ? f->mac : NULL;
                a.mtu = f->mtu;
                r = netlink_link_change(s->inside, l.ifindex, &a);
                if (r < 0)
                        return berth_error_set(reterr, r, "interface '%s': set MAC and MTU",
                                               f->name);
        }
        /* A DHCP interface gets its address from the guest's client; the reservation only
         * tells dnsmasq which one. */
        if (f->addr4.family == AF_INET && !f->dhcp) {
                r = netlink_addr_add(s->inside, l.ifindex, AF_INET, &f->addr4.addr, f->addr4.prefix);
                if (r < 0) {
                        char buf[INET6_ADDRSTRLEN];
                        return berth_error_set(reterr, r, "interface '%s': add address %s",
                                               f->name,
                                               in_addr_to_string(AF_INET, &f->addr4.addr, buf));
                }
        }
        if (f->addr6.family == AF_INET6) {
                r = netlink_addr_add(s->inside, l.ifindex, AF_INET6, &f->addr6.addr,
                                     f->addr6.prefix);
                if (r < 0) {
                        char buf[INET6_ADDRSTRLEN];
                        return berth_error_set(reterr, r, "interface '%s': add address %s",
                                               f->name,
                                               in_addr_to_string(AF_INET6, &f->addr6.addr, buf));
                }
        }
        /* A macvlan was made up; veth peers and NICs come up here. */
        if (!(l.flags & IFF_UP)) {
                r = netlink_link_set_up(s->inside, l.ifindex, true);
                if (r < 0)
                        return berth_error_set(reterr, r, "interface '%s': bring it up", f->name);
        }
        if (f->has_gw4) {
                bool onlink = f->addr4.family != AF_INET ||
                              !net_prefix_contains(&f->addr4, AF_INET, &f->gw4);
                r = netlink_route_add_default(s->inside, AF_INET, &f->gw4, l.ifindex, onlink);
                if (r < 0)
                        return berth_error_set(reterr, r, "interface '%s': add the default route",
                                               f->name);
        }
        if (f->has_gw6) {
                bool onlink = !net_prefix_contains(&f->addr6, AF_INET6, &f->gw6);
                r = netlink_route_add_default(s->inside, AF_INET6, &f->gw6, l.ifindex, onlink);
                if (r < 0)
                        return berth_error_set(reterr, r,
                                               "interface '%s': add the IPv6 default route",
                                               f->name);
        }
        return 0;
}

static int create_veth(Sockets *s, const NetPlan *p, const NetIface *f, int netns_fd,
                       BerthError **reterr)
{
        int master = 0;
        if (f->bridge[0]) {
                NetlinkLink br;
                int r = netlink_link_get(s->host, f->bridge, &br);
                if (r < 0 || !streq(br.kind, "bridge"))
                        return berth_error_setf(reterr, ENODEV,
                                                "interface '%s': unknown bridge '%s'", f->name,
                                                f->bridge);
                master = br.ifindex;
        }
        _cleanup_free_ char *alias = xasprintf(NET_ALIAS_PREFIX "%s", p->name);
        /* One request: both ends named, the peer in the container's namespace with its MAC,
         * the host end on the bridge and up. (The peer cannot come up in the same request: its
         * own peer is not registered yet, and veth refuses with ENOTCONN.) */
        NetlinkLinkAttrs host = NETLINK_LINK_ATTRS_INIT, peer = NETLINK_LINK_ATTRS_INIT;
        host.name = f->host;
        host.mtu = f->mtu;
        host.master = master;
        host.up = true;
        peer.name = f->name;
        peer.mac = f->mac;
        peer.mtu = f->mtu;
        peer.netns_fd = netns_fd;
        int r = netlink_veth_add(s->host, &host, &peer);
        if (r == -EEXIST)
                return berth_error_setf(reterr, EEXIST,
                                        "interface '%s': host interface '%s' exists already",
                                        f->name, f->host);
        if (r < 0)
                return berth_error_set(reterr, r, "interface '%s': create veth '%s'%s%s",
                                       f->name, f->host, master ? " on " : "",
                                       master ? f->bridge : "");
        /* The alias, which teardown checks, only takes on a change (by name, no lookup). */
        NetlinkLinkAttrs a = NETLINK_LINK_ATTRS_INIT;
        a.name = f->host;
        a.alias = alias;
        r = netlink_link_change(s->host, 0, &a);
        if (r < 0) {
                /* Not marked as ours: teardown would leave it. */
                NetlinkLink l;
                if (netlink_link_get(s->host, f->host, &l) >= 0)
                        (void)netlink_link_del(s->host, l.ifindex);
                return berth_error_set(reterr, r, "interface '%s': mark '%s' as berth's",
                                       f->name, f->host);
        }
        return 0;
}

/* The host link a macvlan sits on or a NIC that moves in. */
static int host_link(Sockets *s, const NetIface *f, NetlinkLink *ret, BerthError **reterr)
{
        int r = netlink_link_get(s->host, f->host, ret);
        if (r == -ENODEV)
                return berth_error_setf(reterr, ENODEV,
                                        "interface '%s': unknown host interface '%s'", f->name,
                                        f->host);
        if (r < 0)
                return berth_error_set(reterr, r, "interface '%s': look up '%s'", f->name, f->host);
        return 0;
}

static int create_macvlan(Sockets *s, const NetIface *f, int netns_fd, BerthError **reterr)
{
        NetlinkLink parent;
        int r = host_link(s, f, &parent, reterr);
        if (r < 0)
                return r;
        /* Made directly in the container's namespace, under its final name: nothing of it ever
         * exists on the host. */
        NetlinkLinkAttrs a = NETLINK_LINK_ATTRS_INIT;
        a.name = f->name;
        a.mac = f->mac;
        a.mtu = f->mtu;
        a.netns_fd = netns_fd;
        a.up = true;
        r = netlink_macvlan_add(s->host, parent.ifindex, &a);
        if (r < 0)
                return berth_error_set(reterr, r, "interface '%s': create macvlan on '%s'",
                                       f->name, f->host);
        return 0;
}

/* Records how to give the NIC back, then moves it in under its container name. */
static int move_phys(Sockets *s, const char *rundir, NetPlan *p, NetIface *f, int netns_fd,
                     BerthError **reterr)
{
        NetlinkLink l;
        int r = host_link(s, f, &l, reterr);
        if (r < 0)
                return r;
        if (streq(l.kind, "bridge"))
                return berth_error_setf(reterr, EINVAL,
                                        "interface '%s': '%s' is a bridge, not a NIC (use type "
                                        "veth with bridge '%s')",
                                        f->name, f->host, f->host);
        f->phys_ifindex = l.ifindex;
        memcpy(f->phys_mac, l.mac, sizeof(f->phys_mac));
        f->phys_mtu = l.mtu;
        f->phys_up = l.flags & IFF_UP;
        r = net_plan_write(rundir, p);
        if (r < 0)
                return berth_error_set(reterr, r, "write the network record of '%s'", p->name);
        NetlinkLinkAttrs a = NETLINK_LINK_ATTRS_INIT;
        a.name = f->name;
        a.netns_fd = netns_fd;
        r = netlink_link_change(s->host, l.ifindex, &a);
        if (r < 0)
                return berth_error_set(reterr, r, "interface '%s': move '%s' into the container",
                                       f->name, f->host);
        return 0;
}

int net_helper_setup(const char *rundir, const char *name, int netns_fd, BerthError **reterr)
{
        _cleanup_(net_plan_freep) NetPlan *p = NULL;
        _cleanup_free_ char *script = NULL;
        int r = net_plan_read(rundir, name, &p);
        if (r < 0)
                return berth_error_set(reterr, r, "read the network record of '%s'", name);
        r = plan_commit(rundir, p, reterr);
        if (r < 0)
                goto fail;

        Sockets s = {};
        r = sockets_open(netns_fd, &s, reterr);
        if (r < 0)
                goto fail;
        /* Loopback is index 1 in every network namespace. */
        r = netlink_link_set_up(s.inside, 1, true);
        if (r < 0)
                r = berth_error_set(reterr, r, "bring up the container's loopback");
        for (size_t i = 0; r >= 0 && i < p->n_ifaces; i++) {
                NetIface *f = &p->ifaces[i];
                switch (f->type) {
                case BERTH_NET_VETH:
                        r = create_veth(&s, p, f, netns_fd, reterr);
                        break;
                case BERTH_NET_MACVLAN:
                        r = create_macvlan(&s, f, netns_fd, reterr);
                        break;
                case BERTH_NET_PHYS:
                        r = move_phys(&s, rundir, p, f, netns_fd, reterr);
                        break;
                default:
                        r = berth_error_setf(reterr, EINVAL, "interface '%s': invalid type",
                                             f->name);
                }
                if (r >= 0)
                        r = configure_inside(&s, f, reterr);
        }
        sockets_done(&s);
        if (r < 0)
                goto fail;

        script = net_nft_container_script(p);
        if (script) {
                r = net_nft_run(script, reterr);
                if (r < 0) {
                        r = berth_error_prefix(reterr, r, "publish the ports of '%s'", name);
                        goto fail;
                }
        }
        r = dns_add(rundir, p, reterr);
        if (r < 0)
                goto fail;
        return 0;

fail:
        (void)net_helper_teardown(rundir, name, netns_fd, NULL);
        return r;
}

/* ---- teardown ------------------------------------------------------------------------------- */

static int give_back_phys(Sockets *s, const NetIface *f)
{
        if (f->phys_ifindex <= 0)
                return 0; /* never moved */
        NetlinkLink l;
        int r;
        /* By its name, or (container root may rename it) by its index, which a move keeps. */
        if (s->inside && (netlink_link_get(s->inside, f->name, &l) >= 0 ||
                          netlink_link_get_index(s->inside, f->phys_ifindex, &l) >= 0)) {
                (void)netlink_link_set_up(s->inside, l.ifindex, false);
                NetlinkLinkAttrs a = NETLINK_LINK_ATTRS_INIT;
                a.name = f->host;
                a.netns_fd = s->self_netns;
                r = netlink_link_change(s->inside, l.ifindex, &a);
                if (r < 0)
                        return r;
        }
        /* Back on the host: by now (we moved it), or soon (the kernel returns a NIC of a dead
         * namespace under whatever name it had there, asynchronously). A link that does not
         * come back was a virtual one, which dies with the namespace: nothing to give back. */
        uint64_t deadline = now_usec() + 3 * USEC_PER_SEC;
        while ((r = netlink_link_get_index(s->host, f->phys_ifindex, &l)) < 0) {
                if (r != -ENODEV)
                        return r;
                if (now_usec() > deadline)
                        return 0;
                struct timespec ts = {.tv_nsec = 20 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        /* Interface indexes grow and are not reused until they wrap: this is our NIC. */
        NetlinkLinkAttrs a = NETLINK_LINK_ATTRS_INIT;
        if (!streq(l.name, f->host)) {
                (void)netlink_link_set_up(s->host, l.ifindex, false);
                a.name = f->host;
        }
        if (f->has_mac)
                a.mac = f->phys_mac;
        if (f->phys_mtu && l.mtu != f->phys_mtu)
                a.mtu = f->phys_mtu;
        if (a.name || a.mac || a.mtu) {
                r = netlink_link_change(s->host, l.ifindex, &a);
                if (r < 0)
                        return r;
        }
        return netlink_link_set_up(s->host, l.ifindex, f->phys_up);
}

static int remove_host_veth(Sockets *s, const char *name, const NetIface *f)
{
        NetlinkLink l;
        if (netlink_link_get(s->host, f->host, &l) < 0)
                return 0;
        _cleanup_free_ char *alias = xasprintf(NET_ALIAS_PREFIX "%s", name);
        /* Only berth's own: a link of that name someone else made stays. */
        if (!streq(l.kind, "veth") || !streq(l.alias, alias))
                return 0;
        int r = netlink_link_del(s->host, l.ifindex);
        return r == -ENODEV ? 0 : r;
}

int net_helper_teardown(const char *rundir, const char *name, int netns_fd, BerthError **reterr)
{
        _cleanup_(net_plan_freep) NetPlan *p = NULL;
        int r = net_plan_read(rundir, name, &p);
        int ret = 0;
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                /* A damaged record: what is keyed by name alone still goes. */
                ret = berth_error_set(reterr, r, "read the network record of '%s'", name);

        if (p) {
                Sockets s = {};
                r = sockets_open(netns_fd, &s, ret < 0 ? NULL : reterr);
                if (r < 0 && ret >= 0)
                        ret = r;
                for (size_t i = 0; r >= 0 && i < p->n_ifaces; i++) {
                        const NetIface *f = &p->ifaces[i];
                        int k = 0;
                        if (f->type == BERTH_NET_PHYS)
                                k = give_back_phys(&s, f);
                        else if (f->type == BERTH_NET_VETH)
                                k = remove_host_veth(&s, name, f);
                        if (k < 0 && ret >= 0)
                                ret = berth_error_set(reterr, k, "interface '%s': give back '%s'",
                                                      f->name, f->host);
                }
                sockets_done(&s);
        }
        if (!p || p->n_ports > 0) {
                _cleanup_free_ char *table = net_nft_container_table(name);
                _cleanup_free_ char *script = net_nft_delete_script(table);
                r = net_nft_run(script, ret < 0 ? NULL : reterr);
                if (r < 0 && ret >= 0)
                        ret = r;
        }
        dns_remove(rundir, name);

        /* The record goes last, and only when everything it names is gone: otherwise the next
         * cleanup tries again. */
        if (ret >= 0) {
                _cleanup_free_ char *path = net_plan_path(rundir, name);
                if (unlink(path) < 0 && errno != ENOENT)
                        ret = berth_error_set(reterr, errno, "remove '%s'", path);
        }
        return ret;
}
