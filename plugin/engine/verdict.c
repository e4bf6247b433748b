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
static void set_evidence(cl_conv *conv, const cl_finding *f)
{
    if (!conv->evidence)
        conv->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(conv->evidence, 0);
    g_array_append_vals(conv->evidence, f->evidence, f->n_evidence);
    g_array_sort(conv->evidence, frame_cmp);
    unsigned kept = 0;
    for (unsigned i = 0; i < conv->evidence->len; i++) {
        uint32_t frame = g_array_index(conv->evidence, uint32_t, i);
        if (frame && (!kept || g_array_index(conv->evidence, uint32_t, kept - 1) != frame))
            g_array_index(conv->evidence, uint32_t, kept++) = frame;
    }
    g_array_set_size(conv->evidence, kept);
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
    bool same = conv->cause && strcmp(f->cause, conv->cause) == 0;
    bool better =
        !conv->cause || rank_of(f->cause) > rank_of(conv->cause) || (same && f->confidence >= conv->confidence);
    if (!better) {
        g_free(f->summary);
        return false;
    }
    /* a rewording only: the end of the conversation shows the latest one */
    bool reworded = same && f->confidence == conv->confidence && numbers_equal(&f->num, &conv->numbers) &&
                    f->experts == conv->verdict_experts;
    conv->cause = f->cause;
    conv->confidence = f->confidence;
    g_free(conv->summary);
    conv->summary = f->summary;
    f->summary = NULL;
    set_evidence(conv, f);
    memset(&conv->numbers, 0, sizeof(conv->numbers));
    cl_numbers_merge(&conv->numbers, &f->num);
    conv->verdict_experts = f->experts;
    return !reworded;
}

void cl_verdict_show(cl_engine *eng, cl_conv *conv, cl_result **res)
{
    cl_result *r = cl_result_for(eng, res, conv);
    if (r->cause == conv->cause && r->summary && strcmp(r->summary, conv->summary) == 0)
        return;
    r->cause = conv->cause;
    r->confidence = conv->confidence;
    g_free(r->summary);
    r->summary = g_strdup(conv->summary);
    if (!r->evidence)
        r->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_set_size(r->evidence, 0);
    g_array_append_vals(r->evidence, conv->evidence->data, conv->evidence->len);
    /* a deeper verdict found on the same frame replaces the first one whole */
    r->verdict_experts = conv->verdict_experts | (conv->confidence < 60 ? CL_EXP_LOW_CONFIDENCE : 0);
    memset(&r->verdict_num, 0, sizeof(r->verdict_num));
    cl_numbers_merge(&r->verdict_num, &conv->numbers);
}

void cl_verdict_propose(cl_engine *eng, cl_conv *conv, cl_finding *f, cl_result **res)
{
    if (verdict_offer(conv, f))
        cl_verdict_show(eng, conv, res);
}
