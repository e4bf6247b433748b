/* Conversations: the table that finds a packet's conversation, the one TCP endpoint tracker per side that every
 * analysis reads, and an opaque slot area per conversation that the engine lays out for the analyses (as
 * Suricata's flow storage). The core knows no analysis: it frees and counts the slots through the hooks it is
 * given.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_CONV_H
#define CONNLOST_CONV_H

#include "addr.h"
#include "config.h"
#include "lru.h"

/* One endpoint of a TCP conversation as the capture saw it: who it is, what its SYN announced, how far its
 * sequence space got and when it was last heard. The tracker is updated before the analyses see a packet
 * (what the packet announces: options, window) and after them (what it sent and acknowledged), so during a
 * packet the analyses read the state as it was before it. */
typedef struct {
    cl_addr addr;
    uint16_t port;
    bool seen;
    bool timestamps;
    uint16_t mss;  /* MSS this side advertised (limits the other side), 0 if unknown */
    int8_t wscale; /* its window scale option, -1 if none seen */
    bool has_data_next;
    bool has_snd_next;
    bool has_ack_seen;
    bool fin_sent;
    bool new_data_open;  /* new_data_end not acknowledged yet: its answer time is still to be measured */
    bool latest_had_ack; /* its latest non-RST packet carried an ACK */
    bool syn_seen;       /* its SYN (or SYN-ACK) is in the capture, with its initial sequence number */
    uint32_t window;     /* latest receive window it advertised, scaled */
    uint32_t data_next;  /* end of the highest data seen from it (its SYN counts one) */
    uint32_t snd_next;   /* end of everything it sent, SYN and FIN included */
    uint32_t ack_seen;   /* highest ACK the other side sent for it */
    uint32_t new_data_end;
    uint32_t latest_ack; /* the ACK number of its latest non-RST packet */
    uint32_t last_frame;
    uint32_t isn;
    uint32_t last_data_frame; /* its latest packet with payload, 0 if none (frames, not times: clocks jump) */
    double new_data_time;     /* when the SYN ending at new_data_end left */
    double min_answer;        /* fastest it answered the other side's SYN or SYN-ACK, < 0 unknown */
    double last_time;         /* its latest packet */
} cl_side;

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
    bool established;    /* the handshake completed (an ACK of the other side's SYN), or began before the capture */
    uint32_t charged;    /* its bytes as last counted in the table's total */
    bool recount;        /* what its slots hold changed since then (cl_conv_resized) */
    uint32_t prev_frame; /* the conversation's previous TCP packet, either direction */
    uint32_t prev_epoch; /* the capture clock's epoch at that packet: a silence never spans a clock jump */
    double prev_time;
    double reset_time;
    GList *reset_link; /* in the table's reset queue once a RST ended it */
    cl_lru_node node;
    _Alignas(8) unsigned char slots[]; /* the analyses' per-conversation state, zeroed at first */
};

static inline void *cl_conv_slot(const cl_conv *conv, size_t offset) { return (void *)(conv->slots + offset); }

/* How the owner of the slots frees and counts them. */
typedef struct {
    void (*free)(cl_conv *conv, void *data);
    size_t (*bytes)(const cl_conv *conv, void *data);
    void *data;
} cl_slot_hooks;

/* A TCP conversation forgotten a moment ago: late evidence about it (fragments declared lost, ICMP
 * reassembly timeouts) keeps its identity. */
typedef struct {
    cl_tuple tuple;
    uint32_t id, first_frame;
    double first_time, closed_time;
    cl_addr client;
    uint16_t client_port;
    bool established;
    cl_lru_node node;
} cl_closed;

/* A packet as a copy of it would show it again: what a capture duplicate (a SPAN port, two capture points
 * merged) repeats and a retransmission does not (the IPv4 ID), hashed, with its sender and time. */
typedef struct {
    uint32_t frame;
    uint32_t print; /* of its addresses, ports, IPv4 ID, sequence numbers, length, window and flags */
    double time;
} cl_print;

/* The latest packets' prints, by print: a copy comes within a second of its original (within a few packets, even
 * when two interfaces were captured at once); another packet landing on the same place first only hides it. */
#define CL_PRINTS 256

/* Who spoke first on a recent UDP flow: its conversation is made late, on its first fragmented datagram or ICMP
 * error, and its client is the side that sent first (the request: small, rarely fragmented, while its reply
 * often is). Direct-mapped by the flow's hash; a newer flow takes the place, which only leaves that flow to the
 * port rule. */
#define CL_FIRST_SENDERS 256

typedef struct {
    uint32_t flow;   /* hash of the flow's tuple, 0 if empty */
    uint32_t sender; /* hash of the first sender's address and port */
} cl_first_sender;

typedef struct {
    const cl_config *cfg;
    cl_lru table;      /* by tuple: the newest conversation of each port pair; least recently active first */
    GQueue reset;      /* conversations ended by a RST, oldest first: forgotten after the linger time */
    cl_lru closed;     /* conversations forgotten a moment ago */
    double remember_s; /* how long a forgotten conversation's identity is kept */
    cl_conv *last_tcp; /* the previous TCP packet's conversation */
    size_t bytes;      /* what the conversations hold, each as last charged */
    size_t slot_bytes; /* the slot area of each */
    uint32_t next_id;
    uint32_t now_frame; /* the frame being fed, and its time */
    double now_time;
    uint32_t epoch;             /* incremented where the capture's clock jumps (back, or ahead by more than a day) */
    cl_print recent[CL_PRINTS]; /* the latest TCP packets' prints, direct-mapped */
    cl_first_sender first_senders[CL_FIRST_SENDERS];
    cl_slot_hooks hooks;
} cl_convs;

void cl_convs_init(cl_convs *t, const cl_config *cfg, size_t slot_bytes, cl_slot_hooks hooks);
void cl_convs_free(cl_convs *t);

/* The packet's TCP conversation, made when new, and in `from` the side that sent it. */
cl_conv *cl_conv_for_tcp(cl_convs *t, const cl_packet *pkt, int *from);
/* A UDP datagram with its ports was seen: the first of its flow names the flow's client. */
void cl_convs_note_datagram(cl_convs *t, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport);
/* The UDP (or other non-TCP) conversation of a flow, made when new: its client is the side that sent the flow's
 * first datagram, if known, else the side on an unprivileged port when the other is on a well-known one (below
 * 1024), else `src`. */
cl_conv *cl_conv_for_flow(cl_convs *t, const cl_addr *src, uint16_t sport, const cl_addr *dst, uint16_t dport,
                          uint8_t proto);
/* The newest conversation of a port pair, NULL if none; not counted as activity. */
cl_conv *cl_conv_lookup(const cl_convs *t, const cl_tuple *tuple);
/* The conversation was active: it goes last in the eviction order. */
static inline void cl_conv_touch(cl_convs *t, cl_conv *conv) { cl_lru_touch(&t->table, &conv->node); }
/* The side that sends from (addr, port), -1 if neither. */
int cl_side_of(const cl_conv *conv, const cl_addr *src, uint16_t sport);
const char *cl_role(int side); /* "client" (side 0, the SYN sender) or "server" */

/* The tracker around the analyses: before returns true when the packet restarts the side (a SYN with a new
 * initial sequence number): the analyses then start that side over too. */
bool cl_track_before(cl_conv *conv, int from, const cl_packet *pkt);
void cl_track_after(cl_conv *conv, int from, const cl_packet *pkt, uint32_t epoch);

/* The TCP packet is a capture duplicate of one a moment ago (SPAN port, two capture points merged): one packet,
 * never a retransmission, a duplicate ACK or a second TTL. Returns the frame it repeats, 0 if it is no copy (it
 * is then remembered for its own copies). */
uint32_t cl_convs_copy_of(cl_convs *t, const cl_packet *pkt);

/* Counts what the conversation holds now against the table's total. */
void cl_conv_charge(cl_convs *t, cl_conv *conv);
/* What the conversation's slots hold grew or shrank: it is counted again after the packet. Counting every
 * conversation after every packet cost about 120 instructions a packet (five analyses' slot sizes), for
 * sizes that change on a few packets in a hundred (a segment ring that doubles, a DCE/RPC buffer, a verdict). */
static inline void cl_conv_resized(cl_conv *conv) { conv->recount = true; }
/* Whether every conversation's count is what it holds (for the tests: a missed cl_conv_resized shows here). */
bool cl_convs_charges_exact(const cl_convs *t);
/* After a TCP packet: a conversation closed by both FINs and fully acknowledged is forgotten, one ended by a
 * RST lingers. */
void cl_conv_after_tcp(cl_convs *t, cl_conv *conv, const cl_packet *pkt);
/* Forgets what has outlived its time: reset conversations, remembered identities. */
void cl_convs_expire(cl_convs *t, double now);
/* Over the memory cap: forget the least recently active conversation / remembered identity; false if none. */
bool cl_convs_shed(cl_convs *t);
bool cl_convs_shed_closed(cl_convs *t);

#endif
