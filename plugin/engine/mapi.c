/* MAPI (EMSMDB) sessions per user and per client: logons, disconnects, sessions left behind by
 * connections that died, the server's per-user session limit (Exchange: 32, event 9646) and bursts of
 * reconnects.
 *
 * A session opened by EcDoConnect(Ex) is held until EcDoDisconnect. When its connection dies without one,
 * the server keeps it for as long as it believes the connection alive: a NAT that keeps idle sockets for a
 * day, or a middlebox that eats the client's RST, leaves it behind. Enough of those and the user cannot
 * log on at all.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

enum {
    EC_MAX_OBJS_EXCEEDED = 0x000004DE,
    MAPI_E_SESSION_LIMIT = 0x80040112,
};

static const char *error_name(uint32_t code)
{
    switch (code) {
    case EC_MAX_OBJS_EXCEEDED:
        return "ecMaxObjsExceeded";
    case MAPI_E_SESSION_LIMIT:
        return "MAPI_E_SESSION_LIMIT";
    case 0x80040111:
        return "MAPI_E_LOGON_FAILED";
    case 0x80040115:
        return "MAPI_E_NETWORK_ERROR";
    case 0x80070005:
        return "E_ACCESSDENIED";
    default:
        return NULL;
    }
}

static guint handle_hash(gconstpointer k) { return cl_hash_bytes(k, 16); }
static gboolean handle_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, 16) == 0; }
static guint addr_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(cl_addr)); }
static gboolean addr_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(cl_addr)) == 0; }

void cl_mapi_init(cl_engine *eng)
{
    eng->mapi_sessions = g_hash_table_new(handle_hash, handle_equal);
    eng->mapi_users = g_hash_table_new(g_str_hash, g_str_equal);
    eng->mapi_clients = g_hash_table_new(addr_hash, addr_equal);
    g_queue_init(&eng->mapi_session_order);
    g_queue_init(&eng->mapi_user_order);
    g_queue_init(&eng->mapi_client_idle);
    g_queue_init(&eng->mapi_client_busy);
}

/* Clients holding sessions are never evicted (the sessions bound them); the others go least recently
 * used first. */
static void client_hold(cl_engine *eng, cl_mapi_client *c, int change)
{
    bool was_busy = c->held > 0;
    c->held = (uint32_t)((int)c->held + change);
    if (was_busy == (c->held > 0))
        return;
    g_queue_unlink(was_busy ? &eng->mapi_client_busy : &eng->mapi_client_idle, &c->link);
    g_queue_push_tail_link(was_busy ? &eng->mapi_client_idle : &eng->mapi_client_busy, &c->link);
}

static void session_drop(cl_engine *eng, cl_mapi_session *s)
{
    g_queue_unlink(&s->user->held, &s->user_link);
    if (s->rpc)
        g_queue_unlink(&s->rpc->sessions, &s->conv_link);
    g_queue_unlink(&eng->mapi_session_order, &s->age_link);
    g_hash_table_remove(eng->mapi_sessions, s->handle);
    client_hold(eng, s->client, -1);
    g_free(s);
}

static void client_free(cl_mapi_client *c)
{
    g_queue_clear_full(&c->logons, g_free);
    g_free(c);
}

void cl_mapi_free(cl_engine *eng)
{
    GList *l;
    while ((l = g_queue_peek_head_link(&eng->mapi_session_order)))
        session_drop(eng, l->data);
    while ((l = g_queue_pop_head_link(&eng->mapi_user_order)))
        g_free(l->data);
    while ((l = g_queue_pop_head_link(&eng->mapi_client_idle)))
        client_free(l->data);
    g_hash_table_destroy(eng->mapi_sessions);
    g_hash_table_destroy(eng->mapi_users);
    g_hash_table_destroy(eng->mapi_clients);
}

static void note_full(cl_engine *eng, const cl_conv *conv, cl_result **res)
{
    cl_note_table_full(eng, res, conv, &eng->mapi_cap_noted, eng->cfg.max_mapi_sessions,
                       "MAPI sessions, users and clients", "max_mapi_sessions",
                       "the oldest are forgotten and session counts are lower bounds");
}

static cl_mapi_user *user_get(cl_engine *eng, const char *name, const cl_conv *conv, cl_result **res)
{
    cl_mapi_user *u = g_hash_table_lookup(eng->mapi_users, name);
    if (u) {
        g_queue_unlink(&eng->mapi_user_order, &u->link);
        g_queue_push_tail_link(&eng->mapi_user_order, &u->link);
        return u;
    }
    if (eng->mapi_user_order.length >= eng->cfg.max_mapi_sessions) {
        cl_mapi_user *old = g_queue_pop_head_link(&eng->mapi_user_order)->data;
        while (old->held.head)
            session_drop(eng, old->held.head->data);
        g_hash_table_remove(eng->mapi_users, old->name);
        g_free(old);
        note_full(eng, conv, res);
    }
    u = g_new0(cl_mapi_user, 1);
    u->name = name; /* interned: lives as long as the engine */
    g_queue_init(&u->held);
    u->link.data = u;
    g_queue_push_tail_link(&eng->mapi_user_order, &u->link);
    g_hash_table_insert(eng->mapi_users, (gpointer)u->name, u);
    return u;
}

static cl_mapi_client *client_get(cl_engine *eng, const cl_addr *addr, const cl_conv *conv, cl_result **res)
{
    cl_mapi_client *c = g_hash_table_lookup(eng->mapi_clients, addr);
    if (c) {
        if (!c->held) {
            g_queue_unlink(&eng->mapi_client_idle, &c->link);
            g_queue_push_tail_link(&eng->mapi_client_idle, &c->link);
        }
        return c;
    }
    if (eng->mapi_client_idle.length + eng->mapi_client_busy.length >= eng->cfg.max_mapi_sessions &&
        eng->mapi_client_idle.head) {
        cl_mapi_client *old = g_queue_pop_head_link(&eng->mapi_client_idle)->data;
        g_hash_table_remove(eng->mapi_clients, &old->addr);
        client_free(old);
        note_full(eng, conv, res);
    }
    c = g_new0(cl_mapi_client, 1);
    c->addr = *addr;
    g_queue_init(&c->logons);
    c->link.data = c;
    g_queue_push_tail_link(&eng->mapi_client_idle, &c->link);
    g_hash_table_insert(eng->mapi_clients, &c->addr, c);
    return c;
}

static const cl_side *client_side(const cl_conv *conv)
{
    return &conv->side[conv->rpc && conv->rpc->client >= 0 ? conv->rpc->client : 0];
}

/* Who a session belongs to: the user DN of the logon, else the NTLM user of the binding, else the client. */
static const char *user_name(cl_engine *eng, const cl_conv *conv, const cl_rpc_call *call)
{
    if (call && call->user_dn)
        return call->user_dn;
    if (conv->rpc && conv->rpc->auth_user)
        return conv->rpc->auth_user;
    char buf[64];
    cl_addr_format(&client_side(conv)->addr, 0, buf, sizeof(buf));
    return cl_intern(eng, buf);
}

static unsigned near_threshold(const cl_engine *eng)
{
    unsigned t = (eng->cfg.mapi_limit * eng->cfg.mapi_near_pct + 99) / 100;
    return MAX(t, 1);
}

static void show_counts(cl_engine *eng, cl_conv *conv, cl_mapi_user *u, const cl_mapi_client *c, cl_result **res)
{
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    info->mapi_user = u->name;
    info->has_sessions = true;
    info->sessions = u->held.length;
    info->client_sessions = c ? c->held : 0;
    info->limit = eng->cfg.mapi_limit;
    info->lower_bound = eng->mapi_late > 0 || eng->mapi_cap_noted;
    if (u->held.length >= near_threshold(eng)) {
        if (!u->near_noted)
            cl_result_for(eng, res, conv)->experts |= CL_EXP_MAPI_NEAR_LIMIT;
        u->near_noted = true;
    } else {
        u->near_noted = false;
    }
}

void cl_mapi_logon_request(cl_engine *eng, cl_conv *conv, const cl_packet *pkt, cl_result **res)
{
    cl_mapi_client *c = client_get(eng, &client_side(conv)->addr, conv, res);
    double *t = g_new(double, 1);
    *t = pkt->time;
    g_queue_push_tail(&c->logons, t);
    while (c->logons.length > eng->cfg.mapi_burst_count)
        g_free(g_queue_pop_head(&c->logons));
    double oldest = *(double *)g_queue_peek_head(&c->logons);
    bool burst = c->logons.length >= eng->cfg.mapi_burst_count && pkt->time - oldest <= eng->cfg.mapi_burst_s;
    if (burst && !c->burst_noted) {
        cl_result_for(eng, res, conv)->experts |= CL_EXP_MAPI_RECONNECT_BURST;
        cl_rpc_info_for(eng, res, conv)->burst = c->logons.length;
    }
    c->burst_noted = burst;
}

/* "frames a, b, c and N more" */
static void append_frames(GString *s, const GQueue *sessions, bool leaked_only)
{
    unsigned shown = 0, more = 0;
    for (const GList *l = sessions->head; l; l = l->next) {
        const cl_mapi_session *x = l->data;
        uint32_t frame = leaked_only ? x->leak_frame : x->open_frame;
        if (!frame)
            continue;
        if (shown < CL_MAX_IDS_SHOWN)
            g_string_append_printf(s, "%s%u", shown++ ? ", " : "", frame);
        else
            more++;
    }
    if (more)
        g_string_append_printf(s, " and %u more", more);
}

static void session_limit(cl_engine *eng, cl_conv *conv, cl_mapi_user *u, const cl_rpc_call *call, uint32_t code,
                          const cl_packet *pkt, cl_result **res)
{
    unsigned held = u->held.length, limit = eng->cfg.mapi_limit, leaked = 0, silent = 0;
    double silent_min = 0;
    bool limit_code = code == EC_MAX_OBJS_EXCEEDED || code == MAPI_E_SESSION_LIMIT;
    bool at_limit = held >= limit;
    if (!limit_code && !at_limit)
        return;
    const char *name = error_name(code);
    GArray *evidence = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    g_array_append_val(evidence, call->frame);
    g_array_append_val(evidence, pkt->frame);
    /* the held sessions' logons first, then where their connections ended */
    for (GList *l = u->held.head; l && evidence->len < CL_MAX_IDS_SHOWN * 2; l = l->next)
        g_array_append_val(evidence, ((const cl_mapi_session *)l->data)->open_frame);
    for (GList *l = u->held.head; l; l = l->next) {
        const cl_mapi_session *x = l->data;
        if (x->leak_frame && evidence->len < CL_MAX_IDS_SHOWN * 4)
            g_array_append_val(evidence, x->leak_frame);
        leaked += x->leak_frame != 0;
        /* seen from the server, a connection whose RST a middlebox ate just goes quiet */
        double quiet = x->rpc && !x->rpc->ended ? pkt->time - x->rpc->last_time : 0;
        if (quiet * 1000 >= eng->cfg.idle_min_ms) {
            silent_min = silent++ ? MIN(silent_min, quiet) : quiet;
        }
    }

    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "The server refused the logon of %s in frame %u (0x%08X%s%s): ", u->name, pkt->frame,
                           code, name ? " " : "", name ? name : "");
    if (at_limit)
        g_string_append_printf(s, "the user holds %u MAPI sessions, the server's limit is %u", held, limit);
    else
        g_string_append_printf(s,
                               "the server counts %u sessions for the user; this capture shows %u of them held, "
                               "the rest were opened before it began or over paths it does not see",
                               limit, held);
    if (eng->mapi_late)
        g_string_append_printf(s, " (at least: %u connection(s) began before the capture)", eng->mapi_late);
    if (held) {
        g_string_append(s, ", opened in frames ");
        append_frames(s, &u->held, false);
    }
    if (leaked) {
        g_string_append_printf(s, "; %u of them on connections that ended without EcDoDisconnect (frames ", leaked);
        append_frames(s, &u->held, true);
        g_string_append(s, ")");
    }
    if (silent)
        g_string_append_printf(s,
                               "; %u of them on connections silent for %.1f s or more, which the server still "
                               "believes alive (a device on the path may have dropped them, or eaten the client's RST)",
                               silent, silent_min);
    g_string_append(s, ". Remedy: end the stale sessions on the server (they stay until it sees their "
                       "connections close), and stop what kills the connections: connlost names that cause on each "
                       "of them; TCP keep-alives shorter than the idle timeout of the firewall or NAT on the path "
                       "keep them alive");
    cl_finding f = {
        .cause = "mapi-session-limit",
        .confidence = limit_code && at_limit ? 95
                      : limit_code           ? 80
                                             : 60,
        .summary = g_string_free(s, FALSE),
        .evidence = (const uint32_t *)(const void *)evidence->data,
        .n_evidence = evidence->len,
        .num = {.has = CL_HAS_SESSIONS, .sessions = held, .session_limit = limit},
        .experts = CL_EXP_MAPI_SESSION_LIMIT,
    };
    cl_verdict_propose(eng, conv, &f, res);
    g_array_free(evidence, TRUE);
}

void cl_mapi_logon(cl_engine *eng, cl_conv *conv, const cl_rpc_call *call, const uint8_t *handle, const uint32_t *code,
                   const cl_packet *pkt, cl_result **res)
{
    const char *name = user_name(eng, conv, call);
    if (!name) /* a new name once results are full (max_results_mb): not tracked */
        return;
    cl_mapi_user *u = user_get(eng, name, conv, res);
    cl_mapi_client *c = client_get(eng, &client_side(conv)->addr, conv, res);
    cl_rpc_info *info = cl_rpc_info_for(eng, res, conv);
    if (code && *code) {
        u->refused++;
        info->has_error = true;
        info->error = *code;
        show_counts(eng, conv, u, c, res);
        session_limit(eng, conv, u, call, *code, pkt, res);
        return;
    }
    uint8_t key[16] = {0};
    static const uint8_t none[16];
    if (handle && memcmp(handle, none, 16) != 0) {
        memcpy(key, handle, 16);
    } else { /* sealed stub: one session per logon call */
        memcpy(key, "cl", 2);
        memcpy(key + 4, &conv->id, 4);
        memcpy(key + 8, &call->call_id, 4);
        memcpy(key + 12, &call->frame, 4);
    }
    if (!code)
        cl_result_note(cl_result_for(eng, res, conv),
                       g_strdup("the logon's answer is sealed: connlost counts it as a session opened"));
    if (!g_hash_table_lookup(eng->mapi_sessions, key)) {
        if (eng->mapi_session_order.length >= eng->cfg.max_mapi_sessions) {
            session_drop(eng, g_queue_peek_head(&eng->mapi_session_order));
            note_full(eng, conv, res);
        }
        cl_mapi_session *s = g_new0(cl_mapi_session, 1);
        memcpy(s->handle, key, 16);
        s->user = u, s->client = c, s->rpc = conv->rpc;
        s->conv_id = conv->id, s->open_frame = pkt->frame;
        s->user_link.data = s->conv_link.data = s->age_link.data = s;
        g_queue_push_tail_link(&u->held, &s->user_link);
        g_queue_push_tail_link(&conv->rpc->sessions, &s->conv_link);
        g_queue_push_tail_link(&eng->mapi_session_order, &s->age_link);
        g_hash_table_insert(eng->mapi_sessions, s->handle, s);
        client_hold(eng, c, +1);
        u->opened++;
    }
    show_counts(eng, conv, u, c, res);
}

void cl_mapi_disconnect(cl_engine *eng, cl_conv *conv, const cl_rpc_call *call, cl_result **res)
{
    cl_mapi_session *s = NULL;
    if (call->has_handle)
        s = g_hash_table_lookup(eng->mapi_sessions, call->handle);
    else if (conv->rpc->sessions.tail) /* sealed: the connection's latest session */
        s = conv->rpc->sessions.tail->data;
    if (!s)
        return; /* opened before the capture */
    cl_mapi_user *u = s->user;
    cl_mapi_client *c = s->client;
    u->closed++;
    session_drop(eng, s);
    show_counts(eng, conv, u, c, res);
}

void cl_mapi_conv_end(cl_engine *eng, cl_conv *conv, int from, bool forged, const cl_packet *pkt, cl_result **res)
{
    cl_rpc_conv *rpc = conv->rpc;
    if (!rpc || rpc->ended || !rpc->sessions.head)
        return;
    rpc->ended = true;
    cl_mapi_session *first = rpc->sessions.head->data;
    cl_mapi_user *u = first->user;
    cl_mapi_client *c = first->client;
    unsigned n = 0;
    GString *frames = g_string_new(NULL);
    for (GList *l = rpc->sessions.head; l; l = l->next) {
        const cl_mapi_session *s = l->data;
        g_string_append_printf(frames, "%s%u", n++ ? ", " : "", s->open_frame);
    }
    cl_result *r = cl_result_for(eng, res, conv);
    if (from != rpc->client && !forged) {
        /* the server ended it itself: its RPC runtime runs the context handles down, the sessions go */
        while (rpc->sessions.head) {
            cl_mapi_session *s = rpc->sessions.head->data;
            s->user->closed++;
            session_drop(eng, s);
        }
        show_counts(eng, conv, u, c, res);
        cl_result_note(r, g_strdup_printf("the server closed the connection without EcDoDisconnect: it runs down %u "
                                          "MAPI session(s) of %s (opened in frame %s)",
                                          n, u->name, frames->str));
    } else {
        for (GList *l = rpc->sessions.head; l; l = l->next)
            ((cl_mapi_session *)l->data)->leak_frame = pkt->frame;
        r->experts |= CL_EXP_MAPI_SESSION_LEAK;
        show_counts(eng, conv, u, c, res);
        r->rpc->leaked = n;
        cl_result_note(r, g_strdup_printf("the connection ended without EcDoDisconnect: %u MAPI session(s) of %s "
                                          "(opened in frame %s) stay on the server until it sees the connection close",
                                          n, u->name, frames->str));
        if (conv->verdict) { /* one story per conversation: the verdict says what the loss cost */
            char *both = g_strdup_printf("%s. It left %u MAPI session(s) of %s (logon in frame %s) on the server, "
                                         "which counts them against the user's limit of %u",
                                         conv->verdict->summary, n, u->name, frames->str, eng->cfg.mapi_limit);
            g_free(conv->verdict->summary);
            conv->verdict->summary = both;
        }
    }
    g_string_free(frames, TRUE);
}

void cl_mapi_conv_forget(cl_engine *eng, cl_conv *conv)
{
    (void)eng;
    GList *l;
    while ((l = g_queue_pop_head_link(&conv->rpc->sessions)))
        ((cl_mapi_session *)l->data)->rpc = NULL;
}
