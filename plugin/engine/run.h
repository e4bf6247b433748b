/* The engine's own state, shared by engine.c (running the registry) and report.c (the capture report).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_RUN_H
#define CONNLOST_RUN_H

#include "engine.h"
#include "registry.h"

#define CL_MAX_ANALYSES 16

/* The analyses that have one hook, in registry order, with what the hook needs: built once, so a frame runs
 * only the hooks that exist. Each row holds the function itself: one load less per call, a dozen calls a packet. */
#define CL_HOOK_LIST(hook)                                                                                             \
    struct {                                                                                                           \
        struct {                                                                                                       \
            typeof(((cl_analysis *)NULL)->hook) fn;                                                                    \
            void *state;                                                                                               \
            size_t slot;                                                                                               \
        } row[CL_MAX_ANALYSES];                                                                                        \
        unsigned n;                                                                                                    \
    } hook

struct cl_engine {
    cl_config cfg;
    cl_convs convs;
    cl_results results;
    cl_verdicts verdicts;
    GPtrArray *tables; /* every bounded table: the core's and the analyses' */
    cl_ctx x;          /* what the analyses work with; its frame is reset for each frame */
    void *state[CL_MAX_ANALYSES];
    size_t slot[CL_MAX_ANALYSES]; /* where each analysis's slot lies in a conversation */
    CL_HOOK_LIST(on_ip);
    CL_HOOK_LIST(on_icmp);
    CL_HOOK_LIST(on_tcp);
    CL_HOOK_LIST(after_tcp);
    CL_HOOK_LIST(side_reset);
    CL_HOOK_LIST(slot_free);
    CL_HOOK_LIST(slot_bytes);
    CL_HOOK_LIST(shed);
    size_t tables_bytes; /* what the entries of the tables counted against max_state_mb cost, kept by the tables */
    size_t kept_bytes;   /* what the analyses keep outside them, kept by the analyses (cl_ctx.kept_bytes) */
    double first_time;   /* the capture's first frame */
    double clock;        /* the previous frame's time */
    bool state_cap_said;
    uint64_t copies; /* capture duplicates of TCP packets, each analysed once */
};

#endif
