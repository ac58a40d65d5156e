/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What must hold before a container's links are made. The rules are pure (net_plan_check over
 * a NetHostView); the real host view asks the kernel without netlink (if_nametoindex,
 * getifaddrs, a test bind), so the checks also run in the statically linked monitor. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "net-internal.h"

/* ---- the real host ------------------------------------------------------------------------- */

static bool real_link_exists(const char *name, void *userdata)
{
        return if_nametoindex(name) > 0;
}

static unsigned netmask_prefix(int family, const struct sockaddr *mask)
{
        const uint8_t *b = family == AF_INET
                                   ? (const uint8_t *)&((const struct sockaddr_in *)mask)->sin_addr
                                   : (const uint8_t *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
        unsigned n = 0;
        for (size_t i = 0; i < in_addr_size(family); i++)
                n += (unsigned)__builtin_popcount(b[i]);
        return n;
}

static size_t real_link_prefixes(const char *name, NetPrefix *ret, size_t max, void *userdata)
{
        struct ifaddrs *ifa = NULL;
        size_t n = 0;
        if (getifaddrs(&ifa) < 0)
                return 0;
        for (struct ifaddrs *i = ifa; i && n < max; i = i->ifa_next) {
                if (!i->ifa_addr || !i->ifa_netmask || !streq(i->ifa_name, name))
                        continue;
                int family = i->ifa_addr->sa_family;
                NetPrefix p = {.family = family};
                if (family == AF_INET)
                        p.addr.in = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
                else if (family == AF_INET6) {
                        p.addr.in6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
                        if (IN6_IS_ADDR_LINKLOCAL(&p.addr.in6))
                                continue;
                } else
                        continue;
                p.prefix = netmask_prefix(family, i->ifa_netmask);
                ret[n++] = p;
        }
        freeifaddrs(ifa);
        return n;
}

static int try_bind(int family, const InAddr *addr, int protocol, uint16_t port)
{
        int type = protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
        _cleanup_close_ int fd = socket(family, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        int one = 1;
        /* TIME_WAIT leftovers do not make a port taken; a listener does. */
        if (type == SOCK_STREAM)
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (family == AF_INET6)
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t len;
        if (family == AF_INET) {
                sa.in = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port),
                                             .sin_addr = addr ? addr->in : (struct in_addr){}};
                len = sizeof(sa.in);
        } else {
                sa.in6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_port = htons(port),
                                               .sin6_addr = addr ? addr->in6 : in6addr_any};
                len = sizeof(sa.in6);
        }
        if (bind(fd, &sa.sa, len) < 0)
                return errno == EADDRINUSE ? -EADDRINUSE : 0; /* other errors: not our verdict */
        return 0;
}

static int real_port_free(const BerthPublish *p, void *userdata)
{
        if (p->family != AF_UNSPEC)
                return try_bind(p->family, &p->host_addr, p->protocol, p->host_port);
        int r = try_bind(AF_INET, NULL, p->protocol, p->host_port);
        if (r >= 0)
                r = try_bind(AF_INET6, NULL, p->protocol, p->host_port);
        return r;
}

const NetHostView net_host_view_real = {
        .link_exists = real_link_exists,
        .link_prefixes = real_link_prefixes,
        .port_free = real_port_free,
};

/* ---- the rules ------------------------------------------------------------------------------ */

#define MAX_BRIDGE_PREFIXES 16

static int check_address(const NetPlan *p, const NetIface *f, const NetPrefix *a,
                         const NetPrefix *subnets, size_t n_subnets, NetPlan *const *others,
                         size_t n_others, BerthError **reterr)
{
        char buf[INET6_ADDRSTRLEN];
        const char *text = in_addr_to_string(a->family, &a->addr, buf);

        if (n_subnets > 0) {
                bool inside = false;
                for (size_t i = 0; i < n_subnets && !inside; i++)
                        inside = net_prefix_contains(&subnets[i], a->family, &a->addr);
                /* Only prefixes of the address's family decide. */
                bool any_family = false;
                for (size_t i = 0; i < n_subnets; i++)
                        any_family = any_family || subnets[i].family == a->family;
                if (any_family && !inside) {
                        NetPrefix s = {};
                        for (size_t i = 0; i < n_subnets && s.family == AF_UNSPEC; i++)
                                if (subnets[i].family == a->family)
                                        s = subnets[i];
                        s.addr = in_addr_mask(s.family, &s.addr, s.prefix);
                        _cleanup_free_ char *sub = net_prefix_to_string(&s);
                        return berth_error_setf(reterr, EINVAL,
                                                "interface '%s': address %s is outside the "
                                                "subnet %s of bridge '%s'",
                                                f->name, text, sub, f->bridge);
                }
                for (size_t i = 0; i < n_subnets; i++)
                        if (subnets[i].family == a->family &&
                            in_addr_equal(a->family, &subnets[i].addr, &a->addr))
                                return berth_error_setf(reterr, EINVAL,
                                                        "interface '%s': address %s is the "
                                                        "bridge's own",
                                                        f->name, text);
        }
        if (a->family == AF_INET && a->prefix < 31) {
                uint32_t v = in4_addr_to_host(&a->addr), host = UINT32_MAX >> a->prefix;
                if ((v & host) == 0 || (v & host) == host)
                        return berth_error_setf(reterr, EINVAL,
                                                "interface '%s': %s is the network or broadcast "
                                                "address of /%u",
                                                f->name, text, a->prefix);
        }

        for (size_t i = 0; i < p->n_ifaces; i++) {
                const NetIface *g = &p->ifaces[i];
                const NetPrefix *b = a->family == AF_INET ? &g->addr4 : &g->addr6;
                if (g != f && b->family == a->family && in_addr_equal(a->family, &a->addr, &b->addr))
                        return berth_error_setf(reterr, EINVAL,
                                                "interface '%s': address %s is also on '%s'",
                                                f->name, text, g->name);
        }
        for (size_t o = 0; o < n_others; o++)
                for (size_t i = 0; i < others[o]->n_ifaces; i++) {
                        const NetIface *g = &others[o]->ifaces[i];
                        const NetPrefix *b = a->family == AF_INET ? &g->addr4 : &g->addr6;
                        if (b->family == a->family &&
                            in_addr_equal(a->family, &a->addr, &b->addr))
                                return berth_error_setf(reterr, EADDRINUSE,
                                                        "interface '%s': address %s is used by "
                                                        "container '%s'",
                                                        f->name, text, others[o]->name);
                }
        return 0;
}

static int check_iface(const NetPlan *p, const NetIface *f, const NetGlobal *g,
                       const NetGlobal *managed, NetPlan *const *others, size_t n_others,
                       const NetHostView *host, BerthError **reterr)
{
        NetPrefix subnets[MAX_BRIDGE_PREFIXES];
        size_t n_subnets = 0;

        switch (f->type) {
        case BERTH_NET_VETH:
                if (f->managed) {
                        /* Not up yet: the start brings it up with g's settings. */
                        const NetGlobal *s = managed ? managed : g;
                        if (net_prefix_parse(s->ipv4, AF_INET, &subnets[n_subnets]) >= 0)
                                n_subnets++;
                        if (s->ipv6 && net_prefix_parse(s->ipv6, AF_INET6, &subnets[n_subnets]) >= 0)
                                n_subnets++;
                } else if (f->bridge[0]) {
                        if (!host->link_exists(f->bridge, host->userdata))
                                return berth_error_setf(reterr, ENODEV,
                                                        "interface '%s': unknown bridge '%s'",
                                                        f->name, f->bridge);
                        n_subnets = host->link_prefixes(f->bridge, subnets, MAX_BRIDGE_PREFIXES,
                                                        host->userdata);
                }
                if (host->link_exists(f->host, host->userdata))
                        return berth_error_setf(reterr, EEXIST,
                                                "interface '%s': host interface '%s' exists "
                                                "already",
                                                f->name, f->host);
                break;
        case BERTH_NET_MACVLAN:
        case BERTH_NET_PHYS:
                if (!host->link_exists(f->host, host->userdata))
                        return berth_error_setf(reterr, ENODEV,
                                                "interface '%s': unknown host interface '%s'",
                                                f->name, f->host);
                break;
        default:
                return berth_error_setf(reterr, EINVAL, "interface '%s': invalid type", f->name);
        }

        for (size_t o = 0; o < n_others; o++)
                for (size_t i = 0; i < others[o]->n_ifaces; i++) {
                        const NetIface *h = &others[o]->ifaces[i];
                        bool clash = (f->type != BERTH_NET_MACVLAN && h->type != BERTH_NET_MACVLAN &&
                                      streq(f->host, h->host)) ||
                                     (f->type == BERTH_NET_PHYS && h->type == BERTH_NET_MACVLAN &&
                                      streq(f->host, h->host)) ||
                                     (f->type == BERTH_NET_MACVLAN && h->type == BERTH_NET_PHYS &&
                                      streq(f->host, h->host));
                        if (clash)
                                return berth_error_setf(reterr, EEXIST,
                                                        "interface '%s': host interface '%s' is "
                                                        "used by container '%s'",
                                                        f->name, f->host, others[o]->name);
                }

        int r = 0;
        if (f->addr4.family == AF_INET)
                r = check_address(p, f, &f->addr4, subnets, n_subnets, others, n_others, reterr);
        if (r >= 0 && f->addr6.family == AF_INET6)
                r = check_address(p, f, &f->addr6, subnets, n_subnets, others, n_others, reterr);
        return r;
}

int net_plan_check(const NetPlan *p, const NetGlobal *g, const NetGlobal *managed,
                   NetPlan *const *others, size_t n_others, const NetHostView *host,
                   BerthError **reterr)
{
        for (size_t i = 0; i < p->n_ifaces; i++) {
                int r = check_iface(p, &p->ifaces[i], g, managed, others, n_others, host, reterr);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_ports; i++) {
                const BerthPublish *pt = &p->ports[i];
                _cleanup_free_ char *text = config_publish_to_string(pt);
                for (size_t o = 0; o < n_others; o++)
                        for (size_t j = 0; j < others[o]->n_ports; j++)
                                if (config_publish_conflict(pt, &others[o]->ports[j]))
                                        return berth_error_setf(reterr, EADDRINUSE,
                                                                "publish '%s': host port %u is "
                                                                "published by container '%s'",
                                                                text, pt->host_port,
                                                                others[o]->name);
                if (host->port_free(pt, host->userdata) == -EADDRINUSE)
                        return berth_error_setf(reterr, EADDRINUSE,
                                                "publish '%s': host port %u is taken", text,
                                                pt->host_port);
        }
        return 0;
}

void net_plans_free(NetPlan **plans, size_t n)
{
        for (size_t i = 0; i < n; i++)
                net_plan_free(plans[i]);
        free(plans);
}

int net_plans_running(const char *rundir, const char *except, NetPlan ***ret, size_t *ret_n)
{
        NetPlan **plans = NULL;
        size_t n = 0, alloc = 0;
        DIR *d = opendir(rundir);
        if (!d) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!config_name_is_valid(de->d_name) || streq_ptr(except, de->d_name))
                        continue;
                NetPlan *p = NULL;
                if (net_plan_read(rundir, de->d_name, &p) < 0)
                        continue;
                if (!net_plan_alive(p)) {
                        net_plan_free(p);
                        continue;
                }
                if (n == alloc) {
                        alloc = alloc ? alloc * 2 : 8;
                        plans = xreallocarray(plans, alloc, sizeof(NetPlan *));
                }
                plans[n++] = p;
        }
        closedir(d);
        *ret = plans;
        *ret_n = n;
        return 0;
}

bool net_config_uses_managed(const BerthConfig *c, const NetGlobal *g)
{
        for (size_t i = 0; i < c->n_network; i++)
                if (c->network[i].type == BERTH_NET_VETH && streq_ptr(c->network[i].bridge, g->bridge))
                        return true;
        return false;
}

int net_container_check(const char *rundir, const char *name, const BerthConfig *c,
                        const NetGlobal *g, BerthError **reterr)
{
        _cleanup_(net_plan_freep) NetPlan *p = NULL;
        int r = net_plan_build(name, c, g, &p, reterr);
        if (r < 0)
                return r;
        if (p->n_ifaces == 0 && p->n_ports == 0)
                return 0;
        NetGlobal managed = {};
        bool up = net_network_read(rundir, g->bridge, &managed) >= 0;
        NetPlan **others = NULL;
        size_t n_others = 0;
        r = net_plans_running(rundir, name, &others, &n_others);
        if (r < 0) {
                if (up)
                        net_global_done(&managed);
                return berth_error_set(reterr, r, "read the network records in '%s'", rundir);
        }
        r = net_plan_check(p, g, up ? &managed : NULL, others, n_others, &net_host_view_real,
                           reterr);
        net_plans_free(others, n_others);
        if (up)
                net_global_done(&managed);
        return r;
}
