/* Drawing a frame's result: the connlost tree, expert infos and the Info column.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_DRAW_H
#define CONNLOST_DRAW_H

#include "fields.h"

/* `r` is the frame's own result (may be NULL), `diag` its conversation's verdict after the first pass (may be
 * NULL). */
void cl_draw(const cl_result *r, const cl_diagnosis *diag, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree);

#endif
