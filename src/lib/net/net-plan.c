/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A container's network as plain data: built from its config, recorded as text in
 * <rundir>/NAME/net.plan before anything is created, read back by teardown. Pure except for
 * the file calls at the end. */
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fileio.h"
#include "net-internal.h"
#include "parse.h"
#include "path-util.h"
#include "proc-util.h"
#include "strv.h"

NetPlan *net_plan_free(NetPlan *p)
{
        if (p) {
                free(p->name);
                free(p->ifaces);
                free(p->ports);
                free(p);
        }
        return NULL;
}

static void copy_ifname(char dst[IFNAMSIZ], const char *src)
{
        snprintf(dst, IFNAMSIZ, "%s", src ? src : "");
}

int net_plan_build(const char *name, const BerthConfig *c, const NetGlobal *g, NetPlan **ret,
                   BerthError **reterr)
{
        const BerthNet *list = c->network;
        size_t n = c->n_network;
        const char *what = "network";

        _cleanup_(net_plan_freep) NetPlan *p = xcalloc(1, sizeof(NetPlan));
        p->name = xstrdup(name);
        p->ifaces = xcalloc(n + 1, sizeof(NetIface));

        for (size_t i = 0; i < n; i++) {
                const BerthNet *in = &list[i];
                if (in->type == BERTH_NET_NONE || in->type == BERTH_NET_EMPTY)
                        continue;
                NetIface *f = &p->ifaces[p->n_ifaces];
                *f = (NetIface){.type = in->type, .mtu = in->mtu, .dhcp = in->dhcp};

                if (in->name)
                        copy_ifname(f->name, in->name);
                else
                        snprintf(f->name, IFNAMSIZ, "eth%zu", p->n_ifaces);
                for (size_t j = 0; j < p->n_ifaces; j++)
                        if (streq(p->ifaces[j].name, f->name))
                                return berth_error_setf(reterr, EINVAL,
                                                        "key '%s[%zu].name': interface '%s' "
                                                        "twice (name the unnamed ones)",
                                                        what, i, f->name);

                switch (in->type) {
                case BERTH_NET_VETH:
                        net_veth_host_name(name, i, f->host);
                        copy_ifname(f->bridge, in->bridge);
                        f->managed = in->bridge && streq(in->bridge, g->bridge);
                        if (f->managed && !f->mtu)
                                f->mtu = g->mtu;
                        break;
                case BERTH_NET_MACVLAN:
                case BERTH_NET_PHYS:
                        copy_ifname(f->host, in->link);
                        break;
                default:
                        return berth_error_setf(reterr, EINVAL, "key '%s[%zu].type': invalid",
                                                what, i);
                }

                if (in->hwaddr) {
                        if (net_mac_parse(in->hwaddr, f->mac) < 0 || (f->mac[0] & 1))
                                return berth_error_setf(reterr, EINVAL,
                                                        "key '%s[%zu].hwaddr': '%s' is not a "
                                                        "unicast address",
                                                        what, i, in->hwaddr);
                        f->has_mac = true;
                } else if (in->type != BERTH_NET_PHYS) {
                        net_mac_from_name(name, i, f->mac);
                        f->has_mac = true;
                }

                if (in->ipv4 && net_prefix_parse(in->ipv4, AF_INET, &f->addr4) < 0)
                        return berth_error_setf(reterr, EINVAL, "key '%s[%zu].ipv4': invalid",
                                                what, i);
                if (in->ipv6 && net_prefix_parse(in->ipv6, AF_INET6, &f->addr6) < 0)
                        return berth_error_setf(reterr, EINVAL, "key '%s[%zu].ipv6': invalid",
                                                what, i);
                if (in->gateway) {
                        if (in_addr_parse(in->gateway, AF_INET, NULL, &f->gw4) < 0)
                                return berth_error_setf(reterr, EINVAL,
                                                        "key '%s[%zu].gateway': invalid", what, i);
                        f->has_gw4 = true;
                }
                if (in->gateway6) {
                        if (in_addr_parse(in->gateway6, AF_INET6, NULL, &f->gw6) < 0)
                                return berth_error_setf(reterr, EINVAL,
                                                        "key '%s[%zu].gateway6': invalid", what, i);
                        f->has_gw6 = true;
                }
                p->n_ifaces++;
        }

        size_t n_ports = strv_length(c->publish);
        if (n_ports > 0) {
                p->ports = xcalloc(n_ports, sizeof(BerthPublish));
                for (size_t i = 0; i < n_ports; i++)
                        if (config_publish_parse(c->publish[i], &p->ports[i]) < 0)
                                return berth_error_setf(reterr, EINVAL,
                                                        "key 'publish[%zu]': invalid port", i);
                p->n_ports = n_ports;
                bool v4 = false, v6 = false;
                for (size_t i = 0; i < p->n_ifaces; i++) {
                        const NetIface *f = &p->ifaces[i];
                        v4 = v4 || f->addr4.family == AF_INET || (f->managed && f->dhcp);
                        v6 = v6 || f->addr6.family == AF_INET6;
                }
                for (size_t i = 0; i < n_ports; i++) {
                        int fam = p->ports[i].family;
                        if ((fam == AF_INET && !v4) || (fam == AF_INET6 && !v6) ||
                            (fam == AF_UNSPEC && !v4 && !v6))
                                return berth_error_setf(reterr, EINVAL,
                                                        "key 'publish[%zu]': the container has "
                                                        "no %s address berth knows (a static "
                                                        "one, or dhcp on '%s')",
                                                        i, fam == AF_INET6 ? "IPv6" : "IPv4",
                                                        g->bridge);
                }
        }
        *ret = TAKE_PTR(p);
        return 0;
}

const NetIface *net_plan_port_target(const NetPlan *p, int family)
{
        for (size_t i = 0; i < p->n_ifaces; i++) {
                const NetPrefix *a = family == AF_INET6 ? &p->ifaces[i].addr6 : &p->ifaces[i].addr4;
                if (a->family == family)
                        return &p->ifaces[i];
        }
        return NULL;
}

/* ---- text ----------------------------------------------------------------------------------- */

#define PLAN_MAGIC "berth-net-plan 1"

static char *prefix_or_dash(const NetPrefix *p)
{
        return p->family == AF_UNSPEC ? xstrdup("-") : net_prefix_to_string(p);
}

static const char *addr_or_dash(bool has, int family, const InAddr *a, char *buf)
{
        return has ? in_addr_to_string(family, a, buf) : "-";
}

char *net_plan_to_string(const NetPlan *p)
{
        _cleanup_strv_free_ char **lines = NULL;
        strv_extend(&lines, PLAN_MAGIC);
        strv_push(&lines, xasprintf("name %s", p->name));
        if (p->pid > 0)
                strv_push(&lines, xasprintf("pid %d %" PRIu64, (int)p->pid, p->starttime));
        for (size_t i = 0; i < p->n_ifaces; i++) {
                const NetIface *f = &p->ifaces[i];
                char mac[18], g4[INET6_ADDRSTRLEN], g6[INET6_ADDRSTRLEN];
                _cleanup_free_ char *a4 = prefix_or_dash(&f->addr4);
                _cleanup_free_ char *a6 = prefix_or_dash(&f->addr6);
                _cleanup_free_ char *line = xasprintf(
                        "iface %s name=%s host=%s bridge=%s mac=%s mtu=%" PRIu32
                        " ipv4=%s gw4=%s ipv6=%s gw6=%s dhcp=%d managed=%d",
                        berth_net_type_to_string(f->type), f->name, f->host[0] ? f->host : "-",
                        f->bridge[0] ? f->bridge : "-",
                        f->has_mac ? net_mac_to_string(f->mac, mac) : "-", f->mtu, a4,
                        addr_or_dash(f->has_gw4, AF_INET, &f->gw4, g4), a6,
                        addr_or_dash(f->has_gw6, AF_INET6, &f->gw6, g6), f->dhcp, f->managed);
                if (f->phys_ifindex > 0) {
                        char pm[18];
                        char *ext = xasprintf("%s phys_ifindex=%d phys_mac=%s phys_mtu=%" PRIu32
                                              " phys_up=%d",
                                              line, f->phys_ifindex,
                                              net_mac_to_string(f->phys_mac, pm), f->phys_mtu,
                                              f->phys_up);
                        free(line);
                        line = ext;
                }
                strv_push(&lines, TAKE_PTR(line));
        }
        for (size_t i = 0; i < p->n_ports; i++) {
                _cleanup_free_ char *text = config_publish_to_string(&p->ports[i]);
                strv_push(&lines, xasprintf("publish %s", text));
        }
        strv_extend(&lines, "");
        return strv_join(lines, "\n");
}

static int parse_ifname(const char *v, bool nullable, char dst[IFNAMSIZ])
{
        if (nullable && streq(v, "-")) {
                dst[0] = 0;
                return 0;
        }
        if (!config_ifname_is_valid(v))
                return -EBADMSG;
        copy_ifname(dst, v);
        return 0;
}

static int parse_flag(const char *v, bool *ret)
{
        if (!streq(v, "0") && !streq(v, "1"))
                return -EBADMSG;
        *ret = v[0] == '1';
        return 0;
}

static int parse_u32(const char *v, uint32_t max, uint32_t *ret)
{
        uint64_t u;
        if (parse_uint64(v, &u) < 0 || u > max)
                return -EBADMSG;
        *ret = (uint32_t)u;
        return 0;
}

static int parse_iface_field(NetIface *f, const char *k, const char *v)
{
        if (streq(k, "name"))
                return parse_ifname(v, false, f->name);
        if (streq(k, "host"))
                return parse_ifname(v, true, f->host);
        if (streq(k, "bridge"))
                return parse_ifname(v, true, f->bridge);
        if (streq(k, "mac")) {
                f->has_mac = !streq(v, "-");
                return f->has_mac && net_mac_parse(v, f->mac) < 0 ? -EBADMSG : 0;
        }
        if (streq(k, "mtu"))
                return parse_u32(v, 65535, &f->mtu);
        if (streq(k, "ipv4") || streq(k, "ipv6")) {
                bool v6 = k[3] == '6';
                NetPrefix *a = v6 ? &f->addr6 : &f->addr4;
                *a = (NetPrefix){};
                if (streq(v, "-"))
                        return 0;
                return net_prefix_parse(v, v6 ? AF_INET6 : AF_INET, a) < 0 ? -EBADMSG : 0;
        }
        if (streq(k, "gw4") || streq(k, "gw6")) {
                bool v6 = k[2] == '6';
                bool *has = v6 ? &f->has_gw6 : &f->has_gw4;
                *has = !streq(v, "-");
                if (!*has)
                        return 0;
                return in_addr_parse(v, v6 ? AF_INET6 : AF_INET, NULL, v6 ? &f->gw6 : &f->gw4) < 0
                               ? -EBADMSG
                               : 0;
        }
        if (streq(k, "dhcp"))
                return parse_flag(v, &f->dhcp);
        if (streq(k, "managed"))
                return parse_flag(v, &f->managed);
        if (streq(k, "phys_ifindex")) {
                uint32_t u;
                if (parse_u32(v, INT32_MAX, &u) < 0 || u == 0)
                        return -EBADMSG;
                f->phys_ifindex = (int)u;
                return 0;
        }
        if (streq(k, "phys_mac"))
                return net_mac_parse(v, f->phys_mac) < 0 ? -EBADMSG : 0;
        if (streq(k, "phys_mtu"))
                return parse_u32(v, 65535, &f->phys_mtu);
        if (streq(k, "phys_up"))
                return parse_flag(v, &f->phys_up);
        return -EBADMSG;
}

static int parse_iface(char *rest, NetIface *f)
{
        char *save = NULL;
        char *type = strtok_r(rest, " ", &save);
        *f = (NetIface){.type = berth_net_type_from_string(type)};
        if (f->type != BERTH_NET_VETH && f->type != BERTH_NET_MACVLAN &&
            f->type != BERTH_NET_PHYS)
                return -EBADMSG;
        for (char *tok = strtok_r(NULL, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
                char *eq = strchr(tok, '=');
                if (!eq)
                        return -EBADMSG;
                *eq = 0;
                int r = parse_iface_field(f, tok, eq + 1);
                if (r < 0)
                        return r;
        }
        return f->name[0] ? 0 : -EBADMSG;
}

int net_plan_from_string(const char *text, NetPlan **ret)
{
        size_t len = strlen(PLAN_MAGIC);
        if (strncmp(text, PLAN_MAGIC, len) != 0 || text[len] != '\n')
                return -EBADMSG;

        _cleanup_(net_plan_freep) NetPlan *p = xcalloc(1, sizeof(NetPlan));
        _cleanup_free_ char *copy = xstrdup(text + len + 1);
        size_t alloc_if = 0, alloc_ports = 0;
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(line, ' ');
                if (!sp)
                        return -EBADMSG;
                *sp = 0;
                char *rest = sp + 1;
                if (streq(line, "name")) {
                        if (p->name || !config_name_is_valid(rest))
                                return -EBADMSG;
                        p->name = xstrdup(rest);
                } else if (streq(line, "pid")) {
                        char *sp2 = strchr(rest, ' ');
                        uint64_t pid, st;
                        if (!sp2)
                                return -EBADMSG;
                        *sp2 = 0;
                        if (parse_uint64(rest, &pid) < 0 || pid == 0 || pid > INT32_MAX ||
                            parse_uint64(sp2 + 1, &st) < 0)
                                return -EBADMSG;
                        p->pid = (pid_t)pid;
                        p->starttime = st;
                } else if (streq(line, "iface")) {
                        if (p->n_ifaces >= CONFIG_MAX_LIST)
                                return -EBADMSG;
                        if (p->n_ifaces == alloc_if) {
                                alloc_if = alloc_if ? alloc_if * 2 : 4;
                                p->ifaces = xreallocarray(p->ifaces, alloc_if, sizeof(NetIface));
                        }
                        int r = parse_iface(rest, &p->ifaces[p->n_ifaces]);
                        if (r < 0)
                                return r;
                        p->n_ifaces++;
                } else if (streq(line, "publish")) {
                        if (p->n_ports >= CONFIG_MAX_LIST)
                                return -EBADMSG;
                        if (p->n_ports == alloc_ports) {
                                alloc_ports = alloc_ports ? alloc_ports * 2 : 4;
                                p->ports = xreallocarray(p->ports, alloc_ports,
                                                         sizeof(BerthPublish));
                        }
                        if (config_publish_parse(rest, &p->ports[p->n_ports]) < 0)
                                return -EBADMSG;
                        p->n_ports++;
                } else
                        return -EBADMSG;
        }
        if (!p->name)
                return -EBADMSG;
        *ret = TAKE_PTR(p);
        return 0;
}

/* ---- the file ------------------------------------------------------------------------------- */

char *net_plan_path(const char *rundir, const char *name)
{
        return xasprintf("%s/%s/" NET_PLAN_FILE, rundir, name);
}

int net_write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        _cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
        _cleanup_close_ int fd =
                openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return negative_errno();
        /* Whatever the umask: dnsmasq reads some of these after dropping its privileges. */
        if (fchmod(fd, mode) < 0) {
                int r = negative_errno();
                (void)unlinkat(dfd, tmp, 0);
                return r;
        }
        int r = loop_write(fd, text, strlen(text));
        if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = negative_errno();
        if (r < 0)
                (void)unlinkat(dfd, tmp, 0);
        return r;
}

int net_plan_write(const char *rundir, const NetPlan *p)
{
        _cleanup_free_ char *dir = path_join(rundir, p->name);
        _cleanup_free_ char *text = net_plan_to_string(p);
        return net_write_file(dir, NET_PLAN_FILE, text, 0600);
}

int net_plan_read(const char *rundir, const char *name, NetPlan **ret)
{
        _cleanup_free_ char *path = net_plan_path(rundir, name);
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, path, NET_PLAN_MAX_BYTES, &text, NULL);
        if (r < 0)
                return r;
        _cleanup_(net_plan_freep) NetPlan *p = NULL;
        r = net_plan_from_string(text, &p);
        if (r < 0)
                return r;
        /* A record under another container's name is not this container's. */
        if (!streq(p->name, name))
                return -EBADMSG;
        *ret = TAKE_PTR(p);
        return 0;
}

bool net_plan_alive(const NetPlan *p)
{
        ProcStat st;
        if (p->pid <= 0 || proc_stat_read(p->pid, &st) < 0)
                return false;
        return st.starttime == p->starttime && st.state != 'Z' && st.state != 'X';
}
