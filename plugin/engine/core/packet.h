/* A frame as the engine sees it: the IP, TCP, UDP and ICMP headers connlost reads, decoded from the captured
 * bytes by cl_decode() (decode.c). The ground floor: every other part of the engine reads it, it reads nothing.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_PACKET_H
#define CONNLOST_PACKET_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
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

/* Sequence-space comparisons (RFC 1982 style). */
#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

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

#endif
