/* An analysis is one row of the engine's registry (analysis/registry.c): what it is called, its preferences,
 * the per-conversation slot it keeps, and the hooks the engine calls, in the registry's order, for each frame.
 * An analysis reads the core (conversations, the endpoint trackers) and the finding layer, and what earlier
 * analyses published for this frame in cl_facts; it never calls another analysis.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_ANALYSIS_H
#define CONNLOST_ANALYSIS_H

#include "finding.h"

/* Who a RST came from, relative to the side whose address it carries. */
typedef enum { CL_RST_UNKNOWN, CL_RST_GENUINE, CL_RST_FORGED } cl_rst_origin;

/* What the engine and earlier analyses know of the current TCP packet. */
typedef struct {
    int from;             /* the side that sent it */
    bool ends;            /* it carries a RST or a FIN */
    bool first_end;       /* the first RST, or its side's first FIN: the verdict is shown there */
    cl_rst_origin origin; /* of a RST: published by the RST analysis */
} cl_facts;

struct cl_rpc_listener;

typedef struct cl_analysis cl_analysis;
struct cl_analysis {
    const char *name;
    const cl_pref *prefs; /* its preferences, ending with a NULL name */
    size_t slot_size;     /* bytes of per-conversation state, zeroed when the conversation is made */

    /* engine-wide state: made once per capture (`slot` is where its slot lies in each conversation), freed at
     * its end */
    void *(*init)(cl_ctx *x, size_t slot);
    void (*free)(void *state);
    /* over max_state_mb: drop the oldest of what it keeps outside conversations; false if nothing is left */
    bool (*shed)(void *state);

    /* a frame with an IP header, before its conversation is known: true when it is a fragment that completes a
     * TCP segment, which the engine then feeds as that segment (`whole`) */
    bool (*on_ip)(void *state, cl_ctx *x, const cl_packet *pkt, cl_packet *whole);
    /* an ICMP or ICMPv6 error that quotes a header */
    void (*on_icmp)(void *state, cl_ctx *x, const cl_packet *pkt);
    /* a TCP packet of `conv`, with the trackers as they were before it */
    void (*on_tcp)(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts);
    /* the same packet once every analysis saw it and the trackers were updated */
    void (*after_tcp)(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts);
    /* the packet restarts a side (a SYN with a new initial sequence number) */
    void (*side_reset)(void *slot, int side);
    void (*slot_free)(void *state, cl_conv *conv, void *slot);
    size_t (*slot_bytes)(const void *slot);
    /* its part of the capture report, after the per-pair summary; `only`: conversation numbers, NULL for all */
    void (*report)(const void *state, GString *out, GHashTable *only);

    /* publish/subscribe between analyses, wired by the engine at init: an analysis that listens to DCE/RPC
     * calls offers rpc_listener; the DCE/RPC analysis subscribes every other analysis that offers one */
    const struct cl_rpc_listener *rpc_listener;
    void (*subscribe)(void *state, const cl_analysis *other, void *other_state);
};

#endif
