/* One cause per conversation: findings compete, the deepest explanation wins.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#include <string.h>

/* Deeper explanations first: a client RST after a black-hole stall stays a black hole. */
static const char *const cause_rank[] = {
    "pmtud-blackhole", "fragment-loss",   "mapi-session-limit",     "idle-reset",
    "idle-drop",       "middlebox-reset", "retransmission-timeout", "peer-reset",
};

static int rank_of(const char *cause)
{
    for (size_t i = 0; i < G_N_ELEMENTS(cause_rank); i++)
        if (strcmp(cause_rank[i], cause) == 0)
            return (int)(G_N_ELEMENTS(cause_rank) - i);
    return 0;
}

static gint frame_cmp(gconstpointer a, gconstpointer b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Evidence in frame order, each frame once. */
static void set_evidence(cl_conv_verdict *v, const cl_finding *f)
{
    if (!v->evidence)
        v->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(v->evidence, 0);
    g_array_append_vals(v->evidence, f->evidence, f->n_evidence);
    g_array_sort(v->evidence, frame_cmp);
    unsigned kept = 0;
    for (unsigned i = 0; i < v->evidence->len; i++) {
        uint32_t frame = g_array_index(v->evidence, uint32_t, i);
        if (frame && (!kept || g_array_index(v->evidence, uint32_t, kept - 1) != frame))
            g_array_index(v->evidence, uint32_t, kept++) = frame;
    }
    g_array_set_size(v->evidence, kept);
}

void cl_numbers_merge(cl_numbers *dst, const cl_numbers *src)
{
    uint32_t h = src->has;
    dst->has |= h;
    if (h & CL_HAS_PMTU)
        dst->pmtu = src->pmtu;
    if (h & CL_HAS_LARGEST_ACKED)
        dst->largest_acked = src->largest_acked;
    if (h & CL_HAS_SMALLEST_LOST)
        dst->smallest_lost = src->smallest_lost;
    if (h & CL_HAS_ICMP_FRAME)
        dst->icmp_frame = src->icmp_frame;
    if (h & CL_HAS_FRAG)
        dst->frag_incomplete = src->frag_incomplete;
    if (h & CL_HAS_IDLE)
        dst->idle = src->idle;
    if (h & CL_HAS_KEEPALIVE_INTERVAL)
        dst->keepalive_interval = src->keepalive_interval;
    if (h & CL_HAS_IDLE_TIMEOUT_MIN)
        dst->idle_timeout_min = src->idle_timeout_min;
    if (h & CL_HAS_IDLE_TIMEOUT_MAX)
        dst->idle_timeout_max = src->idle_timeout_max;
    if (h & CL_HAS_KEEPALIVE_RECOMMENDED)
        dst->keepalive_recommended = src->keepalive_recommended;
    if (h & CL_HAS_PERIOD)
        dst->period = src->period, dst->period_count = src->period_count;
    if (h & CL_HAS_RETRANS)
        dst->retrans = src->retrans;
    if (h & CL_HAS_SESSIONS)
        dst->sessions = src->sessions, dst->session_limit = src->session_limit;
}

static bool numbers_equal(const cl_numbers *a, const cl_numbers *b)
{
    cl_numbers x, y;
    memset(&x, 0, sizeof(x));
    memset(&y, 0, sizeof(y));
    cl_numbers_merge(&x, a);
    cl_numbers_merge(&y, b);
    return memcmp(&x, &y, sizeof(x)) == 0;
}

/* Takes the finding as the conversation's verdict if it is a deeper cause, or the same one at least as
 * sure; says whether it is worth showing again on this frame (anything but a rewording). */
static bool verdict_offer(cl_conv *conv, cl_finding *f)
{
    cl_conv_verdict *v = conv->verdict;
    bool same = v && strcmp(f->cause, v->cause) == 0;
    bool better = !v || rank_of(f->cause) > rank_of(v->cause) || (same && f->confidence >= v->confidence);
    if (!better) {
        g_free(f->summary);
        return false;
    }
    /* a rewording only: the end of the conversation shows the latest one */
    bool reworded =
        same && f->confidence == v->confidence && numbers_equal(&f->num, &v->numbers) && f->experts == v->experts;
    if (!v)
        v = conv->verdict = g_new0(cl_conv_verdict, 1);
    v->cause = f->cause;
    v->confidence = f->confidence;
    g_free(v->summary);
    v->summary = f->summary;
    f->summary = NULL;
    set_evidence(v, f);
    memset(&v->numbers, 0, sizeof(v->numbers));
    cl_numbers_merge(&v->numbers, &f->num);
    v->experts = f->experts;
    return !reworded;
}

static void diagnosis_free(gpointer p)
{
    cl_diagnosis *d = p;
    g_free(d->summary);
    g_free(d);
}

void cl_verdict_init(cl_engine *eng)
{
    eng->diagnoses = g_ptr_array_new_with_free_func(diagnosis_free);
    eng->diag_by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
    eng->diag_by_tuple =
        g_hash_table_new_full(cl_tuple_hash, cl_tuple_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
}

void cl_verdict_free(cl_engine *eng)
{
    g_hash_table_destroy(eng->diag_by_tuple);
    g_hash_table_destroy(eng->diag_by_id);
    g_ptr_array_free(eng->diagnoses, TRUE);
}

/* The conversation's entry for the report, made at its first verdict. */
static cl_diagnosis *diagnosis_of(cl_engine *eng, cl_conv *conv)
{
    if (conv->diag)
        return conv->diag;
    cl_diagnosis *d = g_hash_table_lookup(eng->diag_by_id, GUINT_TO_POINTER(conv->id));
    if (d) /* a verdict before the conversation was forgotten and taken up again */
        return conv->diag = d;
    if (eng->results_full_frame)
        return NULL;
    eng->result_bytes += sizeof(*d) + 1024 + 4 * CL_ENTRY_BYTES; /* its summary, its table entries */
    d = g_new0(cl_diagnosis, 1);
    d->conv_id = conv->id;
    d->client = conv->side[0].addr, d->client_port = conv->side[0].port;
    d->server = conv->side[1].addr, d->server_port = conv->side[1].port;
    d->first_frame = conv->first_frame, d->start = conv->first_time;
    d->last_frame = eng->now_frame, d->end = eng->now_time;
    g_ptr_array_add(eng->diagnoses, d);
    g_hash_table_insert(eng->diag_by_id, GUINT_TO_POINTER(conv->id), d);
    GPtrArray *same = g_hash_table_lookup(eng->diag_by_tuple, &conv->tuple);
    if (!same) {
        same = g_ptr_array_new();
        g_hash_table_insert(eng->diag_by_tuple, g_memdup2(&conv->tuple, sizeof(conv->tuple)), same);
    }
    g_ptr_array_add(same, d);
    return conv->diag = d;
}

const cl_diagnosis *cl_engine_diagnosis_for(const cl_engine *eng, const cl_packet *pkt, uint32_t conv_id)
{
    if (!eng || !eng->diagnoses->len)
        return NULL;
    if (conv_id)
        return g_hash_table_lookup(eng->diag_by_id, GUINT_TO_POINTER(conv_id));
    if (!pkt->has_tcp && !pkt->has_udp)
        return NULL;
    cl_tuple t;
    cl_tuple_make(&t, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport, pkt->has_tcp ? 6 : 17);
    const GPtrArray *same = g_hash_table_lookup(eng->diag_by_tuple, &t);
    for (unsigned i = 0; same && i < same->len; i++) { /* connections of one port pair, usually one */
        const cl_diagnosis *d = g_ptr_array_index(same, i);
        if (d->first_frame <= pkt->frame && pkt->frame <= d->last_frame)
            return d;
    }
    return NULL;
}

void cl_verdict_show(cl_engine *eng, cl_conv *conv, cl_result **res)
{
    const cl_conv_verdict *v = conv->verdict;
    cl_diagnosis *d = diagnosis_of(eng, conv);
    if (d) {
        d->cause = v->cause;
        d->confidence = v->confidence;
        if (!d->summary || strcmp(d->summary, v->summary) != 0) {
            g_free(d->summary);
            d->summary = g_strdup(v->summary);
        }
        d->num = v->numbers;
        d->verdict_frame = eng->now_frame;
    }
    cl_result *r = cl_result_for(eng, res, conv);
    if (r->cause == v->cause && r->summary && strcmp(r->summary, v->summary) == 0)
        return;
    r->cause = v->cause;
    r->confidence = v->confidence;
    g_free(r->summary);
    r->summary = g_strdup(v->summary);
    if (!r->evidence)
        r->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(r->evidence, 0);
    g_array_append_vals(r->evidence, v->evidence->data, v->evidence->len);
    /* a deeper verdict found on the same frame replaces the first one whole */
    r->verdict_experts = v->experts | (v->confidence < 60 ? CL_EXP_LOW_CONFIDENCE : 0);
    memset(&r->verdict_num, 0, sizeof(r->verdict_num));
    cl_numbers_merge(&r->verdict_num, &v->numbers);
}

void cl_verdict_propose(cl_engine *eng, cl_conv *conv, cl_finding *f, cl_result **res)
{
    if (verdict_offer(conv, f))
        cl_verdict_show(eng, conv, res);
}
