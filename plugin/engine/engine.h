/* connlost analysis engine: pure C + GLib, no Wireshark header.
 *
 * The glue turns each dissected frame into a cl_packet and feeds it, in frame
 * order and only on the first pass, to cl_engine_feed(). The engine returns the
 * result to show on that frame (or NULL) and owns it until cl_engine_free().
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_ENGINE_H
#define CONNLOST_ENGINE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint8_t family; /* 0 = none, 4 or 6 */
    uint8_t bytes[16];
} cl_addr;

enum {
    CL_TCP_FIN = 0x01,
    CL_TCP_SYN = 0x02,
    CL_TCP_RST = 0x04,
    CL_TCP_PSH = 0x08,
    CL_TCP_ACK = 0x10,
};

/* The IP header a transport or fragment belongs to. */
typedef struct {
    cl_addr src, dst;
    uint8_t proto; /* IP protocol / IPv6 upper-layer next header */
    uint8_t ttl;
    bool df;
    bool is_fragment; /* MF set or offset > 0 */
    bool more_fragments;
    uint32_t frag_offset; /* bytes */
    uint32_t id;          /* IPv4 ID or IPv6 fragment identification */
    uint32_t total_len;   /* IPv4 total length, IPv6 payload length + 40 */
    uint32_t payload_len; /* bytes after the IP header(s) in this packet */
} cl_ip;

/* One frame, as cl_decode() read it from the captured bytes. Absent parts are zero/false. */
typedef struct {
    uint32_t frame;
    double time; /* seconds, absolute */

    bool has_ip;
    cl_ip ip; /* the outer (delivering) header */

    bool has_tcp, has_udp;
    uint16_t sport, dport; /* of TCP/UDP, or of the first fragment's bytes */
    uint8_t tcp_flags;
    uint32_t seq, ack; /* raw sequence numbers */
    uint32_t tcp_len;
    uint8_t tcp_hdr_len; /* also for a first fragment, whose header becomes a segment when it completes */
    uint32_t window;     /* as sent, not scaled */
    int8_t wscale;       /* window scale option, -1 if absent (options are read on SYNs only) */
    uint16_t mss;        /* MSS option value, 0 if absent */
    bool tcp_timestamps;

    /* ICMP/ICMPv6 error and the header it quotes. */
    bool has_icmp;
    uint8_t icmp_type, icmp_code;
    uint32_t icmp_mtu;
    bool has_inner;
    cl_ip inner;
    uint16_t inner_sport, inner_dport;

    /* TCP payload as captured (may be shorter than tcp_len); valid only during cl_engine_feed() */
    const uint8_t *payload;
    uint32_t payload_caplen;
} cl_packet;

/* Thresholds; every one is a Wireshark preference. */
typedef struct {
    unsigned pmtud_min_sends;   /* transmissions of one big segment, unacked, that count as "repeatedly lost" */
    unsigned pmtud_stall_ms;    /* receiver side: a gap unfilled this long is a stall */
    unsigned dupack_chain;      /* duplicate ACKs that make a chain worth an expert info */
    unsigned frag_min_lost;     /* incomplete datagrams before fragment-loss is a cause */
    unsigned frag_grace_ms;     /* a datagram overtaken by a complete one is lost after this */
    unsigned frag_timeout_s;    /* a datagram still incomplete after this is lost */
    unsigned max_conversations; /* table bound */
    unsigned max_segments;      /* outstanding segments tracked per direction */
    unsigned max_fragments;     /* pending datagrams tracked in all */
    unsigned idle_min_ms;       /* a silence this long with nothing outstanding is an idle gap */
    unsigned drop_min_retrans;  /* unanswered retransmissions after an idle gap that make it an idle-drop */
    unsigned rto_min_retrans;   /* unanswered retransmissions before the end that make a retransmission-timeout */
    unsigned rst_ttl_tolerance; /* hops a RST's TTL may differ from its endpoint's own packets */
    unsigned period_min_count;  /* disconnects of one client/server pair before a period is named */
    unsigned period_jitter_pct; /* spread of the intervals (standard deviation, % of the mean) still periodic */
    unsigned max_pairs;         /* client/server pairs tracked for idle timeouts and periods */
    unsigned reset_linger_s;    /* a reset conversation is kept this long for the packets that cross its RST */
    unsigned mapi_limit;        /* MAPI sessions the server allows one user (Exchange: 32) */
    unsigned mapi_near_pct;     /* sessions held, % of the limit, that raise the near-limit warning */
    unsigned mapi_burst_count;  /* logons from one client within mapi_burst_s that make a reconnect burst */
    unsigned mapi_burst_s;
    unsigned max_mapi_sessions; /* MAPI sessions tracked (and as many users and clients) */
    unsigned max_rpc_endpoints; /* RPC endpoints (address, port) learned from EPM answers and binds */
    unsigned max_state_mb;      /* memory cap (MiB) of the analysis state: conversations, fragments, tables */
    unsigned max_results_mb;    /* memory cap (MiB) of what frames and the report keep: results, diagnoses */
} cl_config;

void cl_config_defaults(cl_config *cfg);

/* Expert infos a result can carry. */
enum {
    CL_EXP_PMTUD_BLACKHOLE = 1u << 0,
    CL_EXP_PMTUD_WORKING = 1u << 1,
    CL_EXP_PMTUD_ICMP = 1u << 2,
    CL_EXP_FRAGMENT_LOST = 1u << 3,
    CL_EXP_DUPACK_CHAIN = 1u << 4,
    CL_EXP_LOW_CONFIDENCE = 1u << 5,
    CL_EXP_TABLE_FULL = 1u << 6,
    CL_EXP_MIDDLEBOX_RESET = 1u << 7,
    CL_EXP_KEEPALIVE_MISSING = 1u << 8,
    CL_EXP_KEEPALIVE_TOO_SPARSE = 1u << 9,
    CL_EXP_PERIODIC_DISCONNECT = 1u << 10,
    CL_EXP_RPC_BIND_REJECTED = 1u << 11,
    CL_EXP_MAPI_SESSION_LEAK = 1u << 12,
    CL_EXP_MAPI_NEAR_LIMIT = 1u << 13,
    CL_EXP_MAPI_RECONNECT_BURST = 1u << 14,
    CL_EXP_MAPI_SESSION_LIMIT = 1u << 15,
};

/* Which optional numbers a cl_numbers carries. */
enum {
    CL_HAS_PMTU = 1u << 0,
    CL_HAS_LARGEST_ACKED = 1u << 1,
    CL_HAS_SMALLEST_LOST = 1u << 2,
    CL_HAS_ICMP_FRAME = 1u << 3,
    CL_HAS_FRAG = 1u << 4,
    CL_HAS_IDLE = 1u << 5,
    CL_HAS_KEEPALIVE_INTERVAL = 1u << 6,
    CL_HAS_IDLE_TIMEOUT_MIN = 1u << 7,
    CL_HAS_IDLE_TIMEOUT_MAX = 1u << 8,
    CL_HAS_KEEPALIVE_RECOMMENDED = 1u << 9,
    CL_HAS_PERIOD = 1u << 10,
    CL_HAS_RETRANS = 1u << 11,
    CL_HAS_SESSIONS = 1u << 12,
};

/* Numbers that go with a verdict or a frame; times in seconds. */
typedef struct {
    uint32_t has; /* CL_HAS_* */
    uint32_t pmtu, largest_acked, smallest_lost, icmp_frame;
    uint32_t frag_incomplete;  /* incomplete datagrams in this conversation so far */
    double idle;               /* silence before this packet / before the packet that failed */
    double keepalive_interval; /* silence before a keep-alive, the widest in the conversation on a verdict */
    double idle_timeout_min;   /* longest idle gap a connection of this client/server pair survived */
    double idle_timeout_max;   /* shortest idle gap after which one failed */
    double keepalive_recommended;
    double period;                    /* regular interval between this pair's disconnects */
    uint32_t period_count;            /* disconnects that show it */
    uint32_t retrans;                 /* retransmissions nobody answered */
    uint32_t sessions, session_limit; /* MAPI sessions the user held, and the server's limit */
} cl_numbers;

/* Copy the numbers `src` has into `dst`. */
void cl_numbers_merge(cl_numbers *dst, const cl_numbers *src);

/* How connlost knows a call's interface. */
enum {
    CL_SOURCE_NONE,
    CL_SOURCE_BIND,          /* the bind of this connection */
    CL_SOURCE_EPM,           /* no bind seen: an EPM ept_map answer named the endpoint */
    CL_SOURCE_ENDPOINT_BIND, /* no bind seen: a bind on another connection to the endpoint */
};

/* DCE/RPC and MAPI seen in a frame (the PDUs that end in it). Strings belong to the engine. */
typedef struct {
    const char *ptype;        /* PDU type(s), e.g. "bind" or "request" */
    const char *interface;    /* interface (or the interfaces a bind proposes) */
    uint8_t interface_source; /* CL_SOURCE_*: how connlost knows the interface */
    uint32_t source_frame;    /* the bind or EPM answer that taught it */
    const char *bind_result;  /* per presentation context, or the bind_nak reason */
    int32_t opnum;            /* -1 if none */
    const char *op;           /* operation name, NULL if unknown */
    bool has_fault;
    uint32_t fault;
    const char *auth;      /* authentication type and level of a bind or auth3 */
    const char *auth_user; /* NTLM DOMAIN\user of an AUTHENTICATE message */
    const char *mapi_op;
    const char *mapi_user;
    bool has_sessions;
    uint32_t sessions;        /* sessions the user holds after this frame */
    uint32_t client_sessions; /* sessions the client address holds */
    uint32_t limit;
    bool lower_bound; /* connections began before the capture: counts may be low */
    bool has_error;
    uint32_t error;  /* MAPI return code of a refused logon */
    uint32_t leaked; /* sessions found leaked on this frame */
    uint32_t burst;  /* logons of this client within the burst window, when they make a burst */
} cl_rpc_info;

typedef struct {
    uint32_t conv_id;       /* connlost's own conversation number, 0 if none */
    const char *cause;      /* slug, NULL when the frame carries no verdict */
    uint8_t confidence;     /* 0-100, with cause */
    char *summary;          /* with cause */
    GArray *evidence;       /* uint32_t frame numbers, with cause */
    uint32_t experts;       /* CL_EXP_* */
    char *note;             /* text of a non-verdict observation (ICMP seen, PMTUD works, ...) */
    cl_numbers num;         /* numbers about this frame itself */
    cl_numbers verdict_num; /* numbers of the verdict, with cause; they win over num when drawn */
    uint32_t verdict_experts;

    bool has_dupack;
    uint32_t dupack_count, dupack_first;
    char *frag_lost_ids;     /* IP IDs declared lost on this frame (the first few) */
    uint32_t frag_lost_here; /* how many were declared lost on this frame */
    const char *keepalive;   /* "probe" or "ack" on a TCP keep-alive and its answer */

    const char *rst_origin; /* who sent this RST: client, server, middlebox or unknown; NULL on other frames */
    uint8_t rst_ttl, rst_ttl_expected;
    uint32_t rst_answers; /* the other side's packet this RST came after, 0 if none */
    double rst_delay;     /* time since that packet */
    double rst_min_delay; /* fastest the claimed sender ever answered the other side, < 0 if unknown */

    cl_rpc_info *rpc; /* NULL on frames without DCE/RPC */
} cl_result;

/* Lists of IP IDs and frames in results and summaries stop after this many. */
#define CL_MAX_IDS_SHOWN 32

/* Link layers cl_decode() understands (the glue maps Wireshark's encapsulation onto them). */
typedef enum {
    CL_LINK_UNKNOWN,
    CL_LINK_ETHERNET, /* with 802.1Q/802.1ad tags and PPPoE sessions */
    CL_LINK_RAW_IP,
    CL_LINK_SLL,
    CL_LINK_SLL2,
    CL_LINK_NULL, /* BSD loopback: 4-byte address family */
} cl_link;

/* Fill pkt's headers from one captured frame (frame number and time are left as they are). */
void cl_decode(const uint8_t *data, size_t caplen, cl_link link, cl_packet *pkt);

/* A conversation with a verdict, kept for the capture report after the conversation itself is forgotten. */
typedef struct {
    uint32_t conv_id;
    cl_addr client, server;
    uint16_t client_port, server_port;
    uint32_t first_frame, last_frame, verdict_frame;
    double start, end; /* absolute seconds */
    const char *cause;
    uint8_t confidence;
    char *summary;
    cl_numbers num;
} cl_diagnosis;

typedef struct cl_engine cl_engine;

cl_engine *cl_engine_new(const cl_config *cfg);
void cl_engine_free(cl_engine *eng);
const cl_result *cl_engine_feed(cl_engine *eng, const cl_packet *pkt);

/* After the first pass: the verdict of the conversation a frame belongs to (by its result's conversation
 * number, else by its TCP ports within the conversation's frames), NULL if it has none. */
const cl_diagnosis *cl_engine_diagnosis_for(const cl_engine *eng, const cl_packet *pkt, uint32_t conv_id);
/* The capture report: diagnosed conversations by start time, client/server pairs, MAPI users, causes.
 * `only` limits it to those conversation numbers (NULL: all). */
char *cl_engine_report(const cl_engine *eng, GHashTable *only);
/* Bytes the analysis state and the kept results hold now, as counted against max_state_mb and
 * max_results_mb. */
size_t cl_engine_state_bytes(const cl_engine *eng);
size_t cl_engine_result_bytes(const cl_engine *eng);

/* The largest RFC 1191 MTU plateau in [above, below), else `above`. */
uint32_t cl_pmtu_plateau(uint32_t above, uint32_t below);

/* Text forms used by results and tests. */
void cl_addr_format(const cl_addr *a, uint16_t port, char *buf, size_t len);

#endif
