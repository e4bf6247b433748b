/* The fields connlost reads from other dissectors, and their extraction into a cl_packet.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_FIELDS_H
#define CONNLOST_FIELDS_H

#include "compat.h"
#include "engine.h"

/* Resolve field names to ids (at handoff, when every dissector has registered). */
void cl_fields_resolve(void);
/* The ids to prime on the first pass; a new array the caller hands to Wireshark. */
GArray *cl_fields_wanted(void);
/* Fill `pkt` from the primed tree of the frame being dissected. */
void cl_fields_extract(proto_tree *tree, packet_info *pinfo, cl_packet *pkt);

#endif
