/* The vocabulary of findings: every expert info, every cause of death and every number connlost can name,
 * each as one row of an X-macro table (as Wireshark's value_string.h does). The glue expands the same rows into
 * its field and expert registrations, so a new kind is one row here and the analysis that finds it.
 * No Wireshark header: groups and severities are the suffixes of Wireshark's PI_* names.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_KINDS_H
#define CONNLOST_KINDS_H

#include <stdint.h>

/* X(ID, abbrev after "connlost.", group, severity, blurb) */
#define CL_EXPERTS(X)                                                                                                  \
    X(PMTUD_BLACKHOLE, "pmtud_blackhole", SEQUENCE, WARN,                                                              \
      "Path-MTU black hole: big segments vanish, no ICMP fragmentation-needed arrives")                                \
    X(PMTUD_WORKING, "pmtud_working", PROTOCOL, NOTE, "Path-MTU discovery works: the sender shrank its packets")       \
    X(PMTUD_ICMP, "pmtud_icmp", PROTOCOL, CHAT, "ICMP packet too big for a tracked conversation")                      \
    X(FRAGMENT_LOST, "fragment_lost", REASSEMBLE, WARN, "IP datagrams whose fragments never all arrived")              \
    X(DUPACK_CHAIN, "dupack_chain", SEQUENCE, NOTE, "Chain of duplicate ACKs")                                         \
    X(LOW_CONFIDENCE, "low_confidence", ASSUMPTION, NOTE, "The verdict rests on thin evidence")                        \
    X(TABLE_FULL, "table_full", ASSUMPTION, WARN, "A connlost table bound was reached")                                \
    X(MIDDLEBOX_RESET, "middlebox_reset", SEQUENCE, WARN, "RST forged by a device on the path")                        \
    X(KEEPALIVE_MISSING, "keepalive_missing", SEQUENCE, WARN,                                                          \
      "No TCP keep-alive kept the connection through the device's idle timeout")                                       \
    X(KEEPALIVE_TOO_SPARSE, "keepalive_too_sparse", SEQUENCE, WARN,                                                    \
      "Keep-alives spaced wider than the device's idle timeout")                                                       \
    X(PERIODIC_DISCONNECT, "periodic_disconnect", SEQUENCE, WARN,                                                      \
      "Connections of one client and server are lost at a regular interval")                                           \
    X(RPC_BIND_REJECTED, "rpc_bind_rejected", RESPONSE_CODE, WARN,                                                     \
      "RPC bind rejected: bind_nak, or no presentation context accepted")                                              \
    X(MAPI_SESSION_LEAK, "mapi_session_leak", SEQUENCE, WARN,                                                          \
      "MAPI session leaked: its connection ended without EcDoDisconnect")                                              \
    X(MAPI_NEAR_LIMIT, "mapi_sessions_near_limit", RESPONSE_CODE, WARN,                                                \
      "A user holds nearly as many MAPI sessions as the server allows")                                                \
    X(MAPI_RECONNECT_BURST, "mapi_reconnect_burst", SEQUENCE, WARN, "Burst of MAPI logons from one client")            \
    X(MAPI_SESSION_LIMIT, "mapi_session_limit", RESPONSE_CODE, ERROR,                                                  \
      "Logon refused: the user holds the server's limit of MAPI sessions")                                             \
    X(VERDICT, "verdict", SEQUENCE, WARN, "Probable cause of the connection loss")                                     \
    X(CONNECT_TIMEOUT, "connect_timeout", SEQUENCE, WARN,                                                              \
      "Connection attempt timed out: its SYNs were never answered")                                                    \
    X(CONNECT_REFUSED, "connect_refused", RESPONSE_CODE, WARN,                                                         \
      "Connection refused by the server host: nothing listens on the port")                                            \
    X(CONNECT_BLOCKED, "connect_blocked", SECURITY, WARN,                                                              \
      "Connection attempt refused by a device on the path (a forged RST or an ICMP unreachable)")                      \
    X(ZERO_WINDOW_STALL, "zero_window_stall", SEQUENCE, WARN,                                                          \
      "The receiver stopped reading: its window stayed closed until a side gave up")                                   \
    X(ZERO_WINDOW, "zero_window", SEQUENCE, NOTE, "The receiver's window was closed for a while, then reopened")

/* Causes, the deepest explanation first: the row order IS the verdict's rank (and the report's order), so a
 * client RST after a black-hole stall stays a black hole. X(ID, slug, the expert the verdict is raised under,
 * what it is about: LOSS of an established connection, or SETUP of one that never got established) */
#define CL_CAUSES(X)                                                                                                   \
    X(PMTUD_BLACKHOLE, "pmtud-blackhole", PMTUD_BLACKHOLE, LOSS)                                                       \
    X(FRAGMENT_LOSS, "fragment-loss", FRAGMENT_LOST, LOSS)                                                             \
    X(MAPI_SESSION_LIMIT, "mapi-session-limit", MAPI_SESSION_LIMIT, LOSS)                                              \
    X(CONNECT_BLOCKED, "connect-blocked", CONNECT_BLOCKED, SETUP)                                                      \
    X(CONNECT_REFUSED, "connect-refused", CONNECT_REFUSED, SETUP)                                                      \
    X(CONNECT_TIMEOUT, "connect-timeout", CONNECT_TIMEOUT, SETUP)                                                      \
    X(ZERO_WINDOW_STALL, "zero-window-stall", ZERO_WINDOW_STALL, LOSS)                                                 \
    X(IDLE_RESET, "idle-reset", VERDICT, LOSS)                                                                         \
    X(IDLE_DROP, "idle-drop", VERDICT, LOSS)                                                                           \
    X(MIDDLEBOX_RESET, "middlebox-reset", VERDICT, LOSS)                                                               \
    X(RETRANSMISSION_TIMEOUT, "retransmission-timeout", VERDICT, LOSS)                                                 \
    X(PEER_RESET, "peer-reset", VERDICT, LOSS)

/* Numbers that go with a verdict or a frame; times in seconds. X(ID, member, C type, field type (a suffix of
 * Wireshark's FT_*, NONE: reported, not a field of its own), abbrev after "connlost.", title, description) */
#define CL_NUMBERS(X)                                                                                                  \
    X(PMTU, pmtu, uint32_t, UINT32, "pmtu", "Path MTU",                                                                \
      "Estimated path MTU in bytes: the ICMP next-hop MTU, else the likely value between the largest size "            \
      "that got through and the smallest always lost")                                                                 \
    X(LARGEST_ACKED, largest_acked, uint32_t, UINT32, "pmtu.largest_acked", "Largest size through",                    \
      "Largest IP packet of the sender that was acknowledged (or reached the capture point)")                          \
    X(SMALLEST_LOST, smallest_lost, uint32_t, UINT32, "pmtu.smallest_lost", "Smallest size lost",                      \
      "Smallest IP packet size that was sent again and again and never acknowledged")                                  \
    X(ICMP_FRAME, icmp_frame, uint32_t, FRAMENUM, "pmtu.icmp", "ICMP too big",                                         \
      "Frame of the ICMP fragmentation-needed / ICMPv6 packet-too-big about this conversation")                        \
    X(PMTUD_RECOVERED, pmtud_recovered, uint32_t, FRAMENUM, "pmtud.recovered", "Black hole recovered in",              \
      "The frame where the sender's data got through again in smaller packets after the black-hole stall (its "        \
      "black-hole detection: Windows PMTU black-hole detection, Linux tcp_mtu_probing)")                               \
    X(PMTUD_FALLBACK, pmtud_fallback, uint32_t, UINT32, "pmtud.fallback", "Fallback size",                             \
      "The IP packet size the sender fell back to, which got through")                                                 \
    X(PMTUD_STALL, pmtud_stall, double, RELATIVE_TIME, "pmtud.stall", "Black-hole stall",                              \
      "How long the sender's data was stuck before it got through in smaller packets")                                 \
    X(FRAG, frag_incomplete, uint32_t, UINT32, "frag.incomplete", "Incomplete datagrams",                              \
      "Datagrams of this conversation whose fragments never all arrived, so far")                                      \
    X(IDLE, idle, double, RELATIVE_TIME, "idle", "Idle gap",                                                           \
      "Silence in both directions, with nothing outstanding, before this packet; on a verdict, the silence "           \
      "before the packet that failed")                                                                                 \
    X(KEEPALIVE_INTERVAL, keepalive_interval, double, RELATIVE_TIME, "keepalive.interval", "Keep-alive interval",      \
      "Silence before this keep-alive; on a verdict, the widest seen in the conversation")                             \
    X(IDLE_TIMEOUT_MIN, idle_timeout_min, double, RELATIVE_TIME, "idle_timeout.min", "Idle timeout above",             \
      "Longest idle gap a connection of this client and server survived: the device's timeout is longer")              \
    X(IDLE_TIMEOUT_MAX, idle_timeout_max, double, RELATIVE_TIME, "idle_timeout.max", "Idle timeout at most",           \
      "Shortest idle gap after which a connection of this client and server failed")                                   \
    X(KEEPALIVE_RECOMMENDED, keepalive_recommended, double, RELATIVE_TIME, "keepalive.recommended",                    \
      "Recommended keep-alive",                                                                                        \
      "Keep-alive (or heartbeat) interval for the device: half the shortest fatal gap, or half the shortest "          \
      "common device default inside the idle-timeout bracket")                                                         \
    X(PERIOD, period, double, RELATIVE_TIME, "period", "Disconnect period",                                            \
      "Regular interval at which this client and server lose connections")                                             \
    X(PERIOD_COUNT, period_count, uint32_t, UINT32, "period.count", "Periodic disconnects",                            \
      "Lost connections of this client and server that show the period")                                               \
    X(RETRANS, retrans, uint32_t, UINT32, "retrans.unanswered", "Unanswered retransmissions",                          \
      "Retransmissions the sender made without hearing anything from its peer")                                        \
    X(SYNS, syns, uint32_t, UINT32, "connect.syns", "SYNs sent",                                                       \
      "SYNs of the connection attempt, retransmissions "                                                               \
      "included")                                                                                                      \
    X(CONNECT_TIME, connect_time, double, RELATIVE_TIME, "connect.duration", "Attempt lasted",                         \
      "From the first SYN to the refusal, or to when the client gave up (its last SYN plus the back-off it then "      \
      "waits: twice its last interval)")                                                                               \
    X(BLOCK_FRAME, block_frame, uint32_t, FRAMENUM, "connect.refusal", "Refused in",                                   \
      "The RST or ICMP unreachable that refused the attempt")                                                          \
    X(ZERO_WINDOW_DURATION, zero_window_duration, double, RELATIVE_TIME, "zero_window.duration", "Window closed for",  \
      "How long the receiver's window stayed closed (zero, or less than one segment): until it reopened, or until "    \
      "a side gave up")                                                                                                \
    X(ZERO_WINDOW_PROBES, zero_window_probes, uint32_t, UINT32, "zero_window.probes", "Zero-window probes",            \
      "Probes the sender sent into the closed window (Windows: one new byte; Linux: an empty segment one byte "        \
      "behind, which Wireshark calls a keep-alive; never a keep-alive to connlost)")                                   \
    X(SESSIONS, sessions, uint32_t, NONE, NULL, NULL, "MAPI sessions the user held")                                   \
    X(SESSION_LIMIT, session_limit, uint32_t, NONE, NULL, NULL, "The server's limit of MAPI sessions per user")

#define CL_ENUM_ROW(id, ...) CL_EXPERT_##id,
typedef enum { CL_EXPERTS(CL_ENUM_ROW) CL_EXPERT_COUNT } cl_expert;
#undef CL_ENUM_ROW
/* Expert infos a result carries, as a bit set: bit n is expert n. */
#define CL_BIT_ROW(id, ...) CL_EXP_##id = 1u << CL_EXPERT_##id,
enum { CL_EXPERTS(CL_BIT_ROW) };
#undef CL_BIT_ROW

/* 0 is no cause; the lower the number, the deeper the explanation. */
#define CL_ENUM_ROW(id, ...) CL_CAUSE_##id,
typedef enum { CL_CAUSE_NONE, CL_CAUSES(CL_ENUM_ROW) CL_CAUSE_COUNT } cl_cause;
#undef CL_ENUM_ROW

#define CL_ENUM_ROW(id, ...) CL_NUMBER_##id,
typedef enum { CL_NUMBERS(CL_ENUM_ROW) CL_NUMBER_COUNT } cl_number;
#undef CL_ENUM_ROW
/* Which numbers a cl_numbers carries, as a bit set. */
#define CL_BIT_ROW(id, ...) CL_HAS_##id = 1u << CL_NUMBER_##id,
enum { CL_NUMBERS(CL_BIT_ROW) };
#undef CL_BIT_ROW

#define CL_MEMBER_ROW(id, member, type, ...) type member;
typedef struct {
    uint32_t has; /* CL_HAS_* */
    CL_NUMBERS(CL_MEMBER_ROW)
} cl_numbers;
#undef CL_MEMBER_ROW

/* The cause's slug ("pmtud-blackhole"), NULL for none; the expert its verdict is raised under; whether it is
 * about setting a connection up (one that never got established) rather than losing one. */
const char *cl_cause_slug(cl_cause cause);
cl_expert cl_cause_expert(cl_cause cause);
int cl_cause_is_setup(cl_cause cause);

/* Copy the numbers `src` has into `dst`. */
void cl_numbers_merge(cl_numbers *dst, const cl_numbers *src);
/* The same numbers, with the same values. */
int cl_numbers_equal(const cl_numbers *a, const cl_numbers *b);

#endif
