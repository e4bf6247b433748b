/* Adversarial floods against the memory caps: a million distinct conversations, a million RSTs, a million
 * fragments that never complete, ten thousand MAPI users. The engine's own count must stay within
 * max_state_mb / max_results_mb, and so must the heap it really holds (glibc's mallinfo2, skipped under
 * AddressSanitizer, which has its own allocator). Also prints what one open conversation really costs.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "check.h"

#include <malloc.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define HEAP_MEASURED 0
#else
#define HEAP_MEASURED 1
#endif

#define MIB ((size_t)1 << 20)
#define FLOOD 1000000u

/* Allocated bytes, the mmapped blocks with them: glibc serves a large block (a hash table's array) by mmap or
 * from the heap depending on what earlier tests freed (its mmap threshold moves), and either counts. */
static size_t heap_in_use(void)
{
    if (!HEAP_MEASURED)
        return 0;
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* Client i of the flood: a distinct address and port (2^32 combinations). */
static cl_packet tcp_packet(uint32_t i, uint8_t flags, uint32_t frame, double time)
{
    cl_packet p = {0};
    p.frame = frame;
    p.time = time;
    p.has_ip = true;
    p.ip.src = v4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
    p.ip.dst = v4(192, 0, 2, 1);
    p.ip.proto = 6;
    p.ip.ttl = 64;
    p.ip.df = true;
    p.ip.total_len = 52;
    p.has_tcp = true;
    p.sport = (uint16_t)(1024 + (i >> 24));
    p.dport = 443;
    p.wscale = -1;
    p.tcp_flags = flags;
    p.seq = 1000 + i;
    p.ack = flags & CL_TCP_ACK ? 5000 : 0;
    p.window = 64000;
    return p;
}

/* Counts the results that say a cap was reached. */
static unsigned cap_notes(const cl_result *r) { return r && (r->experts & CL_EXP_TABLE_FULL) && r->note ? 1 : 0; }

/* A million SYNs from distinct clients, with the conversation bound out of the way: the byte cap alone
 * must hold, evicting the least recently active conversations, and say so once. */
static void test_conversation_flood(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.max_conversations = 10 * FLOOD;
    cfg.max_state_mb = 16;
    cl_engine *eng = cl_engine_new(&cfg);
    size_t heap0 = heap_in_use(), peak_state = 0, peak_heap = 0;
    unsigned notes = 0;
    for (uint32_t i = 0; i < FLOOD; i++) {
        cl_packet p = tcp_packet(i, CL_TCP_SYN, i + 1, 1000 + i * 1e-5);
        notes += cap_notes(cl_engine_feed(eng, &p));
        if (i % 4096 == 0) {
            peak_state = MAX(peak_state, cl_engine_state_bytes(eng));
            peak_heap = MAX(peak_heap, heap_in_use() - heap0);
        }
    }
    printf("conversation flood: %u SYNs, state peak %.1f MiB (cap 16), heap peak %.1f MiB\n", FLOOD,
           peak_state / (double)MIB, peak_heap / (double)MIB);
    CHECK(peak_state <= cfg.max_state_mb * MIB);
    CHECK(cl_engine_charges_exact(eng)); /* each conversation counted at what it holds */
    CHECK(notes == 1);
    CHECK(!HEAP_MEASURED || peak_heap <= cfg.max_state_mb * MIB * 3 / 2); /* hash table buckets and malloc slack */
    /* the newest conversations are still there: a SYN-ACK to the last client is no new conversation's */
    cl_packet p = tcp_packet(FLOOD - 1, CL_TCP_SYN | CL_TCP_ACK, FLOOD + 1, 1000 + FLOOD * 1e-5);
    cl_addr a = p.ip.src;
    p.ip.src = p.ip.dst, p.ip.dst = a;
    uint16_t port = p.sport;
    p.sport = p.dport, p.dport = port;
    p.seq = 5000, p.ack = 1000 + FLOOD;
    cl_engine_feed(eng, &p);
    CHECK(cl_engine_state_bytes(eng) <= cfg.max_state_mb * MIB);
    cl_engine_free(eng);
}

/* A million RSTs, each ending a connection of its own: every one gets a result (who sent it), so the
 * results cap must stop them, say so once, and the report must say it is incomplete. */
static void test_rst_flood(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.max_results_mb = 8;
    cfg.max_state_mb = 16;
    cl_engine *eng = cl_engine_new(&cfg);
    size_t heap0 = heap_in_use(), peak_heap = 0;
    unsigned notes = 0, kept = 0, after_full = 0;
    uint32_t frame = 0;
    for (uint32_t i = 0; i < FLOOD; i++) {
        cl_packet p = tcp_packet(i, CL_TCP_RST | CL_TCP_ACK, ++frame, 2000 + i * 1e-5);
        const cl_result *r = cl_engine_feed(eng, &p);
        /* the state cap may speak too (the RSTs' conversations linger): only the results cap's note counts here */
        bool results_note = cap_notes(r) && strstr(note_of(r), "max_results_mb");
        notes += results_note;
        kept += r != NULL;
        after_full += r && notes && !results_note;
        if (i % 4096 == 0)
            peak_heap = MAX(peak_heap, heap_in_use() - heap0);
    }
    printf("RST flood: %u RSTs, %u kept a result, results %.1f MiB (cap 8), state cap 16 MiB, heap peak %.1f MiB\n",
           FLOOD, kept, cl_engine_result_bytes(eng) / (double)MIB, peak_heap / (double)MIB);
    CHECK(notes == 1);
    CHECK(kept > 1000 && kept < FLOOD);
    CHECK(after_full == 0);
    CHECK(cl_engine_charges_exact(eng)); /* each conversation counted at what it holds */
    CHECK(cl_engine_result_bytes(eng) <= cfg.max_results_mb * MIB + 4096);
    CHECK(!HEAP_MEASURED || peak_heap <= (cfg.max_results_mb + cfg.max_state_mb) * MIB * 3 / 2);
    char *report = cl_engine_report(eng, NULL);
    CHECK(strstr(report, "incomplete: results reached connlost.max_results_mb = 8 MiB") != NULL);
    g_free(report);
    cl_engine_free(eng);
}

/* A million first fragments whose other fragments never come: the datagram bound and the byte cap hold;
 * the expired ones are declared lost, as they should be. */
static void test_fragment_flood(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.max_fragments = 10 * FLOOD;
    cfg.max_state_mb = 8;
    cfg.max_results_mb = 64;
    cl_engine *eng = cl_engine_new(&cfg);
    size_t peak_state = 0;
    unsigned notes = 0;
    for (uint32_t i = 0; i < FLOOD; i++) {
        cl_packet p = {0};
        p.frame = i + 1;
        p.time = 3000 + i * 1e-4;
        p.has_ip = true;
        p.ip.src = v4(10, 9, (uint8_t)(i >> 24), (uint8_t)(i >> 16));
        p.ip.dst = v4(192, 0, 2, 2);
        p.ip.proto = 17;
        p.ip.id = i & 0xffff;
        p.ip.is_fragment = p.ip.more_fragments = true;
        p.ip.payload_len = 1480;
        p.ip.total_len = 1500;
        p.sport = 5000, p.dport = 6000;
        notes += cap_notes(cl_engine_feed(eng, &p));
        if (i % 4096 == 0)
            peak_state = MAX(peak_state, cl_engine_state_bytes(eng));
    }
    printf("fragment flood: %u first fragments, state peak %.1f MiB (cap 8)\n", FLOOD, peak_state / (double)MIB);
    CHECK(peak_state <= cfg.max_state_mb * MIB);
    CHECK(cl_engine_charges_exact(eng)); /* each conversation counted at what it holds */
    CHECK(notes >= 1);
    cl_engine_free(eng);
}

/* What an open conversation really holds on the heap: 100 000 connections with a handshake and a request
 * in flight, none closed. */
static void test_bytes_per_conversation(void)
{
    if (!HEAP_MEASURED)
        return;
    enum { N = 100000 };
    cl_config cfg;
    cl_config_defaults(&cfg);
    cl_engine *eng = cl_engine_new(&cfg);
    size_t heap0 = heap_in_use();
    uint32_t frame = 0;
    for (uint32_t i = 0; i < N; i++) {
        double t = 4000 + i * 1e-4;
        cl_packet p = tcp_packet(i, CL_TCP_SYN, ++frame, t);
        cl_engine_feed(eng, &p);
        p = tcp_packet(i, CL_TCP_ACK | CL_TCP_PSH, ++frame, t + 2e-5);
        p.seq = 1001 + i, p.tcp_len = 200, p.ip.total_len = 252;
        cl_engine_feed(eng, &p);
    }
    size_t per = (heap_in_use() - heap0) / N;
    size_t counted = cl_engine_state_bytes(eng) / N;
    printf("open conversations: %zu bytes of heap each, %zu each as counted against max_state_mb\n", per, counted);
    /* the cap holds the heap when it counts what the heap holds: within 5 % (the hash table's array, malloc's
     * rounding); and a conversation stays near a kilobyte */
    CHECK(per <= counted + counted / 20);
    CHECK(counted <= 1100);
    CHECK(cl_engine_charges_exact(eng)); /* each conversation counted at what it holds */
    cl_engine_free(eng);
}

int main(void)
{
    test_conversation_flood();
    test_rst_flood();
    test_fragment_flood();
    test_bytes_per_conversation();
    printf("flood checks: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
