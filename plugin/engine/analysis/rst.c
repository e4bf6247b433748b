/* Who really sent a RST: the endpoint whose address it carries, or a device on the path that forged it.
 * Publishes the origin in cl_facts for the analyses after it.
 *
 * Three independent signs, each from what the capture shows of that endpoint itself:
 * - TTL: a host sends every packet of a connection with the same initial TTL over the same path, so the
 *   TTL seen at one capture point is constant per sender; a RST with another TTL started elsewhere.
 * - Timing: the endpoint can only answer a packet after it reached it. A RST that answers the other
 *   side's packet (no ACK flag, its sequence number is that packet's ACK) faster than half the time the
 *   endpoint's kernel took to answer the handshake came from closer by. It never overrules a matching TTL.
 * - IPv4 ID: an endpoint that numbers its packets with a per-connection counter continues it in its own
 *   RST (Linux does for an abortive close); a RST outside the run came from elsewhere (weak).
 * Data still arriving from the endpoint after "its" RST is checked by the idle analysis.
 * Works at either vantage point and for any initial TTL (64, 128, 255).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "registry.h"

#include <string.h>

#define MIN_ANSWER_USEFUL 0.002 /* answers faster than 2 ms say nothing about where a RST came from */
#define ID_RUN_USEFUL 3         /* consecutive small ID steps before the counter is trusted */
#define ID_STEP_MAX 16

#define TTLS_KEPT 4 /* an endpoint's packets may arrive with two TTLs (two paths; kernel and offload path) */

/* What an endpoint's own packets look like at the capture point. */
typedef struct {
    uint32_t ttl_frame;
    uint16_t last_ip_id;     /* IPv4 ID of its latest non-RST packet */
    uint8_t ttl;             /* TTL / hop limit of its latest non-RST packet */
    uint8_t ip_id_run;       /* consecutive small ID increments: a per-connection counter */
    uint8_t ttls[TTLS_KEPT]; /* every TTL its packets came with on this connection, its SYN's first */
    uint8_t n_ttls;
} rst_side;

typedef struct {
    rst_side side[2];
} rst_slot;

/* The TTLs a server address's own packets (its SYN-ACKs above all) arrive with, across the capture: the baseline
 * for a RST in its name on a connection where it sent nothing else (a refused SYN). */
typedef struct {
    cl_addr addr;
    uint8_t ttls[TTLS_KEPT];
    uint8_t n_ttls;
    cl_lru_node node;
} server_ttls;

typedef struct {
    cl_lru servers;
} rst_state;

static void ttl_add(uint8_t *ttls, uint8_t *n, uint8_t ttl)
{
    for (unsigned i = 0; i < *n; i++)
        if (ttls[i] == ttl)
            return;
    if (*n < TTLS_KEPT)
        ttls[(*n)++] = ttl;
}

static void server_evict(void *entry, void *data)
{
    server_ttls *s = entry;
    cl_lru_remove(data, &s->addr, s, &s->node);
    g_free(s);
}

static void *rst_init(cl_ctx *x, size_t slot)
{
    (void)slot;
    rst_state *st = g_new0(rst_state, 1);
    cl_lru_init(&st->servers, cl_addr_hash, cl_addr_equal, x->cfg->max_pairs, sizeof(server_ttls) + CL_ENTRY_BYTES);
    cl_lru_describe(&st->servers, "server addresses", "max_pairs",
                    "the TTLs of the least recently seen ones are forgotten", server_evict, &st->servers);
    cl_core_add_table(x, &st->servers);
    return st;
}

static void rst_free(void *state)
{
    rst_state *st = state;
    cl_lru_destroy(&st->servers);
    g_free(st);
}

static void server_seen(rst_state *st, const cl_addr *addr, uint8_t ttl)
{
    server_ttls *s = cl_lru_lookup(&st->servers, addr);
    if (!s) {
        cl_lru_make_room(&st->servers);
        s = g_new0(server_ttls, 1);
        s->addr = *addr;
        cl_lru_insert(&st->servers, &s->addr, s, &s->node);
    } else {
        cl_lru_touch(&st->servers, &s->node);
    }
    ttl_add(s->ttls, &s->n_ttls, ttl);
}

static void rst_baseline(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    (void)x;
    rst_side *s = &((rst_slot *)slot)->side[facts->from];
    if (pkt->tcp_flags & CL_TCP_RST)
        return;
    if (pkt->ip.ttl) {
        s->ttl = pkt->ip.ttl;
        s->ttl_frame = pkt->frame;
        ttl_add(s->ttls, &s->n_ttls, pkt->ip.ttl);
        if (facts->from == 1 && (pkt->tcp_flags & CL_TCP_SYN)) /* the server's own SYN-ACK */
            server_seen(state, &conv->side[1].addr, pkt->ip.ttl);
    }
    if (pkt->ip.src.family == 4) {
        uint16_t step = (uint16_t)(pkt->ip.id - s->last_ip_id);
        s->ip_id_run = step >= 1 && step <= ID_STEP_MAX ? (uint8_t)MIN(s->ip_id_run + 1, 255) : 0;
        s->last_ip_id = (uint16_t)pkt->ip.id;
    }
}

/* Signs for and against the endpoint, and the reasons against it. */
typedef struct {
    int forged, genuine;
    bool ttl_match, too_fast;
    cl_text *why; /* what the signs of a forgery say, made when one does: most RSTs are their sender's own */
} signs;

static cl_text *why_of(signs *g)
{
    if (!g->why)
        g->why = cl_text_new();
    return g->why;
}

/* The RST is compared with every TTL the endpoint's own packets came with on this connection: the one it
 * matches, else the latest. */
static uint8_t ttl_matched(const uint8_t *ttls, unsigned n, uint8_t latest, uint8_t ttl, unsigned tolerance)
{
    for (unsigned i = 0; i < n; i++)
        if (ABS((int)ttl - (int)ttls[i]) <= (int)tolerance)
            return ttls[i];
    return latest;
}

/* The TTL the RST should have: what the endpoint's own packets showed on this connection, else, for a server
 * that sent nothing on it (a SYN answered by a RST), what it showed on the capture's other connections. */
static uint8_t ttl_expected(const rst_state *st, const cl_conv *conv, const rst_side *rs, int from, uint8_t ttl,
                            unsigned tolerance)
{
    if (rs->n_ttls || from != 1)
        return ttl_matched(rs->ttls, rs->n_ttls, rs->ttl, ttl, tolerance);
    const server_ttls *s = cl_lru_lookup(&st->servers, &conv->side[1].addr);
    return s ? ttl_matched(s->ttls, s->n_ttls, s->ttls[0], ttl, tolerance) : 0;
}

static void judge_ttl(signs *g, const rst_side *s, const cl_packet *pkt, unsigned tolerance, uint8_t expected)
{
    int ttl_diff = (int)pkt->ip.ttl - (int)expected;
    if (!expected || !pkt->ip.ttl)
        return;
    if (ABS(ttl_diff) > (int)tolerance) {
        g->forged += 3;
        const char *how_far = ttl_diff > 0 ? "closer to the capture point" : "farther away";
        if (s->ttl_frame)
            cl_text_add(why_of(g), "; TTL %u where its own packets arrive with %u (frame %u): %d hop(s) %s",
                        pkt->ip.ttl, expected, s->ttl_frame, ABS(ttl_diff), how_far);
        else
            cl_text_add(
                why_of(g),
                "; TTL %u where its own packets arrive with %u (its SYN-ACKs on other connections): %d hop(s) %s",
                pkt->ip.ttl, expected, ABS(ttl_diff), how_far);
    } else {
        g->genuine += 2;
        g->ttl_match = true;
    }
}

/* A RST without ACK whose sequence number is the other side's latest ACK answers that packet. */
static void judge_timing(signs *g, cl_result *r, const cl_side *s, const cl_side *other, int from, const cl_packet *pkt)
{
    bool answers = other->last_frame && other->latest_had_ack && !(pkt->tcp_flags & CL_TCP_ACK) &&
                   pkt->seq == other->latest_ack && pkt->time >= other->last_time;
    if (!answers)
        return;
    r->rst_answers = other->last_frame;
    r->rst_delay = pkt->time - other->last_time;
    if (s->min_answer < MIN_ANSWER_USEFUL)
        return;
    if (r->rst_delay < s->min_answer / 2) {
        g->forged += 3;
        g->too_fast = true;
        cl_text_add(why_of(g), "; it answered frame %u after %.1f ms, but the %s never answered faster than %.1f ms",
                    other->last_frame, r->rst_delay * 1000, cl_role(from), s->min_answer * 1000);
    } else {
        g->genuine += 1;
    }
}

static void judge_ip_id(signs *g, const rst_side *s, const cl_packet *pkt)
{
    if (pkt->ip.src.family != 4 || s->ip_id_run < ID_RUN_USEFUL)
        return;
    uint16_t step = (uint16_t)(pkt->ip.id - s->last_ip_id);
    if (step >= 1 && step <= ID_STEP_MAX)
        g->genuine += 1;
    else
        g->forged += 1;
}

static cl_rst_origin rst_origin(const rst_state *st, cl_ctx *x, cl_conv *conv, const rst_slot *slot, int from,
                                const cl_packet *pkt)
{
    const cl_side *s = &conv->side[from], *other = &conv->side[!from];
    const rst_side *rs = &slot->side[from];
    cl_result *r = cl_res(x, conv);
    signs g = {.why = NULL};
    uint8_t expected = ttl_expected(st, conv, rs, from, pkt->ip.ttl, x->cfg->rst_ttl_tolerance);
    r->rst_ttl = pkt->ip.ttl;
    r->rst_ttl_expected = expected;
    r->rst_min_delay = s->min_answer;
    judge_ttl(&g, rs, pkt, x->cfg->rst_ttl_tolerance, expected);
    judge_timing(&g, r, s, other, from, pkt);
    judge_ip_id(&g, rs, pkt);

    cl_rst_origin origin = CL_RST_UNKNOWN;
    if (g.ttl_match && g.too_fast)
        origin = CL_RST_UNKNOWN; /* the signs disagree: timing alone does not overrule the endpoint's own TTL */
    else if (g.forged >= 3 && g.forged > g.genuine)
        origin = CL_RST_FORGED;
    else if (g.genuine >= 2 && g.genuine > g.forged)
        origin = CL_RST_GENUINE;
    /* a client's RST to a SYN-ACK before the connection got established (a cancelled attempt, a scanner's raw SYN
     * answered by its kernel) proves nothing by its TTL */
    if (origin == CL_RST_FORGED && from == 0 && !conv->established)
        origin = CL_RST_UNKNOWN;

    char who[80];
    switch (origin) {
    case CL_RST_FORGED:
        r->rst_origin = "middlebox";
        r->experts |= CL_EXP_MIDDLEBOX_RESET;
        cl_addr_format(&s->addr, s->port, who, sizeof(who));
        cl_result_say(r, "RST in the name of %s (the %s) sent by a device on the path", who, cl_role(from));
        cl_text_append(r->note, g.why);
        break;
    case CL_RST_GENUINE:
        r->rst_origin = cl_role(from);
        if (!conv->handshake_seen)
            cl_result_say(r, "no handshake in the capture: client and server were told apart by "
                             "their ports (the higher one is the client's)");
        break;
    default:
        r->rst_origin = "unknown";
        break;
    }
    cl_text_free(g.why);
    return origin;
}

static void rst_on_tcp(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    if (pkt->tcp_flags & CL_TCP_RST)
        facts->origin = rst_origin(state, x, conv, slot, facts->from, pkt);
}

static void rst_side_reset(void *slot, int side) { memset(&((rst_slot *)slot)->side[side], 0, sizeof(rst_side)); }

static const cl_pref rst_prefs[] = {
    CL_PREF(rst_ttl_tolerance, "RST origin: TTL tolerance (hops)",
            "How far a RST's TTL may differ from its endpoint's own packets and still be the endpoint's", 0, 0, 255),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_rst = {
    .name = "rst",
    .prefs = rst_prefs,
    .slot_size = sizeof(rst_slot),
    .init = rst_init,
    .free = rst_free,
    .on_tcp = rst_on_tcp,
    .after_tcp = rst_baseline,
    .side_reset = rst_side_reset,
};
