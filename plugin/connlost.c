/* The post-dissector: feed the engine on the first pass, store each frame's
 * result, and draw tree, expert infos and column from it on every pass, so
 * single-pass tshark, tshark -2 and the GUI show the same.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "connlost.h"

#include "engine.h"
#include "extract.h"


static int proto_connlost = -1;
static dissector_handle_t connlost_handle;
static cl_engine *engine; /* per capture file: made in init, freed in cleanup */
static cl_config prefs_cfg;

static int hf_cause = -1;
static int hf_summary = -1;
static int hf_confidence = -1;
static int hf_evidence = -1;
static int hf_conv = -1;
static int hf_pmtu = -1;
static int hf_largest_acked = -1;
static int hf_smallest_lost = -1;
static int hf_icmp_frame = -1;
static int hf_dupack_count = -1;
static int hf_dupack_first = -1;
static int hf_frag_incomplete = -1;
static int hf_frag_lost_ids = -1;
static int hf_note = -1;
static int hf_rst_origin = -1;
static int hf_rst_ttl = -1;
static int hf_rst_ttl_expected = -1;
static int hf_rst_answers = -1;
static int hf_rst_delay = -1;
static int hf_rst_min_delay = -1;
static int hf_idle = -1;
static int hf_keepalive = -1;
static int hf_keepalive_interval = -1;
static int hf_keepalive_recommended = -1;
static int hf_idle_timeout_min = -1;
static int hf_idle_timeout_max = -1;
static int hf_period = -1;
static int hf_period_count = -1;
static int hf_retrans = -1;
static int hf_rpc_ptype = -1;
static int hf_rpc_interface = -1;
static int hf_rpc_interface_source = -1;
static int hf_rpc_bind_result = -1;
static int hf_rpc_opnum = -1;
static int hf_rpc_op = -1;
static int hf_rpc_fault = -1;
static int hf_rpc_auth = -1;
static int hf_rpc_auth_user = -1;
static int hf_mapi_op = -1;
static int hf_mapi_user = -1;
static int hf_mapi_sessions = -1;
static int hf_mapi_client_sessions = -1;
static int hf_mapi_limit = -1;
static int hf_mapi_lower_bound = -1;
static int hf_mapi_error = -1;
static int hf_mapi_leaked = -1;
static int hf_mapi_burst = -1;
static int hf_conv_cause = -1;
static int hf_conv_confidence = -1;
static int hf_conv_verdict = -1;
static int connlost_tap = -1;
static gint ett_connlost = -1;
static gint ett_rpc = -1;

static expert_field ei_pmtud_blackhole = EI_INIT;
static expert_field ei_pmtud_working = EI_INIT;
static expert_field ei_pmtud_icmp = EI_INIT;
static expert_field ei_fragment_lost = EI_INIT;
static expert_field ei_dupack_chain = EI_INIT;
static expert_field ei_low_confidence = EI_INIT;
static expert_field ei_table_full = EI_INIT;
static expert_field ei_cause = EI_INIT;
static expert_field ei_middlebox_reset = EI_INIT;
static expert_field ei_keepalive_missing = EI_INIT;
static expert_field ei_keepalive_too_sparse = EI_INIT;
static expert_field ei_periodic_disconnect = EI_INIT;
static expert_field ei_rpc_bind_rejected = EI_INIT;
static expert_field ei_mapi_session_leak = EI_INIT;
static expert_field ei_mapi_near_limit = EI_INIT;
static expert_field ei_mapi_reconnect_burst = EI_INIT;
static expert_field ei_mapi_session_limit = EI_INIT;

static proto_item *add_time(proto_tree *t, int hf, tvbuff_t *tvb, double seconds)
{
    nstime_t ns;
    ns.secs = (time_t)seconds;
    ns.nsecs = (int)((seconds - (double)ns.secs) * 1e9 + 0.5);
    if (ns.nsecs >= 1000000000)
        ns.secs++, ns.nsecs -= 1000000000;
    proto_item *pi = proto_tree_add_time(t, hf, tvb, 0, 0, &ns);
    proto_item_set_generated(pi);
    return pi;
}

#define GEN(expr) proto_item_set_generated(expr)

static void draw_rpc(const cl_rpc_info *x, uint32_t experts, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    proto_tree *t = proto_tree_add_subtree(tree, tvb, 0, 0, ett_rpc, NULL,
                                           x->mapi_op || x->mapi_user ? "DCE/RPC, MAPI" : "DCE/RPC");
    proto_item *pi;
    if (x->ptype)
        GEN(proto_tree_add_string(t, hf_rpc_ptype, tvb, 0, 0, x->ptype));
    if (x->interface)
        GEN(proto_tree_add_string(t, hf_rpc_interface, tvb, 0, 0, x->interface));
    if (x->interface_source) {
        const char *how = x->interface_source == CL_SOURCE_BIND ? "bind in frame %u"
                          : x->interface_source == CL_SOURCE_EPM
                              ? "no bind in the capture; endpoint known from the EPM "
                                "ept_map answer in frame %u"
                              : "no bind in the capture; endpoint known from the bind "
                                "acknowledged in frame %u";
        GEN(proto_tree_add_string(t, hf_rpc_interface_source, tvb, 0, 0,
                                  wmem_strdup_printf(pinfo->pool, how, x->source_frame)));
    }
    if (x->bind_result) {
        pi = proto_tree_add_string(t, hf_rpc_bind_result, tvb, 0, 0, x->bind_result);
        GEN(pi);
        if (experts & CL_EXP_RPC_BIND_REJECTED)
            expert_add_info_format(pinfo, pi, &ei_rpc_bind_rejected, "RPC bind rejected: %s", x->bind_result);
    } else if (experts & CL_EXP_RPC_BIND_REJECTED) {
        expert_add_info(pinfo, t, &ei_rpc_bind_rejected);
    }
    if (x->opnum >= 0)
        GEN(proto_tree_add_uint(t, hf_rpc_opnum, tvb, 0, 0, (uint32_t)x->opnum));
    if (x->op)
        GEN(proto_tree_add_string(t, hf_rpc_op, tvb, 0, 0, x->op));
    if (x->has_fault)
        GEN(proto_tree_add_uint(t, hf_rpc_fault, tvb, 0, 0, x->fault));
    if (x->auth)
        GEN(proto_tree_add_string(t, hf_rpc_auth, tvb, 0, 0, x->auth));
    if (x->auth_user)
        GEN(proto_tree_add_string(t, hf_rpc_auth_user, tvb, 0, 0, x->auth_user));
    if (x->mapi_op)
        GEN(proto_tree_add_string(t, hf_mapi_op, tvb, 0, 0, x->mapi_op));
    if (x->mapi_user)
        GEN(proto_tree_add_string(t, hf_mapi_user, tvb, 0, 0, x->mapi_user));
    if (x->has_error)
        GEN(proto_tree_add_uint(t, hf_mapi_error, tvb, 0, 0, x->error));
    if (x->has_sessions) {
        pi = proto_tree_add_uint(t, hf_mapi_sessions, tvb, 0, 0, x->sessions);
        GEN(pi);
        if (x->lower_bound)
            proto_item_append_text(pi, " (at least: the capture began after some connections)");
        GEN(proto_tree_add_uint(t, hf_mapi_client_sessions, tvb, 0, 0, x->client_sessions));
        GEN(proto_tree_add_uint(t, hf_mapi_limit, tvb, 0, 0, x->limit));
        GEN(proto_tree_add_boolean(t, hf_mapi_lower_bound, tvb, 0, 0, x->lower_bound));
        if (experts & CL_EXP_MAPI_NEAR_LIMIT)
            expert_add_info_format(pinfo, pi, &ei_mapi_near_limit,
                                   "%s holds %u of the %u MAPI sessions the server allows", x->mapi_user, x->sessions,
                                   x->limit);
    }
    if (x->leaked) {
        pi = proto_tree_add_uint(t, hf_mapi_leaked, tvb, 0, 0, x->leaked);
        GEN(pi);
        expert_add_info_format(pinfo, pi, &ei_mapi_session_leak,
                               "Connection ended without EcDoDisconnect: %u MAPI session(s) of %s left on the server",
                               x->leaked, x->mapi_user);
    }
    if (x->burst) {
        pi = proto_tree_add_uint(t, hf_mapi_burst, tvb, 0, 0, x->burst);
        GEN(pi);
        expert_add_info_format(pinfo, pi, &ei_mapi_reconnect_burst, "%u MAPI logons from this client in a burst",
                               x->burst);
    }
}

/* The conversation's verdict on each of its frames: known only after the first pass. */
static void draw_conv(const cl_diagnosis *d, tvbuff_t *tvb, proto_tree *t)
{
    GEN(proto_tree_add_string(t, hf_conv_cause, tvb, 0, 0, d->cause));
    GEN(proto_tree_add_uint(t, hf_conv_confidence, tvb, 0, 0, d->confidence));
    GEN(proto_tree_add_uint(t, hf_conv_verdict, tvb, 0, 0, d->verdict_frame));
}

static void draw(const cl_result *r, const cl_diagnosis *diag, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    static const cl_result nothing = {.rst_min_delay = -1};
    if (!r)
        r = &nothing;
    if (r->cause) {
        col_append_sep_fstr(pinfo->cinfo, COL_INFO, " ", "[connlost: %s, %u%%]", r->cause, r->confidence);
    }
    uint32_t experts = r->experts | r->verdict_experts;
    proto_item *top = proto_tree_add_item(tree, proto_connlost, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(top);
    if (r->cause)
        proto_item_append_text(top, ": %s (%u%%)", r->cause, r->confidence);
    else if (diag)
        proto_item_append_text(top, " (conversation: %s, verdict in frame %u)", diag->cause, diag->verdict_frame);
    proto_tree *t = proto_item_add_subtree(top, ett_connlost);
    proto_item *pi;
    if (diag)
        draw_conv(diag, tvb, t);

    if (r->conv_id)
        GEN(proto_tree_add_uint(t, hf_conv, tvb, 0, 0, r->conv_id));
    if (r->cause) {
        proto_item *cause = proto_tree_add_string(t, hf_cause, tvb, 0, 0, r->cause);
        GEN(cause);
        GEN(proto_tree_add_uint(t, hf_confidence, tvb, 0, 0, r->confidence));
        GEN(proto_tree_add_string(t, hf_summary, tvb, 0, 0, r->summary));
        for (unsigned i = 0; r->evidence && i < r->evidence->len; i++)
            GEN(proto_tree_add_uint(t, hf_evidence, tvb, 0, 0, g_array_index(r->evidence, uint32_t, i)));
        if (experts & CL_EXP_PMTUD_BLACKHOLE)
            expert_add_info_format(pinfo, cause, &ei_pmtud_blackhole, "%s", r->summary);
        else if (experts & CL_EXP_MAPI_SESSION_LIMIT)
            expert_add_info_format(pinfo, cause, &ei_mapi_session_limit, "%s", r->summary);
        else if (experts & CL_EXP_FRAGMENT_LOST)
            expert_add_info_format(pinfo, cause, &ei_fragment_lost, "%s", r->summary);
        else
            expert_add_info_format(pinfo, cause, &ei_cause, "%s", r->summary);
        if (experts & CL_EXP_LOW_CONFIDENCE)
            expert_add_info_format(pinfo, cause, &ei_low_confidence,
                                   "Low confidence (%u%%): the capture does not show enough to be sure", r->confidence);
    } else if (experts & CL_EXP_FRAGMENT_LOST) {
        expert_add_info_format(pinfo, top, &ei_fragment_lost, "IP datagram(s) %s never arrived complete",
                               r->frag_lost_ids);
    }
    cl_numbers shown; /* the frame's own numbers, the verdict's over them */
    memset(&shown, 0, sizeof(shown));
    cl_numbers_merge(&shown, &r->num);
    cl_numbers_merge(&shown, &r->verdict_num);
    const cl_numbers *n = &shown;
    if (n->has & CL_HAS_PMTU)
        GEN(proto_tree_add_uint(t, hf_pmtu, tvb, 0, 0, n->pmtu));
    if (n->has & CL_HAS_LARGEST_ACKED)
        GEN(proto_tree_add_uint(t, hf_largest_acked, tvb, 0, 0, n->largest_acked));
    if (n->has & CL_HAS_SMALLEST_LOST)
        GEN(proto_tree_add_uint(t, hf_smallest_lost, tvb, 0, 0, n->smallest_lost));
    if (n->has & CL_HAS_ICMP_FRAME)
        GEN(proto_tree_add_uint(t, hf_icmp_frame, tvb, 0, 0, n->icmp_frame));
    if (r->has_dupack) {
        pi = proto_tree_add_uint(t, hf_dupack_count, tvb, 0, 0, r->dupack_count);
        GEN(pi);
        GEN(proto_tree_add_uint(t, hf_dupack_first, tvb, 0, 0, r->dupack_first));
        if (experts & CL_EXP_DUPACK_CHAIN)
            expert_add_info_format(pinfo, pi, &ei_dupack_chain,
                                   "%u duplicate ACKs for the same sequence number since frame %u", r->dupack_count,
                                   r->dupack_first);
    }
    if (n->has & CL_HAS_FRAG)
        GEN(proto_tree_add_uint(t, hf_frag_incomplete, tvb, 0, 0, n->frag_incomplete));
    if (n->has & CL_HAS_IDLE)
        add_time(t, hf_idle, tvb, n->idle);
    if (r->keepalive)
        GEN(proto_tree_add_string(t, hf_keepalive, tvb, 0, 0, r->keepalive));
    if (n->has & CL_HAS_KEEPALIVE_INTERVAL) {
        pi = add_time(t, hf_keepalive_interval, tvb, n->keepalive_interval);
        if (experts & CL_EXP_KEEPALIVE_TOO_SPARSE)
            expert_add_info_format(pinfo, pi, &ei_keepalive_too_sparse,
                                   "Keep-alives %.3f s apart did not keep the connection through %.3f s of silence",
                                   n->keepalive_interval, n->idle);
    }
    if (n->has & CL_HAS_IDLE_TIMEOUT_MIN)
        add_time(t, hf_idle_timeout_min, tvb, n->idle_timeout_min);
    if (n->has & CL_HAS_IDLE_TIMEOUT_MAX)
        add_time(t, hf_idle_timeout_max, tvb, n->idle_timeout_max);
    if (n->has & CL_HAS_KEEPALIVE_RECOMMENDED) {
        pi = add_time(t, hf_keepalive_recommended, tvb, n->keepalive_recommended);
        if (experts & CL_EXP_KEEPALIVE_MISSING)
            expert_add_info_format(pinfo, pi, &ei_keepalive_missing,
                                   "No TCP keep-alive before the connection died after %.3f s of silence; send them "
                                   "every %.3f s or less",
                                   n->idle, n->keepalive_recommended);
    }
    if (n->has & CL_HAS_PERIOD) {
        pi = add_time(t, hf_period, tvb, n->period);
        GEN(proto_tree_add_uint(t, hf_period_count, tvb, 0, 0, n->period_count));
        expert_add_info_format(pinfo, pi, &ei_periodic_disconnect,
                               "%u connections of this client and server were lost, one every %.3f s", n->period_count,
                               n->period);
    }
    if (n->has & CL_HAS_RETRANS)
        GEN(proto_tree_add_uint(t, hf_retrans, tvb, 0, 0, n->retrans));
    if (r->frag_lost_ids) {
        pi = proto_tree_add_string(t, hf_frag_lost_ids, tvb, 0, 0, r->frag_lost_ids);
        GEN(pi);
        if (r->frag_lost_here > CL_MAX_IDS_SHOWN)
            proto_item_append_text(pi, " and %u more", r->frag_lost_here - CL_MAX_IDS_SHOWN);
    }
    if (r->rst_origin) {
        pi = proto_tree_add_string(t, hf_rst_origin, tvb, 0, 0, r->rst_origin);
        GEN(pi);
        GEN(proto_tree_add_uint(t, hf_rst_ttl, tvb, 0, 0, r->rst_ttl));
        if (r->rst_ttl_expected)
            GEN(proto_tree_add_uint(t, hf_rst_ttl_expected, tvb, 0, 0, r->rst_ttl_expected));
        if (r->rst_answers) {
            GEN(proto_tree_add_uint(t, hf_rst_answers, tvb, 0, 0, r->rst_answers));
            add_time(t, hf_rst_delay, tvb, r->rst_delay);
        }
        if (r->rst_min_delay >= 0)
            add_time(t, hf_rst_min_delay, tvb, r->rst_min_delay);
        if (experts & CL_EXP_MIDDLEBOX_RESET)
            expert_add_info_format(pinfo, pi, &ei_middlebox_reset, "RST forged by a device on the path");
    } else if (experts & CL_EXP_MIDDLEBOX_RESET) {
        expert_add_info_format(pinfo, top, &ei_middlebox_reset, "An earlier RST was forged by a device on the path");
    }
    if (r->note) {
        pi = proto_tree_add_string(t, hf_note, tvb, 0, 0, r->note);
        GEN(pi);
        if (experts & CL_EXP_PMTUD_WORKING)
            expert_add_info_format(pinfo, pi, &ei_pmtud_working, "%s", r->note);
        else if (experts & CL_EXP_PMTUD_ICMP)
            expert_add_info_format(pinfo, pi, &ei_pmtud_icmp, "%s", r->note);
        else if (experts & CL_EXP_TABLE_FULL)
            expert_add_info_format(pinfo, pi, &ei_table_full, "%s", r->note);
    }
    if (r->rpc)
        draw_rpc(r->rpc, experts, tvb, pinfo, t);
}
#undef GEN

static int dissect_connlost(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    const cl_result *r;
    const cl_diagnosis *diag = NULL;
    if (!engine)
        return 0;
    cl_packet pkt;
    if (!PINFO_FD_VISITED(pinfo)) {
        cl_extract(tvb, pinfo, &pkt);
        r = cl_engine_feed(engine, &pkt);
        if (r)
            p_add_proto_data(wmem_file_scope(), pinfo, proto_connlost, 0, (void *)r);
    } else {
        r = p_get_proto_data(wmem_file_scope(), pinfo, proto_connlost, 0);
        if (tree || r) { /* after the first pass every frame of a diagnosed conversation shows its verdict */
            cl_extract(tvb, pinfo, &pkt);
            diag = cl_engine_diagnosis_for(engine, &pkt, r ? r->conv_id : 0);
        }
    }
    if (r && have_tap_listener(connlost_tap))
        tap_queue_packet(connlost_tap, pinfo, r);
    if (!r && !diag)
        return 0;
    const char *caller = pinfo->current_proto; /* the helper protocol left it as the caller's */
    pinfo->current_proto = proto_get_protocol_short_name(find_protocol_by_id(proto_connlost));
    draw(r, diag, tvb, pinfo, tree);
    pinfo->current_proto = caller;
    return tvb_captured_length(tvb);
}

/* -z connlost,report[,FILTER]: the engine's report, limited to the conversations of the frames that pass
 * FILTER. */
typedef struct {
    GHashTable *convs; /* conversation numbers seen in frames passing the filter; NULL: no filter */
} report_tap;

static void report_reset(void *data)
{
    report_tap *rt = data;
    if (rt->convs)
        g_hash_table_remove_all(rt->convs);
}

static tap_packet_status report_packet(void *data, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *result,
                                       tap_flags_t flags _U_)
{
    report_tap *rt = data;
    const cl_result *r = result;
    if (rt->convs && r->conv_id)
        g_hash_table_add(rt->convs, GUINT_TO_POINTER(r->conv_id));
    return TAP_PACKET_DONT_REDRAW;
}

static void report_draw(void *data)
{
    report_tap *rt = data;
    char *text = cl_engine_report(engine, rt->convs);
    printf("\n%s", text);
    g_free(text);
}

static void report_finish(void *data)
{
    report_tap *rt = data;
    if (rt->convs)
        g_hash_table_destroy(rt->convs);
    g_free(rt);
}

static cl_tap_init_result report_init(const char *opt_arg, void *userdata _U_)
{
    const char *filter = NULL;
    static const char prefix[] = "connlost,report,";
    if (g_str_has_prefix(opt_arg, prefix) && opt_arg[sizeof(prefix) - 1])
        filter = opt_arg + sizeof(prefix) - 1;
    report_tap *rt = g_new0(report_tap, 1);
    if (filter)
        rt->convs = g_hash_table_new(g_direct_hash, g_direct_equal);
    GString *error = register_tap_listener("connlost", rt, filter, filter ? TL_REQUIRES_PROTO_TREE : 0, report_reset,
                                           report_packet, report_draw, report_finish);
    if (error) {
        fprintf(stderr, "connlost: -z connlost,report: %s\n", error->str);
        g_string_free(error, TRUE);
        report_finish(rt);
        exit(1);
    }
    CL_TAP_INIT_DONE;
}

/* -z connlost,tree and Statistics > connlost: conversations per cause (counted at their first verdict), RST
 * origins, MAPI events. */
static int st_causes = -1, st_origins = -1, st_mapi = -1;
static GHashTable *tree_counted; /* conversations already counted */

static void tree_init(stats_tree *st)
{
    st_causes = stats_tree_create_node(st, "Diagnosed conversations by cause", 0, STAT_DT_INT, TRUE);
    st_origins = stats_tree_create_node(st, "RSTs by origin", 0, STAT_DT_INT, TRUE);
    st_mapi = stats_tree_create_node(st, "MAPI", 0, STAT_DT_INT, TRUE);
    if (!tree_counted)
        tree_counted = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_remove_all(tree_counted);
}

static void tree_cleanup(stats_tree *st _U_)
{
    if (tree_counted)
        g_hash_table_destroy(tree_counted);
    tree_counted = NULL;
}

static tap_packet_status tree_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                                     const void *result, tap_flags_t flags _U_)
{
    const cl_result *r = result;
    if (r->cause && !g_hash_table_contains(tree_counted, GUINT_TO_POINTER(r->conv_id))) {
        g_hash_table_add(tree_counted, GUINT_TO_POINTER(r->conv_id));
        tick_stat_node(st, "Diagnosed conversations by cause", 0, FALSE);
        tick_stat_node(st, r->cause, st_causes, FALSE);
    }
    if (r->rst_origin) {
        tick_stat_node(st, "RSTs by origin", 0, FALSE);
        tick_stat_node(st, r->rst_origin, st_origins, FALSE);
    }
    const cl_rpc_info *x = r->rpc;
    if (x && (x->has_sessions || x->leaked)) {
        tick_stat_node(st, "MAPI", 0, FALSE);
        if (x->has_sessions && x->mapi_op && !x->has_error && strstr(x->mapi_op, "Connect"))
            tick_stat_node(st, "logons", st_mapi, FALSE);
        if (x->has_error)
            tick_stat_node(st, "logons refused", st_mapi, FALSE);
        if (x->leaked)
            increase_stat_node(st, "sessions leaked", st_mapi, FALSE, (int)x->leaked);
    }
    return TAP_PACKET_REDRAW;
}

static void connlost_init(void)
{
    cl_engine_free(engine);
    engine = NULL;
    if (!proto_is_protocol_enabled(find_protocol_by_id(proto_connlost)))
        return; /* disabled: costs nothing */
    engine = cl_engine_new(&prefs_cfg);
}

static void connlost_cleanup(void)
{
    cl_engine_free(engine);
    engine = NULL;
}

static void register_prefs(void)
{
    static const struct {
        const char *name, *title, *description;
        unsigned *value;
    } uint_prefs[] = {
        {"pmtud_min_sends", "Black hole: transmissions of one big segment",
         "A segment larger than any acknowledged one, sent this many times (DF set) and never acknowledged, "
         "is evidence of a path-MTU black hole",
         &prefs_cfg.pmtud_min_sends},
        {"pmtud_stall_ms", "Black hole: receiver-side stall (ms)",
         "Seen from the receiver, a gap of full-size segments left unfilled this long (ms) counts as a stall",
         &prefs_cfg.pmtud_stall_ms},
        {"dupack_chain", "Duplicate ACKs that form a chain",
         "Repeated pure ACKs for the same sequence number (counted by connlost, window changes ignored) "
         "that raise an expert info",
         &prefs_cfg.dupack_chain},
        {"frag_min_lost", "Fragment loss: incomplete datagrams",
         "Datagrams of one conversation that never arrive complete before fragment-loss is named as a cause",
         &prefs_cfg.frag_min_lost},
        {"frag_grace_ms", "Fragment loss: reorder grace (ms)",
         "A datagram still incomplete this long (ms) after a newer one of the same flow completed is lost",
         &prefs_cfg.frag_grace_ms},
        {"frag_timeout_s", "Fragment loss: reassembly timeout (s)",
         "A datagram still incomplete after this many seconds is lost (Linux 30, Windows 60)",
         &prefs_cfg.frag_timeout_s},
        {"max_conversations", "Most conversations tracked",
         "Bound on connlost's conversation table; the least recently active are forgotten beyond it",
         &prefs_cfg.max_conversations},
        {"max_segments", "Most unacknowledged segments tracked per direction",
         "Bound on the segments kept per direction while waiting for their acknowledgement", &prefs_cfg.max_segments},
        {"max_fragments", "Most incomplete datagrams tracked",
         "Bound on fragmented datagrams waiting for their remaining fragments", &prefs_cfg.max_fragments},
        {"idle_min_ms", "Idle gap (ms)",
         "A silence in both directions this long (ms), with nothing outstanding, is an idle gap whose next packet "
         "is watched for a reset or a drop",
         &prefs_cfg.idle_min_ms},
        {"drop_min_retrans", "Idle drop: unanswered retransmissions",
         "Retransmissions of the first packet after an idle gap, with no answer, that make it an idle-drop",
         &prefs_cfg.drop_min_retrans},
        {"rto_min_retrans", "Retransmission timeout: unanswered retransmissions",
         "Retransmissions with no answer before the sender's RST that make a retransmission-timeout",
         &prefs_cfg.rto_min_retrans},
        {"rst_ttl_tolerance", "RST origin: TTL tolerance (hops)",
         "How far a RST's TTL may differ from its endpoint's own packets and still be the endpoint's",
         &prefs_cfg.rst_ttl_tolerance},
        {"period_min_count", "Periodic disconnects: at least",
         "Lost connections of one client and server before a regular interval is reported (3 or more)",
         &prefs_cfg.period_min_count},
        {"period_jitter_pct", "Periodic disconnects: jitter (%)",
         "Largest spread of the intervals (standard deviation, % of their mean) still reported as periodic",
         &prefs_cfg.period_jitter_pct},
        {"max_pairs", "Most client/server pairs tracked",
         "Bound on the client/server pairs whose idle timeouts and disconnect times are kept", &prefs_cfg.max_pairs},
        {"reset_linger_s", "Reset conversations kept (s)",
         "A conversation ended by a RST is kept this long for the packets that cross the RST, then forgotten "
         "(one closed by both FINs is forgotten at once)",
         &prefs_cfg.reset_linger_s},
        {"mapi_limit", "MAPI sessions per user allowed",
         "Sessions the server allows one user (Exchange: 32, event 9646); a refused logon at this count is the cause "
         "mapi-session-limit",
         &prefs_cfg.mapi_limit},
        {"mapi_near_pct", "MAPI sessions: warn at (% of the limit)",
         "Sessions a user holds, in % of the limit, that raise the near-limit warning", &prefs_cfg.mapi_near_pct},
        {"mapi_burst_count", "MAPI reconnect burst: logons",
         "Logons (EcDoConnect/EcDoConnectEx) from one client within the burst window that make a reconnect burst",
         &prefs_cfg.mapi_burst_count},
        {"mapi_burst_s", "MAPI reconnect burst: window (s)", "Window for the reconnect burst, in seconds",
         &prefs_cfg.mapi_burst_s},
        {"max_mapi_sessions", "Most MAPI sessions tracked",
         "Bound on the MAPI sessions (and on the users and clients) connlost keeps; beyond it the oldest are "
         "forgotten and counts become lower bounds",
         &prefs_cfg.max_mapi_sessions},
        {"max_rpc_endpoints", "Most RPC endpoints learned",
         "Bound on the (address, port) endpoints learned from EPM answers and binds", &prefs_cfg.max_rpc_endpoints},
        {"max_state_mb", "Memory cap of the analysis state (MiB)",
         "Conversations (with their segments in flight and DCE/RPC buffers), incomplete datagrams and the other "
         "tables together stay below this; beyond it the least recently active conversations are forgotten",
         &prefs_cfg.max_state_mb},
        {"max_results_mb", "Memory cap of the results (MiB)",
         "Per-frame results, conversation verdicts for the report and their texts stay below this; beyond it later "
         "frames get no connlost fields (the frame that reached it says so)",
         &prefs_cfg.max_results_mb},
    };
    cl_config_defaults(&prefs_cfg);
    module_t *module = prefs_register_protocol(proto_connlost, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(uint_prefs); i++)
        prefs_register_uint_preference(module, uint_prefs[i].name, uint_prefs[i].title, uint_prefs[i].description, 10,
                                       (cl_pref_uint *)uint_prefs[i].value);
}

void proto_register_connlost(void)
{
    static hf_register_info hf[] = {
        {&hf_cause,
         {"Cause", "connlost.cause", FT_STRING, BASE_NONE, NULL, 0x0,
          "Probable cause of the conversation's failure (pmtud-blackhole, fragment-loss, idle-reset, idle-drop, "
          "middlebox-reset, mapi-session-limit, peer-reset, retransmission-timeout); the last value on a "
          "conversation is its verdict",
          HFILL}},
        {&hf_summary,
         {"Summary", "connlost.summary", FT_STRING, BASE_NONE, NULL, 0x0,
          "The diagnosis in one sentence: evidence frames, numbers and remedy", HFILL}},
        {&hf_confidence,
         {"Confidence", "connlost.confidence", FT_UINT8, BASE_DEC, NULL, 0x0,
          "How sure connlost is of the cause, 0-100", HFILL}},
        {&hf_evidence,
         {"Evidence", "connlost.evidence", FT_FRAMENUM, BASE_NONE, NULL, 0x0, "Frames the verdict rests on", HFILL}},
        {&hf_conv_cause,
         {"Conversation's cause", "connlost.conv.cause", FT_STRING, BASE_NONE, NULL, 0x0,
          "The verdict of the conversation this frame belongs to, on every one of its frames; known after the first "
          "pass (tshark -2, the GUI), so a filter on it shows the whole story",
          HFILL}},
        {&hf_conv_confidence,
         {"Conversation's confidence", "connlost.conv.confidence", FT_UINT8, BASE_DEC, NULL, 0x0,
          "Confidence of that verdict, 0-100", HFILL}},
        {&hf_conv_verdict,
         {"Conversation's verdict frame", "connlost.conv.verdict", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
          "The frame that carries the conversation's final verdict", HFILL}},
        {&hf_conv,
         {"Conversation", "connlost.conv", FT_UINT32, BASE_DEC, NULL, 0x0,
          "connlost's number for the conversation this frame belongs to", HFILL}},
        {&hf_pmtu,
         {"Path MTU", "connlost.pmtu", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Estimated path MTU in bytes: the ICMP next-hop MTU, else the likely value between the largest size "
          "that got through and the smallest always lost",
          HFILL}},
        {&hf_largest_acked,
         {"Largest size through", "connlost.pmtu.largest_acked", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Largest IP packet of the sender that was acknowledged (or reached the capture point)", HFILL}},
        {&hf_smallest_lost,
         {"Smallest size lost", "connlost.pmtu.smallest_lost", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Smallest IP packet size that was sent again and again and never acknowledged", HFILL}},
        {&hf_icmp_frame,
         {"ICMP too big", "connlost.pmtu.icmp", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
          "Frame of the ICMP fragmentation-needed / ICMPv6 packet-too-big about this conversation", HFILL}},
        {&hf_dupack_count,
         {"Duplicate ACKs", "connlost.dupack.count", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Pure ACKs so far for the same sequence number while data is outstanding (window changes ignored)", HFILL}},
        {&hf_dupack_first,
         {"First duplicate ACK", "connlost.dupack.first", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
          "Frame of the first duplicate ACK of this chain", HFILL}},
        {&hf_frag_incomplete,
         {"Incomplete datagrams", "connlost.frag.incomplete", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Datagrams of this conversation whose fragments never all arrived, so far", HFILL}},
        {&hf_frag_lost_ids,
         {"Lost datagram IDs", "connlost.frag.lost_ids", FT_STRING, BASE_NONE, NULL, 0x0,
          "IP IDs of the datagrams declared incomplete on this frame", HFILL}},
        {&hf_rst_origin,
         {"RST origin", "connlost.rst.origin", FT_STRING, BASE_NONE, NULL, 0x0,
          "Who sent this RST: client (the SYN sender), server, middlebox (a device on the path forged it: its TTL "
          "differs from the endpoint's own packets, or it answered faster than the endpoint could) or unknown "
          "(the capture cannot tell)",
          HFILL}},
        {&hf_rst_ttl,
         {"RST TTL", "connlost.rst.ttl", FT_UINT8, BASE_DEC, NULL, 0x0, "IP TTL / hop limit of this RST", HFILL}},
        {&hf_rst_ttl_expected,
         {"Endpoint TTL", "connlost.rst.ttl_expected", FT_UINT8, BASE_DEC, NULL, 0x0,
          "TTL of the endpoint's own latest packet at this capture point, which a genuine RST shares", HFILL}},
        {&hf_rst_answers,
         {"RST answers", "connlost.rst.answers", FT_FRAMENUM, BASE_NONE, NULL, 0x0,
          "The other side's packet this RST answers (its sequence number is that packet's ACK)", HFILL}},
        {&hf_rst_delay,
         {"RST answer time", "connlost.rst.delay", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Time from the packet it answers to the RST, at this capture point", HFILL}},
        {&hf_rst_min_delay,
         {"Endpoint's fastest answer", "connlost.rst.min_delay", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "How fast the endpoint named in the RST answered the handshake, at this capture point; a RST answering "
          "in less than half of it came from closer by",
          HFILL}},
        {&hf_idle,
         {"Idle gap", "connlost.idle", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Silence in both directions, with nothing outstanding, before this packet; on a verdict, the silence "
          "before the packet that failed",
          HFILL}},
        {&hf_keepalive,
         {"Keep-alive", "connlost.keepalive", FT_STRING, BASE_NONE, NULL, 0x0,
          "probe: a TCP keep-alive (0 or 1 byte at the sequence number before the next); ack: its answer", HFILL}},
        {&hf_keepalive_interval,
         {"Keep-alive interval", "connlost.keepalive.interval", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Silence before this keep-alive; on a verdict, the widest seen in the conversation", HFILL}},
        {&hf_keepalive_recommended,
         {"Recommended keep-alive", "connlost.keepalive.recommended", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Keep-alive (or heartbeat) interval for the device: half the shortest fatal gap, or half the shortest "
          "common device default inside the idle-timeout bracket",
          HFILL}},
        {&hf_idle_timeout_min,
         {"Idle timeout above", "connlost.idle_timeout.min", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Longest idle gap a connection of this client and server survived: the device's timeout is longer", HFILL}},
        {&hf_idle_timeout_max,
         {"Idle timeout at most", "connlost.idle_timeout.max", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Shortest idle gap after which a connection of this client and server failed", HFILL}},
        {&hf_period,
         {"Disconnect period", "connlost.period", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0,
          "Regular interval at which this client and server lose connections", HFILL}},
        {&hf_period_count,
         {"Periodic disconnects", "connlost.period.count", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Lost connections of this client and server that show the period", HFILL}},
        {&hf_retrans,
         {"Unanswered retransmissions", "connlost.retrans.unanswered", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Retransmissions the sender made without hearing anything from its peer", HFILL}},
        {&hf_rpc_ptype,
         {"RPC PDU type", "connlost.rpc.ptype", FT_STRING, BASE_NONE, NULL, 0x0,
          "DCE/RPC PDU type(s) that end in this frame (bind, bind_ack, request, response, fault, ...)", HFILL}},
        {&hf_rpc_interface,
         {"RPC interface", "connlost.rpc.interface", FT_STRING, BASE_NONE, NULL, 0x0,
          "Interface of the call (EMSMDB, AsyncEMSMDB, NSPI, RFR, EPM, ...), or those a bind proposes / its answer "
          "accepts; an unknown one by its UUID",
          HFILL}},
        {&hf_rpc_interface_source,
         {"Interface known from", "connlost.rpc.interface_source", FT_STRING, BASE_NONE, NULL, 0x0,
          "How connlost knows the interface: the bind in this connection, or, for a connection that began before the "
          "capture, an EPM answer or a bind on another connection to the same endpoint",
          HFILL}},
        {&hf_rpc_bind_result,
         {"Bind result", "connlost.rpc.bind_result", FT_STRING, BASE_NONE, NULL, 0x0,
          "Result per presentation context of a bind_ack / alter_context_resp, or the bind_nak reason", HFILL}},
        {&hf_rpc_opnum,
         {"Opnum", "connlost.rpc.opnum", FT_UINT16, BASE_DEC, NULL, 0x0, "Operation number of the call", HFILL}},
        {&hf_rpc_op,
         {"Operation", "connlost.rpc.op", FT_STRING, BASE_NONE, NULL, 0x0, "Name of the operation, when known", HFILL}},
        {&hf_rpc_fault,
         {"Fault status", "connlost.rpc.fault", FT_UINT32, BASE_HEX, NULL, 0x0, "Status of a DCE/RPC fault PDU",
          HFILL}},
        {&hf_rpc_auth,
         {"Authentication", "connlost.rpc.auth", FT_STRING, BASE_NONE, NULL, 0x0,
          "Authentication type and level of a bind, alter_context or auth3 (privacy: stubs are sealed)", HFILL}},
        {&hf_rpc_auth_user,
         {"NTLM user", "connlost.rpc.auth_user", FT_STRING, BASE_NONE, NULL, 0x0,
          "DOMAIN\\user of an NTLMSSP AUTHENTICATE message", HFILL}},
        {&hf_mapi_op,
         {"MAPI operation", "connlost.mapi.op", FT_STRING, BASE_NONE, NULL, 0x0,
          "EMSMDB operation of this request or response (EcDoConnectEx, EcDoDisconnect, EcDoRpcExt2, ...)", HFILL}},
        {&hf_mapi_user,
         {"MAPI user", "connlost.mapi.user", FT_STRING, BASE_NONE, NULL, 0x0,
          "Whose session: the user DN of the logon, else the NTLM user of the binding, else the client address",
          HFILL}},
        {&hf_mapi_sessions,
         {"Sessions held", "connlost.mapi.sessions", FT_UINT32, BASE_DEC, NULL, 0x0,
          "MAPI sessions the user holds after this frame: logons minus EcDoDisconnects (a connection that dies does "
          "not release its session)",
          HFILL}},
        {&hf_mapi_client_sessions,
         {"Sessions held by the client", "connlost.mapi.client_sessions", FT_UINT32, BASE_DEC, NULL, 0x0,
          "MAPI sessions all users of this client address hold after this frame", HFILL}},
        {&hf_mapi_limit,
         {"Session limit", "connlost.mapi.limit", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Sessions per user the server allows (preference connlost.mapi_limit)", HFILL}},
        {&hf_mapi_lower_bound,
         {"Counts are lower bounds", "connlost.mapi.lower_bound", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
          "Some EMSMDB connections began before the capture (or a table bound was reached): the server may hold "
          "more sessions than counted",
          HFILL}},
        {&hf_mapi_error,
         {"MAPI error", "connlost.mapi.error", FT_UINT32, BASE_HEX, NULL, 0x0,
          "Return code of a refused logon (0x000004DE ecMaxObjsExceeded, 0x80040112 MAPI_E_SESSION_LIMIT, ...) or "
          "the fault status that answered it",
          HFILL}},
        {&hf_mapi_leaked,
         {"Sessions leaked", "connlost.mapi.leaked", FT_UINT32, BASE_DEC, NULL, 0x0,
          "MAPI sessions left behind when this connection ended (RST or FIN) without EcDoDisconnect", HFILL}},
        {&hf_mapi_burst,
         {"Logons in burst", "connlost.mapi.burst", FT_UINT32, BASE_DEC, NULL, 0x0,
          "Logons from this client within the burst window (preferences mapi_burst_count, mapi_burst_s)", HFILL}},
        {&hf_note,
         {"Note", "connlost.note", FT_STRING, BASE_NONE, NULL, 0x0,
          "An observation that is not a fault (PMTUD at work, ICMP seen, a table bound reached)", HFILL}},
    };
    static gint *ett[] = {&ett_connlost, &ett_rpc};
    static ei_register_info ei[] = {
        {&ei_pmtud_blackhole,
         {"connlost.pmtud_blackhole", PI_SEQUENCE, PI_WARN,
          "Path-MTU black hole: big segments vanish, no ICMP fragmentation-needed arrives", EXPFILL}},
        {&ei_pmtud_working,
         {"connlost.pmtud_working", PI_PROTOCOL, PI_NOTE, "Path-MTU discovery works: the sender shrank its packets",
          EXPFILL}},
        {&ei_pmtud_icmp,
         {"connlost.pmtud_icmp", PI_PROTOCOL, PI_CHAT, "ICMP packet too big for a tracked conversation", EXPFILL}},
        {&ei_fragment_lost,
         {"connlost.fragment_lost", PI_REASSEMBLE, PI_WARN, "IP datagrams whose fragments never all arrived", EXPFILL}},
        {&ei_dupack_chain, {"connlost.dupack_chain", PI_SEQUENCE, PI_NOTE, "Chain of duplicate ACKs", EXPFILL}},
        {&ei_low_confidence,
         {"connlost.low_confidence", PI_ASSUMPTION, PI_NOTE, "The verdict rests on thin evidence", EXPFILL}},
        {&ei_table_full,
         {"connlost.table_full", PI_ASSUMPTION, PI_WARN, "A connlost table bound was reached", EXPFILL}},
        {&ei_middlebox_reset,
         {"connlost.middlebox_reset", PI_SEQUENCE, PI_WARN, "RST forged by a device on the path", EXPFILL}},
        {&ei_keepalive_missing,
         {"connlost.keepalive_missing", PI_SEQUENCE, PI_WARN,
          "No TCP keep-alive kept the connection through the device's idle timeout", EXPFILL}},
        {&ei_keepalive_too_sparse,
         {"connlost.keepalive_too_sparse", PI_SEQUENCE, PI_WARN,
          "Keep-alives spaced wider than the device's idle timeout", EXPFILL}},
        {&ei_periodic_disconnect,
         {"connlost.periodic_disconnect", PI_SEQUENCE, PI_WARN,
          "Connections of one client and server are lost at a regular interval", EXPFILL}},
        {&ei_rpc_bind_rejected,
         {"connlost.rpc_bind_rejected", PI_RESPONSE_CODE, PI_WARN,
          "RPC bind rejected: bind_nak, or no presentation context accepted", EXPFILL}},
        {&ei_mapi_session_leak,
         {"connlost.mapi_session_leak", PI_SEQUENCE, PI_WARN,
          "MAPI session leaked: its connection ended without EcDoDisconnect", EXPFILL}},
        {&ei_mapi_near_limit,
         {"connlost.mapi_sessions_near_limit", PI_RESPONSE_CODE, PI_WARN,
          "A user holds nearly as many MAPI sessions as the server allows", EXPFILL}},
        {&ei_mapi_reconnect_burst,
         {"connlost.mapi_reconnect_burst", PI_SEQUENCE, PI_WARN, "Burst of MAPI logons from one client", EXPFILL}},
        {&ei_mapi_session_limit,
         {"connlost.mapi_session_limit", PI_RESPONSE_CODE, PI_ERROR,
          "Logon refused: the user holds the server's limit of MAPI sessions", EXPFILL}},
        {&ei_cause, {"connlost.verdict", PI_SEQUENCE, PI_WARN, "Probable cause of the connection loss", EXPFILL}},
    };

    proto_connlost = proto_register_protocol("Connection Loss Diagnosis", "connlost", "connlost");
    proto_register_field_array(proto_connlost, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert_register_protocol(proto_connlost), ei, array_length(ei));
    register_prefs();
    /* The post-dissector runs under a helper protocol of connlost (a "pino"): Wireshark then skips the layer
     * bookkeeping it does for every protocol on every frame (a list append, a map insert and lookups, about
     * 400 instructions), while --disable-protocol connlost still switches it off. draw() names connlost as
     * the current protocol for its expert infos. */
    int proto_postdissector =
        proto_register_protocol_in_name_only("Connection Loss Diagnosis (post-dissector)", "connlost post-dissector",
                                             "connlost.postdissector", proto_connlost, FT_PROTOCOL);
    connlost_handle = create_dissector_handle(dissect_connlost, proto_postdissector);
    register_init_routine(connlost_init);
    register_cleanup_routine(connlost_cleanup);
    connlost_tap = register_tap("connlost");
    static stat_tap_ui report_ui = {
        REGISTER_STAT_GROUP_GENERIC, "connlost report", "connlost,report", report_init, 0, NULL};
    register_stat_tap_ui(&report_ui, NULL);
    stats_tree_register("connlost", "connlost", "connlost" CL_STATS_MENU_SEPARATOR "Causes", 0, tree_packet, tree_init, tree_cleanup);
}

void proto_reg_handoff_connlost(void) { register_postdissector(connlost_handle); }
