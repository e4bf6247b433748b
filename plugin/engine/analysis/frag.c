/* IP fragments (v4 and v6): datagrams whose fragments never all arrive. Cause: fragment-loss.
 *
 * A datagram is lost when a newer one of the same flow completed and it is
 * older than the grace period (fragments may be reordered), when it is older
 * than the reassembly timeout, or when the receiver says so with ICMP "time
 * exceeded in reassembly". A fragment that completes a datagram whose first
 * fragment held a TCP header is fed on as that segment.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "registry.h"

#include <stddef.h>
#include <string.h>

#define MAX_FRAGMENTS_PER_DATAGRAM 64 /* offsets remembered for duplicate detection */
#define DECLARED_KEEP_S 65.0          /* keep lost datagrams this long, so a late ICMP is not counted twice */

/* Fragmented datagrams from one source to one destination. */
typedef struct {
    cl_addr src, dst;
    uint8_t proto;
    GQueue pending;          /* datagram*, oldest first */
    double newest_completed; /* first-fragment time of the newest complete datagram */
} fragflow;

/* A fragmented datagram; the key is everything before `sport`. */
typedef struct {
    cl_addr src, dst;
    uint8_t proto;
    uint32_t id;
    uint16_t sport, dport; /* from the first fragment, 0 if unseen */
    bool have_first, have_last, declared_lost;
    uint32_t total;    /* payload length, known once the last fragment is seen */
    uint32_t received; /* payload bytes seen */
    uint32_t first_frame;
    double first_time;
    double declared_time;
    GArray *offsets; /* fragment offsets seen, so duplicates are not counted twice (bounded) */
    fragflow *flow;
    GList *flow_link;     /* in flow->pending while not declared */
    cl_packet *tcp_first; /* the first fragment, when it carries a TCP header */
    GList *age_link;      /* in the awaited queue, or in the declared one once declared lost */
} datagram;

/* A datagram as counted against max_state_mb: its first fragment's packet, its offsets, its flow. */
#define DATAGRAM_BYTES                                                                                                 \
    (sizeof(datagram) + sizeof(cl_packet) + sizeof(fragflow) + MAX_FRAGMENTS_PER_DATAGRAM * sizeof(uint32_t) +         \
     3 * CL_ENTRY_BYTES)
#define DATAGRAM_KEY_LEN offsetof(datagram, sport)
#define FLOW_KEY_LEN offsetof(fragflow, pending)

/* A conversation's datagrams declared lost. */
typedef struct {
    uint32_t incomplete;
    uint32_t icmp_frame; /* latest ICMP reassembly timeout about them */
    GString *ids;        /* their IP IDs, for the summary */
    GArray *frames;      /* their first fragments */
} conv_frag;

typedef struct {
    conv_frag *lost; /* NULL until one of its datagrams is declared lost */
} frag_slot;

typedef struct {
    size_t slot;
    GHashTable *datagrams; /* datagram key -> datagram* */
    GQueue awaited;        /* datagram* still awaited, oldest first */
    GQueue declared;       /* datagram* declared lost, kept a while for late ICMPs */
    GHashTable *flows;     /* fragflow key -> fragflow* */
    cl_lru bound;          /* only its bound and its table-full note: max_fragments */
    uint32_t epoch;        /* the capture clock's epoch the datagrams' times belong to */
    size_t *kept_bytes;    /* the engine's sum of what analyses keep: DATAGRAM_BYTES per datagram */
} frag_state;

static guint datagram_hash(gconstpointer k) { return cl_hash_bytes(k, DATAGRAM_KEY_LEN); }
static gboolean datagram_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, DATAGRAM_KEY_LEN) == 0; }
static guint flow_hash(gconstpointer k) { return cl_hash_bytes(k, FLOW_KEY_LEN); }
static gboolean flow_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, FLOW_KEY_LEN) == 0; }

static void flow_free(gpointer p)
{
    fragflow *flow = p;
    g_queue_clear(&flow->pending);
    g_free(flow);
}

static void datagram_free(gpointer p)
{
    datagram *dg = p;
    if (dg->offsets)
        g_array_free(dg->offsets, TRUE);
    g_free(dg->tcp_first);
    g_free(dg);
}

static void *frag_init(cl_ctx *x, size_t slot)
{
    frag_state *st = g_new0(frag_state, 1);
    st->slot = slot;
    st->kept_bytes = x->kept_bytes;
    st->datagrams = g_hash_table_new_full(datagram_hash, datagram_equal, NULL, datagram_free);
    st->flows = g_hash_table_new_full(flow_hash, flow_equal, NULL, flow_free);
    g_queue_init(&st->awaited);
    g_queue_init(&st->declared);
    /* the bound lives here, the datagrams in their two queues: the table-full note is the bound's */
    cl_lru_init(&st->bound, g_direct_hash, g_direct_equal, x->cfg->max_fragments, 0);
    cl_lru_describe(&st->bound, "fragmented datagrams", "max_fragments", "the oldest are forgotten", NULL, NULL);
    cl_core_add_table(x, &st->bound);
    /* a forgotten TCP conversation keeps its identity as long as its fragments can still be declared lost */
    x->convs->remember_s = x->cfg->frag_timeout_s + x->cfg->frag_grace_ms / 1000.0 + 1;
    return st;
}

static void frag_free(void *state)
{
    frag_state *st = state;
    g_queue_clear(&st->awaited);
    g_queue_clear(&st->declared);
    g_hash_table_destroy(st->datagrams);
    g_hash_table_destroy(st->flows);
    cl_lru_destroy(&st->bound);
    g_free(st);
}

static void datagram_key(datagram *key, const cl_ip *ip)
{
    memset(key, 0, sizeof(*key));
    key->src = ip->src;
    key->dst = ip->dst;
    key->proto = ip->proto;
    key->id = ip->id;
}

static void flow_leave(frag_state *st, datagram *dg)
{
    fragflow *flow = dg->flow;
    if (!dg->flow_link)
        return;
    g_queue_delete_link(&flow->pending, dg->flow_link);
    dg->flow_link = NULL;
    if (!flow->pending.length)
        g_hash_table_remove(st->flows, flow);
    dg->flow = NULL;
}

/* The datagram is kept: in the table, last in its age queue (awaited, or declared lost), and counted. */
static void datagram_keep(frag_state *st, datagram *dg)
{
    GQueue *age = dg->declared_lost ? &st->declared : &st->awaited;
    g_hash_table_insert(st->datagrams, dg, dg);
    g_queue_push_tail(age, dg);
    dg->age_link = age->tail;
    *st->kept_bytes += DATAGRAM_BYTES;
}

static void datagram_remove(frag_state *st, datagram *dg)
{
    flow_leave(st, dg);
    g_queue_delete_link(dg->declared_lost ? &st->declared : &st->awaited, dg->age_link);
    g_hash_table_remove(st->datagrams, dg);
    *st->kept_bytes -= DATAGRAM_BYTES;
}

static cl_conv *conv_of(cl_ctx *x, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport,
                        uint8_t proto)
{
    if (proto == 6 && sport) {
        cl_tuple t;
        cl_tuple_make(&t, src, sport, dst, dport, 6);
        cl_conv *conv = cl_conv_lookup(x->convs, &t);
        if (conv)
            return conv;
    }
    return cl_conv_for_flow(x->convs, src, sport, dst, dport, proto);
}

static const char *proto_name(uint8_t proto)
{
    return proto == 6 ? "TCP" : proto == 17 ? "UDP" : proto == 1 ? "ICMP" : proto == 58 ? "ICMPv6" : "IP";
}

/* One more datagram of `conv` never arrived whole. */
static conv_frag *frag_of(const frag_state *st, cl_conv *conv)
{
    frag_slot *slot = cl_conv_slot(conv, st->slot);
    if (!slot->lost) {
        slot->lost = g_new0(conv_frag, 1);
        slot->lost->ids = g_string_new(NULL);
        slot->lost->frames = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    }
    return slot->lost;
}

static void note_lost_here(cl_ctx *x, cl_conv *conv, const conv_frag *fr, uint32_t id)
{
    cl_result *r = cl_res(x, conv);
    cl_result_num(r)->has |= CL_HAS_FRAG;
    r->experts |= CL_EXP_FRAGMENT_LOST;
    cl_result_num(r)->frag_incomplete = fr->incomplete;
    if (r->frag_lost_here++ < CL_MAX_IDS_SHOWN) {
        char *ids =
            r->frag_lost_ids ? g_strdup_printf("%s,0x%04x", r->frag_lost_ids, id) : g_strdup_printf("0x%04x", id);
        g_free(r->frag_lost_ids);
        r->frag_lost_ids = ids;
    }
}

static void propose_loss(cl_ctx *x, cl_conv *conv, const conv_frag *fr)
{
    char a[80], b[80];
    const cl_side *s = &conv->side[0];
    cl_addr_format(&s->addr, s->port, a, sizeof(a));
    cl_addr_format(&conv->side[1].addr, conv->side[1].port, b, sizeof(b));
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_FRAGMENT_LOSS,
                     (uint8_t)(70 + (fr->icmp_frame ? 15 : 0) + (fr->incomplete >= 5 ? 10 : 0)));
    cl_finding_say(&f, "IP fragments lost: %u %s datagrams between %s and %s never arrived complete (IP IDs %s%s",
                   fr->incomplete, proto_name(conv->tuple.proto), a, b, fr->ids->str,
                   fr->incomplete > CL_MAX_IDS_SHOWN ? ", ..." : "");
    if (fr->frames->len) {
        cl_finding_say(&f, "; first fragments in frames ");
        cl_finding_say_frames(&f, fr->frames);
    }
    cl_finding_say(&f, ")");
    if (fr->icmp_frame)
        cl_finding_say(&f, "; the receiver gave up reassembling them (ICMP time exceeded, frame %u)", fr->icmp_frame);
    cl_finding_say(&f, ": a device on the path drops fragments; avoid fragmentation (set DF and let path-MTU "
                       "discovery work, or lower the MTU or datagram size) or let fragments through.");
    cl_finding_evidence_frames(&f, fr->frames);
    cl_finding_evidence(&f, fr->icmp_frame);
    f.num.has = CL_HAS_FRAG;
    f.num.frag_incomplete = fr->incomplete;
    f.experts = CL_EXP_FRAGMENT_LOST;
    cl_finding_propose(x, conv, &f);
}

/* ", 0x1a2b": what "%s0x%04x" gives, without printf (about 1 500 instructions a call). */
static void append_id(GString *ids, uint32_t id)
{
    static const char hex[] = "0123456789abcdef";
    char digits[8];
    size_t n = sizeof(digits);
    do {
        digits[--n] = hex[id & 0xf];
        id >>= 4;
    } while (id || n > sizeof(digits) - 4);
    if (ids->len)
        g_string_append(ids, ", ");
    g_string_append(ids, "0x");
    g_string_append_len(ids, digits + n, (gssize)(sizeof(digits) - n));
}

static void declare_lost(const frag_state *st, cl_ctx *x, cl_conv *conv, uint32_t id, uint32_t first_frame,
                         uint32_t icmp_frame)
{
    conv_frag *fr = frag_of(st, conv);
    fr->incomplete++;
    if (fr->incomplete <= CL_MAX_IDS_SHOWN)
        append_id(fr->ids, id);
    if (first_frame && fr->frames->len < CL_MAX_IDS_SHOWN)
        g_array_append_val(fr->frames, first_frame);
    if (icmp_frame)
        fr->icmp_frame = icmp_frame;
    note_lost_here(x, conv, fr, id);
    if (fr->incomplete >= x->cfg->frag_min_lost)
        propose_loss(x, conv, fr);
}

static void datagram_lost(frag_state *st, cl_ctx *x, datagram *dg, uint32_t icmp_frame, const cl_packet *pkt)
{
    if (dg->declared_lost)
        return;
    flow_leave(st, dg);
    /* kept a while in its own queue, so the awaited queue's head is always undecided */
    g_queue_unlink(&st->awaited, dg->age_link);
    g_queue_push_tail_link(&st->declared, dg->age_link);
    dg->declared_lost = true;
    dg->declared_time = pkt->time;
    cl_conv *conv = conv_of(x, &dg->src, dg->sport, &dg->dst, dg->dport, dg->proto);
    declare_lost(st, x, conv, dg->id, dg->have_first ? dg->first_frame : 0, icmp_frame);
    cl_conv_charge(x->convs, conv);
}

/* A newer datagram of the flow completed: older ones past the grace period are lost. */
static void flow_check(frag_state *st, cl_ctx *x, fragflow *flow, const cl_packet *pkt)
{
    datagram *head;
    double grace = x->cfg->frag_grace_ms / 1000.0;
    while (flow && (head = g_queue_peek_head(&flow->pending)) && head->first_time < flow->newest_completed &&
           pkt->time - head->first_time >= grace) {
        bool last = flow->pending.length == 1; /* flow_leave frees the flow with its last datagram */
        datagram_lost(st, x, head, 0, pkt);
        if (last)
            break;
    }
}

static void expire(frag_state *st, cl_ctx *x, const cl_packet *pkt)
{
    datagram *head;
    while ((head = g_queue_peek_head(&st->awaited)) && pkt->time - head->first_time > x->cfg->frag_timeout_s)
        datagram_lost(st, x, head, 0, pkt);
    while ((head = g_queue_peek_head(&st->declared)) && pkt->time - head->declared_time > DECLARED_KEEP_S)
        datagram_remove(st, head);
}

static bool frag_shed(void *state)
{
    frag_state *st = state;
    GList *oldest = st->declared.head ? st->declared.head : st->awaited.head;
    if (!oldest)
        return false;
    datagram_remove(st, oldest->data);
    return true;
}

static datagram *datagram_new(frag_state *st, const datagram *key, const cl_packet *pkt)
{
    if (g_hash_table_size(st->datagrams) >= st->bound.bound) {
        frag_shed(st);
        cl_lru_note_full(&st->bound);
    }
    datagram *dg = g_new0(datagram, 1);
    *dg = *key;
    dg->first_frame = pkt->frame;
    dg->first_time = pkt->time;
    datagram_keep(st, dg);

    fragflow fkey;
    memset(&fkey, 0, sizeof(fkey));
    fkey.src = dg->src;
    fkey.dst = dg->dst;
    fkey.proto = dg->proto;
    fragflow *flow = g_hash_table_lookup(st->flows, &fkey);
    if (!flow) {
        flow = g_new0(fragflow, 1);
        *flow = fkey;
        g_queue_init(&flow->pending);
        g_hash_table_insert(st->flows, flow, flow);
    }
    dg->flow = flow;
    g_queue_push_tail(&flow->pending, dg);
    dg->flow_link = flow->pending.tail;
    return dg;
}

/* The fragment's bytes, once each: false for a duplicate (SPAN ports duplicate packets). */
static bool take_fragment(datagram *dg, const cl_packet *pkt)
{
    if (!dg->offsets)
        dg->offsets = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (unsigned i = 0; i < dg->offsets->len; i++)
        if (g_array_index(dg->offsets, uint32_t, i) == pkt->ip.frag_offset)
            return false;
    if (dg->offsets->len < MAX_FRAGMENTS_PER_DATAGRAM)
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
    return true;
}

/* The TCP segment a complete datagram carried, at the frame of its last fragment. */
static void whole_segment(const datagram *dg, const cl_packet *pkt, cl_packet *whole)
{
    const cl_packet *first = dg->tcp_first;
    *whole = *pkt;
    whole->has_tcp = true;
    whole->sport = first->sport;
    whole->dport = first->dport;
    whole->seq = first->seq;
    whole->ack = first->ack;
    whole->tcp_flags = first->tcp_flags;
    whole->window = first->window;
    whole->wscale = first->wscale;
    whole->mss = first->mss;
    whole->tcp_timestamps = first->tcp_timestamps;
    whole->tcp_hdr_len = first->tcp_hdr_len;
    whole->tcp_len = dg->total - first->tcp_hdr_len;
    whole->ip.is_fragment = whole->ip.more_fragments = false;
    whole->ip.frag_offset = 0;
}

static bool fragment(frag_state *st, cl_ctx *x, const cl_packet *pkt, cl_packet *whole)
{
    datagram key;
    datagram_key(&key, &pkt->ip);
    datagram *dg = g_hash_table_lookup(st->datagrams, &key);
    if (!dg)
        dg = datagram_new(st, &key, pkt);
    if (dg->declared_lost)
        return false; /* a straggler after we gave up: the receiver has given up too */
    if (!take_fragment(dg, pkt) || !(dg->have_first && dg->have_last && dg->received >= dg->total))
        return false;
    bool segment = dg->tcp_first && dg->total >= dg->tcp_first->tcp_hdr_len;
    if (segment)
        whole_segment(dg, pkt, whole);
    fragflow *flow = dg->flow;
    bool others_pending = flow && flow->pending.length > 1; /* else the flow goes with this datagram */
    if (others_pending && dg->first_time > flow->newest_completed)
        flow->newest_completed = dg->first_time;
    datagram_remove(st, dg);
    if (others_pending)
        flow_check(st, x, flow, pkt);
    return segment;
}

static bool frag_on_ip(void *state, cl_ctx *x, const cl_packet *pkt, cl_packet *whole)
{
    frag_state *st = state;
    bool completes = false;
    if (st->epoch != x->convs->epoch) { /* the clock jumped: no datagram's age can be told, none is judged */
        st->epoch = x->convs->epoch;
        while (st->awaited.head)
            datagram_remove(st, st->awaited.head->data);
    }
    if (pkt->ip.is_fragment && pkt->ip.proto == 6 && !pkt->ip.frag_offset && pkt->tcp_hdr_len) {
        cl_tuple t; /* its connection may be gone when the datagram is declared lost */
        cl_tuple_make(&t, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport, 6);
        cl_conv *conv = cl_conv_lookup(x->convs, &t);
        if (conv)
            conv->may_fragment = true;
    }
    if (pkt->ip.is_fragment && pkt->ip.src.family == 4 && pkt->ip.df) {
        /* "do not fragment" on a fragment: the header contradicts itself, no loss can be told from it */
        cl_result_say(cl_res(x, NULL),
                      "an IPv4 fragment with DF set (ID 0x%04x, offset %u): the "
                      "capture looks damaged here, connlost does not count it",
                      pkt->ip.id, pkt->ip.frag_offset);
        return false;
    }
    if (pkt->ip.is_fragment)
        completes = fragment(st, x, pkt, whole);
    if (st->awaited.head || st->declared.head) /* most captures have no fragment at all */
        expire(st, x, completes ? whole : pkt);
    return completes;
}

/* ICMP "time exceeded in reassembly": the receiver gave up on a datagram. */
static void frag_on_icmp(void *state, cl_ctx *x, const cl_packet *pkt)
{
    frag_state *st = state;
    bool reassembly = (pkt->ip.proto == 1 && pkt->icmp_type == 11 && pkt->icmp_code == 1) ||
                      (pkt->ip.proto == 58 && pkt->icmp_type == 3 && pkt->icmp_code == 1);
    if (!reassembly)
        return;
    datagram key;
    datagram_key(&key, &pkt->inner);
    datagram *dg = g_hash_table_lookup(st->datagrams, &key);
    if (dg && dg->declared_lost) {
        cl_conv *conv = conv_of(x, &dg->src, dg->sport, &dg->dst, dg->dport, dg->proto);
        frag_of(st, conv)->icmp_frame = pkt->frame; /* counted already: the receiver confirms it */
        cl_result_say(cl_res(x, conv),
                      "The receiver gave up reassembling datagram 0x%04x (first "
                      "fragment in frame %u), already counted as lost",
                      dg->id, dg->first_frame);
        return;
    }
    if (dg) {
        datagram_lost(st, x, dg, pkt->frame, pkt);
        return;
    }
    /* Seen from the sender's side: every fragment left, yet the receiver timed out. Remember the
     * datagram as declared, so a repeated ICMP is not counted again. */
    if (g_hash_table_size(st->datagrams) < st->bound.bound) {
        dg = g_new0(datagram, 1);
        *dg = key;
        dg->declared_lost = true;
        dg->declared_time = pkt->time;
        datagram_keep(st, dg);
    }
    cl_conv *conv = conv_of(x, &pkt->inner.src, pkt->inner_sport, &pkt->inner.dst, pkt->inner_dport, pkt->inner.proto);
    declare_lost(st, x, conv, pkt->inner.id, 0, pkt->frame);
    cl_conv_charge(x->convs, conv);
}

static void frag_slot_free(void *state, cl_conv *conv, void *slot)
{
    (void)state;
    (void)conv;
    conv_frag *fr = ((frag_slot *)slot)->lost;
    if (!fr)
        return;
    g_string_free(fr->ids, TRUE);
    g_array_free(fr->frames, TRUE);
    g_free(fr);
}

static size_t frag_slot_bytes(const void *slot)
{
    const conv_frag *fr = ((const frag_slot *)slot)->lost;
    return fr ? sizeof(*fr) + fr->ids->allocated_len + fr->frames->len * sizeof(uint32_t) : 0;
}

static const cl_pref frag_prefs[] = {
    CL_PREF(frag_min_lost, "Fragment loss: incomplete datagrams",
            "Datagrams of one conversation that never arrive complete before fragment-loss is named as a cause", 2, 1,
            UINT32_MAX),
    CL_PREF(frag_grace_ms, "Fragment loss: reorder grace (ms)",
            "A datagram still incomplete this long (ms) after a newer one of the same flow completed is lost", 1000, 0,
            UINT32_MAX),
    CL_PREF(frag_timeout_s, "Fragment loss: reassembly timeout (s)",
            "A datagram still incomplete after this many seconds is lost (Linux 30, Windows 60)", 30, 0, UINT32_MAX),
    CL_PREF(max_fragments, "Most incomplete datagrams tracked",
            "Bound on fragmented datagrams waiting for their remaining fragments", 65536, 1, UINT32_MAX),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_frag = {
    .name = "frag",
    .prefs = frag_prefs,
    .slot_size = sizeof(frag_slot),
    .init = frag_init,
    .free = frag_free,
    .shed = frag_shed,
    .on_ip = frag_on_ip,
    .on_icmp = frag_on_icmp,
    .slot_free = frag_slot_free,
    .slot_bytes = frag_slot_bytes,
};
