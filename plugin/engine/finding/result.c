/* Per-frame results and interned texts.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "result.h"

#include <stdarg.h>
#include <string.h>

/* What a result holds; its DCE/RPC part lies in the blocks, but for the scratch result's. */
static void result_clear(cl_result *r, bool rpc_in_blocks)
{
    cl_text_free(r->summary);
    cl_text_free(r->note);
    g_free(r->num);
    g_free(r->verdict_num);
    g_free(r->frag_lost_ids);
    if (!rpc_in_blocks)
        g_free(r->rpc);
    if (r->evidence)
        g_array_free(r->evidence, TRUE);
    memset(r, 0, sizeof(*r));
}

/* Results are never freed one by one: they lie in blocks that go with the results. */
#define CL_RESULT_BLOCK (64 * 1024)

/* `size` zeroed bytes in the blocks, on an 8-byte boundary (a result, a DCE/RPC part: both multiples of 8) */
static void *block_take(cl_results *rs, size_t size)
{
    G_STATIC_ASSERT(sizeof(cl_result) % 8 == 0 && sizeof(cl_rpc_info) % 8 == 0);
    if (!rs->blocks->len || rs->block_used + size > CL_RESULT_BLOCK) {
        g_ptr_array_add(rs->blocks, g_malloc0(CL_RESULT_BLOCK));
        rs->block_used = 0;
    }
    void *at = (char *)g_ptr_array_index(rs->blocks, rs->blocks->len - 1) + rs->block_used;
    rs->block_used += size;
    return at;
}

static void result_free(gpointer p) { result_clear(p, true); }

static size_t result_bytes(const cl_result *r)
{
    return sizeof(*r) + CL_ENTRY_BYTES + cl_text_bytes(r->summary) + cl_text_bytes(r->note) +
           (r->num ? sizeof(*r->num) : 0) + (r->verdict_num ? sizeof(*r->verdict_num) : 0) +
           (r->frag_lost_ids ? strlen(r->frag_lost_ids) + 1 : 0) +
           (r->evidence ? r->evidence->len * sizeof(uint32_t) + CL_ENTRY_BYTES : 0) +
           (r->rpc ? sizeof(*r->rpc) + CL_ENTRY_BYTES : 0);
}

void cl_results_init(cl_results *rs, unsigned cap_mb)
{
    memset(rs, 0, sizeof(*rs));
    rs->list = g_ptr_array_new_with_free_func(result_free);
    rs->blocks = g_ptr_array_new_with_free_func(g_free);
    rs->cap_mb = cap_mb;
    rs->cap = (size_t)cap_mb << 20;
    rs->strings = g_string_chunk_new(4096);
    rs->interned = g_hash_table_new(g_str_hash, g_str_equal);
}

void cl_results_free(cl_results *rs)
{
    g_ptr_array_free(rs->list, TRUE);
    g_ptr_array_free(rs->blocks, TRUE);
    result_clear(&rs->scratch, false);
    g_hash_table_destroy(rs->interned);
    g_string_chunk_free(rs->strings);
}

void cl_results_next(cl_results *rs, uint32_t frame)
{
    rs->frame = frame;
    if (rs->full_frame)
        result_clear(&rs->scratch, false);
}

/* Past the cap frames keep nothing; the frame that reached it says so. */
bool cl_results_keep(cl_results *rs, cl_result *r, uint32_t frame)
{
    if (r == &rs->scratch)
        return false;
    rs->bytes += result_bytes(r);
    if (rs->full_frame || rs->bytes <= rs->cap)
        return true;
    rs->full_frame = frame;
    r->experts |= CL_EXP_TABLE_FULL;
    cl_result_say(r,
                  "connlost keeps at most %u MiB of results (preference connlost.max_results_mb): "
                  "later frames and conversations get no connlost fields",
                  rs->cap_mb);
    return true;
}

static uint32_t frame_at(const cl_results *rs, unsigned i)
{
    return ((const cl_result *)g_ptr_array_index(rs->list, i))->frame;
}

const cl_result *cl_results_at(cl_results *rs, uint32_t frame)
{
    unsigned n = rs->list->len;
    unsigned i = rs->cursor < n ? rs->cursor : 0;
    if (i && frame_at(rs, i - 1) >= frame)
        i = 0; /* behind the last lookup: from the start */
    unsigned lo = i, hi = n;
    if (i + 2 < n && frame_at(rs, i + 2) < frame) { /* not just ahead: halve [i, n) */
        while (lo < hi) {
            unsigned mid = lo + (hi - lo) / 2;
            if (frame_at(rs, mid) < frame)
                lo = mid + 1;
            else
                hi = mid;
        }
    } else {
        while (lo < n && frame_at(rs, lo) < frame)
            lo++;
    }
    rs->cursor = lo;
    return lo < n && frame_at(rs, lo) == frame ? g_ptr_array_index(rs->list, lo) : NULL;
}

bool cl_results_charge(cl_results *rs, size_t bytes)
{
    if (rs->full_frame)
        return false;
    rs->bytes += bytes;
    return true;
}

/* Interned texts belong to the results: counted with them, and none is added once they are full (NULL). */
const char *cl_intern(cl_results *rs, const char *text)
{
    const char *known = g_hash_table_lookup(rs->interned, text);
    if (known)
        return known;
    if (rs->full_frame)
        return NULL;
    char *kept = g_string_chunk_insert(rs->strings, text);
    g_hash_table_add(rs->interned, kept);
    rs->bytes += strlen(kept) + 1 + CL_ENTRY_BYTES;
    return kept;
}

cl_result *cl_result_for(cl_frame *f, const cl_conv *conv)
{
    if (!f->res && f->results->full_frame) {
        f->res = &f->results->scratch; /* the analysis goes on, but the frame keeps nothing */
    } else if (!f->res) {
        f->res = block_take(f->results, sizeof(cl_result));
        f->res->frame = f->results->frame;
        g_ptr_array_add(f->results->list, f->res);
    }
    if (conv && !f->res->conv_id)
        f->res->conv_id = conv->id;
    return f->res;
}

cl_numbers *cl_result_num(cl_result *r)
{
    if (!r->num)
        r->num = g_new0(cl_numbers, 1);
    return r->num;
}

cl_rpc_info *cl_rpc_info_for(cl_frame *f, const cl_conv *conv)
{
    cl_result *r = cl_result_for(f, conv);
    if (!r->rpc) { /* a kept result's lies with it in the blocks; the scratch result's is freed at the next frame */
        r->rpc = r == &f->results->scratch ? g_new0(cl_rpc_info, 1) : block_take(f->results, sizeof(cl_rpc_info));
        r->rpc->opnum = -1;
    }
    return r->rpc;
}

void cl_result_vsay(cl_result *r, const char *format, va_list ap)
{
    if (r->note)
        cl_text_add(r->note, "; ");
    else
        r->note = cl_text_new();
    cl_text_vadd(r->note, format, ap);
}

void cl_result_say(cl_result *r, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    cl_result_vsay(r, format, ap);
    va_end(ap);
}

void cl_note_table_full(cl_frame *f, const cl_lru *table)
{
    cl_result *r = cl_result_for(f, NULL);
    r->experts |= CL_EXP_TABLE_FULL;
    cl_result_say(r, "connlost tracks at most %u %s (preference connlost.%s): %s from here on", table->bound,
                  table->what, table->pref, table->then);
}
