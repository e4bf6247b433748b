/* The engine: lays out the conversations' slots, runs the registry's analyses over each frame in data-flow
 * order, and holds the memory caps.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "run.h"

#include <string.h>

static const cl_pref engine_prefs[] = {
    CL_PREF(max_conversations, "Most conversations tracked",
            "Bound on connlost's conversation table; the least recently active are forgotten beyond it", 200000, 1,
            UINT32_MAX),
    CL_PREF(reset_linger_s, "Reset conversations kept (s)",
            "A conversation ended by a RST is kept this long for the packets that cross the RST, then forgotten "
            "(one closed by both FINs is forgotten at once)",
            10, 0, UINT32_MAX),
    CL_PREF(max_state_mb, "Memory cap of the analysis state (MiB)",
            "Conversations (with their segments in flight and DCE/RPC buffers), incomplete datagrams and the other "
            "tables together stay below this; beyond it the least recently active conversations are forgotten",
            512, 1, UINT32_MAX),
    CL_PREF(max_results_mb, "Memory cap of the results (MiB)",
            "Per-frame results, conversation verdicts for the report and their texts stay below this; beyond it later "
            "frames get no connlost fields (the frame that reached it says so)",
            1024, 1, UINT32_MAX),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

void cl_config_each_pref(void (*visit)(const cl_pref *pref, void *data), void *data)
{
    for (const cl_pref *p = engine_prefs; p->name; p++)
        visit(p, data);
    for (size_t i = 0; i < cl_registry_len; i++)
        for (const cl_pref *p = cl_registry[i]->prefs; p && p->name; p++)
            visit(p, data);
}

static void set_default(const cl_pref *p, void *cfg) { *cl_pref_field(cfg, p) = p->fallback; }

void cl_config_defaults(cl_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cl_config_each_pref(set_default, cfg);
}

/* Preferences can say anything: keep the bounds and thresholds meaningful. */
static void clamp(const cl_pref *p, void *cfg)
{
    unsigned *v = cl_pref_field(cfg, p);
    *v = MIN(MAX(*v, p->min), p->max);
}

/* The conversations' slots: the verdict's, then each analysis's, each on an 8-byte boundary (their widest
 * members are pointers and doubles). */
static size_t slot_layout(cl_engine *eng)
{
    size_t at = (cl_verdict_slot_size() + 7) & ~(size_t)7;
    for (size_t i = 0; i < cl_registry_len; i++) {
        eng->slot[i] = at;
        at += (cl_registry[i]->slot_size + 7) & ~(size_t)7;
    }
    return at;
}

/* `hook` of every row that has it, in registry order, with `call` its call (run.h: direct calls). */
#define STATE(name) eng->state[CL_ANALYSIS_##name]
#define SLOT(name, conv) cl_conv_slot(conv, eng->slot[CL_ANALYSIS_##name])
#define HAS(name, hook) (cl_analysis_##name.hook != NULL)

static void slots_free(cl_conv *conv, void *data)
{
    cl_engine *eng = data;
#define SLOT_FREE(name)                                                                                                \
    if (HAS(name, slot_free))                                                                                          \
        cl_analysis_##name.slot_free(STATE(name), conv, SLOT(name, conv));
    CL_REGISTRY(SLOT_FREE)
#undef SLOT_FREE
    cl_verdict_slot_free(&eng->verdicts, conv);
}

static size_t slots_bytes(const cl_conv *conv, void *data)
{
    const cl_engine *eng = data;
    size_t n = cl_verdict_slot_bytes(&eng->verdicts, conv);
#define SLOT_BYTES(name)                                                                                               \
    if (HAS(name, slot_bytes))                                                                                         \
        n += cl_analysis_##name.slot_bytes(SLOT(name, conv));
    CL_REGISTRY(SLOT_BYTES)
#undef SLOT_BYTES
    return n;
}

/* The tables keep their own bytes' sum up to date: the cap is checked on every frame (test_flood). */
static void tally_tables(cl_engine *eng)
{
    for (unsigned i = 0; i < eng->tables->len; i++) {
        cl_lru *t = g_ptr_array_index(eng->tables, i);
        if (t->entry_bytes)
            t->tally = &eng->tables_bytes;
    }
}

/* Every analysis that subscribes to others meets every other one once. */
static void wire(cl_engine *eng)
{
    for (size_t i = 0; i < cl_registry_len; i++)
        for (size_t j = 0; cl_registry[i]->subscribe && j < cl_registry_len; j++)
            if (j != i)
                cl_registry[i]->subscribe(eng->state[i], cl_registry[j], eng->state[j]);
}

cl_engine *cl_engine_new(const cl_config *cfg)
{
    g_assert(cl_registry_len == CL_ANALYSIS_COUNT);
    cl_engine *eng = g_new0(cl_engine, 1);
    eng->cfg = *cfg;
    cl_config_each_pref(clamp, &eng->cfg);
    cl_slot_hooks hooks = {slots_free, slots_bytes, eng};
    cl_convs_init(&eng->convs, &eng->cfg, slot_layout(eng), hooks);
    cl_results_init(&eng->results, eng->cfg.max_results_mb);
    cl_verdicts_init(&eng->verdicts, &eng->convs, &eng->results, 0);
    eng->tables = g_ptr_array_new();
    eng->x =
        (cl_ctx){&eng->cfg, &eng->convs, &eng->verdicts, eng->tables, false, {&eng->results, NULL}, &eng->kept_bytes};
    cl_core_add_table(&eng->x, &eng->convs.table);
    cl_core_add_table(&eng->x, &eng->convs.closed);
    for (size_t i = 0; i < cl_registry_len; i++)
        eng->state[i] = cl_registry[i]->init ? cl_registry[i]->init(&eng->x, eng->slot[i]) : NULL;
    wire(eng);
    tally_tables(eng);
    return eng;
}

void cl_engine_free(cl_engine *eng)
{
    if (!eng)
        return;
    cl_convs_free(&eng->convs); /* the slots first: they point into the analyses' state */
    for (size_t i = cl_registry_len; i-- > 0;)
        if (cl_registry[i]->free)
            cl_registry[i]->free(eng->state[i]);
    cl_verdicts_free(&eng->verdicts);
    g_ptr_array_free(eng->tables, TRUE);
    cl_results_free(&eng->results); /* last: results and analyses point to its interned texts */
    g_free(eng);
}

/* A TCP packet (or a segment completed by its last fragment) through every analysis. */
static void feed_tcp(cl_engine *eng, cl_ctx *x, const cl_packet *pkt, bool reassembled)
{
    uint32_t original = reassembled ? 0 : cl_convs_copy_of(&eng->convs, pkt);
    if (original) { /* one packet, seen twice: it was analysed the first time */
        eng->copies++;
        cl_res(x, NULL)->copy_of = original;
        return;
    }
    cl_facts facts = {0};
    cl_conv *conv = cl_conv_for_tcp(&eng->convs, pkt, &facts.from);
    if (reassembled) /* its frame has no ports of its own: remember whose it is for the later passes */
        cl_res(x, conv);
    if (!pkt->ip.df || reassembled)
        conv->may_fragment = true;
    /* the verdict goes on the first RST and on each side's first FIN, not on every later one */
    facts.ends = pkt->tcp_flags & (CL_TCP_RST | CL_TCP_FIN);
    facts.first_end = ((pkt->tcp_flags & CL_TCP_RST) && !conv->rst_seen) ||
                      ((pkt->tcp_flags & CL_TCP_FIN) && !conv->side[facts.from].fin_sent);
    if (cl_track_before(conv, facts.from, pkt)) {
#define SIDE_RESET(name)                                                                                               \
    if (HAS(name, side_reset))                                                                                         \
        cl_analysis_##name.side_reset(SLOT(name, conv), facts.from);
        CL_REGISTRY(SIDE_RESET)
#undef SIDE_RESET
        cl_conv_resized(conv);
    }
#define ON_TCP(name)                                                                                                   \
    if (HAS(name, on_tcp))                                                                                             \
        cl_analysis_##name.on_tcp(STATE(name), x, conv, SLOT(name, conv), pkt, &facts);
    CL_REGISTRY(ON_TCP)
#undef ON_TCP
    cl_track_after(conv, facts.from, pkt, eng->convs.epoch);
#define AFTER_TCP(name)                                                                                                \
    if (HAS(name, after_tcp))                                                                                          \
        cl_analysis_##name.after_tcp(STATE(name), x, conv, SLOT(name, conv), pkt, &facts);
    CL_REGISTRY(AFTER_TCP)
#undef AFTER_TCP
    if (facts.ends && facts.first_end)
        cl_verdict_show(&eng->verdicts, conv, &x->frame);
    cl_verdict_seen(&eng->verdicts, conv, pkt);
    if (conv->recount)
        cl_conv_charge(&eng->convs, conv);
    cl_conv_after_tcp(&eng->convs, conv, pkt);
}

static void feed(cl_engine *eng, cl_ctx *x, const cl_packet *pkt)
{
    cl_packet whole;
    bool reassembled = false;
    bool datagram_start = pkt->ip.is_fragment ? !pkt->ip.frag_offset : pkt->has_udp; /* where its ports are */
    if (pkt->ip.proto == 17 && datagram_start)
        cl_convs_note_datagram(&eng->convs, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport);
#define ON_IP(name)                                                                                                    \
    if (HAS(name, on_ip))                                                                                              \
        reassembled |= cl_analysis_##name.on_ip(STATE(name), x, pkt, &whole);
    CL_REGISTRY(ON_IP)
#undef ON_IP
    if (reassembled)
        pkt = &whole; /* the last fragment completes a TCP segment */
    cl_convs_expire(&eng->convs, pkt->time);
    if (pkt->has_icmp && pkt->has_inner) {
#define ON_ICMP(name)                                                                                                  \
    if (HAS(name, on_icmp))                                                                                            \
        cl_analysis_##name.on_icmp(STATE(name), x, pkt);
        CL_REGISTRY(ON_ICMP)
#undef ON_ICMP
        return;
    }
    if (pkt->has_tcp)
        feed_tcp(eng, x, pkt, reassembled);
}

/* Each part keeps its own sum as it changes: the cap is checked on every frame (test_flood). */
size_t cl_engine_state_bytes(const cl_engine *eng) { return eng->convs.bytes + eng->tables_bytes + eng->kept_bytes; }

size_t cl_engine_result_bytes(const cl_engine *eng) { return eng->results.bytes; }

bool cl_engine_charges_exact(const cl_engine *eng) { return cl_convs_charges_exact(&eng->convs); }

/* Sheds what an analysis keeps outside conversations, oldest first; false if none has anything left. */
static bool shed_analyses(cl_engine *eng)
{
#define SHED(name)                                                                                                     \
    if (HAS(name, shed) && cl_analysis_##name.shed(STATE(name)))                                                       \
        return true;
    CL_REGISTRY(SHED)
#undef SHED
    return false;
}

/* Over max_state_mb the least recently active conversations go first, then what the analyses keep, then the
 * identities of forgotten conversations. */
static void hold_state_cap(cl_engine *eng, cl_ctx *x)
{
    size_t cap = (size_t)eng->cfg.max_state_mb << 20;
    if (cl_engine_state_bytes(eng) <= cap)
        return;
    if (!eng->state_cap_said) {
        eng->state_cap_said = true;
        cl_result *r = cl_res(x, NULL);
        r->experts |= CL_EXP_TABLE_FULL;
        cl_result_say(r,
                      "connlost's analysis state reached %u MiB (preference connlost.max_state_mb): "
                      "the least recently active conversations are forgotten from here on",
                      eng->cfg.max_state_mb);
    }
    while (cl_engine_state_bytes(eng) > cap && cl_convs_shed(&eng->convs))
        ;
    while (cl_engine_state_bytes(eng) > cap && shed_analyses(eng))
        ;
    while (cl_engine_state_bytes(eng) > cap && cl_convs_shed_closed(&eng->convs))
        ;
}

/* Each table that reached its bound says so once, on the frame where it did. */
static void say_full_tables(cl_engine *eng, cl_ctx *x)
{
    if (!x->table_full_pending)
        return;
    x->table_full_pending = false;
    for (unsigned i = 0; i < eng->tables->len; i++) {
        cl_lru *t = g_ptr_array_index(eng->tables, i);
        if (t->full_pending && t->what && cl_lru_take_full(t))
            cl_note_table_full(&x->frame, t);
    }
}

/* Damaged captures: a clock that steps back, or ahead by more than a day between two frames, starts a new epoch;
 * no silence and no timeout is measured across it, and the frame says so. */
#define CLOCK_BACK_S 1.0
#define CLOCK_AHEAD_S 86400.0

static void watch_clock(cl_engine *eng, cl_ctx *x, const cl_packet *pkt)
{
    double step = pkt->time - eng->clock;
    bool jump = eng->convs.now_frame && (step < -CLOCK_BACK_S || step > CLOCK_AHEAD_S);
    eng->clock = pkt->time;
    if (!jump)
        return;
    eng->convs.epoch++;
    char t[40];
    cl_result_say(cl_res(x, NULL),
                  "the capture's clock %s by %s at this frame: the capture looks "
                  "damaged here, connlost measures no silence or timeout across it",
                  step < 0 ? "steps back" : "jumps ahead", cl_duration(step < 0 ? -step : step, t, sizeof(t)));
}

const cl_result *cl_engine_feed(cl_engine *eng, const cl_packet *pkt)
{
    cl_ctx *x = &eng->x;
    cl_results_next(&eng->results, pkt->frame);
    x->frame.res = NULL;
    if (!eng->convs.now_frame)
        eng->first_time = pkt->time;
    watch_clock(eng, x, pkt);
    eng->convs.now_frame = pkt->frame;
    eng->convs.now_time = pkt->time;
    if (!pkt->has_ip)
        return NULL;
    feed(eng, x, pkt);
    hold_state_cap(eng, x);
    say_full_tables(eng, x);
    cl_result *r = x->frame.res;
    return r && cl_results_keep(&eng->results, r, pkt->frame) ? r : NULL;
}

const cl_result *cl_engine_result_at(cl_engine *eng, uint32_t frame)
{
    return eng ? cl_results_at(&eng->results, frame) : NULL;
}

const cl_diagnosis *cl_engine_diagnosis_for(const cl_engine *eng, const cl_packet *pkt, uint32_t conv_id)
{
    return eng ? cl_verdicts_lookup(&eng->verdicts, pkt, conv_id) : NULL;
}
