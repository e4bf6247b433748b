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
#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>

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

/* 4.6 made a stat_tap_ui's init callback (epan/stat_tap_ui.h stat_tap_init_cb) return bool: whether the tap
 * could start. A void callback built against 4.6 leaves garbage in the return register and tshark exits 1. */
#define CL_WS_AT_LEAST(major, minor)                                                                                   \
    (WIRESHARK_VERSION_MAJOR > (major) || (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))
#if CL_WS_AT_LEAST(4, 6)
typedef bool cl_tap_init_result;
#define CL_TAP_INIT_DONE return true
#else
typedef void cl_tap_init_result;
#define CL_TAP_INIT_DONE return
#endif

/* 4.4 separates stats_tree submenus with "//" (epan/stats_tree.h STATS_TREE_MENU_SEPARATOR); a single "/" is
 * then part of the name. */
#ifdef STATS_TREE_MENU_SEPARATOR
#define CL_STATS_MENU_SEPARATOR STATS_TREE_MENU_SEPARATOR
#else
#define CL_STATS_MENU_SEPARATOR "/"
#endif

/* Unsigned preferences: guint up to 4.2, unsigned after; the same type on every platform we build. */
typedef guint cl_pref_uint;

#endif
