/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Container networking: what the monitor, the start path and the front ends call.
 *
 * Everything that needs rtnetlink, nftables or dnsmasq runs in the helper berth-net (dynamically
 * linked, libmnl), which these calls start with fork+exec, argv only and an empty environment:
 * the monitor is linked statically and Debian has no static libmnl. What runs in the caller is
 * pure (plans, checks) or needs no netlink library (addresses through getifaddrs).
 *
 * The order in the monitor, for a container whose init was cloned into a new network
 * namespace and waits:
 *
 *     net_container_setup()        links made and moved in, addresses and routes set inside,
 *                                  published ports and DNS names in place; returns the netns fd
 *     ... init runs ...
 *     net_container_teardown()     when init is gone, with that fd: everything removed again
 *
 * and, for a container whose monitor died and whose init is gone too,
 * net_container_cleanup() from the next berth command, keyed by name only. */

#include <stdbool.h>
#include <sys/types.h>

#include "berth.h"
#include "config/config.h"
#include "error.h"

/* The managed bridge (berth0) and the default interfaces: the 'network:' section of the global
 * config (/etc/berth/berth.yaml). */
typedef struct NetGlobal {
        char *bridge;       /* "berth0" */
        char *ipv4;         /* the bridge's address and the subnet: "10.0.3.1/24" */
        char *dhcp_start;   /* "10.0.3.2" */
        char *dhcp_end;     /* "10.0.3.254" */
        char *ipv6;         /* NULL, or the bridge's IPv6 address and prefix "fd42:b::1/64" */
        char *domain;       /* "berth": containers are NAME.berth */
        bool nat;           /* masquerade what leaves the subnet */
        char *uplink;       /* NULL: any; else masquerade and forward only out of this one */
        bool dns_upstream;  /* dnsmasq forwards other names to the host's resolvers */
        uint32_t mtu;       /* 0: default */
} NetGlobal;

/* berth0, 10.0.3.1/24, DHCP .2-.254, domain berth, NAT, upstream DNS. */
void net_global_init(NetGlobal *g);
void net_global_done(NetGlobal *g);
void net_global_copy(NetGlobal *dst, const NetGlobal *src);
/* Consistency: addresses inside the subnet, range in order, names valid. */
int net_global_validate(const NetGlobal *g, BerthError **reterr);
/* The settings in effect: the 'network:' section of the global config's text (NULL: none) over
 * the defaults. sections: the file's top-level keys (global_sections). Errors name the file, and
 * line:col where there is one:
 *
 *   network:
 *     bridge: berth0
 *     ipv4: 10.0.3.1/24              # the bridge's address; the subnet
 *     dhcp_range: 10.0.3.2-10.0.3.254
 *     ipv6: null                     # or "fd42:b::1/64": RA (SLAAC) on the bridge
 *     domain: berth
 *     nat: true
 *     uplink: null                   # or an interface: NAT and forwarding only through it
 *     dns_upstream: true             # dnsmasq forwards other names to the host's resolvers
 *     mtu: null
 */
int net_global_parse(const char *text, size_t len, const char *filename,
                     const char *const *sections, NetGlobal *ret, BerthError **reterr);

/* True when the container's interfaces use g's managed bridge: then the start path brings the
 * network up first (net_network_up). */
bool net_config_uses_managed(const BerthConfig *c, const NetGlobal *g);

/* Everything that would make the start fail, checked before anything is created: an unknown
 * bridge or parent link, a host interface name already taken, an address outside its bridge's
 * subnet or used by another running container, a published port taken on the host or by
 * another container. rundir: where the other containers' records are. */
int net_container_check(const char *rundir, const char *name, const BerthConfig *c,
                        const NetGlobal *g, BerthError **reterr);

typedef struct NetSetupParams {
        const char *rundir;
        const char *name;
        const BerthConfig *config;
        const NetGlobal *global;
        pid_t init_pid;     /* cloned into its network namespace, not yet reaped */
} NetSetupParams;

/* Host-side setup of a container whose init waits in its new network namespace. Writes the
 * plan to <rundir>/NAME/net.plan first. On failure nothing is left behind. *ret_netns_fd: the
 * container's network namespace (O_CLOEXEC), which the caller keeps open until teardown, so a
 * NIC moved in can be moved back out after init is gone (-EBADF when the container has no
 * interface to set up). */
int net_container_setup(const NetSetupParams *p, int *ret_netns_fd, BerthError **reterr);
/* Removes what setup made: phys NICs moved back, host veths, nft rules, DNS names and DHCP
 * reservations, and the plan. Idempotent; netns_fd may be -EBADF (after a crash): then NICs
 * the kernel gave back are renamed to their old names. Consumes nothing. */
int net_container_teardown(const char *rundir, const char *name, int netns_fd,
                           BerthError **reterr);
/* net_container_teardown() for a container known to be dead (init gone), from its record
 * alone: for the next berth command after a crash. 0 when there was nothing to remove. */
int net_container_cleanup(const char *rundir, const char *name, BerthError **reterr);

/* The container's live addresses, read inside its network namespace (the calling thread joins
 * it and returns; no fork): "IFNAME ADDRESS/PREFIX", loopback and link-local left out, sorted
 * by interface then family. Needs CAP_SYS_ADMIN (root). */
int net_container_addresses(pid_t init_pid, char ***ret);
/* Its first global IPv4 address from that list ("10.0.3.57"), or NULL. */
char *net_addresses_first_ipv4(char *const *addresses);

/* The managed network: bridge, address, dnsmasq (DHCP and DNS), nft masquerade. Up is
 * idempotent and repairs a half-up network; down removes all of it and refuses while running
 * containers use it, unless force. */
int net_network_up(const char *rundir, const NetGlobal *g, BerthError **reterr);
int net_network_down(const char *rundir, const char *bridge, bool force, BerthError **reterr);
/* Whether the managed bridge is up: its state recorded, the bridge and dnsmasq there. */
bool net_network_is_up(const char *rundir, const char *bridge);

/* berth_network_status() of g's bridge under rundir. */
int net_network_status(const char *rundir, const NetGlobal *g, BerthNetworkStatus *ret,
                       BerthError **reterr);
