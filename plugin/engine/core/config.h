/* Thresholds and bounds: every one is a Wireshark preference. The fields are stored here; each is declared
 * (name, text, default, range) in the preference table of the part of the engine that uses it.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_CONFIG_H
#define CONNLOST_CONFIG_H

#include <stddef.h>

typedef struct {
    unsigned pmtud_min_sends;   /* transmissions of one big segment, unacked, that count as "repeatedly lost" */
    unsigned pmtud_stall_ms;    /* receiver side: a gap unfilled this long is a stall */
    unsigned dupack_chain;      /* duplicate ACKs that make a chain worth an expert info */
    unsigned frag_min_lost;     /* incomplete datagrams before fragment-loss is a cause */
    unsigned frag_grace_ms;     /* a datagram overtaken by a complete one is lost after this */
    unsigned frag_timeout_s;    /* a datagram still incomplete after this is lost */
    unsigned max_conversations; /* table bound */
    unsigned max_segments;      /* outstanding segments tracked per direction */
    unsigned max_fragments;     /* pending datagrams tracked in all */
    unsigned idle_min_ms;       /* a silence this long with nothing outstanding is an idle gap */
    unsigned drop_min_retrans;  /* unanswered retransmissions after an idle gap that make it an idle-drop */
    unsigned rto_min_retrans;   /* unanswered retransmissions before the end that make a retransmission-timeout */
    unsigned rst_ttl_tolerance; /* hops a RST's TTL may differ from its endpoint's own packets */
    unsigned period_min_count;  /* disconnects of one client/server pair before a period is named */
    unsigned period_jitter_pct; /* spread of the intervals (standard deviation, % of the mean) still periodic */
    unsigned max_pairs;         /* client/server pairs tracked for idle timeouts and periods */
    unsigned reset_linger_s;    /* a reset conversation is kept this long for the packets that cross its RST */
    unsigned mapi_limit;        /* MAPI sessions the server allows one user (Exchange: 32) */
    unsigned mapi_near_pct;     /* sessions held, % of the limit, that raise the near-limit warning */
    unsigned mapi_burst_count;  /* logons from one client within mapi_burst_s that make a reconnect burst */
    unsigned mapi_burst_s;
    unsigned max_mapi_sessions;  /* MAPI sessions tracked (and as many users and clients) */
    unsigned max_rpc_endpoints;  /* RPC endpoints (address, port) learned from EPM answers and binds */
    unsigned max_state_mb;       /* memory cap (MiB) of the analysis state: conversations, fragments, tables */
    unsigned max_results_mb;     /* memory cap (MiB) of what frames and the report keep: results, diagnoses */
    unsigned connect_syn_min;    /* SYNs of one attempt, none answered, that make a connect-timeout */
    unsigned zero_window_min_ms; /* a receiver window closed this long is a stall worth naming */
} cl_config;

/* One preference: the glue registers it, the engine applies its default and keeps it in range. */
typedef struct {
    const char *name, *title, *description;
    size_t offset;               /* of its field in cl_config */
    unsigned fallback, min, max; /* default, and the range the engine holds it to */
} cl_pref;

#define CL_PREF(field, title, description, fallback, min, max)                                                         \
    {                                                                                                                  \
#field, title, description, offsetof(cl_config, field), fallback, min, max                                     \
    }

static inline unsigned *cl_pref_field(cl_config *cfg, const cl_pref *p)
{
    return (unsigned *)(void *)((char *)cfg + p->offset);
}

#endif
