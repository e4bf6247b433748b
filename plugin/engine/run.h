/* The engine's own state, shared by engine.c (running the registry) and report.c (the capture report).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_RUN_H
#define CONNLOST_RUN_H

#include "engine.h"
#include "registry.h"

#define CL_MAX_ANALYSES 16

struct cl_engine {
    cl_config cfg;
    cl_convs convs;
    cl_results results;
    cl_verdicts verdicts;
    GPtrArray *tables; /* every bounded table: the core's and the analyses' */
    cl_ctx x;          /* what the analyses work with; its frame is reset for each frame */
    void *state[CL_MAX_ANALYSES];
    size_t slot[CL_MAX_ANALYSES]; /* where each analysis's slot lies in a conversation */
    double first_time;            /* the capture's first frame */
    bool state_cap_said;
};

#endif
