/* connlost's preferences: one for every threshold and bound of the engine.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_PREFS_H
#define CONNLOST_PREFS_H

#include "compat.h"
#include "engine.h"

/* Registers every preference of the engine and its analyses under the protocol. */
void cl_prefs_register(int proto);
/* Their values as the user set them (the engine keeps them in range). */
const cl_config *cl_prefs(void);

#endif
