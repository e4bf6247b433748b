/* What a path carries, in sizes.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pathsize.h"

/* RFC 1191 plateaus: the largest one in [above, below); `above` if none fits. */
uint32_t cl_pmtu_plateau(uint32_t above, uint32_t below)
{
    static const uint32_t plateaus[] = {65535, 32000, 17914, 8166, 4352, 2002, 1500,
                                        1492,  1280,  1006,  576,  508,  296,  68};
    for (size_t i = 0; i < G_N_ELEMENTS(plateaus); i++)
        if (plateaus[i] < below && plateaus[i] >= above)
            return plateaus[i];
    return above;
}

const char *cl_ptb_name(const cl_side *s)
{
    return s->addr.family == 6 ? "ICMPv6 Packet Too Big" : "ICMP fragmentation needed";
}

const char *cl_ptb_filter(const cl_side *s) { return s->addr.family == 6 ? "ICMPv6 type 2" : "ICMP type 3 code 4"; }

/* Below these sizes a loss says nothing about the MTU: every IPv4 path carries 576 bytes
 * (RFC 1122 reassembly minimum, and in practice every link), every IPv6 path 1280. */
uint32_t cl_mtu_floor(const cl_side *s) { return s->addr.family == 6 ? 1280 : 576; }
