/* Preferences: one loop over the engine's and every analysis's preference table.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "prefs.h"

static cl_config values; /* Wireshark writes preferences in place */

const cl_config *cl_prefs(void) { return &values; }

static void register_one(const cl_pref *p, void *module)
{
    prefs_register_uint_preference(module, p->name, p->title, p->description, 10,
                                   (cl_pref_uint *)cl_pref_field(&values, p));
}

void cl_prefs_register(int proto)
{
    cl_config_defaults(&values);
    module_t *module = prefs_register_protocol(proto, NULL);
    cl_config_each_pref(register_one, module);
}
