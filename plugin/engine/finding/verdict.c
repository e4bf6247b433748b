/* One cause per conversation, and the diagnoses kept for the report.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "finding.h"

#include <stdarg.h>
#include <string.h>

/* What a conversation's verdict is so far. */
typedef struct {
    cl_cause cause;
    uint8_t confidence;
    cl_text *summary;
    GArray *evidence;
    cl_numbers numbers; /* the verdict's numbers */
    uint32_t experts;
} conv_verdict;

typedef struct {
    conv_verdict *verdict; /* NULL until a finding is taken */
    cl_diagnosis *diag;    /* its entry for the report once it has a verdict */
} verdict_slot;

static verdict_slot *slot_of(const cl_verdicts *v, const cl_conv *conv) { return cl_conv_slot(conv, v->slot); }

size_t cl_verdict_slot_size(void) { return sizeof(verdict_slot); }

/* Insertion sort: a finding names a handful of frames, mostly in order already (g_array_sort's qsort cost about
 * 1 400 instructions a verdict). */
static void sort_frames(uint32_t *frames, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint32_t frame = frames[i];
        unsigned j = i;
        for (; j > 0 && frames[j - 1] > frame; j--)
            frames[j] = frames[j - 1];
        frames[j] = frame;
    }
}

/* Evidence in frame order, each frame once. */
static void set_evidence(conv_verdict *v, const cl_finding *f)
{
    if (!v->evidence)
        v->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(v->evidence, 0);
    g_array_append_vals(v->evidence, f->evidence->data, f->evidence->len);
    sort_frames((uint32_t *)(void *)v->evidence->data, v->evidence->len);
    unsigned kept = 0;
    for (unsigned i = 0; i < v->evidence->len; i++) {
        uint32_t frame = g_array_index(v->evidence, uint32_t, i);
        if (frame && (!kept || g_array_index(v->evidence, uint32_t, kept - 1) != frame))
            g_array_index(v->evidence, uint32_t, kept++) = frame;
    }
    g_array_set_size(v->evidence, kept);
}

bool cl_verdict_offer(cl_verdicts *vs, cl_conv *conv, cl_finding *f)
{
    verdict_slot *slot = slot_of(vs, conv);
    conv_verdict *v = slot->verdict;
    bool same = v && f->cause == v->cause;
    bool better = !v || f->cause < v->cause || (same && f->confidence >= v->confidence);
    if (!better)
        return false;
    /* a rewording only: the end of the conversation shows the latest one */
    bool reworded =
        same && f->confidence == v->confidence && cl_numbers_equal(&f->num, &v->numbers) && f->experts == v->experts;
    if (!v) {
        v = slot->verdict = g_new0(conv_verdict, 1);
        cl_conv_resized(conv);
    }
    v->cause = f->cause;
    v->confidence = f->confidence;
    cl_text_free(v->summary);
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
    cl_text_free(d->summary);
    g_free(d);
}

void cl_verdicts_init(cl_verdicts *v, cl_convs *convs, cl_results *results, size_t slot)
{
    v->convs = convs;
    v->results = results;
    v->slot = slot;
    v->diagnoses = g_ptr_array_new_with_free_func(diagnosis_free);
    v->by_id = g_hash_table_new(g_direct_hash, g_direct_equal);
    v->by_tuple = g_hash_table_new_full(cl_tuple_hash, cl_tuple_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
}

void cl_verdicts_free(cl_verdicts *v)
{
    g_hash_table_destroy(v->by_tuple);
    g_hash_table_destroy(v->by_id);
    g_ptr_array_free(v->diagnoses, TRUE);
}

void cl_verdict_slot_free(cl_verdicts *vs, cl_conv *conv)
{
    conv_verdict *v = slot_of(vs, conv)->verdict;
    if (!v)
        return;
    if (v->evidence)
        g_array_free(v->evidence, TRUE);
    cl_text_free(v->summary);
    g_free(v);
}

size_t cl_verdict_slot_bytes(const cl_verdicts *vs, const cl_conv *conv)
{
    /* its summary and evidence: a few hundred bytes */
    return slot_of(vs, conv)->verdict ? sizeof(conv_verdict) + 1024 : 0;
}

/* The conversation's entry for the report, made at its first verdict. */
static cl_diagnosis *diagnosis_of(cl_verdicts *vs, cl_conv *conv)
{
    verdict_slot *slot = slot_of(vs, conv);
    if (slot->diag)
        return slot->diag;
    cl_diagnosis *d = g_hash_table_lookup(vs->by_id, GUINT_TO_POINTER(conv->id));
    if (d) /* a verdict before the conversation was forgotten and taken up again */
        return slot->diag = d;
    if (!cl_results_charge(vs->results, sizeof(*d) + 1024 + 4 * CL_ENTRY_BYTES)) /* its summary, its entries */
        return NULL;
    d = g_new0(cl_diagnosis, 1);
    d->conv_id = conv->id;
    d->client = conv->side[0].addr;
    d->client_port = conv->side[0].port;
    d->server = conv->side[1].addr;
    d->server_port = conv->side[1].port;
    d->first_frame = conv->first_frame;
    d->start = conv->first_time;
    d->last_frame = vs->convs->now_frame;
    d->end = vs->convs->now_time;
    g_ptr_array_add(vs->diagnoses, d);
    g_hash_table_insert(vs->by_id, GUINT_TO_POINTER(conv->id), d);
    GPtrArray *same = g_hash_table_lookup(vs->by_tuple, &conv->tuple);
    if (!same) {
        same = g_ptr_array_new();
        g_hash_table_insert(vs->by_tuple, g_memdup2(&conv->tuple, sizeof(conv->tuple)), same);
    }
    g_ptr_array_add(same, d);
    return slot->diag = d;
}

const cl_diagnosis *cl_verdicts_lookup(const cl_verdicts *vs, const cl_packet *pkt, uint32_t conv_id)
{
    if (!vs->diagnoses->len)
        return NULL;
    if (conv_id) {
        const cl_diagnosis *d = g_hash_table_lookup(vs->by_id, GUINT_TO_POINTER(conv_id));
        return d && d->cause ? d : NULL;
    }
    if (!pkt->has_tcp && !pkt->has_udp)
        return NULL;
    cl_tuple t;
    cl_tuple_make(&t, &pkt->ip.src, pkt->sport, &pkt->ip.dst, pkt->dport, pkt->has_tcp ? 6 : 17);
    const GPtrArray *same = g_hash_table_lookup(vs->by_tuple, &t);
    for (unsigned i = 0; same && i < same->len; i++) { /* connections of one port pair, usually one */
        const cl_diagnosis *d = g_ptr_array_index(same, i);
        if (d->first_frame <= pkt->frame && pkt->frame <= d->last_frame)
            return d->cause ? d : NULL;
    }
    return NULL;
}

void cl_verdict_show(cl_verdicts *vs, cl_conv *conv, cl_frame *f)
{
    const conv_verdict *v = slot_of(vs, conv)->verdict;
    if (!v)
        return;
    const cl_diagnosis *known = slot_of(vs, conv)->diag;
    if (!known)
        known = g_hash_table_lookup(vs->by_id, GUINT_TO_POINTER(conv->id));
    bool first = !known || known->cause == CL_CAUSE_NONE; /* counted anew after a withdrawn verdict */
    cl_cause before = known ? known->cause : CL_CAUSE_NONE;
    cl_diagnosis *d = diagnosis_of(vs, conv);
    if (d) {
        d->cause = v->cause;
        d->confidence = v->confidence;
        if (!cl_text_equal(d->summary, v->summary)) {
            cl_text_free(d->summary);
            d->summary = cl_text_share(v->summary);
        }
        d->num = v->numbers;
        d->verdict_frame = vs->convs->now_frame;
    }
    cl_result *r = cl_result_for(f, conv);
    r->first_verdict |= first;
    /* counted under its new cause from here; a frame that made the first verdict, or replaced one already,
     * keeps what was counted */
    if (!first && !r->first_verdict && !r->replaced && before != v->cause)
        r->replaced = before;
    if (r->cause == v->cause && r->summary && cl_text_equal(r->summary, v->summary))
        return;
    r->cause = v->cause;
    r->confidence = v->confidence;
    cl_text_free(r->summary);
    r->summary = cl_text_share(v->summary);
    if (!r->evidence)
        r->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(r->evidence, 0);
    g_array_append_vals(r->evidence, v->evidence->data, v->evidence->len);
    /* a deeper verdict found on the same frame replaces the first one whole */
    r->verdict_experts = v->experts | (v->confidence < 60 ? CL_EXP_LOW_CONFIDENCE : 0);
    if (r->verdict_num) /* a frame in six keeps a result, few of them a verdict: its numbers only with one */
        memset(r->verdict_num, 0, sizeof(*r->verdict_num));
    else
        r->verdict_num = g_new0(cl_numbers, 1);
    cl_numbers_merge(r->verdict_num, &v->numbers);
}

cl_cause cl_verdict_cause(const cl_verdicts *vs, const cl_conv *conv)
{
    const conv_verdict *v = slot_of(vs, conv)->verdict;
    return v ? v->cause : CL_CAUSE_NONE;
}

void cl_verdict_amend(cl_verdicts *vs, cl_conv *conv, const char *text)
{
    conv_verdict *v = slot_of(vs, conv)->verdict;
    if (!v)
        return;
    cl_text *own = cl_text_copy(v->summary); /* the frames and the report that show it share the old one */
    cl_text_free(v->summary);
    v->summary = own;
    cl_text_add(v->summary, "%s", text);
}

void cl_verdict_withdraw(cl_verdicts *vs, cl_conv *conv, cl_cause cause, cl_frame *f, const char *why, ...)
{
    verdict_slot *slot = slot_of(vs, conv);
    if (!slot->verdict || slot->verdict->cause != cause)
        return;
    cl_verdict_slot_free(vs, conv);
    slot->verdict = NULL;
    cl_conv_resized(conv);
    vs->withdrawn[cause]++;
    cl_result *r = cl_result_for(f, conv);
    r->withdrawn = cause;
    r->withdrawn_frame = slot->diag ? slot->diag->verdict_frame : 0;
    if (slot->diag)
        slot->diag->cause = CL_CAUSE_NONE; /* what did not hold is no diagnosis */
    va_list ap;
    va_start(ap, why);
    cl_result_vsay(r, why, ap);
    va_end(ap);
}

void cl_verdict_ordinary_close(cl_verdicts *vs, int side) { vs->ordinary_closes[side ? 1 : 0]++; }

void cl_verdict_seen(cl_verdicts *vs, cl_conv *conv, const cl_packet *pkt)
{
    cl_diagnosis *d = slot_of(vs, conv)->diag;
    if (!d)
        return;
    d->last_frame = pkt->frame;
    d->end = pkt->time;
}
