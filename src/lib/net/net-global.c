/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The managed network's settings: defaults, checks, and the text they are recorded in while the
 * network is up. Pure. */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "fileio.h"
#include "net-internal.h"
#include "parse.h"
#include "path-util.h"

static char *strdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

void net_global_init(NetGlobal *g)
{
        *g = (NetGlobal){
                .bridge = xstrdup("berth0"),
                .ipv4 = xstrdup("10.0.3.1/24"),
                .dhcp_start = xstrdup("10.0.3.2"),
                .dhcp_end = xstrdup("10.0.3.254"),
                .domain = xstrdup("berth"),
                .nat = true,
                .dns_upstream = true,
        };
}

void net_global_done(NetGlobal *g)
{
        free(g->bridge);
        free(g->ipv4);
        free(g->dhcp_start);
        free(g->dhcp_end);
        free(g->ipv6);
        free(g->domain);
        free(g->uplink);
        *g = (NetGlobal){};
}

void net_global_copy(NetGlobal *dst, const NetGlobal *src)
{
        *dst = (NetGlobal){
                .bridge = strdup_or_null(src->bridge),
                .ipv4 = strdup_or_null(src->ipv4),
                .dhcp_start = strdup_or_null(src->dhcp_start),
                .dhcp_end = strdup_or_null(src->dhcp_end),
                .ipv6 = strdup_or_null(src->ipv6),
                .domain = strdup_or_null(src->domain),
                .nat = src->nat,
                .uplink = strdup_or_null(src->uplink),
                .dns_upstream = src->dns_upstream,
                .mtu = src->mtu,
        };
}

/* Names that end up in nft rules, dnsmasq's config and a path: a stricter alphabet than the
 * kernel's. */
static bool simple_ifname(const char *s)
{
        if (!config_ifname_is_valid(s))
                return false;
        for (const char *p = s; *p; p++)
                if (!isascii((unsigned char)*p) || !(isalnum((unsigned char)*p) || *p == '-' || *p == '_'))
                        return false;
        return true;
}

static bool valid_domain(const char *s)
{
        /* One or more labels of [a-z0-9-], no leading or trailing '-' or '.'. */
        size_t n = strlen(s);
        if (n == 0 || n > 63 || s[0] == '.' || s[n - 1] == '.' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++) {
                if (*p == '.' && (p[1] == '.' || p[1] == '-' || p[-1] == '-'))
                        return false;
                if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
                      *p == '.'))
                        return false;
        }
        return s[n - 1] != '-';
}

int net_global_validate(const NetGlobal *g, BerthError **reterr)
{
        NetPrefix p4 = {}, p6 = {};
        InAddr start, end;
        /* Every value quoted in a message is the user's text: escaped, so it stays one line. */
        _cleanup_free_ char *e_bridge = config_escape(strempty(g->bridge));
        _cleanup_free_ char *e_ipv4 = config_escape(strempty(g->ipv4));
        _cleanup_free_ char *e_start = config_escape(strempty(g->dhcp_start));
        _cleanup_free_ char *e_end = config_escape(strempty(g->dhcp_end));
        _cleanup_free_ char *e_ipv6 = config_escape(strempty(g->ipv6));
        _cleanup_free_ char *e_domain = config_escape(strempty(g->domain));
        _cleanup_free_ char *e_uplink = config_escape(strempty(g->uplink));

        if (!g->bridge || !simple_ifname(g->bridge))
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.bridge': invalid bridge name '%s' (letters, "
                                        "digits, '-' and '_', at most 15)",
                                        e_bridge);
        if (!g->ipv4 || net_prefix_parse(g->ipv4, AF_INET, &p4) < 0 || p4.prefix < 8 ||
            p4.prefix > 30)
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.ipv4': invalid address/prefix '%s' (the "
                                        "bridge's address, prefix 8..30)",
                                        e_ipv4);
        uint32_t net = in4_addr_to_host(&p4.addr) & ~(UINT32_MAX >> p4.prefix);
        uint32_t bcast = net | (UINT32_MAX >> p4.prefix), self = in4_addr_to_host(&p4.addr);
        if (self == net || self == bcast)
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.ipv4': '%s' is the subnet's network or "
                                        "broadcast address, not one a bridge can have",
                                        e_ipv4);
        if (!g->dhcp_start || in_addr_parse(g->dhcp_start, AF_INET, NULL, &start) < 0 ||
            !g->dhcp_end || in_addr_parse(g->dhcp_end, AF_INET, NULL, &end) < 0)
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.dhcp_range': invalid range '%s-%s'",
                                        e_start, e_end);
        uint32_t lo = in4_addr_to_host(&start), hi = in4_addr_to_host(&end);
        if (!net_prefix_contains(&p4, AF_INET, &start) || !net_prefix_contains(&p4, AF_INET, &end) ||
            lo > hi || lo == net || hi == bcast)
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.dhcp_range': '%s-%s' is not an ordered "
                                        "range of host addresses in %s",
                                        e_start, e_end, e_ipv4);
        if (g->ipv6 && (net_prefix_parse(g->ipv6, AF_INET6, &p6) < 0 || p6.prefix < 16 ||
                        p6.prefix > 126))
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.ipv6': invalid address/prefix '%s' "
                                        "(prefix 16..126)",
                                        e_ipv6);
        if (!g->domain || !valid_domain(g->domain))
                return berth_error_setf(reterr, EBADMSG, "key 'network.domain': invalid domain '%s'",
                                        e_domain);
        if (g->uplink && !simple_ifname(g->uplink))
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.uplink': invalid interface name '%s'",
                                        e_uplink);
        if (g->mtu && (g->mtu < 68 || g->mtu > 65535))
                return berth_error_setf(reterr, EBADMSG,
                                        "key 'network.mtu': %" PRIu32 " out of range 68..65535",
                                        g->mtu);

        return 0;
}

/* Sets one key of the section from its text; -EINVAL when the value is not of its kind. */
static int global_set(NetGlobal *g, const char *key, const char *v)
{
        uint64_t u;
        bool b;
        if (streq(key, "bridge") || streq(key, "ipv4") || streq(key, "domain")) {
                if (!v)
                        return -EINVAL;
                char **f = streq(key, "bridge") ? &g->bridge
                           : streq(key, "ipv4") ? &g->ipv4
                                                : &g->domain;
                free(*f);
                *f = xstrdup(v);
                return 0;
        }
        if (streq(key, "ipv6") || streq(key, "uplink")) {
                char **f = streq(key, "ipv6") ? &g->ipv6 : &g->uplink;
                free(*f);
                *f = v ? xstrdup(v) : NULL;
                return 0;
        }
        if (streq(key, "dhcp_range")) {
                const char *dash = v ? strchr(v, '-') : NULL;
                if (!dash || strchr(dash + 1, '-'))
                        return -EINVAL;
                free(g->dhcp_start);
                free(g->dhcp_end);
                g->dhcp_start = xstrndup(v, dash - v);
                g->dhcp_end = xstrdup(dash + 1);
                return 0;
        }
        if (streq(key, "nat") || streq(key, "dns_upstream")) {
                if (!v || config_parse_bool(v, &b) < 0)
                        return -EINVAL;
                *(streq(key, "nat") ? &g->nat : &g->dns_upstream) = b;
                return 0;
        }
        if (streq(key, "mtu")) {
                if (!v) {
                        g->mtu = 0;
                        return 0;
                }
                if (parse_uint64(v, &u) < 0 || u < 68 || u > 65535)
                        return -EINVAL;
                g->mtu = (uint32_t)u;
                return 0;
        }
        return -ENOENT;
}

int net_global_parse(const char *text, size_t len, const char *filename,
                     const char *const *sections, NetGlobal *ret, BerthError **reterr)
{
        NetGlobal g;
        net_global_init(&g);
        ConfigScalar *l = NULL;
        size_t n = 0;
        int r = 0;
        if (text)
                r = config_section_scalars(text, len, filename, "network", sections, &l, &n,
                                           reterr);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *key = config_escape(l[i].key);
                int k = global_set(&g, l[i].key, l[i].value);
                if (k == -ENOENT)
                        r = berth_error_setf(reterr, EBADMSG, "%s:%u:%u: unknown key 'network.%s'",
                                             filename, l[i].key_line, l[i].key_column, key);
                else if (k < 0) {
                        _cleanup_free_ char *val = config_escape(strempty(l[i].value));
                        r = berth_error_setf(reterr, EBADMSG,
                                             "%s:%u:%u: key 'network.%s': invalid value '%s'",
                                             filename, l[i].line, l[i].column, key, val);
                }
        }
        config_scalars_free(l, n);
        if (r >= 0) {
                /* What only the whole section can tell, named by file. */
                r = net_global_validate(&g, reterr);
                if (r < 0 && text)
                        r = berth_error_prefix(reterr, r, "%s", filename);
        }
        if (r < 0) {
                net_global_done(&g);
                return r;
        }
        *ret = g;
        return 0;
}

/* ---- the recorded state of a network that is up ------------------------------------------- */

#define STATE_MAGIC "berth-net-network 1"

char *net_global_to_string(const NetGlobal *g)
{
        return xasprintf(STATE_MAGIC "\n"
                                     "bridge %s\nipv4 %s\ndhcp_start %s\ndhcp_end %s\nipv6 %s\n"
                                     "domain %s\nnat %d\nuplink %s\ndns_upstream %d\nmtu %" PRIu32
                                     "\n",
                         g->bridge, g->ipv4, g->dhcp_start, g->dhcp_end, g->ipv6 ?: "-",
                         g->domain, g->nat, g->uplink ?: "-", g->dns_upstream, g->mtu);
}

static int set_string(char **field, const char *v, bool nullable)
{
        if (nullable && streq(v, "-")) {
                *field = mfree(*field);
                return 0;
        }
        free(*field);
        *field = xstrdup(v);
        return 0;
}

static int set_bool(bool *field, const char *v)
{
        if (!streq(v, "0") && !streq(v, "1"))
                return -EINVAL;
        *field = v[0] == '1';
        return 0;
}

int net_global_from_string(const char *text, NetGlobal *ret)
{
        NetGlobal g = {};
        int r = 0;
        size_t len = strlen(STATE_MAGIC);
        if (strncmp(text, STATE_MAGIC, len) != 0 || text[len] != '\n')
                return -EBADMSG;
        _cleanup_free_ char *copy = xstrdup(text + len + 1);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line && r >= 0;
             line = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(line, ' ');
                if (!sp || !sp[1] || strchr(sp + 1, ' ')) {
                        r = -EBADMSG;
                        break;
                }
                *sp = 0;
                const char *k = line, *v = sp + 1;
                if (streq(k, "bridge"))
                        r = set_string(&g.bridge, v, false);
                else if (streq(k, "ipv4"))
                        r = set_string(&g.ipv4, v, false);
                else if (streq(k, "dhcp_start"))
                        r = set_string(&g.dhcp_start, v, false);
                else if (streq(k, "dhcp_end"))
                        r = set_string(&g.dhcp_end, v, false);
                else if (streq(k, "ipv6"))
                        r = set_string(&g.ipv6, v, true);
                else if (streq(k, "domain"))
                        r = set_string(&g.domain, v, false);
                else if (streq(k, "nat"))
                        r = set_bool(&g.nat, v);
                else if (streq(k, "uplink"))
                        r = set_string(&g.uplink, v, true);
                else if (streq(k, "dns_upstream"))
                        r = set_bool(&g.dns_upstream, v);
                else if (streq(k, "mtu")) {
                        uint64_t u;
                        r = parse_uint64(v, &u);
                        if (r >= 0 && u > 65535)
                                r = -ERANGE;
                        g.mtu = (uint32_t)u;
                } else
                        r = -EBADMSG;
        }
        if (r >= 0 && net_global_validate(&g, NULL) < 0)
                r = -EBADMSG;
        if (r < 0) {
                net_global_done(&g);
                return -EBADMSG;
        }
        *ret = g;
        return 0;
}

char *net_network_dir(const char *rundir, const char *bridge)
{
        return xasprintf("%s/" NET_RUN_SUBDIR "/%s", rundir, bridge);
}

int net_network_read(const char *rundir, const char *bridge, NetGlobal *ret)
{
        _cleanup_free_ char *dir = net_network_dir(rundir, bridge);
        _cleanup_free_ char *path = path_join(dir, NET_NETWORK_STATE);
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, path, SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        NetGlobal g;
        r = net_global_from_string(text, &g);
        if (r < 0)
                return r;
        if (!streq(g.bridge, bridge)) {
                net_global_done(&g);
                return -EBADMSG;
        }
        *ret = g;
        return 0;
}
