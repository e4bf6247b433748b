/* A side's data segments sent and not yet acknowledged, in sequence order (segments.c), for the path-MTU
 * analysis.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_SEGMENTS_H
#define CONNLOST_SEGMENTS_H

#include "registry.h"

/* A data segment sent and not yet acknowledged. */
typedef struct {
    uint32_t seq, len;
    uint32_t ip_len; /* size of its latest transmission */
    uint32_t sends;  /* transmissions at that size */
    GArray *frames;  /* their frames, once it is retransmitted (bounded) */
    uint32_t first_frame;
    uint32_t resent_ip_len; /* the smallest packet that carried some of its bytes again, cut differently; 0 if none */
    double first_time;      /* when it first left at this size */
    bool df;
    float resent_after; /* when that packet left, seconds after first_time */
} segment;

/* A side's segments in flight, in sequence order: a ring of `cap` (a power of two) slots. */
typedef struct {
    segment *buf;
    uint32_t head, count, cap;
} segments;

segment *cl_seg_at(const segments *q, uint32_t i);
/* Room for one more at the tail (new data leaves in sequence order). */
segment *cl_seg_push(segments *q);
/* The head was acknowledged. */
void cl_seg_pop(segments *q);
/* The segment that starts at `seq`, NULL if none. */
segment *cl_seg_find(const segments *q, uint32_t seq);
/* The index of the first segment that ends after `seq` (q->count if none). */
uint32_t cl_seg_index_after(const segments *q, uint32_t seq);
/* Frees the segments in flight, which only a live connection needs. */
void cl_segs_clear(segments *q);

#endif
