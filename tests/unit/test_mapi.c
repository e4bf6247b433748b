/* Unit tests of the DCE/RPC and MAPI analysis on hand-built PDUs carried by hand-built TCP records.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMSMDB "a4f1db00-ca47-1067-b31f-00dd010662da"
#define EPM "e1af8308-5d1f-11c9-91a4-08002b14a0fa"
#define NDR "8a885d04-1ceb-11c9-9fe8-08002b104860"
#define NDR64 "71710533-beba-4937-8319-b5dbef9ccc36"
#define DN "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=user1"

/* ---- byte building --------------------------------------------------------------------------------- */

typedef struct {
    uint8_t b[4096];
    size_t n;
} buf;

static void u8(buf *x, uint8_t v) { x->b[x->n++] = v; }
static void u16(buf *x, uint16_t v) { u8(x, (uint8_t)v), u8(x, (uint8_t)(v >> 8)); }
static void u32(buf *x, uint32_t v) { u16(x, (uint16_t)v), u16(x, (uint16_t)(v >> 16)); }
static void bytes(buf *x, const void *p, size_t n) { memcpy(x->b + x->n, p, n), x->n += n; }
static void align4(buf *x)
{
    while (x->n % 4)
        u8(x, 0);
}

static void uuid(buf *x, const char *text)
{
    unsigned a, b, c, d[8];
    sscanf(text, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &a, &b, &c, &d[0], &d[1], &d[2], &d[3], &d[4], &d[5], &d[6],
           &d[7]);
    u32(x, a), u16(x, (uint16_t)b), u16(x, (uint16_t)c);
    for (int i = 0; i < 8; i++)
        u8(x, (uint8_t)d[i]);
}

/* A PDU: header, then body; frag_length and auth_length patched in. */
static void pdu(buf *x, uint8_t ptype, uint8_t flags, uint32_t call_id, const buf *body, const buf *auth,
                uint8_t auth_level)
{
    x->n = 0;
    u8(x, 5), u8(x, 0), u8(x, ptype), u8(x, flags);
    u32(x, 0x10);
    u16(x, 0), u16(x, 0);
    u32(x, call_id);
    bytes(x, body->b, body->n);
    if (auth) {
        align4(x);
        u8(x, 10), u8(x, auth_level), u8(x, 0), u8(x, 0), u32(x, 0);
        bytes(x, auth->b, auth->n);
        x->b[10] = (uint8_t)auth->n, x->b[11] = (uint8_t)(auth->n >> 8);
    }
    x->b[8] = (uint8_t)x->n, x->b[9] = (uint8_t)(x->n >> 8);
}

/* bind with contexts (abstract syntax, transfer syntax) */
static void bind_pdu(buf *x, uint8_t ptype, uint32_t call_id, int n, const char *const *abstract,
                     const char *const *transfer, const buf *auth)
{
    buf body = {.n = 0};
    u16(&body, 5840), u16(&body, 5840), u32(&body, 0);
    u8(&body, (uint8_t)n), u8(&body, 0), u16(&body, 0);
    for (int i = 0; i < n; i++) {
        u16(&body, (uint16_t)i), u8(&body, 1), u8(&body, 0);
        uuid(&body, abstract[i]), u16(&body, 0), u16(&body, 81);
        uuid(&body, transfer[i]), u32(&body, 2);
    }
    pdu(x, ptype, 3, call_id, &body, auth, 2);
}

static void bind_ack_pdu(buf *x, uint32_t call_id, int n, const uint16_t *results, const uint16_t *reasons)
{
    buf body = {.n = 0};
    u16(&body, 5840), u16(&body, 5840), u32(&body, 0x1234);
    u16(&body, 5), bytes(&body, "6001", 5); /* header 16 + 10 + 5 = 31: pad to 32 */
    while ((body.n + 16) % 4)
        u8(&body, 0);
    u8(&body, (uint8_t)n), u8(&body, 0), u16(&body, 0);
    for (int i = 0; i < n; i++) {
        u16(&body, results[i]), u16(&body, reasons[i]);
        uuid(&body, NDR), u32(&body, 2);
    }
    pdu(x, 12, 3, call_id, &body, NULL, 0);
}

static void request_pdu(buf *x, uint32_t call_id, uint16_t opnum, const buf *stub, const buf *auth, uint8_t level)
{
    buf body = {.n = 0};
    u32(&body, (uint32_t)stub->n), u16(&body, 0), u16(&body, opnum);
    bytes(&body, stub->b, stub->n);
    pdu(x, 0, 3, call_id, &body, auth, level);
}

static void response_pdu(buf *x, uint32_t call_id, const buf *stub, const buf *auth, uint8_t level)
{
    buf body = {.n = 0};
    u32(&body, (uint32_t)stub->n), u16(&body, 0), u8(&body, 0), u8(&body, 0);
    bytes(&body, stub->b, stub->n);
    pdu(x, 2, 3, call_id, &body, auth, level);
}

static void connect_request_stub(buf *s, const char *dn)
{
    s->n = 0;
    uint32_t len = (uint32_t)strlen(dn) + 1;
    u32(s, len), u32(s, 0), u32(s, len);
    bytes(s, dn, len);
    align4(s);
    for (int i = 0; i < 7; i++)
        u32(s, 0);
}

static void connect_response_stub(buf *s, uint8_t handle_byte, uint32_t code)
{
    s->n = 0;
    u32(s, 0);
    for (int i = 0; i < 16; i++)
        u8(s, code ? 0 : handle_byte);
    for (int i = 0; i < 6; i++)
        u32(s, 0);
    u32(s, code);
}

static void handle_stub(buf *s, uint8_t handle_byte)
{
    s->n = 0;
    u32(s, 0);
    for (int i = 0; i < 16; i++)
        u8(s, handle_byte);
}

static void ntlm_authenticate(buf *t, const char *domain, const char *user)
{
    t->n = 0;
    bytes(t, "NTLMSSP", 8);
    u32(t, 3);
    size_t fields = t->n, payload = 72;
    for (int i = 0; i < 6; i++)
        u16(t, 0), u16(t, 0), u32(t, 0);
    u32(t, 1); /* NEGOTIATE_UNICODE */
    while (t->n < payload)
        u8(t, 0);
    const char *parts[2] = {domain, user};
    for (int f = 0; f < 2; f++) {
        size_t off = t->n, len = strlen(parts[f]);
        for (size_t i = 0; i < len; i++)
            u16(t, (uint8_t)parts[f][i]);
        uint8_t *p = t->b + fields + 8 * (2 + f); /* domain is field 2, user field 3 */
        p[0] = p[2] = (uint8_t)(2 * len);
        p[4] = (uint8_t)off;
    }
}

/* ---- a TCP connection carrying PDUs ----------------------------------------------------------------- */

typedef struct {
    cl_engine *eng;
    uint32_t frame;
    double time;
    uint16_t cport, sport;
    uint32_t seq[2];
} conn;

static const cl_result *seg(conn *c, int from_client, uint8_t flags, const uint8_t *data, uint32_t len, uint32_t caplen)
{
    cl_packet p = {0};
    c->time += 0.01;
    p.frame = ++c->frame;
    p.time = c->time;
    p.has_ip = true;
    p.ip.src = from_client ? v4(10, 91, 1, 2) : v4(10, 91, 3, 2);
    p.ip.dst = from_client ? v4(10, 91, 3, 2) : v4(10, 91, 1, 2);
    p.ip.proto = 6;
    p.ip.ttl = 64;
    p.ip.total_len = 40 + len;
    p.has_tcp = true;
    p.sport = from_client ? c->cport : c->sport;
    p.dport = from_client ? c->sport : c->cport;
    p.wscale = -1;
    p.window = 64000;
    p.tcp_flags = flags;
    p.seq = c->seq[!from_client];
    p.ack = c->seq[!!from_client];
    p.tcp_len = len;
    p.payload = data;
    p.payload_caplen = caplen;
    c->seq[!from_client] += len + ((flags & (CL_TCP_SYN | CL_TCP_FIN)) ? 1 : 0);
    return feed_checked(c->eng, &p);
}

static const cl_result *send_buf(conn *c, int from_client, const buf *x)
{
    return seg(c, from_client, CL_TCP_ACK | CL_TCP_PSH, x->b, (uint32_t)x->n, (uint32_t)x->n);
}

static void open_conn(conn *c, uint16_t cport, uint16_t sport)
{
    c->cport = cport, c->sport = sport;
    c->seq[0] = 1000u * cport, c->seq[1] = 7000u * cport;
    seg(c, 1, CL_TCP_SYN, NULL, 0, 0);
    seg(c, 0, CL_TCP_SYN | CL_TCP_ACK, NULL, 0, 0);
    seg(c, 1, CL_TCP_ACK, NULL, 0, 0);
}

/* A new engine and one connection to it, its handshake done. */
static conn connected(const cl_config *cfg, uint16_t cport, uint16_t sport)
{
    conn c = {.eng = cl_engine_new(cfg), .time = 100};
    open_conn(&c, cport, sport);
    return c;
}

static const char *const ems_ctx[] = {EMSMDB, EMSMDB};
static const char *const ems_ts[] = {NDR, NDR64};

/* bind (EMSMDB over NDR and NDR64), answered: NDR accepted, NDR64 rejected as usual */
static void bind_emsmdb(conn *c)
{
    buf x;
    bind_pdu(&x, 11, 1, 2, ems_ctx, ems_ts, NULL);
    send_buf(c, 1, &x);
    static const uint16_t results[] = {0, 2}, reasons[] = {0, 2};
    bind_ack_pdu(&x, 1, 2, results, reasons);
    send_buf(c, 0, &x);
}

/* EcDoConnectEx, answered with `code` (session handle all `handle_byte` on success): the response's result */
static const cl_result *logon(conn *c, uint32_t call_id, uint8_t handle_byte, uint32_t code)
{
    buf stub, x;
    connect_request_stub(&stub, DN);
    request_pdu(&x, call_id, 10, &stub, NULL, 0);
    send_buf(c, 1, &x);
    connect_response_stub(&stub, handle_byte, code);
    response_pdu(&x, call_id, &stub, NULL, 0);
    return send_buf(c, 0, &x);
}

static bool has_text(const char *s, const char *part) { return s && strstr(s, part); }

/* How a buffer goes on the wire: in pieces of `cut` bytes, or (CUT_REORDER) 30-byte pieces with the second and
 * third swapped, or (CUT_RETRANSMIT) 30-byte pieces with the second lost and retransmitted after all the others, or
 * (CUT_FIRST_LATE) 30-byte pieces with the first lost and retransmitted after all the others.
 * Returns the result of the last frame sent. */
enum { CUT_REORDER = -1, CUT_RETRANSMIT = -2, CUT_FIRST_LATE = -3 };

static const cl_result *send_cut(conn *c, int from_client, const buf *x, int cut)
{
    uint32_t size = cut > 0 ? (uint32_t)cut : 30, pieces = ((uint32_t)x->n + size - 1) / size;
    uint32_t base = c->seq[!from_client];
    const cl_result *r = NULL;
    for (uint32_t k = 0; k < pieces; k++) {
        uint32_t i = k;
        if (cut == CUT_REORDER && pieces > 2 && (k == 1 || k == 2))
            i = 3 - k;
        if (cut == CUT_RETRANSMIT && pieces > 2)
            i = k == pieces - 1 ? 1 : k + (k >= 1);
        if (cut == CUT_FIRST_LATE && pieces > 1)
            i = k == pieces - 1 ? 0 : k + 1;
        uint32_t off = i * size, len = MIN(size, (uint32_t)x->n - off);
        c->seq[!from_client] = base + off;
        r = seg(c, from_client, CL_TCP_ACK | CL_TCP_PSH, x->b + off, len, len);
    }
    c->seq[!from_client] = base + (uint32_t)x->n;
    return r;
}

static const cl_result *logon_cut(conn *c, uint32_t call_id, uint8_t handle_byte, int cut)
{
    buf stub, x;
    connect_request_stub(&stub, DN);
    request_pdu(&x, call_id, 10, &stub, NULL, 0);
    send_cut(c, 1, &x, cut);
    connect_response_stub(&stub, handle_byte, 0);
    response_pdu(&x, call_id, &stub, NULL, 0);
    return send_cut(c, 0, &x, cut);
}

/* ---- tests ------------------------------------------------------------------------------------------- */

/* One MAPI session (a bind, two logons, the connection reset with both open: two leaks) sent as networks cut it:
 * segments of 1, 9, 10, 16 and 1460 bytes (a PDU header split anywhere), two segments swapped, a segment lost and
 * retransmitted after the others, each PDU's first segment so (the bind's is the connection's first data: it is
 * not known as DCE/RPC yet when the rest comes): the same sessions, user and leaks every time. */
static void test_segmentation(void)
{
    static const int cuts[] = {1, 9, 10, 16, 1460, CUT_REORDER, CUT_RETRANSMIT, CUT_FIRST_LATE};
    cl_config cfg;
    cl_config_defaults(&cfg);
    for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
        conn c = connected(&cfg, 50001, 6001);
        buf x;
        bind_pdu(&x, 11, 1, 2, ems_ctx, ems_ts, NULL);
        send_cut(&c, 1, &x, cuts[k]);
        static const uint16_t results[] = {0, 2}, reasons[] = {0, 2};
        bind_ack_pdu(&x, 1, 2, results, reasons);
        send_cut(&c, 0, &x, cuts[k]);
        const cl_result *r = logon_cut(&c, 2, 0xaa, cuts[k]);
        CHECK(r && r->rpc && r->rpc->sessions == 1 && r->rpc->mapi_user && strcmp(r->rpc->mapi_user, DN) == 0);
        r = logon_cut(&c, 3, 0xbb, cuts[k]);
        CHECK(r && r->rpc && r->rpc->sessions == 2);
        r = seg(&c, 1, CL_TCP_RST, NULL, 0, 0);
        CHECK(r && (r->experts & CL_EXP_MAPI_SESSION_LEAK) && r->rpc && r->rpc->leaked == 2);
        cl_engine_free(c.eng);
    }
}

static void test_bind_and_session(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 6001);
    buf x;
    bind_pdu(&x, 11, 1, 2, ems_ctx, ems_ts, NULL);
    const cl_result *r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && strcmp(r->rpc->ptype, "bind") == 0 && strcmp(r->rpc->interface, "EMSMDB") == 0);
    static const uint16_t results[] = {0, 2}, reasons[] = {0, 2};
    bind_ack_pdu(&x, 1, 2, results, reasons);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && has_text(r->rpc->bind_result, "context 0 (EMSMDB): accepted"));
    CHECK(r && r->rpc && has_text(r->rpc->bind_result, "proposed transfer syntaxes not supported"));
    CHECK(r && !(r->experts & CL_EXP_RPC_BIND_REJECTED)); /* NDR64 turned down is normal */

    r = logon(&c, 2, 0xaa, 0);
    CHECK(r && r->rpc && r->rpc->has_sessions && r->rpc->sessions == 1 && r->rpc->limit == 32);
    CHECK(r && r->rpc && r->rpc->mapi_user && strcmp(r->rpc->mapi_user, DN) == 0);
    CHECK(r && r->rpc && strcmp(r->rpc->mapi_op, "EcDoConnectEx") == 0 && r->rpc->opnum == 10);
    CHECK(r && r->rpc && r->rpc->interface_source == CL_SOURCE_BIND && r->rpc->source_frame == 4);
    CHECK(r && !r->rpc->lower_bound && !r->cause);

    buf stub;
    handle_stub(&stub, 0xaa);
    request_pdu(&x, 3, 1, &stub, NULL, 0);
    r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && strcmp(r->rpc->mapi_op, "EcDoDisconnect") == 0);
    handle_stub(&stub, 0);
    u32(&stub, 0);
    response_pdu(&x, 3, &stub, NULL, 0);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && r->rpc->has_sessions && r->rpc->sessions == 0);
    r = seg(&c, 1, CL_TCP_FIN | CL_TCP_ACK, NULL, 0, 0);
    CHECK(!r || !(r->experts & CL_EXP_MAPI_SESSION_LEAK)); /* disconnected first: no leak */
    cl_engine_free(c.eng);
}

/* Extreme preferences: a burst count of ten million once charged every client 560 MB, so the state cap forgot
 * every conversation on every frame; a limit of 53 687 092 or more overflowed the near-limit threshold and warned
 * on the first session. Both now leave the session count and the warnings as they are. */
static void test_extreme_prefs(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.mapi_burst_count = 10000000;
    cfg.mapi_limit = 53687092;
    conn c = connected(&cfg, 50001, 6001);
    bind_emsmdb(&c);
    const cl_result *r = logon(&c, 2, 0xaa, 0);
    CHECK(r && r->rpc && r->rpc->has_sessions && r->rpc->sessions == 1);
    CHECK(r && !(r->experts & CL_EXP_MAPI_NEAR_LIMIT));
    r = logon(&c, 3, 0xab, 0);
    CHECK(r && r->rpc && r->rpc->sessions == 2); /* the connection and its sessions were not forgotten */
    CHECK(cl_engine_state_bytes(c.eng) < (1u << 20));
    cl_engine_free(c.eng);
}

static void test_bind_rejected(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 6001);
    static const char *const unknown[] = {"01234567-89ab-cdef-0123-456789abcdef"};
    static const char *const ndr[] = {NDR};
    buf x;
    bind_pdu(&x, 11, 1, 1, unknown, ndr, NULL);
    const cl_result *r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && strcmp(r->rpc->interface, "01234567-89ab-cdef-0123-456789abcdef") == 0);
    static const uint16_t results[] = {2}, reasons[] = {1};
    bind_ack_pdu(&x, 1, 1, results, reasons);
    r = send_buf(&c, 0, &x);
    CHECK(r && (r->experts & CL_EXP_RPC_BIND_REJECTED) &&
          has_text(r->rpc->bind_result, "abstract syntax not supported"));
    buf body = {.n = 0};
    u16(&body, 4);
    pdu(&x, 13, 3, 2, &body, NULL, 0); /* bind_nak: protocol version not supported */
    r = send_buf(&c, 0, &x);
    CHECK(r && (r->experts & CL_EXP_RPC_BIND_REJECTED) && has_text(r->rpc->bind_result, "protocol version"));
    cl_engine_free(c.eng);
}

/* Sessions leak when connections die; the logon at the limit is refused: the cause, with the held ones. */
static void test_leak_and_limit(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.mapi_limit = 3;
    cfg.mapi_burst_count = 4;
    conn c = {.eng = cl_engine_new(&cfg), .time = 100};
    uint32_t open_frames[3];
    bool near = false, burst = false;
    for (int i = 0; i < 3; i++) {
        open_conn(&c, (uint16_t)(50001 + i), 6001);
        bind_emsmdb(&c);
        const cl_result *r = logon(&c, 2, (uint8_t)(0x10 + i), 0);
        open_frames[i] = c.frame;
        CHECK(r && r->rpc && r->rpc->sessions == (uint32_t)i + 1 && r->rpc->client_sessions == (uint32_t)i + 1);
        near |= r && (r->experts & CL_EXP_MAPI_NEAR_LIMIT);
        burst |= r && (r->experts & CL_EXP_MAPI_RECONNECT_BURST); /* on the request, not the response */
        r = seg(&c, 1, CL_TCP_RST, NULL, 0, 0); /* the client gives up: the server may never hear of it */
        CHECK(r && (r->experts & CL_EXP_MAPI_SESSION_LEAK) && r->rpc && r->rpc->leaked == 1 &&
              r->rpc->sessions == i + 1u);
    }
    CHECK(near);
    CHECK(!burst);
    open_conn(&c, 50010, 6001);
    bind_emsmdb(&c);
    buf stub, x;
    connect_request_stub(&stub, DN);
    request_pdu(&x, 2, 10, &stub, NULL, 0);
    const cl_result *r = send_buf(&c, 1, &x);
    CHECK(r && (r->experts & CL_EXP_MAPI_RECONNECT_BURST) && r->rpc->burst == 4); /* the 4th logon in a second */
    uint32_t request_frame = c.frame;
    connect_response_stub(&stub, 0, 0x4DE);
    response_pdu(&x, 2, &stub, NULL, 0);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->cause && strcmp(cl_cause_slug(r->cause), "mapi-session-limit") == 0 && r->confidence == 95);
    CHECK(r && (r->verdict_experts & CL_EXP_MAPI_SESSION_LIMIT) && r->rpc->has_error && r->rpc->error == 0x4DE);
    CHECK(r && r->rpc->sessions == 3);
    CHECK(r && has_text(summary_of(r), "holds 3 MAPI sessions") && has_text(summary_of(r), "ecMaxObjsExceeded"));
    bool all = r && r->evidence;
    for (int i = 0; all && i < 3; i++) {
        bool found = false;
        for (unsigned k = 0; k < r->evidence->len; k++)
            found |= g_array_index(r->evidence, uint32_t, k) == open_frames[i];
        all = found;
    }
    CHECK(all);
    bool has_request = false;
    for (unsigned k = 0; r && r->evidence && k < r->evidence->len; k++)
        has_request |= g_array_index(r->evidence, uint32_t, k) == request_frame;
    CHECK(has_request);
    cl_engine_free(c.eng);
}

/* Sealed stubs: the user comes from the NTLM AUTHENTICATE in auth3; the logon counts as opened. */
static void test_sealed(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 6001);
    bind_emsmdb(&c);
    buf token, x, body = {.n = 0};
    ntlm_authenticate(&token, "CONTOSO", "user1");
    u32(&body, 0);
    pdu(&x, 16, 3, 1, &body, &token, 6);
    const cl_result *r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && r->rpc->auth_user && strcmp(r->rpc->auth_user, "CONTOSO\\user1") == 0);
    CHECK(r && r->rpc && has_text(r->rpc->auth, "privacy"));
    buf stub = {.n = 0}, sig = {.n = 0};
    for (int i = 0; i < 120; i++)
        u8(&stub, (uint8_t)(i * 37 + 11)); /* stands for sealed bytes */
    for (int i = 0; i < 16; i++)
        u8(&sig, (uint8_t)i);
    request_pdu(&x, 2, 10, &stub, &sig, 6);
    r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && r->rpc->opnum == 10 && strcmp(r->rpc->mapi_user, "CONTOSO\\user1") == 0);
    response_pdu(&x, 2, &stub, &sig, 6);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && r->rpc->has_sessions && r->rpc->sessions == 1 &&
          strcmp(r->rpc->mapi_user, "CONTOSO\\user1") == 0);
    CHECK(r && has_text(note_of(r), "sealed"));
    request_pdu(&x, 3, 1, &stub, &sig, 6); /* EcDoDisconnect: the connection's session */
    send_buf(&c, 1, &x);
    response_pdu(&x, 3, &stub, &sig, 6);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && r->rpc->has_sessions && r->rpc->sessions == 0);
    cl_engine_free(c.eng);
}

/* An EPM answer names EMSMDB's port; a connection to it that began before the capture is still read. */
static void test_endpoint_learning(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 135);
    static const char *const epm[] = {EPM};
    static const char *const ndr[] = {NDR};
    buf x, stub = {.n = 0};
    bind_pdu(&x, 11, 1, 1, epm, ndr, NULL);
    send_buf(&c, 1, &x);
    static const uint16_t ok[] = {0}, none[] = {0};
    bind_ack_pdu(&x, 1, 1, ok, none);
    send_buf(&c, 0, &x);
    u32(&stub, 0);
    request_pdu(&x, 2, 3, &stub, NULL, 0); /* ept_map */
    const cl_result *r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && strcmp(r->rpc->op, "ept_map") == 0);
    stub.n = 0;
    for (int i = 0; i < 20; i++)
        u8(&stub, 0);                                                          /* entry handle */
    u32(&stub, 1), u32(&stub, 4), u32(&stub, 0), u32(&stub, 1), u32(&stub, 3); /* num, array, referent */
    size_t tower_len_at = stub.n;
    u32(&stub, 0), u32(&stub, 0);
    size_t tower = stub.n;
    u16(&stub, 5);
    u16(&stub, 19), u8(&stub, 0x0d), uuid(&stub, EMSMDB), u16(&stub, 0), u16(&stub, 2), u16(&stub, 81);
    u16(&stub, 19), u8(&stub, 0x0d), uuid(&stub, NDR), u16(&stub, 2), u16(&stub, 2), u16(&stub, 0);
    u16(&stub, 1), u8(&stub, 0x0b), u16(&stub, 2), u16(&stub, 0);
    u16(&stub, 1), u8(&stub, 0x07), u16(&stub, 2), u8(&stub, 6001 >> 8), u8(&stub, 6001 & 0xff);
    u16(&stub, 1), u8(&stub, 0x09), u16(&stub, 4), u8(&stub, 10), u8(&stub, 91), u8(&stub, 3), u8(&stub, 2);
    uint32_t tl = (uint32_t)(stub.n - tower);
    memcpy(stub.b + tower_len_at, &tl, 4), memcpy(stub.b + tower_len_at + 4, &tl, 4);
    align4(&stub);
    u32(&stub, 0);
    response_pdu(&x, 2, &stub, NULL, 0);
    r = send_buf(&c, 0, &x);
    CHECK(r && has_text(note_of(r), "EPM maps EMSMDB to 10.91.3.2:6001"));
    uint32_t epm_answer = c.frame;

    /* mid-stream: no handshake, no bind; the client calls EcDoRpcExt2 on context 0 */
    conn late = {.eng = c.eng, .frame = c.frame, .time = c.time, .cport = 50100, .sport = 6001, .seq = {5, 9}};
    handle_stub(&stub, 0x77);
    request_pdu(&x, 40, 11, &stub, NULL, 0);
    r = send_buf(&late, 1, &x);
    CHECK(r && r->rpc && r->rpc->interface && strcmp(r->rpc->interface, "EMSMDB") == 0);
    CHECK(r && r->rpc && r->rpc->interface_source == CL_SOURCE_EPM && r->rpc->source_frame == epm_answer);
    CHECK(r && r->rpc && r->rpc->op && strcmp(r->rpc->op, "EcDoRpcExt2") == 0);
    /* a logon now: the counts are lower bounds */
    const cl_result *l = logon(&late, 41, 0x55, 0);
    CHECK(l && l->rpc && l->rpc->has_sessions && l->rpc->lower_bound);
    cl_engine_free(c.eng);
}

/* PDUs split over segments and packed together, a gap in the capture, snap-length cuts. */
static void test_stream(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 6001);
    buf x, stub;
    bind_pdu(&x, 11, 1, 2, ems_ctx, ems_ts, NULL);
    seg(&c, 1, CL_TCP_ACK, x.b, 10, 10); /* header cut in two */
    const cl_result *r = seg(&c, 1, CL_TCP_ACK, x.b + 10, (uint32_t)x.n - 10, (uint32_t)x.n - 10);
    CHECK(r && r->rpc && strcmp(r->rpc->ptype, "bind") == 0);
    static const uint16_t results[] = {0, 2}, reasons[] = {0, 2};
    buf two;
    bind_ack_pdu(&two, 1, 2, results, reasons);
    connect_response_stub(&stub, 0x99, 0);
    send_buf(&c, 0, &two);
    connect_request_stub(&stub, DN);
    request_pdu(&x, 2, 10, &stub, NULL, 0);
    /* a request in three segments, the middle one retransmitted */
    uint32_t a = 30, b = 60;
    seg(&c, 1, CL_TCP_ACK, x.b, a, a);
    seg(&c, 1, CL_TCP_ACK, x.b + a, b - a, b - a);
    c.seq[0] -= b - a;
    seg(&c, 1, CL_TCP_ACK, x.b + a, b - a, b - a);
    r = seg(&c, 1, CL_TCP_ACK, x.b + b, (uint32_t)x.n - b, (uint32_t)x.n - b);
    CHECK(r && r->rpc && r->rpc->mapi_user && strcmp(r->rpc->mapi_user, DN) == 0);
    /* two responses in one segment: the first answers, the second is unknown */
    buf rsp, rsp2, both = {.n = 0};
    connect_response_stub(&stub, 0x99, 0);
    response_pdu(&rsp, 2, &stub, NULL, 0);
    response_pdu(&rsp2, 77, &stub, NULL, 0);
    bytes(&both, rsp.b, rsp.n), bytes(&both, rsp2.b, rsp2.n);
    r = send_buf(&c, 0, &both);
    CHECK(r && r->rpc && r->rpc->sessions == 1 && strcmp(r->rpc->ptype, "response, response") == 0);
    /* bytes lost from the capture: the next segment that starts a PDU resyncs */
    c.seq[0] += 500;
    connect_request_stub(&stub, "/o=Contoso/cn=user2");
    request_pdu(&x, 3, 10, &stub, NULL, 0);
    r = send_buf(&c, 1, &x);
    CHECK(!r || !r->rpc || !r->rpc->mapi_user); /* held: a reordered segment may still fill the gap */
    r = seg(&c, 0, CL_TCP_ACK, NULL, 0, 0);     /* the server acknowledges past the gap: the capture lost it */
    CHECK(r && r->rpc && strcmp(r->rpc->mapi_user, "/o=Contoso/cn=user2") == 0);
    /* cut by the snap length: the PDU is dropped, nothing read from beyond the bytes */
    request_pdu(&x, 4, 10, &stub, NULL, 0);
    r = seg(&c, 1, CL_TCP_ACK, x.b, (uint32_t)x.n, 20);
    CHECK(!r || !r->rpc || !r->rpc->mapi_user);
    cl_engine_free(c.eng);
}

/* A stream whose first segment comes late is held for until it shows what it is: the bind it completes is read on
 * the frame that completes it; other bytes (an HTTP request) are no DCE/RPC; a first segment that never comes
 * (the receiver acknowledges past it) leaves the stream to the next PDU that starts a segment. */
static void test_first_segment_late(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 6001);
    buf x;
    bind_pdu(&x, 11, 1, 2, ems_ctx, ems_ts, NULL);
    uint32_t start = c.seq[0];
    c.seq[0] = start + 30;
    const cl_result *r = seg(&c, 1, CL_TCP_ACK, x.b + 30, (uint32_t)x.n - 30, (uint32_t)x.n - 30);
    CHECK(!r || !r->rpc); /* held: nothing is read before the bytes it follows */
    c.seq[0] = start;
    r = seg(&c, 1, CL_TCP_ACK, x.b, 30, 30);
    CHECK(r && r->rpc && strcmp(r->rpc->ptype, "bind") == 0 && has_text(r->rpc->interface, "EMSMDB"));
    cl_engine_free(c.eng);

    c = connected(&cfg, 50002, 80);
    static const char http[] = "GET /owa/ HTTP/1.1\r\nHost: mail.contoso.com\r\nUser-Agent: test\r\n\r\n";
    uint32_t n = (uint32_t)strlen(http);
    start = c.seq[0];
    c.seq[0] = start + 20;
    CHECK(!seg(&c, 1, CL_TCP_ACK, (const uint8_t *)http + 20, n - 20, n - 20));
    c.seq[0] = start;
    r = seg(&c, 1, CL_TCP_ACK, (const uint8_t *)http, 20, 20);
    CHECK(!r || !r->rpc);
    c.seq[0] = start + n;
    r = seg(&c, 0, CL_TCP_ACK | CL_TCP_PSH, (const uint8_t *)"HTTP/1.1 200 OK\r\n\r\n", 19, 19);
    CHECK(!r || !r->rpc);
    cl_engine_free(c.eng);

    c = connected(&cfg, 50003, 6001);
    bind_pdu(&x, 11, 1, 2, ems_ctx, ems_ts, NULL);
    c.seq[0] += 30; /* the bind's first 30 bytes are never captured */
    CHECK(!seg(&c, 1, CL_TCP_ACK, x.b + 30, (uint32_t)x.n - 30, (uint32_t)x.n - 30));
    r = seg(&c, 0, CL_TCP_ACK, NULL, 0, 0); /* acknowledged: they arrived, the capture lacks them */
    CHECK(!r || !r->rpc);
    buf stub;
    connect_request_stub(&stub, DN);
    request_pdu(&x, 2, 10, &stub, NULL, 0);
    r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && strcmp(r->rpc->ptype, "request") == 0);
    cl_engine_free(c.eng);
}

/* Garbage, lying lengths and table bounds: no crash, no reads out of bounds (run under ASan by fuzz-long). */
static void test_bad_input(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.max_mapi_sessions = 2;
    cfg.mapi_limit = 100;
    conn c = {.eng = cl_engine_new(&cfg), .time = 100};
    srand(7);
    for (int i = 0; i < 6; i++) { /* more sessions than tracked */
        open_conn(&c, (uint16_t)(40000 + i), 6001);
        bind_emsmdb(&c);
        logon(&c, 2, (uint8_t)(0x40 + i), 0);
    }
    const cl_result *r = logon(&c, 3, 0x60, 0);
    CHECK(r && r->rpc && r->rpc->sessions <= 2 && r->rpc->lower_bound);
    for (int round = 0; round < 300; round++) {
        buf x, stub = {.n = 0};
        int kind = round % 4;
        if (kind == 0) {
            connect_request_stub(&stub, DN);
            request_pdu(&x, (uint32_t)round, 10, &stub, NULL, 0);
        } else if (kind == 1) {
            bind_emsmdb(&c);
            continue;
        } else {
            connect_response_stub(&stub, 1, 0);
            response_pdu(&x, (uint32_t)round - 2, &stub, NULL, 0);
        }
        for (int k = 0; k < 4; k++) /* lie in a few bytes, lengths included */
            x.b[rand() % x.n] = (uint8_t)rand();
        send_buf(&c, kind == 0, &x);
    }
    uint8_t junk[64];
    for (int i = 0; i < 64; i++)
        junk[i] = (uint8_t)rand();
    junk[0] = 5, junk[1] = 0, junk[2] = 0, junk[4] = 0x10, junk[8] = 16, junk[9] = 0, junk[10] = 0xff, junk[11] = 0xff;
    seg(&c, 1, CL_TCP_ACK, junk, 64, 64);
    CHECK(true);
    cl_engine_free(c.eng);
}

/* A logon answer in two PDU fragments: the handle in the first, the return code at the end of the last. */
static void test_fragmented_response(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 6001);
    bind_emsmdb(&c);
    buf stub, x, part = {.n = 0}, body = {.n = 0};
    connect_request_stub(&stub, DN);
    request_pdu(&x, 2, 10, &stub, NULL, 0);
    send_buf(&c, 1, &x);
    connect_response_stub(&stub, 0x31, 0);
    size_t half = 24;
    u32(&body, (uint32_t)stub.n), u16(&body, 0), u8(&body, 0), u8(&body, 0);
    bytes(&body, stub.b, half);
    pdu(&x, 2, 1, 2, &body, NULL, 0); /* PFC_FIRST only */
    const cl_result *r = send_buf(&c, 0, &x);
    CHECK(!r || !r->rpc || !r->rpc->has_sessions);
    u32(&part, (uint32_t)stub.n), u16(&part, 0), u8(&part, 0), u8(&part, 0);
    bytes(&part, stub.b + half, stub.n - half);
    pdu(&x, 2, 2, 2, &part, NULL, 0); /* PFC_LAST */
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && r->rpc->has_sessions && r->rpc->sessions == 1 && !r->rpc->has_error);
    /* the handle came from the first fragment: EcDoDisconnect with it releases the session */
    handle_stub(&stub, 0x31);
    request_pdu(&x, 3, 1, &stub, NULL, 0);
    send_buf(&c, 1, &x);
    handle_stub(&stub, 0);
    u32(&stub, 0);
    response_pdu(&x, 3, &stub, NULL, 0);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && r->rpc->sessions == 0);
    cl_engine_free(c.eng);
}

/* Thousands of users: the tables stay at their bound, each user's count stays right while it is tracked. */
static void test_many_users(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    cfg.max_mapi_sessions = 500;
    conn c = connected(&cfg, 50001, 6001);
    bind_emsmdb(&c);
    unsigned right = 0, noted = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        char dn[64];
        snprintf(dn, sizeof(dn), "/o=Contoso/cn=Recipients/cn=user%u", i);
        buf stub, x;
        connect_request_stub(&stub, dn);
        request_pdu(&x, 10 + i, 10, &stub, NULL, 0);
        send_buf(&c, 1, &x);
        connect_response_stub(&stub, 0, 0);
        memcpy(stub.b + 4, &i, 4); /* a handle of its own */
        stub.b[19] = 1;
        response_pdu(&x, 10 + i, &stub, NULL, 0);
        const cl_result *r = send_buf(&c, 0, &x);
        right += r && r->rpc && r->rpc->sessions == 1 && strcmp(r->rpc->mapi_user, dn) == 0;
        noted += r && (r->experts & CL_EXP_TABLE_FULL);
    }
    CHECK(right == 5000);
    CHECK(noted == 1);
    cl_engine_free(c.eng);
}

/* The second read's cases: names listed once each, old bytes after a gap, faults, the server's own close. */
static void test_review_cases(void)
{
    cl_config cfg;
    cl_config_defaults(&cfg);
    conn c = connected(&cfg, 50001, 6001);
    static const char *const both[] = {EMSMDB, "5261574a-4572-206e-b268-6b199213b4e4"};
    static const char *const ndr2[] = {NDR, NDR};
    buf x, stub;
    bind_pdu(&x, 11, 1, 2, both, ndr2, NULL);
    const cl_result *r = send_buf(&c, 1, &x);
    CHECK(r && r->rpc && strcmp(r->rpc->interface, "EMSMDB, AsyncEMSMDB") == 0);
    static const uint16_t ok2[] = {0, 0}, none2[] = {0, 0};
    bind_ack_pdu(&x, 1, 2, ok2, none2);
    send_buf(&c, 0, &x);

    /* a logon answered by a fault: refused, nothing opened */
    connect_request_stub(&stub, DN);
    request_pdu(&x, 2, 10, &stub, NULL, 0);
    send_buf(&c, 1, &x);
    buf body = {.n = 0};
    u32(&body, 0), u16(&body, 0), u8(&body, 0), u8(&body, 0), u32(&body, 0x1c010002);
    pdu(&x, 3, 3, 2, &body, NULL, 0);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && r->rpc->has_fault && r->rpc->has_error && r->rpc->sessions == 0);

    /* a logon, bytes lost from the capture, then the old logon retransmitted: counted once */
    uint32_t before = c.seq[0];
    connect_request_stub(&stub, DN);
    request_pdu(&x, 3, 10, &stub, NULL, 0);
    send_buf(&c, 1, &x);
    connect_response_stub(&stub, 0x21, 0);
    response_pdu(&x, 3, &stub, NULL, 0);
    r = send_buf(&c, 0, &x);
    CHECK(r && r->rpc && r->rpc->sessions == 1);
    c.seq[0] += 300; /* not in the capture */
    buf junk = {.n = 0};
    for (int i = 0; i < 40; i++)
        u8(&junk, 0x41);
    send_buf(&c, 1, &junk); /* the middle of something: out of sync */
    uint32_t after = c.seq[0];
    c.seq[0] = before;
    connect_request_stub(&stub, DN);
    request_pdu(&x, 3, 10, &stub, NULL, 0);
    r = send_buf(&c, 1, &x); /* old bytes: ignored */
    CHECK(!r || !r->rpc);
    c.seq[0] = after;

    /* the server closes the connection itself: it runs the session down, nothing leaks */
    r = seg(&c, 0, CL_TCP_FIN | CL_TCP_ACK, NULL, 0, 0);
    CHECK(r && !(r->experts & CL_EXP_MAPI_SESSION_LEAK) && r->rpc && r->rpc->sessions == 0 &&
          has_text(note_of(r), "runs down"));

    /* no bind seen, a sealed request (its own trailer says privacy): its stub is not read as a user DN */
    conn late = {.eng = c.eng, .frame = c.frame, .time = c.time, .cport = 50200, .sport = 6001, .seq = {5, 9}};
    buf sig = {.n = 0};
    for (int i = 0; i < 16; i++)
        u8(&sig, (uint8_t)i);
    connect_request_stub(&stub, DN);
    request_pdu(&x, 7, 10, &stub, &sig, 6);
    r = send_buf(&late, 1, &x);
    CHECK(!r || !r->rpc || !r->rpc->mapi_user);
    cl_engine_free(c.eng);
}

int main(void)
{
    test_bind_and_session();
    test_bind_rejected();
    test_extreme_prefs();
    test_leak_and_limit();
    test_sealed();
    test_endpoint_learning();
    test_stream();
    test_first_segment_late();
    test_segmentation();
    test_bad_input();
    test_fragmented_response();
    test_many_users();
    test_review_cases();
    printf("rpc/mapi unit checks: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
