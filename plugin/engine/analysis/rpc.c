/* DCE/RPC over TCP (ncacn_ip_tcp), read from the payload bytes: PDUs cut from each direction's byte
 * stream, presentation contexts and the interfaces they name, binds and their answers, calls and faults,
 * NTLM user names, and dynamic endpoints learned from EPM answers and binds. EMSMDB calls go to the
 * analyses that listen to DCE/RPC (mapi.c).
 *
 * Stubs are often sealed, but the PDU header, the bind, the opnum and the authentication trailer are
 * always readable; each PDU keeps only its head and tail, which hold all of that.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "rpc_calls.h"

#include <stdio.h>
#include <string.h>

#define CL_RPC_HEAD 8192  /* bytes kept from the start of a PDU: a bind and a logon request fit */
#define CL_RPC_TAIL 1024  /* bytes kept from its end: return code and authentication trailer */
#define CL_RPC_PROBES 8   /* payload segments of a conversation looked at for a PDU header */
#define CL_RPC_HELD 65536 /* bytes held per direction after a gap: a reordered segment or a retransmission */
#define CL_RPC_HELD_SEGS 64
#define CL_RPC_LISTENERS 4 /* analyses that listen to DCE/RPC calls */

/* ---- PDUs ------------------------------------------------------------------------------------------ */

static void append_ptype(const rpc_pass *p, cl_rpc_info *info, const char *name)
{
    if (!info->ptype) {
        info->ptype = name;
        return;
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "%s, %s", info->ptype, name);
    info->ptype = intern(p, buf);
}

static void read_pdu(const rpc_pass *p, const pdu_view *v)
{
    rpc_conn *rpc = p->rpc;
    uint8_t ptype = cl_pdu_at(v, 2)[0];
    rpc->provisional = false;
    cl_rpc_info *info = info_of(p);
    append_ptype(p, info, cl_rpc_ptype_name(ptype));
    if (rpc->client < 0 && (ptype == PT_BIND || ptype == PT_ALTER || ptype == PT_REQUEST || ptype == PT_AUTH3))
        rpc->client = (int8_t)p->from;
    else if (rpc->client < 0 && (ptype == PT_BIND_ACK || ptype == PT_RESPONSE || ptype == PT_FAULT))
        rpc->client = (int8_t)!p->from;
    switch (ptype) {
    case PT_BIND:
    case PT_ALTER:
        cl_rpc_read_bind(p, v);
        break;
    case PT_BIND_ACK:
    case PT_ALTER_RESP:
        cl_rpc_read_bind_ack(p, v);
        break;
    case PT_BIND_NAK:
        if (cl_pdu_has(v, 16, 2)) {
            char buf[96];
            snprintf(buf, sizeof(buf), "rejected (bind_nak): %s", cl_rpc_nak_reason(cl_pdu_u16(v, 16)));
            info->bind_result = intern(p, buf);
        }
        cl_res(p->x, p->conv)->experts |= CL_EXP_RPC_BIND_REJECTED;
        break;
    case PT_AUTH3:
        cl_rpc_read_auth(p, v);
        break;
    case PT_REQUEST:
        cl_rpc_read_request(p, v);
        break;
    case PT_RESPONSE:
    case PT_FAULT:
        cl_rpc_read_response(p, v);
        break;
    default:
        break;
    }
}

/* Between PDUs a direction keeps no buffer: most connections are idle most of the time. */
static void dir_reset(rpc_dir *d)
{
    d->pdu_len = 0;
    d->pdu_got = 0;
    if (d->head)
        g_byte_array_free(d->head, TRUE);
    if (d->tail)
        g_byte_array_free(d->tail, TRUE);
    d->head = NULL;
    d->tail = NULL;
}

/* The header's 16 bytes; false while they are incomplete or when they are no DCE/RPC header. */
static bool take_header(rpc_dir *d, const uint8_t **b, uint32_t *n)
{
    uint32_t take = MIN(*n, 16 - d->head->len);
    g_byte_array_append(d->head, *b, take);
    d->pdu_got += take;
    *b += take;
    *n -= take;
    if (d->head->len < 16)
        return false;
    if (!cl_rpc_plausible_header(d->head->data, 16)) {
        d->synced = false; /* not DCE/RPC after all, or lost track */
        dir_reset(d);
        return false;
    }
    d->pdu_len = cl_rpc_header_u16(d->head->data, 8);
    return true;
}

/* The PDU's body: its head is kept, of a long one only the last CL_RPC_TAIL bytes beyond it. */
static void take_body(rpc_dir *d, const uint8_t *b, uint32_t take)
{
    uint32_t to_head = d->head->len < CL_RPC_HEAD ? MIN(take, CL_RPC_HEAD - d->head->len) : 0;
    g_byte_array_append(d->head, b, to_head);
    if (take > to_head) {
        uint32_t more = take - to_head, skip = more > CL_RPC_TAIL ? more - CL_RPC_TAIL : 0;
        if (!d->tail)
            d->tail = g_byte_array_sized_new(CL_RPC_TAIL);
        if (skip)
            g_byte_array_set_size(d->tail, 0);
        g_byte_array_append(d->tail, b + to_head + skip, more - skip);
        if (d->tail->len > CL_RPC_TAIL)
            g_byte_array_remove_range(d->tail, 0, d->tail->len - CL_RPC_TAIL);
    }
    d->pdu_got += take;
}

/* A PDU that lies whole in the bytes at hand, at a PDU boundary, is read where it lies, as the same view of its
 * head and tail that buffering it would give: most PDUs fit in one segment, and copying them cost more than
 * reading them. False when the bytes do not start a whole, plausible PDU (the buffered path then decides). */
static bool read_in_place(const rpc_pass *p, rpc_dir *d, const uint8_t **b, uint32_t *n)
{
    if (d->head || *n < 16 || !cl_rpc_plausible_header(*b, 16))
        return false;
    const uint8_t *h = *b;
    bool le = cl_rpc_header_le(h);
    uint32_t len = cl_rpc_header_u16(h, 8);
    if (len > *n)
        return false;
    uint32_t head_len = MIN(len, CL_RPC_HEAD);
    uint32_t tail_len = MIN(len - head_len, CL_RPC_TAIL);
    pdu_view v = {h, head_len, tail_len ? h + (len - tail_len) : NULL, tail_len ? len - tail_len : 0, len, le};
    *b += len;
    *n -= len;
    read_pdu(p, &v);
    return true;
}

/* Bytes in stream order; complete PDUs are read at once. */
static void consume(const rpc_pass *p, const uint8_t *b, uint32_t n)
{
    rpc_dir *d = &p->rpc->dir[p->from];
    while (n && d->synced) {
        if (read_in_place(p, d, &b, &n))
            continue;
        if (!d->head)
            d->head = g_byte_array_new();
        if (!d->pdu_len && !take_header(d, &b, &n))
            return;
        uint32_t take = MIN(n, d->pdu_len - d->pdu_got);
        take_body(d, b, take);
        b += take;
        n -= take;
        if (d->pdu_got < d->pdu_len)
            return;
        pdu_view v = {d->head->data, d->head->len, NULL, d->pdu_len, d->pdu_len, cl_rpc_header_le(d->head->data)};
        if (d->tail && d->tail->len) {
            v.tail = d->tail->data;
            v.tail_off = d->pdu_len - d->tail->len;
        }
        read_pdu(p, &v);
        dir_reset(d);
    }
}

/* A segment's first bytes could begin a PDU header: all 10 that are checked when it has them, else the ones it has
 * (real stacks send the header in pieces: Nagle off, interactive RPC, middleboxes that re-segment); take_header
 * checks the whole header once its 16 bytes are in. */
static bool may_start_pdu(const uint8_t *b, uint32_t n)
{
    if (n >= 10)
        return cl_rpc_plausible_header(b, n);
    return b[0] == 5 && (n < 2 || b[1] <= 1) && (n < 3 || cl_rpc_ptype_name(b[2])) && (n < 5 || !(b[4] & 0xee)) &&
           (n < 6 || b[5] <= 3);
}

/* The side's first data segment, and the bytes before it are missing: its SYN is in the capture, nothing else
 * it sent carried data, and this segment starts after its first byte (the one before was lost and will be
 * retransmitted, or comes late). */
static bool first_segment_late(const cl_side *sender, const cl_packet *pkt)
{
    return sender->syn_seen && !sender->last_data_frame && SEQ_GT(pkt->seq, sender->isn + 1);
}

/* Whether to read this conversation as DCE/RPC: a PDU header at the start of one of its first payload
 * segments, or an endpoint learned to serve an interface; provisionally, a stream whose first segment came
 * late, until the bytes before it show what it is. */
static bool rpc_start(const rpc_state *st, rpc_slot *slot, const cl_side *sender, const cl_packet *pkt)
{
    if (slot->conn)
        return true;
    if (slot->probes >= CL_RPC_PROBES)
        return false;
    slot->probes++;
    bool known = cl_lru_count(&st->endpoints) && (cl_rpc_endpoint_lookup(st, &pkt->ip.dst, pkt->dport) ||
                                                  cl_rpc_endpoint_lookup(st, &pkt->ip.src, pkt->sport));
    bool provisional = !known && !may_start_pdu(pkt->payload, pkt->payload_caplen);
    if (provisional && !first_segment_late(sender, pkt))
        return false;
    slot->conn = g_new0(rpc_conn, 1);
    slot->conn->client = -1;
    slot->conn->provisional = provisional;
    return true;
}

/* A direction whose SYN is in the capture and none of whose bytes was seen yet starts at a PDU boundary, its
 * first byte: a segment after it that comes first is held until the bytes before it arrive, as TCP delivers
 * them, rather than taken for where the stream starts. */
static void seed(rpc_dir *d, const cl_side *sender)
{
    if (d->has_next || !sender->syn_seen || sender->last_data_frame)
        return;
    d->next_seq = sender->isn + 1;
    d->has_next = true;
    d->synced = true;
}

/* A stretch of one direction's bytes: where it starts, its bytes in the capture, its length on the wire. */
typedef struct {
    uint32_t seq;
    const uint8_t *bytes;
    uint32_t caplen, len;
} stretch;

static void drop_held(rpc_dir *d)
{
    while (d->held.head)
        g_free(g_queue_pop_head(&d->held));
    d->held_bytes = 0;
}

/* Bytes are missing for good: wait for the next PDU boundary. */
static void lose_sync(rpc_dir *d)
{
    d->synced = false;
    dir_reset(d);
    drop_held(d);
}

/* Where this stretch's bytes go in the direction's stream: false when there is nothing new to read. */
static bool stream_position(rpc_dir *d, const stretch *s, uint32_t *skip)
{
    uint32_t end = s->seq + s->len;
    int32_t ahead = d->has_next ? (int32_t)(d->next_seq - s->seq) : 0; /* bytes of it already seen */
    *skip = 0;
    if (ahead > 0 && (uint32_t)ahead >= s->len)
        return false;             /* a retransmission of what was seen */
    if (d->synced && ahead < 0) { /* bytes missing from the capture: wait for the next PDU boundary */
        lose_sync(d);
    } else if (d->synced) {
        *skip = (uint32_t)ahead;
    }
    if (!d->has_next || SEQ_GT(end, d->next_seq)) {
        d->next_seq = end;
        d->has_next = true;
    }
    if (!d->synced) { /* only new bytes that start a PDU bring it back */
        if (ahead > 0 || !may_start_pdu(s->bytes, s->caplen))
            return false;
        d->synced = true;
        dir_reset(d);
    }
    return true;
}

static void take_stretch(const rpc_pass *p, rpc_dir *d, const stretch *s)
{
    uint32_t skip;
    if (!stream_position(d, s, &skip))
        return;
    if (skip < s->caplen)
        consume(p, s->bytes + skip, s->caplen - skip);
    if (s->caplen < s->len) /* cut by the snap length */
        lose_sync(d);
}

/* A segment after a gap in a direction being read: held (bounded) until the gap fills, as TCP delivers it. */
typedef struct {
    uint32_t seq, len;
    uint8_t bytes[];
} held_seg;

static bool hold(rpc_dir *d, const cl_packet *pkt)
{
    if (d->held_bytes + pkt->tcp_len > CL_RPC_HELD || d->held.length >= CL_RPC_HELD_SEGS)
        return false;
    held_seg *h = g_malloc(sizeof(held_seg) + pkt->tcp_len);
    h->seq = pkt->seq;
    h->len = pkt->tcp_len;
    memcpy(h->bytes, pkt->payload, pkt->tcp_len);
    GList *at = d->held.head; /* in sequence order: reordering is mostly one segment, so few steps */
    while (at && SEQ_LEQ(((held_seg *)at->data)->seq, h->seq))
        at = at->next;
    if (at)
        g_queue_insert_before(&d->held, at, h);
    else
        g_queue_push_tail(&d->held, h);
    d->held_bytes += h->len;
    return true;
}

/* The held segments are read in order: all of them, or (once the gap before them filled) as far as they follow
 * on. */
static void read_held(const rpc_pass *p, rpc_dir *d, bool all)
{
    held_seg *h;
    while ((h = g_queue_peek_head(&d->held)) && (all || !SEQ_GT(h->seq, d->next_seq))) {
        g_queue_pop_head(&d->held);
        d->held_bytes -= h->len;
        stretch s = {h->seq, h->bytes, h->len, h->len};
        take_stretch(p, d, &s);
        g_free(h);
    }
}

/* The gap before the held segments will not fill: the receiver acknowledged its bytes (they arrived, the capture
 * lacks them), the hold is full, or the connection ends. What was held is read from the first segment that starts
 * a PDU, as after any loss. */
static void gap_lost(const rpc_pass *p, rpc_dir *d)
{
    d->synced = false; /* unsynced, the first held segment is no gap: only a PDU start brings it back */
    dir_reset(d);
    read_held(p, d, true);
}

static void read_tcp(void *state, cl_ctx *x, cl_conv *conv, rpc_slot *rs, const cl_packet *pkt, cl_facts *facts)
{
    const cl_side *sender = &conv->side[facts->from];
    for (int side = 0; rs->conn && side < 2; side++) {
        rpc_dir *held = &rs->conn->dir[side];
        bool acked_past = side != facts->from && (pkt->tcp_flags & CL_TCP_ACK) && SEQ_GT(pkt->ack, held->next_seq);
        if (held->held.head && (acked_past || facts->ends)) {
            rpc_pass of_side = {state, x, conv, rs->conn, pkt, side};
            gap_lost(&of_side, held);
        }
    }
    if (!pkt->payload || !pkt->payload_caplen || !rpc_start(state, rs, sender, pkt))
        return;
    rpc_pass p = {state, x, conv, rs->conn, pkt, facts->from};
    rpc_dir *d = &rs->conn->dir[facts->from];
    seed(d, sender);
    bool after_gap = d->synced && d->has_next && SEQ_GT(pkt->seq, d->next_seq);
    if (after_gap && pkt->payload_caplen == pkt->tcp_len && hold(d, pkt))
        return;
    if (after_gap && d->held.head) /* no room to wait longer: the gap is lost */
        gap_lost(&p, d);
    stretch s = {pkt->seq, pkt->payload, pkt->payload_caplen, pkt->tcp_len};
    take_stretch(&p, d, &s);
    read_held(&p, d, false);
}

static void conn_free(rpc_conn *rpc)
{
    for (int i = 0; i < 2; i++) {
        dir_reset(&rpc->dir[i]);
        drop_held(&rpc->dir[i]);
    }
    if (rpc->contexts)
        g_array_free(rpc->contexts, TRUE);
    if (rpc->proposed)
        g_array_free(rpc->proposed, TRUE);
    if (rpc->calls)
        g_hash_table_destroy(rpc->calls);
    g_free(rpc);
}

/* A provisional connection whose gap filled with bytes that are no PDU (or never filled): neither direction is at
 * a PDU boundary any more and nothing is held. */
static bool no_pdu_ahead(const rpc_conn *rpc)
{
    for (int i = 0; i < 2; i++)
        if (rpc->dir[i].synced || rpc->dir[i].held.head)
            return false;
    return true;
}

/* Its buffers, contexts and calls change with any PDU: a DCE/RPC conversation is counted after each packet. */
static void rpc_on_tcp(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    rpc_slot *rs = slot;
    bool had_conn = rs->conn;
    read_tcp(state, x, conv, rs, pkt, facts);
    if (rs->conn && rs->conn->provisional && no_pdu_ahead(rs->conn)) {
        conn_free(rs->conn);
        rs->conn = NULL;
    }
    if (had_conn || rs->conn)
        cl_conv_resized(conv);
}

static void rpc_slot_free(void *state, cl_conv *conv, void *slot)
{
    (void)state;
    (void)conv;
    rpc_conn *rpc = ((rpc_slot *)slot)->conn;
    if (rpc)
        conn_free(rpc);
}

/* Its PDU buffers are counted at their most (a head and a tail being trimmed, each direction). */
static size_t rpc_slot_bytes(const void *slot)
{
    const rpc_conn *rpc = ((const rpc_slot *)slot)->conn;
    if (!rpc)
        return 0;
    size_t held = 0;
    for (int i = 0; i < 2; i++)
        held += rpc->dir[i].held_bytes + rpc->dir[i].held.length * (sizeof(held_seg) + CL_ENTRY_BYTES);
    return sizeof(*rpc) + held + 2 * (CL_RPC_HEAD + 2 * CL_RPC_TAIL + 2 * CL_ENTRY_BYTES) +
           (rpc->contexts ? rpc->contexts->len * sizeof(rpc_ctx) : 0) +
           (rpc->proposed ? rpc->proposed->len * sizeof(uint16_t) : 0) +
           rpc->call_order.length * (sizeof(cl_rpc_call) + 2 * CL_ENTRY_BYTES);
}

static void *rpc_init(cl_ctx *x, size_t slot)
{
    (void)slot;
    rpc_state *st = g_new0(rpc_state, 1);
    cl_lru_init(&st->endpoints, cl_rpc_endpoint_hash, cl_rpc_endpoint_equal, x->cfg->max_rpc_endpoints,
                sizeof(endpoint) + CL_ENTRY_BYTES);
    cl_lru_describe(&st->endpoints, "RPC endpoints", "max_rpc_endpoints", "the oldest learned ones are forgotten",
                    cl_rpc_endpoint_evict, &st->endpoints);
    cl_core_add_table(x, &st->endpoints);
    return st;
}

static void rpc_free(void *state)
{
    rpc_state *st = state;
    cl_lru_destroy(&st->endpoints);
    g_free(st);
}

/* Analyses that listen to DCE/RPC calls get them. */
static void rpc_subscribe(void *state, const cl_analysis *other, void *other_state)
{
    rpc_state *st = state;
    if (other->rpc_listener && st->n_subscribers < CL_RPC_LISTENERS)
        st->subscribers[st->n_subscribers++] = (subscriber){other->rpc_listener, other_state};
}

static const cl_pref rpc_prefs[] = {
    CL_PREF(max_rpc_endpoints, "Most RPC endpoints learned",
            "Bound on the (address, port) endpoints learned from EPM answers and binds", 10000, 1, UINT32_MAX),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_rpc = {
    .name = "rpc",
    .prefs = rpc_prefs,
    .slot_size = sizeof(rpc_slot),
    .init = rpc_init,
    .free = rpc_free,
    .subscribe = rpc_subscribe,
    .on_tcp = rpc_on_tcp,
    .slot_free = rpc_slot_free,
    .slot_bytes = rpc_slot_bytes,
};
