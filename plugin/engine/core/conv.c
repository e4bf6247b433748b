/* Conversations: lookup by tuple, new connections on a reused port pair, the endpoint tracker, and how long a
 * conversation is kept.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "conv.h"

#include <string.h>

static void closed_drop(cl_convs *t, cl_closed *c)
{
    cl_lru_remove(&t->closed, &c->tuple, c, &c->node);
    g_free(c);
}

static void closed_evict(void *entry, void *data) { closed_drop(data, entry); }

/* Keeps who a TCP conversation was for as long as fragments about it can still be declared lost. */
static void closed_remember(cl_convs *t, const cl_conv *conv)
{
    if (conv->tuple.proto != 6 || !conv->may_fragment)
        return;
    cl_closed *c = cl_lru_lookup(&t->closed, &conv->tuple);
    if (c)
        closed_drop(t, c);
    cl_lru_make_room(&t->closed);
    c = g_new0(cl_closed, 1);
    c->tuple = conv->tuple;
    c->id = conv->id;
    c->first_frame = conv->first_frame;
    c->first_time = conv->first_time;
    c->closed_time = t->now_time;
    c->client = conv->side[0].addr;
    c->client_port = conv->side[0].port;
    c->established = conv->established;
    cl_lru_insert(&t->closed, &c->tuple, c, &c->node);
}

static void conv_forget(cl_convs *t, cl_conv *conv)
{
    if (t->last_tcp == conv)
        t->last_tcp = NULL;
    closed_remember(t, conv);
    cl_lru_remove(&t->table, &conv->tuple, conv, &conv->node);
    if (conv->reset_link)
        g_queue_delete_link(&t->reset, conv->reset_link);
    t->hooks.free(conv, t->hooks.data);
    t->bytes -= conv->charged;
    g_free(conv);
}

static void conv_evict(void *entry, void *data) { conv_forget(data, entry); }

void cl_convs_init(cl_convs *t, const cl_config *cfg, size_t slot_bytes, cl_slot_hooks hooks)
{
    memset(t, 0, sizeof(*t));
    t->cfg = cfg;
    t->slot_bytes = slot_bytes;
    t->hooks = hooks;
    cl_lru_init(&t->table, cl_tuple_hash, cl_tuple_equal, cfg->max_conversations, 0);
    cl_lru_describe(&t->table, "conversations", "max_conversations", "the least recently active ones are forgotten",
                    conv_evict, t);
    cl_lru_init(&t->closed, cl_tuple_hash, cl_tuple_equal, cfg->max_conversations, sizeof(cl_closed) + CL_ENTRY_BYTES);
    cl_lru_describe(&t->closed, NULL, NULL, NULL, closed_evict, t);
    g_queue_init(&t->reset);
}

void cl_convs_free(cl_convs *t)
{
    cl_lru_destroy(&t->table); /* each conversation leaves the reset queue as it goes */
    cl_lru_destroy(&t->closed);
}

static cl_conv *conv_new(cl_convs *t, const cl_tuple *tuple)
{
    cl_lru_make_room(&t->table);
    cl_conv *conv = g_malloc0(sizeof(cl_conv) + t->slot_bytes);
    conv->id = ++t->next_id;
    conv->tuple = *tuple;
    conv->first_frame = t->now_frame;
    conv->first_time = t->now_time;
    for (int i = 0; i < 2; i++) {
        conv->side[i].min_answer = -1;
        conv->side[i].wscale = -1;
    }
    /* the newest connection on a port pair owns the tuple (ICMP quotes the newest) */
    cl_lru_insert(&t->table, &conv->tuple, conv, &conv->node);
    cl_conv_resized(conv); /* counted for the first time after its first packet */
    return conv;
}

cl_conv *cl_conv_lookup(const cl_convs *t, const cl_tuple *tuple) { return cl_lru_lookup(&t->table, tuple); }

const char *cl_role(int side) { return side == 0 ? "client" : "server"; }

int cl_side_of(const cl_conv *conv, const cl_addr *src, uint16_t sport)
{
    for (int i = 0; i < 2; i++) {
        const cl_side *s = &conv->side[i];
        if (s->seen && s->port == sport && cl_addr_same(&s->addr, src))
            return i;
    }
    return -1;
}

static void side_set(cl_side *s, const cl_addr *addr, uint16_t port)
{
    s->seen = true;
    s->addr = *addr;
    s->port = port;
}

/* The side a packet came from; the first sender becomes the client unless a SYN says otherwise. */
static int side_assign(cl_conv *conv, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport)
{
    int from = cl_side_of(conv, src, sport);
    if (from >= 0)
        return from;
    from = conv->side[0].seen ? 1 : 0;
    side_set(&conv->side[from], src, sport);
    side_set(&conv->side[!from], dst, dport);
    return from;
}

static uint32_t endpoint_hash(const cl_addr *addr, uint16_t port)
{
    struct {
        cl_addr addr;
        uint16_t port;
    } key;
    memset(&key, 0, sizeof(key));
    key.addr = *addr;
    key.port = port;
    return cl_hash_bytes(&key, sizeof(key));
}

static cl_first_sender *first_sender_of(cl_convs *t, const cl_tuple *tuple, uint32_t *flow)
{
    *flow = cl_tuple_hash(tuple) | 1;
    return &t->first_senders[*flow % CL_FIRST_SENDERS];
}

void cl_convs_note_datagram(cl_convs *t, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport)
{
    cl_tuple tuple;
    cl_tuple_make(&tuple, src, sport, dst, dport, 17);
    uint32_t flow;
    cl_first_sender *fs = first_sender_of(t, &tuple, &flow);
    if (fs->flow == flow)
        return;
    fs->flow = flow;
    fs->sender = endpoint_hash(src, sport);
}

/* The datagram from src that makes a new flow's conversation was an answer: the other side spoke first. */
static bool answer_first(cl_convs *t, const cl_tuple *tuple, const cl_addr *src, uint16_t sport, uint16_t dport)
{
    uint32_t flow;
    const cl_first_sender *fs = first_sender_of(t, tuple, &flow);
    if (fs->flow == flow)
        return fs->sender != endpoint_hash(src, sport);
    return sport && sport < 1024 && dport >= 1024; /* from a well-known port to an unprivileged one */
}

cl_conv *cl_conv_for_flow(cl_convs *t, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport,
                          uint8_t proto)
{
    cl_tuple tuple;
    cl_tuple_make(&tuple, src, sport, dst, dport, proto);
    cl_conv *conv = cl_conv_lookup(t, &tuple);
    if (!conv) {
        conv = conv_new(t, &tuple);
        conv->established = true; /* no handshake to follow outside TCP's own packets */
        cl_closed *c = cl_lru_lookup(&t->closed, &tuple);
        if (c) { /* the same connection, ended a moment ago */
            conv->established = c->established;
            conv->id = c->id;
            conv->first_frame = c->first_frame;
            conv->first_time = c->first_time;
            t->next_id--;
            bool client_first = memcmp(&c->client, src, sizeof(*src)) == 0 && c->client_port == sport;
            side_assign(conv, client_first ? src : dst, client_first ? sport : dport, client_first ? dst : src,
                        client_first ? dport : sport);
            closed_drop(t, c);
        } else if (proto == 17 && answer_first(t, &tuple, src, sport, dport)) {
            side_assign(conv, dst, dport, src, sport);
        }
    }
    side_assign(conv, src, sport, dst, dport);
    cl_conv_touch(t, conv);
    return conv;
}

/* A SYN with a new initial sequence number on a known port pair starts a new connection. */
static bool starts_new_connection(const cl_conv *conv, const cl_packet *pkt)
{
    if ((pkt->tcp_flags & (CL_TCP_SYN | CL_TCP_ACK)) != CL_TCP_SYN)
        return false;
    int from = cl_side_of(conv, &pkt->ip.src, pkt->sport);
    return from >= 0 && conv->side[from].has_snd_next && pkt->seq + 1 != conv->side[from].snd_next;
}

/* The side that sent the packet if it goes between the conversation's two sides, else -1. */
static int side_carrying(const cl_conv *conv, const cl_packet *pkt)
{
    int from = cl_side_of(conv, &pkt->ip.src, pkt->sport);
    const cl_side *to = &conv->side[!from];
    return from >= 0 && to->port == pkt->dport && cl_addr_same(&to->addr, &pkt->ip.dst) ? from : -1;
}

/* Without a SYN from the client, its first packet tells the roles: the receiver of a SYN-ACK (the capture
 * began after the SYN) is the client; without a handshake, the side with the ephemeral (higher) port. */
static void roles_from_first(cl_conv *conv, const cl_packet *pkt)
{
    uint8_t syn_ack = pkt->tcp_flags & (CL_TCP_SYN | CL_TCP_ACK);
    bool no_syn_ephemeral_dst = !(pkt->tcp_flags & CL_TCP_SYN) && pkt->sport < pkt->dport;
    if (conv->side[0].seen)
        return;
    if (syn_ack == CL_TCP_SYN) {
        conv->handshake_seen = true;
    } else if (syn_ack == (CL_TCP_SYN | CL_TCP_ACK) || no_syn_ephemeral_dst) {
        side_set(&conv->side[0], &pkt->ip.dst, pkt->dport);
        side_set(&conv->side[1], &pkt->ip.src, pkt->sport);
    }
}

cl_conv *cl_conv_for_tcp(cl_convs *t, const cl_packet *pkt, int *from)
{
    cl_tuple tuple;
    cl_conv *conv = t->last_tcp; /* packets mostly come in runs of one conversation: no lookup then */
    int cached_from = conv ? side_carrying(conv, pkt) : -1;
    if (cached_from >= 0) {
        tuple = conv->tuple;
    } else {
        cl_tuple_make(&tuple, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport, 6);
        conv = cl_conv_lookup(t, &tuple);
    }
    if (!conv || starts_new_connection(conv, pkt)) {
        conv = conv_new(t, &tuple);
        cached_from = -1;
    }
    t->last_tcp = conv;
    roles_from_first(conv, pkt);
    *from = cached_from >= 0 ? cached_from : side_assign(conv, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport);
    cl_conv_touch(t, conv);
    return conv;
}

bool cl_track_before(cl_conv *conv, int from, const cl_packet *pkt)
{
    cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    bool syn = pkt->tcp_flags & CL_TCP_SYN;
    bool restart = syn && me->has_data_next && pkt->seq + 1 != me->data_next;
    if (restart) { /* a new connection on the same stream (new ISN): start this side over */
        cl_addr addr = me->addr;
        uint16_t port = me->port;
        memset(me, 0, sizeof(*me));
        me->min_answer = -1;
        me->wscale = -1;
        side_set(me, &addr, port);
    }
    if (syn)
        me->wscale = pkt->wscale;
    /* windows are scaled once both SYNs carried the option, never in a SYN itself (RFC 7323) */
    bool scaled = !syn && me->wscale >= 0 && peer->wscale >= 0;
    if (!(pkt->tcp_flags & CL_TCP_RST))
        me->window = scaled ? pkt->window << me->wscale : pkt->window;
    if (syn) {
        if (pkt->mss)
            me->mss = pkt->mss;
        me->timestamps = pkt->tcp_timestamps;
    }
    return restart;
}

/* The highest data seen: a SYN counts one, data extends it (a RST's data too), a FIN does not. */
static void track_data(cl_side *me, const cl_packet *pkt)
{
    uint32_t end = pkt->seq + pkt->tcp_len;
    if (pkt->tcp_flags & CL_TCP_SYN) {
        me->has_data_next = true;
        me->data_next = pkt->seq + 1;
    } else if (pkt->tcp_len > 0 && (!me->has_data_next || SEQ_GT(end, me->data_next))) {
        me->has_data_next = true;
        me->data_next = end;
    }
}

/* Everything sent and acknowledged, and how fast this side answers a SYN or SYN-ACK: the kernel answers at
 * once, so that is the fastest this side can answer at all. */
static void track_sent(cl_side *me, cl_side *peer, const cl_packet *pkt)
{
    uint8_t flags = pkt->tcp_flags;
    uint32_t end = pkt->seq + pkt->tcp_len + !!(flags & CL_TCP_SYN) + !!(flags & CL_TCP_FIN);
    if (!me->has_snd_next || SEQ_GT(end, me->snd_next)) {
        me->has_snd_next = true;
        me->snd_next = end;
    }
    if (flags & CL_TCP_SYN) {
        me->new_data_open = true;
        me->new_data_time = pkt->time;
        me->new_data_end = end;
    }
    if (flags & CL_TCP_FIN)
        me->fin_sent = true;
    if (flags & CL_TCP_ACK) {
        if (!peer->has_ack_seen || SEQ_GT(pkt->ack, peer->ack_seen)) {
            peer->has_ack_seen = true;
            peer->ack_seen = pkt->ack;
        }
        if (peer->new_data_open && pkt->ack == peer->new_data_end && !pkt->tcp_len) {
            double answer = pkt->time - peer->new_data_time;
            if (answer >= 0 && (me->min_answer < 0 || answer < me->min_answer))
                me->min_answer = answer;
        }
        peer->new_data_open = false;
    }
    me->latest_had_ack = flags & CL_TCP_ACK;
    me->latest_ack = pkt->ack;
}

/* A connection exists once one side acknowledges something the other sent, its SYN included: an unanswered SYN,
 * a SYN answered by a RST, a SYN-ACK never acknowledged, a challenge ACK that acknowledges another connection's
 * bytes never established one. Without a SYN in the capture it began before it. */
static void track_established(cl_conv *conv, const cl_side *peer, const cl_packet *pkt)
{
    uint8_t flags = pkt->tcp_flags;
    if (conv->established || (flags & (CL_TCP_SYN | CL_TCP_RST)) || !(flags & CL_TCP_ACK))
        return;
    conv->established =
        !peer->syn_seen || (peer->has_snd_next && SEQ_GT(pkt->ack, peer->isn) && SEQ_LEQ(pkt->ack, peer->snd_next));
}

/* A copy repeats the whole packet, its IPv4 ID included; the TTL may be one lower (a copy taken a hop on). Within
 * a second where the IPv4 ID tells a retransmission from a copy; without one (IPv6, or ID 0 as Linux gives its
 * SYN-ACKs and RSTs) a copy must follow within 2 ms with nothing from the other side in between (a
 * retransmission waits for a timeout or for the peer's duplicate ACKs). */
#define COPY_WITH_ID_S 1.0
#define COPY_WITHOUT_ID_S 0.002

/* A multiplicative mix of what a copy repeats: cheap, for every TCP packet. */
static uint32_t print_of(const cl_packet *pkt)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    uint32_t addr;
    memcpy(&addr, pkt->ip.src.bytes + (pkt->ip.src.family == 6 ? 12 : 0), 4);
    uint64_t words[4] = {(uint64_t)addr << 32 | (uint32_t)pkt->sport << 16 | pkt->dport,
                         (uint64_t)pkt->ip.id << 32 | pkt->seq, (uint64_t)pkt->ack << 32 | pkt->tcp_len,
                         (uint64_t)pkt->window << 8 | pkt->tcp_flags};
    for (int i = 0; i < 4; i++)
        h = (h ^ words[i]) * 0xff51afd7ed558ccdu;
    return (uint32_t)(h ^ (h >> 32));
}

/* Whether the other side of the packet's conversation sent anything after `frame`. */
static bool peer_spoke_since(const cl_convs *t, const cl_packet *pkt, uint32_t frame)
{
    cl_tuple tuple;
    cl_tuple_make(&tuple, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport, 6);
    const cl_conv *conv = cl_conv_lookup(t, &tuple);
    int peer = conv ? cl_side_of(conv, &pkt->ip.dst, pkt->dport) : -1;
    return peer >= 0 && conv->side[peer].last_frame > frame;
}

uint32_t cl_convs_copy_of(cl_convs *t, const cl_packet *pkt)
{
    uint32_t print = print_of(pkt);
    cl_print *r = &t->recent[print % CL_PRINTS]; /* direct-mapped: a copy lands where its packet did */
    double age = pkt->time - r->time;
    bool has_id = pkt->ip.src.family == 4 && pkt->ip.id;
    if (r->frame && r->print == print && age >= 0 &&
        (has_id ? age <= COPY_WITH_ID_S : age <= COPY_WITHOUT_ID_S && !peer_spoke_since(t, pkt, r->frame)))
        return r->frame;
    *r = (cl_print){pkt->frame, print, pkt->time};
    return 0;
}

void cl_track_after(cl_conv *conv, int from, const cl_packet *pkt, uint32_t epoch)
{
    cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    track_established(conv, peer, pkt);
    if ((pkt->tcp_flags & CL_TCP_SYN) && !(pkt->tcp_flags & CL_TCP_RST)) {
        me->syn_seen = true;
        me->isn = pkt->seq;
    }
    if (pkt->tcp_len)
        me->last_data_frame = pkt->frame;
    track_data(me, pkt);
    if (pkt->tcp_flags & CL_TCP_RST)
        conv->rst_seen = true;
    else
        track_sent(me, peer, pkt);
    /* a clock that steps back must not make the next packet look like it came after a silence */
    if (!me->last_frame || pkt->time > me->last_time)
        me->last_time = pkt->time;
    me->last_frame = pkt->frame;
    if (!conv->prev_frame || pkt->time > conv->prev_time)
        conv->prev_time = pkt->time;
    conv->prev_frame = pkt->frame;
    conv->prev_epoch = epoch;
}

/* Its table entry is one hash table entry: the order's list node lives inside the conversation. */
static uint32_t conv_bytes(const cl_convs *t, const cl_conv *conv)
{
    size_t n = sizeof(*conv) + t->slot_bytes + CL_ENTRY_BYTES + t->hooks.bytes(conv, t->hooks.data);
    return (uint32_t)MIN(n, UINT32_MAX);
}

void cl_conv_charge(cl_convs *t, cl_conv *conv)
{
    uint32_t n = conv_bytes(t, conv);
    t->bytes = t->bytes - conv->charged + n;
    conv->charged = n;
    conv->recount = false;
}

static bool charges_exact_in(const cl_convs *t, const GQueue *q, size_t *sum)
{
    for (const GList *l = q->head; l; l = l->next) {
        const cl_conv *conv = l->data;
        if (conv->charged != conv_bytes(t, conv))
            return false;
        *sum += conv->charged;
    }
    return true;
}

bool cl_convs_charges_exact(const cl_convs *t)
{
    size_t sum = 0;
    return charges_exact_in(t, &t->table.order, &sum) && charges_exact_in(t, &t->table.pinned, &sum) && sum == t->bytes;
}

/* Memory stays flat over many short connections: a connection closed by both FINs and fully acknowledged
 * has nothing more to tell and is forgotten at once; one ended by a RST keeps its verdict a few seconds for
 * the packets that cross the RST. */
void cl_conv_after_tcp(cl_convs *t, cl_conv *conv, const cl_packet *pkt)
{
    const cl_side *c = &conv->side[0], *s = &conv->side[1];
    bool acked = c->has_ack_seen && c->ack_seen == c->snd_next && s->has_ack_seen && s->ack_seen == s->snd_next;
    if (!conv->rst_seen && c->fin_sent && s->fin_sent && acked) {
        conv_forget(t, conv);
    } else if (conv->rst_seen && !conv->reset_link) {
        conv->reset_time = pkt->time;
        g_queue_push_tail(&t->reset, conv);
        conv->reset_link = t->reset.tail;
    }
}

void cl_convs_expire(cl_convs *t, double now)
{
    cl_conv *head;
    while (t->reset.head && (head = t->reset.head->data) && now - head->reset_time > t->cfg->reset_linger_s)
        conv_forget(t, head);
    cl_closed *c;
    while ((c = cl_lru_oldest(&t->closed)) && now - c->closed_time > t->remember_s)
        closed_drop(t, c);
}

bool cl_convs_shed(cl_convs *t) { return cl_lru_shed(&t->table); }
bool cl_convs_shed_closed(cl_convs *t) { return cl_lru_shed(&t->closed); }
