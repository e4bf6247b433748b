/* Connections that never get established: SYNs never answered (connect-timeout), refused by the server host
 * itself (connect-refused) or by a device on the path, with a forged RST or an ICMP unreachable
 * (connect-blocked). Who sent a RST comes from the RST analysis, which judges a RST to a SYN against the TTLs the
 * same server showed on the capture's other connections; without them its origin is unknown and connlost says
 * so, preferring connect-refused at low confidence to a guess.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "registry.h"

#include <string.h>

/* One connection attempt. */
typedef struct {
    uint32_t syns;
    uint32_t first_syn_frame, last_syn_frame;
    double first_syn_time, last_syn_time;
    double last_interval; /* between its last two SYNs */
    bool answered;        /* a SYN-ACK came */
} connect_slot;

typedef struct {
    size_t slot;
} connect_state;

/* A host's initial TTL is 64, 128 or 255: the hops a packet crossed to the capture point. */
static unsigned hops_from(uint8_t ttl) { return (ttl <= 64 ? 64u : ttl <= 128 ? 128u : 255u) - ttl; }

static void attempt_numbers(cl_finding *f, const connect_slot *c, double until, uint32_t refusal)
{
    f->num.has |= CL_HAS_SYNS | CL_HAS_CONNECT_TIME | (refusal ? CL_HAS_BLOCK_FRAME : 0);
    f->num.syns = c->syns;
    f->num.connect_time = until - c->first_syn_time;
    f->num.block_frame = refusal;
    cl_finding_evidence(f, c->first_syn_frame);
    cl_finding_evidence(f, c->last_syn_frame);
    cl_finding_evidence(f, refusal);
}

static void who(const cl_conv *conv, int side, char *buf, size_t len)
{
    cl_addr_format(&conv->side[side].addr, conv->side[side].port, buf, len);
}

/* The SYN was answered by a RST,ACK in the server's name. */
static void refused(cl_ctx *x, cl_conv *conv, const connect_slot *c, cl_rst_origin origin, const cl_packet *pkt)
{
    char client[80], server[80];
    who(conv, 0, client, sizeof(client));
    who(conv, 1, server, sizeof(server));
    cl_finding f;
    if (origin == CL_RST_FORGED) {
        cl_finding_begin(&f, CL_CAUSE_CONNECT_BLOCKED, 85);
        cl_finding_say(&f,
                       "The connection from %s to %s was refused by a device on the path: %u SYN(s), answered by a "
                       "RST forged in the server's name (frame %u, TTL %u: %u hop(s) from the capture point, unlike "
                       "the server's own packets); remedy: the firewall's rules for this port",
                       client, server, c->syns, pkt->frame, pkt->ip.ttl, hops_from(pkt->ip.ttl));
    } else {
        bool known = origin == CL_RST_GENUINE;
        cl_finding_begin(&f, CL_CAUSE_CONNECT_REFUSED, known ? 85 : 55);
        cl_finding_say(&f, "The connection from %s to %s was refused: %u SYN(s), answered by a RST,ACK (frame %u)",
                       client, server, c->syns, pkt->frame);
        if (known)
            cl_finding_say(&f, " from the server host itself (its TTL is the server's): nothing listens on the port; "
                               "remedy: start the service, or connect to the port it listens on");
        else
            cl_finding_say(&f, "; whether the server host or a device on the path sent it the capture cannot tell (no "
                               "other packet of the server to compare its TTL with): nothing listens on the port, or "
                               "a firewall refuses it");
    }
    attempt_numbers(&f, c, pkt->time, pkt->frame);
    cl_finding_propose(x, conv, &f);
}

/* Enough SYNs went unanswered: the attempt is timing out (withdrawn if a SYN-ACK still comes). */
static void timing_out(cl_ctx *x, cl_conv *conv, const connect_slot *c)
{
    char client[80], server[80], t[40];
    who(conv, 0, client, sizeof(client));
    who(conv, 1, server, sizeof(server));
    double gives_up = c->last_syn_time + 2 * c->last_interval; /* the back-off it waits after its last SYN */
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_CONNECT_TIMEOUT, (uint8_t)MIN(70 + 5 * (c->syns - x->cfg->connect_syn_min), 90));
    cl_finding_say(&f,
                   "The connection from %s to %s timed out: %u SYN(s) with back-off (frames %u-%u), none answered; the "
                   "client gives up about %s after its first SYN. A firewall drops them or the server is down or "
                   "unreachable; remedy: the path's filters for this port, the server",
                   client, server, c->syns, c->first_syn_frame, c->last_syn_frame,
                   cl_duration(gives_up - c->first_syn_time, t, sizeof(t)));
    attempt_numbers(&f, c, gives_up, 0);
    cl_finding_propose(x, conv, &f);
}

static void connect_on_tcp(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    (void)state;
    connect_slot *c = slot;
    uint8_t flags = pkt->tcp_flags & (CL_TCP_SYN | CL_TCP_ACK | CL_TCP_RST);
    if (conv->established || !conv->handshake_seen)
        return;
    if (facts->from == 0 && flags == CL_TCP_SYN) {
        if (c->syns)
            c->last_interval = pkt->time - c->last_syn_time;
        else {
            c->first_syn_frame = pkt->frame;
            c->first_syn_time = pkt->time;
        }
        c->syns++;
        c->last_syn_frame = pkt->frame;
        c->last_syn_time = pkt->time;
        if (!c->answered && c->syns >= x->cfg->connect_syn_min)
            timing_out(x, conv, c);
    } else if (facts->from == 1 && flags == (CL_TCP_SYN | CL_TCP_ACK) && !c->answered) {
        c->answered = true;
        cl_verdict_withdraw(x->verdicts, conv, CL_CAUSE_CONNECT_TIMEOUT, &x->frame,
                            "the server answered the connection attempt after %u SYN(s): it came up "
                            "late, no failure",
                            c->syns);
    } else if (facts->from == 1 && flags == (CL_TCP_RST | CL_TCP_ACK) && c->syns && pkt->ack == conv->side[0].isn + 1) {
        refused(x, conv, c, facts->origin, pkt);
    }
}

/* ICMP destination unreachable codes that refuse an attempt: network / host / port unreachable, network or host
 * prohibited, communication administratively prohibited (RFC 1812); ICMPv6 administratively prohibited, port
 * unreachable, source address failed policy, reject route (RFC 4443). */
static const char *refusing_code(const cl_packet *pkt)
{
    if (pkt->ip.proto == 1 && pkt->icmp_type == 3) {
        static const char *const v4[] = {[0] = "network unreachable",
                                         [1] = "host unreachable",
                                         [3] = "port unreachable",
                                         [9] = "network administratively prohibited",
                                         [10] = "host administratively prohibited",
                                         [13] = "communication administratively prohibited"};
        return pkt->icmp_code < G_N_ELEMENTS(v4) ? v4[pkt->icmp_code] : NULL;
    }
    if (pkt->ip.proto == 58 && pkt->icmp_type == 1) {
        static const char *const v6[] = {[1] = "administratively prohibited",
                                         [4] = "port unreachable",
                                         [5] = "source address failed policy",
                                         [6] = "reject route to destination"};
        return pkt->icmp_code < G_N_ELEMENTS(v6) ? v6[pkt->icmp_code] : NULL;
    }
    return NULL;
}

static void connect_on_icmp(void *state, cl_ctx *x, const cl_packet *pkt)
{
    const char *code = refusing_code(pkt);
    if (!code || pkt->inner.proto != 6)
        return;
    cl_tuple t;
    cl_tuple_make(&t, &pkt->inner.src, pkt->inner_sport, &pkt->inner.dst, pkt->inner_dport, 6);
    cl_conv *conv = cl_conv_lookup(x->convs, &t);
    if (!conv || conv->established || cl_side_of(conv, &pkt->inner.src, pkt->inner_sport) != 0)
        return;
    const connect_slot *c = cl_conv_slot(conv, ((const connect_state *)state)->slot);
    if (!c->syns || c->answered)
        return;
    char client[80], server[80], sender[64];
    who(conv, 0, client, sizeof(client));
    who(conv, 1, server, sizeof(server));
    cl_addr_format(&pkt->ip.src, 0, sender, sizeof(sender));
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_CONNECT_BLOCKED, 90);
    cl_finding_say(&f,
                   "The connection from %s to %s was refused by a device on the path: %u SYN(s), answered by an %s "
                   "destination unreachable (%s) from %s, %u hop(s) from the capture point (frame %u); remedy: that "
                   "device's rules or routes for this destination",
                   client, server, c->syns, pkt->ip.proto == 58 ? "ICMPv6" : "ICMP", code, sender,
                   hops_from(pkt->ip.ttl), pkt->frame);
    attempt_numbers(&f, c, pkt->time, pkt->frame);
    cl_finding_propose(x, conv, &f);
    cl_conv_touch(x->convs, conv);
    /* the verdict it made is counted now: the engine recounts a conversation after a packet of its own, and an
     * ICMP error is none (pmtu and frag count theirs the same way) */
    cl_conv_charge(x->convs, conv);
}

static void *connect_init(cl_ctx *x, size_t slot)
{
    (void)x;
    connect_state *st = g_new0(connect_state, 1);
    st->slot = slot;
    return st;
}

static const cl_pref connect_prefs[] = {
    CL_PREF(connect_syn_min, "Connect timeout: SYNs",
            "SYNs of one connection attempt, none answered, that make a connect-timeout (Linux sends 7 by default, "
            "Windows 3)",
            3, 2, 100),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_connect = {
    .name = "connect",
    .prefs = connect_prefs,
    .slot_size = sizeof(connect_slot),
    .init = connect_init,
    .free = g_free,
    .on_icmp = connect_on_icmp,
    .on_tcp = connect_on_tcp,
};
