/* MAPI (EMSMDB) sessions per user and per client: logons, disconnects, sessions left behind by
 * connections that died, the server's per-user session limit (Exchange: 32, event 9646) and bursts of
 * reconnects. Cause: mapi-session-limit. Listens to the DCE/RPC analysis's call events.
 *
 * A session opened by EcDoConnect(Ex) is held until EcDoDisconnect. When its connection dies without one,
 * the server keeps it for as long as it believes the connection alive: a NAT that keeps idle sockets for a
 * day, or a middlebox that eats the client's RST, leaves it behind. Enough of those and the user cannot
 * log on at all.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "rpc_events.h"

#include <stdio.h>
#include <string.h>

#define MAX_USERS_SHOWN 50

enum {
    EC_MAX_OBJS_EXCEEDED = 0x000004DE,
    MAPI_E_SESSION_LIMIT = 0x80040112,
};

typedef struct mapi_user mapi_user;
typedef struct mapi_client mapi_client;

/* The MAPI side of a conversation: the sessions opened on it. */
typedef struct {
    GQueue sessions; /* mapi_session* (through conv_link) */
    int8_t client;   /* the side that calls, as DCE/RPC said */
    bool ended;      /* its first RST or FIN with sessions held was seen */
} mapi_conn;

typedef struct {
    mapi_conn *conn; /* made at its first logon: most conversations have none */
} mapi_slot;

typedef struct {
    uint8_t handle[16]; /* context handle UUID; made up from the call when the stub is sealed */
    mapi_user *user;
    mapi_client *client;
    cl_conv *conv; /* the connection it was opened on, NULL once that is forgotten */
    uint32_t conv_id, open_frame, leak_frame;
    GList user_link, conv_link; /* in user->held, in its conversation's slot */
    cl_lru_node node;           /* oldest first */
} mapi_session;

struct mapi_user {
    const char *name; /* interned */
    GQueue held;      /* mapi_session*, oldest first */
    uint32_t opened, closed, refused;
    bool near_noted;
    cl_lru_node node; /* least recently active first */
};

struct mapi_client {
    cl_addr addr;
    uint32_t held;
    GQueue logons; /* double* times of its latest logons (at most mapi_burst_count) */
    bool burst_noted;
    cl_lru_node node; /* pinned while it holds sessions: they bound it */
};

typedef struct {
    const cl_config *cfg;
    size_t slot;
    cl_lru sessions;    /* by handle */
    cl_lru users;       /* by name */
    cl_lru clients;     /* by address */
    uint32_t late;      /* EMSMDB connections that began before the capture */
    size_t *kept_bytes; /* the engine's sum of what analyses keep: LOGON_BYTES per logon time the clients hold */
} mapi_state;

#define LOGON_BYTES (sizeof(double) + CL_ENTRY_BYTES)

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

/* The conversation's MAPI side; made when `make`, else NULL if it has none. */
static mapi_conn *conn_of(const mapi_state *st, cl_conv *conv, bool make)
{
    mapi_slot *slot = cl_conv_slot(conv, st->slot);
    if (!slot->conn && make) {
        slot->conn = g_new0(mapi_conn, 1);
        cl_conv_resized(conv);
    }
    return slot->conn;
}

static guint handle_hash(gconstpointer k) { return cl_hash_bytes(k, 16); }
static gboolean handle_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, 16) == 0; }

/* Clients holding sessions are never evicted (the sessions bound them); the others go least recently
 * used first. */
static void client_hold(mapi_state *st, mapi_client *c, int change)
{
    c->held = (uint32_t)((int)c->held + change);
    cl_lru_pin(&st->clients, &c->node, c->held > 0);
}

static void session_drop(mapi_state *st, mapi_session *s)
{
    g_queue_unlink(&s->user->held, &s->user_link);
    if (s->conv)
        g_queue_unlink(&conn_of(st, s->conv, false)->sessions, &s->conv_link);
    cl_lru_remove(&st->sessions, s->handle, s, &s->node);
    client_hold(st, s->client, -1);
    g_free(s);
}

static void session_evict(void *entry, void *data) { session_drop(data, entry); }

static void user_evict(void *entry, void *data)
{
    mapi_state *st = data;
    mapi_user *u = entry;
    while (u->held.head)
        session_drop(st, u->held.head->data);
    cl_lru_remove(&st->users, u->name, u, &u->node);
    g_free(u);
}

static void client_evict(void *entry, void *data)
{
    mapi_state *st = data;
    mapi_client *c = entry;
    cl_lru_remove(&st->clients, &c->addr, c, &c->node);
    *st->kept_bytes -= c->logons.length * LOGON_BYTES;
    g_queue_clear_full(&c->logons, g_free);
    g_free(c);
}

static void *mapi_init(cl_ctx *x, size_t slot)
{
    mapi_state *st = g_new0(mapi_state, 1);
    const cl_config *cfg = x->cfg;
    st->cfg = cfg;
    st->slot = slot;
    st->kept_bytes = x->kept_bytes;
    cl_lru_init(&st->sessions, handle_hash, handle_equal, cfg->max_mapi_sessions,
                sizeof(mapi_session) + CL_ENTRY_BYTES);
    cl_lru_describe(&st->sessions, "MAPI sessions, users and clients", "max_mapi_sessions",
                    "the oldest are forgotten and session counts are lower bounds", session_evict, st);
    cl_lru_init(&st->users, g_str_hash, g_str_equal, cfg->max_mapi_sessions, sizeof(mapi_user) + 2 * CL_ENTRY_BYTES);
    cl_lru_describe(&st->users, NULL, NULL, NULL, user_evict, st);
    /* a client's logon times are counted as it holds them (kept_bytes), not at the most it may hold */
    cl_lru_init(&st->clients, cl_addr_hash, cl_addr_equal, cfg->max_mapi_sessions,
                sizeof(mapi_client) + CL_ENTRY_BYTES);
    cl_lru_describe(&st->clients, NULL, NULL, NULL, client_evict, st);
    st->users.note_with = &st->sessions; /* one note speaks for the three tables */
    st->clients.note_with = &st->sessions;
    cl_core_add_table(x, &st->sessions);
    cl_core_add_table(x, &st->users);
    cl_core_add_table(x, &st->clients);
    return st;
}

static void mapi_free(void *state)
{
    mapi_state *st = state;
    cl_lru_destroy(&st->sessions);
    cl_lru_destroy(&st->users);
    cl_lru_destroy(&st->clients);
    g_free(st);
}

static bool counts_low(const mapi_state *st)
{
    return st->late > 0 || st->sessions.full_pending || st->sessions.full_said;
}

static mapi_user *user_get(mapi_state *st, const char *name)
{
    mapi_user *u = cl_lru_lookup(&st->users, name);
    if (u) {
        cl_lru_touch(&st->users, &u->node);
        return u;
    }
    cl_lru_make_room(&st->users);
    u = g_new0(mapi_user, 1);
    u->name = name; /* interned: lives as long as the engine */
    g_queue_init(&u->held);
    cl_lru_insert(&st->users, u->name, u, &u->node);
    return u;
}

static mapi_client *client_get(mapi_state *st, const cl_addr *addr)
{
    mapi_client *c = cl_lru_lookup(&st->clients, addr);
    if (c) {
        cl_lru_touch(&st->clients, &c->node);
        return c;
    }
    cl_lru_make_room(&st->clients);
    c = g_new0(mapi_client, 1);
    c->addr = *addr;
    g_queue_init(&c->logons);
    cl_lru_insert(&st->clients, &c->addr, c, &c->node);
    return c;
}

static const cl_addr *client_addr(const cl_rpc_event *e) { return &e->conv->side[e->client >= 0 ? e->client : 0].addr; }

/* Who a session belongs to: the user DN of the logon, else the NTLM user of the binding, else the client. */
static const char *user_name(cl_ctx *x, const cl_rpc_event *e)
{
    if (e->call && e->call->user_dn)
        return e->call->user_dn;
    if (e->auth_user)
        return e->auth_user;
    char buf[64];
    cl_addr_format(client_addr(e), 0, buf, sizeof(buf));
    return cl_intern(x->frame.results, buf);
}

/* In 64 bits: the limit times the percentage overflows 32 bits from a limit of 42 949 673 on. */
static unsigned near_threshold(const cl_config *cfg)
{
    uint64_t t = ((uint64_t)cfg->mapi_limit * cfg->mapi_near_pct + 99) / 100;
    return (unsigned)MAX(t, 1);
}

static void show_counts(const mapi_state *st, cl_ctx *x, const cl_conv *conv, mapi_user *u, const mapi_client *c)
{
    cl_rpc_info *info = cl_rpc_info_for(&x->frame, conv);
    info->mapi_user = u->name;
    info->has_sessions = true;
    info->sessions = u->held.length;
    info->client_sessions = c ? c->held : 0;
    info->limit = st->cfg->mapi_limit;
    info->lower_bound = counts_low(st);
    if (u->held.length >= near_threshold(st->cfg)) {
        if (!u->near_noted)
            cl_res(x, conv)->experts |= CL_EXP_MAPI_NEAR_LIMIT;
        u->near_noted = true;
    } else {
        u->near_noted = false;
    }
}

static void logon_request(void *state, cl_ctx *x, const cl_rpc_event *e)
{
    mapi_state *st = state;
    mapi_client *c = client_get(st, client_addr(e));
    double *t = g_new(double, 1);
    *t = e->pkt->time;
    g_queue_push_tail(&c->logons, t);
    *st->kept_bytes += LOGON_BYTES;
    while (c->logons.length > st->cfg->mapi_burst_count) {
        g_free(g_queue_pop_head(&c->logons));
        *st->kept_bytes -= LOGON_BYTES;
    }
    double oldest = *(double *)g_queue_peek_head(&c->logons);
    bool burst = c->logons.length >= st->cfg->mapi_burst_count && e->pkt->time - oldest <= st->cfg->mapi_burst_s;
    if (burst && !c->burst_noted) {
        cl_res(x, e->conv)->experts |= CL_EXP_MAPI_RECONNECT_BURST;
        cl_rpc_info_for(&x->frame, e->conv)->burst = c->logons.length;
    }
    c->burst_noted = burst;
}

/* "a, b, c and N more" */
static void append_frames(GString *s, const GQueue *sessions, bool leaked_only)
{
    unsigned shown = 0, more = 0;
    for (const GList *l = sessions->head; l; l = l->next) {
        const mapi_session *x = l->data;
        uint32_t frame = leaked_only ? x->leak_frame : x->open_frame;
        if (!frame)
            continue;
        if (shown >= CL_MAX_IDS_SHOWN) {
            more++;
            continue;
        }
        if (shown++)
            g_string_append(s, ", ");
        cl_string_append_uint(s, frame);
    }
    if (more)
        g_string_append_printf(s, " and %u more", more);
}

/* The held sessions' logons first, then where their connections ended; how many leaked, how many sit on
 * connections gone silent (seen from the server, a connection whose RST a middlebox ate just goes quiet). */
static void held_evidence(const mapi_state *st, const cl_rpc_event *e, const mapi_user *u, cl_finding *f,
                          unsigned *leaked, unsigned *silent, double *silent_min)
{
    for (GList *l = u->held.head; l && f->evidence->len < CL_MAX_IDS_SHOWN * 2; l = l->next)
        cl_finding_evidence(f, ((const mapi_session *)l->data)->open_frame);
    for (GList *l = u->held.head; l; l = l->next) {
        const mapi_session *x = l->data;
        if (x->leak_frame && f->evidence->len < CL_MAX_IDS_SHOWN * 4)
            cl_finding_evidence(f, x->leak_frame);
        *leaked += x->leak_frame != 0;
        bool open = x->conv && !conn_of(st, x->conv, false)->ended;
        double quiet = !open || x->conv == e->conv ? 0 : e->pkt->time - x->conv->prev_time;
        if (quiet * 1000 >= st->cfg->idle_min_ms) {
            *silent_min = (*silent)++ ? MIN(*silent_min, quiet) : quiet;
        }
    }
}

static void session_limit(const mapi_state *st, cl_ctx *x, const cl_rpc_event *e, mapi_user *u, uint32_t code)
{
    unsigned held = u->held.length, limit = st->cfg->mapi_limit, leaked = 0, silent = 0;
    double silent_min = 0;
    bool limit_code = code == EC_MAX_OBJS_EXCEEDED || code == MAPI_E_SESSION_LIMIT;
    bool at_limit = held >= limit;
    if (!limit_code && !at_limit)
        return;
    const char *name = error_name(code);
    cl_finding f;
    cl_finding_begin(&f, CL_CAUSE_MAPI_SESSION_LIMIT, limit_code && at_limit ? 95 : limit_code ? 80 : 60);
    cl_finding_evidence(&f, e->call->frame);
    cl_finding_evidence(&f, e->pkt->frame);
    held_evidence(st, e, u, &f, &leaked, &silent, &silent_min);

    GString *s = g_string_new(NULL); /* a rare verdict, written whole: the frame lists are built in place */
    g_string_append_printf(s, "The server refused the logon of %s in frame %u (0x%08X%s%s): ", u->name, e->pkt->frame,
                           code, name ? " " : "", name ? name : "");
    if (at_limit)
        g_string_append_printf(s, "the user holds %u MAPI sessions, the server's limit is %u", held, limit);
    else
        g_string_append_printf(s,
                               "the server counts %u sessions for the user; this capture shows %u of them held, "
                               "the rest were opened before it began or over paths it does not see",
                               limit, held);
    if (st->late)
        g_string_append_printf(s, " (at least: %u connection(s) began before the capture)", st->late);
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
    cl_finding_say(&f, "%s", s->str);
    g_string_free(s, TRUE);
    f.num.has = CL_HAS_SESSIONS | CL_HAS_SESSION_LIMIT;
    f.num.sessions = held;
    f.num.session_limit = limit;
    f.experts = CL_EXP_MAPI_SESSION_LIMIT;
    cl_finding_propose(x, e->conv, &f);
}

/* The key of a logon's session: its context handle, or, when the stub is sealed, one made up per logon call. */
static void session_key(const cl_rpc_event *e, uint8_t key[16])
{
    static const uint8_t none[16];
    memset(key, 0, 16);
    if (e->handle && memcmp(e->handle, none, 16) != 0) {
        memcpy(key, e->handle, 16);
        return;
    }
    memcpy(key, "cl", 2);
    memcpy(key + 4, &e->conv->id, 4);
    memcpy(key + 8, &e->call->call_id, 4);
    memcpy(key + 12, &e->call->frame, 4);
}

static void session_open(mapi_state *st, const cl_rpc_event *e, const uint8_t key[16], mapi_user *u, mapi_client *c)
{
    if (cl_lru_lookup(&st->sessions, key))
        return;
    cl_lru_make_room(&st->sessions);
    mapi_session *s = g_new0(mapi_session, 1);
    memcpy(s->handle, key, 16);
    s->user = u;
    s->client = c;
    s->conv = e->conv;
    s->conv_id = e->conv->id;
    s->open_frame = e->pkt->frame;
    s->user_link.data = s;
    s->conv_link.data = s;
    g_queue_push_tail_link(&u->held, &s->user_link);
    g_queue_push_tail_link(&conn_of(st, e->conv, true)->sessions, &s->conv_link);
    cl_lru_insert(&st->sessions, s->handle, s, &s->node);
    client_hold(st, c, +1);
    u->opened++;
}

static void logon(void *state, cl_ctx *x, const cl_rpc_event *e)
{
    mapi_state *st = state;
    const char *name = user_name(x, e);
    if (!name) /* a new name once results are full (max_results_mb): not tracked */
        return;
    conn_of(st, e->conv, true)->client = (int8_t)e->client;
    mapi_user *u = user_get(st, name);
    mapi_client *c = client_get(st, client_addr(e));
    cl_rpc_info *info = cl_rpc_info_for(&x->frame, e->conv);
    if (e->code && *e->code) {
        u->refused++;
        info->has_error = true;
        info->error = *e->code;
        show_counts(st, x, e->conv, u, c);
        session_limit(st, x, e, u, *e->code);
        return;
    }
    uint8_t key[16];
    session_key(e, key);
    if (!e->code)
        cl_result_say(cl_res(x, e->conv), "the logon's answer is sealed: connlost counts it as a session "
                                          "opened");
    session_open(st, e, key, u, c);
    show_counts(st, x, e->conv, u, c);
}

static void disconnect(void *state, cl_ctx *x, const cl_rpc_event *e)
{
    mapi_state *st = state;
    mapi_session *s = NULL;
    const mapi_conn *conn = conn_of(st, e->conv, false);
    if (e->call->has_handle)
        s = cl_lru_lookup(&st->sessions, e->call->handle);
    else if (conn && conn->sessions.tail) /* sealed: the connection's latest session */
        s = conn->sessions.tail->data;
    if (!s)
        return; /* opened before the capture */
    mapi_user *u = s->user;
    mapi_client *c = s->client;
    u->closed++;
    session_drop(st, s);
    show_counts(st, x, e->conv, u, c);
}

static void late(void *state) { ((mapi_state *)state)->late++; }

/* The connection ends (first RST or FIN): sessions never disconnected on it are leaked, unless the server
 * ended it itself (then it runs them down). */
static void mapi_after_tcp(void *state, cl_ctx *x, cl_conv *conv, void *s, const cl_packet *pkt, cl_facts *facts)
{
    mapi_state *st = state;
    mapi_conn *slot = ((mapi_slot *)s)->conn;
    if (!facts->ends || !facts->first_end || !slot || slot->ended || !slot->sessions.head)
        return;
    slot->ended = true;
    mapi_session *first = slot->sessions.head->data;
    mapi_user *u = first->user;
    mapi_client *c = first->client;
    unsigned n = 0;
    GString *frames = g_string_new(NULL);
    for (GList *l = slot->sessions.head; l; l = l->next)
        g_string_append_printf(frames, "%s%u", n++ ? ", " : "", ((const mapi_session *)l->data)->open_frame);
    cl_result *r = cl_res(x, conv);
    if (facts->from != slot->client && facts->origin != CL_RST_FORGED) {
        /* the server ended it itself: its RPC runtime runs the context handles down, the sessions go */
        while (slot->sessions.head) {
            mapi_session *held = slot->sessions.head->data;
            held->user->closed++;
            session_drop(st, held);
        }
        show_counts(st, x, conv, u, c);
        cl_result_say(r,
                      "the server closed the connection without EcDoDisconnect: it runs down %u "
                      "MAPI session(s) of %s (opened in frame %s)",
                      n, u->name, frames->str);
    } else {
        for (GList *l = slot->sessions.head; l; l = l->next)
            ((mapi_session *)l->data)->leak_frame = pkt->frame;
        r->experts |= CL_EXP_MAPI_SESSION_LEAK;
        show_counts(st, x, conv, u, c);
        r->rpc->leaked = n;
        cl_result_say(r,
                      "the connection ended without EcDoDisconnect: %u MAPI session(s) of %s "
                      "(opened in frame %s) stay on the server until it sees the connection close",
                      n, u->name, frames->str);
        /* one story per conversation: the verdict says what the loss cost */
        char *cost = g_strdup_printf(". It left %u MAPI session(s) of %s (logon in frame %s) on the server, which "
                                     "counts them against the user's limit of %u",
                                     n, u->name, frames->str, st->cfg->mapi_limit);
        cl_verdict_amend(x->verdicts, conv, cost);
        g_free(cost);
    }
    g_string_free(frames, TRUE);
}

static void mapi_slot_free(void *state, cl_conv *conv, void *s)
{
    (void)state;
    (void)conv;
    mapi_conn *c = ((mapi_slot *)s)->conn;
    if (!c)
        return;
    GList *l;
    while ((l = g_queue_pop_head_link(&c->sessions)))
        ((mapi_session *)l->data)->conv = NULL;
    g_free(c);
}

static size_t mapi_slot_bytes(const void *s) { return ((const mapi_slot *)s)->conn ? sizeof(mapi_conn) : 0; }

static gint by_held(gconstpointer a, gconstpointer b)
{
    const mapi_user *x = *(mapi_user *const *)a, *y = *(mapi_user *const *)b;
    if (x->held.length != y->held.length)
        return x->held.length > y->held.length ? -1 : 1;
    return strcmp(x->name, y->name);
}

static bool user_in(const mapi_user *u, GHashTable *only)
{
    if (!only)
        return u->opened || u->refused;
    for (const GList *l = u->held.head; l; l = l->next)
        if (g_hash_table_contains(only, GUINT_TO_POINTER(((const mapi_session *)l->data)->conv_id)))
            return true;
    return false;
}

static void mapi_report(const void *state, GString *s, GHashTable *only)
{
    const mapi_state *st = state;
    GPtrArray *users = g_ptr_array_new();
    for (const GList *l = st->users.order.head; l; l = l->next)
        if (user_in(l->data, only))
            g_ptr_array_add(users, l->data);
    if (!users->len) {
        g_ptr_array_free(users, TRUE);
        return;
    }
    g_ptr_array_sort(users, by_held);
    g_string_append_printf(s, "\nMAPI sessions per user (limit %u%s)\n", st->cfg->mapi_limit,
                           st->late ? "; at least: connections began before the capture" : "");
    g_string_append(s, "  held  opened  closed  refused  leaked  user\n");
    for (unsigned i = 0; i < users->len && i < MAX_USERS_SHOWN; i++) {
        const mapi_user *u = g_ptr_array_index(users, i);
        unsigned leaked = 0;
        for (const GList *l = u->held.head; l; l = l->next)
            leaked += ((const mapi_session *)l->data)->leak_frame != 0;
        g_string_append_printf(s, "  %4u  %6u  %6u  %7u  %6u  %s\n", u->held.length, u->opened, u->closed, u->refused,
                               leaked, u->name);
    }
    if (users->len > MAX_USERS_SHOWN)
        g_string_append_printf(s, "  ... and %u more users\n", users->len - MAX_USERS_SHOWN);
    g_ptr_array_free(users, TRUE);
}

static const cl_rpc_listener mapi_listener = {logon_request, logon, disconnect, late};

static const cl_pref mapi_prefs[] = {
    CL_PREF(
        mapi_limit, "MAPI sessions per user allowed",
        "Sessions the server allows one user (Exchange: 32, event 9646); a refused logon at this count is the cause "
        "mapi-session-limit",
        32, 1, 1000000),
    CL_PREF(mapi_near_pct, "MAPI sessions: warn at (% of the limit)",
            "Sessions a user holds, in % of the limit, that raise the near-limit warning", 80, 1, 100),
    CL_PREF(mapi_burst_count, "MAPI reconnect burst: logons",
            "Logons (EcDoConnect/EcDoConnectEx) from one client within the burst window that make a reconnect burst",
            10, 2, 100000),
    CL_PREF(mapi_burst_s, "MAPI reconnect burst: window (s)", "Window for the reconnect burst, in seconds", 60, 0,
            UINT32_MAX),
    CL_PREF(max_mapi_sessions, "Most MAPI sessions tracked",
            "Bound on the MAPI sessions (and on the users and clients) connlost keeps; beyond it the oldest are "
            "forgotten and counts become lower bounds",
            100000, 1, UINT32_MAX),
    {NULL, NULL, NULL, 0, 0, 0, 0},
};

const cl_analysis cl_analysis_mapi = {
    .name = "mapi",
    .prefs = mapi_prefs,
    .slot_size = sizeof(mapi_slot),
    .init = mapi_init,
    .free = mapi_free,
    .after_tcp = mapi_after_tcp,
    .slot_free = mapi_slot_free,
    .slot_bytes = mapi_slot_bytes,
    .report = mapi_report,
    .rpc_listener = &mapi_listener,
};
