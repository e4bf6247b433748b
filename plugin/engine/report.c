/* The capture report: every diagnosed conversation, the most severe first, then per client/server pair, the analyses'
 * own parts (MAPI sessions per user) and per cause. Plain text for `tshark -q -z connlost,report` and ./connlost.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "run.h"

#include <stdio.h>
#include <string.h>

/* Failures first by severity (the cause's rank: network faults before an application's own abort), then in
 * time order. */
static gint by_severity(gconstpointer a, gconstpointer b)
{
    const cl_diagnosis *x = *(cl_diagnosis *const *)a, *y = *(cl_diagnosis *const *)b;
    if (x->cause != y->cause)
        return x->cause < y->cause ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->conv_id < y->conv_id ? -1 : x->conv_id > y->conv_id;
}

/* The numbers that matter most for the cause, in a few words. */
static void key_numbers(GString *s, const cl_diagnosis *d)
{
    const cl_numbers *n = &d->num;
    size_t start = s->len;
#define SEP (s->len > start ? ", " : "")
    if (n->has & CL_HAS_PMTU)
        g_string_append_printf(s, "%spath MTU %u", SEP, n->pmtu);
    if (n->has & CL_HAS_SMALLEST_LOST)
        g_string_append_printf(s, "%s%u B lost", SEP, n->smallest_lost);
    if (n->has & CL_HAS_FRAG)
        g_string_append_printf(s, "%s%u datagrams incomplete", SEP, n->frag_incomplete);
    if (n->has & CL_HAS_IDLE)
        g_string_append_printf(s, "%sidle %.3f s", SEP, n->idle);
    if (n->has & CL_HAS_RETRANS)
        g_string_append_printf(s, "%s%u retransmissions unanswered", SEP, n->retrans);
    if (n->has & CL_HAS_KEEPALIVE_RECOMMENDED)
        g_string_append_printf(s, "%skeep-alive <= %.3f s", SEP, n->keepalive_recommended);
    if (n->has & CL_HAS_SESSIONS)
        g_string_append_printf(s, "%s%u of %u MAPI sessions held", SEP, n->sessions, n->session_limit);
#undef SEP
    if (s->len == start)
        g_string_append(s, "-");
}

typedef struct {
    const cl_diagnosis *latest;
    unsigned count;
} pair_stats;

/* Failed connection attempts, one line per client and server address: many attempts from one client
 * (retries, a scan of many ports) are counted there, not listed again. */
typedef struct {
    unsigned by_cause[CL_CAUSE_COUNT];
    unsigned attempts;
    GHashTable *ports;
} setup_stats;

static void setup_free(gpointer p)
{
    setup_stats *x = p;
    g_hash_table_destroy(x->ports);
    g_free(x);
}

/* The group called `name` (zeroed, `size` bytes, made when new), its name kept in `order` as first seen. */
static void *group_of(GHashTable *groups, GPtrArray *order, const char *name, size_t size)
{
    void *group = g_hash_table_lookup(groups, name);
    if (!group) {
        group = g_malloc0(size);
        char *key = g_strdup(name);
        g_hash_table_insert(groups, key, group);
        g_ptr_array_add(order, key);
    }
    return group;
}

static void report_setups(GString *s, GPtrArray *rows)
{
    GHashTable *hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, setup_free);
    GPtrArray *order = g_ptr_array_new();
    for (unsigned i = 0; i < rows->len; i++) {
        const cl_diagnosis *d = g_ptr_array_index(rows, i);
        if (!cl_cause_is_setup(d->cause))
            continue;
        char name[160];
        cl_pair_format(&d->client, &d->server, 0, name, sizeof(name));
        setup_stats *x = group_of(hosts, order, name, sizeof(setup_stats));
        if (!x->ports)
            x->ports = g_hash_table_new(g_direct_hash, g_direct_equal);
        x->attempts++;
        x->by_cause[d->cause]++;
        g_hash_table_add(x->ports, GUINT_TO_POINTER(d->server_port));
    }
    for (unsigned i = 0; i < order->len; i++) {
        const char *name = g_ptr_array_index(order, i);
        const setup_stats *x = g_hash_table_lookup(hosts, name);
        g_string_append_printf(s,
                               "%s  %s: %u attempt(s) on %u port(s) failed:", i ? "" : "\nConnection set-up failures\n",
                               name, x->attempts, g_hash_table_size(x->ports));
        const char *sep = " ";
        for (int c = 1; c < CL_CAUSE_COUNT; c++)
            if (x->by_cause[c]) {
                g_string_append_printf(s, "%s%u %s", sep, x->by_cause[c], cl_cause_slug((cl_cause)c));
                sep = ", ";
            }
        g_string_append_c(s, '\n');
    }
    g_ptr_array_free(order, TRUE);
    g_hash_table_destroy(hosts);
}

static void report_pairs(GString *s, GPtrArray *rows)
{
    GHashTable *pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GPtrArray *order = g_ptr_array_new();
    for (unsigned i = 0; i < rows->len; i++) {
        const cl_diagnosis *d = g_ptr_array_index(rows, i);
        if (cl_cause_is_setup(d->cause))
            continue; /* counted with the set-up failures */
        char name[160];
        cl_pair_format(&d->client, &d->server, d->server_port, name, sizeof(name));
        pair_stats *p = group_of(pairs, order, name, sizeof(pair_stats));
        p->count++;
        p->latest = d;
    }
    if (order->len)
        g_string_append(s, "\nClient/server pairs\n");
    for (unsigned i = 0; i < order->len; i++) {
        const char *name = g_ptr_array_index(order, i);
        const pair_stats *p = g_hash_table_lookup(pairs, name);
        const cl_numbers *n = &p->latest->num;
        g_string_append_printf(s, "  %s: %u diagnosed", name, p->count);
        if (n->has & CL_HAS_PERIOD)
            g_string_append_printf(s, ", one every %.3f s (%u)", n->period, n->period_count);
        if (n->has & (CL_HAS_IDLE_TIMEOUT_MIN | CL_HAS_IDLE_TIMEOUT_MAX)) {
            g_string_append(s, ", idle timeout in (");
            if (n->has & CL_HAS_IDLE_TIMEOUT_MIN)
                g_string_append_printf(s, "%.3f", n->idle_timeout_min);
            else
                g_string_append(s, "0");
            if (n->has & CL_HAS_IDLE_TIMEOUT_MAX)
                g_string_append_printf(s, ", %.3f] s", n->idle_timeout_max);
            else
                g_string_append(s, ", ?] s");
        }
        if (n->has & CL_HAS_KEEPALIVE_RECOMMENDED)
            g_string_append_printf(s, ", keep-alive every %.3f s or less", n->keepalive_recommended);
        g_string_append(s, "\n");
    }
    g_ptr_array_free(order, TRUE);
    g_hash_table_destroy(pairs);
}

/* Findings later disproved are counts, not rows. */
static void report_withdrawn(GString *s, const cl_verdicts *v)
{
    size_t start = s->len;
    for (int c = 1; c < CL_CAUSE_COUNT; c++)
        if (v->withdrawn[c])
            g_string_append_printf(s, "%s%u %s",
                                   s->len > start ? ", " : "  withdrawn (later disproved): ", v->withdrawn[c],
                                   cl_cause_slug((cl_cause)c));
    if (s->len > start)
        g_string_append_c(s, '\n');
}

char *cl_engine_report(const cl_engine *eng, GHashTable *only)
{
    GString *s = g_string_new(NULL);
    GPtrArray *rows = g_ptr_array_new();
    for (unsigned i = 0; eng && i < eng->verdicts.diagnoses->len; i++) {
        const cl_diagnosis *d = g_ptr_array_index(eng->verdicts.diagnoses, i);
        if (d->cause != CL_CAUSE_NONE && (!only || g_hash_table_contains(only, GUINT_TO_POINTER(d->conv_id))))
            g_ptr_array_add(rows, (gpointer)d);
    }
    g_ptr_array_sort(rows, by_severity);
    g_string_append_printf(s, "connlost report: %u conversation(s) with a diagnosed cause\n", rows->len);
    if (eng && eng->results.full_frame)
        g_string_append_printf(s, "  (incomplete: results reached connlost.max_results_mb = %u MiB at frame %u)\n",
                               eng->cfg.max_results_mb, eng->results.full_frame);
    if (eng && eng->state_cap_said)
        g_string_append_printf(s,
                               "  (state reached connlost.max_state_mb = %u MiB: old conversations were forgotten)\n",
                               eng->cfg.max_state_mb);
    if (eng && (eng->verdicts.ordinary_closes[0] || eng->verdicts.ordinary_closes[1]))
        g_string_append_printf(
            s, "  not failures: %u RST close(s) by clients and %u by servers after a finished exchange\n",
            eng->verdicts.ordinary_closes[0], eng->verdicts.ordinary_closes[1]);
    if (eng)
        report_withdrawn(s, &eng->verdicts);
    if (eng && eng->copies)
        g_string_append_printf(s,
                               "  the capture holds %" G_GUINT64_FORMAT " duplicate TCP packet(s) (one packet captured "
                               "twice: a SPAN port, two capture points merged): each was analysed once\n",
                               eng->copies);
    if (rows->len)
        g_string_append(
            s, "\n  conv  start (s)  end (s)    client -> server                              cause                   "
               "conf  verdict  key numbers\n");
    for (unsigned i = 0; i < rows->len; i++) {
        const cl_diagnosis *d = g_ptr_array_index(rows, i);
        char c[64], srv[72], ends[160];
        cl_addr_format(&d->client, d->client_port, c, sizeof(c));
        cl_addr_format(&d->server, d->server_port, srv, sizeof(srv));
        snprintf(ends, sizeof(ends), "%s -> %s", c, srv);
        g_string_append_printf(s, "  %4u  %9.3f  %9.3f  %-44s  %-22s  %3u%%  %7u  ", d->conv_id,
                               d->start - eng->first_time, d->end - eng->first_time, ends, cl_cause_slug(d->cause),
                               d->confidence, d->verdict_frame);
        key_numbers(s, d);
        g_string_append(s, "\n");
    }
    for (unsigned i = 0; i < rows->len; i++) {
        const cl_diagnosis *d = g_ptr_array_index(rows, i);
        g_string_append_printf(s, "%s  conv %u (frame %u): ", i ? "" : "\nVerdicts\n", d->conv_id, d->verdict_frame);
        cl_text_write(d->summary, s);
        g_string_append(s, "\n");
    }
    if (rows->len) {
        report_pairs(s, rows);
        report_setups(s, rows);
    }
    for (size_t i = 0; eng && i < cl_registry_len; i++)
        if (cl_registry[i]->report)
            cl_registry[i]->report(eng->state[i], s, only);
    if (rows->len) {
        GHashTable *causes = g_hash_table_new(g_str_hash, g_str_equal);
        GPtrArray *names = g_ptr_array_new();
        for (unsigned i = 0; i < rows->len; i++) {
            const cl_diagnosis *d = g_ptr_array_index(rows, i);
            const char *slug = cl_cause_slug(d->cause);
            unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(causes, slug));
            if (!n)
                g_ptr_array_add(names, (gpointer)slug);
            g_hash_table_insert(causes, (gpointer)slug, GUINT_TO_POINTER(n + 1));
        }
        g_string_append(s, "\nCauses\n");
        for (unsigned i = 0; i < names->len; i++) {
            const char *c = g_ptr_array_index(names, i);
            g_string_append_printf(s, "  %-22s  %u\n", c, GPOINTER_TO_UINT(g_hash_table_lookup(causes, c)));
        }
        g_ptr_array_free(names, TRUE);
        g_hash_table_destroy(causes);
    }
    g_ptr_array_free(rows, TRUE);
    return g_string_free(s, FALSE);
}
