/* Decoding the headers connlost needs straight from the captured bytes.
 *
 * Asking Wireshark for fields makes it build a protocol tree for every frame, which costs a fifth of
 * tshark's time on a plain read; reading the few header fields here costs almost nothing. Every read is
 * bounds-checked against the captured length: a truncated header leaves its part of the record unset.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "packet.h"

#include <string.h>

#define MAX_VLAN_TAGS 3
#define MAX_IPV6_EXTENSIONS 8

typedef struct {
    const uint8_t *p;
    size_t len;
} span;

static bool has(span s, size_t off, size_t n) { return off <= s.len && n <= s.len - off; }
static uint16_t be16(span s, size_t off) { return (uint16_t)(s.p[off] << 8 | s.p[off + 1]); }
static uint32_t be32(span s, size_t off)
{
    return (uint32_t)s.p[off] << 24 | (uint32_t)s.p[off + 1] << 16 | (uint32_t)s.p[off + 2] << 8 | s.p[off + 3];
}
static span after(span s, size_t off) { return (span){s.p + off, s.len - off}; }

/* The IP packet inside a frame of the given link type; its first byte is the IP version. */
static bool link_payload(span frame, cl_link link, span *ip)
{
    size_t off;
    uint16_t type;
    switch (link) {
    case CL_LINK_RAW_IP:
        *ip = frame;
        return frame.len > 0;
    case CL_LINK_NULL: /* 4-byte address family in the capturing host's byte order */
        if (!has(frame, 0, 4))
            return false;
        *ip = after(frame, 4);
        return true;
    case CL_LINK_SLL:
        if (!has(frame, 14, 2))
            return false;
        type = be16(frame, 14), off = 16;
        break;
    case CL_LINK_SLL2:
        if (!has(frame, 0, 2))
            return false;
        type = be16(frame, 0), off = 20;
        break;
    case CL_LINK_ETHERNET:
        if (!has(frame, 12, 2))
            return false;
        type = be16(frame, 12), off = 14;
        for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < MAX_VLAN_TAGS; tags++) {
            if (!has(frame, off + 2, 2))
                return false;
            type = be16(frame, off + 2), off += 4;
        }
        if (type == 0x8864) { /* PPPoE session: 6-byte header, then the PPP protocol */
            if (!has(frame, off + 6, 2))
                return false;
            uint16_t ppp = be16(frame, off + 6);
            type = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
            off += 8;
        }
        break;
    default:
        return false;
    }
    if ((type != 0x0800 && type != 0x86dd) || !has(frame, off, 1))
        return false;
    *ip = after(frame, off);
    return true;
}

/* One IPv4 or IPv6 header (with IPv6 extension headers); `l4` is what follows, cut to the captured bytes. */
static bool decode_ip(span s, cl_ip *ip, span *l4)
{
    memset(ip, 0, sizeof(*ip));
    if (!has(s, 0, 1))
        return false;
    unsigned version = s.p[0] >> 4;
    if (version == 4) {
        size_t hlen = (size_t)(s.p[0] & 0x0f) * 4;
        if (hlen < 20 || !has(s, 0, hlen))
            return false;
        ip->src.family = ip->dst.family = 4;
        memcpy(ip->src.bytes, s.p + 12, 4);
        memcpy(ip->dst.bytes, s.p + 16, 4);
        ip->total_len = be16(s, 2);
        ip->id = be16(s, 4);
        uint16_t frag = be16(s, 6);
        ip->df = frag & 0x4000;
        ip->more_fragments = frag & 0x2000;
        ip->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
        ip->is_fragment = ip->more_fragments || ip->frag_offset;
        ip->ttl = s.p[8];
        ip->proto = s.p[9];
        ip->payload_len = ip->total_len > hlen ? ip->total_len - (uint32_t)hlen : 0;
        *l4 = after(s, hlen);
        return true;
    }
    if (version != 6 || !has(s, 0, 40))
        return false;
    ip->src.family = ip->dst.family = 6;
    memcpy(ip->src.bytes, s.p + 8, 16);
    memcpy(ip->dst.bytes, s.p + 24, 16);
    uint32_t plen = be16(s, 4);
    ip->total_len = plen + 40;
    ip->ttl = s.p[7];
    ip->df = true; /* IPv6 routers never fragment */
    uint8_t next = s.p[6];
    size_t off = 40;
    for (int i = 0; i < MAX_IPV6_EXTENSIONS; i++) {
        if (next == 44) { /* fragment header */
            if (!has(s, off, 8))
                return false;
            uint16_t frag = be16(s, off + 2);
            ip->frag_offset = (uint32_t)(frag & 0xfff8);
            ip->more_fragments = frag & 1;
            ip->is_fragment = ip->more_fragments || ip->frag_offset;
            ip->id = be32(s, off + 4);
            next = s.p[off];
            off += 8;
        } else if (next == 0 || next == 43 || next == 60 || next == 51) {
            if (!has(s, off, 2))
                return false;
            size_t len = next == 51 ? ((size_t)s.p[off + 1] + 2) * 4 : ((size_t)s.p[off + 1] + 1) * 8;
            next = s.p[off];
            off += len;
        } else
            break;
    }
    if (off > s.len)
        return false;
    ip->proto = next;
    ip->payload_len = plen + 40 > off ? plen + 40 - (uint32_t)off : 0;
    *l4 = after(s, off);
    return true;
}

static void decode_tcp(span s, const cl_ip *ip, cl_packet *pkt)
{
    if (!has(s, 0, 20))
        return;
    size_t hlen = (size_t)(s.p[12] >> 4) * 4;
    if (hlen < 20)
        return;
    pkt->has_tcp = true;
    pkt->sport = be16(s, 0);
    pkt->dport = be16(s, 2);
    pkt->seq = be32(s, 4);
    pkt->ack = be32(s, 8);
    pkt->tcp_flags = s.p[13] & 0x1f;
    pkt->window = be16(s, 14);
    pkt->tcp_hdr_len = (uint8_t)hlen;
    pkt->tcp_len = ip->payload_len > hlen ? ip->payload_len - (uint32_t)hlen : 0;
    pkt->wscale = -1;
    if (has(s, 0, hlen) && pkt->tcp_len) { /* Ethernet padding is not payload */
        pkt->payload = s.p + hlen;
        pkt->payload_caplen = (uint32_t)MIN(s.len - hlen, pkt->tcp_len);
    }
    size_t end = !(pkt->tcp_flags & CL_TCP_SYN) ? 0 : has(s, 0, hlen) ? hlen : s.len; /* options matter on SYNs */
    for (size_t off = 20; off < end;) {
        uint8_t kind = s.p[off];
        if (kind == 0)
            break;
        if (kind == 1) {
            off++;
            continue;
        }
        if (off + 1 >= end || s.p[off + 1] < 2 || off + s.p[off + 1] > end)
            break;
        uint8_t len = s.p[off + 1];
        if (kind == 2 && len == 4)
            pkt->mss = be16(s, off + 2);
        else if (kind == 3 && len == 3)
            pkt->wscale = (int8_t)MIN(s.p[off + 2], 14);
        else if (kind == 8 && len == 10)
            pkt->tcp_timestamps = true;
        off += len;
    }
}

/* The header an ICMP/ICMPv6 error quotes, and the ports after it. */
static void decode_quote(span s, cl_packet *pkt)
{
    span l4;
    if (!decode_ip(s, &pkt->inner, &l4))
        return;
    pkt->has_inner = true;
    if ((pkt->inner.proto == 6 || pkt->inner.proto == 17) && pkt->inner.frag_offset == 0 && has(l4, 0, 4)) {
        pkt->inner_sport = be16(l4, 0);
        pkt->inner_dport = be16(l4, 2);
    }
}

void cl_decode(const uint8_t *data, size_t caplen, cl_link link, cl_packet *pkt)
{
    span frame = {data, data ? caplen : 0}, ip, l4;
    if (!link_payload(frame, link, &ip) || !decode_ip(ip, &pkt->ip, &l4))
        return;
    pkt->has_ip = true;
    bool first_or_whole = pkt->ip.frag_offset == 0;
    uint8_t proto = pkt->ip.proto;
    if (proto == 6 && first_or_whole) {
        decode_tcp(l4, &pkt->ip, pkt);
        if (pkt->ip.is_fragment) {
            /* a first fragment: its ports name the datagram's conversation, and its header becomes a
             * segment once the datagram is complete (frag.c) */
            pkt->has_tcp = false;
            if (!pkt->tcp_hdr_len && has(l4, 0, 4))
                pkt->sport = be16(l4, 0), pkt->dport = be16(l4, 2);
        }
    } else if (proto == 17 && first_or_whole && has(l4, 0, 4)) {
        pkt->has_udp = !pkt->ip.is_fragment;
        pkt->sport = be16(l4, 0);
        pkt->dport = be16(l4, 2);
    } else if ((proto == 1 || proto == 58) && !pkt->ip.is_fragment && has(l4, 0, 8)) {
        pkt->has_icmp = true;
        pkt->icmp_type = l4.p[0];
        pkt->icmp_code = l4.p[1];
        bool v4_error = proto == 1 && (pkt->icmp_type == 3 || pkt->icmp_type == 11 || pkt->icmp_type == 12);
        bool v6_error = proto == 58 && pkt->icmp_type < 128;
        if (proto == 1 && pkt->icmp_type == 3 && pkt->icmp_code == 4)
            pkt->icmp_mtu = be16(l4, 6);
        else if (proto == 58 && pkt->icmp_type == 2)
            pkt->icmp_mtu = be32(l4, 4);
        if (v4_error || v6_error)
            decode_quote(after(l4, 8), pkt);
    }
}
