/* Path-MTU analysis: which segment sizes get through, which are sent again and again without an
 * acknowledgement, duplicate-ACK chains, and ICMP "fragmentation needed" / "packet too big" tied to a
 * conversation. Cause: pmtud-blackhole.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "paths.h"
#include "pathsize.h"
#include "segments.h"

#include <string.h>

#define MAX_LOST_FRAMES 16
#define FALLBACK_FLOOR 576 /* a smaller segment through after the loss is no fallback (a small write, an ACK) */

/* A side's packet sizes sent again and again without an acknowledgement, and the ICMP PTBs about its
 * packets: allocated for the few sides that have them. */
typedef struct {
    uint32_t smallest_lost; /* smallest size sent repeatedly, never acked */
    uint32_t lost_seq;      /* the segment that showed it */
    GArray *lost_frames;    /* its transmissions (bounded) */
    double first_lost_time;
    bool peer_alive_after_loss; /* the other side sent something after it */
    uint32_t recovered_frame;   /* a smaller size got through after the loss */
    uint32_t recovered_size;    /* that size */
    double recovered_time;
    uint32_t icmp_mtu, icmp_frame; /* the latest "fragmentation needed"/"packet too big" */
    bool pmtud_working_noted;
} losses;

/* What one side sent, as sizes and acknowledgements, and the capture's own view of it: a gap in what
 * reached the capture point. */
typedef struct {
    segments segs;
    losses *loss;   /* NULL until a size is lost or an ICMP PTB comes */
    uint32_t acked; /* highest ACK the other side sent for it */
    uint32_t max_ip_sent, max_ip_sent_frame;
    uint32_t largest_acked, largest_acked_frame;
    uint32_t contiguous; /* every byte below was seen or acked */
    uint32_t progress_frame;
    double progress_time; /* when `contiguous` last moved */
    bool has_acked;
    bool has_contiguous;
    bool gap_open; /* data was seen above `contiguous` */
    bool has_last_ack;
    uint32_t last_ack; /* this side's ACKs: duplicate ACK chain */
    uint32_t dup_count, dup_first;
    /* seen next to the receiver: the hole its big segments left, filled by smaller ones after a stall */
    uint32_t hole_frame, hole_bytes, filled_frame, filled_size;
    double hole_stall;
} pmtu_side;

typedef struct {
    pmtu_side side[2];
} pmtu_slot;

typedef struct {
    size_t slot;     /* where pmtu_slot lies in a conversation */
    cl_paths *paths; /* what the conversations proved about their paths */
} pmtu_state;

/* One packet of a conversation, as the functions below see it. */
typedef struct {
    cl_ctx *x;
    cl_conv *conv;
    pmtu_slot *slot;
    const cl_packet *pkt;
    cl_paths *paths;
} pass;

static const losses no_losses; /* what a side without losses or ICMP PTBs reads */

static const losses *pm(const pmtu_side *s) { return s->loss ? s->loss : &no_losses; }

static losses *pm_make(pmtu_side *s)
{
    if (!s->loss)
        s->loss = g_new0(losses, 1);
    return s->loss;
}

static void side_clear(pmtu_side *s)
{
    cl_segs_clear(&s->segs);
    if (s->loss) {
        if (s->loss->lost_frames)
            g_array_free(s->loss->lost_frames, TRUE);
        g_free(s->loss);
    }
    memset(s, 0, sizeof(*s));
}

static void remedy(cl_finding *f, const cl_side *s, uint32_t pmtu)
{
    uint32_t headers = cl_ip_header_len(s->addr.family) + 20;
    uint32_t mss = pmtu > headers ? pmtu - headers : 0;
    cl_finding_say(f, ": clamp the TCP MSS to %u or set the MTU to %u on the path, and let %s through to the sender",
                   mss, pmtu, cl_ptb_filter(s));
}

/* The largest size through on the whole path: this conversation's own, or a larger one another proved, below the
 * size lost. */
static uint32_t path_through(const pass *p, uint32_t own, uint32_t smallest_lost)
{
    const cl_path *path = cl_paths_of(p->paths, p->conv);
    return path && path->largest_through > own && path->largest_through < smallest_lost ? path->largest_through : own;
}

/* The path carried `largest` bytes and lost `smallest_lost`: its MTU lies in [largest, smallest_lost), and no
 * estimate may leave that bracket. Within it: the ICMP MTU when there is one (one outside it came from another
 * path or is stale, and is not taken); else for IPv4 the RFC 1191 plateau (1492 behind PPPoE), for IPv6 its
 * 1280-byte minimum, which always works. */
static uint32_t estimate(const pass *p, const cl_side *s, const pmtu_side *ps, uint32_t largest, uint32_t smallest_lost)
{
    largest = path_through(p, largest, smallest_lost); /* the other conversations' sizes narrow the bracket */
    const cl_path *path = cl_paths_of(p->paths, p->conv);
    if (path && path->smallest_lost > largest && path->smallest_lost < smallest_lost)
        smallest_lost = path->smallest_lost;
    uint32_t icmp = pm(ps)->icmp_mtu;
    if (icmp && icmp >= largest && icmp < smallest_lost)
        return icmp;
    uint32_t guess = s->addr.family == 6 ? MAX(largest, 1280) : cl_pmtu_plateau(largest, smallest_lost);
    return smallest_lost > largest ? MIN(guess, smallest_lost - 1) : largest;
}

static void blackhole_numbers(cl_finding *f, const pmtu_side *ps, uint32_t pmtu, uint32_t largest,
                              uint32_t smallest_lost)
{
    f->num.has |= CL_HAS_PMTU | CL_HAS_SMALLEST_LOST | (largest ? CL_HAS_LARGEST_ACKED : 0) |
                  (pm(ps)->icmp_frame ? CL_HAS_ICMP_FRAME : 0);
    f->num.pmtu = pmtu;
    f->num.largest_acked = largest;
    f->num.smallest_lost = smallest_lost;
    f->num.icmp_frame = pm(ps)->icmp_frame;
    f->experts = CL_EXP_PMTUD_BLACKHOLE;
}

static void recovered_numbers(cl_finding *f, uint32_t frame, uint32_t size, double stall)
{
    f->num.has |= CL_HAS_PMTUD_RECOVERED | CL_HAS_PMTUD_FALLBACK | CL_HAS_PMTUD_STALL;
    f->num.pmtud_recovered = frame;
    f->num.pmtud_fallback = size;
    f->num.pmtud_stall = stall;
}

/* The capture saw the big segments leave the sender: judge from them. */
static void sender_side_verdict(const pass *p, int sender)
{
    const cl_side *s = &p->conv->side[sender];
    const pmtu_side *ps = &p->slot->side[sender];
    const losses *l = pm(ps);
    if (!l->smallest_lost)
        return;
    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    uint32_t pmtu = estimate(p, s, ps, ps->largest_acked, l->smallest_lost);
    uint32_t through = path_through(p, ps->largest_acked, l->smallest_lost);

    uint8_t confidence = 50;
    if (ps->largest_acked)
        confidence += 20; /* smaller data got through, not just the handshake */
    if (l->peer_alive_after_loss)
        confidence += 15; /* the path was up while the big ones vanished */
    if (l->recovered_frame)
        confidence += 10;

    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_PMTUD_BLACKHOLE, confidence);
    cl_finding_say(&f, "Path-MTU black hole: %u-byte packets%s from %s were sent %u times (frames ", l->smallest_lost,
                   s->addr.family == 4 ? " with DF set" : "", who, l->lost_frames->len);
    cl_finding_say_frames(&f, l->lost_frames);
    cl_finding_say(&f, ") and never acknowledged");
    if (ps->largest_acked)
        cl_finding_say(&f, ", while %u-byte packets got through (frame %u)", ps->largest_acked,
                       ps->largest_acked_frame);
    else
        cl_finding_say(&f, "; only the handshake got through, so this is a suspicion");
    if (l->icmp_frame && l->icmp_mtu < l->smallest_lost)
        cl_finding_say(&f, "; a %s (frame %u, MTU %u) reached the capture but the sender kept the size", cl_ptb_name(s),
                       l->icmp_frame, l->icmp_mtu);
    else
        cl_finding_say(&f, " and no %s arrived", cl_ptb_name(s));
    if (l->recovered_frame) {
        char t[40];
        cl_finding_say(&f,
                       "; after %s the sender fell back to %u-byte packets, which got through (frame %u): its "
                       "black-hole detection saved this connection, the next one falls into the same hole",
                       cl_duration(l->recovered_time - l->first_lost_time, t, sizeof(t)), l->recovered_size,
                       l->recovered_frame);
    }
    if (l->icmp_frame && l->icmp_mtu == pmtu)
        cl_finding_say(&f, "; the path MTU is %u", pmtu);
    else
        cl_finding_say(&f, "; the path MTU lies between %u and %u bytes (estimate %u)", MAX(through, 1),
                       l->smallest_lost - 1, pmtu);
    remedy(&f, s, pmtu);
    cl_finding_say(&f, ".");

    cl_finding_evidence_frames(&f, l->lost_frames);
    cl_finding_evidence(&f, ps->largest_acked_frame);
    cl_finding_evidence(&f, l->icmp_frame);
    cl_finding_evidence(&f, l->recovered_frame);
    blackhole_numbers(&f, ps, pmtu, through, l->smallest_lost);
    if (l->recovered_frame)
        recovered_numbers(&f, l->recovered_frame, l->recovered_size, l->recovered_time - l->first_lost_time);
    cl_finding_propose(p->x, p->conv, &f);
    cl_paths_black_hole(p->paths, p->conv, sender, l->smallest_lost, p->pkt->frame);
}

/* The sender's full size: the smaller of the two MSS options (each side's own MTU limits it), as an IP packet;
 * 0 when unknown or too small to tell a path-MTU problem. */
static uint32_t full_size(const cl_conv *conv, int sender)
{
    uint32_t mss = conv->side[!sender].mss;
    if (conv->side[sender].mss && (!mss || conv->side[sender].mss < mss))
        mss = conv->side[sender].mss;
    return mss < 536 ? 0 : mss + cl_ip_header_len(conv->side[sender].addr.family) + 20;
}

/* The capture is on the receiving side: the big segments never showed up here,
 * but the gap they left in the sequence space did. */
static void receiver_side_verdict(const pass *p, int sender, uint32_t known_end)
{
    const cl_conv *conv = p->conv;
    const cl_side *s = &conv->side[sender], *rcv = &conv->side[!sender];
    const pmtu_side *ps = &p->slot->side[sender], *prcv = &p->slot->side[!sender];
    if (!ps->has_contiguous || !SEQ_GT(known_end, ps->contiguous) || pm(ps)->smallest_lost)
        return;
    uint32_t full_ip = full_size(conv, sender);
    if (!full_ip)
        return;
    uint32_t full_payload = full_ip - cl_header_bytes(conv, s);
    uint32_t missing = known_end - ps->contiguous;
    if (missing < full_payload || ps->max_ip_sent >= full_ip || full_ip <= cl_mtu_floor(s))
        return;
    /* A sender never has more in flight than the receiver's window: a RST far beyond it was not
     * sent by the peer after real data (a forged or stray sequence number). */
    if (rcv->window && missing > rcv->window)
        return;
    double stalled = p->pkt->time - ps->progress_time;
    if (stalled * 1000.0 < p->x->cfg->pmtud_stall_ms)
        return;

    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    uint32_t pmtu = estimate(p, s, ps, ps->max_ip_sent, full_ip);
    bool chain = prcv->dup_count >= p->x->cfg->dupack_chain;
    uint8_t confidence = 55 + (chain ? 10 : 0) + (ps->gap_open ? 5 : 0);

    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_PMTUD_BLACKHOLE, confidence);
    cl_finding_say(&f,
                   "Path-MTU black hole (seen from the receiving side): %u bytes from %s (%u full-size %u-byte "
                   "packets) never arrived after frame %u",
                   missing, who, (missing + full_payload - 1) / full_payload, full_ip, ps->progress_frame);
    if (ps->max_ip_sent)
        cl_finding_say(&f, ", while smaller packets did (largest %u bytes, frame %u)", ps->max_ip_sent,
                       ps->max_ip_sent_frame);
    if (chain)
        cl_finding_say(&f, "; %u duplicate ACKs from frame %u asked for them in vain", prcv->dup_count,
                       prcv->dup_first);
    cl_finding_say(&f, "; %.1f s without progress until frame %u", stalled, p->pkt->frame);
    cl_finding_say(&f, "; the path MTU lies between %u and %u bytes (estimate %u)",
                   ps->max_ip_sent ? ps->max_ip_sent : 1, full_ip - 1, pmtu);
    remedy(&f, s, pmtu);
    cl_finding_say(&f, ".");

    cl_finding_evidence(&f, ps->progress_frame);
    if (ps->max_ip_sent_frame != ps->progress_frame)
        cl_finding_evidence(&f, ps->max_ip_sent_frame);
    if (chain)
        cl_finding_evidence(&f, prcv->dup_first);
    cl_finding_evidence(&f, p->pkt->frame);
    blackhole_numbers(&f, ps, pmtu, ps->max_ip_sent, full_ip);
    cl_finding_propose(p->x, p->conv, &f);
    cl_paths_black_hole(p->paths, p->conv, sender, full_ip, p->pkt->frame);
}

/* Largest packet the side can put on the wire: its peer's MSS plus headers. A capture taken on a
 * sending host with segmentation offload shows bigger "packets" that never crossed the path as such. */
static uint32_t wire_max(const cl_conv *conv, int side)
{
    const cl_side *peer = &conv->side[!side];
    return peer->mss ? peer->mss + cl_header_bytes(conv, &conv->side[side]) : UINT32_MAX;
}

/* An acknowledged segment: the largest size through, and after a loss of one size the smaller one that got
 * through instead (the sender's black-hole detection). True when the lost size itself got through after all. */
static bool segment_acked(pmtu_side *s, const segment *seg, const cl_packet *pkt, uint32_t max_ip)
{
    /* bytes sent again in smaller packets: the acknowledgement proves only that size */
    bool resent = seg->resent_ip_len && seg->resent_ip_len < seg->ip_len;
    uint32_t size = resent ? seg->resent_ip_len : seg->ip_len;
    if (size > max_ip)
        return false;
    if (size > s->largest_acked) {
        s->largest_acked = size;
        s->largest_acked_frame = seg->first_frame;
    }
    if (!pm(s)->smallest_lost)
        return false;
    if (size >= pm(s)->smallest_lost)
        return true;
    if (!pm(s)->recovered_frame && size > FALLBACK_FLOOR) {
        s->loss->recovered_frame = pkt->frame;
        s->loss->recovered_size = size;
        /* when the smaller packet that got through left */
        s->loss->recovered_time = seg->first_time + (resent ? seg->resent_after : 0);
    }
    return false;
}

static void progress(pmtu_side *s, uint32_t contiguous, const cl_packet *pkt)
{
    s->contiguous = contiguous;
    s->gap_open = false;
    s->progress_time = pkt->time;
    s->progress_frame = pkt->frame;
}

/* A segment of the size called lost was acknowledged: a loss that recovered, not a black hole. */
static void size_passed(const pass *p, pmtu_side *s, const segment *seg)
{
    char t[40];
    cl_verdict_withdraw(p->x->verdicts, p->conv, CL_CAUSE_PMTUD_BLACKHOLE, &p->x->frame,
                        "a %u-byte segment (sent in frame %u) was acknowledged after all, %s after the "
                        "first loss: packets of that size pass, the loss recovered, no black hole",
                        seg->ip_len, seg->first_frame,
                        cl_duration(p->pkt->time - s->loss->first_lost_time, t, sizeof(t)));
    if (s->loss->lost_frames)
        g_array_set_size(s->loss->lost_frames, 0);
    s->loss->smallest_lost = 0;
    s->loss->recovered_frame = 0;
    s->loss->first_lost_time = 0;
    cl_paths_disproved(p->paths, p->conv);
}

static void ack_advance(const pass *p, int side, uint32_t ack)
{
    pmtu_side *s = &p->slot->side[side];
    uint32_t max_ip = wire_max(p->conv, side);
    if (s->has_acked && !SEQ_GT(ack, s->acked))
        return;
    s->has_acked = true;
    s->acked = ack;
    while (s->segs.count) {
        const segment *seg = cl_seg_at(&s->segs, 0);
        if (!SEQ_LEQ(seg->seq + seg->len, ack))
            break;
        uint32_t largest_before = s->largest_acked;
        if (segment_acked(s, seg, p->pkt, max_ip))
            size_passed(p, s, seg);
        if (s->largest_acked > largest_before && (seg->df || p->conv->side[side].addr.family == 6))
            cl_paths_through(p->paths, p->conv, s->largest_acked); /* a DF-clear one may have gone in fragments */
        cl_seg_pop(&s->segs);
    }
    if (s->has_contiguous && SEQ_GT(ack, s->contiguous))
        progress(s, ack, p->pkt);
}

static void note_retransmission(const pass *p, int from, segment *seg)
{
    const cl_packet *pkt = p->pkt;
    const cl_side *s = &p->conv->side[from];
    pmtu_side *ps = &p->slot->side[from];
    uint32_t ip_len = pkt->ip.total_len;
    if (ip_len != seg->ip_len) { /* re-segmented: the new size starts its own count */
        seg->ip_len = ip_len;
        seg->len = pkt->tcp_len;
        seg->sends = 0;
        seg->first_frame = pkt->frame;
        seg->first_time = pkt->time;
        if (seg->frames)
            g_array_set_size(seg->frames, 0);
    }
    seg->sends++;
    if (!seg->frames) {
        seg->frames = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        g_array_append_val(seg->frames, seg->first_frame);
    }
    if (seg->frames->len < MAX_LOST_FRAMES && seg->sends > 1)
        g_array_append_val(seg->frames, pkt->frame);

    bool can_fragment = s->addr.family == 4 && !seg->df;
    if (seg->sends < p->x->cfg->pmtud_min_sends || can_fragment || seg->ip_len <= ps->largest_acked ||
        seg->ip_len <= cl_mtu_floor(s) || seg->ip_len > wire_max(p->conv, from))
        return;
    if (pm(ps)->smallest_lost && seg->ip_len > pm(ps)->smallest_lost)
        return; /* a smaller size already shows the limit */
    if (pm(ps)->smallest_lost == seg->ip_len && pm(ps)->lost_seq != seg->seq)
        return; /* keep telling the story of the first segment of that size */
    losses *l = pm_make(ps);
    l->smallest_lost = seg->ip_len;
    l->lost_seq = seg->seq;
    if (!l->lost_frames)
        l->lost_frames = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(l->lost_frames, 0);
    g_array_append_vals(l->lost_frames, seg->frames->data, seg->frames->len);
    if (!l->first_lost_time)
        l->first_lost_time = seg->first_time; /* the stall starts where the lost size first left */
    sender_side_verdict(p, from);
}

/* Bytes of segments in flight went out again in packets cut differently and smaller (a sender that falls back to a
 * smaller size after a loss, Linux tcp_mtu_probing): their acknowledgement now proves only the smaller size. */
static void resent_smaller(const pass *p, int from)
{
    const cl_packet *pkt = p->pkt;
    segments *q = &p->slot->side[from].segs;
    uint32_t end = pkt->seq + pkt->tcp_len;
    for (uint32_t i = cl_seg_index_after(q, pkt->seq); i < q->count; i++) {
        segment *seg = cl_seg_at(q, i);
        if (!SEQ_LT(seg->seq, end))
            break;
        if (!seg->resent_ip_len || pkt->ip.total_len < seg->resent_ip_len) {
            seg->resent_ip_len = pkt->ip.total_len;
            seg->resent_after = (float)(pkt->time - seg->first_time);
        }
    }
}

/* PMTUD at work: after the ICMP the sender's segments fit the reported MTU. */
static void note_pmtud_working(const pass *p, int from)
{
    const cl_packet *pkt = p->pkt;
    pmtu_side *ps = &p->slot->side[from];
    uint32_t ip_len = pkt->ip.total_len;
    const losses *l = pm(ps);
    if (!l->icmp_mtu || l->pmtud_working_noted || pkt->frame <= l->icmp_frame || ip_len > l->icmp_mtu ||
        ip_len + 64 <= l->icmp_mtu)
        return;
    ps->loss->pmtud_working_noted = true;
    cl_result *r = cl_res(p->x, p->conv);
    r->experts |= CL_EXP_PMTUD_WORKING;
    cl_result_num(r)->has |= CL_HAS_PMTU | CL_HAS_ICMP_FRAME;
    cl_result_num(r)->pmtu = l->icmp_mtu;
    cl_result_num(r)->icmp_frame = l->icmp_frame;
    cl_result_say(r,
                  "Path-MTU discovery works: after the %s in frame %u (MTU %u) the sender now "
                  "sends %u-byte packets",
                  cl_ptb_name(&p->conv->side[from]), l->icmp_frame, l->icmp_mtu, ip_len);
}

/* Seen next to the receiver, once the hole is known (and again at the end, with the largest size that arrived
 * since). */
static void propose_filled_hole(const pass *p, int from)
{
    const cl_conv *conv = p->conv;
    const cl_side *s = &conv->side[from];
    const pmtu_side *ps = &p->slot->side[from];
    uint32_t full_ip = full_size(conv, from);
    char who[80], t[40];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    uint32_t largest = ps->max_ip_sent < full_ip ? ps->max_ip_sent : ps->filled_size;
    uint32_t pmtu = estimate(p, s, ps, largest, full_ip);
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_PMTUD_BLACKHOLE, 60);
    cl_finding_say(&f,
                   "Path-MTU black hole (seen from the receiving side), recovered: %u bytes from %s never arrived in "
                   "full-size %u-byte packets after frame %u; after %s the sender resent them in %u-byte packets "
                   "(frame %u): its black-hole detection got this connection through, the next one falls into the "
                   "same hole; no packet of the full size ever arrived (largest %u bytes); the path MTU lies between "
                   "%u and %u bytes (estimate %u)",
                   ps->hole_bytes, who, full_ip, ps->hole_frame, cl_duration(ps->hole_stall, t, sizeof(t)),
                   ps->filled_size, ps->filled_frame, largest, largest, full_ip - 1, pmtu);
    remedy(&f, s, pmtu);
    cl_finding_say(&f, ".");
    cl_finding_evidence(&f, ps->hole_frame);
    cl_finding_evidence(&f, ps->filled_frame);
    blackhole_numbers(&f, ps, pmtu, largest, full_ip);
    recovered_numbers(&f, ps->filled_frame, ps->filled_size, ps->hole_stall);
    cl_finding_propose(p->x, p->conv, &f);
    cl_paths_black_hole(p->paths, p->conv, from, full_ip, ps->filled_frame);
}

/* Seen next to the receiver: the hole left by big segments that never arrived is filled, after a stall, by
 * smaller ones; no full-size packet ever arrived. The sender's black-hole detection got it through. */
static void hole_filled(const pass *p, int from, uint32_t hole_start, double stalled, uint32_t before_frame)
{
    const cl_conv *conv = p->conv;
    const cl_side *s = &conv->side[from];
    pmtu_side *ps = &p->slot->side[from];
    uint32_t full_ip = full_size(conv, from);
    uint32_t missing = s->has_data_next ? s->data_next - hole_start : 0;
    if (!full_ip || pm(ps)->smallest_lost || ps->filled_frame || full_ip <= cl_mtu_floor(s) ||
        ps->max_ip_sent >= full_ip || missing < full_ip - cl_header_bytes(conv, s) ||
        stalled * 1000.0 < p->x->cfg->pmtud_stall_ms)
        return;
    ps->hole_frame = before_frame;
    ps->hole_bytes = missing;
    ps->hole_stall = stalled;
    ps->filled_frame = p->pkt->frame;
    ps->filled_size = p->pkt->ip.total_len;
    propose_filled_hole(p, from);
}

static void note_data(const pass *p, int from)
{
    const cl_packet *pkt = p->pkt;
    const cl_side *s = &p->conv->side[from];
    pmtu_side *ps = &p->slot->side[from];
    uint32_t seq = pkt->seq, end = pkt->seq + pkt->tcp_len, ip_len = pkt->ip.total_len;
    bool fills = ps->has_contiguous && ps->gap_open && SEQ_LEQ(seq, ps->contiguous) && SEQ_GT(end, ps->contiguous);
    uint32_t hole_start = ps->contiguous, before_frame = ps->progress_frame;
    double stalled = pkt->time - ps->progress_time;
    if (fills && ip_len < full_size(p->conv, from))
        hole_filled(p, from, hole_start, stalled, before_frame);

    if (ip_len > ps->max_ip_sent) {
        ps->max_ip_sent = ip_len;
        ps->max_ip_sent_frame = pkt->frame;
    }
    if (!ps->has_contiguous) { /* capture began mid-connection */
        ps->has_contiguous = true;
        progress(ps, seq, pkt);
    }
    if (SEQ_LEQ(seq, ps->contiguous)) {
        if (SEQ_GT(end, ps->contiguous))
            progress(ps, end, pkt);
    } else {
        ps->gap_open = true;
    }

    if (!s->has_data_next || !SEQ_LT(seq, s->data_next)) {
        if (ps->segs.count < p->x->cfg->max_segments)
            *cl_seg_push(&ps->segs) = (segment){.seq = seq,
                                                .len = pkt->tcp_len,
                                                .ip_len = ip_len,
                                                .sends = 1,
                                                .first_frame = pkt->frame,
                                                .first_time = pkt->time,
                                                .df = pkt->ip.df};
    } else {
        segment *seg = cl_seg_find(&ps->segs, seq);
        if (seg)
            note_retransmission(p, from, seg);
        else
            resent_smaller(p, from);
    }
    note_pmtud_working(p, from);
}

static void note_pure_ack(const pass *p, int from)
{
    const cl_packet *pkt = p->pkt;
    pmtu_side *me = &p->slot->side[from];
    const cl_side *peer = &p->conv->side[!from];
    bool pure = pkt->tcp_len == 0 && !(pkt->tcp_flags & (CL_TCP_SYN | CL_TCP_FIN | CL_TCP_RST));
    bool repeated = me->has_last_ack && pkt->ack == me->last_ack;
    if (!pure || !repeated || !peer->has_data_next || !SEQ_GT(peer->data_next, pkt->ack)) {
        if (!repeated || !pure)
            me->dup_count = 0;
        me->has_last_ack = true;
        me->last_ack = pkt->ack;
        return;
    }
    if (me->dup_count++ == 0)
        me->dup_first = pkt->frame;
    cl_result *r = cl_res(p->x, p->conv);
    r->has_dupack = true;
    r->dupack_count = me->dup_count;
    r->dupack_first = me->dup_first;
    if (me->dup_count == p->x->cfg->dupack_chain)
        r->experts |= CL_EXP_DUPACK_CHAIN;
    if (me->dup_count >= p->x->cfg->dupack_chain)
        receiver_side_verdict(p, !from, peer->data_next);
}

/* The side that ends the connection had waited in silence for the other's answer, on a path where another
 * conversation proved a black hole, and nothing of the lost size ever came from the other: its full-size packets
 * may have vanished in the same hole without a trace here (next to the client of a download that sends only
 * full-size segments, nothing after the handshake arrives). The ender spoke last and no data answered it (a
 * finished exchange closed after a silence is an ordinary close, never this), had nothing in flight (its RST or
 * FIN is at what the other acknowledged) and its window open: it was not the one stuck. A lower confidence,
 * naming the proof it rests on. */
static void borrowed_verdict(const pass *p, int from)
{
    const cl_conv *conv = p->conv;
    const cl_path *path = cl_paths_of(p->paths, conv);
    const cl_side *ender = &conv->side[from], *quiet = &conv->side[!from];
    const pmtu_side *pq = &p->slot->side[!from];
    uint32_t full_ip = full_size(conv, !from);
    double silence = p->pkt->time - quiet->last_time;
    if (!path || !path->smallest_lost || path->proof_conv == conv->id || !conv->established || !quiet->last_frame ||
        pm(pq)->smallest_lost || pq->filled_frame || full_ip < path->smallest_lost ||
        pq->max_ip_sent >= path->smallest_lost || ender->last_data_frame <= quiet->last_data_frame ||
        !ender->has_ack_seen || p->pkt->seq != ender->ack_seen || !ender->window ||
        silence * 1000.0 < p->x->cfg->pmtud_stall_ms)
        return;
    bool same_way = cl_addr_equal(&path->proof_sender, &quiet->addr);
    char who[80], t[40];
    cl_addr_format(&quiet->addr, quiet->port, who, sizeof(who));
    uint32_t pmtu = estimate(p, quiet, pq, MAX(pq->max_ip_sent, path->largest_through), path->smallest_lost);
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_PMTUD_BLACKHOLE, same_way ? 50 : 45);
    cl_finding_say(&f,
                   "Path-MTU black hole, probably (resting on another conversation's proof): nothing came from %s "
                   "for %s until the %s ended the connection (frame %u), and none of its packets ever had the "
                   "%u bytes that vanish on this path: conversation %u proved it (frame %u, %u-byte packets %s "
                   "lost again and again); its full-size %u-byte packets would fall into the same hole; the path "
                   "MTU lies between %u and %u bytes (estimate %u)",
                   who, cl_duration(silence, t, sizeof(t)), cl_role(from), p->pkt->frame, path->smallest_lost,
                   path->proof_conv, path->proof_frame, path->smallest_lost,
                   same_way ? "in the same direction" : "in the other direction", full_ip,
                   MAX(pq->max_ip_sent, path->largest_through), path->smallest_lost - 1, pmtu);
    remedy(&f, quiet, pmtu);
    cl_finding_say(&f, ".");
    cl_finding_evidence(&f, quiet->last_frame);
    cl_finding_evidence(&f, path->proof_frame);
    cl_finding_evidence(&f, p->pkt->frame);
    blackhole_numbers(&f, pq, pmtu, MAX(pq->max_ip_sent, path->largest_through), path->smallest_lost);
    cl_finding_propose(p->x, p->conv, &f);
}

/* A RST or FIN carries the sender's next sequence number: data it sent that never showed up here. */
static void at_end(const pass *p, int from)
{
    const cl_packet *pkt = p->pkt;
    const cl_side *me = &p->conv->side[from];
    uint32_t known_end = pkt->seq + pkt->tcp_len;
    if (me->has_data_next && SEQ_GT(me->data_next, known_end))
        known_end = me->data_next;
    for (int side = 0; side < 2; side++) {
        if (p->slot->side[side].filled_frame && !pm(&p->slot->side[side])->smallest_lost)
            propose_filled_hole(p, side); /* with the largest size that arrived since */
        else if (pm(&p->slot->side[side])->smallest_lost)
            sender_side_verdict(p, side); /* with what happened since */
        else
            receiver_side_verdict(p, side, side == from ? known_end : p->conv->side[side].data_next);
    }
    borrowed_verdict(p, from);
}

/* What pmtu_slot_bytes counts that a packet may change: the rings' capacities, and the losses' frame lists (a loss
 * is freed only by a side reset or with the conversation, never by a packet's own analysis). */
static bool slot_may_resize(const pmtu_slot *slot, const uint32_t caps_before[2])
{
    return slot->side[0].loss || slot->side[1].loss || slot->side[0].segs.cap != caps_before[0] ||
           slot->side[1].segs.cap != caps_before[1];
}

static void pmtu_on_tcp(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    pass p = {x, conv, slot, pkt, ((pmtu_state *)state)->paths};
    uint32_t caps_before[2] = {p.slot->side[0].segs.cap, p.slot->side[1].segs.cap};
    int from = facts->from;
    pmtu_side *me = &p.slot->side[from], *peer = &p.slot->side[!from];
    if (pkt->tcp_flags & CL_TCP_SYN) {
        me->has_contiguous = true;
        progress(me, pkt->seq + 1, pkt);
    }
    if (pm(peer)->smallest_lost && pkt->time > pm(peer)->first_lost_time)
        peer->loss->peer_alive_after_loss = true;
    if (pkt->tcp_flags & CL_TCP_ACK) {
        ack_advance(&p, !from, pkt->ack);
        note_pure_ack(&p, from);
    }
    if (pkt->tcp_len > 0 && !(pkt->tcp_flags & CL_TCP_SYN))
        note_data(&p, from);
    if (facts->ends)
        at_end(&p, from);
    if (slot_may_resize(p.slot, caps_before))
        cl_conv_resized(conv);
}

static void pmtu_on_icmp(void *state, cl_ctx *x, const cl_packet *pkt)
{
    bool ptb = (pkt->ip.proto == 1 && pkt->icmp_type == 3 && pkt->icmp_code == 4) ||
               (pkt->ip.proto == 58 && pkt->icmp_type == 2);
    if (!ptb || pkt->inner.proto != 6)
        return;
    cl_tuple t;
    cl_tuple_make(&t, &pkt->inner.src, pkt->inner_sport, &pkt->inner.dst, pkt->inner_dport, 6);
    cl_conv *conv = cl_conv_lookup(x->convs, &t);
    if (!conv)
        return;
    int about = cl_side_of(conv, &pkt->inner.src, pkt->inner_sport);
    if (about < 0)
        return;
    cl_conv_touch(x->convs, conv);
    const cl_side *s = &conv->side[about];
    uint32_t mtu = pkt->icmp_mtu;
    uint32_t least = s->addr.family == 6 ? 1280 : 68;
    if (mtu < least) /* missing (pre-RFC 1191 router) or impossible: take the plateau below the quoted size */
        mtu = s->addr.family == 6 ? 1280 : cl_pmtu_plateau(68, pkt->inner.total_len);
    pmtu_slot *slot = cl_conv_slot(conv, ((const pmtu_state *)state)->slot);
    losses *l = pm_make(&slot->side[about]);
    l->icmp_mtu = mtu;
    l->icmp_frame = pkt->frame;
    l->pmtud_working_noted = false;

    char who[80], from[64];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    cl_addr_format(&pkt->ip.src, 0, from, sizeof(from));
    cl_result *r = cl_res(x, conv);
    r->experts |= CL_EXP_PMTUD_ICMP;
    cl_result_num(r)->has |= CL_HAS_PMTU | CL_HAS_ICMP_FRAME;
    cl_result_num(r)->pmtu = mtu;
    cl_result_num(r)->icmp_frame = pkt->frame;
    cl_result_say(r, "%s from %s: %u-byte packets of %s do not fit the next hop (MTU %u)", cl_ptb_name(s), from,
                  pkt->inner.total_len, who, mtu);
    cl_conv_charge(x->convs, conv);
}

static void *pmtu_init(cl_ctx *x, size_t slot)
{
    pmtu_state *st = g_new0(pmtu_state, 1);
    st->slot = slot;
    st->paths = cl_paths_new(x);
    return st;
}

static void pmtu_free(void *state)
{
    cl_paths_free(((pmtu_state *)state)->paths);
    g_free(state);
}

static void pmtu_side_reset(void *slot, int side) { side_clear(&((pmtu_slot *)slot)->side[side]); }

static void pmtu_slot_free(void *state, cl_conv *conv, void *slot)
{
    (void)state;
    (void)conv;
    for (int i = 0; i < 2; i++)
        side_clear(&((pmtu_slot *)slot)->side[i]);
}

/* Once the connection was reset, only its verdict matters: the segments in flight go. */
static void pmtu_after_tcp(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    (void)state;
    (void)x;
    (void)pkt;
    (void)facts;
    if (!conv->rst_seen || conv->reset_link)
        return;
    for (int i = 0; i < 2; i++)
        cl_segs_clear(&((pmtu_slot *)slot)->side[i].segs);
    cl_conv_resized(conv);
}

static size_t pmtu_slot_bytes(const void *slot)
{
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        const pmtu_side *s = &((const pmtu_slot *)slot)->side[i];
        n += s->segs.cap * sizeof(segment);
        if (s->loss)
            n += sizeof(*s->loss) + (s->loss->lost_frames ? s->loss->lost_frames->len * sizeof(uint32_t) : 0);
    }
    return n;
}

static const cl_pref pmtu_prefs[] = {
    CL_PREF(pmtud_min_sends, "Black hole: transmissions of one big segment",
            "A segment larger than any acknowledged one, sent this many times (DF set) and never acknowledged, "
            "is evidence of a path-MTU black hole",
            3, 2, UINT32_MAX),
    CL_PREF(pmtud_stall_ms, "Black hole: receiver-side stall (ms)",
            "Seen from the receiver, a gap of full-size segments left unfilled this long (ms) counts as a stall", 1000,
            0, UINT32_MAX),
    CL_PREF(dupack_chain, "Duplicate ACKs that form a chain",
            "Repeated pure ACKs for the same sequence number (counted by connlost, window changes ignored) "
            "that raise an expert info",
            3, 1, UINT32_MAX),
    CL_PREF(max_segments, "Most unacknowledged segments tracked per direction",
            "Bound on the segments kept per direction while waiting for their acknowledgement", 2048, 1, UINT32_MAX),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_pmtu = {
    .name = "pmtu",
    .prefs = pmtu_prefs,
    .slot_size = sizeof(pmtu_slot),
    .init = pmtu_init,
    .free = pmtu_free,
    .on_icmp = pmtu_on_icmp,
    .on_tcp = pmtu_on_tcp,
    .after_tcp = pmtu_after_tcp,
    .side_reset = pmtu_side_reset,
    .slot_free = pmtu_slot_free,
    .slot_bytes = pmtu_slot_bytes,
};
