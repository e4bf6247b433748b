/* Who really sent a RST: the endpoint whose address it carries, or a device on the path that forged it.
 *
 * Three independent signs, each from what the capture shows of that endpoint itself:
 * - TTL: a host sends every packet of a connection with the same initial TTL over the same path, so the
 *   TTL seen at one capture point is constant per sender; a RST with another TTL started elsewhere.
 * - Timing: the endpoint can only answer a packet after it reached it. A RST that answers the other
 *   side's packet (no ACK flag, its sequence number is that packet's ACK) faster than half the time the
 *   endpoint's kernel took to answer the handshake came from closer by. It never overrules a matching TTL.
 * - IPv4 ID: an endpoint that numbers its packets with a per-connection counter continues it in its own
 *   RST (Linux does for an abortive close); a RST outside the run came from elsewhere (weak).
 * Data still arriving from the endpoint after "its" RST is checked in idle.c.
 * Works at either vantage point and for any initial TTL (64, 128, 255).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#define MIN_ANSWER_USEFUL 0.002 /* answers faster than 2 ms say nothing about where a RST came from */
#define ID_RUN_USEFUL 3         /* consecutive small ID steps before the counter is trusted */
#define ID_STEP_MAX 16

void cl_rst_baseline(cl_conv *conv, int from, const cl_packet *pkt)
{
    cl_side *s = &conv->side[from];
    if (pkt->tcp_flags & CL_TCP_RST)
        return;
    if (pkt->ip.ttl) {
        s->ttl = pkt->ip.ttl;
        s->ttl_frame = pkt->frame;
    }
    if (pkt->ip.src.family == 4) {
        uint16_t step = (uint16_t)(pkt->ip.id - s->last_ip_id);
        s->ip_id_run = step >= 1 && step <= ID_STEP_MAX ? (uint8_t)MIN(s->ip_id_run + 1, 255) : 0;
        s->last_ip_id = (uint16_t)pkt->ip.id;
    }
}

cl_rst_origin_t cl_rst_origin(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    const cl_side *s = &conv->side[from], *other = &conv->side[!from];
    cl_result *r = cl_result_for(eng, res, conv);
    int forged = 0, genuine = 0;
    bool ttl_match = false, too_fast = false;
    GString *why = g_string_new(NULL);

    r->rst_ttl = pkt->ip.ttl;
    r->rst_ttl_expected = s->ttl;
    r->rst_min_delay = s->min_answer;
    int ttl_diff = (int)pkt->ip.ttl - (int)s->ttl;
    if (s->ttl && pkt->ip.ttl) {
        if (ABS(ttl_diff) > (int)eng->cfg.rst_ttl_tolerance) {
            forged += 3;
            g_string_append_printf(why, "; TTL %u where its own packets arrive with %u (frame %u): %d hop(s) %s",
                                   pkt->ip.ttl, s->ttl, s->ttl_frame, ABS(ttl_diff),
                                   ttl_diff > 0 ? "closer to the capture point" : "farther away");
        } else {
            genuine += 2;
            ttl_match = true;
        }
    }
    /* A RST without ACK whose sequence number is the other side's latest ACK answers that packet. */
    bool answers = other->last_frame && other->latest_had_ack && !(pkt->tcp_flags & CL_TCP_ACK) &&
                   pkt->seq == other->latest_ack && pkt->time >= other->last_time;
    if (answers) {
        r->rst_answers = other->last_frame;
        r->rst_delay = pkt->time - other->last_time;
        if (s->min_answer >= MIN_ANSWER_USEFUL) {
            if (r->rst_delay < s->min_answer / 2) {
                forged += 3;
                too_fast = true;
                g_string_append_printf(why,
                                       "; it answered frame %u after %.1f ms, but the %s never answered faster than "
                                       "%.1f ms",
                                       other->last_frame, r->rst_delay * 1000, cl_role(from), s->min_answer * 1000);
            } else
                genuine += 1;
        }
    }
    if (pkt->ip.src.family == 4 && s->ip_id_run >= ID_RUN_USEFUL) {
        uint16_t step = (uint16_t)(pkt->ip.id - s->last_ip_id);
        if (step >= 1 && step <= ID_STEP_MAX)
            genuine += 1;
        else
            forged += 1;
    }

    cl_rst_origin_t origin = CL_RST_UNKNOWN;
    if (ttl_match && too_fast)
        origin = CL_RST_UNKNOWN; /* the signs disagree: timing alone does not overrule the endpoint's own TTL */
    else if (forged >= 3 && forged > genuine)
        origin = CL_RST_FORGED;
    else if (genuine >= 2 && genuine > forged)
        origin = CL_RST_GENUINE;

    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    switch (origin) {
    case CL_RST_FORGED:
        r->rst_origin = "middlebox";
        r->experts |= CL_EXP_MIDDLEBOX_RESET;
        cl_result_note(r, g_strdup_printf("RST in the name of %s (the %s) sent by a device on the path%s", who,
                                          cl_role(from), why->str));
        break;
    case CL_RST_GENUINE:
        r->rst_origin = cl_role(from);
        if (!conv->handshake_seen)
            cl_result_note(r, g_strdup("no handshake in the capture: client and server were told apart by "
                                       "their ports (the higher one is the client's)"));
        break;
    default:
        r->rst_origin = "unknown";
        break;
    }
    g_string_free(why, TRUE);
    return origin;
}
