/* connlost's registered fields, subtrees and expert infos: their ids, filled at registration.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_FIELDS_H
#define CONNLOST_FIELDS_H

#include "compat.h"
#include "engine.h"

/* The fields that are no number of the vocabulary: X(member, title, abbrev after "connlost.", type, base,
 * description). */
#define CL_FIELDS(X)                                                                                                   \
    X(cause, "Cause", "cause", FT_STRING, BASE_NONE,                                                                   \
      "Probable cause of the conversation's failure (pmtud-blackhole, fragment-loss, idle-reset, idle-drop, "          \
      "middlebox-reset, mapi-session-limit, peer-reset, retransmission-timeout, connect-timeout, connect-refused, "    \
      "connect-blocked, zero-window-stall); the last value on a conversation that no connlost.withdrawn of it "        \
      "follows is its verdict")                                                                                        \
    X(summary, "Summary", "summary", FT_STRING, BASE_NONE,                                                             \
      "The diagnosis in one sentence: evidence frames, numbers and remedy")                                            \
    X(confidence, "Confidence", "confidence", FT_UINT8, BASE_DEC, "How sure connlost is of the cause, 0-100")          \
    X(evidence, "Evidence", "evidence", FT_FRAMENUM, BASE_NONE, "Frames the verdict rests on")                         \
    X(conv_cause, "Conversation's cause", "conv.cause", FT_STRING, BASE_NONE,                                          \
      "The verdict of the conversation this frame belongs to, on every one of its frames; known after the first "      \
      "pass (tshark -2, the GUI), so a filter on it shows the whole story")                                            \
    X(conv_confidence, "Conversation's confidence", "conv.confidence", FT_UINT8, BASE_DEC,                             \
      "Confidence of that verdict, 0-100")                                                                             \
    X(conv_verdict, "Conversation's verdict frame", "conv.verdict", FT_FRAMENUM, BASE_NONE,                            \
      "The frame that carries the conversation's final verdict")                                                       \
    X(withdrawn, "Withdrawn cause", "withdrawn", FT_STRING, BASE_NONE,                                                 \
      "A cause this frame disproves (the stuck data acknowledged, the exchange found finished, ...): the "             \
      "conversation's verdict is its last connlost.cause that no later connlost.withdrawn of the same cause follows")  \
    X(withdrawn_frame, "Withdrawn from frame", "withdrawn.frame", FT_FRAMENUM, BASE_NONE,                              \
      "The frame that had shown the withdrawn cause")                                                                  \
    X(copy_of, "Copy of", "copy_of", FT_FRAMENUM, BASE_NONE,                                                           \
      "This frame repeats that one (the same IP ID, sequence numbers, flags and length: a SPAN port, two capture "     \
      "points merged): connlost analyses the packet once")                                                             \
    X(conv, "Conversation", "conv", FT_UINT32, BASE_DEC,                                                               \
      "connlost's number for the conversation this frame belongs to")                                                  \
    X(dupack_count, "Duplicate ACKs", "dupack.count", FT_UINT32, BASE_DEC,                                             \
      "Pure ACKs so far for the same sequence number while data is outstanding (window changes ignored)")              \
    X(dupack_first, "First duplicate ACK", "dupack.first", FT_FRAMENUM, BASE_NONE,                                     \
      "Frame of the first duplicate ACK of this chain")                                                                \
    X(frag_lost_ids, "Lost datagram IDs", "frag.lost_ids", FT_STRING, BASE_NONE,                                       \
      "IP IDs of the datagrams declared incomplete on this frame")                                                     \
    X(rst_origin, "RST origin", "rst.origin", FT_STRING, BASE_NONE,                                                    \
      "Who sent this RST: client (the SYN sender), server, middlebox (a device on the path forged it: its TTL "        \
      "differs from the endpoint's own packets, or it answered faster than the endpoint could) or unknown "            \
      "(the capture cannot tell)")                                                                                     \
    X(rst_ttl, "RST TTL", "rst.ttl", FT_UINT8, BASE_DEC, "IP TTL / hop limit of this RST")                             \
    X(rst_ttl_expected, "Endpoint TTL", "rst.ttl_expected", FT_UINT8, BASE_DEC,                                        \
      "TTL of the endpoint's own packets at this capture point that the RST matches (any of those it used on this "    \
      "connection), else of its latest: a genuine RST shares one of them")                                             \
    X(rst_answers, "RST answers", "rst.answers", FT_FRAMENUM, BASE_NONE,                                               \
      "The other side's packet this RST answers (its sequence number is that packet's ACK)")                           \
    X(rst_delay, "RST answer time", "rst.delay", FT_RELATIVE_TIME, BASE_NONE,                                          \
      "Time from the packet it answers to the RST, at this capture point")                                             \
    X(rst_min_delay, "Endpoint's fastest answer", "rst.min_delay", FT_RELATIVE_TIME, BASE_NONE,                        \
      "How fast the endpoint named in the RST answered the handshake, at this capture point; a RST answering "         \
      "in less than half of it came from closer by")                                                                   \
    X(keepalive, "Keep-alive", "keepalive", FT_STRING, BASE_NONE,                                                      \
      "probe: a TCP keep-alive (0 or 1 byte at the sequence number before the next); ack: its answer")                 \
    X(rpc_ptype, "RPC PDU type", "rpc.ptype", FT_STRING, BASE_NONE,                                                    \
      "DCE/RPC PDU type(s) that end in this frame (bind, bind_ack, request, response, fault, ...)")                    \
    X(rpc_interface, "RPC interface", "rpc.interface", FT_STRING, BASE_NONE,                                           \
      "Interface of the call (EMSMDB, AsyncEMSMDB, NSPI, RFR, EPM, ...), or those a bind proposes / its answer "       \
      "accepts; an unknown one by its UUID")                                                                           \
    X(rpc_interface_source, "Interface known from", "rpc.interface_source", FT_STRING, BASE_NONE,                      \
      "How connlost knows the interface: the bind in this connection, or, for a connection that began before the "     \
      "capture, an EPM answer or a bind on another connection to the same endpoint")                                   \
    X(rpc_bind_result, "Bind result", "rpc.bind_result", FT_STRING, BASE_NONE,                                         \
      "Result per presentation context of a bind_ack / alter_context_resp, or the bind_nak reason")                    \
    X(rpc_opnum, "Opnum", "rpc.opnum", FT_UINT16, BASE_DEC, "Operation number of the call")                            \
    X(rpc_op, "Operation", "rpc.op", FT_STRING, BASE_NONE, "Name of the operation, when known")                        \
    X(rpc_fault, "Fault status", "rpc.fault", FT_UINT32, BASE_HEX, "Status of a DCE/RPC fault PDU")                    \
    X(rpc_auth, "Authentication", "rpc.auth", FT_STRING, BASE_NONE,                                                    \
      "Authentication type and level of a bind, alter_context or auth3 (privacy: stubs are sealed)")                   \
    X(rpc_auth_user, "NTLM user", "rpc.auth_user", FT_STRING, BASE_NONE,                                               \
      "DOMAIN\\user of an NTLMSSP AUTHENTICATE message")                                                               \
    X(mapi_op, "MAPI operation", "mapi.op", FT_STRING, BASE_NONE,                                                      \
      "EMSMDB operation of this request or response (EcDoConnectEx, EcDoDisconnect, EcDoRpcExt2, ...)")                \
    X(mapi_user, "MAPI user", "mapi.user", FT_STRING, BASE_NONE,                                                       \
      "Whose session: the user DN of the logon, else the NTLM user of the binding, else the client address")           \
    X(mapi_sessions, "Sessions held", "mapi.sessions", FT_UINT32, BASE_DEC,                                            \
      "MAPI sessions the user holds after this frame: logons minus EcDoDisconnects (a connection that dies does "      \
      "not release its session)")                                                                                      \
    X(mapi_client_sessions, "Sessions held by the client", "mapi.client_sessions", FT_UINT32, BASE_DEC,                \
      "MAPI sessions all users of this client address hold after this frame")                                          \
    X(mapi_limit, "Session limit", "mapi.limit", FT_UINT32, BASE_DEC,                                                  \
      "Sessions per user the server allows (preference connlost.mapi_limit)")                                          \
    X(mapi_lower_bound, "Counts are lower bounds", "mapi.lower_bound", FT_BOOLEAN, BASE_NONE,                          \
      "Some EMSMDB connections began before the capture (or a table bound was reached): the server may hold "          \
      "more sessions than counted")                                                                                    \
    X(mapi_error, "MAPI error", "mapi.error", FT_UINT32, BASE_HEX,                                                     \
      "Return code of a refused logon (0x000004DE ecMaxObjsExceeded, 0x80040112 MAPI_E_SESSION_LIMIT, ...) or "        \
      "the fault status that answered it")                                                                             \
    X(mapi_leaked, "Sessions leaked", "mapi.leaked", FT_UINT32, BASE_DEC,                                              \
      "MAPI sessions left behind when this connection ended (RST or FIN) without EcDoDisconnect")                      \
    X(mapi_burst, "Logons in burst", "mapi.burst", FT_UINT32, BASE_DEC,                                                \
      "Logons from this client within the burst window (preferences mapi_burst_count, mapi_burst_s)")                  \
    X(note, "Note", "note", FT_STRING, BASE_NONE,                                                                      \
      "An observation that is not a fault (PMTUD at work, ICMP seen, a table bound reached)")

#define CL_FIELD_MEMBER(member, ...) int member;
typedef struct {
    int proto;
    int tap;
    int proto_expert; /* Wireshark's "_ws.expert", and its tap: who reads expert infos (draw.c) */
    int expert_tap;
    gint ett, ett_rpc;
    struct {
        CL_FIELDS(CL_FIELD_MEMBER)
    } hf;
    int number[CL_NUMBER_COUNT]; /* -1 for a number that is no field of its own */
    expert_field expert[CL_EXPERT_COUNT];
} cl_fields;
#undef CL_FIELD_MEMBER

/* The ids, filled by cl_fields_register(). */
const cl_fields *cl_fields_ids(void);
/* Registers the protocol, its fields, subtrees and expert infos; returns the protocol id. */
int cl_fields_register(void);
/* Once every protocol and tap is registered (at a capture file's init): the ids of Wireshark's expert protocol
 * and tap. */
void cl_fields_find_expert(void);

#endif
