/* Drawing a frame's result, from the result alone: the same on every pass. Small drawers per part, in the
 * manner of packet-tcp.c's sequence-analysis printers.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "draw.h"

#define GEN(expr) proto_item_set_generated(expr)

/* Wireshark's expert calls take a mutable expert_field they only read. */
static expert_field *ei(const cl_fields *f, cl_expert id) { return (expert_field *)&f->expert[id]; }

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
    if (value)
        GEN(proto_tree_add_string(t, hf, tvb, 0, 0, value));
}

static void draw_rpc_call(const cl_fields *f, const cl_rpc_info *x, tvbuff_t *tvb, packet_info *pinfo, proto_tree *t)
{
    draw_string(t, f->hf.rpc_ptype, tvb, x->ptype);
    draw_string(t, f->hf.rpc_interface, tvb, x->interface);
    if (x->interface_source) {
        const char *how = x->interface_source == CL_SOURCE_BIND ? "bind in frame %u"
                          : x->interface_source == CL_SOURCE_EPM
                              ? "no bind in the capture; endpoint known from the EPM "
                                "ept_map answer in frame %u"
                              : "no bind in the capture; endpoint known from the bind "
                                "acknowledged in frame %u";
        GEN(proto_tree_add_string(t, f->hf.rpc_interface_source, tvb, 0, 0,
                                  wmem_strdup_printf(pinfo->pool, how, x->source_frame)));
    }
}

static void draw_rpc_bind(const cl_fields *f, const cl_rpc_info *x, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                          proto_tree *t)
{
    if (x->bind_result) {
        proto_item *pi = proto_tree_add_string(t, f->hf.rpc_bind_result, tvb, 0, 0, x->bind_result);
        GEN(pi);
        if (experts & CL_EXP_RPC_BIND_REJECTED)
            expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_RPC_BIND_REJECTED), "RPC bind rejected: %s",
                                   x->bind_result);
    } else if (experts & CL_EXP_RPC_BIND_REJECTED) {
        expert_add_info(pinfo, t, ei(f, CL_EXPERT_RPC_BIND_REJECTED));
    }
    if (x->opnum >= 0)
        GEN(proto_tree_add_uint(t, f->hf.rpc_opnum, tvb, 0, 0, (uint32_t)x->opnum));
    draw_string(t, f->hf.rpc_op, tvb, x->op);
    if (x->has_fault)
        GEN(proto_tree_add_uint(t, f->hf.rpc_fault, tvb, 0, 0, x->fault));
    draw_string(t, f->hf.rpc_auth, tvb, x->auth);
    draw_string(t, f->hf.rpc_auth_user, tvb, x->auth_user);
}

static void draw_mapi(const cl_fields *f, const cl_rpc_info *x, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                      proto_tree *t)
{
    proto_item *pi;
    draw_string(t, f->hf.mapi_op, tvb, x->mapi_op);
    draw_string(t, f->hf.mapi_user, tvb, x->mapi_user);
    if (x->has_error)
        GEN(proto_tree_add_uint(t, f->hf.mapi_error, tvb, 0, 0, x->error));
    if (x->has_sessions) {
        pi = proto_tree_add_uint(t, f->hf.mapi_sessions, tvb, 0, 0, x->sessions);
        GEN(pi);
        if (x->lower_bound)
            proto_item_append_text(pi, " (at least: the capture began after some connections)");
        GEN(proto_tree_add_uint(t, f->hf.mapi_client_sessions, tvb, 0, 0, x->client_sessions));
        GEN(proto_tree_add_uint(t, f->hf.mapi_limit, tvb, 0, 0, x->limit));
        GEN(proto_tree_add_boolean(t, f->hf.mapi_lower_bound, tvb, 0, 0, x->lower_bound));
        if (experts & CL_EXP_MAPI_NEAR_LIMIT)
            expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_MAPI_NEAR_LIMIT),
                                   "%s holds %u of the %u MAPI sessions the server allows", x->mapi_user, x->sessions,
                                   x->limit);
    }
    if (x->leaked) {
        pi = proto_tree_add_uint(t, f->hf.mapi_leaked, tvb, 0, 0, x->leaked);
        GEN(pi);
        expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_MAPI_SESSION_LEAK),
                               "Connection ended without EcDoDisconnect: %u MAPI session(s) of %s left on the server",
                               x->leaked, x->mapi_user);
    }
    if (x->burst) {
        pi = proto_tree_add_uint(t, f->hf.mapi_burst, tvb, 0, 0, x->burst);
        GEN(pi);
        expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_MAPI_RECONNECT_BURST),
                               "%u MAPI logons from this client in a burst", x->burst);
    }
}

static void draw_rpc(const cl_fields *f, const cl_rpc_info *x, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                     proto_tree *tree)
{
    proto_tree *t = proto_tree_add_subtree(tree, tvb, 0, 0, f->ett_rpc, NULL,
                                           x->mapi_op || x->mapi_user ? "DCE/RPC, MAPI" : "DCE/RPC");
    draw_rpc_call(f, x, tvb, pinfo, t);
    draw_rpc_bind(f, x, experts, tvb, pinfo, t);
    draw_mapi(f, x, experts, tvb, pinfo, t);
}

/* The verdict on the frame that carries it, under the cause's own expert info. */
static void draw_verdict(const cl_fields *f, const cl_result *r, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                         proto_tree *t)
{
    proto_item *cause = proto_tree_add_string(t, f->hf.cause, tvb, 0, 0, cl_cause_slug(r->cause));
    GEN(cause);
    GEN(proto_tree_add_uint(t, f->hf.confidence, tvb, 0, 0, r->confidence));
    GEN(proto_tree_add_string(t, f->hf.summary, tvb, 0, 0, r->summary));
    for (unsigned i = 0; r->evidence && i < r->evidence->len; i++)
        GEN(proto_tree_add_uint(t, f->hf.evidence, tvb, 0, 0, g_array_index(r->evidence, uint32_t, i)));
    expert_add_info_format(pinfo, cause, ei(f, cl_cause_expert(r->cause)), "%s", r->summary);
    if (experts & CL_EXP_LOW_CONFIDENCE)
        expert_add_info_format(pinfo, cause, ei(f, CL_EXPERT_LOW_CONFIDENCE),
                               "Low confidence (%u%%): the capture does not show enough to be sure", r->confidence);
}

/* An expert info that goes with a number: what the number means for the connection. */
static void number_expert(const cl_fields *f, cl_number id, const cl_numbers *n, uint32_t experts, packet_info *pinfo,
                          proto_item *pi)
{
    if (id == CL_NUMBER_KEEPALIVE_INTERVAL && (experts & CL_EXP_KEEPALIVE_TOO_SPARSE))
        expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_KEEPALIVE_TOO_SPARSE),
                               "Keep-alives %.3f s apart did not keep the connection through %.3f s of silence",
                               n->keepalive_interval, n->idle);
    else if (id == CL_NUMBER_KEEPALIVE_RECOMMENDED && (experts & CL_EXP_KEEPALIVE_MISSING))
        expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_KEEPALIVE_MISSING),
                               "No TCP keep-alive before the connection died after %.3f s of silence; send them "
                               "every %.3f s or less",
                               n->idle, n->keepalive_recommended);
    else if (id == CL_NUMBER_PERIOD)
        expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_PERIODIC_DISCONNECT),
                               "%u connections of this client and server were lost, one every %.3f s", n->period_count,
                               n->period);
}

/* The frame's own numbers with the verdict's over them, each as its field. */
static void draw_numbers(const cl_fields *f, const cl_result *r, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                         proto_tree *t)
{
    cl_numbers n;
    memset(&n, 0, sizeof(n));
    cl_numbers_merge(&n, &r->num);
    cl_numbers_merge(&n, &r->verdict_num);
    proto_item *pi;
#define CL_DRAW_ROW(id, member, ctype, ftype, ...)                                                                     \
    if ((n.has & CL_HAS_##id) && f->number[CL_NUMBER_##id] >= 0) {                                                     \
        pi = _Generic(n.member, double                                                                                 \
                      : add_time(t, f->number[CL_NUMBER_##id], tvb, (double)n.member), default                         \
                      : proto_tree_add_uint(t, f->number[CL_NUMBER_##id], tvb, 0, 0, (uint32_t)n.member));             \
        GEN(pi);                                                                                                       \
        number_expert(f, CL_NUMBER_##id, &n, experts, pinfo, pi);                                                      \
    }
    CL_NUMBERS(CL_DRAW_ROW)
#undef CL_DRAW_ROW
}

static void draw_dupack(const cl_fields *f, const cl_result *r, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                        proto_tree *t)
{
    proto_item *pi = proto_tree_add_uint(t, f->hf.dupack_count, tvb, 0, 0, r->dupack_count);
    GEN(pi);
    GEN(proto_tree_add_uint(t, f->hf.dupack_first, tvb, 0, 0, r->dupack_first));
    if (experts & CL_EXP_DUPACK_CHAIN)
        expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_DUPACK_CHAIN),
                               "%u duplicate ACKs for the same sequence number since frame %u", r->dupack_count,
                               r->dupack_first);
}

static void draw_rst(const cl_fields *f, const cl_result *r, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                     proto_tree *t, proto_item *top)
{
    if (!r->rst_origin) {
        if (experts & CL_EXP_MIDDLEBOX_RESET)
            expert_add_info_format(pinfo, top, ei(f, CL_EXPERT_MIDDLEBOX_RESET),
                                   "An earlier RST was forged by a device on the path");
        return;
    }
    proto_item *pi = proto_tree_add_string(t, f->hf.rst_origin, tvb, 0, 0, r->rst_origin);
    GEN(pi);
    GEN(proto_tree_add_uint(t, f->hf.rst_ttl, tvb, 0, 0, r->rst_ttl));
    if (r->rst_ttl_expected)
        GEN(proto_tree_add_uint(t, f->hf.rst_ttl_expected, tvb, 0, 0, r->rst_ttl_expected));
    if (r->rst_answers) {
        GEN(proto_tree_add_uint(t, f->hf.rst_answers, tvb, 0, 0, r->rst_answers));
        add_time(t, f->hf.rst_delay, tvb, r->rst_delay);
    }
    if (r->rst_min_delay >= 0)
        add_time(t, f->hf.rst_min_delay, tvb, r->rst_min_delay);
    if (experts & CL_EXP_MIDDLEBOX_RESET)
        expert_add_info_format(pinfo, pi, ei(f, CL_EXPERT_MIDDLEBOX_RESET), "RST forged by a device on the path");
}

static void draw_note(const cl_fields *f, const cl_result *r, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo,
                      proto_tree *t)
{
    proto_item *pi = proto_tree_add_string(t, f->hf.note, tvb, 0, 0, r->note);
    GEN(pi);
    static const cl_expert note_experts[] = {CL_EXPERT_PMTUD_WORKING, CL_EXPERT_PMTUD_ICMP, CL_EXPERT_TABLE_FULL};
    for (size_t i = 0; i < G_N_ELEMENTS(note_experts); i++)
        if (experts & (1u << note_experts[i])) {
            expert_add_info_format(pinfo, pi, ei(f, note_experts[i]), "%s", r->note);
            return;
        }
}

static void draw_frag_ids(const cl_fields *f, const cl_result *r, tvbuff_t *tvb, proto_tree *t)
{
    proto_item *pi = proto_tree_add_string(t, f->hf.frag_lost_ids, tvb, 0, 0, r->frag_lost_ids);
    GEN(pi);
    if (r->frag_lost_here > CL_MAX_IDS_SHOWN)
        proto_item_append_text(pi, " and %u more", r->frag_lost_here - CL_MAX_IDS_SHOWN);
}

/* The connlost item: its text names the frame's verdict, or the conversation's. */
static proto_item *draw_top(const cl_fields *f, const cl_result *r, const cl_diagnosis *diag, tvbuff_t *tvb,
                            packet_info *pinfo, proto_tree *tree)
{
    if (r->cause)
        col_append_sep_fstr(pinfo->cinfo, COL_INFO, " ", "[connlost: %s, %u%%]", cl_cause_slug(r->cause),
                            r->confidence);
    else if (r->withdrawn)
        col_append_sep_fstr(pinfo->cinfo, COL_INFO, " ", "[connlost: %s withdrawn]", cl_cause_slug(r->withdrawn));
    proto_item *top = proto_tree_add_item(tree, f->proto, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    if (r->cause)
        proto_item_append_text(top, ": %s (%u%%)", cl_cause_slug(r->cause), r->confidence);
    else if (diag)
        proto_item_append_text(top, " (conversation: %s, verdict in frame %u)", cl_cause_slug(diag->cause),
                               diag->verdict_frame);
    return top;
}

void cl_draw(const cl_result *r, const cl_diagnosis *diag, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    static const cl_result nothing = {.rst_min_delay = -1};
    const cl_fields *f = cl_fields_ids();
    if (!r)
        r = &nothing;
    uint32_t experts = r->experts | r->verdict_experts;
    proto_item *top = draw_top(f, r, diag, tvb, pinfo, tree);
    proto_tree *t = proto_item_add_subtree(top, f->ett);
    if (diag) { /* the conversation's verdict on each of its frames: known only after the first pass */
        GEN(proto_tree_add_string(t, f->hf.conv_cause, tvb, 0, 0, cl_cause_slug(diag->cause)));
        GEN(proto_tree_add_uint(t, f->hf.conv_confidence, tvb, 0, 0, diag->confidence));
        GEN(proto_tree_add_uint(t, f->hf.conv_verdict, tvb, 0, 0, diag->verdict_frame));
    }
    if (r->conv_id)
        GEN(proto_tree_add_uint(t, f->hf.conv, tvb, 0, 0, r->conv_id));
    if (r->copy_of)
        GEN(proto_tree_add_uint(t, f->hf.copy_of, tvb, 0, 0, r->copy_of));
    if (r->withdrawn) {
        GEN(proto_tree_add_string(t, f->hf.withdrawn, tvb, 0, 0, cl_cause_slug(r->withdrawn)));
        if (r->withdrawn_frame)
            GEN(proto_tree_add_uint(t, f->hf.withdrawn_frame, tvb, 0, 0, r->withdrawn_frame));
    }
    if (r->cause)
        draw_verdict(f, r, experts, tvb, pinfo, t);
    else if (experts & CL_EXP_FRAGMENT_LOST)
        expert_add_info_format(pinfo, top, ei(f, CL_EXPERT_FRAGMENT_LOST), "IP datagram(s) %s never arrived complete",
                               r->frag_lost_ids);
    if (r->has_dupack)
        draw_dupack(f, r, experts, tvb, pinfo, t);
    draw_numbers(f, r, experts, tvb, pinfo, t);
    draw_string(t, f->hf.keepalive, tvb, r->keepalive);
    if (r->frag_lost_ids)
        draw_frag_ids(f, r, tvb, t);
    draw_rst(f, r, experts, tvb, pinfo, t, top);
    if (r->note)
        draw_note(f, r, experts, tvb, pinfo, t);
    if (r->rpc)
        draw_rpc(f, r->rpc, experts, tvb, pinfo, t);
}
