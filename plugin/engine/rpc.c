/* DCE/RPC over TCP (ncacn_ip_tcp), read from the payload bytes: PDUs cut from each direction's byte
 * stream, presentation contexts and the interfaces they name, binds and their answers, calls and faults,
 * NTLM user names, and dynamic endpoints learned from EPM answers and binds. EMSMDB calls go on to mapi.c.
 *
 * Stubs are often sealed, but the PDU header, the bind, the opnum and the authentication trailer are
 * always readable; each PDU keeps only its head and tail, which hold all of that.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

#define CL_RPC_HEAD 8192 /* bytes kept from the start of a PDU: a bind and a logon request fit */
#define CL_RPC_TAIL 1024 /* bytes kept from its end: return code and authentication trailer */
#define CL_RPC_MAX_CONTEXTS 64
#define CL_RPC_MAX_CALLS 256
#define CL_RPC_PROBES 8 /* payload segments of a conversation looked at for a PDU header */
#define CL_MAX_NAME 256 /* longest user DN or NTLM name taken */

enum {
    PT_REQUEST = 0,
    PT_RESPONSE = 2,
    PT_FAULT = 3,
    PT_BIND = 11,
    PT_BIND_ACK = 12,
    PT_BIND_NAK = 13,
    PT_ALTER = 14,
    PT_ALTER_RESP = 15,
    PT_AUTH3 = 16,
    PT_SHUTDOWN = 17,
    PT_CO_CANCEL = 18,
    PT_ORPHANED = 19,
};
enum { PFC_FIRST = 0x01, PFC_LAST = 0x02, PFC_OBJECT_UUID = 0x80 };
enum { AUTH_LEVEL_PRIVACY = 6 };

static const char *const emsmdb_ops[] = {
    "EcDoConnect",
    "EcDoDisconnect",
    "EcDoRpc",
    "EcGetMoreRpc",
    "EcRRegisterPushNotification",
    "EcRUnregisterPushNotification",
    "EcDummyRpc",
    "EcRGetDCName",
    "EcRNetGetDCName",
    "EcDoRpcExt",
    "EcDoConnectEx",
    "EcDoRpcExt2",
    NULL,
    NULL,
    "EcDoAsyncConnectEx",
};
static const char *const async_emsmdb_ops[] = {"EcDoAsyncWaitEx"};
static const char *const nspi_ops[] = {
    "NspiBind",
    "NspiUnbind",
    "NspiUpdateStat",
    "NspiQueryRows",
    "NspiSeekEntries",
    "NspiGetMatches",
    "NspiResortRestriction",
    "NspiDNToMId",
    "NspiGetPropList",
    "NspiGetProps",
    "NspiCompareMIds",
    "NspiModProps",
    "NspiGetSpecialTable",
    "NspiGetTemplateInfo",
    "NspiModLinkAtt",
    "NspiDeleteEntries",
    "NspiQueryColumns",
    "NspiGetNamesFromIDs",
    "NspiGetIDsFromNames",
    "NspiResolveNames",
    "NspiResolveNamesW",
};
static const char *const rfr_ops[] = {"RfrGetNewDSA", "RfrGetFQDNFromServerDN"};
static const char *const epm_ops[] = {
    "ept_insert", "ept_delete", "ept_lookup", "ept_map", "ept_lookup_handle_free", "ept_inq_object", "ept_mgmt_delete",
};
enum { EPM_MAP = 3 };

#define OPS(a) a, G_N_ELEMENTS(a)
const cl_rpc_iface cl_iface_emsmdb = {"a4f1db00-ca47-1067-b31f-00dd010662da", "EMSMDB", OPS(emsmdb_ops)};
static const cl_rpc_iface iface_epm = {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "EPM", OPS(epm_ops)};
static const cl_rpc_iface known_ifaces[] = {
    {"5261574a-4572-206e-b268-6b199213b4e4", "AsyncEMSMDB", OPS(async_emsmdb_ops)},
    {"f5cc5a18-4264-101a-8c59-08002b2f8426", "NSPI", OPS(nspi_ops)},
    {"1544f5e0-613c-11d1-93df-00c04fd7bd09", "RFR", OPS(rfr_ops)},
    {"afa8bd80-7d8a-11c9-bef4-08002b102989", "MGMT", NULL, 0},
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "DRSUAPI", NULL, 0},
    {"12345778-1234-abcd-ef00-0123456789ac", "SAMR", NULL, 0},
    {"12345778-1234-abcd-ef00-0123456789ab", "LSARPC", NULL, 0},
    {"12345678-1234-abcd-ef00-01234567cffb", "NETLOGON", NULL, 0},
    {"12345678-1234-abcd-ef00-0123456789ab", "SPOOLSS", NULL, 0},
    {"4b324fc8-1670-01d3-1278-5a47bf6ee188", "SRVSVC", NULL, 0},
    {"6bffd098-a112-3610-9833-46c3f87e345a", "WKSSVC", NULL, 0},
    {"338cd001-2244-31f1-aaaa-900038001003", "WINREG", NULL, 0},
    {"367abb81-9844-35f1-ad32-98f038001003", "SVCCTL", NULL, 0},
    {"82273fdc-e32a-18c3-3f78-827929dc23ea", "EVENTLOG", NULL, 0},
    {"86d35949-83c9-4044-b424-db363231fd0c", "ITaskSchedulerService", NULL, 0},
    {"1ff70682-0a51-30e8-076d-740be8cee98b", "ATSVC", NULL, 0},
    {"99fcfec4-5260-101b-bbcb-00aa0021347a", "IOXIDResolver", NULL, 0},
    {"000001a0-0000-0000-c000-000000000046", "ISystemActivator", NULL, 0},
    {"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IRemoteActivation", NULL, 0},
};

static const char *ptype_name(uint8_t t)
{
    static const char *const names[] = {
        [PT_REQUEST] = "request",     [PT_RESPONSE] = "response",
        [PT_FAULT] = "fault",         [PT_BIND] = "bind",
        [PT_BIND_ACK] = "bind_ack",   [PT_BIND_NAK] = "bind_nak",
        [PT_ALTER] = "alter_context", [PT_ALTER_RESP] = "alter_context_resp",
        [PT_AUTH3] = "auth3",         [PT_SHUTDOWN] = "shutdown",
        [PT_CO_CANCEL] = "co_cancel", [PT_ORPHANED] = "orphaned",
    };
    return t < G_N_ELEMENTS(names) && names[t] ? names[t] : NULL;
}

/* A connection-oriented PDU header at p: version 5.0/5.1, a known type, a sane data representation and
 * lengths. Ten bytes reach frag_length; a segment may end there. */
static bool plausible_header(const uint8_t *p, size_t len)
{
    if (len < 10 || p[0] != 5 || p[1] > 1 || !ptype_name(p[2]) || (p[4] & 0xee) || p[5] > 3)
        return false;
    bool le = p[4] & 0x10;
    uint32_t frag_len = le ? (uint32_t)(p[8] | p[9] << 8) : (uint32_t)(p[8] << 8 | p[9]);
    if (frag_len < 16)
        return false;
    if (len < 12)
        return true;
    uint32_t auth_len = le ? (uint32_t)(p[10] | p[11] << 8) : (uint32_t)(p[10] << 8 | p[11]);
    return !auth_len || auth_len + 8 + 16 <= frag_len;
}

/* Interned texts belong to the results: counted with them, and none is added once they are full (NULL). */
const char *cl_intern(cl_engine *eng, const char *text)
{
    const char *known = g_hash_table_lookup(eng->interned, text);
    if (known)
        return known;
    if (eng->results_full_frame)
        return NULL;
    char *kept = g_string_chunk_insert(eng->strings, text);
    g_hash_table_add(eng->interned, kept);
    eng->result_bytes += strlen(kept) + 1 + CL_ENTRY_BYTES;
    return kept;
}

cl_rpc_info *cl_rpc_info_for(cl_engine *eng, cl_result **res, const cl_conv *conv)
{
    cl_result *r = cl_result_for(eng, res, conv);
    if (!r->rpc) {
        r->rpc = g_new0(cl_rpc_info, 1);
        r->rpc->opnum = -1;
    }
    return r->rpc;
}

/* ---- endpoints ------------------------------------------------------------------------------------- */

static guint endpoint_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(cl_rpc_endpoint_key)); }
static gboolean endpoint_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(cl_rpc_endpoint_key)) == 0;
}

static void endpoint_key(cl_rpc_endpoint_key *k, const cl_addr *addr, uint16_t port)
{
    memset(k, 0, sizeof(*k));
    k->addr = *addr;
    k->port = port;
}

static const cl_rpc_endpoint *endpoint_lookup(cl_engine *eng, const cl_addr *addr, uint16_t port)
{
    cl_rpc_endpoint_key k;
    endpoint_key(&k, addr, port);
    return g_hash_table_lookup(eng->rpc_endpoints, &k);
}

/* What an endpoint serves. The latest word wins: a port may be reused by another server process. */
static void endpoint_learn(cl_engine *eng, const cl_addr *addr, uint16_t port, const cl_rpc_iface *iface,
                           uint8_t source, uint32_t frame, const cl_conv *conv, cl_result **res)
{
    cl_rpc_endpoint_key k;
    endpoint_key(&k, addr, port);
    cl_rpc_endpoint *ep = g_hash_table_lookup(eng->rpc_endpoints, &k);
    if (ep) {
        ep->iface = iface, ep->source = source, ep->source_frame = frame;
        g_queue_unlink(&eng->rpc_endpoint_order, &ep->link); /* least recently learned goes first */
        g_queue_push_tail_link(&eng->rpc_endpoint_order, &ep->link);
        return;
    }
    if (eng->rpc_endpoint_order.length >= eng->cfg.max_rpc_endpoints) {
        cl_rpc_endpoint *old = g_queue_pop_head_link(&eng->rpc_endpoint_order)->data;
        g_hash_table_remove(eng->rpc_endpoints, &old->key);
        g_free(old);
        cl_note_table_full(eng, res, conv, &eng->rpc_cap_noted, eng->cfg.max_rpc_endpoints, "RPC endpoints",
                           "max_rpc_endpoints", "the oldest learned ones are forgotten");
    }
    ep = g_new0(cl_rpc_endpoint, 1);
    ep->key = k;
    ep->iface = iface, ep->source = source, ep->source_frame = frame;
    ep->link.data = ep;
    g_queue_push_tail_link(&eng->rpc_endpoint_order, &ep->link);
    g_hash_table_insert(eng->rpc_endpoints, &ep->key, ep);
}

/* ---- reading PDU bytes ----------------------------------------------------------------------------- */

/* A complete PDU as kept: bytes [0, head_len) and [tail_off, len). */
typedef struct {
    const uint8_t *head;
    uint32_t head_len;
    const uint8_t *tail;
    uint32_t tail_off;
    uint32_t len;
    bool le;
} pdu_view;

static bool pdu_has(const pdu_view *v, uint32_t off, uint32_t n)
{
    if (off > v->len || n > v->len - off)
        return false;
    return off + n <= v->head_len || (off >= v->tail_off && v->tail);
}

static const uint8_t *pdu_at(const pdu_view *v, uint32_t off)
{
    return off < v->head_len ? v->head + off : v->tail + (off - v->tail_off);
}

static uint16_t pdu_u16(const pdu_view *v, uint32_t off)
{
    const uint8_t *p = pdu_at(v, off);
    return v->le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t pdu_u32(const pdu_view *v, uint32_t off)
{
    const uint8_t *p = pdu_at(v, off);
    return v->le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                 : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* A UUID in NDR (first three fields in the PDU's byte order) as text. */
static void uuid_text(const pdu_view *v, uint32_t off, char *buf, size_t len)
{
    const uint8_t *p = pdu_at(v, off);
    snprintf(buf, len, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", pdu_u32(v, off), pdu_u16(v, off + 4),
             pdu_u16(v, off + 6), p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
}

static const cl_rpc_iface *iface_by_uuid(const char *uuid)
{
    if (strcmp(uuid, cl_iface_emsmdb.uuid) == 0)
        return &cl_iface_emsmdb;
    if (strcmp(uuid, iface_epm.uuid) == 0)
        return &iface_epm;
    for (size_t i = 0; i < G_N_ELEMENTS(known_ifaces); i++)
        if (strcmp(uuid, known_ifaces[i].uuid) == 0)
            return &known_ifaces[i];
    return NULL;
}

static const char *op_name(const cl_rpc_iface *iface, uint16_t opnum)
{
    return iface && opnum < iface->n_ops ? iface->ops[opnum] : NULL;
}

/* The stub of a request or response: after the header fields, before the authentication trailer. */
static bool stub_bounds(const pdu_view *v, uint32_t start, uint32_t *stub_start, uint32_t *stub_end)
{
    uint32_t auth_len = pdu_u16(v, 10), end = v->len;
    if (auth_len) {
        uint32_t trailer = v->len - auth_len - 8; /* plausible_header() keeps this above the header */
        if (!pdu_has(v, trailer, 8))
            return false;
        uint8_t pad = pdu_at(v, trailer)[2];
        if (pad > trailer)
            return false;
        end = trailer - pad;
    }
    if (end < start)
        return false;
    *stub_start = start, *stub_end = end;
    return true;
}

/* ---- NTLM ------------------------------------------------------------------------------------------ */

static char *utf16le_text(const uint8_t *p, uint32_t len)
{
    uint32_t n = MIN(len / 2, CL_MAX_NAME);
    gunichar2 *w = g_new(gunichar2, n + 1);
    for (uint32_t i = 0; i < n; i++)
        w[i] = le16(p + 2 * i);
    w[n] = 0;
    char *s = g_utf16_to_utf8(w, (glong)n, NULL, NULL, NULL);
    g_free(w);
    return s;
}

/* DOMAIN\user of an NTLMSSP AUTHENTICATE message anywhere in an auth token (bare or inside SPNEGO). */
static char *ntlm_user(const uint8_t *tok, uint32_t len)
{
    static const uint8_t sig[] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    for (uint32_t i = 0; i + 64 <= len; i++) {
        if (memcmp(tok + i, sig, sizeof(sig)) != 0)
            continue;
        const uint8_t *m = tok + i;
        uint32_t mlen = len - i;
        if (le32(m + 8) != 3)
            return NULL;
        bool unicode = le32(m + 60) & 1;
        char *part[2] = {NULL, NULL}; /* domain, user */
        for (int f = 0; f < 2; f++) {
            uint32_t flen = le16(m + 28 + 8 * f), foff = le32(m + 32 + 8 * f);
            if (!flen || foff > mlen || flen > mlen - foff)
                continue;
            part[f] =
                unicode ? utf16le_text(m + foff, flen) : g_strndup((const char *)m + foff, MIN(flen, CL_MAX_NAME));
            if (part[f] && !g_utf8_validate(part[f], -1, NULL))
                g_clear_pointer(&part[f], g_free);
        }
        char *out = NULL;
        if (part[1] && *part[1])
            out = part[0] && *part[0] ? g_strdup_printf("%s\\%s", part[0], part[1]) : g_strdup(part[1]);
        g_free(part[0]);
        g_free(part[1]);
        return out;
    }
    return NULL;
}

static const char *auth_type_name(uint8_t t)
{
    switch (t) {
    case 9:
        return "SPNEGO";
    case 10:
        return "NTLM";
    case 16:
        return "Kerberos";
    case 68:
        return "Netlogon";
    default:
        return NULL;
    }
}

static const char *auth_level_name(uint8_t l)
{
    static const char *const names[] = {NULL, "none", "connect", "call", "packet", "integrity", "privacy"};
    return l < G_N_ELEMENTS(names) ? names[l] : NULL;
}

/* The authentication trailer of a bind, alter_context or auth3: level, type and the NTLM user. */
static void read_auth(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, const pdu_view *v, cl_result **res)
{
    uint32_t auth_len = pdu_u16(v, 10);
    if (!auth_len)
        return;
    uint32_t trailer = v->len - auth_len - 8;
    if (!pdu_has(v, trailer, 8))
        return;
    const uint8_t *t = pdu_at(v, trailer);
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    char buf[96];
    const char *type = auth_type_name(t[0]), *level = auth_level_name(t[1]);
    snprintf(buf, sizeof(buf), "%s%s%u, level %s%s%u%s", type ? type : "", type ? " (" : "type ", t[0],
             level ? level : "", level ? " (" : "", t[1],
             level  ? "))"
             : type ? ")"
                    : "");
    info->auth = cl_intern(eng, buf);
    if (!pdu_has(v, trailer + 8, auth_len))
        return;
    char *user = ntlm_user(pdu_at(v, trailer + 8), auth_len);
    if (user) {
        rpc->auth_user = info->auth_user = cl_intern(eng, user);
        g_free(user);
    }
}

/* ---- binds ----------------------------------------------------------------------------------------- */

/* "A, B": each name once (a bind proposes one interface over several transfer syntaxes). */
static void name_list_add(GString *list, GPtrArray *seen, const char *name)
{
    for (unsigned i = 0; i < seen->len; i++) /* a handful of distinct interfaces */
        if (strcmp(g_ptr_array_index(seen, i), name) == 0)
            return;
    g_ptr_array_add(seen, g_strdup(name));
    g_string_append_printf(list, "%s%s", list->len ? ", " : "", name);
}

static cl_rpc_ctx *context_find(cl_rpc_conv *rpc, uint16_t id)
{
    for (unsigned i = 0; rpc->contexts && i < rpc->contexts->len; i++) /* a handful per binding */
        if (g_array_index(rpc->contexts, cl_rpc_ctx, i).id == id)
            return &g_array_index(rpc->contexts, cl_rpc_ctx, i);
    return NULL;
}

static void read_bind(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, const pdu_view *v, const cl_packet *pkt,
                      cl_result **res)
{
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    if (!rpc->proposed)
        rpc->proposed = g_array_new(FALSE, FALSE, sizeof(uint16_t));
    if (!rpc->contexts)
        rpc->contexts = g_array_new(FALSE, FALSE, sizeof(cl_rpc_ctx));
    g_array_set_size(rpc->proposed, 0);
    GString *names = g_string_new(NULL);
    GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
    uint32_t off = 28;
    unsigned n = pdu_has(v, 24, 1) ? pdu_at(v, 24)[0] : 0;
    for (unsigned i = 0; i < n && pdu_has(v, off, 24); i++) {
        uint16_t id = pdu_u16(v, off);
        unsigned n_syntaxes = pdu_at(v, off + 2)[0];
        char uuid[40];
        uuid_text(v, off + 4, uuid, sizeof(uuid));
        const cl_rpc_iface *iface = iface_by_uuid(uuid);
        const char *name = iface ? iface->name : uuid;
        name_list_add(names, seen, name);
        cl_rpc_ctx *ctx = context_find(rpc, id);
        if (!ctx && rpc->contexts->len < CL_RPC_MAX_CONTEXTS) {
            g_array_append_val(rpc->contexts, ((cl_rpc_ctx){.id = id}));
            ctx = &g_array_index(rpc->contexts, cl_rpc_ctx, rpc->contexts->len - 1);
        }
        if (ctx)
            ctx->iface = iface, ctx->accepted = false, ctx->bind_frame = pkt->frame;
        g_array_append_val(rpc->proposed, id);
        off += 24 + 20 * n_syntaxes;
    }
    if (names->len)
        info->interface = cl_intern(eng, names->str);
    g_string_free(names, TRUE);
    g_ptr_array_free(seen, TRUE);
    read_auth(eng, conv, rpc, v, res);
}

static const char *ack_reason(uint16_t r)
{
    static const char *const names[] = {"reason not specified", "abstract syntax not supported",
                                        "proposed transfer syntaxes not supported", "local limit exceeded"};
    return r < G_N_ELEMENTS(names) ? names[r] : "unknown reason";
}

static const char *nak_reason(uint16_t r)
{
    static const char *const names[] = {
        "reason not specified",
        "temporary congestion",
        "local limit exceeded",
        "called address unknown",
        "protocol version not supported",
        "default context not supported",
        "user data not readable",
        "no PSAP available",
        "authentication type not recognized",
        "invalid checksum",
    };
    return r < G_N_ELEMENTS(names) ? names[r] : "unknown reason";
}

static void read_bind_ack(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, const pdu_view *v, int from,
                          const cl_packet *pkt, cl_result **res)
{
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    if (!pdu_has(v, 24, 2))
        return;
    uint32_t off = 26 + pdu_u16(v, 24); /* after the secondary address */
    off = (off + 3) & ~3u;
    if (!pdu_has(v, off, 4))
        return;
    unsigned n = pdu_at(v, off)[0];
    off += 4;
    GString *text = g_string_new(NULL);
    GString *ifaces = g_string_new(NULL);
    GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
    unsigned accepted = 0, rejected = 0;
    for (unsigned i = 0; i < n && pdu_has(v, off, 24); i++, off += 24) {
        uint16_t result = pdu_u16(v, off), reason = pdu_u16(v, off + 2);
        uint16_t id = rpc->proposed && i < rpc->proposed->len ? g_array_index(rpc->proposed, uint16_t, i) : 0xffff;
        cl_rpc_ctx *ctx = id != 0xffff ? context_find(rpc, id) : NULL;
        const char *name = ctx && ctx->iface ? ctx->iface->name : "unknown interface";
        if (id != 0xffff)
            g_string_append_printf(text, "%scontext %u (%s): ", text->len ? "; " : "", id, name);
        else
            g_string_append_printf(text, "%sresult %u: ", text->len ? "; " : "", i);
        if (result == 0) {
            accepted++;
            g_string_append(text, "accepted");
            if (ctx) {
                ctx->accepted = true;
                if (ctx->iface)
                    name_list_add(ifaces, seen, ctx->iface->name);
            }
        } else if (result == 3) {
            g_string_append(text, "negotiate_ack (bind time features)");
        } else {
            rejected++;
            g_string_append_printf(text, "%s, %s", result == 1 ? "user rejection" : "provider rejection",
                                   ack_reason(reason));
        }
    }
    info->bind_result = cl_intern(eng, text->str);
    if (ifaces->len)
        info->interface = cl_intern(eng, ifaces->str);
    if (!accepted && rejected) {
        cl_result_for(eng, res, conv)->experts |= CL_EXP_RPC_BIND_REJECTED;
    } else if (accepted && rpc->proposed) {
        /* the server endpoint serves what it accepted: later connections to it need no bind */
        for (unsigned i = 0; i < rpc->proposed->len; i++) {
            cl_rpc_ctx *ctx = context_find(rpc, g_array_index(rpc->proposed, uint16_t, i));
            if (ctx && ctx->accepted && ctx->iface) {
                endpoint_learn(eng, &conv->side[from].addr, conv->side[from].port, ctx->iface, CL_SOURCE_ENDPOINT_BIND,
                               pkt->frame, conv, res);
                break;
            }
        }
    }
    g_string_free(text, TRUE);
    g_string_free(ifaces, TRUE);
    g_ptr_array_free(seen, TRUE);
}

/* ---- EPM ------------------------------------------------------------------------------------------- */

/* ept_map answers hold towers: floors of (protocol id + data, value). Each tower that names an interface
 * and a TCP port teaches an endpoint. The towers are found by their shape, so NDR alignment details of
 * the answer do not matter. */
static void read_towers(cl_engine *eng, cl_conv *conv, int from, const uint8_t *p, uint32_t len, const cl_packet *pkt,
                        cl_result **res)
{
    for (uint32_t i = 0; i + 25 <= len; i++) {
        uint16_t floors = le16(p + i);
        if (floors < 3 || floors > 8 || le16(p + i + 2) != 19 || p[i + 4] != 0x0d)
            continue;
        char uuid[40];
        pdu_view one = {p + i + 5, 16, NULL, 0, 16, true};
        uuid_text(&one, 0, uuid, sizeof(uuid));
        const cl_rpc_iface *iface = iface_by_uuid(uuid);
        uint32_t off = i + 2, port = 0;
        cl_addr addr = conv->side[from].addr;
        for (unsigned f = 0; f < floors; f++) {
            if (off + 2 > len)
                break;
            uint32_t lhs = le16(p + off);
            if (off + 2 + lhs + 2 > len || !lhs)
                break;
            uint8_t proto = p[off + 2];
            uint32_t rhs_off = off + 2 + lhs + 2, rhs = le16(p + off + 2 + lhs);
            if (rhs_off + rhs > len)
                break;
            if (proto == 0x07 && rhs == 2)
                port = (uint32_t)(p[rhs_off] << 8 | p[rhs_off + 1]);
            else if (proto == 0x09 && rhs == 4 && (p[rhs_off] | p[rhs_off + 1] | p[rhs_off + 2] | p[rhs_off + 3])) {
                memset(&addr, 0, sizeof(addr));
                addr.family = 4;
                memcpy(addr.bytes, p + rhs_off, 4);
            }
            off = rhs_off + rhs;
        }
        if (iface && port) {
            endpoint_learn(eng, &addr, (uint16_t)port, iface, CL_SOURCE_EPM, pkt->frame, conv, res);
            char addr_text[64];
            cl_addr_format(&addr, (uint16_t)port, addr_text, sizeof(addr_text));
            cl_result_note(cl_result_for(eng, res, conv), g_strdup_printf("EPM maps %s to %s", iface->name, addr_text));
        }
        i = off - 1;
    }
}

/* ---- calls ----------------------------------------------------------------------------------------- */

/* The interface behind a context id: this binding's, else, for a context no bind in the capture set up,
 * the endpoint's as learned elsewhere. */
static const cl_rpc_iface *context_iface(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, uint16_t ctx_id,
                                         uint8_t *source, uint32_t *source_frame)
{
    cl_rpc_ctx *ctx = context_find(rpc, ctx_id);
    *source = CL_SOURCE_NONE, *source_frame = 0;
    if (ctx) {
        *source = CL_SOURCE_BIND, *source_frame = ctx->bind_frame;
        return ctx->accepted ? ctx->iface : NULL;
    }
    if (rpc->client < 0)
        return NULL;
    const cl_side *server = &conv->side[!rpc->client];
    const cl_rpc_endpoint *ep = endpoint_lookup(eng, &server->addr, server->port);
    if (!ep)
        return NULL;
    if (!rpc->late && ep->iface == &cl_iface_emsmdb)
        eng->mapi_late++;
    rpc->late = true;
    *source = ep->source, *source_frame = ep->source_frame;
    return ep->iface;
}

static void show_call(cl_engine *eng, cl_conv *conv, const cl_rpc_iface *iface, uint8_t source, uint32_t source_frame,
                      int32_t opnum, cl_result **res)
{
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    info->opnum = opnum;
    info->op = opnum >= 0 ? op_name(iface, (uint16_t)opnum) : NULL;
    if (!iface)
        return;
    info->interface = iface->name;
    info->interface_source = source, info->source_frame = source_frame;
}

/* Whether the stub is sealed, as the PDU's own trailer says (a PDU without one is in clear). */
static bool stub_sealed(const pdu_view *v)
{
    uint32_t auth_len = pdu_u16(v, 10);
    if (!auth_len)
        return false;
    uint32_t trailer = v->len - auth_len - 8;
    return !pdu_has(v, trailer, 8) || pdu_at(v, trailer)[1] >= AUTH_LEVEL_PRIVACY;
}

static void call_add(cl_rpc_conv *rpc, cl_rpc_call *call)
{
    if (!rpc->calls)
        rpc->calls = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    cl_rpc_call *old = g_hash_table_lookup(rpc->calls, GUINT_TO_POINTER(call->call_id));
    if (old)
        g_queue_unlink(&rpc->call_order, &old->link);
    else if (g_hash_table_size(rpc->calls) >= CL_RPC_MAX_CALLS) { /* its answer never came: the oldest goes */
        cl_rpc_call *oldest = g_queue_pop_head_link(&rpc->call_order)->data;
        g_hash_table_remove(rpc->calls, GUINT_TO_POINTER(oldest->call_id));
    }
    call->link.data = call;
    g_queue_push_tail_link(&rpc->call_order, &call->link);
    g_hash_table_replace(rpc->calls, GUINT_TO_POINTER(call->call_id), call);
}

static void call_done(cl_rpc_conv *rpc, cl_rpc_call *call)
{
    g_queue_unlink(&rpc->call_order, &call->link);
    g_hash_table_remove(rpc->calls, GUINT_TO_POINTER(call->call_id));
}

/* A printable szUserDN: NDR conformant varying string of 8-bit characters. */
static const char *read_user_dn(cl_engine *eng, const pdu_view *v, uint32_t start, uint32_t end)
{
    if (end < start + 12 || !pdu_has(v, start, 12))
        return NULL;
    uint32_t max = pdu_u32(v, start), offset = pdu_u32(v, start + 4), actual = pdu_u32(v, start + 8);
    if (offset || !actual || actual > max || actual > CL_MAX_NAME || actual > end - start - 12 ||
        !pdu_has(v, start + 12, actual))
        return NULL;
    const uint8_t *s = pdu_at(v, start + 12);
    char buf[CL_MAX_NAME + 1];
    uint32_t n = 0;
    for (; n < actual && s[n]; n++) {
        if (s[n] < 0x20 || s[n] > 0x7e)
            return NULL;
        buf[n] = (char)s[n];
    }
    buf[n] = 0;
    return n ? cl_intern(eng, buf) : NULL;
}

static void read_request(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, const pdu_view *v, const cl_packet *pkt,
                         cl_result **res)
{
    if (!pdu_has(v, 16, 8))
        return;
    uint8_t flags = pdu_at(v, 3)[0];
    uint16_t ctx_id = pdu_u16(v, 20), opnum = pdu_u16(v, 22);
    uint32_t call_id = pdu_u32(v, 12), source_frame;
    uint8_t source;
    const cl_rpc_iface *iface = context_iface(eng, conv, rpc, ctx_id, &source, &source_frame);
    show_call(eng, conv, iface, source, source_frame, opnum, res);
    if (!(flags & PFC_FIRST))
        return; /* a later fragment of a request already recorded */
    cl_rpc_call *call = g_new0(cl_rpc_call, 1);
    call->call_id = call_id, call->opnum = opnum, call->iface = iface, call->frame = pkt->frame;
    call_add(rpc, call);

    uint32_t start, end;
    bool readable = !stub_sealed(v) && stub_bounds(v, (flags & PFC_OBJECT_UUID) ? 40 : 24, &start, &end);
    if (iface != &cl_iface_emsmdb)
        return;
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    info->mapi_op = info->op;
    if (opnum == 0 || opnum == 10) { /* EcDoConnect / EcDoConnectEx */
        call->user_dn = readable ? read_user_dn(eng, v, start, end) : NULL;
        info->mapi_user = call->user_dn ? call->user_dn : rpc->auth_user; /* sealed: the NTLM user */
        cl_mapi_logon_request(eng, conv, pkt, res);
    } else if (opnum == 1 && readable && end >= start + 20 && pdu_has(v, start, 20)) { /* EcDoDisconnect */
        call->has_handle = true;
        memcpy(call->handle, pdu_at(v, start + 4), 16);
    }
}

static void read_response(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, const pdu_view *v, int from,
                          const cl_packet *pkt, cl_result **res)
{
    uint8_t ptype = pdu_at(v, 2)[0], flags = pdu_at(v, 3)[0];
    uint32_t call_id = pdu_u32(v, 12);
    cl_rpc_call *call = rpc->calls ? g_hash_table_lookup(rpc->calls, GUINT_TO_POINTER(call_id)) : NULL;
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    uint8_t source;
    uint32_t source_frame;
    const cl_rpc_iface *iface =
        context_iface(eng, conv, rpc, pdu_has(v, 20, 2) ? pdu_u16(v, 20) : 0, &source, &source_frame);
    if (!call) { /* its request came before the capture */
        show_call(eng, conv, iface, source, source_frame, -1, res);
        if (ptype == PT_FAULT && pdu_has(v, 24, 4))
            info->has_fault = true, info->fault = pdu_u32(v, 24);
        return;
    }
    show_call(eng, conv, call->iface, source, source_frame, call->opnum, res);
    uint32_t start = 24, end = v->len;
    bool readable = ptype == PT_RESPONSE && !stub_sealed(v) && stub_bounds(v, 24, &start, &end);
    if (ptype == PT_RESPONSE && (flags & PFC_FIRST) && readable && end >= start + 20 && pdu_has(v, start, 20)) {
        call->has_rsp_handle = true;
        memcpy(call->rsp_handle, pdu_at(v, start + 4), 16);
    }
    if (ptype == PT_RESPONSE && !(flags & PFC_LAST))
        return; /* more fragments to come */

    bool emsmdb = call->iface == &cl_iface_emsmdb;
    if (emsmdb)
        info->mapi_op = info->op;
    if (ptype == PT_FAULT) {
        if (pdu_has(v, 24, 4))
            info->has_fault = true, info->fault = pdu_u32(v, 24);
        if (emsmdb && (call->opnum == 0 || call->opnum == 10)) {
            uint32_t code = info->has_fault && info->fault ? info->fault : 0xffffffffu; /* a fault always refuses */
            cl_mapi_logon(eng, conv, call, NULL, &code, pkt, res);
        }
    } else if (emsmdb && (call->opnum == 0 || call->opnum == 10)) {
        uint32_t code = 0;
        bool has_code = readable && end >= start + 4 && pdu_has(v, end - 4, 4);
        if (has_code)
            code = pdu_u32(v, end - 4);
        static const uint8_t no_handle[16];
        const uint8_t *handle = call->has_rsp_handle ? call->rsp_handle : readable ? no_handle : NULL;
        cl_mapi_logon(eng, conv, call, handle, has_code ? &code : NULL, pkt, res);
    } else if (emsmdb && call->opnum == 1) {
        cl_mapi_disconnect(eng, conv, call, res);
    } else if (call->iface == &iface_epm && call->opnum == EPM_MAP && readable && end > start &&
               start + (end - start) <= v->head_len) {
        read_towers(eng, conv, from, pdu_at(v, start), end - start, pkt, res);
    }
    call_done(rpc, call);
}

/* ---- PDUs ------------------------------------------------------------------------------------------ */

static void append_ptype(cl_engine *eng, cl_rpc_info *info, const char *name)
{
    if (!info->ptype) {
        info->ptype = name;
        return;
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "%s, %s", info->ptype, name);
    info->ptype = cl_intern(eng, buf);
}

static void read_pdu(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, int from, const pdu_view *v, const cl_packet *pkt,
                     cl_result **res)
{
    uint8_t ptype = pdu_at(v, 2)[0];
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    append_ptype(eng, info, ptype_name(ptype));
    if (rpc->client < 0 && (ptype == PT_BIND || ptype == PT_ALTER || ptype == PT_REQUEST || ptype == PT_AUTH3))
        rpc->client = (int8_t)from;
    else if (rpc->client < 0 && (ptype == PT_BIND_ACK || ptype == PT_RESPONSE || ptype == PT_FAULT))
        rpc->client = (int8_t)!from;
    switch (ptype) {
    case PT_BIND:
    case PT_ALTER:
        read_bind(eng, conv, rpc, v, pkt, res);
        break;
    case PT_BIND_ACK:
    case PT_ALTER_RESP:
        read_bind_ack(eng, conv, rpc, v, from, pkt, res);
        break;
    case PT_BIND_NAK:
        if (pdu_has(v, 16, 2)) {
            char buf[96];
            snprintf(buf, sizeof(buf), "rejected (bind_nak): %s", nak_reason(pdu_u16(v, 16)));
            info->bind_result = cl_intern(eng, buf);
        }
        cl_result_for(eng, res, conv)->experts |= CL_EXP_RPC_BIND_REJECTED;
        break;
    case PT_AUTH3:
        read_auth(eng, conv, rpc, v, res);
        break;
    case PT_REQUEST:
        read_request(eng, conv, rpc, v, pkt, res);
        break;
    case PT_RESPONSE:
    case PT_FAULT:
        read_response(eng, conv, rpc, v, from, pkt, res);
        break;
    default:
        break;
    }
}

/* Between PDUs a direction keeps no buffer: most connections are idle most of the time. */
static void dir_reset(cl_rpc_dir *d)
{
    d->pdu_len = d->pdu_got = 0;
    if (d->head)
        g_byte_array_free(d->head, TRUE), d->head = NULL;
    if (d->tail)
        g_byte_array_free(d->tail, TRUE), d->tail = NULL;
}

/* Bytes in stream order; complete PDUs are read at once. */
static void consume(cl_engine *eng, cl_conv *conv, cl_rpc_conv *rpc, int from, const uint8_t *p, uint32_t n,
                    const cl_packet *pkt, cl_result **res)
{
    cl_rpc_dir *d = &rpc->dir[from];
    while (n && d->synced) {
        if (!d->head)
            d->head = g_byte_array_new();
        if (!d->pdu_len) { /* the header */
            uint32_t take = MIN(n, 16 - d->head->len);
            g_byte_array_append(d->head, p, take);
            d->pdu_got += take, p += take, n -= take;
            if (d->head->len < 16)
                return;
            if (!plausible_header(d->head->data, 16)) {
                d->synced = false; /* not DCE/RPC after all, or lost track */
                dir_reset(d);
                return;
            }
            bool le = d->head->data[4] & 0x10;
            const uint8_t *h = d->head->data;
            d->pdu_len = le ? (uint32_t)(h[8] | h[9] << 8) : (uint32_t)(h[8] << 8 | h[9]);
        }
        uint32_t want = d->pdu_len - d->pdu_got, take = MIN(n, want);
        uint32_t to_head = d->head->len < CL_RPC_HEAD ? MIN(take, CL_RPC_HEAD - d->head->len) : 0;
        g_byte_array_append(d->head, p, to_head);
        if (take > to_head) { /* only the last CL_RPC_TAIL bytes of a long PDU are kept */
            uint32_t more = take - to_head, skip = more > CL_RPC_TAIL ? more - CL_RPC_TAIL : 0;
            if (!d->tail)
                d->tail = g_byte_array_sized_new(CL_RPC_TAIL);
            if (skip)
                g_byte_array_set_size(d->tail, 0);
            g_byte_array_append(d->tail, p + to_head + skip, more - skip);
            if (d->tail->len > CL_RPC_TAIL)
                g_byte_array_remove_range(d->tail, 0, d->tail->len - CL_RPC_TAIL);
        }
        d->pdu_got += take, p += take, n -= take;
        if (d->pdu_got < d->pdu_len)
            return;
        pdu_view v = {d->head->data, d->head->len, NULL, d->pdu_len, d->pdu_len, d->head->data[4] & 0x10};
        if (d->tail && d->tail->len) {
            v.tail = d->tail->data;
            v.tail_off = d->pdu_len - d->tail->len;
        }
        read_pdu(eng, conv, rpc, from, &v, pkt, res);
        dir_reset(d);
    }
}

static cl_rpc_conv *rpc_new(void)
{
    cl_rpc_conv *rpc = g_new0(cl_rpc_conv, 1);
    rpc->client = -1;
    g_queue_init(&rpc->sessions);
    return rpc;
}

/* Whether to read this conversation as DCE/RPC: a PDU header at the start of one of its first payload
 * segments, or an endpoint learned to serve an interface. */
static bool rpc_start(cl_engine *eng, cl_conv *conv, const cl_packet *pkt)
{
    if (conv->rpc)
        return true;
    if (conv->rpc_probes >= CL_RPC_PROBES)
        return false;
    conv->rpc_probes++;
    bool known = g_hash_table_size(eng->rpc_endpoints) &&
                 (endpoint_lookup(eng, &pkt->ip.dst, pkt->dport) || endpoint_lookup(eng, &pkt->ip.src, pkt->sport));
    if (!plausible_header(pkt->payload, pkt->payload_caplen) && !known)
        return false;
    conv->rpc = rpc_new();
    return true;
}

void cl_rpc_tcp(cl_engine *eng, cl_conv *conv, int from, const cl_packet *pkt, cl_result **res)
{
    bool readable = pkt->payload && pkt->payload_caplen && rpc_start(eng, conv, pkt);
    if (conv->rpc)
        conv->rpc->last_time = pkt->time;
    if (!readable)
        return;
    cl_rpc_dir *d = &conv->rpc->dir[from];
    uint32_t skip = 0, end = pkt->seq + pkt->tcp_len;
    int32_t ahead = d->has_next ? (int32_t)(d->next_seq - pkt->seq) : 0; /* bytes of it already seen */
    if (ahead > 0 && (uint32_t)ahead >= pkt->tcp_len)
        return;                   /* a retransmission of what was seen */
    if (d->synced && ahead < 0) { /* bytes missing from the capture: wait for the next PDU boundary */
        d->synced = false;
        dir_reset(d);
    } else if (d->synced) {
        skip = (uint32_t)ahead;
    }
    if (!d->has_next || SEQ_GT(end, d->next_seq))
        d->next_seq = end, d->has_next = true;
    if (!d->synced) { /* only new bytes that start a PDU bring it back */
        if (ahead > 0 || !plausible_header(pkt->payload, pkt->payload_caplen))
            return;
        d->synced = true;
        dir_reset(d);
    }
    if (skip < pkt->payload_caplen)
        consume(eng, conv, conv->rpc, from, pkt->payload + skip, pkt->payload_caplen - skip, pkt, res);
    if (pkt->payload_caplen < pkt->tcp_len) { /* cut by the snap length */
        d->synced = false;
        dir_reset(d);
    }
}

void cl_rpc_conv_free(cl_engine *eng, cl_conv *conv)
{
    cl_rpc_conv *rpc = conv->rpc;
    if (!rpc)
        return;
    cl_mapi_conv_forget(eng, conv);
    for (int i = 0; i < 2; i++) {
        if (rpc->dir[i].head)
            g_byte_array_free(rpc->dir[i].head, TRUE);
        if (rpc->dir[i].tail)
            g_byte_array_free(rpc->dir[i].tail, TRUE);
    }
    if (rpc->contexts)
        g_array_free(rpc->contexts, TRUE);
    if (rpc->proposed)
        g_array_free(rpc->proposed, TRUE);
    if (rpc->calls)
        g_hash_table_destroy(rpc->calls);
    g_free(rpc);
    conv->rpc = NULL;
}

/* Its PDU buffers are counted at their most (a head and a tail being trimmed, each direction). */
size_t cl_rpc_conv_bytes(const cl_rpc_conv *rpc)
{
    return sizeof(*rpc) + 2 * (CL_RPC_HEAD + 2 * CL_RPC_TAIL + 2 * CL_ENTRY_BYTES) +
           (rpc->contexts ? rpc->contexts->len * sizeof(cl_rpc_ctx) : 0) +
           (rpc->proposed ? rpc->proposed->len * sizeof(uint16_t) : 0) +
           rpc->call_order.length * (sizeof(cl_rpc_call) + 2 * CL_ENTRY_BYTES);
}

void cl_rpc_init(cl_engine *eng)
{
    eng->strings = g_string_chunk_new(4096);
    eng->interned = g_hash_table_new(g_str_hash, g_str_equal);
    eng->rpc_endpoints = g_hash_table_new(endpoint_hash, endpoint_equal);
    g_queue_init(&eng->rpc_endpoint_order);
}

void cl_rpc_free(cl_engine *eng)
{
    GList *l;
    while ((l = g_queue_pop_head_link(&eng->rpc_endpoint_order)))
        g_free(l->data);
    g_hash_table_destroy(eng->rpc_endpoints);
    g_hash_table_destroy(eng->interned);
    g_string_chunk_free(eng->strings);
}
