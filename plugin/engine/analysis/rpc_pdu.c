/* DCE/RPC connection-oriented PDUs as bytes: the interfaces connlost knows by name, header checks, NDR fields,
 * authentication trailers and NTLM user names. No state: rpc.c reads the connections.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "rpc_pdu.h"

#include <string.h>

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

#define OPS(a) a, G_N_ELEMENTS(a)
const cl_rpc_iface cl_iface_emsmdb = {"a4f1db00-ca47-1067-b31f-00dd010662da", "EMSMDB", OPS(emsmdb_ops)};
const cl_rpc_iface cl_iface_epm = {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "EPM", OPS(epm_ops)};
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

const char *cl_rpc_ptype_name(uint8_t t)
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
bool cl_rpc_plausible_header(const uint8_t *p, size_t len)
{
    if (len < 10 || p[0] != 5 || p[1] > 1 || !cl_rpc_ptype_name(p[2]) || (p[4] & 0xee) || p[5] > 3)
        return false;
    uint32_t frag_len = cl_rpc_header_u16(p, 8);
    if (frag_len < 16)
        return false;
    if (len < 12)
        return true;
    uint32_t auth_len = cl_rpc_header_u16(p, 10);
    return !auth_len || auth_len + 8 + 16 <= frag_len;
}

/* `digits` lower-case hex digits of value, leading zeros kept. */
static char *put_hex_fixed(char *at, uint32_t value, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
        *at++ = hex[(value >> shift) & 0xf];
    return at;
}

/* A UUID in NDR (first three fields in the PDU's byte order) as text, written by hand: every context of a bind
 * and every tower of an EPM answer is named by it, and snprintf cost about 2 500 instructions each. */
void cl_rpc_uuid_text(const pdu_view *v, uint32_t off, char *buf, size_t len)
{
    if (len < CL_RPC_UUID_TEXT) {
        if (len)
            buf[0] = '\0';
        return;
    }
    const uint8_t *p = cl_pdu_at(v, off);
    char *at = put_hex_fixed(buf, cl_pdu_u32(v, off), 8);
    *at++ = '-';
    at = put_hex_fixed(at, cl_pdu_u16(v, off + 4), 4);
    *at++ = '-';
    at = put_hex_fixed(at, cl_pdu_u16(v, off + 6), 4);
    for (int i = 8; i < 16; i++) {
        if (i == 8 || i == 10)
            *at++ = '-';
        at = put_hex_fixed(at, p[i], 2);
    }
    *at = '\0';
}

const cl_rpc_iface *cl_rpc_iface_by_uuid(const char *uuid)
{
    if (strcmp(uuid, cl_iface_emsmdb.uuid) == 0)
        return &cl_iface_emsmdb;
    if (strcmp(uuid, cl_iface_epm.uuid) == 0)
        return &cl_iface_epm;
    for (size_t i = 0; i < G_N_ELEMENTS(known_ifaces); i++)
        if (strcmp(uuid, known_ifaces[i].uuid) == 0)
            return &known_ifaces[i];
    return NULL;
}

const char *cl_rpc_op_name(const cl_rpc_iface *iface, uint16_t opnum)
{
    return iface && opnum < iface->n_ops ? iface->ops[opnum] : NULL;
}

/* The stub of a request or response: after the header fields, before the authentication trailer. */
bool cl_rpc_stub_bounds(const pdu_view *v, uint32_t start, uint32_t *stub_start, uint32_t *stub_end)
{
    uint32_t auth_len = cl_pdu_u16(v, 10), end = v->len;
    if (auth_len) {
        uint32_t trailer = v->len - auth_len - 8; /* cl_rpc_plausible_header() keeps this above the header */
        if (!cl_pdu_has(v, trailer, 8))
            return false;
        uint8_t pad = cl_pdu_at(v, trailer)[2];
        if (pad > trailer)
            return false;
        end = trailer - pad;
    }
    if (end < start)
        return false;
    *stub_start = start, *stub_end = end;
    return true;
}

static char *utf16le_text(const uint8_t *p, uint32_t len)
{
    uint32_t n = MIN(len / 2, CL_MAX_NAME);
    gunichar2 *w = g_new(gunichar2, n + 1);
    for (uint32_t i = 0; i < n; i++)
        w[i] = cl_le16(p + 2 * i);
    w[n] = 0;
    char *s = g_utf16_to_utf8(w, (glong)n, NULL, NULL, NULL);
    g_free(w);
    return s;
}

/* DOMAIN\user of an NTLMSSP AUTHENTICATE message anywhere in an auth token (bare or inside SPNEGO). */
char *cl_rpc_ntlm_user(const uint8_t *tok, uint32_t len)
{
    static const uint8_t sig[] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
    for (uint32_t i = 0; i + 64 <= len; i++) {
        if (memcmp(tok + i, sig, sizeof(sig)) != 0)
            continue;
        const uint8_t *m = tok + i;
        uint32_t mlen = len - i;
        if (cl_le32(m + 8) != 3)
            return NULL;
        bool unicode = cl_le32(m + 60) & 1;
        char *part[2] = {NULL, NULL}; /* domain, user */
        for (int f = 0; f < 2; f++) {
            uint32_t flen = cl_le16(m + 28 + 8 * f), foff = cl_le32(m + 32 + 8 * f);
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

const char *cl_rpc_auth_type_name(uint8_t t)
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

const char *cl_rpc_auth_level_name(uint8_t l)
{
    static const char *const names[] = {NULL, "none", "connect", "call", "packet", "integrity", "privacy"};
    return l < G_N_ELEMENTS(names) ? names[l] : NULL;
}

const char *cl_rpc_ack_reason(uint16_t r)
{
    static const char *const names[] = {"reason not specified", "abstract syntax not supported",
                                        "proposed transfer syntaxes not supported", "local limit exceeded"};
    return r < G_N_ELEMENTS(names) ? names[r] : "unknown reason";
}

const char *cl_rpc_nak_reason(uint16_t r)
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

/* Whether the stub is sealed, as the PDU's own trailer says (a PDU without one is in clear). */
bool cl_rpc_stub_sealed(const pdu_view *v)
{
    uint32_t auth_len = cl_pdu_u16(v, 10);
    if (!auth_len)
        return false;
    uint32_t trailer = v->len - auth_len - 8;
    return !cl_pdu_has(v, trailer, 8) || cl_pdu_at(v, trailer)[1] >= AUTH_LEVEL_PRIVACY;
}

/* A printable szUserDN: NDR conformant varying string of 8-bit characters. */
const char *cl_rpc_user_dn(cl_results *rs, const pdu_view *v, uint32_t start, uint32_t end)
{
    if (end < start + 12 || !cl_pdu_has(v, start, 12))
        return NULL;
    uint32_t max = cl_pdu_u32(v, start), offset = cl_pdu_u32(v, start + 4), actual = cl_pdu_u32(v, start + 8);
    if (offset || !actual || actual > max || actual > CL_MAX_NAME || actual > end - start - 12 ||
        !cl_pdu_has(v, start + 12, actual))
        return NULL;
    const uint8_t *s = cl_pdu_at(v, start + 12);
    char buf[CL_MAX_NAME + 1];
    uint32_t n = 0;
    for (; n < actual && s[n]; n++) {
        if (s[n] < 0x20 || s[n] > 0x7e)
            return NULL;
        buf[n] = (char)s[n];
    }
    buf[n] = 0;
    return n ? cl_intern(rs, buf) : NULL;
}
