/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to the network module and its helper (berth-net): the plan of a container's
 * interfaces as plain data, the managed network's settings, and the names and files both sides
 * agree on. Nothing here talks to the kernel. */

#include <net/if.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "error.h"
#include "in-addr-util.h"
#include "net.h"

#define ETH_ALEN_ 6

/* Host-side names: "vb-NAME" for a container's first veth, "vb-NAME_N" for its N-th, and
 * "vb_PREFIX_HASH" when that does not fit IFNAMSIZ. Container names hold no '_', so the three
 * forms never meet. */
#define NET_VETH_PREFIX "vb-"
#define NET_VETH_HASHED_PREFIX "vb_"

/* Every interface berth creates on the host carries this alias, so teardown never deletes an
 * interface of the same name that someone else made. "berth:NAME". */
#define NET_ALIAS_PREFIX "berth:"

/* <rundir>/.net: the managed bridges (one directory each) and the lock that makes a container's
 * checks and the record of its addresses one step. Container names never start with a dot. */
#define NET_RUN_SUBDIR ".net"
/* <rundir>/NAME/net.plan: what a container's network is, written before anything is created, so
 * that teardown (and the cleanup after a crash) knows what to remove. */
#define NET_PLAN_FILE "net.plan"
#define NET_PLAN_MAX_BYTES (256 * 1024)

/* The netfilter tables berth owns: one per managed bridge, one per container with published
 * ports. Distinct prefixes, so no container name can make one look like the other. */
#define NET_NFT_NETWORK_TABLE_PREFIX "berth-n-"
#define NET_NFT_CONTAINER_TABLE_PREFIX "berth-c-"

/* 64-bit hash of a byte string (FNV-1a with a final mix): names and MACs derived from container
 * names. Not a security boundary: a clash is detected where it matters (an interface exists). */
uint64_t net_hash64(const void *data, size_t size, uint64_t seed);

/* The host-side veth name of the container's index-th interface. */
void net_veth_host_name(const char *container, size_t index, char ret[IFNAMSIZ]);
/* A stable MAC from the container name and the interface index: locally administered, unicast.
 * A clone (another name) gets another one. */
void net_mac_from_name(const char *container, size_t index, uint8_t ret[ETH_ALEN_]);
/* The bridge's own MAC, from its name, so it does not change with the ports that join it. */
void net_mac_from_bridge(const char *bridge, uint8_t ret[ETH_ALEN_]);
int net_mac_parse(const char *s, uint8_t ret[ETH_ALEN_]);
/* "02:00:0a:00:03:0a" into buf[18]. */
const char *net_mac_to_string(const uint8_t mac[ETH_ALEN_], char buf[18]);

/* ---- the managed network (berth0) ---------------------------------------------------------- */

/* A prefix: family, address as written (the bridge's own address for the managed network),
 * prefix length. */
typedef struct NetPrefix {
        int family; /* AF_UNSPEC: unset */
        InAddr addr;
        unsigned prefix;
} NetPrefix;

int net_prefix_parse(const char *s, int family, NetPrefix *ret);
char *net_prefix_to_string(const NetPrefix *p);
bool net_prefix_contains(const NetPrefix *p, int family, const InAddr *a);
/* Two prefixes overlap when either contains the other's network. */
bool net_prefix_overlaps(const NetPrefix *a, const NetPrefix *b);

/* ---- a container's plan --------------------------------------------------------------------- */

typedef struct NetIface {
        BerthNetType type;       /* veth, macvlan or phys */
        char name[IFNAMSIZ];     /* inside the container */
        char host[IFNAMSIZ];     /* veth: host end; macvlan: the parent; phys: the NIC */
        char bridge[IFNAMSIZ];   /* veth: the bridge, or "" for none */
        uint8_t mac[ETH_ALEN_];
        bool has_mac;            /* phys without hwaddr keeps its own */
        uint32_t mtu;            /* 0: the kernel's default */
        NetPrefix addr4, addr6;  /* static addresses; addr4 also holds a DHCP reservation */
        bool has_gw4, has_gw6;
        InAddr gw4, gw6;
        bool dhcp;
        bool managed;            /* on berth's managed bridge: reservation and DNS name */
        /* phys only, recorded when it is moved in: how to give it back. */
        int phys_ifindex;
        uint8_t phys_mac[ETH_ALEN_];
        uint32_t phys_mtu;
        bool phys_up;
} NetIface;

typedef struct NetPlan {
        char *name;              /* the container */
        NetIface *ifaces;
        size_t n_ifaces;
        BerthPublish *ports;
        size_t n_ports;
        /* Filled by the helper once init's namespace is known: the plan of a live container
         * names its init, so a plan left by a dead one is recognised as stale. */
        pid_t pid;
        uint64_t starttime;
} NetPlan;

NetPlan *net_plan_free(NetPlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetPlan *, net_plan_free);

/* The plan of a container from its config; an empty network list takes the global defaults.
 * Pure: no look at the host. */
int net_plan_build(const char *name, const BerthConfig *c, const NetGlobal *g, NetPlan **ret,
                   BerthError **reterr);
/* The plan as text, and back ("berth-net-plan 1" and one record per line). Parsing is strict:
 * the file sits in a root-only directory, but a damaged one must not make teardown guess. */
char *net_plan_to_string(const NetPlan *p);
int net_plan_from_string(const char *text, NetPlan **ret);
/* Writes text to dir/name through a dot file and a rename: readers (dnsmasq ignores dot files)
 * see all of it or nothing. No fsync: everything written this way lives in the runtime dir, which
 * a reboot empties anyway, and an fsync costs a start tens of milliseconds on a busy disk. */
int net_write_file(const char *dir, const char *name, const char *text, mode_t mode);
/* <rundir>/NAME/net.plan */
char *net_plan_path(const char *rundir, const char *name);
int net_plan_write(const char *rundir, const NetPlan *p);
/* -ENOENT when there is none. */
int net_plan_read(const char *rundir, const char *name, NetPlan **ret);
/* True when the init the plan names still runs. */
bool net_plan_alive(const NetPlan *p);
/* The first interface with an IPv4 address (static or reserved), or NULL: where published
 * ports go. */
const NetIface *net_plan_port_target(const NetPlan *p, int family);

/* ---- the managed network's files ----------------------------------------------------------- */

/* <rundir>/.net/BRIDGE, and the files in it. */
char *net_network_dir(const char *rundir, const char *bridge);
#define NET_NETWORK_STATE "network"     /* the NetGlobal it was brought up with */
#define NET_DNSMASQ_CONF "dnsmasq.conf"
#define NET_DNSMASQ_PID "dnsmasq.pid"
#define NET_DNSMASQ_LEASES "leases"
#define NET_DNSMASQ_LOG "dnsmasq.log"
#define NET_HOSTS_DIR "hosts"           /* dnsmasq --hostsdir: "ADDR NAME NAME.DOMAIN" */
#define NET_DHCP_HOSTS_DIR "dhcp-hosts" /* dnsmasq --dhcp-hostsdir: "MAC,ADDR" */

/* NetGlobal as the text of <rundir>/.net/BRIDGE/network, and back. */
char *net_global_to_string(const NetGlobal *g);
int net_global_from_string(const char *text, NetGlobal *ret);
/* Reads the state of a managed bridge that is up; -ENOENT when it is not up. */
int net_network_read(const char *rundir, const char *bridge, NetGlobal *ret);

/* The dnsmasq configuration of a managed network. */
char *net_dnsmasq_conf(const NetGlobal *g, const char *dir);
/* Lines of the container's files in hosts/ and dhcp-hosts/. */
char *net_dnsmasq_hosts_entry(const NetGlobal *g, const char *container, const InAddr *addr4,
                              const NetPrefix *addr6);
char *net_dnsmasq_dhcp_host_entry(const uint8_t mac[ETH_ALEN_], const InAddr *addr4);

/* The address a managed interface without a static one gets: the first free one in the DHCP
 * range, starting at a point derived from the container name, skipping used[] (n_used
 * addresses) and the bridge's own address. -ENOSPC when the range is full. */
int net_reserve_address(const NetGlobal *g, const char *container, size_t index,
                        const InAddr *used, size_t n_used, InAddr *ret);

/* nft scripts: the managed network's table, a container's published ports, and the deletion
 * of either (every script is one transaction, and deletion is idempotent). */
char *net_nft_network_table(const char *bridge);
char *net_nft_container_table(const char *container);
char *net_nft_network_script(const NetGlobal *g);
/* NULL when the plan publishes nothing. */
char *net_nft_container_script(const NetPlan *p);
char *net_nft_delete_script(const char *table);

/* ---- pre-start checks ---------------------------------------------------------------------- */

/* Whether a host interface exists (if_nametoindex), and the IPv4/IPv6 prefixes on it. */
typedef struct NetHostView {
        bool (*link_exists)(const char *name, void *userdata);
        /* Fills prefixes of the interface (at most max); returns how many. */
        size_t (*link_prefixes)(const char *name, NetPrefix *ret, size_t max, void *userdata);
        /* 0 when the port can be bound on the host, -EADDRINUSE when it is taken. */
        int (*port_free)(const BerthPublish *p, void *userdata);
        void *userdata;
} NetHostView;

/* The real host. */
extern const NetHostView net_host_view_real;

/* Everything that must hold before a container's links are made: known bridges and parents,
 * free host names, addresses inside their bridge's subnet and used by no other running
 * container (others[], their plans), ports free on the host and among the others. managed: the
 * settings of the managed network when plan's interfaces use it (NULL: none up yet, then
 * checked against g). */
int net_plan_check(const NetPlan *p, const NetGlobal *g, const NetGlobal *managed,
                   NetPlan *const *others, size_t n_others, const NetHostView *host,
                   BerthError **reterr);
/* The plans of the other running containers under rundir (stale ones skipped). */
int net_plans_running(const char *rundir, const char *except, NetPlan ***ret, size_t *ret_n);
void net_plans_free(NetPlan **plans, size_t n);

/* ---- programs ------------------------------------------------------------------------------ */

/* Runs path with args (argv[0] filled in), an empty environment but PATH, input (if non-NULL) on
 * stdin, out_fd (or /dev/null) as stdout, keep_fd (if >= 0) as fd 3; waits. *ret_status: the
 * wait status; *ret_last_line: the last line it wrote to stderr (control characters made
 * '?'). */
int net_spawn(const char *path, char **args, const char *input, int out_fd, int keep_fd,
              int *ret_status, char **ret_last_line);
/* The full path of a program in /usr/sbin:/usr/bin:/sbin:/bin, or NULL. */
char *net_find_program(const char *name);
/* nft -f - with script: one transaction. */
int net_nft_run(const char *script, BerthError **reterr);
/* Whether table (family inet) is loaded. */
bool net_nft_table_exists(const char *table);
/* The pid of the dnsmasq serving the network in dir (its pid file, checked against its command
 * line), or 0. */
pid_t net_dnsmasq_pid(const char *dir);

/* ---- the helper ---------------------------------------------------------------------------- */

/* $BERTH_NET_HELPER, else $(pkglibexecdir)/berth-net. */
const char *net_helper_path(void);
/* Runs the helper with argv (argv[0] is filled in), nothing of our environment, stdin from
 * /dev/null, and keep_fd (if >= 0) as its fd 3. Its last line on stderr is the error message. */
int net_helper_run(char **args, int keep_fd, BerthError **reterr);
