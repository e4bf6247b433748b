/* A side's segments in flight: a ring (capacity a power of two) in sequence order.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "segments.h"

#define RING_FIRST_CAP 4 /* request/response traffic rarely has more in flight */
#define RING_KEEP_CAP 64 /* an emptied ring bigger than this is freed: bulk transfers come and go */

/* Unacknowledged segments live in a ring (capacity a power of two) in sequence order: pushed at the
 * tail as new data leaves, popped at the head as it is acknowledged, found by binary search when sent
 * again. No allocation per segment, no hash table per connection. */
segment *cl_seg_at(const segments *q, uint32_t i) { return &q->buf[(q->head + i) & (q->cap - 1)]; }

segment *cl_seg_push(segments *q)
{
    if (q->count == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : RING_FIRST_CAP;
        segment *buf = g_new(segment, cap);
        for (uint32_t i = 0; i < q->count; i++)
            buf[i] = *cl_seg_at(q, i);
        g_free(q->buf);
        q->buf = buf;
        q->head = 0;
        q->cap = cap;
    }
    return cl_seg_at(q, q->count++);
}

void cl_seg_pop(segments *q)
{
    segment *seg = cl_seg_at(q, 0);
    if (seg->frames)
        g_array_free(seg->frames, TRUE);
    q->head = (q->head + 1) & (q->cap - 1);
    if (--q->count == 0 && q->cap > RING_KEEP_CAP) {
        g_free(q->buf);
        *q = (segments){0};
    }
}

/* Sequence numbers rise from the head: compare their distances from it. */
segment *cl_seg_find(const segments *q, uint32_t seq)
{
    if (!q->count)
        return NULL;
    uint32_t base = cl_seg_at(q, 0)->seq, want = seq - base, lo = 0, hi = q->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (cl_seg_at(q, mid)->seq - base < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < q->count && cl_seg_at(q, lo)->seq == seq ? cl_seg_at(q, lo) : NULL;
}

uint32_t cl_seg_index_after(const segments *q, uint32_t seq)
{
    if (!q->count)
        return 0;
    uint32_t base = cl_seg_at(q, 0)->seq, want = seq - base, lo = 0, hi = q->count;
    if (SEQ_LT(seq, base))
        return 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const segment *seg = cl_seg_at(q, mid);
        if (seg->seq + seg->len - base <= want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Frees the segments in flight, which only a live connection needs. */
void cl_segs_clear(segments *q)
{
    while (q->count)
        cl_seg_pop(q);
    g_free(q->buf);
    *q = (segments){0};
}
