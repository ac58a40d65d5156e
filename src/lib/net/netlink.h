/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* rtnetlink through libmnl: links (veth, bridge, macvlan), moving links between network
 * namespaces, names, MACs, MTUs, up/down, bridge ports, addresses, routes and dumps. One socket
 * talks to the network namespace it was opened in. Only the helper berth-net links this. */

#include <net/if.h>
#include <stdint.h>

#include "in-addr-util.h"
#include "macro.h"

#define NETLINK_ALEN 6

typedef struct Netlink Netlink;

/* A socket in the calling thread's current network namespace. */
int netlink_open(Netlink **ret);
/* A socket in the network namespace netns_fd; the calling thread goes there to open it and
 * comes back (self_netns_fd: its own namespace). */
int netlink_open_in(int netns_fd, int self_netns_fd, Netlink **ret);
Netlink *netlink_close(Netlink *nl);
DEFINE_TRIVIAL_CLEANUP_FUNC(Netlink *, netlink_close);

typedef struct NetlinkLink {
        int ifindex;
        char name[IFNAMSIZ];
        char kind[16];      /* "veth", "bridge", "macvlan", "" for hardware */
        char alias[64];     /* IFLA_IFALIAS, "" when none */
        unsigned flags;     /* IFF_* */
        uint8_t mac[NETLINK_ALEN];
        bool has_mac;
        uint8_t perm_mac[NETLINK_ALEN];
        bool has_perm_mac;
        uint32_t mtu;
        int master;         /* 0: none */
} NetlinkLink;

/* -ENODEV when there is no such link. */
int netlink_link_get(Netlink *nl, const char *name, NetlinkLink *ret);
int netlink_link_get_index(Netlink *nl, int ifindex, NetlinkLink *ret);
int netlink_link_dump(Netlink *nl, NetlinkLink **ret, size_t *ret_n);

/* Attributes of a link being made or changed; zero fields are left alone. */
typedef struct NetlinkLinkAttrs {
        const char *name;        /* IFLA_IFNAME: the name (create) or the new name (change) */
        const uint8_t *mac;      /* IFLA_ADDRESS */
        uint32_t mtu;
        const char *alias;
        int netns_fd;            /* >= 0: create in / move to this namespace */
        int master;              /* > 0: enslave to this ifindex */
        bool up;                 /* bring it up (in the same request) */
} NetlinkLinkAttrs;
#define NETLINK_LINK_ATTRS_INIT {.netns_fd = -1}

/* A veth pair: host end in this socket's namespace, peer (its own attrs) possibly elsewhere. */
int netlink_veth_add(Netlink *nl, const NetlinkLinkAttrs *host, const NetlinkLinkAttrs *peer);
int netlink_bridge_add(Netlink *nl, const NetlinkLinkAttrs *a);
/* A macvlan in bridge mode on parent (an ifindex of this socket's namespace). */
int netlink_macvlan_add(Netlink *nl, int parent, const NetlinkLinkAttrs *a);
int netlink_link_change(Netlink *nl, int ifindex, const NetlinkLinkAttrs *a);
int netlink_link_set_up(Netlink *nl, int ifindex, bool up);
/* -ENODEV when it is gone already. */
int netlink_link_del(Netlink *nl, int ifindex);

int netlink_addr_add(Netlink *nl, int ifindex, int family, const InAddr *addr, unsigned prefix);

typedef struct NetlinkAddr {
        int ifindex;
        int family;
        InAddr addr;
        unsigned prefix;
        unsigned char scope;
} NetlinkAddr;
/* family AF_UNSPEC: both. */
int netlink_addr_dump(Netlink *nl, int family, NetlinkAddr **ret, size_t *ret_n);

/* The default route of family through gw on ifindex; onlink when gw is outside every prefix of
 * the link. */
int netlink_route_add_default(Netlink *nl, int family, const InAddr *gw, int ifindex,
                              bool onlink);
