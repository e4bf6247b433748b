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

/* One frame, as the glue extracted it. Absent parts are zero/false. */
typedef struct {
    uint32_t frame;
    double time; /* seconds, absolute */

    bool has_ip;
    cl_ip ip; /* the outer (delivering) header */

    bool has_tcp, has_udp;
    uint16_t sport, dport; /* of TCP/UDP, or of the first fragment's bytes */
    bool has_stream;
    uint32_t stream; /* tcp.stream */
    uint8_t tcp_flags;
    uint32_t seq, ack; /* raw sequence numbers */
    uint32_t tcp_len;
    uint32_t window;
    uint16_t mss; /* MSS option value, 0 if absent */
    bool tcp_timestamps;

    /* ICMP/ICMPv6 error and the header it quotes. */
    bool has_icmp;
    uint8_t icmp_type, icmp_code;
    uint32_t icmp_mtu;
    bool has_inner;
    cl_ip inner;
    uint16_t inner_sport, inner_dport;
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
};

/* Which optional numbers a result carries. */
enum {
    CL_HAS_PMTU = 1u << 0,
    CL_HAS_LARGEST_ACKED = 1u << 1,
    CL_HAS_SMALLEST_LOST = 1u << 2,
    CL_HAS_ICMP_FRAME = 1u << 3,
    CL_HAS_DUPACK = 1u << 4,
    CL_HAS_FRAG = 1u << 5,
    CL_HAS_RST = 1u << 6,
};

typedef struct {
    uint32_t conv_id;   /* connlost's own conversation number, 0 if none */
    const char *cause;  /* slug, NULL when the frame carries no verdict */
    uint8_t confidence; /* 0-100, with cause */
    char *summary;      /* with cause */
    GArray *evidence;   /* uint32_t frame numbers, with cause */
    uint32_t experts;   /* CL_EXP_* */
    char *note;         /* text of a non-verdict expert info (ICMP seen, PMTUD works, ...) */

    uint32_t has; /* CL_HAS_* */
    uint32_t pmtu, largest_acked, smallest_lost, icmp_frame;
    uint32_t dupack_count, dupack_first;
    uint32_t frag_incomplete; /* incomplete datagrams in this conversation so far */
    char *frag_lost_ids;      /* IP IDs declared lost on this frame (the first few) */
    uint32_t frag_lost_here;  /* how many were declared lost on this frame */
    const char *rst_origin;   /* who sent this RST: client, server, middlebox or unknown */
    uint8_t rst_ttl, rst_ttl_expected;
} cl_result;

/* Lists of IP IDs and frames in results and summaries stop after this many. */
#define CL_MAX_IDS_SHOWN 32

typedef struct cl_engine cl_engine;

cl_engine *cl_engine_new(const cl_config *cfg);
void cl_engine_free(cl_engine *eng);
const cl_result *cl_engine_feed(cl_engine *eng, const cl_packet *pkt);

/* The largest RFC 1191 MTU plateau in [above, below), else `above`. */
uint32_t cl_pmtu_plateau(uint32_t above, uint32_t below);

/* Text forms used by results and tests. */
void cl_addr_format(const cl_addr *a, uint16_t port, char *buf, size_t len);

#endif
