/* Engine internals shared by its source files (not by the glue).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_INTERNAL_H
#define CONNLOST_INTERNAL_H

#include "engine.h"

/* Sequence-space comparisons (RFC 1982 style). */
#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

/* Memory counted against the caps: a hash table entry or list node with the allocator's overhead. */
#define CL_ENTRY_BYTES 48
#define CL_DISCONNECTS_KEPT 64           /* disconnect times per client/server pair: enough for a period */
#define CL_MAX_FRAGMENTS_PER_DATAGRAM 64 /* offsets remembered for duplicate detection */

/* Canonical 5-tuple: the lower (address, port) first. */
typedef struct {
    cl_addr lo, hi;
    uint16_t lo_port, hi_port;
    uint8_t proto;
} cl_tuple;

/* A data segment sent and not yet acknowledged. */
typedef struct {
    uint32_t seq, len;
    uint32_t ip_len; /* size of its latest transmission */
    uint32_t sends;  /* transmissions at that size */
    GArray *frames;  /* their frames, once it is retransmitted (bounded) */
    uint32_t first_frame;
    bool df;
} cl_segment;

/* A side's segments in flight, in sequence order: a ring of `cap` (a power of two) slots (pmtu.c). */
typedef struct {
    cl_segment *buf;
    uint32_t head, count, cap;
} cl_segments;

/* A side's packet sizes sent again and again without an acknowledgement, and the ICMP PTBs about its
 * packets: allocated for the few sides that have them. */
typedef struct {
    uint32_t smallest_lost; /* smallest size sent repeatedly, never acked */
    uint32_t lost_seq;      /* the segment that showed it */
    GArray *lost_frames;    /* its transmissions (bounded) */
    double first_lost_time;
    bool peer_alive_after_loss;    /* the other side sent something after it */
    uint32_t recovered_frame;      /* a smaller size got through after the loss */
    uint32_t icmp_mtu, icmp_frame; /* the latest "fragmentation needed"/"packet too big" */
    bool pmtud_working_noted;
} cl_side_pmtu;

/* What one side of a TCP conversation sent, and what the capture saw of it. Wider fields first within
 * each group, so that little is lost to padding. */
typedef struct {
    cl_segments segs;   /* its data in flight (pmtu.c) */
    cl_side_pmtu *pmtu; /* NULL until a size is lost or an ICMP PTB comes */

    uint32_t window; /* latest receive window it advertised, scaled */
    uint32_t ttl_frame;
    uint32_t next_seq; /* end of the highest data seen from this side */
    uint32_t acked;    /* highest ACK the other side sent for it */
    uint32_t max_ip_sent, max_ip_sent_frame;
    uint32_t largest_acked, largest_acked_frame;
    uint16_t port;
    uint16_t mss; /* MSS this side advertised (limits the other side), 0 if unknown */
    cl_addr addr;
    bool seen;
    int8_t wscale; /* its window scale option, -1 if none seen */
    uint8_t ttl;   /* TTL / hop limit of its latest non-RST packet at the capture point */
    bool timestamps;
    bool has_next;
    bool has_acked;

    /* the capture's own view: a gap in what reached the capture point */
    double progress_time; /* when `contiguous` last moved */
    uint32_t progress_frame;
    uint32_t contiguous; /* every byte below was seen or acked */
    bool has_contiguous;
    bool gap_open; /* data was seen above `contiguous` */

    /* this side's ACKs: duplicate ACK chain */
    bool has_last_ack;
    uint32_t last_ack;
    uint32_t dup_count, dup_first;

    /* liveness (idle.c): what this side sent and whether anyone answered */
    double new_data_time;    /* when the data (or SYN) ending at new_data_end first left */
    double min_answer;       /* fastest this side acknowledged the other's new data, < 0 unknown */
    double unanswered_since; /* time of the first of `unanswered` */
    double last_time;        /* its latest packet */
    uint32_t snd_next;       /* end of everything it sent, SYN and FIN included */
    uint32_t ack_seen;       /* highest ACK the other side sent for it, before the current packet */
    uint32_t new_data_end;
    uint32_t unanswered;                        /* its retransmissions since the other side was last heard */
    uint32_t unanswered_first, unanswered_last; /* their frames */
    uint32_t last_frame;
    uint32_t latest_ack; /* the ACK number of that packet */
    uint32_t rst_frame;  /* latest RST in its name judged its own, 0 if none */
    uint16_t last_ip_id; /* IPv4 ID of its latest non-RST packet */
    uint8_t ip_id_run;   /* consecutive small ID increments: a per-connection counter */
    bool has_snd_next;
    bool fin_sent;
    bool has_ack_seen;
    bool new_data_open;     /* new_data_end not acknowledged yet: its answer time is still to be measured */
    bool keepalive_pending; /* a keep-alive probe not yet answered */
    bool latest_had_ack;
} cl_side;

/* What one analysis found: offered to the conversation's verdict. */
typedef struct {
    const char *cause;
    uint8_t confidence;
    char *summary; /* taken over */
    const uint32_t *evidence;
    unsigned n_evidence;
    cl_numbers num;   /* numbers that go with the verdict */
    uint32_t experts; /* CL_EXP_* of the cause */
} cl_finding;

/* Who a RST came from, relative to the side whose address it carries. */
typedef enum { CL_RST_UNKNOWN, CL_RST_GENUINE, CL_RST_FORGED } cl_rst_origin_t;

typedef struct cl_rpc_conv cl_rpc_conv;

/* A conversation's datagrams declared lost. */
typedef struct {
    uint32_t incomplete;
    uint32_t icmp_frame; /* latest ICMP reassembly timeout about them */
    GString *ids;        /* their IP IDs, for the summary */
    GArray *frames;      /* their first fragments */
} cl_conv_frag;

/* A conversation's verdict so far. */
typedef struct {
    const char *cause;
    uint8_t confidence;
    char *summary;
    GArray *evidence;
    cl_numbers numbers; /* the verdict's numbers */
    uint32_t experts;
} cl_conv_verdict;

typedef struct cl_conv cl_conv;
struct cl_conv {
    cl_side side[2]; /* [0] client (SYN sender, else first sender), [1] server */
    cl_tuple tuple;
    uint32_t id;
    uint32_t first_frame;
    double first_time;
    bool handshake_seen; /* side[0] sent the SYN */
    bool may_fragment;   /* it sent fragments or packets without DF: remembered a while after it is forgotten */
    bool rst_seen;
    uint32_t charged;   /* its bytes as last counted in eng->conv_bytes */
    uint8_t rpc_probes; /* payload segments looked at for a DCE/RPC header so far */

    /* idle gaps and keep-alives (idle.c) */
    double prev_time; /* the conversation's previous TCP packet, either direction */
    double idle_gap;
    double idle_time; /* when the packet after an idle gap came */
    double keepalive_widest;
    uint32_t prev_frame;
    uint32_t idle_end; /* the sequence number that acknowledges it */
    uint32_t idle_frame, idle_start_frame;
    bool idle_open;   /* a packet came after an idle gap and its fate is not known yet */
    int8_t idle_from; /* the side that sent it */
    bool idle_was_keepalive;
    bool keepalive_seen;
    bool disconnect_counted;

    double reset_time;
    GList *lru_link;          /* in eng->conv_order */
    GList *reset_link;        /* in eng->conv_reset once a RST ended it */
    cl_conv_verdict *verdict; /* NULL until a finding is taken (verdict.c) */
    cl_diagnosis *diag;       /* its entry in eng->diagnoses once it has a verdict */
    cl_conv_frag *frag;       /* NULL until one of its datagrams is declared lost (frag.c) */
    cl_rpc_conv *rpc;         /* DCE/RPC state, once its bytes look like DCE/RPC (rpc.c) */
};

/* The conversation's cause so far, NULL if none. */
static inline const char *cl_conv_cause(const cl_conv *conv) { return conv->verdict ? conv->verdict->cause : NULL; }

/* A TCP conversation forgotten a moment ago: late evidence about it (fragments declared lost, ICMP
 * reassembly timeouts) keeps its identity. */
typedef struct {
    cl_tuple tuple;
    uint32_t id, first_frame;
    double first_time, closed_time;
    cl_addr client;
    uint16_t client_port;
    GList link; /* in eng->closed_order */
} cl_closed;

/* Fragmented datagrams from one source to one destination. */
typedef struct {
    cl_addr src, dst;
    uint8_t proto;
    GQueue pending;          /* cl_datagram*, oldest first */
    double newest_completed; /* first-fragment time of the newest complete datagram */
} cl_fragflow;

/* A fragmented datagram; the key is everything before `sport`. */
typedef struct {
    cl_addr src, dst;
    uint8_t proto;
    uint32_t id;
    uint16_t sport, dport; /* from the first fragment, 0 if unseen */
    bool have_first, have_last, declared_lost;
    uint32_t total;    /* payload length, known once the last fragment is seen */
    uint32_t received; /* payload bytes seen */
    uint32_t first_frame;
    double first_time;
    double declared_time;
    GArray *offsets; /* fragment offsets seen, so duplicates are not counted twice (bounded) */
    cl_fragflow *flow;
    GList *flow_link;     /* in flow->pending while not declared */
    cl_packet *tcp_first; /* the first fragment, when it carries a TCP header */
    GList *age_link;      /* in eng->frag_order, or in eng->frag_declared once declared lost */
} cl_datagram;

/* A datagram as counted against max_state_mb: its first fragment's packet, its offsets, its flow. */
#define CL_DATAGRAM_BYTES                                                                                              \
    (sizeof(cl_datagram) + sizeof(cl_packet) + sizeof(cl_fragflow) +                                                   \
     CL_MAX_FRAGMENTS_PER_DATAGRAM * sizeof(uint32_t) + 3 * CL_ENTRY_BYTES)

/* What the capture showed of one client talking to one server port (idle.c): the device idle timeout
 * bracket and the times connections were lost. */
typedef struct {
    cl_addr client, server;
    uint16_t server_port;
    uint8_t pad[2]; /* keys are hashed as bytes */
} cl_pair_key;

typedef struct {
    cl_pair_key key;
    double survived_max; /* longest idle gap a connection survived, 0 if none */
    uint32_t survived_frame;
    double failed_min; /* shortest idle gap after which one failed, 0 if none */
    uint32_t failed_frame;
    GArray *disconnects; /* double times, the latest ones (bounded) */
    GList *lru_link;     /* in eng->pair_order */
} cl_pair;

/* A DCE/RPC interface connlost knows by name (rpc.c). */
typedef struct {
    const char *uuid; /* text form, lower case */
    const char *name;
    const char *const *ops; /* by opnum, NULL entries unknown */
    unsigned n_ops;
} cl_rpc_iface;

/* One direction of a DCE/RPC byte stream, cut into PDUs. */
typedef struct {
    bool synced; /* next_seq is at a PDU boundary, or inside the PDU being assembled */
    bool has_next;
    uint32_t next_seq; /* end of the bytes seen: older ones are retransmissions, even while out of sync */
    uint32_t pdu_len;  /* frag_length of the PDU being assembled, 0 until its header is complete */
    uint32_t pdu_got;  /* its bytes seen so far */
    GByteArray *head;  /* its first bytes, up to CL_RPC_HEAD */
    GByteArray *tail;  /* its latest bytes beyond the head, trimmed to CL_RPC_TAIL when it ends */
} cl_rpc_dir;

/* A presentation context of a binding. */
typedef struct {
    uint16_t id;
    const cl_rpc_iface *iface; /* NULL: an interface connlost does not know */
    bool accepted;
    uint32_t bind_frame;
} cl_rpc_ctx;

/* A request waiting for its response. */
typedef struct {
    uint32_t call_id;
    uint16_t opnum;
    const cl_rpc_iface *iface;
    uint32_t frame;
    const char *user_dn; /* EcDoConnect(Ex): szUserDN when readable (interned) */
    bool has_handle;     /* EcDoDisconnect: the session's context handle when readable */
    uint8_t handle[16];
    bool has_rsp_handle; /* the handle the response's first fragment returned */
    uint8_t rsp_handle[16];
    GList link; /* in rpc->call_order, oldest first */
} cl_rpc_call;

struct cl_rpc_conv {
    cl_rpc_dir dir[2]; /* by cl_conv side */
    int8_t client;     /* the side that binds and calls, -1 until known */
    GArray *contexts;  /* cl_rpc_ctx, few (bounded) */
    GArray *proposed;  /* uint16_t context ids of the latest bind / alter_context, in order */
    GHashTable *calls; /* call_id -> cl_rpc_call* (bounded) */
    GQueue call_order;
    const char *auth_user; /* NTLM DOMAIN\user (interned) */
    bool late;             /* a context was used that no bind in the capture set up */
    bool ended;            /* RST or FIN seen */
    double last_time;      /* its latest packet */
    GQueue sessions;       /* cl_mapi_session* opened on this connection (through conv_link) */
};

/* A dynamic endpoint: what (address, port) serves, and how connlost learned it. */
typedef struct {
    cl_addr addr;
    uint16_t port;
    uint8_t pad[2]; /* keys are hashed as bytes */
} cl_rpc_endpoint_key;

typedef struct {
    cl_rpc_endpoint_key key;
    const cl_rpc_iface *iface;
    uint8_t source; /* CL_SOURCE_EPM or CL_SOURCE_ENDPOINT_BIND */
    uint32_t source_frame;
    GList link; /* in eng->rpc_endpoint_order */
} cl_rpc_endpoint;

/* MAPI sessions (mapi.c). */
typedef struct cl_mapi_user cl_mapi_user;
typedef struct cl_mapi_client cl_mapi_client;

typedef struct {
    uint8_t handle[16]; /* context handle UUID; made up from the call when the stub is sealed */
    cl_mapi_user *user;
    cl_mapi_client *client;
    cl_rpc_conv *rpc; /* connection it was opened on, NULL once that is forgotten */
    uint32_t conv_id, open_frame, leak_frame;
    GList user_link, conv_link, age_link; /* in user->held, rpc->sessions, eng->mapi_session_order */
} cl_mapi_session;

struct cl_mapi_user {
    const char *name; /* interned */
    GQueue held;      /* cl_mapi_session*, oldest first */
    uint32_t opened, closed, refused;
    bool near_noted;
    GList link; /* in eng->mapi_user_order, least recently active first */
};

struct cl_mapi_client {
    cl_addr addr;
    uint32_t held;
    GQueue logons; /* double* times of its latest logons (at most mapi_burst_count) */
    bool burst_noted;
    GList link; /* in eng->mapi_client_idle while it holds no session, else eng->mapi_client_busy */
};

struct cl_engine {
    cl_config cfg;
    uint32_t next_conv_id;
    GHashTable *conv_by_tuple; /* cl_tuple* -> cl_conv* (latest for that tuple) */
    cl_conv *last_tcp;         /* the previous TCP packet's conversation */
    size_t conv_bytes;         /* what the conversations hold (each as last charged) */
    size_t result_bytes;       /* what the kept results and diagnoses hold */
    bool state_cap_noted;
    uint32_t results_full_frame; /* the frame on which max_results_mb was reached, 0 if not */
    cl_result scratch;           /* the result of a frame once results are full: dropped at the next frame */
    GQueue conv_order;           /* cl_conv*, oldest first, for eviction */
    GQueue conv_reset;           /* cl_conv* ended by a RST, oldest first: forgotten after the linger time */
    GHashTable *datagrams;       /* datagram key -> cl_datagram* */
    GQueue frag_order;           /* cl_datagram* still awaited, oldest first */
    GQueue frag_declared;        /* cl_datagram* declared lost, kept a while for late ICMPs */
    GHashTable *frag_flows;      /* cl_fragflow key -> cl_fragflow* */
    GPtrArray *results;          /* every cl_result handed out */
    GHashTable *pairs;           /* cl_pair_key* -> cl_pair* */
    GQueue pair_order;           /* cl_pair*, least recently used first */
    bool conv_cap_noted, frag_cap_noted, pair_cap_noted;

    GStringChunk *strings;     /* texts results point to (interned) */
    GHashTable *interned;      /* those texts, as a set */
    GHashTable *rpc_endpoints; /* cl_rpc_endpoint_key* -> cl_rpc_endpoint* */
    GQueue rpc_endpoint_order; /* oldest first, for eviction */
    GHashTable *mapi_sessions; /* handle[16] -> cl_mapi_session* */
    GQueue mapi_session_order; /* oldest first */
    GHashTable *mapi_users;    /* name -> cl_mapi_user* */
    GQueue mapi_user_order;
    GHashTable *mapi_clients;                  /* cl_addr* -> cl_mapi_client* */
    GQueue mapi_client_idle, mapi_client_busy; /* clients without / with sessions held (the latter bounded by them) */
    uint32_t mapi_late;                        /* EMSMDB connections that began before the capture */
    uint32_t now_frame;                        /* the frame being fed, and its time */
    double now_time;
    double first_time;  /* the capture's first frame */
    GHashTable *closed; /* cl_tuple* -> cl_closed*, for frag_timeout_s after the conversation ended */
    GQueue closed_order;
    GPtrArray *diagnoses;      /* cl_diagnosis*, in the order of their first verdict */
    GHashTable *diag_by_id;    /* conversation number -> cl_diagnosis* */
    GHashTable *diag_by_tuple; /* cl_tuple* -> GPtrArray of cl_diagnosis* (ports reused over time) */
    bool rpc_cap_noted, mapi_cap_noted;
};

/* engine.c */
guint cl_hash_bytes(gconstpointer key, size_t len);
cl_result *cl_result_for(cl_engine *eng, cl_result **res, const cl_conv *conv);
void cl_result_note(cl_result *r, char *note); /* takes `note`; appends to an earlier one */
/* The first time a table bound is reached: say so on this frame (once per table). */
void cl_note_table_full(cl_engine *eng, cl_result **res, const cl_conv *conv, bool *noted, unsigned bound,
                        const char *what, const char *pref, const char *then);
cl_conv *cl_conv_lookup_tuple(cl_engine *eng, const cl_tuple *t);
void cl_conv_charge(cl_engine *eng, cl_conv *conv); /* counts what it holds now against max_state_mb */
cl_conv *cl_conv_for_udp(cl_engine *eng, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport,
                         uint8_t proto, cl_result **res);
void cl_tuple_make(cl_tuple *t, const cl_addr *a, uint16_t pa, const cl_addr *b, uint16_t pb, uint8_t proto);
guint cl_tuple_hash(gconstpointer k);
gboolean cl_tuple_equal(gconstpointer a, gconstpointer b);
/* "client -> server:port", the name of a client/server pair */
void cl_pair_format(const cl_addr *client, const cl_addr *server, uint16_t server_port, char *buf, size_t len);
const char *cl_role(int side); /* "client" (side 0, the SYN sender) or "server" */
int cl_side_of(const cl_conv *conv, const cl_addr *src, uint16_t sport);
uint32_t cl_ip_header_len(uint8_t family);

/* pmtu.c: segment sizes, acknowledgements, duplicate ACKs, ICMP PTB */
void cl_side_init(cl_side *s);
void cl_side_clear(cl_side *s);
void cl_side_compact(cl_side *s); /* frees the segments in flight, which only a live connection needs */
void cl_pmtu_tcp(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res);
void cl_pmtu_icmp(cl_engine *eng, cl_conv *conv, int about, const cl_packet *pkt, cl_result **res);
void cl_pmtu_at_end(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res);

/* frag.c: IP fragments and reassembly timeouts */
void cl_frag_init(cl_engine *eng);
void cl_frag_free(cl_engine *eng);
/* True when the fragment completes a datagram whose first fragment held a TCP header: `whole` is then
 * that segment, at this frame. */
bool cl_frag_packet(cl_engine *eng, const cl_packet *pkt, cl_result **res, cl_packet *whole);
void cl_frag_expire(cl_engine *eng, const cl_packet *pkt, cl_result **res);
void cl_frag_icmp_reassembly(cl_engine *eng, const cl_packet *pkt, cl_result **res);
bool cl_frag_drop_oldest(cl_engine *eng); /* false if no datagram is left */

/* rst.c: who sent a RST */
void cl_rst_baseline(cl_conv *conv, int from, const cl_packet *pkt);
cl_rst_origin_t cl_rst_origin(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res);

/* idle.c: idle gaps, keep-alives, unanswered retransmissions, the causes that follow from them, and the
 * client/server pairs' idle-timeout bracket and disconnect period */
void cl_idle_init(cl_engine *eng);
void cl_idle_free(cl_engine *eng);
void cl_idle_tcp(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_rst_origin_t origin,
                 cl_result **res);

/* rpc.c: DCE/RPC PDUs, bindings, interfaces and endpoints */
void cl_rpc_init(cl_engine *eng);
void cl_rpc_free(cl_engine *eng);
void cl_rpc_tcp(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res);
void cl_rpc_conv_free(cl_engine *eng, cl_conv *conv);
size_t cl_rpc_conv_bytes(const cl_rpc_conv *rpc);
cl_rpc_info *cl_rpc_info_for(cl_engine *eng, cl_result **res, const cl_conv *conv);
const char *cl_intern(cl_engine *eng, const char *text);
extern const cl_rpc_iface cl_iface_emsmdb;

/* mapi.c: EMSMDB sessions per user and client, leaks, the session limit, reconnect bursts */
void cl_mapi_init(cl_engine *eng);
void cl_mapi_free(cl_engine *eng);
/* A logon's answer: `handle` NULL when the stub is sealed, `code` NULL when unreadable. */
void cl_mapi_logon(cl_engine *eng, cl_conv *conv, const cl_rpc_call *call, const uint8_t *handle, const uint32_t *code,
                   const cl_packet *pkt, cl_result **res);
void cl_mapi_logon_request(cl_engine *eng, cl_conv *conv, const cl_packet *pkt, cl_result **res);
void cl_mapi_disconnect(cl_engine *eng, cl_conv *conv, const cl_rpc_call *call, cl_result **res);
/* The connection ends (first RST or FIN from `from`): sessions never disconnected on it are leaked, unless the
 * server ended it itself (then it runs them down). */
void cl_mapi_conv_end(cl_engine *eng, cl_conv *conv, int from, bool forged, const cl_packet *pkt, cl_result **res);
void cl_mapi_conv_forget(cl_engine *eng, cl_conv *conv);

/* verdict.c: one cause per conversation, and the diagnoses kept for the report */
void cl_verdict_init(cl_engine *eng);
void cl_verdict_free(cl_engine *eng);
/* Offer a finding; if it becomes (or updates) the verdict, show it on this frame. */
void cl_verdict_propose(cl_engine *eng, cl_conv *conv, cl_finding *f, cl_result **res);
void cl_verdict_show(cl_engine *eng, cl_conv *conv, cl_result **res);

#endif
