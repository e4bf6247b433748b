/* The symbols Wireshark looks for in a plugin; nothing else.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define WS_BUILD_DLL
#include "connlost.h"

#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const char plugin_version[] = PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);
#ifdef CL_HAVE_PLUGIN_DESCRIBE
WS_DLL_PUBLIC uint32_t plugin_describe(void);

uint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }
#endif

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = proto_register_connlost;
    plug.register_handoff = proto_reg_handoff_connlost;
    proto_register_plugin(&plug);
}
