/* Addresses, 5-tuples, hashing and their text forms.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "addr.h"

#include <stdio.h>
#include <string.h>

/* Eight bytes per step: this runs for every frame. */
guint cl_hash_bytes(gconstpointer key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = 0xcbf29ce484222325u;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15u;
    }
    for (; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    h ^= h >> 29;
    return (guint)(h ^ (h >> 32));
}

guint cl_addr_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(cl_addr)); }
gboolean cl_addr_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(cl_addr)) == 0; }
guint cl_tuple_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(cl_tuple)); }
gboolean cl_tuple_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(cl_tuple)) == 0; }

uint32_t cl_ip_header_len(uint8_t family) { return family == 6 ? 40 : 20; }

static int endpoint_cmp(const cl_addr *a, uint16_t pa, const cl_addr *b, uint16_t pb)
{
    int c = memcmp(a, b, sizeof(cl_addr));
    if (c)
        return c;
    return (int)pa - (int)pb;
}

void cl_tuple_make(cl_tuple *t, const cl_addr *a, uint16_t pa, const cl_addr *b, uint16_t pb, uint8_t proto)
{
    memset(t, 0, sizeof(*t));
    if (endpoint_cmp(a, pa, b, pb) <= 0) {
        t->lo = *a, t->lo_port = pa, t->hi = *b, t->hi_port = pb;
    } else {
        t->lo = *b, t->lo_port = pb, t->hi = *a, t->hi_port = pa;
    }
    t->proto = proto;
}

/* RFC 5952: the longest run of two or more zero groups becomes "::". */
static void ipv6_text(const cl_addr *a, char *host, size_t size)
{
    uint16_t g[8];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(a->bytes[2 * i] << 8 | a->bytes[2 * i + 1]);
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i > 1)
            best = i, best_len = j - i;
        i = j > i ? j : i + 1;
    }
    size_t n = 0;
    host[0] = 0;
    for (int i = 0; i < 8 && n < size; i++) {
        if (i == best) {
            n += (size_t)snprintf(host + n, size - n, "::");
            i += best_len - 1;
            continue;
        }
        n += (size_t)snprintf(host + n, size - n, "%s%x", (n && host[n - 1] != ':') ? ":" : "", g[i]);
    }
}

void cl_addr_format(const cl_addr *a, uint16_t port, char *buf, size_t len)
{
    char host[64];
    if (a->family == 4)
        snprintf(host, sizeof(host), "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
    else if (a->family == 6)
        ipv6_text(a, host, sizeof(host));
    else
        snprintf(host, sizeof(host), "?");
    if (!port)
        snprintf(buf, len, "%s", host);
    else if (a->family == 6)
        snprintf(buf, len, "[%s]:%u", host, port);
    else
        snprintf(buf, len, "%s:%u", host, port);
}

void cl_pair_format(const cl_addr *client, const cl_addr *server, uint16_t server_port, char *buf, size_t len)
{
    char c[64], srv[80];
    cl_addr_format(client, 0, c, sizeof(c));
    cl_addr_format(server, server_port, srv, sizeof(srv));
    snprintf(buf, len, "%s -> %s", c, srv);
}
