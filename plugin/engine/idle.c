/* Idle gaps, keep-alives and unanswered retransmissions, and the causes that follow from them:
 * idle-reset, idle-drop, middlebox-reset, retransmission-timeout, peer-reset.
 *
 * An idle gap is a silence in both directions while nothing is outstanding. What happens to the first
 * packet after it tells whether a device on the path forgot the connection: answered normally (the
 * connection survived that gap), answered by a forged RST (idle-reset), or retransmitted into silence
 * (idle-drop). Per client/server pair the gaps bracket the device's idle timeout, and the times
 * connections were lost show whether they are lost at a regular interval.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#include <math.h>
#include <string.h>

#define BRACKET_SLACK 1.02 /* a device default within 2 % above the failed gap still fits */

/* Established-connection idle timeouts of common devices (defaults from their documentation). */
static const struct {
    double seconds;
    const char *devices;
} device_defaults[] = {
    {240, "Azure Load Balancer / NAT Gateway (4 min)"},
    {300, "F5 BIG-IP FastL4 (300 s)"},
    {350, "AWS NLB / NAT Gateway / Network Firewall (350 s)"},
    {1200, "GCP Cloud NAT / Huawei USG (20 min)"},
    {1800, "Windows NetNat (30 min)"},
    {3600, "Cisco ASA / Palo Alto / FortiADC (1 h)"},
    {7440, "an RFC 5382 NAT at its minimum (2 h 4 min)"},
    {86400, "Cisco IOS NAT (24 h)"},
    {432000, "Linux conntrack / AWS security groups (5 days)"},
};

/* A duration people read at a glance: "850 ms", "3.00 s", "42.5 s", "3650 s (1.0 h)". */
static const char *duration(double s, char *buf, size_t len)
{
    if (s < 1)
        g_snprintf(buf, len, "%.0f ms", s * 1000);
    else if (s < 10)
        g_snprintf(buf, len, "%.2f s", s);
    else if (s < 100)
        g_snprintf(buf, len, "%.1f s", s);
    else if (s < 3600)
        g_snprintf(buf, len, "%.0f s", s);
    else
        g_snprintf(buf, len, "%.0f s (%.1f h)", s, s / 3600);
    return buf;
}

static guint pair_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(cl_pair_key)); }
static gboolean pair_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(cl_pair_key)) == 0; }

static void pair_free(cl_pair *p)
{
    g_array_free(p->disconnects, TRUE);
    g_free(p);
}

void cl_idle_init(cl_engine *eng)
{
    eng->pairs = g_hash_table_new(pair_hash, pair_equal);
    g_queue_init(&eng->pair_order);
}

void cl_idle_free(cl_engine *eng)
{
    cl_pair *p;
    while ((p = g_queue_pop_head(&eng->pair_order)))
        pair_free(p);
    g_hash_table_destroy(eng->pairs);
}

/* The conversation's client/server pair, made on first use; the least recently used is forgotten beyond
 * the bound. */
static cl_pair *pair_of(cl_engine *eng, const cl_conv *conv, cl_result **res)
{
    cl_pair_key key;
    memset(&key, 0, sizeof(key));
    key.client = conv->side[0].addr;
    key.server = conv->side[1].addr;
    key.server_port = conv->side[1].port;
    cl_pair *p = g_hash_table_lookup(eng->pairs, &key);
    if (p) {
        g_queue_unlink(&eng->pair_order, p->lru_link);
        g_queue_push_tail_link(&eng->pair_order, p->lru_link);
        return p;
    }
    if (eng->pair_order.length >= eng->cfg.max_pairs) {
        cl_pair *old = g_queue_pop_head(&eng->pair_order);
        g_hash_table_remove(eng->pairs, &old->key);
        pair_free(old);
        cl_note_table_full(eng, res, conv, &eng->pair_cap_noted, eng->cfg.max_pairs, "client/server pairs", "max_pairs",
                           "idle timeouts and periods of the least recently used ones are forgotten");
    }
    p = g_new0(cl_pair, 1);
    p->key = key;
    p->disconnects = g_array_new(FALSE, FALSE, sizeof(double));
    g_queue_push_tail(&eng->pair_order, p);
    p->lru_link = eng->pair_order.tail;
    g_hash_table_insert(eng->pairs, &p->key, p);
    return p;
}

static void pair_name(const cl_conv *conv, char *buf, size_t len)
{
    cl_pair_format(&conv->side[0].addr, &conv->side[1].addr, conv->side[1].port, buf, len);
}

/* Nothing outstanding: everything either side sent was acknowledged. */
static bool quiescent(const cl_conv *conv)
{
    for (int i = 0; i < 2; i++) {
        const cl_side *s = &conv->side[i];
        if (s->has_snd_next && (!s->has_ack_seen || SEQ_LT(s->ack_seen, s->snd_next)))
            return false;
        if (s->unanswered || s->keepalive_pending)
            return false;
    }
    return true;
}

typedef struct {
    const char *cause;
    uint8_t confidence;
    GString *summary;
    GArray *evidence;
    cl_numbers num;
    uint32_t experts;
} failure;

static void failure_start(failure *f, const char *cause, uint8_t confidence)
{
    memset(f, 0, sizeof(*f));
    f->cause = cause;
    f->confidence = confidence;
    f->summary = g_string_new(NULL);
    f->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
}

static void evidence_add(failure *f, uint32_t frame)
{
    if (frame)
        g_array_append_val(f->evidence, frame);
}

/* After an idle failure: were keep-alives missing or too sparse, what does the pair's history say of the
 * device's idle timeout, and which keep-alive interval would have kept the connection. Only a failure
 * that is surely the device's (`sure`) narrows the pair's bracket. */
static void idle_context(cl_engine *eng, cl_conv *conv, failure *f, bool sure, cl_result **res)
{
    cl_pair *p = pair_of(eng, conv, res);
    double gap = conv->idle_gap;
    double failed = p->failed_min;
    uint32_t failed_frame = p->failed_frame;
    if (!failed || gap < failed)
        failed = gap, failed_frame = conv->idle_frame;
    if (sure)
        p->failed_min = failed, p->failed_frame = failed_frame;
    char t1[40], t2[40];
    f->num.has |= CL_HAS_IDLE | CL_HAS_IDLE_TIMEOUT_MAX | CL_HAS_KEEPALIVE_RECOMMENDED;
    f->num.idle = gap;
    f->num.idle_timeout_max = failed;
    if (!conv->keepalive_seen) {
        f->experts |= CL_EXP_KEEPALIVE_MISSING;
        g_string_append(f->summary, "; no TCP keep-alive was sent");
    } else if (conv->idle_was_keepalive || conv->keepalive_widest >= gap) {
        f->experts |= CL_EXP_KEEPALIVE_TOO_SPARSE;
        f->num.has |= CL_HAS_KEEPALIVE_INTERVAL;
        f->num.keepalive_interval = conv->keepalive_widest;
        g_string_append_printf(f->summary, "; keep-alives came %s apart, too sparse for this device",
                               duration(conv->keepalive_widest, t1, sizeof(t1)));
    }
    char pair[200];
    pair_name(conv, pair, sizeof(pair));
    double low = p->survived_max > 0 && p->survived_max < failed ? p->survived_max : 0;
    if (low > 0) {
        f->num.has |= CL_HAS_IDLE_TIMEOUT_MIN;
        f->num.idle_timeout_min = low;
        g_string_append_printf(f->summary,
                               "; for %s the device's idle timeout lies between %s (survived, frame %u) and %s "
                               "(failed, frame %u)",
                               pair, duration(low, t1, sizeof(t1)), p->survived_frame, duration(failed, t2, sizeof(t2)),
                               failed_frame);
    } else {
        g_string_append_printf(f->summary, "; for %s the device's idle timeout is at most %s (frame %u)", pair,
                               duration(failed, t1, sizeof(t1)), failed_frame);
    }
    /* Device defaults that fit the bracket; the shortest of them bounds the recommendation. */
    unsigned fits = 0;
    size_t first_fit = 0, last_fit = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(device_defaults); i++)
        if (device_defaults[i].seconds > low && device_defaults[i].seconds <= failed * BRACKET_SLACK) {
            if (!fits++)
                first_fit = i;
            last_fit = i;
        }
    if (fits == 1)
        g_string_append_printf(f->summary, ", as the default of %s", device_defaults[first_fit].devices);
    else if (fits == 2)
        g_string_append_printf(f->summary, ", as the defaults of %s or %s", device_defaults[first_fit].devices,
                               device_defaults[last_fit].devices);
    else if (fits > 2)
        g_string_append_printf(f->summary, "; %u common device defaults fit, the shortest %s", fits,
                               device_defaults[first_fit].devices);
    double recommended = failed / 2;
    if (fits && device_defaults[first_fit].seconds / 2 < recommended)
        recommended = device_defaults[first_fit].seconds / 2;
    f->num.keepalive_recommended = recommended;
    g_string_append_printf(f->summary,
                           "; remedy: TCP keep-alives (or the application's own heartbeat) every %s or less%s, or a "
                           "longer idle timeout on the device",
                           duration(recommended, t1, sizeof(t1)),
                           low >= recommended ? ""
                                              : " (the bracket is wide: the device's own setting tells the timeout; "
                                                "intervals up to the longest survived gap are safe for sure)");
}

/* A lost connection counts once per conversation toward its pair's disconnect history; several at a steady
 * interval are a periodic disconnect. */
static void disconnect_context(cl_engine *eng, cl_conv *conv, failure *f, double when, cl_result **res)
{
    if (strcmp(f->cause, "peer-reset") == 0)
        return; /* an application's own aborts are not lost connections */
    cl_pair *p = pair_of(eng, conv, res);
    unsigned len = p->disconnects->len;
    if (!conv->disconnect_counted && (!len || when >= g_array_index(p->disconnects, double, len - 1))) {
        conv->disconnect_counted = true;
        if (len >= CL_DISCONNECTS_KEPT)
            g_array_remove_index(p->disconnects, 0);
        g_array_append_val(p->disconnects, when);
    }
    unsigned n = p->disconnects->len;
    if (n < eng->cfg.period_min_count)
        return;
    const double *t = (const double *)(void *)p->disconnects->data;
    double mean = (t[n - 1] - t[0]) / (n - 1), var = 0;
    if (mean <= 0)
        return;
    for (unsigned i = 1; i < n; i++)
        var += (t[i] - t[i - 1] - mean) * (t[i] - t[i - 1] - mean);
    double sd = sqrt(var / (n - 1));
    if (sd > mean * eng->cfg.period_jitter_pct / 100.0)
        return;
    f->num.has |= CL_HAS_PERIOD;
    f->num.period = mean;
    f->num.period_count = n;
    f->experts |= CL_EXP_PERIODIC_DISCONNECT;
    f->confidence = (uint8_t)MIN(f->confidence + 5, 99);
    char pair[200];
    pair_name(conv, pair, sizeof(pair));
    char every[40];
    g_string_append_printf(f->summary, "; %s lost %u connections, one every %s (intervals within %.1f%%)", pair, n,
                           duration(mean, every, sizeof(every)), 100 * sd / mean);
}

static void failure_propose(cl_engine *eng, cl_conv *conv, failure *f, double when, cl_result **res)
{
    disconnect_context(eng, conv, f, when, res);
    cl_finding fd = {
        .cause = f->cause,
        .confidence = f->confidence,
        .summary = g_string_free(f->summary, FALSE),
        .evidence = (const uint32_t *)(void *)f->evidence->data,
        .n_evidence = f->evidence->len,
        .num = f->num,
        .experts = f->experts,
    };
    cl_verdict_propose(eng, conv, &fd, res);
    g_array_free(f->evidence, TRUE);
}

static void describe_rst(GString *s, const cl_conv *conv, int claimed, cl_rst_origin_t origin, const cl_packet *pkt)
{
    char who[80];
    cl_addr_format(&conv->side[claimed].addr, conv->side[claimed].port, who, sizeof(who));
    if (origin == CL_RST_FORGED)
        g_string_append_printf(s, "a RST forged in the name of %s by a device on the path (frame %u)", who, pkt->frame);
    else if (origin == CL_RST_GENUINE)
        g_string_append_printf(s, "a RST from %s itself (frame %u)", who, pkt->frame);
    else
        g_string_append_printf(s, "a RST in the name of %s whose origin the capture cannot tell (frame %u)", who,
                               pkt->frame);
}

static void silence_since(GString *s, const cl_conv *conv)
{
    char t[40];
    g_string_append_printf(s, "After %s of silence (frames %u-%u) ", duration(conv->idle_gap, t, sizeof(t)),
                           conv->idle_start_frame, conv->idle_frame);
}

/* The first packet after the idle gap met a RST (or the RST was that packet). */
static void idle_reset(cl_engine *eng, cl_conv *conv, int claimed, cl_rst_origin_t origin, const cl_packet *pkt,
                       cl_result **res)
{
    const cl_side *sender = &conv->side[conv->idle_from];
    bool peer_itself = origin == CL_RST_GENUINE, forged = origin == CL_RST_FORGED;
    failure f;
    failure_start(&f, peer_itself ? "peer-reset" : "idle-reset", forged ? 90 : peer_itself ? 60 : 50);
    silence_since(f.summary, conv);
    if (conv->idle_frame != pkt->frame) {
        char who[80];
        cl_addr_format(&sender->addr, sender->port, who, sizeof(who));
        g_string_append_printf(f.summary, "the first packet, from %s (frame %u), ", who, conv->idle_frame);
        if (sender->unanswered)
            g_string_append_printf(f.summary, "sent %u more time(s) without an answer (frames %u-%u), ",
                                   sender->unanswered, sender->unanswered_first, sender->unanswered_last);
        g_string_append(f.summary, "was answered by ");
    }
    describe_rst(f.summary, conv, claimed, origin, pkt);
    if (conv->idle_frame == pkt->frame)
        g_string_append(f.summary, " ended the idle connection");
    if (peer_itself)
        g_string_append(f.summary, ": the endpoint no longer knew the connection (restarted, or closed it on its "
                                   "own idle timer)");
    else if (forged)
        g_string_append(f.summary, ": a firewall, NAT or load balancer had dropped the idle connection's state");
    else
        g_string_append(f.summary, ": probably a firewall, NAT or load balancer that had dropped the idle "
                                   "connection's state");
    evidence_add(&f, conv->idle_start_frame);
    evidence_add(&f, conv->idle_frame);
    evidence_add(&f, sender->unanswered_last);
    evidence_add(&f, pkt->frame);
    if (sender->unanswered) {
        f.num.has |= CL_HAS_RETRANS;
        f.num.retrans = sender->unanswered;
    }
    if (peer_itself)
        f.num.has |= CL_HAS_IDLE, f.num.idle = conv->idle_gap;
    else
        idle_context(eng, conv, &f, forged, res);
    failure_propose(eng, conv, &f, conv->idle_time, res);
}

/* The first packet after the idle gap was retransmitted into silence. */
static void idle_drop(cl_engine *eng, cl_conv *conv, const cl_packet *pkt, bool gave_up, cl_result **res)
{
    const cl_side *s = &conv->side[conv->idle_from];
    failure f;
    failure_start(&f, "idle-drop", (uint8_t)MIN(70 + 5 * s->unanswered + (gave_up ? 5 : 0), 90));
    char who[80];
    cl_addr_format(&s->addr, s->port, who, sizeof(who));
    silence_since(f.summary, conv);
    g_string_append_printf(f.summary,
                           "%s (the %s) sent again and again and was never answered: %u retransmission(s), frames "
                           "%u-%u",
                           who, cl_role(conv->idle_from), s->unanswered, s->unanswered_first, s->unanswered_last);
    if (gave_up)
        g_string_append_printf(f.summary, ", then it gave up with a RST (frame %u)", pkt->frame);
    g_string_append(f.summary, ": a firewall, NAT or load balancer silently dropped the idle connection's state");
    evidence_add(&f, conv->idle_start_frame);
    evidence_add(&f, conv->idle_frame);
    evidence_add(&f, s->unanswered_first);
    evidence_add(&f, s->unanswered_last);
    evidence_add(&f, gave_up ? pkt->frame : 0);
    f.num.has |= CL_HAS_RETRANS;
    f.num.retrans = s->unanswered;
    idle_context(eng, conv, &f, true, res);
    failure_propose(eng, conv, &f, conv->idle_time, res);
}

/* A RST with no idle gap before it. */
static void plain_reset(cl_engine *eng, cl_conv *conv, int from, cl_rst_origin_t origin, double gap,
                        const cl_packet *pkt, cl_result **res)
{
    const cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    char who[80];
    cl_addr_format(&me->addr, me->port, who, sizeof(who));
    failure f;
    double when = pkt->time;
    if (origin == CL_RST_FORGED) {
        failure_start(&f, "middlebox-reset", 80);
        g_string_append(f.summary, "The connection was ended by ");
        describe_rst(f.summary, conv, from, origin, pkt);
        g_string_append(f.summary, ": a firewall, IPS or load balancer cut it; its log says why");
    } else if (origin == CL_RST_GENUINE && me->unanswered >= eng->cfg.rto_min_retrans) {
        failure_start(&f, "retransmission-timeout", 70);
        g_string_append_printf(f.summary,
                               "%s (the %s) retransmitted %u time(s) without any answer (frames %u-%u) and gave up "
                               "with a RST (frame %u): the peer or the path went away while data was in flight",
                               who, cl_role(from), me->unanswered, me->unanswered_first, me->unanswered_last,
                               pkt->frame);
        evidence_add(&f, me->unanswered_first);
        evidence_add(&f, me->unanswered_last);
        f.num.has |= CL_HAS_RETRANS;
        f.num.retrans = me->unanswered;
        when = me->unanswered_since;
    } else if (origin == CL_RST_GENUINE && !peer->unanswered && gap < eng->cfg.idle_min_ms / 1000.0 &&
               !(me->fin_sent && peer->fin_sent)) {
        /* after a silence the capture cannot tell an idle-connection cleanup from an application giving up on
         * a stalled transfer: no cause then */
        failure_start(&f, "peer-reset", 70);
        g_string_append_printf(f.summary,
                               "%s (the %s) reset the connection itself while it was in use (frame %u): an "
                               "application abort, not a network fault; the application's log says why",
                               who, cl_role(from), pkt->frame);
    } else
        return;
    evidence_add(&f, pkt->frame);
    failure_propose(eng, conv, &f, when, res);
}

/* The peer acknowledged the first packet after the gap: connections of this pair survive that long. */
static void survived(cl_engine *eng, cl_conv *conv, cl_result **res)
{
    cl_pair *p = pair_of(eng, conv, res);
    if (conv->idle_gap > p->survived_max)
        p->survived_max = conv->idle_gap, p->survived_frame = conv->idle_frame;
    conv->idle_open = false;
}

/* A host whose RST was its own has no connection left to send on: that RST came from a device. */
static void sent_after_rst(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    cl_side *me = &conv->side[from];
    cl_result *r = cl_result_for(eng, res, conv);
    r->experts |= CL_EXP_MIDDLEBOX_RESET;
    cl_result_note(r, g_strdup_printf("the %s still sends after the RST in its name (frame %u): that RST came from "
                                      "a device on the path",
                                      cl_role(from), me->rst_frame));
    if (conv->verdict && strcmp(conv->verdict->cause, "peer-reset") == 0) {
        failure f;
        failure_start(&f, "middlebox-reset", 75);
        char who[80];
        cl_addr_format(&me->addr, me->port, who, sizeof(who));
        g_string_append_printf(f.summary,
                               "The RST in the name of %s (frame %u) was not its own: it still sends afterwards "
                               "(frame %u); a firewall, IPS or load balancer cut the connection",
                               who, me->rst_frame, pkt->frame);
        evidence_add(&f, me->rst_frame);
        evidence_add(&f, pkt->frame);
        failure_propose(eng, conv, &f, pkt->time, res);
    }
    me->rst_frame = 0;
}

/* Bookkeeping after the packet was judged: sequence space, answer times, latest packet. */
static void remember(cl_conv *conv, int from, const cl_packet *pkt)
{
    cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    uint8_t flags = pkt->tcp_flags;
    if (!(flags & CL_TCP_RST)) {
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
            if (!peer->has_ack_seen || SEQ_GT(pkt->ack, peer->ack_seen))
                peer->has_ack_seen = true, peer->ack_seen = pkt->ack;
            /* the kernel answers a SYN or SYN-ACK at once: the fastest this side can answer at all */
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
    /* a clock that steps back must not make the next packet look like it came after a silence */
    if (!me->last_frame || pkt->time > me->last_time)
        me->last_time = pkt->time;
    me->last_frame = pkt->frame;
    if (!conv->prev_frame || pkt->time > conv->prev_time)
        conv->prev_time = pkt->time;
    conv->prev_frame = pkt->frame;
}

void cl_idle_tcp(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_rst_origin_t origin, cl_result **res)
{
    cl_side *me = &conv->side[from], *peer = &conv->side[!from];
    uint8_t flags = pkt->tcp_flags;
    bool rst = flags & CL_TCP_RST, syn = flags & CL_TCP_SYN, fin = flags & CL_TCP_FIN;
    uint32_t end = pkt->seq + pkt->tcp_len + syn + fin;
    /* RFC 1122 keep-alive: zero or one byte at the sequence number before the next one, sent only when
     * everything was acknowledged and the peer's window is open (else it is a retransmission or a
     * zero-window probe) */
    bool keepalive = !rst && !syn && !fin && (flags & CL_TCP_ACK) && pkt->tcp_len <= 1 && me->has_snd_next &&
                     pkt->seq == me->snd_next - 1 && me->has_ack_seen && me->ack_seen == me->snd_next &&
                     peer->window != 0;
    bool keepalive_ack = !rst && !syn && !fin && pkt->tcp_len == 0 && peer->keepalive_pending && (flags & CL_TCP_ACK) &&
                         pkt->ack == peer->snd_next;
    bool retrans =
        !rst && !keepalive && (pkt->tcp_len > 0 || syn || fin) && me->has_snd_next && SEQ_LEQ(end, me->snd_next);
    double gap = conv->prev_frame && pkt->time > conv->prev_time ? pkt->time - conv->prev_time : 0;
    /* after a RST the connection is over: later packets are strays, not idle gaps */
    bool idle = !conv->rst_seen && gap >= eng->cfg.idle_min_ms / 1000.0 && quiescent(conv);
    bool rst_judged = false;

    if (idle) {
        cl_result *r = cl_result_for(eng, res, conv);
        r->num.has |= CL_HAS_IDLE;
        r->num.idle = gap;
        conv->idle_open = !rst;
        conv->idle_from = (int8_t)from;
        conv->idle_gap = gap;
        conv->idle_time = pkt->time;
        conv->idle_end = keepalive ? me->snd_next : end;
        conv->idle_frame = pkt->frame;
        conv->idle_start_frame = conv->prev_frame;
        conv->idle_was_keepalive = keepalive;
        if (rst) {
            rst_judged = true;
            if (origin == CL_RST_FORGED)
                idle_reset(eng, conv, from, origin, pkt, res);
            else if (origin == CL_RST_GENUINE) {
                char t[40];
                cl_result_note(r, g_strdup_printf("the %s closed the connection with a RST after %s of silence: "
                                                  "an idle-connection cleanup or an application giving up, the "
                                                  "capture cannot tell which",
                                                  cl_role(from), duration(gap, t, sizeof(t))));
            }
        }
    } else if (conv->idle_open) {
        if (from != conv->idle_from) {
            if (!rst && (flags & CL_TCP_ACK) && SEQ_GEQ(pkt->ack, conv->idle_end))
                survived(eng, conv, res);
            else if (rst) {
                rst_judged = true;
                conv->idle_open = false;
                idle_reset(eng, conv, from, origin, pkt, res);
            }
        } else if (rst) {
            rst_judged = true;
            conv->idle_open = false;
            if (origin == CL_RST_FORGED)
                idle_reset(eng, conv, from, origin, pkt, res);
            else if (me->unanswered)
                idle_drop(eng, conv, pkt, true, res);
        }
    }

    if (!rst) {
        peer->unanswered = 0; /* the other side hears this one */
        peer->keepalive_pending = false;
        if (retrans || (keepalive && me->keepalive_pending)) {
            if (!me->unanswered++) {
                me->unanswered_first = pkt->frame;
                me->unanswered_since = pkt->time;
            }
            me->unanswered_last = pkt->frame;
        }
        if (keepalive) {
            cl_result *r = cl_result_for(eng, res, conv);
            r->keepalive = "probe";
            r->num.has |= CL_HAS_KEEPALIVE_INTERVAL;
            r->num.keepalive_interval = gap;
            conv->keepalive_seen = true;
            conv->keepalive_widest = MAX(conv->keepalive_widest, gap);
            me->keepalive_pending = true;
        } else if (keepalive_ack)
            cl_result_for(eng, res, conv)->keepalive = "ack";
        if (conv->idle_open && conv->idle_from == from && me->unanswered == eng->cfg.drop_min_retrans)
            idle_drop(eng, conv, pkt, false, res);
        if (!syn && me->rst_frame)
            sent_after_rst(eng, conv, from, pkt, res);
    } else {
        if (!rst_judged)
            plain_reset(eng, conv, from, origin, gap, pkt, res);
        if (origin == CL_RST_GENUINE)
            me->rst_frame = pkt->frame;
        conv->rst_seen = true;
    }
    remember(conv, from, pkt);
}
