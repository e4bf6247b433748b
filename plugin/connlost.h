/* Registration entry points of the connlost protocol, called from plugin.c.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_H
#define CONNLOST_H

#include "compat.h"

void proto_register_connlost(void);
void proto_reg_handoff_connlost(void);

#endif
