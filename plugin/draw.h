/* Drawing a frame's result: the connlost tree, expert infos and the Info column.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_DRAW_H
#define CONNLOST_DRAW_H

#include "fields.h"

/* Whether anyone reads connlost's words on this frame: a visible tree, a filter, column or tap on a connlost or
 * expert field, or the expert tap. Without them the Info column is written and the expert infos are counted, no
 * more. */
bool cl_draw_words_wanted(proto_tree *tree);
/* `r` is the frame's own result (may be NULL), `diag` its conversation's verdict after the first pass (may be
 * NULL); `words` as cl_draw_words_wanted() said, with `tree` NULL when false. */
void cl_draw(const cl_result *r, const cl_diagnosis *diag, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
             bool words);

#endif
