/* Who really sent a RST: the endpoint whose address it carries, or a device on the path that forged it.
 *
 * A host sends every packet of a connection with the same initial TTL over the same path, so the TTL
 * seen at one capture point is constant per sender. A RST whose TTL differs from that sender's own
 * earlier packets by more than the tolerance came from another box (a firewall or load balancer
 * answering for it). Works at either vantage point and for any initial TTL (64, 128, 255).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#define TTL_TOLERANCE 1 /* route flaps of one hop happen; a forged RST is usually several hops off */

static const char *role(int side) { return side == 0 ? "client" : "server"; }

void cl_rst_baseline(cl_conv *conv, int from, const cl_packet *pkt)
{
    cl_side *s = &conv->side[from];
    if (!(pkt->tcp_flags & CL_TCP_RST) && pkt->ip.ttl) {
        s->ttl = pkt->ip.ttl;
        s->ttl_frame = pkt->frame;
    }
}

void cl_rst_origin(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    const cl_side *s = &conv->side[from];
    cl_result *r = cl_result_for(eng, res, conv);
    r->has |= CL_HAS_RST;
    r->rst_ttl = pkt->ip.ttl;
    r->rst_ttl_expected = s->ttl;
    if (!s->ttl || !pkt->ip.ttl) {
        r->rst_origin = "unknown"; /* nothing else from that address yet to compare with */
        return;
    }
    int diff = (int)pkt->ip.ttl - (int)s->ttl;
    if (diff >= -TTL_TOLERANCE && diff <= TTL_TOLERANCE) {
        r->rst_origin = role(from);
        if (!conv->handshake_seen)
            cl_result_note(r, g_strdup("no handshake in the capture: client and server were told apart by "
                                       "their ports (the higher one is the client's)"));
        return;
    }
    r->rst_origin = "middlebox";
    r->experts |= CL_EXP_MIDDLEBOX_RESET;
    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    cl_result_note(r, g_strdup_printf("RST in the name of %s (the %s) with TTL %u, but its own packets arrive with TTL "
                                      "%u (frame %u): it started %d hop(s) %s the capture point, so a device on the "
                                      "path sent it",
                                      who, role(from), pkt->ip.ttl, s->ttl, s->ttl_frame, diff > 0 ? diff : -diff,
                                      diff > 0 ? "closer to" : "farther from"));
}
