/* Idle gaps, keep-alives and unanswered retransmissions, and the causes that follow from them:
 * idle-reset, idle-drop, middlebox-reset, retransmission-timeout, peer-reset.
 *
 * An idle gap is a silence in both directions while nothing is outstanding. What happens to the first
 * packet after it tells whether a device on the path forgot the connection: answered normally (the
 * connection survived that gap), answered by a forged RST (idle-reset), or retransmitted into silence
 * (idle-drop). Per client/server pair the gaps bracket the device's idle timeout, and the times
 * connections were lost show whether they are lost at a regular interval (pairs.c).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pairs.h"

#include <string.h>

/* Liveness of one side: what it sent that nobody answered. */
typedef struct {
    double unanswered_since;                    /* time of the first of `unanswered` */
    uint32_t unanswered;                        /* its retransmissions since the other side was last heard */
    uint32_t unanswered_first, unanswered_last; /* their frames */
    uint32_t rst_frame;                         /* latest RST in its name judged its own, 0 if none */
    bool keepalive_pending : 1;                 /* a keep-alive probe not yet answered */
    bool dropped : 1; /* its retransmissions after the open idle gap were called an idle-drop: an answer withdraws it */
    bool stalled : 1; /* its back-offs were called a retransmission-timeout: an answer withdraws it */
    bool backoff_grew : 1; /* one of them came at least 1.5 times as long after the one before */
    uint8_t backoffs;  /* retransmissions of its oldest unacknowledged data, each at least as far apart as the last */
    float backoff_gap; /* the latest of those intervals (s) */
} idle_side;

typedef struct {
    idle_side side[2];
    double idle_gap;
    double idle_time; /* when the packet after an idle gap came */
    double keepalive_widest;
    uint32_t idle_end; /* the sequence number that acknowledges it */
    uint32_t idle_frame, idle_start_frame;
    bool idle_open;   /* a packet came after an idle gap and its fate is not known yet */
    int8_t idle_from; /* the side that sent it */
    bool idle_was_keepalive;
    bool idle_was_fin; /* the packet after the gap closed the connection */
    bool keepalive_seen;
    bool disconnect_counted;
    bool close_check;   /* a peer-reset rests only on the resetter's data being unacknowledged */
    int8_t close_side;  /* the side that reset */
    uint32_t close_end; /* an ACK of this from the other side shows the exchange had finished */
} idle_slot;

/* One packet of a conversation, as the idle analysis sees it. */
typedef struct {
    cl_pairs *pairs;
    cl_ctx *x;
    cl_conv *conv;
    idle_slot *slot;
    const cl_packet *pkt;
} idle_pass;

/* After an idle failure: were keep-alives missing or too sparse, and what the pair says of the device. */
static void keepalive_context(const idle_slot *is, cl_finding *f, double gap)
{
    char t[40];
    if (!is->keepalive_seen) {
        f->experts |= CL_EXP_KEEPALIVE_MISSING;
        cl_finding_say(f, "; no TCP keep-alive was sent");
    } else if (is->idle_was_keepalive || is->keepalive_widest >= gap) {
        f->experts |= CL_EXP_KEEPALIVE_TOO_SPARSE;
        f->num.has |= CL_HAS_KEEPALIVE_INTERVAL;
        f->num.keepalive_interval = is->keepalive_widest;
        cl_finding_say(f, "; keep-alives came %s apart, too sparse for this device",
                       cl_duration(is->keepalive_widest, t, sizeof(t)));
    }
}

static void idle_context(const idle_pass *p, cl_finding *f, bool sure)
{
    keepalive_context(p->slot, f, p->slot->idle_gap);
    cl_pairs_bracket(p->pairs, p->conv, p->slot->idle_gap, p->slot->idle_frame, sure, f);
}

/* The peer acknowledged the first packet after the gap: the device had kept the connection. An idle-drop raised
 * on its retransmissions was a loss that recovered, and is withdrawn here. */
static void idle_survived(const idle_pass *p)
{
    idle_slot *is = p->slot;
    is->idle_open = false;
    if (is->side[is->idle_from].dropped) {
        is->side[is->idle_from].dropped = false;
        cl_pairs_failure_withdrawn(p->pairs, p->conv, is->idle_frame, &is->disconnect_counted, is->idle_time);
        char t[40];
        cl_verdict_withdraw(p->x->verdicts, p->conv, CL_CAUSE_IDLE_DROP, &p->x->frame,
                            "the %s answered the packet sent after %s of silence (frame %u) after "
                            "all: the connection survived, a loss that recovered, not an idle-drop",
                            cl_role(!is->idle_from), cl_duration(is->idle_gap, t, sizeof(t)), is->idle_frame);
    }
    cl_pairs_survived(p->pairs, p->conv, is->idle_gap, is->idle_frame);
}

/* Proposes the failure, counting it in the pair's disconnect history (`when`: its first failing packet). */
static void idle_propose(const idle_pass *p, cl_finding *f, double when)
{
    if (f->cause != CL_CAUSE_PEER_RESET) /* an application's own aborts are not lost connections */
        cl_pairs_disconnect(p->pairs, p->x->cfg, p->conv, &p->slot->disconnect_counted, when, f);
    cl_finding_propose(p->x, p->conv, f);
}

/* Nothing outstanding: everything either side sent was acknowledged. */
static bool quiescent(const cl_conv *conv, const idle_slot *is)
{
    for (int i = 0; i < 2; i++) {
        const cl_side *s = &conv->side[i];
        if (s->has_snd_next && (!s->has_ack_seen || SEQ_LT(s->ack_seen, s->snd_next)))
            return false;
        if (is->side[i].unanswered || is->side[i].keepalive_pending)
            return false;
    }
    return true;
}

static void describe_rst(cl_finding *f, const cl_conv *conv, int claimed, cl_rst_origin origin, const cl_packet *pkt)
{
    char who[80];
    cl_addr_format(&conv->side[claimed].addr, conv->side[claimed].port, who, sizeof(who));
    if (origin == CL_RST_FORGED)
        cl_finding_say(f, "a RST forged in the name of %s by a device on the path (frame %u)", who, pkt->frame);
    else if (origin == CL_RST_GENUINE)
        cl_finding_say(f, "a RST from %s itself (frame %u)", who, pkt->frame);
    else
        cl_finding_say(f, "a RST in the name of %s whose origin the capture cannot tell (frame %u)", who, pkt->frame);
}

static void silence_since(cl_finding *f, const idle_slot *is)
{
    char t[40];
    cl_finding_say(f, "After %s of silence (frames %u-%u) ", cl_duration(is->idle_gap, t, sizeof(t)),
                   is->idle_start_frame, is->idle_frame);
}

/* The first packet after the idle gap met a RST (or the RST was that packet). */
static void idle_reset(const idle_pass *p, int claimed, cl_rst_origin origin)
{
    const idle_slot *is = p->slot;
    if (is->idle_was_fin) { /* a closing tail: the connection was being closed after its silence */
        char t[40];
        cl_result_say(cl_res(p->x, p->conv),
                      "the FIN that closed the connection after %s of silence (frame %u) was answered "
                      "by a RST: a closing tail, not a failure",
                      cl_duration(is->idle_gap, t, sizeof(t)), is->idle_frame);
        return;
    }
    const cl_side *sender = &p->conv->side[is->idle_from];
    const idle_side *ss = &is->side[is->idle_from];
    bool peer_itself = origin == CL_RST_GENUINE, forged = origin == CL_RST_FORGED;
    cl_finding f;
    cl_finding_begin(&f, peer_itself ? CL_CAUSE_PEER_RESET : CL_CAUSE_IDLE_RESET, forged ? 90 : peer_itself ? 60 : 50);
    silence_since(&f, is);
    if (is->idle_frame != p->pkt->frame) {
        char who[80];
        cl_addr_format(&sender->addr, sender->port, who, sizeof(who));
        cl_finding_say(&f, "the first packet, from %s (frame %u), ", who, is->idle_frame);
        if (ss->unanswered)
            cl_finding_say(&f, "sent %u more time(s) without an answer (frames %u-%u), ", ss->unanswered,
                           ss->unanswered_first, ss->unanswered_last);
        cl_finding_say(&f, "was answered by ");
    }
    describe_rst(&f, p->conv, claimed, origin, p->pkt);
    if (is->idle_frame == p->pkt->frame)
        cl_finding_say(&f, " ended the idle connection");
    if (peer_itself)
        cl_finding_say(&f, ": the endpoint no longer knew the connection (restarted, or closed it on its own idle "
                           "timer)");
    else if (forged)
        cl_finding_say(&f, ": a firewall, NAT or load balancer had dropped the idle connection's state");
    else
        cl_finding_say(&f, ": probably a firewall, NAT or load balancer that had dropped the idle connection's "
                           "state");
    cl_finding_evidence(&f, is->idle_start_frame);
    cl_finding_evidence(&f, is->idle_frame);
    cl_finding_evidence(&f, ss->unanswered_last);
    cl_finding_evidence(&f, p->pkt->frame);
    if (ss->unanswered) {
        f.num.has |= CL_HAS_RETRANS;
        f.num.retrans = ss->unanswered;
    }
    if (peer_itself) {
        f.num.has |= CL_HAS_IDLE;
        f.num.idle = is->idle_gap;
    } else {
        idle_context(p, &f, forged);
    }
    idle_propose(p, &f, is->idle_time);
}

/* Only a FIN went unanswered, or data after the peer had closed: the connection was ending anyway (a closing
 * tail, a FIN_WAIT timeout), nothing was lost. */
static bool closing_tail(const cl_conv *conv, int from)
{
    const cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    bool only_fin = me->fin_sent && me->has_ack_seen && (!me->has_data_next || SEQ_GEQ(me->ack_seen, me->data_next));
    return only_fin || peer->fin_sent;
}

/* The first packet after the idle gap was retransmitted into silence. */
static void idle_drop(const idle_pass *p, bool gave_up)
{
    const idle_slot *is = p->slot;
    if (closing_tail(p->conv, is->idle_from))
        return;
    const cl_side *s = &p->conv->side[is->idle_from];
    const idle_side *ss = &is->side[is->idle_from];
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_IDLE_DROP, (uint8_t)MIN(70 + 5 * ss->unanswered + (gave_up ? 5 : 0), 90));
    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    silence_since(&f, is);
    cl_finding_say(&f, "%s (the %s) sent again and again and was never answered: %u retransmission(s), frames %u-%u",
                   who, cl_role(is->idle_from), ss->unanswered, ss->unanswered_first, ss->unanswered_last);
    if (gave_up)
        cl_finding_say(&f, ", then it gave up with a RST (frame %u)", p->pkt->frame);
    cl_finding_say(&f, ": a firewall, NAT or load balancer silently dropped the idle connection's state");
    cl_finding_evidence(&f, is->idle_start_frame);
    cl_finding_evidence(&f, is->idle_frame);
    cl_finding_evidence(&f, ss->unanswered_first);
    cl_finding_evidence(&f, ss->unanswered_last);
    cl_finding_evidence(&f, gave_up ? p->pkt->frame : 0);
    f.num.has |= CL_HAS_RETRANS;
    f.num.retrans = ss->unanswered;
    idle_context(p, &f, true);
    p->slot->side[is->idle_from].dropped = true;
    idle_propose(p, &f, is->idle_time);
}

/* A retransmission timer backing off: the sender's oldest unacknowledged data sent again, each time at least as
 * long after its previous packet as the time before (RFC 6298 5.5 doubles the timer; 10 % of slack for timer
 * granularity, and a tail-loss probe may come as late as the first timeout), and at least once growing by half.
 * A burst of retransmissions of several holes (SACK, fast recovery) or a steady resend is no back-off. */
static void count_backoff(const idle_pass *p, int from)
{
    const cl_side *s = &p->conv->side[from];
    idle_side *me = &p->slot->side[from];
    double gap = p->pkt->time - s->last_time;
    bool head = s->has_ack_seen && p->pkt->seq == s->ack_seen;
    if (!head || gap <= 0 || (me->backoffs && gap < 0.9 * me->backoff_gap) || me->backoffs == UINT8_MAX)
        return;
    if (me->backoffs && gap >= 1.5 * me->backoff_gap)
        me->backoff_grew = true;
    me->backoffs++;
    me->backoff_gap = (float)gap;
}

/* The sender's data went unanswered through enough back-offs of its retransmission timer, with no idle gap
 * before (that is an idle-drop) and the connection in use: the peer or the path went away. Without a RST the
 * sender gives up silently when its retries run out (Linux tcp_retries2, 15 by default: about 15 min; Windows
 * TcpMaxDataRetransmissions, 5). Raised here, updated on each later back-off, withdrawn if the peer is heard. */
static void silent_stall(const idle_pass *p, int from)
{
    idle_side *me = &p->slot->side[from];
    const cl_side *s = &p->conv->side[from];
    char who[80], t[40];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_RETRANSMISSION_TIMEOUT,
                     (uint8_t)MIN(55 + 5 * (me->backoffs - p->x->cfg->rto_min_retrans), 65));
    cl_finding_say(&f,
                   "%s (the %s) retransmitted its oldest unacknowledged data %u time(s) with a growing back-off (the "
                   "last %s after the one before; frames %u-%u) and the %s never answered: the peer or the path went "
                   "away while data was in flight, and the sender gives up silently, without a RST, when its retries "
                   "run out",
                   who, cl_role(from), me->backoffs, cl_duration(me->backoff_gap, t, sizeof(t)), me->unanswered_first,
                   p->pkt->frame, cl_role(!from));
    cl_finding_evidence(&f, me->unanswered_first);
    cl_finding_evidence(&f, p->pkt->frame);
    f.num.has |= CL_HAS_RETRANS;
    f.num.retrans = me->backoffs;
    me->stalled = true;
    idle_propose(p, &f, me->unanswered_since);
}

/* The stalled side's peer was heard after all: a loss that recovered, not a death. */
static void stall_answered(const idle_pass *p, int from)
{
    idle_side *stalled = &p->slot->side[!from];
    stalled->stalled = false;
    cl_pairs_failure_withdrawn(p->pairs, p->conv, 0, &p->slot->disconnect_counted, stalled->unanswered_since);
    cl_verdict_withdraw(p->x->verdicts, p->conv, CL_CAUSE_RETRANSMISSION_TIMEOUT, &p->x->frame,
                        "the %s answered after %u back-off(s) of the %s's retransmissions (frames "
                        "%u-%u): the connection lived on, a loss that recovered, not a "
                        "retransmission-timeout",
                        cl_role(from), stalled->backoffs, cl_role(!from), stalled->unanswered_first,
                        stalled->unanswered_last);
}

/* How a RST by an endpoint ends the exchange. It is an ordinary close (browsers, .NET, Java and many Windows
 * applications close so) when everything either side sent was acknowledged (the RST's own ACK counts) and the
 * last request was answered (the client did not speak last): nothing was thrown away. */
typedef enum { EXCHANGE_FINISHED, EXCHANGE_UNACKED, EXCHANGE_OPEN } exchange_state;

static exchange_state exchange_at_rst(const cl_conv *conv, int from, const cl_packet *pkt)
{
    const cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    bool mine_acked = !me->has_data_next || (me->has_ack_seen && SEQ_GEQ(me->ack_seen, me->data_next));
    uint32_t covered = peer->has_ack_seen ? peer->ack_seen : pkt->ack;
    if ((pkt->tcp_flags & CL_TCP_ACK) && (!peer->has_ack_seen || SEQ_GT(pkt->ack, covered)))
        covered = pkt->ack;
    bool peer_read = !peer->has_data_next ||
                     ((peer->has_ack_seen || (pkt->tcp_flags & CL_TCP_ACK)) && SEQ_GEQ(covered, peer->data_next));
    bool answered = conv->side[0].last_data_frame <= conv->side[1].last_data_frame;
    if (!peer_read || !answered)
        return EXCHANGE_OPEN;
    return mine_acked ? EXCHANGE_FINISHED : EXCHANGE_UNACKED;
}

static void ordinary_close(const idle_pass *p, int from)
{
    cl_verdict_ordinary_close(p->x->verdicts, from);
    cl_result_say(cl_res(p->x, p->conv),
                  "the %s closed the connection with a RST after a finished exchange (everything "
                  "acknowledged, the last request answered): an ordinary close, not a failure",
                  cl_role(from));
}

/* A RST with no idle gap before it. */
static void plain_reset(const idle_pass *p, int from, cl_rst_origin origin, double gap)
{
    const cl_packet *pkt = p->pkt;
    const cl_side *me = &p->conv->side[from], *peer = &p->conv->side[!from];
    const idle_side *ms = &p->slot->side[from], *ps = &p->slot->side[!from];
    const cl_config *cfg = p->x->cfg;
    char who[80];
    cl_addr_format(&me->addr, me->port, who, sizeof(who));
    cl_finding f;
    double when = pkt->time;
    if (origin == CL_RST_FORGED) {
        cl_finding_begin(&f, CL_CAUSE_MIDDLEBOX_RESET, 80);
        cl_finding_say(&f, "The connection was ended by ");
        describe_rst(&f, p->conv, from, origin, pkt);
        cl_finding_say(&f, ": a firewall, IPS or load balancer cut it; its log says why");
    } else if (origin == CL_RST_GENUINE && ms->unanswered >= cfg->rto_min_retrans && !closing_tail(p->conv, from)) {
        cl_finding_begin(&f, CL_CAUSE_RETRANSMISSION_TIMEOUT, 70);
        cl_finding_say(&f,
                       "%s (the %s) retransmitted %u time(s) without any answer (frames %u-%u) and gave up with a "
                       "RST (frame %u): the peer or the path went away while data was in flight",
                       who, cl_role(from), ms->unanswered, ms->unanswered_first, ms->unanswered_last, pkt->frame);
        cl_finding_evidence(&f, ms->unanswered_first);
        cl_finding_evidence(&f, ms->unanswered_last);
        f.num.has |= CL_HAS_RETRANS;
        f.num.retrans = ms->unanswered;
        when = ms->unanswered_since;
    } else if (origin == CL_RST_GENUINE && !ps->unanswered && gap < cfg->idle_min_ms / 1000.0 &&
               !(me->fin_sent && peer->fin_sent) && exchange_at_rst(p->conv, from, pkt) == EXCHANGE_FINISHED) {
        if (!p->conv->rst_seen)
            ordinary_close(p, from);
        return;
    } else if (origin == CL_RST_GENUINE && !ps->unanswered && gap < cfg->idle_min_ms / 1000.0 &&
               !(me->fin_sent && peer->fin_sent)) {
        if (exchange_at_rst(p->conv, from, pkt) == EXCHANGE_UNACKED && !p->conv->rst_seen) {
            /* only its own last data was unacknowledged: an ACK crossing the RST may still show it arrived */
            p->slot->close_check = true;
            p->slot->close_side = (int8_t)from;
            p->slot->close_end = me->data_next;
        }
        /* after a silence the capture cannot tell an idle-connection cleanup from an application giving up on
         * a stalled transfer: no cause then */
        cl_finding_begin(&f, CL_CAUSE_PEER_RESET, 70);
        cl_finding_say(&f,
                       "%s (the %s) reset the connection itself while it was in use (frame %u): an application "
                       "abort, not a network fault; the application's log says why",
                       who, cl_role(from), pkt->frame);
    } else
        return;
    cl_finding_evidence(&f, pkt->frame);
    idle_propose(p, &f, when);
}

/* A host whose RST was its own has no connection left to send on: that RST came from a device. */
static void sent_after_rst(const idle_pass *p, int from)
{
    idle_side *ms = &p->slot->side[from];
    cl_result *r = cl_res(p->x, p->conv);
    r->experts |= CL_EXP_MIDDLEBOX_RESET;
    cl_result_say(r,
                  "the %s still sends after the RST in its name (frame %u): that RST came from "
                  "a device on the path",
                  cl_role(from), ms->rst_frame);
    cl_cause before = cl_verdict_cause(p->x->verdicts, p->conv);
    if (before == CL_CAUSE_PEER_RESET || before == CL_CAUSE_NONE) { /* the RST looked like its own, abort or close */
        const cl_side *me = &p->conv->side[from];
        cl_finding f;
        cl_finding_begin(&f, CL_CAUSE_MIDDLEBOX_RESET, 75);
        char who[80];
        cl_addr_format(&me->addr, me->port, who, sizeof(who));
        cl_finding_say(&f,
                       "The RST in the name of %s (frame %u) was not its own: it still sends afterwards (frame %u); "
                       "a firewall, IPS or load balancer cut the connection",
                       who, ms->rst_frame, p->pkt->frame);
        cl_finding_evidence(&f, ms->rst_frame);
        cl_finding_evidence(&f, p->pkt->frame);
        idle_propose(p, &f, p->pkt->time);
    }
    ms->rst_frame = 0;
}

/* The packet came after an idle gap: remember it, and judge it at once if it is a RST. */
static bool after_gap(const idle_pass *p, int from, cl_rst_origin origin, double gap, bool keepalive, uint32_t end)
{
    const cl_packet *pkt = p->pkt;
    idle_slot *is = p->slot;
    bool rst = pkt->tcp_flags & CL_TCP_RST;
    cl_result *r = cl_res(p->x, p->conv);
    cl_result_num(r)->has |= CL_HAS_IDLE;
    cl_result_num(r)->idle = gap;
    is->idle_open = !rst;
    is->side[0].dropped = false;
    is->side[1].dropped = false;
    is->idle_from = (int8_t)from;
    is->idle_gap = gap;
    is->idle_time = pkt->time;
    is->idle_end = keepalive ? p->conv->side[from].snd_next : end;
    is->idle_frame = pkt->frame;
    is->idle_start_frame = p->conv->prev_frame;
    is->idle_was_keepalive = keepalive;
    is->idle_was_fin = pkt->tcp_flags & CL_TCP_FIN;
    if (!rst)
        return false;
    if (origin == CL_RST_FORGED) {
        idle_reset(p, from, origin);
    } else if (origin == CL_RST_GENUINE) {
        char t[40];
        cl_result_say(r,
                      "the %s closed the connection with a RST after %s of silence: an "
                      "idle-connection cleanup or an application giving up, the capture cannot "
                      "tell which",
                      cl_role(from), cl_duration(gap, t, sizeof(t)));
    }
    return true;
}

/* The packet came while the first packet after a gap waits for its fate: true if a RST was judged. */
static bool fate_of_gap(const idle_pass *p, int from, cl_rst_origin origin)
{
    const cl_packet *pkt = p->pkt;
    idle_slot *is = p->slot;
    bool rst = pkt->tcp_flags & CL_TCP_RST;
    if (from != is->idle_from) {
        if (!rst && (pkt->tcp_flags & CL_TCP_ACK) && SEQ_GEQ(pkt->ack, is->idle_end))
            idle_survived(p);
        else if (rst) {
            is->idle_open = false;
            idle_reset(p, from, origin);
            return true;
        }
    } else if (rst) {
        is->idle_open = false;
        if (origin == CL_RST_FORGED)
            idle_reset(p, from, origin);
        else if (is->side[from].unanswered)
            idle_drop(p, true);
        return true;
    }
    return false;
}

/* A packet that is not a RST: it answers the other side, and may be a retransmission or a keep-alive. */
static void not_a_reset(const idle_pass *p, int from, bool retrans, bool keepalive, bool keepalive_ack, double gap)
{
    const cl_packet *pkt = p->pkt;
    idle_slot *is = p->slot;
    idle_side *me = &is->side[from], *peer = &is->side[!from];
    if (peer->stalled)
        stall_answered(p, from);
    peer->unanswered = 0; /* the other side hears this one */
    peer->backoffs = 0;
    peer->backoff_grew = false;
    peer->keepalive_pending = false;
    if (retrans || (keepalive && me->keepalive_pending)) {
        if (!me->unanswered++) {
            me->unanswered_first = pkt->frame;
            me->unanswered_since = pkt->time;
        }
        me->unanswered_last = pkt->frame;
    }
    bool after_idle = is->idle_open && is->idle_from == from; /* the idle gap's own analysis judges these */
    /* DF clear and bigger than every path carries whole (RFC 791: 576): its fragments may be what is lost, a
     * deeper explanation (fragment-loss) that the receiver's ICMP may only tell later */
    bool may_fragment = pkt->ip.src.family == 4 && !pkt->ip.df && pkt->ip.total_len > 576;
    if (retrans && !after_idle && !may_fragment && !(pkt->tcp_flags & CL_TCP_SYN)) {
        uint8_t before = me->backoffs;
        count_backoff(p, from);
        if (me->backoffs != before && me->backoffs >= p->x->cfg->rto_min_retrans && me->backoff_grew &&
            p->conv->established && p->conv->side[!from].last_frame && !p->conv->rst_seen &&
            !closing_tail(p->conv, from))
            silent_stall(p, from);
    }
    if (keepalive) {
        cl_result *r = cl_res(p->x, p->conv);
        r->keepalive = "probe";
        cl_result_num(r)->has |= CL_HAS_KEEPALIVE_INTERVAL;
        cl_result_num(r)->keepalive_interval = gap;
        is->keepalive_seen = true;
        is->keepalive_widest = MAX(is->keepalive_widest, gap);
        me->keepalive_pending = true;
    } else if (keepalive_ack)
        cl_res(p->x, p->conv)->keepalive = "ack";
    if (is->idle_open && is->idle_from == from && me->unanswered == p->x->cfg->drop_min_retrans)
        idle_drop(p, false);
    if (!(pkt->tcp_flags & CL_TCP_SYN) && me->rst_frame)
        sent_after_rst(p, from);
}

/* Whether the RST could have cut anything: a synchronized connection, and a sequence number inside the
 * receiver's window (RFC 5961: one outside is ignored; during the handshake a client answering a challenge ACK
 * with a RST and then retrying its SYN is normal TCP). */
static bool rst_cuts(const cl_conv *conv, int from, const cl_packet *pkt)
{
    const cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    uint32_t window = MAX(peer->window, 1);
    return conv->established && me->has_ack_seen && SEQ_GEQ(pkt->seq, me->ack_seen) && pkt->seq - me->ack_seen < window;
}

/* The other side acknowledges everything the resetter had sent, in an ACK that crossed the RST: the exchange had
 * finished, the peer-reset was an ordinary close. */
static void crossing_ack(const idle_pass *p, int from)
{
    idle_slot *is = p->slot;
    const cl_packet *pkt = p->pkt;
    if (!is->close_check || from == is->close_side || !(pkt->tcp_flags & CL_TCP_ACK) || (pkt->tcp_flags & CL_TCP_RST) ||
        SEQ_LT(pkt->ack, is->close_end))
        return;
    is->close_check = false;
    cl_verdict_ordinary_close(p->x->verdicts, is->close_side);
    cl_verdict_withdraw(p->x->verdicts, p->conv, CL_CAUSE_PEER_RESET, &p->x->frame,
                        "the %s had received everything the %s sent before its RST (this ACK crossed "
                        "the RST): the exchange had finished, an ordinary close, not a failure",
                        cl_role(from), cl_role(is->close_side));
}

static void idle_on_tcp(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    idle_pass p = {state, x, conv, slot, pkt};
    int from = facts->from;
    crossing_ack(&p, from);
    const cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    idle_slot *is = slot;
    uint8_t flags = pkt->tcp_flags;
    bool rst = flags & CL_TCP_RST, syn = flags & CL_TCP_SYN, fin = flags & CL_TCP_FIN;
    uint32_t end = pkt->seq + pkt->tcp_len + syn + fin;
    /* RFC 1122 keep-alive: zero or one byte at the sequence number before the next one, sent only when
     * everything was acknowledged and the peer's window is open (else it is a retransmission or a
     * zero-window probe) */
    bool keepalive = !rst && !syn && !fin && (flags & CL_TCP_ACK) && pkt->tcp_len <= 1 && me->has_snd_next &&
                     pkt->seq == me->snd_next - 1 && me->has_ack_seen && me->ack_seen == me->snd_next &&
                     peer->window != 0;
    bool keepalive_ack = !rst && !syn && !fin && pkt->tcp_len == 0 && is->side[!from].keepalive_pending &&
                         (flags & CL_TCP_ACK) && pkt->ack == peer->snd_next;
    bool retrans =
        !rst && !keepalive && (pkt->tcp_len > 0 || syn || fin) && me->has_snd_next && SEQ_LEQ(end, me->snd_next);
    bool same_clock = conv->prev_epoch == x->convs->epoch; /* no silence is measured across a clock jump */
    double gap = conv->prev_frame && same_clock && pkt->time > conv->prev_time ? pkt->time - conv->prev_time : 0;
    /* after a RST the connection is over: later packets are strays, not idle gaps */
    bool idle = !conv->rst_seen && gap >= x->cfg->idle_min_ms / 1000.0 && quiescent(conv, is);
    bool rst_judged = false;

    if (idle)
        rst_judged = after_gap(&p, from, facts->origin, gap, keepalive, end);
    else if (is->idle_open)
        rst_judged = fate_of_gap(&p, from, facts->origin);

    if (!rst) {
        not_a_reset(&p, from, retrans, keepalive, keepalive_ack, gap);
        return;
    }
    if (!rst_judged)
        plain_reset(&p, from, facts->origin, gap);
    if (facts->origin == CL_RST_GENUINE && rst_cuts(conv, from, pkt))
        is->side[from].rst_frame = pkt->frame;
}

static void *idle_init(cl_ctx *x, size_t slot)
{
    (void)slot;
    return cl_pairs_new(x);
}

static void idle_free(void *state) { cl_pairs_free(state); }

static void idle_side_reset(void *slot, int side) { memset(&((idle_slot *)slot)->side[side], 0, sizeof(idle_side)); }

static const cl_pref idle_prefs[] = {
    CL_PREF(idle_min_ms, "Idle gap (ms)",
            "A silence in both directions this long (ms), with nothing outstanding, is an idle gap whose next packet "
            "is watched for a reset or a drop",
            1000, 1, UINT32_MAX),
    CL_PREF(drop_min_retrans, "Idle drop: unanswered retransmissions",
            "Retransmissions of the first packet after an idle gap, with no answer, that make it an idle-drop", 2, 1,
            UINT32_MAX),
    CL_PREF(rto_min_retrans, "Retransmission timeout: unanswered retransmissions",
            "Retransmissions with no answer before the sender's RST, or back-offs of its retransmission timer "
            "without a RST, that make a retransmission-timeout",
            3, 1, UINT32_MAX),
    CL_PREF(period_min_count, "Periodic disconnects: at least",
            "Lost connections of one client and server before a regular interval is reported (3 or more)", 3, 3,
            UINT32_MAX),
    CL_PREF(period_jitter_pct, "Periodic disconnects: jitter (%)",
            "Largest spread of the intervals (standard deviation, % of their mean) still reported as periodic", 10, 0,
            UINT32_MAX),
    CL_PREF(max_pairs, "Most client/server pairs tracked",
            "Bound on the client/server pairs whose idle timeouts and disconnect times are kept", 10000, 1, UINT32_MAX),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_idle = {
    .name = "idle",
    .prefs = idle_prefs,
    .slot_size = sizeof(idle_slot),
    .init = idle_init,
    .free = idle_free,
    .on_tcp = idle_on_tcp,
    .side_reset = idle_side_reset,
};
