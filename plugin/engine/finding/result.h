/* What a frame shows: the per-frame result the analyses fill in, made on first use and kept for every pass,
 * within connlost.max_results_mb; and the texts results point to, interned.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_RESULT_H
#define CONNLOST_RESULT_H

#include "conv.h"
#include "kinds.h"
#include "text.h"

/* Lists of IP IDs and frames in results and summaries stop after this many. */
#define CL_MAX_IDS_SHOWN 32

/* How connlost knows a call's interface. */
enum {
    CL_SOURCE_NONE,
    CL_SOURCE_BIND,          /* the bind of this connection */
    CL_SOURCE_EPM,           /* no bind seen: an EPM ept_map answer named the endpoint */
    CL_SOURCE_ENDPOINT_BIND, /* no bind seen: a bind on another connection to the endpoint */
};

/* DCE/RPC and MAPI seen in a frame (the PDUs that end in it). Strings are interned. */
typedef struct {
    const char *ptype;        /* PDU type(s), e.g. "bind" or "request" */
    const char *interface;    /* interface (or the interfaces a bind proposes) */
    uint8_t interface_source; /* CL_SOURCE_*: how connlost knows the interface */
    uint32_t source_frame;    /* the bind or EPM answer that taught it */
    const char *bind_result;  /* per presentation context, or the bind_nak reason */
    int32_t opnum;            /* -1 if none */
    const char *op;           /* operation name, NULL if unknown */
    bool has_fault;
    uint32_t fault;
    const char *auth;      /* authentication type and level of a bind or auth3 */
    const char *auth_user; /* NTLM DOMAIN\user of an AUTHENTICATE message */
    const char *mapi_op;
    const char *mapi_user;
    bool has_sessions;
    uint32_t sessions;        /* sessions the user holds after this frame */
    uint32_t client_sessions; /* sessions the client address holds */
    uint32_t limit;
    bool lower_bound; /* connections began before the capture: counts may be low */
    bool has_error;
    uint32_t error;  /* MAPI return code of a refused logon */
    uint32_t leaked; /* sessions found leaked on this frame */
    uint32_t burst;  /* logons of this client within the burst window, when they make a burst */
} cl_rpc_info;

typedef struct {
    uint32_t frame;          /* the frame it belongs to */
    uint32_t conv_id;        /* connlost's own conversation number, 0 if none */
    cl_cause cause;          /* CL_CAUSE_NONE when the frame carries no verdict */
    uint8_t confidence;      /* 0-100, with cause */
    cl_text *summary;        /* with cause */
    GArray *evidence;        /* uint32_t frame numbers, with cause */
    uint32_t experts;        /* CL_EXP_* */
    cl_text *note;           /* a non-verdict observation (ICMP seen, PMTUD works, ...), formatted when read */
    cl_numbers *num;         /* numbers about this frame itself, NULL if none (cl_result_num makes them) */
    cl_numbers *verdict_num; /* numbers of the verdict, with cause (NULL without): they win over num when drawn */
    uint32_t verdict_experts;
    bool first_verdict;       /* the first frame that shows its conversation's verdict: where counts count it */
    uint32_t copy_of;         /* a capture duplicate: the frame it repeats, 0 if none */
    cl_cause replaced;        /* the conversation's earlier cause that this frame's deeper verdict replaces */
    cl_cause withdrawn;       /* a verdict this frame disproves, CL_CAUSE_NONE if none */
    uint32_t withdrawn_frame; /* the frame that had shown it */

    bool has_dupack;
    uint32_t dupack_count, dupack_first;
    char *frag_lost_ids;     /* IP IDs declared lost on this frame (the first few) */
    uint32_t frag_lost_here; /* how many were declared lost on this frame */
    const char *keepalive;   /* "probe" or "ack" on a TCP keep-alive and its answer */

    const char *rst_origin; /* who sent this RST: client, server, middlebox or unknown; NULL on other frames */
    uint8_t rst_ttl, rst_ttl_expected;
    uint32_t rst_answers; /* the other side's packet this RST came after, 0 if none */
    double rst_delay;     /* time since that packet */
    double rst_min_delay; /* fastest the claimed sender ever answered the other side, < 0 if unknown */

    cl_rpc_info *rpc; /* NULL on frames without DCE/RPC */
} cl_result;

/* Every result handed out, and what they hold, within the cap. */
typedef struct {
    GPtrArray *list;   /* in frame order */
    GPtrArray *blocks; /* where the results lie: one allocation holds hundreds (a malloc each cost ~250) */
    size_t block_used; /* bytes of the last block taken */
    unsigned cursor;   /* where the last lookup by frame ended: later passes ask in frame order */
    size_t bytes;
    size_t cap;
    unsigned cap_mb;
    uint32_t full_frame; /* the frame on which the cap was reached, 0 if not */
    uint32_t frame;      /* the frame being analysed */
    cl_result scratch;   /* a frame's result once results are full: dropped at the next frame */
    GStringChunk *strings;
    GHashTable *interned;
} cl_results;

void cl_results_init(cl_results *rs, unsigned cap_mb);
void cl_results_free(cl_results *rs);
/* At the start of a frame. */
void cl_results_next(cl_results *rs, uint32_t frame);
/* The result kept for a frame, NULL if none: after the first pass, in place of Wireshark's per-frame data (a
 * list per frame, about 300 instructions to add to). Lookups in frame order cost a step or two. */
const cl_result *cl_results_at(cl_results *rs, uint32_t frame);
/* Counts the frame's result; the frame that reaches the cap says so. False if the frame keeps nothing. */
bool cl_results_keep(cl_results *rs, cl_result *r, uint32_t frame);
/* The text, interned: it lives as long as the results. NULL once they are full and the text is new. */
const char *cl_intern(cl_results *rs, const char *text);
/* Bytes counted against the cap of whatever else the results keep (the diagnoses). False once full. */
bool cl_results_charge(cl_results *rs, size_t bytes);

/* The frame being analysed: its result is made on first use. */
typedef struct {
    cl_results *results;
    cl_result *res;
} cl_frame;

cl_result *cl_result_for(cl_frame *f, const cl_conv *conv);
/* The frame's own numbers, made on first use: most results have none (a RST's origin, a keep-alive, a call). */
cl_numbers *cl_result_num(cl_result *r);
cl_rpc_info *cl_rpc_info_for(cl_frame *f, const cl_conv *conv);
/* Says a note on the frame, after an earlier one ("; " between them). `format` must be a string literal. */
void cl_result_say(cl_result *r, const char *format, ...) G_GNUC_PRINTF(2, 3);
void cl_result_vsay(cl_result *r, const char *format, va_list ap) G_GNUC_PRINTF(2, 0);
/* A table bound was reached: say so on this frame. */
void cl_note_table_full(cl_frame *f, const cl_lru *table);

#endif
