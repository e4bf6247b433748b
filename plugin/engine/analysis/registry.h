/* The analyses, as rows of the registry in data-flow order (registry.c), and what every analysis file
 * includes.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_REGISTRY_H
#define CONNLOST_REGISTRY_H

#include "analysis.h"

/* Every analysis the engine runs, in the order it runs them: each row names the analysis `cl_analysis_NAME`. The
 * engine calls the rows' per-packet hooks by name from this list (run.h), cl_registry[] is made from it. */
#define CL_REGISTRY(X) X(frag) X(pmtu) X(rst) X(connect) X(zwin) X(idle) X(rpc) X(mapi)

/* Every analysis the engine runs, in the order it runs them. */
extern const cl_analysis *const cl_registry[];
extern const size_t cl_registry_len;

/* A bounded table of an analysis: counted against max_state_mb, and its table-full note said. */
static inline void cl_core_add_table(cl_ctx *x, cl_lru *table)
{
    table->alert = &x->table_full_pending;
    g_ptr_array_add(x->tables, table);
}

/* The largest RFC 1191 MTU plateau in [above, below), else `above` (pmtu.c). */
uint32_t cl_pmtu_plateau(uint32_t above, uint32_t below);

#endif
