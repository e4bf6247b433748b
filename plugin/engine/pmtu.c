/* Path-MTU analysis: which segment sizes get through, which are sent again and
 * again without an acknowledgement, duplicate-ACK chains, and ICMP
 * "fragmentation needed" / "packet too big" tied to a conversation.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#include <string.h>

#define MAX_LOST_FRAMES 16
#define RING_FIRST_CAP 4 /* request/response traffic rarely has more in flight */
#define RING_KEEP_CAP 64 /* an emptied ring bigger than this is freed: bulk transfers come and go */

static const cl_side_pmtu no_losses; /* what a side without losses or ICMP PTBs reads */

static const cl_side_pmtu *pm(const cl_side *s) { return s->pmtu ? s->pmtu : &no_losses; }

static cl_side_pmtu *pm_make(cl_side *s)
{
    if (!s->pmtu)
        s->pmtu = g_new0(cl_side_pmtu, 1);
    return s->pmtu;
}

/* Unacknowledged segments live in a ring (capacity a power of two) in sequence order: pushed at the
 * tail as new data leaves, popped at the head as it is acknowledged, found by binary search when sent
 * again. No allocation per segment, no hash table per connection. */
static cl_segment *seg_at(const cl_segments *q, uint32_t i) { return &q->buf[(q->head + i) & (q->cap - 1)]; }

static cl_segment *seg_push(cl_segments *q)
{
    if (q->count == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : RING_FIRST_CAP;
        cl_segment *buf = g_new(cl_segment, cap);
        for (uint32_t i = 0; i < q->count; i++)
            buf[i] = *seg_at(q, i);
        g_free(q->buf);
        q->buf = buf, q->head = 0, q->cap = cap;
    }
    return seg_at(q, q->count++);
}

static void seg_pop(cl_segments *q)
{
    cl_segment *seg = seg_at(q, 0);
    if (seg->frames)
        g_array_free(seg->frames, TRUE);
    q->head = (q->head + 1) & (q->cap - 1);
    if (--q->count == 0 && q->cap > RING_KEEP_CAP) {
        g_free(q->buf);
        *q = (cl_segments){0};
    }
}

/* Sequence numbers rise from the head: compare their distances from it. */
static cl_segment *seg_find(const cl_segments *q, uint32_t seq)
{
    if (!q->count)
        return NULL;
    uint32_t base = seg_at(q, 0)->seq, want = seq - base, lo = 0, hi = q->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (seg_at(q, mid)->seq - base < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < q->count && seg_at(q, lo)->seq == seq ? seg_at(q, lo) : NULL;
}

void cl_side_init(cl_side *s)
{
    memset(s, 0, sizeof(*s));
    s->min_answer = -1;
    s->wscale = -1;
}

void cl_side_compact(cl_side *s)
{
    while (s->segs.count)
        seg_pop(&s->segs);
    g_free(s->segs.buf);
    s->segs = (cl_segments){0};
}

void cl_side_clear(cl_side *s)
{
    cl_side_compact(s);
    if (s->pmtu) {
        if (s->pmtu->lost_frames)
            g_array_free(s->pmtu->lost_frames, TRUE);
        g_free(s->pmtu);
    }
    memset(s, 0, sizeof(*s));
}

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

static uint32_t header_bytes(const cl_conv *conv, const cl_side *s)
{
    return cl_ip_header_len(s->addr.family) + 20 + (conv->side[0].timestamps && conv->side[1].timestamps ? 12 : 0);
}

static const char *ptb_name(const cl_side *s)
{
    return s->addr.family == 6 ? "ICMPv6 Packet Too Big" : "ICMP fragmentation needed";
}

static const char *ptb_filter(const cl_side *s) { return s->addr.family == 6 ? "ICMPv6 type 2" : "ICMP type 3 code 4"; }

/* Below these sizes a loss says nothing about the MTU: every IPv4 path carries 576 bytes
 * (RFC 1122 reassembly minimum, and in practice every link), every IPv6 path 1280. */
static uint32_t mtu_floor(const cl_side *s) { return s->addr.family == 6 ? 1280 : 576; }

static void append_frames(GString *str, const GArray *frames)
{
    for (unsigned i = 0; i < frames->len; i++)
        g_string_append_printf(str, "%s%u", i ? ", " : "", g_array_index(frames, uint32_t, i));
}

static void remedy(GString *str, const cl_side *s, uint32_t pmtu)
{
    uint32_t headers = cl_ip_header_len(s->addr.family) + 20;
    uint32_t mss = pmtu > headers ? pmtu - headers : 0;
    g_string_append_printf(
        str, ": clamp the TCP MSS to %u or set the MTU to %u on the path, and let %s through to the sender", mss, pmtu,
        ptb_filter(s));
}

/* The ICMP MTU when there is one; else for IPv4 the RFC 1191 plateau in the
 * bracket (1492 behind PPPoE), for IPv6 its 1280-byte minimum, which always works. */
static uint32_t estimate(const cl_side *s, uint32_t largest, uint32_t smallest_lost)
{
    if (pm(s)->icmp_mtu && pm(s)->icmp_mtu < smallest_lost)
        return pm(s)->icmp_mtu;
    if (s->addr.family == 6)
        return largest > 1280 ? largest : 1280;
    return cl_pmtu_plateau(largest, smallest_lost);
}

static void offer_blackhole(cl_engine *eng, cl_conv *conv, const cl_side *s, cl_result **res, GString *summary,
                            const uint32_t *evidence, unsigned n_evidence, uint8_t confidence, uint32_t pmtu,
                            uint32_t largest, uint32_t smallest_lost)
{
    cl_finding f = {
        .cause = "pmtud-blackhole",
        .confidence = confidence,
        .summary = g_string_free(summary, FALSE),
        .evidence = evidence,
        .n_evidence = n_evidence,
        .num =
            {
                .has = CL_HAS_PMTU | CL_HAS_SMALLEST_LOST | (largest ? CL_HAS_LARGEST_ACKED : 0) |
                       (pm(s)->icmp_frame ? CL_HAS_ICMP_FRAME : 0),
                .pmtu = pmtu,
                .largest_acked = largest,
                .smallest_lost = smallest_lost,
                .icmp_frame = pm(s)->icmp_frame,
            },
        .experts = CL_EXP_PMTUD_BLACKHOLE,
    };
    cl_verdict_propose(eng, conv, &f, res);
}

/* The capture saw the big segments leave the sender: judge from them. */
static void sender_side_verdict(cl_engine *eng, cl_conv *conv, int sender, cl_result **res)
{
    cl_side *s = &conv->side[sender];
    if (!pm(s)->smallest_lost)
        return;
    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    uint32_t pmtu = estimate(s, s->largest_acked, pm(s)->smallest_lost);

    uint8_t confidence = 50;
    if (s->largest_acked)
        confidence += 20; /* smaller data got through, not just the handshake */
    if (pm(s)->peer_alive_after_loss)
        confidence += 15; /* the path was up while the big ones vanished */
    if (pm(s)->recovered_frame)
        confidence += 10;

    GString *sum = g_string_new("Path-MTU black hole: ");
    g_string_append_printf(sum, "%u-byte packets%s from %s were sent %u times (frames ", pm(s)->smallest_lost,
                           s->addr.family == 4 ? " with DF set" : "", who, pm(s)->lost_frames->len);
    append_frames(sum, pm(s)->lost_frames);
    g_string_append(sum, ") and never acknowledged");
    if (s->largest_acked)
        g_string_append_printf(sum, ", while %u-byte packets got through (frame %u)", s->largest_acked,
                               s->largest_acked_frame);
    else
        g_string_append(sum, "; only the handshake got through, so this is a suspicion");
    if (pm(s)->icmp_frame && pm(s)->icmp_mtu < pm(s)->smallest_lost)
        g_string_append_printf(sum, "; a %s (frame %u, MTU %u) reached the capture but the sender kept the size",
                               ptb_name(s), pm(s)->icmp_frame, pm(s)->icmp_mtu);
    else
        g_string_append_printf(sum, " and no %s arrived", ptb_name(s));
    if (pm(s)->recovered_frame)
        g_string_append_printf(sum, "; the sender then fell back to %u-byte packets, which got through (frame %u)",
                               s->largest_acked, pm(s)->recovered_frame);
    if (pm(s)->icmp_frame && pm(s)->icmp_mtu == pmtu)
        g_string_append_printf(sum, "; the path MTU is %u", pmtu);
    else
        g_string_append_printf(sum, "; the path MTU lies between %u and %u bytes (estimate %u)",
                               s->largest_acked ? s->largest_acked : 1, pm(s)->smallest_lost - 1, pmtu);
    remedy(sum, s, pmtu);
    g_string_append_c(sum, '.');

    GArray *ev = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_append_vals(ev, pm(s)->lost_frames->data, pm(s)->lost_frames->len);
    if (s->largest_acked_frame)
        g_array_append_val(ev, s->largest_acked_frame);
    if (pm(s)->icmp_frame)
        g_array_append_val(ev, pm(s)->icmp_frame);
    offer_blackhole(eng, conv, s, res, sum, (uint32_t *)(void *)ev->data, ev->len, confidence, pmtu, s->largest_acked,
                    pm(s)->smallest_lost);
    g_array_free(ev, TRUE);
}

/* The capture is on the receiving side: the big segments never showed up here,
 * but the gap they left in the sequence space did. */
static void receiver_side_verdict(cl_engine *eng, cl_conv *conv, int sender, uint32_t known_end, const cl_packet *pkt,
                                  cl_result **res)
{
    cl_side *s = &conv->side[sender], *rcv = &conv->side[!sender];
    if (!s->has_contiguous || !SEQ_GT(known_end, s->contiguous) || pm(s)->smallest_lost)
        return;
    /* The sender's full size: the smaller of the two MSS options (each side's own MTU limits it). */
    uint32_t mss = rcv->mss;
    if (s->mss && (!mss || s->mss < mss))
        mss = s->mss;
    if (mss < 536) /* unknown, or too small to tell a path-MTU problem */
        return;
    uint32_t full_ip = mss + cl_ip_header_len(s->addr.family) + 20;
    uint32_t full_payload = full_ip - header_bytes(conv, s);
    uint32_t missing = known_end - s->contiguous;
    if (missing < full_payload || s->max_ip_sent >= full_ip || full_ip <= mtu_floor(s))
        return;
    /* A sender never has more in flight than the receiver's window: a RST far beyond it was not
     * sent by the peer after real data (a forged or stray sequence number). */
    if (rcv->window && missing > rcv->window)
        return;
    double stalled = pkt->time - s->progress_time;
    if (stalled * 1000.0 < eng->cfg.pmtud_stall_ms)
        return;

    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    uint32_t pmtu = estimate(s, s->max_ip_sent, full_ip);
    bool chain = rcv->dup_count >= eng->cfg.dupack_chain;
    uint8_t confidence = 55 + (chain ? 10 : 0) + (s->gap_open ? 5 : 0);

    GString *sum = g_string_new("Path-MTU black hole (seen from the receiving side): ");
    g_string_append_printf(sum, "%u bytes from %s (%u full-size %u-byte packets) never arrived after frame %u", missing,
                           who, (missing + full_payload - 1) / full_payload, full_ip, s->progress_frame);
    if (s->max_ip_sent)
        g_string_append_printf(sum, ", while smaller packets did (largest %u bytes, frame %u)", s->max_ip_sent,
                               s->max_ip_sent_frame);
    if (chain)
        g_string_append_printf(sum, "; %u duplicate ACKs from frame %u asked for them in vain", rcv->dup_count,
                               rcv->dup_first);
    g_string_append_printf(sum, "; %.1f s without progress until frame %u", stalled, pkt->frame);
    g_string_append_printf(sum, "; the path MTU lies between %u and %u bytes (estimate %u)",
                           s->max_ip_sent ? s->max_ip_sent : 1, full_ip - 1, pmtu);
    remedy(sum, s, pmtu);
    g_string_append_c(sum, '.');

    uint32_t ev[4];
    unsigned n = 0;
    ev[n++] = s->progress_frame;
    if (s->max_ip_sent_frame && s->max_ip_sent_frame != s->progress_frame)
        ev[n++] = s->max_ip_sent_frame;
    if (chain)
        ev[n++] = rcv->dup_first;
    ev[n++] = pkt->frame;
    offer_blackhole(eng, conv, s, res, sum, ev, n, confidence, pmtu, s->max_ip_sent, full_ip);
}

/* Largest packet the side can put on the wire: its peer's MSS plus headers. A capture taken on a
 * sending host with segmentation offload shows bigger "packets" that never crossed the path as such. */
static uint32_t wire_max(const cl_conv *conv, const cl_side *s)
{
    const cl_side *peer = s == &conv->side[0] ? &conv->side[1] : &conv->side[0];
    return peer->mss ? peer->mss + header_bytes(conv, s) : UINT32_MAX;
}

static void segment_acked(cl_side *s, const cl_segment *seg, uint32_t frame, uint32_t max_ip)
{
    if (seg->ip_len > s->largest_acked && seg->ip_len <= max_ip) {
        s->largest_acked = seg->ip_len;
        s->largest_acked_frame = seg->first_frame;
        if (pm(s)->smallest_lost && seg->ip_len < pm(s)->smallest_lost && !pm(s)->recovered_frame)
            s->pmtu->recovered_frame = frame;
    }
}

static void ack_advance(const cl_conv *conv, cl_side *s, uint32_t ack, const cl_packet *pkt)
{
    uint32_t max_ip = wire_max(conv, s);
    if (s->has_acked && !SEQ_GT(ack, s->acked))
        return;
    s->has_acked = true;
    s->acked = ack;
    while (s->segs.count) {
        const cl_segment *seg = seg_at(&s->segs, 0);
        if (!SEQ_LEQ(seg->seq + seg->len, ack))
            break;
        segment_acked(s, seg, pkt->frame, max_ip);
        seg_pop(&s->segs);
    }
    if (s->has_contiguous && SEQ_GT(ack, s->contiguous)) {
        s->contiguous = ack;
        s->gap_open = false;
        s->progress_time = pkt->time;
        s->progress_frame = pkt->frame;
    }
}

static void note_retransmission(cl_engine *eng, cl_conv *conv, int from, cl_segment *seg, const cl_packet *pkt,
                                cl_result **res)
{
    cl_side *s = &conv->side[from];
    uint32_t ip_len = pkt->ip.total_len;
    if (ip_len != seg->ip_len) { /* re-segmented: the new size starts its own count */
        seg->ip_len = ip_len;
        seg->len = pkt->tcp_len;
        seg->sends = 0;
        seg->first_frame = pkt->frame;
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
    if (seg->sends < eng->cfg.pmtud_min_sends || can_fragment || seg->ip_len <= s->largest_acked ||
        seg->ip_len <= mtu_floor(s) || seg->ip_len > wire_max(conv, s))
        return;
    if (pm(s)->smallest_lost && seg->ip_len > pm(s)->smallest_lost)
        return; /* a smaller size already shows the limit */
    if (pm(s)->smallest_lost == seg->ip_len && pm(s)->lost_seq != seg->seq)
        return; /* keep telling the story of the first segment of that size */
    cl_side_pmtu *p = pm_make(s);
    p->smallest_lost = seg->ip_len;
    p->lost_seq = seg->seq;
    if (!p->lost_frames)
        p->lost_frames = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(p->lost_frames, 0);
    g_array_append_vals(p->lost_frames, seg->frames->data, seg->frames->len);
    if (!p->first_lost_time)
        p->first_lost_time = pkt->time;
    sender_side_verdict(eng, conv, from, res);
}

static void note_data(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    cl_side *s = &conv->side[from];
    uint32_t seq = pkt->seq, end = pkt->seq + pkt->tcp_len, ip_len = pkt->ip.total_len;

    if (ip_len > s->max_ip_sent) {
        s->max_ip_sent = ip_len;
        s->max_ip_sent_frame = pkt->frame;
    }
    if (!s->has_contiguous) { /* capture began mid-connection */
        s->has_contiguous = true;
        s->contiguous = seq;
        s->progress_time = pkt->time;
        s->progress_frame = pkt->frame;
    }
    if (SEQ_LEQ(seq, s->contiguous)) {
        if (SEQ_GT(end, s->contiguous)) {
            s->contiguous = end;
            s->gap_open = false;
            s->progress_time = pkt->time;
            s->progress_frame = pkt->frame;
        }
    } else {
        s->gap_open = true;
    }

    if (!s->has_next || !SEQ_LT(seq, s->next_seq)) {
        if (s->segs.count < eng->cfg.max_segments)
            *seg_push(&s->segs) = (cl_segment){.seq = seq,
                                               .len = pkt->tcp_len,
                                               .ip_len = ip_len,
                                               .sends = 1,
                                               .first_frame = pkt->frame,
                                               .df = pkt->ip.df};
    } else {
        cl_segment *seg = seg_find(&s->segs, seq);
        if (seg)
            note_retransmission(eng, conv, from, seg, pkt, res);
    }
    if (!s->has_next || SEQ_GT(end, s->next_seq)) {
        s->has_next = true;
        s->next_seq = end;
    }

    /* PMTUD at work: after the ICMP the sender's segments fit the reported MTU. */
    if (pm(s)->icmp_mtu && !pm(s)->pmtud_working_noted && pkt->frame > pm(s)->icmp_frame && ip_len <= pm(s)->icmp_mtu &&
        ip_len + 64 > pm(s)->icmp_mtu) {
        s->pmtu->pmtud_working_noted = true;
        cl_result *r = cl_result_for(eng, res, conv);
        r->experts |= CL_EXP_PMTUD_WORKING;
        r->num.has |= CL_HAS_PMTU | CL_HAS_ICMP_FRAME;
        r->num.pmtu = pm(s)->icmp_mtu;
        r->num.icmp_frame = pm(s)->icmp_frame;
        cl_result_note(r, g_strdup_printf("Path-MTU discovery works: after the %s in frame %u (MTU %u) the sender now "
                                          "sends %u-byte packets",
                                          ptb_name(s), pm(s)->icmp_frame, pm(s)->icmp_mtu, ip_len));
    }
}

static void note_pure_ack(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    bool pure = pkt->tcp_len == 0 && !(pkt->tcp_flags & (CL_TCP_SYN | CL_TCP_FIN | CL_TCP_RST));
    bool repeated = me->has_last_ack && pkt->ack == me->last_ack;
    if (!pure || !repeated || !peer->has_next || !SEQ_GT(peer->next_seq, pkt->ack)) {
        if (!repeated || !pure)
            me->dup_count = 0;
        me->has_last_ack = true;
        me->last_ack = pkt->ack;
        return;
    }
    if (me->dup_count++ == 0)
        me->dup_first = pkt->frame;
    cl_result *r = cl_result_for(eng, res, conv);
    r->has_dupack = true;
    r->dupack_count = me->dup_count;
    r->dupack_first = me->dup_first;
    if (me->dup_count == eng->cfg.dupack_chain)
        r->experts |= CL_EXP_DUPACK_CHAIN;
    if (me->dup_count >= eng->cfg.dupack_chain)
        receiver_side_verdict(eng, conv, !from, peer->next_seq, pkt, res);
}

void cl_pmtu_tcp(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    if ((pkt->tcp_flags & CL_TCP_SYN) && me->has_next && pkt->seq + 1 != me->next_seq) {
        /* a new connection on the same stream (new ISN): start this side over */
        cl_addr addr = me->addr;
        uint16_t port = me->port;
        cl_side_clear(me);
        cl_side_init(me);
        me->seen = true, me->addr = addr, me->port = port;
    }
    if (pkt->tcp_flags & CL_TCP_SYN)
        me->wscale = pkt->wscale;
    /* windows are scaled once both SYNs carried the option, never in a SYN itself (RFC 7323) */
    bool scaled = !(pkt->tcp_flags & CL_TCP_SYN) && me->wscale >= 0 && peer->wscale >= 0;
    if (!(pkt->tcp_flags & CL_TCP_RST))
        me->window = scaled ? pkt->window << me->wscale : pkt->window;
    if (pkt->tcp_flags & CL_TCP_SYN) {
        if (pkt->mss)
            me->mss = pkt->mss;
        me->timestamps = pkt->tcp_timestamps;
        me->has_next = true;
        me->next_seq = pkt->seq + 1;
        me->has_contiguous = true;
        me->contiguous = pkt->seq + 1;
        me->progress_time = pkt->time;
        me->progress_frame = pkt->frame;
    }
    if (pm(peer)->smallest_lost && pkt->time > pm(peer)->first_lost_time)
        peer->pmtu->peer_alive_after_loss = true;
    if (pkt->tcp_flags & CL_TCP_ACK) {
        ack_advance(conv, peer, pkt->ack, pkt);
        note_pure_ack(eng, conv, from, pkt, res);
    }
    if (pkt->tcp_len > 0 && !(pkt->tcp_flags & CL_TCP_SYN))
        note_data(eng, conv, from, pkt, res);
}

void cl_pmtu_at_end(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    cl_side *me = &conv->side[from];
    /* A RST or FIN carries the sender's next sequence number: data it sent that never showed up here. */
    uint32_t known_end = pkt->seq + pkt->tcp_len;
    if (me->has_next && SEQ_GT(me->next_seq, known_end))
        known_end = me->next_seq;
    for (int side = 0; side < 2; side++) {
        if (pm(&conv->side[side])->smallest_lost)
            sender_side_verdict(eng, conv, side, res); /* with what happened since */
        else
            receiver_side_verdict(eng, conv, side, side == from ? known_end : conv->side[side].next_seq, pkt, res);
    }
}

void cl_pmtu_icmp(cl_engine *eng, cl_conv *conv, int about, const cl_packet *pkt, cl_result **res)
{
    cl_side *s = &conv->side[about];
    uint32_t mtu = pkt->icmp_mtu;
    uint32_t least = s->addr.family == 6 ? 1280 : 68;
    if (mtu < least) /* missing (pre-RFC 1191 router) or impossible: take the plateau below the quoted size */
        mtu = s->addr.family == 6 ? 1280 : cl_pmtu_plateau(68, pkt->inner.total_len);
    cl_side_pmtu *p = pm_make(s);
    p->icmp_mtu = mtu;
    p->icmp_frame = pkt->frame;
    p->pmtud_working_noted = false;

    char who[80], from[64];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    cl_addr_format(&pkt->ip.src, 0, from, sizeof(from));
    cl_result *r = cl_result_for(eng, res, conv);
    r->experts |= CL_EXP_PMTUD_ICMP;
    r->num.has |= CL_HAS_PMTU | CL_HAS_ICMP_FRAME;
    r->num.pmtu = mtu;
    r->num.icmp_frame = pkt->frame;
    cl_result_note(r, g_strdup_printf("%s from %s: %u-byte packets of %s do not fit the next hop (MTU %u)", ptb_name(s),
                                      from, pkt->inner.total_len, who, mtu));
}
