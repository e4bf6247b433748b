/* Extraction, kept apart from analysis and drawing: the frame's bytes and link type go to the engine's
 * decoder. connlost asks Wireshark for no field at all: wanting fields makes tshark build a protocol
 * tree for every frame, which alone costs about a fifth of a plain read (bench/).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "extract.h"

#include <string.h>
#include <wiretap/wtap.h>

static cl_link link_of(const packet_info *pinfo)
{
    if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
        return CL_LINK_UNKNOWN;
    switch (pinfo->rec->rec_header.packet_header.pkt_encap) {
    case WTAP_ENCAP_ETHERNET:
        return CL_LINK_ETHERNET;
    case WTAP_ENCAP_RAW_IP:
    case WTAP_ENCAP_RAW_IP4:
    case WTAP_ENCAP_RAW_IP6:
        return CL_LINK_RAW_IP;
    case WTAP_ENCAP_SLL:
        return CL_LINK_SLL;
    case WTAP_ENCAP_SLL2:
        return CL_LINK_SLL2;
    case WTAP_ENCAP_NULL:
    case WTAP_ENCAP_LOOP:
        return CL_LINK_NULL;
    default:
        return CL_LINK_UNKNOWN;
    }
}

void cl_extract(tvbuff_t *tvb, packet_info *pinfo, cl_packet *pkt)
{
    memset(pkt, 0, sizeof(*pkt));
    pkt->frame = pinfo->num;
    pkt->time = (double)pinfo->abs_ts.secs + pinfo->abs_ts.nsecs / 1e9;
    guint len = tvb_captured_length(tvb);
    if (len)
        cl_decode(tvb_get_ptr(tvb, 0, (gint)len), len, link_of(pinfo), pkt);
}
