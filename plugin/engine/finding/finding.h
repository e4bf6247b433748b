/* What an analysis works with on one frame, and the finding builder: begin a finding of a cause, say what
 * the capture shows, name its evidence frames and numbers, then propose it as the conversation's verdict.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_FINDING_H
#define CONNLOST_FINDING_H

#include "result.h"
#include "verdict.h"

typedef struct {
    const cl_config *cfg;
    cl_convs *convs;
    cl_verdicts *verdicts;
    GPtrArray *tables;       /* every bounded table (cl_lru*): counted against max_state_mb, each says when full */
    bool table_full_pending; /* one of them reached its bound on this frame */
    cl_frame frame;          /* this frame's result */
    size_t *kept_bytes;      /* what the analyses keep outside conversations and tables, counted against
                                max_state_mb: each adds and subtracts as it keeps and drops */
} cl_ctx;

/* The frame's result, made on first use, tied to `conv` (may be NULL). */
static inline cl_result *cl_res(cl_ctx *x, const cl_conv *conv) { return cl_result_for(&x->frame, conv); }

struct cl_finding {
    cl_cause cause;
    uint8_t confidence;
    cl_text *summary; /* formatted when read (text.h) */
    GArray *evidence; /* uint32_t frames; 0 is no frame */
    cl_numbers num;   /* numbers that go with the verdict */
    uint32_t experts; /* CL_EXP_* of the finding */
};

/* A duration people read at a glance: "850 ms", "3.00 s", "42.5 s", "3650 s (1.0 h)". */
const char *cl_duration(double s, char *buf, size_t len);

void cl_finding_begin(cl_finding *f, cl_cause cause, uint8_t confidence);
void cl_finding_say(cl_finding *f, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* Says the frames, ", " between them. */
void cl_finding_say_frames(cl_finding *f, const GArray *frames);
void cl_finding_evidence(cl_finding *f, uint32_t frame); /* frame 0: nothing */
void cl_finding_evidence_frames(cl_finding *f, const GArray *frames);
/* Offers the finding as the conversation's verdict: it wins over a shallower cause or the same cause at most as
 * sure; a verdict that changes is shown on this frame. The finding is used up. */
void cl_finding_propose(cl_ctx *x, cl_conv *conv, cl_finding *f);

#endif
