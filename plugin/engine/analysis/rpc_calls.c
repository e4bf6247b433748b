/* DCE/RPC binds and their answers, calls and their answers, and the dynamic endpoints learned from EPM
 * answers and binds.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "rpc_calls.h"

#include <stdio.h>
#include <string.h>

#define CL_RPC_MAX_CONTEXTS 64
#define CL_RPC_MAX_CALLS 256

/* ---- endpoints ------------------------------------------------------------------------------------- */

guint cl_rpc_endpoint_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(endpoint_key)); }
gboolean cl_rpc_endpoint_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(endpoint_key)) == 0; }

void cl_rpc_endpoint_evict(void *entry, void *data)
{
    endpoint *ep = entry;
    cl_lru_remove(data, &ep->key, ep, &ep->node);
    g_free(ep);
}

static void make_key(endpoint_key *k, const cl_addr *addr, uint16_t port)
{
    memset(k, 0, sizeof(*k));
    k->addr = *addr;
    k->port = port;
}

const endpoint *cl_rpc_endpoint_lookup(const rpc_state *st, const cl_addr *addr, uint16_t port)
{
    endpoint_key k;
    make_key(&k, addr, port);
    return cl_lru_lookup(&st->endpoints, &k);
}

/* What an endpoint serves. The latest word wins: a port may be reused by another server process. */
static void endpoint_learn(rpc_state *st, const cl_addr *addr, uint16_t port, const cl_rpc_iface *iface, uint8_t source,
                           uint32_t frame)
{
    endpoint_key k;
    make_key(&k, addr, port);
    endpoint *ep = cl_lru_lookup(&st->endpoints, &k);
    if (ep) {
        ep->iface = iface;
        ep->source = source;
        ep->source_frame = frame;
        cl_lru_touch(&st->endpoints, &ep->node); /* least recently learned goes first */
        return;
    }
    cl_lru_make_room(&st->endpoints);
    ep = g_new0(endpoint, 1);
    ep->key = k;
    ep->iface = iface;
    ep->source = source;
    ep->source_frame = frame;
    cl_lru_insert(&st->endpoints, &ep->key, ep, &ep->node);
}

/* ---- events for the listeners ---------------------------------------------------------------------- */

/* Hands an EMSMDB call event to every analysis that listens to DCE/RPC. */
void cl_rpc_tell(const rpc_pass *p, rpc_event event, const cl_rpc_call *call, const uint8_t *handle,
                 const uint32_t *code)
{
    cl_rpc_event e = {p->conv, p->rpc->client, p->rpc->auth_user, call, handle, code, p->pkt};
    for (unsigned i = 0; i < p->st->n_subscribers; i++) {
        const subscriber *s = &p->st->subscribers[i];
        void (*fn)(void *, cl_ctx *, const cl_rpc_event *) = event == RPC_LOGON_REQUEST ? s->listener->logon_request
                                                             : event == RPC_LOGON       ? s->listener->logon
                                                                                        : s->listener->disconnect;
        if (fn)
            fn(s->state, p->x, &e);
    }
}

/* ---- binds ----------------------------------------------------------------------------------------- */

/* The authentication trailer of a bind, alter_context or auth3: level, type and the NTLM user. */
void cl_rpc_read_auth(const rpc_pass *p, const pdu_view *v)
{
    uint32_t auth_len = cl_pdu_u16(v, 10);
    if (!auth_len)
        return;
    uint32_t trailer = v->len - auth_len - 8;
    if (!cl_pdu_has(v, trailer, 8))
        return;
    const uint8_t *t = cl_pdu_at(v, trailer);
    cl_rpc_info *info = info_of(p);
    /* "NTLM (10, level connect (2))", "type 99, level 7": put together without printf (2 200 instructions) */
    const char *type = cl_rpc_auth_type_name(t[0]), *level = cl_rpc_auth_level_name(t[1]);
    GString *text = g_string_sized_new(64);
    g_string_append(text, type ? type : "type ");
    if (type)
        g_string_append(text, " (");
    cl_string_append_uint(text, t[0]);
    g_string_append(text, ", level ");
    if (level) {
        g_string_append(text, level);
        g_string_append(text, " (");
    }
    cl_string_append_uint(text, t[1]);
    g_string_append(text, level ? "))" : type ? ")" : "");
    info->auth = intern(p, text->str);
    g_string_free(text, TRUE);
    if (!cl_pdu_has(v, trailer + 8, auth_len))
        return;
    char *user = cl_rpc_ntlm_user(cl_pdu_at(v, trailer + 8), auth_len);
    if (user) {
        p->rpc->auth_user = info->auth_user = intern(p, user);
        g_free(user);
    }
}

/* "A, B": each name once (a bind proposes one interface over several transfer syntaxes). */
static void name_list_add(GString *list, GPtrArray *seen, const char *name)
{
    for (unsigned i = 0; i < seen->len; i++) /* a handful of distinct interfaces */
        if (strcmp(g_ptr_array_index(seen, i), name) == 0)
            return;
    g_ptr_array_add(seen, g_strdup(name));
    if (list->len)
        g_string_append(list, ", ");
    g_string_append(list, name);
}

static rpc_ctx *context_find(rpc_conn *rpc, uint16_t id)
{
    for (unsigned i = 0; rpc->contexts && i < rpc->contexts->len; i++) /* a handful per binding */
        if (g_array_index(rpc->contexts, rpc_ctx, i).id == id)
            return &g_array_index(rpc->contexts, rpc_ctx, i);
    return NULL;
}

void cl_rpc_read_bind(const rpc_pass *p, const pdu_view *v)
{
    rpc_conn *rpc = p->rpc;
    cl_rpc_info *info = info_of(p);
    if (!rpc->proposed)
        rpc->proposed = g_array_new(FALSE, FALSE, sizeof(uint16_t));
    if (!rpc->contexts)
        rpc->contexts = g_array_new(FALSE, FALSE, sizeof(rpc_ctx));
    g_array_set_size(rpc->proposed, 0);
    GString *names = g_string_new(NULL);
    GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
    uint32_t off = 28;
    unsigned n = cl_pdu_has(v, 24, 1) ? cl_pdu_at(v, 24)[0] : 0;
    for (unsigned i = 0; i < n && cl_pdu_has(v, off, 24); i++) {
        uint16_t id = cl_pdu_u16(v, off);
        unsigned n_syntaxes = cl_pdu_at(v, off + 2)[0];
        char uuid[40];
        cl_rpc_uuid_text(v, off + 4, uuid, sizeof(uuid));
        const cl_rpc_iface *iface = cl_rpc_iface_by_uuid(uuid);
        name_list_add(names, seen, iface ? iface->name : uuid);
        rpc_ctx *ctx = context_find(rpc, id);
        if (!ctx && rpc->contexts->len < CL_RPC_MAX_CONTEXTS) {
            g_array_append_val(rpc->contexts, ((rpc_ctx){.id = id}));
            ctx = &g_array_index(rpc->contexts, rpc_ctx, rpc->contexts->len - 1);
        }
        if (ctx) {
            ctx->iface = iface;
            ctx->accepted = false;
            ctx->bind_frame = p->pkt->frame;
        }
        g_array_append_val(rpc->proposed, id);
        off += 24 + 20 * n_syntaxes;
    }
    if (names->len)
        info->interface = intern(p, names->str);
    g_string_free(names, TRUE);
    g_ptr_array_free(seen, TRUE);
    cl_rpc_read_auth(p, v);
}

/* The server endpoint serves what it accepted: later connections to it need no bind. */
static void learn_accepted(const rpc_pass *p)
{
    rpc_conn *rpc = p->rpc;
    for (unsigned i = 0; i < rpc->proposed->len; i++) {
        rpc_ctx *ctx = context_find(rpc, g_array_index(rpc->proposed, uint16_t, i));
        if (ctx && ctx->accepted && ctx->iface) {
            const cl_side *server = &p->conv->side[p->from];
            endpoint_learn(p->st, &server->addr, server->port, ctx->iface, CL_SOURCE_ENDPOINT_BIND, p->pkt->frame);
            return;
        }
    }
}

void cl_rpc_read_bind_ack(const rpc_pass *p, const pdu_view *v)
{
    rpc_conn *rpc = p->rpc;
    cl_rpc_info *info = info_of(p);
    if (!cl_pdu_has(v, 24, 2))
        return;
    uint32_t off = 26 + cl_pdu_u16(v, 24); /* after the secondary address */
    off = (off + 3) & ~3u;
    if (!cl_pdu_has(v, off, 4))
        return;
    unsigned n = cl_pdu_at(v, off)[0];
    off += 4;
    GString *text = g_string_new(NULL);
    GString *ifaces = g_string_new(NULL);
    GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
    unsigned accepted = 0, rejected = 0;
    for (unsigned i = 0; i < n && cl_pdu_has(v, off, 24); i++, off += 24) {
        uint16_t result = cl_pdu_u16(v, off), reason = cl_pdu_u16(v, off + 2);
        uint16_t id = rpc->proposed && i < rpc->proposed->len ? g_array_index(rpc->proposed, uint16_t, i) : 0xffff;
        rpc_ctx *ctx = id != 0xffff ? context_find(rpc, id) : NULL;
        const char *name = ctx && ctx->iface ? ctx->iface->name : "unknown interface";
        if (text->len)
            g_string_append(text, "; ");
        g_string_append(text, id != 0xffff ? "context " : "result ");
        cl_string_append_uint(text, id != 0xffff ? id : i);
        if (id != 0xffff) {
            g_string_append(text, " (");
            g_string_append(text, name);
            g_string_append_c(text, ')');
        }
        g_string_append(text, ": ");
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
            g_string_append(text, result == 1 ? "user rejection, " : "provider rejection, ");
            g_string_append(text, cl_rpc_ack_reason(reason));
        }
    }
    info->bind_result = intern(p, text->str);
    if (ifaces->len)
        info->interface = intern(p, ifaces->str);
    if (!accepted && rejected)
        cl_res(p->x, p->conv)->experts |= CL_EXP_RPC_BIND_REJECTED;
    else if (accepted && rpc->proposed)
        learn_accepted(p);
    g_string_free(text, TRUE);
    g_string_free(ifaces, TRUE);
    g_ptr_array_free(seen, TRUE);
}

/* ---- EPM ------------------------------------------------------------------------------------------- */

/* One tower's floors from `off`: the TCP port and IPv4 address it names; returns the end of the tower. */
static uint32_t tower_floors(const uint8_t *b, uint32_t len, uint32_t off, unsigned floors, uint32_t *port,
                             cl_addr *addr)
{
    for (unsigned f = 0; f < floors; f++) {
        if (off + 2 > len)
            break;
        uint32_t lhs = cl_le16(b + off);
        if (off + 2 + lhs + 2 > len || !lhs)
            break;
        uint8_t proto = b[off + 2];
        uint32_t rhs_off = off + 2 + lhs + 2, rhs = cl_le16(b + off + 2 + lhs);
        if (rhs_off + rhs > len)
            break;
        if (proto == 0x07 && rhs == 2)
            *port = (uint32_t)(b[rhs_off] << 8 | b[rhs_off + 1]);
        else if (proto == 0x09 && rhs == 4 && (b[rhs_off] | b[rhs_off + 1] | b[rhs_off + 2] | b[rhs_off + 3])) {
            memset(addr, 0, sizeof(*addr));
            addr->family = 4;
            memcpy(addr->bytes, b + rhs_off, 4);
        }
        off = rhs_off + rhs;
    }
    return off;
}

/* ept_map answers hold towers: floors of (protocol id + data, value). Each tower that names an interface
 * and a TCP port teaches an endpoint. The towers are found by their shape, so NDR alignment details of
 * the answer do not matter. */
static void read_towers(const rpc_pass *p, const uint8_t *b, uint32_t len)
{
    for (uint32_t i = 0; i + 25 <= len; i++) {
        uint16_t floors = cl_le16(b + i);
        if (floors < 3 || floors > 8 || cl_le16(b + i + 2) != 19 || b[i + 4] != 0x0d)
            continue;
        char uuid[40];
        pdu_view one = {b + i + 5, 16, NULL, 0, 16, true};
        cl_rpc_uuid_text(&one, 0, uuid, sizeof(uuid));
        const cl_rpc_iface *iface = cl_rpc_iface_by_uuid(uuid);
        uint32_t port = 0;
        cl_addr addr = p->conv->side[p->from].addr;
        uint32_t off = tower_floors(b, len, i + 2, floors, &port, &addr);
        if (iface && port) {
            endpoint_learn(p->st, &addr, (uint16_t)port, iface, CL_SOURCE_EPM, p->pkt->frame);
            char addr_text[64];
            cl_addr_format(&addr, (uint16_t)port, addr_text, sizeof(addr_text));
            cl_result_say(cl_res(p->x, p->conv), "EPM maps %s to %s", iface->name, addr_text);
        }
        i = off - 1;
    }
}

/* ---- calls ----------------------------------------------------------------------------------------- */

/* The interface behind a context id: this binding's, else, for a context no bind in the capture set up,
 * the endpoint's as learned elsewhere. */
static const cl_rpc_iface *context_iface(const rpc_pass *p, uint16_t ctx_id, uint8_t *source, uint32_t *source_frame)
{
    rpc_conn *rpc = p->rpc;
    rpc_ctx *ctx = context_find(rpc, ctx_id);
    *source = CL_SOURCE_NONE;
    *source_frame = 0;
    if (ctx) {
        *source = CL_SOURCE_BIND;
        *source_frame = ctx->bind_frame;
        return ctx->accepted ? ctx->iface : NULL;
    }
    if (rpc->client < 0)
        return NULL;
    const cl_side *server = &p->conv->side[!rpc->client];
    const endpoint *ep = cl_rpc_endpoint_lookup(p->st, &server->addr, server->port);
    if (!ep)
        return NULL;
    if (!rpc->late && ep->iface == &cl_iface_emsmdb)
        for (unsigned i = 0; i < p->st->n_subscribers; i++)
            if (p->st->subscribers[i].listener->late)
                p->st->subscribers[i].listener->late(p->st->subscribers[i].state);
    rpc->late = true;
    *source = ep->source;
    *source_frame = ep->source_frame;
    return ep->iface;
}

static void show_call(const rpc_pass *p, const cl_rpc_iface *iface, uint8_t source, uint32_t source_frame,
                      int32_t opnum)
{
    cl_rpc_info *info = info_of(p);
    info->opnum = opnum;
    info->op = opnum >= 0 ? cl_rpc_op_name(iface, (uint16_t)opnum) : NULL;
    if (!iface)
        return;
    info->interface = iface->name;
    info->interface_source = source;
    info->source_frame = source_frame;
}

static void call_add(rpc_conn *rpc, cl_rpc_call *call)
{
    if (!rpc->calls)
        rpc->calls = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    cl_rpc_call *old = g_hash_table_lookup(rpc->calls, GUINT_TO_POINTER(call->call_id));
    if (old) {
        g_queue_unlink(&rpc->call_order, &old->link);
    } else if (g_hash_table_size(rpc->calls) >= CL_RPC_MAX_CALLS) { /* its answer never came: the oldest goes */
        cl_rpc_call *oldest = g_queue_pop_head_link(&rpc->call_order)->data;
        g_hash_table_remove(rpc->calls, GUINT_TO_POINTER(oldest->call_id));
    }
    call->link.data = call;
    g_queue_push_tail_link(&rpc->call_order, &call->link);
    g_hash_table_replace(rpc->calls, GUINT_TO_POINTER(call->call_id), call);
}

static void call_done(rpc_conn *rpc, cl_rpc_call *call)
{
    g_queue_unlink(&rpc->call_order, &call->link);
    g_hash_table_remove(rpc->calls, GUINT_TO_POINTER(call->call_id));
}

void cl_rpc_read_request(const rpc_pass *p, const pdu_view *v)
{
    if (!cl_pdu_has(v, 16, 8))
        return;
    uint8_t flags = cl_pdu_at(v, 3)[0];
    uint16_t ctx_id = cl_pdu_u16(v, 20), opnum = cl_pdu_u16(v, 22);
    uint32_t call_id = cl_pdu_u32(v, 12), source_frame;
    uint8_t source;
    const cl_rpc_iface *iface = context_iface(p, ctx_id, &source, &source_frame);
    show_call(p, iface, source, source_frame, opnum);
    if (!(flags & PFC_FIRST))
        return; /* a later fragment of a request already recorded */
    cl_rpc_call *call = g_new0(cl_rpc_call, 1);
    call->call_id = call_id;
    call->opnum = opnum;
    call->iface = iface;
    call->frame = p->pkt->frame;
    call_add(p->rpc, call);

    uint32_t start, end;
    bool readable = !cl_rpc_stub_sealed(v) && cl_rpc_stub_bounds(v, (flags & PFC_OBJECT_UUID) ? 40 : 24, &start, &end);
    if (iface != &cl_iface_emsmdb)
        return;
    cl_rpc_info *info = info_of(p);
    info->mapi_op = info->op;
    if (opnum == 0 || opnum == 10) { /* EcDoConnect / EcDoConnectEx */
        call->user_dn = readable ? cl_rpc_user_dn(p->x->frame.results, v, start, end) : NULL;
        info->mapi_user = call->user_dn ? call->user_dn : p->rpc->auth_user; /* sealed: the NTLM user */
        cl_rpc_tell(p, RPC_LOGON_REQUEST, call, NULL, NULL);
    } else if (opnum == 1 && readable && end >= start + 20 && cl_pdu_has(v, start, 20)) { /* EcDoDisconnect */
        call->has_handle = true;
        memcpy(call->handle, cl_pdu_at(v, start + 4), 16);
    }
}

/* The answer to an EMSMDB or EPM call whose request the capture holds. */
static void answer(const rpc_pass *p, const pdu_view *v, cl_rpc_call *call, bool readable, uint32_t start, uint32_t end)
{
    uint8_t ptype = cl_pdu_at(v, 2)[0];
    cl_rpc_info *info = info_of(p);
    bool emsmdb = call->iface == &cl_iface_emsmdb;
    bool logon = emsmdb && (call->opnum == 0 || call->opnum == 10);
    if (emsmdb)
        info->mapi_op = info->op;
    if (ptype == PT_FAULT) {
        if (cl_pdu_has(v, 24, 4)) {
            info->has_fault = true;
            info->fault = cl_pdu_u32(v, 24);
        }
        uint32_t code = info->has_fault && info->fault ? info->fault : 0xffffffffu; /* a fault always refuses */
        if (logon)
            cl_rpc_tell(p, RPC_LOGON, call, NULL, &code);
    } else if (logon) {
        uint32_t code = 0;
        bool has_code = readable && end >= start + 4 && cl_pdu_has(v, end - 4, 4);
        if (has_code)
            code = cl_pdu_u32(v, end - 4);
        static const uint8_t no_handle[16];
        const uint8_t *handle = call->has_rsp_handle ? call->rsp_handle : readable ? no_handle : NULL;
        cl_rpc_tell(p, RPC_LOGON, call, handle, has_code ? &code : NULL);
    } else if (emsmdb && call->opnum == 1) {
        cl_rpc_tell(p, RPC_DISCONNECT, call, NULL, NULL);
    } else if (call->iface == &cl_iface_epm && call->opnum == EPM_MAP && readable && end > start &&
               start + (end - start) <= v->head_len) {
        read_towers(p, cl_pdu_at(v, start), end - start);
    }
}

void cl_rpc_read_response(const rpc_pass *p, const pdu_view *v)
{
    uint8_t ptype = cl_pdu_at(v, 2)[0], flags = cl_pdu_at(v, 3)[0];
    uint32_t call_id = cl_pdu_u32(v, 12);
    cl_rpc_call *call = p->rpc->calls ? g_hash_table_lookup(p->rpc->calls, GUINT_TO_POINTER(call_id)) : NULL;
    cl_rpc_info *info = info_of(p);
    uint8_t source;
    uint32_t source_frame;
    const cl_rpc_iface *iface = context_iface(p, cl_pdu_has(v, 20, 2) ? cl_pdu_u16(v, 20) : 0, &source, &source_frame);
    if (!call) { /* its request came before the capture */
        show_call(p, iface, source, source_frame, -1);
        if (ptype == PT_FAULT && cl_pdu_has(v, 24, 4)) {
            info->has_fault = true;
            info->fault = cl_pdu_u32(v, 24);
        }
        return;
    }
    show_call(p, call->iface, source, source_frame, call->opnum);
    uint32_t start = 24, end = v->len;
    bool readable = ptype == PT_RESPONSE && !cl_rpc_stub_sealed(v) && cl_rpc_stub_bounds(v, 24, &start, &end);
    if (ptype == PT_RESPONSE && (flags & PFC_FIRST) && readable && end >= start + 20 && cl_pdu_has(v, start, 20)) {
        call->has_rsp_handle = true;
        memcpy(call->rsp_handle, cl_pdu_at(v, start + 4), 16);
    }
    if (ptype == PT_RESPONSE && !(flags & PFC_LAST))
        return; /* more fragments to come */
    answer(p, v, call, readable, start, end);
    call_done(p->rpc, call);
}
