/* Addresses, 5-tuples, hashing and their text forms.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef CONNLOST_ADDR_H
#define CONNLOST_ADDR_H

#include "packet.h"

#include <string.h>

/* Canonical 5-tuple: the lower (address, port) first. */
typedef struct {
    cl_addr lo, hi;
    uint16_t lo_port, hi_port;
    uint8_t proto;
} cl_tuple;

/* Keys are memset before they are filled, so hashing their bytes is safe. */
guint cl_hash_bytes(gconstpointer key, size_t len);
guint cl_addr_hash(gconstpointer k);
gboolean cl_addr_equal(gconstpointer a, gconstpointer b);
/* Two addresses are the same (cl_addr_equal is this for hash tables); inline: every TCP packet asks which side
 * sent it, and memcmp was a call for 17 bytes. */
static inline bool cl_addr_same(const cl_addr *a, const cl_addr *b)
{
    uint64_t a_lo, a_hi, b_lo, b_hi;
    memcpy(&a_lo, a->bytes, 8);
    memcpy(&a_hi, a->bytes + 8, 8);
    memcpy(&b_lo, b->bytes, 8);
    memcpy(&b_hi, b->bytes + 8, 8);
    return a->family == b->family && a_lo == b_lo && a_hi == b_hi;
}

void cl_tuple_make(cl_tuple *t, const cl_addr *a, uint16_t pa, const cl_addr *b, uint16_t pb, uint8_t proto);
guint cl_tuple_hash(gconstpointer k);
gboolean cl_tuple_equal(gconstpointer a, gconstpointer b);

static inline uint32_t cl_ip_header_len(uint8_t family) { return family == 6 ? 40 : 20; }

/* "10.0.0.1:80", "[fd00::1]:80", or the bare address when port is 0. */
void cl_addr_format(const cl_addr *a, uint16_t port, char *buf, size_t len);
/* "client -> server:port", the name of a client/server pair */
void cl_pair_format(const cl_addr *client, const cl_addr *server, uint16_t server_port, char *buf, size_t len);

#endif
