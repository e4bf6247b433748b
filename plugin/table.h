/* Statistics > connlost > Diagnoses and -z connlost,diagnoses: the report's table in the GUI.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_TABLE_H
#define CONNLOST_TABLE_H

#include "compat.h"
#include "engine.h"

/* `engine` gives the capture's engine, whose diagnoses fill the rows. */
void cl_table_register(const cl_engine *(*engine)(void));

#endif
