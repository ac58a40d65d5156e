/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-net: the network helper. libberth runs it (fork+exec, argv only, an empty environment)
 * for everything that needs rtnetlink, nftables or dnsmasq, because the monitor is linked
 * statically and Debian has no static libmnl. Exits 0, or with the errno of what failed and the
 * one-line error on stderr.
 *
 *   berth-net setup --rundir DIR NAME      (fd 3: the container's network namespace)
 *   berth-net teardown --rundir DIR NAME   (fd 3, when still at hand)
 *   berth-net up --rundir DIR --bridge B --ipv4 A/P --dhcp-start A --dhcp-end A [--ipv6 A/P]
 *                --domain D --nat 0|1 [--uplink IF] --dns-upstream 0|1 --mtu=N
 *   berth-net down --rundir DIR --bridge B [--force]
 */
#include <fcntl.h>
#include <getopt.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "net/net-helper.h"
#include "parse.h"
#include "path-util.h"

enum {
        OPT_RUNDIR = 0x100,
        OPT_BRIDGE,
        OPT_IPV4,
        OPT_DHCP_START,
        OPT_DHCP_END,
        OPT_IPV6,
        OPT_DOMAIN,
        OPT_NAT,
        OPT_UPLINK,
        OPT_DNS_UPSTREAM,
        OPT_MTU,
        OPT_FORCE,
};

static const struct option options[] = {
        {"rundir", required_argument, NULL, OPT_RUNDIR},
        {"bridge", required_argument, NULL, OPT_BRIDGE},
        {"ipv4", required_argument, NULL, OPT_IPV4},
        {"dhcp-start", required_argument, NULL, OPT_DHCP_START},
        {"dhcp-end", required_argument, NULL, OPT_DHCP_END},
        {"ipv6", required_argument, NULL, OPT_IPV6},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"nat", required_argument, NULL, OPT_NAT},
        {"uplink", required_argument, NULL, OPT_UPLINK},
        {"dns-upstream", required_argument, NULL, OPT_DNS_UPSTREAM},
        {"mtu", required_argument, NULL, OPT_MTU},
        {"force", no_argument, NULL, OPT_FORCE},
        {},
};

static int fail(BerthError *err, int r)
{
        fprintf(stderr, "%s\n", berth_error_message(err, r));
        berth_error_free(err);
        int code = r < 0 ? -r : EIO;
        return code > 0 && code < 126 ? code : EIO;
}

static void set_string(char **field, const char *v)
{
        free(*field);
        *field = xstrdup(v);
}

static int parse_flag(const char *v, bool *ret)
{
        if (streq(v, "1") || streq(v, "0")) {
                *ret = v[0] == '1';
                return 0;
        }
        return -EINVAL;
}

/* fd 3, when it is a network namespace. */
static int netns_from_fd3(void)
{
        if (fcntl(3, F_GETFD) < 0)
                return -EBADF;
        if (ioctl(3, NS_GET_NSTYPE) != CLONE_NEWNET)
                return -EBADF;
        (void)fcntl(3, F_SETFD, FD_CLOEXEC);
        return 3;
}

int main(int argc, char **argv)
{
        BerthError *err = NULL;
        const char *rundir = NULL;
        bool force = false;
        NetGlobal g = {};
        int r = 0;

        if (argc < 2) {
                r = berth_error_setf(&err, EINVAL,
                                     "usage: berth-net setup|teardown|up|down --rundir DIR ...");
                return fail(err, r);
        }
        const char *verb = argv[1];
        optind = 2;
        int c;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                uint64_t u;
                switch (c) {
                case OPT_RUNDIR:
                        rundir = optarg;
                        break;
                case OPT_BRIDGE:
                        set_string(&g.bridge, optarg);
                        break;
                case OPT_IPV4:
                        set_string(&g.ipv4, optarg);
                        break;
                case OPT_DHCP_START:
                        set_string(&g.dhcp_start, optarg);
                        break;
                case OPT_DHCP_END:
                        set_string(&g.dhcp_end, optarg);
                        break;
                case OPT_IPV6:
                        set_string(&g.ipv6, optarg);
                        break;
                case OPT_DOMAIN:
                        set_string(&g.domain, optarg);
                        break;
                case OPT_UPLINK:
                        set_string(&g.uplink, optarg);
                        break;
                case OPT_NAT:
                        if (parse_flag(optarg, &g.nat) < 0)
                                r = berth_error_setf(&err, EINVAL, "invalid --nat '%s'", optarg);
                        break;
                case OPT_DNS_UPSTREAM:
                        if (parse_flag(optarg, &g.dns_upstream) < 0)
                                r = berth_error_setf(&err, EINVAL, "invalid --dns-upstream '%s'",
                                                     optarg);
                        break;
                case OPT_MTU:
                        if (parse_uint64(optarg, &u) < 0 || u > 65535)
                                r = berth_error_setf(&err, EINVAL, "invalid --mtu '%s'", optarg);
                        g.mtu = (uint32_t)u;
                        break;
                case OPT_FORCE:
                        force = true;
                        break;
                default:
                        r = berth_error_setf(&err, EINVAL, "invalid option");
                }
                if (r < 0)
                        break;
        }
        if (r >= 0 && (!rundir || !path_is_absolute(rundir) || !path_is_normalized(rundir)))
                r = berth_error_setf(&err, EINVAL, "--rundir: an absolute path is needed");
        if (r < 0) {
                net_global_done(&g);
                return fail(err, r);
        }

        if (streq(verb, "setup") || streq(verb, "teardown")) {
                const char *name = optind + 1 == argc ? argv[optind] : NULL;
                int netns = netns_from_fd3();
                if (!name || !config_name_is_valid(name))
                        r = berth_error_setf(&err, EINVAL, "%s: a container name is needed",
                                             verb);
                else if (streq(verb, "setup") && netns < 0)
                        r = berth_error_setf(&err, EBADF,
                                             "setup: fd 3 must be the container's network "
                                             "namespace");
                else if (streq(verb, "setup"))
                        r = net_helper_setup(rundir, name, netns, &err);
                else
                        r = net_helper_teardown(rundir, name, netns, &err);
        } else if (streq(verb, "up") && optind == argc)
                r = net_helper_network_up(rundir, &g, &err);
        else if (streq(verb, "down") && optind == argc && g.bridge)
                r = net_helper_network_down(rundir, g.bridge, force, &err);
        else
                r = berth_error_setf(&err, EINVAL, "usage: berth-net setup|teardown|up|down "
                                                   "--rundir DIR ...");
        net_global_done(&g);
        return r < 0 ? fail(err, r) : 0;
}
