/* Every difference between Wireshark 4.0 and 4.6 that connlost meets lives here.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_COMPAT_H
#define CONNLOST_COMPAT_H

#include <wireshark.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto_data.h>

/* 4.4 added an optional plugin_describe() (wsutil/plugins.h, not installed by 4.0's
 * wireshark-dev); 4.0 and 4.2 read the plugin type from its directory. */
#if defined(__has_include)
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h>
#endif
#endif
#ifdef WS_PLUGIN_DESC_DISSECTOR
#define CL_HAVE_PLUGIN_DESCRIBE 1
#endif

/* Unsigned preferences: guint up to 4.2, unsigned after; the same type on every platform we build. */
typedef guint cl_pref_uint;

#endif
