/* The post-dissector: feed the engine on the first pass, store each frame's result, and draw tree, expert
 * infos and column from it on every pass, so single-pass tshark, tshark -2 and the GUI show the same.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "connlost.h"

#include "draw.h"
#include "engine.h"
#include "extract.h"
#include "fields.h"
#include "prefs.h"
#include "taps.h"

static dissector_handle_t connlost_handle;
static cl_engine *engine; /* per capture file: made in init, freed in cleanup */

static const cl_engine *current_engine(void) { return engine; }

static int dissect_connlost(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    const cl_result *r;
    const cl_diagnosis *diag = NULL;
    int proto = cl_fields_ids()->proto;
    if (!engine)
        return 0;
    cl_packet pkt;
    if (!PINFO_FD_VISITED(pinfo)) {
        cl_extract(tvb, pinfo, &pkt);
        r = cl_engine_feed(engine, &pkt);
    } else {
        r = cl_engine_result_at(engine, pinfo->num); /* the engine keeps each frame's result for the later passes */
    }
    if (r)
        cl_taps_queue(pinfo, r);
    bool visited_tree = PINFO_FD_VISITED(pinfo) && tree;
    if (!r && !visited_tree)
        return 0;
    bool words = cl_draw_words_wanted(tree);
    /* after the first pass every frame of a diagnosed conversation shows its verdict in the tree, when read */
    if (visited_tree && words) {
        cl_extract(tvb, pinfo, &pkt);
        diag = cl_engine_diagnosis_for(engine, &pkt, r ? r->conv_id : 0);
    }
    if (!r && !diag)
        return 0;
    const char *caller = pinfo->current_proto; /* the helper protocol left it as the caller's */
    pinfo->current_proto = proto_get_protocol_short_name(find_protocol_by_id(proto));
    cl_draw(r, diag, tvb, pinfo, words ? tree : NULL, words);
    pinfo->current_proto = caller;
    return tvb_captured_length(tvb);
}

static void connlost_init(void)
{
    cl_fields_find_expert(); /* here: Wireshark registers its expert tap after the plugins' hand-off */
    cl_engine_free(engine);
    engine = NULL;
    if (!proto_is_protocol_enabled(find_protocol_by_id(cl_fields_ids()->proto)))
        return; /* disabled: costs nothing */
    engine = cl_engine_new(cl_prefs());
}

static void connlost_cleanup(void)
{
    cl_engine_free(engine);
    engine = NULL;
}

void proto_register_connlost(void)
{
    int proto = cl_fields_register();
    cl_prefs_register(proto);
    /* The post-dissector runs under a helper protocol of connlost (a "pino"): Wireshark then skips the layer
     * bookkeeping it does for every protocol on every frame (a list append, a map insert and lookups, about
     * 400 instructions), while --disable-protocol connlost still switches it off. The drawing names connlost
     * as the current protocol for its expert infos. */
    int proto_postdissector =
        proto_register_protocol_in_name_only("Connection Loss Diagnosis (post-dissector)", "connlost post-dissector",
                                             "connlost.postdissector", proto, FT_PROTOCOL);
    connlost_handle = create_dissector_handle(dissect_connlost, proto_postdissector);
    register_init_routine(connlost_init);
    register_cleanup_routine(connlost_cleanup);
    cl_taps_register(current_engine);
}

void proto_reg_handoff_connlost(void) { register_postdissector(connlost_handle); }
