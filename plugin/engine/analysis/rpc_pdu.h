/* DCE/RPC connection-oriented PDUs as bytes (rpc_pdu.c): types, the interfaces connlost knows by name, NDR
 * readers.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_RPC_PDU_H
#define CONNLOST_RPC_PDU_H

#include "registry.h"

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
enum { EPM_MAP = 3 };

/* A DCE/RPC interface connlost knows by name. */
typedef struct {
    const char *uuid; /* text form, lower case */
    const char *name;
    const char *const *ops; /* by opnum, NULL entries unknown */
    unsigned n_ops;
} cl_rpc_iface;

extern const cl_rpc_iface cl_iface_emsmdb;
extern const cl_rpc_iface cl_iface_epm;

/* A complete PDU as kept: bytes [0, head_len) and [tail_off, len). */
typedef struct {
    const uint8_t *head;
    uint32_t head_len;
    const uint8_t *tail;
    uint32_t tail_off;
    uint32_t len;
    bool le;
} pdu_view;

static inline bool cl_pdu_has(const pdu_view *v, uint32_t off, uint32_t n)
{
    if (off > v->len || n > v->len - off)
        return false;
    return off + n <= v->head_len || (off >= v->tail_off && v->tail);
}

static inline const uint8_t *cl_pdu_at(const pdu_view *v, uint32_t off)
{
    return off < v->head_len ? v->head + off : v->tail + (off - v->tail_off);
}

/* A PDU header's data representation (byte 4) says little endian; its 16-bit field at `off` in that order
 * (frag_length at 8, auth_length at 10). */
static inline bool cl_rpc_header_le(const uint8_t *h) { return h[4] & 0x10; }
static inline uint16_t cl_rpc_header_u16(const uint8_t *h, unsigned off)
{
    return cl_rpc_header_le(h) ? (uint16_t)(h[off] | h[off + 1] << 8) : (uint16_t)(h[off] << 8 | h[off + 1]);
}

static inline uint16_t cl_pdu_u16(const pdu_view *v, uint32_t off)
{
    const uint8_t *p = cl_pdu_at(v, off);
    return v->le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t cl_pdu_u32(const pdu_view *v, uint32_t off)
{
    const uint8_t *p = cl_pdu_at(v, off);
    return v->le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                 : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t cl_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint16_t cl_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* rpc_pdu.c */
const char *cl_rpc_ptype_name(uint8_t t);
/* A connection-oriented PDU header at p: version 5.0/5.1, a known type, a sane data representation and
 * lengths. Ten bytes reach frag_length; a segment may end there. */
bool cl_rpc_plausible_header(const uint8_t *p, size_t len);
#define CL_RPC_UUID_TEXT 37 /* 36 characters and the NUL */
void cl_rpc_uuid_text(const pdu_view *v, uint32_t off, char *buf, size_t len);
const cl_rpc_iface *cl_rpc_iface_by_uuid(const char *uuid);
const char *cl_rpc_op_name(const cl_rpc_iface *iface, uint16_t opnum);
bool cl_rpc_stub_bounds(const pdu_view *v, uint32_t start, uint32_t *stub_start, uint32_t *stub_end);
bool cl_rpc_stub_sealed(const pdu_view *v);
char *cl_rpc_ntlm_user(const uint8_t *tok, uint32_t len);
const char *cl_rpc_auth_type_name(uint8_t t);
const char *cl_rpc_auth_level_name(uint8_t l);
const char *cl_rpc_ack_reason(uint16_t r);
const char *cl_rpc_nak_reason(uint16_t r);
const char *cl_rpc_user_dn(cl_results *rs, const pdu_view *v, uint32_t start, uint32_t end);

#endif
