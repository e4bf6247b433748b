/* What connlost reads of a frame: its captured bytes and link type, decoded by the engine.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_EXTRACT_H
#define CONNLOST_EXTRACT_H

#include "compat.h"
#include "engine.h"

/* Fill `pkt` from the frame being dissected (the post-dissector's top-level tvb). */
void cl_extract(tvbuff_t *tvb, packet_info *pinfo, cl_packet *pkt);

#endif
