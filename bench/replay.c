/* The engine alone over a capture, as the glue feeds it on the first pass: for callgrind, where what tshark
 * itself does is not counted (bench/README.md, "The engine alone").
 *   replay CAPTURE.pcap [FRAMES]     the frames fed and how many got a result
 *   replay --dump CAPTURE.pcap       every frame's result, written out, and the capture report: two builds that
 *                                    should analyse alike must print the same (a check in seconds, without tshark)
 * Classic pcap only (editcap -F pcap), either byte order, micro- or nanosecond times.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define MAX_FRAME 262144

/* Wireshark's link types as pcap numbers them (LINKTYPE_*), onto the decoder's. */
static cl_link link_of(uint32_t linktype)
{
    switch (linktype) {
    case 1:
        return CL_LINK_ETHERNET;
    case 101:
    case 228:
    case 229:
        return CL_LINK_RAW_IP;
    case 113:
        return CL_LINK_SLL;
    case 276:
        return CL_LINK_SLL2;
    case 0:
    case 108:
        return CL_LINK_NULL;
    default:
        return CL_LINK_UNKNOWN;
    }
}

static void dump_text(const char *what, const cl_text *t)
{
    if (!t)
        return;
    char *s = cl_text_string(t);
    printf(" %s=[%s]", what, s);
    g_free(s);
}

static void dump_numbers(const char *what, const cl_numbers *n)
{
    if (!n)
        return;
    printf(" %s=", what);
    const uint8_t *b = (const uint8_t *)n;
    for (size_t i = 0; i < sizeof(*n); i++)
        printf("%02x", b[i]);
}

static void dump_str(const char *what, const char *s)
{
    if (s)
        printf(" %s=[%s]", what, s);
}

static void dump_rpc(const cl_rpc_info *i)
{
    dump_str("ptype", i->ptype);
    dump_str("if", i->interface);
    printf(" src=%u/%u", i->interface_source, i->source_frame);
    dump_str("bind", i->bind_result);
    printf(" op=%d", i->opnum);
    dump_str("opname", i->op);
    printf(" fault=%d/%u", i->has_fault, i->fault);
    dump_str("auth", i->auth);
    dump_str("user", i->auth_user);
    dump_str("mapi_op", i->mapi_op);
    dump_str("mapi_user", i->mapi_user);
    printf(" sessions=%d/%u/%u/%u/%d err=%d/%u leaked=%u burst=%u", i->has_sessions, i->sessions, i->client_sessions,
           i->limit, i->lower_bound, i->has_error, i->error, i->leaked, i->burst);
}

/* One frame's result, every member written out (numbers as their bytes: padding is zeroed when they are made). */
static void dump(uint32_t frame, const cl_result *r)
{
    printf("%u conv=%u cause=%d/%u experts=%x/%x first=%d copy=%u replaced=%d withdrawn=%d/%u", frame, r->conv_id,
           r->cause, r->confidence, r->experts, r->verdict_experts, r->first_verdict, r->copy_of, r->replaced,
           r->withdrawn, r->withdrawn_frame);
    dump_text("summary", r->summary);
    for (unsigned i = 0; r->evidence && i < r->evidence->len; i++)
        printf("%s%u", i ? "," : " evidence=", g_array_index(r->evidence, uint32_t, i));
    dump_text("note", r->note);
    dump_numbers("num", r->num);
    dump_numbers("verdict_num", r->verdict_num);
    if (r->has_dupack)
        printf(" dupack=%u/%u", r->dupack_count, r->dupack_first);
    dump_str("frag_lost", r->frag_lost_ids);
    printf(" lost_here=%u", r->frag_lost_here);
    dump_str("keepalive", r->keepalive);
    dump_str("rst", r->rst_origin);
    if (r->rst_origin)
        printf(" ttl=%u/%u answers=%u delay=%.9f min=%.9f", r->rst_ttl, r->rst_ttl_expected, r->rst_answers,
               r->rst_delay, r->rst_min_delay);
    if (r->rpc)
        dump_rpc(r->rpc);
    printf("\n");
}

static uint32_t swapped(uint32_t v, bool swap) { return swap ? __builtin_bswap32(v) : v; }

int main(int argc, char **argv)
{
    bool dumping = argc > 1 && !strcmp(argv[1], "--dump");
    if (dumping) {
        argv++;
        argc--;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: replay [--dump] CAPTURE.pcap [FRAMES]\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    uint32_t hdr[6];
    if (!in || fread(hdr, 4, 6, in) != 6) {
        fprintf(stderr, "replay: cannot read %s\n", argv[1]);
        return 2;
    }
    bool swap = hdr[0] == __builtin_bswap32(PCAP_MAGIC_US) || hdr[0] == __builtin_bswap32(PCAP_MAGIC_NS);
    uint32_t magic = swapped(hdr[0], swap);
    if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
        fprintf(stderr, "replay: %s is not a classic pcap file (editcap -F pcap)\n", argv[1]);
        return 2;
    }
    double tick = magic == PCAP_MAGIC_NS ? 1e-9 : 1e-6;
    cl_link link = link_of(swapped(hdr[5], swap) & 0xffff);
    unsigned long limit = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    cl_config cfg;
    cl_config_defaults(&cfg);
    cl_engine *eng = cl_engine_new(&cfg);
    static uint8_t data[MAX_FRAME];
    uint32_t rec[4];
    unsigned long fed = 0;
    unsigned long results = 0;
    while ((!limit || fed < limit) && fread(rec, 4, 4, in) == 4) {
        uint32_t caplen = swapped(rec[2], swap);
        if (caplen > MAX_FRAME || fread(data, 1, caplen, in) != caplen)
            break;
        cl_packet pkt;
        memset(&pkt, 0, sizeof(pkt));
        pkt.frame = (uint32_t)++fed;
        pkt.time = (double)swapped(rec[0], swap) + swapped(rec[1], swap) * tick;
        cl_decode(data, caplen, link, &pkt);
        const cl_result *r = cl_engine_feed(eng, &pkt);
        results += r != NULL;
        if (r && dumping)
            dump(pkt.frame, r);
    }
    if (dumping) {
        char *report = cl_engine_report(eng, NULL);
        printf("%s", report);
        g_free(report);
    }
    printf("replay: %lu frames fed, %lu with a result, state %zu bytes, results %zu bytes\n", fed, results,
           cl_engine_state_bytes(eng), cl_engine_result_bytes(eng));
    cl_engine_free(eng);
    fclose(in);
    return 0;
}
