/* The registry: every analysis, in data-flow order. Fragments are reassembled before any TCP analysis sees a
 * segment; sizes and acknowledgements (pmtu) come before the RST's origin (rst), which the set-up failures
 * (connect), idle gaps and the causes after them (idle) read; DCE/RPC (rpc) hands its calls to MAPI (mapi), which also
 * reads the RST's origin at the connection's end. SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "registry.h"

#define CL_DECLARE(name) extern const cl_analysis cl_analysis_##name;
CL_REGISTRY(CL_DECLARE)
#undef CL_DECLARE

#define CL_ROW(name) &cl_analysis_##name,
const cl_analysis *const cl_registry[] = {CL_REGISTRY(CL_ROW)};
#undef CL_ROW
const size_t cl_registry_len = G_N_ELEMENTS(cl_registry);
