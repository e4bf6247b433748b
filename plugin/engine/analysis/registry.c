/* The registry: every analysis, in data-flow order. Fragments are reassembled before any TCP analysis sees a
 * segment; sizes and acknowledgements (pmtu) come before the RST's origin (rst), which the set-up failures
 * (connect), idle gaps and the causes after them (idle) read; DCE/RPC (rpc) hands its calls to MAPI (mapi), which also
 * reads the RST's origin at the connection's end. SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "registry.h"

extern const cl_analysis cl_analysis_frag, cl_analysis_pmtu, cl_analysis_rst, cl_analysis_connect, cl_analysis_zwin,
    cl_analysis_idle, cl_analysis_rpc, cl_analysis_mapi;

const cl_analysis *const cl_registry[] = {
    &cl_analysis_frag, &cl_analysis_pmtu, &cl_analysis_rst, &cl_analysis_connect,
    &cl_analysis_zwin, &cl_analysis_idle, &cl_analysis_rpc, &cl_analysis_mapi,
};
const size_t cl_registry_len = G_N_ELEMENTS(cl_registry);
