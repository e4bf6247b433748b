/* The taps: the capture report and the stats tree.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "taps.h"

#include "table.h"

#include <stdio.h>
#include <string.h>

static int connlost_tap = -1;
static const cl_engine *(*current_engine)(void);

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
    char *text = cl_engine_report(current_engine(), rt->convs);
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
/* Each open tree keeps its own counts in its own nodes: two at once (-z connlost,tree twice, two Statistics
 * windows) count the same, and closing one leaves the other whole. */
#define NODE_CAUSES "Diagnosed conversations by cause"
#define NODE_ORIGINS "RSTs by origin"
#define NODE_MAPI "MAPI"

static void tree_init(stats_tree *st)
{
    stats_tree_create_node(st, NODE_CAUSES, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, NODE_ORIGINS, 0, STAT_DT_INT, TRUE);
    stats_tree_create_node(st, NODE_MAPI, 0, STAT_DT_INT, TRUE);
}

static void tree_cleanup(stats_tree *st _U_) {}

static tap_packet_status tree_packet(stats_tree *st, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                                     const void *result, tap_flags_t flags _U_)
{
    const cl_result *r = result;
    if (r->cause && r->first_verdict) { /* a conversation counts once, where its first verdict is shown */
        tick_stat_node(st, NODE_CAUSES, 0, FALSE);
        tick_stat_node(st, cl_cause_slug(r->cause), stats_tree_parent_id_by_name(st, NODE_CAUSES), FALSE);
    }
    if (r->cause && r->replaced && r->replaced != r->cause) { /* a deeper cause replaced the conversation's first one */
        int causes = stats_tree_parent_id_by_name(st, NODE_CAUSES);
        increase_stat_node(st, cl_cause_slug(r->replaced), causes, FALSE, -1);
        tick_stat_node(st, cl_cause_slug(r->cause), causes, FALSE);
    }
    if (r->withdrawn) { /* the tree shows what held */
        increase_stat_node(st, NODE_CAUSES, 0, FALSE, -1);
        increase_stat_node(st, cl_cause_slug(r->withdrawn), stats_tree_parent_id_by_name(st, NODE_CAUSES), FALSE, -1);
    }
    if (r->rst_origin) {
        tick_stat_node(st, NODE_ORIGINS, 0, FALSE);
        tick_stat_node(st, r->rst_origin, stats_tree_parent_id_by_name(st, NODE_ORIGINS), FALSE);
    }
    const cl_rpc_info *x = r->rpc;
    if (x && (x->has_sessions || x->leaked)) {
        int st_mapi = stats_tree_parent_id_by_name(st, NODE_MAPI);
        tick_stat_node(st, NODE_MAPI, 0, FALSE);
        if (x->has_sessions && x->mapi_op && !x->has_error && strstr(x->mapi_op, "Connect"))
            tick_stat_node(st, "logons", st_mapi, FALSE);
        if (x->has_error)
            tick_stat_node(st, "logons refused", st_mapi, FALSE);
        if (x->leaked)
            increase_stat_node(st, "sessions leaked", st_mapi, FALSE, (int)x->leaked);
    }
    return TAP_PACKET_REDRAW;
}

void cl_taps_queue(packet_info *pinfo, const cl_result *r)
{
    if (have_tap_listener(connlost_tap))
        tap_queue_packet(connlost_tap, pinfo, r);
}

void cl_taps_register(const cl_engine *(*engine)(void))
{
    current_engine = engine;
    connlost_tap = register_tap("connlost");
    static stat_tap_ui report_ui = {
        REGISTER_STAT_GROUP_GENERIC, "connlost report", "connlost,report", report_init, 0, NULL};
    register_stat_tap_ui(&report_ui, NULL);
    cl_table_register(engine);
    stats_tree_register_plugin("connlost", "connlost", "connlost" CL_STATS_MENU_SEPARATOR "Causes", 0, tree_packet,
                               tree_init, tree_cleanup);
}
