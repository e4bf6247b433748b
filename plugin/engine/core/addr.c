/* Addresses, 5-tuples, hashing and their text forms.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "addr.h"

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
gboolean cl_addr_equal(gconstpointer a, gconstpointer b) { return cl_addr_same(a, b); }
guint cl_tuple_hash(gconstpointer k) { return cl_hash_bytes(k, sizeof(cl_tuple)); }
gboolean cl_tuple_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, sizeof(cl_tuple)) == 0; }

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

/* Text is written by hand, digit by digit: addresses go into most sentences connlost writes, and snprintf costs
 * ten times as much (about 2 500 instructions for an IPv4 address and port). Each writer returns where the text
 * ends; the caller leaves room for its longest output. */
static char *put_decimal(char *at, unsigned value)
{
    char digits[10];
    unsigned n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (n)
        *at++ = digits[--n];
    return at;
}

static char *put_hex(char *at, unsigned value)
{
    static const char hex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned nibble = (value >> shift) & 0xf;
        started |= nibble || !shift;
        if (started)
            *at++ = hex[nibble];
    }
    return at;
}

/* RFC 5952: the longest run of two or more zero groups becomes "::"; the first of runs as long. */
static char *put_ipv6(char *at, const cl_addr *a)
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
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *at++ = ':';
            *at++ = ':';
            i += best_len - 1;
            continue;
        }
        if (i && i != best + best_len)
            *at++ = ':';
        at = put_hex(at, g[i]);
    }
    return at;
}

/* `n` bytes of `text` into `buf` of `len`, cut to fit and NUL-terminated, as g_strlcpy would (its byte loop cost
 * more than the formatting). */
static void copy_cut(char *buf, size_t len, const char *text, size_t n)
{
    if (!len)
        return;
    n = MIN(n, len - 1);
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* The longest: "[" 39 characters of IPv6 "]:" 5 digits of port, and the NUL. */
#define ADDR_TEXT_MAX 49

void cl_addr_format(const cl_addr *a, uint16_t port, char *buf, size_t len)
{
    char text[ADDR_TEXT_MAX + 8];
    char *at = text;
    bool bracket = port && a->family == 6;
    if (bracket)
        *at++ = '[';
    if (a->family == 4) {
        for (int i = 0; i < 4; i++) {
            if (i)
                *at++ = '.';
            at = put_decimal(at, a->bytes[i]);
        }
    } else if (a->family == 6) {
        at = put_ipv6(at, a);
    } else {
        *at++ = '?';
    }
    if (bracket)
        *at++ = ']';
    if (port) {
        *at++ = ':';
        at = put_decimal(at, port);
    }
    copy_cut(buf, len, text, (size_t)(at - text));
}

void cl_pair_format(const cl_addr *client, const cl_addr *server, uint16_t server_port, char *buf, size_t len)
{
    char text[2 * ADDR_TEXT_MAX + 8];
    cl_addr_format(client, 0, text, ADDR_TEXT_MAX);
    size_t n = strlen(text);
    memcpy(text + n, " -> ", 4);
    n += 4;
    cl_addr_format(server, server_port, text + n, ADDR_TEXT_MAX);
    n += strlen(text + n);
    copy_cut(buf, len, text, n);
}
