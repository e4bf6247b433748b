/* connlost analysis engine: pure C + GLib, no Wireshark header.
 *
 * The glue turns each dissected frame into a cl_packet and feeds it, in frame
 * order and only on the first pass, to cl_engine_feed(). The engine returns the
 * result to show on that frame (or NULL) and owns it until cl_engine_free().
 *
 * The engine is built in floors, each a library that includes only the ones below it:
 *   core/      packets, addresses, the bounded table, conversations and their endpoint trackers
 *   finding/   the vocabulary of findings (kinds.h), per-frame results, the finding builder, verdicts
 *   analysis/  one file per analysis, each a row of the registry
 *   engine.c   runs the registry over each frame; report.c writes the capture report
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_ENGINE_H
#define CONNLOST_ENGINE_H

#include "config.h"
#include "kinds.h"
#include "packet.h"
#include "result.h"
#include "verdict.h"

void cl_config_defaults(cl_config *cfg);
/* Every preference, the engine's own first, then each analysis's in registry order. */
void cl_config_each_pref(void (*visit)(const cl_pref *pref, void *data), void *data);

typedef struct cl_engine cl_engine;

cl_engine *cl_engine_new(const cl_config *cfg);
void cl_engine_free(cl_engine *eng);
const cl_result *cl_engine_feed(cl_engine *eng, const cl_packet *pkt);

/* After the first pass: the result cl_engine_feed gave the frame, NULL if none. */
const cl_result *cl_engine_result_at(cl_engine *eng, uint32_t frame);
/* After the first pass: the verdict of the conversation a frame belongs to (by its result's conversation
 * number, else by its TCP ports within the conversation's frames), NULL if it has none. */
const cl_diagnosis *cl_engine_diagnosis_for(const cl_engine *eng, const cl_packet *pkt, uint32_t conv_id);
/* The capture report: diagnosed conversations (most severe first), client/server pairs, MAPI users, causes.
 * `only` limits it to those conversation numbers (NULL: all). */
char *cl_engine_report(const cl_engine *eng, GHashTable *only);
/* Bytes the analysis state and the kept results hold now, as counted against max_state_mb and
 * max_results_mb. */
size_t cl_engine_state_bytes(const cl_engine *eng);
size_t cl_engine_result_bytes(const cl_engine *eng);
/* Whether every conversation is counted at what it holds now (for the tests). */
bool cl_engine_charges_exact(const cl_engine *eng);

/* The largest RFC 1191 MTU plateau in [above, below), else `above`. */
uint32_t cl_pmtu_plateau(uint32_t above, uint32_t below);

#endif
