/* Conversation tables and the per-frame dispatch of the analysis.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

void cl_config_defaults(cl_config *cfg)
{
    cfg->pmtud_min_sends = 3;
    cfg->pmtud_stall_ms = 1000;
    cfg->dupack_chain = 3;
    cfg->frag_min_lost = 2;
    cfg->frag_grace_ms = 1000;
    cfg->frag_timeout_s = 30;
    cfg->max_conversations = 200000;
    cfg->max_segments = 2048;
    cfg->max_fragments = 65536;
    cfg->idle_min_ms = 1000;
    cfg->drop_min_retrans = 2;
    cfg->rto_min_retrans = 3;
    cfg->rst_ttl_tolerance = 0; /* ECMP hashes a flow onto one path: one sender, one TTL per capture point */
    cfg->period_min_count = 3;
    cfg->period_jitter_pct = 10;
    cfg->max_pairs = 10000;
    cfg->reset_linger_s = 10;
    cfg->mapi_limit = 32; /* Exchange's default per-user session limit */
    cfg->mapi_near_pct = 80;
    cfg->mapi_burst_count = 10;
    cfg->mapi_burst_s = 60;
    cfg->max_mapi_sessions = 100000;
    cfg->max_rpc_endpoints = 10000;
    cfg->max_state_mb = 512;
    cfg->max_results_mb = 1024;
}

/* Keys are memset before they are filled, so hashing the bytes is safe. Eight bytes per step: this runs
 * for every frame. */
guint cl_hash_bytes(gconstpointer key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = 0xcbf29ce484222325u;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15u;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    h ^= h >> 29;
    return (guint)(h ^ (h >> 32));
}

guint cl_tuple_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(cl_tuple)); }
gboolean cl_tuple_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(cl_tuple)) == 0; }

uint32_t cl_ip_header_len(uint8_t family) { return family == 6 ? 40 : 20; }

static int addr_cmp(const cl_addr *a, uint16_t pa, const cl_addr *b, uint16_t pb)
{
    int c = memcmp(a, b, sizeof(cl_addr));
    if (c)
        return c;
    return (int)pa - (int)pb;
}

void cl_tuple_make(cl_tuple *t, const cl_addr *a, uint16_t pa, const cl_addr *b, uint16_t pb, uint8_t proto)
{
    memset(t, 0, sizeof(*t));
    if (addr_cmp(a, pa, b, pb) <= 0) {
        t->lo = *a, t->lo_port = pa, t->hi = *b, t->hi_port = pb;
    } else {
        t->lo = *b, t->lo_port = pb, t->hi = *a, t->hi_port = pa;
    }
    t->proto = proto;
}

void cl_addr_format(const cl_addr *a, uint16_t port, char *buf, size_t len)
{
    char host[64];
    if (a->family == 4)
        snprintf(host, sizeof(host), "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
    else if (a->family == 6) {
        /* RFC 5952: the longest run of zero groups becomes "::" */
        uint16_t g[8];
        int best = -1, best_len = 0;
        for (int i = 0; i < 8; i++)
            g[i] = (uint16_t)(a->bytes[2 * i] << 8 | a->bytes[2 * i + 1]);
        for (int i = 0; i < 8;) {
            int j = i;
            while (j < 8 && g[j] == 0)
                j++;
            if (j - i > best_len && j - i > 1)
                best = i, best_len = j - i;
            i = j > i ? j : i + 1;
        }
        size_t n = 0;
        for (int i = 0; i < 8 && n < sizeof(host); i++) {
            if (i == best) {
                n += (size_t)snprintf(host + n, sizeof(host) - n, "::");
                i += best_len - 1;
                continue;
            }
            n += (size_t)snprintf(host + n, sizeof(host) - n, "%s%x", (n && host[n - 1] != ':') ? ":" : "", g[i]);
        }
    } else
        snprintf(host, sizeof(host), "?");
    if (!port)
        snprintf(buf, len, "%s", host);
    else if (a->family == 6)
        snprintf(buf, len, "[%s]:%u", host, port);
    else
        snprintf(buf, len, "%s:%u", host, port);
}

void cl_pair_format(const cl_addr *client, const cl_addr *server, uint16_t server_port, char *buf, size_t len)
{
    char c[64], srv[80];
    cl_addr_format(client, 0, c, sizeof(c));
    cl_addr_format(server, server_port, srv, sizeof(srv));
    snprintf(buf, len, "%s -> %s", c, srv);
}

cl_result *cl_result_for(cl_engine *eng, cl_result **res, const cl_conv *conv)
{
    if (!*res && eng->results_full_frame) {
        *res = &eng->scratch; /* the analysis goes on, but the frame keeps nothing */
    } else if (!*res) {
        *res = g_new0(cl_result, 1);
        g_ptr_array_add(eng->results, *res);
    }
    if (conv && !(*res)->conv_id)
        (*res)->conv_id = conv->id;
    return *res;
}

void cl_result_note(cl_result *r, char *note)
{
    if (r->note) {
        char *both = g_strdup_printf("%s; %s", r->note, note);
        g_free(r->note);
        g_free(note);
        note = both;
    }
    r->note = note;
}

void cl_note_table_full(cl_engine *eng, cl_result **res, const cl_conv *conv, bool *noted, unsigned bound,
                        const char *what, const char *pref, const char *then)
{
    if (*noted)
        return;
    *noted = true;
    cl_result *r = cl_result_for(eng, res, conv);
    r->experts |= CL_EXP_TABLE_FULL;
    cl_result_note(r, g_strdup_printf("connlost tracks at most %u %s (preference connlost.%s): %s from here on", bound,
                                      what, pref, then));
}

static void result_clear(cl_result *r)
{
    g_free(r->summary);
    g_free(r->note);
    g_free(r->frag_lost_ids);
    g_free(r->rpc);
    if (r->evidence)
        g_array_free(r->evidence, TRUE);
    memset(r, 0, sizeof(*r));
}

static void result_free(gpointer p)
{
    result_clear(p);
    g_free(p);
}

static size_t result_bytes(const cl_result *r)
{
    return sizeof(*r) + CL_ENTRY_BYTES + (r->summary ? strlen(r->summary) + 1 : 0) +
           (r->note ? strlen(r->note) + 1 : 0) + (r->frag_lost_ids ? strlen(r->frag_lost_ids) + 1 : 0) +
           (r->evidence ? r->evidence->len * sizeof(uint32_t) + CL_ENTRY_BYTES : 0) +
           (r->rpc ? sizeof(*r->rpc) + CL_ENTRY_BYTES : 0);
}

/* What a conversation holds: itself, its table entries, its segments in flight and what was allocated
 * for the few that have losses, lost fragments, a verdict or DCE/RPC. */
static size_t conv_bytes(const cl_conv *conv)
{
    size_t n = sizeof(*conv) + 2 * CL_ENTRY_BYTES;
    for (int i = 0; i < 2; i++) {
        const cl_side *s = &conv->side[i];
        n += s->segs.cap * sizeof(cl_segment);
        if (s->pmtu)
            n += sizeof(*s->pmtu) + (s->pmtu->lost_frames ? s->pmtu->lost_frames->len * sizeof(uint32_t) : 0);
    }
    if (conv->frag)
        n += sizeof(*conv->frag) + conv->frag->ids->allocated_len + conv->frag->frames->len * sizeof(uint32_t);
    if (conv->verdict) /* its summary and evidence: a few hundred bytes */
        n += sizeof(*conv->verdict) + 1024;
    if (conv->rpc)
        n += cl_rpc_conv_bytes(conv->rpc);
    return n;
}

void cl_conv_charge(cl_engine *eng, cl_conv *conv)
{
    size_t n = conv_bytes(conv);
    eng->conv_bytes = eng->conv_bytes - conv->charged + n;
    conv->charged = (uint32_t)MIN(n, UINT32_MAX);
}

/* Counted on every frame: the tables' own list lengths, no call. */
size_t cl_engine_state_bytes(const cl_engine *eng)
{
    return eng->conv_bytes + (eng->frag_order.length + eng->frag_declared.length) * CL_DATAGRAM_BYTES +
           eng->closed_order.length * (sizeof(cl_closed) + CL_ENTRY_BYTES) +
           eng->pair_order.length * (sizeof(cl_pair) + CL_DISCONNECTS_KEPT * sizeof(double) + 2 * CL_ENTRY_BYTES) +
           eng->rpc_endpoint_order.length * (sizeof(cl_rpc_endpoint) + CL_ENTRY_BYTES) +
           eng->mapi_session_order.length * (sizeof(cl_mapi_session) + CL_ENTRY_BYTES) +
           eng->mapi_user_order.length * (sizeof(cl_mapi_user) + 2 * CL_ENTRY_BYTES) +
           (eng->mapi_client_idle.length + eng->mapi_client_busy.length) *
               (sizeof(cl_mapi_client) + eng->cfg.mapi_burst_count * (sizeof(double) + CL_ENTRY_BYTES));
}

size_t cl_engine_result_bytes(const cl_engine *eng) { return eng->result_bytes; }

static void closed_drop(cl_engine *eng, cl_closed *c)
{
    g_queue_unlink(&eng->closed_order, &c->link);
    g_hash_table_remove(eng->closed, &c->tuple);
    g_free(c);
}

/* Keeps who a TCP conversation was for as long as fragments about it can still be declared lost. */
static void closed_remember(cl_engine *eng, const cl_conv *conv)
{
    if (conv->tuple.proto != 6 || !conv->may_fragment)
        return;
    cl_closed *c = g_hash_table_lookup(eng->closed, &conv->tuple);
    if (c)
        closed_drop(eng, c);
    if (eng->closed_order.length >= eng->cfg.max_conversations)
        closed_drop(eng, eng->closed_order.head->data);
    c = g_new0(cl_closed, 1);
    c->tuple = conv->tuple;
    c->id = conv->id, c->first_frame = conv->first_frame, c->first_time = conv->first_time;
    c->closed_time = eng->now_time;
    c->client = conv->side[0].addr, c->client_port = conv->side[0].port;
    c->link.data = c;
    g_queue_push_tail_link(&eng->closed_order, &c->link);
    g_hash_table_insert(eng->closed, &c->tuple, c);
}

static void closed_expire(cl_engine *eng, double now)
{
    cl_closed *c;
    while (eng->closed_order.head && (c = eng->closed_order.head->data) &&
           now - c->closed_time > eng->cfg.frag_timeout_s + eng->cfg.frag_grace_ms / 1000.0 + 1)
        closed_drop(eng, c);
}

static void conv_free(cl_engine *eng, cl_conv *conv)
{
    cl_rpc_conv_free(eng, conv);
    eng->conv_bytes -= conv->charged;
    cl_side_clear(&conv->side[0]);
    cl_side_clear(&conv->side[1]);
    if (conv->frag) {
        if (conv->frag->ids)
            g_string_free(conv->frag->ids, TRUE);
        if (conv->frag->frames)
            g_array_free(conv->frag->frames, TRUE);
        g_free(conv->frag);
    }
    if (conv->verdict) {
        if (conv->verdict->evidence)
            g_array_free(conv->verdict->evidence, TRUE);
        g_free(conv->verdict->summary);
        g_free(conv->verdict);
    }
    g_free(conv);
}

cl_engine *cl_engine_new(const cl_config *cfg)
{
    cl_engine *eng = g_new0(cl_engine, 1);
    eng->cfg = *cfg;
    /* preferences can say anything: keep the bounds and thresholds meaningful */
    eng->cfg.pmtud_min_sends = MAX(eng->cfg.pmtud_min_sends, 2);
    eng->cfg.dupack_chain = MAX(eng->cfg.dupack_chain, 1);
    eng->cfg.frag_min_lost = MAX(eng->cfg.frag_min_lost, 1);
    eng->cfg.max_conversations = MAX(eng->cfg.max_conversations, 1);
    eng->cfg.max_segments = MAX(eng->cfg.max_segments, 1);
    eng->cfg.max_fragments = MAX(eng->cfg.max_fragments, 1);
    eng->cfg.idle_min_ms = MAX(eng->cfg.idle_min_ms, 1);
    eng->cfg.drop_min_retrans = MAX(eng->cfg.drop_min_retrans, 1);
    eng->cfg.rto_min_retrans = MAX(eng->cfg.rto_min_retrans, 1);
    eng->cfg.period_min_count = MAX(eng->cfg.period_min_count, 3);
    eng->cfg.max_pairs = MAX(eng->cfg.max_pairs, 1);
    eng->cfg.mapi_limit = MAX(eng->cfg.mapi_limit, 1);
    eng->cfg.mapi_near_pct = MIN(MAX(eng->cfg.mapi_near_pct, 1), 100);
    eng->cfg.mapi_burst_count = MAX(eng->cfg.mapi_burst_count, 2);
    eng->cfg.max_mapi_sessions = MAX(eng->cfg.max_mapi_sessions, 1);
    eng->cfg.max_rpc_endpoints = MAX(eng->cfg.max_rpc_endpoints, 1);
    eng->cfg.max_state_mb = MAX(eng->cfg.max_state_mb, 1);
    eng->cfg.max_results_mb = MAX(eng->cfg.max_results_mb, 1);
    eng->conv_by_tuple = g_hash_table_new(cl_tuple_hash, cl_tuple_equal);
    g_queue_init(&eng->conv_order);
    g_queue_init(&eng->conv_reset);
    eng->closed = g_hash_table_new(cl_tuple_hash, cl_tuple_equal);
    g_queue_init(&eng->closed_order);
    cl_frag_init(eng);
    cl_idle_init(eng);
    cl_rpc_init(eng);
    cl_mapi_init(eng);
    cl_verdict_init(eng);
    eng->results = g_ptr_array_new_with_free_func(result_free);
    return eng;
}

void cl_engine_free(cl_engine *eng)
{
    if (!eng)
        return;
    cl_conv *conv;
    g_queue_clear(&eng->conv_reset);
    while ((conv = g_queue_pop_head(&eng->conv_order)))
        conv_free(eng, conv);
    g_hash_table_destroy(eng->conv_by_tuple);
    while (eng->closed_order.head)
        closed_drop(eng, eng->closed_order.head->data);
    g_hash_table_destroy(eng->closed);
    cl_frag_free(eng);
    cl_idle_free(eng);
    cl_mapi_free(eng);
    cl_verdict_free(eng);
    g_ptr_array_free(eng->results, TRUE);
    result_clear(&eng->scratch);
    cl_rpc_free(eng); /* results point to its strings */
    g_free(eng);
}

static void conv_forget(cl_engine *eng, cl_conv *conv)
{
    if (eng->last_tcp == conv)
        eng->last_tcp = NULL;
    closed_remember(eng, conv);
    if (g_hash_table_lookup(eng->conv_by_tuple, &conv->tuple) == conv)
        g_hash_table_remove(eng->conv_by_tuple, &conv->tuple);
    g_queue_delete_link(&eng->conv_order, conv->lru_link);
    if (conv->reset_link)
        g_queue_delete_link(&eng->conv_reset, conv->reset_link);
    conv_free(eng, conv);
}

/* Least recently active first: eviction takes the head. */
static void conv_touch(cl_engine *eng, cl_conv *conv)
{
    if (eng->conv_order.tail == conv->lru_link)
        return;
    g_queue_unlink(&eng->conv_order, conv->lru_link);
    g_queue_push_tail_link(&eng->conv_order, conv->lru_link);
}

static cl_conv *conv_new(cl_engine *eng, const cl_tuple *t, cl_result **res)
{
    if (eng->conv_order.length >= eng->cfg.max_conversations && eng->conv_order.head) {
        conv_forget(eng, eng->conv_order.head->data);
        cl_note_table_full(eng, res, NULL, &eng->conv_cap_noted, eng->cfg.max_conversations, "conversations",
                           "max_conversations", "the least recently active ones are forgotten");
    }
    cl_conv *conv = g_new0(cl_conv, 1);
    conv->id = ++eng->next_conv_id;
    conv->tuple = *t;
    conv->first_frame = eng->now_frame;
    conv->first_time = eng->now_time;
    cl_side_init(&conv->side[0]);
    cl_side_init(&conv->side[1]);
    g_queue_push_tail(&eng->conv_order, conv);
    conv->lru_link = eng->conv_order.tail;
    g_hash_table_insert(eng->conv_by_tuple, &conv->tuple, conv);
    return conv;
}

cl_conv *cl_conv_lookup_tuple(cl_engine *eng, const cl_tuple *t) { return g_hash_table_lookup(eng->conv_by_tuple, t); }

const char *cl_role(int side) { return side == 0 ? "client" : "server"; }

int cl_side_of(const cl_conv *conv, const cl_addr *src, uint16_t sport)
{
    if (conv->side[0].seen && memcmp(&conv->side[0].addr, src, sizeof(*src)) == 0 && conv->side[0].port == sport)
        return 0;
    if (conv->side[1].seen && memcmp(&conv->side[1].addr, src, sizeof(*src)) == 0 && conv->side[1].port == sport)
        return 1;
    return -1;
}

/* The side a packet came from; the first sender becomes the client unless a SYN says otherwise. */
static int side_assign(cl_conv *conv, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport)
{
    int from = cl_side_of(conv, src, sport);
    if (from >= 0)
        return from;
    from = conv->side[0].seen ? 1 : 0;
    conv->side[from].seen = true, conv->side[from].addr = *src, conv->side[from].port = sport;
    conv->side[!from].seen = true, conv->side[!from].addr = *dst, conv->side[!from].port = dport;
    return from;
}

cl_conv *cl_conv_for_udp(cl_engine *eng, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport,
                         uint8_t proto, cl_result **res)
{
    cl_tuple t;
    cl_tuple_make(&t, src, sport, dst, dport, proto);
    cl_conv *conv = cl_conv_lookup_tuple(eng, &t);
    if (!conv) {
        conv = conv_new(eng, &t, res);
        cl_closed *c = g_hash_table_lookup(eng->closed, &t);
        if (c) { /* the same connection, ended a moment ago */
            conv->id = c->id, conv->first_frame = c->first_frame, conv->first_time = c->first_time;
            eng->next_conv_id--;
            bool client_first = memcmp(&c->client, src, sizeof(*src)) == 0 && c->client_port == sport;
            side_assign(conv, client_first ? src : dst, client_first ? sport : dport, client_first ? dst : src,
                        client_first ? dport : sport);
            closed_drop(eng, c);
        }
    }
    side_assign(conv, src, sport, dst, dport);
    conv_touch(eng, conv);
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
    return from >= 0 && to->port == pkt->dport && memcmp(&to->addr, &pkt->ip.dst, sizeof(to->addr)) == 0 ? from : -1;
}

/* The packet's conversation, and in `from` the side that sent it. */
static cl_conv *conv_for_tcp(cl_engine *eng, const cl_packet *pkt, cl_result **res, int *from)
{
    cl_tuple t;
    cl_conv *conv = eng->last_tcp; /* packets mostly come in runs of one conversation: no lookup then */
    int cached_from = conv ? side_carrying(conv, pkt) : -1;
    if (cached_from >= 0) {
        t = conv->tuple;
    } else {
        cl_tuple_make(&t, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport, 6);
        conv = cl_conv_lookup_tuple(eng, &t);
    }
    if (!conv || starts_new_connection(conv, pkt)) {
        conv = conv_new(eng, &t, res);
        cached_from = -1;
        /* the newest connection on a port pair owns the tuple (ICMP quotes the newest) */
        g_hash_table_replace(eng->conv_by_tuple, &conv->tuple, conv);
    }
    eng->last_tcp = conv;
    uint8_t syn_ack = pkt->tcp_flags & (CL_TCP_SYN | CL_TCP_ACK);
    bool no_syn_ephemeral_dst = !(pkt->tcp_flags & CL_TCP_SYN) && pkt->sport < pkt->dport;
    if (!conv->side[0].seen && syn_ack == CL_TCP_SYN)
        conv->handshake_seen = true;
    else if (!conv->side[0].seen && (syn_ack == (CL_TCP_SYN | CL_TCP_ACK) || no_syn_ephemeral_dst)) {
        /* the receiver is the client: of a SYN-ACK (the capture began after the SYN), or, without a
         * handshake, the side with the ephemeral (higher) port */
        conv->side[0].seen = true, conv->side[0].addr = pkt->ip.dst, conv->side[0].port = pkt->dport;
        conv->side[1].seen = true, conv->side[1].addr = pkt->ip.src, conv->side[1].port = pkt->sport;
    }
    *from = cached_from >= 0 ? cached_from : side_assign(conv, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport);
    conv_touch(eng, conv);
    return conv;
}

static bool icmp_is_ptb(const cl_packet *pkt)
{
    return (pkt->ip.proto == 1 && pkt->icmp_type == 3 && pkt->icmp_code == 4) ||
           (pkt->ip.proto == 58 && pkt->icmp_type == 2);
}

static bool icmp_is_reassembly_timeout(const cl_packet *pkt)
{
    return (pkt->ip.proto == 1 && pkt->icmp_type == 11 && pkt->icmp_code == 1) ||
           (pkt->ip.proto == 58 && pkt->icmp_type == 3 && pkt->icmp_code == 1);
}

static void feed_icmp(cl_engine *eng, const cl_packet *pkt, cl_result **res)
{
    if (icmp_is_reassembly_timeout(pkt)) {
        cl_frag_icmp_reassembly(eng, pkt, res);
        return;
    }
    if (!icmp_is_ptb(pkt) || pkt->inner.proto != 6)
        return;
    cl_tuple t;
    cl_tuple_make(&t, &pkt->inner.src, pkt->inner_sport, &pkt->inner.dst, pkt->inner_dport, 6);
    cl_conv *conv = cl_conv_lookup_tuple(eng, &t);
    if (!conv)
        return;
    int about = cl_side_of(conv, &pkt->inner.src, pkt->inner_sport);
    if (about < 0)
        return;
    conv_touch(eng, conv);
    cl_pmtu_icmp(eng, conv, about, pkt, res);
    cl_conv_charge(eng, conv);
}

/* Memory stays flat over many short connections: a connection closed by both FINs and fully acknowledged
 * has nothing more to tell and is forgotten at once; one ended by a RST keeps its verdict a few seconds for
 * the packets that cross the RST, with its segment tables freed. */
static void conv_after(cl_engine *eng, cl_conv *conv, const cl_packet *pkt)
{
    const cl_side *c = &conv->side[0], *s = &conv->side[1];
    bool acked = c->has_ack_seen && c->ack_seen == c->snd_next && s->has_ack_seen && s->ack_seen == s->snd_next;
    if (!conv->rst_seen && c->fin_sent && s->fin_sent && acked) {
        conv_forget(eng, conv);
    } else if (conv->rst_seen && !conv->reset_link) {
        conv->reset_time = pkt->time;
        cl_side_compact(&conv->side[0]);
        cl_side_compact(&conv->side[1]);
        g_queue_push_tail(&eng->conv_reset, conv);
        conv->reset_link = eng->conv_reset.tail;
    }
}

static void conv_expire(cl_engine *eng, double now)
{
    cl_conv *head;
    while (eng->conv_reset.head && (head = eng->conv_reset.head->data) &&
           now - head->reset_time > eng->cfg.reset_linger_s)
        conv_forget(eng, head);
}

static void feed(cl_engine *eng, const cl_packet *pkt, cl_result **res)
{
    cl_packet whole;
    if (pkt->ip.is_fragment && pkt->ip.proto == 6 && !pkt->ip.frag_offset && pkt->tcp_hdr_len) {
        cl_tuple t; /* its connection may be gone when the datagram is declared lost */
        cl_tuple_make(&t, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport, 6);
        cl_conv *conv = cl_conv_lookup_tuple(eng, &t);
        if (conv)
            conv->may_fragment = true;
    }
    if (pkt->ip.is_fragment && cl_frag_packet(eng, pkt, res, &whole))
        pkt = &whole;                                    /* the last fragment completes a TCP segment */
    if (eng->frag_order.head || eng->frag_declared.head) /* most captures have no fragment at all */
        cl_frag_expire(eng, pkt, res);
    conv_expire(eng, pkt->time);
    closed_expire(eng, pkt->time);
    if (pkt->has_icmp && pkt->has_inner) {
        feed_icmp(eng, pkt, res);
        return;
    }
    if (!pkt->has_tcp)
        return;

    int from;
    cl_conv *conv = conv_for_tcp(eng, pkt, res, &from);
    if (pkt == &whole) /* its frame has no ports of its own: remember whose it is for the later passes */
        cl_result_for(eng, res, conv);
    if (!pkt->ip.df || pkt == &whole)
        conv->may_fragment = true;
    /* the verdict goes on the first RST and on each side's first FIN, not on every later one */
    bool first_end = ((pkt->tcp_flags & CL_TCP_RST) && !conv->rst_seen) ||
                     ((pkt->tcp_flags & CL_TCP_FIN) && !conv->side[from].fin_sent);
    cl_pmtu_tcp(eng, conv, from, pkt, res);
    bool ends = pkt->tcp_flags & (CL_TCP_RST | CL_TCP_FIN);
    if (ends)
        cl_pmtu_at_end(eng, conv, from, pkt, res);
    cl_rst_origin_t origin = CL_RST_UNKNOWN;
    if (pkt->tcp_flags & CL_TCP_RST)
        origin = cl_rst_origin(eng, conv, from, pkt, res);
    cl_idle_tcp(eng, conv, from, pkt, origin, res);
    cl_rst_baseline(conv, from, pkt);
    cl_rpc_tcp(eng, conv, from, pkt, res);
    if (ends && first_end)
        cl_mapi_conv_end(eng, conv, from, origin == CL_RST_FORGED, pkt, res);
    if (ends && first_end && conv->verdict)
        cl_verdict_show(eng, conv, res);
    if (conv->diag)
        conv->diag->last_frame = pkt->frame, conv->diag->end = pkt->time;
    cl_conv_charge(eng, conv);
    conv_after(eng, conv, pkt);
}

/* Over max_state_mb the least recently active conversations go first, then the oldest datagrams. */
static void hold_state_cap(cl_engine *eng, cl_result **res)
{
    size_t cap = (size_t)eng->cfg.max_state_mb << 20;
    if (cl_engine_state_bytes(eng) <= cap)
        return;
    if (!eng->state_cap_noted) {
        eng->state_cap_noted = true;
        cl_result *r = cl_result_for(eng, res, NULL);
        r->experts |= CL_EXP_TABLE_FULL;
        cl_result_note(r,
                       g_strdup_printf("connlost's analysis state reached %u MiB (preference connlost.max_state_mb): "
                                       "the least recently active conversations are forgotten from here on",
                                       eng->cfg.max_state_mb));
    }
    while (cl_engine_state_bytes(eng) > cap && eng->conv_order.head)
        conv_forget(eng, eng->conv_order.head->data);
    while (cl_engine_state_bytes(eng) > cap && cl_frag_drop_oldest(eng))
        ;
    while (cl_engine_state_bytes(eng) > cap && eng->closed_order.head)
        closed_drop(eng, eng->closed_order.head->data);
}

/* Past max_results_mb frames keep nothing; the frame that reached it says so. */
static void count_result(cl_engine *eng, cl_result *r)
{
    eng->result_bytes += result_bytes(r);
    if (eng->results_full_frame || eng->result_bytes <= (size_t)eng->cfg.max_results_mb << 20)
        return;
    eng->results_full_frame = eng->now_frame;
    r->experts |= CL_EXP_TABLE_FULL;
    cl_result_note(r, g_strdup_printf("connlost keeps at most %u MiB of results (preference connlost.max_results_mb): "
                                      "later frames and conversations get no connlost fields",
                                      eng->cfg.max_results_mb));
}

const cl_result *cl_engine_feed(cl_engine *eng, const cl_packet *pkt)
{
    cl_result *res = NULL;
    if (eng->results_full_frame)
        result_clear(&eng->scratch);
    if (!eng->now_frame)
        eng->first_time = pkt->time;
    eng->now_frame = pkt->frame;
    eng->now_time = pkt->time;
    if (!pkt->has_ip)
        return NULL;
    feed(eng, pkt, &res);
    hold_state_cap(eng, &res);
    if (!res || res == &eng->scratch)
        return NULL;
    count_result(eng, res);
    return res;
}
