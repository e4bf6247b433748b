/* The engine's own state, shared by engine.c (running the registry) and report.c (the capture report).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_RUN_H
#define CONNLOST_RUN_H

#include "engine.h"
#include "registry.h"

/* The registry's rows, by name: the engine calls their hooks directly. The rows are constants, so with link-time
 * optimisation each call is a direct call (no table of hooks to walk, and a hook that a row lacks costs nothing);
 * without it, a load and an indirect call as before. */
#define CL_DECLARE(name) extern const cl_analysis cl_analysis_##name;
CL_REGISTRY(CL_DECLARE)
#undef CL_DECLARE
#define CL_INDEX(name) CL_ANALYSIS_##name,
enum { CL_REGISTRY(CL_INDEX) CL_ANALYSIS_COUNT };
#undef CL_INDEX

struct cl_engine {
    cl_config cfg;
    cl_convs convs;
    cl_results results;
    cl_verdicts verdicts;
    GPtrArray *tables; /* every bounded table: the core's and the analyses' */
    cl_ctx x;          /* what the analyses work with; its frame is reset for each frame */
    void *state[CL_ANALYSIS_COUNT];
    size_t slot[CL_ANALYSIS_COUNT]; /* where each analysis's slot lies in a conversation */
    size_t tables_bytes; /* what the entries of the tables counted against max_state_mb cost, kept by the tables */
    size_t kept_bytes;   /* what the analyses keep outside them, kept by the analyses (cl_ctx.kept_bytes) */
    double first_time;   /* the capture's first frame */
    double clock;        /* the previous frame's time */
    bool state_cap_said;
    uint64_t copies; /* capture duplicates of TCP packets, each analysed once */
};

#endif
