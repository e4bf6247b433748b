/* One cause per conversation: findings compete and the deepest explanation wins (the rank is the row order
 * of CL_CAUSES); the verdict owns its summary, evidence and numbers. Diagnosed conversations are kept for the
 * report and for the later passes after the conversation itself is forgotten.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_VERDICT_H
#define CONNLOST_VERDICT_H

#include "result.h"

/* A conversation with a verdict, kept for the capture report. */
typedef struct {
    uint32_t conv_id;
    cl_addr client, server;
    uint16_t client_port, server_port;
    uint32_t first_frame, last_frame, verdict_frame;
    double start, end; /* absolute seconds */
    cl_cause cause;
    uint8_t confidence;
    cl_text *summary; /* formatted when read (text.h) */
    cl_numbers num;
} cl_diagnosis;

typedef struct {
    cl_convs *convs;                    /* the clock */
    cl_results *results;                /* diagnoses are counted with them */
    size_t slot;                        /* offset of the verdict's slot in each conversation */
    GPtrArray *diagnoses;               /* cl_diagnosis*, in the order of their first verdict */
    GHashTable *by_id;                  /* conversation number -> cl_diagnosis* */
    GHashTable *by_tuple;               /* cl_tuple* -> GPtrArray of cl_diagnosis* (ports reused over time) */
    uint32_t ordinary_closes[2];        /* RSTs that ended a finished exchange, by the client [0] and the server [1] */
    uint32_t withdrawn[CL_CAUSE_COUNT]; /* verdicts later disproved, by cause */
} cl_verdicts;

typedef struct cl_finding cl_finding;

/* The per-conversation slot the verdict keeps. */
size_t cl_verdict_slot_size(void);
void cl_verdicts_init(cl_verdicts *v, cl_convs *convs, cl_results *results, size_t slot);
void cl_verdicts_free(cl_verdicts *v);
void cl_verdict_slot_free(cl_verdicts *v, cl_conv *conv);
size_t cl_verdict_slot_bytes(const cl_verdicts *v, const cl_conv *conv);

/* Takes the finding as the verdict if it is a deeper cause, or the same one at least as sure; true when that
 * is worth showing again on this frame (anything but a rewording). */
bool cl_verdict_offer(cl_verdicts *v, cl_conv *conv, cl_finding *f);
/* Shows the verdict on this frame and records it for the report. */
void cl_verdict_show(cl_verdicts *v, cl_conv *conv, cl_frame *f);
cl_cause cl_verdict_cause(const cl_verdicts *v, const cl_conv *conv);
/* Adds to the verdict's summary what another analysis knows it cost; shown where the verdict is next shown. */
void cl_verdict_amend(cl_verdicts *v, cl_conv *conv, const char *text);
/* This frame disproves the conversation's verdict of `cause` (if that is its verdict): the frame says so, the
 * conversation has no verdict any more, and the report counts it as withdrawn. `why` is the frame's note, a
 * printf format (a string literal) with its arguments. */
void cl_verdict_withdraw(cl_verdicts *v, cl_conv *conv, cl_cause cause, cl_frame *f, const char *why, ...)
    G_GNUC_PRINTF(5, 6);
/* A RST ended a finished exchange: no failure, counted for the report. */
void cl_verdict_ordinary_close(cl_verdicts *v, int side);
/* The conversation's frame went by: its diagnosis, if any, now ends there. */
void cl_verdict_seen(cl_verdicts *v, cl_conv *conv, const cl_packet *pkt);
/* After the first pass: the verdict of the conversation a frame belongs to. */
const cl_diagnosis *cl_verdicts_lookup(const cl_verdicts *v, const cl_packet *pkt, uint32_t conv_id);

#endif
