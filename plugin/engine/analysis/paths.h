/* Paths across the capture (paths.c): what one conversation proved about the path between two addresses (the
 * largest packet that got through, a black hole and the conversation that proved it), kept for the others.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_PATHS_H
#define CONNLOST_PATHS_H

#include "registry.h"

typedef struct cl_paths cl_paths;

/* What the capture proved about the path between two addresses, in IP packet sizes, either direction. */
typedef struct {
    uint32_t largest_through; /* the largest packet that got through, 0 if none */
    uint32_t smallest_lost;   /* a black hole: the smallest size lost again and again, 0 if none proved */
    uint32_t proof_conv;      /* the conversation that proved it, its frame, and the sender of the lost size */
    uint32_t proof_frame;
    cl_addr proof_sender;
} cl_path;

cl_paths *cl_paths_new(cl_ctx *x);
void cl_paths_free(cl_paths *paths);
/* The path of the conversation, NULL if nothing is known of it. */
const cl_path *cl_paths_of(const cl_paths *paths, const cl_conv *conv);
/* A packet of `ip_len` bytes got through between the conversation's addresses: a black hole proved at that size
 * or below did not hold. */
void cl_paths_through(cl_paths *paths, const cl_conv *conv, uint32_t ip_len);
/* The conversation proved a black hole: `sender`'s packets of `smallest_lost` bytes vanish (frame: the proof). */
void cl_paths_black_hole(cl_paths *paths, const cl_conv *conv, int sender, uint32_t smallest_lost, uint32_t frame);
/* The conversation's black hole was disproved: the path forgets it if it rested on it. */
void cl_paths_disproved(cl_paths *paths, const cl_conv *conv);

#endif
