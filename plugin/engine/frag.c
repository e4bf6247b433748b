/* IP fragments (v4 and v6): datagrams whose fragments never all arrive.
 *
 * A datagram is lost when a newer one of the same flow completed and it is
 * older than the grace period (fragments may be reordered), when it is older
 * than the reassembly timeout, or when the receiver says so with ICMP "time
 * exceeded in reassembly".
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#include <stddef.h>
#include <string.h>

#define DATAGRAM_KEY_LEN offsetof(cl_datagram, sport)
#define FLOW_KEY_LEN offsetof(cl_fragflow, pending)
#define DECLARED_KEEP_S 65.0 /* keep lost datagrams this long, so a late ICMP is not counted twice */

static guint datagram_hash(gconstpointer k) { return cl_hash_bytes(k, DATAGRAM_KEY_LEN); }
static gboolean datagram_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, DATAGRAM_KEY_LEN) == 0; }
static guint flow_hash(gconstpointer k) { return cl_hash_bytes(k, FLOW_KEY_LEN); }
static gboolean flow_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, FLOW_KEY_LEN) == 0; }

static void flow_free(gpointer p)
{
    cl_fragflow *flow = p;
    g_queue_clear(&flow->pending);
    g_free(flow);
}

static void datagram_free(gpointer p)
{
    cl_datagram *dg = p;
    if (dg->offsets)
        g_array_free(dg->offsets, TRUE);
    g_free(dg->tcp_first);
    g_free(dg);
}

void cl_frag_init(cl_engine *eng)
{
    eng->datagrams = g_hash_table_new_full(datagram_hash, datagram_equal, NULL, datagram_free);
    eng->frag_flows = g_hash_table_new_full(flow_hash, flow_equal, NULL, flow_free);
    g_queue_init(&eng->frag_order);
    g_queue_init(&eng->frag_declared);
}

void cl_frag_free(cl_engine *eng)
{
    g_queue_clear(&eng->frag_order);
    g_queue_clear(&eng->frag_declared);
    g_hash_table_destroy(eng->datagrams);
    g_hash_table_destroy(eng->frag_flows);
}

static void datagram_key(cl_datagram *key, const cl_ip *ip)
{
    memset(key, 0, sizeof(*key));
    key->src = ip->src;
    key->dst = ip->dst;
    key->proto = ip->proto;
    key->id = ip->id;
}

static void flow_leave(cl_engine *eng, cl_datagram *dg)
{
    cl_fragflow *flow = dg->flow;
    if (!dg->flow_link)
        return;
    g_queue_delete_link(&flow->pending, dg->flow_link);
    dg->flow_link = NULL;
    if (!flow->pending.length)
        g_hash_table_remove(eng->frag_flows, flow);
    dg->flow = NULL;
}

static void datagram_remove(cl_engine *eng, cl_datagram *dg)
{
    flow_leave(eng, dg);
    g_queue_delete_link(dg->declared_lost ? &eng->frag_declared : &eng->frag_order, dg->age_link);
    g_hash_table_remove(eng->datagrams, dg);
}

static cl_conv *conv_of(cl_engine *eng, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport,
                        uint8_t proto, cl_result **res)
{
    if (proto == 6 && sport) {
        cl_tuple t;
        cl_tuple_make(&t, src, sport, dst, dport, 6);
        cl_conv *conv = cl_conv_lookup_tuple(eng, &t);
        if (conv)
            return conv;
    }
    return cl_conv_for_udp(eng, src, sport, dst, dport, proto, res);
}

static const char *proto_name(uint8_t proto)
{
    return proto == 6 ? "TCP" : proto == 17 ? "UDP" : proto == 1 ? "ICMP" : proto == 58 ? "ICMPv6" : "IP";
}

/* One more datagram of `conv` never arrived whole. */
static cl_conv_frag *frag_of(cl_conv *conv)
{
    if (!conv->frag) {
        conv->frag = g_new0(cl_conv_frag, 1);
        conv->frag->ids = g_string_new(NULL);
        conv->frag->frames = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    }
    return conv->frag;
}

static void declare_lost(cl_engine *eng, cl_conv *conv, uint32_t id, uint32_t first_frame, uint32_t icmp_frame,
                         cl_result **res)
{
    cl_conv_frag *fr = frag_of(conv);
    fr->incomplete++;
    if (fr->incomplete <= CL_MAX_IDS_SHOWN)
        g_string_append_printf(fr->ids, "%s0x%04x", fr->ids->len ? ", " : "", id);
    if (first_frame && fr->frames->len < CL_MAX_IDS_SHOWN)
        g_array_append_val(fr->frames, first_frame);
    if (icmp_frame)
        fr->icmp_frame = icmp_frame;

    cl_result *r = cl_result_for(eng, res, conv);
    r->num.has |= CL_HAS_FRAG;
    r->experts |= CL_EXP_FRAGMENT_LOST;
    r->num.frag_incomplete = fr->incomplete;
    if (r->frag_lost_here++ < CL_MAX_IDS_SHOWN) {
        char *ids =
            r->frag_lost_ids ? g_strdup_printf("%s,0x%04x", r->frag_lost_ids, id) : g_strdup_printf("0x%04x", id);
        g_free(r->frag_lost_ids);
        r->frag_lost_ids = ids;
    }

    if (fr->incomplete < eng->cfg.frag_min_lost)
        return;
    char a[80], b[80];
    const cl_side *s = &conv->side[0];
    cl_addr_format(&s->addr, s->port, a, sizeof(a));
    cl_addr_format(&conv->side[1].addr, conv->side[1].port, b, sizeof(b));
    GString *sum = g_string_new(NULL);
    g_string_append_printf(
        sum, "IP fragments lost: %u %s datagrams between %s and %s never arrived complete (IP IDs %s%s", fr->incomplete,
        proto_name(conv->tuple.proto), a, b, fr->ids->str, fr->incomplete > CL_MAX_IDS_SHOWN ? ", ..." : "");
    if (fr->frames->len) {
        g_string_append(sum, "; first fragments in frames ");
        for (unsigned i = 0; i < fr->frames->len; i++)
            g_string_append_printf(sum, "%s%u", i ? ", " : "", g_array_index(fr->frames, uint32_t, i));
    }
    g_string_append(sum, ")");
    if (fr->icmp_frame)
        g_string_append_printf(sum, "; the receiver gave up reassembling them (ICMP time exceeded, frame %u)",
                               fr->icmp_frame);
    g_string_append(sum, ": a device on the path drops fragments; avoid fragmentation (set DF and let path-MTU "
                         "discovery work, or lower the MTU or datagram size) or let fragments through.");
    uint8_t confidence = 70 + (fr->icmp_frame ? 15 : 0) + (fr->incomplete >= 5 ? 10 : 0);
    GArray *ev = fr->frames;
    uint32_t evidence[CL_MAX_IDS_SHOWN + 1];
    unsigned n = 0;
    for (unsigned i = 0; i < ev->len && n < CL_MAX_IDS_SHOWN; i++)
        evidence[n++] = g_array_index(ev, uint32_t, i);
    if (fr->icmp_frame)
        evidence[n++] = fr->icmp_frame;
    cl_finding f = {"fragment-loss",
                    confidence,
                    g_string_free(sum, FALSE),
                    evidence,
                    n,
                    .num = {.has = CL_HAS_FRAG, .frag_incomplete = fr->incomplete},
                    .experts = CL_EXP_FRAGMENT_LOST};
    cl_verdict_propose(eng, conv, &f, res);
}

static void datagram_lost(cl_engine *eng, cl_datagram *dg, uint32_t icmp_frame, const cl_packet *pkt, cl_result **res)
{
    if (dg->declared_lost)
        return;
    flow_leave(eng, dg);
    /* kept a while in its own queue, so the awaited queue's head is always undecided */
    g_queue_unlink(&eng->frag_order, dg->age_link);
    g_queue_push_tail_link(&eng->frag_declared, dg->age_link);
    dg->declared_lost = true;
    dg->declared_time = pkt->time;
    cl_conv *conv = conv_of(eng, &dg->src, dg->sport, &dg->dst, dg->dport, dg->proto, res);
    declare_lost(eng, conv, dg->id, dg->have_first ? dg->first_frame : 0, icmp_frame, res);
    cl_conv_charge(eng, conv);
}

/* A newer datagram of the flow completed: older ones past the grace period are lost. */
static void flow_check(cl_engine *eng, cl_fragflow *flow, const cl_packet *pkt, cl_result **res)
{
    cl_datagram *head;
    double grace = eng->cfg.frag_grace_ms / 1000.0;
    while (flow && (head = g_queue_peek_head(&flow->pending)) && head->first_time < flow->newest_completed &&
           pkt->time - head->first_time >= grace) {
        bool last = flow->pending.length == 1; /* flow_leave frees the flow with its last datagram */
        datagram_lost(eng, head, 0, pkt, res);
        if (last)
            break;
    }
}

void cl_frag_expire(cl_engine *eng, const cl_packet *pkt, cl_result **res)
{
    cl_datagram *head;
    while ((head = g_queue_peek_head(&eng->frag_order)) && pkt->time - head->first_time > eng->cfg.frag_timeout_s)
        datagram_lost(eng, head, 0, pkt, res);
    while ((head = g_queue_peek_head(&eng->frag_declared)) && pkt->time - head->declared_time > DECLARED_KEEP_S)
        datagram_remove(eng, head);
}

bool cl_frag_drop_oldest(cl_engine *eng)
{
    GList *oldest = eng->frag_declared.head ? eng->frag_declared.head : eng->frag_order.head;
    if (!oldest)
        return false;
    datagram_remove(eng, oldest->data);
    return true;
}

bool cl_frag_packet(cl_engine *eng, const cl_packet *pkt, cl_result **res, cl_packet *whole)
{
    cl_datagram key;
    datagram_key(&key, &pkt->ip);
    cl_datagram *dg = g_hash_table_lookup(eng->datagrams, &key);
    if (!dg) {
        if (g_hash_table_size(eng->datagrams) >= eng->cfg.max_fragments) {
            cl_frag_drop_oldest(eng);
            cl_note_table_full(eng, res, NULL, &eng->frag_cap_noted, eng->cfg.max_fragments, "fragmented datagrams",
                               "max_fragments", "the oldest are forgotten");
        }
        dg = g_new0(cl_datagram, 1);
        *dg = key;
        dg->first_frame = pkt->frame;
        dg->first_time = pkt->time;
        g_hash_table_insert(eng->datagrams, dg, dg);
        g_queue_push_tail(&eng->frag_order, dg);
        dg->age_link = eng->frag_order.tail;

        cl_fragflow fkey;
        memset(&fkey, 0, sizeof(fkey));
        fkey.src = dg->src, fkey.dst = dg->dst, fkey.proto = dg->proto;
        cl_fragflow *flow = g_hash_table_lookup(eng->frag_flows, &fkey);
        if (!flow) {
            flow = g_new0(cl_fragflow, 1);
            *flow = fkey;
            g_queue_init(&flow->pending);
            g_hash_table_insert(eng->frag_flows, flow, flow);
        }
        dg->flow = flow;
        g_queue_push_tail(&flow->pending, dg);
        dg->flow_link = flow->pending.tail;
    }
    if (dg->declared_lost)
        return false; /* a straggler after we gave up: the receiver has given up too */
    if (!dg->offsets)
        dg->offsets = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (unsigned i = 0; i < dg->offsets->len; i++)
        if (g_array_index(dg->offsets, uint32_t, i) == pkt->ip.frag_offset)
            return false; /* a duplicate (SPAN ports duplicate packets): count its bytes once */
    if (dg->offsets->len < CL_MAX_FRAGMENTS_PER_DATAGRAM)
        g_array_append_val(dg->offsets, pkt->ip.frag_offset);

    if (pkt->ip.frag_offset == 0) {
        dg->have_first = true;
        dg->first_frame = pkt->frame;
        dg->sport = pkt->sport;
        dg->dport = pkt->dport;
        if (pkt->ip.proto == 6 && pkt->tcp_hdr_len && !dg->tcp_first) {
            dg->tcp_first = g_memdup2(pkt, sizeof(*pkt));
            dg->tcp_first->payload = NULL; /* the frame's bytes do not outlive this call */
            dg->tcp_first->payload_caplen = 0;
        }
    }
    if (!pkt->ip.more_fragments) {
        dg->have_last = true;
        dg->total = pkt->ip.frag_offset + pkt->ip.payload_len;
    }
    dg->received += pkt->ip.payload_len;
    if (!(dg->have_first && dg->have_last && dg->received >= dg->total))
        return false;

    bool segment = dg->tcp_first && dg->total >= dg->tcp_first->tcp_hdr_len;
    if (segment) {
        const cl_packet *first = dg->tcp_first;
        *whole = *pkt;
        whole->has_tcp = true;
        whole->sport = first->sport, whole->dport = first->dport;
        whole->seq = first->seq, whole->ack = first->ack, whole->tcp_flags = first->tcp_flags;
        whole->window = first->window, whole->wscale = first->wscale, whole->mss = first->mss;
        whole->tcp_timestamps = first->tcp_timestamps;
        whole->tcp_hdr_len = first->tcp_hdr_len;
        whole->tcp_len = dg->total - first->tcp_hdr_len;
        whole->ip.is_fragment = whole->ip.more_fragments = false;
        whole->ip.frag_offset = 0;
    }
    cl_fragflow *flow = dg->flow;
    bool others_pending = flow && flow->pending.length > 1; /* else the flow goes with this datagram */
    if (others_pending && dg->first_time > flow->newest_completed)
        flow->newest_completed = dg->first_time;
    datagram_remove(eng, dg);
    if (others_pending)
        flow_check(eng, flow, pkt, res);
    return segment;
}

void cl_frag_icmp_reassembly(cl_engine *eng, const cl_packet *pkt, cl_result **res)
{
    cl_datagram key;
    datagram_key(&key, &pkt->inner);
    cl_datagram *dg = g_hash_table_lookup(eng->datagrams, &key);
    if (dg && dg->declared_lost) {
        cl_conv *conv = conv_of(eng, &dg->src, dg->sport, &dg->dst, dg->dport, dg->proto, res);
        frag_of(conv)->icmp_frame = pkt->frame; /* counted already: the receiver confirms it */
        cl_result *r = cl_result_for(eng, res, conv);
        cl_result_note(r, g_strdup_printf("The receiver gave up reassembling datagram 0x%04x (first fragment in "
                                          "frame %u), already counted as lost",
                                          dg->id, dg->first_frame));
        return;
    }
    if (dg) {
        datagram_lost(eng, dg, pkt->frame, pkt, res);
        return;
    }
    /* Seen from the sender's side: every fragment left, yet the receiver timed out. Remember the
     * datagram as declared, so a repeated ICMP is not counted again. */
    if (g_hash_table_size(eng->datagrams) < eng->cfg.max_fragments) {
        dg = g_new0(cl_datagram, 1);
        *dg = key;
        dg->declared_lost = true;
        dg->declared_time = pkt->time;
        g_hash_table_insert(eng->datagrams, dg, dg);
        g_queue_push_tail(&eng->frag_declared, dg);
        dg->age_link = eng->frag_declared.tail;
    }
    cl_conv *conv =
        conv_of(eng, &pkt->inner.src, pkt->inner_sport, &pkt->inner.dst, pkt->inner_dport, pkt->inner.proto, res);
    declare_lost(eng, conv, pkt->inner.id, 0, pkt->frame, res);
    cl_conv_charge(eng, conv);
}
