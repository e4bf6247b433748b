/* connlost's taps: the capture report (-z connlost,report[,FILTER]) and the stats tree (-z connlost,tree,
 * Statistics > connlost).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_TAPS_H
#define CONNLOST_TAPS_H

#include "compat.h"
#include "engine.h"

/* `engine` gives the capture's engine when the report is drawn. */
void cl_taps_register(const cl_engine *(*engine)(void));
/* Hands a frame's result to the taps listening. */
void cl_taps_queue(packet_info *pinfo, const cl_result *r);

#endif
