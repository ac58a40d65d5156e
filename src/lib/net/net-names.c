/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names and MACs derived from container names, and prefixes. Pure. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net-internal.h"

uint64_t net_hash64(const void *data, size_t size, uint64_t seed)
{
        /* FNV-1a over the bytes, then splitmix64's finaliser: FNV alone leaves the high bits of
         * short inputs poorly mixed, and those become MAC bytes. */
        uint64_t h = 0xcbf29ce484222325ULL ^ seed;
        const uint8_t *p = data;
        for (size_t i = 0; i < size; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebULL;
        h ^= h >> 31;
        return h;
}

/* Seeds keep the uses apart: the name hash never equals a MAC's bytes by construction. */
enum {
        SEED_IFNAME = 1,
        SEED_MAC = 2,
        SEED_BRIDGE_MAC = 3,
        SEED_RESERVE = 4,
};

static uint64_t hash_name_index(const char *name, size_t index, uint64_t seed)
{
        char buf[128];
        int n = snprintf(buf, sizeof(buf), "%s/%zu", name, index);
        return net_hash64(buf, MIN((size_t)n, sizeof(buf) - 1), seed);
}

void net_veth_host_name(const char *container, size_t index, char ret[IFNAMSIZ])
{
        char buf[128];
        if (index == 0)
                snprintf(buf, sizeof(buf), NET_VETH_PREFIX "%s", container);
        else
                snprintf(buf, sizeof(buf), NET_VETH_PREFIX "%s_%zu", container, index);
        if (strlen(buf) < IFNAMSIZ) {
                memcpy(ret, buf, strlen(buf) + 1);
                return;
        }
        /* 3 + 5 + 1 + 6 = 15: the name's start for people, the hash for uniqueness. */
        uint64_t h = hash_name_index(container, index, SEED_IFNAME);
        snprintf(ret, IFNAMSIZ, NET_VETH_HASHED_PREFIX "%.5s_%06x", container,
                 (unsigned)(h & 0xffffff));
}

static void mac_from_hash(uint64_t h, uint8_t ret[ETH_ALEN_])
{
        for (size_t i = 0; i < ETH_ALEN_; i++)
                ret[i] = (uint8_t)(h >> (8 * i));
        /* Locally administered, unicast. */
        ret[0] = (uint8_t)((ret[0] & 0xfc) | 0x02);
}

void net_mac_from_name(const char *container, size_t index, uint8_t ret[ETH_ALEN_])
{
        mac_from_hash(hash_name_index(container, index, SEED_MAC), ret);
}

void net_mac_from_bridge(const char *bridge, uint8_t ret[ETH_ALEN_])
{
        mac_from_hash(net_hash64(bridge, strlen(bridge), SEED_BRIDGE_MAC), ret);
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int net_mac_parse(const char *s, uint8_t ret[ETH_ALEN_])
{
        if (!s || strlen(s) != 17)
                return -EINVAL;
        uint8_t mac[ETH_ALEN_];
        for (size_t i = 0; i < ETH_ALEN_; i++) {
                int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);
                if (hi < 0 || lo < 0 || (i < ETH_ALEN_ - 1 && s[i * 3 + 2] != ':'))
                        return -EINVAL;
                mac[i] = (uint8_t)(hi << 4 | lo);
        }
        memcpy(ret, mac, ETH_ALEN_);
        return 0;
}

const char *net_mac_to_string(const uint8_t mac[ETH_ALEN_], char buf[18])
{
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                 mac[4], mac[5]);
        return buf;
}

int net_reserve_address(const NetGlobal *g, const char *container, size_t index,
                        const InAddr *used, size_t n_used, InAddr *ret)
{
        NetPrefix bridge;
        InAddr start, end;
        if (net_prefix_parse(g->ipv4, AF_INET, &bridge) < 0 ||
            in_addr_parse(g->dhcp_start, AF_INET, NULL, &start) < 0 ||
            in_addr_parse(g->dhcp_end, AF_INET, NULL, &end) < 0)
                return -EINVAL;
        uint32_t lo = in4_addr_to_host(&start), hi = in4_addr_to_host(&end);
        if (lo > hi)
                return -EINVAL;
        uint64_t span = (uint64_t)hi - lo + 1;
        /* The same container lands on the same address run after run, unless it is taken. */
        uint64_t first = hash_name_index(container, index, SEED_RESERVE) % span;
        for (uint64_t k = 0; k < span; k++) {
                InAddr a = in4_addr_from_host((uint32_t)(lo + (first + k) % span));
                bool taken = in_addr_equal(AF_INET, &a, &bridge.addr);
                for (size_t i = 0; i < n_used && !taken; i++)
                        taken = in_addr_equal(AF_INET, &a, &used[i]);
                if (!taken) {
                        *ret = a;
                        return 0;
                }
        }
        return -ENOSPC;
}

/* ---- prefixes ------------------------------------------------------------------------------- */

int net_prefix_parse(const char *s, int family, NetPrefix *ret)
{
        NetPrefix p = {};
        int r = in_addr_prefix_parse(s, family, &p.family, &p.addr, &p.prefix);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

char *net_prefix_to_string(const NetPrefix *p)
{
        char buf[INET6_ADDRSTRLEN];
        return xasprintf("%s/%u", in_addr_to_string(p->family, &p->addr, buf), p->prefix);
}

bool net_prefix_contains(const NetPrefix *p, int family, const InAddr *a)
{
        return p->family == family && in_addr_prefix_contains(family, &p->addr, p->prefix, a);
}

bool net_prefix_overlaps(const NetPrefix *a, const NetPrefix *b)
{
        if (a->family != b->family || a->family == AF_UNSPEC)
                return false;
        unsigned shorter = MIN(a->prefix, b->prefix);
        return in_addr_prefix_contains(a->family, &a->addr, shorter, &b->addr);
}
