/* What the engine's unit tests share: the pass/fail count and an IPv4 address maker.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_TEST_CHECK_H
#define CONNLOST_TEST_CHECK_H

#include "engine.h"

#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (cond)                                                                                                      \
            passed++;                                                                                                  \
        else {                                                                                                         \
            failed++;                                                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                            \
        }                                                                                                              \
    } while (0)

/* Feeds one packet, then checks that every conversation is counted at what it holds: a slot that changed
 * without cl_conv_resized() shows as a failure on the frame where it did. */
static inline const cl_result *feed_checked(cl_engine *eng, const cl_packet *pkt)
{
    const cl_result *r = cl_engine_feed(eng, pkt);
    if (!cl_engine_charges_exact(eng)) {
        failed++;
        fprintf(stderr, "FAIL: a conversation's memory count is stale after frame %u\n", pkt->frame);
    }
    return r;
}

/* A kept text, formatted (the engine formats only when read: text.h): valid until the fourth call after. */
static inline const char *text_of(const cl_text *t)
{
    static char *kept[4];
    static unsigned next;
    if (!t)
        return NULL;
    g_free(kept[next % 4]);
    kept[next % 4] = cl_text_string(t);
    return kept[next++ % 4];
}

static inline const char *summary_of(const cl_result *r) { return r ? text_of(r->summary) : NULL; }
static inline const char *note_of(const cl_result *r) { return r ? text_of(r->note) : NULL; }

static inline cl_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    cl_addr x = {.family = 4, .bytes = {a, b, c, d}};
    return x;
}

#endif
