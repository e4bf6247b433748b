/* Extraction, kept apart from analysis: one table of wanted fields, typed
 * getters chosen by each field's type (a wrong getter aborts Wireshark), and
 * tolerance for fields this Wireshark does not have.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "fields.h"

#include <epan/ftypes/ftypes.h>
#include <string.h>

typedef enum {
    F_IP_SRC,
    F_IP_DST,
    F_IP_PROTO,
    F_IP_LEN,
    F_IP_HDR_LEN,
    F_IP_TTL,
    F_IP_ID,
    F_IP_DF,
    F_IP_MF,
    F_IP_FRAG_OFFSET,
    F_IP6_SRC,
    F_IP6_DST,
    F_IP6_NXT,
    F_IP6_PLEN,
    F_IP6_HLIM,
    F_IP6_FRAG_OFFSET,
    F_IP6_FRAG_MORE,
    F_IP6_FRAG_IDENT,
    F_IP6_FRAG_NXT,
    F_TCP_SRCPORT,
    F_TCP_DSTPORT,
    F_TCP_STREAM,
    F_TCP_FLAGS,
    F_TCP_SEQ,
    F_TCP_ACK,
    F_TCP_LEN,
    F_TCP_WINDOW,
    F_TCP_MSS,
    F_TCP_TSVAL,
    F_UDP_SRCPORT,
    F_UDP_DSTPORT,
    F_ICMP_TYPE,
    F_ICMP_CODE,
    F_ICMP_MTU,
    F_ICMP6_TYPE,
    F_ICMP6_CODE,
    F_ICMP6_MTU,
    F_COUNT
} field_id;

static struct {
    const char *name;
    int hf;
} fields[F_COUNT] = {
    [F_IP_SRC] = {"ip.src", -1},
    [F_IP_DST] = {"ip.dst", -1},
    [F_IP_PROTO] = {"ip.proto", -1},
    [F_IP_LEN] = {"ip.len", -1},
    [F_IP_HDR_LEN] = {"ip.hdr_len", -1},
    [F_IP_TTL] = {"ip.ttl", -1},
    [F_IP_ID] = {"ip.id", -1},
    [F_IP_DF] = {"ip.flags.df", -1},
    [F_IP_MF] = {"ip.flags.mf", -1},
    [F_IP_FRAG_OFFSET] = {"ip.frag_offset", -1},
    [F_IP6_SRC] = {"ipv6.src", -1},
    [F_IP6_DST] = {"ipv6.dst", -1},
    [F_IP6_NXT] = {"ipv6.nxt", -1},
    [F_IP6_PLEN] = {"ipv6.plen", -1},
    [F_IP6_HLIM] = {"ipv6.hlim", -1},
    [F_IP6_FRAG_OFFSET] = {"ipv6.fraghdr.offset", -1},
    [F_IP6_FRAG_MORE] = {"ipv6.fraghdr.more", -1},
    [F_IP6_FRAG_IDENT] = {"ipv6.fraghdr.ident", -1},
    [F_IP6_FRAG_NXT] = {"ipv6.fraghdr.nxt", -1},
    [F_TCP_SRCPORT] = {"tcp.srcport", -1},
    [F_TCP_DSTPORT] = {"tcp.dstport", -1},
    [F_TCP_STREAM] = {"tcp.stream", -1},
    [F_TCP_FLAGS] = {"tcp.flags", -1},
    [F_TCP_SEQ] = {"tcp.seq_raw", -1},
    [F_TCP_ACK] = {"tcp.ack_raw", -1},
    [F_TCP_LEN] = {"tcp.len", -1},
    [F_TCP_WINDOW] = {"tcp.window_size", -1},
    [F_TCP_MSS] = {"tcp.options.mss_val", -1},
    [F_TCP_TSVAL] = {"tcp.options.timestamp.tsval", -1},
    [F_UDP_SRCPORT] = {"udp.srcport", -1},
    [F_UDP_DSTPORT] = {"udp.dstport", -1},
    [F_ICMP_TYPE] = {"icmp.type", -1},
    [F_ICMP_CODE] = {"icmp.code", -1},
    [F_ICMP_MTU] = {"icmp.mtu", -1},
    [F_ICMP6_TYPE] = {"icmpv6.type", -1},
    [F_ICMP6_CODE] = {"icmpv6.code", -1},
    [F_ICMP6_MTU] = {"icmpv6.mtu", -1},
};

void cl_fields_resolve(void)
{
    for (int i = 0; i < F_COUNT; i++)
        fields[i].hf = proto_registrar_get_id_byname(fields[i].name);
}

GArray *cl_fields_wanted(void)
{
    GArray *wanted = g_array_sized_new(FALSE, FALSE, (guint)sizeof(int), F_COUNT);
    for (int i = 0; i < F_COUNT; i++)
        if (fields[i].hf != -1)
            g_array_append_val(wanted, fields[i].hf);
    return wanted;
}

/* All instances of a field in this frame, in dissection order (NULL if none). */
static GPtrArray *instances(proto_tree *tree, field_id id)
{
    return fields[id].hf == -1 ? NULL : proto_get_finfo_ptr_array(tree, fields[id].hf);
}

static unsigned count(proto_tree *tree, field_id id)
{
    GPtrArray *arr = instances(tree, id);
    return arr ? arr->len : 0;
}

/* Instance `from_end` places before the last one: the outer header of an ICMP
 * error is the one before the quoted header, which comes last. */
static field_info *nth_from_end(proto_tree *tree, field_id id, unsigned from_end)
{
    GPtrArray *arr = instances(tree, id);
    if (!arr || arr->len <= from_end)
        return NULL;
    return g_ptr_array_index(arr, arr->len - 1 - from_end);
}

static bool value_of(field_info *fi, uint64_t *out)
{
    if (!fi)
        return false;
    fvalue_t *fv = CL_FI_VALUE(fi);
    switch (fi->hfinfo->type) {
    case FT_UINT8:
    case FT_UINT16:
    case FT_UINT24:
    case FT_UINT32:
    case FT_FRAMENUM:
        *out = fvalue_get_uinteger(fv);
        return true;
    case FT_UINT40:
    case FT_UINT48:
    case FT_UINT56:
    case FT_UINT64:
    case FT_BOOLEAN:
        *out = fvalue_get_uinteger64(fv);
        return true;
    case FT_INT8:
    case FT_INT16:
    case FT_INT24:
    case FT_INT32:
        *out = (uint64_t)(int64_t)fvalue_get_sinteger(fv);
        return true;
    default:
        return false;
    }
}

static uint32_t get_u32(proto_tree *tree, field_id id, unsigned from_end)
{
    uint64_t v = 0;
    return value_of(nth_from_end(tree, id, from_end), &v) ? (uint32_t)v : 0;
}

static bool has(proto_tree *tree, field_id id, unsigned from_end) { return nth_from_end(tree, id, from_end) != NULL; }

/* Addresses come from the packet bytes the field covers: stable across versions. */
static bool get_addr(proto_tree *tree, field_id id, unsigned from_end, uint8_t family, cl_addr *out)
{
    field_info *fi = nth_from_end(tree, id, from_end);
    int len = family == 6 ? 16 : 4;
    memset(out, 0, sizeof(*out));
    if (!fi || !fi->ds_tvb || fi->length != len || !tvb_bytes_exist(fi->ds_tvb, fi->start, len))
        return false;
    tvb_memcpy(fi->ds_tvb, out->bytes, fi->start, len);
    out->family = family;
    return true;
}

static bool fill_ip4(proto_tree *tree, unsigned k, cl_ip *ip)
{
    if (!get_addr(tree, F_IP_SRC, k, 4, &ip->src) || !get_addr(tree, F_IP_DST, k, 4, &ip->dst))
        return false;
    ip->proto = (uint8_t)get_u32(tree, F_IP_PROTO, k);
    ip->ttl = (uint8_t)get_u32(tree, F_IP_TTL, k);
    ip->id = get_u32(tree, F_IP_ID, k);
    ip->df = get_u32(tree, F_IP_DF, k) != 0;
    ip->more_fragments = get_u32(tree, F_IP_MF, k) != 0;
    ip->frag_offset = get_u32(tree, F_IP_FRAG_OFFSET, k) * 8; /* the field counts 8-byte units */
    ip->is_fragment = ip->more_fragments || ip->frag_offset;
    ip->total_len = get_u32(tree, F_IP_LEN, k);
    uint32_t hdr = get_u32(tree, F_IP_HDR_LEN, k);
    ip->payload_len = ip->total_len > hdr ? ip->total_len - hdr : 0;
    return true;
}

static bool fill_ip6(proto_tree *tree, unsigned k, cl_ip *ip)
{
    if (!get_addr(tree, F_IP6_SRC, k, 6, &ip->src) || !get_addr(tree, F_IP6_DST, k, 6, &ip->dst))
        return false;
    ip->ttl = (uint8_t)get_u32(tree, F_IP6_HLIM, k);
    ip->df = true; /* IPv6 routers never fragment */
    uint32_t plen = get_u32(tree, F_IP6_PLEN, k);
    ip->total_len = plen + 40;
    ip->payload_len = plen;
    ip->proto = (uint8_t)get_u32(tree, F_IP6_NXT, k);
    /* A fragment header belongs to this header when there are as many of them as of IPv6 headers
     * from the end; the quoted packet of an ICMPv6 error is the last one. */
    if (count(tree, F_IP6_FRAG_IDENT) > k) {
        ip->id = get_u32(tree, F_IP6_FRAG_IDENT, k);
        ip->frag_offset = get_u32(tree, F_IP6_FRAG_OFFSET, k) * 8;
        ip->more_fragments = get_u32(tree, F_IP6_FRAG_MORE, k) != 0;
        ip->proto = (uint8_t)get_u32(tree, F_IP6_FRAG_NXT, k);
        ip->payload_len = plen > 8 ? plen - 8 : 0;
        ip->is_fragment = ip->more_fragments || ip->frag_offset;
    }
    return true;
}

/* Ports of a first fragment that was not reassembled: read them from its bytes. */
static void first_fragment_ports(proto_tree *tree, cl_packet *pkt)
{
    field_info *src = nth_from_end(tree, F_IP_SRC, 0);
    if (!src || !src->ds_tvb || src->start < 12)
        return;
    int l4 = src->start - 12 + (int)get_u32(tree, F_IP_HDR_LEN, 0);
    if (!tvb_bytes_exist(src->ds_tvb, l4, 4))
        return;
    pkt->sport = tvb_get_ntohs(src->ds_tvb, l4);
    pkt->dport = tvb_get_ntohs(src->ds_tvb, l4 + 2);
}

void cl_fields_extract(proto_tree *tree, packet_info *pinfo, cl_packet *pkt)
{
    memset(pkt, 0, sizeof(*pkt));
    pkt->frame = pinfo->num;
    pkt->time = (double)pinfo->abs_ts.secs + pinfo->abs_ts.nsecs / 1e9;
    if (!tree)
        return;

    bool icmp6 = has(tree, F_ICMP6_TYPE, 0), icmp4 = !icmp6 && has(tree, F_ICMP_TYPE, 0);
    bool v6 = icmp6 || (!icmp4 && count(tree, F_IP_SRC) == 0);
    field_id src = v6 ? F_IP6_SRC : F_IP_SRC;
    unsigned headers = count(tree, src);
    if (!headers)
        return;

    if (icmp4 || icmp6) {
        field_id type = icmp6 ? F_ICMP6_TYPE : F_ICMP_TYPE;
        pkt->has_icmp = true;
        pkt->icmp_type = (uint8_t)get_u32(tree, type, 0);
        pkt->icmp_code = (uint8_t)get_u32(tree, icmp6 ? F_ICMP6_CODE : F_ICMP_CODE, 0);
        pkt->icmp_mtu = get_u32(tree, icmp6 ? F_ICMP6_MTU : F_ICMP_MTU, 0);
        /* An error quotes the offending header after the outer one. */
        if (headers >= 2)
            pkt->has_inner = v6 ? fill_ip6(tree, 0, &pkt->inner) : fill_ip4(tree, 0, &pkt->inner);
        pkt->has_ip = v6 ? fill_ip6(tree, pkt->has_inner, &pkt->ip) : fill_ip4(tree, pkt->has_inner, &pkt->ip);
        if (pkt->has_inner) {
            bool tcp = pkt->inner.proto == 6;
            pkt->inner_sport = (uint16_t)get_u32(tree, tcp ? F_TCP_SRCPORT : F_UDP_SRCPORT, 0);
            pkt->inner_dport = (uint16_t)get_u32(tree, tcp ? F_TCP_DSTPORT : F_UDP_DSTPORT, 0);
        }
        return;
    }

    pkt->has_ip = v6 ? fill_ip6(tree, 0, &pkt->ip) : fill_ip4(tree, 0, &pkt->ip);
    if (!pkt->has_ip)
        return;
    if (has(tree, F_TCP_SRCPORT, 0)) {
        pkt->has_tcp = true;
        pkt->sport = (uint16_t)get_u32(tree, F_TCP_SRCPORT, 0);
        pkt->dport = (uint16_t)get_u32(tree, F_TCP_DSTPORT, 0);
        pkt->has_stream = has(tree, F_TCP_STREAM, 0);
        pkt->stream = get_u32(tree, F_TCP_STREAM, 0);
        pkt->tcp_flags = (uint8_t)get_u32(tree, F_TCP_FLAGS, 0);
        pkt->seq = get_u32(tree, F_TCP_SEQ, 0);
        pkt->ack = get_u32(tree, F_TCP_ACK, 0);
        pkt->tcp_len = get_u32(tree, F_TCP_LEN, 0);
        pkt->window = get_u32(tree, F_TCP_WINDOW, 0);
        pkt->mss = (uint16_t)get_u32(tree, F_TCP_MSS, 0);
        pkt->tcp_timestamps = has(tree, F_TCP_TSVAL, 0);
    } else if (has(tree, F_UDP_SRCPORT, 0)) {
        pkt->has_udp = true;
        pkt->sport = (uint16_t)get_u32(tree, F_UDP_SRCPORT, 0);
        pkt->dport = (uint16_t)get_u32(tree, F_UDP_DSTPORT, 0);
    } else if (!v6 && pkt->ip.is_fragment && pkt->ip.frag_offset == 0 && (pkt->ip.proto == 6 || pkt->ip.proto == 17)) {
        first_fragment_ports(tree, pkt);
    }
}
