/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "in-addr-util.h"
#include "parse.h"

size_t in_addr_size(int family)
{
        return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

int in_addr_parse(const char *s, int family, int *ret_family, InAddr *ret)
{
        InAddr a = {};
        if (!s || strlen(s) >= INET6_ADDRSTRLEN)
                return -EINVAL;
        if ((family == AF_UNSPEC || family == AF_INET) && inet_pton(AF_INET, s, &a.in) == 1)
                family = AF_INET;
        else if ((family == AF_UNSPEC || family == AF_INET6) && inet_pton(AF_INET6, s, &a.in6) == 1)
                family = AF_INET6;
        else
                return -EINVAL;
        if (ret_family)
                *ret_family = family;
        if (ret)
                *ret = a;
        return 0;
}

int in_addr_prefix_parse(const char *s, int family, int *ret_family, InAddr *ret,
                         unsigned *ret_prefix)
{
        if (!s)
                return -EINVAL;
        const char *slash = strchr(s, '/');
        if (!slash || (size_t)(slash - s) >= INET6_ADDRSTRLEN)
                return -EINVAL;
        char addr[INET6_ADDRSTRLEN];
        memcpy(addr, s, slash - s);
        addr[slash - s] = 0;

        /* One to three digits, so "/024" and "/+8" stay out. */
        const char *p = slash + 1;
        size_t plen = strlen(p);
        if (plen < 1 || plen > 3 || (plen > 1 && p[0] == '0'))
                return -EINVAL;
        uint64_t prefix;
        if (parse_uint64(p, &prefix) < 0)
                return -EINVAL;

        int f;
        InAddr a;
        if (in_addr_parse(addr, family, &f, &a) < 0)
                return -EINVAL;
        if (prefix > in_addr_size(f) * 8)
                return -EINVAL;
        if (ret_family)
                *ret_family = f;
        if (ret)
                *ret = a;
        if (ret_prefix)
                *ret_prefix = (unsigned)prefix;
        return 0;
}

const char *in_addr_to_string(int family, const InAddr *a, char *buf)
{
        if (!inet_ntop(family, a, buf, INET6_ADDRSTRLEN))
                strcpy(buf, "?");
        return buf;
}

InAddr in_addr_mask(int family, const InAddr *a, unsigned prefix)
{
        InAddr r = *a;
        size_t n = in_addr_size(family);
        for (size_t i = 0; i < n; i++) {
                unsigned bit = (unsigned)i * 8;
                if (bit >= prefix)
                        r.bytes[i] = 0;
                else if (prefix - bit < 8)
                        r.bytes[i] &= (uint8_t)(0xff << (8 - (prefix - bit)));
        }
        return r;
}

bool in_addr_equal(int family, const InAddr *a, const InAddr *b)
{
        return memcmp(a, b, in_addr_size(family)) == 0;
}

bool in_addr_prefix_contains(int family, const InAddr *net, unsigned prefix, const InAddr *a)
{
        InAddr x = in_addr_mask(family, net, prefix), y = in_addr_mask(family, a, prefix);
        return in_addr_equal(family, &x, &y);
}

uint32_t in4_addr_to_host(const InAddr *a)
{
        return ntohl(a->in.s_addr);
}

InAddr in4_addr_from_host(uint32_t v)
{
        InAddr a = {};
        a.in.s_addr = htonl(v);
        return a;
}
