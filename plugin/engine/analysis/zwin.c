/* Receivers that stop reading: the window closes (zero, or less than one segment) and stays closed while the
 * sender probes; when a side then gives up with a RST the cause is zero-window-stall, the receiving
 * application's side, not the network's. A window that reopens is an observation with its duration.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "registry.h"

#include <string.h>

typedef struct {
    double closed_time; /* when the window closed */
    uint32_t closed_frame;
    uint32_t probes;
    uint32_t last_probe_frame;
    int8_t receiver; /* the side whose window is closed */
    bool closed;
} zwin_slot;

/* A segment: what the receiver's MSS option allows the sender, else the 536 bytes every path carries. */
static uint32_t segment_of(const cl_side *receiver) { return receiver->mss ? receiver->mss : 536; }

static void window_numbers(cl_finding *f, const zwin_slot *z, double until)
{
    f->num.has |= CL_HAS_ZERO_WINDOW_DURATION | CL_HAS_ZERO_WINDOW_PROBES;
    f->num.zero_window_duration = until - z->closed_time;
    f->num.zero_window_probes = z->probes;
}

/* A side gave up with a RST while the receiver's window was closed. */
static void gave_up(cl_ctx *x, cl_conv *conv, const zwin_slot *z, int from, const cl_packet *pkt)
{
    char receiver[80], t[40];
    cl_addr_format(&conv->side[z->receiver].addr, conv->side[z->receiver].port, receiver, sizeof(receiver));
    double closed = pkt->time - z->closed_time;
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_ZERO_WINDOW_STALL, (uint8_t)MIN(70 + 5 * z->probes, 90));
    cl_finding_say(&f,
                   "%s (the %s) stopped reading: its receive window closed at frame %u and stayed closed for %s while "
                   "the sender probed %u time(s)",
                   receiver, cl_role(z->receiver), z->closed_frame, cl_duration(closed, t, sizeof(t)), z->probes);
    if (from == z->receiver)
        cl_finding_say(&f, "; then the receiver itself reset the connection (frame %u)", pkt->frame);
    else
        cl_finding_say(&f, "; then the sender gave up with a RST (frame %u)", pkt->frame);
    cl_finding_say(&f, ": the receiving application hung or was blocked (a busy UI thread, a slow disk), not the "
                       "network; its side is where to look");
    cl_finding_evidence(&f, z->closed_frame);
    cl_finding_evidence(&f, z->last_probe_frame);
    cl_finding_evidence(&f, pkt->frame);
    window_numbers(&f, z, pkt->time);
    cl_finding_propose(x, conv, &f);
}

/* The window reopened: how long it was closed, an observation. */
static void reopened(cl_ctx *x, cl_conv *conv, const zwin_slot *z, const cl_packet *pkt)
{
    char t[40];
    cl_result *r = cl_res(x, conv);
    r->experts |= CL_EXP_ZERO_WINDOW;
    cl_result_num(r)->has |= CL_HAS_ZERO_WINDOW_DURATION | CL_HAS_ZERO_WINDOW_PROBES;
    cl_result_num(r)->zero_window_duration = pkt->time - z->closed_time;
    cl_result_num(r)->zero_window_probes = z->probes;
    cl_result_say(r,
                  "the %s's receive window reopens after %s closed (since frame %u, %u probe(s)): "
                  "it had stopped reading for a while, no failure",
                  cl_role(z->receiver), cl_duration(pkt->time - z->closed_time, t, sizeof(t)), z->closed_frame,
                  z->probes);
}

/* The receiver's window is closed: zero, or less than one segment when the window scale is known (a capture that
 * began after the SYNs shows windows unscaled, too small to mean anything but zero). */
static bool window_shut(const cl_conv *conv, int receiver)
{
    const cl_side *r = &conv->side[receiver];
    bool scale_known = conv->side[0].wscale >= 0 && conv->side[1].wscale >= 0;
    return r->window == 0 || ((scale_known || conv->handshake_seen) && r->window < segment_of(r));
}

/* A probe: an empty segment one byte behind what the receiver acknowledged (Linux), or one byte at it
 * (Windows). */
static bool is_probe(const cl_conv *conv, int sender, const cl_packet *pkt)
{
    const cl_side *s = &conv->side[sender];
    return s->has_ack_seen &&
           ((pkt->tcp_len == 0 && pkt->seq == s->ack_seen - 1) || (pkt->tcp_len == 1 && pkt->seq == s->ack_seen));
}

static void zwin_on_tcp(void *state, cl_ctx *x, cl_conv *conv, void *slot, const cl_packet *pkt, cl_facts *facts)
{
    (void)state;
    zwin_slot *z = slot;
    int from = facts->from;
    double min_s = x->cfg->zero_window_min_ms / 1000.0;
    bool rst = pkt->tcp_flags & CL_TCP_RST;
    if (z->closed && rst) {
        if (z->probes && pkt->time - z->closed_time >= min_s)
            gave_up(x, conv, z, from, pkt);
        z->closed = false;
        return;
    }
    if (rst || pkt->tcp_flags & CL_TCP_SYN || !conv->established)
        return;
    if (z->closed && from != z->receiver) {
        if (is_probe(conv, from, pkt)) {
            z->probes++;
            z->last_probe_frame = pkt->frame;
        } else if (pkt->tcp_len > 1) {
            z->closed = false; /* data flows: the window was not closed after all */
        }
        return;
    }
    if (!(pkt->tcp_flags & CL_TCP_ACK))
        return;
    bool shut = window_shut(conv, from);
    if (shut && !z->closed) {
        *z = (zwin_slot){pkt->time, pkt->frame, 0, 0, (int8_t)from, true};
    } else if (!shut && z->closed && from == z->receiver) {
        if (pkt->time - z->closed_time >= min_s)
            reopened(x, conv, z, pkt);
        z->closed = false;
    }
}

static const cl_pref zwin_prefs[] = {
    CL_PREF(zero_window_min_ms, "Zero-window stall (ms)",
            "A receive window closed at least this long (ms) is a stall: named when a side then gives up "
            "(zero-window-stall), noted when it reopens",
            1000, 1, UINT32_MAX),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_zwin = {
    .name = "zwin",
    .prefs = zwin_prefs,
    .slot_size = sizeof(zwin_slot),
    .on_tcp = zwin_on_tcp,
};
