/* What a path carries, in sizes (pathsize.c): MTU plateaus, header sizes, the least every path carries, and the
 * names of the ICMP messages that report a smaller MTU.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_PATHSIZE_H
#define CONNLOST_PATHSIZE_H

#include "registry.h"

/* The IP and TCP headers of the side's packets (timestamps when both SYNs carried them). Inline: asked on every
 * segment and acknowledgement. */
static inline uint32_t cl_header_bytes(const cl_conv *conv, const cl_side *s)
{
    return cl_ip_header_len(s->addr.family) + 20 + (conv->side[0].timestamps && conv->side[1].timestamps ? 12 : 0);
}
/* "ICMP fragmentation needed" / "ICMPv6 Packet Too Big", and how to name them in a firewall rule. */
const char *cl_ptb_name(const cl_side *s);
const char *cl_ptb_filter(const cl_side *s);
/* Below this a loss says nothing about the MTU. */
uint32_t cl_mtu_floor(const cl_side *s);

#endif
