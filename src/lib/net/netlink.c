/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink requests through libmnl. Every request asks for an ACK and waits for it, so an
 * error comes back as the errno of that request. */
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink.h"

/* Large enough for a dump part; requests are far smaller. */
#define NL_BUF_SIZE (32 * 1024)
/* One request: a veth pair with both ends named, addressed and aliased fits many times over. */
#define NL_REQ_SIZE 4096

struct Netlink {
        struct mnl_socket *sock;
        unsigned portid;
        unsigned seq;
        char *buf; /* NL_BUF_SIZE, for replies */
};

int netlink_open(Netlink **ret)
{
        struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!s)
                return negative_errno();
        if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = negative_errno();
                mnl_socket_close(s);
                return r;
        }
        /* Extended ACKs would only add text we do not show; strict checking makes the kernel
         * refuse attributes it does not know instead of ignoring them. */
        int one = 1;
        (void)mnl_socket_setsockopt(s, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
        Netlink *nl = xcalloc(1, sizeof(Netlink));
        nl->sock = s;
        nl->portid = mnl_socket_get_portid(s);
        nl->seq = (unsigned)time(NULL);
        nl->buf = xmalloc(NL_BUF_SIZE);
        *ret = nl;
        return 0;
}

int netlink_open_in(int netns_fd, int self_netns_fd, Netlink **ret)
{
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return negative_errno();
        int r = netlink_open(ret);
        if (setns(self_netns_fd, CLONE_NEWNET) < 0)
                /* Whatever this process did next would happen in the container's namespace. */
                abort();
        return r;
}

Netlink *netlink_close(Netlink *nl)
{
        if (nl) {
                mnl_socket_close(nl->sock);
                free(nl->buf);
                free(nl);
        }
        return NULL;
}

/* Sends nlh and runs cb over every reply until the ACK (or the end of a dump). */
static int nl_call(Netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
        nlh->nlmsg_seq = ++nl->seq;
        nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
                return negative_errno();
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUF_SIZE);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                int r = mnl_cb_run(nl->buf, (size_t)n, nlh->nlmsg_seq, nl->portid, cb, data);
                if (r < 0)
                        return errno > 0 ? -errno : -EIO;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static struct nlmsghdr *put_header(char *buf, uint16_t type, uint16_t flags)
{
        memset(buf, 0, NL_REQ_SIZE);
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        return nlh;
}

/* ---- links ---------------------------------------------------------------------------------- */

static int link_attr_cb(const struct nlattr *a, void *data)
{
        const struct nlattr **tb = data;
        int type = mnl_attr_get_type(a);
        if (mnl_attr_type_valid(a, IFLA_MAX) > 0)
                tb[type] = a;
        return MNL_CB_OK;
}

static int info_attr_cb(const struct nlattr *a, void *data)
{
        const struct nlattr **tb = data;
        if (mnl_attr_type_valid(a, IFLA_INFO_MAX) > 0)
                tb[mnl_attr_get_type(a)] = a;
        return MNL_CB_OK;
}

static void copy_str_attr(char *dst, size_t size, const struct nlattr *a)
{
        size_t n = mnl_attr_get_payload_len(a);
        const char *s = mnl_attr_get_payload(a);
        n = strnlen(s, n);
        if (n >= size)
                n = size - 1;
        memcpy(dst, s, n);
        dst[n] = 0;
}

static int parse_link(const struct nlmsghdr *nlh, NetlinkLink *l)
{
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[IFLA_MAX + 1] = {};
        if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) < 0)
                return -EBADMSG;
        *l = (NetlinkLink){.ifindex = ifi->ifi_index, .flags = ifi->ifi_flags};
        if (tb[IFLA_IFNAME])
                copy_str_attr(l->name, sizeof(l->name), tb[IFLA_IFNAME]);
        if (tb[IFLA_IFALIAS])
                copy_str_attr(l->alias, sizeof(l->alias), tb[IFLA_IFALIAS]);
        if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == NETLINK_ALEN) {
                memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), NETLINK_ALEN);
                l->has_mac = true;
        }
        if (tb[IFLA_PERM_ADDRESS] &&
            mnl_attr_get_payload_len(tb[IFLA_PERM_ADDRESS]) == NETLINK_ALEN) {
                memcpy(l->perm_mac, mnl_attr_get_payload(tb[IFLA_PERM_ADDRESS]), NETLINK_ALEN);
                l->has_perm_mac = true;
        }
        if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) >= 0)
                l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
        if (tb[IFLA_MASTER] && mnl_attr_validate(tb[IFLA_MASTER], MNL_TYPE_U32) >= 0)
                l->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
        if (tb[IFLA_LINKINFO]) {
                const struct nlattr *info[IFLA_INFO_MAX + 1] = {};
                if (mnl_attr_parse_nested(tb[IFLA_LINKINFO], info_attr_cb, info) >= 0 &&
                    info[IFLA_INFO_KIND])
                        copy_str_attr(l->kind, sizeof(l->kind), info[IFLA_INFO_KIND]);
        }
        return 0;
}

static int link_one_cb(const struct nlmsghdr *nlh, void *data)
{
        return parse_link(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int link_get(Netlink *nl, const char *name, int ifindex, NetlinkLink *ret)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = put_header(buf, RTM_GETLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (name) {
                if (strlen(name) >= IFNAMSIZ)
                        return -ENODEV;
                mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        }
        NetlinkLink l = {};
        int r = nl_call(nl, nlh, link_one_cb, &l);
        if (r < 0)
                return r;
        if (l.ifindex <= 0)
                return -ENODEV;
        *ret = l;
        return 0;
}

int netlink_link_get(Netlink *nl, const char *name, NetlinkLink *ret)
{
        return link_get(nl, name, 0, ret);
}

int netlink_link_get_index(Netlink *nl, int ifindex, NetlinkLink *ret)
{
        return link_get(nl, NULL, ifindex, ret);
}

typedef struct LinkList {
        NetlinkLink *links;
        size_t n, alloc;
} LinkList;

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
        LinkList *l = data;
        if (l->n == l->alloc) {
                l->alloc = l->alloc ? l->alloc * 2 : 16;
                l->links = xreallocarray(l->links, l->alloc, sizeof(NetlinkLink));
        }
        if (parse_link(nlh, &l->links[l->n]) < 0)
                return MNL_CB_ERROR;
        l->n++;
        return MNL_CB_OK;
}

int netlink_link_dump(Netlink *nl, NetlinkLink **ret, size_t *ret_n)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = put_header(buf, RTM_GETLINK, NLM_F_DUMP);
        /* A whole ifinfomsg: strict checking refuses the short rtgenmsg for link dumps. */
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        LinkList l = {};
        int r = nl_call(nl, nlh, link_dump_cb, &l);
        if (r < 0) {
                free(l.links);
                return r;
        }
        *ret = l.links;
        *ret_n = l.n;
        return 0;
}

static void put_link_attrs(struct nlmsghdr *nlh, const NetlinkLinkAttrs *a)
{
        if (a->name)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, a->name);
        if (a->mac)
                mnl_attr_put(nlh, IFLA_ADDRESS, NETLINK_ALEN, a->mac);
        if (a->mtu)
                mnl_attr_put_u32(nlh, IFLA_MTU, a->mtu);
        if (a->alias)
                mnl_attr_put_strz(nlh, IFLA_IFALIAS, a->alias);
        if (a->netns_fd >= 0)
                mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)a->netns_fd);
        if (a->master > 0)
                mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)a->master);
}

static void set_up_flag(struct ifinfomsg *ifi, const NetlinkLinkAttrs *a)
{
        if (a->up) {
                ifi->ifi_flags |= IFF_UP;
                ifi->ifi_change |= IFF_UP;
        }
}

static struct nlmsghdr *newlink_header(char *buf, uint16_t flags, int ifindex,
                                       const NetlinkLinkAttrs *a)
{
        struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, flags);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        set_up_flag(ifi, a);
        return nlh;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
        return MNL_CB_OK;
}

int netlink_veth_add(Netlink *nl, const NetlinkLinkAttrs *host, const NetlinkLinkAttrs *peer)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = newlink_header(buf, NLM_F_CREATE | NLM_F_EXCL, 0, host);
        put_link_attrs(nlh, host);
        struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        struct nlattr *peer_nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        /* The peer is described by an ifinfomsg of its own, then its attributes. */
        struct ifinfomsg *pifi = mnl_nlmsg_get_payload_tail(nlh);
        nlh->nlmsg_len += MNL_ALIGN(sizeof(*pifi));
        memset(pifi, 0, sizeof(*pifi));
        pifi->ifi_family = AF_UNSPEC;
        set_up_flag(pifi, peer);
        put_link_attrs(nlh, peer);
        mnl_attr_nest_end(nlh, peer_nest);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, linkinfo);
        return nl_call(nl, nlh, ack_cb, NULL);
}

int netlink_bridge_add(Netlink *nl, const NetlinkLinkAttrs *a)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = newlink_header(buf, NLM_F_CREATE | NLM_F_EXCL, 0, a);
        put_link_attrs(nlh, a);
        struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, linkinfo);
        return nl_call(nl, nlh, ack_cb, NULL);
}

int netlink_macvlan_add(Netlink *nl, int parent, const NetlinkLinkAttrs *a)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = newlink_header(buf, NLM_F_CREATE | NLM_F_EXCL, 0, a);
        put_link_attrs(nlh, a);
        mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)parent);
        struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
        struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, linkinfo);
        return nl_call(nl, nlh, ack_cb, NULL);
}

int netlink_link_change(Netlink *nl, int ifindex, const NetlinkLinkAttrs *a)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = newlink_header(buf, 0, ifindex, a);
        put_link_attrs(nlh, a);
        return nl_call(nl, nlh, ack_cb, NULL);
}

int netlink_link_set_up(Netlink *nl, int ifindex, bool up)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        ifi->ifi_change = IFF_UP;
        ifi->ifi_flags = up ? IFF_UP : 0;
        return nl_call(nl, nlh, ack_cb, NULL);
}

int netlink_link_del(Netlink *nl, int ifindex)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = put_header(buf, RTM_DELLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        return nl_call(nl, nlh, ack_cb, NULL);
}

/* ---- addresses ------------------------------------------------------------------------------ */

int netlink_addr_add(Netlink *nl, int ifindex, int family, const InAddr *addr, unsigned prefix)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = put_header(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        size_t size = in_addr_size(family);
        if (!size)
                return -EAFNOSUPPORT;
        ifa->ifa_family = (unsigned char)family;
        ifa->ifa_prefixlen = (unsigned char)prefix;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned)ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, size, addr);
        mnl_attr_put(nlh, IFA_ADDRESS, size, addr);
        if (family == AF_INET && prefix < 31) {
                uint32_t v = in4_addr_to_host(addr) | (UINT32_MAX >> prefix);
                InAddr b = in4_addr_from_host(v);
                mnl_attr_put(nlh, IFA_BROADCAST, 4, &b);
        }
        /* A static address is usable at once: no duplicate address detection, which would keep
         * it tentative for a second or more. */
        if (family == AF_INET6)
                mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
        return nl_call(nl, nlh, ack_cb, NULL);
}

typedef struct AddrList {
        int family;
        NetlinkAddr *addrs;
        size_t n, alloc;
} AddrList;

static int addr_attr_cb(const struct nlattr *a, void *data)
{
        const struct nlattr **tb = data;
        if (mnl_attr_type_valid(a, IFA_MAX) > 0)
                tb[mnl_attr_get_type(a)] = a;
        return MNL_CB_OK;
}

static int addr_dump_cb(const struct nlmsghdr *nlh, void *data)
{
        AddrList *l = data;
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *tb[IFA_MAX + 1] = {};
        if (l->family != AF_UNSPEC && ifa->ifa_family != l->family)
                return MNL_CB_OK;
        size_t size = in_addr_size(ifa->ifa_family);
        if (!size || mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0)
                return MNL_CB_OK;
        const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        if (!a || mnl_attr_get_payload_len(a) != size)
                return MNL_CB_OK;
        if (l->n == l->alloc) {
                l->alloc = l->alloc ? l->alloc * 2 : 16;
                l->addrs = xreallocarray(l->addrs, l->alloc, sizeof(NetlinkAddr));
        }
        NetlinkAddr *x = &l->addrs[l->n++];
        *x = (NetlinkAddr){.ifindex = (int)ifa->ifa_index, .family = ifa->ifa_family,
                           .prefix = ifa->ifa_prefixlen, .scope = ifa->ifa_scope};
        memcpy(&x->addr, mnl_attr_get_payload(a), size);
        return MNL_CB_OK;
}

int netlink_addr_dump(Netlink *nl, int family, NetlinkAddr **ret, size_t *ret_n)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = put_header(buf, RTM_GETADDR, NLM_F_DUMP);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = (unsigned char)family;
        AddrList l = {.family = family};
        int r = nl_call(nl, nlh, addr_dump_cb, &l);
        if (r < 0) {
                free(l.addrs);
                return r;
        }
        *ret = l.addrs;
        *ret_n = l.n;
        return 0;
}

/* ---- routes --------------------------------------------------------------------------------- */

int netlink_route_add_default(Netlink *nl, int family, const InAddr *gw, int ifindex,
                              bool onlink)
{
        char buf[NL_REQ_SIZE];
        struct nlmsghdr *nlh = put_header(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
        size_t size = in_addr_size(family);
        if (!size)
                return -EAFNOSUPPORT;
        rtm->rtm_family = (unsigned char)family;
        rtm->rtm_dst_len = 0;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_STATIC;
        rtm->rtm_scope = RT_SCOPE_UNIVERSE;
        rtm->rtm_type = RTN_UNICAST;
        if (onlink)
                rtm->rtm_flags |= RTNH_F_ONLINK;
        mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
        mnl_attr_put(nlh, RTA_GATEWAY, size, gw);
        mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
        return nl_call(nl, nlh, ack_cb, NULL);
}
