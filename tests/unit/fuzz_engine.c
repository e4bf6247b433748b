/* libFuzzer harness for the engine, doing what the glue does over a capture: both passes, and the report.
 *
 * The input is the preferences, then a run of captured frames:
 *   1 byte N, then N preference controls, one per preference in cl_config_each_pref() order (those past N
 *   keep the harness defaults: the engine's, with small table bounds so that evictions happen). A control
 *   byte c draws the preference from its documented [min, max]:
 *     c < 0x40  the harness default        c < 0x80  min + (c & 0x3f)        c < 0xc0  max - (c & 0x3f)
 *     c < 0xe0  4 more bytes v (little endian): min + v mod (max - min + 1), anywhere in the range
 *     else      4 more bytes v, as they are: out of range too, which the engine must clamp
 *   Then per frame: 1 byte link type (low 6 bits: cl_link, modulo their number; bit 0x80: a clock jump of
 *   the step times 10000 s, far ahead or back; bit 0x40: the clock is set to 0 if the step is negative, else
 *   to 2^32 s), 2 bytes length (little endian), 1 byte time step (signed, 50 ms units: time may go backwards),
 *   then the frame's bytes.
 * The first pass decodes and feeds the frames in order and copies each result the engine returns. Then, as the
 * later passes and the GUI do: every frame is decoded again and its conversation's diagnosis looked up (as
 * tshark -2 does), the capture report is written, whole and limited to some conversations, and every result is
 * checked to be what it was when its frame was fed: a frame's result never changes after its frame (the glue
 * keeps the pointer and draws it on every pass). A mismatch or a broken lookup abort()s.
 * Deterministic (no clock, no randomness) and bounded (at most MAX_FRAMES frames).
 * Build: cmake -S . -B build-fuzz -DCONNLOST_FUZZER=ON -DCMAKE_C_COMPILER=clang && cmake --build build-fuzz --target
 * fuzz_engine Run:   build-fuzz/fuzz_engine -max_total_time=60 CORPUS_DIR   (tests/unit/fuzz-corpus makes a corpus)
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 2000
#define MAX_PREFS 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const cl_pref *prefs[MAX_PREFS];
static size_t n_prefs;

static void collect(const cl_pref *p, void *data)
{
    (void)data;
    if (n_prefs < MAX_PREFS)
        prefs[n_prefs++] = p;
}

static void harness_defaults(cl_config *cfg)
{
    cl_config_defaults(cfg);
    cfg->max_conversations = 16;
    cfg->max_segments = 16;
    cfg->max_fragments = 16;
    cfg->max_pairs = 4;
    cfg->idle_min_ms = 100;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* The preferences from the head of the input; returns the bytes read. */
static size_t draw_config(const uint8_t *data, size_t size, cl_config *cfg)
{
    harness_defaults(cfg);
    if (!size)
        return 0;
    size_t off = 1, n = data[0];
    for (size_t i = 0; i < n && i < n_prefs && off < size; i++) {
        const cl_pref *p = prefs[i];
        unsigned *v = cl_pref_field(cfg, p);
        uint8_t c = data[off++];
        uint64_t span = (uint64_t)p->max - p->min + 1;
        if (c < 0x40)
            continue;
        if (c < 0x80) {
            *v = p->min + (c & 0x3fu) > p->max ? p->max : p->min + (c & 0x3fu);
        } else if (c < 0xc0) {
            *v = p->max - p->min < (c & 0x3fu) ? p->min : p->max - (c & 0x3fu);
        } else if (off + 4 <= size) {
            uint32_t raw = le32(data + off);
            off += 4;
            *v = c < 0xe0 ? (unsigned)(p->min + raw % span) : raw;
        }
    }
    return off;
}

/* Where each frame is in the input, to decode it again on the later passes, and its result as first returned. */
typedef struct {
    size_t off, len;
    cl_link link;
    double time;
    const cl_result *r; /* the pointer the glue keeps */
    cl_result copy;     /* its fields when returned; the owned ones below deep */
    char *summary, *note, *frag_lost_ids;
    cl_numbers num, verdict_num; /* copies of *num and *verdict_num, when has_num and has_verdict_num */
    bool has_num, has_verdict_num;
    GArray *evidence;
    cl_rpc_info rpc;
} frame_rec;

static frame_rec frames[MAX_FRAMES];

static void keep(frame_rec *f, const cl_result *r)
{
    f->r = r;
    if (!r)
        return;
    f->copy = *r;
    f->summary = cl_text_string(r->summary);
    f->note = cl_text_string(r->note);
    f->has_num = r->num != NULL;
    if (r->num)
        f->num = *r->num;
    f->has_verdict_num = r->verdict_num != NULL;
    if (r->verdict_num)
        f->verdict_num = *r->verdict_num;
    f->frag_lost_ids = g_strdup(r->frag_lost_ids);
    f->evidence = NULL;
    if (r->evidence) {
        f->evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        g_array_append_vals(f->evidence, r->evidence->data, r->evidence->len);
    }
    if (r->rpc)
        f->rpc = *r->rpc;
}

static void drop(frame_rec *f)
{
    g_free(f->summary);
    g_free(f->note);
    g_free(f->frag_lost_ids);
    if (f->evidence)
        g_array_free(f->evidence, TRUE);
    memset(f, 0, sizeof(*f));
}

static bool same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

#define SAME(a, b) (memcmp(&(a), &(b), sizeof(a)) == 0) /* bitwise: a NaN is itself */
#define NUM_ROW(id, member, ...)                                                                                       \
    if (!SAME(a->member, b->member))                                                                                   \
        return "numbers." #member;
static const char *numbers_differ(const cl_numbers *a, const cl_numbers *b)
{
    if (a->has != b->has)
        return "numbers.has";
    CL_NUMBERS(NUM_ROW)
    return NULL;
}
#undef NUM_ROW

#define FIELD(f)                                                                                                       \
    if (!SAME(a->f, b->f))                                                                                             \
    return #f
#define TEXT(f)                                                                                                        \
    if (!same_str(a->f, b->f))                                                                                         \
    return #f
static const char *rpc_differs(const cl_rpc_info *a, const cl_rpc_info *b)
{
    TEXT(ptype);
    TEXT(interface);
    FIELD(interface_source);
    FIELD(source_frame);
    TEXT(bind_result);
    FIELD(opnum);
    TEXT(op);
    FIELD(has_fault);
    FIELD(fault);
    TEXT(auth);
    TEXT(auth_user);
    TEXT(mapi_op);
    TEXT(mapi_user);
    FIELD(has_sessions);
    FIELD(sessions);
    FIELD(client_sessions);
    FIELD(limit);
    FIELD(lower_bound);
    FIELD(has_error);
    FIELD(error);
    FIELD(leaked);
    FIELD(burst);
    return NULL;
}

/* What of the frame's result is not what it was when its frame was fed, NULL if nothing. */
static const char *result_differs(const frame_rec *f)
{
    const cl_result *a = f->r, *b = &f->copy;
    FIELD(conv_id);
    FIELD(cause);
    FIELD(confidence);
    FIELD(experts);
    FIELD(verdict_experts);
    FIELD(first_verdict);
    FIELD(copy_of);
    FIELD(replaced);
    FIELD(withdrawn);
    FIELD(withdrawn_frame);
    FIELD(has_dupack);
    FIELD(dupack_count);
    FIELD(dupack_first);
    FIELD(frag_lost_here);
    TEXT(keepalive);
    TEXT(rst_origin);
    FIELD(rst_ttl);
    FIELD(rst_ttl_expected);
    FIELD(rst_answers);
    FIELD(rst_delay);
    FIELD(rst_min_delay);
    if (!a->num != !f->has_num)
        return "num";
    const char *n = a->num ? numbers_differ(a->num, &f->num) : NULL;
    if (n)
        return n;
    if (!a->verdict_num != !f->has_verdict_num || (a->verdict_num && numbers_differ(a->verdict_num, &f->verdict_num)))
        return "verdict_num";
    char *summary = cl_text_string(a->summary);
    bool same_summary = same_str(summary, f->summary);
    g_free(summary);
    if (!same_summary)
        return "summary";
    char *note = cl_text_string(a->note);
    bool same_note = same_str(note, f->note);
    g_free(note);
    if (!same_note)
        return "note";
    if (!same_str(a->frag_lost_ids, f->frag_lost_ids))
        return "frag_lost_ids";
    if (!a->evidence != !f->evidence ||
        (a->evidence && (a->evidence->len != f->evidence->len ||
                         (a->evidence->len && /* an empty GArray's data may be NULL: no memcmp on it */
                          memcmp(a->evidence->data, f->evidence->data, a->evidence->len * sizeof(uint32_t))))))
        return "evidence";
    if (!a->rpc != !b->rpc)
        return "rpc";
    if (a->rpc)
        return rpc_differs(a->rpc, &f->rpc);
    return NULL;
}
#undef FIELD
#undef TEXT

static void fail(const char *what, uint32_t frame, const char *detail)
{
    fprintf(stderr, "fuzz_engine: %s (frame %u: %s)\n", what, frame, detail);
    abort();
}

static void check_results(uint32_t n, const char *when)
{
    for (uint32_t i = 0; i < n; i++) {
        const char *d = frames[i].r ? result_differs(&frames[i]) : NULL;
        if (d) {
            char what[96];
            snprintf(what, sizeof(what), "a frame's result changed after its frame, found %s", when);
            fail(what, i + 1, d);
        }
    }
}

static void decode(const uint8_t *data, const frame_rec *f, uint32_t frame, cl_packet *pkt)
{
    memset(pkt, 0, sizeof(*pkt));
    pkt->frame = frame;
    pkt->time = f->time;
    cl_decode(data + f->off, f->len, f->link, pkt);
}

/* The later passes: each frame's conversation verdict, as tshark -2 and the GUI look it up. */
static void second_pass(const cl_engine *eng, const uint8_t *data, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        cl_packet pkt;
        decode(data, &frames[i], i + 1, &pkt);
        uint32_t conv_id = frames[i].r ? frames[i].r->conv_id : 0;
        const cl_diagnosis *d = cl_engine_diagnosis_for(eng, &pkt, conv_id);
        if (!d)
            continue;
        if (d->cause == CL_CAUSE_NONE || d->cause >= CL_CAUSE_COUNT)
            fail("a lookup found a diagnosis without a cause", i + 1, "cause");
        if (conv_id && d->conv_id != conv_id)
            fail("a lookup by conversation found another conversation", i + 1, "conv_id");
        if (!conv_id && (pkt.frame < d->first_frame || pkt.frame > d->last_frame))
            fail("a lookup by ports found a conversation outside its frames", i + 1, "first_frame/last_frame");
        if (d->first_frame < 1 || d->first_frame > d->last_frame || d->last_frame > n || d->verdict_frame < 1 ||
            d->verdict_frame > n)
            fail("a diagnosis names frames that are not in the capture", i + 1, "frames");
        if (cl_engine_diagnosis_for(eng, &pkt, conv_id) != d)
            fail("two lookups of one frame differ", i + 1, "diagnosis");
    }
}

static void reports(const cl_engine *eng, const uint8_t *data, size_t size, uint32_t n)
{
    char *all = cl_engine_report(eng, NULL);
    char *again = cl_engine_report(eng, NULL);
    if (!all || !again || strcmp(all, again) != 0)
        fail("the capture report differs between two calls", n, "report");
    g_free(again);
    g_free(all);
    /* limited to some conversations: the input's last byte chooses which of the frames' conversations */
    GHashTable *only = g_hash_table_new(g_direct_hash, g_direct_equal);
    uint8_t pick = size ? data[size - 1] : 0;
    for (uint32_t i = 0; i < n; i++)
        if (frames[i].r && frames[i].r->conv_id && ((frames[i].r->conv_id + pick) & 1))
            g_hash_table_add(only, GUINT_TO_POINTER(frames[i].r->conv_id));
    g_hash_table_add(only, GUINT_TO_POINTER(UINT32_MAX)); /* a conversation that does not exist */
    g_free(cl_engine_report(eng, only));
    g_hash_table_remove_all(only);
    g_free(cl_engine_report(eng, only)); /* none at all */
    g_hash_table_destroy(only);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!n_prefs)
        cl_config_each_pref(collect, NULL);
    cl_config cfg;
    size_t off = draw_config(data, size, &cfg);
    cl_engine *eng = cl_engine_new(&cfg);
    uint32_t frame = 0;
    double time = 1000;
    while (off + 4 <= size && frame < MAX_FRAMES) {
        uint8_t lb = data[off];
        int8_t step = (int8_t)data[off + 3];
        cl_link link = (cl_link)((lb & 0x3f) % (CL_LINK_NULL + 1));
        size_t len = (size_t)(data[off + 1] | data[off + 2] << 8);
        time += step * 0.05;
        if (lb & 0x80)
            time += step * 10000.0;
        if (lb & 0x40)
            time = step < 0 ? 0 : 4294967296.0;
        off += 4;
        if (len > size - off)
            len = size - off;
        frame_rec *f = &frames[frame];
        f->off = off;
        f->len = len;
        f->link = link;
        f->time = time;
        cl_packet pkt;
        decode(data, f, ++frame, &pkt);
        keep(f, cl_engine_feed(eng, &pkt));
        if (!cl_engine_charges_exact(eng)) /* a slot changed without cl_conv_resized() */
            fail("a conversation is counted at less or more than it holds", frame, "charges");
        off += len;
    }
    check_results(frame, "at the end of the first pass");
    second_pass(eng, data, frame);
    reports(eng, data, size, frame);
    check_results(frame, "after the later passes and the report");
    cl_engine_free(eng);
    for (uint32_t i = 0; i < frame; i++)
        drop(&frames[i]);
    return 0;
}
