/* Client/server pairs across the capture (pairs.c): the device idle timeout bracketed by the idle gaps
 * connections survived and died of, the keep-alive interval that would have kept them, and disconnects at a
 * regular interval.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_PAIRS_H
#define CONNLOST_PAIRS_H

#include "registry.h"

typedef struct cl_pairs cl_pairs;

cl_pairs *cl_pairs_new(cl_ctx *x);
void cl_pairs_free(cl_pairs *pairs);
/* After the conversation failed `gap` seconds into a silence (its first packet after it in `gap_frame`): the
 * pair's idle-timeout bracket, the device defaults that fit it and the keep-alive interval to use. Only a
 * failure that is surely the device's (`sure`) narrows the bracket. */
void cl_pairs_bracket(cl_pairs *pairs, const cl_conv *conv, double gap, uint32_t gap_frame, bool sure, cl_finding *f);
/* The peer acknowledged the first packet after the gap: connections of this pair survive that long. */
void cl_pairs_survived(cl_pairs *pairs, const cl_conv *conv, double gap, uint32_t gap_frame);
/* A failure after the gap in `gap_frame`, counted at `when`, was disproved: it no longer bounds the pair's idle
 * timeout nor counts toward its disconnects. */
void cl_pairs_failure_withdrawn(cl_pairs *pairs, const cl_conv *conv, uint32_t gap_frame, bool *counted, double when);
/* A lost connection counts once (`counted`) toward its pair's disconnect history, timed at its first failing
 * packet; several at a steady interval are a periodic disconnect, said in `f`. */
void cl_pairs_disconnect(cl_pairs *pairs, const cl_config *cfg, const cl_conv *conv, bool *counted, double when,
                         cl_finding *f);

#endif
