/* Paths across the capture: what one conversation proves about the path between two addresses, kept for the
 * others. A path-MTU problem belongs to a path, not to a connection: a download whose full-size segments never
 * arrive shows nothing but silence next to the client, while another connection between the same hosts may
 * have shown the black hole plainly. A path is the pair of addresses, both directions: the links that make a
 * black hole (PPPoE, tunnels, VPNs) carry the same MTU both ways.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "paths.h"

#include <string.h>

typedef struct {
    cl_tuple key; /* the two addresses, ports and protocol 0 */
    cl_path path;
    cl_lru_node node;
} path_entry;

struct cl_paths {
    cl_lru table;
};

static void path_evict(void *entry, void *data)
{
    path_entry *e = entry;
    cl_lru_remove(data, &e->key, e, &e->node);
    g_free(e);
}

cl_paths *cl_paths_new(cl_ctx *x)
{
    cl_paths *paths = g_new0(cl_paths, 1);
    cl_lru_init(&paths->table, cl_tuple_hash, cl_tuple_equal, x->cfg->max_pairs, sizeof(path_entry) + CL_ENTRY_BYTES);
    cl_lru_describe(&paths->table, "paths", "max_pairs",
                    "what the least recently used ones proved (sizes through, black holes) is forgotten", path_evict,
                    &paths->table);
    cl_core_add_table(x, &paths->table);
    return paths;
}

void cl_paths_free(cl_paths *paths)
{
    cl_lru_destroy(&paths->table);
    g_free(paths);
}

static void path_key(cl_tuple *key, const cl_conv *conv)
{
    cl_tuple_make(key, &conv->side[0].addr, 0, &conv->side[1].addr, 0, 0);
}

static path_entry *entry_of(const cl_paths *paths, const cl_conv *conv)
{
    cl_tuple key;
    path_key(&key, conv);
    return cl_lru_lookup(&paths->table, &key);
}

static path_entry *entry_make(cl_paths *paths, const cl_conv *conv)
{
    path_entry *e = entry_of(paths, conv);
    if (e) {
        cl_lru_touch(&paths->table, &e->node);
        return e;
    }
    cl_lru_make_room(&paths->table);
    e = g_new0(path_entry, 1);
    path_key(&e->key, conv);
    cl_lru_insert(&paths->table, &e->key, e, &e->node);
    return e;
}

static void forget_proof(cl_path *path)
{
    uint32_t through = path->largest_through;
    memset(path, 0, sizeof(*path));
    path->largest_through = through;
}

const cl_path *cl_paths_of(const cl_paths *paths, const cl_conv *conv)
{
    const path_entry *e = entry_of(paths, conv);
    return e ? &e->path : NULL;
}

void cl_paths_through(cl_paths *paths, const cl_conv *conv, uint32_t ip_len)
{
    path_entry *e = entry_make(paths, conv);
    if (ip_len <= e->path.largest_through)
        return;
    e->path.largest_through = ip_len;
    if (e->path.smallest_lost && ip_len >= e->path.smallest_lost) /* that size passes after all */
        forget_proof(&e->path);
}

void cl_paths_black_hole(cl_paths *paths, const cl_conv *conv, int sender, uint32_t smallest_lost, uint32_t frame)
{
    path_entry *e = entry_make(paths, conv);
    if (smallest_lost <= e->path.largest_through ||
        (e->path.smallest_lost && e->path.smallest_lost <= smallest_lost && e->path.proof_conv != conv->id))
        return; /* contradicted by a size through, or another conversation proved a smaller size already */
    e->path.smallest_lost = smallest_lost;
    e->path.proof_conv = conv->id;
    e->path.proof_frame = frame;
    e->path.proof_sender = conv->side[sender].addr;
}

void cl_paths_disproved(cl_paths *paths, const cl_conv *conv)
{
    path_entry *e = entry_of(paths, conv);
    if (e && e->path.smallest_lost && e->path.proof_conv == conv->id)
        forget_proof(&e->path);
}
