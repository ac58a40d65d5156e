/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* IPv4/IPv6 addresses and prefixes as plain data: parsing, formatting, subnet arithmetic. */

#include <netinet/in.h>
#include <stdint.h>

#include "macro.h"

typedef union InAddr {
        struct in_addr in;
        struct in6_addr in6;
        uint8_t bytes[16];
} InAddr;

/* Large enough for either family's text, with a "/128" prefix. */
#define IN_ADDR_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

/* Bytes of an address of family (4 or 16); 0 for any other family. */
size_t in_addr_size(int family);
/* Parses a bare address. family AF_UNSPEC accepts either and reports which in *ret_family. */
int in_addr_parse(const char *s, int family, int *ret_family, InAddr *ret);
/* Parses "ADDR/PREFIX" (the prefix is required: one to three digits, no sign, no leading zero). */
int in_addr_prefix_parse(const char *s, int family, int *ret_family, InAddr *ret,
                         unsigned *ret_prefix);
/* Text of an address into buf (at least INET6_ADDRSTRLEN bytes); returns buf. */
const char *in_addr_to_string(int family, const InAddr *a, char *buf);
/* a with every bit past prefix cleared (the network address). */
InAddr in_addr_mask(int family, const InAddr *a, unsigned prefix);
/* True when a lies in net/prefix. */
bool in_addr_prefix_contains(int family, const InAddr *net, unsigned prefix, const InAddr *a);
bool in_addr_equal(int family, const InAddr *a, const InAddr *b);
/* IPv4 only: host-order value and back. */
uint32_t in4_addr_to_host(const InAddr *a);
InAddr in4_addr_from_host(uint32_t v);
