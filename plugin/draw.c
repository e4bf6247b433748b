/* Drawing a frame's result, from the result alone: the same on every pass. Small drawers per part, in the
 * manner of packet-tcp.c's sequence-analysis printers.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "draw.h"

#define GEN(expr) proto_item_set_generated(expr)

/* What a drawer draws with. `words` is false when no one reads connlost's sentences: then no tree (the items
 * are skipped), and each expert info is added without its text, so that Wireshark still counts its severity
 * (the GUI's status bar, an Expert column) at the cost of no formatting. */
typedef struct {
    const cl_fields *f;
    tvbuff_t *tvb;
    packet_info *pinfo;
    uint32_t experts; /* CL_EXP_* of the result and its verdict */
    bool words;
} pen;

/* Wireshark's expert calls take a mutable expert_field they only read. */
static expert_field *ei(const pen *p, cl_expert id) { return (expert_field *)&p->f->expert[id]; }

/* An expert info on `pi`, with its sentence when someone reads it. A macro, so that the compiler checks the
 * format against its arguments as it does for expert_add_info_format. */
#define EXPERT(p, pi, id, ...)                                                                                         \
    do {                                                                                                               \
        if ((p)->words)                                                                                                \
            expert_add_info_format((p)->pinfo, pi, ei(p, id), __VA_ARGS__);                                            \
        else                                                                                                           \
            expert_add_info((p)->pinfo, NULL, ei(p, id));                                                              \
    } while (0)

/* A sentence the engine kept unformatted, formatted for this frame's drawing. */
static const char *written(const pen *p, const cl_text *text)
{
    GString *s = g_string_new(NULL);
    cl_text_write(text, s);
    const char *str = wmem_strdup(p->pinfo->pool, s->str);
    g_string_free(s, TRUE);
    return str;
}

static proto_item *add_time(proto_tree *t, int hf, tvbuff_t *tvb, double seconds)
{
    nstime_t ns;
    ns.secs = (time_t)seconds;
    ns.nsecs = (int)((seconds - (double)ns.secs) * 1e9 + 0.5);
    if (ns.nsecs >= 1000000000) {
        ns.secs++;
        ns.nsecs -= 1000000000;
    }
    proto_item *pi = proto_tree_add_time(t, hf, tvb, 0, 0, &ns);
    proto_item_set_generated(pi);
    return pi;
}

static void draw_string(proto_tree *t, int hf, tvbuff_t *tvb, const char *value)
{
    if (value && t)
        GEN(proto_tree_add_string(t, hf, tvb, 0, 0, value));
}

static void draw_rpc_call(const pen *p, const cl_rpc_info *x, proto_tree *t)
{
    if (!t) /* it raises no expert info */
        return;
    draw_string(t, p->f->hf.rpc_ptype, p->tvb, x->ptype);
    draw_string(t, p->f->hf.rpc_interface, p->tvb, x->interface);
    if (x->interface_source && t) {
        const char *how = x->interface_source == CL_SOURCE_BIND ? "bind in frame %u"
                          : x->interface_source == CL_SOURCE_EPM
                              ? "no bind in the capture; endpoint known from the EPM "
                                "ept_map answer in frame %u"
                              : "no bind in the capture; endpoint known from the bind "
                                "acknowledged in frame %u";
        GEN(proto_tree_add_string(t, p->f->hf.rpc_interface_source, p->tvb, 0, 0,
                                  wmem_strdup_printf(p->pinfo->pool, how, x->source_frame)));
    }
}

static void draw_rpc_bind(const pen *p, const cl_rpc_info *x, proto_tree *t)
{
    const cl_fields *f = p->f;
    if (x->bind_result) {
        proto_item *pi = t ? proto_tree_add_string(t, f->hf.rpc_bind_result, p->tvb, 0, 0, x->bind_result) : NULL;
        GEN(pi);
        if (p->experts & CL_EXP_RPC_BIND_REJECTED)
            EXPERT(p, pi, CL_EXPERT_RPC_BIND_REJECTED, "RPC bind rejected: %s", x->bind_result);
    } else if (p->experts & CL_EXP_RPC_BIND_REJECTED) {
        expert_add_info(p->pinfo, t, ei(p, CL_EXPERT_RPC_BIND_REJECTED));
    }
    if (!t)
        return;
    if (x->opnum >= 0)
        GEN(proto_tree_add_uint(t, f->hf.rpc_opnum, p->tvb, 0, 0, (uint32_t)x->opnum));
    draw_string(t, f->hf.rpc_op, p->tvb, x->op);
    if (x->has_fault)
        GEN(proto_tree_add_uint(t, f->hf.rpc_fault, p->tvb, 0, 0, x->fault));
    draw_string(t, f->hf.rpc_auth, p->tvb, x->auth);
    draw_string(t, f->hf.rpc_auth_user, p->tvb, x->auth_user);
}

static void draw_mapi_sessions(const pen *p, const cl_rpc_info *x, proto_tree *t)
{
    const cl_fields *f = p->f;
    proto_item *pi = NULL;
    if (t) {
        pi = proto_tree_add_uint(t, f->hf.mapi_sessions, p->tvb, 0, 0, x->sessions);
        GEN(pi);
        if (x->lower_bound)
            proto_item_append_text(pi, " (at least: the capture began after some connections)");
        GEN(proto_tree_add_uint(t, f->hf.mapi_client_sessions, p->tvb, 0, 0, x->client_sessions));
        GEN(proto_tree_add_uint(t, f->hf.mapi_limit, p->tvb, 0, 0, x->limit));
        GEN(proto_tree_add_boolean(t, f->hf.mapi_lower_bound, p->tvb, 0, 0, x->lower_bound));
    }
    if (p->experts & CL_EXP_MAPI_NEAR_LIMIT)
        EXPERT(p, pi, CL_EXPERT_MAPI_NEAR_LIMIT, "%s holds %u of the %u MAPI sessions the server allows", x->mapi_user,
               x->sessions, x->limit);
}

static void draw_mapi(const pen *p, const cl_rpc_info *x, proto_tree *t)
{
    const cl_fields *f = p->f;
    proto_item *pi;
    draw_string(t, f->hf.mapi_op, p->tvb, x->mapi_op);
    draw_string(t, f->hf.mapi_user, p->tvb, x->mapi_user);
    if (x->has_error && t)
        GEN(proto_tree_add_uint(t, f->hf.mapi_error, p->tvb, 0, 0, x->error));
    if (x->has_sessions)
        draw_mapi_sessions(p, x, t);
    if (x->leaked) {
        pi = t ? proto_tree_add_uint(t, f->hf.mapi_leaked, p->tvb, 0, 0, x->leaked) : NULL;
        GEN(pi);
        EXPERT(p, pi, CL_EXPERT_MAPI_SESSION_LEAK,
               "Connection ended without EcDoDisconnect: %u MAPI session(s) of %s left on the server", x->leaked,
               x->mapi_user);
    }
    if (x->burst) {
        pi = t ? proto_tree_add_uint(t, f->hf.mapi_burst, p->tvb, 0, 0, x->burst) : NULL;
        GEN(pi);
        EXPERT(p, pi, CL_EXPERT_MAPI_RECONNECT_BURST, "%u MAPI logons from this client in a burst", x->burst);
    }
}

static void draw_rpc(const pen *p, const cl_rpc_info *x, proto_tree *tree)
{
    proto_tree *t = tree ? proto_tree_add_subtree(tree, p->tvb, 0, 0, p->f->ett_rpc, NULL,
                                                  x->mapi_op || x->mapi_user ? "DCE/RPC, MAPI" : "DCE/RPC")
                         : NULL;
    draw_rpc_call(p, x, t);
    draw_rpc_bind(p, x, t);
    draw_mapi(p, x, t);
}

/* The verdict on the frame that carries it, under the cause's own expert info. */
static void draw_verdict(const pen *p, const cl_result *r, proto_tree *t)
{
    const cl_fields *f = p->f;
    const char *summary = p->words ? written(p, r->summary) : NULL;
    proto_item *cause = NULL;
    if (t) {
        cause = proto_tree_add_string(t, f->hf.cause, p->tvb, 0, 0, cl_cause_slug(r->cause));
        GEN(cause);
        GEN(proto_tree_add_uint(t, f->hf.confidence, p->tvb, 0, 0, r->confidence));
        GEN(proto_tree_add_string(t, f->hf.summary, p->tvb, 0, 0, summary));
        for (unsigned i = 0; r->evidence && i < r->evidence->len; i++)
            GEN(proto_tree_add_uint(t, f->hf.evidence, p->tvb, 0, 0, g_array_index(r->evidence, uint32_t, i)));
    }
    EXPERT(p, cause, cl_cause_expert(r->cause), "%s", summary);
    if (p->experts & CL_EXP_LOW_CONFIDENCE)
        EXPERT(p, cause, CL_EXPERT_LOW_CONFIDENCE, "Low confidence (%u%%): the capture does not show enough to be sure",
               r->confidence);
}

/* An expert info that goes with a number: what the number means for the connection. */
static void number_expert(const pen *p, cl_number id, const cl_numbers *n, proto_item *pi)
{
    if (id == CL_NUMBER_KEEPALIVE_INTERVAL && (p->experts & CL_EXP_KEEPALIVE_TOO_SPARSE))
        EXPERT(p, pi, CL_EXPERT_KEEPALIVE_TOO_SPARSE,
               "Keep-alives %.3f s apart did not keep the connection through %.3f s of silence", n->keepalive_interval,
               n->idle);
    else if (id == CL_NUMBER_KEEPALIVE_RECOMMENDED && (p->experts & CL_EXP_KEEPALIVE_MISSING))
        EXPERT(p, pi, CL_EXPERT_KEEPALIVE_MISSING,
               "No TCP keep-alive before the connection died after %.3f s of silence; send them every %.3f s or "
               "less",
               n->idle, n->keepalive_recommended);
    else if (id == CL_NUMBER_PERIOD)
        EXPERT(p, pi, CL_EXPERT_PERIODIC_DISCONNECT,
               "%u connections of this client and server were lost, one every %.3f s", n->period_count, n->period);
}

/* The frame's own numbers with the verdict's over them, each as its field. */
static void draw_numbers(const pen *p, const cl_result *r, proto_tree *t)
{
    const cl_fields *f = p->f;
    cl_numbers n;
    memset(&n, 0, sizeof(n));
    if (r->num)
        cl_numbers_merge(&n, r->num);
    if (r->verdict_num)
        cl_numbers_merge(&n, r->verdict_num);
    proto_item *pi;
#define CL_DRAW_ROW(id, member, ctype, ftype, ...)                                                                     \
    if ((n.has & CL_HAS_##id) && f->number[CL_NUMBER_##id] >= 0) {                                                     \
        pi = !t ? NULL                                                                                                 \
                : _Generic(n.member, double                                                                            \
                           : add_time(t, f->number[CL_NUMBER_##id], p->tvb, (double)n.member), default                 \
                           : proto_tree_add_uint(t, f->number[CL_NUMBER_##id], p->tvb, 0, 0, (uint32_t)n.member));     \
        GEN(pi);                                                                                                       \
        number_expert(p, CL_NUMBER_##id, &n, pi);                                                                      \
    }
    CL_NUMBERS(CL_DRAW_ROW)
#undef CL_DRAW_ROW
}

static void draw_dupack(const pen *p, const cl_result *r, proto_tree *t)
{
    proto_item *pi = NULL;
    if (t) {
        pi = proto_tree_add_uint(t, p->f->hf.dupack_count, p->tvb, 0, 0, r->dupack_count);
        GEN(pi);
        GEN(proto_tree_add_uint(t, p->f->hf.dupack_first, p->tvb, 0, 0, r->dupack_first));
    }
    if (p->experts & CL_EXP_DUPACK_CHAIN)
        EXPERT(p, pi, CL_EXPERT_DUPACK_CHAIN, "%u duplicate ACKs for the same sequence number since frame %u",
               r->dupack_count, r->dupack_first);
}

static void draw_rst(const pen *p, const cl_result *r, proto_tree *t, proto_item *top)
{
    const cl_fields *f = p->f;
    if (!r->rst_origin) {
        if (p->experts & CL_EXP_MIDDLEBOX_RESET)
            EXPERT(p, top, CL_EXPERT_MIDDLEBOX_RESET, "An earlier RST was forged by a device on the path");
        return;
    }
    proto_item *pi = NULL;
    if (t) {
        pi = proto_tree_add_string(t, f->hf.rst_origin, p->tvb, 0, 0, r->rst_origin);
        GEN(pi);
        GEN(proto_tree_add_uint(t, f->hf.rst_ttl, p->tvb, 0, 0, r->rst_ttl));
        if (r->rst_ttl_expected)
            GEN(proto_tree_add_uint(t, f->hf.rst_ttl_expected, p->tvb, 0, 0, r->rst_ttl_expected));
        if (r->rst_answers) {
            GEN(proto_tree_add_uint(t, f->hf.rst_answers, p->tvb, 0, 0, r->rst_answers));
            add_time(t, f->hf.rst_delay, p->tvb, r->rst_delay);
        }
        if (r->rst_min_delay >= 0)
            add_time(t, f->hf.rst_min_delay, p->tvb, r->rst_min_delay);
    }
    if (p->experts & CL_EXP_MIDDLEBOX_RESET)
        EXPERT(p, pi, CL_EXPERT_MIDDLEBOX_RESET, "RST forged by a device on the path");
}

static void draw_note(const pen *p, const cl_result *r, proto_tree *t)
{
    const char *note = p->words ? written(p, r->note) : NULL;
    proto_item *pi = t ? proto_tree_add_string(t, p->f->hf.note, p->tvb, 0, 0, note) : NULL;
    GEN(pi);
    static const cl_expert note_experts[] = {CL_EXPERT_PMTUD_WORKING, CL_EXPERT_PMTUD_ICMP, CL_EXPERT_TABLE_FULL};
    for (size_t i = 0; i < G_N_ELEMENTS(note_experts); i++)
        if (p->experts & (1u << note_experts[i])) {
            EXPERT(p, pi, note_experts[i], "%s", note);
            return;
        }
}

static void draw_frag_ids(const pen *p, const cl_result *r, proto_tree *t)
{
    if (!t) /* it raises no expert info */
        return;
    proto_item *pi = proto_tree_add_string(t, p->f->hf.frag_lost_ids, p->tvb, 0, 0, r->frag_lost_ids);
    GEN(pi);
    if (r->frag_lost_here > CL_MAX_IDS_SHOWN)
        proto_item_append_text(pi, " and %u more", r->frag_lost_here - CL_MAX_IDS_SHOWN);
}

/* Appends `text` at `*at`, within `end` (one byte is kept for the NUL). */
static void put(char **at, const char *end, const char *text)
{
    size_t n = MIN(strlen(text), (size_t)(end - *at) - 1);
    memcpy(*at, text, n);
    *at += n;
}

/* "[connlost: CAUSE, NN%]" or "[connlost: CAUSE withdrawn]" into `buf`, put together without printf
 * (col_append_sep_fstr cost about 1 700 instructions a frame); the column copies it. */
static const char *column_text(const cl_result *r, char *buf, size_t len)
{
    char percent[4];
    size_t n = sizeof(percent) - 1;
    unsigned confidence = r->confidence; /* at most three digits */
    percent[n] = '\0';
    do {
        percent[--n] = (char)('0' + confidence % 10);
        confidence /= 10;
    } while (confidence && n);
    char *at = buf;
    const char *end = buf + len;
    put(&at, end, "[connlost: ");
    put(&at, end, cl_cause_slug(r->cause ? r->cause : r->withdrawn));
    if (r->cause) {
        put(&at, end, ", ");
        put(&at, end, percent + n);
        put(&at, end, "%]");
    } else {
        put(&at, end, " withdrawn]");
    }
    *at = '\0';
    return buf;
}

/* The connlost item: its text names the frame's verdict, or the conversation's. */
static proto_item *draw_top(const pen *p, const cl_result *r, const cl_diagnosis *diag, proto_tree *tree)
{
    char column[96];
    if (r->cause || r->withdrawn)
        col_append_sep_str(p->pinfo->cinfo, COL_INFO, " ", column_text(r, column, sizeof(column)));
    if (!tree)
        return NULL;
    proto_item *top = proto_tree_add_item(tree, p->f->proto, p->tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    if (r->cause)
        proto_item_append_text(top, ": %s (%u%%)", cl_cause_slug(r->cause), r->confidence);
    else if (diag)
        proto_item_append_text(top, " (conversation: %s, verdict in frame %u)", cl_cause_slug(diag->cause),
                               diag->verdict_frame);
    return top;
}

static void draw_ids(const pen *p, const cl_result *r, const cl_diagnosis *diag, proto_tree *t)
{
    const cl_fields *f = p->f;
    if (!t) /* it raises no expert info */
        return;
    if (diag) { /* the conversation's verdict on each of its frames: known only after the first pass */
        GEN(proto_tree_add_string(t, f->hf.conv_cause, p->tvb, 0, 0, cl_cause_slug(diag->cause)));
        GEN(proto_tree_add_uint(t, f->hf.conv_confidence, p->tvb, 0, 0, diag->confidence));
        GEN(proto_tree_add_uint(t, f->hf.conv_verdict, p->tvb, 0, 0, diag->verdict_frame));
    }
    if (r->conv_id)
        GEN(proto_tree_add_uint(t, f->hf.conv, p->tvb, 0, 0, r->conv_id));
    if (r->copy_of)
        GEN(proto_tree_add_uint(t, f->hf.copy_of, p->tvb, 0, 0, r->copy_of));
    if (r->withdrawn) {
        GEN(proto_tree_add_string(t, f->hf.withdrawn, p->tvb, 0, 0, cl_cause_slug(r->withdrawn)));
        if (r->withdrawn_frame)
            GEN(proto_tree_add_uint(t, f->hf.withdrawn_frame, p->tvb, 0, 0, r->withdrawn_frame));
    }
}

/* Someone reads connlost's words when the tree is shown (proto_field_is_referenced is true for a visible tree),
 * a filter, column or tap refers to a connlost field (the protocol is then referenced indirectly) or to an expert
 * field, or the expert tap listens (-z expert, the GUI's Expert Information). */
bool cl_draw_words_wanted(proto_tree *tree)
{
    const cl_fields *f = cl_fields_ids();
    if (tree && (proto_field_is_referenced(tree, f->proto) ||
                 (f->proto_expert > 0 && proto_field_is_referenced(tree, f->proto_expert))))
        return true;
    return f->expert_tap >= 0 && have_tap_listener(f->expert_tap);
}

void cl_draw(const cl_result *r, const cl_diagnosis *diag, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
             bool words)
{
    static const cl_result nothing = {.rst_min_delay = -1};
    if (!r)
        r = &nothing;
    pen p = {cl_fields_ids(), tvb, pinfo, r->experts | r->verdict_experts, words};
    /* without a tree each drawer skips its items (a call with no tree still cost up to 135 instructions) and
     * raises only its expert infos */
    proto_item *top = draw_top(&p, r, diag, tree);
    proto_tree *t = top ? proto_item_add_subtree(top, p.f->ett) : NULL;
    draw_ids(&p, r, diag, t);
    if (r->cause)
        draw_verdict(&p, r, t);
    else if (p.experts & CL_EXP_FRAGMENT_LOST)
        EXPERT(&p, top, CL_EXPERT_FRAGMENT_LOST, "IP datagram(s) %s never arrived complete", r->frag_lost_ids);
    if (r->has_dupack)
        draw_dupack(&p, r, t);
    draw_numbers(&p, r, t);
    draw_string(t, p.f->hf.keepalive, tvb, r->keepalive);
    if (r->frag_lost_ids)
        draw_frag_ids(&p, r, t);
    draw_rst(&p, r, t, top);
    if (r->note)
        draw_note(&p, r, t);
    if (r->rpc)
        draw_rpc(&p, r->rpc, t);
}
