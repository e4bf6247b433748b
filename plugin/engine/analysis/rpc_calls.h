/* The DCE/RPC connection reader's state and what rpc_calls.c (binds, calls, endpoints) offers rpc.c (byte
 * streams, PDUs, the analysis row).
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_RPC_CALLS_H
#define CONNLOST_RPC_CALLS_H

#include "rpc_events.h"

#define CL_RPC_LISTENERS 4 /* analyses that listen to DCE/RPC calls */

/* One direction of a DCE/RPC byte stream, cut into PDUs. */
typedef struct {
    bool synced; /* next_seq is at a PDU boundary, or inside the PDU being assembled */
    bool has_next;
    uint32_t next_seq;   /* end of the bytes seen (or the stream's first byte): older ones are retransmissions */
    uint32_t pdu_len;    /* frag_length of the PDU being assembled, 0 until its header is complete */
    uint32_t pdu_got;    /* its bytes seen so far */
    GByteArray *head;    /* its first bytes, up to CL_RPC_HEAD */
    GByteArray *tail;    /* its latest bytes beyond the head, trimmed to CL_RPC_TAIL when it ends */
    GQueue held;         /* segments that came after a gap, in sequence order, until a late segment fills it */
    uint32_t held_bytes; /* their payload (bounded) */
} rpc_dir;

/* A presentation context of a binding. */
typedef struct {
    uint16_t id;
    const cl_rpc_iface *iface; /* NULL: an interface connlost does not know */
    bool accepted;
    uint32_t bind_frame;
} rpc_ctx;

/* A connection read as DCE/RPC. */
typedef struct {
    rpc_dir dir[2];    /* by conversation side */
    int8_t client;     /* the side that binds and calls, -1 until known */
    bool provisional;  /* made for a stream whose first segment came late, before any PDU was read: undone if
                          the bytes that fill the gap are no DCE/RPC */
    GArray *contexts;  /* rpc_ctx, few (bounded) */
    GArray *proposed;  /* uint16_t context ids of the latest bind / alter_context, in order */
    GHashTable *calls; /* call_id -> cl_rpc_call* (bounded) */
    GQueue call_order;
    const char *auth_user; /* NTLM DOMAIN\user (interned) */
    bool late;             /* a context was used that no bind in the capture set up */
} rpc_conn;

typedef struct {
    rpc_conn *conn; /* once its bytes look like DCE/RPC */
    uint8_t probes; /* payload segments looked at for a DCE/RPC header so far */
} rpc_slot;

/* A dynamic endpoint: what (address, port) serves, and how connlost learned it. */
typedef struct {
    cl_addr addr;
    uint16_t port;
    uint8_t pad[2]; /* keys are hashed as bytes */
} endpoint_key;

typedef struct {
    endpoint_key key;
    const cl_rpc_iface *iface;
    uint8_t source; /* CL_SOURCE_EPM or CL_SOURCE_ENDPOINT_BIND */
    uint32_t source_frame;
    cl_lru_node node;
} endpoint;

typedef struct {
    const cl_rpc_listener *listener;
    void *state;
} subscriber;

typedef struct {
    cl_lru endpoints;
    subscriber subscribers[CL_RPC_LISTENERS];
    unsigned n_subscribers;
} rpc_state;

/* One packet of a DCE/RPC connection. */
typedef struct {
    rpc_state *st;
    cl_ctx *x;
    cl_conv *conv;
    rpc_conn *rpc;
    const cl_packet *pkt;
    int from;
} rpc_pass;

static inline const char *intern(const rpc_pass *p, const char *text) { return cl_intern(p->x->frame.results, text); }
static inline cl_rpc_info *info_of(const rpc_pass *p) { return cl_rpc_info_for(&p->x->frame, p->conv); }

typedef enum { RPC_LOGON_REQUEST, RPC_LOGON, RPC_DISCONNECT } rpc_event;

/* rpc_calls.c */
void cl_rpc_tell(const rpc_pass *p, rpc_event event, const cl_rpc_call *call, const uint8_t *handle,
                 const uint32_t *code);
guint cl_rpc_endpoint_hash(gconstpointer k);
gboolean cl_rpc_endpoint_equal(gconstpointer a, gconstpointer b);
void cl_rpc_endpoint_evict(void *entry, void *data);
const endpoint *cl_rpc_endpoint_lookup(const rpc_state *st, const cl_addr *addr, uint16_t port);
void cl_rpc_read_auth(const rpc_pass *p, const pdu_view *v);
void cl_rpc_read_bind(const rpc_pass *p, const pdu_view *v);
void cl_rpc_read_bind_ack(const rpc_pass *p, const pdu_view *v);
void cl_rpc_read_request(const rpc_pass *p, const pdu_view *v);
void cl_rpc_read_response(const rpc_pass *p, const pdu_view *v);

#endif
