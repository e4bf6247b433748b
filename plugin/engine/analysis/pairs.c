/* Client/server pairs across the capture: the device idle timeout bracketed by the gaps connections survived
 * and died of, the keep-alive interval that would have kept them, and disconnects at a regular interval.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "pairs.h"

#include <math.h>
#include <string.h>

#define BRACKET_SLACK 1.02  /* a device default within 2 % above the failed gap still fits */
#define DISCONNECTS_KEPT 64 /* disconnect times per client/server pair: enough for a period */

/* Established-connection idle timeouts of common devices (defaults from their documentation). */
static const struct {
    double seconds;
    const char *devices;
} device_defaults[] = {
    {240, "Azure Load Balancer / NAT Gateway (4 min)"},
    {300, "F5 BIG-IP FastL4 (300 s)"},
    {350, "AWS NLB / NAT Gateway / Network Firewall (350 s)"},
    {1200, "GCP Cloud NAT / Huawei USG (20 min)"},
    {1800, "Windows NetNat (30 min)"},
    {3600, "Cisco ASA / Palo Alto / FortiADC (1 h)"},
    {7440, "an RFC 5382 NAT at its minimum (2 h 4 min)"},
    {86400, "Cisco IOS NAT (24 h)"},
    {432000, "Linux conntrack / AWS security groups (5 days)"},
};

/* What the capture showed of one client talking to one server port. */
typedef struct {
    cl_addr client, server;
    uint16_t server_port;
    uint8_t pad[2]; /* keys are hashed as bytes */
} pair_key;

typedef struct {
    pair_key key;
    double survived_max; /* longest idle gap a connection survived, 0 if none */
    uint32_t survived_frame;
    double failed_min; /* shortest idle gap after which one failed, 0 if none */
    uint32_t failed_frame;
    GArray *disconnects; /* double times, the latest ones (bounded) */
    cl_lru_node node;
} pair;

struct cl_pairs {
    cl_lru table;
};

static guint pair_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(pair_key)); }
static gboolean pair_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(pair_key)) == 0; }

static void pair_evict(void *entry, void *data)
{
    pair *p = entry;
    cl_lru_remove(data, &p->key, p, &p->node);
    g_array_free(p->disconnects, TRUE);
    g_free(p);
}

cl_pairs *cl_pairs_new(cl_ctx *x)
{
    cl_pairs *st = g_new0(cl_pairs, 1);
    cl_lru_init(&st->table, pair_hash, pair_equal, x->cfg->max_pairs,
                sizeof(pair) + DISCONNECTS_KEPT * sizeof(double) + 2 * CL_ENTRY_BYTES);
    cl_lru_describe(&st->table, "client/server pairs", "max_pairs",
                    "idle timeouts and periods of the least recently used ones are forgotten", pair_evict, &st->table);
    cl_core_add_table(x, &st->table);
    return st;
}

void cl_pairs_free(cl_pairs *st)
{
    cl_lru_destroy(&st->table);
    g_free(st);
}

/* The conversation's client/server pair, made on first use. */
static pair *pair_of(cl_pairs *st, const cl_conv *conv)
{
    pair_key key;
    memset(&key, 0, sizeof(key));
    key.client = conv->side[0].addr;
    key.server = conv->side[1].addr;
    key.server_port = conv->side[1].port;
    pair *pr = cl_lru_lookup(&st->table, &key);
    if (pr) {
        cl_lru_touch(&st->table, &pr->node);
        return pr;
    }
    cl_lru_make_room(&st->table);
    pr = g_new0(pair, 1);
    pr->key = key;
    pr->disconnects = g_array_new(FALSE, FALSE, sizeof(double));
    cl_lru_insert(&st->table, &pr->key, pr, &pr->node);
    return pr;
}

static void pair_name(const cl_conv *conv, char *buf, size_t len)
{
    cl_pair_format(&conv->side[0].addr, &conv->side[1].addr, conv->side[1].port, buf, len);
}

/* Device defaults that fit the bracket; the shortest of them bounds the recommendation. */
static double device_context(cl_finding *f, double low, double failed)
{
    unsigned fits = 0;
    size_t first_fit = 0, last_fit = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(device_defaults); i++)
        if (device_defaults[i].seconds > low && device_defaults[i].seconds <= failed * BRACKET_SLACK) {
            if (!fits++)
                first_fit = i;
            last_fit = i;
        }
    if (fits == 1)
        cl_finding_say(f, ", as the default of %s", device_defaults[first_fit].devices);
    else if (fits == 2)
        cl_finding_say(f, ", as the defaults of %s or %s", device_defaults[first_fit].devices,
                       device_defaults[last_fit].devices);
    else if (fits > 2)
        cl_finding_say(f, "; %u common device defaults fit, the shortest %s", fits, device_defaults[first_fit].devices);
    double recommended = failed / 2;
    if (fits && device_defaults[first_fit].seconds / 2 < recommended)
        recommended = device_defaults[first_fit].seconds / 2;
    return recommended;
}

void cl_pairs_bracket(cl_pairs *st, const cl_conv *conv, double gap, uint32_t gap_frame, bool sure, cl_finding *f)
{
    pair *pr = pair_of(st, conv);
    double failed = pr->failed_min;
    uint32_t failed_frame = pr->failed_frame;
    if (!failed || gap < failed) {
        failed = gap;
        failed_frame = gap_frame;
    }
    if (sure) {
        pr->failed_min = failed;
        pr->failed_frame = failed_frame;
    }
    char t1[40], t2[40];
    f->num.has |= CL_HAS_IDLE | CL_HAS_IDLE_TIMEOUT_MAX | CL_HAS_KEEPALIVE_RECOMMENDED;
    f->num.idle = gap;
    f->num.idle_timeout_max = failed;
    char name[200];
    pair_name(conv, name, sizeof(name));
    double low = pr->survived_max > 0 && pr->survived_max < failed ? pr->survived_max : 0;
    if (low > 0) {
        f->num.has |= CL_HAS_IDLE_TIMEOUT_MIN;
        f->num.idle_timeout_min = low;
        cl_finding_say(f,
                       "; for %s the device's idle timeout lies between %s (survived, frame %u) and %s (failed, "
                       "frame %u)",
                       name, cl_duration(low, t1, sizeof(t1)), pr->survived_frame, cl_duration(failed, t2, sizeof(t2)),
                       failed_frame);
    } else {
        cl_finding_say(f, "; for %s the device's idle timeout is at most %s (frame %u)", name,
                       cl_duration(failed, t1, sizeof(t1)), failed_frame);
    }
    double recommended = device_context(f, low, failed);
    f->num.keepalive_recommended = recommended;
    cl_finding_say(f,
                   "; remedy: TCP keep-alives (or the application's own heartbeat) every %s or less%s, or a longer "
                   "idle timeout on the device",
                   cl_duration(recommended, t1, sizeof(t1)),
                   low >= recommended ? ""
                                      : " (the bracket is wide: the device's own setting tells the timeout; "
                                        "intervals up to the longest survived gap are safe for sure)");
}

void cl_pairs_survived(cl_pairs *st, const cl_conv *conv, double gap, uint32_t gap_frame)
{
    pair *pr = pair_of(st, conv);
    if (gap > pr->survived_max) {
        pr->survived_max = gap;
        pr->survived_frame = gap_frame;
    }
}

void cl_pairs_failure_withdrawn(cl_pairs *st, const cl_conv *conv, uint32_t gap_frame, bool *counted, double when)
{
    pair *pr = pair_of(st, conv);
    if (pr->failed_frame == gap_frame) {
        /* the earlier, longer failures it had replaced are not kept: the bracket only widens */
        pr->failed_min = 0;
        pr->failed_frame = 0;
    }
    unsigned len = pr->disconnects->len;
    if (*counted && len && g_array_index(pr->disconnects, double, len - 1) == when)
        g_array_remove_index(pr->disconnects, len - 1);
    *counted = false;
}

/* A lost connection counts once per conversation toward its pair's disconnect history; several at a steady
 * interval are a periodic disconnect. */
void cl_pairs_disconnect(cl_pairs *st, const cl_config *cfg, const cl_conv *conv, bool *counted, double when,
                         cl_finding *f)
{
    pair *pr = pair_of(st, conv);
    unsigned len = pr->disconnects->len;
    if (!*counted && (!len || when >= g_array_index(pr->disconnects, double, len - 1))) {
        *counted = true;
        if (len >= DISCONNECTS_KEPT)
            g_array_remove_index(pr->disconnects, 0);
        g_array_append_val(pr->disconnects, when);
    }
    unsigned n = pr->disconnects->len;
    if (n < cfg->period_min_count)
        return;
    const double *t = (const double *)(void *)pr->disconnects->data;
    double mean = (t[n - 1] - t[0]) / (n - 1), var = 0;
    if (mean <= 0)
        return;
    for (unsigned i = 1; i < n; i++)
        var += (t[i] - t[i - 1] - mean) * (t[i] - t[i - 1] - mean);
    double sd = sqrt(var / (n - 1));
    if (sd > mean * cfg->period_jitter_pct / 100.0)
        return;
    f->num.has |= CL_HAS_PERIOD | CL_HAS_PERIOD_COUNT;
    f->num.period = mean;
    f->num.period_count = n;
    f->experts |= CL_EXP_PERIODIC_DISCONNECT;
    f->confidence = (uint8_t)MIN(f->confidence + 5, 99);
    char name[200], every[40];
    pair_name(conv, name, sizeof(name));
    cl_finding_say(f, "; %s lost %u connections, one every %s (intervals within %.1f%%)", name, n,
                   cl_duration(mean, every, sizeof(every)), 100 * sd / mean);
}
